/*
 * choice.c — transforms about the shape of records (Glue's DynamicFrame
 * methods of the same names):
 *   resolve_choice   settle fields whose values have several types: cast:TYPE,
 *                    project:TYPE, make_cols, make_struct, per field (streams)
 *                    or for every choice field of the frame (`choice:`; holds
 *                    its input to learn the schema first, like Glue's
 *                    DynamicFrame, which knows its schema)
 *   unbox            parse a string field holding JSON or a CSV line into a value
 *   flatten, unnest  nested structs become top-level dotted columns
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/schema.h"
#include "core/serialize.h"
#include "formats/csv.h"
#include "formats/json.h"
#include "transforms/spill_merge.h"
#include "transforms/transform_util.h"

/* ---- field edits shared by resolve_choice ---- */

/* rec with the field at p replaced by fields nf[0..n) at the same position
 * in its parent struct (rec unchanged when the field is absent). */
static sl_value replace_with_fields(sl_arena *a, const sl_value *rec, const sl_fieldpath *p, const sl_field *nf,
                                    size_t n) {
    sl_fieldpath parent = {p->segs, p->n - 1, p->text};
    const sl_value *ps = p->n == 1 ? rec : sl_fieldpath_get(rec, &parent);
    if (!ps || ps->type != SL_T_STRUCT) return *rec;
    const sl_fieldseg *last = &p->segs[p->n - 1];
    const sl_field *f = sl_struct_find(ps, last->name, last->len);
    if (!f) return *rec;
    size_t at = (size_t)(f - ps->u.fields);
    sl_field *fields = sl_arena_alloc(a, (ps->len + n) * sizeof *fields);
    memcpy(fields, ps->u.fields, at * sizeof *fields);
    memcpy(fields + at, nf, n * sizeof *fields);
    memcpy(fields + at + n, ps->u.fields + at + 1, (ps->len - at - 1) * sizeof *fields);
    sl_value st = sl_struct(fields, ps->len - 1 + n);
    return p->n == 1 ? st : sl_fieldpath_set(a, rec, &parent, st);
}

static sl_field make_field(const char *name, sl_value v) {
    sl_field f;
    f.name = name;
    f.name_len = (uint32_t)strlen(name);
    f.name_flags = sl_json_plain(name, f.name_len) ? SL_VF_JSON_PLAIN : 0;
    f.value = v;
    return f;
}

/* ---- resolve_choice ---- */

static const sl_option resolve_options[] = {
    {"specs", SL_OPT_TREE, NULL,
     "Mapping of field path to action: {price: \"cast:double\", id: make_cols, \"meta.size\": \"project:long\"}. "
     "Actions: cast:TYPE (convert every value; one that cannot convert sends the record to the error output), "
     "project:TYPE (keep values of that type, others become null), make_cols (price becomes price_long, "
     "price_string, …), make_struct (price becomes {long: …, string: …}).",
     NULL, 0},
    {"choice", SL_OPT_STRING, NULL,
     "One action for every field whose values have more than one type in the whole input (Glue's choice "
     "argument). The node then holds its input (spilling past settings.memory_limit) to learn the schema before "
     "it emits, in input order.",
     NULL, 0},
    {0},
};

typedef enum { ACT_CAST, ACT_PROJECT, ACT_MAKE_COLS, ACT_MAKE_STRUCT } act_kind;

typedef struct action {
    act_kind kind;
    sl_type type; /* cast/project */
} action;

typedef struct resolution {
    sl_fieldpath path;
    action act;
    unsigned alts;                /* types seen at the path (bit per sl_type); 0 = per record */
    char *col_names[SL_T__COUNT]; /* make_cols: <name>_<type> */
} resolution;

typedef struct rc_worker rc_worker;

typedef struct rc_data {
    resolution *res; /* specs first, then (after seal) discovered choice fields */
    size_t n_res, n_specs;
    bool has_choice;
    action choice;
    rc_worker **workers;
    size_t n_workers;
    size_t max_records;
} rc_data;

