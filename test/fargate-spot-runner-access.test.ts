/**
 * Access proofs for FargateSpotRunner, evaluated with real IAM logic
 * (test/support/access-model.ts and @cloud-copilot/iam-simulate):
 * - the external-CI role: GitHub Actions of one repository and branch may
 *   assume it; it may start and watch this state machine's executions only;
 * - the task role reads and writes only the checkpoints/ prefix of its bucket;
 * - no other principal of the account (even one allowed s3:* on every bucket)
 *   can read or write checkpoints;
 * - AWS services assume the runner's roles only on behalf of resources of
 *   this account (aws:SourceAccount, aws:SourceArn).
 *
 * Every denial has a control request that differs in one respect and is
 * allowed, so a request refused for an unrelated reason cannot pass as proof.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AccessModel, Decision, ModelRole } from './support/access-model';
import { wildcardActions } from './support/policy-inspection';
import { FargateSpotRunner } from '../src/fargate-spot-runner/fargate-spot-runner';

const ACCOUNT = '111111111111';
const OUTSIDER = '999999999999';
const REGION = 'us-east-1';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

/**
 * ARNs of resource types the shared resolver (test/support/intrinsics.ts) does
 * not model yet, made concrete as AWS would return them, so the roles that
 * point at them can be loaded. Physical names are the logical ids.
 */
