/**
 * The Amazon States Language definitions (JSONPath) of a FleetRollout: the
 * rollout state machine (lock, plan, rings of Distributed Maps with
 * tolerance, approval and bake, record, unlock) and the onboarding state
 * machine (plan one tenant, deploy the last finished release to it).
 *
 * Pure: values may be CDK tokens (strings), but nothing here imports CDK, so
 * the definitions can be built and walked in tests as plain JSON.
 *
 * What the definitions rely on, and where it comes from:
 * - Distributed Map: `ItemReader` `arn:<p>:states:::s3:getObject` with
 *   `ReaderConfig.InputType: JSON` reads a JSON array from S3;
 *   `ItemProcessor.ProcessorConfig` `{ Mode: DISTRIBUTED, ExecutionType:
 *   STANDARD }` runs each item as a child execution; `MaxConcurrency`;
 *   `ToleratedFailureCount` / `ToleratedFailurePercentage` fail the Map Run
 *   once more items failed, with `States.ExceedToleratedFailureThreshold`
 *   (Step Functions developer guide, "Handling errors in Step Functions
 *   workflows", https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html;
 *   "ItemReader (Map)", "ResultWriter (Map)"). With a `ResultWriter`
 *   (`arn:<p>:states:::s3:putObject`, Bucket + Prefix; the bucket must be in
 *   the state machine's account and Region) the Map's output is
 *   `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }` (observed output in
 *   "AWS Step Functions Distributed Map ResultWriter Example",
 *   https://sigpwned.com/2023/04/27/aws-step-functions-distributed-map-resultwriter-example).
 * - `DescribeMapRun` returns `itemCounts` { pending, running, succeeded,
 *   failed, timedOut, aborted, total, resultsWritten, ... }
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeMapRun.html);
 *   through `aws-sdk:sfn:describeMapRun` the keys arrive in PascalCase
 *   (`ItemCounts.Succeeded`) and errors as `Sfn.<Name>Exception` (the
 *   Floci emulator's StepFunctionsDescribeMapRunIntegrationTest, values it
 *   says were measured on us-east-1; consistent with the SDK integration
 *   naming rule in tenant-deploy-states.ts).
 * - DynamoDB optimized integration errors: a failed condition is
 *   `DynamoDB.ConditionalCheckFailedException`.
 * - `sns:publish.waitForTaskToken` waits until SendTaskSuccess /
 *   SendTaskFailure with the token (`$$.Task.Token`); `TimeoutSeconds` ends
 *   the wait with `States.Timeout`; a SendTaskFailure fails the task with the
 *   error it gives.
 * - LIMITATION to know: the AWS SDK integrations call the state machine's
 *   own Region ("cross-Region AWS SDK integration ... aren't available",
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html),
 *   so the CloudFormation calls reach tenant stacks in the engine's Region.
 */
import { FLEET_METRIC_NAMESPACE, LOCK_ITEM_ID, MAP_RESULTS_PREFIX, RELEASE_ITEM_ID } from '../fleet-locations';
import {
  DEFAULT_POLL_SCHEDULE, FLEET_EVENT_SOURCE, TENANT_DEPLOYMENT_FAILED_ERROR, TENANT_STATES, tenantDeployStates,
} from './tenant-deploy-states';

export { TENANT_STATES, TENANT_DEPLOYMENT_FAILED_ERROR, FLEET_EVENT_SOURCE, DEFAULT_POLL_SCHEDULE };

