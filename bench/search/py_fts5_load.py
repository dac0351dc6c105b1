#!/usr/bin/env python3
"""py_fts5_load.py — the Python peer of the search benchmark: load cleaned W1
NDJSON into an SQLite FTS5 index with the standard library's sqlite3, the
same schema and the same inserts as sluice's search_index target
(docs/search.md): docs(_docid, _id UNIQUE, _time, service_name, log_level,
_source) + an FTS5 table over message (unicode61 remove_diacritics 2),
rows inserted with INSERT … ON CONFLICT(_id) DO NOTHING (a taken id deletes
the old document first), the secondary indexes built after the load when the
index starts empty, one transaction per batch of 4096 records.

  py_fts5_load.py INPUT.jsonl|DIR OUTPUT.db
"""
import glob
import json
import os
import sqlite3
import sys

BATCH = 4096


def inputs(path):
    if os.path.isdir(path):
        return sorted(p for p in glob.glob(os.path.join(path, "*")) if not os.path.basename(p).startswith(("_", ".")))
    return [path]


def as_millis(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v // 1)
    if isinstance(v, str) and v.strip().lstrip("-").isdigit():
        return int(v)
    raise ValueError("timestamp %r" % (v,))


def text(v):
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def main():
    src, out = sys.argv[1], sys.argv[2]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(out + suffix):
            os.remove(out + suffix)
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA page_size = 16384")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA cache_size = -131072")
    db.execute("CREATE TABLE docs(_docid INTEGER PRIMARY KEY, _id TEXT UNIQUE, _time INTEGER, "
               "service_name TEXT, log_level TEXT, _source TEXT NOT NULL)")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(message, tokenize = 'unicode61 remove_diacritics 2')")
    insert = ("INSERT INTO docs(_id, _time, service_name, log_level, _source) VALUES(?, ?, ?, ?, ?) "
              "ON CONFLICT(_id) DO NOTHING")
    n = 0
    cur = db.cursor()
    db.execute("BEGIN")
    for path in inputs(src):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                d = json.loads(line)
                row = (text(d["log_id"]), as_millis(d.get("timestamp")), text(d.get("service_name")),
                       text(d.get("log_level")), json.dumps(d, separators=(",", ":"), ensure_ascii=False))
                cur.execute(insert, row)
                if cur.rowcount == 0:  # the id is taken: the new record replaces the document
                    old = db.execute("SELECT _docid FROM docs WHERE _id = ?", (row[0],)).fetchone()[0]
                    db.execute("DELETE FROM fts WHERE rowid = ?", (old,))
                    db.execute("DELETE FROM docs WHERE _docid = ?", (old,))
                    cur.execute(insert, row)
                db.execute("INSERT INTO fts(rowid, message) VALUES(?, ?)", (cur.lastrowid, text(d.get("message"))))
                n += 1
                if n % BATCH == 0:
                    db.execute("COMMIT")
                    db.execute("BEGIN")
    db.execute("CREATE INDEX docs_time ON docs(_time)")
    db.execute("CREATE INDEX docs_kw0 ON docs(service_name, _time)")
    db.execute("CREATE INDEX docs_kw1 ON docs(log_level, _time)")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    print(n)


if __name__ == "__main__":
    main()
