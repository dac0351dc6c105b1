#!/usr/bin/env bash
# End-to-end: the multi-output transforms split_rows, split_fields and
# relationalize (outputs named NODE.PORT) and repartition, through `sluice
# run` with write_file. Outputs are checked against Python references on
# random nested data (nulls, missing fields, empty and nested arrays), with 1
# and 4 threads; relationalize against a Python reimplementation of Glue's
# documented algorithm with sluice's key scheme.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}

# ---- random nested input: 5 small files (one split each, in name order)
mkdir -p in
"$PY" - <<'PYEOF'
import json, random
random.seed(7)
def scalar():
    return random.choice([None, random.randrange(-50, 50), round(random.uniform(-9, 9), 2), "s%d" % random.randrange(9), True])
def elem(depth):
    u = random.random()
    if depth < 2 and u < 0.2:
        return [elem(depth + 1) for _ in range(random.randrange(0, 3))]
    if u < 0.6:
        r = {"k": scalar()}
        if random.random() < 0.5: r["d"] = {"e": scalar()}
        if depth < 2 and random.random() < 0.4: r["sub"] = [elem(depth + 1) for _ in range(random.randrange(0, 3))]
        if random.random() < 0.1: r["empty"] = {}
        return r
    return scalar()
n = 0
for f in range(5):
    with open(f"in/f{f}.json", "w") as out:
        for i in range(random.randrange(150, 400)):
            r = {"id": n}
            u = random.random()
            if u < 0.8: r["age"] = random.choice([None, random.randrange(0, 90), "x%d" % i if i % 97 == 0 else random.randrange(0, 90)])
            if random.random() < 0.7: r["name"] = {"first": "f%d" % i, "last": random.choice([None, "l"]), "m": {"x": i}}
            if random.random() < 0.8: r["tags"] = [scalar() for _ in range(random.randrange(0, 4))]
            elif random.random() < 0.5: r["tags"] = None
            if random.random() < 0.7: r["items"] = [elem(0) for _ in range(random.randrange(0, 4))]
            if random.random() < 0.3: r["meta"] = {"list": [random.randrange(5) for _ in range(random.randrange(0, 3))], "z": None}
            out.write(json.dumps(r) + "\n")
            n += 1
PYEOF

# ---- split_rows: both ports, each read by two consumers (a target and a transform), union of both
cat > rows.yaml <<'YAML'
args: {threads: "1", out: out/rows1}
settings: {threads: "${threads}", error_output: "${out}/errors"}
nodes:
  src: {type: read_file, path: in}
  s: {type: split_rows, input: src, condition: "cast(age as long) >= 18"}
  adults: {type: write_file, input: s.matched, path: "${out}/adults"}
  others: {type: write_file, input: s.rest, path: "${out}/others"}
  adult_ids: {type: select_fields, input: s.matched, fields: [id]}
  ids: {type: write_file, input: adult_ids, path: "${out}/adult_ids"}
  young: {type: filter, input: s.rest, condition: "age < 10"}
  kids: {type: write_file, input: young, path: "${out}/kids"}
  both: {type: union, inputs: [s.matched, s.rest]}
  all: {type: write_file, input: both, path: "${out}/all"}
YAML
expect_exit 0 "split_rows, 1 thread" run rows.yaml
expect_exit 0 "split_rows, 4 threads" run rows.yaml --arg threads=4 --arg out=out/rows4
check "split_rows: same outputs with 1 and 4 threads" bash -c '
  for d in adults others adult_ids kids all; do cmp <(awk 1 out/rows1/$d/part-*) <(awk 1 out/rows4/$d/part-*) || exit 1; done'
