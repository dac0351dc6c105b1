/* test_search_index.c — the embedded search index: the query parser, time
 * readings, layouts, the stage → merge → search path (ids replace, failed
 * merges leave the index as it was, layouts are checked), and the
 * search_index target inside a real run (a failed run publishes nothing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connectors/search_index.h"
#include "core/fsutil.h"
#include "exec/executor.h"
#include "exec/job.h"
#include "formats/json.h"

/* ---- query parser ---- */

static sl_search_query parse_ok(const char *text) {
    sl_search_query q;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_search_query_parse(text, &q, &err);
    if (rc) fail_msg("parse '%s': %s", text, err.message);
    return q;
}

static void expect_clause(const sl_search_query *q, size_t i, sl_sq_kind kind, bool negated, bool prefix,
                          const char *field, const char *text) {
    assert_true(i < q->n);
    const sl_sq_clause *c = &q->clauses[i];
    assert_int_equal(c->kind, kind);
    assert_int_equal(c->negated, negated);
    assert_int_equal(c->prefix, prefix);
    if (field)
        assert_string_equal(c->field, field);
    else
        assert_null(c->field);
    assert_string_equal(c->text, text);
}

static void test_parse_empty(void **state) {
    sl_search_query q = parse_ok("");
    assert_int_equal(q.n, 0);
    sl_search_query_free(&q);
    q = parse_ok("   \t ");
    assert_int_equal(q.n, 0);
    sl_search_query_free(&q);
}

static void test_parse_example(void **state) {
    sl_search_query q = parse_ok("timeout service_name:auth-service log_level:ERROR");
    assert_int_equal(q.n, 3);
    expect_clause(&q, 0, SL_SQ_TERM, false, false, NULL, "timeout");
    expect_clause(&q, 1, SL_SQ_FIELD, false, false, "service_name", "auth-service");
    expect_clause(&q, 2, SL_SQ_FIELD, false, false, "log_level", "ERROR");
    sl_search_query_free(&q);
}

static void test_parse_phrases_prefixes_negation(void **state) {
    sl_search_query q =
        parse_ok(" \"connection reset\"  time* -debug -\"not this\" host:\"srv 1\" tag:pro* tag:* -level:INFO ");
    assert_int_equal(q.n, 8);
    expect_clause(&q, 0, SL_SQ_PHRASE, false, false, NULL, "connection reset");
    expect_clause(&q, 1, SL_SQ_TERM, false, true, NULL, "time");
    expect_clause(&q, 2, SL_SQ_TERM, true, false, NULL, "debug");
    expect_clause(&q, 3, SL_SQ_PHRASE, true, false, NULL, "not this");
    expect_clause(&q, 4, SL_SQ_FIELD, false, false, "host", "srv 1");
    expect_clause(&q, 5, SL_SQ_FIELD, false, true, "tag", "pro");
    expect_clause(&q, 6, SL_SQ_FIELD, false, true, "tag", "");
    expect_clause(&q, 7, SL_SQ_FIELD, true, false, "level", "INFO");
    sl_search_query_free(&q);
}

static void test_parse_escapes_and_odd_words(void **state) {
    sl_search_query q = parse_ok("\"say \\\"hi\\\" \\\\ now\" \"pre fix\"* :colon a:b:c caf\xc3\xa9");
    assert_int_equal(q.n, 5);
    expect_clause(&q, 0, SL_SQ_PHRASE, false, false, NULL, "say \"hi\" \\ now");
    expect_clause(&q, 1, SL_SQ_PHRASE, false, true, NULL, "pre fix");
    expect_clause(&q, 2, SL_SQ_TERM, false, false, NULL, ":colon");
    expect_clause(&q, 3, SL_SQ_FIELD, false, false, "a", "b:c");
    expect_clause(&q, 4, SL_SQ_TERM, false, false, NULL, "caf\xc3\xa9");
    sl_search_query_free(&q);
}

static void expect_parse_error(const char *text, const char *fragment) {
    sl_search_query q;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_search_query_parse(text, &q, &err), SL_EINVAL);
    if (!strstr(err.message, fragment)) fail_msg("'%s': message '%s' lacks '%s'", text, err.message, fragment);
    sl_search_query_free(&q);
}

