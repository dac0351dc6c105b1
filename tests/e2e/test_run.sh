#!/usr/bin/env bash
# End-to-end: `sluice run` moving real files — formats, transforms, error
# output, thresholds, atomic publishing, byte-range splits.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}

# jsonl_equal A B — same JSON records in the same order
jsonl_equal() {
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
sys.exit(0 if a == b else 1)
PYEOF
}
parts() { cat "$1"/part-* 2>/dev/null; }

# ---- JSON -> derive -> JSON
cat > logs.json <<'J'
{"log_id":"a","timestamp":"1732300000123","service_name":"Auth-Service","message":"caf\u00e9 \"quoted\"","metadata":{"latency_ms":12,"tags":["x"]}}
{"log_id":"b","timestamp":1732300000124,"service_name":"PAYMENT-SERVICE","message":"ok","metadata":{"latency_ms":3.5,"tags":[]}}
J
cat > want.json <<'J'
{"log_id":"a","timestamp":1732300000123,"service_name":"auth-service","message":"café \"quoted\"","metadata":{"latency_ms":12,"tags":["x"]}}
{"log_id":"b","timestamp":1732300000124,"service_name":"payment-service","message":"ok","metadata":{"latency_ms":3.5,"tags":[]}}
J
cat > clean.yaml <<'YAML'
args:
  input: logs.json
  out: out/clean
nodes:
  logs: {type: read_file, path: "${input}"}
  clean:
    type: derive
    input: logs
    columns:
      service_name: lower(service_name)
      timestamp: cast(timestamp as long)
  out: {type: write_file, input: clean, path: "${out}"}
YAML
expect_exit 0 "derive job runs" "$SLUICE" run clean.yaml --quiet
parts out/clean > got.json
check "cleaned records are exactly right" jsonl_equal got.json want.json
check "_SUCCESS marker written" test -f out/clean/_SUCCESS
check "no staging left behind" bash -c '! ls -d out/clean/_staging-* 2>/dev/null'
expect_exit 0 "summary as --json" "$SLUICE" run clean.yaml --json --arg out=out/clean2
check "--json summary parses and counts 2 records" "$PY" -c "import json,sys; d=json.load(open('$WORK/.out')); sys.exit(0 if d['records_read']==2 and d['status']=='succeeded' else 1)"

# ---- a bad line goes to the error output with its location; the run goes on
printf '{"n":1}\n{"n":2,,}\n{"n":3}\n' > bad.json
cat > bad.yaml <<'YAML'
settings: {error_output: errs}
nodes:
  src: {type: read_file, path: bad.json}
  dst: {type: write_file, input: src, path: out/bad}
YAML
expect_exit 0 "run with one bad record succeeds (no thresholds)" "$SLUICE" run bad.yaml --quiet
check "good records written" test "$(parts out/bad | wc -l)" -eq 2
check "error output file exists" bash -c 'ls errs/errors-*.jsonl'
check "error entry names file, line 2, offset, reason and raw text" "$PY" -c "
import json, glob
e = [json.loads(l) for l in open(glob.glob('errs/errors-*.jsonl')[0])]
assert len(e) == 1, e
e = e[0]
assert e['source'].endswith('bad.json') and e['line'] == 2 and e['offset'] == 8, e
assert e['raw'] == '{\"n\":2,,}' and 'byte' in e['reason'], e
"

# ---- thresholds fail the run, publish nothing, and say which threshold
cat > strict.yaml <<'YAML'
settings: {error_output: errs2, max_errors: 0}
nodes:
  src: {type: read_file, path: bad.json}
  dst: {type: write_file, input: src, path: out/strict}
YAML
expect_exit 1 "max_errors 0 fails the run" "$SLUICE" run strict.yaml --quiet
contains "$WORK/.err" "max_errors" "message names max_errors"
check "failed run publishes no part file" bash -c '! ls out/strict/part-* 2>/dev/null'
check "failed run leaves no staging directory" bash -c '! ls -d out/strict/_staging-* 2>/dev/null'
check "failed run still writes its error output" bash -c 'ls errs2/errors-*.jsonl'
cat > rate.yaml <<'YAML'
settings: {error_output: errs3, max_error_rate: 0.1}
nodes:
  src: {type: read_file, path: bad.json}
  dst: {type: write_file, input: src, path: out/rate}
