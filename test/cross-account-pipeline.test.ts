import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineSource,
  PipelineTarget,
} from '../src';
import { accounts, measured } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

function targets(count: number, prefix = 't', start = 300_000_000_000): PipelineTarget[] {
  return accounts(count, start).map((account, i) => ({
    id: `${prefix}${i}`, account, region: i % 2 === 0 ? 'us-east-1' : 'eu-west-1',
  }));
}

interface Built { app: App; stack: Stack; pipeline: CrossAccountPipeline }

function build(overrides: Partial<CrossAccountPipelineProps> = {}, options: { organization?: boolean } = {}): Built {
  const app = new App();
  const contract = overrides.contract ?? new DeploymentContract({
    toolingAccount: TOOLING, organizationId: options.organization === false ? undefined : ORG,
  });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const allTargets = (overrides.stages ?? []).flatMap((s) => s.targets.map((t) => t.account));
  const store = new ArtifactStore(stack, 'Store', {
    contract, readerAccounts: contract.organizationId ? undefined : [...new Set(allTargets.length ? allTargets : ['222222222222'])],
  });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npm test'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] },
      { name: 'Prod', approval: {}, targets: [{ id: 'acme', account: '333333333333', region: 'eu-west-1', parameters: { Tenant: 'acme' } }] },
    ],
    ...overrides,
  });
  return { app, stack, pipeline };
}

function pipelines(template: Template): any[] {
  return Object.values(template.findResources('AWS::CodePipeline::Pipeline')).map((r: any) => r.Properties);
}

describe('CrossAccountPipeline', () => {
  const { stack, pipeline } = build();
  const template = Template.fromStack(stack);
  const [release] = pipelines(template);

  test('a V2 pipeline in QUEUED mode, run by the pipeline role on the contract path', () => {
    expect(release.PipelineType).toBe('V2');
    expect(release.ExecutionMode).toBe('QUEUED');
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/cdkx-main/',
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'codepipeline.amazonaws.com' } })] }),
    });
    expect(pipeline.pipelineNames).toEqual(['main-Release']);
  });

  test('stages: source, build, the Dev wave, the Prod approval and the Prod wave', () => {
    expect(release.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Build', 'Dev-Wave-1-of-1', 'Approve-Prod', 'Prod-Wave-1-of-1']);
    const approval = release.Stages[3].Actions[0];
    expect(approval.ActionTypeId).toEqual({ Category: 'Approval', Owner: 'AWS', Provider: 'Manual', Version: '1' });
    expect(approval.TimeoutInMinutes).toBe(7 * 24 * 60);
  });

  test('a deploy action runs as the target action role, in the target region, through its execution role', () => {
    const acme = release.Stages[4].Actions[0];
    expect(acme).toEqual({
      Name: 'acme',
      ActionTypeId: { Category: 'Deploy', Owner: 'AWS', Provider: 'CloudFormation', Version: '1' },
      Configuration: {
        ActionMode: 'CREATE_UPDATE',
        StackName: 'main-app',
        RoleArn: 'arn:aws:iam::333333333333:role/cdkx-main-cfn-exec',
        Capabilities: 'CAPABILITY_IAM,CAPABILITY_NAMED_IAM,CAPABILITY_AUTO_EXPAND',
        TemplatePath: 'BuildOutput::app.template.json',
        ParameterOverrides: '{"Tenant":"acme"}',
      },
      InputArtifacts: [{ Name: 'BuildOutput' }],
      RoleArn: 'arn:aws:iam::333333333333:role/cdkx-main-deploy-action',
      Region: 'eu-west-1',
      RunOrder: 1,
    });
  });

  test('an artifact store per region: this store at home, the contract-named store and its looked-up key ARN elsewhere', () => {
    expect(release.ArtifactStores).toEqual([
      {
        Region: 'eu-west-1',
        ArtifactStore: {
          Type: 'S3',
          Location: 'cdkx-main-artifacts-111111111111-eu-west-1',
          EncryptionKey: { Id: { 'Fn::GetAtt': [expect.stringMatching(/^CdkxArtifactKeyLookupmaineuwest1/), 'KeyMetadata.Arn'] }, Type: 'KMS' },
        },
      },
      {
        Region: 'us-east-1',
        ArtifactStore: {
          Type: 'S3',
          Location: { Ref: expect.stringMatching(/StoreBucket/) },
          EncryptionKey: { Id: { 'Fn::GetAtt': [expect.stringMatching(/StoreKey/), 'Arn'] }, Type: 'KMS' },
        },
      },
    ]);
  });

  test('the connection source pushes on the branch through a V2 trigger', () => {
    expect(release.Stages[0].Actions[0].Configuration).toEqual({
      ConnectionArn: CONNECTION, FullRepositoryId: 'acme/shop', BranchName: 'main', OutputArtifactFormat: 'CODE_ZIP',
    });
    expect(release.Triggers).toEqual([{
      ProviderType: 'CodeStarSourceConnection',
      GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['main'] } }] },
    }]);
  });

  test('the pipeline role assumes the action role of any account of the organization, in one statement', () => {
    const statement = template.toJSON().Resources[Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ReleasePipelineRole') }] },
    }))[0]].Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'AssumeTargetActionRoles');
    expect(statement).toEqual({
      Sid: 'AssumeTargetActionRoles',
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cdkx-main-deploy-action']] },
      Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
    });
  });

  test('the build runs in CodeBuild with the store key', () => {
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      EncryptionKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('StoreKey'), 'Arn'] },
      Cache: { Type: 'LOCAL', Modes: ['LOCAL_SOURCE_CACHE', 'LOCAL_DOCKER_LAYER_CACHE'] },
    });
  });

  test('the rollout report is written next to the templates', () => {
    const { app, pipeline: p } = build();
    const outdir = app.synth().directory;
    const report = fs.readFileSync(path.join(outdir, 'rollout-main-Release.md'), 'utf8');
    expect(report).toBe(p.rolloutReport);
    expect(report).toContain('```mermaid');
    expect(report).toContain('| acme |');
    expect(report).toContain('1. The `ArtifactStore` of every region of the pipeline and its targets: eu-west-1, us-east-1.\n');
  });
});

