import { App, Stack } from 'aws-cdk-lib';
import { DeploymentContract } from '../src';
import { contractProblems } from '../src/shared/contract-problems';

describe('DeploymentContract', () => {
  const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });

  test('derives every name both sides need from the qualifier', () => {
    const contract = new DeploymentContract({ toolingAccount: '111111111111', qualifier: 'shop' });
    expect({
      action: contract.actionRoleName,
      execution: contract.executionRoleName,
      path: contract.pipelineRolePath,
      alias: contract.artifactKeyAliasName,
      prefix: contract.stackNamePrefix,
      bucket: contract.artifactBucketName('us-west-2'),
      imageAssets: contract.containerRepositoryName('assets'),
    }).toEqual({
      action: 'cdkx-shop-deploy-action',
      execution: 'cdkx-shop-cfn-exec',
      path: '/cdkx-shop/',
      alias: 'alias/cdkx-shop-artifacts',
      prefix: 'shop-',
      bucket: 'cdkx-shop-artifacts-111111111111-us-west-2',
      imageAssets: 'cdkx-shop/assets',
    });
  });

  test('defaults: qualifier main, whole organization', () => {
    const contract = new DeploymentContract({ toolingAccount: '111111111111' });
    expect(contract.qualifier).toBe('main');
    expect(contract.organizationalUnitPaths).toEqual([]);
    expect(contractProblems(contract)).toEqual([]);
  });

  test('ARNs resolve in the partition of the stack that uses them', () => {
    const contract = new DeploymentContract({ toolingAccount: '111111111111' });
    expect(stack.resolve(contract.pipelineRoleArnPattern()))
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdkx-main/*']] });
    expect(stack.resolve(contract.artifactKeyAliasArn('eu-west-1')))
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:eu-west-1:111111111111:alias/cdkx-main-artifacts']] });
  });

  test('deployer roles (DeploymentKind.codeBuild): a path per target account, never under the pipeline role path', () => {
    const contract = new DeploymentContract({ toolingAccount: '111111111111' });
    expect(contract.deployerRolePath('222222222222')).toBe('/cdkx-main_deployer/222222222222/');
    expect(stack.resolve(contract.deployerRoleArnPattern('222222222222')))
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdkx-main_deployer/222222222222/*']] });
    expect(stack.resolve(contract.deployerRoleArnPattern('*')))
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdkx-main_deployer/*/*']] });
    expect(contract.deployerRolePath('222222222222').startsWith(contract.pipelineRolePath)).toBe(false);
  });

  test('problems: OU paths without an organization, malformed paths, a bad stack prefix', () => {
    const contract = new DeploymentContract({
      toolingAccount: '111111111111', organizationalUnitPaths: ['ou-ab12-11111111'], stackNamePrefix: '9lives_',
    });
    expect(contractProblems(contract).map((p) => p.property)).toEqual([
      'contract.organizationalUnitPaths',
      'contract.organizationalUnitPaths[0]',
      'contract.stackNamePrefix',
    ]);
  });
});
