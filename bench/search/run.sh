#!/usr/bin/env bash
# run.sh — the search benchmark (bench/search/README.md): index the cleaned W1
# records with sluice's search_index target and with a Python sqlite3 FTS5
# loader, then time typical `sluice search` queries. Needs build/sluice.
#   bench/search/run.sh                      # 1M records, 3 runs
#   BENCH_N_W1=100000 BENCH_RUNS=1 bench/search/run.sh   # quick
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/work
exec python3 bench/search/bench.py "$@"
