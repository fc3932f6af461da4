#!/usr/bin/env bash
# switch-color.sh: CodeDeploy AfterInstall hook of BlueGreenEfsDeploy. On each
# replacement instance it points the web root at the color this bundle
# published (release.env, written by sync-release.sh), before the user's
# AfterInstall/ApplicationStart hooks and before any traffic arrives.
#
# Environment (all optional; tests redirect them):
#   CDKX_BUNDLE_ROOT    bundle directory (default: the parent of this script's directory)
#   CDKX_SETTINGS_FILE  default <bundle root>/settings.env  (CDKX_EFS_MOUNT_PATH, CDKX_WEB_ROOT)
#   CDKX_RELEASE_FILE   default <bundle root>/release.env   (CDKX_COLOR, CDKX_RELEASE_ID)
#   CDKX_IMDS_ENDPOINT  default http://169.254.169.254 (instance id for the log only)
set -euo pipefail

log() { echo "switch-color: $*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

bundle_root="${CDKX_BUNDLE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
settings_file="${CDKX_SETTINGS_FILE:-$bundle_root/settings.env}"
release_file="${CDKX_RELEASE_FILE:-$bundle_root/release.env}"
imds="${CDKX_IMDS_ENDPOINT:-http://169.254.169.254}"

[ -f "$settings_file" ] || fail "settings file $settings_file not found"
[ -f "$release_file" ] || fail "release file $release_file not found (the bundle was not built by sync-release.sh)"
# shellcheck source=/dev/null
. "$settings_file"
# shellcheck source=/dev/null
. "$release_file"

: "${CDKX_EFS_MOUNT_PATH:?missing in $settings_file}" "${CDKX_WEB_ROOT:?missing in $settings_file}"
color="${CDKX_COLOR:-}"
case "$color" in
  blue | green) ;;
  *) fail "release file $release_file names no valid color ('$color')" ;;
esac

# IMDSv2 only (a session token first); the instance id is for the log, so a
# metadata failure does not fail the hook.
instance_id="unknown"
if token="$(curl -fsS -m 2 -X PUT "$imds/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' 2>/dev/null)"; then
  instance_id="$(curl -fsS -m 2 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id" 2>/dev/null || echo unknown)"
fi

target="${CDKX_EFS_MOUNT_PATH%/}/$color"
# An empty or missing color directory means EFS is not mounted or the
# release never reached it: serving it would take the site down.
[ -d "$target" ] || fail "$target does not exist (is EFS mounted at $CDKX_EFS_MOUNT_PATH?)"
[ -n "$(ls -A "$target")" ] || fail "$target is empty; refusing to serve an empty release"

web_root="${CDKX_WEB_ROOT%/}"
if [ -e "$web_root" ] && [ ! -L "$web_root" ]; then
  fail "$web_root exists and is not a symlink; move it away so it can point at the release"
fi
mkdir -p "$(dirname "$web_root")"
# rename(2) over the old link is atomic: a request sees the old or the new
# release, never a missing web root.
tmp_link="$web_root.switch-$$"
ln -sfn "$target" "$tmp_link"
mv -Tf "$tmp_link" "$web_root"

log "instance $instance_id: $web_root -> $target (release ${CDKX_RELEASE_ID:-unknown})"
