#!/usr/bin/env bash
# The Assets stage's publisher as the stage installs it: `npm ci` from the
# committed lock (src/cross-account-pipeline/asset-publisher/) into a
# temporary directory, with install scripts off, then the scenario's runs of
# the real publisher against the local AWS endpoint with that install
# (test/shipping-cdk-app-scenario.test.ts, "real publisher").
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d "${TMPDIR:-/tmp}/cdkx-asset-publisher.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp src/cross-account-pipeline/asset-publisher/package.json src/cross-account-pipeline/asset-publisher/package-lock.json "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund)
echo "asset-publisher-lock: installed $(node -p "require('$work/node_modules/@aws-cdk/cdk-assets-lib/package.json').version") from the lock"
CDKX_ASSET_PUBLISHER_ROOT="$work" npx jest --coverage=false test/shipping-cdk-app-scenario.test.ts -t 'real publisher'
