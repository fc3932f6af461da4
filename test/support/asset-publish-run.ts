/**
 * Runs the build commands of a synthesized Assets stage the way CodeBuild
 * runs them (bash, in the build output, stopping at the first failing
 * command), with the publisher this project pins as a devDependency (or the
 * one installed from the lock) in place of the one the install phase would
 * download.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { PUBLISHER_DIR } from '../../src/cross-account-pipeline/private/asset-publish-commands';

/**
 * The directory whose node_modules holds @aws-cdk/cdk-assets-lib: this
 * project (its devDependency), or the publisher installed from the committed
 * lock (scripts/check-asset-publisher-lock.sh sets CDKX_ASSET_PUBLISHER_ROOT).
 */
const PUBLISHER_ROOT = process.env.CDKX_ASSET_PUBLISHER_ROOT ?? path.join(__dirname, '..', '..');

/** The publish project's buildspec phases in a synthesized template. */
export function publishBuildSpec(template: any): { install: { 'runtime-versions': Record<string, string>; 'commands': string[] }; build: { commands: string[] } } {
  const projects = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::CodeBuild::Project'
    && String(r.Properties.Description).startsWith('Publishes the application assets'));
  if (projects.length !== 1) throw new Error(`expected one publish project, found ${projects.length}`);
  return JSON.parse(projects[0].Properties.Source.BuildSpec).phases;
}

export interface PublishRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the build phase's commands in `buildOutput`. Only PATH and HOME pass
 * from this process: the AWS settings are the ones given (no credentials of
 * the machine, no metadata endpoint). Asynchronous, so that an endpoint served
 * by this process can answer.
 */
export function runPublishCommands(buildCommands: string[], buildOutput: string, env: Record<string, string>): Promise<PublishRun> {
  const script = buildCommands.map((c) => c.split(PUBLISHER_DIR).join(PUBLISHER_ROOT)).join('\n');
  const child = spawn('bash', ['-ec', script], {
    cwd: buildOutput,
    timeout: 120_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
      AWS_SECRET_ACCESS_KEY: 'local-test-secret',
      NODE_NO_WARNINGS: '1',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
