import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { GITHUB_OIDC_ISSUER, GitHubOidcTrust, gitHubTrustStatement } from '../../tenant-deployment-role/github-oidc-trust';
import { CircleCiOidcTrust, circleCiProviderArn, circleCiTrustStatement, describeCircleCiPins } from '../circleci-oidc-trust';

/**
 * A CI system's OIDC principal whose trust statement is given whole (pinned
 * `aud` and `sub`), so that the role trusts exactly that statement.
 */
class PinnedWebIdentityPrincipal extends iam.WebIdentityPrincipal {
  constructor(private readonly statement: iam.PolicyStatement, providerArn: string) {
    super(providerArn);
  }

  public addToAssumeRolePolicy(document: iam.PolicyDocument): void {
    document.addStatements(this.statement);
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
  const providerArn = trust.providerArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:oidc-provider/${GITHUB_OIDC_ISSUER}`;
  const pin = trust.branch !== undefined ? `branch ${trust.branch}` : `environment ${trust.environment}`;
  return createJobStarterRole(scope, id, new PinnedWebIdentityPrincipal(gitHubTrustStatement(trust), providerArn),
    `Lets GitHub Actions of ${trust.repository} (${pin}) start and watch the runner's jobs`, stateMachine);
}

/** The same role for CircleCI jobs of one project (and, when pinned, one repository and its given refs). */
export function createCircleCiRole(scope: Construct, id: string, trust: CircleCiOidcTrust, stateMachine: sfn.IStateMachine): iam.Role {
  return createJobStarterRole(scope, id, new PinnedWebIdentityPrincipal(circleCiTrustStatement(trust), circleCiProviderArn(trust)),
    `Lets CircleCI jobs of project ${trust.projectId} (${describeCircleCiPins(trust)}) start and watch the runner's jobs`, stateMachine);
}

function createJobStarterRole(
  scope: Construct, id: string, principal: iam.IPrincipal, description: string, stateMachine: sfn.IStateMachine,
): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: principal, description, maxSessionDuration: Duration.hours(1) });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'StartJobs',
    actions: ['states:StartExecution'],
    resources: [stateMachine.stateMachineArn],
  }));
  stateMachine.grantExecution(role, ...EXTERNAL_CI_EXECUTION_ACTIONS);
  return role;
}