struct rc_worker {
    sl_node *node;
    sl_run *run;
    rc_data *d;
    sl_seqbuf *buf;
    sl_schema *schema;
    sl_error e;
};

static int parse_action(const char *text, action *a, sl_error *err) {
    if (!strcmp(text, "make_cols")) {
        a->kind = ACT_MAKE_COLS;
        return SL_OK;
    }
    if (!strcmp(text, "make_struct")) {
        a->kind = ACT_MAKE_STRUCT;
        return SL_OK;
    }
    const char *type = NULL;
    if (!strncmp(text, "cast:", 5))
        a->kind = ACT_CAST, type = text + 5;
    else if (!strncmp(text, "project:", 8))
        a->kind = ACT_PROJECT, type = text + 8;
    if (!type) {
        if (!strcmp(text, "match_catalog"))
            return sl_error_set(err, SL_EINVAL,
                                "action match_catalog needs a Data Catalog table, which sluice has not");
        return sl_error_set(err, SL_EINVAL, "unknown action '%s' (cast:TYPE, project:TYPE, make_cols, make_struct)",
                            text);
    }
    if (sl_type_parse(type, &a->type))
        return sl_error_set(err, SL_EINVAL, "action '%s': unknown type '%s'", text, type);
    if (a->kind == ACT_CAST && (a->type == SL_T_LIST || a->type == SL_T_STRUCT || a->type == SL_T_NULL))
        return sl_error_set(err, SL_EINVAL, "action '%s': cannot cast to %s", text, type);
    return SL_OK;
}

static void resolution_names(resolution *r) {
    const sl_fieldseg *last = &r->path.segs[r->path.n - 1];
    for (int t = 1; t < SL_T__COUNT; t++) {
        const char *tn = sl_type_name((sl_type)t);
        size_t n = last->len + strlen(tn) + 2;
        r->col_names[t] = sl_xmalloc(n);
        snprintf(r->col_names[t], n, "%.*s_%s", (int)last->len, last->name, tn);
    }
}

static void resolution_free(resolution *r) {
    sl_fieldpath_free(&r->path);
    for (int t = 0; t < SL_T__COUNT; t++)
        free(r->col_names[t]);
}

static void resolve_release(sl_node *node) {
    rc_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_res; i++)
        resolution_free(&d->res[i]);
    free(d->res);
    for (size_t i = 0; i < d->n_workers; i++) {
        sl_seqbuf_free(d->workers[i]->buf);
        sl_schema_free(d->workers[i]->schema);
        free(d->workers[i]);
    }
    free(d->workers);
    free(d);
    node->data = NULL;
}

static int resolve_check(sl_node *node, sl_error *err) {
    rc_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    const sl_optval *specs = sl_node_opt(node, "specs");
    const char *choice = sl_node_str(node, "choice");
    if (!specs->set && !choice) {
        sl_error_set(err, SL_EINVAL, "resolve_choice needs 'specs' (field: action) or 'choice' (an action)");
        sl_error_at(err, node->job_file, node->line, node->column);
        return SL_EINVAL;
    }
    if (choice) {
        int rc = parse_action(choice, &d->choice, err);
        if (rc) return sl_error_at_option(err, node, "choice"), rc;
        d->has_choice = true;
    }
    node->passthrough = !choice; /* per-field actions stream */
    if (!specs->set) return SL_OK;
    const sl_value *t = &specs->tree;
    if (t->type != SL_T_STRUCT || !t->len) {
        sl_error_set(err, SL_EINVAL, "'specs' must map field paths to actions, e.g. {price: \"cast:double\"}");
        return sl_error_at_option(err, node, "specs"), SL_EINVAL;
    }
    d->res = sl_xcalloc(t->len, sizeof *d->res);
    for (uint32_t i = 0; i < t->len; i++) {
        const sl_field *f = &t->u.fields[i];
        const char *act = sl_tree_text(&f->value);
        char *path = sl_xstrndup(f->name, f->name_len);
        resolution *r = &d->res[d->n_res];
        int rc = act ? parse_action(act, &r->act, err)
                     : sl_error_set(err, SL_EINVAL, "field '%s': the action must be text such as cast:long", path);
        if (!rc) rc = sl_fieldpath_parse(path, &r->path, err);
        free(path);
        if (rc) return sl_error_at_option(err, node, "specs"), rc;
        resolution_names(r);
        d->n_res++;
    }
    d->n_specs = d->n_res;
    return SL_OK;
}

