#!/usr/bin/env bash
# The Debian package as an operator installs it: build it
# (debian/build-deb.sh: release binary, man page, completions), dpkg -i it,
# check what it put where, run the installed binary as the package's
# unprivileged user (a scan in the lab's scanner namespace: ICMP needs the
# cap_net_raw the package grants), then purge it. Run as root, with the
# test lab up (tests/run.sh calls it so).
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "tests/deb.sh: $*" >&2; exit 1; }

if dpkg-query -W -f='${Status}' netcensus 2>/dev/null | grep -q "install ok installed"; then
    fail "a netcensus package is installed already; not replacing it"
fi
command -v setcap >/dev/null || apt-get install -y -qq --no-install-recommends libcap2-bin
if ! command -v cargo-deb >/dev/null; then
    echo "== cargo install cargo-deb (once per machine)"
    cargo install cargo-deb --locked --version "^3.6" --quiet
fi

echo "== build the package"
deb=target/debian/netcensus-test.deb
debian/build-deb.sh --output "$deb" --quiet

echo "== install it"
work=$(mktemp -d)
trap 'dpkg --purge netcensus >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
dpkg -i "$deb" >/dev/null

echo "== what it installed"
want=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ "$(/usr/bin/netcensus --version)" = "netcensus $want" ] || fail "version: $(/usr/bin/netcensus --version)"
getent passwd netcensus >/dev/null || fail "no user netcensus"
getcap /usr/bin/netcensus | grep -q cap_net_raw || fail "no cap_net_raw on /usr/bin/netcensus"
for f in /usr/share/bash-completion/completions/netcensus /usr/share/zsh/vendor-completions/_netcensus \
         /usr/share/fish/vendor_completions.d/netcensus.fish /usr/share/doc/netcensus/examples/netcensus.toml; do
    [ -s "$f" ] || fail "missing $f"
done
units=$(dpkg -L netcensus | grep -E '/systemd/system/netcensus\.(service|timer)$' | wc -l)
[ "$units" -eq 2 ] || fail "the service and the timer: $units of 2 installed"
man=$(zcat /usr/share/man/man1/netcensus.1.gz | groff -man -Tutf8 -P-cbou -ww 2>"$work/groff")
[ ! -s "$work/groff" ] || fail "the man page: $(cat "$work/groff")"
grep -q "NETCENSUS SCAN" <<<"$man" || fail "the man page lacks scan"
bash -c 'source /usr/share/bash-completion/completions/netcensus && complete -p netcensus' >/dev/null \
    || fail "bash completion does not load"
[ "$(stat -c %G /etc/netcensus/config.toml)" = netcensus ] || fail "config.toml not in group netcensus"
runuser -u netcensus -- /usr/bin/netcensus config check >/dev/null || fail "the installed config does not check"

echo "== a scan as the user netcensus (ICMP by the file capability)"
chown netcensus "$work"
ip netns exec ncs-scan runuser -u netcensus -- /usr/bin/netcensus scan 10.77.1.1 -q --count 1 \
    -o "$work/scan.json" --history "$work/history" || fail "the scan failed"
/usr/bin/python3 - "$work/scan.json" <<'PY' || fail "10.77.1.1 not found by ICMP"
import json, sys
devices = json.load(open(sys.argv[1]))["devices"]
assert any(d["ip"] == "10.77.1.1" and "icmp" in d["found_by"] for d in devices), devices
PY
[ -f "$work/history/latest.json" ] || fail "no history"

echo "== purge"
dpkg --purge netcensus >/dev/null
[ ! -e /usr/bin/netcensus ] || fail "/usr/bin/netcensus left behind"
! getent passwd netcensus >/dev/null || fail "user netcensus left behind"
echo "tests/deb.sh: the package built, installed, ran and purged cleanly"
