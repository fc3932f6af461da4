/**
 * A rollout plan as Markdown: a summary line, a Mermaid flowchart of the
 * pipelines and their stages, and a table with one row per target in
 * deployment order. Pure string building, deterministic, no CDK imports.
 */
import {
  BUILD_STAGE_NAME, HANDOFF_STAGE_NAME, PlannedPipeline, PlannedStage, RolloutPlan, SOURCE_STAGE_NAME,
} from './rollout-plan';

export interface RolloutReportOptions {
  /** Heading of the document. @default 'Rollout plan' */
  readonly title?: string;
  /** Rows of the target table; the rest is summarized in a note. @default 10000 */
  readonly maxTargetsListed?: number;
  /** The pipeline's own region, which needs an artifact store too. @default - only the targets' regions are listed */
  readonly homeRegion?: string;
}

const DEFAULT_MAX_TARGETS_LISTED = 10_000;

export function renderRolloutMarkdown(plan: RolloutPlan, options: RolloutReportOptions = {}): string {
  const title = oneLine(options.title ?? 'Rollout plan');
  const maxRows = Math.max(0, Math.floor(options.maxTargetsListed ?? DEFAULT_MAX_TARGETS_LISTED));
  return [
    `# ${title}`,
    '',
    summary(plan),
    '',
    ...deployOrder(plan, options.homeRegion),
    '```mermaid',
    ...flowchart(plan),
    '```',
    '',
    ...targetTable(plan, maxRows),
  ].join('\n') + '\n';
}

function summary(plan: RolloutPlan): string {
  const stages = plan.pipelines.reduce((sum, p) => sum + p.stageCount, 0);
  const all = plan.pipelines.flatMap((p) => p.stages);
  const waves = all.filter((s) => s.kind === 'wave').length;
  const approvals = all.filter((s) => s.kind === 'approval').length;
  const verifications = all.filter((s) => s.kind === 'verify').length;
  return [
    count(plan.targetCount, 'target'),
    count(plan.pipelines.length, 'pipeline'),
    count(stages, 'CodePipeline stage'),
    count(waves, 'wave'),
    count(approvals, 'approval'),
    ...(verifications > 0 ? [count(verifications, 'verification')] : []),
  ].join(', ') + '.';
}

/**
 * The order the stacks must be deployed in. CodePipeline checks at
 * CreatePipeline/UpdatePipeline that the pipeline role can assume every action
 * role (InvalidStructureException, aws/aws-cdk#22489, #14484), and the pipeline
 * stack looks up the key ARN of each other region's store.
 */
function deployOrder(plan: RolloutPlan, homeRegion: string | undefined): string[] {
  const targets = plan.pipelines.flatMap((p) => p.stages.flatMap((s) => (s.kind === 'wave' ? s.targets : [])));
  const regions = [...new Set([...(homeRegion ? [homeRegion] : []), ...targets.map((t) => t.region)])].map(oneLine).sort();
  const accounts = new Set(targets.map((t) => t.account)).size;
  if (targets.length === 0) {
    return [
      '## Deploy order',
      '',
      `1. The \`ArtifactStore\` of the pipeline's region${homeRegion ? `: ${oneLine(homeRegion)}` : ''}.`,
      '2. The pipeline stack. It deploys to no target: it builds only.',
      '',
    ];
  }
  return [
    '## Deploy order',
    '',
    `1. The \`ArtifactStore\` of every region of the pipeline and its targets: ${regions.join(', ')}.`,
    `2. The \`TenantDeploymentRole\` in every target account (${count(accounts, 'account')}).`,
    '3. The pipeline stack, last: CodePipeline checks, when it creates or updates a pipeline, that the pipeline role can assume ' +
      "every target's action role, and the pipeline stack looks up the key ARN of the store of every other region.",
    '',
    "Tenant fleets whose roles arrive over time should use a fleet rollout (planned) instead: it does not need every tenant's role before it deploys.",
    '',
  ];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Every CodePipeline stage of a pipeline as [name, label], fixed ones included. */
function stageLabels(pipeline: PlannedPipeline, build: boolean): Array<[string, string]> {
  const labels: Array<[string, string]> = [[SOURCE_STAGE_NAME, SOURCE_STAGE_NAME]];
  if (pipeline.role === 'release' && build) labels.push([BUILD_STAGE_NAME, BUILD_STAGE_NAME]);
  for (const stage of pipeline.stages) labels.push([stage.stageName, stageLabel(stage)]);
  if (pipeline.handsOff) labels.push([HANDOFF_STAGE_NAME, HANDOFF_STAGE_NAME]);
  return labels;
}

function stageLabel(stage: PlannedStage): string {
  switch (stage.kind) {
    case 'wave': return `${stage.stageName} (${count(stage.targets.length, 'target')})`;
    case 'approval': return `${stage.stageName} (manual approval)`;
    case 'verify': return `${stage.stageName} (verification)`;
    case 'fleet': return `${stage.stageName} (fleet rollout: every tenant of the registry, in rings)`;
    case 'assets': return `${stage.stageName} (publish assets to ${count(stage.regions.length, 'region')})`;
  }
}

function flowchart(plan: RolloutPlan): string[] {
  const lines = ['flowchart LR'];
  for (const pipeline of plan.pipelines) {
    const p = pipeline.index;
    const labels = stageLabels(pipeline, plan.build);
    lines.push(`  subgraph P${p} ["${mermaidText(`Pipeline ${p} (${pipeline.role})`)}"]`);
    labels.forEach(([, label], s) => lines.push(`    P${p}S${s}["${mermaidText(label)}"]`));
    for (let s = 1; s < labels.length; s++) lines.push(`    P${p}S${s - 1} --> P${p}S${s}`);
    lines.push('  end');
  }
  for (const pipeline of plan.pipelines) {
    if (!pipeline.handsOff) continue;
    const last = stageLabels(pipeline, plan.build).length - 1;
    lines.push(`  P${pipeline.index}S${last} -.->|artifact| P${pipeline.index + 1}S0`);
  }
  return lines;
}

function targetTable(plan: RolloutPlan, maxRows: number): string[] {
  if (plan.targetCount === 0) return ['No targets: the pipeline builds only.'];
  const lines = [
    '| # | User stage | Wave | Pipeline | CodePipeline stage | Target | Account | Region |',
    '| ---: | --- | --- | ---: | --- | --- | --- | --- |',
  ];
  let order = 0;
  for (const pipeline of plan.pipelines) {
    for (const stage of pipeline.stages) {
      if (stage.kind !== 'wave') continue;
      for (const target of stage.targets) {
        order++;
        if (order > maxRows) continue;
        lines.push('| ' + [
          String(order), stage.userStage, `${stage.wave} of ${stage.waves}`, String(pipeline.index),
          stage.stageName, target.id, target.account, target.region,
        ].map(cell).join(' | ') + ' |');
      }
    }
  }
  if (order > maxRows) {
    lines.push('', `Showing the first ${maxRows} of ${order} targets; ${order - maxRows} more are not listed.`);
  }
  return lines;
}

/** Text for a quoted Mermaid label: entity codes for what would end the label or start markup. */
function mermaidText(text: string): string {
  return oneLine(text)
    .replace(/#/g, '#35;')
    .replace(/"/g, '#quot;')
    .replace(/</g, '#60;')
    .replace(/>/g, '#62;');
}

/** Text for a Markdown table cell. */
function cell(text: string): string {
  return oneLine(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/`/g, '\\`');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
