#!/usr/bin/env bash
# Sweep benchmark (not a test): netcensus (without and with the inventory
# of the SNMP devices, the default), nmap and fping sweep the same /16
# of the project's lab (tests/lab/configs/scale.toml: 2087 IPv4 hosts spread
# over 10.77.0.0/16, 2084 of them answer ping, 87 SNMP devices), one after the
# other, from inside the lab's scanner namespace. Prints wall time, hosts
# found against the manifest, packets sent (an nftables counter on the
# scanner's output hook) and peak RSS; then the SNMP identity check of the
# 87 devices. Run as root. FULL=1 adds fping at its default 10 ms interval
# (about 19 minutes). KEEP_LAB=1 leaves the lab up afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=tests/lab/nclab
ns=ncs-scan
out=$(mktemp -d /tmp/netcensus-bench.XXXXXX)

"$lab" install >/dev/null
cargo build --release --locked -q
bin=$PWD/target/release/netcensus
"$lab" up tests/lab/configs/scale.toml 2>&1 | tail -1
[ -n "${KEEP_LAB:-}" ] || trap '"$lab" down >/dev/null 2>&1 || true' EXIT

"$lab" manifest --ips icmp --family 4 | sort >"$out/expected"
# packets leaving the scanner namespace, whoever sends them
ip netns exec $ns nft -f - <<'NFT'
table inet ncbench {
    chain out {
        type filter hook output priority 0; policy accept;
        counter
    }
}
NFT
packets() { ip netns exec $ns nft list chain inet ncbench out | awk '/counter/ {print $3}'; }

printf '\n%-48s %8s %7s %9s %10s %9s\n' tool wall_s found missing packets rss_MB
run() { # name, parser, command...
    local name=$1 parse=$2; shift 2
    local before after
    before=$(packets)
    /usr/bin/time -f '%e %M' -o "$out/time" ip netns exec $ns "$@" >"$out/raw" 2>"$out/err" || true
    after=$(packets)
    $parse <"$out/raw" | sort -u >"$out/found"
    read -r wall rss < <(tail -n 1 "$out/time")
    printf '%-48s %8s %7s %9s %10s %9.1f\n' "$name" "$wall" "$(wc -l <"$out/found")" \
        "$(comm -23 "$out/expected" "$out/found" | wc -l)" "$((after - before))" "$(awk "BEGIN{print $rss/1024}")"
}
nc_icmp() { python3 -c 'import json,sys
for d in json.load(sys.stdin)["devices"]:
    if "icmp" in d["found_by"]: print(d["ip"])'; }
nmap_up() { awk '/Status: Up/ {print $2}'; }
lines() { cat; }

run "netcensus scan 10.77.0.0/16 --no-inventory" nc_icmp "$bin" scan 10.77.0.0/16 --no-inventory --format json
cp "$out/raw" "$out/netcensus.json"
run "netcensus scan 10.77.0.0/16 (defaults: + inventory)" nc_icmp "$bin" scan 10.77.0.0/16 --format json
run "nmap -sn -PE -n --min-rate 5000" nmap_up nmap -sn -PE -n --min-rate 5000 10.77.0.0/16 -oG -
run "fping -a -q -g -r 1 -t 500 -i 1" lines fping -a -q -g 10.77.0.0/16 -r 1 -t 500 -i 1
if [ -n "${FULL:-}" ]; then
    run "fping -a -q -g -r 1 -t 500 (default -i 10)" lines fping -a -q -g 10.77.0.0/16 -r 1 -t 500
fi
python3 - "$out/netcensus.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
st = s["stats"]
print("\nnetcensus: %d devices (%d answer ping, %d SNMP), %d probe packets, %.2f s in-process"
      % (st["devices"], st["icmp_alive"], st["snmp_responding"], st["packets_sent"], s["duration_ms"] / 1000))
PY

echo
echo "== SNMP identity of every device (10.77.0.0/20 holds all 87)"
/usr/bin/time -f '%e s wall, %M KB peak RSS' -o "$out/time" \
    ip netns exec $ns "$bin" scan 10.77.0.0/20 -q -o "$out/devices.json"
tail -n 1 "$out/time"
python3 - "$out/devices.json" /run/netcensus-lab/manifest.json <<'PY'
import json, sys
scan = {d["ip"]: d for d in json.load(open(sys.argv[1]))["devices"]}
man = json.load(open(sys.argv[2]))
ok = bad = 0
for h in man["hosts"]:
    if h["kind"] != "device" or h["snmp"].get("version") != "v2c":
        continue
    d = scan.get(h["ip"]) or {}
    s = d.get("snmp") or {}
    want = {"sys_name": h["sysName"], "sys_object_id": h["sysObjectID"], "sys_services": h["sysServices"]}
    if not (h.get("not_utf8_hex") or {}).get("sysDescr"):
        want["sys_descr"] = h["sysDescr"]
    diff = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
    if diff:
        bad += 1
        print("  MISMATCH", h["ip"], h["name"], diff)
    else:
        ok += 1
print("v2c devices identified correctly: %d of %d" % (ok, ok + bad))
PY
ip netns exec $ns nft delete table inet ncbench 2>/dev/null || true
echo "raw outputs in $out"
