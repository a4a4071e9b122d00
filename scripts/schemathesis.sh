#!/usr/bin/env bash
# Property-based API testing: schemathesis (PyPI) against the daemon's own GET /openapi.json.
#
# Starts the real daemon (debug binary) with an operator token on a fresh SQLite file and, when a
# PostgreSQL server answers ($DATABASE_URL, else 127.0.0.1:5432), once more on a fresh PostgreSQL
# database; loads the demo data and one signed call webhook so that ids exist; then runs
# schemathesis with a fixed seed and a bounded number of examples per operation. Fails on any
# finding: a 5xx, a status code, content type, header or body the document does not declare, a
# schema-valid request refused or a schema-violating one accepted, an undeclared method not
# answered 405, a request without the token not refused.
#
# Telnyx is never reached: telnyx.base_url points at a closed port on 127.0.0.1 (and so do the
# daemon's proxy variables), so provisioning, messages and calls answer their documented 502.
#
# Environment: SWITCHBOARD_BIN (a built binary; default: build the debug one), ST_MAX_EXAMPLES
# (default 100), ST_SEED (default 20261125), ST_BACKENDS ("sqlite postgres" by default),
# ST_TIMEOUT_SECS (hard cap per backend, default 150), ST_REPORT_DIR (keep the reports there).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# --- schemathesis, pinned to major version 4, in a venv under the ignored .schemathesis/ --------
st_spec='schemathesis>=4.32,<5'
venv="$root/.schemathesis/venv"
st="$venv/bin/schemathesis"
st_ok() {
    "$venv/bin/python" -c 'import importlib.metadata as m, sys
v = tuple(int(x) for x in m.version("schemathesis").split(".")[:2])
sys.exit(0 if (4, 32) <= v < (5, 0) else 1)' 2>/dev/null && "$st" --version >/dev/null 2>&1
}
if ! st_ok; then
    echo "schemathesis missing: installing $st_spec into .schemathesis/venv"
    command -v python3 >/dev/null || { echo "scripts/schemathesis.sh: python3 not found" >&2; exit 1; }
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        # Debian's python3 has venv in a package of its own.
        rm -rf "$venv"
        sudo_cmd=""
        [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
        $sudo_cmd apt-get install -y --no-install-recommends python3-venv >/dev/null 2>&1 \
            || { $sudo_cmd apt-get update >/dev/null && $sudo_cmd apt-get install -y --no-install-recommends python3-venv >/dev/null; }
        python3 -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$st_spec"
    st_ok || { echo "scripts/schemathesis.sh: schemathesis did not install" >&2; exit 1; }
fi
"$st" --version

# --- the daemon ---------------------------------------------------------------------------------
target="${CARGO_TARGET_DIR:-target}"
bin="${SWITCHBOARD_BIN:-$target/debug/switchboard}"
[ -n "${SWITCHBOARD_BIN:-}" ] || cargo build --quiet --bin switchboard
max_examples="${ST_MAX_EXAMPLES:-100}"
seed="${ST_SEED:-20261125}"
cap="${ST_TIMEOUT_SECS:-150}"
backends="${ST_BACKENDS:-sqlite postgres}"

tmp="$(mktemp -d)"
pid=""
pg_admin=""
pg_db=""
# SIGTERM, then up to 30 s for the exit (README: in-flight requests finish, then exit 0); a daemon
# still running then is killed and the run fails, rather than CI hanging on `wait`.
stop_daemon() {
    [ -n "$pid" ] || return 0
    local p=$pid
    pid=""
    kill "$p" 2>/dev/null || return 0
    for _ in $(seq 1 300); do
        if ! kill -0 "$p" 2>/dev/null; then
            wait "$p" 2>/dev/null && return 0
            echo "the daemon exited non-zero after SIGTERM"; return 1
        fi
        sleep 0.1
    done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    echo "the daemon did not exit within 30 s of SIGTERM: killed"
    return 1
}
cleanup() {
    stop_daemon || true
    if [ -n "$pg_db" ]; then psql "$pg_admin" -qc "drop database if exists $pg_db with (force)" >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

operator_token="st-operator-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
company="5752a705-de30-4000-8000-000000000001" # src/demo.rs DEMO_COMPANY_ID
openssl genpkey -algorithm ed25519 -out "$tmp/key.pem" 2>/dev/null
public_key="$(openssl pkey -in "$tmp/key.pem" -pubout -outform DER | tail -c 32 | base64 -w0)"
# Telnyx's stand-in: a port nothing listens on (discard), checked before every run.
closed_port=9
closed="127.0.0.1:$closed_port"

auth=(-H "authorization: Bearer $operator_token")
api() { curl -sS "${auth[@]}" "$@"; }

# Starts the daemon on $1 (a database URL) and sets $base; the demo is loaded first.
start_daemon() {
    export SWITCHBOARD__DATABASE__URL="$1"
    export SWITCHBOARD__ADMIN__OPERATOR_TOKEN="$operator_token"
    export SWITCHBOARD__TELNYX__PUBLIC_KEY="$public_key"
    export SWITCHBOARD__TELNYX__API_KEY="KEY-schemathesis-never-sent"
    export SWITCHBOARD__TELNYX__BASE_URL="http://$closed/v2"
    export SWITCHBOARD__TELNYX__MAX_RETRIES=0
    export SWITCHBOARD__HTTP__WORKERS=2
    export SWITCHBOARD__HTTP__SHUTDOWN_TIMEOUT_SECS=5
    export SWITCHBOARD__LOG__LEVEL=warn
    # ignored_auth sends wrong tokens on purpose, thousands of them from one address: the
    # failed-auth lockout (tests/api/security/auth_limit.rs) would answer 429 to everything after.
    export SWITCHBOARD__ADMIN__AUTH_FAILURES_PER_MINUTE=1000000
    "$bin" demo >/dev/null
    base=""
    for _ in 1 2 3 4 5; do
        local candidate=$((20000 + RANDOM % 30000))
        SWITCHBOARD__HTTP__BIND="127.0.0.1:$candidate" SWITCHBOARD__PUBLIC_BASE_URL="http://127.0.0.1:$candidate" \
            HTTP_PROXY="http://$closed" HTTPS_PROXY="http://$closed" ALL_PROXY="http://$closed" NO_PROXY="" \
            "$bin" serve >"$tmp/daemon.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
            if curl -fsS "http://127.0.0.1:$candidate/readyz" >/dev/null 2>&1; then base="http://127.0.0.1:$candidate"; return; fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        stop_daemon || true
    done
    echo "daemon did not become ready"; cat "$tmp/daemon.log"; exit 1
}

# A signed call webhook to the Sales number: a routing-log entry and an outbox entry exist.
send_call_webhook() {
    local body ts sig
    body="$(printf '{"data":{"event_type":"call.initiated","id":"%s","occurred_at":"2026-11-25T10:00:00Z","payload":{"call_control_id":"v3:st","call_leg_id":"l","call_session_id":"s","connection_id":"1","from":"+14155550100","to":"+18314280176","direction":"incoming","state":"parked"},"record_type":"event"}}' "$1")"
    ts="$(date +%s)"
    printf '%s|%s' "$ts" "$body" >"$tmp/msg"
    sig="$(openssl pkeyutl -sign -inkey "$tmp/key.pem" -rawin -in "$tmp/msg" | base64 -w0)"
    curl -fsS -o /dev/null "$base/webhooks/telnyx" -H 'content-type: application/json' \
        -H "telnyx-signature-ed25519: $sig" -H "telnyx-timestamp: $ts" --data-binary "$body"
}

toml_list() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@"; }

# Every list gets a second row and a real cursor (the next_cursor of its first page of one), which
# generated requests to the list carry, so that they reach the keyset queries of later pages.
# positive_data_acceptance does not apply to the lists: a cursor is whatever the list gave out, a
# rule JSON Schema cannot state, and the coverage phase makes up cursors that match the schema
# (a documented 400 naming `cursor`; tests/api/admin_pagination.rs checks limits and cursors).
# Prints the config lines.
list_cursors() {
    local json='content-type: application/json' list path cursor
    api -o /dev/null -X POST "$base/v1/companies" -H "$json" -d '{"name": "schemathesis second"}'
    api -o /dev/null -X POST "$base/v1/companies/$company/tokens" -H "$json" -d '{"name": "schemathesis second"}'
    for customer in +12125550177 +12125550178; do
        api -o /dev/null -X PUT "$base/v1/companies/$company/opt-outs/$customer"
        api -o /dev/null -X PUT "$base/v1/companies/$company/assignments/$customer" -H "$json" \
            -d '{"phone_number": "+18314280176"}'
    done
    for list in companies numbers departments locations assignments opt-outs tokens routing-log outbox; do
        path="/v1/companies/{id}/$list"
        [ "$list" = companies ] && path="/v1/companies"
        cursor="$(api "$base${path/\{id\}/$company}?limit=1" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')"
        [ -n "$cursor" ] || { echo "GET $path has a single row: no cursor to test it with" >&2; return 1; }
        printf '\n[dictionaries.cursor_%s]\nvalues = ["%s"]\n' "${list//-/_}" "$cursor"
        printf '[[operations]]\ninclude-name = "GET %s"\n' "$path"
        printf 'parameters = { "query.cursor" = { dictionary = "cursor_%s" } }\n' "${list//-/_}"
        printf 'checks.positive_data_acceptance.enabled = false\n'
    done
}
json_ids() { python3 -c 'import json,sys; print(" ".join(x["id"] for x in json.load(sys.stdin)["data"]))'; }

# Dictionaries: known ids and names go into the generated requests most of the time, so that
# operations reach their logic instead of stopping at 404; the rest are generated.
write_config() {
    local numbers token job cursors
    numbers="$(api "$base/v1/companies/$company/numbers" | json_ids)" || { echo "cannot list the demo numbers"; exit 1; }
    token="$(api -X POST "$base/v1/companies/$company/tokens" -H 'content-type: application/json' -d '{"name":"schemathesis"}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')" || { echo "cannot create a token"; exit 1; }
    # A provision attempt fails at the closed port (502 naming the job): a job id exists.
    job="$(api -o /dev/null -D - -X POST "$base/v1/companies/$company/provision" | tr -d '\r' \
        | sed -n 's#^location: .*/jobs/##Ip')"
    [ -n "$job" ] || { echo "provision answered without a job Location"; cat "$tmp/daemon.log"; exit 1; }
    cursors="$(list_cursors)" || { echo "cannot read a cursor of every list"; exit 1; }
    # shellcheck disable=SC2086
    cat >"$tmp/schemathesis.toml" <<EOF
[dictionaries.company]
values = ["$company"]
[dictionaries.number]
values = $(toml_list $numbers)
[dictionaries.customer]
values = ["+14155550100", "+14155550199", "+12125550100"]
[dictionaries.rule]
values = ["Sales", "Support", "Emergency", "San Francisco", "Los Angeles", "New York"]
[dictionaries.event]
values = ["st-call-1"]
[dictionaries.token]
values = ["$token"]
[dictionaries.job]
values = ["$job"]

[parameters]
"path.id" = { dictionary = "company", probability = 0.9 }
"path.number_id" = { dictionary = "number", probability = 0.8 }
"path.customer" = { dictionary = "customer", probability = 0.5 }
"path.name" = { dictionary = "rule", probability = 0.5 }
"path.event_id" = { dictionary = "event", probability = 0.7 }
"path.token_id" = { dictionary = "token", probability = 0.7 }
"path.job_id" = { dictionary = "job", probability = 0.7 }

# Every check schemathesis 4 has, by name: one a later 4.x release adds stays off until named.
# object_level_authorization needs a second principal's credentials (the tenancy tests in
# tests/api/admin_tenancy.rs cover that); max_response_time is a benchmark, not a property.
[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_headers_conformance.enabled = true
response_schema_conformance.enabled = true
negative_data_rejection.enabled = true
positive_data_acceptance.enabled = true
missing_required_header.enabled = true
unsupported_method.enabled = true
allow_header_conformance.enabled = true
use_after_free.enabled = true
ensure_resource_availability.enabled = true
ignored_auth.enabled = true
# positive_data_acceptance: a schema-valid request must not be refused. 422 is this API's
# documented answer for a well-formed request that the company's current state refuses (a number
# that is not the company's, a company not provisioned yet): the document cannot express state.
# (5xx is judged by not_a_server_error.)
positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

# Telnyx sits behind a closed local port: the operations that call it answer their documented
# 502 problem, which is the right answer here (status_code_conformance and
# response_schema_conformance still hold it to the document). Every other 5xx still fails.
[[operations]]
include-path-regex = "^/v1/companies/[^/]+/(provision|numbers/purchase|messages|calls)$"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "502"]

# The webhook replay reads Telnyx's delivery log (502 here), over a window judged against the
# clock (from before to, at most 7 days, within ledger.dedupe_retention_hours of now): a rule
# JSON Schema cannot state, answered with a documented 400 naming the field.
[[operations]]
include-path-regex = "^/v1/webhook-replays$"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "502"]
checks.positive_data_acceptance.enabled = false

# positive_data_acceptance does not apply where the body has rules JSON Schema cannot state, each
# answered with a documented 400 naming the field: destinations (an E.164 number or a sip:/sips: URI; an https URL to a
# public address, http only for forwards.insecure_hosts; not another company's number), IANA time zones, non-overlapping business hours; a message needs text,
# media_urls or both.
[[operations]]
include-path-regex = "^/v1/companies/[^/]+/((departments|locations)/[^/]+|routing)$"
include-method = "PUT"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path-regex = "^/v1/companies/[^/]+/messages$"
checks.positive_data_acceptance.enabled = false

# The lists without a real cursor here: a company has one provisioning job at most in this run
# (the failed provision is resumed, never repeated), and dead letters need signed webhooks for
# unknown numbers. Their cursors are tested in tests/api/register_sim.rs and
# tests/api/operator/dead_letters.rs; a made-up cursor gets the documented 400 naming "cursor".
[[operations]]
include-name = "GET /v1/companies/{id}/jobs"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "GET /v1/dead-letters"
checks.positive_data_acceptance.enabled = false

# Forward endpoints are listed once a receiver answered 410 Gone, which no forward meets in this
# run (an empty list); their cursor is tested in tests/api/forwards/endpoints.rs.
[[operations]]
include-name = "GET /v1/companies/{id}/forward-endpoints"
checks.positive_data_acceptance.enabled = false

# Usage reports cover at most 366 days, and "to" defaults to today: a range judged against the
# clock (a "from" of 2000-01-01 alone spans decades), answered with a documented 400 naming it.
[[operations]]
include-path-regex = "^/v1/companies/[^/]+/(numbers/[^/]+/)?usage$"
checks.positive_data_acceptance.enabled = false

# A token's expires_at must lie in the future (and, for a company token, not beyond its own): a
# rule against the clock, answered with a documented 400 naming the field.
[[operations]]
include-path-regex = "^/v1/companies/[^/]+/tokens$"
include-method = "POST"
checks.positive_data_acceptance.enabled = false
$cursors
EOF
}

pg_url() {
    local url
    for url in "${DATABASE_URL:-}" "postgres://postgres@127.0.0.1:5432/postgres"; do
        [ -n "$url" ] && psql "$url" -Atqc 'select 1' >/dev/null 2>&1 && { echo "$url"; return; }
    done
    return 1
}

# The checks are named in the generated config; ST_CHECKS (a --checks list) overrides them.
checks_args=()
[ -n "${ST_CHECKS:-}" ] && checks_args=(--checks "$ST_CHECKS")

failed=0
ran=0
cases_passed=0
cases_failed=0
for backend in $backends; do
    case "$backend" in
        sqlite) url="sqlite://$tmp/switchboard.db" ;;
        postgres)
            if ! pg_admin="$(pg_url)"; then
                echo "== schemathesis on postgres: skipped (no PostgreSQL at \$DATABASE_URL or 127.0.0.1:5432)"
                continue
            fi
            pg_db="sb_schemathesis_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
            psql "$pg_admin" -qc "create database $pg_db" >/dev/null
            url="$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$pg_admin" "$pg_db")"
            ;;
        *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
    if (exec 3<>"/dev/tcp/127.0.0.1/$closed_port") 2>/dev/null; then
        echo "something listens at $closed: refusing to run (Telnyx calls must fail locally)"; exit 1
    fi
    start_daemon "$url"
    send_call_webhook st-call-1
    send_call_webhook st-call-2
    write_config
    echo "== schemathesis on $backend ($base, seed $seed, $max_examples examples per operation)"
    report="$tmp/report-$backend"
    cmd=("$st" --config-file "$tmp/schemathesis.toml" run "$base/openapi.json"
        -H "Authorization: Bearer $operator_token"
        "${checks_args[@]}"
        --max-examples "$max_examples" --seed "$seed" --generation-database none
        --workers 1 --request-timeout 10 --no-color
        --report junit --report-dir "$report")
    echo "${cmd[*]}" | sed "s/$operator_token/<operator token>/"
    ran=$((ran + 1))
    if ! timeout "$cap" "${cmd[@]}" | tee "$tmp/st-$backend.log"; then
        failed=$((failed + 1))
        echo "schemathesis on $backend: FAILED (daemon log follows)"
        tail -n 50 "$tmp/daemon.log"
    fi
    # "Test cases: 4168 generated, 4168 passed, 68 skipped" / "..., 2 found 2 unique failures".
    summary="$(grep -E '^ *[0-9]+ generated' "$tmp/st-$backend.log" | tail -n1 || true)"
    cases_passed=$((cases_passed + $(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)))
    cases_failed=$((cases_failed + $(grep -oE '[0-9]+ unique failure' <<<"$summary" | grep -oE '[0-9]+' || echo 0)))
    [ -n "${ST_REPORT_DIR:-}" ] && { mkdir -p "$ST_REPORT_DIR"; cp -r "$report" "$ST_REPORT_DIR/"; }
    if ! stop_daemon; then
        failed=$((failed + 1))
        tail -n 20 "$tmp/daemon.log"
    fi
    if [ "$backend" = postgres ]; then psql "$pg_admin" -qc "drop database if exists $pg_db with (force)" >/dev/null; pg_db=""; fi
done

# One closing line in the plain "N passed, N failed" form, counting generated test cases.
[ "$failed" -gt 0 ] && [ "$cases_failed" -eq 0 ] && cases_failed=$failed
echo "schemathesis: $cases_passed passed, $cases_failed failed"
[ "$failed" -eq 0 ] && [ "$ran" -gt 0 ]
