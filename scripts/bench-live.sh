#!/usr/bin/env bash
# Live capture under load: replays a capture onto the loopback interface with tcpreplay at rising
# rates while `mitmwatch run` captures `lo` through AF_PACKET with 1, then 2 capture threads, and
# prints, per rate, what the daemon captured and what the kernel dropped (from its metrics
# textfile), and the highest rate with no drop.
#
#   scripts/bench-live.sh CAPTURE [RATE_MBPS...]       (default rates: 100 250 500 1000 2000 4000)
#
# CAPTURE: e.g. `scripts/make-bench-capture.py --handshakes 4000 --bulk-flows 200 --bulk-bytes 500000 bench.pcap`
# (many connections: the fanout spreads connections, not packets). Needs root (tcpreplay sends on
# lo; capture needs CAP_NET_RAW) and tcpreplay (scripts/setup.sh installs it). The binary is
# $MITMWATCH_BIN, else .build/release/mitmwatch (`swift build -c release`). WORKERS="1 2" sets the
# worker counts compared. Each rate gets a fresh daemon, stopped (SIGTERM, by PID) after the replay
# so its last metrics count every packet. tcpreplay paces on its own: the "sent at" column is the
# rate it reached, which on a small machine can fall short of the one asked for.
# Baseline in the same run (BASELINE=none skips it): tshark capturing lo live and doing the same
# job (`-Y tls.handshake.type==11 -T fields -e tls.handshake.certificate`), same capture and
# rates; its packets captured and dropped come from its own end-of-capture report.
set -euo pipefail

