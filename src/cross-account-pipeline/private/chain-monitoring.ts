import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import {
  ACTION_EXECUTION_STATE_CHANGE, actionFilter, ChainLayout, failurePattern, PIPELINE_EXECUTION_STATE_CHANGE,
  STAGE_EXECUTION_STATE_CHANGE, stageFilter, stageNameProblems, targetIdProblems,
} from './failure-events';
import { checkNameLength, Problem, throwIfProblems } from '../../shared/validation';
import { ActionFailedEventOptions, PipelineFailedAlarmOptions, StageFailedEventOptions } from '../pipeline-monitoring';

/** CloudWatch alarm names hold at most 255 characters. */
const ALARM_NAME_LIMIT = 255;
const DEFAULT_PERIOD = Duration.minutes(5);

/**
 * Failure rules, the failure metric and its alarm for a whole chain of
 * pipelines: one rule matches every pipeline of the chain, so a release that
 * fails in pipeline 3 is seen like one that fails in the release pipeline.
 */
export class ChainMonitoring {
  /** The rule behind the failure metric, made on first use. */
  private failedExecutions?: events.Rule;

  constructor(private readonly scope: Construct, private readonly layout: ChainLayout) {}

  public onPipelineFailed(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.rule(id, options, failurePattern(PIPELINE_EXECUTION_STATE_CHANGE, this.layout));
  }

  public onStageFailed(id: string, options: StageFailedEventOptions = {}): events.Rule {
    throwIfProblems(this.scope, stageNameProblems(`onStageFailed('${id}')`, this.layout, options.stageName));
    return this.rule(id, options, failurePattern(STAGE_EXECUTION_STATE_CHANGE, this.layout, stageFilter(this.layout, options.stageName)));
  }

  public onActionFailed(id: string, options: ActionFailedEventOptions = {}): events.Rule {
    const method = `onActionFailed('${id}')`;
    throwIfProblems(this.scope, [
      ...stageNameProblems(method, this.layout, options.stageName),
      ...targetIdProblems(method, this.layout, options.stageName, options.targetId),
    ]);
    const detail = actionFilter(this.layout, options.stageName, options.targetId);
    return this.rule(id, options, failurePattern(ACTION_EXECUTION_STATE_CHANGE, this.layout, detail));
  }

  /**
   * CodePipeline's own FailedPipelineExecutions metric is per pipeline (and
   * counts retries as more failures); the chain needs one number. EventBridge
   * counts the matches of one rule over every pipeline as `TriggeredRules`
   * with the rule's name as dimension (AWS/Events metrics,
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
   * `TriggeredRules` counts matches, so the rule needs no target
   * (`Invocations` would count only the calls of a target).
   */
  public metricPipelineFailed(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    this.failedExecutions ??= this.onPipelineFailed('FailedExecutions', {
      description: `Failed executions of ${this.chainName()}, counted by the metric AWS/Events TriggeredRules`,
    });
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.failedExecutions.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: DEFAULT_PERIOD,
      ...props,
    });
  }

  public alarmOnPipelineFailed(id: string, options: PipelineFailedAlarmOptions = {}): cloudwatch.Alarm {
    throwIfProblems(this.scope, alarmProblems(`alarmOnPipelineFailed('${id}')`, options));
    return new cloudwatch.Alarm(this.scope, id, {
      metric: this.metricPipelineFailed({ period: options.period ?? DEFAULT_PERIOD }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No failure publishes no data point: that is the good case.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmName: options.alarmName,
      alarmDescription: options.alarmDescription ?? `A release failed in ${this.chainName()}`,
    });
  }

  /** Short enough for a description (a chain can have many pipelines). */
  private chainName(): string {
    const names = this.layout.pipelineNames;
    return names.length === 1 ? `pipeline ${names[0]}` : `one of the ${names.length} pipelines of ${names[0]}`;
  }

  /** A rule as aws-cdk-lib's `onEvent` makes one: the user's options, then the pattern. */
  private rule(id: string, options: events.OnEventOptions, pattern: events.EventPattern): events.Rule {
    const rule = new events.Rule(this.scope, id, options);
    rule.addTarget(options.target);
    rule.addEventPattern(pattern);
    return rule;
  }
}

function alarmProblems(method: string, options: PipelineFailedAlarmOptions): Problem[] {
  const problems: Problem[] = [];
  if (options.alarmName !== undefined) {
    problems.push(...checkNameLength(`${method} options.alarmName`, options.alarmName, options.alarmName, 'the alarm name',
      ALARM_NAME_LIMIT, `shorten the name to ${ALARM_NAME_LIMIT} characters`));
  }
  const period = options.period;
  if (period && !Token.isUnresolved(period.toSeconds())) {
    const seconds = period.toSeconds({ integral: false });
    if (seconds < 60 || seconds % 60 !== 0 || seconds > Duration.days(1).toSeconds()) {
      problems.push({
        property: `${method} options.period`,
        value: `${seconds} seconds`,
        reason: 'EventBridge publishes its metrics per minute, so the period must be whole minutes, from 1 minute to 1 day',
        fix: 'use a period such as Duration.minutes(5)',
      });
    }
  }
  return problems;
}
