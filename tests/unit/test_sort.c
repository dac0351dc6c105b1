/*
 * test_sort.c — property tests of `sort` and `coalesce` through the real
 * executor, between jobtest.h's in-memory source and collecting target.
 *
 * On seeded random data — nulls, missing fields, longs and doubles mixed
 * (-0.0, ties, longs beyond 2^53, decimals), strings, booleans, lists —
 * every run must give records that are
 *   - ordered by the keys (sl_value_compare, asc/desc, nulls first/last),
 *   - a permutation of the input (each record once, unchanged),
 *   - stable (equal keys keep input order),
 * and the same bytes in memory and spilling (tiny memory_limit), with 1 and
 * 4 threads and 1 or 5 input splits. The seed is printed; SORT_SEED=N
 * repeats a run (by default one fixed seed and one from the clock).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "transforms/sort.h"

#define JT_OUTCOME_EXTRA size_t spilled; /* runs the node `sorter` spilled */
#include "jobtest.h"

static void sort_stats(sl_job *job, jt_outcome *o) {
    sl_node *n = sl_job_find(job, "sorter");
    if (n && n->data) o->spilled = sl_sort_spilled_runs(n);
}

/* Run a job whose node under test is `sorter`, fed by the in-memory source
 * (`splits` splits of 7-record batches) and feeding the collector. */
static jt_outcome run_job(const char *yaml, const char *data, int threads, int64_t memory_limit, int splits) {
    char *text = sl_xmalloc(strlen(yaml) + 256);
    sprintf(text,
            "nodes:\n  src: {type: mem, data: \"${data}\", splits: %d, batch: 7}\n%s"
            "  out: {type: collect, input: sorter}\n",
            splits, yaml);
    jt_outcome o = jt_run(text, data, NULL, threads, memory_limit, sort_stats);
    free(text);
    return o;
}

/* ---- random data ---- */

static uint64_t rng;

static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

enum { NUM_DOUBLE, NUM_INT, NUM_MIXED };

/* A JSON value for field `a`: numbers of the given kind, with nulls. NULL
 * means the field is left out. */
static const char *number_text(int kind, char *buf, size_t size) {
    unsigned r = below(100);
    if (r < 8) return "null";
    if (r < 12) return NULL;
    static const char *const doubles[] = {"0.5", "-0.5", "0.0", "-0.0", "1.0", "2.5", "1e300", "-1e-300", "0.1"};
    static const char *const others[] = {"9007199254740993", "-9007199254740993", "12345678901234567890123",
                                         "1e400",            "true",              "false",
                                         "\"1\"",              "\"b\"",               "[1,2]",
                                         "[1]",              "{\"x\":1}",           "3"};
    switch (kind) {
    case NUM_DOUBLE:
        if (r < 50) return doubles[below(sizeof doubles / sizeof *doubles)];
        snprintf(buf, size, "%d.%03u", (int)below(2001) - 1000, below(1000));
        return buf;
    case NUM_INT:
        snprintf(buf, size, "%d", (int)below(41) - 20);
        return buf;
    default:
        if (r < 30) return others[below(sizeof others / sizeof *others)];
        if (r < 60) return doubles[below(sizeof doubles / sizeof *doubles)];
        snprintf(buf, size, "%d", (int)below(7) - 3);
        return buf;
    }
}

static const char *string_text(void) {
    static const char *const strings[] = {"\"\"",  "\"a\"", "\"ab\"", "\"abc\"", "\"b\"", "\"B\"", "\"\\u00e4\"",
                                          "\"aaaaaaaaaaaaaaaaaaaaaaaaa\"", "null", "\"a b\""};
    if (below(100) < 5) return NULL;
    return strings[below(sizeof strings / sizeof *strings)];
}

/* n records {"id": i, "a": …, "s": …, "pad": …} as JSON lines (the job's
 * `data` argument: arguments are substituted into the parsed option, so
 * quotes need no escaping). */
