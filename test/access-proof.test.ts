/**
 * Access proofs for the whole deployment system: a tooling account with the
 * artifact store and a pipeline role, and two tenant accounts with their
 * deployment roles, deployed as they would be and evaluated with real IAM
 * logic (test/support/access-model.ts).
 *
 * Every test asserts an exact decision. Tests of a denial also assert that a
 * control request differing in one respect is allowed, so that a request the
 * harness refused for an unrelated reason could not pass as a proof.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ArtifactStore, DeploymentContract, TenantDeploymentRole } from '../src';
import { AccessModel, AccessPrincipal, AccessRequest, Decision, ModelRole, Organization } from './support/access-model';
import { LoadedBucket, LoadedKey } from './support/assembly';

const TOOLING = '111111111111';
const TENANT_A = '222222222222';
const TENANT_B = '333333333333';
const OUTSIDER = '444444444444';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const ACTION_ROLE = 'cdkx-main-deploy-action';
const EXEC_ROLE = 'cdkx-main-cfn-exec';
const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com` };
const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${TOOLING}:key/00000000-1111-2222-3333-444444444444`;

interface Mode {
  readonly name: string;
  readonly organizationId?: string;
  readonly readerAccounts?: string[];
  readonly organizations: Organization[];
}

const MODES: Mode[] = [
  {
    name: 'organization mode',
    organizationId: ORG_ID,
    // OUTSIDER is deliberately not a member.
    organizations: [{ id: ORG_ID, accounts: [TOOLING, TENANT_A, TENANT_B] }],
  },
  {
    name: 'account-list mode',
    readerAccounts: [TENANT_A, TENANT_B],
    organizations: [],
  },
];

function buildModel(mode: Mode): AccessModel {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });

  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const store = new ArtifactStore(tooling, 'Store', { contract, readerAccounts: mode.readerAccounts });
  const pipelineRole = new iam.Role(tooling, 'PipelineRole', {
    path: contract.pipelineRolePath,
    assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com'),
  });
  pipelineRole.addToPolicy(new iam.PolicyStatement({
    actions: ['sts:AssumeRole'],
    resources: [`arn:aws:iam::*:role/${contract.actionRoleName}`],
  }));
  store.grantReadWrite(pipelineRole);

  for (const [id, account] of [['TenantA', TENANT_A], ['TenantB', TENANT_B]]) {
    const stack = new Stack(app, id, { env: { account, region: REGION } });
    new TenantDeploymentRole(stack, 'Deploy', {
      contract,
      // Broad on purpose: the execution role's own deny must still protect the two tenant roles.
      executionRoleStatements: [new iam.PolicyStatement({ actions: ['iam:AttachRolePolicy', 'iam:CreateRole'], resources: ['*'] })],
    });
  }
  return AccessModel.fromAssembly(app.synth(), { organizations: mode.organizations });
}

describe.each(MODES)('$name', (mode) => {
  let model: AccessModel;
  let bucket: LoadedBucket;
  let key: LoadedKey;
  let object: string;
  let pipeline: ModelRole;
  const actionRole = (account: string) => model.role(account, ACTION_ROLE);
  const execRole = (account: string) => model.role(account, EXEC_ROLE);
  const stackArn = (account: string, name: string) =>
    `arn:aws:cloudformation:${REGION}:${account}:stack/${name}/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;

  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);
  const expectAssume = (principal: AccessPrincipal, roleArn: string, expected: Decision) => model.expectAssume(principal, roleArn, expected);

  beforeAll(() => {
    model = buildModel(mode);
    bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${REGION}`);
    key = model.key(TOOLING, 'alias/cdkx-main-artifacts');
    object = `${bucket.arn}/my-pipeline/BuildOutput/a1b2c3.zip`;
    pipeline = model.role(TOOLING, /PipelineRole/i);
  });

  test('the assembly has the expected roles, bucket and key', () => {
    expect(pipeline.arn).toMatch(new RegExp(`^arn:aws:iam::${TOOLING}:role/cdkx-main/`));
    for (const account of [TENANT_A, TENANT_B]) {
      expect(actionRole(account).arn).toBe(`arn:aws:iam::${account}:role/${ACTION_ROLE}`);
      expect(execRole(account).arn).toBe(`arn:aws:iam::${account}:role/${EXEC_ROLE}`);
    }
    expect(bucket.restrictPublicBuckets).toBe(true);
    expect(key.aliases).toEqual(['alias/cdkx-main-artifacts']);
  });

  describe.each([TENANT_A, TENANT_B])('tenant %s', (tenant) => {
    const other = tenant === TENANT_A ? TENANT_B : TENANT_A;

    test(`tenant ${tenant}'s action role may s3:GetObject the artifacts: allowed`, async () => {
      await expectDecision({ principal: actionRole(tenant), action: 's3:GetObject', resource: object }, 'Allowed');
      await expectDecision({ principal: actionRole(tenant), action: 's3:GetObjectVersion', resource: object }, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may kms:Decrypt the store key through S3 in ${REGION}: allowed`, async () => {
      await expectDecision({ principal: actionRole(tenant), action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'Allowed');
    });

    test(`tenant ${tenant}'s execution role may kms:Decrypt through S3 and s3:GetObject the artifacts: allowed`, async () => {
      await expectDecision({ principal: execRole(tenant), action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'Allowed');
      await expectDecision({ principal: execRole(tenant), action: 's3:GetObject', resource: object }, 'Allowed');
    });

    test(`the pipeline role may sts:AssumeRole tenant ${tenant}'s action role (identity and trust side): allowed`, async () => {
      expect(await model.canAssume(pipeline, actionRole(tenant).arn)).toBe(true);
      await expectAssume(pipeline, actionRole(tenant).arn, 'Allowed');
      // The identity side counts: without its sts:AssumeRole statement the trust policy alone is not enough.
      await expectAssume({ ...pipeline, identity: [] }, actionRole(tenant).arn, 'ImplicitlyDenied');
      // The trust side counts: a pipeline-path role whose identity allows everything may assume the
      // action role, but not the execution role, which trusts only CloudFormation.
      await expectAssume(model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/another-pipeline`), actionRole(tenant).arn, 'Allowed');
      await expectAssume(model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/another-pipeline`), execRole(tenant).arn, 'ImplicitlyDenied');
    });

    test(`tenant ${tenant}'s action role may iam:PassRole its own execution role to CloudFormation: allowed`, async () => {
      await expectDecision({
        principal: actionRole(tenant),
        action: 'iam:PassRole',
        resource: execRole(tenant).arn,
        context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
      }, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may cloudformation:CreateStack main-app through its execution role: allowed`, async () => {
      await expectDecision({
        principal: actionRole(tenant),
        action: 'cloudformation:CreateStack',
        resource: stackArn(tenant, 'main-app'),
        context: { 'cloudformation:RoleArn': execRole(tenant).arn },
      }, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may make every call a CodePipeline CloudFormation action makes on main-app: allowed`, async () => {
      const stack = stackArn(tenant, 'main-app');
      const throughExecutionRole = { 'cloudformation:RoleArn': execRole(tenant).arn };
      // CREATE_UPDATE, DELETE_ONLY / REPLACE_ON_FAILURE, CHANGE_SET_REPLACE and CHANGE_SET_EXECUTE.
      for (const action of ['cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:CreateChangeSet']) {
        await expectDecision({ principal: actionRole(tenant), action, resource: stack, context: throughExecutionRole }, 'Allowed');
      }
      for (const action of ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeChangeSet',
        'cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet', 'cloudformation:GetTemplate']) {
        await expectDecision({ principal: actionRole(tenant), action, resource: stack }, 'Allowed');
      }
    });

    test(`tenant ${tenant}'s action role may write artifacts (s3:PutObject, kms:GenerateDataKey): denied`, async () => {
      await expectDecision({ principal: actionRole(tenant), action: 's3:PutObject', resource: object }, 'ImplicitlyDenied');
      await expectDecision({ principal: actionRole(tenant), action: 'kms:GenerateDataKey', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
      // Control: the same role may read that object.
      await expectDecision({ principal: actionRole(tenant), action: 's3:GetObject', resource: object }, 'Allowed');
    });

    test(`a role named like the action role in undeclared account ${OUTSIDER} may s3:GetObject or kms:Decrypt: denied`, async () => {
      const impostor = model.externalRole(`arn:aws:iam::${OUTSIDER}:role/${ACTION_ROLE}`, { identity: 'allow-all-tested' });
      await expectDecision({ principal: impostor, action: 's3:GetObject', resource: object }, 'ImplicitlyDenied');
      await expectDecision({ principal: impostor, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
      // control: the same requests by the real action role
      await expectDecision({ principal: actionRole(tenant), action: 's3:GetObject', resource: object }, 'Allowed');
      await expectDecision({ principal: actionRole(tenant), action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'Allowed');
    });

    test(`another role of tenant ${tenant} may s3:GetObject or kms:Decrypt the artifacts: denied`, async () => {
      const otherRole = model.externalRole(`arn:aws:iam::${tenant}:role/some-other-role`, { identity: 'allow-all-tested' });
      await expectDecision({ principal: otherRole, action: 's3:GetObject', resource: object }, 'ImplicitlyDenied');
      await expectDecision({ principal: otherRole, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
      // the name, not the path, is matched: a role of the contract's name under another path is not admitted either
      const pathed = model.externalRole(`arn:aws:iam::${tenant}:role/team/${ACTION_ROLE}`, { identity: 'allow-all-tested' });
      await expectDecision({ principal: pathed, action: 's3:GetObject', resource: object }, 'ImplicitlyDenied');
      await expectDecision({ principal: actionRole(tenant), action: 's3:GetObject', resource: object }, 'Allowed');
    });

    test(`tenant ${other}'s action role may sts:AssumeRole or iam:PassRole tenant ${tenant}'s roles: denied`, async () => {
      await expectAssume(actionRole(other), actionRole(tenant).arn, 'ImplicitlyDenied');
      const passRole = { action: 'iam:PassRole', resource: execRole(tenant).arn, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } };
      await expectDecision({ ...passRole, principal: actionRole(other) }, 'ImplicitlyDenied');
      await expectDecision({ ...passRole, principal: actionRole(tenant) }, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may s3:GetObject without TLS: explicitly denied`, async () => {
      const request = { principal: actionRole(tenant), action: 's3:GetObject', resource: object };
      await expectDecision({ ...request, secureTransport: false }, 'ExplicitlyDenied');
      await expectDecision({ ...request, secureTransport: true }, 'Allowed');
    });

    test(`a tooling role outside the pipeline path may sts:AssumeRole tenant ${tenant}'s action role: denied`, async () => {
      const developer = model.externalRole(`arn:aws:iam::${TOOLING}:role/developer`, { identity: 'allow-all-tested' });
      await expectAssume(developer, actionRole(tenant).arn, 'ImplicitlyDenied');
      // the path, not the name: a role of another account with the pipeline path is not admitted either
      const foreignPipeline = model.externalRole(`arn:aws:iam::${OUTSIDER}:role/cdkx-main/pipeline`, { identity: 'allow-all-tested' });
      await expectAssume(foreignPipeline, actionRole(tenant).arn, 'ImplicitlyDenied');
      await expectAssume(pipeline, actionRole(tenant).arn, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may kms:Decrypt the store key directly or through another service: denied`, async () => {
      const request = { principal: actionRole(tenant), action: 'kms:Decrypt', resource: key.arn };
      await expectDecision(request, 'ImplicitlyDenied');
      await expectDecision({ ...request, context: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com` } }, 'ImplicitlyDenied');
      // the key policy pins the store's own region
      await expectDecision({ ...request, context: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }, 'ImplicitlyDenied');
      await expectDecision({ ...request, context: VIA_S3 }, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may cloudformation:CreateStack with another role or outside main-*: denied`, async () => {
      const create = (resource: string, context: Record<string, string>) =>
        expectDecision({ principal: actionRole(tenant), action: 'cloudformation:CreateStack', resource, context }, 'ImplicitlyDenied');
      await create(stackArn(tenant, 'main-app'), { 'cloudformation:RoleArn': `arn:aws:iam::${tenant}:role/admin` });
      await create(stackArn(tenant, 'main-app'), { 'cloudformation:RoleArn': execRole(other).arn });
      await create(stackArn(tenant, 'other-app'), { 'cloudformation:RoleArn': execRole(tenant).arn });
      // without a role the stack would run with the action role's own credentials
      await expectDecision({ principal: actionRole(tenant), action: 'cloudformation:CreateStack', resource: stackArn(tenant, 'main-app') }, 'ImplicitlyDenied');
      await expectDecision({
        principal: actionRole(tenant),
        action: 'cloudformation:CreateStack',
        resource: stackArn(tenant, 'main-app'),
        context: { 'cloudformation:RoleArn': execRole(tenant).arn },
      }, 'Allowed');
    });

    test(`tenant ${tenant}'s action role may iam:PassRole its execution role to another service: denied`, async () => {
      const passTo = (service: string) => ({
        principal: actionRole(tenant), action: 'iam:PassRole', resource: execRole(tenant).arn, context: { 'iam:PassedToService': service },
      });
      await expectDecision(passTo('ec2.amazonaws.com'), 'ImplicitlyDenied');
      await expectDecision(passTo('cloudformation.amazonaws.com'), 'Allowed');
    });

    test(`tenant ${tenant}'s execution role may iam:AttachRolePolicy on the deployment roles: explicitly denied`, async () => {
      const attach = (resource: string) => ({ principal: execRole(tenant), action: 'iam:AttachRolePolicy', resource });
      await expectDecision(attach(actionRole(tenant).arn), 'ExplicitlyDenied');
      await expectDecision(attach(execRole(tenant).arn), 'ExplicitlyDenied');
      // control: the user's broad statement does allow it on the application's roles
      await expectDecision(attach(`arn:aws:iam::${tenant}:role/main-app-function`), 'Allowed');
    });
  });

  test('an anonymous request may s3:GetObject the artifacts: denied', async () => {
    await expectDecision({ principal: model.anonymous(), action: 's3:GetObject', resource: object }, 'ImplicitlyDenied');
    await expectDecision({ principal: actionRole(TENANT_A), action: 's3:GetObject', resource: object }, 'Allowed');
  });

  test('the pipeline role may s3:PutObject naming the store key: allowed', async () => {
    const put = (context: Record<string, string>) => ({ principal: pipeline, action: 's3:PutObject', resource: object, context });
    await expectDecision(put({ 's3:x-amz-server-side-encryption-aws-kms-key-id': key.arn }), 'Allowed');
    await expectDecision(put({
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': `arn:aws:kms:${REGION}:${TOOLING}:alias/cdkx-main-artifacts`,
    }), 'Allowed');
    // the bucket's default encryption applies when no key is named
    await expectDecision({ principal: pipeline, action: 's3:PutObject', resource: object }, 'Allowed');
  });

  test('the pipeline role may s3:PutObject naming another KMS key: explicitly denied', async () => {
    const put = (keyArn: string) => ({
      principal: pipeline, action: 's3:PutObject', resource: object, context: { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn },
    });
    await expectDecision(put(OTHER_KEY_ARN), 'ExplicitlyDenied');
    await expectDecision(put(key.arn), 'Allowed');
  });

  test('the pipeline role may s3:PutObject with SSE-S3 instead of KMS: explicitly denied', async () => {
    const put = (sse: string) => ({ principal: pipeline, action: 's3:PutObject', resource: object, context: { 's3:x-amz-server-side-encryption': sse } });
    await expectDecision(put('AES256'), 'ExplicitlyDenied');
    await expectDecision(put('aws:kms'), 'Allowed');
  });
});
