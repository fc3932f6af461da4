import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { checkWithNag, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { DeploymentContract, TenantDeploymentRoleStackSet } from '../src';

/**
 * The tenant roles rolled out to an OU by a service-managed StackSet. A real
 * run needs the management (or a StackSets delegated administrator) account with
 * trusted access for StackSets, and an OU id in CDKX_INTEG_OU_ID.
 */
export function buildTenantDeploymentRoleStackSetIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-tenant-deployment-role-stack-set');
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ' });
  const rollout = new TenantDeploymentRoleStackSet(stack, 'TenantRoles', {
    contract,
    organizationalUnitIds: [process.env.CDKX_INTEG_OU_ID ?? 'ou-ab12-11111111'],
    executionRoleManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess'],
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'TenantDeploymentRoleStackSetInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CloudFormation', 'describeStackSet', { StackSetName: rollout.stackSet.stackSetName, CallAs: 'SELF' })
    .expect(ExpectedResult.objectLike({ StackSet: { Status: 'ACTIVE', PermissionModel: 'SERVICE_MANAGED' } }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildTenantDeploymentRoleStackSetIntegApp().app.synth();
}
