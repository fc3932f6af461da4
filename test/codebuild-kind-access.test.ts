/**
 * Access proofs for DeploymentKind.codeBuild: a tooling account with the
 * artifact store and a pipeline whose deploy commands run in CodeBuild, and
 * two target accounts with their TenantDeploymentRole roles, evaluated with
 * real IAM logic (test/support/access-model.ts).
 *
 * Must show: the commands that deploy one target account cannot reach
 * another's. A build's commands choose the role they assume, the session name
 * and the source identity, so isolation cannot rest on them: the role a
 * target's deploy project runs as may assume only that account's action role
 * (its identity policy), and each action role admits only the deployer of its
 * own account (its trust policy). The pipeline role keeps its access.
 *
 * The deployer of a target is found the way CodePipeline finds it: the
 * project named in the target's action, and that project's service role.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, TenantDeploymentRole,
} from '../src';
import { AccessModel, Decision, ModelRole, Organization, RolePrincipal } from './support/access-model';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const DEV = '222222222222';
const TEST = '333333333333';
const OUTSIDER = '999999999999';
const US = 'us-east-1';
const EU = 'eu-west-1';
const ORG_ID = 'o-abcdefghij';
const ACTION_ROLE = 'cdkx-main-deploy-action';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

interface Mode {
  readonly name: string;
  readonly organizationId?: string;
  readonly readerAccounts?: string[];
  readonly organizations: Organization[];
}

const MODES: Mode[] = [
  { name: 'organization mode', organizationId: ORG_ID, organizations: [{ id: ORG_ID, accounts: [TOOLING, DEV, TEST] }] },
  { name: 'account-list mode', readerAccounts: [DEV, TEST], organizations: [] },
];

function buildApp(mode: Mode): App {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
  const store = new ArtifactStore(tooling, 'ArtifactStore', { contract, readerAccounts: mode.readerAccounts });
  new CrossAccountPipeline(tooling, 'Pipeline', {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.codeBuild({ commands: ['npx cdk deploy --all --require-approval never'] }),
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }] },
      { name: 'Test', targets: [{ id: 'test', account: TEST, region: EU }] },
    ],
  });
  for (const account of [DEV, TEST, OUTSIDER]) {
    const stack = new Stack(app, `Tenant${account}`, { env: { account, region: US } });
    new TenantDeploymentRole(stack, 'Deploy', {
      contract,
      executionRoleStatements: [new iam.PolicyStatement({ actions: ['s3:CreateBucket'], resources: ['*'] })],
    });
  }
  return app;
}

/** The service role of the CodeBuild project that the pipeline action named `actionName` starts. */
function deployerOf(model: AccessModel, tooling: Record<string, any>, actionName: string): ModelRole {
  const resources = tooling.Resources as Record<string, any>;
  const actions = Object.values(resources)
    .filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')
    .flatMap((p) => p.Properties.Stages.flatMap((s: any) => s.Actions))
    .filter((a: any) => a.Name === actionName);
  if (actions.length !== 1) throw new Error(`expected one pipeline action '${actionName}', found ${actions.length}`);
  const projectRef = actions[0].Configuration.ProjectName;
  const projectId = projectRef.Ref ?? Object.keys(resources).find((id) =>
    resources[id].Type === 'AWS::CodeBuild::Project' && resources[id].Properties.Name === projectRef);
  const project = resources[projectId];
  if (project?.Type !== 'AWS::CodeBuild::Project') throw new Error(`action '${actionName}' names no project of the stack: ${JSON.stringify(projectRef)}`);
  const [roleId] = project.Properties.ServiceRole['Fn::GetAtt'];
  return model.roleAt('Tooling', roleId);
}

