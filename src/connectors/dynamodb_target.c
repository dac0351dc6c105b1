/*
 * dynamodb_target.c — the `write_dynamodb` target: records become items put
 * into an existing DynamoDB table with BatchWriteItem (Glue's
 * write_dynamic_frame with connection_type "dynamodb").
 *
 * DynamoDB has no staging area: items are written while the run goes on,
 * so a failed run may leave some of its items in the table. Puts replace
 * whole items by primary key, so running the job again converges on the
 * same table (Glue behaves the same way).
 *
 * Each batch is converted in a writer-owned arena and sent in groups of
 * batch_size (≤ 25) put requests; a group never holds two items with the
 * same key (DynamoDB rejects such a request), the later one starts a new
 * group so the last record with a key wins, as sequential puts would.
 * Items the server leaves unprocessed are sent again with back-off
 * (sl_ddb_batch_write); throttling and 5xx answers are retried by
 * sl_aws_call. Records that cannot become a valid item (key attribute
 * missing or of the wrong type, number out of DynamoDB's range, item over
 * 400 KB) go to the error output with the reason; any other error from the
 * server (validation) fails the run with the server's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/credentials.h"
#include "aws/dynamodb.h"
#include "core/fieldpath.h"
#include "core/mem.h"
#include "exec/run.h"
#include "formats/ddbjson.h"

static const sl_option target_options[] = {
    {"table", SL_OPT_STRING, NULL,
     "Name of an existing DynamoDB table. Every record must hold the table's key attributes.", NULL, SL_OPTF_REQUIRED},
    {"region", SL_OPT_STRING, NULL, "AWS region. Default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region.",
     NULL, 0},
    {"endpoint", SL_OPT_STRING, NULL,
     "Endpoint URL, e.g. http://127.0.0.1:8000 for DynamoDB Local. Default: AWS_ENDPOINT_URL_DYNAMODB, "
     "AWS_ENDPOINT_URL, the profile's endpoint_url, else the public endpoint of the region.",
     NULL, 0},
    {"profile", SL_OPT_STRING, NULL,
     "Profile in ~/.aws/credentials and ~/.aws/config for credentials and region. Default: AWS_PROFILE, then "
     "\"default\". Credentials in the environment (AWS_ACCESS_KEY_ID, ...) come first.",
     NULL, 0},
    {"batch_size", SL_OPT_INT, "25", "Items per BatchWriteItem request, 1 to 25.", NULL, 0},
    {"max_retries", SL_OPT_INT, "10",
     "How many times items the server leaves unprocessed (write capacity exhausted) are sent again, with "
     "exponential back-off, before the run fails.",
     NULL, 0},
    {"sets", SL_OPT_LIST, NULL,
     "Fields (dotted paths, e.g. metadata.tags) whose arrays are written as DynamoDB sets: SS for strings, NS "
     "for numbers, BS for binary. Duplicates are dropped; an empty array leaves the attribute out (DynamoDB "
     "has no empty sets). Other arrays are written as lists (L).",
     NULL, 0},
    {0},
};

typedef struct target_data {
    sl_aws_config cfg;
    sl_ddb_table table;
    sl_fieldpath *sets;
    size_t n_sets;
    size_t batch_size;
    int max_retries;
} target_data;

static void target_release(sl_node *node) {
    target_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_sets; i++)
        sl_fieldpath_free(&d->sets[i]);
    free(d->sets);
    free(d);
    node->data = NULL;
}

static int bad_option(sl_error *err, const sl_node *node, const char *opt, const char *message) {
    if (message) sl_error_set(err, SL_EINVAL, "%s", message);
    const sl_optval *o = sl_node_opt(node, opt);
    sl_error_at(err, node->job_file, o->line ? o->line : node->line, o->column);
    return SL_EINVAL;
}

static int target_check(sl_node *node, sl_error *err) {
    target_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    int64_t bs = sl_node_int(node, "batch_size");
    if (bs < 1 || bs > SL_DDB_BATCH_MAX) return bad_option(err, node, "batch_size", "batch_size must be 1 to 25");
    d->batch_size = (size_t)bs;
    int64_t retries = sl_node_int(node, "max_retries");
    if (retries < 0 || retries > 1000) return bad_option(err, node, "max_retries", "max_retries must be 0 to 1000");
    d->max_retries = (int)retries;
    const sl_optval *sets = sl_node_opt(node, "sets");
    if (!sets->has_value || sets->tree.type != SL_T_LIST) return SL_OK;
    d->sets = sl_xcalloc(sets->tree.len ? sets->tree.len : 1, sizeof *d->sets);
    for (uint32_t i = 0; i < sets->tree.len; i++) {
        const sl_value *v = &sets->tree.u.items[i];
        if (v->type != SL_T_STRING) return bad_option(err, node, "sets", "sets must be a list of field paths");
        char *text = sl_xstrndup(v->u.s, v->len);
        int rc = sl_fieldpath_parse(text, &d->sets[d->n_sets], err);
        free(text);
        if (rc) return bad_option(err, node, "sets", NULL);
        d->n_sets++;
    }
    return SL_OK;
}

static int target_prepare(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    sl_aws_overrides ov = {
        .profile = sl_node_str(node, "profile"),
        .region = sl_node_str(node, "region"),
        .endpoint = sl_node_str(node, "endpoint"),
    };
    int rc = sl_aws_config_load("dynamodb", &ov, &d->cfg, err);
    sl_ddb *client = NULL;
    if (!rc) rc = sl_ddb_new(&d->cfg, &client, err);
    if (!rc) rc = sl_ddb_describe_table(client, sl_node_str(node, "table"), &d->table, err);
    sl_ddb_free(client);
    return rc;
}

/* ---- records to items ---- */

