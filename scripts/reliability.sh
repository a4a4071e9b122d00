#!/usr/bin/env bash
# The reliability suite in full, then a summary of its figures:
#   - kill -9 of the real binary 5 times under continuous load, on PostgreSQL and on SQLite;
#   - SIGTERM under load: exit 0 in bounded time, nothing lost (both backends);
#   - PostgreSQL server restarts under load (a throwaway cluster this suite starts itself);
#   - two nodes on one PostgreSQL (events to a random node, duplicates to both, racing first
#     contacts), and the other multi-node tests;
#   - the hostile input corpus and the slow-client test, on both backends.
# Sizes: SWITCHBOARD_RELIABILITY=full (the default here; anything else gives the bounded part CI
# runs), SWITCHBOARD_RELIABILITY_EVENTS (events per case), SWITCHBOARD_RELIABILITY_SEED (replays a
# run: every case prints its seed). Extra arguments go to `cargo test` (e.g. --release).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWITCHBOARD_RELIABILITY="${SWITCHBOARD_RELIABILITY:-full}"

log="$(mktemp -t switchboard-reliability.XXXXXX)"
echo "Reliability suite (SWITCHBOARD_RELIABILITY=$SWITCHBOARD_RELIABILITY); full output in $log"
set +e
./scripts/with-postgres.sh cargo test --test api "$@" -- --nocapture --test-threads=1 \
  reliability:: hostile:: nodes:: 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# Figures lines may follow a "test ... " prefix on the same line (--nocapture): cut from their start.
figures="$(grep -oE '(reliability: |hostile corpus: |slow clients ).*' "$log" || true)"
echo
echo "== Reliability summary =="
printf '%s\n' "$figures" | sed 's/^reliability: //; s/^/  /'
printf '%s\n' "$figures" | awk '
  /^reliability: / {
    for (i = 2; i <= NF; i++) {
      split($i, kv, "=")
      if (kv[1] == "events_sent") sent += kv[2]
      if (kv[1] == "acknowledged") acked += kv[2]
      if (kv[1] == "counted") counted += kv[2]
      if (kv[1] == "crashes_survived") crashes += kv[2]
      if (kv[1] == "db_restarts_survived") restarts += kv[2]
      if (kv[1] == "sigterm_stops") stops += kv[2]
    }
    if ($0 ~ / skipped: /) skipped++
  }
  /^hostile corpus: / { cases += $3 }
  END {
    printf "  totals: %d events sent, %d acknowledged, %d counted; %d kill -9 crashes survived, %d PostgreSQL restarts survived, %d SIGTERM stops under load; %d hostile cases tried", sent, acked, counted, crashes, restarts, stops, cases
    if (skipped) printf "; %d case(s) SKIPPED", skipped
    printf "\n"
  }'
grep -E '^test result: ' "$log" | sed 's/^/  /' || true
if [ "$status" = 0 ]; then echo "  PASSED"; else echo "  FAILED (cargo test exit $status; see $log)"; fi
exit "$status"
