/**
 * The tenant deploy states (Amazon States Language, JSONPath): one tenant
 * work item in, its stack deployed through a change set in the tenant's
 * account, its result recorded in the registry and published on EventBridge.
 * The same states are the ItemProcessor of each ring's Distributed Map and
 * the body of the onboarding state machine.
 *
 * Pure: values may be CDK tokens (strings), but nothing here imports CDK, so
 * the states can be built and walked in tests as plain JSON.
 *
 * State data: the work item at the root (`tenantId`, `account`, `region`,
 * `ring`, `stackName`, `actionRoleArn`, `executionRoleArn`, `templateUrl`,
 * `release`, `parameters`); the states add `deploy` (the schedules),
 * `polls.<phase>` (wait counters), `describe`, `changeSet`, `error`, `result`.
 *
 * What the choices rely on, and where it comes from:
 * - AWS SDK integration errors are named `<ServiceName>.<ErrorName>`, both in
 *   PascalCase, with an `Exception` suffix added even where the service's API
 *   reference has none (Step Functions developer guide, "Learning to use AWS
 *   service SDK integrations in Step Functions",
 *   https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
 *   CloudFormation reports a missing stack as error code `ValidationError`
 *   with message "Stack with id <name> does not exist" (boto/boto3#2807,
 *   aws-actions/aws-cloudformation-github-deploy#129) and throttling as
 *   `Throttling` / "Rate exceeded". Neither code is in CloudFormation's API
 *   model, so the SDK behind the integration may surface them as the service's
 *   base exception (`CloudFormation.CloudFormationException`, as the Java SDK
 *   v2 does: aws/aws-toolkit-jetbrains#3301) or, by the naming rule above, as
 *   `CloudFormation.ValidationErrorException` / `CloudFormation.ThrottlingException`.
 *   ASSUMPTION (not stated by the docs): which of the two Step Functions
 *   reports. So the missing stack is matched broadly: any `CloudFormation.*`
 *   error whose cause says "does not exist"; throttling is retried under every
 *   one of these names (see CFN_RETRY).
 * - A task with `Credentials` runs with the role Step Functions assumes for it
 *   ("Accessing resources in other AWS accounts in Step Functions",
 *   https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html;
 *   TaskCredentials in the API reference). The docs do not name the error of a
 *   role that cannot be assumed (missing role, trust not yet in place).
 *   ASSUMPTION: it surfaces with an error we do not rely on (`States.TaskFailed`
 *   or a `*.AccessDenied*` name) and a cause carrying STS's AccessDenied text
 *   ("... is not authorized to perform: sts:AssumeRole on resource: ...").
 *   So the role is "not ready" whatever the error name, when the cause matches
 *   one of ROLE_NOT_READY_CAUSE_PATTERNS, which also cover CloudFormation's
 *   own AccessDenied while the new role's policy propagates.
 * - Choice rules fail the execution with States.Runtime when the variable is
 *   missing, so a rule reading `$.error.Cause` comes after one that sends a
 *   missing Cause elsewhere.
 * - A change set with nothing to do ends FAILED with StatusReason "The
 *   submitted information didn't contain changes. Submit different
 *   information to create a change set." (or "No updates are to be
 *   performed." for some stacks): a success, after DeleteChangeSet.
 */

