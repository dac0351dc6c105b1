#!/usr/bin/env node
// duckdb_sql.cjs — run one SQL script through DuckDB's library, the DuckDB peer
// of sluice's benchmarks. npm ships no DuckDB CLI binary, but
// @duckdb/node-api bundles libduckdb (with the json and parquet extensions),
// which bench/run.sh installs into bench/work/node.
//
// Usage: node duckdb_sql.cjs THREADS "SQL"
//   Prints the result rows of the last statement as JSON (unless QUIET=1).
// Env:   DUCKDB_NODE_API  path of the @duckdb/node-api package
//                         (default: bench/work/node/node_modules/@duckdb/node-api)
'use strict';
const path = require('path');

const modulePath = process.env.DUCKDB_NODE_API ||
  path.join(__dirname, '..', 'work', 'node', 'node_modules', '@duckdb', 'node-api');

async function run(threads, sql) {
  const duckdb = require(modulePath);
  const db = await duckdb.DuckDBInstance.create(':memory:', { threads: String(threads) });
  const con = await db.connect();
  const result = await con.runAndReadAll(sql);
  const rows = result.getRowObjectsJson();
  if (rows.length > 0 && process.env.QUIET !== '1') {
    process.stdout.write(JSON.stringify(rows) + '\n');
  }
  if (con.closeSync) con.closeSync();
}

const [threads, sql] = process.argv.slice(2);
if (!threads || !sql) {
  process.stderr.write('usage: node duckdb_sql.cjs THREADS "SQL"\n');
  process.exit(2);
}
run(threads, sql).catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
