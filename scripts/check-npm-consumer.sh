#!/usr/bin/env bash
# Packs the library (npm pack), installs the tarball into a fresh CDK TypeScript app
# (consumers/npm-app, copied outside the repository, public dependencies only), runs
# `cdk synth` with the aws-cdk CLI and asserts on the synthesized templates.
# Needs no AWS credentials: every stack of the app has an explicit env.
# Usage: scripts/check-npm-consumer.sh   (KEEP_CONSUMER_DIR=1 keeps the temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

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

# 3. Install the tarball with the app's own dependencies (aws-cdk-lib, constructs, aws-cdk CLI).
cd "$work/app"
npm install --no-audit --no-fund --loglevel=error "$tarball"

# 4. Synthesize with the CLI, offline: no credentials, no telemetry, no notices.
export CDK_DISABLE_CLI_TELEMETRY=true AWS_EC2_METADATA_DISABLED=true
export CDK_DEFAULT_ACCOUNT=111111111111 CDK_DEFAULT_REGION=us-east-1
npx cdk synth --quiet --no-notices

# 5. Assert on the templates.
node test/check-templates.js cdk.out
echo "npm: consumer app OK in $((SECONDS - started)) s"
