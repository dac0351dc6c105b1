#!/usr/bin/env bash
# run_aws.sh — both reference pipelines, AWS edition, on your machine: AWS's
# own DynamoDB Local and a real S3 (Ceph RADOS Gateway) are started on
# 127.0.0.1, filled, and stopped again when the script ends.
#
#   examples/run_aws.sh                  # from the repository root
#
#   1. builds build/sluice if needed
#   2. starts DynamoDB Local and Ceph RGW (tests/servers/; the first run
#      installs them: DynamoDB Local with npm, Ceph with apt-get)
#   3. creates the DynamoDB tables AppLogs and Claims and the S3 bucket lake
#   4. loads AppLogs from the bundled export (examples/applogs/load.yaml) and
#      50,000 generated claims (bench/gen_w2_claims.py, examples/claims/load.yaml)
#   5. runs examples/applogs/job_aws.yaml and examples/claims/job.yaml
#   6. lists what landed in s3://lake/ and shows the first cleaned log records
#      and the first lines of the claims report
#
# Environment: DDB_PORT (default 8000) and S3_PORT (default 7480; S3_PORT+1..
# S3_PORT+12 are used by Ceph too) — both below 32768; SLUICE (default
# build/sluice); CLAIMS (default 50000) generated claims. Needs curl, python3,
# and for the servers Java 17 + npm and apt-get (see tests/servers/).
# Errors of the AppLogs run (two records with a bad timestamp) go to
# ./data/errors/ as with the local edition.
set -euo pipefail
cd "$(dirname "$0")/.."
SLUICE=${SLUICE:-build/sluice}
DDB_PORT=${DDB_PORT:-8000}
S3_PORT=${S3_PORT:-7480}
CLAIMS=${CLAIMS:-50000}

# Demo credentials: Ceph RGW creates a user with these; DynamoDB Local takes any.
export S3_ACCESS_KEY=AKIDSLUICEDEMO S3_SECRET_KEY=sluice-demo-secret
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
# Keep your own ~/.aws out of this: the demo must not touch a real account.
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_DEFAULT_REGION
# The endpoint overrides are what makes this local: without them sluice talks to AWS.
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$DDB_PORT
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$S3_PORT

step() { printf '\n== %s\n' "$*"; }

step "build"
if [ "$SLUICE" = build/sluice ]; then make -s build/sluice; fi
"$SLUICE" --version 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-run-aws.XXXXXX")
ddb_pid="" rgw_pid=""
stop_servers() {
  [ -n "$ddb_pid" ] && tests/servers/dynamodb-local.sh stop "$ddb_pid" >/dev/null 2>&1
  [ -n "$rgw_pid" ] && tests/servers/ceph-rgw.sh stop "$rgw_pid" >/dev/null 2>&1
  rm -rf "$work"
  return 0
}
trap stop_servers EXIT
trap 'exit 1' INT TERM

step "start DynamoDB Local on 127.0.0.1:$DDB_PORT and Ceph RGW (S3) on 127.0.0.1:$S3_PORT"
ddb_pid=$(tests/servers/dynamodb-local.sh start "$DDB_PORT")
echo "DynamoDB Local: PID $ddb_pid"
rgw_pid=$(tests/servers/ceph-rgw.sh start "$S3_PORT")
echo "Ceph RGW:       PID $rgw_pid"

step "create the tables AppLogs and Claims and the bucket lake"
dynamodb() { # OPERATION JSON
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:dynamodb" -u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "X-Amz-Target: DynamoDB_20120810.$1" -H 'Content-Type: application/x-amz-json-1.0' \
    -d "$2" "$AWS_ENDPOINT_URL_DYNAMODB/" >/dev/null
}
s3() { # curl arguments (path-style URLs under $AWS_ENDPOINT_URL_S3)
  curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}
create_table() { # NAME KEY
  dynamodb CreateTable "{\"TableName\":\"$1\",\"BillingMode\":\"PAY_PER_REQUEST\",
    \"AttributeDefinitions\":[{\"AttributeName\":\"$2\",\"AttributeType\":\"S\"}],
    \"KeySchema\":[{\"AttributeName\":\"$2\",\"KeyType\":\"HASH\"}]}"
  echo "table $1 (key $2)"
}
create_table AppLogs log_id
create_table Claims policy_id
s3 -X PUT "$AWS_ENDPOINT_URL_S3/lake"
echo "bucket lake"

step "load AppLogs from the bundled export"
"$SLUICE" run examples/applogs/load.yaml --arg table=AppLogs

step "load $CLAIMS generated claims (python3 bench/gen_w2_claims.py --seed 11 --n $CLAIMS)"
python3 bench/gen_w2_claims.py --seed 11 --n "$CLAIMS" --out "$work/claims.csv"
"$SLUICE" run examples/claims/load.yaml --arg table=Claims --arg input="$work/claims.csv"

step "AppLogs: DynamoDB -> raw and cleaned JSON (gzip) on s3://lake/logs/"
"$SLUICE" run examples/applogs/job_aws.yaml --arg table=AppLogs --arg bucket=lake

step "Claims: DynamoDB -> report columns -> sort by age_of_car -> age_of_car < 0.7 -> one CSV on s3://lake/claims/report/"
"$SLUICE" run examples/claims/job.yaml --arg table=Claims --arg output=s3://lake/claims/report

step "what is in s3://lake/"
s3 "$AWS_ENDPOINT_URL_S3/lake?list-type=2" >"$work/listing.xml"
python3 - "$work/listing.xml" <<'PY' | tee "$work/keys.txt"
import sys, xml.etree.ElementTree as ET
ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
for c in ET.parse(sys.argv[1]).getroot().findall("s3:Contents", ns):
    print("%10s  %s" % (c.find("s3:Size", ns).text, c.find("s3:Key", ns).text))
PY

first_key() { awk -v p="$1" 'index($2, p) == 1 && $2 !~ /_SUCCESS$/ {print $2; exit}' "$work/keys.txt"; }
step "first cleaned log records (s3://lake/$(first_key logs/cleaned/))"
s3 "$AWS_ENDPOINT_URL_S3/lake/$(first_key logs/cleaned/)" | gzip -dc | sed -n 1,3p

report=$(first_key claims/report/)
step "first lines of the claims report (s3://lake/$report)"
s3 "$AWS_ENDPOINT_URL_S3/lake/$report" >"$work/report.csv"
head -n 6 "$work/report.csv"
echo "... $(($(wc -l <"$work/report.csv") - 1)) rows of $CLAIMS claims have age_of_car < 0.7, sorted by age_of_car"

step "done; stopping the servers (their data goes with them)"
