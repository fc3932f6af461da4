import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ArtifactStore, ArtifactStoreProps, DeploymentContract, IArtifactStore } from '../src';
import { accounts, allStatements, measured, wildcardActions } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';
import { PolicyQuota } from '../src/shared/policy-size';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';

function toolingStack(app = new App()): Stack {
  return new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'eu-west-1' } });
}

function store(props: Partial<ArtifactStoreProps> & { contract?: DeploymentContract } = {}) {
  const stack = toolingStack();
  const contract = props.contract ?? new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
  const artifactStore = new ArtifactStore(stack, 'Store', { ...props, contract });
  return { stack, store: artifactStore };
}

describe('ArtifactStore resources', () => {
  const { stack, store: artifactStore } = store();
  const template = Template.fromStack(stack);

  test('a customer-managed key with rotation and the contract alias, retained on deletion', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/cdkx-main-artifacts' });
  });

  test('the bucket: named by the contract, encrypted with the key, private, versioned, expiring, retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketName: 'cdkx-main-artifacts-111111111111-eu-west-1',
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ ExpirationInDays: 90, NoncurrentVersionExpiration: { NoncurrentDays: 30 } })],
        },
        LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'artifact-bucket/' },
        // Chained pipelines start on the handoff object's "Object Created" event.
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      },
      DeletionPolicy: 'Retain',
    });
    expect(artifactStore.region).toBe('eu-west-1');
  });

  test('the bucket policy denies plain HTTP and uploads with any other key', () => {
    const policy = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: Match.stringLikeRegexp('StoreBucket') } },
    });
    const statements = (Object.values(policy)[0] as any).Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Sid: 'DenyUploadsNotEncryptedWithTheArtifactKey', Action: 's3:PutObject' }),
      expect.objectContaining({ Effect: 'Deny', Sid: 'DenyUploadsNotEncryptedWithKms', Action: 's3:PutObject' }),
    ]));
  });

  test('the bucket policy keeps the handoff, fleet-releases and assets folders for roles on the contract\'s pipeline path', () => {
    const policy = template.findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: Match.stringLikeRegexp('StoreBucket') } },
    });
    const statements = (Object.values(policy)[0] as any).Properties.PolicyDocument.Statement;
    expect(statements.find((s: any) => s.Sid === 'OnlyPipelineRolesWriteHandoffs')).toEqual({
      Sid: 'OnlyPipelineRolesWriteHandoffs',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:PutObject', 's3:ReplicateObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: ['/handoff/*', '/fleet-releases/*', '/assets/*'].map((folder) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] }, folder]] })),
      Condition: { ArnNotLike: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/cdkx-main/*']] } } },
    });
  });

  test('no allow statement has a wildcard action, except the key owner delegation to IAM', () => {
    const offenders = allStatements(template.toJSON())
      .filter(({ statement }) => wildcardActions(statement).length > 0)
      .filter(({ type, statement }) => !(type === 'AWS::KMS::Key' && statement.Action === 'kms:*'
        && JSON.stringify(statement.Principal).includes(`:iam::${TOOLING}:root`)));
    expect(offenders).toEqual([]);
  });

  test('every Principal "*" allow statement is narrowed by principal ARN and organization', () => {
    const open = allStatements(template.toJSON())
      .filter(({ statement }) => statement.Effect === 'Allow' && JSON.stringify(statement.Principal) === '{"AWS":"*"}');
    expect(open.length).toBe(2); // bucket read, key decrypt
    for (const { statement } of open) {
      // the tenant action and execution roles, and the CodeDeploy instance role
      expect(statement.Condition.ArnLike['aws:PrincipalArn']).toHaveLength(3);
      expect(statement.Condition.StringEquals['aws:PrincipalOrgID']).toBe(ORG);
    }
  });
});

/**
 * S3 Block Public Access treats a bucket policy as public, and BlockPublicPolicy
 * refuses it, unless each allow grants to fixed principals or is narrowed to a
 * fixed value of one of these keys ("The meaning of public"; the organization
 * is given there as an example of a fixed principal):
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
 * aws:PrincipalAccount and aws:PrincipalArn are not on the list.
 */
const NON_PUBLIC_CONDITION_KEYS = [
  'aws:SourceIp', 'aws:SourceArn', 'aws:SourceVpc', 'aws:SourceVpce', 'aws:SourceOwner', 'aws:SourceAccount',
  's3:x-amz-server-side-encryption-aws-kms-key-id', 'aws:userid', 's3:DataAccessPointArn', 's3:DataAccessPointAccount',
  'aws:PrincipalOrgID',
].map((k) => k.toLowerCase());

const hasWildcard = (value: unknown) => JSON.stringify(value).includes('*') || JSON.stringify(value).includes('?');

/** Allow statements of a bucket policy that S3 would call public. */
function publicStatements(statements: any[]): any[] {
  const fixedPrincipal = (s: any) => s.Principal !== '*' && s.Principal?.AWS !== undefined && !hasWildcard(s.Principal.AWS);
  const fixedCondition = (s: any) => Object.entries<Record<string, unknown>>(s.Condition ?? {})
    .filter(([operator]) => !/Not|IfExists/.test(operator))
    .some(([, keys]) => Object.entries(keys).some(([key, value]) => NON_PUBLIC_CONDITION_KEYS.includes(key.toLowerCase()) && !hasWildcard(value)));
  return statements.filter((s) => s.Effect === 'Allow' && !fixedPrincipal(s) && !fixedCondition(s));
}

describe('ArtifactStore bucket policy and S3 Block Public Access', () => {
  const bucketStatements = (stack: Stack) => {
    const policies = Template.fromStack(stack).findResources('AWS::S3::BucketPolicy', {
      Properties: { Bucket: { Ref: Match.stringLikeRegexp('StoreBucket') } },
    });
    return (Object.values(policies)[0] as any).Properties.PolicyDocument.Statement as any[];
  };

  test('in account-list mode, no allow statement is public: the reader accounts are named as principals', () => {
    const { stack, store: artifactStore } = store({ contract: new DeploymentContract({ toolingAccount: TOOLING }), readerAccounts: ['222222222222'] });
    artifactStore.addReaderAccounts('333333333333');
    const statements = bucketStatements(stack);
    expect(publicStatements(statements)).toEqual([]);
    expect(statements.find((s) => s.Sid === 'TenantRolesReadArtifacts')).toEqual({
      Sid: 'TenantRolesReadArtifacts',
      Effect: 'Allow',
      Principal: { AWS: ['222222222222', '333333333333'] },
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^StoreBucket/), 'Arn'] }, '/*']] },
      // Still only the contract's tenant roles of those accounts.
      Condition: {
        ArnLike: {
          'aws:PrincipalArn': [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cdkx-main-deploy-action']] },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cdkx-main-cfn-exec']] },
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cdkx-main-codedeploy-instance']] },
          ],
        },
      },
    });
  });

  test('in organization mode, no allow statement is public: Principal * is narrowed by aws:PrincipalOrgID', () => {
    const { stack } = store();
    expect(publicStatements(bucketStatements(stack))).toEqual([]);
  });

  test('the check itself flags Principal * narrowed only by aws:PrincipalAccount and a wildcard-account aws:PrincipalArn', () => {
    expect(publicStatements([{
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 's3:GetObject',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalAccount': ['222222222222'] }, ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::*:role/x'] } },
    }])).toHaveLength(1);
  });
});

