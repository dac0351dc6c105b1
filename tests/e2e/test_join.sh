#!/usr/bin/env bash
# End-to-end: the join transform through `sluice run`. Every join kind on
# random data (several files, null and missing keys, long/double keys,
# duplicate keys on both sides, a nested key path, clashing field names) is
# compared record for record, in order, with a Python reference, with 1 and
# 4 threads, in memory and spilling; then validation errors, and (optimised
# build only) peak RSS under a small memory_limit.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}

# ---- random input: orders (left, 6 files) and customers (right, 4 files)
mkdir -p orders customers
"$PY" - <<'PYEOF'
import json, random
random.seed(7)
def key(r, n):
    u = r.random()
    if u < 0.05: return "null"
    if u < 0.10: return None              # missing
    k = r.randrange(n)
    return k if u < 0.7 else float(k)     # 3 and 3.0 are the same key
o = 0
for f in range(6):
    with open(f"orders/part-{f}.json", "w") as out:
        for i in range(1500):
            rec = {"id": o, "amount": round(random.uniform(0, 500), 2)}
            k = key(random, 5000)
            if k == "null": rec["cust_id"] = None
            elif k is not None: rec["cust_id"] = k
            if random.random() < 0.1: rec["note"] = random.choice(["gift", "rush", "return"])
            out.write(json.dumps(rec) + "\n")
            o += 1
c = 0
for f in range(4):
    with open(f"customers/part-{f}.json", "w") as out:
        for i in range(1200):
            rec = {"id": f"C{c}", "name": "customer %d" % c, "tier": random.choice(["gold", "silver", None])}
            k = key(random, 5000)
            if k == "null": rec["metadata"] = {"id": None}
            elif k is not None: rec["metadata"] = {"id": k, "region": random.choice(["eu", "us"])}
            if random.random() < 0.05: rec["amount"] = 0          # a second clashing name
            out.write(json.dumps(rec) + "\n")
            c += 1
PYEOF

cat > join.yaml <<'YAML'
args: {kind: inner, build: right, threads: "1", mem: 1GB, out: out/j}
settings: {threads: "${threads}", memory_limit: "${mem}"}
nodes:
  orders: {type: read_file, path: orders, split_size: 64KB}
  customers: {type: read_file, path: customers, split_size: 64KB}
  j:
    type: join
    inputs: [orders, customers]
    join_type: "${kind}"
    left_keys: [cust_id]
    right_keys: [metadata.id]
    build: "${build}"
  out: {type: write_file, input: j, path: "${out}"}
YAML

cat > ref.py <<'PYEOF'
# The join as docs/join.md describes it, by brute force over the inputs.
import glob, json, sys
kind, build, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
def load(d):
    recs = []
    for f in sorted(glob.glob(d + "/*.json")):
        recs += [json.loads(l, object_pairs_hook=list) for l in open(f)]
    return recs
L, R = load("orders"), load("customers")
def get(rec, path):
    v = rec
    for seg in path.split("."):
        if not isinstance(v, list): return None
        v = dict(v).get(seg)
    return v
def norm(v):
    if v is None: return None
    if isinstance(v, bool): return ("b", v)
    if isinstance(v, float) and v.is_integer(): return ("n", int(v))
    if isinstance(v, (int, float)): return ("n", v)
    return ("s", json.dumps(v))
lk = [norm(get(r, "cust_id")) for r in L]
rk = [norm(get(r, "metadata.id")) for r in R]
def names(recs):
    seen = []
    for r in recs:
        for k, _ in r:
            if k not in seen: seen.append(k)
    return seen
ln, rn = names(L), names(R)
rename = {}
for n in rn:
    if n in ln:
        new = "right_" + n
        while new in ln or new in rn or new in rename.values(): new = "right_" + new
        rename[n] = new
def joined(l, r):
    left = l if l is not None else [[n, None] for n in ln]
    right = [[rename.get(k, k), v] for k, v in r] if r is not None else [[rename.get(n, n), None] for n in rn]
    return left + right
