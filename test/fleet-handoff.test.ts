/**
 * CrossAccountPipeline's `fleetRollout`: dev and test stay stages, the chain
 * ends with a Fleet stage that publishes the template where only pipeline
 * roles may write and starts the rollout with the execution id as the release.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CrossAccountPipeline, CrossAccountPipelineProps, DeploymentContract, DeploymentKind, FleetRing, FleetRollout,
  PipelineSource, TenantRegistry,
} from '../src';
import { synthErrorOf } from './support/synth-error';
import { planRollout } from '../src/cross-account-pipeline/rollout-plan';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';
const CONNECTION = 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-4e5f';

function build(props: Partial<CrossAccountPipelineProps> = {}, rolloutRegion = 'eu-west-1', templatePath = 'cdk.out/App.template.json') {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, qualifier: 'shop' });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'eu-west-1' } });
  const fleetStack = rolloutRegion === 'eu-west-1' ? stack : new Stack(app, 'Other', { env: { account: TOOLING, region: rolloutRegion } });
  const rollout = new FleetRollout(fleetStack, 'Fleet', {
    contract, registry: new TenantRegistry(fleetStack, 'Tenants'), applicationName: 'app', rings: [FleetRing.rest()],
  });
  const pipeline = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/app', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'shop-app', templatePath: 'cdk.out/App.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'eu-west-1' }] }],
    fleetRollout: { rollout, templatePath, parameters: { Stage: 'prod' } },
    ...props,
  });
  return { stack, pipeline, rollout };
}

function stagesOf(stack: Stack): any[] {
  const [pipeline] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
  return pipeline.Properties.Stages;
}

describe('the plan', () => {
  test('a Fleet stage ends the last pipeline of the chain, after every wave, and counts as a stage', () => {
    const targets = Array.from({ length: 120 }, (_, i) => ({ id: `t${i}`, account: String(100000000000 + i), region: 'eu-west-1' }));
    const plan = planRollout([{ name: 'Dev', targets }], { stagesPerPipeline: 4 }, { fleet: true });
    const last = plan.pipelines[plan.pipelines.length - 1];
    expect(last.stages[last.stages.length - 1]).toEqual({ kind: 'fleet', stageName: 'Fleet', userStage: 'Fleet' });
    expect(plan.pipelines.flatMap((p) => p.stages).filter((s) => s.kind === 'fleet')).toHaveLength(1);
    plan.pipelines.forEach((p) => expect(p.stageCount).toBeLessThanOrEqual(4));
  });

  test('a fleet alone is a valid pipeline even without a build', () => {
    expect(planRollout([], {}, { build: false, fleet: true }).pipelines[0].stages.map((s) => s.kind)).toEqual(['fleet']);
  });
});

describe('the Fleet stage', () => {
  test('publishes the template, then starts the rollout with the execution id as the release and waits', () => {
    const { stack } = build();
    const stages = stagesOf(stack);
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'Dev-Wave-1-of-1', 'Fleet']);
    const [publish, start] = stages[3].Actions;
    expect(publish.ActionTypeId).toEqual({ Category: 'Build', Owner: 'AWS', Provider: 'CodeBuild', Version: '1' });
    expect(publish.InputArtifacts).toEqual([{ Name: 'BuildOutput' }]);
    expect(JSON.parse(publish.Configuration.EnvironmentVariables)).toEqual([{ name: 'RELEASE_VERSION', value: '#{codepipeline.PipelineExecutionId}', type: 'PLAINTEXT' }]);
    expect(start.ActionTypeId).toEqual({ Category: 'Invoke', Owner: 'AWS', Provider: 'StepFunctions', Version: '1' });
    expect(start.RunOrder).toBe(2);
    expect(start.Configuration.InputType).toBe('Literal');
    expect(JSON.stringify(start.Configuration.Input)).toContain('fleet-releases/#{codepipeline.PipelineExecutionId}/template.json');
    expect(JSON.stringify(start.Configuration.Input)).toContain('\\"Stage\\":\\"prod\\"');
  });

  test('the publish project runs no repository commands and writes only fleet-releases/ as a pipeline-path role', () => {
    const template = Template.fromStack(build().stack);
    const projects = Object.values<any>(template.findResources('AWS::CodeBuild::Project'))
      .filter((p) => JSON.stringify(p.Properties.Description).includes('fleet rollout'));
    expect(projects).toHaveLength(1);
    // The bucket name is a reference: join the spec's parts with a placeholder for it.
    const parts = projects[0].Properties.Source.BuildSpec['Fn::Join'][1];
    const spec = JSON.parse(parts.map((part: unknown) => (typeof part === 'string' ? part : 'BUCKET')).join(''));
    expect(spec.phases.build.commands).toEqual([
      'test -f "cdk.out/App.template.json" || { echo "templatePath cdk.out/App.template.json is not in the release artifact" >&2; exit 1; }',
      'aws s3 cp "cdk.out/App.template.json" "s3://BUCKET/fleet-releases/$RELEASE_VERSION/template.json"',
    ]);
    expect(Object.keys(spec.phases)).toEqual(['build']);
    template.hasResourceProperties('AWS::IAM::Role', { Path: '/cdkx-shop/', Description: 'Publishes the release template of Tooling/Release for its fleet rollout' });
  });

  test('the store denies writes under fleet-releases/ to roles off the pipeline path', () => {
    const template = Template.fromStack(build().stack);
    const [policy] = Object.values<any>(template.findResources('AWS::S3::BucketPolicy')).filter((p) => JSON.stringify(p).includes('OnlyPipelineRolesWriteHandoffs'));
    const deny = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'OnlyPipelineRolesWriteHandoffs');
    expect(JSON.stringify(deny.Resource)).toContain('/fleet-releases/*');
    expect(JSON.stringify(deny.Resource)).toContain('/handoff/*');
  });

  test('refuses a rollout in another region, and a template path that is not a plain relative path', () => {
    expect(synthErrorOf(() => build({}, 'us-east-1'))).toContain('fleetRollout.rollout = "Other/Fleet": the rollout is in region us-east-1 and the pipeline in eu-west-1');
    for (const bad of ['/abs/App.template.json', '../App.template.json', 'a"b.json', '$HOME/x.json', '']) {
      expect(synthErrorOf(() => build({}, 'eu-west-1', bad))).toContain(`fleetRollout.templatePath = ${JSON.stringify(bad)}`);
    }
  });
});
