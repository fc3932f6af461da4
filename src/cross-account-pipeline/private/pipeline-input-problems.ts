/**
 * Checks of a CrossAccountPipeline's props before anything is planned or
 * made: plain functions of the props (and of what the construct knows of its
 * stack), no constructs.
 */
import { Duration, Token } from 'aws-cdk-lib';
import { buildOptionsProblems } from './build-options-problems';
import { LabelledTarget, notificationTargetProblems } from './chain-notifications';
import { contractProblems } from '../../shared/contract-problems';
import { describeProblem, Problem } from '../../shared/validation';
import { CrossAccountPipelineProps, PipelineStageOptions } from '../cross-account-pipeline-props';
import { deploymentKindProblems, IDeploymentKind, PipelineTarget } from '../deployment-kind';
import { DEFAULT_LIMITS, isWholeIn, PlanLimits, planProblems, PlanStageInput, QUOTA_CEILING } from '../rollout-plan';

/** CodePipeline allows action configuration values of at most 1,000 characters. */
const ACTION_CONFIGURATION_VALUE_LIMIT = 1000;

const APPROVAL_TIMEOUT_MAX = Duration.days(60);

/** The deployment kind of each stage; undefined when neither the stage nor the pipeline gives one. */
export type StageKinds = ReadonlyMap<string, IDeploymentKind | undefined>;

/** What the input checks need to know beyond the props. */
export interface PipelineInputContext {
  /** Limits in targets, from {@link effectiveLimits}. */
  readonly limits: PlanLimits;
  readonly stageKinds: StageKinds;
  /** Region of the pipeline's stack (a token when the stack has no env). */
  readonly region: string;
  /** Name of the pipeline's stack, for the message about its region. */
  readonly stackName: string;
  /** notificationTopic and notificationTargets, labelled with their properties. */
  readonly notificationTargets: LabelledTarget[];
}

/**
 * Limits in targets: a kind with several actions per target gets fewer
 * targets per stage. A value that is no valid number of actions goes to the
 * plan as given, which reports it with that value; a valid one too small for
 * one target of the kind is reported here. Either way, one problem per value.
 */
export function effectiveLimits(props: CrossAccountPipelineProps, stageKinds: StageKinds): { limits: PlanLimits; problems: Problem[] } {
  const given = props.limits ?? {};
  const stages = props.stages.map((stage) => ({ stage: stage.name, actions: stageKinds.get(stage.name)?.actionsPerTarget ?? 1 }));
  const widest = stages.reduce((a, b) => (b.actions > a.actions ? b : a), { stage: '', actions: 1 });
  const actionsPerTarget = widest.actions;
  const problems: Problem[] = [];
  const perTarget = (property: string, actions: number, max: number): number => {
    if (!isWholeIn(actions, 1, max)) return actions;
    if (actions < actionsPerTarget) {
      problems.push({
        property: `limits.${property}`,
        value: actions,
        reason: `the deployment kind of stage '${widest.stage}' renders ${actionsPerTarget} actions per target, ` +
          `more than ${property === 'actionsPerStage' ? 'one CodePipeline stage' : 'one pipeline'} of ${actions} action${actions === 1 ? '' : 's'} holds`,
        fix: `set ${property} to ${actionsPerTarget} or more`,
      });
      return 1;
    }
    return Math.floor(actions / actionsPerTarget);
  };
  const actionsPerStage = given.actionsPerStage ?? DEFAULT_LIMITS.actionsPerStage;
  const targetsPerStage = perTarget('actionsPerStage', actionsPerStage, QUOTA_CEILING);
  let waveSize = given.waveSize ?? (isWholeIn(actionsPerStage, 1, QUOTA_CEILING) ? targetsPerStage : DEFAULT_LIMITS.waveSize);
  const kindOfStage = `the deployment kind of stage '${widest.stage}' renders ${actionsPerTarget} actions per target`;
  // With several actions per target the plan would speak of targets where the user wrote actions: said here instead.
  const waveValid = isWholeIn(waveSize, 1, Infinity);
  if (actionsPerTarget > 1 && waveValid && isWholeIn(actionsPerStage, actionsPerTarget, QUOTA_CEILING) && waveSize > targetsPerStage) {
    problems.push({
      property: 'limits.waveSize',
      value: waveSize,
      reason: `a wave is one CodePipeline stage of at most actionsPerStage (${actionsPerStage}) actions, and ${kindOfStage}: ${targetsPerStage} targets`,
      fix: `set waveSize to ${targetsPerStage} or less, or raise actionsPerStage if the account's quota allows`,
    });
    waveSize = targetsPerStage;
  }
  const maxActions = given.maxActionsPerPipeline ?? DEFAULT_LIMITS.maxActionsPerPipeline;
  let maxTargets = perTarget('maxActionsPerPipeline', maxActions, Infinity);
  if (actionsPerTarget > 1 && waveValid && isWholeIn(maxActions, actionsPerTarget, Infinity) && maxTargets < waveSize) {
    problems.push({
      property: 'limits.maxActionsPerPipeline',
      value: maxActions,
      reason: `one wave of ${waveSize} targets is ${waveSize * actionsPerTarget} actions (${kindOfStage}), more than one pipeline would hold`,
      fix: `set maxActionsPerPipeline to ${waveSize * actionsPerTarget} or more (default ${DEFAULT_LIMITS.maxActionsPerPipeline})`,
    });
    maxTargets = waveSize;
  }
  return {
    problems,
    limits: {
      stagesPerPipeline: given.stagesPerPipeline ?? DEFAULT_LIMITS.stagesPerPipeline,
      actionsPerStage: targetsPerStage,
      waveSize,
      maxActionsPerPipeline: maxTargets,
    },
  };
}

