/**
 * Access proofs for the permission presets of TenantDeploymentRole
 * (`permissions: DeploymentPermissions[]`) and the ECS opt-in they wrap,
 * evaluated with real IAM logic (test/support/access-model.ts).
 *
 * Must show, for each preset: the calls its CLI or pipeline action makes are
 * allowed on resources named with the contract's stack name prefix ('main-'),
 * and denied on resources outside the prefix and in another account. Each
 * denial runs next to an allowed control that differs in one respect.
 */
import { App, Stack } from 'aws-cdk-lib';
import { DeploymentContract, DeploymentPermissions, StackSetPermissionModel, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { AccessModel, DeclaredResource, ModelRole } from './support/access-model';
import { LAMBDA_DEPLOY_ACTIONS } from '../src/tenant-deployment-role/private/lambda-deployments';
import { STACK_SET_ACTIONS } from '../src/tenant-deployment-role/private/stack-set-administration';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const OTHER = '333333333333';
const REGION = 'eu-west-1';

function build(extra: Partial<TenantDeploymentRoleProps>, resourcesWithoutPolicy: DeclaredResource[] = []) {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: REGION } });
  new TenantDeploymentRole(stack, 'Roles', { contract: new DeploymentContract({ toolingAccount: TOOLING }), ...extra });
  const model = AccessModel.fromAssembly(app.synth(), { resourcesWithoutPolicy });
  return { model, action: model.role(TENANT, 'cdkx-main-deploy-action'), exec: model.role(TENANT, 'cdkx-main-cfn-exec') };
}

const ECS = { clusterName: 'shop', serviceNames: ['web'], taskRoleArns: [`arn:aws:iam::${TENANT}:role/shop-web-task`] };
const ecsArn = (account: string, resource: string) => `arn:aws:ecs:${REGION}:${account}:${resource}`;
/** ListTasks is authorized on container instances (Service Authorization Reference); the cluster is its condition key. */
const CONTAINER_INSTANCE = ecsArn(TENANT, 'container-instance/shop/0123456789abcdef');

/** What CodePipeline's ECS standard deploy action calls besides UpdateService (action reference, service role permissions). */
function ecsDeployActionCalls(model: AccessModel, action: ModelRole) {
  return {
    async allowedInTheCluster() {
      await model.expectDecision({ principal: action, action: 'ecs:DescribeTasks', resource: ecsArn(TENANT, 'task/shop/0123456789abcdef') }, 'Allowed');
      await model.expectDecision({ principal: action, action: 'ecs:ListTasks', resource: CONTAINER_INSTANCE, context: { 'ecs:cluster': ecsArn(TENANT, 'cluster/shop') } }, 'Allowed');
      await model.expectDecision({
        principal: action,
        action: 'ecs:TagResource',
        resource: ecsArn(TENANT, 'task-definition/web:7'),
        context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
      }, 'Allowed');
    },
    async deniedElsewhere() {
      await model.expectDecision({ principal: action, action: 'ecs:DescribeTasks', resource: ecsArn(TENANT, 'task/billing/0123456789abcdef') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: 'ecs:DescribeTasks', resource: ecsArn(OTHER, 'task/shop/0123456789abcdef') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: 'ecs:ListTasks', resource: CONTAINER_INSTANCE, context: { 'ecs:cluster': ecsArn(TENANT, 'cluster/billing') } }, 'ImplicitlyDenied');
      // Tags only as part of registering a task definition, never on existing resources.
      await model.expectDecision({ principal: action, action: 'ecs:TagResource', resource: ecsArn(TENANT, 'task-definition/web:7') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: 'ecs:TagResource', resource: ecsArn(TENANT, 'service/shop/web') }, 'ImplicitlyDenied');
    },
  };
}

describe('ecsServiceDeployments: what CodePipeline\'s ECS deploy action calls', () => {
  const { model, action } = build({ ecsServiceDeployments: ECS });
  const calls = ecsDeployActionCalls(model, action);
  test('DescribeTasks and ListTasks in the cluster, and TagResource when registering a task definition: allowed', () => calls.allowedInTheCluster());
  test('tasks of another cluster or account, and tagging outside registration: denied', () => calls.deniedElsewhere());
});

