import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { checkWithNag, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { CapacityStrategy, FargateSpotRunner } from '../src';
import { letLogsUseKey } from '../src/fargate-spot-runner/private/log-encryption';

/**
 * A FargateSpotRunner running a small shell job under the checkpoint wrapper
 * (the AWS CLI image has sh and aws) on Spot with on-demand fallback, started
 * nightly, by GitHub Actions of one repository and branch, and by the test:
 * the job is split over two tasks, and an alarm watches failed jobs; the
 * assertions check the cluster's capacity providers, start a job and wait
 * until it (both its tasks) succeeds. A real run needs the account's GitHub OIDC provider
 * only for the external CI role to be usable, not to deploy.
 */
export function buildFargateSpotRunnerIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-fargate-spot-runner', { env: { account: INTEG_TOOLING_ACCOUNT, region: 'us-east-1' } });
  // The jobs run in the private subnets behind the NAT gateway. The public
  // subnets hold only the NAT gateway, whose address is an Elastic IP, so
  // they need not hand out public IPs; a task given assignPublicIp asks for
  // its own in its awsvpc configuration, whatever the subnet's setting.
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
  // Rejected traffic, into a log group encrypted with its own key (as the runner's are).
  const flowLogsName = '/cdkx-integ/fargate-spot-runner/vpc-flow-logs';
  const flowLogsKey = new kms.Key(stack, 'FlowLogsKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  letLogsUseKey(stack, flowLogsKey, [flowLogsName], 'CloudWatchLogsEncryptsTheFlowLogs');
  const flowLogs = new logs.LogGroup(stack, 'FlowLogs', {
    logGroupName: flowLogsName, encryptionKey: flowLogsKey, retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY,
  });
  // Flow Logs assumes the role only for flow logs of this account:
  // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
  const flowLogsRole = new iam.Role(stack, 'FlowLogsRole', {
    assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
    }),
    description: 'Publishes the flow logs of the integ VPC',
  });
  vpc.addFlowLog('all', {
    trafficType: ec2.FlowLogTrafficType.REJECT,
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs, flowLogsRole),
  });
  // Explicit names: the assertions stack reads them across environments.
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, clusterName: 'cdkx-integ-jobs', containerInsightsV2: ecs.ContainerInsights.ENABLED });
  const token = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Token', { parameterName: '/cdkx-integ/job-token' });
  const runner = new FargateSpotRunner(stack, 'Runner', {
    cluster,
    stateMachineName: 'cdkx-integ-fargate-spot-runner',
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:2.22.0'),
    useCheckpointWrapper: true,
    // Counts on from the checkpoint, so a restarted run resumes where it stopped.
    command: ['sh', '-c', 'n=$(cat "$CHECKPOINT_DIR/step" 2>/dev/null || echo 0); while [ "$n" -lt 3 ]; do n=$((n+1)); echo "$n" > "$CHECKPOINT_DIR/step"; sleep 5; done'],
    secrets: { JOB_TOKEN: ecs.Secret.fromSsmParameter(token) },
    cpu: 256,
    memoryLimitMiB: 512,
    capacity: CapacityStrategy.spotWithOnDemandFallback(),
    maxInterruptionRestarts: 2,
    // Two tasks side by side, each counting in its own checkpoint prefix (checkpoints/<jobId>/<index>/).
    taskCount: 2,
    runTimeout: Duration.minutes(20),
    httpsEgressOnly: true,
    externalCi: { repository: process.env.CDKX_INTEG_REPOSITORY ?? 'acme/shop', branch: 'main' },
    schedule: events.Schedule.cron({ hour: '3', minute: '0' }),
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  runner.metricJobsFailed().createAlarm(stack, 'JobsFailed', {
    alarmDescription: 'A job of the integ runner failed',
    threshold: 1,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'FargateSpotRunnerInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('ECS', 'describeClusters', { clusters: [cluster.clusterName] })
    .expect(ExpectedResult.objectLike({ clusters: [{ capacityProviders: ['FARGATE', 'FARGATE_SPOT'] }] }));
  const start = integ.assertions.awsApiCall('StepFunctions', 'startExecution', {
    stateMachineArn: runner.stateMachine.stateMachineArn,
    input: JSON.stringify({ jobId: 'integ' }),
  });
  start.next(
    integ.assertions
      .awsApiCall('StepFunctions', 'describeExecution', { executionArn: start.getAttString('executionArn') })
      .expect(ExpectedResult.objectLike({ status: 'SUCCEEDED' }))
      .waitForAssertions({ totalTimeout: Duration.minutes(25), interval: Duration.seconds(30) }),
  );
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildFargateSpotRunnerIntegApp().app.synth();
}
