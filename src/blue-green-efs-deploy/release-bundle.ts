/**
 * The release-tools asset of BlueGreenEfsDeploy, as plain files: the sync
 * script the release build runs, and the CodeDeploy bundle template it copies
 * (appspec.yml, hook scripts, settings.env). Pure: no CDK, only the asset
 * scripts read from disk.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MAX_HOOK_TIMEOUT_SECONDS } from './codedeploy-limits';

/** The EC2 blue/green lifecycle events a user may add commands to, in the order CodeDeploy runs them. */
export const HOOK_EVENTS = ['BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService', 'BeforeAllowTraffic', 'AfterAllowTraffic'] as const;
export type HookEvent = typeof HOOK_EVENTS[number];

export interface ReleaseBundleOptions {
  /** Where instances mount the application access point (holds blue/ and green/). */
  readonly efsMountPath: string;
  /** The symlink the web server serves; switch-color points it at <efsMountPath>/<color>. */
  readonly webRoot: string;
  readonly applicationPort: number;
  readonly healthCheckPath: string;
  /** How long validate-service waits for a healthy answer. */
  readonly validateTimeoutSeconds: number;
  /** Commands per lifecycle event, run as root on the replacement instances. */
  readonly hookCommands: Partial<Record<HookEvent, readonly string[]>>;
}

export interface ReleaseFile {
  /** Relative to the asset root, '/'-separated. */
  readonly path: string;
  readonly content: string;
  readonly executable: boolean;
}

interface HookEntry {
  readonly location: string;
  readonly timeout: number;
}

/** Directory of the shipped scripts: src/.../assets under ts-jest, lib/.../assets once compiled. */
const ASSETS_DIR = path.join(__dirname, 'assets');

const SWITCH_COLOR_TIMEOUT_SECONDS = 300;
/** CodeDeploy allows up to 3600 s per script; user commands usually install or restart things. */
const USER_HOOK_TIMEOUT_SECONDS = 900;
/** Slack above the script's own deadline, so its clear message wins over CodeDeploy's timeout. */
const VALIDATE_SLACK_SECONDS = 60;

/**
 * Files of the release-tools asset: release-tools/sync-release.sh, bundle/appspec.yml,
 * bundle/hooks/*.sh (switch-color, validate-service, and one generated user-<event>.sh
 * per event with user commands), bundle/settings.env.
 */
export function releaseToolFiles(options: ReleaseBundleOptions): ReleaseFile[] {
  checkOptions(options);
  const files: ReleaseFile[] = [
    { path: 'release-tools/sync-release.sh', content: readAsset('sync-release.sh'), executable: true },
    { path: 'bundle/appspec.yml', content: renderAppSpec(options), executable: false },
    { path: 'bundle/hooks/switch-color.sh', content: readAsset('switch-color.sh'), executable: true },
    { path: 'bundle/hooks/validate-service.sh', content: readAsset('validate-service.sh'), executable: true },
  ];
  for (const event of eventsWithUserCommands(options)) {
    files.push({ path: `bundle/${userHookLocation(event)}`, content: renderUserHook(event, options.hookCommands[event]!), executable: true });
  }
  files.push({ path: 'bundle/settings.env', content: renderSettings(options), executable: false });
  return files;
}