YAML
expect_exit 1 "max_error_rate 10% fails with 1 of 3 bad" "$SLUICE" run rate.yaml --quiet
contains "$WORK/.err" "max_error_rate" "message names max_error_rate"
check "rate failure publishes nothing" bash -c '! ls out/rate/part-* 2>/dev/null'

# ---- failed run keeps earlier output intact (overwrite mode)
cat > ow.yaml <<'YAML'
args: {max: "-1"}
settings: {error_output: errs4, max_errors: "${max}"}
nodes:
  src: {type: read_file, path: bad.json}
  dst: {type: write_file, input: src, path: out/ow, mode: overwrite}
YAML
"$SLUICE" run ow.yaml --quiet >/dev/null 2>&1
before=$(ls out/ow | sort)
expect_exit 1 "second run fails" "$SLUICE" run ow.yaml --quiet --arg max=0
check "earlier output untouched by the failed run" test "$(ls out/ow | sort)" = "$before"
"$SLUICE" run ow.yaml --quiet >/dev/null 2>&1
check "overwrite replaces the earlier part files" test "$(ls out/ow | grep -c '^part-')" -eq 1

# ---- CSV in (inference, overrides), JSON out; JSON in, CSV out
printf 'id,name,score,ok,note\n1,"Smith, J",0.5,true,\n2,Lee,7,false,"say ""hi"""\n' > people.csv
cat > csv.yaml <<'YAML'
nodes:
  src:
    type: read_file
    path: people.csv
    types: {id: string}
  dst: {type: write_file, input: src, path: out/csvjson}
YAML
expect_exit 0 "CSV to JSON runs" "$SLUICE" run csv.yaml --quiet
printf '{"id":"1","name":"Smith, J","score":0.5,"ok":true,"note":null}\n{"id":"2","name":"Lee","score":7,"ok":false,"note":"say \\"hi\\""}\n' > want_csv.json
parts out/csvjson > got_csv.json
check "CSV types inferred and overridden" jsonl_equal got_csv.json want_csv.json
cat > tocsv.yaml <<'YAML'
nodes:
  src: {type: read_file, path: out/csvjson}
  dst: {type: write_file, input: src, path: out/csv, format: csv}
YAML
expect_exit 0 "JSON to CSV runs" "$SLUICE" run tocsv.yaml --quiet
check "CSV written with header and RFC 4180 quoting" "$PY" -c "
import csv, glob
rows = list(csv.reader(open(glob.glob('out/csv/part-*.csv')[0], newline='')))
assert rows == [['id','name','score','ok','note'],['1','Smith, J','0.5','true',''],['2','Lee','7','false','say \"hi\"']], rows
"

# ---- compression: gzip and zstd in and out
gzip -c logs.json > logs.json.gz
cat > gz.yaml <<'YAML'
args: {codec: gzip, in: logs.json.gz, out: out/gz}
nodes:
  src: {type: read_file, path: "${in}"}
  dst: {type: write_file, input: src, path: "${out}", compression: "${codec}"}
YAML
expect_exit 0 "gzip input, gzip output" "$SLUICE" run gz.yaml --quiet
check "output is .json.gz" bash -c 'ls out/gz/part-*.json.gz'
zcat out/gz/part-*.json.gz > got_gz.json
check "gzip output reads back with zcat" jsonl_equal got_gz.json logs.json
expect_exit 0 "zstd output" "$SLUICE" run gz.yaml --quiet --arg codec=zstd --arg out=out/zst
check "output is .json.zst" bash -c 'ls out/zst/part-*.json.zst'
expect_exit 0 "zstd input (sluice reads its own .zst)" "$SLUICE" run gz.yaml --quiet --arg codec=none --arg in=out/zst --arg out=out/unzst
parts out/unzst > got_zst.json
check "zstd round trip" jsonl_equal got_zst.json logs.json

# ---- apply_mapping: casts, nesting, failures to the error output
printf '{"id":"1","v":"10","m":{"h":"x"}}\n{"id":"2","v":"ten","m":{"h":"y"}}\n' > map.json
cat > map.yaml <<'YAML'
settings: {error_output: errs5}
nodes:
  src: {type: read_file, path: map.json}
  map:
    type: apply_mapping
    input: src
    mappings:
      - [id, string, id, long]
      - [v, string, value, long]
      - [m.h, string, meta.host, string]
  dst: {type: write_file, input: map, path: out/map}
