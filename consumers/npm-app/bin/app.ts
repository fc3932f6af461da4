/**
 * A software vendor's CDK app that uses the library as an npm user would:
 * one tooling account (two regions, and a Fargate Spot job runner), a dev
 * account (which also runs the blue/green web tier on EFS), two tenant
 * accounts and the management account that rolls the tenant roles out to an OU.
 * Every stack but ShopApp (the env-agnostic application the pipeline
 * releases) has an explicit env, so `cdk synth` needs no AWS credentials.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  ArtifactStore,
  BlueGreenEfsDeploy,
  CapacityStrategy,
  ContainerRegistry,
  ContractStackSynthesizer,
  CrossAccountPipeline,
  DeploymentContract,
  DeploymentKind,
  DeploymentPermissions,
  FargateSpotRunner,
  PipelineSource,
  TenantDeploymentRole,
  TenantDeploymentRoleStackSet,
} from 'cdk-cross-account-cicd';

const TOOLING = '111111111111';
const DEV = { id: 'dev', account: '222222222222', region: 'us-east-1' };
const TENANTS = [
  { id: 'acme', account: '333333333333', region: 'us-east-1' },
  { id: 'globex', account: '444444444444', region: 'eu-west-1' },
];
const MANAGEMENT = '999999999999';

const app = new App();
const contract = new DeploymentContract({
  toolingAccount: TOOLING,
  organizationId: 'o-a1b2c3d4e5',
  qualifier: 'shop',
});

// Tooling account: an artifact store per region (eu-west-1 serves the globex tenant).
const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
const store = new ArtifactStore(tooling, 'ArtifactStore', { contract });
const toolingEu = new Stack(app, 'ToolingEu', { env: { account: TOOLING, region: 'eu-west-1' } });
new ArtifactStore(toolingEu, 'ArtifactStore', { contract, artifactExpiration: Duration.days(30) });
// Tooling account: the contract's image repositories (cdkx-shop/assets for image assets), pullable in the organization.
new ContainerRegistry(tooling, 'Registry', { contract });

// The application the pipeline releases: no env, one template for every tenant and region. Its
// assets go to the contract's store of the region it is deployed to; the tenants need no bootstrap.
const shopApp = new Stack(app, 'ShopApp', { synthesizer: new ContractStackSynthesizer({ contract }) });
new lambda.Function(shopApp, 'Handler', {
  runtime: lambda.Runtime.NODEJS_20_X,
  handler: 'index.handler',
  // The app's lambda/ directory: `cdk synth` runs in the app directory (no Node types needed).
  code: lambda.Code.fromAsset('lambda'),
});

// The release pipeline: Dev with an integration test step, then the tenants after an approval.
new CrossAccountPipeline(tooling, 'Release', {
  contract,
  artifactStore: store,
  pipelineName: 'shop-release',
  source: PipelineSource.connection({
    connectionArn: `arn:aws:codeconnections:us-east-1:${TOOLING}:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789`,
    repository: 'acme/shop',
    branch: 'main',
    filePaths: ['services/shop/**'],
  }),
  buildOptions: {
    commands: ['npm ci', 'npm test', 'npx cdk synth -o dist'],
    outputDirectory: 'dist',
    testReportFiles: ['reports/*.xml'],
  },
  deploymentKind: DeploymentKind.cloudFormation({ stackName: 'shop-app', templatePath: 'ShopApp.template.json' }),
  // An Assets stage after the build publishes ShopApp's Lambda code once per region of the targets.
  assetPublishing: { manifestPaths: ['ShopApp.assets.json'] },
  stages: [
    {
      name: 'Dev',
      targets: [DEV],
      verify: [{ name: 'IntegrationTests', commands: ['npm run test:integ'] }],
    },
    {
      name: 'Prod',
      approval: { comment: 'Release to the tenants' },
      targets: TENANTS.map((t) => ({ ...t, parameters: { Tenant: t.id } })),
    },
    {
      // A StackSet updated from the management account (the stage's one target, where the
      // StackSet lives), spread to every account of the tenants' OU in two regions.
      name: 'Guardrails',
      deploymentKind: DeploymentKind.stackSet({
        stackSetName: 'shop-guardrails',
        templatePath: 'Guardrails.template.json',
        organizationalUnitIds: ['ou-ab12-34cd56ef'],
        regions: ['us-east-1', 'eu-west-1'],
        failureTolerancePercentage: 10,
        maxConcurrentPercentage: 25,
      }),
      targets: [{ id: 'org', account: MANAGEMENT, region: 'us-east-1' }],
    },
  ],
});

// Tooling account: integration tests as a job on Fargate Spot (FARGATE fallback, checkpoints),
// started and watched by GitHub Actions of acme/shop on main. The VPC's availability zones
// come from the context in cdk.json, so `cdk synth` still needs no credentials.
const jobs = new Stack(app, 'ToolingJobs', { env: { account: TOOLING, region: 'us-east-1' } });
new FargateSpotRunner(jobs, 'IntegrationTests', {
  vpc: new ec2.Vpc(jobs, 'Vpc', { maxAzs: 2 }),
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:2.17.0'),
  command: ['sh', '-c', 'aws sts get-caller-identity && echo running the integration tests'],
  cpu: 1024,
  memoryLimitMiB: 2048,
  capacity: CapacityStrategy.spotWithOnDemandFallback(),
  useCheckpointWrapper: true,
  // The suite split evenly over 4 tasks: each reads RUNNER_TASK_INDEX / RUNNER_TASK_COUNT.
  taskCount: 4,
  externalCi: { repository: 'acme/shop', branch: 'main' },
});

// Dev account: the web tier, code on EFS, released blue/green from a zip in S3. The VPC's
// availability zones come from the context in cdk.json, so `cdk synth` needs no credentials.
const web = new Stack(app, 'Web', { env: { account: DEV.account, region: 'us-east-1' } });
const releases = new s3.Bucket(web, 'Releases', {
  versioned: true,
  eventBridgeEnabled: true,
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
});
new BlueGreenEfsDeploy(web, 'MarketingSite', {
  releaseName: 'shop-web',
  source: PipelineSource.s3({ bucket: releases, objectKey: 'web/site.zip' }),
  contentBuild: { commands: ['npm ci', 'npm run build'], outputDirectory: 'dist' },
  healthCheckPath: '/health.html',
  terminationWaitTime: Duration.minutes(120),
  hookCommands: { afterInstall: ['systemctl reload nginx'] },
  // An example without a domain: plain HTTP on purpose. A real site passes
  // `certificate` (an ACM certificate) instead: HTTPS, and HTTP redirects.
  allowPlaintextHttp: true,
});

// Target accounts: the action role and the CloudFormation execution role.
for (const target of [DEV, ...TENANTS]) {
  const stack = new Stack(app, `Target-${target.id}`, { env: { account: target.account, region: target.region } });
  new TenantDeploymentRole(stack, 'DeploymentRoles', {
    contract,
    executionRoleStatements: [new iam.PolicyStatement({
      actions: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes'],
      resources: [`arn:aws:sns:*:${target.account}:shop-*`],
    })],
    gitHubOidc: target.id === 'dev' ? { repository: 'acme/shop', branch: 'main' } : undefined,
    // The action role may also roll new code out to the contract's Lambda functions.
    permissions: [DeploymentPermissions.lambdaUpdate()],
  });
}

// Management account: its own deployment roles, whose action role may administer the
// contract's StackSets (the pipeline's Guardrails stage).
const managementRoles = new Stack(app, 'Target-management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
new TenantDeploymentRole(managementRoles, 'DeploymentRoles', { contract, stackSetAdministration: {} });

// Management account: the same roles rolled out by a StackSet to every account of an OU.
const management = new Stack(app, 'TenantRolesRollout', { env: { account: MANAGEMENT, region: 'us-east-1' } });
new TenantDeploymentRoleStackSet(management, 'TenantRoles', {
  contract,
  organizationalUnitIds: ['ou-ab12-34cd56ef'],
  executionRoleManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSNSFullAccess'],
});

app.synth();
