#!/usr/bin/env bash
# run.sh — Parquet benchmark: sluice vs DuckDB on the same files, same run.
#
#   1. W1 clean → Parquet (snappy): bench/parquet/w1_parquet.yaml vs DuckDB's
#      COPY … TO '….parquet' (FORMAT parquet, COMPRESSION snappy), 1 and 2
#      threads; output sizes compared.
#   2. Read-back with a projection of two columns (service_name, timestamp)
#      written as CSV: bench/parquet/read_two.yaml vs DuckDB's COPY (SELECT
#      service_name, "timestamp" FROM read_parquet(…)) TO '….csv', each tool
#      reading sluice's files and DuckDB's file, 1 and 2 threads.
#
# Every row: median of BENCH_RUNS (3) runs of wall time and CPU (user+sys)
# from /usr/bin/time, peak RSS the largest seen; the input is re-read
# (`cat FILE > /dev/null`) before each run. Outputs go to tmpfs. Checks:
# DuckDB finds the same rows in sluice's Parquet files as in its own (EXCEPT
# ALL both ways) and both read-backs give the same CSV lines. Prints a
# Markdown table, also saved to bench/work/parquet_results.md.
#
# Usage: bench/parquet/run.sh        (from anywhere; builds build/sluice if missing)
# Env:   BENCH_RUNS (3), BENCH_N_W1 (1000000 records), BENCH_OUT
#        (/dev/shm/sluice-bench-parquet), SLUICE (build/sluice)
set -euo pipefail

cd "$(dirname "$0")/../.."
RUNS=${BENCH_RUNS:-3}
N=${BENCH_N_W1:-1000000}
OUT=${BENCH_OUT:-/dev/shm/sluice-bench-parquet}
[ -d /dev/shm ] || OUT=${BENCH_OUT:-bench/work/out/parquet}
SLUICE=${SLUICE:-build/sluice}
WORK=bench/work
INPUT=$WORK/w1_logs.jsonl
NODE_PREFIX=$WORK/node
DUCKDB_PACKAGE=@duckdb/node-api
DUCKDB_VERSION=1.5.6-r.1            # the version bench/harness.py installs
DUCKDB_MODULE=$NODE_PREFIX/node_modules/$DUCKDB_PACKAGE
RESULTS=$WORK/parquet_results.md

log() { echo "bench/parquet: $*" >&2; }
die() { log "$*"; exit 1; }

command -v python3 >/dev/null || die "python3 is required (scripts/bootstrap.sh installs it)"
command -v node >/dev/null || die "node is required for DuckDB (scripts/bootstrap.sh installs it)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is required: apt-get install time"
mkdir -p "$WORK" "$OUT"
[ -x "$SLUICE" ] || make -j2 >&2 || die "cannot build $SLUICE"

# ---- the W1 input (same seed and stamp as bench/harness.py)
want="seed=42 n=$N"
if [ ! -f "$INPUT" ] || [ ! -f "$INPUT.stamp" ] ||
   [ "$(cut -d' ' -f1-2 "$INPUT.stamp")" != "$want" ] ||
   [ "$(cut -d' ' -f3 "$INPUT.stamp")" != "size=$(stat -c %s "$INPUT")" ]; then
  log "generating $INPUT ($want)"
  python3 bench/gen_w1_logs.py --seed 42 --n "$N" --out "$INPUT.tmp"
  mv "$INPUT.tmp" "$INPUT"
  echo "$want size=$(stat -c %s "$INPUT")" > "$INPUT.stamp"
fi

# ---- DuckDB from npm (bundles libduckdb with the json and parquet extensions)
if ! grep -qs "\"version\": \"$DUCKDB_VERSION\"" "$DUCKDB_MODULE/package.json"; then
  command -v npm >/dev/null || die "npm is required to install $DUCKDB_PACKAGE"
  log "installing $DUCKDB_PACKAGE@$DUCKDB_VERSION into $NODE_PREFIX"
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error \
    "$DUCKDB_PACKAGE@$DUCKDB_VERSION" >&2
fi
DUCK=(env QUIET=1 DUCKDB_NODE_API="$PWD/$DUCKDB_MODULE" node bench/peers/duckdb_sql.cjs) # + THREADS SQL
duck_rows() { DUCKDB_NODE_API="$PWD/$DUCKDB_MODULE" node bench/peers/duckdb_sql.cjs 1 "$1"; }
DUCK_VERSION=$(duck_rows "SELECT version() AS v" | sed 's/.*"v":"\([^"]*\)".*/\1/')

