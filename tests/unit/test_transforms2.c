/*
 * test_transforms2.c — aggregate, limit, dedupe, union, drop_null_fields,
 * fill_missing, spigot, resolve_choice, unbox, flatten/unnest, run through
 * the real executor between an in-memory source ("mem": JSON lines split
 * into N splits of small batches) and a collecting target ("collect": the
 * records as JSON lines, in split order).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "transforms/group.h"

#include "jobtest.h"

static jt_outcome run(const char *yaml, const char *data, int threads) {
    return jt_run(yaml, data, NULL, threads, 0, NULL);
}

/* Run and check the output and the number of rejected records. */
static void expect(const char *yaml, const char *data, int threads, const char *want, uint64_t rejected) {
    jt_outcome o = run(yaml, data, threads);
    if (o.rc) print_error("run failed: %s\n", o.message);
    assert_int_equal(o.rc, 0);
    if (strcmp(o.out, want)) print_error("got:\n%s\nwant:\n%s\n", o.out, want);
    assert_string_equal(o.out, want);
    assert_int_equal(o.rejected, rejected);
    free(o.out);
}

#define SRC "nodes:\n  src: {type: mem, data: \"${data}\", splits: 3}\n"
#define SINK(in) "  out: {type: collect, input: " in "}\n"

/* ---- aggregate ---- */

static const char *sales = "{\"svc\":\"a\",\"n\":1,\"s\":\"x\",\"meta\":{\"host\":\"h1\"}}\n"
                           "{\"svc\":\"b\",\"n\":2,\"s\":\"y\",\"meta\":{\"host\":\"h2\"}}\n"
                           "{\"svc\":\"a\",\"n\":3,\"s\":\"x\",\"meta\":{\"host\":\"h1\"}}\n"
                           "{\"svc\":\"a\",\"n\":null,\"s\":\"z\",\"meta\":null}\n"
                           "{\"n\":5}\n"
                           "{\"svc\":\"b\",\"n\":4.5,\"s\":\"y\"}\n";

static void test_aggregate_functions(void **state) {
    const char *yaml =
        SRC "  agg:\n    type: aggregate\n    input: src\n    group_by: [svc]\n"
            "    aggregates: {c: \"count(*)\", cn: count(n), t: sum(n), a: avg(n), mn: min(s), mx: max(s),"
            " f: first(n), l: last(s), d: count_distinct(s), vp: var_pop(n)}\n" SINK("agg");
    const char *want =
        "{\"svc\":null,\"c\":1,\"cn\":1,\"t\":5,\"a\":5.0,\"mn\":null,\"mx\":null,\"f\":5,\"l\":null,"
        "\"d\":0,\"vp\":0.0}\n"
        "{\"svc\":\"a\",\"c\":3,\"cn\":2,\"t\":4,\"a\":2.0,\"mn\":\"x\",\"mx\":\"z\",\"f\":1,\"l\":\"z\","
        "\"d\":2,\"vp\":1.0}\n"
        "{\"svc\":\"b\",\"c\":2,\"cn\":2,\"t\":6.5,\"a\":3.25,\"mn\":\"y\",\"mx\":\"y\",\"f\":2,\"l\":\"y\","
        "\"d\":1,\"vp\":1.5625}\n";
    for (int threads = 1; threads <= 4; threads *= 2)
        expect(yaml, sales, threads, want, 0);
}

static void test_aggregate_nested_and_expression_keys(void **state) {
    const char *yaml = SRC "  agg:\n    type: aggregate\n    input: src\n"
                           "    group_by: [meta.host, \"upper(svc) as service\"]\n"
                           "    aggregates: [\"count(*) as n\", sum(n)]\n" SINK("agg");
    const char *want = "{\"host\":null,\"service\":null,\"n\":1,\"sum(n)\":5}\n"
                       "{\"host\":null,\"service\":\"A\",\"n\":1,\"sum(n)\":null}\n"
                       "{\"host\":null,\"service\":\"B\",\"n\":1,\"sum(n)\":4.5}\n"
                       "{\"host\":\"h1\",\"service\":\"A\",\"n\":2,\"sum(n)\":4}\n"
                       "{\"host\":\"h2\",\"service\":\"B\",\"n\":1,\"sum(n)\":2}\n";
    expect(yaml, sales, 2, want, 0);
}

