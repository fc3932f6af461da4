/**
 * The Amazon States Language definition of a FargateSpotRunner: run the job
 * with `ecs:runTask.sync`, tell a start that failed for lack of capacity from
 * a job that failed and from a Spot interruption, restart interrupted jobs
 * from the same checkpoint location, and fall back to FARGATE once.
 *
 * Pure: values may be CDK tokens (strings), but nothing here imports CDK, so
 * the definition can be built and walked in tests as plain JSON.
 *
 * What runTask.sync reports, and what the choices below rely on:
 * - RunTask answering HTTP 200 with a non-empty `failures[]` (how ECS reports
 *   "Capacity is unavailable at this time. Please try again later or in a
 *   different availability zone") fails the state with `AmazonECS.Unknown`
 *   (Step Functions developer guide, "Manage Amazon ECS or Fargate tasks",
 *   awsdocs/aws-step-functions-developer-guide doc_source/connect-ecs.md).
 *   AWS Knowledge Center "ecs-fargate-runtask-capacity" reports the same
 *   capacity message surfacing as `ECS.AmazonECSException`; both are matched,
 *   and only when the cause carries the capacity message.
 * - A task that started and stopped with a non-zero exit code fails the state
 *   with `States.TaskFailed` whose Cause is the DescribeTasks task as compact
 *   JSON with PascalCase keys, e.g. `..."StopCode":"EssentialContainerExited",
 *   "StoppedReason":"Essential container in task exited"...` (a recorded
 *   failure event in mcattarinussi/step-functions-runtask-retry,
 *   test/data/error-events/failed-task-exit-code-1.json).
 * - A Fargate Spot reclaim sends SIGTERM, waits `stopTimeout` (max 120 s) and
 *   stops the task with stop code `SpotInterruption` (or `TerminationNotice`),
 *   the ECS TaskStopCode values also carried by the EventBridge "ECS Task State
 *   Change" event that runTask.sync waits on. A job that saved its checkpoint
 *   must still exit non-zero (the wrapper exits 143) so the run is not
 *   mistaken for a success; the stop code then tells an interruption apart.
 * - Choice rules fail the execution with States.Runtime when the variable is
 *   missing, so every rule that reads `$.failure.Cause` comes after a rule
 *   that sends a missing Cause elsewhere.
 *
 * With `taskCount` above 1 the job is split over that many tasks: an inline
 * Map state runs one iteration per task index (0 to taskCount - 1), each with
 * the same run / classify / restart / fallback states and its own restart
 * count and checkpoint location `checkpoints/<jobId>/<index>/`. A Fail state
 * reached in one iteration fails the Map with that Fail's error and cause,
 * and Step Functions stops the iterations still running ("Map state",
 * Step Functions developer guide: a failed iteration fails the Map unless
 * ToleratedFailureCount/Percentage say otherwise); the execution then fails
 * with that error. With one task the definition has no Map and the checkpoint
 * location stays `checkpoints/<jobId>/`.
 */
import type { PlannedShare } from '../capacity-strategy';

/** Environment variables every run of the job receives. */
export const RUNNER_ENVIRONMENT = {
  /** `s3://<bucket>/checkpoints/<jobId>/`: the same for every restart of a job. */
  CHECKPOINT_S3_URI: 'CHECKPOINT_S3_URI',
  /** The job id (the execution name unless the input gives `jobId`). */
  JOB_ID: 'RUNNER_JOB_ID',
  /** How many times the job was restarted after an interruption (0 on the first run). */
  RESTART_COUNT: 'RUNNER_RESTART_COUNT',
  /** `PRIMARY` for runs on the configured strategy, `FARGATE` for the on-demand fallback run. */
  CAPACITY: 'RUNNER_CAPACITY',
  /** The index of this task in the split, `0` to `RUNNER_TASK_COUNT - 1` (like CircleCI's CIRCLE_NODE_INDEX). */
  TASK_INDEX: 'RUNNER_TASK_INDEX',
  /** How many tasks the job is split over (`taskCount`; like CircleCI's CIRCLE_NODE_TOTAL). */
  TASK_COUNT: 'RUNNER_TASK_COUNT',
} as const;

