/**
 * The FargateSpotRunner state machine, synthesized and walked path by path
 * (test/fixtures/asl-walker.ts) with scripted runTask.sync outcomes shaped
 * like what Step Functions reports (see state-machine-definition.ts for the
 * sources): a Spot start without capacity, a job exiting non-zero, Spot
 * interruptions, a used-up restart budget, a timeout.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { definitionFromTemplate, Json, TaskCall, TaskOutcome, walk } from './fixtures/asl-walker';
import { CapacityStrategy, FargateCapacityProvider } from '../src/fargate-spot-runner/capacity-strategy';
import { FargateSpotRunner } from '../src/fargate-spot-runner/fargate-spot-runner';
import { FargateSpotRunnerProps } from '../src/fargate-spot-runner/fargate-spot-runner-props';
import { RUNNER_ERRORS, RUNNER_STATES as S, runnerDefinition } from '../src/fargate-spot-runner/private/state-machine-definition';

const CAPACITY_MESSAGE = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

/** The compact-JSON task description Step Functions puts in the Cause of States.TaskFailed. */
function taskCause(stopCode: string, exitCode: number | undefined, stoppedReason: string): string {
  return JSON.stringify({
    ClusterArn: 'arn:aws:ecs:us-east-1:111111111111:cluster/runner',
    Containers: [{ Name: 'job', LastStatus: 'STOPPED', ...(exitCode !== undefined ? { ExitCode: exitCode } : {}) }],
    LastStatus: 'STOPPED',
    StopCode: stopCode,
    StoppedReason: stoppedReason,
    TaskArn: 'arn:aws:ecs:us-east-1:111111111111:task/runner/0123456789abcdef',
  });
}

const success: TaskOutcome = { result: { StopCode: 'EssentialContainerExited', Containers: [{ ExitCode: 0 }] } };
const noSpotCapacity: TaskOutcome = {
  error: 'AmazonECS.Unknown',
  cause: JSON.stringify({ Failures: [{ Arn: 'arn:aws:ecs:us-east-1:111111111111:task-definition/job:1', Reason: CAPACITY_MESSAGE }], Tasks: [] }),
};
const exitedNonZero: TaskOutcome = { error: 'States.TaskFailed', cause: taskCause('EssentialContainerExited', 1, 'Essential container in task exited') };
const spotInterrupted: TaskOutcome = { error: 'States.TaskFailed', cause: taskCause('SpotInterruption', 143, 'Your Spot Task was interrupted.') };
const terminationNotice: TaskOutcome = { error: 'States.TaskFailed', cause: taskCause('TerminationNotice', 143, 'Task stopped due to a termination notice') };

