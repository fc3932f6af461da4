import * as fs from 'fs';
import * as path from 'path';
import { Aws, Duration, NestedStack, Stack, Stage, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeploymentActionContext, deploymentKindProblems, IDeploymentKind, PipelineTarget } from './deployment-kind';
import { FleetHandoffStage, fleetHandoffProblems, FleetRolloutHandoff } from './fleet-handoff';
import { ActionFailedEventOptions, PipelineFailedAlarmOptions, StageFailedEventOptions } from './pipeline-monitoring';
import { PipelineSource, pipelineArnOf, renderS3Source, SOURCE_ARTIFACT } from './pipeline-source';
import { artifactFolder, buildFolderProblems, neighbourFolderMessages, NeighbourPipeline, unknownNameProblem } from './private/artifact-folder';
import { grantArtifactFolders } from './private/artifact-folder-grants';
import { assumeTargetActionRolesStatement } from './private/assume-target-roles';
import { ChainMonitoring } from './private/chain-monitoring';
import { ChainNotifications, LabelledTarget, notificationTargetProblems, NotifiedPipeline, warnIfApprovalTopicMissed } from './private/chain-notifications';
import { chainStages, TargetActions } from './private/failure-events';
import { partitionOf } from './private/partition';
import { regionalArtifactKeyArn } from './private/regional-artifact-key';
import {
  BUILD_STAGE_NAME, DEFAULT_LIMITS, HANDOFF_STAGE_NAME, isWholeIn, PlanLimits, PlannedPipeline, PlannedStage, planProblems, PlanStageInput,
  QUOTA_CEILING, RolloutPlan, planRollout, SOURCE_STAGE_NAME,
} from './rollout-plan';
import { renderRolloutMarkdown } from './rollout-report';
import { IArtifactStore } from '../artifact-store/artifact-store';
import { HANDOFF_FOLDER } from '../artifact-store/private/handoff-folder';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { anyPartition, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { artifactBucketNamePattern } from '../shared/naming';
import { PolicyQuota } from '../shared/policy-size';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { codePipelinePrincipal } from '../shared/service-principals';
import { Problem, throwIfProblems } from '../shared/validation';

/** The build: commands or a buildspec run in CodeBuild; its output is what every target receives. */
export interface PipelineBuildOptions {
  /** Build commands (ignored when `buildSpec` is given). @default - none */
  readonly commands?: string[];
  /** Install commands, run before `commands`. @default - none */
  readonly installCommands?: string[];
  /** A full buildspec instead of commands. @default - one made of installCommands and commands */
  readonly buildSpec?: codebuild.BuildSpec;
  /** Directory of the build output that targets receive. @default '.' */
  readonly outputDirectory?: string;
  /** Build image. @default codebuild.LinuxBuildImage.STANDARD_7_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** Compute type. @default codebuild.ComputeType.SMALL */
  readonly computeType?: codebuild.ComputeType;
  /** Environment variables from Secrets Manager: variable name -> secret name or ARN (optionally `:json-key`). @default - none */
  readonly secrets?: Record<string, string>;
  /** Environment variables from SSM Parameter Store: variable name -> parameter name. @default - none */
  readonly parameters?: Record<string, string>;
  /** Plain environment variables (never secrets). @default - none */
  readonly environment?: Record<string, string>;
  /** JUnit XML report files (globs) published to a CodeBuild report group. @default - no test reports */
  readonly testReportFiles?: string[];
  /** Cache the source and Docker layers on the build host between builds. @default true */
  readonly localCache?: boolean;
  /** Timeout of the build. @default Duration.minutes(60) */
  readonly timeout?: Duration;
}

/** A manual approval before a stage. */
export interface ApprovalOptions {
  /** How long the approval waits before the run fails. @default Duration.days(7) */
  readonly timeout?: Duration;
  /** Shown to the approver. @default - "Approve the release to <stage>" */
  readonly comment?: string;
}

/** A verification run in the tooling account after a stage: integration tests, a security scan. */
export interface PipelineStep {
  /** Action name (`[A-Za-z0-9.@_-]`, at most 100). */
  readonly name: string;
  /** Commands, run in CodeBuild on the released artifact. */
  readonly commands: string[];
  /** Build image. @default codebuild.LinuxBuildImage.STANDARD_7_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** Plain environment variables. @default - none */
  readonly environment?: Record<string, string>;
}

/** One stage of the rollout (Dev, Test, Prod, ...). */
export interface PipelineStageOptions {
  /** Stage name (letters, digits, `.@_-`). */
  readonly name: string;
  /** The targets, deployed in parallel waves. */
  readonly targets: PipelineTarget[];
  /** Ask for a manual approval before the first wave. @default - no approval */
  readonly approval?: ApprovalOptions;
  /** How this stage deploys. @default - the pipeline's deploymentKind */
  readonly deploymentKind?: IDeploymentKind;
  /** Steps run in parallel after the last wave of the stage; a failing step stops the release. @default - none */
  readonly verify?: PipelineStep[];
}

/** CodePipeline limits of the account (raise them when AWS raised your quotas). */
export interface PipelineLimits {
  /** Actions per CodePipeline stage. @default 50 */
  readonly actionsPerStage?: number;
  /** Stages per pipeline. @default 50 */
  readonly stagesPerPipeline?: number;
  /** Targets deployed at the same time. @default - as many as one stage holds */
  readonly waveSize?: number;
  /** Deploy actions in one pipeline (keeps its template under CloudFormation's 1 MB). @default 1000 */
  readonly maxActionsPerPipeline?: number;
}

/** Properties of a {@link CrossAccountPipeline}. */
export interface CrossAccountPipelineProps {
  /** The deployment contract the targets' TenantDeploymentRole roles follow. */
  readonly contract: DeploymentContract;
  /** The artifact store of the pipeline's region (from this account's ArtifactStore). */
  readonly artifactStore: IArtifactStore;
  /** Where the code comes from. */
  readonly source: PipelineSource;
  /**
   * How it is built. Without a build the pipeline has no Build stage and the
   * targets deploy the source artifact as it is (a template or bundle that
   * another system built and committed or uploaded).
   *
   * @default - no build: the source is deployed as it is
   */
  readonly buildOptions?: PipelineBuildOptions;
  /**
   * The stages, in order. With none, the pipeline only builds (Source and
   * Build): a build-only pipeline, which needs `buildOptions`.
   */
  readonly stages: PipelineStageOptions[];
  /**
   * How targets are deployed, unless a stage says otherwise.
   *
   * @default - none: every stage gives its own `deploymentKind` (a build-only pipeline needs none)
   */
  readonly deploymentKind?: IDeploymentKind;
  /** Name of the release pipeline; continuation pipelines append `-2`, `-3`, ... @default - '<qualifier>-<construct id>' */
  readonly pipelineName?: string;
  /** CodePipeline limits. @default - AWS defaults (50 stages, 50 actions per stage) */
  readonly limits?: PipelineLimits;
  /**
   * Pipeline events (started, failed, succeeded, approval needed) and approval
   * requests go here. Approval requests need an SNS topic: CodePipeline's
   * approval action publishes to SNS only.
   *
   * @default - no notifications
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * More targets of the pipeline events (started, failed, succeeded, approval
   * needed): AWS Chatbot Slack or Teams channels, SNS topics. They get the
   * "manual approval needed" event, but approval requests themselves go only to
   * `notificationTopic`. With `notificationTopic`, at most 10 targets in all
   * (a CodeStar notification rule's quota).
   *
   * @default - only notificationTopic
   */
  readonly notificationTargets?: notifications.INotificationRuleTarget[];
  /**
   * QUEUED (default) runs every release through every wave in order, one at a
   * time per stage, so no target is skipped and no stage mixes two releases.
   * SUPERSEDED lets a newer release overtake a waiting one (fewer deployments,
   * but targets of later waves may never see the older release).
   *
   * @default codepipeline.ExecutionMode.QUEUED
   */
  readonly executionMode?: codepipeline.ExecutionMode;
  /**
   * End the chain with a Fleet stage: the release is published to the store and
   * a fleet rollout deploys it to every active tenant of its registry, in rings;
   * the stage waits for the rollout. Fixed environments (dev, test) stay stages.
   * @default - no fleet rollout
   */
  readonly fleetRollout?: FleetRolloutHandoff;
}

/**
 * Largest share of a template one pipeline may take. CDK writes templates with
 * one-space indentation and CloudFormation reads at most 1 MB from S3; the rest
 * of the stack needs room too.
 */
const PIPELINE_TEMPLATE_BUDGET = 900_000;

/** CodePipeline allows action configuration values of at most 1,000 characters. */
const ACTION_CONFIGURATION_VALUE_LIMIT = 1000;

/** cdk-nag finding for the objects of the artifact bucket, whatever its logical id. */
const STORE_OBJECTS = { regex: '/^Resource::<.*Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/' };

/** Artifact names inside the pipelines. */
const BUILD_ARTIFACT = 'BuildOutput';
const APPROVAL_TIMEOUT_MAX = Duration.days(60);

/**
 * A release pipeline in the tooling account: source, build, then stages of
 * targets in other accounts and regions, deployed in parallel waves with
 * optional approvals. The build is optional (without `buildOptions` the
 * targets deploy the source as it is), and so are the stages (with none, the
 * pipeline only builds); a source without a trigger leaves the start to
 * another system, which `grantStart` lets in. When the targets need more than one pipeline can hold,
 * it becomes a chain of pipelines (the later ones in nested stacks), each fed
 * the released artifact by the one before, all within CodePipeline's quotas.
 *
 * The pipeline role reaches every target through one constant-size statement
 * (the contract's action role name, narrowed to the organization or the
 * target accounts), never one statement per target.
 *
 * Deploy order: the ArtifactStore of every region the targets are in, then
 * each target's TenantDeploymentRole, then the pipeline stack. CodePipeline
 * checks, when it creates or updates a pipeline, that the pipeline role can
 * assume every action role; and the pipeline stack looks up, at deploy time,
 * the key ARN of the store of each other region (CodePipeline needs the key
 * ARN there, not its alias). For fleets of tenants whose roles arrive over
 * time, use a fleet rollout (planned) instead, which has no such coupling.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import {
 *   ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource,
 * } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * const tooling = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
 * const store = new ArtifactStore(tooling, 'ArtifactStore', { contract });
 * new CrossAccountPipeline(tooling, 'Release', {
 *   contract,
 *   artifactStore: store,
 *   source: PipelineSource.connection({
 *     connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d',
 *     repository: 'acme/shop',
 *     branch: 'main',
 *   }),
 *   buildOptions: { commands: ['npm ci', 'npx cdk synth -o dist'], outputDirectory: 'dist' },
 *   deploymentKind: DeploymentKind.cloudFormation({ stackName: 'shop-app', templatePath: 'ShopApp.template.json' }),
 *   stages: [
 *     { name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] },
 *     // The tenants' roles (TenantDeploymentRole) must exist before this pipeline is created.
 *     { name: 'Prod', approval: {}, targets: [{ id: 'acme', account: '333333333333', region: 'us-east-1' }] },
 *   ],
 * });
 * app.synth();
 */
export class CrossAccountPipeline extends Construct {
  /** The role every pipeline of the chain runs as (on the contract's pipeline path). */
  public readonly pipelineRole: iam.Role;
  /** The project that builds the release; undefined for a pipeline without `buildOptions`. */
  public readonly buildProject?: codebuild.PipelineProject;
  /** Names of the pipelines, release pipeline first. */
  public readonly pipelineNames: string[];
  /**
   * The pipelines, release pipeline first (the later ones live in nested
   * stacks): for `onStateChange`, `notifyOn...` and the rest of `IPipeline`.
   * Rules and notifications made on one of them live next to it and wait for it.
   */
  public readonly pipelines: codepipeline.IPipeline[] = [];
  /** The rollout as Markdown (Mermaid diagram and table), also written next to the synthesized templates. */
  public readonly rolloutReport: string;

  private readonly plan: RolloutPlan;
  /** The partition of the pipeline's region: literal when aws-cdk-lib's RegionInfo knows the region, else `Aws.PARTITION`. */
  private readonly partition: string;
  /** The kind of each stage; undefined (refused at synth) when neither the stage nor the pipeline gives one. */
  private readonly stageKinds = new Map<string, IDeploymentKind | undefined>();
  private readonly approvals = new Map<string, ApprovalOptions>();
  /** CodeBuild projects of each stage's verification steps. */
  private readonly fleetHandoff?: FleetHandoffStage;
  private readonly verifySteps = new Map<string, Array<{ step: PipelineStep; project: codebuild.PipelineProject }>>();
  /** Where each target was declared, for error messages (`stages[1].targets[4]`). */
  private readonly targetPaths = new Map<string, string>();
  /** The CodePipeline stage and actions that deploy each target, for failure rules. */
  private readonly targetActions = new Map<string, TargetActions>();
  private readonly notifiedPipelines: NotifiedPipeline[] = [];
  private readonly notifications: ChainNotifications;
  private readonly monitoring: ChainMonitoring;

  constructor(scope: Construct, id: string, private readonly props: CrossAccountPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.partition = partitionOf(stack.region);
    props.stages.forEach((stage, i) => stage.targets.forEach((t, j) => this.targetPaths.set(t.id, `stages[${i}].targets[${j}]`)));
    for (const stage of props.stages) {
      this.stageKinds.set(stage.name, stage.deploymentKind ?? props.deploymentKind);
      if (stage.approval) this.approvals.set(stage.name, stage.approval);
    }
    const limits = this.effectiveLimits();
    throwIfProblems(this, [...limits.problems, ...this.inputProblems(limits.limits)]);
    if (props.fleetRollout) throwIfProblems(this, fleetHandoffProblems(this, props.fleetRollout));
    this.plan = planRollout(planInput(props.stages), limits.limits, {
      build: props.buildOptions !== undefined,
      fleet: props.fleetRollout !== undefined,
    });

    const baseName = props.pipelineName ?? `${props.contract.qualifier}-${id}`;
    this.pipelineNames = this.plan.pipelines.map((p) => (p.index === 0 ? baseName : `${baseName}-${p.index + 1}`));

    this.pipelineRole = new iam.Role(this, 'PipelineRole', {
      path: props.contract.pipelineRolePath,
      // This pipeline and its continuations (`<name>-2`, ...) of the chain.
      assumedBy: codePipelinePrincipal(stack.account, [
        `arn:${this.partition}:codepipeline:${stack.region}:${stack.account}:${baseName}`,
        `arn:${this.partition}:codepipeline:${stack.region}:${stack.account}:${baseName}-*`,
      ]),
      description: `Runs the pipelines of ${baseName}; may assume the contract's action role in the targets`,
    });
    this.grantPipelineRole();
    // Only a build runs repository code with write access to the store: its folder grants and checks come with it.
    this.buildProject = props.buildOptions ? this.createBuildProject(props.buildOptions) : undefined;
    this.createVerifyProjects();
    this.fleetHandoff = props.fleetRollout ? new FleetHandoffStage(this, 'FleetHandoff', props.fleetRollout, {
      contract: props.contract,
      store: props.artifactStore,
      pipelineRole: this.pipelineRole,
      readFolders: this.plan.pipelines.filter((p) => p.stages.some((s) => s.kind === 'fleet')).map((p) => artifactFolder(this.pipelineNames[p.index])),
    }) : undefined;
    for (const kind of new Set(this.stageKinds.values())) {
      kind!.bind(this, {
        pipelineRole: this.pipelineRole, contract: props.contract, targetAccounts: this.targetAccounts(), artifactStore: props.artifactStore,
      });
    }

    const problems: Problem[] = [];
    this.plan.pipelines.forEach((planned) => {
      const pipelineScope = planned.index === 0 ? this : new NestedStack(this, `Pipeline${planned.index + 1}`, {
        description: `Pipeline ${planned.index + 1} of ${this.plan.pipelines.length} of ${baseName}`,
      });
      problems.push(...this.renderPipeline(pipelineScope, planned));
    });
    throwIfProblems(this, problems);
    this.notifications = new ChainNotifications(this.notifiedPipelines);
    for (const target of this.givenNotificationTargets()) this.addLabelledNotificationTarget(target);
    this.monitoring = new ChainMonitoring(this, {
      pipelineNames: this.pipelineNames,
      pipelineArns: this.pipelines.map((p) => p.pipelineArn),
      stages: chainStages(this.plan),
      targets: this.targetActions,
    });

    this.rolloutReport = renderRolloutMarkdown(this.plan, { title: `Rollout of ${baseName}`, homeRegion: stack.region });
    this.writeReport(baseName, stack);
    this.suppressExpectedNagFindings();
    const listsAccounts = 'give the DeploymentContract an organizationId, so the pipeline role does not list target accounts (15 bytes each)';
    guardPolicySizes(this, {
      [PolicyQuota.IAM_ROLE_INLINE_POLICIES]: listsAccounts,
      [PolicyQuota.IAM_MANAGED_POLICY]: listsAccounts,
      [PolicyQuota.MANAGED_POLICIES_PER_ROLE]: listsAccounts,
    });
  }

  /**
   * Sends the pipeline events (started, failed, succeeded, approval needed) of
   * every pipeline of the chain to one more target, such as an AWS Chatbot
   * Slack channel, as `notificationTargets` does.
   */
  public addNotificationTarget(target: notifications.INotificationRuleTarget): void {
    const entry = { property: 'addNotificationTarget(target)', target };
    throwIfProblems(this, notificationTargetProblems(this.notifications.targets, [entry]));
    this.addLabelledNotificationTarget(entry);
  }

  /**
   * A rule for failed executions of any pipeline of the chain (a rejected
   * approval fails the execution too).
   */
  public onPipelineFailed(id: string, options?: events.OnEventOptions): events.Rule {
    return this.monitoring.onPipelineFailed(id, options);
  }

  /** A rule for failed stages of any pipeline of the chain, or of one stage of `stages` wherever its waves landed. */
  public onStageFailed(id: string, options?: StageFailedEventOptions): events.Rule {
    return this.monitoring.onStageFailed(id, options);
  }

  /** A rule for failed actions of any pipeline of the chain, of one stage, or of the deployment of one target. */
  public onActionFailed(id: string, options?: ActionFailedEventOptions): events.Rule {
    return this.monitoring.onActionFailed(id, options);
  }

  /**
   * Failed executions of the whole chain: the `AWS/Events` `TriggeredRules`
   * metric (sum over 5 minutes) of one EventBridge rule that matches a failed
   * execution of any of its pipelines, made on first use (construct id
   * `FailedExecutions`). CodePipeline's own `FailedPipelineExecutions` metric
   * is per pipeline, and counts each retry of a failed action again.
   */
  public metricPipelineFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricPipelineFailed(props);
  }

  /**
   * An alarm that goes off when an execution of any pipeline of the chain
   * fails, and returns to OK after a period without failures (no data is not
   * breaching). Add its actions with `alarm.addAlarmAction(...)`.
   */
  public alarmOnPipelineFailed(id: string, options?: PipelineFailedAlarmOptions): cloudwatch.Alarm {
    return this.monitoring.alarmOnPipelineFailed(id, options);
  }

  /**
   * Lets `grantee` start the release pipeline (another system that decides
   * when to release: an orchestrator, a scheduler, a deployment database):
   * `codepipeline:StartPipelineExecution` on the ARN of the first pipeline of
   * the chain, nothing else. The later pipelines of a chain start from the
   * release pipeline's handoffs.
   */
  public grantStart(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['codepipeline:StartPipelineExecution'],
      resourceArns: [this.pipelines[0].pipelineArn],
    });
  }

  /** notificationTopic first, then notificationTargets, as the user gave them. */
  private givenNotificationTargets(): LabelledTarget[] {
    const topic = this.props.notificationTopic;
    return [
      ...(topic ? [{ property: 'notificationTopic', target: topic }] : []),
      ...(this.props.notificationTargets ?? []).map((target, i) => ({ property: `notificationTargets[${i}]`, target })),
    ];
  }

  private addLabelledNotificationTarget(entry: LabelledTarget): void {
    warnIfApprovalTopicMissed(this, entry, this.approvals.size > 0, this.props.notificationTopic !== undefined);
    this.notifications.add(entry);
  }

  private targetAccounts(): string[] {
    return this.props.stages.flatMap((s) => s.targets.map((t) => t.account));
  }

  /**
   * Limits in targets: a kind with several actions per target gets fewer
   * targets per stage. A value that is no valid number of actions goes to the
   * plan as given, which reports it with that value; a valid one too small for
   * one target of the kind is reported here. Either way, one problem per value.
   */
  private effectiveLimits(): { limits: PlanLimits; problems: Problem[] } {
    const given = this.props.limits ?? {};
    const stages = this.props.stages.map((stage) => ({ stage: stage.name, actions: this.stageKinds.get(stage.name)?.actionsPerTarget ?? 1 }));
    const widest = stages.reduce((a, b) => (b.actions > a.actions ? b : a), { stage: '', actions: 1 });
    const actionsPerTarget = widest.actions;
    const problems: Problem[] = [];
    const perTarget = (property: string, actions: number, max: number): number => {
      if (!isWholeIn(actions, 1, max)) return actions;
      if (actions < actionsPerTarget) {
        problems.push({
          property: `limits.${property}`,
          value: actions,
          reason: `the deployment kind of stage '${widest.stage}' renders ${actionsPerTarget} actions per target, ` +
            `more than ${property === 'actionsPerStage' ? 'one CodePipeline stage' : 'one pipeline'} of ${actions} action${actions === 1 ? '' : 's'} holds`,
          fix: `set ${property} to ${actionsPerTarget} or more`,
        });
        return 1;
      }
      return Math.floor(actions / actionsPerTarget);
    };
    const actionsPerStage = given.actionsPerStage ?? DEFAULT_LIMITS.actionsPerStage;
    const targetsPerStage = perTarget('actionsPerStage', actionsPerStage, QUOTA_CEILING);
    let waveSize = given.waveSize ?? (isWholeIn(actionsPerStage, 1, QUOTA_CEILING) ? targetsPerStage : DEFAULT_LIMITS.waveSize);
    const kindOfStage = `the deployment kind of stage '${widest.stage}' renders ${actionsPerTarget} actions per target`;
    // With several actions per target the plan would speak of targets where the user wrote actions: said here instead.
    const waveValid = isWholeIn(waveSize, 1, Infinity);
    if (actionsPerTarget > 1 && waveValid && isWholeIn(actionsPerStage, actionsPerTarget, QUOTA_CEILING) && waveSize > targetsPerStage) {
      problems.push({
        property: 'limits.waveSize',
        value: waveSize,
        reason: `a wave is one CodePipeline stage of at most actionsPerStage (${actionsPerStage}) actions, and ${kindOfStage}: ${targetsPerStage} targets`,
        fix: `set waveSize to ${targetsPerStage} or less, or raise actionsPerStage if the account's quota allows`,
      });
      waveSize = targetsPerStage;
    }
    const maxActions = given.maxActionsPerPipeline ?? DEFAULT_LIMITS.maxActionsPerPipeline;
    let maxTargets = perTarget('maxActionsPerPipeline', maxActions, Infinity);
    if (actionsPerTarget > 1 && waveValid && isWholeIn(maxActions, actionsPerTarget, Infinity) && maxTargets < waveSize) {
      problems.push({
        property: 'limits.maxActionsPerPipeline',
        value: maxActions,
        reason: `one wave of ${waveSize} targets is ${waveSize * actionsPerTarget} actions (${kindOfStage}), more than one pipeline would hold`,
        fix: `set maxActionsPerPipeline to ${waveSize * actionsPerTarget} or more (default ${DEFAULT_LIMITS.maxActionsPerPipeline})`,
      });
      maxTargets = waveSize;
    }
    return {
      problems,
      limits: {
        stagesPerPipeline: given.stagesPerPipeline ?? DEFAULT_LIMITS.stagesPerPipeline,
        actionsPerStage: targetsPerStage,
        waveSize,
        maxActionsPerPipeline: maxTargets,
      },
    };
  }

  private inputProblems(limits: PlanLimits): Problem[] {
    const props = this.props;
    const problems = [
      ...contractProblems(props.contract),
      ...props.source._problems('source'),
      ...planProblems(planInput(props.stages), limits, { build: props.buildOptions !== undefined }),
      ...notificationTargetProblems([], this.givenNotificationTargets()),
    ];
    const name = props.pipelineName;
    if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9.@_-]{1,90}$/.test(name)) {
      problems.push({
        property: 'pipelineName',
        value: name,
        reason: 'a pipeline name holds letters, digits and .@_- (CodePipeline allows 100; 10 are kept for the -2, -3 ... of chained pipelines)',
        fix: "use a name such as 'shop-release'",
      });
    }
    if (Token.isUnresolved(Stack.of(this).region)) {
      problems.push({
        property: 'scope',
        value: Stack.of(this).stackName,
        reason: 'the pipeline needs a concrete region to place artifact stores for cross-region targets',
        fix: 'give the tooling stack an env with account and region',
      });
    }
    props.stages.forEach((stage, i) => {
      const kind = this.stageKinds.get(stage.name);
      if (!kind) {
        problems.push({
          property: `stages[${i}].deploymentKind`,
          value: undefined,
          reason: `neither stage '${stage.name}' nor the pipeline says how its targets are deployed`,
          fix: 'give the pipeline a deploymentKind, or the stage its own, for example DeploymentKind.cloudFormation({ ... })',
        });
        return;
      }
      problems.push(...deploymentKindProblems(kind, props.contract, stage.deploymentKind ? `stages[${i}].deploymentKind` : 'deploymentKind'));
      stage.targets.forEach((target, j) => {
        for (const required of kind.requiredParameters) {
          if (target.parameters?.[required] === undefined) {
            problems.push({
              property: `stages[${i}].targets[${j}].parameters`,
              value: target.parameters ?? {},
              reason: `the deployment kind of stage '${stage.name}' needs parameter '${required}', which target '${target.id}' lacks`,
              fix: `add '${required}' to the parameters of target '${target.id}'`,
            });
          }
        }
      });
      const stepNames = new Set<string>();
      (stage.verify ?? []).forEach((step, j) => {
        if (!/^[A-Za-z0-9.@_-]{1,100}$/.test(step.name) || stepNames.has(step.name)) {
          problems.push({
            property: `stages[${i}].verify[${j}].name`,
            value: step.name,
            reason: 'a step name becomes a CodePipeline action name: 1 to 100 letters, digits or .@_-, unique within the stage',
            fix: "use a name such as 'IntegrationTests'",
          });
        }
        stepNames.add(step.name);
      });
      const timeout = stage.approval?.timeout;
      const outOfRange = (t: Duration) => t.toMinutes({ integral: false }) < 5 || t.toSeconds() > APPROVAL_TIMEOUT_MAX.toSeconds();
      if (timeout && !Token.isUnresolved(timeout.toSeconds()) && outOfRange(timeout)) {
        problems.push({
          property: `stages[${i}].approval.timeout`,
          value: `${timeout.toMinutes({ integral: false })} minutes`,
          reason: 'a manual approval times out after 5 minutes to 60 days',
          fix: 'choose a timeout between Duration.minutes(5) and Duration.days(60)',
        });
      }
    });
    return problems;
  }

  /** Constant-size statements: adding a target adds nothing, or one account id without an organization. */
  private grantPipelineRole(): void {
    const contract = this.props.contract;
    this.pipelineRole.addToPrincipalPolicy(assumeTargetActionRolesStatement(contract, this.targetAccounts()));
    // The stores of every region, found by the contract's names (the pipeline
    // replicates artifacts to the regions of its targets).
    const bucketPattern = artifactBucketNamePattern(contract.qualifier, contract.toolingAccount);
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadWriteArtifacts',
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:GetBucketVersioning', 's3:GetBucketLocation', 's3:ListBucket'],
      resources: [`arn:${Aws.PARTITION}:s3:::${bucketPattern}`, `arn:${Aws.PARTITION}:s3:::${bucketPattern}/*`],
    }));
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'UseArtifactKeys',
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
      resources: [`arn:${Aws.PARTITION}:kms:*:${contract.toolingAccount}:key/*`],
      conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': contract.artifactKeyAliasName } },
    }));
    this.props.artifactStore.grantReadWrite(this.pipelineRole);
    const topic = this.props.notificationTopic;
    if (topic && this.approvals.size > 0) {
      // Spelled out: grantPublish would add wildcard KMS actions for an encrypted topic.
      this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'RequestApprovals', actions: ['sns:Publish'], resources: [topic.topicArn],
      }));
      if (topic.masterKey) {
        this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
          sid: 'EncryptApprovalRequests', actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [topic.masterKey.keyArn],
        }));
      }
    }
  }

  private createBuildProject(build: PipelineBuildOptions): codebuild.PipelineProject {
    const reportGroup = build.testReportFiles?.length ? new codebuild.ReportGroup(this, 'TestReports', {
      type: codebuild.ReportGroupType.TEST,
    }) : undefined;
    const buildSpec = build.buildSpec ?? codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: {
        ...(build.installCommands?.length ? { install: { commands: build.installCommands } } : {}),
        build: { commands: build.commands ?? [] },
      },
      artifacts: { 'base-directory': build.outputDirectory ?? '.', 'files': ['**/*'] },
      ...(reportGroup ? {
        reports: { [reportGroup.reportGroupArn]: { 'files': build.testReportFiles, 'file-format': 'JUNITXML' } },
      } : {}),
    });
    const variables = (values: Record<string, string> | undefined, type: codebuild.BuildEnvironmentVariableType) =>
      Object.fromEntries(Object.entries(values ?? {}).map(([name, value]) => [name, { value, type }]));
    const environmentVariables: Record<string, codebuild.BuildEnvironmentVariable> = {
      ...variables(build.environment, codebuild.BuildEnvironmentVariableType.PLAINTEXT),
      ...variables(build.secrets, codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER),
      ...variables(build.parameters, codebuild.BuildEnvironmentVariableType.PARAMETER_STORE),
    };
    const project = new codebuild.PipelineProject(this, 'Build', {
      description: 'Builds and tests the release that every target receives',
      buildSpec,
      encryptionKey: this.props.artifactStore.encryptionKey,
      environment: {
        buildImage: build.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0,
        computeType: build.computeType ?? codebuild.ComputeType.SMALL,
      },
      environmentVariables,
      timeout: build.timeout ?? Duration.minutes(60),
      cache: build.localCache === false ? undefined : codebuild.Cache.local(codebuild.LocalCacheMode.SOURCE, codebuild.LocalCacheMode.DOCKER_LAYER),
    });
    reportGroup?.grantWrite(project);
    // The build runs repository code: it writes only its own pipeline's folder,
    // never a handoff (the bucket policy keeps those for pipeline roles) nor
    // another pipeline's artifacts, and lists nothing.
    const release = this.pipelineNames[0];
    throwIfProblems(this, Token.isUnresolved(release) ? [unknownNameProblem(release)] : buildFolderProblems(this.pipelineNames, HANDOFF_FOLDER));
    this.node.addValidation({ validate: () => neighbourFolderMessages(release, this.neighbourPipelines()) });
    grantArtifactFolders(project, this.props.artifactStore, [artifactFolder(release)], { write: true });
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunBuildProject',
      actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
      resources: [project.projectArn],
    }));
    return project;
  }

  private createVerifyProjects(): void {
    this.props.stages.forEach((stage, i) => {
      const steps = (stage.verify ?? []).map((step, j) => {
        const project = new codebuild.PipelineProject(this, `Verify${i}Step${j}`, {
          description: `Verification '${step.name}' after stage ${stage.name}`,
          encryptionKey: this.props.artifactStore.encryptionKey,
          environment: { buildImage: step.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0 },
          environmentVariables: Object.fromEntries(Object.entries(step.environment ?? {}).map(([name, value]) => [name, { value }])),
          buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: step.commands } } }),
        });
        // Repository code too: it reads the release it verifies, in the folders of the pipelines its stage landed in.
        grantArtifactFolders(project, this.props.artifactStore, this.verifyFolders(stage.name), { write: false });
        this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
          actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
          resources: [project.projectArn],
        }));
        this.suppressBuildRoleFindings(project);
        return { step, project };
      });
      if (steps.length > 0) this.verifySteps.set(stage.name, steps);
    });
  }

  private renderPipeline(scope: Construct, planned: PlannedPipeline): Problem[] {
    const name = this.pipelineNames[planned.index];
    const pipelineArn = pipelineArnOf(name);
    // Without a build, the targets deploy the source as it is.
    const inputArtifact = planned.index === 0 && this.buildProject ? BUILD_ARTIFACT : SOURCE_ARTIFACT;
    const stages: codepipeline.CfnPipeline.StageDeclarationProperty[] = [];
    const problems: Problem[] = [];
    let trigger: codepipeline.CfnPipeline.PipelineTriggerDeclarationProperty | undefined;

    if (planned.index === 0) {
      const source = this.props.source._render(scope, this.pipelineRole, name);
      trigger = source.trigger;
      stages.push({ name: SOURCE_STAGE_NAME, actions: [source.action] });
      if (this.buildProject) {
        stages.push({
          name: BUILD_STAGE_NAME,
          actions: [{
            name: 'Build',
            actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
            configuration: { ProjectName: this.buildProject.projectName },
            inputArtifacts: [{ name: SOURCE_ARTIFACT }],
            outputArtifacts: [{ name: BUILD_ARTIFACT }],
            runOrder: 1,
          }],
        });
      }
    } else {
      const source = renderS3Source(scope, this.pipelineRole, name, this.props.artifactStore.bucket.bucketName,
        this.handoffKey(planned.index), () => { /* the pipeline role reads the store through its own statements */ });
      stages.push({ name: SOURCE_STAGE_NAME, actions: [source.action] });
    }

    const regions = new Set<string>([Stack.of(this).region]);
    for (const stage of planned.stages) {
      stages.push(this.renderStage(stage, inputArtifact, regions, problems));
    }
    if (planned.handsOff) {
      stages.push({
        name: HANDOFF_STAGE_NAME,
        actions: [{
          name: 'ToNextPipeline',
          actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'S3', version: '1' },
          configuration: {
            BucketName: this.props.artifactStore.bucket.bucketName,
            ObjectKey: this.handoffKey(planned.index + 1),
            Extract: 'false',
            KMSEncryptionKeyARN: this.props.artifactStore.encryptionKey.keyArn,
          },
          inputArtifacts: [{ name: inputArtifact }],
          runOrder: 1,
        }],
      });
    }

    const pipeline = new codepipeline.CfnPipeline(scope, 'Pipeline', {
      name,
      roleArn: this.pipelineRole.roleArn,
      pipelineType: 'V2',
      executionMode: this.props.executionMode ?? codepipeline.ExecutionMode.QUEUED,
      restartExecutionOnUpdate: false,
      artifactStores: [...regions].sort().map((region) => ({
        region,
        artifactStore: this.artifactStoreIn(region),
      })),
      stages,
      triggers: trigger ? [trigger] : undefined,
    });
    // The role's policy must be in place before CodePipeline validates the stages.
    const rolePolicy = this.pipelineRole.node.tryFindChild('DefaultPolicy');
    if (rolePolicy) pipeline.node.addDependency(rolePolicy);
    pipeline.node.addValidation({ validate: () => templateSizeProblems(pipeline, name) });
    this.notifiedPipelines.push({ scope, resource: pipeline, arn: pipelineArn });
    // By a literal ARN, so the imported pipeline knows its name; what users make on it waits for the pipeline.
    const stack = Stack.of(this);
    const handle = codepipeline.Pipeline.fromPipelineArn(scope, 'PipelineRef',
      `arn:${this.partition}:codepipeline:${stack.region}:${stack.account}:${name}`);
    handle.node.addDependency(pipeline);
    this.pipelines.push(handle);
    return problems;
  }

  private renderStage(
    stage: PlannedStage, inputArtifact: string, regions: Set<string>, problems: Problem[],
  ): codepipeline.CfnPipeline.StageDeclarationProperty {
    if (stage.kind === 'verify') {
      return {
        name: stage.stageName,
        actions: (this.verifySteps.get(stage.userStage) ?? []).map(({ step, project }) => ({
          name: step.name,
          actionTypeId: { category: 'Test', owner: 'AWS', provider: 'CodeBuild', version: '1' },
          configuration: { ProjectName: project.projectName },
          inputArtifacts: [{ name: inputArtifact }],
          runOrder: 1,
        })),
      };
    }
    if (stage.kind === 'fleet') {
      return this.fleetHandoff!.render(stage.stageName, inputArtifact);
    }
    if (stage.kind === 'approval') {
      const options = this.approvals.get(stage.userStage) ?? {};
      return {
        name: stage.stageName,
        actions: [{
          name: 'Approve',
          actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
          configuration: {
            CustomData: options.comment ?? `Approve the release to ${stage.userStage}`,
            ...(this.props.notificationTopic ? { NotificationArn: this.props.notificationTopic.topicArn } : {}),
          },
          timeoutInMinutes: (options.timeout ?? Duration.days(7)).toMinutes(),
          runOrder: 1,
        }],
      };
    }
    const kind = this.stageKinds.get(stage.userStage)!;
    const actions = stage.targets.flatMap((target) => {
      const context: DeploymentActionContext = {
        target,
        contract: this.props.contract,
        inputArtifactName: inputArtifact,
        // Literal ARNs: thousands of them, and Fn::Join of the partition would triple their size.
        actionRoleArn: `arn:${this.partition}:iam::${target.account}:role/${this.props.contract.actionRoleName}`,
        executionRoleArn: `arn:${this.partition}:iam::${target.account}:role/${this.props.contract.executionRoleName}`,
      };
      const actionNames: string[] = [];
      this.targetActions.set(target.id, { userStage: stage.userStage, stage: stage.stageName, actions: actionNames });
      return kind.renderActions(context).map((action) => {
        const actionName = `${target.id}${action.nameSuffix ?? ''}`;
        actionNames.push(actionName);
        problems.push(...this.actionProblems(target, actionName, action.configuration));
        const inTargetRegion = action.inTargetRegion ?? true;
        if (inTargetRegion) regions.add(target.region);
        return {
          name: actionName,
          actionTypeId: { category: action.category, owner: action.owner ?? 'AWS', provider: action.provider, version: action.version ?? '1' },
          configuration: action.configuration,
          inputArtifacts: [{ name: inputArtifact }],
          roleArn: action.runAsPipelineRole ? undefined : action.roleArn ?? context.actionRoleArn,
          region: inTargetRegion ? target.region : Stack.of(this).region,
          runOrder: action.runOrder ?? 1,
        };
      });
    });
    return { name: stage.stageName, actions };
  }

  /** CodePipeline's limits on what a kind rendered: names of 100, configuration values of 1,000 characters. */
  private actionProblems(target: PipelineTarget, actionName: string, configuration: Record<string, unknown>): Problem[] {
    const where = `${this.targetPaths.get(target.id)}`;
    const problems: Problem[] = [];
    if (actionName.length > 100) {
      problems.push({
        property: `${where}.id`,
        value: target.id,
        reason: `the deployment kind names its action '${actionName}', over CodePipeline's limit of 100 characters`,
        fix: `shorten the target id to ${100 - (actionName.length - target.id.length)} characters or less`,
      });
    }
    for (const [key, value] of Object.entries(configuration)) {
      if (typeof value === 'string' && !Token.isUnresolved(value) && value.length > ACTION_CONFIGURATION_VALUE_LIMIT) {
        problems.push({
          property: `${where}.parameters`,
          value: `${key}: ${value.length} characters`,
          reason: `with the deployment kind's own values, target '${target.id}' makes action configuration ${key} longer than CodePipeline's limit of ${ACTION_CONFIGURATION_VALUE_LIMIT} characters`,
          fix: 'move large values into a file in the build output, or SSM parameters',
        });
      }
    }
    return problems;
  }

  /** The store of a region: this account's store there, named by the contract, its key ARN looked up by alias at deploy time. */
  private artifactStoreIn(region: string): codepipeline.CfnPipeline.ArtifactStoreProperty {
    if (region === Stack.of(this).region) {
      return {
        type: 'S3',
        location: this.props.artifactStore.bucket.bucketName,
        encryptionKey: { id: this.props.artifactStore.encryptionKey.keyArn, type: 'KMS' },
      };
    }
    return {
      type: 'S3',
      location: this.props.contract.artifactBucketName(region),
      encryptionKey: { id: regionalArtifactKeyArn(this, this.props.contract, region, this.partition), type: 'KMS' },
    };
  }

  private handoffKey(pipelineIndex: number): string {
    return `${HANDOFF_FOLDER}/${this.pipelineNames[pipelineIndex]}/release.zip`;
  }

  /** Writes the rollout next to the synthesized templates, for reviewers. */
  private writeReport(baseName: string, stack: Stack): void {
    const outdir = Stage.of(stack)?.outdir;
    if (!outdir) return;
    fs.mkdirSync(outdir, { recursive: true });
    fs.writeFileSync(path.join(outdir, `rollout-${baseName}.md`), this.rolloutReport);
  }

  /** CodeBuild generates wildcard grants for a project's own logs, reports and key. */
  private suppressBuildRoleFindings(project: codebuild.PipelineProject): void {
    suppressOnDefaultPolicy(project.role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Generated by CodeBuild for this project only: its own log streams and report groups, the artifact objects it reads and writes, and the KMS actions for the one artifact key.',
      appliesTo: [
        ...CODEBUILD_OWN_LOGS_AND_REPORTS,
        'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*', STORE_OBJECTS,
      ],
    }]);
  }

  private suppressExpectedNagFindings(): void {
    const contract = this.props.contract;
    if (this.buildProject) this.suppressBuildRoleFindings(this.buildProject);
    suppressOnDefaultPolicy(this.pipelineRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The pipeline reaches every target through the contract\'s action role name in any account (narrowed to the organization or the target accounts) and the artifact stores of every region by their contract names; one statement instead of one per target keeps the policy constant-size.',
      appliesTo: [
        `Resource::arn:<AWS::Partition>:iam::*:role/${contract.actionRoleName}`,
        `Resource::arn:<AWS::Partition>:s3:::${artifactBucketNamePattern(contract.qualifier, contract.toolingAccount)}`,
        `Resource::arn:<AWS::Partition>:s3:::${artifactBucketNamePattern(contract.qualifier, contract.toolingAccount)}/*`,
        `Resource::arn:<AWS::Partition>:kms:*:${contract.toolingAccount}:key/*`,
      ].map(anyPartition).concat(STORE_OBJECTS),
    }]);
  }

  /** Store folders of the pipelines of the chain that hold a verify stage of `userStage`. */
  private verifyFolders(userStage: string): string[] {
    return this.plan.pipelines
      .filter((p) => p.stages.some((s) => s.kind === 'verify' && s.userStage === userStage))
      .map((p) => artifactFolder(this.pipelineNames[p.index]));
  }

  /** The pipelines of every other CrossAccountPipeline of the app on the same stores (same contract names). */
  private neighbourPipelines(): NeighbourPipeline[] {
    const contract = this.props.contract;
    return this.node.root.node.findAll()
      .filter((c): c is CrossAccountPipeline => c instanceof CrossAccountPipeline && c !== this
        && c.props.contract.toolingAccount === contract.toolingAccount && c.props.contract.qualifier === contract.qualifier)
      .flatMap((c) => c.pipelineNames.map((name) => ({ name, path: c.node.path })));
  }
}

/** The pipeline's share of its template, measured as CDK will write it. */
function templateSizeProblems(pipeline: codepipeline.CfnPipeline, name: string): string[] {
  const size = JSON.stringify(Stack.of(pipeline).resolve(pipeline.stages), undefined, 1).length;
  if (size <= PIPELINE_TEMPLATE_BUDGET) return [];
  return [`pipeline ${name} takes ${size.toLocaleString('en-US')} bytes of its template, over the budget of ` +
    `${PIPELINE_TEMPLATE_BUDGET.toLocaleString('en-US')} (CloudFormation reads at most 1 MB). ` +
    'Fix: lower limits.maxActionsPerPipeline so targets spread over more pipelines, or shorten target ids and parameters'];
}

/** What the plan needs to know of the stages. */
function planInput(stages: PipelineStageOptions[]): PlanStageInput[] {
  return stages.map((s) => ({ name: s.name, targets: s.targets, approval: s.approval !== undefined, verify: (s.verify?.length ?? 0) > 0 }));
}
