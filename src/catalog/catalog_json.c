/*
 * catalog_json.c — the catalog's structs in Glue's JSON shapes (catalog.h):
 * writers for responses and stored documents, readers for the same shapes.
 *
 * Shapes follow the botocore Glue model (service-2.json, 2017-03-31):
 * PascalCase member names, absent members omitted, maps as objects,
 * timestamps as epoch seconds (a JSON number, milliseconds as a fraction;
 * readers also accept ISO 8601 strings). Members a struct does not model
 * are carried in its extra_json object and written back after the modelled
 * ones; a member of extra_json that repeats a modelled name is ignored, so
 * the output never has duplicate keys.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog_int.h"
#include "core/arena.h"
#include "core/mem.h"
#include "core/value.h"
#include "formats/json.h"

/* ================================================================== */
/* Writer                                                              */
/* ================================================================== */

#define JW_MAX_DEPTH 16

typedef struct jw {
    sl_buf *b;
    int rc;
    int depth;
    bool need_comma[JW_MAX_DEPTH];
} jw;

static void jw_raw(jw *w, const char *s, size_t n) {
    if (!w->rc) w->rc = sl_buf_add(w->b, s, n);
}
static void jw_c(jw *w, char c) { jw_raw(w, &c, 1); }
static void jw_s(jw *w, const char *s) { jw_raw(w, s, strlen(s)); }

static void jw_string(jw *w, const char *s) {
    if (!w->rc) w->rc = sl_json_write_string(w->b, s, strlen(s));
}

/* A comma before every member/element but the first. */
static void jw_sep(jw *w) {
    if (w->need_comma[w->depth]) jw_c(w, ',');
    w->need_comma[w->depth] = true;
}

static void jw_open(jw *w, char c) {
    jw_c(w, c);
    if (w->depth + 1 < JW_MAX_DEPTH) w->depth++;
    w->need_comma[w->depth] = false;
}

static void jw_close(jw *w, char c) {
    jw_c(w, c);
    if (w->depth > 0) w->depth--;
}

static void jw_key(jw *w, const char *key) {
    jw_sep(w);
    jw_string(w, key);
    jw_c(w, ':');
}

static void jw_kstr(jw *w, const char *key, const char *value) {
    if (!value) return;
    jw_key(w, key);
    jw_string(w, value);
}

static void jw_time(jw *w, int64_t ms) {
    char tmp[48];
    if (ms % 1000 == 0)
        snprintf(tmp, sizeof tmp, "%" PRId64, ms / 1000);
    else
        snprintf(tmp, sizeof tmp, "%s%lld.%03lld", ms < 0 ? "-" : "", llabs((long long)(ms / 1000)),
                 llabs((long long)(ms % 1000)));
    jw_s(w, tmp);
}

static void jw_ktime(jw *w, const char *key, int64_t ms) {
    if (!ms) return;
    jw_key(w, key);
    jw_time(w, ms);
}

static void jw_kint(jw *w, const char *key, int64_t v) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%" PRId64, v);
    jw_key(w, key);
    jw_s(w, tmp);
}

static void jw_kbool(jw *w, const char *key, bool v) {
    jw_key(w, key);
    jw_s(w, v ? "true" : "false");
}

static void jw_params_value(jw *w, const sl_catalog_params *p) {
    jw_open(w, '{');
    for (size_t i = 0; i < p->count; i++)
        jw_kstr(w, p->items[i].key, p->items[i].value ? p->items[i].value : "");
    jw_close(w, '}');
}

static void jw_kparams(jw *w, const char *key, const sl_catalog_params *p, bool always) {
    if (!p->count && !always) return;
    jw_key(w, key);
    jw_params_value(w, p);
}

