import {
  batchRates, BENCH_RINGS, benchRingSizes, DeployTiming, fleetModel, largestWorkItemBytes, maxSafeConcurrency, parentTransitions, peakInWindow,
  peakWindowTotal, pipelineModel, pollsFor, QUOTAS, rateCheck, startSchedule, tenantDeploySeconds, tenantTimeline, TIMING, totalUsd,
} from '../bench/fleet-model';

/** The engine's poll schedule when these tests were written, fixed here so the counts below are by hand. */
const STEPPED: DeployTiming = { ...TIMING, pollSchedule: [5, 10, 15, 30] };
/** Polls every 30 s from the start. */
const FLAT: DeployTiming = { ...TIMING, pollSchedule: [30] };

describe('fleet benchmark model: rounds', () => {
  test('5,000 tenants with rings canary (1), 1%, 10%, rest under the default cap take 4 rounds', () => {
    const model = fleetModel(5000);
    expect(model.ringSizes).toEqual([1, 50, 500, 4449]);
    expect(model.rounds).toBe(4);
    expect(model.peakConcurrentDeploys).toBe(4449);
  });

  test('50,000 tenants: the rest ring (44,499) needs 9 rounds of 5,000, so 12 in all', () => {
    const model = fleetModel(50_000);
    expect(model.ringSizes).toEqual([1, 500, 5000, 44_499]);
    expect(model.rounds).toBe(12);
    expect(model.peakConcurrentDeploys).toBe(5000);
  });

  test('a lower cap splits rings into more rounds; empty rings take none', () => {
    expect(fleetModel(5000, { maxConcurrency: 1000 }).rounds).toBe(1 + 1 + 1 + 5);
    // 2 tenants: canary and one in the 1% ring; 10% and rest are empty.
    expect(benchRingSizes(2)).toEqual([1, 1, 0, 0]);
    expect(fleetModel(2).rounds).toBe(2);
  });

  test('10 tenants: every ring has someone (ceil of 1% and 10% is 1)', () => {
    expect(benchRingSizes(10)).toEqual([1, 1, 1, 7]);
    expect(fleetModel(10).rounds).toBe(4);
  });

  test('CrossAccountPipeline: one round per wave of 50, 100 for 5,000 targets in one stage', () => {
    const model = pipelineModel(5000);
    expect(model.rounds).toBe(100);
    expect(model.peakConcurrentDeploys).toBe(50);
    expect(model.pipelines).toBe(5);
    expect(pipelineModel(10).rounds).toBe(1);
    expect(pipelineModel(1000).rounds).toBe(20);
  });
});

describe('fleet benchmark model: transitions', () => {
  test('polls of a wait loop: the schedule until the operation is done, the last wait repeating', () => {
    expect(pollsFor(30, [5, 10, 15, 30])).toBe(3);
    expect(pollsFor(300, [5, 10, 15, 30])).toBe(3 + 9);
    expect(pollsFor(301, [5, 10, 15, 30])).toBe(3 + 10);
    expect(pollsFor(0, [30])).toBe(1);
    expect(pollsFor(300, [30])).toBe(10);
  });

  test('one tenant\'s happy path through the engine\'s tenant deploy states is 78 transitions, 18 with task credentials', () => {
    const timeline = tenantTimeline(STEPPED);
    // PrepareDeploy, DescribeStack, StackState, UseUpdateChangeSet, CreateChangeSet;
    // 3 change set polls x (WaitNext, First/Longer, Wait, DescribeChangeSet, ChangeSetState); ExecuteChangeSet;
    // 12 operation polls: 4 x (WaitNext, First/Longer, Wait, DescribeStacks, State) then 8 x (WaitNext, Wait, DescribeStacks, State);
    // Deployed, RecordSuccess, EmitResult, TenantOutcome, TenantDeployed.
    expect(timeline).toHaveLength(5 + 3 * 5 + 1 + 4 * 5 + 8 * 4 + 5);
    expect(timeline.filter((e) => e.credentialed).map((e) => e.state)).toEqual([
      'DescribeStack', 'CreateChangeSet', ...Array(3).fill('DescribeChangeSet'), 'ExecuteChangeSet', ...Array(12).fill('DescribeStacks'),
    ]);
    expect(timeline[timeline.length - 1].state).toBe('TenantDeployed');
    // Waits 5+10+15 (30) and 5+10+15+9x30 (300), and 18+2 one-second tasks (the CloudFormation calls, RecordSuccess, EmitResult).
    expect(tenantDeploySeconds(STEPPED)).toBe(30 + 300 + 20);
  });

  test('a longer stack update adds polls of the last wait', () => {
    expect(tenantTimeline({ ...STEPPED, stackUpdateSeconds: 600 })).toHaveLength(78 + 4 * 10);
    expect(tenantTimeline(FLAT)).toHaveLength(5 + 1 * 5 + 1 + (5 + 9 * 4) + 5);
  });

  test('a release costs N times the tenant path plus the rollout\'s own states', () => {
    const sizes = benchRingSizes(5000);
    // AcquireLock, PlanRollout; 4 rings x (HasTenants, Deploy, Counts, Metrics); RecordRelease, ReleaseLock, RolloutSucceeded, Succeed.
    expect(parentTransitions(BENCH_RINGS, sizes)).toBe(2 + 16 + 4);
    expect(parentTransitions(BENCH_RINGS, [1, 1, 0, 0])).toBe(2 + 4 + 4 + 1 + 1 + 4);
    expect(parentTransitions(BENCH_RINGS.map((r) => ({ ...r, bakeSeconds: 60, approval: true })), sizes)).toBe(2 + 4 * 6 + 4);
    const model = fleetModel(5000, { timing: STEPPED });
    expect(model.transitions).toBe(5000 * 78 + 22);
    const transitionsUsd = model.cost.find((c) => c.what === 'Step Functions transitions')!.usd;
    expect(transitionsUsd).toBeCloseTo((5000 * 78 + 22) * 0.000025, 10);
    expect(totalUsd(model.cost)).toBeGreaterThan(transitionsUsd);
  });

  test('the pipeline pays V2 action minutes: 6 minutes per target at $0.002', () => {
    const model = pipelineModel(5000, { timing: STEPPED });
    expect(totalUsd(model.cost)).toBeCloseTo((5000 * 6 + 1 + 5) * 0.002, 6);
  });
});