function synthDefinition(props: Partial<FargateSpotRunnerProps> = {}): Json {
  const app = new App();
  const stack = new Stack(app, 'Runner', { env: { account: '111111111111', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new FargateSpotRunner(stack, 'Runner', { vpc, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/alpine:3'), ...props });
  const machines = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
  return definitionFromTemplate((Object.values(machines)[0] as Json).Properties.DefinitionString);
}

const envOf = (parameters: Json): Record<string, string> => Object.fromEntries(
  parameters.Overrides.ContainerOverrides[0].Environment.map((e: Json) => [e.Name, e.Value]),
);
const providersOf = (parameters: Json): string[] => parameters.CapacityProviderStrategy.map((s: Json) => s.CapacityProvider);

describe('FargateSpotRunner state machine (default: Spot with on-demand fallback, 3 restarts)', () => {
  const definition = synthDefinition();

  test('a job that exits 0 on Spot succeeds after one run, with its checkpoint location', () => {
    const result = walk(definition, {}, [success]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.taskCalls).toHaveLength(1);
    const call = result.taskCalls[0].parameters;
    expect(providersOf(call)).toEqual(['FARGATE_SPOT']);
    expect(call.LaunchType).toBeUndefined();
    expect(call.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    expect(envOf(call)).toEqual({
      CHECKPOINT_S3_URI: expect.stringMatching(/^s3:\/\/<RunnerCheckpointsBucket\w+>\/checkpoints\/exec-1\/$/),
      RUNNER_JOB_ID: 'exec-1',
      RUNNER_RESTART_COUNT: '0',
      RUNNER_CAPACITY: 'PRIMARY',
      RUNNER_TASK_INDEX: '0',
      RUNNER_TASK_COUNT: '1',
    });
  });

  test('the input may name the job, so a new execution resumes its checkpoint', () => {
    const result = walk(definition, { jobId: 'nightly-2026-01-01' }, [success]);
    expect(envOf(result.taskCalls[0].parameters).CHECKPOINT_S3_URI).toMatch(/\/checkpoints\/nightly-2026-01-01\/$/);
  });

  test.each([[{ jobId: 42 }], [{ jobId: '' }]])('an input with a bad jobId %j fails before running anything', (input) => {
    const result = walk(definition, input, []);
    expect(result).toEqual(expect.objectContaining({ status: 'FAILED', error: RUNNER_ERRORS.INVALID_INPUT, taskCalls: [] }));
  });

  test('Spot capacity error (AmazonECS.Unknown) -> one run on FARGATE, same checkpoint', () => {
    const result = walk(definition, {}, [noSpotCapacity, success]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toEqual([S.PICK_JOB_ID, S.EXECUTION_JOB_ID, S.RUN, S.CLASSIFY_RUN, S.RUN_ON_DEMAND, S.SUCCEEDED]);
    expect(result.taskCalls.map((c) => providersOf(c.parameters))).toEqual([['FARGATE_SPOT'], ['FARGATE']]);
    const [spot, onDemand] = result.taskCalls.map((c) => envOf(c.parameters));
    expect(onDemand.CHECKPOINT_S3_URI).toBe(spot.CHECKPOINT_S3_URI);
    expect(onDemand.RUNNER_CAPACITY).toBe('FARGATE');
  });

  test.each([
    ['ECS.AmazonECSException', `RunTask failed: ${CAPACITY_MESSAGE}`],
    ['States.TaskFailed', taskCause('TaskFailedToStart', undefined, 'capacity is unavailable at this time')],
  ])('a capacity failure reported as %s also falls back to FARGATE', (error, cause) => {
    const result = walk(definition, {}, [{ error, cause }, success]);
    expect(result.taskCalls.map((c) => providersOf(c.parameters))).toEqual([['FARGATE_SPOT'], ['FARGATE']]);
  });

  test('a start failure that is not about capacity is not mistaken for one: no fallback run', () => {
    const result = walk(definition, {}, [{ error: 'AmazonECS.Unknown', cause: '{"Failures":[{"Reason":"MISSING"}]}' }]);
    expect(result).toEqual(expect.objectContaining({ status: 'FAILED', error: RUNNER_ERRORS.RUN_FAILED }));
    expect(result.taskCalls).toHaveLength(1);
    expect(result.cause).toContain('AmazonECS.Unknown');
  });

  test('a job that ran and exited non-zero fails the execution without any fallback run', () => {
    const result = walk(definition, {}, [exitedNonZero]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RUNNER_ERRORS.JOB_FAILED);
    expect(result.taskCalls).toHaveLength(1);
    expect(result.cause).toContain('not a Spot interruption');
    expect(result.cause).toContain('"ExitCode":1');
  });

  test('an interruption restarts the job on Spot with the same checkpoint location and a counted restart', () => {
    const result = walk(definition, {}, [spotInterrupted, terminationNotice, success]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toEqual([
      S.PICK_JOB_ID, S.EXECUTION_JOB_ID,
      S.RUN, S.CLASSIFY_RUN, S.RESTARTS_LEFT, S.COUNT_RESTART,
      S.RUN, S.CLASSIFY_RUN, S.RESTARTS_LEFT, S.COUNT_RESTART,
      S.RUN, S.SUCCEEDED,
    ]);
    const envs = result.taskCalls.map((c) => envOf(c.parameters));
    expect(new Set(envs.map((e) => e.CHECKPOINT_S3_URI)).size).toBe(1);
    expect(envs.map((e) => e.RUNNER_RESTART_COUNT)).toEqual(['0', '1', '2']);
    expect(result.taskCalls.every((c) => providersOf(c.parameters)[0] === 'FARGATE_SPOT')).toBe(true);
  });

  test('restarts used up -> once on FARGATE from the same checkpoint -> a clear failure', () => {
    const result = walk(definition, {}, [spotInterrupted, spotInterrupted, spotInterrupted, spotInterrupted, terminationNotice]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RUNNER_ERRORS.INTERRUPTED_TOO_OFTEN);
    expect(result.taskCalls.map((c) => providersOf(c.parameters)[0])).toEqual(['FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE']);
    const uri = envOf(result.taskCalls[0].parameters).CHECKPOINT_S3_URI;
    expect(result.taskCalls.every((c) => envOf(c.parameters).CHECKPOINT_S3_URI === uri)).toBe(true);
    expect(result.cause).toBe(`The job was interrupted after 3 restarts from its checkpoint and then once more on FARGATE, so the runner gives up. Its checkpoint is kept at ${uri}`);
  });

  test('the FARGATE fallback run that exits non-zero fails as a job failure', () => {
    const result = walk(definition, {}, [noSpotCapacity, exitedNonZero]);
    expect(result.error).toBe(RUNNER_ERRORS.JOB_FAILED);
    expect(result.taskCalls).toHaveLength(2);
  });

  test('no capacity on Spot nor on FARGATE fails with NoCapacity', () => {
    const result = walk(definition, {}, [noSpotCapacity, noSpotCapacity]);
    expect(result.error).toBe(RUNNER_ERRORS.NO_CAPACITY);
  });

  test('a run over its timeout fails with TimedOut, not as a job failure', () => {
    const result = walk(definition, {}, [{ error: 'States.Timeout', cause: 'timed out' }]);
    expect(result.error).toBe(RUNNER_ERRORS.TIMED_OUT);
    expect(result.cause).toContain('3600 seconds');
  });

  test('an error without a cause ends in RunFailed instead of a runtime error in a Choice', () => {
    const result = walk(definition, {}, [{ error: 'ECS.AccessDeniedException' }]);
    expect(result.error).toBe(RUNNER_ERRORS.RUN_FAILED);
  });

  test('structure: both runs catch States.Timeout then States.ALL, and never Retry (capacity is a Choice, not a blind retry)', () => {
    for (const name of [S.RUN, S.RUN_ON_DEMAND]) {
      const state = definition.States[name];
      expect(state.Resource).toBe('arn:<AWS::Partition>:states:::ecs:runTask.sync');
      expect(state.Retry).toBeUndefined();
      expect(state.Catch.map((c: Json) => c.ErrorEquals)).toEqual([['States.Timeout'], ['States.ALL']]);
      expect(state.Catch.every((c: Json) => c.ResultPath === '$.failure')).toBe(true);
    }
  });

  test('structure: the capacity rule needs a start-failure error AND the capacity message; the interruption rule needs States.TaskFailed AND a stop code', () => {
    const [guard, interruption, capacity, taskFailed] = definition.States[S.CLASSIFY_RUN].Choices;
    expect(guard).toEqual({ Variable: '$.failure.Cause', IsPresent: false, Next: S.RUN_FAILED });
    expect(interruption).toEqual({
      And: [
        { Variable: '$.failure.Error', StringEquals: 'States.TaskFailed' },
        {
          Or: [
            { Variable: '$.failure.Cause', StringMatches: '*"StopCode":"SpotInterruption"*' },
            { Variable: '$.failure.Cause', StringMatches: '*"StopCode":"TerminationNotice"*' },
          ],
        },
      ],
      Next: S.RESTARTS_LEFT,
    });
    expect(capacity.And[0].Or.map((r: Json) => r.StringEquals)).toEqual(['AmazonECS.Unknown', 'ECS.AmazonECSException', 'States.TaskFailed']);
    expect(capacity.And[1]).toEqual({ Variable: '$.failure.Cause', StringMatches: '*apacity is unavailable*' });
    expect(capacity.Next).toBe(S.RUN_ON_DEMAND);
    expect(taskFailed).toEqual({ Variable: '$.failure.Error', StringEquals: 'States.TaskFailed', Next: S.JOB_FAILED });
    expect(definition.States[S.RESTARTS_LEFT].Choices).toEqual([{ Variable: '$.runner.restarts', NumericLessThan: 3, Next: S.COUNT_RESTART }]);
    expect(definition.States[S.RESTARTS_LEFT].Default).toBe(S.RUN_ON_DEMAND);
  });
});

describe('FargateSpotRunner state machine variants', () => {
  test('spotOnly: no capacity fails without a FARGATE run; restarts used up fail without one', () => {
    const definition = synthDefinition({ capacity: CapacityStrategy.spotOnly(), maxInterruptionRestarts: 1 });
    expect(definition.States[S.RUN_ON_DEMAND]).toBeUndefined();
    const noCapacity = walk(definition, {}, [noSpotCapacity]);
    expect(noCapacity).toEqual(expect.objectContaining({ status: 'FAILED', error: RUNNER_ERRORS.NO_CAPACITY }));
    expect(noCapacity.cause).toContain('no on-demand fallback');
    const exhausted = walk(definition, {}, [spotInterrupted, spotInterrupted]);
    expect(exhausted.error).toBe(RUNNER_ERRORS.INTERRUPTED_TOO_OFTEN);
    expect(exhausted.taskCalls).toHaveLength(2);
    expect(exhausted.cause).toContain('after 1 restarts from its checkpoint (maxInterruptionRestarts) and the capacity strategy has no on-demand fallback');
  });

  test('maxInterruptionRestarts: 0 goes straight to FARGATE after the first interruption', () => {
    const definition = synthDefinition({ maxInterruptionRestarts: 0 });
    const result = walk(definition, {}, [spotInterrupted, success]);
    expect(result.taskCalls.map((c) => providersOf(c.parameters)[0])).toEqual(['FARGATE_SPOT', 'FARGATE']);
  });

  test('a weighted mix with a base is the strategy of the first run and of restarts', () => {
    const definition = synthDefinition({
      capacity: CapacityStrategy.weighted({
        shares: [
          { capacityProvider: FargateCapacityProvider.FARGATE, base: 1, weight: 1 },
          { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 3 },
        ],
      }),
    });
    expect(definition.States[S.RUN].Parameters.CapacityProviderStrategy).toEqual([
      { CapacityProvider: 'FARGATE', Weight: 1, Base: 1 },
      { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
    ]);
    expect(definition.States[S.RUN_ON_DEMAND].Parameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
  });

  test('onDemandOnly runs on FARGATE with no fallback state', () => {
    const definition = synthDefinition({ capacity: CapacityStrategy.onDemandOnly() });
    expect(definition.States[S.RUN].Parameters.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    expect(definition.States[S.RUN_ON_DEMAND]).toBeUndefined();
  });

  test('runTimeout sets each run timeout and bounds the execution', () => {
    const definition = synthDefinition({ runTimeout: Duration.minutes(30), maxInterruptionRestarts: 2 });
    expect(definition.States[S.RUN].TimeoutSeconds).toBe(1800);
    expect(definition.TimeoutSeconds).toBe(1800 * 4 + 3600);
  });

  test('assignPublicIp renders ENABLED (public subnets)', () => {
    const definition = synthDefinition({ assignPublicIp: true });
    expect(definition.States[S.RUN].Parameters.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('ENABLED');
    expect(definition.States[S.RUN].Parameters.NetworkConfiguration.AwsvpcConfiguration.Subnets.join()).toMatch(/Public/);
  });

  test('the pure builder renders the same definition from plain values', () => {
    const definition = runnerDefinition({
      partition: 'aws',
      clusterArn: 'arn:aws:ecs:us-east-1:111111111111:cluster/c',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111111111111:task-definition/job:1',
      containerName: 'job',
      subnetIds: ['subnet-1'],
      securityGroupIds: ['sg-1'],
      assignPublicIp: false,
      primary: [{ capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 1 }],
      fallbackToOnDemand: true,
      maxInterruptionRestarts: 3,
      runTimeoutSeconds: 3600,
      checkpointBucketName: 'bucket',
    });
    const result = walk(definition, {}, [spotInterrupted, success]);
    expect(envOf(result.taskCalls[1].parameters)).toEqual({
      CHECKPOINT_S3_URI: 's3://bucket/checkpoints/exec-1/',
      RUNNER_JOB_ID: 'exec-1',
      RUNNER_RESTART_COUNT: '1',
      RUNNER_CAPACITY: 'PRIMARY',
      RUNNER_TASK_INDEX: '0',
      RUNNER_TASK_COUNT: '1',
    });
    expect(Object.keys(definition.States as object).every((name) => name.length <= 80)).toBe(true);
  });
});

/** Answers each task's runs from its own list, by RUNNER_TASK_INDEX (the walker walks tasks one after another). */
function scriptByTask(byTask: Record<number, TaskOutcome[]>): (call: TaskCall) => TaskOutcome | undefined {
  const queues = Object.fromEntries(Object.entries(byTask).map(([index, outcomes]) => [index, [...outcomes]]));
  return (call) => queues[envOf(call.parameters).RUNNER_TASK_INDEX]?.shift();
}

describe('FargateSpotRunner state machine split over taskCount tasks (Map, per-task restarts)', () => {
  const definition = synthDefinition({ taskCount: 4 });
  const runsOf = (calls: TaskCall[], index: string) => calls.map((c) => envOf(c.parameters)).filter((e) => e.RUNNER_TASK_INDEX === index);

  test('structure: one inline Map over the task indexes, all at once, holding the run/restart/fallback states', () => {
    const map = definition.States[S.RUN_TASKS];
    expect(map).toEqual(expect.objectContaining({ Type: 'Map', ItemsPath: '$.runner.taskIndexes', MaxConcurrency: 4, ResultPath: null, End: true }));
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
    expect(map.ItemProcessor.StartAt).toBe(S.RUN);
    expect(Object.keys(map.ItemProcessor.States))
      .toEqual(expect.arrayContaining([S.RUN, S.CLASSIFY_RUN, S.RESTARTS_LEFT, S.COUNT_RESTART, S.RUN_ON_DEMAND, S.SUCCEEDED]));
    // State names are unique across the machine: the per-task states live only in the Map.
    expect(definition.States[S.RUN]).toBeUndefined();
    expect(map.Retry).toBeUndefined();
    expect(map.ToleratedFailureCount ?? 0).toBe(0);
    expect(map.ToleratedFailurePercentage ?? 0).toBe(0);
  });

  test('all tasks succeed: each runs once with its index, the count and its own checkpoint prefix', () => {
    const result = walk(definition, { jobId: 'build-7' }, scriptByTask({ 0: [success], 1: [success], 2: [success], 3: [success] }));
    expect(result.status).toBe('SUCCEEDED');
    const envs = result.taskCalls.map((c) => envOf(c.parameters));
    expect(envs.map((e) => [e.RUNNER_TASK_INDEX, e.RUNNER_TASK_COUNT, e.RUNNER_JOB_ID, e.RUNNER_RESTART_COUNT])).toEqual([
      ['0', '4', 'build-7', '0'], ['1', '4', 'build-7', '0'], ['2', '4', 'build-7', '0'], ['3', '4', 'build-7', '0'],
    ]);
    expect(envs.map((e) => e.CHECKPOINT_S3_URI.replace(/^s3:\/\/<\w+>\//, ''))).toEqual([
      'checkpoints/build-7/0/', 'checkpoints/build-7/1/', 'checkpoints/build-7/2/', 'checkpoints/build-7/3/',
    ]);
    expect(result.taskCalls.every((c) => providersOf(c.parameters)[0] === 'FARGATE_SPOT')).toBe(true);
  });

  test('a Spot interruption of one task restarts only that task, from its own checkpoint, with its own count', () => {
    const result = walk(definition, {}, scriptByTask({ 0: [success], 1: [spotInterrupted, terminationNotice, success], 2: [success], 3: [success] }));
    expect(result.status).toBe('SUCCEEDED');
    expect(result.taskCalls).toHaveLength(6);
    const task1 = runsOf(result.taskCalls, '1');
    expect(task1.map((e) => e.RUNNER_RESTART_COUNT)).toEqual(['0', '1', '2']);
    expect(new Set(task1.map((e) => e.CHECKPOINT_S3_URI))).toEqual(new Set([expect.stringMatching(/\/checkpoints\/exec-1\/1\/$/)]));
    for (const other of ['0', '2', '3']) {
      expect(runsOf(result.taskCalls, other).map((e) => e.RUNNER_RESTART_COUNT)).toEqual(['0']);
    }
  });

  test('restarts are counted per task: two tasks interrupted 3 times each both stay within maxInterruptionRestarts: 3', () => {
    const thrice = [spotInterrupted, spotInterrupted, spotInterrupted, success];
    const result = walk(definition, {}, scriptByTask({ 0: thrice, 1: [success], 2: thrice, 3: [success] }));
    expect(result.status).toBe('SUCCEEDED');
    expect(runsOf(result.taskCalls, '2').map((e) => [e.RUNNER_RESTART_COUNT, e.RUNNER_CAPACITY])).toEqual([
      ['0', 'PRIMARY'], ['1', 'PRIMARY'], ['2', 'PRIMARY'], ['3', 'PRIMARY'],
    ]);
  });

  test('one task without Spot capacity runs on FARGATE; the others stay on Spot', () => {
    const result = walk(definition, {}, scriptByTask({ 0: [success], 1: [success], 2: [noSpotCapacity, success], 3: [success] }));
    expect(result.status).toBe('SUCCEEDED');
    const fallback = result.taskCalls.filter((c) => providersOf(c.parameters)[0] === 'FARGATE').map((c) => envOf(c.parameters));
    expect(fallback.map((e) => [e.RUNNER_TASK_INDEX, e.RUNNER_CAPACITY])).toEqual([['2', 'FARGATE']]);
    expect(fallback[0].CHECKPOINT_S3_URI).toMatch(/\/checkpoints\/exec-1\/2\/$/);
  });

  test('one task that exits non-zero fails the job, is never rerun, and the cause names the task', () => {
    const result = walk(definition, {}, scriptByTask({ 0: [success], 1: [exitedNonZero], 2: [success], 3: [success] }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RUNNER_ERRORS.JOB_FAILED);
    expect(runsOf(result.taskCalls, '1')).toHaveLength(1);
    expect(result.cause).toMatch(/^Task 1 of 4: The job stopped with an error that is not a Spot interruption/);
  });

  test('one task that uses up its restarts (then its FARGATE run) fails the whole job with InterruptedTooOften', () => {
    const result = walk(definition, {}, scriptByTask({
      0: [success],
      1: [success],
      2: [success],
      3: [spotInterrupted, spotInterrupted, spotInterrupted, spotInterrupted, spotInterrupted],
    }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(RUNNER_ERRORS.INTERRUPTED_TOO_OFTEN);
    expect(runsOf(result.taskCalls, '3').map((e) => e.RUNNER_CAPACITY)).toEqual(['PRIMARY', 'PRIMARY', 'PRIMARY', 'PRIMARY', 'FARGATE']);
    expect(result.cause).toMatch(/^Task 3 of 4: The job was interrupted after 3 restarts from its checkpoint and then once more on FARGATE, .* kept at s3:\/\/\S+\/checkpoints\/exec-1\/3\/$/);
  });

  test('a bad jobId still fails before any task runs', () => {
    const result = walk(definition, { jobId: '' }, scriptByTask({}));
    expect(result).toEqual(expect.objectContaining({ status: 'FAILED', error: RUNNER_ERRORS.INVALID_INPUT, taskCalls: [] }));
  });

  test('the execution timeout does not grow with taskCount (tasks run side by side)', () => {
    expect(definition.TimeoutSeconds).toBe(synthDefinition().TimeoutSeconds);
  });

  test('taskCount: 1 keeps the single-task definition: no Map, checkpoints/<jobId>/', () => {
    const single = synthDefinition({ taskCount: 1 });
    expect(single).toEqual(synthDefinition());
    expect(single.States[S.RUN_TASKS]).toBeUndefined();
  });
});

/** The states of one state list (the machine, or a Map's ItemProcessor) that nothing transitions to. */
function unreachableStates(machine: Json): string[] {
  const targets = new Set<string>([machine.StartAt]);
  const nested: string[] = [];
  for (const state of Object.values(machine.States) as Json[]) {
    [state.Next, state.Default, ...(state.Choices ?? []).map((c: Json) => c.Next), ...(state.Catch ?? []).map((c: Json) => c.Next)]
      .filter((n) => n !== undefined).forEach((n) => targets.add(n));
    if (state.ItemProcessor) nested.push(...unreachableStates(state.ItemProcessor));
  }
  return [...Object.keys(machine.States).filter((name) => !targets.has(name)), ...nested];
}

describe('FargateSpotRunner state machine: every state is reachable (Step Functions and statelint refuse dead states)', () => {
  test.each([
    ['default', {}],
    ['spotOnly', { capacity: CapacityStrategy.spotOnly() }],
    ['onDemandOnly', { capacity: CapacityStrategy.onDemandOnly() }],
    ['taskCount 3', { taskCount: 3 }],
    ['taskCount 3, spotOnly', { taskCount: 3, capacity: CapacityStrategy.spotOnly() }],
  ] as Array<[string, Partial<FargateSpotRunnerProps>]>)('%s', (_name, props) => {
    expect(unreachableStates(synthDefinition(props))).toEqual([]);
  });
});
