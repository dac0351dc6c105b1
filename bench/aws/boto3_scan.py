#!/usr/bin/env python3
"""boto3_scan.py — the plain-boto3 peer of `read_dynamodb` + `write_file`.

Scans a DynamoDB table and writes every item as one JSON object per line,
the way a short script with boto3 would: the Scan paginator (1 MB pages,
ExclusiveStartKey followed to the end), boto3's TypeDeserializer, json.dumps.
With --segments N > 1 it runs a parallel Scan, one thread per segment, each
writing its own part file OUT/part-NNNNN.json (as sluice writes one part per
worker); with 1 segment it writes OUT as a single file.

--limit N sets Scan's Limit (items per page, as sluice's page_size does;
sluice asks for 4096 by default). Without it each page is DynamoDB's 1 MB
maximum — what a plain script gets.

Numbers come back as Decimal: integral ones are written as integers, others
as floats. String/number sets (SS/NS) become lists in sorted order.

Usage: boto3_scan.py --table T --endpoint URL [--segments N] [--limit N] OUT
Credentials and region: the usual boto3 chain (AWS_ACCESS_KEY_ID, ...).
"""
import argparse
import decimal
import json
import os
import sys
import threading

import boto3
from boto3.dynamodb.types import TypeDeserializer


def to_json(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("latin-1")
    if hasattr(value, "value"):             # boto3 Binary
        return bytes(value.value).decode("latin-1")
    raise TypeError("cannot write %r as JSON" % (value,))


def scan_segment(client, table, segment, total, limit, path, counts, errors):
    try:
        deser = TypeDeserializer()
        kwargs = {"TableName": table}
        if limit:
            kwargs["Limit"] = limit
        if total > 1:
            kwargs.update(Segment=segment, TotalSegments=total)
        n = 0
        with open(path, "w", encoding="utf-8") as out:
            for page in client.get_paginator("scan").paginate(**kwargs):
                for item in page["Items"]:
                    record = {k: deser.deserialize(v) for k, v in item.items()}
                    out.write(json.dumps(record, ensure_ascii=False, default=to_json))
                    out.write("\n")
                    n += 1
        counts[segment] = n
    except Exception as e:  # reported by the main thread
        errors.append("segment %d: %s" % (segment, e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", required=True)
    ap.add_argument("--endpoint")
    ap.add_argument("--segments", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("out")
    a = ap.parse_args()
    # one client shared by the threads (botocore clients are thread-safe);
    # its connection pool must hold one connection per segment
    cfg = boto3.session.Config(max_pool_connections=max(10, a.segments))
    client = boto3.client("dynamodb", endpoint_url=a.endpoint, config=cfg)
    counts, errors = {}, []
    if a.segments <= 1:
        scan_segment(client, a.table, 0, 1, a.limit, a.out, counts, errors)
    else:
        os.makedirs(a.out, exist_ok=True)
        threads = [threading.Thread(target=scan_segment,
                                    args=(client, a.table, s, a.segments, a.limit,
                                          os.path.join(a.out, "part-%05d.json" % s), counts, errors))
                   for s in range(a.segments)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    if errors:
        sys.stderr.write("boto3_scan: %s\n" % "; ".join(errors))
        return 1
    sys.stderr.write("boto3_scan: %d items\n" % sum(counts.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
