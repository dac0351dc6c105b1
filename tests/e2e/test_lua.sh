#!/usr/bin/env bash
# End-to-end: the Lua nodes (map, flat_map, filter_fn) run by `sluice run` —
# the AppLogs cleaning step written in Lua gives byte for byte the output of
# the derive-based job on the demo data; errors, budgets, fan-out, filtering,
# validation messages and the sandbox as a user meets them.
. "$SLUICE_TOP/tests/e2e/lib.sh"
PY=${PYTHON:-python3}
parts() { cat "$1"/part-* 2>/dev/null; }
DATA="$SLUICE_TOP/examples/applogs/data"

# ---- the reference pipeline's cleaning step: derive vs Lua map
cat > derive.yaml <<YAML
settings: {error_output: errs_derive}
nodes:
  logs: {type: read_file, path: "$DATA", format: dynamodb_json}
  clean:
    type: derive
    input: logs
    columns:
      service_name: lower(service_name)
      timestamp: cast(timestamp as long)
  out: {type: write_file, input: clean, path: out/derive, format: json, compression: none}
YAML
cat > lua.yaml <<YAML
args: {out: out/lua}
settings: {error_output: errs_lua}
nodes:
  logs: {type: read_file, path: "$DATA", format: dynamodb_json}
  clean:
    type: map
    input: logs
    script: |
      -- lower-case service_name, timestamp (string or number) as an integer
      function process(rec)
        rec.service_name = string.lower(rec.service_name)
        local ts = math.tointeger(tonumber(rec.timestamp))
        if ts == nil then error("timestamp is not an integer: " .. tostring(rec.timestamp)) end
        rec.timestamp = ts
        return rec
      end
  out: {type: write_file, input: clean, path: "\${out}", format: json, compression: none}
YAML
expect_exit 0 "derive job runs on the demo data" "$SLUICE" run derive.yaml --quiet
expect_exit 0 "Lua map job runs on the demo data" "$SLUICE" run lua.yaml --quiet
parts out/derive > derive.jsonl
parts out/lua > lua.jsonl
check "Lua map output has records" test "$(wc -l < lua.jsonl)" -gt 2900
check "Lua map output equals derive output byte for byte" cmp derive.jsonl lua.jsonl
check "both send the same records to the error output" "$PY" -c "
import json, glob
d = [json.loads(l) for f in glob.glob('errs_derive/*.jsonl') for l in open(f)]
l = [json.loads(l) for f in glob.glob('errs_lua/*.jsonl') for l in open(f)]
assert len(d) == 2 and [e['raw'] for e in d] == [e['raw'] for e in l], (d, l)
assert all('timestamp is not an integer: yesterday' in e['reason'] and 'stack traceback' in e['reason'] for e in l), l
assert all(e['node'] == 'clean' and e['line'] > 0 for e in l), l
"
expect_exit 0 "the Lua job runs on two threads" "$SLUICE" run lua.yaml --quiet --threads 2 --arg out=out/lua2
parts out/lua2 > lua2.jsonl
check "same output with two threads" cmp derive.jsonl lua2.jsonl

