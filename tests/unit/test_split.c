/*
 * test_split.c — split_rows, split_fields, relationalize and repartition,
 * run through the real executor between an in-memory source ("mem": JSON
 * lines cut into N splits of small batches) and collecting targets
 * ("collect": each target's records as JSON lines, kept per part so a test
 * can look at one output partition).
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

/* What each target received, by target name. */
#define MAX_OUT 16
#define MAX_PARTS 64

typedef struct target_out {
    char name[32];
    char *text;                 /* every part, in split order */
    char *part_text[MAX_PARTS]; /* non-empty parts in split order */
    size_t n_parts;
} target_out;

#define JT_OUTCOME_EXTRA                                                                                               \
    target_out targets[MAX_OUT];                                                                                       \
    size_t n_targets;
#include "jobtest.h"

/* Run the job and sort the collected parts into o.targets. */
static jt_outcome run(const char *yaml, const char *data, int threads, int64_t memory_limit) {
    jt_outcome o = jt_run_parts(yaml, data, NULL, threads, memory_limit, NULL);
    for (size_t i = 0; i < jt_n_parts; i++) {
        jt_part *p = &jt_parts[i];
        target_out *t = o.n_targets ? &o.targets[o.n_targets - 1] : NULL;
        if (!t || strcmp(t->name, p->target)) {
            assert_true(o.n_targets < MAX_OUT);
            t = &o.targets[o.n_targets++];
            snprintf(t->name, sizeof t->name, "%s", p->target);
            t->text = sl_xstrdup("");
        }
        size_t a = strlen(t->text), b = strlen(p->text);
        t->text = sl_xrealloc(t->text, a + b + 1);
        memcpy(t->text + a, p->text, b + 1);
        if (b && t->n_parts < MAX_PARTS) {
            t->part_text[t->n_parts++] = p->text;
            p->text = NULL;
        }
    }
    jt_parts_clear();
    return o;
}

static void outcome_free(jt_outcome *o) {
    for (size_t i = 0; i < o->n_targets; i++) {
        free(o->targets[i].text);
        for (size_t k = 0; k < o->targets[i].n_parts; k++)
            free(o->targets[i].part_text[k]);
    }
    memset(o, 0, sizeof *o);
}

/* What target `name` received ("" when it never opened). */
static const char *got(const jt_outcome *o, const char *name) {
    for (size_t i = 0; i < o->n_targets; i++)
        if (!strcmp(o->targets[i].name, name)) return o->targets[i].text;
    return "";
}

static const target_out *target(const jt_outcome *o, const char *name) {
    for (size_t i = 0; i < o->n_targets; i++)
        if (!strcmp(o->targets[i].name, name)) return &o->targets[i];
    return NULL;
}

static void expect_out(const jt_outcome *o, const char *name, const char *want) {
    if (strcmp(got(o, name), want)) print_error("%s got:\n%s\nwant:\n%s\n", name, got(o, name), want);
    assert_string_equal(got(o, name), want);
}

static void ok(const jt_outcome *o) {
    if (o->rc) print_error("run failed: %s\n", o->message);
    assert_int_equal(o->rc, 0);
}

#define SRC "nodes:\n  src: {type: mem, data: \"${data}\", splits: 3}\n"
#define SINK(name, in) "  " name ": {type: collect, input: " in "}\n"

/* ---- split_rows ---- */

static const char *people = "{\"n\":1,\"age\":30}\n{\"n\":2,\"age\":12}\n{\"n\":3,\"age\":null}\n{\"n\":4}\n"
                            "{\"n\":5,\"age\":\"x\"}\n{\"n\":6,\"age\":21.5}\n{\"n\":7,\"age\":\"40\"}\n";

