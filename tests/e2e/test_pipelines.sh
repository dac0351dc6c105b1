#!/usr/bin/env bash
# End-to-end: both reference pipelines against real servers, as a user runs
# them — DynamoDB Local (AWS's jar) and Ceph RADOS Gateway (a real S3 that
# checks signatures), both started on 127.0.0.1 by tests/servers/ and
# stopped by PID.
#   AppLogs: DynamoDB table → raw JSON and cleaned JSON (gzip) on S3
#   Claims:  DynamoDB table → report columns → sort by age_of_car →
#            age_of_car < 0.7 → one CSV object on S3
# Results are checked twice: read back by sluice, and by an external client
# (boto3, straight to the servers): the tables after the load jobs (item
# counts, a sample of items compared with their source) and the S3 objects
# (listed, fetched, gunzipped, compared; no multipart upload left open).
#
# tests/e2e/test_faults.sh sources this script with FAULTS_DDB / FAULTS_S3
# set (fault_proxy.py specs): each server then gets a tests/servers/
# fault_proxy.py in front, every sluice job talks to the proxies, and the
# external checks still talk to the servers directly.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
DDB="$SLUICE_TOP/tests/servers/dynamodb-local.sh"
RGW="$SLUICE_TOP/tests/servers/ceph-rgw.sh"
PROXY="$SLUICE_TOP/tests/servers/fault_proxy.py"
FAULTS_DDB=${FAULTS_DDB:-} FAULTS_S3=${FAULTS_S3:-} FAULT_SEED=${FAULT_SEED:-1}
export S3_ACCESS_KEY=${S3_ACCESS_KEY:-AKIDPIPELINES} S3_SECRET_KEY=${S3_SECRET_KEY:-pipelines-secret}

