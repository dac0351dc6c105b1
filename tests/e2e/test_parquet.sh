#!/usr/bin/env bash
# test_parquet.sh — the Parquet writer checked by an independent reader:
# DuckDB (npm @duckdb/node-api, which bundles libduckdb) inspects every file
# sluice writes with parquet_metadata()/parquet_schema() and reads it back;
# the values must equal the source JSON (all types, nulls, nested structs,
# lists of lists and of structs), for every codec, data page v1 and v2, and
# sizes small enough to force many pages and row groups. Statistics are
# checked against the data of each row group, and range filters (which
# DuckDB answers with row-group skipping from our statistics) must count
# the same rows as on the source. Also: the schema rules (a choice type fails
# the run naming the field; a later record of another type goes to the
# error output; fields absent from the first row group are dropped).
#
# DuckDB: bench/work/node or build/node when present, else installed into
# build/node with npm.
. "$(dirname "$0")/lib.sh"

DUCKDB_PKG=@duckdb/node-api
DUCKDB_VERSION=1.5.6-r.1
DUCKDB_MODULE=
for prefix in "$SLUICE_TOP/bench/work/node" "$SLUICE_TOP/build/node"; do
  if grep -qs "\"version\": \"$DUCKDB_VERSION\"" "$prefix/node_modules/$DUCKDB_PKG/package.json"; then
    DUCKDB_MODULE="$prefix/node_modules/$DUCKDB_PKG"
    break
  fi
done
if [ -z "$DUCKDB_MODULE" ] && command -v npm >/dev/null; then
  mkdir -p "$SLUICE_TOP/build/node"
  npm install --prefix "$SLUICE_TOP/build/node" --no-audit --no-fund --loglevel=error \
    "$DUCKDB_PKG@$DUCKDB_VERSION" >"$WORK/npm.log" 2>&1
  [ -f "$SLUICE_TOP/build/node/node_modules/$DUCKDB_PKG/package.json" ] &&
    DUCKDB_MODULE="$SLUICE_TOP/build/node/node_modules/$DUCKDB_PKG"
fi
if [ -z "$DUCKDB_MODULE" ] || ! command -v node >/dev/null; then
  fail "DuckDB ($DUCKDB_PKG@$DUCKDB_VERSION) is not available and could not be installed: $(tail -c 300 "$WORK/npm.log" 2>/dev/null)"
  exit 0
fi

# duck SQL... — runs the statements in one in-memory database and prints the
# rows of each statement but CREATE, as one JSON line per statement; a
# failing statement prints "ERROR: …" and stops.
cat >"$WORK/duck.cjs" <<EOF
const duckdb = require('$DUCKDB_MODULE');
(async () => {
  const db = await duckdb.DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await db.connect();
  for (const sql of process.argv.slice(2)) {
    try {
      const rows = (await con.runAndReadAll(sql)).getRowObjectsJson();
      if (!/^\s*create\s/i.test(sql)) console.log(JSON.stringify(rows));
    } catch (e) { console.log('ERROR: ' + String(e.message).split('\n')[0]); process.exit(1); }
  }
})();
EOF
duck() { node "$WORK/duck.cjs" "$@" 2>&1; }

