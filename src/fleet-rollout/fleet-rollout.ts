import { Annotations, ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FLEET_METRIC_NAMESPACE, MAP_RESULTS_PREFIX, RING_FILES_PREFIX } from './fleet-locations';
import { FleetRing } from './fleet-ring';
import { FleetRolloutProps } from './fleet-rollout-props';
import { PlannerFunction } from './planner-function';
import { fleetMonitoring } from './private/fleet-monitoring';
import { OnboardingPipe } from './private/onboarding-pipe';
import { onboardingDefinition, rolloutDefinition } from './private/rollout-definition';
import { ringSpecOf, rolloutProblems } from './private/rollout-problems';
import { RolloutWorkBucket } from './private/rollout-work-bucket';
import { roleWaitSchedule } from './tenant-record';
import { grantTableKey, ITenantRegistry } from './tenant-registry';
import { logsKeyStatement } from '../fargate-spot-runner/private/log-encryption';
import { DeploymentContract } from '../shared/deployment-contract';
import { HANDLER_RUNTIME } from '../shared/handler-runtime';
import { ANY_PARTITION, suppressLambdaBasicExecution, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { throwIfProblems } from '../shared/validation';

/** Tenants deployed at the same time per ring, unless the props say otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 5000;

/** Options of the per-ring tenant metrics. */
export interface FleetMetricOptions extends cloudwatch.MetricOptions {
  /** The release (the `version` of the rollout input). */
  readonly release: string;
  /** The ring's name. */
  readonly ring: string;
}

/**
 * Deploys one release to every active tenant of a {@link TenantRegistry}, ring
 * after ring, on Step Functions (Standard) in the tooling account. Each ring is
 * a Distributed Map whose child executions deploy one tenant each through
 * CloudFormation change sets, calling CloudFormation as the tenant's action
 * role (task `Credentials`), so no code runs in the hot path. The only Lambda
 * is the planner, called once per rollout: it validates the records, picks the
 * rings' tenants and writes them to S3.
 *
 * Tenants are data: the template does not grow with them, and a new or
 * re-activated tenant gets the last finished release by itself (a DynamoDB
 * stream and an EventBridge Pipe start the onboarding state machine, which
 * waits for the tenant's roles).
 *
 * Start a rollout with the release's template already in the contract's
 * artifact store of the rollout's region (one rollout per region: Step
 * Functions calls CloudFormation in its own region):
 * `aws stepfunctions start-execution --state-machine-arn <arn> --input
 * '{"release":{"version":"v42","templateKey":"fleet-releases/v42/template.json"}}'`,
 * or let a `CrossAccountPipeline` with `fleetRollout` publish the template and start it.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { DeploymentContract, FailureTolerance, FleetRing, FleetRollout, TenantRegistry } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * // One registry and one rollout per region, in the tooling account.
 * const tooling = new Stack(app, 'Fleet', { env: { account: '111111111111', region: 'us-east-1' } });
 * const registry = new TenantRegistry(tooling, 'Tenants');
 * new FleetRollout(tooling, 'Fleet', {
 *   contract,
 *   registry,
 *   applicationName: 'app',
 *   rings: [
 *     FleetRing.named('canary', { bakeTime: Duration.minutes(30) }),
 *     FleetRing.percent(1),
 *     FleetRing.percent(10, { approval: true, failureTolerance: FailureTolerance.percent(2) }),
 *     FleetRing.rest({ failureTolerance: FailureTolerance.percent(5) }),
 *   ],
 * });
 */
export class FleetRollout extends Construct {
  /** The state machine that rolls a release out to the fleet. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine that deploys the last release to one new tenant; undefined with `onboarding: false`. */
  public readonly onboardingStateMachine?: sfn.StateMachine;
  /** The role of both state machines: on the contract's pipeline role path, so tenant action roles trust it. */
  public readonly engineRole: iam.Role;
  /** The planner function (called once per rollout and per onboarding). */
  public readonly planner: lambda.IFunction;
  /** The bucket of ring files and map results. */
  public readonly workBucket: s3.IBucket;
  /** The key encrypting the work bucket, the topic, the dead-letter queue and the logs. */
  public readonly encryptionKey: kms.IKey;
  /** Where approval requests go; undefined when no ring asks for approval. */
  public readonly approvalTopic?: sns.ITopic;
  /** In alarm when a rollout stopped (failed, aborted or timed out). */
  public readonly rolloutStoppedAlarm: cloudwatch.Alarm;
  /** In alarm when an onboarding failed or a start landed in the dead-letter queue; undefined without onboarding. */
  public readonly onboardingFailedAlarm?: cloudwatch.Alarm;
  /** Rollouts, rings and tenants at a glance. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The registry the rollout reads. */
  public readonly registry: ITenantRegistry;
  /** The rings, in order. */
  public readonly rings: FleetRing[];

  private readonly contract: DeploymentContract;

  constructor(scope: Construct, id: string, props: FleetRolloutProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.contract = props.contract;
    this.registry = props.registry;
    this.rings = [...(props.rings ?? [FleetRing.rest()])];
    const maxConcurrency = props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    // Step Functions' SDK integrations call CloudFormation in the state machine's
    // own region, so a rollout serves the tenants of its region; a fleet in
    // several regions has one FleetRollout (and registry) per region.
    // https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html
    const regions = [stack.region];
    throwIfProblems(this, rolloutProblems(this, props, this.rings, maxConcurrency));

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const names = stateMachineNames(props.contract, props.applicationName);
    const logGroupNames = {
      rollout: `/aws/vendedlogs/states/${names.rollout}`,
      onboarding: `/aws/vendedlogs/states/${names.onboarding}`,
      planner: `/cdkx/${names.rollout}/planner`,
    };

    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the work files, approvals, dead letters and logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    key.addToResourcePolicy(logsKeyStatement(this, Object.values(logGroupNames)));
    this.encryptionKey = key;

    const work = new RolloutWorkBucket(this, 'Work', {
      encryptionKey: key, removalPolicy, autoDeleteObjects: props.autoDeleteObjects ?? false, expiration: Duration.days(90),
    });
    this.workBucket = work.bucket;

    const planner = new PlannerFunction(this, 'Planner', {
      description: `Plans the rings of ${this.node.path}: validates tenant records and writes each ring's tenants`,
      runtime: HANDLER_RUNTIME,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      // One rollout at a time per registry, onboardings are short: a few at once is plenty.
      reservedConcurrentExecutions: 10,
      logGroup: this.logGroup('PlannerLogs', logGroupNames.planner, key, removalPolicy),
      environment: {
        TABLE_NAME: props.registry.tableName,
        WORK_BUCKET: work.bucket.bucketName,
        QUALIFIER: props.contract.qualifier,
        TOOLING_ACCOUNT: props.contract.toolingAccount,
        PARTITION: Aws.PARTITION,
        URL_SUFFIX: Aws.URL_SUFFIX,
        STACK_NAME_PREFIX: props.contract.stackNamePrefix,
        APPLICATION_NAME: props.applicationName,
        ACTION_ROLE_NAME: props.contract.actionRoleName,
        EXECUTION_ROLE_NAME: props.contract.executionRoleName,
        REGIONS: JSON.stringify(regions),
        RINGS: JSON.stringify(this.rings.map(ringSpecOf)),
      },
    });
    this.planner = planner;
    this.grantPlanner(planner, work, key, regions);

    this.engineRole = new iam.Role(this, 'EngineRole', {
      description: `Runs the rollouts of ${this.node.path}; assumes the tenants' action roles`,
      // Tenant action roles trust the contract's pipeline role path.
      path: props.contract.pipelineRolePath,
      // Confused-deputy protection: only this account's state machines of these names.
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': Object.values(names).map((name) => stateMachineArn(stack, name)) },
      }),
    });
    this.approvalTopic = this.rings.some((ring) => ring.options.approval)
      ? props.approvalTopic ?? new sns.Topic(this, 'ApprovalTopic', { displayName: `Approvals of ${this.node.path}`, masterKey: key, enforceSSL: true })
      : undefined;

    const rolloutSchedule = roleWaitSchedule((props.rolloutRoleWaitWindow ?? Duration.minutes(10)).toSeconds());
    const onboardingSchedule = roleWaitSchedule((props.onboardingRoleWaitWindow ?? Duration.hours(24)).toSeconds());
    const common = {
      partition: Aws.PARTITION,
      tableName: props.registry.tableName,
      plannerFunctionArn: planner.functionArn,
      eventBusArn: defaultEventBusArn(stack),
      metricNamespace: FLEET_METRIC_NAMESPACE,
    };
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: names.rollout,
      role: this.engineRole,
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: { destination: this.logGroup('RolloutLogs', logGroupNames.rollout, key, removalPolicy), level: sfn.LogLevel.ALL, includeExecutionData: false },
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(rolloutDefinition({
        ...common,
        workBucketName: work.bucket.bucketName,
        approvalTopicArn: this.approvalTopic?.topicArn,
        maxConcurrency,
        rings: this.rings.map((ring) => ({
          name: ring.name,
          toleratedFailureCount: ring.options.failureTolerance?.failureCount,
          toleratedFailurePercentage: ring.options.failureTolerance?.failurePercentage,
          bakeSeconds: ring.options.bakeTime?.toSeconds() ?? 0,
          approval: ring.options.approval ?? false,
          approvalTimeoutSeconds: (ring.options.approvalTimeout ?? Duration.days(1)).toSeconds(),
        })),
        roleWaitSchedule: rolloutSchedule,
      }))),
    });

    if (props.onboarding ?? true) {
      this.onboardingStateMachine = new sfn.StateMachine(this, 'OnboardingStateMachine', {
        stateMachineName: names.onboarding,
        role: this.engineRole,
        stateMachineType: sfn.StateMachineType.STANDARD,
        tracingEnabled: true,
        logs: { destination: this.logGroup('OnboardingLogs', logGroupNames.onboarding, key, removalPolicy), level: sfn.LogLevel.ALL, includeExecutionData: false },
        definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(onboardingDefinition({ ...common, roleWaitSchedule: onboardingSchedule }))),
      });
      const pipe = new OnboardingPipe(this, 'Onboarding', {
        registry: props.registry, tableStreamArn: props.registry.tableStreamArn!, stateMachine: this.onboardingStateMachine, encryptionKey: key,
      });
      this.onboardingFailedAlarm = fleetMonitoring.onboardingAlarm(this, this.onboardingStateMachine, pipe.deadLetterQueue);
    }

    this.grantEngine(props, names, work, key);
    this.rolloutStoppedAlarm = fleetMonitoring.stoppedAlarm(this, this.stateMachine);
    this.dashboard = fleetMonitoring.dashboard(this, {
      stateMachine: this.stateMachine, onboarding: this.onboardingStateMachine, registryName: props.registry.tableName,
    });
    this.suppressFindings(planner);
    guardPolicySizes(this, {});
  }

  /**
   * Let a principal start rollouts, follow them and stop them (an operator, a
   * pipeline): `states:StartExecution` on the rollout state machine and
   * `DescribeExecution`, `StopExecution`, `RedriveExecution` on its executions.
   */
  public grantStartRollout(grantee: iam.IGrantable): iam.Grant {
    const start = iam.Grant.addToPrincipal({ grantee, actions: ['states:StartExecution'], resourceArns: [this.stateMachine.stateMachineArn] });
    return start.combine(this.stateMachine.grantExecution(grantee, 'states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution'));
  }

  /** Tenants of a ring that reached the release (reported after each ring). */
  public metricTenantsSucceeded(options: FleetMetricOptions): cloudwatch.Metric {
    return this.ringMetric('TenantsSucceeded', options);
  }

  /** Tenants of a ring whose deployment failed. */
  public metricTenantsFailed(options: FleetMetricOptions): cloudwatch.Metric {
    return this.ringMetric('TenantsFailed', options);
  }

  /** Tenants of a ring not finished when the ring ended (stopped with it). */
  public metricTenantsPending(options: FleetMetricOptions): cloudwatch.Metric {
    return this.ringMetric('TenantsPending', options);
  }

  /** Rollout duration: the state machine's execution time. */
  public metricRolloutDuration(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricTime(options);
  }

  private ringMetric(metricName: string, options: FleetMetricOptions): cloudwatch.Metric {
    const { release, ring, ...rest } = options;
    return new cloudwatch.Metric({
      namespace: FLEET_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Registry: this.registry.tableName, Release: release, Ring: ring },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...rest,
    });
  }

  private logGroup(id: string, logGroupName: string, key: kms.IKey, removalPolicy: RemovalPolicy): logs.LogGroup {
    return new logs.LogGroup(this, id, { logGroupName, encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR, removalPolicy });
  }

  /**
   * The planner reads and marks records, writes ring files, and checks that the
   * release is in every region's store (HeadObject; no key grant, so it cannot
   * read the artifacts' contents).
   */
  private grantPlanner(planner: lambda.Function, work: RolloutWorkBucket, key: kms.IKey, regions: string[]): void {
    const role = planner.role!;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadAndMarkTenantRecords',
      actions: ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [this.registry.tableArn],
    }));
    grantTableKey(this.registry, role);
    work.grantWriteRingFiles(role, key);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FindReleaseTemplates',
      actions: ['s3:GetObject'],
      resources: regions.map((region) => `arn:${Aws.PARTITION}:s3:::${this.contract.artifactBucketName(region)}/*`),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'TellMissingTemplatesFromForbidden',
      actions: ['s3:ListBucket'],
      resources: regions.map((region) => `arn:${Aws.PARTITION}:s3:::${this.contract.artifactBucketName(region)}`),
    }));
  }

  private grantEngine(props: FleetRolloutProps, names: StateMachineNames, work: RolloutWorkBucket, key: kms.IKey): void {
    const stack = Stack.of(this);
    const role = this.engineRole;
    role.addToPrincipalPolicy(this.assumeTenantRoles(props));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'LockPlanAndRecordResults',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [this.registry.tableArn],
    }));
    grantTableKey(this.registry, role);
    this.planner.grantInvoke(role);
    work.grantEngine(role, key);
    // Distributed Map: the parent starts child executions of its own state
    // machine and follows its map runs; the lock reads the holder's status.
    // https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunRingsAsDistributedMaps',
      actions: ['states:StartExecution'],
      resources: [stateMachineArn(stack, names.rollout)],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FollowChildrenAndLockHolders',
      actions: ['states:DescribeExecution', 'states:StopExecution'],
      resources: [executionArn(stack, `${names.rollout}/*`), executionArn(stack, `${names.rollout}:*`)],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CountRingResults',
      actions: ['states:DescribeMapRun'],
      resources: [stack.formatArn({ service: 'states', resource: 'mapRun', resourceName: `${names.rollout}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'AnnounceTenantResults',
      actions: ['events:PutEvents'],
      resources: [defaultEventBusArn(stack)],
    }));
    // PutMetricData has no resource; the namespace condition narrows it.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReportRingMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': FLEET_METRIC_NAMESPACE } },
    }));
    if (this.approvalTopic) {
      this.approvalTopic.grantPublish(role);
      key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    }
  }

  /**
   * The contract's action role in the organization's accounts (or the listed
   * ones), and no other role. The tenant side trusts the pipeline role path.
   */
  private assumeTenantRoles(props: FleetRolloutProps): iam.PolicyStatement {
    const roleIn = (account: string) => `arn:${Aws.PARTITION}:iam::${account}:role/${this.contract.actionRoleName}`;
    if (this.contract.organizationId) {
      return new iam.PolicyStatement({
        sid: 'AssumeTenantActionRoles',
        actions: ['sts:AssumeRole'],
        resources: [roleIn('*')],
        conditions: { StringEquals: { 'aws:ResourceOrgID': this.contract.organizationId } },
      });
    }
    if (props.tenantAccounts && props.tenantAccounts.length > 0) {
      return new iam.PolicyStatement({ sid: 'AssumeTenantActionRoles', actions: ['sts:AssumeRole'], resources: props.tenantAccounts.map(roleIn) });
    }
    Annotations.of(this).addWarningV2('cdk-cross-account-cicd:fleetAnyAccount',
      'The contract has no organizationId and no tenantAccounts are given: the engine may assume the contract\'s action role in any account. '
      + 'Give the DeploymentContract an organizationId, or list tenantAccounts.');
    return new iam.PolicyStatement({ sid: 'AssumeTenantActionRoles', actions: ['sts:AssumeRole'], resources: [roleIn('*')] });
  }

  private suppressFindings(planner: lambda.Function): void {
    // Exact findings, as cdk-nag 3 matches them (partitions as references or literals).
    const objects = (prefix: string) => ({ regex: `/^Resource::<.*WorkBucket[0-9A-F]{8}\\.Arn>\\/${prefix.replace(/\//g, '\\/')}\\*$/` });
    const stateMachineArns = { regex: `/^Resource::arn:${ANY_PARTITION}:states:[^:]+:[^:]+:(?:execution|mapRun):cdkx-[A-Za-z0-9-]+-rollout(?::|\\/)\\*$/` };
    suppressLambdaBasicExecution(planner.role!);
    suppressOnDefaultPolicy(planner.role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Ring files are per execution under rollouts/; release templates have free keys in the contract\'s store of this region (HeadObject, no key grant).',
      appliesTo: [objects(RING_FILES_PREFIX), { regex: `/^Resource::arn:${ANY_PARTITION}:s3:::cdkx-[a-z0-9-]+-artifacts-\\d{12}-[a-z0-9-]+\\/\\*$/` }],
    }]);
    suppressOnDefaultPolicy(this.engineRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Tenant action roles are data (any account of the organization, the contract\'s role name only); child executions, map runs and ring files have '
        + 'per-execution names; the planner is invoked by version; PutMetricData has no resource (narrowed to the namespace); X-Ray and log delivery take none; '
        + 'SNS publishes through the rollout key.',
      appliesTo: [
        'Resource::*',
        'Action::kms:GenerateDataKey*',
        objects(RING_FILES_PREFIX), objects(MAP_RESULTS_PREFIX),
        { regex: '/^Resource::<.*Planner[0-9A-F]{8}\\.Arn>:\\*$/' },
        { regex: `/^Resource::arn:${ANY_PARTITION}:iam::\\*:role\\/cdkx-[a-z0-9-]+-deploy-action$/` },
        stateMachineArns,
      ],
    }]);
  }
}

interface StateMachineNames {
  readonly rollout: string;
  readonly onboarding: string;
}

/** Fixed names: the engine's policy names its own state machine's ARNs without a reference cycle. */
export function stateMachineNames(contract: DeploymentContract, applicationName: string): StateMachineNames {
  const base = `cdkx-${contract.qualifier}-${applicationName}`;
  return { rollout: `${base}-rollout`, onboarding: `${base}-onboarding` };
}

function stateMachineArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

function executionArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'states', resource: 'execution', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

function defaultEventBusArn(stack: Stack): string {
  return stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
}
