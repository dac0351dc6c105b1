#!/usr/bin/env bash
# ceph-rgw.sh — a real S3 server for sluice's tests (adapted from ../shared/servers/ceph-rgw.sh).
# Real Ceph RADOS Gateway (S3) on a throwaway single-node Ceph 16.2 (Pacific) cluster:
# one ceph-mon + one ceph-osd with the in-memory "memstore" object store + radosgw (beast),
# all bound to 127.0.0.1. No ceph-mgr (not needed for RGW). Data vanishes on stop.
#
#   ceph-rgw.sh install                 # apt-get install radosgw ceph-mon ceph-osd (~67 MB, ~20 s)
#   ceph-rgw.sh start PORT [DIR]        # S3 on 127.0.0.1:PORT; prints radosgw's PID
#   ceph-rgw.sh stop PID                # stops radosgw PID and the mon/osd of the same cluster
#
# Ports used: PORT (S3), PORT+1 (mon, msgr2), PORT+2..PORT+12 (osd messenger range).
# Pick PORT below 32768: Linux hands out 32768-60999 as ephemeral client ports, and a
# client socket that happens to sit on PORT makes radosgw's bind fail (seen once here).
# S3 credentials: $S3_ACCESS_KEY / $S3_SECRET_KEY (default AKIDTEST / SECRETTEST).
# DIR defaults to ${TMPDIR:-/tmp}/ceph-rgw-PORT and is wiped on start.
# CEPH_OBJECTSTORE=bluestore puts the OSD on BlueStore over a sparse file DIR/osd.0/block
# (4 GiB apparent, CEPH_BLOCK_BYTES) instead of RAM: start ~5 s instead of ~2.3 s.
# Memory: ~40 MB mon + ~55 MB osd (+ stored data, it is RAM) + ~60-80 MB radosgw.
set -euo pipefail
cmd=${1:-}; shift || true

install() {
  command -v radosgw >/dev/null && command -v ceph-osd >/dev/null && command -v ceph-mon >/dev/null && return 0
  local pk="radosgw ceph-mon ceph-osd"
  # a fresh machine needs 'apt-get update' once before apt can find anything
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pk >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pk >/dev/null
  }
}

STARTED=()
wait_for() { # seconds pid command...   (fails early if pid dies)
  local n=$(( $1 * 10 )) pid=$2; shift 2
  for _ in $(seq 1 "$n"); do
    kill -0 "$pid" 2>/dev/null || return 1
    "$@" >/dev/null 2>&1 && return 0; sleep 0.1
  done
  return 1
}
fail() { # message: kill what this start launched, keep the logs
  echo "$1" >&2
  for p in "${STARTED[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  exit 1
}

