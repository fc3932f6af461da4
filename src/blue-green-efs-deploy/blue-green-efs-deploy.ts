import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BlueGreenEfsDeployProps } from './blue-green-efs-deploy-props';
import { contentBuildProblems } from './content-build';
import { BlueGreenDeploymentGroup } from './private/blue-green-deployment-group';
import { ColorFileSystem } from './private/color-file-system';
import { instanceBootCommands, PLACEHOLDER_ROOT } from './private/instance-boot';
import { LiveColorTracker } from './private/live-color-tracker';
import { ReleaseInbox } from './private/release-inbox';
import { DEFAULT_CONTENT_BUILD_IMAGE, ReleasePipeline } from './private/release-pipeline';
import { WebFleet } from './private/web-fleet';
import { HookEvent, ReleaseBundleOptions } from './release-bundle';
import { listenerProblems, ReleaseSettings, releaseSettingsProblems } from './release-settings';
import { DEFAULT_SHARED_OWNER, sharedDirectoryProblems } from './shared-directory';
import { contractProblems } from '../shared/contract-problems';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { createAccessLogsBucket } from '../shared/server-access-logs';
import { Problem, throwIfProblems } from '../shared/validation';


/** The range of the VPC the construct makes when none is given (aws-cdk-lib's default, spelled out). */
const WEB_TIER_VPC_CIDR = '10.0.0.0/16';
/** Where instances mount the app access point (the directory holding both colors). */
const EFS_MOUNT_PATH = '/mnt/efs/app';
/** What the web server serves: a symlink to the live color on the mount. */
const WEB_ROOT = '/var/www/current';

/**
 * An EC2 web fleet behind an ALB whose code lives on EFS in `blue` and
 * `green` directories, released by a pipeline that publishes into the idle
 * color and then runs a CodeDeploy blue/green deployment (a copy of the Auto
 * Scaling group) with automatic rollback.
 *
 * The live color changes only when CodeDeploy reports a release succeeded; a
 * publish never writes into the live color, and a rollback leaves it untouched.
 * Content the application makes at run time goes to an optional
 * `sharedDirectory`, the one place the fleet may write.
 *
 * An internet-facing fleet serves HTTPS with a `certificate` (HTTP redirects
 * to it); plain HTTP to the internet needs `allowPlaintextHttp: true`. An
 * internal fleet (`internetFacing: false`) admits only its VPC.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import * as acm from 'aws-cdk-lib/aws-certificatemanager';
 * import * as s3 from 'aws-cdk-lib/aws-s3';
 * import { BlueGreenEfsDeploy, PipelineSource } from 'cdk-cross-account-cicd';
 *
 * // An explicit env: the construct spreads the fleet over two availability zones
 * // (offline synth reads them from the `availability-zones:...` context).
 * const stack = new Stack(new App(), 'Web', { env: { account: '222222222222', region: 'us-east-1' } });
 * declare const releases: s3.IBucket;
 * declare const certificate: acm.ICertificate;
 * new BlueGreenEfsDeploy(stack, 'MarketingSite', {
 *   releaseName: 'shop-web',
 *   source: PipelineSource.s3({ bucket: releases, objectKey: 'web/site.zip' }),
 *   certificate,
 *   contentBuild: { runtimeVersions: { nodejs: '20' }, commands: ['npm ci', 'npm run build'], outputDirectory: 'dist' },
 *   // Uploads: written by the fleet, kept across releases and colors, never touched by a release.
 *   sharedDirectory: { mountPath: '/var/www/shared' },
 *   healthCheckPath: '/health.html',
 *   terminationWaitTime: Duration.minutes(120),
 * });
 */
