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
#include <stddef.h>
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
/* The members each shape models (everything else goes to extra)      */
/* ================================================================== */

/* How the reader reads a modelled member. The writers below write each
 * shape's members by hand, in the order of its table. */
typedef enum member_kind {
    M_STRING,       /* char * */
    M_TIME,         /* int64_t epoch ms, from epoch seconds or ISO 8601 */
    M_BOOL,         /* bool */
    M_INT,          /* int; null reads as 0 */
    M_VERSION,      /* int64_t, from a string holding an integer */
    M_PARAMS,       /* sl_catalog_params */
    M_COLUMNS,      /* sl_catalog_columns */
    M_STRINGS,      /* char ** with its size_t count at count_offset */
    M_STORAGE,      /* sl_catalog_storage */
    M_OBJECT,       /* a nested struct of `members` (its other members are ignored) */
    M_SORT_COLUMNS, /* the sort columns of the sl_catalog_storage being read */
} member_kind;

/* One member: its JSON name, how it is read, where it goes in its struct. */
typedef struct shape_member {
    const char *name;
    member_kind kind;
    size_t offset;                      /* of the value in its struct */
    size_t count_offset;                /* M_STRINGS */
    const char *path;                   /* M_COLUMNS, M_OBJECT: where messages say it is (NULL = the parent) */
    const struct shape_member *members; /* M_OBJECT */
} shape_member;

#define MEMBER(name, kind, type, field)                                                                                \
    { name, kind, offsetof(type, field), 0, NULL, NULL }

static const shape_member COLUMN_MEMBERS[] = {
    MEMBER("Name", M_STRING, sl_catalog_column, name),
    MEMBER("Type", M_STRING, sl_catalog_column, type),
    MEMBER("Comment", M_STRING, sl_catalog_column, comment),
    MEMBER("Parameters", M_PARAMS, sl_catalog_column, parameters),
    {0},
};
static const shape_member SERDE_MEMBERS[] = {
    MEMBER("Name", M_STRING, sl_catalog_serde, name),
    MEMBER("SerializationLibrary", M_STRING, sl_catalog_serde, serialization_library),
    MEMBER("Parameters", M_PARAMS, sl_catalog_serde, parameters),
    {0},
};
static const shape_member ORDER_MEMBERS[] = {
    MEMBER("Column", M_STRING, sl_catalog_order, column),
    MEMBER("SortOrder", M_INT, sl_catalog_order, sort_order),
    {0},
};
static const shape_member STORAGE_MEMBERS[] = {
    MEMBER("Columns", M_COLUMNS, sl_catalog_storage, columns),
    MEMBER("Location", M_STRING, sl_catalog_storage, location),
    MEMBER("InputFormat", M_STRING, sl_catalog_storage, input_format),
    MEMBER("OutputFormat", M_STRING, sl_catalog_storage, output_format),
    MEMBER("Compressed", M_BOOL, sl_catalog_storage, compressed),
    MEMBER("NumberOfBuckets", M_INT, sl_catalog_storage, number_of_buckets),
    {"SerdeInfo", M_OBJECT, offsetof(sl_catalog_storage, serde), 0, "SerdeInfo", SERDE_MEMBERS},
    {"BucketColumns", M_STRINGS, offsetof(sl_catalog_storage, bucket_columns),
     offsetof(sl_catalog_storage, n_bucket_columns), NULL, NULL},
    {"SortColumns", M_SORT_COLUMNS, 0, 0, NULL, NULL},
    MEMBER("Parameters", M_PARAMS, sl_catalog_storage, parameters),
    MEMBER("StoredAsSubDirectories", M_BOOL, sl_catalog_storage, stored_as_sub_directories),
    {0},
};
static const shape_member DATABASE_MEMBERS[] = {
    MEMBER("Name", M_STRING, sl_catalog_database, name),
    MEMBER("Description", M_STRING, sl_catalog_database, description),
    MEMBER("LocationUri", M_STRING, sl_catalog_database, location_uri),
    MEMBER("Parameters", M_PARAMS, sl_catalog_database, parameters),
    MEMBER("CreateTime", M_TIME, sl_catalog_database, create_time),
    {0},
};
static const shape_member TABLE_MEMBERS[] = {
    MEMBER("Name", M_STRING, sl_catalog_table, name),
    MEMBER("DatabaseName", M_STRING, sl_catalog_table, database),
    MEMBER("Description", M_STRING, sl_catalog_table, description),
    MEMBER("Owner", M_STRING, sl_catalog_table, owner),
    MEMBER("CreateTime", M_TIME, sl_catalog_table, create_time),
    MEMBER("UpdateTime", M_TIME, sl_catalog_table, update_time),
    MEMBER("LastAccessTime", M_TIME, sl_catalog_table, last_access_time),
    MEMBER("LastAnalyzedTime", M_TIME, sl_catalog_table, last_analyzed_time),
    MEMBER("StorageDescriptor", M_STORAGE, sl_catalog_table, sd),
    {"PartitionKeys", M_COLUMNS, offsetof(sl_catalog_table, partition_keys), 0, "Table.PartitionKeys", NULL},
    MEMBER("TableType", M_STRING, sl_catalog_table, table_type),
    MEMBER("Parameters", M_PARAMS, sl_catalog_table, parameters),
    MEMBER("CreatedBy", M_STRING, sl_catalog_table, created_by),
    MEMBER("VersionId", M_VERSION, sl_catalog_table, version_id),
    {0},
};
static const shape_member PARTITION_MEMBERS[] = {
    {"Values", M_STRINGS, offsetof(sl_catalog_partition, values), offsetof(sl_catalog_partition, n_values), NULL, NULL},
    MEMBER("DatabaseName", M_STRING, sl_catalog_partition, database),
    MEMBER("TableName", M_STRING, sl_catalog_partition, table),
    MEMBER("CreationTime", M_TIME, sl_catalog_partition, create_time),
    MEMBER("LastAccessTime", M_TIME, sl_catalog_partition, last_access_time),
    MEMBER("StorageDescriptor", M_STORAGE, sl_catalog_partition, sd),
    MEMBER("Parameters", M_PARAMS, sl_catalog_partition, parameters),
    MEMBER("LastAnalyzedTime", M_TIME, sl_catalog_partition, last_analyzed_time),
    {0},
};
static const shape_member CONNECTION_MEMBERS[] = {
    MEMBER("Name", M_STRING, sl_catalog_connection, name),
    MEMBER("Description", M_STRING, sl_catalog_connection, description),
    MEMBER("ConnectionType", M_STRING, sl_catalog_connection, type),
    MEMBER("ConnectionProperties", M_PARAMS, sl_catalog_connection, properties),
    MEMBER("CreationTime", M_TIME, sl_catalog_connection, create_time),
    MEMBER("LastUpdatedTime", M_TIME, sl_catalog_connection, update_time),
    {0},
};

