/*
 * test_sql.c — the `sql` transform: its virtual tables (types, nulls,
 * nested values as JSON, spilled rows, the equality index), queries (joins,
 * GROUP BY, ORDER BY, LIMIT, window functions) and what it refuses (writes,
 * PRAGMA, ATTACH, extensions, bad SQL), run through the real executor
 * between an in-memory source ("mem": JSON lines split into N splits of
 * small batches) and a collecting target ("collect": the records as JSON
 * lines, in split order).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "transforms/sql.h"

#define JT_OUTCOME_EXTRA uint64_t spilled; /* rows the node `q` spilled */
#include "jobtest.h"

static void sql_stats(sl_job *job, jt_outcome *o) {
    sl_node *q = sl_job_find(job, "q");
    if (q && !strcmp(q->type->name, "sql")) o->spilled = sl_sql_spilled_records(q);
}

static jt_outcome run2(const char *yaml, const char *data, const char *data2, int threads, int64_t memory_limit) {
    return jt_run(yaml, data, data2, threads, memory_limit, sql_stats);
}

/* Run with 1, 2 and 4 threads and check the output each time. */
static void expect2(const char *yaml, const char *data, const char *data2, const char *want) {
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = run2(yaml, data, data2, threads, 0);
        if (o.rc) print_error("run failed: %s\n", o.message);
        assert_int_equal(o.rc, 0);
        if (strcmp(o.out, want)) print_error("threads %d got:\n%s\nwant:\n%s\n", threads, o.out, want);
        assert_string_equal(o.out, want);
        free(o.out);
    }
}

static void expect(const char *yaml, const char *data, const char *want) { expect2(yaml, data, NULL, want); }

static void expect_load_error(const char *yaml, const char *needle) { jt_expect_load_error_at(yaml, needle, "q"); }

static void expect_run_error(const char *yaml, const char *data, const char *needle) {
    jt_outcome o = run2(yaml, data, NULL, 2, 0);
    assert_int_not_equal(o.rc, 0);
    if (!strstr(o.message, needle)) print_error("message: %s\nwant: %s\n", o.message, needle);
    assert_non_null(strstr(o.message, needle));
    assert_string_equal(o.node, "q");
    free(o.out);
}

#define SRC "nodes:\n  src: {type: mem, data: \"${data}\", splits: 3}\n"
#define SRC2 SRC "  src2: {type: mem, data: \"${data2}\", splits: 2}\n"
#define SQL(query) "  q:\n    type: sql\n    input: src\n    query: \"" query "\"\n"
#define SINK "  out: {type: collect, input: q}\n"

/* ---- types ---- */

static const char *typed = "{\"i\":1,\"d\":1.5,\"s\":\"x\",\"b\":true,\"n\":null,\"m\":{\"h\":\"a\",\"l\":[1,2]},"
                           "\"ds\":\"2024-02-29\",\"ts\":\"2024-02-29T10:11:12.5Z\",\"big\":123456789012345678901}\n"
                           "{\"i\":-7,\"d\":-0.25,\"s\":\"y\\\"q\",\"b\":false,\"l\":[{\"k\":1}],\"ds\":\"1969-12-31\","
                           "\"ts\":\"1970-01-01T00:00:00.000123Z\",\"big\":0.5}\n";

#define TYPED                                                                                                          \
    "  src0: {type: mem, data: \"${data}\", splits: 2}\n"                                                              \
    "  src: {type: derive, input: src0, columns: {ds: \"cast(ds as date)\", ts: \"cast(ts as timestamp)\","            \
    " bin: \"cast(s as binary)\", big: \"cast(big as decimal)\"}}\n"