/** Names of the states, for tests and for reading the execution history. */
export const RUNNER_STATES = {
  PICK_JOB_ID: 'Pick the job id',
  GIVEN_JOB_ID: 'Use the given job id',
  EXECUTION_JOB_ID: 'Use the execution name as job id',
  INVALID_INPUT: 'Invalid input',
  RUN: 'Run the job',
  CLASSIFY_RUN: 'Why did the run stop',
  RESTARTS_LEFT: 'Restarts left',
  COUNT_RESTART: 'Count the restart',
  RUN_ON_DEMAND: 'Run the job on FARGATE',
  CLASSIFY_ON_DEMAND: 'Why did the FARGATE run stop',
  SUCCEEDED: 'Job succeeded',
  JOB_FAILED: 'Job failed',
  NO_SPOT_CAPACITY: 'No Spot capacity',
  NO_ON_DEMAND_CAPACITY: 'No FARGATE capacity',
  INTERRUPTED_TOO_OFTEN: 'Interrupted too often',
  TIMED_OUT: 'Job timed out',
  RUN_FAILED: 'Could not run the job',
  /** With taskCount > 1: the Map state that runs one iteration per task. */
  RUN_TASKS: 'Run the tasks',
} as const;

/** Error names of the runner's Fail states (what `DescribeExecution` returns as `error`). */
export const RUNNER_ERRORS = {
  INVALID_INPUT: 'FargateSpotRunner.InvalidInput',
  JOB_FAILED: 'FargateSpotRunner.JobFailed',
  NO_CAPACITY: 'FargateSpotRunner.NoCapacity',
  INTERRUPTED_TOO_OFTEN: 'FargateSpotRunner.InterruptedTooOften',
  TIMED_OUT: 'FargateSpotRunner.TimedOut',
  RUN_FAILED: 'FargateSpotRunner.RunFailed',
} as const;

/** Errors with which runTask.sync reports a task ECS did not place (see the file comment). */
export const START_FAILURE_ERRORS = ['AmazonECS.Unknown', 'ECS.AmazonECSException'];
/** The error of a task that stopped with a non-zero exit code. */
export const TASK_FAILED_ERROR = 'States.TaskFailed';
/**
 * ECS's capacity message, matched without its first letter so that both
 * "Capacity is unavailable" and "capacity is unavailable" match.
 */
export const CAPACITY_CAUSE_PATTERN = '*apacity is unavailable*';
/** Stop codes of an interrupted task, as they appear in the compact JSON cause. */
export const INTERRUPTION_CAUSE_PATTERNS = ['*"StopCode":"SpotInterruption"*', '*"StopCode":"TerminationNotice"*'];

/** The prefix of every checkpoint key in the bucket. */
export const CHECKPOINT_PREFIX = 'checkpoints/';

/** What the definition is built from. Strings may be CDK tokens. */
export interface RunnerDefinitionOptions {
  /** The AWS partition (a token in a CDK stack). */
  readonly partition: string;
  readonly clusterArn: string;
  /** The task definition ARN with its revision. */
  readonly taskDefinitionArn: string;
  readonly containerName: string;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  readonly assignPublicIp: boolean;
  /** The strategy of the first run and of restarts after interruptions. */
  readonly primary: PlannedShare[];
  /** Whether one last run goes to FARGATE. */
  readonly fallbackToOnDemand: boolean;
  /** Restarts from the checkpoint after interruptions before giving up (or falling back). */
  readonly maxInterruptionRestarts: number;
  /** Timeout of one run, in seconds. */
  readonly runTimeoutSeconds: number;
  /** The bucket whose `checkpoints/<jobId>/` prefix holds each job's checkpoint. */
  readonly checkpointBucketName: string;
  /**
   * How many tasks the job is split over; above 1 each task runs in its own
   * Map iteration with its own restarts and `checkpoints/<jobId>/<index>/`.
   *
   * @default 1
   */
  readonly taskCount?: number;
}

type State = Record<string, unknown>;

