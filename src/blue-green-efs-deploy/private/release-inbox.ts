import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PipelineSource } from '../../cross-account-pipeline/pipeline-source';
import { DeploymentContract } from '../../shared/deployment-contract';
import { RELEASE_INBOX_OBJECT_KEY } from '../../shared/naming';
import { PRIVATE_BUCKET_DEFAULTS } from '../../shared/private-bucket';
import { logAccessTo } from '../../shared/server-access-logs';

export interface ReleaseInboxProps {
  readonly contract: DeploymentContract;
  readonly accessLogs: s3.IBucket;
}

/**
 * The bucket a tooling-account pipeline drops releases into for this web
 * tier: named by the contract (so neither side references the other), written
 * only by the contract's action role of this account, and the source of the
 * web tier's own release pipeline.
 */
export class ReleaseInbox extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly source: PipelineSource;

  constructor(scope: Construct, id: string, props: ReleaseInboxProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const bucketName = props.contract.releaseInboxBucketName(stack.account, stack.region);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET_DEFAULTS,
      bucketName,
      // The pipeline's S3 deploy action writes with the bucket's default encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      eventBridgeEnabled: true,
      lifecycleRules: [{ id: 'expire-old-releases', noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logAccessTo(this, this.bucket, props.accessLogs, {
      loggedBucketArn: `arn:${stack.partition}:s3:::${bucketName}`, prefix: 'release-inbox/', givenByUser: false, warningId: 'cdkx:releaseInboxLogs',
    });
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyThePipelineDropsReleases',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [this.bucket.arnForObjects('*')],
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.contract.actionRoleArn(stack.account) } },
    }));
    this.source = PipelineSource.s3({ bucket: this.bucket, objectKey: RELEASE_INBOX_OBJECT_KEY });
  }
}
