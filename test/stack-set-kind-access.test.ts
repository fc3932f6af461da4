/**
 * Access proofs for TenantDeploymentRole's `stackSetAdministration` opt-in
 * (the action role of `DeploymentKind.stackSet`), evaluated with real IAM
 * logic (test/support/access-model.ts), and its bad inputs refused at synth.
 *
 * Must show: with the opt-in, the action role may run the StackSet operations
 * of CodePipeline's StackSet actions on StackSets named with the contract's
 * prefix and on no other StackSet; self-managed, it may pass the
 * administration role, only to CloudFormation, and no other role; without the
 * opt-in, it may do none of it. Each denial runs next to an allowed control
 * that differs in one respect.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentContract, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { AccessModel, ModelRole } from './support/access-model';
import { synthErrorOf } from './support/synth-error';
import { StackSetPermissionModel } from '../src/cross-account-pipeline/stack-set-deployment';
import { STACK_SET_ACTIONS } from '../src/tenant-deployment-role/private/stack-set-administration';

const TOOLING = '111111111111';
const MANAGEMENT = '222222222222';
const ACTION_ROLE = 'cdkx-main-deploy-action';
const stackSet = (name: string) => `arn:aws:cloudformation:us-east-1:${MANAGEMENT}:stackset/${name}:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;
const ADMIN_ROLE = `arn:aws:iam::${MANAGEMENT}:role/AWSCloudFormationStackSetAdministrationRole`;
const PASSED_TO_CLOUDFORMATION = { 'iam:PassedToService': 'cloudformation.amazonaws.com' };

function build(extra: Partial<TenantDeploymentRoleProps>): { stack: Stack; model: AccessModel; action: ModelRole } {
  const app = new App();
  const stack = new Stack(app, 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new TenantDeploymentRole(stack, 'Roles', { contract: new DeploymentContract({ toolingAccount: TOOLING }), ...extra });
  const model = AccessModel.fromAssembly(app.synth());
  return { stack, model, action: model.role(MANAGEMENT, ACTION_ROLE) };
}

function policyStatements(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('the action role with stackSetAdministration (service-managed)', () => {
  const { stack, model, action } = build({ stackSetAdministration: {} });

  test.each(STACK_SET_ACTIONS)('%s on a StackSet named with the prefix: allowed; on another StackSet: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: stackSet('main-guardrails') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: stackSet('guardrails') }, 'ImplicitlyDenied');
  });

  test('deleting the StackSet is not granted (the pipeline\'s actions never delete)', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:UpdateStackSet', resource: stackSet('main-guardrails') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:DeleteStackSet', resource: stackSet('main-guardrails') }, 'ImplicitlyDenied');
  });

  test('no role to pass: service-managed StackSets use the roles StackSets creates', async () => {
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: ADMIN_ROLE, context: PASSED_TO_CLOUDFORMATION }, 'ImplicitlyDenied');
  });

  test('CreateStackSet, which supports no resource-level permissions, on any name: an empty StackSet deploys nothing', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateStackSet', resource: '*' }, 'Allowed');
    // Its instances stay bound to the prefix (control: the prefix's StackSet).
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateStackInstances', resource: stackSet('main-guardrails') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateStackInstances', resource: stackSet('other') }, 'ImplicitlyDenied');
  });

  test('no Organizations permission outside a delegated administrator', () => {
    expect(JSON.stringify(policyStatements(stack).map((s: any) => s.Action))).not.toContain('organizations:');
  });
});

describe('the action role with stackSetAdministration (self-managed)', () => {
  const { model, action } = build({ stackSetAdministration: { permissionModel: StackSetPermissionModel.SELF_MANAGED } });

  test('may pass the administration role to CloudFormation, and to no other service', async () => {
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: ADMIN_ROLE, context: PASSED_TO_CLOUDFORMATION }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: ADMIN_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'ImplicitlyDenied');
  });

  test('may pass no other role to CloudFormation', async () => {
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: ADMIN_ROLE, context: PASSED_TO_CLOUDFORMATION }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: `arn:aws:iam::${MANAGEMENT}:role/legacy-admin`, context: PASSED_TO_CLOUDFORMATION }, 'ImplicitlyDenied');
  });

  test('a custom administration role replaces the default one', async () => {
    const custom = build({ stackSetAdministration: { permissionModel: StackSetPermissionModel.SELF_MANAGED, administrationRoleName: 'guardrails-admin' } });
    await custom.model.expectDecision({ principal: custom.action, action: 'iam:PassRole', resource: `arn:aws:iam::${MANAGEMENT}:role/guardrails-admin`, context: PASSED_TO_CLOUDFORMATION }, 'Allowed');
    await custom.model.expectDecision({ principal: custom.action, action: 'iam:PassRole', resource: ADMIN_ROLE, context: PASSED_TO_CLOUDFORMATION }, 'ImplicitlyDenied');
  });
});

describe('the action role without stackSetAdministration', () => {
  const { model, action } = build({});

  test('may not touch a StackSet, even one named with the prefix (control: its stacks)', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:us-east-1:${MANAGEMENT}:stack/main-guardrails/0a1b2c3d` }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:UpdateStackSet', resource: stackSet('main-guardrails') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateStackInstances', resource: stackSet('main-guardrails') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateStackSet', resource: '*' }, 'ImplicitlyDenied');
  });
});

describe('stackSetAdministration as a delegated administrator', () => {
  test('lists the delegated administrators, and reaches the prefix\'s StackSets of the management account only by name', () => {
    const { stack } = build({ stackSetAdministration: { delegatedAdministrator: true } });
    const statements = policyStatements(stack);
    expect(statements.find((s: any) => s.Sid === 'FindTheDelegatedAdministrators')).toEqual({
      Sid: 'FindTheDelegatedAdministrators', Effect: 'Allow', Action: 'organizations:ListDelegatedAdministrators', Resource: '*',
    });
    const stackSets = statements.find((s: any) => s.Sid === 'AdministerContractStackSets');
    expect(JSON.stringify(stackSets.Resource)).toContain(':cloudformation:*:*:stackset/main-*:*');
  });
});

test.each([
  ['service-managed', {}],
  ['self-managed', { permissionModel: StackSetPermissionModel.SELF_MANAGED }],
  ['delegated administrator', { delegatedAdministrator: true }],
] as const)('cdk-nag AwsSolutions: no unsuppressed finding with stackSetAdministration (%s)', (_name, admin) => {
  const app = new App();
  const stack = new Stack(app, 'Management', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new TenantDeploymentRole(stack, 'Roles', {
    contract: new DeploymentContract({ toolingAccount: TOOLING }),
    executionRoleStatements: [],
    stackSetAdministration: admin,
  });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const findings = app.synth().getStackByName('Management').messages
    .filter((m) => /AwsSolutions-/.test(String(m.entry.data)) && m.level === 'error');
  expect(findings.map((m) => String(m.entry.data))).toEqual([]);
});

describe('stackSetAdministration refuses at synth', () => {
  const errorOf = (extra: Partial<TenantDeploymentRoleProps>) => synthErrorOf(() => build(extra));

  test('an administration role on a service-managed StackSet', () => {
    expect(errorOf({ stackSetAdministration: { administrationRoleName: 'guardrails-admin' } })).toContain(
      '[Management/Roles] invalid configuration:\n  - stackSetAdministration.administrationRoleName = "guardrails-admin": only self-managed StackSets pass an administration role. Fix: set permissionModel to StackSetPermissionModel.SELF_MANAGED');
  });

  test('an administration role name with a wildcard', () => {
    expect(errorOf({ stackSetAdministration: { permissionModel: StackSetPermissionModel.SELF_MANAGED, administrationRoleName: 'AWSCloudFormation*' } })).toContain(
      'stackSetAdministration.administrationRoleName = "AWSCloudFormation*": not an IAM role name');
  });

  test('a self-managed delegated administrator', () => {
    expect(errorOf({ stackSetAdministration: { permissionModel: StackSetPermissionModel.SELF_MANAGED, delegatedAdministrator: true } })).toContain(
      'stackSetAdministration.delegatedAdministrator = true: delegated administrators manage service-managed StackSets only');
  });
});
