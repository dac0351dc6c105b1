/*
 * cmd_catalog.c — `sluice catalog SUBCOMMAND`: look at and manage the data
 * catalog (catalog/catalog.h): databases, tables, partitions, schema
 * history, crawls and connections.
 *
 * Output is a plain table of aligned columns (on a terminal and when piped
 * alike), or with --json the object in Glue's response shape
 * ({"DatabaseList":[…]}, {"TableList":[…]}, {"Table":{…}},
 * {"Partitions":[…]}, {"TableVersions":[…]}, {"ConnectionList":[…]},
 * {"Crawls":[…]}). A missing database or table exits 1 with a "did you
 * mean" when a near name exists; usage and validation errors exit 2.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog/catalog.h"
#include "catalog/gluetype.h"
#include "cli/cli.h"
#include "core/mem.h"
#include "formats/json.h"

/* ================================================================== */
/* Arguments                                                           */
/* ================================================================== */

typedef struct cat_args {
    const char *sub;
    const char *catalog;
    bool json, header, force, if_not_exists, replace, quoted;
    const char *location, *classification, *delimiter, *description, *type, *credentials;
    int64_t limit;
    const char **pos;
    int n_pos;
    const char **columns, **partition_keys, **params, **properties;
    int n_columns, n_partition_keys, n_params, n_properties;
} cat_args;

typedef struct subcommand {
    const char *name;
    const char *synopsis; /* arguments after the name */
    const char *summary;
    int min_pos, max_pos;
    const char *options; /* the options it takes besides --catalog, --json, --help */
    const char *details; /* option help, or NULL */
    int (*run)(sl_catalog *cat, const cat_args *a);
    bool creates; /* creates the catalog file when it does not exist */
} subcommand;

static const subcommand *find_sub(const char *name);

static int usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *sub, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sluice catalog%s%s: ", sub ? " " : "", sub ? sub : "");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `sluice catalog %s%s--help`)\n", sub ? sub : "", sub ? " " : "");
    va_end(ap);
    return SL_EXIT_USAGE;
}

/* Exit status for a failed catalog call, after printing it. */
static int report(const sl_error *err, int rc) {
    sl_cli_print_error(err);
    return rc == SL_EINVAL ? SL_EXIT_USAGE : SL_EXIT_FAILED;
}

/* "DB.T" → database and table (malloc'd). */
static bool split_table(const char *arg, char **db, char **table) {
    const char *dot = strchr(arg, '.');
    if (!dot || dot == arg || !dot[1]) return false;
    *db = sl_xstrndup(arg, (size_t)(dot - arg));
    *table = sl_xstrdup(dot + 1);
    return true;
}

/* ================================================================== */
/* Text output                                                         */
/* ================================================================== */

typedef struct table_out {
    size_t cols;
    char **cells; /* rows × cols, the first row is the header */
    size_t rows, cap;
} table_out;

static void tbl_row(table_out *t, ...) {
    if (t->rows == t->cap)
        t->cells = sl_xrealloc(t->cells, (t->cap = t->cap ? t->cap * 2 : 16) * t->cols * sizeof(char *));
    va_list ap;
    va_start(ap, t);
    for (size_t i = 0; i < t->cols; i++) {
        const char *s = va_arg(ap, const char *);
        char *c = sl_xstrdup(s ? s : "");
        for (char *p = c; *p; p++) /* one line per row */
            if ((unsigned char)*p < 0x20) *p = ' ';
        t->cells[t->rows * t->cols + i] = c;
    }
    va_end(ap);
    t->rows++;
}