/** Names of the rollout's fixed states. Ring states are `<Ring>-<suffix>` (see RING_STATE_SUFFIXES). */
export const ROLLOUT_STATES = {
  ACQUIRE_LOCK: 'AcquireLock',
  READ_LOCK: 'ReadLock',
  LOCK_FOUND: 'LockFound',
  DESCRIBE_LOCK_HOLDER: 'DescribeLockHolder',
  IS_HOLDER_RUNNING: 'IsLockHolderRunning',
  ALREADY_RUNNING: 'RolloutAlreadyRunning',
  TAKE_OVER_LOCK: 'TakeOverLock',
  PLAN: 'PlanRollout',
  PLAN_FAILED: 'PlanFailed',
  RECORD_RELEASE: 'RecordRelease',
  RECORD_RELEASE_FAILED: 'RecordReleaseFailed',
  RELEASE_LOCK: 'ReleaseLock',
  SUCCEEDED_EVENT: 'RolloutSucceeded',
  SUCCEEDED: 'RolloutFinished',
  /** The stop path: releases the lock (DeleteItem), then the event, then the Fail. */
  STOPPED: 'RolloutStopped',
  STOPPED_EVENT: 'EmitRolloutStopped',
  STOP: 'StopRollout',
} as const;

/** Suffixes of the states rendered per ring: `<Ring>-HasTenants`, ... */
export const RING_STATE_SUFFIXES = {
  HAS_TENANTS: 'HasTenants',
  APPROVAL: 'Approval',
  APPROVAL_TIMED_OUT: 'ApprovalTimedOut',
  APPROVAL_REJECTED: 'ApprovalRejected',
  DEPLOY: 'Deploy',
  OVER_TOLERANCE: 'OverTolerance',
  DEPLOY_FAILED: 'DeployFailed',
  COUNTS: 'Counts',
  METRICS: 'Metrics',
  BAKE: 'Bake',
} as const;

/** The name of a ring's state: `ringState('canary', RING_STATE_SUFFIXES.DEPLOY)` = `canary-Deploy`. */
export function ringState(ring: string, suffix: string): string {
  return `${ring}-${suffix}`;
}

/** The prefix of the tenant deploy states inside a ring's Map (state names are unique in a machine). */
export function ringTenantPrefix(ring: string): string {
  return `${ring}-`;
}

/** Names of the onboarding state machine's own states (then the tenant deploy states, unprefixed). */
export const ONBOARDING_STATES = {
  PLAN: 'PlanTenant',
  SHOULD_DEPLOY: 'ShouldDeploy',
  USE_ITEM: 'UseWorkItem',
  NOTHING_TO_DEPLOY: 'NothingToDeploy',
} as const;

/** Error names of the Fail states (what DescribeExecution returns as `error`). */
export const ROLLOUT_ERRORS = {
  ALREADY_RUNNING: 'RolloutAlreadyRunning',
  STOPPED: 'RolloutStopped',
  TENANT_DEPLOYMENT_FAILED: TENANT_DEPLOYMENT_FAILED_ERROR,
} as const;

/** Errors the definitions catch by name. */
export const CAUGHT_ERRORS = {
  CONDITIONAL_CHECK_FAILED: 'DynamoDB.ConditionalCheckFailedException',
  EXCEED_TOLERATED_FAILURE_THRESHOLD: 'States.ExceedToleratedFailureThreshold',
  TIMEOUT: 'States.Timeout',
  EXECUTION_DOES_NOT_EXIST: 'Sfn.ExecutionDoesNotExistException',
} as const;

/** EventBridge detail-types of the rollout. */
export const ROLLOUT_DETAIL_TYPES = {
  FINISHED: 'Fleet Rollout Finished',
  STOPPED: 'Fleet Rollout Stopped',
} as const;

/** The registry's special items. */

/** Default CloudWatch namespace of the ring metrics. */
/** Where the Distributed Maps write their results in the work bucket. */

/** One configured ring, as the definition needs it. */
export interface RingDefinition {
  /** `^[A-Za-z0-9-]{1,32}$`; used in state names. */
  readonly name: string;
  readonly toleratedFailureCount?: number;
  readonly toleratedFailurePercentage?: number;
  readonly bakeSeconds: number;
  readonly approval: boolean;
  /** How long an approval may wait (required when `approval`). */
  readonly approvalTimeoutSeconds?: number;
}

