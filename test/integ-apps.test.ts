import { Aspects, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { embeddedParameters } from './support/embedded-parameters';
import { APP_VARIANTS, INTEG_APPS } from './support/integ-apps';

/**
 * cdk-nag 2's AWS Solutions rules run inside every integ app (see
 * integ/integ-environment.ts). A finding the constructs did not suppress
 * becomes an error annotation; there must be none. Each app is synthesized
 * twice: as the integ snapshots are (no feature flags) and as in an app from
 * today's `cdk init`, whose recommended flags change what constructs render
 * (on newer aws-cdk-lib, partitions as literals; template validation). The
 * cdk-nag 3 run is test/cdk-nag-3.test.ts.
 */
describe.each(INTEG_APPS)('integ app %s', (_name, build) => {
  describe.each(APP_VARIANTS)('in an app with %s', (_variant, newApp) => {
    let stacks: Stack[];
    let assembly: cxapi.CloudAssembly;
    let artifacts: cxapi.CloudFormationStackArtifact[];
    beforeAll(() => {
      // Synth fails here (and every test below with it) when a finding is an
      // error in the validation report, or a template breaks a CloudFormation rule.
      const built = build(newApp());
      stacks = built.stacks;
      assembly = built.app.synth();
      artifacts = stacks.map((stack) => assembly.getStackArtifact(stack.artifactId));
    });

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

    test('every suppression and acknowledgment carries a reason', () => {
      const suppressions = artifacts
        .flatMap((artifact) => Object.values(artifact.template.Resources as Record<string, any>))
        .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
      for (const s of suppressions) expect(s.reason.length).toBeGreaterThan(20);
      const acknowledgments = stacks.flatMap((stack) => descendants(stack))
        .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
        .flatMap((m) => Object.values(m.data as Record<string, string>));
      for (const reason of acknowledgments) expect(reason.length).toBeGreaterThan(20);
    });

    test('no template holds a ${...} outside Fn::Sub (CloudFormation rule E1029)', () => {
      const found = assembly.stacksRecursively.flatMap((artifact) => embeddedParameters(artifact.template)
        .map(({ path, parameters }) => `${artifact.templateFile}: ${path}: ${parameters.join(' ')}`));
      expect(found).toEqual([]);
    });
  });
});

function descendants(scope: IConstruct): IConstruct[] {
  return [scope, ...scope.node.children.flatMap(descendants)];
}
