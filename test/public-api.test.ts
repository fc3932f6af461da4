/**
 * The package's public API, name by name. src/index.ts must export exactly the
 * names below: adding one, or losing one, fails here until this list changes in
 * the same review, so every export is a decision.
 *
 * Read from src/index.ts itself (no build needed): its export declarations give
 * every name, types included, and the loaded module gives the run-time values.
 * That the listed types are complete for the public signatures is jsii's check
 * (`npx jsii` fails on a public signature naming an unexported type).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import * as pkg from '../src';

const INDEX = path.join(__dirname, '..', 'src', 'index.ts');

/** The public names, by the src/ folder that defines them. */
const PUBLIC_API: Record<string, string[]> = {
  'shared': [
    'DeploymentContract', 'DeploymentContractProps',
  ],
  'artifact-store': [
    'ArtifactStore', 'ArtifactStoreAttributes', 'ArtifactStoreBase', 'ArtifactStoreProps', 'IArtifactStore',
  ],
  'container-registry': [
    'ContainerRegistry', 'ContainerRegistryAttributes', 'ContainerRegistryBase', 'ContainerRegistryProps', 'IContainerRegistry',
  ],
  'tenant-deployment-role': [
    'DeploymentPermissions', 'EcsServiceDeploymentPermissions', 'GitHubOidcTrust', 'StackSetAdministrationPermissions', 'TenantDeploymentRole',
    'TenantDeploymentRoleProps', 'TenantDeploymentRoleStackSet', 'TenantDeploymentRoleStackSetProps',
  ],
  'cross-account-pipeline': [
    'ActionFailedEventOptions', 'ApprovalOptions', 'AssetPublishingOptions', 'CloudFormationDeploymentProps', 'CloudFormationTransform',
    'CodeBuildDeploymentProps', 'CodeCommitSourceProps', 'CodeDeployServerDeploymentProps', 'ConnectionSourceProps',
    'CrossAccountPipeline', 'CrossAccountPipelineProps',
    'DeploymentAction', 'DeploymentActionContext', 'DeploymentKind', 'DeploymentKindBindOptions',
    'EcsServiceDeploymentProps', 'FleetRolloutHandoff', 'IDeploymentKind', 'LambdaDeployStrategy', 'LambdaTrafficShiftProps',
    'PipelineBuildOptions', 'PipelineFailedAlarmOptions',
    'PipelineLimits', 'PipelineSource', 'PipelineStageOptions', 'PipelineStep', 'PipelineTarget', 'ReleaseParameter', 'S3SourceProps',
    'StackSetAutoDeployment', 'StackSetDeploymentProps', 'StackSetPermissionModel', 'StageFailedEventOptions',
  ],
  'fargate-spot-runner': [
    'CapacityShare', 'CapacityStrategy', 'CheckpointEncryption', 'CircleCiOidcTrust', 'FargateCapacityProvider',
    'FargateSpotRunner', 'FargateSpotRunnerProps', 'RunnerCodePipelineActionOptions', 'RunnerPipelineActionOptions',
    'WeightedCapacityOptions',
  ],
  'blue-green-efs-deploy': [
    'BlueGreenEfsDeploy', 'BlueGreenEfsDeployProps', 'BlueGreenHookCommands', 'ContentBuildOptions',
    'SharedDirectoryOptions',
  ],
  'codedeploy-server-target': [
    'CodeDeployServerGroup', 'CodeDeployServerGroupProps',
  ],
  'fleet-rollout': [
    'FailureTolerance', 'FleetMetricOptions', 'FleetRing', 'FleetRingKind', 'FleetRingOptions', 'FleetRollout',
    'FleetRolloutProps', 'ITenantRegistry', 'TenantRegistry', 'TenantRegistryAttributes', 'TenantRegistryProps',
  ],
  'contract-stack-synthesizer': [
    'ContractStackSynthesizer', 'ContractStackSynthesizerProps',
  ],
  'pull-request-ci': [
    'GitHubEnterpriseRepositoryProps', 'HostedRepositoryProps', 'PullRequestCi', 'PullRequestCiProps',
    'PullRequestCommentApproval', 'PullRequestRepository',
  ],
};