/** Names of the tenant deploy states (prefixed with the ring's `<Ring>-` inside a rollout). */
export const TENANT_STATES = {
  PREPARE: 'PrepareDeploy',
  DESCRIBE_STACK: 'DescribeStack',
  DESCRIBE_STACK_ERROR: 'WhyDescribeStackFailed',
  STACK_STATE: 'StackState',
  ROLE_NOT_READY: 'RoleNotReady',
  ROLE_WAIT_FIRST: 'RoleWaitFirst',
  ROLE_WAIT_LONGER: 'RoleWaitLonger',
  WAIT_FOR_ROLE: 'WaitForRole',
  ROLE_NOT_ASSUMABLE: 'RoleNotAssumable',
  STACK_NEVER_CREATED: 'StackNeverCreated',
  STACK_BUSY_NEXT: 'StackBusyWaitNext',
  STACK_BUSY_WAIT: 'StackBusyWait',
  USE_CREATE: 'UseCreateChangeSet',
  USE_UPDATE: 'UseUpdateChangeSet',
  CREATE_CHANGE_SET: 'CreateChangeSet',
  CHANGE_SET_NEXT: 'ChangeSetWaitNext',
  CHANGE_SET_WAIT: 'ChangeSetWait',
  DESCRIBE_CHANGE_SET: 'DescribeChangeSet',
  CHANGE_SET_STATE: 'ChangeSetState',
  READ_CHANGE_SET_FAILURE: 'ReadChangeSetFailure',
  WHY_CHANGE_SET_FAILED: 'WhyChangeSetFailed',
  DELETE_CHANGE_SET: 'DeleteChangeSet',
  NO_CHANGES: 'NoChanges',
  CHANGE_SET_FAILED: 'ChangeSetFailed',
  CHANGE_SET_FAILED_NO_REASON: 'ChangeSetFailedNoReason',
  EXECUTE_CHANGE_SET: 'ExecuteChangeSet',
  OPERATION_NEXT: 'StackOperationWaitNext',
  OPERATION_WAIT: 'StackOperationWait',
  DESCRIBE_STACKS: 'DescribeStacks',
  OPERATION_STATE: 'StackOperationState',
  DEPLOYED: 'Deployed',
  STACK_FAILED: 'StackOperationFailed',
  STACK_FAILED_NO_REASON: 'StackOperationFailedNoReason',
  CALL_FAILED: 'WhyCallFailed',
  CALL_FAILED_WITH_CAUSE: 'CallFailed',
  CALL_FAILED_NO_CAUSE: 'CallFailedNoCause',
  RECORD_SUCCESS: 'RecordSuccess',
  RECORD_FAILURE: 'RecordFailure',
  EMIT_RESULT: 'EmitResult',
  OUTCOME: 'TenantOutcome',
  SUCCEEDED: 'TenantDeployed',
  FAILED: 'TenantDeploymentFailed',
} as const;

/** The error of a tenant whose deploy failed (what its child execution, or the onboarding execution, fails with). */
export const TENANT_DEPLOYMENT_FAILED_ERROR = 'TenantDeploymentFailed';

/** EventBridge source and detail-type of a tenant result. */
export const FLEET_EVENT_SOURCE = 'cdk-cross-account-cicd.fleet';
export const TENANT_RESULT_DETAIL_TYPE = 'Fleet Tenant Result';

/** Causes that mean "the tenant's roles are not there or not usable yet" (see the file comment). */
export const ROLE_NOT_READY_CAUSE_PATTERNS = [
  '*sts:AssumeRole*',
  '*AssumeRole*',
  '*not authorized to assume*',
  '*assume the provided role*',
  '*is not authorized to perform*',
];
/**
 * Errors that also mean "not ready": `States.Permissions` is documented as "a Task state failed
 * because it had insufficient privileges" ("Handling errors in Step Functions workflows",
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
export const ROLE_NOT_READY_ERRORS = ['States.Permissions'];
/** A missing stack: a CloudFormation error whose cause says so. */
export const STACK_MISSING_ERROR_PATTERN = 'CloudFormation.*';
export const STACK_MISSING_CAUSE_PATTERN = '*does not exist*';
/** StatusReasons of a change set that has nothing to change. */
export const NO_CHANGES_PATTERNS = ["*didn't contain changes*", '*No updates are to be performed*'];

/** Errors under which CloudFormation throttling may arrive; retried on every CloudFormation task. */
export const CFN_THROTTLING_ERRORS = [
  'CloudFormation.ThrottlingException',
  'CloudFormation.ThrottlingErrorException',
  // Unmodelled codes ("Throttling: Rate exceeded") may arrive as the base exception;
  // Retry cannot look at the cause, so other base-exception errors are retried too
  // (a few seconds; every call below is safe to repeat).
  'CloudFormation.CloudFormationException',
];
/** The Retry of every CloudFormation task. */
export const CFN_RETRY = [{
  ErrorEquals: CFN_THROTTLING_ERRORS,
  IntervalSeconds: 1,
  MaxAttempts: 4,
  BackoffRate: 2,
  MaxDelaySeconds: 20,
  JitterStrategy: 'FULL',
}];

