#!/usr/bin/env bash
# Fuzzes the hub's decide path (decoding, rules, notifications' Kafka bytes; see
# docs/fuzzing.md) with libFuzzer for SECONDS, on one core: builds hub-fuzz with
# -sanitize=fuzzer, writes the seed corpus (the example events), runs, prints the executions
# and the crashes. Exits non-zero when libFuzzer found a crash, a broken property, a timeout
# or an out-of-memory; those inputs are kept in .hub-env/fuzz/crashes/.
#
#   scripts/fuzz.sh SECONDS [libFuzzer options...]
#
# The corpus grows in .hub-env/fuzz/corpus across runs; each run's libFuzzer output is in
# .hub-env/fuzz/run-<time>.log.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export PATH=/opt/swift/usr/bin:$PATH

seconds=${1:?usage: scripts/fuzz.sh SECONDS [libFuzzer options...]}
shift
# Its own scratch path: the instrumented build would otherwise replace the normal one.
scratch=${HUB_FUZZ_SCRATCH_PATH:-.build-fuzz}
work=${HUB_FUZZ_DIR:-.hub-env/fuzz}

# lld: gold stops with an internal error (dwarf_reader.cc) on libFuzzer's runtime.
build=(swift build -c release --product hub-fuzz --scratch-path "$scratch"
       -Xswiftc -sanitize=fuzzer -Xswiftc -DHUB_FUZZING -Xswiftc -use-ld=lld)
"${build[@]}"
fuzzer="$("${build[@]}" --show-bin-path)/hub-fuzz"

mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"
"$fuzzer" seeds "$work/seeds"
corpora=("$work/corpus" "$work/seeds")
# Past findings stay in the corpus: a regression is found again at once.
if [ -d Tests/Fuzz/regressions ]; then corpora+=(Tests/Fuzz/regressions); fi

findings() { find "$work/crashes" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort; }
before=$(findings)
log="$work/run-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "fuzzing for ${seconds}s (one process, one core); libFuzzer output: $log"

# Swift's own backtracer would take the trap's signal before libFuzzer, which then could
# not save the input.
status=0
SWIFT_BACKTRACE=enable=no HUB_FUZZ_ROOT="$repo" "$fuzzer" "${corpora[@]}" \
    -dict=Tests/Fuzz/hub.dict -max_len=65536 -timeout=30 -max_total_time="$seconds" \
    -artifact_prefix="$work/crashes/" -print_final_stats=1 "$@" >"$log" 2>&1 || status=$?

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
new=$(comm -13 <(echo "$before") <(findings) | sed '/^$/d')
echo "executions: $(stat number_of_executed_units) ($(stat average_exec_per_sec)/s), new corpus units: $(stat new_units_added), corpus: $(find "$work/corpus" -type f | wc -l) files, peak RSS: $(stat peak_rss_mb) MB"
if [ -n "$new" ] || [ $status -ne 0 ]; then
    echo "crashes found: $(echo "$new" | sed '/^$/d' | wc -l) (libFuzzer exit status $status)"
    grep -E 'Fatal error|hub-fuzz finding|ERROR: libFuzzer|SUMMARY' "$log" | head -5 || true
    for file in $new; do echo "  $file  (reproduce: $fuzzer $file)"; done
    exit 1
fi
echo "crashes found: 0"
