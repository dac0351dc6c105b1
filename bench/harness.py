#!/usr/bin/env python3
"""harness.py — sluice's benchmark driver (run through bench/run.sh / `make bench`).

One run, on the same input files, on this machine:
  1. generates bench/work/w1_logs.jsonl and bench/work/w2_claims.csv with
     bench/gen_*.py when missing or of the wrong size (full-size files are
     also checked against their known sha256);
  2. installs DuckDB (npm @duckdb/node-api) into bench/work/node when absent
     and finds the other peers (Python json/csv, orjson, Miller, jq);
  3. times every (work, tool, threads) row: median of BENCH_RUNS runs, the
     input re-read with `cat FILE > /dev/null` before each run, peak RSS and
     CPU time from /usr/bin/time (os.wait4 when it is missing);
  4. checks every output against the Python stdlib peer's (bench/verify.py);
  5. prints a Markdown report and saves it to bench/work/results.md.
A row that cannot run (peer missing, sluice node type not there yet) reports
"skipped: reason"; a row that runs and fails reports FAIL with the reason.

Environment:
  BENCH_N_W1, BENCH_N_W2   records to generate (default 1000000 / 2000000);
                           other sizes skip the sha256 check
  BENCH_RUNS               timed runs per row, median reported (default 3)
  BENCH_STARTUP_RUNS       runs of the 1-record startup job (default 50)
  BENCH_ONLY               comma list of groups: w1,w1gz,w2,lua,filter,startup,rss
                           (the default), aws (bench/aws/aws_bench.py: DynamoDB
                           Local and Ceph RGW; BENCH_AWS_ITEMS items, default 200000)
  SLUICE                   sluice binary (default build/sluice)
  BENCH_STRICT=1           exit 1 when a row fails or its output check fails
  BENCH_KEEP=1             keep every output (default: delete those that checked OK)
Python 3 standard library only.
"""
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
WORK = "bench/work"
# Outputs go to tmpfs by default: this VM's disk takes writes at ~200 MB/s,
# which would time the disk rather than the tools. BENCH_OUT overrides.
OUT = os.environ.get("BENCH_OUT") or ("/dev/shm/sluice-bench-out" if os.path.isdir("/dev/shm") else WORK + "/out")
PEERS = "bench/peers"
JOBS = "bench/jobs"

DUCKDB_PACKAGE = "@duckdb/node-api"
DUCKDB_VERSION = "1.5.6-r.1"
NODE_PREFIX = WORK + "/node"
DUCKDB_MODULE = NODE_PREFIX + "/node_modules/" + DUCKDB_PACKAGE

W1 = {"seed": 42, "n": 1_000_000, "size": 327_958_277,
      "sha256": "8b9044235354705e053b7c9114f4b9bb9d6b7658d65a0622585e0ece7fc691ee",
      "gen": "bench/gen_w1_logs.py", "path": WORK + "/w1_logs.jsonl"}
W2 = {"seed": 7, "n": 2_000_000, "size": 394_047_985,
      "sha256": "176152ec54986105fedd13a788ab1c24b8e11f5769b26ab456eec338a13efc08",
      "gen": "bench/gen_w2_claims.py", "path": WORK + "/w2_claims.csv"}

GROUPS = ("w1", "w1gz", "w2", "lua", "filter", "startup", "rss", "aws")
# "aws" starts DynamoDB Local and Ceph RGW and takes ~10 minutes: only on request
DEFAULT_GROUPS = ("w1", "w1gz", "w2", "lua", "filter", "startup", "rss")

# The project's targets (issue 3): a row's time over its peer's at the same
# thread count must stay at or under the limit.
TARGETS = (
    ("W2 project+filter+sort CSV", "sluice", "DuckDB", 0.5, "at least 2x faster than DuckDB"),
    ("W1 clean: Lua map vs derive", "sluice Lua map", "sluice derive", 3.0, "Lua map within 3x of derive"),
    ("W1 filter+derive vs copy", "sluice filter+derive", "sluice copy", 1.3,
     "filter+derive within 1.3x of a pass-through copy"),
)

# DuckDB is given the W1 schema up front (its fastest path); `timestamp`
# declared BIGINT makes DuckDB convert the string timestamps while reading.
W1_DUCKDB_READ = (
    "read_json('{inp}', format='newline_delimited', columns={{log_id:'VARCHAR', "
    "\"timestamp\":'BIGINT', service_name:'VARCHAR', log_level:'VARCHAR', message:'VARCHAR', "
    "metadata:'STRUCT(host VARCHAR, region VARCHAR, latency_ms BIGINT, tags VARCHAR[])'}})")
W1_DUCKDB_SQL = (
    "COPY (SELECT log_id, \"timestamp\", lower(service_name) AS service_name, log_level, message, "
    "metadata FROM " + W1_DUCKDB_READ + ") TO '{out}' (FORMAT json{opts})")
W2_DUCKDB_SQL = (
    "COPY (SELECT policy_id, age_of_car, age_of_policyholder, area_cluster, population_density, "
    "is_claim FROM read_csv('{inp}') WHERE age_of_car < 0.7 ORDER BY age_of_car) "
    "TO '{out}' (FORMAT csv, HEADER)")
