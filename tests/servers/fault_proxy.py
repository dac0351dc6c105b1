#!/usr/bin/env python3
"""fault_proxy.py — a TEST FAULT INJECTOR for sluice's end-to-end tests.

This is not a server and not a general-purpose proxy: it sits between
sluice and a real test server (DynamoDB Local, Ceph RGW) on 127.0.0.1,
forwards every request unchanged, and now and then answers in the upstream's
place with the failures AWS services really produce, so that tests can prove
that sluice's retries work against real servers. Python 3 standard library
only.

    fault_proxy.py start PORT UPSTREAM_URL [--faults SPEC] [--seed N] [--log FILE]
        Runs the proxy in the background on 127.0.0.1:PORT (PORT < 32768:
        the kernel hands 32768-60999 to outgoing connections), prints its PID
        once it accepts connections. Exit 1 if it cannot bind.
    fault_proxy.py stop PID
        Stops that proxy (and refuses to signal a process that is not one).

Forwarding. The request goes upstream exactly as received: method, path and
query, every header in order INCLUDING Host (SigV4 signatures cover Host, so
the upstream must see the client's Host), and the body. The response is
relayed with its status, reason and headers; the body is re-framed with a
Content-Length (hop-by-hop headers — Connection, Keep-Alive,
Transfer-Encoding — are not copied). Client connections stay alive between
requests; each client connection has its own keep-alive upstream connection.

Fault SPEC: comma-separated NAME=VALUE, e.g. "rate=0.2,kinds=slowdown+drop":
    rate=P         fraction of requests that get a fault (0..1; default 0 = pass-through)
    kinds=K+K+...  fault kinds, used in turn (any N consecutive faults, N = the number of
                   kinds, include each kind once; default internal+drop):
        slowdown     503 with the S3 XML body <Error><Code>SlowDown</Code>…
        throttle     400, x-amzn-ErrorType: ThrottlingException, DynamoDB JSON body
        throughput   400, x-amzn-ErrorType: ProvisionedThroughputExceededException
        internal     500 InternalError (S3 XML; DynamoDB's JSON InternalServerError
                     when the request carries X-Amz-Target)
        drop         read the request, close the connection without an answer;
                     the request never reaches the upstream
        cut          forward the request (the upstream DOES perform it), relay the
                     status line, the headers and half the body, then close; when
                     the body is empty, half the header block instead
    retry_after=P  fraction of injected error answers that carry "Retry-After: 0" (default 0)
    streak=N       never fault the same request (method, path, body) more than N
                   times in a row, so a client with more than N attempts always
                   gets through (default 3; 0 = no limit)
    first=A+B+...  the first request whose method ("PUT") or operation
                   ("Scan", see OP below) is A always gets a fault, and so on, so a
                   test can be sure each of these met one whatever the request order
                   (the fault's kind is the next one in turn)
    match=REGEX    only requests whose "METHOD TARGET" line matches REGEX (Python re.search,
                   no commas) may get a fault, from rate or first; e.g. "POST .*uploadId="
                   for S3's CompleteMultipartUpload (default: every request)

Determinism: decisions come from one random generator seeded with --seed (default 1),
drawn in the order requests arrive, so how many of the first N requests get a
fault is the same on every run. With one client connection the whole sequence
is; with several concurrent connections the arrival order, and so which request
gets which fault, may vary (use first= for what a test must see).

Log (--log FILE, appended, flushed per line): one line per request,
    SEQ KIND METHOD TARGET OP STATUS NOTE...
SEQ counts requests from 1; KIND is "forward" or the injected fault's kind (or
"error" when the upstream could not be reached: answered 502); TARGET is the
path and query as received; OP is the operation of JSON-protocol requests (the
part of X-Amz-Target after the '.', e.g. "Scan"), "-" for others; STATUS is the
status sent to the client, "-" when none was. Lines starting with '#' are
comments (start-up, unexpected exceptions).
"""
import argparse
import hashlib
import http.client
import http.server
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

