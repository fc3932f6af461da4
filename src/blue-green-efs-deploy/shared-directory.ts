/**
 * Pure: the rules of BlueGreenEfsDeploy's shared directory (where the fleet
 * mounts it, whose identity it writes with). No constructs; values may be
 * tokens, which are accepted and left to AWS.
 */
import { Token } from 'aws-cdk-lib';
import { Problem } from '../shared/validation';

/** The shared directory's root on the file system, outside `/app` (which holds the colors). */
export const SHARED_DIRECTORY = '/shared';

/** POSIX owner of the shared directory when none is given. */
export const DEFAULT_SHARED_OWNER = { uid: '1000', gid: '1000' };

/** A plain absolute path: segments of letters, digits, '.', '_', '-', '@' and '+'; no spaces, quotes or trailing '/'. */
const PLAIN_ABSOLUTE_PATH = /^(\/[A-Za-z0-9._@+-]+)+$/;

/** Directories of the operating system that a mount must neither be nor hide. */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr'];
const SYSTEM_DIRECTORIES = ['/home', '/media', '/mnt', '/opt', '/root', '/srv', '/tmp', '/var', '/var/lib', '/var/log', '/var/www'];

/** Largest POSIX id EFS accepts in an access point. */
const MAX_POSIX_ID = 4294967295;

/** Paths of the instance that the shared directory must stay clear of, each with what it is. */
export interface ReservedInstancePath {
  readonly path: string;
  readonly what: string;
}

/** What the user asked for, after defaults. */
export interface SharedDirectorySettings {
  readonly mountPath: string;
  readonly uid: string;
  readonly gid: string;
  readonly secondaryGids?: readonly string[];
}

/** Everything wrong with the shared directory, each with its fix. */
export function sharedDirectoryProblems(s: SharedDirectorySettings, reserved: readonly ReservedInstancePath[]): Problem[] {
  return [...mountPathProblems(s.mountPath, reserved), ...posixUserProblems(s)];
}

function mountPathProblems(mountPath: string, reserved: readonly ReservedInstancePath[]): Problem[] {
  const property = 'sharedDirectory.mountPath';
  if (Token.isUnresolved(mountPath)) return [];
  const problem = (reason: string, fix: string): Problem[] => [{ property, value: mountPath, reason, fix }];
  if (!mountPath.startsWith('/')) {
    return problem('the instances mount the shared directory at an absolute path', `start it with '/', e.g. '/${mountPath.replace(/^[./]+/, '')}'`);
  }
  if (mountPath.split('/').some((segment) => segment === '.' || segment === '..')) {
    return problem("'.' and '..' make the path mean something else than it says", "write the path without '.' or '..' segments, e.g. '/var/www/shared'");
  }
  if (!PLAIN_ABSOLUTE_PATH.test(mountPath)) {
    return problem(
      "a mount path for /etc/fstab is '/'-separated segments of letters, digits, '.', '_', '-', '@' or '+', without spaces, quotes, empty segments or a trailing '/'",
      "e.g. '/var/www/shared'",
    );
  }
  const overlap = reserved.find((r) => within(mountPath, r.path) || within(r.path, mountPath));
  if (overlap) {
    return problem(
      `overlaps ${overlap.path}, ${overlap.what}: one mount would hide or be hidden by the other`,
      `mount it beside them, outside ${overlap.path}, e.g. '/var/www/shared'`,
    );
  }
  const tree = SYSTEM_TREES.find((t) => within(mountPath, t));
  if (tree || SYSTEM_DIRECTORIES.includes(mountPath)) {
    return problem(
      `is ${tree ? `inside ${tree}, a directory` : 'a directory'} of the operating system, which a mount would hide`,
      "choose a directory of its own, e.g. '/var/www/shared' or '/srv/shared'",
    );
  }
  return [];
}

function posixUserProblems(s: SharedDirectorySettings): Problem[] {
  const ids: Array<[string, string]> = [
    ['sharedDirectory.posixUser.uid', s.uid],
    ['sharedDirectory.posixUser.gid', s.gid],
    ...(s.secondaryGids ?? []).map((gid, i): [string, string] => [`sharedDirectory.posixUser.secondaryGids[${i}]`, gid]),
  ];
  return ids.flatMap(([property, value]): Problem[] => {
    if (Token.isUnresolved(value)) return [];
    if (!/^\d+$/.test(value) || Number(value) > MAX_POSIX_ID) {
      return [{ property, value, reason: `is not a POSIX id (a whole number from 1 to ${MAX_POSIX_ID})`, fix: "use the numeric id, e.g. '1000' (`id -u <user>` on an instance)" }];
    }
    if (Number(value) === 0) {
      return [{ property, value, reason: 'is root, and the file system denies root access to every client', fix: "use the id of an unprivileged user, e.g. '1000'" }];
    }
    return [];
  });
}

/** Whether `path` is `ancestor` or inside it (both plain absolute paths). */
function within(path: string, ancestor: string): boolean {
  return path === ancestor || path.startsWith(ancestor.endsWith('/') ? ancestor : `${ancestor}/`);
}