describe('ArtifactStore options', () => {
  test('destroy for sandboxes: opt-in removal and emptying of both buckets', () => {
    const { stack } = store({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    // The emptying function deletes handoffs too; writing them stays reserved.
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'OnlyPipelineRolesWriteHandoffs', Action: ['s3:PutObject', 's3:ReplicateObject'] })]) },
    });
  });

  test('artifact expiration is configurable', () => {
    const { stack } = store({ artifactExpiration: Duration.days(14), noncurrentVersionExpiration: Duration.days(3) });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 14, NoncurrentVersionExpiration: { NoncurrentDays: 3 } })] },
    });
  });

  test('OU paths narrow the organization with aws:PrincipalOrgPaths', () => {
    const contract = new DeploymentContract({
      toolingAccount: TOOLING, organizationId: ORG, organizationalUnitPaths: [`${ORG}/r-ab12/ou-ab12-11111111/`],
    });
    const { stack } = store({ contract });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'TenantRolesReadArtifacts',
          Condition: Match.objectLike({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': [`${ORG}/r-ab12/ou-ab12-11111111/*`] } }),
        })]),
      },
    });
  });

  test('without an organization, the listed accounts (and ones added later) are the readers', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    const { stack, store: artifactStore } = store({ contract, readerAccounts: ['222222222222'] });
    artifactStore.addReaderAccounts('333333333333');
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'TenantRolesDecryptArtifactsThroughS3',
          Condition: Match.objectLike({
            StringEquals: { 'aws:PrincipalAccount': ['222222222222', '333333333333'], 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
          }),
        })]),
      },
    });
  });

  test('grantReadWrite gives a same-account role exactly the listed actions on this bucket and key', () => {
    const { stack, store: artifactStore } = store();
    const role = new iam.Role(stack, 'PipelineRole', { assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com') });
    artifactStore.grantReadWrite(role);
    const statements = allStatements(Template.fromStack(stack).toJSON())
      .filter(({ type }) => type === 'AWS::IAM::Policy').map(({ statement }) => statement);
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(actions.sort()).toEqual([
      'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
      's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetBucketVersioning', 's3:GetObject', 's3:GetObjectVersion',
      's3:ListBucket', 's3:PutObject',
    ]);
  });

  test('grantRead gives no write action', () => {
    const { stack, store: artifactStore } = store();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    artifactStore.grantRead(role);
    const actions = allStatements(Template.fromStack(stack).toJSON())
      .filter(({ type }) => type === 'AWS::IAM::Policy').flatMap(({ statement }) => [].concat(statement.Action));
    expect(actions).toContain('s3:GetObject');
    expect(actions.filter((a: string) => /Put|Encrypt|GenerateDataKey|Abort/.test(a) && a !== 'kms:Decrypt')).toEqual([]);
  });

  test('fromAttributes imports a store whose grants name its bucket and key', () => {
    const stack = toolingStack();
    const imported = ArtifactStore.fromAttributes(stack, 'Imported', {
      bucketName: 'cdkx-main-artifacts-111111111111-us-west-2',
      encryptionKeyArn: 'arn:aws:kms:us-west-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      region: 'us-west-2',
    });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com') });
    imported.grantRead(role);
    expect(imported.region).toBe('us-west-2');
    const json = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(json).toContain('arn:aws:kms:us-west-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(json).toContain(':s3:::cdkx-main-artifacts-111111111111-us-west-2/*');
  });

  test.each(['grantRead', 'grantReadWrite'] as const)('an imported store\'s %s gives an owned store\'s statements, on its own bucket and key', (grant) => {
    const granted = (make: (stack: Stack) => IArtifactStore) => {
      const stack = toolingStack();
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com') });
      make(stack)[grant](role);
      return allStatements(Template.fromStack(stack).toJSON())
        .filter(({ type }) => type === 'AWS::IAM::Policy')
        .map(({ statement }) => ({ actions: [].concat(statement.Action).sort(), resource: statement.Resource }));
    };
    const owned = granted((stack) => new ArtifactStore(stack, 'Store', {
      contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG }),
    }));
    const inPartition = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
    const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const imported = granted((stack) => ArtifactStore.fromAttributes(stack, 'Imported', {
      bucketName: 'cdkx-main-artifacts-111111111111-eu-west-1', encryptionKeyArn: keyArn,
    }));

    expect(imported.map((s) => s.actions)).toEqual(owned.map((s) => s.actions));
    expect(imported.map((s) => s.resource)).toEqual([
      inPartition(':s3:::cdkx-main-artifacts-111111111111-eu-west-1/*'),
      inPartition(':s3:::cdkx-main-artifacts-111111111111-eu-west-1'),
      keyArn,
    ]);
  });
});

describe('ArtifactStore policy size', () => {
  function sizes(contract: DeploymentContract, readerAccounts: string[]) {
    const { stack, store: artifactStore } = store({ contract });
    artifactStore.addReaderAccounts(...readerAccounts);
    return {
      bucket: measured(stack, 'bucket policy of Tooling/Store/Bucket/Policy/Resource').size,
      key: measured(stack, 'key policy of Tooling/Store/Key/Resource').size,
    };
  }

  test('with an organization, key and bucket policies are the same size for 1 and 5,000 targets', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
    const one = sizes(contract, accounts(1));
    const many = sizes(contract, accounts(5_000));
    expect(many).toEqual(one);
    expect(one.bucket).toBeLessThan(PolicyQuota.S3_BUCKET_POLICY / 4);
    expect(one.key).toBeLessThan(PolicyQuota.KMS_KEY_POLICY / 4);
  });

  test('without an organization, each account adds 15 bytes to each policy (at most 20)', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    const ten = sizes(contract, accounts(10));
    const hundredTen = sizes(contract, accounts(110));
    const perAccount = { bucket: (hundredTen.bucket - ten.bucket) / 100, key: (hundredTen.key - ten.key) / 100 };
    expect(perAccount).toEqual({ bucket: 15, key: 15 });
  });

  test('at the edge of the 20 KB bucket policy: the largest account list that fits synthesizes, one more fails', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    const base = sizes(contract, accounts(1)).bucket;
    // One account id more costs 15 bytes (the first ones a few more, as the principal becomes
    // a list): estimate the last count that fits, then step back until it does.
    let largest = 1 + Math.floor((PolicyQuota.S3_BUCKET_POLICY - base) / 15);
    while (sizes(contract, accounts(largest)).bucket > PolicyQuota.S3_BUCKET_POLICY) largest--;
    const synthWith = (count: number) => {
      const app = new App();
      new ArtifactStore(toolingStack(app), 'Store', { contract, readerAccounts: accounts(count) });
      return () => app.synth();
    };
    expect(sizes(contract, accounts(largest)).bucket).toBeLessThanOrEqual(PolicyQuota.S3_BUCKET_POLICY);
    // With the readers named as principals, the handoff, fleet-releases and assets deny and the CodeDeploy instance role, still more than 1,100 accounts (the test finds the exact number).
    expect(largest).toBeGreaterThan(1_100);
    expect(synthWith(largest)).not.toThrow();
    expect(synthWith(largest + 1)).toThrow(/bucket policy of Tooling\/Store\/Bucket\/Policy\/Resource is [\d,]+ characters, over the S3 bucket policy limit of 20,480/);
  });

  test('too many listed accounts fail synth, naming both policies, sizes, limits and the fix', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    const app = new App();
    new ArtifactStore(toolingStack(app), 'Store', { contract, readerAccounts: accounts(2_300) });
    const message = synthErrorOf(() => app.synth());
    expect(message).toMatch(/bucket policy of Tooling\/Store\/Bucket\/Policy\/Resource is [\d,]+ characters, over the S3 bucket policy limit of 20,480/);
    expect(message).toMatch(/key policy of Tooling\/Store\/Key\/Resource is [\d,]+ characters, over the KMS key policy limit of 32,768/);
    expect(message).toContain('Fix: give the DeploymentContract an organizationId');
  });
});

describe('ArtifactStore errors', () => {
  const noOrg = () => new DeploymentContract({ toolingAccount: TOOLING });

  test.each([
    ['12345'],
    ['abc'],
    [''],
  ])('reader account %j is refused with the property, value and fix', (bad) => {
    expect(() => store({ contract: noOrg(), readerAccounts: ['222222222222', bad] })).toThrow(
      `[Tooling/Store] invalid configuration:\n  - readerAccounts[1] = ${JSON.stringify(bad)}: not a 12-digit AWS account id. ` +
      'Fix: use the account id exactly as AWS shows it, 12 digits with leading zeros, no dashes',
    );
  });

  test('a malformed tooling account is refused', () => {
    const contract = new DeploymentContract({ toolingAccount: '1111-2222-3333', organizationId: ORG });
    expect(() => store({ contract })).toThrow(/contract\.toolingAccount = "1111-2222-3333": not a 12-digit AWS account id/);
  });

  test('duplicate accounts are refused, also when added later', () => {
    expect(() => store({ contract: noOrg(), readerAccounts: ['222222222222', '222222222222'] }))
      .toThrow(/readerAccounts\[1\] = "222222222222": duplicate of readerAccounts\[0\]. Fix: list each account once/);
    const { store: artifactStore } = store({ contract: noOrg(), readerAccounts: ['222222222222'] });
    expect(() => artifactStore.addReaderAccounts('222222222222')).toThrow(/duplicate of readerAccounts\[0\]/);
  });

  test.each([['o-short'], ['O-ABCDEFGHIJ'], ['abcdefghij']])('organization id %j is refused', (bad) => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: bad });
    expect(() => store({ contract })).toThrow(new RegExp(`contract\\.organizationId = "${bad}": not an AWS Organizations id`));
  });

  test('an OU path of another organization is refused', () => {
    const contract = new DeploymentContract({
      toolingAccount: TOOLING, organizationId: ORG, organizationalUnitPaths: ['o-zzzzzzzzzz/r-ab12/ou-ab12-11111111/'],
    });
    expect(() => store({ contract })).toThrow(/organizationalUnitPaths\[0\] = .*does not belong to organization 'o-abcdefghij'/);
  });

  test.each([['Main'], ['my_app'], ['-x'], ['a b']])('qualifier %j with illegal characters is refused', (bad) => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, qualifier: bad });
    expect(() => store({ contract })).toThrow(/contract\.qualifier = .*a qualifier may hold only lowercase letters, digits and inner hyphens/);
  });

  test('a qualifier that makes the bucket name too long is refused', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, qualifier: 'a'.repeat(25) });
    expect(() => store({ contract })).toThrow(/contract\.qualifier = "a{25}": makes the artifact bucket name \(in the longest region, ap-southeast-2\) 'cdkx-a{25}-artifacts-123456789012-ap-southeast-2' 68 characters, over the limit of 63. Fix: choose a shorter qualifier/);
  });

  test('a store given no readers fails synth', () => {
    const app = new App();
    new ArtifactStore(toolingStack(app), 'Store', { contract: noOrg() });
    expect(synthErrorOf(() => app.synth())).toContain(
      'readerAccounts = []: the store has no readers, so no target account could read its artifacts. ' +
      'Fix: give the DeploymentContract an organizationId, or pass readerAccounts (or call addReaderAccounts).',
    );
  });

  test('an account list next to an organization is refused', () => {
    expect(() => store({ readerAccounts: ['222222222222'] }))
      .toThrow(/readerAccounts = \["222222222222"\]: with an organization in the contract every member account may already read/);
  });

  test('autoDeleteObjects without DESTROY is refused', () => {
    expect(() => store({ autoDeleteObjects: true }))
      .toThrow(/autoDeleteObjects = true: .*Fix: also set removalPolicy: RemovalPolicy.DESTROY/);
  });

  test('a store deployed outside the contract\'s tooling account is refused', () => {
    const stack = new Stack(new App(), 'Elsewhere', { env: { account: '999999999999', region: 'eu-west-1' } });
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
    expect(() => new ArtifactStore(stack, 'Store', { contract })).toThrow(
      /contract\.toolingAccount = "111111111111": the store's stack deploys to account 999999999999.*Fix: deploy the store in account 111111111111/,
    );
  });

  test('an imported store knows its account from the key ARN and refuses grants to other accounts', () => {
    const tenantStack = new Stack(new App(), 'Tenant', { env: { account: '222222222222', region: 'eu-west-1' } });
    const imported = ArtifactStore.fromAttributes(tenantStack, 'Imported', {
      bucketName: 'cdkx-main-artifacts-111111111111-eu-west-1',
      encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const tenantRole = new iam.Role(tenantStack, 'Role', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    expect(imported.env.account).toBe(TOOLING);
    expect(() => imported.grantRead(tenantRole)).toThrow(/grantee = "222222222222": grantRead and grantReadWrite are for principals of the store's account 111111111111/);
  });

  test('an imported access-log bucket whose policy cannot be changed is flagged', () => {
    const stack = toolingStack();
    const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'central-access-logs');
    new ArtifactStore(stack, 'Store', { contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG }), serverAccessLogsBucket: logs });
    Annotations.fromStack(stack).hasWarning('/Tooling/Store', Match.stringLikeRegexp('serverAccessLogsBucket is imported'));
  });

  test('grantRead to a principal of another account is refused', () => {
    const { store: artifactStore } = store();
    expect(() => artifactStore.grantRead(new iam.AccountPrincipal('222222222222')))
      .toThrow(/grantee = "222222222222": grantRead and grantReadWrite are for principals of the store's account 111111111111/);
  });
});