static void test_aggregate_empty_input(void **state) {
    const char *global =
        SRC "  agg: {type: aggregate, input: src, aggregates: {n: \"count(*)\", s: sum(x), m: max(x)}}\n" SINK("agg");
    expect(global, "", 2, "{\"n\":0,\"s\":null,\"m\":null}\n", 0);
    const char *grouped =
        SRC "  agg: {type: aggregate, input: src, group_by: [k], aggregates: {n: \"count(*)\"}}\n" SINK("agg");
    expect(grouped, "", 2, "", 0);
}

static void test_aggregate_numbers(void **state) {
    const char *yaml = SRC "  agg: {type: aggregate, input: src, aggregates: {s: sum(x), d: \"count(distinct x)\", "
                           "sd: sum_distinct(x)}}\n" SINK("agg");
    /* a numeric string counts as a number; 1 and 1.0 are distinct values */
    expect(yaml, "{\"x\":1}\n{\"x\":\"2\"}\n{\"x\":1.0}\n{\"x\":1}\n", 1, "{\"s\":5.0,\"d\":3,\"sd\":4.0}\n", 0);
    /* long overflow continues in double */
    expect(yaml, "{\"x\":9223372036854775807}\n{\"x\":1}\n", 1,
           "{\"s\":9.223372036854776e+18,\"d\":2,\"sd\":9.223372036854776e+18}\n", 0);
    /* a value that is not a number goes to the error output and counts nowhere */
    expect(yaml, "{\"x\":1}\n{\"x\":\"abc\"}\n{\"x\":true}\n{\"x\":2}\n", 2, "{\"s\":3,\"d\":2,\"sd\":3}\n", 2);
}

static void test_aggregate_option_errors(void **state) {
    jt_expect_load_error(SRC "  agg: {type: aggregate, input: src, aggregates: {n: \"median(x)\"}}\n" SINK("agg"),
                         "unknown function 'median'");
    jt_expect_load_error(SRC "  agg: {type: aggregate, input: src, aggregates: {n: \"sum(x\"}}\n" SINK("agg"),
                         "expected a function call");
    jt_expect_load_error(SRC "  agg: {type: aggregate, input: src, aggregates: {n: \"sum(*)\"}}\n" SINK("agg"),
                         "only count takes *");
    jt_expect_load_error(
        SRC "  agg: {type: aggregate, input: src, group_by: [n], aggregates: {n: \"count(*)\"}}\n" SINK("agg"),
        "defined twice");
    jt_expect_load_error(SRC "  agg: {type: aggregate, input: src, aggregates: {n: \"sum(x +)\"}}\n" SINK("agg"),
                         "aggregate 'sum(x +)'");
}

/* Random-ish data with many groups: the spilled aggregation (tiny memory
 * limit) equals the in-memory one, whatever the thread count. */
static char *many_groups(size_t n, size_t groups) {
    sl_buf b;
    sl_buf_init(&b, 0);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        sl_buf_printf(&b, "{\"k\":\"g%zu\",\"v\":%d,\"w\":\"%c%c\",\"seq\":%zu}\n", (size_t)(x % groups),
                      (int)((x >> 40) % 1000) - 500, 'a' + (int)((x >> 20) % 26), 'a' + (int)((x >> 30) % 3), i);
    }
    return sl_buf_detach(&b);
}

