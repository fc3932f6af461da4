/**
 * FargateSpotRunner's answers to the security review (issue 11, defect 9):
 * encrypted log groups, service-principal trusts narrowed to this account, a
 * pinnable CircleCI trust, and an integ VPC whose public subnets do not hand
 * out public IPs.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { allStatements } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';
import { buildFargateSpotRunnerIntegApp } from '../integ/integ.fargate-spot-runner';
import { CircleCiOidcTrust } from '../src/fargate-spot-runner/circleci-oidc-trust';
import { FargateSpotRunner } from '../src/fargate-spot-runner/fargate-spot-runner';
import { CheckpointEncryption, FargateSpotRunnerProps } from '../src/fargate-spot-runner/fargate-spot-runner-props';

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const image = () => ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/alpine:3');

function runner(props: Partial<FargateSpotRunnerProps> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const r = new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), ...props });
  return { app, stack, vpc, runner: r, template: () => Template.fromStack(stack) };
}

/** What the commercial partition's pseudo parameters resolve to. */
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };

/**
 * `value` with `Fn::Join`s of literals, the partition and the URL suffix
 * rendered as strings (`arn:aws:...`): aws-cdk-lib lines differ in whether
 * they render a known stack's partition as a literal or as a reference.
 */
function literal(value: any): any {
  if (Array.isArray(value)) return value.map(literal);
  if (value === null || typeof value !== 'object') return value;
  const join = value['Fn::Join'];
  if (join && join[0] === '' && join[1].every((p: any) => typeof p === 'string' || PSEUDO[p?.Ref])) {
    return join[1].map((p: any) => (typeof p === 'string' ? p : PSEUDO[p.Ref])).join('');
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literal(v)]));
}

/** Logical id of a construct's CloudFormation resource. */
function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

describe('log groups are encrypted with a customer-managed key', () => {
  const { stack, runner: r, template } = runner({ schedule: events.Schedule.cron({ hour: '3', minute: '0' }) });
  const json = template().toJSON();
  const keyId = logicalId(stack, r.checkpointEncryptionKey as any);
  const logGroups = Object.entries<any>(json.Resources).filter(([, res]) => res.Type === 'AWS::Logs::LogGroup');

  test('the job and state machine log groups use the checkpoint key by default', () => {
    expect(logGroups).toHaveLength(2);
    for (const [, group] of logGroups) {
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    }
  });

  test('the key policy lets CloudWatch Logs of this region use the key for these two log groups only, without wildcard actions', () => {
    const statements = literal(json.Resources[keyId].Properties.KeyPolicy.Statement) as any[];
    const forLogs = statements.filter((s) => JSON.stringify(s.Principal).includes('logs.'));
    expect(forLogs).toEqual([{
      Sid: `CloudWatchLogsEncryptsLogsOf${r.node.addr.slice(0, 10)}`,
      Effect: 'Allow',
      Principal: { Service: `logs.${REGION}.amazonaws.com` },
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'],
      Resource: '*',
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': logGroups.map(([, g]) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${g.Properties.LogGroupName}`),
        },
      },
    }]);
  });

  test('each log group has a fixed name, so the key policy names it without a reference back to the log group (no cycle)', () => {
    const names = logGroups.map(([, g]) => g.Properties.LogGroupName);
    expect(names).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/aws\/vendedlogs\/states\/Jobs-[0-9a-f]{42}$/),
      expect.stringMatching(/^\/cdk-cross-account-cicd\/fargate-spot-runner\/Jobs-[0-9a-f]{42}$/),
    ]));
    // The log group references the key (it is created after the key and its policy), never the other way round.
    expect(JSON.stringify(json.Resources[keyId])).not.toContain('LogGroup');
  });
});

describe('service principals may assume the runner roles only for this account', () => {
  const { template } = runner({ schedule: events.Schedule.cron({ hour: '3', minute: '0' }) });
  const trusts = allStatements(template().toJSON())
    .filter((s) => s.type === 'AWS::IAM::Role' && s.statement.Principal?.Service);
  const trustOf = (service: string) => trusts.filter((s) => s.statement.Principal.Service === service);

  test('Step Functions: only state machines of this account and region (aws:SourceAccount, aws:SourceArn)', () => {
    expect(trustOf('states.amazonaws.com').map((s) => literal(s.statement.Condition))).toEqual([{
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:*` },
    }]);
  });

  test('EventBridge (the schedule): only rules of this account and region', () => {
    expect(trustOf('events.amazonaws.com').map((s) => literal(s.statement.Condition))).toEqual([{
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/*` },
    }]);
  });

  test('every service trust names the source account, except the ECS task execution role (ECS documents the keys for the task role only)', () => {
    const unconditioned = trusts.filter((s) => !s.statement.Condition?.StringEquals?.['aws:SourceAccount']);
    expect(unconditioned.map((s) => [s.resource.replace(/[0-9A-F]{8}$/, ''), s.statement.Principal.Service]))
      .toEqual([['RunnerTaskDefinitionExecutionRole', 'ecs-tasks.amazonaws.com']]);
  });
});

