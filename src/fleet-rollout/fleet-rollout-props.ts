import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FleetRing } from './fleet-ring';
import { ITenantRegistry } from './tenant-registry';
import { DeploymentContract } from '../shared/deployment-contract';

/** Properties of a {@link FleetRollout}. */
export interface FleetRolloutProps {
  /** The contract whose tenant roles the rollout assumes and whose stores hold the releases. */
  readonly contract: DeploymentContract;
  /** The tenants. Must be in this stack's account. */
  readonly registry: ITenantRegistry;
  /**
   * The application's name: silo tenants get the stack `<stackNamePrefix><applicationName>`,
   * pool tenants `<stackNamePrefix><applicationName>-<tenantId>`. Letters, digits and `-`.
   */
  readonly applicationName: string;
  /**
   * The rings, in order; the last one must be `FleetRing.rest()`.
   * @default [FleetRing.rest()]
   */
  readonly rings?: FleetRing[];
  /**
   * Tenants deployed at the same time, per ring (the Distributed Map's `MaxConcurrency`, 1 to 10,000).
   * @default 5000
   */
  readonly maxConcurrency?: number;
  /**
   * Accounts whose action roles the engine may assume, when the contract has no
   * organization. With an organization, every member account's action role.
   * @default - any account's action role of this contract (a warning says so)
   */
  readonly tenantAccounts?: string[];
  /**
   * Deploy the last finished release to new and re-activated tenants, on their own.
   * @default true
   */
  readonly onboarding?: boolean;
  /**
   * How long onboarding waits for a new tenant's roles to answer (they may
   * arrive after the record, e.g. from StackSet auto-deployment).
   * @default Duration.hours(24)
   */
  readonly onboardingRoleWaitWindow?: Duration;
  /**
   * How long a rollout waits for a tenant's roles before that tenant fails.
   * @default Duration.minutes(10)
   */
  readonly rolloutRoleWaitWindow?: Duration;
  /**
   * The topic approval requests go to (rings with `approval: true`).
   * @default - a new encrypted topic when a ring asks for approval
   */
  readonly approvalTopic?: sns.ITopic;
  /**
   * What happens to the work bucket, its logs and the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Empty the work bucket when it is removed (needs `removalPolicy: DESTROY`).
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
}