KINDS = ("slowdown", "throttle", "throughput", "internal", "drop", "cut")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade"}

S3_SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
               b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
               b"<RequestId>FAULTPROXY</RequestId></Error>")
S3_INTERNAL = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
               b"<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again."
               b"</Message><RequestId>FAULTPROXY</RequestId></Error>")
DDB_THROTTLE = (b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
                b'"message":"Rate of requests exceeds the allowed throughput."}')
DDB_THROUGHPUT = (b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
                  b'"message":"The level of configured provisioned throughput for the table was exceeded. '
                  b'Consider increasing your provisioning level with the UpdateTable API."}')
DDB_INTERNAL = b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}'
DDB_JSON = "application/x-amz-json-1.0"


def parse_spec(spec):
    """The fault SPEC as a dict; raises ValueError with a readable message."""
    out = {"rate": 0.0, "kinds": ["internal", "drop"], "retry_after": 0.0, "streak": 3, "first": [], "match": None}
    for item in filter(None, (s.strip() for s in (spec or "").split(","))):
        name, sep, value = item.partition("=")
        if not sep or name not in out:
            raise ValueError("bad fault spec item %r (known: %s)" % (item, ", ".join(sorted(out))))
        if name == "kinds":
            kinds = [k for k in value.split("+") if k]
            unknown = [k for k in kinds if k not in KINDS]
            if unknown or not kinds:
                raise ValueError("unknown fault kind(s) %s (known: %s)" % (unknown, "+".join(KINDS)))
            out["kinds"] = kinds
        elif name == "first":
            out["first"] = [k for k in value.split("+") if k]
        elif name == "match":
            try:
                out["match"] = re.compile(value)
            except re.error as e:
                raise ValueError("match: bad regular expression %r: %s" % (value, e))
        elif name in ("rate", "retry_after"):
            out[name] = float(value)
            if not 0.0 <= out[name] <= 1.0:
                raise ValueError("%s must be between 0 and 1" % name)
        else:
            out[name] = int(value)
            if out[name] < 0:
                raise ValueError("%s must be >= 0" % name)
    return out


