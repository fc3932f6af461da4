import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CapacityPlan, CapacityStrategy, JobPlatform, planCapacity, platformProblems } from './capacity-strategy';
import { CircleCiOidcTrust, circleCiTrustProblems } from './circleci-oidc-trust';
import { RUNNER_ENVIRONMENT } from './private/state-machine-definition';
import { ephemeralStorageProblems, taskSizeProblems } from './task-size';
import { Problem } from '../shared/validation';
import { GitHubOidcTrust, gitHubTrustProblems } from '../tenant-deployment-role/github-oidc-trust';

/** How checkpoints are encrypted at rest. */
export enum CheckpointEncryption {
  /** A customer-managed KMS key with rotation, created by the runner unless one is given. */
  KMS = 'KMS',
  /** S3-managed keys (SSE-S3): no key to pay for, access decided by IAM and the bucket policy alone. */
  S3_MANAGED = 'S3_MANAGED',
}

/**
 * Properties of a {@link FargateSpotRunner}.
 */
export interface FargateSpotRunnerProps {
  /**
   * The job's image: `ecs.ContainerImage.fromEcrRepository(...)`,
   * `ecs.ContainerImage.fromAsset('./job')` (a local Dockerfile) or
   * `ecs.ContainerImage.fromRegistry('public.ecr.aws/...')`.
   */
  readonly image: ecs.ContainerImage;

  /**
   * The command the job runs.
   *
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Plain environment variables. The runner adds CHECKPOINT_S3_URI,
   * RUNNER_JOB_ID, RUNNER_RESTART_COUNT, RUNNER_CAPACITY, RUNNER_TASK_INDEX
   * and RUNNER_TASK_COUNT to every run.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * Secrets from Secrets Manager or SSM Parameter Store
   * (`ecs.Secret.fromSecretsManager(...)`, `ecs.Secret.fromSsmParameter(...)`).
   *
   * @default - none
   */
  readonly secrets?: Record<string, ecs.Secret>;

  /**
   * CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.
   *
   * @default 1024
   */
  readonly cpu?: number;

  /**
   * Memory in MiB, one of the values Fargate offers for `cpu`.
   *
   * @default 2048
   */
  readonly memoryLimitMiB?: number;

  /**
   * Ephemeral storage in GiB (21 to 200).
   *
   * @default - 20 GiB, the Fargate default
   */
  readonly ephemeralStorageGiB?: number;

  /**
   * CPU architecture: one of the two constants, the architectures Fargate (and
   * Fargate Spot, for Linux) runs. A value made with `CpuArchitecture.of` is refused.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Operating system. Windows jobs need `CapacityStrategy.onDemandOnly()`.
   *
   * @default ecs.OperatingSystemFamily.LINUX
   */
  readonly operatingSystemFamily?: ecs.OperatingSystemFamily;

  /**
   * Where jobs run.
   *
   * @default CapacityStrategy.spotWithOnDemandFallback()
   */
  readonly capacity?: CapacityStrategy;

  /**
   * How many tasks each job is split over, all started at once (an even
   * split of a test suite, as CircleCI's `parallelism` does). Every task runs
   * the same image and command and learns its share from RUNNER_TASK_INDEX
   * (`0` to `taskCount - 1`) and RUNNER_TASK_COUNT; each has its own
   * checkpoint location, `checkpoints/<jobId>/<index>/` (with one task it
   * stays `checkpoints/<jobId>/`), and its own interruption restarts and
   * FARGATE fallback. The job succeeds when every task succeeds; a task
   * that fails (or uses up its restarts) fails the job, and Step Functions
   * stops the other tasks.
   *
   * At most 40: the tasks run as iterations of an inline Map state, which
   * runs at most 40 at once.
   *
   * @default 1
   */
  readonly taskCount?: number;

  /**
   * How many times an interrupted job is restarted from its checkpoint on the
   * capacity strategy before it runs once on FARGATE (or fails, without a
   * fallback).
   *
   * @default 3
   */
  readonly maxInterruptionRestarts?: number;

