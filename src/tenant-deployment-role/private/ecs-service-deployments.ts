import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ANY_PARTITION, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

/** What the opt-in takes (the public `EcsServiceDeploymentPermissions`). */
export interface EcsServiceDeploymentOptions {
  readonly clusterName: string;
  readonly serviceNames?: string[];
  readonly taskRoleArns: string[];
}

/**
 * What CodePipeline's ECS standard deploy action calls as the action role:
 * read the service, register a task definition from the new image (tagged
 * like the one it copies), update the service, and follow its tasks.
 * The action reference's service role permissions list DescribeServices,
 * DescribeTaskDefinition, DescribeTasks, ListTasks, RegisterTaskDefinition,
 * TagResource, UpdateService and iam:PassRole (aws-cdk-lib's EcsDeployAction
 * grants the same seven ECS actions, on '*').
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECS.html
 */
export function grantEcsServiceDeployments(role: iam.Role, ecs: EcsServiceDeploymentOptions): void {
  const arn = (resource: string) => `arn:${Aws.PARTITION}:ecs:*:${Aws.ACCOUNT_ID}:${resource}`;
  const services = (ecs.serviceNames ?? ['*']).map((service) => arn(`service/${ecs.clusterName}/${service}`));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'UpdateEcsServices',
    actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
    resources: services,
  }));
  // These two ECS actions have no resource-level permissions.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'RegisterTaskDefinitions',
    actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
    resources: ['*'],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'FollowEcsServiceTasks',
    actions: ['ecs:DescribeTasks'],
    resources: [arn(`task/${ecs.clusterName}/*`)],
  }));
  // ListTasks is authorized on container instances, which Fargate services
  // have none of; the cluster is its condition key.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ListEcsServiceTasks',
    actions: ['ecs:ListTasks'],
    resources: ['*'],
    conditions: { ArnLike: { 'ecs:cluster': arn(`cluster/${ecs.clusterName}`) } },
  }));
  // The new revision carries the tags of the one it copies; tagging on
  // creation needs ecs:TagResource, only with ecs:CreateAction.
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'TagTaskDefinitionsOnRegistration',
    actions: ['ecs:TagResource'],
    resources: [arn('task-definition/*')],
    conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
  }));
  if (ecs.taskRoleArns.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassTaskRolesToEcs',
      actions: ['iam:PassRole'],
      resources: ecs.taskRoleArns,
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
  }
  suppressOnDefaultPolicy(role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'ecs:DescribeTaskDefinition, ecs:RegisterTaskDefinition and ecs:ListTasks (narrowed by ecs:cluster) support no usable resource-level permissions; services and tasks are limited to the declared cluster; task definitions are tagged only while registered.',
    appliesTo: ['Resource::*', { regex: `/^Resource::arn:${ANY_PARTITION}:ecs:\\*:<AWS::AccountId>:(service|task)\\/.*$/` }, { regex: `/^Resource::arn:${ANY_PARTITION}:ecs:\\*:<AWS::AccountId>:task-definition\\/\\*$/` }],
  }]);
}
