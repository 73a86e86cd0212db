# The demo shop's three services (examples/shop) as jars in /app, on the JRE base.
# Bump SHOP_VERSION with the sources: pods use the tag with IfNotPresent.
SHOP_VERSION=0.1.0
IMAGE="skywalking-backstage/demo-shop:$SHOP_VERSION"
BASE=debian-jre
NEEDS=(javac:default-jdk-headless jar:default-jdk-headless)
SHOP_DIR="$REPO/examples/shop"

image_inputs() {
  (cd "$SHOP_DIR" && find build.sh src -type f | LC_ALL=C sort | xargs sha256sum)
}

image_build() { # <layout> <tag> <work dir> <base layout> <base tag>
  mkdir -p "$3/files/app"
  bash "$SHOP_DIR/build.sh" "$3/files/app"
  oci_from_base "$4" "$5" "$1" "$2"
  oci_add_dir "$1" "$2" "$3/files" "demo shop $SHOP_VERSION"
  oci_config "$1" "$2" --config.workingdir=/app --config.exposedports=8080/tcp \
    --clear=config.cmd --config.cmd=java --config.cmd=-jar --config.cmd=/app/frontend.jar
}
