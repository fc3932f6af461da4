import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ArtifactStore, BlueGreenEfsDeploy, CapacityStrategy, CrossAccountPipeline, DeploymentContract, DeploymentKind, FailureTolerance, FargateSpotRunner,
  FleetRing, FleetRollout, PipelineSource, TenantDeploymentRole, TenantRegistry,
} from '../src';

/** A tenant of the demo fleet: a record in its region's registry, not a pipeline target. */
export interface DemoTenant {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The named ring the tenant's record asks for (the canary). */
  readonly ring?: string;
}

/** The demo software vendor: one tooling account, a dev account, three tenants in two regions. */
export const DEMO = {
  organizationId: 'o-demo000001',
  tooling: { account: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
  dev: { account: '222222222222', region: 'us-east-1' },
  tenants: [
    { name: 'acme', account: '333333333333', region: 'us-east-1', ring: 'canary' },
    { name: 'globex', account: '444444444444', region: 'eu-west-1' },
    { name: 'initech', account: '555555555555', region: 'eu-west-1' },
  ] as DemoTenant[],
  /** The application the tenants run: each tenant's stack is `shop-app` (the contract's prefix `shop-` and this). */
  applicationName: 'app',
  /** The registry table's name in every tooling region (one registry and rollout per region). */
  registryTableName: 'shop-tenants',
  /** An account outside the organization: it must be refused. */
  outsider: { account: '999999999999' },
};

export interface VendorApp {
  readonly app: App;
  readonly contract: DeploymentContract;
  readonly stores: ArtifactStore[];
  readonly pipeline: CrossAccountPipeline;
  readonly testRunner: FargateSpotRunner;
  readonly webTier: BlueGreenEfsDeploy;
  /** The tenant fleet: one registry and rollout per tooling region (a rollout deploys to its own region only). */
  readonly fleets: DemoFleet[];
}

/** The registry and rollout of one tooling region, and the demo tenants registered there. */
export interface DemoFleet {
  readonly region: string;
  readonly registry: TenantRegistry;
  readonly rollout: FleetRollout;
  readonly tenants: DemoTenant[];
}

/** The rings of every demo fleet: the canary tenant(s), 1 %, 10 % behind an approval, the rest. */
export function demoRings(): FleetRing[] {
  return [
    FleetRing.named('canary'),
    FleetRing.percent(1),
    FleetRing.percent(10, { approval: true, failureTolerance: FailureTolerance.percent(2) }),
    FleetRing.rest({ failureTolerance: FailureTolerance.percent(5) }),
  ];
}

/**
 * The vendor's CDK app: an artifact store per tooling region, the release
 * pipeline for the fixed environments (Dev and its web tier), the tenant fleet
 * as data (a TenantRegistry and a FleetRollout per tooling region, rings canary,
 * 1 %, 10 % behind an approval, the rest), the deployment roles in every target
 * account, the integration suite on Fargate Spot, and the marketing site's web
 * tier in the dev account, released blue/green from EFS.
 */
export function buildVendorApp(outdir?: string): VendorApp {
  const app = new App({ outdir, analyticsReporting: false });
  const contract = new DeploymentContract({
    toolingAccount: DEMO.tooling.account,
    organizationId: DEMO.organizationId,
    qualifier: 'shop',
  });

  const stores = DEMO.tooling.regions.map((region) => {
    const stack = new Stack(app, `Tooling-${region}`, { env: { account: DEMO.tooling.account, region } });
    return new ArtifactStore(stack, 'ArtifactStore', { contract });
  });

  const pipeline = new CrossAccountPipeline(Stack.of(stores[0]), 'Release', {
    contract,
    artifactStore: stores[0],
    pipelineName: 'shop-release',
    source: PipelineSource.connection({
      connectionArn: `arn:aws:codeconnections:us-east-1:${DEMO.tooling.account}:connection/00000000-demo`,
      repository: 'vendor/shop',
      branch: 'main',
    }),
    buildOptions: {
      commands: ['npm ci', 'npm test', 'npx cdk synth -o dist', 'npm run build --prefix web -- --out-dir ../dist/web'],
      outputDirectory: 'dist',
      testReportFiles: ['reports/*.xml'],
    },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'shop-app', templatePath: 'ShopApp.template.json' }),
    stages: [
      {
        name: 'Dev',
        targets: [{ id: 'dev', account: DEMO.dev.account, region: DEMO.dev.region }],
        verify: [{ name: 'IntegrationTests', commands: ['npm run test:integ'] }],
      },
      // The marketing site in dev: handed to its web tier, which releases it blue/green.
      { name: 'DevWeb', deploymentKind: DeploymentKind.blueGreenEfsRelease(), targets: [{ id: 'dev-web', account: DEMO.dev.account, region: DEMO.dev.region }] },
      // No tenant stage: the tenants are records in the fleet's registries below, so
      // adding one is writing a record, not a pipeline change.
    ],
  });

  // The tenant fleet: Step Functions calls CloudFormation in its own region, so each
  // tooling region (each has an artifact store) gets a registry and a rollout, and
  // a tenant is registered in the registry of its region.
  const fleets = stores.map((store): DemoFleet => {
    const stack = Stack.of(store);
    const registry = new TenantRegistry(stack, 'Tenants', { tableName: DEMO.registryTableName });
    const rollout = new FleetRollout(stack, 'Fleet', { contract, registry, applicationName: DEMO.applicationName, rings: demoRings() });
    return { region: stack.region, registry, rollout, tenants: DEMO.tenants.filter((t) => t.region === stack.region) };
  });

  // The application's long integration suite runs on Fargate Spot, started by the
  // vendor's GitHub Actions through the runner's OIDC role after Dev deployed.
  const toolingStack = Stack.of(stores[0]);
  const testRunner = new FargateSpotRunner(toolingStack, 'IntegrationTestRunner', {
    vpc: new ec2.Vpc(toolingStack, 'JobsVpc', { maxAzs: 2, natGateways: 1 }),
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:2.17.0'),
    command: ['sh', '-c', 'echo running the integration tests against dev'],
    cpu: 1024,
    memoryLimitMiB: 2048,
    capacity: CapacityStrategy.spotWithOnDemandFallback(),
    useCheckpointWrapper: true,
    externalCi: { repository: 'vendor/shop', branch: 'main' },
  });

  const targets = [{ name: 'dev', ...DEMO.dev }, ...DEMO.tenants];
  for (const target of targets) {
    const stack = new Stack(app, `Target-${target.name}`, { env: { account: target.account, region: target.region } });
    new TenantDeploymentRole(stack, 'DeploymentRoles', {
      contract,
      blueGreenEfsReleases: target.name === 'dev',
      executionRoleStatements: [new iam.PolicyStatement({
        actions: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes'],
        resources: [`arn:aws:sns:*:${target.account}:shop-*`],
      })],
    });
  }
  // The content-heavy marketing site: code on EFS in the dev account, released
  // blue/green from the web/ part of each build the release pipeline hands over.
  const webStack = new Stack(app, 'Web-dev', { env: { account: DEMO.dev.account, region: DEMO.dev.region } });
  const webTier = new BlueGreenEfsDeploy(webStack, 'MarketingSite', {
    releaseName: 'shop-web',
    releasedBy: contract,
    contentDirectory: 'web',
    healthCheckPath: '/health.html',
    // A dev web tier without a domain or certificate: internal, so only its VPC
    // reaches it. A public site passes `certificate` (HTTPS, HTTP redirects).
    internetFacing: false,
  });
  return { app, contract, stores, pipeline, testRunner, webTier, fleets };
}
