#!/usr/bin/env bash
# End-to-end: jobs and the catalog — the `read_catalog` source (Glue's
# from_catalog with push_down_predicate) and write_file's catalog updates
# (Glue's enableUpdateCatalog), on local folders with a catalog in the
# scratch directory. Crawlers filling the catalog are tested in test_crawl.sh
# and the reference pipelines in test_pipelines.sh.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
export SLUICE_CATALOG="$WORK/catalog.db"
lines() { cat "$1"/part-* 2>/dev/null | sort; }
export -f lines

# ---- data: a Hive-partitioned JSON folder, a CSV folder, an unnamed-partition folder
for y in 2023 2024 2025; do
  for m in 1 2; do
    mkdir -p "data/logs/year=$y/month=$m"
    for i in 1 2 3; do echo "{\"id\":$i,\"msg\":\"m$y-$m-$i\",\"level\":\"INFO\"}"; done >"data/logs/year=$y/month=$m/p.json"
  done
done
mkdir -p data/scores data/odd/a data/odd/b
printf 'id,name,score\n007,ann,0.5\n2,bob,0.9\n3,cy,0.1\n' >data/scores/s.csv
echo '{"k":1}' >data/odd/a/x.json
echo '{"k":2}' >data/odd/b/x.json

S=$SLUICE
expect_exit 0 "create database" "$S" catalog create-database lake
expect_exit 0 "register a partitioned JSON table" "$S" catalog create-table lake.logs --location "$WORK/data/logs" \
  --classification json --column id:bigint --column msg:string --column level:string \
  --partition-key year:string --partition-key month:string
for y in 2023 2024 2025; do for m in 1 2; do "$S" catalog add-partition lake.logs $y $m >/dev/null; done; done
expect_exit 0 "register a CSV table with a string id column" "$S" catalog create-table lake.scores \
  --location "$WORK/data/scores" --classification csv --column id:string --column name:string \
  --column score:double --header
expect_exit 0 "register a table with unnamed partitions" "$S" catalog create-table lake.odd \
  --location "$WORK/data/odd" --classification json --column k:bigint --partition-key partition_0:string
"$S" catalog add-partition lake.odd a --location "$WORK/data/odd/a" >/dev/null
"$S" catalog add-partition lake.odd b --location "$WORK/data/odd/b" >/dev/null

cat >all.yaml <<'YAML'
args: {out: out/all, pred: ""}
nodes:
  logs: {type: read_catalog, database: lake, table: logs, push_down_predicate: "${pred}"}
  out: {type: write_file, input: logs, path: "${out}", mode: overwrite}
YAML
expect_exit 0 "read_catalog: every partition" run all.yaml
check "read_catalog: 18 records, each with year and month from the catalog" "$PY" - <<'PYEOF'
import glob, json
rs = [json.loads(l) for f in glob.glob("out/all/part-*") for l in open(f)]
assert len(rs) == 18, len(rs)
for r in rs:
    assert r["msg"].startswith("m%s-%s-" % (r["year"], r["month"])), r
    assert isinstance(r["year"], str) and isinstance(r["month"], str), r   # string keys, as the catalog says
PYEOF
expect_exit 0 "read_catalog: push_down_predicate year = 2024 and month = 2" run all.yaml --arg out=out/p1 \
  --arg "pred=year = 2024 and month = 2"
check "push_down_predicate keeps exactly one partition" bash -c \
  '[ "$(lines out/p1 | wc -l)" = 3 ] && ! lines out/p1 | grep -v "\"year\":\"2024\",\"month\":\"2\""'
expect_exit 0 "push_down_predicate with a string comparison and in()" run all.yaml --arg out=out/p2 \
  --arg "pred=year >= '2024' and month in ('1')"
check "string comparison and in(): 2 partitions" bash -c '[ "$(lines out/p2 | wc -l)" = 6 ]'
expect_exit 0 "push_down_predicate that matches nothing is an empty run" run all.yaml --arg out=out/p3 \
  --arg "pred=year = 1999"
check "no partition, no records" bash -c '[ "$(lines out/p3 | wc -l)" = 0 ]'

cat >csv.yaml <<'YAML'
nodes:
  s: {type: read_catalog, database: lake, table: scores}
  out: {type: write_file, input: s, path: out/scores, mode: overwrite}
YAML
expect_exit 0 "read_catalog: CSV table" run csv.yaml
check "CSV read with the catalog's types (id stays the string 007, score a double)" bash -c \
  'lines out/scores | grep -qx "{\"id\":\"007\",\"name\":\"ann\",\"score\":0.5}"'

cat >odd.yaml <<'YAML'
nodes:
  s: {type: read_catalog, database: lake, table: odd, push_down_predicate: "partition_0 = 'b'"}
  out: {type: write_file, input: s, path: out/odd, mode: overwrite}
YAML
expect_exit 0 "read_catalog: unnamed partition key partition_0" run odd.yaml
check "partition_0 = 'b' reads folder b only" bash -c 'lines out/odd | grep -qx "{\"k\":2,\"partition_0\":\"b\"}" && [ "$(lines out/odd | wc -l)" = 1 ]'

