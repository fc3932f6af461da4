/**
 * TenantRegistry and FleetRollout: what they render (a registry that keeps its
 * data, an engine on the contract's pipeline role path, the onboarding pipe and
 * its filter, alarms and a dashboard), that tenants never reach the template,
 * and every bad input refused at synth with path, property, value and fix.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  DeploymentContract, FailureTolerance, FleetRing, FleetRollout, FleetRolloutProps, TenantRegistry,
} from '../src';
import { synthErrorOf } from './support/synth-error';
import { onboardingFilterPatterns } from '../src/fleet-rollout/private/onboarding-pipe';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';

interface Built {
  readonly stack: Stack;
  readonly rollout: FleetRollout;
  readonly registry: TenantRegistry;
}

function build(props: Partial<FleetRolloutProps> = {}, contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, qualifier: 'shop' })): Built {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'eu-west-1' } });
  const registry = new TenantRegistry(stack, 'Tenants');
  const rollout = new FleetRollout(stack, 'Fleet', {
    contract,
    registry,
    applicationName: 'app',
    rings: [
      FleetRing.named('canary', { bakeTime: Duration.minutes(30) }),
      FleetRing.percent(1),
      FleetRing.percent(10, { approval: true, failureTolerance: FailureTolerance.percent(2) }),
      FleetRing.rest({ failureTolerance: FailureTolerance.percent(5) }),
    ],
    ...props,
  });
  return { stack, rollout, registry };
}

function policyStatementsOf(template: Template, roleLogicalIdPrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values<any>(policies)
    .filter((p) => p.Properties.Roles.some((r: any) => JSON.stringify(r).includes(roleLogicalIdPrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('TenantRegistry', () => {
  test('keeps its data: point-in-time recovery, deletion protection, retained, customer managed key, a stream of both images', () => {
    const template = Template.fromStack(build().stack);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'tenantId', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      },
    });
  });

  test('grantRegister: tenant items and registrar attributes only, never the engine\'s items or results', () => {
    const { stack, registry } = build();
    const role = new iam.Role(stack, 'Vending', { assumedBy: new iam.AccountRootPrincipal() });
    registry.grantRegister(role);
    const statements = policyStatementsOf(Template.fromStack(stack), 'Vending');
    const dynamo = statements.find((s) => JSON.stringify(s.Action).includes('dynamodb:'));
    expect(dynamo.Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(dynamo.Condition['ForAllValues:StringNotLike']).toEqual({ 'dynamodb:LeadingKeys': ['#*'] });
    expect(dynamo.Condition['ForAllValues:StringEquals']['dynamodb:Attributes']).not.toContain('lastRelease');
    expect(dynamo.Condition['ForAllValues:StringEquals']['dynamodb:Attributes']).not.toContain('lastResult');
    expect(JSON.stringify(statements)).not.toContain('states:');
    expect(JSON.stringify(statements)).not.toContain('sts:');
  });

  test('fromTableAttributes takes the account from the ARN', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: { account: TOOLING, region: 'eu-west-1' } });
    const imported = TenantRegistry.fromTableAttributes(stack, 'R', { tableArn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/tenants' });
    expect(imported.env.account).toBe('222222222222');
    expect(imported.tableName).toBe('tenants');
  });
});

describe('FleetRollout renders', () => {
  test('an engine role on the contract\'s pipeline role path that assumes only the action role, inside the organization', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', { Path: '/cdkx-shop/', Description: Match.stringLikeRegexp('Runs the rollouts') });
    const statements = policyStatementsOf(template, 'FleetEngineRole');
    const assume = statements.filter((s) => JSON.stringify(s.Action).includes('sts:'));
    expect(assume).toHaveLength(1);
    expect(assume[0].Action).toBe('sts:AssumeRole');
    expect(JSON.stringify(assume[0].Resource)).toContain(':iam::*:role/cdkx-shop-deploy-action');
    expect(assume[0].Condition).toEqual({ StringEquals: { 'aws:ResourceOrgID': ORG } });
    expect(JSON.stringify(statements)).not.toContain('iam:PassRole');
  });

  test('two Standard state machines with fixed names, a Distributed Map per ring, and CloudFormation only through task credentials', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'cdkx-shop-app-rollout', StateMachineType: 'STANDARD' });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'cdkx-shop-app-onboarding' });
    const definition = JSON.stringify(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(definition.match(/\\"Mode\\":\\"DISTRIBUTED\\"/g)).toHaveLength(4);
  });

  test('the planner is the only function; the onboarding pipe starts on new or re-activated tenants only', () => {
    const template = Template.fromStack(build().stack);
    const functions = Object.values<any>(template.findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Properties.Description)).toEqual([expect.stringContaining('Plans the rings')]);
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      SourceParameters: Match.objectLike({
        DynamoDBStreamParameters: Match.objectLike({ StartingPosition: 'LATEST', DeadLetterConfig: Match.anyValue() }),
        FilterCriteria: { Filters: onboardingFilterPatterns().map((Pattern) => ({ Pattern })) },
      }),
    });
    const [insert, modify] = onboardingFilterPatterns().map((p) => JSON.parse(p));
    expect(insert.eventName).toEqual(['INSERT']);
    expect(modify.dynamodb.OldImage.status.S).toEqual([{ 'anything-but': 'active' }]);
    expect(modify.dynamodb.Keys.tenantId.S).toEqual([{ 'anything-but': { prefix: '#' } }]);
  });

  test('alarms on a stopped rollout and on failed onboardings, and a dashboard', () => {
    const { stack, rollout } = build();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(rollout.metricTenantsFailed({ release: 'v1', ring: 'canary' }).dimensions).toEqual(expect.objectContaining({ Release: 'v1', Ring: 'canary' }));
  });

  test('an approval topic, encrypted, only when a ring asks for approval', () => {
    expect(build().rollout.approvalTopic).toBeDefined();
    const noApproval = build({ rings: [FleetRing.rest()] });
    expect(noApproval.rollout.approvalTopic).toBeUndefined();
    Template.fromStack(noApproval.stack).resourceCountIs('AWS::SNS::Topic', 0);
  });

  test('without an organization or tenantAccounts the engine may assume any account\'s action role, and a warning says so', () => {
    const { stack } = build({}, new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop' }));
    Annotations.fromStack(stack).hasWarning('/Tooling/Fleet', Match.stringLikeRegexp('may assume the contract\'s action role in any account'));
    const listed = build({ tenantAccounts: ['222222222222'] }, new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop' }));
    const assume = policyStatementsOf(Template.fromStack(listed.stack), 'FleetEngineRole').find((s) => s.Action === 'sts:AssumeRole');
    expect(JSON.stringify(assume.Resource)).toContain(':iam::222222222222:role/cdkx-shop-deploy-action');
    expect(JSON.stringify(assume.Resource)).not.toContain('::*:');
  });

  test('the template does not depend on the tenants: the same bytes whatever the registry holds', () => {
    const a = JSON.stringify(Template.fromStack(build().stack).toJSON());
    const b = JSON.stringify(Template.fromStack(build().stack).toJSON());
    expect(a).toBe(b);
  });

  test('work data is kept by default and removable on purpose', () => {
    Template.fromStack(build().stack).hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    const destroy = build({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    Template.fromStack(destroy.stack).hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });
});

describe('FleetRollout refuses at synth', () => {
  const errorOf = (props: Partial<FleetRolloutProps>) => synthErrorOf(() => build(props));

  test('rings that do not end with the rest', () => {
    expect(errorOf({ rings: [FleetRing.percent(10)] })).toMatch(/\[Tooling\/Fleet\].*rings/s);
  });
  test('a percentage outside 0-100', () => {
    expect(errorOf({ rings: [FleetRing.percent(120), FleetRing.rest()] })).toMatch(/rings\[0\].*120/s);
  });
  test('a tolerance over a count ring', () => {
    expect(errorOf({ rings: [FleetRing.count(2, { failureTolerance: FailureTolerance.count(3) }), FleetRing.rest()] })).toMatch(/rings\[0\].*3/s);
  });
  test('concurrency 0 and over the Distributed Map limit', () => {
    expect(errorOf({ maxConcurrency: 0 })).toMatch(/maxConcurrency.*0/s);
    expect(errorOf({ maxConcurrency: 10_001 })).toMatch(/maxConcurrency.*10001/s);
  });
  test('a negative bake time (refused by Duration itself)', () => {
    expect(() => FleetRing.rest({ bakeTime: Duration.seconds(-1) })).toThrow(/negative/);
  });
  test('a registry in another account', () => {
    const message = synthErrorOf(() => {
      const app = new App();
      const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'eu-west-1' } });
      new FleetRollout(stack, 'Fleet', {
        contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG }),
        registry: TenantRegistry.fromTableAttributes(stack, 'Other', {
          tableArn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/tenants',
          tableStreamArn: 'arn:aws:dynamodb:eu-west-1:222222222222:table/tenants/stream/2026-01-01T00:00:00.000',
        }),
        applicationName: 'app',
      });
    });
    expect(message).toContain('[Tooling/Fleet]');
    expect(message).toContain('registry = "Tooling/Other"');
    expect(message).toContain('account 222222222222');
    expect(message).toContain('Fix: create the TenantRegistry in the tooling account stack');
  });
  test('a rollout outside the contract\'s tooling account', () => {
    const message = synthErrorOf(() => build({}, new DeploymentContract({ toolingAccount: '333333333333', organizationId: ORG })));
    expect(message).toContain('contract.toolingAccount = "333333333333"');
  });
  test('an application name that is not a stack name, or too long for the state machine names', () => {
    expect(errorOf({ applicationName: 'my_app' })).toContain('applicationName = "my_app"');
    expect(errorOf({ applicationName: 'a'.repeat(70) })).toMatch(/applicationName = "a+": the onboarding state machine would be named/);
  });
  test('a malformed tenant account', () => {
    expect(synthErrorOf(() => build({ tenantAccounts: ['12345'] }, new DeploymentContract({ toolingAccount: TOOLING })))).toContain('tenantAccounts[0] = "12345"');
  });
  test('onboarding from an imported registry without its stream', () => {
    const message = synthErrorOf(() => {
      const app = new App();
      const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'eu-west-1' } });
      new FleetRollout(stack, 'Fleet', {
        contract: new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG }),
        registry: TenantRegistry.fromTableAttributes(stack, 'R', { tableArn: `arn:aws:dynamodb:eu-west-1:${TOOLING}:table/tenants` }),
        applicationName: 'app',
      });
    });
    expect(message).toContain('has no table stream');
    expect(message).toContain('onboarding: false');
  });
});
