#!/usr/bin/env bash
# promtool checks: the alert rules (check + unit tests) and the /metrics of a running daemon.
# Installs promtool (Debian package prometheus) when it is missing. Fails on any error or lint
# problem. Uses the debug binary (built if needed) on SQLite in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null; then
    echo "promtool missing: installing the Debian package prometheus"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y --no-install-recommends prometheus >/dev/null \
        || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y --no-install-recommends prometheus >/dev/null; }
fi
promtool --version | head -1

echo "== promtool check rules"
promtool check rules docs/prometheus/alerts.yml
echo "== promtool test rules"
promtool test rules docs/prometheus/alerts_test.yml

echo "== promtool check metrics (a live daemon)"
target="${CARGO_TARGET_DIR:-target}"
bin="${SWITCHBOARD_BIN:-$target/debug/switchboard}"
[ -n "${SWITCHBOARD_BIN:-}" ] || cargo build --quiet --bin switchboard
tmp="$(mktemp -d)"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# A throwaway Ed25519 key: the daemon gets the raw public key in base64, as the Telnyx portal shows it.
openssl genpkey -algorithm ed25519 -out "$tmp/key.pem" 2>/dev/null
public_key="$(openssl pkey -in "$tmp/key.pem" -pubout -outform DER | tail -c 32 | base64 -w0)"

export SWITCHBOARD__DATABASE__URL="sqlite://$tmp/switchboard.db"
export SWITCHBOARD__TELNYX__PUBLIC_KEY="$public_key"
export SWITCHBOARD__HTTP__WORKERS=1
export SWITCHBOARD__LOG__LEVEL=warn
"$bin" demo >/dev/null

port=""
for _ in 1 2 3 4 5; do
    candidate=$((20000 + RANDOM % 30000))
    SWITCHBOARD__HTTP__BIND="127.0.0.1:$candidate" "$bin" serve >"$tmp/daemon.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$candidate/readyz" >/dev/null 2>&1; then port=$candidate; break 2; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
done
[ -n "$port" ] || { echo "daemon did not become ready"; cat "$tmp/daemon.log"; exit 1; }
base="http://127.0.0.1:$port"

# One webhook of each outcome, so the labelled series exist: counted, dead letter, bad signature.
send() {
    local body="$1" ts sig
    ts="$(date +%s)"
    printf '%s|%s' "$ts" "$body" >"$tmp/msg"
    sig="$(openssl pkeyutl -sign -inkey "$tmp/key.pem" -rawin -in "$tmp/msg" | base64 -w0)"
    curl -sS -o /dev/null -w '%{http_code}\n' "$base/webhooks/telnyx" -H 'content-type: application/json' \
        -H "telnyx-signature-ed25519: $sig" -H "telnyx-timestamp: $ts" --data-binary "$body"
}
event() {
    printf '{"data":{"event_type":"call.initiated","id":"%s","occurred_at":"2026-11-25T10:00:00Z","payload":{"call_control_id":"v3:x","call_leg_id":"l","call_session_id":"s","connection_id":"1","from":"+14155550100","to":"%s","direction":"incoming","state":"parked"},"record_type":"event"}}' "$1" "$2"
}
codes="$(send "$(event "promtool-$RANDOM-1" +18314280176)") $(send "$(event "promtool-$RANDOM-2" +19995550000)")"
codes="$codes $(curl -sS -o /dev/null -w '%{http_code}' "$base/webhooks/telnyx" --data-binary '{}')"
[ "$codes" = "200 200 401" ] || { echo "unexpected webhook answers: $codes"; cat "$tmp/daemon.log"; exit 1; }

curl -fsS "$base/metrics" >"$tmp/metrics.txt"
problems="$(promtool check metrics <"$tmp/metrics.txt" 2>&1)" || true
if [ -n "$problems" ]; then
    echo "$problems"
    echo "promtool check metrics: problems found in /metrics"
    exit 1
fi
echo "promtool check metrics: $(grep -c '^# TYPE' "$tmp/metrics.txt") metric families, no problems"
