/**
 * Access proofs for TenantRegistry and FleetRollout on the synthesized integ
 * app (integ/integ.fleet-rollout.ts: tooling account 111111111111,
 * organization o-integtest01, qualifier 'integ'), with tenant accounts that
 * deploy TenantDeploymentRole of the same contract, evaluated with real IAM
 * logic (test/support/access-model.ts and @cloud-copilot/iam-simulate).
 *
 * Must show:
 * 1. the engine role (both state machines' role, on the pipeline path) may
 *    assume the contract's action role in the organization's accounts, and the
 *    action role's trust admits it; no other role, no account outside the
 *    organization, no iam:PassRole; items of the registry table only; ring
 *    files read-only, map results writable;
 * 2. a principal given `grantRegister` writes tenant items with registrar
 *    attributes only, never the engine's `#` items or `lastRelease`, and can
 *    neither start a rollout nor assume a tenant role;
 * 3. tenant roles cannot read or write the registry;
 * 4. the planner cannot assume tenant roles nor start executions.
 *
 * Every denial runs next to an allowed control request that differs in one
 * respect, so a request refused for an unrelated reason cannot pass as proof.
 *
 * Besides the integ app, the assembly holds what a real fleet also has, so that
 * denials are decided by the fleet's own policies and not by a missing trust:
 * - account 999999999999, outside the organization, with the contract's tenant
 *   roles (which trust the tooling account's pipeline path);
 * - an OrganizationAccountAccessRole in the tenant account that trusts the
 *   whole tooling account;
 * - a tenant execution role allowed dynamodb:* on every resource (only the
 *   registry table's missing resource policy can keep it out).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { INTEG_TOOLING_ACCOUNT } from '../integ/integ-environment';
import { buildFleetRolloutIntegApp } from '../integ/integ.fleet-rollout';
import { DeploymentContract, TenantDeploymentRole } from '../src';
import { AccessModel, AccessPrincipal, AccessRequest, Decision, ModelRole } from './support/access-model';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';
import { REGISTRAR_ATTRIBUTES } from '../src/fleet-rollout/tenant-registry';

const TOOLING = INTEG_TOOLING_ACCOUNT;
const TENANT = '222222222222';
const OUTSIDER = '999999999999';
const REGION = 'us-east-1';
const ORG_ID = 'o-integtest01';
const STACK = 'cdkx-integ-fleet-rollout';
const ACTION_ROLE = 'cdkx-integ-deploy-action';
const EXEC_ROLE = 'cdkx-integ-cfn-exec';
const ORG_ACCESS_ROLE = 'OrganizationAccountAccessRole';
const ROLLOUT_MACHINE = `arn:aws:states:${REGION}:${TOOLING}:stateMachine:cdkx-integ-app-rollout`;
const ONBOARDING_MACHINE = `arn:aws:states:${REGION}:${TOOLING}:stateMachine:cdkx-integ-app-onboarding`;
/** A table of the tooling account that is not the registry (no resource policy). */
const OTHER_TABLE = `arn:aws:dynamodb:${REGION}:${TOOLING}:table/other-app-data`;
/** A table of the tenant's own application, in the tenant account (no resource policy). */
const TENANT_TABLE = `arn:aws:dynamodb:${REGION}:${TENANT}:table/app-data`;

