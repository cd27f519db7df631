#!/usr/bin/env bash
# Builds one libFuzzer target (Sources/Fuzz/TARGET) with ASan and runs it for SECONDS.
#
#   scripts/fuzz.sh TARGET SECONDS [JOBS]
#
# TARGET: FuzzCertificate | FuzzTLSHandshake | FuzzPacket | FuzzConfig | FuzzCaptureFile
# Working corpus: .build-fuzz/corpus/TARGET (seeded from Fuzz/corpus/<seed dir>, grows as it runs)
# Crashes, leaks, timeouts: .build-fuzz/crashes/TARGET/
# Extra libFuzzer flags: FUZZ_FLAGS="-max_len=8192 ..." scripts/fuzz.sh ...
# Exit status: 0 when the run ended without a finding, non-zero otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

if (($# < 2)); then
    echo "usage: $0 TARGET SECONDS [JOBS]" >&2
    exit 2
fi
target=$1 seconds=$2 jobs=${3:-1}
case "$target" in
    FuzzCertificate) seeds=Fuzz/corpus/certificate ;;
    FuzzTLSHandshake) seeds=Fuzz/corpus/tls-handshake ;;
    FuzzPacket) seeds=Fuzz/corpus/packet ;;
    FuzzConfig) seeds=Fuzz/corpus/config ;;
    FuzzCaptureFile) seeds=Fuzz/corpus/capture-file ;;
    *) echo "fuzz: unknown target '$target' (FuzzCertificate, FuzzTLSHandshake, FuzzPacket, FuzzConfig," \
            "FuzzCaptureFile)" >&2; exit 2 ;;
esac

scratch=.build-fuzz
export MITMWATCH_FUZZ=1   # makes Package.swift declare the fuzz targets
swift build -c debug --scratch-path "$scratch" --product "$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -g >&2
binary=$(swift build -c debug --scratch-path "$scratch" --show-bin-path)/$target

corpus=$scratch/corpus/$target
crashes=$scratch/crashes/$target
logs=$scratch/logs/$target
mkdir -p "$corpus" "$crashes" "$logs"
rm -f "$logs"/fuzz-*.log
log=$logs/run.log

# Several jobs: libFuzzer's fork mode (one merged corpus, crashes kept going until the end).
parallel=()
if ((jobs > 1)); then parallel=(-fork="$jobs" -ignore_crashes=0 -ignore_timeouts=0 -ignore_ooms=0); fi

echo "fuzz: $target for ${seconds}s, jobs $jobs, corpus $corpus (+ seeds $seeds), crashes $crashes/" >&2
status=0
# shellcheck disable=SC2086
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1} \
"$binary" "$corpus" "$seeds" "${parallel[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=5 -print_final_stats=1 \
    -artifact_prefix="$crashes/" ${FUZZ_FLAGS:-} 2>&1 | tee "$log" >&2 || status=$?

# The final stats (execs, coverage), whatever happened.
grep -E "^(#[0-9]+.*(DONE|cov:)|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)" "$log" \
    | grep -vE "^#[0-9]+\s+(INITED|NEW|REDUCE|pulse|RELOAD)" | tail -n 6 || true
last=$(grep -E "^#[0-9]+" "$log" | tail -n 1 || true)
echo "fuzz: $target last status line: $last"

if ((status != 0)) || grep -qE "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|Fatal error|SUMMARY: " "$log"; then
    echo "fuzz: $target FOUND A PROBLEM (exit $status); inputs in $crashes/, log $log" >&2
    exit 1
fi
echo "fuzz: $target clean"
