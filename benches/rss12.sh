#!/usr/bin/env bash
# Memory benchmark (not a test): peak RSS of a sweep of a /12 (1,048,576
# addresses). The lab's scanner namespace gets a route for 10.64.0.0/12
# into the lab namespace, which holds the test lab's hosts in 10.77.0.0/16
# (inside the /12); the rest of the /12 is silent. Default scan, no
# inventory (what is measured is the sweep's own state over a million
# addresses). Prints wall time, peak RSS, addresses and devices. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=tests/lab/nclab
ns=ncs-scan
out=$(mktemp -d /tmp/netcensus-rss.XXXXXX)
"$lab" install >/dev/null
cargo build --release --locked -q
bin=$PWD/target/release/netcensus
"$lab" up tests/lab/configs/test.toml 2>&1 | tail -1
trap 'ip -n $ns route del 10.64.0.0/12 2>/dev/null || true; "$lab" down >/dev/null 2>&1 || true' EXIT
gw=$(ip -n $ns route show 10.77.0.0/16 | awk '{print $3}')
ip -n $ns route add 10.64.0.0/12 via "$gw"
/usr/bin/time -f '%e %M' -o "$out/time" \
    ip netns exec $ns "$bin" scan 10.64.0.0/12 --no-inventory -q -o "$out/scan.json"
read -r wall rss < "$out/time"
python3 - "$out/scan.json" "$wall" "$rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
st = s["stats"]
print("sweep of 10.64.0.0/12: %s s wall, %.1f MB peak RSS, %d addresses, %d devices (%d answer ping, %d SNMP), %d probe packets"
      % (sys.argv[2], int(sys.argv[3]) / 1024, st["addresses"], st["devices"], st["icmp_alive"],
         st["snmp_responding"], st["packets_sent"]))
PY
