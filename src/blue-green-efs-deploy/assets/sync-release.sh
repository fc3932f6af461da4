#!/usr/bin/env bash
# sync-release.sh: publishes one release of BlueGreenEfsDeploy. Runs in CodeBuild
# (Amazon Linux 2023, privileged, in the VPC of the file system).
#
# 1. Waits until the group's last deployment has settled AND the live-color
#    Lambda has recorded it (its id is in live.settledDeploymentIds): before
#    that, the live color may still be about to flip and "idle" would be a guess.
# 2. idle = the color that is not live; mounts only that color's access point
#    (efs-utils gets the region from the environment: no instance metadata here).
# 3. Re-reads live and refuses if idle has become live meanwhile: this build
#    must never write into the directory that serves traffic.
# 4. rsync --delete, so files removed from the release go offline too.
# 5. Writes PENDING {color, releaseId} (the Lambda flips live to it when the
#    CodeDeploy deployment succeeds) and the CodeDeploy bundle with release.env.
#
# Environment (required): CDKX_APPLICATION_NAME, CDKX_DEPLOYMENT_GROUP_NAME,
#   CDKX_LIVE_PARAMETER, CDKX_PENDING_PARAMETER, CDKX_FILE_SYSTEM_ID,
#   CDKX_BLUE_ACCESS_POINT_ID, CDKX_GREEN_ACCESS_POINT_ID, CDKX_CONTENT_DIR,
#   CDKX_BUNDLE_TEMPLATE_DIR, CDKX_BUNDLE_OUT
#   AWS_REGION (CodeBuild sets it) or AWS_DEFAULT_REGION
# Optional: CDKX_MOUNT_DIR (/mnt/cdkx-release), CDKX_RELEASE_ID ($CODEBUILD_BUILD_ID),
#   CDKX_SETTLE_TIMEOUT_SECONDS (600), CDKX_POLL_SECONDS (10),
#   CDKX_EFS_UTILS_CONFIG (/etc/amazon/efs/efs-utils.conf)
set -euo pipefail

# AWS CLI v2 may page its output; a build has nobody to press q.
export AWS_PAGER=""

log() { echo "sync-release: $*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

require() {
  local name
  for name in "$@"; do
    [ -n "${!name:-}" ] || fail "environment variable $name is required"
  done
}
require CDKX_APPLICATION_NAME CDKX_DEPLOYMENT_GROUP_NAME CDKX_LIVE_PARAMETER CDKX_PENDING_PARAMETER \
  CDKX_FILE_SYSTEM_ID CDKX_BLUE_ACCESS_POINT_ID CDKX_GREEN_ACCESS_POINT_ID \
  CDKX_CONTENT_DIR CDKX_BUNDLE_TEMPLATE_DIR CDKX_BUNDLE_OUT

mount_dir="${CDKX_MOUNT_DIR:-/mnt/cdkx-release}"
release_id="${CDKX_RELEASE_ID:-${CODEBUILD_BUILD_ID:-}}"
settle_timeout="${CDKX_SETTLE_TIMEOUT_SECONDS:-600}"
poll_seconds="${CDKX_POLL_SECONDS:-10}"

[ -n "$release_id" ] || fail "no release id: set CDKX_RELEASE_ID (CodeBuild sets CODEBUILD_BUILD_ID)"
# efs-utils looks the region up in instance metadata, which CodeBuild does not
# have ("Error retrieving region", aws/efs-utils#37): it gets it from its config.
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
[ -n "$region" ] || fail "no AWS region: set AWS_REGION (CodeBuild sets it) or AWS_DEFAULT_REGION; mounting EFS needs it"
[[ "$region" =~ ^[a-z]+(-[a-z]+)+-[0-9]+$ ]] || fail "AWS region '$region' is not a region name"
efs_utils_config="${CDKX_EFS_UTILS_CONFIG:-/etc/amazon/efs/efs-utils.conf}"
[ -d "$CDKX_CONTENT_DIR" ] || fail "content directory $CDKX_CONTENT_DIR does not exist"
[ -f "$CDKX_BUNDLE_TEMPLATE_DIR/appspec.yml" ] || fail "bundle template $CDKX_BUNDLE_TEMPLATE_DIR has no appspec.yml"

# json_get <dotted.path>: prints that field of the JSON on stdin, or nothing when absent.
# python3 ships with Amazon Linux 2023 (jq does not always).
json_get() {
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value.get(key) if isinstance(value, dict) else None
print("" if value is None else value)
' "$1"
}

# Tools the build image may lack; installed only when missing (tests put fakes on PATH).
ensure_command() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null 2>&1 && return 0
  [ -x "/sbin/$command" ] && return 0
  command -v dnf >/dev/null 2>&1 || fail "$command is missing and dnf is not available to install $package"
  log "installing $package"
  dnf install -y -q "$package" >&2
}
ensure_command rsync rsync
ensure_command jq jq
ensure_command mount.efs amazon-efs-utils

