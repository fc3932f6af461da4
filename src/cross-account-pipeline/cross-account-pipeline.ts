import * as fs from 'fs';
import * as path from 'path';
import { Aws, Duration, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { AssetPublishingStage, assetPublishingProblems } from './asset-publishing';
import { ApprovalOptions, CrossAccountPipelineProps } from './cross-account-pipeline-props';
import { DeploymentActionContext, IDeploymentKind } from './deployment-kind';
import { FleetHandoffStage, fleetHandoffProblems } from './fleet-handoff';
import { ActionFailedEventOptions, PipelineFailedAlarmOptions, StageFailedEventOptions } from './pipeline-monitoring';
import { pipelineArnOf, renderS3Source, SOURCE_ARTIFACT } from './pipeline-source';
import { artifactFolder, NeighbourPipeline } from './private/artifact-folder';
import { assumeTargetActionRolesStatement } from './private/assume-target-roles';
import { ChainMonitoring } from './private/chain-monitoring';
import { ChainNotifications, LabelledTarget, notificationTargetProblems, NotifiedPipeline, warnIfApprovalTopicMissed } from './private/chain-notifications';
import { CodeBuildDeployers } from './private/codebuild-deployers';
import { chainStages, TargetActions } from './private/failure-events';
import { partitionOf } from './private/partition';
import { actionProblems, effectiveLimits, pipelineInputProblems, planInput } from './private/pipeline-input-problems';
import { createBuildProject, createVerifyProjects, STORE_OBJECTS, suppressBuildRoleFindings, VerifyStepProject } from './private/pipeline-projects';
import { regionalArtifactKeyArn } from './private/regional-artifact-key';
import {
  BUILD_STAGE_NAME, HANDOFF_STAGE_NAME, PlannedAssets, PlannedPipeline, PlannedStage, RolloutPlan, planRollout, SOURCE_STAGE_NAME,
} from './rollout-plan';
import { renderRolloutMarkdown } from './rollout-report';
import { HANDOFF_FOLDER } from '../artifact-store/private/handoff-folder';
import { anyPartition, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { artifactBucketNamePattern } from '../shared/naming';
import { PolicyQuota } from '../shared/policy-size';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { codePipelinePrincipal } from '../shared/service-principals';
import { Problem, throwIfProblems } from '../shared/validation';

/**
 * Largest share of a template one pipeline may take. CDK writes templates with
 * one-space indentation and CloudFormation reads at most 1 MB from S3; the rest
 * of the stack needs room too.
 */
const PIPELINE_TEMPLATE_BUDGET = 900_000;

/** Artifact names inside the pipelines. */
const BUILD_ARTIFACT = 'BuildOutput';

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
  /**
   * The CodeBuild projects that run the pipeline's own commands in the tooling
   * account: the build (first, when there is one), then each stage's
   * verification steps in order. For alarms (`metricFailedBuilds`),
   * notifications (`notifyOnBuildFailed`) and grants to their roles
   * (`grantPrincipal`) without walking the construct tree. The Fleet stage's
   * publish project is not among them: it runs the library's own commands, its
   * failures show as the Fleet stage's (`onStageFailed`), and its role writes
   * release handoffs, which no user grant should widen.
   */
  public readonly buildProjects: codebuild.IProject[];
  /**
   * The deploy projects of every `DeploymentKind.codeBuild` of the pipeline,
   * one per kind and target account, in the order of the stages; empty when
   * no stage deploys with CodeBuild.
   */
  public readonly deployProjects: codebuild.IProject[];
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
  private readonly fleetHandoff?: FleetHandoffStage;
  private readonly assetPublishing?: AssetPublishingStage;
  /** CodeBuild projects of each stage's verification steps. */
  private readonly verifySteps: Map<string, VerifyStepProject[]>;
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
    const limits = effectiveLimits(props, this.stageKinds);
    throwIfProblems(this, [...limits.problems, ...pipelineInputProblems(props, {
      limits: limits.limits,
      stageKinds: this.stageKinds,
      region: stack.region,
      stackName: stack.stackName,
      notificationTargets: this.givenNotificationTargets(),
    })]);
    if (props.fleetRollout) throwIfProblems(this, fleetHandoffProblems(this, props.fleetRollout));
    if (props.assetPublishing) {
      const hasTargets = props.fleetRollout !== undefined || props.stages.some((s) => s.targets.length > 0);
      throwIfProblems(this, assetPublishingProblems(props.assetPublishing, hasTargets));
    }
    this.plan = planRollout(planInput(props.stages), limits.limits, {
      build: props.buildOptions !== undefined,
      fleet: props.fleetRollout !== undefined,
      // A fleet rollout serves the store of the pipeline's own region.
      assets: props.assetPublishing ? { extraRegions: props.fleetRollout ? [stack.region] : [] } : undefined,
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
    const projects = { artifactStore: props.artifactStore, pipelineRole: this.pipelineRole, pipelineNames: this.pipelineNames };
    this.buildProject = props.buildOptions ? createBuildProject(this, props.buildOptions, projects, () => this.neighbourPipelines()) : undefined;
    this.verifySteps = createVerifyProjects(this, props.stages, projects, (userStage) => this.verifyFolders(userStage));
    this.fleetHandoff = props.fleetRollout ? new FleetHandoffStage(this, 'FleetHandoff', props.fleetRollout, {
      contract: props.contract,
      store: props.artifactStore,
      pipelineRole: this.pipelineRole,
      readFolders: this.plan.pipelines.filter((p) => p.stages.some((s) => s.kind === 'fleet')).map((p) => artifactFolder(this.pipelineNames[p.index])),
    }) : undefined;
    const assetStage = this.plan.pipelines[0].stages.find((st): st is PlannedAssets => st.kind === 'assets');
    this.assetPublishing = props.assetPublishing && assetStage ? new AssetPublishingStage(this, 'Assets', props.assetPublishing, {
      contract: props.contract,
      store: props.artifactStore,
      pipelineRole: this.pipelineRole,
      readFolders: [artifactFolder(this.pipelineNames[0])],
      regions: assetStage.regions,
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
    this.buildProjects = [
      ...(this.buildProject ? [this.buildProject] : []),
      ...[...this.verifySteps.values()].flatMap((steps) => steps.map((s) => s.project)),
    ];
    // Made by the kinds as their targets were rendered, all children of this construct.
    this.deployProjects = this.node.children.filter((c): c is CodeBuildDeployers => c instanceof CodeBuildDeployers).flatMap((d) => d.deployProjects);
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
    if (stage.kind === 'assets') {
      return this.assetPublishing!.render(stage.stageName, inputArtifact, stage.regions);
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
        problems.push(...actionProblems(`${this.targetPaths.get(target.id)}`, target, actionName, action.configuration));
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

  private suppressExpectedNagFindings(): void {
    const contract = this.props.contract;
    if (this.buildProject) suppressBuildRoleFindings(this.buildProject);
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
