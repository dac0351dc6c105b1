#!/usr/bin/env bash
# End-to-end: sluice reads Parquet files that DuckDB writes (npm
# @duckdb/node-api, whose package bundles libduckdb — found in
# bench/work/node, $DUCKDB_NODE_API or ~/.cache/sluice, else installed there
# with npm). Every type, nulls, nested struct/list/map columns, every codec,
# data pages v1 and v2, dictionary and plain: `sluice run` read_file →
# write_file json gives the values of DuckDB's own JSON export of the same
# file. Then: projection reads only the listed columns, a predicate skips
# row groups by their statistics (and does not filter rows), and truncated,
# corrupt or foreign files fail with exit 1 and a message naming the file.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
DUCKDB_PACKAGE="@duckdb/node-api@1.5.6-r.1"

# ---- DuckDB
DUCK=""
for d in "${DUCKDB_NODE_API:-}" "$SLUICE_TOP/bench/work/node/node_modules/@duckdb/node-api" \
         "$HOME/.cache/sluice/duckdb-node/node_modules/@duckdb/node-api"; do
  if [ -n "$d" ] && [ -f "$d/package.json" ]; then DUCK=$d; break; fi
done
if [ -z "$DUCK" ] && command -v npm >/dev/null 2>&1; then
  npm install --silent --prefix "$HOME/.cache/sluice/duckdb-node" --no-audit --no-fund "$DUCKDB_PACKAGE" \
    >"$WORK/.npm" 2>&1 && DUCK="$HOME/.cache/sluice/duckdb-node/node_modules/@duckdb/node-api"
fi
if [ -z "$DUCK" ]; then
  fail "DuckDB available (npm install $DUCKDB_PACKAGE failed: $(tail -c 300 "$WORK/.npm" 2>/dev/null))"
  exit 0
fi
pass "DuckDB found ($DUCK)"
duck() { DUCKDB_NODE_API=$DUCK node "$SLUICE_TOP/bench/peers/duckdb_sql.cjs" 1 "$1"; }

# ---- comparison: sluice's JSON lines against DuckDB's, value by value
cat > cmp.py <<'EOF'
# cmp.py DUCKDB_JSON SLUICE_DIR [--blob a,b] [--json c] [--key id]: same rows, same values.
# Timestamps are compared as text normalised to "YYYY-MM-DD HH:MM:SS.ffffff"
# (DuckDB writes "2024-01-01 10:00:00+00", sluice "2024-01-01T10:00:00Z"),
# numbers exactly (as decimals), blobs as bytes (sluice writes base64, DuckDB
# \xNN escapes), JSON-typed columns as parsed JSON (sluice reads them as text).
import argparse, base64, glob, json, re, sys
from decimal import Decimal
ap = argparse.ArgumentParser()
ap.add_argument('duck'); ap.add_argument('sl')
ap.add_argument('--blob', default=''); ap.add_argument('--json', default=''); ap.add_argument('--key')
args = ap.parse_args()
blobs = [x for x in args.blob.split(',') if x]
jsons = [x for x in args.json.split(',') if x]
TS = re.compile(r'^(-?\d{4,}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]00(:?00)?)?$')
def norm(v):
    if isinstance(v, dict): return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list): return [norm(x) for x in v]
    if isinstance(v, str):
        m = TS.match(v)
        if m: return 'TS ' + m.group(1) + ' ' + m.group(2) + (m.group(3) or '.').ljust(7, '0')[:7]
    return v
def load(path, sluice):
    rows = []
    files = sorted(glob.glob(path + '/*.json')) if not path.endswith('.json') else [path]
    for f in files:
        for line in open(f, encoding='utf-8'):
            if not line.strip(): continue
            r = json.loads(line, parse_float=Decimal, parse_int=Decimal)
            for b in blobs:
                if r.get(b) is None: continue
                if sluice: r[b] = base64.b64decode(r[b]).decode('latin-1')
                else: r[b] = re.sub(r'\\x([0-9A-Fa-f]{2})', lambda m: chr(int(m.group(1), 16)), r[b])
            if sluice:
                for j in jsons:
                    if r.get(j) is not None: r[j] = json.loads(r[j], parse_float=Decimal, parse_int=Decimal)
            rows.append(norm(r))
    return rows
a, b = load(args.duck, False), load(args.sl, True)
if len(a) != len(b): sys.exit(f'row count differs: duckdb {len(a)}, sluice {len(b)}')
if args.key:
    a.sort(key=lambda r: r[args.key]); b.sort(key=lambda r: r[args.key])