JQ_PROGRAM = ".service_name |= ascii_downcase | .timestamp |= tonumber"
MLR_PROGRAM = "$service_name = tolower($service_name); $timestamp = int($timestamp)"


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def env_int(name, default):
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise SystemExit("bench: %s=%r is not an integer" % (name, text))
    if value < 1:
        raise SystemExit("bench: %s must be at least 1" % name)
    return value


def one_line(text, limit=160):
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def md_cell(text):
    return str(text).replace("|", "\\|")


def sh(cmd, **kw):
    """Run an untimed helper command, capturing its output."""
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def first_output_line(cmd):
    try:
        p = sh(cmd)
    except OSError:
        return None
    text = (p.stdout or p.stderr).strip()
    return text.splitlines()[0] if p.returncode == 0 and text else None


# --------------------------------------------------------------------- data

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_data(spec, n):
    """Generate spec's file for n records unless a matching one is there.

    A stamp file next to the data records the seed, n and size it was
    generated with; the data is regenerated when the stamp or size differs."""
    path = spec["path"]
    stamp = path + ".stamp"
    want = "seed=%d n=%d" % (spec["seed"], n)
    full = n == spec["n"]
    ok = False
    if os.path.exists(path) and os.path.exists(stamp):
        with open(stamp) as f:
            fields = f.read().split()
        size = os.path.getsize(path)
        ok = " ".join(fields[:2]) == want and fields[2:] == ["size=%d" % size]
        if full and size != spec["size"]:
            ok = False
    if not ok:
        log("generating %s (%s)" % (path, want))
        t0 = time.perf_counter()
        tmp = path + ".tmp"
        subprocess.run([sys.executable, spec["gen"], "--seed", str(spec["seed"]), "--n", str(n),
                        "--out", tmp], check=True)
        os.replace(tmp, path)
        with open(stamp, "w") as f:
            f.write("%s size=%d\n" % (want, os.path.getsize(path)))
        log("generated %s: %d bytes in %.1f s" % (path, os.path.getsize(path), time.perf_counter() - t0))
    if full:
        size = os.path.getsize(path)
        digest = sha256_file(path)
        if size != spec["size"] or digest != spec["sha256"]:
            raise SystemExit("bench: %s is %d bytes, sha256 %s; expected %d bytes, sha256 %s — the "
                             "generator does not reproduce the reference data" %
                             (path, size, digest, spec["size"], spec["sha256"]))
    return path


def head_lines(src, dst, count):
    """Copy the first count lines of src to dst (the records of a smaller
    file from the same generator: the generators are prefix-stable)."""
    with open(src, "rb") as f, open(dst, "wb") as o:
        for i, line in enumerate(f):
            if i >= count:
                break
            o.write(line)
    return dst


# -------------------------------------------------------------------- peers

class Peers:
    """What is installed, and why a peer is missing."""

    def __init__(self, sluice):
        self.python = sys.executable
        self.sluice = sluice
        self.sluice_reason = None
        self.sluice_types = {}
        if not os.path.isfile(sluice) or not os.access(sluice, os.X_OK):
            self.sluice_reason = "%s not built" % sluice
        self.orjson = first_output_line([self.python, "-c", "import orjson; print(orjson.__version__)"])
        self.jq = shutil.which("jq")
        self.mlr = shutil.which("mlr")
        self.node = shutil.which("node")
        self.hyperfine = shutil.which("hyperfine")
        self.gnu_time = None
        if os.access("/usr/bin/time", os.X_OK):
            p = sh(["/usr/bin/time", "-f", "%M", "true"])
            if p.returncode == 0 and p.stderr.strip().isdigit():
                self.gnu_time = "/usr/bin/time"
        self.duckdb_reason = None
        self.duckdb_version = None
        self._setup_duckdb()

    def _duckdb_installed(self):
        try:
            with open(DUCKDB_MODULE + "/package.json") as f:
                return json.load(f).get("version") == DUCKDB_VERSION
        except (OSError, ValueError):
            return False

    def _setup_duckdb(self):
        if not self.node:
            self.duckdb_reason = "node not installed"
            return
        if not self._duckdb_installed():
            npm = shutil.which("npm")
            if not npm:
                self.duckdb_reason = "npm not installed"
                return
            log("installing %s@%s into %s" % (DUCKDB_PACKAGE, DUCKDB_VERSION, NODE_PREFIX))
            os.makedirs(NODE_PREFIX, exist_ok=True)
            p = sh([npm, "install", "--prefix", NODE_PREFIX, "--no-audit", "--no-fund",
                    "--loglevel=error", "%s@%s" % (DUCKDB_PACKAGE, DUCKDB_VERSION)])
            if p.returncode != 0 or not self._duckdb_installed():
                self.duckdb_reason = "npm install failed: " + one_line(p.stderr, 100)
                return
        p = sh([self.node, PEERS + "/duckdb_sql.cjs", "1", "SELECT version() AS v"])
        try:
            self.duckdb_version = json.loads(p.stdout)[0]["v"]
        except (ValueError, LookupError, TypeError):
            self.duckdb_reason = "DuckDB does not start: " + one_line(p.stderr, 100)

    def duckdb_warm_files(self):
        files = [self.node] if self.node else []
        bindings = NODE_PREFIX + "/node_modules/@duckdb"
        for top, _, names in os.walk(bindings):
            files += [os.path.join(top, n) for n in names if n.endswith((".so", ".node"))]
        return files

    def sluice_missing(self, job):
        """Why job cannot run on this sluice (None when it can): the binary
        is missing or `sluice help TYPE` fails for a node type it uses."""
        if self.sluice_reason:
            return self.sluice_reason
        with open(job) as f:
            types = re.findall(r"^\s+type:\s*([A-Za-z0-9_]+)", f.read(), re.M)
        for t in types:
            if t not in self.sluice_types:
                p = sh([self.sluice, "help", t])
                self.sluice_types[t] = p.returncode == 0
            if not self.sluice_types[t]:
                return "sluice has no node type `%s` yet (`sluice help %s` fails)" % (t, t)
        return None