static bool key_is(const sl_field *f, const char *name) {
    return f->name_len == strlen(name) && !memcmp(f->name, name, f->name_len);
}

/* The member of `members` that f is, or NULL. */
static const shape_member *find_member(const shape_member *members, const sl_field *f) {
    for (; members->name; members++)
        if (key_is(f, members->name)) return members;
    return NULL;
}

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

static void jw_kstrings(jw *w, const char *key, char *const *strings, size_t n) {
    jw_key(w, key);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) {
        jw_sep(w);
        jw_string(w, strings[i]);
    }
    jw_close(w, ']');
}

/* key: the parameters p, where member `name` is replaced by value when
 * value is not NULL (only NULL values are left out). */
static void jw_kparams_with(jw *w, const char *key, const sl_catalog_params *p, const char *name, const char *value) {
    jw_key(w, key);
    jw_open(w, '{');
    for (size_t i = 0; i < p->count; i++)
        if (!value || strcmp(p->items[i].key, name)) jw_kstr(w, p->items[i].key, p->items[i].value);
    jw_kstr(w, name, value);
    jw_close(w, '}');
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

/* Append the members of the extra_json object that are not modelled. */
static void jw_extra(jw *w, const char *extra, const shape_member *modelled) {
    if (!extra || w->rc) return;
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    if (sl_json_parse(extra, strlen(extra), &a, &v, NULL) == SL_OK && v.type == SL_T_STRUCT) {
        for (uint32_t i = 0; i < v.len; i++) {
            const sl_field *f = &v.u.fields[i];
            if (find_member(modelled, f)) continue;
            jw_sep(w);
            if (!w->rc) w->rc = sl_json_write_string(w->b, f->name, f->name_len);
            jw_c(w, ':');
            if (!w->rc) w->rc = sl_json_write(w->b, &f->value);
        }
    }
    sl_arena_free(&a);
}

/* Writes one shape (obj is its struct). */
typedef void shape_writer(jw *w, const void *obj);

/* Append obj written by `write` to out; on failure out is left the way it was. */
static int write_json(sl_buf *out, shape_writer *write, const void *obj) {
    jw w = {.b = out};
    size_t start = out->len;
    write(&w, obj);
    if (w.rc) {
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return w.rc;
}

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

static void write_storage(jw *w, const void *obj) {
    const sl_catalog_storage *sd = obj;
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
    jw_kstrings(w, "BucketColumns", sd->bucket_columns, sd->n_bucket_columns);
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
    jw_extra(w, sd->extra_json, STORAGE_MEMBERS);
    jw_close(w, '}');
}

int sl_catalog_storage_json(const sl_catalog_storage *sd, sl_buf *out) { return write_json(out, write_storage, sd); }

static void write_database(jw *w, const void *obj) {
    const sl_catalog_database *db = obj;
    jw_open(w, '{');
    jw_kstr(w, "Name", db->name ? db->name : "");
    jw_kstr(w, "Description", db->description);
    jw_kstr(w, "LocationUri", db->location_uri);
    jw_kparams(w, "Parameters", &db->parameters, true);
    jw_ktime(w, "CreateTime", db->create_time);
    jw_extra(w, db->extra_json, DATABASE_MEMBERS);
    jw_close(w, '}');
}

int sl_catalog_database_json(const sl_catalog_database *db, sl_buf *out) { return write_json(out, write_database, db); }

static void write_table(jw *w, const void *obj) {
    const sl_catalog_table *t = obj;
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
    char when[64];
    if (t->deprecated) iso_time(t->deprecated_time, when);
    jw_kparams_with(w, "Parameters", &t->parameters, DEPRECATED_PARAM, t->deprecated ? when : NULL);
    jw_kstr(w, "CreatedBy", t->created_by);
    char version[32];
    snprintf(version, sizeof version, "%" PRId64, t->version_id);
    jw_kstr(w, "VersionId", version);
    jw_extra(w, t->extra_json, TABLE_MEMBERS);
    jw_close(w, '}');
}

int sl_catalog_table_json(const sl_catalog_table *t, sl_buf *out) { return write_json(out, write_table, t); }

static void write_table_version(jw *w, const void *obj) {
    const sl_catalog_table *t = obj;
    jw_open(w, '{');
    jw_key(w, "Table");
    write_table(w, t);
    char version[32];
    snprintf(version, sizeof version, "%" PRId64, t->version_id);
    jw_kstr(w, "VersionId", version);
    jw_close(w, '}');
}

int sl_catalog_table_version_json(const sl_catalog_table *t, sl_buf *out) {
    return write_json(out, write_table_version, t);
}

static void write_partition(jw *w, const void *obj) {
    const sl_catalog_partition *p = obj;
    jw_open(w, '{');
    jw_kstrings(w, "Values", p->values, p->n_values);
    jw_kstr(w, "DatabaseName", p->database);
    jw_kstr(w, "TableName", p->table);
    jw_ktime(w, "CreationTime", p->create_time);
    jw_ktime(w, "LastAccessTime", p->last_access_time);
    jw_key(w, "StorageDescriptor");
    write_storage(w, &p->sd);
    jw_kparams(w, "Parameters", &p->parameters, true);
    jw_ktime(w, "LastAnalyzedTime", p->last_analyzed_time);
    jw_extra(w, p->extra_json, PARTITION_MEMBERS);
    jw_close(w, '}');
}

int sl_catalog_partition_json(const sl_catalog_partition *p, sl_buf *out) {
    return write_json(out, write_partition, p);
}

static void write_connection(jw *w, const void *obj) {
    const sl_catalog_connection *c = obj;
    jw_open(w, '{');
    jw_kstr(w, "Name", c->name ? c->name : "");
    jw_kstr(w, "Description", c->description);
    jw_kstr(w, "ConnectionType", c->type);
    jw_kparams_with(w, "ConnectionProperties", &c->properties, "SECRET_ID", c->credentials);
    jw_ktime(w, "CreationTime", c->create_time);
    jw_ktime(w, "LastUpdatedTime", c->update_time);
    jw_extra(w, c->extra_json, CONNECTION_MEMBERS);
    jw_close(w, '}');
}

int sl_catalog_connection_json(const sl_catalog_connection *c, sl_buf *out) {
    return write_json(out, write_connection, c);
}

static void write_crawl(jw *w, const void *obj) {
    const sl_catalog_crawl *c = obj;
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, c->id);
    jw_open(w, '{');
    jw_kstr(w, "CrawlId", id);
    jw_kstr(w, "CrawlerName", c->crawler);
    jw_kstr(w, "State", c->status);
    jw_ktime(w, "StartTime", c->start_time);
    jw_ktime(w, "EndTime", c->end_time);

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
    if (!sw.rc) jw_kstr(w, "Summary", summary.data);
    sl_buf_free(&summary);

    jw_kstr(w, "ErrorMessage", c->message);
    jw_key(w, "SchemaChanges");
    jw_s(w, c->changes_json && *c->changes_json ? c->changes_json : "[]");
    jw_close(w, '}');
}

int sl_catalog_crawl_json(const sl_catalog_crawl *c, sl_buf *out) { return write_json(out, write_crawl, c); }

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

/* bad() naming the member f. */
static int bad_field(jr *r, const char *path, const sl_field *f, const char *expected) {
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)f->name_len, f->name);
    return bad(r, path, name, expected);
}

