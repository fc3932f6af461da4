import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { addNagSuppressions } from './nag-suppressions';
import { PRIVATE_BUCKET_DEFAULTS } from './private-bucket';

/** Options of a private bucket that receives another bucket's server access logs. */
export interface AccessLogsBucketOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  /** What the logged bucket holds, for the nag suppression reason ("the artifact bucket"). */
  readonly loggedBucket: string;
}

/**
 * A dedicated access-log bucket: SSE-S3 (S3 delivers server access logs only to
 * SSE-S3 buckets), private, TLS only, versioned, logs kept a year.
 */
export function createAccessLogsBucket(scope: Construct, id: string, options: AccessLogsBucketOptions): s3.Bucket {
  const logs = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    ...PRIVATE_BUCKET_DEFAULTS,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    removalPolicy: options.removalPolicy,
    autoDeleteObjects: options.autoDeleteObjects,
  });
  addNagSuppressions(logs, [{
    id: 'AwsSolutions-S1',
    reason: `This bucket receives the server access logs of ${options.loggedBucket}; logging it into itself would loop.`,
  }]);
  return logs;
}

/** Where and how a bucket's server access logs are delivered. */
export interface LogAccessOptions {
  /** ARN of the logged bucket, built from its name (not a reference, so a log bucket elsewhere creates no cycle). */
  readonly loggedBucketArn: string;
  readonly prefix: string;
  /** The log bucket was given by the user (an imported one cannot take the delivery policy). */
  readonly givenByUser: boolean;
  /** Warning id when the delivery policy could not be added. */
  readonly warningId: string;
}

/** Delivery statements already added to each log bucket's policy, to keep their Sids unique. */
const deliveryStatements = new WeakMap<s3.IBucket, number>();

/**
 * Turns on server access logging on the L1 resource, with an explicit
 * log-delivery bucket policy, so the result does not depend on the app's
 * feature flags (which would otherwise pick a log-delivery ACL that
 * BUCKET_OWNER_ENFORCED forbids).
 *
 * Each logged bucket gets its own statement, which lets the logging service
 * write only under that bucket's prefix. Its Sid is unique in the log bucket's
 * policy (S3 rejects a policy that repeats one): S3ServerAccessLogDelivery for
 * the first logged bucket, then S3ServerAccessLogDelivery2, 3, and so on.
 */
export function logAccessTo(scope: Construct, bucket: s3.Bucket, logs: s3.IBucket, options: LogAccessOptions): void {
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
    destinationBucketName: logs.bucketName,
    logFilePrefix: options.prefix,
  };
  const previous = deliveryStatements.get(logs) ?? 0;
  const added = logs.addToResourcePolicy(new iam.PolicyStatement({
    sid: previous === 0 ? 'S3ServerAccessLogDelivery' : `S3ServerAccessLogDelivery${previous + 1}`,
    principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
    actions: ['s3:PutObject'],
    resources: [logs.arnForObjects(`${options.prefix}*`)],
    conditions: {
      ArnLike: { 'aws:SourceArn': options.loggedBucketArn },
      StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
    },
  }));
  if (added.statementAdded) deliveryStatements.set(logs, previous + 1);
  if (options.givenByUser && !added.statementAdded) {
    Annotations.of(scope).addWarningV2(options.warningId,
      'serverAccessLogsBucket is imported, so its policy cannot be changed here: allow logging.s3.amazonaws.com ' +
      `to s3:PutObject under '${options.prefix}' in it, or S3 will drop the access logs.`);
  }
}
