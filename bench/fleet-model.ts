/**
 * The fleet benchmark's arithmetic, for N tenants and both engines:
 * FleetRollout (Step Functions Standard, Distributed Map) and
 * CrossAccountPipeline (CodePipeline V2 wave stages). Sequential deploy rounds
 * to the last tenant, peak concurrent deploys, peak API rates against the
 * documented quotas, and the AWS cost of one release.
 *
 * Pure: no synth, no I/O. Every number is in QUOTAS, PRICES or TIMING below,
 * with the page it comes from, or marked "assumed" (here and in the printed
 * rows) when the page could not be found.
 *
 * One tenant's states are the engine's own (tenantDeployStates walked on its
 * happy path), so transitions, polls and credentialed calls follow the
 * definition. Rates are the busiest window of one steady poll interval (30 s)
 * in the busiest round, averaged per second and compared with the refill
 * rate: token buckets (StartExecution, state transitions) admit a burst of
 * their bucket size on top, and every CloudFormation task retries throttling
 * with backoff, so what must stay under the quota is the rate sustained over
 * such a window, not the first second of a ring.
 */
import { makeTargets } from './targets';
import { DEFAULT_LIMITS, planRollout } from '../src/cross-account-pipeline/rollout-plan';
import { DEFAULT_MAX_CONCURRENCY } from '../src/fleet-rollout/fleet-rollout';
import { DEFAULT_POLL_SCHEDULE, TENANT_STATES, tenantDeployStates } from '../src/fleet-rollout/private/tenant-deploy-states';
import { assignRings, fleetRounds, RingSpec, RingTenant } from '../src/fleet-rollout/ring-plan';
import { TaskCall, TaskOutcome, walk } from '../test/fixtures/asl-walker';

/** Tenant counts of the fleet rows. */
export const FLEET_SIZES = [10, 100, 1000, 5000, 50_000];

/** The rings the issue asks about: canary (1 tenant), 1%, 10%, the rest. */
export const BENCH_RINGS: readonly RingSpec[] = [
  { name: 'canary', selector: { kind: 'named', ringName: 'canary' }, bakeSeconds: 0, approval: false },
  { name: 'percent-1', selector: { kind: 'percent', percent: 1 }, bakeSeconds: 0, approval: false },
  { name: 'percent-10', selector: { kind: 'percent', percent: 10 }, bakeSeconds: 0, approval: false },
  { name: 'rest', selector: { kind: 'rest' }, bakeSeconds: 0, approval: false },
];

/** Where a number comes from: a page, or why it is assumed. */
export interface Source {
  readonly title: string;
  readonly url?: string;
  /** Set when no page in the corpus states the number: what was assumed and why. */
  readonly assumed?: string;
}

export interface Cited {
  readonly value: number;
  readonly source: Source;
}

const SFN_QUOTAS_PAGE: Source = {
  title: 'AWS Step Functions Developer Guide, "Quotas" (limits-overview): quotas related to state throttling and to API action throttling',
  url: 'https://docs.aws.amazon.com/step-functions/latest/dg/limits-overview.html',
};
const SFN_PARALLEL_PAGE: Source = {
  title: 'AWS Step Functions Developer Guide, "Orchestrating large-scale parallel workloads" ("If you don\'t specify, Step Functions runs 10,000 parallel child workflow executions")',
  url: 'https://docs.aws.amazon.com/step-functions/latest/dg/concepts-orchestrate-large-scale-parallel-workloads.html',
};
const IAM_QUOTAS_PAGE: Source = {
  title: 'IAM User Guide, "IAM and AWS STS quotas", section "STS request quotas" (600 requests per second per account per Region, AssumeRole shared with GetCallerIdentity and others; only the calling account is charged)',
  url: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html',
};

/**
 * The quotas the rates are checked against, in the tooling account's Region
 * (us-east-1, bench/targets.ts TOOLING), which is one of the three "large"
 * Regions of the Step Functions quota tables.
 */
