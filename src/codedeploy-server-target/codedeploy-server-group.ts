import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { codeDeployAgentInstallCommands } from './private/agent-install';
import { codeDeployNameProblems } from '../cross-account-pipeline/codedeploy-server-deployment';
import { TENANT_KEY_READ_ACTIONS, TENANT_OBJECT_READ_ACTIONS } from '../shared/artifact-access';
import { codeDeployAgentStatement } from '../shared/codedeploy-agent';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { addNagSuppressions, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { Problem, throwIfProblems } from '../shared/validation';
import {
  CODEDEPLOY_APPLICATION_ACTIONS, CODEDEPLOY_DEPLOYMENT_CONFIG_ACTIONS, CODEDEPLOY_DEPLOYMENT_GROUP_ACTIONS,
} from '../tenant-deployment-role/private/codedeploy-server-deployments';

/** Properties of a {@link CodeDeployServerGroup}. */
export interface CodeDeployServerGroupProps {
  /** The deployment contract of the pipeline that deploys here. */
  readonly contract: DeploymentContract;
  /** Name of the CodeDeploy application; must start with the contract's stack name prefix. */
  readonly applicationName: string;
  /** Name of the deployment group; must start with the contract's stack name prefix. */
  readonly deploymentGroupName: string;
  /** The VPC of the instances. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the instances. @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Instance type. @default t3.micro */
  readonly instanceType?: ec2.InstanceType;
  /** Image of the instances; the agent installer in the user data expects Amazon Linux 2023. @default - the latest Amazon Linux 2023 */
  readonly machineImage?: ec2.IMachineImage;
  /** Minimum number of instances. @default 2 */
  readonly minCapacity?: number;
  /** Maximum number of instances. @default - minCapacity */
  readonly maxCapacity?: number;
  /**
   * How many instances a deployment updates at a time. A custom configuration
   * must be predefined (`CodeDeployDefault.*`) or named with the contract's
   * prefix, so that the tenant action role may read it.
   *
   * @default codedeploy.ServerDeploymentConfig.HALF_AT_A_TIME
   */
  readonly deploymentConfig?: codedeploy.IServerDeploymentConfig;
  /**
   * CloudWatch alarms that stop a deployment and roll it back when one goes
   * into ALARM (for example the application's error rate).
   *
   * @default - none: deployments roll back on failure only
   */
  readonly alarms?: cloudwatch.IAlarm[];
}

/**
 * The target side of `DeploymentKind.codeDeployServer` for accounts without a
 * deployment group yet: an Auto Scaling group whose instances run the
 * CodeDeploy agent (installed by user data, IMDSv2 only, encrypted root
 * volume, SSM Session Manager instead of SSH) with the contract's instance
 * role, which may read and decrypt the revisions of the contract's artifact
 * store in this region; a CodeDeploy application and in-place deployment
 * group with the contract-prefixed names, rolled back automatically when a
 * deployment fails or stops, or when one of the given alarms goes off.
 *
 * One per account: the instance role has the contract's fixed name.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import * as ec2 from 'aws-cdk-lib/aws-ec2';
 * import { CodeDeployServerGroup, DeploymentContract, TenantDeploymentRole } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * const web = new Stack(app, 'Web', { env: { account: '222222222222', region: 'eu-west-1' } });
 * new TenantDeploymentRole(web, 'DeploymentRoles', { contract, codeDeployServerDeployments: true });
 * const vpc = new ec2.Vpc(web, 'Vpc', { maxAzs: 2 });
 * new CodeDeployServerGroup(web, 'Fleet', { contract, vpc, applicationName: 'shop-web', deploymentGroupName: 'shop-web-fleet' });
 * app.synth();
 */
export class CodeDeployServerGroup extends Construct {
  /** The CodeDeploy application. */
  public readonly application: codedeploy.ServerApplication;
  /** The in-place deployment group. */
  public readonly deploymentGroup: codedeploy.ServerDeploymentGroup;
  /** The instances. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The instance role, named `contract.codeDeployInstanceRoleName`. */
  public readonly instanceRole: iam.Role;

  private readonly applicationArn: string;
  private readonly deploymentGroupArn: string;

  constructor(scope: Construct, id: string, props: CodeDeployServerGroupProps) {
    super(scope, id);
    throwIfProblems(this, groupProblems(props));
    const contract = props.contract;
    const region = Stack.of(this).region;

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      roleName: contract.codeDeployInstanceRoleName,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Instances of CodeDeploy deployment group ${props.deploymentGroupName}: the agent downloads revisions of contract '${contract.qualifier}'`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    // The agent downloads the revision from the tooling account's store of this region.
    // https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html
    this.instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadRevisions',
      actions: TENANT_OBJECT_READ_ACTIONS,
      resources: [`arn:${Aws.PARTITION}:s3:::${contract.artifactBucketName(region)}/*`],
      conditions: { StringEquals: { 'aws:ResourceAccount': contract.toolingAccount } },
    }));
    this.instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DecryptRevisionsThroughS3',
      actions: TENANT_KEY_READ_ACTIONS,
      resources: [`arn:${Aws.PARTITION}:kms:${region}:${contract.toolingAccount}:key/*`],
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': contract.artifactKeyAliasName },
        'StringEquals': { 'kms:ViaService': `s3.${region}.amazonaws.com` },
      },
    }));
    this.instanceRole.addToPrincipalPolicy(codeDeployAgentStatement());

    const userData = ec2.UserData.forLinux();
    userData.addCommands(...codeDeployAgentInstallCommands(region));
    const securityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'CodeDeploy instances: no inbound traffic (SSM Session Manager instead of SSH)',
      allowAllOutbound: true,
    });
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: props.machineImage ?? ec2.MachineImage.latestAmazonLinux2023(),
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      role: this.instanceRole,
      securityGroup,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });
    const minCapacity = props.minCapacity ?? 2;
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity,
      maxCapacity: props.maxCapacity ?? minCapacity,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(10) }),
    });

    this.application = new codedeploy.ServerApplication(this, 'Application', { applicationName: props.applicationName });
    // ARNs from the names (no reference to the resources): the same the tenant role grants.
    const arn = (resource: string) => `arn:${Aws.PARTITION}:codedeploy:${region}:${Stack.of(this).account}:${resource}`;
    this.applicationArn = arn(`application:${props.applicationName}`);
    this.deploymentGroupArn = arn(`deploymentgroup:${props.applicationName}/${props.deploymentGroupName}`);
    const alarms = props.alarms ?? [];
    this.deploymentGroup = new codedeploy.ServerDeploymentGroup(this, 'DeploymentGroup', {
      application: this.application,
      deploymentGroupName: props.deploymentGroupName,
      autoScalingGroups: [this.autoScalingGroup],
      // The user data installs the agent; the L2's installer would grant s3:GetObject* and s3:List* on the installer bucket.
      installAgent: false,
      deploymentConfig: props.deploymentConfig ?? codedeploy.ServerDeploymentConfig.HALF_AT_A_TIME,
      alarms,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: alarms.length > 0 },
    });

    suppressOnDefaultPolicy(this.instanceRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Revision objects of the contract\'s artifact bucket in this region (keys chosen by CodePipeline); the artifact key found by its alias (its id is unknown here), decrypt through S3 only; the CodeDeploy agent\'s host-command actions have no resource type.',
      appliesTo: ['Resource::*', { regex: '/^Resource::arn:.*:(s3:::cdkx-.*-artifacts-.*\\/\\*|kms:.*:key\\/\\*)$/' }],
    }]);
    addNagSuppressions(this.instanceRole, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AmazonSSMManagedInstanceCore is the documented policy for Session Manager access instead of SSH.',
      appliesTo: [{ regex: '/^Policy::arn:.*:iam::aws:policy\\/AmazonSSMManagedInstanceCore$/' }],
    }]);
    addNagSuppressions(this.deploymentGroup.role!, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWSCodeDeployRole is the service role policy CodeDeploy documents for EC2/on-premises deployments.',
      appliesTo: [{ regex: '/^Policy::arn:.*:iam::aws:policy\\/service-role\\/AWSCodeDeployRole$/' }],
    }]);
    addNagSuppressions(this.autoScalingGroup, [{
      id: 'AwsSolutions-AS3',
      reason: 'Deployment events come from CodeDeploy; scaling notifications are left to the user (no topic is assumed).',
    }]);
  }

  /**
   * Let a principal deploy a revision to this group (for example a GitHub
   * Actions OIDC role running `aws deploy create-deployment`): register the
   * revision with the application, create and follow deployments of this
   * group, read its deployment configuration. Nothing else: the revision's
   * S3 location must be readable by the instance role (the contract's
   * artifact store is).
   */
  public grantDeploy(grantee: iam.IGrantable): iam.Grant {
    const application = iam.Grant.addToPrincipal({ grantee, actions: CODEDEPLOY_APPLICATION_ACTIONS, resourceArns: [this.applicationArn] });
    return application
      .combine(iam.Grant.addToPrincipal({ grantee, actions: CODEDEPLOY_DEPLOYMENT_GROUP_ACTIONS, resourceArns: [this.deploymentGroupArn] }))
      .combine(iam.Grant.addToPrincipal({
        grantee, actions: CODEDEPLOY_DEPLOYMENT_CONFIG_ACTIONS, resourceArns: [this.deploymentGroup.deploymentConfig.deploymentConfigArn],
      }));
  }
}

function groupProblems(props: CodeDeployServerGroupProps): Problem[] {
  const prefix = props.contract.stackNamePrefix;
  const problems = contractProblems(props.contract);
  problems.push(
    ...codeDeployNameProblems('applicationName', props.applicationName, 'applications', prefix),
    ...codeDeployNameProblems('deploymentGroupName', props.deploymentGroupName, 'deployment groups', prefix),
  );
  const min = props.minCapacity ?? 2;
  if (props.maxCapacity !== undefined && props.maxCapacity < min) {
    problems.push({
      property: 'maxCapacity',
      value: props.maxCapacity,
      reason: `below minCapacity (${min})`,
      fix: `set maxCapacity to at least ${min}, or lower minCapacity`,
    });
  }
  return problems;
}