export class BlueGreenEfsDeploy extends Construct {
  /** VPC of the fleet, the file system and the publishing build. */
  public readonly vpc: ec2.IVpc;
  /** The file system holding `/app/blue` and `/app/green` (and `/shared`, with a shared directory). */
  public readonly fileSystem: efs.FileSystem;
  /** The Auto Scaling group CloudFormation creates; after the first release CodeDeploy replaces it with copies. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The load balancer in front of the fleet. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The target group CodeDeploy moves traffic between fleets in. */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Role of the fleet instances (read-only access to the release content; writes only through the shared directory's access point, when there is one). */
  public readonly instanceRole: iam.IRole;
  /** Access point of the shared directory (`/shared` on the file system), when `sharedDirectory` is set. */
  public readonly sharedAccessPoint?: efs.IAccessPoint;
  /** The CodeDeploy application. */
  public readonly application: codedeploy.ServerApplication;
  /** Name of the EC2 blue/green deployment group. */
  public readonly deploymentGroupName: string;
  /** CodeDeploy service role of the deployment group. */
  public readonly deploymentServiceRole: iam.IRole;
  /** Name of the release pipeline. */
  public readonly pipelineName: string;
  /** Role of the publishing build: the only principal that may write release content (through the color access points). */
  public readonly publishRole: iam.IRole;
  /** Parameter holding the live color as JSON (`{"color":"blue","deploymentId":"d-..."}`). */
  public readonly liveColorParameter: ssm.IStringParameter;
  /** Alarms that stop and roll back a release. */
  public readonly rollbackAlarms: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: BlueGreenEfsDeployProps) {
    super(scope, id);
    this.vpc = props.vpc ?? this.createVpc();
    const instanceSubnets = props.instanceSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const settings = this.settings(props, instanceSubnets);
    const internetFacing = props.internetFacing ?? true;
    throwIfProblems(this, [
      ...releaseSettingsProblems(settings),
      ...listenerProblems({ internetFacing, hasCertificate: props.certificate !== undefined, allowPlaintextHttp: props.allowPlaintextHttp ?? false }),
      ...(internetFacing ? [] : vpcCidrProblems(this.vpc)),
      ...sourceProblems(props),
      ...(props.contentBuild ? contentBuildProblems(props.contentBuild, (props.contentBuild.buildImage ?? DEFAULT_CONTENT_BUILD_IMAGE).imageId) : []),
      ...(props.sharedDirectory ? sharedDirectoryProblems({
        mountPath: props.sharedDirectory.mountPath,
        ...(props.sharedDirectory.posixUser ?? DEFAULT_SHARED_OWNER),
      }, [
        { path: EFS_MOUNT_PATH, what: 'where the instances mount the releases (both colors)' },
        { path: WEB_ROOT, what: 'the web root (a link to the live color)' },
        { path: PLACEHOLDER_ROOT, what: 'what the web root serves before the first release' },
      ]) : []),
    ]);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const colors = new ColorFileSystem(this, 'Content', {
      vpc: this.vpc,
      subnets: instanceSubnets,
      removalPolicy,
      sharedOwner: props.sharedDirectory ? props.sharedDirectory.posixUser ?? DEFAULT_SHARED_OWNER : undefined,
    });
    this.fileSystem = colors.fileSystem;
    this.sharedAccessPoint = colors.sharedAccessPoint;
    const accessLogs = createAccessLogsBucket(this, 'AccessLogs', {
      removalPolicy: RemovalPolicy.RETAIN, autoDeleteObjects: false, loggedBucket: 'the release artifact bucket and the load balancer',
    });

    this.application = new codedeploy.ServerApplication(this, 'Application', { applicationName: settings.releaseName });
    this.deploymentGroupName = `${settings.releaseName}-bluegreen`;
    this.pipelineName = `${settings.releaseName}-release`;
    // Names, not references, so every consumer of them (event rule, pipeline,
    // custom resource) reads as what it is; dependencies are added below.
    const applicationName = settings.releaseName;
    const tracker = new LiveColorTracker(this, 'LiveColor', {
      applicationName,
      deploymentGroupName: this.deploymentGroupName,
      parameterPrefix: `/cdkx/bluegreen/${settings.releaseName}`,
    });
    this.liveColorParameter = tracker.liveParameter;

    const userData = ec2.UserData.forLinux();
    const fleet = new WebFleet(this, 'Fleet', {
      vpc: this.vpc,
      vpcCidr: props.vpc ? undefined : WEB_TIER_VPC_CIDR,
      instanceSubnets,
      loadBalancerSubnets: props.loadBalancerSubnets,
      internetFacing,
      instanceType: props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
      machineImage: props.machineImage ?? ec2.MachineImage.latestAmazonLinux2023(),
      minCapacity: settings.minCapacity,
      maxCapacity: settings.maxCapacity,
      // Only when asked: a fixed desired size would reset the fleet on every stack update.
      desiredCapacity: props.desiredCapacity,
      applicationPort: settings.applicationPort,
      healthCheckPath: settings.healthCheckPath,
      certificate: props.certificate,
      userData,
      releaseName: settings.releaseName,
      accessLogs,
    });
    userData.addCommands(...instanceBootCommands({
      fileSystemId: colors.fileSystem.fileSystemId,
      accessPointId: colors.appAccessPoint.accessPointId,
      region: Stack.of(this).region,
      liveParameterName: tracker.liveParameter.parameterName,
      efsMountPath: EFS_MOUNT_PATH,
      webRoot: WEB_ROOT,
      applicationPort: settings.applicationPort,
      healthCheckPath: settings.healthCheckPath,
      defaultWebServer: props.defaultWebServer ?? true,
      additionalCommands: props.userDataCommands ?? [],
      sharedDirectory: props.sharedDirectory && colors.sharedAccessPoint
        ? { accessPointId: colors.sharedAccessPoint.accessPointId, mountPath: props.sharedDirectory.mountPath }
        : undefined,
    }));
    this.autoScalingGroup = fleet.autoScalingGroup;
    this.loadBalancer = fleet.loadBalancer;
    this.targetGroup = fleet.targetGroup;
    this.instanceRole = fleet.instanceRole;
    colors.fileSystem.connections.allowFrom(fleet.instanceSecurityGroup, ec2.Port.tcp(2049), 'Web fleet reads releases');
    colors.allowRead(fleet.instanceRole);
    if (colors.sharedAccessPoint) colors.allowSharedWrite(fleet.instanceRole);
    tracker.liveParameter.grantRead(fleet.instanceRole);
    // The boot script cannot serve traffic before the file system can be mounted.
    fleet.autoScalingGroup.node.addDependency(colors.fileSystem.mountTargetsAvailable);

    this.rollbackAlarms = [...(props.defaultAlarms === false ? [] : fleet.createDefaultAlarms()), ...(props.alarms ?? [])];
    const deploymentConfig = props.deploymentConfig ?? codedeploy.ServerDeploymentConfig.HALF_AT_A_TIME;
    const group = new BlueGreenDeploymentGroup(this, 'DeploymentGroup', {
      applicationName,
      deploymentGroupName: this.deploymentGroupName,
      autoScalingGroup: fleet.autoScalingGroup,
      targetGroup: fleet.targetGroup,
      listener: fleet.listener,
      instanceRole: fleet.instanceRole,
      launchTemplate: fleet.launchTemplate,
      instanceSubnetIds: this.vpc.selectSubnets(instanceSubnets).subnetIds,
      deploymentConfig,
      terminationWaitMinutes: settings.terminationWaitMinutes,
      alarms: this.rollbackAlarms,
      releaseName: settings.releaseName,
    });
    this.deploymentServiceRole = group.serviceRole;

    const source = props.releasedBy
      ? new ReleaseInbox(this, 'ReleaseInbox', { contract: props.releasedBy, accessLogs }).source
      : props.source!;
    const pipeline = new ReleasePipeline(this, 'Pipeline', {
      pipelineName: this.pipelineName,
      source,
      contentBuild: props.contentBuild,
      contentDirectory: props.contentDirectory ?? '.',
      vpc: this.vpc,
      subnets: instanceSubnets,
      colors,
      liveParameter: tracker.liveParameter,
      pendingParameter: tracker.pendingParameter,
      applicationName,
      deploymentGroupName: this.deploymentGroupName,
      deploymentGroupArn: group.deploymentGroupArn,
      deploymentConfig,
      bundle: this.bundleOptions(props, settings),
      accessLogs,
      instanceRole: fleet.instanceRole,
    });
    this.publishRole = pipeline.publishProject.role!;
    // The group needs its application; a release needs its group.
    group.node.addDependency(this.application);
    pipeline.pipeline.node.addDependency(group);
    guardPolicySizes(this, {});
  }

