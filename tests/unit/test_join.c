/*
 * test_join.c — the `join` transform, run through the real executor between
 * two in-memory sources ("mem": JSON lines in N splits of small batches) and
 * a collecting target ("collect": the records as JSON lines, in split
 * order): every join kind, keys, nulls, clashing names, errors, and a
 * property test against a nested-loop reference on seeded random data, in
 * memory and spilled.
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
#include <time.h>

#include "core/mem.h"
#include "transforms/join.h"

#define JT_OUTCOME_EXTRA sl_join_stats stats; /* of the node `j` */
#include "jobtest.h"

static void join_stats(sl_job *job, jt_outcome *o) {
    sl_node *j = sl_job_find(job, "j");
    if (j) sl_join_get_stats(j, &o->stats);
}

static jt_outcome run_job(const char *yaml, const char *left, const char *right, int threads, int64_t memory_limit) {
    return jt_run(yaml, left, right, threads, memory_limit, join_stats);
}

/* A job joining ${data} (left) and ${data2} (right) — or, with sets,
 * jt_datasets[0] and jt_datasets[1] — with the node options `opts`. */
static char *join_yaml_of(const char *opts, int lsplits, int rsplits, int batch, bool sets) {
    char *y = sl_xmalloc(strlen(opts) + 512);
    sprintf(y,
            "nodes:\n"
            "  l: {type: mem, %s, splits: %d, batch: %d}\n"
            "  r: {type: mem, %s, splits: %d, batch: %d}\n"
            "  j: {type: join, inputs: [l, r], %s}\n"
            "  out: {type: collect, input: j}\n",
            sets ? "set: 0" : "data: \"${data}\"", lsplits, batch, sets ? "set: 1" : "data: \"${data2}\"", rsplits,
            batch, opts);
    return y;
}

static char *join_yaml(const char *opts, int lsplits, int rsplits, int batch) {
    return join_yaml_of(opts, lsplits, rsplits, batch, false);
}

static char *join_yaml_sets(const char *opts, int lsplits, int rsplits, int batch) {
    return join_yaml_of(opts, lsplits, rsplits, batch, true);
}

static void expect_join(const char *opts, const char *left, const char *right, const char *want) {
    char *yaml = join_yaml(opts, 3, 2, 2);
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = run_job(yaml, left, right, threads, 0);
        if (o.rc) print_error("run failed: %s\n", o.message);
        assert_int_equal(o.rc, 0);
        if (strcmp(o.out, want)) print_error("%s (%d threads)\ngot:\n%s\nwant:\n%s\n", opts, threads, o.out, want);
        assert_string_equal(o.out, want);
        assert_false(o.stats.spilled);
        free(o.out);
    }
    free(yaml);
}

/* ---- the kinds ---- */

static const char *L = "{\"id\":1,\"name\":\"a\"}\n"
                       "{\"id\":2,\"name\":\"b\"}\n"
                       "{\"id\":3,\"name\":\"c\"}\n"
                       "{\"id\":null,\"name\":\"n\"}\n"
                       "{\"name\":\"m\"}\n"
                       "{\"id\":2,\"name\":\"b2\"}\n";
static const char *R = "{\"id\":2,\"v\":\"x\"}\n"
                       "{\"id\":4,\"v\":\"y\"}\n"
                       "{\"id\":2.0,\"v\":\"z\"}\n"
                       "{\"id\":null,\"v\":\"w\"}\n"
                       "{\"id\":1,\"v\":\"q\"}\n";

#define J_A_Q "{\"id\":1,\"name\":\"a\",\"right_id\":1,\"v\":\"q\"}\n"
#define J_B_X "{\"id\":2,\"name\":\"b\",\"right_id\":2,\"v\":\"x\"}\n"
#define J_B_Z "{\"id\":2,\"name\":\"b\",\"right_id\":2.0,\"v\":\"z\"}\n"
#define J_B2_X "{\"id\":2,\"name\":\"b2\",\"right_id\":2,\"v\":\"x\"}\n"
#define J_B2_Z "{\"id\":2,\"name\":\"b2\",\"right_id\":2.0,\"v\":\"z\"}\n"
#define L_C "{\"id\":3,\"name\":\"c\",\"right_id\":null,\"v\":null}\n"
#define L_N "{\"id\":null,\"name\":\"n\",\"right_id\":null,\"v\":null}\n"
#define L_M "{\"name\":\"m\",\"right_id\":null,\"v\":null}\n"
#define R_Y "{\"id\":null,\"name\":null,\"right_id\":4,\"v\":\"y\"}\n"
#define R_W "{\"id\":null,\"name\":null,\"right_id\":null,\"v\":\"w\"}\n"