static void test_split_rows(void **state) {
    const char *yaml =
        SRC "  s: {type: split_rows, input: src, condition: \"cast(age as double) > 18\"}\n" SINK("adults", "s.matched")
            SINK("others", "s.rest");
    for (int threads = 1; threads <= 4; threads += 3) {
        jt_outcome o = run(yaml, people, threads, 0);
        ok(&o);
        expect_out(&o, "adults", "{\"n\":1,\"age\":30}\n{\"n\":6,\"age\":21.5}\n{\"n\":7,\"age\":\"40\"}\n");
        /* null and missing ages are unknown → rest; "x" cannot be cast → error output */
        expect_out(&o, "others", "{\"n\":2,\"age\":12}\n{\"n\":3,\"age\":null}\n{\"n\":4}\n");
        assert_int_equal(o.rejected, 1);
        outcome_free(&o);
    }
}

static void test_split_rows_routing(void **state) {
    /* each port read by several children, one of them a transform; a union reads both ports back */
    const char *yaml = SRC "  s: {type: split_rows, input: src, condition: \"n % 2 = 0\"}\n" SINK("even1", "s.matched")
        SINK("even2", "s.matched") "  big: {type: filter, input: s.rest, condition: \"n > 3\"}\n" SINK("odd_big", "big")
            SINK("odd", "s.rest") "  both: {type: union, inputs: [s.rest, s.matched]}\n" SINK(
                "all",
                "both") "  again: {type: split_rows, input: s.matched, condition: \"n > 4\"}\n" SINK("even_big",
                                                                                                     "again.matched")
                SINK("even_small", "again.rest");
    const char *data = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n{\"n\":6}\n{\"n\":7}\n";
    for (int threads = 1; threads <= 4; threads += 3) {
        jt_outcome o = run(yaml, data, threads, 0);
        ok(&o);
        expect_out(&o, "even1", "{\"n\":2}\n{\"n\":4}\n{\"n\":6}\n");
        expect_out(&o, "even2", "{\"n\":2}\n{\"n\":4}\n{\"n\":6}\n");
        expect_out(&o, "odd", "{\"n\":1}\n{\"n\":3}\n{\"n\":5}\n{\"n\":7}\n");
        expect_out(&o, "odd_big", "{\"n\":5}\n{\"n\":7}\n");
        expect_out(&o, "even_big", "{\"n\":6}\n");
        expect_out(&o, "even_small", "{\"n\":2}\n{\"n\":4}\n");
        /* union: per split, the rest records then the matched ones */
        const char *all = got(&o, "all");
        size_t count = 0;
        for (const char *p = all; *p; p++)
            count += *p == '\n';
        assert_int_equal(count, 7);
        for (int n = 1; n <= 7; n++) {
            char line[32];
            snprintf(line, sizeof line, "{\"n\":%d}\n", n);
            assert_non_null(strstr(all, line));
        }
        outcome_free(&o);
    }
}

static void test_split_rows_empty_and_one_port(void **state) {
    const char *yaml = SRC "  s: {type: split_rows, input: src, condition: \"n > 1\"}\n" SINK("m", "s.matched");
    jt_outcome o = run(yaml, "", 2, 0);
    ok(&o);
    expect_out(&o, "m", "");
    outcome_free(&o);
    o = run(yaml, "{\"n\":1}\n{\"n\":2}\n", 2, 0);
    ok(&o);
    expect_out(&o, "m", "{\"n\":2}\n");
    outcome_free(&o);
}

static void test_port_validation(void **state) {
    jt_expect_load_error(
        SRC "  s: {type: split_rows, input: src, condition: \"n > 1\"}\n" SINK("m", "s"),
        "node type 'split_rows' has several outputs; name one, as in 's.matched' (outputs: matched, rest)");
    jt_expect_load_error(SRC "  s: {type: split_rows, input: src, condition: \"n > 1\"}\n" SINK("m", "s.matchd"),
                         "node 's' (type 'split_rows') has no output 'matchd'");
    jt_expect_load_error(SRC "  s: {type: split_rows, input: src, condition: \"n > 1\"}\n" SINK("m", "s.matchd"),
                         "matched");
    jt_expect_load_error(SRC "  f: {type: filter, input: src, condition: \"n > 1\"}\n" SINK("m", "f.rest"),
                         "input 'f.rest': node 'f' (type 'filter') has one output; write 'f'");
    jt_expect_load_error(SRC "  s: {type: split_rows, input: src, condition: \"n >\"}\n" SINK("m", "s.rest"),
                         "in expression 'n >'");
    jt_expect_load_error(SRC "  s: {type: split_fields, input: src, fields: []}\n" SINK("m", "s.rest"),
                         "needs at least one field");
    jt_expect_load_error(SRC "  r: {type: relationalize, input: src}\n" SINK("m", "r"),
                         "node type 'relationalize' has several outputs; name one");
    jt_expect_load_error(SRC "  r: {type: relationalize, input: src}\n" SINK("m", "r.items"),
                         "relationalize has no output 'items'");
    jt_expect_load_error(SRC "  r: {type: relationalize, input: src, root: a.b}\n" SINK("m", "r.root"),
                         "root must be a non-empty name without '.'");
    jt_expect_load_error(SRC "  r: {type: relationalize, input: src, separator: \"\"}\n" SINK("m", "r.root"),
                         "separator must not be empty");
    jt_expect_load_error(SRC "  p: {type: repartition, input: src, partitions: 0}\n" SINK("m", "p"),
                         "partitions must be between 1 and 100000");
    jt_expect_load_error(SRC "  p: {type: repartition, input: src}\n" SINK("m", "p"), "partitions");
    jt_expect_load_error(SRC "  p: {type: repartition, input: src, partitions: 2, keys: [\"a +\"]}\n" SINK("m", "p"),
                         "key 1:");
}

/* ---- split_fields ---- */

static void test_split_fields(void **state) {
    const char *data = "{\"id\":1,\"name\":\"a\",\"m\":{\"h\":\"x\",\"p\":2},\"t\":[1]}\n"
                       "{\"name\":\"b\",\"m\":null}\n{}\n{\"id\":4,\"z\":null}\n";
    const char *flat =
        SRC "  s: {type: split_fields, input: src, fields: [t, id]}\n" SINK("sel", "s.selected") SINK("rest", "s.rest");
    for (int threads = 1; threads <= 4; threads += 3) {
        jt_outcome o = run(flat, data, threads, 0);
        ok(&o);
        expect_out(&o, "sel", "{\"t\":[1],\"id\":1}\n{}\n{}\n{\"id\":4}\n");
        expect_out(&o, "rest",
                   "{\"name\":\"a\",\"m\":{\"h\":\"x\",\"p\":2}}\n{\"name\":\"b\",\"m\":null}\n{}\n"
                   "{\"z\":null}\n");
        outcome_free(&o);
    }
    const char *nested = SRC "  s: {type: split_fields, input: src, fields: [m.h, id]}\n" SINK("sel", "s.selected")
        SINK("rest", "s.rest");
    jt_outcome o = run(nested, data, 2, 0);
    ok(&o);
    expect_out(&o, "sel", "{\"m\":{\"h\":\"x\"},\"id\":1}\n{}\n{}\n{\"id\":4}\n");
    expect_out(&o, "rest",
               "{\"name\":\"a\",\"m\":{\"p\":2},\"t\":[1]}\n{\"name\":\"b\",\"m\":null}\n{}\n"
               "{\"z\":null}\n");
    outcome_free(&o);
    /* only one output read: the other is not built; twice the same port */
    const char *one =
        SRC "  s: {type: split_fields, input: src, fields: [id]}\n" SINK("r1", "s.rest") SINK("r2", "s.rest");
    o = run(one, data, 2, 0);
    ok(&o);
    expect_out(&o, "r1",
               "{\"name\":\"a\",\"m\":{\"h\":\"x\",\"p\":2},\"t\":[1]}\n{\"name\":\"b\",\"m\":null}\n{}\n"
               "{\"z\":null}\n");
    assert_string_equal(got(&o, "r1"), got(&o, "r2"));
    outcome_free(&o);
    /* a union of both ports sees each record twice */
    const char *both = SRC "  s: {type: split_fields, input: src, fields: [id]}\n"
                           "  u: {type: union, inputs: [s.selected, s.rest]}\n" SINK("all", "u");
    o = run(both, "{\"id\":1,\"x\":2}\n", 1, 0);
    ok(&o);
    expect_out(&o, "all", "{\"id\":1}\n{\"x\":2}\n");
    outcome_free(&o);
}

/* ---- relationalize ---- */

static void test_relationalize(void **state) {
    const char *data = "{\"id\":7,\"name\":{\"first\":\"A\",\"last\":\"B\"},\"tags\":[\"x\",\"y\"],"
                       "\"orders\":[{\"sku\":\"s1\",\"qty\":2,\"opts\":[\"gift\"]},{\"sku\":\"s2\",\"dim\":{\"w\":1}}],"
                       "\"grid\":[[1,2],[],[3]],\"e\":{},\"none\":null}\n"
                       "{\"id\":8,\"tags\":[],\"orders\":null}\n"
                       "{\"id\":9,\"tags\":[null,{\"k\":1},{}],\"meta\":{\"list\":[true]}}\n";
    const char *yaml =
        "nodes:\n  src: {type: mem, data: \"${data}\", splits: 1}\n"
        "  r: {type: relationalize, input: src}\n" SINK("root", "r.root") SINK("tags", "r.root_tags")
            SINK("orders", "r.root_orders") SINK("opts", "r.root_orders_val_opts") SINK("grid", "r.root_grid")
                SINK("cells", "r.root_grid_val") SINK("ml", "r.root_meta_list");
    jt_outcome o = run(yaml, data, 1, 0);
    ok(&o);
    /* keys: split 0, arrays counted depth first from 1 */
    expect_out(&o, "root",
               "{\"id\":7,\"name.first\":\"A\",\"name.last\":\"B\",\"tags\":1,\"orders\":2,\"grid\":4,\"e\":{},"
               "\"none\":null}\n"
               "{\"id\":8,\"tags\":8,\"orders\":null}\n"
               "{\"id\":9,\"tags\":9,\"meta.list\":10}\n");
    expect_out(&o, "tags",
               "{\"id\":1,\"index\":0,\"tags.val\":\"x\"}\n{\"id\":1,\"index\":1,\"tags.val\":\"y\"}\n"
               "{\"id\":9,\"index\":0,\"tags.val\":null}\n{\"id\":9,\"index\":1,\"tags.val.k\":1}\n"
               "{\"id\":9,\"index\":2,\"tags.val\":{}}\n");
    expect_out(&o, "orders",
               "{\"id\":2,\"index\":0,\"orders.val.sku\":\"s1\",\"orders.val.qty\":2,\"orders.val.opts\":3}\n"
               "{\"id\":2,\"index\":1,\"orders.val.sku\":\"s2\",\"orders.val.dim.w\":1}\n");
    expect_out(&o, "opts", "{\"id\":3,\"index\":0,\"orders.val.opts.val\":\"gift\"}\n");
    expect_out(&o, "grid",
               "{\"id\":4,\"index\":0,\"grid.val\":5}\n{\"id\":4,\"index\":1,\"grid.val\":6}\n"
               "{\"id\":4,\"index\":2,\"grid.val\":7}\n");
    expect_out(&o, "cells",
               "{\"id\":5,\"index\":0,\"grid.val.val\":1}\n{\"id\":5,\"index\":1,\"grid.val.val\":2}\n"
               "{\"id\":7,\"index\":0,\"grid.val.val\":3}\n");
    expect_out(&o, "ml", "{\"id\":10,\"index\":0,\"meta.list.val\":true}\n");
    outcome_free(&o);
}

static void test_relationalize_options_and_subsets(void **state) {
    const char *data = "{\"a\":{\"b\":[{\"c\":1}]}}\n{\"a\":{\"b\":[{\"c\":2},{\"c\":3}]}}\n";
    /* only a child frame read; another root name and separator */
    const char *yaml = "nodes:\n  src: {type: mem, data: \"${data}\", splits: 2}\n"
                       "  r: {type: relationalize, input: src, root: doc, separator: _}\n" SINK("b", "r.doc_a_b")
                           SINK("never", "r.doc_nothing");
    jt_outcome o = run(yaml, data, 2, 0);
    ok(&o);
    /* split 1's keys start at 1 << 40 */
    expect_out(&o, "b",
               "{\"id\":1,\"index\":0,\"a_b_val_c\":1}\n{\"id\":1099511627777,\"index\":0,\"a_b_val_c\":2}\n"
               "{\"id\":1099511627777,\"index\":1,\"a_b_val_c\":3}\n");
    assert_null(target(&o, "never"));
    outcome_free(&o);
    /* empty input */
    o = run(yaml, "", 2, 0);
    ok(&o);
    expect_out(&o, "b", "");
    outcome_free(&o);
}

/* Keys do not depend on the thread count or on which frames are read. */
static void test_relationalize_threads(void **state) {
    char *data = sl_xmalloc(200000);
    size_t len = 0;
    for (int i = 0; i < 600; i++)
        len += (size_t)sprintf(data + len, "{\"i\":%d,\"l\":[%d,{\"q\":[%d,%d]}],\"s\":{\"t\":[%s]}}\n", i, i, i, i + 1,
                               i % 3 ? "\"u\"" : "");
    const char *yaml = "nodes:\n  src: {type: mem, data: \"${data}\", splits: 7, batch: 5}\n"
                       "  r: {type: relationalize, input: src}\n" SINK("root", "r.root") SINK("l", "r.root_l")
                           SINK("q", "r.root_l_val_q") SINK("t", "r.root_s_t");
    const char *only_q = "nodes:\n  src: {type: mem, data: \"${data}\", splits: 7, batch: 5}\n"
                         "  r: {type: relationalize, input: src}\n" SINK("q", "r.root_l_val_q");
    jt_outcome one = run(yaml, data, 1, 0), four = run(yaml, data, 4, 0), q = run(only_q, data, 4, 0);
    ok(&one);
    ok(&four);
    ok(&q);
    const char *names[] = {"root", "l", "q", "t"};
    for (size_t k = 0; k < 4; k++)
        assert_string_equal(got(&one, names[k]), got(&four, names[k]));
    assert_string_equal(got(&one, "q"), got(&q, "q"));
    size_t lines = 0;
    for (const char *p = got(&one, "t"); *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 400);
    outcome_free(&one);
    outcome_free(&four);
    outcome_free(&q);
    free(data);
}

/* Rows relationalize adds keep input order for order-sensitive nodes after
 * it (the executor shifts the input-order keys of an expanding node). */
static void test_relationalize_input_order(void **state) {
    const char *data = "{\"a\":[1,2,3]}\n{\"a\":[4,5,6]}\n{\"a\":[7,8,9]}\n{\"a\":[10,11,12]}\n";
    const char *yaml =
        "nodes:\n  src: {type: mem, data: \"${data}\", splits: 2, batch: 1}\n"
        "  r: {type: relationalize, input: src}\n"
        "  l: {type: limit, input: r.root_a, n: 4}\n" SINK(
            "first",
            "l") "  s: {type: sort, input: r.root_a, keys: [index]}\n" SINK("sorted",
                                                                            "s") "  d: {type: dedupe, input: r.root_a, "
                                                                                 "keys: [index]}\n" SINK("dedupe", "d");
    for (int threads = 1; threads <= 4; threads += 3) {
        jt_outcome o = run(yaml, data, threads, 0);
        ok(&o);
        expect_out(&o, "first",
                   "{\"id\":1,\"index\":0,\"a.val\":1}\n{\"id\":1,\"index\":1,\"a.val\":2}\n"
                   "{\"id\":1,\"index\":2,\"a.val\":3}\n{\"id\":2,\"index\":0,\"a.val\":4}\n");
        const char *sorted = got(&o, "sorted");
        const char *want[] = {"1", "4", "7", "10", "2", "5", "8", "11", "3", "6", "9", "12"};
        const char *p = sorted;
        for (size_t k = 0; k < 12; k++) {
            const char *v = strstr(p, "\"a.val\":");
            assert_non_null(v);
            assert_int_equal(atoi(v + 8), atoi(want[k]));
            p = v + 8;
        }
        expect_out(&o, "dedupe",
                   "{\"id\":1,\"index\":0,\"a.val\":1}\n{\"id\":1,\"index\":1,\"a.val\":2}\n"
                   "{\"id\":1,\"index\":2,\"a.val\":3}\n");
        outcome_free(&o);
    }
}

/* ---- repartition ---- */

static char *numbered(int n, int groups) {
    char *data = sl_xmalloc((size_t)n * 80 + 1);
    size_t len = 0;
    data[0] = 0;
    for (int i = 0; i < n; i++) {
        if (i % 11 == 5)
            len += (size_t)sprintf(data + len, "{\"i\":%d}\n", i); /* key missing: null */
        else
            len += (size_t)sprintf(data + len, "{\"i\":%d,\"k\":\"g%d\",\"pad\":\"%030d\"}\n", i, i % groups, i);
    }
    return data;
}

static int field_i(const char *line) { return atoi(strstr(line, "\"i\":") + 4); }

static void test_repartition_round_robin(void **state) {
    char *data = numbered(100, 7);
    const char *yaml = "nodes:\n  src: {type: mem, data: \"${data}\", splits: 3, batch: 4}\n"
                       "  p: {type: repartition, input: src, partitions: 4}\n" SINK("out", "p");
    jt_outcome ref = run(yaml, data, 1, 0);
    ok(&ref);
    const target_out *t = target(&ref, "out");
    assert_non_null(t);
    assert_int_equal(t->n_parts, 4);
    size_t total = 0;
    for (size_t k = 0; k < 4; k++) {
        size_t n = 0;
        int last = -1;
        for (const char *p = t->part_text[k]; *p; p = strchr(p, '\n') + 1) {
            int i = field_i(p);
            assert_true(i > last); /* input order inside a partition */
            last = i;
            n++;
        }
        assert_true(n >= 24 && n <= 26); /* round robin: even sizes */
        total += n;
    }
    assert_int_equal(total, 100);
    for (int threads = 2; threads <= 4; threads += 2) {
        jt_outcome o = run(yaml, data, threads, 0);
        ok(&o);
        assert_string_equal(got(&o, "out"), got(&ref, "out"));
        outcome_free(&o);
    }
    outcome_free(&ref);
    free(data);
}

static void test_repartition_keys_and_spill(void **state) {
    char *data = numbered(12000, 13);
    const char *yaml = "nodes:\n  src: {type: mem, data: \"${data}\", splits: 5, batch: 100}\n"
                       "  p: {type: repartition, input: src, partitions: 5, keys: [k]}\n" SINK("out", "p");
    jt_outcome ref = run(yaml, data, 1, 0);
    ok(&ref);
    const target_out *t = target(&ref, "out");
    assert_non_null(t);
    /* every key value (and null) in exactly one partition, records in input order */
    char seen[14] = {0};
    for (size_t k = 0; k < t->n_parts; k++) {
        int last = -1;
        for (const char *p = t->part_text[k]; *p; p = strchr(p, '\n') + 1) {
            int i = field_i(p);
            assert_true(i > last);
            last = i;
            const char *kv = strstr(p, "\"k\":\"g");
            const char *eol = strchr(p, '\n');
            int g = kv && kv < eol ? atoi(kv + 6) : 13;
            assert_true(seen[g] == 0 || seen[g] == (char)(k + 1));
            seen[g] = (char)(k + 1);
        }
    }
    for (int g = 0; g < 14; g++)
        assert_true(seen[g] != 0);
    /* 4 threads, spilling (a quarter of 1 MiB per worker, a few MB held): the same output */
    jt_outcome spill = run(yaml, data, 4, 1 << 20);
    ok(&spill);
    assert_string_equal(got(&spill, "out"), got(&ref, "out"));
    const target_out *ts = target(&spill, "out");
    assert_int_equal(ts->n_parts, t->n_parts);
    for (size_t k = 0; k < t->n_parts; k++)
        assert_string_equal(ts->part_text[k], t->part_text[k]);
    outcome_free(&spill);
    /* round robin spilling too */
    const char *rr = "nodes:\n  src: {type: mem, data: \"${data}\", splits: 5, batch: 100}\n"
                     "  p: {type: repartition, input: src, partitions: 3}\n" SINK("out", "p");
    jt_outcome a = run(rr, data, 1, 0), b = run(rr, data, 3, 1 << 20);
    ok(&a);
    ok(&b);
    assert_string_equal(got(&a, "out"), got(&b, "out"));
    assert_int_equal(target(&b, "out")->n_parts, 3);
    outcome_free(&a);
    outcome_free(&b);
    outcome_free(&ref);
    free(data);
}

static void test_repartition_edges(void **state) {
    /* empty input: no part at all */
    const char *yaml = SRC "  p: {type: repartition, input: src, partitions: 3, keys: [k]}\n" SINK("out", "p");
    jt_outcome o = run(yaml, "", 2, 0);
    ok(&o);
    assert_null(target(&o, "out"));
    outcome_free(&o);
    /* 1 and 1.0 hash alike */
    const char *keyed = SRC "  p: {type: repartition, input: src, partitions: 16, keys: [k]}\n" SINK("out", "p");
    o = run(keyed, "{\"k\":1}\n{\"k\":1.0}\n{\"k\":-0.0}\n{\"k\":0}\n", 2, 0);
    ok(&o);
    const target_out *t = target(&o, "out");
    assert_true(t->n_parts <= 2);
    for (size_t k = 0; k < t->n_parts; k++)
        assert_true(!strcmp(t->part_text[k], "{\"k\":1}\n{\"k\":1.0}\n") ||
                    !strcmp(t->part_text[k], "{\"k\":-0.0}\n{\"k\":0}\n") ||
                    !strcmp(t->part_text[k], "{\"k\":1}\n{\"k\":1.0}\n{\"k\":-0.0}\n{\"k\":0}\n") ||
                    !strcmp(t->part_text[k], "{\"k\":-0.0}\n{\"k\":0}\n{\"k\":1}\n{\"k\":1.0}\n"));
    outcome_free(&o);
    /* a failing key goes to the error output */
    const char *failing =
        SRC "  p: {type: repartition, input: src, partitions: 2, keys: [\"cast(k as long)\"]}\n" SINK("out", "p");
    o = run(failing, "{\"k\":1}\n{\"k\":\"one\"}\n{\"k\":2}\n", 2, 0);
    ok(&o);
    assert_int_equal(o.rejected, 1);
    assert_int_equal(strlen(got(&o, "out")), strlen("{\"k\":1}\n{\"k\":2}\n"));
    outcome_free(&o);
    /* a repartition feeding a multi-output node */
    const char *chain =
        SRC "  p: {type: repartition, input: src, partitions: 2}\n"
            "  s: {type: split_rows, input: p, condition: \"n > 2\"}\n" SINK("hi", "s.matched") SINK("lo", "s.rest");
    o = run(chain, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n", 2, 0);
    ok(&o);
    assert_int_equal(strlen(got(&o, "hi")), strlen("{\"n\":3}\n{\"n\":4}\n"));
    assert_non_null(strstr(got(&o, "hi"), "{\"n\":3}\n"));
    assert_non_null(strstr(got(&o, "lo"), "{\"n\":1}\n"));
    outcome_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_rows),
        cmocka_unit_test(test_split_rows_routing),
        cmocka_unit_test(test_split_rows_empty_and_one_port),
        cmocka_unit_test(test_port_validation),
        cmocka_unit_test(test_split_fields),
        cmocka_unit_test(test_relationalize),
        cmocka_unit_test(test_relationalize_options_and_subsets),
        cmocka_unit_test(test_relationalize_threads),
        cmocka_unit_test(test_relationalize_input_order),
        cmocka_unit_test(test_repartition_round_robin),
        cmocka_unit_test(test_repartition_keys_and_spill),
        cmocka_unit_test(test_repartition_edges),
    };
    return cmocka_run_group_tests(tests, jt_setup, jt_teardown);
}
