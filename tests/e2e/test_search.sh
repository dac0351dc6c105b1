#!/usr/bin/env bash
# End-to-end: the embedded search index. Runs the AppLogs example job (its
# search_index target), then checks `sluice search` hit counts and hit sets
# against a reference computed in Python from the cleaned JSON the same run
# wrote to the lake; re-runs do not duplicate; a failed run leaves the index
# as it was; usage errors and a missing index exit 2 and 1.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
S() { "$SLUICE" search "$@"; }

expect_exit 0 "AppLogs job runs (lake + index)" \
  "$SLUICE" run "$SLUICE_TOP/examples/applogs/job.yaml" --quiet --arg input="$SLUICE_TOP/examples/applogs/data"
check "index file created under ./data/search" test -f data/search/applogs.db
check "no staging directory left" bash -c '! ls -d data/search/_staging-* 2>/dev/null'
cat data/lake/logs/cleaned/part-* > cleaned.json

# ---- the reference: tokenizer like FTS5 unicode61 remove_diacritics, and the query semantics
cat > ref.py <<'PYEOF'
import json, sys, unicodedata, re
docs = {}
for line in open("cleaned.json"):
    if line.strip():
        d = json.loads(line)
        docs[d["log_id"]] = d          # the last record with an id wins
def fold(s):
    s = unicodedata.normalize("NFKD", s.lower())
    return "".join(c for c in s if not unicodedata.combining(c))
def tokens(s):
    out, cur = [], ""
    for c in s:
        if unicodedata.category(c)[0] in "LN":
            cur += c
        elif cur:
            out.append(fold(cur)); cur = ""
    if cur: out.append(fold(cur))
    return out
def has_phrase(toks, phrase, prefix=False):
    n = len(phrase)
    if n == 0: return False
    for i in range(len(toks) - n + 1):
        if toks[i:i + n - 1] == phrase[:-1] and (toks[i + n - 1].startswith(phrase[-1]) if prefix else toks[i + n - 1] == phrase[-1]):
            return True
    return False
def clause(d, c):
    neg = c.startswith("-")
    c = c[1:] if neg else c
    if c.startswith('"'):
        ok = has_phrase(tokens(d.get("message", "")), tokens(c.strip('"')))
    elif ":" in c:
        f, v = c.split(":", 1)
        v = v.strip('"')
        ok = (d.get(f) is not None and str(d.get(f)).startswith(v[:-1])) if v.endswith("*") else d.get(f) == v
    else:
        pre = c.endswith("*")
        ok = has_phrase(tokens(d.get("message", "")), tokens(c.rstrip("*")), pre)
    return ok != neg
def matches(d, clauses, lo, hi):
    t = d.get("timestamp")
    if lo is not None and (t is None or t < lo): return False
    if hi is not None and (t is None or t >= hi): return False
    return all(clause(d, c) for c in clauses)
# query lines: clauses separated by ' ; ' | from | to  → ids sorted
for q in open(sys.argv[1]):
    q = q.rstrip("\n")
    text, lo, hi = q.split("|")
    clauses = [c for c in text.split(" ; ") if c]
    lo = int(lo) if lo else None
    hi = int(hi) if hi else None
    ids = sorted(k for k, d in docs.items() if matches(d, clauses, lo, hi))
    print(len(ids), ",".join(ids))
PYEOF

# each line: clauses joined by ' ; ' (so phrases keep their spaces) | from ms | to ms
cat > queries.txt <<'Q'
||
timeout||
database ; timeout||
timeout ; service_name:auth-service ; log_level:ERROR||
log_level:ERROR||
log_level:error||
service_name:pay*||
"pool exhausted"||
"missing field" ; email||
conn*||
-timeout ; log_level:WARN||
log_level:INFO ; -service_name:order-service ; -"database query"||
zurich||
Zürich ; depot||
user ; -session||
||1732301000000
|1732301000000|1732302000000
error ; log_level:ERROR|1732300500000|1732302500000
Q
"$PY" ref.py queries.txt > expected.txt || fail "python reference"

