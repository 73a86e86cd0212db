# Debian minbase with a headless Java 17 runtime: the base the Java images
# (the demo shop, next the OAP server) are layered on with oci_add_dir.
SUITE=bookworm
PACKAGES=openjdk-17-jre-headless,ca-certificates-java
IMAGE="skywalking-backstage/debian-jre:17-$SUITE"
NEEDS=(mmdebstrap:mmdebstrap)
# documentation never ships; the man1 directory must still exist because the
# JRE's postinst registers java.1.gz with update-alternatives
MMDEBSTRAP_OPTS=(
  --variant=minbase
  # merged /usr by usr-is-merged, not usrmerge (which pulls in perl, ~46 MB)
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --include="$PACKAGES"
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --essential-hook='mkdir -p "$1"/usr/share/man/man1'
  --format=tar
)

image_inputs() { echo "$SUITE" "${MMDEBSTRAP_OPTS[@]}"; }

image_build() { # <layout> <tag> <work dir>
  local sources=()
  mapfile -t sources < <(debian_sources "$SUITE")
  # its hooks are chatty: the log is shown only when it fails
  mmdebstrap "${MMDEBSTRAP_OPTS[@]}" "$SUITE" "$3/rootfs.tar" "${sources[@]}" >"$3/mmdebstrap.log" 2>&1 ||
    { tail -n 40 "$3/mmdebstrap.log" >&2; return 1; }
  oci_new "$1" "$2"
  oci_add_tar "$1" "$2" "$3/rootfs.tar" "mmdebstrap $SUITE $PACKAGES"
  # an image without PATH leaves runc nothing to find `java` with (containerd adds none)
  oci_config "$1" "$2" --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env=LANG=C.UTF-8 --config.env=JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
    --config.cmd=java --config.cmd=-version
}
