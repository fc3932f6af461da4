/**
 * Which target deploys in which wave, CodePipeline stage and pipeline.
 *
 * Pure arithmetic with no CDK imports: `CrossAccountPipeline` renders the plan
 * into pipelines, and `renderRolloutMarkdown` renders it for humans.
 *
 * The rules:
 * - the targets of a user stage (Dev, Test, Prod, ...) deploy in waves of at most
 *   `waveSize` parallel actions, one CodePipeline stage per wave;
 * - an approval is its own CodePipeline stage, right before the first wave of its
 *   user stage, and always in the same pipeline as that wave;
 * - pipeline 0 (release) starts with Source and Build (Source alone when the
 *   pipeline has no build), every later pipeline
 *   (continuation) with one Source stage fed by the released artifact, and every
 *   pipeline but the last ends with a Handoff stage to the next one;
 * - with asset publishing, an Assets stage follows the build in the release
 *   pipeline, before any deploy stage: one publish action per distinct region
 *   of the targets (and of the extra regions), never one per target;
 * - a pipeline holds at most `stagesPerPipeline` stages (all of them counted) and
 *   `maxActionsPerPipeline` deploy actions; waves keep their order across pipelines.
 *
 * Packing is greedy, which is optimal here: the deploy stages form one ordered
 * sequence and each pipeline takes the longest prefix that fits.
 */
import { roundsFor } from '../shared/rounds';
import { checkAccountId, checkNameLength, describeProblem, Problem } from '../shared/validation';

export interface PlanTarget {
  /** Becomes the CodePipeline action name, so `[A-Za-z0-9.@_-]{1,100}`, unique across all stages. */
  readonly id: string;
  readonly account: string;
  readonly region: string;
  /** CloudFormation parameter overrides of this target (at most 1,000 characters as JSON). */
  readonly parameters?: Record<string, string>;
}

export interface PlanStageInput {
  readonly name: string;
  readonly targets: PlanTarget[];
  /** A manual approval before the first wave of this stage. */
  readonly approval?: boolean;
  /** A verification stage (tests, scans) after the last wave of this stage. */
  readonly verify?: boolean;
}

export interface PlanLimits {
  /** CodePipeline stages per pipeline, Source, Build and Handoff included. */
  readonly stagesPerPipeline: number;
  /** CodePipeline actions per stage. */
  readonly actionsPerStage: number;
  /** Targets deployed in parallel in one wave (one CodePipeline stage). */
  readonly waveSize: number;
  /** Deploy actions of one pipeline, to keep its template well under CloudFormation's 1 MB. */
  readonly maxActionsPerPipeline: number;
}

export const DEFAULT_LIMITS: PlanLimits = {
  stagesPerPipeline: 50,
  actionsPerStage: 50,
  waveSize: 50,
  maxActionsPerPipeline: 1000,
};

export interface PlannedWave {
  readonly kind: 'wave';
  /** CodePipeline stage name, for example `Prod-Wave-003-of-100`. */
  readonly stageName: string;
  readonly userStage: string;
  /** 1-based, within the user stage. */
  readonly wave: number;
  /** Waves of the user stage. */
  readonly waves: number;
  readonly targets: PlanTarget[];
}

export interface PlannedApproval {
  readonly kind: 'approval';
  /** CodePipeline stage name, for example `Approve-Prod`. */
  readonly stageName: string;
  readonly userStage: string;
}

export interface PlannedVerify {
  readonly kind: 'verify';
  /** CodePipeline stage name, for example `Verify-Prod`. */
  readonly stageName: string;
  readonly userStage: string;
}

/** The last stage of the chain: hands the build output to a fleet rollout and waits for it. */
export interface PlannedFleet {
  readonly kind: 'fleet';
  /** CodePipeline stage name: `Fleet`. */
  readonly stageName: string;
  readonly userStage: string;
}

/**
 * The stage that publishes the application's assets (Lambda code, images) to
 * the store of every region the release deploys to, before the first deploy.
 */
