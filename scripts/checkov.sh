#!/usr/bin/env bash
# Scans every CloudFormation template of the committed integ snapshots with Checkov
# and fails on any finding that test/checkov-skips.txt does not accept with a
# reason (scripts/checkov-gate.mjs judges the report; it also refuses a malformed
# or stale skip list). integ:verify runs first in `npm test` and proves the
# snapshots equal what the integ apps synthesize now. The demo's templates
# (cdk.out, written by `npm run demo`) are scanned too when they are newer than
# every file under src/ and demo/, and skipped with a note otherwise.
#
# Checkov comes from PyPI into its own virtualenv, .venv/checkov (git- and
# npm-ignored with .venv), so its dependencies never touch cfn-lint's in .venv.
# It runs offline: --skip-download keeps it from fetching Prisma Cloud / Bridgecrew
# mappings, no API key is passed on, and a timeout bounds the run.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION="3.3.30"
VENV=".venv/checkov"
SKIPS="test/checkov-skips.txt"
TIMEOUT="600"
# Written only after a complete install, so an interrupted one is redone.
MARKER="$VENV/.installed-checkov-$CHECKOV_VERSION"

if [ ! -f "$MARKER" ] || [ ! -x "$VENV/bin/checkov" ]; then
  echo "checkov: installing checkov==$CHECKOV_VERSION into $VENV (about a minute, once)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  touch "$MARKER"
fi

mapfile -t templates < <(find integ -path '*.snapshot/*' -name '*.template.json' | sort)
if [ "${#templates[@]}" -eq 0 ]; then
  echo "checkov: no snapshot templates found under integ/" >&2
  exit 1
fi
if [ -f cdk.out/manifest.json ]; then
  if [ -z "$(find src demo -newer cdk.out/manifest.json -print -quit)" ]; then
    mapfile -t demo < <(find cdk.out -maxdepth 1 -name '*.template.json' | sort)
    templates+=("${demo[@]}")
    echo "checkov: including ${#demo[@]} demo templates from cdk.out"
  else
    echo "checkov: cdk.out is older than src/ or demo/, demo templates not scanned (run 'npm run demo' to include them)"
  fi
fi

args=()
for template in "${templates[@]}"; do args+=(--file "$template"); done

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
echo "checkov: scanning ${#templates[@]} templates"
# Exit 1 means "failed checks", which the gate judges; anything else is Checkov
# itself failing. No API key, no platform, no downloads, whatever the caller's env.
set +e
env -u BC_API_KEY -u PRISMA_API_URL -u CKV_CHECK -u CKV_SKIP_CHECK BC_SKIP_MAPPING=TRUE \
  timeout "$TIMEOUT" "$VENV/bin/checkov" "${args[@]}" \
    --framework cloudformation --skip-download --quiet --compact --output json >"$report"
status=$?
set -e
if [ "$status" -eq 124 ]; then
  echo "checkov: Checkov did not finish within ${TIMEOUT}s" >&2
  exit "$status"
elif [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
  echo "checkov: Checkov itself failed (exit $status)" >&2
  exit "$status"
fi

node scripts/checkov-gate.mjs "$SKIPS" "$report"