/**
 * The default waits between polls of a change set or a stack operation, in
 * seconds (the last repeats). Flat 30 s: with thousands of children starting
 * together, shorter first polls put the account over Step Functions' state
 * transition refill (1,500/s in the largest regions); `npm run bench` measured
 * 2,650/s at 5,000 tenants with 5/10/15/30 and 1,186/s with 30.
 */
export const DEFAULT_POLL_SCHEDULE = [30];

/** What the tenant deploy states are built from. Strings may be CDK tokens. */
export interface TenantDeployStatesOptions {
  readonly partition: string;
  /** The registry table (RecordSuccess / RecordFailure). */
  readonly tableName: string;
  /** The event bus of the tenant results (name or ARN). */
  readonly eventBusArn: string;
  /**
   * Waits, in seconds, between DescribeStack attempts while the action role
   * cannot be assumed; their sum is the window after which the tenant fails.
   */
  readonly roleWaitSchedule: number[];
  /** Waits, in seconds, between polls of a change set or stack operation; the last one repeats. */
  readonly pollSchedule?: number[];
  /** Prefix of every state name (`<Ring>-` in a rollout, so names stay unique in the machine). */
  readonly prefix?: string;
}

type State = Record<string, unknown>;

/** The tenant deploy states: `{ StartAt, States }`, ready to be an ItemProcessor or a machine body. */
export function tenantDeployStates(o: TenantDeployStatesOptions): { StartAt: string; States: Record<string, State> } {
  const prefix = o.prefix ?? '';
  const n = (name: string) => `${prefix}${name}`;
  const S = TENANT_STATES;
  const poll = o.pollSchedule ?? DEFAULT_POLL_SCHEDULE;
  if (poll.length === 0 || poll.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`pollSchedule must be whole seconds of at least 1, got ${JSON.stringify(poll)}`);
  }
  if (o.roleWaitSchedule.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`roleWaitSchedule must be whole seconds of at least 1, got ${JSON.stringify(o.roleWaitSchedule)}`);
  }
  const window = describeSeconds(o.roleWaitSchedule.reduce((a, b) => a + b, 0));
  const cfn = (action: string) => `arn:${o.partition}:states:::aws-sdk:cloudformation:${action}`;
  const credentials = { 'RoleArn.$': '$.actionRoleArn' };
  const catchAll = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: n(next) }];
  const result = (status: string, reasonExpression: string, next: string): State => ({
    Type: 'Pass',
    Parameters: { status, 'reason.$': reasonExpression },
    ResultPath: '$.result',
    Next: n(next),
  });

  const states: Record<string, State> = {
    [n(S.PREPARE)]: {
      Type: 'Pass',
      Comment: 'The schedules travel with the item so the wait states can index them',
      Parameters: { roleWaits: o.roleWaitSchedule, pollWaits: poll },
      ResultPath: '$.deploy',
      Next: n(S.DESCRIBE_STACK),
    },

    // 1. Does the stack exist (and can the action role be assumed yet)?
    [n(S.DESCRIBE_STACK)]: {
      Type: 'Task',
      Resource: cfn('describeStacks'),
      Credentials: credentials,
      Parameters: { 'StackName.$': '$.stackName' },
      ResultSelector: { 'StackStatus.$': '$.Stacks[0].StackStatus' },
      ResultPath: '$.describe',
      Retry: CFN_RETRY,
      Catch: catchAll(S.DESCRIBE_STACK_ERROR),
      Next: n(S.STACK_STATE),
    },
    [n(S.DESCRIBE_STACK_ERROR)]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.error.Cause', IsPresent: false, Next: n(S.CALL_FAILED) },
        {
          Or: [
            ...ROLE_NOT_READY_CAUSE_PATTERNS.map((p) => ({ Variable: '$.error.Cause', StringMatches: p })),
            ...ROLE_NOT_READY_ERRORS.map((e) => ({ Variable: '$.error.Error', StringEquals: e })),
          ],
          Next: n(S.ROLE_NOT_READY),
        },
        {
          And: [
            { Variable: '$.error.Error', StringMatches: STACK_MISSING_ERROR_PATTERN },
            { Variable: '$.error.Cause', StringMatches: STACK_MISSING_CAUSE_PATTERN },
          ],
          Next: n(S.USE_CREATE),
        },
      ],
      Default: n(S.CALL_FAILED),
    },
    ...waitStates(n, 'Role', {
      choice: S.ROLE_NOT_READY,
      first: S.ROLE_WAIT_FIRST,
      longer: S.ROLE_WAIT_LONGER,
      wait: S.WAIT_FOR_ROLE,
      schedulePath: '$.deploy.roleWaits',
      schedule: o.roleWaitSchedule,
      then: S.DESCRIBE_STACK,
      // The window is over: the tenant fails.
      exhausted: S.ROLE_NOT_ASSUMABLE,
    }),
    [n(S.ROLE_NOT_ASSUMABLE)]: result('FAILED',
      `States.Format('the action role {} could not be assumed for ${window} (deploy the tenant roles into account {}, then re-run): {}', $.actionRoleArn, $.account, $.error.Cause)`,
      S.RECORD_FAILURE),
    [n(S.STACK_STATE)]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.describe.StackStatus', StringEquals: 'ROLLBACK_COMPLETE', Next: n(S.STACK_NEVER_CREATED) },
        // Created by a CREATE change set that never ran: it still takes a CREATE change set.
        { Variable: '$.describe.StackStatus', StringEquals: 'REVIEW_IN_PROGRESS', Next: n(S.USE_CREATE) },
        { Variable: '$.describe.StackStatus', StringMatches: '*_IN_PROGRESS', Next: n(S.STACK_BUSY_NEXT) },
      ],
      Default: n(S.USE_UPDATE),
    },
    ...waitStates(n, 'StackBusy', {
      choice: S.STACK_BUSY_NEXT,
      first: `${S.STACK_BUSY_WAIT}First`,
      longer: `${S.STACK_BUSY_WAIT}Longer`,
      wait: S.STACK_BUSY_WAIT,
      schedulePath: '$.deploy.pollWaits',
      schedule: poll,
      then: S.DESCRIBE_STACK,
    }),
    [n(S.STACK_NEVER_CREATED)]: result('FAILED',
      "States.Format('stack {} is ROLLBACK_COMPLETE: its first creation failed, so it never created and cannot be updated; delete the stack and re-run the rollout to create it again', $.stackName)",
      S.RECORD_FAILURE),

    // 2. A change set: CREATE for a new stack, UPDATE otherwise.
    [n(S.USE_CREATE)]: changeSetName('CREATE', n(S.CREATE_CHANGE_SET)),
    [n(S.USE_UPDATE)]: changeSetName('UPDATE', n(S.CREATE_CHANGE_SET)),
    [n(S.CREATE_CHANGE_SET)]: {
      Type: 'Task',
      Resource: cfn('createChangeSet'),
      Credentials: credentials,
      Parameters: {
        'StackName.$': '$.stackName',
        'ChangeSetName.$': '$.changeSet.name',
        'ChangeSetType.$': '$.changeSet.type',
        'TemplateURL.$': '$.templateUrl',
        'Parameters.$': '$.parameters',
        'RoleARN.$': '$.executionRoleArn',
        'Capabilities': ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        'Description.$': "States.Format('cdk-cross-account-cicd fleet release {}', $.release)",
      },
      ResultPath: null,
      Retry: CFN_RETRY,
      Catch: catchAll(S.CALL_FAILED),
      Next: n(S.CHANGE_SET_NEXT),
    },
    ...waitStates(n, 'ChangeSet', {
      choice: S.CHANGE_SET_NEXT,
      first: `${S.CHANGE_SET_WAIT}First`,
      longer: `${S.CHANGE_SET_WAIT}Longer`,
      wait: S.CHANGE_SET_WAIT,
      schedulePath: '$.deploy.pollWaits',
      schedule: poll,
      then: S.DESCRIBE_CHANGE_SET,
    }),
    [n(S.DESCRIBE_CHANGE_SET)]: {
      Type: 'Task',
      Resource: cfn('describeChangeSet'),
      Credentials: credentials,
      Parameters: { 'StackName.$': '$.stackName', 'ChangeSetName.$': '$.changeSet.name' },
      // Only the status: the change list can be large (the 256 KiB state payload limit).
      ResultSelector: { 'Status.$': '$.Status' },
      ResultPath: '$.changeSet.described',
      Retry: CFN_RETRY,
      Catch: catchAll(S.CALL_FAILED),
      Next: n(S.CHANGE_SET_STATE),
    },
    [n(S.CHANGE_SET_STATE)]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.changeSet.described.Status', StringEquals: 'CREATE_COMPLETE', Next: n(S.EXECUTE_CHANGE_SET) },
        { Variable: '$.changeSet.described.Status', StringEquals: 'FAILED', Next: n(S.READ_CHANGE_SET_FAILURE) },
      ],
      Default: n(S.CHANGE_SET_NEXT),
    },
    [n(S.READ_CHANGE_SET_FAILURE)]: {
      Type: 'Task',
      Comment: 'A failed change set has no changes, so its full description is small',
      Resource: cfn('describeChangeSet'),
      Credentials: credentials,
      Parameters: { 'StackName.$': '$.stackName', 'ChangeSetName.$': '$.changeSet.name' },
      ResultPath: '$.changeSet.failure',
      Retry: CFN_RETRY,
      Catch: catchAll(S.CALL_FAILED),
      Next: n(S.WHY_CHANGE_SET_FAILED),
    },
    [n(S.WHY_CHANGE_SET_FAILED)]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.changeSet.failure.StatusReason', IsPresent: false, Next: n(S.CHANGE_SET_FAILED_NO_REASON) },
        {
          Or: NO_CHANGES_PATTERNS.map((p) => ({ Variable: '$.changeSet.failure.StatusReason', StringMatches: p })),
          Next: n(S.DELETE_CHANGE_SET),
        },
      ],
      Default: n(S.CHANGE_SET_FAILED),
    },
    [n(S.DELETE_CHANGE_SET)]: {
      Type: 'Task',
      Resource: cfn('deleteChangeSet'),
      Credentials: credentials,
      Parameters: { 'StackName.$': '$.stackName', 'ChangeSetName.$': '$.changeSet.name' },
      ResultPath: null,
      Retry: CFN_RETRY,
      // An empty change set left behind is harmless: the tenant is still on the release.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.deleteError', Next: n(S.NO_CHANGES) }],
      Next: n(S.NO_CHANGES),
    },
    [n(S.NO_CHANGES)]: {
      Type: 'Pass',
      Parameters: { status: 'SUCCEEDED', reason: 'no changes: the stack already matches the release' },
      ResultPath: '$.result',
      Next: n(S.RECORD_SUCCESS),
    },
    [n(S.CHANGE_SET_FAILED)]: result('FAILED',
      "States.Format('change set {} of stack {} failed: {}', $.changeSet.name, $.stackName, $.changeSet.failure.StatusReason)",
      S.RECORD_FAILURE),
    [n(S.CHANGE_SET_FAILED_NO_REASON)]: result('FAILED',
      "States.Format('change set {} of stack {} failed without a reason', $.changeSet.name, $.stackName)",
      S.RECORD_FAILURE),

    // 3. Execute it and follow the stack operation.
    [n(S.EXECUTE_CHANGE_SET)]: {
      Type: 'Task',
      Resource: cfn('executeChangeSet'),
      Credentials: credentials,
      Parameters: { 'StackName.$': '$.stackName', 'ChangeSetName.$': '$.changeSet.name' },
      ResultPath: null,
      Retry: CFN_RETRY,
      Catch: catchAll(S.CALL_FAILED),
      Next: n(S.OPERATION_NEXT),
    },
    ...waitStates(n, 'Operation', {
      choice: S.OPERATION_NEXT,
      first: `${S.OPERATION_WAIT}First`,
      longer: `${S.OPERATION_WAIT}Longer`,
      wait: S.OPERATION_WAIT,
      schedulePath: '$.deploy.pollWaits',
      schedule: poll,
      then: S.DESCRIBE_STACKS,
    }),
    [n(S.DESCRIBE_STACKS)]: {
      Type: 'Task',
      Resource: cfn('describeStacks'),
      Credentials: credentials,
      Parameters: { 'StackName.$': '$.stackName' },
      ResultSelector: { 'Stack.$': '$.Stacks[0]' },
      ResultPath: '$.operation',
      Retry: CFN_RETRY,
      Catch: catchAll(S.CALL_FAILED),
      Next: n(S.OPERATION_STATE),
    },
    [n(S.OPERATION_STATE)]: {
      Type: 'Choice',
      Choices: [
        {
          Or: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'].map((s) => ({ Variable: '$.operation.Stack.StackStatus', StringEquals: s })),
          Next: n(S.DEPLOYED),
        },
        { Variable: '$.operation.Stack.StackStatus', StringMatches: '*_IN_PROGRESS', Next: n(S.OPERATION_NEXT) },
        { Variable: '$.operation.Stack.StackStatusReason', IsPresent: true, Next: n(S.STACK_FAILED) },
      ],
      Default: n(S.STACK_FAILED_NO_REASON),
    },
    [n(S.DEPLOYED)]: {
      Type: 'Pass',
      Parameters: { 'status': 'SUCCEEDED', 'reason.$': "States.Format('stack {} is {}', $.stackName, $.operation.Stack.StackStatus)" },
      ResultPath: '$.result',
      Next: n(S.RECORD_SUCCESS),
    },
    [n(S.STACK_FAILED)]: result('FAILED',
      "States.Format('stack {} ended {}: {}', $.stackName, $.operation.Stack.StackStatus, $.operation.Stack.StackStatusReason)",
      S.RECORD_FAILURE),
    [n(S.STACK_FAILED_NO_REASON)]: result('FAILED',
      "States.Format('stack {} ended {}', $.stackName, $.operation.Stack.StackStatus)",
      S.RECORD_FAILURE),

    // Any call that failed for another reason.
    [n(S.CALL_FAILED)]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.error.Cause', IsPresent: true, Next: n(S.CALL_FAILED_WITH_CAUSE) }],
      Default: n(S.CALL_FAILED_NO_CAUSE),
    },
    [n(S.CALL_FAILED_WITH_CAUSE)]: result('FAILED', "States.Format('{}: {}', $.error.Error, $.error.Cause)", S.RECORD_FAILURE),
    [n(S.CALL_FAILED_NO_CAUSE)]: result('FAILED', "States.Format('{}', $.error.Error)", S.RECORD_FAILURE),

    // 4. Record and publish the result (the engine's own role: no Credentials).
    [n(S.RECORD_SUCCESS)]: recordState(o, 'SUCCEEDED', n(S.EMIT_RESULT)),
    [n(S.RECORD_FAILURE)]: recordState(o, 'FAILED', n(S.EMIT_RESULT)),
    [n(S.EMIT_RESULT)]: {
      Type: 'Task',
      Resource: `arn:${o.partition}:states:::events:putEvents`,
      Parameters: {
        Entries: [{
          Source: FLEET_EVENT_SOURCE,
          DetailType: TENANT_RESULT_DETAIL_TYPE,
          EventBusName: o.eventBusArn,
          Detail: {
            'tenantId.$': '$.tenantId',
            'account.$': '$.account',
            'region.$': '$.region',
            'ring.$': '$.ring',
            'release.$': '$.release',
            'stackName.$': '$.stackName',
            'status.$': '$.result.status',
            'reason.$': '$.result.reason',
          },
        }],
      },
      ResultPath: null,
      // A lost event must not turn a deployed tenant into a failed one.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.emitError', Next: n(S.OUTCOME) }],
      Next: n(S.OUTCOME),
    },
    [n(S.OUTCOME)]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.result.status', StringEquals: 'SUCCEEDED', Next: n(S.SUCCEEDED) }],
      Default: n(S.FAILED),
    },
    [n(S.SUCCEEDED)]: { Type: 'Succeed' },
    [n(S.FAILED)]: {
      Type: 'Fail',
      Comment: "Fails the child execution, so the Map Run counts it against the ring's tolerance",
      Error: TENANT_DEPLOYMENT_FAILED_ERROR,
      CausePath: "States.Format('tenant {} ({} {}): {}', $.tenantId, $.account, $.region, $.result.reason)",
    },
  };

  return { StartAt: n(S.PREPARE), States: states };
}

