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
# Then, without a proxy: a request signed with a wrong secret or an unknown
# access key fails at once with Ceph's 403 message and no secret in it.
FAULTS_DDB="rate=0.2,kinds=throttle+throughput+internal+drop+cut,retry_after=0.3"
FAULTS_S3="rate=0.2,kinds=slowdown+internal+drop+cut,retry_after=0.3"
FAULT_SEED=20
S3_ACCESS_KEY=AKIDFAULTS S3_SECRET_KEY=faults-secret-7c1e9b
. "$SLUICE_TOP/tests/e2e/test_pipelines.sh"

# ---- the faults really happened
faults_of() { # LOG KIND [OP|METHOD]: how many requests got that fault
  awk -v k="$2" -v w="${3:-}" '$1 ~ /^[0-9]+$/ && $2 == k && (w == "" || $3 == w || $5 == w)' "$1" | wc -l
}
for kind in throttle throughput internal drop cut; do
  n=$(faults_of "$WORK/ddb-proxy.log" "$kind")
  check "DynamoDB proxy injected '$kind' faults ($n)" test "$n" -gt 0
done
for kind in slowdown internal drop cut; do
  n=$(faults_of "$WORK/s3-proxy.log" "$kind")
  check "S3 proxy injected '$kind' faults ($n)" test "$n" -gt 0
done
n_ddb=$(awk '$1 ~ /^[0-9]+$/' "$WORK/ddb-proxy.log" | wc -l)
f_ddb=$(awk '$1 ~ /^[0-9]+$/ && $2 != "forward"' "$WORK/ddb-proxy.log" | wc -l)
n_s3=$(awk '$1 ~ /^[0-9]+$/' "$WORK/s3-proxy.log" | wc -l)
f_s3=$(awk '$1 ~ /^[0-9]+$/ && $2 != "forward"' "$WORK/s3-proxy.log" | wc -l)
check "about one request in five failed (DynamoDB $f_ddb of $n_ddb, S3 $f_s3 of $n_s3)" \
  test $((f_ddb * 10)) -ge "$n_ddb" -a $((f_s3 * 10)) -ge "$n_s3"
check "faults hit DynamoDB writes (BatchWriteItem) and reads (Scan)" \
  test "$(awk '$2 != "forward" && $5 == "BatchWriteItem"' "$WORK/ddb-proxy.log" | wc -l)" -gt 0 \
  -a "$(awk '$2 != "forward" && $5 == "Scan"' "$WORK/ddb-proxy.log" | wc -l)" -gt 0
check "faults hit S3 writes (PUT) and reads (GET/HEAD)" \
  test "$(awk '$2 != "forward" && $3 == "PUT"' "$WORK/s3-proxy.log" | wc -l)" -gt 0 \
  -a "$(awk '$2 != "forward" && ($3 == "GET" || $3 == "HEAD")' "$WORK/s3-proxy.log" | wc -l)" -gt 0
check "some injected errors carried Retry-After: 0" grep -qh 'Retry-After: 0' "$WORK/ddb-proxy.log" "$WORK/s3-proxy.log"
check "no request failed between the proxies and the servers" \
  bash -c "! grep -h '^[0-9]* error \|^# ' '$WORK/ddb-proxy.log' '$WORK/s3-proxy.log' | grep -v '^# fault_proxy pid'"

# ---- a wrong signature fails fast, with the server's message and no secret
wrong() { # DESCRIPTION CODE ACCESS_KEY SECRET
  AWS_ENDPOINT_URL_S3=$S3_EP AWS_ACCESS_KEY_ID=$3 AWS_SECRET_ACCESS_KEY=$4 \
    "$SLUICE" run "$WORK/fetch.yaml" --quiet --arg from=s3://lake/logs/cleaned --arg to="$WORK/never" \
    >"$WORK/wrong.out" 2>"$WORK/wrong.err"
  local rc=$?
  if [ "$rc" -eq 1 ] && grep -q "403 $2" "$WORK/wrong.err" && ! grep -q "attempts" "$WORK/wrong.err" &&
    ! grep -qF -e "$4" -e "$S3_SECRET_KEY" "$WORK/wrong.out" "$WORK/wrong.err" && [ ! -e "$WORK/never" ]; then
    pass "$1: exit 1 at the first attempt with 'HTTP 403 $2', no secret printed"
  else
    fail "$1 (exit $rc): $(head -c 400 "$WORK/wrong.err")"
  fi
}
wrong "request signed with a wrong secret" SignatureDoesNotMatch "$S3_ACCESS_KEY" not-the-secret-3e8d1f
wrong "request signed with an unknown access key" InvalidAccessKeyId AKIDNOSUCHUSER "$S3_SECRET_KEY"
