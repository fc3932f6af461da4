import {
  assignRings, fleetRounds, isOnRelease, MAX_BAKE_SECONDS, MAX_CONCURRENCY, namedRingNames, percentOf, RingSpec, RingTenant,
  ringSpecProblems, unknownRingReason,
} from '../src/fleet-rollout/ring-plan';
import { roundsFor } from '../src/shared/rounds';

function ring(name: string, selector: RingSpec['selector'], extra: Partial<RingSpec> = {}): RingSpec {
  return { name, selector, bakeSeconds: 0, approval: false, ...extra };
}

const REST = ring('rest', { kind: 'rest' });

function problemsOf(rings: RingSpec[], concurrency = 50) {
  return ringSpecProblems('rings', rings, concurrency);
}

/** The one problem of `rings`, checked to be the only one. */
function onlyProblem(rings: RingSpec[], concurrency = 50) {
  const problems = problemsOf(rings, concurrency);
  expect(problems).toHaveLength(1);
  return problems[0];
}

function tenantIds(n: number, width = 4): string[] {
  return Array.from({ length: n }, (_, i) => `t-${String(i + 1).padStart(width, '0')}`);
}

describe('roundsFor', () => {
  test.each([
    [0, 5, 0], [1, 5, 1], [5, 5, 1], [6, 5, 2], [100, 50, 2], [101, 50, 3], [4449, 5000, 1],
  ])('%i items, %i per round -> %i rounds', (items, perRound, rounds) => {
    expect(roundsFor(items, perRound)).toBe(rounds);
  });

  test('refuses what cannot be counted', () => {
    expect(() => roundsFor(3, 0)).toThrow(/perRound must be a whole number of at least 1, got 0/);
    expect(() => roundsFor(3, 1.5)).toThrow(/perRound/);
    expect(() => roundsFor(-1, 5)).toThrow(/items must be a whole number of at least 0, got -1/);
    expect(() => roundsFor(2.5, 5)).toThrow(/items/);
  });
});

