# Sourced by Tests/bench and Tests/faults: a private PostgreSQL cluster the scripts control
# themselves (so it can be restarted independently of the `clinic` processes).
#
# Same approach as the portal's embedded cluster (Sources/Postgres/EmbeddedPostgres.swift):
# Unix socket only (no TCP listener), and as root the cluster is owned and run by the
# unprivileged `postgres` account through runuser, because initdb refuses root.
#
#   cluster_init DIR [extra postgresql.conf lines...]   initdb + settings (DIR is created)
#   cluster_start / cluster_stop [mode] / cluster_restart  pg_ctl on $CLUSTER_DIR
#   cluster_url DB          libpq URL of database DB over the socket
#   cluster_psql DB ...     psql -X -q -v ON_ERROR_STOP=1 on DB
#   cluster_seed_base DB BIN PASSWORD PAST_DAYS FUTURE_DAYS PATIENTS
#                           a migrated DB with the seed_base.sql data set; sets CLUSTER_ADMIN_HASH
#   cluster_seed_sessions DB PREFIX   a session for every user (token PREFIX<user id>)
# Needs: initdb, pg_ctl, psql (Debian postgresql). Exports CLUSTER_DIR, CLUSTER_SOCKET.

_cluster_bin() {
    local tool=$1 dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/$tool" ]] && { echo "$dir/$tool"; return; }
    done
    command -v "$tool" || { echo "missing PostgreSQL tool $tool" >&2; return 1; }
}

_cluster_as_owner() {  # runs a PostgreSQL tool as the cluster owner
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cluster_init() {
    CLUSTER_DIR="$1"; shift
    CLUSTER_SOCKET="$CLUSTER_DIR/run"
    export CLUSTER_DIR CLUSTER_SOCKET
    mkdir -p "$CLUSTER_DIR/data" "$CLUSTER_SOCKET"
    chmod 755 "$CLUSTER_DIR"
    [[ "$(id -u)" -eq 0 ]] && chown -R postgres:postgres "$CLUSTER_DIR"
    _cluster_as_owner "$(_cluster_bin initdb)" -D "$CLUSTER_DIR/data" -U postgres --auth=trust \
        -E UTF8 --locale=C.UTF-8 >/dev/null || return 1
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$CLUSTER_SOCKET'"
        echo "port = 5432"
        echo "max_connections = 200"
        local line
        for line in "$@"; do echo "$line"; done
    } >> "$CLUSTER_DIR/data/postgresql.conf"
}

cluster_start() {
    _cluster_as_owner "$(_cluster_bin pg_ctl)" start -w -t 60 -s -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/postgres.log"
}

cluster_stop() {  # [fast|immediate|smart]
    [[ -n "${CLUSTER_DIR:-}" && -f "$CLUSTER_DIR/data/postmaster.pid" ]] || return 0
    _cluster_as_owner "$(_cluster_bin pg_ctl)" stop -w -t 60 -s -m "${1:-fast}" -D "$CLUSTER_DIR/data" || true
}

cluster_url() { echo "postgresql:///$1?host=$CLUSTER_SOCKET&port=5432&user=postgres"; }

cluster_psql() {
    local db=$1; shift
    psql -X -q -v ON_ERROR_STOP=1 -h "$CLUSTER_SOCKET" -p 5432 -U postgres -d "$db" "$@"
}

# Creates DB, migrates it with the portal's own migrator (`BIN migrate`), creates admin@DB.test with
# PASSWORD through `BIN create-admin` (the real policy and argon2id), then loads Tests/bench/seed_base.sql
# with that admin's hash for every seeded account. Sets CLUSTER_ADMIN_HASH.
cluster_seed_base() {  # db bin password past_days future_days patients
    local db=$1 bin=$2 password=$3 url log
    url="$(cluster_url "$db")"
    log="$CLUSTER_DIR/create-admin.log"
    cluster_psql postgres -c "CREATE DATABASE $db" || return 1
    "$bin" migrate --database-url "$url" --log-level warning >/dev/null || return 1
    printf '%s\n' "$password" | "$bin" create-admin --database-url "$url" --log-level warning \
        --email "admin@$db.test" --name "Admin $db" >/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
    CLUSTER_ADMIN_HASH="$(cluster_psql "$db" -At -c "SELECT password_hash FROM users WHERE email = 'admin@$db.test'")"
    cluster_psql "$db" -v hash="$CLUSTER_ADMIN_HASH" -v past_days="$4" -v future_days="$5" -v patients="$6" \
        -f "$(dirname "${BASH_SOURCE[0]}")/../seed_base.sql" >/dev/null
}

# A session for every user, stored as SessionStore.create stores it (the SHA-256 of the token, never the
# token): token PREFIX<user id>, CSRF secret csrf-<user id>. Lets load tools act as thousands of signed-in
# users without thousands of argon2 sign-ins.
cluster_seed_sessions() {  # db prefix
    cluster_psql "$1" -c "
        INSERT INTO sessions (token_hash, user_id, csrf_secret, created_at, last_seen_at, expires_at, ip, user_agent)
        SELECT encode(sha256(convert_to('$2' || id, 'UTF8')), 'hex'), id, 'csrf-' || id, now(), now(),
               now() + interval '12 hours', '127.0.0.1', 'load test'
        FROM users" >/dev/null
}