static void jw_kcolumns(jw *w, const char *key, const sl_catalog_columns *c) {
    jw_key(w, key);
    jw_open(w, '[');
    for (size_t i = 0; i < c->count; i++) {
        const sl_catalog_column *col = &c->items[i];
        jw_sep(w);
        jw_open(w, '{');
        jw_kstr(w, "Name", col->name ? col->name : "");
        jw_kstr(w, "Type", col->type);
        jw_kstr(w, "Comment", col->comment);
        jw_kparams(w, "Parameters", &col->parameters, false);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

static bool in_list(const char *const *names, const char *s, size_t len) {
    for (; *names; names++)
        if (strlen(*names) == len && !memcmp(*names, s, len)) return true;
    return false;
}

/* Append the members of the extra_json object that are not modelled. */
static void jw_extra(jw *w, const char *extra, const char *const *modelled) {
    if (!extra || w->rc) return;
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    if (sl_json_parse(extra, strlen(extra), &a, &v, NULL) == SL_OK && v.type == SL_T_STRUCT) {
        for (uint32_t i = 0; i < v.len; i++) {
            const sl_field *f = &v.u.fields[i];
            if (in_list(modelled, f->name, f->name_len)) continue;
            jw_sep(w);
            if (!w->rc) w->rc = sl_json_write_string(w->b, f->name, f->name_len);
            jw_c(w, ':');
            if (!w->rc) w->rc = sl_json_write(w->b, &f->value);
        }
    }
    sl_arena_free(&a);
}

/* Finish a writer: on failure put out back the way it was. */
static int jw_finish(jw *w, size_t start) {
    if (w->rc) {
        w->b->len = start;
        if (w->b->data) w->b->data[start] = 0;
    }
    return w->rc;
}

/* ---- the members each shape models (everything else goes to extra) ---- */

static const char *const DATABASE_KEYS[] = {"Name", "Description", "LocationUri", "Parameters", "CreateTime", NULL};
static const char *const TABLE_KEYS[] = {"Name",           "DatabaseName",     "Description",
                                         "Owner",          "CreateTime",       "UpdateTime",
                                         "LastAccessTime", "LastAnalyzedTime", "StorageDescriptor",
                                         "PartitionKeys",  "TableType",        "Parameters",
                                         "CreatedBy",      "VersionId",        NULL};
static const char *const STORAGE_KEYS[] = {"Columns",
                                           "Location",
                                           "InputFormat",
                                           "OutputFormat",
                                           "Compressed",
                                           "NumberOfBuckets",
                                           "SerdeInfo",
                                           "BucketColumns",
                                           "SortColumns",
                                           "Parameters",
                                           "StoredAsSubDirectories",
                                           NULL};
static const char *const PARTITION_KEYS[] = {"Values",       "DatabaseName",     "TableName",
                                             "CreationTime", "LastAccessTime",   "StorageDescriptor",
                                             "Parameters",   "LastAnalyzedTime", NULL};
static const char *const CONNECTION_KEYS[] = {
    "Name", "Description", "ConnectionType", "ConnectionProperties", "CreationTime", "LastUpdatedTime", NULL};

#define DEPRECATED_PARAM "DEPRECATED"

/* ISO 8601 UTC with milliseconds; false when the time has no such form. */
static bool iso_time(int64_t ms, char out[64]) {
    int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) {
        rem += 1000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        snprintf(out, 64, "1970-01-01T00:00:00.000Z");
        return false;
    }
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)rem);
    return true;
}

static void write_storage(jw *w, const sl_catalog_storage *sd) {
    jw_open(w, '{');
    jw_kcolumns(w, "Columns", &sd->columns);
    jw_kstr(w, "Location", sd->location);
    jw_kstr(w, "InputFormat", sd->input_format);
    jw_kstr(w, "OutputFormat", sd->output_format);
    jw_kbool(w, "Compressed", sd->compressed);
    if (sd->number_of_buckets) jw_kint(w, "NumberOfBuckets", sd->number_of_buckets);
    jw_key(w, "SerdeInfo");
    jw_open(w, '{');
    jw_kstr(w, "Name", sd->serde.name);
    jw_kstr(w, "SerializationLibrary", sd->serde.serialization_library);
    jw_kparams(w, "Parameters", &sd->serde.parameters, true);
    jw_close(w, '}');
    jw_key(w, "BucketColumns");
    jw_open(w, '[');
    for (size_t i = 0; i < sd->n_bucket_columns; i++) {
        jw_sep(w);
        jw_string(w, sd->bucket_columns[i]);
    }
    jw_close(w, ']');
    jw_key(w, "SortColumns");
    jw_open(w, '[');
    for (size_t i = 0; i < sd->n_sort_columns; i++) {
        jw_sep(w);
        jw_open(w, '{');
        jw_kstr(w, "Column", sd->sort_columns[i].column);
        jw_kint(w, "SortOrder", sd->sort_columns[i].sort_order);
        jw_close(w, '}');
    }
    jw_close(w, ']');
    jw_kparams(w, "Parameters", &sd->parameters, true);
    jw_kbool(w, "StoredAsSubDirectories", sd->stored_as_sub_directories);
    jw_extra(w, sd->extra_json, STORAGE_KEYS);
    jw_close(w, '}');
}