  private createVpc(): ec2.IVpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(WEB_TIER_VPC_CIDR),
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        // The public subnets hold the NAT gateway and the load balancer, which
        // get their addresses explicitly; nothing launched there gets a public IP.
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
    });
    // Flow Logs assumes the role only for flow logs of this account:
    // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
    const stack = Stack.of(this);
    const flowLogsRole = new iam.Role(vpc, 'FlowLogsRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }) },
        },
      }),
      description: 'Publishes the flow logs of the web tier VPC',
    });
    vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(undefined, flowLogsRole) });
    return vpc;
  }

  private settings(props: BlueGreenEfsDeployProps, instanceSubnets: ec2.SubnetSelection): ReleaseSettings {
    const minCapacity = props.minCapacity ?? 2;
    const zones = this.vpc.selectSubnets(instanceSubnets).availabilityZones;
    return {
      releaseName: props.releaseName ?? Names.uniqueResourceName(this, { maxLength: 40, separator: '-' }),
      minCapacity,
      maxCapacity: props.maxCapacity ?? Math.max(4, minCapacity),
      desiredCapacity: props.desiredCapacity ?? minCapacity,
      terminationWaitMinutes: (props.terminationWaitTime ?? Duration.minutes(60)).toMinutes({ integral: false }),
      validateTimeoutSeconds: (props.validateTimeout ?? Duration.minutes(5)).toSeconds({ integral: false }),
      applicationPort: props.applicationPort ?? 80,
      healthCheckPath: props.healthCheckPath ?? '/',
      instanceZones: zones.some((zone) => Token.isUnresolved(zone)) ? undefined : zones,
    };
  }

  private bundleOptions(props: BlueGreenEfsDeployProps, settings: ReleaseSettings): ReleaseBundleOptions {
    const hooks = props.hookCommands ?? {};
    const hookCommands: Partial<Record<HookEvent, readonly string[]>> = {
      BeforeInstall: hooks.beforeInstall,
      AfterInstall: hooks.afterInstall,
      ApplicationStart: hooks.applicationStart,
      ValidateService: hooks.validateService,
      BeforeAllowTraffic: hooks.beforeAllowTraffic,
      AfterAllowTraffic: hooks.afterAllowTraffic,
    };
    return {
      efsMountPath: EFS_MOUNT_PATH,
      webRoot: WEB_ROOT,
      applicationPort: settings.applicationPort,
      healthCheckPath: settings.healthCheckPath,
      validateTimeoutSeconds: settings.validateTimeoutSeconds,
      hookCommands: Object.fromEntries(Object.entries(hookCommands).filter(([, commands]) => commands?.length)),
    };
  }
}