for i, (x, y) in enumerate(zip(a, b)):
    if x != y:
        if list(x) != list(y): sys.exit(f'row {i}: fields differ: duckdb {list(x)}, sluice {list(y)}')
        k = next(k for k in x if x[k] != y[k])
        sys.exit(f'row {i} field {k}: duckdb {x[k]!r}, sluice {y[k]!r}')
print(f'{len(a)} rows match')
EOF

# ---- read job: one input, JSON out (args: input, output; columns/predicate variants below)
cat > read.yaml <<'EOF'
name: parquet-read
args: {input: x, output: y}
nodes:
  in: {type: read_file, path: "${input}"}
  out: {type: write_file, input: in, path: "${output}", format: json, compression: none}
EOF

# ---- DuckDB writes: every type, nulls, nested, across 3 row groups of 2048 rows
cat > gen.sql <<'EOF'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t AS SELECT
  i AS id,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i % 2 = 0 END AS b,
  (i % 200 - 100)::TINYINT AS i8, (i * -6)::SMALLINT AS i16, (i * 1000)::INTEGER AS i32,
  CASE WHEN i = 0 THEN -9223372036854775808 ELSE i * 100000000000 END::BIGINT AS i64,
  (i % 250)::UTINYINT AS u8, (i % 60000)::USMALLINT AS u16, (i * 300000)::UINTEGER AS u32,
  CASE WHEN i = 1 THEN 18446744073709551615 ELSE i * 1000000000000 END::UBIGINT AS u64,
  (i::HUGEINT * 100000000000000000000::HUGEINT) AS huge,
  (i / 3)::FLOAT AS f32, CASE WHEN i % 5 = 4 THEN NULL ELSE i / 7 END::DOUBLE AS f64,
  (i % 100 - 50.25)::DECIMAL(4, 2) AS dec4, (i * 1.001)::DECIMAL(18, 3) AS dec18,
  (-i * 12345678901234.567891)::DECIMAL(38, 6) AS dec38,
  CASE WHEN i % 3 = 2 THEN NULL ELSE 'row ' || i || CASE WHEN i % 5 = 0 THEN ' é"\ ' || chr(9) ELSE '' END END AS s,
  ('\x00blob' || i)::BLOB AS bl,
  DATE '1969-01-01' + i::INTEGER AS dt,
  TIMESTAMP '1969-12-31 23:00:00' + to_microseconds(i * 1234567) AS ts,
  (TIMESTAMP '2020-01-01' + to_milliseconds(i * 1234))::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '2020-01-01' + to_microseconds(i * 1234567))::TIMESTAMP_NS AS ts_ns,
  TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_microseconds(i * 1000) AS tstz,
  TIME '01:02:03' + to_microseconds(i * 1000) AS tm,
  md5(i::VARCHAR)::UUID AS u,
  CASE WHEN i % 2 = 0 THEN 'happy'::mood ELSE NULL END AS e,
  ('{"k":' || i || '}')::JSON AS js,
  CASE WHEN i % 4 = 0 THEN NULL ELSE [i, NULL, i + 1] END AS lst,
  CASE WHEN i % 6 = 0 THEN NULL ELSE {'a': i, 'b': 's' || i, 'c': [{'x': i}, NULL]} END AS st,
  CASE WHEN i % 3 = 0 THEN MAP {} ELSE MAP {'k1': i, 'k2': CASE WHEN i % 2 = 0 THEN NULL ELSE i * 2 END} END AS mp,
  CASE WHEN i % 5 = 0 THEN [] ELSE [[i], [], NULL, [i, i]] END AS nested,
  CASE WHEN i % 7 = 0 THEN NULL ELSE [{'p': i, 'q': [CASE WHEN i % 2 = 0 THEN NULL ELSE 'x' END]}] END AS los,
  {'p': NULL, 'q': []}::STRUCT(p INT, q INT[]) AS empties
FROM range(5000) t(i);
EOF
files=""
for codec in uncompressed snappy gzip zstd lz4; do
  for v in v1 v2; do
    echo "COPY t TO 'all_${codec}_${v}.parquet' (FORMAT parquet, COMPRESSION $codec, PARQUET_VERSION $v, ROW_GROUP_SIZE 2048);" >> gen.sql
    files="$files all_${codec}_${v}"
  done
