/**
 * The Assets stage of a CrossAccountPipeline: after the build and before any
 * deployment, one cdk-assets publish per distinct region of the targets (never
 * per target), run by a project whose role is on the contract's pipeline path
 * and may write only assets/ of the contract's stores (and, with images, push
 * to the contract's repository) in those regions.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ArtifactStore, AssetPublishingOptions, ContractStackSynthesizer, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract,
  DeploymentKind, FleetRing, FleetRollout, PipelineSource, PipelineTarget, TenantRegistry,
} from '../src';
import { APP_VARIANTS } from './support/integ-apps';
import { synthErrorOf } from './support/synth-error';
import { publishCommands } from '../src/cross-account-pipeline/asset-publishing';
import { planRollout } from '../src/cross-account-pipeline/rollout-plan';

const TOOLING = '111111111111';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const MANIFESTS: AssetPublishingOptions = { manifestPaths: ['cdk.out/*.assets.json'] };

/** Four tenants in two regions, over two stages. */
const TARGETS: PipelineTarget[] = [
  { id: 'dev', account: '222222222222', region: 'us-east-1' },
  { id: 'acme', account: '333333333333', region: 'eu-west-1' },
  { id: 'globex', account: '444444444444', region: 'eu-west-1' },
  { id: 'initech', account: '555555555555', region: 'us-east-1' },
];

function pipelineProps(
  contract: DeploymentContract, store: ArtifactStore, extra: Partial<CrossAccountPipelineProps> = {},
): CrossAccountPipelineProps {
  return {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'cdk.out/ShopApp.template.json' }),
    pipelineName: 'shop-release',
    stages: [
      { name: 'Dev', targets: TARGETS.slice(0, 1) },
      { name: 'Prod', approval: {}, targets: TARGETS.slice(1) },
    ],
    assetPublishing: MANIFESTS,
    ...extra,
  };
}

function synth(extra: Partial<CrossAccountPipelineProps> = {}): any {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  new CrossAccountPipeline(stack, 'Shop', pipelineProps(contract, store, extra));
  return app.synth().getStackByName('Tooling').template;
}

const resourcesOf = (template: any, type: string) => Object.entries<any>(template.Resources).filter(([, r]) => r.Type === type);
const pipelineOf = (template: any) => resourcesOf(template, 'AWS::CodePipeline::Pipeline')[0][1].Properties;
const stageNames = (template: any) => pipelineOf(template).Stages.map((s: any) => s.Name);
const assetsStage = (template: any) => pipelineOf(template).Stages.find((s: any) => s.Name === 'Assets');
const publishRole = (template: any) => resourcesOf(template, 'AWS::IAM::Role').find(([id]) => /ShopAssetsPublishRole/.test(id))!;
const publishStatements = (template: any): any[] => {
  const [roleId] = publishRole(template);
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
};