# ------------------------------------------------------------------ timing

class RunResult:
    def __init__(self, wall, rss_kb, cpu, rc, err):
        self.wall, self.rss_kb, self.cpu, self.rc, self.err = wall, rss_kb, cpu, rc, err


def drop_output(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def warm(files):
    for f in files:
        subprocess.run("cat %s > /dev/null" % shlex.quote(f), shell=True, check=False)


class HighWaterWatcher:
    """Peak RSS of a child without GNU time: polls VmHWM in /proc/PID/status.

    (wait4's ru_maxrss cannot be used: a child forked from this Python
    process inherits the harness's own high-water mark across exec, ~20 MB,
    which would swamp a small tool's figure.) Growth in the last poll
    interval before exit is missed, so this is a slight underestimate."""

    def __init__(self, pid, interval=0.005):
        self.path = "/proc/%d/status" % pid
        self.kb = 0
        self.done = threading.Event()
        self.interval = interval
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self):
        while not self.done.is_set():
            try:
                with open(self.path) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.kb = max(self.kb, int(line.split()[1]))
                            break
            except (OSError, ValueError, IndexError):
                pass
            self.done.wait(self.interval)

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.kb


def run_once(cmd, stdout_path, gnu_time, err_file, env=None):
    """One run of cmd; wall time, peak RSS (KiB), user+sys CPU seconds.
    env: the child's environment (default: this process's)."""
    stdout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        with open(err_file, "w+b") as err:
            if gnu_time:
                with tempfile.NamedTemporaryFile("r", prefix="time-", dir=WORK) as tf:
                    full = [gnu_time, "-f", "%M %U %S", "-o", tf.name] + cmd
                    t0 = time.perf_counter()
                    p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err, env=env)
                    rc = p.wait()
                    wall = time.perf_counter() - t0
                    lines = tf.read().strip().splitlines()
                try:
                    kb, user, system = lines[-1].split()
                    rss_kb, cpu = int(kb), float(user) + float(system)
                except (IndexError, ValueError):
                    rss_kb, cpu = 0, 0.0
            else:
                t0 = time.perf_counter()
                p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err, env=env)
                watcher = HighWaterWatcher(p.pid)
                _, status, ru = os.wait4(p.pid, 0)
                wall = time.perf_counter() - t0
                p.returncode = rc = os.waitstatus_to_exitcode(status)
                rss_kb, cpu = watcher.stop() or ru.ru_maxrss, ru.ru_utime + ru.ru_stime
            err.seek(0)
            text = err.read().decode("utf-8", "replace")
    finally:
        if stdout_path:
            stdout.close()
    return RunResult(wall, rss_kb, cpu, rc, text)


# --------------------------------------------------------------------- rows

class Row:
    """One line of the results table."""

    def __init__(self, group, work, tool, threads, input_path, cmd=None, out=None, stdout=False,
                 skip=None, warm_files=(), is_ref=False, peer="DuckDB"):
        self.group, self.work, self.tool, self.threads = group, work, tool, threads
        self.peer = peer                # the ratio column divides by this tool's time (prefix)
        self.input = input_path
        self.cmd = cmd
        self.out = out                  # output path (file or directory)
        self.stdout = stdout            # the tool writes its output to stdout
        self.skip = skip
        self.warm_files = list(warm_files)
        self.is_ref = is_ref
        self.seconds = self.rss_kb = self.cpu = None
        self.failure = None
        self.check = None               # "OK", "ref", "FAIL: …"

    @property
    def ran(self):
        return self.seconds is not None