# ---- errors
cat >missing.yaml <<'YAML'
nodes:
  s: {type: read_catalog, database: lake, table: nope}
  out: {type: write_file, input: s, path: out/missing}
YAML
expect_exit 1 "a table that is not in the catalog fails the run" run missing.yaml
contains "$WORK/.err" "nope" "the message names the missing table"
check "and no output directory is left" test ! -e out/missing
cat >badpred.yaml <<'YAML'
nodes:
  s: {type: read_catalog, database: lake, table: logs, push_down_predicate: "year = = 1"}
  out: {type: write_file, input: s, path: out/bad}
YAML
expect_exit 2 "a malformed push_down_predicate is a validation error" "$S" validate badpred.yaml
contains "$WORK/.err" "badpred.yaml" "the error names the job file"
expect_exit 1 "a catalog file that does not exist" env SLUICE_CATALOG="$WORK/none.db" "$S" run all.yaml --quiet \
  --arg out=out/none
check "a missing catalog is not created by a reading job" test ! -e "$WORK/none.db"

# ---- write_file updates the catalog
cat >sink.yaml <<'YAML'
args: {in: lake, table: logs, out: out/lake/logs_clean, behavior: UPDATE_IN_DATABASE, fmt: json}
nodes:
  s: {type: read_catalog, database: "${in}", table: "${table}"}
  out:
    type: write_file
    input: s
    path: "${out}"
    format: "${fmt}"
    partition_keys: [year]
    catalog_database: curated
    catalog_table: logs_clean
    catalog_update_behavior: "${behavior}"
YAML
expect_exit 0 "write_file with catalog_database creates the database, table and partitions" run sink.yaml
"$S" catalog table curated.logs_clean --json >t1.json
check "the new table: location absolute, classification json, partition key year, columns from the data" \
  "$PY" - <<'PYEOF'
import json, os
t = json.load(open("t1.json"))["Table"]
sd = t["StorageDescriptor"]
assert sd["Location"] == os.getcwd() + "/out/lake/logs_clean/", sd["Location"]
assert t["Parameters"]["classification"] == "json", t["Parameters"]
assert [k["Name"] for k in t["PartitionKeys"]] == ["year"], t["PartitionKeys"]
cols = {c["Name"]: c["Type"] for c in sd["Columns"]}
assert cols == {"id": "bigint", "msg": "string", "level": "string", "month": "string"}, cols
PYEOF
"$S" catalog partitions curated.logs_clean --json >p1.json
check "three partitions, one per year written" "$PY" -c '
import json; ps = json.load(open("p1.json"))["Partitions"]
assert sorted(p["Values"] for p in ps) == [["2023"], ["2024"], ["2025"]], ps'

cat >widen.yaml <<'YAML'
args: {behavior: UPDATE_IN_DATABASE}
nodes:
  s: {type: read_file, path: more.json}
  out:
    type: write_file
    input: s
    path: out/lake/logs_clean
    partition_keys: [year]
    catalog_database: curated
    catalog_table: logs_clean
    catalog_update_behavior: "${behavior}"
YAML
echo '{"id":1.5,"msg":"x","level":"W","month":"3","year":"2026","extra":true}' >more.json
expect_exit 0 "LOG: new columns are not written to the catalog" run widen.yaml --arg behavior=LOG
check "LOG kept the schema (no extra column) but added partition 2026" bash -c \
  '"$SLUICE" catalog table curated.logs_clean --json | grep -vq "\"extra\"" &&
   "$SLUICE" catalog partitions curated.logs_clean | grep -q "^2026"'
expect_exit 0 "UPDATE_IN_DATABASE: the schema is widened" run widen.yaml
"$S" catalog table curated.logs_clean --json >t2.json
check "id widened from bigint to double, extra added at the end, a new version kept" "$PY" - <<'PYEOF'
import json
t = json.load(open("t2.json"))["Table"]
cols = [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]]
assert cols == [("id", "double"), ("msg", "string"), ("level", "string"), ("month", "string"), ("extra", "boolean")], cols
assert int(t["VersionId"]) >= 1, t.get("VersionId")
PYEOF
check "history shows the change" bash -c '"$SLUICE" catalog history curated.logs_clean | grep -q extra'

cat >back.yaml <<'YAML'
nodes:
  s: {type: read_catalog, database: curated, table: logs_clean}
  out: {type: write_file, input: s, path: out/back}
YAML
expect_exit 0 "the curated table reads back through read_catalog" run back.yaml
check "round trip: 20 records (18 + the 2026 one, written by both runs), year from the partitions" "$PY" - <<'PYEOF'
import glob, json
rs = [json.loads(l) for f in glob.glob("out/back/part-*") for l in open(f)]
assert len(rs) == 20, len(rs)
assert sorted({r["year"] for r in rs}) == ["2023", "2024", "2025", "2026"], rs[:3]
PYEOF
