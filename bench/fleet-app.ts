/**
 * The fleet expressed with this library: a tooling stack with a TenantRegistry
 * and a FleetRollout (rings canary, 1%, 10%, rest). It takes no tenant count:
 * tenants are records in the registry's table at run time, not constructs, so
 * the same app serves 10 tenants and 50,000. The benchmark synthesizes it once
 * per row anyway, to show that bytes and synth time do not move.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ORGANIZATION_ID, TOOLING } from './targets';
import { FleetRing } from '../src/fleet-rollout/fleet-ring';
import { FleetRollout } from '../src/fleet-rollout/fleet-rollout';
import { TenantRegistry } from '../src/fleet-rollout/tenant-registry';
import { DeploymentContract } from '../src/shared/deployment-contract';

/** The application every tenant runs. */
export const FLEET_APPLICATION = 'app';

/** Synthesizes the fleet's tooling stack into `outdir`. Deliberately no tenant count parameter. */
export function synthFleet(outdir: string): cxapi.CloudAssembly {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Fleet', { env: TOOLING });
  const contract = new DeploymentContract({ toolingAccount: TOOLING.account, organizationId: ORGANIZATION_ID });
  const registry = new TenantRegistry(stack, 'Registry');
  new FleetRollout(stack, 'Fleet', {
    contract,
    registry,
    applicationName: FLEET_APPLICATION,
    rings: [
      FleetRing.named('canary'),
      FleetRing.percent(1),
      FleetRing.percent(10),
      FleetRing.rest(),
    ],
  });
  return app.synth();
}
