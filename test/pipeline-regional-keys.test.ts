/**
 * The artifact stores of other regions are named in a pipeline's
 * ArtifactStores by key ARN, found at deploy time, never by alias: CodePipeline
 * recognizes an alias only in the key's own account, and a cross-account action
 * needs the key id or ARN.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget,
} from '../src';
import { accounts } from './support/policy-inspection';

const TOOLING = '111111111111';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

function pipelineProps(store: ArtifactStore, contract: DeploymentContract, stages: CrossAccountPipelineProps['stages']): CrossAccountPipelineProps {
  return {
    contract,
    artifactStore: store,
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages,
  };
}

function tooling() {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  return { app, stack, store, contract };
}

const TWO_REGIONS: CrossAccountPipelineProps['stages'] = [
  { name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] },
  { name: 'Prod', targets: [{ id: 'acme', account: '333333333333', region: 'eu-west-1' }] },
];

function storeOf(pipeline: any, region: string): any {
  return pipeline.ArtifactStores.find((s: any) => s.Region === region).ArtifactStore;
}

function lookups(template: Template): Record<string, any> {
  return template.findResources('Custom::AWS');
}

describe('the artifact store of another region in ArtifactStores', () => {
  const { stack, store, contract } = tooling();
  new CrossAccountPipeline(stack, 'Release', pipelineProps(store, contract, TWO_REGIONS));
  const template = Template.fromStack(stack);
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline')).map((r: any) => r.Properties);

  test('is named by the key ARN a deploy-time lookup found, never by the alias', () => {
    const id = storeOf(pipeline, 'eu-west-1').EncryptionKey.Id;
    expect(JSON.stringify(id)).not.toContain('alias/');
    const [lookupId] = Object.keys(lookups(template));
    expect(id).toEqual({ 'Fn::GetAtt': [lookupId, 'KeyMetadata.Arn'] });
  });

  test('the lookup calls KMS DescribeKey on the contract alias in that region, with the SDK of the Lambda runtime', () => {
    const [lookup] = Object.values(lookups(template));
    const create = JSON.parse(lookup.Properties.Create['Fn::Join'] ? lookup.Properties.Create['Fn::Join'][1].join('') : lookup.Properties.Create);
    expect(create).toEqual(expect.objectContaining({
      service: 'KMS',
      action: 'describeKey',
      region: 'eu-west-1',
      parameters: { KeyId: 'alias/cdkx-main-artifacts' },
      outputPaths: ['KeyMetadata.Arn'],
    }));
    expect(lookup.Properties.InstallLatestAwsSdk).toBe(false);
  });

  test('the lookup may only describe the key behind the contract alias in that region and account', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .map((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((statements: any[]) => statements.some((s) => JSON.stringify(s.Action).includes('kms:DescribeKey') && s.Condition?.StringEquals?.['kms:RequestAlias']));
    expect(policies).toHaveLength(1);
    expect(policies[0]).toEqual([{
      Action: 'kms:DescribeKey',
      Effect: 'Allow',
      Resource: 'arn:aws:kms:eu-west-1:111111111111:key/*',
      Condition: { StringEquals: { 'kms:RequestAlias': 'alias/cdkx-main-artifacts' } },
    }]);
  });

  test('the home region keeps the store key ARN from this stack, without a lookup', () => {
    expect(storeOf(pipeline, 'us-east-1').EncryptionKey).toEqual({ Id: { 'Fn::GetAtt': [expect.stringMatching(/StoreKey/), 'Arn'] }, Type: 'KMS' });
    expect(Object.values(lookups(template)).map((l: any) => JSON.stringify(l.Properties.Create))).not.toContainEqual(expect.stringContaining('us-east-1'));
  });
});

describe('one lookup per region and stack', () => {
  test('two pipelines of a stack and every pipeline of a chain share the lookup of a region', () => {
    const { app, stack, store, contract } = tooling();
    const many: PipelineTarget[] = accounts(55, 300_000_000_000).map((account, i) => ({ id: `t${i}`, account, region: 'eu-west-1' }));
    const chain = new CrossAccountPipeline(stack, 'Release', {
      ...pipelineProps(store, contract, [{ name: 'Prod', targets: many }]),
      limits: { stagesPerPipeline: 5, waveSize: 10 },
    });
    new CrossAccountPipeline(stack, 'Hotfix', pipelineProps(store, contract, TWO_REGIONS));
    expect(chain.pipelineNames).toHaveLength(2);
    const assembly = app.synth();
    expect(Object.keys(lookups(Template.fromStack(stack)))).toHaveLength(1);
    const file = fs.readdirSync(assembly.directory).find((f) => /Pipeline2.*\.nested\.template\.json$/.test(f))!;
    const nested = JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
    expect(Object.values(nested.Resources).filter((r: any) => r.Type === 'Custom::AWS')).toHaveLength(0);
    const [second] = Object.values(nested.Resources).filter((r: any) => r.Type === 'AWS::CodePipeline::Pipeline').map((r: any) => r.Properties);
    // Handed to the nested stack as a parameter.
    expect(storeOf(second, 'eu-west-1').EncryptionKey.Id).toEqual({ Ref: expect.stringMatching(/KeyMetadataArn/) });
  });
});