static void test_parse_errors(void **state) {
    expect_parse_error("ok \"unclosed", "unclosed quote at position 4");
    expect_parse_error("a - b", "'-' at position 3");
    expect_parse_error("-", "must be followed");
    expect_parse_error("level:", "needs a value");
    expect_parse_error("level: x", "needs a value");
    expect_parse_error("a *", "'*' at position 3");
    expect_parse_error("\"phrase\"x", "expected a space after the closing quote");
    expect_parse_error("f:\"v\"x", "expected a space");
    expect_parse_error("f:\"open", "unclosed quote");
}

/* ---- times ---- */

static void test_parse_time(void **state) {
    const int64_t now = 1732300000000;
    int64_t t;
    assert_int_equal(sl_search_parse_time("1732300000663", now, &t), 0);
    assert_int_equal(t, 1732300000663);
    assert_int_equal(sl_search_parse_time("now", now, &t), 0);
    assert_int_equal(t, now);
    assert_int_equal(sl_search_parse_time("1h", now, &t), 0);
    assert_int_equal(t, now - 3600000);
    assert_int_equal(sl_search_parse_time("7d", now, &t), 0);
    assert_int_equal(t, now - 7 * 86400000LL);
    assert_int_equal(sl_search_parse_time("90s", now, &t), 0);
    assert_int_equal(t, now - 90000);
    assert_int_equal(sl_search_parse_time("15m", now, &t), 0);
    assert_int_equal(t, now - 900000);
    assert_int_equal(sl_search_parse_time("2w", now, &t), 0);
    assert_int_equal(t, now - 14 * 86400000LL);
    assert_int_equal(sl_search_parse_time("2024-11-22", now, &t), 0);
    assert_int_equal(t, 1732233600000);
    assert_int_equal(sl_search_parse_time("2024-11-22T18:26:40.663Z", now, &t), 0);
    assert_int_equal(t, 1732300000663);
    assert_int_equal(sl_search_parse_time("2024-11-22T19:26:40.663+01:00", now, &t), 0);
    assert_int_equal(t, 1732300000663);
    assert_int_equal(sl_search_parse_time("yesterday", now, &t), SL_EINVAL);
    assert_int_equal(sl_search_parse_time("1y", now, &t), SL_EINVAL);
    assert_int_equal(sl_search_parse_time("", now, &t), SL_EINVAL);
    assert_int_equal(sl_search_parse_time("h", now, &t), SL_EINVAL);
    char text[40];
    sl_search_format_time(1732300000663, text, sizeof text);
    assert_string_equal(text, "2024-11-22T18:26:40.663Z");
    sl_search_format_time(-1, text, sizeof text);
    assert_string_equal(text, "1969-12-31T23:59:59.999Z");
}

static void test_value_time(void **state) {
    int64_t t;
    sl_value v = sl_int(1732300000663);
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, 1732300000663);
    v = sl_string(" 1732300000663 ", 15, 0);
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, 1732300000663);
    v = sl_string("2024-11-22T18:26:40.663Z", 24, 0);
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, 1732300000663);
    v = sl_double(1732300000663.9);
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, 1732300000663);
    v = sl_timestamp(1732300000663123);
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, 1732300000663);
    v = sl_timestamp(-1500); /* before 1970: rounds down */
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, -2);
    v = sl_date(1);
    assert_true(sl_search_value_time(&v, &t));
    assert_int_equal(t, 86400000);
    v = sl_string("soon", 4, 0);
    assert_false(sl_search_value_time(&v, &t));
    v = sl_bool(true);
    assert_false(sl_search_value_time(&v, &t));
}

/* ---- layouts ---- */

static char *text_default[] = {"message"};
static char *kw_default[] = {"service_name", "log_level"};

static sl_search_layout layout_default(void) {
    sl_search_layout l = {.text_fields = text_default,
                          .n_text = 1,
                          .keyword_fields = kw_default,
                          .n_keyword = 2,
                          .time_field = "timestamp",
                          .id_field = "log_id"};
    return l;
}