int sl_catalog_storage_json(const sl_catalog_storage *sd, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    write_storage(&w, sd);
    return jw_finish(&w, start);
}

int sl_catalog_database_json(const sl_catalog_database *db, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    jw_open(&w, '{');
    jw_kstr(&w, "Name", db->name ? db->name : "");
    jw_kstr(&w, "Description", db->description);
    jw_kstr(&w, "LocationUri", db->location_uri);
    jw_kparams(&w, "Parameters", &db->parameters, true);
    jw_ktime(&w, "CreateTime", db->create_time);
    jw_extra(&w, db->extra_json, DATABASE_KEYS);
    jw_close(&w, '}');
    return jw_finish(&w, start);
}

static void write_table(jw *w, const sl_catalog_table *t) {
    jw_open(w, '{');
    jw_kstr(w, "Name", t->name ? t->name : "");
    jw_kstr(w, "DatabaseName", t->database);
    jw_kstr(w, "Description", t->description);
    jw_kstr(w, "Owner", t->owner);
    jw_ktime(w, "CreateTime", t->create_time);
    jw_ktime(w, "UpdateTime", t->update_time);
    jw_ktime(w, "LastAccessTime", t->last_access_time);
    jw_ktime(w, "LastAnalyzedTime", t->last_analyzed_time);
    jw_key(w, "StorageDescriptor");
    write_storage(w, &t->sd);
    jw_kcolumns(w, "PartitionKeys", &t->partition_keys);
    jw_kstr(w, "TableType", t->table_type);
    jw_key(w, "Parameters");
    jw_open(w, '{');
    for (size_t i = 0; i < t->parameters.count; i++)
        if (!t->deprecated || strcmp(t->parameters.items[i].key, DEPRECATED_PARAM))
            jw_kstr(w, t->parameters.items[i].key, t->parameters.items[i].value);
    if (t->deprecated) {
        char when[64];
        iso_time(t->deprecated_time, when);
        jw_kstr(w, DEPRECATED_PARAM, when);
    }
    jw_close(w, '}');
    jw_kstr(w, "CreatedBy", t->created_by);
    char version[32];
    snprintf(version, sizeof version, "%" PRId64, t->version_id);
    jw_kstr(w, "VersionId", version);
    jw_extra(w, t->extra_json, TABLE_KEYS);
    jw_close(w, '}');
}

int sl_catalog_table_json(const sl_catalog_table *t, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    write_table(&w, t);
    return jw_finish(&w, start);
}

int sl_catalog_table_version_json(const sl_catalog_table *t, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    jw_open(&w, '{');
    jw_key(&w, "Table");
    write_table(&w, t);
    char version[32];
    snprintf(version, sizeof version, "%" PRId64, t->version_id);
    jw_kstr(&w, "VersionId", version);
    jw_close(&w, '}');
    return jw_finish(&w, start);
}

int sl_catalog_partition_json(const sl_catalog_partition *p, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    jw_open(&w, '{');
    jw_key(&w, "Values");
    jw_open(&w, '[');
    for (size_t i = 0; i < p->n_values; i++) {
        jw_sep(&w);
        jw_string(&w, p->values[i]);
    }
    jw_close(&w, ']');
    jw_kstr(&w, "DatabaseName", p->database);
    jw_kstr(&w, "TableName", p->table);
    jw_ktime(&w, "CreationTime", p->create_time);
    jw_ktime(&w, "LastAccessTime", p->last_access_time);
    jw_key(&w, "StorageDescriptor");
    write_storage(&w, &p->sd);
    jw_kparams(&w, "Parameters", &p->parameters, true);
    jw_ktime(&w, "LastAnalyzedTime", p->last_analyzed_time);
    jw_extra(&w, p->extra_json, PARTITION_KEYS);
    jw_close(&w, '}');
    return jw_finish(&w, start);
}

