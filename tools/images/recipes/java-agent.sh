# The SkyWalking Java agent image the injector's init container copies from,
# laid out as the official apache/skywalking-java-agent image (the agent
# distribution under /skywalking/agent, on a JRE):
#   skywalking-agent.jar       org.apache.skywalking:apm-agent (Maven Central; the shaded jar)
#   config/agent.config        apm-sniffer/config/agent.config of tag v$AGENT_VERSION
#   plugins/                   what the demo shop needs (tools/images/agent-plugins/build.sh):
#                              jdk-http (v9.3.0), jdk-httpclient (v9.6.0), our jdk-httpserver;
#                              all three instrument JDK classes, so they are active here (upstream
#                              ships its JDK plugins inactive in bootstrap-plugins/) and also listed
#                              in bootstrap-plugins/ for the bootstrap.skywalking.apache.org annotation
#   activations/, optional-plugins/, optional-reporter-plugins/, logs/   empty: not published
#   LICENSE, NOTICE, licenses/ the binary distribution's (dist-material of the tag)
# The init container runs `sh -c "mkdir -p <mount> && cp -r /skywalking/agent/* <mount>"` (and,
# for plugin annotations, ls | grep -E | xargs -i cp): dash, coreutils, grep and findutils
# of the Debian base.
AGENT_VERSION=9.3.0
IMAGE="apache/skywalking-java-agent:$AGENT_VERSION-java17"
BASE=debian-jre
NEEDS=(mvn:maven javac:default-jdk-headless jar:default-jdk-headless)
AGENT_THIRD_PARTY="$REPO/third_party/apache-skywalking-java"
AGENT_PLUGINS="$REPO/tools/images/agent-plugins"
AGENT_JAR_CACHE="$IMAGES/.maven/apm-agent-$AGENT_VERSION"

image_inputs() {
  echo "apm-agent $AGENT_VERSION"
  (cd "$AGENT_THIRD_PARTY" && find . -type f | LC_ALL=C sort | xargs sha256sum)
  (cd "$AGENT_PLUGINS" && find . -type f | LC_ALL=C sort | xargs sha256sum)
}

# agent_jar: the shaded agent jar, resolved with Maven once (its own local
# repository in the work dir, dropped after: the jar is what is kept)
agent_jar() { # <work dir>
  if [ ! -f "$AGENT_JAR_CACHE/complete" ]; then
    rm -rf "$AGENT_JAR_CACHE.tmp"
    echo "[images] resolving apm-agent $AGENT_VERSION with Maven" >&2
    mvn -B -q -Dmaven.repo.local="$1/maven-repo" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact="org.apache.skywalking:apm-agent:$AGENT_VERSION" -DoutputDirectory="$AGENT_JAR_CACHE.tmp" >&2
    [ -f "$AGENT_JAR_CACHE.tmp/apm-agent-$AGENT_VERSION.jar" ] ||
      { echo "[images] Maven gave no apm-agent-$AGENT_VERSION.jar" >&2; return 1; }
    rm -rf "$1/maven-repo" "$AGENT_JAR_CACHE"
    touch "$AGENT_JAR_CACHE.tmp/complete"
    mv "$AGENT_JAR_CACHE.tmp" "$AGENT_JAR_CACHE"
  fi
  echo "$AGENT_JAR_CACHE/apm-agent-$AGENT_VERSION.jar"
}

image_build() { # <layout> <tag> <work dir> <base layout> <base tag>
  local jar agent="$3/files/skywalking/agent" src="$AGENT_THIRD_PARTY/v$AGENT_VERSION"
  jar="$(agent_jar "$3")"
  mkdir -p "$agent"/{config,plugins,bootstrap-plugins,optional-plugins,optional-reporter-plugins,activations,logs,licenses}
  cp "$jar" "$agent/skywalking-agent.jar"
  cp "$src/apm-sniffer/config/agent.config" "$agent/config/"
  bash "$AGENT_PLUGINS/build.sh" "$jar" "$agent/plugins"
  cp "$agent"/plugins/*.jar "$agent/bootstrap-plugins/"
  cp "$src/dist-material/LICENSE" "$src/dist-material/NOTICE" "$agent/"
  cp "$src/dist-material/licenses/"* "$agent/licenses/"
  chmod -R u=rwX,go=rX "$3/files"
  oci_from_base "$4" "$5" "$1" "$2"
  oci_add_dir "$1" "$2" "$3/files" "SkyWalking Java agent $AGENT_VERSION and the demo's plugins"
  # as the official image: working dir /skywalking, the agent on for any java run in it
  oci_config "$1" "$2" --config.workingdir=/skywalking \
    --config.env=JAVA_TOOL_OPTIONS=-javaagent:/skywalking/agent/skywalking-agent.jar
}
