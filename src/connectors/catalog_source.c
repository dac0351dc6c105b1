/*
 * catalog_source.c — the `read_catalog` source: Glue's
 * create_dynamic_frame.from_catalog(database, table_name,
 * push_down_predicate). The table is looked up in the catalog
 * (catalog/catalog.h) when the run starts and read with the node type its
 * classification calls for:
 *
 *   json, csv, parquet, avro   read_file on the table's location, with the
 *                              format options the catalog records (CSV
 *                              delimiter, header, column types);
 *   dynamodb                   read_dynamodb on the table named by the
 *                              location (an ARN or a plain table name).
 *
 * A partitioned file table is read partition by partition from the
 * locations the catalog lists (so unnamed `partition_0` folders and
 * partitions outside the table's folder work as well as Hive folders);
 * push_down_predicate is evaluated over each partition's values before
 * anything is listed, and every record gets the partition keys as fields.
 *
 * The delegation is plain: for each location an inner sl_node of type
 * read_file (or read_dynamodb) is built with its options filled from the
 * option table as a job file would, checked and prepared; plan() collects
 * the inner nodes' splits, wrapping each so open/next/close reach the
 * right inner node.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/arena.h"
#include "core/expr.h"
#include "core/mem.h"
#include "exec/node.h"
#include "exec/run.h"
#include "formats/csv.h"

extern const sl_node_type sl_read_file_type;
extern const sl_node_type sl_read_dynamodb_type;

static const sl_option catalog_source_options[] = {
    {"database", SL_OPT_STRING, NULL, "Catalog database that holds the table.", NULL, SL_OPTF_REQUIRED},
    {"table", SL_OPT_STRING, NULL, "Table to read (as `sluice catalog tables DB` lists it).", NULL,
     SL_OPTF_REQUIRED},
    {"catalog", SL_OPT_PATH, NULL,
     "Catalog file. Default: the SLUICE_CATALOG environment variable, then ./data/catalog.db.", NULL, 0},
    {"push_down_predicate", SL_OPT_EXPR, NULL,
     "Read only the partitions for which this expression over the partition keys is true, e.g. "
     "year = 2024 and month >= 6 (Glue's push_down_predicate). Evaluated against the partition values the "
     "catalog lists, before any file is listed or read. Values have their partition key's catalog type "
     "(crawlers write string keys; a string compared with a number is read as a number).",
     NULL, 0},
    {"columns", SL_OPT_LIST, NULL, "Parquet tables: read only these top-level columns (read_file's columns).", NULL,
     0},
    {"predicate", SL_OPT_EXPR, NULL,
     "Parquet tables: skip row groups whose statistics rule this expression out (read_file's predicate).", NULL, 0},
    {"region", SL_OPT_STRING, NULL,
     "AWS region for s3:// locations and DynamoDB tables. Default: for DynamoDB the region the crawler "
     "recorded (table parameter sluice.region), then the one in the table's ARN; then the environment and "
     "profile.",
     NULL, 0},
    {"endpoint", SL_OPT_STRING, NULL,
     "Endpoint URL for S3 or DynamoDB (e.g. a local server). Default: the table parameter sluice.endpoint when "
     "the crawler recorded one, then AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB and the profile.",
     NULL, 0},
    {"profile", SL_OPT_STRING, NULL, "AWS profile for credentials and region.", NULL, 0},
    {0},
};

/* One location the table is read from: an inner read_file/read_dynamodb
 * node and the partition values its records get (NULL = none). */
typedef struct inner {
    sl_node node;
    sl_value *parts;
    sl_split *splits;
    size_t n_splits;
} inner;

typedef struct catsrc {
    sl_expr *pushdown;
    sl_arena arena; /* inner option values, partition structs */
    inner *inners;
    size_t n_inners;
    bool prepared;
    uint64_t partitions_total, partitions_read;
} catsrc;

/* A wrapped split: which inner node, and its own split. */
typedef struct wrapped {
    inner *in;
    const sl_split *split;
} wrapped;

typedef struct reader {
    inner *in;
    void *inner_reader;
} reader;

