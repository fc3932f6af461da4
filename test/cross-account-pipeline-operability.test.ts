/**
 * Operability of a CrossAccountPipeline: its pipelines as IPipeline,
 * notifications to any CodeStar notification target, failure rules over the
 * whole chain of pipelines, the failure alarm, and the partition of literal ARNs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget,
} from '../src';
import { accounts } from './support/policy-inspection';

const TOOLING = '111111111111';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';
const RELEASE_ARN = `arn:aws:codepipeline:us-east-1:${TOOLING}:main-Release`;
const SECOND_ARN = `arn:aws:codepipeline:us-east-1:${TOOLING}:main-Release-2`;

function prodTargets(count: number): PipelineTarget[] {
  return accounts(count, 300_000_000_000).map((account, i) => ({ id: `t${i}`, account, region: 'us-east-1' }));
}

interface Built { app: App; stack: Stack; pipeline: CrossAccountPipeline }

type Overrides = Partial<CrossAccountPipelineProps> & { region?: string; app?: App };

function build(overrides: Overrides = {}): Built {
  const { region = 'us-east-1', app = new App(), ...props } = overrides;
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npm test'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region }] },
      { name: 'Prod', approval: {}, targets: [{ id: 'acme', account: '333333333333', region }] },
    ],
    ...props,
  });
  return { app, stack, pipeline };
}

/** A chain of two pipelines: Source, Build, Dev, Approve-Prod, two waves, Handoff; then Source and four waves. */
function buildChain(): Built {
  return build({
    limits: { stagesPerPipeline: 7, waveSize: 10 },
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] },
      { name: 'Prod', approval: {}, targets: prodTargets(55) },
    ],
  });
}

/** The template of the nested stack holding pipeline `index + 1`. */
function nestedTemplate(app: App, index: number): Record<string, any> {
  const assembly = app.synth();
  const file = fs.readdirSync(assembly.directory).find((f) => new RegExp(`Pipeline${index + 1}.*\\.nested\\.template\\.json$`).test(f))!;
  return JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
}

function resourcesOfType(template: Record<string, any>, type: string): Array<[string, any]> {
  return Object.entries(template.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
}

function slackChannel(stack: Stack, id = 'Slack'): chatbot.SlackChannelConfiguration {
  return new chatbot.SlackChannelConfiguration(stack, id, {
    slackChannelConfigurationName: `releases-${id.toLowerCase()}`, slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD',
  });
}

function topic(stack: Stack, id = 'Topic'): sns.ITopic {
  return sns.Topic.fromTopicArn(stack, id, `arn:aws:sns:us-east-1:${TOOLING}:${id.toLowerCase()}`);
}

describe('CrossAccountPipeline pipelines as IPipeline', () => {
  const { app, stack, pipeline } = buildChain();
  const second = pipeline.pipelines[1];
  pipeline.pipelines[0].onStateChange('ReleaseStateChange');
  second.onStateChange('SecondStateChange');
  second.notifyOnExecutionStateChange('SecondToSlack', slackChannel(stack));
  const template = Template.fromStack(stack);

  test('one IPipeline per pipeline of the chain, release pipeline first, by name and literal ARN', () => {
    expect(pipeline.pipelines.map((p) => p.pipelineName)).toEqual(pipeline.pipelineNames);
    expect(pipeline.pipelines.map((p) => p.pipelineArn)).toEqual([RELEASE_ARN, SECOND_ARN]);
  });

  test('a rule made on the release pipeline matches its events and waits for it', () => {
    const [[, rule]] = resourcesOfType(template.toJSON(), 'AWS::Events::Rule')
      .filter(([id]) => id.includes('ReleaseStateChange'));
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.codepipeline'], 'resources': [RELEASE_ARN], 'detail-type': ['CodePipeline Pipeline Execution State Change'],
    });
    const [[pipelineId]] = resourcesOfType(template.toJSON(), 'AWS::CodePipeline::Pipeline');
    expect(rule.DependsOn).toContain(pipelineId);
  });

  test('rules and notifications made on a continuation pipeline live in its nested stack and wait for it', () => {
    const nested = nestedTemplate(app, 1);
    const [[pipelineId, cfnPipeline]] = resourcesOfType(nested, 'AWS::CodePipeline::Pipeline');
    expect(cfnPipeline.Properties.Name).toBe('main-Release-2');
    const [[, rule]] = resourcesOfType(nested, 'AWS::Events::Rule').filter(([id]) => id.includes('SecondStateChange'));
    expect(rule.Properties.EventPattern.resources).toEqual([SECOND_ARN]);
    expect(rule.DependsOn).toContain(pipelineId);
    const [[, notification]] = resourcesOfType(nested, 'AWS::CodeStarNotifications::NotificationRule');
    expect(notification.Properties.Resource).toBe(SECOND_ARN);
    expect(notification.DependsOn).toContain(pipelineId);
  });
});