/* Apply r to *rec (new structures in a). SL_ETYPE with the reason in e
 * when a cast fails. */
static int apply(const resolution *r, sl_arena *a, sl_value *rec, sl_error *e) {
    const sl_value *v = sl_fieldpath_get(rec, &r->path);
    if (!v) return SL_OK;
    bool null = v->type == SL_T_NULL;
    switch (r->act.kind) {
    case ACT_CAST: {
        if (null || v->type == r->act.type) return SL_OK;
        sl_value out;
        int rc = sl_value_cast(a, v, r->act.type, &out, e);
        if (rc) {
            char msg[sizeof e->message];
            snprintf(msg, sizeof msg, "%s", e->message);
            return sl_error_set(e, SL_ETYPE, "field '%.200s': %.250s", r->path.text, msg);
        }
        *rec = sl_fieldpath_set(a, rec, &r->path, out);
        return SL_OK;
    }
    case ACT_PROJECT:
        if (!null && v->type != r->act.type) *rec = sl_fieldpath_set(a, rec, &r->path, sl_null());
        return SL_OK;
    case ACT_MAKE_COLS: {
        unsigned alts = r->alts | (null ? 0 : 1u << v->type);
        if (!alts) return SL_OK; /* a null with no known types: nothing to name a column after */
        sl_field nf[SL_T__COUNT];
        size_t n = 0;
        for (int t = 1; t < SL_T__COUNT; t++)
            if (alts & (1u << t)) nf[n++] = make_field(r->col_names[t], v->type == t ? *v : sl_null());
        *rec = replace_with_fields(a, rec, &r->path, nf, n);
        return SL_OK;
    }
    case ACT_MAKE_STRUCT: {
        if (null) return SL_OK;
        unsigned alts = r->alts | 1u << v->type;
        sl_field *nf = sl_arena_alloc(a, SL_T__COUNT * sizeof *nf);
        size_t n = 0;
        for (int t = 1; t < SL_T__COUNT; t++)
            if (alts & (1u << t)) nf[n++] = make_field(sl_type_name((sl_type)t), v->type == t ? *v : sl_null());
        *rec = sl_fieldpath_set(a, rec, &r->path, sl_struct(nf, n));
        return SL_OK;
    }
    }
    return SL_OK;
}

static int apply_all(const rc_data *d, sl_arena *a, sl_value *rec, sl_error *e) {
    for (size_t i = 0; i < d->n_res; i++) {
        int rc = apply(&d->res[i], a, rec, e);
        if (rc) return rc;
    }
    return SL_OK;
}

static int resolve_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    rc_worker *w = sl_xcalloc(1, sizeof *w);
    w->node = node;
    w->run = run;
    w->d = node->data;
    sl_error_clear(&w->e);
    if (!node->passthrough) {
        int64_t limit = run->job->settings.memory_limit > 0 ? run->job->settings.memory_limit : INT64_C(1) << 30;
        w->buf = sl_seqbuf_new((size_t)(limit / (run->threads > 0 ? run->threads : 1)), run->job->settings.spill_dir);
    }
    *state = w;
    return SL_OK;
}

static void resolve_fini(void *state) {
    rc_worker *w = state;
    if (!w) return;
    sl_seqbuf_free(w->buf);
    sl_schema_free(w->schema);
    free(w);
}

