#!/usr/bin/env bash
# Benchmarks the admin audit log against PostgreSQL itself (issue 7, "make bench").
#
# Standalone: it starts nothing and changes nothing but one `audit.exported` entry per export.
# Seed the log first (e.g. 1,000,000 rows) and start the portal; then:
#
#   DATABASE_URL=postgresql://clinic@127.0.0.1:5432/clinic \
#   SERVER_URL=http://127.0.0.1:18090 \
#   ADMIN_COOKIE='session=<token of a signed-in admin>' \
#   Tests/bench/audit.sh
#
# Inputs (environment):
#   DATABASE_URL  libpq URL of the portal's database; psql connects with it for the baseline.
#   SERVER_URL    base URL of the running portal (no trailing slash).
#   ADMIN_COOKIE  the Cookie header value of a signed-in admin's session (e.g. `session=…`, or
#                 `__Host-session=…` behind TLS). The session's idle timeout must outlast the run.
#   SAMPLES       pages timed per figure, median reported (default 21).
#   CSV_RUNS      exports timed, best reported for both sides (default 1).
#   TIMEOUT       seconds allowed for one export or the warm-up (default 600).
# Needs curl, psql, awk, sort.
#
# The first page request seals every unsealed audit row (the page does this before listing), so a
# freshly seeded log is sealed by an untimed warm-up request before anything is measured.
#
# Prints, one per figure, `NAME: ours=X baseline=Y ratio=Z target=T`:
#   audit_first_page_ms   newest page of /admin/audit (50 entries), median over SAMPLES requests (curl, whole
#                         response); baseline: psql running the page's SELECT (same columns, join, order,
#                         LIMIT 51), median of the server-side time psql's \timing reports.
#   audit_deep_page_ms    the same for keyset pages (`before=<id>`) spread evenly over the whole log.
#   audit_csv_rows_per_s  /admin/audit.csv of the whole log, streamed (chunked) to curl; baseline:
#                         psql `\copy (SELECT the same cells …) TO STDOUT WITH CSV`. Higher is better.
#   audit_csv_mb_per_s    bytes of the same two transfers per second (decimal MB). Higher is better.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the portal database URL}"
: "${SERVER_URL:?set SERVER_URL to the running portal, e.g. http://127.0.0.1:18090}"
: "${ADMIN_COOKIE:?set ADMIN_COOKIE to a signed-in admin session cookie, e.g. session=...}"
SAMPLES="${SAMPLES:-21}"
CSV_RUNS="${CSV_RUNS:-1}"
TIMEOUT="${TIMEOUT:-600}"
for tool in curl psql awk sort; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

WORK="$(mktemp -d /tmp/bench-audit.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT INT TERM

PSQL=(psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1)
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }
report() { echo "$1: ours=$2 baseline=$3 ratio=$(ratio "$2" "$3") target=$4"; }

# One page request; prints its time in ms, fails unless the answer is 200.
page_ms() {
    local out
    out=$(curl -sS -o /dev/null --max-time 60 -H "Cookie: $ADMIN_COOKIE" -w '%{http_code} %{time_total}' "$SERVER_URL$1")
    [[ "${out%% *}" == 200 ]] || { echo "GET $1 answered ${out%% *} (is ADMIN_COOKIE a live admin session?)" >&2; exit 1; }
    awk -v s="${out#* }" 'BEGIN { printf "%.3f\n", s * 1000 }'
}

# --- warm-up: seal the log, fill caches ---------------------------------------------------
curl -sS -o /dev/null --max-time "$TIMEOUT" -H "Cookie: $ADMIN_COOKIE" "$SERVER_URL/admin/audit" || true
read -r MIN_ID MAX_ID ROWS < <("${PSQL[@]}" -At -F ' ' -c "SELECT coalesce(min(id), 0), coalesce(max(id), 0), count(*) FROM audit_log")
[[ "$ROWS" -gt 0 ]] || { echo "audit_log is empty: seed it first" >&2; exit 2; }
echo "# audit log: $ROWS rows (ids $MIN_ID..$MAX_ID), $SAMPLES samples per page figure"

