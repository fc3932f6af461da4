/**
 * DeploymentKind.lambdaTrafficShift: the CodePipeline Lambda deploy action it
 * renders for each target (in a V2 pipeline, as the target's action role, in
 * the target's region, from the build output), the DeployStrategy values of
 * LambdaDeployStrategy, and every bad input refused at synth with the
 * construct path, the property, the value and the fix.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, LambdaDeployStrategy, LambdaTrafficShiftProps,
  PipelineSource, PipelineTarget,
} from '../src';
import { synthErrorOf } from './support/synth-error';
import { lambdaDeployStrategyProblems, trafficShiftMinutes } from '../src/cross-account-pipeline/lambda-deploy-strategy';

const TOOLING = '111111111111';
const TENANT_A = '222222222222';
const TENANT_B = '333333333333';
const ORG = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

const BASE: LambdaTrafficShiftProps = { functionName: 'main-api', aliasName: 'live' };
const TARGETS: PipelineTarget[] = [
  { id: 'tenant-a', account: TENANT_A, region: 'eu-west-1' },
  { id: 'tenant-b', account: TENANT_B, region: 'us-east-1' },
];

function build(props: Partial<LambdaTrafficShiftProps> = {}, targets: PipelineTarget[] = TARGETS): Stack {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/api', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npm run package'] },
    deploymentKind: DeploymentKind.lambdaTrafficShift({ ...BASE, ...props }),
    stages: [{ name: 'Prod', targets }],
  });
  return stack;
}

function pipelines(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
}

/** The actions of the 'Prod' stage. */
function prodActions(stack: Stack): any[] {
  return pipelines(stack)[0].Properties.Stages.find((s: any) => s.Name.startsWith('Prod')).Actions;
}

const errorOf = (props: Partial<LambdaTrafficShiftProps>) => synthErrorOf(() => build(props));

describe('DeploymentKind.lambdaTrafficShift renders', () => {
  test('one Lambda deploy action per target, as that target\'s action role, in its region, from the build output', () => {
    const stack = build({ strategy: LambdaDeployStrategy.canary(10, Duration.minutes(5)), alarmNames: ['main-api-errors', 'main-api-throttles'] });
    const actions = prodActions(stack);
    expect(actions.map((a) => a.Name)).toEqual(['tenant-a', 'tenant-b']);
    for (const [action, target] of actions.map((a, i) => [a, TARGETS[i]] as const)) {
      expect(action.ActionTypeId).toEqual({ Category: 'Deploy', Owner: 'AWS', Provider: 'Lambda', Version: '1' });
      expect(action.Region).toBe(target.region);
      expect(JSON.stringify(action.RoleArn)).toContain(`:iam::${target.account}:role/cdkx-main-deploy-action`);
      expect(action.Configuration).toEqual({
        FunctionName: 'main-api',
        FunctionAlias: 'live',
        DeployStrategy: 'Canary10Percent5Minutes',
        Alarms: 'main-api-errors,main-api-throttles',
      });
      expect(action.InputArtifacts).toHaveLength(1);
    }
    // The input is the build's output artifact, not the source.
    const buildAction = pipelines(stack)[0].Properties.Stages.flatMap((s: any) => s.Actions).find((a: any) => a.ActionTypeId.Category === 'Build');
    expect(actions[0].InputArtifacts[0].Name).toBe(buildAction.OutputArtifacts[0].Name);
  });

  test('in a V2 pipeline, the only type that has the Lambda deploy action', () => {
    for (const pipeline of pipelines(build())) expect(pipeline.Properties.PipelineType).toBe('V2');
  });

  test('all at once and no Alarms key by default', () => {
    expect(prodActions(build())[0].Configuration).toEqual({ FunctionName: 'main-api', FunctionAlias: 'live', DeployStrategy: 'AllAtOnce' });
  });

  test('a linear strategy', () => {
    expect(prodActions(build({ strategy: LambdaDeployStrategy.linear(20, Duration.minutes(3)) }))[0].Configuration.DeployStrategy)
      .toBe('Linear20PercentEvery3Minutes');
  });
});

describe('LambdaDeployStrategy', () => {
  test.each([
    [LambdaDeployStrategy.allAtOnce(), 'AllAtOnce', 0],
    [LambdaDeployStrategy.canary(10, Duration.minutes(5)), 'Canary10Percent5Minutes', 5],
    [LambdaDeployStrategy.canary(25, Duration.hours(2)), 'Canary25Percent120Minutes', 120],
    [LambdaDeployStrategy.linear(10, Duration.minutes(1)), 'Linear10PercentEvery1Minute', 10],
    [LambdaDeployStrategy.linear(30, Duration.minutes(10)), 'Linear30PercentEvery10Minutes', 40],
  ])('%#: renders %p and waits %p minutes in total', (strategy, name, minutes) => {
    expect(strategy.name).toBe(name);
    expect(trafficShiftMinutes(strategy)).toBe(minutes);
    expect(lambdaDeployStrategyProblems('s', strategy)).toEqual([]);
  });

  test('the 2-day bound: a canary of exactly 2 days is accepted, one minute more is not', () => {
    expect(lambdaDeployStrategyProblems('s', LambdaDeployStrategy.canary(10, Duration.days(2)))).toEqual([]);
    expect(lambdaDeployStrategyProblems('s', LambdaDeployStrategy.canary(10, Duration.minutes(2881)))).toHaveLength(1);
  });

  test('the 2-day bound counts every linear increment (10 x 288 minutes is 2 days; 10 x 289 is over)', () => {
    expect(lambdaDeployStrategyProblems('s', LambdaDeployStrategy.linear(10, Duration.minutes(288)))).toEqual([]);
    expect(lambdaDeployStrategyProblems('s', LambdaDeployStrategy.linear(10, Duration.minutes(289)))).toHaveLength(1);
  });
});