static void test_types_as_sqlite_sees_them(void **state) {
    expect("nodes:\n" TYPED SQL("SELECT typeof(i), typeof(d), typeof(s), typeof(b), typeof(n), typeof(m), "
                                "typeof(ds), typeof(ts), typeof(bin), typeof(big) FROM src") SINK,
           typed,
           "{\"typeof(i)\":\"integer\",\"typeof(d)\":\"real\",\"typeof(s)\":\"text\",\"typeof(b)\":\"integer\","
           "\"typeof(n)\":\"null\",\"typeof(m)\":\"text\",\"typeof(ds)\":\"text\",\"typeof(ts)\":\"text\","
           "\"typeof(bin)\":\"blob\",\"typeof(big)\":\"real\"}\n"
           "{\"typeof(i)\":\"integer\",\"typeof(d)\":\"real\",\"typeof(s)\":\"text\",\"typeof(b)\":\"integer\","
           "\"typeof(n)\":\"null\",\"typeof(m)\":\"null\",\"typeof(ds)\":\"text\",\"typeof(ts)\":\"text\","
           "\"typeof(bin)\":\"blob\",\"typeof(big)\":\"real\"}\n");
    /* values: booleans 0/1, dates and timestamps in SQLite's text form, nested values as JSON */
    expect("nodes:\n" TYPED SQL("SELECT b + 0 AS b, ds || '' AS ds, ts || '' AS ts, m || '' AS m, l || '' AS l, "
                                "hex(bin) AS bin, big * 2 AS big, json_extract(m, '$.l[1]') AS l1, "
                                "datetime(ts) AS dt, date(ds, '+1 day') AS next FROM src") SINK,
           typed,
           "{\"b\":1,\"ds\":\"2024-02-29\",\"ts\":\"2024-02-29 "
           "10:11:12.500\",\"m\":\"{\\\"h\\\":\\\"a\\\",\\\"l\\\":[1,2]}\","
           "\"l\":null,\"bin\":\"78\",\"big\":2.4691357802469137e+20,\"l1\":2,\"dt\":\"2024-02-29 10:11:12\","
           "\"next\":\"2024-03-01\"}\n"
           "{\"b\":0,\"ds\":\"1969-12-31\",\"ts\":\"1970-01-01 00:00:00.000123\",\"m\":null,\"l\":\"[{\\\"k\\\":1}]\","
           "\"bin\":\"792271\",\"big\":1.0,\"l1\":null,\"dt\":\"1970-01-01 00:00:00\",\"next\":\"1970-01-01\"}\n");
}

static void test_types_round_trip(void **state) {
    /* a column passed through keeps its type: booleans, dates, timestamps and nested values come back */
    expect("nodes:\n" TYPED SQL("SELECT * FROM src") SINK, typed,
           "{\"i\":1,\"d\":1.5,\"s\":\"x\",\"b\":true,\"n\":null,\"m\":{\"h\":\"a\",\"l\":[1,2]},"
           "\"ds\":\"2024-02-29\",\"ts\":\"2024-02-29T10:11:12.500Z\",\"big\":1.2345678901234568e+20,\"bin\":\"eA==\","
           "\"l\":null}\n"
           "{\"i\":-7,\"d\":-0.25,\"s\":\"y\\\"q\",\"b\":false,\"n\":null,\"m\":null,\"ds\":\"1969-12-31\","
           "\"ts\":\"1970-01-01T00:00:00.000123Z\",\"big\":0.5,\"bin\":\"eSJx\",\"l\":[{\"k\":1}]}\n");
    /* computed values take SQLite's type */
    expect(SRC SQL("SELECT x, x = 1 AS t, x / 2 AS half, x / 2.0 AS h2, 'a' || x AS s, NULL AS z, "
                   "CAST('ab' AS BLOB) AS bl FROM src") SINK,
           "{\"x\":1}\n{\"x\":3}\n",
           "{\"x\":1,\"t\":1,\"half\":0,\"h2\":0.5,\"s\":\"a1\",\"z\":null,\"bl\":\"YWI=\"}\n"
           "{\"x\":3,\"t\":0,\"half\":1,\"h2\":1.5,\"s\":\"a3\",\"z\":null,\"bl\":\"YWI=\"}\n");
}

