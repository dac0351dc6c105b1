#!/usr/bin/env bash
# End-to-end: write_dynamodb and read_dynamodb against AWS's own DynamoDB
# Local (tests/servers/dynamodb-local.sh starts it on 127.0.0.1 and this
# script stops it by its PID). A table of ~5,000 AppLogs items is loaded
# with a write_dynamodb job from a JSON file and read back with parallel
# read_dynamodb jobs: every item exactly once, values exact.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
SERVER="$SLUICE_TOP/tests/servers/dynamodb-local.sh"

# ---- start DynamoDB Local on a free port below 32768
DDB_PID=""
for _ in 1 2 3 4 5; do
  PORT=$((20000 + RANDOM % 10000))
  ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q . && continue
  DDB_PID=$("$SERVER" start "$PORT" 2>"$WORK/.server-err") && break
  DDB_PID=""
done
trap '[ -n "$DDB_PID" ] && "$SERVER" stop "$DDB_PID"; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM   # run the EXIT trap (stop the server) when interrupted too
if [ -z "$DDB_PID" ]; then
  fail "DynamoDB Local starts (needs java, javac, npm: scripts/bootstrap.sh): $(head -c 300 "$WORK/.server-err")"
  exit 0
fi
pass "DynamoDB Local started on 127.0.0.1:$PORT"
ENDPOINT="http://127.0.0.1:$PORT"

# DynamoDB Local accepts any credentials; keep the user's ~/.aws out of it.
export AWS_ACCESS_KEY_ID=AKIDSLUICETEST AWS_SECRET_ACCESS_KEY=sluice-test-secret AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB AWS_DEFAULT_REGION

# ddb OPERATION JSON — one signed DynamoDB API call with curl (set-up and spot checks)
ddb() {
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "X-Amz-Target: DynamoDB_20120810.$1" -H 'Content-Type: application/x-amz-json-1.0' -d "$2" "$ENDPOINT/"
}
check "create table AppLogs (on-demand)" ddb CreateTable '{"TableName":"AppLogs","BillingMode":"PAY_PER_REQUEST",
  "AttributeDefinitions":[{"AttributeName":"log_id","AttributeType":"S"}],
  "KeySchema":[{"AttributeName":"log_id","KeyType":"HASH"}]}'
check "create table Precise (provisioned, hash + range key)" ddb CreateTable '{"TableName":"Precise",
  "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"},{"AttributeName":"seq","AttributeType":"N"}],
  "KeySchema":[{"AttributeName":"id","KeyType":"HASH"},{"AttributeName":"seq","KeyType":"RANGE"}],
  "ProvisionedThroughput":{"ReadCapacityUnits":1000,"WriteCapacityUnits":1000}}'

# ---- input: 5,000 AppLogs records (+ one duplicate key, + one without a key)
"$PY" - <<'PYEOF'
import json
services = ["Auth-Service", "PAYMENT-SERVICE", "search", "Checkout"]
want = {}
with open("applogs.json", "w") as f:
    for i in range(5000):
        rec = {"log_id": "log-%05d" % i,
               # N in most items, S (digits as text) in every third
               "timestamp": 1732300000000 + i if i % 3 else str(1732300000000 + i),
               "service_name": services[i % 4],
               "log_level": ["INFO", "WARN", "ERROR"][i % 3],
               "message": "request %d caf\u00e9 \"quoted\" \\ done \u2603" % i,
               "metadata": {"host": "h%d" % (i % 7),
                            "latency_ms": (i % 100) + 0.125 if i % 2 else i % 100,
                            "tags": ["t%d" % (i % 5), "all", "t%d" % (i % 5)]}}
        if i % 10 == 0:
            rec["metadata"]["big"] = 10**25 + i          # beyond int64: an exact decimal
        if i % 50 == 0:
            rec["metadata"]["tags"] = []                 # empty set: attribute left out
        if i % 250 == 0:
            rec["nothing"] = None
            rec["flag"] = i % 500 == 0
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        exp = json.loads(json.dumps(rec))
        tags = sorted(set(exp["metadata"]["tags"]))
        if tags:
            exp["metadata"]["tags"] = tags
        else:
            del exp["metadata"]["tags"]
        want[rec["log_id"]] = exp
    # the same key again later in the file: the last one wins
    dup = dict(want["log-00007"], message="second version")
    dup["metadata"] = dict(dup["metadata"])
    f.write(json.dumps(dup) + "\n")
    want["log-00007"] = dup
    f.write(json.dumps({"message": "no key here"}) + "\n")
json.dump(want, open("want.json", "w"))
PYEOF

# verify DIR [PROJECTION...] — every wanted item exactly once, values exact
cat > verify.py <<'PYEOF'
import decimal, glob, json, sys
d = sys.argv[1]
proj = sys.argv[2:]
want = json.load(open("want.json"), parse_float=decimal.Decimal)
got = {}
n = 0
for p in sorted(glob.glob(d + "/part-*")):
    for line in open(p, encoding="utf-8"):
        r = json.loads(line, parse_float=decimal.Decimal)
        n += 1
        if r["log_id"] in got:
            sys.exit("duplicate %s" % r["log_id"])
        if "metadata" in r and "tags" in r["metadata"]:
            r["metadata"]["tags"] = sorted(r["metadata"]["tags"])
        got[r["log_id"]] = r