/**
 * A wait loop over a schedule: the first wait, then each next one, then
 * either `exhausted` (the role window) or the last wait again (polls).
 * The counter lives at `$.polls.<key>` so each loop counts on its own.
 */
function waitStates(
  n: (name: string) => string,
  key: string,
  o: { choice: string; first: string; longer: string; wait: string; schedulePath: string; schedule: number[]; then: string; exhausted?: string },
): Record<string, State> {
  const counter = `$.polls.${key}`;
  const last = o.schedule.length - 1;
  if (o.schedule.length === 0) {
    // No window at all: straight to the end of the loop.
    return { [n(o.choice)]: { Type: 'Pass', Next: n(o.exhausted!) } };
  }
  return {
    [n(o.choice)]: {
      Type: 'Choice',
      Choices: [
        { Variable: counter, IsPresent: false, Next: n(o.first) },
        { Variable: `${counter}.attempt`, NumericLessThan: last, Next: n(o.longer) },
      ],
      Default: o.exhausted !== undefined ? n(o.exhausted) : n(o.wait),
    },
    [n(o.first)]: {
      Type: 'Pass',
      Parameters: { 'attempt': 0, 'seconds.$': `States.ArrayGetItem(${o.schedulePath}, 0)` },
      ResultPath: counter,
      Next: n(o.wait),
    },
    [n(o.longer)]: {
      Type: 'Pass',
      Parameters: {
        'attempt.$': `States.MathAdd(${counter}.attempt, 1)`,
        'seconds.$': `States.ArrayGetItem(${o.schedulePath}, States.MathAdd(${counter}.attempt, 1))`,
      },
      ResultPath: counter,
      Next: n(o.wait),
    },
    [n(o.wait)]: { Type: 'Wait', SecondsPath: `${counter}.seconds`, Next: n(o.then) },
  };
}

