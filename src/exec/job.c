/*
 * job.c — loading and validating job files (see job.h and
 * docs/job-files.md).
 *
 * Loading runs in three passes so that every error is found before any data
 * moves, and is reported with file, line, column and node:
 *   1. libyaml's event API builds a small tree of scalars, sequences and
 *      mappings (in a scratch arena) that keeps the 1-based line/column of
 *      every key and value. Duplicate keys, non-text keys, unknown aliases
 *      and nesting deeper than MAX_DEPTH are rejected here.
 *   2. The tree is walked: top-level keys, `args:` (resolved with ${}
 *      substitution), `settings:` and each node (type, inputs, options
 *      converted through the type's option table, defaults filled). Every
 *      string the job keeps is copied into job->arena.
 *   3. The graph is checked: inputs name nodes, input counts fit the type,
 *      no cycles, at least one source and one target; then each type's
 *      check hook runs.
 *
 * Limits that keep hostile files cheap: a job file is at most 16 MiB, a
 * value at most 1 MiB after substitution, all substitutions together at most
 * 16 MiB, option trees at most MAX_TREE_VALUES values (YAML aliases can
 * otherwise expand exponentially), arguments nest at most MAX_ARG_DEPTH.
 */
#include "exec/job.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/ytree.h"

#define MAX_JOB_FILE ((size_t)16 << 20)
#define MAX_DEPTH SL_YTREE_MAX_DEPTH
#define MAX_VALUE_BYTES ((size_t)1 << 20)
#define MAX_SUBST_BYTES ((size_t)16 << 20)
#define MAX_TREE_VALUES 100000
#define MAX_ARG_DEPTH 32
#define MAX_NODE_NAME 127

/* Indexes into sl_job_settings_options. */
enum {
    SET_THREADS,
    SET_MAX_ERRORS,
    SET_MAX_ERROR_RATE,
    SET_ERROR_OUTPUT,
    SET_SPILL_DIR,
    SET_MEMORY_LIMIT,
    SET_BATCH_RECORDS,
    SET__COUNT
};

const sl_option sl_job_settings_options[] = {
    {"threads", SL_OPT_INT, "0",
     "Worker threads that read, transform and write in parallel. 0 uses one per CPU core. The --threads flag "
     "overrides it.",
     NULL, 0},
    {"max_errors", SL_OPT_INT, "-1",
     "Fail the run once more than this many records have been rejected (sent to the error output). -1 never "
     "fails on a count; 0 fails on the first bad record.",
     NULL, 0},
    {"max_error_rate", SL_OPT_DOUBLE, "1.0",
     "Fail the run when the share of rejected records among those read exceeds this fraction (0 to 1). 1.0 "
     "never fails on the rate.",
     NULL, 0},
    {"error_output", SL_OPT_PATH, "./data/errors",
     "Directory where rejected records are written, one JSON object per line, in errors-<run-id>.jsonl, each "
     "with the node, source location and reason.",
     NULL, 0},
    {"spill_dir", SL_OPT_PATH, "",
     "Directory for the temporary files of nodes that hold data across the whole run (sort, coalesce) when "
     "it outgrows memory_limit. Empty uses $TMPDIR, else /tmp. Files are removed when the run ends.",
     NULL, 0},
    {"memory_limit", SL_OPT_SIZE, "1GB",
     "Memory that sort and coalesce may hold, across all workers, before they spill sorted runs to "
     "spill_dir. Streaming nodes need no more than a few batches whatever this says.",
     NULL, 0},
    {"batch_records", SL_OPT_INT, "1024",
     "Records per batch passed between nodes. Larger batches amortise per-batch work better but fall out of "
     "the CPU caches between nodes (1024 measured fastest on the W1/W2 benchmarks).",
     NULL, 0},
    {NULL, 0, NULL, NULL, NULL, 0},
};

/* ---- node type lookup (overridable by tests) ---- */

static sl_node_type_lookup type_lookup;
static sl_node_type_lister type_lister;

void sl_job_set_lookup(sl_node_type_lookup fn) { type_lookup = fn; }
void sl_job_set_type_list(sl_node_type_lister fn) { type_lister = fn; }

static const sl_node_type *find_type(const char *name) {
    return type_lookup ? type_lookup(name) : sl_node_type_find(name);
}

static const sl_node_type *const *list_types(size_t *count) {
    return type_lister ? type_lister(count) : sl_node_types(count);
}

/* ======================================================================
 * Pass 1: YAML text → tree with positions (core/ytree.h)
 * ====================================================================== */

/* Messages are one line: user text may hold control characters (YAML escapes). */
static void one_line(sl_error *err) {
    if (!err) return;
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
}

