/**
 * User data of BlueGreenEfsDeploy's web instances (Amazon Linux 2023), as
 * lines of bash. Pure: values may be CDK tokens and are only ever placed
 * inside single quotes, where a token's text stays one piece.
 *
 * Order matters: EFS is mounted, the web root points at the LIVE color and the
 * web server runs BEFORE the CodeDeploy agent starts, so a deployment never
 * runs hooks against an instance without its code. The agent's systemd
 * drop-in keeps that order after reboots.
 */
import { CODEDEPLOY_AGENT_INSTALL_LINES } from '../../shared/codedeploy-agent';

export interface InstanceBootOptions {
  readonly fileSystemId: string;
  /** The application access point (sees blue/ and green/), mounted read-only. */
  readonly accessPointId: string;
  readonly region: string;
  readonly liveParameterName: string;
  readonly efsMountPath: string;
  readonly webRoot: string;
  readonly applicationPort: number;
  /** Path the load balancer checks; a placeholder answers it until the first release. */
  readonly healthCheckPath: string;
  /** Install nginx serving the web root on the application port. */
  readonly defaultWebServer: boolean;
  /** Run as root after the web root is in place and before the agent starts. */
  readonly additionalCommands: readonly string[];
  /** The fleet's writable directory, mounted read-write through its own access point. @default - none */
  readonly sharedDirectory?: SharedMountOptions;
}

/** A read-write mount of the shared directory's access point. */
export interface SharedMountOptions {
  readonly accessPointId: string;
  readonly mountPath: string;
}

/** What the web root points at before the first release: a placeholder answering the health check. */
export const PLACEHOLDER_ROOT = '/var/www/cdkx-placeholder';

/** Lines for EC2 user data (UserData.forLinux adds the shebang). */
export function instanceBootCommands(options: InstanceBootOptions): string[] {
  const fstabLine = `${options.fileSystemId}:/ ${options.efsMountPath} efs _netdev,noresvport,tls,iam,accesspoint=${options.accessPointId},ro 0 0`;
  const shared = options.sharedDirectory;
  return [
    'set -euo pipefail',
    '# BlueGreenEfsDeploy instance boot.',
    `CDKX_REGION=${q(options.region)}`,
    `CDKX_LIVE_PARAMETER=${q(options.liveParameterName)}`,
    `CDKX_EFS_MOUNT_PATH=${q(options.efsMountPath)}`,
    `CDKX_WEB_ROOT=${q(options.webRoot)}`,
    `CDKX_HEALTH_CHECK_PATH=${q(options.healthCheckPath)}`,
    ...(shared ? [`CDKX_SHARED_MOUNT_PATH=${q(shared.mountPath)}`] : []),
    '# AWS CLI v2 may page its output; user data has no terminal.',
    'export AWS_PAGER=""',
    '',
    '# retry <command...>: boot-time calls race IAM, DNS and mount target readiness.',
    'retry() {',
    '  local attempt=1',
    '  until "$@"; do',
    '    if [ "$attempt" -ge 10 ]; then echo "cdkx-boot: giving up on: $*" >&2; return 1; fi',
    '    echo "cdkx-boot: retrying ($attempt): $*" >&2',
    '    sleep $((attempt * 3))',
    '    attempt=$((attempt + 1))',
    '  done',
    '}',
    '',
    `retry dnf install -y -q amazon-efs-utils ruby wget${options.defaultWebServer ? ' nginx' : ''}`,
    'command -v aws >/dev/null 2>&1 || retry dnf install -y -q awscli-2',
    '',
    '# EFS: amazon-efs-utils with TLS (required for access points) and IAM auth; _netdev waits',
    '# for the network at boot, noresvport reconnects on a new port after a network blip.',
    '# The region for efs-utils, so mounting does not depend on reaching instance metadata.',
    'efs_conf=/etc/amazon/efs/efs-utils.conf',
    'if [ -f "$efs_conf" ]; then sed -i -E "s/^#?region = .*/region = $CDKX_REGION/" "$efs_conf"; fi',
    'mkdir -p "$CDKX_EFS_MOUNT_PATH"',
    `grep -qF ${q(fstabLine)} /etc/fstab || echo ${q(fstabLine)} >>/etc/fstab`,
    'mount_efs() { mountpoint -q "$CDKX_EFS_MOUNT_PATH" || mount "$CDKX_EFS_MOUNT_PATH"; }',
    'retry mount_efs',
    ...(shared ? sharedMountCommands(options.fileSystemId, shared) : []),
    '',
    '# Serve the LIVE color until a deployment switches this instance (switch-color hook).',
    'read_live() { aws ssm get-parameter --region "$CDKX_REGION" --name "$CDKX_LIVE_PARAMETER" --query Parameter.Value --output text; }',
    'live_json="$(retry read_live)"',
    'live_color="$(python3 -c \'import json, sys; print(json.loads(sys.argv[1]).get("color", ""))\' "$live_json")"',
    'case "$live_color" in',
    '  blue | green) ;;',
    '  *) echo "cdkx-boot: LIVE parameter $CDKX_LIVE_PARAMETER holds no valid color: $live_json" >&2; exit 1 ;;',
    'esac',
    'if [ -e "$CDKX_WEB_ROOT" ] && [ ! -L "$CDKX_WEB_ROOT" ]; then',
    '  echo "cdkx-boot: $CDKX_WEB_ROOT exists and is not a symlink" >&2; exit 1',
    'fi',
    'mkdir -p "$(dirname "$CDKX_WEB_ROOT")"',
    'serve_dir="${CDKX_EFS_MOUNT_PATH%/}/$live_color"',
    '# Before the first release the live color is empty: serve a placeholder that answers the',
    '# health check, or the fleet would be unhealthy and its alarm would stop the first release.',
    'if [ ! -d "$serve_dir" ] || [ -z "$(ls -A "$serve_dir" 2>/dev/null)" ]; then',
    `  serve_dir=${PLACEHOLDER_ROOT}`,
    '  health_file="$serve_dir$CDKX_HEALTH_CHECK_PATH"',
    '  case "$health_file" in */) health_file="${health_file}index.html" ;; esac',
    '  mkdir -p "$(dirname "$health_file")"',
    '  echo "No release has been published yet." >"$health_file"',
    'fi',
    '# A new link renamed over the old one: atomic, never a missing web root.',
    'ln -sfn "$serve_dir" "$CDKX_WEB_ROOT.boot-$$"',
    'mv -Tf "$CDKX_WEB_ROOT.boot-$$" "$CDKX_WEB_ROOT"',
    '',
    ...(options.defaultWebServer ? nginxCommands(options) : []),
    ...(options.additionalCommands.length > 0 ? ['# Additional commands (BlueGreenEfsDeploy props).', ...options.additionalCommands, ''] : []),
    '# CodeDeploy agent last. The drop-in makes systemd start it only once EFS is',
    '# mounted, also after a reboot; the installer starts it right away.',
    ...requiresMount('codedeploy-agent', shared !== undefined),
    ...CODEDEPLOY_AGENT_INSTALL_LINES,
  ];
}

