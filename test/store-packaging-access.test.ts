/**
 * Packaging code into the artifact store (`sam package`, `aws cloudformation
 * package`): the build project gets ARTIFACT_BUCKET, ARTIFACT_PREFIX and
 * ARTIFACT_KEY_ARN, and the access proof (real IAM logic on the synthesized
 * tooling and tenant stacks) shows that the build may upload there, with the
 * store's key only, and nowhere else, and that the tenant's execution role
 * (whose credentials Lambda uses to fetch code during a CloudFormation deploy)
 * may read what was uploaded, while other roles of the tenant may not.
 * The documented command lines are checked with `bash -n` and for their flags.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ArtifactStore, CloudFormationTransform, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, TenantDeploymentRole,
} from '../src';
import { AccessModel, AccessRequest, Decision, ModelRole } from './support/access-model';
import { LoadedBucket, LoadedKey } from './support/assembly';
import { PACKAGE_COMMANDS, packagePrefix } from '../src/cross-account-pipeline/private/package-variables';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const REGION = 'us-east-1';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

function buildApp(): { app: App; tooling: Stack } {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING });
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const store = new ArtifactStore(tooling, 'Store', { contract, readerAccounts: [TENANT] });
  new CrossAccountPipeline(tooling, 'Shop', {
    contract,
    artifactStore: store,
    pipelineName: 'shop-release',
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['sam build', PACKAGE_COMMANDS.sam] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'packaged.yaml', transforms: [CloudFormationTransform.SERVERLESS] }),
    stages: [{ name: 'Test', targets: [{ id: 'test', account: TENANT, region: REGION }] }],
  });
  const tenant = new Stack(app, 'Tenant', { env: { account: TENANT, region: REGION } });
  new TenantDeploymentRole(tenant, 'Roles', {
    contract,
    allowedTransforms: [CloudFormationTransform.SERVERLESS],
    executionRoleStatements: [new iam.PolicyStatement({ actions: ['lambda:CreateFunction'], resources: ['*'] })],
  });
  return { app, tooling };
}

describe('the build project\'s packaging variables', () => {
  const { tooling } = buildApp();
  const template = Template.fromStack(tooling);
  const [build] = Object.values(template.findResources('AWS::CodeBuild::Project'))
    .filter((p: any) => p.Properties.Description === 'Builds and tests the release that every target receives') as any[];
  const variables = Object.fromEntries(build.Properties.Environment.EnvironmentVariables.map((v: any) => [v.Name, v]));
  const logicalId = (type: string, pattern: RegExp) => Object.keys(template.findResources(type)).filter((id) => pattern.test(id));

  test('ARTIFACT_BUCKET is the store bucket, ARTIFACT_KEY_ARN its key, ARTIFACT_PREFIX the pipeline folder\'s packages/', () => {
    expect(variables.ARTIFACT_BUCKET).toEqual({ Name: 'ARTIFACT_BUCKET', Type: 'PLAINTEXT', Value: { Ref: logicalId('AWS::S3::Bucket', /^StoreBucket/)[0] } });
    expect(variables.ARTIFACT_KEY_ARN).toEqual({ Name: 'ARTIFACT_KEY_ARN', Type: 'PLAINTEXT', Value: { 'Fn::GetAtt': [logicalId('AWS::KMS::Key', /^Store/)[0], 'Arn'] } });
    expect(logicalId('AWS::KMS::Key', /^Store/)).toHaveLength(1);
    expect(variables.ARTIFACT_PREFIX).toEqual({ Name: 'ARTIFACT_PREFIX', Type: 'PLAINTEXT', Value: 'shop-release/packages' });
  });

  test('the prefix is the first 20 characters of the pipeline name (the folder CodePipeline uses) + /packages', () => {
    expect(packagePrefix('a-very-long-pipeline-name')).toBe('a-very-long-pipeline/packages');
  });

  test('a variable of the same name in buildOptions.environment wins', () => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    const stack = new Stack(app, 'T', { env: { account: TOOLING, region: REGION } });
    new CrossAccountPipeline(stack, 'Shop', {
      contract,
      artifactStore: new ArtifactStore(stack, 'Store', { contract, readerAccounts: [TENANT] }),
      pipelineName: 'shop-release',
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: ['make'], environment: { ARTIFACT_PREFIX: 'shop-release/custom' } },
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'packaged.yaml' }),
      stages: [{ name: 'Test', targets: [{ id: 'test', account: TENANT, region: REGION }] }],
    });
    const projects = Object.values(Template.fromStack(stack).findResources('AWS::CodeBuild::Project')) as any[];
    const prefix = projects.flatMap((p) => p.Properties.Environment.EnvironmentVariables ?? []).find((v: any) => v.Name === 'ARTIFACT_PREFIX');
    expect(prefix.Value).toBe('shop-release/custom');
  });
});

describe('the documented commands', () => {
  test.each(Object.entries(PACKAGE_COMMANDS))('%s: valid bash, and upload to the variables with the store key', (_, command) => {
    const check = spawnSync('bash', ['-n', '-c', command], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(command).toContain('--s3-bucket "$ARTIFACT_BUCKET"');
    expect(command).toContain('--s3-prefix "$ARTIFACT_PREFIX"');
    expect(command).toContain('--kms-key-id "$ARTIFACT_KEY_ARN"');
    expect(command).toContain('--output-template-file packaged.yaml');
  });

  test('the README shows them verbatim', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    for (const command of Object.values(PACKAGE_COMMANDS)) expect(readme).toContain(command);
  });
});

describe('access proof', () => {
  let model: AccessModel;
  let bucket: LoadedBucket;
  let key: LoadedKey;
  let buildRole: ModelRole;
  let exec: ModelRole;
  let action: ModelRole;
  const packaged = (prefix = 'shop-release/packages') => `${bucket.arn}/${prefix}/5f3c1a9e2b7d4c6a8e0f1b2c3d4e5f6a`;
  const encrypted = (keyArn = key.arn) => ({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn });
  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);

  beforeAll(() => {
    model = AccessModel.fromAssembly(buildApp().app.synth());
    bucket = model.bucket(TOOLING, `cdkx-main-artifacts-${TOOLING}-${REGION}`);
    key = model.key(TOOLING, 'alias/cdkx-main-artifacts');
    buildRole = model.role(TOOLING, /ShopBuildRole/);
    exec = model.role(TENANT, 'cdkx-main-cfn-exec');
    action = model.role(TENANT, 'cdkx-main-deploy-action');
  });

  test('the build may s3:PutObject under ARTIFACT_PREFIX encrypted with the store key, and kms:GenerateDataKey through S3: allowed', async () => {
    await expectDecision({ principal: buildRole, action: 's3:PutObject', resource: packaged(), context: encrypted() }, 'Allowed');
    await expectDecision({ principal: buildRole, action: 'kms:GenerateDataKey', resource: key.arn, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } }, 'Allowed');
  });

  test('the same upload with AES256 or another KMS key: denied by the store', async () => {
    await expectDecision({ principal: buildRole, action: 's3:PutObject', resource: packaged(), context: { 's3:x-amz-server-side-encryption': 'AES256' } }, 'ExplicitlyDenied');
    const otherKey = `arn:aws:kms:${REGION}:${TOOLING}:key/00000000-1111-2222-3333-444444444444`;
    await expectDecision({ principal: buildRole, action: 's3:PutObject', resource: packaged(), context: encrypted(otherKey) }, 'ExplicitlyDenied');
  });

  test('the build may s3:PutObject outside its pipeline\'s folder: denied', async () => {
    for (const prefix of ['packages', 'shop-release-2/packages', 'blog-release/packages']) {
      await expectDecision({ principal: buildRole, action: 's3:PutObject', resource: packaged(prefix), context: encrypted() }, 'ImplicitlyDenied');
    }
  });

  test('the tenant execution role may s3:GetObject the packaged code and kms:Decrypt it through S3: allowed', async () => {
    await expectDecision({ principal: exec, action: 's3:GetObject', resource: packaged() }, 'Allowed');
    await expectDecision({ principal: exec, action: 'kms:Decrypt', resource: key.arn, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } }, 'Allowed');
  });

  test('the tenant roles may s3:PutObject packaged code: denied', async () => {
    for (const role of [exec, action]) {
      await expectDecision({ principal: role, action: 's3:PutObject', resource: packaged(), context: encrypted() }, 'ImplicitlyDenied');
    }
  });

  test('another role of the tenant, allowed by its own identity, may s3:GetObject the packaged code: denied', async () => {
    const other = model.externalRole(`arn:aws:iam::${TENANT}:role/some-function-role`, { identity: 'allow-all-tested' });
    await expectDecision({ principal: other, action: 's3:GetObject', resource: packaged() }, 'ImplicitlyDenied');
  });
});
