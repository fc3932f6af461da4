/**
 * Shipping scenario (issue 13, "Must show"): a CDK application with a Lambda
 * function from a code directory and a container image (a DockerImageAsset
 * and a Lambda function from an image), synthesized with
 * ContractStackSynthesizer, deployed by one CrossAccountPipeline to two tenant
 * accounts in two regions (four targets). Built from the public API only, the
 * way a user would.
 *
 * Must show: the assets are published once per region (2 publish actions, not
 * 4); the application template and its asset manifest name only the
 * contract's store and repository (no bootstrap bucket, role or version);
 * the Assets stage's commands, run with the real publisher
 * (@aws-cdk/cdk-assets-lib) against a local AWS endpoint, publish each asset
 * once into each region's store and repository, with requests that the
 * publish role is allowed; and, with real IAM logic on the synthesized
 * templates (test/support/access-model.ts), each tenant's execution role
 * (and Lambda or ECS on the tenant's behalf) may read its region's assets and
 * may not write them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecr_assets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Manifest } from 'aws-cdk-lib/cloud-assembly-schema';
import * as cxapi from 'aws-cdk-lib/cx-api';
import {
  ArtifactStore, ContainerRegistry, ContractStackSynthesizer, CrossAccountPipeline, DeploymentContract, DeploymentKind, DeploymentPermissions,
  PipelineSource, TenantDeploymentRole,
} from '../src';
import { AccessModel, AccessModelOptions, AccessRequest, Decision, ModelRole } from './support/access-model';
import { LoadedBucket, LoadedKey, LoadedRepository } from './support/assembly';
import { publishBuildSpec, runPublishCommands } from './support/asset-publish-run';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';
import { LocalAwsEndpoint, RecordedRequest } from './support/local-aws-endpoint';

const TOOLING = '111111111111';
const TENANTS = ['222222222222', '333333333333'];
const STRANGER = '999999999999';
const REGIONS = ['us-east-1', 'eu-west-1'];
const PIPELINE_REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const FIXTURES = path.join(__dirname, 'fixtures', 'app-assets');
const OPTIONS: AccessModelOptions = {
  organizations: [{ id: ORG_ID, accounts: [TOOLING, ...TENANTS] }],
  // The pipeline's custom-resource Lambda roles carry AWSLambdaBasicExecutionRole.
  awsManagedPolicies: AWS_MANAGED_POLICIES,
};
const ASSET_KEY = 'assets/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0.zip';

/** The user's application: one template for every tenant and region (environment-agnostic). */
function applicationStack(app: App, contract: DeploymentContract): Stack {
  const stack = new Stack(app, 'ShopApp', { synthesizer: new ContractStackSynthesizer({ contract }) });
  new lambda.Function(stack, 'Handler', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(FIXTURES, 'handler')),
  });
  // An image for a container service (its URI is exported), and a Lambda function from the same image.
  const image = new ecr_assets.DockerImageAsset(stack, 'Image', { directory: path.join(FIXTURES, 'image') });
  stack.exportValue(image.imageUri, { name: 'ShopImageUri' });
  new lambda.DockerImageFunction(stack, 'ImageHandler', { code: lambda.DockerImageCode.fromImageAsset(path.join(FIXTURES, 'image')) });
  return stack;
}

interface Scenario { readonly assembly: cxapi.CloudAssembly; readonly contract: DeploymentContract }

/**
 * The whole scenario. The access model takes it without the application stack: that stack is
 * environment-agnostic (one template for every tenant and region) and holds no grant to the assets.
 */
