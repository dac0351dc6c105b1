/*
 * catalog_update.c — file targets updating the catalog after they commit
 * (see catalog_update.h). Columns are the merged types of every record
 * written (gluetype.h observation: integers bigint, as Glue's sinks write
 * them); an existing table keeps its columns in their order, gains new ones
 * at the end and has types widened by the crawler's merge rules.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/infer_tables.h"
#include "connectors/catalog_update.h"
#include "core/buf.h"
#include "core/mem.h"

struct sl_catalog_sink {
    char *database, *table, *catalog;
    bool log_only;
    pthread_mutex_t lock;
    sl_gtype *type;
    char **paths;
    size_t n_paths, cap_paths;
};

/* The last non-empty segment of a path or URL. */
static void last_segment(const char *path, sl_buf *out) {
    size_t len = strlen(path);
    while (len && path[len - 1] == '/')
        len--;
    size_t start = len;
    while (start && path[start - 1] != '/')
        start--;
    sl_glue_name(path + start, len - start, SL_GLUE_TABLE_NAME_MAX, out);
}

int sl_catalog_sink_new(sl_node *node, sl_catalog_sink **out, sl_error *err) {
    *out = NULL;
    const char *db = sl_node_str(node, "catalog_database");
    if (!db || !db[0]) return SL_OK;
    sl_catalog_sink *s = sl_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->database = sl_xstrdup(db);
    const char *t = sl_node_str(node, "catalog_table");
    if (t && t[0]) {
        s->table = sl_xstrdup(t);
    } else {
        sl_buf b;
        sl_buf_init(&b, 0);
        last_segment(sl_node_str(node, "path"), &b);
        s->table = sl_xstrdup(b.len ? b.data : "table");
        sl_buf_free(&b);
    }
    const char *c = sl_node_str(node, "catalog");
    s->catalog = sl_xstrdup(c && c[0] ? c : sl_catalog_default_path());
    s->log_only = !strcmp(sl_node_str(node, "catalog_update_behavior"), "LOG");
    *out = s;
    (void)err;
    return SL_OK;
}

void sl_catalog_sink_free(sl_catalog_sink *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_paths; i++)
        free(s->paths[i]);
    free(s->paths);
    sl_gtype_free(s->type);
    pthread_mutex_destroy(&s->lock);
    free(s->database);
    free(s->table);
    free(s->catalog);
    free(s);
}

void sl_catalog_sink_observe(sl_gtype **t, const sl_value *rec) { sl_gtype_observe(t, rec, 0); }

