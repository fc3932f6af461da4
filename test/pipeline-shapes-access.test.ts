/**
 * Access proof of `CrossAccountPipeline.grantStart`: the grantee (another
 * system that decides when to release) may start the release pipeline, and
 * nothing else: not the later pipelines of its chain, not another pipeline,
 * not change, stop or approve anything. Evaluated with real IAM logic
 * (test/support/access-model.ts). Each denial runs next to the allowed control.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource } from '../src';
import { AccessModel, ModelRole } from './support/access-model';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';

const TOOLING = '111111111111';
const US = 'us-east-1';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
const arnOf = (name: string) => `arn:aws:codepipeline:${US}:${TOOLING}:${name}`;
const RELEASE = arnOf('main-Release');
const CONTINUATION = arnOf('main-Release-2');
const OTHER = arnOf('main-Other');

describe('grantStart', () => {
  let model: AccessModel;
  let orchestrator: ModelRole;
  let bystander: ModelRole;

  beforeAll(() => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });
    const tooling = new Stack(app, 'Tooling', { env: { account: TOOLING, region: US } });
    const store = new ArtifactStore(tooling, 'ArtifactStore', { contract });
    const common = {
      contract,
      artifactStore: store,
      deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'app.template.json' }),
    };
    const release = new CrossAccountPipeline(tooling, 'Release', {
      ...common,
      // Started by the orchestrator only: no trigger, and no build (the source is deployed as it is).
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main', triggerOnPush: false }),
      stages: [{ name: 'Prod', approval: {}, targets: [{ id: 'prod', account: '222222222222', region: US }] }],
    });
    new CrossAccountPipeline(tooling, 'Other', {
      ...common,
      source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/other', branch: 'main' }),
      buildOptions: { commands: ['make'] },
      stages: [],
    });
    const grantee = new iam.Role(tooling, 'Orchestrator', { roleName: 'orchestrator', assumedBy: new iam.AccountPrincipal(TOOLING) });
    release.grantStart(grantee);
    new iam.Role(tooling, 'Bystander', { roleName: 'bystander', assumedBy: new iam.AccountPrincipal(TOOLING) });
    // One pipeline: the access model reads no nested stacks. That a chain's later pipelines are
    // not granted is shown on the template in pipeline-shapes.test.ts; here, that a name sharing
    // the release pipeline's prefix (as `-2` does) is not matched.
    expect(release.pipelineNames).toEqual(['main-Release']);
    model = AccessModel.fromAssembly(app.synth().directory, { organizations: [], awsManagedPolicies: AWS_MANAGED_POLICIES });
    orchestrator = model.role(TOOLING, 'orchestrator');
    bystander = model.role(TOOLING, 'bystander');
  });

  test('the grantee may codepipeline:StartPipelineExecution the release pipeline: allowed', async () => {
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'Allowed');
  });

  test('a role without the grant may start the release pipeline: denied', async () => {
    await model.expectDecision({ principal: bystander, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'Allowed');
  });

  test('the grantee may start a pipeline named like a later one of the chain, or another pipeline: denied', async () => {
    for (const resource of [CONTINUATION, OTHER]) {
      await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource }, 'ImplicitlyDenied');
    }
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'Allowed');
  });

  test.each([
    'codepipeline:UpdatePipeline', 'codepipeline:DeletePipeline', 'codepipeline:StopPipelineExecution',
    'codepipeline:GetPipeline',
  ])('the grantee may %s the release pipeline: denied', async (action) => {
    await model.expectDecision({ principal: orchestrator, action, resource: RELEASE }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'Allowed');
  });

  test('the grantee may retry a stage of the release pipeline: denied', async () => {
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:RetryStageExecution', resource: `${RELEASE}/Prod-Wave-1-of-1` }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'Allowed');
  });

  test('the grantee may approve a manual approval of the release pipeline: denied', async () => {
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:PutApprovalResult', resource: `${RELEASE}/Approve-Prod/Approve` }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: orchestrator, action: 'codepipeline:StartPipelineExecution', resource: RELEASE }, 'Allowed');
  });

  test('the grantee\'s only statement is the start of the release pipeline', () => {
    expect(orchestrator.identity.flatMap((p) => p.document.Statement)).toEqual([
      { Action: 'codepipeline:StartPipelineExecution', Effect: 'Allow', Resource: RELEASE },
    ]);
  });
});