describe('DeploymentPermissions.ecsService(): the same grant as ecsServiceDeployments', () => {
  const { model, action } = build({ permissions: [DeploymentPermissions.ecsService(ECS)] });
  const calls = ecsDeployActionCalls(model, action);
  test('UpdateService of the declared service: allowed; of another service: denied', async () => {
    await model.expectDecision({ principal: action, action: 'ecs:UpdateService', resource: ecsArn(TENANT, 'service/shop/web') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'ecs:UpdateService', resource: ecsArn(TENANT, 'service/shop/admin') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'ecs:UpdateService', resource: ecsArn(OTHER, 'service/shop/web') }, 'ImplicitlyDenied');
  });
  test('the task calls of the deploy action in the cluster: allowed', () => calls.allowedInTheCluster());
  test('outside the cluster, the account or registration: denied', () => calls.deniedElsewhere());
  test('the task role is passed to ECS tasks only', async () => {
    const taskRole = ECS.taskRoleArns[0];
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'ImplicitlyDenied');
  });
});

const fn = (account: string, name: string) => `arn:aws:lambda:${REGION}:${account}:function:${name}`;
const FUNCTIONS: DeclaredResource[] = [
  { arn: fn(TENANT, 'main-api-Handler-1A2B3C'), account: TENANT },
  { arn: fn(TENANT, 'main-api-Handler-1A2B3C:live'), account: TENANT },
  { arn: fn(TENANT, 'billing-Handler'), account: TENANT },
  { arn: fn(OTHER, 'main-api-Handler-1A2B3C'), account: OTHER },
];

describe('DeploymentPermissions.lambdaUpdate()', () => {
  const { model, action, exec } = build({ permissions: [DeploymentPermissions.lambdaUpdate()] }, FUNCTIONS);

  test.each(LAMBDA_DEPLOY_ACTIONS.filter((api) => api !== 'lambda:GetProvisionedConcurrencyConfig'))('%s on a function named with the prefix: allowed; outside the prefix or in another account: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: fn(TENANT, 'main-api-Handler-1A2B3C') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: fn(TENANT, 'billing-Handler') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: api, resource: fn(OTHER, 'main-api-Handler-1A2B3C') }, 'ImplicitlyDenied');
  });

  test('the alias of a prefixed function moves; the function cannot be deleted, and the execution role gets nothing', async () => {
    await model.expectDecision({ principal: action, action: 'lambda:UpdateAlias', resource: fn(TENANT, 'main-api-Handler-1A2B3C:live') }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'lambda:DeleteFunction', resource: fn(TENANT, 'main-api-Handler-1A2B3C') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'lambda:UpdateFunctionCode', resource: fn(TENANT, 'main-api-Handler-1A2B3C') }, 'ImplicitlyDenied');
  });
});

