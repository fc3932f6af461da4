#!/usr/bin/env bash
# Packs the library (npm pack), installs the tarball into a fresh CDK TypeScript app
# (consumers/npm-app, copied outside the repository, public dependencies only) with the
# given aws-cdk-lib, gives the app the feature flags `cdk init` writes today, runs
# `cdk synth` with the aws-cdk CLI and asserts on the synthesized templates.
# Needs no AWS credentials: every stack of the app has an explicit env.
#
# Usage: scripts/check-npm-consumer.sh [<aws-cdk-lib version> | newest]
#   default: the peer floor (package.json's peerDependencies); newest: the registry's latest
#   KEEP_CONSUMER_DIR=1 keeps the temp dir
#
# The feature flags come from the newest aws-cdk CLI at check time (`cdk init app
# --generate-only` in the temp dir): its cdk.json `context` is merged into the app's copy
# (the app's own context, the availability zones, wins), so a flag `cdk init` starts
# recommending is checked the day it appears.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

floor="$(node -p 'require("./package.json").peerDependencies["aws-cdk-lib"].replace(/^[^0-9]*/, "")')"
cdk_version="${1:-$floor}"
if [ "$cdk_version" = newest ]; then cdk_version="$(npm view aws-cdk-lib version)"; fi
echo "npm: consumer app on aws-cdk-lib $cdk_version (peer floor $floor)"

# 1. The jsii build (lib/, .jsii). CI has it from `npx projen compile`; a fresh clone may not.
if [ ! -f lib/index.js ] || [ ! -f .jsii ]; then
  echo "npm: no jsii build, running npx projen compile"
  npx projen compile
fi

# 2. The tarball users would download, and a copy of the app, in a temp dir.
work="$(mktemp -d "${TMPDIR:-/tmp}/cdkx-npm-consumer.XXXXXX")"
if [ "${KEEP_CONSUMER_DIR:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "npm: packed $(basename "$tarball")"
cp -R consumers/npm-app "$work/app"
rm -rf "$work/app/node_modules" "$work/app/cdk.out" "$work/app/package-lock.json"

# 3. The feature flags of a new app from today's `cdk init`, merged into the app's cdk.json.
mkdir "$work/init"
if ! (cd "$work/init" && npx --yes aws-cdk@latest init app --language typescript --generate-only >"$work/init.log" 2>&1); then
  cat "$work/init.log" >&2
  exit 1
fi
node consumers/npm-app/test/merge-cdk-init-flags.js "$work/init/cdk.json" "$work/app/cdk.json"

# 4. Install the tarball and that aws-cdk-lib with the app's other dependencies (constructs, the
#    aws-cdk CLI it pins; above the floor the newest CLI, which reads every newer assembly).
cd "$work/app"
newer_cli=()
if [ "$cdk_version" != "$floor" ]; then newer_cli=("aws-cdk@latest"); fi
npm install --no-audit --no-fund --loglevel=error "$tarball" "aws-cdk-lib@$cdk_version" "${newer_cli[@]}"
installed="$(node -p 'require("aws-cdk-lib/package.json").version')"
if [ "$installed" != "$cdk_version" ]; then
  echo "npm: expected aws-cdk-lib $cdk_version in the app, found $installed" >&2
  exit 1
fi
echo "npm: aws-cdk-lib $installed, aws-cdk CLI $(node -p 'require("aws-cdk/package.json").version')"

# 5. Synthesize with the CLI, offline: no credentials, no telemetry, no notices.
export CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
export CDK_DEFAULT_ACCOUNT=111111111111 CDK_DEFAULT_REGION=us-east-1
npx cdk synth --quiet --no-notices

# 6. Assert on the templates.
node test/check-templates.js cdk.out
echo "npm: consumer app OK on aws-cdk-lib $installed in $((SECONDS - started)) s"
