/*
 * search_index.c — the embedded search index (SQLite FTS5) and its
 * `search_index` target: the zero-server way to make records searchable
 * with `sluice search`.
 *
 * ---- The index file (format version 1) ----
 *
 * One SQLite database per index (default ./data/search/<index>.db), WAL
 * journal, auto_vacuum=INCREMENTAL. Tables:
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *       format = "sluice-search-index", version = "1", name, text_fields and
 *       keyword_fields (JSON arrays of field paths, in column order),
 *       time_field and id_field ("" = none), created_at, updated_at
 *       (ISO 8601 UTC), last_run_id.
 *   docs(_docid INTEGER PRIMARY KEY, _id TEXT [UNIQUE when id_field is set],
 *        _time INTEGER, "<keyword field>" TEXT ..., _source TEXT NOT NULL)
 *       one row per document: its id (text form of the id field), its time
 *       as epoch milliseconds (NULL when the record has none), each keyword
 *       field as text (NULL when absent; numbers and booleans in their text
 *       form, arrays and objects as JSON), and the whole record as compact
 *       JSON. Indexes: docs_time(_time), docs_kw<i>("<field>", _time).
 *   fts  — FTS5 table, one column per text field (named after it),
 *       tokenize = 'unicode61 remove_diacritics 2', rowid = docs._docid.
 *       It keeps its own copy of the text (a normal FTS5 table), so a
 *       replaced document's terms are removed exactly as they were indexed.
 *
 * ---- Publishing: documents appear only on commit ----
 *
 * SQLite allows one writer per database, so workers do not write the index
 * directly. Each target writer takes a *stage* — a private SQLite file in
 * <index dir>/_staging-<index>-<node>-<run-id>/ (journal off, no sync, no
 * indexes) — from a pool (at most one stage per concurrent writer) and
 * appends the extracted rows of each batch in one transaction with prepared
 * statements. Rows carry a key seq = (split index << 40) + ordinal, so the
 * run's input order is known across stages.
 *
 * commit() merges every stage into the index in ONE transaction
 * (BEGIN IMMEDIATE … COMMIT): stages are read in seq order (a k-way merge);
 * a row whose id is already indexed deletes the old document (docs row and
 * FTS entry) before its own is inserted, so re-runs replace instead of
 * duplicating and, within a run, the last record with an id wins. With
 * mode overwrite the same transaction first drops every earlier document.
 * Then the staging directory is removed. abort() only removes the staging
 * directory. So a failed run (thresholds, errors, a failed merge) leaves
 * the index exactly as it was; readers see the old or the new index, never
 * a mix (WAL: searches go on while a merge runs). A killed process leaves
 * at most a _staging-* directory beside the index, which nothing reads.
 */
#include "connectors/search_index.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fieldpath.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "exec/run.h"
#include "formats/json.h"

#define INDEX_FORMAT "sluice-search-index"
#define INDEX_VERSION "1"
#define BUSY_TIMEOUT_MS 600000 /* a concurrent merge into the same index may take minutes */

/* ================================================================== */
/* Query language                                                      */
/* ================================================================== */

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void add_clause(sl_search_query *q, size_t *cap, sl_sq_clause c) {
    if (q->n == *cap) q->clauses = sl_xrealloc(q->clauses, (*cap = *cap ? *cap * 2 : 8) * sizeof *q->clauses);
    q->clauses[q->n++] = c;
}

/* Read a quoted string starting at s[*i] == '"' into out (unescaped).
 * Leaves *i after the closing quote. */
static int read_quoted(const char *s, size_t *i, sl_buf *out, sl_error *err) {
    size_t start = *i;
    for (size_t k = start + 1; s[k]; k++) {
        if (s[k] == '\\' && (s[k + 1] == '"' || s[k + 1] == '\\')) {
            sl_buf_addc(out, s[++k]);
        } else if (s[k] == '"') {
            *i = k + 1;
            return SL_OK;
        } else {
            sl_buf_addc(out, s[k]);
        }
    }
    return sl_error_set(err, SL_EINVAL, "unclosed quote at position %zu", start + 1);
}

/* A trailing unquoted '*' after a quoted string or word marks a prefix. */
static bool take_star(const char *s, size_t *i) {
    if (s[*i] != '*') return false;
    (*i)++;
    return true;
}

static int expect_end_of_clause(const char *s, size_t i, sl_error *err) {
    if (!s[i] || is_space(s[i])) return SL_OK;
    return sl_error_set(err, SL_EINVAL, "expected a space after the closing quote at position %zu", i + 1);
}

int sl_search_query_parse(const char *text, sl_search_query *q, sl_error *err) {
    memset(q, 0, sizeof *q);
    size_t cap = 0, i = 0;
    sl_buf word;
    sl_buf_init(&word, 0);
    int rc = SL_OK;
    while (!rc) {
        while (is_space(text[i]))
            i++;
        if (!text[i]) break;
        sl_sq_clause c = {0};
        size_t clause_start = i;
        if (text[i] == '-') {
            c.negated = true;
            i++;
            if (!text[i] || is_space(text[i])) {
                rc = sl_error_set(err, SL_EINVAL, "'-' at position %zu must be followed by a term", clause_start + 1);
                break;
            }
        }
        sl_buf_reset(&word);
        sl_buf_addc(&word, 0); /* data non-NULL even when the text is empty */
        sl_buf_reset(&word);
        if (text[i] == '"') {
            c.kind = SL_SQ_PHRASE;
            if ((rc = read_quoted(text, &i, &word, err))) break;
            c.prefix = take_star(text, &i);
            if ((rc = expect_end_of_clause(text, i, err))) break;
            c.text = sl_xstrndup(word.data, word.len);
            add_clause(q, &cap, c);
            continue;
        }
        size_t start = i;
        while (text[i] && !is_space(text[i]) && text[i] != ':')
            i++;
        if (text[i] == ':' && i > start) {
            c.kind = SL_SQ_FIELD;
            c.field = sl_xstrndup(text + start, i - start);
            i++;
            if (text[i] == '"') {
                if ((rc = read_quoted(text, &i, &word, err))) {
                    free(c.field);
                    break;
                }
                c.prefix = take_star(text, &i);
                if ((rc = expect_end_of_clause(text, i, err))) {
                    free(c.field);
                    break;
                }
            } else {
                size_t vstart = i;
                while (text[i] && !is_space(text[i]))
                    i++;
                if (i == vstart) {
                    rc =
                        sl_error_set(err, SL_EINVAL, "'%s:' at position %zu needs a value (quote it to search for ':')",
                                     c.field, start + 1);
                    free(c.field);
                    break;
                }
                size_t vlen = i - vstart;
                if (text[i - 1] == '*') {
                    c.prefix = true;
                    vlen--;
                }
                sl_buf_add(&word, text + vstart, vlen);
            }
            c.text = sl_xstrndup(word.data, word.len);
            add_clause(q, &cap, c);
            continue;
        }
        /* a word (it may hold ':' after its first character) */
        while (text[i] && !is_space(text[i]))
            i++;
        size_t len = i - start;
        if (text[i - 1] == '*') {
            c.prefix = true;
            len--;
        }
        if (len == 0) {
            rc = sl_error_set(err, SL_EINVAL, "'*' at position %zu needs a word before it", start + 1);
            break;
        }
        c.kind = SL_SQ_TERM;
        c.text = sl_xstrndup(text + start, len);
        add_clause(q, &cap, c);
    }
    sl_buf_free(&word);
    return rc;
}

void sl_search_query_free(sl_search_query *q) {
    for (size_t i = 0; i < q->n; i++) {
        free(q->clauses[i].field);
        free(q->clauses[i].text);
    }
    free(q->clauses);
    memset(q, 0, sizeof *q);
}

/* ================================================================== */
/* Layout                                                              */
/* ================================================================== */

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void sl_search_layout_free(sl_search_layout *l) {
    free_names(l->text_fields, l->n_text);
    free_names(l->keyword_fields, l->n_keyword);
    free(l->time_field);
    free(l->id_field);
    memset(l, 0, sizeof *l);
}

static bool str_eq_null(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static bool names_equal(char **a, size_t na, char **b, size_t nb) {
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i])) return false;
    return true;
}

bool sl_search_layout_equal(const sl_search_layout *a, const sl_search_layout *b) {
    return names_equal(a->text_fields, a->n_text, b->text_fields, b->n_text) &&
           names_equal(a->keyword_fields, a->n_keyword, b->keyword_fields, b->n_keyword) &&
           str_eq_null(a->time_field, b->time_field) && str_eq_null(a->id_field, b->id_field);
}

static int check_name(const char *what, const char *name, sl_error *err) {
    if (!name[0]) return sl_error_set(err, SL_EINVAL, "%s: empty field name", what);
    if (name[0] == '_') return sl_error_set(err, SL_EINVAL, "%s: field '%s' starts with '_' (reserved)", what, name);
    if (strchr(name, '"')) return sl_error_set(err, SL_EINVAL, "%s: field '%s' contains '\"'", what, name);
    sl_fieldpath p;
    if (sl_fieldpath_parse(name, &p, err)) return SL_EINVAL;
    sl_fieldpath_free(&p);
    return SL_OK;
}