function buildScenario(includeApplication = true, withContainerImagesPreset = true): Scenario {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
  if (includeApplication) applicationStack(app, contract);
  // The tooling account: a store and a registry in every target region; the pipeline in one of them.
  const stores: Record<string, ArtifactStore> = {};
  for (const region of REGIONS) {
    const tooling = new Stack(app, `Tooling-${region}`, { env: { account: TOOLING, region } });
    stores[region] = new ArtifactStore(tooling, 'Store', { contract });
    new ContainerRegistry(tooling, 'Images', { contract });
  }
  new CrossAccountPipeline(stores[PIPELINE_REGION].stack, 'Shop', {
    contract,
    artifactStore: stores[PIPELINE_REGION],
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: `${contract.stackNamePrefix}shop`, templatePath: 'cdk.out/ShopApp.template.json' }),
    pipelineName: 'shop-release',
    stages: [{
      name: 'Prod',
      targets: TENANTS.flatMap((account, i) => REGIONS.map((region) => ({ id: `tenant${i}-${region}`, account, region }))),
    }],
    assetPublishing: { manifestPaths: ['cdk.out/ShopApp.assets.json'], dockerImages: true },
  });
  // Each tenant account: its deployment roles (IAM is global: one stack per account serves both regions).
  TENANTS.forEach((account, i) => {
    new TenantDeploymentRole(new Stack(app, `Tenant${i}`, { env: { account, region: PIPELINE_REGION } }), 'Deploy', {
      contract,
      // Lambda checks that the creator of a function from a cross-account image may read it on its own
      // identity side (https://repost.aws/knowledge-center/lambda-ecr-image): the containerImages preset.
      permissions: withContainerImagesPreset ? [DeploymentPermissions.containerImages()] : [],
      // What the application stack creates, written by the user.
      executionRoleStatements: [
        new iam.PolicyStatement({
          actions: ['lambda:CreateFunction', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:GetFunction', 'lambda:DeleteFunction'],
          resources: [`arn:aws:lambda:*:${account}:function:${contract.stackNamePrefix}*`],
        }),
      ],
    });
  });
  return { assembly: app.synth(), contract };
}

/** Every string of a template, intrinsics flattened (Fn::Sub bodies and Fn::Join pieces included). */
function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

const scenario = buildScenario();
const Q = scenario.contract.qualifier;
const STORE = (region: string) => `cdkx-${Q}-artifacts-${TOOLING}-${region}`;
const REPOSITORY = `cdkx-${Q}/assets`;
const appTemplate = () => scenario.assembly.getStackByName('ShopApp').template;
const manifestFile = () => (scenario.assembly.artifacts.find((a) => a instanceof cxapi.AssetManifestArtifact && a.id.startsWith('ShopApp')) as cxapi.AssetManifestArtifact).file;

