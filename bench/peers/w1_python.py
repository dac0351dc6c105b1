#!/usr/bin/env python3
"""w1_python.py — W1 "clean" the way a Python user without an ETL engine
would write it: read NDJSON line by line, lower-case service_name, make
timestamp (string or number) an integer, write NDJSON. Everything else is
passed through unchanged. Its output is the reference that bench/verify.py
checks every other W1 output against.

--orjson uses the orjson package (if installed) instead of the stdlib json
module; --gz writes gzip'd NDJSON (level 6, like gzip(1)).
Usage: w1_python.py IN OUT [--orjson] [--gz]
"""
import argparse
import gzip
import sys


def clean_stdlib(src, dst):
    import json
    loads, dumps = json.loads, json.dumps
    write = dst.write
    for line in src:
        rec = loads(line)
        rec["service_name"] = rec["service_name"].lower()
        rec["timestamp"] = int(rec["timestamp"])
        write(dumps(rec) + "\n")


def clean_orjson(src, dst):
    import orjson
    loads, dumps = orjson.loads, orjson.dumps
    write = dst.write
    for line in src:
        rec = loads(line)
        rec["service_name"] = rec["service_name"].lower()
        rec["timestamp"] = int(rec["timestamp"])
        write(dumps(rec) + b"\n")


def main():
    ap = argparse.ArgumentParser(description="W1 clean in plain Python.")
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--orjson", action="store_true", help="use orjson instead of json")
    ap.add_argument("--gz", action="store_true", help="gzip the output (level 6)")
    a = ap.parse_args()
    if a.orjson:
        with open(a.inp, "rb") as src, (gzip.open(a.out, "wb", compresslevel=6)
                                        if a.gz else open(a.out, "wb")) as dst:
            clean_orjson(src, dst)
    else:
        with open(a.inp, encoding="utf-8") as src, (
                gzip.open(a.out, "wt", encoding="utf-8", compresslevel=6)
                if a.gz else open(a.out, "w", encoding="utf-8")) as dst:
            clean_stdlib(src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
