#!/usr/bin/env python3
"""verify.py — check that benchmark outputs hold the same data as a reference.

The reference is the output of the plain-Python peer (bench/peers/*_python.py)
on the same input in the same run. An OUTPUT is a file or a directory; a
directory (sluice writes one) is read as its regular files whose names do
not start with "_" or ".", concatenated in name order. Gzip'd files (by their
magic bytes) are read decompressed, multi-member gzip included.

  w1 REF OUTPUT...   NDJSON: every output must hold the reference's records
                     in the same order, compared record by record as parsed
                     JSON objects (key order and spacing do not matter; an
                     integer never equals a float: 16 != 16.0).
  w2 REF OUTPUT...   CSV: header exactly the six W2 columns, rows in
                     non-decreasing age_of_car order, and the same multiset of
                     rows as the reference after numeric normalisation (rows
                     with equal age_of_car may come in any order). A directory
                     must hold exactly one file ("one CSV").

Prints one line per output: "OK <path> ..." or "FAIL <path>: why".
Exit status: 0 when every output is OK, 1 otherwise, 2 on usage errors.
Python 3 standard library only.
"""
import csv
import gzip
import io
import json
import os
import sys

W2_COLUMNS = ["policy_id", "age_of_car", "age_of_policyholder", "area_cluster",
              "population_density", "is_claim"]


class Mismatch(Exception):
    pass


def data_files(path):
    """The files an output consists of, in read order."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if not n.startswith(("_", ".")) and os.path.isfile(os.path.join(path, n)))
        return [os.path.join(path, n) for n in names]
    if os.path.isfile(path):
        return [path]
    raise Mismatch("no such file or directory")


def open_text(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def text_lines(path):
    """Lines of every file of an output, in order."""
    for name in data_files(path):
        with open_text(name) as f:
            yield from f


def _tag_float(text):
    # Floats parse to a tagged pair so that 16 (int) never equals 16.0.
    return ("float", float(text))


def parse_json(line):
    return json.loads(line, parse_float=_tag_float)


def differing_keys(want, got):
    if not isinstance(want, dict) or not isinstance(got, dict):
        return "type"
    keys = sorted(k for k in set(want) | set(got) if want.get(k, KeyError) != got.get(k, KeyError))
    return ", ".join(keys) or "?"


def json_records(path):
    """(line number, record) for every non-blank line of an NDJSON output."""
    n = 0
    for line in text_lines(path):
        n += 1
        if line.strip():
            yield n, line


def verify_w1(ref, outputs):
    """Compare every output with ref in one pass over the reference."""
    status = {}
    streams = {}
    for out in outputs:
        try:
            streams[out] = json_records(out)
            data_files(out)
        except Mismatch as e:
            status[out] = str(e)
    live = [o for o in outputs if o not in status]
    count = 0
    for _, ref_line in json_records(ref):
        want = parse_json(ref_line)
        count += 1
        for out in list(live):
            try:
                item = next(streams[out], None)
                if item is None:
                    status[out] = "ends after %d records (reference has more)" % (count - 1)
                else:
                    lineno, line = item
                    got = parse_json(line)
                    if got != want:
                        status[out] = "record %d (line %d) differs in %s:\n    want %s\n    got  %s" % (
                            count, lineno, differing_keys(want, got), ref_line.strip()[:300], line.strip()[:300])
            except (ValueError, UnicodeDecodeError, OSError, EOFError) as e:
                status[out] = "record %d: unreadable: %s" % (count, e)
            if out in status:
                live.remove(out)
        if not live:
            break
    for out in live:
        try:
            extra = next(streams[out], None)
        except (ValueError, UnicodeDecodeError, OSError, EOFError) as e:
            extra, status[out] = None, "after record %d: unreadable: %s" % (count, e)
        if extra is not None:
            status[out] = "has more records than the reference (%d)" % count
        elif out not in status:
            status[out] = None
    results = []
    for out in outputs:
        results.append((out, status[out], count))
    return results


def w2_rows(path, one_file):
    """(header, rows normalised for comparison, sorted-by-age flag)."""
    files = data_files(path)
    if one_file and len(files) != 1:
        raise Mismatch("expected one CSV file, found %d" % len(files))
    header = None
    rows = []
    for name in files:
        with open_text(name) as f:
            reader = csv.reader(f)
            head = next(reader, None)
            if header is None:
                header = head
            elif head != header:
                raise Mismatch("%s: header %r differs from the first file's" % (name, head))
            for r in reader:
                if not r:
                    continue
                if len(r) != 6:
                    raise Mismatch("%s line %d: %d fields, expected 6" % (name, reader.line_num, len(r)))
                try:
                    rows.append((float(r[1]), r[0], float(r[2]), r[3], int(r[4]), int(r[5])))
                except ValueError as e:
                    raise Mismatch("%s line %d: %s" % (name, reader.line_num, e))
    ordered = all(rows[i][0] <= rows[i + 1][0] for i in range(len(rows) - 1))
    return header, rows, ordered


def verify_w2(ref, outputs):
    ref_header, want, _ = w2_rows(ref, one_file=False)
    if ref_header != W2_COLUMNS:
        raise SystemExit("verify: reference %s has header %r" % (ref, ref_header))
    want.sort()
    results = []
    for out in outputs:
        try:
            header, got, ordered = w2_rows(out, one_file=True)
            if header != W2_COLUMNS:
                raise Mismatch("header %r, expected %r" % (header, W2_COLUMNS))
            if not ordered:
                raise Mismatch("rows are not sorted by age_of_car")
            if len(got) != len(want):
                raise Mismatch("%d rows, reference has %d" % (len(got), len(want)))
            got.sort()
            if got != want:
                first = next(i for i in range(len(want)) if got[i] != want[i])
                raise Mismatch("rows differ from the reference (first sorted difference: want %r, got %r)"
                               % (want[first], got[first]))
            results.append((out, None, len(want)))
        except (Mismatch, OSError, UnicodeDecodeError, EOFError, csv.Error) as e:
            results.append((out, str(e), len(want)))
    return results


def main(argv):
    if len(argv) < 4 or argv[1] not in ("w1", "w2"):
        sys.stderr.write("usage: verify.py w1|w2 REFERENCE OUTPUT...\n")
        return 2
    work, ref, outputs = argv[1], argv[2], argv[3:]
    try:
        data_files(ref)
    except Mismatch:
        sys.stderr.write("verify: no reference output %s\n" % ref)
        return 2
    results = verify_w1(ref, outputs) if work == "w1" else verify_w2(ref, outputs)
    bad = 0
    for out, problem, count in results:
        if problem is None:
            print("OK %s (%d records)" % (out, count))
        else:
            bad += 1
            print("FAIL %s: %s" % (out, problem))
    sys.stdout.flush()
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
