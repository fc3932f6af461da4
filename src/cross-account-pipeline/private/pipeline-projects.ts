/**
 * The CodeBuild projects of a CrossAccountPipeline: the build and the
 * verification steps. Both run repository code, so each gets only the store
 * folders of its own pipelines, and the pipeline role may start it. The
 * projects are children of the pipeline construct (`Build`, `TestReports`,
 * `Verify<i>Step<j>`), as they always were.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { artifactFolder, buildFolderProblems, neighbourFolderMessages, NeighbourPipeline, unknownNameProblem } from './artifact-folder';
import { grantArtifactFolders } from './artifact-folder-grants';
import { IArtifactStore } from '../../artifact-store/artifact-store';
import { HANDOFF_FOLDER } from '../../artifact-store/private/handoff-folder';
import { CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';
import { throwIfProblems } from '../../shared/validation';
import { PipelineBuildOptions, PipelineStageOptions, PipelineStep } from '../cross-account-pipeline-props';

/** cdk-nag finding for the objects of the artifact bucket, whatever its logical id. */
export const STORE_OBJECTS = { regex: '/^Resource::<.*Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/' };

/** A verification step and the project that runs it. */
export interface VerifyStepProject {
  readonly step: PipelineStep;
  readonly project: codebuild.PipelineProject;
}

/** What the projects need of the pipeline. */
export interface PipelineProjectsContext {
  readonly artifactStore: IArtifactStore;
  readonly pipelineRole: iam.Role;
  /** Names of the pipelines of the chain, release pipeline first. */
  readonly pipelineNames: string[];
}

/** The build project (construct id `Build`, its report group `TestReports`), granted its release pipeline's folder. */
export function createBuildProject(
  scope: Construct, build: PipelineBuildOptions, context: PipelineProjectsContext, neighbourPipelines: () => NeighbourPipeline[],
): codebuild.PipelineProject {
  const reportGroup = build.testReportFiles?.length ? new codebuild.ReportGroup(scope, 'TestReports', {
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
  const environmentVariables = buildEnvironmentVariables(build);
  const project = new codebuild.PipelineProject(scope, 'Build', {
    description: 'Builds and tests the release that every target receives',
    buildSpec,
    encryptionKey: context.artifactStore.encryptionKey,
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
  const release = context.pipelineNames[0];
  throwIfProblems(scope, Token.isUnresolved(release) ? [unknownNameProblem(release)] : buildFolderProblems(context.pipelineNames, HANDOFF_FOLDER));
  scope.node.addValidation({ validate: () => neighbourFolderMessages(release, neighbourPipelines()) });
  grantArtifactFolders(project, context.artifactStore, [artifactFolder(release)], { write: true });
  context.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'RunBuildProject',
    actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
    resources: [project.projectArn],
  }));
  return project;
}

/**
 * The environment variables of a build: plain ones, and references to Secrets
 * Manager secrets and SSM parameters that CodeBuild resolves when the build
 * starts (the project's role is granted reading exactly those). `secretNames`
 * keeps only the secrets and parameters named (a pull-request build gets the
 * ones its user chose, and no other); all of them when omitted.
 */
export function buildEnvironmentVariables(
  build: PipelineBuildOptions, secretNames?: readonly string[],
): Record<string, codebuild.BuildEnvironmentVariable> {
  const variables = (values: Record<string, string> | undefined, type: codebuild.BuildEnvironmentVariableType) =>
    Object.fromEntries(Object.entries(values ?? {})
      .filter(([name]) => type === codebuild.BuildEnvironmentVariableType.PLAINTEXT || !secretNames || secretNames.includes(name))
      .map(([name, value]) => [name, { value, type }]));
  return {
    ...variables(build.environment, codebuild.BuildEnvironmentVariableType.PLAINTEXT),
    ...variables(build.secrets, codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER),
    ...variables(build.parameters, codebuild.BuildEnvironmentVariableType.PARAMETER_STORE),
  };
}

/**
 * The projects of each stage's verification steps (construct ids
 * `Verify<i>Step<j>`), by stage name; stages without steps are left out.
 * `verifyFolders` names the store folders of the pipelines a stage's verify
 * stage landed in.
 */
export function createVerifyProjects(
  scope: Construct, stages: PipelineStageOptions[], context: PipelineProjectsContext, verifyFolders: (userStage: string) => string[],
): Map<string, VerifyStepProject[]> {
  const verifySteps = new Map<string, VerifyStepProject[]>();
  stages.forEach((stage, i) => {
    const steps = (stage.verify ?? []).map((step, j) => {
      const project = new codebuild.PipelineProject(scope, `Verify${i}Step${j}`, {
        description: `Verification '${step.name}' after stage ${stage.name}`,
        encryptionKey: context.artifactStore.encryptionKey,
        environment: { buildImage: step.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0 },
        environmentVariables: Object.fromEntries(Object.entries(step.environment ?? {}).map(([name, value]) => [name, { value }])),
        buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: step.commands } } }),
      });
      // Repository code too: it reads the release it verifies, in the folders of the pipelines its stage landed in.
      grantArtifactFolders(project, context.artifactStore, verifyFolders(stage.name), { write: false });
      context.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
        resources: [project.projectArn],
      }));
      suppressBuildRoleFindings(project);
      return { step, project };
    });
    if (steps.length > 0) verifySteps.set(stage.name, steps);
  });
  return verifySteps;
}

/** CodeBuild generates wildcard grants for a project's own logs, reports and key. */
export function suppressBuildRoleFindings(project: codebuild.PipelineProject): void {
  suppressOnDefaultPolicy(project.role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'Generated by CodeBuild for this project only: its own log streams and report groups, the artifact objects it reads and writes, and the KMS actions for the one artifact key.',
    appliesTo: [
      ...CODEBUILD_OWN_LOGS_AND_REPORTS,
      'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*', STORE_OBJECTS,
    ],
  }]);
}
