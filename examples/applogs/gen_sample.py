#!/usr/bin/env python3
"""Generate the bundled AppLogs sample in DynamoDB's S3-export format.

Each line is {"Item": {...}} with DynamoDB-typed attributes, as DynamoDB's
"export to S3" writes them (DYNAMODB_JSON, gzip). The `timestamp` attribute is
mixed, as in the real table: a number (N) for most items, a string of digits
(S) for others, and a few malformed strings that the cleaning job must send to
the error output instead of dropping.

Usage: gen_sample.py [--n 3000] [--seed 7] [--out data/applogs-export.json.gz]
"""
import argparse
import gzip
import json
import random
import uuid

SERVICES = ["auth-service", "payment-service", "order-service", "inventory-service",
            "user-service", "notification-service", "search-service", "cart-service"]
LEVELS = ["INFO"] * 14 + ["DEBUG"] * 3 + ["WARN"] * 2 + ["ERROR"]
MESSAGES = ["request completed in {} ms", "database query timeout after {} ms",
            "user session token expired", "payment authorized for order {}",
            "upstream returned status 503, retry {}", "cache miss for key user:{}",
            "rate limit exceeded for client {}", "connection pool exhausted ({} waiting)",
            "schema validation error: missing field \"email\" in body",
            "shipment dispatched to Zürich depot {}"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="data/applogs-export.json.gz")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    ts = 1732300000000
    bad = {int(a.n * 0.31), int(a.n * 0.77)}
    with gzip.GzipFile(a.out, "wb", mtime=0) as raw:
        for i in range(a.n):
            ts += rng.randint(0, 2000)
            svc = rng.choice(SERVICES)
            svc = rng.choice([svc, svc.upper(), "-".join(p.capitalize() for p in svc.split("-"))])
            if i in bad:
                tsv = {"S": "yesterday"}
            elif rng.random() < 0.4:
                tsv = {"S": str(ts)}
            else:
                tsv = {"N": str(ts)}
            tags = rng.sample(["prod", "canary", "k8s", "retry", "cold-start"], rng.randint(0, 3))
            meta = {"host": {"S": "srv-%03d.prod.internal" % rng.randint(0, 199)},
                    "region": {"S": rng.choice(REGIONS)},
                    "latency_ms": {"N": str(int(rng.expovariate(1 / 80)))}}
            if tags:
                meta["tags"] = {"SS": tags}
            item = {
                "log_id": {"S": str(uuid.UUID(int=rng.getrandbits(128), version=4))},
                "timestamp": tsv,
                "service_name": {"S": svc},
                "log_level": {"S": rng.choice(LEVELS)},
                "message": {"S": rng.choice(MESSAGES).format(rng.randint(1, 999))},
                "metadata": {"M": meta},
            }
            raw.write((json.dumps({"Item": item}, ensure_ascii=False, separators=(",", ":")) + "\n").encode())


if __name__ == "__main__":
    main()