if n != len(want) or set(got) != set(want):
    sys.exit("got %d records, %d distinct, want %d" % (n, len(got), len(want)))
for k, w in want.items():
    if proj:
        w = {a: w[a] for a in proj if a in w}
    g = got[k]
    if g != w:
        sys.exit("%s: got %r want %r" % (k, g, w))
    for a in ("timestamp",):
        if a in w and type(g[a]) is not type(w[a]):
            sys.exit("%s: %s has type %s" % (k, a, type(g[a]).__name__))
PYEOF

cat > load.yaml <<YAML
args: {table: AppLogs, input: applogs.json}
settings: {error_output: errs}
nodes:
  src: {type: read_file, path: "\${input}"}
  ddb:
    type: write_dynamodb
    input: src
    table: "\${table}"
    endpoint: "$ENDPOINT"
    sets: [metadata.tags]
YAML
expect_exit 0 "write_dynamodb loads 5,000 items" "$SLUICE" run load.yaml --json
check "summary counts 5,002 records read and 1 rejected" "$PY" -c "
import json, sys; d = json.load(open('$WORK/.out'))
sys.exit(0 if d['records_read'] == 5002 and d['records_rejected'] == 1 else 1)"
check "record without the key attribute went to the error output with the reason" "$PY" -c "
import glob, json
e = [json.loads(l) for f in glob.glob('errs/errors-*.jsonl') for l in open(f)]
assert len(e) == 1 and e[0]['node'] == 'ddb' and \"key attribute 'log_id' is missing\" in e[0]['reason'], e
assert json.loads(e[0]['raw']) == {'message': 'no key here'}, e"

# ---- read back: 4 segments
cat > read.yaml <<YAML
args: {table: AppLogs, out: out/all, segments: "4", page_size: "0", consistent: "false"}
nodes:
  src:
    type: read_dynamodb
    table: "\${table}"
    endpoint: "$ENDPOINT"
    segments: "\${segments}"
    page_size: "\${page_size}"
    consistent_read: "\${consistent}"
  dst: {type: write_file, input: src, path: "\${out}", mode: overwrite}
YAML
expect_exit 0 "read_dynamodb with 4 segments runs" "$SLUICE" run read.yaml --json
check "summary counts 5,000 records" "$PY" -c "
import json, sys; d = json.load(open('$WORK/.out')); sys.exit(0 if d['records_read'] == 5000 else 1)"
check "every item exactly once, values exact (N integers, decimals, S timestamps, sets, maps)" "$PY" verify.py out/all
check "one part file per non-empty segment (4 segments)" test "$(ls out/all/part-* | wc -l)" -eq 4
check "N stays an integer and S stays a string" "$PY" -c "
import glob, json
r = {}
for f in glob.glob('out/all/part-*'):
    for l in open(f):
        x = json.loads(l); r[x['log_id']] = x
assert r['log-00001']['timestamp'] == 1732300000001, r['log-00001']
assert r['log-00003']['timestamp'] == '1732300000003', r['log-00003']
assert r['log-00010']['metadata']['big'] == 10**25 + 10
assert r['log-00007']['message'] == 'second version'
assert 'tags' not in r['log-00050']['metadata']"
check "decimals are written exactly as stored" grep -q '"latency_ms":1.125' out/all/part-*

# ---- small pages (many LastEvaluatedKey round trips), strongly consistent, 3 segments
expect_exit 0 "paginated consistent read runs" "$SLUICE" run read.yaml --quiet --arg out=out/pages \
  --arg segments=3 --arg page_size=97 --arg consistent=true
check "paginated read: every item exactly once, values exact" "$PY" verify.py out/pages

# ---- automatic segments, endpoint from AWS_ENDPOINT_URL_DYNAMODB
cat > auto.yaml <<'YAML'
nodes:
  src: {type: read_dynamodb, table: AppLogs}
  dst: {type: write_file, input: src, path: out/auto}
YAML
expect_exit 0 "automatic segments, endpoint from the environment" env AWS_ENDPOINT_URL_DYNAMODB="$ENDPOINT" \
  "$SLUICE" run auto.yaml --quiet --threads 2
check "automatic segments: every item exactly once" "$PY" verify.py out/auto

# ---- projection (timestamp is a DynamoDB reserved word)
cat > proj.yaml <<YAML
nodes:
  src:
    type: read_dynamodb
    table: AppLogs
    endpoint: "$ENDPOINT"
    segments: 4
    projection: [log_id, timestamp, metadata]
  dst: {type: write_file, input: src, path: out/proj}
YAML
expect_exit 0 "read with a projection runs" "$SLUICE" run proj.yaml --quiet
check "projection returns exactly the listed attributes" "$PY" verify.py out/proj log_id timestamp metadata