int sl_catalog_connection_json(const sl_catalog_connection *c, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    jw_open(&w, '{');
    jw_kstr(&w, "Name", c->name ? c->name : "");
    jw_kstr(&w, "Description", c->description);
    jw_kstr(&w, "ConnectionType", c->type);
    jw_key(&w, "ConnectionProperties");
    jw_open(&w, '{');
    for (size_t i = 0; i < c->properties.count; i++)
        if (!c->credentials || strcmp(c->properties.items[i].key, "SECRET_ID"))
            jw_kstr(&w, c->properties.items[i].key, c->properties.items[i].value);
    jw_kstr(&w, "SECRET_ID", c->credentials);
    jw_close(&w, '}');
    jw_ktime(&w, "CreationTime", c->create_time);
    jw_ktime(&w, "LastUpdatedTime", c->update_time);
    jw_extra(&w, c->extra_json, CONNECTION_KEYS);
    jw_close(&w, '}');
    return jw_finish(&w, start);
}

int sl_catalog_crawl_json(const sl_catalog_crawl *c, sl_buf *out) {
    jw w = {.b = out};
    size_t start = out->len;
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, c->id);
    jw_open(&w, '{');
    jw_kstr(&w, "CrawlId", id);
    jw_kstr(&w, "CrawlerName", c->crawler);
    jw_kstr(&w, "State", c->status);
    jw_ktime(&w, "StartTime", c->start_time);
    jw_ktime(&w, "EndTime", c->end_time);

    /* Summary: a JSON text of counts, as Glue's ListCrawls gives it:
     * {"TABLE":{"ADD":{"Count":1}},"PARTITION":{"ADD":{"Count":3}}}. */
    sl_buf summary;
    sl_buf_init(&summary, SL_BUF_UNLIMITED);
    const struct {
        const char *group, *action;
        int64_t count;
    } counts[] = {
        {"TABLE", "ADD", c->tables_created},
        {"TABLE", "UPDATE", c->tables_updated},
        {"TABLE", "DEPRECATE", c->tables_deprecated},
        {"TABLE", "DELETE", c->tables_deleted},
        {"PARTITION", "ADD", c->partitions_added},
        {"PARTITION", "UPDATE", c->partitions_updated},
        {"PARTITION", "DELETE", c->partitions_removed},
    };
    jw sw = {.b = &summary};
    jw_open(&sw, '{');
    const char *open_group = NULL;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        if (!counts[i].count) continue;
        if (!open_group || strcmp(open_group, counts[i].group)) {
            if (open_group) jw_close(&sw, '}');
            jw_key(&sw, counts[i].group);
            jw_open(&sw, '{');
            open_group = counts[i].group;
        }
        jw_key(&sw, counts[i].action);
        jw_open(&sw, '{');
        jw_kint(&sw, "Count", counts[i].count);
        jw_close(&sw, '}');
    }
    if (open_group) jw_close(&sw, '}');
    jw_close(&sw, '}');
    if (!sw.rc) jw_kstr(&w, "Summary", summary.data);
    sl_buf_free(&summary);

    jw_kstr(&w, "ErrorMessage", c->message);
    jw_key(&w, "SchemaChanges");
    jw_s(&w, c->changes_json && *c->changes_json ? c->changes_json : "[]");
    jw_close(&w, '}');
    return jw_finish(&w, start);
}

/* ================================================================== */
/* Reader                                                              */
/* ================================================================== */

typedef struct jr {
    sl_error *err;
    sl_arena arena;
} jr;

static int bad(jr *r, const char *path, const char *member, const char *expected) {
    return sl_error_set(r->err, SL_EPARSE, "%s.%s: expected %s", path, member, expected);
}

static bool key_is(const sl_field *f, const char *name) {
    return f->name_len == strlen(name) && !memcmp(f->name, name, f->name_len);
}

static int rd_str(jr *r, const char *path, const sl_field *f, char **out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)f->name_len, f->name);
    if (f->value.type != SL_T_STRING) return bad(r, path, name, "a string");
    free(*out);
    *out = sl_xstrndup(f->value.u.s, f->value.len);
    return SL_OK;
}

/* Epoch seconds beyond this (about 285,000 years) are refused, so that
 * milliseconds stay exact in a double and nothing overflows. */
#define MAX_EPOCH_SECONDS 9007199254740.0