export const QUOTAS = {
  /** Standard StartExecution, us-east-1/us-west-2/eu-west-1: bucket 1,300, refill 300/s (elsewhere 800 and 150/s). */
  startExecutionRefill: { value: 300, source: SFN_QUOTAS_PAGE } as Cited,
  startExecutionBucket: { value: 1300, source: SFN_QUOTAS_PAGE } as Cited,
  startExecutionRefillOtherRegions: { value: 150, source: SFN_QUOTAS_PAGE } as Cited,
  /** Standard StateTransition, same three Regions: bucket 5,000, refill 1,500/s (elsewhere 800 and 500/s). */
  stateTransitionRefill: { value: 1500, source: SFN_QUOTAS_PAGE } as Cited,
  stateTransitionBucket: { value: 5000, source: SFN_QUOTAS_PAGE } as Cited,
  stateTransitionRefillOtherRegions: { value: 500, source: SFN_QUOTAS_PAGE } as Cited,
  /** Distributed Map child executions in parallel (MaxConcurrency ceiling, default). */
  mapConcurrency: { value: 10_000, source: SFN_PARALLEL_PAGE } as Cited,
  /** Input or output of a task, state or execution: 262,144 bytes (a child execution's input is one tenant work item). */
  payloadBytes: { value: 262_144, source: SFN_QUOTAS_PAGE } as Cited,
  /**
   * sts:AssumeRole of the tooling account (the engine role assumes each tenant's
   * action role). The page adds that requests "by AWS service principals, such as
   * those used to assume roles for use with an AWS service, do not consume" it;
   * whether task Credentials count is not stated, so they are counted (the
   * conservative reading).
   */
  assumeRole: { value: 600, source: IAM_QUOTAS_PAGE } as Cited,
  /**
   * CloudFormation API calls per account and Region. CloudFormation publishes no
   * request rate ("Rate exceeded" knowledge-center article: throttled per account,
   * back off or ask for an increase), so this is assumed.
   */
  cloudFormationPerAccount: {
    value: 10,
    source: {
      title: 'AWS re:Post Knowledge Center, "How do I prevent "Rate exceeded" errors in CloudFormation?" (no number published)',
      url: 'https://repost.aws/knowledge-center/cloudformation-rate-exceeded-error',
      assumed: '10 calls/s per account and Region (CloudFormation publishes no API rate quota)',
    },
  } as Cited,
};

/** Prices in us-east-1, USD. */
export const PRICES = {
  stateTransition: {
    value: 0.025 / 1000,
    source: { title: 'AWS Step Functions Pricing, Standard workflows: $0.025 per 1,000 state transitions (US East (N. Virginia)); retries count', url: 'https://aws.amazon.com/step-functions/pricing/' },
  } as Cited,
  lambdaRequest: {
    value: 0.2 / 1e6,
    source: { title: 'How AWS Pricing Works (whitepaper), "Lambda": $0.20 per 1 million requests', url: 'https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html' },
  } as Cited,
  lambdaGbSecond: {
    value: 0.0000166667,
    source: { title: 'How AWS Pricing Works (whitepaper), "Lambda": $0.00001667 per GB-second (x86)', url: 'https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html' },
  } as Cited,
  dynamoWriteUnit: {
    value: 0.625 / 1e6,
    source: { title: 'Amazon DynamoDB pricing, on-demand', url: 'https://aws.amazon.com/dynamodb/pricing/on-demand/', assumed: '$0.625 per million write request units (on-demand price since Nov 2024; the page was not in the corpus)' },
  } as Cited,
  dynamoReadUnit: {
    value: 0.125 / 1e6,
    source: { title: 'Amazon DynamoDB pricing, on-demand', url: 'https://aws.amazon.com/dynamodb/pricing/on-demand/', assumed: '$0.125 per million read request units (on-demand price since Nov 2024; the page was not in the corpus)' },
  } as Cited,
  eventBridgeEvent: {
    value: 1 / 1e6,
    source: { title: 'Amazon EventBridge pricing: custom events $1.00 per million (as quoted by "AWS EventBridge Pricing Guide", blog.awsfundamentals.com; AWS page not in the corpus)', url: 'https://aws.amazon.com/eventbridge/pricing/' },
  } as Cited,
  s3Put: {
    value: 0.005 / 1000,
    source: { title: 'Amazon S3 pricing, S3 Standard PUT/COPY/POST/LIST $0.005 per 1,000 (as quoted by cloudkaramchari.com; AWS table not in the corpus excerpt)', url: 'https://aws.amazon.com/s3/pricing/' },
  } as Cited,
  s3Get: {
    value: 0.0004 / 1000,
    source: { title: 'Amazon S3 pricing, S3 Standard GET', url: 'https://aws.amazon.com/s3/pricing/', assumed: '$0.0004 per 1,000 GET requests (S3 Standard, us-east-1; the table was not in the corpus excerpt)' },
  } as Cited,
  putMetricDataRequest: {
    value: 0.01 / 1000,
    source: { title: 'Amazon CloudWatch pricing, metrics API requests', url: 'https://aws.amazon.com/cloudwatch/pricing/', assumed: '$0.01 per 1,000 PutMetricData requests (the paid tier table was not in the corpus excerpt)' },
  } as Cited,
  customMetricHour: {
    value: 0.3 / 730,
    source: { title: 'Amazon CloudWatch pricing, custom metrics', url: 'https://aws.amazon.com/cloudwatch/pricing/', assumed: '$0.30 per metric-month prorated hourly (730 h): a new Release dimension makes new metrics, billed for the hour they get data' },
  } as Cited,
  codePipelineV2ActionMinute: {
    value: 0.002,
    source: { title: 'AWS CodePipeline pricing: V2 $0.002 per action execution minute (rounded up per action; manual approvals free); V1 $1.00 per active pipeline per month', url: 'https://aws.amazon.com/codepipeline/pricing/' },
  } as Cited,
  codePipelineV1PipelineMonth: {
    value: 1,
    source: { title: 'AWS CodePipeline pricing: V1 $1.00 per active pipeline per month', url: 'https://aws.amazon.com/codepipeline/pricing/' },
  } as Cited,
};

