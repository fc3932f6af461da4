import * as fs from 'fs';
import * as path from 'path';
import { Annotations, ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codepipeline_actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CapacityStrategy } from './capacity-strategy';
import { CheckpointEncryption, FargateSpotRunnerProps, RUNNER_DEFAULTS, runnerProblems } from './fargate-spot-runner-props';
import { CheckpointBucket } from './private/checkpoint-bucket';
import { createCircleCiRole, createExternalCiRole, EXTERNAL_CI_EXECUTION_ACTIONS } from './private/external-ci-role';
import { describeLogsGrant, letLogsUseKey, logKeyRegionProblems } from './private/log-encryption';
import { CHECKPOINT_PREFIX, runnerDefinition } from './private/state-machine-definition';
import type { DeploymentAction } from '../cross-account-pipeline/deployment-kind';
import { addNagSuppressions, ANY_PARTITION, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { throwIfProblems } from '../shared/validation';
import { GITHUB_OIDC_ISSUER } from '../tenant-deployment-role/github-oidc-trust';

/** Options of {@link FargateSpotRunner.pipelineAction}. */
export interface RunnerPipelineActionOptions {
  /**
   * Prefix of the execution name; CodePipeline appends the action execution
   * id. The execution name is the job id, so each pipeline run gets its own
   * checkpoint location.
   *
   * @default - the action execution id alone
   */
  readonly executionNamePrefix?: string;

  /**
   * Order of the action in its stage.
   *
   * @default 1
   */
  readonly runOrder?: number;
}

/** Options of {@link FargateSpotRunner.codePipelineAction}. */
export interface RunnerCodePipelineActionOptions extends RunnerPipelineActionOptions {
  /** Name of the action in the stage. */
  readonly actionName: string;

  /**
   * The role the action runs as.
   *
   * @default - a role CodePipeline creates
   */
  readonly role?: iam.IRole;
}

/** The container name of the job in the task definition. */
const CONTAINER_NAME = 'job';
/** ECS's own rule that runTask.sync uses to learn when the task stops. */
const SFN_ECS_EVENTS_RULE = 'StepFunctionsGetEventsForECSTaskRule';

/**
 * Runs interruption-tolerant CI or batch jobs on Fargate Spot, through a Step
 * Functions state machine (`ecs:runTask.sync`):
 *
 * - the job starts on the capacity strategy (by default FARGATE_SPOT); when
 *   Spot has no capacity it runs on FARGATE instead (ECS never falls back
 *   by itself);
 * - a job that exits non-zero fails the execution and is never rerun;
 * - a job Spot interrupts (SIGTERM, then SIGKILL after `stopTimeout`, 120 s)
 *   is restarted with the same CHECKPOINT_S3_URI up to
 *   `maxInterruptionRestarts` times, then once on FARGATE, then fails;
 * - a job may be split over `taskCount` tasks run side by side, each with its
 *   index (RUNNER_TASK_INDEX), its own checkpoint location and its own restarts;
 * - start it from CodePipeline (`codePipelineAction`, `pipelineAction`), on
 *   a schedule (`schedule`, `addSchedule`) or from GitHub Actions
 *   (`externalCi`), or with `grantStartJobs`.
 *
 * Only the job's task role may read or write checkpoints, and only under
 * `checkpoints/`; tasks run in private subnets without a public IP by default;
 * the log groups are encrypted with the checkpoint key (or `logEncryptionKey`);
 * AWS services may assume the runner's roles only for resources of its account.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import * as ec2 from 'aws-cdk-lib/aws-ec2';
 * import * as ecr from 'aws-cdk-lib/aws-ecr';
 * import * as ecs from 'aws-cdk-lib/aws-ecs';
 * import { CapacityStrategy, FargateSpotRunner } from 'cdk-cross-account-cicd';
 *
 * const stack = new Stack(new App(), 'Jobs', { env: { account: '111111111111', region: 'us-east-1' } });
 * declare const vpc: ec2.IVpc;
 * // An image with /bin/sh and the AWS CLI (the checkpoint wrapper needs both) and the job.
 * const ciImage = ecr.Repository.fromRepositoryName(stack, 'CiImage', 'shop-ci');
 * const runner = new FargateSpotRunner(stack, 'IntegrationTests', {
 *   vpc,
 *   image: ecs.ContainerImage.fromEcrRepository(ciImage, 'latest'),
 *   command: ['npm', 'run', 'integration-tests'],
 *   useCheckpointWrapper: true,
 *   capacity: CapacityStrategy.spotWithOnDemandFallback(),
 *   runTimeout: Duration.hours(2),
 * });
 * // A step of an aws-codepipeline Pipeline stage:
 * const action = runner.codePipelineAction({ actionName: 'IntegrationTests', executionNamePrefix: 'release' });
 */
export class FargateSpotRunner extends Construct implements iam.IGrantable {
  /**
   * The checkpoint wrapper for shell jobs (POSIX sh): restores CHECKPOINT_DIR
   * from CHECKPOINT_S3_URI, runs the command, uploads the checkpoint on
   * SIGTERM and exits 143. Copy it into your image, or set
   * `useCheckpointWrapper`.
   */
  public static checkpointWrapperScript(): string {
    return fs.readFileSync(FargateSpotRunner.checkpointWrapperPath(), 'utf8');
  }

  /** Absolute path of the checkpoint wrapper script in the installed package (to COPY it into a Docker build context). */
  public static checkpointWrapperPath(): string {
    return path.join(__dirname, 'assets', 'checkpoint-wrapper.sh');
  }

  /** The cluster the jobs run in. */
  public readonly cluster: ecs.ICluster;
  /** The job's task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The job's container. */
  public readonly container: ecs.ContainerDefinition;
  /** The role the job runs as; grant it what the job needs. */
  public readonly taskRole: iam.IRole;
  /** Same as `taskRole`: `bucket.grantRead(runner)` grants the job. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The job's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The key of the job's and the state machine's log groups (see `logEncryptionKey`). */
  public readonly logEncryptionKey?: kms.IKey;
  /** The checkpoint bucket; only the task role may read or write its objects. */
  public readonly checkpointBucket: s3.IBucket;
  /** The key of the checkpoint bucket (with `CheckpointEncryption.KMS`). */
  public readonly checkpointEncryptionKey?: kms.IKey;
  /** The state machine whose executions are the jobs. */
  public readonly stateMachine: sfn.StateMachine;
  /** Security groups of the tasks. */
  public readonly securityGroups: ec2.ISecurityGroup[];
  /** The role GitHub Actions assume (with `externalCi`). */
  public readonly externalCiRole?: iam.IRole;
  /** The role CircleCI jobs assume (with `circleCi`). */
  public readonly circleCiRole?: iam.IRole;
  /** The GitHub Actions OIDC provider the runner created (with `externalCi` and `createOidcProviders`). */
  public readonly externalCiOidcProvider?: iam.IOidcProvider;
  /** The CircleCI OIDC provider the runner created (with `circleCi` and `createOidcProviders`). */
  public readonly circleCiOidcProvider?: iam.IOidcProvider;
  /** The capacity strategy of the jobs. */
  public readonly capacity: CapacityStrategy;

  private readonly checkpoints: CheckpointBucket;
  private scheduleRole?: iam.IRole;

  constructor(scope: Construct, id: string, props: FargateSpotRunnerProps) {
    super(scope, id);
    const { plan, problems } = runnerProblems(props);
    throwIfProblems(this, problems);
    this.capacity = props.capacity ?? CapacityStrategy.spotWithOnDemandFallback();
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.cluster = props.cluster ?? new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc!,
      containerInsightsV2: props.containerInsights === false ? ecs.ContainerInsights.DISABLED : ecs.ContainerInsights.ENABLED,
    });
    if (this.cluster instanceof ecs.Cluster) {
      this.cluster.enableFargateCapacityProviders();
    }
    if (!props.cluster) {
      // The cluster is the runner's own: its default strategy is the jobs' strategy, so a task
      // started by hand (aws ecs run-task without --capacity-provider-strategy) lands where the
      // runner's runs land. A cluster given by the user keeps its own default (it may serve others).
      (this.cluster as ecs.Cluster).addDefaultCapacityProviderStrategy(plan.primary.map((share) => ({
        capacityProvider: share.capacityProvider,
        weight: share.weight,
        ...(share.base !== undefined ? { base: share.base } : {}),
      })));
    }
    if (props.containerInsights === false) {
      addNagSuppressions(this.cluster, [{ id: 'AwsSolutions-ECS4', reason: 'Container Insights was turned off on purpose (containerInsights: false) to save its metric costs for short batch jobs.' }]);
    }

    // Checkpoints: encrypted, retained, reachable by the task role only.
    this.checkpoints = new CheckpointBucket(this, 'Checkpoints', {
      encryption: props.checkpointEncryption ?? CheckpointEncryption.KMS,
      encryptionKey: props.checkpointEncryptionKey,
      expiration: props.checkpointExpiration ?? RUNNER_DEFAULTS.checkpointExpiration,
      noncurrentVersionExpiration: Duration.days(7),
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects ?? false,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
    });
    this.checkpointBucket = this.checkpoints.bucket;
    this.checkpointEncryptionKey = this.checkpoints.encryptionKey;

    // The job.
    const taskRole = new iam.Role(this, 'TaskRole', {
      description: `The job of ${this.node.path}`,
      // Only ECS tasks of this account and region (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
    });
    this.taskRole = taskRole;
    this.grantPrincipal = taskRole;
    this.checkpoints.grantReadWriteCheckpoints(taskRole);

    // Logs: encrypted with a customer managed key, under fixed names the key policy can name.
    const logGroupNames = {
      job: `/cdk-cross-account-cicd/fargate-spot-runner/${stack.stackName}-${this.node.addr}`,
      // The /aws/vendedlogs/ prefix keeps CloudWatch Logs' resource policy small.
      stateMachine: `/aws/vendedlogs/states/${stack.stackName}-${this.node.addr}`,
    };
    this.logEncryptionKey = this.encryptLogs(props, Object.values(logGroupNames));
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: logGroupNames.job, encryptionKey: this.logEncryptionKey, retention, removalPolicy,
    });
    const arch = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    const os = props.operatingSystemFamily ?? ecs.OperatingSystemFamily.LINUX;
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? RUNNER_DEFAULTS.cpu,
      memoryLimitMiB: props.memoryLimitMiB ?? RUNNER_DEFAULTS.memoryLimitMiB,
      ephemeralStorageGiB: props.ephemeralStorageGiB,
      runtimePlatform: { cpuArchitecture: arch, operatingSystemFamily: os },
      taskRole,
    });
    const wrapper = props.useCheckpointWrapper
      ? { entryPoint: ['/bin/sh', '-c', FargateSpotRunner.checkpointWrapperScript(), 'checkpoint-wrapper'] }
      : {};
    this.container = this.taskDefinition.addContainer('Job', {
      containerName: CONTAINER_NAME,
      image: props.image,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      essential: true,
      // Spot gives 120 s between its notice (SIGTERM) and the stop; use all of it.
      stopTimeout: props.stopTimeout ?? Duration.seconds(RUNNER_DEFAULTS.stopTimeoutSeconds),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'job', logGroup: this.logGroup }),
      ...wrapper,
    });
    const executionRole = this.taskDefinition.obtainExecutionRole();

    // Network: private subnets, no public IP, no inbound rules.
    const vpc = this.cluster.vpc;
    this.securityGroups = props.securityGroups ?? [this.createSecurityGroup(vpc, props.httpsEgressOnly ?? false)];
    const subnets = vpc.selectSubnets(props.vpcSubnets ?? {
      subnetType: props.assignPublicIp ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    });

    // The state machine.
    const runTimeout = props.runTimeout ?? RUNNER_DEFAULTS.runTimeout;
    const definition = runnerDefinition({
      partition: Aws.PARTITION,
      clusterArn: this.cluster.clusterArn,
      taskDefinitionArn: this.taskDefinition.taskDefinitionArn,
      containerName: CONTAINER_NAME,
      subnetIds: subnets.subnetIds,
      securityGroupIds: this.securityGroups.map((sg) => sg.securityGroupId),
      assignPublicIp: props.assignPublicIp ?? false,
      primary: plan.primary,
      fallbackToOnDemand: plan.fallbackToOnDemand,
      maxInterruptionRestarts: props.maxInterruptionRestarts ?? RUNNER_DEFAULTS.maxInterruptionRestarts,
      runTimeoutSeconds: runTimeout.toSeconds(),
      checkpointBucketName: this.checkpointBucket.bucketName,
      taskCount: props.taskCount ?? 1,
    });
    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: logGroupNames.stateMachine, encryptionKey: this.logEncryptionKey, retention, removalPolicy,
    });
    // Confused-deputy protection: only state machines of this account and region
    // (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html).
    // Naming the state machine's own ARN would reference the state machine, which
    // references this role: a cycle. So the pattern covers the account's state
    // machines; only a principal allowed iam:PassRole on this role can give it to one.
    const stateMachineRole = new iam.Role(this, 'StateMachineRole', {
      description: `Runs the jobs of ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      }),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      role: stateMachineRole,
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.grantRunTask(this.stateMachine.role, executionRole);

    if (props.externalCi) {
      const create = props.createOidcProviders && props.externalCi.providerArn === undefined;
      this.externalCiOidcProvider = create
        ? new iam.OidcProviderNative(this, 'GitHubOidcProvider', { url: `https://${GITHUB_OIDC_ISSUER}`, clientIds: ['sts.amazonaws.com'] })
        : undefined;
      const trust = this.externalCiOidcProvider
        ? { ...props.externalCi, providerArn: this.externalCiOidcProvider.oidcProviderArn }
        : props.externalCi;
      this.externalCiRole = createExternalCiRole(this, 'ExternalCiRole', trust, this.stateMachine);
      this.suppressExecutionWildcard(this.externalCiRole);
    }
    if (props.circleCi) {
      const create = props.createOidcProviders && props.circleCi.providerArn === undefined;
      this.circleCiOidcProvider = create
        ? new iam.OidcProviderNative(this, 'CircleCiOidcProvider', {
          url: `https://oidc.circleci.com/org/${props.circleCi.organizationId}`,
          clientIds: [props.circleCi.organizationId],
        })
        : undefined;
      const trust = this.circleCiOidcProvider ? { ...props.circleCi, providerArn: this.circleCiOidcProvider.oidcProviderArn } : props.circleCi;
      const circleCiRole = createCircleCiRole(this, 'CircleCiRole', trust, this.stateMachine);
      this.suppressExecutionWildcard(circleCiRole);
      this.circleCiRole = circleCiRole;
    }
    if (props.schedule) {
      this.addSchedule('Schedule', props.schedule);
    }

    this.suppressFindings(taskRole, executionRole);
    guardPolicySizes(this, {});
  }

  /**
   * Start a job on a schedule. The execution name (a random id) is the job id.
   */
  public addSchedule(id: string, schedule: events.Schedule): events.Rule {
    return new events.Rule(this, id, {
      description: `Starts a job of ${this.node.path}`,
      schedule,
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({}), role: this.obtainScheduleRole() })],
    });
  }

  /**
   * Let a principal start jobs and describe, follow and stop them (what a CI
   * system needs): states:StartExecution on the state machine and
   * states:DescribeExecution, GetExecutionHistory and StopExecution on its executions.
   */
  public grantStartJobs(grantee: iam.IGrantable): iam.Grant {
    const start = iam.Grant.addToPrincipal({ grantee, actions: ['states:StartExecution'], resourceArns: [this.stateMachine.stateMachineArn] });
    return start.combine(this.stateMachine.grantExecution(grantee, ...EXTERNAL_CI_EXECUTION_ACTIONS));
  }

  /**
   * Let a role read checkpoints (to inspect an interrupted job): it is
   * added to the bucket policy's exceptions and granted read under `checkpoints/`.
   */
  public grantReadCheckpoints(role: iam.IRole): void {
    this.checkpoints.grantReadCheckpoints(role);
  }

  /**
   * A CodePipeline action (Invoke / StepFunctions) that runs a job and waits
   * for it, for pipelines declared with L1 `CfnPipeline` stages (the shape of
   * `DeploymentAction`). Grants `pipelineRole`, the role the action runs as,
   * what the action needs.
   */
  public pipelineAction(pipelineRole: iam.IRole, options: RunnerPipelineActionOptions = {}): DeploymentAction {
    const prefix = options.executionNamePrefix;
    pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['states:StartExecution', 'states:DescribeStateMachine'],
      resources: [this.stateMachine.stateMachineArn],
    }));
    this.stateMachine.grantExecution(pipelineRole, 'states:DescribeExecution');
    return {
      category: 'Invoke',
      provider: 'StepFunctions',
      owner: 'AWS',
      version: '1',
      runAsPipelineRole: true,
      inTargetRegion: false,
      runOrder: options.runOrder ?? 1,
      configuration: {
        StateMachineArn: this.stateMachine.stateMachineArn,
        InputType: 'Literal',
        Input: '{}',
        ...(prefix !== undefined ? { ExecutionNamePrefix: prefix } : {}),
      },
    };
  }

  /** The same action for pipelines built with the `aws-codepipeline` L2 constructs. */
  public codePipelineAction(options: RunnerCodePipelineActionOptions): codepipeline.IAction {
    return new codepipeline_actions.StepFunctionInvokeAction({
      actionName: options.actionName,
      stateMachine: this.stateMachine,
      stateMachineInput: codepipeline_actions.StateMachineInput.literal({}),
      executionNamePrefix: options.executionNamePrefix,
      runOrder: options.runOrder,
      role: options.role,
    });
  }

  /**
   * The number of jobs (executions of the state machine) that failed: a task
   * exited non-zero, used up its restarts, found no capacity, timed out or
   * could not be run. Step Functions' `ExecutionsFailed` metric of the
   * runner's state machine, summed over 5 minutes by default.
   */
  public metricJobsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed(props);
  }

  /**
   * The number of jobs (executions of the state machine) that succeeded, all
   * their tasks included. Step Functions' `ExecutionsSucceeded` metric of the
   * runner's state machine, summed over 5 minutes by default.
   */
  public metricJobsSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded(props);
  }

  /** The S3 URI under which each job's checkpoint lives (`<uri><jobId>/`, and `<uri><jobId>/<taskIndex>/` with `taskCount` above 1). */
  public get checkpointsUri(): string {
    return this.checkpoints.checkpointsUri;
  }

  /**
   * The role EventBridge starts scheduled jobs with, shared by the schedules.
   * Confused-deputy protection: only rules of this account and region
   * (aws:SourceAccount, and aws:SourceArn is the rule's ARN:
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
   * Rules get generated names and reference this role, so the ARN pattern
   * covers every rule of the account rather than name one (a cycle).
   */
  private obtainScheduleRole(): iam.IRole {
    if (!this.scheduleRole) {
      const stack = Stack.of(this);
      this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
        description: `Starts scheduled jobs of ${this.node.path}`,
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
        }),
      });
    }
    return this.scheduleRole;
  }

  /**
   * The key of the log groups, with a key policy statement that lets
   * CloudWatch Logs use it for them. The checkpoint key by default; a key the
   * app cannot amend is refused when defaulted (deploy would fail) and
   * accepted with a warning when given on purpose.
   */
  private encryptLogs(props: FargateSpotRunnerProps, logGroupNames: string[]): kms.IKey | undefined {
    const key = props.logEncryptionKey ?? this.checkpointEncryptionKey;
    if (!key) return undefined;
    const property = props.logEncryptionKey ? 'logEncryptionKey' : 'checkpointEncryptionKey';
    throwIfProblems(this, logKeyRegionProblems(this, key, property));
    if (letLogsUseKey(this, key, logGroupNames)) return key;
    const grant = describeLogsGrant(this, logGroupNames);
    if (!props.logEncryptionKey) {
      throwIfProblems(this, [{
        property,
        value: key.node.path,
        reason: 'the runner encrypts its log groups with the checkpoint key by default, but this key is imported, '
          + 'so the runner cannot add the key policy statement CloudWatch Logs needs',
        fix: `pass the key as logEncryptionKey too once its policy allows ${grant}, `
          + 'or give another key as logEncryptionKey, or drop checkpointEncryptionKey so the runner creates the key',
      }]);
    }
    Annotations.of(this).addWarningV2('cdk-cross-account-cicd:logEncryptionKeyPolicyNotAdded',
      `logEncryptionKey ${key.node.path} is imported: its key policy must allow ${grant}, or the log groups fail to deploy.`);
    return key;
  }

  private createSecurityGroup(vpc: ec2.IVpc, httpsEgressOnly: boolean): ec2.SecurityGroup {
    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: `Tasks of ${this.node.path}: no inbound, ${httpsEgressOnly ? 'HTTPS' : 'all'} outbound`,
      allowAllOutbound: !httpsEgressOnly,
    });
    if (httpsEgressOnly) {
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to image registries and AWS APIs');
    }
    return sg;
  }

  /**
   * What runTask.sync needs, scoped: run this task definition in this
   * cluster, watch and stop its tasks, pass its two roles to ECS tasks, and
   * manage the managed EventBridge rule it waits with.
   */
  private grantRunTask(role: iam.IRole, executionRole: iam.IRole): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunTheJobTask',
      actions: ['ecs:RunTask'],
      resources: [this.taskDefinition.taskDefinitionArn],
      conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WatchAndStopJobTasks',
      actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
      resources: [stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${this.cluster.clusterName}/*` })],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassTheJobRoles',
      actions: ['iam:PassRole'],
      resources: [this.taskRole.roleArn, executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ManagedTaskStateRule',
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: SFN_ECS_EVENTS_RULE })],
    }));
  }

  private suppressExecutionWildcard(role: iam.IRole): void {
    suppressOnDefaultPolicy(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Executions get their names at start; the grant is limited to executions of this one state machine (execution:<name>:*).',
      appliesTo: [{ regex: `/^Resource::arn:${ANY_PARTITION}:states:[^:]+:[^:]+:execution:.+:\\*$/` }],
    }]);
  }

  private suppressFindings(taskRole: iam.IRole, executionRole: iam.IRole): void {
    suppressOnDefaultPolicy(taskRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Checkpoint object keys are created per job at run time; the job may use only the checkpoints/ prefix of its own bucket.',
      appliesTo: [{ regex: `/^Resource::<.*Checkpoints.*Bucket.*\\.Arn>\\/${CHECKPOINT_PREFIX.replace('/', '\\/')}\\*$/` }],
    }]);
    suppressOnDefaultPolicy(executionRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'ecr:GetAuthorizationToken supports only Resource "*"; image pulls and log writes are scoped by CDK to the repository and log group.',
      appliesTo: ['Resource::*'],
    }]);
    suppressOnDefaultPolicy(this.stateMachine.role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'X-Ray and CloudWatch Logs delivery actions support only Resource "*"; the job tasks get their ids at run time and are limited to this cluster (task/<cluster>/*).',
      appliesTo: ['Resource::*', { regex: `/^Resource::arn:${ANY_PARTITION}:ecs:[^:]+:[^:]+:task\\/.+\\/\\*$/` }],
    }]);
  }
}
