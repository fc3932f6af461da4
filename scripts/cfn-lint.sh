#!/usr/bin/env bash
# Lints every CloudFormation template of the committed integ snapshots with
# cfn-lint. integ:verify runs first in `npm test` and proves the snapshots equal
# what the integ apps synthesize now, so this lints the current templates.
# cfn-lint comes from PyPI into a project-local virtualenv, created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION="1.58.0"
VENV=".venv"

if ! "$VENV/bin/cfn-lint" --version 2>/dev/null | grep -q "$CFN_LINT_VERSION"; then
  echo "cfn-lint: installing cfn-lint==$CFN_LINT_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
fi

mapfile -t templates < <(find integ -path '*.snapshot/*' -name '*.template.json' | sort)
if [ "${#templates[@]}" -eq 0 ]; then
  echo "cfn-lint: no snapshot templates found under integ/" >&2
  exit 1
fi

echo "cfn-lint: checking ${#templates[@]} templates"
# Errors fail the run; warnings are printed for review (the integ-tests assertion
# provider and CDK's own auto-delete provider carry a few we cannot change).
set +e
"$VENV/bin/cfn-lint" --format parseable --non-zero-exit-code error -- "${templates[@]}"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "cfn-lint: errors found (exit $status)" >&2
  exit "$status"
fi
echo "cfn-lint: ${#templates[@]} templates, 0 errors"
