/**
 * BlueGreenEfsDeploy's content build: commands made into a buildspec (with
 * runtime selection), or a buildspec of the user's own; the image and compute
 * type; and every combination that cannot work, refused at synth.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BlueGreenEfsDeploy, ContentBuildOptions, PipelineSource } from '../src';
import { synthErrorOf } from './support/synth-error';
import { contentBuildSpec } from '../src/blue-green-efs-deploy/content-build';

function deploy(contentBuild: ContentBuildOptions) {
  const app = new App();
  const stack = new Stack(app, 'Web', { env: { account: '111111111111', region: 'us-east-1' } });
  new BlueGreenEfsDeploy(stack, 'Shop', {
    releaseName: 'shop-web',
    source: PipelineSource.s3({ bucket: new s3.Bucket(stack, 'Releases', { versioned: true }), objectKey: 'shop/site.zip' }),
    allowPlaintextHttp: true,
    contentBuild,
  });
  return Template.fromStack(stack);
}

/** The content build project (not the publishing one). */
function buildProject(template: Template): any {
  const found = Object.values(template.findResources('AWS::CodeBuild::Project')).filter((p: any) => p.Properties.Description === 'Builds the content of a release');
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

const buildSpecOf = (template: Template) => JSON.parse(buildProject(template).Source.BuildSpec);

describe('BlueGreenEfsDeploy content build', () => {
  test('commands only: the build phase and the output directory as the artifact, defaults for image and compute', () => {
    const template = deploy({ commands: ['npm ci', 'npm run build'], outputDirectory: 'dist' });
    expect(buildSpecOf(template)).toEqual({
      version: '0.2',
      phases: { build: { commands: ['npm ci', 'npm run build'] } },
      artifacts: { 'base-directory': 'dist', 'files': ['**/*'] },
    });
    expect(buildProject(template).Environment).toMatchObject({ Image: 'aws/codebuild/standard:7.0', ComputeType: 'BUILD_GENERAL1_SMALL' });
  });

  test('runtimeVersions become install.runtime-versions, which CodeBuild applies before the install commands', () => {
    const template = deploy({ runtimeVersions: { nodejs: '20', python: '3.12' }, installCommands: ['npm i -g pnpm'], commands: ['pnpm build'] });
    expect(buildSpecOf(template).phases).toEqual({
      install: { 'runtime-versions': { nodejs: '20', python: '3.12' }, 'commands': ['npm i -g pnpm'] },
      build: { commands: ['pnpm build'] },
    });
  });

  test('runtimeVersions alone make an install phase of runtimes only', () => {
    expect(contentBuildSpec({ runtimeVersions: { nodejs: 'latest' }, commands: ['make'] }).phases).toEqual({
      install: { 'runtime-versions': { nodejs: 'latest' } },
      build: { commands: ['make'] },
    });
  });

  test('a buildspec of the user\'s own is used as given', () => {
    const spec = {
      version: '0.2',
      phases: { install: { 'runtime-versions': { php: '8.3' } }, build: { commands: ['composer install --no-dev'] } },
      artifacts: { 'base-directory': 'public', 'files': ['**/*'] },
    };
    const template = deploy({ buildSpec: codebuild.BuildSpec.fromObject(spec) });
    expect(buildSpecOf(template)).toEqual(spec);
  });

  test('a buildspec file of the source is read from the source', () => {
    const template = deploy({ buildSpec: codebuild.BuildSpec.fromSourceFilename('deploy/buildspec.yml') });
    expect(buildProject(template).Source.BuildSpec).toBe('deploy/buildspec.yml');
  });

  test('the build image and compute type are the user\'s', () => {
    const template = deploy({
      commands: ['make'],
      buildImage: codebuild.LinuxBuildImage.AMAZON_LINUX_2_5,
      computeType: codebuild.ComputeType.MEDIUM,
      runtimeVersions: { java: 'corretto21' },
    });
    expect(buildProject(template).Environment).toMatchObject({ Image: 'aws/codebuild/amazonlinux2-x86_64-standard:5.0', ComputeType: 'BUILD_GENERAL1_MEDIUM' });
  });
});

describe('BlueGreenEfsDeploy refuses a content build that cannot work, naming path, property, value and fix', () => {
  const ownSpec = codebuild.BuildSpec.fromSourceFilename('buildspec.yml');
  test.each<[string, ContentBuildOptions, RegExp]>([
    ['neither commands nor a buildspec', {},
      /contentBuild\.commands = undefined: a content build needs its build commands, or a buildspec\. Fix: give commands .* or buildSpec, or drop contentBuild/],
    ['a buildspec and commands', { buildSpec: ownSpec, commands: ['npm run build'] },
      /contentBuild\.commands = \["npm run build"\]: a buildSpec of your own replaces the buildspec made of commands.*so this would be ignored\. Fix: put them in the buildspec's phases\.build\.commands, or drop buildSpec/],
    ['a buildspec and install commands', { buildSpec: ownSpec, installCommands: ['npm i -g pnpm'] },
      /contentBuild\.installCommands = \["npm i -g pnpm"\]: a buildSpec of your own replaces .*Fix: put them in the buildspec's phases\.install\.commands, or drop buildSpec/],
    ['a buildspec and runtime versions', { buildSpec: ownSpec, runtimeVersions: { nodejs: '20' } },
      /contentBuild\.runtimeVersions = \{"nodejs":"20"\}: a buildSpec of your own replaces .*Fix: put them in the buildspec's phases\.install\.runtime-versions, or drop buildSpec/],
    ['a buildspec and an output directory', { buildSpec: ownSpec, outputDirectory: 'dist' },
      /contentBuild\.outputDirectory = "dist": a buildSpec of your own replaces .*Fix: name the directory in the buildspec's artifacts\.base-directory, or drop buildSpec/],
    ['runtime versions on an image of Docker Hub', { commands: ['npm run build'], runtimeVersions: { nodejs: '20' }, buildImage: codebuild.LinuxBuildImage.fromDockerRegistry('node:20') },
      /contentBuild\.runtimeVersions = \{"nodejs":"20"\}: only CodeBuild's own standard and Amazon Linux images select runtimes; the image node:20 would fail the build\. Fix: install the runtimes into your image and drop runtimeVersions/],
    ['runtime versions on a Lambda compute image', {
      commands: ['npm run build'], runtimeVersions: { nodejs: '20' }, buildImage: codebuild.LinuxLambdaBuildImage.AMAZON_LINUX_2023_NODE_20,
    }, /contentBuild\.runtimeVersions = \{"nodejs":"20"\}: only CodeBuild's own standard and Amazon Linux images select runtimes/],
    ['a runtime name that is not one', { commands: ['make'], runtimeVersions: { 'Node JS': '20' } },
      /contentBuild\.runtimeVersions = "Node JS": is not a CodeBuild runtime name \(lowercase letters and digits\)\. Fix: use a runtime of the image, e\.g\. nodejs/],
    ['a runtime version with a space', { commands: ['make'], runtimeVersions: { python: '3.12 latest' } },
      /contentBuild\.runtimeVersions\.python = "3\.12 latest": is not a runtime version .*Fix: use a version the image offers, e\.g\. '20', '3\.12' or 'latest'/],
  ])('%s', (_name, contentBuild, message) => {
    const error = synthErrorOf(() => deploy(contentBuild));
    expect(error).toMatch(/^\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(message);
    expect(error.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(1);
  });

  test('a buildspec with environment, image and compute type is fine: they are not part of the buildspec', () => {
    expect(() => deploy({ buildSpec: ownSpec, environment: { STAGE: 'prod' }, buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.LARGE })).not.toThrow();
  });
});
