import { App, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { synthErrorOf } from './support/synth-error';
import { describeOverQuota, estimateResolvedLength, overQuota, PolicyQuota } from '../src/shared/policy-size';
import { guardPolicySizes, measurePolicies } from '../src/shared/policy-size-guard';

describe('estimateResolvedLength', () => {
  test('plain JSON is measured as AWS does: without white space', () => {
    const doc = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    expect(estimateResolvedLength(doc)).toBe(JSON.stringify(doc).length);
  });

  test('pseudo parameters count at their longest value', () => {
    const join = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] };
    // "arn:" + 10 (aws-us-gov) + ":iam::" + 12 + ":root", inside quotes.
    expect(estimateResolvedLength(join)).toBe(JSON.stringify('arn:' + 'x'.repeat(10) + ':iam::' + 'x'.repeat(12) + ':root').length);
  });

  test('Fn::Sub and GetAtt Arn count at their worst case', () => {
    expect(estimateResolvedLength({ 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' })).toBe('"s3.'.length + 14 + '.amazonaws.com"'.length);
    expect(estimateResolvedLength({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe(160 + 2);
  });

  test('an estimate never undercounts the resolved value of a realistic ARN', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'ap-southeast-2' } });
    const arn = stack.resolve(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/x`);
    expect(estimateResolvedLength(arn)).toBeGreaterThanOrEqual(JSON.stringify('arn:aws:iam::123456789012:role/x').length);
  });
});

/**
 * The guard at the edge of each quota: a policy of exactly the limit passes,
 * one character more fails synth with the resource path, size, limit and fix.
 */
describe('guardPolicySizes at the edge of each quota', () => {
  /** A policy document of exactly `size` characters. */
  function documentOfSize(size: number): Record<string, unknown> {
    const shell = { Version: '2012-10-17', Statement: [{ Sid: '', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };
    const padding = size - JSON.stringify(shell).length;
    shell.Statement[0].Sid = 'A'.repeat(padding);
    expect(JSON.stringify(shell).length).toBe(size);
    return shell;
  }

  type Maker = (scope: Construct, size: number) => void;
  const cases: Array<[string, PolicyQuota, string, Maker]> = [
    ['KMS key policy', PolicyQuota.KMS_KEY_POLICY, 'key policy of S/Guarded/Key',
      (scope, size) => new kms.CfnKey(scope, 'Key', { keyPolicy: documentOfSize(size) })],
    ['S3 bucket policy', PolicyQuota.S3_BUCKET_POLICY, 'bucket policy of S/Guarded/Policy',
      (scope, size) => new s3.CfnBucketPolicy(scope, 'Policy', { bucket: 'b', policyDocument: documentOfSize(size) })],
    ['IAM managed policy', PolicyQuota.IAM_MANAGED_POLICY, 'managed policy of S/Guarded/Managed',
      (scope, size) => new iam.CfnManagedPolicy(scope, 'Managed', { policyDocument: documentOfSize(size) })],
    ['IAM trust policy', PolicyQuota.IAM_TRUST_POLICY, 'trust policy of S/Guarded/Role',
      (scope, size) => new iam.CfnRole(scope, 'Role', { assumeRolePolicyDocument: documentOfSize(size) })],
    ['IAM inline policies of a role (embedded and attached, together)', PolicyQuota.IAM_ROLE_INLINE_POLICIES, 'inline policies of S/Guarded/Role',
      (scope, size) => {
        const role = new iam.CfnRole(scope, 'Role', {
          assumeRolePolicyDocument: documentOfSize(200),
          policies: [{ policyName: 'embedded', policyDocument: documentOfSize(4_000) }],
        });
        new iam.CfnPolicy(scope, 'Attached', { policyName: 'attached', roles: [role.ref], policyDocument: documentOfSize(size - 4_000) });
      }],
  ];

  test.each(cases)('%s', (_name, quota, subject, make) => {
    const build = (size: number) => {
      const app = new App();
      const stack = new Stack(app, 'S');
      const scope = new Construct(stack, 'Guarded');
      make(scope, size);
      guardPolicySizes(scope, { [quota]: 'the fix for this quota' });
      return { app, stack };
    };

    const atLimit = build(quota);
    expect(measurePolicies(atLimit.stack).find((m) => m.subject.startsWith(subject))?.size).toBe(quota);
    expect(() => atLimit.app.synth()).not.toThrow();

    const overLimit = build(quota + 1);
    expect(synthErrorOf(() => overLimit.app.synth())).toContain(
      `[S/Guarded] ${subject}`,
    );
    expect(synthErrorOf(() => build(quota + 1).app.synth())).toMatch(new RegExp(
      `is ${(quota + 1).toLocaleString('en-US')} characters, over the .* of ${quota.toLocaleString('en-US')}.*\\. Fix: the fix for this quota`,
    ));
  });
});

/**
 * Every intrinsic the estimator claims to handle, with the worst case counted by
 * hand: `"` + the longest plausible value + `"`. An estimator that under-counts
 * one of these lets an over-quota policy pass synth and fail at deploy.
 */
describe('estimateResolvedLength of each intrinsic', () => {
  /** Length of a JSON string value of `n` characters: n plus the two quotes. */
  const quoted = (n: number) => n + 2;

  test.each([
    ['AWS::AccountId', 12], // 123456789012
    ['AWS::Region', 14], // ap-southeast-2
    ['AWS::Partition', 10], // aws-us-gov
    ['AWS::URLSuffix', 16], // amazonaws.com.cn
    ['AWS::StackName', 128],
    ['AWS::StackId', 160],
    ['AWS::NoValue', 0],
  ])('Ref %s counts %d characters', (pseudo, length) => {
    expect(estimateResolvedLength({ Ref: pseudo })).toBe(quoted(length));
  });

  test('Ref of a resource, of an unlisted pseudo parameter or of a non-string counts 128', () => {
    expect(estimateResolvedLength({ Ref: 'MyBucket' })).toBe(quoted(128));
    expect(estimateResolvedLength({ Ref: 'AWS::NotificationARNs' })).toBe(quoted(128));
    expect(estimateResolvedLength({ Ref: ['MyBucket'] })).toBe(quoted(128));
    // Not a pseudo parameter either when its name comes in a list.
    expect(estimateResolvedLength({ Ref: ['AWS::Region'] })).toBe(quoted(128));
  });

  test('Fn::GetAtt of an ARN attribute counts 160, of any other attribute 128, in both forms', () => {
    expect(estimateResolvedLength({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe(quoted(160));
    expect(estimateResolvedLength({ 'Fn::GetAtt': 'Key.Arn' })).toBe(quoted(160));
    expect(estimateResolvedLength({ 'Fn::GetAtt': ['Table', 'StreamArn'] })).toBe(quoted(160));
    expect(estimateResolvedLength({ 'Fn::GetAtt': 'Topic.TopicArn' })).toBe(quoted(160));
    expect(estimateResolvedLength({ 'Fn::GetAtt': ['Bucket', 'DomainName'] })).toBe(quoted(128));
    expect(estimateResolvedLength({ 'Fn::GetAtt': 'Bucket.DomainName' })).toBe(quoted(128));
    // The attribute is everything after the first dot: `Endpoint.Address`, not an ARN.
    expect(estimateResolvedLength({ 'Fn::GetAtt': 'Db.Endpoint.Address' })).toBe(quoted(128));
    expect(estimateResolvedLength({ 'Fn::GetAtt': 'Cluster.Endpoint.Arn' })).toBe(quoted(160));
    // A resource whose logical id ends in "Arn" does not make its other attributes ARNs.
    expect(estimateResolvedLength({ 'Fn::GetAtt': 'KeyArn.Name' })).toBe(quoted(128));
    expect(estimateResolvedLength({ 'Fn::GetAtt': ['KeyArn', 'Name'] })).toBe(quoted(128));
  });

  test('Fn::Join adds its parts and one separator between each two', () => {
    // "a" + "::" + "bc" + "::" + "d" = 1 + 2 + 2 + 2 + 1.
    expect(estimateResolvedLength({ 'Fn::Join': ['::', ['a', 'bc', 'd']] })).toBe(quoted(8));
    // "arn:" + aws-us-gov + ":s3:::" + a bucket Ref.
    expect(estimateResolvedLength({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'B' }]] }))
      .toBe(quoted(4 + 10 + 6 + 128));
    // One part: no separator; no parts: the empty string.
    expect(estimateResolvedLength({ 'Fn::Join': ['--', ['abc']] })).toBe(quoted(3));
    expect(estimateResolvedLength({ 'Fn::Join': ['--', []] })).toBe(quoted(0));
  });

  test('Fn::Join counts a part as its resolved text: escapes as JSON writes them, numbers by their digits', () => {
    // a"b is written a\"b inside the policy: 4 characters.
    expect(estimateResolvedLength({ 'Fn::Join': ['', ['a"b']] })).toBe(JSON.stringify('a"b').length);
    expect(estimateResolvedLength({ 'Fn::Join': ['', ['port-', 8080]] })).toBe(quoted(5 + 4));
    expect(estimateResolvedLength({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Key', 'Arn'] }, '/*']] })).toBe(quoted(160 + 2));
  });

  test('Fn::Join over a list that is itself unresolved counts 128', () => {
    expect(estimateResolvedLength({ 'Fn::Join': [',', { Ref: 'Subnets' }] })).toBe(quoted(128));
  });

  test('Fn::Sub replaces each variable by its longest value, in the string and the list form', () => {
    // "s3." + ap-southeast-2 + ".amazonaws.com"
    expect(estimateResolvedLength({ 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' })).toBe(quoted(3 + 14 + 14));
    expect(estimateResolvedLength({ 'Fn::Sub': ['${AWS::AccountId}:${Bucket}', {}] })).toBe(quoted(12 + 1 + 128));
    expect(estimateResolvedLength({ 'Fn::Sub': 'no variables' })).toBe(quoted(12));
    // A quote in the template is written \" in the policy: 2 characters.
    expect(estimateResolvedLength({ 'Fn::Sub': 'a"${AWS::AccountId}' })).toBe(quoted(1 + 2 + 12));
  });

  test('Fn::Sub counts ${X.Arn} as an ARN, like Fn::GetAtt X.Arn', () => {
    expect(estimateResolvedLength({ 'Fn::Sub': '${Key.Arn}' })).toBe(quoted(160));
    expect(estimateResolvedLength({ 'Fn::Sub': '${Key.Arn}/*' })).toBe(quoted(162));
    expect(estimateResolvedLength({ 'Fn::Sub': '${Bucket.DomainName}' })).toBe(quoted(128));
  });

  test('Fn::Sub counts a variable of its own map at the length of its value', () => {
    const long = 'a'.repeat(300);
    expect(estimateResolvedLength({ 'Fn::Sub': ['arn:${Long}', { Long: long }] })).toBe(quoted(4 + 300));
    expect(estimateResolvedLength({ 'Fn::Sub': ['${Name}-x', { Name: 'ab' }] })).toBe(quoted(2 + 2));
    expect(estimateResolvedLength({ 'Fn::Sub': ['${Arn}', { Arn: { 'Fn::GetAtt': ['Key', 'Arn'] } }] })).toBe(quoted(160));
    // Variables the map does not name are references or pseudo parameters as usual.
    expect(estimateResolvedLength({ 'Fn::Sub': ['${AWS::Region}${Other}', { Name: 'ab' }] })).toBe(quoted(14 + 128));
  });

  test('Fn::ImportValue counts as an ARN: what a policy imports is an ARN', () => {
    expect(estimateResolvedLength({ 'Fn::ImportValue': 'shared-KeyArn' })).toBe(quoted(160));
  });

  test('Fn::Select counts the longest item of a literal list, 128 of an unresolved one', () => {
    expect(estimateResolvedLength({ 'Fn::Select': [1, ['a'.repeat(200), 'b']] })).toBe(quoted(200));
    expect(estimateResolvedLength({ 'Fn::Select': [0, ['ab', { 'Fn::GetAtt': ['Key', 'Arn'] }]] })).toBe(quoted(160));
    expect(estimateResolvedLength({ 'Fn::Select': [0, { 'Fn::Split': [':', { Ref: 'Arn' }] }] })).toBe(quoted(128));
    expect(estimateResolvedLength({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] })).toBe(quoted(128));
  });

  test('Fn::If counts its longer branch, so a conditional statement is measured whole', () => {
    const statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::' + 'b'.repeat(200) + '/*' };
    const conditional = { 'Fn::If': ['IsProd', statement, { Ref: 'AWS::NoValue' }] };
    // The statement's own JSON, counted as a string: never less than the statement.
    expect(estimateResolvedLength(conditional)).toBe(quoted(JSON.stringify(statement).length));
    expect(estimateResolvedLength(conditional)).toBeGreaterThanOrEqual(JSON.stringify(statement).length);
    expect(estimateResolvedLength({ 'Fn::If': ['C', 'short', 'a'.repeat(300)] })).toBe(quoted(300));
    expect(estimateResolvedLength({ 'Fn::If': ['C', 'short', { Ref: 'B' }] })).toBe(quoted(128));
    // The condition's name is not part of the value.
    expect(estimateResolvedLength({ 'Fn::If': ['AVeryLongConditionName', 'ab', 'c'] })).toBe(quoted(2));
  });

  test('Fn::Base64 counts the Base64 text of its longest value: 4 characters per 3', () => {
    // abcd: 4 characters, Base64 "YWJjZA==" is 8.
    expect(estimateResolvedLength({ 'Fn::Base64': 'abcd' })).toBe(quoted(Buffer.from('abcd').toString('base64').length));
    expect(estimateResolvedLength({ 'Fn::Base64': 'abcd' })).toBe(quoted(8));
    // An unresolved reference (128): 4 * ceil(128 / 3) = 172.
    expect(estimateResolvedLength({ 'Fn::Base64': { Ref: 'B' } })).toBe(quoted(172));
  });

  test('Fn::FindInMap counts 128', () => {
    expect(estimateResolvedLength({ 'Fn::FindInMap': ['Map', 'Key', 'Value'] })).toBe(quoted(128));
  });

  test('intrinsics are found at any depth, and an object of more than one key is not an intrinsic', () => {
    const doc = { Statement: [{ Resource: [{ Ref: 'AWS::AccountId' }, null, 3, true] }] };
    expect(estimateResolvedLength(doc)).toBe(JSON.stringify({ Statement: [{ Resource: ['x'.repeat(12), null, 3, true] }] }).length);
    const notIntrinsic = { Ref: 'AWS::AccountId', Other: 'x' };
    expect(estimateResolvedLength(notIntrinsic)).toBe(JSON.stringify(notIntrinsic).length);
    expect(estimateResolvedLength({ Unknown: { Ref: 'AWS::Region' } })).toBe(JSON.stringify({ Unknown: 'x'.repeat(14) }).length);
  });
});

describe('overQuota and describeOverQuota', () => {
  const at = (quota: PolicyQuota, size: number) => ({ subject: 'S/Thing', quota, size });

  test('a policy of exactly its quota is within it; one more is over', () => {
    const within = at(PolicyQuota.IAM_TRUST_POLICY, 2_048);
    const over = at(PolicyQuota.IAM_TRUST_POLICY, 2_049);
    const count = at(PolicyQuota.MANAGED_POLICIES_PER_ROLE, 11);
    expect(overQuota([within, over, at(PolicyQuota.MANAGED_POLICIES_PER_ROLE, 10), count])).toEqual([over, count]);
  });

  test.each([
    [PolicyQuota.KMS_KEY_POLICY, 'S/Thing is 32,769 characters, over the KMS key policy limit of 32,768'],
    [PolicyQuota.S3_BUCKET_POLICY, 'S/Thing is 20,481 characters, over the S3 bucket policy limit of 20,480'],
    [PolicyQuota.IAM_ROLE_INLINE_POLICIES, 'S/Thing is 10,241 characters, over the IAM limit for all inline policies of one role of 10,240'],
    [PolicyQuota.IAM_MANAGED_POLICY, 'S/Thing is 6,145 characters, over the IAM managed policy limit of 6,144'],
    [PolicyQuota.IAM_TRUST_POLICY, 'S/Thing is 2,049 characters, over the IAM role trust policy limit (default; raisable to 4,096) of 2,048'],
    [PolicyQuota.MANAGED_POLICIES_PER_ROLE,
      'S/Thing is 11 policies, over the IAM limit of managed policies attached to one role (default; raisable to 20) of 10'],
  ])('quota %d one over', (quota, message) => {
    expect(describeOverQuota(at(quota, quota + 1))).toBe(message);
  });
});
