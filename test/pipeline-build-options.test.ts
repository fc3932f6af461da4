/**
 * CrossAccountPipeline buildOptions for real builds: privileged mode (Docker),
 * a buildspec file from the source, install commands, the variables
 * (secrets, parameters, plain) and their checks, and the projects exposed as
 * `buildProjects` / `deployProjects`.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineBuildOptions, PipelineSource,
} from '../src';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const DEV = '222222222222';
const PROD = '333333333333';
const US = 'us-east-1';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

function build(buildOptions: PipelineBuildOptions | undefined, overrides: Partial<CrossAccountPipelineProps> = {}) {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions,
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }] }],
    ...overrides,
  });
  return { app, stack, pipeline };
}

/** The build project's resource. */
function buildProject(stack: Stack): any {
  const projects = Template.fromStack(stack).findResources('AWS::CodeBuild::Project');
  const [id] = Object.keys(projects).filter((key) => key.startsWith('ReleaseBuild'));
  return projects[id].Properties;
}

const nagFindings = (app: App, stack: Stack) => {
  Aspects.of(stack).add(new AwsSolutionsChecks());
  return app.synth().getStackByName(stack.stackName).messages
    .filter((m) => String(m.entry.data).startsWith('AwsSolutions-'))
    .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
};

describe('privileged mode', () => {
  test('off by default, and cdk-nag has nothing to say about it', () => {
    const { app, stack } = build({ commands: ['npm ci'] });
    expect(buildProject(stack).Environment.PrivilegedMode).toBe(false);
    expect(nagFindings(app, stack).filter((f) => f.includes('CB3'))).toEqual([]);
  });

  test('on when asked, with AwsSolutions-CB3 suppressed on the build project with its reason', () => {
    const { app, stack } = build({ commands: ['docker build .'], privileged: true });
    const project = buildProject(stack);
    expect(project.Environment.PrivilegedMode).toBe(true);
    const resources = Template.fromStack(stack).findResources('AWS::CodeBuild::Project');
    const [meta] = Object.entries<any>(resources).filter(([id]) => id.startsWith('ReleaseBuild')).map(([, r]) => r.Metadata);
    expect(meta.cdk_nag.rules_to_suppress).toEqual([expect.objectContaining({ id: 'AwsSolutions-CB3', reason: expect.stringMatching(/buildOptions\.privileged/) })]);
    expect(nagFindings(app, stack)).toEqual([]);
  });

  test('the suppression is only on the project that asked: without privileged, no CB3 suppression is written', () => {
    const { stack } = build({ commands: ['npm ci'] });
    const resources = Template.fromStack(stack).findResources('AWS::CodeBuild::Project');
    const metadata = Object.entries<any>(resources).filter(([id]) => id.startsWith('ReleaseBuild')).map(([, r]) => JSON.stringify(r.Metadata ?? {}));
    expect(metadata.join()).not.toContain('AwsSolutions-CB3');
  });
});

