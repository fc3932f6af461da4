/**
 * The FleetRollout state machines, built by the pure builders and walked path
 * by path (test/fixtures/asl-walker.ts) against a small scripted "AWS": a
 * lock item, a planner, ring files in S3 and, per tenant, CloudFormation
 * answers shaped like what Step Functions reports (see the file comments of
 * tenant-deploy-states.ts and rollout-definition.ts for the sources).
 */
import { Json, TaskCall, TaskOutcome, walk, WalkResult } from './fixtures/asl-walker';
import {
  CAUGHT_ERRORS, ONBOARDING_STATES, onboardingDefinition, RING_STATE_SUFFIXES as X, ringState, ringTenantPrefix,
  ROLLOUT_DETAIL_TYPES, ROLLOUT_ERRORS, ROLLOUT_STATES as R, rolloutDefinition, RolloutDefinitionProps,
} from '../src/fleet-rollout/private/rollout-definition';
import { CFN_THROTTLING_ERRORS, TENANT_STATES as T, tenantDeployStates } from '../src/fleet-rollout/private/tenant-deploy-states';

const ME = 'arn:aws:states:us-east-1:111111111111:execution:fleet-rollout:rollout-2';
const OTHER = 'arn:aws:states:us-east-1:111111111111:execution:fleet-rollout:rollout-1';
const CONTEXT = {
  Execution: { Name: 'rollout-2', Id: ME, StartTime: '2026-12-01T10:00:00.000Z' },
  State: { EnteredTime: '2026-12-01T10:00:01.000Z' },
};
const RELEASE = { release: { version: 'v42', templateKey: 'fleet/releases/v42/template.json', parameters: { ImageTag: 'v42' } } };

const BASE: RolloutDefinitionProps = {
  partition: 'aws',
  tableName: 'fleet-registry',
  plannerFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:planner',
  eventBusArn: 'arn:aws:events:us-east-1:111111111111:event-bus/default',
  workBucketName: 'work-bucket',
  approvalTopicArn: 'arn:aws:sns:us-east-1:111111111111:approvals',
  maxConcurrency: 25,
  roleWaitSchedule: [30, 60, 90],
  pollSchedule: [5, 10],
  rings: [
    { name: 'canary', toleratedFailureCount: 0, bakeSeconds: 600, approval: false },
    { name: 'wave1', toleratedFailurePercentage: 50, bakeSeconds: 0, approval: true, approvalTimeoutSeconds: 3600 },
    { name: 'rest', toleratedFailureCount: 1, bakeSeconds: 0, approval: false },
  ],
};

function item(tenantId: string, ring: string): Json {
  const account = `2222222222${tenantId.slice(-2).padStart(2, '0')}`;
  return {
    tenantId,
    account,
    region: 'us-east-1',
    ring,
    stackName: `shop-app-${tenantId}`,
    actionRoleArn: `arn:aws:iam::${account}:role/cdkx-shop-deploy-action`,
    executionRoleArn: `arn:aws:iam::${account}:role/cdkx-shop-cfn-exec`,
    templateUrl: 'https://cdkx-artifacts.s3.us-east-1.amazonaws.com/fleet/releases/v42/template.json',
    release: 'v42',
    parameters: [{ ParameterKey: 'ImageTag', ParameterValue: 'v42' }],
  };
}

/** How one tenant's account answers. */
interface TenantBehaviour {
  /** The stack exists with this status (absent: "does not exist"). */
  status?: string;
  /** The action role cannot be assumed for this many DescribeStack calls (Infinity: never). */
  roleFailures?: number;
  /** How the failure to assume the role is reported (default States.TaskFailed with STS's AccessDenied text). */
  roleError?: { error: string; cause?: string };
  /** The change set ends FAILED with "didn't contain changes". */
  noChanges?: boolean;
  /** CreateChangeSet is throttled this many times first. */
  throttles?: number;
  /** The stack is busy (UPDATE_IN_PROGRESS) for this many DescribeStack calls first. */
  busy?: number;
  /** The stack operation ends in this status (default CREATE_COMPLETE / UPDATE_COMPLETE). */
  endsIn?: string;
}

