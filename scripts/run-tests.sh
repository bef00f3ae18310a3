#!/usr/bin/env bash
# Runs every test. Database tests start their own throwaway PostgreSQL cluster (TestSupport);
# whatever happens, no postgres process of this run is left behind.
set -uo pipefail
cd "$(dirname "$0")/.."

export CLINIC_TEST_RUN_DIR="${CLINIC_TEST_RUN_DIR:-$(mktemp -d /tmp/clinic-test.XXXXXX)}"
chmod 755 "$CLINIC_TEST_RUN_DIR"
cleanup() {
    # Stop any cluster the tests started under the run directory (normally they stop it themselves).
    for pid_file in $(find "$CLINIC_TEST_RUN_DIR" -name postmaster.pid 2>/dev/null); do
        pid=$(head -1 "$pid_file")
        [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null || true
    done
    sleep 0.5
    rm -rf "$CLINIC_TEST_RUN_DIR"
}
trap cleanup EXIT

swift test --skip-build 2>&1 | tee "$CLINIC_TEST_RUN_DIR/swift-test.log"
status=${PIPESTATUS[0]}
exit "$status"