done
echo "COPY t TO 'all_plain_v2.parquet' (FORMAT parquet, PARQUET_VERSION v2, DICTIONARY_SIZE_LIMIT 1);" >> gen.sql
echo "COPY t TO 'all_plain_v1.parquet' (FORMAT parquet, DICTIONARY_SIZE_LIMIT 1);" >> gen.sql
files="$files all_plain_v2 all_plain_v1"
check "DuckDB writes the test files" duck "$(cat gen.sql)"
encodings=$(duck "SELECT string_agg(DISTINCT e, ' ' ORDER BY e) AS e FROM (SELECT unnest(string_split(encodings, ', ')) AS e FROM parquet_metadata('all_*.parquet'))")
for e in PLAIN RLE_DICTIONARY PLAIN_DICTIONARY DELTA_BINARY_PACKED DELTA_LENGTH_BYTE_ARRAY BYTE_STREAM_SPLIT; do
  contains <(echo "$encodings") "$e" "the DuckDB files use $e"
done

for f in $files; do
  duck "COPY (SELECT * FROM '$f.parquet') TO '$f.duck.json' (FORMAT json)" >/dev/null
  "$SLUICE" run read.yaml --quiet --arg input="$f.parquet" --arg output="out_$f" >"$WORK/.out" 2>"$WORK/.err"
  if [ $? -ne 0 ]; then fail "$f: sluice reads it: $(head -c 300 "$WORK/.err")"; continue; fi
  if "$PY" cmp.py "$f.duck.json" "out_$f" --blob bl --json js --key id >"$WORK/.cmp" 2>&1; then
    pass "$f: values match DuckDB ($(cat "$WORK/.cmp"))"
  else
    fail "$f: values match DuckDB: $(head -c 400 "$WORK/.cmp")"
  fi
done

# ---- a directory of them, two threads: every row once
mkdir -p lake && cp all_*.parquet lake/
expect_exit 0 "a directory of 12 files, 2 threads" "$SLUICE" run read.yaml --json --threads 2 --arg input=lake --arg output=out_lake
check "60000 records read from the directory" "$PY" -c "import json,sys; d=json.load(open('$WORK/.out')); sys.exit(0 if d['records_read']==60000 else 1)"

# ---- one file in byte ranges (row groups shared among workers): every row once
cat > ranges.yaml <<'EOF2'
name: parquet-ranges
args: {input: x, output: y}
nodes:
  in: {type: read_file, path: "${input}", split_size: 16KB}
  out: {type: write_file, input: in, path: "${output}", format: json, compression: none}
EOF2
expect_exit 0 "a file read in 16KB ranges by 2 threads" "$SLUICE" run ranges.yaml --quiet --threads 2 --arg input=all_zstd_v1.parquet --arg output=out_ranges
check "… gives every row once, with DuckDB's values" "$PY" cmp.py all_zstd_v1.duck.json out_ranges --blob bl --json js --key id
if [ "$(ls out_ranges/part-* | wc -l)" -gt 1 ]; then pass "… in several parts"; else fail "… in several parts"; fi

# ---- projection
cat > proj.yaml <<'EOF'
name: parquet-projection
args: {input: x, output: y}
nodes:
  in: {type: read_file, path: "${input}", columns: [s, id, st]}
  out: {type: write_file, input: in, path: "${output}", format: json, compression: none}
EOF
duck "COPY (SELECT s, id, st FROM 'all_zstd_v2.parquet') TO 'proj.duck.json' (FORMAT json)" >/dev/null
expect_exit 0 "projection runs" "$SLUICE" run proj.yaml --quiet --arg input=all_zstd_v2.parquet --arg output=out_proj
check "projected records hold s, id, st in that order and DuckDB's values" "$PY" cmp.py proj.duck.json out_proj --key id
sed 's/columns: \[s, id, st\]/columns: [id]/' proj.yaml > proj_id.yaml
"$SLUICE" run proj_id.yaml --json --arg input=all_zstd_v2.parquet --arg output=out_proj_id >"$WORK/.out" 2>/dev/null
proj_bytes=$("$PY" -c "import json; print(json.load(open('$WORK/.out'))['bytes_read'])")
"$SLUICE" run read.yaml --json --arg input=all_zstd_v2.parquet --arg output=out_full >"$WORK/.out" 2>/dev/null
full_bytes=$("$PY" -c "import json; print(json.load(open('$WORK/.out'))['bytes_read'])")
if [ "$proj_bytes" -gt 0 ] && [ "$proj_bytes" -lt $((full_bytes / 2)) ]; then
  pass "projection fetches only its columns ($proj_bytes of $full_bytes bytes)"
else
  fail "projection fetches only its columns ($proj_bytes of $full_bytes bytes)"
fi
sed 's/columns: \[s, id, st\]/columns: [id, nope]/' proj.yaml > proj_bad.yaml
expect_exit 1 "a column the file lacks fails" "$SLUICE" run proj_bad.yaml --quiet --arg input=all_zstd_v2.parquet --arg output=out_bad
contains "$WORK/.err" "all_zstd_v2.parquet" "… naming the file"
contains "$WORK/.err" "'nope' is not in this Parquet file" "… and the column"