/* Did node `name` of the job spill (group engine) with this memory limit? */
static size_t group_spills(const char *yaml, const char *data, const char *name, int threads, int64_t limit) {
    sl_error err;
    sl_job *job = jt_load(yaml, data, NULL, &err);
    assert_non_null(job);
    job->settings.memory_limit = limit;
    sl_exec_options opts = {.threads = threads};
    sl_exec_result res;
    assert_int_equal(sl_exec_run(job, &opts, &res, &err), 0);
    size_t runs = sl_group_spilled_runs(sl_job_find(job, name)->data);
    sl_job_free(job);
    jt_parts_clear();
    return runs;
}

static void test_aggregate_spills(void **state) {
    char *data = many_groups(20000, 4000);
    const char *yaml =
        SRC "  agg:\n    type: aggregate\n    input: src\n    group_by: [k]\n"
            "    aggregates: {n: \"count(*)\", s: sum(v), mn: min(w), d: count_distinct(w), f: first(seq),"
            " l: last(v), a: avg(v)}\n" SINK("agg");
    char *y2 = sl_xmalloc(strlen(yaml) + 32);
    strcpy(y2, yaml);
    char *splits = strstr(y2, "splits: 3");
    splits[8] = '8';
    jt_outcome ref = jt_run(y2, data, NULL, 1, 0, NULL);
    if (ref.rc) print_error("%s\n", ref.message);
    assert_int_equal(ref.rc, 0);
    size_t lines = 0;
    for (const char *p = ref.out; *p; p++)
        lines += *p == '\n';
    assert_true(lines > 3500 && lines <= 4000);
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = jt_run(y2, data, NULL, threads, 256 * 1024, NULL);
        assert_int_equal(o.rc, 0);
        assert_string_equal(o.out, ref.out);
        free(o.out);
    }
    /* the spilled path really ran */
    assert_true(group_spills(y2, data, "agg", 2, 256 * 1024) > 0);
    free(ref.out);
    free(y2);
    free(data);
}

static void test_aggregate_moments(void **state) {
    const char *yaml =
        SRC "  agg: {type: aggregate, input: src, aggregates: {vp: var_pop(x), vs: var_samp(x), sp: stddev_pop(x),"
            " ss: stddev_samp(x), sk: skewness(x), ku: kurtosis(x), one: var_samp(y)}}\n" SINK("agg");
    /* 1 2 3 4 10: mean 4, M2 50, M3 180, M4 1394 */
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = run(yaml, "{\"x\":1,\"y\":3}\n{\"x\":2}\n{\"x\":3.0}\n{\"x\":4}\n{\"x\":10}\n", threads);
        assert_int_equal(o.rc, 0);
        sl_arena a;
        sl_arena_init(&a);
        sl_value v;
        assert_int_equal(sl_json_parse(o.out, strlen(o.out), &a, &v, NULL), 0);
        const struct {
            const char *name;
            double want;
        } checks[] = {{"vp", 10},
                      {"vs", 12.5},
                      {"sp", 3.1622776601683795},
                      {"ss", 3.5355339059327378},
                      {"sk", 1.1384199576606167},
                      {"ku", -0.212}};
        for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
            const sl_value *x = sl_struct_get(&v, checks[i].name);
            assert_non_null(x);
            assert_int_equal(x->type, SL_T_DOUBLE);
            assert_true(fabs(x->u.d - checks[i].want) < 1e-12);
        }
        assert_int_equal(sl_struct_get(&v, "one")->type, SL_T_NULL); /* a sample variance of one value */
        sl_arena_free(&a);
        free(o.out);
    }
}

/* ---- limit ---- */

static const char *ten =
    "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n{\"i\":4}\n{\"i\":5}\n{\"i\":6}\n{\"i\":7}\n{\"i\":8}\n"
    "{\"i\":9}\n";