static int resolve_process(void *state, sl_batch *b, sl_error *err) {
    rc_worker *w = state;
    if (!w->node->passthrough) { /* hold everything, learning the schema */
        for (size_t i = 0; i < b->count; i++) {
            sl_schema_observe(&w->schema, &b->records[i]);
            int rc = sl_seqbuf_add(w->buf, &b->records[i], b->seq_base + i, err);
            if (rc) return rc;
        }
        b->count = 0;
        return SL_OK;
    }
    sl_value *out = sl_batch_new_records(b);
    unsigned char *keep = NULL;
    for (size_t i = 0; i < b->count; i++) {
        out[i] = b->records[i];
        if (!apply_all(w->d, &b->arena, &out[i], &w->e)) continue;
        if (!keep) {
            keep = sl_arena_alloc(&b->arena, b->count);
            memset(keep, 1, b->count);
        }
        keep[i] = 0;
        int rc = sl_run_reject(w->run, w->node, b, i, w->e.message, err);
        sl_error_clear(&w->e);
        if (rc) return rc;
    }
    b->records = out;
    if (keep) sl_batch_keep(b, keep);
    return SL_OK;
}

/* ---- resolve_choice with `choice`: schema first ---- */

static unsigned kinds_of(const sl_schema *s) {
    if (!s) return 0;
    int kind = sl_schema_kind(s);
    if (kind == SL_T_NULL) return 0;
    if (kind != SL_SCHEMA_CHOICE) return 1u << kind;
    unsigned m = 0;
    for (size_t i = 0; i < sl_schema_choice_count(s); i++)
        m |= 1u << sl_schema_kind(sl_schema_choice_alt(s, i));
    return m;
}

static const sl_schema *schema_at(const sl_schema *s, const sl_fieldpath *p) {
    for (size_t i = 0; i < p->n && s; i++)
        s = sl_schema_field_n(s, p->segs[i].name, p->segs[i].len);
    return s;
}

static bool has_spec(const rc_data *d, const char *text) {
    for (size_t i = 0; i < d->n_specs; i++)
        if (!strcmp(d->res[i].path.text, text)) return true;
    return false;
}

/* Append a path segment, in backticks when it holds a dot or a backtick. */
static void add_segment(sl_buf *b, const char *name, size_t len) {
    if (b->len) sl_buf_addc(b, '.');
    bool quote = memchr(name, '.', len) || memchr(name, '`', len);
    if (quote) sl_buf_addc(b, '`');
    sl_buf_add(b, name, len);
    if (quote) sl_buf_addc(b, '`');
}

/* Every choice field below struct s (not inside arrays or choices). */
static void find_choices(rc_data *d, const sl_schema *s, sl_buf *prefix, size_t *cap) {
    for (size_t i = 0; i < sl_schema_field_count(s); i++) {
        size_t len, keep = prefix->len;
        const char *name = sl_schema_field_name(s, i, &len);
        const sl_schema *child = sl_schema_field_child(s, i);
        add_segment(prefix, name, len);
        if (sl_schema_kind(child) == SL_SCHEMA_CHOICE && !has_spec(d, prefix->data)) {
            if (d->n_res == *cap) {
                *cap = *cap ? 2 * *cap : 16;
                d->res = sl_xrealloc(d->res, *cap * sizeof *d->res);
            }
            resolution *r = &d->res[d->n_res];
            memset(r, 0, sizeof *r);
            if (sl_fieldpath_parse(prefix->data, &r->path, NULL) == 0) {
                r->act = d->choice;
                r->alts = kinds_of(child);
                resolution_names(r);
                d->n_res++;
            }
        } else if (sl_schema_kind(child) == SL_T_STRUCT) {
            find_choices(d, child, prefix, cap);
        }
        prefix->len = keep;
        if (prefix->data) prefix->data[keep] = 0;
    }
}

