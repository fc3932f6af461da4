/**
 * DeploymentKind.codeDeployServer: the CodePipeline CodeDeploy action it
 * renders for each target (in the target's region, as the target's action
 * role), and every bad input refused at synth with the construct path, the
 * property, the value and the fix.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CodeDeployServerDeploymentProps, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget,
} from '../src';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';
const TARGETS: PipelineTarget[] = [
  { id: 'dev', account: '222222222222', region: 'eu-west-1' },
  { id: 'prod', account: '333333333333', region: 'us-east-1' },
];
const BASE: CodeDeployServerDeploymentProps = { applicationName: 'main-web', deploymentGroupName: 'main-web-fleet' };

function build(props: Partial<CodeDeployServerDeploymentProps> = {}, stackNamePrefix?: string): Stack {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, stackNamePrefix });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/web', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npm run bundle'] },
    deploymentKind: DeploymentKind.codeDeployServer({ ...BASE, ...props }),
    stages: [{ name: 'Web', targets: TARGETS }],
  });
  return stack;
}

function webActions(stack: Stack): any[] {
  const [pipeline] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
  return pipeline.Properties.Stages.find((s: any) => s.Name.startsWith('Web')).Actions;
}

const errorOf = (props: Partial<CodeDeployServerDeploymentProps>) => synthErrorOf(() => build(props));

describe('DeploymentKind.codeDeployServer renders', () => {
  test('one CodeDeploy deploy action per target, in the target region, as the target action role, on the build output', () => {
    const actions = webActions(build());
    expect(actions.map((a) => a.Name)).toEqual(['dev', 'prod']);
    for (const [action, target] of actions.map((a, i) => [a, TARGETS[i]] as const)) {
      expect(action.ActionTypeId).toEqual({ Category: 'Deploy', Owner: 'AWS', Provider: 'CodeDeploy', Version: '1' });
      expect(action.Configuration).toEqual({ ApplicationName: 'main-web', DeploymentGroupName: 'main-web-fleet' });
      expect(action.Region).toBe(target.region);
      expect(JSON.stringify(action.RoleArn)).toContain(`:iam::${target.account}:role/cdkx-main-deploy-action`);
      expect(action.InputArtifacts).toHaveLength(1);
      expect(action.OutputArtifacts ?? []).toEqual([]);
    }
  });

  test('names with a custom stack name prefix of the contract', () => {
    const [action] = webActions(build({ applicationName: 'shop-web', deploymentGroupName: 'shop-web-fleet' }, 'shop-'));
    expect(action.Configuration).toEqual({ ApplicationName: 'shop-web', DeploymentGroupName: 'shop-web-fleet' });
  });
});

describe('DeploymentKind.codeDeployServer refuses at synth', () => {
  test('an application name outside the contract prefix', () => {
    const message = errorOf({ applicationName: 'web' });
    expect(message).toContain('[Tooling/Release] invalid configuration');
    expect(message).toContain(
      'deploymentKind.applicationName = "web": the tenant action role may only deploy to CodeDeploy applications whose names start with \'main-\'. ' +
      'Fix: name it \'main-web\', or change the contract\'s stackNamePrefix');
  });

  test('a deployment group name outside the contract prefix', () => {
    expect(errorOf({ deploymentGroupName: 'fleet' })).toContain(
      'deploymentKind.deploymentGroupName = "fleet": the tenant action role may only deploy to CodeDeploy deployment groups whose names start with \'main-\'. ' +
      'Fix: name it \'main-fleet\'');
  });

  test('a wildcard in a name (it would widen the ARN the action role is granted)', () => {
    expect(errorOf({ deploymentGroupName: 'main-*' })).toContain(
      'deploymentKind.deploymentGroupName = "main-*": a CodeDeploy name holds at most 100 characters, and here only letters, digits');
  });

  test('a name over 100 characters', () => {
    const long = `main-${'a'.repeat(96)}`;
    expect(errorOf({ applicationName: long })).toContain(`deploymentKind.applicationName = "${long}": a CodeDeploy name holds at most 100 characters`);
  });

  test('a slash in the application name (it would break the deployment group ARN)', () => {
    expect(errorOf({ applicationName: 'main-web/x' })).toContain('deploymentKind.applicationName = "main-web/x": a CodeDeploy name holds');
  });
});