describe('CrossAccountPipeline options', () => {
  test('change sets: a plan and an apply action per target, so half as many targets per wave', () => {
    const { stack } = build({
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json', useChangeSets: true }),
      stages: [{ name: 'Prod', targets: targets(30) }],
    });
    const [release] = pipelines(Template.fromStack(stack));
    const waves = release.Stages.filter((s: any) => s.Name.startsWith('Prod-Wave'));
    expect(waves.map((w: any) => w.Actions.length)).toEqual([50, 10]);
    expect(waves[0].Actions.slice(0, 2).map((a: any) => [a.Name, a.Configuration.ActionMode, a.RunOrder]))
      .toEqual([['t0.Plan', 'CHANGE_SET_REPLACE', 1], ['t0.Apply', 'CHANGE_SET_EXECUTE', 2]]);
  });

  test('CodeBuild deployments run commands with the target role, from a deployer role of that account (off the pipeline path)', () => {
    const { stack } = build({
      deploymentKind: DeploymentKind.codeBuild({ commands: ['npx cdk deploy --require-approval never'] }),
    });
    const template = Template.fromStack(stack);
    const [release] = pipelines(template);
    const dev = release.Stages[2].Actions[0];
    expect(dev.RoleArn).toBeUndefined();
    expect(JSON.parse(dev.Configuration.EnvironmentVariables)).toEqual(expect.arrayContaining([
      { name: 'TARGET_ROLE_ARN', value: 'arn:aws:iam::222222222222:role/cdkx-main-deploy-action', type: 'PLAINTEXT' },
    ]));
    template.hasResourceProperties('AWS::IAM::Role', {
      Path: '/cdkx-main_deployer/222222222222/',
      AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'codebuild.amazonaws.com' } })] }),
    });
  });

  test('ECS service deployments roll the image out as the target action role', () => {
    const { stack } = build({ deploymentKind: DeploymentKind.ecsService({ clusterName: 'shop', serviceName: 'web' }) });
    const [release] = pipelines(Template.fromStack(stack));
    const dev = release.Stages[2].Actions[0];
    expect(dev.ActionTypeId).toEqual({ Category: 'Deploy', Owner: 'AWS', Provider: 'ECS', Version: '1' });
    expect(dev.Configuration).toEqual({ ClusterName: 'shop', ServiceName: 'web', FileName: 'imagedefinitions.json', DeploymentTimeout: '60' });
    expect(dev.RoleArn).toBe('arn:aws:iam::222222222222:role/cdkx-main-deploy-action');
  });

  test('blue/green EFS releases drop the build output into each target\'s release inbox as the target action role', () => {
    const { stack } = build({ deploymentKind: DeploymentKind.blueGreenEfsRelease() });
    const [release] = pipelines(Template.fromStack(stack));
    const dev = release.Stages[2].Actions[0];
    expect(dev.ActionTypeId).toEqual({ Category: 'Deploy', Owner: 'AWS', Provider: 'S3', Version: '1' });
    expect(dev.Configuration).toEqual({ BucketName: 'cdkx-main-releases-222222222222-us-east-1', ObjectKey: 'release.zip', Extract: 'false' });
    expect(dev.RoleArn).toBe('arn:aws:iam::222222222222:role/cdkx-main-deploy-action');
    expect(dev.InputArtifacts).toEqual([{ Name: 'BuildOutput' }]);
  });

  test('the CodeBuild deploy project reads its input artifact with its own role and the store key', () => {
    const { stack } = build({ deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }) });
    const template = Template.fromStack(stack);
    const project = Object.values(template.findResources('AWS::CodeBuild::Project'))
      .find((p: any) => p.Properties.Description === 'Deploys the targets in account 222222222222 with its action role credentials') as any;
    expect(project.Properties.EncryptionKey).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/StoreKey/), 'Arn'] });
    const actions = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ReleaseCodeBuildDeployment222222222222Role'))
      .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement.flatMap((st: any) => [].concat(st.Action)));
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 'kms:Decrypt', 'sts:AssumeRole']));
    const buildSpec = JSON.parse(project.Properties.Source.BuildSpec);
    const [sessionName, assumeRole] = buildSpec.phases.pre_build.commands.slice(1, 3);
    expect(assumeRole).toContain('--role-session-name "$SESSION_NAME" --duration-seconds 3600');
    // STS takes session names of at most 64 characters: the rendered line, run for real, cuts a long target id.
    const longId = 'x'.repeat(100);
    const rendered = execFileSync('bash', ['-c', `${sessionName}; printf %s "$SESSION_NAME"`], { env: { ...process.env, TARGET_ID: longId } }).toString();
    expect(rendered).toBe(`deploy-${'x'.repeat(57)}`);
  });

  test('a stage can use its own deployment kind', () => {
    const { stack } = build({
      stages: [
        {
          name: 'Dev',
          targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }],
          deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }),
        },
        { name: 'Prod', targets: [{ id: 'prod', account: '333333333333', region: 'us-east-1' }] },
      ],
    });
    const [release] = pipelines(Template.fromStack(stack));
    expect(release.Stages[2].Actions[0].ActionTypeId.Provider).toBe('CodeBuild');
    expect(release.Stages[3].Actions[0].ActionTypeId.Provider).toBe('CloudFormation');
  });

  test('CodeCommit and S3 sources start the pipeline through EventBridge', () => {
    const app = new App();
    const stack = new Stack(app, 'Repo', { env: { account: TOOLING, region: 'us-east-1' } });
    const repository = codecommit.Repository.fromRepositoryName(stack, 'Repo', 'shop');
    const { stack: withCodeCommit } = build({ source: PipelineSource.codeCommit({ repository, branch: 'main' }) });
    Template.fromStack(withCodeCommit).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'source': ['aws.codecommit'], 'detail-type': ['CodeCommit Repository State Change'] }),
    });
    const bucket = s3.Bucket.fromBucketName(stack, 'Drop', 'release-drop');
    const { stack: withS3 } = build({ source: PipelineSource.s3({ bucket, objectKey: 'shop/app.zip' }) });
    Template.fromStack(withS3).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': { bucket: { name: ['release-drop'] }, object: { key: ['shop/app.zip'] } } },
    });
  });

  test('notifications: pipeline events and approval requests go to the topic', () => {
    const app = new App();
    const topicStack = new Stack(app, 'Topics', { env: { account: TOOLING, region: 'us-east-1' } });
    const topic = sns.Topic.fromTopicArn(topicStack, 'T', 'arn:aws:sns:us-east-1:111111111111:releases');
    const { stack } = build({ notificationTopic: topic });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      EventTypeIds: [
        'codepipeline-pipeline-pipeline-execution-started',
        'codepipeline-pipeline-pipeline-execution-failed',
        'codepipeline-pipeline-pipeline-execution-succeeded',
        'codepipeline-pipeline-manual-approval-needed',
      ],
    });
    const [release] = pipelines(template);
    expect(release.Stages[3].Actions[0].Configuration.NotificationArn).toBe('arn:aws:sns:us-east-1:111111111111:releases');
  });

  test('verification steps run in CodeBuild after the last wave of their stage', () => {
    const { stack } = build({
      stages: [
        { name: 'Dev', targets: targets(3), verify: [{ name: 'IntegrationTests', commands: ['npm run integ'] }, { name: 'Scan', commands: ['trivy fs .'] }] },
        { name: 'Prod', targets: targets(1, 'p', 400_000_000_000) },
      ],
      limits: { waveSize: 2 },
    });
    const template = Template.fromStack(stack);
    const [release] = pipelines(template);
    expect(release.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Build', 'Dev-Wave-1-of-2', 'Dev-Wave-2-of-2', 'Verify-Dev', 'Prod-Wave-1-of-1']);
    expect(release.Stages[4].Actions.map((a: any) => [a.Name, a.ActionTypeId.Category, a.ActionTypeId.Provider, a.InputArtifacts]))
      .toEqual([['IntegrationTests', 'Test', 'CodeBuild', [{ Name: 'BuildOutput' }]], ['Scan', 'Test', 'CodeBuild', [{ Name: 'BuildOutput' }]]]);
    template.resourceCountIs('AWS::CodeBuild::Project', 3);
  });

  test('raised limits: 100 actions per stage hold 100 targets per wave', () => {
    const { stack } = build({ limits: { actionsPerStage: 100 }, stages: [{ name: 'Prod', targets: targets(150) }] });
    const [release] = pipelines(Template.fromStack(stack));
    expect(release.Stages.slice(2).map((s: any) => s.Actions.length)).toEqual([100, 50]);
  });
});

