/*
 * jobtest.h — a harness for unit tests that run whole jobs through the real
 * executor: an in-memory source ("mem"), a collecting target ("collect"),
 * and running a job from YAML text into a jt_outcome.
 *
 *   mem      JSON lines cut into `splits` splits read `batch` records at a
 *            time (default 2, so even small inputs cross batch boundaries);
 *            the lines come from the option `data` or, with `set: N`, from
 *            jt_datasets[N] (job arguments are limited to 1 MiB).
 *   collect  each target's records as JSON lines, one part per (target node,
 *            split); the parts are sorted by target name, split index and the
 *            order they closed in, so the output is in input order whatever
 *            the thread count.
 *
 * Jobs are YAML text with `${data}` and `${data2}` as job arguments; the
 * harness prepends `settings: {error_output: DIR}` with DIR = jt_dir, a
 * scratch folder per test program that tests may also write into and that
 * jt_teardown removes. Use jt_setup/jt_teardown as the cmocka group setup
 * and teardown.
 *
 * A test program that wants more from a run than the collected records
 * (a node's spill statistics) defines JT_OUTCOME_EXTRA as extra fields of
 * jt_outcome before including this header and fills them in a
 * jt_inspect_fn, which sees the job after it ran.
 *
 * Header only (static functions): each tests/unit/test_*.c is compiled
 * alone. Include it after <cmocka.h>.
 */
#ifndef SL_JOBTEST_H
#define SL_JOBTEST_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "exec/executor.h"
#include "exec/job.h"
#include "formats/json.h"

/* ---- the in-memory source ---- */

static const sl_option jt_mem_opts[] = {
    {"data", SL_OPT_STRING, "", "JSON lines.", NULL, 0},
    {"splits", SL_OPT_INT, "1", "Splits.", NULL, 0},
    {"batch", SL_OPT_INT, "2", "Records per batch.", NULL, 0},
    {"set", SL_OPT_INT, "-1", "Take the data from jt_datasets[set] (job arguments are limited to 1 MiB).", NULL, 0},
    {0},
};

/* Inputs too large for a job argument; owned by the test. */
static const char *jt_datasets[2];

static inline const char *jt_mem_data(const sl_node *node) {
    int64_t set = sl_node_int(node, "set");
    return set >= 0 ? jt_datasets[set] : sl_node_str(node, "data");
}

typedef struct jt_mem_reader {
    const char *p, *end;
    size_t batch;
} jt_mem_reader;

/* Byte offset of line `k` of text (or its length). */
static inline size_t jt_line_offset(const char *text, size_t k) {
    const char *p = text;
    for (size_t i = 0; i < k && *p; i++) {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    return (size_t)(p - text);
}

static inline int jt_mem_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    const char *data = jt_mem_data(node);
    size_t lines = 0;
    for (const char *p = data; *p; p++)
        lines += *p == '\n';
    if (*data && data[strlen(data) - 1] != '\n') lines++;
    size_t n = (size_t)sl_node_int(node, "splits");
    sl_split *s = sl_xcalloc(n, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        s[i].path = sl_xstrdup(node->name);
        s[i].offset = jt_line_offset(data, lines * i / n);
        s[i].length = jt_line_offset(data, lines * (i + 1) / n) - s[i].offset;
        s[i].index = (uint32_t)i;
    }
    *splits = s;
    *n_splits = n;
    return 0;
}

static inline int jt_mem_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    jt_mem_reader *r = sl_xcalloc(1, sizeof *r);
    r->p = jt_mem_data(node) + split->offset;
    r->end = r->p + split->length;
    r->batch = (size_t)sl_node_int(node, "batch");
    *out = r;
    return 0;
}

/* Empty lines are skipped; a line that is not JSON fails the run. */
static inline int jt_mem_next(void *state, sl_batch *b, sl_error *err) {
    jt_mem_reader *r = state;
    b->source_name = "mem";
    while (r->p < r->end && b->count < r->batch) {
        const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
        const char *eol = nl ? nl : r->end;
        if (eol > r->p) {
            sl_value v;
            int rc = sl_json_parse(r->p, (size_t)(eol - r->p), &b->arena, &v, err);
            if (rc) return rc;
            sl_batch_push(b, v, (sl_recloc){0, -1});
        }
        r->p = nl ? nl + 1 : r->end;
    }
    return b->count ? 1 : 0;
}

static inline void jt_mem_close(void *state) { free(state); }