int sl_search_layout_check(const sl_search_layout *l, sl_error *err) {
    if (!l->n_text) return sl_error_set(err, SL_EINVAL, "text_fields: at least one field is needed");
    int rc = SL_OK;
    for (size_t i = 0; !rc && i < l->n_text; i++)
        rc = check_name("text_fields", l->text_fields[i], err);
    for (size_t i = 0; !rc && i < l->n_keyword; i++)
        rc = check_name("keyword_fields", l->keyword_fields[i], err);
    if (rc) return rc;
    if (l->id_field && (rc = check_name("id_field", l->id_field, err))) return rc;
    if (l->time_field && (rc = check_name("time_field", l->time_field, err))) return rc;
    size_t n = l->n_text + l->n_keyword;
    for (size_t i = 0; i < n; i++) {
        const char *a = i < l->n_text ? l->text_fields[i] : l->keyword_fields[i - l->n_text];
        for (size_t j = i + 1; j < n; j++) {
            const char *b = j < l->n_text ? l->text_fields[j] : l->keyword_fields[j - l->n_text];
            if (!strcmp(a, b))
                return sl_error_set(err, SL_EINVAL, "field '%s' is listed twice in text_fields/keyword_fields", a);
        }
    }
    return SL_OK;
}

/* "[a, b]" for messages. */
static void names_text(sl_buf *b, char *const *names, size_t n) {
    sl_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++)
        sl_buf_printf(b, "%s%s", i ? ", " : "", names[i]);
    sl_buf_addc(b, ']');
}

static void layout_text(sl_buf *b, const sl_search_layout *l) {
    sl_buf_adds(b, "text_fields ");
    names_text(b, l->text_fields, l->n_text);
    sl_buf_adds(b, ", keyword_fields ");
    names_text(b, l->keyword_fields, l->n_keyword);
    sl_buf_printf(b, ", time_field %s, id_field %s", l->time_field ? l->time_field : "(none)",
                  l->id_field ? l->id_field : "(none)");
}

/* ================================================================== */
/* SQLite helpers                                                      */
/* ================================================================== */

static int db_fail(sl_error *err, sqlite3 *db, const char *path, const char *what) {
    sl_error_set(err, SL_EIO, "search index %s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
    return SL_EIO;
}

static int db_exec(sqlite3 *db, const char *path, const char *sql, sl_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return SL_OK;
    sl_error_set(err, SL_EIO, "search index %s: %s", path, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return SL_EIO;
}

static int db_prepare(sqlite3 *db, const char *path, const char *sql, sqlite3_stmt **st, sl_error *err) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK) return SL_OK;
    *st = NULL;
    return db_fail(err, db, path, "preparing a statement");
}

/* Append name as an SQL identifier ("a""b" quoting). */
static void add_ident(sl_buf *b, const char *name) {
    sl_buf_addc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') sl_buf_addc(b, '"');
        sl_buf_addc(b, *p);
    }
    sl_buf_addc(b, '"');
}

void sl_search_format_time(int64_t ms, char *out, size_t size) {
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    int64_t y;
    unsigned mo, d;
    sl_civil_from_days(days, &y, &mo, &d);
    snprintf(out, size, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo, d, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ================================================================== */
/* Times                                                               */
/* ================================================================== */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Digits with an optional leading '-' → int64; false on anything else. */
static bool parse_millis(const char *s, size_t len, int64_t *out) {
    size_t i = 0;
    bool neg = len && s[0] == '-';
    if (neg) i++;
    if (i == len || len - i > 18) return false;
    int64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return true;
}

static bool parse_iso(const char *s, size_t len, int64_t *out_ms) {
    int64_t micros, days;
    if (sl_parse_timestamp(s, len, &micros) == SL_OK) return *out_ms = floor_div(micros, 1000), true;
    if (sl_parse_date(s, len, &days) == SL_OK) return *out_ms = days * 86400000, true;
    return false;
}

bool sl_search_value_time(const sl_value *v, int64_t *out_ms) {
    switch (v->type) {
    case SL_T_INT: *out_ms = v->u.i; return true;
    case SL_T_DOUBLE:
        if (!isfinite(v->u.d) || fabs(v->u.d) > 9.0e15) return false;
        *out_ms = (int64_t)floor(v->u.d);
        return true;
    case SL_T_STRING: {
        const char *s = v->u.s;
        size_t len = v->len;
        while (len && is_space(*s))
            s++, len--;
        while (len && is_space(s[len - 1]))
            len--;
        return parse_millis(s, len, out_ms) || parse_iso(s, len, out_ms);
    }
    case SL_T_TIMESTAMP: *out_ms = floor_div(v->u.i, 1000); return true;
    case SL_T_DATE: *out_ms = v->u.i * 86400000; return true;
    default: return false;
    }
}

int sl_search_parse_time(const char *text, int64_t now, int64_t *out_ms) {
    size_t len = strlen(text);
    if (!strcmp(text, "now")) return *out_ms = now, SL_OK;
    if (parse_millis(text, len, out_ms)) return SL_OK;
    if (len >= 2 && text[0] >= '0' && text[0] <= '9') {
        static const struct {
            char unit;
            int64_t ms;
        } units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
        int64_t n;
        for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
            if (text[len - 1] == units[u].unit && parse_millis(text, len - 1, &n) && n <= INT64_MAX / units[u].ms)
                return *out_ms = now - n * units[u].ms, SL_OK;
    }
    if (parse_iso(text, len, out_ms)) return SL_OK;
    return SL_EINVAL;
}

/* ================================================================== */
/* Index schema                                                        */
/* ================================================================== */

static void json_names(sl_buf *b, char *const *names, size_t n) {
    sl_buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sl_buf_addc(b, ',');
        sl_json_write_string(b, names[i], strlen(names[i]));
    }
    sl_buf_addc(b, ']');
}

/* SQL creating (or dropping) the secondary indexes of docs. */
static void index_sql(sl_buf *sql, const sl_search_layout *l, bool create) {
    sl_buf_adds(sql, create ? "CREATE INDEX docs_time ON docs(_time);\n" : "DROP INDEX IF EXISTS docs_time;\n");
    for (size_t i = 0; i < l->n_keyword; i++) {
        sl_buf_printf(sql, create ? "CREATE INDEX docs_kw%zu ON docs(" : "DROP INDEX IF EXISTS docs_kw%zu;\n", i);
        if (!create) continue;
        add_ident(sql, l->keyword_fields[i]);
        sl_buf_adds(sql, ", _time);\n");
    }
}

static int exec_index_sql(sqlite3 *db, const char *path, const sl_search_layout *l, bool create, sl_error *err) {
    sl_buf sql;
    sl_buf_init(&sql, 0);
    index_sql(&sql, l, create);
    int rc = db_exec(db, path, sql.data, err);
    sl_buf_free(&sql);
    return rc;
}

static int create_schema(sqlite3 *db, const char *path, const char *name, const sl_search_layout *l, sl_error *err) {
    sl_buf sql;
    sl_buf_init(&sql, 0);
    sl_buf_adds(&sql, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);\n"
                      "CREATE TABLE docs(_docid INTEGER PRIMARY KEY, _id TEXT");
    if (l->id_field) sl_buf_adds(&sql, " UNIQUE");
    sl_buf_adds(&sql, ", _time INTEGER");
    for (size_t i = 0; i < l->n_keyword; i++) {
        sl_buf_adds(&sql, ", ");
        add_ident(&sql, l->keyword_fields[i]);
        sl_buf_adds(&sql, " TEXT");
    }
    sl_buf_adds(&sql, ", _source TEXT NOT NULL);\n");
    index_sql(&sql, l, true);
    sl_buf_adds(&sql, "CREATE VIRTUAL TABLE fts USING fts5(");
    for (size_t i = 0; i < l->n_text; i++) {
        add_ident(&sql, l->text_fields[i]);
        sl_buf_adds(&sql, ", ");
    }
    sl_buf_adds(&sql, "tokenize = 'unicode61 remove_diacritics 2');\n");
    int rc = db_exec(db, path, sql.data, err);
    sl_buf_free(&sql);
    if (rc) return rc;

    char created[40];
    sl_search_format_time(now_ms(), created, sizeof created);
    sl_buf text_json, kw_json;
    sl_buf_init(&text_json, 0);
    sl_buf_init(&kw_json, 0);
    json_names(&text_json, l->text_fields, l->n_text);
    json_names(&kw_json, l->keyword_fields, l->n_keyword);
    const char *rows[][2] = {
        {"format", INDEX_FORMAT},
        {"version", INDEX_VERSION},
        {"name", name},
        {"text_fields", text_json.data},
        {"keyword_fields", kw_json.data},
        {"time_field", l->time_field ? l->time_field : ""},
        {"id_field", l->id_field ? l->id_field : ""},
        {"created_at", created},
    };
    sqlite3_stmt *st;
    rc = db_prepare(db, path, "INSERT INTO meta(key, value) VALUES(?1, ?2)", &st, err);
    for (size_t i = 0; !rc && i < sizeof rows / sizeof rows[0]; i++) {
        sqlite3_bind_text(st, 1, rows[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, rows[i][1], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(err, db, path, "writing metadata");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sl_buf_free(&text_json);
    sl_buf_free(&kw_json);
    return rc;
}

static int parse_names(const char *json, char ***out, size_t *n) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    int rc = sl_json_parse(json, strlen(json), &a, &v, NULL);
    if (!rc && v.type != SL_T_LIST) rc = SL_EINVAL;
    for (uint32_t i = 0; !rc && i < v.len; i++)
        if (v.u.items[i].type != SL_T_STRING) rc = SL_EINVAL;
    if (!rc) {
        *out = sl_xcalloc(v.len ? v.len : 1, sizeof **out);
        *n = v.len;
        for (uint32_t i = 0; i < v.len; i++)
            (*out)[i] = sl_xstrndup(v.u.items[i].u.s, v.u.items[i].len);
    }
    sl_arena_free(&a);
    return rc;
}

/* Does the database hold a table named name? */
static bool has_table(sqlite3 *db, const char *name) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL))
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

