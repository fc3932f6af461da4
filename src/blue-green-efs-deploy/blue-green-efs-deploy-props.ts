import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import { PipelineSource } from '../cross-account-pipeline/pipeline-source';
import { DeploymentContract } from '../shared/deployment-contract';

/**
 * Shell commands added to the generated CodeDeploy hooks. They run as root on
 * the replacement instances, after `set -euo pipefail`, in the order given.
 */
export interface BlueGreenHookCommands {
  /** Before the bundle is installed. @default - none */
  readonly beforeInstall?: string[];
  /** After the web root points at the new color (for example a web server reload). @default - none */
  readonly afterInstall?: string[];
  /** Starts the application. @default - none */
  readonly applicationStart?: string[];
  /** Extra checks before the built-in HTTP check of the health check path. @default - none */
  readonly validateService?: string[];
  /** Before the load balancer sends traffic to the instance. @default - none */
  readonly beforeAllowTraffic?: string[];
  /** After the load balancer sends traffic to the instance. @default - none */
  readonly afterAllowTraffic?: string[];
}

/**
 * How the release content is built before it is published to EFS: either
 * `commands` (with optional `installCommands` and `runtimeVersions`, made into
 * a buildspec), or a whole `buildSpec` of your own.
 */
export interface ContentBuildOptions {
  /**
   * Build commands, run in the source directory (for example `npm ci`,
   * `npm run build`). Give either this or `buildSpec`.
   *
   * @default - none; `buildSpec` must be set
   */
  readonly commands?: string[];
  /** Commands of the install phase (not with `buildSpec`). @default - none */
  readonly installCommands?: string[];
  /**
   * Runtimes the build image selects before the install commands, rendered as
   * the buildspec's `phases.install.runtime-versions` (for example
   * `{ nodejs: '20' }` or `{ python: '3.12' }`; the versions each image offers
   * are listed in the CodeBuild documentation). CodeBuild's own Linux images
   * only; not with `buildSpec` (put `runtime-versions` in it instead).
   *
   * @default - the image's default runtimes
   */
  readonly runtimeVersions?: { [runtime: string]: string };
  /**
   * A whole buildspec instead of `commands`, `installCommands`,
   * `runtimeVersions` and `outputDirectory`. What its `artifacts` section
   * names is published; `BuildSpec.fromSourceFilename('buildspec.yml')` reads
   * it from the source.
   *
   * @default - one made of installCommands, runtimeVersions, commands and outputDirectory
   */
  readonly buildSpec?: codebuild.BuildSpec;
  /** Directory, relative to the source root, whose contents are published (not with `buildSpec`). @default '.' */
  readonly outputDirectory?: string;
  /** Build image. @default LinuxBuildImage.STANDARD_7_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** Compute type of the build. @default ComputeType.SMALL */
  readonly computeType?: codebuild.ComputeType;
  /** Plain-text environment variables of the build. @default - none */
  readonly environment?: { [name: string]: string };
}

/**
 * A directory on the file system that the fleet writes, for content the
 * application makes at run time (uploads, generated files, caches shared by
 * the instances). It has its own access point (`/shared` on the file system),
 * is mounted read-write by every instance of either color, and is never
 * written by a release: the publishing build reaches only the color
 * directories.
 */
export interface SharedDirectoryOptions {
  /**
   * Where every instance mounts the directory, read-write: an absolute path
   * outside the release mount and the web root (for example
   * `/var/www/shared`). Release content can link to it (a symlink
   * `uploads -> /var/www/shared/uploads`).
   */
  readonly mountPath: string;
  /**
   * The POSIX user and group every file operation through the access point
   * runs as, whatever the local user, and the owner of the directory when EFS
   * creates it. Not root (the file system denies root access).
   *
   * @default - uid 1000, gid 1000
   */
  readonly posixUser?: efs.PosixUser;
}

/**
 * Properties of a `BlueGreenEfsDeploy`.
 */
export interface BlueGreenEfsDeployProps {
  /**
   * Where releases come from. The same sources as `CrossAccountPipeline`.
   * Give either this or `releasedBy`.
   *
   * @default - none; `releasedBy` must be set
   */
  readonly source?: PipelineSource;

  /**
   * Released by a `CrossAccountPipeline` of this contract (its
   * `DeploymentKind.blueGreenEfsRelease()`): creates this account's release
   * inbox, named by the contract, which only the contract's action role may
   * write and whose new releases start this web tier's pipeline. Give either
   * this or `source`.
   *
   * @default - none; `source` must be set
   */
  readonly releasedBy?: DeploymentContract;

