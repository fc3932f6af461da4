import { App, Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { synthError } from './support/policy-inspection';
import { estimateResolvedLength, PolicyQuota } from '../src/shared/policy-size';
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
    expect(synthError(overLimit.app)).toContain(
      `[S/Guarded] ${subject}`,
    );
    expect(synthError(build(quota + 1).app)).toMatch(new RegExp(
      `is ${(quota + 1).toLocaleString('en-US')} characters, over the .* of ${quota.toLocaleString('en-US')}.*\\. Fix: the fix for this quota`,
    ));
  });
});