static int catsrc_check(sl_node *node, sl_error *err) {
    catsrc *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    sl_arena_init(&d->arena);
    const sl_optval *pp = sl_node_opt(node, "push_down_predicate");
    if (pp->text && pp->text[0] && sl_expr_compile(pp->text, &d->pushdown, err) != 0) {
        sl_error_at(err, node->job_file, pp->line, pp->column);
        return SL_EINVAL;
    }
    const sl_optval *pred = sl_node_opt(node, "predicate");
    if (pred->text && pred->text[0]) {
        sl_expr *probe = NULL;
        int rc = sl_expr_compile(pred->text, &probe, err);
        sl_expr_free(probe);
        if (rc) return sl_error_at(err, node->job_file, pred->line, pred->column), SL_EINVAL;
    }
    return SL_OK;
}

static void catsrc_release(sl_node *node) {
    catsrc *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_inners; i++) {
        inner *in = &d->inners[i];
        if (in->splits) {
            if (in->node.type->free_splits) in->node.type->free_splits(in->splits, in->n_splits);
            else {
                for (size_t k = 0; k < in->n_splits; k++)
                    free(in->splits[k].path);
                free(in->splits);
            }
        }
        if (in->node.type->release) in->node.type->release(&in->node);
        free(in->node.opts);
    }
    free(d->inners);
    sl_expr_free(d->pushdown);
    sl_arena_free(&d->arena);
    free(d);
    node->data = NULL;
}

/* ---- building inner nodes ---- */

static long opt_index(const sl_node_type *t, const char *name) {
    for (long i = 0; t->options[i].name; i++)
        if (!strcmp(t->options[i].name, name)) return i;
    return -1;
}

/* A fresh inner node of type t named after the outer node, every option at
 * its default. */
static int inner_init(inner *in, sl_node *outer, const sl_node_type *t, sl_error *err) {
    size_t n = 0;
    while (t->options[n].name)
        n++;
    memset(in, 0, sizeof *in);
    in->node.name = outer->name;
    in->node.type = t;
    in->node.opts = sl_xcalloc(n + 1, sizeof *in->node.opts);
    in->node.line = outer->line;
    in->node.column = outer->column;
    in->node.job_file = outer->job_file;
    for (size_t i = 0; i < n; i++) {
        const sl_option *o = &t->options[i];
        if (!o->default_text) continue;
        if (sl_option_convert(o, o->default_text, &in->node.opts[i], err)) return SL_EINVAL;
        in->node.opts[i].has_value = true;
    }
    return SL_OK;
}

/* Set a scalar option of an inner node (text kept in the arena). */
static int inner_set(catsrc *d, inner *in, const char *name, const char *text, sl_error *err) {
    long i = opt_index(in->node.type, name);
    if (i < 0 || !text) return SL_OK;
    char *copy = sl_arena_strndup(&d->arena, text, strlen(text));
    sl_optval *v = &in->node.opts[i];
    if (sl_option_convert(&in->node.type->options[i], copy, v, err)) return SL_EINVAL;
    v->set = v->has_value = true;
    return SL_OK;
}

/* Set a LIST/TREE option of an inner node. */
static void inner_set_tree(inner *in, const char *name, sl_value tree) {
    long i = opt_index(in->node.type, name);
    if (i < 0) return;
    sl_optval *v = &in->node.opts[i];
    v->tree = tree;
    v->text = "";
    v->set = v->has_value = true;
}

/* The outer node's region/endpoint/profile, when set, override what the
 * catalog says. */
static int inner_store_options(catsrc *d, sl_node *outer, inner *in, const char *endpoint, const char *region,
                               sl_error *err) {
    const char *e = sl_node_str(outer, "endpoint"), *r = sl_node_str(outer, "region"),
               *p = sl_node_str(outer, "profile");
    int rc = inner_set(d, in, "endpoint", e && e[0] ? e : endpoint, err);
    if (!rc) rc = inner_set(d, in, "region", r && r[0] ? r : region, err);
    if (!rc && p && p[0]) rc = inner_set(d, in, "profile", p, err);
    return rc;
}

static const char *param(const sl_catalog_table *t, const char *key) {
    const char *v = sl_catalog_params_get(&t->parameters, key);
    if (!v) v = sl_catalog_params_get(&t->sd.parameters, key);
    if (!v) v = sl_catalog_params_get(&t->sd.serde.parameters, key);
    return v;
}

/* CSV: the catalog's scalar column types become read_file's `types`, so a
 * column the crawler typed `string` stays a string even where its values
 * look numeric (Glue reads with the catalog schema). */
