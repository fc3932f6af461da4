/**
 * Where a FargateSpotRunner job runs: the capacity provider strategy of its
 * first attempt, and whether a run that Spot cannot start or keeps
 * interrupting gets one more attempt on on-demand FARGATE.
 *
 * Pure: no CDK imports, so the ECS rules are checked (and tested) as plain data.
 * ECS never falls back from FARGATE_SPOT to FARGATE by itself
 * (aws/containers-roadmap #852); the runner's state machine does it.
 */
import type { Problem } from '../shared/validation';

/** The two capacity providers of Fargate. */
export enum FargateCapacityProvider {
  /** On-demand Fargate. */
  FARGATE = 'FARGATE',
  /** Fargate Spot: up to 70% cheaper, may be interrupted with a two-minute notice. */
  FARGATE_SPOT = 'FARGATE_SPOT',
}

/** One item of a capacity provider strategy. */
export interface CapacityShare {
  /** The capacity provider. */
  readonly capacityProvider: FargateCapacityProvider;

  /**
   * Relative share of the tasks placed after `base` is met (0 to 1,000).
   *
   * @default 1
   */
  readonly weight?: number;

  /**
   * Tasks placed on this provider before weights apply (0 to 100,000).
   * Only one share of a strategy may set it.
   *
   * @default - none
   */
  readonly base?: number;
}

/** A weighted mix of FARGATE and FARGATE_SPOT. */
export interface WeightedCapacityOptions {
  /** The strategy items, each provider at most once. */
  readonly shares: CapacityShare[];

  /**
   * Run once more on FARGATE when the mix cannot start for lack of capacity,
   * or when its restarts after interruptions are used up.
   *
   * @default true
   */
  readonly fallbackToOnDemand?: boolean;
}

/**
 * How a job is placed. Use the static factories.
 */
export class CapacityStrategy {
  /** FARGATE_SPOT only: a job Spot cannot start fails, interruptions restart on Spot only. */
  public static spotOnly(): CapacityStrategy {
    return new CapacityStrategy('spotOnly', [{ capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 1 }], false);
  }

  /**
   * FARGATE_SPOT first; one run on FARGATE when Spot has no capacity or the
   * restarts after interruptions are used up. The default.
   */
  public static spotWithOnDemandFallback(): CapacityStrategy {
    return new CapacityStrategy('spotWithOnDemandFallback', [{ capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 1 }], true);
  }

  /** FARGATE only (for Windows jobs, or jobs that must not be interrupted). */
  public static onDemandOnly(): CapacityStrategy {
    return new CapacityStrategy('onDemandOnly', [{ capacityProvider: FargateCapacityProvider.FARGATE, weight: 1 }], false);
  }

  /** A weighted mix with an optional base, validated against the ECS rules. */
  public static weighted(options: WeightedCapacityOptions): CapacityStrategy {
    return new CapacityStrategy('weighted', options.shares, options.fallbackToOnDemand ?? true);
  }

  /** Which factory made the strategy: spotOnly, spotWithOnDemandFallback, onDemandOnly or weighted. */
  public readonly name: string;
  /** The strategy of the first attempt. */
  public readonly shares: CapacityShare[];
  /** Whether a last attempt runs on FARGATE. */
  public readonly fallbackToOnDemand: boolean;

  private constructor(name: string, shares: CapacityShare[], fallbackToOnDemand: boolean) {
    this.name = name;
    this.shares = shares;
    this.fallbackToOnDemand = fallbackToOnDemand;
  }
}

/** A strategy item as RunTask takes it, with defaults applied. @internal */
export interface PlannedShare {
  readonly capacityProvider: FargateCapacityProvider;
  readonly weight: number;
  readonly base?: number;
}

/** What the state machine renders. @internal */
export interface CapacityPlan {
  /** The strategy of the first attempt (and of restarts after interruptions). */
  readonly primary: PlannedShare[];
  /** Whether a last attempt runs on FARGATE (false when the primary strategy is FARGATE only). */
  readonly fallbackToOnDemand: boolean;
  /** Whether the primary strategy can place the job on FARGATE_SPOT. */
  readonly usesSpot: boolean;
  readonly problems: Problem[];
}

const MAX_WEIGHT = 1000;
const MAX_BASE = 100000;

/**
 * Checks a strategy against the ECS rules (providers, ranges, at most one
 * base, not every weight zero) and plans the attempts. @internal
 */
