#!/usr/bin/env bash
# Renders the first pages of a quarterly report as PNG, for the README or a quick look.
#
#   deploy/report/preview.sh [OUT_DIR]
#
# Replays the hand-worked two-quarter scenario of tests/e2e/scenario_report.py with
# `huntline replay --history-dir`, writes its FY2026-Q3 report as PDF (headless Chromium) and
# turns pages 1-2 into PNG with pdftoppm. Needs a built huntline (./deploy/local.sh build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/docs}
HUNTLINE=${HUNTLINE_BIN:-$ROOT/build/release/app/huntline}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
(cd "$ROOT/tests/e2e" && python3 -c 'import scenario_report as s; print("\n".join(s.lines()))') > "$WORK/events.jsonl"
"$HUNTLINE" replay --input "$WORK/events.jsonl" --metrics-out "$WORK/m.prom" --history-dir "$WORK/history"
"$HUNTLINE" report --history-dir "$WORK/history" --quarter FY2026-Q3 --format pdf --out "$WORK/report.pdf"
pdftoppm -png -r 60 -f 1 -l 2 "$WORK/report.pdf" "$OUT/report-page"
ls "$OUT"/report-page-*.png