  /**
   * Time between SIGTERM and SIGKILL when a task stops; Fargate Spot gives at
   * most 120 seconds after its interruption notice.
   *
   * @default Duration.seconds(120)
   */
  readonly stopTimeout?: Duration;

  /**
   * Longest time one run of the job may take; the run is stopped and the
   * execution fails after it.
   *
   * @default Duration.hours(1)
   */
  readonly runTimeout?: Duration;

  /**
   * Run the command under the library's checkpoint wrapper
   * (`FargateSpotRunner.checkpointWrapperScript()`): it restores
   * CHECKPOINT_DIR from S3 before the command, uploads it on SIGTERM and
   * exits 143 so the run counts as interrupted. Needs `command`, `/bin/sh`
   * and, for the uploads, the AWS CLI in the image.
   *
   * @default false
   */
  readonly useCheckpointWrapper?: boolean;

  /**
   * The ECS cluster. It must have the FARGATE and FARGATE_SPOT capacity
   * providers; they are enabled on a cluster of this app, and must already be
   * on an imported one. The runner leaves the default capacity provider
   * strategy of a given cluster as it is (other services may rely on it);
   * every run names its strategy anyway.
   *
   * @default - a cluster is created in `vpc`, with the providers and a
   * default capacity provider strategy equal to the jobs' strategy
   * (`capacity`), so a task started by hand lands where the jobs do
   */
  readonly cluster?: ecs.ICluster;

  /**
   * The VPC of the created cluster. Give `cluster` or `vpc`.
   *
   * @default - the VPC of `cluster`
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Turn on Container Insights on the created cluster.
   *
   * @default true
   */
  readonly containerInsights?: boolean;

  /**
   * Subnets of the tasks.
   *
   * @default - private subnets with egress (public subnets with `assignPublicIp`)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Give tasks a public IPv4 address (billed per hour; private subnets with a
   * NAT gateway or VPC endpoints avoid it).
   *
   * @default false
   */
  readonly assignPublicIp?: boolean;

  /**
   * Security groups of the tasks.
   *
   * @default - one security group without inbound rules
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Limit the created security group's egress to HTTPS (TCP 443), enough to
   * pull images and reach AWS APIs.
   *
   * @default false - all outbound traffic
   */
  readonly httpsEgressOnly?: boolean;

  /**
   * Retention of the job's and the state machine's logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the job's and the state machine's log groups.
   * A key of this app gets a key policy statement that lets CloudWatch Logs
   * of the runner's region use it for these two log groups only
   * (`kms:EncryptionContext:aws:logs:arn`). An imported key's policy cannot
   * be changed here: it must already allow `logs.<region>.amazonaws.com` for
   * the two log groups, which synth names in a warning.
   *
   * @default - the checkpoint key (`checkpointEncryptionKey`, or the key the
   * runner creates) with `CheckpointEncryption.KMS`; with
   * `CheckpointEncryption.S3_MANAGED`, no customer managed key (CloudWatch
   * Logs' own encryption at rest)
   */
  readonly logEncryptionKey?: kms.IKey;

  /**
   * Encryption of the checkpoint bucket.
   *
   * @default CheckpointEncryption.KMS
   */
  readonly checkpointEncryption?: CheckpointEncryption;

  /**
   * The key for `CheckpointEncryption.KMS`.
   *
   * @default - a key with rotation is created
   */
  readonly checkpointEncryptionKey?: kms.IKey;

  /**
   * Checkpoints older than this are deleted.
   *
   * @default Duration.days(30)
   */
  readonly checkpointExpiration?: Duration;

  /**
   * What happens to the checkpoint bucket, its access logs, its key and the
   * log groups when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the buckets on stack deletion. Only with `RemovalPolicy.DESTROY`.
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;

  /**
   * Where the checkpoint bucket's server access logs go.
   *
   * @default - a dedicated access-log bucket is created
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Let GitHub Actions workflows of one repository, on one branch or
   * environment, start and watch this runner's jobs (OIDC, no stored keys).
   *
   * @default - no external CI role
   */
  readonly externalCi?: GitHubOidcTrust;