static void test_limit(void **state) {
    for (int threads = 1; threads <= 4; threads *= 2) {
        expect(SRC "  lim: {type: limit, input: src, n: 4}\n" SINK("lim"), ten, threads,
               "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n", 0);
        expect(SRC "  lim: {type: limit, input: src, n: 0}\n" SINK("lim"), ten, threads, "", 0);
        jt_outcome o = run(SRC "  lim: {type: limit, input: src, n: 100}\n" SINK("lim"), ten, threads);
        assert_string_equal(o.out, ten);
        free(o.out);
    }
    expect(SRC "  lim: {type: limit, input: src, n: 3}\n" SINK("lim"), "", 2, "", 0);
    jt_expect_load_error(SRC "  lim: {type: limit, input: src, n: -1}\n" SINK("lim"), "n must be 0 or more");
}

/* ---- dedupe ---- */

static const char *dups = "{\"k\":1,\"v\":\"a\"}\n{\"k\":2,\"v\":\"b\"}\n{\"k\":1,\"v\":\"c\"}\n{\"v\":\"d\"}\n"
                          "{\"k\":2,\"v\":\"b\"}\n{\"k\":null,\"v\":\"e\"}\n";

static void test_dedupe(void **state) {
    for (int threads = 1; threads <= 4; threads *= 2) {
        expect(SRC "  dd: {type: dedupe, input: src, keys: [k]}\n" SINK("dd"), dups, threads,
               "{\"k\":1,\"v\":\"a\"}\n{\"k\":2,\"v\":\"b\"}\n{\"v\":\"d\"}\n", 0);
        expect(SRC "  dd: {type: dedupe, input: src, keys: [k], keep: last}\n" SINK("dd"), dups, threads,
               "{\"k\":1,\"v\":\"c\"}\n{\"k\":2,\"v\":\"b\"}\n{\"k\":null,\"v\":\"e\"}\n", 0);
        expect(SRC "  dd: {type: dedupe, input: src}\n" SINK("dd"), dups, threads,
               "{\"k\":1,\"v\":\"a\"}\n{\"k\":2,\"v\":\"b\"}\n{\"k\":1,\"v\":\"c\"}\n{\"v\":\"d\"}\n"
               "{\"k\":null,\"v\":\"e\"}\n",
               0);
    }
    expect(SRC "  dd: {type: dedupe, input: src, keys: [k]}\n" SINK("dd"), "", 2, "", 0);
}

static void test_dedupe_spills(void **state) {
    char *data = many_groups(20000, 3000);
    const char *yaml = SRC "  dd: {type: dedupe, input: src, keys: [k], keep: last}\n" SINK("dd");
    jt_outcome ref = jt_run(yaml, data, NULL, 1, 0, NULL);
    assert_int_equal(ref.rc, 0);
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = jt_run(yaml, data, NULL, threads, 256 * 1024, NULL);
        assert_int_equal(o.rc, 0);
        assert_string_equal(o.out, ref.out);
        free(o.out);
    }
    assert_true(group_spills(yaml, data, "dd", 2, 256 * 1024) > 0);
    assert_int_equal(group_spills(yaml, data, "dd", 2, 0), 0);
    free(ref.out);
    free(data);
}

/* ---- union ---- */

static void test_union(void **state) {
    const char *yaml = "nodes:\n  a: {type: mem, data: \"${data}\"}\n  b: {type: mem, data: \"${data2}\"}\n"
                       "  u: {type: union, inputs: [a, b]}\n" SINK("u");
    jt_outcome o = jt_run(yaml, "{\"x\":1}\n{\"x\":2}\n", "{\"y\":\"z\"}\n", 2, 0, NULL);
    assert_int_equal(o.rc, 0);
    assert_non_null(strstr(o.out, "{\"x\":1}\n{\"x\":2}\n"));
    assert_non_null(strstr(o.out, "{\"y\":\"z\"}\n"));
    assert_int_equal(strlen(o.out), strlen("{\"x\":1}\n{\"x\":2}\n{\"y\":\"z\"}\n"));
    free(o.out);
    const char *distinct = "nodes:\n  a: {type: mem, data: \"${data}\"}\n  b: {type: mem, data: \"${data2}\"}\n"
                           "  u: {type: union, inputs: [a, b], distinct: true}\n" SINK("u");
    o = jt_run(distinct, "{\"x\":1}\n{\"x\":2}\n{\"x\":1}\n", "{\"x\":2}\n{\"x\":3}\n", 2, 0, NULL);
    assert_int_equal(o.rc, 0);
    assert_non_null(strstr(o.out, "{\"x\":1}\n{\"x\":2}\n"));
    assert_non_null(strstr(o.out, "{\"x\":3}\n"));
    assert_int_equal(strlen(o.out), strlen("{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n"));
    free(o.out);
    jt_expect_load_error("nodes:\n  a: {type: mem}\n  u: {type: union, inputs: [a]}\n" SINK("u"), "at least 2 inputs");
}