static void test_kinds(void **state) {
    expect_join("keys: [id]", L, R, J_A_Q J_B_X J_B_Z J_B2_X J_B2_Z);
    expect_join("keys: [id], join_type: equijoin", L, R, J_A_Q J_B_X J_B_Z J_B2_X J_B2_Z);
    expect_join("keys: [id], join_type: left", L, R, J_A_Q J_B_X J_B_Z L_C L_N L_M J_B2_X J_B2_Z);
    expect_join("keys: [id], join_type: right", L, R, J_A_Q J_B_X J_B_Z J_B2_X J_B2_Z R_Y R_W);
    expect_join("keys: [id], join_type: outer", L, R, J_A_Q J_B_X J_B_Z L_C L_N L_M J_B2_X J_B2_Z R_Y R_W);
    expect_join("keys: [id], join_type: full", L, R, J_A_Q J_B_X J_B_Z L_C L_N L_M J_B2_X J_B2_Z R_Y R_W);
    const char *semi = "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n{\"id\":2,\"name\":\"b2\"}\n";
    const char *anti = "{\"id\":3,\"name\":\"c\"}\n{\"id\":null,\"name\":\"n\"}\n{\"name\":\"m\"}\n";
    expect_join("keys: [id], join_type: left_semi", L, R, semi);
    expect_join("keys: [id], join_type: leftsemi", L, R, semi);
    expect_join("keys: [id], join_type: left_anti", L, R, anti);
    expect_join("keys: [id], join_type: leftanti", L, R, anti);
}

/* build: left streams the right input: its order leads. */
static void test_build_left(void **state) {
    expect_join("keys: [id], build: left", L, R, J_B_X J_B2_X J_B_Z J_B2_Z J_A_Q);
    expect_join("keys: [id], build: left, join_type: left", L, R, J_B_X J_B2_X J_B_Z J_B2_Z J_A_Q L_C L_N L_M);
    expect_join("keys: [id], build: left, join_type: right", L, R, J_B_X J_B2_X R_Y J_B_Z J_B2_Z R_W J_A_Q);
    expect_join("keys: [id], build: left, join_type: outer", L, R, J_B_X J_B2_X R_Y J_B_Z J_B2_Z R_W J_A_Q L_C L_N L_M);
    /* semi and anti keep left records in left order either way */
    expect_join("keys: [id], build: left, join_type: left_semi", L, R,
                "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n{\"id\":2,\"name\":\"b2\"}\n");
    expect_join("keys: [id], build: left, join_type: left_anti", L, R,
                "{\"id\":3,\"name\":\"c\"}\n{\"id\":null,\"name\":\"n\"}\n{\"name\":\"m\"}\n");
}

static void test_empty_sides(void **state) {
    expect_join("keys: [id]", "", R, "");
    expect_join("keys: [id]", L, "", "");
    expect_join("keys: [id]", "", "", "");
    expect_join("keys: [id], join_type: outer", "", "", "");
    /* with nothing seen on the right there are no right fields to pad with */
    expect_join("keys: [id], join_type: left", "{\"id\":1}\n{\"id\":2}\n", "", "{\"id\":1}\n{\"id\":2}\n");
    expect_join("keys: [id], join_type: right", "", "{\"id\":1}\n", "{\"id\":1}\n");
    expect_join("keys: [id], join_type: left_anti", "{\"id\":1}\n", "", "{\"id\":1}\n");
    expect_join("keys: [id], join_type: left_semi", "{\"id\":1}\n", "", "");
}

static void test_multi_key_and_paths(void **state) {
    const char *left = "{\"a\":1,\"meta\":{\"b\":\"x\"}}\n{\"a\":1,\"meta\":{\"b\":\"y\"}}\n{\"a\":1}\n"
                       "{\"a\":2,\"meta\":{\"b\":\"x\"}}\n";
    const char *right = "{\"a2\":1.0,\"b2\":\"y\"}\n{\"a2\":1,\"b2\":\"x\"}\n{\"a2\":2,\"b2\":null}\n";
    expect_join("left_keys: [a, meta.b], right_keys: [a2, b2]", left, right,
                "{\"a\":1,\"meta\":{\"b\":\"x\"},\"a2\":1,\"b2\":\"x\"}\n"
                "{\"a\":1,\"meta\":{\"b\":\"y\"},\"a2\":1.0,\"b2\":\"y\"}\n");
    /* keys may be expressions */
    expect_join("left_keys: [\"lower(n)\"], right_keys: [\"upper(m) \"]", "{\"n\":\"AB\"}\n{\"n\":\"ab\"}\n",
                "{\"m\":\"ab\"}\n", "");
    expect_join("left_keys: [\"lower(n)\"], right_keys: [\"lower(m)\"]", "{\"n\":\"AB\"}\n{\"n\":\"ab\"}\n",
                "{\"m\":\"aB\"}\n", "{\"n\":\"AB\",\"m\":\"aB\"}\n{\"n\":\"ab\",\"m\":\"aB\"}\n");
}

/* 1, 1.0 and decimal 1.00 are one key; 0.1 the double and 0.10 the decimal
 * too; strings and booleans match only their own type. */
