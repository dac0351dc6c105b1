#!/usr/bin/env python3
"""boto3_s3.py — the boto3 peer of `sluice cp` for one object.

  boto3_s3.py [--endpoint URL] upload FILE BUCKET KEY
  boto3_s3.py [--endpoint URL] download BUCKET KEY FILE

boto3's managed transfer (upload_file / download_file) with its default
TransferConfig: multipart above 8 MB, 8 MB parts, 10 threads.
"""
import argparse
import sys

import boto3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--endpoint")
    ap.add_argument("op", choices=("upload", "download"))
    ap.add_argument("args", nargs=3)
    a = ap.parse_args()
    s3 = boto3.client("s3", endpoint_url=a.endpoint)
    if a.op == "upload":
        path, bucket, key = a.args
        s3.upload_file(path, bucket, key)
    else:
        bucket, key, path = a.args
        s3.download_file(bucket, key, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
