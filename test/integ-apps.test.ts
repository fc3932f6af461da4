import { App, Stack } from 'aws-cdk-lib';
import { buildArtifactStoreIntegApp } from '../integ/integ.artifact-store';
import { buildTenantDeploymentRoleIntegApp } from '../integ/integ.tenant-deployment-role';

/**
 * cdk-nag's AWS Solutions rules run inside every integ app (see
 * integ/integ-environment.ts). A finding the constructs did not suppress
 * becomes an error annotation; there must be none.
 */
const integApps: Array<[string, () => { app: App; stacks: Stack[] }]> = [
  ['artifact-store', () => buildArtifactStoreIntegApp()],
  ['tenant-deployment-role', () => buildTenantDeploymentRoleIntegApp()],
];

describe.each(integApps)('integ app %s', (_name, build) => {
  const { app, stacks } = build();
  const assembly = app.synth();
  const artifacts = stacks.map((stack) => assembly.getStackArtifact(stack.artifactId));

  test('cdk-nag AwsSolutions: no unsuppressed errors or warnings', () => {
    const findings = artifacts.flatMap((artifact) => artifact.messages)
      .filter((m) => String(m.entry.data).startsWith('AwsSolutions-'))
      .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
    expect(findings).toEqual([]);
  });

  test('cdk-nag ran: the stacks carry suppressions, each with a reason', () => {
    // Guards against the aspect silently not running: our constructs always add
    // at least one suppression, and each has a reason.
    const suppressions = artifacts
      .flatMap((artifact) => Object.values(artifact.template.Resources as Record<string, any>))
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(suppressions.length).toBeGreaterThan(0);
    for (const s of suppressions) expect(s.reason.length).toBeGreaterThan(20);
  });
});
