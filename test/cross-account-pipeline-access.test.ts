/**
 * Access proofs for a CrossAccountPipeline deployed as a whole system: a
 * tooling account with the artifact stores of two regions and the pipeline,
 * and four target accounts (three stages, two regions) with their
 * TenantDeploymentRole roles, evaluated with real IAM logic
 * (test/support/access-model.ts).
 *
 * Must show: the pipeline's roles can assume every target's action role and
 * nothing else; targets can read only through their own action and execution
 * roles; tenant roles cannot touch each other.
 *
 * Every test asserts an exact decision. Tests of a denial also run a control
 * request that differs in one respect and is allowed, so that a request the
 * model refused for an unrelated reason cannot pass as a proof.
 *
 * Besides the five accounts of the scenario, the assembly holds two things an
 * attacker or a legacy setup could provide, so that denials are decided by the
 * pipeline's own policies and not by a missing trust policy:
 * - account 999999999999 (outside the organization, not a target) with the
 *   contract's tenant roles, which trust the tooling account's pipeline path;
 * - a role `legacy-admin` in the Dev account that trusts the whole tooling account.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget, TenantDeploymentRole,
} from '../src';
import { AccessModel, AccessPrincipal, AccessRequest, Decision, ModelRole, Organization } from './support/access-model';
import { LoadedBucket, LoadedKey } from './support/assembly';
// The pipeline stack's deploy-time key lookups run in a Lambda function with the basic execution policy.
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';

const TOOLING = '111111111111';
const DEV = '222222222222';
const TEST = '333333333333';
const PROD_US = '444444444444';
const PROD_EU = '555555555555';
const OUTSIDER = '999999999999';
const US = 'us-east-1';
const EU = 'eu-west-1';
const ORG_ID = 'o-abcdefghij';
const ACTION_ROLE = 'cdkx-main-deploy-action';
const EXEC_ROLE = 'cdkx-main-cfn-exec';
const LEGACY_ROLE = 'legacy-admin';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

/** The four targets, with the region whose store they read from. */
const TARGETS: Array<{ account: string; region: string }> = [
  { account: DEV, region: US },
  { account: TEST, region: EU },
  { account: PROD_US, region: US },
  { account: PROD_EU, region: EU },
];
const TARGET_ACCOUNTS = TARGETS.map((t) => t.account);

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
    organizations: [{ id: ORG_ID, accounts: [TOOLING, ...TARGET_ACCOUNTS] }],
  },
  {
    name: 'account-list mode',
    readerAccounts: TARGET_ACCOUNTS,
    organizations: [],
  },
];

/** The tooling side: two stores and the pipeline, with `prodTargets` in the Prod stage. */
function buildTooling(app: App, mode: Mode, contract: DeploymentContract, prodTargets: PipelineTarget[]): Stack {
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
  const store = new ArtifactStore(tooling, 'ArtifactStore', { contract, readerAccounts: mode.readerAccounts });
  const toolingEu = new Stack(app, 'ToolingEu', { env: { account: TOOLING, region: EU } });
  new ArtifactStore(toolingEu, 'ArtifactStore', { contract, readerAccounts: mode.readerAccounts });
  new CrossAccountPipeline(tooling, 'Pipeline', {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }] },
      { name: 'Test', targets: [{ id: 'test', account: TEST, region: EU }] },
      { name: 'Prod', targets: prodTargets, approval: {} },
    ],
  });
  return tooling;
}

const PROD_TARGETS: PipelineTarget[] = [
  { id: 'prod-us', account: PROD_US, region: US },
  { id: 'prod-eu', account: PROD_EU, region: EU },
];

function buildModel(mode: Mode): AccessModel {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });
  buildTooling(app, mode, contract, PROD_TARGETS);
  for (const { account, region } of [...TARGETS, { account: OUTSIDER, region: US }]) {
    const stack = new Stack(app, `Tenant${account}`, { env: { account, region } });
    new TenantDeploymentRole(stack, 'Deploy', {
      contract,
      executionRoleStatements: [new iam.PolicyStatement({ actions: ['s3:CreateBucket'], resources: ['*'] })],
    });
    if (account === DEV) {
      // Trusts every principal of the tooling account: only the caller's identity policy can keep the pipeline out.
      new iam.Role(stack, 'LegacyAdmin', { roleName: LEGACY_ROLE, assumedBy: new iam.AccountPrincipal(TOOLING) });
    }
  }
  const assembly = app.synth();
  return AccessModel.fromAssembly(assembly.directory, { organizations: mode.organizations, awsManagedPolicies: AWS_MANAGED_POLICIES });
}

