import { Aws, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { HANDLER_RUNTIME } from '../../shared/handler-runtime';
import { DeploymentGroupFunction } from '../deployment-group-function';
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
  /** The fleet's launch template: CodeDeploy's copies launch from it. */
  readonly launchTemplate: ec2.LaunchTemplate;
  /** Subnets the fleet (and so each copy) launches into. */
  readonly instanceSubnetIds: string[];
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
    this.allowFleetLaunches(props);
    allow('RetireOldInstances', ['ec2:TerminateInstances'], ['*'], { StringEquals: { [`ec2:ResourceTag/${FLEET_TAG}`]: props.releaseName } });

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

  /**
   * What creating a copy of the fleet needs: CodeDeploy creates the copy with
   * CreateAutoScalingGroup from the fleet's launch template, and Auto Scaling
   * checks then that the caller may run the template's instances, tag them at
   * launch and pass their role
   * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-api-permissions.html,
   * https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html).
   * The instances themselves are launched by Auto Scaling's service-linked
   * role, not by this one
   * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html).
   *
   * So this role may launch only from the fleet's template, only into the
   * fleet's subnets, only instances and volumes tagged as the fleet's (the
   * template tags both), tag only at launch, and pass only the instance role
   * to EC2 (resource-level permissions of RunInstances:
   * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances).
   *
   * Only a deployment can show which of these request attributes Auto
   * Scaling's check presents (the launch template, the subnets, the request
   * tags): IAM simulations prove the policy, not the check's request.
   */
  private allowFleetLaunches(props: BlueGreenDeploymentGroupProps): void {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'ec2', resource, resourceName });
    // A template of this stack always has an id.
    const launchTemplateArn = ec2Arn('launch-template', props.launchTemplate.launchTemplateId!);
    const fromTheTemplate = { ArnEquals: { 'ec2:LaunchTemplate': launchTemplateArn } };
    const taggedAsTheFleet = { [`aws:RequestTag/${FLEET_TAG}`]: props.releaseName };
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources, conditions }));

    allow('LaunchFromTheFleetTemplate', ['ec2:RunInstances'], [launchTemplateArn]);
    allow('LaunchIntoTheFleetSubnets', ['ec2:RunInstances'], props.instanceSubnetIds.map((id) => ec2Arn('subnet', id)), fromTheTemplate);
    // The AMI, security group and network interface come from the template
    // (the AMI of `latestAmazonLinux2023` changes with each release of it).
    allow('LaunchWithTheTemplateResources', ['ec2:RunInstances'], [
      stack.formatArn({ service: 'ec2', account: '', resource: 'image', resourceName: '*' }),
      ec2Arn('security-group', '*'),
      ec2Arn('network-interface', '*'),
    ], fromTheTemplate);
    allow('LaunchOnlyFleetTaggedInstances', ['ec2:RunInstances'], [ec2Arn('instance', '*'), ec2Arn('volume', '*')],
      { ...fromTheTemplate, StringEquals: taggedAsTheFleet });
    allow('TagOnlyFleetLaunches', ['ec2:CreateTags'], [ec2Arn('instance', '*'), ec2Arn('volume', '*')],
      { StringEquals: { 'ec2:CreateAction': 'RunInstances', ...taggedAsTheFleet } });
    allow('PassInstanceRole', ['iam:PassRole'], [props.instanceRole.roleArn], { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  }

  private suppressNagFindings(handler: DeploymentGroupFunction, handlerPolicy: iam.Policy, provider: cr.Provider): void {
    suppressOnDefaultPolicy(this.serviceRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'CodeDeploy service role: Describe calls have no resource-level scoping, and TerminateInstances is limited to instances tagged with this fleet; '
        + 'Auto Scaling writes are limited to this fleet and its CodeDeploy_<group>_d-* copies; the instances, volumes, network interfaces, security groups and AMI '
        + 'of a launch are allowed only from the fleet\'s launch template (instances and volumes only with the fleet tag), and CreateTags only at launch with the fleet tag.',
      appliesTo: [
        'Resource::*',
        { regex: `/^Resource::arn:${ANY_PARTITION}:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:\\*:autoScalingGroupName\\/.*$/` },
        { regex: `/^Resource::arn:${ANY_PARTITION}:ec2:[^:]*:[^:]*:(instance|volume|network-interface|security-group|image)\\/\\*$/` },
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
