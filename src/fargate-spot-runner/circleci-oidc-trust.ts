import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Problem } from '../shared/validation';

/**
 * Lets CircleCI jobs of one project assume a role with OIDC. CircleCI's token
 * names the organization in its issuer and audience and the project, the
 * user and (in `$CIRCLE_OIDC_TOKEN_V2`) the repository and Git ref in its `sub`.
 *
 * By default the trust admits every user and every branch and tag of the
 * project, and forked builds when the project passes secrets to forks. Pin
 * the repository (`vcsOrigin`) and the refs (`vcsRefs`) to narrow it; jobs
 * then assume the role with `$CIRCLE_OIDC_TOKEN_V2`.
 *
 * IAM evaluates only `aud`, `sub` and the project id of CircleCI tokens
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html),
 * not the `oidc.circleci.com/context-ids` or `oidc.circleci.com/ssh-rerun`
 * claims: restrict the context the job uses (security groups, expression
 * restrictions) and turn off "Rerun job with SSH" for the project in CircleCI.
 */
export interface CircleCiOidcTrust {
  /** The CircleCI organization id (a UUID, Organization Settings > Overview). */
  readonly organizationId: string;
  /** The CircleCI project id (a UUID, Project Settings > Overview). */
  readonly projectId: string;
  /**
   * ARN of the account's IAM OIDC provider for the organization.
   *
   * @default - arn:<partition>:iam::<this account>:oidc-provider/oidc.circleci.com/org/<organizationId>
   */
  readonly providerArn?: string;
  /**
   * The repository jobs must come from, as CircleCI writes it in the token
   * (`github.com/acme/shop`): builds of forks, whose origin is the fork,
   * are refused. Needs `$CIRCLE_OIDC_TOKEN_V2`, whose `sub` carries it.
   *
   * @default - any origin of the project
   */
  readonly vcsOrigin?: string;
  /**
   * The Git refs jobs must run for, e.g. `['refs/heads/main']` or
   * `['refs/tags/v*']` (`*` matches any characters). Needs `vcsOrigin`.
   *
   * @default - every branch and tag
   */
  readonly vcsRefs?: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A CircleCI user id (a UUID) as a StringLike pattern of fixed length, so no branch name can slide past it. */
const USER_ID_PATTERN = '????????-????-????-????-????????????';
/** Host and path, no scheme, wildcard, policy variable or space. */
const ORIGIN = /^[A-Za-z0-9.-]+(\/[A-Za-z0-9._~-]+)+$/;
/** A full ref; `*` is a wildcard; `?` (one character) and `$` (policy variables) are refused. */
const REF = /^refs\/[^\s?$]+$/;

/** The issuer of the organization's tokens, as IAM names its condition keys. */
function issuer(trust: CircleCiOidcTrust): string {
  return `oidc.circleci.com/org/${trust.organizationId}`;
}

/** Problems with a CircleCI trust: ids that are not UUIDs (wildcards included), pins that do not pin. */
export function circleCiTrustProblems(trust: CircleCiOidcTrust, property: string): Problem[] {
  const problems: Problem[] = [];
  for (const [name, value] of [['organizationId', trust.organizationId], ['projectId', trust.projectId]] as const) {
    if (!Token.isUnresolved(value) && !UUID.test(value)) {
      problems.push({
        property: `${property}.${name}`,
        value,
        reason: 'must be one CircleCI id (a lowercase UUID), no wildcard: a pattern would let other projects in',
        fix: `copy the ${name === 'organizationId' ? 'organization' : 'project'} id from the CircleCI settings`,
      });
    }
  }
  const origin = trust.vcsOrigin;
  if (origin !== undefined && !Token.isUnresolved(origin) && (!ORIGIN.test(origin) || /\/vcs-(origin|ref)\//.test(`${origin}/`))) {
    problems.push({
      property: `${property}.vcsOrigin`,
      value: origin,
      reason: 'must be the repository as CircleCI writes it, host and path without scheme, wildcards or spaces',
      fix: "write it like 'github.com/acme/shop'",
    });
  }
  const refs = trust.vcsRefs;
  if (refs !== undefined && !Token.isUnresolved(refs)) {
    if (origin === undefined) {
      problems.push({
        property: `${property}.vcsRefs`,
        value: refs,
        reason: "pinning refs needs the repository too: the subject's origin would be a pattern a branch name could fill",
        fix: "also give vcsOrigin, e.g. 'github.com/acme/shop'",
      });
    }
    if (refs.length === 0) {
      problems.push({
        property: `${property}.vcsRefs`,
        value: refs,
        reason: 'an empty list would admit no job',
        fix: "name at least one ref, e.g. ['refs/heads/main'], or drop vcsRefs to admit every ref",
      });
    }
    refs.forEach((ref, i) => {
      if (!Token.isUnresolved(ref) && !REF.test(ref)) {
        const name = ref.replace(/^refs\/(heads|tags)\//, '');
        problems.push({
          property: `${property}.vcsRefs[${i}]`,
          value: ref,
          reason: "must be a full Git ref (refs/heads/..., refs/tags/...), with no '?', '$' or spaces; '*' matches any characters",
          fix: `write 'refs/heads/${name}' for a branch, 'refs/tags/${name}' for a tag`,
        });
      }
    });
  }
  return problems;
}

/**
 * The `sub` patterns the trust admits. Unpinned, every user of the project
 * (either token version). Pinned, the `$CIRCLE_OIDC_TOKEN_V2` subject
 * `org/<org>/project/<project>/user/<user>/vcs-origin/<origin>/vcs-ref/<ref>`
 * with only the user id open, matched by its length so that a branch named
 * like the tail cannot move the origin and ref matched.
 */
export function circleCiSubjects(trust: CircleCiOidcTrust): string[] {
  const project = `org/${trust.organizationId}/project/${trust.projectId}/user/`;
  if (trust.vcsOrigin === undefined) return [`${project}*`];
  const origin = `${project}${USER_ID_PATTERN}/vcs-origin/${trust.vcsOrigin}/vcs-ref/`;
  return (trust.vcsRefs ?? ['*']).map((ref) => `${origin}${ref}`);
}

/** What the trust admits, in words (for role descriptions). */
export function describeCircleCiPins(trust: CircleCiOidcTrust): string {
  if (trust.vcsOrigin === undefined) return 'every user and ref';
  return [trust.vcsOrigin, ...(trust.vcsRefs ?? ['every ref'])].join(', ');
}

/** The trust statement: web identity from the organization's provider, `aud` and the project (and pins) in `sub`. */
export function circleCiTrustStatement(trust: CircleCiOidcTrust): iam.PolicyStatement {
  const subjects = circleCiSubjects(trust);
  return new iam.PolicyStatement({
    sid: 'CircleCiOidc',
    principals: [new iam.FederatedPrincipal(circleCiProviderArn(trust))],
    actions: ['sts:AssumeRoleWithWebIdentity'],
    conditions: {
      StringEquals: { [`${issuer(trust)}:aud`]: trust.organizationId },
      StringLike: { [`${issuer(trust)}:sub`]: subjects.length === 1 ? subjects[0] : subjects },
    },
  });
}

export function circleCiProviderArn(trust: CircleCiOidcTrust): string {
  return trust.providerArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${issuer(trust)}`;
}