describe('ringSpecProblems', () => {
  test('a valid plan has no problems', () => {
    expect(problemsOf([
      ring('canary', { kind: 'named', ringName: 'canary' }, { approval: true, bakeSeconds: 3600 }),
      ring('first-5', { kind: 'count', count: 5 }, { toleratedFailureCount: 5 }),
      ring('one-pct', { kind: 'percent', percent: 1 }, { toleratedFailurePercentage: 0 }),
      ring('ten-pct', { kind: 'percent', percent: 100 }, { toleratedFailurePercentage: 100 }),
      ring('rest', { kind: 'rest' }, { bakeSeconds: MAX_BAKE_SECONDS }),
    ], MAX_CONCURRENCY)).toEqual([]);
    expect(problemsOf([REST], 1)).toEqual([]);
  });

  test('no rings at all', () => {
    const problem = onlyProblem([]);
    expect(problem.property).toBe('rings');
    expect(problem.reason).toMatch(/at least one ring/);
    expect(problem.fix).toMatch(/kind: 'rest'/);
  });

  test('the last ring must be rest', () => {
    const problem = onlyProblem([ring('canary', { kind: 'count', count: 1 })]);
    expect(problem).toMatchObject({ property: 'rings[0]', value: 'count' });
    expect(problem.reason).toMatch(/last ring must be a rest ring/);
  });

  test('rest only last, and only once', () => {
    const problem = onlyProblem([ring('early', { kind: 'rest' }), ring('canary', { kind: 'count', count: 1 }), REST]);
    expect(problem).toMatchObject({ property: 'rings[0]', value: 'rest' });
    expect(problem.reason).toMatch(/must be the last ring/);
    const twice = onlyProblem([ring('first', { kind: 'rest' }), REST]);
    expect(twice.property).toBe('rings[0]');
  });

  test.each([0, -1, 100.5, Number.NaN, Number.POSITIVE_INFINITY])('percent %p is refused', (percent) => {
    const problem = onlyProblem([ring('pct', { kind: 'percent', percent }), REST]);
    expect(problem.property).toBe('rings[0].percent');
    expect(problem.value).toBe(percent);
    expect(problem.reason).toMatch(/more than 0 and at most 100/);
  });

  test.each([0, -3, 1.5])('count %p is refused', (count) => {
    const problem = onlyProblem([ring('few', { kind: 'count', count }), REST]);
    expect(problem).toMatchObject({ property: 'rings[0].count', value: count });
    expect(problem.reason).toMatch(/whole number of at least 1/);
  });

  test('bad and duplicate ring names', () => {
    const bad = onlyProblem([ring('has space', { kind: 'count', count: 1 }), REST]);
    expect(bad).toMatchObject({ property: 'rings[0].name', value: 'has space' });
    expect(bad.reason).toMatch(/1 to 32 letters, digits or '-'/);
    expect(onlyProblem([ring('x'.repeat(33), { kind: 'count', count: 1 }), REST]).property).toBe('rings[0].name');
    expect(problemsOf([ring('x'.repeat(32), { kind: 'count', count: 1 }), REST])).toEqual([]);
    expect(onlyProblem([ring('', { kind: 'count', count: 1 }), REST]).property).toBe('rings[0].name');
    const duplicate = onlyProblem([ring('a', { kind: 'count', count: 1 }), ring('b', { kind: 'count', count: 1 }), ring('a', { kind: 'rest' })]);
    expect(duplicate).toMatchObject({ property: 'rings[2].name', value: 'a' });
    expect(duplicate.reason).toMatch(/duplicate of rings\[0\]\.name/);
  });

  test('the path prefixes every property', () => {
    const problems = ringSpecProblems('props.rings', [ring('a', { kind: 'count', count: 1 }), ring('a', { kind: 'rest' })], 50);
    expect(problems).toEqual([expect.objectContaining({ property: 'props.rings[1].name', reason: expect.stringMatching(/props\.rings\[0\]/) })]);
  });

  test('a named ring needs a ring name, selected once', () => {
    const empty = onlyProblem([ring('canary', { kind: 'named', ringName: '' }), REST]);
    expect(empty).toMatchObject({ property: 'rings[0].ringName', value: '' });
    const twice = onlyProblem([ring('a', { kind: 'named', ringName: 'beta' }), ring('b', { kind: 'named', ringName: 'beta' }), REST]);
    expect(twice.property).toBe('rings[1].ringName');
    expect(twice.reason).toMatch(/rings\[0\] already selects the tenants named 'beta'/);
  });

  test('an unknown selector kind', () => {
    const problem = onlyProblem([ring('odd', { kind: 'random' } as never), REST]);
    expect(problem).toMatchObject({ property: 'rings[0].selector', value: 'random' });
    expect(problem.reason).toMatch(/not a ring selector/);
  });

  test('both tolerances', () => {
    const problem = onlyProblem([ring('a', { kind: 'percent', percent: 10 }, { toleratedFailureCount: 1, toleratedFailurePercentage: 5 }), REST]);
    expect(problem).toMatchObject({ property: 'rings[0].toleratedFailurePercentage', value: 5 });
    expect(problem.reason).toMatch(/together with toleratedFailureCount \(1\)/);
    expect(problem.fix).toMatch(/either/);
  });

  test('a tolerated failure count over a count ring\'s size', () => {
    const problem = onlyProblem([ring('few', { kind: 'count', count: 3 }, { toleratedFailureCount: 4 }), REST]);
    expect(problem).toMatchObject({ property: 'rings[0].toleratedFailureCount', value: 4 });
    expect(problem.reason).toMatch(/more than the ring's 3 tenants/);
    // Sizes of other rings are data; no check there.
    expect(problemsOf([ring('pct', { kind: 'percent', percent: 1 }, { toleratedFailureCount: 4000 }), REST])).toEqual([]);
  });

  test.each([-1, 1.5])('tolerated failure count %p is refused', (count) => {
    const problem = onlyProblem([ring('a', { kind: 'rest' }, { toleratedFailureCount: count })]);
    expect(problem).toMatchObject({ property: 'rings[0].toleratedFailureCount', value: count });
    expect(problem.reason).toMatch(/whole number of at least 0/);
  });

  test.each([-0.1, 100.1, Number.NaN])('tolerated failure percentage %p is refused', (percentage) => {
    const problem = onlyProblem([ring('a', { kind: 'rest' }, { toleratedFailurePercentage: percentage })]);
    expect(problem).toMatchObject({ property: 'rings[0].toleratedFailurePercentage' });
    expect(problem.reason).toMatch(/from 0 to 100/);
  });

  test.each([-1, MAX_BAKE_SECONDS + 1, 1.5])('bake %p is refused', (bakeSeconds) => {
    const problem = onlyProblem([ring('a', { kind: 'rest' }, { bakeSeconds })]);
    expect(problem).toMatchObject({ property: 'rings[0].bakeSeconds', value: bakeSeconds });
    expect(problem.reason).toMatch(/0 to 31,536,000 \(one year/);
  });

  test.each([0, -1, 1.5, MAX_CONCURRENCY + 1, Number.NaN])('concurrency %p is refused', (concurrency) => {
    const problem = onlyProblem([REST], concurrency);
    expect(problem).toMatchObject({ property: 'maxConcurrency', value: concurrency });
    expect(problem.reason).toMatch(/1 to 10,000/);
    expect(ringSpecProblems('rings', [REST], concurrency, 'fleet.maxConcurrency')[0].property).toBe('fleet.maxConcurrency');
  });

  test('every problem is reported, not only the first', () => {
    const problems = problemsOf([
      ring('bad name', { kind: 'percent', percent: 0 }, { bakeSeconds: -1 }),
      ring('rest', { kind: 'rest' }),
      ring('rest', { kind: 'count', count: 0 }),
    ], 0);
    expect(problems.map((p) => p.property).sort()).toEqual([
      'maxConcurrency', 'rings[0].bakeSeconds', 'rings[0].name', 'rings[0].percent', 'rings[1]', 'rings[2]', 'rings[2].count', 'rings[2].name',
    ]);
  });
});

describe('assignRings', () => {
  const release = 'v42';

  test('5,000 tenants: canary (named, 1), 1%, 10%, rest', () => {
    const tenants: RingTenant[] = tenantIds(5000).map((tenantId) => ({ tenantId }));
    // The canary is somewhere in the middle of the sort order.
    tenants[2500] = { tenantId: tenants[2500].tenantId, ring: 'canary' };
    const rings = [
      ring('canary', { kind: 'named', ringName: 'canary' }),
      ring('one-pct', { kind: 'percent', percent: 1 }),
      ring('ten-pct', { kind: 'percent', percent: 10 }),
      REST,
    ];
    const plan = assignRings(tenants, rings, release);
    const sizes = plan.rings.map((r) => r.tenants.length);
    expect(plan.rings.map((r) => r.name)).toEqual(['canary', 'one-pct', 'ten-pct', 'rest']);
    expect(sizes).toEqual([1, 50, 500, 4449]);
    expect(plan.invalid).toEqual([]);
    expect(plan.rings[0].tenants[0].tenantId).toBe('t-2501');
    // Percent rings take the first tenants in tenantId order, skipping the named one.
    expect(plan.rings[1].tenants[0].tenantId).toBe('t-0001');
    expect(plan.rings[1].tenants[49].tenantId).toBe('t-0050');
    expect(plan.rings[2].tenants[0].tenantId).toBe('t-0051');
    expect(plan.rings[3].tenants[0].tenantId).toBe('t-0551');
    // Every tenant exactly once.
    const all = plan.rings.flatMap((r) => r.tenants.map((t) => t.tenantId));
    expect(new Set(all).size).toBe(5000);
    expect(fleetRounds(sizes, 5000)).toBe(4);
    expect(fleetRounds(sizes, 50)).toBe(1 + 1 + 10 + 89);
  });

  test('input order does not matter', () => {
    const ids = tenantIds(30);
    const rings = [ring('a', { kind: 'count', count: 3 }), ring('b', { kind: 'percent', percent: 20 }), REST];
    const forward = assignRings(ids.map((tenantId) => ({ tenantId })), rings, release);
    const backward = assignRings([...ids].reverse().map((tenantId) => ({ tenantId })), rings, release);
    expect(backward).toEqual(forward);
    expect(forward.rings.map((r) => r.tenants.map((t) => t.tenantId))).toEqual([ids.slice(0, 3), ids.slice(3, 9), ids.slice(9)]);
  });

  test('re-run: tenants on the release are dropped from their ring, and nobody moves', () => {
    const rings = [ring('a', { kind: 'count', count: 4 }), ring('b', { kind: 'percent', percent: 50 }), REST];
    const ids = tenantIds(10);
    const first = assignRings(ids.map((tenantId) => ({ tenantId })), rings, release);
    const done = new Set(['t-0001', 't-0002', 't-0006']);
    const failed = 't-0003';
    const second = assignRings(ids.map((tenantId): RingTenant => {
      if (done.has(tenantId)) return { tenantId, lastRelease: release, lastResult: { status: 'SUCCEEDED' } };
      if (tenantId === failed) return { tenantId, lastRelease: 'v41', lastResult: { status: 'FAILED' } };
      return { tenantId };
    }), rings, release);
    second.rings.forEach((r, i) => {
      const members = [...r.tenants, ...r.alreadyOnRelease].map((t) => t.tenantId).sort();
      expect(members).toEqual(first.rings[i].tenants.map((t) => t.tenantId));
    });
    expect(second.rings[0].tenants.map((t) => t.tenantId)).toEqual(['t-0003', 't-0004']);
    expect(second.rings[0].alreadyOnRelease.map((t) => t.tenantId)).toEqual(['t-0001', 't-0002']);
    expect(second.rings[1].alreadyOnRelease.map((t) => t.tenantId)).toEqual(['t-0006']);
    // A third run after everything succeeded deploys nothing.
    const third = assignRings(ids.map((tenantId) => ({ tenantId, lastRelease: release, lastResult: { status: 'SUCCEEDED' } })), rings, release);
    expect(third.rings.map((r) => r.tenants.length)).toEqual([0, 0, 0]);
    expect(third.rings.map((r) => r.alreadyOnRelease.length)).toEqual([4, 5, 1]);
  });

  test('on the release means lastRelease and a success', () => {
    expect(isOnRelease({ tenantId: 'a', lastRelease: 'v42', lastResult: { status: 'SUCCEEDED' } }, 'v42')).toBe(true);
    expect(isOnRelease({ tenantId: 'a', lastRelease: 'v42', lastResult: { status: 'FAILED' } }, 'v42')).toBe(false);
    expect(isOnRelease({ tenantId: 'a', lastRelease: 'v41', lastResult: { status: 'SUCCEEDED' } }, 'v42')).toBe(false);
    expect(isOnRelease({ tenantId: 'a', lastRelease: 'v42' }, 'v42')).toBe(false);
  });

  test('a tenant naming an unknown ring is invalid, and not counted', () => {
    const rings = [ring('canary', { kind: 'named', ringName: 'canary' }), ring('beta', { kind: 'named', ringName: 'early' }), ring('half', { kind: 'percent', percent: 50 }), REST];
    const plan = assignRings([
      { tenantId: 'a' }, { tenantId: 'b', ring: 'canary' }, { tenantId: 'c', ring: 'gamma' }, { tenantId: 'd' }, { tenantId: 'e' },
    ], rings, release);
    expect(plan.invalid).toEqual([{ tenantId: 'c', reason: "ring 'gamma' is not one of: canary, early" }]);
    // 50% of the 4 eligible tenants = 2.
    expect(plan.rings.map((r) => r.tenants.map((t) => t.tenantId))).toEqual([['b'], [], ['a', 'd'], ['e']]);
    expect(unknownRingReason('x', [])).toBe("ring 'x' is not one of the named rings: the rollout has none");
    expect(assignRings([{ tenantId: 'z', ring: 'x' }], [REST], release).invalid[0].reason).toMatch(/the rollout has none/);
  });

  test('percent is of all eligible tenants, rounded up, never more than remain', () => {
    const tenants = tenantIds(10).map((tenantId, i) => ({ tenantId, ...(i < 8 ? { ring: 'named' } : {}) }));
    const rings = [ring('named', { kind: 'named', ringName: 'named' }), ring('pct', { kind: 'percent', percent: 25 }), REST];
    // 25% of 10 = 3 (rounded up), but only 2 remain after the named ring.
    expect(assignRings(tenants, rings, release).rings.map((r) => r.tenants.length)).toEqual([8, 2, 0]);
    expect(assignRings(tenantIds(7).map((tenantId) => ({ tenantId })), [ring('c', { kind: 'count', count: 10 }), REST], release)
      .rings.map((r) => r.tenants.length)).toEqual([7, 0]);
  });

  test('percentOf rounds up without floating-point noise', () => {
    expect(percentOf(1, 5000)).toBe(50);
    expect(percentOf(33.3, 3000)).toBe(999);
    expect(percentOf(0.1, 5000)).toBe(5);
    expect(percentOf(1, 1)).toBe(1);
    expect(percentOf(10, 11)).toBe(2);
    expect(percentOf(50, 0)).toBe(0);
  });

  test('namedRingNames lists the ring names of named rings only', () => {
    expect(namedRingNames([ring('a', { kind: 'named', ringName: 'x' }), ring('b', { kind: 'count', count: 1 }), ring('c', { kind: 'named', ringName: 'y' }), REST]))
      .toEqual(['x', 'y']);
  });
});

describe('fleetRounds', () => {
  test('sums the rounds of each ring, empty rings count 0', () => {
    expect(fleetRounds([1, 50, 500, 4449], 5000)).toBe(4);
    expect(fleetRounds([0, 0, 10], 5)).toBe(2);
    expect(fleetRounds([], 5)).toBe(0);
    expect(fleetRounds([11, 0, 1], 10)).toBe(3);
  });
});

describe('ringSpecProblems: every problem in full, with its fix', () => {
  test.each<[string, RingSpec[], number, object]>([
    ['concurrency', [REST], 0, {
      property: 'maxConcurrency',
      value: 0,
      reason: 'must be a whole number from 1 to 10,000 (the most child executions a Distributed Map runs in parallel)',
      fix: 'set how many tenants deploy at the same time, for example 50',
    }],
    ['no rings', [], 50, {
      property: 'rings',
      value: [],
      reason: 'a rollout needs at least one ring, and the last one must take the rest of the tenants',
      fix: "end the rings with { name: 'rest', selector: { kind: 'rest' } }",
    }],
    ['bad name', [ring('has space', { kind: 'count', count: 1 }), REST], 50, {
      property: 'rings[0].name',
      value: 'has space',
      reason: "a ring name holds 1 to 32 letters, digits or '-' (it becomes part of state names and of S3 keys)",
      fix: "use a name such as 'canary' or 'wave-2'",
    }],
    ['duplicate name', [ring('a', { kind: 'count', count: 1 }), ring('a', { kind: 'rest' })], 50, {
      property: 'rings[1].name',
      value: 'a',
      reason: 'duplicate of rings[0].name (state names must be unique)',
      fix: 'give each ring its own name',
    }],
    ['rest not last', [ring('early', { kind: 'rest' }), REST], 50, {
      property: 'rings[0]',
      value: 'rest',
      reason: 'a rest ring takes every tenant left, so rings after it would always be empty; it must be the last ring',
      fix: 'move the rest ring to the end, and keep only one',
    }],
    ['last not rest', [ring('few', { kind: 'count', count: 1 })], 50, {
      property: 'rings[0]',
      value: 'count',
      reason: 'the last ring must be a rest ring, or tenants that no ring selects would never be deployed',
      fix: "add { name: 'rest', selector: { kind: 'rest' } } as the last ring",
    }],
    ['empty ring name', [ring('canary', { kind: 'named', ringName: '' }), REST], 50, {
      property: 'rings[0].ringName',
      value: '',
      reason: 'a named ring selects the tenants whose record has this ring name, so it must be a non-empty string',
      fix: "use the value tenants put in their record's ring attribute, for example 'canary'",
    }],
    ['ring name selected twice', [ring('a', { kind: 'named', ringName: 'beta' }), ring('b', { kind: 'named', ringName: 'beta' }), REST], 50, {
      property: 'rings[1].ringName',
      value: 'beta',
      reason: "rings[0] already selects the tenants named 'beta', so this ring would always be empty",
      fix: 'select each ring name in one ring only',
    }],
    ['count', [ring('few', { kind: 'count', count: 0 }), REST], 50, {
      property: 'rings[0].count',
      value: 0,
      reason: 'must be a whole number of at least 1',
      fix: 'set how many tenants the ring takes, for example 5',
    }],
    ['percent', [ring('pct', { kind: 'percent', percent: 0 }), REST], 50, {
      property: 'rings[0].percent',
      value: 0,
      reason: 'must be more than 0 and at most 100 (percent of all eligible tenants, rounded up)',
      fix: 'use a percentage such as 1 or 10',
    }],
    ['unknown selector', [ring('odd', { kind: 'random' } as never), REST], 50, {
      property: 'rings[0].selector',
      value: 'random',
      reason: "not a ring selector (expected kind 'named', 'count', 'percent' or 'rest')",
      fix: "use { kind: 'named', ringName }, { kind: 'count', count }, { kind: 'percent', percent } or { kind: 'rest' }",
    }],
    ['both tolerances', [ring('a', { kind: 'rest' }, { toleratedFailureCount: 1, toleratedFailurePercentage: 5 })], 50, {
      property: 'rings[0].toleratedFailurePercentage',
      value: 5,
      reason: 'given together with toleratedFailureCount (1); a ring has one failure threshold',
      fix: 'keep either toleratedFailureCount or toleratedFailurePercentage',
    }],
    ['tolerated count', [ring('a', { kind: 'rest' }, { toleratedFailureCount: -1 })], 50, {
      property: 'rings[0].toleratedFailureCount',
      value: -1,
      reason: 'must be a whole number of at least 0',
      fix: 'set how many tenants of the ring may fail before the rollout stops, for example 0',
    }],
    ['tolerated count over the ring', [ring('few', { kind: 'count', count: 3 }, { toleratedFailureCount: 4 }), REST], 50, {
      property: 'rings[0].toleratedFailureCount',
      value: 4,
      reason: "more than the ring's 3 tenants, so the ring could never stop the rollout",
      fix: 'set at most 3, or use toleratedFailurePercentage',
    }],
    ['tolerated percentage', [ring('a', { kind: 'rest' }, { toleratedFailurePercentage: 101 })], 50, {
      property: 'rings[0].toleratedFailurePercentage',
      value: 101,
      reason: 'must be from 0 to 100',
      fix: 'set the percentage of the ring that may fail before the rollout stops, for example 5',
    }],
    ['bake', [ring('a', { kind: 'rest' }, { bakeSeconds: -1 })], 50, {
      property: 'rings[0].bakeSeconds',
      value: -1,
      reason: 'must be a whole number of seconds from 0 to 31,536,000 (one year, the longest a Standard execution runs)',
      fix: 'set how long to watch the ring before the next one, for example 3600, or 0 for no bake',
    }],
  ])('%s', (_, rings, concurrency, problem) => {
    expect(problemsOf(rings, concurrency)).toEqual([problem]);
  });

  test('a ring name that is not a string is refused, even one that reads as a valid name', () => {
    for (const name of [undefined, 7, null]) {
      expect(problemsOf([ring(name as never, { kind: 'count', count: 1 }), REST]))
        .toEqual([expect.objectContaining({ property: 'rings[0].name', value: name })]);
    }
  });

  test('a ring name of a named selector that is not a string', () => {
    for (const ringName of [undefined, 7]) {
      expect(problemsOf([ring('canary', { kind: 'named', ringName } as never), REST]))
        .toEqual([expect.objectContaining({ property: 'rings[0].ringName', value: ringName })]);
    }
  });

  test('a ring without a selector is a problem, not a crash, also with a tolerated failure count', () => {
    expect(problemsOf([ring('odd', undefined as never, { toleratedFailureCount: 1 }), REST])).toEqual([
      expect.objectContaining({ property: 'rings[0].selector', value: undefined }),
    ]);
  });

  test('a tolerated failure count is checked against whole ring sizes only', () => {
    // The ring's count is refused; the tolerance is not compared with 1.5.
    expect(problemsOf([ring('few', { kind: 'count', count: 1.5 }, { toleratedFailureCount: 2 }), REST]))
      .toEqual([expect.objectContaining({ property: 'rings[0].count' })]);
    expect(problemsOf([ring('few', { kind: 'count', count: '5' } as never, { toleratedFailureCount: 9 }), REST]))
      .toEqual([expect.objectContaining({ property: 'rings[0].count', value: '5' })]);
    // Only a count ring has a size to compare with.
    expect(problemsOf([ring('pct', { kind: 'percent', percent: 10, count: 1 } as never, { toleratedFailureCount: 2 }), REST])).toEqual([]);
  });

  test('boundaries: a tolerated failure count of 0, and one equal to the ring size, are fine', () => {
    expect(problemsOf([ring('few', { kind: 'count', count: 3 }, { toleratedFailureCount: 0 }), REST])).toEqual([]);
    expect(problemsOf([ring('few', { kind: 'count', count: 3 }, { toleratedFailureCount: 3 }), REST])).toEqual([]);
    expect(problemsOf([ring('a', { kind: 'rest' }, { toleratedFailureCount: 0 })])).toEqual([]);
  });
});

describe('assignRings: order of equal tenant ids', () => {
  test('records with the same tenantId keep their input order', () => {
    const first = { tenantId: 'a', lastRelease: 'v1' };
    const second = { tenantId: 'a', lastRelease: 'v2' };
    const plan = assignRings([second, { tenantId: 'b' }, first, { tenantId: 'a', lastRelease: 'v3' }], [REST], 'v9');
    expect(plan.rings[0].tenants).toEqual([second, first, { tenantId: 'a', lastRelease: 'v3' }, { tenantId: 'b' }]);
  });
});