/* ---- drop_null_fields ---- */

static void test_drop_null_fields(void **state) {
    const char *data = "{\"a\":null,\"b\":1,\"c\":{\"d\":null,\"e\":[{\"f\":null,\"g\":2},null]},\"h\":\"\"}\n"
                       "{\"a\":\"null\",\"b\":-1,\"i\":\"N/A\",\"j\":0}\n{}\n";
    expect(SRC "  dn: {type: drop_null_fields, input: src}\n" SINK("dn"), data, 2,
           "{\"b\":1,\"c\":{\"e\":[{\"g\":2},null]},\"h\":\"\"}\n{\"a\":\"null\",\"b\":-1,\"i\":\"N/A\",\"j\":0}\n{}\n",
           0);
    expect(SRC "  dn: {type: drop_null_fields, input: src, empty_string: true, null_string: true, minus_one: true,"
               " null_values: [\"N/A\", \"0\"]}\n" SINK("dn"),
           data, 2, "{\"b\":1,\"c\":{\"e\":[{\"g\":2},null]}}\n{}\n{}\n", 0);
}

/* ---- fill_missing ---- */

static void test_fill_missing(void **state) {
    const char *data = "{\"a\":null,\"b\":1,\"m\":{\"r\":null}}\n{\"b\":null}\n{\"a\":\"x\",\"m\":{\"r\":\"eu\"}}\n";
    expect(
        SRC "  fm: {type: fill_missing, input: src, fields: [a, m.r], value: \"0\"}\n" SINK("fm"), data, 2,
        "{\"a\":0,\"b\":1,\"m\":{\"r\":0}}\n{\"b\":null,\"a\":0,\"m\":{\"r\":0}}\n{\"a\":\"x\",\"m\":{\"r\":\"eu\"}}\n",
        0);
    expect(SRC "  fm: {type: fill_missing, input: src, value: none}\n" SINK("fm"), data, 1,
           "{\"a\":\"none\",\"b\":1,\"m\":{\"r\":null}}\n{\"b\":\"none\"}\n{\"a\":\"x\",\"m\":{\"r\":\"eu\"}}\n", 0);
    expect(SRC "  fm:\n    type: fill_missing\n    input: src\n"
               "    defaults: {a: {value: \"02134\", type: string}, b: 2.5, c: \"true\", d: {value: \"2024-01-02\", "
               "type: date}}\n" SINK("fm"),
           "{\"a\":null}\n", 1, "{\"a\":\"02134\",\"b\":2.5,\"c\":true,\"d\":\"2024-01-02\"}\n", 0);
    jt_expect_load_error(SRC "  fm: {type: fill_missing, input: src, fields: [a]}\n" SINK("fm"), "needs a 'value'");
    jt_expect_load_error(SRC "  fm: {type: fill_missing, input: src}\n" SINK("fm"), "needs 'value'");
    jt_expect_load_error(SRC "  fm: {type: fill_missing, input: src, value: x, value_type: long}\n" SINK("fm"),
                         "value 'x'");
}

/* ---- spigot ---- */

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_adds(&b, "");
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sl_buf_add(&b, chunk, n);
    fclose(f);
    return sl_buf_detach(&b);
}