/* Display width: UTF-8 code points (no wide-character tables). */
static size_t text_width(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

static void tbl_print(table_out *t, const char *indent) {
    size_t *width = sl_xcalloc(t->cols, sizeof *width);
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++) {
            size_t w = text_width(t->cells[r * t->cols + c]);
            if (w > width[c]) width[c] = w;
        }
    for (size_t r = 0; r < t->rows; r++) {
        fputs(indent, stdout);
        /* the last non-empty column is not padded: no trailing spaces */
        size_t last = t->cols;
        while (last > 1 && !*t->cells[r * t->cols + last - 1])
            last--;
        for (size_t c = 0; c < last; c++) {
            const char *s = t->cells[r * t->cols + c];
            fputs(s, stdout);
            if (c + 1 < last) printf("%*s", (int)(width[c] - text_width(s) + 2), "");
        }
        fputc('\n', stdout);
    }
    free(width);
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static void fmt_time(int64_t ms, char *out, size_t size) {
    if (!ms) {
        snprintf(out, size, "-");
        return;
    }
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_int(int64_t v, char *out, size_t size) { snprintf(out, size, "%" PRId64, v); }

static void print_json(sl_buf *b) {
    fwrite(b->data, 1, b->len, stdout);
    fputc('\n', stdout);
}

/* ================================================================== */
/* Did you mean                                                        */
/* ================================================================== */

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = sl_xmalloc((lb + 1) * sizeof *row);
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

/* The candidate nearest to name, if near enough to be a typo. */
static const char *nearest(const char *name, const char *const *candidates, size_t n) {
    const char *best = NULL;
    size_t best_d = (size_t)-1, limit = strlen(name) / 3 + 1;
    if (limit < 2) limit = 2;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(name, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best && best_d <= limit ? best : NULL;
}

static void suggest_database(sl_catalog *cat, const char *db) {
    sl_catalog_database_list l;
    sl_error e;
    if (sl_catalog_list_databases(cat, &l, &e)) return;
    const char **names = sl_xcalloc(l.count + 1, sizeof *names);
    for (size_t i = 0; i < l.count; i++)
        names[i] = l.items[i].name;
    const char *near = nearest(db, names, l.count);
    if (near)
        fprintf(stderr, "did you mean '%s'?\n", near);
    else if (!l.count)
        fprintf(stderr, "the catalog %s has no databases yet\n", sl_catalog_path(cat));
    free(names);
    sl_catalog_database_list_free(&l);
}

static void suggest_table(sl_catalog *cat, const char *db, const char *table) {
    sl_catalog_table_list l;
    sl_error e;
    if (sl_catalog_list_tables(cat, db, &l, &e)) {
        suggest_database(cat, db);
        return;
    }
    const char **names = sl_xcalloc(l.count + 1, sizeof *names);
    for (size_t i = 0; i < l.count; i++)
        names[i] = l.items[i].name;
    const char *near = nearest(table, names, l.count);
    if (near) fprintf(stderr, "did you mean '%s.%s'?\n", l.items[0].database, near);
    free(names);
    sl_catalog_table_list_free(&l);
}

/* Report a failed lookup of db (and table, when not NULL). */
static int not_found(sl_catalog *cat, const sl_error *err, int rc, const char *db, const char *table) {
    int status = report(err, rc);
    if (rc == SL_ENOTFOUND) {
        if (table)
            suggest_table(cat, db, table);
        else
            suggest_database(cat, db);
    }
    return status;
}

/* ================================================================== */
/* Read commands                                                       */
/* ================================================================== */

static int cmd_databases(sl_catalog *cat, const cat_args *a) {
    sl_catalog_database_list l;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_list_databases(cat, &l, &err);
    if (rc) return report(&err, rc);
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"DatabaseList\":[");
        for (size_t i = 0; i < l.count; i++) {
            if (i) sl_buf_addc(&b, ',');
            sl_catalog_database_json(&l.items[i], &b);
        }
        sl_buf_adds(&b, "]}");
        print_json(&b);
        sl_buf_free(&b);
    } else {
        table_out t = {.cols = 5};
        tbl_row(&t, "DATABASE", "TABLES", "CREATED", "LOCATION", "DESCRIPTION");
        for (size_t i = 0; i < l.count; i++) {
            sl_catalog_table_list tl;
            char n[32] = "?", created[40];
            if (!sl_catalog_list_tables(cat, l.items[i].name, &tl, &err)) {
                fmt_int((int64_t)tl.count, n, sizeof n);
                sl_catalog_table_list_free(&tl);
            }
            fmt_time(l.items[i].create_time, created, sizeof created);
            tbl_row(&t, l.items[i].name, n, created, l.items[i].location_uri, l.items[i].description);
        }
        tbl_print(&t, "");
    }
    sl_catalog_database_list_free(&l);
    return SL_EXIT_OK;
}

static const char *classification_of(const sl_catalog_table *t) {
    const char *c = sl_catalog_params_get(&t->parameters, "classification");
    return c ? c : "-";
}

static void join_columns(const sl_catalog_columns *c, sl_buf *out) {
    sl_buf_adds(out, "");
    for (size_t i = 0; i < c->count; i++)
        sl_buf_printf(out, "%s%s", i ? "," : "", c->items[i].name);
}

static int cmd_tables(sl_catalog *cat, const cat_args *a) {
    const char *db = a->pos[0];
    sl_catalog_table_list l;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_list_tables(cat, db, &l, &err);
    if (rc) return not_found(cat, &err, rc, db, NULL);
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"TableList\":[");
        for (size_t i = 0; i < l.count; i++) {
            if (i) sl_buf_addc(&b, ',');
            sl_catalog_table_json(&l.items[i], &b);
        }
        sl_buf_adds(&b, "]}");
        print_json(&b);
        sl_buf_free(&b);
    } else {
        table_out t = {.cols = 8};
        tbl_row(&t, "TABLE", "CLASSIFICATION", "COLUMNS", "PARTITION KEYS", "PARTITIONS", "VERSION", "UPDATED",
                "LOCATION");
        for (size_t i = 0; i < l.count; i++) {
            const sl_catalog_table *tb = &l.items[i];
            char ncols[32], nparts[32] = "?", version[32], updated[40];
            int64_t count = 0;
            if (!sl_catalog_count_partitions(cat, tb->database, tb->name, &count, &err))
                fmt_int(count, nparts, sizeof nparts);
            fmt_int((int64_t)tb->sd.columns.count, ncols, sizeof ncols);
            fmt_int(tb->version_id, version, sizeof version);
            fmt_time(tb->update_time, updated, sizeof updated);
            sl_buf keys, name;
            sl_buf_init(&keys, SL_BUF_UNLIMITED);
            sl_buf_init(&name, SL_BUF_UNLIMITED);
            join_columns(&tb->partition_keys, &keys);
            sl_buf_printf(&name, "%s%s", tb->name, tb->deprecated ? " (deprecated)" : "");
            tbl_row(&t, name.data, classification_of(tb), ncols, keys.len ? keys.data : "-", nparts, version, updated,
                    tb->sd.location ? tb->sd.location : "-");
            sl_buf_free(&keys);
            sl_buf_free(&name);
        }
        tbl_print(&t, "");
    }
    sl_catalog_table_list_free(&l);
    return SL_EXIT_OK;
}

/* Get DB.T (arg) or report it missing. Returns -1 when found. */
static int get_table_arg(sl_catalog *cat, const char *sub, const char *arg, sl_catalog_table *t, char **db,
                         char **name) {
    if (!split_table(arg, db, name)) return usage_error(sub, "expected DATABASE.TABLE, got '%s'", arg);
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_get_table(cat, *db, *name, t, &err);
    if (rc) {
        int status = not_found(cat, &err, rc, *db, *name);
        free(*db);
        free(*name);
        return status;
    }
    return -1;
}

static void print_columns(const sl_catalog_columns *c) {
    table_out t = {.cols = 3};
    tbl_row(&t, "NAME", "TYPE", "COMMENT");
    for (size_t i = 0; i < c->count; i++)
        tbl_row(&t, c->items[i].name, c->items[i].type ? c->items[i].type : "-", c->items[i].comment);
    tbl_print(&t, "  ");
}

static void print_params(const char *label, const sl_catalog_params *p) {
    if (!p->count) return;
    printf("%s\n", label);
    table_out t = {.cols = 2};
    for (size_t i = 0; i < p->count; i++)
        tbl_row(&t, p->items[i].key, p->items[i].value);
    tbl_print(&t, "  ");
}