static char *make_data(int kind, size_t n) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        char num[64];
        const char *a = number_text(kind, num, sizeof num), *s = string_text();
        sl_buf_printf(&b, "{\"id\":%zu", i);
        if (a) sl_buf_printf(&b, ",\"a\":%s", a);
        if (s) sl_buf_printf(&b, ",\"s\":%s", s);
        sl_buf_printf(&b, ",\"pad\":\"%.*s\"}\n", (int)below(40), "0123456789012345678901234567890123456789");
    }
    return sl_buf_detach(&b);
}

/* ---- checking ---- */

typedef struct key_spec {
    const char *field;
    bool desc, nulls_first;
} key_spec;

static sl_value field_or_null(const sl_value *rec, const char *name) {
    const sl_value *v = sl_struct_get(rec, name);
    return v ? *v : sl_null();
}

/* The order the sort promises: per key, nulls first or last, then
 * sl_value_compare, desc reversed. */
static int key_order(const key_spec *keys, size_t n_keys, const sl_value *x, const sl_value *y) {
    for (size_t k = 0; k < n_keys; k++) {
        sl_value a = field_or_null(x, keys[k].field), b = field_or_null(y, keys[k].field);
        bool an = a.type == SL_T_NULL, bn = b.type == SL_T_NULL;
        int c;
        if (an || bn) {
            if (an && bn) continue;
            c = an ? -1 : 1;
            if (!keys[k].nulls_first) c = -c;
            return c;
        }
        c = sl_value_compare(&a, &b);
        if (c) return keys[k].desc ? -c : c;
    }
    return 0;
}

static size_t split_lines(char *text, char ***out) {
    size_t n = 0, cap = 16;
    char **lines = sl_xmalloc(cap * sizeof *lines);
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        if (n == cap) lines = sl_xrealloc(lines, (cap *= 2) * sizeof *lines);
        lines[n++] = p;
        if (!nl) break;
        p = nl + 1;
    }
    *out = lines;
    return n;
}

/* Check out (JSON lines) against the input lines: a permutation of them,
 * ordered by keys (n_keys 0: input order), ties in input order. */
static void check_sorted(const char *input, const char *out, const key_spec *keys, size_t n_keys, const char *what) {
    char *in_copy = sl_xstrdup(input), *out_copy = sl_xstrdup(out);
    char **in_lines, **out_lines;
    size_t n_in = split_lines(in_copy, &in_lines), n_out = split_lines(out_copy, &out_lines);
    if (n_in != n_out) print_error("%s: %zu records in, %zu out\n", what, n_in, n_out);
    assert_int_equal(n_in, n_out);
    sl_arena a;
    sl_arena_init(&a);
    sl_buf canon;
    sl_buf_init(&canon, 0);
    bool *seen = sl_xcalloc(n_in ? n_in : 1, sizeof *seen);
    sl_value prev = sl_null();
    int64_t prev_id = -1;
    for (size_t i = 0; i < n_out; i++) {
        sl_value rec;
        sl_error err;
        assert_int_equal(sl_json_parse(out_lines[i], strlen(out_lines[i]), &a, &rec, &err), 0);
        const sl_value *id = sl_struct_get(&rec, "id");
        assert_non_null(id);
        assert_true(id->type == SL_T_INT && id->u.i >= 0 && (size_t)id->u.i < n_in);
        assert_false(seen[id->u.i]); /* each record once */
        seen[id->u.i] = true;
        sl_value orig; /* unchanged: the input line, written the same way */
        assert_int_equal(sl_json_parse(in_lines[id->u.i], strlen(in_lines[id->u.i]), &a, &orig, &err), 0);
        sl_buf_reset(&canon);
        sl_json_write(&canon, &orig);
        if (strcmp(canon.data, out_lines[i])) print_error("%s: record changed:\n%s\n%s\n", what, canon.data, out_lines[i]);
        assert_string_equal(canon.data, out_lines[i]);
        if (i) {
            int c = n_keys ? key_order(keys, n_keys, &prev, &rec) : 0;
            if (c > 0 || (c == 0 && prev_id > id->u.i))
                print_error("%s: out of order at output line %zu:\n%s\n%s\n", what, i + 1, out_lines[i - 1],
                            out_lines[i]);
            assert_true(c < 0 || (c == 0 && prev_id < id->u.i));
        }
        prev = rec;
        prev_id = id->u.i;
    }
    free(seen);
    sl_buf_free(&canon);
    sl_arena_free(&a);
    free(in_lines);
    free(out_lines);
    free(in_copy);
    free(out_copy);
}

