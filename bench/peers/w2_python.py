#!/usr/bin/env python3
"""w2_python.py — W2 the way a Python user without an ETL engine would write
it with the stdlib csv module: keep six columns, keep rows with
age_of_car < 0.7, sort by age_of_car (numerically, stable), write one CSV
with a header. Its output is the reference for bench/verify.py.
Usage: w2_python.py IN OUT
"""
import csv
import sys

KEEP = ["policy_id", "age_of_car", "age_of_policyholder", "area_cluster",
        "population_density", "is_claim"]


def main(inp, out):
    with open(inp, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        cols = [header.index(c) for c in KEEP]
        age = header.index("age_of_car")
        rows = [[row[i] for i in cols] for row in reader if float(row[age]) < 0.7]
    rows.sort(key=lambda r: float(r[1]))
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(KEEP)
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: w2_python.py IN OUT")
    sys.exit(main(sys.argv[1], sys.argv[2]))
