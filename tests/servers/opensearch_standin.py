#!/usr/bin/env python3
"""opensearch_standin.py — a TEST DOUBLE of documented OpenSearch REST behaviour. It is NOT OpenSearch.

No server speaking the OpenSearch REST API can be installed from this machine's package
registries, so sluice's write_opensearch target (src/connectors/opensearch.c) is tested against
this stand-in. It implements only what the target and its tests use, and each behaviour is taken
from the OpenSearch API specification's own request/response test stories and schemas, copied
into tests/data/opensearch-api-spec/ (Apache-2.0, see LICENSE.txt there). Every handler below
names the story or schema it follows ("story: indices/bulk.yaml" = tests/data/opensearch-api-
spec/tests/default/indices/bulk.yaml). Where the stories say nothing (per-item errors, 413, 429,
the text of error reasons) the stand-in follows the ErrorCause / ResponseItem schemas
(spec/schemas/_common.yaml, _core.bulk.yaml) and OpenSearch's documented messages; those places
say so.

Deliberate simplifications (a real cluster differs):
  - one shard, no replicas, no periodic refresh: documents become visible to _search/_count only
    after a refresh (POST /_refresh, ?refresh=true on _bulk) — like index.refresh_interval: -1;
    GET /<index>/_doc/<id> is real-time, as in OpenSearch;
  - analysis is lower-cased \\w+ tokens; scores are term counts; only the query types listed in
    Search below exist;
  - a request body over max_content_length is read and answered 413 (OpenSearch's HTTP layer may
    close the connection instead).

Usage
  opensearch_standin.py start PORT [OPTIONS]   start in the background, print the PID once the port answers
  opensearch_standin.py stop PID               stop that process (and only if it is a stand-in)
  opensearch_standin.py serve PORT [OPTIONS]   run in the foreground
OPTIONS
  --user NAME:PASSWORD      require HTTP basic auth (repeatable); without it no auth
  --reject-rate R           refuse this fraction of _bulk items with 429 es_rejected_execution_exception,
                            deterministically: item n (counted over the server's life) is refused when
                            floor(n*R) > floor((n-1)*R), so R=0.2 refuses every 5th item
  --fail-every N            answer every Nth _bulk request as a whole with --fail-status (nothing applied)
  --fail-status S           429 (default) or 503
  --drop-every N            apply every Nth _bulk request, then close the connection without an answer
  --max-content-length B    request bodies over B bytes (also after gunzip) get 413 (default 104857600,
                            OpenSearch's http.max_content_length)
  --log FILE                request log (default: none)
  --tls DIR                 serve https with DIR/server.pem + DIR/server.key and REQUIRE a client
                            certificate signed by DIR/ca.pem (TLS client authentication)
PORT must be below 32768. The server binds 127.0.0.1 only.

Control endpoints (no auth): GET /_standin/stats, POST /_standin/config with a JSON object of
the options above (reject_rate, fail_every, fail_status, drop_every, max_content_length),
POST /_standin/reset (drop every index and counter).
"""
import base64
import fnmatch
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

VERSION = "2.19.0"  # what GET / reports; stories gated on versions compare against it
INT_TYPES = {"long": 2**63, "integer": 2**31, "short": 2**15, "byte": 2**7}
FLOAT_TYPES = {"float", "double", "half_float", "scaled_float"}
TEXT_TYPES = {"text", "match_only_text"}
STRING_TYPES = {"keyword", "text", "match_only_text", "wildcard", "constant_keyword"}
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
                     r"(Z|[+-]\d{2}(?::?\d{2})?)?$")


class ApiError(Exception):
    """An error answer: ErrorResponseBase {"error": ErrorCause, "status"} (spec/schemas/_common.yaml)."""

    def __init__(self, status, etype, reason, **extra):
        super().__init__(reason)
        self.status, self.etype, self.reason, self.extra = status, etype, reason, extra

    def cause(self):
        c = {"type": self.etype, "reason": self.reason}
        c.update(self.extra)
        return c

    def body(self):
        c = self.cause()
        root = {k: v for k, v in c.items() if k != "caused_by"}
        return {"error": dict(c, root_cause=[root]), "status": self.status}


# ---------------------------------------------------------------- index names, dates, analysis

def check_index_name(name):
    """Raise invalid_index_name_exception for names OpenSearch refuses (its documented rules)."""
    why = None
    if not name:
        why = "must not be empty"
    elif name != name.lower():
        why = "must be lowercase"
    elif name in (".", ".."):
        why = "must not be '.' or '..'"
    elif name[0] in "-_+":
        why = "must not start with '_', '-', or '+'"
    elif len(name.encode()) > 255:
        why = "index name is too long, (%d > 255)" % len(name.encode())
    elif any(c in name for c in '\\/*?"<>| ,#:'):
        why = 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?, :, #]'
    if why:
        raise ApiError(400, "invalid_index_name_exception", "Invalid index name [%s], %s" % (name, why),
                       index=name, index_uuid="_na_")