ddb_pid="" rgw_pid="" ddb_proxy_pid="" s3_proxy_pid=""
cleanup() {
  [ -n "$ddb_proxy_pid" ] && "$PY" "$PROXY" stop "$ddb_proxy_pid" >/dev/null 2>&1
  [ -n "$s3_proxy_pid" ] && "$PY" "$PROXY" stop "$s3_proxy_pid" >/dev/null 2>&1
  [ -n "$ddb_pid" ] && "$DDB" stop "$ddb_pid" >/dev/null 2>&1
  [ -n "$rgw_pid" ] && "$RGW" stop "$rgw_pid" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! "$PY" -c 'import boto3' 2>/dev/null; then
  fail "boto3 importable by $PY (the external client of these checks; pip install boto3)"
  exit 0
fi

port_free() { # PORT COUNT
  local p
  for p in $(seq "$1" $(($1 + $2 - 1))); do ss -ltnH "sport = :$p" 2>/dev/null | grep -q . && return 1; done
  return 0
}
for _ in 1 2 3 4 5; do
  ddb_port=$((20000 + RANDOM % 5000))
  port_free "$ddb_port" 1 || continue
  ddb_pid=$("$DDB" start "$ddb_port" 2>"$WORK/.ddb-err") && break
  ddb_pid=""
done
for _ in 1 2 3 4 5; do
  rgw_port=$((25000 + (RANDOM % 600) * 10))
  port_free "$rgw_port" 13 || continue
  rgw_pid=$("$RGW" start "$rgw_port" 2>"$WORK/.rgw-err") && break
  rgw_pid=""
done
if [ -z "$ddb_pid" ] || [ -z "$rgw_pid" ]; then
  fail "servers start: DynamoDB Local '$ddb_pid' $(head -c 200 "$WORK/.ddb-err"); Ceph RGW '$rgw_pid' $(tail -c 200 "$WORK/.rgw-err")"
  exit 0
fi
pass "DynamoDB Local on :$ddb_port and Ceph RGW on :$rgw_port"
DDB_EP="http://127.0.0.1:$ddb_port"
S3_EP="http://127.0.0.1:$rgw_port"

# The endpoints sluice talks to: the servers, or fault proxies in front of them.
start_proxy() { # UPSTREAM SPEC LOG -> prints "PORT PID"
  local port pid
  for _ in 1 2 3 4 5; do
    port=$((31000 + RANDOM % 1700))
    port_free "$port" 1 || continue
    pid=$("$PY" "$PROXY" start "$port" "$1" --faults "$2" --seed "$FAULT_SEED" --log "$3" 2>>"$WORK/.proxy-err") \
      && { echo "$port $pid"; return 0; }
  done
  return 1
}
SLUICE_DDB_EP=$DDB_EP SLUICE_S3_EP=$S3_EP
if [ -n "$FAULTS_DDB$FAULTS_S3" ]; then
  read -r p ddb_proxy_pid < <(start_proxy "$DDB_EP" "$FAULTS_DDB" "$WORK/ddb-proxy.log")
  [ -n "$ddb_proxy_pid" ] && SLUICE_DDB_EP="http://127.0.0.1:$p"
  read -r p s3_proxy_pid < <(start_proxy "$S3_EP" "$FAULTS_S3" "$WORK/s3-proxy.log")
  [ -n "$s3_proxy_pid" ] && SLUICE_S3_EP="http://127.0.0.1:$p"
  if [ -z "$ddb_proxy_pid" ] || [ -z "$s3_proxy_pid" ]; then
    fail "fault proxies start: $(head -c 300 "$WORK/.proxy-err")"
    exit 0
  fi
  pass "fault proxies: DynamoDB ${SLUICE_DDB_EP##*:} ($FAULTS_DDB), S3 ${SLUICE_S3_EP##*:} ($FAULTS_S3)"
fi

# Credentials: Ceph's user; DynamoDB Local accepts any. Keep ~/.aws out.
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_DEFAULT_REGION
export AWS_ENDPOINT_URL_DYNAMODB=$SLUICE_DDB_EP AWS_ENDPOINT_URL_S3=$SLUICE_S3_EP
export DDB_EP S3_EP WORK  # for the Python checks

# The checks, in Python: the external client is boto3, straight to the
# servers (endpoint_url given, so the AWS_ENDPOINT_URL_* variables meant for
# sluice do not apply). `checks NAME...` prints one PASS:/FAIL: line per check.
cat > "$WORK/checks.py" <<'PYEOF'
import csv, glob, gzip, json, os, random, sys, traceback
from decimal import Decimal

TOP, WORK = os.environ["SLUICE_TOP"], os.environ["WORK"]
_clients = {}
def client(service):
    if service not in _clients:
        import boto3
        from botocore.config import Config
        ep = os.environ["DDB_EP" if service == "dynamodb" else "S3_EP"]
        _clients[service] = boto3.client(service, endpoint_url=ep, region_name="us-east-1",
                                         config=Config(retries={"max_attempts": 10, "mode": "standard"}))
    return _clients[service]

def count(table):
    n = 0
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        n += page["Count"]
    return n

def sample(table, key, values):
    """The items with these key values (BatchGetItem), by key value."""
    out, keys = {}, [{key: {"S": v}} for v in values]
    while keys:
        req, keys = {table: {"Keys": keys[:100]}}, keys[100:]
        while req:
            page = client("dynamodb").batch_get_item(RequestItems=req)
            out.update((i[key]["S"], i) for i in page["Responses"].get(table, []))
            req = page.get("UnprocessedKeys") or {}
    return out

def norm(v):
    """A DynamoDB-JSON attribute value in a comparable form."""
    (t, x), = v.items()
    if t == "N": return ("N", Decimal(x))
    if t == "NS": return (t, sorted(Decimal(e) for e in x))
    if t == "SS": return (t, sorted(x))
    if t == "M": return ("M", {k: norm(y) for k, y in x.items()})
    if t == "L": return ("L", [norm(y) for y in x])
    return (t, x)

def applogs_export():
    return [json.loads(l)["Item"] for l in gzip.open(glob.glob(TOP + "/examples/applogs/data/*.gz")[0], "rt")]

def claims_sample():
    return list(csv.DictReader(gzip.open(TOP + "/examples/claims/data/claims.csv.gz", "rt", newline="")))

def setup():
    "boto3: tables AppLogs and Claims and bucket lake created"
    for name, key in (("AppLogs", "log_id"), ("Claims", "policy_id")):
        client("dynamodb").create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])
    client("s3").create_bucket(Bucket="lake")