/* The scalar readers leave *out as it was when the member is null. */

static int rd_str(jr *r, const char *path, const sl_field *f, char **out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    if (f->value.type != SL_T_STRING) return bad_field(r, path, f, "a string");
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
    if (value_time(&f->value, out)) return bad_field(r, path, f, "a timestamp (epoch seconds or ISO 8601)");
    return SL_OK;
}

static int rd_bool(jr *r, const char *path, const sl_field *f, bool *out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    if (f->value.type != SL_T_BOOL) return bad_field(r, path, f, "true or false");
    *out = f->value.u.b;
    return SL_OK;
}

static int rd_int(jr *r, const char *path, const sl_field *f, int64_t *out) {
    if (f->value.type == SL_T_NULL) return SL_OK;
    if (f->value.type != SL_T_INT) return bad_field(r, path, f, "an integer");
    *out = f->value.u.i;
    return SL_OK;
}

/* A string holding an integer (Table.VersionId). */
static int rd_version(jr *r, const char *path, const sl_field *f, int64_t *out) {
    char *s = NULL;
    int rc = rd_str(r, path, f, &s);
    if (!rc && s) {
        char *end;
        *out = strtoll(s, &end, 10);
        if (*end || !*s) rc = bad_field(r, path, f, "a string holding an integer");
    }
    free(s);
    return rc;
}

