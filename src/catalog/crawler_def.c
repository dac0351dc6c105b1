/*
 * crawler_def.c — crawler definitions (crawler.h): the YAML file format,
 * its checks, and writing a definition back out as YAML.
 *
 * The file is one YAML mapping with snake_case keys modelled on Glue's
 * Crawler (docs/crawling.md has the reference):
 *
 *   name: sales                       # Name
 *   database: lake                    # DatabaseName
 *   description: …                    # Description
 *   table_prefix: raw_                # TablePrefix
 *   targets:                          # Targets
 *     - path: s3://bucket/sales/      #   S3Targets[].Path (or a local folder)
 *       exclusions: ["**.tmp"]        #   S3Targets[].Exclusions
 *       sample_size: 10               #   S3Targets[].SampleSize
 *       endpoint/region/profile       #   where to reach the store (sluice)
 *     - dynamodb: Claims              #   DynamoDBTargets[].Path
 *       scan_all: false               #   DynamoDBTargets[].scanAll
 *       scan_rate: 0.5                #   DynamoDBTargets[].scanRate
 *   update_behavior: UPDATE_IN_DATABASE | LOG
 *   delete_behavior: DEPRECATE_IN_DATABASE | DELETE_FROM_DATABASE | LOG
 *   recrawl: CRAWL_EVERYTHING | CRAWL_NEW_FOLDERS_ONLY
 *   add_new_columns_only: false       # Configuration … AddOrUpdateBehavior MergeNewColumns
 *   combine_compatible_schemas: false # Configuration … TableGroupingPolicy
 *   sample_size: 0                    # default for every path target
 *
 * The loader turns libyaml's events into a small tree that remembers each
 * node's line and column, then reads the tree; every message names the
 * file, line and column of the offending node.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog/crawler.h"
#include "catalog/gluetype.h"
#include "catalog/infer_tables.h"
#include "core/arena.h"
#include "core/mem.h"
#include "core/ytree.h"

#define MAX_DEPTH 32
#define MAX_FILE_BYTES (1u << 20)
#define NAME_MAX_BYTES 255

/* ================================================================== */
/* Enum spellings                                                      */
/* ================================================================== */

static const char *const UPDATE_NAMES[] = {"UPDATE_IN_DATABASE", "UPDATE_IN_DATABASE", "LOG"};
static const char *const DELETE_NAMES[] = {"DEPRECATE_IN_DATABASE", "DEPRECATE_IN_DATABASE", "DELETE_FROM_DATABASE",
                                           "LOG"};
static const char *const RECRAWL_NAMES[] = {"CRAWL_EVERYTHING", "CRAWL_NEW_FOLDERS_ONLY"};

const char *sl_crawl_update_name(sl_crawl_update u) { return (unsigned)u < 3 ? UPDATE_NAMES[u] : "?"; }
const char *sl_crawl_delete_name(sl_crawl_delete d) { return (unsigned)d < 4 ? DELETE_NAMES[d] : "?"; }
const char *sl_crawl_recrawl_name(sl_crawl_recrawl r) { return (unsigned)r < 2 ? RECRAWL_NAMES[r] : "?"; }

/* Case-insensitive, '-' equal to '_'. */
static bool enum_eq(const char *s, const char *name) {
    for (; *s && *name; s++, name++) {
        char c = *s == '-' ? '_' : (char)toupper((unsigned char)*s);
        if (c != *name) return false;
    }
    return !*s && !*name;
}

bool sl_crawl_update_parse(const char *s, sl_crawl_update *out) {
    for (int i = 1; i < 3; i++)
        if (enum_eq(s, UPDATE_NAMES[i])) {
            *out = (sl_crawl_update)i;
            return true;
        }
    return false;
}

bool sl_crawl_delete_parse(const char *s, sl_crawl_delete *out) {
    for (int i = 1; i < 4; i++)
        if (enum_eq(s, DELETE_NAMES[i])) {
            *out = (sl_crawl_delete)i;
            return true;
        }
    return false;
}