/** What both definitions are built from. Strings may be CDK tokens. */
export interface FleetDefinitionCommonProps {
  readonly partition: string;
  readonly tableName: string;
  readonly plannerFunctionArn: string;
  /** The event bus of the fleet events (ARN or name). */
  readonly eventBusArn: string;
  /** Waits (seconds) while a tenant's action role cannot be assumed; the sum is the window. */
  readonly roleWaitSchedule: number[];
  /** Waits (seconds) between polls of a change set or stack operation; the last repeats. @default DEFAULT_POLL_SCHEDULE */
  readonly pollSchedule?: number[];
  /** @default FLEET_METRIC_NAMESPACE */
  readonly metricNamespace?: string;
}

/** What the rollout definition is built from. */
export interface RolloutDefinitionProps extends FleetDefinitionCommonProps {
  readonly workBucketName: string;
  /** Required when a ring has an approval. */
  readonly approvalTopicArn?: string;
  readonly rings: RingDefinition[];
  /** Child executions per ring at once. */
  readonly maxConcurrency: number;
}

type State = Record<string, unknown>;

/** The rollout state machine's definition as a JSON-able object. */
export function rolloutDefinition(p: RolloutDefinitionProps): Record<string, unknown> {
  validate(p);
  const R = ROLLOUT_STATES;
  const first = p.rings.length > 0 ? ringState(p.rings[0].name, RING_STATE_SUFFIXES.HAS_TENANTS) : R.RECORD_RELEASE;
  const ddb = (action: string) => `arn:${p.partition}:states:::dynamodb:${action}`;
  const lockKey = { tenantId: { S: LOCK_ITEM_ID } };
  const lockItem = {
    tenantId: { S: LOCK_ITEM_ID },
    executionArn: { 'S.$': '$$.Execution.Id' },
    startedAt: { 'S.$': '$$.Execution.StartTime' },
    release: { 'S.$': '$.release.version' },
  };

  const states: Record<string, State> = {
    // 1. One rollout per registry; a holder that is no longer RUNNING never blocks it.
    [R.ACQUIRE_LOCK]: {
      Type: 'Task',
      Resource: ddb('putItem'),
      Parameters: { TableName: p.tableName, Item: lockItem, ConditionExpression: 'attribute_not_exists(tenantId)' },
      ResultPath: null,
      Catch: [{ ErrorEquals: [CAUGHT_ERRORS.CONDITIONAL_CHECK_FAILED], ResultPath: '$.lockError', Next: R.READ_LOCK }],
      Next: R.PLAN,
    },
    [R.READ_LOCK]: {
      Type: 'Task',
      Resource: ddb('getItem'),
      Parameters: { TableName: p.tableName, Key: lockKey, ConsistentRead: true },
      ResultPath: '$.lock',
      Next: R.LOCK_FOUND,
    },
    [R.LOCK_FOUND]: {
      Type: 'Choice',
      Comment: 'Released between the two calls: try again',
      Choices: [{ Variable: '$.lock.Item', IsPresent: false, Next: R.ACQUIRE_LOCK }],
      Default: R.DESCRIBE_LOCK_HOLDER,
    },
    [R.DESCRIBE_LOCK_HOLDER]: {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::aws-sdk:sfn:describeExecution`,
      Parameters: { 'ExecutionArn.$': '$.lock.Item.executionArn.S' },
      ResultSelector: { 'Status.$': '$.Status' },
      ResultPath: '$.holder',
      // An execution whose history expired no longer holds anything.
      Catch: [{ ErrorEquals: [CAUGHT_ERRORS.EXECUTION_DOES_NOT_EXIST], ResultPath: '$.holderError', Next: R.TAKE_OVER_LOCK }],
      Next: R.IS_HOLDER_RUNNING,
    },
    [R.IS_HOLDER_RUNNING]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.holder.Status', StringEquals: 'RUNNING', Next: R.ALREADY_RUNNING }],
      Default: R.TAKE_OVER_LOCK,
    },
    [R.ALREADY_RUNNING]: {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.ALREADY_RUNNING,
      CausePath: "States.Format('Another rollout of this registry is running: {}. Wait for it to finish, or stop it: the next rollout takes over the lock of a stopped, failed or timed-out rollout.', $.lock.Item.executionArn.S)",
    },
    [R.TAKE_OVER_LOCK]: {
      Type: 'Task',
      Resource: ddb('putItem'),
      Parameters: {
        TableName: p.tableName,
        Item: lockItem,
        // Only if nobody took it over first.
        ConditionExpression: 'executionArn = :holder',
        ExpressionAttributeValues: { ':holder': { 'S.$': '$.lock.Item.executionArn.S' } },
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: [CAUGHT_ERRORS.CONDITIONAL_CHECK_FAILED], ResultPath: '$.lockError', Next: R.READ_LOCK }],
      Next: R.PLAN,
    },

    // 2. The planner: validates records, assigns rings, writes one ring file per ring.
    [R.PLAN]: {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::lambda:invoke`,
      Parameters: {
        FunctionName: p.plannerFunctionArn,
        Payload: { 'mode': 'rollout', 'release.$': '$.release', 'executionName.$': '$$.Execution.Name' },
      },
      ResultSelector: {
        'rings.$': '$.Payload.rings',
        'total.$': '$.Payload.total',
        'invalid.$': '$.Payload.invalid',
        'alreadyOnRelease.$': '$.Payload.alreadyOnRelease',
        'releaseParameters.$': '$.Payload.releaseParameters',
      },
      ResultPath: '$.plan',
      Retry: [{
        ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: R.PLAN_FAILED }],
      Next: first,
    },
    [R.PLAN_FAILED]: stopReason('PlanRollout', 'the planner failed'),
  };

  p.rings.forEach((ring, i) => {
    const next = i + 1 < p.rings.length ? ringState(p.rings[i + 1].name, RING_STATE_SUFFIXES.HAS_TENANTS) : R.RECORD_RELEASE;
    Object.assign(states, ringStates(p, ring, i, next));
  });

  Object.assign(states, {
    // 4. Done: the release is what onboarding deploys from now on.
    [R.RECORD_RELEASE]: {
      Type: 'Task',
      Resource: ddb('putItem'),
      Parameters: {
        TableName: p.tableName,
        Item: {
          tenantId: { S: RELEASE_ITEM_ID },
          version: { 'S.$': '$.release.version' },
          templateKey: { 'S.$': '$.release.templateKey' },
          // DynamoDB JSON cannot be built from an open map in JSONPath: the planner
          // gives the parameters as a JSON string (`{}` when the input has none).
          parameters: { 'S.$': '$.plan.releaseParameters' },
          at: { 'S.$': '$$.State.EnteredTime' },
          executionArn: { 'S.$': '$$.Execution.Id' },
        },
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: R.RECORD_RELEASE_FAILED }],
      Next: R.RELEASE_LOCK,
    },
    [R.RECORD_RELEASE_FAILED]: stopReason('RecordRelease', 'every ring finished but the release could not be recorded for onboarding'),
    [R.RELEASE_LOCK]: releaseLock(p, R.SUCCEEDED_EVENT),
    [R.SUCCEEDED_EVENT]: {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::events:putEvents`,
      Parameters: {
        Entries: [{
          Source: FLEET_EVENT_SOURCE,
          DetailType: ROLLOUT_DETAIL_TYPES.FINISHED,
          EventBusName: p.eventBusArn,
          Detail: {
            'release.$': '$.release.version',
            'executionArn.$': '$$.Execution.Id',
            'total.$': '$.plan.total',
            'invalid.$': '$.plan.invalid',
            'alreadyOnRelease.$': '$.plan.alreadyOnRelease',
          },
        }],
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.emitError', Next: R.SUCCEEDED }],
      Next: R.SUCCEEDED,
    },
    [R.SUCCEEDED]: { Type: 'Succeed' },

    // The stop path: unlock, tell, fail.
    [R.STOPPED]: releaseLock(p, R.STOPPED_EVENT),
    [R.STOPPED_EVENT]: {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::events:putEvents`,
      Parameters: {
        Entries: [{
          Source: FLEET_EVENT_SOURCE,
          DetailType: ROLLOUT_DETAIL_TYPES.STOPPED,
          EventBusName: p.eventBusArn,
          Detail: {
            'release.$': '$.release.version',
            'executionArn.$': '$$.Execution.Id',
            'stage.$': '$.stop.stage',
            'reason.$': '$.stop.why',
            'error.$': '$.failure.Error',
          },
        }],
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.emitError', Next: R.STOP }],
      Next: R.STOP,
    },
    [R.STOP]: {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.STOPPED,
      CausePath: "States.Format('Rollout of release {} stopped at {}: {} ({}). Later rings were not deployed; fix the cause and start the rollout again: tenants already on the release are skipped.', $.release.version, $.stop.stage, $.stop.why, $.failure.Error)",
    },
  });

  return {
    Comment: `FleetRollout: a release through ${p.rings.length} ring(s) (${p.rings.map((r) => r.name).join(', ')}) of the tenants of ${p.tableName}`,
    StartAt: R.ACQUIRE_LOCK,
    States: states,
  };
}