describe.each(MODES)('DeploymentKind.codeBuild, $name', (mode) => {
  let model: AccessModel;
  let pipeline: ModelRole;
  let deployer: Record<string, ModelRole>;
  const actionRole = (account: string) => model.role(account, ACTION_ROLE).arn;

  async function expectAssume(principal: RolePrincipal, account: string, expected: Decision, side?: 'identity' | 'resource'): Promise<void> {
    const result = await model.evaluate({ principal, action: 'sts:AssumeRole', resource: actionRole(account) });
    if (result.decision !== expected || (side && !new RegExp(`${side}: ImplicitlyDenied`).test(result.explanation))) {
      throw new Error(`expected ${expected}${side ? ` by the ${side} side` : ''}, got ${result.decision}\n${result.explanation}`);
    }
  }

  beforeAll(() => {
    const assembly = buildApp(mode).synth();
    model = AccessModel.fromAssembly(assembly.directory, { organizations: mode.organizations });
    const tooling = assembly.getStackByName('Tooling').template;
    pipeline = model.role(TOOLING, /PipelineRole/);
    deployer = { [DEV]: deployerOf(model, tooling, 'dev'), [TEST]: deployerOf(model, tooling, 'test') };
  });

  test('each target account is deployed by its own role, and none is on the pipeline role path', () => {
    expect(deployer[DEV].arn).not.toBe(deployer[TEST].arn);
    for (const role of Object.values(deployer)) {
      expect(role.arn).not.toMatch(new RegExp(`^arn:aws:iam::${TOOLING}:role/cdkx-main/`));
    }
  });

  test.each([[DEV], [TEST]])('the deployer of %s may sts:AssumeRole its own account\'s action role: allowed', async (account) => {
    await expectAssume(deployer[account], account, 'Allowed');
  });

  test(`the deployer of ${DEV} may sts:AssumeRole ${TEST}'s action role: denied by its own identity policy`, async () => {
    await expectAssume(deployer[DEV], TEST, 'ImplicitlyDenied', 'identity');
    await expectAssume(deployer[DEV], DEV, 'Allowed');
  });

  test(`the deployer of ${DEV}, even with an identity policy allowing it, is refused by ${TEST}'s trust policy`, async () => {
    const anything: RolePrincipal = { ...deployer[DEV], identity: 'allow-all-tested' };
    await expectAssume(anything, TEST, 'ImplicitlyDenied', 'resource');
    // Control: the same request from TEST's own deployer passes the trust policy.
    await expectAssume({ ...deployer[TEST], identity: 'allow-all-tested' }, TEST, 'Allowed');
  });

  test(`the deployer of ${TEST} may sts:AssumeRole ${DEV}'s action role: denied`, async () => {
    await expectAssume(deployer[TEST], DEV, 'ImplicitlyDenied', 'identity');
    await expectAssume({ ...deployer[TEST], identity: 'allow-all-tested' }, DEV, 'ImplicitlyDenied', 'resource');
  });

  test(`no deployer may sts:AssumeRole the action role of ${OUTSIDER} (not a target)`, async () => {
    for (const account of [DEV, TEST]) {
      await expectAssume(deployer[account], OUTSIDER, 'ImplicitlyDenied');
    }
  });

  test('the pipeline role still may sts:AssumeRole every target\'s action role', async () => {
    await expectAssume(pipeline, DEV, 'Allowed');
    await expectAssume(pipeline, TEST, 'Allowed');
  });
});

