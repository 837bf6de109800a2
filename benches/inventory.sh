#!/usr/bin/env bash
# Inventory benchmark (not a test): the full inventory (system group,
# classification facts, interfaces, neighbours, health) of every device of
# tests/lab/configs/all-devices.toml with netcensus, against net-snmp's
# snmpbulkwalk of ifTable + ifXTable of the same devices run with the same
# parallelism (every device at once). Prints wall time, PDUs, varbinds and
# the PDU count against the minimum for the rows fetched. Run as root.
# KEEP_LAB=1 leaves the lab up afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=tests/lab/nclab
ns=ncs-scan
out=$(mktemp -d /tmp/netcensus-inv.XXXXXX)

"$lab" install >/dev/null
cargo build --release --locked -q
bin=$PWD/target/release/netcensus
"$lab" up tests/lab/configs/all-devices.toml 2>&1 | tail -1
[ -n "${KEEP_LAB:-}" ] || trap '"$lab" down >/dev/null 2>&1 || true' EXIT
"$lab" manifest --ips v2c --family 4 >"$out/v2c"

# count SNMP bytes on the wire (UDP payload: IP length minus headers), to
# check the per-device byte counts of the scan file against the kernel's
counters() { # a fresh table, counters at zero
    ip netns exec $ns nft delete table inet ncinv 2>/dev/null || true
    ip netns exec $ns nft -f - <<'NFT'
table inet ncinv {
    chain out {
        type filter hook output priority 0; policy accept;
        udp dport 161 counter
    }
    chain in {
        type filter hook input priority 0; policy accept;
        udp sport 161 counter
    }
}
NFT
}
counters
wire() { ip netns exec $ns nft list chain inet ncinv "$1" | awk '/counter/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i+1), $(i+3)}'; }

echo
echo "== netcensus scan 10.77.0.0/20 --inventory (inventory of all 87 devices)"
/usr/bin/time -f '%e s wall, %M KB peak RSS' -o "$out/time" \
    ip netns exec $ns env NETCENSUS_V3_AUTH_KEY=auctoritas NETCENSUS_V3_PRIV_KEY=privatus \
    "$bin" scan 10.77.0.0/20 -q --inventory --snmp-budget 60s -c public --v3-user simulator --v3-auth-proto md5 \
    --v3-priv-proto des -o "$out/inventory.json"
tail -n 1 "$out/time"
python3 - "$out/inventory.json" "$(wire out)" "$(wire in)" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))["devices"]
st = [x["snmp_stats"] for x in d if x.get("snmp_stats")]
pdus = sum(s["pdus_sent"] for s in st)
vbs = sum(s["varbinds"] for s in st)
ifs = sum(len(x["interfaces"] or []) for x in d)
nbs = sum(len(x["neighbors"] or []) for x in d)
# the interface walk against its minimum: every value of the rows read, plus
# one row past the end (a walk must see it to know the table ended), at 60
# varbinds a PDU
walks = [x["snmp_stats"]["interface_walk"] for x in d if (x.get("snmp_stats") or {}).get("interface_walk")]
walks = [w for w in walks if w["rows"]]
mins = [math.ceil((w["rows"] + 1) * w["columns"] / 60) for w in walks]
sent = [w["pdus_sent"] for w in walks]
over = sum(1 for s, m in zip(sent, mins) if s > 1.2 * m)
errs = [(x["ip"], x["errors"]) for x in d if x["errors"]]
print("devices %d, interfaces %d, neighbours %d, PDUs %d (%d varbinds, %.1f a PDU)" % (len(d), ifs, nbs, pdus, vbs, vbs / max(pdus, 1)))
print("interface walks: %d PDUs for a minimum of %d (%.2fx); devices above 1.2x: %d of %d"
      % (sum(sent), sum(mins), sum(sent) / max(sum(mins), 1), over, len(walks)))
print("errors:", errs)
# bytes: the scan file's per-device counts (v1/v2c exchanges) against the
# wire (everything to and from port 161: the sweep's GETs to all 4,094
# addresses and the v3 user's exchange too, so the wire is the larger)
bs = sum(s.get("bytes_sent") or 0 for s in st)
br = sum(s.get("bytes_received") or 0 for s in st)
counted = [s for s in st if s.get("bytes_sent") is not None]
(po, bo), (pi, bi) = [map(int, w.split()) for w in sys.argv[2:4]]
print("bytes per device (v1/v2c, %d devices): %d sent, %d received; mean %.0f B a device, max %d B"
      % (len(counted), bs, br, (bs + br) / max(len(counted), 1),
         max(((s["bytes_sent"] or 0) + (s["bytes_received"] or 0)) for s in counted)))