describe('networking: public subnets do not hand out public IPs', () => {
  test('the integ VPC\'s public subnets (NAT gateway only) do not map public IPs on launch', () => {
    const { stacks } = buildFargateSpotRunnerIntegApp();
    const subnets = Template.fromStack(stacks[0]).findResources('AWS::EC2::Subnet');
    expect(Object.keys(subnets)).toHaveLength(4);
    for (const subnet of Object.values<any>(subnets)) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
  });

  test('with assignPublicIp the task asks for its public IP itself (awsvpc), so subnets without mapPublicIpOnLaunch still serve it', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false }],
    });
    new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), assignPublicIp: true });
    const template = Template.fromStack(stack);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"AssignPublicIp\\":\\"ENABLED\\"');
    expect(definition).toContain('VpcPublicSubnet1');
  });
});

test('every log group of the integ app (the runner\'s and the VPC flow logs) has a customer managed key', () => {
  const { stacks } = buildFargateSpotRunnerIntegApp();
  const groups = Template.fromStack(stacks[0]).findResources('AWS::Logs::LogGroup');
  expect(Object.keys(groups)).toHaveLength(3);
  for (const group of Object.values<any>(groups)) {
    expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Key/), 'Arn'] });
  }
});

describe('logEncryptionKey: the user\'s own key', () => {
  test('encrypts both log groups and gets the CloudWatch Logs statement, even with S3-managed checkpoints', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    const r = new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), checkpointEncryption: CheckpointEncryption.S3_MANAGED, logEncryptionKey: key });
    const json = Template.fromStack(stack).toJSON();
    expect(r.logEncryptionKey).toBe(key);
    const groups = Object.values<any>(json.Resources).filter((res) => res.Type === 'AWS::Logs::LogGroup');
    expect(groups.map((g) => g.Properties.KmsKeyId)).toEqual([{ 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] }, { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] }]);
    const statement = literal(json.Resources[logicalId(stack, key)].Properties.KeyPolicy.Statement).find((st: any) => st.Sid?.startsWith('CloudWatchLogsEncryptsLogsOf'));
    expect(statement.Principal).toEqual({ Service: `logs.${REGION}.amazonaws.com` });
  });

  test('two runners sharing a key each add their own statement, with distinct Sids', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
    new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), checkpointEncryptionKey: key });
    new FargateSpotRunner(stack, 'OtherRunner', { vpc, image: image(), checkpointEncryptionKey: key });
    const statements = Template.fromStack(stack).toJSON().Resources[logicalId(stack, key)].Properties.KeyPolicy.Statement as any[];
    const sids = statements.filter((st) => st.Sid?.startsWith('CloudWatchLogsEncryptsLogsOf')).map((st) => st.Sid);
    expect(sids).toHaveLength(2);
    expect(new Set(sids).size).toBe(2);
  });

  test('S3-managed checkpoints without logEncryptionKey: no key is created; the logs keep CloudWatch Logs\' own encryption', () => {
    const { template } = runner({ checkpointEncryption: CheckpointEncryption.S3_MANAGED });
    template().resourceCountIs('AWS::KMS::Key', 0);
    template().allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent() });
  });

  test('an imported key is used as given, with a warning naming the statement its policy needs', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const key = kms.Key.fromKeyArn(stack, 'Imported', `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000009`);
    const r = new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), logEncryptionKey: key });
    expect(r.logEncryptionKey).toBe(key);
    const warnings = Annotations.fromStack(stack).findWarning('/Jobs/Runner', Match.stringLikeRegexp('logEncryptionKey Jobs/Imported is imported'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].entry.data).toMatch(new RegExp(`^logEncryptionKey Jobs/Imported is imported: its key policy must allow logs\\.${REGION}\\.amazonaws\\.com `
      + 'for the log groups /cdk-cross-account-cicd/fargate-spot-runner/Jobs-[0-9a-f]{42}, /aws/vendedlogs/states/Jobs-[0-9a-f]{42} '
      + '\\(condition kms:EncryptionContext:aws:logs:arn, statement CloudWatchLogsEncryptsLogsOf[0-9a-f]{10}\\), or the log groups fail to deploy\\. '
      + '\\[ack: cdk-cross-account-cicd:logEncryptionKeyPolicyNotAdded\\]$'));
  });
});