/* Read the layout and name from meta. SL_EINVAL when db is not an index. */
static int read_meta(sqlite3 *db, const char *path, sl_search_layout *l, char **name, sl_error *err) {
    memset(l, 0, sizeof *l);
    if (name) *name = NULL;
    if (!has_table(db, "meta") || !has_table(db, "docs") || !has_table(db, "fts"))
        return sl_error_set(err, SL_EINVAL, "%s is not a sluice search index", path);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, NULL) != SQLITE_OK)
        return db_fail(err, db, path, "reading metadata");
    bool format_ok = false, version_ok = false, bad = false;
    bool got_text = false, got_kw = false;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (!k || !v) continue;
        if (!strcmp(k, "format"))
            format_ok = !strcmp(v, INDEX_FORMAT);
        else if (!strcmp(k, "version"))
            version_ok = !strcmp(v, INDEX_VERSION);
        else if (!strcmp(k, "name") && name)
            *name = sl_xstrdup(v);
        else if (!strcmp(k, "text_fields"))
            bad |= parse_names(v, &l->text_fields, &l->n_text) != 0, got_text = true;
        else if (!strcmp(k, "keyword_fields"))
            bad |= parse_names(v, &l->keyword_fields, &l->n_keyword) != 0, got_kw = true;
        else if (!strcmp(k, "time_field") && v[0])
            l->time_field = sl_xstrdup(v);
        else if (!strcmp(k, "id_field") && v[0])
            l->id_field = sl_xstrdup(v);
    }
    sqlite3_finalize(st);
    int rc = SL_OK;
    if (step != SQLITE_DONE)
        rc = db_fail(err, db, path, "reading metadata");
    else if (!format_ok)
        rc = sl_error_set(err, SL_EINVAL, "%s is not a sluice search index", path);
    else if (!version_ok)
        rc = sl_error_set(err, SL_EINVAL, "%s: unsupported search index version", path);
    else if (bad || !got_text || !got_kw)
        rc = sl_error_set(err, SL_EINVAL, "%s: damaged index metadata", path);
    if (rc) {
        sl_search_layout_free(l);
        if (name) free(*name), *name = NULL;
    }
    return rc;
}

static int set_meta(sqlite3 *db, const char *path, const char *key, const char *value, sl_error *err) {
    sqlite3_stmt *st;
    int rc = db_prepare(db, path, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(err, db, path, "writing metadata");
    sqlite3_finalize(st);
    return rc;
}

/* ================================================================== */
/* Stages                                                              */
/* ================================================================== */

/* Stage file: staged(seq INTEGER PRIMARY KEY, _id, _time, k0.., t0..,
 * _source) — one row per record, columns as the index's docs/fts get them. */
struct sl_search_stage {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *insert;
    sl_fieldpath *text, *keyword, id, time;
    size_t n_text, n_keyword;
    bool has_id, has_time;
    sl_buf source; /* JSON of the record being staged */
};

/* Field paths of a checked layout (sl_search_layout_check: they parse). */
static sl_fieldpath *compile_paths(char *const *names, size_t n) {
    sl_fieldpath *p = sl_xcalloc(n ? n : 1, sizeof *p);
    for (size_t i = 0; i < n; i++)
        sl_fieldpath_parse(names[i], &p[i], NULL);
    return p;
}

static void stage_free(sl_search_stage *s) {
    for (size_t i = 0; i < s->n_text; i++)
        sl_fieldpath_free(&s->text[i]);
    for (size_t i = 0; i < s->n_keyword; i++)
        sl_fieldpath_free(&s->keyword[i]);
    free(s->text);
    free(s->keyword);
    if (s->has_id) sl_fieldpath_free(&s->id);
    if (s->has_time) sl_fieldpath_free(&s->time);
    sl_buf_free(&s->source);
    free(s->path);
    free(s);
}

int sl_search_stage_open(const char *path, const sl_search_layout *l, sl_search_stage **out, sl_error *err) {
    *out = NULL;
    int rc = sl_search_layout_check(l, err);
    if (rc) return rc;
    sl_search_stage *s = sl_xcalloc(1, sizeof *s);
    s->path = sl_xstrdup(path);
    s->text = compile_paths(l->text_fields, l->n_text);
    s->n_text = l->n_text;
    s->keyword = compile_paths(l->keyword_fields, l->n_keyword);
    s->n_keyword = l->n_keyword;
    s->has_id = l->id_field && !sl_fieldpath_parse(l->id_field, &s->id, NULL);
    s->has_time = l->time_field && !sl_fieldpath_parse(l->time_field, &s->time, NULL);
    sl_buf_init(&s->source, 0);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        rc = db_fail(err, s->db, path, "creating a staging file");
        goto fail;
    }
    /* A private scratch file: nothing reads it before the merge and a crash
     * only loses the run, so no journal and no syncs. */
    rc = db_exec(s->db, path,
                 "PRAGMA page_size = 65536; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                 "PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -8192;",
                 err);
    if (rc) goto fail;
    sl_buf sql;
    sl_buf_init(&sql, 0);
    sl_buf_adds(&sql, "CREATE TABLE staged(seq INTEGER PRIMARY KEY, _id, _time");
    for (size_t i = 0; i < l->n_keyword; i++)
        sl_buf_printf(&sql, ", k%zu", i);
    for (size_t i = 0; i < l->n_text; i++)
        sl_buf_printf(&sql, ", t%zu", i);
    sl_buf_adds(&sql, ", _source)");
    rc = db_exec(s->db, path, sql.data, err);
    if (!rc) {
        sl_buf_reset(&sql);
        sl_buf_adds(&sql, "INSERT INTO staged VALUES(?");
        for (size_t i = 0; i < 3 + l->n_keyword + l->n_text; i++)
            sl_buf_adds(&sql, ", ?");
        sl_buf_adds(&sql, ")");
        rc = db_prepare(s->db, path, sql.data, &s->insert, err);
    }
    sl_buf_free(&sql);
    if (rc) goto fail;
    *out = s;
    return SL_OK;
fail:
    sqlite3_finalize(s->insert);
    sqlite3_close(s->db);
    stage_free(s);
    return rc;
}

int sl_search_stage_begin(sl_search_stage *s, sl_error *err) { return db_exec(s->db, s->path, "BEGIN", err); }

int sl_search_stage_end(sl_search_stage *s, sl_error *err) { return db_exec(s->db, s->path, "COMMIT", err); }

void sl_search_stage_close(sl_search_stage *s) {
    if (!s) return;
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(s->insert);
    sqlite3_close(s->db);
    stage_free(s);
}

/* Bind v at position col as text (strings as they are, other scalars in
 * their text form, arrays/objects as JSON); NULL when absent. */
static void bind_text_value(sqlite3_stmt *st, int col, const sl_value *v, sl_arena *scratch) {
    if (!v || v->type == SL_T_NULL) {
        sqlite3_bind_null(st, col);
    } else if (v->type == SL_T_STRING) {
        sqlite3_bind_text(st, col, v->len ? v->u.s : "", (int)v->len, SQLITE_STATIC);
    } else {
        sl_value t = sl_value_to_text(scratch, v);
        sqlite3_bind_text(st, col, t.u.s, (int)t.len, SQLITE_STATIC);
    }
}