export interface PlannedAssets {
  readonly kind: 'assets';
  /** CodePipeline stage name: `Assets`. */
  readonly stageName: string;
  readonly userStage: string;
  /** One publish action each: the distinct regions, sorted. */
  readonly regions: string[];
}

export type PlannedStage = PlannedWave | PlannedApproval | PlannedVerify | PlannedFleet | PlannedAssets;

export interface PlannedPipeline {
  /** 0 is the release pipeline; each later one is fed by the one before. */
  readonly index: number;
  readonly role: 'release' | 'continuation';
  /** Approval and wave stages only, in order; not Source, Build or Handoff. */
  readonly stages: PlannedStage[];
  /** Every CodePipeline stage, Source, Build (when the plan has one) and Handoff included. */
  readonly stageCount: number;
  /** Deploy actions (one per target). */
  readonly actionCount: number;
  /** Ends with a Handoff stage feeding pipeline `index + 1`. */
  readonly handsOff: boolean;
}

export interface RolloutPlan {
  readonly pipelines: PlannedPipeline[];
  readonly targetCount: number;
  readonly limits: PlanLimits;
  /** The release pipeline has a Build stage after its Source; without one, the targets deploy the source as it is. */
  readonly build: boolean;
}

export interface PlanOptions {
  /** The release pipeline builds (a Build stage after Source). Without a build, a pipeline needs a stage to deploy to. @default true */
  readonly build?: boolean;
  /** The chain ends with a Fleet stage that starts a fleet rollout (the tenants are not targets of the pipeline). @default false */
  readonly fleet?: boolean;
  /** An Assets stage after the build publishes the application's assets once per region. @default - no Assets stage */
  readonly assets?: AssetPlanOptions;
}

/** The Assets stage of a plan. */
export interface AssetPlanOptions {
  /** Regions to publish to besides those of the targets (a fleet rollout's region). @default - none */
  readonly extraRegions?: string[];
}

/** Names of the fixed stages the renderer adds around the planned ones. */
export const SOURCE_STAGE_NAME = 'Source';
export const BUILD_STAGE_NAME = 'Build';
export const HANDOFF_STAGE_NAME = 'Handoff';
/** The stage that hands the release to a fleet rollout; no user stage name can produce it (theirs end in `-Wave-<n>-of-<n>`). */
export const FLEET_STAGE_NAME = 'Fleet';
/** The stage that publishes the assets; no user stage name can produce it either. */
export const ASSETS_STAGE_NAME = 'Assets';

/** CodePipeline stage and action names. */
const CODEPIPELINE_NAME = /^[A-Za-z0-9.@_-]+$/;
const CODEPIPELINE_NAME_LIMIT = 100;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** CodePipeline action configuration values hold at most 1,000 characters (API ActionConfiguration). */
const PARAMETER_OVERRIDES_LIMIT = 1000;
/** Adjustable CodePipeline quotas (actions per stage, stages per pipeline) never go above this here. */
export const QUOTA_CEILING = 100;
/** Source, Build, one wave, Handoff. */
const MIN_STAGES_PER_PIPELINE = 4;

export function waveStageName(userStage: string, wave: number, waves: number): string {
  const width = String(waves).length;
  return `${userStage}-Wave-${String(wave).padStart(width, '0')}-of-${waves}`;
}

export function approvalStageName(userStage: string): string {
  return `Approve-${userStage}`;
}

export function verifyStageName(userStage: string): string {
  return `Verify-${userStage}`;
}

