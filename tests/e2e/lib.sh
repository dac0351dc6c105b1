# lib.sh — helpers for end-to-end tests (sourced by tests/e2e/test_*.sh).
# Tests run the sluice binary ($SLUICE) as a user would, in a scratch
# directory, and print one "PASS: what" or "FAIL: what" line per check.
set -u
: "${SLUICE:?set SLUICE to the sluice binary}"
: "${SLUICE_TOP:?set SLUICE_TOP to the source tree}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1

# run ARGS...  — `sluice run` without progress output
run() { "$SLUICE" run "$@" --quiet; }

# parts DIR  — a job's output part files in name order, every line newline-terminated
parts() { awk 1 "$1"/part-* 2>/dev/null; }
export -f parts

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; }

# check "description" command...   — passes when the command succeeds
check() {
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

# expect_exit CODE "description" command...  — runs the command, checks its exit code
expect_exit() {
  local code=$1 what=$2; shift 2
  "$@" >"$WORK/.out" 2>"$WORK/.err"; local rc=$?
  if [ "$rc" -eq "$code" ]; then pass "$what"; else fail "$what (exit $rc, wanted $code): $(head -c 400 "$WORK/.err")"; fi
}

# contains FILE TEXT "description"
contains() {
  if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3 ('$2' not in $1: $(head -c 300 "$1"))"; fi
}
