/*
 * catalog_model.c — the in-memory side of the catalog (catalog.h): maps,
 * columns, storage descriptors and the other structs (free, copy), schema
 * differences between table versions, and the checks that keep secrets out
 * of connections. No SQLite here (catalog.c) and no JSON (catalog_json.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog/catalog.h"
#include "core/mem.h"
#include "formats/json.h"

static char *dup_or_null(const char *s) { return s ? sl_xstrdup(s) : NULL; }

int64_t sl_catalog_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *sl_catalog_default_path(void) {
    const char *env = getenv("SLUICE_CATALOG");
    return env && *env ? env : SL_CATALOG_DEFAULT_PATH;
}

/* ---- parameter maps ---- */

const char *sl_catalog_params_get(const sl_catalog_params *p, const char *key) {
    for (size_t i = 0; i < p->count; i++)
        if (!strcmp(p->items[i].key, key)) return p->items[i].value;
    return NULL;
}

void sl_catalog_params_set(sl_catalog_params *p, const char *key, const char *value) {
    for (size_t i = 0; i < p->count; i++) {
        if (!strcmp(p->items[i].key, key)) {
            char *copy = sl_xstrdup(value);
            free(p->items[i].value);
            p->items[i].value = copy;
            return;
        }
    }
    p->items = sl_xrealloc(p->items, (p->count + 1) * sizeof *p->items);
    p->items[p->count].key = sl_xstrdup(key);
    p->items[p->count].value = sl_xstrdup(value);
    p->count++;
}

bool sl_catalog_params_unset(sl_catalog_params *p, const char *key) {
    for (size_t i = 0; i < p->count; i++) {
        if (strcmp(p->items[i].key, key)) continue;
        free(p->items[i].key);
        free(p->items[i].value);
        memmove(p->items + i, p->items + i + 1, (p->count - i - 1) * sizeof *p->items);
        p->count--;
        return true;
    }
    return false;
}

void sl_catalog_params_free(sl_catalog_params *p) {
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

static void params_copy(sl_catalog_params *dst, const sl_catalog_params *src) {
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->count; i++)
        sl_catalog_params_set(dst, src->items[i].key, src->items[i].value);
}

/* ---- columns ---- */

void sl_catalog_columns_add(sl_catalog_columns *c, const char *name, const char *type, const char *comment) {
    c->items = sl_xrealloc(c->items, (c->count + 1) * sizeof *c->items);
    sl_catalog_column *col = &c->items[c->count++];
    memset(col, 0, sizeof *col);
    col->name = sl_xstrdup(name);
    col->type = dup_or_null(type);
    col->comment = dup_or_null(comment);
}

long sl_catalog_columns_find(const sl_catalog_columns *c, const char *name) {
    for (size_t i = 0; i < c->count; i++)
        if (c->items[i].name && !strcmp(c->items[i].name, name)) return (long)i;
    return -1;
}

void sl_catalog_columns_free(sl_catalog_columns *c) {
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].name);
        free(c->items[i].type);
        free(c->items[i].comment);
        sl_catalog_params_free(&c->items[i].parameters);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

static void columns_copy(sl_catalog_columns *dst, const sl_catalog_columns *src) {
    memset(dst, 0, sizeof *dst);
    for (size_t i = 0; i < src->count; i++) {
        const sl_catalog_column *s = &src->items[i];
        sl_catalog_columns_add(dst, s->name ? s->name : "", s->type, s->comment);
        params_copy(&dst->items[i].parameters, &s->parameters);
    }
}

/* ---- storage descriptors ---- */

void sl_catalog_storage_free(sl_catalog_storage *sd) {
    sl_catalog_columns_free(&sd->columns);
    free(sd->location);
    free(sd->input_format);
    free(sd->output_format);
    free(sd->serde.name);
    free(sd->serde.serialization_library);
    sl_catalog_params_free(&sd->serde.parameters);
    for (size_t i = 0; i < sd->n_bucket_columns; i++)
        free(sd->bucket_columns[i]);
    free(sd->bucket_columns);
    for (size_t i = 0; i < sd->n_sort_columns; i++)
        free(sd->sort_columns[i].column);
    free(sd->sort_columns);
    sl_catalog_params_free(&sd->parameters);
    free(sd->extra_json);
    memset(sd, 0, sizeof *sd);
}

