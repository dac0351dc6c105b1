#!/usr/bin/env python3
"""aws_bench.py — sluice's AWS wire layer against boto3 and the AWS CLI, in
one run, on real servers started for it on 127.0.0.1:

  DynamoDB Local (tests/servers/dynamodb-local.sh) — an on-demand AppLogs
  table loaded with BENCH_AWS_ITEMS (200,000) W1-shaped items by sluice
  (`write_dynamodb`, timed) and by boto3's batch_writer (into a second
  table, timed, then dropped); then the whole table scanned to JSON lines
  on tmpfs by sluice (`read_dynamodb`, 1 and 4 segments) and by a plain
  boto3 script (bench/aws/boto3_scan.py: sequential Scan, and 4 segments
  in 4 threads). Every scan output is checked to hold exactly the loaded
  items (compared as sets of parsed JSON objects).

  Ceph RGW (tests/servers/ceph-rgw.sh) — the W1 file (bench/work/
  w1_logs.jsonl; BENCH_N_W1 for a smaller one) uploaded and downloaded by
  `sluice cp`, `aws s3 cp` and boto3 upload_file/download_file; each tool
  downloads the object it uploaded and the bytes must equal the original.

Each row reports wall seconds (median of the runs), items/s or MB/s, the
client's CPU seconds (user+sys, /usr/bin/time or wait4) and the server's
CPU seconds over the same interval (utime+stime of the server processes
from /proc/PID/stat: the java process of DynamoDB Local; radosgw,
ceph-osd and ceph-mon for Ceph), which shows which side is the bottleneck.
The servers are stopped by PID at the end.

Run alone:      python3 bench/aws/aws_bench.py        (from anywhere)
or in harness:  BENCH_ONLY=aws bench/run.sh
Environment: BENCH_AWS_ITEMS (200000), BENCH_N_W1 (1000000), BENCH_RUNS (3),
SLUICE (build/sluice), BENCH_AWS_SEGMENTS (4), BENCH_AWS_LOAD_PEER (1; 0
skips the boto3 load). Needs boto3 and awscli importable by python3.
"""
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
sys.path.insert(0, BENCH)
import harness as H  # noqa: E402  (shared data generation, timing and output helpers)

TABLE = "AppLogs"
PEER_TABLE = "AppLogsBoto3"
BUCKET = "sluice-bench"
ACCESS_KEY, SECRET_KEY = "AKIDTEST", "SECRETTEST"
ITEMS_PATH = H.WORK + "/aws_applogs.jsonl"
DDB_SERVER = "tests/servers/dynamodb-local.sh"
RGW_SERVER = "tests/servers/ceph-rgw.sh"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SLUICE_PAGE = 4096          # read_dynamodb's default page_size (the run's batch_records)
LONG_RUN = 60.0             # a row whose first run takes longer is not repeated


def log(msg):
    H.log("aws: " + msg)


# ------------------------------------------------------------------ servers

def port_free(port, span=1):
    for p in range(port, port + span):
        out = subprocess.run(["ss", "-ltnH", "sport = :%d" % p], stdout=subprocess.PIPE, text=True).stdout
        if out.strip():
            return False
    return True


def pick_port(base, span, step):
    for port in range(base, 32768 - span, step):
        if port_free(port, span):
            return port
    raise RuntimeError("no free port below 32768")


