# syntax=docker/dockerfile:1
# (the line above enables BuildKit features used below: RUN --mount caches)
#
# netcensus in a container.
#
#   docker build -t netcensus .
#   docker run --rm --network host --cap-add NET_RAW \
#     -v $PWD/state:/var/lib/netcensus -v /etc/netcensus:/etc/netcensus:ro \
#     netcensus scan --job nightly --history /var/lib/netcensus/history
#
# --network host   scan the networks the host can reach, from the host's
#                  addresses (a bridge network would NAT every probe)
# --cap-add NET_RAW
#                  raw ICMP sockets. Docker grants it by default today, but
#                  other runtimes (Podman) do not, so say it. Without it,
#                  netcensus tries ping sockets (the host's
#                  net.ipv4.ping_group_range under --network host), else
#                  exits 3
# state/           must be writable by uid 10001: mkdir state && sudo chown 10001:10001 state
# /etc/netcensus   must be readable by uid 10001; netcensus warns when a file
#                  holding credentials is readable by group or others, so
#                  chown 10001 config.toml && chmod 600 config.toml
# Don't add --security-opt no-new-privileges: it disables the file
# capability set below (then NET_RAW only works for root).

# ---------------------------------------------------------------- builder
# Cargo.toml: edition 2021, rust-version = "1.89"; rust:1-bookworm is the
# newest 1.x, which satisfies it. Pin rust:1.89-bookworm (or newer) for
# reproducible builds. bookworm to match the runtime's glibc.
FROM rust:1-bookworm AS builder
WORKDIR /src
# the whole source tree; .dockerignore keeps target/ and .git/ out
COPY . .
# --locked: exactly the versions in Cargo.lock, fail instead of updating it.
# The cache mounts keep the crate registry and the build directory between
# builds (not in the image); the binary is copied out of the cached target/.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -m 755 target/release/netcensus /usr/local/bin/netcensus

# ---------------------------------------------------------------- runtime
FROM debian:bookworm-slim
# ca-certificates: netcensus itself makes no TLS connections; this is for
# scripts in derived images that fetch topology files over HTTPS.
# libcap2-bin: only for setcap below, removed again in the same layer.
COPY --from=builder /usr/local/bin/netcensus /usr/local/bin/netcensus
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libcap2-bin \
 # the file capability: the non-root user below may open raw ICMP sockets.
 # It is set here, not in the builder: COPY --from does not carry it over.
 && setcap cap_net_raw+ep /usr/local/bin/netcensus \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/* \
 # a fixed uid/gid so volume ownership can be prepared on the host
 && groupadd --system --gid 10001 netcensus \
 && useradd --system --uid 10001 --gid netcensus --home-dir /var/lib/netcensus \
      --no-create-home --shell /usr/sbin/nologin netcensus \
 # state (history, baselines, scan files) writable by netcensus; config read-only
 && install -d -o netcensus -g netcensus -m 750 /var/lib/netcensus \
 && install -d -m 755 /etc/netcensus

USER netcensus
# relative -o paths land in the state volume
WORKDIR /var/lib/netcensus
# state survives the container; the config comes from the host
VOLUME ["/var/lib/netcensus", "/etc/netcensus"]
# netcensus handles SIGINT (Ctrl-C) by writing its partial results, marked
# interrupted, and exiting 130. As PID 1 it would ignore docker stop's SIGTERM.
STOPSIGNAL SIGINT
# `docker run IMAGE scan ...` runs `netcensus scan ...`
ENTRYPOINT ["netcensus"]
# no arguments: the help, not a scan
CMD ["--help"]