const ASSUME_ROLE_DENIED = (roleArn: string) =>
  `User: arn:aws:sts::111111111111:assumed-role/fleet-engine/abc is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;

/** A scripted AWS for one walk. */
class World {
  public lockHolder?: string;
  public holderStatus = 'RUNNING';
  public readonly files: Record<string, Json[]> = {};
  public plan: Json;
  public onboardingPlan: Json = { deploy: false, reason: 'no release finished yet' };
  public approvals: Record<string, TaskOutcome> = {};
  public readonly tenants: Record<string, TenantBehaviour> = {};
  public readonly records: Record<string, Json> = {};
  public readonly events: Json[] = [];
  public readonly metrics: Json[] = [];
  public releaseItem?: Json;
  private readonly byStack: Record<string, string> = {};
  private readonly executed = new Set<string>();
  private readonly polls: Record<string, number> = {};
  private readonly results: Record<string, { succeeded: number; failed: number }> = {};

  constructor(rings: Record<string, string[]>) {
    const ringList = Object.entries(rings).map(([name, ids]) => {
      const itemsKey = `rollouts/rollout-2/${name}.json`;
      this.files[itemsKey] = ids.map((id) => item(id, name));
      ids.forEach((id) => { this.byStack[`shop-app-${id}`] = id; this.tenants[id] = this.tenants[id] ?? {}; });
      return { name, count: ids.length, itemsKey };
    });
    this.plan = { rings: ringList, total: ringList.reduce((a, r) => a + r.count, 0), invalid: 0, alreadyOnRelease: 0, releaseParameters: '{"ImageTag":"v42"}' };
  }

  public tenant(id: string, behaviour: TenantBehaviour): this {
    this.tenants[id] = behaviour;
    this.byStack[`shop-app-${id}`] = id;
    return this;
  }

  public readonly answer = (call: TaskCall): TaskOutcome => {
    const r = call.resource ?? '';
    const p = call.parameters;
    const action = r.split(':').pop()!;
    if (r.includes(':dynamodb:')) return this.dynamodb(action, p);
    if (r.endsWith(':sfn:describeExecution')) return { result: { ExecutionArn: p.ExecutionArn, Status: this.holderStatus } };
    if (r.endsWith(':sfn:describeMapRun')) {
      const ring = /mapRun:machine\/(.+)-Deploy:/.exec(p.MapRunArn)![1];
      const c = this.results[ring] ?? { succeeded: 0, failed: 0 };
      const counts = { Pending: 0, Running: 0, Succeeded: c.succeeded, Failed: c.failed, TimedOut: 0, Aborted: 0, Total: c.succeeded + c.failed };
      return { result: { ItemCounts: counts } };
    }
    if (r.endsWith(':lambda:invoke')) return { result: { StatusCode: 200, Payload: p.Payload.mode === 'rollout' ? this.plan : this.onboardingPlan } };
    if (r.endsWith(':sns:publish.waitForTaskToken')) {
      const ring = /ring (\S+) of/.exec(p.Subject)![1];
      return this.approvals[ring] ?? { result: {} };
    }
    if (r.endsWith(':events:putEvents')) {
      this.events.push(...p.Entries);
      return { result: { Entries: [{ EventId: 'e-1' }], FailedEntryCount: 0 } };
    }
    if (r.endsWith(':cloudwatch:putMetricData')) {
      this.metrics.push(p);
      return { result: {} };
    }
    if (r.includes(':cloudformation:')) return this.cloudFormation(action, p, call);
    throw new Error(`unexpected task ${call.state} ${r}`);
  };

  public readonly itemReader = (bucket: string, key: string): Json[] => {
    if (bucket !== 'work-bucket' || !this.files[key]) throw new Error(`no ring file s3://${bucket}/${key}`);
    return this.files[key];
  };

  private dynamodb(action: string, p: Json): TaskOutcome {
    const id = p.Item?.tenantId?.S ?? p.Key?.tenantId?.S;
    if (action === 'putItem' && id === '#lock') {
      if (p.ConditionExpression === 'attribute_not_exists(tenantId)' && this.lockHolder !== undefined) {
        return { error: CAUGHT_ERRORS.CONDITIONAL_CHECK_FAILED, cause: 'The conditional request failed' };
      }
      if (p.ConditionExpression === 'executionArn = :holder' && p.ExpressionAttributeValues[':holder'].S !== this.lockHolder) {
        return { error: CAUGHT_ERRORS.CONDITIONAL_CHECK_FAILED, cause: 'The conditional request failed' };
      }
      this.lockHolder = p.Item.executionArn.S;
      return { result: {} };
    }
    if (action === 'getItem') {
      return { result: this.lockHolder === undefined ? {} : { Item: { tenantId: { S: '#lock' }, executionArn: { S: this.lockHolder } } } };
    }
    if (action === 'deleteItem') {
      if (p.ExpressionAttributeValues[':me'].S !== this.lockHolder) return { error: CAUGHT_ERRORS.CONDITIONAL_CHECK_FAILED };
      this.lockHolder = undefined;
      return { result: {} };
    }
    if (action === 'putItem' && id === '#release') {
      this.releaseItem = p.Item;
      return { result: {} };
    }
    if (action === 'updateItem') {
      const result = p.ExpressionAttributeValues[':result'].M;
      this.records[id] = { lastRelease: p.ExpressionAttributeValues[':release']?.S, status: result.status.S, reason: result.reason.S };
      const ring = Object.entries(this.files).find(([, items]) => items.some((i) => i.tenantId === id))?.[0].split('/').pop()!.replace('.json', '') ?? 'onboarding';
      this.results[ring] = this.results[ring] ?? { succeeded: 0, failed: 0 };
      this.results[ring][result.status.S === 'SUCCEEDED' ? 'succeeded' : 'failed']++;
      return { result: {} };
    }
    throw new Error(`unexpected dynamodb ${action} ${JSON.stringify(p)}`);
  }

  private cloudFormation(action: string, p: Json, call: TaskCall): TaskOutcome {
    const id = this.byStack[p.StackName];
    const t = this.tenants[id];
    if (!t) throw new Error(`no tenant for stack ${p.StackName}`);
    if (call.roleArn !== call.input.actionRoleArn) throw new Error(`CloudFormation call ${call.state} without the tenant's action role`);
    switch (action) {
      case 'describeStacks': {
        if ((t.roleFailures ?? 0) > 0) {
          t.roleFailures = (t.roleFailures ?? 0) - 1;
          return t.roleError ?? { error: 'States.TaskFailed', cause: ASSUME_ROLE_DENIED(call.roleArn!) };
        }
        if (this.executed.has(id)) {
          const key = `${id}:operation`;
          this.polls[key] = (this.polls[key] ?? 0) + 1;
          const created = t.status === undefined;
          const status = this.polls[key] === 1
            ? (created ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS')
            : t.endsIn ?? (created ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
          const reason = status.includes('ROLLBACK') ? { StackStatusReason: 'The following resource(s) failed to update: [Service].' } : {};
          return { result: { Stacks: [{ StackName: p.StackName, StackStatus: status, ...reason }] } };
        }
        if ((t.busy ?? 0) > 0) {
          t.busy = (t.busy ?? 0) - 1;
          return { result: { Stacks: [{ StackName: p.StackName, StackStatus: 'UPDATE_IN_PROGRESS' }] } };
        }
        if (t.status === undefined) {
          return { error: 'CloudFormation.CloudFormationException', cause: `Stack with id ${p.StackName} does not exist (Service: CloudFormation, Status Code: 400, Request ID: 1)` };
        }
        return { result: { Stacks: [{ StackName: p.StackName, StackStatus: t.status }] } };
      }
      case 'createChangeSet':
        if ((t.throttles ?? 0) > 0) {
          t.throttles = (t.throttles ?? 0) - 1;
          return { error: 'CloudFormation.ThrottlingException', cause: 'Rate exceeded (Service: CloudFormation, Status Code: 400)' };
        }
        return { result: { Id: `arn:aws:cloudformation:us-east-1:${call.input.account}:changeSet/${p.ChangeSetName}/1`, StackId: 'x' } };
      case 'describeChangeSet': {
        if (t.noChanges) {
          return { result: { Status: 'FAILED', ExecutionStatus: 'UNAVAILABLE', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set.", Changes: [] } };
        }
        const key = `${id}:changeSet`;
        this.polls[key] = (this.polls[key] ?? 0) + 1;
        return { result: { Status: this.polls[key] === 1 ? 'CREATE_PENDING' : 'CREATE_COMPLETE', ExecutionStatus: 'AVAILABLE', Changes: [{ Type: 'Resource' }] } };
      }
      case 'deleteChangeSet':
        return { result: {} };
      case 'executeChangeSet':
        this.executed.add(id);
        return { result: {} };
      default:
        throw new Error(`unexpected cloudformation ${action}`);
    }
  }
}

function run(world: World, props: RolloutDefinitionProps = BASE): WalkResult {
  return walk(rolloutDefinition(props), RELEASE, world.answer, CONTEXT, { itemReader: world.itemReader });
}

const cfnCalls = (result: WalkResult, action: string) => result.taskCalls.filter((c) => c.resource?.endsWith(`:cloudformation:${action}`));
const callsOf = (result: WalkResult, tenantId: string) => result.taskCalls.filter((c) => c.input?.tenantId === tenantId);
const visitedDeploy = (result: WalkResult, ring: string) => result.visited.includes(ringState(ring, X.DEPLOY));

describe('rollout state machine: rings', () => {
  test('all tenants deploy: every ring runs in order, the release is recorded, the lock released, a finished event sent', () => {
    const world = new World({ canary: ['t-01'], wave1: ['t-02', 't-03'], rest: ['t-04'] });
    world.tenant('t-03', { status: 'UPDATE_COMPLETE' });
    const result = run(world);
    expect(result.status).toBe('SUCCEEDED');
    const deploys = result.visited.filter((s) => s.endsWith('-Deploy'));
    expect(deploys).toEqual(['canary-Deploy', 'wave1-Deploy', 'rest-Deploy']);
    expect(result.visited.indexOf('canary-Bake')).toBeLessThan(result.visited.indexOf('wave1-HasTenants'));
    expect(result.waits.find((w) => w.state === 'canary-Bake')).toEqual({ state: 'canary-Bake', seconds: 600 });
    expect(result.visited.slice(-4)).toEqual([R.RECORD_RELEASE, R.RELEASE_LOCK, R.SUCCEEDED_EVENT, R.SUCCEEDED]);
    expect(world.lockHolder).toBeUndefined();
    expect(world.releaseItem).toEqual(expect.objectContaining({
      tenantId: { S: '#release' }, version: { S: 'v42' }, templateKey: { S: 'fleet/releases/v42/template.json' }, parameters: { S: '{"ImageTag":"v42"}' },
    }));
    expect(Object.values(world.records).map((r) => [r.status, r.lastRelease])).toEqual(Array(4).fill(['SUCCEEDED', 'v42']));
    expect(world.events.filter((e) => e.DetailType === ROLLOUT_DETAIL_TYPES.FINISHED)).toHaveLength(1);
    expect(world.events.filter((e) => e.DetailType === 'Fleet Tenant Result').map((e) => [e.Detail.tenantId, e.Detail.status, e.Source]))
      .toEqual([['t-01', 'SUCCEEDED', 'cdk-cross-account-cicd.fleet'], ['t-02', 'SUCCEEDED', 'cdk-cross-account-cicd.fleet'],
        ['t-03', 'SUCCEEDED', 'cdk-cross-account-cicd.fleet'], ['t-04', 'SUCCEEDED', 'cdk-cross-account-cicd.fleet']]);
    const wave1Metrics = world.metrics.find((m) => m.MetricData[0].Dimensions.some((d: Json) => d.Value === 'wave1'));
    expect(wave1Metrics.Namespace).toBe('CdkCrossAccountCicd/Fleet');
    expect(wave1Metrics.MetricData.map((m: Json) => [m.MetricName, m.Value])).toEqual([['TenantsSucceeded', 2], ['TenantsFailed', 0], ['TenantsPending', 0]]);
    expect(wave1Metrics.MetricData[0].Dimensions).toEqual([
      { Name: 'Registry', Value: 'fleet-registry' }, { Name: 'Release', Value: 'v42' }, { Name: 'Ring', Value: 'wave1' },
    ]);
  });

  test('ring 1 over its tolerance stops everything after it: no later Deploy, lock released, RolloutStopped', () => {
    const world = new World({ canary: ['t-01', 't-02'], wave1: ['t-03'], rest: ['t-04'] });
    world.tenant('t-02', { status: 'UPDATE_COMPLETE', endsIn: 'UPDATE_ROLLBACK_COMPLETE' });
    const result = run(world);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(ROLLOUT_ERRORS.STOPPED);
    expect(result.cause).toContain('stopped at canary: more tenants failed than the ring tolerates (0 tenant(s))');
    expect(result.cause).toContain('States.ExceedToleratedFailureThreshold');
    expect(visitedDeploy(result, 'wave1')).toBe(false);
    expect(visitedDeploy(result, 'rest')).toBe(false);
    expect(result.visited).not.toContain(R.RECORD_RELEASE);
    expect(result.visited.slice(-4)).toEqual([ringState('canary', X.OVER_TOLERANCE), R.STOPPED, R.STOPPED_EVENT, R.STOP]);
    expect(world.lockHolder).toBeUndefined();
    expect(world.releaseItem).toBeUndefined();
    expect(callsOf(result, 't-03')).toEqual([]);
    expect(world.records['t-02']).toEqual({ lastRelease: undefined, status: 'FAILED', reason: 'stack shop-app-t-02 ended UPDATE_ROLLBACK_COMPLETE: The following resource(s) failed to update: [Service].' });
    const stopped = world.events.filter((e) => e.DetailType === ROLLOUT_DETAIL_TYPES.STOPPED);
    expect(stopped.map((e) => [e.Detail.stage, e.Detail.error])).toEqual([['canary', 'States.ExceedToleratedFailureThreshold']]);
  });

  test('failures within the tolerance continue to the next ring, and the failures are counted in the metrics', () => {
    const world = new World({ canary: ['t-01'], wave1: ['t-02', 't-03'], rest: ['t-04'] });
    world.tenant('t-03', { status: 'UPDATE_COMPLETE', endsIn: 'UPDATE_ROLLBACK_COMPLETE' });
    const result = run(world);
    expect(result.status).toBe('SUCCEEDED');
    expect(visitedDeploy(result, 'rest')).toBe(true);
    expect(result.mapRuns.map((m) => [m.state, m.succeeded, m.failed])).toEqual([['canary-Deploy', 1, 0], ['wave1-Deploy', 1, 1], ['rest-Deploy', 1, 0]]);
    const wave1Metrics = world.metrics.find((m) => m.MetricData[0].Dimensions.some((d: Json) => d.Value === 'wave1'));
    expect(wave1Metrics.MetricData.map((m: Json) => m.Value)).toEqual([1, 1, 0]);
    expect(world.records['t-03'].status).toBe('FAILED');
  });

  test('a ring the plan left empty is skipped (HasTenants), without approval or Deploy', () => {
    const world = new World({ canary: ['t-01'], wave1: [], rest: ['t-04'] });
    const result = run(world);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain(ringState('wave1', X.HAS_TENANTS));
    expect(result.visited).not.toContain(ringState('wave1', X.APPROVAL));
    expect(visitedDeploy(result, 'wave1')).toBe(false);
  });

  test('re-running a release touches only the tenants in the ring files the planner wrote', () => {
    // The planner dropped tenants already on v42: only t-03 (failed last time) is left, in wave1.
    const world = new World({ canary: [], wave1: ['t-03'], rest: [] });
    world.tenant('t-03', { status: 'UPDATE_ROLLBACK_COMPLETE' });
    const result = run(world);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.filter((s) => s.endsWith('-Deploy'))).toEqual(['wave1-Deploy']);
    const stacks = new Set(result.taskCalls.filter((c) => c.resource?.includes(':cloudformation:')).map((c) => c.parameters.StackName));
    expect([...stacks]).toEqual(['shop-app-t-03']);
    expect(Object.keys(world.records)).toEqual(['t-03']);
    expect(result.mapRuns.map((m) => m.items)).toEqual([1]);
  });

  test('an approval that times out stops the rollout before the ring deploys', () => {
    const world = new World({ canary: ['t-01'], wave1: ['t-02', 't-03'], rest: ['t-04'] });
    world.approvals.wave1 = { error: 'States.Timeout', cause: 'The task timed out' };
    const result = run(world);
    expect(result).toEqual(expect.objectContaining({ status: 'FAILED', error: ROLLOUT_ERRORS.STOPPED }));
    expect(result.visited).toContain(ringState('wave1', X.APPROVAL_TIMED_OUT));
    expect(visitedDeploy(result, 'wave1')).toBe(false);
    expect(visitedDeploy(result, 'rest')).toBe(false);
    expect(world.lockHolder).toBeUndefined();
    expect(result.cause).toContain('nobody approved the ring within 3600 seconds');
  });

  test('an approval rejected with send-task-failure stops the rollout too', () => {
    const world = new World({ canary: ['t-01'], wave1: ['t-02'], rest: [] });
    world.approvals.wave1 = { error: 'Rejected', cause: 'not today' };
    const result = run(world);
    expect(result.error).toBe(ROLLOUT_ERRORS.STOPPED);
    expect(result.visited).toContain(ringState('wave1', X.APPROVAL_REJECTED));
    expect(result.cause).toContain('(Rejected)');
  });

  test('the approval message names the release, the ring, the tenant count, the token and how to answer', () => {
    const world = new World({ canary: ['t-01'], wave1: ['t-02', 't-03'], rest: [] });
    const result = run(world);
    const approval = result.taskCalls.find((c) => c.state === ringState('wave1', X.APPROVAL))!;
    expect(approval.parameters.TopicArn).toBe(BASE.approvalTopicArn);
    expect(approval.parameters.Message).toBe(
      'Release v42 is ready for ring wave1 (2 tenants). '
      + "To approve, run: aws stepfunctions send-task-success --task-token token-1 --task-output '{}' . "
      + "To reject, run: aws stepfunctions send-task-failure --task-token token-1 --error Rejected --cause 'why' . "
      + 'Without an answer within 3600 seconds the rollout stops.',
    );
    expect((rolloutDefinition(BASE) as Json).States[ringState('wave1', X.APPROVAL)].TimeoutSeconds).toBe(3600);
  });
});

describe('rollout state machine: the lock', () => {
  test('a second rollout while the first is RUNNING fails RolloutAlreadyRunning and deploys nothing', () => {
    const world = new World({ canary: ['t-01'], wave1: [], rest: [] });
    world.lockHolder = OTHER;
    world.holderStatus = 'RUNNING';
    const result = run(world);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(ROLLOUT_ERRORS.ALREADY_RUNNING);
    expect(result.cause).toContain(OTHER);
    expect(result.visited).toEqual([R.ACQUIRE_LOCK, R.READ_LOCK, R.LOCK_FOUND, R.DESCRIBE_LOCK_HOLDER, R.IS_HOLDER_RUNNING, R.ALREADY_RUNNING]);
    expect(result.taskCalls.find((c) => c.state === R.DESCRIBE_LOCK_HOLDER)!.parameters).toEqual({ ExecutionArn: OTHER });
    expect(world.lockHolder).toBe(OTHER);
  });

  test.each(['FAILED', 'ABORTED', 'TIMED_OUT'])('a stale lock (holder %s) is taken over, conditioned on the old holder', (status) => {
    const world = new World({ canary: ['t-01'], wave1: [], rest: [] });
    world.lockHolder = OTHER;
    world.holderStatus = status;
    const result = run(world);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.slice(0, 7)).toEqual([
      R.ACQUIRE_LOCK, R.READ_LOCK, R.LOCK_FOUND, R.DESCRIBE_LOCK_HOLDER, R.IS_HOLDER_RUNNING, R.TAKE_OVER_LOCK, R.PLAN,
    ]);
    const takeOver = result.taskCalls.find((c) => c.state === R.TAKE_OVER_LOCK)!.parameters;
    expect(takeOver.ConditionExpression).toBe('executionArn = :holder');
    expect(takeOver.ExpressionAttributeValues).toEqual({ ':holder': { S: OTHER } });
    expect(takeOver.Item.executionArn).toEqual({ S: ME });
    expect(world.lockHolder).toBeUndefined();
  });

  test('a holder whose execution no longer exists is taken over too', () => {
    const world = new World({ canary: ['t-01'], wave1: [], rest: [] });
    world.lockHolder = OTHER;
    const answer = world.answer;
    const result = walk(rolloutDefinition(BASE), RELEASE, (call) => (call.state === R.DESCRIBE_LOCK_HOLDER
      ? { error: CAUGHT_ERRORS.EXECUTION_DOES_NOT_EXIST, cause: 'Execution Does Not Exist' } : answer(call)), CONTEXT, { itemReader: world.itemReader });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toContain(R.TAKE_OVER_LOCK);
  });

  test('the first rollout takes a free lock with attribute_not_exists and releases only its own lock', () => {
    const world = new World({ canary: ['t-01'], wave1: [], rest: [] });
    const result = run(world);
    const acquire = result.taskCalls.find((c) => c.state === R.ACQUIRE_LOCK)!.parameters;
    expect(acquire).toEqual(expect.objectContaining({ TableName: 'fleet-registry', ConditionExpression: 'attribute_not_exists(tenantId)' }));
    expect(acquire.Item).toEqual({ tenantId: { S: '#lock' }, executionArn: { S: ME }, startedAt: { S: CONTEXT.Execution.StartTime }, release: { S: 'v42' } });
    const release = result.taskCalls.find((c) => c.state === R.RELEASE_LOCK)!.parameters;
    expect(release).toEqual(expect.objectContaining({ Key: { tenantId: { S: '#lock' } }, ConditionExpression: 'executionArn = :me', ExpressionAttributeValues: { ':me': { S: ME } } }));
    expect(result.taskCalls.find((c) => c.state === R.PLAN)!.parameters.Payload).toEqual({ mode: 'rollout', release: RELEASE.release, executionName: 'rollout-2' });
  });

  test('a planner failure releases the lock and stops the rollout', () => {
    const world = new World({ canary: ['t-01'], wave1: [], rest: [] });
    const answer = world.answer;
    const result = walk(rolloutDefinition(BASE), RELEASE, (call) => (call.state === R.PLAN
      ? { error: 'Lambda.Unknown', cause: 'boom' } : answer(call)), CONTEXT, { itemReader: world.itemReader });
    expect(result.error).toBe(ROLLOUT_ERRORS.STOPPED);
    expect(result.cause).toContain('stopped at PlanRollout');
    expect(world.lockHolder).toBeUndefined();
  });
});

describe('tenant deploy states (inside a ring)', () => {
  const oneRing: RolloutDefinitionProps = { ...BASE, rings: [{ name: 'canary', toleratedFailureCount: 1, bakeSeconds: 0, approval: false }] };
  const s = (name: string) => `${ringTenantPrefix('canary')}${name}`;

  test('a stack missing -> a CREATE change set with the release, the execution role and the capabilities', () => {
    const world = new World({ canary: ['t-01'] });
    const result = run(world, oneRing);
    expect(result.status).toBe('SUCCEEDED');
    const create = cfnCalls(result, 'createChangeSet')[0];
    expect(create.parameters).toEqual({
      StackName: 'shop-app-t-01',
      ChangeSetName: 'cdkx-uuid-1',
      ChangeSetType: 'CREATE',
      TemplateURL: item('t-01', 'canary').templateUrl,
      Parameters: [{ ParameterKey: 'ImageTag', ParameterValue: 'v42' }],
      RoleARN: item('t-01', 'canary').executionRoleArn,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      Description: 'cdk-cross-account-cicd fleet release v42',
    });
    expect(result.visited).toContain(s(T.USE_CREATE));
    expect(cfnCalls(result, 'executeChangeSet')[0].parameters).toEqual({ StackName: 'shop-app-t-01', ChangeSetName: 'cdkx-uuid-1' });
    expect(world.records['t-01']).toEqual({ lastRelease: 'v42', status: 'SUCCEEDED', reason: 'stack shop-app-t-01 is CREATE_COMPLETE' });
    // Polls: the change set once pending, the stack once in progress.
    expect(result.waits.map((w) => [w.state, w.seconds])).toEqual([
      [s(T.CHANGE_SET_WAIT), 5], [s(T.CHANGE_SET_WAIT), 10], [s(T.OPERATION_WAIT), 5], [s(T.OPERATION_WAIT), 10],
    ]);
  });

  test.each([
    ['UPDATE_COMPLETE', 'UPDATE'],
    ['UPDATE_ROLLBACK_COMPLETE', 'UPDATE'],
    ['REVIEW_IN_PROGRESS', 'CREATE'],
  ])('a stack in %s takes an %s change set', (status, type) => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { status });
    const result = run(world, oneRing);
    expect(cfnCalls(result, 'createChangeSet')[0].parameters.ChangeSetType).toBe(type);
  });

  test('a stack busy with another operation is described again after the poll waits (the last one repeats)', () => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { status: 'UPDATE_COMPLETE', busy: 3 });
    const result = run(world, oneRing);
    expect(result.waits.filter((w) => w.state === s(T.STACK_BUSY_WAIT)).map((w) => w.seconds)).toEqual([5, 10, 10]);
    expect(cfnCalls(result, 'describeStacks').filter((c) => c.state === s(T.DESCRIBE_STACK))).toHaveLength(4);
    expect(cfnCalls(result, 'createChangeSet')[0].parameters.ChangeSetType).toBe('UPDATE');
    expect(world.records['t-01'].status).toBe('SUCCEEDED');
  });

  test('a stack left ROLLBACK_COMPLETE by its first creation fails with what to do, without a change set', () => {
    const world = new World({ canary: ['t-01', 't-02'] });
    world.tenant('t-01', { status: 'ROLLBACK_COMPLETE' });
    const result = run(world, oneRing);
    expect(result.status).toBe('SUCCEEDED');
    expect(world.records['t-01'].status).toBe('FAILED');
    expect(world.records['t-01'].reason).toMatch(/^stack shop-app-t-01 is ROLLBACK_COMPLETE: .*never created.*delete the stack/);
    expect(callsOf(result, 't-01').filter((c) => c.resource?.endsWith('createChangeSet'))).toEqual([]);
  });

  test('"no changes" succeeds: DeleteChangeSet, no ExecuteChangeSet, RecordSuccess with the release', () => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { status: 'UPDATE_COMPLETE', noChanges: true });
    const result = run(world, oneRing);
    expect(result.status).toBe('SUCCEEDED');
    const deleted = cfnCalls(result, 'deleteChangeSet');
    expect(deleted.map((c) => c.parameters)).toEqual([{ StackName: 'shop-app-t-01', ChangeSetName: 'cdkx-uuid-1' }]);
    expect(deleted[0].roleArn).toBe(item('t-01', 'canary').actionRoleArn);
    expect(cfnCalls(result, 'executeChangeSet')).toEqual([]);
    expect(result.visited).toEqual(expect.arrayContaining([s(T.NO_CHANGES), s(T.RECORD_SUCCESS), s(T.SUCCEEDED)]));
    expect(world.records['t-01']).toEqual({ lastRelease: 'v42', status: 'SUCCEEDED', reason: 'no changes: the stack already matches the release' });
  });

  test('throttling is retried by the task Retry (each attempt counted) and the deploy goes on', () => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { status: 'UPDATE_COMPLETE', throttles: 2 });
    const result = run(world, oneRing);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retries.filter((r) => r.state === s(T.CREATE_CHANGE_SET))).toEqual([
      { state: s(T.CREATE_CHANGE_SET), error: 'CloudFormation.ThrottlingException', attempt: 1 },
      { state: s(T.CREATE_CHANGE_SET), error: 'CloudFormation.ThrottlingException', attempt: 2 },
    ]);
    expect(cfnCalls(result, 'createChangeSet').map((c) => [c.attempt, c.parameters.ChangeSetName])).toEqual([[1, 'cdkx-uuid-1'], [2, 'cdkx-uuid-1'], [3, 'cdkx-uuid-1']]);
    expect(world.records['t-01'].status).toBe('SUCCEEDED');
  });

  test('throttling past the retries fails only that tenant, with the error in its reason', () => {
    const world = new World({ canary: ['t-01', 't-02'] });
    world.tenant('t-01', { status: 'UPDATE_COMPLETE', throttles: 99 });
    const result = run(world, oneRing);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retries.filter((r) => r.state === s(T.CREATE_CHANGE_SET))).toHaveLength(4);
    expect(world.records['t-01'].reason).toBe('CloudFormation.ThrottlingException: Rate exceeded (Service: CloudFormation, Status Code: 400)');
    expect(world.records['t-02'].status).toBe('SUCCEEDED');
  });

  test('a stack missing reported as CloudFormationException is retried like throttling, then treated as missing', () => {
    const world = new World({ canary: ['t-01'] });
    const result = run(world, oneRing);
    expect(result.retries.filter((r) => r.state === s(T.DESCRIBE_STACK)).map((r) => r.error)).toEqual(Array(4).fill('CloudFormation.CloudFormationException'));
    expect(result.visited).toContain(s(T.USE_CREATE));
  });

  test('a tenant whose roles do not exist yet waits with the backoff; only it fails when the window ends', () => {
    const world = new World({ canary: ['t-01', 't-02', 't-03'] });
    world.tenant('t-02', { roleFailures: Infinity });
    const result = run(world, oneRing);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.waits.filter((w) => w.state === s(T.WAIT_FOR_ROLE)).map((w) => w.seconds)).toEqual([30, 60, 90]);
    expect(callsOf(result, 't-02').filter((c) => c.state === s(T.DESCRIBE_STACK))).toHaveLength(4);
    expect(world.records['t-02'].status).toBe('FAILED');
    expect(world.records['t-02'].reason).toMatch(/^the action role arn:aws:iam::222222222202:role\/cdkx-shop-deploy-action could not be assumed for 3 minutes \(deploy the tenant roles into account 222222222202, then re-run\): User: .* sts:AssumeRole/);
    expect([world.records['t-01'].status, world.records['t-03'].status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(result.mapRuns).toEqual([expect.objectContaining({ succeeded: 2, failed: 1, notRun: 0 })]);
    const failed = world.events.find((e) => e.Detail.tenantId === 't-02');
    expect(failed.Detail).toEqual(expect.objectContaining({ status: 'FAILED', ring: 'canary', account: '222222222202', region: 'us-east-1', release: 'v42' }));
  });

  test.each([
    ['STS AccessDenied text', { error: 'States.TaskFailed', cause: 'User: arn:aws:sts::1:assumed-role/e/x is not authorized to perform: sts:AssumeRole on resource: r' }, 1],
    ['an AccessDenied error naming AssumeRole', { error: 'CloudFormation.AccessDeniedException', cause: 'Access denied while calling AssumeRole' }, 1],
    ['"not authorized to assume"', { error: 'States.TaskFailed', cause: 'The state machine role is not authorized to assume the role r' }, 1],
    ['"assume the provided role"', { error: 'States.TaskFailed', cause: 'Neither the global service principal nor the regional one can assume the provided role.' }, 1],
    // Retried 4 times by the throttling Retry first (the same error name), then waited for.
    ['CloudFormation AccessDenied while the role policy propagates',
      { error: 'CloudFormation.CloudFormationException', cause: 'User: r is not authorized to perform: cloudformation:DescribeStacks' }, 5],
    ['States.Permissions', { error: 'States.Permissions', cause: 'insufficient privileges' }, 1],
  ] as Array<[string, { error: string; cause: string }, number]>)('a role not ready reported with %s is waited for', (_how, roleError, failures) => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { roleFailures: failures, roleError });
    const result = run(world, oneRing);
    expect(result.waits.filter((w) => w.state === s(T.WAIT_FOR_ROLE)).map((w) => w.seconds)).toEqual([30]);
    expect(world.records['t-01'].status).toBe('SUCCEEDED');
  });

  test('another DescribeStack error is not mistaken for a role not ready: the tenant fails at once with it', () => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { roleFailures: 1, roleError: { error: 'States.TaskFailed', cause: 'Internal failure' } });
    const result = run(world, oneRing);
    expect(result.waits).toEqual([]);
    expect(world.records['t-01']).toEqual(expect.objectContaining({ status: 'FAILED', reason: 'States.TaskFailed: Internal failure' }));
  });

  test('a tenant whose roles arrive during the window deploys (waits 30 s then 60 s)', () => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { roleFailures: 2 });
    const result = run(world, oneRing);
    expect(result.waits.filter((w) => w.state === s(T.WAIT_FOR_ROLE)).map((w) => w.seconds)).toEqual([30, 60]);
    expect(world.records['t-01'].status).toBe('SUCCEEDED');
  });

  test('a failed change set fails the tenant with CloudFormation\'s StatusReason', () => {
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { status: 'UPDATE_COMPLETE' });
    const answer = world.answer;
    const result = walk(rolloutDefinition(oneRing), RELEASE, (call) => (call.resource?.endsWith('describeChangeSet')
      ? { result: { Status: 'FAILED', StatusReason: 'Template format error: Unresolved resource dependencies [X]' } } : answer(call)), CONTEXT, { itemReader: world.itemReader });
    expect(result.status).toBe('SUCCEEDED');
    expect(world.records['t-01'].reason).toBe('change set cdkx-uuid-1 of stack shop-app-t-01 failed: Template format error: Unresolved resource dependencies [X]');
    expect(cfnCalls(result, 'deleteChangeSet')).toEqual([]);
  });

  test('the failed tenant\'s child execution fails with TenantDeploymentFailed (what the Map Run counts)', () => {
    const tenant = tenantDeployStates({ partition: 'aws', tableName: 'fleet-registry', eventBusArn: 'bus', roleWaitSchedule: [] });
    const world = new World({ canary: ['t-01'] });
    world.tenant('t-01', { roleFailures: 1 });
    const result = walk(tenant, item('t-01', 'canary'), world.answer, CONTEXT);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(ROLLOUT_ERRORS.TENANT_DEPLOYMENT_FAILED);
    expect(result.cause).toMatch(/^tenant t-01 \(222222222201 us-east-1\): the action role .* could not be assumed for 0 seconds/);
    expect(result.waits).toEqual([]);
  });
});

