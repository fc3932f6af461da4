// The public API, named one by one and grouped by folder. What is not named here
// is internal, even when its own file exports it for the constructs and tests.
// test/public-api.test.ts holds the same list: a new export is a decision.

// shared/: the agreement both sides of a cross-account relation take.
export { DeploymentContract } from './shared/deployment-contract';
export type { DeploymentContractProps } from './shared/deployment-contract';

// artifact-store/
export { ArtifactStore } from './artifact-store/artifact-store';
export { ArtifactStoreBase } from './artifact-store/artifact-store-base';
export type { ArtifactStoreAttributes, ArtifactStoreProps, IArtifactStore } from './artifact-store/artifact-store';

// container-registry/: images published once per region, pulled by the tenants.
export { ContainerRegistry } from './container-registry/container-registry';
export { ContainerRegistryBase } from './container-registry/container-registry-base';
export type { ContainerRegistryAttributes, ContainerRegistryProps, IContainerRegistry } from './container-registry/container-registry';

// tenant-deployment-role/
export { TenantDeploymentRole } from './tenant-deployment-role/tenant-deployment-role';
export { DeploymentPermissions } from './tenant-deployment-role/deployment-permissions';
export type {
  EcsServiceDeploymentPermissions, StackSetAdministrationPermissions, TenantDeploymentRoleProps,
} from './tenant-deployment-role/tenant-deployment-role';
export { TenantDeploymentRoleStackSet } from './tenant-deployment-role/tenant-deployment-role-stack-set';
export type { TenantDeploymentRoleStackSetProps } from './tenant-deployment-role/tenant-deployment-role-stack-set';
export type { GitHubOidcTrust } from './tenant-deployment-role/github-oidc-trust';

// cross-account-pipeline/
export { CrossAccountPipeline } from './cross-account-pipeline/cross-account-pipeline';
export type {
  ApprovalOptions, CrossAccountPipelineProps, PipelineBuildOptions, PipelineLimits, PipelineStageOptions, PipelineStep,
} from './cross-account-pipeline/cross-account-pipeline-props';
export type {
  ActionFailedEventOptions, PipelineFailedAlarmOptions, StageFailedEventOptions,
} from './cross-account-pipeline/pipeline-monitoring';
export { DeploymentKind } from './cross-account-pipeline/deployment-kind';
export type {
  CloudFormationDeploymentProps, CodeBuildDeploymentProps, DeploymentAction, DeploymentActionContext,
  DeploymentKindBindOptions, EcsServiceDeploymentProps, IDeploymentKind, PipelineTarget,
} from './cross-account-pipeline/deployment-kind';
export { StackSetAutoDeployment, StackSetPermissionModel } from './cross-account-pipeline/stack-set-deployment';
export type { StackSetDeploymentProps } from './cross-account-pipeline/stack-set-deployment';
export { LambdaDeployStrategy } from './cross-account-pipeline/lambda-deploy-strategy';
export type { LambdaTrafficShiftProps } from './cross-account-pipeline/lambda-traffic-shift';
export type { CodeDeployServerDeploymentProps } from './cross-account-pipeline/codedeploy-server-deployment';
export type { FleetRolloutHandoff } from './cross-account-pipeline/fleet-handoff';
export type { AssetPublishingOptions } from './cross-account-pipeline/asset-publishing';
export { PipelineSource } from './cross-account-pipeline/pipeline-source';
export { CloudFormationTransform } from './cross-account-pipeline/cloudformation-transform';
export { ReleaseParameter } from './cross-account-pipeline/release-parameter';
export type { CodeCommitSourceProps, ConnectionSourceProps, S3SourceProps } from './cross-account-pipeline/pipeline-source';

// fargate-spot-runner/
export { FargateSpotRunner } from './fargate-spot-runner/fargate-spot-runner';
export type { RunnerCodePipelineActionOptions, RunnerPipelineActionOptions } from './fargate-spot-runner/fargate-spot-runner';
export { CheckpointEncryption } from './fargate-spot-runner/fargate-spot-runner-props';
export type { FargateSpotRunnerProps } from './fargate-spot-runner/fargate-spot-runner-props';
export { CapacityStrategy, FargateCapacityProvider } from './fargate-spot-runner/capacity-strategy';
export type { CapacityShare, WeightedCapacityOptions } from './fargate-spot-runner/capacity-strategy';
export type { CircleCiOidcTrust } from './fargate-spot-runner/circleci-oidc-trust';

// blue-green-efs-deploy/
export { BlueGreenEfsDeploy } from './blue-green-efs-deploy/blue-green-efs-deploy';
export type {
  BlueGreenEfsDeployProps, BlueGreenHookCommands, ContentBuildOptions, SharedDirectoryOptions,
} from './blue-green-efs-deploy/blue-green-efs-deploy-props';

// codedeploy-server-target/: the target side of DeploymentKind.codeDeployServer.
export { CodeDeployServerGroup } from './codedeploy-server-target/codedeploy-server-group';
export type { CodeDeployServerGroupProps } from './codedeploy-server-target/codedeploy-server-group';

// fleet-rollout/: tenants as data, releases rolled out in rings.
export { TenantRegistry } from './fleet-rollout/tenant-registry';
export type { ITenantRegistry, TenantRegistryAttributes, TenantRegistryProps } from './fleet-rollout/tenant-registry';
export { FleetRollout } from './fleet-rollout/fleet-rollout';
export type { FleetMetricOptions } from './fleet-rollout/fleet-rollout';
export type { FleetRolloutProps } from './fleet-rollout/fleet-rollout-props';
export { FailureTolerance, FleetRing, FleetRingKind } from './fleet-rollout/fleet-ring';
export type { FleetRingOptions } from './fleet-rollout/fleet-ring';

// Contract stack synthesizer
export { ContractStackSynthesizer } from './contract-stack-synthesizer/contract-stack-synthesizer';
export type { ContractStackSynthesizerProps } from './contract-stack-synthesizer/contract-stack-synthesizer';
// pull-request-ci/: builds pull requests, publishes the main branch for a PipelineSource.s3 pipeline.
export { PullRequestCi } from './pull-request-ci/pull-request-ci';
export { PullRequestCommentApproval } from './pull-request-ci/pull-request-ci-props';
export type { PullRequestCiProps } from './pull-request-ci/pull-request-ci-props';
export { PullRequestRepository } from './pull-request-ci/pull-request-repository';
export type { GitHubEnterpriseRepositoryProps, HostedRepositoryProps } from './pull-request-ci/pull-request-repository';