def parse_date_millis(v):
    """Epoch milliseconds of a date value (format strict_date_optional_time||epoch_millis), else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v)
    if not isinstance(v, str):
        return None
    if re.fullmatch(r"-?\d{1,19}", v):
        return int(v)
    m = DATE_RE.match(v)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    try:
        import datetime
        dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                               tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    ms = int(dt.timestamp() * 1000) + (int((frac or "0")[:3].ljust(3, "0")) if frac else 0)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        off = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0)
        ms -= sign * off * 60000
    return ms


def date_math(v):
    """Range bounds: a date, epoch millis, or now[+-]N[smhdwMy]."""
    if isinstance(v, str) and v.startswith("now"):
        t = int(time.time() * 1000)
        units = {"s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000, "M": 2592000000,
                 "y": 31536000000}
        for sign, n, u in re.findall(r"([+-])(\d+)([smhdwMy])", v[3:]):
            t += (1 if sign == "+" else -1) * int(n) * units[u]
        return t
    return parse_date_millis(v)


def tokens(text):
    return re.findall(r"\w+", str(text).lower())


# ---------------------------------------------------------------- mappings
# story: indices/index.yaml (PUT with mappings.properties), indices/mapping/mapping.yaml (dynamic true,
# false, strict), indices/mapping/field.yaml (field mappings).

def dynamic_mapping(value):
    """Mapping OpenSearch's dynamic mapping gives a new field (documented defaults: long, float,
    boolean, date by date_detection, text with a keyword sub-field, object)."""
    if isinstance(value, list):
        for v in value:
            if v is not None:
                return dynamic_mapping(v)
        return None
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if isinstance(value, dict):
        return {"properties": {}}
    if isinstance(value, str) and DATE_RE.match(value) and parse_date_millis(value) is not None:
        return {"type": "date"}
    return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}


def is_object_mapping(m):
    return m.get("type", "object") in ("object", "nested") and ("properties" in m or "type" in m)


def dynamic_of(m, inherited):
    d = m.get("dynamic", inherited)
    return str(d).lower() if d is not None else inherited


def preview(v):
    if isinstance(v, dict):
        return "{" + ", ".join("%s=%s" % (k, preview(x)) for k, x in v.items()) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def check_value(path, ftype, v, doc_id):
    """Can a value go into a field of this type? Raises mapper_parsing_exception as OpenSearch does:
    'failed to parse field [f] of type [t] in document with id 'i'. Preview of field's value: 'v''."""
    def fail(cause_type, cause_reason):
        raise ApiError(400, "mapper_parsing_exception",
                       "failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's "
                       "value: '%s'" % (path, ftype, doc_id, preview(v)),
                       caused_by={"type": cause_type, "reason": cause_reason})
    if v is None:
        return
    if isinstance(v, dict) and ftype not in ("object", "nested", "flat_object"):
        fail("illegal_state_exception", "Can't get text on a START_OBJECT")
    if ftype in INT_TYPES:
        if isinstance(v, bool):
            fail("illegal_argument_exception", "Current token (VALUE_%s) not numeric" % str(v).upper())
        if isinstance(v, str):
            try:
                n = float(v) if re.fullmatch(r"\s*-?\d+(\.\d*)?([eE][+-]?\d+)?\s*", v) else None
            except ValueError:
                n = None
            if n is None:
                fail("number_format_exception", 'For input string: "%s"' % v)
            v2 = int(n)
        else:
            v2 = int(v)
        lim = INT_TYPES[ftype]
        if not -lim <= v2 < lim:
            fail("illegal_argument_exception", "Value [%s] is out of range for %s" % (v, ftype))
    elif ftype in FLOAT_TYPES:
        if isinstance(v, bool):
            fail("illegal_argument_exception", "Current token (VALUE_%s) not numeric" % str(v).upper())
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                fail("number_format_exception", 'For input string: "%s"' % v)
    elif ftype == "boolean":
        if not (isinstance(v, bool) or v in ("true", "false", "")):
            fail("illegal_argument_exception",
                 "Failed to parse value [%s] as only [true] or [false] are allowed." % preview(v))
    elif ftype == "date":
        if isinstance(v, bool) or parse_date_millis(v) is None:
            fail("illegal_argument_exception",
                 "failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]"
                 % preview(v))


def apply_mapping(mapping, source, doc_id):
    """Check a document against an index mapping and add the dynamic fields it brings (only once
    the whole document passed: a rejected document leaves the mapping as it was). Raises ApiError."""
    additions = []  # (owner mapping, field name, new field mapping)

    def walk(owner, obj, prefix, parent_name, dynamic):
        props = owner.get("properties", {})
        for name, v in obj.items():
            path = prefix + name
            m = props.get(name)
            if m is None:
                if v is None or (isinstance(v, list) and all(x is None for x in v)):
                    continue
                if dynamic == "strict":
                    # OpenSearch: StrictDynamicMappingException
                    raise ApiError(400, "strict_dynamic_mapping_exception",
                                   "mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed"
                                   % (name, parent_name))
                if dynamic == "false":
                    continue  # kept in _source, not indexed
                m = dynamic_mapping(v)
                if m is None:
                    continue
                additions.append((owner, name, m))  # m is new: walking into it may fill it
            for x in (v if isinstance(v, list) else [v]):
                if "properties" in m or m.get("type") in ("object", "nested"):
                    if x is None:
                        continue
                    if not isinstance(x, dict):
                        raise ApiError(400, "mapper_parsing_exception",
                                       "object mapping for [%s] tried to parse field [%s] as object, but found a "
                                       "concrete value" % (path, name))
                    walk(m, x, path + ".", name, dynamic_of(m, dynamic))
                else:
                    check_value(path, m.get("type", "object"), x, doc_id)

    walk(mapping, source, "", "_doc", dynamic_of(mapping, "true"))
    for owner, name, m in additions:
        owner.setdefault("properties", {})[name] = m
    return mapping


