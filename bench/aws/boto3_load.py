#!/usr/bin/env python3
"""boto3_load.py — the boto3 peer of a `write_dynamodb` load.

Reads JSON lines and puts every object into a DynamoDB table with the
resource API's batch_writer (BatchWriteItem of 25, unprocessed items sent
again), one thread — the usual short loading script. Integers stay
integers (Decimal), `metadata.tags` becomes a string set (SS) as in the
sluice load job (`sets: [metadata.tags]`), left out when empty.

Usage: boto3_load.py --table T [--endpoint URL] FILE
"""
import argparse
import decimal
import json
import sys

import boto3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--table", required=True)
    ap.add_argument("--endpoint")
    ap.add_argument("file")
    a = ap.parse_args()
    table = boto3.resource("dynamodb", endpoint_url=a.endpoint).Table(a.table)
    n = 0
    with open(a.file, encoding="utf-8") as f, table.batch_writer(overwrite_by_pkeys=["log_id"]) as batch:
        for line in f:
            item = json.loads(line, parse_float=decimal.Decimal)
            meta = item.get("metadata")
            if isinstance(meta, dict) and isinstance(meta.get("tags"), list):
                if meta["tags"]:
                    meta["tags"] = set(meta["tags"])
                else:
                    del meta["tags"]
            batch.put_item(Item=item)
            n += 1
    sys.stderr.write("boto3_load: %d items\n" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