/** Exported by their own files for the constructs and the tests; never by the package. */
const INTERNALS = [
  'runnerProblems', 'RUNNER_DEFAULTS', 'MAX_STOP_TIMEOUT_SECONDS', 'MAX_INTERRUPTION_RESTARTS',
  'planCapacity', 'CapacityPlan', 'PlannedShare', 'platformProblems', 'JobPlatform',
  'renderS3Source', 'pipelineArnOf', 'RenderedSource', 'SOURCE_ARTIFACT', 'SOURCE_ACTION_NAME',
  'deploymentKindProblems', 'DEFAULT_MAX_CONCURRENCY', 'stateMachineNames', 'registryAccount',
  'REGISTRAR_ATTRIBUTES', 'ENGINE_ITEM_PREFIX', 'LOCK_ITEM_ID', 'RELEASE_ITEM_ID', 'ringFileKey', 'FLEET_METRIC_NAMESPACE', 'FleetHandoffStage', 'fleetHandoffProblems', 'fleetTemplateKey',
  'AssetPublishingStage', 'assetPublishingProblems', 'DEFAULT_CDK_ASSETS_LIB_VERSION', 'DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION', 'publishCommands',
  'CodeDeployServerDeployment', 'codeDeployNameProblems', 'codeDeployAgentInstallCommands',
  'connectionArnProblems', 'pullRequestCiProblems', 'RepositorySourceOptions',
];

interface ExportedName {
  readonly name: string;
  /** The src/ folder of the module the name comes from. */
  readonly folder: string;
  /** Exported as a value (class, enum, function, constant), so JavaScript sees it. */
  readonly value: boolean;
}

/** What a module under src/ exports, following its re-exports through the other modules there. */
function exportsOf(file: string, folder: string, typeOnly = false): ExportedName[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const names: ExportedName[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const from = (statement.moduleSpecifier as ts.StringLiteral).text;
      const base = path.resolve(path.dirname(file), from);
      const target = fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts');
      const targetFolder = path.relative(path.join(__dirname, '..', 'src'), target).split(path.sep)[0];
      const wanted = statement.exportClause && ts.isNamedExports(statement.exportClause)
        ? new Map(statement.exportClause.elements.map((e) => [(e.propertyName ?? e.name).text, e]))
        : undefined;
      for (const found of exportsOf(target, targetFolder, typeOnly || statement.isTypeOnly)) {
        const element = wanted?.get(found.name);
        if (wanted && !element) continue;
        names.push({ name: element?.name.text ?? found.name, folder: found.folder, value: found.value && !element?.isTypeOnly });
      }
      continue;
    }
    const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) ?? [] : [];
    if (!modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const value = !typeOnly && !ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement);
    const declared = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.map((d) => (d.name as ts.Identifier).text)
      : [((statement as ts.DeclarationStatement).name as ts.Identifier).text];
    names.push(...declared.map((name) => ({ name, folder, value })));
  }
  return names;
}

/** Modules src/index.ts re-exports wholesale (`export *`): no list can review what they add. */
function wholesaleExports(): string[] {
  const source = ts.createSourceFile(INDEX, fs.readFileSync(INDEX, 'utf8'), ts.ScriptTarget.Latest);
  return source.statements.filter(ts.isExportDeclaration)
    .filter((s) => !s.exportClause || !ts.isNamedExports(s.exportClause))
    .map((s) => (s.moduleSpecifier as ts.StringLiteral).text);
}

function byFolder(names: ExportedName[]): Record<string, string[]> {
  const folders: Record<string, string[]> = {};
  for (const { name, folder } of names) (folders[folder] ??= []).push(name);
  for (const list of Object.values(folders)) list.sort();
  return folders;
}

const exported = exportsOf(INDEX, 'index');
const exportedNames = exported.map((e) => e.name);
const runtimeNames = Object.keys(pkg).sort();

test('src/index.ts names every export: nothing is re-exported wholesale', () => {
  expect(wholesaleExports()).toEqual([]);
});

test('the exported names are exactly the public API, folder by folder', () => {
  expect(byFolder(exported)).toEqual(PUBLIC_API);
});

test('at run time the package exports exactly the names exported as values (classes and enums)', () => {
  const values = exported.filter((e) => e.value).map((e) => e.name).sort();
  expect(runtimeNames).toEqual(values);
  expect(values).toEqual(expect.arrayContaining(['ArtifactStore', 'CheckpointEncryption', 'FargateCapacityProvider']));
});

test.each(INTERNALS)('%s stays internal', (name) => {
  expect(exportedNames).not.toContain(name);
  expect(runtimeNames).not.toContain(name);
});