/** How long one tenant's deploy takes (assumed: no better number found), and the engine's poll schedule. */
export interface DeployTiming {
  /** Waits between polls of a change set or stack operation (the last repeats): the engine's default. */
  readonly pollSchedule: readonly number[];
  /** How long CloudFormation takes to create the change set. */
  readonly changeSetSeconds: number;
  /** How long the stack update runs. */
  readonly stackUpdateSeconds: number;
  /** How long one task (an SDK call) takes. */
  readonly taskSeconds: number;
}

export const TIMING: DeployTiming = {
  pollSchedule: DEFAULT_POLL_SCHEDULE,
  changeSetSeconds: 30,
  stackUpdateSeconds: 300,
  taskSeconds: 1,
};

/** The window the rates are averaged over: the steady poll interval (the schedule's last wait). */
export function rateWindowSeconds(timing: DeployTiming = TIMING): number {
  return timing.pollSchedule[timing.pollSchedule.length - 1];
}

/** Assumptions of the cost model that no page gives. */
export const COST_ASSUMPTIONS = {
  /** The planner's memory (FleetRollout's PlannerFunction: 1,024 MB). */
  plannerMemoryGb: 1,
  /** Planner duration: a fixed start plus the scan, validation and ring files per tenant (assumed). */
  plannerFixedSeconds: 2,
  plannerSecondsPerTenant: 0.002,
  /** A tenant record is well under 4 KB: an eventually consistent Scan reads 8 per read request unit (0.5 RRU per 4 KB). */
  tenantsPerReadUnit: 8,
  /** ResultWriter writes a manifest and result files per Map Run (assumed 3 PUTs). */
  resultWriterPutsPerRing: 3,
  /** Metrics per ring (TenantsSucceeded, TenantsFailed, TenantsPending). */
  metricsPerRing: 3,
  /** Pipeline: Source and Build action minutes per release (assumed). */
  pipelineSourceMinutes: 1,
  pipelineBuildMinutes: 5,
};

/** One state entered by a tenant's deploy (each is a billed state transition), and when. */
export interface TimelineEntry {
  readonly at: number;
  readonly state: string;
  /** A call made with the tenant's action role (task Credentials: one sts:AssumeRole, one CloudFormation call). */
  readonly credentialed: boolean;
}

/** Polls of a wait loop over `schedule` (the last wait repeats) until something that takes `seconds` is done. */
export function pollsFor(seconds: number, schedule: readonly number[]): number {
  let waited = 0;
  let polls = 0;
  while (polls === 0 || waited < seconds) {
    waited += schedule[Math.min(polls, schedule.length - 1)];
    polls++;
  }
  return polls;
}