static void test_spigot(void **state) {
    char yaml[512], path[128];
    snprintf(path, sizeof path, "%s/sample/s.json", jt_dir);
    snprintf(yaml, sizeof yaml, SRC "  sp: {type: spigot, input: src, path: %s, topk: 3}\n" SINK("sp"), path);
    for (int threads = 1; threads <= 4; threads *= 2) {
        expect(yaml, ten, threads, ten, 0); /* records pass through */
        char *s = read_all(path);
        assert_non_null(s);
        assert_string_equal(s, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
        free(s);
    }
    char *data = many_groups(3000, 10);
    snprintf(yaml, sizeof yaml, SRC "  sp: {type: spigot, input: src, path: %s, prob: 0.1, seed: 7}\n" SINK("sp"),
             path);
    char *first = NULL;
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = run(yaml, data, threads);
        assert_int_equal(o.rc, 0);
        free(o.out);
        char *s = read_all(path);
        assert_non_null(s);
        size_t lines = 0;
        for (const char *p = s; *p; p++)
            lines += *p == '\n';
        assert_true(lines > 200 && lines < 400);
        if (!first)
            first = s;
        else
            assert_string_equal(s, first), free(s);
    }
    free(first);
    free(data);
    /* no input: an empty sample file */
    snprintf(yaml, sizeof yaml, SRC "  sp: {type: spigot, input: src, path: %s}\n" SINK("sp"), path);
    expect(yaml, "", 2, "", 0);
    char *s = read_all(path);
    assert_string_equal(s, "");
    free(s);
}

/* ---- resolve_choice ---- */

static const char *mixed = "{\"id\":1,\"p\":1,\"m\":{\"q\":\"7\"}}\n{\"id\":2,\"p\":\"2.5\",\"m\":{\"q\":8}}\n"
                           "{\"id\":3,\"p\":null}\n{\"id\":4,\"p\":\"abc\"}\n{\"id\":5}\n";

static void test_resolve_choice_specs(void **state) {
    expect(SRC "  rc: {type: resolve_choice, input: src, specs: {p: \"cast:double\", m.q: \"cast:long\"}}\n" SINK("rc"),
           mixed, 2,
           "{\"id\":1,\"p\":1.0,\"m\":{\"q\":7}}\n{\"id\":2,\"p\":2.5,\"m\":{\"q\":8}}\n{\"id\":3,\"p\":null}\n{\"id\":"
           "5}\n",
           1);
    expect(
        SRC "  rc: {type: resolve_choice, input: src, specs: {p: \"project:string\"}}\n" SINK("rc"), mixed, 1,
        "{\"id\":1,\"p\":null,\"m\":{\"q\":\"7\"}}\n{\"id\":2,\"p\":\"2.5\",\"m\":{\"q\":8}}\n{\"id\":3,\"p\":null}\n"
        "{\"id\":4,\"p\":\"abc\"}\n{\"id\":5}\n",
        0);
    expect(SRC "  rc: {type: resolve_choice, input: src, specs: {p: make_cols}}\n" SINK("rc"), mixed, 1,
           "{\"id\":1,\"p_long\":1,\"m\":{\"q\":\"7\"}}\n{\"id\":2,\"p_string\":\"2.5\",\"m\":{\"q\":8}}\n"
           "{\"id\":3,\"p\":null}\n{\"id\":4,\"p_string\":\"abc\"}\n{\"id\":5}\n",
           0);
    expect(SRC "  rc: {type: resolve_choice, input: src, specs: {m.q: make_struct}}\n" SINK("rc"),
           "{\"m\":{\"q\":\"7\",\"z\":0}}\n", 1, "{\"m\":{\"q\":{\"string\":\"7\"},\"z\":0}}\n", 0);
    jt_expect_load_error(SRC "  rc: {type: resolve_choice, input: src, specs: {p: \"cast:nope\"}}\n" SINK("rc"),
                         "unknown type 'nope'");
    jt_expect_load_error(SRC "  rc: {type: resolve_choice, input: src, choice: flatten}\n" SINK("rc"),
                         "unknown action");
    jt_expect_load_error(SRC "  rc: {type: resolve_choice, input: src}\n" SINK("rc"), "needs 'specs'");
}

