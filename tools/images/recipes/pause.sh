# The pod sandbox image: pause.c from the same k8s.io/kubernetes module as the
# control plane, compiled static, alone in the image (as upstream's Dockerfile).
# The tag is the one the node's containerd is configured with (sandbox_image);
# upstream's build/pause/Makefile of this module says 3.10.2.
K8S_VERSION=v1.36.3
PAUSE_TAG=3.10.1
IMAGE="registry.k8s.io/pause:$PAUSE_TAG"
NEEDS=(gcc:gcc /usr/lib/x86_64-linux-gnu/libc.a:libc6-dev go:)

# the module version pins pause.c (the Go checksum database makes it immutable)
image_inputs() { echo "k8s.io/kubernetes@$K8S_VERSION pause.c -Os -Wall -Werror -static"; }

image_build() { # <layout> <tag> <work dir>
  local modcache src
  modcache="$(go env GOMODCACHE)"
  src="$modcache/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c"
  if [ ! -f "$src" ]; then
    (cd "$3" && GOFLAGS=-mod=mod go mod download "k8s.io/kubernetes@$K8S_VERSION")
  fi
  mkdir -p "$3/rootfs"
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_TAG-swb" -o "$3/rootfs/pause" "$src"
  strip "$3/rootfs/pause"
  oci_new "$1" "$2"
  oci_add_dir "$1" "$2" "$3/rootfs" "pause.c from k8s.io/kubernetes@$K8S_VERSION"
  oci_config "$1" "$2" --config.entrypoint=/pause --config.user=65535:65535
}
