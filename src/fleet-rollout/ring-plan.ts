/**
 * Which tenant deploys in which ring of a fleet rollout.
 *
 * Pure, no CDK imports (the planner Lambda bundles this file): the rings are
 * props, checked at synth by `ringSpecProblems`; membership is data, decided
 * per rollout by `assignRings` from the registry's records.
 *
 * The rules:
 * - rings deploy in order; the last ring is `rest` (everything left), exactly once;
 * - eligible tenants (active, valid, including those already on the release) are
 *   sorted by tenantId, so a re-run puts every tenant in the same ring;
 * - named rings take the tenants whose record names them first, then count and
 *   percent rings take the next tenants in order, percent of all eligible tenants
 *   rounded up and never more than remain;
 * - tenants already on the release are then dropped from their ring, so a retry
 *   after a failure redeploys only the failed and pending ones.
 */
import { roundsFor } from '../shared/rounds';
// Type only: validation.ts imports aws-cdk-lib, which the Lambda bundle must not pull in.
import type { Problem } from '../shared/validation';

export type RingSelector =
  /** Tenants whose record says `ring = ringName`. */
  | { readonly kind: 'named'; readonly ringName: string }
  /** The next `count` tenants. */
  | { readonly kind: 'count'; readonly count: number }
  /** ceil(percent% of all eligible tenants), 0 < percent <= 100. */
  | { readonly kind: 'percent'; readonly percent: number }
  /** Everything left; the last ring, exactly once. */
  | { readonly kind: 'rest' };

export interface RingSpec {
  /** `^[A-Za-z0-9-]{1,32}$`, unique: it becomes part of state names and of the ring file's key. */
  readonly name: string;
  readonly selector: RingSelector;
  /** At most one of the two tolerances; neither means a failure count of 0. */
  readonly toleratedFailureCount?: number;
  /** 0..100. */
  readonly toleratedFailurePercentage?: number;
  /** Wait after the ring, 0..31,536,000 seconds; 0 renders no Wait state. */
  readonly bakeSeconds: number;
  /** A manual approval (SNS + task token) before the ring. */
  readonly approval: boolean;
}

export const RING_NAME_PATTERN = /^[A-Za-z0-9-]{1,32}$/;

/**
 * A Wait state waits at most 99,999,999 seconds, but a Standard execution lasts at
 * most one year, so a longer bake could never end
 * (https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-wait-state.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const MAX_BAKE_SECONDS = 31_536_000;

/**
 * A Distributed Map runs at most 10,000 child workflow executions in parallel
 * (MaxConcurrency; https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 * and https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const MAX_CONCURRENCY = 10_000;

/** Every problem of the rings and the concurrency cap, for synth-time errors. */
export function ringSpecProblems(
  path: string,
  rings: readonly RingSpec[],
  concurrency: number,
  concurrencyProperty: string = 'maxConcurrency',
): Problem[] {
  const problems: Problem[] = [];
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    problems.push({
      property: concurrencyProperty,
      value: concurrency,
      reason: `must be a whole number from 1 to ${MAX_CONCURRENCY.toLocaleString('en-US')} (the most child executions a Distributed Map runs in parallel)`,
      fix: 'set how many tenants deploy at the same time, for example 50',
    });
  }
  if (rings.length === 0) {
    problems.push({
      property: path,
      value: [],
      reason: 'a rollout needs at least one ring, and the last one must take the rest of the tenants',
      fix: "end the rings with { name: 'rest', selector: { kind: 'rest' } }",
    });
    return problems;
  }
  const names = new Map<string, number>();
  const ringNames = new Map<string, number>();
  rings.forEach((ring, i) => {
    const property = `${path}[${i}]`;
    problems.push(...nameProblems(path, i, ring.name, names));
    problems.push(...selectorProblems(path, i, ring, i === rings.length - 1, ringNames));
    problems.push(...toleranceProblems(property, ring));
    problems.push(...bakeProblems(property, ring.bakeSeconds));
  });
  return problems;
}

function nameProblems(path: string, index: number, name: string, seen: Map<string, number>): Problem[] {
  const property = `${path}[${index}]`;
  if (typeof name !== 'string' || !RING_NAME_PATTERN.test(name)) {
    return [{
      property: `${property}.name`,
      value: name,
      reason: "a ring name holds 1 to 32 letters, digits or '-' (it becomes part of state names and of S3 keys)",
      fix: "use a name such as 'canary' or 'wave-2'",
    }];
  }
  const first = seen.get(name);
  if (first !== undefined) {
    return [{
      property: `${property}.name`,
      value: name,
      reason: `duplicate of ${path}[${first}].name (state names must be unique)`,
      fix: 'give each ring its own name',
    }];
  }
  seen.set(name, index);
  return [];
}

