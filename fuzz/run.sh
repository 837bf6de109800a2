#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 600), two at a time, and
# print what each did: executions, corpus size, crashes. Needs the nightly
# toolchain and cargo-fuzz (cargo install cargo-fuzz). A crash is left in
# fuzz/artifacts/<target>/; copy it to fuzz/regressions/<target>/ once
# fixed, and tests/fuzz_regressions.rs replays it on every test run.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
targets=(snmp_reply walk_answers learned_tables targets profiles topology scan_file)
cargo +nightly fuzz build
mkdir -p logs
run() {
    local t=$1
    mkdir -p "corpus/$t" "artifacts/$t"
    cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=65536 \
        -rss_limit_mb=2048 -print_final_stats=1 >"logs/$t.log" 2>&1 || true
    local execs crashes
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    crashes=$(find "artifacts/$t" -type f | wc -l)
    printf '%-13s %6ss  %12s execs  %5s corpus  %s crash(es)\n' "$t" "$secs" "${execs:-?}" \
        "$(find "corpus/$t" -type f | wc -l)" "$crashes"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
    run "${targets[i]}" &
    if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & fi
    wait
done
