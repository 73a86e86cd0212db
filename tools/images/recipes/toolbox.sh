# What the real node's self-tests run inside pods (tools/images/toolbox):
# HTTP GET, DNS lookup, and the Kubernetes API with the pod's own token.
TOOLBOX_VERSION=0.1.0
IMAGE="skywalking-backstage/toolbox:$TOOLBOX_VERSION"
BASE=debian-jre
NEEDS=(javac:default-jdk-headless jar:default-jdk-headless)
TOOLBOX_DIR="$REPO/tools/images/toolbox"

image_inputs() { (cd "$TOOLBOX_DIR" && sha256sum Toolbox.java); }

image_build() { # <layout> <tag> <work dir> <base layout> <base tag>
  mkdir -p "$3/classes" "$3/files/toolbox"
  javac --release 17 -d "$3/classes" "$TOOLBOX_DIR/Toolbox.java"
  jar --create --file "$3/files/toolbox/toolbox.jar" --main-class Toolbox -C "$3/classes" .
  oci_from_base "$4" "$5" "$1" "$2"
  oci_add_dir "$1" "$2" "$3/files" "toolbox $TOOLBOX_VERSION"
  oci_config "$1" "$2" --clear=config.cmd --config.entrypoint=java --config.entrypoint=-XX:TieredStopAtLevel=1 \
    --config.entrypoint=-XX:+UseSerialGC --config.entrypoint=-Xshare:auto --config.entrypoint=-jar --config.entrypoint=/toolbox/toolbox.jar
}
