#!/usr/bin/env python3
"""bench.py — search benchmark (not a test): indexing the cleaned W1 records
into sluice's embedded search index, against a Python sqlite3 FTS5 loader
doing the same inserts (py_fts5_load.py), and the latency of a few typical
`sluice search` queries. Run from anywhere through bench/search/run.sh.

Steps: take W1 from bench/work/w1_logs.jsonl (bench/harness.py's file, only
read; a smaller BENCH_N_W1 uses its first records, a missing one is generated
into BENCH_OUT with bench/gen_w1_logs.py), clean it once with bench/jobs/w1_clean.yaml (sluice), then time each indexing
row BENCH_RUNS times (median; the index is deleted before each run), check
both indexes hold the same documents and answer the same queries, and time
each query BENCH_QUERY_RUNS times. Prints a Markdown report, also saved to
bench/work/search_results.md.

Environment: BENCH_N_W1 (records, default 1000000), BENCH_RUNS (3),
BENCH_QUERY_RUNS (10), SLUICE (build/sluice), BENCH_OUT (outputs; default
/dev/shm/sluice-bench-out like bench/harness.py: tmpfs, so the disk is not
what is timed). Python 3 standard library only.
"""
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
os.chdir(ROOT)
SLUICE = os.environ.get("SLUICE", "build/sluice")
N = int(os.environ.get("BENCH_N_W1", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
QRUNS = int(os.environ.get("BENCH_QUERY_RUNS", "10"))
OUT = os.environ.get("BENCH_OUT") or ("/dev/shm/sluice-bench-out" if os.path.isdir("/dev/shm") else "bench/work/out")
W1 = "bench/work/w1_logs.jsonl"
CLEAN = os.path.join(OUT, "search_w1_clean")
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

# (label, query, extra options); times are inside the first hours of W1
QUERIES = [
    ("common word, newest 20", "timeout", []),
    ("word + 2 exact fields", "timeout service_name:auth-service log_level:ERROR", []),
    ("phrase + word", '"circuit breaker" opened', []),
    ("exact field, 10-minute window", "log_level:ERROR", ["--from", "1732303600000", "--to", "1732304200000"]),
    ("negation + exact field", "database -query log_level:WARN", []),
    ("prefix", "credential*", []),
    ("relevance, 2 words", "cache miss", ["--sort", "relevance"]),
    ("count of a common word", "timeout", ["--count"]),
    ("count of everything", "", ["--count"]),
]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd):
    """Run cmd; return (wall s, cpu s, peak RSS MB, stdout)."""
    full = ([GNU_TIME, "-f", "%e %U %S %M", "-o", OUT + "/.time"] if GNU_TIME else []) + cmd
    t0 = time.perf_counter()
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-400:]))
    cpu = rss = float("nan")
    if GNU_TIME:
        e, u, s, m = open(OUT + "/.time").read().split()[-4:]
        cpu, rss = float(u) + float(s), int(m) / 1024
    return wall, cpu, rss, p.stdout


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def w1_input():
    """The W1 input for N records, without touching bench/harness.py's file:
    its full-size bench/work/w1_logs.jsonl when N matches, its first N lines
    when it is bigger (the generator's first K records equal an --n K file),
    else a file generated into OUT."""
    stamp = W1 + ".stamp"
    have = 0
    if os.path.exists(W1) and os.path.exists(stamp):
        fields = dict(f.split("=", 1) for f in open(stamp).read().split() if "=" in f)
        if fields.get("seed") == "42" and fields.get("size") == str(os.path.getsize(W1)):
            have = int(fields.get("n", "0"))
    if have == N:
        return W1
    path = os.path.join(OUT, "search_w1_%d.jsonl" % N)
    if os.path.exists(path):
        return path
    if have > N:
        log("taking the first %d records of %s" % (N, W1))
        with open(W1) as src, open(path + ".tmp", "w") as dst:
            for i, line in enumerate(src):
                if i == N:
                    break
                dst.write(line)
    else:
        log("generating %s (%d records)" % (path, N))
        subprocess.run([sys.executable, "bench/gen_w1_logs.py", "--seed", "42", "--n", str(N), "--out",
                        path + ".tmp"], check=True)
    os.replace(path + ".tmp", path)
    return path


def prepare():
    os.makedirs(OUT, exist_ok=True)
    w1 = w1_input()
    log("cleaning %s with bench/jobs/w1_clean.yaml -> %s" % (w1, CLEAN))
    subprocess.run(["rm", "-rf", CLEAN], check=True)
    run([SLUICE, "run", "bench/jobs/w1_clean.yaml", "--quiet", "--arg", "input=" + w1, "--arg", "output=" + CLEAN])
    return sum(os.path.getsize(os.path.join(CLEAN, f)) for f in os.listdir(CLEAN) if f.startswith("part-"))


