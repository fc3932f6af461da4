import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource } from '../src';

/**
 * A release pipeline in the tooling account deploying to a Dev and (after an
 * approval) a Prod target. For a real run the source is a CodeConnections
 * connection (CDKX_INTEG_CONNECTION_ARN, CDKX_INTEG_REPOSITORY) and the targets'
 * TenantDeploymentRole stacks must be deployed first (integ.tenant-deployment-role).
 * A failed Prod stage and a failed release (any pipeline of the chain) alert
 * an on-call topic, by an EventBridge rule and by a CloudWatch alarm.
 */
export function buildCrossAccountPipelineIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const region = 'us-east-1';
  const stack = new Stack(app, 'cdkx-integ-cross-account-pipeline', { env: { account: INTEG_TOOLING_ACCOUNT, region } });
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ' });
  const store = new ArtifactStore(stack, 'Store', {
    contract,
    readerAccounts: [INTEG_TENANT_ACCOUNT],
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  const topic = new sns.Topic(stack, 'Releases', { enforceSSL: true, masterKey: store.encryptionKey });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    pipelineName: 'cdkx-integ-release',
    source: PipelineSource.connection({
      connectionArn: process.env.CDKX_INTEG_CONNECTION_ARN ?? `arn:aws:codeconnections:${region}:${INTEG_TOOLING_ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
      repository: process.env.CDKX_INTEG_REPOSITORY ?? 'acme/shop',
      branch: 'main',
      filePaths: ['app/**'],
    }),
    buildOptions: {
      installCommands: ['npm ci'],
      commands: ['npm test', 'npx cdk synth --output dist'],
      outputDirectory: 'dist',
      testReportFiles: ['reports/junit.xml'],
    },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'integ-app', templatePath: 'App.template.json' }),
    notificationTopic: topic,
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: INTEG_TENANT_ACCOUNT, region }], verify: [{ name: 'SmokeTests', commands: ['npm run smoke'] }] },
      { name: 'Prod', approval: {}, targets: [{ id: 'prod', account: INTEG_TENANT_ACCOUNT, region: 'eu-west-1', parameters: { Stage: 'prod' } }] },
    ],
  });

  // Its own key: EventBridge and CloudWatch must be able to publish, and the artifact key stays for the pipeline.
  const alertsKey = new kms.Key(stack, 'AlertsKey', {
    description: 'Encrypts release alerts', enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY,
  });
  const alerts = new sns.Topic(stack, 'Alerts', { enforceSSL: true, masterKey: alertsKey });
  // The topic policy replaces SNS's default one, so the alarm's publisher needs its own grant (EventBridge's comes with its target).
  alerts.grantPublish(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
  pipeline.onStageFailed('ProdStageFailed', { stageName: 'Prod', target: new targets.SnsTopic(alerts) });
  const alarm = pipeline.alarmOnPipelineFailed('ReleaseFailed', { alarmName: 'cdkx-integ-release-failed' });
  alarm.addAlarmAction(new cloudwatchActions.SnsAction(alerts));
  checkWithNag(stack);

  const integ = new IntegTest(app, 'CrossAccountPipelineInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CodePipeline', 'getPipeline', { name: pipeline.pipelineNames[0] })
    .expect(ExpectedResult.objectLike({ pipeline: { pipelineType: 'V2', executionMode: 'QUEUED' } }));
  integ.assertions
    .awsApiCall('CloudWatch', 'describeAlarms', { AlarmNames: ['cdkx-integ-release-failed'] })
    .expect(ExpectedResult.objectLike({
      MetricAlarms: [{ Namespace: 'AWS/Events', MetricName: 'TriggeredRules', Threshold: 1, TreatMissingData: 'notBreaching' }],
    }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildCrossAccountPipelineIntegApp().app.synth();
}
