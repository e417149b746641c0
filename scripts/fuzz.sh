#!/usr/bin/env bash
# libFuzzer harnesses over the parsers of untrusted input (docs/fuzzing.md).
#
#   scripts/fuzz.sh build                  build the libFuzzer binary (debug, -sanitize=fuzzer,address)
#   scripts/fuzz.sh run [HARNESS...]       fuzz each harness for FUZZ_SECONDS (default 240) and print
#                                          its figures; no names: all of them, one after another
#   scripts/fuzz.sh replay [HARNESS...]    run each harness once over its seed corpus and the saved
#                                          crash reproducers (plain debug build, no libFuzzer): `make test`
#   scripts/fuzz.sh repro HARNESS FILE...  run the libFuzzer binary on saved inputs (a crash's report)
#
# Harnesses: records parquet compressed tokenizer shards (Sources/FuzzHarnesses/).
# Seeds: fixtures/fuzz/HARNESS/ (scripts/gen-fuzz-seeds.py). Reproducers of crashes found:
# fixtures/fuzz/crashes/HARNESS/ (replayed by `replay`, each with a regression test).
# Working corpora, crash artifacts and logs of `run` go to .build/fuzz-work/ (not committed).
#
# Environment: FUZZ_SECONDS (per harness), FUZZ_BUILD (libFuzzer build dir, default .build/fuzz),
# FUZZ_REPLAY_BUILD (default .build/fuzz-replay), FUZZ_JOBS (parallel libFuzzer workers per
# harness, default 1), FUZZ_ARGS (extra libFuzzer flags), SWIFT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SWIFT=${SWIFT:-swift}
HARNESSES=(records parquet compressed tokenizer shards)
FUZZ_BUILD=${FUZZ_BUILD:-$ROOT/.build/fuzz}
FUZZ_REPLAY_BUILD=${FUZZ_REPLAY_BUILD:-$ROOT/.build/fuzz-replay}
FUZZ_SECONDS=${FUZZ_SECONDS:-240}
FUZZ_JOBS=${FUZZ_JOBS:-1}
WORK=$ROOT/.build/fuzz-work
# The harness targets exist in Package.swift only with this set.
export LLMDATA_FUZZ=1
# Swift's own crash backtracer and ASan's report fight over the dying process (a bogus ASan
# report about the backtracer's memory reader follows the real trap): libFuzzer and ASan report.
export SWIFT_BACKTRACE=enable=no
# Swift runtime metadata caches look like leaks to LeakSanitizer at exit; memory errors are what
# the harnesses look for (a leak per input would show up as rss growth and -rss_limit_mb).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}

max_len() {
  case $1 in
    compressed) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

build() {
  echo "fuzz: building llmdata-fuzz in $FUZZ_BUILD (debug: bounds and overflow checks on; ASan + libFuzzer)" >&2
  # swiftc keeps only the last of several -sanitize= flags, so SwiftPM's `--sanitize=fuzzer
  # --sanitize=address` builds Swift code without coverage (or without ASan): --sanitize=fuzzer
  # stays (with it SwiftPM lets libFuzzer's main be the executable's), the -Xswiftc list after it
  # is what swiftc uses. The C/C++ shims get ASan too.
  $SWIFT build --build-path "$FUZZ_BUILD" -c debug --product llmdata-fuzz --sanitize=fuzzer \
    -Xswiftc -sanitize=fuzzer,address \
    -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address >&2
  BIN=$FUZZ_BUILD/debug/llmdata-fuzz
}

build_replay() {
  echo "fuzz: building llmdata-fuzz-replay in $FUZZ_REPLAY_BUILD (debug)" >&2
  $SWIFT build --build-path "$FUZZ_REPLAY_BUILD" -c debug --product llmdata-fuzz-replay >&2 \
    || { echo "fuzz: building llmdata-fuzz-replay failed" >&2; exit 1; }
  REPLAY=$FUZZ_REPLAY_BUILD/debug/llmdata-fuzz-replay
}

