/**
 * Self-tests of the access-proof harness on a small hand-built two-account app.
 * Every scenario asserts both an allowed and a denied side, so that a harness
 * that always answered the same would fail.
 */
import { App, Fn, Stack } from 'aws-cdk-lib';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { AccessModel, AccessResult, Decision } from './access-model';
import { IntrinsicResolver } from './intrinsics';

const TOOLING = '111111111111';
const TARGET = '222222222222';
const OUTSIDER = '333333333333';
const REGION = 'us-east-1';
const BUCKET_NAME = `tooling-artifacts-${TOOLING}`;
const ORG_ID = 'o-example1234';
const GITHUB_OIDC = `arn:aws:iam::${TOOLING}:oidc-provider/token.actions.githubusercontent.com`;

/** Fails with the harness' explanation, so a red test says why. */
function expectDecision(result: AccessResult, expected: Decision) {
  if (result.decision !== expected) {
    throw new Error(`expected ${expected}, got ${result.decision}\n${result.explanation}`);
  }
}

function buildApp(): App {
  const app = new App();
  const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const target = new Stack(app, 'Target', { env: { account: TARGET, region: REGION } });

  // Physical names are spelled out because cross-account stacks cannot share tokens.
  const crossReaderArn = `arn:aws:iam::${TARGET}:role/cross-reader`;
  const noIdentityArn = `arn:aws:iam::${TARGET}:role/no-identity`;

  // --- tooling account ---------------------------------------------------
  const bucket = new s3.Bucket(tooling, 'Artifacts', {
    bucketName: BUCKET_NAME,
    enforceSSL: true, // Deny when aws:SecureTransport is false
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  });
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'],
    resources: [bucket.arnForObjects('*')],
    principals: [new iam.ArnPrincipal(crossReaderArn), new iam.ArnPrincipal(noIdentityArn)],
  }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    principals: [new iam.AnyPrincipal()],
    conditions: { StringEquals: { 'aws:PrincipalOrgID': ORG_ID } },
  }));
  // S3 treats a wildcard-principal grant conditioned on StringLike aws:PrincipalOrgPaths as public: with
  // RestrictPublicBuckets on, it would block all cross-account access. So it gets its own bucket.
  const orgPaths = new s3.Bucket(tooling, 'OrgPaths', { blockPublicAccess: new s3.BlockPublicAccess({ restrictPublicBuckets: false }) });
  orgPaths.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [orgPaths.bucketArn],
    principals: [new iam.AnyPrincipal()],
    conditions: { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': `${ORG_ID}/r-ab12/ou-ab12-workloads/*` } },
  }));

  const publicSite = new s3.Bucket(tooling, 'PublicSite', { blockPublicAccess: new s3.BlockPublicAccess({ restrictPublicBuckets: false }) });
  publicSite.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'], resources: [publicSite.arnForObjects('*')], principals: [new iam.AnyPrincipal()],
  }));
  // Same public policy, but RestrictPublicBuckets is on: S3 BPA must block it.
  const restricted = new s3.Bucket(tooling, 'Restricted', { blockPublicAccess: new s3.BlockPublicAccess({ restrictPublicBuckets: true }) });
  restricted.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject'], resources: [restricted.arnForObjects('*')], principals: [new iam.AnyPrincipal()],
  }));

  const key = new kms.Key(tooling, 'ArtifactKey', { alias: 'alias/artifacts' });
  key.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt'],
    resources: ['*'],
    principals: [new iam.ArnPrincipal(crossReaderArn)],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } },
  }));
  // Two keys open to the whole target account; only the alias tells them apart.
  for (const alias of ['alias/shared', 'alias/other']) {
    const k = new kms.Key(tooling, `Key-${alias}`, { alias });
    k.addToResourcePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'], principals: [new iam.AccountPrincipal(TARGET)] }));
  }

  const deployer = new iam.Role(tooling, 'Deployer', { roleName: 'deployer', path: '/cicd/', assumedBy: new iam.AccountRootPrincipal() });
  bucket.grantPut(deployer); // same account: identity policy only
  deployer.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [`arn:aws:iam::${TARGET}:role/target-deploy`] }));
  // Identity allows read and write; the boundary (a managed policy of the assembly) only read.
  const bounded = new iam.Role(tooling, 'Bounded', { roleName: 'bounded', assumedBy: new iam.AccountRootPrincipal() });
  bucket.grantReadWrite(bounded);
  iam.PermissionsBoundary.of(bounded).apply(new iam.ManagedPolicy(tooling, 'Boundary', {
    statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })],
  }));
  new iam.Role(tooling, 'GitHub', {
    roleName: 'github',
    assumedBy: new iam.WebIdentityPrincipal(GITHUB_OIDC, { StringEquals: { 'token.actions.githubusercontent.com:repository': 'acme/app' } }),
  });
  const other = new iam.Role(tooling, 'Other', { roleName: 'other', assumedBy: new iam.AccountRootPrincipal() });
  other.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [`arn:aws:iam::${TARGET}:role/target-deploy`] }));

  // --- target account ----------------------------------------------------
  new iam.Role(target, 'TargetDeploy', {
    roleName: 'target-deploy',
    assumedBy: new iam.AccountPrincipal(TOOLING).withConditions({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${TOOLING}:role/cicd/*` } }),
  });
  const readObjects = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::${BUCKET_NAME}/*`] });
  const crossReader = new iam.Role(target, 'CrossReader', { roleName: 'cross-reader', assumedBy: new iam.AccountRootPrincipal() });
  crossReader.addToPolicy(readObjects);
  crossReader.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [`arn:aws:kms:${REGION}:${TOOLING}:key/*`] }));
  new iam.Role(target, 'NoIdentity', { roleName: 'no-identity', assumedBy: new iam.AccountRootPrincipal() });
  const identityOnly = new iam.Role(target, 'IdentityOnly', { roleName: 'identity-only', assumedBy: new iam.AccountRootPrincipal() });
  identityOnly.addToPolicy(readObjects);
  // Identity policy that only admits keys carrying a given alias.
  new iam.ManagedPolicy(target, 'AliasScoped', {
    managedPolicyName: 'alias-scoped',
    roles: [new iam.Role(target, 'AliasUser', { roleName: 'alias-user', assumedBy: new iam.AccountRootPrincipal() })],
    statements: [new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/shared' } },
    })],
  });
  return app;
}

describe('AccessModel', () => {
  const model = AccessModel.fromAssembly(buildApp().synth(), {
    organizations: [{
      id: ORG_ID,
      accounts: [TOOLING, TARGET, OUTSIDER],
      ouPaths: { [OUTSIDER]: `${ORG_ID}/r-ab12/ou-ab12-workloads/`, [TARGET]: `${ORG_ID}/r-ab12/ou-ab12-infra/` },
    }],
  });
  const bucket = model.bucket(TOOLING, BUCKET_NAME);
  const object = `${bucket.arn}/builds/app.zip`;
  const key = model.key(TOOLING, 'alias/artifacts');

  test('loads roles with path, buckets and keys with aliases', () => {
    expect(model.role(TOOLING, 'deployer').arn).toBe(`arn:aws:iam::${TOOLING}:role/cicd/deployer`);
    expect(bucket.arn).toBe(`arn:aws:s3:::${BUCKET_NAME}`);
    expect(bucket.blockPublicAccess).toBe(true);
    expect(model.bucket(TOOLING, /publicsite/).blockPublicAccess).toBe(false);
    expect(key.arn).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${TOOLING}:key/[0-9a-f-]{36}$`));
    expect(key.aliases).toEqual(['alias/artifacts']);
    // the managed policy attached through `Roles` is part of the role's identity
    expect(model.role(TARGET, 'alias-user').identityPolicies.map((p) => p.name)).toEqual([`arn:aws:iam::${TARGET}:policy/alias-scoped`]);
  });

  test('lookups list the candidates when nothing or several match', () => {
    expect(() => model.role(TOOLING, 'nope')).toThrow(/no match; available:[\s\S]*role\/cicd\/deployer/);
    expect(() => model.role(TARGET, /-/)).toThrow(/\d+ matches; matching:[\s\S]*cross-reader/);
    expect(() => model.bucket(TOOLING)).toThrow(/4 matches/);
    expect(() => model.key(TARGET)).toThrow(/no match/);
  });

  test('same account: an identity policy alone allows', async () => {
    const request = { action: 's3:PutObject', resource: object };
    expectDecision(await model.evaluate({ ...request, principal: model.role(TOOLING, 'deployer') }), 'Allowed');
    expectDecision(await model.evaluate({ ...request, principal: model.role(TOOLING, 'other') }), 'ImplicitlyDenied');
  });

  test('cross account: identity and resource policy must both allow', async () => {
    const request = { action: 's3:GetObject', resource: object };
    expectDecision(await model.evaluate({ ...request, principal: model.role(TARGET, 'cross-reader') }), 'Allowed');
    expectDecision(await model.evaluate({ ...request, principal: model.role(TARGET, 'identity-only') }), 'ImplicitlyDenied');
    expectDecision(await model.evaluate({ ...request, principal: model.role(TARGET, 'no-identity') }), 'ImplicitlyDenied');
  });

  test('an explicit deny on insecure transport wins over the allow', async () => {
    const request = { principal: model.role(TARGET, 'cross-reader'), action: 's3:GetObject', resource: object };
    expectDecision(await model.evaluate(request), 'Allowed');
    expectDecision(await model.evaluate({ ...request, secureTransport: false }), 'ExplicitlyDenied');
  });

  test('a trust policy with ArnLike aws:PrincipalArn admits only matching roles', async () => {
    const targetDeploy = model.role(TARGET, 'target-deploy').arn;
    expect(await model.canAssume(model.role(TOOLING, 'deployer'), targetDeploy)).toBe(true);
    expect(await model.canAssume(model.role(TOOLING, 'other'), targetDeploy)).toBe(false);
    // roles outside the assembly: the path decides, the identity side is granted
    expect(await model.canAssume(model.externalRole(`arn:aws:iam::${TOOLING}:role/cicd/sub/tool`), targetDeploy)).toBe(true);
    expect(await model.canAssume(model.externalRole(`arn:aws:iam::${TOOLING}:role/tool`), targetDeploy)).toBe(false);
    expect(await model.canAssume(model.externalRole(`arn:aws:iam::${OUTSIDER}:role/cicd/tool`), targetDeploy)).toBe(false);
    // ... unless the identity side is stated to be empty
    expect(await model.canAssume(model.externalRole(`arn:aws:iam::${TOOLING}:role/cicd/tool`, { identity: [] }), targetDeploy)).toBe(false);
  });

  test('key policy kms:ViaService condition needs the matching context', async () => {
    const request = { principal: model.role(TARGET, 'cross-reader'), action: 'kms:Decrypt', resource: key.arn };
    expectDecision(await model.evaluate({ ...request, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } }), 'Allowed');
    expectDecision(await model.evaluate({ ...request, context: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com` } }), 'ImplicitlyDenied');
    expectDecision(await model.evaluate(request), 'ImplicitlyDenied');
  });

  test('kms:ResourceAliases is filled from the assembly aliases', async () => {
    const principal = model.role(TARGET, 'alias-user');
    const decrypt = (resource: string) => model.evaluate({ principal, action: 'kms:Decrypt', resource });
    expectDecision(await decrypt(model.key(TOOLING, 'alias/shared').arn), 'Allowed');
    expectDecision(await decrypt(model.key(TOOLING, 'alias/other').arn), 'ImplicitlyDenied');
  });

  test('aws:PrincipalOrgID comes from the organizations option', async () => {
    const request = { principal: model.externalRole(`arn:aws:iam::${OUTSIDER}:role/reader`), action: 's3:ListBucket', resource: bucket.arn };
    expectDecision(await model.evaluate(request), 'Allowed');
    const noOrgs = AccessModel.fromAssembly(buildApp().synth());
    expectDecision(await noOrgs.evaluate(request), 'ImplicitlyDenied');

    const byPath = { ...request, resource: model.bucket(TOOLING, /orgpaths/).arn };
    expectDecision(await model.evaluate(byPath), 'Allowed'); // OUTSIDER sits in the workloads OU
    expectDecision(await model.evaluate({ ...byPath, principal: model.externalRole(`arn:aws:iam::${TARGET}:role/reader`) }), 'ImplicitlyDenied');
  });

  test('a permissions boundary caps the identity policies', async () => {
    const principal = model.role(TOOLING, 'bounded');
    expect(principal.permissionsBoundary).toBeDefined();
    expectDecision(await model.evaluate({ principal, action: 's3:GetObject', resource: object }), 'Allowed');
    expectDecision(await model.evaluate({ principal, action: 's3:PutObject', resource: object }), 'ImplicitlyDenied');
    expectDecision(await model.evaluate({ principal: { ...principal, permissionsBoundary: undefined }, action: 's3:PutObject', resource: object }), 'Allowed');
  });

  test('a web identity trust policy checks the token claims', async () => {
    const assume = (repository: string) => model.evaluate({
      principal: model.webIdentity(GITHUB_OIDC),
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: model.role(TOOLING, 'github').arn,
      context: { 'token.actions.githubusercontent.com:repository': repository },
    });
    expectDecision(await assume('acme/app'), 'Allowed');
    expectDecision(await assume('acme/other'), 'ImplicitlyDenied');
  });

  test('anonymous requests need a public policy that S3 Block Public Access does not restrict', async () => {
    const get = (b: RegExp) => model.evaluate({ principal: model.anonymous(), action: 's3:GetObject', resource: `${model.bucket(TOOLING, b).arn}/index.html` });
    expectDecision(await get(/publicsite/), 'Allowed');
    expectDecision(await get(/restricted/), 'ExplicitlyDenied'); // iam-simulate reports a BPA block as explicit
    expectDecision(await model.evaluate({ principal: model.anonymous(), action: 's3:GetObject', resource: object }), 'ImplicitlyDenied');
  });

  test('refuses context keys that do not apply and resources it cannot model', async () => {
    const principal = model.role(TARGET, 'cross-reader');
    await expect(model.evaluate({ principal, action: 's3:GetObject', resource: object, context: { 'kms:ViaService': 'x' } }))
      .rejects.toThrow(/kms:ViaService do not apply/);
    await expect(model.evaluate({ principal, action: 'sqs:SendMessage', resource: `arn:aws:sqs:${REGION}:${TARGET}:q` }))
      .rejects.toThrow(/resource policies of sqs resources are not modelled/);
    await expect(model.canAssume(principal, `arn:aws:iam::${TARGET}:role/unknown`)).rejects.toThrow(/trust policy is unknown/);
    expect(() => model.externalRole(model.role(TOOLING, 'deployer').arn)).toThrow(/use role\(\)/);
  });
});

describe('assembly loading', () => {
  test('environment-agnostic stacks need a default environment', () => {
    const app = new App();
    new iam.Role(new Stack(app, 'Agnostic'), 'R', { roleName: 'r', assumedBy: new iam.AccountRootPrincipal() });
    const assembly = app.synth();
    expect(() => AccessModel.fromAssembly(assembly)).toThrow(/\[Agnostic\] is environment-agnostic/);
    // an assembly directory works as well as the object
    const model = AccessModel.fromAssembly(assembly.directory, { defaultEnv: { account: TOOLING, region: REGION } });
    expect(model.role(TOOLING, 'r').arn).toBe(`arn:aws:iam::${TOOLING}:role/r`);
  });

  test('cross-stack references (Fn::ImportValue) resolve to the exporting stack', async () => {
    const app = new App();
    const env = { account: TOOLING, region: REGION };
    const bucket = new s3.Bucket(new Stack(app, 'Storage', { env }), 'B');
    const reader = new iam.Role(new Stack(app, 'Compute', { env }), 'R', { roleName: 'reader', assumedBy: new iam.AccountRootPrincipal() });
    bucket.grantRead(reader);
    const model = AccessModel.fromAssembly(app.synth());
    const principal = model.role(TOOLING, 'reader');
    const resource = `${model.bucket(TOOLING).arn}/k`;
    expectDecision(await model.evaluate({ principal, action: 's3:GetObject', resource }), 'Allowed');
    expectDecision(await model.evaluate({ principal, action: 's3:PutObject', resource }), 'ImplicitlyDenied');
  });

  test('an intrinsic the resolver does not know throws, naming stack and path', () => {
    const app = new App();
    const stack = new Stack(app, 'Odd', { env: { account: TOOLING, region: REGION } });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeSubnets'], resources: [Fn.select(0, Fn.getAzs())] }));
    expect(() => AccessModel.fromAssembly(app.synth())).toThrow(/\[Odd\] Resources\.RDefaultPolicy\w+\.Properties\.PolicyDocument\.Statement\[0\]\.Resource\.Fn::Select.*unsupported intrinsic Fn::GetAZs/);
  });

  test('a reference to a resource type without a known ARN format throws', () => {
    const app = new App();
    const stack = new Stack(app, 'Stream', { env: { account: TOOLING, region: REGION } });
    new kinesis.Stream(stack, 'T', { encryption: kinesis.StreamEncryption.UNENCRYPTED })
      .grantRead(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(() => AccessModel.fromAssembly(app.synth())).toThrow(/Fn::GetAtt T\w+\.Arn is not supported for AWS::Kinesis::Stream/);
  });

  test('AWS-managed policies must be supplied', () => {
    const app = new App();
    const stack = new Stack(app, 'Managed', { env: { account: TOOLING, region: REGION } });
    new iam.Role(stack, 'R', {
      roleName: 'r',
      assumedBy: new iam.AccountRootPrincipal(),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess')],
    });
    const assembly = app.synth();
    const arn = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    expect(() => AccessModel.fromAssembly(assembly)).toThrow(/managed policy arn:aws:iam::aws:policy\/ReadOnlyAccess is not in the assembly/);
    const document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:Get*', Resource: '*' }] };
    const model = AccessModel.fromAssembly(assembly, { awsManagedPolicies: { [arn]: document } });
    expect(model.role(TOOLING, 'r').identityPolicies).toEqual([{ name: arn, document }]);
  });
});

describe('EFS file systems and SSM parameters', () => {
  const WRITER = `arn:aws:iam::${TOOLING}:role/efs-writer`;
  const POLICY_READER = `arn:aws:iam::${TOOLING}:role/efs-policy-reader`;
  const CROSS_READER = `arn:aws:iam::${TARGET}:role/efs-cross-reader`;
  const FILE_SYSTEMS = `arn:aws:elasticfilesystem:${REGION}:${TOOLING}:file-system/*`;

  function buildEfsApp(): App {
    const app = new App();
    const stack = new Stack(app, 'Files', { env: { account: TOOLING, region: REGION } });
    // L1s: the L2 needs a VPC, which the access model does not care about.
    const guarded = new efs.CfnFileSystem(stack, 'Guarded', {
      fileSystemPolicy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: POLICY_READER }, Action: 'elasticfilesystem:ClientMount', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: CROSS_READER }, Action: 'elasticfilesystem:ClientMount', Resource: '*' },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientRootAccess', Resource: '*' },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'elasticfilesystem:*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        ],
      },
    });
    const shared = new efs.CfnAccessPoint(stack, 'Shared', { fileSystemId: guarded.ref, rootDirectory: { path: '/shared' } });
    new efs.CfnAccessPoint(stack, 'Root', { fileSystemId: guarded.ref });
    new efs.CfnFileSystem(stack, 'Open'); // no policy: EFS's default applies

    const writer = new iam.Role(stack, 'Writer', { roleName: 'efs-writer', assumedBy: new iam.AccountRootPrincipal() });
    writer.addToPolicy(new iam.PolicyStatement({
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess'],
      resources: [guarded.attrArn],
      conditions: { StringEquals: { 'elasticfilesystem:AccessPointArn': shared.attrArn } },
    }));
    new iam.Role(stack, 'PolicyReader', { roleName: 'efs-policy-reader', assumedBy: new iam.AccountRootPrincipal() });

    const parameter = new ssm.StringParameter(stack, 'Setting', { parameterName: '/app/setting', stringValue: 'x' });
    parameter.grantRead(writer);

    const target = new Stack(app, 'Reader', { env: { account: TARGET, region: REGION } });
    const crossReader = new iam.Role(target, 'CrossReader', { roleName: 'efs-cross-reader', assumedBy: new iam.AccountRootPrincipal() });
    crossReader.addToPolicy(new iam.PolicyStatement({ actions: ['elasticfilesystem:ClientMount'], resources: [FILE_SYSTEMS] }));
    new iam.Role(target, 'IdentityOnly', { roleName: 'efs-identity-only', assumedBy: new iam.AccountRootPrincipal() })
      .addToPolicy(new iam.PolicyStatement({ actions: ['elasticfilesystem:ClientMount'], resources: [FILE_SYSTEMS] }));
    return app;
  }

  const model = AccessModel.fromAssembly(buildEfsApp().synth());
  const guarded = model.fileSystem(TOOLING, /^Guarded/);
  const open = model.fileSystem(TOOLING, /^Open/);
  const shared = model.accessPoint(guarded, '/shared');
  const viaShared = { 'elasticfilesystem:AccessPointArn': shared.arn };
  const client = (principal: any, action: string, fileSystem = guarded, context: Record<string, string | boolean> = {}) =>
    model.evaluate({ principal, action: `elasticfilesystem:${action}`, resource: fileSystem.arn, context });

  test('loads file systems with their policy and access points, with ids in AWS\'s format', () => {
    expect(guarded.arn).toBe(`arn:aws:elasticfilesystem:${REGION}:${TOOLING}:file-system/${guarded.fileSystemId}`);
    expect(guarded.fileSystemId).toMatch(/^fs-[0-9a-f]{17}$/);
    expect(guarded.fileSystemPolicy).toBeDefined();
    expect(open.fileSystemPolicy).toBeUndefined();
    expect(guarded.accessPoints.map((a) => a.path).sort()).toEqual(['/', '/shared']);
    expect(shared.arn).toBe(`arn:aws:elasticfilesystem:${REGION}:${TOOLING}:access-point/${shared.accessPointId}`);
    expect(shared.accessPointId).toMatch(/^fsap-[0-9a-f]{17}$/);
    expect(open.accessPoints).toEqual([]);
    expect(() => model.accessPoint(guarded, '/nope')).toThrow(/no match; available:[\s\S]*\/shared/);
  });

  test('roleAt finds a role by stack and logical id; assembly.resolve gives deployed values', () => {
    const writer = model.role(TOOLING, 'efs-writer');
    expect(model.roleAt('Files', writer.source.logicalId).arn).toBe(WRITER);
    expect(() => model.roleAt('Files', 'Nope')).toThrow(/role Nope of stack Files: no match/);
    expect(model.assembly.resolve('Files', { Ref: guarded.source.logicalId })).toBe(guarded.fileSystemId);
    expect(() => model.assembly.resolve('Nope', 'x')).toThrow(/no stack Nope/);
  });

  test('same account: the identity policy alone allows, with its access point condition', async () => {
    const writer = model.role(TOOLING, 'efs-writer');
    expectDecision(await client(writer, 'ClientWrite', guarded, viaShared), 'Allowed');
    expectDecision(await client(writer, 'ClientWrite', guarded, { 'elasticfilesystem:AccessPointArn': guarded.accessPoints.find((a) => a.path === '/')!.arn }), 'ImplicitlyDenied');
    expectDecision(await client(writer, 'ClientWrite'), 'ImplicitlyDenied');
  });

  test('same account: the file system policy alone allows', async () => {
    expectDecision(await client(model.role(TOOLING, 'efs-policy-reader'), 'ClientMount'), 'Allowed');
    expectDecision(await client(model.role(TOOLING, 'efs-policy-reader'), 'ClientWrite'), 'ImplicitlyDenied');
  });

  test('an explicit deny in the file system policy wins over the identity policy', async () => {
    const writer = model.role(TOOLING, 'efs-writer');
    expectDecision(await client(writer, 'ClientRootAccess', guarded, viaShared), 'ExplicitlyDenied');
    expectDecision(await model.evaluate({
      principal: writer, action: 'elasticfilesystem:ClientWrite', resource: guarded.arn, context: viaShared, secureTransport: false,
    }), 'ExplicitlyDenied');
  });

  test('cross account: identity and file system policy must both allow', async () => {
    expectDecision(await client(model.role(TARGET, 'efs-cross-reader'), 'ClientMount'), 'Allowed');
    expectDecision(await client(model.role(TARGET, 'efs-identity-only'), 'ClientMount'), 'ImplicitlyDenied');
  });

  test('without a file system policy, EFS\'s default lets any client that reaches a mount target in', async () => {
    expectDecision(await client(model.anonymous(), 'ClientRootAccess', open), 'Allowed');
    expectDecision(await client(model.anonymous(), 'ClientMount', open, { 'elasticfilesystem:AccessedViaMountTarget': false }), 'ImplicitlyDenied');
    expectDecision(await client(model.anonymous(), 'ClientMount'), 'ImplicitlyDenied'); // the guarded one names no anonymous client
  });

  test('refuses EFS requests it cannot model', async () => {
    const writer = model.role(TOOLING, 'efs-writer');
    await expect(model.evaluate({ principal: writer, action: 'elasticfilesystem:ClientMount', resource: shared.arn }))
      .rejects.toThrow(/pass an access point as context elasticfilesystem:AccessPointArn/);
    await expect(model.evaluate({ principal: writer, action: 'elasticfilesystem:DeleteFileSystem', resource: guarded.arn }))
      .rejects.toThrow(/only the NFS client actions/);
    await expect(model.evaluate({ principal: writer, action: 'elasticfilesystem:ClientMount', resource: `arn:aws:elasticfilesystem:${REGION}:${TOOLING}:file-system/fs-00000000000000000` }))
      .rejects.toThrow(/not a file system of the assembly/);
  });

  test('SSM parameters: the identity policy decides', async () => {
    const parameter = `arn:aws:ssm:${REGION}:${TOOLING}:parameter/app/setting`;
    expectDecision(await model.evaluate({ principal: model.role(TOOLING, 'efs-writer'), action: 'ssm:GetParameter', resource: parameter }), 'Allowed');
    expectDecision(await model.evaluate({ principal: model.role(TOOLING, 'efs-writer'), action: 'ssm:PutParameter', resource: parameter }), 'ImplicitlyDenied');
    expectDecision(await model.evaluate({ principal: model.role(TOOLING, 'efs-policy-reader'), action: 'ssm:GetParameter', resource: parameter }), 'ImplicitlyDenied');
  });

  test('SSM: refuses accounts that declare SSM resource policies, and resources other than parameters', async () => {
    const app = new App();
    const stack = new Stack(app, 'Shared', { env: { account: TOOLING, region: REGION } });
    const parameter = new ssm.StringParameter(stack, 'P', { parameterName: '/shared/p', stringValue: 'x', tier: ssm.ParameterTier.ADVANCED });
    new ssm.CfnResourcePolicy(stack, 'Policy', {
      resourceArn: parameter.parameterArn,
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: TARGET }, Action: 'ssm:GetParameter', Resource: '*' }] },
    });
    new iam.Role(stack, 'R', { roleName: 'r', assumedBy: new iam.AccountRootPrincipal() });
    const withPolicy = AccessModel.fromAssembly(app.synth());
    const principal = withPolicy.role(TOOLING, 'r');
    await expect(withPolicy.evaluate({ principal, action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${TOOLING}:parameter/shared/p` }))
      .rejects.toThrow(/declares SSM resource policies the model does not evaluate \(Shared\/Policy/);
    await expect(model.evaluate({ principal: model.role(TOOLING, 'efs-writer'), action: 'ssm:SendCommand', resource: `arn:aws:ssm:${REGION}::document/AWS-RunShellScript` }))
      .rejects.toThrow(/only SSM parameters of an account are modelled/);
  });

  test('Lambda functions: the identity policy decides where no Lambda permission is declared; accounts that declare one are refused', async () => {
    const app = new App();
    const plain = new Stack(app, 'Plain', { env: { account: TOOLING, region: REGION } });
    const deployer = new iam.Role(plain, 'D', { roleName: 'deployer', assumedBy: new iam.AccountRootPrincipal() });
    deployer.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:UpdateFunctionCode'], resources: [`arn:aws:lambda:*:${TOOLING}:function:app-*`] }));
    const sharing = new Stack(app, 'Shared', { env: { account: TARGET, region: REGION } });
    new lambda.CfnPermission(sharing, 'Invoke', { action: 'lambda:InvokeFunction', functionName: 'app-api', principal: TOOLING });
    const m = AccessModel.fromAssembly(app.synth());
    const principal = m.role(TOOLING, 'deployer');
    const fn = (account: string, name: string) => `arn:aws:lambda:${REGION}:${account}:function:${name}`;
    expectDecision(await m.evaluate({ principal, action: 'lambda:UpdateFunctionCode', resource: fn(TOOLING, 'app-api') }), 'Allowed');
    expectDecision(await m.evaluate({ principal, action: 'lambda:UpdateFunctionCode', resource: fn(TOOLING, 'other') }), 'ImplicitlyDenied');
    await expect(m.evaluate({ principal, action: 'lambda:InvokeFunction', resource: fn(TARGET, 'app-api') }))
      .rejects.toThrow(/declares Lambda permissions the model does not evaluate \(Shared\/Invoke/);
    await expect(m.evaluate({ principal, action: 'lambda:GetLayerVersion', resource: `arn:aws:lambda:${REGION}:${TOOLING}:layer:l:1` }))
      .rejects.toThrow(/only Lambda functions, versions and aliases of an account are modelled/);
  });
});

describe('IntrinsicResolver', () => {
  const resolver = new IntrinsicResolver({
    stackName: 'S',
    account: TOOLING,
    region: REGION,
    resources: {
      Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'named', Path: '/p/' } },
      Anon: { Type: 'AWS::S3::Bucket' },
    },
    parameters: { Env: { Type: 'String', Default: 'prod' }, Ssm: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/x' } },
    conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] } },
  });

  test('Ref, GetAtt, Sub, Join, Select, Split, If and NoValue', () => {
    expect(resolver.resolve({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe(`arn:aws:iam::${TOOLING}:role/p/named`);
    expect(resolver.physicalName('Anon')).toMatch(/^s-anon-[0-9a-f]{12}$/); // synthetic, lowercase for buckets
    expect(resolver.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Anon}/${!Literal}' }))
      .toBe(`arn:aws:s3:::${resolver.physicalName('Anon')}/\${Literal}`);
    expect(resolver.resolve({ 'Fn::Sub': ['${A}-${Role.Arn}', { A: { Ref: 'AWS::Region' } }] })).toBe(`${REGION}-arn:aws:iam::${TOOLING}:role/p/named`);
    expect(resolver.resolve({ 'Fn::Join': ['/', ['a', { Ref: 'Env' }]] })).toBe('a/prod');
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'x,y,z'] }] })).toBe('y');
    expect(resolver.resolve({ 'Fn::If': ['IsDev', 'dev', 'prod'] })).toBe('prod');
    expect(resolver.resolve({ a: { 'Fn::If': ['IsProd', { Ref: 'AWS::NoValue' }, 1] }, b: [1, { Ref: 'AWS::NoValue' }] })).toEqual({ b: [1] });
  });

  test('resource types with generated ids and ARN refs', () => {
    const r = new IntrinsicResolver({
      stackName: 'S',
      account: TOOLING,
      region: REGION,
      resources: {
        Fs: { Type: 'AWS::EFS::FileSystem' },
        Ap: { Type: 'AWS::EFS::AccessPoint' },
        Subnet: { Type: 'AWS::EC2::Subnet' },
        Lt: { Type: 'AWS::EC2::LaunchTemplate' },
        Tg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name: 'web' } },
        Asg: { Type: 'AWS::AutoScaling::AutoScalingGroup' },
        Param: { Type: 'AWS::SSM::Parameter', Properties: { Name: '/a/b' } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'f' } },
        App: { Type: 'AWS::CodeDeploy::Application', Properties: { ApplicationName: 'app' } },
        Key: { Type: 'AWS::KMS::Key' },
      },
    });
    expect(r.resolve({ Ref: 'Fs' })).toMatch(/^fs-[0-9a-f]{17}$/);
    expect(r.resolve({ 'Fn::GetAtt': ['Fs', 'FileSystemId'] })).toBe(r.resolve({ Ref: 'Fs' }));
    expect(r.resolve({ 'Fn::GetAtt': ['Ap', 'Arn'] })).toBe(`arn:aws:elasticfilesystem:${REGION}:${TOOLING}:access-point/${r.resolve({ Ref: 'Ap' })}`);
    expect(r.resolve({ Ref: 'Subnet' })).toMatch(/^subnet-[0-9a-f]{17}$/);
    expect(r.resolve({ 'Fn::GetAtt': ['Lt', 'LatestVersionNumber'] })).toBe('1');
    expect(r.resolve({ Ref: 'Tg' })).toMatch(new RegExp(`^arn:aws:elasticloadbalancing:${REGION}:${TOOLING}:targetgroup/web/[0-9a-f]{16}$`));
    expect(r.resolve({ 'Fn::GetAtt': ['Tg', 'TargetGroupName'] })).toBe('web');
    expect(r.resolve({ Ref: 'Asg' })).toMatch(/^S-Asg-[0-9A-F]{12}$/);
    expect(r.resolve({ Ref: 'Param' })).toBe('/a/b');
    expect(r.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe(`arn:aws:lambda:${REGION}:${TOOLING}:function:f`);
    expect(r.resolve({ Ref: 'App' })).toBe('app');
    // unchanged: KMS key ids are uuids derived from account, region, stack and logical id
    expect(r.resolve({ Ref: 'Key' })).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(() => r.resolve({ 'Fn::GetAtt': ['Param', 'Arn'] })).toThrow(/Fn::GetAtt Param.Arn is not supported for AWS::SSM::Parameter/);
  });

  test('refuses what it cannot resolve faithfully', () => {
    expect(() => resolver.resolve({ x: [{ 'Fn::Base64': 'a' }] })).toThrow('[S] x[0].Fn::Base64: unsupported intrinsic Fn::Base64');
    expect(() => resolver.resolve({ Ref: 'Ssm' })).toThrow(/resolved from SSM/);
    expect(() => resolver.resolve({ Ref: 'Missing' })).toThrow(/no resource or parameter named Missing/);
    expect(() => resolver.resolve({ Ref: 'AWS::NotificationARNs' })).toThrow(/unsupported pseudo parameter/);
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['Role', 'Nope'] })).toThrow(/Fn::GetAtt Role.Nope is not supported/);
  });
});