static const sl_node_type jt_mem_type = {.name = "mem",
                                         .kind = SL_NODE_SOURCE,
                                         .summary = "test source",
                                         .options = jt_mem_opts,
                                         .plan = jt_mem_plan,
                                         .open = jt_mem_open,
                                         .next = jt_mem_next,
                                         .close = jt_mem_close};

/* ---- the collecting target ---- */

/* One closed part: what one target wrote for one split. */
typedef struct jt_part {
    char *target;   /* the target node's name; owned */
    uint32_t index; /* split index */
    size_t order;   /* position in closing order */
    char *text;     /* JSON lines; owned ("" when empty) */
} jt_part;

static pthread_mutex_t jt_parts_lock = PTHREAD_MUTEX_INITIALIZER;
static jt_part *jt_parts;
static size_t jt_n_parts;

typedef struct jt_collector {
    const char *target;
    uint32_t index;
    sl_buf buf;
} jt_collector;

static inline int jt_collect_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    jt_collector *c = sl_xcalloc(1, sizeof *c);
    c->target = node->name;
    c->index = split ? split->index : 0;
    sl_buf_init(&c->buf, 0);
    *out = c;
    return 0;
}

static inline int jt_collect_write(void *state, sl_batch *b, sl_error *err) {
    jt_collector *c = state;
    for (size_t i = 0; i < b->count; i++) {
        sl_json_write(&c->buf, &b->records[i]);
        sl_buf_addc(&c->buf, '\n');
    }
    return 0;
}

static inline void jt_collect_discard(void *state) {
    jt_collector *c = state;
    sl_buf_free(&c->buf);
    free(c);
}

static inline int jt_collect_close(void *state, sl_error *err) {
    jt_collector *c = state;
    pthread_mutex_lock(&jt_parts_lock);
    jt_parts = sl_xrealloc(jt_parts, (jt_n_parts + 1) * sizeof *jt_parts);
    jt_parts[jt_n_parts] =
        (jt_part){sl_xstrdup(c->target), c->index, jt_n_parts, c->buf.data ? sl_buf_detach(&c->buf) : sl_xstrdup("")};
    jt_n_parts++;
    pthread_mutex_unlock(&jt_parts_lock);
    jt_collect_discard(c);
    return 0;
}

static const sl_option jt_collect_opts[] = {{0}};

static const sl_node_type jt_collect_type = {.name = "collect",
                                             .kind = SL_NODE_TARGET,
                                             .summary = "test target",
                                             .options = jt_collect_opts,
                                             .min_inputs = 1,
                                             .max_inputs = 1,
                                             .target_open = jt_collect_open,
                                             .write = jt_collect_write,
                                             .target_close = jt_collect_close,
                                             .target_discard = jt_collect_discard};

