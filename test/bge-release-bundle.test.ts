/**
 * The pure renderers of BlueGreenEfsDeploy: the release-tools asset (appspec,
 * hooks, settings) and the instance boot commands.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InstanceBootOptions, instanceBootCommands } from '../src/blue-green-efs-deploy/private/instance-boot';
import { HOOK_EVENTS, ReleaseBundleOptions, releaseToolFiles, renderAppSpec } from '../src/blue-green-efs-deploy/release-bundle';

const ASSETS = path.join(__dirname, '..', 'src', 'blue-green-efs-deploy', 'assets');

const OPTIONS: ReleaseBundleOptions = {
  efsMountPath: '/mnt/efs',
  webRoot: '/var/www/current',
  applicationPort: 8080,
  healthCheckPath: '/health',
  validateTimeoutSeconds: 120,
  hookCommands: {},
};

/** appspec hooks as { event: ['location timeout runas', ...] }, in file order (the file is our own simple YAML). */
function appSpecHooks(appSpec: string): Record<string, string[]> {
  const hooks: Record<string, string[]> = {};
  let event = '';
  let entry: string[] = [];
  const flush = () => { if (entry.length) hooks[event].push(entry.join(' ')); entry = []; };
  for (const line of appSpec.split('\n').slice(3)) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^ {2}(\w+):$/))) {
      flush();
      event = m[1];
      hooks[event] = [];
    } else if ((m = line.match(/^ {4}- location: (\S+)$/))) {
      flush();
      entry = [m[1]];
    } else if ((m = line.match(/^ {6}(timeout|runas): (\S+)$/))) {
      entry.push(m[2]);
    } else if (line !== '') {
      throw new Error(`unexpected appspec line: ${line}`);
    }
  }
  flush();
  return hooks;
}