int sl_search_stage_add(sl_search_stage *s, uint64_t seq, const sl_value *rec, sl_arena *scratch, uint64_t *bytes,
                        sl_error *err) {
    if (rec->type != SL_T_STRUCT) return sl_error_set(err, SL_ETYPE, "record is not an object");
    sqlite3_stmt *st = s->insert;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    if (s->has_id) {
        const sl_value *id = sl_fieldpath_get(rec, &s->id);
        if (!id || id->type == SL_T_NULL)
            return sl_error_set(err, SL_ETYPE, "id field '%s' is missing or null", s->id.text);
        if (id->type == SL_T_LIST || id->type == SL_T_STRUCT)
            return sl_error_set(err, SL_ETYPE, "id field '%s' is %s; an id must be a single value", s->id.text,
                                id->type == SL_T_LIST ? "an array" : "an object");
        bind_text_value(st, 2, id, scratch);
    } else {
        sqlite3_bind_null(st, 2);
    }
    const sl_value *t = s->has_time ? sl_fieldpath_get(rec, &s->time) : NULL;
    int64_t ms;
    if (!t || t->type == SL_T_NULL) {
        sqlite3_bind_null(st, 3);
    } else if (sl_search_value_time(t, &ms)) {
        sqlite3_bind_int64(st, 3, ms);
    } else {
        sl_value shown = sl_value_to_text(scratch, t);
        return sl_error_set(err, SL_ETYPE, "time field '%s': cannot read '%.80s' as epoch milliseconds or ISO 8601",
                            s->time.text, shown.u.s);
    }
    int col = 4;
    for (size_t i = 0; i < s->n_keyword; i++)
        bind_text_value(st, col++, sl_fieldpath_get(rec, &s->keyword[i]), scratch);
    for (size_t i = 0; i < s->n_text; i++)
        bind_text_value(st, col++, sl_fieldpath_get(rec, &s->text[i]), scratch);
    sl_buf_reset(&s->source);
    if (sl_json_write(&s->source, rec) != SL_OK) {
        sqlite3_clear_bindings(st);
        return sl_error_set(err, SL_ETYPE, "record cannot be stored as JSON (nested too deeply)");
    }
    sqlite3_bind_text(st, col, s->source.data, (int)s->source.len, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE) return db_fail(err, s->db, s->path, "staging a document");
    if (bytes) *bytes = s->source.len;
    return SL_OK;
}

/* ================================================================== */
/* Merge                                                               */
/* ================================================================== */

typedef struct stage_cursor {
    sqlite3 *db;
    sqlite3_stmt *rows;
    bool live; /* rows holds a current row */
} stage_cursor;

typedef struct merger {
    sqlite3 *db;
    const char *path;
    const sl_search_layout *l;
    sqlite3_stmt *find, *del_doc, *del_fts, *ins_doc, *ins_fts;
} merger;

static int merger_prepare(merger *m, sl_error *err) {
    const sl_search_layout *l = m->l;
    sl_buf sql;
    sl_buf_init(&sql, 0);
    sl_buf_adds(&sql, "INSERT INTO docs(_id, _time");
    for (size_t i = 0; i < l->n_keyword; i++) {
        sl_buf_adds(&sql, ", ");
        add_ident(&sql, l->keyword_fields[i]);
    }
    sl_buf_adds(&sql, ", _source) VALUES(?, ?");
    for (size_t i = 0; i < l->n_keyword + 1; i++)
        sl_buf_adds(&sql, ", ?");
    sl_buf_adds(&sql, l->id_field ? ") ON CONFLICT(_id) DO NOTHING" : ")");
    int rc = db_prepare(m->db, m->path, sql.data, &m->ins_doc, err);
    sl_buf_reset(&sql);
    sl_buf_adds(&sql, "INSERT INTO fts(rowid");
    for (size_t i = 0; i < l->n_text; i++) {
        sl_buf_adds(&sql, ", ");
        add_ident(&sql, l->text_fields[i]);
    }
    sl_buf_adds(&sql, ") VALUES(?");
    for (size_t i = 0; i < l->n_text; i++)
        sl_buf_adds(&sql, ", ?");
    sl_buf_adds(&sql, ")");
    if (!rc) rc = db_prepare(m->db, m->path, sql.data, &m->ins_fts, err);
    sl_buf_free(&sql);
    if (!rc) rc = db_prepare(m->db, m->path, "SELECT _docid FROM docs WHERE _id = ?1", &m->find, err);
    if (!rc) rc = db_prepare(m->db, m->path, "DELETE FROM docs WHERE _docid = ?1", &m->del_doc, err);
    if (!rc) rc = db_prepare(m->db, m->path, "DELETE FROM fts WHERE rowid = ?1", &m->del_fts, err);
    return rc;
}

static void merger_finalize(merger *m) {
    sqlite3_finalize(m->find);
    sqlite3_finalize(m->del_doc);
    sqlite3_finalize(m->del_fts);
    sqlite3_finalize(m->ins_doc);
    sqlite3_finalize(m->ins_fts);
}

static int run_stmt(merger *m, sqlite3_stmt *st, const char *what, sl_error *err) {
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? SL_OK : db_fail(err, m->db, m->path, what);
}

/* Apply the current row of a stage cursor (columns as in `staged`). */
static void bind_doc(merger *m, sqlite3_stmt *row) {
    int n_kw = (int)m->l->n_keyword, n_text = (int)m->l->n_text;
    sqlite3_bind_value(m->ins_doc, 1, sqlite3_column_value(row, 1));
    sqlite3_bind_value(m->ins_doc, 2, sqlite3_column_value(row, 2));
    for (int i = 0; i < n_kw; i++)
        sqlite3_bind_value(m->ins_doc, 3 + i, sqlite3_column_value(row, 3 + i));
    sqlite3_bind_value(m->ins_doc, 3 + n_kw, sqlite3_column_value(row, 3 + n_kw + n_text));
}

/* The id of row is indexed already: delete that document (docs row and
 * its terms) so the row can take its place. */
static int delete_old(merger *m, sqlite3_stmt *row, sl_error *err) {
    sqlite3_bind_value(m->find, 1, sqlite3_column_value(row, 1));
    int step = sqlite3_step(m->find);
    sqlite3_int64 old = step == SQLITE_ROW ? sqlite3_column_int64(m->find, 0) : 0;
    sqlite3_reset(m->find);
    if (step != SQLITE_ROW) return db_fail(err, m->db, m->path, "looking up an id");
    sqlite3_bind_int64(m->del_fts, 1, old);
    sqlite3_bind_int64(m->del_doc, 1, old);
    int rc = run_stmt(m, m->del_fts, "replacing a document", err);
    return rc ? rc : run_stmt(m, m->del_doc, "replacing a document", err);
}

/* Apply the current row of a stage cursor (columns as in `staged`). The
 * insert skips a row whose id exists (ON CONFLICT DO NOTHING: one probe of
 * the id index in the common case); such a row replaces the old document. */
static int merge_row(merger *m, sqlite3_stmt *row, sl_error *err) {
    int n_kw = (int)m->l->n_keyword, n_text = (int)m->l->n_text;
    bind_doc(m, row);
    int rc = run_stmt(m, m->ins_doc, "inserting a document", err);
    if (!rc && sqlite3_changes(m->db) == 0) { /* the id is taken */
        rc = delete_old(m, row, err);
        if (!rc) bind_doc(m, row);
        if (!rc) rc = run_stmt(m, m->ins_doc, "inserting a document", err);
    }
    if (rc) return rc;
    sqlite3_bind_int64(m->ins_fts, 1, sqlite3_last_insert_rowid(m->db));
    for (int i = 0; i < n_text; i++)
        sqlite3_bind_value(m->ins_fts, 2 + i, sqlite3_column_value(row, 3 + n_kw + i));
    return run_stmt(m, m->ins_fts, "indexing a document", err);
}

static int cursor_step(stage_cursor *c, const char *path, sl_error *err) {
    int step = sqlite3_step(c->rows);
    c->live = step == SQLITE_ROW;
    if (step == SQLITE_ROW || step == SQLITE_DONE) return SL_OK;
    return db_fail(err, c->db, path, "reading a staging file");
}

/* k-way merge of the stages by seq (each stage is ordered by its key). */
static int merge_stages(merger *m, const char *const *paths, size_t n, uint64_t *written, sl_error *err) {
    stage_cursor *cur = sl_xcalloc(n ? n : 1, sizeof *cur);
    int rc = SL_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        if (sqlite3_open_v2(paths[i], &cur[i].db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
            rc = db_fail(err, cur[i].db, paths[i], "opening a staging file");
            break;
        }
        if (sqlite3_prepare_v2(cur[i].db, "SELECT * FROM staged ORDER BY seq", -1, &cur[i].rows, NULL) != SQLITE_OK)
            rc = db_fail(err, cur[i].db, paths[i], "reading a staging file");
        else
            rc = cursor_step(&cur[i], paths[i], err);
    }
    while (!rc) {
        size_t best = n;
        sqlite3_int64 best_seq = 0;
        for (size_t i = 0; i < n; i++) {
            if (!cur[i].live) continue;
            sqlite3_int64 seq = sqlite3_column_int64(cur[i].rows, 0);
            if (best == n || seq < best_seq) best = i, best_seq = seq;
        }
        if (best == n) break;
        rc = merge_row(m, cur[best].rows, err);
        if (!rc) rc = cursor_step(&cur[best], paths[best], err);
        (*written)++;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_finalize(cur[i].rows);
        sqlite3_close(cur[i].db);
    }
    free(cur);
    return rc;
}