static void test_resolve_choice_frame(void **state) {
    /* p is long|string over the frame; m.q too; id is always long and is left alone */
    for (int threads = 1; threads <= 4; threads *= 2) {
        expect(SRC "  rc: {type: resolve_choice, input: src, choice: make_cols}\n" SINK("rc"), mixed, threads,
               "{\"id\":1,\"p_long\":1,\"p_string\":null,\"m\":{\"q_long\":null,\"q_string\":\"7\"}}\n"
               "{\"id\":2,\"p_long\":null,\"p_string\":\"2.5\",\"m\":{\"q_long\":8,\"q_string\":null}}\n"
               "{\"id\":3,\"p_long\":null,\"p_string\":null}\n"
               "{\"id\":4,\"p_long\":null,\"p_string\":\"abc\"}\n{\"id\":5}\n",
               0);
    }
    expect(SRC "  rc: {type: resolve_choice, input: src, choice: \"cast:string\", specs: {p: \"project:long\"}}\n" SINK(
               "rc"),
           mixed, 2,
           "{\"id\":1,\"p\":1,\"m\":{\"q\":\"7\"}}\n{\"id\":2,\"p\":null,\"m\":{\"q\":\"8\"}}\n{\"id\":3,\"p\":null}\n"
           "{\"id\":4,\"p\":null}\n{\"id\":5}\n",
           0);
    expect(SRC "  rc: {type: resolve_choice, input: src, choice: make_struct}\n" SINK("rc"),
           "{\"a\":1}\n{\"a\":\"x\"}\n", 1,
           "{\"a\":{\"long\":1,\"string\":null}}\n{\"a\":{\"long\":null,\"string\":\"x\"}}\n", 0);
    expect(SRC "  rc: {type: resolve_choice, input: src, choice: make_cols}\n" SINK("rc"), "", 2, "", 0);
}

/* The held records spill past the memory limit and come back in order. */
static void test_resolve_choice_spills(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (int i = 0; i < 12000; i++)
        sl_buf_printf(
            &b, i % 3 ? "{\"i\":%d,\"x\":%d,\"pad\":\"%040d\"}\n" : "{\"i\":%d,\"x\":\"s%d\",\"pad\":\"%040d\"}\n", i,
            i, i);
    char *data = sl_buf_detach(&b);
    const char *yaml = SRC "  rc: {type: resolve_choice, input: src, choice: make_struct}\n" SINK("rc");
    jt_outcome ref = jt_run(yaml, data, NULL, 1, 0, NULL);
    assert_int_equal(ref.rc, 0);
    assert_non_null(strstr(ref.out, "{\"i\":0,\"x\":{\"long\":null,\"string\":\"s0\"},"));
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = jt_run(yaml, data, NULL, threads, 256 * 1024, NULL);
        assert_int_equal(o.rc, 0);
        assert_string_equal(o.out, ref.out);
        free(o.out);
    }
    /* spigot's prob sample spills the same way (its buffer is a fraction of the limit) */
    char yaml2[512], path[128];
    snprintf(path, sizeof path, "%s/spill-sample.json", jt_dir);
    snprintf(yaml2, sizeof yaml2, SRC "  sp: {type: spigot, input: src, path: %s, prob: 0.5}\n" SINK("sp"), path);
    char *first = NULL;
    for (int64_t limit = 0; limit <= 256 * 1024; limit += 256 * 1024) {
        jt_outcome o = jt_run(yaml2, data, NULL, 2, limit, NULL);
        assert_int_equal(o.rc, 0);
        assert_string_equal(o.out, data);
        free(o.out);
        char *got = read_all(path);
        assert_non_null(got);
        if (!first)
            first = got;
        else
            assert_string_equal(got, first), free(got);
    }
    free(first);
    free(ref.out);
    free(data);
}

