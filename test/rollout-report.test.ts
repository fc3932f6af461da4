import { DEFAULT_LIMITS, planRollout, PlanTarget, RolloutPlan } from '../src/cross-account-pipeline/rollout-plan';
import { renderRolloutMarkdown } from '../src/cross-account-pipeline/rollout-report';

function targets(prefix: string, count: number): PlanTarget[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i + 1).padStart(4, '0')}`,
    account: String(100000000000 + i + 1),
    region: 'eu-west-1',
  }));
}

/** Table rows of targets (lines starting with '| ' followed by a digit). */
function targetRows(markdown: string): string[] {
  return markdown.split('\n').filter((line) => /^\| \d+ \|/.test(line));
}

describe('renderRolloutMarkdown', () => {
  /** Two pipelines: the approval and both Prod waves do not fit after Dev in 4 stages. */
  const small = planRollout([
    {
      name: 'Dev',
      targets: [
        { id: 'dev-a', account: '111111111111', region: 'eu-west-1' },
        { id: 'dev-b', account: '222222222222', region: 'eu-west-1' },
      ],
    },
    {
      name: 'Prod',
      approval: true,
      targets: [
        { id: 'acme', account: '333333333333', region: 'us-east-1' },
        { id: 'globex', account: '444444444444', region: 'us-east-1' },
        { id: 'initech', account: '555555555555', region: 'ap-southeast-2' },
      ],
    },
  ], { stagesPerPipeline: 4, waveSize: 2 });

  test('a small plan, exactly', () => {
    expect(renderRolloutMarkdown(small)).toBe([
      '# Rollout plan',
      '',
      '5 targets, 2 pipelines, 8 CodePipeline stages, 3 waves, 1 approval.',
      '',
      '## Deploy order',
      '',
      '1. The `ArtifactStore` of every region of the pipeline and its targets: ap-southeast-2, eu-west-1, us-east-1.',
      '2. The `TenantDeploymentRole` in every target account (5 accounts).',
      '3. The pipeline stack, last: CodePipeline checks, when it creates or updates a pipeline, that the pipeline role can assume every target\'s action role, and the pipeline stack looks up the key ARN of the store of every other region.',
      '',
      'Tenant fleets whose roles arrive over time should use a fleet rollout (planned) instead: it does not need every tenant\'s role before it deploys.',
      '',
      '```mermaid',
      'flowchart LR',
      '  subgraph P0 ["Pipeline 0 (release)"]',
      '    P0S0["Source"]',
      '    P0S1["Build"]',
      '    P0S2["Dev-Wave-1-of-1 (2 targets)"]',
      '    P0S3["Handoff"]',
      '    P0S0 --> P0S1',
      '    P0S1 --> P0S2',
      '    P0S2 --> P0S3',
      '  end',
      '  subgraph P1 ["Pipeline 1 (continuation)"]',
      '    P1S0["Source"]',
      '    P1S1["Approve-Prod (manual approval)"]',
      '    P1S2["Prod-Wave-1-of-2 (2 targets)"]',
      '    P1S3["Prod-Wave-2-of-2 (1 target)"]',
      '    P1S0 --> P1S1',
      '    P1S1 --> P1S2',
      '    P1S2 --> P1S3',
      '  end',
      '  P0S3 -.->|artifact| P1S0',
      '```',
      '',
      '| # | User stage | Wave | Pipeline | CodePipeline stage | Target | Account | Region |',
      '| ---: | --- | --- | ---: | --- | --- | --- | --- |',
      '| 1 | Dev | 1 of 1 | 0 | Dev-Wave-1-of-1 | dev-a | 111111111111 | eu-west-1 |',
      '| 2 | Dev | 1 of 1 | 0 | Dev-Wave-1-of-1 | dev-b | 222222222222 | eu-west-1 |',
      '| 3 | Prod | 1 of 2 | 1 | Prod-Wave-1-of-2 | acme | 333333333333 | us-east-1 |',
      '| 4 | Prod | 1 of 2 | 1 | Prod-Wave-1-of-2 | globex | 444444444444 | us-east-1 |',
      '| 5 | Prod | 2 of 2 | 1 | Prod-Wave-2-of-2 | initech | 555555555555 | ap-southeast-2 |',
      '',
    ].join('\n'));
  });

  test('a Deploy order section: the stores of every region, then the target roles, then the pipeline stack', () => {
    const lines = renderRolloutMarkdown(small, { homeRegion: 'us-east-1' }).split('\n');
    const start = lines.indexOf('## Deploy order');
    expect(start).toBeGreaterThan(0);
    expect(lines.slice(start, start + 8)).toEqual([
      '## Deploy order',
      '',
      '1. The `ArtifactStore` of every region of the pipeline and its targets: ap-southeast-2, eu-west-1, us-east-1.',
      '2. The `TenantDeploymentRole` in every target account (5 accounts).',
      '3. The pipeline stack, last: CodePipeline checks, when it creates or updates a pipeline, that the pipeline role can assume every target\'s action role, and the pipeline stack looks up the key ARN of the store of every other region.',
      '',
      'Tenant fleets whose roles arrive over time should use a fleet rollout (planned) instead: it does not need every tenant\'s role before it deploys.',
      '',
    ]);
    // Before the diagram, so the table stays the end of the document.
    expect(start).toBeLessThan(lines.indexOf('```mermaid'));
    // Without the pipeline's region, the regions of the targets.
    expect(renderRolloutMarkdown(small)).toContain('1. The `ArtifactStore` of every region of the pipeline and its targets: ap-southeast-2, eu-west-1, us-east-1.\n');
    const one = planRollout([{ name: 'Dev', targets: [{ id: 'a', account: '111111111111', region: 'eu-west-1' }, { id: 'b', account: '111111111111', region: 'eu-west-1' }] }]);
    const oneLines = renderRolloutMarkdown(one, { homeRegion: 'us-east-2' });
    expect(oneLines).toContain('1. The `ArtifactStore` of every region of the pipeline and its targets: eu-west-1, us-east-2.\n');
    expect(oneLines).toContain('2. The `TenantDeploymentRole` in every target account (1 account).\n');
  });

  test('a Fleet stage is drawn after the last wave, labelled as the fleet rollout', () => {
    const plan = planRollout([{ name: 'Dev', targets: targets('dev', 1) }], {}, { fleet: true });
    const markdown = renderRolloutMarkdown(plan);
    expect(markdown).toContain('Fleet (fleet rollout: every tenant of the registry, in rings)');
    expect(markdown.indexOf('Fleet (fleet rollout')).toBeGreaterThan(markdown.indexOf('Dev-Wave-1-of-1'));
  });

  test('the same plan renders the same document', () => {
    expect(renderRolloutMarkdown(small)).toBe(renderRolloutMarkdown(small));
  });

  test('5,000 targets: one subgraph per pipeline, a dashed edge per handoff, a row per target', () => {
    const plan = planRollout([{ name: 'Prod', targets: targets('tenant', 5000) }]);
    const markdown = renderRolloutMarkdown(plan, { title: 'Tenants' });
    // Stages: 23 (release) + 3 * 22 + 21 (last, no Handoff) = 110.
    expect(markdown.split('\n').slice(0, 3)).toEqual(['# Tenants', '', '5000 targets, 5 pipelines, 110 CodePipeline stages, 100 waves, 0 approvals.']);
    expect(markdown.match(/^ {2}subgraph /gm)).toHaveLength(5);
    expect(markdown.match(/^ {2}end$/gm)).toHaveLength(5);
    expect(markdown.match(/ -\.->\|artifact\| /g)).toHaveLength(4);
    // Pipeline 0: Source, Build, 20 waves, Handoff = 23 nodes; its Handoff is P0S22.
    expect(markdown).toContain('  P0S22 -.->|artifact| P1S0\n');
    expect(markdown).toContain('  P3S21 -.->|artifact| P4S0\n');
    // Solid edges: one fewer than the nodes of each pipeline.
    expect(markdown.match(/ --> /g)).toHaveLength(110 - 5);
    const rows = targetRows(markdown);
    expect(rows).toHaveLength(5000);
    expect(rows[4999]).toBe('| 5000 | Prod | 100 of 100 | 4 | Prod-Wave-100-of-100 | tenant-5000 | 100000005000 | eu-west-1 |');
    expect(markdown).not.toContain('Showing the first');
  });

  test('maxTargetsListed truncates the table with a note', () => {
    const plan = planRollout([{ name: 'Prod', targets: targets('tenant', 120) }]);
    const markdown = renderRolloutMarkdown(plan, { maxTargetsListed: 3 });
    const rows = targetRows(markdown);
    expect(rows).toHaveLength(3);
    expect(rows[2]).toBe('| 3 | Prod | 1 of 3 | 0 | Prod-Wave-1-of-3 | tenant-0003 | 100000000003 | eu-west-1 |');
    expect(markdown.endsWith('\n\nShowing the first 3 of 120 targets; 117 more are not listed.\n')).toBe(true);
  });

  test('the default lists up to 10,000 targets', () => {
    const plan = planRollout([{ name: 'Prod', targets: targets('tenant', 120) }]);
    expect(targetRows(renderRolloutMarkdown(plan))).toHaveLength(120);
  });

  test('labels and cells are escaped, so text cannot break the diagram or the table', () => {
    // A hand-built plan (plans are plain data) with text planRollout would reject.
    const target = { id: 'a|b`c', account: '<123>', region: 'x\ny' };
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
        stages: [{ kind: 'wave', stageName: 'say "hi" #1 <b>', userStage: 'U|S', wave: 1, waves: 1, targets: [target] }],
      }],
    };
    const markdown = renderRolloutMarkdown(plan, { title: 'Line one\nline two' });
    expect(markdown.split('\n')[0]).toBe('# Line one line two');
    expect(markdown).toContain('    P0S2["say #quot;hi#quot; #35;1 #60;b#62; (1 target)"]\n');
    expect(targetRows(markdown)).toEqual(['| 1 | U\\|S | 1 of 1 | 0 | say "hi" #1 &lt;b> | a\\|b\\`c | &lt;123> | x y |']);
  });
});

