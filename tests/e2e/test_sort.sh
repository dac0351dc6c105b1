#!/usr/bin/env bash
# End-to-end: `sort` through the sluice command.
#
# 1. Properties against a Python reference, on seeded random CSV (nulls,
#    longs and doubles mixed with ties, booleans, strings, empty strings):
#    the output is exactly Python's stable sort of the input under
#    sl_value_compare's order — so it is ordered, a permutation of the input
#    and stable — for several key lists, in memory and spilling, with 1 and
#    4 threads over many input splits.
# 2. External sort: a W2-shaped CSV (bench/gen_w2_claims.py) 5x larger than
#    memory_limit sorts to completion with peak RSS near the limit (release
#    build only: ASan's quarantine holds freed memory on purpose) and writes
#    the same bytes as the same sort with a large limit.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
asan=0
case "$SLUICE" in */asan/*) asan=1 ;; esac
seed=${SORT_SEED:-$(( $(date +%s) % 100000 ))}
echo "seed $seed (SORT_SEED=$seed repeats this run)"

# ---- 1. properties against a Python reference
rows=60000
[ "$asan" = 1 ] && rows=20000
"$PY" - "$seed" "$rows" <<'PYEOF'
import random, sys
rng = random.Random(int(sys.argv[1]))
def mixed():
    r = rng.random()
    if r < 0.08: return ''                                   # null
    if r < 0.12: return rng.choice(['true', 'false', 'TRUE'])
    if r < 0.20: return rng.choice(['abc', 'x', 'Zeta', 'a b'])
    if r < 0.45: return str(rng.randint(-5, 5))                # longs, ties with the doubles below
    if r < 0.55: return rng.choice(['-0.0', '0.0', '1.0', '2.0', '-3.0'])
    return '%.2f' % rng.uniform(-5, 5)
def word():
    r = rng.random()
    if r < 0.07: return ''                                   # null
    if r < 0.12: return '""'                                 # the empty string
    return rng.choice(['a', 'ab', 'abc', 'b', 'B', 'ba', 'caf\u00e9', 'z'])
with open('props.csv', 'w', encoding='utf-8') as f:
    f.write('id,k1,k2,k3,pad\n')
    for i in range(int(sys.argv[2])):
        k3 = '' if rng.random() < 0.05 else '%.3f' % rng.random()
        f.write('%d,%s,%s,%s,%s\n' % (i, mixed(), word(), k3, 'p' * rng.randint(0, 30)))
PYEOF

# props_job KEYS: the job file for one key list (a YAML flow sequence)
props_job() {
  cat > props.yaml <<YAML
args: {mem: 1GB, out: out/props, spill: "."}
settings: {memory_limit: "\${mem}", spill_dir: "\${spill}"}
nodes:
  src: {type: read_file, path: props.csv, format: csv, split_size: 64KB}
  s: {type: sort, input: src, keys: $1}
  out: {type: write_file, input: s, path: "\${out}", format: csv}
YAML
}

n=0
checks=()
for keys in '["k1"]' '["k1 desc nulls first", "k2"]' '["k2 desc nulls last", "k1 asc"]' '["k3"]' '["k3 desc", "k1"]'; do
  props_job "$keys"
  for threads in 1 4; do
    for mem in 1GB 1MB; do
      n=$((n + 1))
      what="sort $keys, $threads thread(s), memory_limit $mem"
      expect_exit 0 "$what" "$SLUICE" run props.yaml --quiet --threads "$threads" --arg mem="$mem" --arg out="out/p$n"
      checks+=("out/p$n" "$keys" "$what: ordered, a permutation, stable (Python reference)")
    done
  done
done

# Every output's id column must be Python's stable sort of the input under
# the keys (one PASS/FAIL line per output).
"$PY" - "${checks[@]}" <<'PYEOF'
import csv, functools, glob, json, re, sys
def parse(cell, quoted):
    if quoted: return ('s', cell)
    if cell == '': return None
    if re.fullmatch(r'[+-]?\d+', cell): return ('n', int(cell), 0)        # long
    if re.fullmatch(r'[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?', cell): return ('n', float(cell), 1)  # double
    if cell.lower() in ('true', 'false'): return ('b', cell.lower() == 'true')
    return ('s', cell)
RANK = {'b': 1, 'n': 2, 's': 3}
def cmp_values(x, y):                      # sl_value_compare for these types
    if RANK[x[0]] != RANK[y[0]]: return -1 if RANK[x[0]] < RANK[y[0]] else 1
    if x[0] == 'n':
        if x[1] != y[1]: return -1 if x[1] < y[1] else 1
        return (x[2] > y[2]) - (x[2] < y[2])  # numerically equal: long before double
    a, b = (x[1], y[1]) if x[0] == 'b' else (x[1].encode(), y[1].encode())
    return (a > b) - (a < b)
rows = []
with open('props.csv', encoding='utf-8', newline='') as f:
    lines = f.read().split('\n')[1:-1]
for line in lines:
    cells = line.split(',')
    row = {'id': int(cells[0])}
    for name, cell in zip(['k1', 'k2', 'k3'], cells[1:4]):
        quoted = cell.startswith('"')
        row[name] = parse(cell[1:-1] if quoted else cell, quoted)
    rows.append(row)
expected = {}
args = sys.argv[1:]
for out, keys_json, what in zip(args[0::3], args[1::3], args[2::3]):
    if keys_json not in expected:
        keys = []
        for spec in json.loads(keys_json):
            words = spec.split()
            desc = 'desc' in words
            nulls_first = ('first' in words) if 'nulls' in words else not desc
            keys.append((words[0], desc, nulls_first))
        def cmp_rows(a, b, keys=keys):
            for name, desc, nulls_first in keys:
                x, y = a[name], b[name]
                if x is None or y is None:
                    if x is None and y is None: continue
                    c = -1 if x is None else 1
                    return c if nulls_first else -c
                c = cmp_values(x, y)
                if c: return -c if desc else c
            return 0
        expected[keys_json] = [r['id'] for r in sorted(rows, key=functools.cmp_to_key(cmp_rows))]  # stable
    want = expected[keys_json]
    files = glob.glob(out + '/part-*')
    if len(files) != 1:
        print('FAIL: %s (%d output files)' % (what, len(files)))
        continue
    got = [int(r['id']) for r in csv.DictReader(open(files[0], encoding='utf-8'))]
    if got == want:
        print('PASS: ' + what)
    else:
        first = next(i for i, (g, w) in enumerate(zip(got + [None], want + [None])) if g != w)
        print('FAIL: %s (first difference at output row %d)' % (what, first + 1))
PYEOF
expect_exit 1 "memory_limit 1MB really spills (a spill_dir that does not exist fails the run)" \
  "$SLUICE" run props.yaml --quiet --threads 4 --arg mem=1MB --arg spill=no/such/dir --arg out=out/nospill
contains "$WORK/.err" "spill file" "the failure names the spill file"
expect_exit 0 "the same job within memory_limit never opens a spill file" \
  "$SLUICE" run props.yaml --quiet --threads 4 --arg spill=no/such/dir --arg out=out/nospill2

# ---- 2. external sort of a W2 file 5x the memory limit
w2rows=200000
[ "$asan" = 1 ] && w2rows=50000
"$PY" "$SLUICE_TOP/bench/gen_w2_claims.py" --seed 7 --n "$w2rows" --out w2.csv
cat > w2sort.yaml <<'YAML'
args: {mem: 8MB, out: out/w2}
settings: {memory_limit: "${mem}", spill_dir: "."}
nodes:
  claims: {type: read_file, path: w2.csv, format: csv}
  by_age: {type: sort, input: claims, keys: [age_of_car, "policy_id desc"]}
  out: {type: write_file, input: by_age, path: "${out}", format: csv}
YAML
limit_kb=8192
[ "$asan" = 1 ] && limit_kb=2048
size_kb=$(( $(stat -c %s w2.csv) / 1024 ))
echo "input ${size_kb} KB, memory_limit ${limit_kb} KB"
check "the input is at least 4x memory_limit" test "$size_kb" -ge $(( 4 * limit_kb ))
expect_exit 0 "W2 sort with a large memory_limit" "$SLUICE" run w2sort.yaml --quiet --threads 2 --arg mem=1GB --arg out=out/w2big
if [ "$asan" = 0 ] && [ -x /usr/bin/time ]; then
  /usr/bin/time -f %M -o rss_small.txt "$SLUICE" run w2sort.yaml --quiet --threads 2 --arg mem=${limit_kb}KB --arg out=out/w2small
  check "W2 sort within memory_limit ${limit_kb} KB succeeds" test -s out/w2small/_SUCCESS
  /usr/bin/time -f %M -o rss_big.txt "$SLUICE" run w2sort.yaml --quiet --threads 2 --arg mem=1GB --arg out=out/w2big2
  small=$(tail -1 rss_small.txt); big=$(tail -1 rss_big.txt)
  echo "peak RSS: memory_limit ${limit_kb} KB -> ${small} KB; memory_limit 1GB -> ${big} KB"
  # the allowance: program and libraries, 4 MiB input chunks and batches per
  # worker, spill and merge buffers, the output buffer
  check "peak RSS stays under memory_limit + 40 MB" test "$small" -le $(( limit_kb + 40960 ))
  check "the large limit held more (the small one really bounded the sort)" test "$big" -ge $(( small + limit_kb ))
else
  expect_exit 0 "W2 sort within memory_limit ${limit_kb} KB" "$SLUICE" run w2sort.yaml --quiet --threads 2 --arg mem=${limit_kb}KB --arg out=out/w2small
fi
check "external sort output is byte-identical to the in-memory sort" \
  bash -c 'cmp out/w2small/part-* out/w2big/part-*'
check "rows sorted by age_of_car, then policy_id desc" "$PY" -c "
import csv, glob
rows = list(csv.DictReader(open(glob.glob('out/w2small/part-*')[0])))
src = list(csv.DictReader(open('w2.csv')))
assert len(rows) == len(src)
keys = [(float(r['age_of_car']), r['policy_id']) for r in rows]
assert all(a[0] < b[0] or (a[0] == b[0] and a[1] >= b[1]) for a, b in zip(keys, keys[1:]))
assert sorted(r['policy_id'] for r in rows) == sorted(r['policy_id'] for r in src)
"
check "spill files are gone after the runs" bash -c '! ls sluice-spill-* 2>/dev/null'

# ---- 3. CSV projection pushdown (read_file feeding only select_fields)
# The reader then decodes only the selected columns (and any column with a
# forced type); records and rejected rows must be exactly those of the same
# job without the pushdown (a filter in between keeps the reader whole).
printf 'id,name,age,city,note\r\n1,ann,30,paris,x\r\n2,"bo, b",x41,rome,"multi\r\nline"\r\n3,cy,52\r\n4,di,19,oslo,a,EXTRA\r\n5,"e""e",7,"",\r\n6,,,,\r\n' > proj.csv
for mode in pushed whole; do
  if [ "$mode" = pushed ]; then feed=src; else feed=all; fi
  cat > proj_$mode.yaml <<YAML
settings: {error_output: errs_$mode}
nodes:
  src: {type: read_file, path: proj.csv, format: csv, multiline: true, types: {age: long}}
  all: {type: filter, input: src, condition: "true"}
  pick: {type: select_fields, input: $feed, fields: [city, id, name]}
  out: {type: write_file, input: pick, path: out/proj_$mode, format: json}
YAML
  expect_exit 0 "CSV projection ($mode)" "$SLUICE" run proj_$mode.yaml --quiet --threads 2
done
check "projected CSV reading gives the same records" bash -c 'cmp <(cat out/proj_pushed/part-*) <(cat out/proj_whole/part-*)'
check "projected CSV reading rejects the same rows (forced type, too many fields)" "$PY" -c "
import glob, json
def errs(d):
    return sorted((e.get('line'), e.get('reason') or e.get('error')) for f in glob.glob(d + '/errors-*.jsonl') for e in map(json.loads, open(f)))
a, b = errs('errs_pushed'), errs('errs_whole')
assert a == b and len(a) == 2, (a, b)
"