index = {}
for j, k in enumerate(rk if build == "right" else lk):
    if k is not None: index.setdefault(k, []).append(j)
out, matched = [], set()
probe, probe_keys = (L, lk) if build == "right" else (R, rk)
bside = R if build == "right" else L
for i, p in enumerate(probe):
    hits = index.get(probe_keys[i], []) if probe_keys[i] is not None else []
    matched.update(hits)
    if kind in ("inner", "left", "right", "outer"):
        for j in hits:
            out.append(joined(p, bside[j]) if build == "right" else joined(bside[j], p))
        if not hits and (kind in ("left", "outer") and build == "right" or kind in ("right", "outer") and build == "left"):
            out.append(joined(p, None) if build == "right" else joined(None, p))
    elif build == "right" and (kind == "left_semi") == bool(hits):
        out.append(p)
for j, b in enumerate(bside):
    m = j in matched
    if build == "right":
        if kind in ("right", "outer") and not m: out.append(joined(None, b))
    elif kind == "left_semi" and m or kind == "left_anti" and not m: out.append(b)
    elif kind in ("left", "outer") and not m: out.append(joined(b, None))
got = []
for f in sorted(glob.glob(outdir + "/part-*")):
    got += [json.loads(l, object_pairs_hook=list) for l in open(f)]
want = [json.dumps(r) for r in out]
got = [json.dumps(r) for r in got]
if got != want:
    bad = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
    sys.exit("%s/%s: %d records, want %d; first difference at %d:\n got  %s\n want %s" % (kind, build, len(got),
             len(want), bad, got[bad] if bad < len(got) else "-", want[bad] if bad < len(want) else "-"))
PYEOF

for kind in inner left right outer left_semi left_anti; do
  expect_exit 0 "$kind join, 1 thread, in memory" run join.yaml --arg kind=$kind --arg out=out/$kind-1
  expect_exit 0 "$kind join, 4 threads, spilling (memory_limit 1MB)" run join.yaml --arg kind=$kind --arg threads=4 \
    --arg mem=1MB --arg out=out/$kind-4
  check "$kind join: same output with 1 and 4 threads, spilled or not" cmp <(parts out/$kind-1) <(parts out/$kind-4)
  check "$kind join equals the Python reference, record for record and in order" "$PY" ref.py $kind right out/$kind-4
done
for kind in inner outer left_semi left_anti; do
  expect_exit 0 "$kind join, build: left, 2 threads, spilling" run join.yaml --arg kind=$kind --arg build=left \
    --arg threads=2 --arg mem=1MB --arg out=out/$kind-bl
  check "$kind join with build: left equals the Python reference" "$PY" ref.py $kind left out/$kind-bl
done
expect_exit 0 "Glue's equijoin is the inner join" run join.yaml --arg kind=equijoin --arg out=out/equi
check "equijoin output equals inner" cmp <(parts out/equi) <(parts out/inner-1)
check "the inner join found matches" test "$(parts out/inner-1 | wc -l)" -gt 1000

# The small memory limit really spills: with an unusable spill directory it
# fails saying so, while the in-memory run does not need one.
cat > nospill.yaml <<'YAML'
args: {mem: 1GB}
settings: {threads: 2, memory_limit: "${mem}", spill_dir: /nonexistent/sluice-spill}
nodes:
  orders: {type: read_file, path: orders}
  customers: {type: read_file, path: customers}
  j: {type: join, inputs: [orders, customers], left_keys: [cust_id], right_keys: [metadata.id]}
  out: {type: write_file, input: j, path: out/nospill}
YAML
expect_exit 0 "in memory the join needs no spill directory" run nospill.yaml
expect_exit 1 "with memory_limit 1MB the join spills (and fails on a missing spill directory)" run nospill.yaml \
  --arg mem=1MB
contains "$WORK/.err" "spill file" "the failure names the spill file"

