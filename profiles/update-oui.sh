#!/usr/bin/env bash
# Regenerates profiles/oui.tsv, the IEEE Registration Authority's MAC
# address block registries (MA-L, MA-M, MA-S and IAB) compiled into
# netcensus (build.rs turns it into a sorted table), so an endpoint's MAC
# names its organisation. Source: Debian's ieee-data package, which ships
# the registries as published by the IEEE (standards-oui.ieee.org) in
# /usr/share/ieee-data/*.csv. Needs apt (no other network access). Writes
# "PREFIX<TAB>BITS<TAB>Organization Name" lines, the prefix in hex.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/oui.tsv"
[ -f /usr/share/ieee-data/oui.csv ] || apt-get install -y ieee-data >/dev/null \
    || { apt-get update -qq && apt-get install -y ieee-data >/dev/null; }
python3 - "$out" <<'PY'
import csv, datetime, sys
src = "/usr/share/ieee-data"
stamp = int(open(src + "/.lastupdate").read().strip())
date = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d")
rows = []
for name, bits in (("oui.csv", 24), ("mam.csv", 28), ("oui36.csv", 36), ("iab.csv", 36)):
    with open("%s/%s" % (src, name), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            prefix = r["Assignment"].strip().upper()
            org = " ".join(r["Organization Name"].split())
            if len(prefix) * 4 == bits and org:
                rows.append((prefix, bits, org))
rows.sort()
assert len(rows) > 40000, len(rows)
assert ("001B21", 24, "Intel Corporate") in rows
with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as o:
    o.write("# IEEE MA-L, MA-M, MA-S and IAB registries (ieee-data, last updated %s)\n" % date)
    for p, b, org in rows:
        o.write("%s\t%d\t%s\n" % (p, b, org))
print("profiles/oui.tsv: %d entries (last updated %s)" % (len(rows), date))
PY
mv "$out.tmp" "$out"