YAML
expect_exit 0 "apply_mapping runs" "$SLUICE" run map.yaml --quiet
printf '{"id":1,"value":10,"meta":{"host":"x"}}\n' > want_map.json
parts out/map > got_map.json
check "apply_mapping casts, renames and nests" jsonl_equal got_map.json want_map.json
check "cast failure in the error output with the reason" "$PY" -c "
import json, glob
e = [json.loads(l) for l in open(glob.glob('errs5/errors-*.jsonl')[0])]
assert len(e) == 1 and 'ten' in e[0]['reason'] and e[0]['node'] == 'map' and e[0]['line'] == 2, e
"

# ---- select / drop / rename / filter
printf '{"a":1,"b":{"c":2,"d":3},"e":"x"}\n{"a":5,"b":{"c":6,"d":7},"e":"y"}\n' > f.json
cat > fields.yaml <<'YAML'
nodes:
  src: {type: read_file, path: f.json}
  sel: {type: select_fields, input: src, fields: [e, a, b.c]}
  ren: {type: rename_field, input: sel, from: b.c, to: cc}
  drop: {type: drop_fields, input: src, fields: [b.d, e]}
  keep: {type: filter, input: src, condition: "a > 2 and upper(e) in ('Y', 'Z')"}
  o1: {type: write_file, input: ren, path: out/sel}
  o2: {type: write_file, input: drop, path: out/drop}
  o3: {type: write_file, input: keep, path: out/keep}
YAML
expect_exit 0 "field transforms run (one source, three branches)" "$SLUICE" run fields.yaml --quiet
printf '{"e":"x","a":1,"b":{"cc":2}}\n{"e":"y","a":5,"b":{"cc":6}}\n' > w1.json
printf '{"a":1,"b":{"c":2}}\n{"a":5,"b":{"c":6}}\n' > w2.json
printf '{"a":5,"b":{"c":6,"d":7},"e":"y"}\n' > w3.json
parts out/sel > g1.json; parts out/drop > g2.json; parts out/keep > g3.json
check "select_fields + nested rename_field" jsonl_equal g1.json w1.json
check "drop_fields (nested)" jsonl_equal g2.json w2.json
check "filter with and/in/upper" jsonl_equal g3.json w3.json

# ---- byte-range splits of a large file keep every record once, in order
"$PY" -c "
import json
with open('big.json','w') as f:
    for i in range(60000):
        f.write(json.dumps({'i': i, 's': 'x' * (i % 50), 'svc': 'Svc-%d' % (i % 7)}, separators=(',', ':')) + '\n')
"
cat > split.yaml <<'YAML'
nodes:
  src: {type: read_file, path: big.json, split_size: 64KB}
  dst: {type: write_file, input: src, path: out/split}
YAML
expect_exit 0 "split run with 2 threads" "$SLUICE" run split.yaml --quiet --threads 2
check "many part files (one per byte range)" test "$(ls out/split | grep -c '^part-')" -gt 20
parts out/split > got_split.json
check "every record exactly once, in input order" cmp -s got_split.json big.json

# ---- the same for CSV ranges (header handed to every range)
"$PY" -c "
with open('big.csv','w') as f:
    f.write('i,name\n')
    for i in range(30000): f.write('%d,n%d\n' % (i, i))
"
cat > splitcsv.yaml <<'YAML'
nodes:
  src: {type: read_file, path: big.csv, split_size: 16KB}
  dst: {type: write_file, input: src, path: out/splitcsv, format: csv}
YAML
expect_exit 0 "CSV split run" "$SLUICE" run splitcsv.yaml --quiet --threads 2
check "CSV ranges: every row once, in order" bash -c 'diff <(cat out/splitcsv/part-* | grep -v "^i,name$") <(tail -n +2 big.csv)'

# ---- schema
printf '{"t":1,"m":{"x":"a"}}\n{"t":"2","m":{"x":"b","y":[1]}}\n' > s.json
expect_exit 0 "sluice schema" "$SLUICE" schema s.json
contains "$WORK/.out" "|-- t: choice" "schema shows a choice type"
contains "$WORK/.out" "|    |-- y: array" "schema shows nested fields"

