#!/usr/bin/env bash
# Whole-pipeline benchmark on a real broker (see README.md here). Builds the release preset first.
#   tests/bench/run.sh [EVENTS]   (default 1,000,000)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
"$ROOT/deploy/local.sh" build >&2
export HUNTLINE_BIN="$ROOT/build/release/app/huntline"
export HUNTLINE_RAW_CONSUME="$ROOT/build/release/tests/raw_consume"
export HUNTLINE_KAFKA_LIBS=${HUNTLINE_KAFKA_LIBS:-$HOME/.cache/huntline/kafka-3.9.1/libs}
exec /usr/bin/python3 "$ROOT/tests/bench/bench_pipeline.py" "$@"