static void expect_layout_error(sl_search_layout l, const char *fragment) {
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_search_layout_check(&l, &err), SL_EINVAL);
    if (!strstr(err.message, fragment)) fail_msg("message '%s' lacks '%s'", err.message, fragment);
}

static void test_layout_check(void **state) {
    sl_search_layout l = layout_default();
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_search_layout_check(&l, &err), 0);
    sl_search_layout bad = l;
    bad.n_text = 0;
    expect_layout_error(bad, "at least one");
    char *dup[] = {"message"};
    bad = l;
    bad.keyword_fields = dup;
    bad.n_keyword = 1;
    expect_layout_error(bad, "listed twice");
    char *under[] = {"_id"};
    bad = l;
    bad.keyword_fields = under;
    expect_layout_error(bad, "reserved");
    char *quote[] = {"a\"b"};
    bad = l;
    bad.keyword_fields = quote;
    bad.n_keyword = 1;
    expect_layout_error(bad, "contains");
    sl_search_layout other = l;
    assert_true(sl_search_layout_equal(&l, &other));
    other.id_field = NULL;
    assert_false(sl_search_layout_equal(&l, &other));
}

/* ---- stage, merge, search ---- */

typedef struct fixture {
    char dir[64];
    char index[128];
    int n_stage;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sluice-test-search-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->index, sizeof f->index, "%s/logs.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sl_rmtree(f->dir, NULL);
    free(f);
    return 0;
}

/* Stage NDJSON lines (seq = first_seq, first_seq+1, …) into a new stage file;
 * returns its path (malloc'd). */
static char *stage_lines(fixture *f, const sl_search_layout *l, const char *const *lines, size_t n,
                         uint64_t first_seq) {
    char *path = malloc(200);
    snprintf(path, 200, "%s/stage-%d.db", f->dir, f->n_stage++);
    sl_search_stage *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_search_stage_open(path, l, &s, &err), 0);
    assert_int_equal(sl_search_stage_begin(s, &err), 0);
    sl_arena a;
    sl_arena_init(&a);
    for (size_t i = 0; i < n; i++) {
        sl_value rec;
        assert_int_equal(sl_json_parse(lines[i], strlen(lines[i]), &a, &rec, NULL), 0);
        uint64_t bytes = 0;
        int rc = sl_search_stage_add(s, first_seq + i, &rec, &a, &bytes, &err);
        if (rc) fail_msg("stage line %zu: %s", i, err.message);
        assert_true(bytes > 0);
    }
    assert_int_equal(sl_search_stage_end(s, &err), 0);
    sl_search_stage_close(s);
    sl_arena_free(&a);
    return path;
}

static void merge_lines(fixture *f, const sl_search_layout *l, bool overwrite, const char *const *lines, size_t n) {
    char *path = stage_lines(f, l, lines, n, 0);
    const char *paths[] = {path};
    sl_error err;
    sl_error_clear(&err);
    uint64_t written = 0;
    int rc = sl_search_merge(f->index, "logs", l, overwrite, paths, 1, "run-1", &written, &err);
    if (rc) fail_msg("merge: %s", err.message);
    assert_int_equal(written, n);
    unlink(path);
    free(path);
}

static const char *const logs[] = {
    "{\"log_id\":\"a\",\"timestamp\":1000,\"service_name\":\"auth-service\",\"log_level\":\"ERROR\","
    "\"message\":\"database query timeout after 445 ms\"}",
    "{\"log_id\":\"b\",\"timestamp\":\"2000\",\"service_name\":\"auth-service\",\"log_level\":\"INFO\","
    "\"message\":\"user login ok\"}",
    "{\"log_id\":\"c\",\"timestamp\":3000,\"service_name\":\"payment-service\",\"log_level\":\"ERROR\","
    "\"message\":\"Timeout talking to the bank; caf\\u00e9 closed\"}",
    "{\"log_id\":\"d\",\"timestamp\":\"1970-01-01T00:00:04Z\",\"service_name\":\"payment-service\","
    "\"log_level\":\"WARN\",\"message\":\"connection reset by peer\"}",
    "{\"log_id\":\"e\",\"service_name\":\"order-service\",\"log_level\":\"DEBUG\",\"message\":\"timer started\"}",
    "{\"log_id\":42,\"timestamp\":6000,\"service_name\":\"order-service\",\"log_level\":null,"
    "\"message\":\"reset the connection pool\",\"metadata\":{\"host\":\"srv-1\"}}",
};
#define N_LOGS (sizeof logs / sizeof logs[0])

