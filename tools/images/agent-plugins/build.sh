#!/usr/bin/env bash
# Builds the Java agent plugins the demo shop needs, with javac against the
# shaded agent jar (org.apache.skywalking:apm-agent), no Maven build of upstream:
#   apm-jdk-http-plugin-9.3.0.jar        HttpURLConnection, upstream tag v9.3.0
#   apm-jdk-httpclient-plugin-9.6.0.jar  java.net.http.HttpClient, upstream tag v9.6.0
#                                        (9.3.0 has no such plugin; the shop uses this client)
#   jdk-httpserver-plugin-<ours>.jar     com.sun.net.httpserver entry spans, written here
# Upstream sources are kept verbatim in third_party/apache-skywalking-java/; the
# one change, made here on a copy, is the agent's shading: `import net.bytebuddy.`
# becomes `import org.apache.skywalking.apm.dependencies.net.bytebuddy.`, the
# package the published agent jar relocates Byte Buddy to.
#
#   bash tools/images/agent-plugins/build.sh <skywalking-agent.jar> <out dir>
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
TP="$REPO/third_party/apache-skywalking-java"
OURS_VERSION=0.1.0
AGENT_JAR="$1"
OUT="$2"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

# plugin <jar name> <source dir with src/main/{java,resources}> <javac release options...>
plugin() {
  local name="$1" src="$2"
  shift 2
  local w="$WORK/$name"
  mkdir -p "$w/java" "$w/classes"
  cp -r "$src/src/main/java/." "$w/java/"
  find "$w/java" -name '*.java' -exec sed -i \
    's/^import \(static \)\?net\.bytebuddy\./import \1org.apache.skywalking.apm.dependencies.net.bytebuddy./' {} +
  # javac sees the sources in a fixed order, so the jar depends only on them
  find "$w/java" -name '*.java' | LC_ALL=C sort > "$w/sources"
  # (its "internal proprietary API" notes for sun.net.www are expected: shown only on failure)
  javac -nowarn -Xlint:-options "$@" -encoding UTF-8 -cp "$AGENT_JAR" -d "$w/classes" @"$w/sources" 2>"$w/javac.log" ||
    { cat "$w/javac.log" >&2; return 1; }
  cp -r "$src/src/main/resources/." "$w/classes/"
  rm -f "$OUT/$name"
  (cd "$w/classes" && find . -type f | LC_ALL=C sort | sed 's,^\./,,' > "$w/files" &&
     jar --create --file "$OUT/$name" --date=1980-01-01T00:00:02Z @"$w/files")
  echo "[agent-plugins] $name" >&2
}

# upstream targets Java 8; sun.net.www is reachable to javac only without --release
plugin apm-jdk-http-plugin-9.3.0.jar "$TP/v9.3.0/apm-sniffer/bootstrap-plugins/jdk-http-plugin" -source 8 -target 8
plugin apm-jdk-httpclient-plugin-9.6.0.jar "$TP/v9.6.0/apm-sniffer/bootstrap-plugins/jdk-httpclient-plugin" --release 11
plugin "jdk-httpserver-plugin-$OURS_VERSION.jar" "$HERE/jdk-httpserver-plugin" -source 8 -target 8
