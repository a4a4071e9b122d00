#!/usr/bin/env bash
# Bounded coverage-guided fuzzing of every cargo-fuzz target in fuzz/, on the stable toolchain:
# RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its unstable flags, and `-s none` leaves out the
# sanitizer (AddressSanitizer needs a nightly standard library). Installs cargo-fuzz when missing,
# builds all targets once, runs each for FUZZ_SECONDS (default 30, at most 60, so .ci/run stays
# within its budget) from its committed corpus, and prints one summary line per target.
# A crash (a panic: the checks assert their invariants), a timeout or running out of memory
# leaves the input in fuzz/artifacts/<target>/ and makes the script exit non-zero.
#   FUZZ_SECONDS=60 ./scripts/fuzz.sh
#   FUZZ_TARGETS="admin_rules destination_url" ./scripts/fuzz.sh
#   FUZZ_BUILD=dev ./scripts/fuzz.sh   (unoptimised: builds in about half the time, runs ~10x fewer
#                                        inputs per second; what .ci/run uses to stay in its budget)
# New inputs the fuzzer finds go to a scratch folder, not to fuzz/corpus/ (see docs/FUZZING.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1 || seconds > 60)); then
    echo "fuzz: FUZZ_SECONDS must be a whole number from 1 to 60, got '$seconds'" >&2
    exit 2
fi
case "${FUZZ_BUILD:-release}" in
    release) profile=() ;;
    dev) profile=(--dev) ;;
    *) echo "fuzz: FUZZ_BUILD must be release or dev, got '${FUZZ_BUILD}'" >&2; exit 2 ;;
esac
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi
export RUSTC_BOOTSTRAP=1

started=$(date +%s)
cargo fuzz build "${profile[@]}" -s none
built=$(date +%s)
read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"
echo "fuzz: built ${#targets[@]} targets (${FUZZ_BUILD:-release}) in $((built - started)) s; running each for ${seconds} s"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
summary=()
failed=0
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    seeds=$(find "corpus/$target" -type f | wc -l)
    rc=0
    # The first folder receives what the fuzzer finds; the committed corpus is only read.
    cargo fuzz run "$target" "${profile[@]}" -s none "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | tr -dc '0-9')
    if ((rc == 0)); then
        crashes=0
    else
        crashes=1
        failed=1
        echo "fuzz: $target failed (exit $rc); the end of its log:" >&2
        tail -n 40 "$log" >&2
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        if [[ -n "$artifact" ]]; then
            echo "fuzz: reproduce with: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $target -s none $artifact" >&2
            echo "fuzz: then fix it and copy the input into fuzz/corpus/$target/ (docs/FUZZING.md)" >&2
        fi
    fi
    line=$(printf '%-18s %10s executions in %s s, corpus %s (%s seeds), crashes %s' \
        "$target" "${runs:-?}" "$seconds" "${corpus:-?}" "$seeds" "$crashes")
    echo "fuzz: $line"
    summary+=("$line")
done

finished=$(date +%s)
echo "fuzz: summary (build $((built - started)) s, runs $((finished - built)) s, total $((finished - started)) s)"
printf '  %s\n' "${summary[@]}"
exit "$failed"
