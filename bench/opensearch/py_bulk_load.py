#!/usr/bin/env python3
"""py_bulk_load.py — the Python peer for bench/opensearch: a plain bulk loader of the kind people
write with the standard library (urllib, json, gzip; no client library), doing what
write_opensearch does: NDJSON _bulk requests of --batch documents with _id from log_id, gzip level
1, per-item results read and only 429/5xx items sent again with back-off; other failures printed.

  py_bulk_load.py --url http://127.0.0.1:19200 --index w1 FILE.jsonl   index FILE, then refresh
  py_bulk_load.py --encode-only FILE.jsonl                             client-side work only: parse,
      action lines, dumps, gzip (no requests), the counterpart of encode_bench.c

Prints one JSON line: docs, seconds, docs_per_s (encode-only: cpu_seconds, docs_per_cpu_s).
"""
import argparse
import gzip
import json
import random
import sys
import time
import urllib.error
import urllib.request


def batches(path, size):
    batch = []
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                batch.append(json.loads(line))
                if len(batch) == size:
                    yield batch
                    batch = []
    if batch:
        yield batch


def encode(docs, index):
    parts = []
    for d in docs:
        parts.append(json.dumps({"index": {"_index": index, "_id": d["log_id"]}}, separators=(",", ":")))
        parts.append(json.dumps(d, separators=(",", ":"), ensure_ascii=False))
    return gzip.compress(("\n".join(parts) + "\n").encode(), compresslevel=1)


def post(url, body):
    req = urllib.request.Request(url + "/_bulk?filter_path=errors,items.*.status,items.*.error", data=body,
                                 method="POST", headers={"Content-Type": "application/x-ndjson",
                                                         "Content-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def send(url, index, docs):
    pending, rounds = docs, 0
    while pending:
        answer = post(url, encode(pending, index))
        again = []
        for d, item in zip(pending, answer["items"]):
            status = next(iter(item.values()))["status"]
            if status == 429 or status >= 500:
                again.append(d)
            elif status >= 300:
                print("rejected %s: %s" % (d.get("log_id"), item), file=sys.stderr)
        pending = again
        if pending:
            rounds += 1
            if rounds > 8:
                sys.exit("%d documents still refused" % len(pending))
            time.sleep(random.uniform(0, min(20.0, 0.05 * 2 ** rounds)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--url")
    ap.add_argument("--index", default="w1")
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--encode-only", action="store_true")
    a = ap.parse_args()
    if a.encode_only:  # parse first (not timed, as in encode_bench.c), then time the encoding
        loaded = list(batches(a.file, a.batch))
        t0, cpu0 = time.time(), time.process_time()
        for docs in loaded:
            encode(docs, a.index)
        n = sum(len(d) for d in loaded)
        cpu = time.process_time() - cpu0
        print(json.dumps({"docs": n, "seconds": round(time.time() - t0, 4), "cpu_seconds": round(cpu, 4),
                          "docs_per_cpu_s": round(n / cpu)}))
        return
    else:  # the whole job: read, parse, encode, send, refresh
        t0 = time.time()
        n = 0
        for docs in batches(a.file, a.batch):
            n += len(docs)
            send(a.url, a.index, docs)
        urllib.request.urlopen(urllib.request.Request(a.url + "/" + a.index + "/_refresh", method="POST")).read()
    secs = time.time() - t0
    print(json.dumps({"docs": n, "seconds": round(secs, 4), "docs_per_s": round(n / secs)}))


if __name__ == "__main__":
    main()