static int cmd_table(sl_catalog *cat, const cat_args *a) {
    sl_catalog_table t;
    char *db, *name;
    int status = get_table_arg(cat, a->sub, a->pos[0], &t, &db, &name);
    if (status >= 0) return status;
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"Table\":");
        sl_catalog_table_json(&t, &b);
        sl_buf_addc(&b, '}');
        print_json(&b);
        sl_buf_free(&b);
    } else {
        sl_error err;
        sl_error_clear(&err);
        int64_t parts = 0;
        sl_catalog_table_list versions = {0};
        sl_catalog_count_partitions(cat, db, name, &parts, &err);
        sl_catalog_list_table_versions(cat, db, name, &versions, &err);
        char created[40], updated[40], deprecated[40], v[64], p[32];
        fmt_time(t.create_time, created, sizeof created);
        fmt_time(t.update_time, updated, sizeof updated);
        fmt_time(t.deprecated_time, deprecated, sizeof deprecated);
        snprintf(v, sizeof v, "%" PRId64 " (%zu kept: `sluice catalog history %s.%s`)", t.version_id, versions.count,
                 t.database, t.name);
        fmt_int(parts, p, sizeof p);
        sl_buf keys;
        sl_buf_init(&keys, SL_BUF_UNLIMITED);
        join_columns(&t.partition_keys, &keys);
        char full[600];
        snprintf(full, sizeof full, "%s.%s", t.database, t.name);
        table_out o = {.cols = 2};
        tbl_row(&o, "table", full);
        if (t.description) tbl_row(&o, "description", t.description);
        tbl_row(&o, "location", t.sd.location ? t.sd.location : "-");
        tbl_row(&o, "classification", classification_of(&t));
        tbl_row(&o, "table type", t.table_type ? t.table_type : "-");
        tbl_row(&o, "input format", t.sd.input_format ? t.sd.input_format : "-");
        tbl_row(&o, "serde", t.sd.serde.serialization_library ? t.sd.serde.serialization_library : "-");
        tbl_row(&o, "partition keys", keys.len ? keys.data : "-");
        tbl_row(&o, "partitions", p);
        tbl_row(&o, "version", v);
        tbl_row(&o, "created", created);
        tbl_row(&o, "updated", updated);
        if (t.deprecated) tbl_row(&o, "deprecated", deprecated);
        tbl_print(&o, "");
        printf("columns\n");
        print_columns(&t.sd.columns);
        if (t.partition_keys.count) {
            printf("partition keys\n");
            print_columns(&t.partition_keys);
        }
        print_params("parameters", &t.parameters);
        sl_buf_free(&keys);
        sl_catalog_table_list_free(&versions);
    }
    sl_catalog_table_free(&t);
    free(db);
    free(name);
    return SL_EXIT_OK;
}

static int cmd_partitions(sl_catalog *cat, const cat_args *a) {
    sl_catalog_table t;
    char *db, *name;
    int status = get_table_arg(cat, a->sub, a->pos[0], &t, &db, &name);
    if (status >= 0) return status;
    sl_catalog_partition_list l;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_list_partitions(cat, db, name, a->pos + 1, (size_t)(a->n_pos - 1), &l, &err);
    if (rc) {
        status = report(&err, rc);
        goto out;
    }
    status = SL_EXIT_OK;
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"Partitions\":[");
        for (size_t i = 0; i < l.count; i++) {
            if (i) sl_buf_addc(&b, ',');
            sl_catalog_partition_json(&l.items[i], &b);
        }
        sl_buf_adds(&b, "]}");
        print_json(&b);
        sl_buf_free(&b);
    } else {
        /* one column per partition key (at most 6 shown), then the rest */
        size_t keys = t.partition_keys.count < 6 ? t.partition_keys.count : 6;
        table_out o = {.cols = 9};
        const char *head[9] = {0};
        for (size_t k = 0; k < keys; k++)
            head[k] = t.partition_keys.items[k].name;
        head[keys] = "RECORDS";
        head[keys + 1] = "CREATED";
        head[keys + 2] = "LOCATION";
        tbl_row(&o, head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8]);
        for (size_t i = 0; i < l.count; i++) {
            const sl_catalog_partition *p = &l.items[i];
            const char *row[9] = {0};
            char created[40];
            fmt_time(p->create_time, created, sizeof created);
            for (size_t k = 0; k < keys && k < p->n_values; k++)
                row[k] = p->values[k];
            const char *records = sl_catalog_params_get(&p->parameters, "recordCount");
            row[keys] = records ? records : "-";
            row[keys + 1] = created;
            row[keys + 2] = p->sd.location ? p->sd.location : "-";
            tbl_row(&o, row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]);
        }
        tbl_print(&o, "");
        printf("%zu partition%s\n", l.count, l.count == 1 ? "" : "s");
    }
    sl_catalog_partition_list_free(&l);
out:
    sl_catalog_table_free(&t);
    free(db);
    free(name);
    return status;
}