static uint64_t hash_text(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ======================================================================
 * Pass 2: tree → job
 * ====================================================================== */

typedef struct argdef {
    const char *name;
    const sl_ynode *value; /* NULL: no default */
    const char *resolved;
    int state; /* 0 unresolved, 1 resolving, 2 resolved */
} argdef;

/* Where a node's inputs were written (for graph errors). */
typedef struct nodesrc {
    const sl_ynode *key;       /* the node's name */
    const sl_ynode *input_key; /* `input`/`inputs` key, NULL if absent */
    const sl_ynode **input_at; /* each input name */
} nodesrc;

typedef struct loader {
    const char *file;
    sl_job *job;
    sl_arena *arena;   /* job->arena: everything the job keeps */
    sl_arena *scratch; /* the YAML tree and temporaries */
    sl_error *err;
    const sl_jobarg *cli;
    size_t n_cli;
    argdef *defs;
    size_t n_defs;
    int arg_depth;
    size_t subst_bytes;
    size_t tree_values;
    bool substitute;      /* false while converting built-in defaults */
    const char *cur_node; /* node the current error belongs to */
    nodesrc *src;         /* parallel to job->nodes */
    size_t *slots;        /* node name hash: index + 1, 0 = empty */
    size_t slot_mask;
} loader;

/* Fill err with a message, the job file, at's position and the current node. */
static int fail_at(loader *ld, int line, int column, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail_at(loader *ld, int line, int column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(ld->err, SL_EINVAL, fmt, ap);
    va_end(ap);
    one_line(ld->err);
    sl_error_at(ld->err, ld->file, line, column);
    sl_error_node(ld->err, ld->cur_node);
    return SL_EINVAL;
}

#define FAIL(ld, at, ...) fail_at((ld), (at) ? (at)->line : 0, (at) ? (at)->column : 0, __VA_ARGS__)

/* User text for a one-line message: at most 60 bytes, control characters as
 * '?', "..." when cut. Lives in the scratch arena. */
static const char *show(loader *ld, const char *text) {
    size_t n = strnlen(text, 61);
    char *out = sl_arena_alloc(ld->scratch, 64 + 4);
    for (size_t i = 0; i < n && i < 60; i++)
        out[i] = (unsigned char)text[i] < 0x20 ? '?' : text[i];
    if (n > 60) {
        memcpy(out + 60, "...", 4);
    } else {
        out[n] = 0;
    }
    return out;
}

static bool is_null(const sl_ynode *n) {
    if (!n) return true;
    if (n->kind != SL_Y_SCALAR || !n->plain) return false;
    return !n->len || !strcmp(n->text, "~") || !strcmp(n->text, "null") || !strcmp(n->text, "Null") ||
           !strcmp(n->text, "NULL");
}

/* Index of the pair whose key is `key`, or -1. */
static long map_find(const sl_ynode *map, const char *key) {
    for (size_t i = 0; i + 1 < map->n; i += 2)
        if (!strcmp(map->items[i]->text, key)) return (long)i;
    return -1;
}

/* ---- suggestions ---- */

/* Optimal string alignment distance, case-insensitive; large for long names. */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 1000;
    size_t rows[3][65];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == cb &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

static bool is_close(const char *name, const char *cand) {
    size_t len = strlen(name);
    size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    return edit_distance(name, cand) <= limit;
}

static void add_list(sl_buf *msg, const char *const *names, size_t n) {
    for (size_t i = 0; i < n; i++)
        sl_buf_printf(msg, "%s%s", i ? ", " : "", names[i]);
}

/* Append "; did you mean 'x'?" for the closest candidates, then (when
 * always_list, or nothing is close) "; <label>: a, b, c". */
static void add_suggestions(loader *ld, sl_buf *msg, const char *name, const char *const *names, size_t n,
                            const char *label, bool always_list) {
    const char **close = sl_arena_alloc(ld->scratch, (n ? n : 1) * sizeof *close);
    size_t n_close = 0;
    size_t best = 1000;
    for (size_t i = 0; i < n; i++) {
        if (!is_close(name, names[i])) continue;
        size_t d = edit_distance(name, names[i]);
        if (d < best) {
            best = d;
            n_close = 0;
        }
        if (d == best) close[n_close++] = names[i];
    }
    if (n_close == 1) {
        sl_buf_printf(msg, "; did you mean '%s'?", close[0]);
    } else if (n_close > 1) {
        sl_buf_adds(msg, "; did you mean one of: ");
        add_list(msg, close, n_close);
        sl_buf_adds(msg, "?");
    }
    if (n && (always_list || !n_close)) {
        sl_buf_printf(msg, "%s%s: ", n_close ? " " : "; ", label);
        add_list(msg, names, n);
    }
}

static int fail_buf(loader *ld, const sl_ynode *at, sl_buf *msg) {
    int rc = FAIL(ld, at, "%s", msg->data ? msg->data : "invalid job file");
    sl_buf_free(msg);
    return rc;
}

static const char **option_names(loader *ld, const sl_option *opts, size_t *n) {
    size_t count = 0;
    while (opts && opts[count].name)
        count++;
    const char **names = sl_arena_alloc(ld->scratch, (count ? count : 1) * sizeof *names);
    for (size_t i = 0; i < count; i++)
        names[i] = opts[i].name;
    *n = count;
    return names;
}

/* Names of the registered types, optionally only those of one kind (kind < 0: all). */
static const char **type_names(loader *ld, int kind, size_t *n) {
    size_t count = 0;
    const sl_node_type *const *types = list_types(&count);
    const char **names = sl_arena_alloc(ld->scratch, (count ? count : 1) * sizeof *names);
    *n = 0;
    for (size_t i = 0; types && i < count; i++)
        if (kind < 0 || (int)types[i]->kind == kind) names[(*n)++] = types[i]->name;
    return names;
}

/* ---- ${name} substitution ---- */

static int subst(loader *ld, const sl_ynode *s, const char **out);

static const argdef *find_def(const loader *ld, const char *name) {
    for (size_t i = 0; i < ld->n_defs; i++)
        if (!strcmp(ld->defs[i].name, name)) return &ld->defs[i];
    return NULL;
}

static const char *find_cli(const loader *ld, const char *name) {
    for (size_t i = ld->n_cli; i-- > 0;) /* the last --arg wins */
        if (ld->cli[i].name && !strcmp(ld->cli[i].name, name)) return ld->cli[i].value ? ld->cli[i].value : "";
    return NULL;
}

static int unknown_arg(loader *ld, const sl_ynode *at, const char *name) {
    const char **names = sl_arena_alloc(ld->scratch, (ld->n_defs + ld->n_cli + 1) * sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < ld->n_defs; i++)
        names[n++] = ld->defs[i].name;
    for (size_t i = 0; i < ld->n_cli; i++) {
        const char *cli = ld->cli[i].name;
        bool seen = !cli || find_def(ld, cli);
        for (size_t j = 0; j < i && !seen; j++)
            seen = ld->cli[j].name && !strcmp(ld->cli[j].name, cli);
        if (!seen) names[n++] = cli;
    }
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg, "unknown argument '${%s}'", show(ld, name));
    if (n)
        add_suggestions(ld, &msg, name, names, n, "arguments are", true);
    else
        sl_buf_adds(&msg, "; the job declares no arguments (add it under 'args:')");
    sl_buf_printf(&msg, "; set one with --arg %s=VALUE", show(ld, name));
    return fail_buf(ld, at, &msg);
}

/* Value of argument `name`, referenced from scalar `at`. */
static int arg_value(loader *ld, const char *name, const sl_ynode *at, const char **out) {
    if ((*out = find_cli(ld, name))) return SL_OK;
    argdef *def = (argdef *)find_def(ld, name);
    if (!def) return unknown_arg(ld, at, name);
    if (is_null(def->value))
        return FAIL(ld, at, "argument '%s' has no default; set it with --arg %s=VALUE", show(ld, name), show(ld, name));
    if (def->state == 2) {
        *out = def->resolved;
        return SL_OK;
    }
    if (def->state == 1) return FAIL(ld, def->value, "argument '%s' refers to itself through ${...}", show(ld, name));
    if (ld->arg_depth >= MAX_ARG_DEPTH)
        return FAIL(ld, def->value, "arguments refer to each other more than %d levels deep", MAX_ARG_DEPTH);
    def->state = 1;
    ld->arg_depth++;
    int rc = subst(ld, def->value, &def->resolved);
    ld->arg_depth--;
    if (rc) return rc;
    def->state = 2;
    *out = def->resolved;
    return SL_OK;
}

/* Text of scalar s with ${name} replaced and $${ turned into ${; the result
 * lives in job->arena. */
static int subst(loader *ld, const sl_ynode *s, const char **out) {
    if (!ld->substitute || !strchr(s->text, '$')) {
        *out = sl_arena_strndup(ld->arena, s->text, s->len);
        return SL_OK;
    }
    sl_buf b;
    sl_buf_init(&b, MAX_VALUE_BYTES);
    int rc = SL_OK;
    const char *p = s->text;
    while (*p && !rc) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            rc = sl_buf_adds(&b, "${");
            p += 3;
        } else if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            if (!close) {
                rc = FAIL(ld, s, "unterminated '${' (close it with '}', or write '$${' for a literal '${')");
                break;
            }
            if (close == p + 2) {
                rc = FAIL(ld, s, "empty '${}': write '${name}' to use an argument, or '$${' for a literal '${'");
                break;
            }
            const char *name = sl_arena_strndup(ld->scratch, p + 2, (size_t)(close - p - 2));
            const char *value;
            if ((rc = arg_value(ld, name, s, &value))) break;
            rc = sl_buf_adds(&b, value);
            p = close + 1;
        } else {
            size_t run = strcspn(p + 1, "$") + 1; /* copy up to the next '$' */
            rc = sl_buf_add(&b, p, run);
            p += run;
        }
    }
    if (rc == SL_ELIMIT) rc = FAIL(ld, s, "value is longer than %zu bytes after ${} substitution", MAX_VALUE_BYTES);
    if (!rc && (ld->subst_bytes += b.len) > MAX_SUBST_BYTES)
        rc = FAIL(ld, s, "the job file expands to more than %zu bytes of ${} substitutions", MAX_SUBST_BYTES);
    if (!rc) *out = sl_arena_strndup(ld->arena, b.data ? b.data : "", b.len);
    sl_buf_free(&b);
    return rc;
}

