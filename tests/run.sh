#!/usr/bin/env bash
# run.sh — run every sluice test and print one summary line "N passed, N failed".
#
#   unit tests      build/tests/test_*  and  build/asan/tests/test_*  (cmocka)
#   end-to-end      tests/e2e/test_*.sh, once with build/sluice and once with
#                   build/asan/sluice (ASan + UBSan)
#   fuzz (short)    build/fuzz/fuzz_* for FUZZ_SECONDS each (default 10) on a
#                   temporary copy of tests/fuzz/corpus/NAME
# Set TESTS=pattern to run only matching test files.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
passed=0
failed=0
failures=()
pattern=${TESTS:-}
logdir=build/test-logs
mkdir -p "$logdir"

count_cmocka() { # $1 = binary, $2 = label
  local log="$logdir/$(echo "$2" | tr '/ ' '__').log" p f rc
  "$1" >"$log" 2>&1; rc=$?
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -ne 0 ]; then failures+=("$2 (see $log)"); echo "FAIL $2"; else echo "ok   $2 ($p)"; fi
}

for t in build/tests/test_* build/asan/tests/test_*; do
  [ -x "$t" ] || continue
  [ -n "$pattern" ] && [[ "$t" != *$pattern* ]] && continue
  label=${t#build/}
  count_cmocka "$t" "$label"
done

run_e2e() { # $1 = script, $2 = sluice binary, $3 = label
  local log="$logdir/$(echo "$3" | tr '/ ' '__').log" p f rc
  SLUICE="$top/$2" SLUICE_TOP="$top" bash "$1" >"$log" 2>&1; rc=$?
  p=$(grep -c '^PASS:' "$log"); f=$(grep -c '^FAIL:' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -ne 0 ]; then failures+=("$3 (see $log)"); echo "FAIL $3"; grep '^FAIL:' "$log" | head -5 | sed 's/^/     /'; else echo "ok   $3 ($p)"; fi
}

for s in tests/e2e/test_*.sh; do
  [ -f "$s" ] || continue
  [ -n "$pattern" ] && [[ "$s" != *$pattern* ]] && continue
  name=$(basename "$s" .sh)
  run_e2e "$s" build/sluice "e2e/$name"
  run_e2e "$s" build/asan/sluice "e2e-asan/$name"
done

fuzz_seconds=${FUZZ_SECONDS:-10}
for fz in build/fuzz/fuzz_*; do
  [ -x "$fz" ] || continue
  name=$(basename "$fz"); name=${name#fuzz_}
  [ -n "$pattern" ] && [[ "fuzz_$name" != *$pattern* ]] && continue
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
  log="$logdir/fuzz_$name.log"
  if "$fz" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$logdir/fuzz_$name-" "$work" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "ok   fuzz/$name (${fuzz_seconds}s)"
  else
    failed=$((failed + 1)); failures+=("fuzz/$name (see $log)"); echo "FAIL fuzz/$name"
  fi
  rm -rf "$work"
done

if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "Failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
