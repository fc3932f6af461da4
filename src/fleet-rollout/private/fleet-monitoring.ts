import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FLEET_METRIC_NAMESPACE } from '../fleet-locations';

/** Metric names reported after each ring (dimensions Registry, Release, Ring). */
export const FLEET_RING_METRICS = ['TenantsSucceeded', 'TenantsFailed', 'TenantsPending'];

const FIVE_MINUTES = Duration.minutes(5);

/** Failed, aborted (an operator stopped it) and timed-out executions of a state machine, summed. */
function stoppedExecutions(stateMachine: sfn.StateMachine, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'FILL(failed, 0) + FILL(aborted, 0) + FILL(timedOut, 0)',
    usingMetrics: {
      failed: stateMachine.metricFailed({ period: FIVE_MINUTES }),
      aborted: stateMachine.metricAborted({ period: FIVE_MINUTES }),
      timedOut: stateMachine.metricTimedOut({ period: FIVE_MINUTES }),
    },
    label,
    period: FIVE_MINUTES,
  });
}

function stoppedAlarm(scope: Construct, stateMachine: sfn.StateMachine): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, 'RolloutStoppedAlarm', {
    alarmDescription: `A rollout of ${scope.node.path} stopped: a ring went over its failure tolerance, an approval was refused or timed out, or an operator stopped it. `
      + 'The tenants\' results are in the registry (lastResult); re-run the release to deploy the failed and pending ones only.',
    metric: stoppedExecutions(stateMachine, 'Stopped rollouts'),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

function onboardingAlarm(scope: Construct, stateMachine: sfn.StateMachine, deadLetters: sqs.IQueue): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, 'OnboardingFailedAlarm', {
    alarmDescription: `An onboarding of ${scope.node.path} failed (the tenant's lastResult says why), or a registry change could not start one (see the dead-letter queue).`,
    metric: new cloudwatch.MathExpression({
      expression: 'stopped + FILL(deadLetters, 0)',
      usingMetrics: {
        stopped: stoppedExecutions(stateMachine, 'Stopped onboardings'),
        deadLetters: deadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      },
      label: 'Failed onboardings and dead letters',
      period: FIVE_MINUTES,
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

interface DashboardOptions {
  readonly stateMachine: sfn.StateMachine;
  readonly onboarding?: sfn.StateMachine;
  readonly registryName: string;
}

/** Rollouts started and stopped, onboardings, and every release's ring results (a SEARCH, since releases are data). */
function dashboard(scope: Construct, options: DashboardOptions): cloudwatch.Dashboard {
  const board = new cloudwatch.Dashboard(scope, 'Dashboard');
  board.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Rollouts',
      left: [options.stateMachine.metricStarted({ period: FIVE_MINUTES }), options.stateMachine.metricSucceeded({ period: FIVE_MINUTES }),
        stoppedExecutions(options.stateMachine, 'Stopped')],
      width: 12,
    }),
    new cloudwatch.GraphWidget({ title: 'Rollout duration', left: [options.stateMachine.metricTime({ period: FIVE_MINUTES, statistic: 'Maximum' })], width: 12 }),
  );
  board.addWidgets(...FLEET_RING_METRICS.map((metricName) => new cloudwatch.GraphWidget({
    title: `${metricName} per release and ring`,
    left: [new cloudwatch.MathExpression({
      expression: `SEARCH('{${FLEET_METRIC_NAMESPACE},Registry,Release,Ring} MetricName="${metricName}" Registry="${options.registryName}"', 'Sum', 300)`,
      label: metricName,
      period: FIVE_MINUTES,
    })],
    width: 8,
  })));
  if (options.onboarding) {
    board.addWidgets(new cloudwatch.GraphWidget({
      title: 'Onboardings',
      left: [options.onboarding.metricStarted({ period: FIVE_MINUTES }), options.onboarding.metricSucceeded({ period: FIVE_MINUTES }),
        stoppedExecutions(options.onboarding, 'Failed')],
      width: 24,
    }));
  }
  return board;
}

/** @internal */
export const fleetMonitoring = { stoppedAlarm, onboardingAlarm, dashboard };