describe('log key errors name the construct path, property, value and fix', () => {
  const header = '[Jobs/Runner] invalid configuration:\n  - ';

  test('an imported checkpoint key, which would become the log key by default', () => {
    const message = synthErrorOf(() => {
      const app = new App();
      const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const key = kms.Key.fromKeyArn(stack, 'Imported', `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000009`);
      new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), checkpointEncryptionKey: key });
    });
    expect(message).toMatch(new RegExp(`^${escape(header)}checkpointEncryptionKey = "Jobs/Imported": the runner encrypts its log groups with the checkpoint key by default, `
      + 'but this key is imported, so the runner cannot add the key policy statement CloudWatch Logs needs\\. '
      + `Fix: pass the key as logEncryptionKey too once its policy allows logs\\.${REGION}\\.amazonaws\\.com for the log groups `
      + '/cdk-cross-account-cicd/fargate-spot-runner/Jobs-[0-9a-f]{42}, /aws/vendedlogs/states/Jobs-[0-9a-f]{42} '
      + '\\(condition kms:EncryptionContext:aws:logs:arn, statement CloudWatchLogsEncryptsLogsOf[0-9a-f]{10}\\), '
      + 'or give another key as logEncryptionKey, or drop checkpointEncryptionKey so the runner creates the key$'));
  });

  test('a key of another region', () => {
    const app = new App();
    const other = new Stack(app, 'Keys', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const key = new kms.Key(other, 'LogKey', { enableKeyRotation: true });
    const message = synthErrorOf(() => {
      const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      new FargateSpotRunner(stack, 'Runner', { vpc, image: image(), logEncryptionKey: key });
    });
    expect(message).toBe(`${header}logEncryptionKey = "Keys/LogKey (eu-west-1)": CloudWatch Logs encrypts a log group only with a key of its own region, ${REGION}. `
      + `Fix: give a key of ${REGION}, or drop logEncryptionKey`);
  });
});