/* ---- option values ---- */

/* "an integer", "one of a, b" … for messages about non-scalar values. */
static const char *expected(loader *ld, const sl_option *opt) {
    switch (opt->type) {
    case SL_OPT_STRING: return "text";
    case SL_OPT_PATH: return "a path";
    case SL_OPT_INT: return "an integer";
    case SL_OPT_DOUBLE: return "a number";
    case SL_OPT_BOOL: return "true or false";
    case SL_OPT_SIZE: return "a byte size";
    case SL_OPT_EXPR: return "an expression";
    case SL_OPT_LIST: return "a list";
    case SL_OPT_TREE: return "a value";
    case SL_OPT_ENUM: break;
    }
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_adds(&b, "one of ");
    for (const char *c = opt->choices ? opt->choices : ""; *c; c++) {
        if (*c == '|')
            sl_buf_adds(&b, ", ");
        else
            sl_buf_addc(&b, *c);
    }
    const char *text = sl_arena_strndup(ld->scratch, b.data, b.len);
    sl_buf_free(&b);
    return text;
}

static int too_many_values(loader *ld, const sl_option *opt, const sl_ynode *at) {
    return FAIL(ld, at,
                "option '%s': list and structure options hold more than %d values in all (a YAML alias "
                "used many times?)",
                opt->name, MAX_TREE_VALUES);
}

/* v is part of the value top (where limit errors are reported). */
static int to_tree(loader *ld, const sl_option *opt, const sl_ynode *v, const sl_ynode *top, int depth, sl_value *out) {
    if (++ld->tree_values > MAX_TREE_VALUES) return too_many_values(ld, opt, top);
    if (depth > MAX_DEPTH) return FAIL(ld, top, "option '%s' nests more than %d levels deep", opt->name, MAX_DEPTH);
    if (v->kind == SL_Y_SCALAR) {
        const char *text;
        int rc = subst(ld, v, &text);
        if (rc) return rc;
        size_t len = strlen(text);
        *out = sl_string(text, len, sl_json_plain(text, len) ? SL_VF_JSON_PLAIN : 0);
        return SL_OK;
    }
    if (v->kind == SL_Y_SEQ) {
        sl_value *items = sl_arena_calloc(ld->arena, (v->n ? v->n : 1) * sizeof *items);
        for (size_t i = 0; i < v->n; i++) {
            int rc = to_tree(ld, opt, v->items[i], top, depth + 1, &items[i]);
            if (rc) return rc;
        }
        *out = sl_list(items, v->n);
        return SL_OK;
    }
    size_t pairs = v->n / 2;
    sl_field *fields = sl_arena_calloc(ld->arena, (pairs ? pairs : 1) * sizeof *fields);
    for (size_t i = 0; i < pairs; i++) {
        const sl_ynode *key = v->items[2 * i];
        fields[i].name = sl_arena_strndup(ld->arena, key->text, key->len);
        fields[i].name_len = (uint32_t)key->len;
        fields[i].name_flags = sl_json_plain(key->text, key->len) ? SL_VF_JSON_PLAIN : 0;
        int rc = to_tree(ld, opt, v->items[2 * i + 1], top, depth + 1, &fields[i].value);
        if (rc) return rc;
    }
    *out = sl_struct(fields, pairs);
    return SL_OK;
}

static int to_list(loader *ld, const sl_option *opt, const sl_ynode *v, sl_optval *out) {
    if (v->kind == SL_Y_MAP) return FAIL(ld, v, "option '%s' expects a list, got a mapping", opt->name);
    if (v->kind == SL_Y_SCALAR) {
        int rc = subst(ld, v, &out->text);
        if (rc) return rc;
        size_t len = strlen(out->text);
        sl_value *item = sl_arena_alloc(ld->arena, sizeof *item);
        *item = sl_string(out->text, len, sl_json_plain(out->text, len) ? SL_VF_JSON_PLAIN : 0);
        out->tree = sl_list(item, 1);
        return SL_OK;
    }
    if ((ld->tree_values += v->n) > MAX_TREE_VALUES) return too_many_values(ld, opt, v);
    sl_value *items = sl_arena_calloc(ld->arena, (v->n ? v->n : 1) * sizeof *items);
    for (size_t i = 0; i < v->n; i++) {
        const sl_ynode *item = v->items[i];
        if (item->kind != SL_Y_SCALAR)
            return FAIL(ld, item, "option '%s' expects a list of plain values; item %zu is %s", opt->name, i + 1,
                        sl_ynode_kind_name(item));
        const char *text;
        int rc = subst(ld, item, &text);
        if (rc) return rc;
        size_t len = strlen(text);
        items[i] = sl_string(text, len, sl_json_plain(text, len) ? SL_VF_JSON_PLAIN : 0);
    }
    out->tree = sl_list(items, v->n);
    out->text = NULL;
    return SL_OK;
}

/* Convert value node v for opt into out (set, position, typed value). */
static int convert_value(loader *ld, const sl_option *opt, const sl_ynode *v, sl_optval *out) {
    memset(out, 0, sizeof *out);
    out->line = v->line;
    out->column = v->column;
    int rc;
    if (opt->type == SL_OPT_LIST) {
        rc = to_list(ld, opt, v, out);
    } else if (opt->type == SL_OPT_TREE) {
        rc = to_tree(ld, opt, v, v, 0, &out->tree);
        if (!rc && v->kind == SL_Y_SCALAR) out->text = out->tree.u.s; /* NUL-terminated by subst */
    } else {
        if (v->kind != SL_Y_SCALAR)
            return FAIL(ld, v, "option '%s' expects %s, got %s", opt->name, expected(ld, opt), sl_ynode_kind_name(v));
        const char *text;
        if ((rc = subst(ld, v, &text))) return rc;
        if ((rc = sl_option_convert(opt, text, out, ld->err))) {
            sl_error_at(ld->err, ld->file, v->line, v->column);
            sl_error_node(ld->err, ld->cur_node);
            return rc;
        }
    }
    if (rc) return rc;
    out->set = true;
    out->has_value = true;
    return SL_OK;
}

