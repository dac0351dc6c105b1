#!/usr/bin/env bash
# run.sh — `make fuzz`: run every libFuzzer target for FUZZ_SECONDS (default
# 300) on a scratch copy of its seed corpus (tests/fuzz/corpus/NAME), using
# all cores. Crashes are saved as build/fuzz/crash-NAME-*; the checked-in
# seed corpus is never modified.
set -u
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-300}
jobs=$(nproc)
status=0
for fz in build/fuzz/fuzz_*; do
  [ -x "$fz" ] || continue
  name=$(basename "$fz"); name=${name#fuzz_}
  work=$(mktemp -d)
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
  echo "== fuzz $name for ${seconds}s ($jobs jobs)"
  if "$fz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -fork="$jobs" \
       -artifact_prefix="build/fuzz/crash-$name-" "$work" > "build/fuzz/$name.log" 2>&1; then
    echo "   ok ($(ls "$work" | wc -l) corpus entries)"
  else
    echo "   FAILED: see build/fuzz/$name.log and build/fuzz/crash-$name-*"
    status=1
  fi
  rm -rf "$work"
done
exit $status