describe.each(MODES)('$name', (mode) => {
  let model: AccessModel;
  let pipeline: ModelRole;
  let buildRole: ModelRole;
  const stores: Record<string, { bucket: LoadedBucket; key: LoadedKey; object: string }> = {};
  const actionRole = (account: string) => model.role(account, ACTION_ROLE);
  const execRole = (account: string) => model.role(account, EXEC_ROLE);
  const viaS3 = (region: string) => ({ 'kms:ViaService': `s3.${region}.amazonaws.com` });

  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);
  const expectAssume = (principal: AccessPrincipal, roleArn: string, expected: Decision) => model.expectAssume(principal, roleArn, expected);

  beforeAll(() => {
    model = buildModel(mode);
    for (const region of [US, EU]) {
      const bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${region}`);
      const keys = model.assembly.keys.filter((k) => k.account === TOOLING && k.region === region);
      if (keys.length !== 1) throw new Error(`expected one key in ${TOOLING}/${region}, found ${keys.map((k) => k.arn).join(', ')}`);
      stores[region] = { bucket, key: keys[0], object: `${bucket.arn}/main-Pipeline/BuildOutput/a1b2c3d.zip` };
    }
    pipeline = model.role(TOOLING, /PipelineRole/);
    buildRole = model.role(TOOLING, /PipelineBuildRole/);
  });

  test('the assembly has the pipeline role on the contract path, a build role off it, and a store with key in each region', () => {
    expect(pipeline.arn).toMatch(new RegExp(`^arn:aws:iam::${TOOLING}:role/cdkx-main/`));
    expect(buildRole.arn).not.toContain('/cdkx-main/');
    for (const region of [US, EU]) {
      expect(stores[region].bucket.region).toBe(region);
      expect(stores[region].bucket.restrictPublicBuckets).toBe(true);
      expect(stores[region].key.aliases).toEqual(['alias/cdkx-main-artifacts']);
    }
    for (const account of [...TARGET_ACCOUNTS, OUTSIDER]) {
      expect(actionRole(account).arn).toBe(`arn:aws:iam::${account}:role/${ACTION_ROLE}`);
      expect(execRole(account).arn).toBe(`arn:aws:iam::${account}:role/${EXEC_ROLE}`);
    }
  });

  describe.each(TARGETS)('target $account ($region)', ({ account: target, region }) => {
    const others = TARGET_ACCOUNTS.filter((a) => a !== target);

    test(`the pipeline role may sts:AssumeRole target ${target}'s action role: allowed`, async () => {
      await expectAssume(pipeline, actionRole(target).arn, 'Allowed');
      // Both sides count: without its identity policy the trust policy alone is not enough.
      await expectAssume({ ...pipeline, identity: [] }, actionRole(target).arn, 'ImplicitlyDenied');
    });

    test(`the pipeline role may sts:AssumeRole target ${target}'s execution role: denied`, async () => {
      // Denied by the pipeline role's own policy, not only by the execution role's CloudFormation-only trust.
      const result = await model.evaluate({ principal: pipeline, action: 'sts:AssumeRole', resource: execRole(target).arn });
      if (result.decision !== 'ImplicitlyDenied' || !/identity: ImplicitlyDenied/.test(result.explanation)) {
        throw new Error(`expected ImplicitlyDenied, also on the identity side\n${result.explanation}`);
      }
      await expectAssume(pipeline, actionRole(target).arn, 'Allowed');
    });

    test(`the build project role may sts:AssumeRole target ${target}'s action role: denied`, async () => {
      await expectAssume(buildRole, actionRole(target).arn, 'ImplicitlyDenied');
      // Off the pipeline path, even an identity that allows it is refused by the action role's trust policy.
      await expectAssume({ ...buildRole, identity: 'allow-all-tested' }, actionRole(target).arn, 'ImplicitlyDenied');
      await expectAssume(pipeline, actionRole(target).arn, 'Allowed');
    });

    test(`a tooling role outside the pipeline path (developer) may sts:AssumeRole target ${target}'s action role: denied`, async () => {
      const developer = model.externalRole(`arn:aws:iam::${TOOLING}:role/developer`, { identity: 'allow-all-tested' });
      await expectAssume(developer, actionRole(target).arn, 'ImplicitlyDenied');
      const onPipelinePath = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/developer`, { identity: 'allow-all-tested' });
      await expectAssume(onPipelinePath, actionRole(target).arn, 'Allowed');
    });

    test(`target ${target}'s action and execution roles may s3:GetObject an artifact of the ${region} store and kms:Decrypt its key through S3: allowed`, async () => {
      const { object, key } = stores[region];
      for (const role of [actionRole(target), execRole(target)]) {
        await expectDecision({ principal: role, action: 's3:GetObject', resource: object }, 'Allowed');
        await expectDecision({ principal: role, action: 's3:GetObjectVersion', resource: object }, 'Allowed');
        await expectDecision({ principal: role, action: 'kms:Decrypt', resource: key.arn, context: viaS3(region) }, 'Allowed');
      }
    });

    test(`target ${target}'s action role may kms:Decrypt the ${region} store key other than through S3 of ${region}: denied`, async () => {
      const { key } = stores[region];
      const decrypt = { principal: actionRole(target), action: 'kms:Decrypt', resource: key.arn };
      await expectDecision(decrypt, 'ImplicitlyDenied');
      await expectDecision({ ...decrypt, context: { 'kms:ViaService': `sqs.${region}.amazonaws.com` } }, 'ImplicitlyDenied');
      await expectDecision({ ...decrypt, context: viaS3(region === US ? EU : US) }, 'ImplicitlyDenied');
      await expectDecision({ ...decrypt, context: viaS3(region) }, 'Allowed');
    });

    test(`target ${target}'s action role may s3:PutObject on either store or kms:GenerateDataKey: denied`, async () => {
      for (const r of [US, EU]) {
        await expectDecision({ principal: actionRole(target), action: 's3:PutObject', resource: stores[r].object }, 'ImplicitlyDenied');
        await expectDecision({ principal: actionRole(target), action: 'kms:GenerateDataKey', resource: stores[r].key.arn, context: viaS3(r) }, 'ImplicitlyDenied');
      }
      await expectDecision({ principal: actionRole(target), action: 's3:GetObject', resource: stores[region].object }, 'Allowed');
    });

    test(`another role of target ${target}, even allowed by its own identity, may read the artifacts: denied`, async () => {
      const { object, key } = stores[region];
      for (const arn of [`arn:aws:iam::${target}:role/some-app-role`, `arn:aws:iam::${target}:role/team/${ACTION_ROLE}`]) {
        const other = model.externalRole(arn, { identity: 'allow-all-tested' });
        await expectDecision({ principal: other, action: 's3:GetObject', resource: object }, 'ImplicitlyDenied');
        await expectDecision({ principal: other, action: 'kms:Decrypt', resource: key.arn, context: viaS3(region) }, 'ImplicitlyDenied');
      }
      await expectDecision({ principal: actionRole(target), action: 's3:GetObject', resource: object }, 'Allowed');
    });

    test(`target ${target}'s roles may sts:AssumeRole or iam:PassRole the roles of the other targets: denied`, async () => {
      for (const other of others) {
        for (const role of [actionRole(target), execRole(target)]) {
          await expectAssume(role, actionRole(other).arn, 'ImplicitlyDenied');
          await expectAssume(role, execRole(other).arn, 'ImplicitlyDenied');
        }
        await expectDecision({
          principal: actionRole(target),
          action: 'iam:PassRole',
          resource: execRole(other).arn,
          context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
        }, 'ImplicitlyDenied');
        // Even with an identity that allows it, the other target's trust policies keep it out.
        await expectAssume({ ...actionRole(target), identity: 'allow-all-tested' }, actionRole(other).arn, 'ImplicitlyDenied');
      }
      await expectDecision({
        principal: actionRole(target),
        action: 'iam:PassRole',
        resource: execRole(target).arn,
        context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
      }, 'Allowed');
    });
  });

  test(`the pipeline role may sts:AssumeRole the action role of ${OUTSIDER} (${mode.organizationId ? 'outside the organization' : 'not a target'}): denied`, async () => {
    await expectAssume(pipeline, actionRole(OUTSIDER).arn, 'ImplicitlyDenied');
    // Control: that role's trust policy does admit the pipeline path, so only the pipeline role's own condition keeps it out.
    const unconditioned = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/other-pipeline`, { identity: 'allow-all-tested' });
    await expectAssume(unconditioned, actionRole(OUTSIDER).arn, 'Allowed');
    await expectAssume(pipeline, actionRole(DEV).arn, 'Allowed');
  });

  test(`the pipeline role may sts:AssumeRole ${LEGACY_ROLE} in target ${DEV}, which trusts the whole tooling account: denied`, async () => {
    const legacy = model.role(DEV, LEGACY_ROLE);
    await expectAssume(pipeline, legacy.arn, 'ImplicitlyDenied');
    const developer = model.externalRole(`arn:aws:iam::${TOOLING}:role/developer`, { identity: 'allow-all-tested' });
    await expectAssume(developer, legacy.arn, 'Allowed');
  });

  describe.each([US, EU])('store in %s', (region) => {
    test(`the pipeline role may s3:PutObject and s3:GetObject artifacts of the ${region} store: allowed`, async () => {
      const { object, key } = stores[region];
      await expectDecision({ principal: pipeline, action: 's3:PutObject', resource: object }, 'Allowed');
      await expectDecision({
        principal: pipeline,
        action: 's3:PutObject',
        resource: object,
        context: { 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': key.arn },
      }, 'Allowed');
      await expectDecision({ principal: pipeline, action: 's3:GetObject', resource: object }, 'Allowed');
      await expectDecision({ principal: pipeline, action: 's3:GetObjectVersion', resource: object }, 'Allowed');
    });

    test(`the pipeline role may kms:Encrypt, kms:GenerateDataKey and kms:Decrypt with the ${region} store key through S3: allowed`, async () => {
      const { key } = stores[region];
      for (const action of ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt']) {
        await expectDecision({ principal: pipeline, action, resource: key.arn, context: viaS3(region) }, 'Allowed');
      }
    });

    test(`the build project role may s3:PutObject on the ${region} store: ${region === US ? 'allowed (its own store)' : 'denied (the pipeline replicates)'}`, async () => {
      // Guards that the build role is a real, working role whose reach is limited, not an empty one.
      const expected: Decision = region === US ? 'Allowed' : 'ImplicitlyDenied';
      await expectDecision({ principal: buildRole, action: 's3:PutObject', resource: stores[region].object }, expected);
      await expectDecision({ principal: pipeline, action: 's3:PutObject', resource: stores[region].object }, 'Allowed');
    });

    test(`an anonymous request may s3:GetObject an artifact of the ${region} store: denied`, async () => {
      await expectDecision({ principal: model.anonymous(), action: 's3:GetObject', resource: stores[region].object }, 'ImplicitlyDenied');
      const reader = TARGETS.find((t) => t.region === region)!.account;
      await expectDecision({ principal: actionRole(reader), action: 's3:GetObject', resource: stores[region].object }, 'Allowed');
    });

    test(`the action role of ${OUTSIDER} may s3:GetObject or kms:Decrypt artifacts of the ${region} store: denied`, async () => {
      const { object, key } = stores[region];
      await expectDecision({ principal: actionRole(OUTSIDER), action: 's3:GetObject', resource: object }, 'ImplicitlyDenied');
      await expectDecision({ principal: actionRole(OUTSIDER), action: 'kms:Decrypt', resource: key.arn, context: viaS3(region) }, 'ImplicitlyDenied');
      const reader = TARGETS.find((t) => t.region === region)!.account;
      await expectDecision({ principal: actionRole(reader), action: 's3:GetObject', resource: object }, 'Allowed');
      await expectDecision({ principal: actionRole(reader), action: 'kms:Decrypt', resource: key.arn, context: viaS3(region) }, 'Allowed');
    });
  });
});

describe.each(MODES)('$name, with DeploymentKind.codeBuild', (mode) => {
  let model: AccessModel;
  let deployRole: ModelRole;

  async function expectAssume(principal: AccessPrincipal, roleArn: string, expected: Decision): Promise<void> {
    const result = await model.evaluate({ principal, action: 'sts:AssumeRole', resource: roleArn });
    if (result.decision !== expected) {
      throw new Error(`expected ${expected}, got ${result.decision}\n${result.explanation}`);
    }
  }

  beforeAll(() => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });
    const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
    const store = new ArtifactStore(tooling, 'ArtifactStore', { contract, readerAccounts: mode.readerAccounts });
    new CrossAccountPipeline(tooling, 'Pipeline', {
      contract,
      artifactStore: store,
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.codeBuild({ commands: ['npx cdk deploy --all'] }),
      stages: [{ name: 'Dev', targets: [{ id: 'dev', account: DEV, region: US }] }],
    });
    for (const account of [DEV, OUTSIDER]) {
      const stack = new Stack(app, `Tenant${account}`, { env: { account, region: US } });
      new TenantDeploymentRole(stack, 'Deploy', { contract, executionRoleStatements: [new iam.PolicyStatement({ actions: ['s3:CreateBucket'], resources: ['*'] })] });
    }
    const assembly = app.synth();
    model = AccessModel.fromAssembly(assembly.directory, { organizations: mode.organizations, awsManagedPolicies: AWS_MANAGED_POLICIES });
    deployRole = model.role(TOOLING, new RegExp(`CodeBuildDeployment${DEV}Role`));
  });

  test(`the deploy project role of ${DEV} (off the pipeline path, so it cannot write handoffs) may sts:AssumeRole target ${DEV}'s action role: allowed`, async () => {
    expect(deployRole.arn).not.toMatch(new RegExp(`^arn:aws:iam::${TOOLING}:role/cdkx-main/`));
    await expectAssume(deployRole, model.role(DEV, ACTION_ROLE).arn, 'Allowed');
  });

  // Found by this test: a tooling role that reaches the targets needs the same
  // organization / target-account narrowing as the pipeline role (assume-target-roles.ts).
  test(`the deploy project role may sts:AssumeRole the action role of ${OUTSIDER} (${mode.organizationId ? 'outside the organization' : 'not a target'}): denied`, async () => {
    await expectAssume(deployRole, model.role(OUTSIDER, ACTION_ROLE).arn, 'ImplicitlyDenied');
    await expectAssume(deployRole, model.role(DEV, ACTION_ROLE).arn, 'Allowed');
  });
});