static void storage_copy(sl_catalog_storage *dst, const sl_catalog_storage *src) {
    memset(dst, 0, sizeof *dst);
    columns_copy(&dst->columns, &src->columns);
    dst->location = dup_or_null(src->location);
    dst->input_format = dup_or_null(src->input_format);
    dst->output_format = dup_or_null(src->output_format);
    dst->compressed = src->compressed;
    dst->number_of_buckets = src->number_of_buckets;
    dst->serde.name = dup_or_null(src->serde.name);
    dst->serde.serialization_library = dup_or_null(src->serde.serialization_library);
    params_copy(&dst->serde.parameters, &src->serde.parameters);
    if (src->n_bucket_columns) {
        dst->bucket_columns = sl_xcalloc(src->n_bucket_columns, sizeof *dst->bucket_columns);
        for (size_t i = 0; i < src->n_bucket_columns; i++)
            dst->bucket_columns[i] = sl_xstrdup(src->bucket_columns[i]);
        dst->n_bucket_columns = src->n_bucket_columns;
    }
    if (src->n_sort_columns) {
        dst->sort_columns = sl_xcalloc(src->n_sort_columns, sizeof *dst->sort_columns);
        for (size_t i = 0; i < src->n_sort_columns; i++) {
            dst->sort_columns[i].column = sl_xstrdup(src->sort_columns[i].column);
            dst->sort_columns[i].sort_order = src->sort_columns[i].sort_order;
        }
        dst->n_sort_columns = src->n_sort_columns;
    }
    params_copy(&dst->parameters, &src->parameters);
    dst->stored_as_sub_directories = src->stored_as_sub_directories;
    dst->extra_json = dup_or_null(src->extra_json);
}

static void set_str(char **dst, const char *value) {
    free(*dst);
    *dst = dup_or_null(value);
}

