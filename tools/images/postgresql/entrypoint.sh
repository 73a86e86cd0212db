#!/bin/sh
# The postgresql image's entrypoint (tools/images/recipes/postgresql.sh).
# `postgres [server options]` (the default command, or options alone):
# initdb PGDATA if it holds no cluster yet, then run the server in the
# foreground as PID 1, listening on all addresses, port 5432. Any other
# command (pg_dump, pg_restore, psql, sh ...) runs as given.
#
#   POSTGRES_PASSWORD  the superuser's password (required for a new cluster;
#                      clients over TCP authenticate with scram-sha-256)
#   POSTGRES_USER      the superuser (default postgres)
#   POSTGRES_DB        a database created with the cluster (default: POSTGRES_USER)
#   PGDATA             the data directory (image default
#                      /var/lib/postgresql/data/pgdata: a subdirectory, so a
#                      volume mounted at /var/lib/postgresql/data, owned by root,
#                      still lets initdb create it with mode 0700 as postgres)
set -eu

if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ] && [ "$1" != postgres ]; then
  exec "$@"
fi
[ "${1:-}" != postgres ] || shift

: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
export PGDATA
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"

if [ "$(id -u)" = 0 ]; then
  echo "postgresql-entrypoint: refusing to run the server as root (the image's user is postgres)" >&2
  exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgresql-entrypoint: $PGDATA holds no cluster and POSTGRES_PASSWORD is empty: set it to create one" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # local (socket) connections trust: only this container reaches the socket
  initdb --username="$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  printf '\n# every address, with the password (postgresql-entrypoint)\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    # a server on the socket only, to create the database, then stopped
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    createdb --username="$user" -- "$db"
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgresql-entrypoint: initialized $PGDATA (superuser $user, database $db)" >&2
fi

exec postgres -D "$PGDATA" "$@"
