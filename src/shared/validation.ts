import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * One bad input: which property, what value, and how to fix it.
 * Pure data so plan functions can report problems without a construct.
 */
export interface Problem {
  readonly property: string;
  readonly value: unknown;
  readonly reason: string;
  readonly fix: string;
}

/** Renders a problem as one line that names the property, the value and the fix. */
export function describeProblem(problem: Problem): string {
  return `${problem.property} = ${JSON.stringify(problem.value)}: ${problem.reason}. Fix: ${problem.fix}`;
}

/**
 * Throws one error listing every problem, prefixed with the construct path,
 * so `cdk synth` stops at the construct that got the bad input.
 */
export function throwIfProblems(scope: IConstruct, problems: readonly Problem[]): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => `  - ${describeProblem(p)}`);
  throw new Error(`[${scope.node.path}] invalid configuration:\n${lines.join('\n')}`);
}

const ACCOUNT_ID = /^\d{12}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
// o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/... as used by aws:PrincipalOrgPaths.
const ORGANIZATION_PATH = /^o-[a-z0-9]{10,32}\/r-[0-9a-z]{4,32}\/(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}\/)*$/;

/** A 12-digit account id, or a token that will be checked by AWS at deploy time. */
export function checkAccountId(property: string, value: string): Problem[] {
  if (Token.isUnresolved(value) || ACCOUNT_ID.test(value)) return [];
  return [{
    property,
    value,
    reason: 'not a 12-digit AWS account id',
    fix: 'use the account id exactly as AWS shows it, 12 digits with leading zeros, no dashes',
  }];
}

/** A list of account ids: each well-formed, none repeated. */
export function checkAccountList(property: string, values: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    problems.push(...checkAccountId(`${property}[${index}]`, value));
    if (Token.isUnresolved(value)) return;
    const first = seen.get(value);
    if (first !== undefined) {
      problems.push({
        property: `${property}[${index}]`,
        value,
        reason: `duplicate of ${property}[${first}]`,
        fix: 'list each account once',
      });
    } else {
      seen.set(value, index);
    }
  });
  return problems;
}

export function checkOrganizationId(property: string, value: string): Problem[] {
  if (Token.isUnresolved(value) || ORGANIZATION_ID.test(value)) return [];
  return [{
    property,
    value,
    reason: "not an AWS Organizations id (expected 'o-' followed by 10 to 32 lowercase letters or digits)",
    fix: "copy the id from `aws organizations describe-organization --query Organization.Id`, for example 'o-a1b2c3d4e5'",
  }];
}

export function checkOrganizationPath(property: string, value: string, organizationId?: string): Problem[] {
  if (Token.isUnresolved(value)) return [];
  if (!ORGANIZATION_PATH.test(value)) {
    return [{
      property,
      value,
      reason: "not an organization path (expected 'o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/' ending in '/')",
      fix: 'give the path from the organization root down to the OU, each part followed by a slash',
    }];
  }
  if (organizationId && !Token.isUnresolved(organizationId) && !value.startsWith(`${organizationId}/`)) {
    return [{
      property,
      value,
      reason: `the path does not belong to organization '${organizationId}'`,
      fix: 'use OU paths of the organization given as organizationId',
    }];
  }
  return [];
}

/**
 * Checks a physical name derived from `value` against its service limit; the
 * problem names the property the user set, not the derived name.
 */
export function checkNameLength(property: string, value: string, name: string, what: string, limit: number, fix: string): Problem[] {
  if (Token.isUnresolved(name) || name.length <= limit) return [];
  return [{
    property,
    value,
    reason: `makes ${what} '${name}' ${name.length} characters, over the limit of ${limit}`,
    fix,
  }];
}
