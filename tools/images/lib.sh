# Image-building functions shared by the recipes (sourced by build.sh).
# An image is an OCI layout directory built with umoci, written out as a
# docker-archive tar with skopeo. No registry, no container daemon.

# oci_new <layout> <tag>: an empty image (no layers) in a new layout.
oci_new() {
  rm -rf "$1"
  umoci init --layout "$1"
  umoci new --image "$1:$2"
}

# oci_from_base <base-layout> <base-tag> <layout> <tag>: a copy of the base
# image to layer on. Blobs are content-addressed and umoci never rewrites one,
# so the copy hard-links them (no second copy of the base's layers on disk).
oci_from_base() {
  rm -rf "$3"
  mkdir -p "$3"
  cp -al "$1/blobs" "$3/blobs"
  cp "$1/oci-layout" "$1/index.json" "$3/"
  if [ "$2" != "$4" ]; then
    umoci tag --image "$3:$2" "$4"
    umoci rm --image "$3:$2"
  fi
}

# oci_add_tar <layout> <tag> <layer.tar> [comment]: append an uncompressed tar as a layer.
oci_add_tar() {
  umoci raw add-layer --image "$1:$2" --history.created_by "${4:-tools/images}" "$3"
}

# oci_add_dir <layout> <tag> <dir> [comment]: append the files under <dir> as
# one layer, owned by root, with fixed timestamps (the layer depends only on
# the files' contents and modes). Works without root.
oci_add_dir() {
  local tar
  tar="$(mktemp --suffix=.tar)"
  (cd "$3" && find . -mindepth 1 | LC_ALL=C sort | sed 's,^\./,,') |
    tar -C "$3" --no-recursion --numeric-owner --owner=0 --group=0 --mtime=@0 -cf "$tar" -T -
  oci_add_tar "$1" "$2" "$tar" "${4:-}"
  rm -f "$tar"
}

# oci_config <layout> <tag> <umoci config options...>: entrypoint, env, ports...
oci_config() {
  local layout="$1" tag="$2"
  shift 2
  umoci config --image "$layout:$tag" "$@"
}

# oci_export <layout> <tag> <archive.tar> <image-name>: the docker-archive tar
# that `ctr images import` reads, tagged with the name manifests use.
oci_export() {
  umoci gc --layout "$1" # drop the manifests and configs each config change left behind
  rm -f "$3" # skopeo refuses to overwrite an archive
  skopeo --insecure-policy copy --quiet "oci:$1:$2" "docker-archive:$3:$4"
}

# debian_sources <suite>: one-line apt sources for <suite> on the mirror the
# machine's own apt uses (nothing if it names none: mmdebstrap's default).
debian_sources() {
  local uri
  uri=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }'
          cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk 'tolower($1) == "uris:" && $2 !~ /security/ { print $2; exit }') | head -n1)
  [ -n "$uri" ] || return 0
  echo "deb $uri $1 main"
  echo "deb $uri $1-updates main"
  local sec
  sec=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" && $0 ~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }'
          cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
            awk 'tolower($1) == "uris:" && $2 ~ /security/ { print $2; exit }') | head -n1)
  [ -z "$sec" ] || echo "deb $sec $1-security main"
}