function selectorProblems(
  path: string, index: number, ring: RingSpec, last: boolean, seenRingNames: Map<string, number>,
): Problem[] {
  const property = `${path}[${index}]`;
  const selector = ring.selector as RingSelector | undefined;
  const kind = selector?.kind;
  if (kind === 'rest') {
    if (last) return [];
    return [{
      property,
      value: kind,
      reason: 'a rest ring takes every tenant left, so rings after it would always be empty; it must be the last ring',
      fix: 'move the rest ring to the end, and keep only one',
    }];
  }
  const problems: Problem[] = [];
  if (last) {
    problems.push({
      property,
      value: kind,
      reason: 'the last ring must be a rest ring, or tenants that no ring selects would never be deployed',
      fix: "add { name: 'rest', selector: { kind: 'rest' } } as the last ring",
    });
  }
  if (kind === 'named') {
    const ringName = (selector as { ringName: unknown }).ringName;
    if (typeof ringName !== 'string' || ringName.length === 0) {
      problems.push({
        property: `${property}.ringName`,
        value: ringName,
        reason: 'a named ring selects the tenants whose record has this ring name, so it must be a non-empty string',
        fix: "use the value tenants put in their record's ring attribute, for example 'canary'",
      });
    } else {
      const first = seenRingNames.get(ringName);
      if (first !== undefined) {
        problems.push({
          property: `${property}.ringName`,
          value: ringName,
          reason: `${path}[${first}] already selects the tenants named '${ringName}', so this ring would always be empty`,
          fix: 'select each ring name in one ring only',
        });
      } else {
        seenRingNames.set(ringName, index);
      }
    }
  } else if (kind === 'count') {
    const count = (selector as { count: unknown }).count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      problems.push({
        property: `${property}.count`,
        value: count,
        reason: 'must be a whole number of at least 1',
        fix: 'set how many tenants the ring takes, for example 5',
      });
    }
  } else if (kind === 'percent') {
    const percent = (selector as { percent: unknown }).percent;
    if (typeof percent !== 'number' || !Number.isFinite(percent) || percent <= 0 || percent > 100) {
      problems.push({
        property: `${property}.percent`,
        value: percent,
        reason: 'must be more than 0 and at most 100 (percent of all eligible tenants, rounded up)',
        fix: 'use a percentage such as 1 or 10',
      });
    }
  } else {
    problems.push({
      property: `${property}.selector`,
      value: kind,
      reason: "not a ring selector (expected kind 'named', 'count', 'percent' or 'rest')",
      fix: "use { kind: 'named', ringName }, { kind: 'count', count }, { kind: 'percent', percent } or { kind: 'rest' }",
    });
  }
  return problems;
}

function toleranceProblems(property: string, ring: RingSpec): Problem[] {
  const { toleratedFailureCount: count, toleratedFailurePercentage: percentage } = ring;
  const problems: Problem[] = [];
  if (count !== undefined && percentage !== undefined) {
    problems.push({
      property: `${property}.toleratedFailurePercentage`,
      value: percentage,
      reason: `given together with toleratedFailureCount (${count}); a ring has one failure threshold`,
      fix: 'keep either toleratedFailureCount or toleratedFailurePercentage',
    });
  }
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0) {
      problems.push({
        property: `${property}.toleratedFailureCount`,
        value: count,
        reason: 'must be a whole number of at least 0',
        fix: 'set how many tenants of the ring may fail before the rollout stops, for example 0',
      });
    } else if (ring.selector?.kind === 'count' && Number.isInteger(ring.selector.count) && count > ring.selector.count) {
      problems.push({
        property: `${property}.toleratedFailureCount`,
        value: count,
        reason: `more than the ring's ${ring.selector.count} tenants, so the ring could never stop the rollout`,
        fix: `set at most ${ring.selector.count}, or use toleratedFailurePercentage`,
      });
    }
  }
  if (percentage !== undefined && (!Number.isFinite(percentage) || percentage < 0 || percentage > 100)) {
    problems.push({
      property: `${property}.toleratedFailurePercentage`,
      value: percentage,
      reason: 'must be from 0 to 100',
      fix: 'set the percentage of the ring that may fail before the rollout stops, for example 5',
    });
  }
  return problems;
}