# ---- source data: every type, nulls, missing fields, nesting ----
python3 - <<'EOF'
import json, random
r = random.Random(5)
with open('src.json', 'w') as f:
    for i in range(3000):
        rec = {"id": i}
        if r.random() < 0.9: rec["b"] = r.random() < 0.5
        if r.random() < 0.9: rec["i"] = r.randint(-2**62, 2**62) if r.random() < 0.3 else r.randint(-50, 50)
        if r.random() < 0.9:
            rec["f"] = r.choice([0.5, -1.25, 3.0e10, 1e-7, 0.0, -0.0, 2.5]) if r.random() < 0.5 else r.random() * 1000
        if r.random() < 0.9:
            rec["s"] = (r.choice(["alpha", "beta", "gamma", "", "ünïcödé ✓", "x" * 300]) if r.random() < 0.7
                        else "u%06d-%s" % (i, "q" * r.randint(0, 40)))
        if r.random() < 0.9:
            rec["st"] = None if r.random() < 0.1 else {
                "a": r.randint(0, 9) if r.random() < 0.8 else None, "b": r.choice(["p", "q", None]),
                "c": None if r.random() < 0.2 else {"x": r.random()}}
        if r.random() < 0.9:
            rec["li"] = None if r.random() < 0.1 else [r.randint(0, 5) if r.random() < 0.9 else None
                                                    for _ in range(r.randint(0, 4))]
        if r.random() < 0.9:
            rec["ls"] = None if r.random() < 0.1 else [None if r.random() < 0.1 else
                                                    {"k": r.choice("abc"), "v": r.randint(0, 100)}
                                                    for _ in range(r.randint(0, 3))]
        if r.random() < 0.9:
            rec["ll"] = [[r.randint(0, 3) for _ in range(r.randint(0, 2))] if r.random() < 0.9 else None
                         for _ in range(r.randint(0, 3))]
        if r.random() < 0.9:
            rec["date_text"] = "%04d-%02d-%02d" % (r.randint(1, 9999), r.randint(1, 12), r.randint(1, 28))
        if r.random() < 0.9:
            rec["ts_text"] = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (
                r.randint(1900, 2100), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59),
                r.randint(0, 59), r.randint(0, 999999))
        if r.random() < 0.9: rec["dec_text"] = "%s%d.%02d" % (r.choice(["", "-"]), r.randint(0, 10**8), r.randint(0, 99))
        if r.random() < 0.9:
            rec["bigdec_text"] = "%s%d.%05d" % (r.choice(["", "-"]), r.randint(0, 10**25), r.randint(0, 99999))
        if r.random() < 0.9: rec["bin_text"] = r.choice(["", "abc", "\u0001\u0002", "zz" * 20])
        rec["nul"] = None
        f.write(json.dumps(rec) + "\n")
EOF

cat >job.yaml <<'EOF'
name: parquet-types
args:
  output: out
  codec: snappy
  version: "1"
  page: 1MB
  group: 64MB
nodes:
  src:
    type: read_file
    path: src.json
    format: json
  typed:
    type: derive
    input: src
    columns:
      d: cast(date_text as date)
      ts: cast(ts_text as timestamp)
      dec: cast(dec_text as decimal)
      bigdec: cast(bigdec_text as decimal)
      bin: cast(bin_text as binary)
  out:
    type: write_file
    input: typed
    path: ${output}
    format: parquet
    parquet_compression: ${codec}
    data_page_version: ${version}
    page_size: ${page}
    row_group_size: ${group}
EOF

SRC="create table src as select * from read_json('src.json', format='newline_delimited', columns={id:'BIGINT',
  b:'BOOLEAN', i:'BIGINT', f:'DOUBLE', s:'VARCHAR', st:'STRUCT(a BIGINT, b VARCHAR, c STRUCT(x DOUBLE))',
  li:'BIGINT[]', ls:'STRUCT(k VARCHAR, v BIGINT)[]', ll:'BIGINT[][]', date_text:'VARCHAR', ts_text:'VARCHAR',
  dec_text:'VARCHAR', bigdec_text:'VARCHAR', bin_text:'VARCHAR', nul:'VARCHAR'})"
COLS="id, b, i, f, s, st, li, ls, ll, nul, date_text, ts_text, dec_text, bigdec_text, bin_text"
COMPARE="select
  (select count(*) from pq) as n,
  (select count(*) from (select $COLS from src except all select $COLS from pq)) as missing,
  (select count(*) from (select $COLS from pq except all select $COLS from src)) as extra,
  (select count(*) from pq where d is distinct from cast(date_text as date)) as bad_date,
  (select count(*) from pq where ts is distinct from cast(ts_text as timestamptz)) as bad_ts,
  (select count(*) from pq where dec is distinct from cast(dec_text as decimal(10,2))) as bad_dec,
  (select count(*) from pq where bigdec is distinct from cast(bigdec_text as decimal(30,5))) as bad_bigdec,
  (select count(*) from pq where bin is distinct from cast(bin_text as blob)) as bad_bin"