bool sl_crawl_recrawl_parse(const char *s, sl_crawl_recrawl *out) {
    for (int i = 0; i < 2; i++)
        if (enum_eq(s, RECRAWL_NAMES[i])) {
            *out = (sl_crawl_recrawl)i;
            return true;
        }
    return false;
}

/* ================================================================== */
/* YAML text → tree with positions (core/ytree.h); errors               */
/* ================================================================== */

/* Messages are one line: user text may hold control characters. */
static void one_line(sl_error *err) {
    if (!err) return;
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
}

static int fail_at(sl_error *err, const char *file, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail_at(sl_error *err, const char *file, int line, int column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(err, SL_EINVAL, fmt, ap);
    va_end(ap);
    one_line(err);
    sl_error_at(err, file, line, column);
    return SL_EINVAL;
}

/* ================================================================== */
/* Tree → definition                                                   */
/* ================================================================== */

typedef struct loader {
    const char *file;
    sl_error *err;
} loader;

#define FAIL(ld, at, ...) fail_at((ld)->err, (ld)->file, (at)->line, (at)->column, __VA_ARGS__)

/* A null scalar: "~", "null", "" (plain). */
static bool is_null(const sl_ynode *n) {
    return n->kind == SL_Y_SCALAR && n->plain && (!n->text[0] || !strcmp(n->text, "~") || !strcasecmp(n->text, "null"));
}

static int get_string(loader *ld, const char *key, const sl_ynode *v, char **out) {
    if (v->kind != SL_Y_SCALAR) return FAIL(ld, v, "'%s' must be text, not %s", key, sl_ynode_kind_name(v));
    free(*out);
    *out = is_null(v) ? NULL : sl_xstrdup(v->text);
    return SL_OK;
}

static int get_bool(loader *ld, const char *key, const sl_ynode *v, bool *out) {
    if (v->kind == SL_Y_SCALAR) {
        const char *t = v->text;
        if (!strcasecmp(t, "true") || !strcasecmp(t, "yes") || !strcasecmp(t, "on")) {
            *out = true;
            return SL_OK;
        }
        if (!strcasecmp(t, "false") || !strcasecmp(t, "no") || !strcasecmp(t, "off")) {
            *out = false;
            return SL_OK;
        }
    }
    return FAIL(ld, v, "'%s' must be true or false, not '%.60s'", key, v->kind == SL_Y_SCALAR ? v->text : sl_ynode_kind_name(v));
}

static int get_int(loader *ld, const char *key, const sl_ynode *v, int64_t *out) {
    if (v->kind == SL_Y_SCALAR && v->text[0]) {
        char *end;
        errno = 0;
        long long x = strtoll(v->text, &end, 10);
        if (!*end && !errno) {
            *out = x;
            return SL_OK;
        }
    }
    return FAIL(ld, v, "'%s' must be a whole number, not '%.60s'", key, v->kind == SL_Y_SCALAR ? v->text : sl_ynode_kind_name(v));
}

static int get_double(loader *ld, const char *key, const sl_ynode *v, double *out) {
    if (v->kind == SL_Y_SCALAR && v->text[0]) {
        char *end;
        errno = 0;
        double x = strtod(v->text, &end);
        if (!*end && !errno && isfinite(x)) {
            *out = x;
            return SL_OK;
        }
    }
    return FAIL(ld, v, "'%s' must be a number, not '%.60s'", key, v->kind == SL_Y_SCALAR ? v->text : sl_ynode_kind_name(v));
}

static int get_string_list(loader *ld, const char *key, const sl_ynode *v, char ***out, size_t *n) {
    if (v->kind == SL_Y_SCALAR && !is_null(v)) { /* one pattern written without a list */
        *out = sl_xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = sl_xstrdup(v->text);
        return SL_OK;
    }
    if (is_null(v)) return SL_OK;
    if (v->kind != SL_Y_SEQ) return FAIL(ld, v, "'%s' must be a list of text, not %s", key, sl_ynode_kind_name(v));
    for (size_t i = 0; i < v->n; i++) {
        const sl_ynode *item = v->items[i];
        if (item->kind != SL_Y_SCALAR || is_null(item))
            return FAIL(ld, item, "'%s' must be a list of text; this item is %s", key,
                        item->kind == SL_Y_SCALAR ? "empty" : sl_ynode_kind_name(item));
        *out = sl_xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = sl_xstrdup(item->text);
    }
    return SL_OK;
}

static int unknown_key(loader *ld, const sl_ynode *key, const char *where, const char *expected) {
    return FAIL(ld, key, "unknown key '%.60s' in %s (expected one of: %s)", key->text, where, expected);
}

static const char TARGET_KEYS[] =
    "path, dynamodb, exclusions, sample_size, scan_all, scan_rate, endpoint, region, profile";

static int load_target(loader *ld, sl_crawler_def *d, const sl_ynode *m) {
    if (m->kind != SL_Y_MAP)
        return FAIL(ld, m, "a target must be a mapping with 'path' or 'dynamodb', not %s", sl_ynode_kind_name(m));
    const sl_ynode *path = NULL, *table = NULL;
    for (size_t i = 0; i < m->n; i += 2) {
        const char *k = m->items[i]->text;
        if (!strcmp(k, "path"))
            path = m->items[i + 1];
        else if (!strcmp(k, "dynamodb"))
            table = m->items[i + 1];
    }
    if (path && table) return FAIL(ld, table, "a target has either 'path' or 'dynamodb', not both");
    if (!path && !table) return FAIL(ld, m, "a target needs 'path' (a folder or s3:// prefix) or 'dynamodb' (a table)");
    const sl_ynode *pv = path ? path : table;
    if (pv->kind != SL_Y_SCALAR || is_null(pv))
        return FAIL(ld, pv, "'%s' must be %s", path ? "path" : "dynamodb",
                    path ? "a folder or an s3:// prefix" : "a DynamoDB table name");
    sl_crawl_target *t = sl_crawler_def_add_target(d, path ? SL_CRAWL_TARGET_PATH : SL_CRAWL_TARGET_DYNAMODB, pv->text);
    bool is_path = path != NULL;
    for (size_t i = 0; i < m->n; i += 2) {
        const sl_ynode *key = m->items[i], *v = m->items[i + 1];
        const char *k = key->text;
        int rc = SL_OK;
        if (!strcmp(k, "path") || !strcmp(k, "dynamodb")) continue;
        if (!strcmp(k, "endpoint"))
            rc = get_string(ld, k, v, &t->endpoint);
        else if (!strcmp(k, "region"))
            rc = get_string(ld, k, v, &t->region);
        else if (!strcmp(k, "profile"))
            rc = get_string(ld, k, v, &t->profile);
        else if (is_path && !strcmp(k, "exclusions"))
            rc = get_string_list(ld, k, v, &t->exclusions, &t->n_exclusions);
        else if (is_path && !strcmp(k, "sample_size"))
            rc = get_int(ld, k, v, &t->sample_size);
        else if (!is_path && !strcmp(k, "scan_all"))
            rc = get_bool(ld, k, v, &t->scan_all);
        else if (!is_path && !strcmp(k, "scan_rate"))
            rc = get_double(ld, k, v, &t->scan_rate);
        else if (!strcmp(k, "exclusions") || !strcmp(k, "sample_size") || !strcmp(k, "scan_all") ||
                 !strcmp(k, "scan_rate"))
            rc = FAIL(ld, key, "'%s' applies to %s targets only", k, is_path ? "dynamodb" : "path");
        else
            rc = unknown_key(ld, key, "a target", TARGET_KEYS);
        if (rc) return rc;
        if (!strcmp(k, "sample_size") && (t->sample_size < 1 || t->sample_size > 249))
            return FAIL(ld, v, "'sample_size' must be between 1 and 249 (files per folder)");
        if (!strcmp(k, "scan_rate") && !(t->scan_rate >= 0.1 && t->scan_rate <= 1.5))
            return FAIL(ld, v, "'scan_rate' must be between 0.1 and 1.5 (share of the read capacity)");
    }
    return SL_OK;
}

static const char TOP_KEYS[] = "name, database, description, table_prefix, targets, update_behavior, delete_behavior, "
                               "recrawl, add_new_columns_only, combine_compatible_schemas, sample_size";

static int load_enum(loader *ld, const char *key, const sl_ynode *v, sl_crawler_def *d) {
    if (v->kind != SL_Y_SCALAR) return FAIL(ld, v, "'%s' must be text, not %s", key, sl_ynode_kind_name(v));
    bool ok;
    if (!strcmp(key, "update_behavior"))
        ok = sl_crawl_update_parse(v->text, &d->update_behavior);
    else if (!strcmp(key, "delete_behavior"))
        ok = sl_crawl_delete_parse(v->text, &d->delete_behavior);
    else
        ok = sl_crawl_recrawl_parse(v->text, &d->recrawl);
    if (ok) return SL_OK;
    const char *choices = !strcmp(key, "update_behavior")   ? "UPDATE_IN_DATABASE or LOG"
                          : !strcmp(key, "delete_behavior") ? "DEPRECATE_IN_DATABASE, DELETE_FROM_DATABASE or LOG"
                                                            : "CRAWL_EVERYTHING or CRAWL_NEW_FOLDERS_ONLY";
    return FAIL(ld, v, "'%s' must be %s, not '%.60s'", key, choices, v->text);
}

static int load_def(loader *ld, const sl_ynode *root, sl_crawler_def *d) {
    if (!root) return fail_at(ld->err, ld->file, 1, 1, "the crawler file is empty");
    if (root->kind != SL_Y_MAP) return FAIL(ld, root, "a crawler file is a mapping (name: …, database: …, targets: …)");
    const sl_ynode *targets = NULL;
    for (size_t i = 0; i < root->n; i += 2) {
        const sl_ynode *key = root->items[i], *v = root->items[i + 1];
        const char *k = key->text;
        int rc = SL_OK;
        if (!strcmp(k, "name"))
            rc = get_string(ld, k, v, &d->name);
        else if (!strcmp(k, "database"))
            rc = get_string(ld, k, v, &d->database);
        else if (!strcmp(k, "description"))
            rc = get_string(ld, k, v, &d->description);
        else if (!strcmp(k, "table_prefix"))
            rc = get_string(ld, k, v, &d->table_prefix);
        else if (!strcmp(k, "update_behavior") || !strcmp(k, "delete_behavior") || !strcmp(k, "recrawl"))
            rc = load_enum(ld, k, v, d);
        else if (!strcmp(k, "add_new_columns_only"))
            rc = get_bool(ld, k, v, &d->add_new_columns_only);
        else if (!strcmp(k, "combine_compatible_schemas"))
            rc = get_bool(ld, k, v, &d->combine_compatible_schemas);
        else if (!strcmp(k, "sample_size")) {
            rc = get_int(ld, k, v, &d->sample_size);
            if (!rc && (d->sample_size < 0 || d->sample_size > 249))
                rc = FAIL(ld, v, "'sample_size' must be between 1 and 249 (files per folder), or 0 for every file");
        } else if (!strcmp(k, "targets")) {
            targets = v;
            if (v->kind != SL_Y_SEQ || v->n == 0)
                rc = FAIL(ld, v, "'targets' must be a list of targets ({path: …} or {dynamodb: …})");
            for (size_t j = 0; !rc && j < v->n; j++)
                rc = load_target(ld, d, v->items[j]);
        } else {
            rc = unknown_key(ld, key, "a crawler", TOP_KEYS);
        }
        if (rc) return rc;
    }
    if (!d->name) return FAIL(ld, root, "the crawler has no 'name'");
    if (!d->database) return FAIL(ld, root, "crawler '%.100s' has no 'database' (where its tables go)", d->name);
    if (!targets) return FAIL(ld, root, "crawler '%.100s' has no 'targets'", d->name);
    /* semantic checks name the whole file, not a position */
    int rc = sl_crawler_def_check(d, ld->err);
    if (rc && ld->err) sl_error_at(ld->err, ld->file, 0, 0);
    return rc;
}

int sl_crawler_def_parse(const char *file, const char *text, size_t len, sl_crawler_def *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    sl_arena arena;
    sl_arena_init(&arena);
    sl_ynode *root = NULL;
    int rc = sl_ytree_parse(file, "crawler file", text, len, &arena, &root, err);
    if (!rc) {
        loader ld = {file, err};
        rc = load_def(&ld, root, out);
    }
    sl_arena_free(&arena);
    if (rc) sl_crawler_def_free(out);
    return rc;
}

int sl_crawler_def_load(const char *path, sl_crawler_def *out, char **text, sl_error *err) {
    memset(out, 0, sizeof *out);
    if (text) *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return sl_error_set(err, SL_EIO, "cannot open crawler file %s: %s", path, strerror(errno));
    sl_buf b;
    sl_buf_init(&b, MAX_FILE_BYTES);
    char chunk[8192];
    size_t got;
    int rc = SL_OK;
    while (!rc && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sl_buf_add(&b, chunk, got)) rc = sl_error_set(err, SL_ELIMIT, "crawler file %s is larger than 1 MiB", path);
    if (!rc && ferror(f)) rc = sl_error_set(err, SL_EIO, "cannot read crawler file %s: %s", path, strerror(errno));
    fclose(f);
    if (!rc) rc = sl_crawler_def_parse(path, b.data ? b.data : "", b.len, out, err);
    if (!rc && text) *text = sl_xstrndup(b.data ? b.data : "", b.len);
    sl_buf_free(&b);
    return rc;
}

int sl_crawler_def_get(sl_catalog *cat, const char *name, sl_crawler_def *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    sl_catalog_crawler c = {0};
    int rc = sl_catalog_get_crawler(cat, name, &c, err);
    if (rc) return rc;
    char where[300];
    snprintf(where, sizeof where, "crawler '%.200s' (stored)", name);
    rc = sl_crawler_def_parse(where, c.definition ? c.definition : "", c.definition ? strlen(c.definition) : 0, out,
                              err);
    sl_catalog_crawler_free(&c);
    return rc;
}

/* ================================================================== */
/* Checks                                                              */
/* ================================================================== */

static bool bad_text(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return true;
    return false;
}

int sl_crawler_def_check(sl_crawler_def *d, sl_error *err) {
    if (!d->name || !d->name[0]) return sl_error_set(err, SL_EINVAL, "the crawler has no name");
    if (strlen(d->name) > NAME_MAX_BYTES || bad_text(d->name))
        return sl_error_set(err, SL_EINVAL, "crawler name '%.80s' must be 1 to 255 bytes without control characters",
                            d->name);
    if (!d->database || !d->database[0])
        return sl_error_set(err, SL_EINVAL, "crawler '%.100s' has no database", d->name);
    if (strlen(d->database) > NAME_MAX_BYTES || bad_text(d->database))
        return sl_error_set(err, SL_EINVAL, "database name '%.80s' must be 1 to 255 bytes without control characters",
                            d->database);
    if (d->n_targets == 0)
        return sl_error_set(err, SL_EINVAL, "crawler '%.100s' has no targets (a path or a DynamoDB table)", d->name);
    if (d->sample_size < 0 || d->sample_size > 249)
        return sl_error_set(err, SL_EINVAL, "sample_size must be between 1 and 249 (files per folder), or 0 for all");
    for (size_t i = 0; i < d->n_targets; i++) {
        sl_crawl_target *t = &d->targets[i];
        if (!t->path || !t->path[0])
            return sl_error_set(err, SL_EINVAL, "target %zu of crawler '%.100s' has an empty %s", i + 1, d->name,
                                t->kind == SL_CRAWL_TARGET_PATH ? "path" : "DynamoDB table name");
        if (t->kind == SL_CRAWL_TARGET_DYNAMODB) {
            if (t->scan_rate != 0 && !(t->scan_rate >= 0.1 && t->scan_rate <= 1.5))
                return sl_error_set(err, SL_EINVAL, "DynamoDB target '%.100s': scan_rate must be between 0.1 and 1.5",
                                    t->path);
            continue;
        }
        if (t->sample_size != 0 && t->sample_size != -1 && (t->sample_size < 1 || t->sample_size > 249))
            return sl_error_set(err, SL_EINVAL, "target '%.100s': sample_size must be between 1 and 249", t->path);
        for (size_t j = 0; j < t->n_exclusions; j++) {
            sl_glob g;
            int rc = sl_glob_compile(t->exclusions[j], &g, err);
            if (rc) return rc;
            sl_glob_free(&g);
        }
    }
    bool incremental = d->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY;
    if (incremental && d->update_behavior == SL_CRAWL_UPDATE_IN_DATABASE)
        return sl_error_set(err, SL_EINVAL,
                            "crawler '%.100s': recrawl CRAWL_NEW_FOLDERS_ONLY needs update_behavior LOG (existing "
                            "schemas are not changed by a crawl of new folders, as in Glue)",
                            d->name);
    if (incremental && d->delete_behavior != SL_CRAWL_DELETE_DEFAULT && d->delete_behavior != SL_CRAWL_DELETE_LOG)
        return sl_error_set(err, SL_EINVAL,
                            "crawler '%.100s': recrawl CRAWL_NEW_FOLDERS_ONLY needs delete_behavior LOG (a crawl of "
                            "new folders does not look for removed data, as in Glue)",
                            d->name);
    if (d->update_behavior == SL_CRAWL_UPDATE_DEFAULT)
        d->update_behavior = incremental ? SL_CRAWL_UPDATE_LOG : SL_CRAWL_UPDATE_IN_DATABASE;
    if (d->delete_behavior == SL_CRAWL_DELETE_DEFAULT)
        d->delete_behavior = incremental ? SL_CRAWL_DELETE_LOG : SL_CRAWL_DEPRECATE_IN_DATABASE;
    return SL_OK;
}

/* ================================================================== */
/* Building, writing, freeing                                          */
/* ================================================================== */

sl_crawl_target *sl_crawler_def_add_target(sl_crawler_def *d, sl_crawl_target_kind kind, const char *path) {
    d->targets = sl_xrealloc(d->targets, (d->n_targets + 1) * sizeof *d->targets);
    sl_crawl_target *t = &d->targets[d->n_targets++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->path = sl_xstrdup(path ? path : "");
    t->scan_all = true; /* Glue's default */
    return t;
}

/* A YAML double-quoted scalar. Everything YAML does not allow in a
 * document (control characters, C1 controls, U+FEFF, U+FFFE/F) is written
 * as an escape, so that the text always parses back. */
static void yaml_str(sl_buf *out, const char *s) {
    sl_buf_addc(out, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            sl_buf_addc(out, '\\');
            sl_buf_addc(out, (char)c);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            sl_buf_printf(out, "\\x%02X", c);
            p++;
        } else if (c < 0x80) {
            sl_buf_addc(out, (char)c);
            p++;
        } else {
            /* one UTF-8 sequence (libyaml gave us valid UTF-8) */
            size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            unsigned cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
            size_t k = 1;
            for (; k < n && (p[k] & 0xC0) == 0x80; k++)
                cp = (cp << 6) | (p[k] & 0x3f);
            if (k < n) { /* not UTF-8 after all: escape the byte */
                sl_buf_printf(out, "\\x%02X", c);
                p++;
                continue;
            }
            bool printable = cp == 0x85 || (cp >= 0xA0 && cp <= 0xD7FF) ||
                             (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF) || cp >= 0x10000;
            if (printable)
                sl_buf_add(out, p, n);
            else
                sl_buf_printf(out, "\\u%04X", cp);
            p += n;
        }
    }
    sl_buf_addc(out, '"');
}

static void yaml_kv(sl_buf *out, const char *indent, const char *key, const char *value) {
    if (!value) return;
    sl_buf_printf(out, "%s%s: ", indent, key);
    yaml_str(out, value);
    sl_buf_addc(out, '\n');
}

void sl_crawler_def_yaml(const sl_crawler_def *d, sl_buf *out) {
    yaml_kv(out, "", "name", d->name);
    yaml_kv(out, "", "database", d->database);
    yaml_kv(out, "", "description", d->description);
    yaml_kv(out, "", "table_prefix", d->table_prefix);
    sl_buf_adds(out, "targets:\n");
    for (size_t i = 0; i < d->n_targets; i++) {
        const sl_crawl_target *t = &d->targets[i];
        bool path = t->kind == SL_CRAWL_TARGET_PATH;
        sl_buf_printf(out, "  - %s: ", path ? "path" : "dynamodb");
        yaml_str(out, t->path);
        sl_buf_addc(out, '\n');
        if (path && t->n_exclusions) {
            sl_buf_adds(out, "    exclusions: [");
            for (size_t j = 0; j < t->n_exclusions; j++) {
                if (j) sl_buf_adds(out, ", ");
                yaml_str(out, t->exclusions[j]);
            }
            sl_buf_adds(out, "]\n");
        }
        if (path && t->sample_size > 0) sl_buf_printf(out, "    sample_size: %lld\n", (long long)t->sample_size);
        if (!path) {
            sl_buf_printf(out, "    scan_all: %s\n", t->scan_all ? "true" : "false");
            if (t->scan_rate > 0) sl_buf_printf(out, "    scan_rate: %.17g\n", t->scan_rate);
        }
        yaml_kv(out, "    ", "endpoint", t->endpoint);
        yaml_kv(out, "    ", "region", t->region);
        yaml_kv(out, "    ", "profile", t->profile);
    }
    if (d->update_behavior) sl_buf_printf(out, "update_behavior: %s\n", sl_crawl_update_name(d->update_behavior));
    if (d->delete_behavior) sl_buf_printf(out, "delete_behavior: %s\n", sl_crawl_delete_name(d->delete_behavior));
    sl_buf_printf(out, "recrawl: %s\n", sl_crawl_recrawl_name(d->recrawl));
    if (d->add_new_columns_only) sl_buf_adds(out, "add_new_columns_only: true\n");
    if (d->combine_compatible_schemas) sl_buf_adds(out, "combine_compatible_schemas: true\n");
    if (d->sample_size > 0) sl_buf_printf(out, "sample_size: %lld\n", (long long)d->sample_size);
}

static uint32_t fnv32(uint32_t h, const char *s) {
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

char *sl_crawler_default_name(const sl_crawler_def *d) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < d->n_targets; i++) {
        h = fnv32(h, d->targets[i].kind == SL_CRAWL_TARGET_PATH ? "path:" : "dynamodb:");
        h = fnv32(h, d->targets[i].path ? d->targets[i].path : "");
        h = fnv32(h, "\n");
    }
    /* the last non-empty segment of the first target */
    const char *first = d->n_targets ? d->targets[0].path : "";
    size_t end = strlen(first);
    while (end > 0 && first[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && first[start - 1] != '/')
        start--;
    sl_buf seg;
    sl_buf_init(&seg, SL_BUF_UNLIMITED);
    sl_glue_name(first + start, end - start, 40, &seg);
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_buf_printf(&b, "%s-%s%s%08x", d->database ? d->database : "crawl", seg.len ? seg.data : "", seg.len ? "-" : "",
                  h);
    sl_buf_free(&seg);
    char *name = sl_buf_detach(&b);
    return name;
}

void sl_crawler_def_free(sl_crawler_def *d) {
    if (!d) return;
    free(d->name);
    free(d->database);
    free(d->description);
    free(d->table_prefix);
    for (size_t i = 0; i < d->n_targets; i++) {
        sl_crawl_target *t = &d->targets[i];
        free(t->path);
        for (size_t j = 0; j < t->n_exclusions; j++)
            free(t->exclusions[j]);
        free(t->exclusions);
        free(t->endpoint);
        free(t->region);
        free(t->profile);
    }
    free(d->targets);
    memset(d, 0, sizeof *d);
}