/** An internal load balancer admits its VPC's addresses, so it needs the VPC's CIDR block. */
function vpcCidrProblems(vpc: ec2.IVpc): Problem[] {
  if (hasCidrBlock(vpc)) return [];
  return [{
    property: 'vpc',
    value: vpc.vpcId,
    reason: 'an internal load balancer admits the VPC\'s own addresses, and this imported VPC does not say its CIDR block',
    fix: 'give vpcCidrBlock to Vpc.fromVpcAttributes, or use Vpc.fromLookup',
  }];
}

/** aws-cdk-lib throws on reading the CIDR block of a VPC imported without one. */
function hasCidrBlock(vpc: ec2.IVpc): boolean {
  try {
    return vpc.vpcCidrBlock !== undefined;
  } catch {
    return false;
  }
}

/** Exactly one of `source` and `releasedBy`, each valid. */
function sourceProblems(props: BlueGreenEfsDeployProps): Problem[] {
  if (props.source && props.releasedBy) {
    return [{
      property: 'releasedBy',
      value: props.releasedBy.qualifier,
      reason: 'a web tier has one source: either its own (source) or a CrossAccountPipeline of the contract (releasedBy)',
      fix: 'drop source to release through the pipeline, or drop releasedBy to release from the source directly',
    }];
  }
  if (props.releasedBy) return contractProblems(props.releasedBy, 'releasedBy');
  if (props.source) return props.source._problems('source');
  return [{
    property: 'source',
    value: undefined,
    reason: 'a web tier needs something to release',
    fix: 'set source (e.g. PipelineSource.connection(...)), or releasedBy: contract to be released by a CrossAccountPipeline',
  }];
}