# The page's own query (AuditStore.list), for psql to time.
page_sql() {  # before-id or empty
    local bound="NULL"
    [[ -n "$1" ]] && bound="$1"
    cat <<SQL
SELECT a.id, a.at, a.actor_id, u.email::text AS actor_email, a.actor_role, a.action, a.entity, a.entity_id,
       a.ip, a.details::text AS details, a.hash IS NOT NULL AS sealed
FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
WHERE ($bound::bigint IS NULL OR a.id < $bound)
ORDER BY a.id DESC LIMIT 51;
SQL
}
# Runs each query of stdin in one psql session and prints the server time of each (\timing), in ms.
psql_times() {
    { echo '\o /dev/null'; echo '\timing on'; cat; } | "${PSQL[@]}" 2>&1 | awk '/^Time: / { print $2 }'
}

depths=()
for i in $(seq 1 "$SAMPLES"); do
    depths+=("$(( MIN_ID + (MAX_ID - MIN_ID) * i / (SAMPLES + 1) + 1 ))")
done

# --- page: newest -------------------------------------------------------------------------
ours=$(for _ in $(seq "$SAMPLES"); do page_ms "/admin/audit"; done | median)
base=$(for _ in $(seq "$SAMPLES"); do page_sql ""; done | psql_times | median)
report audit_first_page_ms "$ours" "$base" "<=50"

# --- page: deep keyset pages ----------------------------------------------------------------
ours=$(for d in "${depths[@]}"; do page_ms "/admin/audit?before=$d"; done | median)
base=$(for d in "${depths[@]}"; do page_sql "$d"; done | psql_times | median)
report audit_deep_page_ms "$ours" "$base" "<=50"

# --- CSV export -----------------------------------------------------------------------------
now() { date +%s.%N; }
best_ours_rows=0; best_ours_mb=0; best_base_rows=0; best_base_mb=0
for _ in $(seq "$CSV_RUNS"); do
    start=$(now)
    curl -sS --fail --max-time "$TIMEOUT" -H "Cookie: $ADMIN_COOKIE" "$SERVER_URL/admin/audit.csv" > "$WORK/ours.csv"
    end=$(now)
    # One header line; JSON details never hold a raw line break, so lines are rows.
    lines=$(wc -l < "$WORK/ours.csv"); bytes=$(wc -c < "$WORK/ours.csv")
    read -r rows mb < <(awk -v l="$lines" -v b="$bytes" -v s="$start" -v e="$end" \
        'BEGIN { t = e - s; printf "%.0f %.2f\n", (l - 1) / t, b / 1e6 / t }')
    best_ours_rows=$(awk -v a="$rows" -v b="$best_ours_rows" 'BEGIN { print (a > b ? a : b) }')
    best_ours_mb=$(awk -v a="$mb" -v b="$best_ours_mb" 'BEGIN { print (a > b ? a : b) }')
    rm -f "$WORK/ours.csv"

    start=$(now)
    timeout "$TIMEOUT" "${PSQL[@]}" -c "\\copy (SELECT a.id, to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), a.actor_id, u.email, a.actor_role, a.action, a.entity, a.entity_id, a.ip, a.details::text, a.chain_position, a.hash FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id ORDER BY a.id DESC) TO STDOUT WITH CSV HEADER" > "$WORK/base.csv"
    end=$(now)
    lines=$(wc -l < "$WORK/base.csv"); bytes=$(wc -c < "$WORK/base.csv")
    read -r rows mb < <(awk -v l="$lines" -v b="$bytes" -v s="$start" -v e="$end" \
        'BEGIN { t = e - s; printf "%.0f %.2f\n", (l - 1) / t, b / 1e6 / t }')
    best_base_rows=$(awk -v a="$rows" -v b="$best_base_rows" 'BEGIN { print (a > b ? a : b) }')
    best_base_mb=$(awk -v a="$mb" -v b="$best_base_mb" 'BEGIN { print (a > b ? a : b) }')
    rm -f "$WORK/base.csv"
done
report audit_csv_rows_per_s "$best_ours_rows" "$best_base_rows" ">=0.25"
report audit_csv_mb_per_s "$best_ours_mb" "$best_base_mb" ">=0.25"