class Faults:
    """Thread-safe fault decisions and the request log."""

    def __init__(self, spec, seed, log_path):
        self.spec = spec
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.seq = 0
        self.injected = 0
        self.first = set(spec["first"])
        self.streaks = {}
        self.log_file = open(log_path, "a", buffering=1) if log_path else None

    def decide(self, method, op, target, body):
        """(sequence number, fault kind or None, send Retry-After: 0?)."""
        key = hashlib.sha1(method.encode() + b" " + target.encode() + b"\n" + body).digest()
        with self.lock:
            self.seq += 1
            # Draw the same number of values for every request, so one
            # request's outcome does not shift the decisions of the next.
            u, ra = self.rng.random(), self.rng.random()
            streak = self.streaks.get(key, 0)
            eligible = not self.spec["match"] or self.spec["match"].search(method + " " + target)
            fault = eligible and u < self.spec["rate"]
            names = self.first & {method, op} if eligible else set()
            if names:
                self.first.discard(min(names))  # one name per request: each gets its own
                fault = True
            if fault and self.spec["streak"] and streak >= self.spec["streak"]:
                fault = False
            if not fault:
                self.streaks.pop(key, None)
                return self.seq, None, False
            self.streaks[key] = streak + 1
            kind = self.spec["kinds"][self.injected % len(self.spec["kinds"])]
            self.injected += 1
            return self.seq, kind, ra < self.spec["retry_after"]

    def log(self, line):
        if self.log_file:
            with self.lock:
                self.log_file.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "fault_proxy"

    def log_message(self, fmt, *args):  # the request log is ours
        pass

    def setup(self):
        super().setup()
        self.upstream = None

    def finish(self):
        try:
            super().finish()
        finally:
            if self.upstream:
                self.upstream.close()

    # -- reading the request

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks), True
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return (self.rfile.read(length) if length else b""), False

    # -- answering

    def send_raw(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def close_now(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def answer(self, status, reason, headers, body, head_only=False):
        """A complete response: status line, headers (name, value) and body."""
        out = ["HTTP/1.1 %d %s\r\n" % (status, reason)]
        for name, value in headers:
            out.append("%s: %s\r\n" % (name, value))
        out.append("\r\n")
        self.send_raw("".join(out).encode("latin-1") + (b"" if head_only else body))

    def inject(self, kind, retry_after, is_json, head_only):
        if kind == "slowdown":
            status, reason, ctype, body, extra = 503, "Slow Down", "application/xml", S3_SLOWDOWN, []
        elif kind == "throttle":
            status, reason, ctype, body = 400, "Bad Request", DDB_JSON, DDB_THROTTLE
            extra = [("x-amzn-ErrorType", "ThrottlingException")]
        elif kind == "throughput":
            status, reason, ctype, body = 400, "Bad Request", DDB_JSON, DDB_THROUGHPUT
            extra = [("x-amzn-ErrorType", "ProvisionedThroughputExceededException")]
        elif is_json:
            status, reason, ctype, body = 500, "Internal Server Error", DDB_JSON, DDB_INTERNAL
            extra = [("x-amzn-ErrorType", "InternalServerError")]
        else:
            status, reason, ctype, body, extra = 500, "Internal Server Error", "application/xml", S3_INTERNAL, []
        headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), ("x-amzn-RequestId", "FAULTPROXY")]
        headers += extra
        if retry_after:
            headers.append(("Retry-After", "0"))
        self.answer(status, reason, headers, body, head_only)
        return status

    def forward(self, body, chunked):
        """Send the request upstream (one reconnect if a kept-alive upstream
        connection went stale); returns the http.client response, read."""
        up = self.server.upstream
        for attempt in (1, 2):
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=120)
            conn = self.upstream
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    conn.putheader(name, value)
                if chunked:
                    conn.endheaders()
                    if body:
                        conn.send(b"%x\r\n%s\r\n" % (len(body), body))
                    conn.send(b"0\r\n\r\n")
                else:
                    conn.endheaders(body if body else None)
                resp = conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    conn.close()
                    self.upstream = None
                return resp, data
            except (http.client.HTTPException, OSError):
                conn.close()
                self.upstream = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def proxy(self):
        body, chunked = self.read_body()
        method, target = self.command, self.path
        head_only = method == "HEAD"
        faults = self.server.faults
        op = self.headers.get("X-Amz-Target", "").rpartition(".")[2] or "-"
        seq, kind, retry_after = faults.decide(method, op, target, body)
        line = "%d %s %s %s %s" % (seq, kind or "forward", method, target, op)
        if kind == "drop":
            self.close_now()
            faults.log(line + " - dropped before forwarding")
            return
        if kind and kind != "cut":
            status = self.inject(kind, retry_after, "X-Amz-Target" in self.headers, head_only)
            faults.log(line + " %d%s" % (status, " Retry-After: 0" if retry_after else ""))
            return
        try:
            resp, data = self.forward(body, chunked)
        except (http.client.HTTPException, OSError) as e:
            msg = ("upstream %s: %s" % (self.server.upstream.netloc, e)).encode()
            self.answer(502, "Bad Gateway", [("Content-Type", "text/plain"), ("Content-Length", str(len(msg)))], msg)
            faults.log("%d error %s %s %s 502 %s" % (seq, method, target, op, e))
            return
        headers = [(n, v) for n, v in resp.getheaders() if n.lower() not in HOP_BY_HOP]
        if not head_only and resp.status not in (204, 304) and resp.status >= 200:
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            headers.append(("Content-Length", str(len(data))))
        if kind == "cut":
            if len(data) >= 2 and not head_only:
                head = ["HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)]
                head += ["%s: %s\r\n" % (n, v) for n, v in headers] + ["\r\n"]
                self.send_raw("".join(head).encode("latin-1") + data[: len(data) // 2])
                note = "body cut after %d of %d bytes" % (len(data) // 2, len(data))
            else:
                block = "HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)
                block += "".join("%s: %s\r\n" % (n, v) for n, v in headers)
                self.send_raw(block.encode("latin-1")[: len(block) // 2])
                note = "header block cut in half (empty body)"
            self.close_now()
            faults.log(line + " %d %s" % (resp.status, note))
            return
        self.answer(resp.status, resp.reason, headers, data, head_only)
        faults.log(line + " %d" % resp.status)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # never let one request take the proxy down
            self.server.faults.log("# exception: %r" % (e,))
            self.close_connection = True

    def __getattr__(self, name):
        if name.startswith("do_"):  # every method, including ones http.server does not name
            return self.proxy
        raise AttributeError(name)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        self.faults.log("# error serving %s: %r" % (client_address, sys.exc_info()[1]))


def serve(args):
    up = urllib.parse.urlsplit(args.upstream)
    if up.scheme != "http" or not up.hostname:
        sys.exit("upstream must be http://HOST:PORT, got %r" % args.upstream)
    try:
        spec = parse_spec(args.faults)
    except ValueError as e:
        sys.exit(str(e))
    try:
        server = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        sys.exit("cannot listen on 127.0.0.1:%d: %s" % (args.port, e))
    server.upstream = up
    server.faults = Faults(spec, args.seed, args.log)
    server.faults.log("# fault_proxy pid %d: 127.0.0.1:%d -> %s, faults \"%s\", seed %d"
                      % (os.getpid(), args.port, args.upstream, args.faults, args.seed))
    if args.ready_fd is not None:
        os.write(args.ready_fd, b"ready\n")
        os.close(args.ready_fd)
        # start's end of our stderr closes when it exits: write nowhere from now on
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


def start(args):
    if not 1024 <= args.port < 32768:
        sys.exit("PORT must be in 1024..32767 (32768-60999 are the kernel's ephemeral ports)")
    try:
        parse_spec(args.faults)
    except ValueError as e:
        sys.exit(str(e))
    r, w = os.pipe()
    cmd = [sys.executable, os.path.abspath(__file__), "serve", str(args.port), args.upstream,
           "--faults", args.faults or "", "--seed", str(args.seed), "--ready-fd", str(w)]
    if args.log:
        cmd += ["--log", os.path.abspath(args.log)]
    err = subprocess.PIPE
    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                             pass_fds=(w,), start_new_session=True, close_fds=True)
    os.close(w)
    ready = os.read(r, 16)  # EOF (b"") when the child exits before binding
    os.close(r)
    if ready != b"ready\n":
        child.wait(timeout=10)
        sys.stderr.write(child.stderr.read().decode(errors="replace"))
        sys.exit(1)
    child.stderr.close()  # from here the child's stderr goes nowhere
    print(child.pid)


def stop(args):
    pid = args.pid
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read().split(b"\0")
    except OSError:
        return  # already gone
    if not any(a.endswith(b"fault_proxy.py") for a in cmdline) or b"serve" not in cmdline:
        sys.exit("process %d is not a fault_proxy.py server; not stopping it" % pid)
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def alive(pid):
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def main():
    p = argparse.ArgumentParser(description="Test fault injector between sluice and a test server.")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("start", "serve"):
        s = sub.add_parser(name)
        s.add_argument("port", type=int)
        s.add_argument("upstream")
        s.add_argument("--faults", default="")
        s.add_argument("--seed", type=int, default=1)
        s.add_argument("--log")
        if name == "serve":
            s.add_argument("--ready-fd", type=int)
    s = sub.add_parser("stop")
    s.add_argument("pid", type=int)
    args = p.parse_args()
    {"start": start, "serve": serve, "stop": stop}[args.cmd](args)


if __name__ == "__main__":
    main()
