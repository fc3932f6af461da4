import { Aws, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CheckpointEncryption } from '../fargate-spot-runner-props';
import { CHECKPOINT_PREFIX } from './state-machine-definition';
import { PRIVATE_BUCKET_DEFAULTS } from '../../shared/private-bucket';
import { createAccessLogsBucket, logAccessTo } from '../../shared/server-access-logs';

/** @internal */
export interface CheckpointBucketProps {
  readonly encryption: CheckpointEncryption;
  readonly encryptionKey?: kms.IKey;
  readonly expiration: Duration;
  readonly noncurrentVersionExpiration: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  readonly serverAccessLogsBucket?: s3.IBucket;
}

/** Actions that read checkpoint contents: denied to every principal but the job's and the readers added on purpose. */
const READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];
/** Actions that write checkpoints: denied to every principal but the job's. */
const WRITE_ACTIONS = ['s3:PutObject'];
const ACCESS_LOG_PREFIX = 'checkpoint-bucket/';

/**
 * The bucket of a runner's checkpoints: encrypted, Block Public Access, TLS
 * only, versioned (an interrupted upload never destroys the last good
 * checkpoint), expiring, retained by default, with server access logs. Its
 * policy denies reading and writing objects to every principal except the
 * job's task role (and readers added on purpose), so even an account admin
 * policy with `s3:*` cannot read checkpoints.
 *
 * @internal
 */
export class CheckpointBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly encryptionKey?: kms.IKey;
  public readonly accessLogsBucket: s3.IBucket;
  private readonly writerArns: string[] = [];
  private readonly readerArns: string[] = [];

  constructor(scope: Construct, id: string, props: CheckpointBucketProps) {
    super(scope, id);
    if (props.encryption === CheckpointEncryption.KMS) {
      this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
        description: `Encrypts the job checkpoints of ${scope.node.path}`,
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy,
      });
    }
    this.accessLogsBucket = props.serverAccessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogs', {
      removalPolicy: props.removalPolicy, autoDeleteObjects: props.autoDeleteObjects, loggedBucket: 'the checkpoint bucket',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(this.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      ...PRIVATE_BUCKET_DEFAULTS,
      lifecycleRules: [{
        id: 'expire-old-checkpoints',
        expiration: props.expiration,
        noncurrentVersionExpiration: props.noncurrentVersionExpiration,
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });
    logAccessTo(this, this.bucket, this.accessLogsBucket, {
      loggedBucketArn: `arn:${Aws.PARTITION}:s3:::${this.bucket.bucketName}`,
      prefix: ACCESS_LOG_PREFIX,
      givenByUser: props.serverAccessLogsBucket !== undefined,
      warningId: 'cdk-cross-account-cicd:checkpointAccessLogsPolicyNotAdded',
    });

    // Rendered at synth, so roles granted after construction are included.
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyTheJobWritesCheckpoints',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: WRITE_ACTIONS,
      resources: [this.bucket.arnForObjects('*')],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => this.writerArns }) } },
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyTheJobAndItsReadersReadCheckpoints',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: READ_ACTIONS,
      resources: [this.bucket.arnForObjects('*')],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => [...this.writerArns, ...this.readerArns] }) } },
    }));
  }

  /** The `s3://` URI of the checkpoints prefix. */
  public get checkpointsUri(): string {
    return `s3://${this.bucket.bucketName}/${CHECKPOINT_PREFIX}`;
  }

  /**
   * Lets `role` read and write checkpoints (objects under `checkpoints/`) and
   * nothing else of the bucket, and exempts it from the deny.
   */
  public grantReadWriteCheckpoints(role: iam.IRole): void {
    this.writerArns.push(role.roleArn);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadWriteCheckpoints',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: [this.bucket.arnForObjects(`${CHECKPOINT_PREFIX}*`)],
    }));
    this.grantList(role);
    this.grantKey(role, 'EncryptDecryptCheckpoints', ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  /** Lets `role` read checkpoints (to inspect a job), and exempts it from the read deny only. */
  public grantReadCheckpoints(role: iam.IRole): void {
    this.readerArns.push(role.roleArn);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadCheckpoints',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [this.bucket.arnForObjects(`${CHECKPOINT_PREFIX}*`)],
    }));
    this.grantList(role);
    this.grantKey(role, 'DecryptCheckpoints', ['kms:Decrypt']);
  }

  private grantList(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListCheckpoints',
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${CHECKPOINT_PREFIX}*`] } },
    }));
  }

  private grantKey(role: iam.IRole, sid: string, actions: string[]): void {
    if (!this.encryptionKey) return;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid,
      actions,
      resources: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
    }));
  }
}