GOOD='[{"n":"3000","missing":"0","extra":"0","bad_date":"0","bad_ts":"0","bad_dec":"0","bad_bigdec":"0","bad_bin":"0"}]'

# Statistics of every row group equal the data of that row group (ids are
# the row order: the file holds one split in input order); strings longer
# than 64 bytes have truncated bounds, so for s they only need to bound it.
ROWS="create table rows as select *, file_row_number as rn from read_parquet('out/*.parquet', file_row_number = true)"
RG="create table rg as select row_group_id, path_in_schema, stats_min_value, stats_max_value, stats_null_count,
  sum(row_group_num_rows) over (partition by path_in_schema order by row_group_id) - row_group_num_rows as lo,
  sum(row_group_num_rows) over (partition by path_in_schema order by row_group_id) as hi
  from parquet_metadata('out/*.parquet')"
STATS="select count(*) as bad from (
  select rg.path_in_schema, rg.row_group_id, any_value(stats_min_value) smin, any_value(stats_max_value) smax,
    any_value(stats_null_count) snull,
    case rg.path_in_schema when 'i' then min(i)::varchar when 's' then min(s) when 'd' then min(d)::varchar
      when 'id' then min(id)::varchar end as amin,
    case rg.path_in_schema when 'i' then max(i)::varchar when 's' then max(s) when 'd' then max(d)::varchar
      when 'id' then max(id)::varchar end as amax,
    case rg.path_in_schema when 'i' then count(*) - count(i) when 's' then count(*) - count(s)
      when 'd' then count(*) - count(d) when 'id' then count(*) - count(id) end as anull
  from rg join rows on rows.rn >= rg.lo and rows.rn < rg.hi
  where rg.path_in_schema in ('i', 's', 'd', 'id')
  group by rg.path_in_schema, rg.row_group_id)
where snull != anull or (amin is not null and path_in_schema != 's' and (smin != amin or smax != amax))
   or (amin is not null and path_in_schema = 's' and (smin > amin or smax < amax or smin is null))"
FILTERS="select
  (select count(*) from pq where i > 40) = (select count(*) from src where i > 40) and
  (select count(*) from pq where id between 700 and 710) = 11 and
  (select count(*) from pq where s = 'beta') = (select count(*) from src where s = 'beta') and
  (select count(*) from pq where f < 0) = (select count(*) from src where f < 0) and
  (select count(*) from pq where d < date '2000-01-01') = (select count(*) from src where date_text < '2000-01-01')
  as ok"

for variant in "snappy 1 1MB 64MB" "gzip 1 1MB 64MB" "zstd 1 1MB 64MB" "none 1 1MB 64MB" \
               "snappy 2 1MB 64MB" "zstd 2 600 8KB" "gzip 1 512 4KB" "none 2 1KB 2KB"; do
  set -- $variant
  what="codec $1, page v$2, page_size $3, row_group_size $4"
  rm -rf out
  if ! "$SLUICE" run job.yaml --quiet --arg codec="$1" --arg version="$2" --arg page="$3" --arg group="$4" \
       >"$WORK/run.out" 2>&1; then
    fail "$what: run failed: $(head -c 300 "$WORK/run.out")"
    continue
  fi
  got=$(duck "select count(*) as chunks, count(distinct row_group_id) as groups, min(compression) as codec
               from parquet_metadata('out/*.parquet')" \
             "$SRC" "create table pq as select * from read_parquet('out/*.parquet')" "$COMPARE" "$ROWS" "$RG" "$STATS" "$FILTERS")
  meta=$(sed -n 1p <<<"$got")
  case "$meta" in
    *'"chunks"'*) pass "$what: parquet_metadata() reads the file ($meta)" ;;
    *) fail "$what: parquet_metadata(): $meta" ;;
  esac
  line=$(sed -n 2p <<<"$got")
  if [ "$line" = "$GOOD" ]; then pass "$what: DuckDB reads back every value"; else fail "$what: values differ: $line"; fi
  line=$(sed -n 3p <<<"$got")
  if [ "$line" = '[{"bad":"0"}]' ]; then pass "$what: row group statistics match the data"; else fail "$what: statistics: $line"; fi
  line=$(sed -n 4p <<<"$got")
  if [ "$line" = '[{"ok":true}]' ]; then pass "$what: filtered reads (row group skipping) count right"; else fail "$what: filters: $line"; fi