/* Built-in default of opt (a programming error when it does not convert). */
static int apply_default(loader *ld, const sl_option *opt, sl_optval *out) {
    memset(out, 0, sizeof *out);
    if (!opt->default_text) return SL_OK;
    int rc;
    if (opt->type == SL_OPT_LIST || opt->type == SL_OPT_TREE) {
        sl_ynode *root;
        sl_error yerr;
        sl_error_clear(&yerr);
        rc = sl_ytree_parse("<default>", "job file", opt->default_text, strlen(opt->default_text), ld->scratch, &root, &yerr);
        if (!rc && is_null(root)) return SL_OK;
        if (!rc) {
            ld->substitute = false;
            rc = convert_value(ld, opt, root, out);
            ld->substitute = true;
            out->set = false;
            out->line = out->column = 0;
        }
    } else {
        rc = sl_option_convert(opt, opt->default_text, out, ld->err);
    }
    if (rc) {
        sl_error_set(ld->err, SL_EINTERNAL, "option '%s' has an invalid built-in default '%s'", opt->name,
                     opt->default_text);
        sl_error_node(ld->err, ld->cur_node);
        return SL_EINTERNAL;
    }
    return SL_OK;
}

/* Parse the options in mapping `map` against table `opts` into vals
 * (parallel to opts). For nodes (type_name != NULL) the keys type, input and
 * inputs belong to the caller. owner locates "missing option" errors. */
static int parse_options(loader *ld, const sl_option *opts, const sl_ynode *map, const char *type_name, const sl_ynode *owner,
                         sl_optval *vals) {
    size_t n_opts;
    const char **names = option_names(ld, opts, &n_opts);
    for (size_t i = 0; map && i + 1 < map->n; i += 2) {
        const sl_ynode *key = map->items[i], *value = map->items[i + 1];
        if (type_name && (!strcmp(key->text, "type") || !strcmp(key->text, "input") || !strcmp(key->text, "inputs")))
            continue;
        size_t k = 0;
        while (k < n_opts && strcmp(names[k], key->text))
            k++;
        if (k == n_opts) {
            sl_buf msg;
            sl_buf_init(&msg, 0);
            if (type_name)
                sl_buf_printf(&msg, "unknown option '%s' for node type '%s'", show(ld, key->text), type_name);
            else
                sl_buf_printf(&msg, "unknown setting '%s'", show(ld, key->text));
            if (type_name && !n_opts) sl_buf_adds(&msg, "; this type takes no options besides type and input");
            add_suggestions(ld, &msg, key->text, names, n_opts, type_name ? "valid options" : "valid settings", true);
            return fail_buf(ld, key, &msg);
        }
        if (is_null(value)) continue; /* `key:` with no value: as if absent */
        int rc = convert_value(ld, &opts[k], value, &vals[k]);
        if (rc) return rc;
    }
    for (size_t k = 0; k < n_opts; k++) {
        if (vals[k].has_value) continue;
        if (opts[k].flags & SL_OPTF_REQUIRED)
            return type_name ? FAIL(ld, owner, "missing required option '%s' (node type '%s')", opts[k].name, type_name)
                             : FAIL(ld, owner, "missing required setting '%s'", opts[k].name);
        int rc = apply_default(ld, &opts[k], &vals[k]);
        if (rc) return rc;
    }
    return SL_OK;
}

/* ---- top-level sections ---- */

static bool valid_arg_name(const char *s) {
    if (!*s) return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return false;
    return true;
}

static int load_args(loader *ld, const sl_ynode *args) {
    if (is_null(args)) return SL_OK;
    if (args->kind != SL_Y_MAP)
        return FAIL(ld, args, "'args' expects a mapping of argument names to default values, got %s", sl_ynode_kind_name(args));
    ld->n_defs = args->n / 2;
    ld->defs = sl_arena_calloc(ld->scratch, (ld->n_defs ? ld->n_defs : 1) * sizeof *ld->defs);
    for (size_t i = 0; i < ld->n_defs; i++) {
        const sl_ynode *key = args->items[2 * i], *value = args->items[2 * i + 1];
        if (!valid_arg_name(key->text))
            return FAIL(ld, key, "argument name '%s' may contain only letters, digits, '_', '-' and '.'",
                        show(ld, key->text));
        if (value->kind != SL_Y_SCALAR)
            return FAIL(ld, value, "default of argument '%s' must be plain text, got %s", key->text, sl_ynode_kind_name(value));
        ld->defs[i].name = key->text;
        ld->defs[i].value = value;
    }
    return SL_OK;
}

/* Resolve every argument that has a value into job->args: declared ones in
 * file order, then command-line extras in the order given. */
static int resolve_args(loader *ld) {
    sl_job *job = ld->job;
    for (size_t i = 0; i < ld->n_cli; i++)
        if (!ld->cli[i].name || !ld->cli[i].name[0]) return fail_at(ld, 0, 0, "--arg needs a name: --arg NAME=VALUE");
    job->args = sl_arena_calloc(ld->arena, (ld->n_defs + ld->n_cli + 1) * sizeof *job->args);
    for (size_t i = 0; i < ld->n_defs; i++) {
        const argdef *def = &ld->defs[i];
        if (!find_cli(ld, def->name) && is_null(def->value)) continue; /* required, unset: fails only if used */
        const char *value;
        int rc = arg_value(ld, def->name, def->value, &value);
        if (rc) return rc;
        job->args[job->n_args].name = sl_arena_strndup(ld->arena, def->name, strlen(def->name));
        job->args[job->n_args++].value = sl_arena_strndup(ld->arena, value, strlen(value));
    }
    for (size_t i = 0; i < ld->n_cli; i++) {
        const char *name = ld->cli[i].name;
        if (find_def(ld, name)) continue;
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= !strcmp(ld->cli[j].name, name);
        if (seen) continue; /* listed once, with the last value */
        const char *value = find_cli(ld, name);
        job->args[job->n_args].name = sl_arena_strndup(ld->arena, name, strlen(name));
        job->args[job->n_args++].value = sl_arena_strndup(ld->arena, value, strlen(value));
    }
    return SL_OK;
}

static int text_value(loader *ld, const char *key, const sl_ynode *v, char **out) {
    *out = NULL;
    if (is_null(v)) return SL_OK;
    if (v->kind != SL_Y_SCALAR) return FAIL(ld, v, "'%s' expects text, got %s", key, sl_ynode_kind_name(v));
    const char *text;
    int rc = subst(ld, v, &text);
    if (!rc) *out = (char *)text;
    return rc;
}

