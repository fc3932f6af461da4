/**
 * The project's performance claims, checked on the rows of a run:
 * CrossAccountPipeline with an organization stays within every quota at every
 * size (an account list grows 15 B per target and meets a quota past about 500
 * targets: reported, not a broken claim), synthesizes
 * 5,000 targets in under 60 s, and its key, bucket and pipeline-role policies
 * grow by 0 bytes per target with an organization, at most 20 without one.
 */
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