static sl_field *find_field(sl_value *obj, const sl_fieldseg *seg) {
    for (uint32_t i = 0; i < obj->len; i++)
        if (obj->u.fields[i].name_len == seg->len && !memcmp(obj->u.fields[i].name, seg->name, seg->len))
            return &obj->u.fields[i];
    return NULL;
}

static int compare_text(const void *x, const void *y) {
    const sl_value *a = x, *b = y;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return memcmp(a->u.s, b->u.s, a->len);
}

/* Turn the attribute {"L": [{"S": …}, …]} into {"SS": […]} (or NS/BS) in
 * place, duplicates dropped. *empty is set when there is nothing to store. */
static int list_to_set(sl_arena *a, sl_value *attr, bool *empty, sl_error *err) {
    *empty = false;
    sl_field *f = &attr->u.fields[0];
    if (f->name_len != 1 || f->name[0] != 'L') return SL_OK; /* not an array: written as it is */
    const sl_value *list = &f->value;
    if (list->len == 0) return *empty = true, SL_OK;
    sl_value *elems = sl_arena_alloc(a, list->len * sizeof *elems);
    char kind = 0;
    for (uint32_t i = 0; i < list->len; i++) {
        const sl_value *e = &list->u.items[i];
        const sl_field *ef = e->type == SL_T_STRUCT && e->len == 1 ? &e->u.fields[0] : NULL;
        char k = ef && ef->name_len == 1 ? ef->name[0] : 0;
        if (!ef || (k != 'S' && k != 'N' && k != 'B') || (kind && k != kind))
            return sl_error_set(err, SL_ETYPE, "a set needs all strings, all numbers or all binary values");
        kind = k;
        elems[i] = ef->value;
    }
    qsort(elems, list->len, sizeof *elems, compare_text);
    uint32_t n = 1;
    for (uint32_t i = 1; i < list->len; i++)
        if (compare_text(&elems[i], &elems[n - 1]) != 0) elems[n++] = elems[i];
    static const char *const names[] = {"SS", "NS", "BS"};
    f->name = names[kind == 'S' ? 0 : kind == 'N' ? 1 : 2];
    f->name_len = 2;
    f->value = sl_list(elems, n);
    return SL_OK;
}

/* Apply set path p from segment depth on to the attribute map obj. */
static int apply_set(sl_arena *a, sl_value *obj, const sl_fieldpath *p, size_t depth, sl_error *err) {
    sl_field *f = find_field(obj, &p->segs[depth]);
    if (!f) return SL_OK;
    sl_value *attr = &f->value; /* {"M": {...}} or {"L": [...]} …, built fresh by sl_ddb_value_to_attr */
    if (depth + 1 < p->n) {
        sl_field *inner = &attr->u.fields[0];
        if (inner->name_len != 1 || inner->name[0] != 'M') return SL_OK;
        return apply_set(a, &inner->value, p, depth + 1, err);
    }
    bool empty;
    int rc = list_to_set(a, attr, &empty, err);
    if (rc) {
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        return sl_error_set(err, rc, "field '%s': %.300s", p->text, msg);
    }
    if (empty) { /* leave the attribute out */
        size_t at = (size_t)(f - obj->u.fields);
        memmove(f, f + 1, (obj->len - at - 1) * sizeof *f);
        obj->len--;
    }
    return SL_OK;
}