def table_applogs():
    "boto3: AppLogs holds as many items as the export (Scan); 300 of them compared attribute for attribute"
    want = {i["log_id"]["S"]: {k: norm(v) for k, v in i.items()} for i in applogs_export()}
    assert count("AppLogs") == len(want), ("items", count("AppLogs"), len(want))
    ids = random.Random(1).sample(sorted(want), 300)
    got = sample("AppLogs", "log_id", ids)
    assert sorted(got) == sorted(ids), "missing items"
    for i in ids:
        assert {k: norm(v) for k, v in got[i].items()} == want[i], (got[i], want[i])

def table_claims():
    "boto3: Claims holds as many items as the sample has rows (Scan); 300 of them compared value for value"
    rows = {r["policy_id"]: r for r in claims_sample()}
    assert count("Claims") == len(rows), ("items", count("Claims"), len(rows))
    ids = random.Random(1).sample(sorted(rows), 300)
    got = sample("Claims", "policy_id", ids)
    assert sorted(got) == sorted(ids), "missing items"
    for i in ids:
        item, row = got[i], rows[i]
        assert set(item) == set(row), (sorted(item), sorted(row))
        for k, v in item.items():
            (t, x), = v.items()
            if t == "N": assert Decimal(x) == Decimal(row[k]), (k, x, row[k])
            elif t == "S": assert x == row[k], (k, x, row[k])
            elif t == "BOOL": assert x == (row[k].lower() in ("true", "yes")), (k, x, row[k])
            else: raise AssertionError("unexpected type %s for %s" % (t, k))

def keys(prefix):
    out = []
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket="lake", Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out

def get(key):
    return client("s3").get_object(Bucket="lake", Key=key)["Body"].read()

def s3_applogs():
    "boto3: raw and cleaned published (_SUCCESS, gzip parts only), fetched and gunzipped"
    ks = keys("logs/")
    for d in ("raw", "cleaned"):
        assert "logs/%s/_SUCCESS" % d in ks, ks
        mine = [k for k in ks if k.startswith("logs/%s/" % d) and k != "logs/%s/_SUCCESS" % d]
        parts = [k for k in mine if k.startswith("logs/%s/part-" % d) and k.endswith(".json.gz")]
        assert parts and parts == mine, mine
        os.makedirs(os.path.join(WORK, "boto3", d), exist_ok=True)
        for k in parts:
            with open(os.path.join(WORK, "boto3", d, os.path.basename(k)[:-3]), "wb") as f:
                f.write(gzip.decompress(get(k)))

def no_uploads():
    "boto3: no multipart upload left open"
    ups = client("s3").list_multipart_uploads(Bucket="lake").get("Uploads", [])
    assert not ups, [(u["Key"], u["UploadId"]) for u in ups]

def applogs_records(where):
    """raw = every exported item once, cleaned = cleaned items (bad timestamps excluded)"""
    def plain(v):
        (t, x), = v.items()
        if t == "S": return x
        if t == "N": return int(x) if x.lstrip("-").isdigit() else float(x)
        if t == "M": return {k: plain(y) for k, y in x.items()}
        if t == "SS": return sorted(x)
        raise AssertionError("unexpected type " + t)
    def load(d):
        out = []
        for f in glob.glob(d + "/part-*"):
            out += [json.loads(l) for l in open(f)]
        return out
    def key(r):
        r = dict(r)
        if "tags" in r.get("metadata", {}): r["metadata"] = dict(r["metadata"], tags=sorted(r["metadata"]["tags"]))
        return json.dumps(r, sort_keys=True)
    items = [{k: plain(v) for k, v in i.items()} for i in applogs_export()]
    raw, cleaned = load(WORK + "/" + where + "/raw"), load(WORK + "/" + where + "/cleaned")
    assert sorted(map(key, raw)) == sorted(map(key, items)), "raw differs"
    want = []
    for r in items:
        try: ts = int(r["timestamp"])
        except ValueError: continue
        want.append(dict(r, service_name=r["service_name"].lower(), timestamp=ts))
    assert len(want) == len(items) - 2
    assert sorted(map(key, cleaned)) == sorted(map(key, want)), "cleaned differs"
    assert all(isinstance(r["timestamp"], int) for r in cleaned)