static sl_value csv_types(catsrc *d, const sl_catalog_table *t) {
    sl_field *f = sl_arena_alloc(&d->arena, (t->sd.columns.count + 1) * sizeof *f);
    uint32_t n = 0;
    for (size_t i = 0; i < t->sd.columns.count; i++) {
        const sl_catalog_column *c = &t->sd.columns.items[i];
        sl_type ty;
        if (!c->type || sl_type_parse(c->type, &ty) || ty == SL_T_LIST || ty == SL_T_STRUCT) continue;
        f[n].name = sl_arena_strndup(&d->arena, c->name, strlen(c->name));
        f[n].name_len = (uint32_t)strlen(c->name);
        f[n].name_flags = sl_json_plain(c->name, strlen(c->name)) ? SL_VF_JSON_PLAIN : 0;
        f[n].value = sl_string_copy(&d->arena, c->type, strlen(c->type));
        n++;
    }
    return sl_struct(f, n);
}

/* A partition's values as a record of the partition keys, typed by the
 * keys' catalog types: integer and floating types parse the text (a value
 * that does not parse stays a string), everything else is a string; Hive's
 * default partition is null. */
static sl_value *partition_record(catsrc *d, const sl_catalog_table *t, const sl_catalog_partition *p) {
    size_t n = t->partition_keys.count < p->n_values ? t->partition_keys.count : p->n_values;
    sl_field *f = sl_arena_alloc(&d->arena, (n ? n : 1) * sizeof *f);
    for (size_t i = 0; i < n; i++) {
        const char *name = t->partition_keys.items[i].name, *val = p->values[i] ? p->values[i] : "";
        size_t vl = strlen(val);
        sl_value v;
        sl_type want = SL_T_STRING;
        const char *ty = t->partition_keys.items[i].type;
        if (!ty || sl_type_parse(ty, &want)) want = SL_T_STRING;
        if (!strcmp(val, "__HIVE_DEFAULT_PARTITION__")) v = sl_null();
        else if ((want == SL_T_INT || want == SL_T_DOUBLE) && sl_csv_infer_text(val, vl, &v) == (int)want)
            ;
        else if (want == SL_T_DOUBLE && sl_csv_infer_text(val, vl, &v) == SL_T_INT)
            v = sl_double((double)v.u.i);
        else v = sl_string_copy(&d->arena, val, vl);
        f[i].name = sl_arena_strndup(&d->arena, name, strlen(name));
        f[i].name_len = (uint32_t)strlen(name);
        f[i].name_flags = sl_json_plain(name, strlen(name)) ? SL_VF_JSON_PLAIN : 0;
        f[i].value = v;
    }
    sl_value *rec = sl_arena_alloc(&d->arena, sizeof *rec);
    *rec = sl_struct(f, n);
    return rec;
}

/* read_file on one location with the table's format options. */
static int file_inner(catsrc *d, sl_node *outer, const sl_catalog_table *t, const char *classification,
                      const char *location, inner *in, sl_error *err) {
    int rc = inner_init(in, outer, &sl_read_file_type, err);
    if (!rc) rc = inner_set(d, in, "path", location, err);
    if (!rc) rc = inner_set(d, in, "format", classification, err);
    if (!rc && !strcmp(classification, "csv")) {
        const char *delim = param(t, "delimiter");
        if (!delim) delim = param(t, "field.delim");
        if (!delim) delim = param(t, "separatorChar");
        if (delim && strlen(delim) == 1) rc = inner_set(d, in, "delimiter", delim[0] == '\t' ? "\\t" : delim, err);
        const char *quote = param(t, "quoteChar");
        if (!rc && quote && strlen(quote) == 1) rc = inner_set(d, in, "quote", quote, err);
        const char *skip = param(t, "skip.header.line.count");
        if (!rc) rc = inner_set(d, in, "header", skip && atoi(skip) > 0 ? "true" : "false", err);
        if (!rc) inner_set_tree(in, "types", csv_types(d, t));
    }
    const sl_optval *cols = sl_node_opt(outer, "columns"), *pred = sl_node_opt(outer, "predicate");
    if (!rc && cols->set) inner_set_tree(in, "columns", cols->tree);
    if (!rc && pred->text && pred->text[0]) rc = inner_set(d, in, "predicate", pred->text, err);
    if (!rc) rc = inner_store_options(d, outer, in, param(t, "sluice.endpoint"), NULL, err);
    return rc;
}

/* The DynamoDB table name and region in a location: an ARN
 * (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME) or a plain name. */