static void test_key_types(void **state) {
    const char *left = "{\"k\":1}\n{\"k\":\"1\"}\n{\"k\":0.1}\n{\"k\":true}\n{\"k\":-0.0}\n{\"k\":1e20}\n"
                       "{\"k\":[1,\"a\"]}\n";
    const char *right = "{\"q\":\"1.00\"}\n{\"q\":\"0.10\"}\n{\"q\":\"0\"}\n{\"q\":\"100000000000000000000\"}\n"
                        "{\"q\":\"0.1000000000000000000001\"}\n";
    expect_join("left_keys: [k], right_keys: [\"cast(q as decimal)\"]", left, right,
                "{\"k\":1,\"q\":\"1.00\"}\n{\"k\":0.1,\"q\":\"0.10\"}\n{\"k\":-0.0,\"q\":\"0\"}\n"
                "{\"k\":1e+20,\"q\":\"100000000000000000000\"}\n");
    expect_join("left_keys: [k], right_keys: [q]", left,
                "{\"q\":1.0}\n{\"q\":\"1\"}\n{\"q\":1}\n{\"q\":true}\n{\"q\":[1.0,\"a\"]}\n",
                "{\"k\":1,\"q\":1.0}\n{\"k\":1,\"q\":1}\n{\"k\":\"1\",\"q\":\"1\"}\n{\"k\":true,\"q\":true}\n"
                "{\"k\":[1,\"a\"],\"q\":[1.0,\"a\"]}\n");
}

/* The canonical key bytes: equal exactly for the values the join equates. */
static bool key_same(sl_value x, sl_value y) {
    sl_buf a, b;
    sl_buf_init(&a, 0);
    sl_buf_init(&b, 0);
    sl_join_key(&a, &x);
    sl_join_key(&b, &y);
    bool same = a.len == b.len && !memcmp(a.data, b.data, a.len);
    sl_buf_free(&a);
    sl_buf_free(&b);
    return same;
}

#define DEC(text) sl_decimal(text, strlen(text))

static void test_key_canonical(void **state) {
    assert_true(key_same(sl_int(1), sl_double(1.0)));
    assert_true(key_same(sl_int(1), DEC("1.00")));
    assert_true(key_same(sl_int(1), DEC("+1e0")));
    assert_true(key_same(sl_int(1), DEC("0.01e2")));
    assert_true(key_same(sl_int(0), sl_double(-0.0)));
    assert_true(key_same(sl_int(0), DEC("-0.000")));
    assert_true(key_same(sl_double(0.1), DEC("0.10")));
    assert_true(key_same(sl_double(-2.5), DEC("-2.50")));
    assert_true(key_same(sl_double(1e20), DEC("100000000000000000000")));
    assert_true(key_same(sl_double(9223372036854775808.0), DEC("9223372036854775808")));
    assert_true(key_same(sl_int(INT64_MIN), DEC("-9223372036854775808")));
    assert_true(key_same(sl_double(NAN), sl_double(-NAN)));
    assert_true(key_same(DEC("0.1000000000000000000001"), DEC("0.10000000000000000000010")));
    assert_false(key_same(sl_double(0.1), DEC("0.1000000000000000000001")));
    assert_false(key_same(sl_int(9007199254740993), sl_double(9007199254740992.0)));
    assert_false(key_same(sl_int(1), sl_string("1", 1, 0)));
    assert_false(key_same(sl_int(1), sl_bool(true)));
    assert_false(key_same(sl_date(1), sl_timestamp(1)));
    assert_false(key_same(sl_string("a", 1, 0), sl_binary("a", 1)));
    assert_false(key_same(DEC("abc"), DEC("abd")));
    assert_true(key_same(DEC("abc"), DEC("abc")));
    sl_value l1[2] = {sl_int(1), sl_string("x", 1, 0)}, l2[2] = {sl_double(1.0), sl_string("x", 1, 0)};
    assert_true(key_same(sl_list(l1, 2), sl_list(l2, 2)));
    assert_false(key_same(sl_list(l1, 2), sl_list(l2, 1)));
}

/* Many-to-many: every pair, probe order first, then build order. */
static void test_duplicates(void **state) {
    const char *left = "{\"k\":1,\"l\":1}\n{\"k\":2,\"l\":2}\n{\"k\":1,\"l\":3}\n";
    const char *right = "{\"k\":1,\"r\":1}\n{\"k\":1,\"r\":2}\n{\"k\":1,\"r\":3}\n";
    expect_join("keys: [k], right_prefix: \"(right) \"", left, right,
                "{\"k\":1,\"l\":1,\"(right) k\":1,\"r\":1}\n{\"k\":1,\"l\":1,\"(right) k\":1,\"r\":2}\n"
                "{\"k\":1,\"l\":1,\"(right) k\":1,\"r\":3}\n{\"k\":1,\"l\":3,\"(right) k\":1,\"r\":1}\n"
                "{\"k\":1,\"l\":3,\"(right) k\":1,\"r\":2}\n{\"k\":1,\"l\":3,\"(right) k\":1,\"r\":3}\n");
}

