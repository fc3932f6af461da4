import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Problem } from '../shared/validation';

/**
 * Lets CircleCI jobs of one project assume a role with OIDC. CircleCI's token
 * names the organization in its issuer and audience and the project in its
 * `sub`; IAM cannot check the branch for CircleCI tokens, so restrict the
 * branches with a CircleCI context on the job.
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
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The issuer of the organization's tokens, as IAM names its condition keys. */
function issuer(trust: CircleCiOidcTrust): string {
  return `oidc.circleci.com/org/${trust.organizationId}`;
}

/** Problems with a CircleCI trust: ids that are not UUIDs (wildcards included). */
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
  return problems;
}

/** The trust statement: web identity from the organization's provider, `aud` and the project pinned. */
export function circleCiTrustStatement(trust: CircleCiOidcTrust): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CircleCiOidc',
    principals: [new iam.FederatedPrincipal(circleCiProviderArn(trust))],
    actions: ['sts:AssumeRoleWithWebIdentity'],
    conditions: {
      StringEquals: { [`${issuer(trust)}:aud`]: trust.organizationId },
      StringLike: { [`${issuer(trust)}:sub`]: `org/${trust.organizationId}/project/${trust.projectId}/user/*` },
    },
  });
}

export function circleCiProviderArn(trust: CircleCiOidcTrust): string {
  return trust.providerArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${issuer(trust)}`;
}