describe('CrossAccountPipeline notifications', () => {
  test('notificationTargets: a Slack channel gets the events of every pipeline of the chain, next to notificationTopic', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: { account: TOOLING, region: 'us-east-1' } });
    const slack = slackChannel(shared);
    const releases = topic(shared, 'Releases');
    const { stack } = build({
      app,
      notificationTopic: releases,
      notificationTargets: [slack],
      limits: { stagesPerPipeline: 7, waveSize: 10 },
      stages: [{ name: 'Prod', approval: {}, targets: prodTargets(55) }],
    });
    const expectedTargets = [
      { TargetType: 'SNS', TargetAddress: `arn:aws:sns:us-east-1:${TOOLING}:releases` },
      { TargetType: 'AWSChatbotSlack', TargetAddress: Match.anyValue() },
    ];
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: [
        'codepipeline-pipeline-pipeline-execution-started',
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
        'codepipeline-pipeline-manual-approval-needed',
      ],
      Targets: expectedTargets,
    });
    const nested = nestedTemplate(app, 1);
    const [[, rule]] = resourcesOfType(nested, 'AWS::CodeStarNotifications::NotificationRule');
    expect(rule.Properties.Targets).toHaveLength(2);
    expect(rule.Properties.Targets[0]).toEqual(expect.objectContaining({ TargetType: 'SNS' }));
    expect(rule.Properties.Targets[1]).toEqual(expect.objectContaining({ TargetType: 'AWSChatbotSlack' }));
  });

  test('notificationTargets alone: a notification rule, and approvals without a NotificationArn', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: { account: TOOLING, region: 'us-east-1' } });
    const { stack } = build({ app, notificationTargets: [slackChannel(shared)] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      Targets: [{ TargetType: 'AWSChatbotSlack', TargetAddress: Match.anyValue() }],
    });
    const [[, release]] = resourcesOfType(template.toJSON(), 'AWS::CodePipeline::Pipeline');
    const approval = release.Properties.Stages.find((s: any) => s.Name === 'Approve-Prod').Actions[0];
    expect(approval.Configuration.NotificationArn).toBeUndefined();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('approvalRequestsNotOnTopic'));
  });

  test('addNotificationTarget: creates the notification rules when there were none, then adds to them', () => {
    const { stack, pipeline } = build();
    expect(stack.node.findAll().filter((c) => c instanceof notifications.NotificationRule)).toEqual([]);
    pipeline.addNotificationTarget(slackChannel(stack, 'Team'));
    pipeline.addNotificationTarget(slackChannel(stack, 'Oncall'));
    const rules = Template.fromStack(stack).findResources('AWS::CodeStarNotifications::NotificationRule');
    expect(Object.values(rules).map((r: any) => r.Properties.Targets.map((t: any) => t.TargetType)))
      .toEqual([['AWSChatbotSlack', 'AWSChatbotSlack']]);
  });

  test('an SNS topic among notificationTargets with approvals and no notificationTopic: a warning that approval requests go to notificationTopic', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: { account: TOOLING, region: 'us-east-1' } });
    const { stack } = build({ app, notificationTargets: [new sns.Topic(shared, 'Releases')] });
    Annotations.fromStack(stack).hasWarning('/Tooling/Release', Match.stringLikeRegexp(
      'notificationTargets\\[0\\] is an SNS topic, but approval requests .* go to notificationTopic, which is not set.*Pass this topic as notificationTopic'));
  });
});

describe('CrossAccountPipeline notification errors', () => {
  test('the notificationTopic again in notificationTargets', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: { account: TOOLING, region: 'us-east-1' } });
    const releases = topic(shared, 'Releases');
    expect(() => build({ app, notificationTopic: releases, notificationTargets: [releases] })).toThrow(
      '[Tooling/Release] invalid configuration:\n  - notificationTargets[0] = "Shared/Releases": already a notification target as notificationTopic; ' +
      'CodeStar Notifications would deliver every event twice. Fix: give each target once');
  });

  test('more than 10 notification targets', () => {
    const app = new App();
    const shared = new Stack(app, 'Shared', { env: { account: TOOLING, region: 'us-east-1' } });
    const channels = Array.from({ length: 10 }, (_, i) => slackChannel(shared, `Team${i}`));
    expect(() => build({ app, notificationTopic: topic(shared, 'Releases'), notificationTargets: channels })).toThrow(
      'notificationTargets[9] = "Shared/Team9": makes 11 notification targets (notificationTopic included); a CodeStar notification rule ' +
      'holds at most 10. Fix: subscribe the endpoints to one SNS topic, or let one AWS Chatbot channel configuration serve several targets');
  });

  test('addNotificationTarget with a target the pipeline already notifies', () => {
    const { stack, pipeline } = build();
    const slack = slackChannel(stack);
    pipeline.addNotificationTarget(slack);
    expect(() => pipeline.addNotificationTarget(slack)).toThrow(
      'addNotificationTarget(target) = "Tooling/Slack": already a notification target as addNotificationTarget(target)');
  });
});

