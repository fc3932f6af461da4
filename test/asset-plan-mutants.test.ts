/**
 * The Assets stage in the pure rollout plan and report (one publish action per
 * region, first after Build), and the names the asset and CodeDeploy pieces
 * derive from the qualifier: the plain function calls the mutation run needs.
 */
import {
  ASSETS_STAGE_NAME, assetRegions, planProblems, planRollout, PlannedAssets, resolveLimits,
} from '../src/cross-account-pipeline/rollout-plan';
import { renderRolloutMarkdown } from '../src/cross-account-pipeline/rollout-report';
import * as naming from '../src/shared/naming';
import { describeProblem } from '../src/shared/validation';

const dev = { id: 'dev', account: '111111111111', region: 'us-east-1' };
const acme = { id: 'acme', account: '222222222222', region: 'eu-west-1' };
const globex = { id: 'globex', account: '333333333333', region: 'us-east-1' };

describe('the Assets stage of a plan', () => {
  test('is named Assets, first in the release pipeline, one region each, sorted and once', () => {
    expect(ASSETS_STAGE_NAME).toBe('Assets');
    const plan = planRollout([{ name: 'Dev', targets: [dev] }, { name: 'Prod', targets: [acme, globex] }], {}, { assets: {} });
    const [first] = plan.pipelines[0].stages;
    expect(first).toEqual({ kind: 'assets', stageName: 'Assets', userStage: 'Assets', regions: ['eu-west-1', 'us-east-1'] });
    expect(plan.pipelines[0].stages.map((s) => s.stageName)).toEqual(['Assets', 'Dev-Wave-1-of-1', 'Prod-Wave-1-of-1']);
    // It counts as a stage but not as a deploy action.
    expect(plan.pipelines[0].stageCount).toBe(5);
    expect(plan.pipelines[0].actionCount).toBe(3);
  });

  test('without assets there is no Assets stage', () => {
    const plan = planRollout([{ name: 'Dev', targets: [dev] }]);
    expect(plan.pipelines[0].stages.map((s) => s.kind)).toEqual(['wave']);
  });

  test('extra regions (a fleet rollout\'s) join the targets\' regions', () => {
    expect(assetRegions([{ name: 'Dev', targets: [dev, globex] }], { extraRegions: ['ap-southeast-2', 'us-east-1'] }))
      .toEqual(['ap-southeast-2', 'us-east-1']);
    expect(assetRegions([{ name: 'Dev', targets: [acme] }], {})).toEqual(['eu-west-1']);
    const plan = planRollout([], {}, { build: true, fleet: true, assets: { extraRegions: ['eu-central-1'] } });
    expect((plan.pipelines[0].stages[0] as PlannedAssets).regions).toEqual(['eu-central-1']);
  });

  test('more regions than actions per stage: refused with the count, the limit and the fix', () => {
    const stages = [{ name: 'Prod', targets: [dev, acme, { ...globex, region: 'ap-south-1' }] }];
    const problems = planProblems(stages, resolveLimits({ actionsPerStage: 2 }), { build: true, assets: {} });
    expect(problems.map(describeProblem)).toEqual([
      'assetPublishing = ["ap-south-1","eu-west-1","us-east-1"]: the Assets stage publishes to 3 regions, one action each, over actionsPerStage (2). '
      + 'Fix: raise limits.actionsPerStage if the account\'s quota allows, or split the regions over several pipelines',
    ]);
    expect(() => planRollout(stages, { actionsPerStage: 2 }, { assets: {} })).toThrow(/the Assets stage publishes to 3 regions/);
  });

  test('exactly as many regions as actions per stage: accepted; without assets: not checked', () => {
    const stages = [{ name: 'Prod', targets: [dev, acme] }];
    expect(planProblems(stages, resolveLimits({ actionsPerStage: 2 }), { build: true, assets: {} })).toEqual([]);
    const three = [{ name: 'Prod', targets: [dev, acme, { ...globex, region: 'ap-south-1' }] }];
    expect(planProblems(three, resolveLimits({ actionsPerStage: 2 }), { build: true })).toEqual([]);
  });

  test('a bad actionsPerStage is reported once, by the limits check, not again by the Assets stage', () => {
    const problems = planProblems([{ name: 'Prod', targets: [dev, acme] }], resolveLimits({ actionsPerStage: 0 }), { build: true, assets: {} });
    expect(problems.map((p) => p.property)).not.toContain('assetPublishing');
  });

  test('the report labels it with its number of regions', () => {
    const one = planRollout([{ name: 'Dev', targets: [dev] }], {}, { assets: {} });
    expect(renderRolloutMarkdown(one)).toContain('"Assets (publish assets to 1 region)"');
    const two = planRollout([{ name: 'Dev', targets: [dev, acme] }], {}, { assets: {} });
    expect(renderRolloutMarkdown(two)).toContain('"Assets (publish assets to 2 regions)"');
  });
});

describe('names derived from the qualifier', () => {
  test('the CodeDeploy instance role, the container repositories and the assets prefix', () => {
    expect(naming.codeDeployInstanceRoleName('shop')).toBe('cdkx-shop-codedeploy-instance');
    expect(naming.containerRepositoryName('shop', 'web')).toBe('cdkx-shop/web');
    expect(naming.containerRepositoryName('shop', naming.IMAGE_ASSETS_REPOSITORY)).toBe('cdkx-shop/assets');
    expect(naming.ASSETS_PREFIX).toBe('assets/');
  });
});