typedef struct hits {
    char ids[32][16];
    int64_t times[32];
    bool has_time[32];
    size_t n;
} hits;

static int collect(void *ud, const sl_search_hit *h) {
    hits *out = ud;
    assert_true(out->n < 32);
    snprintf(out->ids[out->n], sizeof out->ids[0], "%s", h->id ? h->id : "-");
    out->times[out->n] = h->time_ms;
    out->has_time[out->n] = h->has_time;
    out->n++;
    return 0;
}

/* Search with a query and options; returns the ids in order joined by ','. */
static char *run_query(sl_search_index *ix, const char *text, sl_search_sort sort, uint64_t limit, const char *from,
                       const char *to) {
    static char out[256];
    sl_search_query q = parse_ok(text);
    sl_search_request req = {.query = &q, .sort = sort, .limit = limit};
    if (from) req.has_from = true, sl_search_parse_time(from, 0, &req.from_ms);
    if (to) req.has_to = true, sl_search_parse_time(to, 0, &req.to_ms);
    hits h = {0};
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_search_index_search(ix, &req, collect, &h, &err);
    if (rc) fail_msg("search '%s': %s", text, err.message);
    uint64_t count = 0;
    assert_int_equal(sl_search_index_count(ix, &req, &count, &err), 0);
    if (!limit) assert_int_equal(count, h.n);
    out[0] = 0;
    for (size_t i = 0; i < h.n; i++) {
        if (i) strcat(out, ",");
        strcat(out, h.ids[i]);
    }
    sl_search_query_free(&q);
    return out;
}

static sl_search_index *open_index(fixture *f) {
    sl_search_index *ix;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_search_index_open(f->index, &ix, &err);
    if (rc) fail_msg("open: %s", err.message);
    return ix;
}