/** The definition as a JSON-able object (render it with `Stack.toJsonString`). */
export function runnerDefinition(o: RunnerDefinitionOptions): Record<string, unknown> {
  const S = RUNNER_STATES;
  const taskCount = o.taskCount ?? 1;
  const split = taskCount > 1;
  const states: Record<string, State> = {
    ...jobIdStates(o, split ? S.RUN_TASKS : S.RUN),
    ...(split ? { [S.RUN_TASKS]: runTasksState(o, taskCount) } : taskStates(o, false)),
  };
  return {
    Comment: 'FargateSpotRunner: runs a job on its capacity strategy, restarts it from its checkpoint after Spot interruptions'
      + (o.fallbackToOnDemand ? ', falls back to FARGATE once' : '')
      + (split ? `; split over ${taskCount} tasks, each restarted on its own` : ''),
    StartAt: S.PICK_JOB_ID,
    // Every run may use its whole timeout: the first, each restart and the fallback, plus a margin.
    // Tasks of a split run side by side, so the bound does not grow with taskCount.
    TimeoutSeconds: o.runTimeoutSeconds * (o.maxInterruptionRestarts + 2) + 3600,
    States: states,
  };
}

/** The states that fix the job id (given in the input, or the execution name), then go to `next`. */
function jobIdStates(o: RunnerDefinitionOptions, next: string): Record<string, State> {
  const S = RUNNER_STATES;
  const split = (o.taskCount ?? 1) > 1;
  return {
    [S.PICK_JOB_ID]: {
      Type: 'Choice',
      Comment: 'The job id names the checkpoint location; give the same jobId to resume a job in a new execution',
      Choices: [
        { Variable: '$.jobId', IsPresent: false, Next: S.EXECUTION_JOB_ID },
        {
          And: [{ Variable: '$.jobId', IsString: true }, { Not: { Variable: '$.jobId', StringEquals: '' } }],
          Next: S.GIVEN_JOB_ID,
        },
      ],
      Default: S.INVALID_INPUT,
    },
    [S.GIVEN_JOB_ID]: split ? splitJobState(o, '$.jobId', next) : jobState(o, '$.jobId'),
    [S.EXECUTION_JOB_ID]: split ? splitJobState(o, '$$.Execution.Name', next) : jobState(o, '$$.Execution.Name'),
    [S.INVALID_INPUT]: {
      Type: 'Fail',
      Error: RUNNER_ERRORS.INVALID_INPUT,
      Cause: 'The input field jobId must be a non-empty string (or be left out to use the execution name).',
    },
  };
}

/**
 * The Map state of a split job: one inline iteration per task index, all at
 * once; each iteration starts with its own runner state (index, count,
 * restarts 0, checkpoint location), and any iteration that fails fails the Map.
 */
function runTasksState(o: RunnerDefinitionOptions, taskCount: number): State {
  return {
    Type: 'Map',
    Comment: `One iteration per task (${taskCount}), each with its own restarts and checkpoint location`,
    ItemsPath: '$.runner.taskIndexes',
    MaxConcurrency: taskCount,
    ItemSelector: {
      runner: {
        'jobId.$': '$.runner.jobId',
        'taskIndex.$': '$$.Map.Item.Value',
        'restarts': 0,
        'checkpointUri.$': `States.Format('s3://${o.checkpointBucketName}/${CHECKPOINT_PREFIX}{}/{}/', $.runner.jobId, $$.Map.Item.Value)`,
      },
    },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: RUNNER_STATES.RUN,
      States: taskStates(o, true),
    },
    ResultPath: null,
    End: true,
  };
}