# DuckDB gets the W1 schema up front (its fastest path), as in bench/harness.py.
W1_READ="read_json('$INPUT', format='newline_delimited', columns={log_id:'VARCHAR', \"timestamp\":'BIGINT', \
service_name:'VARCHAR', log_level:'VARCHAR', message:'VARCHAR', \
metadata:'STRUCT(host VARCHAR, region VARCHAR, latency_ms BIGINT, tags VARCHAR[])'})"
W1_SELECT="SELECT log_id, \"timestamp\", lower(service_name) AS service_name, log_level, message, metadata FROM $W1_READ"

# ---- timing
ROWS=$OUT/rows.tsv
: > "$ROWS"
warm_files=("$SLUICE" "$(command -v node)")
while IFS= read -r f; do warm_files+=("$f"); done < <(find "$NODE_PREFIX/node_modules/@duckdb" -name '*.so' -o -name '*.node' 2>/dev/null)

# bytes of a file or of the part files in a directory
size_of() { if [ -d "$1" ]; then find "$1" -name 'part-*' -printf '%s\n' | awk '{s+=$1} END{print s+0}'; else stat -c %s "$1"; fi; }

# time_row WORK TOOL THREADS INPUT OUTPUT CMD... : median of RUNS runs into $ROWS
time_row() {
  local work=$1 tool=$2 threads=$3 input=$4 output=$5
  shift 5
  local samples=$OUT/samples.txt tf=$OUT/time.txt
  : > "$samples"
  for _ in $(seq "$RUNS"); do
    rm -rf "$output"
    sync
    cat "${warm_files[@]}" > /dev/null 2>&1 || true
    if [ -d "$input" ]; then cat "$input"/* > /dev/null; else cat "$input" > /dev/null; fi
    if ! /usr/bin/time -f "%e %U %S %M" -o "$tf" "$@" > /dev/null 2> "$OUT/stderr.txt"; then
      log "$work / $tool t$threads FAILED: $(tail -n 3 "$OUT/stderr.txt")"
      printf '%s\t%s\t%s\tFAILED\t\t\t\n' "$work" "$tool" "$threads" >> "$ROWS"
      return 0
    fi
    tail -n 1 "$tf" >> "$samples"
  done
  local wall cpu rss
  wall=$(awk '{print $1}' "$samples" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  cpu=$(awk '{print $2+$3}' "$samples" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  rss=$(awk '$4>m{m=$4} END{printf "%.0f", m/1024}' "$samples")
  local bytes
  bytes=$(size_of "$output")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$work" "$tool" "$threads" "$wall" "$cpu" "$rss" "$bytes" >> "$ROWS"
  log "$(printf '%-28s %-14s t%s  %5.2f s wall  %5.2f s CPU  %4s MB RSS' "$work" "$tool" "$threads" "$wall" "$cpu" "$rss")"
}

W_WRITE="W1 clean → Parquet snappy"
for t in 1 2; do
  time_row "$W_WRITE" sluice "$t" "$INPUT" "$OUT/w1_sluice_t$t" \
    "$SLUICE" run bench/parquet/w1_parquet.yaml --threads "$t" --quiet \
    --arg input="$INPUT" --arg output="$OUT/w1_sluice_t$t"
  time_row "$W_WRITE" "DuckDB $DUCK_VERSION" "$t" "$INPUT" "$OUT/w1_duckdb_t$t.parquet" \
    "${DUCK[@]}" "$t" "COPY ($W1_SELECT) TO '$OUT/w1_duckdb_t$t.parquet' (FORMAT parquet, COMPRESSION snappy)"
done

SL_PQ=$OUT/w1_sluice_t1
DK_PQ=$OUT/w1_duckdb_t1.parquet
for src in sluice DuckDB; do
  if [ "$src" = sluice ]; then in=$SL_PQ; glob="$SL_PQ/*.parquet"; else in=$DK_PQ; glob=$DK_PQ; fi
  W_READ="read 2 columns of ${src}'s file(s) → CSV"
  for t in 1 2; do
    time_row "$W_READ" sluice "$t" "$in" "$OUT/two_${src}_sluice_t$t" \
      "$SLUICE" run bench/parquet/read_two.yaml --threads "$t" --quiet \
      --arg input="$in" --arg output="$OUT/two_${src}_sluice_t$t"
    time_row "$W_READ" "DuckDB $DUCK_VERSION" "$t" "$in" "$OUT/two_${src}_duckdb_t$t.csv" \
      "${DUCK[@]}" "$t" "COPY (SELECT service_name, \"timestamp\" FROM read_parquet('$glob')) TO '$OUT/two_${src}_duckdb_t$t.csv' (FORMAT csv, HEADER)"
  done
done

# ---- checks
checks=()
cols="log_id, \"timestamp\", service_name, log_level, message, metadata"
diff_q="SELECT (SELECT count(*) FROM (SELECT $cols FROM read_parquet('$SL_PQ/*.parquet') EXCEPT ALL \
SELECT $cols FROM read_parquet('$DK_PQ'))) AS only_sluice, (SELECT count(*) FROM (SELECT $cols FROM \
read_parquet('$DK_PQ') EXCEPT ALL SELECT $cols FROM read_parquet('$SL_PQ/*.parquet'))) AS only_duckdb, \
(SELECT count(*) FROM read_parquet('$SL_PQ/*.parquet')) AS n"
if [ -d "$SL_PQ" ] && [ -f "$DK_PQ" ]; then
  r=$(duck_rows "$diff_q" || echo "error")
  if echo "$r" | grep -q "\"only_sluice\":\"0\",\"only_duckdb\":\"0\",\"n\":\"$N\""; then
    checks+=("OK: sluice's Parquet files hold the same $N rows as DuckDB's file")
  else
    checks+=("FAIL: sluice's and DuckDB's Parquet files differ: $r")
  fi
fi
for src in sluice DuckDB; do
  a=$OUT/two_${src}_sluice_t1 b=$OUT/two_${src}_duckdb_t1.csv
  [ -d "$a" ] && [ -f "$b" ] || continue
  if cmp -s <(for f in "$a"/part-*; do tail -n +2 "$f"; done) <(tail -n +2 "$b"); then
    checks+=("OK: both read-backs of ${src}'s file(s) give the same $(($(wc -l < "$b") - 1)) CSV lines")
  else
    checks+=("FAIL: the read-backs of ${src}'s file(s) differ")
  fi
done

# ---- report
{
  echo "# sluice vs DuckDB: Parquet"
  echo
  echo "Run $(date -u '+%Y-%m-%d %H:%M') UTC on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) cores), load average $(cut -d' ' -f1 /proc/loadavg) at the end."
  echo "$("$SLUICE" --version 2>/dev/null | head -n1), DuckDB $DUCK_VERSION (npm $DUCKDB_PACKAGE@$DUCKDB_VERSION, run through node: its times include ~0.15 s of node start and library load)."
  echo "Input: $(stat -c %s "$INPUT") bytes, $N W1 records. Median of $RUNS runs; CPU = user + sys; outputs on $OUT."
  echo
  echo "| work | tool | threads | wall s | CPU s | peak RSS MB | output MB | wall ÷ DuckDB | size ÷ DuckDB |"
  echo "|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '
    { work[NR]=$1; tool[NR]=$2; thr[NR]=$3; wall[NR]=$4; cpu[NR]=$5; rss[NR]=$6; bytes[NR]=$7
      if ($2 ~ /^DuckDB/ && $4 != "FAILED") { dw[$1 SUBSEP $3]=$4; db[$1 SUBSEP $3]=$7 } }
    END {
      for (i = 1; i <= NR; i++) {
        if (wall[i] == "FAILED") { printf "| %s | %s | %s | failed | | | | | |\n", work[i], tool[i], thr[i]; continue }
        k = work[i] SUBSEP thr[i]
        r = (k in dw && dw[k] > 0) ? sprintf("%.2f×", wall[i] / dw[k]) : ""
        s = (k in db && db[k] > 0 && work[i] ~ /Parquet/) ? sprintf("%.3f", bytes[i] / db[k]) : ""
        printf "| %s | %s | %s | %.2f | %.2f | %s | %.1f | %s | %s |\n", work[i], tool[i], thr[i], wall[i], cpu[i], rss[i], bytes[i] / 1e6, r, s
      }
    }' "$ROWS"
  echo
  for c in "${checks[@]}"; do echo "- $c"; done
} | tee "$RESULTS"
log "saved $RESULTS"
