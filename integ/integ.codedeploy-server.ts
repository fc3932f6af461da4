import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Annotations, App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { checkWithNag, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { CodeDeployServerGroup, DeploymentContract, TenantDeploymentRole } from '../src';

/**
 * The target side of `DeploymentKind.codeDeployServer` in one account: the
 * tenant roles with the CodeDeploy opt-in and a `CodeDeployServerGroup`. The
 * assertions read the deployed deployment group and instance role back.
 */
export function buildCodeDeployServerIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-codedeploy-server');
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ' });
  const roles = new TenantDeploymentRole(stack, 'Roles', { contract, codeDeployServerDeployments: true });
  // This account is deployed in place by CodeDeploy: no stack goes through the execution role.
  Annotations.of(roles).acknowledgeWarning('cdk-cross-account-cicd:executionRoleHasNoPermissions',
    'deployed in place by CodeDeploy; the execution role deploys no stack here');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  vpc.addFlowLog('FlowLog');
  const group = new CodeDeployServerGroup(stack, 'Fleet', {
    contract,
    vpc,
    applicationName: 'integ-web',
    deploymentGroupName: 'integ-web-fleet',
    minCapacity: 1,
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'CodeDeployServerInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CodeDeploy', 'getDeploymentGroup', { applicationName: 'integ-web', deploymentGroupName: 'integ-web-fleet' })
    .expect(ExpectedResult.objectLike({
      deploymentGroupInfo: {
        deploymentGroupName: 'integ-web-fleet',
        autoRollbackConfiguration: { enabled: true },
        autoScalingGroups: [{ name: group.autoScalingGroup.autoScalingGroupName }],
      },
    }));
  integ.assertions
    .awsApiCall('IAM', 'getRole', { RoleName: contract.codeDeployInstanceRoleName })
    .expect(ExpectedResult.objectLike({ Role: { RoleName: contract.codeDeployInstanceRoleName } }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildCodeDeployServerIntegApp().app.synth();
}
