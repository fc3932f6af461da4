import { Duration } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AssetPublishingOptions } from './asset-publishing';
import { IDeploymentKind, PipelineTarget } from './deployment-kind';
import { FleetRolloutHandoff } from './fleet-handoff';
import { PipelineSource } from './pipeline-source';
import { IArtifactStore } from '../artifact-store/artifact-store';
import { DeploymentContract } from '../shared/deployment-contract';

/** The build: commands or a buildspec run in CodeBuild; its output is what every target receives. */
export interface PipelineBuildOptions {
  /** Build commands (ignored when `buildSpec` is given). @default - none */
  readonly commands?: string[];
  /** Install commands, run before `commands` (the buildspec's install phase). @default - none */
  readonly installCommands?: string[];
  /** A full buildspec instead of commands. @default - one made of installCommands and commands */
  readonly buildSpec?: codebuild.BuildSpec;
  /**
   * Path of a buildspec file in the source (e.g. 'buildspec.yml'), relative to
   * its root, instead of a buildspec written by the construct. The file then
   * says everything: phases, `artifacts` (what the targets receive: declare
   * `files`, and `base-directory` if needed) and `reports`. Refused together
   * with `commands`, `installCommands`, `buildSpec`, `outputDirectory` or
   * `testReportFiles`, which the file would leave unused.
   *
   * @default - a buildspec made of installCommands and commands
   */
  readonly buildSpecFile?: string;
  /** Directory of the build output that targets receive. @default '.' */
  readonly outputDirectory?: string;
  /** Build image. @default codebuild.LinuxBuildImage.STANDARD_7_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** Compute type. @default codebuild.ComputeType.SMALL */
  readonly computeType?: codebuild.ComputeType;
  /**
   * Run the build in privileged mode, which `docker build` and Docker-in-Docker
   * need (container images, `sam build --use-container`, CDK Docker assets).
   *
   * The risk: the build commands, which come from the repository, get root
   * access to the build container's kernel features and the Docker daemon, so
   * whoever can push to the source can do more inside the build host than run
   * the build; what they can reach in AWS stays the build role's (its own
   * pipeline's artifact folder, its secrets and parameters). cdk-nag's
   * AwsSolutions-CB3 finding is suppressed on the build project when this is
   * true, with that reason. Turn it on only for builds that build images.
   *
   * @default false
   */
  readonly privileged?: boolean;
  /**
   * Environment variables from Secrets Manager: variable name -> secret name
   * or ARN (optionally `:json-key`). The build role may read these secrets and
   * no other. Names are shell variable names, not starting with CODEBUILD_
   * (CodeBuild's own), each set in one of secrets, parameters and environment.
   *
   * @default - none
   */
  readonly secrets?: Record<string, string>;
  /** Environment variables from SSM Parameter Store: variable name -> parameter name. The build role may read these parameters. @default - none */
  readonly parameters?: Record<string, string>;
  /**
   * Plain environment variables (never secrets). Besides these, secrets and
   * parameters, the build sees ARTIFACT_BUCKET, ARTIFACT_PREFIX and
   * ARTIFACT_KEY_ARN (where `sam package` / `aws cloudformation package`
   * upload code; a variable of yours with one of these names wins) and
   * CodeBuild's own variables (AWS_REGION, AWS_DEFAULT_REGION, CODEBUILD_*).
   *
   * @default - none
   */
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
  /**
   * Publish the assets of the released CDK application (stacks synthesized
   * with `ContractStackSynthesizer`) in an Assets stage after the build,
   * before any deployment: one run of the CDK asset publisher
   * (`@aws-cdk/cdk-assets-lib`, pinned) per distinct region of the targets
   * (and the fleet rollout's region), into the contract's store (`assets/`)
   * and image repository there. Tenant accounts then need no
   * `cdk bootstrap`.
   *
   * @default - no Assets stage
   */
  readonly assetPublishing?: AssetPublishingOptions;
}