static int resolve_seal(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err) {
    rc_data *d = node->data;
    d->workers = sl_xcalloc(n_states ? n_states : 1, sizeof *d->workers);
    sl_schema *schema = NULL;
    for (size_t i = 0; i < n_states; i++) {
        rc_worker *w = states[i];
        d->workers[d->n_workers++] = w;
        sl_schema *m = sl_schema_merge(schema, w->schema);
        sl_schema_free(schema);
        schema = m;
    }
    for (size_t i = 0; i < d->n_specs; i++)
        d->res[i].alts = kinds_of(schema_at(schema, &d->res[i].path));
    size_t cap = d->n_res;
    if (schema && sl_schema_kind(schema) == SL_T_STRUCT) {
        sl_buf prefix;
        sl_buf_init(&prefix, 0);
        find_choices(d, schema, &prefix, &cap);
        sl_buf_free(&prefix);
    }
    sl_schema_free(schema);
    d->max_records = run->job->settings.batch_records > 0 ? (size_t)run->job->settings.batch_records : SL_BATCH_DEFAULT_RECORDS;
    return SL_OK;
}

typedef struct rc_reader {
    sl_node *node;
    sl_run *run;
    rc_data *d;
    sl_merge *merge;
    sl_error e;
} rc_reader;

static int resolve_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    sl_split *s = sl_xcalloc(1, sizeof *s);
    s->path = sl_xstrdup(node->name);
    *splits = s;
    *n_splits = 1;
    return SL_OK;
}

static int resolve_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    rc_data *d = node->data;
    rc_reader *r = sl_xcalloc(1, sizeof *r);
    r->node = node;
    r->run = run;
    r->d = d;
    sl_error_clear(&r->e);
    sl_seqbuf **bufs = sl_xcalloc(d->n_workers ? d->n_workers : 1, sizeof *bufs);
    for (size_t i = 0; i < d->n_workers; i++)
        bufs[i] = d->workers[i]->buf;
    int rc = sl_seqbuf_merge(bufs, d->n_workers, &r->merge, err);
    free(bufs);
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    return SL_OK;
}

static int resolve_next(void *state, sl_batch *b, sl_error *err) {
    rc_reader *r = state;
    b->source_name = r->node->name;
    while (b->count < r->d->max_records) {
        sl_value elem;
        int rc = sl_merge_next(r->merge, &elem, err);
        if (rc < 0) return rc;
        if (!rc) break;
        sl_value rec = sl_value_deep_copy(&b->arena, &elem.u.items[1]);
        sl_batch_push(b, rec, (sl_recloc){0, -1});
        if (!apply_all(r->d, &b->arena, &b->records[b->count - 1], &r->e)) continue;
        rc = sl_run_reject(r->run, r->node, b, b->count - 1, r->e.message, err);
        sl_error_clear(&r->e);
        b->count--;
        if (rc) return rc;
    }
    return b->count ? 1 : 0;
}

static void resolve_close(void *state) {
    rc_reader *r = state;
    if (!r) return;
    sl_merge_free(r->merge);
    free(r);
}

static void free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(splits[i].path);
    free(splits);
}

const sl_node_type sl_resolve_choice_type = {
    .name = "resolve_choice",
    .kind = SL_NODE_TRANSFORM,
    .summary = "settle fields whose values have several types: cast, project, make_cols, make_struct (Glue "
               "ResolveChoice)",
    .help = "With only specs the node streams and acts record by record: make_cols and make_struct then name "
            "only the type the record holds. With choice it first learns the frame's schema, so make_cols makes "
            "one column per type seen (null where the record holds another type), as Glue does. A cast that "
            "fails sends the record to the error output (Glue would write null).",
    .options = resolve_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = resolve_check,
    .release = resolve_release,
    .init = resolve_init,
    .process = resolve_process,
    .fini = resolve_fini,
    .breaker = true,
    .seal = resolve_seal,
    .plan = resolve_plan,
    .open = resolve_open,
    .next = resolve_next,
    .close = resolve_close,
    .free_splits = free_splits,
};

/* ---- unbox ---- */

