import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { ContainerRegistry, DeploymentContract } from '../src';

/**
 * A container registry in the tooling account (the image-assets repository and
 * one named 'web'), pullable by the tenant account, pushed to by one build role.
 * The assertions check what a deployed repository must show: KMS encryption
 * with the registry's key, scan on push, immutable tags.
 */
export function buildContainerRegistryIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-container-registry');
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ' });
  const registry = new ContainerRegistry(stack, 'Images', {
    contract,
    repositoryNames: ['web'],
    readerAccounts: [INTEG_TENANT_ACCOUNT],
    // Sandbox accounts: leave nothing behind.
    removalPolicy: RemovalPolicy.DESTROY,
    emptyOnDelete: true,
  });
  // The build that pushes (in a pipeline: the CrossAccountPipeline's build project role).
  const build = new iam.Role(stack, 'Build', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
  registry.grantPush(build);
  checkWithNag(stack);

  const integ = new IntegTest(app, 'ContainerRegistryInteg', { testCases: [stack] });
  const web = registry.repository('web');
  const described = integ.assertions.awsApiCall('ECR', 'describeRepositories', { repositoryNames: [web.repositoryName] });
  described.provider.addToRolePolicy({ Effect: 'Allow', Action: ['ecr:DescribeRepositories'], Resource: [web.repositoryArn] });
  described.expect(ExpectedResult.objectLike({
    repositories: [{
      repositoryName: contract.containerRepositoryName('web'),
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: registry.encryptionKey!.keyArn },
    }],
  }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildContainerRegistryIntegApp().app.synth();
}
