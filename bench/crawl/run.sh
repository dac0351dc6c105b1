#!/usr/bin/env bash
# run.sh — crawler benchmark: 10,000 small JSON objects in 100 Hive
# partitions (dt=…/), crawled from a real S3 server (Ceph RGW, started here
# on 127.0.0.1 by tests/servers/ceph-rgw.sh and stopped by its PID) and
# from a local folder, with the requests each crawl made.
#
#   sluice, S3, every object      sluice crawl --path s3://…  (a fresh catalog each run)
#   sluice, S3, sample_size 1     one object read per folder (Glue's SampleSize)
#   sluice, S3, new folders only  the recrawl of an incremental crawler when
#                                 nothing is new: listing only
#   sluice, local folder          the same tree on local disk
#   boto3 list                    ListObjectsV2 pages with boto3's paginator:
#                                 the floor for any crawler's listing
#   boto3 list + read             what a boto3 crawler needs to see the same
#                                 data: list, then a ranged GET of the first
#                                 1 MiB of every object, 32 threads
#
# Every row: median of BENCH_RUNS (3) runs of wall time and CPU time
# (user+sys, /usr/bin/time); requests are counted by sluice itself (the
# crawl's "Requests" in `sluice crawl --json`) and by the boto3 scripts.
# Prints a Markdown table, also saved to bench/work/crawl_results.md.
#
# Usage: bench/crawl/run.sh        (from anywhere; builds build/sluice if missing)
# Env:   BENCH_RUNS (3), BENCH_CRAWL_PARTITIONS (100), BENCH_CRAWL_PER_PARTITION (100),
#        SLUICE (build/sluice), BENCH_THREADS (crawl threads; default: one per core)
set -euo pipefail

cd "$(dirname "$0")/../.."
RUNS=${BENCH_RUNS:-3}
PARTS=${BENCH_CRAWL_PARTITIONS:-100}
PER=${BENCH_CRAWL_PER_PARTITION:-100}
SLUICE=${SLUICE:-build/sluice}
THREADS=${BENCH_THREADS:-}
WORK=bench/work/crawl
RESULTS=bench/work/crawl_results.md
RGW=tests/servers/ceph-rgw.sh

log() { echo "bench/crawl: $*" >&2; }
die() { log "$*"; exit 1; }

command -v python3 >/dev/null || die "python3 is required"
python3 -c 'import boto3' 2>/dev/null || die "boto3 is required for the peer rows (apt-get install python3-boto3)"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is required: apt-get install time"
[ -x "$SLUICE" ] || make -j2 >&2 || die "cannot build $SLUICE"
SLUICE=$(realpath "$SLUICE")
rm -rf "$WORK"
mkdir -p "$WORK"
WORK=$(realpath "$WORK")

# ---- the data: PARTS folders dt=YYYY-MM-DD of PER small NDJSON objects
log "generating $((PARTS * PER)) objects in $PARTS partitions"
python3 - "$WORK/events" "$PARTS" "$PER" <<'PY'
import datetime, json, os, random, sys
root, parts, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
day0 = datetime.date(2024, 1, 1)
for p in range(parts):
    d = os.path.join(root, "dt=%s" % (day0 + datetime.timedelta(days=p)).isoformat())
    os.makedirs(d)
    for k in range(per):
        with open(os.path.join(d, "part-%05d.json" % k), "w") as f:
            for r in range(rnd.randint(3, 8)):
                f.write(json.dumps({"event_id": "e%d-%d-%d" % (p, k, r), "user": "u%d" % rnd.randint(1, 999),
                                    "amount": round(rnd.random() * 100, 2), "kind": rnd.choice(["view", "buy"]),
                                    "ts": 1704067200 + p * 86400 + k}) + "\n")
PY

# ---- Ceph RGW on a free port below 32768
export S3_ACCESS_KEY=AKIDBENCHCRAWL S3_SECRET_KEY=bench-crawl-secret
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
port_free() { local p; for p in $(seq "$1" $(($1 + 12))); do ss -ltnH "sport = :$p" 2>/dev/null | grep -q . && return 1; done; return 0; }
rgw_pid=""
trap '[ -n "$rgw_pid" ] && "$RGW" stop "$rgw_pid" >/dev/null 2>&1' EXIT
for _ in 1 2 3 4 5; do
  port=$((20000 + (RANDOM % 1200) * 10))
  port_free "$port" || continue
  if rgw_pid=$("$RGW" start "$port" 2>"$WORK/rgw.err"); then break; fi
  rgw_pid=""
done
[ -n "$rgw_pid" ] || die "Ceph RGW did not start: $(tail -3 "$WORK/rgw.err")"
EP="http://127.0.0.1:$port"
export AWS_ENDPOINT_URL_S3=$EP
log "Ceph RGW on $EP (pid $rgw_pid)"