describe('the pipeline', () => {
  const pipeline = () => {
    const template = scenario.assembly.getStackByName(`Tooling-${PIPELINE_REGION}`).template;
    return Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline').Properties;
  };

  test('4 targets (2 tenants x 2 regions), deployed after the Assets stage', () => {
    const stages = pipeline().Stages;
    expect(stages.map((s: any) => s.Name)).toEqual(['Source', 'Build', 'Assets', 'Prod-Wave-1-of-1']);
    const deploys = stages[3].Actions.filter((a: any) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(deploys).toHaveLength(4);
    expect(new Set(deploys.map((a: any) => a.Region ?? PIPELINE_REGION))).toEqual(new Set(REGIONS));
  });

  test('the assets are published once per region: 2 publish actions, not 4', () => {
    const assets = pipeline().Stages.find((s: any) => s.Name === 'Assets');
    expect(assets.Actions).toHaveLength(REGIONS.length);
    expect(assets.Actions).not.toHaveLength(TENANTS.length * REGIONS.length);
    expect(assets.Actions.map((a: any) => JSON.parse(a.Configuration.EnvironmentVariables)[0].value).sort()).toEqual([...REGIONS].sort());
  });
});

describe('the application template', () => {
  test('mentions no bootstrap bucket, role, repository or version', () => {
    const template = appTemplate();
    expect(template.Parameters?.BootstrapVersion).toBeUndefined();
    const all = strings(template).join('\n');
    expect(all).not.toMatch(/hnb659fds/);
    expect(all).not.toMatch(/BootstrapVersion/);
    expect(all).not.toMatch(/cdk-[a-z0-9]+-(assets|container-assets|cfn-exec-role|deploy-role|file-publishing|image-publishing)/);
  });

  test('every S3 location is the contract\'s store of the deployment region, under assets/', () => {
    const functions = Object.values<any>(appTemplate().Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const zipped = functions.filter((f) => f.Properties.Code.S3Bucket);
    expect(zipped).toHaveLength(1);
    for (const f of zipped) {
      expect(f.Properties.Code.S3Bucket).toEqual({ 'Fn::Sub': `${STORE('${AWS::Region}')}` });
      expect(f.Properties.Code.S3Key).toMatch(/^assets\/[0-9a-f]{64}\.zip$/);
    }
    const all = strings(appTemplate()).join('\n');
    const buckets = [...all.matchAll(/[a-z0-9-]*-artifacts-[0-9]{12}-[^\s"/]+|cdk-[a-z0-9]+-assets-[^\s"/]+/g)].map((m) => m[0]);
    expect(new Set(buckets)).toEqual(new Set([STORE('${AWS::Region}')]));
  });

  test('every image reference is the contract\'s repository in the tooling account and the deployment region', () => {
    const resources = Object.values<any>(appTemplate().Resources);
    const imageFunctions = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.PackageType === 'Image');
    expect(imageFunctions).toHaveLength(1);
    const uris = [JSON.stringify(imageFunctions[0].Properties.Code.ImageUri), JSON.stringify(appTemplate().Outputs)];
    for (const uri of uris) {
      expect(uri).toContain(`${TOOLING}.dkr.ecr.`);
      expect(uri).toContain('{"Ref":"AWS::Region"}');
      expect(uri).toContain(`/${REPOSITORY}:`);
    }
    // Every repository name in the template is the contract's, in the tooling account.
    // Image URIs are Fn::Join pieces: '<account>.dkr.ecr.', region, '.', URL suffix, '/<repository>:<tag>'.
    const repositories = strings(appTemplate()).map((piece) => /^\/([^:]+):[0-9a-f]{64}$/.exec(piece)?.[1]).filter((r) => r !== undefined);
    const registries = strings(appTemplate()).filter((piece) => /\.dkr\.ecr\./.test(piece));
    expect(repositories).toHaveLength(2);
    expect(new Set(repositories)).toEqual(new Set([REPOSITORY]));
    expect(new Set(registries)).toEqual(new Set([`${TOOLING}.dkr.ecr.`]));
  });

  test('names no ECR repository ARN: no pull grant points into the tenant account (Lambda pulls as a service)', () => {
    expect(strings(appTemplate()).filter((piece) => /:ecr:|:repository\//.test(piece))).toEqual([]);
  });
});

describe('the asset manifest', () => {
  test('file destinations name only the contract\'s store, under assets/', () => {
    const manifest = Manifest.loadAssetManifest(manifestFile());
    const files = Object.values(manifest.files ?? {});
    expect(files).toHaveLength(2); // the Lambda code and the template
    for (const file of files) {
      for (const d of Object.values(file.destinations)) {
        expect(d.bucketName).toBe(STORE('${AWS::Region}'));
        expect(d.objectKey).toMatch(/^assets\//);
        expect(d.assumeRoleArn).toBeUndefined();
      }
    }
  });

  test('image destinations name only the repository cdkx-<q>/assets', () => {
    const manifest = Manifest.loadAssetManifest(manifestFile());
    const images = Object.values(manifest.dockerImages ?? {});
    // The DockerImageAsset and the image of the function share one source, so one image asset.
    expect(images).toHaveLength(1);
    for (const image of images) {
      for (const d of Object.values(image.destinations)) {
        expect(d.repositoryName).toBe(REPOSITORY);
        expect(d.assumeRoleArn).toBeUndefined();
      }
    }
  });
});

describe('access proof: each tenant reads its region\'s assets and cannot write them', () => {
  let model: AccessModel;
  const VIA_S3 = (region: string) => ({ 'kms:ViaService': `s3.${region}.amazonaws.com` });
  const bucket = (region: string): LoadedBucket => model.bucket(TOOLING, STORE(region));
  const key = (region: string): LoadedKey => {
    const keys = model.assembly.keys.filter((k) => k.account === TOOLING && k.region === region && k.aliases.includes(`alias/cdkx-${Q}-artifacts`));
    expect(keys).toHaveLength(1);
    return keys[0];
  };
  const repository = (region: string): LoadedRepository => {
    const repositories = model.assembly.repositories.filter((r) => r.account === TOOLING && r.region === region && r.name === REPOSITORY);
    expect(repositories).toHaveLength(1);
    return repositories[0];
  };
  const exec = (tenant: string): ModelRole => model.role(tenant, `cdkx-${Q}-cfn-exec`);
  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);
  const withKey = (region: string) => ({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key(region).arn });
  const CASES = TENANTS.flatMap((tenant) => REGIONS.map((region) => [tenant, region] as const));

  beforeAll(() => {
    model = AccessModel.fromAssembly(buildScenario(false).assembly, OPTIONS);
  });

  test('the model holds a store, a key and an assets repository in each region', () => {
    for (const region of REGIONS) {
      expect(bucket(region).region).toBe(region);
      expect(key(region).region).toBe(region);
      expect(repository(region).arn).toBe(`arn:aws:ecr:${region}:${TOOLING}:repository/${REPOSITORY}`);
    }
  });

  test.each(CASES)('tenant %s in %s: the execution role may GetObject an asset of that region\'s store and kms:Decrypt through S3 there', async (tenant, region) => {
    await expectDecision({ principal: exec(tenant), action: 's3:GetObject', resource: `${bucket(region).arn}/${ASSET_KEY}` }, 'Allowed');
    await expectDecision({ principal: exec(tenant), action: 'kms:Decrypt', resource: key(region).arn, context: VIA_S3(region) }, 'Allowed');
    // Not outside S3 of that region.
    const other = REGIONS.find((r) => r !== region)!;
    await expectDecision({ principal: exec(tenant), action: 'kms:Decrypt', resource: key(region).arn, context: VIA_S3(other) }, 'ImplicitlyDenied');
    await expectDecision({ principal: exec(tenant), action: 'kms:Decrypt', resource: key(region).arn }, 'ImplicitlyDenied');
  });

  test.each(CASES)('tenant %s in %s: the execution and action roles may not PutObject an asset, even allowed everything by their own policy', async (tenant, region) => {
    for (const name of [`cdkx-${Q}-cfn-exec`, `cdkx-${Q}-deploy-action`]) {
      const role = model.role(tenant, name);
      await expectDecision({ principal: role, action: 's3:PutObject', resource: `${bucket(region).arn}/${ASSET_KEY}`, context: withKey(region) }, 'ExplicitlyDenied');
      await expectDecision({
        principal: { ...role, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: `${bucket(region).arn}/${ASSET_KEY}`, context: withKey(region),
      }, 'ExplicitlyDenied');
    }
  });

  test.each(CASES)('tenant %s in %s: Lambda, for a function of the tenant in that region, may fetch the image', async (tenant, region) => {
    const functionArn = `arn:aws:lambda:${region}:${tenant}:function:${scenario.contract.stackNamePrefix}shop-ImageHandler-1A2B3C`;
    for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) {
      await expectDecision({
        principal: model.service('lambda.amazonaws.com'), action, resource: repository(region).arn, context: { 'aws:SourceArn': functionArn, 'aws:SourceAccount': tenant },
      }, 'Allowed');
    }
    // A function of that tenant in the other region: denied (Lambda pulls within a region).
    const other = REGIONS.find((r) => r !== region)!;
    const elsewhere = functionArn.replace(`:${region}:`, `:${other}:`);
    await expectDecision({
      principal: model.service('lambda.amazonaws.com'), action: 'ecr:BatchGetImage', resource: repository(region).arn, context: { 'aws:SourceArn': elsewhere, 'aws:SourceAccount': tenant },
    }, 'ImplicitlyDenied');
  });

  test.each(CASES)('tenant %s in %s: the execution role (the creator Lambda checks) may read the image', async (tenant, region) => {
    for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) {
      await expectDecision({ principal: exec(tenant), action, resource: repository(region).arn }, 'Allowed');
    }
  });

  test('control: without the containerImages preset the execution role may not read the image (the repository policy alone does not suffice across accounts)', async () => {
    const bare = AccessModel.fromAssembly(buildScenario(false, false).assembly, OPTIONS);
    const repo = bare.assembly.repositories.find((r) => r.account === TOOLING && r.region === PIPELINE_REGION && r.name === REPOSITORY)!;
    await bare.expectDecision({ principal: bare.role(TENANTS[0], `cdkx-${Q}-cfn-exec`), action: 'ecr:BatchGetImage', resource: repo.arn }, 'ImplicitlyDenied');
    // The repository side admits it: the same request with an identity that allows it.
    await bare.expectDecision({
      principal: { ...bare.role(TENANTS[0], `cdkx-${Q}-cfn-exec`), identity: 'allow-all-tested' }, action: 'ecr:BatchGetImage', resource: repo.arn,
    }, 'Allowed');
  });

  test.each(CASES)('tenant %s in %s: an ECS task execution role on the image-pull path may pull; a role of the tenant off that path may not', async (tenant, region) => {
    const pullPath = ContainerRegistry.imagePullRolePath(scenario.contract);
    const pull = model.externalRole(`arn:aws:iam::${tenant}:role${pullPath}shop-web-task-execution`);
    for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability']) {
      await expectDecision({ principal: pull, action, resource: repository(region).arn }, 'Allowed');
    }
    const random = model.externalRole(`arn:aws:iam::${tenant}:role/shop-web-task-execution`);
    await expectDecision({ principal: random, action: 'ecr:BatchGetImage', resource: repository(region).arn }, 'ImplicitlyDenied');
  });

  test.each(CASES)('tenant %s in %s: the execution role may not push, even allowed everything by its own policy', async (tenant, region) => {
    for (const action of ['ecr:PutImage', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload']) {
      await expectDecision({ principal: exec(tenant), action, resource: repository(region).arn }, 'ImplicitlyDenied');
      await expectDecision({ principal: { ...exec(tenant), identity: 'allow-all-tested' }, action, resource: repository(region).arn }, 'ImplicitlyDenied');
    }
  });

  test('an account outside the organization: its execution role may read neither the assets nor the image', async () => {
    const stranger = model.externalRole(`arn:aws:iam::${STRANGER}:role/cdkx-${Q}-cfn-exec`);
    for (const region of REGIONS) {
      await expectDecision({ principal: stranger, action: 's3:GetObject', resource: `${bucket(region).arn}/${ASSET_KEY}` }, 'ImplicitlyDenied');
      await expectDecision({ principal: stranger, action: 'ecr:BatchGetImage', resource: repository(region).arn }, 'ImplicitlyDenied');
    }
  });
});

describe('the Assets stage run with the real publisher (offline): each asset once into each region, every request allowed to the publish role', () => {
  let model: AccessModel;
  let endpoint: LocalAwsEndpoint;
  let buildOutput: string;
  let dockerLog: string;
  const runs: Record<string, { status: number | null; stderr: string; requests: RecordedRequest[]; docker: string[] }> = {};
  const manifest = () => Manifest.loadAssetManifest(manifestFile());
  const storeKey = (region: string) => model.assembly.keys.find((k) => k.account === TOOLING && k.region === region && k.aliases.includes(`alias/cdkx-${Q}-artifacts`))!;

  /** Runs the synthesized build commands of the Assets stage, as the action of that region does. */
  async function publish(region: string) {
    endpoint.clearRequests();
    fs.writeFileSync(dockerLog, '');
    const commands = publishBuildSpec(scenario.assembly.getStackByName(`Tooling-${PIPELINE_REGION}`).template).build.commands;
    const run = await runPublishCommands(commands, buildOutput, {
      PUBLISH_REGION: region,
      AWS_ENDPOINT_URL: endpoint.endpoint,
      // Docker is not on this machine: a stand-in records what the publisher asks of it.
      PATH: `${path.dirname(dockerLog)}:${process.env.PATH}`,
      DOCKER_LOG: dockerLog,
    });
    return { status: run.status, stderr: run.stderr, requests: [...endpoint.requests], docker: fs.readFileSync(dockerLog, 'utf8').split('\n').filter(Boolean) };
  }

  beforeAll(async () => {
    model = AccessModel.fromAssembly(buildScenario(false).assembly, OPTIONS);
    buildOutput = fs.mkdtempSync(path.join(os.tmpdir(), 'shipping-publish-'));
    // The build output holds the application's cloud assembly as cdk.out (the manifest path the pipeline names).
    fs.symlinkSync(scenario.assembly.directory, path.join(buildOutput, 'cdk.out'));
    const bin = path.join(buildOutput, 'bin');
    fs.mkdirSync(bin);
    dockerLog = path.join(bin, 'docker.log');
    fs.writeFileSync(path.join(bin, 'docker'), [
      '#!/bin/sh',
      'echo "$*" >> "$DOCKER_LOG"',
      // Nothing is cached locally (inspect fails), so the image is built; the login reads its password.
      'case "$1" in inspect) exit 1;; login) cat >/dev/null;; esac',
      'exit 0',
    ].join('\n'), { mode: 0o755 });
    endpoint = await LocalAwsEndpoint.start(
      REGIONS.map((region) => ({ name: STORE(region), region, kmsKeyArn: storeKey(region).arn })),
      REGIONS.map((region) => ({ name: REPOSITORY, account: TOOLING, region })),
    );
    for (const region of REGIONS) runs[region] = await publish(region);
  });

  afterAll(async () => {
    await endpoint?.stop();
    fs.rmSync(buildOutput, { recursive: true, force: true });
  });

  test('the manifest is of the schema this aws-cdk-lib writes, which the pinned publisher reads', () => {
    expect(JSON.parse(fs.readFileSync(manifestFile(), 'utf8')).version).toBe(Manifest.version());
    for (const region of REGIONS) expect({ region, status: runs[region].status, stderr: runs[region].stderr }).toEqual({ region, status: 0, stderr: '' });
  });

  test.each(REGIONS)('in %s: the Lambda code and the template land in that region\'s store under assets/, encrypted with its key', (region) => {
    const files = Object.values(manifest().files ?? {});
    const keys = files.flatMap((f) => Object.values(f.destinations).map((d) => d.objectKey));
    expect([...endpoint.objects.keys()].filter((k) => k.startsWith(`${STORE(region)}/`)).sort()).toEqual(keys.map((k) => `${STORE(region)}/${k}`).sort());
    for (const key of keys) {
      const object = endpoint.objects.get(`${STORE(region)}/${key}`)!;
      expect(object.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(object.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(storeKey(region).arn);
    }
    const template = files.find((f) => f.source.path?.endsWith('.template.json'))!;
    const templateKey = Object.values(template.destinations)[0].objectKey;
    expect(endpoint.objects.get(`${STORE(region)}/${templateKey}`)!.body.toString('utf8'))
      .toBe(fs.readFileSync(path.join(scenario.assembly.directory, template.source.path!), 'utf8'));
    const code = files.find((f) => f.source.packaging === 'zip')!;
    expect(endpoint.objects.get(`${STORE(region)}/${Object.values(code.destinations)[0].objectKey}`)!.body.subarray(0, 2).toString('latin1')).toBe('PK');
  });

  test.each(REGIONS)('in %s: the image is built once and pushed to cdkx-<q>/assets of the tooling account there, after a login to that registry', (region) => {
    const [image] = Object.values(manifest().dockerImages ?? {});
    const tag = Object.values(image.destinations)[0].imageTag;
    const registry = `${TOOLING}.dkr.ecr.${region}.amazonaws.com`;
    const docker = runs[region].docker;
    expect(docker.filter((c) => c.startsWith('login '))).toEqual([`login --username AWS --password-stdin ${registry}`]);
    expect(docker.filter((c) => c.startsWith('build '))).toHaveLength(1);
    expect(docker.filter((c) => c.startsWith('push '))).toEqual([`push ${registry}/${REPOSITORY}:${tag}`]);
  });

  test.each(REGIONS)('in %s: every request the publisher made is allowed to the publish role, and names only that region\'s store and repository', async (region) => {
    const role = model.role(TOOLING, /ShopAssetsPublishRole/);
    const requests = runs[region].requests;
    expect(requests.length).toBeGreaterThan(0);
    const repositoryArn = `arn:aws:ecr:${region}:${TOOLING}:repository/${REPOSITORY}`;
    for (const request of requests) {
      if (request.service === 'ecr') {
        expect(request.region).toBe(region);
        const resource = request.operation === 'GetAuthorizationToken' ? '*' : repositoryArn;
        await model.expectDecision({ principal: role, action: `ecr:${request.operation}`, resource }, 'Allowed');
        continue;
      }
      expect(request.bucket).toBe(STORE(region));
      const bucketArn = `arn:aws:s3:::${request.bucket}`;
      if ('location' in request.query) {
        await model.expectDecision({ principal: role, action: 's3:GetBucketLocation', resource: bucketArn }, 'Allowed');
      } else if ('encryption' in request.query) {
        await model.expectDecision({ principal: role, action: 's3:GetEncryptionConfiguration', resource: bucketArn }, 'Allowed');
      } else if (request.query['list-type'] === '2') {
        await model.expectDecision({ principal: role, action: 's3:ListBucket', resource: bucketArn, context: { 's3:prefix': request.query.prefix } }, 'Allowed');
      } else {
        expect(request.method).toBe('PUT');
        await model.expectDecision({
          principal: role,
          action: 's3:PutObject',
          resource: `${bucketArn}/${request.key}`,
          context: {
            's3:x-amz-server-side-encryption': String(request.headers['x-amz-server-side-encryption']),
            's3:x-amz-server-side-encryption-aws-kms-key-id': String(request.headers['x-amz-server-side-encryption-aws-kms-key-id']),
          },
        }, 'Allowed');
      }
    }
    // What was called: each kind of request, so the loop above checked every one.
    const kinds = new Set(requests.map((r) => r.service === 'ecr' ? `ecr:${r.operation}` : r.method === 'PUT' ? 's3:PutObject' : `s3:${Object.keys(r.query).sort()[0]}`));
    expect([...kinds].sort()).toEqual(['ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:GetAuthorizationToken', 's3:PutObject', 's3:encryption', 's3:list-type', 's3:location']);
  });

  test('a second run finds the files published and uploads nothing', async () => {
    const again = await publish(PIPELINE_REGION);
    expect(again.status).toBe(0);
    expect(again.requests.filter((r) => r.service === 's3' && r.method === 'PUT')).toEqual([]);
  });
});
