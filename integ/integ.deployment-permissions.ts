import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { DeploymentContract, DeploymentPermissions, TenantDeploymentRole } from '../src';

/**
 * The tenant roles with the presets that build their own statements. The assertions ask IAM's
 * policy simulator of the deployed roles what the access proofs model: a
 * preset's call on a resource of the prefix is allowed, outside it denied.
 */
export function buildDeploymentPermissionsIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-deployment-permissions');
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integp' });
  const roles = new TenantDeploymentRole(stack, 'Roles', {
    contract,
    permissions: [
      DeploymentPermissions.samApplicationWithCodeDeploy(),
      DeploymentPermissions.serverlessFramework(),
      DeploymentPermissions.cdkCli(),
      DeploymentPermissions.lambdaUpdate(),
      // ecsService() and stackSetAdministration() render the ecsServiceDeployments and
      // stackSetAdministration grants unchanged (test/deployment-permissions.test.ts).
    ],
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'DeploymentPermissionsInteg', { testCases: [stack] });
  const fn = (name: string) => `arn:${stack.partition}:lambda:${stack.region}:${INTEG_TENANT_ACCOUNT}:function:${name}`;
  for (const [resource, decision] of [[fn('integp-api-Handler'), 'allowed'], [fn('other-Handler'), 'implicitDeny']]) {
    integ.assertions
      .awsApiCall('IAM', 'simulatePrincipalPolicy', {
        PolicySourceArn: roles.actionRole.roleArn,
        ActionNames: ['lambda:UpdateFunctionCode'],
        ResourceArns: [resource],
      })
      .expect(ExpectedResult.objectLike({ EvaluationResults: [{ EvalActionName: 'lambda:UpdateFunctionCode', EvalDecision: decision }] }));
  }
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildDeploymentPermissionsIntegApp().app.synth();
}