# The LIVE parameter value (a JSON document), read fresh each time.
read_live() {
  aws ssm get-parameter --name "$CDKX_LIVE_PARAMETER" --output json | json_get Parameter.Value
}

# live_has_settled <json> <deployment id>: whether the live-color Lambda has
# recorded that deployment. A set, so events it processed out of order cannot
# hide a newer one.
live_has_settled() {
  local status=0
  jq -e --arg id "$2" '[.settledDeploymentIds[]?] | any(. == $id)' \
    <<<"$1" >/dev/null || status=$?
  case "$status" in
    0) return 0 ;;
    1) return 1 ;;
    *) fail "LIVE parameter $CDKX_LIVE_PARAMETER is not the expected JSON: $1" ;;
  esac
}

# The newest recorded deployment, for messages.
newest_settled() {
  jq -r '.settledDeploymentIds[-1]? // "none"' <<<"$1" 2>/dev/null || echo unknown
}

# Sets `region = <region>` in efs-utils' [mount] section: the commented default
# line when there is one (as the instances' boot script does), else a new line.
configure_efs_utils_region() {
  [ -f "$efs_utils_config" ] || fail "efs-utils config $efs_utils_config not found; is amazon-efs-utils installed?"
  if grep -qE '^#?region *=' "$efs_utils_config"; then
    sed -i -E "s/^#?region *=.*/region = $region/" "$efs_utils_config"
  elif grep -q '^\[mount\]' "$efs_utils_config"; then
    sed -i "/^\[mount\]/a region = $region" "$efs_utils_config"
  fi
  grep -qx "region = $region" "$efs_utils_config" ||
    fail "could not set region = $region in $efs_utils_config (no [mount] section?)"
  log "efs-utils region set to $region in $efs_utils_config"
}

live_color_of() {
  local color
  color="$(json_get color <<<"$1")"
  case "$color" in
    blue | green) echo "$color" ;;
    *) fail "LIVE parameter $CDKX_LIVE_PARAMETER holds no valid color: $1" ;;
  esac
}

# Step 1: wait for the last attempted deployment to settle and be recorded.
deadline=$((SECONDS + settle_timeout))
while :; do
  live_json="$(read_live)"
  group_json="$(aws deploy get-deployment-group --application-name "$CDKX_APPLICATION_NAME" \
    --deployment-group-name "$CDKX_DEPLOYMENT_GROUP_NAME" --output json)"
  last_id="$(json_get deploymentGroupInfo.lastAttemptedDeployment.deploymentId <<<"$group_json")"
  last_status="$(json_get deploymentGroupInfo.lastAttemptedDeployment.status <<<"$group_json")"
  if [ -z "$last_id" ]; then
    log "no deployment attempted yet in $CDKX_DEPLOYMENT_GROUP_NAME"
    break
  fi
  case "$last_status" in
    Succeeded | Failed | Stopped)
      if live_has_settled "$live_json" "$last_id"; then
        log "last deployment $last_id settled ($last_status) and recorded in the LIVE parameter"
        break
      fi
      waiting_for="the live-color Lambda to record $last_id (newest recorded in LIVE: $(newest_settled "$live_json"))"
      ;;
    *) waiting_for="deployment $last_id to settle (status $last_status)" ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "timed out after ${settle_timeout}s waiting for $waiting_for. Publishing now could write into the color that is about to go live. Check the deployment in CodeDeploy and the live-color Lambda's logs (EventBridge rule for $CDKX_DEPLOYMENT_GROUP_NAME), then retry."
  fi
  log "waiting for $waiting_for"
  sleep "$poll_seconds"
