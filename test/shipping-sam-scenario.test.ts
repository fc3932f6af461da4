/**
 * Shipping scenario (issue 13, "Must show"): a SAM application with canary
 * traffic shifting, deployed through change sets to a test and a prod
 * account with an approval between, built from the public API only and with
 * no statement written by the user (no executionRoleStatements, no
 * actionRoleStatements, no allowedTransforms): the preset
 * DeploymentPermissions.samApplicationWithCodeDeploy() alone gives the
 * action role the transform permission and the execution role what SAM and
 * CodeDeploy create. Proven with real IAM logic on the synthesized templates
 * (test/support/access-model.ts), each allowed request next to denied ones.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import {
  ArtifactStore, CloudFormationTransform, CrossAccountPipeline, DeploymentContract, DeploymentKind, DeploymentPermissions,
  PipelineSource, TenantDeploymentRole,
} from '../src';
import { AccessModel, AccessModelOptions, ModelRole } from './support/access-model';

const TOOLING = '111111111111';
const TEST = '222222222222';
const PROD = '333333333333';
const OUTSIDER = '444444444444';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const OPTIONS: AccessModelOptions = { organizations: [{ id: ORG_ID, accounts: [TOOLING, TEST, PROD] }] };

interface Scenario { app: App; assembly: cxapi.CloudAssembly; contract: DeploymentContract; tenants: Record<string, Stack>; tooling: Stack }

function buildScenario(): Scenario {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID });
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  new CrossAccountPipeline(tooling, 'SamApp', {
    contract,
    artifactStore: new ArtifactStore(tooling, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/sam-app', branch: 'main' }),
    buildOptions: { commands: ['sam build', 'sam package --output-template-file packaged.yaml'] },
    deploymentKind: DeploymentKind.cloudFormation({
      stackName: `${contract.stackNamePrefix}sam-app`,
      templatePath: 'packaged.yaml',
      transforms: [CloudFormationTransform.SERVERLESS],
      useChangeSets: true,
    }),
    pipelineName: 'sam-app-release',
    stages: [
      { name: 'Test', targets: [{ id: 'test', account: TEST, region: REGION }] },
      { name: 'Prod', targets: [{ id: 'prod', account: PROD, region: REGION }], approval: {} },
    ],
  });
  const tenants: Record<string, Stack> = {};
  for (const [name, account] of [['TenantTest', TEST], ['TenantProd', PROD]]) {
    tenants[account] = new Stack(app, name, { env: { account, region: REGION } });
    // Nothing but the preset: no statement written by the user.
    new TenantDeploymentRole(tenants[account], 'Deploy', { contract, permissions: [DeploymentPermissions.samApplicationWithCodeDeploy()] });
  }
  return { app, assembly: app.synth(), contract, tenants, tooling };
}

const scenario = buildScenario();
const PREFIX = scenario.contract.stackNamePrefix;

function pipelineStages(): any[] {
  const template = scenario.assembly.getStackByName('Tooling').template;
  const pipelines = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::CodePipeline::Pipeline');
  expect(pipelines).toHaveLength(1);
  return pipelines[0].Properties.Stages;
}

describe('the pipeline', () => {
  test('synthesizes: the tooling and both tenant stacks are in the assembly', () => {
    expect(scenario.assembly.stacks.map((s) => s.stackName).sort()).toEqual(['TenantProd', 'TenantTest', 'Tooling']);
  });

  test('the prefix of the contract names the stack', () => {
    expect(PREFIX).toBe('main-');
  });

  test('stage order: Test, then the Prod approval, then Prod; no approval before Test', () => {
    const names = pipelineStages().map((s) => s.Name);
    expect(names).toEqual(['Source', 'Build', 'Test-Wave-1-of-1', 'Approve-Prod', 'Prod-Wave-1-of-1']);
    const approve = pipelineStages().find((s) => s.Name === 'Approve-Prod');
    expect(approve.Actions.map((a: any) => [a.ActionTypeId.Category, a.ActionTypeId.Provider])).toEqual([['Approval', 'Manual']]);
    const approvals = pipelineStages().flatMap((s) => s.Actions).filter((a: any) => a.ActionTypeId.Category === 'Approval');
    expect(approvals).toHaveLength(1);
  });

  test.each([['Test-Wave-1-of-1', 'test', TEST], ['Prod-Wave-1-of-1', 'prod', PROD]])(
    '%s deploys through a change set: Plan (CHANGE_SET_REPLACE) then Apply (CHANGE_SET_EXECUTE) of the prefixed stack, as the target account\'s roles', (stageName, id, account) => {
      const stage = pipelineStages().find((s) => s.Name === stageName);
      expect(stage.Actions.map((a: any) => a.Name)).toEqual([`${id}.Plan`, `${id}.Apply`]);
      const [plan, apply] = stage.Actions;
      for (const a of [plan, apply]) expect(a.ActionTypeId).toMatchObject({ Category: 'Deploy', Provider: 'CloudFormation' });
      expect(plan.Configuration).toMatchObject({ ActionMode: 'CHANGE_SET_REPLACE', StackName: `${PREFIX}sam-app` });
      expect(plan.Configuration.Capabilities).toContain('CAPABILITY_AUTO_EXPAND');
      expect(apply.Configuration).toMatchObject({ ActionMode: 'CHANGE_SET_EXECUTE', StackName: `${PREFIX}sam-app`, ChangeSetName: plan.Configuration.ChangeSetName });
      expect(apply.RunOrder).toBeGreaterThan(plan.RunOrder);
      expect(plan.RoleArn).toBe(`arn:aws:iam::${account}:role/cdkx-main-deploy-action`);
      expect(apply.RoleArn).toBe(`arn:aws:iam::${account}:role/cdkx-main-deploy-action`);
      expect(plan.Configuration.RoleArn).toBe(`arn:aws:iam::${account}:role/cdkx-main-cfn-exec`);
    });
});

describe('the tenant roles, with no statement written by the user', () => {
  test.each([TEST, PROD])('tenant %s: no warning that the execution role has no permissions, and no warning at all', (account) => {
    const annotations = Annotations.fromStack(scenario.tenants[account]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('execution role has no permissions'))).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('control: the same role without the preset warns (the assertion above can fail)', () => {
    const app = new App();
    const stack = new Stack(app, 'Bare', { env: { account: TEST, region: REGION } });
    new TenantDeploymentRole(stack, 'Deploy', { contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID }) });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('execution role has no permissions'))).toHaveLength(1);
  });
});

describe.each([['Test', TEST], ['Prod', PROD]])('access proof, %s account', (_name, account) => {
  const fn = (acct: string, name: string) => `arn:aws:lambda:${REGION}:${acct}:function:${name}`;
  const codedeploy = (acct: string, resource: string) => `arn:aws:codedeploy:${REGION}:${acct}:${resource}`;
  const iamArn = (acct: string, resource: string) => `arn:aws:iam::${acct}:${resource}`;
  const transform = (region: string, name: string) => `arn:aws:cloudformation:${region}:aws:transform/${name}`;
  const stackArn = (acct: string, name: string) => `arn:aws:cloudformation:${REGION}:${acct}:stack/${name}/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;
  const FUNCTION = `${PREFIX}sam-app-HelloFunction-1A2B3C`;
  const CD_APP = `${PREFIX}sam-app-ServerlessDeploymentApplication-1A2B3C`;
  const GROUP = `deploymentgroup:${CD_APP}/${PREFIX}sam-app-HelloFunctionDeploymentGroup-1A2B3C`;
  const FUNCTION_ROLE = iamArn(account, `role/${PREFIX}sam-app-HelloFunctionRole-1A2B3C`);
  let model: AccessModel;
  let action: ModelRole;
  let exec: ModelRole;

  beforeAll(() => {
    model = AccessModel.fromAssembly(scenario.assembly, {
      ...OPTIONS,
      resourcesWithoutPolicy: [
        { arn: fn(account, FUNCTION), account },
        { arn: fn(account, `${FUNCTION}:live`), account },
        { arn: fn(account, 'billing-Handler'), account },
        { arn: fn(account, 'billing-Handler:live'), account },
        { arn: fn(OUTSIDER, FUNCTION), account: OUTSIDER },
      ],
    });
    action = model.role(account, 'cdkx-main-deploy-action');
    exec = model.role(account, 'cdkx-main-cfn-exec');
  });

  test('action role: CreateChangeSet on the Serverless transform in its region: allowed', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: transform(REGION, 'Serverless-2016-10-31') }, 'Allowed');
  });

  test('action role: CreateChangeSet on another transform: denied; ExecuteChangeSet on the transform: denied', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: transform(REGION, 'Include') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'cloudformation:ExecuteChangeSet', resource: transform(REGION, 'Serverless-2016-10-31') }, 'ImplicitlyDenied');
  });

  test('action role: the change set of the prefixed stack through the execution role: allowed; without the role: denied', async () => {
    const execRole = iamArn(account, 'role/cdkx-main-cfn-exec');
    await model.expectDecision({
      principal: action, action: 'cloudformation:CreateChangeSet', resource: stackArn(account, `${PREFIX}sam-app`), context: { 'cloudformation:RoleArn': execRole },
    }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: stackArn(account, `${PREFIX}sam-app`) }, 'ImplicitlyDenied');
  });

  test.each(['lambda:CreateFunction', 'lambda:CreateAlias'])('execution role: %s on a prefixed function: allowed; outside the prefix or in another account: denied', async (api) => {
    await model.expectDecision({ principal: exec, action: api, resource: fn(account, FUNCTION) }, 'Allowed');
    await model.expectDecision({ principal: exec, action: api, resource: fn(account, 'billing-Handler') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: api, resource: fn(OUTSIDER, FUNCTION) }, 'ImplicitlyDenied');
  });

  test.each(['codedeploy:CreateDeploymentGroup', 'codedeploy:CreateDeployment'])('execution role: %s on the prefixed deployment group: allowed; outside the prefix: denied', async (api) => {
    await model.expectDecision({ principal: exec, action: api, resource: codedeploy(account, GROUP) }, 'Allowed');
    await model.expectDecision({ principal: exec, action: api, resource: codedeploy(account, 'deploymentgroup:billing/web') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: api, resource: codedeploy(OUTSIDER, GROUP) }, 'ImplicitlyDenied');
  });

  test('execution role: the canary configuration is readable, not deletable', async () => {
    const canary = codedeploy(account, 'deploymentconfig:CodeDeployDefault.LambdaCanary10Percent5Minutes');
    await model.expectDecision({ principal: exec, action: 'codedeploy:GetDeploymentConfig', resource: canary }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'codedeploy:DeleteDeploymentConfig', resource: canary }, 'ImplicitlyDenied');
  });

  test('execution role: iam:PassRole of a prefixed role to Lambda: allowed; to EC2, or of a role outside the prefix: denied', async () => {
    await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: FUNCTION_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: FUNCTION_ROLE, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }, 'ImplicitlyDenied');
    await model.expectDecision({
      principal: exec, action: 'iam:PassRole', resource: iamArn(account, 'role/legacy-admin'), context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    }, 'ImplicitlyDenied');
  });

  test('execution role: attaching AWSLambdaBasicExecutionRole to a prefixed role: allowed; AdministratorAccess: denied', async () => {
    await model.expectDecision({
      principal: exec,
      action: 'iam:AttachRolePolicy',
      resource: FUNCTION_ROLE,
      context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
    }, 'Allowed');
    await model.expectDecision({
      principal: exec, action: 'iam:AttachRolePolicy', resource: FUNCTION_ROLE, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    }, 'ImplicitlyDenied');
  });

  test('the action role cannot do what the execution role does', async () => {
    await model.expectDecision({ principal: action, action: 'lambda:CreateFunction', resource: fn(account, FUNCTION) }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'codedeploy:CreateDeploymentGroup', resource: codedeploy(account, GROUP) }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: FUNCTION_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'ImplicitlyDenied');
  });

  test('the execution role cannot expand the transform itself (the action role creates the change set)', async () => {
    await model.expectDecision({ principal: exec, action: 'cloudformation:CreateChangeSet', resource: transform(REGION, 'Serverless-2016-10-31') }, 'ImplicitlyDenied');
  });
});
