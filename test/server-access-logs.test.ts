import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ArtifactStore, BlueGreenEfsDeploy, DeploymentContract, FargateSpotRunner } from '../src';

// S3 rejects a bucket policy whose statements repeat a Sid ("Statement IDs (SID) in a
// single policy must be unique"), so a log bucket that serves two buckets must still
// have distinct Sids, and each source may deliver only under its own prefix.

const TOOLING = '111111111111';
const TENANT = '222222222222';
const REGION = 'us-east-1';
const DELIVERY = 'logging.s3.amazonaws.com';

/** The statements of the bucket policy attached to the bucket with this logical id. */
function bucketPolicyOf(template: Template, bucketLogicalId: string): any[] {
  const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'))
    .filter((p: any) => p.Properties.Bucket?.Ref === bucketLogicalId);
  expect(policies).toHaveLength(1);
  return (policies[0] as any).Properties.PolicyDocument.Statement;
}

function logicalIdOf(stack: Stack, bucket: s3.IBucket): string {
  return stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
}

function sidsOf(statements: any[]): string[] {
  return statements.map((s) => s.Sid).filter((sid) => sid !== undefined);
}

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

/** The log-delivery statements: which source bucket (aws:SourceArn) may write where. */
function deliveries(stack: Stack, statements: any[]): Array<{ sid: string; source: unknown; resource: unknown }> {
  return statements
    .filter((s) => s.Principal?.Service === DELIVERY)
    .map((s) => ({ sid: s.Sid, source: stack.resolve(s.Condition.ArnLike['aws:SourceArn']), resource: stack.resolve(s.Resource) }));
}

/** Every Sid in every policy of the template, per policy resource, repeated ones only. */
function repeatedSidsPerPolicy(template: Template): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const documents: Array<[string, any]> = [];
  for (const [id, r] of Object.entries(template.toJSON().Resources as Record<string, any>)) {
    const p = r.Properties ?? {};
    for (const doc of [p.PolicyDocument, p.KeyPolicy, p.AssumeRolePolicyDocument]) if (doc) documents.push([id, doc]);
    for (const inline of p.Policies ?? []) documents.push([`${id}/${inline.PolicyName}`, inline.PolicyDocument]);
  }
  for (const [id, doc] of documents) {
    const repeated = duplicates(sidsOf([].concat(doc.Statement ?? [])));
    if (repeated.length > 0) found[id] = repeated;
  }
  return found;
}

describe('one server access log bucket serving two buckets', () => {
  test('a web tier released by a pipeline logs its release inbox and its artifacts into one bucket, with a statement and a unique Sid each', () => {
    const app = new App();
    const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: REGION } });
    const contract = new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop' });
    new BlueGreenEfsDeploy(stack, 'Web', { releaseName: 'shop-web', releasedBy: contract, internetFacing: false });
    const template = Template.fromStack(stack);

    const logsId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('WebAccessLogs'))!;
    const statements = bucketPolicyOf(template, logsId);
    expect(duplicates(sidsOf(statements))).toEqual([]);

    const delivered = deliveries(stack, statements);
    expect(delivered).toHaveLength(2);
    expect(delivered.map((d) => d.sid)).toEqual(['S3ServerAccessLogDelivery', 'S3ServerAccessLogDelivery2']);
    // Each source writes only under its own prefix.
    const inbox = delivered.find((d) => JSON.stringify(d.resource).includes('/release-inbox/*'));
    const artifacts = delivered.find((d) => JSON.stringify(d.resource).includes('/artifacts/*'));
    expect(JSON.stringify(inbox?.source)).toContain(`:s3:::cdkx-shop-releases-${TENANT}-${REGION}`);
    expect(JSON.stringify(artifacts?.source)).toMatch(/PipelineArtifacts/);
    expect(repeatedSidsPerPolicy(template)).toEqual({});
  });

  test('an artifact store and a Fargate Spot runner given the same log bucket each get their own delivery statement', () => {
    const app = new App();
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
    const logs = new s3.Bucket(stack, 'SharedLogs', { encryption: s3.BucketEncryption.S3_MANAGED });
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
    new ArtifactStore(stack, 'Store', { contract, serverAccessLogsBucket: logs });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new FargateSpotRunner(stack, 'Runner', { vpc, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/alpine:3'), serverAccessLogsBucket: logs });
    const template = Template.fromStack(stack);

    const statements = bucketPolicyOf(template, logicalIdOf(stack, logs));
    expect(duplicates(sidsOf(statements))).toEqual([]);
    const delivered = deliveries(stack, statements);
    expect(delivered.map((d) => d.sid)).toEqual(['S3ServerAccessLogDelivery', 'S3ServerAccessLogDelivery2']);
    expect(delivered.map((d) => JSON.stringify(d.resource))).toEqual([
      expect.stringContaining('/artifact-bucket/*'),
      expect.stringContaining('/checkpoint-bucket/*'),
    ]);
    expect(repeatedSidsPerPolicy(template)).toEqual({});
  });

  test('a log bucket serving one bucket keeps the single S3ServerAccessLogDelivery statement', () => {
    const app = new App();
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
    const store = new ArtifactStore(stack, 'Store', { contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' }) });
    const template = Template.fromStack(stack);
    const delivered = deliveries(stack, bucketPolicyOf(template, logicalIdOf(stack, store.accessLogsBucket)));
    expect(delivered.map((d) => d.sid)).toEqual(['S3ServerAccessLogDelivery']);
  });
});
