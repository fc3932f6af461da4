/**
 * Access proofs for who may write into the artifact store: a tooling account
 * with one store and two pipelines, shop-release and blog-release, evaluated
 * with real IAM logic (test/support/access-model.ts). When a pipeline's
 * targets need a chain, its first pipeline hands the release to the next one
 * through `handoff/<next pipeline>/release.zip`, whose "Object Created" event
 * starts it (cross-account-pipeline.test.ts); the access model does not load
 * nested stacks, so the pipelines here are single ones and the handoff object
 * is the one a chain of shop-release would use.
 *
 * Must show: the build runs repository code, so its role may write only its
 * own pipeline's artifacts and never a handoff (which would start the next
 * pipeline of the chain past the approvals before it); only the pipeline role
 * writes handoffs, even against a tooling principal allowed everything.
 *
 * Every denial is next to a control that differs in one respect and is
 * allowed; the last tests remove one control from the template and show the
 * denial it carried becomes an allow.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget } from '../src';
import { AccessModel, AccessModelOptions, AccessRequest, Decision, ModelRole } from './support/access-model';
import { LoadedBucket, LoadedKey } from './support/assembly';

const TOOLING = '111111111111';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const TARGETS: PipelineTarget[] = ['222222222222', '333333333333', '444444444444']
  .map((account, i) => ({ id: `t${i}`, account, region: REGION }));

interface Mode { readonly name: string; readonly organizationId?: string; readonly options: AccessModelOptions }

const MODES: Mode[] = [
  { name: 'organization mode', organizationId: ORG_ID, options: { organizations: [{ id: ORG_ID, accounts: [TOOLING, ...TARGETS.map((t) => t.account)] }] } },
  { name: 'account-list mode', options: {} },
];

function buildAssembly(mode: Mode): cxapi.CloudAssembly {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const store = new ArtifactStore(stack, 'Store', { contract, readerAccounts: mode.organizationId ? undefined : TARGETS.map((t) => t.account) });
  const common = {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
  };
  new CrossAccountPipeline(stack, 'Shop', {
    ...common,
    pipelineName: 'shop-release',
    stages: [{ name: 'Prod', targets: TARGETS, verify: [{ name: 'Smoke', commands: ['npm run smoke'] }] }],
  });
  new CrossAccountPipeline(stack, 'Blog', { ...common, pipelineName: 'blog-release', stages: [{ name: 'Dev', targets: TARGETS.slice(0, 1) }] });
  return app.synth();
}

describe.each(MODES)('$name', (mode) => {
  let assembly: cxapi.CloudAssembly;
  let model: AccessModel;
  let bucket: LoadedBucket;
  let key: LoadedKey;
  let shopPipeline: ModelRole;
  let shopBuild: ModelRole;
  let shopVerify: ModelRole;
  let blogBuild: ModelRole;
  const object = (keyName: string) => `${bucket.arn}/${keyName}`;
  const handoff = () => object('handoff/shop-release-2/release.zip');
  const withKey = () => ({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key.arn });
  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);

  beforeAll(() => {
    assembly = buildAssembly(mode);
    model = AccessModel.fromAssembly(assembly, mode.options);
    bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${REGION}`);
    key = model.key(TOOLING, 'alias/cdkx-main-artifacts');
    shopPipeline = model.role(TOOLING, /ShopPipelineRole/);
    shopBuild = model.role(TOOLING, /ShopBuildRole/);
    shopVerify = model.role(TOOLING, /ShopVerify0Step0Role/);
    blogBuild = model.role(TOOLING, /BlogBuildRole/);
  });

  test('the shop build role may s3:PutObject the handoff that starts shop-release-2: denied, also with an identity allowing it', async () => {
    await expectDecision({ principal: shopBuild, action: 's3:PutObject', resource: handoff(), context: withKey() }, 'ExplicitlyDenied');
    await expectDecision({ principal: { ...shopBuild, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: handoff() }, 'ExplicitlyDenied');
    // Control: its own build output.
    await expectDecision({ principal: shopBuild, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d'), context: withKey() }, 'Allowed');
  });

  test('the shop pipeline role may s3:PutObject the handoff: allowed', async () => {
    await expectDecision({ principal: shopPipeline, action: 's3:PutObject', resource: handoff(), context: withKey() }, 'Allowed');
    await expectDecision({ principal: shopPipeline, action: 's3:GetObject', resource: handoff() }, 'Allowed');
  });

  test('the shop build role may s3:PutObject or read blog-release\'s artifacts: denied', async () => {
    for (const action of ['s3:PutObject', 's3:GetObject']) {
      await expectDecision({ principal: shopBuild, action, resource: object('blog-release/BuildOutpu/a1b2c3d') }, 'ImplicitlyDenied');
    }
    // Control: blog-release's own build role.
    await expectDecision({ principal: blogBuild, action: 's3:PutObject', resource: object('blog-release/BuildOutpu/a1b2c3d') }, 'Allowed');
    await expectDecision({ principal: shopBuild, action: 's3:GetObject', resource: object('shop-release/Source/a1b2c3d') }, 'Allowed');
  });

  test('the shop build role may s3:ListBucket, s3:DeleteObject or s3:PutObject outside a pipeline prefix: denied', async () => {
    await expectDecision({ principal: shopBuild, action: 's3:ListBucket', resource: bucket.arn }, 'ImplicitlyDenied');
    await expectDecision({ principal: shopBuild, action: 's3:DeleteObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'ImplicitlyDenied');
    await expectDecision({ principal: shopBuild, action: 's3:PutObject', resource: object('shop-release-x/BuildOutpu/a1b2c3d') }, 'ImplicitlyDenied');
    // Control: the pipeline role lists the store.
    await expectDecision({ principal: shopPipeline, action: 's3:ListBucket', resource: bucket.arn }, 'Allowed');
  });

  test('the shop build role may kms:GenerateDataKey and kms:Decrypt with the artifact key: allowed', async () => {
    const viaS3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com` };
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      await expectDecision({ principal: shopBuild, action, resource: key.arn, context: viaS3 }, 'Allowed');
    }
  });

  test('the shop verify step role may read the release of its pipeline but not write it or list the store: denied', async () => {
    await expectDecision({ principal: shopVerify, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'ImplicitlyDenied');
    await expectDecision({ principal: shopVerify, action: 's3:PutObject', resource: handoff() }, 'ExplicitlyDenied');
    await expectDecision({ principal: shopVerify, action: 's3:ListBucket', resource: bucket.arn }, 'ImplicitlyDenied');
    await expectDecision({ principal: shopVerify, action: 's3:GetObject', resource: object('blog-release/BuildOutpu/a1b2c3d') }, 'ImplicitlyDenied');
    // Control: the release it verifies.
    await expectDecision({ principal: shopVerify, action: 's3:GetObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'Allowed');
  });

  test('a tooling-account admin allowed everything may s3:PutObject, s3:DeleteObject or s3:DeleteObjectVersion a handoff: denied by the bucket policy', async () => {
    const admin = model.externalRole(`arn:aws:iam::${TOOLING}:role/ops-admin`, { identity: 'allow-all-tested' });
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
      await expectDecision({ principal: admin, action, resource: handoff() }, 'ExplicitlyDenied');
    }
    // Control: the same admin elsewhere in the store (only handoffs are reserved).
    await expectDecision({ principal: admin, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'Allowed');
  });

  test('a tooling role on a deployer path next to the pipeline path, or on none, may s3:PutObject a handoff: denied; on the pipeline path: allowed', async () => {
    for (const rolePath of ['cdkx-main-deployer/', 'cdkx-main_deployer/222222222222/', '']) {
      const deployer = model.externalRole(`arn:aws:iam::${TOOLING}:role/${rolePath}deploy`, { identity: 'allow-all-tested' });
      await expectDecision({ principal: deployer, action: 's3:PutObject', resource: handoff() }, 'ExplicitlyDenied');
    }
    const onPath = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/other-pipeline`, { identity: 'allow-all-tested' });
    await expectDecision({ principal: onPath, action: 's3:PutObject', resource: handoff() }, 'Allowed');
  });

  describe('the proof depends on the store\'s controls (templates with one control removed)', () => {
    const copies: string[] = [];
    afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    /** A model of the same assembly after `mutate` edited the bucket policy's statements. */
    function withoutStatements(drop: (statement: any) => boolean): AccessModel {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-write-access-'));
      copies.push(dir);
      fs.cpSync(assembly.directory, dir, { recursive: true, filter: (src) => !path.basename(src).startsWith('asset.') });
      const file = path.join(dir, assembly.getStackByName('Tooling').templateFile);
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      let dropped = 0;
      for (const resource of Object.values<any>(template.Resources)) {
        if (resource.Type !== 'AWS::S3::BucketPolicy') continue;
        const statements = resource.Properties.PolicyDocument.Statement as any[];
        resource.Properties.PolicyDocument.Statement = statements.filter((s) => !drop(s));
        dropped += statements.length - resource.Properties.PolicyDocument.Statement.length;
      }
      expect(dropped).toBe(1);
      fs.writeFileSync(file, JSON.stringify(template));
      return AccessModel.fromAssembly(new cxapi.CloudAssembly(dir), mode.options);
    }

    test('without the handoff deny, the tooling admin and a build widened by hand could write the handoff', async () => {
      const m = withoutStatements((s) => s.Sid === 'OnlyPipelineRolesWriteHandoffs');
      const admin = m.externalRole(`arn:aws:iam::${TOOLING}:role/ops-admin`, { identity: 'allow-all-tested' });
      await m.expectDecision({ principal: admin, action: 's3:PutObject', resource: handoff() }, 'Allowed');
      const build = m.role(TOOLING, /ShopBuildRole/);
      await m.expectDecision({ principal: { ...build, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: handoff() }, 'Allowed');
    });
  });
});