describe('CrossAccountPipeline split into a chain', () => {
  const { app, stack, pipeline } = build({
    limits: { stagesPerPipeline: 5, waveSize: 10 },
    stages: [{ name: 'Prod', targets: targets(55) }],
  });
  const assembly = app.synth();

  test('targets that do not fit one pipeline continue in nested-stack pipelines fed by a handoff', () => {
    // 6 waves of 10: the release pipeline holds 2 (Source, Build, 2 waves, Handoff), the last one 4.
    expect(pipeline.pipelineNames).toEqual(['main-Release', 'main-Release-2']);
    const [release] = pipelines(Template.fromStack(stack));
    expect(release.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Build', 'Prod-Wave-1-of-6', 'Prod-Wave-2-of-6', 'Handoff']);
    const handoff = release.Stages[4].Actions[0];
    expect(handoff.Configuration.ObjectKey).toBe('handoff/main-Release-2/release.zip');
    expect(handoff.Configuration.Extract).toBe('false');

    const nested = assembly.getStackByName('Tooling').template.Resources;
    const nestedStacks = Object.values(nested).filter((r: any) => r.Type === 'AWS::CloudFormation::Stack');
    expect(nestedStacks).toHaveLength(1);
  });

  test('a continuation pipeline starts from the handoff object and deploys the next waves', () => {
    const file = fs.readdirSync(assembly.directory).find((f) => /Pipeline2.*\.nested\.template\.json$/.test(f))!;
    const nested = JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
    const [second] = Object.values(nested.Resources).filter((r: any) => r.Type === 'AWS::CodePipeline::Pipeline').map((r: any) => r.Properties);
    expect(second.Name).toBe('main-Release-2');
    expect(second.Stages.map((s: any) => s.Name)).toEqual(['Source', 'Prod-Wave-3-of-6', 'Prod-Wave-4-of-6', 'Prod-Wave-5-of-6', 'Prod-Wave-6-of-6']);
    expect(second.Stages[0].Actions[0].Configuration).toEqual(expect.objectContaining({ S3ObjectKey: 'handoff/main-Release-2/release.zip', PollForSourceChanges: false }));
    expect(second.Stages[1].Actions[0].InputArtifacts).toEqual([{ Name: 'Source' }]);
    const rule = Object.values(nested.Resources).find((r: any) => r.Type === 'AWS::Events::Rule') as any;
    expect(rule.Properties.EventPattern.detail.object.key).toEqual(['handoff/main-Release-2/release.zip']);
  });
});

describe('CrossAccountPipeline at scale', () => {
  const pipelineRolePolicy = (built: Built) => measured(built.stack, 'inline policies of Tooling/Release/PipelineRole').size;

  test('the pipeline role policy is the same size for 10 and 1,000 targets with an organization', () => {
    const small = build({ stages: [{ name: 'Prod', targets: targets(10) }] });
    const large = build({ stages: [{ name: 'Prod', targets: targets(1_000) }] });
    expect(pipelineRolePolicy(large)).toBe(pipelineRolePolicy(small));
  });

  test('without an organization each target account adds 15 bytes to the pipeline role policy', () => {
    const small = build({ stages: [{ name: 'Prod', targets: targets(10) }] }, { organization: false });
    const large = build({ stages: [{ name: 'Prod', targets: targets(110) }] }, { organization: false });
    expect((pipelineRolePolicy(large) - pipelineRolePolicy(small)) / 100).toBe(15);
  });

  test('5,000 targets: every template under 1 MB and 500 resources, every pipeline within 50 stages of 50 actions', () => {
    const { app } = build({ stages: [{ name: 'Dev', targets: targets(1, 'dev', 200_000_000_000) }, { name: 'Prod', approval: {}, targets: targets(5_000) }] });
    const assembly = app.synth();
    const templates = fs.readdirSync(assembly.directory).filter((f) => f.endsWith('.template.json'));
    let pipelineCount = 0;
    for (const file of templates) {
      const text = fs.readFileSync(path.join(assembly.directory, file), 'utf8');
      expect(Buffer.byteLength(text)).toBeLessThan(1_048_576);
      const resources = Object.values(JSON.parse(text).Resources) as any[];
      expect(resources.length).toBeLessThan(500);
      for (const p of resources.filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')) {
        pipelineCount++;
        expect(p.Properties.Stages.length).toBeLessThanOrEqual(50);
        for (const s of p.Properties.Stages) expect(s.Actions.length).toBeLessThanOrEqual(50);
      }
    }
    expect(pipelineCount).toBe(6);
  });
});

describe('CrossAccountPipeline errors', () => {
  const expectError = (overrides: Partial<CrossAccountPipelineProps>, message: RegExp | string) =>
    expect(() => build(overrides)).toThrow(message);

  test('duplicate target ids', () => {
    expectError({ stages: [{ name: 'Prod', targets: [...targets(2), { id: 't0', account: '999999999999', region: 'us-east-1' }] }] },
      /\[Tooling\/Release\] invalid configuration:[\s\S]*stages\[0\]\.targets\[2\]\.id = "t0"/);
  });

  test('a target without account or region', () => {
    expectError({ stages: [{ name: 'Prod', targets: [{ id: 'x', account: '', region: '' }] }] }, /stages\[0\]\.targets\[0\]\.account = ""/);
    expectError({ stages: [{ name: 'Prod', targets: [{ id: 'x', account: '222222222222', region: '' }] }] }, /stages\[0\]\.targets\[0\]\.region = ""/);
  });

  test('a stage with no targets, and two stages with one name', () => {
    expectError({ stages: [{ name: 'Prod', targets: [] }] }, /stages\[0\]\.targets = \[\]/);
    expectError({ stages: [{ name: 'Prod', targets: targets(1) }, { name: 'Prod', targets: targets(1, 'u', 400_000_000_000) }] },
      /stages\[1\]\.name = "Prod"/);
  });

  test('names over CodePipeline limits', () => {
    expectError({ stages: [{ name: 'P'.repeat(101), targets: targets(1) }] }, /stages\[0\]\.name = "P{101}"/);
    expectError({ stages: [{ name: 'Prod', targets: [{ id: 'a b', account: '222222222222', region: 'us-east-1' }] }] }, /stages\[0\]\.targets\[0\]\.id = "a b"/);
  });

  test('a wave size of 0 or over the action limit', () => {
    expectError({ limits: { waveSize: 0 } }, /limits\.waveSize = 0/);
    expectError({ limits: { waveSize: 51 } }, /limits\.waveSize = 51/);
  });

  test('a deployment kind that needs a parameter the target lacks', () => {
    expectError({
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json', requiredParameters: ['Tenant'] }),
      stages: [{ name: 'Prod', targets: [{ id: 'acme', account: '333333333333', region: 'us-east-1' }] }],
    }, "stages[0].targets[0].parameters = {}: the deployment kind of stage 'Prod' needs parameter 'Tenant', which target 'acme' lacks. Fix: add 'Tenant' to the parameters of target 'acme'");
  });

  test('parameter overrides over 1 KB, counting the kind\'s own overrides', () => {
    expectError({
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json', parameterOverrides: { Big: 'x'.repeat(1000) } }),
      stages: [{ name: 'Prod', targets: [{ id: 'acme', account: '333333333333', region: 'us-east-1', parameters: { Tenant: 'acme' } }] }],
    }, /stages\[0\]\.targets\[0\]\.parameters = "ParameterOverrides: 1026 characters": with the deployment kind's own values, target 'acme' makes action configuration ParameterOverrides longer than CodePipeline's limit of 1000 characters/);
  });

  test('a target id that makes the change-set action names longer than 100 characters', () => {
    expectError({
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json', useChangeSets: true }),
      stages: [{ name: 'Prod', targets: [{ id: 'a'.repeat(97), account: '333333333333', region: 'us-east-1' }] }],
    }, /stages\[0\]\.targets\[0\]\.id = "a{97}": the deployment kind names its action 'a{97}\.Apply', over CodePipeline's limit of 100 characters. Fix: shorten the target id to 94 characters or less/);
  });

  test('CodeBuild deployment variables over CodePipeline\'s 1,000-character configuration limit', () => {
    expectError({
      deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }),
      stages: [{ name: 'Prod', targets: [{ id: 'acme', account: '333333333333', region: 'us-east-1', parameters: { Big: 'x'.repeat(800) } }] }],
    }, /stages\[0\]\.targets\[0\]\.parameters = "EnvironmentVariables: \d+ characters": .*longer than CodePipeline's limit of 1000 characters/);
  });

  test('deployment timeouts over what the credentials or CodePipeline allow', () => {
    expectError({ deploymentKind: DeploymentKind.codeBuild({ commands: ['x'], timeout: Duration.hours(2) }) },
      /deploymentKind\.timeout = "120 minutes": the commands run on the target action role's credentials, whose session lasts at most 1 hour. Fix: use whole minutes from 5 to 60/);
    expectError({ deploymentKind: DeploymentKind.ecsService({ clusterName: 'c', serviceName: 's', deploymentTimeout: Duration.minutes(90) }) },
      /deploymentKind\.deploymentTimeout = "90 minutes": CodePipeline's ECS deploy action waits at most 60 minutes/);
  });

  test('a stack name outside the contract prefix', () => {
    expectError({ deploymentKind: DeploymentKind.cloudFormation({ stackName: 'app', templatePath: 't.json' }) },
      /deploymentKind\.stackName = "app": the tenant action role may only manage stacks whose names start with 'main-'. Fix: name the stack 'main-app'/);
  });

  test('a pipeline name CodePipeline would refuse', () => {
    expectError({ pipelineName: 'shop release' }, /pipelineName = "shop release": a pipeline name holds letters, digits and \.@_-/);
  });

  test('a malformed connection ARN', () => {
    expectError({ source: PipelineSource.connection({ connectionArn: 'my-connection', repository: 'acme/shop', branch: 'main' }) },
      /source\.connectionArn = "my-connection": not a CodeConnections connection ARN/);
  });

  test('a verification step with an illegal or repeated name', () => {
    expectError({ stages: [{ name: 'Dev', targets: targets(1), verify: [{ name: 'Tests', commands: [] }, { name: 'Tests', commands: [] }] }] },
      /stages\[0\]\.verify\[1\]\.name = "Tests": a step name becomes a CodePipeline action name/);
  });

  test('an approval that waits longer than CodePipeline allows', () => {
    expectError({ stages: [{ name: 'Prod', approval: { timeout: Duration.days(61) }, targets: targets(1) }] },
      /stages\[0\]\.approval\.timeout = "87840 minutes": a manual approval times out after 5 minutes to 60 days/);
  });

  test('an environment-agnostic tooling stack', () => {
    const app = new App();
    const stack = new Stack(app, 'Agnostic');
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
    const store = ArtifactStore.fromAttributes(stack, 'Store', { bucketName: 'cdkx-main-artifacts-111111111111-us-east-1', encryptionKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/k' });
    expect(() => new CrossAccountPipeline(stack, 'Release', {
      contract,
      artifactStore: store,
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
      buildOptions: { commands: [] },
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 't.json' }),
      stages: [{ name: 'Prod', targets: targets(1) }],
    })).toThrow(/scope = "Agnostic": the pipeline needs a concrete region/);
  });

  test('a pipeline whose template share is over budget fails synth with the fix', () => {
    const { app } = build({
      limits: { maxActionsPerPipeline: 5_000 },
      stages: [{ name: 'Prod', targets: targets(2_000).map((t) => ({ ...t, parameters: { Description: 'd'.repeat(300) } })) }],
    });
    expect(synthErrorOf(() => app.synth())).toMatch(/pipeline main-Release takes [\d,]+ bytes of its template, over the budget of 900,000.*Fix: lower limits\.maxActionsPerPipeline/);
  });
});
