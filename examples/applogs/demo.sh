#!/usr/bin/env bash
# demo.sh — `make demo`: run the whole AppLogs pipeline on embedded defaults
# (no servers): raw and cleaned copies into the local lake under ./data/lake,
# cleaned records into the embedded search index ./data/search/applogs.db,
# a crawl of the lake into the catalog ./data/catalog.db, then a sample search.
set -euo pipefail
cd "$(dirname "$0")/../.."
SLUICE=${SLUICE:-build/sluice}
lake=./data/lake/logs
search=./data/search

echo "== sluice run examples/applogs/job.yaml"
"$SLUICE" run examples/applogs/job.yaml --arg lake="$lake" --arg search="$search"
echo
echo "== output"
for d in raw cleaned; do
  n=$(cat "$lake/$d"/part-* 2>/dev/null | wc -l)
  echo "  $lake/$d/: $(ls "$lake/$d" | grep -c '^part-') part file(s), $n records"
done
echo "  $search/applogs.db: $("$SLUICE" search applogs --index-dir "$search" --count) documents," \
     "$(du -k "$search/applogs.db" | cut -f1) KiB"
echo
echo "== first cleaned records"
head -n 3 "$(ls "$lake"/cleaned/part-* | head -n 1)"
errors=$(ls -t ./data/errors/errors-*.jsonl 2>/dev/null | head -n 1 || true)
if [ -n "$errors" ]; then
  echo
  echo "== records sent to the error output ($errors)"
  head -n 3 "$errors"
fi
echo
echo "== sluice crawl --database applogs --path $lake/raw --path $lake/cleaned  (catalog: ./data/catalog.db)"
"$SLUICE" crawl --database applogs --name applogs-lake --path "$lake/raw" --path "$lake/cleaned" \
  --catalog ./data/catalog.db
echo
echo "== sluice catalog table applogs.cleaned"
"$SLUICE" catalog table applogs.cleaned --catalog ./data/catalog.db
echo
query='timeout service_name:order-service log_level:ERROR'
echo "== sluice search applogs '$query' --limit 5"
"$SLUICE" search applogs "$query" --index-dir "$search" --limit 5 --table
echo
echo "== sluice search applogs '\"pool exhausted\" -log_level:DEBUG' --from 2024-11-22T19:10:00Z --limit 3 --json"
"$SLUICE" search applogs '"pool exhausted" -log_level:DEBUG' --index-dir "$search" \
  --from 2024-11-22T19:10:00Z --limit 3 --json
echo
echo "(try: $SLUICE search applogs --help)"
