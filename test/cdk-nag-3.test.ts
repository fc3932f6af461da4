/**
 * cdk-nag 3 over every integ app: zero unacknowledged findings on the
 * library's resources. cdk-nag 3 runs as an aws-cdk-lib validation plugin
 * (`Validations.of(app).addPlugins`) and reads acknowledgments
 * (`aws:cdk:acknowledged-rules`); it needs aws-cdk-lib >= 2.257, above this
 * library's floor, so this runs where scripts/check-newest-cdk.sh installs it
 * (on the newest aws-cdk-lib, as the module named by CDKX_CDK_NAG3_MODULE,
 * next to cdk-nag 2) and is skipped elsewhere. cdk-nag 2 runs in
 * test/integ-apps.test.ts on every line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { APP_VARIANTS, INTEG_APPS } from './support/integ-apps';

const NAG3_MODULE = process.env.CDKX_CDK_NAG3_MODULE;

/**
 * Loads a module by a name known only at run time: cdk-nag 3 under its alias,
 * and aws-cdk-lib's `Validations`, which the floor's typings do not have.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (id: string): any => require(id);

/**
 * Resources the integ apps create themselves as test fixtures (not the
 * library's), whose suppressions they write with cdk-nag 2's NagSuppressions.
 */
const FIXTURES = [
  'cdkx-integ-tenant-deployment-role/Boundary/Resource',
  'cdkx-integ-blue-green-efs-deploy/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role/Resource',
];

interface Violation {
  readonly plugin: string;
  readonly rule: string;
  readonly path: string;
}

/**
 * Synthesizes `app` with cdk-nag 3's AWS Solutions pack as a validation
 * plugin, as a user of cdk-nag 3 does, and returns what the validation report
 * lists (cdk-nag's findings and any other validation error).
 */
function synthWithNag3(app: App): Violation[] {
  const { AwsSolutionsChecks } = load(NAG3_MODULE!);
  const { Validations } = load('aws-cdk-lib') as { Validations: { of(scope: IConstruct): { addPlugins(...plugins: unknown[]): void } } };
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let failure: unknown;
  try {
    app.synth();
  } catch (e) {
    failure = e;
  }
  const reportFile = path.join(app.outdir, 'validation-report.json');
  const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : { pluginReports: [] };
  const violations: Violation[] = report.pluginReports.flatMap((r: any) => r.violations.flatMap((v: any) =>
    v.violatingConstructs.map((c: any) => ({ plugin: r.pluginName, rule: v.ruleName, path: c.constructPath }))));
  // A synth that failed without a report failed for another reason: show it.
  if (failure && violations.length === 0) throw failure;
  return violations;
}

const describeWithNag3 = NAG3_MODULE ? describe : describe.skip;

describeWithNag3(`cdk-nag 3 (${NAG3_MODULE ?? 'not installed: run scripts/check-newest-cdk.sh'})`, () => {
  const outdirs: string[] = [];
  const outdir = () => {
    outdirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'cdkx-nag3-')));
    return outdirs[outdirs.length - 1];
  };
  afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  test('is cdk-nag 3, on an aws-cdk-lib with validation plugins', () => {
    expect(load(`${NAG3_MODULE}/package.json`).version).toMatch(/^3\./);
    expect(typeof load('aws-cdk-lib').Validations?.of).toBe('function');
  });

  test('reports an unacknowledged finding (so a clean run below means clean)', () => {
    const app = new App({ outdir: outdir() });
    const stack = new Stack(app, 'Probe', { env: { account: '111111111111', region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::probe/*'] }));
    expect(synthWithNag3(app)).toEqual([
      { plugin: 'AwsSolutions', rule: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::probe/*]', path: 'Probe/Role/DefaultPolicy/Resource' },
    ]);
  });

  describe.each(INTEG_APPS)('integ app %s', (_name, build) => {
    test.each(APP_VARIANTS)('in an app with %s: no unacknowledged finding on library resources', (_variant, newApp) => {
      const { app, stacks } = build(newApp({ outdir: outdir() }));
      const underTest = (p: string) => stacks.some((stack) => p.startsWith(`${stack.node.path}/`));
      const findings = synthWithNag3(app)
        .filter((v) => underTest(v.path) && !FIXTURES.includes(v.path))
        .map((v) => `${v.path}: ${v.rule} (${v.plugin})`);
      expect(findings).toEqual([]);
    });
  });
});
