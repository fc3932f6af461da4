/**
 * The same deployment with CDK Pipelines (`aws-cdk-lib/pipelines`): one Stage
 * with one small stack (an SNS topic) per target, a Dev wave of 1, then Prod
 * waves of at most 50 stages, the first behind a manual approval.
 */
import { App, Stack, Stage, StageProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { BUILD_COMMANDS, BenchTarget, makeTargets, SOURCE, TOOLING } from './targets';

/** Stages per `addWave` (one CodePipeline stage per wave). */
const STAGES_PER_WAVE = 50;

/** The application of one target: one stack with one topic. */
class TenantStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id, props);
    const stack = new Stack(this, 'App', { stackName: 'main-app' });
    new sns.Topic(stack, 'Events');
  }
}

export function synthCdkPipelines(targetCount: number, outdir: string): cxapi.CloudAssembly {
  const { dev, prod } = makeTargets(targetCount);
  const app = new App({ outdir });
  const stack = new Stack(app, 'Tooling', { env: TOOLING });
  const pipeline = new pipelines.CodePipeline(stack, 'Pipeline', {
    crossAccountKeys: true,
    synth: new pipelines.ShellStep('Synth', {
      input: pipelines.CodePipelineSource.connection(SOURCE.repository, SOURCE.branch, { connectionArn: SOURCE.connectionArn }),
      commands: BUILD_COMMANDS,
    }),
  });
  const stageOf = (target: BenchTarget) => new TenantStage(stack, target.id, { env: { account: target.account, region: target.region } });

  const devWave = pipeline.addWave('Dev');
  dev.forEach((t) => devWave.addStage(stageOf(t)));
  chunks(prod, STAGES_PER_WAVE).forEach((chunk, i) => {
    const wave = pipeline.addWave(`Prod-${i + 1}`, i === 0 ? { pre: [new pipelines.ManualApprovalStep('Approve')] } : {});
    chunk.forEach((t) => wave.addStage(stageOf(t)));
  });
  return app.synth();
}

function chunks<T>(items: T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}
