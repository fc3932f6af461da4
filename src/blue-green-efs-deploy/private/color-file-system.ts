import { Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Color } from '../release-state';

/** Directory on the file system that holds the two colors. */
export const APP_DIRECTORY = '/app';

/** Owner of the release files: the access points map every client to this POSIX user. */
const RELEASE_OWNER = { uid: '1000', gid: '1000' };

export interface ColorFileSystemProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The EFS file system holding the release content in `/app/blue` and
 * `/app/green`, with one access point per color for the publishing build and
 * one read-only entry point at `/app` for the web fleet.
 *
 * Readers may mount only through the app access point and publishers may
 * write only through a color access point (their identity policies, which can
 * name the access points; the file system policy cannot, as the access points
 * depend on the file system). The file system policy adds what must hold for
 * every principal of the account: TLS only, no root access, no mounts by
 * anyone but the readers and publishers, and no writes by anyone but the
 * publishers.
 */
export class ColorFileSystem extends Construct {
  public readonly fileSystem: efs.FileSystem;
  public readonly appAccessPoint: efs.AccessPoint;
  public readonly colorAccessPoints: Record<Color, efs.AccessPoint>;
  /** Roles admitted to mount (readers and publishers). */
  private readonly clients: iam.IRole[] = [];

  constructor(scope: Construct, id: string, props: ColorFileSystemProps) {
    super(scope, id);
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      encrypted: true,
      enableAutomaticBackups: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      removalPolicy: props.removalPolicy,
      // "Anonymous access" here only stops the L2 from adding its own statement,
      // which would let any IAM principal reaching a mount target write and act
      // as root. With a policy in place, clients without IAM get nothing.
      allowAnonymousAccess: true,
      fileSystemPolicy: new iam.PolicyDocument(),
    });
    const accessPoint = (name: string, path: string) => this.fileSystem.addAccessPoint(name, {
      path,
      posixUser: RELEASE_OWNER,
      createAcl: { ownerUid: RELEASE_OWNER.uid, ownerGid: RELEASE_OWNER.gid, permissions: '755' },
    });
    this.appAccessPoint = accessPoint('App', APP_DIRECTORY);
    this.colorAccessPoints = {
      blue: accessPoint('Blue', `${APP_DIRECTORY}/blue`),
      green: accessPoint('Green', `${APP_DIRECTORY}/green`),
    };
    this.fileSystem.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyRootAccess',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['elasticfilesystem:ClientRootAccess'],
      resources: ['*'],
    }));
    this.fileSystem.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyClientsWithoutTls',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
      resources: ['*'],
      conditions: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
  }

  /** Lets `reader` mount `/app` read-only through the app access point. */
  public allowRead(reader: iam.IRole): void {
    this.admitClient(reader);
    reader.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadReleasesThroughAppAccessPoint',
      actions: ['elasticfilesystem:ClientMount'],
      resources: [this.fileSystem.fileSystemArn],
      conditions: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': this.appAccessPoint.accessPointArn },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    }));
  }

  /** Lets `publisher` mount and write a color directory, only through a color access point. */
  public allowPublish(publisher: iam.IRole): void {
    this.admitClient(publisher);
    publisher.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishReleasesThroughColorAccessPoints',
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resources: [this.fileSystem.fileSystemArn],
      conditions: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': [this.colorAccessPoints.blue.accessPointArn, this.colorAccessPoints.green.accessPointArn] },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    }));
    this.fileSystem.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyWritesByAnyoneButThePublisher',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['elasticfilesystem:ClientWrite'],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': publisher.roleArn } },
    }));
  }

  /**
   * One statement for every client: an account principal whose own policy
   * allows EFS broadly (an administrator, another workload) still cannot mount.
   */
  private admitClient(client: iam.IRole): void {
    this.clients.push(client);
    if (this.clients.length > 1) return;
    this.fileSystem.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'DenyMountsByOtherPrincipals',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['elasticfilesystem:ClientMount'],
      resources: ['*'],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.clients.map((role) => role.roleArn) }) } },
    }));
  }
}