void sl_catalog_sink_merge(sl_catalog_sink *s, sl_gtype *t, const char *const *paths, size_t n) {
    pthread_mutex_lock(&s->lock);
    if (t) sl_gtype_merge_into(&s->type, t);
    for (size_t i = 0; i < n; i++) {
        if (!paths[i] || !paths[i][0]) continue;
        if (s->n_paths == s->cap_paths) {
            s->cap_paths = s->cap_paths ? s->cap_paths * 2 : 16;
            s->paths = sl_xrealloc(s->paths, s->cap_paths * sizeof *s->paths);
        }
        s->paths[s->n_paths++] = sl_xstrdup(paths[i]);
    }
    pthread_mutex_unlock(&s->lock);
    sl_gtype_free(t);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Columns of the written data merged into cols (names kept, types widened,
 * new columns appended). Returns whether anything changed. */
static bool merge_columns(sl_catalog_columns *cols, const sl_gtype *written, const char *const *pkeys, size_t n_pkeys) {
    bool changed = false;
    if (!written || written->kind != SL_G_STRUCT) return false;
    for (size_t i = 0; i < written->n_fields; i++) {
        const sl_gfield *f = &written->fields[i];
        bool is_key = false;
        for (size_t k = 0; k < n_pkeys; k++)
            is_key |= !strcmp(pkeys[k], f->name);
        if (is_key) continue;
        long at = sl_catalog_columns_find(cols, f->name);
        if (at < 0) {
            char *ty = sl_gtype_string(f->type);
            sl_catalog_columns_add(cols, f->name, ty, NULL);
            free(ty);
            changed = true;
            continue;
        }
        sl_catalog_column *c = &cols->items[at];
        sl_gtype *old = NULL;
        sl_error e;
        sl_error_clear(&e);
        if (!c->type || sl_gtype_parse(c->type, strlen(c->type), &old, &e)) continue; /* keep what we cannot read */
        sl_gtype_merge_into(&old, f->type);
        char *ty = sl_gtype_string(old);
        if (strcmp(ty, c->type)) {
            free(c->type);
            c->type = ty;
            changed = true;
        } else {
            free(ty);
        }
        sl_gtype_free(old);
    }
    return changed;
}

/* base/rel/ — a relative local base made absolute, so the catalog entry
 * works from any directory. */
static char *join_location(const char *base, const char *rel) {
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    sl_buf b;
    sl_buf_init(&b, 0);
    if (base[0] != '/' && !strstr(base, "://")) {
        char cwd[4096];
        if (getcwd(cwd, sizeof cwd)) {
            sl_buf_adds(&b, cwd);
            sl_buf_adds(&b, "/");
        }
        if (bl >= 2 && base[0] == '.' && base[1] == '/') base += 2, bl -= 2;
    }
    sl_buf_add(&b, base, bl);
    sl_buf_adds(&b, "/");
    if (rel && rel[0]) {
        sl_buf_adds(&b, rel);
        sl_buf_adds(&b, "/");
    }
    char *s = sl_xstrdup(b.data);
    sl_buf_free(&b);
    return s;
}

static void set_format(sl_catalog_storage *sd, const char *format, const char *compression, char delimiter) {
    char delim[2] = {delimiter ? delimiter : ',', 0};
    sl_catalog_storage_set_format(sd, format, delim, false);
    sd->compressed = compression && strcmp(compression, "none");
}

int sl_catalog_sink_commit(sl_catalog_sink *s, const char *location, const char *format, const char *compression,
                           char delimiter, bool header, const char *const *pkeys, size_t n_pkeys, sl_error *err) {
    if (!s) return SL_OK;
    sl_catalog *cat = NULL;
    int rc = sl_catalog_open(s->catalog, 0, &cat, err);
    if (rc) return rc;
    sl_catalog_table t = {0};
    sl_catalog_partition *parts = NULL;
    size_t n_parts = 0;
    rc = sl_catalog_begin(cat, err);
    if (!rc) {
        sl_catalog_database db = {0};
        db.name = s->database;
        rc = sl_catalog_create_database(cat, &db, SL_CATALOG_IF_NOT_EXISTS, err);
    }
    bool exists = false;
    if (!rc) {
        sl_error e;
        sl_error_clear(&e);
        int g = sl_catalog_get_table(cat, s->database, s->table, &t, &e);
        if (g == 0) exists = true;
        else if (g != SL_ENOTFOUND) rc = g, *err = e;
    }
    if (!rc && !exists) {
        t.database = sl_xstrdup(s->database);
        t.name = sl_xstrdup(s->table);
        t.table_type = sl_xstrdup("EXTERNAL_TABLE");
        t.sd.location = join_location(location, NULL);
        set_format(&t.sd, format, compression, delimiter);
        merge_columns(&t.sd.columns, s->type, pkeys, n_pkeys);
        for (size_t k = 0; k < n_pkeys; k++)
            sl_catalog_columns_add(&t.partition_keys, pkeys[k], "string", NULL);
        sl_catalog_params_set(&t.parameters, "classification", format);
        sl_catalog_params_set(&t.parameters, "compressionType", compression ? compression : "none");
        sl_catalog_params_set(&t.parameters, "typeOfData", "file");
        sl_catalog_params_set(&t.parameters, "UPDATED_BY_JOB", "sluice");
        if (!strcmp(format, "csv")) {
            char delim[2] = {delimiter ? delimiter : ',', 0};
            sl_catalog_params_set(&t.parameters, "delimiter", delim);
            if (header) sl_catalog_params_set(&t.parameters, "skip.header.line.count", "1");
        }
        rc = sl_catalog_create_table(cat, &t, err);
    } else if (!rc) {
        bool changed = merge_columns(&t.sd.columns, s->type, pkeys, n_pkeys);
        if (changed && s->log_only)
            fprintf(stderr, "sluice: catalog table '%s.%s': the data written has other columns or types; "
                            "not updated (catalog_update_behavior LOG)\n",
                    s->database, s->table);
        else if (changed)
            rc = sl_catalog_update_table(cat, &t, 0, NULL, err);
    }
    if (!rc && n_pkeys && s->n_paths) {
        qsort(s->paths, s->n_paths, sizeof *s->paths, cmp_str);
        parts = sl_xcalloc(s->n_paths, sizeof *parts);
        sl_buf key, val;
        sl_buf_init(&key, 0);
        sl_buf_init(&val, 0);
        for (size_t i = 0; i < s->n_paths; i++) {
            if (i && !strcmp(s->paths[i], s->paths[i - 1])) continue;
            sl_catalog_partition *p = &parts[n_parts++];
            p->values = sl_xcalloc(n_pkeys, sizeof *p->values);
            const char *seg = s->paths[i];
            for (size_t k = 0; k < n_pkeys; k++) {
                const char *slash = strchr(seg, '/');
                size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
                key.len = val.len = 0;
                if (!sl_hive_partition_dir(seg, len, &key, &val)) sl_buf_add(&val, seg, len);
                p->values[k] = sl_xstrndup(val.data ? val.data : "", val.len);
                p->n_values++;
                seg = slash ? slash + 1 : seg + len;
            }
            p->sd.location = join_location(location, s->paths[i]);
            set_format(&p->sd, format, compression, delimiter);
            for (size_t c = 0; c < t.sd.columns.count; c++)
                sl_catalog_columns_add(&p->sd.columns, t.sd.columns.items[c].name, t.sd.columns.items[c].type, NULL);
        }
        sl_buf_free(&key);
        sl_buf_free(&val);
        rc = sl_catalog_add_partitions(cat, s->database, s->table, parts, n_parts, SL_CATALOG_EXISTING_SKIP, NULL,
                                       NULL, err);
    }
    if (!rc) rc = sl_catalog_commit(cat, err);
    else sl_catalog_rollback(cat);
    for (size_t i = 0; i < n_parts; i++)
        sl_catalog_partition_free(&parts[i]);
    free(parts);
    sl_catalog_table_free(&t);
    sl_catalog_close(cat);
    return rc;
}
