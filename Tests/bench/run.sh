#!/usr/bin/env bash
# make bench: every benchmark of the portal, each printing `NAME: ours=X baseline=Y ratio=Z target=T`
# with its baseline measured in the same run; lines starting with "#" are context (data set, every run).
# Bounded in time (about 8 minutes on 2 cores); leaves nothing running (each part stops what it starts).
#   1. http.sh    the HTTP server vs nginx serving the same file from Public/ (issue 2)
#   2. portal.sh  pages, booking, sign-ins and how the cost grows, on a seeded data set vs pgbench (issues 4, 6, 8)
#      portal.sh also runs audit.sh (the admin audit pages, when present) against its seeded log
# CLINIC_BIN overrides the binary (default .build/release/clinic).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BIN="${CLINIC_BIN:-$ROOT/.build/release/clinic}"
[[ -x "$BIN" ]] || { echo "build first: swift build -c release" >&2; exit 2; }
export CLINIC_BIN="$BIN"

DATA="$(mktemp -d /tmp/clinic-bench.XXXXXX)"
chmod 755 "$DATA"
trap 'rm -rf "$DATA"' EXIT

echo "# HTTP server: the portal (release build) vs nginx serving the same file from Public/"
# The portal serves Public/ under /static/; the dynamic route /login renders a template without the database.
# `clinic serve` starts its own private PostgreSQL in the temporary data directory and stops it on exit.
SERVER_CMD="$BIN serve --port \$OURS_PORT --data-dir $DATA --log-level warning" \
OURS_PORT="${OURS_PORT:-8391}" NGINX_PORT="${NGINX_PORT:-8392}" OURS_STATIC_PREFIX=/static DYNAMIC_PATH=/login \
    "$ROOT/Tests/bench/http.sh"

echo "# Portal: 3 clinics, 60 doctors, a year of blocks, 20,000 patients, 200,000 appointments, 1,000,000 audit rows"
"$ROOT/Tests/bench/portal.sh"