static int cmd_history(sl_catalog *cat, const cat_args *a) {
    char *db, *name;
    if (!split_table(a->pos[0], &db, &name)) return usage_error(a->sub, "expected DATABASE.TABLE, got '%s'", a->pos[0]);
    sl_catalog_table_list l;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_list_table_versions(cat, db, name, &l, &err);
    int status = SL_EXIT_OK;
    if (rc) {
        status = not_found(cat, &err, rc, db, name);
        goto out;
    }
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"TableVersions\":[");
        for (size_t i = l.count; i-- > 0;) { /* newest first, as Glue lists them */
            sl_catalog_table_version_json(&l.items[i], &b);
            if (i) sl_buf_addc(&b, ',');
        }
        sl_buf_adds(&b, "]}");
        print_json(&b);
        sl_buf_free(&b);
        goto done;
    }
    for (size_t i = 0; i < l.count; i++) {
        const sl_catalog_table *v = &l.items[i];
        char when[40];
        fmt_time(v->update_time, when, sizeof when);
        sl_catalog_schema_diff d;
        sl_catalog_diff_tables(i ? &l.items[i - 1] : NULL, v, &d);
        printf("version %" PRId64 "  %s  %zu column%s%s%s\n", v->version_id, when, v->sd.columns.count,
               v->sd.columns.count == 1 ? "" : "s", i == 0 ? "  (created)" : "", i == l.count - 1 ? "  (current)" : "");
        if (i > 0 && !d.count) printf("  no schema change\n");
        table_out o = {.cols = 4};
        for (size_t k = 0; i > 0 && k < d.count; k++) {
            const sl_catalog_column_change *c = &d.items[k];
            char label[300], types[600];
            snprintf(label, sizeof label, "%s%s", c->name, c->partition_key ? " (partition key)" : "");
            if (c->kind == SL_CATALOG_COLUMN_ADDED) {
                tbl_row(&o, "+", label, "added", c->new_type);
            } else if (c->kind == SL_CATALOG_COLUMN_REMOVED) {
                tbl_row(&o, "-", label, "removed", c->old_type);
            } else {
                snprintf(types, sizeof types, "%s -> %s", c->old_type, c->new_type);
                tbl_row(&o, "~", label, "type changed", types);
            }
        }
        if (o.rows) tbl_print(&o, "  ");
        const char *old_loc = i ? l.items[i - 1].sd.location : NULL, *loc = v->sd.location;
        if (i > 0 && (old_loc || loc) && (!old_loc || !loc || strcmp(old_loc, loc)))
            printf("  location %s -> %s\n", old_loc ? old_loc : "-", loc ? loc : "-");
        sl_catalog_schema_diff_free(&d);
    }
done:
    sl_catalog_table_list_free(&l);
out:
    free(db);
    free(name);
    return status;
}

static int cmd_crawls(sl_catalog *cat, const cat_args *a) {
    sl_catalog_crawl_list l;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_list_crawls(cat, a->n_pos ? a->pos[0] : NULL, (size_t)a->limit, &l, &err);
    if (rc) return report(&err, rc);
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"Crawls\":[");
        for (size_t i = 0; i < l.count; i++) {
            if (i) sl_buf_addc(&b, ',');
            sl_catalog_crawl_json(&l.items[i], &b);
        }
        sl_buf_adds(&b, "]}");
        print_json(&b);
        sl_buf_free(&b);
    } else if (!l.count) {
        printf(a->n_pos ? "no crawls of '%s' recorded\n" : "no crawls recorded%s\n", a->n_pos ? a->pos[0] : "");
    } else {
        table_out o = {.cols = 8};
        tbl_row(&o, "ID", "CRAWLER", "STATE", "STARTED", "SECONDS", "TABLES +new ~upd !depr -del",
                "PARTITIONS +new ~upd -del", "MESSAGE");
        for (size_t i = 0; i < l.count; i++) {
            const sl_catalog_crawl *c = &l.items[i];
            char id[32], start[40], secs[32] = "-", tables[96], parts[96];
            fmt_int(c->id, id, sizeof id);
            fmt_time(c->start_time, start, sizeof start);
            if (c->end_time) snprintf(secs, sizeof secs, "%.1f", (double)(c->end_time - c->start_time) / 1000.0);
            snprintf(tables, sizeof tables, "+%" PRId64 " ~%" PRId64 " !%" PRId64 " -%" PRId64, c->tables_created,
                     c->tables_updated, c->tables_deprecated, c->tables_deleted);
            snprintf(parts, sizeof parts, "+%" PRId64 " ~%" PRId64 " -%" PRId64, c->partitions_added,
                     c->partitions_updated, c->partitions_removed);
            tbl_row(&o, id, c->crawler, c->status, start, secs, tables, parts, c->message);
        }
        tbl_print(&o, "");
    }
    sl_catalog_crawl_list_free(&l);
    return SL_EXIT_OK;
}

static int cmd_connections(sl_catalog *cat, const cat_args *a) {
    sl_catalog_connection_list l;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_list_connections(cat, &l, &err);
    if (rc) return report(&err, rc);
    if (a->json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_buf_adds(&b, "{\"ConnectionList\":[");
        for (size_t i = 0; i < l.count; i++) {
            if (i) sl_buf_addc(&b, ',');
            sl_catalog_connection_json(&l.items[i], &b);
        }
        sl_buf_adds(&b, "]}");
        print_json(&b);
        sl_buf_free(&b);
    } else {
        table_out o = {.cols = 5};
        tbl_row(&o, "CONNECTION", "TYPE", "CREDENTIALS", "PROPERTIES", "DESCRIPTION");
        for (size_t i = 0; i < l.count; i++) {
            const sl_catalog_connection *c = &l.items[i];
            sl_buf props;
            sl_buf_init(&props, SL_BUF_UNLIMITED);
            sl_buf_adds(&props, "");
            for (size_t k = 0; k < c->properties.count; k++)
                sl_buf_printf(&props, "%s%s=%s", k ? " " : "", c->properties.items[k].key,
                              c->properties.items[k].value);
            tbl_row(&o, c->name, c->type ? c->type : "-", c->credentials ? c->credentials : "-", props.data,
                    c->description);
            sl_buf_free(&props);
        }
        tbl_print(&o, "");
    }
    sl_catalog_connection_list_free(&l);
    return SL_EXIT_OK;
}

/* ================================================================== */
/* Management commands                                                 */
/* ================================================================== */

/* "K=V" → params; false when there is no '=' or K is empty. */
static bool add_kv(sl_catalog_params *p, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return false;
    char *key = sl_xstrndup(arg, (size_t)(eq - arg));
    sl_catalog_params_set(p, key, eq + 1);
    free(key);
    return true;
}

