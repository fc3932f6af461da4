import { App, Aspects, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Accounts the integ apps use. Snapshots are synthesized with the placeholders;
 * to deploy for real, export CDKX_INTEG_TOOLING_ACCOUNT (and CDKX_INTEG_TENANT_ACCOUNT for a
 * second account) before running `npx integ-runner` (see README).
 */
export const INTEG_TOOLING_ACCOUNT = process.env.CDKX_INTEG_TOOLING_ACCOUNT ?? '111111111111';
export const INTEG_TENANT_ACCOUNT = process.env.CDKX_INTEG_TENANT_ACCOUNT ?? INTEG_TOOLING_ACCOUNT;

/**
 * Runs cdk-nag's AWS Solutions rules over the stacks under test (not over the
 * integ-tests assertion stack, whose Lambda provider is test tooling, not ours).
 * Findings become error annotations that fail `cdk synth` and the nag test.
 */
export function checkWithNag(...stacks: Stack[]): void {
  for (const stack of stacks) {
    Aspects.of(stack).add(new AwsSolutionsChecks());
  }
}

/** A fresh app for an integ test, without version reporting so snapshots stay stable. */
export function newIntegApp(): App {
  return new App({ analyticsReporting: false });
}