describe('DeploymentKind.codeBuild, what the deployers may do besides assuming', () => {
  let model: AccessModel;
  let pipeline: ModelRole;
  let devDeployer: ModelRole;
  let projectArns: string[];
  let object: string;
  let keyArn: string;

  beforeAll(() => {
    const assembly = buildApp(MODES[0]).synth();
    model = AccessModel.fromAssembly(assembly.directory, { organizations: MODES[0].organizations });
    const tooling = assembly.getStackByName('Tooling').template;
    pipeline = model.role(TOOLING, /PipelineRole/);
    devDeployer = deployerOf(model, tooling, 'dev');
    projectArns = Object.values<any>(tooling.Resources).filter((r) => r.Type === 'AWS::CodeBuild::Project' && /-\d{12}$/.test(r.Properties.Name ?? ''))
      .map((r) => `arn:aws:codebuild:${US}:${TOOLING}:project/${r.Properties.Name}`);
    const bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${US}`);
    object = `${bucket.arn}/main-Pipeline/BuildOutput/a1b2c3d.zip`;
    keyArn = model.key(TOOLING).arn;
  });

  test('a deployer reads and decrypts the artifacts (its input), and writes none', async () => {
    await model.expectDecision({ principal: devDeployer, action: 's3:GetObject', resource: object }, 'Allowed');
    await model.expectDecision({ principal: devDeployer, action: 'kms:Decrypt', resource: keyArn, context: { 'kms:ViaService': `s3.${US}.amazonaws.com` } }, 'Allowed');
    await model.expectDecision({ principal: devDeployer, action: 's3:PutObject', resource: object }, 'ImplicitlyDenied');
  });

  test('the pipeline role may start the deploy project of every target account, and no other project', async () => {
    expect(projectArns).toHaveLength(2);
    for (const project of projectArns) {
      await model.expectDecision({ principal: pipeline, action: 'codebuild:StartBuild', resource: project }, 'Allowed');
    }
    await model.expectDecision({ principal: pipeline, action: 'codebuild:StartBuild', resource: `arn:aws:codebuild:${US}:${TOOLING}:project/someone-elses` }, 'ImplicitlyDenied');
  });
});

describe('DeploymentKind.codeBuild layout', () => {
  /** The tooling template of a pipeline deploying `accounts` (one target each) with `commands`. */
  function toolingTemplate(accounts: number, commands = ['npx cdk deploy --all --require-approval never']): Record<string, any> {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
    const store = new ArtifactStore(tooling, 'ArtifactStore', { contract });
    new CrossAccountPipeline(tooling, 'Pipeline', {
      contract,
      artifactStore: store,
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.codeBuild({ commands }),
      stages: [{ name: 'Prod', targets: targetsIn(accounts) }],
    });
    return app.synth().getStackByName('Tooling').template;
  }
  const targetsIn = (accounts: number) => Array.from({ length: accounts }, (_, i) => ({ id: `t${i}`, account: String(400_000_000_000 + i), region: US }));
  const deployerResources = (template: Record<string, any>) => Object.entries<any>(template.Resources).filter(([id]) => id.startsWith('PipelineCodeBuildDeployment'));
  /** Bytes as CDK writes the template (one-space indentation). */
  const written = (value: unknown) => JSON.stringify(value, undefined, 1).length;

  test('each account\'s role is on the deployer path of its account and trusts CodeBuild for its own project only', () => {
    const template = toolingTemplate(1);
    const [, role] = deployerResources(template).find(([, r]) => r.Type === 'AWS::IAM::Role')!;
    const [, project] = deployerResources(template).find(([, r]) => r.Type === 'AWS::CodeBuild::Project')!;
    expect(role.Properties.Path).toBe('/cdkx-main_deployer/400000000000/');
    expect(project.Properties.Name).toMatch(/^ToolingPipelineCodeBuildDeployment[0-9A-F]{8}-400000000000$/);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'codebuild.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:codebuild:${US}:${TOOLING}:project/${project.Properties.Name}`]] } },
      },
    }]);
  });

  test('targets of one account in several regions share its project', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
    new CrossAccountPipeline(tooling, 'Pipeline', {
      contract,
      artifactStore: new ArtifactStore(tooling, 'ArtifactStore', { contract }),
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }),
      stages: [{ name: 'Prod', targets: [{ id: 'us', account: DEV, region: US }, { id: 'eu', account: DEV, region: EU }] }],
    });
    const template = app.synth().getStackByName('Tooling').template;
    const projects = deployerResources(template).filter(([, r]) => r.Type === 'AWS::CodeBuild::Project');
    expect(projects).toHaveLength(1);
  });

  test('two CodeBuild deployments in one pipeline get projects of their own, even for the same account', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
    new CrossAccountPipeline(tooling, 'Pipeline', {
      contract,
      artifactStore: new ArtifactStore(tooling, 'ArtifactStore', { contract }),
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }),
      stages: [
        { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }] },
        { name: 'Smoke', targets: [{ id: 'smoke', account: DEV, region: US }], deploymentKind: DeploymentKind.codeBuild({ commands: ['./smoke.sh'] }) },
      ],
    });
    const projects = Object.values<any>(app.synth().getStackByName('Tooling').template.Resources)
      .filter((r) => r.Type === 'AWS::CodeBuild::Project' && /-\d{12}$/.test(r.Properties.Name ?? ''))
      .map((r) => r.Properties.Name);
    expect(projects).toHaveLength(2);
    expect(new Set(projects).size).toBe(2);
  });

  test('the pipeline role starts every deploy project through one statement: its policy does not grow per account', () => {
    const runStatement = (template: Record<string, any>) => Object.values<any>(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => s.Sid === 'RunDeployProjects');
    const [two, forty] = [runStatement(toolingTemplate(2)), runStatement(toolingTemplate(40))];
    expect(two).toHaveLength(1);
    expect(forty).toEqual(two);
  });

  test('each target account adds 3 resources and about 7 KB of deploy projects to the template as CDK writes it (measured: 6,997 bytes)', () => {
    const [one, eleven] = [deployerResources(toolingTemplate(1)), deployerResources(toolingTemplate(11))];
    expect(eleven.length - one.length).toBe(30);
    // At the depth they have in the template file.
    const inFile = (resources: Array<[string, any]>) => written({ Resources: Object.fromEntries(resources) });
    const perAccount = (inFile(eleven) - inFile(one)) / 10;
    expect(perAccount).toBeGreaterThan(5_000);
    expect(perAccount).toBeLessThanOrEqual(7_100);
  });

  test('50 target accounts are served; the 51st is refused at synth with the fix', () => {
    expect(deployerResources(toolingTemplate(50)).filter(([, r]) => r.Type === 'AWS::IAM::Role')).toHaveLength(50);
    expect(synthErrorOf(() => toolingTemplate(51))).toBe(
      '[Tooling/Pipeline] invalid configuration:\n'
      + '  - deploymentKind = "DeploymentKind.codeBuild for 51 target accounts": each target account gets its own deploy project and role '
      + 'in the pipeline stack (3 resources, about 7 KB of template and one IAM role each), at most 50 per pipeline; account 400000000050 is one too many. '
      + 'Fix: deploy at most 50 accounts with CodeBuild per pipeline: use DeploymentKind.cloudFormation for the other stages, '
      + 'split the targets over several pipelines, or roll tenant fleets out with a fleet rollout',
    );
  });

  test('commands so long that the projects would crowd the template out are refused at synth', () => {
    const long = Array.from({ length: 30 }, (_, i) => `echo "step ${i} of a deployment script that belongs in a file of the build output"`);
    expect(synthErrorOf(() => toolingTemplate(50, long))).toMatch(
      /\[Tooling\/Pipeline\/CodeBuildDeployment\] the deploy projects of 50 target accounts take [\d,]+ bytes of the stack template, over the budget of 400,000 .*Fix: move the commands into a script in the build output/,
    );
  });

  test('cdk-nag AwsSolutions: the deployers and the pipeline role\'s new statement add no unsuppressed finding', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
    new CrossAccountPipeline(tooling, 'Pipeline', {
      contract,
      artifactStore: new ArtifactStore(tooling, 'ArtifactStore', { contract }),
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }),
      stages: [{ name: 'Prod', targets: [{ id: 'dev', account: DEV, region: US }] }],
    });
    Aspects.of(tooling).add(new AwsSolutionsChecks());
    const findings = app.synth().getStackByName('Tooling').messages
      .filter((m) => String(m.entry.data).startsWith('AwsSolutions-'))
      .filter((m) => /CodeBuildDeployment|PipelineRole/.test(m.id))
      .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
    expect(findings).toEqual([]);
  });
});