def applogs_by_sluice():
    "AppLogs read back by sluice: raw = every exported item once, cleaned = cleaned items (bad timestamps excluded)"
    applogs_records("sluice")

def applogs_by_boto3():
    "AppLogs fetched by boto3: raw = every exported item once, cleaned = cleaned items (bad timestamps excluded)"
    applogs_records("boto3")

def claims_report(prefix="claims/report/"):
    "boto3: one CSV object under claims/report/: the right columns, every row with age_of_car < 0.7 once, sorted"
    ks = [k for k in keys(prefix) if not k.endswith("/_SUCCESS")]
    assert len(ks) == 1 and ks[0].startswith(prefix + "part-") and ks[0].endswith(".csv"), ks
    rows = list(csv.DictReader(get(ks[0]).decode().splitlines()))
    cols = ["policy_id", "age_of_car", "age_of_policyholder", "area_cluster", "population_density", "is_claim"]
    assert list(rows[0].keys()) == cols, list(rows[0].keys())
    src = claims_sample()
    want = {r["policy_id"] for r in src if float(r["age_of_car"]) < 0.7}
    assert {r["policy_id"] for r in rows} == want and len(rows) == len(want), (len(rows), len(want))
    ages = [float(r["age_of_car"]) for r in rows]
    assert ages == sorted(ages) and max(ages) < 0.7
    bysrc = {r["policy_id"]: r for r in src}
    for r in rows:
        s = bysrc[r["policy_id"]]
        assert float(r["age_of_policyholder"]) == float(s["age_of_policyholder"]) and r["area_cluster"] == s["area_cluster"]
        assert int(r["population_density"]) == int(s["population_density"]) and int(r["is_claim"]) == int(s["is_claim"])

def claims_report_catalog():
    "boto3: the Claims job reading from the catalog wrote the same one-CSV report under claims/catalog_report/"
    claims_report("claims/catalog_report/")
    a = [k for k in keys("claims/report/") if k.endswith(".csv")]
    b = [k for k in keys("claims/catalog_report/") if k.endswith(".csv")]
    assert get(a[0]) == get(b[0]), "the two reports differ"

def applogs_from_catalog():
    "AppLogs from the catalog, read back by sluice: raw = every exported item once, cleaned = cleaned items"
    applogs_records("catalog")

for name in sys.argv[1:]:
    check = globals()[name.replace("-", "_")]
    try:
        check()
        print("PASS: " + check.__doc__)
    except Exception as e:
        print("FAIL: %s: %s" % (check.__doc__, "".join(traceback.format_exception_only(type(e), e)).strip()[:600]))
    sys.stdout.flush()
PYEOF
checks() { "$PY" "$WORK/checks.py" "$@"; }
checks setup

# Jobs run from the source tree, as the examples say.
cd "$SLUICE_TOP" || exit 1
run() { "$SLUICE" run "$@" --quiet; }
expect_exit 0 "load the AppLogs export into DynamoDB" run examples/applogs/load.yaml
expect_exit 0 "load the claims sample into DynamoDB" run examples/claims/load.yaml
checks table-applogs table-claims

# ---- AppLogs (run in a scratch directory: the error output goes to ./data/errors)
mkdir -p "$WORK/run"
expect_exit 0 "AppLogs pipeline: DynamoDB -> S3 raw + cleaned" \
  bash -c 'cd "$1" && shift && "$@"' _ "$WORK/run" \
  "$SLUICE" run "$SLUICE_TOP/examples/applogs/job_aws.yaml" --quiet --arg bucket=lake --arg table=AppLogs
