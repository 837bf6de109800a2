#!/usr/bin/env bash
# Build the Debian package: target/debian/netcensus_<version>_<arch>.deb.
# Needs cargo-deb (cargo install cargo-deb --locked). The man page and the
# shell completions come from the binary itself, so they always match it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
mkdir -p target/assets
bin=target/release/netcensus
"$bin" man > target/assets/netcensus.1
"$bin" completions bash > target/assets/netcensus.bash
"$bin" completions zsh > target/assets/_netcensus
"$bin" completions fish > target/assets/netcensus.fish
cargo deb --no-build --locked "$@"