def cpu_seconds(pids):
    """utime + stime of the processes (seconds); a vanished one counts 0."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])    # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


class Servers:
    """DynamoDB Local and Ceph RGW for this run; stop() ends both by PID."""

    def __init__(self):
        self.ddb_pid = self.rgw_pid = None
        self.ddb_endpoint = self.s3_endpoint = None
        self.ceph_pids = []
        self.ddb_error = self.rgw_error = None
        self.rgw_dir = None

    def start(self):
        port = pick_port(21400, 1, 7)
        p = H.sh([DDB_SERVER, "start", str(port)])
        if p.returncode == 0 and p.stdout.strip().isdigit():
            self.ddb_pid = int(p.stdout.strip())
            self.ddb_endpoint = "http://127.0.0.1:%d" % port
            log("DynamoDB Local on %s (pid %d)" % (self.ddb_endpoint, self.ddb_pid))
        else:
            self.ddb_error = "DynamoDB Local did not start: " + H.one_line(p.stderr, 120)
            log(self.ddb_error)
        port = pick_port(21500, 13, 20)
        self.rgw_dir = "%s/ceph-rgw-bench-%d" % (os.environ.get("TMPDIR", "/tmp"), port)
        env = dict(os.environ, S3_ACCESS_KEY=ACCESS_KEY, S3_SECRET_KEY=SECRET_KEY)
        # memstore keeps objects in RAM; overwritten objects wait for RGW's
        # garbage collector, so leave room for every run's uploads
        env.setdefault("CEPH_MEMSTORE_BYTES", str(16 << 30))
        p = H.sh([RGW_SERVER, "start", str(port), self.rgw_dir], env=env)
        if p.returncode == 0 and p.stdout.strip().isdigit():
            self.rgw_pid = int(p.stdout.strip())
            self.s3_endpoint = "http://127.0.0.1:%d" % port
            self.ceph_pids = [self.rgw_pid]
            for name in ("osd.pid", "mon.pid"):
                try:
                    with open(os.path.join(self.rgw_dir, name)) as f:
                        self.ceph_pids.append(int(f.read().strip()))
                except (OSError, ValueError):
                    pass
            log("Ceph RGW on %s (radosgw pid %d, with osd and mon: %s)" % (
                self.s3_endpoint, self.rgw_pid, " ".join(map(str, self.ceph_pids))))
        else:
            self.rgw_error = "Ceph RGW did not start: " + H.one_line(p.stderr, 120)
            log(self.rgw_error)

    def stop(self):
        if self.ddb_pid:
            H.sh([DDB_SERVER, "stop", str(self.ddb_pid)])
            self.ddb_pid = None
        if self.rgw_pid:
            H.sh([RGW_SERVER, "stop", str(self.rgw_pid)])
            self.rgw_pid = None


def client_env(servers):
    """Credentials for both local servers, nothing from ~/.aws."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") or k in ("AWS_MAX_ATTEMPTS",)}
    env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION="us-east-1",
               AWS_DEFAULT_REGION="us-east-1", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_CONFIG_FILE="/dev/null", AWS_PAGER="")
    return env


# --------------------------------------------------------------------- rows

class AwsRow:
    """One line of the AWS table."""

    def __init__(self, section, work, tool, conc, cmd, out=None, unit="items", amount=0, peer=None,
                 skip=None, warm_files=(), prepare=None, label=None):
        self.section, self.work, self.tool, self.conc = section, work, tool, conc
        self.label = label or tool.split()[0]     # how ratio columns name this row
        self.cmd, self.out, self.unit, self.amount = cmd, out, unit, amount
        self.peer = peer                # tool name the ratio is against
        self.skip = skip
        self.warm_files = list(warm_files)
        self.prepare = prepare          # callable run before each timed run (untimed)
        self.seconds = self.cpu = self.server_cpu = self.rss_kb = None
        self.failure = None
        self.check = None

    @property
    def ran(self):
        return self.seconds is not None


def time_aws_row(row, runs, gnu_time, server_pids, env):
    if row.skip:
        log("%-34s %-22s skipped: %s" % (row.work, row.tool, row.skip))
        return
    walls, cpus, servers, rss = [], [], [], 0
    err_file = os.path.join(H.WORK, "stderr.txt")
    for _ in range(runs):
        if row.out:
            H.drop_output(row.out)
        if row.prepare:
            row.prepare()
        H.warm(row.warm_files)
        before = cpu_seconds(server_pids)
        r = H.run_once(row.cmd, None, gnu_time, err_file, env)
        server = cpu_seconds(server_pids) - before
        if r.rc != 0:
            last = r.err.strip().splitlines()[-1] if r.err.strip() else ""
            row.failure = "exit %d: %s" % (r.rc, H.one_line(last, 140))
            log("%-34s %-22s FAILED %s" % (row.work, row.tool, row.failure))
            log("  command: %s" % " ".join(row.cmd))
            return
        walls.append(r.wall)
        cpus.append(r.cpu)
        servers.append(server)
        rss = max(rss, r.rss_kb)
        if r.wall > LONG_RUN:
            break
    row.seconds = statistics.median(walls)
    row.cpu = statistics.median(cpus)
    row.server_cpu = statistics.median(servers)
    row.rss_kb = rss
    log("%-34s %-22s %.2f s, client CPU %.2f s, server CPU %.2f s" % (
        row.work, row.tool, row.seconds, row.cpu, row.server_cpu))