/* A renamed field that clashes again is prefixed again. */
static void test_name_clashes(void **state) {
    expect_join("keys: [k]", "{\"k\":1,\"x\":\"l\",\"right_x\":\"lr\"}\n",
                "{\"k\":1,\"x\":\"r\",\"right_x\":\"rr\",\"right_right_x\":\"z\"}\n",
                "{\"k\":1,\"x\":\"l\",\"right_x\":\"lr\",\"right_k\":1,\"right_right_right_x\":\"r\","
                "\"right_right_right_right_x\":\"rr\",\"right_right_x\":\"z\"}\n");
    /* a name any left record uses clashes, even when this left record lacks it */
    expect_join("keys: [k], join_type: left", "{\"k\":1}\n{\"k\":2,\"x\":0}\n",
                "{\"k\":1,\"x\":9}\n{\"k\":3,\"y\":1}\n",
                "{\"k\":1,\"right_k\":1,\"right_x\":9}\n"
                "{\"k\":2,\"x\":0,\"right_k\":null,\"right_x\":null,\"y\":null}\n");
}

/* A key that cannot be computed sends its record to the error output. */
static void test_key_errors(void **state) {
    char *yaml = join_yaml("left_keys: [\"cast(k as long)\"], right_keys: [k]", 1, 1, 2);
    jt_outcome o = run_job(yaml, "{\"k\":\"1\"}\n{\"k\":\"x\"}\n{\"k\":\"2\"}\n", "{\"k\":1}\n{\"k\":2}\n", 2, 0);
    assert_int_equal(o.rc, 0);
    assert_string_equal(o.out, "{\"k\":\"1\",\"right_k\":1}\n{\"k\":\"2\",\"right_k\":2}\n");
    assert_int_equal(o.rejected, 1);
    free(o.out);
    free(yaml);
}

static void test_option_errors(void **state) {
    char *y;
#define LOAD_ERR(opts, needle)                                                                                         \
    y = join_yaml(opts, 1, 1, 2);                                                                                      \
    jt_expect_load_error(y, needle);                                                                                   \
    free(y)
    LOAD_ERR("join_type: inner", "join needs keys");
    LOAD_ERR("keys: [a], left_keys: [b]", "not both");
    LOAD_ERR("left_keys: [a]", "'left_keys' needs 'right_keys' too");
    LOAD_ERR("right_keys: [a]", "'right_keys' needs 'left_keys' too");
    LOAD_ERR("left_keys: [a, b], right_keys: [c]", "left_keys has 2 keys and right_keys 1");
    LOAD_ERR("keys: []", "needs at least one key");
    LOAD_ERR("keys: [\"a +\"]", "join key 'a +'");
    LOAD_ERR("keys: [a], join_type: cross", "option 'join_type' expects one of");
    LOAD_ERR("keys: [a], right_prefix: \"\"", "right_prefix must not be empty");
    LOAD_ERR("keys: [a], build: middle", "option 'build' expects one of");
#undef LOAD_ERR
    jt_expect_load_error(
        "nodes:\n  l: {type: mem}\n  j: {type: join, input: l, keys: [a]}\n  o: {type: collect, input: j}\n",
        "node type 'join' takes 2 inputs, got 1");
    jt_expect_load_error("nodes:\n  a: {type: mem}\n  b: {type: mem}\n  c: {type: mem}\n"
                         "  j: {type: join, inputs: [a, b, c], keys: [a]}\n  o: {type: collect, input: j}\n",
                         "node type 'join' takes 2 inputs, got 3");
}

/* ---- property test: a nested-loop reference ---- */

typedef struct frame {
    sl_arena arena;
    sl_value *recs;
    size_t n;
} frame;

static void frame_parse(frame *f, const char *text) {
    sl_arena_init(&f->arena);
    f->recs = NULL;
    f->n = 0;
    size_t cap = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            if (f->n == cap) {
                cap = cap ? 2 * cap : 64;
                f->recs = sl_xrealloc(f->recs, cap * sizeof *f->recs);
            }
            assert_int_equal(sl_json_parse(p, len, &f->arena, &f->recs[f->n], NULL), 0);
            f->n++;
        }
        p = nl ? nl + 1 : p + len;
    }
}

static void frame_free(frame *f) {
    sl_arena_free(&f->arena);
    free(f->recs);
}

/* Names of a frame's records in order of first appearance. */
typedef struct names {
    const char **s;
    size_t *len;
    size_t n;
} names;

static bool names_has(const names *ns, const char *s, size_t len) {
    for (size_t i = 0; i < ns->n; i++)
        if (ns->len[i] == len && !memcmp(ns->s[i], s, len)) return true;
    return false;
}

static void names_add(names *ns, const char *s, size_t len) {
    ns->s = sl_xrealloc(ns->s, (ns->n + 1) * sizeof *ns->s);
    ns->len = sl_xrealloc(ns->len, (ns->n + 1) * sizeof *ns->len);
    ns->s[ns->n] = s;
    ns->len[ns->n++] = len;
}

static void names_of(const frame *f, names *ns) {
    memset(ns, 0, sizeof *ns);
    for (size_t i = 0; i < f->n; i++)
        for (uint32_t k = 0; k < f->recs[i].len; k++) {
            const sl_field *fl = &f->recs[i].u.fields[k];
            if (!names_has(ns, fl->name, fl->name_len)) names_add(ns, fl->name, fl->name_len);
        }
}

