#!/usr/bin/env bash
# End-to-end: the sluice command's surface — version, help, usage errors,
# validation messages and exit codes.
. "$SLUICE_TOP/tests/e2e/lib.sh"

expect_exit 0 "--version exits 0" "$SLUICE" --version
contains "$WORK/.out" "sluice " "--version prints the version"
expect_exit 0 "--help exits 0" "$SLUICE" --help
contains "$WORK/.out" "validate JOB.yaml" "--help lists the commands"
expect_exit 2 "unknown command exits 2" "$SLUICE" frobnicate
contains "$WORK/.err" "unknown command 'frobnicate'" "unknown command is named"
expect_exit 2 "no command exits 2" "$SLUICE"
expect_exit 0 "help nodes" "$SLUICE" help nodes
for n in read_file write_file apply_mapping select_fields drop_fields rename_field filter derive; do
  contains "$WORK/.out" "$n" "help nodes lists $n"
done
expect_exit 0 "help read_file" "$SLUICE" help read_file
contains "$WORK/.out" "split_size" "help read_file shows its options"
contains "$WORK/.out" "default 64MB" "help read_file shows defaults"
expect_exit 0 "help --markdown" "$SLUICE" help --markdown
contains "$WORK/.out" "| option |" "markdown reference has option tables"
if cmp -s "$WORK/.out" "$SLUICE_TOP/docs/job-reference.md"; then pass "docs/job-reference.md is up to date (make docs)"; else fail "docs/job-reference.md differs from sluice help --markdown: run make docs"; fi
expect_exit 2 "help for an unknown node exits 2" "$SLUICE" help no_such_node

printf '{"a":1}\n' > in.json
cat > good.yaml <<'YAML'
name: good
args:
  out: ./out
nodes:
  src:
    type: read_file
    path: in.json
  keep:
    type: filter
    input: src
    condition: a > 0
  dst:
    type: write_file
    input: keep
    path: ${out}
YAML
expect_exit 0 "validate a good job" "$SLUICE" validate good.yaml
contains "$WORK/.out" "ok" "validate says ok"

cat > bad_type.yaml <<'YAML'
nodes:
  src:
    type: read_fil
    path: in.json
  dst:
    type: write_file
    input: src
    path: out
YAML
expect_exit 2 "unknown node type is a validation error" "$SLUICE" validate bad_type.yaml
contains "$WORK/.err" "bad_type.yaml:3:" "error names file and line"
contains "$WORK/.err" "read_file" "error suggests the right type"

cat > bad_expr.yaml <<'YAML'
nodes:
  src:
    type: read_file
    path: in.json
  keep:
    type: filter
    input: src
    condition: a >
  dst:
    type: write_file
    input: keep
    path: out
YAML
expect_exit 2 "bad expression is a validation error" "$SLUICE" validate bad_expr.yaml
contains "$WORK/.err" "bad_expr.yaml:8:" "expression error names the line"
contains "$WORK/.err" "keep" "expression error names the node"

cat > bad_input.yaml <<'YAML'
nodes:
  src:
    type: read_file
    path: in.json
  dst:
    type: write_file
    input: srcc
    path: out
YAML
expect_exit 2 "input naming no node is a validation error" "$SLUICE" validate bad_input.yaml
contains "$WORK/.err" "srcc" "error names the missing input"

expect_exit 2 "unknown argument is a validation error" "$SLUICE" validate good.yaml --arg x
cat > needs_arg.yaml <<'YAML'
nodes:
  src:
    type: read_file
    path: ${input}
  dst:
    type: write_file
    input: src
    path: out
YAML
expect_exit 2 "undefined \${input} is a validation error" "$SLUICE" validate needs_arg.yaml
contains "$WORK/.err" "input" "error names the argument"
expect_exit 0 "--arg supplies it" "$SLUICE" validate needs_arg.yaml --arg input=in.json
expect_exit 2 "run with a bad job exits 2" "$SLUICE" run bad_type.yaml
expect_exit 2 "bad --threads exits 2" "$SLUICE" run good.yaml --threads zero
expect_exit 1 "run with a missing input path exits 1" "$SLUICE" run needs_arg.yaml --arg input=nope.json --quiet
contains "$WORK/.err" "nope.json" "missing input is named"