const stackArn = (account: string, name: string) => `arn:aws:cloudformation:${REGION}:${account}:stack/${name}/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;
const iamArn = (account: string, resource: string) => `arn:aws:iam::${account}:${resource}`;
const codedeploy = (account: string, resource: string) => `arn:aws:codedeploy:${REGION}:${account}:${resource}`;
const logGroup = (account: string, name: string) => `arn:aws:logs:${REGION}:${account}:log-group:${name}`;
const alarm = (account: string, name: string) => `arn:aws:cloudwatch:${REGION}:${account}:alarm:${name}`;

describe('DeploymentPermissions.samApplicationWithCodeDeploy()', () => {
  const { model, action, exec } = build({ permissions: [DeploymentPermissions.samApplicationWithCodeDeploy()] }, [
    ...FUNCTIONS,
    ...['main-api', 'billing'].flatMap((prefix) => [TENANT, OTHER].flatMap((account) => [
      { arn: logGroup(account, `/aws/lambda/${prefix}-Handler-1A2B3C`), account },
      { arn: alarm(account, `${prefix}-HandlerErrors-1A2B3C`), account },
    ])),
  ]);
  const ROLE = iamArn(TENANT, 'role/main-api-HandlerRole-1A2B3C');
  const OTHER_ROLE = iamArn(TENANT, 'role/legacy-admin');
  const BASIC_EXECUTION = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

  // The transform (account 'aws') has no resource type in the Service Authorization
  // Reference data the simulator uses, so its statement is asserted on the template
  // (test/deployment-permissions.test.ts), not simulated here.

  test('the change set of the stack itself still goes through the execution role only', async () => {
    const execRole = iamArn(TENANT, 'role/cdkx-main-cfn-exec');
    await model.expectDecision({
      principal: action, action: 'cloudformation:CreateChangeSet', resource: stackArn(TENANT, 'main-api'), context: { 'cloudformation:RoleArn': execRole },
    }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: stackArn(TENANT, 'main-api') }, 'ImplicitlyDenied');
  });

  test.each([
    'lambda:CreateFunction', 'lambda:PublishVersion', 'lambda:CreateAlias', 'lambda:UpdateAlias', 'lambda:AddPermission', 'lambda:DeleteFunction',
  ])('the execution role: %s on a prefixed function allowed; outside the prefix or in another account denied', async (api) => {
    await model.expectDecision({ principal: exec, action: api, resource: fn(TENANT, 'main-api-Handler-1A2B3C') }, 'Allowed');
    await model.expectDecision({ principal: exec, action: api, resource: fn(TENANT, 'billing-Handler') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: api, resource: fn(OTHER, 'main-api-Handler-1A2B3C') }, 'ImplicitlyDenied');
  });

  test('the execution role creates the function roles of the prefix, and no other role', async () => {
    await model.expectDecision({ principal: exec, action: 'iam:CreateRole', resource: ROLE }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'iam:PutRolePolicy', resource: ROLE }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'iam:PutRolePolicy', resource: OTHER_ROLE }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'iam:CreateRole', resource: iamArn(OTHER, 'role/main-api-HandlerRole-1A2B3C') }, 'ImplicitlyDenied');
  });

  test('it attaches SAM\'s AWS managed policies to them, never AdministratorAccess', async () => {
    await model.expectDecision({ principal: exec, action: 'iam:AttachRolePolicy', resource: ROLE, context: { 'iam:PolicyARN': BASIC_EXECUTION } }, 'Allowed');
    await model.expectDecision({
      principal: exec, action: 'iam:AttachRolePolicy', resource: ROLE, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'iam:AttachRolePolicy', resource: OTHER_ROLE, context: { 'iam:PolicyARN': BASIC_EXECUTION } }, 'ImplicitlyDenied');
  });

  test('it passes prefixed roles to Lambda and CodeDeploy only', async () => {
    for (const service of ['lambda.amazonaws.com', 'codedeploy.amazonaws.com']) {
      await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: ROLE, context: { 'iam:PassedToService': service } }, 'Allowed');
    }
    await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: ROLE, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'iam:PassRole', resource: OTHER_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'ImplicitlyDenied');
  });

  test('traffic shifting: the CodeDeploy application, group and deployment of the prefix; the predefined Lambda configurations', async () => {
    const app = 'main-api-ServerlessDeploymentApplication-1A2B3C';
    await model.expectDecision({ principal: exec, action: 'codedeploy:CreateApplication', resource: codedeploy(TENANT, `application:${app}`) }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'codedeploy:CreateApplication', resource: codedeploy(TENANT, 'application:billing') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'codedeploy:CreateApplication', resource: codedeploy(OTHER, `application:${app}`) }, 'ImplicitlyDenied');
    const group = codedeploy(TENANT, `deploymentgroup:${app}/main-api-HandlerDeploymentGroup-1A2B3C`);
    await model.expectDecision({ principal: exec, action: 'codedeploy:CreateDeploymentGroup', resource: group }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'codedeploy:CreateDeployment', resource: group }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'codedeploy:CreateDeployment', resource: codedeploy(TENANT, 'deploymentgroup:billing/web') }, 'ImplicitlyDenied');
    const canary = codedeploy(TENANT, 'deploymentconfig:CodeDeployDefault.LambdaCanary10Percent5Minutes');
    await model.expectDecision({ principal: exec, action: 'codedeploy:GetDeploymentConfig', resource: canary }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'codedeploy:DeleteDeploymentConfig', resource: canary }, 'ImplicitlyDenied');
  });

  test('alarms and log groups of the prefix; not those of others or of another account', async () => {
    await model.expectDecision({ principal: exec, action: 'cloudwatch:PutMetricAlarm', resource: alarm(TENANT, 'main-api-HandlerErrors-1A2B3C') }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'cloudwatch:PutMetricAlarm', resource: alarm(TENANT, 'billing-HandlerErrors-1A2B3C') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'cloudwatch:PutMetricAlarm', resource: alarm(OTHER, 'main-api-HandlerErrors-1A2B3C') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'logs:CreateLogGroup', resource: logGroup(TENANT, '/aws/lambda/main-api-Handler-1A2B3C') }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 'logs:DeleteLogGroup', resource: logGroup(TENANT, '/aws/lambda/billing-Handler-1A2B3C') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 'logs:DeleteLogGroup', resource: logGroup(OTHER, '/aws/lambda/main-api-Handler-1A2B3C') }, 'ImplicitlyDenied');
  });

  test('the action role itself creates no function (only through the execution role)', async () => {
    await model.expectDecision({ principal: action, action: 'lambda:CreateFunction', resource: fn(TENANT, 'main-api-Handler-1A2B3C') }, 'ImplicitlyDenied');
  });
});

describe('DeploymentPermissions.serverlessFramework()', () => {
  const BUCKET = 'main-api-dev-serverlessdeploymentbucket-1a2b3c';
  const bucketArn = (name: string) => `arn:aws:s3:::${name}`;
  const { model, action, exec } = build({ permissions: [DeploymentPermissions.serverlessFramework()] }, [
    { arn: bucketArn(BUCKET), account: TENANT },
    { arn: bucketArn('billing-serverlessdeploymentbucket-1a2b3c'), account: TENANT },
    // Bucket names are global: a bucket of another account may carry the prefix.
    { arn: bucketArn('main-exfiltration'), account: OTHER },
  ]);
  const artifact = (bucket: string) => `${bucketArn(bucket)}/serverless/api/dev/1700000000000-2024-01-01T00:00:00.000Z/api.zip`;

  test.each(['cloudformation:DescribeStackResource', 'cloudformation:ListStackResources'])(
    '%s on a prefixed stack: allowed; outside the prefix or in another account: denied', async (api) => {
      await model.expectDecision({ principal: action, action: api, resource: stackArn(TENANT, 'main-api-dev') }, 'Allowed');
      await model.expectDecision({ principal: action, action: api, resource: stackArn(TENANT, 'billing-dev') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: api, resource: stackArn(OTHER, 'main-api-dev') }, 'ImplicitlyDenied');
    });

  test('ValidateTemplate, which supports no resource-level permissions: allowed', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:ValidateTemplate', resource: '*' }, 'Allowed');
  });

  test.each(['s3:PutObject', 's3:GetObject', 's3:DeleteObject'])(
    '%s in the prefixed deployment bucket: allowed; in another bucket or another account\'s prefixed bucket: denied', async (api) => {
      await model.expectDecision({ principal: action, action: api, resource: artifact(BUCKET) }, 'Allowed');
      await model.expectDecision({ principal: action, action: api, resource: artifact('billing-serverlessdeploymentbucket-1a2b3c') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: api, resource: artifact('main-exfiltration') }, 'ImplicitlyDenied');
    });

  test('listing the deployment bucket: allowed; another account\'s prefixed bucket: denied', async () => {
    await model.expectDecision({ principal: action, action: 's3:ListBucket', resource: bucketArn(BUCKET) }, 'Allowed');
    await model.expectDecision({ principal: action, action: 's3:ListBucket', resource: bucketArn('main-exfiltration') }, 'ImplicitlyDenied');
  });

  test('the execution role configures the deployment bucket the stack creates, and no other', async () => {
    await model.expectDecision({ principal: exec, action: 's3:CreateBucket', resource: bucketArn(BUCKET) }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 's3:PutBucketPolicy', resource: bucketArn(BUCKET) }, 'Allowed');
    await model.expectDecision({ principal: exec, action: 's3:PutBucketPolicy', resource: bucketArn('billing-serverlessdeploymentbucket-1a2b3c') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: exec, action: 's3:PutBucketPolicy', resource: bucketArn('main-exfiltration') }, 'ImplicitlyDenied');
  });

  test('the action role still changes stacks only through the execution role', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:UpdateStack', resource: stackArn(TENANT, 'main-api-dev') }, 'ImplicitlyDenied');
  });
});

describe('DeploymentPermissions.cdkCli()', () => {
  const { model, action } = build({ permissions: [DeploymentPermissions.cdkCli()] });
  const EXEC_ROLE = iamArn(TENANT, 'role/cdkx-main-cfn-exec');

  test.each(['cloudformation:DescribeStackResource', 'cloudformation:ListStackResources', 'cloudformation:UpdateTerminationProtection'])(
    '%s on a prefixed stack: allowed; outside the prefix or in another account: denied', async (api) => {
      await model.expectDecision({ principal: action, action: api, resource: stackArn(TENANT, 'main-Service') }, 'Allowed');
      await model.expectDecision({ principal: action, action: api, resource: stackArn(TENANT, 'CDKToolkit') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: api, resource: stackArn(OTHER, 'main-Service') }, 'ImplicitlyDenied');
    });

  test('template checks: ValidateTemplate (no resource-level permissions) and GetTemplateSummary: allowed', async () => {
    await model.expectDecision({ principal: action, action: 'cloudformation:ValidateTemplate', resource: '*' }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:GetTemplateSummary', resource: stackArn(TENANT, 'main-Service') }, 'Allowed');
  });

  test('without the preset, the template checks are not granted (control)', async () => {
    const plain = build({});
    await plain.model.expectDecision({ principal: plain.action, action: 'cloudformation:ValidateTemplate', resource: '*' }, 'ImplicitlyDenied');
    await plain.model.expectDecision({ principal: plain.action, action: 'cloudformation:ListStackResources', resource: stackArn(TENANT, 'main-Service') }, 'ImplicitlyDenied');
  });

  test('cdk deploy: a change set through the execution role, which it passes to CloudFormation only', async () => {
    await model.expectDecision({
      principal: action, action: 'cloudformation:CreateChangeSet', resource: stackArn(TENANT, 'main-Service'), context: { 'cloudformation:RoleArn': EXEC_ROLE },
    }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: stackArn(TENANT, 'main-Service') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: EXEC_ROLE, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: EXEC_ROLE, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'ImplicitlyDenied');
  });

  test('no bootstrap: the CDK bootstrap version parameter is not readable', async () => {
    await model.expectDecision({ principal: action, action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${TENANT}:parameter/cdk-bootstrap/hnb659fds/version` }, 'ImplicitlyDenied');
  });
});

