/**
 * The store folder a pipeline's build may write: CodePipeline keeps a
 * pipeline's artifacts under the first 20 characters of the pipeline name, so
 * the build role's writes are scoped to that folder, and names that would make
 * two pipelines share a folder are refused at synth.
 */
import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineSource,
} from '../src';
import { accounts } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';
import { artifactFolder } from '../src/cross-account-pipeline/private/artifact-folder';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

function tooling(app = new App(), contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG })) {
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  const pipeline = (id: string, props: Partial<CrossAccountPipelineProps> = {}) => new CrossAccountPipeline(stack, id, {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] }],
    ...props,
  });
  return { app, stack, pipeline };
}

/** Props that split the targets over a chain of two pipelines (Source, Build, two waves and the handoff; then two waves). */
const CHAIN: Partial<CrossAccountPipelineProps> = {
  limits: { stagesPerPipeline: 5, waveSize: 1 },
  stages: [{ name: 'Prod', targets: accounts(4, 300_000_000_000).map((account, i) => ({ id: `t${i}`, account, region: 'us-east-1' })) }],
};

/** The statements of the policy of the role whose logical id starts with `rolePrefix`. */
function roleStatements(stack: Stack, rolePrefix: string): any[] {
  const template = Template.fromStack(stack).toJSON();
  const policies = Object.entries<any>(template.Resources)
    .filter(([logicalId, r]) => r.Type === 'AWS::IAM::Policy' && logicalId.startsWith(`${rolePrefix}DefaultPolicy`));
  if (policies.length !== 1) throw new Error(`expected one policy of ${rolePrefix}, found ${policies.map(([id]) => id).join(', ') || 'none'}`);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

const s3Statements = (statements: any[]) => statements.filter((s) => ([] as any[]).concat(s.Action).some((a: string) => a.startsWith('s3:')));
const withAction = (statements: any[], action: string) =>
  statements.filter((s) => ([] as any[]).concat(s.Action).includes(action)).flatMap((s) => ([] as any[]).concat(s.Resource));

describe('artifactFolder', () => {
  test('is the first 20 characters of the pipeline name', () => {
    expect(artifactFolder('shop-release')).toBe('shop-release');
    expect(artifactFolder('shop-release-for-customers')).toBe('shop-release-for-cus');
    expect(artifactFolder('a'.repeat(20))).toBe('a'.repeat(20));
  });
});

describe('the build role', () => {
  const { stack } = (() => {
    const t = tooling();
    t.pipeline('Release', { pipelineName: 'shop-release', stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }], verify: [{ name: 'Smoke', commands: ['true'] }] }] });
    return t;
  })();
  const statements = roleStatements(stack, 'ReleaseBuildRole');
  const folder = [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] }, '/shop-release/*']] }];

  test('reads and writes objects only in its pipeline\'s folder', () => {
    expect(withAction(statements, 's3:PutObject')).toEqual(folder);
    expect(withAction(statements, 's3:GetObject')).toEqual(folder);
  });

  test('may not list the store or delete artifacts', () => {
    const actions = s3Statements(statements).flatMap((s) => ([] as any[]).concat(s.Action));
    expect(actions.filter((a: string) => /List|Delete/.test(a))).toEqual([]);
  });

  test('keeps encrypting and decrypting with the artifact key', () => {
    const kms = statements.filter((s) => ([] as any[]).concat(s.Action).some((a: string) => a.startsWith('kms:')));
    const actions = kms.flatMap((s) => ([] as any[]).concat(s.Action));
    expect(actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  test('in a chain, a verify project reads the folder of the pipeline its stage landed in', () => {
    const t = tooling();
    t.pipeline('Chain', { ...CHAIN, pipelineName: 'shop-chain', stages: [{ ...CHAIN.stages![0], verify: [{ name: 'Smoke', commands: ['true'] }] }] });
    const chainFolder = [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] }, '/shop-chain-2/*']] }];
    expect(withAction(roleStatements(t.stack, 'ChainVerify0Step0Role'), 's3:GetObject')).toEqual(chainFolder);
  });

  test('a verify project reads its pipeline\'s folder, and writes and lists nothing', () => {
    const verify = roleStatements(stack, 'ReleaseVerify0Step0Role');
    expect(withAction(verify, 's3:GetObject')).toEqual(folder);
    const actions = s3Statements(verify).flatMap((s) => ([] as any[]).concat(s.Action));
    expect(actions.filter((a: string) => /Put|List|Delete|Abort/.test(a))).toEqual([]);
  });
});

