import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { checkWithNag, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, FailureTolerance, FleetRing, FleetRollout, PipelineSource, TenantRegistry,
} from '../src';

/**
 * A tenant registry and a fleet rollout in the tooling account, with the rings
 * the issue names (a named canary, 1 %, 10 % behind an approval, the rest), and
 * an onboarding role that may register tenants, and a release pipeline whose
 * dev stage stays a pipeline stage and whose chain ends by handing the release
 * to the fleet rollout. Deploying it for real also
 * needs tenant accounts with TenantDeploymentRole and a release template in the
 * artifact store (see README, "Fleet rollouts"); the assertions read back what
 * can be checked in the tooling account alone.
 */
export function buildFleetRolloutIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  // A concrete region: the release pipeline places its artifact stores by region.
  const region = 'us-east-1';
  const stack = new Stack(app, 'cdkx-integ-fleet-rollout', { env: { account: INTEG_TOOLING_ACCOUNT, region } });
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, organizationId: 'o-integtest01', qualifier: 'integ' });
  const registry = new TenantRegistry(stack, 'Tenants', {
    // Named: the assertions, in their own stack, read the table by name.
    tableName: 'cdkx-integ-tenants',
    removalPolicy: RemovalPolicy.DESTROY,
    deletionProtection: false,
  });
  const rollout = new FleetRollout(stack, 'Fleet', {
    contract,
    registry,
    applicationName: 'app',
    rings: [
      FleetRing.named('canary', { bakeTime: Duration.minutes(10) }),
      FleetRing.percent(1),
      FleetRing.percent(10, { approval: true, approvalTimeout: Duration.hours(4), failureTolerance: FailureTolerance.percent(2) }),
      FleetRing.rest({ failureTolerance: FailureTolerance.percent(5) }),
    ],
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }),
    source: PipelineSource.connection({
      connectionArn: process.env.CDKX_INTEG_CONNECTION_ARN
        ?? `arn:aws:codeconnections:${region}:${INTEG_TOOLING_ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
      repository: 'acme/app',
      branch: 'main',
    }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'integ-app', templatePath: 'cdk.out/App.template.json' }),
    pipelineName: 'integ-fleet-release',
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: INTEG_TOOLING_ACCOUNT, region }] }],
    fleetRollout: { rollout, templatePath: 'cdk.out/App.template.json', parameters: { Stage: 'prod' } },
  });
  const vending = new iam.Role(stack, 'AccountVending', {
    description: 'Registers tenants (what an account vending flow would use)',
    assumedBy: new iam.AccountRootPrincipal(),
  });
  registry.grantRegister(vending);
  checkWithNag(stack);

  const integ = new IntegTest(app, 'FleetRolloutInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('DynamoDB', 'describeContinuousBackups', { TableName: registry.tableName })
    .expect(ExpectedResult.objectLike({ ContinuousBackupsDescription: { PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' } } }));
  integ.assertions
    .awsApiCall('StepFunctions', 'describeStateMachine', { stateMachineArn: rollout.stateMachine.stateMachineArn })
    .expect(ExpectedResult.objectLike({ status: 'ACTIVE', type: 'STANDARD' }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildFleetRolloutIntegApp().app.synth();
}
