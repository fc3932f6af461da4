/**
 * Pure: the regular expressions the CodeBuild webhooks match, and the checks of
 * the names they are made from. No constructs.
 *
 * CodeBuild matches a webhook filter's pattern as a regular expression
 * anywhere in the value unless it is anchored, so `refs/heads/main` would
 * also match `refs/heads/main-old`; every pattern here is anchored and its
 * literal parts escaped.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/github-webhook.html
 */
import { Token } from 'aws-cdk-lib';
import { Problem } from '../../shared/validation';

/** Escapes the characters a regular expression gives a meaning. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches exactly `refs/heads/<branch>`. */
export function branchRefPattern(branch: string): string {
  return `^refs/heads/${escapeRegExp(branch)}$`;
}

/** Matches exactly one of the account ids. */
export function actorPattern(ids: readonly string[]): string {
  return `^(${ids.map(escapeRegExp).join('|')})$`;
}

/**
 * A branch name as Git accepts it (the rules of `git check-ref-format` that a
 * branch can break), given without `refs/heads/`.
 */
export function branchNameProblems(property: string, branch: string): Problem[] {
  if (Token.isUnresolved(branch)) return [];
  const problem = (reason: string, fix: string): Problem[] => [{ property, value: branch, reason, fix }];
  if (branch.startsWith('refs/')) return problem('a branch name, not a ref', `give '${branch.replace(/^refs\/heads\//, '')}'`);
  if (branch.length === 0
    || /[\s~^:?*[\\\x00-\x1f\x7f]/.test(branch)
    || branch.includes('..') || branch.includes('@{') || branch.includes('//')
    || branch.startsWith('/') || branch.endsWith('/') || branch.startsWith('-')
    || branch.endsWith('.') || branch.endsWith('.lock')
    || branch.split('/').some((part) => part.startsWith('.'))) {
    return problem('not a Git branch name', "give the branch as Git shows it, e.g. 'main' or 'release/2.x'");
  }
  return [];
}

/** Ids the webhook admits: at least one, each without spaces. */
export function actorIdProblems(property: string, ids: readonly string[] | undefined): Problem[] {
  if (ids === undefined) return [];
  if (ids.length === 0) {
    return [{ property, value: ids, reason: 'an empty list admits no author, so no pull request would ever build', fix: 'list at least one account id, or leave the property out to build every author\'s pull requests' }];
  }
  return ids.flatMap((id, i) => Token.isUnresolved(id) || /^\S+$/.test(id) ? [] : [{
    property: `${property}[${i}]`, value: id, reason: 'not an account id of the source provider', fix: 'give the numeric user id (GitHub) or the account id (Bitbucket), without spaces',
  }]);
}