static void test_index_and_search(void **state) {
    fixture *f = *state;
    sl_search_layout l = layout_default();
    merge_lines(f, &l, false, logs, N_LOGS);
    sl_search_index *ix = open_index(f);
    assert_string_equal(sl_search_index_name(ix), "logs");
    assert_true(sl_search_layout_equal(sl_search_index_layout(ix), &l));
    const sl_search_sort desc = SL_SEARCH_SORT_TIME_DESC, asc = SL_SEARCH_SORT_TIME_ASC;
    /* everything, newest first; the document without a time comes last */
    assert_string_equal(run_query(ix, "", desc, 0, NULL, NULL), "42,d,c,b,a,e");
    assert_string_equal(run_query(ix, "", asc, 0, NULL, NULL), "a,b,c,d,42,e");
    assert_string_equal(run_query(ix, "", desc, 2, NULL, NULL), "42,d");
    /* words: case-insensitive, all must occur */
    assert_string_equal(run_query(ix, "timeout", desc, 0, NULL, NULL), "c,a");
    assert_string_equal(run_query(ix, "TIMEOUT bank", desc, 0, NULL, NULL), "c");
    assert_string_equal(run_query(ix, "timeout service_name:auth-service log_level:ERROR", desc, 0, NULL, NULL), "a");
    /* accents do not matter */
    assert_string_equal(run_query(ix, "cafe", desc, 0, NULL, NULL), "c");
    assert_string_equal(run_query(ix, "caf\xc3\xa9", desc, 0, NULL, NULL), "c");
    /* phrases keep word order; prefixes */
    assert_string_equal(run_query(ix, "\"connection reset\"", desc, 0, NULL, NULL), "d");
    assert_string_equal(run_query(ix, "\"reset connection\"", desc, 0, NULL, NULL), "");
    assert_string_equal(run_query(ix, "\"reset the connection\"", desc, 0, NULL, NULL), "42");
    assert_string_equal(run_query(ix, "connection reset", desc, 0, NULL, NULL), "42,d");
    assert_string_equal(run_query(ix, "time*", desc, 0, NULL, NULL), "c,a,e");
    /* with a limit, common words walk the time index: same order, NULL times last */
    assert_string_equal(run_query(ix, "time*", desc, 2, NULL, NULL), "c,a");
    assert_string_equal(run_query(ix, "time*", asc, 3, NULL, NULL), "a,c,e");
    assert_string_equal(run_query(ix, "time* -timer", asc, 5, NULL, NULL), "a,c");
    assert_string_equal(run_query(ix, "reset", desc, 1, "1970-01-01T00:00:04Z", "6000"), "d");
    /* negation: of words, of fields (absent fields count as different) */
    assert_string_equal(run_query(ix, "time* -timer", desc, 0, NULL, NULL), "c,a");
    assert_string_equal(run_query(ix, "-timeout", desc, 0, NULL, NULL), "42,d,b,e");
    assert_string_equal(run_query(ix, "-log_level:ERROR", desc, 0, NULL, NULL), "42,d,b,e");
    assert_string_equal(run_query(ix, "-log_level:ERROR -\"connection\"", desc, 0, NULL, NULL), "b,e");
    /* exact fields: exact bytes, prefixes, presence, and ids */
    assert_string_equal(run_query(ix, "log_level:error", desc, 0, NULL, NULL), "");
    assert_string_equal(run_query(ix, "service_name:pay*", desc, 0, NULL, NULL), "d,c");
    assert_string_equal(run_query(ix, "log_level:*", desc, 0, NULL, NULL), "d,c,b,a,e");
    assert_string_equal(run_query(ix, "_id:42", desc, 0, NULL, NULL), "42");
    /* a text field named in a clause searches that field's words */
    assert_string_equal(run_query(ix, "message:reset", desc, 0, NULL, NULL), "42,d");
    /* time ranges are [from, to) in epoch ms or ISO 8601 */
    assert_string_equal(run_query(ix, "", asc, 0, "2000", "4000"), "b,c");
    assert_string_equal(run_query(ix, "", asc, 0, "1970-01-01T00:00:03Z", NULL), "c,d,42");
    assert_string_equal(run_query(ix, "-log_level:ERROR", asc, 0, NULL, "1970-01-01T00:00:05Z"), "b,d");
    /* relevance (BM25): the shorter text, where the term weighs more, comes first */
    assert_string_equal(run_query(ix, "timeout", SL_SEARCH_SORT_RELEVANCE, 0, NULL, NULL), "a,c");
    assert_string_equal(run_query(ix, "", SL_SEARCH_SORT_RELEVANCE, 2, NULL, NULL), "42,d"); /* no words: newest */
    /* a word with no letters or digits matches nothing */
    assert_string_equal(run_query(ix, "!!!", desc, 0, NULL, NULL), "");
    sl_search_index_close(ix);
}

static void test_search_errors(void **state) {
    fixture *f = *state;
    sl_search_layout l = layout_default();
    l.time_field = NULL;
    merge_lines(f, &l, false, logs, 2);
    sl_search_index *ix = open_index(f);
    sl_search_query q = parse_ok("host:srv-1");
    sl_search_request req = {.query = &q};
    sl_error err;
    sl_error_clear(&err);
    hits h = {0};
    assert_int_equal(sl_search_index_search(ix, &req, collect, &h, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "unknown field 'host'"));
    assert_non_null(strstr(err.message, "[service_name, log_level]"));
    sl_search_query_free(&q);
    q = parse_ok("x");
    req.query = &q;
    req.has_from = true;
    assert_int_equal(sl_search_index_search(ix, &req, collect, &h, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "no time field"));
    sl_search_query_free(&q);
    sl_search_index_close(ix);
    /* missing index, and a file that is not one */
    char path[200];
    snprintf(path, sizeof path, "%s/none.db", f->dir);
    assert_int_equal(sl_search_index_open(path, &ix, &err), SL_ENOTFOUND);
    snprintf(path, sizeof path, "%s/junk.db", f->dir);
    FILE *fp = fopen(path, "w");
    fputs("not sqlite at all, just text that is long enough to be looked at by sqlite...........", fp);
    fclose(fp);
    assert_true(sl_search_index_open(path, &ix, &err) < 0);
}