/* File name without directory and .yaml/.yml. */
static char *default_name(loader *ld) {
    const char *base = strrchr(ld->file, '/');
    base = base ? base + 1 : ld->file;
    size_t len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".yaml"))
        len -= 5;
    else if (len > 4 && !strcmp(base + len - 4, ".yml"))
        len -= 4;
    if (!len) return sl_arena_strndup(ld->arena, "job", 3);
    return sl_arena_strndup(ld->arena, base, len);
}

static int setting_range(loader *ld, const sl_optval *v, const char *name, double lo, double hi, double got,
                         const char *what) {
    if (got >= lo && got <= hi) return SL_OK;
    return fail_at(ld, v->line, v->column, "setting '%s' must be %s, got %s", name, what, v->text ? v->text : "?");
}

static int load_settings(loader *ld, const sl_ynode *settings) {
    if (!is_null(settings) && settings->kind != SL_Y_MAP)
        return FAIL(ld, settings, "'settings' expects a mapping of setting names to values, got %s",
                    sl_ynode_kind_name(settings));
    sl_optval vals[SET__COUNT];
    memset(vals, 0, sizeof vals);
    int rc = parse_options(ld, sl_job_settings_options, is_null(settings) ? NULL : settings, NULL, settings, vals);
    if (rc) return rc;
    const sl_optval *v = vals;
    if ((rc = setting_range(ld, &v[SET_THREADS], "threads", 0, 4096, (double)v[SET_THREADS].i,
                            "between 0 and 4096 (0 = one per CPU core)")) ||
        (rc = setting_range(ld, &v[SET_MAX_ERRORS], "max_errors", -1, 1e19, (double)v[SET_MAX_ERRORS].i,
                            "-1 (unlimited) or a count of 0 or more")) ||
        (rc = setting_range(ld, &v[SET_MAX_ERROR_RATE], "max_error_rate", 0, 1, v[SET_MAX_ERROR_RATE].d,
                            "a fraction between 0 and 1")) ||
        (rc = setting_range(ld, &v[SET_BATCH_RECORDS], "batch_records", 1, 1 << 20, (double)v[SET_BATCH_RECORDS].i,
                            "between 1 and 1048576")) ||
        (rc = setting_range(ld, &v[SET_MEMORY_LIMIT], "memory_limit", 1 << 20, 1e15, (double)v[SET_MEMORY_LIMIT].i,
                            "at least 1MB")))
        return rc;
    if (!v[SET_ERROR_OUTPUT].text[0])
        return fail_at(ld, v[SET_ERROR_OUTPUT].line, v[SET_ERROR_OUTPUT].column,
                       "setting 'error_output' must name a directory, got an empty string");
    sl_job_settings *s = &ld->job->settings;
    s->threads = (int)v[SET_THREADS].i;
    s->max_errors = v[SET_MAX_ERRORS].i;
    s->max_error_rate = v[SET_MAX_ERROR_RATE].d;
    s->error_output = v[SET_ERROR_OUTPUT].text;
    s->spill_dir = v[SET_SPILL_DIR].has_value && v[SET_SPILL_DIR].text[0] ? v[SET_SPILL_DIR].text : NULL;
    s->memory_limit = v[SET_MEMORY_LIMIT].i;
    s->batch_records = v[SET_BATCH_RECORDS].i;
    return SL_OK;
}

/* ---- nodes ---- */

static int check_node_name(loader *ld, const sl_ynode *key) {
    if (!key->len) return FAIL(ld, key, "a node name may not be empty");
    if (key->len > MAX_NODE_NAME)
        return FAIL(ld, key, "node name '%s' is longer than %d bytes", show(ld, key->text), MAX_NODE_NAME);
    for (const char *p = key->text; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return FAIL(ld, key, "node name '%s' contains a control character", show(ld, key->text));
    return SL_OK;
}

static int unknown_type(loader *ld, const sl_ynode *at, const char *name) {
    size_t n;
    const char **names = type_names(ld, -1, &n);
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg, "unknown node type '%s'", show(ld, name));
    add_suggestions(ld, &msg, name, names, n, "known types", false);
    return fail_buf(ld, at, &msg);
}

/* One input name from scalar v. */
static int input_name(loader *ld, const sl_ynode *key, const sl_ynode *v, char **out) {
    if (v->kind != SL_Y_SCALAR || is_null(v))
        return FAIL(ld, v, "'%s' expects the name of a node, got %s", key->text,
                    v->kind == SL_Y_SCALAR ? "nothing" : sl_ynode_kind_name(v));
    const char *text;
    int rc = subst(ld, v, &text);
    if (!rc) *out = (char *)text;
    return rc;
}

static int parse_inputs(loader *ld, sl_node *node, nodesrc *src, const sl_ynode *map) {
    long in = map_find(map, "input"), ins = map_find(map, "inputs");
    if (in >= 0 && ins >= 0)
        return FAIL(ld, map->items[ins], "write either 'input: NODE' or 'inputs: [A, B]', not both");
    if (in < 0 && ins < 0) return SL_OK;
    const sl_ynode *key = map->items[in >= 0 ? in : ins], *value = map->items[(in >= 0 ? in : ins) + 1];
    src->input_key = key;
    if (in >= 0 && value->kind == SL_Y_SEQ)
        return FAIL(ld, value, "'input' takes one node name; write 'inputs: [A, B]' for several");
    if (value->kind == SL_Y_MAP) return FAIL(ld, value, "'%s' expects node names, got a mapping", key->text);
    size_t n = value->kind == SL_Y_SEQ ? value->n : 1;
    node->inputs = sl_arena_calloc(ld->arena, n * sizeof *node->inputs);
    src->input_at = sl_arena_calloc(ld->scratch, n * sizeof *src->input_at);
    for (size_t i = 0; i < n; i++) {
        const sl_ynode *item = value->kind == SL_Y_SEQ ? value->items[i] : value;
        int rc = input_name(ld, key, item, &node->inputs[i]);
        if (rc) return rc;
        src->input_at[i] = item;
        node->n_inputs++;
    }
    return SL_OK;
}