start() {
  local port=${1:?usage: start PORT [DIR]}
  local D=${2:-${TMPDIR:-/tmp}/ceph-rgw-$port}
  local monport=$((port + 1)) pmin=$((port + 2)) pmax=$((port + 12))
  local ak=${S3_ACCESS_KEY:-AKIDTEST} sk=${S3_SECRET_KEY:-SECRETTEST}
  case "$port" in ''|*[!0-9]*) echo "PORT must be a number" >&2; exit 2 ;; esac
  if [ "$port" -lt 1024 ] || [ "$pmax" -ge 32768 ]; then
    echo "PORT must be in 1024..32755 (PORT..PORT+12 are used, all below 32768)" >&2; exit 2
  fi
  install || { echo "cannot install radosgw ceph-mon ceph-osd with apt-get" >&2; exit 1; }
  for p in $(seq "$port" "$pmax"); do
    if ss -ltnH "sport = :$p" | grep -q .; then echo "port $p already in use" >&2; exit 1; fi
  done
  rm -rf "$D"; mkdir -p "$D"/{run,log,mon.a,osd.0,rgw,crash}
  trap 'fail "ceph-rgw start failed (line $LINENO), see $D/log"' ERR
  local fsid; fsid=$(cat /proc/sys/kernel/random/uuid)
  local C="$D/ceph.conf"
  cat > "$C" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$monport
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = $pmin
ms bind port max = $pmax
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $D/\$name.keyring
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
crash dir = $D/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 0
# default 1 s per Paxos round makes radosgw's first start (it creates ~7 pools) take ~10 s
paxos propose interval = 0.05
paxos min wait = 0.01
[mon]
mon data = $D/mon.\$id
[osd]
osd data = $D/osd.\$id
keyring = $D/osd.\$id/keyring
$(if [ "${CEPH_OBJECTSTORE:-memstore}" = bluestore ]; then cat <<BS
osd objectstore = bluestore
bluestore block create = true
bluestore block size = ${CEPH_BLOCK_BYTES:-4294967296}
bluestore fsck on mkfs = false
osd memory target = 939524096
bluestore cache size = 134217728
BS
else cat <<MS
osd objectstore = memstore
memstore device bytes = ${CEPH_MEMSTORE_BYTES:-2147483648}
MS
fi)
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw data = $D/rgw
rgw dns name = localhost
CONF
  local A=(-c "$C")
  ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$D/client.admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
  ceph-authtool "$D/mon.keyring" --import-keyring "$D/client.admin.keyring" >/dev/null
  cp "$D/mon.keyring" "$D/mon.a.keyring"
  monmaptool --create --addv a "[v2:127.0.0.1:$monport]" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon "${A[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring"
  ceph-mon "${A[@]}" -i a -f >"$D/log/mon.out" 2>&1 &
  echo $! >"$D/mon.pid"; STARTED+=($!)
  wait_for 30 $! ceph "${A[@]}" --connect-timeout 2 mon stat || fail "mon did not start, see $D/log"

  local osduuid id; osduuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph "${A[@]}" osd new "$osduuid")
  ceph-osd "${A[@]}" -i "$id" --no-mon-config --mkfs --osd-uuid "$osduuid" --mkkey >"$D/log/osd-mkfs.out" 2>&1
  ceph "${A[@]}" auth add "osd.$id" osd 'allow *' mon 'allow profile osd' mgr 'allow profile osd' \
    -i "$D/osd.$id/keyring" >/dev/null 2>&1
  ceph-osd "${A[@]}" -i "$id" -f >"$D/log/osd.out" 2>&1 &
  echo $! >"$D/osd.pid"; STARTED+=($!)
  wait_for 60 $! bash -c "ceph -c '$C' osd stat 2>/dev/null | grep -q '1 up'" \
    || fail "osd did not come up, see $D/log"

  ceph "${A[@]}" auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' mgr 'allow rw' \
    -o "$D/client.rgw.a.keyring" >/dev/null 2>&1
  radosgw "${A[@]}" -n client.rgw.a -f >"$D/log/rgw.out" 2>&1 &
  local pid=$!
  echo "$pid" >"$D/rgw.pid"; STARTED+=("$pid")
  wait_for 120 "$pid" curl -sf -o /dev/null "http://127.0.0.1:$port/" \
    || fail "radosgw did not answer on $port, see $D/log (port taken? use ports < 32768)"
  radosgw-admin "${A[@]}" user create --uid=test --display-name=test \
    --access-key="$ak" --secret="$sk" >/dev/null || fail "radosgw-admin user create failed"
  echo "$pid"
}

stop() {
  local pid=${1:?usage: stop PID} D="" conf
  # find the cluster dir from radosgw's command line (-c DIR/ceph.conf)
  conf=$(tr '\0' '\n' </proc/"$pid"/cmdline 2>/dev/null | grep -A1 -x -- -c | tail -1 || true)
  [ -n "$conf" ] && D=$(dirname "$conf")
  local pids=("$pid")
  if [ -n "$D" ]; then
    for f in osd mon; do [ -f "$D/$f.pid" ] && pids+=("$(cat "$D/$f.pid")"); done
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do   # radosgw takes ~6 s on SIGTERM; give 2 s then KILL (throwaway data)
    for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
  done
  # wipe the throwaway cluster dir only if it really is the one this radosgw belonged to
  if [ -n "$D" ] && [ "$(cat "$D/rgw.pid" 2>/dev/null)" = "$pid" ]; then rm -rf "$D"; fi
  return 0
}

case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: $0 install | start PORT [DIR] | stop PID" >&2; exit 2 ;;
esac