/** Every problem with the input, property paths as the user wrote them (`stages[2].targets[7].account`). */
export function planProblems(stages: PlanStageInput[], limits: PlanLimits, options: PlanOptions = {}): Problem[] {
  const problems = limitProblems(limits);
  const waveSizeValid = problems.every((p) => p.property !== 'limits.waveSize');
  if (stages.length === 0 && options.build === false && !options.fleet) {
    problems.push({
      property: 'stages',
      value: [],
      reason: 'a pipeline without a build needs at least one stage to deploy to (CodePipeline refuses a pipeline of a Source stage alone)',
      fix: "add a stage, for example { name: 'Dev', targets: [{ id: 'dev', account: '111111111111', region: 'eu-west-1' }] }, or give buildOptions for a build-only pipeline",
    });
  }
  if (options.assets) problems.push(...assetStageProblems(stages, options.assets, limits));
  const stageNames = new Map<string, number>();
  const generatedNames = new Map<string, number>();
  const targetIds = new Map<string, string>();
  stages.forEach((stage, i) => {
    const property = `stages[${i}]`;
    problems.push(...stageNameProblems(`${property}.name`, stage.name));
    const first = stageNames.get(stage.name);
    if (first !== undefined) {
      problems.push({
        property: `${property}.name`,
        value: stage.name,
        reason: `duplicate of stages[${first}].name`,
        fix: 'give each stage its own name',
      });
    } else {
      stageNames.set(stage.name, i);
    }
    if (stage.targets.length === 0) {
      problems.push({
        property: `${property}.targets`,
        value: [],
        reason: 'a stage without targets would be an empty CodePipeline stage, which CodePipeline rejects',
        fix: 'add at least one target to the stage, or remove the stage',
      });
    } else if (waveSizeValid && first === undefined && CODEPIPELINE_NAME.test(stage.name)) {
      problems.push(...generatedNameProblems(`${property}.name`, stage, limits.waveSize, generatedNames, i));
      problems.push(...blockFitProblems(property, stage, limits));
    }
    stage.targets.forEach((target, j) => {
      problems.push(...targetProblems(`${property}.targets[${j}]`, target, targetIds));
    });
  });
  return problems;
}

/** Plans the rollout; throws an Error listing every problem of the input. */
export function planRollout(stages: PlanStageInput[], limits: Partial<PlanLimits> = {}, options: PlanOptions = {}): RolloutPlan {
  const resolved = resolveLimits(limits);
  const build = options.build ?? true;
  const problems = planProblems(stages, resolved, { build, fleet: options.fleet, assets: options.assets });
  if (problems.length > 0) {
    throw new Error(`invalid rollout plan:\n${problems.map((p) => `  - ${describeProblem(p)}`).join('\n')}`);
  }
  const fleet: Block[] = options.fleet ? [{ stages: [{ kind: 'fleet', stageName: FLEET_STAGE_NAME, userStage: FLEET_STAGE_NAME }], actions: 0 }] : [];
  // First block: it always fits the release pipeline (Source, Build, Assets, Handoff is the smallest limit).
  const assets: Block[] = options.assets ? [{
    stages: [{
      kind: 'assets', stageName: ASSETS_STAGE_NAME, userStage: ASSETS_STAGE_NAME, regions: assetRegions(stages, options.assets),
    }],
    actions: 0,
  }] : [];
  const pipelines = pack([...assets, ...blocksOf(stages, resolved.waveSize), ...fleet], resolved, build ? 2 : 1);
  const targetCount = stages.reduce((sum, stage) => sum + stage.targets.length, 0);
  return { pipelines, targetCount, limits: resolved, build };
}

/** The regions the assets are published to: those of the targets and the extra ones, each once, sorted. */
export function assetRegions(stages: PlanStageInput[], options: AssetPlanOptions): string[] {
  const regions = new Set([...stages.flatMap((s) => s.targets.map((t) => t.region)), ...(options.extraRegions ?? [])]);
  return [...regions].sort();
}

/** One publish action per region, in one CodePipeline stage. */
function assetStageProblems(stages: PlanStageInput[], options: AssetPlanOptions, limits: PlanLimits): Problem[] {
  const regions = assetRegions(stages, options);
  if (!isWholeIn(limits.actionsPerStage, 1, QUOTA_CEILING) || regions.length <= limits.actionsPerStage) return [];
  return [{
    property: 'assetPublishing',
    value: regions,
    reason: `the Assets stage publishes to ${regions.length} regions, one action each, over actionsPerStage (${limits.actionsPerStage})`,
    fix: 'raise limits.actionsPerStage if the account\'s quota allows, or split the regions over several pipelines',
  }];
}

