#!/usr/bin/env bash
# End-to-end: the `sql` transform through `sluice run`. Every query runs with
# 1 and 4 threads, in memory and past a small memory_limit (spilled rows),
# and must equal Python's sqlite3 module running the same query over the
# same records loaded into ordinary tables (declared with the column types
# sluice declares), row for row and type for type. Then what validation
# reports: bad SQL, writes, unknown columns.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}

# ---- random input: orders in 5 files (several splits), customers in one; nulls, missing fields, nested values
mkdir -p orders customers
"$PY" - <<'PYEOF'
import json, random
random.seed(7)
oid = 0
for f in range(5):
    with open(f"orders/part-{f}.json", "w") as out:
        for i in range(4000):
            r = {"id": oid, "cid": random.randrange(260), "amount": round(random.uniform(0, 500), 2),
                 "qty": random.randrange(1, 20)}
            u = random.random()
            if u < 0.8:
                r["status"] = random.choice(["open", "shipped", "closed"])
            elif u < 0.9:
                r["status"] = None
            r["tags"] = random.sample(["a", "b", "c", "d"], random.randrange(0, 4))
            r["meta"] = {"src": random.choice(["web", "app", "phone"]), "n": random.randrange(5)}
            if random.random() < 0.05:
                r["note"] = "x" * random.randrange(1, 300)
            out.write(json.dumps(r) + "\n")
            oid += 1
with open("customers/customers.json", "w") as out:
    for c in range(250):
        r = {"cid": c, "name": f"cust{c}", "region": random.choice(["eu", "us", "apac", None])}
        if random.random() < 0.3:
            r["score"] = random.choice([1, 2.5, 3])   # longs and doubles in one column
        out.write(json.dumps(r) + "\n")
PYEOF

cat > q.yaml <<'YAML'
args: {threads: "1", mem: 1GB, out: out/q}
settings: {threads: "${threads}", memory_limit: "${mem}"}
nodes:
  orders: {type: read_file, path: orders}
  customers: {type: read_file, path: customers}
  q:
    type: sql
    inputs: [orders, customers]
    tables: [o, c]
    query: "${query}"
  out: {type: write_file, input: q, path: "${out}"}
YAML

# The reference: same records in tables whose declared types follow sluice's rule (one kind of value →
# its type; long+double → no type; nested → JSON text), then the query; rows compared as JSON values.
# Sums are rounded in the queries: the reference may join in another order.
cat > ref.py <<'PYEOF'
import glob, json, sqlite3, sys
query, outdir = sys.argv[1], sys.argv[2]
# a column declared JSON comes back parsed, as sluice gives nested values back
sqlite3.register_converter("JSON", json.loads)
db = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
def load(name, files):
    recs = [json.loads(l) for f in files for l in open(f)]
    cols, kinds = [], {}
    for r in recs:
        for k, v in r.items():
            if k not in kinds: cols.append(k); kinds[k] = set()
            if v is not None: kinds[k].add("json" if isinstance(v, (list, dict)) else type(v).__name__)
    def decl(k):
        s = kinds[k]
        if s == {"int"}: return "INTEGER"
        if s == {"float"}: return "REAL"
        if s == {"str"}: return "TEXT"
        if s == {"json"}: return "JSON"
        return ""
    db.execute(f"CREATE TABLE {name} (" + ", ".join(f'"{k}" {decl(k)}' for k in cols) + ")")
    def val(v):
        return json.dumps(v, separators=(",", ":")) if isinstance(v, (list, dict)) else v
    db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})",
                   [[val(r.get(k)) for k in cols] for r in recs])
load("o", sorted(glob.glob("orders/*.json")))
load("c", sorted(glob.glob("customers/*.json")))
cur = db.execute(query)
names = [d[0] for d in cur.description]
want = [dict(zip(names, row)) for row in cur]
got = [json.loads(l) for f in sorted(glob.glob(outdir + "/part-*")) for l in open(f)]
def same(a, b):
    return type(a) is type(b) and a == b
bad = [i for i, (g, w) in enumerate(zip(got, want))
       if list(g) != list(w) or not all(same(g[k], w[k]) for k in w)]
if len(got) != len(want) or bad:
    i = bad[0] if bad else min(len(got), len(want))
    print(f"{len(got)} rows, want {len(want)}; first difference at row {i}:",
          got[i] if i < len(got) else None, want[i] if i < len(want) else None, file=sys.stderr)
    sys.exit(1)