/** nginx serving the web root on the port; the whole nginx.conf, so the stock port-80 server cannot collide. */
function nginxCommands(options: InstanceBootOptions): string[] {
  const port = String(options.applicationPort);
  return [
    '# Default web server: nginx serving the web root (symlinks are followed per request).',
    "cat >/etc/nginx/nginx.conf <<'CDKX_NGINX'",
    'user nginx;',
    'worker_processes auto;',
    'error_log /var/log/nginx/error.log notice;',
    'pid /run/nginx.pid;',
    'include /usr/share/nginx/modules/*.conf;',
    'events { worker_connections 1024; }',
    'http {',
    '  include /etc/nginx/mime.types;',
    '  default_type application/octet-stream;',
    '  access_log /var/log/nginx/access.log;',
    '  sendfile on;',
    '  server {',
    `    listen ${port} default_server;`,
    `    listen [::]:${port} default_server;`,
    `    root ${options.webRoot};`,
    '    index index.html;',
    '    location / { try_files $uri $uri/ =404; }',
    '  }',
    '}',
    'CDKX_NGINX',
    ...requiresMount('nginx', options.sharedDirectory !== undefined),
    'systemctl enable --now nginx',
    '',
  ];
}

/**
 * The shared directory, read-write: the same efs-utils options as the release
 * mount (TLS, IAM, _netdev, noresvport), through the shared access point,
 * whose POSIX user every write runs as.
 */
function sharedMountCommands(fileSystemId: string, shared: SharedMountOptions): string[] {
  const fstabLine = `${fileSystemId}:/ ${shared.mountPath} efs _netdev,noresvport,tls,iam,accesspoint=${shared.accessPointId},rw 0 0`;
  return [
    '# Shared directory: read-write through its own access point, the same for every instance and',
    '# color; releases never write it.',
    'mkdir -p "$CDKX_SHARED_MOUNT_PATH"',
    `grep -qF ${q(fstabLine)} /etc/fstab || echo ${q(fstabLine)} >>/etc/fstab`,
    'mount_shared() { mountpoint -q "$CDKX_SHARED_MOUNT_PATH" || mount "$CDKX_SHARED_MOUNT_PATH"; }',
    'retry mount_shared',
  ];
}

/** A systemd drop-in: the unit starts only after the EFS mounts are up (and stops with them). */
function requiresMount(unit: string, shared: boolean): string[] {
  const mounts = shared ? ['%s %s', '"$CDKX_EFS_MOUNT_PATH" "$CDKX_SHARED_MOUNT_PATH"'] : ['%s', '"$CDKX_EFS_MOUNT_PATH"'];
  return [
    `mkdir -p /etc/systemd/system/${unit}.service.d`,
    `printf '[Unit]\\nRequiresMountsFor=${mounts[0]}\\n' ${mounts[1]} >/etc/systemd/system/${unit}.service.d/cdkx-efs.conf`,
    'systemctl daemon-reload',
  ];
}

/** Single-quoted for bash; a token's text has no quote, so it is never split. */
function q(value: string): string {
  return `'${value.replace(/'/g, '\'\\\'\'')}'`;
}
