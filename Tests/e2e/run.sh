#!/usr/bin/env bash
# Browser, HTML, accessibility, authorisation and attack-tool tests (issue 8, "In make test").
#
# Usage: Tests/e2e/run.sh <path-to-clinic-binary>
# Installs what is missing (Debian packages, a Python venv under .build/e2e-venv), starts the
# portal on a free loopback port with a throwaway data directory, runs pytest bounded in time,
# stops the portal (and its PostgreSQL) on exit, and exits non-zero on any failure.
# Environment: E2E_PORTS (default 8200-8299) is the loopback port range this run may use;
# E2E_BUDGET (seconds, default 480) bounds the pytest run. Arguments after the binary go to pytest
# (e.g. -k wapiti, -x).
set -euo pipefail

if [ $# -lt 1 ]; then echo "usage: $0 <path-to-clinic-binary>" >&2; exit 2; fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ -x "$BIN" ] || { echo "e2e: $BIN is not an executable" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
VENV=$ROOT/.build/e2e-venv
ART=$ROOT/.build/e2e-artifacts
E2E_PORTS=${E2E_PORTS:-8200-8299}
BUDGET=${E2E_BUDGET:-480}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo

# --- Debian packages (only what is missing) ---------------------------------------------
missing=""
for p in chromium chromium-driver slowhttptest; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$missing python3-venv"
if [ -n "$missing" ]; then
    echo "e2e: installing Debian packages:$missing"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# --- Python venv (re-installed when requirements.txt changes) ---------------------------
REQ=$ROOT/Tests/e2e/requirements.txt
STAMP=$VENV/.requirements.sha256
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    echo "e2e: preparing $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
    # axe-core 4.x as bundled by this PyPI package; only its axe.min.js is used (injected through
    # selenium), so its Playwright dependency is not needed.
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps axe-playwright-python
    echo "$want" > "$STAMP"
fi

# --- The portal under test ----------------------------------------------------------------
rm -rf "$ART"; mkdir -p "$ART"
DATA=$(mktemp -d /tmp/clinic-e2e.XXXXXX)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$("$VENV/bin/python" - "$E2E_PORTS" <<'PY'
import socket, sys
low, high = map(int, sys.argv[1].split("-"))
for port in range(low, high + 1):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit("no free port in " + sys.argv[1])
PY
)
healthy() {
    "$VENV/bin/python" -c 'import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)' "http://127.0.0.1:$PORT/healthz"
}
"$BIN" serve --seed-demo --host 127.0.0.1 --port "$PORT" --data-dir "$DATA" >"$ART/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
    if healthy; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "e2e: the portal exited while starting:"; tail -30 "$ART/server.log"; exit 1; }
    sleep 0.2
done
healthy || { echo "e2e: the portal did not start"; tail -30 "$ART/server.log"; exit 1; }
echo "e2e: portal on http://127.0.0.1:$PORT (data $DATA, log $ART/server.log)"

export E2E_BASE_URL="http://127.0.0.1:$PORT"
export E2E_DEMO_PASSWORD; E2E_DEMO_PASSWORD=$(cat "$DATA/demo-password")
export E2E_ARTIFACTS="$ART"
export E2E_PORTS E2E_SERVER_PORT="$PORT"
export PATH="$VENV/bin:$PATH"

status=0
timeout --signal=INT --kill-after=30 "$BUDGET" \
    "$VENV/bin/python" -m pytest "$ROOT/Tests/e2e" -p no:cacheprovider -rfE --timeout=240 \
    --junitxml="$ART/junit.xml" "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 130 ]; then
    echo "e2e: FAILED — the run exceeded its budget of ${BUDGET}s"
fi
[ "$status" -eq 0 ] || echo "e2e: artifacts (screenshots, page sources, tool reports) in $ART"
exit "$status"