# -------------------------------------------------------------- DynamoDB

def canonical_item(obj):
    """The loaded form of an input record: metadata.tags is a string set
    (sorted, no duplicates; absent when empty), as `sets: [metadata.tags]`
    stores it. Output records get the same treatment, so the order DynamoDB
    returns a set in does not matter."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("tags"), list):
        tags = sorted(set(meta["tags"]))
        if tags:
            meta["tags"] = tags
        else:
            del meta["tags"]
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def output_files(path):
    if os.path.isdir(path):
        return [os.path.join(path, n) for n in sorted(os.listdir(path)) if n.startswith("part-")]
    return [path]


def item_set(paths):
    items, lines = set(), 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    items.add(canonical_item(json.loads(line)))
                    lines += 1
    return items, lines


def check_scan(row, expected):
    try:
        got, lines = item_set(output_files(row.out))
    except (OSError, ValueError) as e:
        return "FAIL: " + H.one_line(str(e), 100)
    if lines != len(got):
        return "FAIL: %d lines but %d distinct items" % (lines, len(got))
    if got == expected:
        return "OK"
    return "FAIL: %d items, %d missing, %d unexpected" % (len(got), len(expected - got), len(got - expected))


def ddb_client(servers):
    import boto3
    return boto3.client("dynamodb", endpoint_url=servers.ddb_endpoint, region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def create_table(client, name):
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "log_id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "log_id", "KeyType": "HASH"}])
    client.get_waiter("table_exists").wait(TableName=name)


def warm_up_dynamodb(servers, client, sluice, env):
    """Untimed: load and scan a small table once, so that DynamoDB Local's
    JIT has compiled its write and scan paths before the first timed row
    (whichever row came first would otherwise pay for it)."""
    small = H.head_lines(ITEMS_PATH, H.WORK + "/aws_warmup.jsonl", 5000)
    create_table(client, "Warmup")
    ep = servers.ddb_endpoint
    H.sh([sluice, "run", HERE + "/load.yaml", "--quiet", "--arg", "input=" + small, "--arg", "table=Warmup",
          "--arg", "endpoint=" + ep], env=env)
    for seg in (1, 4):
        out = "%s/aws_warmup_s%d" % (H.OUT, seg)
        H.sh([sluice, "run", HERE + "/scan.yaml", "--quiet", "--threads", str(seg), "--arg", "table=Warmup",
              "--arg", "endpoint=" + ep, "--arg", "segments=%d" % seg, "--arg", "output=" + out], env=env)
        H.drop_output(out)
    client.delete_table(TableName="Warmup")
    os.remove(small)


def dynamodb_rows(servers, sluice, python, n_items, segments, env):
    """The load rows (run once here) and the scan rows (timed by the caller)."""
    ep = servers.ddb_endpoint
    out = H.OUT
    load_rows = [
        AwsRow("load", "load %d items" % n_items, "sluice write_dynamodb", "2 threads",
               [sluice, "run", HERE + "/load.yaml", "--quiet", "--threads", "2", "--arg", "input=" + ITEMS_PATH,
                "--arg", "table=" + TABLE, "--arg", "endpoint=" + ep], unit="items", amount=n_items,
               peer="boto3 batch_writer", warm_files=[ITEMS_PATH]),
    ]
    if os.environ.get("BENCH_AWS_LOAD_PEER", "1") != "0":
        load_rows.append(AwsRow("load", "load %d items" % n_items, "boto3 batch_writer", "1 thread",
                                [python, HERE + "/boto3_load.py", "--table", PEER_TABLE, "--endpoint", ep,
                                 ITEMS_PATH], unit="items", amount=n_items, warm_files=[ITEMS_PATH]))
    scan = "scan %d items → JSON" % n_items
    scan_rows = []
    for seg in (1, segments):
        o = "%s/aws_scan_sluice_s%d" % (out, seg)
        scan_rows.append(AwsRow("scan", scan, "sluice read_dynamodb", "%d segment%s" % (seg, "s" * (seg > 1)),
                                [sluice, "run", HERE + "/scan.yaml", "--quiet", "--threads", str(seg),
                                 "--arg", "table=" + TABLE, "--arg", "endpoint=" + ep,
                                 "--arg", "segments=%d" % seg, "--arg", "output=" + o],
                                out=o, unit="items", amount=n_items, peer="boto3 Scan", warm_files=[sluice]))
    # the plain script (1 MB pages), and the same script asking for sluice's
    # page size: DynamoDB Local's cost per item depends on the page limit
    for limit in (0, SLUICE_PAGE):
        for seg in (1, segments):
            o = "%s/aws_scan_boto3_s%d_l%d" % (out, seg, limit) + (".jsonl" if seg == 1 else "")
            tool = "boto3 Scan" + (", Limit %d" % limit if limit else "")
            scan_rows.append(AwsRow("scan", scan, tool, "%d segment%s" % (seg, "s" * (seg > 1)),
                                    [python, HERE + "/boto3_scan.py", "--table", TABLE, "--endpoint", ep,
                                     "--segments", str(seg), "--limit", str(limit), o], out=o, unit="items",
                                    amount=n_items, label="boto3 Limit" if limit else "boto3"))
    return load_rows, scan_rows


# -------------------------------------------------------------------- S3

def sha256(path):
    return H.sha256_file(path)


def aws_cli():
    """The awscli entry script next to this Python (skips pyenv's shim)."""
    cand = os.path.join(os.path.dirname(sys.executable), "aws")
    if os.access(cand, os.X_OK):
        return cand
    return shutil.which("aws")


def s3_rows(servers, sluice, python, w1, awscli):
    ep = servers.s3_endpoint
    size = os.path.getsize(w1)
    mb = size / 1e6
    up = "upload W1 (%.0f MB)" % mb
    down = "download W1 (%.0f MB)" % mb
    key = os.path.basename(w1)
    cli_skip = None if awscli else "aws (awscli) not installed"
    rows = [
        AwsRow("s3", up, "sluice cp", "4 parts in flight",
               [sluice, "cp", w1, "s3://%s/sluice/%s" % (BUCKET, key), "--endpoint", ep, "--quiet"],
               unit="MB", amount=mb, peer="aws s3 cp", warm_files=[w1, sluice]),
        AwsRow("s3", up, "aws s3 cp", "10 threads",
               [awscli or "aws", "--endpoint-url", ep, "s3", "cp", w1, "s3://%s/awscli/%s" % (BUCKET, key),
                "--only-show-errors"], unit="MB", amount=mb, skip=cli_skip, warm_files=[w1], label="aws"),
        AwsRow("s3", up, "boto3 upload_file", "10 threads",
               [python, HERE + "/boto3_s3.py", "--endpoint", ep, "upload", w1, BUCKET, "boto3/" + key],
               unit="MB", amount=mb, warm_files=[w1]),
    ]
    for tool, prefix in (("sluice cp", "sluice"), ("aws s3 cp", "awscli"), ("boto3 download_file", "boto3")):
        o = "%s/aws_s3_%s_%s" % (H.OUT, prefix, key)
        src = "s3://%s/%s/%s" % (BUCKET, prefix, key)
        if prefix == "sluice":
            cmd = [sluice, "cp", src, o, "--endpoint", ep, "--quiet"]
        elif prefix == "awscli":
            cmd = [awscli or "aws", "--endpoint-url", ep, "s3", "cp", src, o, "--only-show-errors"]
        else:
            cmd = [python, HERE + "/boto3_s3.py", "--endpoint", ep, "download", BUCKET, prefix + "/" + key, o]
        rows.append(AwsRow("s3", down, tool, "4 ranges in flight" if prefix == "sluice" else "10 threads", cmd,
                           out=o, unit="MB", amount=mb, peer="aws s3 cp" if prefix == "sluice" else None,
                           skip=cli_skip if prefix == "awscli" else None, label=tool.split()[0]))
    return rows


# ------------------------------------------------------------------ report

def fmt(x, digits=2):
    return "—" if x is None else ("%.*f" % (digits, x))


def ratios(row, rows):
    """time ÷ each peer's time for the same work at the same concurrency
    level (sluice rows only): boto3 and, for S3, the AWS CLI."""
    if not row.ran or not row.tool.startswith("sluice"):
        return ""
    parts = []
    for r in rows:
        if r is row or r.work != row.work or r.tool.startswith("sluice") or not r.ran:
            continue
        if row.section == "scan" and r.conc != row.conc:
            continue
        parts.append("%.2f× %s" % (row.seconds / r.seconds, r.label))
    return ", ".join(parts)


def bound_by(row, cores):
    """Which side did the work: server CPU vs client CPU over the run."""
    s, c = row.server_cpu or 0.0, row.cpu or 0.0
    busy = (s + c) / row.seconds / cores
    if s > 2 * c:
        side = "server"
    elif c > 2 * s:
        side = "client"
    else:
        side = "both"
    return "%s%s" % (side, " (machine saturated)" if busy > 0.85 else "")


def table(rows, cores):
    out = ["| work | tool | concurrency | seconds | rate | client CPU s | server CPU s | server cores | "
           "bound by | check | sluice time ÷ peer |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        head = "| %s | %s | %s | " % (H.md_cell(r.work), H.md_cell(r.tool), H.md_cell(r.conc))
        if r.skip:
            out.append(head + "skipped: %s | | | | | | | |" % H.md_cell(r.skip))
        elif r.failure:
            out.append(head + "— | | | | | | FAIL: %s | |" % H.md_cell(r.failure))
        elif r.ran:
            rate = r.amount / r.seconds
            rate_s = ("%.0f items/s" % rate) if r.unit == "items" else ("%.0f MB/s" % rate)
            out.append(head + "%s | %s | %s | %s | %s | %s | %s | %s |" % (
                H.fmt_seconds(r.seconds), rate_s, fmt(r.cpu), fmt(r.server_cpu),
                fmt(r.server_cpu / r.seconds, 2), bound_by(r, cores), H.md_cell(r.check or ""),
                ratios(r, rows)))
        else:
            out.append(head + "not run | | | | | | | |")
    return out


def notes(rows):
    """Plain statements of where the time went, from the measured CPU."""
    lines = []
    for r in rows:
        if not r.ran or not r.tool.startswith("sluice"):
            continue
        share = r.server_cpu / r.seconds
        lines.append("- %s, %s (%s): %.2f s wall; the server used %.2f CPU s (%.2f cores), sluice %.2f CPU s "
                     "(%.0f%% of one core)." % (r.work, r.tool, r.conc, r.seconds, r.server_cpu, share, r.cpu,
                                                 100 * r.cpu / r.seconds))
    scans = [r for r in rows if r.ran and r.section == "scan"]
    if scans:
        lines.append("- DynamoDB Local's CPU per 1,000 items scanned: %s. Without Limit (1 MB pages, what a "
                     "plain boto3 script sends) this grows with the table — at 200,000 items it was ~25× "
                     "that of 4096-item pages (sluice's default page_size); see bench/README.md." % "; ".join(
                         "%s, %s %.3f s" % (r.tool, r.conc, 1000 * r.server_cpu / r.amount) for r in scans))
    return lines


# -------------------------------------------------------------------- main

def on_term(signum, frame):
    raise SystemExit("aws: terminated")


def ensure_items(n_items):
    """The first n_items W1 records (the generator is prefix-stable)."""
    spec = dict(H.W1, path=ITEMS_PATH, n=-1)
    return H.ensure_data(spec, n_items)


def run(sluice, w1, runs, gnu_time, n_items):
    """Start the servers, time every row, stop the servers; Markdown lines."""
    segments = H.env_int("BENCH_AWS_SEGMENTS", 4)
    python = sys.executable
    title = "## AWS wire layer: sluice vs boto3 and the AWS CLI"
    if not os.access(sluice, os.X_OK):
        return [title, "", "skipped: %s not built" % sluice]
    try:
        import boto3  # noqa: F401
    except ImportError:
        return [title, "", "skipped: boto3 is not importable by %s" % python]
    items_path = ensure_items(n_items)
    load_start = os.getloadavg()[0]
    servers = Servers()
    env = None
    rows = []
    cores = os.cpu_count() or 1
    old_term = signal.signal(signal.SIGTERM, on_term)   # so that `finally` stops the servers
    try:
        servers.start()
        env = client_env(servers)
        # ---- DynamoDB
        if servers.ddb_pid:
            client = ddb_client(servers)
            log("warming up DynamoDB Local (5000 items loaded and scanned, untimed)")
            warm_up_dynamodb(servers, client, sluice, env)
            create_table(client, TABLE)
            load_rows, scan_rows = dynamodb_rows(servers, sluice, python, n_items, segments, env)
            if len(load_rows) > 1:
                create_table(client, PEER_TABLE)
            for r in load_rows:
                time_aws_row(r, 1, gnu_time, [servers.ddb_pid], env)
            if len(load_rows) > 1:
                client.delete_table(TableName=PEER_TABLE)     # frees DynamoDB Local's memory
            count = client.describe_table(TableName=TABLE)["Table"].get("ItemCount")
            expected, _ = item_set([items_path])
            if load_rows[0].ran:       # the content is checked by every scan below
                load_rows[0].check = "OK" if count in (None, len(expected)) else \
                    "FAIL: table holds %s items, want %d" % (count, len(expected))
            for r in scan_rows:
                time_aws_row(r, runs, gnu_time, [servers.ddb_pid], env)
                if r.ran:
                    r.check = check_scan(r, expected)
                    if r.check == "OK" and not os.environ.get("BENCH_KEEP"):
                        H.drop_output(r.out)
            rows += load_rows + scan_rows
        else:
            rows.append(AwsRow("scan", "DynamoDB", "all", "", None, skip=servers.ddb_error))
        # ---- S3
        if servers.rgw_pid:
            import boto3
            s3 = boto3.client("s3", endpoint_url=servers.s3_endpoint, region_name="us-east-1",
                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
            s3.create_bucket(Bucket=BUCKET)
            warm = H.head_lines(w1, H.WORK + "/aws_warmup.jsonl", 60000)   # ~20 MB, multipart
            s3.upload_file(warm, BUCKET, "warmup")
            s3.download_file(BUCKET, "warmup", warm)
            s3.delete_object(Bucket=BUCKET, Key="warmup")
            os.remove(warm)
            want = sha256(w1)
            srows = s3_rows(servers, sluice, python, w1, aws_cli())
            for r in srows:
                time_aws_row(r, runs, gnu_time, servers.ceph_pids, env)
                if r.ran and r.out:
                    r.check = "OK" if os.path.getsize(r.out) == os.path.getsize(w1) and sha256(r.out) == want \
                        else "FAIL: downloaded bytes differ from the original"
                    if r.check == "OK":
                        H.drop_output(r.out)
            # an upload row is OK when its object downloads to the original bytes
            for u in [r for r in srows if r.work.startswith("upload") and r.ran]:
                d = next((r for r in srows if r.work.startswith("download") and r.ran
                          and r.tool.split()[0] == u.tool.split()[0]), None)
                u.check = d.check if d else "not checked"
            rows += srows
        else:
            rows.append(AwsRow("s3", "S3", "all", "", None, skip=servers.rgw_error))
    finally:
        servers.stop()
        signal.signal(signal.SIGTERM, old_term)
    out = [title, "", H.load_note(load_start, os.getloadavg()[0]), ""]
    out += ["Servers on this machine, started for the run: DynamoDB Local 1.25.1 (Java 17, in-memory) and Ceph "
            "16 RGW (memstore). Every client shares the %d cores with the servers. Scan outputs: JSON lines on "
            "tmpfs, checked to hold exactly the %d loaded items; S3 rows: each tool downloads the object it "
            "uploaded, checked byte for byte. Seconds: median of %d runs (load rows, and rows whose first run "
            "took over %.0f s: 1 run). Server CPU s: "
            "utime+stime of the server processes during the run (/proc/PID/stat); server cores = server "
            "CPU s / seconds; bound by: the side that used more than twice the other's CPU." % (
                cores, n_items, runs, LONG_RUN), ""]
    out += table(rows, cores)
    out += ["", "Where the time went:", ""] + notes(rows)
    return out


def main():
    os.chdir(ROOT)
    n_items = H.env_int("BENCH_AWS_ITEMS", 200_000)
    n_w1 = H.env_int("BENCH_N_W1", H.W1["n"])
    runs = H.env_int("BENCH_RUNS", 3)
    sluice = os.environ.get("SLUICE", "build/sluice")
    os.makedirs(H.OUT, exist_ok=True)
    w1 = H.ensure_data(H.W1, n_w1)
    gnu_time = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    lines = run(sluice, w1, runs, gnu_time, n_items)
    text = "\n".join(lines) + "\n"
    with open(H.WORK + "/results_aws.md", "w") as f:
        f.write(text)
    sys.stdout.write("\n" + text)
    log("saved %s/results_aws.md" % H.WORK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