/** The run / classify / restart / fallback states of one task (the whole job when it is not split). */
function taskStates(o: RunnerDefinitionOptions, split: boolean): Record<string, State> {
  const S = RUNNER_STATES;
  const afterPrimaryCapacity = o.fallbackToOnDemand ? S.RUN_ON_DEMAND : S.NO_SPOT_CAPACITY;
  const afterRestartsUsed = o.fallbackToOnDemand ? S.RUN_ON_DEMAND : S.INTERRUPTED_TOO_OFTEN;
  // In a split, causes say which task failed: 'Task {} of N: '.
  const who = split ? `Task {} of ${o.taskCount}: ` : '';
  const whoArg = split ? '$.runner.taskIndex, ' : '';
  const states: Record<string, State> = {

    [S.RUN]: runState(o, o.primary, 'PRIMARY', S.CLASSIFY_RUN, split),
    [S.CLASSIFY_RUN]: classifyState({
      interrupted: S.RESTARTS_LEFT,
      noCapacity: afterPrimaryCapacity,
    }),
    [S.RESTARTS_LEFT]: {
      Type: 'Choice',
      Comment: `Restart from the same checkpoint up to ${o.maxInterruptionRestarts} times`,
      Choices: [{ Variable: '$.runner.restarts', NumericLessThan: o.maxInterruptionRestarts, Next: S.COUNT_RESTART }],
      Default: afterRestartsUsed,
    },
    [S.COUNT_RESTART]: {
      Type: 'Pass',
      Parameters: {
        'jobId.$': '$.runner.jobId',
        ...(split ? { 'taskIndex.$': '$.runner.taskIndex' } : {}),
        'checkpointUri.$': '$.runner.checkpointUri',
        'restarts.$': 'States.MathAdd($.runner.restarts, 1)',
      },
      ResultPath: '$.runner',
      Next: S.RUN,
    },

    [S.SUCCEEDED]: { Type: 'Succeed' },
    [S.JOB_FAILED]: {
      Type: 'Fail',
      Error: RUNNER_ERRORS.JOB_FAILED,
      CausePath: `States.Format('${who}The job stopped with an error that is not a Spot interruption, so it is not run again. Task: {}', ${whoArg}$.failure.Cause)`,
    },
    [S.INTERRUPTED_TOO_OFTEN]: {
      Type: 'Fail',
      Error: RUNNER_ERRORS.INTERRUPTED_TOO_OFTEN,
      CausePath: o.fallbackToOnDemand
        ? `States.Format('${who}The job was interrupted after {} restarts from its checkpoint and then once more on FARGATE, so the runner gives up. Its checkpoint is kept at {}', ${whoArg}$.runner.restarts, $.runner.checkpointUri)`
        : `States.Format('${who}The job was interrupted after {} restarts from its checkpoint (maxInterruptionRestarts) and the capacity strategy has no on-demand fallback, so the runner gives up. Its checkpoint is kept at {}', ${whoArg}$.runner.restarts, $.runner.checkpointUri)`,
    },
    [S.TIMED_OUT]: {
      Type: 'Fail',
      Error: RUNNER_ERRORS.TIMED_OUT,
      Cause: `A run did not finish within ${o.runTimeoutSeconds} seconds (runTimeout), so Step Functions stopped waiting and asked ECS to stop its task.`,
    },
    [S.RUN_FAILED]: {
      Type: 'Fail',
      Error: RUNNER_ERRORS.RUN_FAILED,
      CausePath: `States.Format('${who}ECS could not run the job ({}); the execution history holds the full cause.', ${whoArg}$.failure.Error)`,
    },
  };

  if (!o.fallbackToOnDemand) {
    // Only reachable without the fallback (an unreachable state is refused by statelint).
    states[S.NO_SPOT_CAPACITY] = {
      Type: 'Fail',
      Error: RUNNER_ERRORS.NO_CAPACITY,
      CausePath: `States.Format('${who}ECS could not place the job for lack of Fargate Spot capacity and the capacity strategy has no on-demand fallback: {}', ${whoArg}$.failure.Cause)`,
    };
  }
  if (o.fallbackToOnDemand) {
    states[S.RUN_ON_DEMAND] = runState(o, [{ capacityProvider: 'FARGATE' as PlannedShare['capacityProvider'], weight: 1 }], 'FARGATE', S.CLASSIFY_ON_DEMAND, split);
    states[S.CLASSIFY_ON_DEMAND] = classifyState({
      interrupted: S.INTERRUPTED_TOO_OFTEN,
      noCapacity: S.NO_ON_DEMAND_CAPACITY,
    });
    states[S.NO_ON_DEMAND_CAPACITY] = {
      Type: 'Fail',
      Error: RUNNER_ERRORS.NO_CAPACITY,
      CausePath: `States.Format('${who}ECS could not place the job on Fargate Spot nor on FARGATE for lack of capacity: {}', ${whoArg}$.failure.Cause)`,
    };
  }
  return states;
}

/** A Pass state that fixes the job id, the restart count and the checkpoint location for all runs. */
function jobState(o: RunnerDefinitionOptions, jobIdPath: string): State {
  return {
    Type: 'Pass',
    Parameters: {
      runner: {
        'jobId.$': jobIdPath,
        'restarts': 0,
        'checkpointUri.$': `States.Format('s3://${o.checkpointBucketName}/${CHECKPOINT_PREFIX}{}/', ${jobIdPath})`,
      },
    },
    Next: RUNNER_STATES.RUN,
  };
}

