/**
 * Pipelines of every shape a team ships with: build-only (no deploy stages),
 * deploy-only (no build: the source deploys as it is), and started by another
 * system (no source trigger); and the limits messages, one per problem.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineSource,
} from '../src';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';
const DEV = { id: 'dev', account: '222222222222', region: 'us-east-1' };

interface Built { stack: Stack; pipeline: CrossAccountPipeline }

function build(overrides: Partial<CrossAccountPipelineProps> = {}): Built {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npm test'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [{ name: 'Dev', targets: [DEV] }],
    ...overrides,
  });
  return { stack, pipeline };
}

function pipelinesOf(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')).map((r: any) => r.Properties);
}

function errorOf(overrides: Partial<CrossAccountPipelineProps>): string {
  return synthErrorOf(() => build(overrides));
}

describe('one problem, one message', () => {
  test('an actionsPerStage of 0 is one line naming the value given, not also a waveSize never given', () => {
    expect(errorOf({ limits: { actionsPerStage: 0 } })).toBe('[Tooling/Release] invalid configuration:\n'
      + '  - limits.actionsPerStage = 0: must be a whole number from 1 to 100. '
      + 'Fix: use the CodePipeline quota "actions per stage" of the tooling account (50, or 100 where AWS raised it)');
  });

  test('a fractional limit is refused with the value given, not rounded into a valid one', () => {
    expect(errorOf({ limits: { actionsPerStage: 2.5 } })).toBe('[Tooling/Release] invalid configuration:\n'
      + '  - limits.actionsPerStage = 2.5: must be a whole number from 1 to 100. '
      + 'Fix: use the CodePipeline quota "actions per stage" of the tooling account (50, or 100 where AWS raised it)');
    expect(errorOf({ limits: { maxActionsPerPipeline: 60.5 } }).split('\n')).toEqual(['[Tooling/Release] invalid configuration:',
      '  - limits.maxActionsPerPipeline = 60.5: must be a whole number of at least waveSize (50), so that one wave fits in a pipeline. '
      + 'Fix: set maxActionsPerPipeline to 50 or more (default 1000)']);
  });

  test('a stage of one action cannot hold a target whose kind needs two: one line on actionsPerStage', () => {
    expect(errorOf({
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json', useChangeSets: true }),
      limits: { actionsPerStage: 1 },
    })).toBe('[Tooling/Release] invalid configuration:\n'
      + '  - limits.actionsPerStage = 1: the deployment kind of stage \'Dev\' renders 2 actions per target, more than one CodePipeline stage of 1 action holds. '
      + 'Fix: set actionsPerStage to 2 or more');
  });

  test.each([
    [{ waveSize: 0 }, 'limits.waveSize = 0'],
    [{ waveSize: 51 }, 'limits.waveSize = 51'],
    [{ actionsPerStage: 101 }, 'limits.actionsPerStage = 101'],
    [{ stagesPerPipeline: 3 }, 'limits.stagesPerPipeline = 3'],
    [{ maxActionsPerPipeline: 0 }, 'limits.maxActionsPerPipeline = 0'],
    [{ maxActionsPerPipeline: 49 }, 'limits.maxActionsPerPipeline = 49'],
  ])('limits %p: exactly one line, on the value given', (limits, start) => {
    const lines = errorOf({ limits }).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1].startsWith(`  - ${start}: `)).toBe(true);
  });

  describe('a kind of two actions per target (change sets): messages in the actions the user wrote', () => {
    const changeSets = DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json', useChangeSets: true });

    test('a waveSize over what 50 actions per stage hold', () => {
      expect(errorOf({ deploymentKind: changeSets, limits: { waveSize: 30 } })).toBe('[Tooling/Release] invalid configuration:\n'
        + "  - limits.waveSize = 30: a wave is one CodePipeline stage of at most actionsPerStage (50) actions, and the deployment kind of stage 'Dev' renders 2 actions per target: 25 targets. "
        + "Fix: set waveSize to 25 or less, or raise actionsPerStage if the account's quota allows");
    });

    test('a maxActionsPerPipeline below one wave of actions', () => {
      expect(errorOf({ deploymentKind: changeSets, limits: { waveSize: 10, maxActionsPerPipeline: 15 } })).toBe('[Tooling/Release] invalid configuration:\n'
        + "  - limits.maxActionsPerPipeline = 15: one wave of 10 targets is 20 actions (the deployment kind of stage 'Dev' renders 2 actions per target), more than one pipeline would hold. "
        + 'Fix: set maxActionsPerPipeline to 20 or more (default 1000)');
    });

    test('valid limits plan in targets: 50 actions per stage are 25 targets per wave', () => {
      const many = Array.from({ length: 30 }, (_, i) => ({ id: `t${i}`, account: String(300000000000 + i), region: 'us-east-1' }));
      const { stack } = build({ deploymentKind: changeSets, stages: [{ name: 'Dev', targets: many }] });
      expect(pipelinesOf(stack)[0].Stages.map((s: any) => [s.Name, s.Actions.length])).toEqual([
        ['Source', 1], ['Build', 1], ['Dev-Wave-1-of-2', 50], ['Dev-Wave-2-of-2', 10],
      ]);
    });
  });

  test('one bad target account is one line', () => {
    const lines = errorOf({ stages: [{ name: 'Dev', targets: [{ ...DEV, account: '12345' }] }] }).split('\n');
    expect(lines).toEqual(['[Tooling/Release] invalid configuration:',
      '  - stages[0].targets[0].account = "12345": not a 12-digit AWS account id. Fix: use the account id exactly as AWS shows it, 12 digits with leading zeros, no dashes']);
  });
});

describe('a build-only pipeline (no deploy stages)', () => {
  const { stack, pipeline } = build({ stages: [], deploymentKind: undefined });
  const template = Template.fromStack(stack);
  const [release] = pipelinesOf(stack);

  test('stages: [] is valid and needs no deployment kind: Source and Build, nothing else', () => {
    expect(release.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Build']);
    expect(release.Stages[1].Actions[0].OutputArtifacts).toEqual([{ Name: 'BuildOutput' }]);
    expect(pipeline.pipelineNames).toEqual(['main-Release']);
    template.resourceCountIs('AWS::CodeBuild::Project', 1);
  });

  test('the build still writes only its own folder of the store', () => {
    expect(pipeline.buildProject).toBeDefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Sid === 'ReadWritePipelineArtifacts');
    expect(statements).toHaveLength(1);
    expect(statements[0].Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/StoreBucket/), 'Arn'] }, '/main-Release/*']] });
  });

  test('the rollout report shows Source -> Build, no targets and no empty table', () => {
    expect(pipeline.rolloutReport).toBe([
      '# Rollout of main-Release',
      '',
      '0 targets, 1 pipeline, 2 CodePipeline stages, 0 waves, 0 approvals.',
      '',
      '## Deploy order',
      '',
      "1. The `ArtifactStore` of the pipeline's region: us-east-1.",
      '2. The pipeline stack. It deploys to no target: it builds only.',
      '',
      '```mermaid',
      'flowchart LR',
      '  subgraph P0 ["Pipeline 0 (release)"]',
      '    P0S0["Source"]',
      '    P0S1["Build"]',
      '    P0S0 --> P0S1',
      '  end',
      '```',
      '',
      'No targets: the pipeline builds only.',
      '',
    ].join('\n'));
  });

  test('without buildOptions too, stages: [] would be a Source stage alone: one line on stages', () => {
    expect(errorOf({ stages: [], buildOptions: undefined })).toBe('[Tooling/Release] invalid configuration:\n'
      + '  - stages = []: a pipeline without a build needs at least one stage to deploy to (CodePipeline refuses a pipeline of a Source stage alone). '
      + "Fix: add a stage, for example { name: 'Dev', targets: [{ id: 'dev', account: '111111111111', region: 'eu-west-1' }] }, or give buildOptions for a build-only pipeline");
  });
});

describe('a pipeline without a build (the source deploys as it is)', () => {
  const { stack, pipeline } = build({ buildOptions: undefined });
  const template = Template.fromStack(stack);
  const [release] = pipelinesOf(stack);

  test('Source, then the deploy stages, which take the source artifact', () => {
    expect(release.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Dev-Wave-1-of-1']);
    const dev = release.Stages[1].Actions[0];
    expect(dev.InputArtifacts).toEqual([{ Name: 'Source' }]);
    expect(dev.Configuration.TemplatePath).toBe('Source::app.template.json');
  });

  test('no build project, and so no role that runs repository code with write access to the store', () => {
    expect(pipeline.buildProject).toBeUndefined();
    template.resourceCountIs('AWS::CodeBuild::Project', 0);
    const sids = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement.map((s: any) => s.Sid));
    expect(sids).not.toContain('ReadWritePipelineArtifacts');
    expect(sids).not.toContain('RunBuildProject');
  });

  test('the rollout report shows no Build stage', () => {
    expect(pipeline.rolloutReport).toContain([
      '  subgraph P0 ["Pipeline 0 (release)"]',
      '    P0S0["Source"]',
      '    P0S1["Dev-Wave-1-of-1 (1 target)"]',
      '    P0S0 --> P0S1',
      '  end',
    ].join('\n'));
    expect(pipeline.rolloutReport).toContain('1 target, 1 pipeline, 2 CodePipeline stages, 1 wave, 0 approvals.');
  });

  test('a chain hands the source artifact on; the release pipeline counts one fixed stage, not two', () => {
    const chain = build({
      buildOptions: undefined,
      limits: { waveSize: 1, stagesPerPipeline: 4 },
      stages: [{ name: 'Dev', targets: ['a', 'b', 'c', 'd'].map((id, i) => ({ id, account: String(222222222222 + i), region: 'us-east-1' })) }],
    });
    expect(chain.pipeline.pipelineNames).toEqual(['main-Release', 'main-Release-2']);
    const [first] = pipelinesOf(chain.stack);
    expect(first.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Dev-Wave-1-of-4', 'Dev-Wave-2-of-4', 'Handoff']);
    expect(first.Stages[3].Actions[0].InputArtifacts).toEqual([{ Name: 'Source' }]);
  });
});

describe('a pipeline without a source trigger, started by another system', () => {
  const rulesOf = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')).map((r: any) => r.Properties);

  test('connection, triggerOnPush false: DetectChanges false and no trigger declaration', () => {
    const { stack } = build({ source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main', triggerOnPush: false }) });
    const [release] = pipelinesOf(stack);
    expect(release.Stages[0].Actions[0].Configuration).toEqual({
      ConnectionArn: CONNECTION, FullRepositoryId: 'acme/shop', BranchName: 'main', OutputArtifactFormat: 'CODE_ZIP', DetectChanges: false,
    });
    expect(release.Triggers).toBeUndefined();
  });

  test('connection, by default: a push trigger on the branch and no DetectChanges', () => {
    const [release] = pipelinesOf(build().stack);
    expect(release.Stages[0].Actions[0].Configuration.DetectChanges).toBeUndefined();
    expect(release.Triggers).toEqual([{
      ProviderType: 'CodeStarSourceConnection',
      GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['main'] } }] },
    }]);
  });

  test('connection, triggerOnPush false with file paths that would filter pushes: one line', () => {
    expect(errorOf({
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main', triggerOnPush: false, filePaths: ['app/**'] }),
    })).toBe('[Tooling/Release] invalid configuration:\n'
      + '  - source.filePaths = ["app/**"]: file paths choose which pushes start the pipeline, and triggerOnPush is false: no push starts it. '
      + 'Fix: remove the file paths, or set triggerOnPush to true');
  });

  test.each([true, false])('CodeCommit, triggerOnPush %p: an EventBridge rule on the branch only when true', (triggerOnPush) => {
    const app = new App();
    const repoStack = new Stack(app, 'Repo', { env: { account: TOOLING, region: 'us-east-1' } });
    const repository = codecommit.Repository.fromRepositoryName(repoStack, 'Repo', 'shop');
    const { stack } = build({ source: PipelineSource.codeCommit({ repository, branch: 'main', triggerOnPush }) });
    const [release] = pipelinesOf(stack);
    expect(release.Stages[0].Actions[0].Configuration.PollForSourceChanges).toBe(false);
    expect(rulesOf(stack).map((r) => r.EventPattern.source)).toEqual(triggerOnPush ? [['aws.codecommit']] : []);
  });

  test.each([true, false])('S3, triggerOnUpload %p: an EventBridge rule on the object only when true', (triggerOnUpload) => {
    const app = new App();
    const bucketStack = new Stack(app, 'Bucket', { env: { account: TOOLING, region: 'us-east-1' } });
    const bucket = s3.Bucket.fromBucketName(bucketStack, 'Releases', 'acme-releases');
    const { stack } = build({ source: PipelineSource.s3({ bucket, objectKey: 'releases/app.zip', triggerOnUpload }) });
    const [release] = pipelinesOf(stack);
    expect(release.Stages[0].Actions[0].Configuration).toEqual({ S3Bucket: 'acme-releases', S3ObjectKey: 'releases/app.zip', PollForSourceChanges: false });
    expect(rulesOf(stack).map((r) => r.EventPattern.detail)).toEqual(triggerOnUpload
      ? [{ bucket: { name: ['acme-releases'] }, object: { key: ['releases/app.zip'] } }] : []);
  });
});

describe('grantStart', () => {
  test('StartPipelineExecution on the release pipeline only, not on the later pipelines of a chain', () => {
    const { stack, pipeline } = build({
      limits: { waveSize: 1, stagesPerPipeline: 4 },
      stages: [{ name: 'Dev', targets: ['a', 'b', 'c'].map((id, i) => ({ id, account: String(222222222222 + i), region: 'us-east-1' })) }],
    });
    expect(pipeline.pipelineNames).toEqual(['main-Release', 'main-Release-2']);
    const orchestrator = new iam.Role(stack, 'Orchestrator', { assumedBy: new iam.AccountPrincipal(TOOLING) });
    const grant = pipeline.grantStart(orchestrator);
    expect(grant.success).toBe(true);
    const policies = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('OrchestratorDefaultPolicy')).map(([, r]: [string, any]) => r.Properties.PolicyDocument);
    expect(policies).toEqual([{
      Version: '2012-10-17',
      Statement: [{ Action: 'codepipeline:StartPipelineExecution', Effect: 'Allow', Resource: 'arn:aws:codepipeline:us-east-1:111111111111:main-Release' }],
    }]);
  });
});

describe('deployment kinds', () => {
  test('a stage without a kind in a pipeline without one: one line naming the stage', () => {
    expect(errorOf({ deploymentKind: undefined })).toBe('[Tooling/Release] invalid configuration:\n'
      + "  - stages[0].deploymentKind = undefined: neither stage 'Dev' nor the pipeline says how its targets are deployed. "
      + 'Fix: give the pipeline a deploymentKind, or the stage its own, for example DeploymentKind.cloudFormation({ ... })');
  });

  test('each stage with its own kind needs none on the pipeline', () => {
    const kind = DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' });
    const { stack } = build({ deploymentKind: undefined, stages: [{ name: 'Dev', targets: [DEV], deploymentKind: kind }] });
    expect(pipelinesOf(stack)[0].Stages.map((s: any) => s.Name)).toEqual(['Source', 'Build', 'Dev-Wave-1-of-1']);
  });
});
