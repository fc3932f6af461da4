/**
 * The deployment expressed with this library: a tooling stack with an
 * ArtifactStore and a CrossAccountPipeline, Dev (1 target) then Prod (N-1
 * targets, behind an approval), in organization or account-list mode.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { BUILD_COMMANDS, makeTargets, ORGANIZATION_ID, SOURCE, TOOLING } from './targets';
import { ArtifactStore } from '../src/artifact-store/artifact-store';
import { CrossAccountPipeline } from '../src/cross-account-pipeline/cross-account-pipeline';
import { DeploymentKind } from '../src/cross-account-pipeline/deployment-kind';
import { PipelineSource } from '../src/cross-account-pipeline/pipeline-source';
import { DeploymentContract } from '../src/shared/deployment-contract';

/** Organization: policies admit `aws:PrincipalOrgID`. Account list: they list every target account. */
export type ReaderMode = 'organization' | 'account-list';

export interface CrossAccountPipelineRun {
  readonly targets: number;
  readonly mode: ReaderMode;
  readonly outdir: string;
  /** Skip construct validation (the library's quota guards), to measure what it would refuse. */
  readonly skipValidation?: boolean;
}

export function synthCrossAccountPipeline(run: CrossAccountPipelineRun): cxapi.CloudAssembly {
  const { dev, prod, all } = makeTargets(run.targets);
  const app = new App({ outdir: run.outdir });
  const stack = new Stack(app, 'Tooling', { env: TOOLING });
  const contract = new DeploymentContract({
    toolingAccount: TOOLING.account,
    organizationId: run.mode === 'organization' ? ORGANIZATION_ID : undefined,
  });
  const artifactStore = new ArtifactStore(stack, 'ArtifactStore', {
    contract,
    readerAccounts: run.mode === 'account-list' ? [...new Set(all.map((t) => t.account))] : undefined,
  });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore,
    source: PipelineSource.connection(SOURCE),
    buildOptions: { commands: BUILD_COMMANDS },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [
      { name: 'Dev', targets: dev },
      { name: 'Prod', targets: prod, approval: {} },
    ],
  });
  return app.synth({ skipValidation: run.skipValidation });
}