static void test_columns_and_names(void **state) {
    /* columns in order of first appearance; fields differing only in case get distinct SQL names */
    expect(SRC SQL("SELECT * FROM src") SINK, "{\"b\":1}\n{\"a\":2,\"b\":3}\n{\"A\":4}\n{}\n",
           "{\"b\":1,\"a\":null,\"A_2\":null}\n{\"b\":3,\"a\":2,\"A_2\":null}\n{\"b\":null,\"a\":null,\"A_2\":4}\n"
           "{\"b\":null,\"a\":null,\"A_2\":null}\n");
    expect(SRC SQL("SELECT a, A_2 FROM src WHERE A_2 IS NOT NULL") SINK, "{\"a\":1}\n{\"A\":4}\n",
           "{\"a\":null,\"A_2\":4}\n");
    /* duplicate result names get a suffix; odd field names are quoted identifiers */
    expect(SRC SQL("SELECT x, x, \\\"a b\\\" AS x FROM src") SINK, "{\"x\":1,\"a b\":2}\n",
           "{\"x\":1,\"x_2\":1,\"x_3\":2}\n");
}

static void test_input_order(void **state) {
    /* without ORDER BY rows come in input order whatever the thread count (merged by input position) */
    sl_buf data;
    sl_buf_init(&data, 0);
    for (int i = 0; i < 200; i++)
        sl_buf_printf(&data, "{\"id\":%d}\n", i);
    sl_buf want;
    sl_buf_init(&want, 0);
    for (int i = 0; i < 200; i += 7)
        sl_buf_printf(&want, "{\"id\":%d}\n", i);
    expect(SRC SQL("SELECT id FROM src WHERE id % 7 = 0") SINK, data.data, want.data);
    sl_buf_free(&data);
    sl_buf_free(&want);
}

/* ---- queries ---- */

static const char *orders =
    "{\"o\":1,\"c\":10,\"amt\":5.5}\n{\"o\":2,\"c\":20,\"amt\":3}\n{\"o\":3,\"c\":10,\"amt\":1}\n"
    "{\"o\":4,\"c\":30,\"amt\":7}\n{\"o\":5,\"c\":null,\"amt\":2}\n";
static const char *customers = "{\"c\":10,\"name\":\"ann\"}\n{\"c\":20,\"name\":\"bob\"}\n{\"c\":40,\"name\":\"cy\"}\n";

#define JOIN(query)                                                                                                    \
    SRC2 "  q:\n    type: sql\n    inputs: [src, src2]\n    tables: [orders, customers]\n    query: \"" query          \
         "\"\n" SINK

static void test_joins(void **state) {
    expect2(JOIN("SELECT o, name FROM orders JOIN customers USING (c) ORDER BY o"), orders, customers,
            "{\"o\":1,\"name\":\"ann\"}\n{\"o\":2,\"name\":\"bob\"}\n{\"o\":3,\"name\":\"ann\"}\n");
    expect2(JOIN("SELECT o.o, k.name FROM orders o LEFT JOIN customers k ON k.c = o.c ORDER BY o.o DESC"), orders,
            customers,
            "{\"o\":5,\"name\":null}\n{\"o\":4,\"name\":null}\n{\"o\":3,\"name\":\"ann\"}\n{\"o\":2,\"name\":\"bob\"}\n"
            "{\"o\":1,\"name\":\"ann\"}\n");
    /* customers without orders (anti join), and a join on an expression */
    expect2(JOIN("SELECT name FROM customers k WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.c = k.c)"), orders,
            customers, "{\"name\":\"cy\"}\n");
    expect2(JOIN("SELECT count(*) AS n FROM orders o JOIN customers k ON k.c = o.c + 10"), orders, customers,
            "{\"n\":3}\n");
}

/* Run query with the equality index and with the comparison hidden from it
 * (coalesce(a = b, 0): same comparison, no constraint SQLite can hand to
 * the table); both must give want (or each other when want is NULL). */
