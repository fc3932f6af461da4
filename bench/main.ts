/**
 * `npm run bench [-- --sizes 10,100,1000,5000] [--cdk-pipelines-sizes 10,50,100,500]`
 *
 * Synthesizes, per target count, CrossAccountPipeline (organization and
 * account-list mode) and the same deployment with CDK Pipelines (up to 500
 * targets), prints what each run produced against the quotas, and a Markdown
 * table for the README. Exits non-zero when CrossAccountPipeline breaks one of
 * the project's claims (see claims.ts). Offline; temporary files only.
 *
 * Then the fleet rows (issue 12, `--fleet-sizes`, default 10,100,1000,5000,50000):
 * per tenant count a `fleet:` line (FleetRollout) and a `pipeline:` line
 * (CrossAccountPipeline) with rounds, template bytes, API rates against their
 * quotas and the cost of one release (fleet-report.ts, fleet-model.ts), and
 * the fleet claims (claims.ts).
 */
import { performance } from 'perf_hooks';
import { synthCdkPipelines } from './cdk-pipelines-app';
import { claimViolations, fleetClaimViolations } from './claims';
import { ReaderMode, synthCrossAccountPipeline } from './cross-account-pipeline-app';
import { FLEET_SIZES } from './fleet-model';
import { runFleetBench } from './fleet-report';
import { markdownTable, printPolicyGrowth, printRow } from './report';
import { BenchRow, runBench, skippedRow } from './run';

const DEFAULT_SIZES = [10, 100, 1000, 5000];
const DEFAULT_CDK_PIPELINES_SIZES = [10, 50, 100, 500];
/** CDK Pipelines beyond this is slow to synthesize and long past its quotas. */
const CDK_PIPELINES_CAP = 500;

const LIBRARY_VARIANTS: Record<string, ReaderMode> = {
  'CrossAccountPipeline (organization)': 'organization',
  'CrossAccountPipeline (account list)': 'account-list',
};
const CDK_PIPELINES = 'CDK Pipelines';

function main(): void {
  const started = performance.now();
  const sizes = sizesArg('--sizes') ?? DEFAULT_SIZES;
  const cdkSizes = (sizesArg('--cdk-pipelines-sizes') ?? (sizesArg('--sizes') ? sizes : DEFAULT_CDK_PIPELINES_SIZES))
    .filter((n) => n <= CDK_PIPELINES_CAP);

  warmUp();
  const rows: BenchRow[] = [];
  const record = (row: BenchRow) => {
    printRow(row);
    rows.push(row);
  };
  for (const n of [...new Set([...sizes, ...cdkSizes])].sort((a, b) => a - b)) {
    if (sizes.includes(n)) {
      for (const [variant, mode] of Object.entries(LIBRARY_VARIANTS)) {
        record(runBench(variant, n,
          (outdir) => synthCrossAccountPipeline({ targets: n, mode, outdir }),
          (outdir) => synthCrossAccountPipeline({ targets: n, mode, outdir, skipValidation: true })));
      }
    }
    if (cdkSizes.includes(n)) record(runBench(CDK_PIPELINES, n, (outdir) => synthCdkPipelines(n, outdir)));
  }
  const brokenAt = rows.find((r) => r.variant === CDK_PIPELINES && r.firstBroken !== 'none')?.targets;
  for (const n of sizes.filter((s) => s > CDK_PIPELINES_CAP)) {
    record(skippedRow(CDK_PIPELINES, n, brokenAt === undefined
      ? `not run (over the ${CDK_PIPELINES_CAP}-target cap)`
      : `not run (already over quota at ${brokenAt})`));
  }

  printPolicyGrowth(rows, Object.keys(LIBRARY_VARIANTS));
  const variantOrder = [...Object.keys(LIBRARY_VARIANTS), CDK_PIPELINES];
  const sorted = [...rows].sort((a, b) => variantOrder.indexOf(a.variant) - variantOrder.indexOf(b.variant) || a.targets - b.targets);
  console.log(`\n${markdownTable(sorted)}\n`);

  const fleetRows = runFleetBench(sizesArg('--fleet-sizes') ?? FLEET_SIZES, rows);

  const violations = claimViolations(rows, LIBRARY_VARIANTS);
  violations.push(...fleetClaimViolations(fleetRows));
  violations.forEach((v) => console.log(`CLAIM BROKEN: ${v}`));
  console.log(`Total: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (violations.length > 0) process.exitCode = 1;
}

/** Loads modules and warms the JIT with one small unreported run of each variant, so the first row is not penalized. */
function warmUp(): void {
  for (const mode of Object.values(LIBRARY_VARIANTS)) runBench('warm-up', 2, (outdir) => synthCrossAccountPipeline({ targets: 2, mode, outdir }));
  runBench('warm-up', 2, (outdir) => synthCdkPipelines(2, outdir));
}

/** `--name 1,2,3` as numbers, or undefined when absent. */
function sizesArg(name: string): number[] | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const sizes = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 2)) {
    throw new Error(`${name} takes a comma-separated list of target counts of at least 2, e.g. ${name} 10,100`);
  }
  return sizes;
}

main();
