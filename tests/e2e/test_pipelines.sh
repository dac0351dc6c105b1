#!/usr/bin/env bash
# End-to-end: both reference pipelines against real servers, as a user runs
# them — DynamoDB Local (AWS's jar) and Ceph RADOS Gateway (a real S3 that
# checks signatures), both started on 127.0.0.1 by tests/servers/ and
# stopped by PID.
#   AppLogs: DynamoDB table → raw JSON and cleaned JSON (gzip) on S3
#   Claims:  DynamoDB table → report columns → sort by age_of_car →
#            age_of_car < 0.7 → one CSV object on S3
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
DDB="$SLUICE_TOP/tests/servers/dynamodb-local.sh"
RGW="$SLUICE_TOP/tests/servers/ceph-rgw.sh"
export S3_ACCESS_KEY=AKIDPIPELINES S3_SECRET_KEY=pipelines-secret

ddb_pid="" rgw_pid=""
cleanup() {
  [ -n "$ddb_pid" ] && "$DDB" stop "$ddb_pid" >/dev/null 2>&1
  [ -n "$rgw_pid" ] && "$RGW" stop "$rgw_pid" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

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

# Credentials: Ceph's user; DynamoDB Local accepts any. Keep ~/.aws out.
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_DEFAULT_REGION
export AWS_ENDPOINT_URL_DYNAMODB=$DDB_EP AWS_ENDPOINT_URL_S3=$S3_EP

ddb() {
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "X-Amz-Target: DynamoDB_20120810.$1" -H 'Content-Type: application/x-amz-json-1.0' -d "$2" "$DDB_EP/"
}
s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
table() { # NAME KEY
  ddb CreateTable "{\"TableName\":\"$1\",\"BillingMode\":\"PAY_PER_REQUEST\",
    \"AttributeDefinitions\":[{\"AttributeName\":\"$2\",\"AttributeType\":\"S\"}],
    \"KeySchema\":[{\"AttributeName\":\"$2\",\"KeyType\":\"HASH\"}]}"
}
check "DynamoDB table AppLogs created" table AppLogs log_id
check "DynamoDB table Claims created" table Claims policy_id
check "S3 bucket lake created" s3curl -X PUT "$S3_EP/lake"

# Jobs run from the source tree, as the examples say.
cd "$SLUICE_TOP" || exit 1
run() { "$SLUICE" run "$@" --quiet; }
expect_exit 0 "load the AppLogs export into DynamoDB" run examples/applogs/load.yaml
expect_exit 0 "load the claims sample into DynamoDB" run examples/claims/load.yaml

# ---- AppLogs
expect_exit 0 "AppLogs pipeline: DynamoDB -> S3 raw + cleaned" \
  "$SLUICE" run examples/applogs/job_aws.yaml --quiet --arg bucket=lake --arg table=AppLogs
s3curl "$S3_EP/lake?list-type=2&prefix=logs%2F" > "$WORK/applogs.xml"
contains "$WORK/applogs.xml" "<Key>logs/raw/_SUCCESS</Key>" "raw output published with _SUCCESS"
contains "$WORK/applogs.xml" "<Key>logs/cleaned/_SUCCESS</Key>" "cleaned output published with _SUCCESS"
check "cleaned parts are gzip objects" grep -q '<Key>logs/cleaned/part-[^<]*\.json\.gz</Key>' "$WORK/applogs.xml"
s3curl "$S3_EP/lake?uploads=" > "$WORK/uploads.xml"
check "no multipart upload left open" bash -c "! grep -q '<Upload>' '$WORK/uploads.xml'"
cat > "$WORK/fetch.yaml" <<'YAML'
args: {from: "", to: ""}
nodes:
  src: {type: read_file, path: "${from}"}
  dst: {type: write_file, input: src, path: "${to}"}
YAML
expect_exit 0 "read the cleaned records back from S3" run "$WORK/fetch.yaml" --arg from=s3://lake/logs/cleaned --arg to="$WORK/cleaned"
expect_exit 0 "read the raw records back from S3" run "$WORK/fetch.yaml" --arg from=s3://lake/logs/raw --arg to="$WORK/raw"
check "AppLogs: raw = every exported item, cleaned = cleaned items (bad timestamps excluded)" "$PY" - "$WORK" <<'PYEOF'
import glob, gzip, json, sys
work = sys.argv[1]
def plain(v):
    (t, x), = v.items()
    if t == "S": return x
    if t == "N": return int(x) if x.lstrip("-").isdigit() else float(x)
    if t == "M": return {k: plain(y) for k, y in x.items()}
    if t == "SS": return sorted(x)
    raise SystemExit("unexpected type " + t)
items = [{k: plain(v) for k, v in json.loads(l)["Item"].items()}
         for l in gzip.open(glob.glob("examples/applogs/data/*.gz")[0], "rt")]
def load(d):
    out = []
    for f in glob.glob(d + "/part-*"):
        out += [json.loads(l) for l in open(f)]
    return out
def key(r):
    r = dict(r)
    if "tags" in r.get("metadata", {}): r["metadata"] = dict(r["metadata"], tags=sorted(r["metadata"]["tags"]))
    return json.dumps(r, sort_keys=True)
raw, cleaned = load(work + "/raw"), load(work + "/cleaned")
assert sorted(map(key, raw)) == sorted(map(key, items)), "raw differs"
want = []
for r in items:
    try: ts = int(r["timestamp"])
    except ValueError: continue
    want.append(dict(r, service_name=r["service_name"].lower(), timestamp=ts))
assert len(want) == len(items) - 2
assert sorted(map(key, cleaned)) == sorted(map(key, want)), "cleaned differs"
assert all(isinstance(r["timestamp"], int) for r in cleaned)
PYEOF
check "the two bad timestamps are in the error output" bash -c "cat data/errors/errors-*.jsonl | grep -c yesterday | grep -q '^[2-9]'"

# ---- Claims
expect_exit 0 "Claims pipeline: DynamoDB -> select -> sort -> filter -> one CSV on S3" \
  "$SLUICE" run examples/claims/job.yaml --quiet --arg table=Claims --arg output=s3://lake/claims/report
s3curl "$S3_EP/lake?list-type=2&prefix=claims%2Freport%2F" > "$WORK/claims.xml"
n=$(grep -o '<Key>claims/report/part-[^<]*\.csv</Key>' "$WORK/claims.xml" | wc -l)
check "exactly one CSV object" test "$n" -eq 1
key=$(grep -o '<Key>claims/report/part-[^<]*\.csv</Key>' "$WORK/claims.xml" | sed 's/<[^>]*>//g' | head -1)
s3curl -o "$WORK/report.csv" "$S3_EP/lake/$key"
check "report: the right columns, rows with age_of_car < 0.7, sorted" "$PY" - "$WORK/report.csv" <<'PYEOF'
import csv, gzip, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
cols = ["policy_id", "age_of_car", "age_of_policyholder", "area_cluster", "population_density", "is_claim"]
assert list(rows[0].keys()) == cols, list(rows[0].keys())
src = list(csv.DictReader(gzip.open("examples/claims/data/claims.csv.gz", "rt", newline="")))
want = {r["policy_id"] for r in src if float(r["age_of_car"]) < 0.7}
assert {r["policy_id"] for r in rows} == want and len(rows) == len(want), (len(rows), len(want))
ages = [float(r["age_of_car"]) for r in rows]
assert ages == sorted(ages) and max(ages) < 0.7
bysrc = {r["policy_id"]: r for r in src}
for r in rows:
    s = bysrc[r["policy_id"]]
    assert float(r["age_of_policyholder"]) == float(s["age_of_policyholder"]) and r["area_cluster"] == s["area_cluster"]
    assert int(r["population_density"]) == int(s["population_density"]) and int(r["is_claim"]) == int(s["is_claim"])
PYEOF