describe('CrossAccountPipeline failure rules', () => {
  const { app, stack, pipeline } = buildChain();
  const alerts = new sns.Topic(stack, 'Alerts');
  pipeline.onPipelineFailed('AnyPipelineFailed', { target: new targets.SnsTopic(alerts) });
  pipeline.onStageFailed('AnyStageFailed');
  pipeline.onStageFailed('ProdFailed', { stageName: 'Prod' });
  pipeline.onStageFailed('BuildFailed', { stageName: 'Build' });
  pipeline.onActionFailed('AnyActionFailed');
  pipeline.onActionFailed('ProdActionFailed', { stageName: 'Prod' });
  pipeline.onActionFailed('T42Failed', { targetId: 't42' });
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
  const patternOf = (id: string) => Object.entries(rules).find(([logicalId]) => logicalId.startsWith(`Release${id}`))![1].Properties.EventPattern;
  const bothPipelines = [RELEASE_ARN, SECOND_ARN];
  const prodStages = ['Approve-Prod', 'Prod-Wave-1-of-6', 'Prod-Wave-2-of-6', 'Prod-Wave-3-of-6', 'Prod-Wave-4-of-6', 'Prod-Wave-5-of-6', 'Prod-Wave-6-of-6'];

  test('the chain really is two pipelines with Prod spread over both', () => {
    expect(pipeline.pipelineNames).toEqual(['main-Release', 'main-Release-2']);
    const [[, second]] = resourcesOfType(nestedTemplate(app, 1), 'AWS::CodePipeline::Pipeline');
    expect(second.Properties.Stages.map((s: any) => s.Name)).toEqual(['Source', ...prodStages.slice(3)]);
  });

  test('onPipelineFailed: failed executions of every pipeline of the chain, to the given target', () => {
    expect(patternOf('AnyPipelineFailed')).toEqual({
      'source': ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      'resources': bothPipelines,
      'detail': { state: ['FAILED'] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['CodePipeline Pipeline Execution State Change'] }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Alerts') } })],
    });
  });

  test('onStageFailed: any stage, or the approval and every wave of a user stage across pipelines, or the Build stage', () => {
    expect(patternOf('AnyStageFailed')).toEqual({
      'source': ['aws.codepipeline'],
      'detail-type': ['CodePipeline Stage Execution State Change'],
      'resources': bothPipelines,
      'detail': { state: ['FAILED'] },
    });
    expect(patternOf('ProdFailed').detail).toEqual({ state: ['FAILED'], stage: prodStages });
    expect(patternOf('BuildFailed').detail).toEqual({ state: ['FAILED'], stage: ['Build'] });
  });

  test('onActionFailed: any action, the actions of a user stage, or the deployment of one target in its wave', () => {
    expect(patternOf('AnyActionFailed')).toEqual({
      'source': ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change'],
      'resources': bothPipelines,
      'detail': { state: ['FAILED'] },
    });
    expect(patternOf('ProdActionFailed').detail).toEqual({ state: ['FAILED'], stage: prodStages });
    // Targets t0..t54 in waves of 10: t42 is in wave 5, in the second pipeline.
    expect(patternOf('T42Failed').detail).toEqual({ state: ['FAILED'], stage: ['Prod-Wave-5-of-6'], action: ['t42'] });
  });

  test('onActionFailed for a target whose kind deploys with two actions matches both', () => {
    const { stack: changeSets, pipeline: withChangeSets } = build({
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json', useChangeSets: true }),
    });
    withChangeSets.onActionFailed('AcmeFailed', { targetId: 'acme', stageName: 'Prod' });
    Template.fromStack(changeSets).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { state: ['FAILED'], stage: ['Prod-Wave-1-of-1'], action: ['acme.Plan', 'acme.Apply'] } }),
    });
  });
});

describe('CrossAccountPipeline failure rule errors', () => {
  const { pipeline } = build();

  test('onStageFailed with a stage the pipeline does not have', () => {
    expect(() => pipeline.onStageFailed('Oops', { stageName: 'Prd' })).toThrow(
      '[Tooling/Release] invalid configuration:\n  - onStageFailed(\'Oops\') options.stageName = "Prd": names no stage of this pipeline. ' +
      "Fix: use one of 'Dev', 'Prod', 'Source', 'Build'");
  });

  test('onActionFailed with a target the pipeline does not have', () => {
    expect(() => pipeline.onActionFailed('Oops', { targetId: 'acne' })).toThrow(
      'onActionFailed(\'Oops\') options.targetId = "acne": names no target of this pipeline. ' +
      "Fix: use the id of a target of one of the pipeline's stages");
  });

  test('onActionFailed with a target of another stage than stageName', () => {
    expect(() => pipeline.onActionFailed('Oops', { targetId: 'acme', stageName: 'Dev' })).toThrow(
      'onActionFailed(\'Oops\') options.targetId = "acme": the target deploys in stage \'Prod\', not in \'Dev\', so the rule would never match. ' +
      "Fix: leave out stageName (the target is enough), or set it to 'Prod'");
  });
});