export function planCapacity(strategy: CapacityStrategy, property: string): CapacityPlan {
  const problems: Problem[] = [];
  const primary: PlannedShare[] = strategy.shares.map((share) => ({
    capacityProvider: share.capacityProvider,
    weight: share.weight ?? 1,
    ...(share.base !== undefined ? { base: share.base } : {}),
  }));

  if (primary.length === 0) {
    problems.push({
      property: `${property}.shares`,
      value: [],
      reason: 'a capacity provider strategy needs at least one item',
      fix: 'add a share, e.g. { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 1 }',
    });
  }
  const seen = new Map<string, number>();
  primary.forEach((share, i) => {
    const where = `${property}.shares[${i}]`;
    if (!Object.values(FargateCapacityProvider).includes(share.capacityProvider)) {
      problems.push({ property: `${where}.capacityProvider`, value: share.capacityProvider, reason: 'Fargate jobs run on FARGATE or FARGATE_SPOT only', fix: 'use FargateCapacityProvider.FARGATE or FargateCapacityProvider.FARGATE_SPOT' });
    }
    const first = seen.get(share.capacityProvider);
    if (first !== undefined) {
      problems.push({ property: where, value: share.capacityProvider, reason: `duplicate of ${property}.shares[${first}]`, fix: 'list each capacity provider once' });
    } else {
      seen.set(share.capacityProvider, i);
    }
    if (!Number.isInteger(share.weight) || share.weight < 0 || share.weight > MAX_WEIGHT) {
      problems.push({ property: `${where}.weight`, value: share.weight, reason: `ECS takes a whole number from 0 to ${MAX_WEIGHT}`, fix: 'give a weight such as 1, 3 or 100' });
    }
    if (share.base !== undefined && (!Number.isInteger(share.base) || share.base < 0 || share.base > MAX_BASE)) {
      problems.push({ property: `${where}.base`, value: share.base, reason: `ECS takes a whole number from 0 to ${MAX_BASE}`, fix: 'give a base such as 1, or leave it out' });
    }
  });

  const withBase = primary.map((s, i) => ({ s, i })).filter(({ s }) => s.base !== undefined);
  if (withBase.length > 1) {
    problems.push({
      property: `${property}.shares`,
      value: withBase.map(({ s, i }) => `shares[${i}] ${s.capacityProvider} base ${s.base}`),
      reason: 'ECS lets only one item of a capacity provider strategy set base',
      fix: `keep base on one share (e.g. shares[${withBase[0].i}]) and remove it from the others`,
    });
  }
  if (primary.length > 0 && primary.every((s) => s.weight === 0)) {
    problems.push({
      property: `${property}.shares`,
      value: primary.map((s) => `${s.capacityProvider} weight 0`),
      reason: 'every weight is 0, so ECS has nowhere to place the job',
      fix: 'give at least one share a weight above 0, e.g. FARGATE_SPOT weight 3 and FARGATE weight 1',
    });
  }

  const usesSpot = primary.some((s) => s.capacityProvider === FargateCapacityProvider.FARGATE_SPOT && (s.weight > 0 || (s.base ?? 0) > 0));
  return {
    primary,
    // A FARGATE-only strategy has nothing to fall back from.
    fallbackToOnDemand: strategy.fallbackToOnDemand && usesSpot,
    usesSpot,
    problems,
  };
}

/** The platform a job runs on, as plain data. @internal */
export interface JobPlatform {
  /** `X86_64` or `ARM64` (ECS runtime platform values), or what the user passed instead. */
  readonly cpuArchitecture: string;
  /** `LINUX` or one of the `WINDOWS_SERVER_*` families, as shown in messages. */
  readonly operatingSystemFamily: string;
  /** Whether the family is a Windows one. */
  readonly windows: boolean;
}

/** Platforms Fargate (and Fargate Spot) can run. @internal */
export function platformProblems(platform: JobPlatform, usesSpot: boolean, capacityProperty: string): Problem[] {
  const problems: Problem[] = [];
  const windows = platform.windows;
  if (!['X86_64', 'ARM64'].includes(platform.cpuArchitecture)) {
    problems.push({ property: 'cpuArchitecture', value: platform.cpuArchitecture, reason: 'Fargate runs X86_64 and ARM64 tasks only', fix: 'use CpuArchitecture.X86_64 or CpuArchitecture.ARM64' });
  }
  if (windows && platform.cpuArchitecture === 'ARM64') {
    problems.push({
      property: 'cpuArchitecture',
      value: `${platform.cpuArchitecture} with ${platform.operatingSystemFamily}`,
      reason: 'Fargate runs Windows containers on X86_64 only',
      fix: 'use CpuArchitecture.X86_64 for Windows, or a Linux image on ARM64',
    });
  }
  if (windows && usesSpot) {
    problems.push({
      property: capacityProperty,
      value: `FARGATE_SPOT with ${platform.operatingSystemFamily}`,
      reason: 'Fargate Spot runs Linux tasks only (platform 1.3.0 and later); Windows tasks cannot be placed on it',
      fix: 'use CapacityStrategy.onDemandOnly() for Windows jobs, or a Linux image',
    });
  }
  return problems;
}
