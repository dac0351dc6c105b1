#!/usr/bin/env bash
# End-to-end: aggregate, limit, dedupe, union, drop_null_fields, fill_missing,
# spigot, resolve_choice, unbox and flatten through `sluice run`.
# aggregate and dedupe are checked against a Python reference on random
# data, in memory and spilling, with 1 and 4 threads.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}

# ---- random input: 6 files (several splits), nulls, missing fields, mixed numbers
mkdir -p in
"$PY" - <<'PYEOF'
import json, random
random.seed(42)
seq = 0
for f in range(6):
    with open(f"in/part-{f}.json", "w") as out:
        for i in range(6000):
            r = {"id": seq, "g": f"g{random.randrange(700)}", "h": random.choice(["x", "y", None])}
            u = random.random()
            if u < 0.1:
                r["v"] = None
            elif u < 0.15:
                pass                                   # missing
            elif u < 0.6:
                r["v"] = random.randrange(-1000, 1000)
            else:
                r["v"] = round(random.uniform(-100, 100), 3)
            if random.random() < 0.9:
                r["w"] = random.choice("abcdefghij") * random.randrange(1, 4)
            out.write(json.dumps(r) + "\n")
            seq += 1
PYEOF

cat > agg.yaml <<'YAML'
args: {threads: "1", out: out/agg, mem: 1GB}
settings: {threads: "${threads}", memory_limit: "${mem}"}
nodes:
  src: {type: read_file, path: in}
  agg:
    type: aggregate
    input: src
    group_by: [g, h]
    aggregates: {n: "count(*)", nv: count(v), s: sum(v), a: avg(v), mn: min(v), mx: max(w), d: count_distinct(w),
                 f: first(id), l: last(v), sd: stddev_pop(v)}
  out: {type: write_file, input: agg, path: "${out}"}
YAML
expect_exit 0 "aggregate, 1 thread, in memory" run agg.yaml --arg out=out/agg1
expect_exit 0 "aggregate, 4 threads, spilling (memory_limit 1MB)" run agg.yaml --arg threads=4 --arg mem=1MB --arg out=out/agg4
expect_exit 0 "aggregate, 2 threads, spilling" run agg.yaml --arg threads=2 --arg mem=1MB --arg out=out/agg2
check "aggregate output identical with 1, 2 and 4 threads, spilled or not" \
  bash -c 'cmp <(parts out/agg1) <(parts out/agg4) && cmp <(parts out/agg1) <(parts out/agg2)'
check "aggregate equals the Python reference (sorted by key)" "$PY" - out/agg4 <<'PYEOF'
import glob, json, math, sys
recs = []
for f in sorted(glob.glob("in/part-*.json")):
    recs += [json.loads(l) for l in open(f)]
groups = {}
for r in recs:
    groups.setdefault((r["g"], r["h"]), []).append(r)
def key(k):  # sluice orders null first, then strings
    return tuple((0, "") if x is None else (1, x) for x in k)
want = []
for k in sorted(groups, key=key):
    rs = groups[k]
    vs = [r["v"] for r in rs if r.get("v") is not None]
    ws = [r["w"] for r in rs if r.get("w") is not None]
    mean = sum(vs) / len(vs) if vs else None
    want.append({"g": k[0], "h": k[1], "n": len(rs), "nv": len(vs), "s": sum(vs) if vs else None, "a": mean,
                 "mn": min(vs) if vs else None, "mx": max(ws) if ws else None, "d": len(set(ws)),
                 "f": rs[0]["id"], "l": rs[-1].get("v"),
                 "sd": math.sqrt(sum((x - mean) ** 2 for x in vs) / len(vs)) if vs else None})
got = [json.loads(l) for f in sorted(glob.glob(sys.argv[1] + "/part-*")) for l in open(f)]
def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return a == b
bad = [(w, g) for w, g in zip(want, got) if w.keys() != g.keys() or not all(close(w[x], g[x]) for x in w)]
if len(want) != len(got) or bad:
    print(len(want), len(got), bad[:3], file=sys.stderr)
    sys.exit(1)
PYEOF

# ---- limit and dedupe: deterministic whatever the thread count
cat > rows.yaml <<'YAML'
args: {threads: "1", out: out/rows}
settings: {threads: "${threads}", memory_limit: 1MB}
nodes:
  src: {type: read_file, path: in}
  lim: {type: limit, input: src, n: 8000}
  lim_out: {type: write_file, input: lim, path: "${out}/limit"}
  first: {type: dedupe, input: src, keys: [g]}
  first_out: {type: write_file, input: first, path: "${out}/first"}
  last: {type: dedupe, input: src, keys: [g, h], keep: last}
  last_out: {type: write_file, input: last, path: "${out}/last"}
YAML
expect_exit 0 "limit and dedupe, 1 thread" run rows.yaml --arg out=out/rows1
expect_exit 0 "limit and dedupe, 2 threads" run rows.yaml --arg threads=2 --arg out=out/rows2
for n in limit first last; do
  check "$n: same output with 1 and 2 threads" bash -c "cmp <(parts out/rows1/$n) <(parts out/rows2/$n)"
done
check "limit keeps the first 8000 records in input order; dedupe keeps first/last per key in input order" \
  "$PY" - <<'PYEOF'
