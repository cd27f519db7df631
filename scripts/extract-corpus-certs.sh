#!/usr/bin/env bash
# Extracts every certificate carried in the peer corpus captures (TLS and DTLS Certificate
# handshake messages, as tshark dissects them) into DER files, one per distinct certificate,
# named by its SHA-256. For benchmarking on a realistic server-certificate mix:
#
#   scripts/extract-corpus-certs.sh /tmp/peer-certs
#   mitmwatch-bench x509 --corpus /tmp/peer-certs
#
# Usage: scripts/extract-corpus-certs.sh OUTPUT_DIR [PEERS_DIR]
# PEERS_DIR defaults to ../shared/corpus/peers relative to the project root. The output is not
# meant to be committed.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 OUTPUT_DIR [PEERS_DIR]" >&2
    exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$1"
peers="${2:-$root/../shared/corpus/peers}"
command -v tshark >/dev/null || { echo "tshark is required (apt-get install tshark)" >&2; exit 1; }
command -v xxd >/dev/null || { echo "xxd is required (apt-get install xxd)" >&2; exit 1; }
[[ -d "$peers" ]] || { echo "no peer corpus at $peers" >&2; exit 1; }
mkdir -p "$out"

captures=0
messages=0
written=0
while IFS= read -r -d '' capture; do
    captures=$((captures + 1))
    # One line per matching packet; several certificates (and several Certificate messages in
    # one packet) come comma-separated. Truncated or odd captures make tshark complain: ignored.
    while IFS= read -r line; do
        [[ -n "$line" ]] || continue
        messages=$((messages + 1))
        IFS=',' read -r -a hexes <<<"${line//$'\t'/,}"
        for hex in "${hexes[@]}"; do
            [[ -n "$hex" ]] || continue
            tmp="$(mktemp "$out/.cert.XXXXXX")"
            printf '%s' "$hex" | xxd -r -p >"$tmp"
            name="$(sha256sum "$tmp" | cut -d' ' -f1).der"
            if [[ -e "$out/$name" ]]; then
                rm -f "$tmp"
            else
                mv "$tmp" "$out/$name"
                written=$((written + 1))
            fi
        done
    done < <(
        tshark -r "$capture" -Y 'tls.handshake.type == 11' -T fields -e tls.handshake.certificate 2>/dev/null || true
        tshark -r "$capture" -Y 'dtls.handshake.type == 11' -T fields -e dtls.handshake.certificate 2>/dev/null || true
    )
done < <(find "$peers" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | sort -z)

total=$(find "$out" -maxdepth 1 -name '*.der' | wc -l)
echo "$captures captures, $messages packets with Certificate messages, $written new certificates; $total distinct in $out"
