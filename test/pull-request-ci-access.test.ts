/**
 * Access proofs for PullRequestCi, evaluated with real IAM logic
 * (test/support/access-model.ts) on the synthesized template: identity
 * policies of the two build roles, the publish bucket's policy and its key's
 * policy.
 *
 * Must show: the publish role may put the publish object, and no other key,
 * and may neither list, read nor delete; it may have S3 encrypt with the key
 * and nothing more of the key. The pull-request role, which runs the code of
 * whoever opened the pull request, may write nothing in the bucket and use
 * the key for nothing; the created bucket refuses objects from any principal
 * but the publish role, whatever that principal's own policies allow. Each denial runs next to an allowed control that
 * differs in one respect (the principal, the key, or the context).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PullRequestCi, PullRequestRepository } from '../src';
import { AccessModel, ModelRole } from './support/access-model';

const ACCOUNT = '111111111111';
const VIA_S3 = { 'kms:ViaService': 's3.us-east-1.amazonaws.com' };

const app = new App();
const stack = new Stack(app, 'Tooling', { env: { account: ACCOUNT, region: 'us-east-1' } });
new PullRequestCi(stack, 'Ci', {
  repository: PullRequestRepository.gitHub({ owner: 'acme', repo: 'shop' }),
  buildOptions: { installCommands: ['npm ci'], commands: ['npm test'], secrets: { NPM_TOKEN: 'npm-token' } },
  pullRequestSecrets: ['NPM_TOKEN'],
  projectNamePrefix: 'shop-ci',
});
const template = Template.fromStack(stack);
const model = AccessModel.fromAssembly(app.synth());

const roleOfProject = (name: string): ModelRole => {
  const [project] = Object.values(template.findResources('AWS::CodeBuild::Project', { Properties: { Name: name } })) as any[];
  return model.roleAt('Tooling', project.Properties.ServiceRole['Fn::GetAtt'][0]);
};
const publish = roleOfProject('shop-ci-publish');
const pullRequests = roleOfProject('shop-ci-pull-requests');
const bucket = model.bucket(ACCOUNT, /publishbucket/);
const key = model.key(ACCOUNT);
const object = (k: string) => `arn:aws:s3:::${bucket.name}/${k}`;
const PUBLISHED = object('pull-request-ci/main.zip');

describe('the publish role', () => {
  test('may put the publish object over TLS, and not without TLS', async () => {
    await model.expectDecision({ principal: publish, action: 's3:PutObject', resource: PUBLISHED }, 'Allowed');
    await model.expectDecision({ principal: publish, action: 's3:PutObject', resource: PUBLISHED, secureTransport: false }, 'ExplicitlyDenied');
  });

  test.each(['pull-request-ci/other.zip', 'pull-request-ci/main.zip.bak', 'releases/app.zip'])('may not put %s', async (other) => {
    await model.expectDecision({ principal: publish, action: 's3:PutObject', resource: object(other) }, 'ImplicitlyDenied');
  });

  test.each(['s3:GetObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl'])('may not %s the publish object', async (action) => {
    await model.expectDecision({ principal: publish, action, resource: PUBLISHED }, 'ImplicitlyDenied');
  });

  test('may not list the bucket', async () => {
    await model.expectDecision({ principal: publish, action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket.name}` }, 'ImplicitlyDenied');
  });

  test('may have S3 generate a data key, only through S3, and may not decrypt', async () => {
    await model.expectDecision({ principal: publish, action: 'kms:GenerateDataKey', resource: key.arn, context: VIA_S3 }, 'Allowed');
    await model.expectDecision({ principal: publish, action: 'kms:GenerateDataKey', resource: key.arn }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: publish, action: 'kms:Decrypt', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
  });
});

test('the created bucket refuses objects from every other principal, even one whose own policy allows them', async () => {
  const admin = model.externalRole(`arn:aws:iam::${ACCOUNT}:role/admin`);
  await model.expectDecision({ principal: admin, action: 's3:PutObject', resource: PUBLISHED }, 'ExplicitlyDenied');
  await model.expectDecision({ principal: { ...pullRequests, identity: 'allow-all-tested' }, action: 's3:PutObject', resource: PUBLISHED }, 'ExplicitlyDenied');
  // Control: reading is not what the statement is about.
  await model.expectDecision({ principal: admin, action: 's3:GetObject', resource: PUBLISHED }, 'Allowed');
});

describe('the pull-request role (control: the publish role, same request)', () => {
  test.each(['pull-request-ci/main.zip', 'pull-request-ci/other.zip'])('may not put %s (its own policy allows nothing, and the bucket denies it)', async (k) => {
    await model.expectDecision({ principal: pullRequests, action: 's3:PutObject', resource: object(k) }, 'ExplicitlyDenied');
  });

  test('the publish object is denied to it, allowed to the publish role', async () => {
    await model.expectDecision({ principal: publish, action: 's3:PutObject', resource: PUBLISHED }, 'Allowed');
    await model.expectDecision({ principal: pullRequests, action: 's3:PutObject', resource: PUBLISHED }, 'ExplicitlyDenied');
  });

  test.each(['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl', 's3:GetObject', 's3:RestoreObject'])('may not %s', async (action) => {
    await model.expectDecision({ principal: pullRequests, action, resource: PUBLISHED }, 'ImplicitlyDenied');
  });

  test.each(['s3:ListBucket', 's3:PutBucketPolicy', 's3:PutLifecycleConfiguration', 's3:DeleteBucket'])('may not %s on the bucket', async (action) => {
    await model.expectDecision({ principal: pullRequests, action, resource: `arn:aws:s3:::${bucket.name}` }, 'ImplicitlyDenied');
  });

  test('may not have S3 generate a data key (the publish role may)', async () => {
    await model.expectDecision({ principal: publish, action: 'kms:GenerateDataKey', resource: key.arn, context: VIA_S3 }, 'Allowed');
    await model.expectDecision({ principal: pullRequests, action: 'kms:GenerateDataKey', resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
  });

  test.each(['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant'])('may not %s with the key, directly or through S3', async (action) => {
    await model.expectDecision({ principal: pullRequests, action, resource: key.arn }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: pullRequests, action, resource: key.arn, context: VIA_S3 }, 'ImplicitlyDenied');
  });
});