static void names_free(names *ns) {
    free(ns->s);
    free(ns->len);
}

typedef struct refspec {
    const char *kind; /* inner left right outer left_semi left_anti */
    const char *const *lkeys, *const *rkeys;
    size_t n_keys;
    bool build_left;
} refspec;

static const sl_value *key_of(const sl_value *rec, const char *path) {
    const sl_value *v = sl_value_path(rec, path, strlen(path));
    return v && v->type != SL_T_NULL ? v : NULL;
}

static bool value_match(const sl_value *a, const sl_value *b) {
    bool an = a->type == SL_T_INT || a->type == SL_T_DOUBLE, bn = b->type == SL_T_INT || b->type == SL_T_DOUBLE;
    if (an && bn) {
        double x = a->type == SL_T_INT ? (double)a->u.i : a->u.d, y = b->type == SL_T_INT ? (double)b->u.i : b->u.d;
        return x == y;
    }
    return a->type == b->type && sl_value_equal(a, b);
}

static bool rec_match(const refspec *sp, const sl_value *l, const sl_value *r) {
    for (size_t k = 0; k < sp->n_keys; k++) {
        const sl_value *a = key_of(l, sp->lkeys[k]), *b = key_of(r, sp->rkeys[k]);
        if (!a || !b || !value_match(a, b)) return false;
    }
    return true;
}

typedef struct refout {
    const names *ln, *rn;
    const char **to; /* per right name: output name */
    size_t *to_len;
    sl_buf *out;
} refout;

static size_t name_index(const names *ns, const char *s, size_t len) {
    for (size_t i = 0; i < ns->n; i++)
        if (ns->len[i] == len && !memcmp(ns->s[i], s, len)) return i;
    return (size_t)-1;
}

/* Write left+right (NULL: padded) as a JSON line. */
static void ref_write(const refout *ro, const sl_value *l, const sl_value *r) {
    sl_arena a;
    sl_arena_init(&a);
    size_t ln = l ? l->len : ro->ln->n, rn = r ? r->len : ro->rn->n;
    sl_field *f = sl_arena_calloc(&a, (ln + rn + 1) * sizeof *f);
    for (size_t i = 0; i < ln; i++) {
        if (l)
            f[i] = l->u.fields[i];
        else
            f[i] = (sl_field){ro->ln->s[i], (uint32_t)ro->ln->len[i], 0, sl_null()};
    }
    for (size_t i = 0; i < rn; i++) {
        const char *name = r ? r->u.fields[i].name : ro->rn->s[i];
        size_t len = r ? r->u.fields[i].name_len : ro->rn->len[i];
        size_t k = name_index(ro->rn, name, len);
        f[ln + i] = (sl_field){ro->to[k], (uint32_t)ro->to_len[k], 0, r ? r->u.fields[i].value : sl_null()};
    }
    sl_value v = sl_struct(f, ln + rn);
    sl_json_write(ro->out, &v);
    sl_buf_addc(ro->out, '\n');
    sl_arena_free(&a);
}

static void ref_single(const refout *ro, const sl_value *rec) {
    sl_json_write(ro->out, rec);
    sl_buf_addc(ro->out, '\n');
}

