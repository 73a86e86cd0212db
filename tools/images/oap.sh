# The OAP server image, shared by recipes/oap-<version>.sh (each sets
# OAP_VERSION, then sources this). Laid out as the official image
# (docker/oap/Dockerfile of the tag): /skywalking/{config,oap-libs,ext-config,
# ext-libs}, working dir /skywalking, upstream's docker-entrypoint.sh (JAVA_OPTS,
# the -Dmode=init / no-init system property, arguments passed on) and its
# console log4j2.xml. OAP reads SW_* env through config/application.yml.
#   jars:   org.apache.skywalking:server-starter:<version> and its runtime
#           dependencies from Maven Central (the machine's Maven and settings),
#           cached under images/.maven/ so a rebuild does not call Maven again
#   config: third_party/apache-skywalking/oap-<version>/ (copied from the tag)
IMAGE="apache/skywalking-oap-server:$OAP_VERSION"
BASE=debian-jre
NEEDS=(mvn:maven)
OAP_THIRD_PARTY="$REPO/third_party/apache-skywalking/oap-$OAP_VERSION"
# the distribution's own jar list is server-starter's dependencies (apm-dist's
# binary.xml); its tools (profile exporter, data generator) are left out.
# server-starter's parent is this pom's parent too: its dependencyManagement
# (oap-server-bom, test-scoped byte-buddy...) then picks every transitive
# version as SkyWalking's own build does. Without it Maven's nearest-wins gave
# jackson-databind 2.10.0 beside jackson-core 2.12.0 and mixed netty releases.
oap_pom() {
  cat <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.apache.skywalking</groupId>
    <artifactId>oap-server</artifactId>
    <version>$OAP_VERSION</version>
    <relativePath/>
  </parent>
  <groupId>local.skywalking-backstage</groupId>
  <artifactId>oap-libs</artifactId>
  <version>$OAP_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.skywalking</groupId>
      <artifactId>server-starter</artifactId>
      <version>$OAP_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
}
# keyed by the pom: a changed pom resolves again
OAP_JARS="$IMAGES/.maven/server-starter-$OAP_VERSION-$(oap_pom | sha256sum | cut -c1-12)"

image_inputs() {
  cat "$HERE/oap.sh"
  oap_pom
  (cd "$OAP_THIRD_PARTY" && find . -type f | LC_ALL=C sort | xargs sha256sum)
}

# oap_jars: the jar directory, resolved with Maven once per version (its own
# local repository in the work dir, dropped after: the jars are what is kept)
oap_jars() { # <work dir>
  if [ ! -f "$OAP_JARS/complete" ]; then
    mkdir -p "$1/maven"
    oap_pom > "$1/maven/pom.xml"
    rm -rf "$OAP_JARS.tmp"
    echo "[images] resolving server-starter $OAP_VERSION with Maven" >&2
    mvn -B -q -Dstyle.color=never -f "$1/maven/pom.xml" -Dmaven.repo.local="$1/maven/repo" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$OAP_JARS.tmp/lib" >&2
    [ -f "$OAP_JARS.tmp/lib/server-starter-$OAP_VERSION.jar" ] ||
      { echo "[images] Maven gave no server-starter-$OAP_VERSION.jar" >&2; return 1; }
    rm -rf "$1/maven" "$OAP_JARS"
    touch "$OAP_JARS.tmp/complete"
    mv "$OAP_JARS.tmp" "$OAP_JARS"
    # jars of this version's earlier poms are superseded
    local old
    for old in "$IMAGES/.maven/server-starter-$OAP_VERSION" "$IMAGES/.maven/server-starter-$OAP_VERSION"-*; do
      [ "$old" = "$OAP_JARS" ] || rm -rf "$old"
    done
  fi
  echo "$OAP_JARS/lib"
}

image_build() { # <layout> <tag> <work dir> <base layout> <base tag>
  local jars root="$3/files/skywalking"
  jars="$(oap_jars "$3")"
  mkdir -p "$root/bin" "$root/ext-config" "$root/ext-libs"
  cp -al "$jars" "$root/oap-libs" # hard links: the layer tar reads them, nothing is copied
  cp -r "$OAP_THIRD_PARTY/config" "$root/config"
  # as the distribution and the official image: alarm settings from
  # dist-material, console logging instead of the rolling file
  cp "$OAP_THIRD_PARTY/dist-material/alarm-settings.yml" "$root/config/"
  cp "$OAP_THIRD_PARTY/docker/log4j2.xml" "$root/config/log4j2.xml"
  cp "$OAP_THIRD_PARTY/docker/docker-entrypoint.sh" "$root/docker-entrypoint.sh"
  cp "$OAP_THIRD_PARTY/LICENSE" "$OAP_THIRD_PARTY/NOTICE" "$root/"
  chmod -R u=rwX,go=rX "$root"
  oci_from_base "$4" "$5" "$1" "$2"
  oci_add_dir "$1" "$2" "$3/files" "SkyWalking OAP $OAP_VERSION: server-starter jars, config of tag v$OAP_VERSION"
  # the official image's config: entrypoint, working dir, JAVA_OPTS default, ports
  oci_config "$1" "$2" --config.workingdir=/skywalking \
    --config.env=SKYWALKING_HOME=/skywalking \
    --config.env=PATH=/skywalking/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env="JAVA_OPTS= -Xms2G " \
    --clear=config.cmd --config.entrypoint=bash --config.entrypoint=docker-entrypoint.sh \
    --config.exposedports=11800/tcp --config.exposedports=12800/tcp --config.exposedports=1234/tcp
}