static int parse_node(loader *ld, const sl_ynode *key, const sl_ynode *value, nodesrc *src, sl_node **out) {
    int rc = check_node_name(ld, key);
    if (rc) return rc;
    char *name = sl_arena_strndup(ld->arena, key->text, key->len);
    ld->cur_node = name;
    if (value->kind != SL_Y_MAP)
        return FAIL(ld, is_null(value) ? key : value, "a node is a mapping with 'type:' and its options, got %s",
                    is_null(value) ? "nothing" : sl_ynode_kind_name(value));
    long t = map_find(value, "type");
    if (t < 0) {
        size_t n;
        const char **names = type_names(ld, -1, &n);
        sl_buf msg;
        sl_buf_init(&msg, 0);
        sl_buf_adds(&msg, "node has no 'type:'");
        if (n) {
            sl_buf_adds(&msg, "; known types: ");
            add_list(&msg, names, n);
        }
        return fail_buf(ld, key, &msg);
    }
    const sl_ynode *type_value = value->items[t + 1];
    if (type_value->kind != SL_Y_SCALAR || is_null(type_value))
        return FAIL(ld, type_value, "'type' expects a node type name, got %s",
                    type_value->kind == SL_Y_SCALAR ? "nothing" : sl_ynode_kind_name(type_value));
    const char *type_name;
    if ((rc = subst(ld, type_value, &type_name))) return rc;
    const sl_node_type *type = find_type(type_name);
    if (!type) return unknown_type(ld, type_value, type_name);

    sl_node *node = sl_arena_calloc(ld->arena, sizeof *node);
    node->name = name;
    node->type = type;
    node->line = key->line;
    node->column = key->column;
    node->job_file = ld->job->file;
    size_t n_opts = 0;
    while (type->options && type->options[n_opts].name)
        n_opts++;
    node->opts = sl_arena_calloc(ld->arena, (n_opts ? n_opts : 1) * sizeof *node->opts);
    src->key = key;
    *out = node;
    if ((rc = parse_inputs(ld, node, src, value))) return rc;
    return parse_options(ld, type->options, value, type->name, key, node->opts);
}

static int load_nodes(loader *ld, const sl_ynode *nodes, const sl_ynode *root) {
    if (is_null(nodes) || (nodes->kind == SL_Y_MAP && !nodes->n))
        return FAIL(ld, nodes ? nodes : root, "the job has no nodes; add a 'nodes:' mapping of node names to nodes");
    if (nodes->kind != SL_Y_MAP)
        return FAIL(ld, nodes, "'nodes' expects a mapping of node names to nodes, got %s", sl_ynode_kind_name(nodes));
    sl_job *job = ld->job;
    size_t n = nodes->n / 2;
    job->nodes = sl_arena_calloc(ld->arena, n * sizeof *job->nodes);
    ld->src = sl_arena_calloc(ld->scratch, n * sizeof *ld->src);
    for (size_t i = 0; i < n; i++) {
        int rc = parse_node(ld, nodes->items[2 * i], nodes->items[2 * i + 1], &ld->src[i], &job->nodes[i]);
        if (job->nodes[i]) job->n_nodes = i + 1;
        if (rc) return rc;
    }
    ld->cur_node = NULL;
    return SL_OK;
}

/* ======================================================================
 * Pass 3: the graph
 * ====================================================================== */

static long node_index(const sl_job *job, const char *name) {
    for (size_t i = 0; i < job->n_nodes; i++)
        if (!strcmp(job->nodes[i]->name, name)) return (long)i;
    return -1;
}

/* Hash index of node names (unique: the YAML pass rejects duplicate keys). */
static void index_nodes(loader *ld) {
    size_t n = ld->job->n_nodes, size = 16;
    while (size < 2 * n)
        size *= 2;
    ld->slots = sl_arena_calloc(ld->scratch, size * sizeof *ld->slots);
    ld->slot_mask = size - 1;
    for (size_t i = 0; i < n; i++) {
        size_t h = hash_text(ld->job->nodes[i]->name) & ld->slot_mask;
        while (ld->slots[h])
            h = (h + 1) & ld->slot_mask;
        ld->slots[h] = i + 1;
    }
}

static long lookup_node(const loader *ld, const char *name) {
    for (size_t h = hash_text(name) & ld->slot_mask; ld->slots[h]; h = (h + 1) & ld->slot_mask)
        if (!strcmp(ld->job->nodes[ld->slots[h] - 1]->name, name)) return (long)(ld->slots[h] - 1);
    return -1;
}

static int input_count_error(loader *ld, const sl_node *node, const nodesrc *src) {
    const sl_node_type *t = node->type;
    const sl_ynode *at = src->input_key ? src->input_key : src->key;
    size_t n = node->n_inputs;
    if (t->kind == SL_NODE_SOURCE || t->max_inputs == 0)
        return FAIL(ld, at, "node type '%s' %s takes no input", t->name,
                    t->kind == SL_NODE_SOURCE ? "is a source and" : "");
    if (n == 0 && t->min_inputs <= 1) return FAIL(ld, at, "node type '%s' needs an input: add 'input: NODE'", t->name);
    if (t->min_inputs == t->max_inputs)
        return FAIL(ld, at, "node type '%s' takes %d input%s, got %zu", t->name, t->min_inputs,
                    t->min_inputs == 1 ? "" : "s", n);
    if (t->max_inputs < 0)
        return FAIL(ld, at, "node type '%s' takes at least %d inputs ('inputs: [A, B]'), got %zu", t->name,
                    t->min_inputs, n);
    return FAIL(ld, at, "node type '%s' takes %d to %d inputs, got %zu", t->name, t->min_inputs, t->max_inputs, n);
}

/* `NODE.PORT`: one named output of a multi-output node. Sets *k to the
 * node (or leaves it -1 when the text before the last '.' names no node,
 * for the caller's "names no node" error) and *port to the port index;
 * any_outputs nodes collect new port names here. */
static int resolve_port(loader *ld, const char *in, const sl_ynode *at, long *k, int *port) {
    const char *dot = strrchr(in, '.');
    if (!dot || dot == in || !dot[1]) return SL_OK;
    char *base = sl_arena_strndup(ld->scratch, in, (size_t)(dot - in));
    long b = lookup_node(ld, base);
    if (b < 0) return SL_OK;
    sl_node *parent = ld->job->nodes[b];
    const char *name = dot + 1;
    for (size_t p = 0; p < parent->n_ports; p++)
        if (!strcmp(parent->ports[p], name)) return *k = b, *port = (int)p, SL_OK;
    if (parent->type->any_outputs) {
        if (parent->n_ports >= UINT16_MAX) return FAIL(ld, at, "node '%s' has too many outputs", show(ld, base));
        const char **np = sl_arena_alloc(ld->arena, (parent->n_ports + 1) * sizeof *np);
        if (parent->n_ports) memcpy(np, parent->ports, parent->n_ports * sizeof *np);
        np[parent->n_ports] = sl_arena_strndup(ld->arena, name, strlen(name));
        parent->ports = np;
        *port = (int)parent->n_ports++;
        *k = b;
        return SL_OK;
    }
    if (!parent->type->outputs)
        return FAIL(ld, at, "input '%s': node '%s' (type '%s') has one output; write '%s'", show(ld, in),
                    show(ld, base), parent->type->name, show(ld, base));
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg, "input '%s': node '%s' (type '%s') has no output '%s'", show(ld, in), show(ld, base),
                  parent->type->name, show(ld, name));
    add_suggestions(ld, &msg, name, parent->ports, parent->n_ports, "its outputs", true);
    return fail_buf(ld, at, &msg);
}