def field_mapping(mapping, path):
    """(type, is_keyword_subfield) of a dotted path, or (None, False)."""
    props = mapping.get("properties", {})
    parts = path.split(".")
    m = None
    for i, p in enumerate(parts):
        m = props.get(p)
        if m is None:
            return None, False
        if i + 1 < len(parts) and "properties" not in m and "fields" in m:
            sub = m["fields"].get(".".join(parts[i + 1:]))
            return (sub.get("type"), True) if sub else (None, False)
        props = m.get("properties", {})
    return (m.get("type", "object") if m else None), False


def field_values(source, path, mapping):
    """Values of a dotted path in a document (arrays flattened); a multi-field path such as
    service_name.keyword reads service_name."""
    ftype, sub = field_mapping(mapping, path)
    parts = path.split(".")
    if sub:
        for i in range(len(parts) - 1, 0, -1):
            t, _ = field_mapping(mapping, ".".join(parts[:i]))
            if t and t != "object":
                parts = parts[:i]
                break
    cur = [source]
    for p in parts:
        nxt = []
        for c in cur:
            if isinstance(c, dict) and p in c:
                v = c[p]
                nxt.extend(v if isinstance(v, list) else [v])
        cur = nxt
    return [v for v in cur if v is not None], ftype


# ---------------------------------------------------------------- search
# story: _core/search.yaml, indices/search.yaml (match_all), indices/count.yaml (term on a number).
# Queries: match_all, match_none, match, match_phrase, term, terms, range, exists, ids, bool.