static int cmd_create_database(sl_catalog *cat, const cat_args *a) {
    sl_catalog_database db = {
        .name = (char *)a->pos[0], .description = (char *)a->description, .location_uri = (char *)a->location};
    int status = SL_EXIT_OK;
    for (int i = 0; i < a->n_params; i++)
        if (!add_kv(&db.parameters, a->params[i])) {
            status = usage_error(a->sub, "--param expects KEY=VALUE, got '%s'", a->params[i]);
            goto out;
        }
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_create_database(cat, &db, a->if_not_exists ? SL_CATALOG_IF_NOT_EXISTS : 0, &err);
    if (rc) {
        status = report(&err, rc);
        goto out;
    }
    if (a->json) {
        sl_catalog_database got;
        if (!sl_catalog_get_database(cat, db.name, &got, &err)) {
            sl_buf b;
            sl_buf_init(&b, SL_BUF_UNLIMITED);
            sl_buf_adds(&b, "{\"Database\":");
            sl_catalog_database_json(&got, &b);
            sl_buf_addc(&b, '}');
            print_json(&b);
            sl_buf_free(&b);
            sl_catalog_database_free(&got);
        }
    }
out:
    sl_catalog_params_free(&db.parameters);
    return status;
}

static int cmd_delete_database(sl_catalog *cat, const cat_args *a) {
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_delete_database(cat, a->pos[0], a->force, &err);
    if (rc == SL_EINVAL) {
        sl_cli_print_error(&err);
        fprintf(stderr, "(--force deletes it with its tables)\n");
        return SL_EXIT_USAGE;
    }
    if (rc) return not_found(cat, &err, rc, a->pos[0], NULL);
    return SL_EXIT_OK;
}

/* "name:type" → a column; the type is checked with Glue's type syntax and
 * written in its canonical form. */
static int add_column(const char *sub, const char *option, const char *arg, sl_catalog_columns *cols) {
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || !colon[1])
        return usage_error(sub, "%s expects NAME:TYPE (e.g. id:bigint, tags:array<string>), got '%s'", option, arg);
    sl_gtype *type = NULL;
    sl_error err;
    sl_error_clear(&err);
    if (sl_gtype_parse(colon + 1, strlen(colon + 1), &type, &err))
        return usage_error(sub, "%s '%s': %s", option, arg, err.message);
    char *name = sl_xstrndup(arg, (size_t)(colon - arg));
    if (sl_catalog_columns_find(cols, name) >= 0) {
        free(name);
        sl_gtype_free(type);
        return usage_error(sub, "%s '%s': a column of that name is already given", option, arg);
    }
    char *text = sl_gtype_string(type);
    sl_catalog_columns_add(cols, name, text, NULL);
    free(text);
    free(name);
    sl_gtype_free(type);
    return -1;
}

/* create-table and update-table: the definition from the options. */
static int table_from_args(sl_catalog *cat, const cat_args *a, bool update) {
    sl_catalog_table t = {0};
    int status = -1;
    if (!split_table(a->pos[0], &t.database, &t.name)) {
        status = usage_error(a->sub, "expected DATABASE.TABLE, got '%s'", a->pos[0]);
        goto out;
    }
    if (!a->location) {
        status = usage_error(a->sub, "%s", "--location is required (where the table's files are)");
        goto out;
    }
    if (!a->classification) {
        status = usage_error(a->sub, "%s", "--classification is required (json, csv, parquet, avro, orc, …)");
        goto out;
    }
    if (!a->n_columns) {
        status = usage_error(a->sub, "%s", "give the table's columns with --column NAME:TYPE (repeatable)");
        goto out;
    }
    for (int i = 0; i < a->n_columns && status < 0; i++)
        status = add_column(a->sub, "--column", a->columns[i], &t.sd.columns);
    for (int i = 0; i < a->n_partition_keys && status < 0; i++) {
        status = add_column(a->sub, "--partition-key", a->partition_keys[i], &t.partition_keys);
        if (status < 0 && sl_catalog_columns_find(&t.sd.columns, t.partition_keys.items[i].name) >= 0)
            status = usage_error(a->sub, "partition key '%s' is also a column", t.partition_keys.items[i].name);
    }
    for (int i = 0; i < a->n_params && status < 0; i++)
        if (!add_kv(&t.parameters, a->params[i]))
            status = usage_error(a->sub, "--param expects KEY=VALUE, got '%s'", a->params[i]);
    if (status >= 0) goto out;
    status = SL_EXIT_OK;

    t.description = a->description ? sl_xstrdup(a->description) : NULL;
    t.table_type = sl_xstrdup("EXTERNAL_TABLE");
    t.sd.location = sl_xstrdup(a->location);
    t.sd.number_of_buckets = -1;
    sl_catalog_params_set(&t.parameters, "classification", a->classification);
    if (!strcmp(a->classification, "csv")) {
        sl_catalog_params_set(&t.parameters, "delimiter", a->delimiter ? a->delimiter : ",");
        if (a->header) sl_catalog_params_set(&t.parameters, "skip.header.line.count", "1");
    }
    sl_catalog_params_set(&t.parameters, "typeOfData", !strcmp(a->classification, "dynamodb") ? "table" : "file");
    sl_catalog_storage_set_format(&t.sd, a->classification, a->delimiter, a->quoted);
    /* crawlers copy the table parameters into the storage descriptor */
    for (size_t i = 0; i < t.parameters.count; i++)
        sl_catalog_params_set(&t.sd.parameters, t.parameters.items[i].key, t.parameters.items[i].value);

    sl_error err;
    sl_error_clear(&err);
    int rc;
    if (update) {
        /* keep what the options do not set: description, owner, extra members */
        sl_catalog_table old;
        rc = sl_catalog_get_table(cat, t.database, t.name, &old, &err);
        if (!rc) {
            if (!t.description && old.description) t.description = sl_xstrdup(old.description);
            t.owner = old.owner ? sl_xstrdup(old.owner) : NULL;
            t.extra_json = old.extra_json ? sl_xstrdup(old.extra_json) : NULL;
            sl_catalog_table_free(&old);
            rc = sl_catalog_update_table(cat, &t, 0, NULL, &err);
        }
        if (rc == SL_ENOTFOUND) {
            status = not_found(cat, &err, rc, t.database, t.name);
            goto out;
        }
    } else {
        rc = sl_catalog_create_table(cat, &t, &err);
    }
    if (rc == SL_ENOTFOUND) {
        sl_cli_print_error(&err);
        fprintf(stderr, "create it first: sluice catalog create-database %s\n", t.database);
        status = SL_EXIT_FAILED;
    } else if (rc) {
        status = report(&err, rc);
    } else if (a->json) {
        sl_catalog_table got;
        if (!sl_catalog_get_table(cat, t.database, t.name, &got, &err)) {
            sl_buf b;
            sl_buf_init(&b, SL_BUF_UNLIMITED);
            sl_buf_adds(&b, "{\"Table\":");
            sl_catalog_table_json(&got, &b);
            sl_buf_addc(&b, '}');
            print_json(&b);
            sl_buf_free(&b);
            sl_catalog_table_free(&got);
        }
    }
out:
    sl_catalog_table_free(&t);
    return status;
}

