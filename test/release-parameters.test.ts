/**
 * Release-aware parameters of the CloudFormation kind: template parameters
 * set when the pipeline runs from the deploy action's input artifact, as
 * CodePipeline's parameter override functions (Fn::GetArtifactAtt,
 * Fn::GetParam) rendered as JSON objects inside ParameterOverrides; and the
 * synth errors for names, conflicts, file paths and the 1,000-character limit.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CloudFormationDeploymentProps, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget,
  ReleaseParameter,
} from '../src';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';
const TEST_TARGET: PipelineTarget = { id: 'test', account: '222222222222', region: 'us-east-1', parameters: { Stage: 'test' } };

function build(kind: Partial<CloudFormationDeploymentProps>, targets: PipelineTarget[] = [TEST_TARGET]): Stack {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const contract = new DeploymentContract({ toolingAccount: TOOLING });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract, readerAccounts: targets.map((t) => t.account) }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm run build'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json', ...kind }),
    stages: [{ name: 'Test', targets }],
  });
  return stack;
}

function deployActions(stack: Stack): any[] {
  const [pipeline] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
  return pipeline.Properties.Stages.flatMap((s: any) => s.Actions).filter((a: any) => a.ActionTypeId.Provider === 'CloudFormation');
}

const RELEASE = {
  CodeBucket: ReleaseParameter.artifactBucketName(),
  CodeKey: ReleaseParameter.artifactObjectKey(),
  CodeUrl: ReleaseParameter.artifactUrl(),
  Version: ReleaseParameter.fromOutputFile('release.json', 'version'),
};

describe('rendering', () => {
  test('each release parameter is an override function on the action\'s input artifact, next to the plain overrides', () => {
    const [deploy] = deployActions(build({ parameterOverrides: { LogLevel: 'info' }, releaseParameters: RELEASE }));
    const artifact = deploy.InputArtifacts[0].Name;
    expect(JSON.parse(deploy.Configuration.ParameterOverrides)).toEqual({
      LogLevel: 'info',
      Stage: 'test',
      CodeBucket: { 'Fn::GetArtifactAtt': [artifact, 'BucketName'] },
      CodeKey: { 'Fn::GetArtifactAtt': [artifact, 'ObjectKey'] },
      CodeUrl: { 'Fn::GetArtifactAtt': [artifact, 'URL'] },
      Version: { 'Fn::GetParam': [artifact, 'release.json', 'version'] },
    });
  });

  test('the functions are JSON objects in the ParameterOverrides string, not strings of escaped JSON', () => {
    const [deploy] = deployActions(build({ releaseParameters: { CodeKey: ReleaseParameter.artifactObjectKey() } }));
    const overrides: string = deploy.Configuration.ParameterOverrides;
    expect(overrides).toContain('"CodeKey":{"Fn::GetArtifactAtt":[');
    expect(overrides).not.toContain('\\"');
  });

  test('with change sets: the change set carries the overrides, executing it needs none', () => {
    const [plan, apply] = deployActions(build({ useChangeSets: true, releaseParameters: { CodeKey: ReleaseParameter.artifactObjectKey() } }));
    expect(JSON.parse(plan.Configuration.ParameterOverrides).CodeKey).toEqual({ 'Fn::GetArtifactAtt': [plan.InputArtifacts[0].Name, 'ObjectKey'] });
    expect(plan.Configuration.ActionMode).toBe('CHANGE_SET_REPLACE');
    expect(apply.Configuration.ParameterOverrides).toBeUndefined();
  });
});

describe('synth errors', () => {
  test('a name that is no CloudFormation parameter name', () => {
    expect(synthErrorOf(() => build({ releaseParameters: { 'code-key': ReleaseParameter.artifactObjectKey() } }))).toContain(
      'deploymentKind.releaseParameters.code-key = "code-key": not a CloudFormation parameter name (letters and digits, at most 255). ' +
      "Fix: use the template's parameter name, e.g. 'CodeKey'");
  });

  test('a name parameterOverrides also sets', () => {
    expect(synthErrorOf(() => build({ parameterOverrides: { CodeKey: 'x' }, releaseParameters: { CodeKey: ReleaseParameter.artifactObjectKey() } })))
      .toContain('deploymentKind.releaseParameters.CodeKey = "CodeKey": parameterOverrides sets the same parameter. ' +
        "Fix: set 'CodeKey' in one of releaseParameters and parameterOverrides");
  });

  test('a name a target also sets', () => {
    expect(synthErrorOf(() => build({ releaseParameters: { Stage: ReleaseParameter.artifactObjectKey() } }))).toContain(
      "stages[0].targets[0].parameters = \"Stage\": target 'test' sets parameter 'Stage', which the deployment kind takes from the release " +
      "(releaseParameters). Fix: remove 'Stage' from the parameters of target 'test'");
  });

  test.each(['/release.json', '../release.json', 'out/../../release.json', ''])('Fn::GetParam file %p outside the build output', (file) => {
    expect(synthErrorOf(() => build({ releaseParameters: { Version: ReleaseParameter.fromOutputFile(file, 'version') } }))).toContain(
      `deploymentKind.releaseParameters.Version = ${JSON.stringify(file)}: Fn::GetParam reads a JSON file inside the build output, ` +
      "named by its path relative to the output. Fix: give a relative path such as 'release.json'");
  });

  test('Fn::GetParam without a key', () => {
    expect(synthErrorOf(() => build({ releaseParameters: { Version: ReleaseParameter.fromOutputFile('release.json', '') } }))).toContain(
      "deploymentKind.releaseParameters.Version = \"\": Fn::GetParam needs the key of the value in the JSON file. Fix: give the key, e.g. 'version'");
  });

  test('overrides over CodePipeline\'s 1,000 characters, the functions included', () => {
    const target = { ...TEST_TARGET, parameters: { Stage: 'test', Notes: 'n'.repeat(850) } };
    // Without the release parameters the overrides fit...
    expect(() => build({}, [target])).not.toThrow();
    // ...with them they do not.
    expect(synthErrorOf(() => build({ releaseParameters: RELEASE }, [target]))).toMatch(
      /targets\[0\]\.parameters = "ParameterOverrides: 1\d{3} characters": with the deployment kind's own values, target 'test' makes action configuration ParameterOverrides longer than CodePipeline's limit of 1000 characters/);
  });
});