static int rd_params(jr *r, const char *path, const char *member, const sl_value *v, sl_catalog_params *out) {
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_STRUCT) return bad(r, path, member, "an object of strings");
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        if (f->value.type != SL_T_STRING) return bad(r, path, member, "an object of strings");
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

static int rd_members(jr *r, const char *path, const sl_value *v, const shape_member *members, void *base,
                      sl_buf *extra);

/* A member given twice: the last one wins (the list readers below start afresh). */

static int rd_columns(jr *r, const char *path, const sl_value *v, sl_catalog_columns *out) {
    sl_catalog_columns_free(out);
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_LIST) return bad(r, path, "Columns", "a list of columns");
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_value *c = &v->u.items[i];
        if (c->type != SL_T_STRUCT) return bad(r, path, "Columns", "a list of objects");
        sl_catalog_columns_add(out, "", NULL, NULL);
        sl_catalog_column *col = &out->items[out->count - 1];
        free(col->name);
        col->name = NULL;
        int rc = rd_members(r, "Column", c, COLUMN_MEMBERS, col, NULL);
        bool named = col->name != NULL;
        if (!named) col->name = sl_xstrdup("");
        if (rc) return rc;
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

static int rd_sort_columns(jr *r, const char *path, const sl_value *v, sl_catalog_storage *sd) {
    if (v->type != SL_T_LIST) return bad(r, path, "SortColumns", "a list");
    for (size_t k = 0; k < sd->n_sort_columns; k++)
        free(sd->sort_columns[k].column);
    free(sd->sort_columns);
    sd->n_sort_columns = 0;
    sd->sort_columns = v->len ? sl_xcalloc(v->len, sizeof *sd->sort_columns) : NULL;
    int rc = SL_OK;
    for (uint32_t k = 0; k < v->len && !rc; k++) {
        const sl_value *o = &v->u.items[k];
        if (o->type != SL_T_STRUCT) return bad(r, path, "SortColumns", "a list of objects");
        sl_catalog_order *ord = &sd->sort_columns[sd->n_sort_columns++];
        rc = rd_members(r, "SortColumns", o, ORDER_MEMBERS, ord, NULL);
        if (!ord->column) ord->column = sl_xstrdup("");
    }
    return rc;
}