# ---- sort (stable, multi-key, nulls, spilling past memory_limit) and coalesce
"$PY" -c "
import random
rng = random.Random(3)
with open('claims.csv','w') as f:
    f.write('policy_id,age_of_car,make\n')
    for i in range(20000):
        f.write('ID%05d,%s,%s\n' % (i, ('%.2f' % rng.random()) if i % 100 else '', rng.choice(['M1','M2','M3'])))
"
cat > sort.yaml <<'YAML'
args: {mem: 256MB, out: out/sort}
settings: {memory_limit: "${mem}", spill_dir: "."}
nodes:
  src: {type: read_file, path: claims.csv, split_size: 64KB}
  s: {type: sort, input: src, keys: ["age_of_car nulls last", "make desc"]}
  f: {type: filter, input: s, condition: age_of_car < 0.7 or age_of_car is null}
  out: {type: write_file, input: f, path: "${out}", format: csv}
YAML
sorted_ok() {
  "$PY" - "$1" <<'PYEOF'
import csv, glob, sys
files = glob.glob(sys.argv[1] + '/part-*')
assert len(files) == 1, files
rows = list(csv.DictReader(open(files[0])))
src = list(csv.DictReader(open('claims.csv')))
keep = [r for r in src if not r['age_of_car'] or float(r['age_of_car']) < 0.7]
exp = sorted(keep, key=lambda r: r['make'], reverse=True)            # stable: ties keep input order
exp = sorted(exp, key=lambda r: (r['age_of_car'] == '', float(r['age_of_car'] or 0)))
got = [r['policy_id'] for r in rows]
assert got == [r['policy_id'] for r in exp], (got[:5], [r['policy_id'] for r in exp][:5])
PYEOF
}
expect_exit 0 "sort in memory, 2 threads" "$SLUICE" run sort.yaml --quiet --threads 2
check "sorted by two keys, nulls last, stable, one output file" sorted_ok out/sort
expect_exit 0 "sort spilling runs to disk (memory_limit 1MB)" "$SLUICE" run sort.yaml --quiet --threads 2 --arg mem=1MB --arg out=out/sort_spill
check "spilled sort gives the same order" sorted_ok out/sort_spill
check "spill files are gone after the run" bash -c '! ls sluice-spill-* 2>/dev/null'
cat > coalesce.yaml <<'YAML'
args: {n: "1", out: out/co1}
nodes:
  src: {type: read_file, path: big.json, split_size: 64KB}
  c: {type: coalesce, input: src, partitions: "${n}"}
  out: {type: write_file, input: c, path: "${out}"}
YAML
expect_exit 0 "coalesce 1" "$SLUICE" run coalesce.yaml --quiet --threads 2
check "coalesce 1 writes one file" test "$(ls out/co1 | grep -c '^part-')" -eq 1
check "coalesce keeps input order" cmp -s out/co1/part-* big.json
expect_exit 0 "coalesce 3" "$SLUICE" run coalesce.yaml --quiet --threads 2 --arg n=3 --arg out=out/co3
check "coalesce 3 writes three files" test "$(ls out/co3 | grep -c '^part-')" -eq 3
check "coalesce 3 parts concatenate to the input" bash -c 'cat out/co3/part-* | cmp -s - big.json'

# ---- lake layout: Hive partitions, file rolling, bzip2; partitioned reads with pruning
printf '{"svc":"auth","y":2024,"m":"a"}\n{"svc":"pay/x","y":2024,"m":"b"}\n{"svc":null,"y":2025,"m":"c"}\n{"svc":"..","y":2025,"m":"e"}\n{"svc":"auth","y":2025,"m":"f"}\n{"svc":"auth","y":2025,"m":"g"}\n' > lake.json
cat > lake.yaml <<'YAML'
args: {codec: bzip2}
nodes:
  src: {type: read_file, path: lake.json}
  dst: {type: write_file, input: src, path: out/lake, partition_keys: [y, svc], max_records_per_file: 1, compression: "${codec}"}