def time_indexing(label, cmd, db):
    rows = []
    for i in range(RUNS):
        remove_db(db)
        subprocess.run(["sync"])
        log("  %s run %d/%d" % (label, i + 1, RUNS))
        rows.append(run(cmd))
    wall = statistics.median(r[0] for r in rows)
    cpu = statistics.median(r[1] for r in rows)
    rss = max(r[2] for r in rows)
    return {"label": label, "wall": wall, "cpu": cpu, "rss": rss, "size": os.path.getsize(db)}


def same_documents(a, b):
    """Both files hold the same documents and full-text postings."""
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    checks = ["SELECT count(*) FROM docs",
              "SELECT count(*), sum(_time) FROM docs WHERE log_level = 'ERROR'",
              "SELECT count(*) FROM fts WHERE fts MATCH '\"timeout\"'",
              "SELECT count(*) FROM fts WHERE fts MATCH '\"circuit breaker\" AND \"opened\"'",
              "SELECT sum(length(_source)) FROM docs"]
    for q in checks:
        x, y = ca.execute(q).fetchall(), cb.execute(q).fetchall()
        if x != y:
            return "differs on %s: %s vs %s" % (q, x, y)
    return "OK"


def main():
    clean_bytes = prepare()
    sluice_db = os.path.join(OUT, "search_sluice.db")
    py_db = os.path.join(OUT, "search_python.db")
    results = []
    for threads in (1, 2):
        results.append(time_indexing("sluice search_index, %d thread%s" % (threads, "s" if threads > 1 else ""),
                                     [SLUICE, "run", "bench/search/w1_index.yaml", "--quiet", "--threads",
                                      str(threads), "--arg", "input=" + CLEAN, "--arg", "output=" + sluice_db],
                                     sluice_db))
    results.append(time_indexing("Python sqlite3 (py_fts5_load.py)",
                                 [sys.executable, "bench/search/py_fts5_load.py", CLEAN, py_db], py_db))
    check = same_documents(sluice_db, py_db)

    queries = []
    for label, q, opts in QUERIES:
        args = [SLUICE, "search", sluice_db, q, "--json"] + opts
        walls = []
        out = ""
        for _ in range(QRUNS):
            w, _, _, out = run(args)
            walls.append(w)
        hits = out.strip() if "--count" in opts else str(len(out.splitlines()))
        total = run([SLUICE, "search", sluice_db, q, "--count"] + [o for o in opts if o != "--count"])[3].strip()
        queries.append((label, q, " ".join(opts), statistics.median(walls) * 1000, min(walls) * 1000, hits, total))
    startup = [run([SLUICE, "--version"])[0] for _ in range(QRUNS)]

    py_ver = platform.python_version()
    lines = ["Measured %s on %s (%d cores), sluice %s, SQLite %s (system library, used by both), Python %s; "
             "W1 %d records cleaned (%.0f MB NDJSON) on %s; median of %d runs (queries: %d)." %
             (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), platform.machine(), os.cpu_count(),
              run([SLUICE, "--version"])[3].split()[-1], sqlite3.sqlite_version, py_ver, N, clean_bytes / 1e6,
              OUT, RUNS, QRUNS), "",
             "| indexing | seconds | records/s | CPU s | peak RSS MB | index MB | time ÷ Python |",
             "|---|---|---|---|---|---|---|"]
    base = results[-1]["wall"]
    for r in results:
        lines.append("| %s | %.1f | %s | %.1f | %.0f | %.0f | %.2f× |" % (
            r["label"], r["wall"], format(int(N / r["wall"]), ","), r["cpu"], r["rss"], r["size"] / 1e6,
            r["wall"] / base))
    lines += ["", "Same documents in both indexes (counts, full-text matches, stored JSON bytes): " + check, "",
              "| query (`sluice search INDEX …`) | options | hits printed | matches | median ms | min ms |",
              "|---|---|---|---|---|---|"]
    for label, q, opts, med, mn, hits, total in queries:
        lines.append("| %s: `%s` | %s | %s | %s | %.1f | %.1f |" % (label, q, opts or "--json", hits, total, med, mn))
    lines += ["", "Query times are whole `sluice search` processes (start, open, query, print JSON lines); "
              "`sluice --version` takes %.1f ms on this machine." % (statistics.median(startup) * 1000)]
    report = "\n".join(lines) + "\n"
    with open("bench/work/search_results.md", "w") as f:
        f.write(report)
    print(report)
    for path in (sluice_db, py_db):
        remove_db(path)


if __name__ == "__main__":
    main()