function bakeProblems(property: string, bakeSeconds: number): Problem[] {
  if (Number.isInteger(bakeSeconds) && bakeSeconds >= 0 && bakeSeconds <= MAX_BAKE_SECONDS) return [];
  return [{
    property: `${property}.bakeSeconds`,
    value: bakeSeconds,
    reason: `must be a whole number of seconds from 0 to ${MAX_BAKE_SECONDS.toLocaleString('en-US')} (one year, the longest a Standard execution runs)`,
    fix: 'set how long to watch the ring before the next one, for example 3600, or 0 for no bake',
  }];
}

/** What the assignment needs of a tenant; TenantRecord has all of it. */
export interface RingTenant {
  readonly tenantId: string;
  /** The named ring the record asks for. */
  readonly ring?: string;
  readonly lastRelease?: string;
  readonly lastResult?: { readonly status?: string };
}

export interface AssignedRing<T extends RingTenant> {
  readonly name: string;
  /** To deploy, sorted by tenantId. */
  readonly tenants: T[];
  /** In this ring but already on the release (dropped from `tenants`). */
  readonly alreadyOnRelease: T[];
}

export interface RingAssignment<T extends RingTenant> {
  /** One per configured ring, in order. */
  readonly rings: AssignedRing<T>[];
  /** Tenants that name a ring that is not configured. */
  readonly invalid: { readonly tenantId: string; readonly reason: string }[];
}

/** The reason given to a tenant whose record names a ring that is not configured. */
export function unknownRingReason(ring: string, ringNames: readonly string[]): string {
  return ringNames.length === 0
    ? `ring '${ring}' is not one of the named rings: the rollout has none`
    : `ring '${ring}' is not one of: ${ringNames.join(', ')}`;
}

/** The ring names tenants may put in their record. */
export function namedRingNames(rings: readonly RingSpec[]): string[] {
  return rings.flatMap((ring) => ring.selector.kind === 'named' ? [ring.selector.ringName] : []);
}

/** Already deployed with this release: a re-run skips it. */
export function isOnRelease(tenant: RingTenant, release: string): boolean {
  return tenant.lastRelease === release && tenant.lastResult?.status === 'SUCCEEDED';
}

/** Compares by UTF-16 code units: the same order on every machine, unlike localeCompare. */
function byTenantId(a: RingTenant, b: RingTenant): number {
  return a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0;
}

/**
 * Puts every eligible tenant (active and valid, those on the release included)
 * in a ring. `release` is the version being rolled out. The rings must be valid
 * (`ringSpecProblems` returns none).
 */
export function assignRings<T extends RingTenant>(tenants: readonly T[], rings: readonly RingSpec[], release: string): RingAssignment<T> {
  const ringNames = namedRingNames(rings);
  const named = new Set(ringNames);
  const invalid: { tenantId: string; reason: string }[] = [];
  const eligible: T[] = [];
  for (const tenant of [...tenants].sort(byTenantId)) {
    if (tenant.ring !== undefined && !named.has(tenant.ring)) {
      invalid.push({ tenantId: tenant.tenantId, reason: unknownRingReason(tenant.ring, ringNames) });
    } else {
      eligible.push(tenant);
    }
  }
  // Named rings first, so a percent ring counts the tenants left after them.
  let remaining = eligible.filter((tenant) => tenant.ring === undefined);
  const members: T[][] = rings.map((ring) => {
    const selector = ring.selector;
    if (selector.kind === 'named') return eligible.filter((tenant) => tenant.ring === selector.ringName);
    return [];
  });
  rings.forEach((ring, i) => {
    const selector = ring.selector;
    if (selector.kind === 'named') return;
    const take = selector.kind === 'rest'
      ? remaining.length
      : Math.min(remaining.length, selector.kind === 'count' ? selector.count : percentOf(selector.percent, eligible.length));
    members[i] = remaining.slice(0, take);
    remaining = remaining.slice(take);
  });
  return {
    rings: rings.map((ring, i) => ({
      name: ring.name,
      tenants: members[i].filter((tenant) => !isOnRelease(tenant, release)),
      alreadyOnRelease: members[i].filter((tenant) => isOnRelease(tenant, release)),
    })),
    invalid,
  };
}

/**
 * ceil(percent% of total). The small epsilon keeps floating-point noise
 * (33.3% of 3,000 = 998.9999999999999) from rounding the wrong way.
 */
export function percentOf(percent: number, total: number): number {
  return Math.max(0, Math.ceil((percent * total) / 100 - 1e-9));
}

/**
 * Sequential deploy rounds of a rollout: each ring deploys `concurrency`
 * tenants at a time and the next ring starts when the ring is done.
 */
export function fleetRounds(ringSizes: readonly number[], concurrency: number): number {
  return ringSizes.reduce((sum, size) => sum + roundsFor(size, concurrency), 0);
}
