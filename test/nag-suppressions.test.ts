/**
 * The library's nag suppressions are honoured by both cdk-nag majors: cdk-nag 2
 * reads the `cdk_nag` CloudFormation metadata (patterns allowed), cdk-nag 3 reads
 * aws-cdk-lib acknowledgments of exact findings (`aws:cdk:acknowledged-rules`).
 * Runs on any aws-cdk-lib line; the cdk-nag 3 run itself is test/cdk-nag-3.test.ts.
 */
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  addNagSuppressions, ANY_PARTITION, anyPartition, suppressLambdaBasicExecution, suppressOnDefaultPolicy,
} from '../src/shared/nag-suppressions';

const ACKNOWLEDGED_RULES = 'aws:cdk:acknowledged-rules';

/** The rule ids acknowledged on a construct (the `Annotation::` namespace stripped, as cdk-nag 3 does). */
function acknowledged(construct: IConstruct): Record<string, string> {
  const entries = construct.node.metadata.filter((m) => m.type === ACKNOWLEDGED_RULES);
  return Object.fromEntries(entries.flatMap((m) => Object.entries(m.data as Record<string, string>))
    .map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason]));
}

function policyResource(role: iam.Role): CfnResource {
  return role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
}

/** A role whose grants give cdk-nag IAM5 findings with a generated logical id and an ARN with a partition. */
function roleWithWildcards(stack: Stack): { role: iam.Role; bucket: s3.Bucket } {
  const bucket = new s3.Bucket(stack, 'Data');
  const role = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('jobs/*')] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:StopTask'], resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: 'jobs/*' })] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] }));
  return { role, bucket };
}

describe('addNagSuppressions', () => {
  test('writes the cdk_nag metadata cdk-nag 2 reads, patterns included, appending to earlier calls', () => {
    const stack = new Stack(new App(), 'S');
    const { role } = roleWithWildcards(stack);
    suppressOnDefaultPolicy(role, [{ id: 'AwsSolutions-IAM4', reason: 'a first test reason' }]);
    suppressOnDefaultPolicy(role, [{ id: 'AwsSolutions-IAM5', reason: 'a second test reason', appliesTo: ['Resource::*', { regex: '/^x$/' }] }]);

    expect(policyResource(role).getMetadata('cdk_nag')).toEqual({
      rules_to_suppress: [
        { id: 'AwsSolutions-IAM4', reason: 'a first test reason' },
        { id: 'AwsSolutions-IAM5', reason: 'a second test reason', applies_to: ['Resource::*', { regex: '/^x$/' }] },
      ],
    });
  });

  test('acknowledges rules and exact findings for cdk-nag 3 right away', () => {
    const stack = new Stack(new App(), 'S');
    const bucket = new s3.Bucket(stack, 'B');
    addNagSuppressions(bucket, [
      { id: 'AwsSolutions-S1', reason: 'the log bucket of another bucket' },
      { id: 'AwsSolutions-IAM5', reason: 'only for the test of exact findings', appliesTo: ['Resource::*'] },
    ]);

    expect(acknowledged(bucket.node.defaultChild!)).toEqual({
      'AwsSolutions-S1': 'the log bucket of another bucket',
      'AwsSolutions-IAM5[Resource::*]': 'only for the test of exact findings',
    });
  });

  test('acknowledges, once the app is synthesized, exactly the findings a pattern matches', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const { role, bucket } = roleWithWildcards(stack);
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as CfnResource);
    suppressOnDefaultPolicy(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'job objects are created at run time',
      appliesTo: [{ regex: '/^Resource::<.*Data.*\\.Arn>\\/jobs\\/\\*$/' }],
    }]);
    app.synth();

    // The X-Ray and ECS findings match no pattern and stay unacknowledged.
    expect(acknowledged(policyResource(role))).toEqual({
      [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/jobs/*]`]: 'job objects are created at run time',
    });
  });

  test('its findings are the ones cdk-nag reports, in the same format', () => {
    // Acknowledge every finding, then compare with what cdk-nag 2 reports without suppressions.
    const findingsOf = (suppress: boolean): string[] => {
      const app = new App();
      const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
      const { role } = roleWithWildcards(stack);
      const lambdaRole = new iam.Role(stack, 'FunctionRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
      });
      if (suppress) {
        suppressOnDefaultPolicy(role, [{ id: 'AwsSolutions-IAM5', reason: 'every finding, for the test', appliesTo: [{ regex: '/.*/' }] }]);
        addNagSuppressions(lambdaRole, [{ id: 'AwsSolutions-IAM4', reason: 'every finding, for the test', appliesTo: [{ regex: '/.*/' }] }]);
        app.synth();
        return [
          ...Object.keys(acknowledged(policyResource(role))),
          ...Object.keys(acknowledged(lambdaRole.node.defaultChild!)),
        ].sort();
      }
      Aspects.of(stack).add(new AwsSolutionsChecks());
      return app.synth().getStackByName('S').messages
        .map((m) => /^(AwsSolutions-IAM[45]\[.*\]): /.exec(String(m.entry.data))?.[1])
        .filter((id): id is string => id !== undefined)
        .sort();
    };

    const reported = findingsOf(false);
    expect(reported.length).toBeGreaterThanOrEqual(4);
    expect(findingsOf(true)).toEqual(reported);
  });

  test('patterns are refused on resources whose findings it cannot work out', () => {
    const stack = new Stack(new App(), 'S');
    const bucket = new s3.Bucket(stack, 'B');
    expect(() => addNagSuppressions(bucket, [{ id: 'AwsSolutions-S1', reason: 'a test reason here', appliesTo: [{ regex: '/^x$/' }] }]))
      .toThrow(/S\/B\/Resource is a AWS::S3::Bucket; finding patterns are supported on IAM policies/);
    // Nothing half-written.
    expect((bucket.node.defaultChild as CfnResource).getMetadata('cdk_nag')).toBeUndefined();
    expect(acknowledged(bucket.node.defaultChild!)).toEqual({});
  });

  test('a construct without a CloudFormation resource is refused', () => {
    const stack = new Stack(new App(), 'S');
    const role = iam.Role.fromRoleName(stack, 'Imported', 'someone');
    expect(() => addNagSuppressions(role, [{ id: 'AwsSolutions-IAM5', reason: 'a test reason here' }]))
      .toThrow('addNagSuppressions: S/Imported has no CloudFormation resource to annotate');
  });
});