static void remove_db_files(const char *path) {
    size_t len = strlen(path);
    char *tmp = sl_xmalloc(len + 8);
    unlink(path);
    snprintf(tmp, len + 8, "%s-wal", path);
    unlink(tmp);
    snprintf(tmp, len + 8, "%s-shm", path);
    unlink(tmp);
    free(tmp);
}

static bool is_empty(sqlite3 *db) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM docs LIMIT 1", -1, &st, NULL) != SQLITE_OK) return false;
    bool empty = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    return empty;
}

/* Inside the merge transaction: make the schema match l (create, check or
 * rebuild for overwrite). */
static int ready_schema(sqlite3 *db, const char *path, const char *name, const sl_search_layout *l, bool overwrite,
                        sl_error *err) {
    if (!has_table(db, "meta") && !has_table(db, "docs")) return create_schema(db, path, name, l, err);
    if (overwrite) {
        int rc =
            db_exec(db, path, "DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS meta;", err);
        return rc ? rc : create_schema(db, path, name, l, err);
    }
    sl_search_layout have;
    int rc = read_meta(db, path, &have, NULL, err);
    if (rc) return rc;
    if (!sl_search_layout_equal(&have, l)) {
        sl_buf msg;
        sl_buf_init(&msg, 0);
        sl_buf_printf(&msg, "search index %s was built with ", path);
        layout_text(&msg, &have);
        sl_buf_adds(&msg, "; this job asks for ");
        layout_text(&msg, l);
        sl_buf_adds(&msg, " (use mode: overwrite to rebuild it)");
        rc = sl_error_set(err, SL_EINVAL, "%s", msg.data);
        sl_buf_free(&msg);
    }
    sl_search_layout_free(&have);
    return rc;
}