/* The expected output, by nested loops over the records. */
static char *ref_join(const refspec *sp, const char *ltext, const char *rtext) {
    frame lf, rf;
    frame_parse(&lf, ltext);
    frame_parse(&rf, rtext);
    names ln, rn, taken;
    names_of(&lf, &ln);
    names_of(&rf, &rn);
    memset(&taken, 0, sizeof taken);
    sl_arena a;
    sl_arena_init(&a);
    refout ro = {&ln, &rn, sl_xcalloc(rn.n + 1, sizeof(char *)), sl_xcalloc(rn.n + 1, sizeof(size_t)), NULL};
    for (size_t i = 0; i < rn.n; i++) {
        ro.to[i] = rn.s[i];
        ro.to_len[i] = rn.len[i];
        if (!names_has(&ln, rn.s[i], rn.len[i])) continue;
        char *cur = sl_arena_strndup(&a, rn.s[i], rn.len[i]);
        do {
            char *next = sl_arena_alloc(&a, strlen(cur) + 7);
            sprintf(next, "right_%s", cur);
            cur = next;
        } while (names_has(&ln, cur, strlen(cur)) || names_has(&rn, cur, strlen(cur)) ||
                 names_has(&taken, cur, strlen(cur)));
        names_add(&taken, cur, strlen(cur));
        ro.to[i] = cur;
        ro.to_len[i] = strlen(cur);
    }
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_buf_adds(&out, "");
    ro.out = &out;
    const char *k = sp->kind;
    bool joined = strcmp(k, "left_semi") && strcmp(k, "left_anti");
    bool keep_l = !strcmp(k, "left") || !strcmp(k, "outer"), keep_r = !strcmp(k, "right") || !strcmp(k, "outer");
    const frame *probe = sp->build_left ? &rf : &lf, *build = sp->build_left ? &lf : &rf;
    bool *matched = sl_xcalloc(build->n + 1, 1);
    for (size_t i = 0; i < probe->n; i++) {
        const sl_value *p = &probe->recs[i];
        bool any = false;
        for (size_t j = 0; j < build->n; j++) {
            const sl_value *b = &build->recs[j];
            const sl_value *l = sp->build_left ? b : p, *r = sp->build_left ? p : b;
            if (!rec_match(sp, l, r)) continue;
            any = matched[j] = true;
            if (joined) ref_write(&ro, l, r);
        }
        if (sp->build_left) {
            if (!any && keep_r) ref_write(&ro, NULL, p);
        } else if (!strcmp(k, "left_semi")) {
            if (any) ref_single(&ro, p);
        } else if (!strcmp(k, "left_anti")) {
            if (!any) ref_single(&ro, p);
        } else if (!any && keep_l) {
            ref_write(&ro, p, NULL);
        }
    }
    for (size_t j = 0; j < build->n; j++) {
        const sl_value *b = &build->recs[j];
        if (sp->build_left) {
            if (!strcmp(k, "left_semi") ? matched[j] : !strcmp(k, "left_anti") ? !matched[j] : false)
                ref_single(&ro, b);
            else if (keep_l && !matched[j])
                ref_write(&ro, b, NULL);
        } else if (keep_r && !matched[j]) {
            ref_write(&ro, NULL, b);
        }
    }
    free(matched);
    free(ro.to);
    free(ro.to_len);
    names_free(&ln);
    names_free(&rn);
    names_free(&taken);
    sl_arena_free(&a);
    frame_free(&lf);
    frame_free(&rf);
    return sl_buf_detach(&out);
}

static uint64_t rng_state;

/* Seed of a randomized test: SLUICE_TEST_SEED to replay one, else the time. */
static uint64_t test_seed(uint64_t salt) {
    const char *env = getenv("SLUICE_TEST_SEED");
    uint64_t seed = env && *env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) + salt;
    print_message("seed %llu (SLUICE_TEST_SEED=%llu replays it)\n", (unsigned long long)seed, (unsigned long long)seed);
    return seed;
}

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random records: keys k (a small number as long or double, null or
 * missing) and s (one of three strings or missing), plus side fields;
 * names vary so that padding and renaming matter. */
static char *random_side(size_t n, bool right, size_t payload, int keys) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        sl_buf_addc(&b, '{');
        uint64_t x = rnd();
        switch (x % 10) {
        case 0: break; /* missing */
        case 1: sl_buf_adds(&b, "\"k\":null,"); break;
        case 2:
        case 3: sl_buf_printf(&b, "\"k\":%d.0,", (int)((x >> 8) % (uint64_t)keys)); break;
        default: sl_buf_printf(&b, "\"k\":%d,", (int)((x >> 8) % (uint64_t)keys)); break;
        }
        if ((x >> 20) % 4) sl_buf_printf(&b, "\"s\":\"%c\",", 'a' + (int)((x >> 24) % 3));
        if (!((x >> 28) % 5)) sl_buf_printf(&b, "\"%s\":%d,", right ? "only_r" : "only_l", (int)i);
        if (!((x >> 32) % 7)) sl_buf_adds(&b, "\"shared\":true,");
        sl_buf_printf(&b, "\"%s\":%zu", right ? "rv" : "lv", i);
        if (payload) {
            sl_buf_adds(&b, ",\"pad\":\"");
            for (size_t c = 0; c < payload; c++)
                sl_buf_addc(&b, (char)('a' + (x >> (c % 40)) % 26));
            sl_buf_addc(&b, '"');
        }
        sl_buf_adds(&b, "}\n");
    }
    return sl_buf_detach(&b);
}

static const char *const kinds[] = {"inner", "left", "right", "outer", "left_semi", "left_anti"};

static void check_against_reference(const char *left, const char *right, int64_t limit, bool want_spill) {
    static const char *const k1[] = {"k"}, *const k2[] = {"k", "s"};
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        for (int nk = 1; nk <= 2; nk++) {
            for (int bl = 0; bl <= 1; bl++) {
                refspec sp = {kinds[ki], nk == 1 ? k1 : k2, nk == 1 ? k1 : k2, (size_t)nk, bl == 1};
                char *want = ref_join(&sp, left, right);
                char opts[160];
                snprintf(opts, sizeof opts, "join_type: %s, keys: [%s], build: %s", kinds[ki], nk == 1 ? "k" : "k, s",
                         bl ? "left" : "right");
                char *yaml = join_yaml(opts, 3, 4, 37);
                for (int threads = 1; threads <= 4; threads *= 4) {
                    jt_outcome o = run_job(yaml, left, right, threads, limit);
                    if (o.rc) print_error("run failed: %s\n", o.message);
                    assert_int_equal(o.rc, 0);
                    if (strcmp(o.out, want)) {
                        print_error(
                            "%s, %d threads, limit %lld: output differs from the reference (%zu vs %zu bytes)\n", opts,
                            threads, (long long)limit, strlen(o.out), strlen(want));
                        fail();
                    }
                    assert_int_equal(o.stats.spilled, want_spill);
                    free(o.out);
                }
                free(yaml);
                free(want);
            }
        }
    }
}