static int seconds_to_ms(double secs, int64_t *ms) {
    if (!(secs > -MAX_EPOCH_SECONDS && secs < MAX_EPOCH_SECONDS)) return SL_EPARSE; /* also NaN */
    *ms = (int64_t)llround(secs * 1000.0);
    return SL_OK;
}

static int value_time(const sl_value *v, int64_t *ms) {
    switch (v->type) {
    case SL_T_INT:
        if (v->u.i <= -(int64_t)MAX_EPOCH_SECONDS || v->u.i >= (int64_t)MAX_EPOCH_SECONDS) return SL_EPARSE;
        *ms = v->u.i * 1000;
        return SL_OK;
    case SL_T_DOUBLE: return seconds_to_ms(v->u.d, ms);
    case SL_T_DECIMAL: {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)v->len, v->u.s);
        return seconds_to_ms(strtod(tmp, NULL), ms);
    }
    case SL_T_STRING: {
        int64_t us;
        if (sl_parse_timestamp(v->u.s, v->len, &us)) return SL_EPARSE;
        *ms = us / 1000;
        return SL_OK;
    }
    default: return SL_EPARSE;
    }
}

static int rd_time(jr *r, const char *path, const sl_field *f, int64_t *out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)f->name_len, f->name);
    if (value_time(&f->value, out)) return bad(r, path, name, "a timestamp (epoch seconds or ISO 8601)");
    return SL_OK;
}

static int rd_bool(jr *r, const char *path, const sl_field *f, bool *out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)f->name_len, f->name);
    if (f->value.type != SL_T_BOOL) return bad(r, path, name, "true or false");
    *out = f->value.u.b;
    return SL_OK;
}

static int rd_int(jr *r, const char *path, const sl_field *f, int64_t *out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)f->name_len, f->name);
    if (f->value.type != SL_T_INT) return bad(r, path, name, "an integer");
    *out = f->value.u.i;
    return SL_OK;
}

static int rd_params(jr *r, const char *path, const sl_value *v, sl_catalog_params *out) {
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_STRUCT) return bad(r, path, "Parameters", "an object of strings");
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        if (f->value.type != SL_T_STRING) return bad(r, path, "Parameters", "an object of strings");
        char *key = sl_xstrndup(f->name, f->name_len);
        char *value = sl_xstrndup(f->value.u.s, f->value.len);
        sl_catalog_params_set(out, key, value);
        free(key);
        free(value);
    }
    return SL_OK;
}

/* Collect unknown members of an object into *extra as a JSON object. */
static void extra_add(sl_buf *extra, const sl_field *f) {
    sl_buf_addc(extra, extra->len ? ',' : '{');
    sl_json_write_string(extra, f->name, f->name_len);
    sl_buf_addc(extra, ':');
    sl_json_write(extra, &f->value);
}

static char *extra_finish(sl_buf *extra) {
    if (!extra->len) {
        sl_buf_free(extra);
        return NULL;
    }
    sl_buf_addc(extra, '}');
    return sl_buf_detach(extra);
}

/* A member given twice: the last one wins (the readers below start afresh). */

static int rd_columns(jr *r, const char *path, const sl_value *v, sl_catalog_columns *out) {
    sl_catalog_columns_free(out);
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_LIST) return bad(r, path, "Columns", "a list of columns");
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_value *c = &v->u.items[i];
        if (c->type != SL_T_STRUCT) return bad(r, path, "Columns", "a list of objects");
        sl_catalog_columns_add(out, "", NULL, NULL);
        sl_catalog_column *col = &out->items[out->count - 1];
        bool named = false;
        for (uint32_t k = 0; k < c->len; k++) {
            const sl_field *f = &c->u.fields[k];
            int rc = SL_OK;
            if (key_is(f, "Name")) {
                free(col->name);
                col->name = NULL;
                rc = rd_str(r, "Column", f, &col->name);
                named = col->name != NULL;
                if (!col->name) col->name = sl_xstrdup("");
            } else if (key_is(f, "Type"))
                rc = rd_str(r, "Column", f, &col->type);
            else if (key_is(f, "Comment"))
                rc = rd_str(r, "Column", f, &col->comment);
            else if (key_is(f, "Parameters"))
                rc = rd_params(r, "Column", &f->value, &col->parameters);
            if (rc) return rc;
        }
        if (!named) return sl_error_set(r->err, SL_EPARSE, "%s: column %u has no Name", path, i + 1);
    }
    return SL_OK;
}

