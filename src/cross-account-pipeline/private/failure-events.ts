/**
 * EventBridge patterns for failures anywhere in a chain of pipelines, and the
 * problems of the options that narrow them to a stage or a target.
 *
 * Pure: no constructs. The event shapes are CodePipeline's, as documented in
 * "Monitoring CodePipeline events"
 * (https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html):
 * source `aws.codepipeline`, `resources` holding the pipeline ARN, and in
 * `detail` the `pipeline`, `stage`, `action` and `state` (FAILED for failures).
 */
import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { Problem } from '../../shared/validation';
import { BUILD_STAGE_NAME, RolloutPlan, SOURCE_STAGE_NAME } from '../rollout-plan';

export const PIPELINE_EXECUTION_STATE_CHANGE = 'CodePipeline Pipeline Execution State Change';
export const STAGE_EXECUTION_STATE_CHANGE = 'CodePipeline Stage Execution State Change';
export const ACTION_EXECUTION_STATE_CHANGE = 'CodePipeline Action Execution State Change';

/** The actions that deploy one target, and the CodePipeline stage (wave) holding them. */
export interface TargetActions {
  readonly userStage: string;
  readonly stage: string;
  readonly actions: string[];
}

/** The chain as rendered: what a user may name, and the CodePipeline names behind it. */
export interface ChainLayout {
  /** Names of the pipelines, release pipeline first. */
  readonly pipelineNames: string[];
  /** ARNs of the pipelines, in the same order. */
  readonly pipelineArns: string[];
  /** CodePipeline stage names of each stage a user can name. */
  readonly stages: ReadonlyMap<string, string[]>;
  /** Deploy actions of each target, by target id. */
  readonly targets: ReadonlyMap<string, TargetActions>;
}

/**
 * The CodePipeline stages behind each name a user knows: a user stage becomes
 * its approval, waves and verification (spread over pipelines); `Source` (in
 * every pipeline) and `Build` are the fixed stages, unless a user stage took the name.
 */
export function chainStages(plan: RolloutPlan): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  for (const pipeline of plan.pipelines) {
    for (const stage of pipeline.stages) {
      stages.set(stage.userStage, [...(stages.get(stage.userStage) ?? []), stage.stageName]);
    }
  }
  for (const fixed of [SOURCE_STAGE_NAME, BUILD_STAGE_NAME]) {
    if (!stages.has(fixed)) stages.set(fixed, [fixed]);
  }
  return stages;
}

/** Failures of the chain's pipelines, narrowed by `detail` fields. */
export function failurePattern(detailType: string, layout: ChainLayout, detail: Record<string, string[]> = {}): EventPattern {
  return {
    source: ['aws.codepipeline'],
    detailType: [detailType],
    resources: layout.pipelineArns,
    detail: { state: ['FAILED'], ...detail },
  };
}

/** Where a stage failure rule looks: stage names, or every stage. */
export function stageFilter(layout: ChainLayout, stageName: string | undefined): Record<string, string[]> {
  return stageName === undefined ? {} : { stage: layout.stages.get(stageName)! };
}

/** Where an action failure rule looks: a target's stage and actions, a stage, or everything. */
export function actionFilter(layout: ChainLayout, stageName: string | undefined, targetId: string | undefined): Record<string, string[]> {
  if (targetId !== undefined) {
    const target = layout.targets.get(targetId)!;
    return { stage: [target.stage], action: target.actions };
  }
  return stageFilter(layout, stageName);
}

/** A stage name that names no stage of the chain. */
export function stageNameProblems(method: string, layout: ChainLayout, stageName: string | undefined): Problem[] {
  if (stageName === undefined || layout.stages.has(stageName)) return [];
  return [{
    property: `${method} options.stageName`,
    value: stageName,
    reason: 'names no stage of this pipeline',
    fix: `use one of ${[...layout.stages.keys()].map((s) => `'${s}'`).join(', ')}`,
  }];
}

/** A target id that names no target, or a target outside the given stage. */
export function targetIdProblems(method: string, layout: ChainLayout, stageName: string | undefined, targetId: string | undefined): Problem[] {
  if (targetId === undefined) return [];
  const target = layout.targets.get(targetId);
  if (!target) {
    return [{
      property: `${method} options.targetId`,
      value: targetId,
      reason: 'names no target of this pipeline',
      fix: "use the id of a target of one of the pipeline's stages",
    }];
  }
  if (stageName !== undefined && layout.stages.has(stageName) && stageName !== target.userStage) {
    return [{
      property: `${method} options.targetId`,
      value: targetId,
      reason: `the target deploys in stage '${target.userStage}', not in '${stageName}', so the rule would never match`,
      fix: `leave out stageName (the target is enough), or set it to '${target.userStage}'`,
    }];
  }
  return [];
}
