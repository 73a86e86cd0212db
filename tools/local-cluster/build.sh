#!/usr/bin/env bash
# Builds the local control plane from Go modules and caches the binaries
# outside the repo, keyed by version. A warm cache makes this a no-op.
#   etcd (go.etcd.io/etcd/server/v3), kube-apiserver, kube-controller-manager,
#   kube-scheduler (k8s.io/kubernetes), kwok (sigs.k8s.io/kwok)
# Prints the binary directory on its last line.
set -euo pipefail

K8S_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0

CACHE="${SWB_CACHE:-$HOME/.cache/skywalking-backstage}"
BIN="$CACHE/k8s-bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
WORK="$CACHE/k8s-build"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

if [ "${1:-}" = "--print-dir" ]; then echo "$BIN"; exit 0; fi

have_all() {
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
    [ -x "$BIN/$b" ] || return 1
  done
}
if have_all; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "[local-cluster] Go is required to build the control plane (apt-get install golang, or the Go toolchain)" >&2; exit 1; }
mkdir -p "$BIN" "$WORK"
start=$(date +%s)
k8s_minor=${K8S_VERSION#v1.}; k8s_minor=${k8s_minor%%.*}
staging_version="v0.$k8s_minor.${K8S_VERSION##*.}"

# --- kube-apiserver, kube-controller-manager, kube-scheduler ---------------
# k8s.io/kubernetes replaces its k8s.io/* staging modules with local paths, so
# `go install` cannot build it; a wrapper module maps each staging module to
# its published version instead.
if [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-controller-manager" ] || [ ! -x "$BIN/kube-scheduler" ]; then
  echo "[local-cluster] building Kubernetes $K8S_VERSION (a cold build takes several minutes)" >&2
  mod="$WORK/kubernetes-$K8S_VERSION"
  mkdir -p "$mod"
  (
    cd "$mod"
    if [ ! -f go.sum ]; then
      rm -f go.mod
      go mod init swb.local/kubernetes-build >/dev/null 2>&1
      gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
      for m in $(grep -E '^\s*k8s.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}'); do
        echo "replace $m => $m $staging_version" >> go.mod
      done
      go get "k8s.io/kubernetes@$K8S_VERSION" >&2
    fi
    ldflags="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
    done
    go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" -o "$BIN/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler >&2
  )
fi

# --- etcd ----------------------------------------------------------------------
if [ ! -x "$BIN/etcd" ]; then
  echo "[local-cluster] building etcd $ETCD_VERSION" >&2
  mod="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$mod"
  (
    cd "$mod"
    if [ ! -f go.sum ]; then
      rm -f go.mod
      go mod init swb.local/etcd-build >/dev/null 2>&1
      go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2
    fi
    go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3 >&2
  )
fi

# --- kwok -----------------------------------------------------------------------
if [ ! -x "$BIN/kwok" ]; then
  echo "[local-cluster] building kwok $KWOK_VERSION" >&2
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
fi

# kwok >= 0.8 has no built-in stages: ship the module's default stage manifests
stages="$BIN/kwok-stages.yaml"
if [ ! -f "$stages" ]; then
  src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  [ -d "$src" ] || go mod download "sigs.k8s.io/kwok@$KWOK_VERSION"
  : > "$stages.tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    if [ -f "$src/$f" ]; then printf -- '---\n' >> "$stages.tmp"; cat "$src/$f" >> "$stages.tmp"; fi
  done
  mv "$stages.tmp" "$stages"
fi

have_all || { echo "[local-cluster] build incomplete in $BIN" >&2; exit 1; }
echo "[local-cluster] binaries ready in $(( $(date +%s) - start ))s" >&2
echo "$BIN"
