import { Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { Color } from '../release-state';
import { SHARED_DIRECTORY } from '../shared-directory';

/** Directory on the file system that holds the two colors. */
export const APP_DIRECTORY = '/app';

/** Owner of the release files: the access points map every client to this POSIX user. */
const RELEASE_OWNER = { uid: '1000', gid: '1000' };

export interface ColorFileSystemProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly removalPolicy: RemovalPolicy;
  /** Create the shared directory's access point, with this owner. @default - no shared directory */
  readonly sharedOwner?: efs.PosixUser;
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
 *
 * With a shared directory (`/shared`, outside `/app`), its access point is
 * the one way the fleet writes: the fleet's role may write only through it (an
 * explicit deny in the role's own policy, which can name the access point),
 * and the publisher may not use it at all, so a release never touches it.
 * The file system policy then exempts the fleet from its write denial, and
 * from nothing else.
 */
export class ColorFileSystem extends Construct {
  public readonly fileSystem: efs.FileSystem;
  public readonly appAccessPoint: efs.AccessPoint;
  public readonly colorAccessPoints: Record<Color, efs.AccessPoint>;
  /** The fleet's writable directory, when there is one. */
  public readonly sharedAccessPoint?: efs.AccessPoint;
  /** Roles admitted to mount (readers and publishers). */
  private readonly clients: iam.IRole[] = [];
  /** Roles the file system policy lets write (the publisher; the fleet with a shared directory). */
  private readonly writers: iam.IRole[] = [];

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
    if (props.sharedOwner) {
      const owner = props.sharedOwner;
      this.sharedAccessPoint = this.fileSystem.addAccessPoint('Shared', {
        path: SHARED_DIRECTORY,
        posixUser: owner,
        createAcl: { ownerUid: owner.uid, ownerGid: owner.gid, permissions: '755' },
      });
    }
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
    if (this.sharedAccessPoint) {
      // Explicit, so no grant added to the publisher later can open it: releases never touch the shared directory.
      publisher.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'NeverTouchTheSharedDirectory',
        effect: iam.Effect.DENY,
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': this.sharedAccessPoint.accessPointArn } },
      }));
    }
    this.admitWriter(publisher);
  }

  /**
   * Lets `fleet` mount the shared directory read-write, only through its
   * access point: writes through any other access point (or none) are
   * denied in the role's own policy, whatever else it is granted.
   */
  public allowSharedWrite(fleet: iam.IRole): void {
    const shared = this.sharedAccessPoint;
    if (!shared) throw new Error('ColorFileSystem has no shared directory');
    this.admitClient(fleet);
    fleet.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteTheSharedDirectoryThroughItsAccessPoint',
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resources: [this.fileSystem.fileSystemArn],
      conditions: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': shared.accessPointArn },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    }));
    // StringNotEquals also matches a request without an access point (the whole file system).
    fleet.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteNothingButTheSharedDirectory',
      effect: iam.Effect.DENY,
      actions: ['elasticfilesystem:ClientWrite'],
      resources: [this.fileSystem.fileSystemArn],
      conditions: { StringNotEquals: { 'elasticfilesystem:AccessPointArn': shared.accessPointArn } },
    }));
    this.admitWriter(fleet);
  }

  /**
   * One statement for every writer: a principal of the account whose own
   * policy allows EFS broadly still cannot write.
   */
  private admitWriter(writer: iam.IRole): void {
    this.writers.push(writer);
    if (this.writers.length > 1) return;
    this.fileSystem.addToResourcePolicy(new iam.PolicyStatement({
      sid: this.sharedAccessPoint ? 'DenyWritesByAnyoneButThePublisherAndTheFleet' : 'DenyWritesByAnyoneButThePublisher',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['elasticfilesystem:ClientWrite'],
      resources: ['*'],
      // One writer stays a plain value, as before there could be two.
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.any({ produce: () => this.writers.length === 1 ? this.writers[0].roleArn : this.writers.map((role) => role.roleArn) }) } },
    }));
  }

  /**
   * One statement for every client: an account principal whose own policy
   * allows EFS broadly (an administrator, another workload) still cannot mount.
   */
  private admitClient(client: iam.IRole): void {
    if (this.clients.includes(client)) return;
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