YAML
expect_exit 0 "partitioned, rolled, bzip2 write" "$SLUICE" run lake.yaml --quiet
check "Hive directories, values escaped, null to the default partition" test -d "out/lake/y=2024/svc=pay%2Fx" -a -d "out/lake/y=2025/svc=__HIVE_DEFAULT_PARTITION__" -a -d "out/lake/y=2025/svc=.."
check "a value of '..' stays inside the target" test "$(find out/lake -name '*.bz2' | grep -c '^out/lake/')" -eq 6
check "rolling: two files in a partition with two records" test "$(ls out/lake/y=2025/svc=auth | grep -c '^part-.*-c000[01]\.json\.bz2$')" -eq 2
check "partition fields are not stored in the files" bash -c 'bzcat out/lake/y=2024/svc=auth/*.bz2 | grep -qx "{\"m\":\"a\"}"'
cat > lakeread.yaml <<'YAML'
args: {pred: "true", out: out/lakeback}
nodes:
  src: {type: read_file, path: out/lake, partition_predicate: "${pred}"}
  dst: {type: write_file, input: src, path: "${out}"}
YAML
expect_exit 0 "read the partitioned folder back" "$SLUICE" run lakeread.yaml --quiet
check "partition fields come back as typed fields" "$PY" -c "
import json, glob
rows = sorted((json.loads(l) for f in glob.glob('out/lakeback/part-*') for l in open(f)), key=lambda r: r['m'])
assert [r['m'] for r in rows] == list('abcefg'), rows
assert rows[0] == {'m': 'a', 'y': 2024, 'svc': 'auth'} and rows[1]['svc'] == 'pay/x' and rows[2]['svc'] is None, rows
"
expect_exit 0 "partition pruning" "$SLUICE" run lakeread.yaml --quiet --arg pred="y = 2025 and svc = 'auth'" --arg out=out/pruned
check "only the matching partition was read" test "$(cat out/pruned/part-* | wc -l)" -eq 2

# ---- Avro: write with each codec, read back; the types survive
printf '{"id":1,"name":"a","score":0.5,"ok":true,"tags":["x","y"],"meta":{"h":"n1","n":7},"note":null}\n{"id":2,"name":"b\\u00e9","score":-1.25,"ok":false,"tags":[],"meta":{"h":"n2","n":8},"note":"hi"}\n{"id":3,"name":"c","score":"7.5","ok":true,"tags":["z"],"extra":1}\n' > avro_in.json
cat > avro.yaml <<'YAML'
args: {codec: deflate, out: out/avro}
nodes:
  src: {type: read_file, path: avro_in.json}
  dst: {type: write_file, input: src, path: "${out}", format: avro, avro_codec: "${codec}"}
YAML
cat > avro_back.yaml <<'YAML'
args: {in: out/avro, out: out/avro_back}
nodes:
  src: {type: read_file, path: "${in}"}
  dst: {type: write_file, input: src, path: "${out}"}
YAML
for codec in deflate null snappy; do
  expect_exit 0 "Avro write ($codec)" "$SLUICE" run avro.yaml --quiet --arg codec=$codec --arg out=out/avro_$codec
  check "Avro file has the container magic ($codec)" bash -c "head -c 4 out/avro_$codec/part-*.avro | od -c | grep -q 'O   b   j 001'"
  expect_exit 0 "Avro read back ($codec)" "$SLUICE" run avro_back.yaml --quiet --arg in=out/avro_$codec --arg out=out/avro_back_$codec
  check "Avro round trip keeps values and types ($codec)" "$PY" -c "
import json, glob
rows = [json.loads(l) for f in sorted(glob.glob('out/avro_back_$codec/part-*')) for l in open(f)]
assert rows[0] == {'id': 1, 'name': 'a', 'score': 0.5, 'ok': True, 'tags': ['x', 'y'], 'meta': {'h': 'n1', 'n': 7}, 'note': None}, rows[0]
assert rows[1]['name'] == 'b\u00e9' and rows[1]['tags'] == [] and rows[1]['note'] == 'hi', rows[1]
assert rows[2]['score'] == 7.5 and 'extra' not in rows[2] and rows[2]['meta'] is None, rows[2]
"
done

# ---- a failed run into a directory that did not exist leaves no directory behind
expect_exit 1 "failed run into a new directory" "$SLUICE" run strict.yaml --quiet
check "the new target directory is gone after the failure" test ! -e out/strict
expect_exit 0 "sluice schema on an Avro file" "$SLUICE" schema out/avro_deflate
contains "$WORK/.out" "|-- tags: array" "Avro schema printed like printSchema"
contains "$WORK/.out" "avro writer schema of" "the Avro writer schema is reported"
