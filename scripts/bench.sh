#!/usr/bin/env bash
# End-to-end benchmark: scan a generated 1M-event trail (gzip, AWS layout) with
# every built-in rule, on one core and on all cores, and print events/s and
# peak memory; then the Go benchmarks of the hot path (decode, route, evaluate).
# EVENTS and SEED change the dataset; it is generated once into .bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=bin/trailwarden
EVENTS=${EVENTS:-1000000}
SEED=${SEED:-42}
DATA=.bench/trail-$EVENTS-$SEED
if [ ! -d "$DATA" ]; then
  echo "== generating $EVENTS events into $DATA"
  "$BIN" gen --events "$EVENTS" --seed "$SEED" --out "$DATA.tmp"
  mv "$DATA.tmp" "$DATA"
fi
files=$(find "$DATA" -name '*.json.gz' | wc -l)
size=$(du -sh "$DATA" | cut -f1)
echo "== dataset: $EVENTS events, $files gzip files, $size"

run() { # label, then env and args
  local label=$1; shift
  local out
  out=$( { env "$@" "$BIN" scan --no-store --format jsonl --progress never --fail-on never "$DATA" >/dev/null; } 2>&1 )
  local line mem
  line=$(grep '^scanned' <<<"$out")
  mem=$(grep '^peak memory' <<<"$out" || true)
  echo "$label: ${line#scanned } | ${mem}"
  grep '^findings' <<<"$out" | sed 's/^/    /'
}
echo "== scan (gunzip + decode + route + every built-in rule + findings as JSON Lines)"
run "1 core " GOMAXPROCS=1
run "all cores" GOMAXPROCS="$(nproc)"
echo "== with the SQLite store (findings + outbox + checkpoints), 1 core"
db=$(mktemp -d)
out=$( { GOMAXPROCS=1 "$BIN" scan --store "$db/tw.db" --format jsonl --progress never --fail-on never "$DATA" >/dev/null; } 2>&1 )
grep -E '^(scanned|findings|peak)' <<<"$out" | sed 's/^/    /'
rm -rf "$db"

if command -v jq >/dev/null; then
  echo "== for scale: zcat | jq selecting one event name, same files"
  start=$(date +%s.%N)
  find "$DATA" -name '*.json.gz' -print0 | xargs -0 zcat | jq -c '.Records[] | select(.eventName=="StopLogging")' >/dev/null
  end=$(date +%s.%N)
  awk -v n="$EVENTS" -v s="$start" -v e="$end" 'BEGIN{printf "    zcat | jq: %.0f events/s (%.1fs)\n", n/(e-s), e-s}'
  start=$(date +%s.%N)
  find "$DATA" -name '*.json.gz' -print0 | xargs -0 zcat >/dev/null
  end=$(date +%s.%N)
  awk -v n="$EVENTS" -v s="$start" -v e="$end" 'BEGIN{printf "    zcat alone: %.0f events/s (%.1fs)\n", n/(e-s), e-s}'
fi

echo "== Go benchmarks (one core)"
go test -run XXX -bench . -benchmem -cpu 1 ./internal/ctjson/ ./internal/decode/ ./internal/route/ ./internal/engine/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