static int rd_storage(jr *r, const sl_value *v, sl_catalog_storage *sd) {
    sl_catalog_storage_free(sd);
    if (v->type == SL_T_NULL) return SL_OK;
    if (v->type != SL_T_STRUCT) return bad(r, "Table", "StorageDescriptor", "an object");
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    int rc = rd_members(r, "StorageDescriptor", v, STORAGE_MEMBERS, sd, &extra);
    sd->extra_json = extra_finish(&extra);
    return rc;
}

/* Read member f (described by m) of the struct at base; `path` names the
 * struct in messages. */
static int rd_member(jr *r, const char *path, const sl_field *f, const shape_member *m, char *base) {
    void *p = base + m->offset;
    switch (m->kind) {
    case M_STRING: return rd_str(r, path, f, p);
    case M_TIME: return rd_time(r, path, f, p);
    case M_BOOL: return rd_bool(r, path, f, p);
    case M_INT: {
        int64_t n = 0;
        int rc = rd_int(r, path, f, &n);
        *(int *)p = (int)n;
        return rc;
    }
    case M_VERSION: return rd_version(r, path, f, p);
    case M_PARAMS: return rd_params(r, path, m->name, &f->value, p);
    case M_COLUMNS: return rd_columns(r, m->path ? m->path : path, &f->value, p);
    case M_STRINGS: return rd_string_list(r, path, m->name, &f->value, p, (size_t *)(base + m->count_offset));
    case M_STORAGE: return rd_storage(r, &f->value, p);
    case M_OBJECT:
        if (f->value.type != SL_T_STRUCT) return bad(r, path, m->name, "an object");
        return rd_members(r, m->path, &f->value, m->members, p, NULL);
    case M_SORT_COLUMNS: return rd_sort_columns(r, path, &f->value, (sl_catalog_storage *)base);
    }
    return SL_OK;
}

/* Read the members of object v that `members` models into the struct at
 * base, the others into *extra (ignored when extra is NULL). Stops at the
 * first error. */
static int rd_members(jr *r, const char *path, const sl_value *v, const shape_member *members, void *base,
                      sl_buf *extra) {
    int rc = SL_OK;
    for (uint32_t i = 0; !rc && i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        const shape_member *m = find_member(members, f);
        if (m)
            rc = rd_member(r, path, f, m, base);
        else if (extra)
            extra_add(extra, f);
    }
    return rc;
}

/* Read a document of `shape` (Database, Table, …): json must be an object;
 * its members go into the struct at base, the ones not modelled into
 * *extra_json. The caller frees the struct on error. */
static int rd_document(const char *json, size_t len, const char *shape, const shape_member *members, void *base,
                       char **extra_json, sl_error *err) {
    jr r = {.err = err};
    sl_arena_init(&r.arena);
    sl_value v;
    sl_error perr;
    sl_error_clear(&perr);
    int rc = SL_OK;
    if (sl_json_parse(json, len, &r.arena, &v, &perr))
        rc = sl_error_set(err, SL_EPARSE, "%s: %s", shape, perr.message);
    else if (v.type != SL_T_STRUCT)
        rc = sl_error_set(err, SL_EPARSE, "%s: expected a JSON object", shape);
    sl_buf extra;
    sl_buf_init(&extra, SL_BUF_UNLIMITED);
    if (!rc) rc = rd_members(&r, shape, &v, members, base, &extra);
    *extra_json = extra_finish(&extra);
    sl_arena_free(&r.arena);
    return rc;
}

int sl_catalog_database_from_json(const char *json, size_t len, sl_catalog_database *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    int rc = rd_document(json, len, "Database", DATABASE_MEMBERS, out, &out->extra_json, err);
    if (rc) sl_catalog_database_free(out);
    return rc;
}

int sl_catalog_table_from_json(const char *json, size_t len, sl_catalog_table *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    int rc = rd_document(json, len, "Table", TABLE_MEMBERS, out, &out->extra_json, err);
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
    if (rc) sl_catalog_table_free(out);
    return rc;
}

int sl_catalog_partition_from_json(const char *json, size_t len, sl_catalog_partition *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    int rc = rd_document(json, len, "Partition", PARTITION_MEMBERS, out, &out->extra_json, err);
    if (rc) sl_catalog_partition_free(out);
    return rc;
}

int sl_catalog_connection_from_json(const char *json, size_t len, sl_catalog_connection *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    int rc = rd_document(json, len, "Connection", CONNECTION_MEMBERS, out, &out->extra_json, err);
    const char *secret_id = sl_catalog_params_get(&out->properties, "SECRET_ID");
    if (!rc && secret_id) {
        out->credentials = sl_xstrdup(secret_id);
        sl_catalog_params_unset(&out->properties, "SECRET_ID");
    }
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
