#!/usr/bin/env bash
# Installs what the portal and the tests need. Idempotent and fast when warm.
#   --system-packages   also Debian packages for the tests (chromium, postgresql, a JRE for keytool)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-node.sh

# Debian packages, installed as root. Without root, `need` says what happens:
# required: the packages are announced, the message goes to stderr and the
# install ends (exit 1); optional: only the message, and the install goes on.
#   apt_install required|optional "<label>" "<message without root>" "<apt flags>" <package>...
apt_install() {
  local need=$1 label=$2 without_root=$3 flags=$4
  shift 4
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then
    [ "$need" = required ] && echo "[install] $label: $*"
    echo "$without_root" >&2
    [ "$need" = required ] && exit 1
    return 0
  fi
  echo "[install] $label: $*"
  apt-get update -qq
  # shellcheck disable=SC2086 # $flags: zero or more apt options
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $flags "$@" >/dev/null
}

if [ "${1:-}" = "--system-packages" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  command -v runuser >/dev/null || missing+=(util-linux)
  # the storage snapshot tests run the Jobs' pg_dump / curl scripts
  command -v curl >/dev/null || missing+=(curl)
  # keytool: the storage TLS truststore test runs the OAP init container's keytool command
  command -v keytool >/dev/null || missing+=(default-jre-headless)
  # javac and jar: the demo shop's test compiles examples/shop (as its image build does)
  command -v javac >/dev/null && command -v jar >/dev/null || missing+=(default-jdk-headless)
  apt_install required "Debian packages" \
    "[install] need root to install ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" "" "${missing[@]}"
fi

# The local cluster's real node (containerd, runc, CNI plugins, iptables for
# kube-proxy inside its namespace) and the image factory (mmdebstrap, umoci,
# skopeo): for ./dev start and the tests alike. Without root the cluster runs
# with KWOK nodes only and says why.
node_missing=()
for pair in /usr/bin/containerd:containerd /usr/sbin/runc:runc /usr/lib/cni/bridge:containernetworking-plugins \
            /usr/sbin/ip:iproute2 /usr/sbin/iptables:iptables /usr/sbin/conntrack:conntrack /usr/bin/nsenter:util-linux \
            /usr/bin/mmdebstrap:mmdebstrap /usr/bin/umoci:umoci /usr/bin/skopeo:skopeo /usr/bin/javac:default-jdk-headless; do
  [ -e "${pair%%:*}" ] || command -v "$(basename "${pair%%:*}")" >/dev/null || node_missing+=("${pair##*:}")
done
apt_install optional "Debian packages for the real node and the image factory" \
  "[install] not root: the local cluster will run without a real node (missing ${node_missing[*]})" --no-install-recommends "${node_missing[@]}"

# npm dependencies from the committed lockfile; skipped when unchanged
stamp=node_modules/.swb-lock-hash
hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
  echo "[install] npm ci"
  # never download a browser: the tests use Debian's chromium
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ -n "${SWB_NODE_DIR:-}" ]; then export npm_config_nodedir="$SWB_NODE_DIR"; fi
  npm ci --no-audit --no-fund --loglevel=error
  echo "$hash" > "$stamp"
fi

# Go-built binaries (etcd, kube-apiserver, kcm, scheduler, kubelet, kube-proxy, kwok, CoreDNS), cached by version
if [ -x tools/local-cluster/build.sh ] || [ -f tools/local-cluster/build.sh ]; then
  bash tools/local-cluster/build.sh
fi

# The real node's images (tools/images: pause, CoreDNS, the Debian+JRE base, the
# demo shop, OAP, the Java agent, the self-tests' toolbox), cached by content:
# built up front for the tests, so no test waits minutes on a cold cache
# (./dev start builds the few it needs when the cluster starts). Needs root
# (mmdebstrap); without it the real node does not start either.
if [ "${1:-}" = "--system-packages" ] && [ "$(id -u)" = 0 ]; then
  bash tools/images/build.sh >/dev/null
fi