static int rd_string_list(jr *r, const char *path, const char *member, const sl_value *v, char ***out, size_t *n) {
    for (size_t i = 0; i < *n; i++)
        free((*out)[i]);
    free(*out);
    *out = NULL;
    *n = 0;
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_LIST) return bad(r, path, member, "a list of strings");
    *out = v->len ? sl_xcalloc(v->len, sizeof **out) : NULL;
    for (uint32_t i = 0; i < v->len; i++) {
        if (v->u.items[i].type != SL_T_STRING) return bad(r, path, member, "a list of strings");
        (*out)[i] = sl_xstrndup(v->u.items[i].u.s, v->u.items[i].len);
        *n = i + 1;
    }
    return SL_OK;
}

static int rd_storage(jr *r, const sl_value *v, sl_catalog_storage *sd) {
    sl_catalog_storage_free(sd);
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_STRUCT) return bad(r, "Table", "StorageDescriptor", "an object");
    const char *path = "StorageDescriptor";
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    int rc = SL_OK;
    for (uint32_t i = 0; i < v->len && !rc; i++) {
        const sl_field *f = &v->u.fields[i];
        int64_t n = 0;
        if (key_is(f, "Columns"))
            rc = rd_columns(r, path, &f->value, &sd->columns);
        else if (key_is(f, "Location"))
            rc = rd_str(r, path, f, &sd->location);
        else if (key_is(f, "InputFormat"))
            rc = rd_str(r, path, f, &sd->input_format);
        else if (key_is(f, "OutputFormat"))
            rc = rd_str(r, path, f, &sd->output_format);
        else if (key_is(f, "Compressed"))
            rc = rd_bool(r, path, f, &sd->compressed);
        else if (key_is(f, "StoredAsSubDirectories"))
            rc = rd_bool(r, path, f, &sd->stored_as_sub_directories);
        else if (key_is(f, "NumberOfBuckets")) {
            rc = rd_int(r, path, f, &n);
            sd->number_of_buckets = (int)n;
        } else if (key_is(f, "Parameters"))
            rc = rd_params(r, path, &f->value, &sd->parameters);
        else if (key_is(f, "BucketColumns"))
            rc = rd_string_list(r, path, "BucketColumns", &f->value, &sd->bucket_columns, &sd->n_bucket_columns);
        else if (key_is(f, "SerdeInfo")) {
            if (f->value.type != SL_T_STRUCT) {
                rc = bad(r, path, "SerdeInfo", "an object");
                break;
            }
            for (uint32_t k = 0; k < f->value.len && !rc; k++) {
                const sl_field *s = &f->value.u.fields[k];
                if (key_is(s, "Name"))
                    rc = rd_str(r, "SerdeInfo", s, &sd->serde.name);
                else if (key_is(s, "SerializationLibrary"))
                    rc = rd_str(r, "SerdeInfo", s, &sd->serde.serialization_library);
                else if (key_is(s, "Parameters"))
                    rc = rd_params(r, "SerdeInfo", &s->value, &sd->serde.parameters);
            }
        } else if (key_is(f, "SortColumns")) {
            if (f->value.type != SL_T_LIST) {
                rc = bad(r, path, "SortColumns", "a list");
                break;
            }
            for (size_t k = 0; k < sd->n_sort_columns; k++)
                free(sd->sort_columns[k].column);
            free(sd->sort_columns);
            sd->n_sort_columns = 0;
            sd->sort_columns = f->value.len ? sl_xcalloc(f->value.len, sizeof *sd->sort_columns) : NULL;
            for (uint32_t k = 0; k < f->value.len && !rc; k++) {
                const sl_value *o = &f->value.u.items[k];
                if (o->type != SL_T_STRUCT) {
                    rc = bad(r, path, "SortColumns", "a list of objects");
                    break;
                }
                sl_catalog_order *ord = &sd->sort_columns[sd->n_sort_columns++];
                for (uint32_t m = 0; m < o->len && !rc; m++) {
                    if (key_is(&o->u.fields[m], "Column"))
                        rc = rd_str(r, "SortColumns", &o->u.fields[m], &ord->column);
                    else if (key_is(&o->u.fields[m], "SortOrder")) {
                        rc = rd_int(r, "SortColumns", &o->u.fields[m], &n);
                        ord->sort_order = (int)n;
                    }
                }
                if (!ord->column) ord->column = sl_xstrdup("");
            }
        } else
            extra_add(&extra, f);
    }
    sd->extra_json = extra_finish(&extra);
    return rc;
}

