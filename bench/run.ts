/**
 * One benchmark run: synthesize into a fresh temporary directory, time it,
 * measure the assembly, delete the directory. A synth that throws becomes a
 * row with its error instead of a crash.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AssemblyMeasurement, measureAssembly } from './measure';
import { firstBrokenQuota } from './quotas';

/** One row of the report. */
export interface BenchRow {
  readonly variant: string;
  readonly targets: number;
  /** Wall clock of construct + synth; undefined when not run. */
  readonly synthMs?: number;
  readonly measurement?: AssemblyMeasurement;
  /** First line of the error synth threw, if it threw. */
  readonly error?: string;
  /** The first quota broken, the error, 'none', or why the run was skipped. */
  readonly firstBroken: string;
}

/** Builds an app in `outdir` and synthesizes it. */
export type Synthesize = (outdir: string) => cxapi.CloudAssembly;

/**
 * @param measureAnyway synthesizes again when `synthesize` throws (for example
 *   without validation), so the row still shows how large things got
 */
export function runBench(variant: string, targets: number, synthesize: Synthesize, measureAnyway?: Synthesize): BenchRow {
  let error: string | undefined;
  let synthMs: number | undefined;
  let measurement = withTempDir((outdir) => {
    const started = performance.now();
    try {
      const assembly = synthesize(outdir);
      synthMs = Math.round(performance.now() - started);
      return measureAssembly(assembly);
    } catch (e) {
      synthMs = Math.round(performance.now() - started);
      error = firstLine(e);
      return undefined;
    }
  });
  if (error !== undefined && measureAnyway) {
    measurement = tryOrUndefined(() => withTempDir((outdir) => measureAssembly(measureAnyway(outdir))));
  }
  const broken = measurement && firstBrokenQuota(measurement);
  const firstBroken = error === undefined ? broken ?? 'none' : broken ? `${broken}; synth refused` : error;
  return { variant, targets, synthMs, measurement, error, firstBroken };
}

/** A row for a size that was not run. */
export function skippedRow(variant: string, targets: number, reason: string): BenchRow {
  return { variant, targets, firstBroken: reason };
}

function withTempDir<T>(use: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    return use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function tryOrUndefined<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The first line of the error that says something (CDK's validation errors start with a generic header). */
function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !/^Validation failed with the following errors:?$/.test(l));
  return lines[0] ?? 'synth failed';
}