describe('fleet benchmark model: rates against quotas', () => {
  test('children start as the StartExecution bucket admits them: 1,300, then 300 a second', () => {
    expect(startSchedule(4449, 1300, 300)).toEqual([1300, ...Array(10).fill(300), 149]);
    expect(startSchedule(7, 1300, 300)).toEqual([7]);
    expect(startSchedule(0, 1300, 300)).toEqual([]);
  });

  test('peakWindowTotal adds up every started tenant\'s entries in the busiest window', () => {
    const entries = [0, 10].map((at) => ({ at, state: 's', credentialed: true }));
    // 2 tenants start at 0 and 1 at 1: entries at 0, 1, 10, 11 (2, 1, 2, 1).
    expect(peakWindowTotal([2, 1], entries, 10)).toBe(3);
    expect(peakWindowTotal([2, 1], entries, 11)).toBe(5);
    expect(peakWindowTotal([2, 1], entries, 100)).toBe(6);
    expect(peakWindowTotal([2, 1], entries, 100, () => false)).toBe(0);
  });

  test('polling every 30 s, 5,000 tenants stay under every quota', () => {
    const model = fleetModel(5000, { timing: FLAT });
    const byApi = Object.fromEntries(model.rates.map((r) => [r.api, r]));
    expect(byApi['StartExecution (child executions started)'].perSecond).toBeCloseTo(4449 / 30, 6);
    expect(byApi['CloudFormation calls per tenant account'].perSecond).toBeCloseTo(2 / 30, 6);
    expect(byApi['sts:AssumeRole'].perSecond).toBeLessThan(600);
    expect(byApi['state transitions'].perSecond).toBeLessThan(1500);
    expect(model.rates.every((r) => !r.over)).toBe(true);
  });

  test('polling at 5, 10, 15 s first, 4,449 tenants starting together are over the state transition refill', () => {
    const model = fleetModel(5000, { timing: STEPPED });
    const transitions = model.rates.find((r) => r.api === 'state transitions')!;
    // 18 states in a tenant's first 30 s; the starts spread over 12 s barely thin that out.
    expect(peakInWindow(tenantTimeline(STEPPED), 30)).toBe(18);
    expect(transitions.perSecond).toBeGreaterThan(1500);
    expect(transitions.perSecond).toBeLessThanOrEqual((4449 * 18) / 30);
    expect(transitions.over).toBe(true);
  });

  test('a rate over its quota is flagged OVER', () => {
    expect(rateCheck('x', 601, QUOTAS.assumeRole, 'tooling').over).toBe(true);
    expect(rateCheck('x', 600, QUOTAS.assumeRole, 'tooling').over).toBe(false);
    const tight = fleetModel(5000, { timing: FLAT, quotas: { assumeRole: { value: 100, source: { title: 'test' } } } });
    expect(tight.rates.find((r) => r.api === 'sts:AssumeRole')!.over).toBe(true);
    // Outside the three large Regions the state transition refill is 500/s.
    const otherRegion = fleetModel(5000, { timing: FLAT, quotas: { stateTransitionRefill: QUOTAS.stateTransitionRefillOtherRegions } });
    expect(otherRegion.rates.find((r) => r.api === 'state transitions')!.over).toBe(true);
  });

  test('the largest safe concurrency is the last batch with no rate over', () => {
    for (const timing of [FLAT, STEPPED]) {
      const safe = maxSafeConcurrency({ timing });
      const timeline = tenantTimeline(timing);
      expect(batchRates(safe, timeline, 30, QUOTAS).some((r) => r.over)).toBe(false);
      expect(batchRates(safe + 1, timeline, 30, QUOTAS).some((r) => r.over)).toBe(true);
    }
  });

  test('the pipeline\'s waves of 50 stay far under the STS quota', () => {
    const rates = pipelineModel(5000, { timing: STEPPED }).rates;
    const perTenant = peakInWindow(tenantTimeline(STEPPED), 30, (e) => e.credentialed);
    expect(perTenant).toBe(4);
    expect(rates.find((r) => r.api === 'sts:AssumeRole')!.perSecond).toBeCloseTo((50 * perTenant) / 30, 6);
    expect(rates.every((r) => !r.over)).toBe(true);
  });

  test('a tenant at the record limits is too large for one child execution input', () => {
    expect(largestWorkItemBytes()).toBeGreaterThan(QUOTAS.payloadBytes.value);
  });
});
