/**
 * The checkpoint wrapper run for real: a child process gets SIGTERM as a
 * Fargate Spot task would, writes its checkpoint to a temporary directory
 * standing in for S3 (a file:// CHECKPOINT_S3_URI), and exits within the
 * timeout; the next run resumes from it.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FargateSpotRunner } from '../src/fargate-spot-runner/fargate-spot-runner';

const WRAPPER = FargateSpotRunner.checkpointWrapperPath();

/** A job that counts in CHECKPOINT_DIR/progress, resuming from what it finds. */
const COUNTING_JOB = 'n=$(cat "$CHECKPOINT_DIR/progress" 2>/dev/null || echo 0); '
  + 'while true; do n=$((n+1)); echo "$n" > "$CHECKPOINT_DIR/progress"; sleep 0.05; done';

interface Run {
  readonly child: ChildProcess;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
  stderr: string;
}

function start(args: string[], env: Record<string, string>, viaInlineScript = false): Run {
  const command = viaInlineScript
    // How the runner injects it (useCheckpointWrapper): sh -c <script> checkpoint-wrapper <command...>
    ? ['/bin/sh', ['-c', fs.readFileSync(WRAPPER, 'utf8'), 'checkpoint-wrapper', ...args]] as const
    : ['/bin/sh', [WRAPPER, ...args]] as const;
  const child = spawn(command[0], [...command[1]], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const run: Run = { child, stderr: '', exit: undefined as any };
  child.stderr!.on('data', (d) => { run.stderr += d.toString(); });
  const started = Date.now();
  (run as any).exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, elapsedMs: Date.now() - started })));
  return run;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readNumber = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());

describe('checkpoint-wrapper.sh', () => {
  let tmp: string;
  let store: string;
  let work: string;
  let env: Record<string, string>;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-wrapper-'));
    store = path.join(tmp, 's3', 'checkpoints', 'job-1'); // stands in for s3://bucket/checkpoints/job-1/
    work = path.join(tmp, 'work');
    env = { CHECKPOINT_S3_URI: `file://${store}`, CHECKPOINT_DIR: work, CHECKPOINT_GRACE_SECONDS: '3' };
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test.each([false, true])('SIGTERM: the job stops, its checkpoint is uploaded, exit 143 within the timeout (inline script: %s)', async (inline) => {
    const run = start(['sh', '-c', COUNTING_JOB], env, inline);
    await until(() => fs.existsSync(path.join(work, 'progress')) && readNumber(path.join(work, 'progress')) >= 3);

    run.child.kill('SIGTERM');
    const { code, elapsedMs } = await run.exit;

    expect(code).toBe(143);
    expect(elapsedMs).toBeLessThan(3000 + 2000); // grace plus margin, far under stopTimeout (120 s)
    const saved = readNumber(path.join(store, 'progress'));
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(saved).toBe(readNumber(path.join(work, 'progress')));
    expect(run.stderr).toContain('SIGTERM: stopping the job');
    expect(run.stderr).toContain(`saved checkpoint to file://${store}`);
  });

  test('the restarted job finds its checkpoint and resumes; its exit code is kept', async () => {
    fs.mkdirSync(store, { recursive: true });
    fs.writeFileSync(path.join(store, 'progress'), '41\n');
    const run = start(['sh', '-c', 'n=$(cat "$CHECKPOINT_DIR/progress"); echo $((n+1)) > "$CHECKPOINT_DIR/progress"; exit 3'], env);
    const { code } = await run.exit;
    expect(code).toBe(3);
    expect(run.stderr).toContain(`restored checkpoint from file://${store}`);
    // A failed run uploads too, so a new execution with the same jobId resumes.
    expect(readNumber(path.join(store, 'progress'))).toBe(42);
  });

  test('a job that ignores SIGTERM is killed after the grace period, and the checkpoint is still uploaded', async () => {
    const run = start(['sh', '-c', 'trap "" TERM; echo 7 > "$CHECKPOINT_DIR/progress"; while true; do sleep 0.05; done'], { ...env, CHECKPOINT_GRACE_SECONDS: '1' });
    await until(() => fs.existsSync(path.join(work, 'progress')));
    run.child.kill('SIGTERM');
    const { code, elapsedMs } = await run.exit;
    expect(code).toBe(143);
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(elapsedMs).toBeLessThan(1000 + 2000);
    expect(readNumber(path.join(store, 'progress'))).toBe(7);
  });

  test('a job that succeeds exits 0 and uploads nothing', async () => {
    const run = start(['sh', '-c', 'echo done > "$CHECKPOINT_DIR/progress"'], env);
    expect((await run.exit).code).toBe(0);
    expect(fs.existsSync(store)).toBe(false);
  });

  test('without a command it refuses to start', async () => {
    const run = start([], env);
    expect((await run.exit).code).toBe(64);
    expect(run.stderr).toContain('usage: checkpoint-wrapper.sh <command>');
  });
});
