#!/usr/bin/env bash
# Whole-pipeline benchmark on a real broker (see README.md here). Builds the release preset first,
# and the Kafka Streams peer (peer/, with Maven) unless told not to.
#   tests/bench/run.sh [EVENTS] [--no-peer]   (default 1,000,000 events; HUNTLINE_BENCH_PEER=0 is --no-peer)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
peer=${HUNTLINE_BENCH_PEER:-1}
args=()
for arg in "$@"; do
  case "$arg" in
    --no-peer) peer=0 ;;
    --peer) peer=1 ;;
    *) args+=("$arg") ;;
  esac
done
"$ROOT/deploy/local.sh" build >&2
if [ "$peer" = 1 ]; then
  mvn -q -B -f "$ROOT/tests/bench/peer/pom.xml" package >&2
  args+=(--peer)
fi
export HUNTLINE_BIN="$ROOT/build/release/app/huntline"
export HUNTLINE_RAW_CONSUME="$ROOT/build/release/tests/raw_consume"
export HUNTLINE_KAFKA_LIBS=${HUNTLINE_KAFKA_LIBS:-$HOME/.cache/huntline/kafka-3.9.1/libs}
exec /usr/bin/python3 "$ROOT/tests/bench/bench_pipeline.py" "${args[@]}"