/** The states of ring `i`: HasTenants, [Approval], Deploy, Counts, Metrics, [Bake]. */
function ringStates(p: RolloutDefinitionProps, ring: RingDefinition, i: number, next: string): Record<string, State> {
  const X = RING_STATE_SUFFIXES;
  const s = (suffix: string) => ringState(ring.name, suffix);
  const ringPlan = `$.plan.rings[${i}]`;
  const afterCounts = s(X.METRICS);
  const afterMetrics = ring.bakeSeconds > 0 ? s(X.BAKE) : next;
  const deploy = s(X.DEPLOY);
  const tolerance = ring.toleratedFailurePercentage !== undefined
    ? { ToleratedFailurePercentage: ring.toleratedFailurePercentage }
    : { ToleratedFailureCount: ring.toleratedFailureCount ?? 0 };
  const toleranceText = ring.toleratedFailurePercentage !== undefined
    ? `${ring.toleratedFailurePercentage}% of its tenants`
    : `${ring.toleratedFailureCount ?? 0} tenant(s)`;
  const tenant = tenantDeployStates({
    partition: p.partition,
    tableName: p.tableName,
    eventBusArn: p.eventBusArn,
    roleWaitSchedule: p.roleWaitSchedule,
    pollSchedule: p.pollSchedule,
    prefix: ringTenantPrefix(ring.name),
  });
  const metric = (name: string, path: string) => ({
    'MetricName': name,
    'Value.$': path,
    'Unit': 'Count',
    'Dimensions': [
      { Name: 'Registry', Value: p.tableName },
      { 'Name': 'Release', 'Value.$': '$.release.version' },
      { Name: 'Ring', Value: ring.name },
    ],
  });

  const states: Record<string, State> = {
    [s(X.HAS_TENANTS)]: {
      Type: 'Choice',
      Comment: `Ring ${ring.name}: skipped when the plan put no tenant in it`,
      Choices: [{ Variable: `${ringPlan}.count`, NumericGreaterThan: 0, Next: ring.approval ? s(X.APPROVAL) : deploy }],
      Default: next,
    },
    [deploy]: {
      Type: 'Map',
      Comment: `Ring ${ring.name}: one child execution per tenant; stops the rollout past ${toleranceText} failed`,
      ItemReader: {
        Resource: `arn:${p.partition}:states:::s3:getObject`,
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket': p.workBucketName, 'Key.$': `${ringPlan}.itemsKey` },
      },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        ...tenant,
      },
      MaxConcurrency: p.maxConcurrency,
      ...tolerance,
      ResultWriter: {
        Resource: `arn:${p.partition}:states:::s3:putObject`,
        Parameters: { Bucket: p.workBucketName, Prefix: MAP_RESULTS_PREFIX },
      },
      ResultPath: '$.ringRun',
      Catch: [
        { ErrorEquals: [CAUGHT_ERRORS.EXCEED_TOLERATED_FAILURE_THRESHOLD], ResultPath: '$.failure', Next: s(X.OVER_TOLERANCE) },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: s(X.DEPLOY_FAILED) },
      ],
      Next: s(X.COUNTS),
    },
    [s(X.OVER_TOLERANCE)]: stopReason(ring.name, `more tenants failed than the ring tolerates (${toleranceText}); the failed tenants' lastResult in the registry says why`),
    [s(X.DEPLOY_FAILED)]: stopReason(ring.name, 'the ring deploy (Distributed Map) failed'),
    [s(X.COUNTS)]: {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::aws-sdk:sfn:describeMapRun`,
      Parameters: { 'MapRunArn.$': '$.ringRun.MapRunArn' },
      ResultSelector: {
        'succeeded.$': '$.ItemCounts.Succeeded',
        'failed.$': 'States.MathAdd(States.MathAdd($.ItemCounts.Failed, $.ItemCounts.TimedOut), $.ItemCounts.Aborted)',
        'pending.$': 'States.MathAdd($.ItemCounts.Pending, $.ItemCounts.Running)',
      },
      ResultPath: '$.counts',
      // Counts and metrics are for dashboards: their failure does not stop the rollout.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.countsError', Next: afterMetrics }],
      Next: afterCounts,
    },
    [s(X.METRICS)]: {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::aws-sdk:cloudwatch:putMetricData`,
      Parameters: {
        Namespace: p.metricNamespace ?? FLEET_METRIC_NAMESPACE,
        MetricData: [
          metric('TenantsSucceeded', '$.counts.succeeded'),
          metric('TenantsFailed', '$.counts.failed'),
          metric('TenantsPending', '$.counts.pending'),
        ],
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.metricsError', Next: afterMetrics }],
      Next: afterMetrics,
    },
  };
  if (ring.bakeSeconds > 0) {
    states[s(X.BAKE)] = { Type: 'Wait', Comment: `Ring ${ring.name} bakes before the next ring`, Seconds: ring.bakeSeconds, Next: next };
  }
  if (ring.approval) {
    const timeout = ring.approvalTimeoutSeconds!;
    states[s(X.APPROVAL)] = {
      Type: 'Task',
      Resource: `arn:${p.partition}:states:::sns:publish.waitForTaskToken`,
      Parameters: {
        'TopicArn': p.approvalTopicArn,
        'Subject': `Approve ring ${ring.name} of a fleet rollout`,
        'Message.$': approvalMessage(ring, ringPlan, timeout),
      },
      TimeoutSeconds: timeout,
      ResultPath: null,
      Catch: [
        { ErrorEquals: [CAUGHT_ERRORS.TIMEOUT], ResultPath: '$.failure', Next: s(X.APPROVAL_TIMED_OUT) },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: s(X.APPROVAL_REJECTED) },
      ],
      Next: deploy,
    };
    states[s(X.APPROVAL_TIMED_OUT)] = stopReason(ring.name, `nobody approved the ring within ${timeout} seconds`);
    states[s(X.APPROVAL_REJECTED)] = stopReason(ring.name, 'the ring was not approved (send-task-failure)');
  }
  return states;
}

