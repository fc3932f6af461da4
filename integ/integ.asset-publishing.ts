import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource } from '../src';

/**
 * A release pipeline whose Assets stage publishes the assets of the CDK
 * application it builds (stacks synthesized with ContractStackSynthesizer),
 * file assets and images, once per target region into the contract's store
 * and image repository, before it deploys. Deploying it for real also needs
 * the contract's image repository (ContainerRegistry) and the tenants'
 * TenantDeploymentRole (see README, "Shipping a CDK app"); the assertion reads
 * back the pipeline's stages.
 */
export function buildAssetPublishingIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  // A concrete region: the pipeline places its artifact stores by region.
  const region = 'us-east-1';
  const stack = new Stack(app, 'cdkx-integ-asset-publishing', { env: { account: INTEG_TOOLING_ACCOUNT, region } });
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, organizationId: 'o-integtest01', qualifier: 'integ' });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }),
    source: PipelineSource.connection({
      connectionArn: process.env.CDKX_INTEG_CONNECTION_ARN
        ?? `arn:aws:codeconnections:${region}:${INTEG_TOOLING_ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
      repository: 'acme/app',
      branch: 'main',
    }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    assetPublishing: { manifestPaths: ['cdk.out/*.assets.json'], dockerImages: true },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'integ-app', templatePath: 'cdk.out/App.template.json' }),
    pipelineName: 'integ-asset-release',
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: INTEG_TENANT_ACCOUNT, region }] }],
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'AssetPublishingInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CodePipeline', 'getPipeline', { name: pipeline.pipelineNames[0] })
    .expect(ExpectedResult.objectLike({ pipeline: { name: pipeline.pipelineNames[0] } }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildAssetPublishingIntegApp().app.synth();
}
