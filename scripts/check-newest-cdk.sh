#!/usr/bin/env bash
# The unit tests on the newest aws-cdk-lib, with cdk-nag 2 and 3.
#
# In a temporary copy of the repository (the working tree and the installed
# node_modules; .git and build outputs left out), installs aws-cdk-lib at the
# newest version on the registry and cdk-nag 3 next to cdk-nag 2 (as the
# package alias cdk-nag-v3), both with --no-save, and runs every jest test
# there. The integ snapshots belong to the peer floor, so integ:verify stays
# in `npm test`. Runs there besides what `npm test` runs on the floor:
#   - test/cdk-nag-3.test.ts (cdk-nag 3 over every integ app; skipped on the floor),
#   - test/integ-apps.test.ts with the newest line's `cdk init` feature flags
#     (template validation on, partitions as literals) and cdk-nag 2.
#
# Usage: scripts/check-newest-cdk.sh [jest args...]
#   CDK_NEWEST_VERSION=2.276.0   aws-cdk-lib version (default: newest on the registry)
#   CDK_NAG3_VERSION=3.0.2       cdk-nag 3 version (default: newest 3.x)
#   KEEP_NEWEST_DIR=1            keep the temporary copy
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
started=$SECONDS

version="${CDK_NEWEST_VERSION:-$(npm view aws-cdk-lib version)}"
nag3="${CDK_NAG3_VERSION:-^3}"
floor="$(node -p 'require("./package.json").peerDependencies["aws-cdk-lib"]')"
echo "newest-cdk: aws-cdk-lib $version (peer floor $floor), cdk-nag 2 and cdk-nag@$nag3"

# 1. A copy of the working tree with the installed dependencies.
work="$(mktemp -d "${TMPDIR:-/tmp}/cdkx-newest-cdk.XXXXXX")"
if [ "${KEEP_NEWEST_DIR:-0}" = 1 ]; then
  echo "newest-cdk: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
tar -c --exclude=./.git --exclude=./node_modules --exclude=./.venv --exclude=./lib --exclude=./dist \
  --exclude=./coverage --exclude=./test-reports --exclude=./cdk.out --exclude='./integ/*.snapshot' \
  --exclude='./consumers/*/node_modules' --exclude='./consumers/*/cdk.out' . | tar -x -C "$work"
cp -a node_modules "$work/"
# Tools the script tests run (shellcheck, rsync), used read-only.
if [ -d .venv ]; then ln -s "$root/.venv" "$work/.venv"; fi
cd "$work"

# 2. The newest aws-cdk-lib, and cdk-nag 3 beside cdk-nag 2; package.json and the lock stay as they are.
npm install --no-save --no-audit --no-fund --loglevel=error "aws-cdk-lib@$version" "cdk-nag-v3@npm:cdk-nag@$nag3"
installed="$(node -p 'require("aws-cdk-lib/package.json").version')"
if [ "$installed" != "$version" ]; then
  echo "newest-cdk: expected aws-cdk-lib $version, found $installed" >&2
  exit 1
fi
echo "newest-cdk: installed aws-cdk-lib $installed, cdk-nag $(node -p 'require("cdk-nag/package.json").version')" \
  "and $(node -p 'require("cdk-nag-v3/package.json").version') (as cdk-nag-v3) in $((SECONDS - started)) s"

# 3. The Lambda bundles some tests synthesize with (a fresh clone has none yet).
if [ ! -d assets/blue-green-efs-deploy ]; then npx projen bundle; fi

# 4. Every unit test, cdk-nag 3 included. Newer aws-cdk-lib also checks every synthesized
#    template against CloudFormation's rules (only warnings unless an app turns on
#    @aws-cdk/core:validateAgainstDefaultRules); that check is the subject of the tests that
#    synthesize apps with `cdk init`'s flags, and only costs time in the others (the
#    pipeline-scale tests take minutes with it, seconds without), where CDK_VALIDATION=false
#    turns it off.
export CDKX_CDK_NAG3_MODULE=cdk-nag-v3
if [ "$#" -gt 0 ]; then
  npx jest --ci --coverage=false "$@"
else
  validated=(test/integ-apps.test.ts test/cdk-nag-3.test.ts test/cloudformation-embedded-parameters.test.ts)
  ignored=(/node_modules/)
  for file in "${validated[@]}"; do ignored+=("/${file//./\\.}\$"); done
  CDK_VALIDATION=false npx jest --ci --coverage=false --testPathIgnorePatterns "${ignored[@]}"
  echo "newest-cdk: the other unit tests passed, now the ones with template validation on: ${validated[*]}"
  npx jest --ci --coverage=false "${validated[@]}"
fi
echo "newest-cdk: unit tests passed on aws-cdk-lib $installed in $((SECONDS - started)) s"