function build() {
  const app = new App({ analyticsReporting: false });
  // The integ app's stacks are environment-agnostic: deployed to TOOLING/REGION (defaultEnv below).
  buildFleetRolloutIntegApp(app);
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID, qualifier: 'integ' });
  for (const account of [TENANT, OUTSIDER]) {
    const stack = new Stack(app, `Tenant${account}`, { env: { account, region: REGION } });
    new TenantDeploymentRole(stack, 'Deploy', {
      contract,
      // A tenant whose stacks create tables: its execution role may call every DynamoDB action on every resource.
      executionRoleStatements: [new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] })],
    });
    if (account === TENANT) {
      // What AWS Organizations creates in member accounts, here trusting every principal of the tooling account.
      new iam.Role(stack, 'OrgAccess', { roleName: ORG_ACCESS_ROLE, assumedBy: new iam.AccountPrincipal(TOOLING) });
    }
  }
  const assembly = app.synth();
  const registryTemplate = assembly.getStackByName(STACK).template;
  const tables = Object.entries<any>(registryTemplate.Resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`expected one table in ${STACK}, found ${tables.map(([id]) => id).join(', ')}`);
  const [, table] = tables[0];
  const registry = {
    // The integ app names its table; the shared resolver (test/support/intrinsics.ts) resolves it by that name.
    arn: `arn:aws:dynamodb:${REGION}:${TOOLING}:table/${table.Properties.TableName}`,
    // Undefined: asserted below, so that the tenant denials rest on a fact of the template.
    resourcePolicy: table.Properties?.ResourcePolicy?.PolicyDocument,
    declaresResourcePolicy: table.Properties?.ResourcePolicy !== undefined,
  };
  const model = AccessModel.fromAssembly(assembly, {
    defaultEnv: { account: TOOLING, region: REGION },
    awsManagedPolicies: AWS_MANAGED_POLICIES,
    organizations: [{ id: ORG_ID, accounts: [TOOLING, TENANT] }],
    dynamoDbTables: [{ arn: registry.arn, resourcePolicy: registry.resourcePolicy }, { arn: OTHER_TABLE }, { arn: TENANT_TABLE }],
  });
  return { model, registry };
}

