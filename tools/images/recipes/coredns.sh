# The cluster DNS of the real node: the CoreDNS binary that
# tools/local-cluster/build.sh builds from github.com/coredns/coredns (the
# version pinned there), alone in the image. Its Corefile (no `forward`) comes
# from the Deployment packages/local-cluster renders.
COREDNS_VERSION=v1.15.0
IMAGE="skywalking-backstage/coredns:${COREDNS_VERSION#v}"
NEEDS=()

coredns_binary() { echo "$(bash "$REPO/tools/local-cluster/build.sh" --print-dir)/coredns"; }

# the binary is built reproducibly (-trimpath) from the pinned module version
image_inputs() { echo "github.com/coredns/coredns@$COREDNS_VERSION $(sha256sum "$(coredns_binary)" 2>/dev/null | cut -c1-16)"; }

image_build() { # <layout> <tag> <work dir>
  local bin
  bin="$(coredns_binary)"
  [ -x "$bin" ] || { echo "[images] coredns: $bin is missing (run tools/local-cluster/build.sh)" >&2; return 1; }
  mkdir -p "$3/rootfs"
  cp "$bin" "$3/rootfs/coredns"
  oci_new "$1" "$2"
  oci_add_dir "$1" "$2" "$3/rootfs" "coredns $COREDNS_VERSION from the Go module proxy"
  oci_config "$1" "$2" --config.entrypoint=/coredns --config.exposedports=53/udp --config.exposedports=53/tcp
}