/* Run the job in every configuration: 1 and 4 threads, 1 and 5 splits, in
 * memory and spilling. Every output must pass check_sorted and equal the
 * first one byte for byte. */
static void check_matrix(const char *yaml, int kind, size_t n, const key_spec *keys, size_t n_keys, const char *what) {
    char *data = make_data(kind, n);
    const char *input = data;
    char *reference = NULL;
    static const int threads[] = {1, 4};
    static const int splits[] = {1, 5};
    static const int64_t limits[] = {0, 8 * 1024};
    for (size_t l = 0; l < 2; l++)
        for (size_t t = 0; t < 2; t++)
            for (size_t s = 0; s < 2; s++) {
                char label[160];
                snprintf(label, sizeof label, "%s (threads %d, splits %d, memory_limit %s)", what, threads[t],
                         splits[s], limits[l] ? "8KB" : "default");
                jt_outcome o = run_job(yaml, data, threads[t], limits[l], splits[s]);
                if (o.rc) print_error("%s: run failed: %s\n", label, o.message);
                assert_int_equal(o.rc, 0);
                assert_int_equal(o.rejected, 0);
                if (limits[l]) assert_true(o.spilled > 0); /* the external path really ran */
                else assert_int_equal(o.spilled, 0);
                check_sorted(input, o.out, keys, n_keys, label);
                if (!reference) {
                    reference = o.out;
                    continue;
                }
                if (strcmp(reference, o.out)) print_error("%s: output differs from the first run\n", label);
                assert_string_equal(reference, o.out);
                free(o.out);
            }
    free(reference);
    free(data);
}

static uint64_t seeds[2];

static void for_each_seed(void (*body)(void)) {
    for (size_t i = 0; i < 2; i++) {
        if (!seeds[i]) continue;
        rng = seeds[i];
        body();
    }
}

static void doubles_body(void) {
    const key_spec keys[] = {{"a", false, true}};
    check_matrix("  sorter: {type: sort, input: src, keys: [a]}\n", NUM_DOUBLE, 1500, keys, 1, "doubles asc");
}

static void ints_body(void) {
    const key_spec keys[] = {{"a", true, true}};
    check_matrix("  sorter: {type: sort, input: src, keys: [\"a desc nulls first\"]}\n", NUM_INT, 1500, keys, 1,
                 "longs desc nulls first");
}

static void mixed_body(void) {
    const key_spec keys[] = {{"a", false, false}};
    check_matrix("  sorter: {type: sort, input: src, keys: [\"a asc nulls last\"]}\n", NUM_MIXED, 1500, keys, 1,
                 "mixed types asc nulls last");
}

static void multi_body(void) {
    const key_spec keys[] = {{"s", true, false}, {"a", false, true}};
    check_matrix("  sorter: {type: sort, input: src, keys: [\"s desc\", \"a asc nulls first\"]}\n", NUM_MIXED, 1500,
                 keys, 2, "two keys: s desc, a asc nulls first");
}

static void strings_body(void) {
    const key_spec keys[] = {{"s", false, true}, {"a", true, false}};
    check_matrix("  sorter: {type: sort, input: src, keys: [s, \"a desc\"]}\n", NUM_DOUBLE, 1500, keys, 2,
                 "strings, then doubles desc");
}

static void coalesce_body(void) {
    check_matrix("  sorter: {type: coalesce, input: src, partitions: 3}\n", NUM_MIXED, 1000, NULL, 0,
                 "coalesce keeps input order");
}

