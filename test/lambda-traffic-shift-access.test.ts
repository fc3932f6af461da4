/**
 * Access proofs for TenantDeploymentRole's `lambdaDeployments` opt-in (the
 * action role of `DeploymentKind.lambdaTrafficShift`), evaluated with real IAM
 * logic (test/support/access-model.ts) on the synthesized template.
 *
 * Must show: with the opt-in, the action role may make the Lambda deploy
 * action's calls on functions named with the contract's prefix in its own
 * account (and on their versions and aliases), and read that account's
 * alarms; not on a function outside the prefix, not on another account's
 * function or alarm, and nothing the action does not do (invoke, delete,
 * change configuration or permissions). Without the opt-in, none of it. Each
 * denial runs next to an allowed control that differs in one respect.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentContract, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { AccessModel, ModelRole } from './support/access-model';
import { LAMBDA_DEPLOY_ACTIONS, lambdaDeploymentStatements } from '../src/tenant-deployment-role/private/lambda-deployments';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const OTHER_TENANT = '333333333333';
const ACTION_ROLE = 'cdkx-main-deploy-action';
const fn = (name: string, account = TENANT, region = 'eu-west-1') => `arn:aws:lambda:${region}:${account}:function:${name}`;
const alarm = (name: string, account = TENANT) => `arn:aws:cloudwatch:eu-west-1:${account}:alarm:${name}`;
// GetProvisionedConcurrencyConfig acts on an alias or a version only, whose ARNs
// look alike, so iam-simulate cannot evaluate it on a concrete ARN; its
// qualified-ARN resource is asserted on the statements below.
const FUNCTION_ACTIONS = LAMBDA_DEPLOY_ACTIONS.filter((a) => a !== 'lambda:GetProvisionedConcurrencyConfig');

function build(extra: Partial<TenantDeploymentRoleProps>): { model: AccessModel; action: ModelRole } {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  new TenantDeploymentRole(stack, 'Roles', { contract: new DeploymentContract({ toolingAccount: TOOLING }), ...extra });
  const model = AccessModel.fromAssembly(app.synth());
  return { model, action: model.role(TENANT, ACTION_ROLE) };
}

describe('the action role with lambdaDeployments', () => {
  const { model, action } = build({ lambdaDeployments: true });

  test.each(FUNCTION_ACTIONS)('%s on a function named with the prefix: allowed; outside the prefix: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: fn('main-api') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: fn('api') }, 'ImplicitlyDenied');
  });

  test.each(FUNCTION_ACTIONS)('%s on the prefix\'s function of another account: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: fn('main-api') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: fn('main-api', OTHER_TENANT) }, 'ImplicitlyDenied');
  });

  test('a prefixed function in any region of the account', async () => {
    await model.expectDecision({ principal: action, action: 'lambda:UpdateAlias', resource: fn('main-api', TENANT, 'us-east-1') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'lambda:UpdateAlias', resource: fn('api', TENANT, 'us-east-1') }, 'ImplicitlyDenied');
  });

  test('nothing the deploy action does not do: invoke, delete, configuration, permissions, new functions', async () => {
    await model.expectDecision({ principal: action, action: 'lambda:UpdateFunctionCode', resource: fn('main-api') }, 'Allowed');
    for (const api of ['lambda:InvokeFunction', 'lambda:DeleteFunction', 'lambda:UpdateFunctionConfiguration', 'lambda:AddPermission', 'lambda:CreateAlias', 'lambda:DeleteAlias']) {
      await model.expectDecision({ principal: action, action: api, resource: fn('main-api') }, 'ImplicitlyDenied');
    }
    await model.expectDecision({ principal: action, action: 'lambda:CreateFunction', resource: fn('main-new') }, 'ImplicitlyDenied');
  });

  test('reads the alarms of its own account, not those of another', async () => {
    await model.expectDecision({ principal: action, action: 'cloudwatch:DescribeAlarms', resource: alarm('main-api-errors') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudwatch:DescribeAlarms', resource: alarm('main-api-errors', OTHER_TENANT) }, 'ImplicitlyDenied');
    // Reading only: the rollback alarms cannot be silenced by the pipeline.
    await model.expectDecision({ principal: action, action: 'cloudwatch:DisableAlarmActions', resource: alarm('main-api-errors') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'cloudwatch:PutMetricAlarm', resource: alarm('main-api-errors') }, 'ImplicitlyDenied');
  });
});

describe('the action role without lambdaDeployments', () => {
  const { model, action } = build({});

  test('may not deploy a prefixed function (control: its stacks)', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:eu-west-1:${TENANT}:stack/main-api/0a1b2c3d` }, 'Allowed');
    for (const api of FUNCTION_ACTIONS) {
      await model.expectDecision({ principal: action, action: api, resource: fn('main-api') }, 'ImplicitlyDenied');
    }
    await model.expectDecision({ principal: action, action: 'cloudwatch:DescribeAlarms', resource: alarm('main-api-errors') }, 'ImplicitlyDenied');
  });
});

describe('lambdaDeploymentStatements (pure, shared with presets)', () => {
  test('no wildcard action, every resource in the given account and prefix, versions and aliases (qualified ARNs) included', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING, stackNamePrefix: 'shop-' });
    const statements = lambdaDeploymentStatements(contract, 'aws', TENANT).map((s) => s.toStatementJson());
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
    expect(statements).toEqual([
      {
        Sid: 'ShiftContractLambdaAliases',
        Effect: 'Allow',
        Action: LAMBDA_DEPLOY_ACTIONS,
        Resource: [`arn:aws:lambda:*:${TENANT}:function:shop-*`, `arn:aws:lambda:*:${TENANT}:function:shop-*:*`],
      },
      { Sid: 'ReadLambdaRollbackAlarms', Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: `arn:aws:cloudwatch:*:${TENANT}:alarm:*` },
    ]);
  });
});

test('cdk-nag AwsSolutions: no unsuppressed finding with lambdaDeployments', () => {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  new TenantDeploymentRole(stack, 'Roles', {
    contract: new DeploymentContract({ toolingAccount: TOOLING }),
    executionRoleStatements: [],
    lambdaDeployments: true,
  });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const findings = app.synth().getStackByName('Tenant').messages
    .filter((m) => /AwsSolutions-/.test(String(m.entry.data)) && m.level === 'error');
  expect(findings.map((m) => String(m.entry.data))).toEqual([]);
});
