-- gen.sql — how the Parquet files in this directory were made (DuckDB 1.5.6,
-- npm @duckdb/node-api@1.5.6-r.1; run from this directory):
--   node ../../../bench/peers/duckdb_sql.cjs 1 "$(cat gen.sql)"
-- tests/unit/test_parquet_read.c checks the values; the fuzz target uses the
-- files as seeds.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE types AS SELECT
  i AS id,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i % 2 = 0 END AS b,
  (i - 5)::TINYINT AS i8, (i * -300)::SMALLINT AS i16, (i * 100000)::INTEGER AS i32,
  CASE WHEN i = 0 THEN -9223372036854775808 ELSE i * 1000000000000 END::BIGINT AS i64,
  (i * 20)::UTINYINT AS u8, (i * 5900)::USMALLINT AS u16, (i * 390000000)::UINTEGER AS u32,
  CASE WHEN i = 1 THEN 18446744073709551615 ELSE i END::UBIGINT AS u64,
  (i / 4)::FLOAT AS f32, CASE WHEN i % 5 = 4 THEN NULL ELSE i / 3 END::DOUBLE AS f64,
  (i - 5.25)::DECIMAL(4, 2) AS dec4, (i * 1234.567)::DECIMAL(18, 3) AS dec18,
  CASE WHEN i = 2 THEN -12345678901234567890123.456789 ELSE i * 0.000001 END::DECIMAL(38, 6) AS dec38,
  CASE WHEN i % 3 = 2 THEN NULL ELSE 'text ' || i || CASE WHEN i = 4 THEN ' "é\' ELSE '' END END AS s,
  ('\x00b' || i)::BLOB AS bl,
  DATE '1969-12-25' + i::INTEGER * 3 AS dt,
  TIMESTAMP '2024-02-29 23:59:59.123456' + to_microseconds(i * 1000001) AS ts,
  (TIMESTAMP '1960-01-01 00:00:00.5' + to_milliseconds(i * 1001))::TIMESTAMP_MS AS ts_ms,
  (TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i))::TIMESTAMP_NS AS ts_ns,
  TIMESTAMPTZ '2024-06-01 12:00:00+00' + to_seconds(i) AS tstz,
  TIME '23:59:58' + to_microseconds(i * 250000) AS tm,
  md5(i::VARCHAR)::UUID AS u,
  CASE WHEN i % 2 = 0 THEN 'happy'::mood ELSE 'sad'::mood END AS e,
  ('{"k":' || i || '}')::JSON AS js
FROM range(12) t(i);
COPY types TO 'types.parquet' (FORMAT parquet, COMPRESSION snappy);
CREATE TABLE nested AS SELECT
  i AS id,
  CASE WHEN i % 4 = 0 THEN NULL ELSE [i, NULL, i + 1] END AS l,
  CASE WHEN i % 5 = 0 THEN [] ELSE [[i], [], NULL, [i, i]] END AS ll,
  CASE WHEN i % 6 = 0 THEN NULL ELSE {'a': i, 'b': 's' || i, 'c': [{'x': i}, NULL]} END AS st,
  CASE WHEN i % 3 = 0 THEN MAP {} ELSE MAP {'k1': i, 'k2': CASE WHEN i % 2 = 0 THEN NULL ELSE i * 2 END} END AS mp,
  CASE WHEN i % 7 = 0 THEN NULL ELSE [{'p': i, 'q': ['a', NULL]}] END AS los,
  MAP {i: 'v' || i} AS imap
FROM range(40) t(i);
COPY nested TO 'nested_v1.parquet' (FORMAT parquet, COMPRESSION snappy);
COPY nested TO 'nested_v2_zstd.parquet' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2);
CREATE TABLE flat AS SELECT
  i AS id, 'name ' || (i % 37) AS name, CASE WHEN i % 10 = 0 THEN NULL ELSE i * 0.25 END AS score,
  CASE WHEN i < 4096 THEN NULL ELSE i % 3 END AS late
FROM range(8192) t(i);
-- DuckDB cuts row groups at multiples of 2048 rows: 4 row groups here
COPY flat TO 'rowgroups.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION snappy);
COPY (FROM flat LIMIT 1000) TO 'flat_gzip_v2.parquet' (FORMAT parquet, COMPRESSION gzip, PARQUET_VERSION v2);
COPY (FROM flat LIMIT 1000) TO 'flat_lz4.parquet' (FORMAT parquet, COMPRESSION lz4);
COPY (FROM flat LIMIT 1000) TO 'flat_plain_v2_none.parquet' (FORMAT parquet, COMPRESSION uncompressed, PARQUET_VERSION v2, DICTIONARY_SIZE_LIMIT 1);
COPY (SELECT i AS id, (i / 3)::FLOAT AS f, -i / 7 AS d FROM range(300) t(i))
  TO 'floats_v2.parquet' (FORMAT parquet, COMPRESSION uncompressed, PARQUET_VERSION v2);