print("wire, UDP payload to/from port 161: %d B in %d datagrams sent, %d B in %d received"
      % (bo - 28 * po, po, bi - 28 * pi, pi))
PY
echo
echo "== byte counts against the wire: the v2c devices that answer ping, SNMP sweep off"
echo "   (each device then has one exchange, under its first community, and no sweep GETs)"
counters
"$lab" manifest --ips icmp --family 4 | grep -Fxf "$out/v2c" >"$out/v2c-ping" || true
printf '[snmp]\nsweep = "alive"\ninterfaces = true\nneighbors = true\nbudget = "60s"\n' >"$out/bytes.toml"
ip netns exec $ns "$bin" scan -q -iL "$out/v2c-ping" --profile "$out/bytes.toml" -o "$out/bytes.json"
python3 - "$out/bytes.json" "$(wire out)" "$(wire in)" <<'PY'
import json, sys
st = [x["snmp_stats"] for x in json.load(open(sys.argv[1]))["devices"] if x.get("snmp_stats")]
(po, bo), (pi, bi) = [map(int, w.split()) for w in sys.argv[2:4]]
for what, n, pdus, wire, dgrams in (("sent", "bytes_sent", "pdus_sent", bo - 28 * po, po),
                                     ("received", "bytes_received", "pdus_received", bi - 28 * pi, pi)):
    print("%-8s scan file %8d B in %5d PDUs | wire %8d B in %5d datagrams" %
          (what, sum(s[n] for s in st), sum(s[pdus] for s in st), wire, dgrams))
PY
ip netns exec $ns nft delete table inet ncinv 2>/dev/null || true

echo
echo "== snmpbulkwalk ifTable + ifXTable of the 86 v2c devices, all at once (-Cr10 default, -t 5 -r 1)"
start=$(date +%s.%N)
while read -r ip; do
    ( ip netns exec $ns snmpbulkwalk -v2c -c public -On -t 5 -r 1 "$ip" 1.3.6.1.2.1.2.2 >"$out/w-$ip.if" 2>/dev/null
      ip netns exec $ns snmpbulkwalk -v2c -c public -On -t 5 -r 1 "$ip" 1.3.6.1.2.1.31.1.1 >"$out/w-$ip.ifx" 2>/dev/null ) &
done <"$out/v2c"
wait
end=$(date +%s.%N)
echo "$(awk "BEGIN{printf \"%.2f\", $end-$start}") s wall, $(cat "$out"/w-* | wc -l) varbinds"

echo
echo "== the default scan (BIN=path: another build) of all 87 devices at once, default 10 s budget:"
echo "   each device's interface count and oper-down count against the snmpbulkwalk above"
dflt=${BIN:-$bin}
/usr/bin/time -f '%e s wall, %M KB peak RSS' -o "$out/time" \
    ip netns exec $ns "$dflt" scan 10.77.0.0/20 -q --inventory -o "$out/default.json"
tail -n 1 "$out/time"
python3 - "$out/default.json" "$out" "$out/v2c" <<'PY'
import json, re, sys, os
scan = {d["ip"]: d for d in json.load(open(sys.argv[1]))["devices"]}
col = re.compile(r"^\.?1\.3\.6\.1\.2\.1\.(?:2\.2\.1\.(?:3|7|8)|31\.1\.1\.1\.(?:1|18))\.(\d+) = ")
# ifOperStatus other than up(1) is down to netcensus (down, dormant, lowerLayerDown, ...)
oper = re.compile(r"^\.?1\.3\.6\.1\.2\.1\.2\.2\.1\.8\.(\d+) = INTEGER: (?:[a-zA-Z]*\()?(\d+)\)?$")
same = differ = 0
short = []
for ip in open(sys.argv[3]).read().split():
    rows, down = set(), set()
    for ext in ("if", "ifx"):
        for line in open(os.path.join(sys.argv[2], "w-%s.%s" % (ip, ext)), errors="replace"):
            m = col.match(line)
            if m: rows.add(int(m.group(1)))
            m = oper.match(line.strip())
            if m and m.group(2) != "1": down.add(int(m.group(1)))
    if not rows:
        continue
    d = scan.get(ip) or {}
    ifs = d.get("interfaces") or []
    got_down = {i["index"] for i in ifs if i.get("oper_up") is False}
    if len(ifs) == len(rows) and got_down == down:
        same += 1
    else:
        differ += 1
        short.append("%s: %d of %d interfaces, %d of %d oper-down; %s" % (
            ip, len(ifs), len(rows), len(got_down), len(down), "; ".join(d.get("errors") or [])[:120]))
print("devices whose interface and oper-down counts equal the walk: %d of %d" % (same, same + differ))
for s in short:
    print("  ", s)
PY
echo "raw outputs in $out"