int sl_search_merge(const char *index_path, const char *index_name, const sl_search_layout *l, bool overwrite,
                    const char *const *stage_paths, size_t n_stages, const char *run_id, uint64_t *docs_written,
                    sl_error *err) {
    uint64_t written = 0;
    struct stat sb;
    bool created = stat(index_path, &sb) != 0;
    sqlite3 *db = NULL;
    merger m = {.path = index_path, .l = l};
    int rc = SL_OK;
    if (sqlite3_open_v2(index_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = db_fail(err, db, index_path, "opening");
        goto out;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    m.db = db;
    if (created && (rc = db_exec(db, index_path, "PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL", err)))
        goto out;
    rc = db_exec(db, index_path,
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -131072; "
                 "PRAGMA temp_store = MEMORY;",
                 err);
    if (rc) goto out;
    if ((rc = db_exec(db, index_path, "BEGIN IMMEDIATE", err))) goto out;
    rc = ready_schema(db, index_path, index_name, l, overwrite, err);
    /* Into an empty index, build the secondary indexes once at the end (a
     * sort) instead of updating them row by row: several times faster. */
    bool bulk = !rc && is_empty(db);
    if (bulk) rc = exec_index_sql(db, index_path, l, false, err);
    if (!rc) rc = merger_prepare(&m, err);
    if (!rc) rc = merge_stages(&m, stage_paths, n_stages, &written, err);
    merger_finalize(&m);
    if (!rc && bulk) rc = exec_index_sql(db, index_path, l, true, err);
    char updated[40];
    sl_search_format_time(now_ms(), updated, sizeof updated);
    if (!rc) rc = set_meta(db, index_path, "updated_at", updated, err);
    if (!rc && run_id) rc = set_meta(db, index_path, "last_run_id", run_id, err);
    if (!rc) rc = db_exec(db, index_path, "COMMIT", err);
    if (rc) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        goto out;
    }
    /* Best effort after the commit: give pages freed by replaced documents
     * back to the file system and fold the WAL into the database. */
    if (overwrite) sqlite3_exec(db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
out:
    sqlite3_close(db);
    if (rc && created) remove_db_files(index_path);
    if (docs_written) *docs_written = rc ? 0 : written;
    return rc;
}

/* ================================================================== */
/* Reader                                                              */
/* ================================================================== */

struct sl_search_index {
    sqlite3 *db;
    char *path;
    char *name;
    sl_search_layout layout;
};

static int open_reader_db(const char *path, sqlite3 **db, sl_error *err) {
    struct stat sb;
    if (stat(path, &sb) != 0) return sl_error_set(err, SL_ENOTFOUND, "no search index at %s", path);
    /* Read-write (never created) so the WAL index can be set up; query_only
     * keeps this connection from changing anything. */
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(*db);
        rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    }
    if (rc != SQLITE_OK) {
        db_fail(err, *db, path, "opening");
        sqlite3_close(*db);
        *db = NULL;
        return SL_EIO;
    }
    sqlite3_busy_timeout(*db, 10000);
    sqlite3_exec(*db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    return SL_OK;
}

int sl_search_index_read_layout(const char *path, sl_search_layout *l, sl_error *err) {
    sqlite3 *db;
    int rc = open_reader_db(path, &db, err);
    if (rc) return rc;
    rc = read_meta(db, path, l, NULL, err);
    sqlite3_close(db);
    return rc;
}

int sl_search_index_open(const char *path, sl_search_index **out, sl_error *err) {
    *out = NULL;
    sqlite3 *db;
    int rc = open_reader_db(path, &db, err);
    if (rc) return rc;
    sl_search_index *ix = sl_xcalloc(1, sizeof *ix);
    ix->db = db;
    ix->path = sl_xstrdup(path);
    rc = read_meta(db, path, &ix->layout, &ix->name, err);
    if (rc) {
        sl_search_index_close(ix);
        return rc;
    }
    if (!ix->name) ix->name = sl_xstrdup("");
    *out = ix;
    return SL_OK;
}

void sl_search_index_close(sl_search_index *ix) {
    if (!ix) return;
    sqlite3_close(ix->db);
    sl_search_layout_free(&ix->layout);
    free(ix->path);
    free(ix->name);
    free(ix);
}

const sl_search_layout *sl_search_index_layout(const sl_search_index *ix) { return &ix->layout; }
const char *sl_search_index_name(const sl_search_index *ix) { return ix->name; }

/* ---- query → SQL ---- */

typedef struct bindv {
    bool is_int;
    bool owned; /* s was malloc'd for the plan */
    int64_t i;
    const char *s;
} bindv;

typedef struct plan {
    sl_buf sql;
    bindv binds[64 + 8];
    size_t n_binds;
    sl_buf match, exclude; /* FTS5 expressions: required and excluded */
    size_t n_match, n_exclude;
    size_t n_exact; /* clauses on exact fields or _id */
} plan;

/* What a plan selects. */
typedef enum plan_kind {
    PLAN_HITS,         /* the hits, ordered and limited; the planner picks the access path */
    PLAN_HITS_BY_TIME, /* the same, walking the time index and testing each document against the
                        * full-text matches: for common words sorted by time with a limit */
    PLAN_COUNT,        /* count(*) of the hits */
    PLAN_FTS_COUNT     /* count(*) of the full-text matches alone (the required terms) */
} plan_kind;

static int find_name(char *const *names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return (int)i;
    return -1;
}

/* Append text as an FTS5 string ("…" with '"' doubled), then " *" for a prefix. */
static void fts_string(sl_buf *b, const char *text, bool prefix) {
    sl_buf_addc(b, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"') sl_buf_addc(b, '"');
        sl_buf_addc(b, *p);
    }
    sl_buf_addc(b, '"');
    if (prefix) sl_buf_adds(b, " *");
}

static int unknown_field(const sl_search_layout *l, const char *field, sl_error *err) {
    sl_buf msg;
    sl_buf_init(&msg, 0);
    sl_buf_printf(&msg, "unknown field '%s' in the query; this index has exact fields ", field);
    names_text(&msg, l->keyword_fields, l->n_keyword);
    sl_buf_adds(&msg, l->id_field ? " and _id, text fields " : ", text fields ");
    names_text(&msg, l->text_fields, l->n_text);
    sl_buf_adds(&msg, " (quote a term that contains ':')");
    if (l->time_field && !strcmp(field, l->time_field))
        sl_buf_printf(&msg, "; '%s' is the time field: use --from/--to", field);
    int rc = sl_error_set(err, SL_EINVAL, "%s", msg.data);
    sl_buf_free(&msg);
    return rc;
}

/* Bind text s at the next position; owned: the plan frees s (also when
 * the bind fails). */
static int add_bind_text(plan *p, const char *s, bool owned, sl_error *err) {
    if (p->n_binds + 3 > sizeof p->binds / sizeof p->binds[0]) { /* room for the range and the MATCH text */
        if (owned) free((char *)s);
        return sl_error_set(err, SL_EINVAL, "the query has too many field clauses (at most 64)");
    }
    p->binds[p->n_binds++] = (bindv){.s = s, .owned = owned};
    return SL_OK;
}

static void add_bind_int(plan *p, int64_t v) { p->binds[p->n_binds++] = (bindv){.is_int = true, .i = v}; }

/* GLOB pattern for a prefix: the prefix with *?[ made literal, then '*'. */
static char *glob_prefix(const char *text) {
    sl_buf b;
    sl_buf_init(&b, 0);
    for (const char *s = text; *s; s++) {
        if (*s == '*' || *s == '?' || *s == '[')
            sl_buf_printf(&b, "[%c]", *s);
        else
            sl_buf_addc(&b, *s);
    }
    sl_buf_addc(&b, '*');
    return sl_buf_detach(&b);
}

/* A field clause on an exact column (keyword field or _id). A negated
 * clause also holds where the field is absent. */
static int exact_clause(plan *p, sl_buf *where, const char *column, const sl_sq_clause *c, sl_error *err) {
    p->n_exact++;
    sl_buf_adds(where, c->negated ? " AND NOT coalesce(d." : " AND (d.");
    add_ident(where, column);
    sl_buf_adds(where, c->prefix ? " GLOB ?" : " = ?");
    sl_buf_adds(where, c->negated ? ", 0)" : ")");
    if (!c->prefix) return add_bind_text(p, c->text, false, err);
    return add_bind_text(p, glob_prefix(c->text), true, err);
}

static void add_fts(plan *p, const sl_sq_clause *c, const char *column) {
    sl_buf *b = c->negated ? &p->exclude : &p->match;
    size_t *n = c->negated ? &p->n_exclude : &p->n_match;
    if (*n) sl_buf_adds(b, c->negated ? " OR " : " AND ");
    if (column) {
        add_ident(b, column);
        sl_buf_adds(b, " : ");
    }
    fts_string(b, c->text, c->prefix);
    (*n)++;
}

static void plan_free(plan *p) {
    for (size_t i = 0; i < p->n_binds; i++)
        if (p->binds[i].owned) free((char *)p->binds[i].s);
    sl_buf_free(&p->sql);
    sl_buf_free(&p->match);
    sl_buf_free(&p->exclude);
}

/* Build the SELECT of kind for req. */
static int plan_build(const sl_search_index *ix, const sl_search_request *req, plan_kind kind, plan *p, sl_error *err) {
    const sl_search_layout *l = &ix->layout;
    memset(p, 0, sizeof *p);
    sl_buf_init(&p->sql, 0);
    sl_buf_init(&p->match, 0);
    sl_buf_init(&p->exclude, 0);
    sl_buf where;
    sl_buf_init(&where, 0);
    int rc = SL_OK;
    const sl_search_query *q = req->query;
    for (size_t i = 0; !rc && q && i < q->n; i++) {
        const sl_sq_clause *c = &q->clauses[i];
        if (c->kind != SL_SQ_FIELD) {
            add_fts(p, c, NULL);
            continue;
        }
        int k;
        if (!strcmp(c->field, "_id") && l->id_field)
            rc = exact_clause(p, &where, "_id", c, err);
        else if ((k = find_name(l->keyword_fields, l->n_keyword, c->field)) >= 0)
            rc = exact_clause(p, &where, l->keyword_fields[k], c, err);
        else if ((k = find_name(l->text_fields, l->n_text, c->field)) >= 0)
            add_fts(p, c, l->text_fields[k]);
        else
            rc = unknown_field(l, c->field, err);
    }
    if (!rc && (req->has_from || req->has_to) && !l->time_field)
        rc = sl_error_set(err, SL_EINVAL, "this index has no time field, so --from/--to cannot be used");
    if (rc) {
        sl_buf_free(&where);
        return rc;
    }
    if (req->has_from) {
        sl_buf_adds(&where, " AND d._time >= ?");
        add_bind_int(p, req->from_ms);
    }
    if (req->has_to) {
        sl_buf_adds(&where, " AND d._time < ?");
        add_bind_int(p, req->to_ms);
    }

    /* FTS: required terms drive the query through the FTS table; excluded
     * terms become NOT (…) in the same expression, or a NOT IN subquery when
     * nothing is required. */
    sl_buf fts_expr;
    sl_buf_init(&fts_expr, 0);
    if (p->n_match) {
        sl_buf_printf(&fts_expr, "(%s)", p->match.data);
        if (p->n_exclude) sl_buf_printf(&fts_expr, " NOT (%s)", p->exclude.data);
    } else if (p->n_exclude) {
        sl_buf_adds(&fts_expr, p->exclude.data);
    }
    bool relevance = req->sort == SL_SEARCH_SORT_RELEVANCE && p->n_match;
    const char *order = relevance                              ? "score, %s._time DESC NULLS LAST, %s._docid DESC"
                        : req->sort == SL_SEARCH_SORT_TIME_ASC ? "%s._time ASC NULLS LAST, %s._docid ASC"
                                                               : "%s._time DESC NULLS LAST, %s._docid DESC";
    sl_buf *s = &p->sql;
    bool has_fts = p->n_match || p->n_exclude;
    bool count_only = kind == PLAN_COUNT || kind == PLAN_FTS_COUNT;
    if (kind == PLAN_FTS_COUNT || (kind == PLAN_COUNT && p->n_match && !where.len)) {
        /* only full-text clauses: the FTS index alone answers */
        sl_buf_adds(s, "SELECT count(*) FROM fts WHERE fts MATCH ?1");
        sl_buf_reset(&where);
        p->n_binds = 0; /* the range and exact binds are not used */
        for (size_t i = 0; i < sizeof p->binds / sizeof p->binds[0]; i++)
            if (p->binds[i].owned) free((char *)p->binds[i].s), p->binds[i].owned = false;
    } else {
        /* Hits are chosen and ordered on (docid, time, score) alone, then joined
         * back to docs for the stored documents: the sort never carries the
         * JSON of every match, only of the hits printed. */
        if (count_only)
            sl_buf_adds(s, "SELECT count(*)");
        else
            sl_buf_printf(s, "SELECT d._docid AS _docid, d._time AS _time%s", relevance ? ", bm25(fts) AS score" : "");
        if (p->n_match && kind == PLAN_HITS_BY_TIME)
            sl_buf_adds(
                s, " FROM docs d INDEXED BY docs_time WHERE d._docid IN (SELECT rowid FROM fts WHERE fts MATCH ?1)");
        else if (p->n_match)
            sl_buf_adds(s, " FROM fts JOIN docs d ON d._docid = fts.rowid WHERE fts MATCH ?1");
        else if (p->n_exclude)
            sl_buf_adds(s, " FROM docs d WHERE d._docid NOT IN (SELECT rowid FROM fts WHERE fts MATCH ?1)");
        else
            sl_buf_adds(s, " FROM docs d WHERE 1");
        /* the '?' in where continue from ?2 (SQLite numbers them after the largest so far) */
        if (where.len) sl_buf_adds(s, where.data);
    }
    if (!count_only) {
        sl_buf_adds(s, " ORDER BY ");
        sl_buf_printf(s, order, "d", "d");
        if (req->limit) sl_buf_printf(s, " LIMIT %llu", (unsigned long long)req->limit);
        sl_buf outer;
        sl_buf_init(&outer, 0);
        sl_buf_adds(&outer, "SELECT d._id, d._time, d._source");
        for (size_t i = 0; i < l->n_keyword; i++) {
            sl_buf_adds(&outer, ", d.");
            add_ident(&outer, l->keyword_fields[i]);
        }
        sl_buf_printf(&outer, " FROM (%s) r JOIN docs d ON d._docid = r._docid ORDER BY ", s->data);
        sl_buf_printf(&outer, order, "r", "r");
        sl_buf_free(s);
        *s = outer;
    }
    sl_buf_free(&where);
    if (has_fts) { /* position 1 is the MATCH text: shift the others right */
        memmove(p->binds + 1, p->binds, p->n_binds * sizeof p->binds[0]);
        p->binds[0] = (bindv){.s = sl_buf_detach(&fts_expr), .owned = true};
        p->n_binds++;
    }
    sl_buf_free(&fts_expr);
    return SL_OK;
}

static int plan_statement(sl_search_index *ix, plan *p, sqlite3_stmt **st, sl_error *err) {
    if (sqlite3_prepare_v2(ix->db, p->sql.data, -1, st, NULL) != SQLITE_OK)
        return db_fail(err, ix->db, ix->path, "preparing the search");
    for (size_t i = 0; i < p->n_binds; i++) {
        if (p->binds[i].is_int)
            sqlite3_bind_int64(*st, (int)i + 1, p->binds[i].i);
        else
            sqlite3_bind_text(*st, (int)i + 1, p->binds[i].s, -1, SQLITE_STATIC);
    }
    return SL_OK;
}

static int search_failed(sl_search_index *ix, sl_error *err) {
    const char *msg = sqlite3_errmsg(ix->db);
    if (strstr(msg, "fts5")) return sl_error_set(err, SL_EINVAL, "the query cannot be run: %s", msg);
    return db_fail(err, ix->db, ix->path, "searching");
}

/* Run a single-value query of kind (a count) for req. */
static int plan_scalar(sl_search_index *ix, const sl_search_request *req, plan_kind kind, uint64_t *out,
                       sl_error *err) {
    plan p;
    sqlite3_stmt *st = NULL;
    int rc = plan_build(ix, req, kind, &p, err);
    if (!rc) rc = plan_statement(ix, &p, &st, err);
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            *out = (uint64_t)sqlite3_column_int64(st, 0);
        else
            rc = search_failed(ix, err);
    }
    sqlite3_finalize(st);
    plan_free(&p);
    return rc;
}

int sl_search_index_count(sl_search_index *ix, const sl_search_request *req, uint64_t *count, sl_error *err) {
    return plan_scalar(ix, req, PLAN_COUNT, count, err);
}

static uint64_t max_docid(sl_search_index *ix) {
    sqlite3_stmt *st;
    uint64_t n = 0;
    if (sqlite3_prepare_v2(ix->db, "SELECT max(_docid) FROM docs", -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) n = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The access path for the hits. FTS5 returns matches in docid order, so
 * "newest 20 with word W" through the FTS index reads the time of every
 * match; walking the time index instead and testing membership in W's
 * matches stops after about limit × docs / matches entries. That wins when
 * the word is common: matches² × 16 > limit × docs (both cost models in
 * rows touched, a docs row costing ~16 index entries). Exact-field clauses
 * are left to SQLite's planner (their indexes are ordered by time too). */
static int choose_plan(sl_search_index *ix, const sl_search_request *req, plan_kind *kind, sl_error *err) {
    *kind = PLAN_HITS;
    if (req->sort == SL_SEARCH_SORT_RELEVANCE || !req->limit) return SL_OK;
    plan p;
    int rc = plan_build(ix, req, PLAN_HITS, &p, err);
    bool eligible = !rc && p.n_match && !p.n_exact;
    plan_free(&p);
    if (rc || !eligible) return rc;
    uint64_t matches = 0;
    if ((rc = plan_scalar(ix, req, PLAN_FTS_COUNT, &matches, err))) return rc;
    double m = (double)matches;
    if (m * m * 16 > (double)req->limit * (double)max_docid(ix)) *kind = PLAN_HITS_BY_TIME;
    return SL_OK;
}

int sl_search_index_search(sl_search_index *ix, const sl_search_request *req,
                           int (*on_hit)(void *ud, const sl_search_hit *hit), void *ud, sl_error *err) {
    plan p;
    sqlite3_stmt *st = NULL;
    plan_kind kind;
    int rc = choose_plan(ix, req, &kind, err);
    if (rc) return rc;
    rc = plan_build(ix, req, kind, &p, err);
    if (!rc) rc = plan_statement(ix, &p, &st, err);
    size_t nk = ix->layout.n_keyword;
    const char **kw = sl_xcalloc(nk ? nk : 1, sizeof *kw);
    while (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = search_failed(ix, err);
            break;
        }
        sl_search_hit h = {0};
        h.id = (const char *)sqlite3_column_text(st, 0);
        h.has_time = sqlite3_column_type(st, 1) != SQLITE_NULL;
        h.time_ms = sqlite3_column_int64(st, 1);
        h.source = (const char *)sqlite3_column_text(st, 2);
        h.source_len = (size_t)sqlite3_column_bytes(st, 2);
        for (size_t i = 0; i < nk; i++)
            kw[i] = (const char *)sqlite3_column_text(st, 3 + (int)i);
        h.keywords = kw;
        if (!h.source) h.source = "", h.source_len = 0;
        rc = on_hit(ud, &h);
    }
    free(kw);
    sqlite3_finalize(st);
    plan_free(&p);
    return rc;
}

/* ================================================================== */
/* The search_index target                                             */
/* ================================================================== */

static const sl_option target_options[] = {
    {"index", SL_OPT_STRING, NULL,
     "Index name (letters, digits, '.', '_', '-'); `sluice search NAME` finds it. Required unless path is set "
     "(the name is then the file name without .db).",
     NULL, 0},
    {"path", SL_OPT_PATH, NULL,
     "SQLite file of the index. Default: ./data/search/<index>.db. Its directory is "
     "created when missing.",
     NULL, 0},
    {"text_fields", SL_OPT_LIST, "[message]",
     "Fields indexed for full-text search (FTS5, unicode61 tokenizer without diacritics: case and accents do "
     "not matter). Dotted paths reach nested fields.",
     NULL, 0},
    {"keyword_fields", SL_OPT_LIST, "[service_name, log_level]",
     "Fields matched exactly by `field:value` in a query (indexed together with the time). Numbers and booleans "
     "are matched in their text form.",
     NULL, 0},
    {"time_field", SL_OPT_STRING, "timestamp",
     "Field holding the document's time: epoch milliseconds (a number or digits) or ISO 8601 text; stored as "
     "epoch milliseconds for --from/--to and sorting. A record whose time cannot be read goes to the error "
     "output; a record without one is indexed without a time. \"\" = no time field.",
     NULL, 0},
    {"id_field", SL_OPT_STRING, NULL,
     "Field whose value identifies a document: a record with an id already in the index replaces that "
     "document, so running a job again does not duplicate (the last record wins within a run). Records "
     "without it go to the error output. Without id_field every record is a new document.",
     NULL, 0},
    {"mode", SL_OPT_ENUM, "append",
     "append adds this run's documents (replacing those with the same id); overwrite replaces the whole index "
     "with this run's documents (and may change its fields).",
     "append|overwrite", 0},
    {0},
};

/* A stage in the node's pool: held by at most one writer at a time. */
typedef struct stage_slot {
    char *path;
    sl_search_stage *stage; /* NULL once closed */
    bool busy;
} stage_slot;

typedef struct target_data {
    sl_search_layout layout;
    char *path; /* index file */
    char *name; /* index name */
    bool overwrite;
    pthread_mutex_t lock;
    char *stage_dir; /* this run's staging directory (created on first use) */
    stage_slot *slots;
    size_t n_slots;
} target_data;

static void close_slots(target_data *d) {
    for (size_t i = 0; i < d->n_slots; i++) {
        sl_search_stage_close(d->slots[i].stage);
        free(d->slots[i].path);
    }
    free(d->slots);
    d->slots = NULL;
    d->n_slots = 0;
}

static void drop_staging(target_data *d) {
    close_slots(d);
    if (d->stage_dir) sl_rmtree(d->stage_dir, NULL);
    free(d->stage_dir);
    d->stage_dir = NULL;
}

static void target_release(sl_node *node) {
    target_data *d = node->data;
    if (!d) return;
    drop_staging(d);
    sl_search_layout_free(&d->layout);
    free(d->path);
    free(d->name);
    pthread_mutex_destroy(&d->lock);
    free(d);
    node->data = NULL;
}

static int bad_option(sl_error *err, const sl_node *node, const char *opt) {
    const sl_optval *o = sl_node_opt(node, opt);
    sl_error_at(err, node->job_file, o->line ? o->line : node->line, o->column);
    return SL_EINVAL;
}

static int list_option(sl_node *node, const char *opt, char ***names, size_t *n, sl_error *err) {
    const sl_optval *o = sl_node_opt(node, opt);
    *names = NULL;
    *n = 0;
    if (!o->has_value || o->tree.type != SL_T_LIST) return SL_OK;
    *names = sl_xcalloc(o->tree.len ? o->tree.len : 1, sizeof **names);
    for (uint32_t i = 0; i < o->tree.len; i++) {
        const sl_value *v = &o->tree.u.items[i];
        if (v->type != SL_T_STRING) {
            sl_error_set(err, SL_EINVAL, "%s must be a list of field names", opt);
            return bad_option(err, node, opt);
        }
        (*names)[(*n)++] = sl_xstrndup(v->u.s, v->len);
    }
    return SL_OK;
}

static bool valid_index_name(const char *s) {
    if (!s[0] || s[0] == '.' || s[0] == '_' || s[0] == '-') return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

/* Name from a path: the file name without a trailing ".db". */
static char *name_from_path(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 3 && !strcmp(base + len - 3, ".db")) len -= 3;
    return sl_xstrndup(base, len);
}

static char *parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return sl_xstrdup(".");
    if (slash == path) return sl_xstrdup("/");
    return sl_xstrndup(path, (size_t)(slash - path));
}

static int target_check(sl_node *node, sl_error *err) {
    target_data *d = sl_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
    node->data = d;
    const char *index = sl_node_str(node, "index");
    const char *path = sl_node_str(node, "path");
    if (!index && !path) {
        sl_error_set(err, SL_EINVAL, "set index (the index name) or path (the index file)");
        sl_error_at(err, node->job_file, node->line, node->column);
        return SL_EINVAL;
    }
    if (index && !valid_index_name(index)) {
        sl_error_set(err, SL_EINVAL, "index name '%s' may only hold letters, digits, '.', '_' and '-'", index);
        return bad_option(err, node, "index");
    }
    if (path && !path[0]) {
        sl_error_set(err, SL_EINVAL, "path must not be empty");
        return bad_option(err, node, "path");
    }
    if (path && strstr(path, "://")) {
        sl_error_set(err, SL_EINVAL, "the search index is a local file; '%s' is a URL", path);
        return bad_option(err, node, "path");
    }
    d->name = index ? sl_xstrdup(index) : name_from_path(path);
    if (path) {
        d->path = sl_xstrdup(path);
    } else {
        size_t n = strlen(index) + 32;
        d->path = sl_xmalloc(n);
        snprintf(d->path, n, "./data/search/%s.db", index);
    }
    d->overwrite = !strcmp(sl_node_str(node, "mode"), "overwrite");
    sl_search_layout *l = &d->layout;
    int rc = list_option(node, "text_fields", &l->text_fields, &l->n_text, err);
    if (!rc) rc = list_option(node, "keyword_fields", &l->keyword_fields, &l->n_keyword, err);
    if (rc) return rc;
    const char *time_field = sl_node_str(node, "time_field");
    const char *id_field = sl_node_str(node, "id_field");
    if (time_field && time_field[0]) l->time_field = sl_xstrdup(time_field);
    if (id_field && id_field[0]) l->id_field = sl_xstrdup(id_field);
    if (sl_search_layout_check(l, err)) {
        const char *opt = strncmp(err->message, "keyword_fields", 14) == 0 ? "keyword_fields"
                          : strncmp(err->message, "id_field", 8) == 0      ? "id_field"
                          : strncmp(err->message, "time_field", 10) == 0   ? "time_field"
                                                                           : "text_fields";
        return bad_option(err, node, opt);
    }
    return SL_OK;
}

/* Fail early (before any data moves) when appending to an index built with
 * other fields; the merge checks again inside its transaction. */
static int target_prepare(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    drop_staging(d);
    if (d->overwrite) return SL_OK;
    sl_search_layout have;
    sl_error e;
    sl_error_clear(&e);
    int rc = sl_search_index_read_layout(d->path, &have, &e);
    if (rc == SL_ENOTFOUND) return SL_OK;
    if (rc) return *err = e, rc;
    if (!sl_search_layout_equal(&have, &d->layout)) {
        sl_buf msg;
        sl_buf_init(&msg, 0);
        sl_buf_printf(&msg, "search index %s was built with ", d->path);
        layout_text(&msg, &have);
        sl_buf_adds(&msg, "; this job asks for ");
        layout_text(&msg, &d->layout);
        sl_buf_adds(&msg, " (use mode: overwrite to rebuild it)");
        rc = sl_error_set(err, SL_EINVAL, "%s", msg.data);
        sl_buf_free(&msg);
    }
    sl_search_layout_free(&have);
    return rc;
}

typedef struct writer {
    target_data *d;
    sl_node *node;
    sl_run *run;
    size_t slot;
    sl_search_stage *stage; /* the slot's stage: fixed while the slot is busy */
    uint64_t seq_base, ordinal;
    sl_arena scratch;
} writer;

/* <index dir>/_staging-<index>-<node>-<run id>: the node name keeps two
 * targets of one run writing the same index apart (other characters than
 * letters, digits, '.', '-' become '_'). */
static char *staging_dir(const target_data *d, const sl_node *node, const sl_run *run) {
    char *dir = parent_dir(d->path);
    size_t n = strlen(dir) + strlen(d->name) + strlen(node->name) + sizeof run->run_id + 32;
    char *out = sl_xmalloc(n);
    int at = snprintf(out, n, "%s/_staging-%s-", dir, d->name);
    for (const char *c = node->name; *c; c++)
        out[at++] =
            (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'
                ? *c
                : '_';
    snprintf(out + at, n - (size_t)at, "-%s", run->run_id);
    free(dir);
    return out;
}

/* Take a free stage from the pool, creating one when all are busy. */
static int take_slot(target_data *d, sl_node *node, sl_run *run, size_t *out, sl_search_stage **stage, sl_error *err) {
    int rc = SL_OK;
    pthread_mutex_lock(&d->lock);
    if (!d->stage_dir) {
        d->stage_dir = staging_dir(d, node, run);
        rc = sl_mkdirs(d->stage_dir, err);
    }
    size_t i = 0;
    while (!rc && i < d->n_slots && (d->slots[i].busy || !d->slots[i].stage))
        i++;
    if (!rc && i == d->n_slots) {
        d->slots = sl_xrealloc(d->slots, (d->n_slots + 1) * sizeof *d->slots);
        stage_slot *s = &d->slots[d->n_slots];
        memset(s, 0, sizeof *s);
        size_t n = strlen(d->stage_dir) + 32;
        s->path = sl_xmalloc(n);
        snprintf(s->path, n, "%s/stage-%03zu.db", d->stage_dir, d->n_slots);
        d->n_slots++;
        rc = sl_search_stage_open(s->path, &d->layout, &s->stage, err);
    }
    if (!rc) {
        d->slots[i].busy = true;
        *out = i;
        *stage = d->slots[i].stage;
    }
    pthread_mutex_unlock(&d->lock);
    return rc;
}

static void give_slot(target_data *d, size_t i, bool usable) {
    pthread_mutex_lock(&d->lock);
    d->slots[i].busy = false;
    if (!usable) { /* a failed writer: its stage may hold an open transaction */
        sl_search_stage_close(d->slots[i].stage);
        d->slots[i].stage = NULL;
    }
    pthread_mutex_unlock(&d->lock);
}

static int target_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    target_data *d = node->data;
    writer *w = sl_xcalloc(1, sizeof *w);
    int rc = take_slot(d, node, run, &w->slot, &w->stage, err);
    if (rc) {
        free(w);
        return rc;
    }
    w->d = d;
    w->node = node;
    w->run = run;
    w->seq_base = (uint64_t)(split ? split->index : 0) << 40;
    sl_arena_init(&w->scratch);
    *out = w;
    return SL_OK;
}

static int target_write(void *state, sl_batch *b, sl_error *err) {
    writer *w = state;
    sl_search_stage *stage = w->stage;
    int rc = sl_search_stage_begin(stage, err);
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    uint64_t bytes = 0;
    for (size_t i = 0; !rc && i < b->count; i++) {
        uint64_t doc_bytes = 0;
        sl_arena_reset(&w->scratch);
        int r = sl_search_stage_add(stage, w->seq_base + w->ordinal++, &b->records[i], &w->scratch, &doc_bytes, &e);
        if (r == SL_ETYPE) {
            rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
        } else if (r) {
            *err = e;
            rc = r;
        }
        bytes += doc_bytes;
    }
    if (!rc) rc = sl_search_stage_end(stage, err);
    if (!rc) __atomic_fetch_add(&w->node->stats.bytes_out, bytes, __ATOMIC_RELAXED);
    return rc;
}

static void writer_free(writer *w, bool ok) {
    give_slot(w->d, w->slot, ok);
    sl_arena_free(&w->scratch);
    free(w);
}

static int target_close(void *state, sl_error *err) {
    writer_free(state, true);
    return SL_OK;
}

static void target_discard(void *state) { writer_free(state, false); }

static int target_commit(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    const char **paths = sl_xcalloc(d->n_slots ? d->n_slots : 1, sizeof *paths);
    for (size_t i = 0; i < d->n_slots; i++) {
        sl_search_stage_close(d->slots[i].stage); /* all writers are closed: finish the files */
        d->slots[i].stage = NULL;
        paths[i] = d->slots[i].path;
    }
    char *dir = parent_dir(d->path);
    int rc = sl_mkdirs(dir, err);
    free(dir);
    if (!rc)
        rc = sl_search_merge(d->path, d->name, &d->layout, d->overwrite, paths, d->n_slots, run->run_id, NULL, err);
    free(paths);
    drop_staging(d);
    return rc;
}

static void target_abort(sl_node *node, sl_run *run) { drop_staging(node->data); }

const sl_node_type sl_search_index_type = {
    .name = "search_index",
    .kind = SL_NODE_TARGET,
    .summary = "index records for full-text search in an embedded SQLite FTS5 file (`sluice search`)",
    .help = "The zero-server search index: one SQLite file per index (default ./data/search/<index>.db) with "
            "full-text search over text_fields, exact matches on keyword_fields, a time for ranges and sorting, "
            "and the whole record stored as JSON. Query it with `sluice search INDEX 'words field:value'` (see "
            "docs/search.md). Documents appear only when the run succeeds: workers stage rows in private files "
            "next to the index and the commit merges them in one SQLite transaction, so a failed run leaves the "
            "index exactly as it was. With id_field a re-run replaces documents instead of duplicating them.",
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
    .commit = target_commit,
    .abort = target_abort,
};