check_names() {
  for h in "$@"; do
    [[ " ${HARNESSES[*]} " == *" $h "* ]] || { echo "fuzz: unknown harness $h (one of: ${HARNESSES[*]})" >&2; exit 2; }
  done
}

# One harness for FUZZ_SECONDS: new inputs go to the working corpus (the seeds stay as they are),
# crashes to $WORK/artifacts/HARNESS/. Prints a summary line from libFuzzer's final stats.
run_one() {
  local h=$1 corpus=$WORK/corpus/$1 art=$WORK/artifacts/$1/ log=$WORK/logs/$1.log
  mkdir -p "$corpus" "$art" "$WORK/logs"
  local extra=()
  # the record harness's warnings (one line per bad record) would drown the log
  [ "$h" = records ] && extra+=(-close_fd_mask=2)
  [ "$FUZZ_JOBS" -gt 1 ] && extra+=(-fork="$FUZZ_JOBS" -ignore_crashes=1)
  echo "fuzz: $h for ${FUZZ_SECONDS}s (log $log)" >&2
  local rc=0
  LLMDATA_FUZZ_HARNESS=$h "$BIN" "$corpus" "fixtures/fuzz/$h" \
    -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$h")" -timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=2048 \
    -artifact_prefix="$art" -print_final_stats=1 -print_pcs=0 "${extra[@]}" ${FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?
  local runs eps secs cov ft crashes
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  # wall time: libFuzzer's "Done N runs in S second(s)", or (stopped by a crash) runs / rate
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 | awk '{print $5}' || true)
  [ -n "$secs" ] || { [ -n "$runs" ] && [ "${eps:-0}" -gt 0 ] && secs=$((runs / eps)); } || true
  cov=$(grep -oE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' | awk '{print $2}' || true)
  ft=$(grep -oE '^#[0-9]+.*ft: [0-9]+' "$log" | tail -1 | grep -oE 'ft: [0-9]+' | awk '{print $2}' || true)
  crashes=$(find "$art" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) | wc -l)
  printf '%-11s exit %-3s %9s execs in %4ss (%5s exec/s)  cov %-5s ft %-6s corpus %4s files  artifacts %s\n' \
    "$h" "$rc" "${runs:-?}" "${secs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$crashes"
}

cmd=${1:-run}
shift || true
case $cmd in
  build)
    build
    echo "$BIN"
    ;;
  run)
    names=("$@")
    [ ${#names[@]} -gt 0 ] || names=("${HARNESSES[@]}")
    check_names "${names[@]}"
    build
    for h in "${names[@]}"; do run_one "$h"; done
    echo "fuzz: crash inputs (if any) are in $WORK/artifacts/; see docs/fuzzing.md for what to do with one" >&2
    ;;
  replay)
    names=("$@")
    [ ${#names[@]} -gt 0 ] || names=("${HARNESSES[@]}")
    check_names "${names[@]}"
    build_replay
    for h in "${names[@]}"; do
      dirs=("fixtures/fuzz/$h")
      [ -d "fixtures/fuzz/crashes/$h" ] && dirs+=("fixtures/fuzz/crashes/$h")
      # a hang is a failure too; the record harness's warnings about bad records are dropped
      { timeout 300 "$REPLAY" "$h" "${dirs[@]}" 2>&1 1>&3 | sed '/^llmdata fuzz: warning/d' >&2; } 3>&1 \
        || { echo "fuzz replay: $h failed; rerun: LLMDATA_FUZZ_VERBOSE=1 $REPLAY $h ${dirs[*]}" >&2; exit 1; }
    done
    ;;
  repro)
    h=${1:?usage: scripts/fuzz.sh repro HARNESS FILE...}
    shift
    check_names "$h"
    build
    LLMDATA_FUZZ_HARNESS=$h "$BIN" -runs=1 "$@"
    ;;
  *)
    echo "usage: scripts/fuzz.sh build | run [HARNESS...] | replay [HARNESS...] | repro HARNESS FILE..." >&2
    exit 2
    ;;
esac
