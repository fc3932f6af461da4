import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BlueGreenEfsDeploy, BlueGreenEfsDeployProps, DeploymentContract, PipelineSource, TenantDeploymentRole } from '../src';
import { AccessModel } from './support/access-model';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const REGION = 'us-east-1';
const INBOX = `cdkx-shop-releases-${TENANT}-${REGION}`;
const contract = new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop' });

/** A tenant account holding the deployment roles and a web tier released by the tooling pipeline. */
function tenantWithWebTier(props: Partial<BlueGreenEfsDeployProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: REGION } });
  new TenantDeploymentRole(stack, 'Roles', {
    contract,
    blueGreenEfsReleases: true,
    executionRoleStatements: [new iam.PolicyStatement({ actions: ['sns:CreateTopic'], resources: [`arn:aws:sns:*:${TENANT}:shop-*`] })],
  });
  // An internal web tier: the listener is not what these specifications are about.
  const web = new BlueGreenEfsDeploy(stack, 'Web', { releaseName: 'shop-web', releasedBy: contract, internetFacing: false, ...props });
  return { app, stack, web };
}

describe('BlueGreenEfsDeploy released by a CrossAccountPipeline', () => {
  const { app, stack } = tenantWithWebTier();
  const template = Template.fromStack(stack);

  test('the release inbox is named by the contract and starts the web tier\'s pipeline', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: INBOX, VersioningConfiguration: { Status: 'Enabled' } });
    const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0] as any;
    const source = pipeline.Properties.Stages[0].Actions[0];
    expect(source.ActionTypeId.Provider).toBe('S3');
    expect(source.Configuration.S3ObjectKey).toBe('release.zip');
    const [inboxId] = Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { BucketName: INBOX } }));
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': { bucket: { name: [{ Ref: inboxId }] }, object: { key: ['release.zip'] } } },
    });
  });

  describe('access proof', () => {
    const model = AccessModel.fromAssembly(app.synth(), { awsManagedPolicies: AWS_MANAGED_POLICIES });
    const actionRole = model.role(TENANT, contract.actionRoleName);
    const release = `arn:aws:s3:::${INBOX}/release.zip`;

    test('the contract\'s action role drops a release', async () => {
      await model.expectDecision({ principal: actionRole, action: 's3:PutObject', resource: release }, 'Allowed');
    });

    test('another role of the account allowed everything cannot drop one (the inbox policy)', async () => {
      const admin = model.externalRole(`arn:aws:iam::${TENANT}:role/ops-admin`);
      await model.expectDecision({ principal: admin, action: 's3:PutObject', resource: release }, 'ExplicitlyDenied');
    });

    test('the action role of another account cannot drop one', async () => {
      const other = model.externalRole(`arn:aws:iam::333333333333:role/${contract.actionRoleName}`);
      await model.expectDecision({ principal: other, action: 's3:PutObject', resource: release }, 'ExplicitlyDenied');
    });

    test('the action role cannot delete or read releases', async () => {
      await model.expectDecision({ principal: actionRole, action: 's3:DeleteObject', resource: release }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: actionRole, action: 's3:GetObject', resource: release }, 'ImplicitlyDenied');
    });
  });
});

describe('BlueGreenEfsDeploy source errors', () => {
  test('both source and releasedBy', () => {
    const bucket = s3.Bucket.fromBucketName(new Stack(), 'B', 'releases');
    expect(synthErrorOf(() => tenantWithWebTier({ source: PipelineSource.s3({ bucket, objectKey: 'a.zip' }) })))
      .toMatch(/\[Tenant\/Web\] invalid configuration:\n {2}- releasedBy = "shop": a web tier has one source.*Fix: drop source/);
  });

  test('neither source nor releasedBy', () => {
    expect(synthErrorOf(() => tenantWithWebTier({ releasedBy: undefined }))).toMatch(/source = undefined: a web tier needs something to release\. Fix: set source/);
  });

  test('a bad contract', () => {
    expect(synthErrorOf(() => tenantWithWebTier({ releasedBy: new DeploymentContract({ toolingAccount: '123', qualifier: 'shop' }) })))
      .toMatch(/releasedBy\.toolingAccount = "123"/);
  });
});