describe('DeploymentKind.lambdaTrafficShift refuses at synth', () => {
  const where = '[Tooling/Release] invalid configuration';

  test('a function name outside the contract prefix', () => {
    const message = errorOf({ functionName: 'api' });
    expect(message).toContain(where);
    expect(message).toContain(
      'deploymentKind.functionName = "api": the tenant action role may only update functions whose names start with \'main-\'. Fix: name the function \'main-api\' in the targets, or change the contract\'s stackNamePrefix');
  });

  test('a function ARN or qualified name instead of a name', () => {
    expect(errorOf({ functionName: 'main-api:live' })).toContain(
      'deploymentKind.functionName = "main-api:live": not a Lambda function name (letters, digits, hyphens and underscores, at most 64; no ARN, no version or alias). Fix: give the name alone');
  });

  test('a function name over 64 characters', () => {
    const name = `main-${'a'.repeat(60)}`;
    expect(errorOf({ functionName: name })).toContain(`deploymentKind.functionName = "${name}": not a Lambda function name`);
  });

  test.each(['1', '$LATEST', 'live now'])('the alias name %p', (aliasName) => {
    expect(errorOf({ aliasName })).toContain(
      `deploymentKind.aliasName = ${JSON.stringify(aliasName)}: not a Lambda alias name (letters, digits, hyphens and underscores, at most 128, not only digits). Fix: e.g. 'live'`);
  });

  test.each([0, 100, 12.5])('a canary percentage of %p', (percent) => {
    expect(errorOf({ strategy: LambdaDeployStrategy.canary(percent, Duration.minutes(5)) })).toContain(
      `deploymentKind.strategy.percent = ${percent}: the percentage of traffic per increment is a whole number from 1 to 99 (100 is all at once). Fix: use LambdaDeployStrategy.canary(<1 to 99>, ...), or LambdaDeployStrategy.allAtOnce()`);
  });

  test('a linear percentage of 0', () => {
    expect(errorOf({ strategy: LambdaDeployStrategy.linear(0, Duration.minutes(1)) })).toContain(
      'deploymentKind.strategy.percent = 0: the percentage of traffic per increment is a whole number from 1 to 99 (100 is all at once). Fix: use LambdaDeployStrategy.linear(<1 to 99>, ...)');
  });

  test.each([
    ['30 seconds', Duration.seconds(30), '0.5 minutes'],
    ['90 seconds', Duration.seconds(90), '1.5 minutes'],
  ])('an interval of %s', (_name, interval, shown) => {
    expect(errorOf({ strategy: LambdaDeployStrategy.linear(10, interval) })).toContain(
      `deploymentKind.strategy.interval = "${shown}": the Lambda deploy action counts intervals in whole minutes, at least 1. Fix: use Duration.minutes(n) with a whole n of at least 1`);
  });

  test('a canary waiting over 2 days', () => {
    expect(errorOf({ strategy: LambdaDeployStrategy.canary(10, Duration.days(3)) })).toContain(
      'deploymentKind.strategy = "Canary10Percent4320Minutes": the shift would wait 4320 minutes; the Lambda deploy action waits at most 2 days (2880 minutes) in total. Fix: use an interval of at most 2 days');
  });

  test('a linear shift waiting over 2 days in total', () => {
    expect(errorOf({ strategy: LambdaDeployStrategy.linear(1, Duration.minutes(30)) })).toContain(
      'deploymentKind.strategy = "Linear1PercentEvery30Minutes": the shift would wait 3000 minutes; the Lambda deploy action waits at most 2 days (2880 minutes) in total. Fix: use a larger percentage or a shorter interval');
  });

  test('an empty alarm list', () => {
    expect(errorOf({ alarmNames: [] })).toContain(
      'deploymentKind.alarmNames = []: an empty list watches nothing. Fix: name at least one alarm, or leave alarmNames out');
  });

  test.each(['errors,throttles', '', 'a'.repeat(256)])('the alarm name %p', (name) => {
    expect(errorOf({ alarmNames: ['main-api-errors', name] })).toContain(
      `deploymentKind.alarmNames[1] = ${JSON.stringify(name)}: not an alarm name the action can take (1 to 255 characters, no comma: the action reads a comma-separated list). Fix: give the alarm name as CloudWatch shows it, without commas`);
  });

  test('a stage\'s own kind is checked under that stage', () => {
    const message = synthErrorOf(() => {
      const app = new App();
      const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
      const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
      new CrossAccountPipeline(stack, 'Release', {
        contract,
        artifactStore: new ArtifactStore(stack, 'Store', { contract }),
        source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/api', branch: 'main' }),
        buildOptions: { commands: ['npm run package'] },
        deploymentKind: DeploymentKind.lambdaTrafficShift(BASE),
        stages: [{ name: 'Prod', targets: TARGETS, deploymentKind: DeploymentKind.lambdaTrafficShift({ ...BASE, functionName: 'api' }) }],
      });
    });
    expect(message).toContain('stages[0].deploymentKind.functionName = "api"');
  });
});