describe('buildspec', () => {
  test('installCommands run in the install phase, before the build commands', () => {
    const { stack } = build({ installCommands: ['npm i -g pnpm'], commands: ['pnpm build'] });
    const spec = JSON.parse(buildProject(stack).Source.BuildSpec);
    expect(spec.phases).toEqual({ install: { commands: ['npm i -g pnpm'] }, build: { commands: ['pnpm build'] } });
  });

  test('buildSpecFile: CodeBuild reads the file of the source instead of an inline buildspec', () => {
    const { stack } = build({ buildSpecFile: 'ci/buildspec.yml' });
    expect(buildProject(stack).Source).toEqual({ Type: 'CODEPIPELINE', BuildSpec: 'ci/buildspec.yml' });
  });

  test('buildSpecFile outside the source is refused', () => {
    expect(synthErrorOf(() => build({ buildSpecFile: '/etc/buildspec.yml' }))).toBe([
      '[Tooling/Release] invalid configuration:',
      '  - buildOptions.buildSpecFile = "/etc/buildspec.yml": CodeBuild reads the buildspec file from the source, by a path relative to its root. '
        + "Fix: give a relative path inside the source, e.g. 'buildspec.yml' or 'ci/buildspec.yml'",
    ].join('\n'));
    expect(synthErrorOf(() => build({ buildSpecFile: '../buildspec.yml' }))).toMatch(/buildOptions\.buildSpecFile = "\.\.\/buildspec\.yml": CodeBuild reads/);
    expect(synthErrorOf(() => build({ buildSpecFile: ' ' }))).toMatch(/buildOptions\.buildSpecFile = " ": CodeBuild reads/);
  });

  test.each<[keyof PipelineBuildOptions, PipelineBuildOptions, string]>([
    ['commands', { commands: ['npm ci'] }, '["npm ci"]'],
    ['installCommands', { installCommands: ['npm i -g pnpm'] }, '["npm i -g pnpm"]'],
    ['buildSpec', { buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2' }) }, '"(a BuildSpec)"'],
    ['outputDirectory', { outputDirectory: 'dist' }, '"dist"'],
    ['testReportFiles', { testReportFiles: ['reports/*.xml'] }, '["reports/*.xml"]'],
  ])('buildSpecFile together with %s is refused, with where the file takes it', (option, extra, shown) => {
    const message = synthErrorOf(() => build({ buildSpecFile: 'buildspec.yml', ...extra }));
    expect(message).toContain(`buildOptions.${option} = ${shown}: buildSpecFile 'buildspec.yml' replaces the buildspec the construct writes, so ${option} would be ignored. Fix: `);
    expect(message).toContain(`and drop ${option}`);
    expect(message.split('\n')).toHaveLength(2);
  });
});

describe('variables', () => {
  test('secrets, parameters and plain values become the build project\'s variables, each of its type', () => {
    const { stack } = build({
      commands: ['npm ci'],
      secrets: { NPM_TOKEN: 'npm-token' },
      parameters: { SONAR_URL: '/ci/sonar-url' },
      environment: { STAGE: 'ci' },
    });
    const variables = buildProject(stack).Environment.EnvironmentVariables;
    expect(variables).toEqual(expect.arrayContaining([
      { Name: 'STAGE', Type: 'PLAINTEXT', Value: 'ci' },
      { Name: 'NPM_TOKEN', Type: 'SECRETS_MANAGER', Value: 'npm-token' },
      { Name: 'SONAR_URL', Type: 'PARAMETER_STORE', Value: '/ci/sonar-url' },
    ]));
    // Besides the package variables (ARTIFACT_BUCKET, ARTIFACT_PREFIX, ARTIFACT_KEY_ARN).
    expect(variables.map((v: any) => v.Name).sort()).toEqual(['ARTIFACT_BUCKET', 'ARTIFACT_KEY_ARN', 'ARTIFACT_PREFIX', 'NPM_TOKEN', 'SONAR_URL', 'STAGE']);
  });

  test('a name that is no shell variable is refused', () => {
    expect(synthErrorOf(() => build({ commands: ['x'], secrets: { 'NPM-TOKEN': 'npm-token' } }))).toBe([
      '[Tooling/Release] invalid configuration:',
      '  - buildOptions.secrets = "NPM-TOKEN": not an environment variable name the build commands can read '
        + "(letters, digits and _, not starting with a digit). Fix: rename it, e.g. 'NPM_TOKEN'",
    ].join('\n'));
  });

  test('a name set by two sources is refused', () => {
    expect(synthErrorOf(() => build({ commands: ['x'], environment: { TOKEN: 'plain' }, secrets: { TOKEN: 'token' } }))).toBe([
      '[Tooling/Release] invalid configuration:',
      '  - buildOptions.secrets = "TOKEN": also set by buildOptions.environment; the project would keep only one of them. Fix: set each variable in one place',
    ].join('\n'));
  });

  test('a CODEBUILD_ name is refused (CodeBuild sets them)', () => {
    expect(synthErrorOf(() => build({ commands: ['x'], parameters: { CODEBUILD_SRC_DIR: '/x' } }))).toBe([
      '[Tooling/Release] invalid configuration:',
      '  - buildOptions.parameters = "CODEBUILD_SRC_DIR": CodeBuild sets CODEBUILD_* itself, and would overwrite it or be overwritten. Fix: choose another name',
    ].join('\n'));
  });
});

describe('buildProjects and deployProjects', () => {
  test('buildProjects: the build, then the verification steps in order', () => {
    const { pipeline } = build({ commands: ['npm ci'] }, {
      stages: [
        { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }], verify: [{ name: 'Smoke', commands: ['./smoke.sh'] }] },
        { name: 'Prod', targets: [{ id: 'prod', account: PROD, region: US }], verify: [{ name: 'E2E', commands: ['./e2e.sh'] }, { name: 'Scan', commands: ['./scan.sh'] }] },
      ],
    });
    expect(pipeline.buildProjects.map((p) => p.node.path)).toEqual([
      'Tooling/Release/Build', 'Tooling/Release/Verify0Step0', 'Tooling/Release/Verify1Step0', 'Tooling/Release/Verify1Step1',
    ]);
    expect(pipeline.buildProjects[0]).toBe(pipeline.buildProject);
    expect(pipeline.deployProjects).toEqual([]);
  });

  test('a pipeline without build has no build projects', () => {
    const { pipeline } = build(undefined);
    expect(pipeline.buildProjects).toEqual([]);
  });

  test('deployProjects: one per CodeBuild kind and target account, across stages and kinds', () => {
    const shared = DeploymentKind.codeBuild({ commands: ['./deploy.sh'] });
    const { pipeline, stack } = build({ commands: ['npm ci'] }, {
      deploymentKind: shared,
      stages: [
        { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }, { id: 'dev-eu', account: DEV, region: 'eu-west-1' }] },
        { name: 'Prod', targets: [{ id: 'prod', account: PROD, region: US }] },
        { name: 'Other', deploymentKind: DeploymentKind.codeBuild({ commands: ['./other.sh'] }), targets: [{ id: 'other', account: DEV, region: US }] },
      ],
    });
    expect(pipeline.deployProjects.map((p) => p.node.path)).toEqual([
      `Tooling/Release/CodeBuildDeployment/${DEV}/Project`,
      `Tooling/Release/CodeBuildDeployment/${PROD}/Project`,
      `Tooling/Release/CodeBuildDeployment2/${DEV}/Project`,
    ]);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::CodeBuild::Project')).filter((id) => id.includes('CodeBuildDeployment'))).toHaveLength(3);
    // Two CodeBuild kinds each let the pipeline role start their projects, under Sids of their own:
    // CloudFormation's validation (E3510, an error with cdk init's validateAgainstDefaultRules) refuses twins.
    const sids = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement.map((statement: any) => statement.Sid))
      .filter((sid) => sid?.startsWith('RunDeployProjects'));
    expect(sids).toEqual(['RunDeployProjects', 'RunDeployProjects2']);
  });
});
