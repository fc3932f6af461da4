/**
 * The pure rules of a pipeline's artifact folder in the store (the first 20
 * characters of its name, as CodePipeline keys artifacts), asserted in full so
 * that mutation testing can tell a changed boundary or message apart.
 */
import {
  ARTIFACT_FOLDER_LENGTH, artifactFolder, buildFolderProblems, chainFolderProblems, neighbourFolderMessages,
  neighbourFolderProblems, reservedFolderProblems, unknownNameProblem,
} from '../src/cross-account-pipeline/private/artifact-folder';

const NINETEEN = 'a'.repeat(19);
const TWENTY = 'b'.repeat(20);

describe('artifactFolder', () => {
  test('keeps the first 20 characters of the pipeline name', () => {
    expect(ARTIFACT_FOLDER_LENGTH).toBe(20);
    expect(artifactFolder('shop-release')).toBe('shop-release');
    expect(artifactFolder(TWENTY)).toBe(TWENTY);
    expect(artifactFolder(`${TWENTY}-2`)).toBe(TWENTY);
  });
});

describe('chainFolderProblems', () => {
  test('a chain whose names differ within 20 characters is fine, at the edge of 19', () => {
    expect(chainFolderProblems([NINETEEN, `${NINETEEN}-2`, `${NINETEEN}-3`])).toEqual([]);
    expect(chainFolderProblems(['shop'])).toEqual([]);
  });

  test('a chain whose later pipelines share the first one\'s folder is refused with the names and the fix', () => {
    expect(chainFolderProblems([TWENTY, `${TWENTY}-2`])).toEqual([{
      property: 'pipelineName',
      value: TWENTY,
      reason: `the targets need a chain of 2 pipelines (${TWENTY}, ${TWENTY}-2), and CodePipeline keeps the artifacts of each ` +
        `in the store under the first 20 characters of its name, so all of them would share the folder '${TWENTY}/' ` +
        'and the build could rewrite what the later pipelines deploy after their approvals',
      fix: 'give a pipelineName of at most 19 characters',
    }]);
  });

  test('one later pipeline in the same folder is enough', () => {
    expect(chainFolderProblems([TWENTY, 'other-2', `${TWENTY}-3`])).toHaveLength(1);
  });
});

describe('reservedFolderProblems and buildFolderProblems', () => {
  test('a pipeline whose folder is the handoff folder is refused', () => {
    expect(reservedFolderProblems('handoff', 'handoff')).toEqual([{
      property: 'pipelineName',
      value: 'handoff',
      reason: "CodePipeline would keep its artifacts under 'handoff/', where the store lets only pipeline roles write " +
        '(the releases handed from one pipeline of a chain to the next)',
      fix: 'choose another pipelineName',
    }]);
    expect(reservedFolderProblems('handoffs', 'handoff')).toEqual([]);
    expect(reservedFolderProblems('hand', 'handoff')).toEqual([]);
  });

  test('buildFolderProblems reports the chain and the reserved folder together', () => {
    expect(buildFolderProblems(['handoff'], 'handoff')).toHaveLength(1);
    expect(buildFolderProblems([TWENTY, `${TWENTY}-2`], 'handoff')).toHaveLength(1);
    expect(buildFolderProblems(['shop', 'shop-2'], 'handoff')).toEqual([]);
    expect(buildFolderProblems(['handoff', 'handoff-2'], 'handoff').map((p) => p.fix)).toEqual(['choose another pipelineName']);
  });
});

describe('neighbourFolderProblems', () => {
  const neighbours = [
    { name: `${TWENTY}-blog`, path: 'Tooling/Blog' },
    { name: 'docs', path: 'Tooling/Docs' },
  ];

  test('names each neighbour whose first 20 characters are the same', () => {
    expect(neighbourFolderProblems(`${TWENTY}-shop`, neighbours)).toEqual([{
      property: 'pipelineName',
      value: `${TWENTY}-shop`,
      reason: 'CodePipeline keeps a pipeline\'s artifacts in the store under the first 20 characters of its name, ' +
        `and pipeline '${TWENTY}-blog' (Tooling/Blog) shares them ('${TWENTY}/'), so the build of either could rewrite the other's artifacts`,
      fix: 'make the first 20 characters of the pipeline names differ',
    }]);
    expect(neighbourFolderProblems('shop', neighbours)).toEqual([]);
  });

  test('renders the problems as validation messages', () => {
    expect(neighbourFolderMessages('docs', neighbours)).toEqual([
      'pipelineName = "docs": CodePipeline keeps a pipeline\'s artifacts in the store under the first 20 characters of its name, ' +
      "and pipeline 'docs' (Tooling/Docs) shares them ('docs/'), so the build of either could rewrite the other's artifacts. " +
      'Fix: make the first 20 characters of the pipeline names differ',
    ]);
    expect(neighbourFolderMessages('shop', neighbours)).toEqual([]);
  });
});

describe('unknownNameProblem', () => {
  test('asks for a literal name', () => {
    expect(unknownNameProblem('${Token[TOKEN.1]}')).toEqual({
      property: 'pipelineName',
      value: '${Token[TOKEN.1]}',
      reason: "the build may write only its pipeline's folder in the store, named after the first 20 characters " +
        'of the pipeline name, which must be known at synth',
      fix: 'give a literal pipelineName',
    });
  });
});