describe('onboarding state machine', () => {
  const props = { ...BASE, roleWaitSchedule: [30, 60, 120, 240] };
  const definition = onboardingDefinition(props);

  test('deploys the last release once the roles answer (long window)', () => {
    const world = new World({});
    world.tenant('t-09', { roleFailures: 3 });
    world.onboardingPlan = { deploy: true, item: item('t-09', 'canary') };
    const result = walk(definition, { tenantId: 't-09' }, world.answer, CONTEXT);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited.slice(0, 4)).toEqual([ONBOARDING_STATES.PLAN, ONBOARDING_STATES.SHOULD_DEPLOY, ONBOARDING_STATES.USE_ITEM, T.PREPARE]);
    expect(result.taskCalls[0].parameters.Payload).toEqual({ mode: 'onboard', tenantId: 't-09' });
    expect(result.waits.filter((w) => w.state === T.WAIT_FOR_ROLE).map((w) => w.seconds)).toEqual([30, 60, 120]);
    expect(cfnCalls(result, 'createChangeSet')[0].parameters.ChangeSetType).toBe('CREATE');
    expect(world.records['t-09']).toEqual({ lastRelease: 'v42', status: 'SUCCEEDED', reason: 'stack shop-app-t-09 is CREATE_COMPLETE' });
  });

  test('nothing to deploy (no release yet, or an invalid record): succeeds without touching the tenant', () => {
    const world = new World({});
    const result = walk(definition, { tenantId: 't-09' }, world.answer, CONTEXT);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.visited).toEqual([ONBOARDING_STATES.PLAN, ONBOARDING_STATES.SHOULD_DEPLOY, ONBOARDING_STATES.NOTHING_TO_DEPLOY]);
    expect(result.taskCalls).toHaveLength(1);
  });

  test('roles that never answer within the window fail the execution with TenantDeploymentFailed', () => {
    const world = new World({});
    world.tenant('t-09', { roleFailures: Infinity });
    world.onboardingPlan = { deploy: true, item: item('t-09', 'canary') };
    const result = walk(definition, { tenantId: 't-09' }, world.answer, CONTEXT);
    expect(result.error).toBe(ROLLOUT_ERRORS.TENANT_DEPLOYMENT_FAILED);
    expect(result.cause).toContain('could not be assumed for 450 seconds');
    expect(world.records['t-09'].status).toBe('FAILED');
  });
});