/**
 * The approval message: release, ring, tenant count, token and the commands.
 * In an intrinsic string `{`, `}` and `'` are escaped with a backslash.
 */
function approvalMessage(ring: RingDefinition, ringPlan: string, timeout: number): string {
  const text = `Release {} is ready for ring ${ring.name} ({} tenants). `
    + 'To approve, run: aws stepfunctions send-task-success --task-token {} --task-output \\\'\\{\\}\\\' . '
    + 'To reject, run: aws stepfunctions send-task-failure --task-token {} --error Rejected --cause \\\'why\\\' . '
    + `Without an answer within ${timeout} seconds the rollout stops.`;
  return `States.Format('${text}', $.release.version, ${ringPlan}.count, $$.Task.Token, $$.Task.Token)`;
}

/** A Pass that says where and why the rollout stops, then the stop path. */
function stopReason(stage: string, why: string): State {
  return {
    Type: 'Pass',
    Parameters: { stage, why },
    ResultPath: '$.stop',
    Next: ROLLOUT_STATES.STOPPED,
  };
}

/** DeleteItem of `#lock`, only when this execution holds it. */
function releaseLock(p: FleetDefinitionCommonProps, next: string): State {
  return {
    Type: 'Task',
    Resource: `arn:${p.partition}:states:::dynamodb:deleteItem`,
    Parameters: {
      TableName: p.tableName,
      Key: { tenantId: { S: LOCK_ITEM_ID } },
      ConditionExpression: 'executionArn = :me',
      ExpressionAttributeValues: { ':me': { 'S.$': '$$.Execution.Id' } },
    },
    ResultPath: null,
    // Taken over meanwhile (this execution was thought dead): nothing to release.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.unlockError', Next: next }],
    Next: next,
  };
}