/* A multi-output node used without naming one of its outputs. */
static int port_needed(loader *ld, const sl_node *parent, const char *in, const sl_ynode *at) {
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg, "input '%s': node type '%s' has several outputs; name one, as in '%s.%s'", show(ld, in),
                  parent->type->name, show(ld, in),
                  parent->n_ports ? parent->ports[0] : parent->type->outputs ? parent->type->outputs[0] : "NAME");
    if (parent->type->outputs) {
        sl_buf_adds(&msg, " (outputs:");
        for (size_t p = 0; p < parent->n_ports; p++)
            sl_buf_printf(&msg, "%s %s", p ? "," : "", parent->ports[p]);
        sl_buf_adds(&msg, ")");
    }
    return fail_buf(ld, at, &msg);
}

/* Resolve input names, check counts, reject targets used as inputs. */
static int resolve_inputs(loader *ld) {
    sl_job *job = ld->job;
    int rc;
    for (size_t i = 0; i < job->n_nodes; i++)
        if (job->nodes[i]->type->outputs) {
            const char *const *o = job->nodes[i]->type->outputs;
            while (o[job->nodes[i]->n_ports])
                job->nodes[i]->n_ports++;
            job->nodes[i]->ports = (const char **)o;
        }
    const char **names = sl_arena_alloc(ld->scratch, (job->n_nodes ? job->n_nodes : 1) * sizeof *names);
    for (size_t i = 0; i < job->n_nodes; i++)
        names[i] = job->nodes[i]->name;
    for (size_t i = 0; i < job->n_nodes; i++) {
        sl_node *node = job->nodes[i];
        const nodesrc *src = &ld->src[i];
        ld->cur_node = node->name;
        size_t n = node->n_inputs;
        const sl_node_type *t = node->type;
        if ((int)n < t->min_inputs || (t->max_inputs >= 0 && (int)n > t->max_inputs) ||
            (t->kind == SL_NODE_SOURCE && n) || (t->kind == SL_NODE_TARGET && !n))
            return input_count_error(ld, node, src);
        node->input_nodes = sl_arena_calloc(ld->arena, (n ? n : 1) * sizeof *node->input_nodes);
        node->input_ports = sl_arena_calloc(ld->arena, (n ? n : 1) * sizeof *node->input_ports);
        for (size_t j = 0; j < n; j++) {
            const char *in = node->inputs[j];
            long k = lookup_node(ld, in);
            int port = -1;
            if (k < 0 && (rc = resolve_port(ld, in, src->input_at[j], &k, &port))) return rc;
            if (k >= 0 && port < 0 && (job->nodes[k]->type->outputs || job->nodes[k]->type->any_outputs))
                return port_needed(ld, job->nodes[k], in, src->input_at[j]);
            if (k < 0) {
                sl_buf msg;
                sl_buf_init(&msg, 0);
                sl_buf_printf(&msg, "input '%s' names no node", show(ld, in));
                add_suggestions(ld, &msg, in, names, job->n_nodes, "nodes", true);
                return fail_buf(ld, src->input_at[j], &msg);
            }
            for (size_t p = 0; p < j; p++)
                if (!strcmp(node->inputs[p], in))
                    return FAIL(ld, src->input_at[j], "input '%s' is listed twice", show(ld, in));
            if (job->nodes[k]->type->kind == SL_NODE_TARGET)
                return FAIL(ld, src->input_at[j], "input '%s' is a target (type '%s'), which produces no records",
                            show(ld, in), job->nodes[k]->type->name);
            node->input_nodes[j] = job->nodes[k];
            node->input_ports[j] = port;
        }
    }
    ld->cur_node = NULL;
    return SL_OK;
}

/* Kahn's algorithm; if nodes remain, walk input edges among them to find and
 * name one cycle. */
static int check_cycles(loader *ld) {
    sl_job *job = ld->job;
    size_t n = job->n_nodes;
    size_t *pending = sl_arena_calloc(ld->scratch, (n ? n : 1) * sizeof *pending); /* unresolved inputs */
    size_t *queue = sl_arena_alloc(ld->scratch, (n ? n : 1) * sizeof *queue);
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++) {
        pending[i] = job->nodes[i]->n_inputs;
        if (!pending[i]) queue[tail++] = i;
    }
    while (head < tail) {
        const sl_node *done = job->nodes[queue[head++]];
        for (size_t c = 0; c < done->n_children; c++) {
            size_t k = (size_t)lookup_node(ld, done->children[c]->name);
            if (--pending[k] == 0) queue[tail++] = k;
        }
    }
    if (tail == n) return SL_OK;
    /* every remaining node has an input that remains: follow them until one repeats */
    size_t *seen_at = sl_arena_calloc(ld->scratch, n * sizeof *seen_at); /* step + 1 */
    size_t *path = sl_arena_alloc(ld->scratch, (n + 1) * sizeof *path);
    size_t cur = 0, steps = 0;
    while (!pending[cur])
        cur++;
    while (!seen_at[cur]) {
        seen_at[cur] = ++steps;
        path[steps - 1] = cur;
        const sl_node *node = job->nodes[cur];
        for (size_t j = 0; j < node->n_inputs; j++) {
            size_t k = (size_t)lookup_node(ld, node->input_nodes[j]->name);
            if (pending[k]) {
                cur = k;
                break;
            }
        }
    }
    /* path[seen_at[cur]-1 .. steps-1] is the cycle, each the input of the one before; report at its first node in
     * file order, printed in the direction data flows */
    size_t first = seen_at[cur] - 1, len = steps - first, start = first;
    for (size_t i = first; i < steps; i++)
        if (path[i] < path[start]) start = i;
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_adds(&msg, "the nodes form a cycle: ");
    size_t s = start - first; /* position of the reported node within the cycle */
    for (size_t t = 0; t <= len; t++) {
        size_t idx = first + (s + len - t % len) % len;
        sl_buf_printf(&msg, "%s%s", t ? " -> " : "", show(ld, job->nodes[path[idx]]->name));
    }
    ld->cur_node = job->nodes[path[start]]->name;
    return fail_buf(ld, ld->src[path[start]].key, &msg);
}

static void link_children(loader *ld) {
    sl_job *job = ld->job;
    for (size_t i = 0; i < job->n_nodes; i++)
        for (size_t j = 0; j < job->nodes[i]->n_inputs; j++)
            job->nodes[i]->input_nodes[j]->n_children++;
    for (size_t i = 0; i < job->n_nodes; i++) {
        sl_node *node = job->nodes[i];
        size_t n = node->n_children ? node->n_children : 1;
        node->children = sl_arena_calloc(ld->arena, n * sizeof(sl_node *));
        node->child_ports = sl_arena_calloc(ld->arena, n * sizeof *node->child_ports);
        node->child_inputs = sl_arena_calloc(ld->arena, n * sizeof *node->child_inputs);
        node->n_children = 0;
    }
    for (size_t i = 0; i < job->n_nodes; i++)
        for (size_t j = 0; j < job->nodes[i]->n_inputs; j++) {
            sl_node *parent = job->nodes[i]->input_nodes[j];
            parent->child_ports[parent->n_children] = job->nodes[i]->input_ports[j];
            parent->child_inputs[parent->n_children] = (uint32_t)j;
            parent->children[parent->n_children++] = job->nodes[i];
        }
}

