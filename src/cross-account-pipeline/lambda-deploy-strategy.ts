// Pure: how CodePipeline's Lambda deploy action shifts an alias to a new version
// (its DeployStrategy setting), and the problems of a strategy. No constructs.
// https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html
import { Duration, Token } from 'aws-cdk-lib';
import type { Problem } from '../shared/validation';

/** The action's documented bound on the total wait of a traffic shift: 2 days. */
export const MAX_TRAFFIC_SHIFT_MINUTES = 2 * 24 * 60;

/**
 * How the alias moves from the version it points to (the rollback target) to
 * the newly published one: the `DeployStrategy` of CodePipeline's Lambda
 * deploy action.
 */
export class LambdaDeployStrategy {
  /** All traffic moves to the new version at once (`AllAtOnce`). */
  public static allAtOnce(): LambdaDeployStrategy {
    return new LambdaDeployStrategy('AllAtOnce', 0, Duration.minutes(0));
  }

  /**
   * `percent` of the traffic moves first; the rest follows after `interval`
   * (`Canary<percent>Percent<minutes>Minutes`).
   *
   * @param percent a whole number from 1 to 99
   * @param interval whole minutes, at most 2 days
   */
  public static canary(percent: number, interval: Duration): LambdaDeployStrategy {
    return new LambdaDeployStrategy('Canary', percent, interval);
  }

  /**
   * `percent` more of the traffic moves every `interval` until all of it has
   * (`Linear<percent>PercentEvery<minutes>Minute(s)`).
   *
   * @param percent a whole number from 1 to 99
   * @param interval whole minutes; the increments together wait at most 2 days
   */
  public static linear(percent: number, interval: Duration): LambdaDeployStrategy {
    return new LambdaDeployStrategy('Linear', percent, interval);
  }

  /** The `DeployStrategy` value, e.g. 'Canary10Percent5Minutes'. */
  public readonly name: string;
  /** Percentage of the traffic per increment (0 for all at once). */
  public readonly percent: number;
  /** Time between increments. */
  public readonly interval: Duration;
  /** 'AllAtOnce', 'Canary' or 'Linear'. */
  public readonly type: string;

  private constructor(type: string, percent: number, interval: Duration) {
    this.type = type;
    this.percent = percent;
    this.interval = interval;
    this.name = strategyName(type, percent, interval);
  }
}

function strategyName(type: string, percent: number, interval: Duration): string {
  if (type === 'AllAtOnce') return type;
  const minutes = Token.isUnresolved(interval.toSeconds()) ? interval.toSeconds() : interval.toMinutes({ integral: false });
  const unit = minutes === 1 ? 'Minute' : 'Minutes';
  return type === 'Canary' ? `Canary${percent}Percent${minutes}${unit}` : `Linear${percent}PercentEvery${minutes}${unit}`;
}

/**
 * Minutes the shift waits in total: the canary's one interval, or one interval
 * per linear increment. Counted per increment (10% every minute: 10 minutes),
 * so a strategy right at the 2-day bound may be refused one interval early
 * rather than accepted and failed by CodePipeline.
 */
export function trafficShiftMinutes(strategy: LambdaDeployStrategy): number {
  if (strategy.type === 'AllAtOnce') return 0;
  const minutes = strategy.interval.toMinutes({ integral: false });
  return strategy.type === 'Canary' ? minutes : Math.ceil(100 / strategy.percent) * minutes;
}

/** What CodePipeline would refuse in a strategy, named by `property`. */
export function lambdaDeployStrategyProblems(property: string, strategy: LambdaDeployStrategy): Problem[] {
  if (strategy.type === 'AllAtOnce') return [];
  if (Token.isUnresolved(strategy.percent) || Token.isUnresolved(strategy.interval.toSeconds())) return [];
  const problems: Problem[] = [];
  const factory = strategy.type === 'Canary' ? 'canary' : 'linear';
  if (!Number.isInteger(strategy.percent) || strategy.percent < 1 || strategy.percent > 99) {
    problems.push({
      property: `${property}.percent`,
      value: strategy.percent,
      reason: 'the percentage of traffic per increment is a whole number from 1 to 99 (100 is all at once)',
      fix: `use LambdaDeployStrategy.${factory}(<1 to 99>, ...), or LambdaDeployStrategy.allAtOnce()`,
    });
  }
  const minutes = strategy.interval.toMinutes({ integral: false });
  if (!Number.isInteger(minutes) || minutes < 1) {
    problems.push({
      property: `${property}.interval`,
      value: `${minutes} minutes`,
      reason: 'the Lambda deploy action counts intervals in whole minutes, at least 1',
      fix: 'use Duration.minutes(n) with a whole n of at least 1',
    });
  } else if (problems.length === 0 && trafficShiftMinutes(strategy) > MAX_TRAFFIC_SHIFT_MINUTES) {
    problems.push({
      property,
      value: strategy.name,
      reason: `the shift would wait ${trafficShiftMinutes(strategy)} minutes; the Lambda deploy action waits at most 2 days (${MAX_TRAFFIC_SHIFT_MINUTES} minutes) in total`,
      fix: strategy.type === 'Canary' ? 'use an interval of at most 2 days' : 'use a larger percentage or a shorter interval',
    });
  }
  return problems;
}
