#!/usr/bin/env bash
# ab.sh — compare the CPU time of sluice builds on one job, runs alternating
# between the builds so that a busy machine slows them alike.
#
#   bench/parquet/ab.sh OLD_SLUICE NEW_SLUICE [...]
#
# Each round runs every binary once on JOB (default bench/parquet/w1_parquet.yaml,
# --threads THREADS, input bench/work/w1_logs.jsonl, output on /dev/shm) and
# records user + sys from GNU time. Prints per binary the median and the
# minimum (interference only ever adds time) over ROUNDS rounds.
# Env: ROUNDS (9), JOB, THREADS (1), INPUT (bench/work/w1_logs.jsonl: run
# bench/parquet/run.sh once to generate it).
set -euo pipefail

cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 SLUICE [SLUICE...]" >&2; exit 2; }
ROUNDS=${ROUNDS:-9}
JOB=${JOB:-bench/parquet/w1_parquet.yaml}
THREADS=${THREADS:-1}
INPUT=${INPUT:-bench/work/w1_logs.jsonl}
OUT=$(mktemp -d "${TMPDIR_AB:-/dev/shm}/sluice-ab.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
[ -f "$INPUT" ] || { echo "$INPUT is missing: run bench/parquet/run.sh once" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is required" >&2; exit 1; }

for ((i = 1; i <= ROUNDS; i++)); do
  for ((k = 1; k <= $#; k++)); do
    bin=${!k}
    rm -rf "$OUT/out"
    if ! /usr/bin/time -f "%U %S" -o "$OUT/time" "$bin" run "$JOB" --threads "$THREADS" --quiet \
      --arg input="$INPUT" --arg output="$OUT/out" > /dev/null 2> "$OUT/stderr"; then
      echo "$bin failed: $(tail -n 3 "$OUT/stderr")" >&2
      exit 1
    fi
    awk '{print $1 + $2}' "$OUT/time" >> "$OUT/cpu.$k"
  done
done
for ((k = 1; k <= $#; k++)); do
  sort -g "$OUT/cpu.$k" | awk -v bin="${!k}" '{a[NR] = $1} END {
    printf "%-40s CPU s: median %.3f  min %.3f  (%d runs)\n", bin, a[int((NR + 1) / 2)], a[1], NR }'
done