n=0
while IFS='|' read -r text from to; do
  n=$((n + 1))
  want=$(sed -n "${n}p" expected.txt)
  want_count=${want%% *}
  query=${text// ; / }
  args=(applogs "$query")
  [ -n "$from" ] && args+=(--from "$from")
  [ -n "$to" ] && args+=(--to "$to")
  got_count=$(S "${args[@]}" --count 2>&1)
  got_ids=$(S "${args[@]}" --json --limit 0 | "$PY" -c 'import json,sys; print(",".join(sorted(json.loads(l)["log_id"] for l in sys.stdin)))')
  if [ "$got_count" = "$want_count" ] && [ "$want_count $got_ids" = "$want" ]; then
    pass "search '$query' ${from:+from $from }${to:+to $to }: $got_count hits, same documents as the reference"
  else
    fail "search '$query' ${from:+from $from }${to:+to $to }: got $got_count hits, reference ${want_count}"
  fi
done < queries.txt
check "the reference found hits for most queries (the test checks something)" \
  test "$(awk '$1 > 0' expected.txt | wc -l)" -ge 14

# ---- time forms: ISO 8601 and epoch ms mean the same; relative ages parse
a=$(S applogs --count --from 1732301000000 --to 1732302000000)
b=$(S applogs --count --from 2024-11-22T18:43:20Z --to 2024-11-22T19:00:00.000Z)
check "ISO 8601 and epoch ms ranges agree ($a)" test "$a" = "$b"
check "--from 7d parses (the sample is older: 0 hits)" test "$(S applogs --count --from 7d)" = 0
check "--to now counts every document" test "$(S applogs --count --to now)" = "$(S applogs --count)"

# ---- sorting and limits
S applogs timeout --json --limit 0 > desc.json
S applogs timeout --json --limit 0 --sort time > asc.json
check "default sort is newest first" "$PY" -c "
import json; t=[json.loads(l)['timestamp'] for l in open('desc.json')]; assert t==sorted(t, reverse=True) and len(t) > 10"
check "--sort time is oldest first" "$PY" -c "
import json; t=[json.loads(l)['timestamp'] for l in open('asc.json')]; assert t==sorted(t) and len(t) > 10"
check "default limit is 20" test "$(S applogs timeout --json | wc -l)" -eq 20
S applogs timeout --json --limit 5 > top5.json
S applogs timeout --json --limit 0 --sort relevance > rel.json
check "--limit 5 gives the 5 newest" bash -c 'head -n 5 desc.json | diff - top5.json'
check "--sort relevance returns the same hits" bash -c 'diff <(sort desc.json) <(sort rel.json)'
check "JSON lines are the stored documents, equal to the cleaned records" "$PY" -c "
import json
ref = {}
for l in open('cleaned.json'):
    d = json.loads(l); ref[d['log_id']] = d
for l in open('desc.json'):
    d = json.loads(l); assert ref[d['log_id']] == d, d"

# ---- table output
S applogs 'timeout log_level:ERROR' --table --limit 3 > table.txt
contains table.txt "TIME" "table has a header"
contains table.txt "SERVICE_NAME" "table names the exact fields"
contains table.txt "hits, newest first" "table ends with the hit count"
COLUMNS=60 S applogs timeout --table > narrow.txt
check "table rows fit the width" "$PY" -c "
import sys; sys.exit(max(len(l.rstrip('\\n')) for l in open('narrow.txt', encoding='utf-8')) > 60)"

# ---- re-run: documents are replaced, not duplicated
total=$(S applogs --count)
check "index holds one document per log_id" test "$total" = "$(head -n 1 expected.txt | cut -d' ' -f1)"
expect_exit 0 "AppLogs job runs again" \
  "$SLUICE" run "$SLUICE_TOP/examples/applogs/job.yaml" --quiet --arg input="$SLUICE_TOP/examples/applogs/data"
check "re-run does not duplicate ($total documents)" test "$(S applogs --count)" = "$total"

# ---- a failed run leaves the index as it was
cp data/search/applogs.db before.db
"$PY" - <<'PYEOF'
import json
docs = [json.loads(l) for l in open("cleaned.json")][:400]
with open("more.json", "w") as f:
    for i, d in enumerate(docs):
        d = dict(d)
        if i % 2: d["message"] = "zzreplaced " + d["message"]   # same id: would replace
        else: d["log_id"] = "new-%d" % i; d["message"] = "zznew document"  # new ids
        f.write(json.dumps(d) + "\n")
    f.write(json.dumps({"log_id": "bad", "timestamp": "not a time", "message": "bad"}) + "\n")
PYEOF
cat > failing.yaml <<'YAML'
settings: {max_errors: 0, batch_records: 10, error_output: errs}
nodes:
  src: {type: read_file, path: more.json}
  clean:
    type: derive
    input: src
    columns: {timestamp: cast(timestamp as long)}
  index:
    type: search_index
    input: clean
    index: applogs
    id_field: log_id
YAML
expect_exit 1 "a run over max_errors fails" "$SLUICE" run failing.yaml --quiet --threads 1
check "failed run: document count unchanged" test "$(S applogs --count)" = "$total"
check "failed run: no new documents" test "$(S applogs zznew --count)" = 0
check "failed run: no replaced documents" test "$(S applogs zzreplaced --count)" = 0
check "failed run: search results identical to before" bash -c "
  diff <('$SLUICE' search applogs timeout --json --limit 0) <('$SLUICE' search before.db timeout --json --limit 0)"
check "failed run: no staging directory left" bash -c '! ls -d data/search/_staging-* 2>/dev/null'
check "the same records without the bad one index fine" bash -c "
  head -n 400 more.json > more_ok.json && sed 's/more.json/more_ok.json/' failing.yaml > ok.yaml &&
  '$SLUICE' run ok.yaml --quiet && test \"\$('$SLUICE' search applogs zznew --count)\" = 200 &&
  test \"\$('$SLUICE' search applogs zzreplaced --count)\" = 200 &&
  test \"\$('$SLUICE' search applogs --count)\" = $((total + 200))"

# ---- a job asking for other fields is refused before data moves
cat > other.yaml <<'YAML'
nodes:
  src: {type: read_file, path: more_ok.json}
  index: {type: search_index, input: src, index: applogs, id_field: log_id, keyword_fields: [log_level]}
YAML
expect_exit 1 "appending with other keyword_fields fails" "$SLUICE" run other.yaml --quiet
contains "$WORK/.err" "mode: overwrite" "message says how to rebuild"
check "index unchanged after the refused run" test "$(S applogs --count)" = $((total + 200))

# ---- errors
expect_exit 1 "missing index exits 1" "$SLUICE" search nosuch timeout
contains "$WORK/.err" "no search index 'nosuch'" "missing index is named"
contains "$WORK/.err" "applogs" "message lists the indexes that exist"
expect_exit 2 "unknown field exits 2" "$SLUICE" search applogs 'host:srv-1'
contains "$WORK/.err" "unknown field 'host'" "unknown field is named"
expect_exit 2 "unclosed quote exits 2" "$SLUICE" search applogs '"open'
expect_exit 2 "bad --limit exits 2" "$SLUICE" search applogs x --limit many
expect_exit 2 "bad --from exits 2" "$SLUICE" search applogs x --from yesterday
expect_exit 2 "bad --sort exits 2" "$SLUICE" search applogs x --sort size
expect_exit 2 "no index argument exits 2" "$SLUICE" search
expect_exit 0 "--index-dir finds the index" "$SLUICE" search applogs timeout --count --index-dir data/search
expect_exit 1 "--index-dir elsewhere: missing" "$SLUICE" search applogs timeout --index-dir /nonexistent
expect_exit 0 "sluice search --help" "$SLUICE" search --help
contains "$WORK/.out" "field:value" "help explains the query syntax"
expect_exit 0 "sluice help search_index" "$SLUICE" help search_index
contains "$WORK/.out" "id_field" "node help lists its options"

# ---- the same queries against OpenSearch (--opensearch): the stand-in in
# tests/servers/ is a test double of documented OpenSearch behaviour; its
# analyzer is lower-cased \w+ without accent folding and it has no prefix
# queries, so those queries are left out here.
STANDIN="$SLUICE_TOP/tests/servers/opensearch_standin.py"
OS_PID=""
if [ -f "$STANDIN" ]; then
  for _ in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 10000))
    ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q . && continue
    OS_PID=$("$PY" "$STANDIN" start "$PORT" --user admin:secret 2>"$WORK/.server-err") && break
    OS_PID=""
  done
