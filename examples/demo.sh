#!/usr/bin/env bash
# The main job, from a fresh machine: install what the lab needs, build
# netcensus, bring up the project's lab (network namespaces + snmpsim serving
# real device recordings), scan it from inside the lab's scanner namespace,
# and write the report and a baseline; with the default lab, also check the
# expected topology, change the lab and report the drift. Run as root.
#   CONFIG=tests/lab/configs/scale.toml examples/demo.sh   # 87 devices + 2000 hosts
#   OUT=/tmp/report examples/demo.sh                        # where the results go
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-tests/lab/configs/small.toml}
out=${OUT:-netcensus-demo}
lab=tests/lab/nclab

if [ "$(id -u)" -ne 0 ]; then
    echo "examples/demo.sh: run as root (network namespaces, raw ICMP sockets)" >&2
    exit 2
fi
"$lab" install
cargo build --release --locked
"$lab" up "$config"
mkdir -p "$out"
# the scanner runs in the lab's scanner namespace: no default route, the lab only
ip netns exec ncs-scan target/release/netcensus scan 10.77.0.0/16 fd77::/120 fd77::2:0/120 \
    --inventory -o "$out/scan.json" -o "$out/report.txt" -o "$out/report.html" -o "$out/devices.csv" \
    -o "$out/summary.md" --interfaces-csv "$out/interfaces.csv" --save-baseline "$out/baseline.json"
echo
echo "reports: $out/report.html (open it in a browser), report.txt, devices.csv, interfaces.csv, summary.md"
echo "scan file: $out/scan.json, baseline: $out/baseline.json"
if [ -z "${CONFIG:-}" ]; then
    echo
    echo "== the expected topology (examples/lab-topology.toml) against the scan"
    target/release/netcensus check examples/lab-topology.toml "$out/scan.json" -o "$out/check.txt"
    echo
    echo "== some time later: the site changed (tests/lab/configs/drift-after.toml); scan against the baseline"
    "$lab" up tests/lab/configs/drift-after.toml
    ip netns exec ncs-scan target/release/netcensus scan 10.77.0.0/16 fd77::/120 fd77::2:0/120 \
        --inventory -q -o "$out/scan-later.json" -o "$out/report-later.html" --baseline "$out/baseline.json" \
        --diff-output "$out/drift.json" --diff-output "$out/drift.txt" --diff-output "$out/drift.xml" \
        --fail-on any \
        && echo "no drift" || echo "(exit $?: drift found, as --fail-on any asks)"
    echo "drift: $out/report-later.html (scan + drift), drift.txt, drift.json (netcensus/diff/v1), drift.xml (JUnit)"
fi
echo "the lab stays up for more runs ('$lab exec target/release/netcensus scan ...'); '$lab down' removes it"
