#!/usr/bin/env bash
# End-to-end: write_opensearch against the OpenSearch stand-in
# (tests/servers/opensearch_standin.py — a test double of documented
# OpenSearch behaviour, started here on 127.0.0.1 and stopped by its PID).
# First the stand-in replays the OpenSearch API specification's own test
# stories (tests/data/opensearch-api-spec); then sluice runs jobs against it:
# 20% of items refused with 429 → every document indexed exactly once; a
# re-run with ids overwrites instead of duplicating; mapping conflicts and
# 409s on create go to the error output with the server's reason; 413s,
# whole-request failures and lost answers; basic auth failures are clear.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
SERVER="$SLUICE_TOP/tests/servers/opensearch_standin.py"
STORIES="$SLUICE_TOP/tests/data/opensearch-api-spec/tests/default"

# ---- start the stand-in on a free port below 32768, basic auth admin/secret
OS_PID=""
for _ in 1 2 3 4 5; do
  PORT=$((20000 + RANDOM % 10000))
  ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q . && continue
  OS_PID=$("$PY" "$SERVER" start "$PORT" --user admin:secret 2>"$WORK/.server-err") && break
  OS_PID=""
done
trap '[ -n "$OS_PID" ] && "$PY" "$SERVER" stop "$OS_PID"; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM
if [ -z "$OS_PID" ]; then
  fail "OpenSearch stand-in starts: $(head -c 300 "$WORK/.server-err")"
  exit 0
fi
pass "OpenSearch stand-in started on 127.0.0.1:$PORT (pid $OS_PID)"
URL="http://127.0.0.1:$PORT"
export OS_PASSWORD=secret

os() { curl -sS -u admin:secret -H 'Content-Type: application/json' "$@"; }   # os PATH [curl args]
standin() { curl -sS -H 'Content-Type: application/json' "$URL/_standin/$1" "${@:2}"; }
config() { standin config -d "$1" >/dev/null; }
standin_reset() { standin reset -XPOST >/dev/null; config '{"reject_rate":0,"fail_every":0,"drop_every":0,"max_content_length":104857600}'; }
jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$1"; }   # jget a.b.0.c < json
count() { os "$URL/$1/_count" | jget count; }
counter() { standin stats | jget "$1"; }   # counter NAME: a stand-in statistic

# ---- 1. the stand-in against the specification's test stories
"$PY" - "$URL" "$STORIES" >"$WORK/stories.out" 2>&1 <<'PYEOF'
import base64, json, os, sys, urllib.error, urllib.parse, urllib.request
url, root = sys.argv[1], sys.argv[2]
try:
    import yaml
except ImportError:
    print("SKIP: story replay needs PyYAML (Debian: python3-yaml)")
    sys.exit(0)
AUTH = "Basic " + base64.b64encode(b"admin:secret").decode()
VERSION = (2, 19, 0)

def version_ok(spec):
    if not spec:
        return True
    spec = str(spec).strip()
    for op in (">=", "<=", ">", "<", "="):
        if spec.startswith(op):
            want = tuple(int(x) for x in spec[len(op):].strip().split("."))
            want += (0,) * (3 - len(want))
            return {">=": VERSION >= want, "<=": VERSION <= want, ">": VERSION > want,
                    "<": VERSION < want, "=": VERSION == want}[op]
    return True

def call(method, path, params, request):
    path = "/" + path.lstrip("/")
    query = {}
    for k, v in (params or {}).items():
        if "{%s}" % k in path:
            path = path.replace("{%s}" % k, urllib.parse.quote(str(v), safe=","))
        else:
            query[k] = str(v).lower() if isinstance(v, bool) else str(v)
    body, ctype = None, None
    if request and "payload" in request:
        ctype = request.get("content_type", "application/json")
        p = request["payload"]
        if ctype == "application/x-ndjson":
            body = "".join(json.dumps(x) + "\n" for x in p).encode()
        else:
            body = json.dumps(p).encode()
    full = url + path + ("?" + urllib.parse.urlencode(query) if query else "")
    req = urllib.request.Request(full, data=body, method=method)
    req.add_header("Authorization", AUTH)
    if ctype:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req) as r:
            status, data = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, data.decode(errors="replace")