/** The Pass state of a split job: the job id and the task indexes the Map runs over. */
function splitJobState(o: RunnerDefinitionOptions, jobIdPath: string, next: string): State {
  return {
    Type: 'Pass',
    Parameters: {
      runner: {
        'jobId.$': jobIdPath,
        'taskIndexes': Array.from({ length: o.taskCount ?? 1 }, (_, i) => i),
      },
    },
    Next: next,
  };
}

function runState(o: RunnerDefinitionOptions, strategy: PlannedShare[], capacity: string, classify: string, split: boolean): State {
  const taskIndex = split
    ? { 'Name': RUNNER_ENVIRONMENT.TASK_INDEX, 'Value.$': "States.Format('{}', $.runner.taskIndex)" }
    : { Name: RUNNER_ENVIRONMENT.TASK_INDEX, Value: '0' };
  return {
    Type: 'Task',
    Comment: capacity === 'FARGATE' ? 'One run on on-demand FARGATE, from the same checkpoint' : 'Run on the configured capacity strategy',
    Resource: `arn:${o.partition}:states:::ecs:runTask.sync`,
    TimeoutSeconds: o.runTimeoutSeconds,
    Parameters: {
      Cluster: o.clusterArn,
      TaskDefinition: o.taskDefinitionArn,
      CapacityProviderStrategy: strategy.map((s) => ({
        CapacityProvider: s.capacityProvider,
        Weight: s.weight,
        ...(s.base !== undefined ? { Base: s.base } : {}),
      })),
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: o.subnetIds,
          SecurityGroups: o.securityGroupIds,
          AssignPublicIp: o.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      Overrides: {
        ContainerOverrides: [{
          Name: o.containerName,
          Environment: [
            { 'Name': RUNNER_ENVIRONMENT.CHECKPOINT_S3_URI, 'Value.$': '$.runner.checkpointUri' },
            { 'Name': RUNNER_ENVIRONMENT.JOB_ID, 'Value.$': '$.runner.jobId' },
            { 'Name': RUNNER_ENVIRONMENT.RESTART_COUNT, 'Value.$': "States.Format('{}', $.runner.restarts)" },
            { Name: RUNNER_ENVIRONMENT.CAPACITY, Value: capacity },
            taskIndex,
            { Name: RUNNER_ENVIRONMENT.TASK_COUNT, Value: String(o.taskCount ?? 1) },
          ],
        }],
      },
    },
    ResultPath: '$.task',
    Next: RUNNER_STATES.SUCCEEDED,
    Catch: [
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: RUNNER_STATES.TIMED_OUT },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: classify },
    ],
  };
}

/**
 * Tells apart, for a run that did not succeed: an interruption (restart or
 * fall back), a start that failed for lack of capacity (fall back or fail),
 * a job that exited non-zero (fail, never rerun) and anything else.
 */
function classifyState(next: { interrupted: string; noCapacity: string }): State {
  const S = RUNNER_STATES;
  const errorIs = (names: string[]) => names.map((name) => ({ Variable: '$.failure.Error', StringEquals: name }));
  return {
    Type: 'Choice',
    Choices: [
      // Without a cause nothing below can be decided (and reading it would fail the execution).
      { Variable: '$.failure.Cause', IsPresent: false, Next: S.RUN_FAILED },
      {
        And: [
          { Variable: '$.failure.Error', StringEquals: TASK_FAILED_ERROR },
          { Or: INTERRUPTION_CAUSE_PATTERNS.map((pattern) => ({ Variable: '$.failure.Cause', StringMatches: pattern })) },
        ],
        Next: next.interrupted,
      },
      {
        And: [
          { Or: errorIs([...START_FAILURE_ERRORS, TASK_FAILED_ERROR]) },
          { Variable: '$.failure.Cause', StringMatches: CAPACITY_CAUSE_PATTERN },
        ],
        Next: next.noCapacity,
      },
      { Variable: '$.failure.Error', StringEquals: TASK_FAILED_ERROR, Next: S.JOB_FAILED },
    ],
    Default: S.RUN_FAILED,
  };
}
