#!/usr/bin/env bash
# test_crawl.sh — `sluice crawl` as a user runs it, against local folders,
# a real S3 server (Ceph RGW, tests/servers/ceph-rgw.sh) and AWS's DynamoDB
# Local (tests/servers/dynamodb-local.sh), both started here on 127.0.0.1
# and stopped by PID. Checked through `sluice catalog …` (text and --json):
# every classification, Hive and unnamed partitions, schema drift under
# each policy (column added, int widened to double, type conflict, folder
# and table removed), recrawls of new folders only, crawler files stored
# and run again, failed crawls that change nothing, and request counts.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
S=$SLUICE
export SLUICE_CATALOG="$WORK/catalog.db"
RGW="$SLUICE_TOP/tests/servers/ceph-rgw.sh"
DDB="$SLUICE_TOP/tests/servers/dynamodb-local.sh"
export S3_ACCESS_KEY=AKIDCRAWL S3_SECRET_KEY=crawl-secret
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_DYNAMODB AWS_DEFAULT_REGION

rgw_pid="" ddb_pid=""
cleanup() {
  [ -n "$rgw_pid" ] && "$RGW" stop "$rgw_pid" >/dev/null 2>&1
  [ -n "$ddb_pid" ] && "$DDB" stop "$ddb_pid" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- servers: started first, in the background, while the local checks run
port_free() { # PORT COUNT
  local p
  for p in $(seq "$1" $(($1 + $2 - 1))); do ss -ltnH "sport = :$p" 2>/dev/null | grep -q . && return 1; done
  return 0
}
start_servers() {
  local p
  for _ in 1 2 3 4 5; do
    p=$((20000 + RANDOM % 5000)); port_free "$p" 1 || continue
    if pid=$("$DDB" start "$p" 2>>"$WORK/.ddb-err"); then echo "ddb $p $pid" >"$WORK/.ddb"; break; fi
  done
  for _ in 1 2 3 4 5; do
    p=$((25000 + (RANDOM % 600) * 10)); port_free "$p" 13 || continue
    if pid=$("$RGW" start "$p" 2>>"$WORK/.rgw-err"); then echo "rgw $p $pid" >"$WORK/.rgw"; break; fi
  done
}
start_servers &
servers_job=$!

# jget FILE EXPR — evaluate a Python expression over the JSON document d
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# jcheck "what" FILE EXPR — passes when the expression is true
jcheck() {
  local v
  v=$(jget "$2" "$3" 2>&1)
  if [ "$v" = "True" ]; then pass "$1"; else fail "$1 ($3 → $v; $(head -c 300 "$2"))"; fi
}

# read_back NAME DB TABLE [PREDICATE] — a job reads the crawled table through
# the catalog (read_catalog); prints the number of records it wrote
read_back() {
  local name=$1 db=$2 table=$3 pred=${4:-}
  {
    echo "nodes:"
    echo "  src: {type: read_catalog, database: $db, table: $table${pred:+, push_down_predicate: \"$pred\"}}"
    echo "  out: {type: write_file, input: src, path: $WORK/rb-$name}"
  } > "rb-$name.yaml"
  "$S" run "rb-$name.yaml" --quiet >/dev/null 2>"rb-$name.err" || { echo "run failed: $(head -c 300 "rb-$name.err")"; return; }
  cat "$WORK/rb-$name"/part-* 2>/dev/null | wc -l
}

# ================================================================ usage
expect_exit 0 "crawl --help" "$S" crawl --help
contains "$WORK/.out" "--update-behavior" "help lists the policies"
expect_exit 2 "crawl without arguments is a usage error" "$S" crawl
contains "$WORK/.err" "--database is needed" "… saying what is missing"
expect_exit 2 "unknown option" "$S" crawl --database d --path . --colour
expect_exit 2 "bad --update-behavior" "$S" crawl --database d --path . --update-behavior SOMETIMES
expect_exit 2 "a crawler file with definition options" "$S" crawl x.yaml --path .
expect_exit 2 "CRAWL_NEW_FOLDERS_ONLY with UPDATE_IN_DATABASE (Glue refuses it too)" \
  "$S" crawl --database d --path . --recrawl CRAWL_NEW_FOLDERS_ONLY --update-behavior UPDATE_IN_DATABASE
printf 'name: bad\ndatabase: d\ntargets:\n  - path: x\n    sampel_size: 3\n' > bad.yaml
expect_exit 2 "a crawler file with an unknown key" "$S" crawl bad.yaml
contains "$WORK/.err" "bad.yaml:5:5: unknown key 'sampel_size'" "… reported at file:line:column"
expect_exit 1 "a stored crawler that does not exist" "$S" crawl --crawler nobody
contains "$WORK/.err" "no crawler 'nobody'" "… says so"

# ================================================================ local data: every classification
"$PY" - <<'PY'
import gzip, json, os
def put(path, text, mode="w"):
    if os.path.dirname(path): os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f: f.write(text)
# Hive partitions, NDJSON
for m in ("01", "02"):
    put("lake/orders/year=2024/month=%s/part-0.json" % m,
        "".join(json.dumps({"order_id": i, "qty": i % 5, "item": "sku-%d" % i, "tags": ["a", "b"],
                            "ship": {"city": "Oslo", "zip": "0150"}}) + "\n" for i in range(20)))
# unnamed partitions, CSV with a header
for d in ("2024/01", "2024/02", "2025/01"):
    put("lake/visits/%s/v.csv" % d, "visitor,pages,duration\n" + "".join("u%d,%d,%d.5\n" % (i, i, i) for i in range(10)))
# tab-separated without a header
put("lake/metrics/m.tsv", "".join("host%d\t%d\t%d\n" % (i, i * 3, i * 7) for i in range(30)))
# gzip-compressed JSON array
put("lake/events/e.json.gz", gzip.compress(json.dumps([{"ev": "click", "n": i} for i in range(50)]).encode()), "wb")
# the crawler skips what Hadoop tools skip, and what is excluded
put("lake/orders/_SUCCESS", "")
put("lake/orders/year=2024/month=01/notes.tmp", "scratch\n")
# for parquet and avro: written by sluice itself
put("src.json", "".join(json.dumps({"id": i, "price": i * 1.25, "name": "n%d" % i, "ok": i % 2 == 0}) + "\n" for i in range(100)))
PY
for fmt in parquet avro; do
  cat > "to_$fmt.yaml" <<YAML
nodes:
  src: {type: read_file, path: src.json}
  out: {type: write_file, input: src, path: lake/$fmt, format: $fmt}
YAML
  check "write a $fmt file to crawl" "$S" run "to_$fmt.yaml" --quiet
done

cat > lake.yaml <<YAML
# the local lake's crawler
name: lake-crawler
database: lake
description: every format
targets:
  - path: $WORK/lake
    exclusions: ["**.tmp"]
YAML
expect_exit 0 "crawl a local folder from a crawler file" "$S" crawl lake.yaml --threads 3
contains "$WORK/.out" "crawler lake-crawler: COMPLETED" "the summary names the crawler and its state"
contains "$WORK/.out" "6 created" "the summary counts the tables created"
"$S" catalog tables lake --json > tables.json
jcheck "six tables, named after their folders" tables.json 'sorted(t["Name"] for t in d["TableList"]) == ["avro","events","metrics","orders","parquet","visits"]'
cls() { jget tables.json "[t['Parameters']['classification'] for t in d['TableList'] if t['Name']=='$1'][0]"; }
for pair in orders:json visits:csv metrics:csv events:json parquet:parquet avro:avro; do
  t=${pair%%:*} c=${pair#*:}
  got=$(cls "$t" 2>&1)
  if [ "$got" = "$c" ]; then pass "$t classified as $c"; else fail "$t classified as $c (got $got)"; fi
done
jcheck "gzip recorded as compressionType" tables.json '[t for t in d["TableList"] if t["Name"]=="events"][0]["Parameters"]["compressionType"] == "gzip"'
jcheck "tab delimiter, no header" tables.json '(lambda p: p["delimiter"] == "\t" and "skip.header.line.count" not in p)([t for t in d["TableList"] if t["Name"]=="metrics"][0]["Parameters"])'
jcheck "CSV header skipped" tables.json '[t for t in d["TableList"] if t["Name"]=="visits"][0]["Parameters"]["skip.header.line.count"] == "1"'
jcheck "Hive partition keys" tables.json '[k["Name"] for k in [t for t in d["TableList"] if t["Name"]=="orders"][0]["PartitionKeys"]] == ["year","month"]'
jcheck "unnamed partition keys" tables.json '[k["Name"] for k in [t for t in d["TableList"] if t["Name"]=="visits"][0]["PartitionKeys"]] == ["partition_0","partition_1"]'
jcheck "nested columns as Glue types" tables.json '{c["Name"]: c["Type"] for c in [t for t in d["TableList"] if t["Name"]=="orders"][0]["StorageDescriptor"]["Columns"]} == {"order_id":"int","qty":"int","item":"string","tags":"array<string>","ship":"struct<city:string,zip:string>"}'
jcheck "parquet columns from the footer" tables.json '{c["Name"]: c["Type"] for c in [t for t in d["TableList"] if t["Name"]=="parquet"][0]["StorageDescriptor"]["Columns"]}["price"] == "double"'
jcheck "UPDATED_BY_CRAWLER on every table" tables.json 'all(t["Parameters"]["UPDATED_BY_CRAWLER"] == "lake-crawler" for t in d["TableList"])'
jcheck "locations are absolute folders" tables.json '[t for t in d["TableList"] if t["Name"]=="orders"][0]["StorageDescriptor"]["Location"] == "'"$WORK"'/lake/orders/"'
"$S" catalog partitions lake.visits > parts.txt
contains parts.txt "2025" "unnamed partition values listed"
contains parts.txt "3 partitions" "three unnamed partitions"
"$S" catalog partitions lake.orders --json > parts.json
jcheck "Hive partition values and locations" parts.json '[(p["Values"], p["StorageDescriptor"]["Location"].endswith("/orders/year=2024/month=02/")) for p in d["Partitions"]][1] == (["2024","02"], True)'

n=$(read_back orders lake orders "month = '02'")
if [ "$n" = "20" ]; then pass "a job reads the crawled partition through the catalog"; else fail "a job reads the crawled partition through the catalog (got $n records, wanted 20)"; fi

# a stored crawler runs again by name: nothing changed, no new versions
expect_exit 0 "run the stored crawler again" "$S" crawl --crawler lake-crawler --json
cp "$WORK/.out" again.json
jcheck "an unchanged recrawl creates and updates nothing" again.json 'd["Summary"] == "{}" and all(t["Action"] == "UNCHANGED" for t in d["Tables"])'
jcheck "request counts in the JSON: one listing, one read per object" again.json 'd["Requests"]["List"] == 1 and d["Requests"]["Get"] == d["Objects"]["Classified"] == d["Objects"]["Listed"] - 1 == 9'
jcheck "the excluded object is reported as skipped" again.json 'any(s["Key"].endswith("notes.tmp") for s in d["Skipped"])'

# ================================================================ schema drift, UPDATE_IN_DATABASE
"$PY" - <<'PY'
import json, os
# a new partition: a column added and qty widened from int to double
os.makedirs("lake/orders/year=2024/month=03", exist_ok=True)
with open("lake/orders/year=2024/month=03/part-0.json", "w") as f:
    for i in range(5):
        f.write(json.dumps({"order_id": 100 + i, "qty": i + 0.5, "item": "x", "tags": [], "ship": {"city": "Rome", "zip": "00100"}, "coupon": "C%d" % i}) + "\n")
# a type conflict: pages is a number in one partition, text in another
with open("lake/visits/2025/01/v.csv", "w") as f:
    f.write("visitor,pages,duration\n" + "".join("u%d,p%d,%d.5\n" % (i, i, i) for i in range(10)))
PY
expect_exit 0 "crawl after the schema drifted" "$S" crawl --crawler lake-crawler
contains "$WORK/.out" "2 updated" "two tables updated"
contains "$WORK/.out" "+coupon string" "the summary shows the column added"
contains "$WORK/.out" "qty int→double" "the summary shows the widening"
"$S" catalog history lake.orders > hist.txt
contains hist.txt "coupon" "catalog history shows the column added"
contains hist.txt "double" "catalog history shows the type change"
"$S" catalog table lake.visits --json > visits.json
jcheck "the conflicting column became string" visits.json '{c["Name"]: c["Type"] for c in d["Table"]["StorageDescriptor"]["Columns"]}["pages"] == "string"'
"$S" catalog crawls lake-crawler --json > crawls.json
jcheck "the conflict is recorded in the crawl history" crawls.json 'any(ch.get("TypeConflicts") and ch["TypeConflicts"][0]["Column"] == "pages" for ch in d["Crawls"][0]["SchemaChanges"])'
jcheck "the widening is recorded in the crawl history" crawls.json 'any(c.get("Name") == "qty" and c["Change"] == "TYPE_CHANGED" and c["NewType"] == "double" for ch in d["Crawls"][0]["SchemaChanges"] for c in ch.get("Changes", []))'
"$S" catalog partitions lake.orders > parts.txt
contains parts.txt "3 partitions" "the new partition was added"

# ================================================================ LOG policies leave the catalog alone
printf '{"order_id": 1, "qty": 1, "item": "a", "tags": [], "ship": {"city": "x", "zip": "y"}, "coupon": "c", "gift": true}\n' \
  > lake/orders/year=2024/month=03/part-1.json
mv lake/metrics "$WORK/metrics.away"
cat > lake-log.yaml <<YAML
name: lake-crawler
database: lake
targets:
  - path: $WORK/lake
    exclusions: ["**.tmp"]
update_behavior: LOG
delete_behavior: LOG
YAML
expect_exit 0 "crawl with update and delete behavior LOG" "$S" crawl lake-log.yaml --json
cp "$WORK/.out" log.json
jcheck "the change is logged, not applied" log.json '[t["Action"] for t in d["Tables"] if t["Name"]=="orders"] == ["CHANGE_LOGGED"] and d["Summary"] == "{}"'
jcheck "the gone table is logged, not deprecated" log.json '[t["Action"] for t in d["Tables"] if t["Name"]=="metrics"] == ["REMOVAL_LOGGED"]'
"$S" catalog table lake.orders --json > orders.json
jcheck "the column stays out under LOG" orders.json '"gift" not in [c["Name"] for c in d["Table"]["StorageDescriptor"]["Columns"]]'
"$S" catalog tables lake > tables.txt
if grep -q "metrics (deprecated)" tables.txt; then fail "metrics not deprecated under LOG"; else pass "metrics not deprecated under LOG"; fi

# ================================================================ folder removed: DEPRECATE, then DELETE
rm -rf lake/orders/year=2024/month=01
# lake.yaml again (the LOG file replaced the stored definition)
expect_exit 0 "crawl after a partition folder and a table folder went" "$S" crawl lake.yaml
contains "$WORK/.out" "1 deprecated" "the table whose folder went is deprecated"
contains "$WORK/.out" "1 removed" "the partition whose folder went is removed"
"$S" catalog tables lake > tables.txt
contains tables.txt "metrics (deprecated)" "catalog tables marks it deprecated"
"$S" catalog partitions lake.orders --json > parts.json
jcheck "partition month=01 removed" parts.json '[p["Values"] for p in d["Partitions"]] == [["2024","02"], ["2024","03"]]'
mv "$WORK/metrics.away" lake/metrics
expect_exit 0 "crawl after the folder came back" "$S" crawl --crawler lake-crawler
"$S" catalog tables lake > tables.txt
if grep -q "(deprecated)" tables.txt; then fail "no longer deprecated once the data is back"; else pass "no longer deprecated once the data is back"; fi
rm -rf lake/events
expect_exit 0 "crawl with DELETE_FROM_DATABASE" "$S" crawl --database lake --path "$WORK/lake" --name lake-crawler --exclude '**.tmp' --delete-behavior DELETE_FROM_DATABASE
contains "$WORK/.out" "1 deleted" "the table whose folder went is deleted"
expect_exit 1 "the deleted table is gone from the catalog" "$S" catalog table lake.events

# ================================================================ a failed crawl changes nothing
"$S" catalog tables lake --json > before.json
mkdir -p lake/newtable && printf '{"a":1}\n' > lake/newtable/a.json
expect_exit 1 "a crawl with a missing target fails" "$S" crawl --database lake --path "$WORK/lake" --path "$WORK/missing" --name lake-crawler
contains "$WORK/.err" "missing" "… naming the target"
"$S" catalog tables lake --json > after.json
if cmp -s before.json after.json; then pass "the catalog is unchanged after a failed crawl"; else fail "the catalog is unchanged after a failed crawl"; fi
"$S" catalog crawls lake-crawler > crawls.txt
contains crawls.txt "FAILED" "the failed crawl is in the history"
rm -rf lake/newtable

# ================================================================ new folders only
mkdir -p inc/dt=2024-01-01 inc/dt=2024-01-02
printf '{"a":1,"b":"x"}\n' > inc/dt=2024-01-01/1.json
printf '{"a":2,"b":"y"}\n' > inc/dt=2024-01-02/1.json
expect_exit 0 "first incremental crawl reads everything" "$S" crawl --database inc --path "$WORK/inc" --name inc --recrawl CRAWL_NEW_FOLDERS_ONLY --json
cp "$WORK/.out" inc1.json
jcheck "… two objects read" inc1.json 'd["Requests"]["Get"] == 2 and d["Tables"][0]["Action"] == "CREATED"'
mkdir -p inc/dt=2024-01-03
printf '{"a":3.5,"b":"z","c":true}\n' > inc/dt=2024-01-03/1.json
printf '{"a":"rewritten"}\n' > inc/dt=2024-01-01/1.json
expect_exit 0 "incremental crawl" "$S" crawl --crawler inc --json
cp "$WORK/.out" inc2.json
jcheck "only the new folder is read" inc2.json 'd["Requests"]["Get"] == 1 and d["Objects"]["Classified"] == 1'
jcheck "its partition is added" inc2.json 'd["Tables"][0]["PartitionsAdded"] == 1'
"$S" catalog table inc.inc --json > inc.json
jcheck "the existing schema is left alone" inc.json '{c["Name"]: c["Type"] for c in d["Table"]["StorageDescriptor"]["Columns"]} == {"a": "int", "b": "string"}'
"$S" catalog partitions inc.inc > parts.txt
contains parts.txt "3 partitions" "three partitions after the incremental crawl"

# ================================================================ S3 (Ceph RGW) and DynamoDB Local
wait "$servers_job"
read -r _ rgw_port rgw_pid < "$WORK/.rgw" 2>/dev/null || rgw_pid=""
read -r _ ddb_port ddb_pid < "$WORK/.ddb" 2>/dev/null || ddb_pid=""

if [ -z "$rgw_pid" ]; then
  fail "Ceph RGW starts: $(tail -c 300 "$WORK/.rgw-err" 2>/dev/null)"
else
  pass "Ceph RGW on 127.0.0.1:$rgw_port"
  ep="http://127.0.0.1:$rgw_port"
  s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
  check "bucket created" s3curl -X PUT "$ep/crawl"
  rm -rf lake/orders/year=2024/month=03/part-1.json
  check "upload the lake with sluice cp" "$S" cp --recursive lake s3://crawl/lake --endpoint "$ep" --quiet
  expect_exit 0 "crawl an S3 prefix" "$S" crawl --database s3lake --path s3://crawl/lake/ --endpoint "$ep" --exclude '**.tmp' --name s3c --json --threads 4
  cp "$WORK/.out" s3.json
  n_obj=$(find lake -type f ! -name '_*' ! -name '*.tmp' | wc -l)
  jcheck "every object read with one GET" s3.json 'd["Requests"]["Get"] == d["Objects"]["Classified"] == '"$n_obj"
  jcheck "one LIST page" s3.json 'd["Requests"]["List"] == 1'
  jcheck "S3 tables created" s3.json 'sorted(t["Name"] for t in d["Tables"]) == ["avro","metrics","orders","parquet","visits"]'
  "$S" catalog tables s3lake --json > s3tables.json
  jcheck "S3 locations" s3tables.json '[t for t in d["TableList"] if t["Name"]=="orders"][0]["StorageDescriptor"]["Location"] == "s3://crawl/lake/orders/"'
  jcheck "S3 classifications" s3tables.json 'sorted(t["Parameters"]["classification"] for t in d["TableList"]) == ["avro","csv","csv","json","parquet"]'
  "$S" catalog partitions s3lake.orders --json > s3parts.json
  jcheck "S3 partition locations" s3parts.json '[p["StorageDescriptor"]["Location"] for p in d["Partitions"]] == ["s3://crawl/lake/orders/year=2024/month=02/", "s3://crawl/lake/orders/year=2024/month=03/"]'
  n=$(read_back s3orders s3lake orders)
  if [ "$n" = "25" ]; then pass "a job reads the crawled S3 table through the catalog"; else fail "a job reads the crawled S3 table through the catalog (got $n records, wanted 25)"; fi
  expect_exit 0 "crawl one S3 object" "$S" crawl --database s3one --path s3://crawl/lake/metrics/m.tsv --endpoint "$ep" --json
  cp "$WORK/.out" s3one.json
  jcheck "… a table of that object, read with one HEAD and one GET" s3one.json '[(t["Classification"], t["Location"]) for t in d["Tables"]] == [("csv", "s3://crawl/lake/metrics/m.tsv")] and d["Requests"]["Get"] == 2'
  # drift on S3: a new partition with a new column
  printf '{"order_id":9,"qty":1.5,"item":"z","tags":[],"ship":{"city":"c","zip":"z"},"coupon":"q","vip":true}\n' > vip.json
  check "upload a new partition" "$S" cp vip.json s3://crawl/lake/orders/year=2024/month=04/part-0.json --endpoint "$ep" --quiet
  expect_exit 0 "recrawl the S3 prefix" "$S" crawl --crawler s3c --json
  cp "$WORK/.out" s3b.json
  jcheck "the S3 table is updated with the new column" s3b.json '[(t["Action"], "+vip boolean" in t.get("Note","")) for t in d["Tables"] if t["Name"]=="orders"] == [("UPDATED", True)]'
  jcheck "and its new partition added" s3b.json 'd["Summary"] and [t["PartitionsAdded"] for t in d["Tables"] if t["Name"]=="orders"] == [1]'
  # incremental on S3
  expect_exit 0 "first incremental S3 crawl" "$S" crawl --database s3inc --path s3://crawl/lake/orders/ --endpoint "$ep" --name s3inc --recrawl CRAWL_NEW_FOLDERS_ONLY --quiet
  check "upload another partition" "$S" cp vip.json s3://crawl/lake/orders/year=2024/month=05/part-0.json --endpoint "$ep" --quiet
  expect_exit 0 "incremental S3 crawl" "$S" crawl --crawler s3inc --json
  cp "$WORK/.out" s3inc.json
  jcheck "only the new S3 folder is read" s3inc.json 'd["Requests"]["Get"] == 1 and d["Tables"][0]["PartitionsAdded"] == 1'
  expect_exit 1 "a missing bucket fails the crawl" "$S" crawl --database s3lake --path s3://no-such-bucket/x/ --endpoint "$ep" --name s3c
  contains "$WORK/.err" "no-such-bucket" "… naming the bucket"
fi

if [ -z "$ddb_pid" ]; then
  fail "DynamoDB Local starts: $(tail -c 300 "$WORK/.ddb-err" 2>/dev/null)"
else
  pass "DynamoDB Local on 127.0.0.1:$ddb_port"
  dep="http://127.0.0.1:$ddb_port"
  ddb() {
    curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
      -H "X-Amz-Target: DynamoDB_20120810.$1" -H 'Content-Type: application/x-amz-json-1.0' -d "$2" "$dep/"
  }
  check "create table Claims" ddb CreateTable '{"TableName":"Claims",
    "AttributeDefinitions":[{"AttributeName":"policy_id","AttributeType":"S"}],
    "KeySchema":[{"AttributeName":"policy_id","KeyType":"HASH"}],
    "ProvisionedThroughput":{"ReadCapacityUnits":1000,"WriteCapacityUnits":1000}}'
  "$PY" - <<'PY'
import json
with open("claims.json", "w") as f:
    for i in range(300):
        r = {"policy_id": "P%04d" % i, "age_of_car": round(i / 300, 3), "age_of_policyholder": 20 + i % 50,
             "area_cluster": "C%d" % (i % 7), "is_claim": i % 9 == 0, "make": i % 5,
             "features": {"abs": i % 2 == 0, "airbags": i % 6}, "tags": ["x", "y"]}
        if i == 7: r["age_of_policyholder"] = 33.5    # bigint widened to double
        f.write(json.dumps(r) + "\n")
PY
  cat > load.yaml <<YAML
nodes:
  src: {type: read_file, path: claims.json}
  out: {type: write_dynamodb, input: src, table: Claims, endpoint: "$dep"}
YAML
  check "load 300 claims" "$S" run load.yaml --quiet
  cat > claims.yaml <<YAML
name: claims-crawler
database: claims
targets:
  - dynamodb: Claims
    endpoint: $dep
    scan_rate: 1.0
YAML
  expect_exit 0 "crawl a DynamoDB table from a crawler file" "$S" crawl claims.yaml --json
  cp "$WORK/.out" ddb.json
  jcheck "every item read (scan_all by default)" ddb.json 'd["ItemsSampled"] == 300 and d["Requests"]["DynamoDB"] >= 2'
  "$S" catalog table claims.claims --json > claims.json
  jcheck "classification dynamodb" claims.json 'd["Table"]["Parameters"]["classification"] == "dynamodb" and d["Table"]["Parameters"]["typeOfData"] == "table"'
  jcheck "location is the table ARN" claims.json 'd["Table"]["StorageDescriptor"]["Location"].startswith("arn:aws:dynamodb:") and d["Table"]["StorageDescriptor"]["Location"].endswith(":table/Claims")'
  jcheck "recordCount and hashKey" claims.json 'd["Table"]["Parameters"]["recordCount"] == "300" and d["Table"]["Parameters"]["hashKey"] == "policy_id"'
  jcheck "the endpoint is kept for jobs reading the table" claims.json 'd["Table"]["Parameters"]["sluice.endpoint"] == "'"$dep"'"'
  jcheck "DynamoDB column types" claims.json '{c["Name"]: c["Type"] for c in d["Table"]["StorageDescriptor"]["Columns"]} == {"policy_id":"string","age_of_car":"double","age_of_policyholder":"double","area_cluster":"string","features":"struct<abs:boolean,airbags:bigint>","is_claim":"boolean","make":"bigint","tags":"array<string>"}'
  jcheck "the key column comes first" claims.json 'd["Table"]["StorageDescriptor"]["Columns"][0]["Name"] == "policy_id"'
  n=$(read_back claims claims claims)
  if [ "$n" = "300" ]; then pass "a job reads the crawled DynamoDB table through the catalog"; else fail "a job reads the crawled DynamoDB table through the catalog (got $n records, wanted 300)"; fi
  expect_exit 0 "a sampled DynamoDB crawl (scan_all false)" "$S" crawl --database claims --dynamodb Claims --endpoint "$dep" --no-scan-all --name claims-crawler --json
  cp "$WORK/.out" ddb2.json
  jcheck "one Scan page read" ddb2.json 'd["Requests"]["DynamoDB"] == 2 and 0 < d["ItemsSampled"] <= 300'
  expect_exit 1 "a missing DynamoDB table fails the crawl" "$S" crawl --database claims --dynamodb Nope --endpoint "$dep" --name claims-crawler
  contains "$WORK/.err" "'Nope' does not exist" "… naming the table"
fi
