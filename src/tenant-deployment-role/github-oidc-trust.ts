import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Problem } from '../shared/validation';

/** The issuer of GitHub Actions OIDC tokens. */
export const GITHUB_OIDC_ISSUER = 'token.actions.githubusercontent.com';

/**
 * Lets GitHub Actions workflows of one repository assume the action role,
 * pinned to one branch or one deployment environment.
 */
export interface GitHubOidcTrust {
  /** The repository, `owner/name`, without wildcards. */
  readonly repository: string;

  /**
   * Only workflows running on this branch (the `sub` claim
   * `repo:owner/name:ref:refs/heads/<branch>`). Give exactly one of branch and environment.
   *
   * @default - none
   */
  readonly branch?: string;

  /**
   * Only jobs that use this GitHub deployment environment (the `sub` claim
   * `repo:owner/name:environment:<name>`). Give exactly one of branch and environment.
   *
   * @default - none
   */
  readonly environment?: string;

  /**
   * ARN of the account's IAM OIDC provider for GitHub (one per account).
   *
   * @default - arn:<partition>:iam::<this account>:oidc-provider/token.actions.githubusercontent.com
   */
  readonly providerArn?: string;
}

const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const REF_NAME = /^[A-Za-z0-9._\/-]+$/;

/** Problems with a GitHub trust: a wildcard or malformed repository, or not exactly one of branch/environment. */
export function gitHubTrustProblems(trust: GitHubOidcTrust, property: string): Problem[] {
  const problems: Problem[] = [];
  if (!REPOSITORY.test(trust.repository)) {
    problems.push({
      property: `${property}.repository`,
      value: trust.repository,
      reason: "must be 'owner/name' with no wildcard: a pattern would let other repositories (or every branch and pull request) in",
      fix: "name one repository, e.g. 'acme/shop'",
    });
  }
  const pins = [trust.branch, trust.environment].filter((v) => v !== undefined);
  if (pins.length !== 1) {
    problems.push({
      property,
      value: { branch: trust.branch, environment: trust.environment },
      reason: 'the trust must be pinned to exactly one branch or one environment',
      fix: "set either branch (e.g. 'main') or environment (e.g. 'production'), not both and not neither",
    });
  }
  for (const [name, value] of [['branch', trust.branch], ['environment', trust.environment]] as const) {
    if (value !== undefined && !Token.isUnresolved(value) && !REF_NAME.test(value)) {
      problems.push({
        property: `${property}.${name}`,
        value,
        reason: 'must be a literal name without wildcards',
        fix: `give the exact ${name} name`,
      });
    }
  }
  return problems;
}

/** The `sub` claim the trust pins. */
export function gitHubSubject(trust: GitHubOidcTrust): string {
  return trust.branch !== undefined
    ? `repo:${trust.repository}:ref:refs/heads/${trust.branch}`
    : `repo:${trust.repository}:environment:${trust.environment}`;
}

/** The trust statement: web identity from the account's GitHub provider, `aud` and `sub` pinned. */
export function gitHubTrustStatement(trust: GitHubOidcTrust): iam.PolicyStatement {
  const providerArn = trust.providerArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${GITHUB_OIDC_ISSUER}`;
  return new iam.PolicyStatement({
    sid: 'GitHubActionsOidc',
    principals: [new iam.FederatedPrincipal(providerArn)],
    actions: ['sts:AssumeRoleWithWebIdentity'],
    conditions: {
      StringEquals: {
        [`${GITHUB_OIDC_ISSUER}:aud`]: 'sts.amazonaws.com',
        [`${GITHUB_OIDC_ISSUER}:sub`]: gitHubSubject(trust),
      },
    },
  });
}