# ---- flat_map fan-out, filter_fn shorthand, script_file
cat > in.json <<'J'
{"id":1,"tags":["a","b"],"level":"INFO"}
{"id":2,"tags":[],"level":"DEBUG"}
{"id":3,"tags":["c"],"level":"WARN"}
J
cat > explode.lua <<'L'
-- one record per tag; records without tags disappear
function process(rec)
  local out = {}
  for i, tag in ipairs(rec.tags) do
    local r = sluice.copy(rec)
    r.tags = nil
    r.tag = tag
    out[#out + 1] = r
  end
  return out
end
L
cat > fan.yaml <<'YAML'
settings: {error_output: errs_fan}
nodes:
  in: {type: read_file, path: in.json}
  quiet: {type: filter_fn, input: in, fn: "rec.level ~= 'DEBUG'"}
  explode: {type: flat_map, input: quiet, script_file: explode.lua}
  out: {type: write_file, input: explode, path: out/fan, compression: none}
YAML
expect_exit 0 "filter_fn + flat_map job runs" "$SLUICE" run fan.yaml --quiet
parts out/fan > fan.jsonl
printf '%s\n' '{"id":1,"level":"INFO","tag":"a"}' '{"id":1,"level":"INFO","tag":"b"}' '{"id":3,"level":"WARN","tag":"c"}' > fan_want.jsonl
check "flat_map fans out, filter_fn filters, field order kept" cmp fan.jsonl fan_want.jsonl

# ---- a runaway script: the record goes to the error output, the run goes on
cat > loop.yaml <<'YAML'
settings: {error_output: errs_loop}
nodes:
  in: {type: read_file, path: in.json}
  spin:
    type: map
    input: in
    max_instructions: 100000
    script: |
      function process(rec)
        if rec.id == 2 then while true do end end
        return rec
      end
  out: {type: write_file, input: spin, path: out/loop, compression: none}
YAML
expect_exit 0 "a runaway call does not stop the run" "$SLUICE" run loop.yaml --quiet
check "the other records are written" test "$(parts out/loop | wc -l)" -eq 2
check "the runaway record is in the error output with the budget message" \
  grep -q 'instruction budget exhausted (max_instructions: 100000 per record)' errs_loop/errors-*.jsonl
cat > loop_strict.yaml <<'YAML'
settings: {error_output: errs_loop2, max_errors: 0}
nodes:
  in: {type: read_file, path: in.json}
  spin: {type: map, input: in, max_instructions: 1000, fn: "rec.id == 2 and error('no 2') or rec"}
  out: {type: write_file, input: spin, path: out/loop2, compression: none}
YAML
expect_exit 1 "the job's error thresholds apply to Lua errors" "$SLUICE" run loop_strict.yaml --quiet
contains "$WORK/.err" "max_errors" "failure names max_errors"
check "a failed run publishes nothing" bash -c '! ls out/loop2/part-* 2>/dev/null'

# ---- validation: script errors are found before any data moves
cat > bad.yaml <<'YAML'
nodes:
  in: {type: read_file, path: in.json}
  m:
    type: map
    input: in
    script: |
      function process(rec)
        return rec +
      end
  out: {type: write_file, input: m, path: out/bad}
YAML
expect_exit 2 "a syntax error fails validation" "$SLUICE" run bad.yaml --quiet
contains "$WORK/.err" "script:3:" "the message gives the script line"
contains "$WORK/.err" "bad.yaml:6" "and the job file line"
sed -i 's/function process(rec)/function proc(rec)/; s/return rec +/return rec/' bad.yaml
expect_exit 2 "a missing function fails validation" "$SLUICE" run bad.yaml --quiet
contains "$WORK/.err" "defines no function 'process'" "the message names the function"

# ---- sandbox
cat > sandbox.yaml <<'YAML'
settings: {error_output: errs_sb}
nodes:
  in: {type: read_file, path: in.json}
  m: {type: map, input: in, fn: "rec.id == 1 and rec or io.open('/etc/passwd')"}
  out: {type: write_file, input: m, path: out/sb}
YAML
expect_exit 0 "a sandboxed script runs" "$SLUICE" run sandbox.yaml --quiet
check "io is not available in the sandbox" grep -q "attempt to index a nil value (global 'io')" errs_sb/errors-*.jsonl

# ---- help and docs
expect_exit 0 "sluice help map" "$SLUICE" help map
contains "$WORK/.out" "max_instructions" "help lists the options"
expect_exit 0 "sluice help flat_map" "$SLUICE" help flat_map
expect_exit 0 "sluice help filter_fn" "$SLUICE" help filter_fn
check "docs/lua.md exists" test -s "$SLUICE_TOP/docs/lua.md"
