import { Annotations } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { Problem } from '../../shared/validation';

/**
 * CodeStar Notifications allows 10 targets per notification rule (Developer
 * Tools console quotas, https://docs.aws.amazon.com/dtconsole/latest/userguide/limits.html).
 */
export const NOTIFICATION_TARGETS_PER_RULE = 10;

/** What every pipeline of the chain reports to its notification targets. */
const PIPELINE_EVENTS = [
  'codepipeline-pipeline-pipeline-execution-started',
  'codepipeline-pipeline-pipeline-execution-failed',
  'codepipeline-pipeline-pipeline-execution-succeeded',
  'codepipeline-pipeline-manual-approval-needed',
];

/** A pipeline of the chain, as the notification rules need it. */
export interface NotifiedPipeline {
  readonly scope: Construct;
  readonly resource: codepipeline.CfnPipeline;
  readonly arn: string;
}

/** A notification target and where the user gave it, for error messages. */
export interface LabelledTarget {
  readonly property: string;
  readonly target: notifications.INotificationRuleTarget;
}

/**
 * One notification rule per pipeline of the chain, all with the same targets;
 * made when the first target arrives (CloudFormation rejects a rule without targets).
 */
export class ChainNotifications {
  private readonly given: LabelledTarget[] = [];
  private rules: notifications.NotificationRule[] = [];

  constructor(private readonly pipelines: NotifiedPipeline[]) {}

  /** The targets so far, in the order they were given. */
  public get targets(): readonly LabelledTarget[] {
    return this.given;
  }

  public add(target: LabelledTarget): void {
    this.given.push(target);
    if (this.rules.length > 0) {
      for (const rule of this.rules) rule.addTarget(narrowed(target.target));
      return;
    }
    this.rules = this.pipelines.map(({ scope, resource, arn }) => {
      const rule = new notifications.NotificationRule(scope, 'Notifications', {
        source: { bindAsNotificationRuleSource: () => ({ sourceArn: arn }) },
        events: PIPELINE_EVENTS,
        targets: this.given.map((t) => narrowed(t.target)),
      });
      // The rule names the pipeline by ARN string: make it wait for the pipeline.
      rule.node.addDependency(resource);
      return rule;
    });
  }
}

/**
 * An SNS topic as a target whose key CodeStar Notifications may use only
 * through SNS. aws-cdk-lib's topic target grants the service decrypt and data
 * keys on the topic's key with no condition: on a shared key (such as the
 * artifact key) that is a grant to every request of the service. Through SNS is
 * the only way the service needs the key (it publishes; SNS encrypts), so
 * `kms:ViaService` narrows it without breaking delivery
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service,
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
 * Other targets (AWS Chatbot) are used as they are.
 */
function narrowed(target: notifications.INotificationRuleTarget): notifications.INotificationRuleTarget {
  if (!isTopic(target)) return target;
  const topic = target as sns.ITopic;
  return {
    bindAsNotificationRuleTarget: () => {
      grantCodeStarNotifications(topic);
      return { targetType: 'SNS', targetAddress: topic.topicArn };
    },
  };
}

const CODESTAR_NOTIFICATIONS = 'codestar-notifications.amazonaws.com';
/** Topics already granted (a chain binds each topic once per pipeline). */
const granted = new WeakSet<sns.ITopic>();

function grantCodeStarNotifications(topic: sns.ITopic): void {
  if (granted.has(topic)) return;
  granted.add(topic);
  const service = new iam.ServicePrincipal(CODESTAR_NOTIFICATIONS);
  topic.addToResourcePolicy(new iam.PolicyStatement({ principals: [service], actions: ['sns:Publish'], resources: [topic.topicArn] }));
  topic.masterKey?.addToResourcePolicy(new iam.PolicyStatement({
    principals: [service],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: { StringEquals: { 'kms:ViaService': `sns.${topic.env.region}.amazonaws.com` } },
  }));
}

/** Targets given twice, and more targets than one notification rule holds. */
export function notificationTargetProblems(existing: readonly LabelledTarget[], added: readonly LabelledTarget[]): Problem[] {
  const problems: Problem[] = [];
  const seen = [...existing];
  for (const entry of added) {
    const first = seen.find((s) => s.target === entry.target);
    if (first) {
      problems.push({
        property: entry.property,
        value: describeTarget(entry.target),
        reason: `already a notification target as ${first.property}; CodeStar Notifications would deliver every event twice`,
        fix: 'give each target once',
      });
      continue;
    }
    seen.push(entry);
    if (seen.length === NOTIFICATION_TARGETS_PER_RULE + 1) {
      problems.push({
        property: entry.property,
        value: describeTarget(entry.target),
        reason: `makes ${NOTIFICATION_TARGETS_PER_RULE + 1} notification targets (notificationTopic included); a CodeStar notification rule holds at most ${NOTIFICATION_TARGETS_PER_RULE}`,
        fix: 'subscribe the endpoints to one SNS topic, or let one AWS Chatbot channel configuration serve several targets',
      });
    }
  }
  return problems;
}

/**
 * CodePipeline's manual approval action notifies one SNS topic only (its
 * NotificationArn): a topic given as a notification target receives the
 * "manual approval needed" event but not the approval request itself.
 */
export function warnIfApprovalTopicMissed(scope: IConstruct, entry: LabelledTarget, hasApprovals: boolean, approvalTopicGiven: boolean): void {
  if (!hasApprovals || approvalTopicGiven || !isTopic(entry.target)) return;
  Annotations.of(scope).addWarningV2('cdk-cross-account-cicd:approvalRequestsNotOnTopic',
    `${entry.property} is an SNS topic, but approval requests (CodePipeline's approval action publishes to one SNS topic only) ` +
    'go to notificationTopic, which is not set: the topic gets the "manual approval needed" notification, not the approval request ' +
    'with its review link and comment. Pass this topic as notificationTopic to get both.');
}

function isTopic(target: notifications.INotificationRuleTarget): boolean {
  return typeof (target as { topicArn?: unknown }).topicArn === 'string';
}

function describeTarget(target: notifications.INotificationRuleTarget): string {
  return Construct.isConstruct(target) ? target.node.path : target.constructor.name;
}