static int cmd_create_table(sl_catalog *cat, const cat_args *a) { return table_from_args(cat, a, false); }
static int cmd_update_table(sl_catalog *cat, const cat_args *a) { return table_from_args(cat, a, true); }

/* The partition of DB.T named by the VALUEs after it (a->pos[1..]). */
static int partition_arg(sl_catalog *cat, const cat_args *a, sl_catalog_table *t, char **db, char **name,
                         sl_catalog_partition *p) {
    int status = get_table_arg(cat, a->sub, a->pos[0], t, db, name);
    if (status >= 0) return status;
    size_t n = (size_t)(a->n_pos - 1);
    if (n != t->partition_keys.count) {
        sl_buf keys;
        sl_buf_init(&keys, SL_BUF_UNLIMITED);
        join_columns(&t->partition_keys, &keys);
        status = usage_error(a->sub, "table '%s.%s' has %zu partition key%s (%s); %zu value%s given", t->database,
                             t->name, t->partition_keys.count, t->partition_keys.count == 1 ? "" : "s",
                             keys.len ? keys.data : "none", n, n == 1 ? "" : "s");
        sl_buf_free(&keys);
        sl_catalog_table_free(t);
        free(*db);
        free(*name);
        return status;
    }
    memset(p, 0, sizeof *p);
    sl_catalog_partition_set_values(p, a->pos + 1, n);
    return -1;
}

static int cmd_add_partition(sl_catalog *cat, const cat_args *a) {
    sl_catalog_table t;
    sl_catalog_partition p;
    char *db, *name;
    int status = partition_arg(cat, a, &t, &db, &name, &p);
    if (status >= 0) return status;
    /* the partition inherits the table's format and columns */
    sl_buf loc;
    sl_buf_init(&loc, SL_BUF_UNLIMITED);
    if (a->location) {
        sl_buf_adds(&loc, a->location);
    } else {
        const char *base = t.sd.location ? t.sd.location : "";
        sl_buf_adds(&loc, base);
        if (loc.len && loc.data[loc.len - 1] != '/') sl_buf_addc(&loc, '/');
        for (size_t i = 0; i < p.n_values; i++)
            sl_buf_printf(&loc, "%s=%s/", t.partition_keys.items[i].name, p.values[i]);
    }
    sl_catalog_table tmp;
    sl_catalog_table_copy(&tmp, &t);
    p.sd = tmp.sd;
    memset(&tmp.sd, 0, sizeof tmp.sd);
    sl_catalog_table_free(&tmp);
    free(p.sd.location);
    p.sd.location = sl_buf_detach(&loc);
    for (int i = 0; i < a->n_params && status < 0; i++)
        if (!add_kv(&p.parameters, a->params[i]))
            status = usage_error(a->sub, "--param expects KEY=VALUE, got '%s'", a->params[i]);
    if (status < 0) {
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_catalog_add_partitions(
            cat, db, name, &p, 1, a->replace ? SL_CATALOG_EXISTING_UPDATE : SL_CATALOG_EXISTING_FAIL, NULL, NULL, &err);
        status = rc ? report(&err, rc) : SL_EXIT_OK;
    }
    sl_catalog_partition_free(&p);
    sl_catalog_table_free(&t);
    free(db);
    free(name);
    return status;
}

static int cmd_delete_partition(sl_catalog *cat, const cat_args *a) {
    sl_catalog_table t;
    sl_catalog_partition p;
    char *db, *name;
    int status = partition_arg(cat, a, &t, &db, &name, &p);
    if (status >= 0) return status;
    sl_error err;
    sl_error_clear(&err);
    size_t deleted = 0;
    int rc = sl_catalog_delete_partitions(cat, db, name, &p, 1, &deleted, &err);
    if (rc) {
        status = report(&err, rc);
    } else if (!deleted) {
        fprintf(stderr, "sluice: table '%s.%s' has no partition", t.database, t.name);
        for (size_t i = 0; i < p.n_values; i++)
            fprintf(stderr, "%s%s", i ? "/" : " '", p.values[i]);
        fprintf(stderr, "%s\n", p.n_values ? "'" : "");
        status = SL_EXIT_FAILED;
    } else {
        status = SL_EXIT_OK;
    }
    sl_catalog_partition_free(&p);
    sl_catalog_table_free(&t);
    free(db);
    free(name);
    return status;
}

static int cmd_delete_table(sl_catalog *cat, const cat_args *a) {
    char *db, *name;
    if (!split_table(a->pos[0], &db, &name)) return usage_error(a->sub, "expected DATABASE.TABLE, got '%s'", a->pos[0]);
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_delete_table(cat, db, name, &err);
    int status = rc ? not_found(cat, &err, rc, db, name) : SL_EXIT_OK;
    free(db);
    free(name);
    return status;
}

static int cmd_create_connection(sl_catalog *cat, const cat_args *a) {
    if (!a->type) return usage_error(a->sub, "%s", "--type is required (S3, DYNAMODB, OPENSEARCH, JDBC, NETWORK, …)");
    sl_catalog_connection c = {.name = (char *)a->pos[0],
                               .description = (char *)a->description,
                               .type = (char *)a->type,
                               .credentials = (char *)a->credentials};
    int status = SL_EXIT_OK;
    for (int i = 0; i < a->n_properties; i++)
        if (!add_kv(&c.properties, a->properties[i])) {
            /* never echo the argument: it may be a secret */
            status = usage_error(a->sub, "--property expects KEY=VALUE (argument %d is not)", i + 1);
            goto out;
        }
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_create_connection(cat, &c, a->replace ? SL_CATALOG_REPLACE : 0, &err);
    if (rc) status = report(&err, rc);
out:
    sl_catalog_params_free(&c.properties);
    return status;
}