done

# Step 2: the idle color and its access point.
live_color="$(live_color_of "$live_json")"
if [ "$live_color" = blue ]; then
  idle=green access_point="$CDKX_GREEN_ACCESS_POINT_ID"
else
  idle=blue access_point="$CDKX_BLUE_ACCESS_POINT_ID"
fi
log "live color is $live_color; publishing release $release_id into $idle"

mkdir -p "$mount_dir"
if mountpoint -q "$mount_dir"; then
  fail "$mount_dir is already a mount point; refusing to publish into an unknown file system"
fi
cleanup() {
  if mountpoint -q "$mount_dir"; then
    umount "$mount_dir" || log "could not unmount $mount_dir"
  fi
}
trap cleanup EXIT
configure_efs_utils_region
# tls is required for access points; iam authorizes with the build role.
mount -t efs -o "tls,iam,accesspoint=$access_point" "$CDKX_FILE_SYSTEM_ID:/" "$mount_dir"
mountpoint -q "$mount_dir" || fail "mount of $access_point on $mount_dir did not take effect"

# Step 3: live may have flipped while we waited or mounted (a deployment
# started elsewhere): then "idle" is serving traffic, so stop before writing.
live_json="$(read_live)"
now_live="$(live_color_of "$live_json")"
if [ "$now_live" = "$idle" ]; then
  fail "REFUSING to publish: $idle became the live color after this build chose it. Nothing was written; rerun the release."
fi

# Step 4: mirror the content. --checksum because build inputs often carry
# fixed or reused mtimes (zip artifacts), and a changed file of the same size
# would pass rsync's size+mtime quick check. Ownership is not copied: the
# access point enforces its own POSIX user, so chown would be refused.
rsync -a --delete --checksum --no-owner --no-group "${CDKX_CONTENT_DIR%/}/" "$mount_dir/"
log "published $(find "$mount_dir/" -type f | wc -l) files into $idle"

cleanup
trap - EXIT

# A flip during the rsync means the content went live while half written:
# fail the build so nobody deploys on top of that state unnoticed.
live_json="$(read_live)"
now_live="$(live_color_of "$live_json")"
if [ "$now_live" = "$idle" ]; then
  fail "$idle became live while it was being written; release again to repair it"
fi

# Step 5: announce the pending color, then write the bundle for CodeDeploy.
pending_json="$(python3 -c 'import json, sys; print(json.dumps({"color": sys.argv[1], "releaseId": sys.argv[2]}, separators=(",", ":")))' "$idle" "$release_id")"
aws ssm put-parameter --name "$CDKX_PENDING_PARAMETER" --type String --overwrite --value "$pending_json" >/dev/null
log "PENDING set to $pending_json"

mkdir -p "$CDKX_BUNDLE_OUT"
cp -R "${CDKX_BUNDLE_TEMPLATE_DIR%/}/." "$CDKX_BUNDLE_OUT/"
chmod +x "$CDKX_BUNDLE_OUT"/hooks/*.sh 2>/dev/null || true
{
  echo "# Written by sync-release.sh: the color this bundle switches the web root to."
  printf 'CDKX_COLOR=%q\n' "$idle"
  printf 'CDKX_RELEASE_ID=%q\n' "$release_id"
} >"$CDKX_BUNDLE_OUT/release.env"
log "bundle written to $CDKX_BUNDLE_OUT"
