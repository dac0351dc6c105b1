#!/usr/bin/env bash
# run.sh — OpenSearch indexing benchmark (not part of `make check`; see README.md here).
#
#   bench/opensearch/run.sh                  200,000 cleaned W1 records
#   BENCH_OS_N=50000 bench/opensearch/run.sh
#
# 1. takes the first N W1 records (bench/work/w1_logs.jsonl, generated when missing) and cleans
#    them with sluice (bench/jobs/w1_clean.yaml);
# 2. client side only: sluice's bulk sender (encode_bench.c: action line + JSON + gzip, canned
#    answers parsed) vs the Python loader's encoding (py_bulk_load.py --encode-only);
# 3. end to end into the stand-in (tests/servers/opensearch_standin.py): sluice with 1 and 2
#    threads vs the Python loader; every row checked with _count; the stand-in's own CPU time
#    is reported, since it is a Python server and the expected bottleneck.
# Results: a Markdown table on stdout and in bench/work/opensearch/results.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${BENCH_OS_N:-200000}
RUNS=${BENCH_OS_RUNS:-1}
SLUICE=${SLUICE:-build/sluice}
W=bench/work/opensearch
mkdir -p "$W"
make -s --no-print-directory build/sluice build/libsluice.a >/dev/null
LIBS=$(make -s --no-print-directory -f Makefile -f - print-libs <<<'print-libs: ; @echo $(LIBS)')

# ---- data: the first N W1 records, cleaned by sluice
raw=bench/work/w1_logs.jsonl
if [ ! -f "$raw" ] || [ "$(head -n "$N" "$raw" | wc -l)" -lt "$N" ]; then
  raw=$W/w1_raw.jsonl
  python3 bench/gen_w1_logs.py --seed 42 --n "$N" --out "$raw"
fi
if [ ! -f "$W/cleaned-$N.jsonl" ]; then
  head -n "$N" "$raw" >"$W/raw-$N.jsonl"
  rm -rf "$W/cleaned"
  "$SLUICE" run bench/jobs/w1_clean.yaml --quiet --arg input="$W/raw-$N.jsonl" --arg output="$W/cleaned"
  cat "$W"/cleaned/part-* >"$W/cleaned-$N.jsonl"
  rm -rf "$W/cleaned" "$W/raw-$N.jsonl"
fi
data=$W/cleaned-$N.jsonl
mb=$(python3 -c "import os;print('%.1f' % (os.path.getsize('$data')/1e6))")

gcc -std=c11 -D_GNU_SOURCE -O2 -Isrc bench/opensearch/encode_bench.c build/libsluice.a $LIBS -o "$W/encode_bench"

jfield() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rows=()
row() { rows+=("$1"); echo "$1" >&2; }

# ---- client side only
for level in 1 0; do
  out=$("$W/encode_bench" "$data" "$level" 5000)
  dps=$(echo "$out" | jfield docs_per_cpu_s); sent=$(echo "$out" | jfield sent_bytes); nd=$(echo "$out" | jfield ndjson_bytes)
  row "| sluice bulk sender, gzip ${level/0/off} (no server) | $(printf "%'.0f" "$dps") docs per CPU s | NDJSON $(python3 -c "print('%.1f MB -> %.1f MB sent' % ($nd/1e6, $sent/1e6))") |"
done
out=$(python3 bench/opensearch/py_bulk_load.py --encode-only "$data")
row "| Python json + gzip encoding (no server) | $(printf "%'.0f" "$(echo "$out" | jfield docs_per_cpu_s)") docs per CPU s | same batches, level 1 |"

# ---- end to end into the stand-in
STANDIN=tests/servers/opensearch_standin.py
PID=""
for _ in 1 2 3 4 5; do
  PORT=$((20000 + RANDOM % 10000))
  PID=$(python3 "$STANDIN" start "$PORT") && break
  PID=""
done
[ -n "$PID" ] || { echo "cannot start the stand-in" >&2; exit 1; }
trap 'python3 "$STANDIN" stop "$PID"' EXIT
URL=http://127.0.0.1:$PORT
cpu() { curl -sS "$URL/_standin/stats" | jfield cpu_seconds; }   # the stand-in's CPU seconds (all its threads)
reset() { curl -sS -XPOST "$URL/_standin/reset" >/dev/null; }
count() { curl -sS "$URL/w1/_count" | jfield count; }

e2e() { # label command...
  local label=$1; shift
  local walls=() c0 c1 n client
  for _ in $(seq "$RUNS"); do
    reset
    c0=$(cpu)
    /usr/bin/time -f '%e %U %S' -o "$W/time.txt" "$@" >/dev/null
    c1=$(cpu)
    n=$(count)
    [ "$n" = "$N" ] || { echo "$label: _count $n, wanted $N" >&2; exit 1; }
    walls+=("$(awk '{print $1}' "$W/time.txt")")
  done
  local wall; wall=$(printf '%s\n' "${walls[@]}" | median)
  client=$(awk '{printf "%.2f", $2 + $3}' "$W/time.txt")
  row "| $label | $(printf "%'.0f" "$(echo "$N / $wall" | bc -l)") docs/s | $(printf '%.2f' "$wall") s wall; client CPU $client s, stand-in CPU $(printf '%.2f' "$(echo "$c1 - $c0" | bc -l)") s (last run); _count = $N |"
}
e2e "sluice write_opensearch, 1 thread" "$SLUICE" run bench/opensearch/w1_index.yaml --threads 1 --quiet --arg url="$URL" --arg input="$data"
e2e "sluice write_opensearch, 2 threads" "$SLUICE" run bench/opensearch/w1_index.yaml --threads 2 --quiet --arg url="$URL" --arg input="$data"
e2e "Python urllib bulk loader" python3 bench/opensearch/py_bulk_load.py --url "$URL" --index w1 "$data"

{
  echo "OpenSearch indexing, $N cleaned W1 records ($mb MB NDJSON), $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end, median of $RUNS run(s)"
  echo
  echo "| what | rate | notes |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$W/results.md"
