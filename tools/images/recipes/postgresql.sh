# PostgreSQL from Debian's own packages (the suite's `postgresql`: server and
# client tools), for two uses: a database pod (the entrypoint below initdb's
# an empty data directory from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB,
# as the official image's does) and the tool image of the snapshot Jobs
# (pg_dump, pg_restore, psql). Named after what it is, not after the official
# image, which it is not.
SUITE=bookworm
PG_MAJOR=15 # the suite's version; the tests' PostgreSQL is 15 too
PACKAGES=postgresql
IMAGE="skywalking-backstage/postgresql:$PG_MAJOR"
NEEDS=(mmdebstrap:mmdebstrap)
PG_DIR="$REPO/tools/images/postgresql"
MMDEBSTRAP_OPTS=(
  --variant=minbase
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --include="$PACKAGES"
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-include=/usr/share/locale/locale.alias'
  # the JIT: postgresql-15 depends on LLVM, whose library and its z3 are a
  # third of the image; the server runs without them (jit is silently off
  # when llvmjit.so cannot be loaded), and a snapshot tool never needs them
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM-*'
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/libz3.so*'
  --dpkgopt='path-exclude=/usr/lib/postgresql/*/lib/llvmjit*'
  --dpkgopt='path-exclude=/usr/lib/postgresql/*/lib/bitcode/*'
  --essential-hook='mkdir -p "$1"/usr/share/man/man1 "$1"/usr/share/man/man7'
  # postgresql-common's postinst creates a cluster "main" under /etc and
  # /var/lib: the pod initdb's its own data directory instead. The socket
  # directory (the client tools' compiled-in default) must exist and be the
  # postgres user's: the server runs as that user and writes its socket there.
  --customize-hook='rm -rf "$1"/etc/postgresql/* "$1"/var/lib/postgresql/*'
  --customize-hook='rm -f "$1"/run/adduser && mkdir -p "$1"/run/postgresql && chroot "$1" chown postgres:postgres /run/postgresql /var/lib/postgresql && chmod 2775 "$1"/run/postgresql'
  --customize-hook='install -m 0755 '"$PG_DIR"'/entrypoint.sh "$1"/usr/local/bin/postgresql-entrypoint'
  --skip=cleanup/run # keeps /run/postgresql (there is nothing else in /run to drop)
  --format=tar
)

image_inputs() { echo "$SUITE" "${MMDEBSTRAP_OPTS[@]}"; (cd "$PG_DIR" && sha256sum entrypoint.sh); }

image_build() { # <layout> <tag> <work dir>
  local sources=() uid gid
  mapfile -t sources < <(debian_sources "$SUITE")
  mmdebstrap "${MMDEBSTRAP_OPTS[@]}" "$SUITE" "$3/rootfs.tar" "${sources[@]}" >"$3/mmdebstrap.log" 2>&1 ||
    { tail -n 40 "$3/mmdebstrap.log" >&2; return 1; }
  # the hooks above ran in a temporary root that mmdebstrap removed; the ids
  # come from the tar's /etc/passwd (numeric, so runAsNonRoot can check them)
  uid=$(tar -xOf "$3/rootfs.tar" ./etc/passwd | awk -F: '$1 == "postgres" { print $3 }')
  gid=$(tar -xOf "$3/rootfs.tar" ./etc/passwd | awk -F: '$1 == "postgres" { print $4 }')
  [ -n "$uid" ] && [ -n "$gid" ] || { echo "[images] postgresql: no postgres user in the root file system" >&2; return 1; }
  tar -tf "$3/rootfs.tar" ./usr/lib/postgresql/$PG_MAJOR/bin/pg_dump >/dev/null ||
    { echo "[images] postgresql: the suite's PostgreSQL is not $PG_MAJOR (set PG_MAJOR)" >&2; return 1; }
  oci_new "$1" "$2"
  oci_add_tar "$1" "$2" "$3/rootfs.tar" "mmdebstrap $SUITE $PACKAGES"
  # the version's own bin first: pg_dump and friends without Debian's perl wrapper
  oci_config "$1" "$2" \
    --config.env=PATH=/usr/lib/postgresql/$PG_MAJOR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env=LANG=C.UTF-8 --config.env=PGDATA=/var/lib/postgresql/data/pgdata \
    --config.user="$uid:$gid" --config.workingdir=/var/lib/postgresql \
    --config.entrypoint=/usr/local/bin/postgresql-entrypoint --config.cmd=postgres \
    --config.exposedports=5432/tcp --config.volume=/var/lib/postgresql/data \
    --config.stopsignal=SIGINT
}