describe('the Assets stage', () => {
  let template: any;
  beforeAll(() => { template = synth(); });

  test('4 targets in 2 regions: 2 publish actions, one per region, not one per target', () => {
    const actions = assetsStage(template).Actions;
    expect(actions).toHaveLength(2);
    expect(new Set(TARGETS.map((t) => t.region)).size).toBe(2);
    expect(actions.map((a: any) => a.Name)).toEqual(['Publish-eu-west-1', 'Publish-us-east-1']);
    expect(actions.map((a: any) => JSON.parse(a.Configuration.EnvironmentVariables))).toEqual([
      [{ name: 'PUBLISH_REGION', value: 'eu-west-1', type: 'PLAINTEXT' }],
      [{ name: 'PUBLISH_REGION', value: 'us-east-1', type: 'PLAINTEXT' }],
    ]);
    // The same project for both, fed the build output, in parallel, in the pipeline's region, as the pipeline role.
    const projects = new Set(actions.map((a: any) => JSON.stringify(a.Configuration.ProjectName)));
    expect(projects.size).toBe(1);
    for (const action of actions) {
      expect(action.InputArtifacts).toEqual([{ Name: 'BuildOutput' }]);
      expect(action.RunOrder).toBe(1);
      expect(action.Region).toBeUndefined();
      expect(action.RoleArn).toBeUndefined();
    }
  });

  test('comes after the build and before any deployment (the approval of the first stage included)', () => {
    expect(stageNames(template)).toEqual(['Source', 'Build', 'Assets', 'Dev-Wave-1-of-1', 'Approve-Prod', 'Prod-Wave-1-of-1']);
  });

  test('without assetPublishing there is no Assets stage and no publish project', () => {
    const without = synth({ assetPublishing: undefined });
    expect(stageNames(without)).not.toContain('Assets');
    expect(resourcesOf(without, 'AWS::IAM::Role').some(([id]) => /AssetsPublishRole/.test(id))).toBe(false);
  });

  test('the publish project runs the pinned cdk-assets on the manifests, with AWS_REGION from the action', () => {
    const [, project] = resourcesOf(template, 'AWS::CodeBuild::Project').find(([id]) => /ShopAssetsPublish/.test(id))!;
    const spec = JSON.parse(project.Properties.Source.BuildSpec);
    const commands: string[] = spec.phases.build.commands;
    expect(commands[commands.length - 1]).toBe(
      'for m in cdk.out/*.assets.json; do AWS_REGION="$PUBLISH_REGION" AWS_DEFAULT_REGION="$PUBLISH_REGION" npx --yes cdk-assets@4.7.3 publish --path "$m" || exit 1; done');
    expect(project.Properties.Environment.PrivilegedMode).toBe(false);
    expect(project.Properties.EncryptionKey).toBeDefined();
  });

  test('the publish role is on the contract\'s pipeline path, assumed only by CodeBuild of this account', () => {
    const [, role] = publishRole(template);
    expect(role.Properties.Path).toBe('/cdkx-main/');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'codebuild.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': TOOLING } },
    }]);
  });

  test('the publish role may write assets/ of the store of each target region and nothing else there; no ECR without images', () => {
    const statements = publishStatements(template);
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    const bucket = (region: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::cdkx-main-artifacts-${TOOLING}-${region}`]] });
    const objects = (region: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::cdkx-main-artifacts-${TOOLING}-${region}/assets/*`]] });
    expect(bySid('PublishAssets')).toEqual({
      Sid: 'PublishAssets', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: [objects('eu-west-1'), objects('us-east-1')],
    });
    expect(bySid('InspectAssetStores').Action).toEqual(['s3:GetBucketLocation', 's3:GetEncryptionConfiguration']);
    expect(bySid('InspectAssetStores').Resource).toEqual([bucket('eu-west-1'), bucket('us-east-1')]);
    expect(bySid('FindPublishedAssets')).toMatchObject({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': 'assets/*' } } });
    expect(bySid('EncryptAssetsThroughS3').Condition).toEqual({
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/cdkx-main-artifacts' },
      'StringEquals': { 'kms:ViaService': ['s3.eu-west-1.amazonaws.com', 's3.us-east-1.amazonaws.com'] },
    });
    // Every s3:PutObject it holds is under assets/.
    const puts = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(puts.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r))).toEqual([objects('eu-west-1'), objects('us-east-1')].map((r) => JSON.stringify(r)));
    expect(statements.some((s) => [s.Action].flat().some((a: string) => a.startsWith('ecr:')))).toBe(false);
  });

  test('with dockerImages the project is privileged and the role may push to cdkx-<q>/assets of each region of the tooling account', () => {
    const withImages = synth({ assetPublishing: { ...MANIFESTS, dockerImages: true } });
    const [, project] = resourcesOf(withImages, 'AWS::CodeBuild::Project').find(([id]) => /ShopAssetsPublish/.test(id))!;
    expect(project.Properties.Environment.PrivilegedMode).toBe(true);
    const push = publishStatements(withImages).find((s) => s.Sid === 'PushImageAssets');
    expect(push.Resource).toEqual(['eu-west-1', 'us-east-1'].map((region) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:${region}:${TOOLING}:repository/cdkx-main/assets`]],
    })));
    expect(push.Action).toEqual(expect.arrayContaining(['ecr:PutImage', 'ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:CompleteLayerUpload']));
    const login = publishStatements(withImages).find((s) => s.Sid === 'LogInToRegistries');
    expect(login).toMatchObject({ Action: 'ecr:GetAuthorizationToken', Resource: '*' });
  });

  test('a fleet rollout adds the pipeline\'s own region; a target region already there is not doubled', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'eu-central-1' } });
    const store = new ArtifactStore(stack, 'Store', { contract });
    const rollout = new FleetRollout(stack, 'Fleet', {
      contract, registry: new TenantRegistry(stack, 'Tenants'), applicationName: 'shop', rings: [FleetRing.rest()], onboarding: false,
    });
    new CrossAccountPipeline(stack, 'Shop', pipelineProps(contract, store, {
      stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'eu-central-1' }, { id: 'qa', account: '333333333333', region: 'us-west-2' }] }],
      fleetRollout: { rollout, templatePath: 'cdk.out/ShopApp.template.json' },
    }));
    const withFleet = app.synth().getStackByName('Tooling').template;
    expect(assetsStage(withFleet).Actions.map((a: any) => a.Name)).toEqual(['Publish-eu-central-1', 'Publish-us-west-2']);
    expect(stageNames(withFleet)).toEqual(['Source', 'Build', 'Assets', 'Dev-Wave-1-of-1', 'Fleet']);
  });

  test('without a build, the stage publishes from the source artifact', () => {
    const noBuild = synth({ buildOptions: undefined });
    expect(stageNames(noBuild).slice(0, 2)).toEqual(['Source', 'Assets']);
    expect(assetsStage(noBuild).Actions[0].InputArtifacts).toEqual([{ Name: 'Source' }]);
  });
});

describe('the rollout plan reserves the Assets stage', () => {
  const targets = (n: number, regions: string[]) => Array.from({ length: n }, (_, i) => ({
    id: `t${i}`, account: String(200000000000 + i), region: regions[i % regions.length],
  }));

  test('in the release pipeline, first, counted among its stages; 120 targets in 3 regions make 3 publish regions', () => {
    const plan = planRollout([{ name: 'Prod', targets: targets(120, ['us-east-1', 'eu-west-1', 'ap-southeast-2']) }], { stagesPerPipeline: 4 }, { assets: {} });
    expect(plan.pipelines[0].stages[0]).toEqual({ kind: 'assets', stageName: 'Assets', userStage: 'Assets', regions: ['ap-southeast-2', 'eu-west-1', 'us-east-1'] });
    // Source, Build, Assets, Handoff: the smallest pipeline still holds it, the waves move on.
    expect(plan.pipelines[0].stageCount).toBe(4);
    expect(plan.pipelines.flatMap((p) => p.stages).filter((s) => s.kind === 'assets')).toHaveLength(1);
    for (const p of plan.pipelines) expect(p.stageCount).toBeLessThanOrEqual(4);
  });

  test('more regions than actions per stage: a plan problem naming assetPublishing', () => {
    expect(() => planRollout([{ name: 'Prod', targets: targets(3, ['us-east-1', 'eu-west-1', 'ap-southeast-2']) }], { actionsPerStage: 2 }, { assets: {} }))
      .toThrow("assetPublishing = [\"ap-southeast-2\",\"eu-west-1\",\"us-east-1\"]: the Assets stage publishes to 3 regions, one action each, over actionsPerStage (2). Fix: raise limits.actionsPerStage if the account's quota allows, or split the regions over several pipelines");
  });
});

describe('the publish commands against a real asset manifest', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-publishing-'));
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    const contract = new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop' });
    const stack = new Stack(app, 'ShopApp', { synthesizer: new ContractStackSynthesizer({ contract }) });
    const fixtures = path.join(__dirname, 'fixtures', 'app-assets');
    new lambda.Function(stack, 'Handler', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(path.join(fixtures, 'handler')) });
    new ecr_assets.DockerImageAsset(stack, 'Image', { directory: path.join(fixtures, 'image') });
    app.synth();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the checks before `cdk-assets publish` (not the publish itself) in the build output directory. */
  function runChecks(options: AssetPublishingOptions): { ok: boolean; stderr: string } {
    const checks = publishCommands(options).slice(0, 2).join('\n');
    try {
      execFileSync('sh', ['-ec', checks], { cwd: dir, stdio: 'pipe' });
      return { ok: true, stderr: '' };
    } catch (e: any) {
      return { ok: false, stderr: String(e.stderr) };
    }
  }

  test('a manifest with an image asset stops the stage unless dockerImages is set', () => {
    const refused = runChecks(MANIFESTS);
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toContain('cdk.out/ShopApp.assets.json: holds Docker image assets; set assetPublishing.dockerImages to publish them');
    expect(runChecks({ ...MANIFESTS, dockerImages: true })).toEqual({ ok: true, stderr: '' });
  });

  test('a manifest path that matches nothing stops the stage', () => {
    const missing = runChecks({ manifestPaths: ['dist/*.assets.json'], dockerImages: true });
    expect(missing.ok).toBe(false);
    expect(missing.stderr).toContain('asset manifest dist/*.assets.json is not in the build output');
  });

  test('an asset built by a command (source.executable) stops the stage: the publish step runs no repository code', () => {
    const file = path.join(dir, 'cdk.out', 'ShopApp.assets.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    const copy = path.join(dir, 'cdk.out', 'Built.assets.json');
    const [first] = Object.values<any>(manifest.files);
    first.source = { executable: ['sh', '-c', 'echo pwned'] };
    fs.writeFileSync(copy, JSON.stringify({ ...manifest, dockerImages: {} }));
    try {
      const refused = runChecks({ manifestPaths: ['cdk.out/Built.assets.json'] });
      expect(refused.ok).toBe(false);
      expect(refused.stderr).toContain('an asset built by a command (source.executable) would run repository code in the publish step');
    } finally {
      fs.rmSync(copy);
    }
  });
});

describe('bad input', () => {
  const message = (options: AssetPublishingOptions, extra: Partial<CrossAccountPipelineProps> = {}) =>
    synthErrorOf(() => synth({ assetPublishing: options, ...extra }));

  test('no manifest path', () => {
    expect(message({ manifestPaths: [] })).toContain(
      "assetPublishing.manifestPaths = []: no asset manifest to publish. Fix: name the manifests in the build output, e.g. ['cdk.out/*.assets.json']");
  });

  test.each(['/abs/x.assets.json', '../up.assets.json', 'a b.assets.json', 'x$(id).assets.json', ''])('manifest path %j', (p) => {
    expect(message({ manifestPaths: [p] })).toContain(
      `assetPublishing.manifestPaths[0] = ${JSON.stringify(p)}: must be a relative path inside the build output of letters, digits, \`.\`, \`_\`, \`-\`, \`/\` and \`*\`, without \`..\`. Fix: use the manifests' path in the build output, e.g. 'cdk.out/*.assets.json'`);
  });

  test('a cdk-assets version that is not exact', () => {
    expect(message({ ...MANIFESTS, cdkAssetsVersion: '^4.7.3' })).toContain(
      "assetPublishing.cdkAssetsVersion = \"^4.7.3\": must be an exact version, so that every run publishes with the same cdk-assets. Fix: pin a release such as '4.7.3'");
  });

  test('a pipeline without targets (build-only) has no region to publish to', () => {
    expect(message(MANIFESTS, { stages: [] })).toContain(
      'assetPublishing = ["cdk.out/*.assets.json"]: the pipeline has no target and no fleet rollout, so there is no region to publish to. Fix: add a stage with targets, or drop assetPublishing');
  });
});

describe('cdk-nag AwsSolutions (cdk-nag 2) over a pipeline with an Assets stage', () => {
  test.each(APP_VARIANTS.flatMap(([variant]) => [false, true].map((dockerImages) => [variant, dockerImages] as const)))(
    'in an app with %s, dockerImages %s: no unsuppressed finding', (variant, dockerImages) => {
      const app = APP_VARIANTS.find(([name]) => name === variant)![1]();
      const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
      const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
      const store = new ArtifactStore(stack, 'Store', { contract });
      new CrossAccountPipeline(stack, 'Shop', pipelineProps(contract, store, { assetPublishing: { ...MANIFESTS, dockerImages } }));
      Aspects.of(stack).add(new AwsSolutionsChecks());
      const artifact = app.synth().getStackByName('Tooling');
      const findings = artifact.messages
        .filter((m) => String(m.entry.data).startsWith('AwsSolutions-'))
        .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
      expect(findings).toEqual([]);
    });
});