/**
 * One tenant's happy path (an update that succeeds): the engine's own tenant
 * deploy states (tenantDeployStates, the ItemProcessor of every ring) walked
 * with test/fixtures/asl-walker.ts, CloudFormation answering "in progress"
 * until the change set and the update have taken `timing`'s seconds. Each
 * visited state is a billed transition; Wait states advance the clock by the
 * seconds the definition computes, tasks by `taskSeconds`.
 */
export function tenantTimeline(timing: DeployTiming = TIMING): TimelineEntry[] {
  const definition = tenantDeployStates({
    partition: 'aws',
    tableName: 'registry',
    eventBusArn: 'arn:aws:events:us-east-1:111111111111:event-bus/default',
    roleWaitSchedule: [5],
    pollSchedule: [...timing.pollSchedule],
  });
  const changeSetPolls = pollsFor(timing.changeSetSeconds, timing.pollSchedule);
  const operationPolls = pollsFor(timing.stackUpdateSeconds, timing.pollSchedule);
  let describeChangeSet = 0;
  let describeStacks = 0;
  const script = (call: TaskCall): TaskOutcome => {
    switch (call.state) {
      case TENANT_STATES.DESCRIBE_STACK: return { result: { Stacks: [{ StackStatus: 'UPDATE_COMPLETE' }] } };
      case TENANT_STATES.DESCRIBE_CHANGE_SET:
        return { result: { Status: ++describeChangeSet >= changeSetPolls ? 'CREATE_COMPLETE' : 'CREATE_IN_PROGRESS' } };
      case TENANT_STATES.DESCRIBE_STACKS:
        return { result: { Stacks: [{ StackStatus: ++describeStacks >= operationPolls ? 'UPDATE_COMPLETE' : 'UPDATE_IN_PROGRESS' }] } };
      default: return { result: {} };
    }
  };
  const item = {
    tenantId: 't-0001',
    account: '200000000001',
    region: 'eu-west-1',
    ring: 'rest',
    stackName: 'shop-app',
    actionRoleArn: 'arn:aws:iam::200000000001:role/cdkx-shop-deploy-action',
    executionRoleArn: 'arn:aws:iam::200000000001:role/cdkx-shop-cfn-exec',
    templateUrl: 'https://bucket.s3.eu-west-1.amazonaws.com/fleet/releases/v42/template.json',
    release: 'v42',
    parameters: [],
  };
  const context = { Execution: { Name: 'bench', Id: 'arn:aws:states:us-east-1:111111111111:execution:fleet:bench' }, State: { EnteredTime: '2026-12-01T00:00:00Z' } };
  const walked = walk(definition, item, script, context);
  if (walked.status !== 'SUCCEEDED') {
    throw new Error(`the tenant deploy states did not succeed on the happy path: ${walked.error}: ${walked.cause}`);
  }
  const entries: TimelineEntry[] = [];
  let at = 0;
  let waits = 0;
  for (const name of walked.visited) {
    const state = definition.States[name] as { Type: string; Credentials?: unknown };
    entries.push({ at, state: name, credentialed: state.Credentials !== undefined });
    if (state.Type === 'Task') at += timing.taskSeconds;
    if (state.Type === 'Wait') at += walked.waits[waits++].seconds;
  }
  return entries;
}

/** Seconds from a tenant's first state to its last. */
export function tenantDeploySeconds(timing: DeployTiming = TIMING): number {
  const timeline = tenantTimeline(timing);
  return timeline[timeline.length - 1].at;
}

/** The most entries (matching `which`) in any window of `windowSeconds` of the timeline. */
export function peakInWindow(timeline: readonly TimelineEntry[], windowSeconds: number, which: (e: TimelineEntry) => boolean = () => true): number {
  const times = timeline.filter(which).map((e) => e.at);
  let peak = 0;
  for (const start of times) peak = Math.max(peak, times.filter((t) => t >= start && t < start + windowSeconds).length);
  return peak;
}

