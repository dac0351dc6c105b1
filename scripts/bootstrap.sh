#!/usr/bin/env bash
# bootstrap.sh — install every Debian package sluice's build, demo, tests and
# benchmarks need. Idempotent and quiet when everything is present; runs
# `apt-get update` once, only when something is missing.
set -euo pipefail

packages=(
  gcc make pkg-config               # build
  libyaml-dev                       # job files
  libavro-dev                       # Avro files
  libpcre2-dev                      # regexp_like / regexp_extract
  zlib1g-dev libdeflate-dev libzstd-dev libbz2-dev libsnappy-dev  # compression
  libcurl4-openssl-dev libssl-dev libexpat1-dev  # HTTP, SigV4, S3 XML
  libsqlite3-dev                    # embedded search index (FTS5)
  openjdk-17-jdk-headless nodejs curl iproute2  # DynamoDB Local (test server; npm ships with nodejs)
  radosgw ceph-mon ceph-osd         # Ceph RADOS Gateway: a real S3 for tests
  liblua5.4-dev                     # map/flat_map/filter_fn (Lua 5.4)
  libcmocka-dev                     # unit tests
  clang libclang-rt-14-dev          # libFuzzer targets
  python3 jq miller time            # tests and benchmark peers
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done" >&2