static void test_sort_doubles(void **state) { for_each_seed(doubles_body); }
static void test_sort_longs_desc(void **state) { for_each_seed(ints_body); }
static void test_sort_mixed_types(void **state) { for_each_seed(mixed_body); }
static void test_sort_two_keys(void **state) { for_each_seed(multi_body); }
static void test_sort_strings(void **state) { for_each_seed(strings_body); }
static void test_coalesce_order(void **state) { for_each_seed(coalesce_body); }

/* Records of ever-changing field names: past the shape table's capacity
 * rows hold their records whole, in memory and spilled. */
static void test_sort_many_shapes(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        sl_buf_printf(&b, "{\"id\":%d,\"k%d\":%d,\"v\":%d,\"nested\":{\"x%d\":[%d]}}\n", i, i, i, (i * 7919) % 600,
                      i % 3, i);
    char *data = sl_buf_detach(&b);
    const key_spec keys[] = {{"v", true, false}};
    for (int64_t limit = 0; limit <= 64 * 1024; limit += 64 * 1024) {
        jt_outcome o = run_job("  sorter: {type: sort, input: src, keys: [\"v desc\"]}\n", data, 2, limit, 3);
        if (o.rc) print_error("%s\n", o.message);
        assert_int_equal(o.rc, 0);
        assert_true(limit ? o.spilled > 0 : o.spilled == 0);
        check_sorted(data, o.out, keys, 1, limit ? "many shapes, spilling" : "many shapes");
        free(o.out);
    }
    free(data);
}

/* A key that cannot be computed sends its record to the error output; the
 * others are sorted. */
static void test_sort_key_errors(void **state) {
    const char *yaml = "  sorter: {type: sort, input: src, keys: [\"cast(s as long)\"]}\n";
    const char *data = "{\"s\":\"3\"}\n{\"s\":\"x\"}\n{\"s\":\"1\"}\n{\"s\":null}\n";
    jt_outcome o = run_job(yaml, data, 2, 0, 2);
    if (o.rc) print_error("%s\n", o.message);
    assert_int_equal(o.rc, 0);
    assert_int_equal(o.rejected, 1);
    assert_string_equal(o.out, "{\"s\":null}\n{\"s\":\"1\"}\n{\"s\":\"3\"}\n");
    free(o.out);
}

/* Nothing in, nothing out; a bad key spec is a load error. */
static void test_sort_empty_and_bad_keys(void **state) {
    jt_outcome o = run_job("  sorter: {type: sort, input: src, keys: [a]}\n", "", 4, 0, 3);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.out, "");
    free(o.out);
    o = run_job("  sorter: {type: sort, input: src, keys: [\"a first\"]}\n", "", 1, 0, 1);
    assert_int_not_equal(o.rc, 0);
    assert_non_null(strstr(o.message, "nulls first"));
    free(o.out);
}

int main(void) {
    const char *env = getenv("SORT_SEED");
    seeds[0] = env && *env ? strtoull(env, NULL, 10) : 20261123;
    seeds[1] = env && *env ? 0 : ((uint64_t)time(NULL) * 2654435761u) ^ (uint64_t)getpid();
    if (!seeds[0]) seeds[0] = 1;
    printf("test_sort: seeds %llu %llu (SORT_SEED=N repeats one)\n", (unsigned long long)seeds[0],
           (unsigned long long)seeds[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_doubles),     cmocka_unit_test(test_sort_longs_desc),
        cmocka_unit_test(test_sort_mixed_types), cmocka_unit_test(test_sort_two_keys),
        cmocka_unit_test(test_sort_strings),     cmocka_unit_test(test_coalesce_order),
        cmocka_unit_test(test_sort_many_shapes), cmocka_unit_test(test_sort_key_errors),
        cmocka_unit_test(test_sort_empty_and_bad_keys),
    };
    return cmocka_run_group_tests(tests, jt_setup, jt_teardown);
}
