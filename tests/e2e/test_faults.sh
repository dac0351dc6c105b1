#!/usr/bin/env bash
# End-to-end under faults: both reference pipelines (test_pipelines.sh, run
# whole) with a tests/servers/fault_proxy.py in front of DynamoDB Local and of
# Ceph RGW, failing about one request in five with the errors AWS really
# sends — S3 503 SlowDown, DynamoDB 400 ThrottlingException and
# ProvisionedThroughputExceededException, 500 InternalError, connections
# dropped before the server saw the request, and answers cut in half after it
# performed it — some with "Retry-After: 0". The jobs must still succeed with
# exactly the expected outputs (every check of test_pipelines.sh, the external
# boto3 ones going straight to the servers), and the proxy logs must show
# that every kind of fault was really injected, on reads and on writes.
# Then multipart uploads under faults (a lost CreateMultipartUpload or
# CompleteMultipartUpload answer must leave no upload open), and, without a
# proxy, requests signed with a wrong secret or an unknown access key: they
# fail at once with Ceph's 403 and print no secret.
FAULTS_DDB="rate=0.2,kinds=throttle+throughput+internal+drop+cut,retry_after=0.3,first=BatchWriteItem+Scan"
FAULTS_S3="rate=0.2,kinds=slowdown+internal+drop+cut,retry_after=0.3,first=PUT+GET+HEAD"
FAULT_SEED=20
S3_ACCESS_KEY=AKIDFAULTS S3_SECRET_KEY=faults-secret-7c1e9b
. "$SLUICE_TOP/tests/e2e/test_pipelines.sh"

# ---- the faults really happened
requests() { awk '$1 ~ /^[0-9]+$/' "$1"; } # LOG: the request lines
faults_of() { # LOG KIND [METHOD|OP]: how many requests got that fault
  requests "$1" | awk -v k="$2" -v w="${3:-}" '$2 == k && (w == "" || $3 == w || $5 == w)' | wc -l
}
for kind in throttle throughput internal drop cut; do
  n=$(faults_of "$WORK/ddb-proxy.log" "$kind")
  check "DynamoDB proxy injected '$kind' faults ($n)" test "$n" -gt 0
done
for kind in slowdown internal drop cut; do
  n=$(faults_of "$WORK/s3-proxy.log" "$kind")
  check "S3 proxy injected '$kind' faults ($n)" test "$n" -gt 0
done
injected() { requests "$1" | awk -v w="${2:-}" '$2 != "forward" && (w == "" || $3 == w || $5 == w)' | wc -l; }
n_ddb=$(requests "$WORK/ddb-proxy.log" | wc -l) f_ddb=$(injected "$WORK/ddb-proxy.log")
n_s3=$(requests "$WORK/s3-proxy.log" | wc -l) f_s3=$(injected "$WORK/s3-proxy.log")
check "about one request in five failed (DynamoDB $f_ddb of $n_ddb, S3 $f_s3 of $n_s3)" \
  test $((f_ddb * 10)) -ge "$n_ddb" -a $((f_s3 * 10)) -ge "$n_s3"
check "faults hit DynamoDB writes (BatchWriteItem) and reads (Scan)" \
  test "$(injected "$WORK/ddb-proxy.log" BatchWriteItem)" -gt 0 -a "$(injected "$WORK/ddb-proxy.log" Scan)" -gt 0
check "faults hit S3 writes (PUT) and reads (GET, HEAD)" test "$(injected "$WORK/s3-proxy.log" PUT)" -gt 0 \
  -a "$(injected "$WORK/s3-proxy.log" GET)" -gt 0 -a "$(injected "$WORK/s3-proxy.log" HEAD)" -gt 0
check "some injected errors carried Retry-After: 0" grep -qh 'Retry-After: 0' "$WORK/ddb-proxy.log" "$WORK/s3-proxy.log"
check "nothing went wrong between the proxies and the servers" \
  bash -c "! grep -h '^[0-9]* error \|^# ' '$WORK/ddb-proxy.log' '$WORK/s3-proxy.log' | grep -v '^# fault_proxy pid'"