static uint64_t count_all(fixture *f, const char *text) {
    sl_search_index *ix = open_index(f);
    sl_search_query q = parse_ok(text);
    sl_search_request req = {.query = &q};
    uint64_t n = 0;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_search_index_count(ix, &req, &n, &err), 0);
    sl_search_query_free(&q);
    sl_search_index_close(ix);
    return n;
}

static void test_ids_replace(void **state) {
    fixture *f = *state;
    sl_search_layout l = layout_default();
    merge_lines(f, &l, false, logs, N_LOGS);
    merge_lines(f, &l, false, logs, N_LOGS); /* a re-run */
    assert_int_equal(count_all(f, ""), N_LOGS);
    const char *changed[] = {"{\"log_id\":\"a\",\"timestamp\":1000,\"message\":\"replaced text\"}"};
    merge_lines(f, &l, false, changed, 1);
    assert_int_equal(count_all(f, ""), N_LOGS);
    assert_int_equal(count_all(f, "replaced"), 1);
    assert_int_equal(count_all(f, "445"), 0); /* the old words left the full-text index */
    assert_int_equal(count_all(f, "log_level:ERROR"), 1);

    /* within one run the record with the larger seq wins, across stages */
    const char *first[] = {"{\"log_id\":\"z\",\"message\":\"first\"}", "{\"log_id\":\"y\",\"message\":\"one\"}"};
    const char *second[] = {"{\"log_id\":\"z\",\"message\":\"second\"}"};
    char *p1 = stage_lines(f, &l, first, 2, 10);
    char *p2 = stage_lines(f, &l, second, 1, 5); /* earlier in the input than p1's rows */
    const char *paths[] = {p1, p2};
    sl_error err;
    sl_error_clear(&err);
    uint64_t written;
    assert_int_equal(sl_search_merge(f->index, "logs", &l, false, paths, 2, "run-2", &written, &err), 0);
    assert_int_equal(written, 3);
    assert_int_equal(count_all(f, "first"), 1);
    assert_int_equal(count_all(f, "second"), 0);
    assert_int_equal(count_all(f, ""), N_LOGS + 2);
    free(p1);
    free(p2);
}

static void test_no_id_field_appends(void **state) {
    fixture *f = *state;
    sl_search_layout l = layout_default();
    l.id_field = NULL;
    merge_lines(f, &l, false, logs, N_LOGS);
    merge_lines(f, &l, false, logs, N_LOGS);
    assert_int_equal(count_all(f, ""), 2 * N_LOGS);
    merge_lines(f, &l, true, logs, 2); /* overwrite */
    assert_int_equal(count_all(f, ""), 2);
}

static void test_failed_merge_changes_nothing(void **state) {
    fixture *f = *state;
    sl_search_layout l = layout_default();
    sl_error err;
    sl_error_clear(&err);
    /* a merge that fails on a new index leaves no file */
    char *good = stage_lines(f, &l, logs, N_LOGS, 0);
    char missing[200];
    snprintf(missing, sizeof missing, "%s/missing-stage.db", f->dir);
    const char *paths[] = {good, missing};
    assert_true(sl_search_merge(f->index, "logs", &l, false, paths, 2, "run-x", NULL, &err) < 0);
    assert_false(sl_exists(f->index));
    /* on an existing index: the staged rows of the good stage are rolled back */
    merge_lines(f, &l, false, logs, 2);
    const char *more[] = {"{\"log_id\":\"n\",\"message\":\"newcomer\"}"};
    char *p = stage_lines(f, &l, more, 1, 0);
    const char *paths2[] = {p, missing};
    assert_true(sl_search_merge(f->index, "logs", &l, false, paths2, 2, "run-y", NULL, &err) < 0);
    assert_int_equal(count_all(f, ""), 2);
    assert_int_equal(count_all(f, "newcomer"), 0);
    /* a different layout is refused in append mode, and nothing changes */
    sl_search_layout other = l;
    other.n_keyword = 1;
    const char *paths3[] = {p};
    assert_int_equal(sl_search_merge(f->index, "logs", &other, false, paths3, 0, "run-z", NULL, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "mode: overwrite"));
    assert_int_equal(count_all(f, ""), 2);
    /* overwrite rebuilds with the new layout */
    assert_int_equal(sl_search_merge(f->index, "logs", &other, true, paths3, 0, "run-z", NULL, &err), 0);
    assert_int_equal(count_all(f, ""), 0);
    sl_search_layout have;
    assert_int_equal(sl_search_index_read_layout(f->index, &have, &err), 0);
    assert_int_equal(have.n_keyword, 1);
    sl_search_layout_free(&have);
    free(good);
    free(p);
}

