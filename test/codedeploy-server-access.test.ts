/**
 * Access proofs for `DeploymentKind.codeDeployServer`, evaluated with real IAM
 * logic (test/support/access-model.ts):
 *
 * - TenantDeploymentRole's `codeDeployServerDeployments` opt-in: the action
 *   role may make exactly the calls of CodePipeline's CodeDeploy action on the
 *   applications, deployment groups and deployment configurations named with
 *   the contract's prefix, and on no others; without the opt-in, none;
 * - the artifact store: the contract's CodeDeploy instance role of a target
 *   account may read and decrypt (through S3) the revision the agent downloads,
 *   may not write, and a role of another name may not read.
 *
 * Each denial runs next to an allowed control that differs in one respect.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArtifactStore, DeploymentContract, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { AccessModel, AccessModelOptions, ModelRole } from './support/access-model';
import {
  CODEDEPLOY_APPLICATION_ACTIONS, CODEDEPLOY_DEPLOYMENT_CONFIG_ACTIONS, CODEDEPLOY_DEPLOYMENT_GROUP_ACTIONS,
} from '../src/tenant-deployment-role/private/codedeploy-server-deployments';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const OUTSIDER = '999999999999';
const ORG = 'o-abcdefghij';
const REGION = 'eu-west-1';
const ACTION_ROLE = 'cdkx-main-deploy-action';
const INSTANCE_ROLE = 'cdkx-main-codedeploy-instance';
const VIA_S3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com` };
const codedeploy = (resource: string, account = TENANT) => `arn:aws:codedeploy:eu-west-1:${account}:${resource}`;

function tenantModel(extra: Partial<TenantDeploymentRoleProps>): { model: AccessModel; action: ModelRole } {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  new TenantDeploymentRole(stack, 'Roles', { contract: new DeploymentContract({ toolingAccount: TOOLING }), executionRoleStatements: [], ...extra });
  const model = AccessModel.fromAssembly(app.synth());
  return { model, action: model.role(TENANT, ACTION_ROLE) };
}

describe('the action role with codeDeployServerDeployments', () => {
  const { model, action } = tenantModel({ codeDeployServerDeployments: true });

  test.each(CODEDEPLOY_APPLICATION_ACTIONS)('%s on an application named with the prefix: allowed; on another application: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('application:main-web') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('application:web') }, 'ImplicitlyDenied');
  });

  test.each(CODEDEPLOY_DEPLOYMENT_GROUP_ACTIONS)('%s on a prefixed group of a prefixed application: allowed; either name outside the prefix: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('deploymentgroup:main-web/main-fleet') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('deploymentgroup:main-web/fleet') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('deploymentgroup:web/main-fleet') }, 'ImplicitlyDenied');
  });

  test.each(CODEDEPLOY_DEPLOYMENT_CONFIG_ACTIONS)('%s of a predefined or prefixed configuration: allowed; of another one: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('deploymentconfig:CodeDeployDefault.OneAtATime') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('deploymentconfig:main-web-config') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: codedeploy('deploymentconfig:other-config') }, 'ImplicitlyDenied');
  });

  test('another account\'s deployment groups, even prefixed: denied', async () => {
    await model.expectDecision({ principal: action, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-fleet') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-fleet', OUTSIDER) }, 'ImplicitlyDenied');
  });

  test('changing what CodeDeploy deploys with (groups, configurations, applications) or stopping deployments: denied', async () => {
    const group = codedeploy('deploymentgroup:main-web/main-fleet');
    await model.expectDecision({ principal: action, action: 'codedeploy:CreateDeployment', resource: group }, 'Allowed');
    for (const api of ['codedeploy:UpdateDeploymentGroup', 'codedeploy:DeleteDeploymentGroup']) {
      await model.expectDecision({ principal: action, action: api, resource: group }, 'ImplicitlyDenied');
    }
    // StopDeployment supports no resource-level permissions.
    await model.expectDecision({ principal: action, action: 'codedeploy:StopDeployment', resource: '*' }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'codedeploy:DeleteApplication', resource: codedeploy('application:main-web') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'codedeploy:CreateDeploymentConfig', resource: codedeploy('deploymentconfig:main-x') }, 'ImplicitlyDenied');
  });

  test('no role to pass: CodeDeploy uses the deployment group\'s service role', async () => {
    await model.expectDecision({
      principal: action,
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${TENANT}:role/main-codedeploy-service`,
      context: { 'iam:PassedToService': 'codedeploy.amazonaws.com' },
    }, 'ImplicitlyDenied');
  });
});

describe('the action role without codeDeployServerDeployments', () => {
  const { model, action } = tenantModel({});

  test('may not deploy with CodeDeploy, even to prefixed names (control: its stacks)', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:eu-west-1:${TENANT}:stack/main-app/0a1b` }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-fleet') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'codedeploy:RegisterApplicationRevision', resource: codedeploy('application:main-web') }, 'ImplicitlyDenied');
  });
});

test('cdk-nag AwsSolutions: no unsuppressed finding with codeDeployServerDeployments', () => {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  new TenantDeploymentRole(stack, 'Roles', {
    contract: new DeploymentContract({ toolingAccount: TOOLING }), executionRoleStatements: [], codeDeployServerDeployments: true,
  });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const findings = app.synth().getStackByName('Tenant').messages
    .filter((m) => /AwsSolutions-/.test(String(m.entry.data)) && m.level === 'error');
  expect(findings.map((m) => String(m.entry.data))).toEqual([]);
});

interface StoreMode { readonly name: string; readonly organizationId?: string; readonly options: AccessModelOptions }

const STORE_MODES: StoreMode[] = [
  { name: 'organization mode', organizationId: ORG, options: { organizations: [{ id: ORG, accounts: [TOOLING, TENANT] }] } },
  { name: 'account-list mode', options: {} },
];

describe.each(STORE_MODES)('the artifact store and the CodeDeploy instance role ($name)', (mode) => {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  new ArtifactStore(stack, 'Store', {
    contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId }),
    readerAccounts: mode.organizationId ? undefined : [TENANT],
  });
  const model = AccessModel.fromAssembly(app.synth(), mode.options);
  const bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${REGION}`);
  const key = model.key(TOOLING, 'alias/cdkx-main-artifacts');
  const revision = `${bucket.arn}/main-web-release/BuildOutpu/abc123`;
  // The instance role's own policy allows whatever is asked, so the store's policies decide.
  const instance = model.externalRole(`arn:aws:iam::${TENANT}:role/${INSTANCE_ROLE}`, { identity: 'allow-all-tested' });

  test('the instance role of a reader account may download the revision (s3:GetObject, s3:GetObjectVersion) and decrypt it through S3', async () => {
    await model.expectDecision({ principal: instance, action: 's3:GetObject', resource: revision }, 'Allowed');
    await model.expectDecision({ principal: instance, action: 's3:GetObjectVersion', resource: revision }, 'Allowed');
    await model.expectDecision({ principal: instance, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'Allowed');
  });

  test('the instance role may not write artifacts or encrypt with the key (control: it may read)', async () => {
    await model.expectDecision({ principal: instance, action: 's3:GetObject', resource: revision }, 'Allowed');
    await model.expectDecision({ principal: instance, action: 's3:PutObject', resource: revision }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: instance, action: 's3:DeleteObject', resource: revision }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: instance, action: 'kms:GenerateDataKey', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
  });

  test('the instance role may not decrypt outside S3 (control: through S3)', async () => {
    await model.expectDecision({ principal: instance, action: 'kms:Decrypt', resource: key.arn }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: instance, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'Allowed');
  });

  test('another role of the same account, or the instance role name in another account, may not read', async () => {
    const other = model.externalRole(`arn:aws:iam::${TENANT}:role/web-instance`, { identity: 'allow-all-tested' });
    const pathed = model.externalRole(`arn:aws:iam::${TENANT}:role/team/${INSTANCE_ROLE}`, { identity: 'allow-all-tested' });
    const outsider = model.externalRole(`arn:aws:iam::${OUTSIDER}:role/${INSTANCE_ROLE}`, { identity: 'allow-all-tested' });
    for (const principal of [other, pathed, outsider]) {
      await model.expectDecision({ principal, action: 's3:GetObject', resource: revision }, 'ImplicitlyDenied');
      await model.expectDecision({ principal, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
    }
    await model.expectDecision({ principal: instance, action: 's3:GetObject', resource: revision }, 'Allowed');
  });
});
