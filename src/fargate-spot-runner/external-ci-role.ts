import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { GITHUB_OIDC_ISSUER, GitHubOidcTrust, gitHubTrustStatement } from '../tenant-deployment-role/github-oidc-trust';

/**
 * The principal of GitHub Actions workflows pinned to one repository and one
 * branch or environment; its trust statement is the library's shared one
 * (tenant-deployment-role/github-oidc-trust.ts), so both roles pin `aud` and
 * `sub` the same way.
 */
class GitHubActionsPrincipal extends iam.WebIdentityPrincipal {
  constructor(private readonly trust: GitHubOidcTrust, providerArn: string) {
    super(providerArn);
  }

  public addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(gitHubTrustStatement(this.trust));
  }
}

/** The actions an external CI job needs to run a job and follow it. */
export const EXTERNAL_CI_EXECUTION_ACTIONS = ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution'];

/**
 * A role GitHub Actions workflows of one repository and branch (or
 * environment) assume with OIDC, allowed only to start executions of one
 * state machine and to describe, follow and stop those executions.
 */
export function createExternalCiRole(scope: Construct, id: string, trust: GitHubOidcTrust, stateMachine: sfn.IStateMachine): iam.Role {
  // Only the principal's own description; the trust document comes from gitHubTrustStatement.
  const providerArn = trust.providerArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${GITHUB_OIDC_ISSUER}`;
  const role = new iam.Role(scope, id, {
    assumedBy: new GitHubActionsPrincipal(trust, providerArn),
    description: `Lets GitHub Actions of ${trust.repository} (${trust.branch !== undefined ? `branch ${trust.branch}` : `environment ${trust.environment}`}) start and watch the runner's jobs`,
    maxSessionDuration: Duration.hours(1),
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'StartJobs',
    actions: ['states:StartExecution'],
    resources: [stateMachine.stateMachineArn],
  }));
  stateMachine.grantExecution(role, ...EXTERNAL_CI_EXECUTION_ACTIONS);
  return role;
}
