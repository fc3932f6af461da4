/**
 * The Assets stage of a CrossAccountPipeline: after the build and before any
 * deployment, one publish run (the CDK asset publisher, @aws-cdk/cdk-assets-lib) per distinct region of the targets (never
 * per target), run by a project whose role is on the contract's pipeline path
 * and may write only assets/ of the contract's stores (and, with images, push
 * to the contract's repository) in those regions.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Manifest } from 'aws-cdk-lib/cloud-assembly-schema';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ArtifactStore, AssetPublishingOptions, ContractStackSynthesizer, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract,
  DeploymentKind, FleetRing, FleetRollout, PipelineSource, PipelineTarget, TenantRegistry,
} from '../src';
import { publishBuildSpec, runPublishCommands } from './support/asset-publish-run';
import { APP_VARIANTS } from './support/integ-apps';
import { synthErrorOf } from './support/synth-error';
import { DEFAULT_CDK_ASSETS_LIB_VERSION, DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION } from '../src/cross-account-pipeline/private/asset-publish-commands';
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

  test('the publish project installs the publisher from its committed lock with npm ci, outside the build output, without install scripts, and runs it with AWS_REGION from the action', () => {
    const [, project] = resourcesOf(template, 'AWS::CodeBuild::Project').find(([id]) => /ShopAssetsPublish/.test(id))!;
    const phases = publishBuildSpec(template);
    expect(phases.install['runtime-versions']).toEqual({ nodejs: '20' });
    expect(phases.install.commands).toHaveLength(1);
    expect(phases.install.commands[0]).toMatch(new RegExp('^mkdir -p /tmp/cdkx-asset-publisher && aws s3 cp s3://[^ ]+/[0-9a-f]{64}\\.zip /tmp/cdkx-asset-publisher/publisher.zip --only-show-errors '
      + '&& \\(cd /tmp/cdkx-asset-publisher && unzip -q -o publisher.zip && npm ci --ignore-scripts --no-audit --no-fund\\)$'));
    const publish = phases.build.commands[phases.build.commands.length - 1];
    expect(publish).toMatch(/^AWS_REGION="\$PUBLISH_REGION" AWS_DEFAULT_REGION="\$PUBLISH_REGION" node -e "[^"$`\\]+" \/tmp\/cdkx-asset-publisher cdk.out\/\*.assets.json$/);
    // The library is required by its absolute path: a node_modules in the build output is never resolved.
    expect(publish).toContain("require(process.argv[1]+'/node_modules/@aws-cdk/cdk-assets-lib')");
    expect(project.Properties.Environment.PrivilegedMode).toBe(false);
    expect(project.Properties.EncryptionKey).toBeDefined();
  });

  test('other versions have no lock: npm install of the two pinned packages, and a warning that their dependencies resolve at run time', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
    new CrossAccountPipeline(stack, 'Shop', pipelineProps(contract, new ArtifactStore(stack, 'Store', { contract }), {
      assetPublishing: { ...MANIFESTS, cdkAssetsLibVersion: '1.4.2', cloudAssemblySchemaVersion: '56.0.1' },
    }));
    const tooling = app.synth().getStackByName('Tooling');
    const phases = publishBuildSpec(tooling.template);
    expect(phases.install.commands).toEqual([
      'mkdir -p /tmp/cdkx-asset-publisher && (cd /tmp/cdkx-asset-publisher && npm install --prefix /tmp/cdkx-asset-publisher --no-save --no-package-lock '
      + '--ignore-scripts --no-audit --no-fund @aws-cdk/cdk-assets-lib@1.4.2 @aws-cdk/cloud-assembly-schema@56.0.1)',
    ]);
    expect(phases.build.commands.join('\n')).toContain('with @aws-cdk/cloud-assembly-schema@56.0.1: set assetPublishing.cloudAssemblySchemaVersion');
    expect(tooling.messages.filter((m) => m.level === 'warning').map((m) => [m.id, m.entry.data])).toEqual([[
      '/Tooling/Shop/Assets',
      'assetPublishing: @aws-cdk/cdk-assets-lib@1.4.2 with @aws-cdk/cloud-assembly-schema@56.0.1 is not the locked default pair, so the publish step installs it with npm install '
      + 'and its dependencies (the AWS SDK among them) resolve when the stage runs, without integrity hashes from a lock. Fix: keep the defaults, or acknowledge this warning '
      + '[ack: cdk-cross-account-cicd:assetPublisherUnlocked]',
    ]]);
    // No lock asset and no grant to read one.
    expect(JSON.stringify(tooling.template)).not.toContain('ReadPublisherLock');
  });

  test('the defaults are the versions this project tests with (its devDependency and the schema it resolves)', () => {
    const root = path.join(__dirname, '..', 'node_modules', '@aws-cdk', 'cdk-assets-lib');
    expect(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version).toBe(DEFAULT_CDK_ASSETS_LIB_VERSION);
    const schema = require.resolve('@aws-cdk/cloud-assembly-schema/package.json', { paths: [root] });
    expect(JSON.parse(fs.readFileSync(schema, 'utf8')).version).toBe(DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION);
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

  /**
   * Runs the stage's build commands with these options (credentials that
   * sign nothing real and an endpoint that answers nothing: each refusal
   * must come before any AWS call).
   */
  async function runChecks(options: AssetPublishingOptions): Promise<{ ok: boolean; stderr: string }> {
    const run = await runPublishCommands(publishBuildSpec(synth({ assetPublishing: options })).build.commands, dir, {
      PUBLISH_REGION: REGION, AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    });
    return { ok: run.status === 0, stderr: run.stderr };
  }

  test('a manifest with an image asset stops the stage unless dockerImages is set', async () => {
    const refused = await runChecks(MANIFESTS);
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toContain('cdk.out/ShopApp.assets.json: holds Docker image assets; set assetPublishing.dockerImages to publish them');
    // Allowed, the run passes the check and fails at the first AWS call (port 9 answers nothing).
    const allowed = await runChecks({ ...MANIFESTS, dockerImages: true });
    expect(allowed.ok).toBe(false);
    expect(allowed.stderr).not.toContain('holds Docker image assets');
    expect(allowed.stderr).toContain('was not published');
  });

  test('a manifest path that matches nothing stops the stage', async () => {
    const missing = await runChecks({ manifestPaths: ['dist/*.assets.json'], dockerImages: true });
    expect(missing.ok).toBe(false);
    expect(missing.stderr).toContain('asset manifest dist/*.assets.json is not in the build output');
  });

  test('a manifest of a newer schema than the pinned one stops the stage before any upload, naming the setting to raise', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'cdk.out', 'ShopApp.assets.json'), 'utf8'));
    const future = path.join(dir, 'cdk.out', 'Future.assets.json');
    fs.writeFileSync(future, JSON.stringify({ ...manifest, version: '99.0.0' }));
    try {
      const refused = await runChecks({ manifestPaths: ['cdk.out/ShopApp.assets.json', 'cdk.out/Future.assets.json'], dockerImages: true });
      expect(refused.ok).toBe(false);
      expect(refused.stderr).toContain('cdk.out/Future.assets.json: ');
      expect(refused.stderr).toContain('99.0.0');
      expect(refused.stderr).toContain('(the publish step reads asset manifests with @aws-cdk/cloud-assembly-schema@55.6.0: '
        + 'set assetPublishing.cloudAssemblySchemaVersion to a release whose major version is that of the manifest)');
      // The readable manifest listed first was not published either: every manifest is read before any upload.
      expect(refused.stderr).not.toContain('was not published');
    } finally {
      fs.rmSync(future);
    }
  });

  test('an asset built by a command (source.executable) stops the stage: the publish step runs no repository code', async () => {
    const file = path.join(dir, 'cdk.out', 'ShopApp.assets.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    const copy = path.join(dir, 'cdk.out', 'Built.assets.json');
    const [first] = Object.values<any>(manifest.files);
    first.source = { executable: ['sh', '-c', 'echo pwned'] };
    fs.writeFileSync(copy, JSON.stringify({ ...manifest, dockerImages: {} }));
    try {
      const refused = await runChecks({ manifestPaths: ['cdk.out/Built.assets.json'] });
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

  test.each([
    ['cdkAssetsLibVersion', '^1.5.0', '1.5.0'],
    ['cloudAssemblySchemaVersion', 'latest', '55.6.0'],
  ] as const)('a %s that is not exact (%s)', (name, value, example) => {
    expect(message({ ...MANIFESTS, [name]: value })).toContain(
      `assetPublishing.${name} = ${JSON.stringify(value)}: must be an exact version, so that every run publishes with the same code. Fix: pin a release such as '${example}'`);
  });

  test('a schema older than the one this aws-cdk-lib writes: a warning naming the version to set', () => {
    const writer = Manifest.version();
    const older = `${Number(writer.split('.')[0]) - 1}.0.0`;
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
    new CrossAccountPipeline(stack, 'Shop', pipelineProps(contract, new ArtifactStore(stack, 'Store', { contract }), {
      assetPublishing: { ...MANIFESTS, cloudAssemblySchemaVersion: older },
    }));
    const warnings = app.synth().getStackByName('Tooling').messages
      .filter((m) => m.level === 'warning' && m.id === '/Tooling/Shop/Assets' && String(m.entry.data).includes('assetSchemaBehind'));
    expect(warnings.map((w) => w.entry.data)).toEqual([
      `assetPublishing.cloudAssemblySchemaVersion = '${older}': this aws-cdk-lib writes asset manifests of schema ${writer}, which the publish step cannot read. `
      + `Fix: if the released application uses this aws-cdk-lib, set assetPublishing.cloudAssemblySchemaVersion to a ${writer.split('.')[0]}.x release of @aws-cdk/cloud-assembly-schema `
      + '[ack: cdk-cross-account-cicd:assetSchemaBehind]',
    ]);
    // The default reads what this aws-cdk-lib writes: no warning.
    const quiet = new App();
    const quietStack = new Stack(quiet, 'Tooling', { env: { account: TOOLING, region: REGION } });
    new CrossAccountPipeline(quietStack, 'Shop', pipelineProps(contract, new ArtifactStore(quietStack, 'Store', { contract })));
    expect(quiet.synth().getStackByName('Tooling').messages.filter((m) => m.level === 'warning')).toEqual([]);
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