describe('the size of the pipeline role policy', () => {
  /** Byte length of the pipeline role's DefaultPolicy document with `prodTargets` Prod targets. */
  function pipelinePolicyBytes(mode: Mode, prodTargets: number): number {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });
    const accounts = Array.from({ length: prodTargets }, (_, i) => String(400_000_000_000 + i));
    const targets = accounts.map((account, i) => ({ id: `prod-${i}`, account, region: i % 2 === 0 ? US : EU }));
    const tooling = buildTooling(app, { ...mode, readerAccounts: mode.readerAccounts && [DEV, TEST, ...accounts] }, contract, targets);
    const template = app.synth().getStackByName(tooling.stackName).template;
    const policies = Object.entries<any>(template.Resources)
      .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && /^PipelinePipelineRoleDefaultPolicy/.test(id));
    if (policies.length !== 1) throw new Error(`expected one pipeline role DefaultPolicy, found ${policies.map(([id]) => id).join(', ') || 'none'}`);
    const document = policies[0][1].Properties.PolicyDocument;
    const sids = document.Statement.map((s: any) => s.Sid);
    if (!sids.includes('AssumeTargetActionRoles')) throw new Error(`not the pipeline role policy: ${sids.join(', ')}`);
    return Buffer.byteLength(JSON.stringify(document));
  }

  test('in organization mode, 4 and 40 Prod targets give a pipeline role policy of the same size', () => {
    const org = MODES[0];
    expect(pipelinePolicyBytes(org, 40)).toBe(pipelinePolicyBytes(org, 4));
    // Control: the measurement does see targets, since it grows in account-list mode.
    expect(pipelinePolicyBytes(MODES[1], 40)).toBeGreaterThan(pipelinePolicyBytes(MODES[1], 4));
  });

  test('in account-list mode, each added Prod account grows the pipeline role policy by at most 20 bytes', () => {
    const accountList = MODES[1];
    const growth = pipelinePolicyBytes(accountList, 40) - pipelinePolicyBytes(accountList, 4);
    expect(growth).toBeGreaterThan(0);
    expect(growth / 36).toBeLessThanOrEqual(20);
  });
});
