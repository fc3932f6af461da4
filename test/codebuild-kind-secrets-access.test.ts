/**
 * Access proof for the variables of DeploymentKind.codeBuild and of the build:
 * who may read which secret and parameter, evaluated with real IAM logic on
 * the synthesized templates (test/support/access-model.ts).
 *
 * Secrets belong to a kind, not to a target: every deploy role of the kind
 * (one per target account) may read the kind's secrets and parameters, since
 * every target's commands see the same variables. Nobody else may: not the
 * build project (repository code that never deploys), not the pipeline role,
 * not the deployers of another CodeBuild kind of the same pipeline, even in
 * the same account. And the deployers may not read the build's secrets.
 */
import { App, Stack } from 'aws-cdk-lib';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource,
} from '../src';
import { AccessModel, ModelRole } from './support/access-model';

const TOOLING = '111111111111';
const DEV = '222222222222';
const TEST = '333333333333';
const US = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

/** A secret's ARN as Secrets Manager makes it: the name and six random characters. */
const secret = (name: string, suffix = 'AbCdEf') => `arn:aws:secretsmanager:${US}:${TOOLING}:secret:${name}-${suffix}`;
const parameter = (name: string) => `arn:aws:ssm:${US}:${TOOLING}:parameter${name}`;

function buildApp(): App {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
  new CrossAccountPipeline(tooling, 'Pipeline', {
    contract,
    artifactStore: new ArtifactStore(tooling, 'ArtifactStore', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'], secrets: { BUILD_TOKEN: 'build/token' }, parameters: { BUILD_FLAG: '/build/flag' } },
    deploymentKind: DeploymentKind.codeBuild({
      commands: ['./deploy.sh'],
      secrets: { DEPLOY_TOKEN: 'deploy/token' },
      parameters: { HOSTED_ZONE: '/deploy/hosted-zone' },
    }),
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }] },
      { name: 'Test', targets: [{ id: 'test', account: TEST, region: US }] },
      {
        name: 'Tools',
        deploymentKind: DeploymentKind.codeBuild({ commands: ['./tools.sh'], secrets: { TOOLS_TOKEN: 'tools/token' } }),
        targets: [{ id: 'tools', account: DEV, region: US }],
      },
    ],
  });
  return app;
}

/** The service role of a CodeBuild project of the tooling stack. */
function roleOfProject(model: AccessModel, tooling: Record<string, any>, projectId: string): ModelRole {
  const [roleId] = tooling.Resources[projectId].Properties.ServiceRole['Fn::GetAtt'];
  return model.roleAt('Tooling', roleId);
}

/** The role of the deploy project that the pipeline action named `actionName` starts. */
function deployerOf(model: AccessModel, tooling: Record<string, any>, actionName: string): ModelRole {
  const resources = tooling.Resources as Record<string, any>;
  const [action] = Object.values(resources)
    .filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')
    .flatMap((p) => p.Properties.Stages.flatMap((s: any) => s.Actions))
    .filter((a: any) => a.Name === actionName);
  const name = action.Configuration.ProjectName;
  const projectId = name.Ref ?? Object.keys(resources).find((id) => resources[id].Type === 'AWS::CodeBuild::Project' && resources[id].Properties.Name === name)!;
  return roleOfProject(model, tooling, projectId);
}

describe('secrets and parameters of the build and of the CodeBuild deployments', () => {
  let model: AccessModel;
  let devDeployer: ModelRole;
  let testDeployer: ModelRole;
  let toolsDeployer: ModelRole;
  let buildRole: ModelRole;
  let pipelineRole: ModelRole;

  const read = (principal: ModelRole, name: string) =>
    model.evaluate({ principal, action: 'secretsmanager:GetSecretValue', resource: secret(name) }).then((r) => r.decision);
  const getParameter = (principal: ModelRole, name: string) =>
    model.evaluate({ principal, action: 'ssm:GetParameters', resource: parameter(name) }).then((r) => r.decision);

  beforeAll(() => {
    const assembly = buildApp().synth();
    model = AccessModel.fromAssembly(assembly.directory, { organizations: [{ id: ORG_ID, accounts: [TOOLING, DEV, TEST] }] });
    const tooling = assembly.getStackByName('Tooling').template;
    devDeployer = deployerOf(model, tooling, 'dev');
    testDeployer = deployerOf(model, tooling, 'test');
    toolsDeployer = deployerOf(model, tooling, 'tools');
    const buildId = Object.keys(tooling.Resources).find((id) => /^PipelineBuild[0-9A-F]{8}$/.test(id))!;
    buildRole = roleOfProject(model, tooling, buildId);
    pipelineRole = model.role(TOOLING, /PipelineRole/);
  });

  test('the roles are five different roles', () => {
    expect(new Set([devDeployer, testDeployer, toolsDeployer, buildRole, pipelineRole].map((r) => r.arn)).size).toBe(5);
  });

  test('every deployer of the kind may read the kind\'s secret: the dev and the test account\'s', async () => {
    expect(await read(devDeployer, 'deploy/token')).toBe('Allowed');
    expect(await read(testDeployer, 'deploy/token')).toBe('Allowed');
  });

  test('the grant names the secret: another secret whose name only starts the same is denied', async () => {
    expect(await read(devDeployer, 'deploy/token-extra')).toBe('ImplicitlyDenied');
    expect(await read(devDeployer, 'deploy/other')).toBe('ImplicitlyDenied');
  });

  test('every deployer of the kind may read the kind\'s parameter, and no other', async () => {
    expect(await getParameter(devDeployer, '/deploy/hosted-zone')).toBe('Allowed');
    expect(await getParameter(testDeployer, '/deploy/hosted-zone')).toBe('Allowed');
    expect(await getParameter(devDeployer, '/deploy/other')).toBe('ImplicitlyDenied');
  });

  test('the build project may not read the deploy-only secret and parameter', async () => {
    expect(await read(buildRole, 'deploy/token')).toBe('ImplicitlyDenied');
    expect(await getParameter(buildRole, '/deploy/hosted-zone')).toBe('ImplicitlyDenied');
    // Control: it reads its own.
    expect(await read(buildRole, 'build/token')).toBe('Allowed');
    expect(await getParameter(buildRole, '/build/flag')).toBe('Allowed');
  });

  test('the deployers may not read the build\'s secret and parameter', async () => {
    expect(await read(devDeployer, 'build/token')).toBe('ImplicitlyDenied');
    expect(await getParameter(testDeployer, '/build/flag')).toBe('ImplicitlyDenied');
  });

  test('the pipeline role reads no secret and no parameter', async () => {
    for (const name of ['deploy/token', 'build/token', 'tools/token']) expect(await read(pipelineRole, name)).toBe('ImplicitlyDenied');
    expect(await getParameter(pipelineRole, '/deploy/hosted-zone')).toBe('ImplicitlyDenied');
  });

  test('another CodeBuild kind\'s deployer of the same account reads its own secret, not this kind\'s, and the other way round', async () => {
    expect(await read(toolsDeployer, 'tools/token')).toBe('Allowed');
    expect(await read(toolsDeployer, 'deploy/token')).toBe('ImplicitlyDenied');
    expect(await read(devDeployer, 'tools/token')).toBe('ImplicitlyDenied');
    expect(await getParameter(toolsDeployer, '/deploy/hosted-zone')).toBe('ImplicitlyDenied');
  });
});