fi
if [ -n "$OS_PID" ]; then
  trap '"$PY" "$STANDIN" stop "$OS_PID"; rm -rf "$WORK"' EXIT
  URL="http://127.0.0.1:$PORT"
  export OPENSEARCH_PASSWORD=secret
  cat > to_os.yaml <<YAML
nodes:
  src: {type: read_file, path: cleaned.json}
  os: {type: write_opensearch, input: src, endpoint: "$URL", index: applogs, id_field: log_id, refresh: true,
       user: admin, password_env: OPENSEARCH_PASSWORD}
YAML
  # the embedded index again as the lake holds it (the runs above added documents)
  cat > to_local.yaml <<'YAML'
nodes:
  src: {type: read_file, path: cleaned.json}
  idx: {type: search_index, input: src, index: oscheck, id_field: log_id}
YAML
  expect_exit 0 "cleaned records indexed into the OpenSearch stand-in" "$SLUICE" run to_os.yaml --quiet
  expect_exit 0 "the same records indexed into a fresh embedded index" "$SLUICE" run to_local.yaml --quiet
  OS=(--opensearch "$URL" --user admin)
  for q in "" timeout "timeout service_name:auth-service log_level:ERROR" "log_level:ERROR" "log_level:error" \
           '"pool exhausted"' "-timeout log_level:WARN" "user -session" "service_name:*" "message:timeout"; do
    a=$(S oscheck "$q" --count 2>&1); b=$(S applogs "$q" --count "${OS[@]}" 2>&1)
    if [ "$a" = "$b" ]; then pass "--opensearch '$q': $b hits, as the embedded index"
    else fail "--opensearch '$q': $b hits, embedded index $a"; fi
  done
  a=$(S oscheck timeout --count --from 1732301000000 --to 1732302000000)
  b=$(S applogs timeout --count --from 1732301000000 --to 1732302000000 "${OS[@]}")
  check "--opensearch time range: $b hits, as the embedded index" test "$a" = "$b"
  check "--opensearch JSON hits equal the embedded index's, oldest first" bash -c "
    diff <('$SLUICE' search oscheck 'timeout log_level:ERROR' --json --limit 0 --sort time) \
         <(OPENSEARCH_PASSWORD=secret '$SLUICE' search applogs 'timeout log_level:ERROR' --json --limit 0 --sort time --opensearch '$URL' --user admin)"
  S applogs 'timeout log_level:ERROR' --table --limit 3 "${OS[@]}" > os_table.txt
  contains os_table.txt "3 of 11 hits" "--opensearch table shows the total from hits.total"
  expect_exit 1 "--opensearch: a missing index exits 1" "$SLUICE" search nosuch x "${OS[@]}"
  contains "$WORK/.err" "index_not_found_exception" "the server's reason is shown"
  expect_exit 1 "--opensearch: wrong password exits 1" env OPENSEARCH_PASSWORD=wrong "$SLUICE" search applogs x "${OS[@]}"
else
  fail "OpenSearch stand-in starts: $(head -c 300 "$WORK/.server-err" 2>/dev/null)"
fi
