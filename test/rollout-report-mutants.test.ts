/**
 * Parts of the rollout report the behaviour tests leave open: verification
 * stages, a table exactly as long as its limit, and the escaping of line breaks
 * and backslashes.
 */
import { DEFAULT_LIMITS, planRollout, RolloutPlan } from '../src/cross-account-pipeline/rollout-plan';
import { renderRolloutMarkdown } from '../src/cross-account-pipeline/rollout-report';

const target = { id: 'acme', account: '111111111111', region: 'eu-west-1' };

test('a verification stage: counted in the summary and labelled in the diagram', () => {
  const plan = planRollout([{ name: 'Prod', targets: [target], verify: true }]);
  const lines = renderRolloutMarkdown(plan).split('\n');
  // Source, Build, the wave and its verification.
  expect(lines[2]).toBe('1 target, 1 pipeline, 4 CodePipeline stages, 1 wave, 0 approvals, 1 verification.');
  expect(lines).toContain('    P0S3["Verify-Prod (verification)"]');
  const two = planRollout([{ name: 'A', targets: [target], verify: true }, { name: 'B', targets: [{ ...target, id: 'b' }], verify: true }]);
  expect(renderRolloutMarkdown(two).split('\n')[2]).toBe('2 targets, 1 pipeline, 6 CodePipeline stages, 2 waves, 0 approvals, 2 verifications.');
});

test('a table of exactly maxTargetsListed rows has no note', () => {
  const plan = planRollout([{ name: 'Prod', targets: [target, { ...target, id: 'b' }] }]);
  const markdown = renderRolloutMarkdown(plan, { maxTargetsListed: 2 });
  expect(markdown.endsWith('| 2 | Prod | 1 of 1 | 0 | Prod-Wave-1-of-1 | b | 111111111111 | eu-west-1 |\n')).toBe(true);
  expect(renderRolloutMarkdown(plan, { maxTargetsListed: 1 }).endsWith('\n\nShowing the first 1 of 2 targets; 1 more are not listed.\n')).toBe(true);
});

test('a line break of any kind is one space; a backslash in a cell is escaped', () => {
  const plan: RolloutPlan = {
    targetCount: 1,
    limits: DEFAULT_LIMITS,
    build: true,
    pipelines: [{
      index: 0,
      role: 'release',
      stageCount: 3,
      actionCount: 1,
      handsOff: false,
      stages: [{ kind: 'wave', stageName: 'W', userStage: 'U', wave: 1, waves: 1, targets: [{ ...target, id: 'a\\b', region: 'x\r\n\ny' }] }],
    }],
  };
  const markdown = renderRolloutMarkdown(plan, { title: 'One\r\ntwo' });
  expect(markdown.split('\n')[0]).toBe('# One two');
  expect(markdown).toContain('| 1 | U | 1 of 1 | 0 | W | a\\\\b | 111111111111 | x y |\n');
});
