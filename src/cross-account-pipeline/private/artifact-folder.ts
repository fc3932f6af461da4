/**
 * The folder of the artifact store where CodePipeline keeps a pipeline's
 * artifacts, and the pipeline names that would make two pipelines share one.
 * Pure; no CDK imports.
 *
 * CodePipeline keys an artifact `<pipeline name>/<artifact name>/<random>`,
 * both names truncated so that the path fits the policy of the temporary
 * credentials it hands to job workers:
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/troubleshooting.html#troubleshooting-truncated-artifacts
 * The pipeline name is cut to its first 20 characters, as CodeBuild's build
 * records show (`CodeBuild-Python-Pip/SourceArti/...`):
 * https://docs.aws.amazon.com/cli/latest/reference/codebuild/batch-get-builds.html
 */
import { describeProblem, Problem } from '../../shared/validation';

/** How many characters of a pipeline name CodePipeline keeps in its artifact keys. */
export const ARTIFACT_FOLDER_LENGTH = 20;

/** The folder (first key segment) of a pipeline's artifacts in its store. */
export function artifactFolder(pipelineName: string): string {
  return pipelineName.slice(0, ARTIFACT_FOLDER_LENGTH);
}

/** Another pipeline writing into the same stores, for error messages. */
export interface NeighbourPipeline {
  readonly name: string;
  /** Construct path of the CrossAccountPipeline that owns it. */
  readonly path: string;
}

/** The names of a chain whose first pipeline runs the build: a folder shared along the chain, or a reserved one. */
export function buildFolderProblems(chainNames: readonly string[], reservedFolder: string): Problem[] {
  return [...chainFolderProblems(chainNames), ...reservedFolderProblems(chainNames[0], reservedFolder)];
}

/** A pipeline name that is a token: its folder, and so the build's grants, cannot be known. */
export function unknownNameProblem(pipelineName: string): Problem {
  return {
    property: 'pipelineName',
    value: pipelineName,
    reason: `the build may write only its pipeline's folder in the store, named after the first ${ARTIFACT_FOLDER_LENGTH} characters ` +
      'of the pipeline name, which must be known at synth',
    fix: 'give a literal pipelineName',
  };
}

/** `neighbourFolderProblems` as validation messages. */
export function neighbourFolderMessages(buildPipelineName: string, neighbours: readonly NeighbourPipeline[]): string[] {
  return neighbourFolderProblems(buildPipelineName, neighbours).map(describeProblem);
}

/**
 * A chain's pipelines all live in the folder of the first one when its name
 * has 20 characters or more (`name-2` starts with the same 20): the build of
 * the first pipeline could then rewrite what the later ones deploy.
 */
export function chainFolderProblems(chainNames: readonly string[]): Problem[] {
  const [first, ...later] = chainNames;
  const folder = artifactFolder(first);
  if (!later.some((name) => artifactFolder(name) === folder)) return [];
  return [{
    property: 'pipelineName',
    value: first,
    reason: `the targets need a chain of ${chainNames.length} pipelines (${chainNames.join(', ')}), and CodePipeline keeps the artifacts of each ` +
      `in the store under the first ${ARTIFACT_FOLDER_LENGTH} characters of its name, so all of them would share the folder '${folder}/' ` +
      'and the build could rewrite what the later pipelines deploy after their approvals',
    fix: `give a pipelineName of at most ${ARTIFACT_FOLDER_LENGTH - 1} characters`,
  }];
}

/** A pipeline whose folder is a reserved prefix of the store (the handoffs). */
export function reservedFolderProblems(pipelineName: string, reservedFolder: string): Problem[] {
  if (artifactFolder(pipelineName) !== reservedFolder) return [];
  return [{
    property: 'pipelineName',
    value: pipelineName,
    reason: `CodePipeline would keep its artifacts under '${reservedFolder}/', where the store lets only pipeline roles write ` +
      '(the releases handed from one pipeline of a chain to the next)',
    fix: 'choose another pipelineName',
  }];
}

/** The build's pipeline shares its folder with a pipeline of another CrossAccountPipeline on the same stores. */
export function neighbourFolderProblems(buildPipelineName: string, neighbours: readonly NeighbourPipeline[]): Problem[] {
  const folder = artifactFolder(buildPipelineName);
  return neighbours.filter((n) => artifactFolder(n.name) === folder).map((n) => ({
    property: 'pipelineName',
    value: buildPipelineName,
    reason: `CodePipeline keeps a pipeline's artifacts in the store under the first ${ARTIFACT_FOLDER_LENGTH} characters of its name, ` +
      `and pipeline '${n.name}' (${n.path}) shares them ('${folder}/'), so the build of either could rewrite the other's artifacts`,
    fix: 'make the first 20 characters of the pipeline names differ',
  }));
}