static int cmd_delete_connection(sl_catalog *cat, const cat_args *a) {
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_delete_connection(cat, a->pos[0], &err);
    return rc ? report(&err, rc) : SL_EXIT_OK;
}

/* ================================================================== */
/* Dispatch                                                            */
/* ================================================================== */

static const subcommand SUBCOMMANDS[] = {
    {"databases", "", "list the databases", 0, 0, "", NULL, cmd_databases, false},
    {"tables", "DB", "list the tables of a database", 1, 1, "", NULL, cmd_tables, false},
    {"table", "DB.TABLE", "a table: columns, location, classification, partition keys, partitions, versions", 1, 1, "",
     NULL, cmd_table, false},
    {"partitions", "DB.TABLE [VALUE...]", "list a table's partitions (with VALUEs: those whose first values are these)",
     1, 64, "", NULL, cmd_partitions, false},
    {"history", "DB.TABLE", "schema versions and what changed between them", 1, 1, "", NULL, cmd_history, false},
    {"crawls", "[CRAWLER]", "crawls recorded, newest first", 0, 1, "--limit",
     "  --limit N          at most N crawls (default 20; 0 = all)\n", cmd_crawls, false},
    {"connections", "", "list connections", 0, 0, "", NULL, cmd_connections, false},
    {"create-database", "DB", "create a database", 1, 1, "--description --location --param --if-not-exists",
     "  --description TEXT\n"
     "  --location URI     the database's default location\n"
     "  --param KEY=VALUE  a parameter (repeatable)\n"
     "  --if-not-exists    succeed when it exists already\n",
     cmd_create_database, true},
    {"delete-database", "DB", "delete an empty database (--force: with its tables)", 1, 1, "--force",
     "  --force            also delete its tables, their versions and partitions\n", cmd_delete_database, false},
    {"create-table", "DB.TABLE", "register existing data as a table (like `aws glue create-table`)", 1, 1,
     "--location --classification --column --partition-key --delimiter --header --quoted --param --description",
     "  --location L             where the files are (directory or s3:// prefix)          (required)\n"
     "  --classification C       json, csv, parquet, avro, orc                            (required)\n"
     "  --column NAME:TYPE       a column in Glue's type syntax: bigint, double, string,\n"
     "                           array<string>, struct<a:int,b:string>, …  (repeatable, required)\n"
     "  --partition-key NAME:TYPE  a partition key, in folder order (repeatable)\n"
     "  --delimiter D            csv: the field delimiter (default ,)\n"
     "  --header                 csv: the first line of each file names the columns\n"
     "  --quoted                 csv: fields may be quoted (OpenCSVSerde)\n"
     "  --param KEY=VALUE        a table parameter (repeatable)\n"
     "  --description TEXT\n",
     cmd_create_table, true},
    {"update-table", "DB.TABLE", "replace a table's definition (keeps the old one as a version)", 1, 1,
     "--location --classification --column --partition-key --delimiter --header --quoted --param --description",
     "  the options of create-table; the new definition replaces the old one as a whole\n", cmd_update_table, false},
    {"add-partition", "DB.TABLE VALUE...", "register a partition (one VALUE per partition key)", 2, 64,
     "--location --param --replace",
     "  --location L             where its files are (default: the table's location + KEY=VALUE/...)\n"
     "  --param KEY=VALUE        a partition parameter (repeatable)\n"
     "  --replace                replace the partition when it exists\n",
     cmd_add_partition, false},
    {"delete-partition", "DB.TABLE VALUE...", "delete a partition", 2, 64, "", NULL, cmd_delete_partition, false},
    {"delete-table", "DB.TABLE", "delete a table with its versions and partitions", 1, 1, "", NULL, cmd_delete_table,
     false},
    {"create-connection", "NAME", "store a connection (never a secret: give a reference)", 1, 1,
     "--type --property --credentials --description --replace",
     "  --type T                 S3, DYNAMODB, OPENSEARCH, JDBC, NETWORK, …               (required)\n"
     "  --property KEY=VALUE     ENDPOINT, REGION, HOST, PORT, USERNAME, … (repeatable); a property\n"
     "                           named like a secret (PASSWORD, TOKEN, …) must be a reference\n"
     "  --credentials REF        where the credentials are: env:VAR, profile:NAME,\n"
     "                           secretsfile:PATH or arn:aws:secretsmanager:…\n"
     "  --description TEXT\n"
     "  --replace                replace a connection of that name\n",
     cmd_create_connection, true},
    {"delete-connection", "NAME", "delete a connection", 1, 1, "", NULL, cmd_delete_connection, false},
};

static const subcommand *find_sub(const char *name) {
    for (size_t i = 0; i < sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0]; i++)
        if (!strcmp(SUBCOMMANDS[i].name, name)) return &SUBCOMMANDS[i];
    return NULL;
}

static void usage(FILE *out) {
    fprintf(out, "usage: sluice catalog COMMAND [ARGS] [--catalog PATH] [--json]\n\n"
                 "Look at and manage the data catalog (databases, tables, partitions, schema history,\n"
                 "crawls, connections).\n\ncommands:\n");
    for (size_t i = 0; i < sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0]; i++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", SUBCOMMANDS[i].name, SUBCOMMANDS[i].synopsis);
        fprintf(out, "  %-36s %s\n", head, SUBCOMMANDS[i].summary);
    }
    fprintf(out,
            "\noptions (every command):\n"
            "  --catalog PATH     the catalog file (default: $SLUICE_CATALOG, else %s)\n"
            "  --json             print Glue's response shape instead of a table\n"
            "  --help             a command's own options: sluice catalog COMMAND --help\n\n"
            "exit status: 0 success, 1 not found or the catalog cannot be read, 2 usage or validation error.\n",
            SL_CATALOG_DEFAULT_PATH);
}

