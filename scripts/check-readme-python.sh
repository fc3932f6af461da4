#!/usr/bin/env bash
# Runs every ```python block of README.md as written: each block becomes app.py in a
# fresh temp dir (no cdk.json, no context, no AWS credentials) and goes through the
# CDK CLI's `cdk synth`, as a user who pastes it would run it. A block passes when the
# CLI exits 0, cdk.out/manifest.json is written, it has at least one stack and it
# records no missing context (a lookup that would need credentials). Exits non-zero
# when any block fails; prints 'N passed, N failed'.
#
# Usage: scripts/check-readme-python.sh [PYTHON]
#   PYTHON: an interpreter with aws-cdk-lib, constructs and the library's wheel installed
#   (check-python-bindings.sh passes the one of its virtualenv). Without it, this script
#   makes its own virtualenv with the peer floor of aws-cdk-lib and the wheel in
#   dist/python (built with jsii-pacmak when missing or older than .jsii).
#   KEEP_README_DIR=1 keeps the temp dir (the snippets and their cdk.out).
#   README_FILE=path checks another Markdown file (to test this check itself).
#   README_JOBS=N synthesizes N blocks at once (default 2).
set -euo pipefail
# The file to check, resolved before leaving the caller's directory.
if [ -n "${README_FILE:-}" ]; then
  readme="$(cd "$(dirname "$README_FILE")" && pwd)/$(basename "$README_FILE")"
fi
cd "$(dirname "$0")/.."
readme="${readme:-$PWD/README.md}"
repo="$PWD"
started=$SECONDS
python="${1:-}"
name="$(basename "$readme")"

work="$(mktemp -d "${TMPDIR:-/tmp}/cdkx-readme-python.XXXXXX")"
if [ "${KEEP_README_DIR:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

# The jsii runtime under the Python bindings needs a Node it supports (22 or 24).
# shellcheck source=scripts/use-supported-node.sh
source scripts/use-supported-node.sh

# 1. An interpreter with the bindings.
if [ -z "$python" ]; then
  if [ ! -f lib/index.js ] || [ ! -f .jsii ]; then
    echo "readme: no jsii build, running npx projen compile"
    npx projen compile
  fi
  wheel="$(find dist/python -maxdepth 1 -name '*.whl' 2>/dev/null | head -n 1 || true)"
  if [ -z "$wheel" ] || [ .jsii -nt "$wheel" ]; then
    echo "readme: building the wheel (jsii-pacmak --target python)"
    rm -rf dist/python
    npx jsii-pacmak --target python
    wheel="$(find dist/python -maxdepth 1 -name '*.whl' | head -n 1)"
  fi
  # The peer floor, from package.json: the version users are promised to work.
  cdk_lib="$(node -p "require('./package.json').peerDependencies['aws-cdk-lib'].replace(/^[\\^~]/, '')")"
  python3 -m venv "$work/venv"
  echo "readme: installing aws-cdk-lib==$cdk_lib, constructs and $(basename "$wheel")"
  "$work/venv/bin/pip" install --quiet --disable-pip-version-check \
    "aws-cdk-lib==$cdk_lib" "constructs>=10.5.1,<11" "$repo/$wheel"
  python="$work/venv/bin/python"
fi
python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"

# 2. The blocks, named by the README line their fence opens on.
"$python" - "$readme" "$work/snippets" <<'EOF'
import pathlib, sys
readme, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
lines = readme.read_text(encoding="utf-8").splitlines()
start = None
for number, line in enumerate(lines, 1):
    if start is None and line.strip() == "```python":
        start = number
    elif start is not None and line.strip() == "```":
        folder = out / f"line-{start:04d}"
        folder.mkdir(parents=True)
        (folder / "app.py").write_text("\n".join(lines[start:number - 1]) + "\n", encoding="utf-8")
        # Examples that bundle Lambda code read it from ./api, as a user's app would.
        (folder / "api").mkdir()
        (folder / "api" / "index.py").write_text("def handler(event, context):\n    return None\n", encoding="utf-8")
        start = None
if start is not None:
    sys.exit(f"{readme.name}:{start}: a ```python block is never closed")
EOF
snippets=("$work"/snippets/line-*)
if [ ! -d "${snippets[0]}" ]; then
  echo "readme: $name has no \`\`\`python block" >&2
  exit 1
fi

# 3. Synthesize each with the CLI: offline, no credentials, no telemetry, no notices.
# README_JOBS (default 2) blocks run at once; each is one jsii runtime (a Node process).
cdk="$repo/node_modules/.bin/cdk"
synth_one() {
  local dir="$1" one_started=$SECONDS status problem=""
  (cd "$dir" && env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
    CDK_DEFAULT_ACCOUNT=111111111111 CDK_DEFAULT_REGION=us-east-1 CDK_DISABLE_CLI_TELEMETRY=true \
    "$cdk" synth --app "$python app.py" --output cdk.out --quiet --no-notices --no-version-reporting \
    >"$dir/synth.log" 2>&1)
  status=$?
  if [ "$status" -ne 0 ]; then
    problem="cdk synth exited $status"
  elif [ ! -f "$dir/cdk.out/manifest.json" ]; then
    problem="no cdk.out/manifest.json"
  else
    problem="$("$python" - "$dir/cdk.out/manifest.json" <<'EOF'
import json, sys
manifest = json.load(open(sys.argv[1]))
stacks = [a for a in manifest.get("artifacts", {}).values() if a.get("type") == "aws:cloudformation:stack"]
if manifest.get("missing"):
    print("missing context (needs credentials to look up): " + ", ".join(m["key"] for m in manifest["missing"]))
elif not stacks:
    print("no stack synthesized")
EOF
)" || problem="could not read cdk.out/manifest.json"
  fi
  echo "$problem" >"$dir/problem"
  echo $((SECONDS - one_started)) >"$dir/seconds"
}

set +e
for dir in "${snippets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "${README_JOBS:-2}" ]; do wait -n; done
  synth_one "$dir" &
done
wait
set -e

passed=0
failed=0
for dir in "${snippets[@]}"; do
  line=$((10#${dir##*line-}))
  problem="$(cat "$dir/problem" 2>/dev/null || echo "did not finish")"
  if [ -z "$problem" ]; then
    templates="$(find "$dir/cdk.out" -maxdepth 1 -name '*.template.json' | wc -l)"
    echo "readme: $name:$line ok ($templates templates, $(cat "$dir/seconds") s)"
    passed=$((passed + 1))
  else
    echo "readme: $name:$line FAILED: $problem" >&2
    sed 's/^/    /' "$dir/synth.log" | tail -n 25 >&2
    failed=$((failed + 1))
  fi
done

echo "readme python snippets: $passed passed, $failed failed ($((SECONDS - started)) s)"
[ "$failed" -eq 0 ]
