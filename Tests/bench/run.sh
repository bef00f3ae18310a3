#!/usr/bin/env bash
# make bench: every benchmark of the portal, each printing `NAME: ours=X baseline=Y ratio=Z target=T`
# with its baseline measured in the same run. Bounded in time; leaves nothing running.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="$ROOT/.build/release/clinic"
[[ -x "$BIN" ]] || { echo "build first: swift build -c release" >&2; exit 2; }

DATA="$(mktemp -d /tmp/clinic-bench.XXXXXX)"
chmod 755 "$DATA"
trap 'rm -rf "$DATA"' EXIT

echo "# HTTP server: the portal (release build) vs nginx serving the same file from Public/"
# The portal serves Public/ under /static/; the dynamic route /login renders a template without the database.
# `clinic serve` starts its own private PostgreSQL in the temporary data directory and stops it on exit.
SERVER_CMD="$BIN serve --port \$OURS_PORT --data-dir $DATA --log-level warning" \
OURS_STATIC_PREFIX=/static DYNAMIC_PATH=/login \
    "$ROOT/Tests/bench/http.sh"