/* Record → DynamoDB JSON item in arena a. */
static int record_to_item(const target_data *d, sl_arena *a, const sl_value *rec, sl_value *item, sl_error *err) {
    if (rec->type != SL_T_STRUCT) return sl_error_set(err, SL_ETYPE, "record is not a struct");
    sl_field *fields = sl_arena_alloc(a, (rec->len ? rec->len : 1) * sizeof *fields);
    for (uint32_t i = 0; i < rec->len; i++) {
        fields[i] = rec->u.fields[i];
        int rc = sl_ddb_value_to_attr(a, &rec->u.fields[i].value, &fields[i].value, err);
        if (rc) return rc;
    }
    *item = sl_struct(fields, rec->len);
    for (size_t k = 0; k < d->n_sets; k++) {
        int rc = apply_set(a, item, &d->sets[k], 0, err);
        if (rc) return rc;
    }
    return sl_ddb_item_check(item, &d->table, err);
}

/* ---- writer ---- */

typedef struct writer {
    target_data *d;
    sl_node *node;
    sl_run *run;
    sl_ddb *client;
    sl_arena arena; /* items of the batch being written */
    sl_value group[SL_DDB_BATCH_MAX];
    const char *keys[SL_DDB_BATCH_MAX]; /* key text of each group item (NUL-terminated, in arena) */
    size_t n_group;
    sl_buf key;
} writer;

static int target_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    target_data *d = node->data;
    writer *w = sl_xcalloc(1, sizeof *w);
    int rc = sl_ddb_new(&d->cfg, &w->client, err);
    if (rc) {
        free(w);
        return rc;
    }
    w->d = d;
    w->node = node;
    w->run = run;
    sl_arena_init(&w->arena);
    sl_buf_init(&w->key, SL_BUF_UNLIMITED);
    *out = w;
    return SL_OK;
}

static int flush_group(writer *w, sl_error *err) {
    if (!w->n_group) return SL_OK;
    int rc = sl_ddb_batch_write(w->client, sl_node_str(w->node, "table"), w->group, w->n_group, w->d->max_retries, NULL,
                                err);
    w->n_group = 0;
    return rc;
}

static bool key_in_group(const writer *w, const char *key) {
    for (size_t i = 0; i < w->n_group; i++)
        if (!strcmp(w->keys[i], key)) return true;
    return false;
}

static int target_write(void *state, sl_batch *b, sl_error *err) {
    writer *w = state;
    sl_arena_reset(&w->arena);
    w->n_group = 0;
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    int rc = SL_OK;
    uint64_t bytes = 0;
    for (size_t i = 0; !rc && i < b->count; i++) {
        sl_value item;
        if (record_to_item(w->d, &w->arena, &b->records[i], &item, &e) != SL_OK) {
            rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
            continue;
        }
        sl_buf_reset(&w->key);
        sl_ddb_item_key(&item, &w->d->table, &w->key);
        if (key_in_group(w, w->key.data) || w->n_group == w->d->batch_size) rc = flush_group(w, err);
        if (rc) break;
        w->keys[w->n_group] = sl_arena_strndup(&w->arena, w->key.data, w->key.len);
        w->group[w->n_group++] = item;
        bytes += sl_ddb_item_size(&item);
    }
    if (!rc) rc = flush_group(w, err);
    if (!rc) __atomic_fetch_add(&w->node->stats.bytes_out, bytes, __ATOMIC_RELAXED);
    return rc;
}

static void writer_free(writer *w) {
    sl_ddb_free(w->client);
    sl_arena_free(&w->arena);
    sl_buf_free(&w->key);
    free(w);
}

static int target_close(void *state, sl_error *err) {
    writer_free(state); /* every batch was written in full by target_write */
    return SL_OK;
}

static void target_discard(void *state) { writer_free(state); }

const sl_node_type sl_write_dynamodb_type = {
    .name = "write_dynamodb",
    .kind = SL_NODE_TARGET,
    .summary = "put records into a DynamoDB table with BatchWriteItem (written during the run, not staged)",
    .help = "Like Glue's write_dynamic_frame.from_options with connection_type dynamodb. Each record becomes one "
            "item: strings → S, integers/doubles/decimals → N (exact text), booleans → BOOL, null → NULL, "
            "structs → M, arrays → L (or sets, see `sets`), binary → B, dates and timestamps → S (ISO 8601). "
            "An item with the same key replaces the stored one. DynamoDB has no staging: a failed run may have "
            "written some items already; running it again is safe because puts by key are idempotent.",
    .options = target_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = target_check,
    .release = target_release,
    .prepare = target_prepare,
    .target_open = target_open,
    .write = target_write,
    .target_close = target_close,
    .target_discard = target_discard,
};