def time_row(row, runs, gnu_time):
    """Median of `runs` timed runs; the input is re-read before each one."""
    if row.skip:
        log("%-26s %-16s t%s  skipped: %s" % (row.work, row.tool, row.threads, row.skip))
        return
    samples = []
    err_file = os.path.join(WORK, "stderr.txt")
    for _ in range(runs):
        drop_output(row.out)
        subprocess.run(["sync"], check=False)
        warm([row.input] + row.warm_files)
        r = run_once(row.cmd, row.out if row.stdout else None, gnu_time, err_file)
        if r.rc != 0:
            row.failure = "exit %d: %s" % (r.rc, one_line(r.err.strip().splitlines()[-1] if r.err.strip()
                                                         else "", 140))
            log("%-26s %-16s t%s  FAILED %s" % (row.work, row.tool, row.threads, row.failure))
            log("  command: %s" % " ".join(shlex.quote(c) for c in row.cmd))
            return
        samples.append(r)
    row.seconds = statistics.median(s.wall for s in samples)
    row.rss_kb = max(s.rss_kb for s in samples)
    row.cpu = statistics.median(s.cpu for s in samples)
    log("%-26s %-16s t%s  %.3f s  %.0f MB RSS" % (row.work, row.tool, row.threads, row.seconds,
                                                 row.rss_kb * 1024 / 1e6))


def verify_rows(kind, rows):
    """Check every row that ran against the group's reference row."""
    ref = next((r for r in rows if r.is_ref), None)
    if ref is None or not ref.ran:
        for r in rows:
            if r.ran:
                r.check = "no reference"
        return
    ref.check = "ref"
    todo = [r for r in rows if r.ran and not r.is_ref]
    if not todo:
        return
    log("verifying %d %s outputs against %s" % (len(todo), kind, ref.out))
    p = sh([sys.executable, "bench/verify.py", kind, ref.out] + [r.out for r in todo])
    verdict = {}
    for line in p.stdout.splitlines():
        m = re.match(r"(OK|FAIL) (.*?)(?: \(\d+ records\)|: (.*))?$", line)
        if m:
            verdict[m.group(2)] = "OK" if m.group(1) == "OK" else "FAIL: " + one_line(m.group(3), 120)
    for r in todo:
        r.check = verdict.get(r.out, "FAIL: verify.py: " + one_line(p.stderr, 100))
        if r.check != "OK":
            log("%s %s t%s: %s" % (r.work, r.tool, r.threads, r.check))
    if p.returncode != 0:
        sys.stderr.write(p.stdout)


def sluice_cmd(sluice, job, threads, inp, out):
    return [sluice, "run", job, "--threads", str(threads), "--quiet", "--arg", "input=" + inp,
            "--arg", "output=" + out]


def duckdb_cmd(peers, threads, sql):
    return [peers.node, PEERS + "/duckdb_sql.cjs", str(threads), sql]


def w1_rows(peers, inp, group="w1", work="W1 clean JSON→JSON", prefix="w1"):
    job = JOBS + "/w1_clean.yaml"
    skip_sluice = peers.sluice_missing(job)
    duck_warm = peers.duckdb_warm_files()
    rows = []
    for t in (1, 2):
        out = "%s/%s_sluice_t%d" % (OUT, prefix, t)
        rows.append(Row(group, work, "sluice", t, inp, sluice_cmd(peers.sluice, job, t, inp, out), out,
                        skip=skip_sluice, warm_files=[peers.sluice]))
    for t in (1, 2):
        out = "%s/%s_duckdb_t%d.jsonl" % (OUT, prefix, t)
        sql = W1_DUCKDB_SQL.format(inp=inp, out=out, opts="")
        rows.append(Row(group, work, "DuckDB " + (peers.duckdb_version or ""), t, inp,
                        duckdb_cmd(peers, t, sql), out, skip=peers.duckdb_reason, warm_files=duck_warm))
    py = [peers.python, PEERS + "/w1_python.py"]
    rows.append(Row(group, work, "Python json", 1, inp, py + [inp, "%s/%s_python.jsonl" % (OUT, prefix)],
                    "%s/%s_python.jsonl" % (OUT, prefix), is_ref=True))
    rows.append(Row(group, work, "Python orjson " + (peers.orjson or ""), 1, inp,
                    py + ["--orjson", inp, "%s/%s_orjson.jsonl" % (OUT, prefix)],
                    "%s/%s_orjson.jsonl" % (OUT, prefix), skip=None if peers.orjson else "orjson not importable"))
    rows.append(Row(group, work, "Miller", 1, inp, [peers.mlr or "mlr", "--ijsonl", "--ojsonl", "put", MLR_PROGRAM, inp],
                    "%s/%s_miller.jsonl" % (OUT, prefix), stdout=True,
                    skip=None if peers.mlr else "mlr not installed (scripts/bootstrap.sh installs miller)",
                    warm_files=[peers.mlr] if peers.mlr else []))
    rows.append(Row(group, work, "jq", 1, inp, [peers.jq or "jq", "-c", JQ_PROGRAM, inp],
                    "%s/%s_jq.jsonl" % (OUT, prefix), stdout=True,
                    skip=None if peers.jq else "jq not installed (scripts/bootstrap.sh installs jq)",
                    warm_files=[peers.jq] if peers.jq else []))
    return rows