if not want:
    print("reference query returned no rows", file=sys.stderr); sys.exit(1)
PYEOF

queries=(
  "SELECT c.region, count(*) AS n, round(sum(o.amount), 2) AS total, avg(o.qty) AS q, max(c.score) AS ms FROM o JOIN c ON c.cid = o.cid GROUP BY c.region ORDER BY c.region"
  "SELECT id, cid, amount, rank() OVER (PARTITION BY cid ORDER BY amount DESC, id) AS r, sum(qty) OVER (PARTITION BY cid ORDER BY id) AS running FROM o WHERE status = 'open' ORDER BY cid, r LIMIT 3000"
  "SELECT json_extract(meta, '\$.src') AS src, count(*) AS n, max(json_array_length(tags)) AS mt, sum(json_extract(meta, '\$.n')) AS sn FROM o GROUP BY 1 ORDER BY 1"
  "SELECT o.id, o.status, c.name, length(o.note) AS ln FROM o LEFT JOIN c ON c.cid = o.cid WHERE c.cid IS NULL OR o.status IS NULL ORDER BY o.id"
  "SELECT * FROM c"
  "SELECT * FROM o WHERE id % 97 = 0"
  "WITH big AS (SELECT cid, sum(amount) AS s FROM o GROUP BY cid HAVING s > 22000) SELECT c.name, round(big.s, 2) AS s, (SELECT count(*) FROM o WHERE o.cid = big.cid AND o.qty > 10) AS many FROM big JOIN c USING (cid) ORDER BY big.s DESC"
  "SELECT t.value AS tag, count(*) AS n FROM o, json_each(o.tags) AS t GROUP BY t.value ORDER BY n DESC, tag"
)
for i in "${!queries[@]}"; do
  q=${queries[$i]}
  expect_exit 0 "query $i, 1 thread" run q.yaml --arg "query=$q" --arg out=out/q$i-1
  check "query $i equals Python's sqlite3 over tables" "$PY" ref.py "$q" out/q$i-1
  expect_exit 0 "query $i, 4 threads, spilling (memory_limit 1MB)" \
    run q.yaml --arg "query=$q" --arg out=out/q$i-4 --arg threads=4 --arg mem=1MB
  check "query $i: same output with 1 thread in memory and 4 threads spilled" cmp <(parts out/q$i-1) <(parts out/q$i-4)
done
check "one output file (the query's order is one partition)" test "$(ls out/q0-4 | grep -c '^part-')" -eq 1

# ---- what validation reports
cat > bad.yaml <<'YAML'
args: {query: "SELECT 1"}
nodes:
  src: {type: read_file, path: customers}
  q: {type: sql, input: src, query: "${query}"}
  out: {type: write_file, input: q, path: out/bad}
YAML
expect_exit 2 "a syntax error fails validation" "$SLUICE" validate bad.yaml --arg "query=SELECT cid FORM src"
contains .err "node 'q'" "the message names the node"
contains .err 'near "src": syntax error (query line 1, column 17)' "and carries SQLite's message and where"
expect_exit 2 "an unknown table fails validation" "$SLUICE" validate bad.yaml --arg "query=SELECT * FROM nope"
contains .err "no such table: nope" "unknown table named"
expect_exit 2 "a write statement is refused" "$SLUICE" validate bad.yaml --arg "query=DELETE FROM src"
contains .err "may not be modified" "DELETE refused"
expect_exit 2 "ATTACH is refused" "$SLUICE" validate bad.yaml --arg "query=ATTACH 'x.db' AS x"
contains .err "ATTACH is not allowed" "ATTACH refused"
expect_exit 2 "PRAGMA is refused" "$SLUICE" validate bad.yaml --arg "query=PRAGMA writable_schema = 1"
contains .err "PRAGMA is not allowed" "PRAGMA refused"
check "nothing was written by refused statements" test ! -e x.db
expect_exit 0 "an unknown column passes validation (columns come with the data)" \
  "$SLUICE" validate bad.yaml --arg "query=SELECT nope FROM src"
expect_exit 1 "and fails the run" run bad.yaml --arg "query=SELECT nope FROM src"
contains .err "no such column: nope" "with SQLite's message"
contains .err "columns: src(cid, name, region, score)" "and the columns the table has"
check "a failed run publishes nothing" test ! -e out/bad