done

# Page layout the options asked for: several pages and row groups, dictionary
# and plain encodings both used.
rm -rf out
"$SLUICE" run job.yaml --quiet --arg page=1KB --arg group=16KB >/dev/null 2>&1
got=$(duck "select count(distinct row_group_id) > 5 as groups,
                   bool_or(encodings like '%RLE_DICTIONARY%') as dict, bool_or(encodings not like '%DICTIONARY%') as plain,
                   bool_and(dictionary_page_offset is null or dictionary_page_offset < data_page_offset) as order_ok
            from parquet_metadata('out/*.parquet')")
if [ "$got" = '[{"groups":true,"dict":true,"plain":true,"order_ok":true}]' ]; then
  pass "small sizes: many row groups, dictionary and plain columns"
else
  fail "small sizes: $got"
fi

# ---- schema rules ----
# A field with values of two kinds in the first row group fails the run and names it.
printf '%s\n' '{"a":1,"b":{"c":1}}' '{"a":2,"b":{"c":"x"}}' >choice.json
cat >choice.yaml <<'EOF'
name: parquet-choice
nodes:
  src: {type: read_file, path: choice.json, format: json}
  out: {type: write_file, input: src, path: out_choice, format: parquet}
EOF
expect_exit 1 "a choice type fails the run" "$SLUICE" run choice.yaml
contains "$WORK/.err" "b.c" "the error names the field"
contains "$WORK/.err" "several types" "the error says why"
check "a failed run publishes no file" test ! -e out_choice/_SUCCESS

# long and double in one field widen to double.
printf '%s\n' '{"x":1}' '{"x":2.5}' >widen.json
cat >widen.yaml <<'EOF'
name: parquet-widen
nodes:
  src: {type: read_file, path: widen.json, format: json}
  out: {type: write_file, input: src, path: out_widen, format: parquet}
EOF
"$SLUICE" run widen.yaml --quiet >/dev/null 2>&1
got=$(duck "select typeof(x) as t, sum(x) as s from read_parquet('out_widen/*.parquet') group by all")
if [ "$got" = '[{"t":"DOUBLE","s":3.5}]' ]; then pass "long|double widens to double"; else fail "widening: $got"; fi

# The file schema comes from the first row group: a later record with a value
# of another type goes to the error output, a field not in the schema is dropped.
python3 - <<'EOF'
import json
with open('later.json', 'w') as f:
    for i in range(400):
        rec = {"id": i, "v": i * 2, "name": "n%d" % i}
        if i == 300: rec["v"] = "not a number"
        if i == 310: rec["extra"] = True
        f.write(json.dumps(rec) + "\n")
EOF
cat >later.yaml <<'EOF'
name: parquet-later
settings: {error_output: errs}
nodes:
  src: {type: read_file, path: later.json, format: json}
  out: {type: write_file, input: src, path: out_later, format: parquet, row_group_size: 1KB}
EOF
expect_exit 0 "later type mismatch: the run succeeds" "$SLUICE" run later.yaml
got=$(duck "select count(*) as n, count(*) filter (where id = 300) as bad, sum(v) as v
            from read_parquet('out_later/*.parquet')")
if [ "$got" = '[{"n":"399","bad":"0","v":"159000"}]' ]; then
  pass "the mismatching record is left out, the others are written"
else
  fail "later records: $got"
fi
if grep -rqs "not a number" errs; then pass "the mismatching record is in the error output"; else fail "error output lacks the record"; fi
got=$(duck "select count(*) as n from parquet_schema('out_later/*.parquet') where name = 'extra'")
if [ "$got" = '[{"n":"0"}]' ]; then pass "a field first seen after the first row group is dropped"; else fail "extra field: $got"; fi

# compression (file level) and parquet do not mix.
cat >badcomp.yaml <<'EOF'
name: parquet-badcomp
nodes:
  src: {type: read_file, path: later.json, format: json}
  out: {type: write_file, input: src, path: out_bad, format: parquet, compression: gzip}
EOF
expect_exit 2 "compression: gzip with format parquet is rejected" "$SLUICE" run badcomp.yaml
contains "$WORK/.err" "parquet_compression" "the message points to parquet_compression"

# ---- partitioned folders, both ways: sluice writes Hive partitions DuckDB reads; DuckDB writes
# PARTITION_BY folders sluice reads (partition fields come back from the path)
python3 - <<'PYEOF'
import json
with open('parts.json', 'w') as f:
    for i in range(600):
        f.write(json.dumps({"id": i, "region": ["eu", "us", "ap"][i % 3], "year": 2023 + i % 2, "v": i * 0.5}) + "\n")
PYEOF
cat > parts.yaml <<'YAML'
nodes:
  src: {type: read_file, path: parts.json}
  dst: {type: write_file, input: src, path: out_parts, format: parquet, partition_keys: [year, region]}
YAML
expect_exit 0 "sluice writes Hive-partitioned Parquet" "$SLUICE" run parts.yaml --quiet
check "year=/region= directories" test -d out_parts/year=2024/region=us
got=$(duck "SELECT count(*) AS n, sum(v) AS s, count(DISTINCT region) AS r FROM read_parquet('out_parts/*/*/*.parquet', hive_partitioning = true) WHERE year = 2024 AND region = 'us'")
want=$(python3 -c "
import json
rows = [json.loads(l) for l in open('parts.json')]
sel = [r for r in rows if r['year'] == 2024 and r['region'] == 'us']
print(len(sel), sum(r['v'] for r in sel))")
check "DuckDB reads sluice's partitions (hive_partitioning) with the right rows and values" python3 -c "
import json, sys
d = json.loads('''$got''')[0]
n, s = '''$want'''.split()
assert int(d['n']) == int(n) and float(d['s']) == float(s) and int(d['r']) == 1, (d, n, s)"
duck "COPY (SELECT * FROM read_json_auto('parts.json')) TO 'duck_parts' (FORMAT parquet, PARTITION_BY (year, region))" >/dev/null
cat > readparts.yaml <<'YAML'
nodes:
  src: {type: read_file, path: duck_parts, partition_predicate: "region = 'eu'"}
  dst: {type: write_file, input: src, path: back_parts}
YAML
expect_exit 0 "sluice reads DuckDB's partitioned folder with pruning" "$SLUICE" run readparts.yaml --quiet
check "records come back with year and region from the path, only region eu" python3 -c "
import json, glob
got = sorted((json.loads(l) for f in glob.glob('back_parts/part-*') for l in open(f)), key=lambda r: r['id'])
want = [r for r in (json.loads(l) for l in open('parts.json')) if r['region'] == 'eu']
assert len(got) == len(want) and all(g['id'] == w['id'] and g['year'] == w['year'] and g['region'] == 'eu' and g['v'] == w['v'] for g, w in zip(got, want)), (got[:2], want[:2])"
