#!/usr/bin/env bash
# Builds the Java jar with jsii-pacmak and runs consumers/java-app (a Maven CDK app
# and JUnit tests asserting on its templates) against it, in a copy outside the
# repository. Exits non-zero when the bindings, the app or a test fail.
# Usage: scripts/check-java-bindings.sh   (KEEP_CONSUMER_DIR=1 keeps the temp dir)
# Maven artifacts are cached in MAVEN_REPO_LOCAL (default ~/.m2/repository), shared by
# jsii-pacmak and the consumer build so aws-cdk-lib is downloaded once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
started=$SECONDS
m2="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
mkdir -p "$m2"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dstyle.color=never"   # plain logs, also for jsii-pacmak's mvn

# 1. The jsii build (lib/, .jsii). CI has it from `npx projen compile`; a fresh clone may not.
if [ ! -f lib/index.js ] || [ ! -f .jsii ]; then
  echo "java: no jsii build, running npx projen compile"
  npx projen compile
fi

# 2. The jar, exactly as the release would build it (a Maven repository under dist/java).
echo "java: building the jar (jsii-pacmak --target java)"
rm -rf dist/java
npx jsii-pacmak --target java --maven-local-repository "$m2"
version="$(node -p 'require("./package.json").version')"
artifact="$repo/dist/java/io/github/cdkcrossaccountcicd/cdk-cross-account-cicd/$version/cdk-cross-account-cicd-$version"

# 3. Install that jar into the local repository, replacing any cached copy of the same version.
mvn -q -B "-Dmaven.repo.local=$m2" org.apache.maven.plugins:maven-install-plugin:3.1.3:install-file \
  "-Dfile=$artifact.jar" "-DpomFile=$artifact.pom"

# 4. A copy of the consumer app in a temp dir, and its tests.
work="$(mktemp -d "${TMPDIR:-/tmp}/cdkx-java-consumer.XXXXXX")"
if [ "${KEEP_CONSUMER_DIR:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
cp -R consumers/java-app "$work/app"
rm -rf "$work/app/target" "$work/app/cdk.out"
cd "$work/app"
echo "java: mvn test (consumer app against cdk-cross-account-cicd $version)"
# Not quiet: surefire prints "Tests run: N, Failures: ..." (failIfNoTests refuses N = 0).
mvn -B -ntp "-Dmaven.repo.local=$m2" "-Dcdkx.version=$version" test
echo "java: bindings OK in $((SECONDS - started)) s"