cat > "$WORK/fetch.yaml" <<'YAML'
args: {from: "", to: ""}
nodes:
  src: {type: read_file, path: "${from}"}
  dst: {type: write_file, input: src, path: "${to}"}
YAML
expect_exit 0 "read the cleaned records back from S3" run "$WORK/fetch.yaml" --arg from=s3://lake/logs/cleaned --arg to="$WORK/sluice/cleaned"
expect_exit 0 "read the raw records back from S3" run "$WORK/fetch.yaml" --arg from=s3://lake/logs/raw --arg to="$WORK/sluice/raw"
checks s3-applogs no-uploads applogs-by-boto3 applogs-by-sluice
check "the two bad timestamps, and nothing else, are in the error output" \
  bash -c "test \$(cat '$WORK'/run/data/errors/errors-*.jsonl | wc -l) -eq 2 && test \$(grep -c yesterday '$WORK'/run/data/errors/errors-*.jsonl) -eq 2"

# ---- Claims
expect_exit 0 "Claims pipeline: DynamoDB -> select -> sort -> filter -> one CSV on S3" \
  "$SLUICE" run examples/claims/job.yaml --quiet --arg table=Claims --arg output=s3://lake/claims/report
checks claims-report no-uploads

# ---- Both pipelines as Glue runs them: a crawler fills the catalog, the jobs read from it
if [ -z "$FAULTS_DDB$FAULTS_S3" ]; then
  export SLUICE_CATALOG="$WORK/catalog.db"
  expect_exit 0 "crawl the Claims table (examples/claims/crawler.yaml)" "$SLUICE" crawl examples/claims/crawler.yaml --quiet
  "$SLUICE" catalog table insurance.claims --json >"$WORK/claims-table.json" 2>&1
  check "the catalog has insurance.claims, classification dynamodb, with the report columns" "$PY" - "$WORK/claims-table.json" <<'PYEOF'
import json, sys
t = json.load(open(sys.argv[1]))["Table"]
assert t["Parameters"]["classification"] == "dynamodb", t["Parameters"]
cols = {c["Name"]: c["Type"] for c in t["StorageDescriptor"]["Columns"]}
assert cols["policy_id"] == "string" and cols["age_of_car"] == "double" and cols["is_claim"] == "bigint", cols
PYEOF
  expect_exit 0 "Claims pipeline from the catalog: crawler -> catalog -> select -> sort -> filter -> one CSV" \
    "$SLUICE" run examples/claims/job_catalog.yaml --quiet --arg output=s3://lake/claims/catalog_report
  checks claims-report-catalog no-uploads

  expect_exit 0 "crawl the AppLogs table (examples/applogs/crawler.yaml)" "$SLUICE" crawl examples/applogs/crawler.yaml --quiet
  expect_exit 0 "AppLogs pipeline from the catalog, registering raw and cleaned tables" \
    bash -c 'cd "$1" && shift && "$@"' _ "$WORK/run" \
    "$SLUICE" run "$SLUICE_TOP/examples/applogs/job_catalog.yaml" --quiet --arg bucket=lake --arg prefix=logs_catalog
  expect_exit 0 "read the catalog job's cleaned records back" run "$WORK/fetch.yaml" \
    --arg from=s3://lake/logs_catalog/cleaned --arg to="$WORK/catalog/cleaned"
  expect_exit 0 "read the catalog job's raw records back" run "$WORK/fetch.yaml" \
    --arg from=s3://lake/logs_catalog/raw --arg to="$WORK/catalog/raw"
  checks applogs-from-catalog
  check "the job registered applogs.logs_cleaned at its S3 location" bash -c \
    '"$SLUICE" catalog table applogs.logs_cleaned --json | grep -q "s3://lake/logs_catalog/cleaned/"'
  expect_exit 0 "crawl the cleaned logs on S3" "$SLUICE" crawl --database lake_crawl --path s3://lake/logs_catalog/cleaned/ --quiet
  check "the S3 crawl found one json table with compressionType gzip" bash -c \
    '"$SLUICE" catalog tables lake_crawl --json | grep -q "\"compressionType\":\"gzip\""'
fi
