#!/usr/bin/env bash
# test_s3.sh — the S3 client and the S3 object-store driver against a real S3
# server: Ceph RADOS Gateway, installed (apt) and started on 127.0.0.1 by
# tests/servers/ceph-rgw.sh. The checks themselves live in
# tests/unit/test_s3_live.c (built as build/tests/test_s3_live, and under
# build/asan/ when $SLUICE is the ASan build); this script runs it with
# SLUICE_S3_ENDPOINT set and turns its results into PASS/FAIL lines.
. "$SLUICE_TOP/tests/e2e/lib.sh"

server="$SLUICE_TOP/tests/servers/ceph-rgw.sh"
case "$SLUICE" in
  */asan/*) live="$SLUICE_TOP/build/asan/tests/test_s3_live" ;;
  *) live="$SLUICE_TOP/build/tests/test_s3_live" ;;
esac
if [ ! -x "$live" ]; then
  fail "s3: $live is not built (make build/tests/test_s3_live build/asan/tests/test_s3_live)"
  exit 0
fi

export S3_ACCESS_KEY=AKIDTEST S3_SECRET_KEY=SECRETTEST

# A port below 32768 (the kernel's ephemeral range starts there) whose
# neighbours PORT..PORT+12 are free too; a few tries in case of a clash.
port_free() {
  local p
  for p in $(seq "$1" $(($1 + 12))); do
    if ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then return 1; fi
  done
}
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pid=""
for _ in 1 2 3 4 5; do
  port=$((20000 + (RANDOM % 1200) * 10))
  port_free "$port" || continue
  if pid=$("$server" start "$port" 2>"$WORK/rgw.err"); then break; fi
  pid=""
done
if [ -z "$pid" ]; then
  fail "s3: Ceph RGW did not start: $(tail -3 "$WORK/rgw.err" | tr '\n' ' ')"
  exit 0
fi
trap '"$server" stop "$pid" >/dev/null 2>&1; rm -rf "$WORK"' EXIT

if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"; then
  pass "ceph-rgw.sh start prints only the server's PID"
else
  fail "ceph-rgw.sh start printed '$pid'"
fi

SLUICE_S3_ENDPOINT="http://127.0.0.1:$port" SLUICE_S3_ACCESS_KEY=$S3_ACCESS_KEY SLUICE_S3_SECRET_KEY=$S3_SECRET_KEY \
  "$live" >"$WORK/live.log" 2>&1
rc=$?
sed -n 's/^\[       OK \] \(.*\)/PASS: s3 live: \1/p' "$WORK/live.log"
grep -q '^\[  FAILED  \] test_' "$WORK/live.log" && grep -B3 '^\[  FAILED  \] test_' "$WORK/live.log" | sed 's/^/  /'
sed -n 's/^\[  FAILED  \] \(test_.*\)/FAIL: s3 live: \1/p' "$WORK/live.log" | sort -u
if [ "$rc" -ne 0 ] && ! grep -q '^\[  FAILED  \] test_' "$WORK/live.log"; then
  fail "s3 live: exit status $rc: $(tail -5 "$WORK/live.log" | tr '\n' ' ')"
fi
if grep -q '^SKIP' "$WORK/live.log"; then fail "s3 live: skipped although SLUICE_S3_ENDPOINT was set"; fi

# ---- `sluice run` reading and writing s3:// paths, checked with curl as an
# independent client (curl >= 7.75 signs with --aws-sigv4; its signer wants
# "/" in query values written as %2F, and x-amz-content-sha256 set by hand).
ep="http://127.0.0.1:$port"
s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_ENDPOINT_URL_S3=$ep AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
check "bucket created with curl" s3curl -X PUT "$ep/e2e"
# ~19 MB of JSON lines: more than two 8 MiB parts, so a multipart upload
python3 - <<'PY'
import json
with open("logs.json", "w") as f:
    for i in range(150000):
        f.write(json.dumps({"log_id": "id%07d" % i, "n": i, "service_name": "Svc-%d" % (i % 7), "pad": "x" * 40}) + "\n")
PY
cat > up.yaml <<'YAML'
nodes:
  logs: {type: read_file, path: logs.json}
  out: {type: write_file, input: logs, path: "s3://e2e/logs/raw"}
YAML
cat > down.yaml <<'YAML'
nodes:
  src: {type: read_file, path: "s3://e2e/logs/raw"}
  out: {type: write_file, input: src, path: back}
YAML
expect_exit 0 "sluice run writes to s3://" "$SLUICE" run up.yaml --quiet
s3curl "$ep/e2e?list-type=2&prefix=logs%2Fraw%2F" >list.xml 2>/dev/null
contains list.xml "<Key>logs/raw/_SUCCESS</Key>" "_SUCCESS marker in the bucket"
part=$(grep -o '<Key>logs/raw/part-[^<]*</Key>' list.xml | sed 's/<[^>]*>//g' | head -1)
check "one part object in the bucket" test -n "$part"
s3curl "$ep/e2e?uploads=" >uploads.xml 2>/dev/null
check "no multipart upload left open" bash -c '! grep -q "<Upload>" uploads.xml'
s3curl -o part.json "$ep/e2e/$part" 2>/dev/null
check "the object holds every record, in order" python3 -c "
import json
a = [json.loads(l) for l in open('logs.json')]
b = [json.loads(l) for l in open('part.json')]
raise SystemExit(0 if a == b else 1)"
expect_exit 0 "sluice run reads from s3://" "$SLUICE" run down.yaml --quiet
check "records read back from S3 are the originals" bash -c 'cmp -s <(cat back/part-*) part.json'
AWS_SECRET_ACCESS_KEY=wrong-secret "$SLUICE" run up.yaml --quiet >wrong.out 2>&1
check "a wrong secret fails the run" test $? -ne 0
contains wrong.out "HTTP 403 SignatureDoesNotMatch" "the wrong secret's error names the server's code"
check "the secret is not printed" bash -c '! grep -q wrong-secret wrong.out'

"$server" stop "$pid"
if alive "$pid"; then fail "ceph-rgw.sh stop left radosgw running"; else pass "ceph-rgw.sh stop ends the server"; fi
trap 'rm -rf "$WORK"' EXIT
