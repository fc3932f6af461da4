#!/usr/bin/env bash
# Builds the Python wheel with jsii-pacmak and runs consumers/python-app (a CDK app
# and pytest tests asserting on its templates) against it, in a fresh virtualenv
# outside the repository, then every ```python block of README.md as written
# (scripts/check-readme-python.sh). Exits non-zero when the bindings, the app, a test
# or a README example fail.
# Usage: scripts/check-python-bindings.sh   (KEEP_CONSUMER_DIR=1 keeps the temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS

AWS_CDK_LIB_VERSION="2.236.0"            # the lowest aws-cdk-lib the library supports
CONSTRUCTS_SPEC="constructs>=10.5.1,<11"
PYTEST_VERSION="8.3.5"

# 1. The jsii build (lib/, .jsii). CI has it from `npx projen compile`; a fresh clone may not.
if [ ! -f lib/index.js ] || [ ! -f .jsii ]; then
  echo "python: no jsii build, running npx projen compile"
  npx projen compile
fi

# 2. The wheel, exactly as the release would build it.
echo "python: building the wheel (jsii-pacmak --target python)"
rm -rf dist/python
npx jsii-pacmak --target python
wheel="$(ls "$repo"/dist/python/*.whl)"

# 3. A fresh virtualenv and a copy of the consumer app, both in a temp dir.
work="$(mktemp -d "${TMPDIR:-/tmp}/cdkx-python-consumer.XXXXXX")"
if [ "${KEEP_CONSUMER_DIR:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
cp -R consumers/python-app "$work/app"
rm -rf "$work/app/cdk.out" "$work/app/__pycache__" "$work/app/.pytest_cache"
python3 -m venv "$work/venv"
echo "python: installing aws-cdk-lib==$AWS_CDK_LIB_VERSION, constructs, pytest and $(basename "$wheel")"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
  "aws-cdk-lib==$AWS_CDK_LIB_VERSION" "$CONSTRUCTS_SPEC" "pytest==$PYTEST_VERSION" "$wheel"

# 4. The tests. pytest exits 5 when it collects nothing: that is a failure too.
cd "$work/app"
set +e
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "python: pytest collected no tests" >&2
  exit 1
elif [ "$status" -ne 0 ]; then
  echo "python: consumer app tests failed (pytest exit $status)" >&2
  exit "$status"
fi

# 5. Every ```python block of the README, as written, with the same wheel and virtualenv:
# each must synthesize through `cdk synth` in an empty directory without credentials.
bash "$repo/scripts/check-readme-python.sh" "$work/venv/bin/python"
echo "python: bindings and README examples OK in $((SECONDS - started)) s"