check "split_rows equals the Python reference (matched, rest, both consumers, union, rejects)" "$PY" - out/rows4 <<'PYEOF'
import glob, json, sys
o = sys.argv[1]
recs = [json.loads(l) for f in sorted(glob.glob("in/*.json")) for l in open(f)]
def read(d): return [json.loads(l) for f in sorted(glob.glob(f"{o}/{d}/part-*")) for l in open(f)]
def age(r):  # cast(age as long): ints as they are, "x.." fails, null/missing unknown
    a = r.get("age")
    if isinstance(a, str): raise ValueError
    return a
matched, rest, bad = [], [], []
for r in recs:
    try: a = age(r)
    except ValueError: bad.append(r); continue
    (matched if a is not None and a >= 18 else rest).append(r)
assert read("adults") == matched, "adults"
assert read("others") == rest, "others"
assert read("adult_ids") == [{"id": r["id"]} for r in matched], "ids"
assert read("kids") == [r for r in rest if r.get("age") is not None and r["age"] < 10], "kids"
assert sorted(r["id"] for r in read("all")) == sorted(r["id"] for r in matched + rest), "union"
errs = [json.loads(l) for f in glob.glob(f"{o}/errors/*") for l in open(f)]
assert len(bad) > 0 and len(errs) == len(bad), (len(errs), len(bad))
PYEOF

# ---- split_fields: nested paths, missing fields
cat > fields.yaml <<'YAML'
args: {threads: "1", out: out/fields1}
settings: {threads: "${threads}"}
nodes:
  src: {type: read_file, path: in}
  s: {type: split_fields, input: src, fields: [name.first, tags, id]}
  sel: {type: write_file, input: s.selected, path: "${out}/selected"}
  rest: {type: write_file, input: s.rest, path: "${out}/rest"}
YAML
expect_exit 0 "split_fields, 1 thread" run fields.yaml
expect_exit 0 "split_fields, 4 threads" run fields.yaml --arg threads=4 --arg out=out/fields4
check "split_fields: same outputs with 1 and 4 threads" bash -c '
  cmp <(awk 1 out/fields1/selected/part-*) <(awk 1 out/fields4/selected/part-*) &&
  cmp <(awk 1 out/fields1/rest/part-*) <(awk 1 out/fields4/rest/part-*)'
check "split_fields equals the Python reference" "$PY" - out/fields4 <<'PYEOF'
import glob, json, sys
o = sys.argv[1]
recs = [json.loads(l) for f in sorted(glob.glob("in/*.json")) for l in open(f)]
def read(d): return [json.loads(l) for f in sorted(glob.glob(f"{o}/{d}/part-*")) for l in open(f)]
sel, rest = [], []
for r in recs:
    s = {}
    if isinstance(r.get("name"), dict) and "first" in r["name"]: s["name"] = {"first": r["name"]["first"]}
    for k in ("tags", "id"):
        if k in r: s[k] = r[k]
    sel.append(s)
    t = {k: v for k, v in r.items() if k not in ("tags", "id")}
    if isinstance(t.get("name"), dict): t["name"] = {k: v for k, v in t["name"].items() if k != "first"}
    rest.append(t)
got_sel, got_rest = read("selected"), read("rest")
assert [list(x.items()) for x in got_sel] == [list(x.items()) for x in sel], "selected"
assert [list(x.items()) for x in got_rest] == [list(x.items()) for x in rest], "rest"
PYEOF

# ---- relationalize against a reimplementation of Glue's algorithm
cat > rel.yaml <<'YAML'
args: {threads: "1", out: out/rel1}
settings: {threads: "${threads}"}
nodes:
  src: {type: read_file, path: in}
  r: {type: relationalize, input: src}
  root: {type: write_file, input: r.root, path: "${out}/root"}
  tags: {type: write_file, input: r.root_tags, path: "${out}/root_tags"}
  items: {type: write_file, input: r.root_items, path: "${out}/root_items"}
  items_val: {type: write_file, input: r.root_items_val, path: "${out}/root_items_val"}
  items_sub: {type: write_file, input: r.root_items_val_sub, path: "${out}/root_items_val_sub"}
  items_sub_sub: {type: write_file, input: r.root_items_val_sub_val_sub, path: "${out}/root_items_val_sub_val_sub"}
  meta_list: {type: write_file, input: r.root_meta_list, path: "${out}/root_meta_list"}
  items_again: {type: write_file, input: r.root_items, path: "${out}/items_again"}
