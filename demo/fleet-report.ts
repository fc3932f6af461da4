/**
 * The demo's fleet section: what each tooling region's FleetRollout synthesized
 * (state machines, template bytes), how the demo tenants are registered, the
 * ring plan of 5,000 tenants by the pure ring model next to the same 5,000
 * through CrossAccountPipeline's plan, and the commands an operator runs.
 */
import * as fs from 'fs';
import { CfnElement, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { DEMO, DemoFleet, DemoTenant } from './vendor-app';
import { DeploymentContract } from '../src';
import { DEFAULT_LIMITS, planRollout, PlanTarget } from '../src/cross-account-pipeline/rollout-plan';
import { DEFAULT_MAX_CONCURRENCY, stateMachineNames } from '../src/fleet-rollout/fleet-rollout';
import { ringSpecOf } from '../src/fleet-rollout/private/rollout-problems';
import { assignRings, fleetRounds, percentOf, RingSpec, RingTenant } from '../src/fleet-rollout/ring-plan';

/** Tenants of the ring plan printed next to the pipeline's. */
export const PLANNED_TENANTS = 5000;

export function printFleet(assembly: cxapi.CloudAssembly, fleets: DemoFleet[], contract: DeploymentContract): void {
  for (const fleet of fleets) printSynthesized(assembly, fleet);

  const specs = fleets[0].rollout.rings.map(ringSpecOf);
  console.log(`  rings: ${specs.map(describeRing).join(' -> ')}`);
  console.log('  tenants to register (one item each in the registry of their region; a new tenant gets the last release by itself):');
  for (const fleet of fleets) {
    for (const tenant of fleet.tenants) console.log(`    ${registerCommand(tenant)}`);
  }

  printRingPlan(specs);

  const version = '<version>';
  console.log('\n  start a rollout (the release template must be in the artifact store of the fleet\'s region):');
  for (const fleet of fleets) {
    const stack = Stack.of(fleet.rollout);
    const arn = `arn:aws:states:${stack.region}:${stack.account}:stateMachine:${stateMachineNames(contract, DEMO.applicationName).rollout}`;
    const input = JSON.stringify({ release: { version, templateKey: `fleet-releases/${version}/template.json` } });
    console.log(`    aws stepfunctions start-execution --region ${stack.region} --state-machine-arn ${arn} --input '${input}'`);
  }
  console.log(`  tenants not on the latest release (${version}: the version of the last rollout):`);
  for (const fleet of fleets) {
    console.log(`    ${notOnReleaseCommand(Stack.of(fleet.registry).region, version)}`);
  }
}

/** The state machines of one region's fleet and what its registry and rollout add to the tooling template. */
function printSynthesized(assembly: cxapi.CloudAssembly, fleet: DemoFleet): void {
  const stack = Stack.of(fleet.rollout);
  const artifact = assembly.getStackByName(stack.stackName);
  const resources: Record<string, any> = artifact.template.Resources ?? {};
  const logicalIdsUnder = (scope: { node: { findAll(): any[] } }) => scope.node.findAll()
    .filter((c): c is CfnElement => c instanceof CfnElement)
    .map((c) => stack.getLogicalId(c))
    .filter((id) => resources[id] !== undefined);
  const fleetIds = [...logicalIdsUnder(fleet.registry), ...logicalIdsUnder(fleet.rollout)];
  const fleetBytes = fleetIds.reduce((sum, id) => sum + bytes(JSON.stringify({ [id]: resources[id] })), 0);
  const templateBytes = fs.statSync(artifact.templateFullPath).size;

  console.log(`  ${stack.stackName} (${fleet.tenants.length} demo tenant(s): ${fleet.tenants.map((t) => t.name).join(', ') || 'none'})`);
  const machines = [fleet.rollout.stateMachine, fleet.rollout.onboardingStateMachine].filter((m) => m !== undefined);
  for (const machine of machines) {
    const id = stack.getLogicalId(machine.node.defaultChild as CfnElement);
    const definition = resources[id].Properties.DefinitionString;
    const name = resources[id].Properties.StateMachineName;
    console.log(`    state machine ${pad(name, 30)} ${resources[id].Properties.StateMachineType ?? 'STANDARD'}, definition ${thousands(bytes(JSON.stringify(definition)))} bytes as synthesized`);
  }
  console.log(`    registry table ${DEMO.registryTableName}, ${fleetIds.length} fleet resources, ${thousands(fleetBytes)} bytes of ${thousands(templateBytes)} template bytes`
    + ` (${Math.round((fleetBytes / templateBytes) * 100)}%); no tenant is in the template, so it does not grow with them`);
}

/**
 * The ring plan of PLANNED_TENANTS synthetic tenants, one of which asks for the
 * canary ring, by the planner's own model, and the same tenants as one
 * CrossAccountPipeline stage with the default limits.
 */
function printRingPlan(specs: RingSpec[]): void {
  const tenants: RingTenant[] = Array.from({ length: PLANNED_TENANTS }, (_, i) => ({
    tenantId: `tenant-${String(i).padStart(5, '0')}`,
    ring: i === 0 ? 'canary' : undefined,
  }));
  const assignment = assignRings(tenants, specs, 'v1');
  const sizes = assignment.rings.map((ring) => ring.tenants.length);
  const rounds = fleetRounds(sizes, DEFAULT_MAX_CONCURRENCY);

  console.log(`\n  ring plan of ${thousands(PLANNED_TENANTS)} tenants (assignRings, one tenant in 'canary'; fleetRounds at maxConcurrency ${thousands(DEFAULT_MAX_CONCURRENCY)}, the default):`);
  console.log(`    ${pad('ring', 12)} ${padLeft('tenants', 7)}  ${padLeft('rounds', 6)}  rule`);
  assignment.rings.forEach((ring, i) => {
    console.log(`    ${pad(ring.name, 12)} ${padLeft(thousands(sizes[i]), 7)}  ${padLeft(String(fleetRounds([sizes[i]], DEFAULT_MAX_CONCURRENCY)), 6)}  ${ruleOf(specs[i], tenants.length)}`);
  });
  console.log(`    ${pad('total', 12)} ${padLeft(thousands(sizes.reduce((a, b) => a + b, 0)), 7)}  ${padLeft(String(rounds), 6)}  sequential rounds to the last tenant`);

  const targets: PlanTarget[] = tenants.map((tenant, i) => ({
    id: tenant.tenantId,
    account: String(200_000_000_000 + i),
    region: 'us-east-1',
  }));
  const plan = planRollout([{ name: 'Prod', targets }], DEFAULT_LIMITS);
  const waves = plan.pipelines.flatMap((p) => p.stages).filter((s) => s.kind === 'wave').length;
  console.log(`  the same ${thousands(PLANNED_TENANTS)} through CrossAccountPipeline (planRollout, DEFAULT_LIMITS: waves of ${DEFAULT_LIMITS.waveSize},`
    + ` ${thousands(DEFAULT_LIMITS.maxActionsPerPipeline)} actions and ${DEFAULT_LIMITS.stagesPerPipeline} stages per pipeline):`);
  console.log(`    ${waves} rounds (one wave stage each) in ${plan.pipelines.length} chained pipelines, ${thousands(plan.targetCount)} deploy actions in the templates`);
  console.log(`    fleet: ${rounds} rounds, tenants as registry records (the template above is the same for 3 or ${thousands(PLANNED_TENANTS)})`);
}

function ruleOf(spec: RingSpec, total: number): string {
  const s = spec.selector;
  switch (s.kind) {
    case 'named': return `records with ring = '${s.ringName}'`;
    case 'count': return `the next ${s.count}`;
    case 'percent': return `ceil(${s.percent}% of ${thousands(total)}) = percentOf(${s.percent}, ${total}) = ${thousands(percentOf(s.percent, total))}`;
    default: return 'everything left';
  }
}

function describeRing(spec: RingSpec): string {
  const extras = [
    spec.approval ? 'approval' : undefined,
    spec.toleratedFailurePercentage !== undefined ? `tolerates ${spec.toleratedFailurePercentage}% failed` : undefined,
    spec.toleratedFailureCount !== undefined ? `tolerates ${spec.toleratedFailureCount} failed` : undefined,
  ].filter((e) => e !== undefined);
  return extras.length > 0 ? `${spec.name} (${extras.join(', ')})` : spec.name;
}

function registerCommand(tenant: DemoTenant): string {
  const item: Record<string, unknown> = {
    tenantId: { S: tenant.name },
    account: { S: tenant.account },
    region: { S: tenant.region },
    status: { S: 'active' },
    parameters: { M: { Tenant: { S: tenant.name } } },
    ...(tenant.ring ? { ring: { S: tenant.ring } } : {}),
  };
  return `aws dynamodb put-item --region ${tenant.region} --table-name ${DEMO.registryTableName} --item '${JSON.stringify(item)}'`;
}

/** The command of the issue (the demo names every registry table, one per region, so the commands can name it too): active tenants whose last release is not `version`. */
export function notOnReleaseCommand(region: string, version: string): string {
  return `aws dynamodb scan --region ${region} --table-name ${DEMO.registryTableName}`
    + ' --filter-expression "#s = :active AND (attribute_not_exists(lastRelease) OR lastRelease <> :latest)"'
    + ' --expression-attribute-names \'{"#s":"status"}\''
    + ` --expression-attribute-values '{":active":{"S":"active"},":latest":{"S":"${version}"}}'`
    + ' --projection-expression tenantId,lastRelease,lastResult';
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function thousands(n: number): string {
  return n.toLocaleString('en-US');
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function padLeft(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}