static void dynamodb_location(catsrc *d, const char *loc, const char **table, const char **region) {
    *table = loc;
    *region = NULL;
    if (strncmp(loc, "arn:", 4)) return;
    const char *slash = strstr(loc, ":table/");
    if (slash) *table = slash + 7;
    const char *p = loc;
    for (int colons = 0; *p && colons < 3; p++)
        if (*p == ':') colons++;
    const char *end = strchr(p, ':');
    if (end && end > p) *region = sl_arena_strndup(&d->arena, p, (size_t)(end - p));
}

static int ddb_inner(catsrc *d, sl_node *outer, const sl_catalog_table *t, inner *in, sl_error *err) {
    const char *table, *region;
    const char *loc = t->sd.location && t->sd.location[0] ? t->sd.location : param(t, "dynamodb.table");
    if (!loc) loc = t->name;
    dynamodb_location(d, loc, &table, &region);
    /* the region the crawler used comes first: DynamoDB Local writes "ddblocal" into its ARNs */
    const char *pr = param(t, "sluice.region");
    int rc = inner_init(in, outer, &sl_read_dynamodb_type, err);
    if (!rc) rc = inner_set(d, in, "table", table, err);
    if (!rc) rc = inner_store_options(d, outer, in, param(t, "sluice.endpoint"), pr ? pr : region, err);
    return rc;
}

static int add_inner(catsrc *d, size_t *cap) {
    if (d->n_inners == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        d->inners = sl_xrealloc(d->inners, *cap * sizeof *d->inners);
    }
    return (int)d->n_inners++;
}

static int build_inners(catsrc *d, sl_node *node, sl_catalog *cat, const sl_catalog_table *t, sl_error *err) {
    const char *db = sl_node_str(node, "database");
    const char *classification = param(t, "classification");
    if (!classification || !classification[0])
        return sl_error_set(err, SL_EINVAL, "catalog table '%s.%s' has no classification; crawl it or set one", db,
                            t->name);
    size_t cap = 0;
    if (!strcmp(classification, "dynamodb")) {
        int k = add_inner(d, &cap);
        return ddb_inner(d, node, t, &d->inners[k], err);
    }
    if (strcmp(classification, "json") && strcmp(classification, "csv") && strcmp(classification, "parquet") &&
        strcmp(classification, "avro"))
        return sl_error_set(err, SL_EINVAL, "catalog table '%s.%s' has classification '%s', which sluice cannot read",
                            db, t->name, classification);
    if (!t->partition_keys.count) {
        if (!t->sd.location || !t->sd.location[0])
            return sl_error_set(err, SL_EINVAL, "catalog table '%s.%s' has no location", db, t->name);
        int k = add_inner(d, &cap);
        return file_inner(d, node, t, classification, t->sd.location, &d->inners[k], err);
    }
    sl_catalog_partition_list parts = {0};
    int rc = sl_catalog_list_partitions(cat, db, t->name, NULL, 0, &parts, err);
    d->partitions_total = parts.count;
    for (size_t i = 0; !rc && i < parts.count; i++) {
        const sl_catalog_partition *p = &parts.items[i];
        sl_value *rec = partition_record(d, t, p);
        if (d->pushdown) {
            int truth = 0;
            sl_error perr;
            sl_error_clear(&perr);
            if (sl_expr_eval_bool(d->pushdown, rec, &d->arena, &truth, &perr) != 0 || truth != 1) continue;
        }
        const char *loc = p->sd.location && p->sd.location[0] ? p->sd.location : NULL;
        if (!loc) {
            rc = sl_error_set(err, SL_EINVAL, "catalog table '%s.%s': a partition has no location", db, t->name);
            break;
        }
        int k = add_inner(d, &cap);
        rc = file_inner(d, node, t, classification, loc, &d->inners[k], err);
        d->inners[k].parts = rec;
        d->partitions_read++;
    }
    sl_catalog_partition_list_free(&parts);
    return rc;
}

