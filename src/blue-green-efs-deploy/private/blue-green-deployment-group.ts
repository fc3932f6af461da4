import { Aws, CustomResource, Duration } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { DeploymentGroupFunction } from '../deployment-group-function';
import { HANDLER_RUNTIME } from './handler-runtime';
import { releaseArns } from '../release-arns';
import { autoRollbackEvents } from '../release-settings';
import { FLEET_TAG } from './web-fleet';
import { addNagSuppressions, ANY_PARTITION, suppressLambdaBasicExecution, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

export interface BlueGreenDeploymentGroupProps {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** CodeDeploy wants the target group in use by a load balancer when the group is created. */
  readonly listener: elbv2.ApplicationListener;
  readonly instanceRole: iam.IRole;
  readonly deploymentConfig: codedeploy.IServerDeploymentConfig;
  readonly terminationWaitMinutes: number;
  readonly alarms: cloudwatch.IAlarm[];
  readonly releaseName: string;
}

/**
 * The EC2 blue/green deployment group (COPY_AUTO_SCALING_GROUP), which
 * CloudFormation cannot create: a custom resource creates, updates and deletes
 * it, reading the group's current Auto Scaling group on each update because
 * CodeDeploy swaps in a copy on every release.
 */
export class BlueGreenDeploymentGroup extends Construct {
  public readonly serviceRole: iam.Role;
  public readonly deploymentGroupName: string;
  public readonly deploymentGroupArn: string;

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentGroupProps) {
    super(scope, id);
    const applicationName = props.applicationName;
    const groupName = props.deploymentGroupName;
    this.deploymentGroupName = groupName;
    this.deploymentGroupArn = releaseArns.deploymentGroup(applicationName, groupName);
    const fleetGroupArns = [
      releaseArns.autoScalingGroup(props.autoScalingGroup.autoScalingGroupName),
      releaseArns.fleetCopies(groupName),
    ];

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `CodeDeploy blue/green releases of ${props.releaseName}: copy the fleet, move traffic, retire the old fleet`,
    });
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));
    // Describe calls have no resource-level permissions in IAM.
    allow('DescribeFleet', [
      'autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeLifecycleHooks', 'autoscaling:DescribePolicies',
      'autoscaling:DescribeScheduledActions', 'autoscaling:DescribeNotificationConfigurations', 'autoscaling:DescribeScalingActivities',
      'autoscaling:DescribeWarmPool', 'ec2:DescribeInstances', 'ec2:DescribeInstanceStatus',
      'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'cloudwatch:DescribeAlarms', 'tag:GetResources',
    ], ['*']);
    allow('CopyAndRetireFleet', [
      'autoscaling:CreateAutoScalingGroup', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:DeleteAutoScalingGroup',
      'autoscaling:CreateOrUpdateTags', 'autoscaling:PutLifecycleHook', 'autoscaling:DeleteLifecycleHook',
      'autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat', 'autoscaling:EnableMetricsCollection',
      'autoscaling:SuspendProcesses', 'autoscaling:ResumeProcesses', 'autoscaling:AttachLoadBalancerTargetGroups',
      'autoscaling:DetachLoadBalancerTargetGroups', 'autoscaling:PutScalingPolicy', 'autoscaling:PutScheduledUpdateGroupAction',
      'autoscaling:PutNotificationConfiguration', 'autoscaling:PutWarmPool',
    ], fleetGroupArns);
    allow('MoveTraffic', ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], [props.targetGroup.targetGroupArn]);
    // Creating the copy checks that the caller could launch the template's instances and pass their role.
    allow('LaunchFleetCopies', ['ec2:RunInstances'], ['*']);
    allow('TagFleetCopies', ['ec2:CreateTags'], ['*'], { StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
    allow('RetireOldInstances', ['ec2:TerminateInstances'], ['*'], { StringEquals: { [`ec2:ResourceTag/${FLEET_TAG}`]: props.releaseName } });
    allow('PassInstanceRole', ['iam:PassRole'], [props.instanceRole.roleArn], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });

    const handler = new DeploymentGroupFunction(this, 'Handler', {
      description: 'Creates, updates and deletes an EC2 blue/green CodeDeploy deployment group across fleet swaps',
      runtime: HANDLER_RUNTIME,
      // A delete waits (up to 12 minutes) for the fleet copies to terminate.
      timeout: Duration.minutes(14),
      memorySize: 256,
      logGroup: new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.ONE_YEAR }),
    });
    const handlerPolicy = new iam.Policy(this, 'HandlerPolicy', {
      statements: [
        new iam.PolicyStatement({
          sid: 'ManageDeploymentGroup',
          actions: ['codedeploy:CreateDeploymentGroup', 'codedeploy:UpdateDeploymentGroup', 'codedeploy:DeleteDeploymentGroup', 'codedeploy:GetDeploymentGroup'],
          // Any group of this application: a rename updates the old name into the new one.
          resources: [releaseArns.deploymentGroup(applicationName, '*')],
        }),
        new iam.PolicyStatement({
          sid: 'ReadDeploymentConfig',
          actions: ['codedeploy:GetDeploymentConfig'],
          resources: [releaseArns.deploymentConfig(props.deploymentConfig.deploymentConfigName)],
        }),
        new iam.PolicyStatement({
          sid: 'PassServiceRole',
          actions: ['iam:PassRole'],
          resources: [this.serviceRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'codedeploy.amazonaws.com' } },
        }),
        new iam.PolicyStatement({
          sid: 'WatchFleetCopiesBeingDeleted',
          // Describe has no resource-level permissions in IAM.
          actions: ['autoscaling:DescribeAutoScalingGroups'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DeleteFleetCopiesWithTheGroup',
          actions: ['autoscaling:DeleteAutoScalingGroup'],
          resources: [fleetGroupArns[1]],
        }),
      ],
    });
    handler.role!.attachInlinePolicy(handlerPolicy);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: handler,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: logs.RetentionDays.ONE_YEAR }),
    });
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::Ec2BlueGreenDeploymentGroup',
      properties: {
        ApplicationName: applicationName,
        DeploymentGroupName: groupName,
        ServiceRoleArn: this.serviceRole.roleArn,
        AutoScalingGroupName: props.autoScalingGroup.autoScalingGroupName,
        TargetGroupName: props.targetGroup.targetGroupName,
        DeploymentConfigName: props.deploymentConfig.deploymentConfigName,
        TerminationWaitTimeInMinutes: String(props.terminationWaitMinutes),
        DeploymentReadyWaitTimeInMinutes: '0',
        AlarmNames: props.alarms.map((alarm) => alarm.alarmName),
        AutoRollbackEvents: autoRollbackEvents(props.alarms.length),
      },
    });
    // The service role's permissions must be in place before CodeDeploy checks
    // them, and the handler must keep its own until the group is deleted.
    const servicePolicy = this.serviceRole.node.tryFindChild('DefaultPolicy');
    resource.node.addDependency(handlerPolicy, props.listener, ...(servicePolicy ? [servicePolicy] : []));

    this.suppressNagFindings(handler, handlerPolicy, provider);
  }

  private suppressNagFindings(handler: DeploymentGroupFunction, handlerPolicy: iam.Policy, provider: cr.Provider): void {
    suppressOnDefaultPolicy(this.serviceRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'CodeDeploy service role: Describe calls and ec2:RunInstances have no resource-level scoping that survives the fleet copy; Auto Scaling writes are limited to this fleet and its CodeDeploy_<group>_d-* copies, CreateTags to launches, TerminateInstances to instances tagged with this fleet.',
      appliesTo: [
        'Resource::*',
        { regex: `/^Resource::arn:${ANY_PARTITION}:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:\\*:autoScalingGroupName\\/.*$/` },
      ],
    }]);
    addNagSuppressions(handlerPolicy, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The handler watches Auto Scaling groups being deleted (Describe has no resource scoping), manages deployment groups of this one application (a rename moves one name to another) and deletes only the CodeDeploy_<group>_d-* copies of this fleet (named after a deployment id).',
      appliesTo: [
        'Resource::*',
        { regex: `/^Resource::arn:${ANY_PARTITION}:codedeploy:<AWS::Region>:<AWS::AccountId>:deploymentgroup:.*\\/\\*$/` },
        { regex: `/^Resource::arn:${ANY_PARTITION}:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:\\*:autoScalingGroupName\\/CodeDeploy_.*_d-\\*$/` },
      ],
    }]);
    for (const role of [handler.role, provider.node.tryFindChild('framework-onEvent')?.node.tryFindChild('ServiceRole')]) {
      if (role) suppressLambdaBasicExecution(role);
    }
    suppressOnDefaultPolicy(provider.node.tryFindChild('framework-onEvent')?.node.tryFindChild('ServiceRole'), [{
      id: 'AwsSolutions-IAM5',
      reason: 'Generated by the CDK custom resource provider framework: it invokes the one handler function (and its versions).',
      appliesTo: [{ regex: '/^Resource::<.*Handler.*\\.Arn>:\\*$/' }],
    }]);
    const framework = provider.node.tryFindChild('framework-onEvent');
    if (framework) {
      addNagSuppressions(framework, [{
        id: 'AwsSolutions-L1',
        reason: 'The provider framework function and its runtime are generated and pinned by aws-cdk-lib.',
      }]);
    }
  }
}
