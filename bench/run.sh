#!/usr/bin/env bash
# run.sh — run sluice's benchmarks (`make bench` calls this after building
# build/sluice). Generates the W1/W2 inputs in bench/work/ when missing,
# installs DuckDB from npm into bench/work/node when absent, times sluice and
# its peers on the same files, checks every output and prints a Markdown
# table (also saved to bench/work/results.md). See bench/README.md.
#
# Quick run:  BENCH_N_W1=100000 BENCH_N_W2=100000 bench/run.sh
# AWS group:  BENCH_ONLY=aws bench/run.sh  (DynamoDB Local + Ceph RGW: sluice vs boto3 and
#             the AWS CLI; bench/aws/aws_bench.py, ~10 minutes; not part of the default run)
# Other env:  BENCH_RUNS (3), BENCH_STARTUP_RUNS (50), BENCH_ONLY=w1,w1gz,w2,startup,rss,
#             SLUICE (build/sluice), BENCH_STRICT=1 (exit 1 when a row fails)
set -euo pipefail

cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null 2>&1; then
  echo "bench: python3 is required (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
mkdir -p bench/work
exec python3 bench/harness.py "$@"