static void test_stage_rejects(void **state) {
    fixture *f = *state;
    sl_search_layout l = layout_default();
    char path[200];
    snprintf(path, sizeof path, "%s/stage-r.db", f->dir);
    sl_search_stage *s;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_search_stage_open(path, &l, &s, &err), 0);
    assert_int_equal(sl_search_stage_begin(s, &err), 0);
    sl_arena a;
    sl_arena_init(&a);
    struct {
        const char *json, *reason;
    } bad[] = {
        {"{\"message\":\"no id\"}", "id field 'log_id' is missing"},
        {"{\"log_id\":null}", "missing or null"},
        {"{\"log_id\":[1]}", "an array"},
        {"{\"log_id\":\"x\",\"timestamp\":\"yesterday\"}", "cannot read 'yesterday'"},
        {"{\"log_id\":\"x\",\"timestamp\":{\"a\":1}}", "time field 'timestamp'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_value rec;
        assert_int_equal(sl_json_parse(bad[i].json, strlen(bad[i].json), &a, &rec, NULL), 0);
        assert_int_equal(sl_search_stage_add(s, i, &rec, &a, NULL, &err), SL_ETYPE);
        if (!strstr(err.message, bad[i].reason)) fail_msg("'%s': '%s'", bad[i].json, err.message);
    }
    sl_value not_struct = sl_int(1);
    assert_int_equal(sl_search_stage_add(s, 99, &not_struct, &a, NULL, &err), SL_ETYPE);
    assert_int_equal(sl_search_stage_end(s, &err), 0);
    sl_search_stage_close(s);
    sl_arena_free(&a);
}

/* ---- the target in a run ---- */

static void write_input(fixture *f, const char *name, int n, int bad_at) {
    char path[200];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < n; i++) {
        if (i == bad_at)
            fprintf(fp, "{\"log_id\":\"bad\",\"timestamp\":\"never\",\"message\":\"bad\"}\n");
        else
            fprintf(fp,
                    "{\"log_id\":\"id-%d\",\"timestamp\":%d,\"service_name\":\"svc-%d\",\"log_level\":\"INFO\","
                    "\"message\":\"event number %d %s\"}\n",
                    i, 1000 + i, i % 3, i, name);
    }
    fclose(fp);
}

static const char job_yaml[] = "settings: {batch_records: 10, error_output: %s/errors, max_errors: 0}\n"
                               "nodes:\n"
                               "  src: {type: read_file, path: %s/%s}\n"
                               "  idx: {type: search_index, input: src, path: %s/logs.db, id_field: log_id}\n";

