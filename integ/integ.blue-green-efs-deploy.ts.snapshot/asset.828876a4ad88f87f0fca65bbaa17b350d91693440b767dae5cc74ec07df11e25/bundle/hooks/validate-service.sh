#!/usr/bin/env bash
# validate-service.sh: CodeDeploy ValidateService hook of BlueGreenEfsDeploy.
# Asks the local web server for the health check path until it answers 2xx/3xx,
# so a broken release fails here (and rolls back) before it gets traffic.
#
# Environment (all optional; tests redirect them):
#   CDKX_BUNDLE_ROOT    bundle directory (default: the parent of this script's directory)
#   CDKX_SETTINGS_FILE  default <bundle root>/settings.env, providing
#     CDKX_APPLICATION_PORT, CDKX_HEALTH_CHECK_PATH, CDKX_VALIDATE_TIMEOUT_SECONDS,
#     and optionally CDKX_VALIDATE_HOST (127.0.0.1), CDKX_VALIDATE_INTERVAL_SECONDS (5),
#     CDKX_VALIDATE_REQUEST_TIMEOUT_SECONDS (5)
set -euo pipefail

log() { echo "validate-service: $*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

bundle_root="${CDKX_BUNDLE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
settings_file="${CDKX_SETTINGS_FILE:-$bundle_root/settings.env}"
[ -f "$settings_file" ] || fail "settings file $settings_file not found"
# shellcheck source=/dev/null
. "$settings_file"

port="${CDKX_APPLICATION_PORT:?missing in $settings_file}"
health_path="${CDKX_HEALTH_CHECK_PATH:-/}"
timeout="${CDKX_VALIDATE_TIMEOUT_SECONDS:-300}"
host="${CDKX_VALIDATE_HOST:-127.0.0.1}"
interval="${CDKX_VALIDATE_INTERVAL_SECONDS:-5}"
request_timeout="${CDKX_VALIDATE_REQUEST_TIMEOUT_SECONDS:-5}"

url="http://$host:$port$health_path"
deadline=$((SECONDS + timeout))
attempt=0
while :; do
  attempt=$((attempt + 1))
  # No -f/-L: the status code itself decides; a redirect counts as healthy.
  code="$(curl -sS -o /dev/null -w '%{http_code}' -m "$request_timeout" "$url" 2>/dev/null || true)"
  case "$code" in
    2?? | 3??)
      log "$url answered $code (attempt $attempt)"
      exit 0
      ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "$url not healthy after ${timeout}s ($attempt attempts, last answer: ${code:-none}, 000 = no response)"
  fi
  sleep "$interval"
done
