#!/usr/bin/env bash
# End-to-end: a streaming job runs in bounded memory — peak RSS must not
# grow with the input size. (Checked on the optimised build only: ASan's
# quarantine holds freed memory on purpose, which would blur the signal.)
. "$SLUICE_TOP/tests/e2e/lib.sh"
case "$SLUICE" in */asan/*) exit 0 ;; esac
[ -x /usr/bin/time ] || { fail "/usr/bin/time is missing (scripts/bootstrap.sh installs it)"; exit 0; }

python3 - <<'PYEOF'
import json, random
rng = random.Random(1)
with open('small.json', 'w') as s, open('big.json', 'w') as b:
    for i in range(320000):
        line = json.dumps({"log_id": "%032x" % rng.getrandbits(128), "timestamp": str(1732300000000 + i),
                           "service_name": "Auth-Service", "message": "x" * rng.randint(40, 200),
                           "metadata": {"latency_ms": i % 300, "tags": ["a", "b"]}}, separators=(",", ":")) + "\n"
        b.write(line)
        if i < 40000:
            s.write(line)
PYEOF
cat > job.yaml <<'YAML'
args: {in: small.json, out: out}
nodes:
  src: {type: read_file, path: "${in}", split_size: 1GB}
  clean:
    type: derive
    input: src
    columns: {service_name: lower(service_name), timestamp: cast(timestamp as long)}
  dst: {type: write_file, input: clean, path: "${out}", mode: overwrite}
YAML
rss() { /usr/bin/time -f %M "$SLUICE" run job.yaml --quiet --threads 1 --arg in="$1" --arg out="out_$1" 2>&1 >/dev/null | tail -1; }
small=$(rss small.json)
big=$(rss big.json)
echo "peak RSS: small input ${small} KB, 8x input ${big} KB"
check "8x the input does not grow peak RSS by more than 25% + 4 MB" test "$big" -le $(( small * 125 / 100 + 4096 ))
check "peak RSS under 64 MB" test "$big" -le 65536
check "all records written" test "$(cat out_big.json/part-* | wc -l)" -eq 320000