static const sl_option unbox_options[] = {
    {"path", SL_OPT_STRING, NULL, "The string field to parse (a path such as payload or meta.raw).", NULL,
     SL_OPTF_REQUIRED},
    {"format", SL_OPT_ENUM, "json", "What the string holds: one JSON value, or one CSV line.", "json|csv", 0},
    {"delimiter", SL_OPT_STRING, ",", "csv: the field separator (one byte; \\t for a tab).", NULL, 0},
    {"quote", SL_OPT_STRING, "\"", "csv: the quote character (one byte; empty turns quoting off).", NULL, 0},
    {"columns", SL_OPT_LIST, NULL,
     "csv: names of the columns, in order. Values beyond them are named _cN (N from 0, by position); missing "
     "trailing values are null. Without columns every value is named _cN.",
     NULL, 0},
    {0},
};

typedef struct unbox_data {
    sl_fieldpath path;
    bool csv;
    char delimiter, quote;
    const sl_value *columns; /* LIST of STRING (job arena) or NULL */
} unbox_data;

static void unbox_release(sl_node *node) {
    unbox_data *d = node->data;
    if (!d) return;
    sl_fieldpath_free(&d->path);
    free(d);
    node->data = NULL;
}

static int one_byte(sl_node *node, const char *opt, bool allow_empty, char *out, sl_error *err) {
    const char *s = sl_node_str(node, opt);
    if (!strcmp(s, "\\t")) s = "\t";
    if (strlen(s) == 1 || (allow_empty && !s[0])) {
        *out = s[0];
        return SL_OK;
    }
    sl_error_set(err, SL_EINVAL, "%s must be one character", opt);
    return sl_error_at_option(err, node, opt), SL_EINVAL;
}

static int unbox_check(sl_node *node, sl_error *err) {
    unbox_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    int rc = sl_fieldpath_parse(sl_node_str(node, "path"), &d->path, err);
    if (rc) return sl_error_at_option(err, node, "path"), rc;
    d->csv = !strcmp(sl_node_str(node, "format"), "csv");
    if ((rc = one_byte(node, "delimiter", false, &d->delimiter, err)) ||
        (rc = one_byte(node, "quote", true, &d->quote, err)))
        return rc;
    if (d->csv && (d->delimiter == d->quote || d->delimiter == '\n' || d->delimiter == '\r')) {
        sl_error_set(err, SL_EINVAL, "delimiter must differ from the quote and from line breaks");
        return sl_error_at_option(err, node, "delimiter"), SL_EINVAL;
    }
    const sl_optval *cols = sl_node_opt(node, "columns");
    if (cols->set) d->columns = &cols->tree;
    return SL_OK;
}

/* Name of CSV column i. */
static sl_field csv_field(const unbox_data *d, sl_arena *a, size_t i, sl_value v) {
    if (d->columns && i < d->columns->len && d->columns->u.items[i].type == SL_T_STRING) {
        const sl_value *c = &d->columns->u.items[i];
        sl_field f = {c->u.s, c->len, c->flags & SL_VF_JSON_PLAIN, v};
        return f;
    }
    char name[32];
    int n = snprintf(name, sizeof name, "_c%zu", i);
    sl_field f = {sl_arena_strndup(a, name, (size_t)n), (uint32_t)n, SL_VF_JSON_PLAIN, v};
    return f;
}

/* One CSV line (RFC 4180 quoting; unquoted values typed as the CSV reader
 * types them, quoted ones are strings) into a struct. */