def subset(want, got):
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and subset(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(subset(a, b) for a, b in zip(want, got))
    return want == got

failures = 0
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".yaml"))
for path in files:
    story = yaml.safe_load(open(path))
    name = os.path.relpath(path, root)
    steps = [("prologue", s) for s in story.get("prologues", [])] + \
            [("chapter", s) for s in story.get("chapters", [])] + \
            [("epilogue", s) for s in story.get("epilogues", [])]
    ok = True
    for kind, step in steps:
        if not version_ok(step.get("version")):
            continue
        methods = step["method"] if isinstance(step["method"], list) else [step["method"]]
        for method in methods:
            status, body = call(method, step["path"], step.get("parameters"), step.get("request"))
            if kind == "chapter":
                want_status = (step.get("response") or {}).get("status", 200)
                want_body = (step.get("response") or {}).get("payload")
            else:
                want_status, want_body = step.get("status", [200, 201]), None
            statuses = want_status if isinstance(want_status, list) else [want_status]
            if status not in statuses or (want_body is not None and not subset(want_body, body)):
                ok = False
                print("FAIL: story %s: %s %s %s -> %s %s (wanted %s %s)" % (
                    name, kind, method, step["path"], status, json.dumps(body)[:300], statuses,
                    json.dumps(want_body)[:300]))
    if ok:
        print("PASS: story %s (%d steps)" % (name, len(steps)))
    else:
        failures += 1
PYEOF
cat "$WORK/stories.out"
standin_reset

# ---- input: 5,000 AppLogs records over 5 days (+ records the target must refuse itself)
"$PY" - <<'PYEOF'
import json
levels = ["INFO", "WARN", "ERROR", "DEBUG"]
with open("applogs.json", "w") as f:
    for i in range(5000):
        ts = 1732300000000 + i * 86400 * 1000 // 1000     # 86.4 s apart: 5 days
        rec = {"log_id": "log-%05d" % i,
               "timestamp": ts if i % 3 else str(ts),     # number or digits, like the raw export
               "service_name": ["auth-service", "payment-service", "search"][i % 3],
               "log_level": levels[i % 4],
               "message": "request %d caf\u00e9 \"quoted\" timeout=%d" % (i, i % 7),
               "metadata": {"host": "h%d" % (i % 7), "latency_ms": i % 100, "tags": ["t%d" % (i % 5)]}}
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
with open("refused.json", "w") as f:
    f.write(json.dumps({"log_id": "no-time", "message": "x"}) + "\n")            # no timestamp: no index name
    f.write(json.dumps({"timestamp": 1732300000000, "message": "no id"}) + "\n") # no log_id
    f.write(json.dumps({"log_id": "log-00001", "timestamp": 1732300086400, "message": "again"}) + "\n")
PYEOF

cat > job.yaml <<'EOF'
name: opensearch-e2e
args: {input: applogs.json, index: "applogs-{timestamp:yyyy.MM.dd}", action: index, refresh: "true", settings: ""}
settings: {error_output: ./errors}
nodes:
  logs: {type: read_file, path: "${input}", split_size: 256KB}
  out:
    type: write_opensearch
    input: logs
    endpoint: ${url}
    index: ${index}
    id_field: log_id
    action: ${action}
    user: admin
    password_env: OS_PASSWORD
    refresh: ${refresh}
    bulk_max_docs: 700
EOF

# verify INDEX N VERSION — every log-xxxxx id present once with _version VERSION, nothing else
verify() {
  os "$URL/$1/_search" -d '{"size":100000,"version":true,"_source":false,"query":{"match_all":{}}}' >"$WORK/all.json"
  "$PY" - "$2" "$3" "$WORK/all.json" <<'PYEOF'
import json, sys
n, version, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hits = json.load(open(path))["hits"]["hits"]
ids = [h["_id"] for h in hits]
want = {"log-%05d" % i for i in range(n)}
bad = [h for h in hits if h.get("_version") != version]
if len(ids) != len(set(ids)) or set(ids) != want or bad:
    print("ids %d (unique %d), missing %d, extra %d, wrong version %d" % (
        len(ids), len(set(ids)), len(want - set(ids)), len(set(ids) - want), len(bad)))
    sys.exit(1)
PYEOF
}

# ---- 2. 20% of items refused with 429: each document indexed exactly once
config '{"reject_rate":0.2}'
expect_exit 0 "run with 20% of items refused (429 es_rejected_execution_exception) succeeds" \
  "$SLUICE" run job.yaml --threads 2 --quiet --arg url="$URL"
[ "$(count 'applogs-*')" = 5000 ] && pass "_count after refresh: 5000 documents" \
  || fail "_count after refresh: $(count 'applogs-*') documents, wanted 5000"
