import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { addNagSuppressions, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';
import { ENGINE_ITEM_PREFIX } from '../fleet-locations';
import { ITenantRegistry } from '../tenant-registry';

/** @internal */
export interface OnboardingPipeProps {
  readonly registry: ITenantRegistry;
  readonly tableStreamArn: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly encryptionKey: kms.IKey;
}

/**
 * The two record changes that mean "this tenant needs the current release":
 * a new active record, and a record that becomes active. Every other change
 * (the engine writing a result, a parameter edit, a suspension) starts
 * nothing, so the engine's own writes never loop back into onboarding.
 * EventBridge pattern syntax (`anything-but`, `prefix`):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html
 */
export function onboardingFilterPatterns(): string[] {
  const tenantKey = { Keys: { tenantId: { S: [{ 'anything-but': { prefix: ENGINE_ITEM_PREFIX } }] } } };
  const active = { status: { S: ['active'] } };
  return [
    { eventName: ['INSERT'], dynamodb: { ...tenantKey, NewImage: active } },
    { eventName: ['MODIFY'], dynamodb: { ...tenantKey, NewImage: active, OldImage: { status: { S: [{ 'anything-but': 'active' }] } } } },
  ].map((pattern) => JSON.stringify(pattern));
}

/**
 * Registry stream -> EventBridge Pipe -> onboarding state machine, no code in
 * between. A start that keeps failing lands in an encrypted dead-letter queue
 * (alarmed by the rollout), so no new tenant is lost silently.
 *
 * @internal
 */
export class OnboardingPipe extends Construct {
  public readonly deadLetterQueue: sqs.Queue;
  public readonly pipe: pipes.CfnPipe;

  constructor(scope: Construct, id: string, props: OnboardingPipeProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const role = new iam.Role(this, 'Role', {
      description: `Starts the onboarding of new tenants of ${scope.node.path}`,
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': props.stateMachine.env.account },
      }),
    });
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html (DynamoDB stream source)
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadRegistryStream',
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resources: [props.tableStreamArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListRegistryStreams',
      actions: ['dynamodb:ListStreams'],
      resources: [props.registry.tableArn, `${props.registry.tableArn}/stream/*`],
    }));
    props.registry.encryptionKey?.grantDecrypt(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'StartOnboarding',
      actions: ['states:StartExecution'],
      resources: [props.stateMachine.stateMachineArn],
    }));
    // Named actions, not grantSendMessages' wildcards: SQS needs these two on the queue's key.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'KeepFailedStarts', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
    props.encryptionKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: 'New and re-activated tenants get the last finished release',
      roleArn: role.roleArn,
      source: props.tableStreamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'LATEST',
          batchSize: 1,
          maximumRetryAttempts: 10,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: onboardingFilterPatterns().map((pattern) => ({ pattern })) },
      },
      target: props.stateMachine.stateMachineArn,
      targetParameters: {
        stepFunctionStateMachineParameters: { invocationType: 'FIRE_AND_FORGET' },
        inputTemplate: '{"tenantId": <$.dynamodb.Keys.tenantId.S>}',
      },
    });
    this.pipe.node.addDependency(role);
    addNagSuppressions(this.deadLetterQueue, [{ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the onboarding pipe.' }]);
    suppressOnDefaultPolicy(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'A table\'s stream ARN ends with its creation time; ListStreams is granted on the streams of the registry table only.',
      appliesTo: [{ regex: '/^Resource::<.*Table.*\\.Arn>\\/stream\\/\\*$/' }],
    }]);
  }
}