static void test_target_run_and_failed_run(void **state) {
    fixture *f = *state;
    write_input(f, "good.json", 500, -1);
    write_input(f, "bad.json", 500, 450); /* fails the run after many batches were staged */
    char yaml[1024];
    snprintf(yaml, sizeof yaml, job_yaml, f->dir, f->dir, "good.json", f->dir);
    sl_error err;
    sl_error_clear(&err);
    sl_job *job;
    assert_int_equal(sl_job_load_text("job.yaml", yaml, strlen(yaml), NULL, 0, &job, &err), 0);
    sl_exec_options opts = {.threads = 2};
    sl_exec_result res;
    int rc = sl_exec_run(job, &opts, &res, &err);
    if (rc) fail_msg("run: %s", err.message);
    sl_job_free(job);
    assert_int_equal(count_all(f, ""), 500);
    assert_int_equal(count_all(f, "good"), 500);
    /* same job again: replaced, not duplicated */
    assert_int_equal(sl_job_load_text("job.yaml", yaml, strlen(yaml), NULL, 0, &job, &err), 0);
    assert_int_equal(sl_exec_run(job, &opts, &res, &err), 0);
    sl_job_free(job);
    assert_int_equal(count_all(f, ""), 500);

    snprintf(yaml, sizeof yaml, job_yaml, f->dir, f->dir, "bad.json", f->dir);
    assert_int_equal(sl_job_load_text("job.yaml", yaml, strlen(yaml), NULL, 0, &job, &err), 0);
    rc = sl_exec_run(job, &opts, &res, &err);
    sl_job_free(job);
    assert_int_equal(rc, SL_ELIMIT);
    assert_int_equal(count_all(f, ""), 500);
    assert_int_equal(count_all(f, "bad"), 0);
    assert_int_equal(count_all(f, "good"), 500); /* the documents replaced by the failed run are unchanged */
    /* no staging directory is left behind */
    sl_strlist files = {0};
    char pattern[200];
    snprintf(pattern, sizeof pattern, "%s/_staging-*", f->dir);
    assert_int_not_equal(sl_expand_path(pattern, true, &files, &err), 0);
    sl_strlist_free(&files);
}

/* Two targets of one run writing the same index stage apart and merge one
 * after the other (ids dedupe across them). */
static void test_two_targets_one_index(void **state) {
    fixture *f = *state;
    write_input(f, "two.json", 300, -1);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "nodes:\n"
             "  src: {type: read_file, path: %s/two.json}\n"
             "  a: {type: search_index, input: src, path: %s/logs.db, id_field: log_id}\n"
             "  b: {type: search_index, input: src, path: %s/logs.db, id_field: log_id}\n",
             f->dir, f->dir, f->dir);
    sl_error err;
    sl_error_clear(&err);
    sl_job *job;
    assert_int_equal(sl_job_load_text("job.yaml", yaml, strlen(yaml), NULL, 0, &job, &err), 0);
    sl_exec_options opts = {.threads = 2};
    sl_exec_result res;
    int rc = sl_exec_run(job, &opts, &res, &err);
    if (rc) fail_msg("run: %s", err.message);
    sl_job_free(job);
    assert_int_equal(count_all(f, ""), 300);
    assert_int_equal(count_all(f, "two"), 300);
}

static void test_target_options(void **state) {
    fixture *f = *state;
    sl_error err;
    sl_error_clear(&err);
    const char *bad[][2] = {
        {"nodes:\n  s: {type: read_file, path: x.json}\n  i: {type: search_index, input: s}\n", "set index"},
        {"nodes:\n  s: {type: read_file, path: x.json}\n  i: {type: search_index, input: s, index: 'a/b'}\n",
         "index name"},
        {"nodes:\n  s: {type: read_file, path: x.json}\n  i: {type: search_index, input: s, index: a, "
         "keyword_fields: [message]}\n",
         "listed twice"},
        {"nodes:\n  s: {type: read_file, path: x.json}\n  i: {type: search_index, input: s, index: a, "
         "text_fields: []}\n",
         "at least one"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_job *job = NULL;
        assert_int_equal(sl_job_load_text("job.yaml", bad[i][0], strlen(bad[i][0]), NULL, 0, &job, &err), SL_EINVAL);
        if (!strstr(err.message, bad[i][1])) fail_msg("case %zu: '%s'", i, err.message);
        assert_int_equal(err.line, 3);
    }
    (void)f;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_empty),
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_parse_phrases_prefixes_negation),
        cmocka_unit_test(test_parse_escapes_and_odd_words),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_time),
        cmocka_unit_test(test_value_time),
        cmocka_unit_test(test_layout_check),
        cmocka_unit_test_setup_teardown(test_index_and_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_id_field_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_merge_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_run_and_failed_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_targets_one_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_target_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
