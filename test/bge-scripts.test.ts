/**
 * BlueGreenEfsDeploy's shell scripts run for real with bash against temporary
 * directories. AWS and the kernel are replaced by fakes on PATH:
 * - `aws` answers ssm get-parameter/put-parameter and deploy get-deployment-group
 *   from files in the state directory and records every call;
 * - `mount`/`umount`/`mountpoint` "mount" an access point by turning the mount
 *   directory into a symlink to the temp directory standing for that color.
 * The instance metadata service and the web server are node http servers.
 * rsync and shellcheck come from the machine or from .venv (scripts/install-test-tools.sh).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { instanceBootCommands } from '../src/blue-green-efs-deploy/private/instance-boot';
import { ReleaseBundleOptions, releaseToolFiles } from '../src/blue-green-efs-deploy/release-bundle';

const ASSETS = path.join(__dirname, '..', 'src', 'blue-green-efs-deploy', 'assets');
const VENV_BIN = path.join(__dirname, '..', '.venv', 'bin');
const SHELLCHECK = path.join(VENV_BIN, 'shellcheck');

interface RunResult { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/** Runs a script with bash, asynchronously so in-process http servers keep answering. */
function runBash(script: string, env: Record<string, string>, extraPath: string[] = []): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], {
      env: { PATH: [...extraPath, VENV_BIN, process.env.PATH ?? '/usr/bin:/bin'].join(':'), HOME: os.tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d.toString(); });
    child.stderr.on('data', (d) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function write(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
}

/** Every file under dir (relative path -> content). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else out[rel] = fs.readFileSync(path.join(dir, rel), 'utf8');
    }
  };
  walk('');
  return out;
}

const BUNDLE_OPTIONS: ReleaseBundleOptions = {
  efsMountPath: '/mnt/efs',
  webRoot: '/var/www/current',
  applicationPort: 8080,
  healthCheckPath: '/health',
  validateTimeoutSeconds: 120,
  hookCommands: { ApplicationStart: ['systemctl reload nginx'], ValidateService: ['curl -fsS http://127.0.0.1:8080/ >/dev/null'] },
};

/** Writes the release-tools asset as the construct would; returns its root. */
function writeReleaseTools(dir: string, options: ReleaseBundleOptions = BUNDLE_OPTIONS): string {
  for (const file of releaseToolFiles(options)) {
    write(path.join(dir, file.path), file.content, file.executable ? 0o755 : 0o644);
  }
  return dir;
}

// ---------------------------------------------------------------------------
// Fakes for sync-release.sh

const FAKE_AWS = `#!/usr/bin/env bash
# Fake AWS CLI: parameters are files, the deployment group is a JSON file;
# hooks/dg-<n>.sh runs before the n-th get-deployment-group answer.
set -euo pipefail
state="$FAKE_STATE"
echo "$*" >>"$state/aws-calls.log"
service="$1" op="$2"
shift 2
name="" value=""
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    --value) value="$2"; shift 2 ;;
    *) shift ;;
  esac
done
file="$state/param$(printf '%s' "$name" | tr '/' '_')"
case "$service $op" in
  "ssm get-parameter")
    [ -f "$file" ] || { echo "An error occurred (ParameterNotFound)" >&2; exit 254; }
    python3 -c 'import json, sys; print(json.dumps({"Parameter": {"Name": sys.argv[1], "Type": "String", "Value": open(sys.argv[2]).read()}}))' "$name" "$file"
    ;;
  "ssm put-parameter") printf '%s' "$value" >"$file" ;;
  "deploy get-deployment-group")
    n=$(( $(cat "$state/dg-count" 2>/dev/null || echo 0) + 1 ))
    echo "$n" >"$state/dg-count"
    if [ -f "$state/hooks/dg-$n.sh" ]; then bash "$state/hooks/dg-$n.sh"; fi
    cat "$state/deployment-group.json"
    ;;
  *) echo "fake aws: unexpected call $service $op" >&2; exit 2 ;;
esac
`;

const FAKE_MOUNT = `#!/usr/bin/env bash
# Fake mount: "mounts" access point <ap> by making the directory a symlink to $FAKE_STATE/efs/<ap>.
# Records the region efs-utils would read from its config at this moment.
set -euo pipefail
state="$FAKE_STATE"
echo "$*" >>"$state/mount-calls.log"
grep -E '^region *=' "\${CDKX_EFS_UTILS_CONFIG:-/nonexistent}" >>"$state/efs-region-at-mount.log" 2>/dev/null || echo "(no region)" >>"$state/efs-region-at-mount.log"
opts=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t) shift 2 ;;
    -o) opts="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
ap="$(printf '%s' "$opts" | tr ',' '\\n' | sed -n 's/^accesspoint=//p')"
dir="\${args[1]}"
[ -d "$state/efs/$ap" ] || { echo "fake mount: unknown access point '$ap'" >&2; exit 32; }
rmdir "$dir"
ln -s "$state/efs/$ap" "$dir"
if [ -f "$state/hooks/mount.sh" ]; then bash "$state/hooks/mount.sh"; fi
`;

const FAKE_UMOUNT = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >>"$FAKE_STATE/umount-calls.log"
[ -L "$1" ] || { echo "fake umount: $1 not mounted" >&2; exit 32; }
rm "$1"
mkdir "$1"
`;

const FAKE_MOUNTPOINT = `#!/usr/bin/env bash
[ "$1" = -q ] && shift
[ -L "$1" ]
`;

/** A LIVE value as the live-color Lambda writes it, `settled` deployments recorded (newest last). */
function liveValue(color: string, ...settled: string[]): string {
  return JSON.stringify({ color, deploymentId: settled[settled.length - 1] ?? 'initial', ...(settled.length ? { settledDeploymentIds: settled } : {}) });
}

/** The part of efs-utils' default config the script edits (dist/efs-utils.conf of aws/efs-utils). */
const EFS_UTILS_CONF = [
  '[DEFAULT]',
  'logging_level = INFO',
  '',
  '[mount]',
  'dns_name_format = {az}.{fs_id}.efs.{region}.{dns_name_suffix}',
  'dns_name_suffix = amazonaws.com',
  '#The region of the file system when mounting from on-premises or cross region.',
  '#region = us-east-1',
  'stunnel_debug_enabled = false',
  '',
  '[mount.cn-north-1]',
  'dns_name_suffix = amazonaws.com.cn',
  '',
].join('\n');

function deploymentGroup(last?: { id: string; status: string }): string {
  return JSON.stringify({
    deploymentGroupInfo: {
      applicationName: 'shop',
      deploymentGroupName: 'shop-web',
      ...(last ? { lastAttemptedDeployment: { deploymentId: last.id, status: last.status, createTime: 1700000000 } } : {}),
    },
  });
}

describe('sync-release.sh', () => {
  let tmp: string;
  let state: string;
  let fakeBin: string;
  let content: string;
  let mountDir: string;
  let bundleOut: string;
  let tools: string;
  let env: Record<string, string>;

  const blueDir = () => path.join(state, 'efs', 'fsap-blue');
  const greenDir = () => path.join(state, 'efs', 'fsap-green');
  const param = (name: string) => fs.readFileSync(path.join(state, `param${name.replace(/\//g, '_')}`), 'utf8');
  const setParam = (name: string, value: string) => write(path.join(state, `param${name.replace(/\//g, '_')}`), value);
  const hook = (name: string, body: string) => write(path.join(state, 'hooks', `${name}.sh`), body);
  const run = (extra: Record<string, string> = {}) => runBash(path.join(tools, 'release-tools', 'sync-release.sh'), { ...env, ...extra }, [fakeBin]);
  const readLog = (name: string) => (fs.existsSync(path.join(state, name)) ? fs.readFileSync(path.join(state, name), 'utf8') : '');

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-sync-'));
    state = path.join(tmp, 'state');
    fakeBin = path.join(tmp, 'bin');
    content = path.join(tmp, 'content');
    mountDir = path.join(tmp, 'mnt', 'release');
    bundleOut = path.join(tmp, 'out', 'bundle');
    tools = writeReleaseTools(path.join(tmp, 'asset'));

    write(path.join(fakeBin, 'aws'), FAKE_AWS, 0o755);
    write(path.join(fakeBin, 'mount'), FAKE_MOUNT, 0o755);
    write(path.join(fakeBin, 'umount'), FAKE_UMOUNT, 0o755);
    write(path.join(fakeBin, 'mountpoint'), FAKE_MOUNTPOINT, 0o755);
    write(path.join(fakeBin, 'mount.efs'), '#!/bin/sh\nexit 0\n', 0o755); // amazon-efs-utils present
    write(path.join(state, 'efs-utils.conf'), EFS_UTILS_CONF);

    // The release: index.html changed, a new file, a nested asset.
    write(path.join(content, 'index.html'), 'release 2\n');
    write(path.join(content, 'new.txt'), 'added in release 2\n');
    write(path.join(content, 'static', 'app.js'), 'console.log(2);\n');
    // Blue serves release 1; green holds an older release with a file since removed.
    write(path.join(blueDir(), 'index.html'), 'release 1\n');
    write(path.join(blueDir(), 'stale.txt'), 'blue keeps this\n');
    write(path.join(greenDir(), 'index.html'), 'release 0\n');
    write(path.join(greenDir(), 'stale.txt'), 'removed from the release\n');
    write(path.join(greenDir(), 'old', 'deep.css'), 'body{}\n');

    setParam('/shop/live', liveValue('blue', 'd-1'));
    setParam('/shop/pending', JSON.stringify({ color: 'none', releaseId: 'initial' }));
    write(path.join(state, 'deployment-group.json'), deploymentGroup({ id: 'd-1', status: 'Succeeded' }));

    env = {
      FAKE_STATE: state,
      CDKX_APPLICATION_NAME: 'shop',
      CDKX_DEPLOYMENT_GROUP_NAME: 'shop-web',
      CDKX_LIVE_PARAMETER: '/shop/live',
      CDKX_PENDING_PARAMETER: '/shop/pending',
      CDKX_FILE_SYSTEM_ID: 'fs-0123456789abcdef0',
      CDKX_BLUE_ACCESS_POINT_ID: 'fsap-blue',
      CDKX_GREEN_ACCESS_POINT_ID: 'fsap-green',
      CDKX_CONTENT_DIR: content,
      CDKX_BUNDLE_TEMPLATE_DIR: path.join(tools, 'bundle'),
      CDKX_BUNDLE_OUT: bundleOut,
      CDKX_MOUNT_DIR: mountDir,
      CODEBUILD_BUILD_ID: 'shop-release:build-2',
      CDKX_SETTLE_TIMEOUT_SECONDS: '5',
      CDKX_POLL_SECONDS: '0.1',
      AWS_REGION: 'eu-west-1',
      CDKX_EFS_UTILS_CONFIG: path.join(state, 'efs-utils.conf'),
    };
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('publishes into the idle color only, mirrors with --delete, writes PENDING and the bundle', async () => {
    const blueBefore = tree(blueDir());

    const result = await run();

    expect(result.stderr).toContain('live color is blue; publishing release shop-release:build-2 into green');
    expect(result.code).toBe(0);
    // Green now equals the release exactly: stale files and directories are gone.
    expect(tree(greenDir())).toEqual(tree(content));
    // The live color was never touched, and only green's access point was mounted.
    expect(tree(blueDir())).toEqual(blueBefore);
    expect(readLog('mount-calls.log').trim()).toBe(`-t efs -o tls,iam,accesspoint=fsap-green fs-0123456789abcdef0:/ ${mountDir}`);
    expect(readLog('umount-calls.log').trim()).toBe(mountDir);
    expect(fs.lstatSync(mountDir).isSymbolicLink()).toBe(false);

    expect(JSON.parse(param('/shop/pending'))).toEqual({ color: 'green', releaseId: 'shop-release:build-2' });
    expect(readLog('aws-calls.log')).toMatch(/ssm put-parameter --name \/shop\/pending --type String --overwrite --value/);
    // LIVE is the Lambda's: the build never writes it.
    expect(readLog('aws-calls.log')).not.toMatch(/put-parameter --name \/shop\/live/);

    const bundle = tree(bundleOut);
    expect(Object.keys(bundle).sort()).toEqual([
      'appspec.yml', 'hooks/switch-color.sh', 'hooks/user-ApplicationStart.sh', 'hooks/user-ValidateService.sh',
      'hooks/validate-service.sh', 'release.env', 'settings.env',
    ]);
    expect(bundle['appspec.yml']).toBe(fs.readFileSync(path.join(tools, 'bundle', 'appspec.yml'), 'utf8'));
    expect(bundle['release.env']).toMatch(/^CDKX_COLOR=green$/m);
    expect(bundle['release.env']).toMatch(/^CDKX_RELEASE_ID=shop-release:build-2$/m);
    expect(() => fs.accessSync(path.join(bundleOut, 'hooks', 'switch-color.sh'), fs.constants.X_OK)).not.toThrow();
  });

  test('with green live it publishes into blue, and CDKX_RELEASE_ID wins over the build id', async () => {
    setParam('/shop/live', liveValue('green', 'd-1'));
    const greenBefore = tree(greenDir());

    const result = await run({ CDKX_RELEASE_ID: 'r-42' });

    expect(result.code).toBe(0);
    expect(tree(blueDir())).toEqual(tree(content));
    expect(tree(greenDir())).toEqual(greenBefore);
    expect(readLog('mount-calls.log')).toContain('accesspoint=fsap-blue ');
    expect(JSON.parse(param('/shop/pending'))).toEqual({ color: 'blue', releaseId: 'r-42' });
    expect(fs.readFileSync(path.join(bundleOut, 'release.env'), 'utf8')).toMatch(/^CDKX_COLOR=blue$/m);
  });

  test('the first release (no deployment yet, initial LIVE) goes to green', async () => {
    setParam('/shop/live', JSON.stringify({ color: 'blue', deploymentId: 'initial' }));
    write(path.join(state, 'deployment-group.json'), deploymentGroup());

    const result = await run();

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('no deployment attempted yet');
    expect(tree(greenDir())).toEqual(tree(content));
  });

  test('refuses when live flips to the target color between the first read and the rsync', async () => {
    const greenBefore = tree(greenDir());
    // While the build mounts green, a deployment elsewhere makes green live.
    hook('mount', `printf '%s' '${liveValue('green', 'd-9')}' >"$FAKE_STATE/param_shop_live"\n`);

    const result = await run();

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('REFUSING to publish: green became the live color');
    expect(tree(greenDir())).toEqual(greenBefore);
    expect(JSON.parse(param('/shop/pending'))).toEqual({ color: 'none', releaseId: 'initial' });
    expect(fs.existsSync(bundleOut)).toBe(false);
    // Unmounted on the way out.
    expect(readLog('umount-calls.log').trim()).toBe(mountDir);
  });

  test('waits until the last deployment has settled and the Lambda has recorded it', async () => {
    write(path.join(state, 'deployment-group.json'), deploymentGroup({ id: 'd-2', status: 'InProgress' }));
    // 2nd poll: CodeDeploy is done; 3rd poll: the live-color Lambda has flipped LIVE to green.
    hook('dg-2', `printf '%s' '${deploymentGroup({ id: 'd-2', status: 'Succeeded' })}' >"$FAKE_STATE/deployment-group.json"\n`);
    hook('dg-3', `printf '%s' '${liveValue('green', 'd-2')}' >"$FAKE_STATE/param_shop_live"\n`);

    const result = await run();

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('waiting for deployment d-2 to settle (status InProgress)');
    expect(result.stderr).toContain('waiting for the live-color Lambda to record d-2');
    expect(result.stderr).toContain('last deployment d-2 settled (Succeeded) and recorded');
    // Decided after the flip: blue is idle now.
    expect(tree(blueDir())).toEqual(tree(content));
    expect(JSON.parse(param('/shop/pending')).color).toBe('blue');
  });

  test('fails after the timeout with a clear message when a deployment never settles', async () => {
    write(path.join(state, 'deployment-group.json'), deploymentGroup({ id: 'd-2', status: 'InProgress' }));
    const greenBefore = tree(greenDir());

    const result = await run({ CDKX_SETTLE_TIMEOUT_SECONDS: '1', CDKX_POLL_SECONDS: '0.2' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERROR: timed out after 1s waiting for deployment d-2 to settle (status InProgress)');
    expect(readLog('mount-calls.log')).toBe('');
    expect(tree(greenDir())).toEqual(greenBefore);
  });

  test('a settled deployment the Lambda never recorded also times out, naming the Lambda', async () => {
    write(path.join(state, 'deployment-group.json'), deploymentGroup({ id: 'd-2', status: 'Failed' }));

    const result = await run({ CDKX_SETTLE_TIMEOUT_SECONDS: '1', CDKX_POLL_SECONDS: '0.2' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('waiting for the live-color Lambda to record d-2 (newest recorded in LIVE: d-1)');
    expect(readLog('mount-calls.log')).toBe('');
  });

  test('finds the last deployment among the recorded ones when the Lambda processed events out of order', async () => {
    // d-3 (the release) and d-4 (a scale-out) ended together; d-4's event was handled
    // first, so d-3 is recorded but is not the newest entry.
    setParam('/shop/live', JSON.stringify({ color: 'green', deploymentId: 'd-3', settledDeploymentIds: ['d-1', 'd-4', 'd-3', 'd-2'] }));
    write(path.join(state, 'deployment-group.json'), deploymentGroup({ id: 'd-4', status: 'Succeeded' }));

    const result = await run();

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('last deployment d-4 settled (Succeeded) and recorded');
    expect(tree(blueDir())).toEqual(tree(content));
  });

  test('gives efs-utils the region from AWS_REGION before mounting (no instance metadata in CodeBuild)', async () => {
    const result = await run();

    expect(result.code).toBe(0);
    expect(readLog('efs-region-at-mount.log').trim()).toBe('region = eu-west-1');
    // The commented default line became the setting; nothing else changed.
    expect(fs.readFileSync(path.join(state, 'efs-utils.conf'), 'utf8')).toBe(EFS_UTILS_CONF.replace('#region = us-east-1', 'region = eu-west-1'));
    expect(result.stderr).toContain(`efs-utils region set to eu-west-1 in ${path.join(state, 'efs-utils.conf')}`);
  });

  test('falls back to AWS_DEFAULT_REGION and adds the setting when the config has no region line', async () => {
    write(path.join(state, 'efs-utils.conf'), EFS_UTILS_CONF.replace('#region = us-east-1\n', ''));

    const result = await run({ AWS_REGION: '', AWS_DEFAULT_REGION: 'cn-north-1' });

    expect(result.code).toBe(0);
    expect(readLog('efs-region-at-mount.log').trim()).toBe('region = cn-north-1');
    expect(fs.readFileSync(path.join(state, 'efs-utils.conf'), 'utf8')).toContain('[mount]\nregion = cn-north-1\n');
  });

  test.each([
    ['no region at all', { AWS_REGION: '' }, 'ERROR: no AWS region: set AWS_REGION (CodeBuild sets it) or AWS_DEFAULT_REGION'],
    ['a malformed region', { AWS_REGION: 'eu-west-1/../x' }, "ERROR: AWS region 'eu-west-1/../x' is not a region name"],
  ])('fails clearly before waiting or mounting with %s', async (_name, extra, message) => {
    const result = await run(extra);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(readLog('aws-calls.log')).toBe('');
    expect(readLog('mount-calls.log')).toBe('');
  });

  test('fails clearly when the efs-utils config is missing, without mounting', async () => {
    const result = await run({ CDKX_EFS_UTILS_CONFIG: path.join(state, 'missing.conf') });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`ERROR: efs-utils config ${path.join(state, 'missing.conf')} not found`);
    expect(readLog('mount-calls.log')).toBe('');
    expect(fs.lstatSync(mountDir).isSymbolicLink()).toBe(false);
  });

  test('a LIVE parameter that is not JSON stops the build before mounting', async () => {
    setParam('/shop/live', 'blue');

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERROR: LIVE parameter /shop/live is not the expected JSON: blue');
    expect(readLog('mount-calls.log')).toBe('');
  });

  test('a LIVE parameter without a valid color stops the build before mounting', async () => {
    setParam('/shop/live', JSON.stringify({ color: 'purple', deploymentId: 'initial' }));
    write(path.join(state, 'deployment-group.json'), deploymentGroup());

    const result = await run();

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('holds no valid color');
    expect(readLog('mount-calls.log')).toBe('');
  });

  test('a missing required variable is named', async () => {
    const result = await run({ CDKX_GREEN_ACCESS_POINT_ID: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('environment variable CDKX_GREEN_ACCESS_POINT_ID is required');
  });
});

// ---------------------------------------------------------------------------
// switch-color.sh

interface RecordedRequest { readonly method: string; readonly url: string; readonly headers: http.IncomingHttpHeaders }

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A fake IMDSv2: a token for PUT /latest/api/token, the instance id only with that token. */
async function fakeImds(requests: RecordedRequest[]) {
  return listen((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      res.end('token-abc');
    } else if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id' && req.headers['x-aws-ec2-metadata-token'] === 'token-abc') {
      res.end('i-0123456789abcdef0');
    } else {
      res.statusCode = 401;
      res.end();
    }
  });
}

// ---------------------------------------------------------------------------
// The instance boot script's EFS mounts, run for real up to the last mount:
// /etc/fstab is a file of the test, `mount <dir>` "mounts" the fstab entry's
// access point (a symlink, as above), dnf is a no-op.

const FAKE_FSTAB_MOUNT = `#!/usr/bin/env bash
# Fake mount <dir>: looks <dir> up in the test's fstab and "mounts" its access point.
set -euo pipefail
state="$FAKE_STATE"
dir="$1"
echo "$*" >>"$state/mount-calls.log"
n=$(( $(cat "$state/mount-count" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$state/mount-count"
if [ -f "$state/hooks/mount-$n.sh" ]; then bash "$state/hooks/mount-$n.sh"; fi
line="$(awk -v d="$dir" '$2 == d' "$state/fstab")"
[ -n "$line" ] || { echo "fake mount: $dir is not in fstab" >&2; exit 1; }
opts="$(printf '%s' "$line" | awk '{print $4}')"
echo "$dir $opts" >>"$state/mount-options.log"
ap="$(printf '%s' "$opts" | tr ',' '\\n' | sed -n 's/^accesspoint=//p')"
[ -d "$state/efs/$ap" ] || { echo "fake mount: unknown access point '$ap'" >&2; exit 32; }
rmdir "$dir"
ln -s "$state/efs/$ap" "$dir"
`;

describe('instance boot: EFS mounts', () => {
  let tmp: string;
  let state: string;
  let fakeBin: string;
  let env: Record<string, string>;
  const read = (name: string) => (fs.existsSync(path.join(state, name)) ? fs.readFileSync(path.join(state, name), 'utf8') : '');

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-boot-'));
    state = path.join(tmp, 'state');
    fakeBin = path.join(tmp, 'bin');
    for (const ap of ['fsap-app', 'fsap-shared']) fs.mkdirSync(path.join(state, 'efs', ap), { recursive: true });
    write(path.join(state, 'fstab'), '# fstab of the test\n');
    write(path.join(fakeBin, 'mount'), FAKE_FSTAB_MOUNT, 0o755);
    write(path.join(fakeBin, 'mountpoint'), FAKE_MOUNTPOINT, 0o755);
    write(path.join(fakeBin, 'dnf'), '#!/usr/bin/env bash\necho "$*" >>"$FAKE_STATE/dnf-calls.log"\n', 0o755);
    env = { FAKE_STATE: state };
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The boot script up to its last mount, with /etc/fstab redirected to the test's file. */
  function bootUntilMounted(shared: boolean): string {
    const lines = instanceBootCommands({
      fileSystemId: 'fs-0123456789abcdef0',
      accessPointId: 'fsap-app',
      region: 'eu-west-1',
      liveParameterName: '/shop/live',
      efsMountPath: path.join(tmp, 'mnt', 'efs', 'app'),
      webRoot: path.join(tmp, 'var', 'www', 'current'),
      applicationPort: 8080,
      healthCheckPath: '/health.html',
      defaultWebServer: true,
      additionalCommands: [],
      sharedDirectory: shared ? { accessPointId: 'fsap-shared', mountPath: path.join(tmp, 'var', 'www', 'shared') } : undefined,
    });
    const last = lines.lastIndexOf(shared ? 'retry mount_shared' : 'retry mount_efs');
    expect(last).toBeGreaterThan(0);
    const script = path.join(tmp, 'boot.sh');
    write(script, [...lines.slice(0, last + 1), 'echo booted'].join('\n').split('/etc/fstab').join(path.join(state, 'fstab')) + '\n');
    return script;
  }

  test('the shared directory is mounted read-write through its access point, the releases read-only through theirs', async () => {
    const result = await runBash(bootUntilMounted(true), env, [fakeBin]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('booted\n');
    const app = path.join(tmp, 'mnt', 'efs', 'app');
    const shared = path.join(tmp, 'var', 'www', 'shared');
    expect(read('mount-options.log').trim().split('\n')).toEqual([
      `${app} _netdev,noresvport,tls,iam,accesspoint=fsap-app,ro`,
      `${shared} _netdev,noresvport,tls,iam,accesspoint=fsap-shared,rw`,
    ]);
    expect(fs.readlinkSync(shared)).toBe(path.join(state, 'efs', 'fsap-shared'));
    expect(fs.readlinkSync(app)).toBe(path.join(state, 'efs', 'fsap-app'));
    // What the application writes lands in the shared access point's directory, not in a color.
    fs.mkdirSync(path.join(shared, 'uploads'));
    fs.writeFileSync(path.join(shared, 'uploads', 'a.png'), 'png');
    expect(tree(path.join(state, 'efs'))).toEqual({ [path.join('fsap-shared', 'uploads', 'a.png')]: 'png' });
  });

  test('booting again (a reboot, a re-run) adds no second fstab line and mounts nothing twice', async () => {
    const script = bootUntilMounted(true);
    expect((await runBash(script, env, [fakeBin])).code).toBe(0);
    const fstab = read('fstab');
    const again = await runBash(script, env, [fakeBin]);
    expect(again.code).toBe(0);
    expect(read('fstab')).toBe(fstab);
    expect(fstab.split('\n').filter((line) => line.startsWith('fs-0123456789abcdef0:/ '))).toHaveLength(2);
    expect(read('mount-calls.log').trim().split('\n')).toHaveLength(2);
  });

  test('a shared mount that fails at first (mount target not ready) is retried', async () => {
    write(path.join(state, 'hooks', 'mount-2.sh'), 'exit 32\n');
    const result = await runBash(bootUntilMounted(true), env, [fakeBin]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('cdkx-boot: retrying (1): mount_shared');
    expect(fs.readlinkSync(path.join(tmp, 'var', 'www', 'shared'))).toBe(path.join(state, 'efs', 'fsap-shared'));
  }, 20_000);

  test('without a shared directory only the releases are mounted, read-only', async () => {
    const result = await runBash(bootUntilMounted(false), env, [fakeBin]);
    expect(result.code).toBe(0);
    expect(read('mount-options.log').trim().split('\n')).toEqual([
      `${path.join(tmp, 'mnt', 'efs', 'app')} _netdev,noresvport,tls,iam,accesspoint=fsap-app,ro`,
    ]);
    expect(fs.existsSync(path.join(tmp, 'var', 'www', 'shared'))).toBe(false);
  });
});

describe('switch-color.sh', () => {
  let tmp: string;
  let efs: string;
  let webRoot: string;
  let bundle: string;
  let imds: { server: http.Server; url: string };
  let requests: RecordedRequest[];

  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-switch-'));
    efs = path.join(tmp, 'mnt', 'efs');
    webRoot = path.join(tmp, 'var', 'www', 'current');
    write(path.join(efs, 'blue', 'index.html'), 'blue\n');
    write(path.join(efs, 'green', 'index.html'), 'green\n');
    fs.mkdirSync(path.dirname(webRoot), { recursive: true });
    fs.symlinkSync(path.join(efs, 'blue'), webRoot);
    // The bundle as CodeDeploy unpacks it: hooks/ next to settings.env and release.env.
    bundle = path.join(writeReleaseTools(path.join(tmp, 'asset'), { ...BUNDLE_OPTIONS, efsMountPath: efs, webRoot }), 'bundle');
    write(path.join(bundle, 'release.env'), 'CDKX_COLOR=green\nCDKX_RELEASE_ID=build-7\n');
    requests = [];
    imds = await fakeImds(requests);
  });
  afterEach(async () => {
    await close(imds.server);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const run = (env: Record<string, string> = {}) => runBash(path.join(bundle, 'hooks', 'switch-color.sh'), { CDKX_IMDS_ENDPOINT: imds.url, ...env });

  test('repoints the web root to the bundle color, logging the instance id fetched with an IMDSv2 token', async () => {
    const result = await run();

    expect(result.code).toBe(0);
    expect(fs.readlinkSync(webRoot)).toBe(path.join(efs, 'green'));
    expect(fs.readFileSync(path.join(webRoot, 'index.html'), 'utf8')).toBe('green\n');
    expect(result.stderr).toContain(`instance i-0123456789abcdef0: ${webRoot} -> ${path.join(efs, 'green')} (release build-7)`);
    // IMDSv2: a PUT for the token, then the GET carrying it.
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/instance-id']);
    expect(requests[0].headers['x-aws-ec2-metadata-token-ttl-seconds']).toBeDefined();
    expect(requests[1].headers['x-aws-ec2-metadata-token']).toBe('token-abc');
    // No temporary link left behind.
    expect(fs.readdirSync(path.dirname(webRoot))).toEqual(['current']);
  });

  test('creates the web root link when there is none yet', async () => {
    fs.rmSync(path.dirname(webRoot), { recursive: true });
    const result = await run();
    expect(result.code).toBe(0);
    expect(fs.readlinkSync(webRoot)).toBe(path.join(efs, 'green'));
  });

  test('refuses a missing color directory and leaves the web root alone', async () => {
    fs.rmSync(path.join(efs, 'green'), { recursive: true });
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path.join(efs, 'green')} does not exist`);
    expect(fs.readlinkSync(webRoot)).toBe(path.join(efs, 'blue'));
  });

  test('refuses an empty color directory', async () => {
    fs.rmSync(path.join(efs, 'green', 'index.html'));
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is empty; refusing to serve an empty release');
    expect(fs.readlinkSync(webRoot)).toBe(path.join(efs, 'blue'));
  });

  test('refuses a release file without a valid color', async () => {
    write(path.join(bundle, 'release.env'), 'CDKX_COLOR=purple\n');
    const result = await run();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("names no valid color ('purple')");
  });

  test('an unreachable metadata service does not fail the switch', async () => {
    const result = await run({ CDKX_IMDS_ENDPOINT: 'http://127.0.0.1:9' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('instance unknown:');
    expect(fs.readlinkSync(webRoot)).toBe(path.join(efs, 'green'));
  });
});

// ---------------------------------------------------------------------------
// validate-service.sh

describe('validate-service.sh', () => {
  let tmp: string;
  let web: { server: http.Server; url: string } | undefined;

  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-validate-')); });
  afterEach(async () => {
    if (web) await close(web.server);
    web = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Serves `answer(n)` for the n-th request to /health; 404 elsewhere. */
  async function serve(answer: (n: number) => number | 'hang'): Promise<number> {
    let n = 0;
    web = await listen((req, res) => {
      if (req.url !== '/health') {
        res.statusCode = 404;
        res.end();
        return;
      }
      const status = answer(++n);
      if (status === 'hang') return; // never answers
      res.statusCode = status;
      if (status >= 300 && status < 400) res.setHeader('Location', '/elsewhere');
      res.end();
    });
    return (web.server.address() as AddressInfo).port;
  }

  function run(port: number, settings: Record<string, string> = {}) {
    const lines = Object.entries({
      CDKX_APPLICATION_PORT: String(port),
      CDKX_HEALTH_CHECK_PATH: '/health',
      CDKX_VALIDATE_TIMEOUT_SECONDS: '1',
      CDKX_VALIDATE_INTERVAL_SECONDS: '0.1',
      CDKX_VALIDATE_REQUEST_TIMEOUT_SECONDS: '1',
      ...settings,
    }).map(([k, v]) => `${k}='${v}'`);
    write(path.join(tmp, 'settings.env'), lines.join('\n') + '\n');
    return runBash(path.join(ASSETS, 'validate-service.sh'), { CDKX_SETTINGS_FILE: path.join(tmp, 'settings.env') });
  }

  test('passes when the health check path answers 200', async () => {
    const result = await run(await serve(() => 200));
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\/health answered 200 \(attempt 1\)/);
  });

  test('keeps asking while the service warms up, and a redirect counts as healthy', async () => {
    const result = await run(await serve((n) => (n < 3 ? 503 : 302)), { CDKX_VALIDATE_TIMEOUT_SECONDS: '5' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('answered 302 (attempt 3)');
  });

  test('fails after the timeout when the service answers 500', async () => {
    const result = await run(await serve(() => 500));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERROR: http:\/\/127\.0\.0\.1:\d+\/health not healthy after 1s \(\d+ attempts, last answer: 500/);
  });

  test('fails when the service never answers (request timeout)', async () => {
    const result = await run(await serve(() => 'hang'));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('last answer: 000');
  });

  test('fails when nothing listens on the port', async () => {
    const port = await serve(() => 200);
    await close(web!.server);
    web = undefined;
    const result = await run(port);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not healthy after 1s');
  });
});

// ---------------------------------------------------------------------------
// shellcheck over everything that runs as a script

describe('shellcheck', () => {
  let tmp: string;
  beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-shellcheck-')); });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function shellcheck(files: string[]): Promise<RunResult> {
    if (!fs.existsSync(SHELLCHECK)) throw new Error(`${SHELLCHECK} is missing: run bash scripts/install-test-tools.sh`);
    return new Promise((resolve, reject) => {
      const child = spawn(SHELLCHECK, ['--shell=bash', '--severity=style', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => { stdout += d.toString(); });
      child.stderr.on('data', (d) => { stderr += d.toString(); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  test('the asset scripts are clean', async () => {
    const scripts = fs.readdirSync(ASSETS).filter((f) => f.endsWith('.sh')).map((f) => path.join(ASSETS, f));
    expect(scripts.map((s) => path.basename(s)).sort()).toEqual(['switch-color.sh', 'sync-release.sh', 'validate-service.sh']);
    const result = await shellcheck(scripts);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  test('the generated user hooks are clean', async () => {
    const root = writeReleaseTools(path.join(tmp, 'asset'), {
      ...BUNDLE_OPTIONS,
      hookCommands: {
        BeforeInstall: ['echo "before install"'],
        AfterInstall: ['chown -R nginx:nginx /var/cache/app', 'systemctl daemon-reload'],
        ApplicationStart: ['systemctl restart app.service'],
        ValidateService: ['curl -fsS http://127.0.0.1:8080/ready >/dev/null'],
        BeforeAllowTraffic: ['logger "traffic next"'],
        AfterAllowTraffic: ['logger "traffic on"'],
      },
    });
    const hooks = fs.readdirSync(path.join(root, 'bundle', 'hooks')).map((f) => path.join(root, 'bundle', 'hooks', f));
    expect(hooks.filter((h) => path.basename(h).startsWith('user-'))).toHaveLength(6);
    const result = await shellcheck(hooks);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  test.each([[true, false], [false, false], [true, true], [false, true]])('the rendered boot script is clean (default web server: %s, shared directory: %s)', async (defaultWebServer, shared) => {
    const script = path.join(tmp, `boot-${defaultWebServer}-${shared}.sh`);
    const lines = instanceBootCommands({
      fileSystemId: 'fs-0123456789abcdef0',
      accessPointId: 'fsap-0123456789abcdef0',
      region: 'eu-west-1',
      liveParameterName: '/shop/live',
      efsMountPath: '/mnt/efs',
      webRoot: '/var/www/current',
      applicationPort: 8080,
      healthCheckPath: '/health.html',
      defaultWebServer,
      additionalCommands: ['dnf install -y -q php-fpm', 'systemctl enable --now php-fpm'],
      sharedDirectory: shared ? { accessPointId: 'fsap-0eeeeffff00001111', mountPath: '/var/www/shared' } : undefined,
    });
    write(script, ['#!/bin/bash', ...lines].join('\n') + '\n');
    const result = await shellcheck([script]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
