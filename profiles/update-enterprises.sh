#!/usr/bin/env bash
# Regenerates profiles/enterprises.tsv, the IANA Private Enterprise Numbers
# registry compiled into netcensus (build.rs turns it into a sorted table).
# Source: Debian's libwireshark-data package, which ships the registry as
# /usr/share/wireshark/enterprises.tsv (its header gives the registry's date).
# Needs apt (no other network access). Run from anywhere; writes in place.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/enterprises.tsv"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
apt-get download libwireshark-data >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get download libwireshark-data >/dev/null; }
dpkg-deb -x libwireshark-data_*.deb x
src=x/usr/share/wireshark/enterprises.tsv
# sanity: tens of thousands of "number<TAB>name" lines, Cisco at 9
n=$(grep -cP '^[0-9]+\t' "$src")
[ "$n" -gt 50000 ] || { echo "update-enterprises: only $n entries in $src" >&2; exit 1; }
grep -qP '^9\tciscoSystems' "$src" || { echo "update-enterprises: no Cisco at 9" >&2; exit 1; }
cp "$src" "$out.tmp" && mv "$out.tmp" "$out"
echo "profiles/enterprises.tsv: $n entries ($(grep -m1 'last updated' "$out" | tr -d '#()'))"