/** Every target, in deployment order. */
export function targetsOf(plan: RolloutPlan): PlanTarget[] {
  const targets: PlanTarget[] = [];
  for (const pipeline of plan.pipelines) {
    for (const stage of pipeline.stages) {
      if (stage.kind === 'wave') targets.push(...stage.targets);
    }
  }
  return targets;
}

/**
 * Defaults for what the user left out. `waveSize` defaults to the smaller of 50
 * and `actionsPerStage`, so lowering `actionsPerStage` alone stays valid; an
 * invalid `actionsPerStage` leaves it at 50, so that one bad value is one problem.
 */
export function resolveLimits(limits: Partial<PlanLimits>): PlanLimits {
  const actionsPerStage = limits.actionsPerStage ?? DEFAULT_LIMITS.actionsPerStage;
  const actionsValid = isWholeIn(actionsPerStage, 1, QUOTA_CEILING);
  return {
    stagesPerPipeline: limits.stagesPerPipeline ?? DEFAULT_LIMITS.stagesPerPipeline,
    actionsPerStage,
    waveSize: limits.waveSize ?? (actionsValid ? Math.min(DEFAULT_LIMITS.waveSize, actionsPerStage) : DEFAULT_LIMITS.waveSize),
    maxActionsPerPipeline: limits.maxActionsPerPipeline ?? DEFAULT_LIMITS.maxActionsPerPipeline,
  };
}

function limitProblems(limits: PlanLimits): Problem[] {
  const problems: Problem[] = [];
  const { stagesPerPipeline, actionsPerStage, waveSize, maxActionsPerPipeline } = limits;
  if (!isWholeIn(stagesPerPipeline, MIN_STAGES_PER_PIPELINE, QUOTA_CEILING)) {
    problems.push({
      property: 'limits.stagesPerPipeline',
      value: stagesPerPipeline,
      reason: `must be a whole number from ${MIN_STAGES_PER_PIPELINE} (Source, Build, one wave and Handoff) to ${QUOTA_CEILING}`,
      fix: 'use the CodePipeline quota "stages per pipeline" of the tooling account (50 unless raised)',
    });
  }
  const actionsValid = isWholeIn(actionsPerStage, 1, QUOTA_CEILING);
  if (!actionsValid) {
    problems.push({
      property: 'limits.actionsPerStage',
      value: actionsPerStage,
      reason: `must be a whole number from 1 to ${QUOTA_CEILING}`,
      fix: 'use the CodePipeline quota "actions per stage" of the tooling account (50, or 100 where AWS raised it)',
    });
  }
  if (!isWholeIn(waveSize, 1, Infinity)) {
    problems.push({
      property: 'limits.waveSize',
      value: waveSize,
      reason: 'must be a whole number of at least 1',
      fix: 'set how many targets deploy in parallel, for example 50',
    });
  } else if (actionsValid && waveSize > actionsPerStage) {
    problems.push({
      property: 'limits.waveSize',
      value: waveSize,
      reason: `a wave is one CodePipeline stage, which holds at most actionsPerStage (${actionsPerStage}) actions`,
      fix: `set waveSize to ${actionsPerStage} or less, or raise actionsPerStage if the account's quota allows`,
    });
  }
  if (!isWholeIn(maxActionsPerPipeline, 1, Infinity) || (isWholeIn(waveSize, 1, Infinity) && maxActionsPerPipeline < waveSize)) {
    problems.push({
      property: 'limits.maxActionsPerPipeline',
      value: maxActionsPerPipeline,
      reason: `must be a whole number of at least waveSize (${waveSize}), so that one wave fits in a pipeline`,
      fix: `set maxActionsPerPipeline to ${Math.max(1, waveSize)} or more (default ${DEFAULT_LIMITS.maxActionsPerPipeline})`,
    });
  }
  return problems;
}

/**
 * The stages that must share a pipeline (a wave with its approval and its
 * verification) plus Source and Handoff must fit one continuation pipeline.
 */
