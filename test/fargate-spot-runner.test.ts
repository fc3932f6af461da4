import { App, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codepipeline_actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { allStatements, wildcardActions } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';
import { CapacityStrategy, FargateCapacityProvider } from '../src/fargate-spot-runner/capacity-strategy';
import { FargateSpotRunner } from '../src/fargate-spot-runner/fargate-spot-runner';
import { CheckpointEncryption, FargateSpotRunnerProps } from '../src/fargate-spot-runner/fargate-spot-runner-props';

const ACCOUNT = '111111111111';
const image = () => ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/alpine:3');

function runner(props: Partial<FargateSpotRunnerProps> = {}, withVpc = true) {
  const app = new App();
  const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const r = new FargateSpotRunner(stack, 'Runner', { ...(withVpc ? { vpc } : {}), image: image(), ...props });
  return { app, stack, vpc, runner: r };
}

describe('FargateSpotRunner defaults', () => {
  const { stack, runner: r } = runner({ command: ['npm', 'test'] });
  const template = Template.fromStack(stack);

  test('a cluster with the FARGATE and FARGATE_SPOT capacity providers and Container Insights', () => {
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  test('a 1 vCPU / 2 GB Linux x86 job with stopTimeout 120 s and logs kept a month', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '2048',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({
        Name: 'job',
        Essential: true,
        StopTimeout: 120,
        Command: ['npm', 'test'],
        LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
      })],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('tasks get a security group without inbound rules, private subnets and no public IP', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('no inbound, all outbound'),
      SecurityGroupIngress: Match.absent(),
    });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition).toContain('\\"AssignPublicIp\\":\\"DISABLED\\"');
    expect(definition).toContain('VpcPrivateSubnet1');
    expect(definition).not.toContain('VpcPublicSubnet');
  });

  test('the checkpoint bucket: KMS with rotation, Block Public Access, versioned, expiring, retained, logged', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true, ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-old-checkpoints', ExpirationInDays: 30, Status: 'Enabled' })] },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'checkpoint-bucket/' }),
      }),
    });
  });

  test('the bucket policy refuses TLS-less requests, writers but the task role, and readers but the task role', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy'))
      .map((p: any) => p.Properties.PolicyDocument.Statement)
      .find((statements: any[]) => statements.some((s) => s.Sid === 'OnlyTheJobWritesCheckpoints'))!;
    const onlyTheTaskRole = { ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [expect.stringMatching(/^RunnerTaskRole/), 'Arn'] }] } };
    expect(policy.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
    expect(policy.find((s: any) => s.Sid === 'OnlyTheJobWritesCheckpoints')).toEqual(expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Condition: onlyTheTaskRole,
    }));
    expect(policy.find((s: any) => s.Sid === 'OnlyTheJobAndItsReadersReadCheckpoints')).toEqual(expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:GetObject', 's3:GetObjectVersion'], Condition: onlyTheTaskRole,
    }));
  });

  test('the task role may use the checkpoints/ prefix only, and its trust is limited to ECS tasks of this account', () => {
    const statements = allStatements(template.toJSON()).filter((s) => s.resource.startsWith('RunnerTaskRoleDefaultPolicy')).map((s) => s.statement);
    expect(statements.map((s) => s.Sid)).toEqual(['ReadWriteCheckpoints', 'ListCheckpoints', 'EncryptDecryptCheckpoints']);
    expect(statements[0].Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/CheckpointsBucket/), 'Arn'] }, '/checkpoints/*']] });
    expect(statements[1].Condition).toEqual({ StringLike: { 's3:prefix': ['checkpoints/*'] } });
    expect(statements[2].Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }) })] },
    });
  });

  test('the state machine may run this task definition in this cluster only, and pass only the job roles to ECS', () => {
    const statements = allStatements(template.toJSON()).filter((s) => s.resource.startsWith('RunnerStateMachineRoleDefaultPolicy')).map((s) => s.statement);
    expect(statements.find((s) => s.Sid === 'RunTheJobTask')).toEqual(expect.objectContaining({
      Action: 'ecs:RunTask',
      Resource: { Ref: expect.stringMatching(/TaskDefinition/) },
      Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [expect.stringMatching(/Cluster/), 'Arn'] } } },
    }));
    expect(statements.find((s) => s.Sid === 'PassTheJobRoles')).toEqual(expect.objectContaining({
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
    expect(JSON.stringify(statements.find((s) => s.Sid === 'WatchAndStopJobTasks')!.Resource)).toContain(':task/');
  });

  test('no allow statement has a wildcard action, except the key owner delegation to IAM', () => {
    const offenders = allStatements(template.toJSON())
      .filter(({ statement }) => wildcardActions(statement).length > 0)
      .filter(({ type, statement }) => !(type === 'AWS::KMS::Key' && statement.Action === 'kms:*'
        && JSON.stringify(statement.Principal).includes(`:iam::${ACCOUNT}:root`)));
    expect(offenders).toEqual([]);
  });

  test('the job learns its checkpoint location; the runner exposes it', () => {
    expect(stack.resolve(r.checkpointsUri)).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/CheckpointsBucket/) }, '/checkpoints/']] });
    expect(r.grantPrincipal).toBe(r.taskRole);
  });
});