const EXTRA_TYPES: Record<string, { ref: (id: string) => string; attributes: Record<string, (id: string) => string> }> = {
  'AWS::StepFunctions::StateMachine': {
    ref: (id) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`,
    attributes: { Name: (id) => id, Arn: (id) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}` },
  },
  'AWS::ECS::Cluster': {
    ref: (id) => id,
    attributes: { Arn: (id) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${id}` },
  },
  'AWS::ECS::TaskDefinition': {
    ref: (id) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${id}:1`,
    attributes: {},
  },
  'AWS::Logs::LogGroup': {
    ref: (id) => id,
    attributes: { Arn: (id) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*` },
  },
};

function concretize(template: any): any {
  const types: Record<string, string> = Object.fromEntries(Object.entries<any>(template.Resources).map(([id, r]) => [id, r.Type]));
  const visit = (node: any): any => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1 && keys[0] === 'Ref' && EXTRA_TYPES[types[node.Ref]]) {
      return EXTRA_TYPES[types[node.Ref]].ref(node.Ref);
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt' && EXTRA_TYPES[types[node['Fn::GetAtt'][0]]]) {
      const [id, attribute] = node['Fn::GetAtt'];
      const attr = EXTRA_TYPES[types[id]].attributes[attribute];
      if (!attr) throw new Error(`GetAtt ${id}.${attribute} not modelled`);
      return attr(id);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, visit(v)]));
  };
  return { ...template, Resources: visit(template.Resources) };
}

function build() {
  const app = new App();
  const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const runner = new FargateSpotRunner(stack, 'Runner', {
    vpc,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/alpine:3'),
    externalCi: { repository: 'acme/shop', branch: 'main' },
    schedule: events.Schedule.cron({ hour: '3', minute: '0' }),
    // Split: each task keeps its checkpoint under checkpoints/<jobId>/<index>/.
    taskCount: 4,
  });
  // A second runner (another state machine, another checkpoint bucket) the first one's roles must not reach.
  const other = new FargateSpotRunner(stack, 'OtherRunner', { vpc, image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/alpine:3') });
  const machineId = (r: FargateSpotRunner) => stack.getLogicalId(r.stateMachine.node.defaultChild as CfnResource);
  // An unrelated bucket, and an administrator-like role of the same account.
  const data = new s3.Bucket(stack, 'Data', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true });
  const admin = new iam.Role(stack, 'Admin', { roleName: 'ops-admin', assumedBy: new iam.AccountRootPrincipal() });
  admin.addToPolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:ListBucket', 'kms:Decrypt', 'kms:GenerateDataKey'],
    resources: ['*'],
  }));
  void data;
  // A role let in on purpose, read-only, to inspect interrupted jobs.
  const inspector = new iam.Role(stack, 'Inspector', { roleName: 'checkpoint-inspector', assumedBy: new iam.AccountRootPrincipal() });
  runner.grantReadCheckpoints(inspector);

  const assembly = app.synth();
  for (const artifact of assembly.stacks) {
    const file = path.join(assembly.directory, artifact.templateFile);
    fs.writeFileSync(file, JSON.stringify(concretize(JSON.parse(fs.readFileSync(file, 'utf8')))));
  }
  return {
    model: AccessModel.fromAssembly(new cxapi.CloudAssembly(assembly.directory)),
    // Physical names are the logical ids (see EXTRA_TYPES).
    machine: EXTRA_TYPES['AWS::StepFunctions::StateMachine'].ref(machineId(runner)),
    otherMachine: EXTRA_TYPES['AWS::StepFunctions::StateMachine'].ref(machineId(other)),
  };
}

describe('FargateSpotRunner access', () => {
  const { model, machine, otherMachine } = build();
  const ciRole = model.role(ACCOUNT, /RunnerExternalCiRole/);
  const taskRole = model.role(ACCOUNT, /^Jobs-RunnerTaskRole/);
  const otherTaskRole = model.role(ACCOUNT, /OtherRunnerTaskRole/);
  const admin = model.role(ACCOUNT, 'ops-admin');
  const inspector = model.role(ACCOUNT, 'checkpoint-inspector');
  const checkpoints = model.bucket(ACCOUNT, /^jobs-runnercheckpointsbucket/);
  const otherCheckpoints = model.bucket(ACCOUNT, /^jobs-otherrunnercheckpointsbucket/);
  const data = model.bucket(ACCOUNT, /^jobs-data/);
  const key = model.assembly.keys.find((k) => k.source.logicalId.startsWith('RunnerCheckpointsKey'))!;
  const executionOf = (machineArn: string, name: string) => `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const object = (bucket: { arn: string }, key_: string) => `${bucket.arn}/${key_}`;

  /**
   * Step Functions has no resource-based policies, so the caller's identity
   * policies decide; evaluated by iam-simulate like the model's requests.
   */
  async function statesDecision(role: ModelRole, action: string, resource: string): Promise<Decision> {
    const response = await runSimulation({
      request: {
        principal: `arn:aws:sts::${role.account}:assumed-role/${role.name}/access-model`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': role.arn, 'aws:PrincipalAccount': role.account, 'aws:SecureTransport': 'true' },
      },
      identityPolicies: role.identity.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    }, { simulationMode: 'Strict' });
    if (response.resultType !== 'single') throw new Error(`unexpected simulation result: ${JSON.stringify(response)}`);
    return response.overallResult;
  }

  describe('external CI role', () => {
    // iam-simulate knows the condition keys of a few web identity providers
    // (Google, Cognito, SAML) but not token.actions.githubusercontent.com:*,
    // which it would drop; so the trust is proven by its shape: one statement,
    // exact StringEquals on aud and sub, nothing a pattern could widen.
    test('only GitHub Actions of acme/shop on main may assume it: exact aud and sub, no patterns', () => {
      expect([].concat(ciRole.trustPolicy.Statement)).toEqual([{
        Sid: 'GitHubActionsOidc',
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: PROVIDER },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': 'repo:acme/shop:ref:refs/heads/main',
          },
        },
      }]);
    });

    test('no role of this or another account may assume it', async () => {
      await model.expectAssume(model.externalRole(`arn:aws:iam::${ACCOUNT}:role/anything`), ciRole.arn, 'ImplicitlyDenied');
      await model.expectAssume(model.externalRole(`arn:aws:iam::${OUTSIDER}:role/anything`), ciRole.arn, 'ImplicitlyDenied');
    });

    test('it starts, describes, follows and stops executions of this state machine', async () => {
      expect(await statesDecision(ciRole, 'states:StartExecution', machine)).toBe('Allowed');
      for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution']) {
        expect(await statesDecision(ciRole, action, executionOf(machine, 'build-42'))).toBe('Allowed');
      }
    });

    test('and nothing of another state machine', async () => {
      expect(await statesDecision(ciRole, 'states:StartExecution', otherMachine)).toBe('ImplicitlyDenied');
      for (const action of ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution']) {
        expect(await statesDecision(ciRole, action, executionOf(otherMachine, 'build-42'))).toBe('ImplicitlyDenied');
      }
    });

    test('nor changes to the state machine, nor checkpoints', async () => {
      expect(await statesDecision(ciRole, 'states:UpdateStateMachine', machine)).toBe('ImplicitlyDenied');
      expect(await statesDecision(ciRole, 'states:DeleteStateMachine', machine)).toBe('ImplicitlyDenied');
      await model.expectDecision({ principal: ciRole, action: 's3:GetObject', resource: object(checkpoints, 'checkpoints/build-42/state') }, 'ExplicitlyDenied');
    });

    test('no role of the runners has a wildcard action', () => {
      const roles = model.assembly.roles.filter((r) => /^(Other)?Runner/.test(r.source.logicalId));
      expect(roles).toHaveLength(8); // task, execution, state machine roles of both runners, the CI role and the schedule role
      const statements = roles.flatMap((r) => r.identityPolicies).flatMap((p) => [].concat(p.document.Statement));
      expect(statements.flatMap((s: any) => wildcardActions(s))).toEqual([]);
    });
  });

  describe('checkpoints', () => {
    const state = (bucket = checkpoints) => object(bucket, 'checkpoints/job-1/state.json');

    test('the task role reads and writes its checkpoint prefix', async () => {
      await model.expectDecision({ principal: taskRole, action: 's3:GetObject', resource: state() }, 'Allowed');
      await model.expectDecision({ principal: taskRole, action: 's3:PutObject', resource: state() }, 'Allowed');
      await model.expectDecision({ principal: taskRole, action: 's3:ListBucket', resource: checkpoints.arn, context: { 's3:prefix': 'checkpoints/job-1/' } }, 'Allowed');
      await model.expectDecision({
        principal: taskRole, action: 'kms:Decrypt', resource: key.arn, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
      }, 'Allowed');
    });

    test('with taskCount, each task\'s prefix checkpoints/<jobId>/<index>/ is the task role\'s alone', async () => {
      const taskState = object(checkpoints, 'checkpoints/job-1/3/state.json');
      await model.expectDecision({ principal: taskRole, action: 's3:PutObject', resource: taskState }, 'Allowed');
      await model.expectDecision({ principal: taskRole, action: 's3:GetObject', resource: taskState }, 'Allowed');
      await model.expectDecision({ principal: taskRole, action: 's3:ListBucket', resource: checkpoints.arn, context: { 's3:prefix': 'checkpoints/job-1/3/' } }, 'Allowed');
      await model.expectDecision({ principal: admin, action: 's3:GetObject', resource: taskState }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: admin, action: 's3:PutObject', resource: taskState }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: otherTaskRole, action: 's3:PutObject', resource: taskState }, 'ExplicitlyDenied');
    });

    test('and nothing else of the bucket', async () => {
      await model.expectDecision({ principal: taskRole, action: 's3:GetObject', resource: object(checkpoints, 'other/secret.txt') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: taskRole, action: 's3:ListBucket', resource: checkpoints.arn, context: { 's3:prefix': 'other/' } }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: taskRole, action: 'kms:Decrypt', resource: key.arn }, 'ImplicitlyDenied');
    });

    test('nor another runner\'s checkpoints, nor other buckets', async () => {
      await model.expectDecision({ principal: taskRole, action: 's3:GetObject', resource: state(otherCheckpoints) }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: otherTaskRole, action: 's3:GetObject', resource: state(otherCheckpoints) }, 'Allowed'); // control
      await model.expectDecision({ principal: taskRole, action: 's3:GetObject', resource: object(data, 'report.csv') }, 'ImplicitlyDenied');
    });

    test('another role of the account, allowed s3 reads and writes on every bucket, cannot read or write checkpoints', async () => {
      await model.expectDecision({ principal: admin, action: 's3:GetObject', resource: state() }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: admin, action: 's3:GetObjectVersion', resource: state() }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: admin, action: 's3:PutObject', resource: state() }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: admin, action: 's3:GetObject', resource: object(data, 'report.csv') }, 'Allowed'); // control
    });

    test('a role granted grantReadCheckpoints reads checkpoints but cannot write them', async () => {
      await model.expectDecision({ principal: inspector, action: 's3:GetObject', resource: state() }, 'Allowed');
      await model.expectDecision({ principal: inspector, action: 's3:PutObject', resource: state() }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: inspector, action: 's3:GetObject', resource: state(otherCheckpoints) }, 'ExplicitlyDenied');
    });

    test('principals of other accounts and anonymous callers cannot read checkpoints', async () => {
      await model.expectDecision({ principal: model.externalRole(`arn:aws:iam::${OUTSIDER}:role/anything`), action: 's3:GetObject', resource: state() }, 'ExplicitlyDenied');
      await model.expectDecision({ principal: model.anonymous(), action: 's3:GetObject', resource: state() }, 'ExplicitlyDenied');
    });

    test('even the task role cannot read without TLS', async () => {
      await model.expectDecision({ principal: taskRole, action: 's3:GetObject', resource: state(), secureTransport: false }, 'ExplicitlyDenied');
    });
  });

  describe('AWS services assume the runner roles only for resources of this account', () => {
    const scheduleRole = model.role(ACCOUNT, /^Jobs-RunnerScheduleRole/);
    const stateMachineRole = model.role(ACCOUNT, /^Jobs-RunnerStateMachineRole/);

    /** A service principal assuming `role` on behalf of `sourceArn` (trust policy only: services have no identity policies). */
    async function serviceAssumes(service: string, role: ModelRole, sourceArn: string): Promise<Decision> {
      const sourceAccount = sourceArn.split(':')[4];
      const response = await runSimulation({
        request: {
          principal: service,
          action: 'sts:AssumeRole',
          resource: { resource: role.arn, accountId: ACCOUNT },
          contextVariables: { 'aws:SourceAccount': sourceAccount, 'aws:SourceArn': sourceArn, 'aws:SecureTransport': 'true' },
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: role.trustPolicy,
      }, { simulationMode: 'Strict' });
      if (response.resultType !== 'single') throw new Error(`unexpected simulation result: ${JSON.stringify(response)}`);
      expect(response.result.ignoredContextKeys ?? []).toEqual([]);
      return response.overallResult;
    }

    test('Step Functions, for a state machine of this account; not for one of another account (confused deputy)', async () => {
      expect(await serviceAssumes('states.amazonaws.com', stateMachineRole, machine)).toBe('Allowed');
      expect(await serviceAssumes('states.amazonaws.com', stateMachineRole, machine.replace(`:${ACCOUNT}:`, `:${OUTSIDER}:`))).toBe('ImplicitlyDenied');
    });

    test('EventBridge, for a rule of this account; not for one of another account', async () => {
      const rule = `arn:aws:events:${REGION}:${ACCOUNT}:rule/Jobs-RunnerSchedule-ABC123`;
      expect(await serviceAssumes('events.amazonaws.com', scheduleRole, rule)).toBe('Allowed');
      expect(await serviceAssumes('events.amazonaws.com', scheduleRole, rule.replace(`:${ACCOUNT}:`, `:${OUTSIDER}:`))).toBe('ImplicitlyDenied');
    });

    test('ECS, for a task of this account; not for one of another account', async () => {
      const task = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/cluster/0123456789abcdef`;
      expect(await serviceAssumes('ecs-tasks.amazonaws.com', taskRole, task)).toBe('Allowed');
      expect(await serviceAssumes('ecs-tasks.amazonaws.com', taskRole, task.replace(`:${ACCOUNT}:`, `:${OUTSIDER}:`))).toBe('ImplicitlyDenied');
    });
  });
});
