/**
 * The fleet rows of `npm run bench`: per tenant count, one `fleet:` line
 * (FleetRollout, synthesized once per row although the app takes no tenant
 * count) and one `pipeline:` line (CrossAccountPipeline: its planned rounds,
 * and the template bytes of the CrossAccountPipeline rows of the same run),
 * then the model's assumptions and sources.
 */
import { synthFleet } from './fleet-app';
import {
  assumptionLines, EngineModel, fleetModel, largestWorkItemBytes, maxSafeConcurrency, pipelineModel, QUOTAS, RateCheck, totalUsd,
} from './fleet-model';
import { BenchRow, runBench } from './run';

/** The CrossAccountPipeline variant whose synth results the pipeline lines reuse. */
export const PIPELINE_VARIANT = 'CrossAccountPipeline (organization)';

/** One tenant count: both engines' models and what was synthesized. */
export interface FleetBenchRow {
  readonly tenants: number;
  readonly fleet: EngineModel;
  readonly pipeline: EngineModel;
  /** The FleetRollout synth of this row (its template bytes, synth time, first quota broken). */
  readonly fleetRun: BenchRow;
  /** The CrossAccountPipeline synth of the same run at this size, if there was one. */
  readonly pipelineRun?: BenchRow;
}

/**
 * Models both engines and synthesizes the fleet app once per size, printing
 * each row as it finishes. `pipelineRows` are the rows the run already has.
 */
export function runFleetBench(sizes: readonly number[], pipelineRows: readonly BenchRow[]): FleetBenchRow[] {
  console.log('\nFleet rollouts (issue 12): FleetRollout on Step Functions vs CrossAccountPipeline, per tenant count');
  runBench('warm-up', 0, synthFleet);
  const rows: FleetBenchRow[] = [];
  for (const tenants of sizes) {
    const row: FleetBenchRow = {
      tenants,
      fleet: fleetModel(tenants),
      pipeline: pipelineModel(tenants),
      // The synth does not get `tenants`: there is nothing to give it.
      fleetRun: runBench('FleetRollout', tenants, synthFleet),
      pipelineRun: pipelineRows.find((r) => r.variant === PIPELINE_VARIANT && r.targets === tenants && r.measurement),
    };
    console.log(fleetLine(row));
    console.log(pipelineLine(row));
    rows.push(row);
  }
  printFleetNotes(rows);
  return rows;
}

/** `fleet: tenants: N | rounds: R | template bytes: B | ...` */
export function fleetLine(row: FleetBenchRow): string {
  const { fleet, fleetRun } = row;
  const m = fleetRun.measurement;
  return [
    `fleet: tenants: ${row.tenants}`,
    `rounds: ${fleet.rounds}`,
    `template bytes: ${m ? m.largestTemplate.bytes : `not measured (${fleetRun.firstBroken})`}`,
    `synth: ${fleetRun.synthMs === undefined ? '-' : `${thousands(fleetRun.synthMs)} ms`}`,
    `stacks: ${m ? m.stacks : '-'}`,
    `ring sizes: ${(fleet.ringSizes ?? []).map(thousands).join(' / ')}`,
    `peak concurrent deploys: ${thousands(fleet.peakConcurrentDeploys)}`,
    ...fleet.rates.map(rateCell),
    `state transitions per release: ${thousands(fleet.transitions ?? 0)}`,
    `cost of one release: ${costCell(fleet)}`,
    `time to last tenant: ~${Math.round(fleet.minutesToLastTenant)} min (bakes and approvals excluded)`,
    `first quota broken: ${fleetRun.firstBroken}`,
  ].join(' | ');
}

/** `pipeline: tenants: N | rounds: R | template bytes: B | ...` */
export function pipelineLine(row: FleetBenchRow): string {
  const { pipeline, pipelineRun } = row;
  const m = pipelineRun?.measurement;
  return [
    `pipeline: tenants: ${row.tenants}`,
    `rounds: ${pipeline.rounds}`,
    `template bytes: ${m ? `${m.largestTemplate.bytes} (largest of ${m.stacks} stacks, ${PIPELINE_VARIANT} row, Dev 1 + Prod ${thousands(row.tenants - 1)})` : 'not synthesized'}`,
    `synth: ${pipelineRun?.synthMs === undefined ? 'not synthesized' : `${thousands(pipelineRun.synthMs)} ms`}`,
    `pipelines: ${pipeline.pipelines}`,
    `peak concurrent deploys: ${thousands(pipeline.peakConcurrentDeploys)}`,
    'StartExecution n/a (one StartPipelineExecution per release)',
    'state transitions n/a',
    ...pipeline.rates.map(rateCell),
    `cost of one release: ${costCell(pipeline)}`,
    `time to last tenant: ~${Math.round(pipeline.minutesToLastTenant)} min (stage transitions and approvals excluded)`,
    `first quota broken: ${pipelineRun ? pipelineRun.firstBroken : 'not synthesized'}`,
  ].join(' | ');
}

function rateCell(check: RateCheck): string {
  const assumed = check.quota.source.assumed ? ' (quota assumed)' : '';
  return `${check.api} ${rate(check.perSecond)}/s of ${thousands(check.quota.value)}/s${assumed}${check.over ? ' OVER' : ''}`;
}

function costCell(model: EngineModel): string {
  const items = model.cost.map((c) => `${c.what} $${c.usd.toFixed(4)}${c.assumed ? ' (assumed)' : ''}`);
  return `$${totalUsd(model.cost).toFixed(2)} (${items.join(' + ')})`;
}

/** Bytes per tenant of the fleet template, the payload check, and the assumptions with their sources. */
function printFleetNotes(rows: readonly FleetBenchRow[]): void {
  const measured = rows.filter((r) => r.fleetRun.measurement);
  if (measured.length >= 2) {
    const first = measured[0];
    const last = measured[measured.length - 1];
    const bytes = (row: FleetBenchRow) => row.fleetRun.measurement!.largestTemplate.bytes;
    const perTenant = (bytes(last) - bytes(first)) / (last.tenants - first.tenants);
    console.log(`fleet template growth from ${thousands(first.tenants)} to ${thousands(last.tenants)} tenants: ${perTenant} B per tenant`);
  }
  const item = largestWorkItemBytes();
  console.log(`largest tenant work item the record limits allow (200 parameters, 255-character keys, 4,096-character values): ${thousands(item)} B `
    + `of ${thousands(QUOTAS.payloadBytes.value)} B child execution input${item > QUOTAS.payloadBytes.value ? ' OVER (such a tenant cannot be a Distributed Map item)' : ''}`);
  console.log(`largest concurrency under every fleet quota: ${thousands(maxSafeConcurrency())}; in Regions outside us-east-1, us-west-2 and eu-west-1: `
    + `${thousands(maxSafeConcurrency({ quotas: { startExecutionRefill: QUOTAS.startExecutionRefillOtherRegions, stateTransitionRefill: QUOTAS.stateTransitionRefillOtherRegions } }))}`);
  console.log('fleet model assumptions and sources:');
  for (const line of assumptionLines()) console.log(`  - ${line}`);
}

function rate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(2) : thousands(Math.round(perSecond));
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
}