  /**
   * Let CircleCI jobs of one project start and watch this runner's jobs (OIDC).
   * Without `vcsOrigin`/`vcsRefs` every user and every branch of the project
   * (and, with forked builds allowed, forks) may; pin them (see
   * `CircleCiOidcTrust`).
   *
   * @default - no CircleCI role
   */
  readonly circleCi?: CircleCiOidcTrust;

  /**
   * Create, in this stack, the IAM OIDC identity provider of each CI trust
   * given without a `providerArn`: `token.actions.githubusercontent.com`
   * (audience `sts.amazonaws.com`) for `externalCi`, and
   * `oidc.circleci.com/org/<organizationId>` (audience the organization id)
   * for `circleCi`. No thumbprint is set: IAM verifies these providers'
   * certificates with its library of trusted root CAs.
   *
   * Off by default because an account holds at most one provider per URL:
   * when the provider already exists (created by hand or by another stack),
   * creating it again fails the deployment. Leave this off and the roles
   * trust the provider at its usual ARN, or give `providerArn`.
   *
   * @default false
   */
  readonly createOidcProviders?: boolean;

  /**
   * Name of the state machine (1 to 80 letters, digits, '-' and '_'); its
   * executions are the jobs.
   *
   * @default - a name CloudFormation generates
   */
  readonly stateMachineName?: string;

  /**
   * Run the job on a schedule (EventBridge), e.g. `events.Schedule.cron({ hour: '3', minute: '0' })`.
   *
   * @default - no schedule
   */
  readonly schedule?: events.Schedule;
}

/** Defaults applied to the props. @internal */
export const RUNNER_DEFAULTS = {
  cpu: 1024,
  memoryLimitMiB: 2048,
  maxInterruptionRestarts: 3,
  stopTimeoutSeconds: 120,
  runTimeout: Duration.hours(1),
  checkpointExpiration: Duration.days(30),
};

/** Fargate stops containers at most this long after SIGTERM. */
export const MAX_STOP_TIMEOUT_SECONDS = 120;
/**
 * Upper bound on `taskCount`: the tasks are iterations of an inline Map state,
 * which runs at most 40 iterations at once (Step Functions developer guide,
 * "Using Map state in Inline mode"); more would queue instead of running side by side.
 */
export const MAX_TASK_COUNT = 40;
/** Upper bound on restarts, which keeps the execution's worst case bounded. */
export const MAX_INTERRUPTION_RESTARTS = 25;
/** Standard workflows run at most one year. */
const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;

/**
 * The platform in plain words, through aws-cdk-lib's public API only: its
 * classes keep the ECS value in an internal field, so a value is known by which
 * public constant it is. One made with `of(...)` cannot be read back: its
 * architecture fails the check (Fargate has a constant for each it runs), its
 * family is still known to be Windows or not.
 */
function jobPlatform(arch: ecs.CpuArchitecture, os: ecs.OperatingSystemFamily): JobPlatform {
  return {
    cpuArchitecture: constantName(ecs.CpuArchitecture, arch) ?? 'CpuArchitecture.of(...)',
    operatingSystemFamily: constantName(ecs.OperatingSystemFamily, os)
      ?? `a ${os.isWindows() ? 'Windows' : 'non-Windows'} OperatingSystemFamily.of(...)`,
    windows: os.isWindows(),
  };
}

/** The name of the static constant of `constants` that `value` is (`ARM64`, `LINUX`), if any. */
function constantName(constants: object, value: object): string | undefined {
  return Object.entries(constants).find(([, constant]) => constant === value)?.[0];
}