/* Parse json into an object value; SL_EPARSE unless it is an object. */
static int parse_object(jr *r, const char *json, size_t len, const char *shape, sl_value *out) {
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_json_parse(json, len, &r->arena, out, &perr))
        return sl_error_set(r->err, SL_EPARSE, "%s: %s", shape, perr.message);
    if (out->type != SL_T_STRUCT) return sl_error_set(r->err, SL_EPARSE, "%s: expected a JSON object", shape);
    return SL_OK;
}

int sl_catalog_database_from_json(const char *json, size_t len, sl_catalog_database *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    jr r = {.err = err};
    sl_arena_init(&r.arena);
    sl_value v;
    int rc = parse_object(&r, json, len, "Database", &v);
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    for (uint32_t i = 0; !rc && i < v.len; i++) {
        const sl_field *f = &v.u.fields[i];
        if (key_is(f, "Name"))
            rc = rd_str(&r, "Database", f, &out->name);
        else if (key_is(f, "Description"))
            rc = rd_str(&r, "Database", f, &out->description);
        else if (key_is(f, "LocationUri"))
            rc = rd_str(&r, "Database", f, &out->location_uri);
        else if (key_is(f, "Parameters"))
            rc = rd_params(&r, "Database", &f->value, &out->parameters);
        else if (key_is(f, "CreateTime"))
            rc = rd_time(&r, "Database", f, &out->create_time);
        else
            extra_add(&extra, f);
    }
    out->extra_json = extra_finish(&extra);
    sl_arena_free(&r.arena);
    if (rc) sl_catalog_database_free(out);
    return rc;
}

int sl_catalog_table_from_json(const char *json, size_t len, sl_catalog_table *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    jr r = {.err = err};
    sl_arena_init(&r.arena);
    sl_value v;
    int rc = parse_object(&r, json, len, "Table", &v);
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    const char *P = "Table";
    for (uint32_t i = 0; !rc && i < v.len; i++) {
        const sl_field *f = &v.u.fields[i];
        if (key_is(f, "Name"))
            rc = rd_str(&r, P, f, &out->name);
        else if (key_is(f, "DatabaseName"))
            rc = rd_str(&r, P, f, &out->database);
        else if (key_is(f, "Description"))
            rc = rd_str(&r, P, f, &out->description);
        else if (key_is(f, "Owner"))
            rc = rd_str(&r, P, f, &out->owner);
        else if (key_is(f, "CreateTime"))
            rc = rd_time(&r, P, f, &out->create_time);
        else if (key_is(f, "UpdateTime"))
            rc = rd_time(&r, P, f, &out->update_time);
        else if (key_is(f, "LastAccessTime"))
            rc = rd_time(&r, P, f, &out->last_access_time);
        else if (key_is(f, "LastAnalyzedTime"))
            rc = rd_time(&r, P, f, &out->last_analyzed_time);
        else if (key_is(f, "StorageDescriptor"))
            rc = rd_storage(&r, &f->value, &out->sd);
        else if (key_is(f, "PartitionKeys"))
            rc = rd_columns(&r, "Table.PartitionKeys", &f->value, &out->partition_keys);
        else if (key_is(f, "TableType"))
            rc = rd_str(&r, P, f, &out->table_type);
        else if (key_is(f, "Parameters"))
            rc = rd_params(&r, P, &f->value, &out->parameters);
        else if (key_is(f, "CreatedBy"))
            rc = rd_str(&r, P, f, &out->created_by);
        else if (key_is(f, "VersionId")) {
            char *s = NULL;
            rc = rd_str(&r, P, f, &s);
            if (!rc && s) {
                char *end;
                out->version_id = strtoll(s, &end, 10);
                if (*end || !*s) rc = bad(&r, P, "VersionId", "a string holding an integer");
            }
            free(s);
        } else
            extra_add(&extra, f);
    }
    out->extra_json = extra_finish(&extra);
    /* Parameters["DEPRECATED"] holding a time is the deprecated flag; only
     * times that write back the same way qualify, so a round trip is exact. */
    const char *dep = sl_catalog_params_get(&out->parameters, DEPRECATED_PARAM);
    int64_t us, again;
    char when[64];
    if (!rc && dep && !sl_parse_timestamp(dep, strlen(dep), &us) && iso_time(us / 1000, when) &&
        !sl_parse_timestamp(when, strlen(when), &again) && again / 1000 == us / 1000) {
        out->deprecated = true;
        out->deprecated_time = us / 1000;
        sl_catalog_params_unset(&out->parameters, DEPRECATED_PARAM);
    }
    sl_arena_free(&r.arena);
    if (rc) sl_catalog_table_free(out);
    return rc;
}

