/**
 * Access proofs for the service-principal trusts of a CrossAccountPipeline,
 * evaluated with real IAM logic (@cloud-copilot/iam-simulate) on the resolved
 * trust policies: CodePipeline may assume the pipeline role for this
 * construct's pipelines in this account; EventBridge may assume the role that
 * starts a pipeline only for the rule that starts it. Each denial runs next to
 * an allowed control that differs in one respect.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource,
} from '../src';
import { loadAssembly, LoadedRole } from './support/assembly';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';

const TOOLING = '111111111111';
const OTHER = '999999999999';
const PIPELINE = `arn:aws:codepipeline:us-east-1:${TOOLING}:main-Release`;
const RULE = `arn:aws:events:us-east-1:${TOOLING}:rule/main-Release-source`;

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

function roles(): LoadedRole[] {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const store = new ArtifactStore(stack, 'Store', { contract });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    source: PipelineSource.codeCommit({ repository: codecommit.Repository.fromRepositoryName(stack, 'Repo', 'shop'), branch: 'main' }),
    buildOptions: { commands: ['npm ci'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'eu-west-1' }] }],
  });
  return loadAssembly(app.synth(), { awsManagedPolicies: AWS_MANAGED_POLICIES }).roles;
}

function trusting(all: LoadedRole[], service: string): LoadedRole {
  const found = all.filter((r) => JSON.stringify(r.trustPolicy).includes(service));
  if (found.length !== 1) throw new Error(`expected one role trusting ${service}, found ${found.length}`);
  return found[0];
}

/** Whether `service` may sts:AssumeRole `role` with these confused-deputy keys in the request. */
async function assume(service: string, role: LoadedRole, context: Record<string, string>): Promise<Decision> {
  const response = await runSimulation({
    request: {
      principal: service,
      action: 'sts:AssumeRole',
      resource: { resource: role.arn, accountId: role.account },
      contextVariables: { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': service, ...context },
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: role.trustPolicy,
  }, { simulationMode: 'Strict' });
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult as Decision;
}

describe('service-principal trusts of a CrossAccountPipeline', () => {
  const all = roles();
  const pipelineRole = trusting(all, 'codepipeline.amazonaws.com');
  const startRole = trusting(all, 'events.amazonaws.com');

  test('CodePipeline for a pipeline of another account may sts:AssumeRole the pipeline role: denied', async () => {
    expect(await assume('codepipeline.amazonaws.com', pipelineRole, { 'aws:SourceAccount': OTHER, 'aws:SourceArn': PIPELINE.replace(TOOLING, OTHER) }))
      .toBe('ImplicitlyDenied');
    expect(await assume('codepipeline.amazonaws.com', pipelineRole, { 'aws:SourceAccount': TOOLING, 'aws:SourceArn': PIPELINE })).toBe('Allowed');
  });

  test('CodePipeline for another pipeline of this account may sts:AssumeRole the pipeline role: denied; for a continuation: allowed', async () => {
    expect(await assume('codepipeline.amazonaws.com', pipelineRole, { 'aws:SourceAccount': TOOLING, 'aws:SourceArn': `${PIPELINE}Other` }))
      .toBe('ImplicitlyDenied');
    expect(await assume('codepipeline.amazonaws.com', pipelineRole, { 'aws:SourceAccount': TOOLING, 'aws:SourceArn': `${PIPELINE}-2` })).toBe('Allowed');
  });

  test('CodePipeline without the source keys (undocumented for service roles) may still assume the pipeline role: allowed', async () => {
    expect(await assume('codepipeline.amazonaws.com', pipelineRole, {})).toBe('Allowed');
    // Another service is not trusted at all.
    expect(await assume('codebuild.amazonaws.com', pipelineRole, { 'aws:SourceAccount': TOOLING })).toBe('ImplicitlyDenied');
  });

  test('EventBridge for another rule of this account, another account, or without the source keys may sts:AssumeRole the start role: denied', async () => {
    expect(await assume('events.amazonaws.com', startRole, { 'aws:SourceAccount': TOOLING, 'aws:SourceArn': `${RULE}-other` })).toBe('ImplicitlyDenied');
    expect(await assume('events.amazonaws.com', startRole, { 'aws:SourceAccount': OTHER, 'aws:SourceArn': RULE.replace(TOOLING, OTHER) })).toBe('ImplicitlyDenied');
    expect(await assume('events.amazonaws.com', startRole, {})).toBe('ImplicitlyDenied');
    expect(await assume('events.amazonaws.com', startRole, { 'aws:SourceAccount': TOOLING, 'aws:SourceArn': RULE })).toBe('Allowed');
  });
});
