/**
 * Access proof for the application assets under `assets/` of the artifact
 * store (test/support/access-model.ts, real IAM logic on the synthesized
 * templates): a tooling account with one store and a pipeline that publishes
 * assets, and two tenant accounts with their TenantDeploymentRole, in an
 * organization.
 *
 * Must show: each tenant's execution role (which CloudFormation uses to create
 * the Lambda functions, reading their code from the store) reads an asset and
 * decrypts it through S3 in its region, and cannot write there; the publish
 * role of the Assets stage writes assets/ with the store key and nothing else;
 * the build (repository code) and a tooling admin allowed everything cannot
 * write assets/ (the bucket policy's deny), which rests on that deny (removed,
 * they could).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, TenantDeploymentRole,
} from '../src';
import { AccessModel, AccessModelOptions, AccessRequest, Decision, ModelRole } from './support/access-model';
import { LoadedBucket, LoadedKey } from './support/assembly';

const TOOLING = '111111111111';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const TENANTS = ['222222222222', '333333333333'];
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const OPTIONS: AccessModelOptions = { organizations: [{ id: ORG_ID, accounts: [TOOLING, ...TENANTS] }] };
const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com` };

function buildAssembly(): cxapi.CloudAssembly {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  new CrossAccountPipeline(tooling, 'Shop', {
    contract,
    artifactStore: new ArtifactStore(tooling, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'cdk.out/ShopApp.template.json' }),
    pipelineName: 'shop-release',
    stages: [{ name: 'Prod', targets: TENANTS.map((account, i) => ({ id: `t${i}`, account, region: REGION })) }],
    assetPublishing: { manifestPaths: ['cdk.out/*.assets.json'] },
  });
  TENANTS.forEach((account, i) => {
    new TenantDeploymentRole(new Stack(app, `Tenant${i}`, { env: { account, region: REGION } }), 'Deploy', { contract });
  });
  return app.synth();
}

describe('assets/ of the artifact store', () => {
  let assembly: cxapi.CloudAssembly;
  let model: AccessModel;
  let bucket: LoadedBucket;
  let key: LoadedKey;
  let publish: ModelRole;
  let build: ModelRole;
  const object = (name: string) => `${bucket.arn}/${name}`;
  const asset = () => object('assets/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0.zip');
  // What cdk-assets sends: aws:kms and the bucket's default key (its ARN, from GetBucketEncryption).
  const withKey = () => ({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key.arn });
  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);

  beforeAll(() => {
    assembly = buildAssembly();
    model = AccessModel.fromAssembly(assembly, OPTIONS);
    bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${REGION}`);
    key = model.key(TOOLING, 'alias/cdkx-main-artifacts');
    publish = model.role(TOOLING, /ShopAssetsPublishRole/);
    build = model.role(TOOLING, /ShopBuildRole/);
  });

  test.each(TENANTS)('tenant %s: its execution role may s3:GetObject an asset and kms:Decrypt it through S3 in its region: allowed', async (tenant) => {
    const exec = model.role(tenant, 'cdkx-main-cfn-exec');
    await expectDecision({ principal: exec, action: 's3:GetObject', resource: asset() }, 'Allowed');
    await expectDecision({ principal: exec, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'Allowed');
    // Only through S3 of the store's region.
    await expectDecision({ principal: exec, action: 'kms:Decrypt', resource: key.arn, context: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }, 'ImplicitlyDenied');
  });

  test.each(TENANTS)('tenant %s: its execution and action roles may s3:PutObject an asset: denied, even allowed everything by their own policy', async (tenant) => {
    for (const name of ['cdkx-main-cfn-exec', 'cdkx-main-deploy-action']) {
      const role = model.role(tenant, name);
      await expectDecision({ principal: role, action: 's3:PutObject', resource: asset(), context: withKey() }, 'ExplicitlyDenied');
      await expectDecision({ principal: { ...role, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: asset(), context: withKey() }, 'ExplicitlyDenied');
    }
  });

  test('the publish role may do what cdk-assets does for a file asset: locate the bucket, read its encryption, list assets/, put with the store key', async () => {
    await expectDecision({ principal: publish, action: 's3:GetBucketLocation', resource: bucket.arn }, 'Allowed');
    await expectDecision({ principal: publish, action: 's3:GetEncryptionConfiguration', resource: bucket.arn }, 'Allowed');
    await expectDecision({ principal: publish, action: 's3:ListBucket', resource: bucket.arn, context: { 's3:prefix': 'assets/0f1e2d3c.zip' } }, 'Allowed');
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: asset(), context: withKey() }, 'Allowed');
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      await expectDecision({ principal: publish, action, resource: key.arn, context: VIA_S3 }, 'Allowed');
    }
  });

  test('the publish role may put an asset with another key or without KMS: denied by the store', async () => {
    const otherKey = `arn:aws:kms:${REGION}:${TOOLING}:key/00000000-1111-2222-3333-444444444444`;
    await expectDecision({
      principal: publish,
      action: 's3:PutObject',
      resource: asset(),
      context: { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': otherKey },
    }, 'ExplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: asset(), context: { 's3:x-amz-server-side-encryption': 'AES256' } }, 'ExplicitlyDenied');
  });

  test('the publish role may write or list outside assets/, or delete an asset: denied', async () => {
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: object('handoff/shop-release-2/release.zip'), context: withKey() }, 'ImplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d'), context: withKey() }, 'ImplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:DeleteObject', resource: asset() }, 'ImplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:ListBucket', resource: bucket.arn, context: { 's3:prefix': 'shop-release/' } }, 'ImplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:DeleteObjectVersion', resource: asset() }, 'ImplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:PutBucketPolicy', resource: bucket.arn }, 'ImplicitlyDenied');
    // It reads the build output of its pipeline (the manifests and the asset sources).
    await expectDecision({ principal: publish, action: 's3:GetObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'Allowed');
  });

  test('the build (repository code) may put an asset: denied by the bucket policy, even with an identity allowing it', async () => {
    await expectDecision({ principal: build, action: 's3:PutObject', resource: asset(), context: withKey() }, 'ExplicitlyDenied');
    await expectDecision({ principal: { ...build, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: asset(), context: withKey() }, 'ExplicitlyDenied');
    // Control: its own build output.
    await expectDecision({ principal: build, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d'), context: withKey() }, 'Allowed');
  });

  test('a tooling admin allowed everything may put or delete an asset: denied; a role on the pipeline path: allowed', async () => {
    const admin = model.externalRole(`arn:aws:iam::${TOOLING}:role/ops-admin`, { identity: 'allow-all-tested' });
    await expectDecision({ principal: admin, action: 's3:PutObject', resource: asset(), context: withKey() }, 'ExplicitlyDenied');
    for (const action of ['s3:DeleteObject', 's3:DeleteObjectVersion']) {
      await expectDecision({ principal: admin, action, resource: asset() }, 'ExplicitlyDenied');
    }
    await expectDecision({ principal: admin, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d'), context: withKey() }, 'Allowed');
    const onPath = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/other`, { identity: 'allow-all-tested' });
    await expectDecision({ principal: onPath, action: 's3:PutObject', resource: asset(), context: withKey() }, 'Allowed');
  });

  describe('the proof rests on the deny of assets/* (template with it removed)', () => {
    let dir: string;
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('without assets/* in the deny, the tooling admin and a widened build could write an asset', async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-publishing-access-'));
      fs.cpSync(assembly.directory, dir, { recursive: true, filter: (src) => !path.basename(src).startsWith('asset.') });
      const file = path.join(dir, assembly.getStackByName('Tooling').templateFile);
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      let removed = 0;
      for (const resource of Object.values<any>(template.Resources)) {
        if (resource.Type !== 'AWS::S3::BucketPolicy') continue;
        for (const statement of resource.Properties.PolicyDocument.Statement) {
          if (statement.Sid !== 'OnlyPipelineRolesWriteHandoffs') continue;
          const before = statement.Resource.length;
          statement.Resource = statement.Resource.filter((r: unknown) => !JSON.stringify(r).includes('/assets/*'));
          removed += before - statement.Resource.length;
        }
      }
      expect(removed).toBe(1);
      fs.writeFileSync(file, JSON.stringify(template));
      const m = AccessModel.fromAssembly(new cxapi.CloudAssembly(dir), OPTIONS);
      const admin = m.externalRole(`arn:aws:iam::${TOOLING}:role/ops-admin`, { identity: 'allow-all-tested' });
      await m.expectDecision({ principal: admin, action: 's3:PutObject', resource: asset(), context: withKey() }, 'Allowed');
      const widened = m.role(TOOLING, /ShopBuildRole/);
      await m.expectDecision({ principal: { ...widened, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: asset(), context: withKey() }, 'Allowed');
    });
  });
});