function changeSetName(type: 'CREATE' | 'UPDATE', next: string): State {
  return {
    Type: 'Pass',
    // Named before the call so a retried CreateChangeSet reuses the name.
    Parameters: { 'type': type, 'name.$': "States.Format('cdkx-{}', States.UUID())" },
    ResultPath: '$.changeSet',
    Next: next,
  };
}

/** UpdateItem of the tenant's record: lastResult (and lastRelease on success). */
function recordState(o: TenantDeployStatesOptions, status: 'SUCCEEDED' | 'FAILED', next: string): State {
  const lastResult = {
    M: {
      status: { S: status },
      reason: { 'S.$': '$.result.reason' },
      release: { 'S.$': '$.release' },
      at: { 'S.$': '$$.State.EnteredTime' },
    },
  };
  return {
    Type: 'Task',
    Resource: `arn:${o.partition}:states:::dynamodb:updateItem`,
    Parameters: {
      TableName: o.tableName,
      Key: { tenantId: { 'S.$': '$.tenantId' } },
      // A record deleted meanwhile is not brought back.
      ConditionExpression: 'attribute_exists(tenantId)',
      UpdateExpression: status === 'SUCCEEDED' ? 'SET lastRelease = :release, lastResult = :result' : 'SET lastResult = :result',
      ExpressionAttributeValues: {
        ':result': lastResult,
        ...(status === 'SUCCEEDED' ? { ':release': { 'S.$': '$.release' } } : {}),
      },
    },
    ResultPath: null,
    // The deploy outcome stands even if the record cannot be written (the event still tells).
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: next }],
    Next: next,
  };
}

/** 86400 -> "24 hours", 600 -> "10 minutes", 45 -> "45 seconds". */
export function describeSeconds(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
