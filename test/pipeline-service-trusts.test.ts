/**
 * Confused-deputy conditions where a CrossAccountPipeline lets an AWS service
 * act for it: CodePipeline assuming the pipeline role, EventBridge assuming the
 * role that starts a pipeline, and CodeStar Notifications using the key of an
 * encrypted notification topic.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget,
} from '../src';
import { accounts } from './support/policy-inspection';

const TOOLING = '111111111111';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

interface Built { app: App; stack: Stack; store: ArtifactStore; pipeline: CrossAccountPipeline }

type Overrides = Partial<CrossAccountPipelineProps> | ((stack: Stack, store: ArtifactStore) => Partial<CrossAccountPipelineProps>);

function build(overrides: Overrides = {}): Built {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [
      { name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] },
      { name: 'Prod', approval: {}, targets: [{ id: 'acme', account: '333333333333', region: 'us-east-1' }] },
    ],
    ...(typeof overrides === 'function' ? overrides(stack, store) : overrides),
  });
  return { app, stack, store, pipeline };
}

function manyTargets(count: number): PipelineTarget[] {
  return accounts(count, 300_000_000_000).map((account, i) => ({ id: `t${i}`, account, region: 'us-east-1' }));
}

function trustOf(resources: Record<string, any>, service: string): any[] {
  return Object.values(resources)
    .filter((r: any) => r.Type === 'AWS::IAM::Role')
    .map((r: any) => r.Properties.AssumeRolePolicyDocument.Statement)
    .filter((statements: any[]) => statements.some((s) => s.Principal?.Service === service));
}

function nestedResources(app: App): Record<string, any> {
  const assembly = app.synth();
  const file = fs.readdirSync(assembly.directory).find((f) => /Pipeline2.*\.nested\.template\.json$/.test(f))!;
  return JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8')).Resources;
}

describe('the pipeline role trusts CodePipeline only for the pipelines of this construct in this account', () => {
  test('aws:SourceAccount is the stack account and aws:SourceArn the pipeline and its continuations, when CodePipeline sends them', () => {
    const { stack, pipeline } = build();
    const [trust] = trustOf(Template.fromStack(stack).toJSON().Resources, 'codepipeline.amazonaws.com');
    expect(pipeline.pipelineNames).toEqual(['main-Release']);
    expect(trust).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'codepipeline.amazonaws.com' },
      Condition: {
        StringEqualsIfExists: { 'aws:SourceAccount': TOOLING },
        ArnLikeIfExists: {
          'aws:SourceArn': [
            'arn:aws:codepipeline:us-east-1:111111111111:main-Release',
            'arn:aws:codepipeline:us-east-1:111111111111:main-Release-*',
          ],
        },
      },
    }]);
  });
});

describe('the role EventBridge uses to start a pipeline', () => {
  test('a CodeCommit source: trusted only for the rule that starts this pipeline, in this account', () => {
    const { stack } = build((s) => ({
      source: PipelineSource.codeCommit({ repository: codecommit.Repository.fromRepositoryName(s, 'Repo', 'shop'), branch: 'main' }),
    }));
    const resources = Template.fromStack(stack).toJSON().Resources;
    const [trust] = trustOf(resources, 'events.amazonaws.com');
    const [rule] = Object.values(resources).filter((r: any) => r.Type === 'AWS::Events::Rule') as any[];
    expect(rule.Properties.Name).toBe('main-Release-source');
    expect(trust).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: {
          'aws:SourceArn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':rule/main-Release-source']],
          },
        },
      },
    }]);
  });

  test('a continuation pipeline of a chain: the same, for its handoff rule in the nested stack', () => {
    const { app } = build({ limits: { stagesPerPipeline: 5, waveSize: 10 }, stages: [{ name: 'Prod', targets: manyTargets(55) }] });
    const resources = nestedResources(app);
    const [trust] = trustOf(resources, 'events.amazonaws.com');
    const [rule] = Object.values(resources).filter((r: any) => r.Type === 'AWS::Events::Rule') as any[];
    expect(rule.Properties.Name).toBe('main-Release-2-source');
    expect(trust[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(JSON.stringify(trust[0].Condition.ArnLike['aws:SourceArn'])).toContain(':rule/main-Release-2-source');
  });
});

describe('an encrypted notification topic', () => {
  function codestarKeyStatements(resources: Record<string, any>): any[] {
    return Object.values(resources)
      .filter((r: any) => r.Type === 'AWS::KMS::Key')
      .flatMap((r: any) => r.Properties.KeyPolicy.Statement)
      .filter((s: any) => s.Principal?.Service === 'codestar-notifications.amazonaws.com');
  }

  test('encrypted with the artifact key: CodeStar Notifications may use the key only through SNS', () => {
    const { stack } = build((s, store) => ({ notificationTopic: new sns.Topic(s, 'Releases', { masterKey: store.encryptionKey }) }));
    expect(codestarKeyStatements(Template.fromStack(stack).toJSON().Resources)).toEqual([{
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Effect: 'Allow',
      Principal: { Service: 'codestar-notifications.amazonaws.com' },
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
    }]);
  });

  test('its own key, a chain of pipelines: one narrowed key statement and one publish grant on the topic', () => {
    const { stack } = build((s) => ({
      notificationTopic: new sns.Topic(s, 'Releases', { masterKey: new kms.Key(s, 'ReleasesKey', { enableKeyRotation: true }) }),
      limits: { stagesPerPipeline: 7, waveSize: 10 },
      stages: [{ name: 'Prod', approval: {}, targets: manyTargets(55) }],
    }));
    const resources = Template.fromStack(stack).toJSON().Resources;
    const statements = codestarKeyStatements(resources);
    expect(statements).toHaveLength(1);
    expect(statements[0].Condition).toEqual({ StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } });
    const publish = Object.values(resources)
      .filter((r: any) => r.Type === 'AWS::SNS::TopicPolicy')
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement)
      .filter((s: any) => s.Principal?.Service === 'codestar-notifications.amazonaws.com');
    expect(publish).toEqual([expect.objectContaining({ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: expect.stringMatching(/^Releases/) } })]);
  });
});
