/**
 * No template the library renders holds a `${...}` outside `Fn::Sub`: with
 * `@aws-cdk/core:validateAgainstDefaultRules` (on in apps from today's
 * `cdk init`) aws-cdk-lib stops synth on it (CloudFormation rule E1029).
 * The check of the checker is here; test/integ-apps.test.ts runs it over
 * every template of every integ app. The shell script the runner inlines
 * into a container entry point is the place such a string comes from.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource } from '../src';
import { embeddedParameters } from './support/embedded-parameters';
import { FargateSpotRunner } from '../src/fargate-spot-runner/fargate-spot-runner';

describe('embeddedParameters', () => {
  test('names the path and the parameter of every offending string, however deep', () => {
    const template = {
      Resources: {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: { ContainerDefinitions: [{ EntryPoint: ['/bin/sh', '-c', 'sleep "${grace}"; echo ${a} $b'] }] },
        },
        Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Join': ['', ['x-${suffix', { Ref: 'AWS::Region' }]] } } },
      },
    };
    expect(embeddedParameters(template)).toEqual([
      { path: 'Resources.Task.Properties.ContainerDefinitions.0.EntryPoint.2', parameters: ['${grace}', '${a}'] },
      { path: 'Resources.Topic.Properties.TopicName.Fn::Join.1.0', parameters: ['${suffix'] },
    ]);
  });

  test("leaves Fn::Sub's template string alone, but not the values it substitutes", () => {
    const template = {
      A: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}' },
      B: { 'Fn::Sub': ['${Name}-x', { Name: 'literal ${oops}' }] },
      C: 'plain $dollar and {braces}',
    };
    expect(embeddedParameters(template)).toEqual([{ path: 'B.Fn::Sub.1.Name', parameters: ['${oops}'] }]);
  });

  test('leaves EC2 user data alone: a script for the instance, not for CloudFormation', () => {
    const template = {
      LaunchTemplateData: { UserData: { 'Fn::Base64': '#!/bin/bash\nroot=${MOUNT%/}' }, KeyName: 'k-${x}' },
    };
    expect(embeddedParameters(template)).toEqual([{ path: 'LaunchTemplateData.KeyName', parameters: ['${x}'] }]);
  });
});

describe('the checkpoint wrapper, inlined into the container entry point', () => {
  const script = FargateSpotRunner.checkpointWrapperScript();

  test('holds no ${', () => {
    const lines = script.split('\n').map((line, i) => `${i + 1}: ${line}`).filter((line) => line.includes('${'));
    expect(lines).toEqual([]);
  });

  test('renders a task definition without embedded parameters', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }] });
    new FargateSpotRunner(stack, 'Runner', {
      vpc,
      assignPublicIp: true,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:2.22.0'),
      command: ['sh', '-c', 'echo "$CHECKPOINT_DIR"'],
      useCheckpointWrapper: true,
      runTimeout: Duration.minutes(5),
    });
    const template = Template.fromStack(stack).toJSON();
    const entryPoints = Object.values(template.Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::ECS::TaskDefinition')
      .flatMap((r) => r.Properties.ContainerDefinitions.map((c: any) => c.EntryPoint));
    expect(entryPoints).toEqual([['/bin/sh', '-c', script, 'checkpoint-wrapper']]);
    expect(embeddedParameters(template)).toEqual([]);
  });

  test('is clean for shellcheck as POSIX sh', () => {
    const shellcheck = path.join(__dirname, '..', '.venv', 'bin', 'shellcheck');
    if (!fs.existsSync(shellcheck)) throw new Error(`${shellcheck} is missing: run bash scripts/install-test-tools.sh`);
    const result = spawnSync(shellcheck, ['--shell=sh', '--severity=style', FargateSpotRunner.checkpointWrapperPath()], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('the CodeBuild deployment kind', () => {
  test('renders deploy projects whose buildspec holds no ${ (CloudFormation would read it as a parameter)', () => {
    // With cdk init's template validation on (newer aws-cdk-lib; the floor ignores the flag), synth must not stop either.
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-abcdefghij' });
    const tooling = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
    const store = new ArtifactStore(tooling, 'ArtifactStore', { contract });
    new CrossAccountPipeline(tooling, 'Pipeline', {
      contract,
      artifactStore: store,
      source: PipelineSource.connection({
        connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
        repository: 'acme/shop',
        branch: 'main',
      }),
      buildOptions: { commands: ['npm ci'] },
      deploymentKind: DeploymentKind.codeBuild({ commands: ['./deploy.sh'] }),
      stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] }],
    });
    expect(embeddedParameters(Template.fromStack(tooling).toJSON())).toEqual([]);
  });
});