capture=${1:?usage: scripts/bench-live.sh CAPTURE [RATE_MBPS...]}
shift
rates=("$@")
((${#rates[@]})) || rates=(100 250 500 1000 2000 4000)
read -r -a worker_counts <<<"${WORKERS:-1 2}"
root=$(cd "$(dirname "$0")/.." && pwd)
binary=${MITMWATCH_BIN:-$root/.build/release/mitmwatch}

[ -r "$capture" ] || { echo "bench-live: cannot read $capture" >&2; exit 1; }
[ -x "$binary" ] || { echo "bench-live: no binary at $binary (swift build -c release, or set MITMWATCH_BIN)" >&2; exit 1; }
command -v tcpreplay >/dev/null || { echo "bench-live: tcpreplay is missing (scripts/setup.sh installs it)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-live: run as root (tcpreplay and capture on lo)" >&2; exit 1; }
for rate in "${rates[@]}"; do
    [[ $rate =~ ^[0-9]+$ ]] || { echo "bench-live: rate '$rate' is not a whole number of Mbit/s" >&2; exit 1; }
done

work=$(mktemp -d)
daemon_pid=""
stop_daemon() {
    if [ -n "$daemon_pid" ]; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=""
    fi
}
trap 'stop_daemon; rm -rf "$work"' EXIT

# cpu_seconds PID...: user + system CPU time the processes used so far (all their threads).
cpu_seconds() {
    local ticks=0 pid
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        # Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
        ticks=$((ticks + $(sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
    done
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# metric NAME FILE: the value of one sample (0 when absent).
metric() { awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }' "$2"; }

declare -A captured dropped split sent cpu
for workers in "${worker_counts[@]}"; do
    cat >"$work/config.json" <<EOF
{"interfaces": ["lo"], "journal": false,
 "capture": {"method": "af-packet", "workers": $workers},
 "metrics": {"textfile": "$work/metrics.prom", "interval_seconds": 1}}
EOF
    for rate in "${rates[@]}"; do
        rm -f "$work/metrics.prom"
        : >"$work/daemon.err"
        "$binary" run --config "$work/config.json" 2>"$work/daemon.err" &
        daemon_pid=$!
        for _ in $(seq 100); do
            grep -q "mitmwatch started" "$work/daemon.err" && break
            kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.err" >&2; exit 1; }
            sleep 0.1
        done
        grep -q "mitmwatch started" "$work/daemon.err" || { echo "bench-live: the daemon did not start" >&2; cat "$work/daemon.err" >&2; exit 1; }
        cpu_start=$(cpu_seconds "$daemon_pid")
        # Bounded: one pass of the capture, at most 10 minutes.
        timeout 600 tcpreplay --intf1=lo --mbps="$rate" "$capture" >"$work/replay.out" 2>&1 || true
        sent[$workers,$rate]=$(awk '/Rated:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^Mbps/) { print $i; exit } }' "$work/replay.out")
        sleep 1  # the last blocks retire, the workers catch up
        # CPU spent on the replayed traffic (start-up, which loads indicators and trust store, excluded).
        cpu[$workers,$rate]=$(awk -v a="$cpu_start" -v b="$(cpu_seconds "$daemon_pid")" 'BEGIN { printf "%.2f", b - a }')
        stop_daemon
        captured[$workers,$rate]=$(metric mitmwatch_packets_total "$work/metrics.prom")
        dropped[$workers,$rate]=$(metric 'mitmwatch_kernel_dropped_total{interface="lo"}' "$work/metrics.prom")
        parts=()
        for ((w = 0; w < workers; w++)); do parts+=("$(metric "mitmwatch_worker_packets_total{worker=\"$w\"}" "$work/metrics.prom")"); done
        split[$workers,$rate]=$(IFS=/; echo "${parts[*]}")
        echo "workers $workers, $rate Mbit/s: sent at ${sent[$workers,$rate]:-?} Mbit/s, captured ${captured[$workers,$rate]} (${split[$workers,$rate]}), kernel drops ${dropped[$workers,$rate]}, CPU ${cpu[$workers,$rate]} s" >&2
    done
done

declare -A tshark_captured tshark_dropped tshark_sent tshark_cpu
if [ "${BASELINE:-tshark}" = tshark ] && command -v tshark >/dev/null; then
    for rate in "${rates[@]}"; do
        tshark -i lo -f tcp -Y 'tls.handshake.type==11' -T fields -e tls.handshake.certificate \
            >/dev/null 2>"$work/tshark.err" &
        tshark_pid=$!
        for _ in $(seq 100); do grep -q "Capturing on" "$work/tshark.err" && break; sleep 0.1; done
        sleep 1
        tshark_start=$(cpu_seconds "$tshark_pid" $(pgrep -P "$tshark_pid" || true))
        timeout 600 tcpreplay --intf1=lo --mbps="$rate" "$capture" >"$work/replay.out" 2>&1 || true
        tshark_sent[$rate]=$(awk '/Rated:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^Mbps/) { print $i; exit } }' "$work/replay.out")
        sleep 2
        # tshark and its dumpcap: both do the baseline's work.
        tshark_end=$(cpu_seconds "$tshark_pid" $(pgrep -P "$tshark_pid" || true))
        tshark_cpu[$rate]=$(awk -v a="$tshark_start" -v b="$tshark_end" 'BEGIN { printf "%.2f", b - a }')
        kill -INT "$tshark_pid" 2>/dev/null || true
        # Bounded: tshark finishes dissecting what it holds, at most 5 minutes more.
        for _ in $(seq 3000); do kill -0 "$tshark_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$tshark_pid" 2>/dev/null || true
        wait "$tshark_pid" 2>/dev/null || true
        tshark_captured[$rate]=$(awk '/packets? captured/ { print $1; exit }' "$work/tshark.err")
        tshark_dropped[$rate]=$(awk '/packets? dropped/ { sum += $1 } END { print sum + 0 }' "$work/tshark.err")
        echo "tshark, $rate Mbit/s: sent at ${tshark_sent[$rate]:-?} Mbit/s, captured ${tshark_captured[$rate]:-?}, dropped ${tshark_dropped[$rate]}, CPU ${tshark_cpu[$rate]} s" >&2
    done
fi

echo
echo "capture: $capture"
header=$(printf "%-10s" "Mbit/s")
for workers in "${worker_counts[@]}"; do header+=$(printf " | %-12s %-24s %-10s %-8s" "sent at (${workers}w)" "captured ($workers workers)" "drops" "CPU s"); done
echo "$header"
for rate in "${rates[@]}"; do
    line=$(printf "%-10s" "$rate")
    for workers in "${worker_counts[@]}"; do
        line+=$(printf " | %-12s %-24s %-10s %-8s" "${sent[$workers,$rate]:-?}" \
            "${captured[$workers,$rate]} (${split[$workers,$rate]})" "${dropped[$workers,$rate]}" "${cpu[$workers,$rate]}")
    done
    echo "$line"
done
for workers in "${worker_counts[@]}"; do
    best="none"
    for rate in "${rates[@]}"; do
        [ "${dropped[$workers,$rate]}" = 0 ] && best="$rate Mbit/s (sent at ${sent[$workers,$rate]:-?})"
    done
    echo "highest rate with 0 kernel drops, $workers worker(s): $best"
done
if ((${#tshark_dropped[@]})); then
    best="none"
    for rate in "${rates[@]}"; do
        ratio=$(awk -v m="${cpu[${worker_counts[0]},$rate]}" -v t="${tshark_cpu[$rate]}" 'BEGIN { if (m > 0) printf "%.1f", t / m; else print "?" }')
        echo "tshark baseline, $rate Mbit/s: sent at ${tshark_sent[$rate]:-?}, captured ${tshark_captured[$rate]:-?}, dropped ${tshark_dropped[$rate]}, CPU ${tshark_cpu[$rate]} s = ${ratio}x mitmwatch's (${worker_counts[0]} worker)"
        [ "${tshark_dropped[$rate]}" = 0 ] && best="$rate Mbit/s"
    done
    echo "highest rate with 0 drops, tshark: $best"
fi
