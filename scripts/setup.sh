#!/usr/bin/env bash
# Installs the system packages mitmwatch builds and tests against (Debian/Ubuntu), if missing.
set -euo pipefail
# systemd: systemd-journald and journalctl for the journal round-trip and fault tests (Tests/CLITests).
# tcpreplay: scripts/bench-live.sh (live capture under load).
# iproute2: network namespaces and veth pairs of the live tests; python3: the capture generators.
# tshark (with editcap, mergecap, capinfos): the capture-file tests (Tests/SnifferTests/Capture,
# Tests/CLITests/ReadMixedLinkTypesTests), the baseline of mitmwatch-bench pipeline and read
# (BENCHMARKS.md), scripts/extract-corpus-certs.sh and make-fuzz-seeds.py.
# gnutls-bin (gnutls-serv), mitmproxy (mitmdump, a real interceptor) and nftables (the interceptor's
# redirect in the TTL localisation namespaces): the probe tests (Tests/CLITests/Probe*).
# prometheus: a real scraper of metrics.listen (Tests/CLITests/MetricsListenerTests).
# libsqlite3-dev: the observation store (Sources/CSQLite, the Store target) links SQLite's C library.
# libpq-dev: the shared store on PostgreSQL (Sources/CLibPQ, the Store target) links libpq;
# postgresql: the server the PostgreSQL store tests start in a temporary directory (Tests/StoreTests/Postgres*).
packages=(libpcap-dev libssl-dev libsqlite3-dev libpq-dev pkg-config openssl ca-certificates publicsuffix systemd logrotate dpkg-dev tcpreplay
          iproute2 python3 tshark gnutls-bin mitmproxy nftables prometheus postgresql)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
