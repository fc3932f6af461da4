import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { checkAccountList, Problem } from '../../shared/validation';
import { FleetRing, FleetRingKind } from '../fleet-ring';
import { FleetRolloutProps } from '../fleet-rollout-props';
import { RingSelector, RingSpec, ringSpecProblems } from '../ring-plan';
import { registryAccount } from '../tenant-registry';

/** Step Functions state machine names: 1 to 80 characters. */
const STATE_MACHINE_NAME_LIMIT = 80;
/** `cdkx-<qualifier>-<applicationName>-onboarding`, the longer of the two names. */
const LONGEST_SUFFIX = '-onboarding';
const APPLICATION_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** The pure ring spec of a ring (what the planner and the validation read). */
export function ringSpecOf(ring: FleetRing): RingSpec {
  return {
    name: ring.name,
    selector: selectorOf(ring),
    toleratedFailureCount: ring.options.failureTolerance?.failureCount,
    toleratedFailurePercentage: ring.options.failureTolerance?.failurePercentage,
    bakeSeconds: ring.options.bakeTime?.toSeconds() ?? 0,
    approval: ring.options.approval ?? false,
  };
}

function selectorOf(ring: FleetRing): RingSelector {
  switch (ring.kind) {
    case FleetRingKind.NAMED: return { kind: 'named', ringName: ring.ringName! };
    case FleetRingKind.COUNT: return { kind: 'count', count: ring.value! };
    case FleetRingKind.PERCENT: return { kind: 'percent', percent: ring.value! };
    default: return { kind: 'rest' };
  }
}

/** Every bad input of a FleetRollout, each naming the property, the value and the fix. */
export function rolloutProblems(scope: IConstruct, props: FleetRolloutProps, rings: FleetRing[], maxConcurrency: number): Problem[] {
  const problems: Problem[] = [...ringSpecProblems('rings', rings.map(ringSpecOf), maxConcurrency)];
  const application = props.applicationName;
  if (!Token.isUnresolved(application)) {
    const longest = `cdkx-${props.contract.qualifier}-${application}${LONGEST_SUFFIX}`;
    if (!APPLICATION_NAME.test(application)) {
      problems.push({
        property: 'applicationName',
        value: application,
        reason: 'stack and state machine names take letters, digits and "-", starting with a letter',
        fix: 'use a name like "app" or "shop-api"',
      });
    } else if (longest.length > STATE_MACHINE_NAME_LIMIT) {
      problems.push({
        property: 'applicationName',
        value: application,
        reason: `the onboarding state machine would be named "${longest}" (${longest.length} characters, Step Functions allows ${STATE_MACHINE_NAME_LIMIT})`,
        fix: `shorten it to at most ${STATE_MACHINE_NAME_LIMIT - longest.length + application.length} characters`,
      });
    }
  }
  const here = Stack.of(scope).account;
  const there = registryAccount(props.registry);
  if (there !== undefined && !Token.isUnresolved(here) && there !== here) {
    problems.push({
      property: 'registry',
      value: props.registry.node.path,
      reason: `the registry is in account ${there} and the rollout in ${here}; the engine writes each result to it`,
      fix: 'create the TenantRegistry in the tooling account stack that holds the FleetRollout',
    });
  }
  if (!Token.isUnresolved(here) && !Token.isUnresolved(props.contract.toolingAccount) && here !== props.contract.toolingAccount) {
    problems.push({
      property: 'contract.toolingAccount',
      value: props.contract.toolingAccount,
      reason: `the rollout is in account ${here}, but tenant roles trust only the tooling account's pipeline role path`,
      fix: 'put the FleetRollout in a stack of the contract\'s tooling account',
    });
  }
  if ((props.onboarding ?? true) && props.registry.tableStreamArn === undefined) {
    problems.push({
      property: 'registry',
      value: props.registry.node.path,
      reason: 'the registry has no table stream, so new tenants cannot be onboarded',
      fix: 'import it with tableStreamArn (TenantRegistry.fromTableAttributes), or set onboarding: false and start rollouts for new tenants yourself',
    });
  }
  problems.push(...checkAccountList('tenantAccounts', props.tenantAccounts ?? []));
  return problems;
}