describe('CrossAccountPipeline failure metric and alarm', () => {
  const { stack, pipeline } = buildChain();
  const alarm = pipeline.alarmOnPipelineFailed('ReleaseFailed', { alarmName: 'main-release-failed' });
  pipeline.alarmOnPipelineFailed('ReleaseFailedHourly', { period: Duration.hours(1) });
  const template = Template.fromStack(stack);
  const failureRules = Object.entries(template.findResources('AWS::Events::Rule'))
    .filter(([id]) => id.startsWith('ReleaseFailedExecutions'));

  test('one EventBridge rule, without targets, matches a failed execution of any pipeline of the chain', () => {
    expect(failureRules).toHaveLength(1);
    const [[, rule]] = failureRules;
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      'resources': [RELEASE_ARN, SECOND_ARN],
      'detail': { state: ['FAILED'] },
    });
    expect(rule.Properties.Targets).toBeUndefined();
  });

  test('the metric is that rule\'s AWS/Events TriggeredRules, summed over 5 minutes', () => {
    const metric = pipeline.metricPipelineFailed();
    expect(metric.namespace).toBe('AWS/Events');
    expect(metric.metricName).toBe('TriggeredRules');
    expect(metric.statistic).toBe('Sum');
    expect(metric.period.toMinutes()).toBe(5);
    expect(stack.resolve(metric.dimensions)).toEqual({ RuleName: { Ref: failureRules[0][0] } });
  });

  test('the alarm goes off at one failure in a period and treats missing data as not breaching', () => {
    expect(alarm.alarmArn).toBeDefined();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'main-release-failed',
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: failureRules[0][0] } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: 'A release failed in one of the 2 pipelines of main-Release',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Period: 3600, Dimensions: [{ Name: 'RuleName', Value: { Ref: failureRules[0][0] } }],
    });
  });
});

describe('CrossAccountPipeline failure alarm errors', () => {
  const { pipeline } = build();

  test('a period that is not whole minutes', () => {
    expect(() => pipeline.alarmOnPipelineFailed('Failed', { period: Duration.seconds(90) })).toThrow(
      '[Tooling/Release] invalid configuration:\n  - alarmOnPipelineFailed(\'Failed\') options.period = "90 seconds": EventBridge publishes its metrics ' +
      'per minute, so the period must be whole minutes, from 1 minute to 1 day. Fix: use a period such as Duration.minutes(5)');
  });

  test('an alarm name over 255 characters', () => {
    expect(() => pipeline.alarmOnPipelineFailed('Failed', { alarmName: 'a'.repeat(256) })).toThrow(
      /alarmOnPipelineFailed\('Failed'\) options\.alarmName = "a{256}": makes the alarm name 'a{256}' 256 characters, over the limit of 255\. Fix: shorten the name to 255 characters/);
  });
});

describe('CrossAccountPipeline partition of literal ARNs', () => {
  const actionRoleArn = (stack: Stack) => {
    const [[, release]] = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::CodePipeline::Pipeline');
    return release.Properties.Stages.find((s: any) => s.Name === 'Prod-Wave-1-of-1').Actions[0].RoleArn;
  };

  test('an ISO region gets its partition from RegionInfo (us-isof-south-1 is aws-iso-f)', () => {
    const { stack, pipeline } = build({ region: 'us-isof-south-1' });
    expect(actionRoleArn(stack)).toBe('arn:aws-iso-f:iam::333333333333:role/cdkx-main-deploy-action');
    expect(pipeline.pipelines[0].pipelineArn).toBe(`arn:aws-iso-f:codepipeline:us-isof-south-1:${TOOLING}:main-Release`);
  });

  test('a region RegionInfo does not know gets AWS::Partition, resolved at deploy time', () => {
    const { stack } = build({ region: 'xx-future-1' });
    expect(actionRoleArn(stack)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:role/cdkx-main-deploy-action']],
    });
  });

  test('IPipeline handles are codepipeline.IPipeline', () => {
    const { pipeline } = build();
    const handle: codepipeline.IPipeline = pipeline.pipelines[0];
    expect(handle.env).toEqual({ account: TOOLING, region: 'us-east-1' });
  });
});
