#!/usr/bin/env bash
# Benchmarks our HTTP server against nginx on loopback (issue 2, "make bench").
#
# Usage: Tests/bench/http.sh <release-binary>
#   The default server command is "<release-binary> <public-dir> <port>" (the httpbench tool of
#   the HTTPServer dev package). Point SERVER_CMD at any other server, e.g.
#     SERVER_CMD='.build/release/clinic serve --port $OURS_PORT' scripts/bench-http.sh
#   SERVER_CMD is run by bash with OURS_PORT and PUBLIC_DIR exported; it must serve
#   $PUBLIC_DIR/$BENCH_FILE at /$BENCH_FILE and a small dynamic page at $DYNAMIC_PATH.
#
# Baseline: nginx from the Debian package with its own temporary config: loopback only,
# access_log off, sendfile on, worker_processes $NGINX_WORKERS (default "auto", the Debian
# default, i.e. one per core), serving the same file from the same directory.
#
# Prints one line per figure: NAME: ours=X baseline=Y ratio=Z target=T
# Bounded in time (about 60 s) and cleans up after itself on any exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BINARY="${1:-}"
export PUBLIC_DIR="${PUBLIC_DIR:-$ROOT/Public}"
export OURS_PORT="${OURS_PORT:-18081}"
NGINX_PORT="${NGINX_PORT:-18082}"
BENCH_FILE="${BENCH_FILE:-bench-5k.html}"
DYNAMIC_PATH="${DYNAMIC_PATH:-/hello}"
OURS_STATIC_PREFIX="${OURS_STATIC_PREFIX:-}"  # e.g. /static when the server maps Public/ under a prefix
NGINX_WORKERS="${NGINX_WORKERS:-auto}"
DURATION="${DURATION:-5s}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"

if [[ -z "${SERVER_CMD:-}" ]]; then
    [[ -n "$BINARY" && -x "$BINARY" ]] || { echo "usage: $0 <release-binary> (or set SERVER_CMD)" >&2; exit 2; }
    SERVER_CMD="$BINARY \"\$PUBLIC_DIR\" \$OURS_PORT"
fi
for tool in nginx wrk python3 curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -f "$PUBLIC_DIR/$BENCH_FILE" ]] || { echo "missing $PUBLIC_DIR/$BENCH_FILE" >&2; exit 2; }

# 10,000 idle connections on both ends need descriptors; inherited by the servers.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK="$(mktemp -d /tmp/bench-http.XXXXXX)"
SERVER_PID=""
NGINX_PID=""
IDLE_PID=""
cleanup() {
    for pid in $IDLE_PID $SERVER_PID $NGINX_PID; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $IDLE_PID $SERVER_PID $NGINX_PID; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# --- nginx -------------------------------------------------------------------------------
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
worker_rlimit_nofile 30000;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 20000; }
http {
    access_log off;
    sendfile on;
    tcp_nodelay on;
    default_type application/octet-stream;
    types { text/html html; }
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $PUBLIC_DIR;
    }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!

# --- ours --------------------------------------------------------------------------------
bash -c "exec $SERVER_CMD" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

wait_for() {  # url
    for _ in $(seq 100); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "server at $1 did not come up" >&2
    cat "$WORK/server.log" "$WORK/nginx/error.log" >&2 2>/dev/null || true
    exit 1
}
OURS="http://127.0.0.1:$OURS_PORT"
NGINX="http://127.0.0.1:$NGINX_PORT"
wait_for "$OURS$OURS_STATIC_PREFIX/$BENCH_FILE"
wait_for "$NGINX/$BENCH_FILE"

