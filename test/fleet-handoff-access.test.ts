/**
 * Access proof for the Fleet stage of a CrossAccountPipeline: the template a
 * fleet rollout (and later every onboarding) deploys lives under
 * `fleet-releases/` of the store, which only roles on the contract's pipeline
 * path may write. The build, which runs repository code, and any other
 * tooling principal (even one allowed everything) are refused by the bucket
 * policy; the publish role writes there and nowhere else.
 */
import { App, Stack } from 'aws-cdk-lib';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, FleetRing, FleetRollout, PipelineSource, TenantRegistry,
} from '../src';
import { AccessModel, AccessRequest, Decision, ModelRole } from './support/access-model';
import { LoadedBucket, LoadedKey } from './support/assembly';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';

const TOOLING = '111111111111';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

function buildAssembly() {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const rollout = new FleetRollout(stack, 'Fleet', {
    contract, registry: new TenantRegistry(stack, 'Tenants'), applicationName: 'shop', rings: [FleetRing.rest()], onboarding: false,
  });
  new CrossAccountPipeline(stack, 'Shop', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    pipelineName: 'shop-release',
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: REGION }] }],
    fleetRollout: { rollout, templatePath: 'app.template.json' },
  });
  return app.synth();
}

describe('fleet-releases/ of the artifact store', () => {
  let model: AccessModel;
  let bucket: LoadedBucket;
  let key: LoadedKey;
  let build: ModelRole;
  let publish: ModelRole;
  const object = (name: string) => `${bucket.arn}/${name}`;
  const release = () => object('fleet-releases/0f0e0d0c-aaaa-bbbb-cccc-123456789012/template.json');
  const withKey = () => ({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key.arn });
  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);

  beforeAll(() => {
    model = AccessModel.fromAssembly(buildAssembly(), { awsManagedPolicies: AWS_MANAGED_POLICIES, organizations: [{ id: ORG_ID, accounts: [TOOLING, '222222222222'] }] });
    bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${REGION}`);
    key = model.key(TOOLING, 'alias/cdkx-main-artifacts');
    build = model.role(TOOLING, /ShopBuildRole/);
    publish = model.role(TOOLING, /FleetHandoffPublishRole/);
  });

  test('the publish role may put the release template: allowed; elsewhere in the store: denied', async () => {
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: release(), context: withKey() }, 'Allowed');
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: object('handoff/shop-release-2/release.zip'), context: withKey() }, 'ImplicitlyDenied');
    await expectDecision({ principal: publish, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d'), context: withKey() }, 'ImplicitlyDenied');
    // On the pipeline path the bucket's deny does not apply to it; its own policy has no delete.
    await expectDecision({ principal: publish, action: 's3:DeleteObject', resource: release() }, 'ImplicitlyDenied');
    // It reads the release artifact of its pipeline.
    await expectDecision({ principal: publish, action: 's3:GetObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'Allowed');
  });

  test('the build (repository code) may put a release template: denied by the bucket policy, even with an identity allowing it', async () => {
    await expectDecision({ principal: build, action: 's3:PutObject', resource: release(), context: withKey() }, 'ExplicitlyDenied');
    await expectDecision({ principal: { ...build, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: release() }, 'ExplicitlyDenied');
    // Control: its own build output.
    await expectDecision({ principal: build, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d'), context: withKey() }, 'Allowed');
  });

  test('a tooling admin allowed everything may replace or delete a release template: denied; on the pipeline path: allowed', async () => {
    const admin = model.externalRole(`arn:aws:iam::${TOOLING}:role/ops-admin`, { identity: 'allow-all-tested' });
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']) {
      await expectDecision({ principal: admin, action, resource: release() }, 'ExplicitlyDenied');
    }
    await expectDecision({ principal: admin, action: 's3:PutObject', resource: object('shop-release/BuildOutpu/a1b2c3d') }, 'Allowed');
    const onPath = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/other`, { identity: 'allow-all-tested' });
    await expectDecision({ principal: onPath, action: 's3:PutObject', resource: release() }, 'Allowed');
  });
});