/** appspec.yml for EC2/on-premises: version 0.0, os linux, hooks run as root. No `files`: the code lives on EFS. */
export function renderAppSpec(options: ReleaseBundleOptions): string {
  checkOptions(options);
  const lines = ['version: 0.0', 'os: linux', 'hooks:'];
  for (const event of HOOK_EVENTS) {
    const entries = hookEntries(event, options);
    if (entries.length === 0) continue;
    lines.push(`  ${event}:`);
    for (const entry of entries) {
      lines.push(`    - location: ${entry.location}`, `      timeout: ${entry.timeout}`, '      runas: root');
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Scripts of one event in run order: the web root must point at the new color
 * before the user's AfterInstall commands, and the built-in health check runs
 * after the user's ValidateService commands (which may warm the service up).
 */
function hookEntries(event: HookEvent, options: ReleaseBundleOptions): HookEntry[] {
  const user: HookEntry[] = hasUserCommands(options, event)
    ? [{ location: userHookLocation(event), timeout: USER_HOOK_TIMEOUT_SECONDS }]
    : [];
  switch (event) {
    case 'AfterInstall':
      return [{ location: 'hooks/switch-color.sh', timeout: SWITCH_COLOR_TIMEOUT_SECONDS }, ...user];
    case 'ValidateService':
      return [...user, {
        location: 'hooks/validate-service.sh',
        timeout: Math.min(options.validateTimeoutSeconds + VALIDATE_SLACK_SECONDS, MAX_HOOK_TIMEOUT_SECONDS),
      }];
    default:
      return user;
  }
}

function userHookLocation(event: HookEvent): string {
  return `hooks/user-${event}.sh`;
}

function hasUserCommands(options: ReleaseBundleOptions, event: HookEvent): boolean {
  return (options.hookCommands[event] ?? []).length > 0;
}

function eventsWithUserCommands(options: ReleaseBundleOptions): HookEvent[] {
  return HOOK_EVENTS.filter((event) => hasUserCommands(options, event));
}

/** The user's commands verbatim (trusted author input) under a strict-mode header. */
function renderUserHook(event: HookEvent, commands: readonly string[]): string {
  return [
    '#!/usr/bin/env bash',
    `# ${event} commands of BlueGreenEfsDeploy (generated from hookCommands).`,
    'set -euo pipefail',
    '',
    ...commands,
    '',
  ].join('\n');
}

/** Sourced by the hook scripts; values single-quoted for bash. */
function renderSettings(options: ReleaseBundleOptions): string {
  const values: Array<[string, string]> = [
    ['CDKX_EFS_MOUNT_PATH', options.efsMountPath],
    ['CDKX_WEB_ROOT', options.webRoot],
    ['CDKX_APPLICATION_PORT', String(options.applicationPort)],
    ['CDKX_HEALTH_CHECK_PATH', options.healthCheckPath],
    ['CDKX_VALIDATE_TIMEOUT_SECONDS', String(options.validateTimeoutSeconds)],
  ];
  return [
    '# Settings of BlueGreenEfsDeploy, sourced by the hook scripts.',
    ...values.map(([key, value]) => `${key}=${shellQuote(value)}`),
    '',
  ].join('\n');
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, '\'\\\'\'')}'`;
}

function readAsset(name: string): string {
  return fs.readFileSync(path.join(ASSETS_DIR, name), 'utf8');
}

/**
 * These values end up inside asset files, where an unresolved token would stay
 * literal text: they must be concrete. The construct validates its props with
 * friendlier messages; this guards direct callers.
 */
function checkOptions(options: ReleaseBundleOptions): void {
  for (const [name, value] of [['efsMountPath', options.efsMountPath], ['webRoot', options.webRoot], ['healthCheckPath', options.healthCheckPath]] as const) {
    if (value.includes('${Token[')) {
      throw new Error(`${name} must be a concrete string in the release bundle, got the token ${value}`);
    }
    if (!value.startsWith('/') || /\s/.test(value)) {
      throw new Error(`${name} must start with '/' and contain no whitespace, got '${value}'`);
    }
  }
  for (const [name, value, min, max] of [['applicationPort', options.applicationPort, 1, 65535], ['validateTimeoutSeconds', options.validateTimeoutSeconds, 1, MAX_HOOK_TIMEOUT_SECONDS]] as const) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
    }
  }
  for (const event of Object.keys(options.hookCommands)) {
    if (!(HOOK_EVENTS as readonly string[]).includes(event)) {
      throw new Error(`hookCommands has an unknown lifecycle event '${event}'; use one of ${HOOK_EVENTS.join(', ')}`);
    }
  }
}