# ---- multipart uploads under faults (objects above the 8 MiB part size)
"$PY" - "$WORK/big.json" <<'PYEOF'
import json, random, sys
r = random.Random(7)  # ~11 MB of compact JSON lines: sluice writes them back byte for byte
with open(sys.argv[1], "w") as f:
    for i in range(55000):
        rec = {"id": i, "name": "user-%d" % i, "score": r.randint(0, 10**9), "text": "x" * r.randint(50, 250)}
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
PYEOF
s3_upload_through() { # NAME SPEC CALL QUERY: copy big.json to s3://lake/NAME/ through a proxy with SPEC,
  # which must cut the answer of the S3 CALL (a POST with QUERY)
  local port pid
  read -r port pid < <(start_proxy "$S3_EP" "$2" "$WORK/$1-proxy.log")
  [ -n "$pid" ] || { fail "fault proxy for $1 starts: $(tail -c 300 "$WORK/.proxy-err")"; return; }
  expect_exit 0 "$1: an 11 MB object written as a multipart upload through faults ($2)" \
    env AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" "$SLUICE" run "$WORK/fetch.yaml" --quiet \
    --arg from="$WORK/big.json" --arg to="s3://lake/$1"
  "$PY" "$PROXY" stop "$pid"
  check "$1: the proxy cut the answer of $3" grep -q "^[0-9]* cut POST /lake/$1/part-[^ ]*?$4" "$WORK/$1-proxy.log"
}
s3_upload_through lost-create "kinds=cut,first=POST" CreateMultipartUpload "uploads="
s3_upload_through lost-complete "rate=0.3,kinds=cut,match=uploadId=,first=POST" \
  CompleteMultipartUpload "uploadId="
expect_exit 0 "both multipart objects read back through the S3 fault proxy" \
  "$SLUICE" run "$WORK/fetch.yaml" --quiet --arg from="s3://lake/lost-*/part-*" --arg to="$WORK/big-back"
# After lost CreateMultipartUpload and CompleteMultipartUpload answers: a retried
# Create must not leave the upload of the lost answer open (the server made it).
checks no-uploads
expect_exit 0 "boto3 and sluice read every line of both objects once" "$PY" - "$WORK" <<'PYEOF'
import glob, os, sys, boto3
work = sys.argv[1]
want = sorted(open(work + "/big.json").read().splitlines())
s3 = boto3.client("s3", endpoint_url=os.environ["S3_EP"], region_name="us-east-1")
for name in ("lost-create", "lost-complete"):
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake", Prefix=name + "/").get("Contents", [])]
    parts = [k for k in keys if "/part-" in k]
    assert parts and name + "/_SUCCESS" in keys, keys
    got = b"".join(s3.get_object(Bucket="lake", Key=k)["Body"].read() for k in parts).decode().splitlines()
    assert sorted(got) == want, (name, len(got), len(want))
back = []
for f in glob.glob(work + "/big-back/part-*"):
    back += open(f).read().splitlines()
assert sorted(back) == sorted(want * 2), (len(back), 2 * len(want))
PYEOF

# ---- a wrong signature fails at once, with the server's answer and no secret
wrong() { # DESCRIPTION CODE ACCESS_KEY SECRET FROM
  AWS_ENDPOINT_URL_S3=$S3_EP AWS_ACCESS_KEY_ID=$3 AWS_SECRET_ACCESS_KEY=$4 \
    "$SLUICE" run "$WORK/fetch.yaml" --quiet --arg from="$5" --arg to="$WORK/never" \
    >"$WORK/wrong.out" 2>"$WORK/wrong.err"
  local rc=$?
  if [ "$rc" -eq 1 ] && grep -q "HTTP 403 $2" "$WORK/wrong.err" && ! grep -q "attempts" "$WORK/wrong.err" &&
    ! grep -qF -e "$4" -e "$S3_SECRET_KEY" "$WORK/wrong.out" "$WORK/wrong.err" &&
    [ -z "$(ls -A "$WORK/never" 2>/dev/null)" ]; then
    pass "$1: exit 1 at the first attempt with 'HTTP 403 $2', no secret printed, nothing written"
  else
    fail "$1 (exit $rc): $(head -c 400 "$WORK/wrong.err")"
  fi
}
wrong "HEAD signed with a wrong secret (no body: the status says it)" Forbidden \
  "$S3_ACCESS_KEY" not-the-secret-3e8d1f s3://lake/logs/cleaned
wrong "LIST signed with a wrong secret" SignatureDoesNotMatch \
  "$S3_ACCESS_KEY" not-the-secret-3e8d1f "s3://lake/logs/cleaned/*.gz"
wrong "LIST signed with an unknown access key" InvalidAccessKeyId \
  AKIDNOSUCHUSER "$S3_SECRET_KEY" "s3://lake/logs/cleaned/*.gz"