if verify 'applogs-*' 5000 1 >"$WORK/v.out"; then pass "every id indexed once, each with _version 1 (nothing sent twice)"
else fail "ids after the 429 run: $(cat "$WORK/v.out")"; fi
items=$(counter bulk_items); refused=$(counter items_rejected_429)
[ "$refused" -ge 1000 ] && [ "$((items - refused))" -eq 5000 ] \
  && pass "the stand-in refused $refused of $items items; accepted exactly 5000" \
  || fail "items $items, refused $refused"
[ "$(counter gzip_requests)" = "$(counter bulk_requests)" ] && pass "every _bulk request was gzip-compressed" \
  || fail "gzip requests $(counter gzip_requests) of $(counter bulk_requests)"
days=$(standin stats | "$PY" -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["indices"])))')
[ "$days" = "applogs-2024.11.22 applogs-2024.11.23 applogs-2024.11.24 applogs-2024.11.25 applogs-2024.11.26 applogs-2024.11.27" ] \
  && pass "index name template: one index per UTC day" || fail "indices: $days"
[ ! -d errors ] && pass "no error output" || fail "error output: $(cat errors/*.jsonl | head -c 300)"

# ---- 3. the same job again: ids overwrite, nothing duplicated
config '{"reject_rate":0}'
expect_exit 0 "re-run succeeds" "$SLUICE" run job.yaml --threads 2 --quiet --arg url="$URL"
[ "$(count 'applogs-*')" = 5000 ] && pass "re-run: still 5000 documents" || fail "re-run: $(count 'applogs-*') documents"
if verify 'applogs-*' 5000 2 >"$WORK/v.out"; then pass "re-run: every document overwritten once (_version 2)"
else fail "ids after the re-run: $(cat "$WORK/v.out")"; fi

# ---- 4. create on existing ids: 409 for each, in the error output with the server's reason
expect_exit 0 "create on existing ids: the run completes" \
  "$SLUICE" run job.yaml --quiet --arg url="$URL" --arg action=create --arg input=refused.json
