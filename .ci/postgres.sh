# A throwaway PostgreSQL server for the tests: installed from the distribution's packages
# when missing, initialised in a temporary folder, listening on 127.0.0.1 only, trusting
# local connections, and stopped again by stop_postgres. Sets POSTGRES_URL (no database).
#   . .ci/postgres.sh; start_postgres; ...; stop_postgres

postgres_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
    if [ -z "$(postgres_bin)" ]; then
        echo "installing PostgreSQL from the distribution's packages"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            postgresql >/dev/null
    fi
    local bin
    bin="$(postgres_bin)"
    PG_DIR="$(mktemp -d)"
    PG_PORT="${PG_PORT:-55432}"
    # the server refuses to run as root: run it as the packages' postgres user then
    local as=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$PG_DIR"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
    # durability off: a test server's data is thrown away anyway
    "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start -o \
        "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" >/dev/null
    PG_AS=("${as[@]}")
    PG_BIN="$bin"
    POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT"
    export POSTGRES_URL
    "$bin/postgres" --version
}

stop_postgres() {
    if [ -n "${PG_DIR:-}" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
    fi
}