YAML
expect_exit 0 "relationalize, 1 thread" run rel.yaml
expect_exit 0 "relationalize, 4 threads" run rel.yaml --arg threads=4 --arg out=out/rel4
check "relationalize: same frames with 1 and 4 threads" bash -c '
  for d in out/rel1/*; do cmp <(awk 1 $d/part-*) <(awk 1 out/rel4/${d#out/rel1/}/part-*) || exit 1; done'
check "relationalize: a frame read twice is written twice" bash -c 'cmp <(awk 1 out/rel4/root_items/part-*) <(awk 1 out/rel4/items_again/part-*)'
check "relationalize equals the Python reimplementation of Glue's algorithm (keys included)" "$PY" - out/rel4 <<'PYEOF'
import glob, json, sys
o = sys.argv[1]
frames = {}
class Walk:
    def __init__(self, split): self.split, self.n = split, 0
    def key(self):
        self.n += 1
        return (self.split << 40) + self.n
def nonempty_struct(v): return isinstance(v, dict) and len(v) > 0
def columns(w, v, prefix, row):
    for name, val in v.items():
        col = f"{prefix}.{name}" if prefix else name
        if nonempty_struct(val):
            columns(w, val, col, row)
        elif isinstance(val, list):
            k = w.key()
            row.append((col, k))
            pivot(w, val, col, k)
        else:
            row.append((col, val))
def pivot(w, lst, col, key):
    frame = "root_" + col.replace(".", "_")
    rows = frames.setdefault(frame, [])
    for j, e in enumerate(lst):
        row = [("id", key), ("index", j)]
        if nonempty_struct(e):
            columns(w, e, col + ".val", row)
        elif isinstance(e, list):
            k = w.key()
            row.append((col + ".val", k))
            pivot(w, e, col + ".val", k)
        else:
            row.append((col + ".val", e))
        rows.append(row)
for split, f in enumerate(sorted(glob.glob("in/*.json"))):
    w = Walk(split)
    for l in open(f):
        row = []
        columns(w, json.loads(l), "", row)
        frames.setdefault("root", []).append(row)
checked = 0
for d in sorted(glob.glob(o + "/root*")):
    name = d[len(o) + 1:]
    got = [list(json.loads(l).items()) for f in sorted(glob.glob(d + "/part-*")) for l in open(f)]
    want = frames.get(name, [])
    assert got == want, (name, len(got), len(want), next((g, w) for g, w in zip(got + [None] * 9, want + [None] * 9) if g != w))
    checked += 1
assert checked == 7, checked
assert all(len(frames[n]) > 0 for n in ("root_items_val", "root_items_val_sub", "root_items_val_sub_val_sub"))
PYEOF
check "relationalize: every child row joins to exactly one parent key" "$PY" - out/rel4 <<'PYEOF'
import glob, json, sys
o = sys.argv[1]
def read(n): return [json.loads(l) for f in sorted(glob.glob(f"{o}/{n}/part-*")) for l in open(f)]
def keys(rows, col):
    ks = [r[col] for r in rows if isinstance(r.get(col), int)]
    assert len(ks) == len(set(ks)), col
    return set(ks)
root, items, sub = read("root"), read("root_items"), read("root_items_val_sub")
assert {r["id"] for r in items} <= keys(root, "items")
assert {r["id"] for r in sub} <= keys(items, "items.val.sub")
all_keys = [r[c] for rows, cols in ((root, ("tags", "items", "meta.list")),) for r in rows for c in cols if isinstance(r.get(c), int)]
assert len(all_keys) == len(set(all_keys))
PYEOF

# ---- two outputs of one node joined back together (one child reading both)
cat > joinback.yaml <<'YAML'
args: {threads: "1", out: out/jb1}
settings: {threads: "${threads}"}
nodes:
  src: {type: read_file, path: in}
  r: {type: relationalize, input: src}
  j: {type: join, inputs: [r.root, r.root_tags], left_keys: [tags], right_keys: [id]}
  out: {type: write_file, input: j, path: "${out}"}
  s: {type: split_rows, input: src, condition: "id % 2 = 0"}
  pairs: {type: join, inputs: [s.matched, s.rest], left_keys: ["id + 1"], right_keys: [id]}
  pout: {type: write_file, input: pairs, path: "${out}_pairs"}
YAML
expect_exit 0 "join of relationalize's root and an array frame, 1 thread" run joinback.yaml
expect_exit 0 "join of relationalize's root and an array frame, 4 threads" run joinback.yaml --arg threads=4 --arg out=out/jb4
check "join of two outputs of one node: same with 1 and 4 threads" bash -c '
  cmp <(awk 1 out/jb1/part-*) <(awk 1 out/jb4/part-*) && cmp <(awk 1 out/jb1_pairs/part-*) <(awk 1 out/jb4_pairs/part-*)'
check "root joined to root_tags gives back every (record, tag) pair; matched joined to rest pairs each even id with the next" "$PY" - out/jb4 <<'PYEOF'
import glob, json, sys
o = sys.argv[1]
recs = [json.loads(l) for f in sorted(glob.glob("in/*.json")) for l in open(f)]
got = sorted((r["id"], r["index"], json.dumps(r["tags.val"])) for f in glob.glob(o + "/part-*") for l in open(f) for r in [json.loads(l)])
want = sorted((r["id"], j, json.dumps(t)) for r in recs if isinstance(r.get("tags"), list) for j, t in enumerate(r["tags"]))
assert got == want, (len(got), len(want))
pairs = sorted(json.loads(l)["id"] for f in glob.glob(o + "_pairs/part-*") for l in open(f))
ids = {r["id"] for r in recs}
assert pairs == sorted(i for i in ids if i % 2 == 0 and i + 1 in ids), len(pairs)
PYEOF

# ---- repartition
cat > rep.yaml <<'YAML'
args: {threads: "1", out: out/rep1, mem: 1GB}
settings: {threads: "${threads}", memory_limit: "${mem}"}
nodes:
  src: {type: read_file, path: in}
  p: {type: repartition, input: src, partitions: 4}
  out: {type: write_file, input: p, path: "${out}/rr"}
  h: {type: repartition, input: src, partitions: 3, keys: ["name.last", "id % 3"]}
  hout: {type: write_file, input: h, path: "${out}/hash"}
YAML
expect_exit 0 "repartition, 1 thread" run rep.yaml
expect_exit 0 "repartition, 4 threads, spilling" run rep.yaml --arg threads=4 --arg out=out/rep4 --arg mem=1MB
check "repartition: same part files with 1 and 4 threads, spilled or not" bash -c '
  for d in rr hash; do
    a=(out/rep1/$d/part-*) b=(out/rep4/$d/part-*)
    [ ${#a[@]} -eq ${#b[@]} ] || exit 1
    for i in "${!a[@]}"; do cmp "${a[$i]}" "${b[$i]}" || exit 1; done
  done'
check "repartition: round robin gives 4 even parts in input order; hash keeps each key in one part" "$PY" - out/rep4 <<'PYEOF'
import glob, json, sys
o = sys.argv[1]
recs = [json.loads(l) for f in sorted(glob.glob("in/*.json")) for l in open(f)]
rr = [[json.loads(l) for l in open(f)] for f in sorted(glob.glob(o + "/rr/part-*"))]
assert len(rr) == 4
sizes = [len(p) for p in rr]
assert max(sizes) - min(sizes) <= 5, sizes              # at most one extra per input split
for p in rr: assert [r["id"] for r in p] == sorted(r["id"] for r in p)
assert sorted(json.dumps(r) for p in rr for r in p) == sorted(json.dumps(r) for r in recs)
hp = [[json.loads(l) for l in open(f)] for f in sorted(glob.glob(o + "/hash/part-*"))]
assert 2 <= len(hp) <= 3
def key(r):
    n = r.get("name")
    last = n.get("last") if isinstance(n, dict) else None
    return (last, r["id"] % 3)
where = {}
for i, p in enumerate(hp):
    assert [r["id"] for r in p] == sorted(r["id"] for r in p)
    for r in p: assert where.setdefault(key(r), i) == i, key(r)
assert sum(len(p) for p in hp) == len(recs)
PYEOF

# ---- empty input
mkdir -p empty && : > empty/e.json
cat > empty.yaml <<'YAML'
nodes:
  src: {type: read_file, path: empty}
  s: {type: split_rows, input: src, condition: "a > 1"}
  r: {type: relationalize, input: s.rest}
  p: {type: repartition, input: r.root, partitions: 2}
  out: {type: write_file, input: p, path: out/empty}
YAML
expect_exit 0 "empty input through split_rows, relationalize and repartition" run empty.yaml
check "empty input writes no records" bash -c '[ -z "$(cat out/empty/part-* 2>/dev/null)" ]'

# ---- validation of output names
bad() { # $1 = input text for the target, $2 = node definition
  printf 'nodes:\n  src: {type: read_file, path: in}\n  %s\n  out: {type: write_file, input: %s, path: out/bad}\n' "$2" "$1" > bad.yaml
  "$SLUICE" validate bad.yaml
}
expect_exit 2 "a multi-output node without a port is rejected" bad s 's: {type: split_rows, input: src, condition: "age > 1"}'
contains .err "node type 'split_rows' has several outputs; name one, as in 's.matched' (outputs: matched, rest)" \
  "the message names the outputs"
expect_exit 2 "an unknown port is rejected" bad s.matchd 's: {type: split_rows, input: src, condition: "age > 1"}'
contains .err "node 's' (type 'split_rows') has no output 'matchd'" "the message names the node and the port"
contains .err "matched" "the message suggests the close port name"
expect_exit 2 "a port on a single-output node is rejected" bad f.rest 'f: {type: filter, input: src, condition: "age > 1"}'
contains .err "input 'f.rest': node 'f' (type 'filter') has one output; write 'f'" "the message says to drop the port"
expect_exit 2 "split_fields without a port is rejected" bad sf 'sf: {type: split_fields, input: src, fields: [id]}'
contains .err "(outputs: selected, rest)" "split_fields lists its outputs"
expect_exit 2 "a relationalize frame not named after the root is rejected" bad r.items 'r: {type: relationalize, input: src}'
contains .err "relationalize has no output 'items'" "the message explains frame names"
expect_exit 2 "relationalize without a frame name is rejected" bad r 'r: {type: relationalize, input: src}'
expect_exit 0 "relationalize with its own root name validates" bad r.doc_items 'r: {type: relationalize, input: src, root: doc}'
expect_exit 2 "repartition needs partitions" bad p 'p: {type: repartition, input: src}'
expect_exit 2 "repartition rejects a bad key expression" bad p 'p: {type: repartition, input: src, partitions: 2, keys: ["age +"]}'
contains .err "key 1:" "the message names the key"

# ---- help and reference
"$SLUICE" help split_rows > help.txt 2>&1
contains help.txt "Outputs: \`matched\`" "sluice help split_rows names the outputs"
"$SLUICE" help relationalize > help.txt 2>&1
contains help.txt "root_PATH" "sluice help relationalize explains frame names"
contains "$SLUICE_TOP/docs/job-reference.md" "### \`repartition\` (transform)" "job-reference.md documents repartition"