# ---- running the load again is safe: puts by key replace items
expect_exit 0 "loading the same input again succeeds" "$SLUICE" run load.yaml --quiet
expect_exit 0 "read after the second load runs" "$SLUICE" run read.yaml --quiet --arg out=out/again
check "after two loads: still every item exactly once" "$PY" verify.py out/again

# ---- exact numbers beyond double precision, range keys, a provisioned table (rate limit path)
cat > precise.ddb.json <<'J'
{"Item":{"id":{"S":"p"},"seq":{"N":"1"},"pi":{"N":"3.1415926535897932384626433832795028841"},"tiny":{"N":"1E-129"},"huge":{"N":"9.9999999999999999999999999999999999999E+125"}}}
{"Item":{"id":{"S":"p"},"seq":{"N":"2"},"neg":{"N":"-0.000000000000000000000000000000000123"},"int":{"N":"-9223372036854775808"},"bin":{"B":"AAEC/w=="}}}
{"Item":{"id":{"S":"q"},"seq":{"N":"-17"},"ns":{"NS":["1.5","2","-3"]},"l":{"L":[{"N":"0.1"},{"S":"x"},{"NULL":true}]}}}
J
cat > precise.yaml <<YAML
nodes:
  src: {type: read_file, path: precise.ddb.json, format: dynamodb_json}
  ddb: {type: write_dynamodb, input: src, table: Precise, endpoint: "$ENDPOINT", sets: [ns]}
YAML
expect_exit 0 "write exact decimals from DynamoDB JSON" "$SLUICE" run precise.yaml --quiet
cat > precise_read.yaml <<YAML
nodes:
  src: {type: read_dynamodb, table: Precise, endpoint: "$ENDPOINT", read_percent: 1.0}
  dst: {type: write_file, input: src, path: out/precise}
YAML
expect_exit 0 "read a provisioned table under its read_percent limit" "$SLUICE" run precise_read.yaml --quiet
check "numbers come back with every digit" "$PY" -c "
import decimal, glob, json
D = decimal.Decimal
r = {}
for f in glob.glob('out/precise/part-*'):
    for l in open(f):
        x = json.loads(l, parse_float=D); r[(x['id'], x['seq'])] = x
assert len(r) == 3, r
a, b, c = r[('p', 1)], r[('p', 2)], r[('q', -17)]
assert a['pi'] == D('3.1415926535897932384626433832795028841'), a
assert a['tiny'] == D('1E-129') and a['huge'] == D('9.9999999999999999999999999999999999999E+125'), a
assert b['neg'] == D('-0.000000000000000000000000000000000123') and b['int'] == -9223372036854775808, b
assert b['bin'] == 'AAEC/w==', b
assert sorted(c['ns']) == [-3, D('1.5'), 2] and c['l'] == [D('0.1'), 'x', None], c"

# ---- records that cannot be items go to the error output; the others are written
printf '%s\n' '{"log_id":"m1","metadata":{"tags":["a",1]}}' '{"log_id":"m2","n":1e200}' \
  '{"log_id":7}' '{"log_id":"m4","metadata":{"tags":["b","a","b"]}}' > mixed.json
expect_exit 0 "a load with unstorable records succeeds" "$SLUICE" run load.yaml --json --arg input=mixed.json
check "three records rejected: mixed set, number out of range, key of the wrong type" "$PY" -c "
import glob, json, sys
d = json.load(open('$WORK/.out'))
e = [json.loads(l) for l in open(d['error_file'])]
r = ' | '.join(x['reason'] for x in e)
assert len(e) == 3 and 'a set needs all strings' in r and 'is not a number DynamoDB can store' in r \
  and \"key attribute 'log_id' must be a string (S)\" in r, r"
got=$(ddb GetItem '{"TableName":"AppLogs","Key":{"log_id":{"S":"m4"}}}')
check "the storable record was written, its set without duplicates" "$PY" -c "
import json, sys
it = json.loads(sys.argv[1])['Item']
assert sorted(it['metadata']['M']['tags']['SS']) == ['a', 'b'], it" "$got"
ddb DeleteItem '{"TableName":"AppLogs","Key":{"log_id":{"S":"m4"}}}' >/dev/null

# ---- failures: a missing table, a validation error
expect_exit 1 "reading a missing table fails (exit 1)" "$SLUICE" run read.yaml --quiet --arg table=NoSuchTable \
  --arg out=out/missing
contains "$WORK/.err" "DynamoDB table 'NoSuchTable' does not exist" "the error names the missing table"
check "a failed read publishes nothing" bash -c '! ls out/missing/part-* 2>/dev/null'
expect_exit 1 "writing to a missing table fails (exit 1)" "$SLUICE" run load.yaml --quiet --arg table=NoSuchTable
contains "$WORK/.err" "'NoSuchTable'" "the write error names the missing table"
printf '{"log_id":"v1","":"empty attribute name"}\n' > invalid.json
expect_exit 1 "a validation error from DynamoDB fails the run" "$SLUICE" run load.yaml --quiet --arg input=invalid.json
contains "$WORK/.err" "ValidationException" "the run's error carries the server's error type"
contains "$WORK/.err" "BatchWriteItem AppLogs" "the error names the call and the table"