# ---- validation errors
bad() { # $1 = file, $2 = node text
  printf 'nodes:\n  a: {type: read_file, path: orders}\n  b: {type: read_file, path: customers}\n%s\n  out: {type: write_file, input: j, path: out/x}\n' "$2" > "$1"
}
bad nokeys.yaml '  j: {type: join, inputs: [a, b]}'
expect_exit 2 "a join without keys is refused" "$SLUICE" validate nokeys.yaml
contains "$WORK/.err" "join needs keys" "the message says keys are missing"
contains "$WORK/.err" "nokeys.yaml:4" "the message points at the node"
bad oneinput.yaml '  j: {type: join, input: a, keys: [id]}'
expect_exit 2 "a join with one input is refused" "$SLUICE" validate oneinput.yaml
contains "$WORK/.err" "node type 'join' takes 2 inputs, got 1" "the message gives the input count"
bad pairs.yaml '  j: {type: join, inputs: [a, b], left_keys: [id, cust_id], right_keys: [id]}'
expect_exit 2 "left_keys and right_keys of different lengths are refused" "$SLUICE" validate pairs.yaml
contains "$WORK/.err" "left_keys has 2 keys and right_keys 1" "the message gives both counts"
bad kind.yaml '  j: {type: join, inputs: [a, b], keys: [id], join_type: cross}'
expect_exit 2 "an unknown join_type is refused" "$SLUICE" validate kind.yaml
contains "$WORK/.err" "left_semi" "the message lists the join types"
bad ok.yaml '  j: {type: join, inputs: [a, b], keys: [id], join_type: leftanti}'
expect_exit 0 "Glue's leftanti is accepted" "$SLUICE" validate ok.yaml

# ---- bounded memory (optimised build: ASan holds freed memory on purpose)
case "$SLUICE" in */asan/*) exit 0 ;; esac
[ -x /usr/bin/time ] || { fail "/usr/bin/time is missing (scripts/bootstrap.sh installs it)"; exit 0; }
mkdir -p big
"$PY" - <<'PYEOF'
import json, random
rng = random.Random(3)
with open("big/customers.json", "w") as f:
    for i in range(150000):
        f.write(json.dumps({"metadata": {"id": i}, "name": "c%d" % i, "pad": "x" * 200}) + "\n")
with open("big/orders.json", "w") as f:
    for i in range(150000):
        f.write(json.dumps({"id": i, "cust_id": rng.randrange(160000), "amount": round(rng.uniform(0, 100), 2)}) + "\n")
PYEOF
cat > big.yaml <<'YAML'
args: {mem: 1GB, out: out/big}
settings: {threads: 2, memory_limit: "${mem}"}
nodes:
  orders: {type: read_file, path: big/orders.json}
  customers: {type: read_file, path: big/customers.json}
  j: {type: join, inputs: [orders, customers], left_keys: [cust_id], right_keys: [metadata.id], join_type: left}
  out: {type: write_file, input: j, path: "${out}"}
YAML
cat > stream.yaml <<'YAML'
settings: {threads: 2}
nodes:
  orders: {type: read_file, path: big/orders.json}
  customers: {type: read_file, path: big/customers.json}
  u: {type: union, inputs: [orders, customers]}
  out: {type: write_file, input: u, path: out/stream}
YAML
rss() { /usr/bin/time -f %M "$SLUICE" run "$@" --quiet 2>&1 >/dev/null | tail -1; }
base=$(rss stream.yaml)
limited=$(rss big.yaml --arg mem=16MB --arg out=out/big16)
held=$(rss big.yaml --arg out=out/big1g)
echo "peak RSS: streaming ${base} KB, join with memory_limit 16MB ${limited} KB, join in memory ${held} KB"
check "join with memory_limit 16MB peaks within streaming RSS + 16 MB + 16 MB" \
  test "$limited" -le $((base + 32768))
check "the limited join holds far less than the in-memory one" test "$limited" -lt $((held / 2))
check "the limited join's output equals the in-memory one" cmp <(parts out/big16) <(parts out/big1g)
check "every order is in the left join's output" test "$(parts out/big16 | wc -l)" -eq 150000