python3 - "$EP" <<'PY'
import sys, boto3
boto3.client("s3", endpoint_url=sys.argv[1]).create_bucket(Bucket="bench")
PY
log "uploading with sluice cp"
/usr/bin/time -f "%e" -o "$WORK/upload.time" "$SLUICE" cp --recursive "$WORK/events" s3://bench/events --threads 16 --quiet
log "uploaded in $(cat "$WORK/upload.time") s"

# ---- measuring
# run LABEL OUTFILE CMD... — one run: wall and CPU into $WORK/time, stdout into OUTFILE
run_once() {
  local out=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr" || {
    cat "$WORK/stderr" >&2; die "failed: $*"; }
  read -r wall user sys < "$WORK/time"
  echo "$wall $(python3 -c "print(round($user + $sys, 2))")"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }

ROWS=()
# measure "LABEL" SETUP_FN CMD... — RUNS runs; the last run's JSON gives the counts
measure() {
  local label=$1 setup=$2; shift 2
  local walls="" cpus="" i t
  for i in $(seq 1 "$RUNS"); do
    $setup
    t=$(run_once "$WORK/out.json" "$@")
    walls+="${t% *}"$'\n'
    cpus+="${t#* }"$'\n'
  done
  local counts
  counts=$(python3 - "$WORK/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "Requests" in d:   # sluice crawl --json
    parts = sum(t["Partitions"] for t in d["Tables"])
    print(d["Objects"]["Classified"], len(d["Tables"]), parts, d["Requests"]["List"], d["Requests"]["Get"])
else:                 # the boto3 scripts
    print(d["read"], "-", "-", d["list"], d["get"])
PY
)
  read -r objs tables parts lists gets <<<"$counts"
  ROWS+=("| $label | $objs | $tables | $parts | $(echo "$walls" | grep . | median) | $(echo "$cpus" | grep . | median) | $lists | $gets |")
  log "$label: $(echo "$walls" | grep . | median) s wall, $lists LIST, $gets GET"
}

fresh() { rm -f "$WORK/catalog.db" "$WORK/catalog.db-wal" "$WORK/catalog.db-shm"; }
keep() { :; }
T=()
[ -n "$THREADS" ] && T=(--threads "$THREADS")
C=(--catalog "$WORK/catalog.db" --json --quiet)

measure "sluice, S3, every object" fresh "$SLUICE" crawl --database bench --path s3://bench/events/ --name s3 "${T[@]}" "${C[@]}"
measure "sluice, S3, sample_size 1" fresh "$SLUICE" crawl --database bench --path s3://bench/events/ --name s3s --sample-size 1 "${T[@]}" "${C[@]}"
fresh
"$SLUICE" crawl --database inc --path s3://bench/events/ --name inc --recrawl CRAWL_NEW_FOLDERS_ONLY "${T[@]}" "${C[@]}" >/dev/null
measure "sluice, S3, new folders only (none new)" keep "$SLUICE" crawl --crawler inc "${T[@]}" "${C[@]}"
measure "sluice, local folder" fresh "$SLUICE" crawl --database bench --path "$WORK/events" --name local "${T[@]}" "${C[@]}"

cat > "$WORK/boto3_crawl.py" <<'PY'
"""What a crawler built on boto3 needs: list every key (paginator), and
with --read a ranged GET of each object's first 1 MiB, 32 threads."""
import json, sys
from concurrent.futures import ThreadPoolExecutor
import boto3, botocore.config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], config=botocore.config.Config(max_pool_connections=32))
pages, keys = 0, []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench", Prefix="events/"):
    pages += 1
    keys += [o["Key"] for o in page.get("Contents", [])]
gets = 0
if "--read" in sys.argv:
    def head(k):
        return len(s3.get_object(Bucket="bench", Key=k, Range="bytes=0-1048575")["Body"].read())
    with ThreadPoolExecutor(32) as pool:
        sizes = list(pool.map(head, keys))
    gets = len(sizes)
print(json.dumps({"list": pages, "get": gets, "read": gets, "keys": len(keys)}))
PY
measure "boto3 list (paginator)" keep python3 "$WORK/boto3_crawl.py" "$EP"
measure "boto3 list + ranged GET of each object, 32 threads" keep python3 "$WORK/boto3_crawl.py" "$EP" --read

{
  echo "Crawl of $((PARTS * PER)) JSON objects in $PARTS Hive partitions ($(nproc) cores, median of $RUNS runs;"
  echo "Ceph RGW on 127.0.0.1; CPU = user + sys of the client process)."
  echo
  echo "| run | objects read | tables | partitions | wall s | CPU s | LIST requests | GET requests |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
