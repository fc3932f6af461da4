/**
 * The project's performance claims, checked on the rows of a run:
 * CrossAccountPipeline with an organization stays within every quota at every
 * size (an account list grows 15 B per target and meets a quota past about 500
 * targets: reported, not a broken claim), synthesizes
 * 5,000 targets in under 60 s, and its key, bucket and pipeline-role policies
 * grow by 0 bytes per target with an organization, at most 20 without one.
 */
import { fleetModel } from './fleet-model';
import type { FleetBenchRow } from './fleet-report';
import { AssemblyMeasurement } from './measure';
import { BenchRow } from './run';

export const CLAIMS = {
  largeTargets: 5_000,
  largeSynthMs: 60_000,
  growthFrom: 100,
  growthTo: 1_000,
  maxGrowth: { 'organization': 0, 'account-list': 20 } as Record<string, number>,
};

/** The policies whose growth per target is claimed. */
export const GROWING_POLICIES: ReadonlyArray<[string, (m: AssemblyMeasurement) => number]> = [
  ['key policy', (m) => m.keyPolicyBytes],
  ['bucket policy', (m) => m.bucketPolicyBytes],
  ['pipeline role policies (inline and managed)', (m) => m.pipelineRolePolicyBytes],
];

export interface Growth {
  readonly policy: string;
  /** Bytes per target between the two sizes; undefined when either size was not measured. */
  readonly bytesPerTarget?: number;
}

/** Growth per target of each claimed policy between CLAIMS.growthFrom and CLAIMS.growthTo targets. */
export function growthPerTarget(rows: readonly BenchRow[], variant: string): Growth[] {
  const at = (n: number) => rows.find((r) => r.variant === variant && r.targets === n)?.measurement;
  const from = at(CLAIMS.growthFrom);
  const to = at(CLAIMS.growthTo);
  return GROWING_POLICIES.map(([policy, size]) => ({
    policy,
    bytesPerTarget: from && to ? (size(to) - size(from)) / (CLAIMS.growthTo - CLAIMS.growthFrom) : undefined,
  }));
}

/**
 * Every claim a run of the library's variants (`variant -> reader mode`) breaks, as sentences.
 */
export function claimViolations(rows: readonly BenchRow[], libraryVariants: Record<string, string>): string[] {
  const violations: string[] = [];
  for (const [variant, mode] of Object.entries(libraryVariants)) {
    for (const row of rows.filter((r) => r.variant === variant)) {
      if (mode === 'organization' && row.firstBroken !== 'none') violations.push(`${variant} at ${row.targets} targets: ${row.firstBroken}`);
      if (row.targets >= CLAIMS.largeTargets && (row.synthMs ?? 0) >= CLAIMS.largeSynthMs) {
        violations.push(`${variant} at ${row.targets} targets: synth took ${row.synthMs} ms (claim: under ${CLAIMS.largeSynthMs} ms)`);
      }
    }
    for (const growth of growthPerTarget(rows, variant)) {
      if (growth.bytesPerTarget !== undefined && growth.bytesPerTarget > CLAIMS.maxGrowth[mode]) {
        violations.push(`${variant}: ${growth.policy} grows ${growth.bytesPerTarget.toFixed(1)} B per target (claim: at most ${CLAIMS.maxGrowth[mode]})`);
      }
    }
  }
  return violations;
}

/**
 * The fleet claims (issue 12), checked on the fleet rows of a run: the
 * FleetRollout template has the same bytes at every tenant count (tenants are
 * data, 0 bytes per tenant), 5,000 tenants with rings canary, 1%, 10%, rest
 * reach the last tenant in at most 4 sequential rounds under the default
 * concurrency cap, and every fleet API rate stays under its quota.
 */
export const FLEET_CLAIMS = {
  tenants: 5_000,
  maxRounds: 4,
};

/** Every fleet claim the rows break, as sentences. The 5,000-tenant claims are checked on the model when no row has 5,000 tenants. */
export function fleetClaimViolations(rows: readonly FleetBenchRow[]): string[] {
  const violations: string[] = [];
  for (const row of rows.filter((r) => !r.fleetRun.measurement)) {
    violations.push(`FleetRollout at ${row.tenants} tenants: not measured (${row.fleetRun.firstBroken})`);
  }
  for (const row of rows.filter((r) => r.fleetRun.error === undefined && r.fleetRun.firstBroken !== 'none')) {
    violations.push(`FleetRollout at ${row.tenants} tenants: ${row.fleetRun.firstBroken}`);
  }
  const bytes = new Map<number, number[]>();
  for (const row of rows) {
    const b = row.fleetRun.measurement?.largestTemplate.bytes;
    if (b !== undefined) bytes.set(b, [...(bytes.get(b) ?? []), row.tenants]);
  }
  if (bytes.size > 1) {
    const sizes = [...bytes.entries()].map(([b, tenants]) => `${b} B at ${tenants.join(', ')} tenants`).join('; ');
    violations.push(`FleetRollout template bytes differ with the tenant count (claim: 0 bytes per tenant): ${sizes}`);
  }
  const models = rows.some((r) => r.tenants === FLEET_CLAIMS.tenants)
    ? rows.map((r) => r.fleet)
    : [...rows.map((r) => r.fleet), fleetModel(FLEET_CLAIMS.tenants)];
  for (const model of models) {
    if (model.tenants === FLEET_CLAIMS.tenants && model.rounds > FLEET_CLAIMS.maxRounds) {
      violations.push(`FleetRollout at ${model.tenants} tenants: ${model.rounds} rounds (claim: at most ${FLEET_CLAIMS.maxRounds})`);
    }
    for (const check of model.rates.filter((c) => c.over)) {
      violations.push(`FleetRollout at ${model.tenants} tenants: ${check.api} ${check.perSecond.toFixed(1)}/s over its quota of ${check.quota.value}/s (${check.scope})`);
    }
  }
  return violations;
}