/* ---- unbox ---- */

static void test_unbox(void **state) {
    const char *data = "{\"id\":1,\"j\":\"{\\\"a\\\":1,\\\"b\\\":[true]}\"}\n{\"id\":2,\"j\":\"{bad\"}\n{\"id\":3}\n"
                       "{\"id\":4,\"j\":{\"a\":2}}\n{\"id\":5,\"j\":null}\n";
    expect(SRC "  ub: {type: unbox, input: src, path: j}\n" SINK("ub"), data, 2,
           "{\"id\":1,\"j\":{\"a\":1,\"b\":[true]}}\n{\"id\":3}\n{\"id\":4,\"j\":{\"a\":2}}\n{\"id\":5,\"j\":null}\n",
           1);
    const char *csv = "{\"r\":{\"line\":\"1,\\\"a,\\\"\\\"b\\\"\\\"\\\",,2.5\"}}\n{\"r\":{\"line\":\"7\"}}\n"
                      "{\"r\":{\"line\":\"\\\"open\"}}\n";
    expect(SRC "  ub: {type: unbox, input: src, path: r.line, format: csv, columns: [n, s]}\n" SINK("ub"), csv, 1,
           "{\"r\":{\"line\":{\"n\":1,\"s\":\"a,\\\"b\\\"\",\"_c2\":null,\"_c3\":2.5}}}\n"
           "{\"r\":{\"line\":{\"n\":7,\"s\":null}}}\n",
           1);
    expect(SRC "  ub: {type: unbox, input: src, path: l, format: csv, delimiter: \"|\"}\n" SINK("ub"),
           "{\"l\":\"x|true|\"}\n", 1, "{\"l\":{\"_c0\":\"x\",\"_c1\":true,\"_c2\":null}}\n", 0);
}

/* ---- flatten / unnest ---- */

static void test_flatten(void **state) {
    const char *data =
        "{\"a\":1,\"m\":{\"h\":\"x\",\"n\":{\"p\":2},\"e\":{}},\"t\":[{\"k\":1}],\"z\":null}\n{\"a\":2}\n";
    expect(SRC "  fl: {type: flatten, input: src}\n" SINK("fl"), data, 2,
           "{\"a\":1,\"m.h\":\"x\",\"m.n.p\":2,\"m.e\":{},\"t\":[{\"k\":1}],\"z\":null}\n{\"a\":2}\n", 0);
    expect(SRC "  fl: {type: unnest, input: src, separator: _}\n" SINK("fl"), data, 1,
           "{\"a\":1,\"m_h\":\"x\",\"m_n_p\":2,\"m_e\":{},\"t\":[{\"k\":1}],\"z\":null}\n{\"a\":2}\n", 0);
    expect(SRC "  fl: {type: flatten, input: src}\n" SINK("fl"), "", 1, "", 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_functions),
        cmocka_unit_test(test_aggregate_nested_and_expression_keys),
        cmocka_unit_test(test_aggregate_empty_input),
        cmocka_unit_test(test_aggregate_numbers),
        cmocka_unit_test(test_aggregate_option_errors),
        cmocka_unit_test(test_aggregate_spills),
        cmocka_unit_test(test_aggregate_moments),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_dedupe_spills),
        cmocka_unit_test(test_union),
        cmocka_unit_test(test_drop_null_fields),
        cmocka_unit_test(test_fill_missing),
        cmocka_unit_test(test_spigot),
        cmocka_unit_test(test_resolve_choice_specs),
        cmocka_unit_test(test_resolve_choice_frame),
        cmocka_unit_test(test_resolve_choice_spills),
        cmocka_unit_test(test_unbox),
        cmocka_unit_test(test_flatten),
    };
    return cmocka_run_group_tests(tests, jt_setup, jt_teardown);
}