describe('names that would share a store folder', () => {
  test('a chained pipeline whose name has 20 characters or more is refused', () => {
    const { pipeline } = tooling();
    expect(synthErrorOf(() => pipeline('Release', { ...CHAIN, pipelineName: 'shop-release-for-customers' }))).toBe(
      '[Tooling/Release] invalid configuration:\n' +
      '  - pipelineName = "shop-release-for-customers": the targets need a chain of 2 pipelines (shop-release-for-customers, shop-release-for-customers-2), ' +
      'and CodePipeline keeps the artifacts of each in the store under the first 20 characters of its name, so all of them would share the folder ' +
      '\'shop-release-for-cus/\' and the build could rewrite what the later pipelines deploy after their approvals. ' +
      'Fix: give a pipelineName of at most 19 characters',
    );
  });

  test('a chained pipeline whose name has 19 characters is accepted, and a single pipeline of any allowed length', () => {
    expect(tooling().pipeline('Release', { ...CHAIN, pipelineName: 'a'.repeat(19) }).pipelineNames).toEqual(['a'.repeat(19), `${'a'.repeat(19)}-2`]);
    expect(() => tooling().pipeline('Release', { pipelineName: 'a'.repeat(90) })).not.toThrow();
  });

  test('two pipelines of one contract whose names share their first 20 characters fail synth, each naming the other', () => {
    const { app, pipeline } = tooling();
    pipeline('Shop', { pipelineName: 'release-of-the-shop-web' });
    pipeline('ShopApi', { pipelineName: 'release-of-the-shop-api' });
    const message = synthErrorOf(() => app.synth());
    expect(message).toContain(
      '[Tooling/Shop] pipelineName = "release-of-the-shop-web": CodePipeline keeps a pipeline\'s artifacts in the store under the first 20 characters ' +
      'of its name, and pipeline \'release-of-the-shop-api\' (Tooling/ShopApi) shares them (\'release-of-the-shop-/\'), so the build of either could ' +
      'rewrite the other\'s artifacts. Fix: make the first 20 characters of the pipeline names differ',
    );
    expect(message).toContain('[Tooling/ShopApi] pipelineName = "release-of-the-shop-api"');
  });

  test('the same names under two contracts (two stores) are accepted', () => {
    const app = new App();
    const other = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, qualifier: 'other' });
    tooling(app).pipeline('Shop', { pipelineName: 'release-of-the-shop-web' });
    const stack = new Stack(app, 'Other', { env: { account: TOOLING, region: 'us-east-1' } });
    new CrossAccountPipeline(stack, 'ShopApi', {
      contract: other,
      artifactStore: new ArtifactStore(stack, 'Store', { contract: other }),
      pipelineName: 'release-of-the-shop-api',
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'other-app', templatePath: 'app.template.json' }),
      stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] }],
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('a pipeline named after the handoff folder is refused', () => {
    expect(synthErrorOf(() => tooling().pipeline('Release', { pipelineName: 'handoff' }))).toBe(
      '[Tooling/Release] invalid configuration:\n' +
      '  - pipelineName = "handoff": CodePipeline would keep its artifacts under \'handoff/\', where the store lets only pipeline roles write ' +
      '(the releases handed from one pipeline of a chain to the next). Fix: choose another pipelineName',
    );
  });

  test('a pipeline name that is a token is refused', () => {
    const name = Lazy.string({ produce: () => 'shop-release' });
    expect(synthErrorOf(() => tooling().pipeline('Release', { pipelineName: name }))).toMatch(
      /^\[Tooling\/Release\] invalid configuration:\n {2}- pipelineName = ".*": the build may write only its pipeline's folder in the store, named after the first 20 characters of the pipeline name, which must be known at synth\. Fix: give a literal pipelineName$/,
    );
  });
});