/** The onboarding state machine: plan one tenant, then the tenant deploy states with the long role window. */
export function onboardingDefinition(p: FleetDefinitionCommonProps): Record<string, unknown> {
  const O = ONBOARDING_STATES;
  const tenant = tenantDeployStates({
    partition: p.partition,
    tableName: p.tableName,
    eventBusArn: p.eventBusArn,
    roleWaitSchedule: p.roleWaitSchedule,
    pollSchedule: p.pollSchedule,
  });
  return {
    Comment: `FleetRollout onboarding: deploys the last finished release to a new or re-activated tenant of ${p.tableName}`,
    StartAt: O.PLAN,
    States: {
      [O.PLAN]: {
        Type: 'Task',
        Resource: `arn:${p.partition}:states:::lambda:invoke`,
        Parameters: { FunctionName: p.plannerFunctionArn, Payload: { 'mode': 'onboard', 'tenantId.$': '$.tenantId' } },
        ResultSelector: { 'deploy.$': '$.Payload.deploy', 'details.$': '$.Payload' },
        ResultPath: '$.plan',
        Retry: [{
          ErrorEquals: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
          IntervalSeconds: 2,
          MaxAttempts: 6,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        }],
        Next: O.SHOULD_DEPLOY,
      },
      [O.SHOULD_DEPLOY]: {
        Type: 'Choice',
        Choices: [{ Variable: '$.plan.deploy', BooleanEquals: true, Next: O.USE_ITEM }],
        Default: O.NOTHING_TO_DEPLOY,
      },
      [O.USE_ITEM]: {
        Type: 'Pass',
        Comment: 'The work item becomes the state, as in a ring',
        InputPath: '$.plan.details.item',
        Next: tenant.StartAt,
      },
      [O.NOTHING_TO_DEPLOY]: {
        Type: 'Succeed',
        Comment: 'No release finished yet, or the record is invalid (the planner marked it INVALID)',
      },
      ...tenant.States,
    },
  };
}

function validate(p: RolloutDefinitionProps): void {
  const names = new Set<string>();
  for (const ring of p.rings) {
    if (!/^[A-Za-z0-9-]{1,32}$/.test(ring.name)) throw new Error(`ring name '${ring.name}' must match ^[A-Za-z0-9-]{1,32}$ (it names states)`);
    if (names.has(ring.name)) throw new Error(`ring name '${ring.name}' is used twice`);
    names.add(ring.name);
    if (ring.toleratedFailureCount !== undefined && ring.toleratedFailurePercentage !== undefined) {
      throw new Error(`ring '${ring.name}': give toleratedFailureCount or toleratedFailurePercentage, not both`);
    }
    if (ring.approval && (p.approvalTopicArn === undefined || ring.approvalTimeoutSeconds === undefined)) {
      throw new Error(`ring '${ring.name}' has an approval: approvalTopicArn and approvalTimeoutSeconds are required`);
    }
  }
}
