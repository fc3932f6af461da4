import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { HANDLER_RUNTIME } from '../../shared/handler-runtime';
import { addNagSuppressions, suppressLambdaBasicExecution } from '../../shared/nag-suppressions';
import { LiveColorFunction } from '../live-color-function';
import { releaseArns } from '../release-arns';
import { INITIAL_LIVE_VALUE, INITIAL_PENDING_VALUE } from '../release-state';

export interface LiveColorTrackerProps {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  /** Parameter path prefix, e.g. `/cdkx/bluegreen/shop-web`. */
  readonly parameterPrefix: string;
}

/**
 * The release state: which color serves traffic (`live`, written only by the
 * tracker when CodeDeploy reports a deployment settled) and which color the
 * last publish wrote (`pending`, written only by the publishing build).
 */
export class LiveColorTracker extends Construct {
  public readonly liveParameter: ssm.StringParameter;
  public readonly pendingParameter: ssm.StringParameter;
  public readonly handler: LiveColorFunction;

  constructor(scope: Construct, id: string, props: LiveColorTrackerProps) {
    super(scope, id);
    // Keep these two resources' properties constant: CloudFormation resends the
    // initial value on any property change, which would overwrite the state.
    this.liveParameter = new ssm.StringParameter(this, 'Live', {
      parameterName: `${props.parameterPrefix}/live`,
      description: 'Color serving traffic and the deployment that made it live; written only by the live-color tracker',
      stringValue: INITIAL_LIVE_VALUE,
    });
    this.pendingParameter = new ssm.StringParameter(this, 'Pending', {
      parameterName: `${props.parameterPrefix}/pending`,
      description: 'Color the last publish wrote, waiting for its deployment; written only by the publishing build',
      stringValue: INITIAL_PENDING_VALUE,
    });

    for (const parameter of [this.liveParameter, this.pendingParameter]) {
      // No tags either (a stack-wide Tags.of would otherwise update them and reset the state).
      (parameter.node.defaultChild as ssm.CfnParameter).addPropertyDeletionOverride('Tags');
    }

    this.handler = new LiveColorFunction(this, 'Handler', {
      description: 'Records the live color when CodeDeploy reports a blue/green deployment settled',
      runtime: HANDLER_RUNTIME,
      // Room for the handler's own backoff on throttled SSM and CodeDeploy calls.
      timeout: Duration.minutes(2),
      memorySize: 256,
      environment: {
        LIVE_PARAMETER_NAME: this.liveParameter.parameterName,
        PENDING_PARAMETER_NAME: this.pendingParameter.parameterName,
        APPLICATION_NAME: props.applicationName,
        DEPLOYMENT_GROUP_NAME: props.deploymentGroupName,
      },
      logGroup: new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_YEAR }),
    });
    this.liveParameter.grantRead(this.handler);
    this.liveParameter.grantWrite(this.handler);
    this.pendingParameter.grantRead(this.handler);
    this.handler.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadSettledDeployments',
      actions: ['codedeploy:GetDeployment'],
      resources: [releaseArns.deploymentGroup(props.applicationName, props.deploymentGroupName)],
    }));

    // CodeDeploy events reach the handler through a FIFO queue with one message
    // group: one at a time, in order (no two read-decide-writes of the state
    // overlap, without reserving Lambda concurrency). An event that keeps
    // failing moves to the dead-letter queue, and until the publishing build
    // sees its deployment recorded it refuses to pick a color.
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      fifo: true,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const deploymentEvents = new sqs.Queue(this, 'Events', {
      fifo: true,
      contentBasedDeduplication: true,
      visibilityTimeout: Duration.minutes(12),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    new events.Rule(this, 'DeploymentSettled', {
      description: 'CodeDeploy deployments of the blue/green group that succeeded, failed or stopped',
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: ['CodeDeploy Deployment State-change Notification'],
        detail: {
          application: [props.applicationName],
          deploymentGroup: [props.deploymentGroupName],
          state: ['SUCCESS', 'FAILURE', 'STOP'],
        },
      },
      targets: [new targets.SqsQueue(deploymentEvents, { messageGroupId: 'deployments' })],
    });
    this.handler.addEventSource(new lambdaEvents.SqsEventSource(deploymentEvents, { batchSize: 1 }));

    addNagSuppressions(deadLetters, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the live-color events.',
    }]);
    if (this.handler.role) suppressLambdaBasicExecution(this.handler.role);
  }
}
