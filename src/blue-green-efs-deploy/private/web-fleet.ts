import { Duration, Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { codeDeployAgentStatement } from '../../shared/codedeploy-agent';
import { addNagSuppressions, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

/** Tag every fleet instance carries (through the launch template, so CodeDeploy's copies carry it too). */
export const FLEET_TAG = 'cdkx:fleet';

export interface WebFleetProps {
  readonly vpc: ec2.IVpc;
  /**
   * The VPC's CIDR as a literal, when the construct made the VPC. An internal
   * load balancer admits this range; a literal lets cdk-nag (EC23) and readers
   * see it, where `vpc.vpcCidrBlock` would be a token.
   */
  readonly vpcCidr?: string;
  readonly instanceSubnets: ec2.SubnetSelection;
  readonly loadBalancerSubnets?: ec2.SubnetSelection;
  readonly internetFacing: boolean;
  readonly instanceType: ec2.InstanceType;
  readonly machineImage: ec2.IMachineImage;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity?: number;
  readonly applicationPort: number;
  readonly healthCheckPath: string;
  readonly certificate?: acm.ICertificate;
  readonly userData: ec2.UserData;
  readonly releaseName: string;
  readonly accessLogs: s3.IBucket;
}

/**
 * The web tier: a launch template (IMDSv2 only, encrypted root volume), the
 * Auto Scaling group CodeDeploy copies on each release, and an ALB whose
 * target group checks the application's health check path.
 */
export class WebFleet extends Construct {
  public readonly instanceRole: iam.Role;
  public readonly launchTemplate: ec2.LaunchTemplate;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  public readonly instanceSecurityGroup: ec2.SecurityGroup;
  /** The listener serving the target group (HTTPS with a certificate, else HTTP). */
  public readonly listener: elbv2.ApplicationListener;

  constructor(scope: Construct, id: string, props: WebFleetProps) {
    super(scope, id);
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Web fleet instances: read the live color, fetch release bundles, talk to the CodeDeploy agent endpoint',
    });
    this.instanceRole.addToPrincipalPolicy(codeDeployAgentStatement());

    this.instanceSecurityGroup = new ec2.SecurityGroup(this, 'InstanceSecurityGroup', {
      vpc: props.vpc,
      description: 'Web fleet instances: application port from the load balancer only',
      allowAllOutbound: true,
    });
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: props.machineImage,
      instanceType: props.instanceType,
      role: this.instanceRole,
      securityGroup: this.instanceSecurityGroup,
      userData: props.userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });
    Tags.of(this.launchTemplate).add(FLEET_TAG, props.releaseName);

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.instanceSubnets,
      launchTemplate: this.launchTemplate,
      minCapacity: props.minCapacity,
      maxCapacity: props.maxCapacity,
      desiredCapacity: props.desiredCapacity,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(10),
      }),
    });

    // '$Latest' instead of the version number: CodeDeploy's copies of the group
    // then launch the newest template (new AMI, user data) at the next release,
    // and a new template version does not make CloudFormation update this
    // group, which CodeDeploy replaces with its copy at the first release.
    const cfnGroup = this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
    cfnGroup.addPropertyOverride('LaunchTemplate.Version', '$Latest');

    const albSecurityGroup = new ec2.SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'Load balancer of the web fleet',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: props.internetFacing,
      vpcSubnets: props.loadBalancerSubnets ?? { subnetType: props.internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroup: albSecurityGroup,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(props.accessLogs, 'load-balancer');
    this.instanceSecurityGroup.addIngressRule(albSecurityGroup, ec2.Port.tcp(props.applicationPort), 'Application traffic from the load balancer');
    albSecurityGroup.addEgressRule(this.instanceSecurityGroup, ec2.Port.tcp(props.applicationPort), 'Application traffic to the fleet');

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      port: props.applicationPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [this.autoScalingGroup],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: props.healthCheckPath,
        healthyHttpCodes: '200-399',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    // An internet-facing listener is open to the world (plain HTTP only when
    // the construct's checks let it through); an internal one admits the VPC
    // only, and more peers through `loadBalancer.connections.allowFrom`.
    const open = props.internetFacing;
    if (props.certificate) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [props.certificate],
        // TLS 1.3 and 1.2 only:
        // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [this.targetGroup],
        open,
      });
      this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443, open });
    } else {
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultTargetGroups: [this.targetGroup],
        open,
      });
    }
    if (!open) {
      const vpcCidr = props.vpcCidr ?? props.vpc.vpcCidrBlock;
      for (const port of props.certificate ? [443, 80] : [80]) {
        albSecurityGroup.addIngressRule(ec2.Peer.ipv4(vpcCidr), ec2.Port.tcp(port), `Clients inside the VPC on port ${port}`);
      }
      if (Token.isUnresolved(vpcCidr)) {
        // cdk-nag cannot evaluate a CIDR known only at deploy time (EC23 reports a validation failure instead).
        addNagSuppressions(albSecurityGroup, ['AwsSolutions-EC23', 'CdkNagValidationFailure'].map((rule) => ({
          id: rule,
          reason: 'An internal web tier admits clients only from its own VPC\'s CIDR, which is resolved at deploy time.',
        })));
      }
    }

    suppressOnDefaultPolicy(this.instanceRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The CodeDeploy agent\'s host-command actions have no resource type; release bundles are read (not listed) from this fleet\'s own artifact bucket.',
      appliesTo: ['Resource::*', { regex: '/^Resource::<.*Artifacts.*\\.Arn>\\/\\*$/' }],
    }]);
    addNagSuppressions(this.autoScalingGroup, [{
      id: 'AwsSolutions-AS3',
      reason: 'CodeDeploy replaces this group with a copy on every release, so notifications configured here would stop after the first one; release events come from CodeDeploy instead.',
    }]);
    if (open) {
      addNagSuppressions(albSecurityGroup, [{
        id: 'AwsSolutions-EC23',
        reason: props.certificate
          ? 'A public web tier accepts HTTPS from anywhere, and HTTP only to redirect it to HTTPS.'
          : 'A public web tier serving plain HTTP from anywhere, which its user asked for with allowPlaintextHttp.',
      }]);
    }
  }

  /** Default alarms that stop and roll back a release: target 5xx responses and unhealthy hosts. */
  public createDefaultAlarms(): cloudwatch.Alarm[] {
    const metrics = this.targetGroup.metrics;
    const fiveXx = new cloudwatch.Alarm(this, 'Target5xxAlarm', {
      alarmDescription: 'The fleet answers with 5xx: a release in progress stops and rolls back',
      metric: metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const unhealthy = new cloudwatch.Alarm(this, 'UnhealthyHostsAlarm', {
      alarmDescription: 'Instances fail the load balancer health check: a release in progress stops and rolls back',
      metric: metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return [fiveXx, unhealthy];
  }
}
