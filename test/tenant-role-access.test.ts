/**
 * Access proofs for the permissions boundary guard of TenantDeploymentRole's
 * execution role, evaluated with real IAM logic (test/support/access-model.ts).
 *
 * Must show: with `permissionsBoundary`, whatever the stacks deploy cannot
 * reach past the boundary through a principal that does not carry it. The
 * execution role may change roles and users that carry the boundary (the ones
 * its stacks create), and may not touch the policies, trust or credentials of
 * existing boundary-less principals, pass them to a service, or rewrite
 * managed policies the stacks did not create.
 *
 * The execution role's own statements and the boundary both allow every IAM
 * action tested, on every resource, so that each denial below is the guard's.
 * Each denial runs next to an allowed control that differs in one respect.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeploymentContract, TenantDeploymentRole } from '../src';
import { AccessModel, ModelRole } from './support/access-model';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const EXEC_ROLE = 'cdkx-main-cfn-exec';

/** IAM actions a stack's resources use to build and change roles, users and policies. */
const IAM_ACTIONS = [
  'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy',
  'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy',
  'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile',
  'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion', 'iam:PassRole',
];

const arn = (resource: string) => `arn:aws:iam::${TENANT}:${resource}`;
/** An existing administrator role and user of the account: no boundary, no contract prefix. */
const LEGACY_ROLE = arn('role/legacy-admin');
const LEGACY_USER = arn('user/legacy-admin');
const LEGACY_POLICY = arn('policy/legacy-admin-policy');
/** What a stack of the contract creates: CloudFormation names it after the stack ('main-app'). */
const STACK_ROLE = arn('role/main-app-FunctionServiceRole-1A2B3C4D5E6F');
const STACK_USER = arn('user/main-app-ReportUser-1A2B3C4D5E6F');
const STACK_POLICY = arn('policy/main-app-ReadPolicy-1A2B3C4D5E6F');

function buildModel(): { model: AccessModel; exec: ModelRole; boundaryArn: string } {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  const everyIamAction = () => new iam.PolicyStatement({ actions: IAM_ACTIONS, resources: ['*'] });
  const boundary = new iam.ManagedPolicy(stack, 'Boundary', { statements: [everyIamAction()] });
  new TenantDeploymentRole(stack, 'Roles', {
    contract: new DeploymentContract({ toolingAccount: TOOLING }),
    permissionsBoundary: boundary,
    executionRoleStatements: [everyIamAction()],
  });
  const model = AccessModel.fromAssembly(app.synth());
  const exec = model.role(TENANT, EXEC_ROLE);
  if (!exec.permissionsBoundary) throw new Error('the execution role carries no boundary');
  return { model, exec, boundaryArn: exec.permissionsBoundary.name };
}

describe('the execution role with a permissions boundary', () => {
  const { model, exec, boundaryArn } = buildModel();
  const carriesBoundary = () => ({ 'iam:PermissionsBoundary': boundaryArn });

  test.each([
    'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy',
  ])('%s on an existing role without the boundary: denied; on a role that carries it: allowed', async (action) => {
    await model.expectDecision({ principal: exec, action, resource: LEGACY_ROLE }, 'ExplicitlyDenied');
    await model.expectDecision({ principal: exec, action, resource: STACK_ROLE, context: carriesBoundary() }, 'Allowed');
  });

  test('a role named like the stacks\' but without the boundary is still refused a new policy', async () => {
    await model.expectDecision({ principal: exec, action: 'iam:AttachRolePolicy', resource: STACK_ROLE }, 'ExplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'iam:AttachRolePolicy', resource: STACK_ROLE, context: carriesBoundary() }, 'Allowed');
  });

  test.each([
    'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy',
  ])('%s on an existing user without the boundary: denied; on a user that carries it: allowed', async (action) => {
    await model.expectDecision({ principal: exec, action, resource: LEGACY_USER }, 'ExplicitlyDenied');
    await model.expectDecision({ principal: exec, action, resource: STACK_USER, context: carriesBoundary() }, 'Allowed');
  });

  test.each([
    'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile',
  ])('%s for an existing user outside the stacks\' names: denied; for a user of a stack: allowed', async (action) => {
    await model.expectDecision({ principal: exec, action, resource: LEGACY_USER }, 'ExplicitlyDenied');
    await model.expectDecision({ principal: exec, action, resource: STACK_USER }, 'Allowed');
  });

  test.each([
    'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion',
  ])('%s of a managed policy outside the stacks\' names: denied; of a stack\'s policy: allowed', async (action) => {
    await model.expectDecision({ principal: exec, action, resource: LEGACY_POLICY }, 'ExplicitlyDenied');
    await model.expectDecision({ principal: exec, action, resource: STACK_POLICY }, 'Allowed');
  });

  test('iam:PassRole of an existing role outside the stacks\' names: denied; of a stack\'s role: allowed', async () => {
    const toLambda = { 'iam:PassedToService': 'lambda.amazonaws.com' };
    await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: LEGACY_ROLE, context: toLambda }, 'ExplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: STACK_ROLE, context: toLambda }, 'Allowed');
  });

  test('the boundary itself cannot be rewritten, even though its name is the stacks\' business', async () => {
    await model.expectDecision({ principal: exec, action: 'iam:CreatePolicyVersion', resource: boundaryArn }, 'ExplicitlyDenied');
  });
});