static void test_property_in_memory(void **state) {
    uint64_t seed = test_seed(0);
    for (int round = 0; round < 4; round++) {
        rng_state = seed * 2654435761u + (uint64_t)round + 1;
        size_t nl = (size_t)(rnd() % 120), nr = (size_t)(rnd() % 120);
        char *left = random_side(nl, false, 0, 12), *right = random_side(nr, true, 0, 12);
        check_against_reference(left, right, 0, false);
        free(left);
        free(right);
    }
}

/* With a tiny memory limit the partitions spill, and the output is the same. */
static void test_property_spilled(void **state) {
    uint64_t seed = test_seed(1);
    rng_state = seed * 2654435761u + 7;
    char *left = random_side(2000, false, 300, 1500), *right = random_side(2000, true, 300, 1500);
    check_against_reference(left, right, 64 << 10, true);
    free(left);
    free(right);
}

/* A build side many times the memory share: partitions are split again,
 * and one key too big for memory is joined by streaming; output equals the
 * in-memory join. */
static void big_side(sl_buf *b, const char *field, int n, int huge) {
    char pad[2001];
    memset(pad, 'p', 2000);
    pad[2000] = 0;
    for (int i = 0; i < n; i++)
        sl_buf_printf(b, "{\"k\":%d,\"%s\":%d,\"pad\":\"%s\"}\n", i * 7 % 2500, field, i, pad);
    for (int i = 0; i < huge; i++)
        sl_buf_printf(b, "{\"k\":7777,\"%s\":%d,\"pad\":\"%s\"}\n", field, n + i, pad);
}

static void small_side(sl_buf *b, const char *field, int n) {
    for (int i = 0; i < n; i++)
        sl_buf_printf(b, "{\"k\":%d,\"%s\":%d}\n", i == 5 ? 7777 : i * 3 % 2700, field, i);
    sl_buf_printf(b, "{\"k\":7777,\"%s\":-1}\n{\"k\":null,\"%s\":-2}\n", field, field);
}

static void test_repartition_and_huge_key(void **state) {
    sl_buf big_l, big_r, small_l, small_r;
    sl_buf_init(&big_l, 0), sl_buf_init(&big_r, 0), sl_buf_init(&small_l, 0), sl_buf_init(&small_r, 0);
    big_side(&big_r, "r", 4500, 400);
    big_side(&big_l, "l", 4500, 400);
    small_side(&small_l, "l", 2000);
    small_side(&small_r, "r", 2000);
    for (int build_left = 0; build_left <= 1; build_left++) {
        const char *left = build_left ? big_l.data : small_l.data, *right = build_left ? small_r.data : big_r.data;
        for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
            char opts[96];
            snprintf(opts, sizeof opts, "join_type: %s, keys: [k], build: %s", kinds[ki],
                     build_left ? "left" : "right");
            /* semi and anti hold only the right side's keys: nothing big to split */
            bool big_build = build_left || ki < 4;
            char *yaml = join_yaml_sets(opts, 2, 3, 500);
            jt_datasets[0] = left, jt_datasets[1] = right;
            jt_outcome mem = run_job(yaml, NULL, NULL, 2, 0);
            if (mem.rc) print_error("%s\n", mem.message);
            assert_int_equal(mem.rc, 0);
            assert_false(mem.stats.spilled);
            for (int threads = 1; threads <= 2; threads++) {
                jt_outcome sp = run_job(yaml, NULL, NULL, threads, 512 << 10);
                if (sp.rc) print_error("%s\n", sp.message);
                assert_int_equal(sp.rc, 0);
                assert_true(sp.stats.spilled);
                if (big_build && (sp.stats.max_depth < 1 || sp.stats.huge_keys < 1))
                    print_error("%s: depth %u, huge keys %zu\n", opts, sp.stats.max_depth, sp.stats.huge_keys);
                assert_true(!big_build || sp.stats.max_depth >= 1);
                assert_true(!big_build || sp.stats.huge_keys >= 1);
                if (strcmp(sp.out, mem.out)) {
                    print_error("%s, %d threads: spilled output differs (%zu vs %zu bytes)\n", opts, threads,
                                strlen(sp.out), strlen(mem.out));
                    fail();
                }
                free(sp.out);
            }
            free(mem.out);
            free(yaml);
        }
    }
    sl_buf_free(&big_l), sl_buf_free(&big_r), sl_buf_free(&small_l), sl_buf_free(&small_r);
}

