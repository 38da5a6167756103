#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server beside it.
#
#   scripts/test-postgres.sh .venv/bin/pytest -x
#
# Finds the PostgreSQL server binaries (installing Debian's `postgresql` package when
# there are none and we are root), creates a cluster in a temporary folder that listens
# on 127.0.0.1 only, on a free port, with trust authentication and fsync off, exports
# STMON_TEST_POSTGRES_URL for the command, runs it, then stops the cluster and removes
# the folder whatever happened. The command's exit status is passed through. If the
# server cannot be installed or started, this fails: it never falls back to SQLite only.
set -euo pipefail

die() {
    echo "test-postgres: $*" >&2
    exit 2
}

[ "$#" -gt 0 ] || die "usage: $0 COMMAND [ARG...]"

find_bindir() {
    local dir
    if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return 0
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

install_postgres() {
    [ "$(id -u)" -eq 0 ] || die "no PostgreSQL server found; install it (apt-get install postgresql)"
    command -v apt-get >/dev/null 2>&1 || die "no PostgreSQL server found and no apt-get to install it"
    echo "test-postgres: installing PostgreSQL (apt-get install postgresql)" >&2
    # Only the binaries: no default cluster started on port 5432 by the package scripts.
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/stmon-tests.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || die "apt-get update failed"
    apt-get install -y -qq postgresql >/dev/null || die "apt-get install postgresql failed"
}

BINDIR=$(find_bindir) || { install_postgres; BINDIR=$(find_bindir) || die "PostgreSQL installed but pg_ctl/initdb not found"; }

# The server refuses to run as root: run it as an ordinary user.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres \
            || die "cannot create the postgres user"
    fi
    if command -v runuser >/dev/null 2>&1; then
        RUN_AS=(runuser -u postgres --)
    else
        RUN_AS=(su postgres -s /bin/sh -c)
    fi
fi

as_server_user() {
    if [ "${#RUN_AS[@]}" -eq 0 ]; then
        "$@"
    elif [ "${RUN_AS[0]}" = "su" ]; then
        "${RUN_AS[@]}" "$(printf '%q ' "$@")"
    else
        "${RUN_AS[@]}" "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stmon-pg.XXXXXX")
DATA="$WORK/data"
LOG="$WORK/server.log"
STARTED=0

cleanup() {
    if [ "$STARTED" -eq 1 ]; then
        as_server_user "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "${#RUN_AS[@]}" -eq 0 ] || chown postgres "$WORK"
as_server_user "$BINDIR/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
    --no-locale >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }

PORT=$(free_port)
# max_connections: test runs and multi-instance tests open many pools at once.
as_server_user "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$WORK \
     -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    >/dev/null || { cat "$LOG" >&2 2>/dev/null; die "PostgreSQL did not start"; }
STARTED=1

VERSION=$("$BINDIR/postgres" --version | awk '{print $3}')
export STMON_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
echo "test-postgres: PostgreSQL $VERSION on 127.0.0.1:$PORT (data in $DATA)" >&2

set +e
"$@"
STATUS=$?
set -e
exit "$STATUS"