function blockFitProblems(property: string, stage: PlanStageInput, limits: PlanLimits): Problem[] {
  const waves = roundsFor(stage.targets.length, limits.waveSize);
  const extra = waves === 1
    ? (stage.approval ? 1 : 0) + (stage.verify ? 1 : 0)
    : (stage.approval || stage.verify ? 1 : 0);
  const needed = 2 + 1 + extra;
  if (!isWholeIn(limits.stagesPerPipeline, 1, Infinity) || needed <= limits.stagesPerPipeline) return [];
  return [{
    property: 'limits.stagesPerPipeline',
    value: limits.stagesPerPipeline,
    reason: `${property} needs ${needed} stages in one pipeline (Source, its approval, wave and verification, Handoff)`,
    fix: `set stagesPerPipeline to ${needed} or more`,
  }];
}

/** A whole number from `min` to `max`. */
export function isWholeIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function stageNameProblems(property: string, name: string): Problem[] {
  if (!CODEPIPELINE_NAME.test(name)) {
    return [{
      property,
      value: name,
      reason: "a stage name may hold only letters, digits, '.', '@', '_' and '-' (it becomes part of CodePipeline stage names)",
      fix: "use a name such as 'Prod' or 'eu-prod'",
    }];
  }
  return [];
}

/**
 * The CodePipeline stage names made from a user stage name: each within 100
 * characters ('-Wave-1-of-1' is longer than 'Approve-'), and none equal to one made from another stage (for example the
 * approval of 'X-Wave-1-of-1' and the only wave of 'Approve-X').
 */
function generatedNameProblems(
  property: string, stage: PlanStageInput, waveSize: number, seen: Map<string, number>, index: number,
): Problem[] {
  const waves = roundsFor(stage.targets.length, waveSize);
  const fix = 'use a shorter stage name';
  // The longest name: wave names are padded to one length, and longer than the approval's.
  const longest = waveStageName(stage.name, waves, waves);
  const problems = checkNameLength(property, stage.name, longest, 'the CodePipeline stage name', CODEPIPELINE_NAME_LIMIT, fix);
  const names = [
    ...(stage.approval ? [approvalStageName(stage.name)] : []),
    ...(stage.verify ? [verifyStageName(stage.name)] : []),
  ];
  for (let wave = 1; wave <= waves; wave++) names.push(waveStageName(stage.name, wave, waves));
  for (const name of names) {
    const other = seen.get(name);
    if (other !== undefined && other !== index) {
      problems.push({
        property,
        value: stage.name,
        reason: `makes the CodePipeline stage name '${name}', which stages[${other}] makes too`,
        fix: 'rename one of the two stages',
      });
      break;
    }
    seen.set(name, index);
  }
  return problems;
}

function targetProblems(property: string, target: PlanTarget, seenIds: Map<string, string>): Problem[] {
  const problems: Problem[] = [];
  const { id, account, region, parameters } = target;
  if (!CODEPIPELINE_NAME.test(id)) {
    problems.push({
      property: `${property}.id`,
      value: id,
      reason: "a target id becomes a CodePipeline action name, which holds 1 to 100 letters, digits, '.', '@', '_' or '-'",
      fix: "use an id such as 'tenant-0042' or 'acme.prod'",
    });
  } else if (id.length > CODEPIPELINE_NAME_LIMIT) {
    problems.push({
      property: `${property}.id`,
      value: id,
      reason: `${id.length} characters, over the CodePipeline action name limit of ${CODEPIPELINE_NAME_LIMIT}`,
      fix: `use an id of at most ${CODEPIPELINE_NAME_LIMIT} characters`,
    });
  }
  const first = seenIds.get(id);
  if (first !== undefined) {
    problems.push({
      property: `${property}.id`,
      value: id,
      reason: `duplicate of ${first}.id (action names must be unique, and so must the deployments they stand for)`,
      fix: 'give each target its own id, across all stages',
    });
  } else {
    seenIds.set(id, property);
  }
  if (account === '' || account === undefined) {
    problems.push({
      property: `${property}.account`,
      value: account,
      reason: 'missing',
      fix: 'set the 12-digit id of the account the target deploys to',
    });
  } else {
    problems.push(...checkAccountId(`${property}.account`, account));
  }
  if (region === '' || region === undefined) {
    problems.push({
      property: `${property}.region`,
      value: region,
      reason: 'missing',
      fix: "set the region the target deploys to, for example 'eu-west-1'",
    });
  } else if (!REGION.test(region)) {
    problems.push({
      property: `${property}.region`,
      value: region,
      reason: 'not an AWS region code (the pipeline needs a concrete region to place an artifact store there)',
      fix: "use a region code such as 'eu-west-1' or 'us-gov-west-1'",
    });
  }
  if (parameters !== undefined) {
    const length = JSON.stringify(parameters).length;
    if (length > PARAMETER_OVERRIDES_LIMIT) {
      problems.push({
        property: `${property}.parameters`,
        value: parameters,
        reason: `target '${id}' has parameter overrides of ${length} characters as JSON, over CodePipeline's limit of ${PARAMETER_OVERRIDES_LIMIT} for an action configuration value`,
        fix: 'pass fewer or shorter parameters; keep large values in SSM Parameter Store and pass their names',
      });
    }
  }
  return problems;
}