static void expect_index_agrees(const char *left, const char *right, const char *on, const char *select,
                                const char *want) {
    const char *q = SRC2 "  q:\n    type: sql\n    inputs: [src, src2]\n    tables: [l, r]\n    query: \"%s\"\n" SINK;
    char query[512], yaml[1024];
    snprintf(query, sizeof query, "SELECT %s FROM l JOIN r ON coalesce(%s, 0) ORDER BY 1, 2", select, on);
    snprintf(yaml, sizeof yaml, q, query);
    jt_outcome scan = run2(yaml, left, right, 1, 0);
    if (scan.rc) print_error("%s\n", scan.message);
    assert_int_equal(scan.rc, 0);
    if (want) assert_string_equal(scan.out, want);
    snprintf(query, sizeof query, "SELECT %s FROM l JOIN r ON %s ORDER BY 1, 2", select, on);
    snprintf(yaml, sizeof yaml, q, query);
    expect2(yaml, left, right, scan.out);
    free(scan.out);
}

static void test_join_key_classes(void **state) {
    /* the equality index gives what SQLite's comparison gives: 1 = 1.0, text keys exact (NOCASE honoured),
     * nulls never equal, a number never equals text in a column without a declared type */
    const char *left = "{\"k\":1}\n{\"k\":2.0}\n{\"k\":\"1\"}\n{\"k\":null}\n{\"k\":\"A\"}\n";
    const char *right = "{\"n\":1.0,\"t\":\"a\",\"i\":1}\n{\"n\":2,\"t\":\"A\",\"i\":2}\n{\"n\":null,\"t\":null}\n";
    expect_index_agrees(left, right, "l.k = r.n", "l.k, r.n", "{\"k\":1,\"n\":1.0}\n{\"k\":2.0,\"n\":2}\n");
    expect_index_agrees(left, right, "r.n = l.k", "r.n, l.k", "{\"n\":1.0,\"k\":1}\n{\"n\":2,\"k\":2.0}\n");
    /* r.i is declared INTEGER: '1' converts to 1 in the comparison */
    expect_index_agrees(left, right, "r.i = l.k", "r.i, l.k",
                        "{\"i\":1,\"k\":1}\n{\"i\":1,\"k\":\"1\"}\n{\"i\":2,\"k\":2.0}\n");
    expect_index_agrees(left, right, "r.t = l.k", "r.t, l.k", "{\"t\":\"A\",\"k\":\"A\"}\n");
    expect_index_agrees(left, right, "r.t = l.k COLLATE NOCASE", "r.t, l.k",
                        "{\"t\":\"A\",\"k\":\"A\"}\n{\"t\":\"a\",\"k\":\"A\"}\n");
    const char *q = SRC2 "  q:\n    type: sql\n    inputs: [src, src2]\n    tables: [l, r]\n    query: \"%s\"\n" SINK;
    char yaml[1024];
    snprintf(yaml, sizeof yaml, q, "SELECT count(*) AS c FROM r WHERE n = 2 OR t = 'a'");
    expect2(yaml, left, right, "{\"c\":2}\n");
    snprintf(yaml, sizeof yaml, q, "SELECT t FROM r WHERE n IN (1, 2) ORDER BY t");
    expect2(yaml, left, right, "{\"t\":\"A\"}\n{\"t\":\"a\"}\n");
}

/* Random columns of every class (long, double, long+double, numeric and other strings, booleans, nested,
 * anything): every join between two of them gives the same rows with and without the index. */
static void test_join_index_property(void **state) {
    static const char *const names[] = {"i", "d", "nd", "s", "b", "j", "any"};
    sl_buf l, r;
    sl_buf_init(&l, 0);
    sl_buf_init(&r, 0);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int side = 0; side < 2; side++) {
        sl_buf *out = side ? &r : &l;
        for (int row = 0; row < 60; row++) {
            int v[8];
            for (int k = 0; k < 8; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                v[k] = (int)(x % 5);
            }
            static const char *const any[] = {"1", "1.0", "\"1\"", "\"a\"", "true", "[1]", "null", "2.5"};
            sl_buf_printf(out, "{\"i\":%d,\"d\":%d.5,\"nd\":%s,\"s\":\"%s\",\"b\":%s,\"j\":%s,\"any\":%s}\n", v[0],
                          v[1] % 2, v[2] % 2 ? "1" : "1.0",
                          v[3] < 2   ? "1"
                          : v[3] < 4 ? "a"
                                     : "1.0",
                          v[4] % 2 ? "true" : "false", v[5] % 2 ? "[1]" : "{\"a\":1}", any[(v[6] + v[7]) % 8]);
        }
    }
    for (size_t a = 0; a < sizeof names / sizeof names[0]; a++)
        for (size_t b = 0; b < sizeof names / sizeof names[0]; b++) {
            char on[64], sel[64];
            snprintf(on, sizeof on, "l.%s = r.%s", names[a], names[b]);
            snprintf(sel, sizeof sel, "l.rowid, r.rowid");
            expect_index_agrees(l.data, r.data, on, sel, NULL);
        }
    sl_buf_free(&l);
    sl_buf_free(&r);
}

