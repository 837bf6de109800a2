#!/usr/bin/env bash
# The test command: installs what the tests need on a bare machine (apt
# packages, the snmpsim venv), brings up the project's own lab in network
# namespaces (tests/lab/nclab, config tests/lab/configs/test.toml), runs every
# test including the lab ones, then the drift test (two lab states of its
# own), the Debian package (built, installed, run, purged: tests/deb.sh),
# then the classification accuracy tests against
# tests/lab/configs/all-devices.toml and its system-group-only variant, and
# takes the lab down again. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: run as root (network namespaces, raw ICMP sockets)" >&2
    exit 2
fi
lab=tests/lab/nclab

echo "== install (apt packages, venv with snmpsim; quick when done)"
"$lab" install

echo "== chromium (the HTML report test renders the report in it, headless)"
if ! command -v chromium >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends chromium \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }
fi

echo "== lab up"
# 'up' replaces a lab left over by an interrupted run; 'down' runs on exit
trap '"$lab" down >/dev/null 2>&1 || true' EXIT
"$lab" up tests/lab/configs/test.toml

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

echo "== tests (unit, CLI, lab)"
cargo test --locked -- --include-ignored --skip classification_accuracy --skip drift_

echo "== the Debian package: build, dpkg -i, a scan as its user, purge (tests/deb.sh)"
tests/deb.sh

echo "== drift and topology checks (the test brings up small.toml, then drift-after.toml)"
cargo test --locked --test drift -- --include-ignored

echo "== classification accuracy (all-devices lab: 87 recordings; a cold cache takes a few minutes)"
"$lab" up tests/lab/configs/all-devices.toml
cargo test --locked --test accuracy -- --include-ignored --nocapture --exact classification_accuracy

echo "== classification accuracy, system group only (the same 87 recordings reduced to 1.3.6.1.2.1.1)"
"$lab" up tests/lab/configs/all-devices-system-group.toml
cargo test --locked --test accuracy -- --include-ignored --nocapture --exact classification_accuracy_system_group
