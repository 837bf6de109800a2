#!/usr/bin/env bash
# Echo-phase benchmark (not a test): the default scan of the scale lab's
# /16 (tests/lab/configs/scale.toml: 2,084 hosts answer ping) RUNS times in a
# row (default 20), from the lab's scanner namespace. Per run it prints the
# wall time, the live hosts found, and of those the ones that lost every
# follow-up echo (`all_lost`, the bug of issue 12: must be 0), lost some
# (`some_lost`), or are graded `unreachable` (must be 0), with the /24s the
# all-lost hosts sit in. Run as root. KEEP_LAB=1 leaves the lab up; BIN=path
# measures another build.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=tests/lab/nclab
ns=ncs-scan
runs=${RUNS:-20}
out=$(mktemp -d /tmp/netcensus-echoes.XXXXXX)

"$lab" install >/dev/null
# BIN=path runs another build (an older one, for a before/after)
if [ -z "${BIN:-}" ]; then
    cargo build --release --locked -q
fi
bin=${BIN:-$PWD/target/release/netcensus}
"$lab" up tests/lab/configs/scale.toml 2>&1 | tail -1
[ -n "${KEEP_LAB:-}" ] || trap '"$lab" down >/dev/null 2>&1 || true' EXIT
"$lab" manifest --ips icmp --family 4 | sort >"$out/expected"
echo "net.core.rmem_max = $(cat /proc/sys/net/core/rmem_max)"

printf '\n%4s %7s %6s %7s %8s %9s %11s  %s\n' run wall_s live missed all_lost some_lost unreachable "all-lost /24s"
total=0
for i in $(seq 1 "$runs"); do
    /usr/bin/time -f '%e' -o "$out/time" ip netns exec $ns "$bin" scan 10.77.0.0/16 -q -o "$out/scan.json"
    line=$(python3 - "$out/scan.json" "$out/expected" <<'PY'
import json, sys, collections
scan = json.load(open(sys.argv[1]))
expected = set(open(sys.argv[2]).read().split())
by_ip = {d["ip"]: d for d in scan["devices"]}
live = [by_ip[ip] for ip in expected if ip in by_ip]
missed = len(expected) - len(live)
all_lost = [d for d in live if (d.get("icmp") or {}).get("received", 0) == 0]
some = [d for d in live if 0 < (d.get("icmp") or {}).get("received", 0) < (d.get("icmp") or {}).get("sent", 0)]
unreach = [d for d in live if (d.get("health") or {}).get("status") == "unreachable"]
nets = collections.Counter(d["ip"].rsplit(".", 1)[0] + ".x" for d in all_lost)
print(len(live), missed, len(all_lost), len(some), len(unreach),
      " ".join("%s:%d" % kv for kv in nets.most_common(4)) or "-")
PY
)
    read -r live missed lost some unreach nets <<<"$line"
    total=$((total + lost))
    printf '%4s %7s %6s %7s %8s %9s %11s  %s\n' "$i" "$(cat "$out/time")" "$live" "$missed" "$lost" "$some" "$unreach" "$nets"
done
echo
echo "live hosts that lost every echo, over $runs runs: $total"