static const char *sales = "{\"svc\":\"a\",\"n\":1}\n{\"svc\":\"b\",\"n\":2}\n{\"svc\":\"a\",\"n\":3}\n"
                           "{\"svc\":\"a\",\"n\":null}\n{\"n\":5}\n{\"svc\":\"b\",\"n\":4.5}\n";

static void test_group_order_limit(void **state) {
    expect(SRC SQL("SELECT svc, count(*) AS c, sum(n) AS s, avg(n) AS a FROM src GROUP BY svc ORDER BY c DESC, svc")
               SINK,
           sales,
           "{\"svc\":\"a\",\"c\":3,\"s\":4,\"a\":2.0}\n{\"svc\":\"b\",\"c\":2,\"s\":6.5,\"a\":3.25}\n"
           "{\"svc\":null,\"c\":1,\"s\":5,\"a\":5.0}\n");
    expect(SRC SQL("SELECT n FROM src WHERE n IS NOT NULL ORDER BY n DESC LIMIT 2 OFFSET 1") SINK, sales,
           "{\"n\":4.5}\n{\"n\":3}\n");
    expect(SRC SQL("SELECT svc, group_concat(n, '+') AS g FROM src WHERE svc IS NOT NULL GROUP BY svc "
                   "HAVING count(n) > 1 ORDER BY svc") SINK,
           sales, "{\"svc\":\"a\",\"g\":\"1+3\"}\n{\"svc\":\"b\",\"g\":\"2+4.5\"}\n");
    /* empty input: aggregates over nothing; unknown columns of an empty frame are null */
    expect(SRC SQL("SELECT count(*) AS c, max(whatever) AS m FROM src") SINK, "", "{\"c\":0,\"m\":null}\n");
    expect(SRC SQL("SELECT whatever FROM src") SINK, "", "");
    /* a frame without fields (only empty records) gives records without fields; an empty frame has the
     * columns the query names (src2.k, second of its name: k_2) */
    expect(SRC SQL("SELECT * FROM src") SINK, "{}\n{}\n", "{}\n{}\n");
    expect(SRC2 "  q:\n    type: sql\n    inputs: [src, src2]\n"
                "    query: \"SELECT * FROM src LEFT JOIN src2 ON src2.k = src.k ORDER BY 1\"\n" SINK,
           "{\"k\":2}\n{\"k\":1}\n", "{\"k\":1,\"k_2\":null}\n{\"k\":2,\"k_2\":null}\n");
}

static void test_window_functions(void **state) {
    expect(SRC SQL("SELECT svc, n, row_number() OVER (PARTITION BY svc ORDER BY n) AS r, "
                   "sum(n) OVER (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run "
                   "FROM src WHERE svc IS NOT NULL ORDER BY svc, r") SINK,
           sales,
           "{\"svc\":\"a\",\"n\":null,\"r\":1,\"run\":6}\n{\"svc\":\"a\",\"n\":1,\"r\":2,\"run\":1}\n"
           "{\"svc\":\"a\",\"n\":3,\"r\":3,\"run\":6}\n{\"svc\":\"b\",\"n\":2,\"r\":1,\"run\":3}\n"
           "{\"svc\":\"b\",\"n\":4.5,\"r\":2,\"run\":10.5}\n");
    expect(SRC SQL("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) "
                   "SELECT x, (SELECT count(*) FROM src) AS n FROM c") SINK,
           sales, "{\"x\":1,\"n\":6}\n{\"x\":2,\"n\":6}\n{\"x\":3,\"n\":6}\n");
    expect(SRC SQL("SELECT j.value AS v FROM src, json_each(src.l) AS j ORDER BY v") SINK,
           "{\"l\":[3,1]}\n{\"l\":[2]}\n", "{\"v\":1}\n{\"v\":2}\n{\"v\":3}\n");
}

