import { Duration } from 'aws-cdk-lib';

/**
 * How many failed tenants a ring tolerates before the rollout stops (no later
 * ring starts). Rendered as the Distributed Map's `ToleratedFailureCount` or
 * `ToleratedFailurePercentage`.
 */
export class FailureTolerance {
  /** At most `count` failed tenants in the ring. */
  public static count(count: number): FailureTolerance {
    return new FailureTolerance(count, undefined);
  }

  /** At most `percent` (0 to 100) of the ring's tenants may fail. */
  public static percent(percent: number): FailureTolerance {
    return new FailureTolerance(undefined, percent);
  }

  /** No failure is tolerated: the first failed tenant stops the rollout. */
  public static none(): FailureTolerance {
    return new FailureTolerance(0, undefined);
  }

  private constructor(
    /** Failed tenants tolerated, when given as a count. */
    public readonly failureCount: number | undefined,
    /** Failed tenants tolerated, when given as a percentage of the ring. */
    public readonly failurePercentage: number | undefined,
  ) {}
}

/** How a ring picks its tenants. */
export enum FleetRingKind {
  /** The tenants whose registry record names the ring. */
  NAMED = 'named',
  /** The next N tenants. */
  COUNT = 'count',
  /** The next N percent of all eligible tenants, rounded up. */
  PERCENT = 'percent',
  /** Every tenant left: the last ring. */
  REST = 'rest',
}

/** What every ring may add to its selection. */
export interface FleetRingOptions {
  /**
   * The ring's name (state names, metrics, events). Letters, digits and `-`, at most 32 characters.
   * @default - the named ring's name, `count-<n>`, `percent-<p>` or `rest`
   */
  readonly name?: string;
  /**
   * Failed tenants the ring tolerates; over it the rollout stops.
   * @default FailureTolerance.none()
   */
  readonly failureTolerance?: FailureTolerance;
  /**
   * Time to wait after the ring before the next one starts (alarms have time to fire).
   * @default Duration.seconds(0)
   */
  readonly bakeTime?: Duration;
  /**
   * A manual approval (an SNS message with a task token) before the ring starts.
   * @default false
   */
  readonly approval?: boolean;
  /**
   * How long the approval waits; when it expires the rollout stops.
   * @default Duration.days(1)
   */
  readonly approvalTimeout?: Duration;
}

/**
 * One ring of a fleet rollout. Rings run in order; a ring's tenants are picked at
 * run time from the registry, so the template does not change when tenants do.
 *
 * @example
 * import { Duration } from 'aws-cdk-lib';
 * import { FailureTolerance, FleetRing } from 'cdk-cross-account-cicd';
 *
 * const rings = [
 *   FleetRing.named('canary', { bakeTime: Duration.minutes(30) }),
 *   FleetRing.percent(1, { failureTolerance: FailureTolerance.count(0) }),
 *   FleetRing.percent(10, { approval: true, failureTolerance: FailureTolerance.percent(2) }),
 *   FleetRing.rest({ failureTolerance: FailureTolerance.percent(5) }),
 * ];
 */
export class FleetRing {
  /** The tenants whose registry record says `ring = <ringName>`. */
  public static named(ringName: string, options: FleetRingOptions = {}): FleetRing {
    return new FleetRing(FleetRingKind.NAMED, options.name ?? ringName, ringName, undefined, options);
  }

  /** The next `count` tenants (in tenant id order). */
  public static count(count: number, options: FleetRingOptions = {}): FleetRing {
    return new FleetRing(FleetRingKind.COUNT, options.name ?? `count-${count}`, undefined, count, options);
  }

  /** The next `percent` percent of all eligible tenants, rounded up (0 < percent <= 100). */
  public static percent(percent: number, options: FleetRingOptions = {}): FleetRing {
    return new FleetRing(FleetRingKind.PERCENT, options.name ?? `percent-${String(percent).replace('.', '-')}`, undefined, percent, options);
  }

  /** Every tenant not taken by an earlier ring. The last ring of every rollout. */
  public static rest(options: FleetRingOptions = {}): FleetRing {
    return new FleetRing(FleetRingKind.REST, options.name ?? 'rest', undefined, undefined, options);
  }

  /** The failure tolerance, approval and bake time of this ring. */
  public readonly options: FleetRingOptions;

  private constructor(
    /** How the ring picks its tenants. */
    public readonly kind: FleetRingKind,
    /** The ring's name in state names, metrics and events. */
    public readonly name: string,
    /** For a named ring: the `ring` value of its tenants' records. */
    public readonly ringName: string | undefined,
    /** For a count or percent ring: the count or the percentage. */
    public readonly value: number | undefined,
    options: FleetRingOptions,
  ) {
    this.options = { ...options };
  }
}