  /**
   * Builds the content before publishing it. Without it the source itself
   * (or its `contentDirectory`) is published as is.
   *
   * @default - no build step
   */
  readonly contentBuild?: ContentBuildOptions;

  /**
   * Directory of the source, relative to its root, that is published when
   * there is no build step.
   *
   * @default '.'
   */
  readonly contentDirectory?: string;

  /** VPC of the fleet, the file system and the publishing build. @default - a new VPC over two AZs with one NAT gateway and flow logs */
  readonly vpc?: ec2.IVpc;

  /** Subnets of the instances, the EFS mount targets and the publishing build; they must span two AZs. @default - private subnets with egress */
  readonly instanceSubnets?: ec2.SubnetSelection;

  /** Subnets of the load balancer. @default - public subnets when internet-facing, else private */
  readonly loadBalancerSubnets?: ec2.SubnetSelection;

  /** Whether the load balancer is reachable from the internet. @default true */
  readonly internetFacing?: boolean;

  /** Instance type of the web fleet. @default t3.small */
  readonly instanceType?: ec2.InstanceType;

  /** Machine image of the web fleet; the boot script expects Amazon Linux 2023 (dnf, systemd). @default - latest Amazon Linux 2023 */
  readonly machineImage?: ec2.IMachineImage;

  /** Fewest instances. @default 2 */
  readonly minCapacity?: number;

  /** Most instances. @default 4 */
  readonly maxCapacity?: number;

  /** Instances at start. @default - minCapacity */
  readonly desiredCapacity?: number;

  /**
   * A writable directory shared by the fleet and kept across releases and
   * colors (its own access point, which releases never write through).
   *
   * @default - none: the fleet has read-only access to the releases only
   */
  readonly sharedDirectory?: SharedDirectoryOptions;

  /** Commands added to the instance boot script, after EFS is mounted and before the CodeDeploy agent starts. @default - none */
  readonly userDataCommands?: string[];

  /** Install nginx serving the web root on `applicationPort`. Turn off when `userDataCommands` set up your own server. @default true */
  readonly defaultWebServer?: boolean;

  /** Port the application listens on, on each instance. @default 80 */
  readonly applicationPort?: number;

  /** Path the load balancer and the ValidateService hook check; must start with '/'. @default '/' */
  readonly healthCheckPath?: string;

  /**
   * Serve HTTPS on 443 with this certificate (TLS 1.2 or 1.3 only; HTTP on 80
   * then redirects to it). An internet-facing fleet needs one, or
   * `allowPlaintextHttp: true`.
   *
   * @default - none: plain HTTP on port 80, refused for an internet-facing fleet unless `allowPlaintextHttp` is set
   */
  readonly certificate?: acm.ICertificate;

  /**
   * Serve plain HTTP on port 80 to the internet, without a certificate. An
   * internet-facing fleet must either have a `certificate` or set this on
   * purpose (a demo, or TLS ended in front of the load balancer); a fleet
   * that is not internet-facing may serve HTTP inside its VPC without it.
   *
   * @default false
   */
  readonly allowPlaintextHttp?: boolean;

  /** How long the previous fleet is kept after a release, for instant rollback (at most 2,880 minutes). @default Duration.minutes(60) */
  readonly terminationWaitTime?: Duration;

  /** How long the ValidateService hook waits for the application to answer on the health check path. @default Duration.minutes(5) */
  readonly validateTimeout?: Duration;

  /** CodeDeploy deployment configuration of the release. @default ServerDeploymentConfig.HALF_AT_A_TIME */
  readonly deploymentConfig?: codedeploy.IServerDeploymentConfig;

  /** Alarms that stop and roll back a release, in addition to the default ones. @default - none */
  readonly alarms?: cloudwatch.IAlarm[];

  /** Create and attach the default alarms: target 5xx responses and unhealthy hosts. @default true */
  readonly defaultAlarms?: boolean;

  /** Commands added to the CodeDeploy hooks. @default - none */
  readonly hookCommands?: BlueGreenHookCommands;

  /** What happens to the file system (and the release content on it) when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Base of the CodeDeploy application, deployment group and pipeline names
   * (letters, digits, '-' and '_'; at most 60 characters).
   *
   * @default - derived from the construct path
   */
  readonly releaseName?: string;
}