/** Every problem with the props, and the capacity plan. @internal */
export function runnerProblems(props: FargateSpotRunnerProps): { plan: CapacityPlan; problems: Problem[] } {
  const capacity = props.capacity ?? CapacityStrategy.spotWithOnDemandFallback();
  const plan = planCapacity(capacity, 'capacity');
  const problems: Problem[] = [...plan.problems];
  const os = props.operatingSystemFamily ?? ecs.OperatingSystemFamily.LINUX;
  problems.push(...platformProblems(jobPlatform(props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64, os), plan.usesSpot, 'capacity'));

  const cpu = props.cpu ?? RUNNER_DEFAULTS.cpu;
  const memory = props.memoryLimitMiB ?? RUNNER_DEFAULTS.memoryLimitMiB;
  if (!Token.isUnresolved(cpu) && !Token.isUnresolved(memory)) {
    problems.push(...taskSizeProblems(cpu, memory, os.isWindows()));
  }
  if (props.ephemeralStorageGiB !== undefined && !Token.isUnresolved(props.ephemeralStorageGiB)) {
    problems.push(...ephemeralStorageProblems(props.ephemeralStorageGiB));
  }

  if (props.stopTimeout && !Token.isUnresolved(props.stopTimeout.toSeconds({ integral: false }))) {
    const seconds = props.stopTimeout.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_STOP_TIMEOUT_SECONDS) {
      problems.push({
        property: 'stopTimeout',
        value: `${seconds} seconds`,
        reason: `Fargate waits at most ${MAX_STOP_TIMEOUT_SECONDS} seconds between SIGTERM and SIGKILL, and a Spot interruption gives no more`,
        fix: `use a whole number of seconds from 1 to ${MAX_STOP_TIMEOUT_SECONDS}, e.g. Duration.seconds(${MAX_STOP_TIMEOUT_SECONDS}) (the default)`,
      });
    }
  }

  const taskCount = props.taskCount ?? 1;
  // Not a token either: the split (one Map item per task) is built at synth.
  if (!Number.isInteger(taskCount) || taskCount < 1 || taskCount > MAX_TASK_COUNT) {
    problems.push({
      property: 'taskCount',
      value: Token.isUnresolved(taskCount) ? 'an unresolved token' : taskCount,
      reason: `must be a whole number from 1 to ${MAX_TASK_COUNT}, known at synth: the tasks of a job run as iterations of an inline Map state, which runs at most ${MAX_TASK_COUNT} at once`,
      fix: `split the job over 1 to ${MAX_TASK_COUNT} tasks, e.g. taskCount: 4; for more shards, give each task several (RUNNER_TASK_INDEX, RUNNER_TASK_INDEX + RUNNER_TASK_COUNT, ...)`,
    });
  }

  const restarts = props.maxInterruptionRestarts ?? RUNNER_DEFAULTS.maxInterruptionRestarts;
  if (!Number.isInteger(restarts) || restarts < 0 || restarts > MAX_INTERRUPTION_RESTARTS) {
    problems.push({
      property: 'maxInterruptionRestarts',
      value: restarts,
      reason: `must be a whole number from 0 to ${MAX_INTERRUPTION_RESTARTS}`,
      fix: 'use a small number such as 3; a job interrupted that often is better run on FARGATE',
    });
  }
  const runTimeout = props.runTimeout ?? RUNNER_DEFAULTS.runTimeout;
  if (!Token.isUnresolved(runTimeout.toSeconds({ integral: false }))) {
    const seconds = runTimeout.toSeconds({ integral: false });
    const worstCase = seconds * (Math.max(restarts, 0) + 2);
    if (!Number.isInteger(seconds) || seconds < 60 || worstCase > MAX_EXECUTION_SECONDS) {
      problems.push({
        property: 'runTimeout',
        value: `${seconds} seconds`,
        reason: 'must be whole seconds, at least one minute, and every run of a job (first, restarts, fallback) must fit one Step Functions execution (one year)',
        fix: 'give a duration such as Duration.hours(2), or fewer maxInterruptionRestarts',
      });
    }
  }

  if (!props.cluster && !props.vpc) {
    problems.push({ property: 'vpc', value: undefined, reason: 'the runner needs a network for its tasks', fix: 'give vpc (a cluster is created in it) or cluster' });
  }
  if (props.cluster && props.vpc && props.vpc !== props.cluster.vpc) {
    problems.push({ property: 'vpc', value: props.vpc.node.path, reason: "the tasks run in the given cluster's VPC", fix: 'drop vpc, or give a cluster of that VPC' });
  }
  if (props.cluster && props.containerInsights !== undefined) {
    problems.push({ property: 'containerInsights', value: props.containerInsights, reason: 'only applies to a cluster the runner creates', fix: 'set Container Insights on the cluster you pass, and drop containerInsights' });
  }
  if (props.securityGroups && props.httpsEgressOnly) {
    problems.push({ property: 'httpsEgressOnly', value: true, reason: 'only applies to the security group the runner creates', fix: 'restrict egress on your security groups, or drop securityGroups' });
  }

  const reserved = Object.values(RUNNER_ENVIRONMENT) as string[];
  for (const [property, names] of [['environment', Object.keys(props.environment ?? {})], ['secrets', Object.keys(props.secrets ?? {})]] as const) {
    for (const name of names.filter((n) => reserved.includes(n))) {
      problems.push({ property: `${property}.${name}`, value: name, reason: 'the runner sets this variable on every run', fix: `rename it; the runner's variables are ${reserved.join(', ')}` });
    }
  }

  if (props.useCheckpointWrapper) {
    if (!props.command || props.command.length === 0) {
      problems.push({ property: 'command', value: props.command, reason: "the checkpoint wrapper replaces the image's entrypoint and needs the command to run", fix: "give the job's command, e.g. ['python', 'train.py']" });
    }
    if (os.isWindows()) {
      problems.push({ property: 'useCheckpointWrapper', value: true, reason: 'the wrapper is a POSIX shell script', fix: 'handle SIGTERM-equivalent shutdown in the Windows job itself, and drop useCheckpointWrapper' });
    }
  }

  const encryption = props.checkpointEncryption ?? CheckpointEncryption.KMS;
  if (props.checkpointEncryptionKey && encryption !== CheckpointEncryption.KMS) {
    problems.push({ property: 'checkpointEncryptionKey', value: props.checkpointEncryptionKey.node.path, reason: 'a key is only used with CheckpointEncryption.KMS', fix: 'drop checkpointEncryptionKey, or set checkpointEncryption: CheckpointEncryption.KMS' });
  }
  if (props.autoDeleteObjects && props.removalPolicy !== RemovalPolicy.DESTROY) {
    problems.push({ property: 'autoDeleteObjects', value: true, reason: 'deleting the checkpoints only makes sense when the bucket itself is destroyed', fix: 'also set removalPolicy: RemovalPolicy.DESTROY, or drop autoDeleteObjects' });
  }
  if (props.externalCi) {
    problems.push(...gitHubTrustProblems(props.externalCi, 'externalCi'));
  }
  if (props.circleCi) {
    problems.push(...circleCiTrustProblems(props.circleCi, 'circleCi'));
  }
  if (props.createOidcProviders) {
    const toCreate = [props.externalCi, props.circleCi].filter((trust) => trust !== undefined && trust.providerArn === undefined);
    if (toCreate.length === 0) {
      problems.push({
        property: 'createOidcProviders',
        value: true,
        reason: 'there is no provider to create: it creates the OIDC provider of externalCi or circleCi, and neither is given without a providerArn',
        fix: 'give externalCi or circleCi (without providerArn), or drop createOidcProviders',
      });
    }
  }
  if (props.stateMachineName !== undefined && !Token.isUnresolved(props.stateMachineName) && !/^[A-Za-z0-9_-]{1,80}$/.test(props.stateMachineName)) {
    problems.push({
      property: 'stateMachineName',
      value: props.stateMachineName,
      reason: 'Step Functions names are 1 to 80 letters, digits, hyphens and underscores',
      fix: "use a name such as 'nightly-tests'",
    });
  }
  return { plan, problems };
}
