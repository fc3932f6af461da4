/**
 * A CrossAccountPipeline fed by an S3 object: the pipeline role reads that
 * object (and what CodePipeline's S3 source needs of its bucket) with named
 * actions, so cdk-nag finds nothing to suppress and no wildcard action ships.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource } from '../src';
import { allStatements, wildcardActions } from './support/policy-inspection';

const TOOLING = '111111111111';

function build(encrypted: boolean): Stack {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Releases', {
    versioned: true,
    enforceSSL: true,
    ...(encrypted ? { encryption: s3.BucketEncryption.KMS, encryptionKey: new kms.Key(stack, 'ReleasesKey', { enableKeyRotation: true }) } : {}),
  });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.s3({ bucket, objectKey: 'releases/app.zip' }),
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] }],
  });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  return stack;
}

function pipelineRoleStatements(stack: Stack): any[] {
  return allStatements(Template.fromStack(stack).toJSON())
    .filter(({ resource }) => resource.startsWith('ReleasePipelineRoleDefaultPolicy'))
    .map(({ statement }) => statement);
}

describe.each([false, true])('S3 source (bucket KMS-encrypted: %s)', (encrypted) => {
  test('the pipeline role reads the source object and its bucket with named actions only', () => {
    const statements = pipelineRoleStatements(build(encrypted));
    expect(statements.flatMap(wildcardActions)).toEqual([]);
    const objectRead = statements.find((s) => JSON.stringify(s.Resource).includes('/releases/app.zip'));
    expect(objectRead.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    // The source bucket itself (the artifact store has statements of its own).
    const bucketRead = statements.find((s) => /"Releases[0-9A-F]{8}"/.test(JSON.stringify(s.Resource)) && !JSON.stringify(s.Resource).includes('/releases/'));
    expect(bucketRead.Action).toEqual(['s3:GetBucketAcl', 's3:GetBucketLocation', 's3:GetBucketVersioning']);
    expect(statements.some((s) => JSON.stringify(s.Action).includes('kms:Decrypt') && JSON.stringify(s.Resource).includes('ReleasesKey'))).toBe(encrypted);
  });

  test('cdk-nag finds nothing on the pipeline role', () => {
    const stack = build(encrypted);
    const messages = (stack.node.root as App).synth().getStackByName('Tooling').messages;
    const findings = messages
      .filter((m) => m.id.includes('/Release/PipelineRole/') && String(m.entry.data).startsWith('AwsSolutions-'))
      .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
    expect(findings).toEqual([]);
  });
});