describe('DeploymentPermissions.stackSetAdministration(): the same grant as the stackSetAdministration prop', () => {
  const stackSet = (account: string, name: string) => `arn:aws:cloudformation:us-east-1:${account}:stackset/${name}:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`;
  const selfManaged = DeploymentPermissions.stackSetAdministration({ permissionModel: StackSetPermissionModel.SELF_MANAGED });
  const { model, action } = build({ permissions: [selfManaged] });

  test.each(STACK_SET_ACTIONS)('%s on a prefixed StackSet: allowed; outside the prefix or in another account: denied', async (api) => {
    await model.expectDecision({ principal: action, action: api, resource: stackSet(TENANT, 'main-guardrails') }, 'Allowed');
    await model.expectDecision({ principal: action, action: api, resource: stackSet(TENANT, 'guardrails') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: action, action: api, resource: stackSet(OTHER, 'main-guardrails') }, 'ImplicitlyDenied');
  });

  test('self-managed: passes the administration role to CloudFormation only', async () => {
    const admin = iamArn(TENANT, 'role/AWSCloudFormationStackSetAdministrationRole');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: admin, context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } }, 'Allowed');
    await model.expectDecision({ principal: action, action: 'iam:PassRole', resource: admin, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }, 'ImplicitlyDenied');
  });
});