import glob, json, sys
recs = [json.loads(l) for f in sorted(glob.glob("in/part-*.json")) for l in open(f)]
def got(n): return [json.loads(l) for f in sorted(glob.glob(f"out/rows2/{n}/part-*")) for l in open(f)]
first, last = {}, {}
for r in recs:
    first.setdefault(r["g"], r)
    last[(r["g"], r["h"])] = r
ok = got("limit") == recs[:8000]
ok &= got("first") == sorted(first.values(), key=lambda r: r["id"])
ok &= got("last") == sorted(last.values(), key=lambda r: r["id"])
sys.exit(0 if ok else 1)
PYEOF

# ---- union: several parents, schemas merged by name
printf '{"a":1}\n{"a":2}\n' > x.json
printf '{"b":"x"}\n{"a":3}\n' > y.json
cat > union.yaml <<'YAML'
nodes:
  x: {type: read_file, path: x.json}
  y: {type: read_file, path: y.json}
  u: {type: union, inputs: [x, y]}
  out: {type: write_file, input: u, path: out/union}
  s: {type: sort, input: y, keys: [a]}
  u2: {type: union, inputs: [x, s]}
  n: {type: aggregate, input: u2, aggregates: {n: "count(*)"}}
  n_out: {type: write_file, input: n, path: out/count}
  d: {type: union, inputs: [x, y, u], distinct: true}
  d_out: {type: write_file, input: d, path: out/distinct}
YAML
expect_exit 0 "union job runs" run union.yaml
check "union of two sources writes every record" \
  bash -c '[ "$(parts out/union | sort | tr -d "\n")" = "{\"a\":1}{\"a\":2}{\"a\":3}{\"b\":\"x\"}" ]'
check "a breaker after a union waits for every input (source and sort)" \
  bash -c '[ "$(parts out/count)" = "{\"n\":4}" ]'
check "union distinct keeps each record once" bash -c '[ "$(parts out/distinct | grep -c .)" -eq 4 ]'

# ---- record shape: drop_null_fields, fill_missing, flatten, unbox, resolve_choice, spigot
cat > shape.json <<'J'
{"id":1,"p":1,"meta":{"host":"h1","tags":["a"],"z":null},"raw":"{\"k\":[1,2]}","line":"1,\"x,y\",2.5"}
{"id":2,"p":"2","meta":{"host":null},"raw":"{bad","line":"7"}
{"id":3,"p":null,"raw":null}
J
cat > shape.yaml <<'YAML'
settings: {error_output: errs}
nodes:
  src: {type: read_file, path: shape.json}
  dn: {type: drop_null_fields, input: src}
  dn_out: {type: write_file, input: dn, path: out/dn}
  fm: {type: fill_missing, input: src, defaults: {p: 0, meta.host: unknown}}
  fm_out: {type: write_file, input: fm, path: out/fm}
  fl: {type: flatten, input: src}
  fl_out: {type: write_file, input: fl, path: out/fl, format: csv}
  ub: {type: unbox, input: src, path: raw}
  ub_out: {type: write_file, input: ub, path: out/ub}
  uc: {type: unbox, input: src, path: line, format: csv, columns: [n, s, d]}
  uc_out: {type: write_file, input: uc, path: out/uc}
  rc: {type: resolve_choice, input: src, choice: make_cols}
  rc_out: {type: write_file, input: rc, path: out/rc}
  sp: {type: spigot, input: src, path: out/sample.json, topk: 2}
  sp_out: {type: write_file, input: sp, path: out/sp}
YAML
expect_exit 0 "shape job runs (one bad JSON string to the error output)" run shape.yaml
contains <(parts out/dn | sed -n 2p) '{"id":2,"p":"2","meta":{},"raw":"{bad","line":"7"}' "drop_null_fields removes nested nulls"
contains <(parts out/fm | sed -n 3p) '{"id":3,"p":0,"raw":null,"meta":{"host":"unknown"}}' "fill_missing fills null and missing fields"
contains <(parts out/fl | head -1) 'id,p,meta.host,meta.tags,meta.z,raw,line' "flatten makes dotted CSV columns"
contains <(parts out/ub | head -1) '"raw":{"k":[1,2]}' "unbox parses JSON"
check "unbox sends the bad string to the error output" bash -c 'grep -q "unbox .raw. as json" errs/errors-*.jsonl'
contains <(parts out/uc | head -1) '"line":{"n":1,"s":"x,y","d":2.5}' "unbox parses a CSV line"
contains <(parts out/rc | head -2 | tail -1) '"p_long":null,"p_string":"2"' "resolve_choice make_cols over the frame's choice field"
check "spigot writes the first 2 records" bash -c '[ "$(grep -c . out/sample.json)" -eq 2 ] && grep -q "\"id\":1" out/sample.json'
check "spigot passes every record on" bash -c '[ "$(parts out/sp | grep -c .)" -eq 3 ]'

# ---- help and validation
expect_exit 0 "sluice help aggregate" "$SLUICE" help aggregate
contains "$WORK/.out" "count_distinct" "help lists the aggregate functions"
cat > bad.yaml <<'YAML'
nodes:
  src: {type: read_file, path: x.json}
  agg: {type: aggregate, input: src, aggregates: {n: "median(a)"}}
  out: {type: write_file, input: agg, path: out/bad}
YAML
expect_exit 2 "an unknown aggregate function is a validation error" "$SLUICE" run bad.yaml
contains "$WORK/.err" "unknown function 'median'" "the message names the function"