static void sub_usage(const subcommand *s, FILE *out) {
    fprintf(out, "usage: sluice catalog %s%s%s [--catalog PATH] [--json]\n\n%s.\n", s->name, *s->synopsis ? " " : "",
            s->synopsis, s->summary);
    fprintf(out, "\noptions:\n%s", s->details ? s->details : "");
    fprintf(out,
            "  --catalog PATH     the catalog file (default: $SLUICE_CATALOG, else %s)\n"
            "  --json             print Glue's response shape\n",
            SL_CATALOG_DEFAULT_PATH);
}

/* Does the subcommand take this option? */
static bool takes(const subcommand *s, const char *opt) {
    size_t n = strlen(opt);
    for (const char *p = s->options; (p = strstr(p, opt)); p += n)
        if ((p == s->options || p[-1] == ' ') && (p[n] == ' ' || !p[n])) return true;
    return false;
}

static const char **value_list(const char **list, int *n, const char *value) {
    list[(*n)++] = value;
    return list;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(const subcommand *s, int argc, char **argv, cat_args *a) {
    a->limit = 20;
    a->catalog = sl_catalog_default_path();
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            sub_usage(s, stdout);
            return SL_EXIT_OK;
        }
        if (!strcmp(arg, "--json")) {
            a->json = true;
            continue;
        }
        if (arg[0] != '-' || arg[1] != '-' || !arg[2]) {
            if (a->n_pos == s->max_pos) return usage_error(s->name, "unexpected argument '%s'", arg);
            a->pos[a->n_pos++] = arg;
            continue;
        }
        bool flag = !strcmp(arg, "--header") || !strcmp(arg, "--force") || !strcmp(arg, "--if-not-exists") ||
                    !strcmp(arg, "--replace") || !strcmp(arg, "--quoted");
        if (strcmp(arg, "--catalog") && !takes(s, arg)) return usage_error(s->name, "unknown option '%s'", arg);
        if (flag) {
            if (!strcmp(arg, "--header")) a->header = true;
            if (!strcmp(arg, "--force")) a->force = true;
            if (!strcmp(arg, "--if-not-exists")) a->if_not_exists = true;
            if (!strcmp(arg, "--replace")) a->replace = true;
            if (!strcmp(arg, "--quoted")) a->quoted = true;
            continue;
        }
        if (i + 1 >= argc) return usage_error(s->name, "%s needs a value", arg);
        const char *v = argv[++i];
        if (!strcmp(arg, "--catalog"))
            a->catalog = v;
        else if (!strcmp(arg, "--location"))
            a->location = v;
        else if (!strcmp(arg, "--classification"))
            a->classification = v;
        else if (!strcmp(arg, "--delimiter"))
            a->delimiter = v;
        else if (!strcmp(arg, "--description"))
            a->description = v;
        else if (!strcmp(arg, "--type"))
            a->type = v;
        else if (!strcmp(arg, "--credentials"))
            a->credentials = v;
        else if (!strcmp(arg, "--column"))
            value_list(a->columns, &a->n_columns, v);
        else if (!strcmp(arg, "--partition-key"))
            value_list(a->partition_keys, &a->n_partition_keys, v);
        else if (!strcmp(arg, "--param"))
            value_list(a->params, &a->n_params, v);
        else if (!strcmp(arg, "--property"))
            value_list(a->properties, &a->n_properties, v);
        else if (!strcmp(arg, "--limit")) {
            char *end;
            a->limit = strtoll(v, &end, 10);
            if (!*v || *end || a->limit < 0) return usage_error(s->name, "--limit expects a number, got '%s'", v);
        }
    }
    if (a->n_pos < s->min_pos)
        return usage_error(s->name, "missing argument: usage: sluice catalog %s %s", s->name, s->synopsis);
    if (!*a->catalog) return usage_error(s->name, "%s", "--catalog needs a path");
    if (a->delimiter && strlen(a->delimiter) != 1 && strcmp(a->delimiter, "\\t"))
        return usage_error(s->name, "--delimiter expects one character, got '%s'", a->delimiter);
    if (a->delimiter && !strcmp(a->delimiter, "\\t")) a->delimiter = "\t";
    return -1;
}

int sl_cmd_catalog(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return SL_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return SL_EXIT_OK;
    }
    const subcommand *s = find_sub(name);
    if (!s) {
        fprintf(stderr, "sluice catalog: unknown command '%s'\n\n", name);
        usage(stderr);
        return SL_EXIT_USAGE;
    }
    cat_args a = {.sub = s->name};
    size_t n = (size_t)argc + 1;
    a.pos = sl_xcalloc(n, sizeof *a.pos);
    a.columns = sl_xcalloc(n, sizeof *a.columns);
    a.partition_keys = sl_xcalloc(n, sizeof *a.partition_keys);
    a.params = sl_xcalloc(n, sizeof *a.params);
    a.properties = sl_xcalloc(n, sizeof *a.properties);
    int status = parse_args(s, argc - 1, argv + 1, &a);
    if (status < 0) {
        sl_catalog *cat = NULL;
        sl_error err;
        sl_error_clear(&err);
        int rc = sl_catalog_open(a.catalog, s->creates ? 0 : SL_CATALOG_OPEN_EXISTING, &cat, &err);
        if (rc == SL_ENOTFOUND) {
            sl_cli_print_error(&err);
            fprintf(stderr, "(a crawl or `sluice catalog create-database DB` creates it; --catalog PATH or "
                            "SLUICE_CATALOG names another)\n");
            status = SL_EXIT_FAILED;
        } else if (rc) {
            status = report(&err, rc);
        } else {
            status = s->run(cat, &a);
        }
        sl_catalog_close(cat);
    }
    free(a.pos);
    free(a.columns);
    free(a.partition_keys);
    free(a.params);
    free(a.properties);
    fflush(stdout);
    return status;
}