def w1gz_rows(peers, inp):
    job = JOBS + "/w1_clean_gzip.yaml"
    skip_sluice = peers.sluice_missing(job)
    work = "W1 clean → gzip JSON"
    rows = []
    for t in (1, 2):
        out = "%s/w1gz_sluice_t%d" % (OUT, t)
        rows.append(Row("w1gz", work, "sluice", t, inp, sluice_cmd(peers.sluice, job, t, inp, out), out,
                        skip=skip_sluice, warm_files=[peers.sluice]))
    for t in (1, 2):
        out = "%s/w1gz_duckdb_t%d.jsonl.gz" % (OUT, t)
        sql = W1_DUCKDB_SQL.format(inp=inp, out=out, opts=", COMPRESSION gzip")
        rows.append(Row("w1gz", work, "DuckDB " + (peers.duckdb_version or ""), t, inp,
                        duckdb_cmd(peers, t, sql), out, skip=peers.duckdb_reason,
                        warm_files=peers.duckdb_warm_files()))
    return rows


def w2_rows(peers, inp):
    job = JOBS + "/w2_claims.yaml"
    work = "W2 project+filter+sort CSV"
    skip_sluice = peers.sluice_reason
    if not skip_sluice:
        for t in ("sort", "coalesce"):
            if sh([peers.sluice, "help", t]).returncode != 0:
                skip_sluice = "sluice has no `%s` yet (`sluice help %s` fails)" % (t, t)
                break
    skip_sluice = skip_sluice or peers.sluice_missing(job)
    rows = []
    for t in (1, 2):
        out = "%s/w2_sluice_t%d" % (OUT, t)
        rows.append(Row("w2", work, "sluice", t, inp, sluice_cmd(peers.sluice, job, t, inp, out), out,
                        skip=skip_sluice, warm_files=[peers.sluice]))
    for t in (1, 2):
        out = "%s/w2_duckdb_t%d.csv" % (OUT, t)
        rows.append(Row("w2", work, "DuckDB " + (peers.duckdb_version or ""), t, inp,
                        duckdb_cmd(peers, t, W2_DUCKDB_SQL.format(inp=inp, out=out)), out,
                        skip=peers.duckdb_reason, warm_files=peers.duckdb_warm_files()))
    out = OUT + "/w2_python.csv"
    rows.append(Row("w2", work, "Python csv", 1, inp, [peers.python, PEERS + "/w2_python.py", inp, out], out,
                    is_ref=True))
    return rows


def lua_rows(peers, inp):
    """W1 clean written as a Lua `map` against the same work through derive.
    The derive output at 1 thread is the reference: the Lua job's output is
    the same records (bench/jobs/w1_clean_lua.yaml)."""
    work = "W1 clean: Lua map vs derive"
    rows = []
    for t in (1, 2):
        for tool, job, name in (("sluice derive", "w1_clean.yaml", "derive"),
                                ("sluice Lua map", "w1_clean_lua.yaml", "lua")):
            job = JOBS + "/" + job
            out = "%s/lua_%s_t%d" % (OUT, name, t)
            rows.append(Row("lua", work, tool, t, inp, sluice_cmd(peers.sluice, job, t, inp, out), out,
                            skip=peers.sluice_missing(job), warm_files=[peers.sluice],
                            is_ref=(name == "derive" and t == 1), peer="sluice derive"))
    return rows


def filter_rows(peers, inp):
    """filter + derive on W1 against a pass-through copy of the same file."""
    work = "W1 filter+derive vs copy"
    rows = []
    for t in (1, 2):
        for tool, job, name in (("sluice copy", "w1_copy.yaml", "copy"),
                                ("sluice filter+derive", "w1_filter.yaml", "filter")):
            job = JOBS + "/" + job
            out = "%s/filter_%s_t%d" % (OUT, name, t)
            rows.append(Row("filter", work, tool, t, inp, sluice_cmd(peers.sluice, job, t, inp, out), out,
                            skip=peers.sluice_missing(job), warm_files=[peers.sluice], peer="sluice copy"))
    return rows


