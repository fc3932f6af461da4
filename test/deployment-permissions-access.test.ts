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
import { DeploymentContract, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { AccessModel, DeclaredResource, ModelRole } from './support/access-model';

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