/**
 * What must stay in one pipeline: one wave, with the approval before it when it
 * is the first wave, and the verification after it when it is the last.
 */
interface Block {
  readonly stages: PlannedStage[];
  readonly actions: number;
}

function blocksOf(stages: PlanStageInput[], waveSize: number): Block[] {
  const blocks: Block[] = [];
  for (const stage of stages) {
    const waves = roundsFor(stage.targets.length, waveSize);
    for (let wave = 1; wave <= waves; wave++) {
      const targets = stage.targets.slice((wave - 1) * waveSize, wave * waveSize);
      const planned: PlannedWave = { kind: 'wave', stageName: waveStageName(stage.name, wave, waves), userStage: stage.name, wave, waves, targets };
      const approval: PlannedApproval[] = stage.approval && wave === 1
        ? [{ kind: 'approval', stageName: approvalStageName(stage.name), userStage: stage.name }]
        : [];
      const verify: PlannedVerify[] = stage.verify && wave === waves
        ? [{ kind: 'verify', stageName: verifyStageName(stage.name), userStage: stage.name }]
        : [];
      blocks.push({ stages: [...approval, planned, ...verify], actions: targets.length });
    }
  }
  return blocks;
}

/**
 * Greedy packing: a block goes into the current pipeline if the pipeline, with
 * room kept for a Handoff stage when more blocks follow, stays within both limits.
 * Validation guarantees any block fits an empty continuation pipeline
 * (Source + approval + wave + Handoff = 4 stages). The release pipeline may end up
 * with no deploy stage (Source, Build, Handoff) when stagesPerPipeline is 4 and
 * the first stage has an approval. `releaseHead` counts the release pipeline's
 * fixed stages before the first wave: Source and Build, or Source alone.
 */
function pack(blocks: Block[], limits: PlanLimits, releaseHead: number): PlannedPipeline[] {
  const pipelines: PlannedPipeline[] = [];
  let stages: PlannedStage[] = [];
  let actions = 0;
  const close = (handsOff: boolean): void => {
    const index = pipelines.length;
    const fixed = (index === 0 ? releaseHead : 1) + (handsOff ? 1 : 0);
    pipelines.push({
      index,
      role: index === 0 ? 'release' : 'continuation',
      stages,
      stageCount: fixed + stages.length,
      actionCount: actions,
      handsOff,
    });
    stages = [];
    actions = 0;
  };
  blocks.forEach((block, b) => {
    const head = pipelines.length === 0 ? releaseHead : 1;
    const handoff = b < blocks.length - 1 ? 1 : 0;
    const fits = head + stages.length + block.stages.length + handoff <= limits.stagesPerPipeline
      && actions + block.actions <= limits.maxActionsPerPipeline;
    if (!fits) close(true);
    stages.push(...block.stages);
    actions += block.actions;
  });
  close(false);
  return pipelines;
}
