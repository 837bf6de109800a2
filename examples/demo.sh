#!/usr/bin/env bash
# The main job, from a fresh machine: install what the lab needs, build
# netcensus, bring up the project's lab (network namespaces + snmpsim serving
# real device recordings), scan it from inside the lab's scanner namespace,
# and write the report. Run as root.
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
    -o "$out/scan.json" -o "$out/report.txt"
echo
echo "report: $out/report.txt, scan file: $out/scan.json"
echo "the lab stays up for more runs ('$lab exec target/release/netcensus scan ...'); '$lab down' removes it"