describe('renderRolloutMarkdown of pipelines without deploy stages or without a build', () => {
  test('a build-only plan: Source -> Build, the store of the home region only, no table', () => {
    expect(renderRolloutMarkdown(planRollout([]), { homeRegion: 'us-east-1' })).toBe([
      '# Rollout plan',
      '',
      '0 targets, 1 pipeline, 2 CodePipeline stages, 0 waves, 0 approvals.',
      '',
      '## Deploy order',
      '',
      "1. The `ArtifactStore` of the pipeline's region: us-east-1.",
      '2. The pipeline stack. It deploys to no target: it builds only.',
      '',
      '```mermaid',
      'flowchart LR',
      '  subgraph P0 ["Pipeline 0 (release)"]',
      '    P0S0["Source"]',
      '    P0S1["Build"]',
      '    P0S0 --> P0S1',
      '  end',
      '```',
      '',
      'No targets: the pipeline builds only.',
      '',
    ].join('\n'));
  });

  test('a build-only plan without a home region names no region', () => {
    expect(renderRolloutMarkdown(planRollout([])).split('\n')[6]).toBe("1. The `ArtifactStore` of the pipeline's region.");
  });

  test('a plan without a build: no Build stage, and the handoff leaves from the last stage of the release pipeline', () => {
    const plan = planRollout([{ name: 'Prod', targets: targets('t', 4) }], { waveSize: 1, stagesPerPipeline: 4 }, { build: false });
    const markdown = renderRolloutMarkdown(plan);
    expect(markdown.split('\n')[2]).toBe('4 targets, 2 pipelines, 7 CodePipeline stages, 4 waves, 0 approvals.');
    expect(markdown).toContain([
      'flowchart LR',
      '  subgraph P0 ["Pipeline 0 (release)"]',
      '    P0S0["Source"]',
      '    P0S1["Prod-Wave-1-of-4 (1 target)"]',
      '    P0S2["Prod-Wave-2-of-4 (1 target)"]',
      '    P0S3["Handoff"]',
      '    P0S0 --> P0S1',
      '    P0S1 --> P0S2',
      '    P0S2 --> P0S3',
      '  end',
      '  subgraph P1 ["Pipeline 1 (continuation)"]',
      '    P1S0["Source"]',
      '    P1S1["Prod-Wave-3-of-4 (1 target)"]',
      '    P1S2["Prod-Wave-4-of-4 (1 target)"]',
      '    P1S0 --> P1S1',
      '    P1S1 --> P1S2',
      '  end',
      '  P0S3 -.->|artifact| P1S0',
      '```',
    ].join('\n'));
  });
});