static int catsrc_prepare(sl_node *node, sl_run *run, sl_error *err) {
    catsrc *d = node->data;
    const char *path = sl_node_str(node, "catalog");
    if (!path || !path[0]) path = sl_catalog_default_path();
    sl_catalog *cat = NULL;
    int rc = sl_catalog_open(path, SL_CATALOG_OPEN_EXISTING, &cat, err);
    sl_catalog_table t = {0};
    if (!rc) rc = sl_catalog_get_table(cat, sl_node_str(node, "database"), sl_node_str(node, "table"), &t, err);
    if (!rc) rc = build_inners(d, node, cat, &t, err);
    sl_catalog_table_free(&t);
    sl_catalog_close(cat);
    for (size_t i = 0; !rc && i < d->n_inners; i++) {
        sl_node *in = &d->inners[i].node;
        in->projection = node->projection; /* the consumer's fields reach the reader */
        if (in->type->check) rc = in->type->check(in, err);
        if (!rc && in->type->prepare) rc = in->type->prepare(in, run, err);
    }
    d->prepared = !rc;
    return rc;
}

static int catsrc_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    catsrc *d = node->data;
    size_t n = 0, cap = 0;
    sl_split *out = NULL;
    for (size_t i = 0; i < d->n_inners; i++) {
        inner *in = &d->inners[i];
        int rc = in->node.type->plan(&in->node, run, &in->splits, &in->n_splits, err);
        if (rc) {
            for (size_t k = 0; k < n; k++)
                free(out[k].path), free(out[k].data);
            free(out);
            return rc;
        }
        for (size_t k = 0; k < in->n_splits; k++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                out = sl_xrealloc(out, cap * sizeof *out);
            }
            const sl_split *s = &in->splits[k];
            wrapped *w = sl_xmalloc(sizeof *w);
            w->in = in;
            w->split = s;
            out[n] = *s;
            out[n].path = sl_xstrdup(s->path ? s->path : "");
            out[n].index = (uint32_t)n;
            out[n].data = w;
            n++;
        }
    }
    *splits = out;
    *n_splits = n;
    return SL_OK;
}

static void catsrc_free_splits(sl_split *splits, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(splits[i].path);
        free(splits[i].data);
    }
    free(splits);
}

static int catsrc_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    const wrapped *w = split->data;
    reader *r = sl_xcalloc(1, sizeof *r);
    r->in = w->in;
    int rc = w->in->node.type->open(&w->in->node, run, w->split, &r->inner_reader, err);
    if (rc) {
        free(r);
        return rc;
    }
    *out = r;
    return SL_OK;
}

/* Append the partition keys to every record (a field of the same name in
 * the data is replaced, as Hive does). */
static void add_partition_fields(sl_batch *b, const sl_value *parts) {
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        if (rec->type != SL_T_STRUCT) continue;
        uint32_t n = 0;
        sl_field *fields = sl_arena_alloc(&b->arena, (rec->len + parts->len) * sizeof *fields);
        for (uint32_t k = 0; k < rec->len; k++)
            if (!sl_struct_find(parts, rec->u.fields[k].name, rec->u.fields[k].name_len)) fields[n++] = rec->u.fields[k];
        for (uint32_t k = 0; k < parts->len; k++)
            fields[n++] = parts->u.fields[k];
        b->records[i] = sl_struct(fields, n);
    }
}

static int catsrc_next(void *state, sl_batch *b, sl_error *err) {
    reader *r = state;
    int rc = r->in->node.type->next(r->inner_reader, b, err);
    if (rc > 0 && r->in->parts && r->in->parts->len) add_partition_fields(b, r->in->parts);
    return rc;
}

static void catsrc_close(void *state) {
    reader *r = state;
    if (!r) return;
    r->in->node.type->close(r->inner_reader);
    free(r);
}

const sl_node_type sl_read_catalog_type = {
    .name = "read_catalog",
    .kind = SL_NODE_SOURCE,
    .summary = "read a table of the data catalog (Glue's from_catalog), with partition push-down",
    .help = "Looks up database.table in the catalog when the run starts and reads it the way its "
            "classification says: files (JSON, CSV, Parquet, Avro) at the table's location, local or s3://, "
            "with the CSV options the crawler recorded and the catalog's column types; or a DynamoDB table "
            "(classification dynamodb). A partitioned table is read from the partition locations the catalog "
            "lists, skipping those push_down_predicate rules out, and each record gets the partition keys as "
            "fields. Fill the catalog with `sluice crawl` or `sluice catalog create-table`.",
    .options = catalog_source_options,
    .min_inputs = 0,
    .max_inputs = 0,
    .check = catsrc_check,
    .prepare = catsrc_prepare,
    .release = catsrc_release,
    .plan = catsrc_plan,
    .open = catsrc_open,
    .next = catsrc_next,
    .close = catsrc_close,
    .free_splits = catsrc_free_splits,
};