/** IAM's StringLike: `*` any run of characters, `?` exactly one, case-sensitive, whole string. */
function stringLike(pattern: string, value: string): boolean {
  const regex = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('');
  return new RegExp(`^${regex}$`, 's').test(value);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('CircleCI trust: pinned to the repository and refs on request', () => {
  const org = '0a1b2c3d-0000-4000-8000-000000000001';
  const project = '0a1b2c3d-0000-4000-8000-000000000002';
  const user = '0a1b2c3d-0000-4000-8000-0000000000ff';
  const issuer = `oidc.circleci.com/org/${org}`;
  const v2 = (origin: string, ref: string, p = project) => `org/${org}/project/${p}/user/${user}/vcs-origin/${origin}/vcs-ref/${ref}`;

  function trust(circleCi: Partial<CircleCiOidcTrust>) {
    const { stack, runner: r } = runner({ circleCi: { organizationId: org, projectId: project, ...circleCi } });
    const role = Template.fromStack(stack).toJSON().Resources[logicalId(stack, r.circleCiRole as iam.Role)];
    const [statement] = role.Properties.AssumeRolePolicyDocument.Statement;
    const admits = (sub: string) => statement.Condition.StringEquals[`${issuer}:aud`] === org
      && ([] as string[]).concat(statement.Condition.StringLike[`${issuer}:sub`]).some((p) => stringLike(p, sub));
    return { statement, admits, role };
  }

  test('vcsOrigin and vcsRefs pin the subject of $CIRCLE_OIDC_TOKEN_V2: one pattern per ref, the user id by its UUID shape', () => {
    const { statement } = trust({ vcsOrigin: 'github.com/acme/shop', vcsRefs: ['refs/heads/main', 'refs/tags/v*'] });
    const userId = '????????-????-????-????-????????????';
    expect(statement.Condition).toEqual({
      StringEquals: { [`${issuer}:aud`]: org },
      StringLike: {
        [`${issuer}:sub`]: [
          `org/${org}/project/${project}/user/${userId}/vcs-origin/github.com/acme/shop/vcs-ref/refs/heads/main`,
          `org/${org}/project/${project}/user/${userId}/vcs-origin/github.com/acme/shop/vcs-ref/refs/tags/v*`,
        ],
      },
    });
  });

  test('the pinned trust admits main and release tags of the repository, and nothing else (StringLike semantics)', () => {
    const { admits } = trust({ vcsOrigin: 'github.com/acme/shop', vcsRefs: ['refs/heads/main', 'refs/tags/v*'] });
    expect(admits(v2('github.com/acme/shop', 'refs/heads/main'))).toBe(true);
    expect(admits(v2('github.com/acme/shop', 'refs/tags/v1.2.0'))).toBe(true);
    expect(admits(v2('github.com/acme/shop', 'refs/heads/feature'))).toBe(false);
    expect(admits(v2('github.com/mallory/shop', 'refs/heads/main'))).toBe(false); // a fork's build
    expect(admits(v2('github.com/acme/shop', 'refs/heads/main', '0a1b2c3d-0000-4000-8000-000000000003'))).toBe(false); // another project
    expect(admits(`org/${org}/project/${project}/user/${user}`)).toBe(false); // $CIRCLE_OIDC_TOKEN (v1) has no ref to check
    // A branch named to look like the pinned tail cannot slide the user id over it: the id is matched by its length.
    const injected = v2('github.com/acme/shop', 'refs/heads/x/vcs-origin/github.com/acme/shop/vcs-ref/refs/heads/main');
    expect(admits(injected)).toBe(false);
    // (control: with the user id left open as '*', that branch would have been admitted)
    expect(stringLike(`org/${org}/project/${project}/user/*/vcs-origin/github.com/acme/shop/vcs-ref/refs/heads/main`, injected)).toBe(true);
  });

  test('vcsOrigin alone keeps forks out and admits every ref of the repository', () => {
    const { admits } = trust({ vcsOrigin: 'github.com/acme/shop' });
    expect(admits(v2('github.com/acme/shop', 'refs/heads/feature'))).toBe(true);
    expect(admits(v2('github.com/mallory/shop', 'refs/heads/main'))).toBe(false);
  });

  test('without pins every user and ref of the project is admitted, as documented', () => {
    const { admits, role } = trust({});
    expect(admits(v2('github.com/mallory/shop', 'refs/heads/anything'))).toBe(true);
    expect(admits(`org/${org}/project/${project}/user/${user}`)).toBe(true);
    expect(role.Properties.Description).toBe(`Lets CircleCI jobs of project ${project} (every user and ref) start and watch the runner's jobs`);
  });

  test('the role description names the pins', () => {
    const { role } = trust({ vcsOrigin: 'github.com/acme/shop', vcsRefs: ['refs/heads/main'] });
    expect(role.Properties.Description).toBe(`Lets CircleCI jobs of project ${project} (github.com/acme/shop, refs/heads/main) start and watch the runner's jobs`);
  });
});

describe('CircleCI pin errors name the construct path, property, value and fix', () => {
  const header = '[Jobs/Runner] invalid configuration:\n  - ';
  const ids = { organizationId: '0a1b2c3d-0000-4000-8000-000000000001', projectId: '0a1b2c3d-0000-4000-8000-000000000002' };

  test('refs without the repository', () => {
    expect(synthErrorOf(() => runner({ circleCi: { ...ids, vcsRefs: ['refs/heads/main'] } }))).toBe(
      `${header}circleCi.vcsRefs = ["refs/heads/main"]: pinning refs needs the repository too: the subject's origin would be a pattern a branch name could fill. `
      + "Fix: also give vcsOrigin, e.g. 'github.com/acme/shop'");
  });

  test('an origin with a scheme', () => {
    expect(synthErrorOf(() => runner({ circleCi: { ...ids, vcsOrigin: 'https://github.com/acme/shop' } }))).toBe(
      `${header}circleCi.vcsOrigin = "https://github.com/acme/shop": must be the repository as CircleCI writes it, host and path without scheme, wildcards or spaces. `
      + "Fix: write it like 'github.com/acme/shop'");
  });

  test('an origin with a wildcard', () => {
    expect(synthErrorOf(() => runner({ circleCi: { ...ids, vcsOrigin: 'github.com/acme/*' } }))).toContain(
      'circleCi.vcsOrigin = "github.com/acme/*": must be the repository as CircleCI writes it');
  });

  test('a branch name instead of a full ref', () => {
    expect(synthErrorOf(() => runner({ circleCi: { ...ids, vcsOrigin: 'github.com/acme/shop', vcsRefs: ['main'] } }))).toBe(
      `${header}circleCi.vcsRefs[0] = "main": must be a full Git ref (refs/heads/..., refs/tags/...), with no '?', '$' or spaces; '*' matches any characters. `
      + "Fix: write 'refs/heads/main' for a branch, 'refs/tags/main' for a tag");
  });

  test('an empty list of refs', () => {
    expect(synthErrorOf(() => runner({ circleCi: { ...ids, vcsOrigin: 'github.com/acme/shop', vcsRefs: [] } }))).toBe(
      `${header}circleCi.vcsRefs = []: an empty list would admit no job. Fix: name at least one ref, e.g. ['refs/heads/main'], or drop vcsRefs to admit every ref`);
  });
});