static int csv_line(const unbox_data *d, sl_arena *a, const char *s, size_t len, sl_value *out, sl_error *e) {
    while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    size_t n_cols = d->columns ? d->columns->len : 0, cap = n_cols + 8, n = 0;
    sl_field *fields = sl_arena_alloc(a, cap * sizeof *fields);
    size_t i = 0;
    while (len) {
        sl_value v;
        if (d->quote && i < len && s[i] == d->quote) {
            char *buf = sl_arena_alloc(a, len - i);
            size_t bl = 0, j = i + 1;
            for (;;) {
                if (j >= len) return sl_error_set(e, SL_EPARSE, "unterminated quote at byte %zu", i);
                if (s[j] == d->quote) {
                    if (j + 1 < len && s[j + 1] == d->quote) {
                        buf[bl++] = d->quote;
                        j += 2;
                        continue;
                    }
                    j++;
                    break;
                }
                buf[bl++] = s[j++];
            }
            if (j < len && s[j] != d->delimiter)
                return sl_error_set(e, SL_EPARSE, "character after a closing quote at byte %zu", j);
            v = sl_string(buf, bl, sl_json_plain(buf, bl) ? SL_VF_JSON_PLAIN : 0);
            i = j;
        } else {
            const char *end = memchr(s + i, d->delimiter, len - i);
            size_t k = end ? (size_t)(end - s) : len;
            sl_csv_infer_text(s + i, k - i, &v);
            i = k;
        }
        if (n == cap) {
            fields = sl_arena_realloc(a, fields, cap * sizeof *fields, 2 * cap * sizeof *fields);
            cap *= 2;
        }
        fields[n] = csv_field(d, a, n, v);
        n++;
        if (i >= len) break;
        i++; /* the delimiter; one at the very end leaves an empty (null) last value */
        if (i == len) {
            if (n == cap) {
                fields = sl_arena_realloc(a, fields, cap * sizeof *fields, 2 * cap * sizeof *fields);
                cap *= 2;
            }
            fields[n] = csv_field(d, a, n, sl_null());
            n++;
            break;
        }
    }
    for (; n < n_cols; n++) {
        if (n == cap) {
            fields = sl_arena_realloc(a, fields, cap * sizeof *fields, 2 * cap * sizeof *fields);
            cap *= 2;
        }
        fields[n] = csv_field(d, a, n, sl_null());
    }
    *out = sl_struct(fields, n);
    return SL_OK;
}

static int unbox_process(void *state, sl_batch *b, sl_error *err) {
    sl_tstate *s = state;
    const unbox_data *d = s->node->data;
    sl_value *out = sl_batch_new_records(b);
    unsigned char *keep = NULL;
    sl_error e;
    sl_error_clear(&e);
    for (size_t i = 0; i < b->count; i++) {
        out[i] = b->records[i];
        const sl_value *v = sl_fieldpath_get(&b->records[i], &d->path);
        if (!v || v->type != SL_T_STRING) continue; /* absent, null or already a value: left as it is */
        sl_value parsed;
        int rc = d->csv ? csv_line(d, &b->arena, v->u.s, v->len, &parsed, &e)
                        : sl_json_parse(v->u.s, v->len, &b->arena, &parsed, &e);
        if (!rc) {
            out[i] = sl_fieldpath_set(&b->arena, &b->records[i], &d->path, parsed);
            continue;
        }
        if (!keep) {
            keep = sl_arena_alloc(&b->arena, b->count);
            memset(keep, 1, b->count);
        }
        keep[i] = 0;
        char reason[700];
        snprintf(reason, sizeof reason, "unbox '%.100s' as %s: %s", d->path.text, d->csv ? "csv" : "json", e.message);
        sl_error_clear(&e);
        rc = sl_run_reject(s->run, s->node, b, i, reason, err);
        if (rc) return rc;
    }
    b->records = out;
    if (keep) sl_batch_keep(b, keep);
    return SL_OK;
}

const sl_node_type sl_unbox_type = {
    .name = "unbox",
    .kind = SL_NODE_TRANSFORM,
    .summary = "parse a string field holding JSON or a CSV line into a value (Glue Unbox)",
    .help = "The field is replaced in place by what it holds (for JSON usually a struct). Records where the field "
            "is missing, null or not a string pass unchanged; a string that does not parse sends the record to "
            "the error output.",
    .options = unbox_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = unbox_check,
    .release = unbox_release,
    .init = sl_tstate_init,
    .process = unbox_process,
    .fini = sl_tstate_fini,
};

/* ---- flatten / unnest ---- */

static const sl_option flatten_options[] = {
    {"separator", SL_OPT_STRING, ".", "Joins the names of nested fields: metadata.host.", NULL, 0},
    {0},
};