def filtered_reference(w1_ref, dst):
    """The W1 reference (Python peer's clean output) without the DEBUG
    records: what bench/jobs/w1_filter.yaml must write."""
    with open(w1_ref, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as o:
        for line in f:
            if json.loads(line)["log_level"] != "DEBUG":
                o.write(line)
    return dst


def verify_against(kind, ref_path, rows):
    """Check rows that ran against a reference file that is not a row."""
    todo = [r for r in rows if r.ran]
    if not todo:
        return
    log("verifying %d %s outputs against %s" % (len(todo), kind, ref_path))
    p = sh([sys.executable, "bench/verify.py", kind, ref_path] + [r.out for r in todo])
    verdict = {}
    for line in p.stdout.splitlines():
        m = re.match(r"(OK|FAIL) (.*?)(?: \(\d+ records\)|: (.*))?$", line)
        if m:
            verdict[m.group(2)] = "OK" if m.group(1) == "OK" else "FAIL: " + one_line(m.group(3), 120)
    for r in todo:
        r.check = verdict.get(r.out, "FAIL: verify.py: " + one_line(p.stderr, 100))
        if r.check != "OK":
            log("%s %s t%s: %s" % (r.work, r.tool, r.threads, r.check))


# ------------------------------------------------------------------ startup

def startup_median(row, peers, runs):
    """Median wall time of `runs` runs of a tiny job (hyperfine if present)."""
    if row.skip:
        log("startup: %s skipped: %s" % (row.tool, row.skip))
        return
    log("startup: %s (%d runs%s)" % (row.tool, runs, ", hyperfine" if peers.hyperfine else ""))
    err_file = os.path.join(WORK, "stderr.txt")
    drop_output(row.out)
    # The first run also measures peak RSS and CPU (through GNU time when
    # present); the timed runs below go without any wrapper.
    first = run_once(row.cmd, row.out if row.stdout else None, peers.gnu_time, err_file)
    if first.rc != 0:
        row.failure = "exit %d: %s" % (first.rc, one_line(first.err.strip().splitlines()[-1]
                                                           if first.err.strip() else "", 140))
        log("startup: %s FAILED %s" % (row.tool, row.failure))
        return
    if peers.hyperfine:
        export = os.path.join(WORK, "hyperfine.json")
        cmd = " ".join(shlex.quote(c) for c in row.cmd)
        shell = []
        if row.stdout:
            cmd += " > %s" % shlex.quote(row.out)
        else:
            shell = ["--shell=none"]    # no shell start-up inside the timing
        p = sh([peers.hyperfine, "--runs", str(runs), "--warmup", "3", "--prepare",
                "rm -rf %s" % shlex.quote(row.out), "--export-json", export, "--style", "none"] + shell + [cmd])
        if p.returncode != 0:
            row.failure = "hyperfine: " + one_line(p.stderr, 120)
            log("startup: %s FAILED %s" % (row.tool, row.failure))
            return
        with open(export) as f:
            res = json.load(f)["results"][0]
        os.remove(export)
        row.seconds = res.get("median", statistics.median(res["times"]))
        row.rss_kb, row.cpu = first.rss_kb, first.cpu
        return
    walls = []
    for i in range(runs + 2):                 # 3 warm-up runs, counting the first
        drop_output(row.out)
        with open(row.out if row.stdout else os.devnull, "wb") as out:
            t0 = time.perf_counter()
            rc = subprocess.call(row.cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
        if rc != 0:
            row.failure = "exit %d on run %d (the first run succeeded)" % (rc, i + 2)
            log("startup: %s FAILED %s" % (row.tool, row.failure))
            return
        if i >= 2:
            walls.append(wall)
    row.seconds, row.rss_kb, row.cpu = statistics.median(walls), first.rss_kb, first.cpu


def startup_rows(peers, tiny):
    job = JOBS + "/w1_clean.yaml"
    work = "startup: 1-record W1 job"
    out = OUT + "/startup_sluice"
    rows = [Row("startup", work, "sluice", 1, tiny, sluice_cmd(peers.sluice, job, 1, tiny, out), out,
                skip=peers.sluice_missing(job))]
    out = OUT + "/startup_duckdb.jsonl"
    rows.append(Row("startup", work, "DuckDB " + (peers.duckdb_version or ""), 1, tiny,
                    duckdb_cmd(peers, 1, W1_DUCKDB_SQL.format(inp=tiny, out=out, opts="")), out,
                    skip=peers.duckdb_reason))
    out = OUT + "/startup_python.jsonl"
    rows.append(Row("startup", work, "Python json", 1, tiny,
                    [peers.python, PEERS + "/w1_python.py", tiny, out], out, is_ref=True))
    return rows


# ------------------------------------------------------------------- report

def fmt_seconds(s):
    if s >= 10:
        return "%.1f" % s
    if s >= 0.1:
        return "%.2f" % s
    return "%.4f" % s


def peer_row(row, rows):
    """The row `row` is compared with: its peer tool, same work and threads."""
    return next((r for r in rows if r.work == row.work and r.tool.startswith(row.peer) and r.ran
                 and r.threads == row.threads), None)


def ratio(row, rows):
    if not row.ran:
        return ""
    peer = peer_row(row, rows)
    if peer is None:
        return "—"
    return "%.2f× %s" % (row.seconds / peer.seconds, row.peer)


def table(rows, input_sizes):
    out = ["| work | tool | threads | seconds | MB/s | peak RSS MB | CPU s | check | time ÷ peer |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        head = "| %s | %s | %s | " % (md_cell(r.work), md_cell(r.tool.strip()), r.threads)
        if r.skip:
            out.append(head + "skipped: %s | | | | | |" % md_cell(r.skip))
        elif r.failure:
            out.append(head + "— | | | | FAIL: %s | |" % md_cell(r.failure))
        elif r.ran:
            size = input_sizes.get(r.input, 0)
            mbs = "—" if r.group == "startup" else "%.0f" % (size / 1e6 / r.seconds)
            out.append(head + "%s | %s | %.0f | %.2f | %s | %s |" % (
                fmt_seconds(r.seconds), mbs, r.rss_kb * 1024 / 1e6, r.cpu, md_cell(r.check or ""),
                ratio(r, rows)))
        else:
            out.append(head + "not run | | | | | |")
    return out


def targets_section(rows):
    """One line per target whose rows ran: the measured ratios (wall time,
    and CPU time, the steadier figure on a busy machine) and met/missed."""
    lines = ["| target | threads | time ratio | CPU ratio | |", "|---|---|---|---|---|"]
    for work, tool, peer_tool, limit, what in TARGETS:
        for r in rows:
            if r.work != work or r.tool != tool or not r.ran:
                continue
            peer = peer_row(r, rows)
            if peer is None:
                continue
            ratio_t = r.seconds / peer.seconds
            ratio_c = r.cpu / peer.cpu if peer.cpu else float("nan")
            verdict = "met" if ratio_t <= limit else "**missed**"
            lines.append("| %s (≤ %.1f×) | %d | %.2f× | %.2f× | %s |" % (what, limit, r.threads, ratio_t, ratio_c,
                                                                       verdict))
    return lines if len(lines) > 2 else []


def rss_section(peers, w1_path, n_w1, gnu_time):
    """Peak RSS of sluice on W1 at a quarter and at the full input size."""
    lines = ["| records | input MB | threads | seconds | peak RSS MB | check |", "|---|---|---|---|---|---|"]
    job = JOBS + "/w1_clean.yaml"
    skip = peers.sluice_missing(job)
    if skip:
        return lines + ["| — | — | — | skipped: %s | | |" % md_cell(skip)]
    quarter = max(1, n_w1 // 4)
    small = head_lines(w1_path, WORK + "/w1_logs_quarter.jsonl", quarter)
    for n, path in ((quarter, small), (n_w1, w1_path)):
        for t in (1, 2):
            out = "%s/rss_sluice_%d_t%d" % (OUT, n, t)
            row = Row("rss", "rss", "sluice", t, path, sluice_cmd(peers.sluice, job, t, path, out), out,
                      warm_files=[peers.sluice])
            time_row(row, 1, gnu_time)
            mb = os.path.getsize(path) / 1e6
            if row.ran:
                lines.append("| %d | %.0f | %d | %s | %.0f | |" % (n, mb, t, fmt_seconds(row.seconds),
                                                               row.rss_kb * 1024 / 1e6))
            else:
                lines.append("| %d | %.0f | %d | — | | FAIL: %s |" % (n, mb, t, md_cell(row.failure)))
            drop_output(out)
    if os.path.exists(small):
        os.remove(small)
    return lines


def load_note(load_start, load_end):
    """A warning when other work competed for the CPUs during the run."""
    cores = os.cpu_count() or 1
    busy = max(load_start, load_end)
    text = "Load average (1 min) %.1f at the start, %.1f at the end." % (load_start, load_end)
    if busy > 0.5 * cores + 0.5:
        text += (" **Warning: other processes competed for the %d cores during this run; wall times are "
                 "inflated and noisy — compare CPU s, or rerun on an idle machine.**" % cores)
    return text


def environment(peers, n_w1, n_w2, runs):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    sluice_v = (first_output_line([peers.sluice, "--version"]) if not peers.sluice_reason else None)
    if sluice_v and not sluice_v.startswith("sluice"):
        sluice_v = "sluice " + sluice_v
    tools = [sluice_v or "sluice (%s)" % (peers.sluice_reason or "version unknown"),
             "DuckDB %s" % (peers.duckdb_version or "(%s)" % peers.duckdb_reason),
             "Python %s" % platform.python_version()]
    if peers.orjson:
        tools.append("orjson %s" % peers.orjson)
    for exe in (peers.mlr, peers.jq):
        v = first_output_line([exe, "--version"]) if exe else None
        if v:
            tools.append(v)
    return [
        "Run %s on %s (%d cores, Linux %s)." % (time.strftime("%Y-%m-%d %H:%M %Z"), cpu, os.cpu_count() or 0,
                                              platform.release()),
        "",
        "Tools: %s." % ", ".join(tools),
        "",
        "Inputs: W1 %d records (%.0f MB NDJSON), W2 %d rows (%.0f MB CSV). Seconds: median of %d run(s), "
        "wall clock, input re-read (`cat FILE > /dev/null`) before each run; MB/s = input bytes / seconds; "
        "peak RSS and CPU (user+sys) from %s. check: output compared with the Python stdlib peer's "
        "(bench/verify.py). time ÷ peer: against DuckDB at the same thread count (single-threaded tools "
        "against DuckDB at 1 thread; < 1 is faster); the lua and filter groups compare sluice with itself "
        "(Lua map ÷ derive, filter+derive ÷ copy)." % (
            n_w1, os.path.getsize(W1["path"]) / 1e6 if os.path.exists(W1["path"]) else 0, n_w2,
            os.path.getsize(W2["path"]) / 1e6 if os.path.exists(W2["path"]) else 0, runs,
            "/usr/bin/time" if peers.gnu_time else "wait4(2)"),
    ]


def main():
    os.chdir(ROOT)
    n_w1 = env_int("BENCH_N_W1", W1["n"])
    n_w2 = env_int("BENCH_N_W2", W2["n"])
    runs = env_int("BENCH_RUNS", 3)
    startup_runs = env_int("BENCH_STARTUP_RUNS", 50)
    only = [g.strip() for g in os.environ.get("BENCH_ONLY", "").split(",") if g.strip()] or list(DEFAULT_GROUPS)
    bad = [g for g in only if g not in GROUPS]
    if bad:
        raise SystemExit("bench: BENCH_ONLY: unknown group(s) %s (known: %s)" % (", ".join(bad), ", ".join(GROUPS)))
    sluice = os.environ.get("SLUICE", "build/sluice")
    os.makedirs(OUT, exist_ok=True)
    load_start = os.getloadavg()[0]
    if load_start > 0.5 * (os.cpu_count() or 1) + 0.5:
        log("load average %.1f on %d cores: timings will be noisy" % (load_start, os.cpu_count() or 1))

    need_w1 = any(g in only for g in ("w1", "w1gz", "lua", "filter", "startup", "rss", "aws"))
    w1 = ensure_data(W1, n_w1) if need_w1 else W1["path"]
    w2 = ensure_data(W2, n_w2) if "w2" in only else W2["path"]
    peers = Peers(sluice)
    if not peers.gnu_time:
        log("/usr/bin/time (GNU time) missing: peak RSS from wait4(2) instead")
    sizes = {p: os.path.getsize(p) for p in (w1, w2) if os.path.exists(p)}

    all_rows = []
    if "w1" in only:
        rows = w1_rows(peers, w1)
        for r in sorted(rows, key=lambda r: not r.is_ref):   # the reference first
            time_row(r, runs, peers.gnu_time)
        verify_rows("w1", rows)
        all_rows += rows
    if "w1gz" in only:
        rows = w1gz_rows(peers, w1)
        ref = next((r for r in all_rows if r.group == "w1" and r.is_ref), None)
        if ref is None or not ref.ran:      # need the reference output, untimed
            ref = next(r for r in w1_rows(peers, w1) if r.is_ref)
            time_row(ref, 1, peers.gnu_time)
        for r in rows:
            time_row(r, runs, peers.gnu_time)
        verify_rows("w1", rows + [ref])
        all_rows += rows
    if "w2" in only:
        rows = w2_rows(peers, w2)
        for r in sorted(rows, key=lambda r: not r.is_ref):
            time_row(r, runs, peers.gnu_time)
        verify_rows("w2", rows)
        all_rows += rows
    if "lua" in only:
        rows = lua_rows(peers, w1)
        for r in sorted(rows, key=lambda r: not r.is_ref):
            time_row(r, runs, peers.gnu_time)
        verify_rows("w1", rows)
        all_rows += rows
    if "filter" in only:
        rows = filter_rows(peers, w1)
        for r in rows:
            time_row(r, runs, peers.gnu_time)
        ref = next((r for r in all_rows if r.group == "w1" and r.is_ref and r.ran), None)
        if ref is None:                     # need the Python reference output, untimed
            ref = next(r for r in w1_rows(peers, w1) if r.is_ref)
            time_row(ref, 1, peers.gnu_time)
        if ref.ran:
            verify_against("w1", w1, [r for r in rows if r.tool == "sluice copy"])
            filtered = filtered_reference(ref.out, OUT + "/filter_reference.jsonl")
            verify_against("w1", filtered, [r for r in rows if r.tool != "sluice copy"])
            os.remove(filtered)
        all_rows += rows
    if "startup" in only:
        tiny = head_lines(w1, WORK + "/w1_tiny.jsonl", 1)
        sizes[tiny] = os.path.getsize(tiny)
        rows = startup_rows(peers, tiny)
        for r in rows:
            startup_median(r, peers, startup_runs)
        verify_rows("w1", rows)
        all_rows += rows

    report = ["# sluice benchmark results", ""] + environment(peers, n_w1, n_w2, runs)
    report += ["", load_note(load_start, os.getloadavg()[0]), ""]
    if any(g != "aws" for g in only):
        report += table(all_rows, sizes)
        targets = targets_section(all_rows)
        if targets:
            report += ["", "## Targets", ""] + targets
    if "startup" in only:
        report += ["", "Startup rows: total wall time of a whole 1-record job (process start to exit; an "
                   "upper bound on time to first record), median of %d runs%s." % (
                       startup_runs, " (hyperfine)" if peers.hyperfine else " after 3 warm-up runs")]
    if "rss" in only:
        report += ["", "## sluice peak RSS vs input size (W1 clean JSON→JSON)", ""]
        report += rss_section(peers, w1, n_w1, peers.gnu_time)
    if "aws" in only:
        sys.path.insert(0, os.path.join(BENCH, "aws"))
        import aws_bench
        report += [""] + aws_bench.run(peers.sluice, w1, runs, peers.gnu_time,
                                       env_int("BENCH_AWS_ITEMS", 200_000))
    text = "\n".join(report) + "\n"
    with open(WORK + "/results.md", "w") as f:
        f.write(text)
    sys.stdout.write("\n" + text)
    log("saved %s/results.md" % WORK)
    if not os.environ.get("BENCH_KEEP"):
        for r in all_rows:                  # ~3 GB at full size; keep refs and failures
            if r.check == "OK":
                drop_output(r.out)
    failed = [r for r in all_rows if r.failure or (r.check and r.check.startswith("FAIL"))]
    return 1 if failed and os.environ.get("BENCH_STRICT") else 0


if __name__ == "__main__":
    sys.exit(main())