static int require_kind(loader *ld, sl_node_kind kind, const sl_ynode *at) {
    for (size_t i = 0; i < ld->job->n_nodes; i++)
        if (ld->job->nodes[i]->type->kind == kind) return SL_OK;
    size_t n;
    const char **names = type_names(ld, (int)kind, &n);
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg, "the job has no %s node", kind == SL_NODE_SOURCE ? "source" : "target");
    if (n) {
        sl_buf_printf(&msg, "; %s types: ", kind == SL_NODE_SOURCE ? "source" : "target");
        add_list(&msg, names, n);
    }
    return fail_buf(ld, at, &msg);
}

static int run_checks(loader *ld) {
    for (size_t i = 0; i < ld->job->n_nodes; i++) {
        sl_node *node = ld->job->nodes[i];
        if (!node->type->check) continue;
        sl_error_clear(ld->err);
        int rc = node->type->check(node, ld->err);
        if (!rc) continue;
        if (rc > 0) rc = SL_EINVAL;
        if (!ld->err->code) ld->err->code = rc;
        if (!ld->err->file[0]) sl_error_at(ld->err, ld->file, ld->err->line, ld->err->column);
        if (!ld->err->line) ld->err->line = node->line, ld->err->column = node->column;
        if (!ld->err->node[0]) sl_error_node(ld->err, node->name);
        if (!ld->err->message[0]) sl_error_set(ld->err, ld->err->code, "node check failed: %s", sl_strerror(rc));
        return rc;
    }
    return SL_OK;
}

/* ---- top level ---- */

static const char *const top_keys[] = {"name", "description", "args", "settings", "nodes"};
enum { TOP_NAME, TOP_DESCRIPTION, TOP_ARGS, TOP_SETTINGS, TOP_NODES, TOP__COUNT };

static int load_job(loader *ld, const sl_ynode *root) {
    if (is_null(root)) return fail_at(ld, 1, 1, "the job file is empty; expected a mapping with a 'nodes:' key");
    if (root->kind != SL_Y_MAP)
        return FAIL(ld, root,
                    "a job file is a mapping with the keys name, description, args, settings and nodes; "
                    "got %s",
                    sl_ynode_kind_name(root));
    const sl_ynode *section[TOP__COUNT] = {0};
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const sl_ynode *key = root->items[i];
        size_t k = 0;
        while (k < TOP__COUNT && strcmp(top_keys[k], key->text))
            k++;
        if (k == TOP__COUNT) {
            sl_buf msg;
            sl_buf_init(&msg, 0);
            sl_buf_printf(&msg, "unknown top-level key '%s'", show(ld, key->text));
            add_suggestions(ld, &msg, key->text, top_keys, TOP__COUNT, "valid keys", true);
            return fail_buf(ld, key, &msg);
        }
        section[k] = root->items[i + 1];
    }
    sl_job *job = ld->job;
    int rc;
    if ((rc = load_args(ld, section[TOP_ARGS])) || (rc = resolve_args(ld))) return rc;
    if ((rc = text_value(ld, "name", section[TOP_NAME], &job->name))) return rc;
    if (!job->name || !job->name[0]) job->name = default_name(ld);
    if ((rc = text_value(ld, "description", section[TOP_DESCRIPTION], &job->description))) return rc;
    if ((rc = load_settings(ld, section[TOP_SETTINGS]))) return rc;
    if ((rc = load_nodes(ld, section[TOP_NODES], root))) return rc;
    index_nodes(ld);
    if ((rc = resolve_inputs(ld))) return rc;
    link_children(ld);
    if ((rc = check_cycles(ld))) return rc;
    if ((rc = require_kind(ld, SL_NODE_SOURCE, section[TOP_NODES])) ||
        (rc = require_kind(ld, SL_NODE_TARGET, section[TOP_NODES])))
        return rc;
    return run_checks(ld);
}

int sl_job_load_text(const char *file_name, const char *text, size_t len, const sl_jobarg *args, size_t n_args,
                     sl_job **out, sl_error *err) {
    sl_error local;
    if (!err) err = &local;
    sl_error_clear(err);
    *out = NULL;
    sl_job *job = sl_xcalloc(1, sizeof *job);
    sl_arena_init(&job->arena);
    job->file = sl_arena_strndup(&job->arena, file_name ? file_name : "<job>", strlen(file_name ? file_name : "<job>"));
    sl_arena scratch;
    sl_arena_init(&scratch);
    loader ld = {.file = job->file,
                 .job = job,
                 .arena = &job->arena,
                 .scratch = &scratch,
                 .err = err,
                 .cli = args,
                 .n_cli = args ? n_args : 0,
                 .substitute = true};
    sl_ynode *root;
    int rc = sl_ytree_parse(job->file, "job file", text, len, &scratch, &root, err);
    if (!rc) rc = load_job(&ld, root);
    sl_arena_free(&scratch);
    if (rc) {
        sl_job_free(job);
        return rc;
    }
    *out = job;
    return SL_OK;
}

int sl_job_load(const char *path, const sl_jobarg *args, size_t n_args, sl_job **out, sl_error *err) {
    sl_error local;
    if (!err) err = &local;
    sl_error_clear(err);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sl_error_set(err, SL_EIO, "cannot open job file: %s", strerror(errno));
        sl_error_at(err, path, 0, 0);
        return SL_EIO;
    }
    sl_buf text;
    sl_buf_init(&text, MAX_JOB_FILE);
    char chunk[65536];
    size_t got;
    int rc = SL_OK;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = sl_buf_add(&text, chunk, got);
    if (!rc && ferror(f))
        rc = sl_error_set(err, SL_EIO, "cannot read job file: %s", strerror(errno));
    else if (rc)
        rc = sl_error_set(err, SL_EINVAL, "job file is larger than %zu MiB", MAX_JOB_FILE >> 20);
    fclose(f);
    if (rc) {
        sl_error_at(err, path, 0, 0);
    } else {
        rc = sl_job_load_text(path, text.data ? text.data : "", text.len, args, n_args, out, err);
    }
    sl_buf_free(&text);
    return rc;
}

void sl_job_free(sl_job *job) {
    if (!job) return;
    for (size_t i = 0; i < job->n_nodes; i++) {
        sl_node *node = job->nodes[i];
        if (node->data && node->type->release) node->type->release(node);
    }
    sl_arena_free(&job->arena);
    free(job);
}

sl_node *sl_job_find(const sl_job *job, const char *name) {
    if (!job || !name) return NULL;
    long k = node_index(job, name);
    return k < 0 ? NULL : job->nodes[k];
}