describe('suppressOnDefaultPolicy', () => {
  test("annotates the role's generated policy, which holds the findings", () => {
    const stack = new Stack(new App(), 'S');
    const { role } = roleWithWildcards(stack);
    suppressOnDefaultPolicy(role, [{ id: 'AwsSolutions-IAM5', reason: 'a test reason here', appliesTo: ['Resource::*'] }]);
    expect(policyResource(role).getMetadata('cdk_nag')).toEqual({
      rules_to_suppress: [{ id: 'AwsSolutions-IAM5', reason: 'a test reason here', applies_to: ['Resource::*'] }],
    });
    expect((role.node.defaultChild as CfnResource).getMetadata('cdk_nag')).toBeUndefined();
  });

  test('does nothing for a role without grants, or no role', () => {
    const stack = new Stack(new App(), 'S');
    const role = new iam.Role(stack, 'Idle', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(() => suppressOnDefaultPolicy(role, [{ id: 'AwsSolutions-IAM5', reason: 'a test reason here' }])).not.toThrow();
    expect(() => suppressOnDefaultPolicy(undefined, [{ id: 'AwsSolutions-IAM5', reason: 'a test reason here' }])).not.toThrow();
    expect(role.node.tryFindChild('DefaultPolicy')).toBeUndefined();
  });
});

describe('partition-agnostic findings', () => {
  const regexOf = (p: { regex: string }) => new RegExp(/^\/(.*)\/$/.exec(p.regex)![1]);

  test.each([
    ['Resource::arn:<AWS::Partition>:kms:*:111111111111:key/*', true],
    ['Resource::arn:aws:kms:*:111111111111:key/*', true],
    ['Resource::arn:aws-cn:kms:*:111111111111:key/*', true],
    ['Resource::arn:aws-us-gov:kms:*:111111111111:key/*', true],
    // Everything but the partition is literal: '*' is no wildcard, the account must match.
    ['Resource::arn:aws:kms:eu-west-1:111111111111:key/*', false],
    ['Resource::arn:aws:kms:*:222222222222:key/*', false],
    ['Resource::arn:<AWS::Partition>:kms:*:111111111111:key/abc', false],
    ['Resource::arn:example:kms:*:111111111111:key/*', false],
  ])('anyPartition matches %s: %s', (finding, matches) => {
    expect(regexOf(anyPartition('Resource::arn:<AWS::Partition>:kms:*:111111111111:key/*')).test(finding)).toBe(matches);
  });

  test('ANY_PARTITION is the same alternative, for hand-written patterns', () => {
    const pattern = new RegExp(`^arn:${ANY_PARTITION}:ecs:`);
    expect(['arn:<AWS::Partition>:ecs:', 'arn:aws:ecs:', 'arn:aws-iso-b:ecs:'].every((s) => pattern.test(s))).toBe(true);
    expect(pattern.test('arn:<AWS::Region>:ecs:')).toBe(false);
  });

  test("the Lambda basic execution suppression matches the managed policy's finding on this aws-cdk-lib line", () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    suppressLambdaBasicExecution(role);
    app.synth();
    expect(Object.keys(acknowledged(role.node.defaultChild!))).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM4\[Policy::arn:(<AWS::Partition>|aws):iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole\]$/),
    ]);
  });
});