describe('FleetRollout and TenantRegistry access (integ app)', () => {
  const { model, registry } = build();
  const engine = model.role(TOOLING, /FleetEngineRole/);
  const planner = model.role(TOOLING, /FleetPlannerServiceRole/);
  const pipeRole = model.role(TOOLING, /FleetOnboardingRole/);
  const vending = model.role(TOOLING, /AccountVending/);
  const work = model.bucket(TOOLING, /fleetworkbucket/);
  const actionRole = (account: string) => model.role(account, ACTION_ROLE);
  const execRole = (account: string) => model.role(account, EXEC_ROLE);
  const object = (key: string) => `${work.arn}/${key}`;

  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);
  const expectAssume = (principal: AccessPrincipal, roleArn: string, expected: Decision) => model.expectAssume(principal, roleArn, expected);
  /** `expected`, and the principal's own identity policies did not allow it either (not only the resource side refused). */
  async function expectIdentityDenied(request: AccessRequest, expected: Decision): Promise<void> {
    const result = await model.evaluate(request);
    if (result.decision !== expected || !/identity: ImplicitlyDenied/.test(result.explanation)) {
      throw new Error(`expected ${expected}, also on the identity side\n${result.explanation}`);
    }
  }
  const withoutOwnPolicies = (role: ModelRole): AccessPrincipal => ({ ...role, identity: 'allow-all-tested' });

  test('the assembly: engine on the pipeline path, planner and registrar off it, a registry table without resource policy, tenant roles', () => {
    expect(engine.arn).toMatch(new RegExp(`^arn:aws:iam::${TOOLING}:role/cdkx-integ/`));
    for (const role of [planner, vending, pipeRole]) expect(role.arn).not.toContain('/cdkx-integ/');
    expect(registry.declaresResourcePolicy).toBe(false);
    expect(work.restrictPublicBuckets).toBe(true);
    for (const account of [TENANT, OUTSIDER]) {
      expect(actionRole(account).arn).toBe(`arn:aws:iam::${account}:role/${ACTION_ROLE}`);
      expect(execRole(account).arn).toBe(`arn:aws:iam::${account}:role/${EXEC_ROLE}`);
    }
  });

  describe('1. the engine role', () => {
    test('sts:AssumeRole of the action role in an account of the organization: allowed end to end', async () => {
      await expectAssume(engine, actionRole(TENANT).arn, 'Allowed');
      // Both sides count: the trust policy alone does not let the engine in, nor its identity policy alone.
      await expectAssume({ ...engine, identity: [] }, actionRole(TENANT).arn, 'ImplicitlyDenied');
      const offPath = model.externalRole(`arn:aws:iam::${TOOLING}:role/fleet-engine-elsewhere`, { identity: engine.identity });
      await expectAssume(offPath, actionRole(TENANT).arn, 'ImplicitlyDenied');
    });

    test('the same role name in an account outside the organization: denied (control: the same account inside it)', async () => {
      await expectIdentityDenied({ principal: engine, action: 'sts:AssumeRole', resource: actionRole(OUTSIDER).arn }, 'ImplicitlyDenied');
      // Differs in aws:ResourceOrgID only: the outsider's role trusts the engine, only the engine's own policy keeps it out.
      await expectDecision({
        principal: engine, action: 'sts:AssumeRole', resource: actionRole(OUTSIDER).arn, context: { 'aws:ResourceOrgID': ORG_ID },
      }, 'Allowed');
      await expectDecision({
        principal: engine, action: 'sts:AssumeRole', resource: actionRole(TENANT).arn, context: { 'aws:ResourceOrgID': 'o-otherorg99' },
      }, 'ImplicitlyDenied');
    });

    test('the tenant\'s execution role: denied by the engine\'s own policy (control: the action role of that account)', async () => {
      await expectIdentityDenied({ principal: engine, action: 'sts:AssumeRole', resource: execRole(TENANT).arn }, 'ImplicitlyDenied');
      await expectAssume(engine, actionRole(TENANT).arn, 'Allowed');
    });

    test('any other role, e.g. OrganizationAccountAccessRole trusting the tooling account: denied by the engine\'s own policy', async () => {
      const orgAccess = model.role(TENANT, ORG_ACCESS_ROLE);
      await expectIdentityDenied({ principal: engine, action: 'sts:AssumeRole', resource: orgAccess.arn }, 'ImplicitlyDenied');
      // Differs in the identity side only: the role's trust admits the engine.
      await expectAssume(withoutOwnPolicies(engine), orgAccess.arn, 'Allowed');
    });

    test('no iam:PassRole at all: no statement names it or a wildcard that covers it', async () => {
      const statements: any[] = engine.identity.flatMap((p) => ([] as any[]).concat(p.document.Statement)).filter((st) => st.Effect === 'Allow');
      expect(statements.filter((st) => st.NotAction !== undefined)).toEqual([]);
      const actions = statements.flatMap((st) => ([] as string[]).concat(st.Action ?? []));
      // An action pattern covers iam:PassRole when its glob (* and ?) matches it, case-insensitively.
      const covers = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i').test('iam:PassRole');
      expect(['iam:PassRole', 'iam:*', 'iam:Pass*', '*'].every(covers)).toBe(true); // the check itself
      expect(actions.filter(covers)).toEqual([]);
      for (const role of [engine, execRole(TENANT), actionRole(TENANT), planner]) {
        await expectDecision({ principal: engine, action: 'iam:PassRole', resource: role.arn, context: { 'iam:PassedToService': 'states.amazonaws.com' } }, 'ImplicitlyDenied');
      }
      // Control: the same request with an identity that allows it.
      await expectDecision({
        principal: withoutOwnPolicies(engine), action: 'iam:PassRole', resource: engine.arn, context: { 'iam:PassedToService': 'states.amazonaws.com' },
      }, 'Allowed');
    });

    test.each(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'])(
      '%s on the registry table: allowed; on another table: denied', async (action) => {
        await expectDecision({ principal: engine, action, resource: registry.arn }, 'Allowed');
        await expectDecision({ principal: engine, action, resource: OTHER_TABLE }, 'ImplicitlyDenied');
      });

    test('no scan, query, batch or table administration on the registry (control: GetItem)', async () => {
      for (const action of ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable']) {
        await expectDecision({ principal: engine, action, resource: registry.arn }, 'ImplicitlyDenied');
      }
      await expectDecision({ principal: engine, action: 'dynamodb:GetItem', resource: registry.arn }, 'Allowed');
    });

    test('work bucket: PutObject under results/ and GetObject under rollouts/: allowed', async () => {
      await expectDecision({ principal: engine, action: 's3:PutObject', resource: object('results/exec-1/manifest.json') }, 'Allowed');
      await expectDecision({ principal: engine, action: 's3:GetObject', resource: object('rollouts/exec-1/canary.json') }, 'Allowed');
    });

    test('PutObject under rollouts/ (ring files are the planner\'s): denied; control: results/ by the engine, rollouts/ by the planner', async () => {
      await expectDecision({ principal: engine, action: 's3:PutObject', resource: object('rollouts/exec-1/canary.json') }, 'ImplicitlyDenied');
      await expectDecision({ principal: engine, action: 's3:PutObject', resource: object('results/exec-1/canary.json') }, 'Allowed');
      await expectDecision({ principal: planner, action: 's3:PutObject', resource: object('rollouts/exec-1/canary.json') }, 'Allowed');
    });

    test('PutObject elsewhere in the bucket: denied (control: results/)', async () => {
      await expectDecision({ principal: engine, action: 's3:PutObject', resource: object('other/x.json') }, 'ImplicitlyDenied');
      await expectDecision({ principal: engine, action: 's3:DeleteObject', resource: object('rollouts/exec-1/canary.json') }, 'ImplicitlyDenied');
      await expectDecision({ principal: engine, action: 's3:PutObject', resource: object('results/x.json') }, 'Allowed');
    });

    test('it starts executions of the rollout state machine (child executions of the Distributed Map), not of the onboarding one', async () => {
      await expectDecision({ principal: engine, action: 'states:StartExecution', resource: ROLLOUT_MACHINE }, 'Allowed');
      await expectDecision({ principal: engine, action: 'states:StartExecution', resource: ONBOARDING_MACHINE }, 'ImplicitlyDenied');
      await expectDecision({ principal: pipeRole, action: 'states:StartExecution', resource: ONBOARDING_MACHINE }, 'Allowed'); // control
    });
  });

  describe('2. a principal given grantRegister (the integ app\'s AccountVending role)', () => {
    const put = (context: Record<string, string | string[]>): AccessRequest => ({
      principal: vending, action: 'dynamodb:PutItem', resource: registry.arn, context,
    });
    const tenantKey = { 'dynamodb:LeadingKeys': ['t-0001'] };
    const registrarAttributes = { 'dynamodb:Attributes': [...REGISTRAR_ATTRIBUTES] };

    test('the registrar attribute list is the one the brief names', () => {
      expect(REGISTRAR_ATTRIBUTES).toEqual(['tenantId', 'account', 'region', 'ring', 'model', 'parameters', 'status']);
    });

    test('PutItem of tenant t-0001 with registrar attributes: allowed', async () => {
      await expectDecision(put({ ...tenantKey, ...registrarAttributes }), 'Allowed');
      await expectDecision(put({ ...tenantKey, 'dynamodb:Attributes': ['tenantId', 'account', 'status'] }), 'Allowed');
      await expectDecision({ ...put({ ...tenantKey, ...registrarAttributes }), action: 'dynamodb:UpdateItem' }, 'Allowed');
    });

    test.each(['#lock', '#release'])('PutItem of the engine item %s: denied (control: t-0001)', async (item) => {
      await expectDecision(put({ 'dynamodb:LeadingKeys': [item], ...registrarAttributes }), 'ImplicitlyDenied');
      await expectDecision({ ...put({ 'dynamodb:LeadingKeys': [item], ...registrarAttributes }), action: 'dynamodb:UpdateItem' }, 'ImplicitlyDenied');
      await expectDecision({ ...put({ 'dynamodb:LeadingKeys': [item], ...registrarAttributes }), action: 'dynamodb:GetItem' }, 'ImplicitlyDenied');
      await expectDecision(put({ ...tenantKey, ...registrarAttributes }), 'Allowed');
    });

    test.each(['lastRelease', 'lastResult'])('PutItem naming the engine\'s attribute %s: denied (control: without it)', async (attribute) => {
      // dynamodb:Attributes is multi-valued (ArrayOfString in iam-simulate's service data), so
      // ForAllValues:StringEquals is evaluated per value; the simulator reports no ignored key (access-model checks).
      await expectDecision(put({ ...tenantKey, 'dynamodb:Attributes': [...REGISTRAR_ATTRIBUTES, attribute] }), 'ImplicitlyDenied');
      await expectDecision({ ...put({ ...tenantKey, 'dynamodb:Attributes': ['tenantId', attribute] }), action: 'dynamodb:UpdateItem' }, 'ImplicitlyDenied');
      await expectDecision(put({ ...tenantKey, ...registrarAttributes }), 'Allowed');
    });

    test('PutItem asking for the old item back (ReturnValues ALL_OLD): denied (control: NONE)', async () => {
      await expectDecision(put({ ...tenantKey, ...registrarAttributes, 'dynamodb:ReturnValues': 'ALL_OLD' }), 'ImplicitlyDenied');
      await expectDecision(put({ ...tenantKey, ...registrarAttributes, 'dynamodb:ReturnValues': 'NONE' }), 'Allowed');
    });

    test('DeleteItem and Scan: denied (control: PutItem)', async () => {
      await expectDecision({ ...put({ ...tenantKey, ...registrarAttributes }), action: 'dynamodb:DeleteItem' }, 'ImplicitlyDenied');
      await expectDecision({ principal: vending, action: 'dynamodb:Scan', resource: registry.arn }, 'ImplicitlyDenied');
      await expectDecision(put({ ...tenantKey, ...registrarAttributes }), 'Allowed');
    });

    test('states:StartExecution of the rollout state machine: denied (control: the engine\'s identity)', async () => {
      await expectDecision({ principal: vending, action: 'states:StartExecution', resource: ROLLOUT_MACHINE }, 'ImplicitlyDenied');
      await expectDecision({ principal: vending, action: 'states:StartExecution', resource: ONBOARDING_MACHINE }, 'ImplicitlyDenied');
      // Step Functions has no resource policies: an identity that allows it is all it takes.
      await expectDecision({ principal: withoutOwnPolicies(vending), action: 'states:StartExecution', resource: ROLLOUT_MACHINE }, 'Allowed');
      await expectDecision({ principal: engine, action: 'states:StartExecution', resource: ROLLOUT_MACHINE }, 'Allowed');
    });

    test('sts:AssumeRole of a tenant action role: denied by its own policy and by the action role\'s trust (off the pipeline path)', async () => {
      await expectIdentityDenied({ principal: vending, action: 'sts:AssumeRole', resource: actionRole(TENANT).arn }, 'ImplicitlyDenied');
      await expectAssume(withoutOwnPolicies(vending), actionRole(TENANT).arn, 'ImplicitlyDenied');
      await expectAssume(engine, actionRole(TENANT).arn, 'Allowed'); // control: the pipeline-path role
    });
  });

  describe('3. tenant roles and the registry', () => {
    test.each([ACTION_ROLE, EXEC_ROLE])('%s may not GetItem or PutItem on the registry (control: the engine)', async (name) => {
      const role = model.role(TENANT, name);
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem']) {
        await expectDecision({ principal: role, action, resource: registry.arn }, 'ImplicitlyDenied');
        // Even an identity that allows it is refused: cross-account, and the table has no resource policy.
        await expectDecision({ principal: withoutOwnPolicies(role), action, resource: registry.arn }, 'ImplicitlyDenied');
        await expectDecision({ principal: engine, action, resource: registry.arn }, 'Allowed');
      }
    });

    test('the action role has no identity grant on the registry', async () => {
      await expectIdentityDenied({ principal: actionRole(TENANT), action: 'dynamodb:GetItem', resource: registry.arn }, 'ImplicitlyDenied');
      await expectIdentityDenied({ principal: actionRole(TENANT), action: 'dynamodb:PutItem', resource: registry.arn }, 'ImplicitlyDenied');
    });

    test('the execution role, allowed dynamodb:* by its own policy, is refused by the table alone', async () => {
      const result = await model.evaluate({ principal: execRole(TENANT), action: 'dynamodb:PutItem', resource: registry.arn });
      expect(result.decision).toBe('ImplicitlyDenied');
      expect(result.explanation).toMatch(/identity: Allowed/);
      expect(result.explanation).toMatch(/resource policy: none/);
      // Control: the same role on a table of a stack in its own account (same account, identity decides).
      await expectDecision({ principal: execRole(TENANT), action: 'dynamodb:PutItem', resource: TENANT_TABLE }, 'Allowed');
    });
  });

  describe('4. the planner role', () => {
    test('may not assume the tenant action role (control: the engine)', async () => {
      await expectIdentityDenied({ principal: planner, action: 'sts:AssumeRole', resource: actionRole(TENANT).arn }, 'ImplicitlyDenied');
      await expectAssume(withoutOwnPolicies(planner), actionRole(TENANT).arn, 'ImplicitlyDenied'); // nor does the trust admit it
      await expectAssume(engine, actionRole(TENANT).arn, 'Allowed');
    });

    test('may not assume the execution role nor any other tenant role', async () => {
      await expectIdentityDenied({ principal: planner, action: 'sts:AssumeRole', resource: execRole(TENANT).arn }, 'ImplicitlyDenied');
      await expectIdentityDenied({ principal: planner, action: 'sts:AssumeRole', resource: model.role(TENANT, ORG_ACCESS_ROLE).arn }, 'ImplicitlyDenied');
      await expectAssume(withoutOwnPolicies(planner), model.role(TENANT, ORG_ACCESS_ROLE).arn, 'Allowed'); // control: trust admits it
    });

    test('may not start executions of either state machine (control: the engine, the pipe)', async () => {
      await expectDecision({ principal: planner, action: 'states:StartExecution', resource: ROLLOUT_MACHINE }, 'ImplicitlyDenied');
      await expectDecision({ principal: planner, action: 'states:StartExecution', resource: ONBOARDING_MACHINE }, 'ImplicitlyDenied');
      await expectDecision({ principal: engine, action: 'states:StartExecution', resource: ROLLOUT_MACHINE }, 'Allowed');
      await expectDecision({ principal: pipeRole, action: 'states:StartExecution', resource: ONBOARDING_MACHINE }, 'Allowed');
    });

    test('reads and marks records but does not delete them nor write ring results (control: its grants)', async () => {
      await expectDecision({ principal: planner, action: 'dynamodb:Scan', resource: registry.arn }, 'Allowed');
      await expectDecision({ principal: planner, action: 'dynamodb:UpdateItem', resource: registry.arn }, 'Allowed');
      await expectDecision({ principal: planner, action: 'dynamodb:DeleteItem', resource: registry.arn }, 'ImplicitlyDenied');
      await expectDecision({ principal: planner, action: 'dynamodb:PutItem', resource: registry.arn }, 'ImplicitlyDenied');
      await expectDecision({ principal: planner, action: 's3:PutObject', resource: object('results/exec-1/manifest.json') }, 'ImplicitlyDenied');
      await expectDecision({ principal: planner, action: 's3:PutObject', resource: object('rollouts/exec-1/canary.json') }, 'Allowed');
    });
  });
});
