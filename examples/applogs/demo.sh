#!/usr/bin/env bash
# demo.sh — `make demo`: run the AppLogs example on its bundled sample and
# show where the output went and what the cleaned records look like.
set -euo pipefail
cd "$(dirname "$0")/../.."
SLUICE=${SLUICE:-build/sluice}
lake=./data/lake/logs

echo "== sluice run examples/applogs/job.yaml"
"$SLUICE" run examples/applogs/job.yaml --arg lake="$lake"
echo
echo "== output"
for d in raw cleaned; do
  n=$(cat "$lake/$d"/part-* 2>/dev/null | wc -l)
  echo "  $lake/$d/: $(ls "$lake/$d" | grep -c '^part-') part file(s), $n records"
done
echo
echo "== first cleaned records"
head -n 3 "$(ls "$lake"/cleaned/part-* | head -n 1)"
errors=$(ls -t ./data/errors/errors-*.jsonl 2>/dev/null | head -n 1 || true)
if [ -n "$errors" ]; then
  echo
  echo "== records sent to the error output ($errors)"
  head -n 3 "$errors"
fi
