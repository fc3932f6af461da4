import { App, Aspects, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildArtifactStoreIntegApp } from '../integ/integ.artifact-store';
import { buildBlueGreenEfsDeployIntegApp } from '../integ/integ.blue-green-efs-deploy';
import { buildCrossAccountPipelineIntegApp } from '../integ/integ.cross-account-pipeline';
import { buildFargateSpotRunnerIntegApp } from '../integ/integ.fargate-spot-runner';
import { buildTenantDeploymentRoleIntegApp } from '../integ/integ.tenant-deployment-role';
import { buildTenantDeploymentRoleStackSetIntegApp } from '../integ/integ.tenant-deployment-role-stack-set';

/**
 * cdk-nag's AWS Solutions rules run inside every integ app (see
 * integ/integ-environment.ts). A finding the constructs did not suppress
 * becomes an error annotation; there must be none.
 */
const integApps: Array<[string, () => { app: App; stacks: Stack[] }]> = [
  ['artifact-store', () => buildArtifactStoreIntegApp()],
  ['blue-green-efs-deploy', () => buildBlueGreenEfsDeployIntegApp()],
  ['cross-account-pipeline', () => buildCrossAccountPipelineIntegApp()],
  ['fargate-spot-runner', () => buildFargateSpotRunnerIntegApp()],
  ['tenant-deployment-role', () => buildTenantDeploymentRoleIntegApp()],
  ['tenant-deployment-role-stack-set', () => buildTenantDeploymentRoleStackSetIntegApp()],
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

  test('cdk-nag is attached to every stack under test', () => {
    // Without it the test above would pass vacuously.
    for (const stack of stacks) {
      expect(Aspects.of(stack).all.some((aspect) => aspect instanceof AwsSolutionsChecks)).toBe(true);
    }
  });

  test('every suppression carries a reason', () => {
    const suppressions = artifacts
      .flatMap((artifact) => Object.values(artifact.template.Resources as Record<string, any>))
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    for (const s of suppressions) expect(s.reason.length).toBeGreaterThan(20);
  });
});