describe('FargateSpotRunner options', () => {
  test('job definition: size, ARM64, ephemeral storage, environment, secrets from Secrets Manager and SSM', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const secret = new secretsmanager.Secret(stack, 'Token');
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/ci/npm-token' });
    new FargateSpotRunner(stack, 'Runner', {
      vpc,
      image: image(),
      cpu: 2048,
      memoryLimitMiB: 4096,
      ephemeralStorageGiB: 50,
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      environment: { STAGE: 'ci' },
      secrets: { TOKEN: ecs.Secret.fromSecretsManager(secret), NPM_TOKEN: ecs.Secret.fromSsmParameter(parameter) },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048',
      Memory: '4096',
      EphemeralStorage: { SizeInGiB: 50 },
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({
        Environment: [{ Name: 'STAGE', Value: 'ci' }],
        Secrets: Match.arrayWith([Match.objectLike({ Name: 'TOKEN' }), Match.objectLike({ Name: 'NPM_TOKEN' })]),
      })],
    });
  });

  test('a given cluster gets the Fargate capacity providers and no second cluster is created', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'Shared', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const r = new FargateSpotRunner(stack, 'Runner', { cluster, image: image() });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', { CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']) });
    expect(r.cluster).toBe(cluster);
  });

  test('httpsEgressOnly limits the security group to TCP 443 outbound', () => {
    const { stack } = runner({ httpsEgressOnly: true });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })],
    });
  });

  test('S3-managed encryption creates no key', () => {
    const { stack } = runner({ checkpointEncryption: CheckpointEncryption.S3_MANAGED });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 0);
    const statements = allStatements(template.toJSON()).filter((s) => s.resource.startsWith('RunnerTaskRoleDefaultPolicy'));
    expect(statements.map((s) => s.statement.Sid)).toEqual(['ReadWriteCheckpoints', 'ListCheckpoints']);
  });

  test('removalPolicy DESTROY with autoDeleteObjects for sandboxes', () => {
    const { stack } = runner({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    Template.fromStack(stack).hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });

  test('useCheckpointWrapper runs the command under the shipped wrapper script', () => {
    const { stack } = runner({ useCheckpointWrapper: true, command: ['python', 'train.py'] });
    const container = (Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))[0] as any).Properties.ContainerDefinitions[0];
    expect(container.EntryPoint).toEqual(['/bin/sh', '-c', FargateSpotRunner.checkpointWrapperScript(), 'checkpoint-wrapper']);
    expect(container.Command).toEqual(['python', 'train.py']);
    expect(FargateSpotRunner.checkpointWrapperScript()).toContain('trap on_term TERM INT');
  });

  test('externalCi: a role GitHub Actions of one repository and branch assume, allowed to start and watch jobs only', () => {
    const { stack, runner: r } = runner({ externalCi: { repository: 'acme/shop', branch: 'main' } });
    const template = Template.fromStack(stack);
    const role = template.toJSON().Resources[stack.getLogicalId(r.externalCiRole!.node.defaultChild as iam.CfnRole)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': 'repo:acme/shop:ref:refs/heads/main' } },
    })]);
    const actions = allStatements(template.toJSON()).filter((s) => s.resource.startsWith('RunnerExternalCiRoleDefaultPolicy')).flatMap((s) => [].concat(s.statement.Action));
    expect(actions.sort()).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StartExecution', 'states:StopExecution']);
  });

  test('circleCi: a role CircleCI jobs of one project assume, allowed to start and watch jobs only', () => {
    const org = '0a1b2c3d-0000-4000-8000-000000000001';
    const project = '0a1b2c3d-0000-4000-8000-000000000002';
    const { stack, runner: r } = runner({ circleCi: { organizationId: org, projectId: project } });
    const template = Template.fromStack(stack);
    const role = template.toJSON().Resources[stack.getLogicalId(r.circleCiRole!.node.defaultChild as iam.CfnRole)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:oidc-provider/oidc.circleci.com/org/${org}`]] } },
      Condition: {
        StringEquals: { [`oidc.circleci.com/org/${org}:aud`]: org },
        StringLike: { [`oidc.circleci.com/org/${org}:sub`]: `org/${org}/project/${project}/user/*` },
      },
    })]);
    const actions = allStatements(template.toJSON()).filter((s) => s.resource.startsWith('RunnerCircleCiRoleDefaultPolicy')).flatMap((s) => [].concat(s.statement.Action));
    expect(actions.sort()).toEqual(['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StartExecution', 'states:StopExecution']);
  });

  test('schedule: an EventBridge rule starts a job', () => {
    const { stack } = runner({ schedule: events.Schedule.cron({ hour: '3', minute: '0' }) });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('RunnerStateMachine') }, Input: '{}' })],
    });
  });

  test('pipelineAction: a StepFunctions Invoke action config, and the pipeline role may start and describe jobs', () => {
    const { stack, runner: r } = runner();
    const pipelineRole = new iam.Role(stack, 'PipelineRole', { assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com') });
    const action = r.pipelineAction(pipelineRole, { executionNamePrefix: 'release', runOrder: 2 });
    expect({ ...action, configuration: stack.resolve(action.configuration) }).toEqual({
      category: 'Invoke',
      provider: 'StepFunctions',
      owner: 'AWS',
      version: '1',
      runAsPipelineRole: true,
      inTargetRegion: false,
      runOrder: 2,
      configuration: { StateMachineArn: { Ref: expect.stringMatching(/RunnerStateMachine/) }, InputType: 'Literal', Input: '{}', ExecutionNamePrefix: 'release' },
    });
    const actions = allStatements(Template.fromStack(stack).toJSON()).filter((s) => s.resource.startsWith('PipelineRoleDefaultPolicy')).flatMap((s) => [].concat(s.statement.Action));
    expect(actions.sort()).toEqual(['states:DescribeExecution', 'states:DescribeStateMachine', 'states:StartExecution']);
  });

  test('codePipelineAction: an L2 pipeline runs a job as a stage action', () => {
    const { stack, runner: r } = runner();
    const source = new codepipeline.Artifact();
    new codepipeline.Pipeline(stack, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      stages: [
        { stageName: 'Source', actions: [new codepipeline_actions.S3SourceAction({ actionName: 'Source', bucket: new s3.Bucket(stack, 'Src', { versioned: true }), bucketKey: 'src.zip', output: source })] },
        { stageName: 'Test', actions: [r.codePipelineAction({ actionName: 'IntegrationTests', executionNamePrefix: 'it' })] },
      ],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([Match.objectLike({
        Name: 'Test',
        Actions: [Match.objectLike({ ActionTypeId: Match.objectLike({ Category: 'Invoke', Provider: 'StepFunctions' }), Configuration: Match.objectLike({ ExecutionNamePrefix: 'it' }) })],
      })]),
    });
  });

  test('grantStartJobs and grants to the runner reach the task role', () => {
    const { stack, runner: r } = runner();
    const ci = new iam.Role(stack, 'Ci', { assumedBy: new iam.AccountPrincipal(ACCOUNT) });
    r.grantStartJobs(ci);
    new s3.Bucket(stack, 'Data').grantRead(r);
    const statements = allStatements(Template.fromStack(stack).toJSON());
    expect(statements.filter((s) => s.resource.startsWith('CiDefaultPolicy')).flatMap((s) => [].concat(s.statement.Action)).sort())
      .toEqual(['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StartExecution', 'states:StopExecution']);
    expect(statements.some((s) => s.resource.startsWith('RunnerTaskRoleDefaultPolicy') && JSON.stringify(s.statement.Resource).includes('Data'))).toBe(true);
  });
});

describe('FargateSpotRunner taskCount, metrics and the default capacity provider strategy', () => {
  test('taskCount: 4 runs one Map iteration per task; the task role still reads and writes only checkpoints/*', () => {
    const { stack } = runner({ taskCount: 4 });
    const template = Template.fromStack(stack);
    const definition = JSON.stringify(Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0].Properties.DefinitionString);
    expect(definition).toContain('\\"Type\\":\\"Map\\"');
    expect(definition).toContain('\\"taskIndexes\\":[0,1,2,3]');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadWriteCheckpoints', Resource: { 'Fn::Join': ['', [Match.anyValue(), '/checkpoints/*']] } })]) },
    });
  });

  test('metricJobsFailed / metricJobsSucceeded are the state machine\'s ExecutionsFailed / ExecutionsSucceeded', () => {
    const { stack, runner: r } = runner();
    const failed = r.metricJobsFailed();
    const succeeded = r.metricJobsSucceeded({ period: Duration.hours(1), statistic: 'Sum' });
    expect([failed.namespace, failed.metricName, failed.statistic, failed.period.toMinutes()]).toEqual(['AWS/States', 'ExecutionsFailed', 'Sum', 5]);
    expect([succeeded.metricName, succeeded.period.toHours()]).toEqual(['ExecutionsSucceeded', 1]);
    expect(stack.resolve(failed.dimensions)).toEqual({ StateMachineArn: stack.resolve(r.stateMachine.stateMachineArn) });
    expect(stack.resolve(succeeded.dimensions)).toEqual(stack.resolve(failed.dimensions));
    // Usable in an alarm as any aws-cdk-lib metric.
    r.metricJobsFailed().createAlarm(stack, 'JobsFailing', { threshold: 1, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' });
  });

  test('the created cluster gets the jobs\' strategy as its default capacity provider strategy', () => {
    const { stack } = runner();
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
    });
  });

  test('a weighted strategy with a base becomes the default strategy as it is', () => {
    const { stack } = runner({
      capacity: CapacityStrategy.weighted({
        shares: [
          { capacityProvider: FargateCapacityProvider.FARGATE, base: 1, weight: 1 },
          { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 3 },
        ],
      }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1, Base: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 3 }],
    });
  });

  test('a cluster given by the user keeps its own default strategy', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const cluster = new ecs.Cluster(stack, 'Shared', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }) });
    new FargateSpotRunner(stack, 'Runner', { cluster, image: image() });
    expect(cluster.defaultCapacityProviderStrategy).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      DefaultCapacityProviderStrategy: [],
    });
  });
});

describe('FargateSpotRunner createOidcProviders', () => {
  const circleCi = { organizationId: '0a1b2c3d-0000-4000-8000-000000000001', projectId: '0a1b2c3d-0000-4000-8000-000000000002' };
  const federatedOf = (template: Template, roleId: RegExp) => {
    const [role] = Object.entries(template.findResources('AWS::IAM::Role')).filter(([id]) => roleId.test(id)).map(([, r]) => r as any);
    return role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Federated;
  };

  test('off by default: no provider, the roles trust the provider at its usual ARN', () => {
    const { stack, runner: r } = runner({ externalCi: { repository: 'acme/shop', branch: 'main' }, circleCi });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(r.externalCiOidcProvider).toBeUndefined();
    expect(JSON.stringify(federatedOf(template, /ExternalCiRole/))).toContain(':oidc-provider/token.actions.githubusercontent.com');
  });

  test('creates the GitHub and CircleCI providers, without thumbprints, and the roles trust them', () => {
    const { stack, runner: r } = runner({ externalCi: { repository: 'acme/shop', branch: 'main' }, circleCi, createOidcProviders: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 2);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'], ThumbprintList: Match.absent() });
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: `https://oidc.circleci.com/org/${circleCi.organizationId}`, ClientIdList: [circleCi.organizationId], ThumbprintList: Match.absent(),
    });
    expect(federatedOf(template, /ExternalCiRole/)).toEqual(stack.resolve(r.externalCiOidcProvider!.oidcProviderArn));
    expect(federatedOf(template, /CircleCiRole/)).toEqual(stack.resolve(r.circleCiOidcProvider!.oidcProviderArn));
  });

  test('a trust with a providerArn keeps it; only the other provider is created', () => {
    const providerArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const { stack, runner: r } = runner({ externalCi: { repository: 'acme/shop', branch: 'main', providerArn }, circleCi, createOidcProviders: true });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    expect(r.externalCiOidcProvider).toBeUndefined();
    expect(federatedOf(template, /ExternalCiRole/)).toBe(providerArn);
  });

  test('refused without a trust to create a provider for', () => {
    expect(synthErrorOf(() => runner({ createOidcProviders: true }))).toBe(
      '[Jobs/Runner] invalid configuration:\n  - createOidcProviders = true: there is no provider to create: it creates the OIDC provider of externalCi or circleCi, '
      + 'and neither is given without a providerArn. Fix: give externalCi or circleCi (without providerArn), or drop createOidcProviders');
  });
});

describe('FargateSpotRunner input errors name the construct path, property, value and fix', () => {
  const header = '[Jobs/Runner] invalid configuration:\n  - ';

  test('taskCount 0', () => {
    expect(synthErrorOf(() => runner({ taskCount: 0 }))).toBe(
      `${header}taskCount = 0: must be a whole number from 1 to 40, known at synth: the tasks of a job run as iterations of an inline Map state, which runs at most 40 at once. `
      + 'Fix: split the job over 1 to 40 tasks, e.g. taskCount: 4; for more shards, give each task several (RUNNER_TASK_INDEX, RUNNER_TASK_INDEX + RUNNER_TASK_COUNT, ...)');
  });

  test('taskCount over 40, the inline Map concurrency', () => {
    expect(synthErrorOf(() => runner({ taskCount: 41 }))).toContain('taskCount = 41: must be a whole number from 1 to 40, known at synth');
  });

  test('taskCount not a whole number', () => {
    expect(synthErrorOf(() => runner({ taskCount: 2.5 }))).toContain('taskCount = 2.5: must be a whole number from 1 to 40');
  });

  test('taskCount as a token (the split is built at synth)', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs');
    const param = new CfnParameter(stack, 'Tasks', { type: 'Number' });
    expect(synthErrorOf(() => new FargateSpotRunner(stack, 'Runner', { vpc: new ec2.Vpc(stack, 'Vpc'), image: image(), taskCount: param.valueAsNumber })))
      .toContain('taskCount = "an unresolved token": must be a whole number from 1 to 40, known at synth');
  });

  test('weights all zero', () => {
    const capacity = CapacityStrategy.weighted({ shares: [{ capacityProvider: FargateCapacityProvider.FARGATE_SPOT, weight: 0 }] });
    expect(synthErrorOf(() => runner({ capacity })))
      .toBe(`${header}capacity.shares = ["FARGATE_SPOT weight 0"]: every weight is 0, so ECS has nowhere to place the job. Fix: give at least one share a weight above 0, e.g. FARGATE_SPOT weight 3 and FARGATE weight 1`);
  });

  test('two items with a base', () => {
    expect(synthErrorOf(() => runner({
      capacity: CapacityStrategy.weighted({
        shares: [{ capacityProvider: FargateCapacityProvider.FARGATE, base: 1 }, { capacityProvider: FargateCapacityProvider.FARGATE_SPOT, base: 1 }],
      }),
    }))).toContain('capacity.shares = ["shares[0] FARGATE base 1","shares[1] FARGATE_SPOT base 1"]: ECS lets only one item of a capacity provider strategy set base');
  });

  test('stop timeout over 120 s', () => {
    expect(synthErrorOf(() => runner({ stopTimeout: Duration.seconds(121) }))).toBe(
      `${header}stopTimeout = "121 seconds": Fargate waits at most 120 seconds between SIGTERM and SIGKILL, and a Spot interruption gives no more. `
      + 'Fix: use a whole number of seconds from 1 to 120, e.g. Duration.seconds(120) (the default)');
  });

  test('a CPU and memory combination Fargate does not offer', () => {
    expect(synthErrorOf(() => runner({ cpu: 512, memoryLimitMiB: 512 }))).toBe(
      `${header}memoryLimitMiB = 512: Fargate does not offer 512 MiB with 512 CPU units; it offers 1024 to 4096 MiB in steps of 1024. Fix: use memoryLimitMiB 1024, or cpu 256 for 512 MiB`);
  });

  test('Windows with Spot (the default strategy)', () => {
    expect(synthErrorOf(() => runner({ operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE }))).toContain(
      'capacity = "FARGATE_SPOT with WINDOWS_SERVER_2022_CORE": Fargate Spot runs Linux tasks only (platform 1.3.0 and later); Windows tasks cannot be placed on it. Fix: use CapacityStrategy.onDemandOnly() for Windows jobs');
  });

  test('ARM64 with Windows, even on FARGATE', () => {
    expect(synthErrorOf(() => runner({
      operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE,
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      capacity: CapacityStrategy.onDemandOnly(),
    }))).toBe(`${header}cpuArchitecture = "ARM64 with WINDOWS_SERVER_2022_CORE": Fargate runs Windows containers on X86_64 only. Fix: use CpuArchitecture.X86_64 for Windows, or a Linux image on ARM64`);
  });

  test('an architecture made with CpuArchitecture.of cannot be checked, so the constants are asked for', () => {
    expect(synthErrorOf(() => runner({ cpuArchitecture: ecs.CpuArchitecture.of('ARM64') }))).toBe(
      `${header}cpuArchitecture = "CpuArchitecture.of(...)": Fargate runs X86_64 and ARM64 tasks only. Fix: use CpuArchitecture.X86_64 or CpuArchitecture.ARM64`);
  });

  test('a Windows family made with OperatingSystemFamily.of is still kept off Spot', () => {
    expect(synthErrorOf(() => runner({ operatingSystemFamily: ecs.OperatingSystemFamily.of('WINDOWS_SERVER_2030_CORE') }))).toContain(
      'capacity = "FARGATE_SPOT with a Windows OperatingSystemFamily.of(...)": Fargate Spot runs Linux tasks only');
  });

  test('an OIDC subject with a wildcard repository', () => {
    expect(synthErrorOf(() => runner({ externalCi: { repository: 'acme/*', branch: 'main' } }))).toBe(
      `${header}externalCi.repository = "acme/*": must be 'owner/name' with no wildcard: a pattern would let other repositories (or every branch and pull request) in. Fix: name one repository, e.g. 'acme/shop'`);
  });

  test('a CircleCI trust with a wildcard project', () => {
    expect(synthErrorOf(() => runner({ circleCi: { organizationId: '0a1b2c3d-0000-4000-8000-000000000001', projectId: '*' } }))).toBe(
      `${header}circleCi.projectId = "*": must be one CircleCI id (a lowercase UUID), no wildcard: a pattern would let other projects in. Fix: copy the project id from the CircleCI settings`);
  });

  test('an OIDC trust pinned to neither branch nor environment', () => {
    expect(synthErrorOf(() => runner({ externalCi: { repository: 'acme/shop' } }))).toContain('the trust must be pinned to exactly one branch or one environment');
  });

  test('no network, reserved variables, wrapper without command, and more, all at once', () => {
    const message = synthErrorOf(() => runner({
      environment: { CHECKPOINT_S3_URI: 'x' },
      useCheckpointWrapper: true,
      maxInterruptionRestarts: -1,
      autoDeleteObjects: true,
      checkpointEncryption: CheckpointEncryption.S3_MANAGED,
      ephemeralStorageGiB: 10,
    }, false));
    expect(message.split('\n').slice(1)).toEqual([
      expect.stringContaining('ephemeralStorageGiB = 10'),
      expect.stringContaining('maxInterruptionRestarts = -1'),
      '  - vpc = undefined: the runner needs a network for its tasks. Fix: give vpc (a cluster is created in it) or cluster',
      expect.stringContaining("environment.CHECKPOINT_S3_URI = \"CHECKPOINT_S3_URI\": the runner sets this variable on every run. Fix: rename it; the runner's variables are CHECKPOINT_S3_URI, RUNNER_JOB_ID, RUNNER_RESTART_COUNT, RUNNER_CAPACITY"),
      expect.stringContaining("command = undefined: the checkpoint wrapper replaces the image's entrypoint"),
      expect.stringContaining('autoDeleteObjects = true: deleting the checkpoints only makes sense when the bucket itself is destroyed'),
    ]);
  });

  test('a key with S3-managed encryption, a run timeout under a minute', () => {
    const app = new App();
    const stack = new Stack(app, 'Jobs');
    const key = new kms.Key(stack, 'Key');
    const message = synthErrorOf(() => runner({
      checkpointEncryptionKey: key,
      checkpointEncryption: CheckpointEncryption.S3_MANAGED,
      runTimeout: Duration.seconds(30),
    }));
    expect(message).toContain('checkpointEncryptionKey = "Jobs/Key": a key is only used with CheckpointEncryption.KMS');
    expect(message).toContain('runTimeout = "30 seconds"');
  });
});
