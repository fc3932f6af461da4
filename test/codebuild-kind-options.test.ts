/**
 * DeploymentKind.codeBuild options for real deployments: privileged mode
 * (Docker), install commands before the target's role is assumed, the kind's
 * variables (secrets, parameters, plain) on every deploy project, and the
 * names the deploy projects keep for themselves.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ArtifactStore, CodeBuildDeploymentProps, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource,
} from '../src';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const DEV = '222222222222';
const PROD = '333333333333';
const US = 'us-east-1';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

function build(kind: Partial<CodeBuildDeploymentProps>, options: { perStage?: boolean } = {}) {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
  const deploymentKind = DeploymentKind.codeBuild({ commands: ['./deploy.sh'], ...kind });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: options.perStage ? undefined : deploymentKind,
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }], deploymentKind: options.perStage ? deploymentKind : undefined },
      { name: 'Prod', targets: [{ id: 'prod', account: PROD, region: US }], deploymentKind: options.perStage ? deploymentKind : undefined },
    ],
  });
  return { app, stack };
}

/** The deploy projects' resources, by logical id. */
function deployProjects(stack: Stack): Array<[string, any]> {
  return Object.entries<any>(Template.fromStack(stack).findResources('AWS::CodeBuild::Project')).filter(([id]) => id.startsWith('ReleaseCodeBuildDeployment'));
}

describe('privileged mode', () => {
  test('off by default on every deploy project', () => {
    const projects = deployProjects(build({}).stack);
    expect(projects).toHaveLength(2);
    for (const [, project] of projects) expect(project.Properties.Environment.PrivilegedMode).toBe(false);
  });

  test('on when asked, on every deploy project, each with AwsSolutions-CB3 suppressed and its reason; no unsuppressed finding', () => {
    const { app, stack } = build({ privileged: true });
    const projects = deployProjects(stack);
    for (const [, project] of projects) {
      expect(project.Properties.Environment.PrivilegedMode).toBe(true);
      expect(project.Metadata.cdk_nag.rules_to_suppress).toEqual([
        expect.objectContaining({ id: 'AwsSolutions-CB3', reason: expect.stringMatching(/DeploymentKind\.codeBuild privileged/) }),
      ]);
    }
    Aspects.of(stack).add(new AwsSolutionsChecks());
    const findings = app.synth().getStackByName('Tooling').messages
      .filter((m) => String(m.entry.data).startsWith('AwsSolutions-')).map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
    expect(findings).toEqual([]);
  });
});

describe('buildspec', () => {
  test('installCommands run in the install phase; the pre_build still assumes the target\'s role before the commands', () => {
    const [[, project]] = deployProjects(build({ installCommands: ['pip install aws-sam-cli'] }).stack);
    const spec = JSON.parse(project.Properties.Source.BuildSpec);
    expect(Object.keys(spec.phases)).toEqual(['install', 'pre_build', 'build']);
    expect(spec.phases.install).toEqual({ commands: ['pip install aws-sam-cli'] });
    expect(spec.phases.pre_build.commands.join('\n')).toContain('aws sts assume-role --role-arn "$TARGET_ROLE_ARN"');
    expect(spec.phases.build).toEqual({ commands: ['./deploy.sh'] });
  });

  test('without installCommands there is no install phase', () => {
    const [[, project]] = deployProjects(build({}).stack);
    expect(Object.keys(JSON.parse(project.Properties.Source.BuildSpec).phases)).toEqual(['pre_build', 'build']);
  });
});

describe('variables', () => {
  test('the kind\'s secrets, parameters and plain values are on every deploy project, each of its type', () => {
    const projects = deployProjects(build({
      secrets: { NPM_TOKEN: 'deploy/npm-token' },
      parameters: { HOSTED_ZONE: '/shop/hosted-zone' },
      environment: { LOG_LEVEL: 'debug' },
    }).stack);
    for (const [, project] of projects) {
      expect(project.Properties.Environment.EnvironmentVariables).toEqual([
        { Name: 'LOG_LEVEL', Type: 'PLAINTEXT', Value: 'debug' },
        { Name: 'NPM_TOKEN', Type: 'SECRETS_MANAGER', Value: 'deploy/npm-token' },
        { Name: 'HOSTED_ZONE', Type: 'PARAMETER_STORE', Value: '/shop/hosted-zone' },
      ]);
    }
  });


  test.each([
    ['secrets', 'TARGET_ROLE_ARN'],
    ['environment', 'TARGET_ACCOUNT'],
    ['environment', 'TARGET_REGION'],
    ['parameters', 'TARGET_ID'],
    ['environment', 'PARAM_Tenant'],
    ['secrets', 'AWS_SESSION_TOKEN'],
    ['environment', 'AWS_REGION'],
    ['environment', 'CREDS'],
  ] as const)('%s name %s is refused: the deploy project sets it', (source, name) => {
    expect(synthErrorOf(() => build({ [source]: { [name]: 'x' } }))).toBe([
      '[Tooling/Release] invalid configuration:',
      `  - deploymentKind.${source} = "${name}": the CodeBuild deploy project sets TARGET_ROLE_ARN, TARGET_ACCOUNT, TARGET_REGION, TARGET_ID, `
        + 'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION, SESSION_NAME, CREDS, PARAM_* itself, '
        + 'and would overwrite it or be overwritten. Fix: choose another name',
    ].join('\n'));
  });

  test('a CODEBUILD_ name is refused, with the stage\'s property path when the stage gives the kind', () => {
    const message = synthErrorOf(() => build({ environment: { CODEBUILD_BUILD_ID: 'x' } }, { perStage: true }));
    expect(message).toContain('  - stages[0].deploymentKind.environment = "CODEBUILD_BUILD_ID": CodeBuild sets CODEBUILD_* itself, and would overwrite it or be overwritten. Fix: choose another name');
  });

  test('a name that is no shell variable is refused', () => {
    expect(synthErrorOf(() => build({ parameters: { 'hosted.zone': '/shop/zone' } }))).toBe([
      '[Tooling/Release] invalid configuration:',
      '  - deploymentKind.parameters = "hosted.zone": not an environment variable name the build commands can read '
        + "(letters, digits and _, not starting with a digit). Fix: rename it, e.g. 'NPM_TOKEN'",
    ].join('\n'));
  });

  test('a name set by two sources is refused', () => {
    expect(synthErrorOf(() => build({ environment: { TOKEN: 'plain' }, parameters: { TOKEN: '/shop/token' } }))).toBe([
      '[Tooling/Release] invalid configuration:',
      '  - deploymentKind.parameters = "TOKEN": also set by deploymentKind.environment; the project would keep only one of them. Fix: set each variable in one place',
    ].join('\n'));
  });
});
