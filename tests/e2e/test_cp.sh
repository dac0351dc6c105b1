#!/usr/bin/env bash
# test_cp.sh — `sluice cp` against a real S3 server: Ceph RADOS Gateway,
# started on 127.0.0.1 by tests/servers/ceph-rgw.sh and stopped by its PID.
# Uploads a 20 MB file (a multipart upload) and a directory tree, downloads
# both, and compares bytes; what lands in the bucket is checked with curl
# as an independent client. Then the failure paths: a missing source, a
# missing bucket, a wrong secret, usage errors.
. "$SLUICE_TOP/tests/e2e/lib.sh"

server="$SLUICE_TOP/tests/servers/ceph-rgw.sh"
export S3_ACCESS_KEY=AKIDTEST S3_SECRET_KEY=SECRETTEST

# ---- usage (no server needed)
expect_exit 0 "cp --help" "$SLUICE" cp --help
contains "$WORK/.out" "--recursive" "cp --help lists --recursive"
expect_exit 2 "cp without a destination is a usage error" "$SLUICE" cp only-one
expect_exit 2 "cp with an unknown option is a usage error" "$SLUICE" cp a b --frobnicate
expect_exit 2 "cp --threads 0 is a usage error" "$SLUICE" cp a b --threads 0
expect_exit 1 "a missing local source fails with exit 1" "$SLUICE" cp no-such-file.json copy.json
contains "$WORK/.err" "no-such-file.json: no such file or directory" "the missing source is named"
check "nothing is created for a missing source" test ! -e copy.json

# ---- start Ceph RGW on a port below 32768 whose neighbours are free too
port_free() {
  local p
  for p in $(seq "$1" $(($1 + 12))); do
    if ss -ltnH "sport = :$p" 2>/dev/null | grep -q .; then return 1; fi
  done
}
pid=""
for _ in 1 2 3 4 5; do
  port=$((20000 + (RANDOM % 1200) * 10))
  port_free "$port" || continue
  if pid=$("$server" start "$port" 2>"$WORK/rgw.err"); then break; fi
  pid=""
done
if [ -z "$pid" ]; then
  fail "cp: Ceph RGW did not start: $(tail -3 "$WORK/rgw.err" | tr '\n' ' ')"
  exit 0
fi
trap '"$server" stop "$pid" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

ep="http://127.0.0.1:$port"
s3curl() { curl -sS -f --aws-sigv4 "aws:amz:us-east-1:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
# credentials from the environment only, endpoint given with --endpoint
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY AWS_REGION=us-east-1
export AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
check "bucket created with curl" s3curl -X PUT "$ep/cpb"

# ---- one 20 MB file: up (multipart: more than two 8 MiB parts) and down
head -c 20000000 /dev/urandom >big.bin
expect_exit 0 "cp uploads a 20 MB file" "$SLUICE" cp big.bin s3://cpb/files/big.bin --endpoint "$ep"
contains "$WORK/.out" "copied big.bin to s3://cpb/files/big.bin (20.0 MB)" "cp prints what it copied"
s3curl -o curl-big.bin "$ep/cpb/files/big.bin" 2>/dev/null
check "the object holds the file's bytes (read with curl)" cmp -s big.bin curl-big.bin
s3curl "$ep/cpb?uploads=" >uploads.xml 2>/dev/null
check "no multipart upload left open" bash -c '! grep -q "<Upload>" uploads.xml'
expect_exit 0 "cp downloads the 20 MB object" "$SLUICE" cp s3://cpb/files/big.bin down/big.bin --endpoint "$ep" -q
check "the download equals the original" cmp -s big.bin down/big.bin
check "--quiet prints nothing" test ! -s "$WORK/.out"
check "no staging directory left behind" bash -c '[ -z "$(ls -A down | grep -v "^big.bin$")" ]'
expect_exit 0 "cp into a folder (trailing /) keeps the name" "$SLUICE" cp big.bin s3://cpb/into/ --endpoint "$ep"
check "… as s3://cpb/into/big.bin" s3curl -o /dev/null -I "$ep/cpb/into/big.bin"
mkdir -p existing
expect_exit 0 "cp into an existing local directory keeps the name" "$SLUICE" cp s3://cpb/into/big.bin existing \
  --endpoint "$ep"
check "… as existing/big.bin" cmp -s big.bin existing/big.bin

# ---- a directory tree: up and down recursively
mkdir -p tree/a/b tree/c
head -c 9000000 /dev/urandom >tree/a/b/nine-mb.bin   # one multipart object among small ones
for i in $(seq 1 12); do printf 'file %d\n' "$i" >"tree/c/f$i.txt"; done
printf '{"x": "caf\xc3\xa9"}\n' >"tree/a/with space.json"
: >tree/empty
expect_exit 2 "a directory without --recursive is a usage error" "$SLUICE" cp tree s3://cpb/tree --endpoint "$ep"
contains "$WORK/.err" "--recursive" "… and the message says to add --recursive"
expect_exit 0 "cp --recursive uploads a directory" "$SLUICE" cp --recursive tree s3://cpb/tree --endpoint "$ep" --threads 3
contains "$WORK/.out" "copied 15 files" "… all 15 files"
s3curl "$ep/cpb?list-type=2&prefix=tree%2F" >tree.xml 2>/dev/null
keys=$(grep -o '<Key>[^<]*</Key>' tree.xml | sed 's/<[^>]*>//g' | sort | tr '\n' ' ')
want=$(cd tree && find . -type f | sed 's|^\./|tree/|' | sort | tr '\n' ' ')
if [ "$keys" = "$want" ]; then pass "the bucket holds the tree's names"; else fail "bucket keys '$keys', want '$want'"; fi
expect_exit 0 "cp --recursive downloads a prefix" "$SLUICE" cp -r s3://cpb/tree tree-back --endpoint "$ep" --threads 1
check "the downloaded tree equals the original, byte for byte" diff -r tree tree-back
expect_exit 0 "cp of a quoted glob copies its matches" "$SLUICE" cp 's3://cpb/tree/c/f1*.txt' globbed --endpoint "$ep"
got=$(ls globbed | tr '\n' ' ')
if [ "$got" = "f1.txt f10.txt f11.txt f12.txt " ]; then pass "… named under the destination"; else fail "glob copied '$got'"; fi

# ---- failures
expect_exit 1 "a missing S3 source fails with exit 1" "$SLUICE" cp s3://cpb/no/such/key here --endpoint "$ep"
contains "$WORK/.err" "s3://cpb/no/such/key" "the missing object is named"
check "nothing is created for a missing S3 source" test ! -e here
expect_exit 1 "uploading to a missing bucket fails with exit 1" "$SLUICE" cp big.bin s3://no-such-bucket/x --endpoint "$ep"
contains "$WORK/.err" "NoSuchBucket" "… with the server's error code"
AWS_SECRET_ACCESS_KEY=wrong-secret "$SLUICE" cp big.bin s3://cpb/denied.bin --endpoint "$ep" >wrong.out 2>&1
check "a wrong secret fails the copy" test $? -eq 1
contains wrong.out "SignatureDoesNotMatch" "… naming the server's code"
check "… without printing the secret" bash -c '! grep -q wrong-secret wrong.out'
check "… and leaves no object" bash -c "! s3curl -o /dev/null -I '$ep/cpb/denied.bin' 2>/dev/null"
s3curl "$ep/cpb?uploads=" >uploads2.xml 2>/dev/null
check "no multipart upload left open after the failures" bash -c '! grep -q "<Upload>" uploads2.xml'

"$server" stop "$pid"
trap 'rm -rf "$WORK"' EXIT
