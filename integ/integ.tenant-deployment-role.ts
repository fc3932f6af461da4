import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { DeploymentContract, TenantDeploymentRole } from '../src';

/**
 * The tenant roles in a target account (for a real run, the tooling account may
 * be the same sandbox account). The assertions read the deployed roles back.
 */
export function buildTenantDeploymentRoleIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-tenant-deployment-role');
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ' });
  const boundary = new iam.ManagedPolicy(stack, 'Boundary', {
    description: 'Permissions boundary of the integ execution role: what its stacks may create, and reading artifacts',
    statements: [
      new iam.PolicyStatement({
        actions: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes', 'sns:TagResource'],
        resources: [`arn:${stack.partition}:sns:${stack.region}:${INTEG_TENANT_ACCOUNT}:integ-release-notes`],
      }),
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [`arn:${stack.partition}:s3:::${contract.artifactBucketName(stack.region)}/*`],
      }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [`arn:${stack.partition}:kms:${stack.region}:${INTEG_TOOLING_ACCOUNT}:key/*`],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    ],
  });
  NagSuppressions.addResourceSuppressions(boundary, [{
    id: 'AwsSolutions-IAM5',
    reason: 'The boundary caps the execution role: artifact objects have build-specific keys, and the tooling key id is not known in the tenant account.',
    appliesTo: [
      `Resource::arn:<AWS::Partition>:kms:<AWS::Region>:${INTEG_TOOLING_ACCOUNT}:key/*`,
      `Resource::arn:<AWS::Partition>:s3:::cdkx-integ-artifacts-${INTEG_TOOLING_ACCOUNT}-<AWS::Region>/*`,
    ],
  }]);
  const roles = new TenantDeploymentRole(stack, 'Roles', {
    contract,
    permissionsBoundary: boundary,
    executionRoleStatements: [new iam.PolicyStatement({
      actions: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes', 'sns:TagResource'],
      resources: [`arn:${stack.partition}:sns:${stack.region}:${INTEG_TENANT_ACCOUNT}:integ-release-notes`],
    })],
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'TenantDeploymentRoleInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('IAM', 'getRole', { RoleName: contract.actionRoleName })
    .expect(ExpectedResult.objectLike({ Role: { RoleName: contract.actionRoleName, MaxSessionDuration: 3600 } }));
  integ.assertions
    .awsApiCall('IAM', 'getRole', { RoleName: roles.executionRole.roleName })
    .expect(ExpectedResult.objectLike({ Role: { PermissionsBoundary: { PermissionsBoundaryArn: boundary.managedPolicyArn } } }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildTenantDeploymentRoleIntegApp().app.synth();
}
