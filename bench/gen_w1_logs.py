#!/usr/bin/env python3
"""gen_w1_logs.py — sluice benchmark workload W1: application logs as NDJSON.

One JSON object per line, no spaces, keys always in this order:

  {"log_id":"<uuid4>",
   "timestamp":"1732300000123" or 1732300000123   (string ~60%, number ~40%),
   "service_name":"Auth-Service" | "AUTH-SERVICE" | "auth-service"  (20 x 3),
   "log_level":"INFO" | "DEBUG" | "WARN" | "ERROR"   (70/15/10/5 %),
   "message":"40..199 chars of log words, skewed short; ~2% of the words
              need JSON escapes (quote, backslash, tab) or are non-ASCII",
   "metadata":{"host":"srv-NNNN.prod.internal","region":"us-east-1",
               "latency_ms":123,"tags":["prod","k8s"]   (0..3 tags)}}

The output depends only on --seed and --n: the only source of randomness is
random.Random(seed) (its .random() and .getrandbits(), Mersenne Twister,
stable across CPython 3 releases), consumed in a fixed order. The first K
records of an --n N file (K <= N) equal an --n K file with the same seed.
`--seed 42 --n 1000000` gives 327,958,277 bytes, sha256
8b9044235354705e053b7c9114f4b9bb9d6b7658d65a0622585e0ece7fc691ee.

Python 3 standard library only.
Usage: gen_w1_logs.py [--seed 42] [--n 1000000] [--out bench/work/w1_logs.jsonl]
"""
import argparse
import json
import math
import random
import sys

SERVICE_NAMES = (
    "auth-service payment-service order-service inventory-service user-service "
    "notification-service search-service cart-service shipping-service "
    "billing-service gateway catalog-service review-service "
    "recommendation-service analytics-service email-service session-service "
    "config-service media-service audit-service"
).split()

# (level, cumulative probability)
LOG_LEVELS = (("INFO", 0.70), ("DEBUG", 0.85), ("WARN", 0.95), ("ERROR", 1.0))

REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1",
           "ap-south-1", "ap-northeast-1", "sa-east-1")

TAGS = ("prod", "canary", "k8s", "v2", "retry", "cache-miss", "cold-start",
        "batch", "internal", "external")

VOCABULARY = (
    "request completed processing user session token expired cache miss "
    "database query timeout retry connection pool exhausted upstream "
    "returned status payment authorized order created inventory reserved "
    "shipment dispatched invalid credentials rate limit exceeded for client "
    "handler latency slow response from dependency circuit breaker opened "
    "health check passed worker started job finished successfully with id "
    "failed to parse payload schema validation error missing field in body "
    "queue depth high consumer lag detected deploying new version rollback "
    "feature flag enabled disabled config reloaded heap usage gc pause ms"
).split()

# Words that exercise JSON escaping and UTF-8 in parsers and writers.
TRICKY_WORDS = ('path="/api/v1/login"', 'user="alice"', 'C:\\temp\\x',
                'col\tsep', 'résumé', 'naïve', 'Zürich', '東京', 'ok✓')

TEXT_POOL_BYTES = 1 << 20      # messages are slices of one ~1 MiB word pool
TRICKY_SHARE = 0.02
FIRST_TIMESTAMP_MS = 1732300000000
HOST_COUNT = 500
FLUSH_LINES = 65536


def service_spellings():
    """Every service in three spellings: Title-Case, UPPER-CASE, lower-case."""
    out = []
    for name in SERVICE_NAMES:
        title = "-".join(part[:1].upper() + part[1:] for part in name.split("-"))
        out.extend((title, name.upper(), name))
    return out


def word_pool(uniform):
    """Space-joined random words, just past TEXT_POOL_BYTES long."""
    words = []
    size = 0
    while size < TEXT_POOL_BYTES:
        if uniform() < TRICKY_SHARE:
            word = TRICKY_WORDS[int(uniform() * len(TRICKY_WORDS))]
        else:
            word = VOCABULARY[int(uniform() * len(VOCABULARY))]
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def uuid4_text(value):
    """Format 128 random bits as a version-4, RFC 4122 variant UUID."""
    value = (value & ~(0xF << 76)) | (0x4 << 76)   # version nibble
    value = (value & ~(0x3 << 62)) | (0x2 << 62)   # variant bits 10
    h = "%032x" % value
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


def records(seed, count):
    """Yield `count` NDJSON lines (with trailing newline) for `seed`.

    The order of the random draws below is part of the file format: changing
    it changes every byte after the change."""
    rng = random.Random(seed)
    uniform = rng.random
    randbits = rng.getrandbits
    pool = word_pool(uniform)
    pool_len = len(pool)
    services = service_spellings()
    hosts = ["srv-%04d.prod.internal" % i for i in range(HOST_COUNT)]
    quote = json.dumps
    ln = math.log
    ts = FIRST_TIMESTAMP_MS
    template = ('{"log_id":"%s","timestamp":%s,"service_name":"%s","log_level":"%s",'
                '"message":%s,"metadata":{"host":"%s","region":"%s","latency_ms":%d,'
                '"tags":[%s]}}\n')
    for _ in range(count):
        log_id = uuid4_text(randbits(128))
        ts += int(uniform() * 20)
        ts_text = ('"%d"' % ts) if uniform() < 0.6 else ("%d" % ts)
        draw = uniform()
        for level, cumulative in LOG_LEVELS:
            if draw < cumulative:
                break
        msg_len = 40 + int(160 * uniform() * uniform())
        start = int(uniform() * (pool_len - msg_len))
        message = quote(pool[start:start + msg_len], ensure_ascii=False)
        n_tags = int(uniform() * 4)
        tags = ",".join('"%s"' % TAGS[int(uniform() * 10)] for _ in range(n_tags))
        latency = int(-ln(1.0 - uniform()) * 80)   # exponential, mean ~80 ms
        service = services[int(uniform() * len(services))]
        host = hosts[int(uniform() * HOST_COUNT)]
        region = REGIONS[int(uniform() * len(REGIONS))]
        yield template % (log_id, ts_text, service, level, message, host, region, latency, tags)


def main():
    ap = argparse.ArgumentParser(description="Generate the W1 application-log NDJSON file.")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--n", type=int, default=1_000_000, help="number of records")
    ap.add_argument("--out", default="bench/work/w1_logs.jsonl")
    a = ap.parse_args()
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        chunk = []
        for line in records(a.seed, a.n):
            chunk.append(line)
            if len(chunk) >= FLUSH_LINES:
                f.write("".join(chunk))
                chunk.clear()
        f.write("".join(chunk))
    return 0


if __name__ == "__main__":
    sys.exit(main())