typedef struct flatten_data {
    char *sep;
    size_t sep_len;
} flatten_data;

static int flatten_check(sl_node *node, sl_error *err) {
    flatten_data *d = sl_xcalloc(1, sizeof *d);
    d->sep = sl_xstrdup(sl_node_str(node, "separator"));
    d->sep_len = strlen(d->sep);
    node->data = d;
    return SL_OK;
}

static void flatten_release(sl_node *node) {
    flatten_data *d = node->data;
    if (!d) return;
    free(d->sep);
    free(d);
    node->data = NULL;
}

static bool nonempty_struct(const sl_value *v) { return v->type == SL_T_STRUCT && v->len; }

static size_t leaf_count(const sl_value *v) {
    size_t n = 0;
    for (uint32_t i = 0; i < v->len; i++)
        n += nonempty_struct(&v->u.fields[i].value) ? leaf_count(&v->u.fields[i].value) : 1;
    return n;
}

static void add_leaves(const flatten_data *d, sl_arena *a, const sl_value *v, const char *prefix, size_t prefix_len,
                       sl_field *out, size_t *n) {
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        const char *name = f->name;
        size_t name_len = f->name_len;
        if (prefix_len) {
            char *joined = sl_arena_alloc(a, prefix_len + d->sep_len + f->name_len + 1);
            memcpy(joined, prefix, prefix_len);
            memcpy(joined + prefix_len, d->sep, d->sep_len);
            memcpy(joined + prefix_len + d->sep_len, f->name, f->name_len);
            name = joined;
            name_len = prefix_len + d->sep_len + f->name_len;
        }
        if (nonempty_struct(&f->value)) {
            add_leaves(d, a, &f->value, name, name_len, out, n);
            continue;
        }
        out[*n] = *f;
        out[*n].name = name;
        out[*n].name_len = (uint32_t)name_len;
        out[*n].name_flags = prefix_len ? (sl_json_plain(name, name_len) ? SL_VF_JSON_PLAIN : 0) : f->name_flags;
        (*n)++;
    }
}

static int flatten_process(void *state, sl_batch *b, sl_error *err) {
    const flatten_data *d = ((sl_tstate *)state)->node->data;
    sl_value *out = NULL;
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        bool nested = false;
        for (uint32_t k = 0; rec->type == SL_T_STRUCT && k < rec->len && !nested; k++)
            nested = nonempty_struct(&rec->u.fields[k].value);
        if (!nested) {
            if (out) out[i] = *rec;
            continue;
        }
        if (!out) {
            out = sl_batch_new_records(b);
            memcpy(out, b->records, i * sizeof *out);
        }
        size_t total = leaf_count(rec), n = 0;
        sl_field *fields = sl_arena_alloc(&b->arena, total * sizeof *fields);
        add_leaves(d, &b->arena, rec, NULL, 0, fields, &n);
        out[i] = sl_struct(fields, n);
    }
    if (out) b->records = out;
    return SL_OK;
}

#define FLATTEN_CALLBACKS                                                                                              \
    .options = flatten_options, .min_inputs = 1, .max_inputs = 1, .check = flatten_check, .release = flatten_release,  \
    .init = sl_tstate_init, .process = flatten_process, .fini = sl_tstate_fini

const sl_node_type sl_flatten_type = {
    .name = "flatten",
    .kind = SL_NODE_TRANSFORM,
    .summary = "turn nested structs into top-level dotted columns (metadata.host); arrays stay as they are",
    .help = "The same node as unnest (Glue's DynamicFrame.unnest). A struct with no fields stays as an empty "
            "struct; names are joined as they are (a name that already holds the separator is not escaped).",
    FLATTEN_CALLBACKS,
};

const sl_node_type sl_unnest_type = {
    .name = "unnest",
    .kind = SL_NODE_TRANSFORM,
    .summary = "Glue's unnest: nested structs become top-level dotted columns (same node as flatten)",
    .help = "See flatten.",
    FLATTEN_CALLBACKS,
};