/**
 * Children started per second when `count` start at once: the token bucket
 * admits `bucket` in the first second, then `refill` per second (assumed:
 * Distributed Map documents no child start rate of its own, so child starts
 * are paced like StartExecution calls).
 */
export function startSchedule(count: number, bucket: number, refill: number): number[] {
  const perSecond: number[] = [];
  let left = count;
  while (left > 0) {
    const now = Math.min(left, perSecond.length === 0 ? Math.max(bucket, refill) : refill);
    perSecond.push(now);
    left -= now;
  }
  return perSecond;
}

/**
 * The most `which` entries in any `windowSeconds` window when tenants start as
 * `starts` (children per second) and each follows `timeline`.
 */
export function peakWindowTotal(
  starts: readonly number[], timeline: readonly TimelineEntry[], windowSeconds: number, which: (e: TimelineEntry) => boolean = () => true,
): number {
  const perTenant: number[] = [];
  for (const e of timeline.filter(which)) {
    const second = Math.floor(e.at);
    perTenant[second] = (perTenant[second] ?? 0) + 1;
  }
  const total: number[] = new Array(starts.length + perTenant.length).fill(0);
  starts.forEach((started, k) => perTenant.forEach((n, t) => { if (n) total[k + t] += started * n; }));
  let peak = 0;
  let sum = 0;
  for (let t = 0; t < total.length; t++) {
    sum += total[t] - (t >= windowSeconds ? total[t - windowSeconds] : 0);
    peak = Math.max(peak, sum);
  }
  return peak;
}

/**
 * State transitions of the rollout execution itself (not its children): the
 * lock and plan, per ring HasTenants, Deploy, Counts, Metrics (plus Approval and
 * Bake when configured; HasTenants alone for an empty ring), then the release
 * record, the lock release, the finished event and Succeed.
 */
export function parentTransitions(rings: readonly RingSpec[], ringSizes: readonly number[]): number {
  const perRing = rings.map((ring, i) => (ringSizes[i] === 0 ? 1 : 4 + (ring.approval ? 1 : 0) + (ring.bakeSeconds > 0 ? 1 : 0)));
  return 2 + perRing.reduce((a, b) => a + b, 0) + 4;
}

/** One rate against its quota. */
export interface RateCheck {
  readonly api: string;
  readonly perSecond: number;
  readonly quota: Cited;
  /** Where the quota applies. */
  readonly scope: string;
  readonly over: boolean;
}

export function rateCheck(api: string, perSecond: number, quota: Cited, scope: string): RateCheck {
  return { api, perSecond, quota, scope, over: perSecond > quota.value };
}

/** One cost line of a release. */
export interface CostItem {
  readonly what: string;
  readonly usd: number;
  readonly assumed: boolean;
}

/** What the model says of one engine at one size. */
export interface EngineModel {
  readonly engine: 'fleet' | 'pipeline';
  readonly tenants: number;
  /** Sequential deploy rounds to reach the last tenant. */
  readonly rounds: number;
  readonly peakConcurrentDeploys: number;
  readonly rates: RateCheck[];
  readonly cost: CostItem[];
  /** Rounds times one tenant's deploy, bake and approval waits excluded. */
  readonly minutesToLastTenant: number;
  /** Fleet: tenants per configured ring. */
  readonly ringSizes?: number[];
  /** Fleet: state transitions of one release. */
  readonly transitions?: number;
  /** Pipeline: pipelines the plan needs. */
  readonly pipelines?: number;
}

export interface FleetModelOptions {
  readonly rings?: readonly RingSpec[];
  readonly maxConcurrency?: number;
  readonly timing?: DeployTiming;
  /** Override quotas (tests). */
  readonly quotas?: Partial<typeof QUOTAS>;
}

/**
 * Ring sizes from the engine's own assignment (ring-plan.ts), for `tenants`
 * tenants of which one says `ring = canary`.
 */
export function benchRingSizes(tenants: number, rings: readonly RingSpec[] = BENCH_RINGS): number[] {
  const records: RingTenant[] = Array.from({ length: tenants }, (_, i) => ({
    tenantId: `t-${String(i).padStart(6, '0')}`,
    ring: i === 0 ? 'canary' : undefined,
  }));
  return assignRings(records, rings, 'bench').rings.map((r) => r.tenants.length);
}