# --- helpers -----------------------------------------------------------------------------
run_wrk() {  # connections url [extra args] -> wrk output
    timeout 30 wrk -t1 -c"$1" -d"$DURATION" "${@:3}" "$2"
}
requests_per_second() { awk '/^Requests\/sec:/ { print $2 }'; }
to_ms() {  # "123.45us" | "1.20ms" | "1.5s" -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n = n * 1000
        printf "%.3f", n }'
}
mean_latency_ms() { to_ms "$(awk '/^ +Latency/ { print $2; exit }')"; }
p99_latency_ms() { to_ms "$(awk '$1 == "99%" { print $2; exit }')"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }
report() { echo "$1: ours=$2 baseline=$3 ratio=$(ratio "$2" "$3") target=$4"; }
rss_mb() {  # pid... -> summed VmRSS in MB
    local total=0 kb
    for pid in "$@"; do
        kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + kb))
    done
    awk -v kb="$total" 'BEGIN { printf "%.1f", kb / 1024 }'
}

# Warm both up (page cache, our file cache, nginx open files).
timeout 10 wrk -t1 -c8 -d1s "$OURS$OURS_STATIC_PREFIX/$BENCH_FILE" >/dev/null
timeout 10 wrk -t1 -c8 -d1s "$NGINX/$BENCH_FILE" >/dev/null

# --- figures -----------------------------------------------------------------------------
ours_static=$(run_wrk 32 "$OURS$OURS_STATIC_PREFIX/$BENCH_FILE" | requests_per_second)
nginx_static=$(run_wrk 32 "$NGINX/$BENCH_FILE" | requests_per_second)
report static_rps "$ours_static" "$nginx_static" 0.70

ours_dynamic=$(run_wrk 32 "$OURS$DYNAMIC_PATH" | requests_per_second)
report dynamic_rps_vs_nginx_static "$ours_dynamic" "$nginx_static" 0.50

ours_rtt=$(run_wrk 1 "$OURS$OURS_STATIC_PREFIX/$BENCH_FILE" | mean_latency_ms)
nginx_rtt=$(run_wrk 1 "$NGINX/$BENCH_FILE" | mean_latency_ms)
report keepalive_round_trip_ms "$ours_rtt" "$nginx_rtt" "<=1"

ours_p99=$(run_wrk 64 "$OURS$OURS_STATIC_PREFIX/$BENCH_FILE" --latency | p99_latency_ms)
nginx_p99=$(run_wrk 64 "$NGINX/$BENCH_FILE" --latency | p99_latency_ms)
report p99_latency_64_connections_ms "$ours_p99" "$nginx_p99" "<=5"

# Idle connections: each sends one keep-alive request, reads the answer, then stays open.
cat > "$WORK/idle.py" <<'PY'
import socket, sys, time
port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
request = ("GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode()
sockets = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(request)
    sockets.append(s)
    if len(sockets) % 500 == 0:  # read answers in batches so the backlog never overflows
        for t in sockets[-500:]:
            t.recv(65536)
for t in sockets[len(sockets) - len(sockets) % 500:]:
    t.recv(65536)
print("ready", flush=True)
time.sleep(120)
PY
idle_rss() {  # port pids... -> MB with the idle connections open
    local port=$1; shift
    python3 "$WORK/idle.py" "$port" "$IDLE_CONNECTIONS" "$BENCH_FILE" > "$WORK/idle.out" 2>&1 &
    IDLE_PID=$!
    for _ in $(seq 300); do
        grep -q ready "$WORK/idle.out" 2>/dev/null && break
        kill -0 "$IDLE_PID" 2>/dev/null || { cat "$WORK/idle.out" >&2; break; }
        sleep 0.1
    done
    sleep 1
    rss_mb "$@"
    kill "$IDLE_PID" 2>/dev/null || true
    wait "$IDLE_PID" 2>/dev/null || true
    IDLE_PID=""
}
ours_rss=$(idle_rss "$OURS_PORT" "$SERVER_PID")
nginx_rss=$(idle_rss "$NGINX_PORT" "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true))
report rss_10k_idle_connections_mb "$ours_rss" "$nginx_rss" "<=200"