describe('releaseToolFiles', () => {
  test('without user commands: the sync script, appspec, the two built-in hooks and settings', () => {
    const files = releaseToolFiles(OPTIONS);
    expect(files.map((f) => [f.path, f.executable])).toEqual([
      ['release-tools/sync-release.sh', true],
      ['bundle/appspec.yml', false],
      ['bundle/hooks/switch-color.sh', true],
      ['bundle/hooks/validate-service.sh', true],
      ['bundle/settings.env', false],
    ]);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f.content]));
    expect(byPath['release-tools/sync-release.sh']).toBe(fs.readFileSync(path.join(ASSETS, 'sync-release.sh'), 'utf8'));
    expect(byPath['bundle/hooks/switch-color.sh']).toBe(fs.readFileSync(path.join(ASSETS, 'switch-color.sh'), 'utf8'));
    expect(byPath['bundle/hooks/validate-service.sh']).toBe(fs.readFileSync(path.join(ASSETS, 'validate-service.sh'), 'utf8'));
  });

  test('one generated user-<event>.sh per event with commands, in lifecycle order', () => {
    const files = releaseToolFiles({
      ...OPTIONS,
      hookCommands: { AfterAllowTraffic: ['logger done'], BeforeInstall: ['mkdir -p /var/cache/app'], ApplicationStart: [] },
    });
    expect(files.filter((f) => f.path.includes('/user-')).map((f) => [f.path, f.executable])).toEqual([
      ['bundle/hooks/user-BeforeInstall.sh', true],
      ['bundle/hooks/user-AfterAllowTraffic.sh', true],
    ]);
  });

  test('user commands are written verbatim after a strict-mode header', () => {
    const commands = ['echo "it\'s $HOSTNAME"', 'if true; then\n  systemctl restart app\nfi', 'exit 0'];
    const hook = releaseToolFiles({ ...OPTIONS, hookCommands: { ApplicationStart: commands } })
      .find((f) => f.path === 'bundle/hooks/user-ApplicationStart.sh')!;
    const lines = hook.content.split('\n');
    expect(lines[0]).toBe('#!/usr/bin/env bash');
    expect(lines.indexOf('set -euo pipefail')).toBeGreaterThan(0);
    expect(hook.content).toContain(`set -euo pipefail\n\n${commands.join('\n')}\n`);
  });

  test('settings.env carries the values, quoted so that bash reads them back exactly', () => {
    const options = { ...OPTIONS, webRoot: "/srv/it's/current", healthCheckPath: '/health?full=1&x=$y' };
    const settings = releaseToolFiles(options).find((f) => f.path === 'bundle/settings.env')!;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-settings-'));
    try {
      fs.writeFileSync(path.join(tmp, 'settings.env'), settings.content);
      const out = spawnSync('bash', ['-c', 'set -eu; . "$1"; printf "%s|" "$CDKX_EFS_MOUNT_PATH" "$CDKX_WEB_ROOT" "$CDKX_APPLICATION_PORT" "$CDKX_HEALTH_CHECK_PATH" "$CDKX_VALIDATE_TIMEOUT_SECONDS"', 'bash', path.join(tmp, 'settings.env')], { encoding: 'utf8' });
      expect(out.stderr).toBe('');
      expect(out.stdout).toBe("/mnt/efs|/srv/it's/current|8080|/health?full=1&x=$y|120|");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test.each<[string, Partial<ReleaseBundleOptions>, RegExp]>([
    ['a token in a path', { webRoot: '${Token[TOKEN.12]}' }, /webRoot must be a concrete string/],
    ['a relative path', { efsMountPath: 'mnt/efs' }, /efsMountPath must start with '\/'/],
    ['whitespace in a path', { efsMountPath: '/mnt/my efs' }, /no whitespace/],
    ['a health check path without a slash', { healthCheckPath: 'health' }, /healthCheckPath must start with '\/'/],
    ['a port out of range', { applicationPort: 70000 }, /applicationPort must be a whole number from 1 to 65535, got 70000/],
    ['a fractional timeout', { validateTimeoutSeconds: 1.5 }, /validateTimeoutSeconds must be a whole number/],
    ['a timeout over the CodeDeploy script limit', { validateTimeoutSeconds: 3601 }, /from 1 to 3600/],
    ['an unknown event', { hookCommands: { Install: ['x'] } as any }, /unknown lifecycle event 'Install'/],
  ])('rejects %s', (_, override, message) => {
    expect(() => releaseToolFiles({ ...OPTIONS, ...override })).toThrow(message);
  });
});

describe('renderAppSpec', () => {
  test('version 0.0, os linux, no files section, hooks run as root', () => {
    expect(renderAppSpec({ ...OPTIONS, hookCommands: { AfterInstall: ['a'], ValidateService: ['b'] } })).toBe([
      'version: 0.0',
      'os: linux',
      'hooks:',
      '  AfterInstall:',
      '    - location: hooks/switch-color.sh',
      '      timeout: 300',
      '      runas: root',
      '    - location: hooks/user-AfterInstall.sh',
      '      timeout: 900',
      '      runas: root',
      '  ValidateService:',
      '    - location: hooks/user-ValidateService.sh',
      '      timeout: 900',
      '      runas: root',
      '    - location: hooks/validate-service.sh',
      '      timeout: 180',
      '      runas: root',
      '',
    ].join('\n'));
  });

  test('without user commands only the built-in hooks run', () => {
    expect(appSpecHooks(renderAppSpec(OPTIONS))).toEqual({
      AfterInstall: ['hooks/switch-color.sh 300 root'],
      ValidateService: ['hooks/validate-service.sh 180 root'],
    });
  });

  test('every event in lifecycle order; switch-color before the user AfterInstall, validate-service after the user ValidateService', () => {
    const hookCommands = Object.fromEntries([...HOOK_EVENTS].reverse().map((e) => [e, [`echo ${e}`]]));
    const hooks = appSpecHooks(renderAppSpec({ ...OPTIONS, validateTimeoutSeconds: 30, hookCommands }));
    expect(Object.keys(hooks)).toEqual([...HOOK_EVENTS]);
    expect(hooks.AfterInstall).toEqual(['hooks/switch-color.sh 300 root', 'hooks/user-AfterInstall.sh 900 root']);
    expect(hooks.ValidateService).toEqual(['hooks/user-ValidateService.sh 900 root', 'hooks/validate-service.sh 90 root']);
    for (const event of ['BeforeInstall', 'ApplicationStart', 'BeforeAllowTraffic', 'AfterAllowTraffic']) {
      expect(hooks[event]).toEqual([`hooks/user-${event}.sh 900 root`]);
    }
  });

  test('the validate-service hook gets 60 s more than its own deadline, within the 3600 s CodeDeploy limit', () => {
    expect(appSpecHooks(renderAppSpec({ ...OPTIONS, validateTimeoutSeconds: 600 })).ValidateService).toEqual(['hooks/validate-service.sh 660 root']);
    expect(appSpecHooks(renderAppSpec({ ...OPTIONS, validateTimeoutSeconds: 3600 })).ValidateService).toEqual(['hooks/validate-service.sh 3600 root']);
  });

  test('every hook location is a file of the bundle', () => {
    const hookCommands = Object.fromEntries(HOOK_EVENTS.map((e) => [e, ['true']]));
    const files = releaseToolFiles({ ...OPTIONS, hookCommands });
    const bundlePaths = new Set(files.filter((f) => f.path.startsWith('bundle/')).map((f) => f.path.slice('bundle/'.length)));
    const appSpec = files.find((f) => f.path === 'bundle/appspec.yml')!.content;
    const locations = Object.values(appSpecHooks(appSpec)).flat().map((e) => e.split(' ')[0]);
    expect(locations).toHaveLength(8);
    for (const location of locations) expect(bundlePaths.has(location)).toBe(true);
  });
});

describe('instanceBootCommands', () => {
  const BOOT: InstanceBootOptions = {
    fileSystemId: 'fs-0123456789abcdef0',
    accessPointId: 'fsap-0aaaabbbbccccdddd',
    region: 'eu-west-1',
    liveParameterName: '/shop/live',
    efsMountPath: '/mnt/efs',
    webRoot: '/var/www/current',
    applicationPort: 8080,
    healthCheckPath: '/health.html',
    defaultWebServer: true,
    additionalCommands: ['echo extra-one', 'echo extra-two'],
  };
  const indexOf = (lines: string[], pattern: RegExp) => {
    const i = lines.findIndex((l) => pattern.test(l));
    if (i < 0) throw new Error(`no line matches ${pattern}`);
    return i;
  };

  test('before the first release a placeholder answers the health check path', () => {
    const lines = instanceBootCommands(BOOT);
    expect(lines).toContain("CDKX_HEALTH_CHECK_PATH='/health.html'");
    const placeholder = indexOf(lines, /serve_dir=\/var\/www\/cdkx-placeholder/);
    expect(indexOf(lines, /ls -A "\$serve_dir"/)).toBeLessThan(placeholder);
    expect(indexOf(lines, /health_file="\$serve_dir\$CDKX_HEALTH_CHECK_PATH"/)).toBeGreaterThan(placeholder);
    expect(indexOf(lines, /ln -sfn "\$serve_dir"/)).toBeGreaterThan(placeholder);
    expect(indexOf(lines, /enable --now codedeploy-agent/)).toBeGreaterThan(placeholder);
  });

  test('strict mode first; values assigned once, single-quoted', () => {
    const lines = instanceBootCommands(BOOT);
    expect(lines[0]).toBe('set -euo pipefail');
    expect(lines).toEqual(expect.arrayContaining([
      "CDKX_REGION='eu-west-1'",
      "CDKX_LIVE_PARAMETER='/shop/live'",
      "CDKX_EFS_MOUNT_PATH='/mnt/efs'",
      "CDKX_WEB_ROOT='/var/www/current'",
    ]));
  });

  test('fstab mounts the application access point with efs-utils: tls, iam, _netdev, noresvport, read-only; mounted with retries', () => {
    const lines = instanceBootCommands(BOOT);
    const fstab = 'fs-0123456789abcdef0:/ /mnt/efs efs _netdev,noresvport,tls,iam,accesspoint=fsap-0aaaabbbbccccdddd,ro 0 0';
    expect(lines).toContain(`grep -qF '${fstab}' /etc/fstab || echo '${fstab}' >>/etc/fstab`);
    expect(lines[indexOf(lines, /^retry dnf install/)]).toContain('amazon-efs-utils');
    expect(lines).toContain('retry mount_efs');
  });

  test('order: mount, LIVE, web root, nginx, additional commands, then the agent with its drop-in, started last', () => {
    const lines = instanceBootCommands(BOOT);
    const order = [
      indexOf(lines, /^retry mount_efs$/),
      indexOf(lines, /aws ssm get-parameter .*--name "\$CDKX_LIVE_PARAMETER"/),
      indexOf(lines, /^mv -Tf .* "\$CDKX_WEB_ROOT"$/),
      indexOf(lines, /^systemctl enable --now nginx$/),
      indexOf(lines, /^echo extra-one$/),
      indexOf(lines, /^echo extra-two$/),
      indexOf(lines, /codedeploy-agent\.service\.d\/cdkx-efs\.conf$/),
      indexOf(lines, /aws-codedeploy-\$CDKX_REGION\.s3\.\$CDKX_REGION\.\$s3_suffix\/latest\/install/),
      indexOf(lines, /^retry "\$installer" auto$/),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(lines[lines.length - 1]).toBe('systemctl enable --now codedeploy-agent');
    expect(lines.join('\n')).toContain("printf '[Unit]\\nRequiresMountsFor=%s\\n' \"$CDKX_EFS_MOUNT_PATH\" >/etc/systemd/system/codedeploy-agent.service.d/cdkx-efs.conf");
  });

  test('nginx serves the web root on the application port, and waits for EFS too', () => {
    const script = instanceBootCommands(BOOT).join('\n');
    expect(script).toContain('listen 8080 default_server;');
    expect(script).toContain('root /var/www/current;');
    expect(script).toContain('/etc/systemd/system/nginx.service.d/cdkx-efs.conf');
    expect(script).toMatch(/^retry dnf install -y -q amazon-efs-utils ruby wget nginx$/m);
  });

  test('without the default web server there is no nginx at all', () => {
    const script = instanceBootCommands({ ...BOOT, defaultWebServer: false, additionalCommands: [] }).join('\n');
    expect(script).not.toMatch(/nginx/);
    expect(script).not.toContain('Additional commands');
  });

  test('token values stay whole inside single quotes', () => {
    const token = (n: number) => `\${Token[TOKEN.${n}]}`;
    const lines = instanceBootCommands({ ...BOOT, fileSystemId: token(1), accessPointId: token(2), region: token(3), liveParameterName: token(4) });
    expect(lines).toContain(`CDKX_REGION='${token(3)}'`);
    expect(lines).toContain(`CDKX_LIVE_PARAMETER='${token(4)}'`);
    const fstab = `${token(1)}:/ /mnt/efs efs _netdev,noresvport,tls,iam,accesspoint=${token(2)},ro 0 0`;
    expect(lines).toContain(`grep -qF '${fstab}' /etc/fstab || echo '${fstab}' >>/etc/fstab`);
  });
});
