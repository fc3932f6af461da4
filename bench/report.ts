/**
 * Printing: one line per run as it finishes, the growth summary of the
 * library's policies, and a Markdown table for the README.
 */
import { CLAIMS, growthPerTarget } from './claims';
import { AssemblyMeasurement } from './measure';
import { BenchRow } from './run';

const COLUMNS: ReadonlyArray<[string, (r: BenchRow, m?: AssemblyMeasurement) => string]> = [
  ['variant', (r) => r.variant],
  ['targets', (r) => thousands(r.targets)],
  ['synth', (r) => (r.synthMs === undefined ? '-' : `${thousands(r.synthMs)} ms`)],
  ['pipelines', (_, m) => (m ? String(m.pipelines) : '-')],
  ['stacks', (_, m) => (m ? thousands(m.stacks) : '-')],
  ['largest template', (_, m) => (m ? `${thousands(m.largestTemplate.bytes)} B (${m.largestTemplate.resources} resources)` : '-')],
  ['key policy', (_, m) => (m ? `${thousands(m.keyPolicyBytes)} B` : '-')],
  ['bucket policy', (_, m) => (m ? `${thousands(m.bucketPolicyBytes)} B` : '-')],
  ['inline policies of a role', (_, m) => (m ? `${thousands(m.roleInlinePolicyBytes)} B` : '-')],
  ['first quota broken', (r) => r.firstBroken],
];

/** One line for a finished run. */
export function printRow(row: BenchRow): void {
  const cells = COLUMNS.map(([name, cell]) => `${name}: ${cell(row, row.measurement)}`);
  console.log(cells.join(' | '));
  if (row.error && row.measurement) console.log(`  synth refused: ${row.error}`);
}

/** Largest key, bucket and pipeline-role policy per size, and their growth per target. */
export function printPolicyGrowth(rows: readonly BenchRow[], variants: readonly string[]): void {
  for (const variant of variants) {
    console.log(`\n${variant}: largest policies (bytes)`);
    for (const row of rows.filter((r) => r.variant === variant && r.measurement)) {
      const m = row.measurement!;
      console.log(`  ${thousands(row.targets).padStart(6)} targets: key ${thousands(m.keyPolicyBytes)}, bucket ${thousands(m.bucketPolicyBytes)}, ` +
        `pipeline role ${thousands(m.pipelineRolePolicyBytes)}`);
    }
    const growth = growthPerTarget(rows, variant)
      .map((g) => `${g.policy} ${g.bytesPerTarget === undefined ? 'n/a' : g.bytesPerTarget.toFixed(1)}`);
    console.log(`  growth per target from ${CLAIMS.growthFrom} to ${CLAIMS.growthTo}: ${growth.join(', ')} B`);
  }
}

/** The Markdown table: one row per variant and size. */
export function markdownTable(rows: readonly BenchRow[]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(COLUMNS.map(([name]) => name)),
    line(COLUMNS.map(() => '---')),
    ...rows.map((r) => line(COLUMNS.map(([, cell]) => cell(r, r.measurement).replace(/\|/g, '\\|')))),
  ].join('\n');
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
}
