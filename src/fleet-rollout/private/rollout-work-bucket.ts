import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PRIVATE_BUCKET_DEFAULTS } from '../../shared/private-bucket';
import { createAccessLogsBucket, logAccessTo } from '../../shared/server-access-logs';
import { MAP_RESULTS_PREFIX, RING_FILES_PREFIX } from '../fleet-locations';

const ACCESS_LOG_PREFIX = 'rollout-work-bucket/';

/** @internal */
export interface RolloutWorkBucketProps {
  readonly encryptionKey: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  /** Ring files and map results are working data: kept this long for investigations. */
  readonly expiration: Duration;
}

/**
 * The rollout's working files: one JSON file per ring and execution (tens of
 * thousands of tenants exceed Step Functions' 256 KiB payload, so the rings
 * travel through S3) and the maps' results. Private, TLS only, KMS, versioned,
 * logged, expiring. Only the planner writes ring files and only the engine
 * reads them, so nobody else can add a tenant to a running rollout.
 *
 * @internal
 */
export class RolloutWorkBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  private readonly writerArns: string[] = [];

  constructor(scope: Construct, id: string, props: RolloutWorkBucketProps) {
    super(scope, id);
    this.accessLogsBucket = createAccessLogsBucket(this, 'AccessLogs', {
      removalPolicy: props.removalPolicy, autoDeleteObjects: props.autoDeleteObjects, loggedBucket: 'the rollout work bucket',
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      ...PRIVATE_BUCKET_DEFAULTS,
      lifecycleRules: [{
        id: 'expire-rollout-files',
        expiration: props.expiration,
        noncurrentVersionExpiration: Duration.days(7),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });
    logAccessTo(this, this.bucket, this.accessLogsBucket, {
      loggedBucketArn: `arn:${Aws.PARTITION}:s3:::${this.bucket.bucketName}`,
      prefix: ACCESS_LOG_PREFIX,
      givenByUser: false,
      warningId: 'cdk-cross-account-cicd:rolloutWorkAccessLogsPolicyNotAdded',
    });
  }

  /** Lets the planner write ring files (and nothing else of the bucket). */
  public grantWriteRingFiles(role: iam.IRole, key: kms.IKey): void {
    this.writerArns.push(role.roleArn);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteRingFiles',
      actions: ['s3:PutObject'],
      resources: [this.bucket.arnForObjects(`${RING_FILES_PREFIX}*`)],
    }));
    key.grant(role, 'kms:GenerateDataKey');
  }

  /** Lets the engine read ring files and write map results. */
  public grantEngine(role: iam.IRole, key: kms.IKey): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadRingFiles',
      actions: ['s3:GetObject'],
      resources: [this.bucket.arnForObjects(`${RING_FILES_PREFIX}*`)],
    }));
    // ResultWriter writes a manifest and result files, in parts for large maps
    // (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteMapResults',
      actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      resources: [this.bucket.arnForObjects(`${MAP_RESULTS_PREFIX}*`)],
    }));
    key.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
}