/**
 * The rates of the busiest round: the first batch of the largest ring, `batch`
 * children started as the StartExecution bucket allows, each then following
 * `timeline`.
 */
export function batchRates(batch: number, timeline: readonly TimelineEntry[], window: number, quotas: typeof QUOTAS): RateCheck[] {
  const starts = startSchedule(batch, quotas.startExecutionBucket.value, quotas.startExecutionRefill.value);
  const busiest = (which: (e: TimelineEntry) => boolean) => peakWindowTotal(starts, timeline, window, which) / window;
  const started: TimelineEntry[] = [{ at: 0, state: 'started', credentialed: false }];
  return [
    rateCheck('StartExecution (child executions started)', peakWindowTotal(starts, started, window) / window,
      quotas.startExecutionRefill, 'tooling account, us-east-1'),
    rateCheck('state transitions', busiest(() => true), quotas.stateTransitionRefill, 'tooling account, us-east-1'),
    rateCheck('sts:AssumeRole', busiest((e) => e.credentialed), quotas.assumeRole, 'tooling account, us-east-1'),
    rateCheck('CloudFormation calls per tenant account', peakInWindow(timeline, window, (e) => e.credentialed) / window,
      quotas.cloudFormationPerAccount, 'each tenant account (silo)'),
  ];
}

/** FleetRollout at `tenants` tenants (silo: one tenant per account). */
export function fleetModel(tenants: number, options: FleetModelOptions = {}): EngineModel {
  const rings = options.rings ?? BENCH_RINGS;
  const cap = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const timing = options.timing ?? TIMING;
  const quotas = { ...QUOTAS, ...options.quotas };
  const ringSizes = benchRingSizes(tenants, rings);
  const rounds = fleetRounds(ringSizes, cap);
  const peak = Math.max(0, ...ringSizes.map((size) => Math.min(size, cap)));
  const timeline = tenantTimeline(timing);
  const rates = batchRates(peak, timeline, rateWindowSeconds(timing), quotas);
  const transitions = tenants * timeline.length + parentTransitions(rings, ringSizes);
  const plannerSeconds = COST_ASSUMPTIONS.plannerFixedSeconds + tenants * COST_ASSUMPTIONS.plannerSecondsPerTenant;
  const nonEmptyRings = ringSizes.filter((s) => s > 0).length;
  const cost: CostItem[] = [
    { what: 'Step Functions transitions', usd: transitions * PRICES.stateTransition.value, assumed: false },
    {
      what: 'planner Lambda',
      usd: PRICES.lambdaRequest.value + plannerSeconds * COST_ASSUMPTIONS.plannerMemoryGb * PRICES.lambdaGbSecond.value,
      assumed: true,
    },
    {
      what: 'DynamoDB',
      // Scan of the registry, one UpdateItem per tenant, the lock (put, delete) and the release record.
      usd: Math.ceil(tenants / COST_ASSUMPTIONS.tenantsPerReadUnit) * PRICES.dynamoReadUnit.value + (tenants + 3) * PRICES.dynamoWriteUnit.value,
      assumed: true,
    },
    { what: 'EventBridge', usd: (tenants + 1) * PRICES.eventBridgeEvent.value, assumed: false },
    {
      what: 'S3',
      // Ring files (planner PUT, ItemReader GET), result files, and CloudFormation reading the template once per tenant.
      usd: rings.length * PRICES.s3Put.value + nonEmptyRings * (PRICES.s3Get.value + COST_ASSUMPTIONS.resultWriterPutsPerRing * PRICES.s3Put.value)
        + tenants * PRICES.s3Get.value,
      assumed: true,
    },
    {
      what: 'CloudWatch metrics',
      usd: nonEmptyRings * (PRICES.putMetricDataRequest.value + COST_ASSUMPTIONS.metricsPerRing * PRICES.customMetricHour.value),
      assumed: true,
    },
  ];
  return {
    engine: 'fleet',
    tenants,
    rounds,
    peakConcurrentDeploys: peak,
    rates,
    cost,
    minutesToLastTenant: (rounds * tenantDeploySeconds(timing)) / 60,
    ringSizes,
    transitions,
  };
}