f=$(ls errors/*.jsonl 2>/dev/null | head -1)
if [ -n "$f" ]; then
  contains "$f" 'version_conflict_engine_exception: [log-00001]: version conflict, document already exists' \
    "409 on create: in the error output with the server's reason"
  contains "$f" "index name field 'timestamp' is missing" "a record without its index name field: error output"
  contains "$f" "document id 'log_id' is missing or null" "a record without an id: error output"
  contains "$f" '"raw":"{\"log_id\":\"log-00001\"' "the error output holds the document as sent"
  [ "$(wc -l <"$f")" -eq 3 ] && pass "error output: 3 lines" || fail "error output: $(wc -l <"$f") lines"
else
  fail "create on existing ids: no error output"
fi
rm -rf errors

# ---- 5. strict mapping: conflicts go to the error output, the rest is indexed
cat > settings.json <<'EOF'
{"settings": {"number_of_shards": 1},
 "mappings": {"dynamic": "strict",
   "properties": {"log_id": {"type": "keyword"}, "timestamp": {"type": "date"},
                  "service_name": {"type": "keyword"}, "log_level": {"type": "keyword"},
                  "message": {"type": "text"},
                  "metadata": {"properties": {"host": {"type": "keyword"}, "latency_ms": {"type": "long"},
                                              "tags": {"type": "keyword"}}}}}}
EOF
"$PY" - <<'PYEOF'
import json
with open("strict.json", "w") as f:
    for i in range(100):
        rec = {"log_id": "log-%05d" % i, "timestamp": 1732300000000 + i, "service_name": "auth",
               "log_level": "INFO", "message": "m%d" % i, "metadata": {"host": "h", "latency_ms": i, "tags": []}}
        if i == 10:
            rec["extra"] = "not in the mapping"
        if i == 20:
            rec["metadata"]["latency_ms"] = "slow"
        if i == 30:
            rec["timestamp"] = "yesterday"
        f.write(json.dumps(rec) + "\n")
PYEOF
sed -e 's/^    bulk_max_docs: 700/    bulk_max_docs: 700\n    index_settings: settings.json/' job.yaml > strict.yaml
expect_exit 0 "strict mapping: the run completes" \
  "$SLUICE" run strict.yaml --quiet --arg url="$URL" --arg input=strict.json --arg index=strict-logs
f=$(ls errors/*.jsonl 2>/dev/null | head -1)
if [ -n "$f" ]; then
  contains "$f" 'strict_dynamic_mapping_exception: mapping set to strict, dynamic introduction of [extra] within [_doc] is not allowed' \
    "undeclared field under dynamic: strict: error output with the reason"
  contains "$f" "mapper_parsing_exception: failed to parse field [metadata.latency_ms] of type [long]" \
    "wrong type for a mapped field: error output with the reason"
  contains "$f" "failed to parse field [timestamp] of type [date]" "an unparseable date: error output with the reason"
  grep -q '"line":11,' "$f" && pass "error output names the input line" || fail "line numbers: $(head -c 300 "$f")"
else
  fail "strict mapping: no error output"
fi
[ "$(count strict-logs)" = 97 ] && pass "strict mapping: the other 97 documents are indexed" \
  || fail "strict mapping: $(count strict-logs) documents"
os "$URL/strict-logs/_mapping" | grep -q '"dynamic":"strict"' && pass "index created with the settings file's mappings" \
  || fail "mapping: $(os "$URL/strict-logs/_mapping" | head -c 300)"
rm -rf errors

# ---- 6. without refresh documents are stored but not yet searchable
expect_exit 0 "refresh: false" "$SLUICE" run job.yaml --quiet --arg url="$URL" --arg index=norefresh --arg refresh=false
[ "$(count norefresh)" = 0 ] && pass "not searchable before a refresh (_count 0)" || fail "_count before refresh: $(count norefresh)"
[ "$(os "$URL/norefresh/_doc/log-00042" | jget found)" = True ] && pass "stored: real-time GET finds log-00042" \
  || fail "GET _doc before refresh"
os -XPOST "$URL/norefresh/_refresh" >/dev/null
[ "$(count norefresh)" = 5000 ] && pass "searchable after _refresh (_count 5000)" || fail "_count after refresh: $(count norefresh)"
n=$(os "$URL/norefresh/_count" -d '{"query":{"bool":{"must":[{"match":{"message":"timeout"}}],"filter":[{"term":{"log_level.keyword":"ERROR"}}]}}}' | jget count)
[ "$n" = 1250 ] && pass "a bool query on the indexed documents: 1250 ERROR records" || fail "bool query count $n"

# ---- 7. 413, whole-request failures and lost answers
standin_reset
config '{"max_content_length":30000,"fail_every":3,"fail_status":503,"drop_every":4}'
"$PY" -c 'import json; print(json.dumps({"log_id": "log-99999", "timestamp": 1732300000000, "message": "x" * 40000}))' >big.json
cat applogs.json big.json >mixed.json
# one worker: the stand-in fails requests by their number, so two workers could make one of them
# meet a long (if unlikely) run of failures; with one, at most two in a row
expect_exit 0 "413s, 503s and lost answers: the run completes" \
  "$SLUICE" run job.yaml --threads 1 --quiet --arg url="$URL" --arg input=mixed.json --arg index=flaky
[ "$(count flaky)" = 5000 ] && pass "413/503/lost answers: 5000 documents, no duplicates" || fail "flaky: $(count flaky) documents"
[ "$(counter requests_413)" -ge 1 ] && [ "$(counter requests_failed_injected)" -ge 1 ] && [ "$(counter requests_dropped)" -ge 1 ] \
  && pass "the stand-in answered 413 ($(counter requests_413)x), 503 ($(counter requests_failed_injected)x) and lost $(counter requests_dropped) answers" \
  || fail "injected faults: $(standin stats | head -c 300)"
os "$URL/flaky/_search" -d '{"size":100000,"version":true,"_source":false}' | "$PY" -c '
import json,sys; h=json.load(sys.stdin)["hits"]["hits"]; ids=[x["_id"] for x in h]
v=[x["_version"] for x in h]
print("ids %d unique %d versions %s" % (len(ids), len(set(ids)), sorted(set(v))))
sys.exit(0 if len(ids)==len(set(ids))==5000 and max(v)>1 else 1)' >"$WORK/v.out" \
  && pass "lost answers were re-sent: some documents overwritten (_version > 1), none duplicated" \
  || fail "after lost answers: $(cat "$WORK/v.out")"
f=$(ls errors/*.jsonl 2>/dev/null | head -1)
[ -n "$f" ] && contains "$f" "HTTP 413 Request Entity Too Large" "a document larger than the server accepts: error output" \
  || fail "no error output for the 40 KB document"
rm -rf errors
standin_reset

# ---- 8. authentication
OS_PASSWORD=wrong "$SLUICE" run job.yaml --quiet --arg url="$URL" >"$WORK/auth.out" 2>&1; rc=$?
[ "$rc" -ne 0 ] && grep -q "authentication failed for user 'admin'" "$WORK/auth.out" \
  && grep -q "OS_PASSWORD" "$WORK/auth.out" && pass "wrong password: the run fails before any data moves, saying so" \
  || fail "wrong password (exit $rc): $(head -c 300 "$WORK/auth.out")"
grep -q wrong "$WORK/auth.out" && fail "the password appears in the output" || pass "the password is never printed"
[ "$(counter bulk_requests)" = 0 ] && pass "wrong password: no _bulk request was sent" || fail "bulk requests: $(counter bulk_requests)"
env -u OS_PASSWORD "$SLUICE" run job.yaml --quiet --arg url="$URL" >"$WORK/auth.out" 2>&1
grep -q "environment variable OS_PASSWORD is not set" "$WORK/auth.out" && pass "unset password variable: clear message" \
  || fail "unset password: $(head -c 300 "$WORK/auth.out")"
sed -e '/user: admin/d' -e '/password_env/d' job.yaml > noauth.yaml
"$SLUICE" run noauth.yaml --quiet --arg url="$URL" >"$WORK/auth.out" 2>&1
grep -q "authentication required" "$WORK/auth.out" && pass "no credentials for a cluster that wants them: clear message" \
  || fail "no credentials: $(head -c 300 "$WORK/auth.out")"
"$SLUICE" run job.yaml --quiet --arg url="http://127.0.0.1:1" >"$WORK/auth.out" 2>&1
grep -q "connecting to OpenSearch: http://127.0.0.1:1" "$WORK/auth.out" && pass "nothing listening: clear message" \
  || fail "nothing listening: $(head -c 300 "$WORK/auth.out")"

# ---- 9. options are validated before anything runs
sed -e 's/^    id_field: log_id/    id_field: log_id\n    id_expr: log_id/' job.yaml > both.yaml
expect_exit 2 "id_field and id_expr together are refused" "$SLUICE" validate both.yaml --arg url="$URL"
grep -q "give id_field or id_expr, not both" "$WORK/.err" && pass "... with a message" || fail "message: $(cat "$WORK/.err")"
expect_exit 2 "an upper-case index name is refused" "$SLUICE" validate job.yaml --arg url="$URL" --arg index=AppLogs
grep -q "must be lower case" "$WORK/.err" && pass "... with a message" || fail "message: $(cat "$WORK/.err")"

# ---- 10. TLS with client authentication (a second stand-in over https that requires a client certificate)
TLS="$WORK/tls"
mkdir -p "$TLS"
(
  cd "$TLS" || exit 1
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sluice test CA" -keyout ca.key -out ca.pem
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr
  printf 'subjectAltName=IP:127.0.0.1\n' > san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem
  openssl req -newkey rsa:2048 -nodes -subj "/CN=sluice client" -keyout client.key -out client.csr
  openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem
) >"$WORK/openssl.log" 2>&1
TLS_PID=""
for _ in 1 2 3 4 5; do
  TPORT=$((20000 + RANDOM % 10000))
  ss -ltnH "sport = :$TPORT" 2>/dev/null | grep -q . && continue
  TLS_PID=$("$PY" "$SERVER" start "$TPORT" --tls "$TLS" 2>"$WORK/.tls-err") && break
  TLS_PID=""
done
if [ -z "$TLS_PID" ]; then
  fail "https stand-in starts: $(head -c 300 "$WORK/.tls-err") $(tail -c 300 "$WORK/openssl.log")"
else
  trap '[ -n "$OS_PID" ] && "$PY" "$SERVER" stop "$OS_PID"; "$PY" "$SERVER" stop "$TLS_PID"; rm -rf "$WORK"' EXIT
  printf '{"log_id":"t1","message":"over tls"}\n{"log_id":"t2","message":"client cert"}\n' > tls.json
  cat > tls.yaml <<YAML
args: {cert: "$TLS/client.pem", key: "$TLS/client.key"}
nodes:
  src: {type: read_file, path: tls.json}
  os:
    type: write_opensearch
    input: src
    endpoint: "https://127.0.0.1:$TPORT"
    index: tlslogs
    id_field: log_id
    auth: none
    ca_file: "$TLS/ca.pem"
    client_cert: "\${cert}"
    client_key: "\${key}"
    refresh: true
YAML
  expect_exit 0 "https with a client certificate (CA file, client cert and key)" "$SLUICE" run tls.yaml --quiet
  n=$(curl -sS --cacert "$TLS/ca.pem" --cert "$TLS/client.pem" --key "$TLS/client.key" "https://127.0.0.1:$TPORT/tlslogs/_count" | jget count)
  check "both documents arrived over TLS" test "$n" = 2
  expect_exit 1 "without the client certificate the server refuses the connection" "$SLUICE" run tls.yaml --quiet --arg cert= --arg key=
fi