/* ---- what it refuses ---- */

static void test_rejected_statements(void **state) {
    expect_load_error(SRC SQL("INSERT INTO src VALUES (1)") SINK, "query: INSERT is not allowed (only a SELECT)");
    expect_load_error(SRC SQL("DELETE FROM src") SINK, "query: table src may not be modified");
    expect_load_error(SRC SQL("UPDATE src SET a = 1") SINK, "query: table src may not be modified");
    expect_load_error(SRC SQL("CREATE TABLE t(x)") SINK, "CREATE or DROP is not allowed");
    expect_load_error(SRC SQL("DROP TABLE src") SINK, "is not allowed");
    expect_load_error(SRC SQL("PRAGMA table_info(src)") SINK, "PRAGMA is not allowed");
    expect_load_error(SRC SQL("SELECT * FROM pragma_table_info('src')") SINK, "PRAGMA is not allowed");
    expect_load_error(SRC SQL("ATTACH DATABASE '/tmp/x.db' AS x") SINK, "not allowed");
    expect_load_error(SRC SQL("SELECT load_extension('/tmp/x.so')") SINK, "function load_extension is not allowed");
    expect_load_error(SRC SQL("SELECT fts3_tokenizer('simple')") SINK, "function fts3_tokenizer is not allowed");
    expect_load_error(SRC SQL("BEGIN") SINK, "not allowed");
    expect_load_error(SRC SQL("SELECT 1; SELECT 2") SINK, "single statement");
    expect_load_error(SRC SQL("SELECT 1; DELETE FROM src") SINK, "single statement");
    expect_load_error(SRC SQL("VACUUM") SINK, "must be a SELECT");
    expect_load_error(SRC SQL("  -- nothing\n") SINK, "query is empty");
    /* a trailing semicolon and comment are fine */
    expect(SRC SQL("SELECT 1 AS one; -- done") SINK, "", "{\"one\":1}\n");
}

static void test_bad_sql(void **state) {
    expect_load_error(SRC SQL("SELECT x FORM src") SINK, "query: near \"src\": syntax error (query line 1, column 15)");
    expect_load_error(SRC SQL("SELECT x FROM nope") SINK, "query: no such table: nope");
    expect_load_error(SRC SQL("SELECT frobnicate(x) FROM src") SINK, "query: no such function: frobnicate");
    expect_load_error(SRC SQL("SELECT x FROM src WHERE sum(x) > 1") SINK, "misuse of aggregate");
    /* a column no record has: only known once the data is there */
    expect_run_error(SRC SQL("SELECT nope FROM src") SINK, "{\"a\":1,\"b\":2}\n",
                     "query: no such column: nope (query line 1, column 8) (columns: src(a, b))");
    /* a runtime SQLite error fails the run with its message */
    expect_run_error(SRC SQL("SELECT json_extract(s, '$.a') FROM src") SINK, "{\"s\":\"{oops\"}\n",
                     "query: malformed JSON");
}

static void test_table_names(void **state) {
    /* default: input names, other characters as _; explicit names; errors */
    expect(SRC "  f: {type: filter, input: src, condition: \"x > 1\"}\n"
               "  q:\n    type: sql\n    inputs: [f, src]\n    query: \"SELECT count(*) AS n FROM f JOIN src USING "
               "(x)\"\n" SINK,
           "{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n", "{\"n\":2}\n");
    expect_load_error(
        SRC2 "  q:\n    type: sql\n    inputs: [src, src2]\n    tables: [t, T]\n    query: \"SELECT 1\"\n" SINK,
        "two inputs are both table 'T'");
    expect_load_error(SRC "  q:\n    type: sql\n    inputs: [src]\n    tables: [a, b]\n    query: \"SELECT 1\"\n" SINK,
                      "tables names 2 tables for 1 inputs");
    const char *x3 = "{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n";
    expect2(SRC2 "  q:\n    type: sql\n    inputs: [src, src2]\n    tables: [a, b]\n"
                 "    query: \"SELECT a.x, b.x AS y FROM a JOIN b ON b.x = a.x + 1\"\n" SINK,
            x3, x3, "{\"x\":1,\"y\":2}\n{\"x\":2,\"y\":3}\n");
}