static inline int jt_part_cmp(const void *a, const void *b) {
    const jt_part *x = a, *y = b;
    int c = strcmp(x->target, y->target);
    if (c) return c;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Free the collected parts (a text a caller took and set to NULL is skipped). */
static inline void jt_parts_clear(void) {
    for (size_t i = 0; i < jt_n_parts; i++) {
        free(jt_parts[i].target);
        free(jt_parts[i].text);
    }
    jt_n_parts = 0;
}

/* Every collected part's text concatenated in sorted order; the parts are
 * cleared. Caller frees; "" when nothing was collected. */
static inline char *jt_parts_take_text(void) {
    sl_buf all;
    sl_buf_init(&all, 0);
    sl_buf_adds(&all, "");
    for (size_t i = 0; i < jt_n_parts; i++)
        sl_buf_adds(&all, jt_parts[i].text);
    jt_parts_clear();
    return sl_buf_detach(&all);
}

/* ---- setup ---- */

static char jt_dir[64]; /* error output and scratch files of this test program */

static inline const sl_node_type *jt_find(const char *name) {
    if (!strcmp(name, "mem")) return &jt_mem_type;
    if (!strcmp(name, "collect")) return &jt_collect_type;
    return sl_node_type_find(name);
}

static inline int jt_setup(void **state) {
    sl_job_set_lookup(jt_find);
    snprintf(jt_dir, sizeof jt_dir, "/tmp/sluice-%s-%d", program_invocation_short_name, (int)getpid());
    return 0;
}

static inline int jt_teardown(void **state) {
    sl_job_set_lookup(NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", jt_dir);
    int rc = system(cmd);
    (void)rc;
    jt_parts_clear();
    free(jt_parts);
    jt_parts = NULL;
    return 0;
}

/* ---- running jobs ---- */

#ifndef JT_OUTCOME_EXTRA
#define JT_OUTCOME_EXTRA
#endif

typedef struct jt_outcome {
    int rc;            /* 0, or the error code of loading or running */
    char *out;         /* jt_run: the JSON lines collected, in (target, split) order; caller frees */
    uint64_t rejected; /* records sent to the error output */
    size_t parts;      /* part files the targets closed */
    char message[512]; /* the error message when rc != 0 */
    char node[128];    /* the node a run error names ("" for load errors) */
    JT_OUTCOME_EXTRA
} jt_outcome;

/* Called with the job after it ran (whether or not it succeeded), before it
 * is freed, to copy node statistics into the outcome. */
typedef void jt_inspect_fn(sl_job *job, jt_outcome *o);

/* Load `yaml` with ${data} and ${data2} (NULL = ""). NULL on error (*err set). */
static inline sl_job *jt_load(const char *yaml, const char *data, const char *data2, sl_error *err) {
    const char *prefix = "settings: {error_output: ";
    size_t len = strlen(prefix) + strlen(jt_dir) + strlen(yaml) + 3;
    char *text = sl_xmalloc(len);
    snprintf(text, len, "%s%s}\n%s", prefix, jt_dir, yaml);
    sl_jobarg args[2] = {{"data", data ? data : ""}, {"data2", data2 ? data2 : ""}};
    sl_job *job = NULL;
    int rc = sl_job_load_text("t.yaml", text, strlen(text), args, 2, &job, err);
    free(text);
    return rc ? NULL : job;
}

/* Load and run `yaml` with `threads` workers (and job->settings.memory_limit
 * = memory_limit unless 0). The collected parts stay in jt_parts, sorted, for
 * the caller to read (and take, setting a text to NULL) before
 * jt_parts_clear(); o.out is NULL. `inspect` may be NULL. */
static inline jt_outcome jt_run_parts(const char *yaml, const char *data, const char *data2, int threads,
                                      int64_t memory_limit, jt_inspect_fn *inspect) {
    jt_outcome o;
    memset(&o, 0, sizeof o);
    sl_error err;
    sl_error_clear(&err);
    jt_parts_clear();
    sl_job *job = jt_load(yaml, data, data2, &err);
    if (!job) {
        o.rc = err.code ? err.code : -1;
        snprintf(o.message, sizeof o.message, "%s", err.message);
        return o;
    }
    if (memory_limit) job->settings.memory_limit = memory_limit;
    sl_exec_options opts = {.threads = threads};
    sl_exec_result res;
    memset(&res, 0, sizeof res);
    o.rc = sl_exec_run(job, &opts, &res, &err);
    if (o.rc) {
        snprintf(o.message, sizeof o.message, "%s", err.message);
        snprintf(o.node, sizeof o.node, "%s", err.node);
    }
    o.rejected = res.records_rejected;
    if (inspect) inspect(job, &o);
    sl_job_free(job);
    o.parts = jt_n_parts;
    qsort(jt_parts, jt_n_parts, sizeof *jt_parts, jt_part_cmp);
    return o;
}

/* jt_run_parts with every collected record in o.out ("" when none). */
static inline jt_outcome jt_run(const char *yaml, const char *data, const char *data2, int threads,
                                int64_t memory_limit, jt_inspect_fn *inspect) {
    jt_outcome o = jt_run_parts(yaml, data, data2, threads, memory_limit, inspect);
    o.out = jt_parts_take_text();
    return o;
}

/* Loading `yaml` must fail with a message containing `needle` (and, when
 * `node` is not NULL, name that node). */
static inline void jt_expect_load_error_at(const char *yaml, const char *needle, const char *node) {
    sl_error err;
    sl_error_clear(&err);
    sl_job *job = jt_load(yaml, "", "", &err);
    if (job) print_error("loaded; wanted an error with '%s'\n", needle);
    assert_null(job);
    if (!strstr(err.message, needle)) print_error("message: %s\nwant: %s\n", err.message, needle);
    assert_non_null(strstr(err.message, needle));
    if (node) assert_string_equal(err.node, node);
}

static inline void jt_expect_load_error(const char *yaml, const char *needle) {
    jt_expect_load_error_at(yaml, needle, NULL);
}

#endif