/* Many result runs are merged in several passes. */
static void test_many_result_runs(void **state) {
    uint64_t seed = test_seed(2);
    rng_state = seed | 1;
    sl_buf l, r;
    sl_buf_init(&l, 0);
    sl_buf_init(&r, 0);
    for (int i = 0; i < 6000; i++)
        sl_buf_printf(&r, "{\"k\":%d,\"r\":\"%0300d\"}\n", (int)(rnd() % 5000), i);
    for (int i = 0; i < 3000; i++)
        sl_buf_printf(&l, "{\"k\":%d,\"l\":%d}\n", (int)(rnd() % 5000), i);
    char *yaml = join_yaml_sets("join_type: outer, keys: [k]", 2, 2, 300);
    jt_datasets[0] = l.data, jt_datasets[1] = r.data;
    jt_outcome mem = run_job(yaml, NULL, NULL, 4, 0);
    jt_outcome sp = run_job(yaml, NULL, NULL, 4, 256 << 10);
    assert_int_equal(mem.rc, 0);
    assert_int_equal(sp.rc, 0);
    assert_true(sp.stats.spilled);
    assert_true(sp.stats.partitions > 8);
    assert_string_equal(sp.out, mem.out);
    free(mem.out);
    free(sp.out);
    free(yaml);
    sl_buf_free(&l);
    sl_buf_free(&r);
}

/* A big in-memory join is emitted as several splits (parallel downstream);
 * their concatenation keeps the order. */
static void test_in_memory_splits(void **state) {
    sl_buf l, r;
    sl_buf_init(&l, 0);
    sl_buf_init(&r, 0);
    for (int i = 0; i < 300000; i++)
        sl_buf_printf(&l, "{\"k\":%d,\"i\":%d}\n", i % 1500, i);
    for (int i = 0; i < 1000; i++)
        sl_buf_printf(&r, "{\"k\":%d}\n", i);
    jt_datasets[0] = l.data, jt_datasets[1] = r.data;
    char *yaml = join_yaml_sets("keys: [k], join_type: left", 4, 1, 4096);
    jt_outcome one = run_job(yaml, NULL, NULL, 1, 0), four = run_job(yaml, NULL, NULL, 4, 0);
    assert_int_equal(one.rc, 0);
    assert_int_equal(four.rc, 0);
    assert_true(four.parts >= 2);
    assert_string_equal(one.out, four.out);
    const char *p = four.out;
    for (int i = 0; i < 300000; i++) { /* left order, padded where k >= 1000 */
        char want[96];
        int n = i % 1500 < 1000
                    ? snprintf(want, sizeof want, "{\"k\":%d,\"i\":%d,\"right_k\":%d}\n", i % 1500, i, i % 1500)
                    : snprintf(want, sizeof want, "{\"k\":%d,\"i\":%d,\"right_k\":null}\n", i % 1500, i);
        if (strncmp(p, want, (size_t)n)) {
            print_error("record %d: want %s", i, want);
            fail();
        }
        p += n;
    }
    assert_int_equal(*p, 0);
    free(one.out);
    free(four.out);
    free(yaml);
    sl_buf_free(&l);
    sl_buf_free(&r);
}

/* A join fed by another breaker (a later stage), and a join of a join. */
static void test_chained(void **state) {
    const char *yaml = "nodes:\n"
                       "  l: {type: mem, data: \"${data}\", splits: 2}\n"
                       "  r: {type: mem, data: \"${data2}\", splits: 2}\n"
                       "  s: {type: sort, input: l, keys: [\"n desc\"]}\n"
                       "  j: {type: join, inputs: [s, r], keys: [k]}\n"
                       "  j2: {type: join, inputs: [j, r], keys: [k], right_prefix: again_}\n"
                       "  out: {type: collect, input: j2}\n";
    const char *left = "{\"k\":1,\"n\":\"a\"}\n{\"k\":2,\"n\":\"b\"}\n{\"k\":3,\"n\":\"c\"}\n";
    const char *right = "{\"k\":2,\"v\":20}\n{\"k\":1,\"v\":10}\n";
    for (int threads = 1; threads <= 4; threads *= 2) {
        jt_outcome o = run_job(yaml, left, right, threads, 0);
        if (o.rc) print_error("%s\n", o.message);
        assert_int_equal(o.rc, 0);
        assert_string_equal(o.out, "{\"k\":2,\"n\":\"b\",\"right_k\":2,\"v\":20,\"again_k\":2,\"again_v\":20}\n"
                                   "{\"k\":1,\"n\":\"a\",\"right_k\":1,\"v\":10,\"again_k\":1,\"again_v\":10}\n");
        free(o.out);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_build_left),
        cmocka_unit_test(test_empty_sides),
        cmocka_unit_test(test_multi_key_and_paths),
        cmocka_unit_test(test_key_types),
        cmocka_unit_test(test_key_canonical),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_name_clashes),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_property_in_memory),
        cmocka_unit_test(test_property_spilled),
        cmocka_unit_test(test_repartition_and_huge_key),
        cmocka_unit_test(test_many_result_runs),
        cmocka_unit_test(test_in_memory_splits),
        cmocka_unit_test(test_chained),
    };
    return cmocka_run_group_tests(tests, jt_setup, jt_teardown);
}