/** Every state of a machine, nested ItemProcessors included, with the list it lives in. */
function allStates(machine: Json, out: Array<[string, Json, Json]> = []): Array<[string, Json, Json]> {
  for (const [name, state] of Object.entries(machine.States) as Array<[string, Json]>) {
    out.push([name, state, machine]);
    if (state.ItemProcessor) allStates(state.ItemProcessor, out);
  }
  return out;
}

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

describe('structure', () => {
  const longRing = 'a'.repeat(32);
  const machines: Array<[string, Json]> = [
    ['rollout', rolloutDefinition(BASE)],
    ['rollout with a 32-character ring', rolloutDefinition({ ...BASE, rings: [{ name: longRing, bakeSeconds: 60, approval: true, approvalTimeoutSeconds: 60 }] })],
    ['onboarding', onboardingDefinition(BASE)],
  ];

  test.each(machines)('%s: every CloudFormation task carries the action role Credentials and the throttling Retry; no DynamoDB/EventBridge task has Credentials', (_name, machine) => {
    const tasks = allStates(machine).filter(([, state]) => state.Type === 'Task');
    const cfn = tasks.filter(([, state]) => state.Resource.includes(':cloudformation:'));
    expect(cfn.length).toBeGreaterThanOrEqual(6);
    for (const [name, state] of cfn) {
      expect([name, state.Resource]).toEqual([name, expect.stringMatching(/^arn:aws:states:::aws-sdk:cloudformation:\w+$/)]);
      expect(state.Credentials).toEqual({ 'RoleArn.$': '$.actionRoleArn' });
      expect(state.Retry[0].ErrorEquals).toEqual(CFN_THROTTLING_ERRORS);
      expect(state.Retry[0].ErrorEquals).toContain('CloudFormation.ThrottlingException');
    }
    const engine = tasks.filter(([, state]) => /:(dynamodb|events|lambda|sns|sfn|cloudwatch):/.test(state.Resource) || /:::(dynamodb|events|lambda|sns):/.test(state.Resource));
    expect(engine.length).toBeGreaterThan(0);
    for (const [, state] of engine) expect(state.Credentials).toBeUndefined();
  });

  test('at run time too: every CloudFormation call used the tenant\'s action role, no other call a role', () => {
    const world = new World({ canary: ['t-01'], wave1: ['t-02'], rest: ['t-03'] });
    world.tenant('t-02', { status: 'UPDATE_COMPLETE', noChanges: true });
    const result = run(world);
    for (const call of result.taskCalls) {
      if (call.resource!.includes(':cloudformation:')) expect(call.roleArn).toBe(call.input.actionRoleArn);
      else expect(call.roleArn).toBeUndefined();
    }
  });

  test.each(machines)('%s: state names are at most 80 characters, unique across the machine, and every state is reachable', (_name, machine) => {
    const names = allStates(machine).map(([name]) => name);
    expect(names.filter((n) => n.length > 80)).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
    expect(unreachableStates(machine)).toEqual([]);
    for (const [name, state, list] of allStates(machine)) {
      const targets = [state.Next, state.Default, ...(state.Choices ?? []).map((c: Json) => c.Next), ...(state.Catch ?? []).map((c: Json) => c.Next)];
      for (const next of targets) {
        if (next !== undefined) expect([name, next in list.States]).toEqual([name, true]);
      }
    }
  });

  test('each ring Deploy is a Distributed Map reading its ring file, with the ring\'s tolerance, the cap and a ResultWriter', () => {
    const d: Json = rolloutDefinition(BASE);
    const canary = d.States['canary-Deploy'];
    expect(canary.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Bucket': 'work-bucket', 'Key.$': '$.plan.rings[0].itemsKey' },
    });
    expect(canary.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(canary.ItemProcessor.StartAt).toBe('canary-PrepareDeploy');
    expect(canary.MaxConcurrency).toBe(25);
    expect(canary.ToleratedFailureCount).toBe(0);
    expect(canary.ToleratedFailurePercentage).toBeUndefined();
    expect(d.States['wave1-Deploy'].ToleratedFailurePercentage).toBe(50);
    expect(d.States['wave1-Deploy'].ToleratedFailureCount).toBeUndefined();
    expect(d.States['wave1-Deploy'].ItemReader.Parameters['Key.$']).toBe('$.plan.rings[1].itemsKey');
    expect(canary.ResultWriter).toEqual({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'work-bucket', Prefix: 'results/' } });
    expect(canary.Catch.map((c: Json) => [c.ErrorEquals, c.Next])).toEqual([
      [['States.ExceedToleratedFailureThreshold'], 'canary-OverTolerance'],
      [['States.ALL'], 'canary-DeployFailed'],
    ]);
    expect(d.States['canary-Bake']).toEqual({ Type: 'Wait', Comment: expect.any(String), Seconds: 600, Next: 'wave1-HasTenants' });
    expect(d.States['wave1-Bake']).toBeUndefined();
    expect(d.States['canary-Approval']).toBeUndefined();
    expect(d.States[ringState('rest', X.METRICS)].Next).toBe(R.RECORD_RELEASE);
  });

  test('bad ring settings are refused', () => {
    expect(() => rolloutDefinition({ ...BASE, rings: [{ name: 'bad ring', bakeSeconds: 0, approval: false }] })).toThrow(/must match/);
    expect(() => rolloutDefinition({ ...BASE, approvalTopicArn: undefined })).toThrow(/approvalTopicArn/);
    expect(() => rolloutDefinition({ ...BASE, rings: [{ name: 'a', toleratedFailureCount: 1, toleratedFailurePercentage: 5, bakeSeconds: 0, approval: false }] })).toThrow(/not both/);
  });
});
