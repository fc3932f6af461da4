import {
  approvalStageName, DEFAULT_LIMITS, FLEET_STAGE_NAME, isWholeIn, PlanLimits, planProblems, planRollout, PlannedPipeline, PlannedWave,
  PlanStageInput, PlanTarget, QUOTA_CEILING, resolveLimits, targetsOf, verifyStageName, waveStageName,
} from '../src/cross-account-pipeline/rollout-plan';
import { describeProblem } from '../src/shared/validation';

/** `count` targets with ids `<prefix>-0001`..., accounts 100000000001... */
function targets(prefix: string, count: number, region = 'eu-west-1'): PlanTarget[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i + 1).padStart(4, '0')}`,
    account: String(100000000000 + i + 1),
    region,
  }));
}

function wavesOf(pipeline: PlannedPipeline): PlannedWave[] {
  return pipeline.stages.filter((s): s is PlannedWave => s.kind === 'wave');
}

function stageNames(pipeline: PlannedPipeline): string[] {
  return pipeline.stages.map((s) => s.stageName);
}

/** Asserts what must hold for every plan, whatever its size. */
function expectWithinLimits(stages: PlanStageInput[], limits: PlanLimits, pipelines: PlannedPipeline[]): void {
  const all = stages.flatMap((s) => s.targets);
  pipelines.forEach((pipeline, i) => {
    expect(pipeline.index).toBe(i);
    expect(pipeline.role).toBe(i === 0 ? 'release' : 'continuation');
    expect(pipeline.handsOff).toBe(i < pipelines.length - 1);
    const fixed = (i === 0 ? 2 : 1) + (pipeline.handsOff ? 1 : 0);
    expect(pipeline.stageCount).toBe(fixed + pipeline.stages.length);
    expect(pipeline.stageCount).toBeLessThanOrEqual(limits.stagesPerPipeline);
    expect(pipeline.actionCount).toBe(wavesOf(pipeline).reduce((sum, w) => sum + w.targets.length, 0));
    expect(pipeline.actionCount).toBeLessThanOrEqual(limits.maxActionsPerPipeline);
    for (const wave of wavesOf(pipeline)) {
      expect(wave.targets.length).toBeGreaterThan(0);
      expect(wave.targets.length).toBeLessThanOrEqual(limits.waveSize);
      expect(wave.targets.length).toBeLessThanOrEqual(limits.actionsPerStage);
    }
  });
  const names = pipelines.flatMap(stageNames);
  expect(new Set(names).size).toBe(names.length);
  // One assertion over all names and targets rather than one per item: the same
  // check, cheap enough for the mutation run, which repeats it for every mutant.
  expect(names.filter((name) => !/^[A-Za-z0-9.@_-]{1,100}$/.test(name))).toEqual([]);
  // Every target exactly once, in input order (same objects).
  const planned = targetsOf({ pipelines, targetCount: all.length, limits, build: true });
  expect(planned.length).toBe(all.length);
  expect(planned.findIndex((target, i) => target !== all[i])).toBe(-1);
}

describe('planRollout', () => {
  test('one target: one pipeline of Source, Build and one wave, no handoff', () => {
    const stages = [{ name: 'Dev', targets: targets('dev', 1) }];
    const plan = planRollout(stages);
    expect(plan.targetCount).toBe(1);
    expect(plan.limits).toEqual(DEFAULT_LIMITS);
    expect(plan.pipelines).toEqual([{
      index: 0,
      role: 'release',
      stages: [{ kind: 'wave', stageName: 'Dev-Wave-1-of-1', userStage: 'Dev', wave: 1, waves: 1, targets: stages[0].targets }],
      stageCount: 3,
      actionCount: 1,
      handsOff: false,
    }]);
  });

  test('Dev(2), Test(3), Prod(120, approval) with waveSize 50: Prod in 3 waves after its approval, one pipeline', () => {
    const stages: PlanStageInput[] = [
      { name: 'Dev', targets: targets('dev', 2) },
      { name: 'Test', targets: targets('test', 3) },
      { name: 'Prod', targets: targets('prod', 120), approval: true },
    ];
    const plan = planRollout(stages, { waveSize: 50 });
    expect(plan.pipelines).toHaveLength(1);
    const [pipeline] = plan.pipelines;
    expect(stageNames(pipeline)).toEqual([
      'Dev-Wave-1-of-1', 'Test-Wave-1-of-1', 'Approve-Prod', 'Prod-Wave-1-of-3', 'Prod-Wave-2-of-3', 'Prod-Wave-3-of-3',
    ]);
    expect(wavesOf(pipeline).map((w) => w.targets.length)).toEqual([2, 3, 50, 50, 20]);
    expect(wavesOf(pipeline).map((w) => `${w.userStage} ${w.wave}/${w.waves}`)).toEqual(['Dev 1/1', 'Test 1/1', 'Prod 1/3', 'Prod 2/3', 'Prod 3/3']);
    expect(pipeline.stages[2]).toEqual({ kind: 'approval', stageName: 'Approve-Prod', userStage: 'Prod' });
    expect(pipeline.stageCount).toBe(2 + 6);
    expect(pipeline.actionCount).toBe(125);
    expect(pipeline.handsOff).toBe(false);
    expect(targetsOf(plan).map((t) => t.id)).toEqual(stages.flatMap((s) => s.targets.map((t) => t.id)));
    expectWithinLimits(stages, plan.limits, plan.pipelines);
  });

  test('5,000 targets in Prod with default limits: 5 pipelines of 20 waves, each within every limit', () => {
    const stages = [{ name: 'Prod', targets: targets('tenant', 5000) }];
    const plan = planRollout(stages);
    const { stagesPerPipeline, maxActionsPerPipeline, waveSize } = DEFAULT_LIMITS;

    // The arithmetic: 100 waves of 50; a pipeline holds the fewer of
    // maxActionsPerPipeline / waveSize waves (1000 / 50 = 20) and the stages left
    // after Source, Build and Handoff (47 for the release pipeline, 48 after).
    const waves = Math.ceil(5000 / waveSize);
    const releaseWaves = Math.min(Math.floor(maxActionsPerPipeline / waveSize), stagesPerPipeline - 3);
    const continuationWaves = Math.min(Math.floor(maxActionsPerPipeline / waveSize), stagesPerPipeline - 2);
    const expected = 1 + Math.ceil((waves - releaseWaves) / continuationWaves);
    expect(waves).toBe(100);
    expect(expected).toBe(5);
    expect(plan.pipelines).toHaveLength(expected);
    expect(plan.pipelines).toHaveLength(5);

    expect(plan.pipelines.map((p) => wavesOf(p).length)).toEqual([20, 20, 20, 20, 20]);
    expect(plan.pipelines.map((p) => p.actionCount)).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(plan.pipelines.map((p) => p.stageCount)).toEqual([23, 22, 22, 22, 21]);
    expect(plan.pipelines.map((p) => p.handsOff)).toEqual([true, true, true, true, false]);
    expect(plan.pipelines[1].stages[0].stageName).toBe('Prod-Wave-021-of-100');
    expect(plan.pipelines[4].stages[19].stageName).toBe('Prod-Wave-100-of-100');
    // Wave numbers continue across the chain.
    expect(plan.pipelines.flatMap(wavesOf).map((w) => w.wave)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(plan.targetCount).toBe(5000);
    expectWithinLimits(stages, plan.limits, plan.pipelines);
  });

  test('raised limits: actionsPerStage and waveSize 100 halve the waves', () => {
    const prod = [{ name: 'Prod', targets: targets('prod', 120) }];
    expect(planRollout(prod).pipelines[0].stages.map((s) => (s as PlannedWave).targets.length)).toEqual([50, 50, 20]);
    const raised = planRollout(prod, { actionsPerStage: 100, waveSize: 100 });
    expect(raised.pipelines[0].stages.map((s) => s.stageName)).toEqual(['Prod-Wave-1-of-2', 'Prod-Wave-2-of-2']);
    expect(raised.pipelines[0].stages.map((s) => (s as PlannedWave).targets.length)).toEqual([100, 20]);

    const many = [{ name: 'Prod', targets: targets('tenant', 5000) }];
    const plan = planRollout(many, { actionsPerStage: 100, waveSize: 100 });
    expect(plan.pipelines.flatMap(wavesOf)).toHaveLength(50);
    // 1,000 actions per pipeline still bound it: 10 waves of 100 each.
    expect(plan.pipelines.map((p) => wavesOf(p).length)).toEqual([10, 10, 10, 10, 10]);
    expectWithinLimits(many, plan.limits, plan.pipelines);
  });

  test('waveSize defaults to actionsPerStage when that is lowered below 50', () => {
    const plan = planRollout([{ name: 'Prod', targets: targets('prod', 45) }], { actionsPerStage: 20 });
    expect(plan.limits.waveSize).toBe(20);
    expect(wavesOf(plan.pipelines[0]).map((w) => w.targets.length)).toEqual([20, 20, 5]);
  });

  test('stagesPerPipeline 10 forces a chain of 13 pipelines for 100 waves', () => {
    const stages = [{ name: 'Prod', targets: targets('tenant', 5000) }];
    const plan = planRollout(stages, { stagesPerPipeline: 10 });
    // Release: 10 - Source - Build - Handoff = 7 waves; continuations: 8;
    // the last needs no Handoff (up to 9). 7 + 11 * 8 = 95, then 5 in the last.
    expect(plan.pipelines.map((p) => wavesOf(p).length)).toEqual([7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 5]);
    expect(plan.pipelines).toHaveLength(13);
    expectWithinLimits(stages, plan.limits, plan.pipelines);
  });

  test('the last pipeline uses the slot a Handoff would take', () => {
    // 7 + 9 = 16 waves: the continuation takes 9 waves in 10 stages, no Handoff.
    const stages = [{ name: 'Prod', targets: targets('tenant', 16 * 50) }];
    const plan = planRollout(stages, { stagesPerPipeline: 10 });
    expect(plan.pipelines.map((p) => [wavesOf(p).length, p.stageCount])).toEqual([[7, 10], [9, 10]]);
  });

  test('an approval is never separated from its first wave', () => {
    // Release pipeline of 6 stages: Source, Build, Dev 1, Dev 2, <one free slot>, Handoff.
    // Approve-Prod would fit the free slot, but its first wave would not.
    const stages: PlanStageInput[] = [
      { name: 'Dev', targets: targets('dev', 2) },
      { name: 'Prod', targets: targets('prod', 2), approval: true },
    ];
    const plan = planRollout(stages, { stagesPerPipeline: 6, waveSize: 1 });
    expect(plan.pipelines.map(stageNames)).toEqual([
      ['Dev-Wave-1-of-2', 'Dev-Wave-2-of-2'],
      ['Approve-Prod', 'Prod-Wave-1-of-2', 'Prod-Wave-2-of-2'],
    ]);
    expect(plan.pipelines.map((p) => p.stageCount)).toEqual([5, 4]);
    expectWithinLimits(stages, plan.limits, plan.pipelines);
  });

  test('an approval of the first stage with 4 stages per pipeline: the release pipeline only builds and hands off', () => {
    const stages: PlanStageInput[] = [{ name: 'Prod', targets: targets('prod', 3), approval: true }];
    const plan = planRollout(stages, { stagesPerPipeline: 4, waveSize: 1 });
    expect(plan.pipelines.map(stageNames)).toEqual([
      [],
      ['Approve-Prod', 'Prod-Wave-1-of-3'],
      ['Prod-Wave-2-of-3', 'Prod-Wave-3-of-3'],
    ]);
    expect(plan.pipelines.map((p) => p.stageCount)).toEqual([3, 4, 3]);
    expectWithinLimits(stages, plan.limits, plan.pipelines);
  });

  test('a user stage continues in the next pipeline when the actions bound is reached mid-stage', () => {
    const stages: PlanStageInput[] = [
      { name: 'Test', targets: targets('test', 30) },
      { name: 'Prod', targets: targets('prod', 50), approval: true },
    ];
    const plan = planRollout(stages, { waveSize: 20, maxActionsPerPipeline: 60 });
    expect(plan.pipelines.map(stageNames)).toEqual([
      ['Test-Wave-1-of-2', 'Test-Wave-2-of-2', 'Approve-Prod', 'Prod-Wave-1-of-3'],
      ['Prod-Wave-2-of-3', 'Prod-Wave-3-of-3'],
    ]);
    expect(plan.pipelines.map((p) => p.actionCount)).toEqual([50, 30]);
    expectWithinLimits(stages, plan.limits, plan.pipelines);
  });

  test('planning is linear: each target is read the same number of times at any size', () => {
    /** Reads of id, account and region per target, counted through getters. */
    function readsPerTarget(count: number): number {
      let reads = 0;
      const counted = targets('t', count).map((t) => ({
        get id() { reads++; return t.id; },
        get account() { reads++; return t.account; },
        get region() { reads++; return t.region; },
      }));
      const plan = planRollout([{ name: 'Prod', targets: counted }]);
      expect(targetsOf(plan)).toHaveLength(count);
      return reads / count;
    }
    const small = readsPerTarget(500);
    expect(small).toBeLessThanOrEqual(10);
    expect(readsPerTarget(5000)).toBe(small);
  });
});

describe('planProblems', () => {
  const good: PlanTarget = { id: 'dev', account: '111111111111', region: 'eu-west-1' };

  function problemsOf(stages: PlanStageInput[], limits: Partial<PlanLimits> = {}) {
    return planProblems(stages, { ...DEFAULT_LIMITS, ...limits });
  }

  test('valid input has no problems', () => {
    expect(problemsOf([{ name: 'Dev', targets: [good] }])).toEqual([]);
  });

  test('no stages at all: a build-only pipeline is fine, a pipeline without a build would be a Source stage alone', () => {
    expect(problemsOf([])).toEqual([]);
    expect(planProblems([], DEFAULT_LIMITS, { build: true })).toEqual([]);
    expect(planProblems([], DEFAULT_LIMITS, { build: false })).toEqual([{
      property: 'stages',
      value: [],
      reason: 'a pipeline without a build needs at least one stage to deploy to (CodePipeline refuses a pipeline of a Source stage alone)',
      fix: "add a stage, for example { name: 'Dev', targets: [{ id: 'dev', account: '111111111111', region: 'eu-west-1' }] }, or give buildOptions for a build-only pipeline",
    }]);
    expect(planProblems([{ name: 'Dev', targets: [good] }], DEFAULT_LIMITS, { build: false })).toEqual([]);
  });

  test('a stage with no targets', () => {
    expect(problemsOf([{ name: 'Dev', targets: [good] }, { name: 'Prod', targets: [] }])).toEqual([{
      property: 'stages[1].targets',
      value: [],
      reason: 'a stage without targets would be an empty CodePipeline stage, which CodePipeline rejects',
      fix: 'add at least one target to the stage, or remove the stage',
    }]);
  });

  test('two stages with the same name', () => {
    expect(problemsOf([{ name: 'Dev', targets: [good] }, { name: 'Dev', targets: [{ ...good, id: 'dev2' }] }])).toEqual([{
      property: 'stages[1].name',
      value: 'Dev',
      reason: 'duplicate of stages[0].name',
      fix: 'give each stage its own name',
    }]);
  });

  test('duplicate target ids across stages', () => {
    const problems = problemsOf([
      { name: 'Dev', targets: [good] },
      { name: 'Prod', targets: [{ ...good, id: 'prod' }, { ...good, id: 'dev' }] },
    ]);
    expect(problems).toEqual([{
      property: 'stages[1].targets[1].id',
      value: 'dev',
      reason: 'duplicate of stages[0].targets[0].id (action names must be unique, and so must the deployments they stand for)',
      fix: 'give each target its own id, across all stages',
    }]);
  });

  test('a target without account or region', () => {
    const problems = problemsOf([{ name: 'Dev', targets: [{ id: 'dev', account: '', region: '' }] }]);
    expect(problems).toEqual([
      { property: 'stages[0].targets[0].account', value: '', reason: 'missing', fix: 'set the 12-digit id of the account the target deploys to' },
      { property: 'stages[0].targets[0].region', value: '', reason: 'missing', fix: "set the region the target deploys to, for example 'eu-west-1'" },
    ]);
  });

  test('a malformed account id', () => {
    const problems = problemsOf([{ name: 'Dev', targets: [good, { ...good, id: 'b', account: '1234-5678-9012' }] }]);
    expect(problems).toEqual([{
      property: 'stages[0].targets[1].account',
      value: '1234-5678-9012',
      reason: 'not a 12-digit AWS account id',
      fix: 'use the account id exactly as AWS shows it, 12 digits with leading zeros, no dashes',
    }]);
  });

  test.each(['eu-west', 'EU-WEST-1', 'euwest1', 'eu-west-1a'])('a malformed region: %s', (region) => {
    expect(problemsOf([{ name: 'Dev', targets: [{ ...good, region }] }])).toEqual([{
      property: 'stages[0].targets[0].region',
      value: region,
      reason: 'not an AWS region code (the pipeline needs a concrete region to place an artifact store there)',
      fix: "use a region code such as 'eu-west-1' or 'us-gov-west-1'",
    }]);
  });

  test('well-formed regions pass', () => {
    const regions = ['us-east-1', 'ap-southeast-2', 'us-gov-west-1', 'eu-central-2', 'cn-northwest-1'];
    expect(problemsOf([{ name: 'Dev', targets: regions.map((region, i) => ({ ...good, id: `t${i}`, region })) }])).toEqual([]);
  });

  test('stage names with illegal characters', () => {
    expect(problemsOf([{ name: 'Prod EU', targets: [good] }])).toEqual([{
      property: 'stages[0].name',
      value: 'Prod EU',
      reason: "a stage name may hold only letters, digits, '.', '@', '_' and '-' (it becomes part of CodePipeline stage names)",
      fix: "use a name such as 'Prod' or 'eu-prod'",
    }]);
    expect(problemsOf([{ name: '', targets: [good] }]).map((p) => p.property)).toEqual(['stages[0].name']);
  });

  test('a stage name that makes a wave stage name over 100 characters', () => {
    // 'Wave-001-of-100' is 16 characters with its hyphen: 85 + 16 = 101.
    const name = 'P'.repeat(85);
    const stages = [{ name, targets: targets('t', 5000) }];
    expect(problemsOf(stages)).toEqual([{
      property: 'stages[0].name',
      value: name,
      reason: `makes the CodePipeline stage name '${name}-Wave-100-of-100' 101 characters, over the limit of 100`,
      fix: 'use a shorter stage name',
    }]);
    // The same name is fine with fewer waves: '-Wave-1-of-1' is 12 characters.
    expect(problemsOf([{ name, targets: [good], approval: true }])).toEqual([]);
  });

  test('two stages whose CodePipeline stage names collide', () => {
    const problems = problemsOf([
      { name: 'X-Wave-1-of-1', targets: [good], approval: true },
      { name: 'Approve-X', targets: [{ ...good, id: 'other' }] },
    ]);
    expect(problems).toEqual([{
      property: 'stages[1].name',
      value: 'Approve-X',
      reason: "makes the CodePipeline stage name 'Approve-X-Wave-1-of-1', which stages[0] makes too",
      fix: 'rename one of the two stages',
    }]);
  });

  test('target ids with illegal characters or over 100 characters', () => {
    const long = 'a'.repeat(101);
    const problems = problemsOf([{ name: 'Dev', targets: [{ ...good, id: 'tenant/1' }, { ...good, id: long }, { ...good, id: '' }] }]);
    expect(problems).toEqual([
      {
        property: 'stages[0].targets[0].id',
        value: 'tenant/1',
        reason: "a target id becomes a CodePipeline action name, which holds 1 to 100 letters, digits, '.', '@', '_' or '-'",
        fix: "use an id such as 'tenant-0042' or 'acme.prod'",
      },
      {
        property: 'stages[0].targets[1].id',
        value: long,
        reason: '101 characters, over the CodePipeline action name limit of 100',
        fix: 'use an id of at most 100 characters',
      },
      expect.objectContaining({ property: 'stages[0].targets[2].id', value: '' }),
    ]);
  });

  test('parameters over 1,000 characters as JSON name the target', () => {
    const parameters = { Big: 'x'.repeat(1000) }; // {"Big":"…"} = 1,010 characters
    const problems = problemsOf([{ name: 'Dev', targets: [good, { ...good, id: 'acme', parameters }] }]);
    expect(problems).toEqual([{
      property: 'stages[0].targets[1].parameters',
      value: parameters,
      reason: "target 'acme' has parameter overrides of 1010 characters as JSON, over CodePipeline's limit of 1000 for an action configuration value",
      fix: 'pass fewer or shorter parameters; keep large values in SSM Parameter Store and pass their names',
    }]);
    // Exactly 1,000 characters pass, 1,001 do not.
    expect(problemsOf([{ name: 'Dev', targets: [{ ...good, parameters: { Big: 'x'.repeat(990) } }] }])).toEqual([]);
    expect(problemsOf([{ name: 'Dev', targets: [{ ...good, parameters: { Big: 'x'.repeat(991) } }] }])).toHaveLength(1);
  });

  describe('limits', () => {
    const stages = [{ name: 'Dev', targets: [good] }];

    test.each([0, 1.5, -1, NaN])('waveSize %p', (waveSize) => {
      expect(problemsOf(stages, { waveSize })).toContainEqual({
        property: 'limits.waveSize',
        value: waveSize,
        reason: 'must be a whole number of at least 1',
        fix: 'set how many targets deploy in parallel, for example 50',
      });
    });

    test('waveSize over actionsPerStage', () => {
      expect(problemsOf(stages, { waveSize: 60, maxActionsPerPipeline: 1000 })).toEqual([{
        property: 'limits.waveSize',
        value: 60,
        reason: 'a wave is one CodePipeline stage, which holds at most actionsPerStage (50) actions',
        fix: "set waveSize to 50 or less, or raise actionsPerStage if the account's quota allows",
      }]);
    });

    test.each([0, 101, 2.5])('actionsPerStage %p', (actionsPerStage) => {
      expect(problemsOf(stages, { actionsPerStage })).toEqual([{
        property: 'limits.actionsPerStage',
        value: actionsPerStage,
        reason: 'must be a whole number from 1 to 100',
        fix: 'use the CodePipeline quota "actions per stage" of the tooling account (50, or 100 where AWS raised it)',
      }]);
    });

    test('actionsPerStage 100 is accepted', () => {
      expect(problemsOf(stages, { actionsPerStage: 100, waveSize: 100 })).toEqual([]);
    });

    test.each([3, 101])('stagesPerPipeline %p', (stagesPerPipeline) => {
      expect(problemsOf(stages, { stagesPerPipeline })).toEqual([{
        property: 'limits.stagesPerPipeline',
        value: stagesPerPipeline,
        reason: 'must be a whole number from 4 (Source, Build, one wave and Handoff) to 100',
        fix: 'use the CodePipeline quota "stages per pipeline" of the tooling account (50 unless raised)',
      }]);
    });

    test('stagesPerPipeline 4 and 100 are accepted', () => {
      expect(problemsOf(stages, { stagesPerPipeline: 4 })).toEqual([]);
      expect(problemsOf(stages, { stagesPerPipeline: 100 })).toEqual([]);
    });

    test('maxActionsPerPipeline below waveSize', () => {
      expect(problemsOf(stages, { maxActionsPerPipeline: 49 })).toEqual([{
        property: 'limits.maxActionsPerPipeline',
        value: 49,
        reason: 'must be a whole number of at least waveSize (50), so that one wave fits in a pipeline',
        fix: 'set maxActionsPerPipeline to 50 or more (default 1000)',
      }]);
    });
  });

  test('planRollout throws one error listing every problem as property, value and fix', () => {
    const stages = [
      { name: 'Dev', targets: [{ id: 'dev', account: '12345', region: 'eu-west-1' }] },
      { name: 'Dev', targets: [] },
    ];
    const problems = planProblems(stages, { ...DEFAULT_LIMITS, waveSize: 0 });
    expect(problems).toHaveLength(4);
    expect(() => planRollout(stages, { waveSize: 0 })).toThrow(
      'invalid rollout plan:\n' + problems.map((p) => `  - ${describeProblem(p)}`).join('\n'),
    );
    expect(() => planRollout(stages, { waveSize: 0 })).toThrow(
      'stages[0].targets[0].account = "12345": not a 12-digit AWS account id. '
      + 'Fix: use the account id exactly as AWS shows it, 12 digits with leading zeros, no dashes',
    );
  });
});

describe('verification stages', () => {
  test('a verification follows the last wave of its stage and stays in its pipeline', () => {
    const stage = { name: 'Prod', targets: Array.from({ length: 3 }, (_, i) => ({ id: `t${i}`, account: String(300000000000 + i), region: 'us-east-1' })), verify: true };
    // Release: Source, Build, Wave 1, Handoff (4); the last wave and its verification go on together.
    const plan = planRollout([stage], { waveSize: 2, stagesPerPipeline: 4 });
    expect(plan.pipelines.map((p) => p.stages.map((s) => s.stageName))).toEqual([
      ['Prod-Wave-1-of-2'],
      ['Prod-Wave-2-of-2', 'Verify-Prod'],
    ]);
  });

  test('a single-wave stage with an approval and a verification needs five stages per pipeline', () => {
    const stage = { name: 'Prod', targets: [{ id: 't', account: '300000000000', region: 'us-east-1' }], approval: true, verify: true };
    expect(planProblems([stage], { ...DEFAULT_LIMITS, stagesPerPipeline: 4 })).toEqual([expect.objectContaining({
      property: 'limits.stagesPerPipeline',
      value: 4,
      fix: 'set stagesPerPipeline to 5 or more',
    })]);
  });
});

/** Edges the behaviour tests above leave open (found by mutation testing). */
describe('planProblems at the edges', () => {
  const good: PlanTarget = { id: 'dev', account: '111111111111', region: 'eu-west-1' };
  const problemsOf = (stages: PlanStageInput[], limits: Partial<PlanLimits> = {}) => planProblems(stages, { ...DEFAULT_LIMITS, ...limits });
  const stagesLimit = (value: number) => ({
    property: 'limits.stagesPerPipeline',
    value,
    reason: 'must be a whole number from 4 (Source, Build, one wave and Handoff) to 100',
    fix: 'use the CodePipeline quota "stages per pipeline" of the tooling account (50 unless raised)',
  });
  const blockFit = (needed: number, value = 3) => ({
    property: 'limits.stagesPerPipeline',
    value,
    reason: `stages[0] needs ${needed} stages in one pipeline (Source, its approval, wave and verification, Handoff)`,
    fix: `set stagesPerPipeline to ${needed} or more`,
  });

  test('maxActionsPerPipeline equal to waveSize is enough: one wave fits', () => {
    expect(problemsOf([{ name: 'Dev', targets: [good] }], { waveSize: 50, maxActionsPerPipeline: 50 })).toEqual([]);
    expect(problemsOf([{ name: 'Dev', targets: [good] }], { waveSize: 1, actionsPerStage: 1, maxActionsPerPipeline: 1 })).toEqual([]);
  });

  test('maxActionsPerPipeline that is no whole number, with the fix naming waveSize', () => {
    for (const maxActionsPerPipeline of [0, 60.5]) {
      expect(problemsOf([{ name: 'Dev', targets: [good] }], { maxActionsPerPipeline })).toEqual([{
        property: 'limits.maxActionsPerPipeline',
        value: maxActionsPerPipeline,
        reason: 'must be a whole number of at least waveSize (50), so that one wave fits in a pipeline',
        fix: 'set maxActionsPerPipeline to 50 or more (default 1000)',
      }]);
    }
    // With waveSize itself invalid, the fix still asks for at least 1.
    expect(problemsOf([{ name: 'Dev', targets: [good] }], { waveSize: 0, maxActionsPerPipeline: 0 })).toContainEqual(
      expect.objectContaining({ property: 'limits.maxActionsPerPipeline', fix: 'set maxActionsPerPipeline to 1 or more (default 1000)' }),
    );
    // An invalid waveSize is not compared with maxActionsPerPipeline.
    expect(problemsOf([{ name: 'Dev', targets: [good] }], { waveSize: 1.5, maxActionsPerPipeline: 1 }).map((p) => p.property)).toEqual(['limits.waveSize']);
  });

  test('waveSize equal to actionsPerStage is allowed; actionsPerStage invalid is not compared', () => {
    expect(problemsOf([{ name: 'Dev', targets: [good] }], { waveSize: 20, actionsPerStage: 20 })).toEqual([]);
    expect(problemsOf([{ name: 'Dev', targets: [good] }], { waveSize: 60, actionsPerStage: 0 }).map((p) => p.property)).toEqual(['limits.actionsPerStage']);
  });

  test('a target id of exactly 100 characters is a valid action name', () => {
    expect(problemsOf([{ name: 'Dev', targets: [{ ...good, id: 'a'.repeat(100) }] }])).toEqual([]);
  });

  test('a stage name that makes a wave stage name of exactly 100 characters is fine', () => {
    // 84 + '-Wave-100-of-100' (16) = 100.
    expect(problemsOf([{ name: 'P'.repeat(84), targets: targets('t', 5000) }])).toEqual([]);
  });

  /*
   * What must share one continuation pipeline: Source, the wave, Handoff (3),
   * plus the approval before a first wave and the verification after a last one.
   * stagesPerPipeline 3 is already a problem of its own; the stage's needs are
   * reported beside it only when they exceed it.
   */
  test.each([
    ['one wave, no approval, no verification', 1, false, false, []],
    ['one wave with an approval', 1, true, false, [blockFit(4)]],
    ['one wave with a verification', 1, false, true, [blockFit(4)]],
    ['one wave with both', 1, true, true, [blockFit(5)]],
    ['two waves, neither', 2, false, false, []],
    ['two waves with an approval (before the first wave only)', 2, true, false, [blockFit(4)]],
    ['two waves with a verification (after the last wave only)', 2, false, true, [blockFit(4)]],
    ['two waves with both: never in the same block', 2, true, true, [blockFit(4)]],
  ])('%s', (_name, count, approval, verify, expected) => {
    const stage = { name: 'Prod', targets: targets('prod', count), approval, verify };
    expect(problemsOf([stage], { waveSize: 1, stagesPerPipeline: 3 })).toEqual([stagesLimit(3), ...expected]);
  });

  test('two waves with an approval and a verification fit 4 stages per pipeline', () => {
    expect(problemsOf([{ name: 'Prod', targets: targets('prod', 2), approval: true, verify: true }], { waveSize: 1, stagesPerPipeline: 4 })).toEqual([]);
  });

  test('a stagesPerPipeline that is no whole number is reported once, not measured against the stages', () => {
    const stage = { name: 'Prod', targets: [good], approval: true, verify: true };
    expect(problemsOf([stage], { stagesPerPipeline: 2.5 })).toEqual([stagesLimit(2.5)]);
    expect(problemsOf([stage], { stagesPerPipeline: 0 })).toEqual([stagesLimit(0)]);
  });

  test('a duplicate stage name is not checked again for the names it makes', () => {
    const problems = problemsOf([
      { name: 'Dev', targets: [good] },
      { name: 'Dev', targets: [{ ...good, id: 'dev2' }] },
    ]);
    expect(problems.map((p) => p.reason)).toEqual(['duplicate of stages[0].name']);
  });

  test('a stage whose names collide twice is reported once, at its first collision', () => {
    // 'Z-Wave-1-of-1' with an approval and a verification makes 'Approve-Z-Wave-1-of-1' (the only
    // wave of 'Approve-Z') and 'Verify-Z-Wave-1-of-1' (the only wave of 'Verify-Z').
    const problems = problemsOf([
      { name: 'Approve-Z', targets: [good] },
      { name: 'Verify-Z', targets: [{ ...good, id: 'b' }] },
      { name: 'Z-Wave-1-of-1', targets: [{ ...good, id: 'c' }], approval: true, verify: true },
    ]);
    expect(problems).toEqual([{
      property: 'stages[2].name',
      value: 'Z-Wave-1-of-1',
      reason: "makes the CodePipeline stage name 'Approve-Z-Wave-1-of-1', which stages[0] makes too",
      fix: 'rename one of the two stages',
    }]);
  });
});

describe('planProblems: more edges', () => {
  const good: PlanTarget = { id: 'dev', account: '111111111111', region: 'eu-west-1' };
  const problemsOf = (stages: PlanStageInput[]) => planProblems(stages, DEFAULT_LIMITS);

  test('a region must start with its two-letter code', () => {
    expect(problemsOf([{ name: 'Dev', targets: [{ ...good, region: 'x-eu-west-1' }] }]).map((p) => p.property)).toEqual(['stages[0].targets[0].region']);
  });

  test('an account or a region left out (from JavaScript or another jsii language) is missing', () => {
    const { account: _a, ...noAccount } = good;
    const { region: _r, ...noRegion } = good;
    expect(problemsOf([{ name: 'Dev', targets: [noAccount as PlanTarget, { ...(noRegion as PlanTarget), id: 'b' }] }])).toEqual([
      { property: 'stages[0].targets[0].account', value: undefined, reason: 'missing', fix: 'set the 12-digit id of the account the target deploys to' },
      { property: 'stages[0].targets[1].region', value: undefined, reason: 'missing', fix: "set the region the target deploys to, for example 'eu-west-1'" },
    ]);
  });

  test('a verification stage name that another stage makes too', () => {
    expect(problemsOf([
      { name: 'Verify-Z', targets: [good] },
      { name: 'Z-Wave-1-of-1', targets: [{ ...good, id: 'b' }], verify: true },
    ])).toEqual([expect.objectContaining({
      property: 'stages[1].name',
      reason: "makes the CodePipeline stage name 'Verify-Z-Wave-1-of-1', which stages[0] makes too",
    })]);
  });

  test('planned stages carry their kind', () => {
    const plan = planRollout([{ name: 'Prod', targets: [good], approval: true, verify: true }]);
    expect(plan.pipelines[0].stages).toEqual([
      { kind: 'approval', stageName: 'Approve-Prod', userStage: 'Prod' },
      { kind: 'wave', stageName: 'Prod-Wave-1-of-1', userStage: 'Prod', wave: 1, waves: 1, targets: [good] },
      { kind: 'verify', stageName: 'Verify-Prod', userStage: 'Prod' },
    ]);
  });
});

describe('planRollout packing at the edges', () => {
  test('a pipeline filled to exactly stagesPerPipeline and maxActionsPerPipeline takes the block', () => {
    // Release: Source, Build, 2 waves, Handoff = 5 stages; 2 waves of 10 = 20 actions.
    const stages = [{ name: 'Prod', targets: targets('prod', 30) }];
    const plan = planRollout(stages, { waveSize: 10, stagesPerPipeline: 5, maxActionsPerPipeline: 20 });
    expect(plan.pipelines.map((p) => [wavesOf(p).length, p.stageCount, p.actionCount])).toEqual([[2, 5, 20], [1, 2, 10]]);
  });

  test('the last block needs no room for a Handoff', () => {
    // 3 waves: Source, Build and all 3 in 5 stages, as no Handoff follows.
    const plan = planRollout([{ name: 'Prod', targets: targets('prod', 3) }], { waveSize: 1, stagesPerPipeline: 5 });
    expect(plan.pipelines.map((p) => [stageNames(p), p.stageCount, p.handsOff])).toEqual([
      [['Prod-Wave-1-of-3', 'Prod-Wave-2-of-3', 'Prod-Wave-3-of-3'], 5, false],
    ]);
  });

  test('the default waveSize is 50 even when actionsPerStage is raised', () => {
    expect(planRollout([{ name: 'Prod', targets: targets('prod', 1) }], { actionsPerStage: 100 }).limits).toEqual({
      stagesPerPipeline: 50, actionsPerStage: 100, waveSize: 50, maxActionsPerPipeline: 1000,
    });
    expect(planRollout([{ name: 'Prod', targets: targets('prod', 1) }], { stagesPerPipeline: 10, maxActionsPerPipeline: 200 }).limits).toEqual({
      stagesPerPipeline: 10, actionsPerStage: 50, waveSize: 50, maxActionsPerPipeline: 200,
    });
  });

  test('an invalid actionsPerStage is one problem: the default waveSize does not follow it', () => {
    expect(() => planRollout([{ name: 'Prod', targets: targets('prod', 1) }], { actionsPerStage: 0 })).toThrow(
      'invalid rollout plan:\n  - limits.actionsPerStage = 0: must be a whole number from 1 to 100. '
      + 'Fix: use the CodePipeline quota "actions per stage" of the tooling account (50, or 100 where AWS raised it)',
    );
    expect(resolveLimits({ actionsPerStage: 0 })).toEqual({ stagesPerPipeline: 50, actionsPerStage: 0, waveSize: 50, maxActionsPerPipeline: 1000 });
    expect(resolveLimits({ actionsPerStage: 101 }).waveSize).toBe(50);
    expect(resolveLimits({ actionsPerStage: 100 }).waveSize).toBe(50);
    expect(resolveLimits({ actionsPerStage: 1 }).waveSize).toBe(1);
    expect(resolveLimits({ actionsPerStage: 20, waveSize: 7 }).waveSize).toBe(7);
  });

  test('a build-only plan: one release pipeline of Source and Build', () => {
    expect(planRollout([])).toEqual({
      pipelines: [{ index: 0, role: 'release', stages: [], stageCount: 2, actionCount: 0, handsOff: false }],
      targetCount: 0,
      limits: DEFAULT_LIMITS,
      build: true,
    });
  });

  test('a plan without a build: the release pipeline has one fixed stage, Source, so one more wave fits', () => {
    const stages = [{ name: 'Prod', targets: targets('prod', 4) }];
    const plan = planRollout(stages, { waveSize: 1, stagesPerPipeline: 4 }, { build: false });
    expect(plan.build).toBe(false);
    expect(plan.pipelines.map((p) => [stageNames(p), p.stageCount, p.handsOff])).toEqual([
      [['Prod-Wave-1-of-4', 'Prod-Wave-2-of-4'], 4, true],
      [['Prod-Wave-3-of-4', 'Prod-Wave-4-of-4'], 3, false],
    ]);
    // With a build, the release pipeline holds one wave fewer.
    expect(planRollout(stages, { waveSize: 1, stagesPerPipeline: 4 }).pipelines.map((p) => [stageNames(p), p.stageCount])).toEqual([
      [['Prod-Wave-1-of-4'], 4],
      [['Prod-Wave-2-of-4', 'Prod-Wave-3-of-4', 'Prod-Wave-4-of-4'], 4],
    ]);
    expect(() => planRollout([], {}, { build: false })).toThrow(/stages = \[\]: a pipeline without a build needs at least one stage/);
  });

  test('isWholeIn: whole numbers within both bounds', () => {
    expect([isWholeIn(1, 1, 3), isWholeIn(3, 1, 3), isWholeIn(0, 1, 3), isWholeIn(4, 1, 3), isWholeIn(1.5, 1, 3), isWholeIn(NaN, 1, 3)])
      .toEqual([true, true, false, false, false, false]);
    expect(QUOTA_CEILING).toBe(100);
  });

  test('targetCount adds every stage', () => {
    expect(planRollout([{ name: 'A', targets: targets('a', 2) }, { name: 'B', targets: targets('b', 3) }]).targetCount).toBe(5);
  });

  test('wave stage names pad the wave number to the width of the wave count', () => {
    expect(waveStageName('Prod', 7, 120)).toBe('Prod-Wave-007-of-120');
    expect(waveStageName('Prod', 7, 9)).toBe('Prod-Wave-7-of-9');
    expect(approvalStageName('Prod')).toBe('Approve-Prod');
    expect(verifyStageName('Prod')).toBe('Verify-Prod');
  });
});

describe('a chain that ends with a fleet rollout', () => {
  test('the Fleet stage is the last stage of the last pipeline, once, and counts against the stage limit', () => {
    const plan = planRollout([{ name: 'Dev', targets: targets('dev', 120) }], { stagesPerPipeline: 4 }, { fleet: true });
    const last = plan.pipelines[plan.pipelines.length - 1];
    expect(last.stages[last.stages.length - 1]).toEqual({ kind: 'fleet', stageName: 'Fleet', userStage: 'Fleet' });
    expect(plan.pipelines.flatMap((p) => p.stages).filter((s) => s.kind === 'fleet')).toHaveLength(1);
    expect(last.handsOff).toBe(false);
    plan.pipelines.forEach((p) => expect(p.stageCount).toBeLessThanOrEqual(4));
    expect(plan.targetCount).toBe(120);
  });

  test('without the fleet option there is no Fleet stage', () => {
    const plan = planRollout([{ name: 'Dev', targets: targets('dev', 1) }]);
    expect(plan.pipelines[0].stages.map((s) => s.kind)).toEqual(['wave']);
  });

  test('a fleet alone is a valid plan without a build (no other stage to deploy to)', () => {
    const plan = planRollout([], {}, { build: false, fleet: true });
    expect(plan.pipelines).toHaveLength(1);
    expect(plan.pipelines[0].stages).toEqual([{ kind: 'fleet', stageName: FLEET_STAGE_NAME, userStage: FLEET_STAGE_NAME }]);
    expect(plan.pipelines[0].stageCount).toBe(2);
    expect(FLEET_STAGE_NAME).toBe('Fleet');
    expect(() => planRollout([], {}, { build: false })).toThrow(/stages = \[\]: a pipeline without a build needs at least one stage/);
  });
});