# ---- row-group skipping: ids sorted, 4 row groups of 2048
check "DuckDB writes 4 row groups" duck "COPY (SELECT i AS id, 'name ' || (i % 37) AS name, CASE WHEN i < 4096 THEN NULL ELSE i % 3 END AS late FROM range(8192) t(i)) TO 'rg.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)"
cat > pred.yaml <<'EOF'
name: parquet-predicate
args: {input: x, output: y, pred: "true"}
nodes:
  in: {type: read_file, path: "${input}", predicate: "${pred}"}
  out: {type: write_file, input: in, path: "${output}", format: json, compression: none}
EOF
records_for() { # predicate → records read
  "$SLUICE" run pred.yaml --json --arg input=rg.parquet --arg output="out_pred$RANDOM" --arg pred="$1" >"$WORK/.out" 2>"$WORK/.err" &&
    "$PY" -c "import json; print(json.load(open('$WORK/.out'))['records_read'])"
}
expect_rows() { # predicate, expected records (whole row groups)
  local got; got=$(records_for "$1")
  if [ "$got" = "$2" ]; then pass "predicate $1: $2 records (row groups skipped)"; else fail "predicate $1: $got records, wanted $2: $(head -c 300 "$WORK/.err")"; fi
}
expect_rows "id >= 2500 and id < 4000" 2048
expect_rows "id < 10 or id > 8000" 4096
expect_rows "late is not null" 4096
expect_rows "name = 'zzz' or id = 8000" 2048
expect_rows "true" 8192
cat > predf.yaml <<'EOF'
name: parquet-predicate-filter
args: {input: x, output: y}
nodes:
  in: {type: read_file, path: "${input}", predicate: "id >= 2500 and id < 4000"}
  keep: {type: filter, input: in, condition: "id >= 2500 and id < 4000"}
  out: {type: write_file, input: keep, path: "${output}", format: json, compression: none}
EOF
duck "COPY (SELECT * FROM 'rg.parquet' WHERE id >= 2500 AND id < 4000) TO 'predf.duck.json' (FORMAT json)" >/dev/null
expect_exit 0 "predicate plus a filter node" "$SLUICE" run predf.yaml --quiet --arg input=rg.parquet --arg output=out_predf
check "… gives exactly DuckDB's WHERE rows" "$PY" cmp.py predf.duck.json out_predf --key id
sed 's/predicate: "id >= 2500 and id < 4000"/predicate: "id >= = 3"/' predf.yaml > pred_bad.yaml
expect_exit 2 "a predicate that does not parse is a job error" "$SLUICE" run pred_bad.yaml --quiet --arg input=rg.parquet --arg output=out_pb
contains "$WORK/.err" "pred_bad.yaml" "… located in the job file"

# ---- bad files: exit 1, the message names the file and what is wrong
size=$(stat -c %s all_snappy_v1.parquet)
head -c $((size - 100)) all_snappy_v1.parquet > truncated_end.parquet
head -c $((size / 2)) all_snappy_v1.parquet > truncated_half.parquet
printf '{"a": 1}\n' > notparquet.parquet
: > empty.parquet
cp all_snappy_v1.parquet bad_footer.parquet
printf '\377\377\377\377\377\377' | dd of=bad_footer.parquet bs=1 seek=$((size - 40)) conv=notrunc 2>/dev/null
# a damaged page: keep the footer, overwrite bytes inside the first column chunk
cp all_snappy_v1.parquet bad_page.parquet
head -c 2000 /dev/zero | tr '\0' '\377' | dd of=bad_page.parquet bs=1 seek=8 conv=notrunc 2>/dev/null
for f in truncated_end truncated_half notparquet empty bad_footer bad_page; do
  expect_exit 1 "$f.parquet fails cleanly" "$SLUICE" run read.yaml --quiet --arg input="$f.parquet" --arg output="out_$f"
  contains "$WORK/.err" "$f.parquet" "… the message names $f.parquet"
  if grep -qiE "parquet" "$WORK/.err" && ! grep -qiE "sanitizer|segmentation|core dumped" "$WORK/.err"; then
    pass "… and says what is wrong: $(head -c 200 "$WORK/.err")"
  else
    fail "… and says what is wrong: $(head -c 300 "$WORK/.err")"
  fi
done
contains "$WORK/.err" "corrupt Parquet data in column 'id', row group 0" "a damaged page names its column and row group"