/**
 * CrossAccountPipeline at `tenants` targets in one user stage, planned by
 * planRollout with DEFAULT_LIMITS: one round per wave stage. Its CloudFormation
 * actions are assumed to call CloudFormation like a fleet tenant does.
 */
export interface PipelineModelOptions {
  readonly timing?: DeployTiming;
  /** Override quotas (tests). */
  readonly quotas?: Partial<typeof QUOTAS>;
}

export function pipelineModel(tenants: number, options: PipelineModelOptions = {}): EngineModel {
  const timing = options.timing ?? TIMING;
  const quotas = { ...QUOTAS, ...options.quotas };
  const plan = planRollout([{ name: 'Prod', targets: makeTargets(tenants).all }], DEFAULT_LIMITS);
  const waves = plan.pipelines.flatMap((p) => p.stages).filter((s) => s.kind === 'wave');
  const peak = Math.max(...waves.map((w) => (w.kind === 'wave' ? w.targets.length : 0)));
  const timeline = tenantTimeline(timing);
  const window = rateWindowSeconds(timing);
  const credentialedPerTenant = peakInWindow(timeline, window, (e) => e.credentialed) / window;
  const actionMinutes = Math.ceil(tenantDeploySeconds(timing) / 60);
  return {
    engine: 'pipeline',
    tenants,
    rounds: waves.length,
    peakConcurrentDeploys: peak,
    rates: [
      rateCheck('sts:AssumeRole', peak * credentialedPerTenant, quotas.assumeRole, 'tooling account, us-east-1'),
      rateCheck('CloudFormation calls per tenant account', credentialedPerTenant, quotas.cloudFormationPerAccount, 'each tenant account (silo)'),
    ],
    cost: [
      {
        what: 'CodePipeline V2 action minutes',
        usd: (tenants * actionMinutes + COST_ASSUMPTIONS.pipelineSourceMinutes + COST_ASSUMPTIONS.pipelineBuildMinutes)
          * PRICES.codePipelineV2ActionMinute.value,
        assumed: false,
      },
    ],
    minutesToLastTenant: (waves.length * actionMinutes),
    pipelines: plan.pipelines.length,
  };
}

/** The total of a cost breakdown. */
export function totalUsd(cost: readonly CostItem[]): number {
  return cost.reduce((sum, item) => sum + item.usd, 0);
}

/** The largest concurrency that keeps every fleet rate under its quota (for the printed note). */
export function maxSafeConcurrency(options: FleetModelOptions = {}): number {
  const timing = options.timing ?? TIMING;
  const quotas = { ...QUOTAS, ...options.quotas };
  const timeline = tenantTimeline(timing);
  const window = rateWindowSeconds(timing);
  const safe = (batch: number) => batchRates(batch, timeline, window, quotas).every((r) => !r.over);
  // The rates grow with the batch: binary search for the largest safe one.
  let low = 0;
  let high = quotas.mapConcurrency.value;
  if (safe(high)) return high;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (safe(mid)) low = mid; else high = mid;
  }
  return low;
}