bool sl_catalog_storage_set_format(sl_catalog_storage *sd, const char *classification, const char *delimiter,
                                   bool quoted) {
    static const struct {
        const char *classification, *input, *output, *serde;
    } formats[] = {
        {"json", "org.apache.hadoop.mapred.TextInputFormat",
         "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat", "org.openx.data.jsonserde.JsonSerDe"},
        {"csv", "org.apache.hadoop.mapred.TextInputFormat",
         "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
         "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"},
        {"parquet", "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
         "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
         "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        {"avro", "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
         "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat", "org.apache.hadoop.hive.serde2.avro.AvroSerDe"},
        {"orc", "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat", "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
         "org.apache.hadoop.hive.ql.io.orc.OrcSerde"},
    };
    size_t i = 0, n = sizeof formats / sizeof formats[0];
    while (i < n && (!classification || strcmp(formats[i].classification, classification)))
        i++;
    if (i == n) return false;
    set_str(&sd->input_format, formats[i].input);
    set_str(&sd->output_format, formats[i].output);
    set_str(&sd->serde.serialization_library, formats[i].serde);
    sl_catalog_params_free(&sd->serde.parameters);
    if (!strcmp(classification, "json")) {
        sl_buf paths;
        sl_buf_init(&paths, SL_BUF_UNLIMITED);
        sl_buf_adds(&paths, "");
        for (size_t k = 0; k < sd->columns.count; k++)
            sl_buf_printf(&paths, "%s%s", k ? "," : "", sd->columns.items[k].name);
        sl_catalog_params_set(&sd->serde.parameters, "paths", paths.data);
        sl_buf_free(&paths);
    } else if (!strcmp(classification, "csv") && quoted) {
        set_str(&sd->serde.serialization_library, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
        sl_catalog_params_set(&sd->serde.parameters, "separatorChar", delimiter ? delimiter : ",");
        sl_catalog_params_set(&sd->serde.parameters, "quoteChar", "\"");
    } else if (!strcmp(classification, "csv")) {
        sl_catalog_params_set(&sd->serde.parameters, "field.delim", delimiter ? delimiter : ",");
    } else if (!strcmp(classification, "parquet")) {
        sl_catalog_params_set(&sd->serde.parameters, "serialization.format", "1");
    }
    return true;
}

/* ---- databases ---- */

void sl_catalog_database_free(sl_catalog_database *db) {
    free(db->name);
    free(db->description);
    free(db->location_uri);
    sl_catalog_params_free(&db->parameters);
    free(db->extra_json);
    memset(db, 0, sizeof *db);
}

void sl_catalog_database_list_free(sl_catalog_database_list *l) {
    for (size_t i = 0; i < l->count; i++)
        sl_catalog_database_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- tables ---- */

void sl_catalog_table_free(sl_catalog_table *t) {
    free(t->database);
    free(t->name);
    free(t->description);
    free(t->owner);
    free(t->table_type);
    sl_catalog_params_free(&t->parameters);
    sl_catalog_storage_free(&t->sd);
    sl_catalog_columns_free(&t->partition_keys);
    free(t->created_by);
    free(t->extra_json);
    memset(t, 0, sizeof *t);
}

void sl_catalog_table_list_free(sl_catalog_table_list *l) {
    for (size_t i = 0; i < l->count; i++)
        sl_catalog_table_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void sl_catalog_table_copy(sl_catalog_table *dst, const sl_catalog_table *src) {
    memset(dst, 0, sizeof *dst);
    dst->database = dup_or_null(src->database);
    dst->name = dup_or_null(src->name);
    dst->description = dup_or_null(src->description);
    dst->owner = dup_or_null(src->owner);
    dst->table_type = dup_or_null(src->table_type);
    params_copy(&dst->parameters, &src->parameters);
    storage_copy(&dst->sd, &src->sd);
    columns_copy(&dst->partition_keys, &src->partition_keys);
    dst->create_time = src->create_time;
    dst->update_time = src->update_time;
    dst->last_access_time = src->last_access_time;
    dst->last_analyzed_time = src->last_analyzed_time;
    dst->created_by = dup_or_null(src->created_by);
    dst->version_id = src->version_id;
    dst->deprecated = src->deprecated;
    dst->deprecated_time = src->deprecated_time;
    dst->extra_json = dup_or_null(src->extra_json);
}

/* ---- partitions ---- */

void sl_catalog_partition_set_values(sl_catalog_partition *p, const char *const *values, size_t n) {
    for (size_t i = 0; i < p->n_values; i++)
        free(p->values[i]);
    free(p->values);
    p->values = n ? sl_xcalloc(n, sizeof *p->values) : NULL;
    for (size_t i = 0; i < n; i++)
        p->values[i] = sl_xstrdup(values[i]);
    p->n_values = n;
}

void sl_catalog_partition_free(sl_catalog_partition *p) {
    free(p->database);
    free(p->table);
    for (size_t i = 0; i < p->n_values; i++)
        free(p->values[i]);
    free(p->values);
    sl_catalog_storage_free(&p->sd);
    sl_catalog_params_free(&p->parameters);
    free(p->extra_json);
    memset(p, 0, sizeof *p);
}

void sl_catalog_partition_list_free(sl_catalog_partition_list *l) {
    for (size_t i = 0; i < l->count; i++)
        sl_catalog_partition_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- connections ---- */

void sl_catalog_connection_free(sl_catalog_connection *c) {
    free(c->name);
    free(c->description);
    free(c->type);
    sl_catalog_params_free(&c->properties);
    free(c->credentials);
    free(c->extra_json);
    memset(c, 0, sizeof *c);
}

void sl_catalog_connection_list_free(sl_catalog_connection_list *l) {
    for (size_t i = 0; i < l->count; i++)
        sl_catalog_connection_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

bool sl_catalog_is_credentials_ref(const char *value) {
    static const char *const prefixes[] = {"profile:", "env:", "secretsfile:", "arn:aws:secretsmanager:"};
    if (!value) return false;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (!strncmp(value, prefixes[i], n) && value[n]) return true;
    }
    return false;
}

bool sl_catalog_is_secret_name(const char *name) {
    /* Matched as substrings of the lower-cased name with '-', '.' and ' '
     * read as '_' (so "KAFKA_CLIENT_KEY_PASSWORD", "aws.secret-key" and
     * "apiKey" are all caught). */
    static const char *const words[] = {"password",    "passwd",      "secret",   "token",  "credential",
                                        "private_key", "privatekey",  "api_key",  "apikey", "access_key",
                                        "accesskey",   "session_key", "keystore", "keytab", "authorization"};
    char lower[256];
    size_t n = 0;
    for (; name[n] && n < sizeof lower - 1; n++) {
        char ch = (char)tolower((unsigned char)name[n]);
        lower[n] = (ch == '-' || ch == '.' || ch == ' ') ? '_' : ch;
    }
    lower[n] = 0;
    if (!strcmp(lower, "pwd")) return true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(lower, words[i])) return true;
    return false;
}

int sl_catalog_connection_check(const sl_catalog_connection *c, sl_error *err) {
    const char *name = c->name ? c->name : "";
    if (c->credentials && !sl_catalog_is_credentials_ref(c->credentials))
        return sl_error_set(err, SL_EINVAL,
                            "connection '%s': credentials must be a reference (env:VAR, profile:NAME, "
                            "secretsfile:PATH or a Secrets Manager ARN), not the secret itself",
                            name);
    for (size_t i = 0; i < c->properties.count; i++) {
        const sl_catalog_param *p = &c->properties.items[i];
        if (!strcmp(p->key, "SECRET_ID") && c->credentials)
            return sl_error_set(err, SL_EINVAL,
                                "connection '%s': give the credentials reference once (SECRET_ID and "
                                "credentials are the same thing)",
                                name);
        if (sl_catalog_is_secret_name(p->key) && !sl_catalog_is_credentials_ref(p->value))
            return sl_error_set(err, SL_EINVAL,
                                "connection '%s': property '%s' looks like a secret; the catalog never stores "
                                "secrets: give a reference instead (env:VAR, profile:NAME, secretsfile:PATH)",
                                name, p->key);
    }
    return SL_OK;
}

/* ---- crawlers and crawls ---- */

void sl_catalog_crawler_free(sl_catalog_crawler *c) {
    free(c->name);
    free(c->definition);
    memset(c, 0, sizeof *c);
}

void sl_catalog_crawler_list_free(sl_catalog_crawler_list *l) {
    for (size_t i = 0; i < l->count; i++)
        sl_catalog_crawler_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void sl_catalog_crawl_free(sl_catalog_crawl *c) {
    free(c->crawler);
    free(c->status);
    free(c->message);
    free(c->changes_json);
    memset(c, 0, sizeof *c);
}

void sl_catalog_crawl_list_free(sl_catalog_crawl_list *l) {
    for (size_t i = 0; i < l->count; i++)
        sl_catalog_crawl_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* ---- schema differences ---- */

static void add_change(sl_catalog_schema_diff *d, sl_catalog_change_kind kind, bool partition_key,
                       const sl_catalog_column *old_c, const sl_catalog_column *new_c) {
    d->items = sl_xrealloc(d->items, (d->count + 1) * sizeof *d->items);
    sl_catalog_column_change *ch = &d->items[d->count++];
    ch->kind = kind;
    ch->partition_key = partition_key;
    ch->name = sl_xstrdup(new_c ? new_c->name : old_c->name);
    ch->old_type = old_c ? dup_or_null(old_c->type ? old_c->type : "") : NULL;
    ch->new_type = new_c ? dup_or_null(new_c->type ? new_c->type : "") : NULL;
}

static bool same_type(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

/* Which occurrence of its name column i is (0 for the first). */
static size_t occurrence(const sl_catalog_columns *c, size_t i) {
    size_t n = 0;
    for (size_t k = 0; k < i; k++)
        n += !strcmp(c->items[k].name, c->items[i].name);
    return n;
}

/* Index of the nth column named name, or -1. */
static long find_nth(const sl_catalog_columns *c, const char *name, size_t nth) {
    for (size_t i = 0; i < c->count; i++)
        if (c->items[i].name && !strcmp(c->items[i].name, name) && nth-- == 0) return (long)i;
    return -1;
}

/* Columns match by name; should a name repeat (the catalog does not
 * forbid it), the k-th of that name matches the k-th. */
static void diff_columns(const sl_catalog_columns *old_c, const sl_catalog_columns *new_c, bool partition_key,
                         sl_catalog_schema_diff *d) {
    static const sl_catalog_columns none = {0};
    if (!old_c) old_c = &none;
    if (!new_c) new_c = &none;
    for (size_t i = 0; i < new_c->count; i++) {
        const sl_catalog_column *nc = &new_c->items[i];
        if (!nc->name) continue;
        long j = find_nth(old_c, nc->name, occurrence(new_c, i));
        if (j < 0)
            add_change(d, SL_CATALOG_COLUMN_ADDED, partition_key, NULL, nc);
        else if (!same_type(old_c->items[j].type, nc->type))
            add_change(d, SL_CATALOG_COLUMN_TYPE_CHANGED, partition_key, &old_c->items[j], nc);
    }
    for (size_t i = 0; i < old_c->count; i++)
        if (old_c->items[i].name && find_nth(new_c, old_c->items[i].name, occurrence(old_c, i)) < 0)
            add_change(d, SL_CATALOG_COLUMN_REMOVED, partition_key, &old_c->items[i], NULL);
}

void sl_catalog_diff_tables(const sl_catalog_table *old_t, const sl_catalog_table *new_t, sl_catalog_schema_diff *out) {
    memset(out, 0, sizeof *out);
    diff_columns(old_t ? &old_t->sd.columns : NULL, new_t ? &new_t->sd.columns : NULL, false, out);
    diff_columns(old_t ? &old_t->partition_keys : NULL, new_t ? &new_t->partition_keys : NULL, true, out);
}

int sl_catalog_schema_diff_json(const sl_catalog_schema_diff *d, sl_buf *out) {
    static const char *const kinds[] = {"ADDED", "REMOVED", "TYPE_CHANGED"};
    size_t start = out->len;
    int rc = sl_buf_addc(out, '[');
    for (size_t i = 0; i < d->count && !rc; i++) {
        const sl_catalog_column_change *c = &d->items[i];
        rc = sl_buf_printf(out, "%s{\"Change\":\"%s\",\"Name\":", i ? "," : "", kinds[c->kind]);
        if (!rc) rc = sl_json_write_string(out, c->name, strlen(c->name));
        if (!rc && c->old_type) rc = sl_buf_adds(out, ",\"OldType\":");
        if (!rc && c->old_type) rc = sl_json_write_string(out, c->old_type, strlen(c->old_type));
        if (!rc && c->new_type) rc = sl_buf_adds(out, ",\"NewType\":");
        if (!rc && c->new_type) rc = sl_json_write_string(out, c->new_type, strlen(c->new_type));
        if (!rc && c->partition_key) rc = sl_buf_adds(out, ",\"PartitionKey\":true");
        if (!rc) rc = sl_buf_addc(out, '}');
    }
    if (!rc) rc = sl_buf_addc(out, ']');
    if (rc) {
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return rc;
}

void sl_catalog_schema_diff_free(sl_catalog_schema_diff *d) {
    for (size_t i = 0; i < d->count; i++) {
        free(d->items[i].name);
        free(d->items[i].old_type);
        free(d->items[i].new_type);
    }
    free(d->items);
    memset(d, 0, sizeof *d);
}