/* ---- beyond the memory limit ---- */

static char *many(size_t n) {
    sl_buf b;
    sl_buf_init(&b, 0);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        sl_buf_printf(&b, "{\"id\":%zu,\"k\":%d,\"s\":\"%c%c-%zu\",\"m\":{\"v\":%d}}\n", i, (int)(x % 500),
                      'a' + (int)((x >> 20) % 26), 'a' + (int)((x >> 30) % 26), i % 97, (int)((x >> 40) % 1000));
    }
    return sl_buf_detach(&b);
}

static void test_spills(void **state) {
    char *data = many(6000);
    const char *queries[] = {
        "SELECT * FROM src",
        "SELECT k, count(*) AS n, sum(json_extract(m, '$.v')) AS v FROM src GROUP BY k ORDER BY n DESC, k",
        /* self join through the equality index, on spilled rows */
        "SELECT a.id, b.id AS other FROM src a JOIN src b ON b.s = a.s AND b.id > a.id ORDER BY a.id, b.id LIMIT 300",
    };
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "nodes:\n  src: {type: mem, data: \"${data}\", splits: 8, batch: 100}\n"
                 "  q:\n    type: sql\n    input: src\n    query: \"%s\"\n" SINK,
                 queries[qi]);
        jt_outcome ref = run2(yaml, data, NULL, 1, 0);
        if (ref.rc) print_error("%s\n", ref.message);
        assert_int_equal(ref.rc, 0);
        assert_int_equal(ref.spilled, 0);
        assert_true(strlen(ref.out) > 1000);
        for (int threads = 1; threads <= 4; threads *= 2) {
            jt_outcome o = run2(yaml, data, NULL, threads, 64 * 1024);
            if (o.rc) print_error("%s\n", o.message);
            assert_int_equal(o.rc, 0);
            assert_true(o.spilled > 3000);
            if (strcmp(o.out, ref.out)) print_error("query %zu, %d threads differs when spilled\n", qi, threads);
            assert_string_equal(o.out, ref.out);
            free(o.out);
        }
        free(ref.out);
    }
    /* the self join looks b up by column s (idxNum 3) instead of scanning it for each row of a */
    jt_outcome o = run2("nodes:\n  src: {type: mem, data: \"${data}\", splits: 8, batch: 100}\n"
                        "  q:\n    type: sql\n    input: src\n"
                        "    query: \"EXPLAIN QUERY PLAN SELECT a.id FROM src a JOIN src b ON b.s = a.s\"\n" SINK,
                        data, NULL, 1, 64 * 1024);
    assert_int_equal(o.rc, 0);
    if (!strstr(o.out, "VIRTUAL TABLE INDEX 3:")) print_error("plan:\n%s\n", o.out);
    assert_non_null(strstr(o.out, "VIRTUAL TABLE INDEX 3:"));
    free(o.out);
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_as_sqlite_sees_them),
        cmocka_unit_test(test_types_round_trip),
        cmocka_unit_test(test_columns_and_names),
        cmocka_unit_test(test_input_order),
        cmocka_unit_test(test_joins),
        cmocka_unit_test(test_join_key_classes),
        cmocka_unit_test(test_join_index_property),
        cmocka_unit_test(test_group_order_limit),
        cmocka_unit_test(test_window_functions),
        cmocka_unit_test(test_rejected_statements),
        cmocka_unit_test(test_bad_sql),
        cmocka_unit_test(test_table_names),
        cmocka_unit_test(test_spills),
    };
    return cmocka_run_group_tests(tests, jt_setup, jt_teardown);
}