def as_number(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def value_equal(ftype, a, b):
    if ftype == "date":
        return parse_date_millis(a) is not None and parse_date_millis(a) == parse_date_millis(b)
    if ftype in INT_TYPES or ftype in FLOAT_TYPES:
        x, y = as_number(a), as_number(b)
        return x is not None and x == y
    if ftype == "boolean":
        return str(a).lower() == str(b).lower()
    return preview(a) == preview(b)


def eval_query(q, doc_id, source, mapping):
    """Score (> 0 or 0.0 for filter-only matches) or None when the document does not match."""
    if not isinstance(q, dict) or len(q) != 1:
        raise ApiError(400, "parsing_exception", "query must be an object with exactly one query type")
    (qtype, body), = q.items()
    if qtype == "match_all":
        return 1.0
    if qtype == "match_none":
        return None
    if qtype == "bool":
        score, must_seen = 0.0, False
        for clause in ("must", "filter"):
            for sub in listify(body.get(clause)):
                s = eval_query(sub, doc_id, source, mapping)
                if s is None:
                    return None
                must_seen = True
                if clause == "must":
                    score += s
        for sub in listify(body.get("must_not")):
            if eval_query(sub, doc_id, source, mapping) is not None:
                return None
        shoulds = listify(body.get("should"))
        msm = body.get("minimum_should_match", 0 if must_seen else 1 if shoulds else 0)
        matched = 0
        for sub in shoulds:
            s = eval_query(sub, doc_id, source, mapping)
            if s is not None:
                matched += 1
                score += s
        if matched < int(msm):
            return None
        return score if score > 0 else 1.0 if not must_seen else 0.0
    if qtype == "ids":
        return 1.0 if doc_id in body.get("values", []) else None
    if not isinstance(body, dict) or len(body) < 1:
        raise ApiError(400, "parsing_exception", "[%s] query malformed, no field" % qtype)
    field, arg = next(iter(body.items()))
    values, ftype = field_values(source, field, mapping)
    if qtype == "exists":
        values, _ = field_values(source, body.get("field", ""), mapping)
        return 1.0 if values else None
    if qtype in ("term", "terms"):
        wanted = listify(arg.get("value") if isinstance(arg, dict) else arg)
        for v in values:
            for w in wanted:
                if ftype in TEXT_TYPES:
                    if str(w) in tokens(v):  # term queries are not analysed; text fields are
                        return 1.0
                elif value_equal(ftype, v, w):
                    return 1.0
        return None
    if qtype in ("match", "match_phrase"):
        text = arg.get("query") if isinstance(arg, dict) else arg
        operator = (arg.get("operator", "or") if isinstance(arg, dict) else "or").lower()
        if ftype not in TEXT_TYPES and ftype is not None:
            return 1.0 if any(value_equal(ftype, v, text) for v in values) else None
        want = tokens(text)
        score = 0.0
        if qtype == "match_phrase":
            for v in values:
                have = tokens(v)
                n = len(want)
                if n and any(have[i:i + n] == want for i in range(len(have) - n + 1)):
                    return float(n)
            return None
        have = [t for v in values for t in tokens(v)]
        hits = [w for w in want if w in have]
        if not hits or (operator == "and" and len(set(hits)) < len(set(want))):
            return None
        for w in hits:
            score += have.count(w)
        return score
    if qtype == "range":
        for v in values:
            x = parse_date_millis(v) if ftype == "date" else as_number(v) if ftype not in STRING_TYPES else v
            if x is None:
                continue
            ok = True
            for op, bound in arg.items():
                if op not in ("gt", "gte", "lt", "lte"):
                    continue
                b = date_math(bound) if ftype == "date" else as_number(bound) if ftype not in STRING_TYPES \
                    else bound
                if b is None:
                    raise ApiError(400, "parse_exception", "failed to parse range bound [%s]" % bound)
                ok = ok and {"gt": x > b, "gte": x >= b, "lt": x < b, "lte": x <= b}[op]
            if ok:
                return 1.0
        return None
    raise ApiError(400, "parsing_exception", "unknown query [%s]" % qtype)


def listify(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


# ---------------------------------------------------------------- filter_path
# OpenSearch's common `filter_path` parameter (comma list of dotted patterns with * wildcards);
# objects and array elements left empty are dropped.

def filter_path(obj, patterns):
    pats = tuple(tuple(p.split(".")) for p in patterns.split(",") if p)

    def keep(o, ps):
        for p in ps:
            if not p:
                return o
        if isinstance(o, list):
            out = [keep(x, ps) for x in o]
            return [x for x in out if x is not None and x != {} and x != []] or None
        if not isinstance(o, dict):
            return None
        subs = {}  # key -> remaining patterns, in the object's key order
        for p in ps:
            head = p[0]
            if "*" in head:
                keys = [k for k in o if head == "*" or fnmatch.fnmatchcase(k, head)]
            else:
                keys = [head] if head in o else []
            for k in keys:
                subs.setdefault(k, []).append(p[1:])
        out = {}
        for k in o:
            if k in subs:
                r = keep(o[k], subs[k])
                if r is not None and r != {} and r != []:
                    out[k] = r
        return out

    return keep(obj, pats) or {}


# ---------------------------------------------------------------- the cluster

class Index:
    def __init__(self, name, settings=None, mappings=None):
        self.name = name
        self.uuid = uuid.uuid4().hex[:22]
        self.settings = settings or {}
        self.mappings = mappings or {}
        self.docs = {}      # id -> {"_source", "_version", "_seq_no"}
        self.visible = {}   # what search sees: a copy taken at the last refresh
        self.seq_no = 0

    def refresh(self):
        self.visible = dict(self.docs)


class Cluster:
    def __init__(self, opts):
        self.lock = threading.RLock()
        self.opts = opts
        self.reset()

    def reset(self):
        self.indices = {}
        self.stats = {"bulk_requests": 0, "bulk_items": 0, "items_rejected_429": 0, "items_ok": 0,
                      "items_failed": 0, "gzip_requests": 0, "requests_failed_injected": 0,
                      "requests_dropped": 0, "requests_413": 0, "requests_401": 0, "max_request_bytes": 0,
                      "bulk_seconds": 0.0}
        self.item_counter = 0

    def resolve(self, expr, must_exist=True):
        """Index names for an expression: comma list, wildcards, _all (story: epilogues DELETE /books,movies)."""
        names = []
        for part in (expr or "_all").split(","):
            if part in ("_all", "*", ""):
                names.extend(sorted(self.indices))
            elif any(c in part for c in "*?"):
                names.extend(sorted(n for n in self.indices if fnmatch.fnmatchcase(n, part)))
            elif part in self.indices:
                names.append(part)
            elif must_exist:
                raise ApiError(404, "index_not_found_exception", "no such index [%s]" % part, index=part,
                               **{"resource.id": part, "resource.type": "index_or_alias", "index_uuid": "_na_"})
        return list(dict.fromkeys(names))

    def create_index(self, name, body):
        """story: indices/index.yaml — PUT /{index} with settings and mappings → acknowledged."""
        check_index_name(name)
        if name in self.indices:
            i = self.indices[name]
            raise ApiError(400, "resource_already_exists_exception",
                           "index [%s/%s] already exists" % (name, i.uuid), index=name, index_uuid=i.uuid)
        body = body or {}
        mappings = body.get("mappings") or {}
        if "dynamic" in mappings:
            mappings["dynamic"] = str(mappings["dynamic"]).lower()
        self.indices[name] = Index(name, body.get("settings"), mappings)
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def next_rejected(self):
        rate = float(self.opts.get("reject_rate") or 0)
        self.item_counter += 1
        n = self.item_counter
        return rate > 0 and math.floor(n * rate) > math.floor((n - 1) * rate)

    # ---- _bulk: story _core/bulk.yaml, indices/bulk.yaml; response schema BulkResponse/ResponseItem
    def bulk(self, default_index, body, refresh):
        if not body.endswith(b"\n"):
            raise ApiError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
        lines = [l for l in body.split(b"\n") if l.strip()]
        ops, i = [], 0
        while i < len(lines):
            try:
                action = json.loads(lines[i])
            except ValueError as e:
                raise ApiError(400, "illegal_argument_exception",
                               "Malformed action/metadata line [%d], expected START_OBJECT: %s" % (i + 1, e))
            if not isinstance(action, dict) or len(action) != 1:
                raise ApiError(400, "illegal_argument_exception",
                               "Malformed action/metadata line [%d], expected a single action" % (i + 1))
            (op, meta), = action.items()
            if op not in ("index", "create", "update", "delete"):
                raise ApiError(400, "illegal_argument_exception",
                               "Malformed action/metadata line [%d], expected field [create], [delete], [index] or "
                               "[update] but found [%s]" % (i + 1, op))
            meta = meta or {}
            index = meta.get("_index", default_index)
            if not index:
                raise ApiError(400, "action_request_validation_exception", "Validation Failed: 1: index is missing;")
            doc_id = meta.get("_id")
            if doc_id is not None and len(str(doc_id).encode()) > 512:
                raise ApiError(400, "action_request_validation_exception",
                               "Validation Failed: 1: id [%s] is too long, must be no longer than 512 bytes but was: "
                               "%d;" % (doc_id, len(str(doc_id).encode())))
            source = None
            if op != "delete":
                i += 1
                if i >= len(lines):
                    raise ApiError(400, "illegal_argument_exception",
                                   "The bulk request must be terminated by a newline [\\n]")
                source = lines[i]
            ops.append((op, index, None if doc_id is None else str(doc_id), source))
            i += 1
        if not ops:
            raise ApiError(400, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
        t0 = time.time()
        items, touched = [], set()
        for op, index, doc_id, source in ops:
            self.stats["bulk_items"] += 1
            try:
                if self.next_rejected():
                    # OpenSearch answers a full write queue per item with 429 and this error type
                    self.stats["items_rejected_429"] += 1
                    raise ApiError(429, "es_rejected_execution_exception",
                                   "rejected execution of primary operation [shard_id=[%s][0]] on "
                                   "OpenSearchThreadPoolExecutor[name = standin/write, queue capacity = 10000] "
                                   "(injected by the stand-in)" % index)
                result = self.apply(op, index, doc_id, source)
                touched.add(index)
                self.stats["items_ok"] += 1
                items.append({op: result})
            except ApiError as e:
                if e.status != 429:
                    self.stats["items_failed"] += 1
                item = {"_index": index, "_id": doc_id, "status": e.status, "error": e.cause()}
                items.append({op: item})
        if refresh in ("", "true", "wait_for"):
            for n in touched:
                if n in self.indices:
                    self.indices[n].refresh()
        return {"took": int((time.time() - t0) * 1000), "errors": any("error" in next(iter(x.values()))
                                                                      for x in items), "items": items}

    def apply(self, op, index, doc_id, source_line):
        check_index_name(index)
        if index not in self.indices:
            self.create_index(index, None)  # auto-create, dynamic mapping (action.auto_create_index: true)
        idx = self.indices[index]
        if op == "delete":
            # story: _core/bulk.yaml — delete of a missing id: status 404, result not_found, no error
            if doc_id in idx.docs:
                d = idx.docs.pop(doc_id)
                return self.item(idx, doc_id, d["_version"] + 1, "deleted", 200)
            return self.item(idx, doc_id, 1, "not_found", 404)
        try:
            source = json.loads(source_line)
        except ValueError as e:
            raise ApiError(400, "mapper_parsing_exception", "failed to parse",
                           caused_by={"type": "json_parse_exception", "reason": str(e)})
        if not isinstance(source, dict):
            raise ApiError(400, "mapper_parsing_exception", "failed to parse, document is empty")
        if doc_id is None:
            if op == "update":
                raise ApiError(400, "action_request_validation_exception", "Validation Failed: 1: id is missing;")
            doc_id = base64.urlsafe_b64encode(uuid.uuid4().bytes)[:20].decode()
        old = idx.docs.get(doc_id)
        if op == "update":
            if "script" in source:
                raise ApiError(400, "illegal_argument_exception", "scripts are not supported by the stand-in")
            if old is None:
                if source.get("doc_as_upsert") and "doc" in source:
                    new_source = source["doc"]
                elif "upsert" in source:
                    new_source = source["upsert"]
                else:
                    raise ApiError(404, "document_missing_exception", "[%s]: document missing" % doc_id,
                                   shard="0", index=index, index_uuid=idx.uuid)
            else:
                new_source = merge(old["_source"], source.get("doc", {}))
            source = new_source
        if op == "create" and old is not None:
            # OpenSearch: VersionConflictEngineException, 409 on create of an existing id
            raise ApiError(409, "version_conflict_engine_exception",
                           "[%s]: version conflict, document already exists (current version [%d])"
                           % (doc_id, old["_version"]), index=index, shard="0", index_uuid=idx.uuid)
        apply_mapping(idx.mappings, source, doc_id)
        version = old["_version"] + 1 if old else 1
        idx.seq_no += 1
        idx.docs[doc_id] = {"_source": source, "_version": version, "_seq_no": idx.seq_no}
        created = old is None
        return self.item(idx, doc_id, version, "created" if created else "updated", 201 if created else 200)

    @staticmethod
    def item(idx, doc_id, version, result, status):
        """ResponseItem (spec/schemas/_core.bulk.yaml)."""
        return {"_index": idx.name, "_id": doc_id, "_version": version, "result": result,
                "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": idx.seq_no,
                "_primary_term": 1, "status": status}

    # ---- _search / _count: stories _core/search.yaml, indices/search.yaml, indices/count.yaml
    def matches(self, expr, body):
        query = (body or {}).get("query") or {"match_all": {}}
        out = []
        for name in self.resolve(expr, must_exist=True):
            idx = self.indices[name]
            for doc_id, d in idx.visible.items():
                s = eval_query(query, doc_id, d["_source"], idx.mappings)
                if s is not None:
                    out.append((s, idx, doc_id, d))
        return out

    def search(self, expr, body, params):
        body = body or {}
        t0 = time.time()
        hits = self.matches(expr, body)
        sort = listify(body.get("sort") or params.get("sort"))
        keys = []
        for spec in sort:
            if isinstance(spec, str):
                field, order = (spec.split(":") + ["asc" if spec != "_score" else "desc"])[:2]
            else:
                (field, o), = spec.items()
                order = o.get("order", "asc") if isinstance(o, dict) else o
            keys.append((field, order))
        for field, _ in keys:
            for _, idx, _, _ in hits:
                ftype, _ = field_mapping(idx.mappings, field)
                if ftype in TEXT_TYPES:
                    raise ApiError(400, "illegal_argument_exception",
                                   "Text fields are not optimised for operations that require per-document field "
                                   "data like aggregations and sorting, so these operations are disabled by "
                                   "default. Please use a keyword field instead. [%s]" % field)
        sort_values = {}

        def sort_value(h, field):
            s, idx, doc_id, d = h
            if field == "_score":
                return s
            if field in ("_id", "_doc"):
                return doc_id
            vals, ftype = field_values(d["_source"], field, idx.mappings)
            if not vals:
                return None
            v = vals[0]
            return parse_date_millis(v) if ftype == "date" else v

        if keys:
            for field, order in reversed(keys):
                present = [h for h in hits if sort_value(h, field) is not None]
                missing = [h for h in hits if sort_value(h, field) is None]
                present.sort(key=lambda h: sort_value(h, field), reverse=(order == "desc"))
                hits = present + missing  # missing values last, either order (OpenSearch's default)
            for h in hits:
                sort_values[id(h)] = [sort_value(h, f) for f, _ in keys]
        else:
            hits.sort(key=lambda h: -h[0])
        size = int(body.get("size", params.get("size", 10)))
        start = int(body.get("from", params.get("from", 0)))
        page = hits[start:start + size]
        src_filter = body.get("_source", True)
        out = []
        for h in page:
            s, idx, doc_id, d = h
            hit = {"_index": idx.name, "_id": doc_id, "_score": None if keys else s}
            if body.get("version"):
                hit["_version"] = d["_version"]
            if src_filter is not False:
                src = d["_source"]
                if isinstance(src_filter, (list, str)):
                    inc = listify(src_filter)
                    src = {k: v for k, v in src.items() if any(fnmatch.fnmatchcase(k, p) for p in inc)}
                hit["_source"] = src
            if keys:
                hit["sort"] = sort_values[id(h)]
            out.append(hit)
        return {"took": int((time.time() - t0) * 1000), "timed_out": False,
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                "hits": {"total": {"value": len(hits), "relation": "eq"},
                         "max_score": None if keys else max((h[0] for h in hits), default=None), "hits": out}}

    def count(self, expr, body):
        return {"count": len(self.matches(expr, body)),
                "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}


def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "opensearch-standin"

    def log_message(self, fmt, *args):
        log = self.server.log
        if log:
            with self.server.log_lock:
                log.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))
                log.flush()

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def read_body(self):
        """The request body, or None when it is over the limit (then it was read and thrown away)."""
        limit = int(self.server.cluster.opts.get("max_content_length") or 104857600)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            raw = bytes(data)
        else:
            n = int(self.headers.get("Content-Length") or 0)
            if n > limit:
                while n > 0:
                    n -= len(self.rfile.read(min(n, 1 << 20)) or b"x" * n)
                return None
            raw = self.rfile.read(n) if n else b""
        with self.server.cluster.lock:
            st = self.server.cluster.stats
            st["max_request_bytes"] = max(st["max_request_bytes"], len(raw))
        if len(raw) > limit:
            return None
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            with self.server.cluster.lock:
                self.server.cluster.stats["gzip_requests"] += 1
            try:
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out = bytearray()
                data = raw
                while data:  # several gzip members are one body
                    out += d.decompress(data, limit + 1 - len(out))
                    if len(out) > limit:
                        return None
                    data = d.unused_data
                    if data:
                        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                raw = bytes(out)
            except zlib.error as e:
                raise ApiError(400, "illegal_argument_exception", "bad gzip body: %s" % e)
        return raw

    def send(self, status, obj=None, text=None, headers=()):
        if obj is not None:
            data = json.dumps(obj, separators=(",", ":")).encode()
            ctype = "application/json; charset=UTF-8"
        else:
            data = (text or "").encode()
            ctype = "text/plain; charset=UTF-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def authorized(self):
        users = self.server.users
        if not users:
            return True
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            try:
                name, _, password = base64.b64decode(h[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return users.get(name) == password
        return False

    def handle_any(self, method):
        cluster = self.server.cluster
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        parts = [unquote(p) for p in url.path.split("/") if p]
        try:
            body = self.read_body()
            if body is None:
                # 413: the documented answer when a body is over http.max_content_length
                with cluster.lock:
                    cluster.stats["requests_413"] += 1
                self.send(413, text="")
                return
            if parts[:1] == ["_standin"]:
                self.send(200, self.control(method, parts, body))
                return
            if not self.authorized():
                with cluster.lock:
                    cluster.stats["requests_401"] += 1
                # the security plugin's answer to missing or wrong credentials
                self.send(401, text="Unauthorized", headers=[("WWW-Authenticate", 'Basic realm="OpenSearch Security"')])
                return
            status, obj = self.route(method, parts, params, body)
            if obj is not None and params.get("filter_path"):
                obj = filter_path(obj, params["filter_path"])
            if status == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send(status, obj)
        except ApiError as e:
            self.send(e.status, e.body())
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            self.send(400, ApiError(400, "parse_exception", "%s: %s" % (type(e).__name__, e)).body())

    def json_body(self, body):
        if not body or not body.strip():
            return None
        try:
            return json.loads(body)
        except ValueError as e:
            raise ApiError(400, "parse_exception", "request body is not JSON: %s" % e)

    def control(self, method, parts, body):
        cluster = self.server.cluster
        with cluster.lock:
            if parts[1:] == ["config"] and method in ("POST", "PUT"):
                cluster.opts.update(self.json_body(body) or {})
                return {"acknowledged": True, "config": {k: v for k, v in cluster.opts.items()}}
            if parts[1:] == ["reset"]:
                cluster.reset()
                return {"acknowledged": True}
            docs = {n: {"docs": len(i.docs), "visible": len(i.visible)} for n, i in cluster.indices.items()}
            return dict(cluster.stats, indices=docs, config=cluster.opts, cpu_seconds=time.process_time())

    def route(self, method, parts, params, body):
        c = self.server.cluster
        with c.lock:
            if not parts:
                # story: _core/info.yaml — GET / and HEAD /
                return 200, {"name": "standin", "cluster_name": "opensearch-standin", "cluster_uuid": "standin",
                             "version": {"distribution": "opensearch", "number": VERSION, "build_type": "tar",
                                         "lucene_version": "9.12.1", "minimum_wire_compatibility_version": "7.10.0",
                                         "minimum_index_compatibility_version": "7.0.0"},
                             "tagline": "The OpenSearch Project: https://opensearch.org/"}
            head = parts[0]
            if head == "_bulk" and method in ("POST", "PUT"):
                return self.bulk_request(None, body, params)
            if head in ("_refresh",):
                for i in c.indices.values():
                    i.refresh()
                return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
            if head == "_search":
                return 200, c.search(None, self.json_body(body), params)
            if head == "_count":
                return 200, c.count(None, self.json_body(body))
            if head == "_mapping" and method == "GET":
                # story: _core/mapping.yaml
                return 200, {n: {"mappings": i.mappings} for n, i in c.indices.items()}
            if head.startswith("_"):
                raise ApiError(400, "illegal_argument_exception", "unsupported endpoint [%s] (stand-in)" % head)
            expr = head
            if len(parts) == 1:
                return self.index_request(method, expr, body, params)
            op = parts[1]
            if op == "_bulk" and method in ("POST", "PUT"):
                return self.bulk_request(expr, body, params)
            if op == "_refresh" and method in ("GET", "POST"):
                # story: indices/refresh.yaml — refresh an index (GET, POST): _shards.failed 0
                names = c.resolve(expr, must_exist=params.get("ignore_unavailable") != "true")
                for n in names:
                    c.indices[n].refresh()
                return 200, {"_shards": {"total": len(names), "successful": len(names), "failed": 0}}
            if op == "_search" and method in ("GET", "POST"):
                return 200, c.search(expr, self.json_body(body), params)
            if op == "_count" and method in ("GET", "POST"):
                return 200, c.count(expr, self.json_body(body))
            if op == "_mapping":
                return self.mapping_request(method, expr, parts[2:], body)
            if op in ("_doc", "_create"):
                return self.doc_request(method, expr, op, parts[2:], body, params)
            raise ApiError(400, "illegal_argument_exception", "unsupported endpoint [%s] (stand-in)" % op)

    def bulk_request(self, index, body, params):
        c = self.server.cluster
        c.stats["bulk_requests"] += 1
        n = c.stats["bulk_requests"]
        every = int(c.opts.get("fail_every") or 0)
        if every and n % every == 0:
            c.stats["requests_failed_injected"] += 1
            status = int(c.opts.get("fail_status") or 429)
            if status == 429:
                raise ApiError(429, "es_rejected_execution_exception",
                               "rejected execution of coordinating operation (injected by the stand-in)")
            raise ApiError(status, "unavailable_shards_exception", "primary shard is not active (injected by the "
                                                                   "stand-in)")
        t0 = time.time()
        result = c.bulk(index, body, params.get("refresh"))
        c.stats["bulk_seconds"] += time.time() - t0
        drop = int(c.opts.get("drop_every") or 0)
        if drop and n % drop == 0:
            c.stats["requests_dropped"] += 1
            return "drop", None
        return 200, result

    def index_request(self, method, expr, body, params):
        c = self.server.cluster
        if method == "PUT":
            return 200, c.create_index(expr, self.json_body(body))
        if method == "HEAD":
            # story: indices/index.yaml — HEAD answers 200 or 404
            try:
                c.resolve(expr)
                return 200, None
            except ApiError:
                return 404, None
        if method == "GET":
            return 200, {n: {"aliases": {}, "mappings": c.indices[n].mappings,
                             "settings": {"index": c.indices[n].settings}} for n in c.resolve(expr)}
        if method == "DELETE":
            # story: indices/index.yaml — DELETE a missing index: 404
            for n in c.resolve(expr):
                del c.indices[n]
            return 200, {"acknowledged": True}
        raise ApiError(405, "method_not_allowed", "Incorrect HTTP method for uri [/%s] and method [%s]"
                       % (expr, method))

    def mapping_request(self, method, expr, rest, body):
        """story: indices/mapping/mapping.yaml (GET, PUT/POST with dynamic true/false/strict),
        indices/mapping/field.yaml (GET _mapping/field/{fields})."""
        c = self.server.cluster
        names = c.resolve(expr)
        if method == "GET" and rest[:1] == ["field"]:
            fields = rest[1].split(",") if len(rest) > 1 else []
            out = {}
            for n in names:
                m = {}
                for f in fields:
                    t, _ = field_mapping(c.indices[n].mappings, f)
                    if t:
                        leaf = f.split(".")[-1]
                        props = c.indices[n].mappings.get("properties", {})
                        for p in f.split(".")[:-1]:
                            props = props.get(p, {}).get("properties", {})
                        m[f] = {"full_name": f, "mapping": {leaf: props.get(leaf, {"type": t})}}
                out[n] = {"mappings": m}
            return 200, out
        if method == "GET":
            return 200, {n: {"mappings": c.indices[n].mappings} for n in names}
        if method in ("PUT", "POST"):
            new = self.json_body(body) or {}
            for n in names:
                m = c.indices[n].mappings
                if "dynamic" in new:
                    m["dynamic"] = str(new["dynamic"]).lower()
                for k, v in (new.get("properties") or {}).items():
                    m.setdefault("properties", {})[k] = merge(m.get("properties", {}).get(k, {}), v)
            return 200, {"acknowledged": True}
        raise ApiError(405, "method_not_allowed", "Incorrect HTTP method [%s]" % method)

    def doc_request(self, method, expr, op, rest, body, params):
        """story: indices/create.yaml (_create/{id} → 201), indices/refresh.yaml (POST /{index}/_doc → 201)."""
        c = self.server.cluster
        doc_id = rest[0] if rest else None
        if method == "GET" and op == "_doc" and doc_id:
            idx = c.indices.get(expr)
            if idx is None:
                c.resolve(expr)
            d = idx.docs.get(doc_id)  # real-time get: sees documents before a refresh
            if d is None:
                return 404, {"_index": expr, "_id": doc_id, "found": False}
            return 200, {"_index": expr, "_id": doc_id, "_version": d["_version"], "_seq_no": d["_seq_no"],
                         "_primary_term": 1, "found": True, "_source": d["_source"]}
        if method == "DELETE" and doc_id:
            r = c.apply("delete", expr, doc_id, None)
            return r["status"], r
        if method in ("PUT", "POST"):
            action = "create" if op == "_create" or params.get("op_type") == "create" else "index"
            r = c.apply(action, expr, doc_id, body)
            if params.get("refresh") in ("", "true", "wait_for"):
                c.indices[expr].refresh()
            return r["status"], r
        raise ApiError(405, "method_not_allowed", "Incorrect HTTP method [%s]" % method)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def parse_options(args):
    opts = {"reject_rate": 0.0, "fail_every": 0, "fail_status": 429, "drop_every": 0,
            "max_content_length": 104857600, "tls": None}
    users, log = {}, None
    i = 0
    while i < len(args):
        a = args[i]
        val = args[i + 1] if i + 1 < len(args) else None
        if a == "--user" and val:
            name, _, password = val.partition(":")
            users[name] = password
        elif a == "--reject-rate" and val:
            opts["reject_rate"] = float(val)
        elif a == "--fail-every" and val:
            opts["fail_every"] = int(val)
        elif a == "--fail-status" and val:
            opts["fail_status"] = int(val)
        elif a == "--drop-every" and val:
            opts["drop_every"] = int(val)
        elif a == "--max-content-length" and val:
            opts["max_content_length"] = int(val)
        elif a == "--log" and val:
            log = val
        elif a == "--tls" and val:
            opts["tls"] = val
        else:
            sys.exit("unknown option %s (see the header of %s)" % (a, sys.argv[0]))
        i += 2
    return opts, users, log


def port_arg(v):
    port = int(v)
    if not 0 < port < 32768:
        sys.exit("port %d: use a port below 32768 (the kernel hands 32768-60999 to outgoing connections)" % port)
    return port


def serve(port, args):
    opts, users, log = parse_options(args)
    srv = Server(("127.0.0.1", port), Handler)
    if opts["tls"]:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(opts["tls"], "server.pem"), os.path.join(opts["tls"], "server.key"))
        ctx.load_verify_locations(os.path.join(opts["tls"], "ca.pem"))
        ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.cluster = Cluster(opts)
    srv.users = users
    srv.log = open(log, "a") if log else None
    srv.log_lock = threading.Lock()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()


def start(port, args):
    parse_options(args)  # fail here on a bad option, not in the child
    errors = tempfile.TemporaryFile()  # the child's stderr: read here if it dies while starting
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", str(port)] + args,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                             start_new_session=True)
    deadline = time.time() + 15
    while time.time() < deadline:
        if child.poll() is not None:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace"))
            sys.exit("stand-in exited with status %d" % child.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                print(child.pid)
                return
        except OSError:
            time.sleep(0.05)
    child.kill()
    sys.exit("stand-in did not answer on 127.0.0.1:%d" % port)


def stop(pid):
    pid = int(pid)
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read()
    except OSError:
        return  # already gone
    if b"opensearch_standin.py" not in cmd:
        sys.exit("process %d is not an OpenSearch stand-in; not stopping it" % pid)
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not os.path.exists("/proc/%d" % pid):
            return
        try:
            if open("/proc/%d/stat" % pid).read().split()[2] == "Z":
                return
        except OSError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("start", "stop", "serve"):
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "stop":
        stop(sys.argv[2])
    elif cmd == "start":
        start(port_arg(sys.argv[2]), sys.argv[3:])
    else:
        serve(port_arg(sys.argv[2]), sys.argv[3:])


if __name__ == "__main__":
    main()