/** Problems of the props: contract, source, plan, notifications, names, region, kinds, parameters, steps, approvals. */
export function pipelineInputProblems(props: CrossAccountPipelineProps, context: PipelineInputContext): Problem[] {
  const problems = [
    ...contractProblems(props.contract),
    ...props.source._problems('source'),
    ...planProblems(planInput(props.stages), context.limits, { build: props.buildOptions !== undefined }),
    ...notificationTargetProblems([], context.notificationTargets),
    ...(props.buildOptions ? buildOptionsProblems(props.buildOptions) : []),
  ];
  const name = props.pipelineName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9.@_-]{1,90}$/.test(name)) {
    problems.push({
      property: 'pipelineName',
      value: name,
      reason: 'a pipeline name holds letters, digits and .@_- (CodePipeline allows 100; 10 are kept for the -2, -3 ... of chained pipelines)',
      fix: "use a name such as 'shop-release'",
    });
  }
  if (Token.isUnresolved(context.region)) {
    problems.push({
      property: 'scope',
      value: context.stackName,
      reason: 'the pipeline needs a concrete region to place artifact stores for cross-region targets',
      fix: 'give the tooling stack an env with account and region',
    });
  }
  const toldKindProblems = new Set<string>();
  props.stages.forEach((stage, i) => {
    const kind = context.stageKinds.get(stage.name);
    if (!kind) {
      problems.push({
        property: `stages[${i}].deploymentKind`,
        value: undefined,
        reason: `neither stage '${stage.name}' nor the pipeline says how its targets are deployed`,
        fix: 'give the pipeline a deploymentKind, or the stage its own, for example DeploymentKind.cloudFormation({ ... })',
      });
      return;
    }
    // The pipeline's kind serves many stages: a problem of the kind itself is told once.
    const kindProblems = deploymentKindProblems(kind, props.contract, stage.deploymentKind ? `stages[${i}].deploymentKind` : 'deploymentKind',
      stage.targets, `stages[${i}].targets`);
    for (const problem of kindProblems) {
      const line = describeProblem(problem);
      if (!toldKindProblems.has(line)) problems.push(problem);
      toldKindProblems.add(line);
    }
    stage.targets.forEach((target, j) => {
      for (const required of kind.requiredParameters) {
        if (target.parameters?.[required] === undefined) {
          problems.push({
            property: `stages[${i}].targets[${j}].parameters`,
            value: target.parameters ?? {},
            reason: `the deployment kind of stage '${stage.name}' needs parameter '${required}', which target '${target.id}' lacks`,
            fix: `add '${required}' to the parameters of target '${target.id}'`,
          });
        }
      }
    });
    const stepNames = new Set<string>();
    (stage.verify ?? []).forEach((step, j) => {
      if (!/^[A-Za-z0-9.@_-]{1,100}$/.test(step.name) || stepNames.has(step.name)) {
        problems.push({
          property: `stages[${i}].verify[${j}].name`,
          value: step.name,
          reason: 'a step name becomes a CodePipeline action name: 1 to 100 letters, digits or .@_-, unique within the stage',
          fix: "use a name such as 'IntegrationTests'",
        });
      }
      stepNames.add(step.name);
    });
    const timeout = stage.approval?.timeout;
    const outOfRange = (t: Duration) => t.toMinutes({ integral: false }) < 5 || t.toSeconds() > APPROVAL_TIMEOUT_MAX.toSeconds();
    if (timeout && !Token.isUnresolved(timeout.toSeconds()) && outOfRange(timeout)) {
      problems.push({
        property: `stages[${i}].approval.timeout`,
        value: `${timeout.toMinutes({ integral: false })} minutes`,
        reason: 'a manual approval times out after 5 minutes to 60 days',
        fix: 'choose a timeout between Duration.minutes(5) and Duration.days(60)',
      });
    }
  });
  return problems;
}

/** CodePipeline's limits on what a kind rendered: names of 100, configuration values of 1,000 characters. */
export function actionProblems(
  targetPath: string, target: PipelineTarget, actionName: string, configuration: Record<string, unknown>,
): Problem[] {
  const problems: Problem[] = [];
  if (actionName.length > 100) {
    problems.push({
      property: `${targetPath}.id`,
      value: target.id,
      reason: `the deployment kind names its action '${actionName}', over CodePipeline's limit of 100 characters`,
      fix: `shorten the target id to ${100 - (actionName.length - target.id.length)} characters or less`,
    });
  }
  for (const [key, value] of Object.entries(configuration)) {
    if (typeof value === 'string' && !Token.isUnresolved(value) && value.length > ACTION_CONFIGURATION_VALUE_LIMIT) {
      problems.push({
        property: `${targetPath}.parameters`,
        value: `${key}: ${value.length} characters`,
        reason: `with the deployment kind's own values, target '${target.id}' makes action configuration ${key} longer than CodePipeline's limit of ${ACTION_CONFIGURATION_VALUE_LIMIT} characters`,
        fix: 'move large values into a file in the build output, or SSM parameters',
      });
    }
  }
  return problems;
}

/** What the plan needs to know of the stages. */
export function planInput(stages: PipelineStageOptions[]): PlanStageInput[] {
  return stages.map((s) => ({ name: s.name, targets: s.targets, approval: s.approval !== undefined, verify: (s.verify?.length ?? 0) > 0 }));
}