/** The assumptions, one line each, for the report. */
export function assumptionLines(timing: DeployTiming = TIMING): string[] {
  const timeline = tenantTimeline(timing);
  const credentialed = timeline.filter((e) => e.credentialed).length;
  const cited = (name: string, c: Cited, unit: string) =>
    `${name}: ${c.value.toLocaleString('en-US', { maximumFractionDigits: 10 })} ${unit}${c.source.assumed ? ` (assumed: ${c.source.assumed})` : ''} - ${c.source.title}${c.source.url ? ` <${c.source.url}>` : ''}`;
  return [
    `timing: the engine's poll schedule ${timing.pollSchedule.join(', ')} s (DEFAULT_POLL_SCHEDULE, the last repeats); assumed: `
      + `${timing.changeSetSeconds} s change set creation, ${timing.stackUpdateSeconds} s stack update, ${timing.taskSeconds} s per task; `
      + `one tenant's deploy takes ${tenantDeploySeconds(timing)} s`,
    `one tenant's happy path (the engine's tenant deploy states walked with test/fixtures/asl-walker.ts): ${timeline.length} state transitions `
      + `(${[...new Set(timeline.map((e) => e.state))].join(', ')}), `
      + `${credentialed} CloudFormation calls with task Credentials (one sts:AssumeRole each)`,
    `rates: the busiest ${rateWindowSeconds(timing)} s window (the steady poll interval) of the busiest round (the first batch of the largest ring), `
      + 'children started as the StartExecution bucket admits them (1,300 at once, then 300/s; assumed for Distributed Map child starts), averaged per second; '
      + 'compared with the refill rate (the bucket is not counted)',
    `fleet rings: canary (1 tenant named canary), 1%, 10%, rest; no bake or approval; concurrency cap ${DEFAULT_MAX_CONCURRENCY.toLocaleString('en-US')} (DEFAULT_MAX_CONCURRENCY); silo tenants (one per account)`,
    `pipeline: planRollout with DEFAULT_LIMITS (wave ${DEFAULT_LIMITS.waveSize}, ${DEFAULT_LIMITS.stagesPerPipeline} stages and ${DEFAULT_LIMITS.maxActionsPerPipeline} actions per pipeline), all targets in one stage; one round per wave stage; `
      + 'its CloudFormation actions assumed to call CloudFormation as a fleet tenant does',
    `largest concurrency under every fleet quota with this timing: ${maxSafeConcurrency({ timing }).toLocaleString('en-US')}`,
    cited('StartExecution refill (Standard, us-east-1)', QUOTAS.startExecutionRefill, 'per second (bucket 1,300; other Regions 150/s, bucket 800); Distributed Map child starts counted against it (assumed: no separate child start rate is documented)'),
    cited('state transition refill (Standard, us-east-1)', QUOTAS.stateTransitionRefill, 'per second (bucket 5,000; other Regions 500/s, bucket 800)'),
    cited('Distributed Map parallel child executions', QUOTAS.mapConcurrency, ''),
    cited('state/task input or output', QUOTAS.payloadBytes, 'bytes (one tenant work item is one child execution input)'),
    cited('sts:AssumeRole', QUOTAS.assumeRole, 'per second per account and Region; task Credentials counted (the page exempts service principals, it does not say whether task Credentials are)'),
    cited('CloudFormation API', QUOTAS.cloudFormationPerAccount, 'per second per account and Region'),
    ...Object.entries(PRICES).map(([name, price]) => cited(`price ${name}`, price, 'USD')),
    `cost assumptions: planner ${COST_ASSUMPTIONS.plannerMemoryGb * 1024} MB for ${COST_ASSUMPTIONS.plannerFixedSeconds} s + ${COST_ASSUMPTIONS.plannerSecondsPerTenant * 1000} ms per tenant; `
      + `Scan at ${COST_ASSUMPTIONS.tenantsPerReadUnit} records per read unit; ${COST_ASSUMPTIONS.resultWriterPutsPerRing} ResultWriter PUTs per ring; `
      + `pipeline Source ${COST_ASSUMPTIONS.pipelineSourceMinutes} min + Build ${COST_ASSUMPTIONS.pipelineBuildMinutes} min; not counted: CloudWatch Logs of the state machines, KMS requests, data transfer, free tiers`,
  ];
}

/**
 * The largest tenant work item the design allows (200 parameters, keys of 255
 * and values of 4,096 characters, as CloudFormation allows) against the
 * 262,144-byte input of the child execution that receives it.
 */
export function largestWorkItemBytes(): number {
  const parameters = Array.from({ length: 200 }, (_, i) => ({
    ParameterKey: `P${String(i).padStart(254, '0')}`,
    ParameterValue: 'v'.repeat(4096),
  }));
  const item = {
    tenantId: 't'.repeat(63),
    account: '123456789012',
    region: 'ap-southeast-5',
    ring: 'r'.repeat(32),
    stackName: 's'.repeat(128),
    actionRoleArn: `arn:aws-us-gov:iam::123456789012:role/${'a'.repeat(64)}`,
    executionRoleArn: `arn:aws-us-gov:iam::123456789012:role/${'e'.repeat(64)}`,
    templateUrl: `https://${'b'.repeat(63)}.s3.ap-southeast-5.amazonaws.com/fleet/releases/${'v'.repeat(64)}/template.json`,
    release: 'v'.repeat(64),
    parameters,
  };
  return Buffer.byteLength(JSON.stringify(item));
}
