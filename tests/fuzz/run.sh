#!/usr/bin/env bash
# Builds the fuzz targets (the `fuzz` preset) and runs each for SECONDS.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     default: every target, one after the other
#
# Fails when a target crashes, leaks, exceeds -timeout on one input or -rss_limit_mb, and says
# where the input that did it is. The corpus each target grows is kept between runs in
# $HUNTLINE_FUZZ_DIR (default build/fuzz/runs), seeded anew from the contract's examples and the
# conformance cases in ../shared at every run; the inputs of past findings (tests/fuzz/regressions/)
# are run first.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_EACH=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(decoder_fuzzer recurrence_fuzzer config_fuzzer translate_fuzzer)
SHARED=${HUNTLINE_SHARED_DIR:-$ROOT/../shared}
WORK=${HUNTLINE_FUZZ_DIR:-$ROOT/build/fuzz/runs}
JOBS=${HUNTLINE_BUILD_JOBS:-$(nproc)}

log() { printf '\033[1m[fuzz]\033[0m %s\n' "$*" >&2; }

# The largest input each target needs to mean something, and its dictionary.
max_len() {
  case $1 in
    decoder_fuzzer) echo 8192 ;;
    recurrence_fuzzer) echo 4096 ;;
    config_fuzzer) echo 8192 ;;
    translate_fuzzer) echo 16384 ;;
  esac
}
dict() {
  case $1 in
    decoder_fuzzer) echo "$ROOT/tests/fuzz/decoder.dict" ;;
    recurrence_fuzzer) echo "$ROOT/tests/fuzz/recurrence.dict" ;;
    config_fuzzer) echo "$ROOT/tests/fuzz/config.dict" ;;
    translate_fuzzer) echo "$ROOT/tests/fuzz/translate.dict" ;;
  esac
}

log "building ${TARGETS[*]} (preset fuzz)"
cmake --preset fuzz -S "$ROOT" >/dev/null
cmake --build --preset fuzz -j "$JOBS" --target "${TARGETS[@]}"

rm -rf "$WORK/seeds"
/usr/bin/python3 "$ROOT/tests/fuzz/seeds.py" "$WORK/seeds" "$SHARED" "$ROOT"

failed=()
for target in "${TARGETS[@]}"; do
  corpus="$WORK/corpus/$target"
  artifacts="$WORK/artifacts/$target"
  logfile="$WORK/$target.log"
  mkdir -p "$corpus" "$artifacts"
  inputs=("$corpus" "$WORK/seeds/$target")
  [ -d "$ROOT/tests/fuzz/regressions/$target" ] && inputs+=("$ROOT/tests/fuzz/regressions/$target")
  log "$target: ${SECONDS_EACH}s, corpus $corpus"
  status=0
  # -timeout: one input may take at most 10 s; -rss_limit_mb: the process at most 2 GiB.
  "$ROOT/build/fuzz/tests/fuzz/$target" \
    -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$target")" -timeout=10 \
    -rss_limit_mb=2048 -dict="$(dict "$target")" -artifact_prefix="$artifacts/" \
    -print_final_stats=1 "${inputs[@]}" >"$logfile" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logfile" | tail -1)
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$logfile" | tail -1)
  log "$target: ${execs:-?} executions, ${coverage:-no coverage line}, corpus $(ls "$corpus" | wc -l) inputs"
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    tail -60 "$logfile" >&2
    log "$target FAILED (exit $status): log $logfile; inputs that did it:"
    ls -1 "$artifacts"/* >&2 2>/dev/null || true
    log "reproduce: build/fuzz/tests/fuzz/$target ARTIFACT (see tests/fuzz/README.md)"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "all targets ran ${SECONDS_EACH}s without a finding"
