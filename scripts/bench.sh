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

RUNS=${RUNS:-3}
# run LABEL ENV...: scan RUNS times (this 2-vCPU VM is noisy), print each
# run's rate and peak memory, then the best and the median.
run() {
  local label=$1; shift
  local rates=() out rate mem
  for _ in $(seq "$RUNS"); do
    out=$( { env "$@" "$BIN" scan --no-store --format jsonl --progress never --fail-on never "$DATA" >/dev/null; } 2>&1 )
    rate=$(grep '^scanned' <<<"$out" | sed -E 's/.*\(([0-9]+) events\/s\).*/\1/')
    mem=$(grep '^peak memory' <<<"$out" | sed 's/peak memory: //')
    rates+=("$rate")
    echo "    $label: $rate events/s, peak memory $mem"
  done
  printf '%s\n' "${rates[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%s: best %d events/s, median %d events/s over %d runs\n", l, a[NR], a[int((NR+1)/2)], NR}'
  grep '^findings' <<<"$out" | sed 's/^/    /'
}
echo "== scan (gunzip + decode + route + every built-in rule + findings as JSON Lines to /dev/null)"
run "1 core   " GOMAXPROCS=1
run "all cores" GOMAXPROCS="$(nproc)"
# stored LABEL FLAGS...: scan RUNS times with a fresh SQLite store each time.
stored() {
  local label=$1; shift
  local rates=() out rate db
  for _ in $(seq "$RUNS"); do
    db=$(mktemp -d)
    out=$( { GOMAXPROCS=1 "$BIN" scan --store "$db/tw.db" "$@" --format jsonl --progress never --fail-on never "$DATA" >/dev/null; } 2>&1 )
    rm -rf "$db"
    rate=$(grep '^scanned' <<<"$out" | sed -E 's/.*\(([0-9]+) events\/s\).*/\1/')
    rates+=("$rate")
    echo "    $label: $rate events/s, peak memory $(grep '^peak memory' <<<"$out" | sed 's/peak memory: //')"
  done
  printf '%s\n' "${rates[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%s: best %d events/s, median %d events/s over %d runs\n", l, a[NR], a[int((NR+1)/2)], NR}'
  grep -E '^(findings|resource state)' <<<"$out" | sed 's/^/    /'
}
echo "== with the SQLite store (findings + outbox + checkpoints), 1 core"
stored "store        " --no-state
echo "== with the SQLite store and the resource state (state.db), 1 core"
stored "store + state" 

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

echo "== resource state store (SQLite): apply in scan-sized batches, state at time T over 1M revisions"
go test -run XXX -bench 'ApplyScanBatch|AtMillion' -benchtime 3s ./internal/state/sqlitestate/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'

echo "== Go benchmarks (one core)"
go test -run XXX -bench . -benchmem -cpu 1 ./internal/ctjson/ ./internal/decode/ ./internal/route/ ./internal/engine/ 2>&1 | grep -E '^(Benchmark|ok|FAIL)'