int sl_catalog_partition_from_json(const char *json, size_t len, sl_catalog_partition *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    jr r = {.err = err};
    sl_arena_init(&r.arena);
    sl_value v;
    int rc = parse_object(&r, json, len, "Partition", &v);
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    const char *P = "Partition";
    for (uint32_t i = 0; !rc && i < v.len; i++) {
        const sl_field *f = &v.u.fields[i];
        if (key_is(f, "Values"))
            rc = rd_string_list(&r, P, "Values", &f->value, &out->values, &out->n_values);
        else if (key_is(f, "DatabaseName"))
            rc = rd_str(&r, P, f, &out->database);
        else if (key_is(f, "TableName"))
            rc = rd_str(&r, P, f, &out->table);
        else if (key_is(f, "CreationTime"))
            rc = rd_time(&r, P, f, &out->create_time);
        else if (key_is(f, "LastAccessTime"))
            rc = rd_time(&r, P, f, &out->last_access_time);
        else if (key_is(f, "LastAnalyzedTime"))
            rc = rd_time(&r, P, f, &out->last_analyzed_time);
        else if (key_is(f, "StorageDescriptor"))
            rc = rd_storage(&r, &f->value, &out->sd);
        else if (key_is(f, "Parameters"))
            rc = rd_params(&r, P, &f->value, &out->parameters);
        else
            extra_add(&extra, f);
    }
    out->extra_json = extra_finish(&extra);
    sl_arena_free(&r.arena);
    if (rc) sl_catalog_partition_free(out);
    return rc;
}

int sl_catalog_connection_from_json(const char *json, size_t len, sl_catalog_connection *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    jr r = {.err = err};
    sl_arena_init(&r.arena);
    sl_value v;
    int rc = parse_object(&r, json, len, "Connection", &v);
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    const char *P = "Connection";
    for (uint32_t i = 0; !rc && i < v.len; i++) {
        const sl_field *f = &v.u.fields[i];
        if (key_is(f, "Name"))
            rc = rd_str(&r, P, f, &out->name);
        else if (key_is(f, "Description"))
            rc = rd_str(&r, P, f, &out->description);
        else if (key_is(f, "ConnectionType"))
            rc = rd_str(&r, P, f, &out->type);
        else if (key_is(f, "ConnectionProperties"))
            rc = rd_params(&r, P, &f->value, &out->properties);
        else if (key_is(f, "CreationTime"))
            rc = rd_time(&r, P, f, &out->create_time);
        else if (key_is(f, "LastUpdatedTime"))
            rc = rd_time(&r, P, f, &out->update_time);
        else
            extra_add(&extra, f);
    }
    out->extra_json = extra_finish(&extra);
    const char *secret_id = sl_catalog_params_get(&out->properties, "SECRET_ID");
    if (!rc && secret_id) {
        out->credentials = sl_xstrdup(secret_id);
        sl_catalog_params_unset(&out->properties, "SECRET_ID");
    }
    sl_arena_free(&r.arena);
    if (rc) sl_catalog_connection_free(out);
    return rc;
}

int sl_catalog_check_extra(const char *extra, const char *what, sl_error *err) {
    if (!extra) return SL_OK;
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    sl_error perr;
    sl_error_clear(&perr);
    int rc = sl_json_parse(extra, strlen(extra), &a, &v, &perr);
    sl_arena_free(&a);
    if (rc) return sl_error_set(err, SL_EINVAL, "%s: extra members are not valid JSON: %s", what, perr.message);
    if (v.type != SL_T_STRUCT) return sl_error_set(err, SL_EINVAL, "%s: extra members must be a JSON object", what);
    return SL_OK;
}
