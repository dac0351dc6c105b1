/*
 * catalog.c — the data catalog store (catalog.h) in one SQLite file.
 *
 * ---- The catalog file (schema version 1) ----
 *
 * A SQLite database with PRAGMA application_id = 0x534C4354 ("SLCT") and
 * PRAGMA user_version = the schema version, WAL journal, foreign keys on.
 * Objects are stored as their Glue JSON document (catalog_json.c) in a
 * `doc` column; the columns beside it are the keys and the few fields that
 * queries need, and win over the document when they disagree (they are
 * written together, in one statement). Times are epoch milliseconds.
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *       format = "sluice-catalog", created_at (ISO 8601 UTC).
 *   databases(id INTEGER PRIMARY KEY, name TEXT UNIQUE, create_time, doc)
 *       doc: Glue Database.
 *   tables(id INTEGER PRIMARY KEY, database_id → databases ON DELETE CASCADE,
 *          name, version, create_time, update_time, deprecated_time (NULL =
 *          not deprecated), location, classification, doc,
 *          UNIQUE(database_id, name))
 *       doc: Glue Table of the current version.
 *   table_versions(table_id → tables ON DELETE CASCADE, version,
 *                  update_time, doc, PRIMARY KEY(table_id, version))
 *       every kept version, the current one included (so GetTableVersions
 *       is one query); doc: Glue Table as it was.
 *   partitions(id INTEGER PRIMARY KEY, table_id → tables ON DELETE CASCADE,
 *              values_key, location, create_time, doc,
 *              UNIQUE(table_id, values_key))
 *       values_key: the values joined with U+001F, so that ordering by it
 *       orders key by key and a prefix of values is a range
 *       [P + "\x1f", P + "\x20"). Values may not hold control characters.
 *       doc: Glue Partition.
 *   connections(name TEXT PRIMARY KEY, type, create_time, update_time, doc)
 *       doc: Glue Connection; never a secret (sl_catalog_connection_check).
 *   crawlers(name TEXT PRIMARY KEY, definition, create_time, update_time)
 *   crawler_state(crawler, key, value, update_time, PRIMARY KEY(crawler, key))
 *   crawls(id INTEGER PRIMARY KEY AUTOINCREMENT, crawler, start_time,
 *          end_time, status, message, tables_created, tables_updated,
 *          tables_deprecated, tables_deleted, partitions_added,
 *          partitions_updated, partitions_removed, changes (JSON array))
 *
 * ---- Migrations ----
 *
 * MIGRATIONS[i] takes a catalog from schema version i to i + 1. Opening
 * applies the missing steps in order, each in its own BEGIN IMMEDIATE
 * transaction that re-reads user_version first, so two processes opening
 * an old catalog at once migrate it once. A file whose user_version is
 * above SL_CATALOG_SCHEMA_VERSION was written by a newer sluice and is
 * refused (nothing is written to it). A file with user_version 0 must be
 * empty (a new file); any other SQLite file is "not a sluice catalog".
 * Steps are append-only: a released step is never edited.
 *
 * ---- Concurrency ----
 *
 * Writers take the write lock up front (BEGIN IMMEDIATE) so a transaction
 * never has to upgrade a read snapshot (which WAL cannot do once another
 * writer has committed); they wait up to BUSY_TIMEOUT_MS for each other.
 * Readers never block and are never blocked (WAL).
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/json.h"

#define APPLICATION_ID 0x534C4354 /* "SLCT" */
#define BUSY_TIMEOUT_MS 60000
#define MAX_NAME_BYTES 255

static const char *const MIGRATIONS[] = {
    /* 0 → 1: the first layout */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE databases(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  create_time INTEGER NOT NULL, doc TEXT NOT NULL);"
    "CREATE TABLE tables(id INTEGER PRIMARY KEY,"
    "  database_id INTEGER NOT NULL REFERENCES databases(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL, version INTEGER NOT NULL, create_time INTEGER NOT NULL,"
    "  update_time INTEGER NOT NULL, deprecated_time INTEGER, location TEXT, classification TEXT,"
    "  doc TEXT NOT NULL, UNIQUE(database_id, name));"
    "CREATE TABLE table_versions(table_id INTEGER NOT NULL REFERENCES tables(id) ON DELETE CASCADE,"
    "  version INTEGER NOT NULL, update_time INTEGER NOT NULL, doc TEXT NOT NULL,"
    "  PRIMARY KEY(table_id, version)) WITHOUT ROWID;"
    "CREATE TABLE partitions(id INTEGER PRIMARY KEY,"
    "  table_id INTEGER NOT NULL REFERENCES tables(id) ON DELETE CASCADE,"
    "  values_key TEXT NOT NULL, location TEXT, create_time INTEGER NOT NULL, doc TEXT NOT NULL,"
    "  UNIQUE(table_id, values_key));"
    "CREATE TABLE connections(name TEXT PRIMARY KEY, type TEXT, create_time INTEGER NOT NULL,"
    "  update_time INTEGER NOT NULL, doc TEXT NOT NULL);"
    "CREATE TABLE crawlers(name TEXT PRIMARY KEY, definition TEXT NOT NULL,"
    "  create_time INTEGER NOT NULL, update_time INTEGER NOT NULL);"
    "CREATE TABLE crawler_state(crawler TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    "  update_time INTEGER NOT NULL, PRIMARY KEY(crawler, key)) WITHOUT ROWID;"
    "CREATE TABLE crawls(id INTEGER PRIMARY KEY AUTOINCREMENT, crawler TEXT NOT NULL,"
    "  start_time INTEGER NOT NULL, end_time INTEGER, status TEXT NOT NULL, message TEXT,"
    "  tables_created INTEGER NOT NULL DEFAULT 0, tables_updated INTEGER NOT NULL DEFAULT 0,"
    "  tables_deprecated INTEGER NOT NULL DEFAULT 0, tables_deleted INTEGER NOT NULL DEFAULT 0,"
    "  partitions_added INTEGER NOT NULL DEFAULT 0, partitions_updated INTEGER NOT NULL DEFAULT 0,"
    "  partitions_removed INTEGER NOT NULL DEFAULT 0, changes TEXT NOT NULL DEFAULT '[]');"
    "CREATE INDEX crawls_by_crawler ON crawls(crawler, id);"
    "INSERT INTO meta(key, value) VALUES('format', 'sluice-catalog'),"
    "  ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"
    "PRAGMA application_id = 1397506900;",
};

_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == SL_CATALOG_SCHEMA_VERSION,
               "one migration step per schema version");
_Static_assert(APPLICATION_ID == 1397506900, "application_id in the first migration");

struct sl_catalog {
    sqlite3 *db;
    char *path;
    int depth; /* open transaction levels (begin/savepoints) */
};

const char *sl_catalog_path(const sl_catalog *cat) { return cat->path; }

/* ================================================================== */
/* SQLite helpers                                                      */
/* ================================================================== */

/* Turn a SQLite failure into an sl_error naming the file. */
static int db_fail(sl_catalog *cat, int sqlite_rc, const char *doing, sl_error *err) {
    const char *msg = cat->db ? sqlite3_errmsg(cat->db) : sqlite3_errstr(sqlite_rc);
    switch (sqlite_rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return sl_error_set(err, SL_EIO, "%s is not a sluice catalog or is damaged: %s", cat->path, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return sl_error_set(err, SL_EIO, "catalog %s: %s: another process kept it locked too long (%s)", cat->path,
                            doing, msg);
    case SQLITE_NOMEM: return sl_error_set(err, SL_ENOMEM, "catalog %s: %s: out of memory", cat->path, doing);
    default: return sl_error_set(err, SL_EIO, "catalog %s: %s: %s", cat->path, doing, msg);
    }
}

static int exec_sql(sl_catalog *cat, const char *sql, const char *doing, sl_error *err) {
    int rc = sqlite3_exec(cat->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SL_OK : db_fail(cat, rc, doing, err);
}

static int prepare(sl_catalog *cat, const char *sql, sqlite3_stmt **st, sl_error *err) {
    int rc = sqlite3_prepare_v2(cat->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? SL_OK : db_fail(cat, rc, "preparing a query", err);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s) {
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Step: 1 = a row, 0 = done, < 0 = error (filled). */
static int step(sl_catalog *cat, sqlite3_stmt *st, const char *doing, sl_error *err) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    return db_fail(cat, rc, doing, err);
}

/* Run a statement that returns no rows, then finalize it. */
static int run_done(sl_catalog *cat, sqlite3_stmt *st, const char *doing, sl_error *err) {
    int rc = step(cat, st, doing, err);
    sqlite3_finalize(st);
    return rc < 0 ? rc : SL_OK;
}

static char *col_dup(sqlite3_stmt *st, int i) {
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? sl_xstrdup((const char *)s) : NULL;
}

/* Fills item (one struct of what is being read, zeroed) from the current
 * row of st; ctx is the caller's. */
typedef int row_loader(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err);

/* Step the bound statement st to its end, appending an item of item_size
 * bytes per row to *items (a growing array, *count of them) filled by load;
 * finalizes st. On error the items loaded so far stay for the caller to
 * free. */
static int load_rows(sl_catalog *cat, sqlite3_stmt *st, const char *doing, row_loader *load, const void *ctx,
                     size_t item_size, void **items, size_t *count, sl_error *err) {
    char *array = *items;
    size_t cap = *count;
    int rc;
    while ((rc = step(cat, st, doing, err)) == 1) {
        if (*count == cap) array = sl_xrealloc(array, (cap = cap ? cap * 2 : 8) * item_size);
        void *item = array + *count * item_size;
        memset(item, 0, item_size);
        if ((rc = load(cat, st, ctx, item, err))) break;
        (*count)++;
    }
    sqlite3_finalize(st);
    *items = array;
    return rc;
}

/* Load the row of the query sql whose ?1 is name into item; SL_ENOTFOUND
 * ("<kind> 'name' not found") when there is none. */
static int load_named(sl_catalog *cat, const char *sql, const char *kind, const char *name, row_loader *load,
                      void *item, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat, sql, &st, err);
    if (rc) return rc;
    bind_text(st, 1, name);
    char doing[64];
    snprintf(doing, sizeof doing, "reading a %s", kind);
    rc = step(cat, st, doing, err);
    if (rc == 1)
        rc = load(cat, st, NULL, item, err);
    else if (rc == 0)
        rc = sl_error_set(err, SL_ENOTFOUND, "%s '%s' not found", kind, name);
    sqlite3_finalize(st);
    return rc;
}

/* ---- transactions (nesting with savepoints) ---- */

static int tx_begin(sl_catalog *cat, sl_error *err) {
    char sql[48];
    if (cat->depth == 0)
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT sl%d", cat->depth);
    int rc = exec_sql(cat, sql, "starting a transaction", err);
    if (!rc) cat->depth++;
    return rc;
}

/* End the innermost level: commit/release when status is 0, else undo.
 * Returns status, or the commit's failure. */
static int tx_end(sl_catalog *cat, int status, sl_error *err) {
    if (cat->depth <= 0) return status;
    cat->depth--;
    char sql[64];
    if (!status) {
        if (cat->depth == 0)
            snprintf(sql, sizeof sql, "COMMIT");
        else
            snprintf(sql, sizeof sql, "RELEASE sl%d", cat->depth);
        status = exec_sql(cat, sql, "committing", err);
        if (!status) return SL_OK;
    }
    if (cat->depth == 0)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO sl%d; RELEASE sl%d", cat->depth, cat->depth);
    sqlite3_exec(cat->db, sql, NULL, NULL, NULL); /* may fail when SQLite already rolled back */
    return status;
}

int sl_catalog_begin(sl_catalog *cat, sl_error *err) { return tx_begin(cat, err); }

int sl_catalog_commit(sl_catalog *cat, sl_error *err) {
    if (cat->depth <= 0) return sl_error_set(err, SL_EINVAL, "catalog %s: commit without begin", cat->path);
    return tx_end(cat, SL_OK, err);
}

void sl_catalog_rollback(sl_catalog *cat) { tx_end(cat, SL_EINVAL, NULL); }

/* ================================================================== */
/* Opening and migrations                                              */
/* ================================================================== */

static int pragma_int(sl_catalog *cat, const char *sql, int64_t *out, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat, sql, &st, err);
    if (rc) return rc;
    rc = step(cat, st, "reading the catalog header", err);
    if (rc == 1) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc < 0 ? rc : SL_OK;
}

static int check_identity(sl_catalog *cat, sl_error *err) {
    int64_t version = 0, app = 0, objects = 0;
    int rc = pragma_int(cat, "PRAGMA user_version", &version, err);
    if (!rc) rc = pragma_int(cat, "PRAGMA application_id", &app, err);
    if (!rc) rc = pragma_int(cat, "SELECT count(*) FROM sqlite_master", &objects, err);
    if (rc) return rc;
    if (version == 0 && objects == 0) return SL_OK; /* a new, empty file */
    if (app != APPLICATION_ID || version == 0)
        return sl_error_set(err, SL_EIO,
                            "%s is not a sluice catalog or is damaged: it is a SQLite database of another "
                            "program",
                            cat->path);
    if (version > SL_CATALOG_SCHEMA_VERSION)
        return sl_error_set(err, SL_EIO,
                            "%s was written by a newer sluice (catalog schema %" PRId64
                            ", this sluice knows up to %d); upgrade sluice to use it",
                            cat->path, version, SL_CATALOG_SCHEMA_VERSION);
    return SL_OK;
}

static int migrate(sl_catalog *cat, sl_error *err) {
    for (;;) {
        int64_t version = 0;
        int rc = tx_begin(cat, err);
        if (rc) return rc;
        rc = pragma_int(cat, "PRAGMA user_version", &version, err);
        if (!rc && version > SL_CATALOG_SCHEMA_VERSION) rc = check_identity(cat, err);
        if (rc || version >= SL_CATALOG_SCHEMA_VERSION) return tx_end(cat, rc, err);
        char doing[64];
        snprintf(doing, sizeof doing, "migrating to catalog schema %d", (int)version + 1);
        rc = exec_sql(cat, MIGRATIONS[version], doing, err);
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", (int)version + 1);
        if (!rc) rc = exec_sql(cat, sql, doing, err);
        rc = tx_end(cat, rc, err);
        if (rc) return rc;
    }
}

static int make_parent_dir(const char *path, sl_error *err) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return SL_OK;
    char *dir = sl_xstrndup(path, (size_t)(slash - path));
    int rc = sl_is_dir(dir) ? SL_OK : sl_mkdirs(dir, err);
    free(dir);
    return rc;
}

int sl_catalog_open(const char *path, unsigned flags, sl_catalog **out, sl_error *err) {
    *out = NULL;
    if (!path || !*path) path = sl_catalog_default_path();
    if (flags & SL_CATALOG_OPEN_EXISTING) {
        if (!sl_exists(path)) return sl_error_set(err, SL_ENOTFOUND, "no catalog at %s", path);
    } else {
        int rc = make_parent_dir(path, err);
        if (rc) return rc;
    }
    if (sl_is_dir(path)) return sl_error_set(err, SL_EIO, "catalog %s is a directory, not a file", path);
    sl_catalog *cat = sl_xcalloc(1, sizeof *cat);
    cat->path = sl_xstrdup(path);
    int sflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
    if (!(flags & SL_CATALOG_OPEN_EXISTING)) sflags |= SQLITE_OPEN_CREATE;
    int src = sqlite3_open_v2(path, &cat->db, sflags, NULL);
    int rc = SL_OK;
    if (src != SQLITE_OK) {
        rc = sl_error_set(err, SL_EIO, "cannot open catalog %s: %s", path,
                          cat->db ? sqlite3_errmsg(cat->db) : sqlite3_errstr(src));
        goto fail;
    }
    sqlite3_extended_result_codes(cat->db, 1);
    sqlite3_busy_timeout(cat->db, BUSY_TIMEOUT_MS);
    if ((rc = check_identity(cat, err))) goto fail;
    if ((rc = exec_sql(cat, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON", "opening", err))) goto fail;
    if ((rc = migrate(cat, err))) goto fail;
    *out = cat;
    return SL_OK;
fail:
    sl_catalog_close(cat);
    return rc;
}

void sl_catalog_close(sl_catalog *cat) {
    if (!cat) return;
    while (cat->depth > 0)
        sl_catalog_rollback(cat);
    sqlite3_close_v2(cat->db);
    free(cat->path);
    free(cat);
}

/* ================================================================== */
/* Names                                                               */
/* ================================================================== */

static int check_name(const char *kind, const char *name, sl_error *err) {
    if (!name || !*name) return sl_error_set(err, SL_EINVAL, "%s name is empty", kind);
    size_t n = strlen(name);
    if (n > MAX_NAME_BYTES)
        return sl_error_set(err, SL_EINVAL, "%s name '%.40s…' is longer than %d bytes", kind, name, MAX_NAME_BYTES);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return sl_error_set(err, SL_EINVAL, "%s name '%s' holds a control character", kind, name);
    return SL_OK;
}

/* Lower-case copy (ASCII), as Glue stores database and table names. */
static char *lower_dup(const char *s) {
    char *out = sl_xstrdup(s ? s : "");
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return out;
}

/* ================================================================== */
/* Databases                                                           */
/* ================================================================== */

static char *database_doc(const sl_catalog_database *db, const char *name, int64_t create_time) {
    sl_catalog_database tmp = *db;
    tmp.name = (char *)name;
    tmp.create_time = create_time;
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_catalog_database_json(&tmp, &b);
    return sl_buf_detach(&b);
}

int sl_catalog_create_database(sl_catalog *cat, const sl_catalog_database *db, unsigned flags, sl_error *err) {
    int rc = check_name("database", db->name, err);
    if (!rc) rc = sl_catalog_check_extra(db->extra_json, "database", err);
    if (rc) return rc;
    char *name = lower_dup(db->name);
    int64_t now = sl_catalog_now_ms();
    char *doc = database_doc(db, name, now);
    sqlite3_stmt *st;
    rc = prepare(cat, "INSERT INTO databases(name, create_time, doc) VALUES(?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
                 &st, err);
    if (!rc) {
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, now);
        bind_text(st, 3, doc);
        rc = run_done(cat, st, "creating a database", err);
    }
    if (!rc && sqlite3_changes(cat->db) == 0 && !(flags & SL_CATALOG_IF_NOT_EXISTS))
        rc = sl_error_set(err, SL_EINVAL, "database '%s' already exists", name);
    free(doc);
    free(name);
    return rc;
}

static int load_database(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    /* columns: name, create_time, doc */
    sl_catalog_database *out = item;
    const char *doc = (const char *)sqlite3_column_text(st, 2);
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_catalog_database_from_json(doc ? doc : "", doc ? strlen(doc) : 0, out, &perr))
        return sl_error_set(err, SL_EIO, "catalog %s: database '%s' has a damaged definition: %s", cat->path,
                            sqlite3_column_text(st, 0), perr.message);
    free(out->name);
    out->name = col_dup(st, 0);
    out->create_time = sqlite3_column_int64(st, 1);
    return SL_OK;
}

int sl_catalog_get_database(sl_catalog *cat, const char *name, sl_catalog_database *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    char *lname = lower_dup(name);
    int rc = load_named(cat, "SELECT name, create_time, doc FROM databases WHERE name = ?1", "database", lname,
                        load_database, out, err);
    free(lname);
    return rc;
}

int sl_catalog_list_databases(sl_catalog *cat, sl_catalog_database_list *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = prepare(cat, "SELECT name, create_time, doc FROM databases ORDER BY name", &st, err);
    if (rc) return rc;
    void *items = NULL;
    rc = load_rows(cat, st, "listing databases", load_database, NULL, sizeof *out->items, &items, &out->count, err);
    out->items = items;
    if (rc) sl_catalog_database_list_free(out);
    return rc;
}

int sl_catalog_update_database(sl_catalog *cat, const sl_catalog_database *db, sl_error *err) {
    int rc = check_name("database", db->name, err);
    if (!rc) rc = sl_catalog_check_extra(db->extra_json, "database", err);
    if (rc) return rc;
    if ((rc = tx_begin(cat, err))) return rc;
    sl_catalog_database old;
    rc = sl_catalog_get_database(cat, db->name, &old, err);
    if (!rc) {
        char *doc = database_doc(db, old.name, old.create_time);
        sqlite3_stmt *st;
        rc = prepare(cat, "UPDATE databases SET doc = ?2 WHERE name = ?1", &st, err);
        if (!rc) {
            bind_text(st, 1, old.name);
            bind_text(st, 2, doc);
            rc = run_done(cat, st, "updating a database", err);
        }
        free(doc);
        sl_catalog_database_free(&old);
    }
    return tx_end(cat, rc, err);
}

static int database_id(sl_catalog *cat, const char *lname, int64_t *id, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat, "SELECT id FROM databases WHERE name = ?1", &st, err);
    if (rc) return rc;
    bind_text(st, 1, lname);
    rc = step(cat, st, "reading a database", err);
    if (rc == 1) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == 0) return sl_error_set(err, SL_ENOTFOUND, "database '%s' not found", lname);
    return rc < 0 ? rc : SL_OK;
}

static int count_query(sl_catalog *cat, const char *sql, int64_t id, int64_t *count, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat, sql, &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = step(cat, st, "counting", err);
    if (rc == 1) *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc < 0 ? rc : SL_OK;
}

int sl_catalog_delete_database(sl_catalog *cat, const char *name, bool cascade, sl_error *err) {
    char *lname = lower_dup(name);
    int rc = tx_begin(cat, err);
    if (rc) goto out;
    int64_t id = 0, tables = 0;
    rc = database_id(cat, lname, &id, err);
    if (!rc && !cascade) rc = count_query(cat, "SELECT count(*) FROM tables WHERE database_id = ?1", id, &tables, err);
    if (!rc && tables > 0)
        rc = sl_error_set(err, SL_EINVAL, "database '%s' holds %" PRId64 " table%s", lname, tables,
                          tables == 1 ? "" : "s");
    if (!rc) {
        sqlite3_stmt *st;
        rc = prepare(cat, "DELETE FROM databases WHERE id = ?1", &st, err);
        if (!rc) {
            sqlite3_bind_int64(st, 1, id);
            rc = run_done(cat, st, "deleting a database", err);
        }
    }
    rc = tx_end(cat, rc, err);
out:
    free(lname);
    return rc;
}

/* ================================================================== */
/* Tables                                                              */
/* ================================================================== */

static int check_columns(const char *what, const char *kind, const sl_catalog_columns *c, sl_error *err) {
    for (size_t i = 0; i < c->count; i++)
        if (!c->items[i].name || !*c->items[i].name)
            return sl_error_set(err, SL_EINVAL, "%s: %s %zu has no name", what, kind, i + 1);
    return SL_OK;
}

static int check_table(const sl_catalog_table *t, sl_error *err) {
    int rc = check_name("database", t->database, err);
    if (!rc) rc = check_name("table", t->name, err);
    if (rc) return rc;
    char what[600];
    snprintf(what, sizeof what, "table '%s.%s'", t->database, t->name);
    if (!rc) rc = check_columns(what, "column", &t->sd.columns, err);
    if (!rc) rc = check_columns(what, "partition key", &t->partition_keys, err);
    if (!rc) rc = sl_catalog_check_extra(t->extra_json, what, err);
    if (!rc) rc = sl_catalog_check_extra(t->sd.extra_json, what, err);
    return rc;
}

/* The document of t as stored: names, times and version as given. */
static char *table_doc(const sl_catalog_table *t) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_catalog_table_json(t, &b);
    return sl_buf_detach(&b);
}

/* Columns selected for load_table (with the alias t for tables, d for
 * databases). */
#define TABLE_COLUMNS "d.name, t.name, t.version, t.create_time, t.update_time, t.deprecated_time, t.doc"

static int load_table(sl_catalog *cat, sqlite3_stmt *st, int doc_col, sl_catalog_table *out, sl_error *err) {
    const char *doc = (const char *)sqlite3_column_text(st, doc_col);
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_catalog_table_from_json(doc ? doc : "", doc ? strlen(doc) : 0, out, &perr))
        return sl_error_set(err, SL_EIO, "catalog %s: table '%s.%s' has a damaged definition: %s", cat->path,
                            sqlite3_column_text(st, 0), sqlite3_column_text(st, 1), perr.message);
    free(out->database);
    free(out->name);
    out->database = col_dup(st, 0);
    out->name = col_dup(st, 1);
    return SL_OK;
}

/* load_table for a TABLE_COLUMNS row: the row's columns win over the doc. */
static int load_current_table(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    sl_catalog_table *out = item;
    int rc = load_table(cat, st, 6, out, err);
    if (rc) return rc;
    out->version_id = sqlite3_column_int64(st, 2);
    out->create_time = sqlite3_column_int64(st, 3);
    out->update_time = sqlite3_column_int64(st, 4);
    out->deprecated = sqlite3_column_type(st, 5) != SQLITE_NULL;
    out->deprecated_time = out->deprecated ? sqlite3_column_int64(st, 5) : 0;
    return SL_OK;
}

/* Find a table: its id, version and create time. SL_ENOTFOUND names the
 * database when that is what is missing. */
static int find_table(sl_catalog *cat, const char *ldb, const char *lname, int64_t *id, int64_t *version,
                      int64_t *create_time, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat,
                     "SELECT t.id, t.version, t.create_time FROM tables t JOIN databases d ON d.id = t.database_id"
                     " WHERE d.name = ?1 AND t.name = ?2",
                     &st, err);
    if (rc) return rc;
    bind_text(st, 1, ldb);
    bind_text(st, 2, lname);
    rc = step(cat, st, "reading a table", err);
    if (rc == 1) {
        *id = sqlite3_column_int64(st, 0);
        if (version) *version = sqlite3_column_int64(st, 1);
        if (create_time) *create_time = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        int64_t db_id;
        rc = database_id(cat, ldb, &db_id, err);
        if (!rc) rc = sl_error_set(err, SL_ENOTFOUND, "table '%s.%s' not found", ldb, lname);
        return rc;
    }
    return rc < 0 ? rc : SL_OK;
}

static const char *classification_of(const sl_catalog_table *t) {
    return sl_catalog_params_get(&t->parameters, "classification");
}

static int put_version(sl_catalog *cat, int64_t table_id, int64_t version, int64_t now, const char *doc,
                       sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat,
                     "INSERT OR REPLACE INTO table_versions(table_id, version, update_time, doc)"
                     " VALUES(?1, ?2, ?3, ?4)",
                     &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, table_id);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, now);
    bind_text(st, 4, doc);
    return run_done(cat, st, "keeping a table version", err);
}

/* Create table t (create) or store t as its next version (SKIP_ARCHIVE in
 * flags: as its current one), keeping the document in table_versions. */
static int save_table(sl_catalog *cat, const sl_catalog_table *t, bool create, unsigned flags, int64_t *new_version,
                      sl_error *err) {
    int rc = check_table(t, err);
    if (rc) return rc;
    char *ldb = lower_dup(t->database), *lname = lower_dup(t->name), *doc = NULL;
    int64_t now = sl_catalog_now_ms(), db_id = 0, table_id = 0, version = 0, create_time = now;
    if ((rc = tx_begin(cat, err))) goto out;
    if (create) {
        rc = database_id(cat, ldb, &db_id, err);
        if (!rc) {
            int64_t existing;
            rc = find_table(cat, ldb, lname, &existing, NULL, NULL, err);
            if (!rc)
                rc = sl_error_set(err, SL_EINVAL, "table '%s.%s' already exists", ldb, lname);
            else if (rc == SL_ENOTFOUND)
                rc = SL_OK;
        }
    } else {
        rc = find_table(cat, ldb, lname, &table_id, &version, &create_time, err);
        if (!rc && !(flags & SL_CATALOG_SKIP_ARCHIVE)) version++;
    }
    if (!rc) {
        sl_catalog_table tmp = *t;
        tmp.database = ldb;
        tmp.name = lname;
        tmp.table_type = t->table_type ? t->table_type : "EXTERNAL_TABLE";
        tmp.create_time = create_time;
        tmp.update_time = now;
        tmp.version_id = version;
        if (tmp.deprecated && !tmp.deprecated_time) tmp.deprecated_time = now;
        if (!tmp.deprecated) tmp.deprecated_time = 0;
        doc = table_doc(&tmp);
        /* ?1 the database (create) or the table (update), ?2 name, ?3 version, ?4 now */
        sqlite3_stmt *st;
        rc =
            prepare(cat,
                    create ? "INSERT INTO tables(database_id, name, version, create_time, update_time, deprecated_time,"
                             " location, classification, doc) VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)"
                           : "UPDATE tables SET version = ?3, update_time = ?4, deprecated_time = ?5, location = ?6,"
                             " classification = ?7, doc = ?8 WHERE id = ?1",
                    &st, err);
        if (!rc) {
            sqlite3_bind_int64(st, 1, create ? db_id : table_id);
            bind_text(st, 2, lname);
            sqlite3_bind_int64(st, 3, version);
            sqlite3_bind_int64(st, 4, now);
            if (tmp.deprecated)
                sqlite3_bind_int64(st, 5, tmp.deprecated_time);
            else
                sqlite3_bind_null(st, 5);
            bind_text(st, 6, t->sd.location);
            bind_text(st, 7, classification_of(t));
            bind_text(st, 8, doc);
            rc = run_done(cat, st, create ? "creating a table" : "updating a table", err);
            if (create) table_id = sqlite3_last_insert_rowid(cat->db);
        }
    }
    if (!rc) rc = put_version(cat, table_id, version, now, doc, err);
    rc = tx_end(cat, rc, err);
    if (!rc && new_version) *new_version = version;
out:
    free(doc);
    free(ldb);
    free(lname);
    return rc;
}

int sl_catalog_create_table(sl_catalog *cat, const sl_catalog_table *t, sl_error *err) {
    return save_table(cat, t, true, 0, NULL, err);
}

int sl_catalog_update_table(sl_catalog *cat, const sl_catalog_table *t, unsigned flags, int64_t *new_version,
                            sl_error *err) {
    return save_table(cat, t, false, flags, new_version, err);
}

int sl_catalog_get_table(sl_catalog *cat, const char *database, const char *name, sl_catalog_table *out,
                         sl_error *err) {
    memset(out, 0, sizeof *out);
    char *ldb = lower_dup(database), *lname = lower_dup(name);
    sqlite3_stmt *st;
    int rc = prepare(cat,
                     "SELECT " TABLE_COLUMNS " FROM tables t JOIN databases d ON d.id = t.database_id"
                     " WHERE d.name = ?1 AND t.name = ?2",
                     &st, err);
    if (!rc) {
        bind_text(st, 1, ldb);
        bind_text(st, 2, lname);
        rc = step(cat, st, "reading a table", err);
        if (rc == 1) rc = load_current_table(cat, st, NULL, out, err);
        sqlite3_finalize(st);
        if (rc == 0 && !out->name) {
            int64_t id;
            rc = find_table(cat, ldb, lname, &id, NULL, NULL, err);
            if (!rc) rc = sl_error_set(err, SL_ENOTFOUND, "table '%s.%s' not found", ldb, lname);
        }
    }
    free(ldb);
    free(lname);
    return rc;
}

int sl_catalog_list_tables(sl_catalog *cat, const char *database, sl_catalog_table_list *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    char *ldb = lower_dup(database);
    int64_t db_id;
    int rc = database_id(cat, ldb, &db_id, err);
    sqlite3_stmt *st = NULL;
    if (!rc)
        rc = prepare(cat,
                     "SELECT " TABLE_COLUMNS " FROM tables t JOIN databases d ON d.id = t.database_id"
                     " WHERE d.id = ?1 ORDER BY t.name",
                     &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, db_id);
        void *items = NULL;
        rc = load_rows(cat, st, "listing tables", load_current_table, NULL, sizeof *out->items, &items, &out->count,
                       err);
        out->items = items;
    }
    if (rc) sl_catalog_table_list_free(out);
    free(ldb);
    return rc;
}

int sl_catalog_deprecate_table(sl_catalog *cat, const char *database, const char *name, bool deprecated,
                               sl_error *err) {
    int rc = tx_begin(cat, err);
    if (rc) return rc;
    sl_catalog_table t;
    rc = sl_catalog_get_table(cat, database, name, &t, err);
    if (!rc && t.deprecated != deprecated) {
        t.deprecated = deprecated;
        t.deprecated_time = deprecated ? sl_catalog_now_ms() : 0;
        rc = sl_catalog_update_table(cat, &t, SL_CATALOG_SKIP_ARCHIVE, NULL, err);
    }
    sl_catalog_table_free(&t);
    return tx_end(cat, rc, err);
}

int sl_catalog_delete_table(sl_catalog *cat, const char *database, const char *name, sl_error *err) {
    char *ldb = lower_dup(database), *lname = lower_dup(name);
    int64_t id = 0;
    int rc = tx_begin(cat, err);
    if (rc) goto out;
    rc = find_table(cat, ldb, lname, &id, NULL, NULL, err);
    if (!rc) {
        sqlite3_stmt *st;
        rc = prepare(cat, "DELETE FROM tables WHERE id = ?1", &st, err);
        if (!rc) {
            sqlite3_bind_int64(st, 1, id);
            rc = run_done(cat, st, "deleting a table", err);
        }
    }
    rc = tx_end(cat, rc, err);
out:
    free(ldb);
    free(lname);
    return rc;
}

/* load_table for a row of query_versions: database, table, version, doc. */
static int load_table_version(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    sl_catalog_table *out = item;
    int rc = load_table(cat, st, 3, out, err);
    if (!rc) out->version_id = sqlite3_column_int64(st, 2);
    return rc;
}

/* The versions of a table (only one when only_version >= 0). */
static int query_versions(sl_catalog *cat, const char *database, const char *name, int64_t only_version,
                          sl_catalog_table_list *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    char *ldb = lower_dup(database), *lname = lower_dup(name);
    int64_t id = 0;
    int rc = find_table(cat, ldb, lname, &id, NULL, NULL, err);
    sqlite3_stmt *st = NULL;
    if (!rc)
        rc = prepare(cat,
                     "SELECT ?2, ?3, v.version, v.doc FROM table_versions v WHERE v.table_id = ?1"
                     " AND (?4 < 0 OR v.version = ?4) ORDER BY v.version",
                     &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, ldb);
        bind_text(st, 3, lname);
        sqlite3_bind_int64(st, 4, only_version);
        void *items = NULL;
        rc = load_rows(cat, st, "listing table versions", load_table_version, NULL, sizeof *out->items, &items,
                       &out->count, err);
        out->items = items;
    }
    if (rc) sl_catalog_table_list_free(out);
    free(ldb);
    free(lname);
    return rc;
}

int sl_catalog_list_table_versions(sl_catalog *cat, const char *database, const char *name, sl_catalog_table_list *out,
                                   sl_error *err) {
    return query_versions(cat, database, name, -1, out, err);
}

int sl_catalog_get_table_version(sl_catalog *cat, const char *database, const char *name, int64_t version,
                                 sl_catalog_table *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    if (version < 0) return sl_error_set(err, SL_EINVAL, "table version %" PRId64 " is negative", version);
    sl_catalog_table_list l;
    int rc = query_versions(cat, database, name, version, &l, err);
    if (rc) return rc;
    if (!l.count) {
        rc = sl_error_set(err, SL_ENOTFOUND, "table '%s.%s' has no version %" PRId64, database, name, version);
    } else {
        *out = l.items[0];
        memset(&l.items[0], 0, sizeof l.items[0]);
    }
    sl_catalog_table_list_free(&l);
    return rc;
}

/* ================================================================== */
/* Partitions                                                          */
/* ================================================================== */

#define KEY_SEP '\x1f'

/* values joined with KEY_SEP; SL_EINVAL when a value holds a control
 * character (which would break the ordering and the prefix ranges). */
static int values_key(const char *const *values, size_t n, char **out, sl_error *err) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_buf_adds(&b, ""); /* data non-NULL even for no values */
    for (size_t i = 0; i < n; i++) {
        const char *v = values[i] ? values[i] : "";
        for (const char *p = v; *p; p++)
            if ((unsigned char)*p < 0x20) {
                sl_buf_free(&b);
                return sl_error_set(err, SL_EINVAL, "partition value '%s' holds a control character", v);
            }
        if (i) sl_buf_addc(&b, KEY_SEP);
        sl_buf_adds(&b, v);
    }
    *out = sl_buf_detach(&b);
    return SL_OK;
}

static void describe_values(const char *const *values, size_t n, char *out, size_t size) {
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && len + 1 < size; i++) {
        int w = snprintf(out + len, size - len, "%s%s", i ? "/" : "", values[i] ? values[i] : "");
        if (w < 0) break;
        len += (size_t)w;
    }
    if (len >= size) len = size - 1;
}

static char *partition_doc(const sl_catalog_partition *p, const char *ldb, const char *ltable, int64_t create_time) {
    sl_catalog_partition tmp = *p;
    tmp.database = (char *)ldb;
    tmp.table = (char *)ltable;
    tmp.create_time = create_time;
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_catalog_partition_json(&tmp, &b);
    return sl_buf_detach(&b);
}

typedef struct partition_stmts {
    sqlite3_stmt *find, *insert, *update;
} partition_stmts;

static int add_one_partition(sl_catalog *cat, partition_stmts *ps, int64_t table_id, const char *ldb,
                             const char *ltable, size_t n_keys, const sl_catalog_partition *p,
                             sl_catalog_exists existing, int64_t now, size_t *added, size_t *updated, sl_error *err) {
    char desc[256];
    describe_values((const char *const *)p->values, p->n_values, desc, sizeof desc);
    if (p->n_values != n_keys)
        return sl_error_set(err, SL_EINVAL,
                            "partition '%s' of table '%s.%s' has %zu value%s; the table has %zu partition key%s", desc,
                            ldb, ltable, p->n_values, p->n_values == 1 ? "" : "s", n_keys, n_keys == 1 ? "" : "s");
    char what[600];
    snprintf(what, sizeof what, "partition '%s' of table '%s.%s'", desc, ldb, ltable);
    int rc = sl_catalog_check_extra(p->extra_json, what, err);
    if (!rc) rc = sl_catalog_check_extra(p->sd.extra_json, what, err);
    char *key = NULL;
    if (!rc) rc = values_key((const char *const *)p->values, p->n_values, &key, err);
    if (rc) return rc;

    sqlite3_reset(ps->find);
    sqlite3_bind_int64(ps->find, 1, table_id);
    bind_text(ps->find, 2, key);
    rc = step(cat, ps->find, "reading a partition", err);
    int64_t create_time = rc == 1 ? sqlite3_column_int64(ps->find, 0) : now;
    bool exists = rc == 1;
    sqlite3_reset(ps->find);
    if (rc < 0) goto out;
    rc = SL_OK;
    if (exists && existing == SL_CATALOG_EXISTING_SKIP) goto out;
    if (exists && existing == SL_CATALOG_EXISTING_FAIL) {
        rc = sl_error_set(err, SL_EINVAL, "%s already exists", what);
        goto out;
    }
    char *doc = partition_doc(p, ldb, ltable, create_time);
    sqlite3_stmt *st = exists ? ps->update : ps->insert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, table_id);
    bind_text(st, 2, key);
    bind_text(st, 3, p->sd.location);
    sqlite3_bind_int64(st, 4, create_time);
    bind_text(st, 5, doc);
    rc = step(cat, st, "storing a partition", err);
    sqlite3_reset(st);
    free(doc);
    if (rc >= 0) {
        rc = SL_OK;
        (*(exists ? updated : added))++;
    }
out:
    free(key);
    return rc;
}

int sl_catalog_add_partitions(sl_catalog *cat, const char *database, const char *table,
                              const sl_catalog_partition *parts, size_t n, sl_catalog_exists existing, size_t *added,
                              size_t *updated, sl_error *err) {
    size_t n_added = 0, n_updated = 0;
    partition_stmts ps = {0};
    sl_catalog_table t = {0};
    int rc = tx_begin(cat, err);
    if (rc) return rc;
    int64_t table_id = 0;
    rc = sl_catalog_get_table(cat, database, table, &t, err);
    if (!rc) rc = find_table(cat, t.database, t.name, &table_id, NULL, NULL, err);
    if (!rc)
        rc = prepare(cat, "SELECT create_time FROM partitions WHERE table_id = ?1 AND values_key = ?2", &ps.find, err);
    if (!rc)
        rc = prepare(cat,
                     "INSERT INTO partitions(table_id, values_key, location, create_time, doc)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
                     &ps.insert, err);
    if (!rc)
        rc = prepare(cat,
                     "UPDATE partitions SET location = ?3, create_time = ?4, doc = ?5"
                     " WHERE table_id = ?1 AND values_key = ?2",
                     &ps.update, err);
    int64_t now = sl_catalog_now_ms();
    for (size_t i = 0; i < n && !rc; i++)
        rc = add_one_partition(cat, &ps, table_id, t.database, t.name, t.partition_keys.count, &parts[i], existing, now,
                               &n_added, &n_updated, err);
    sqlite3_finalize(ps.find);
    sqlite3_finalize(ps.insert);
    sqlite3_finalize(ps.update);
    sl_catalog_table_free(&t);
    rc = tx_end(cat, rc, err);
    if (!rc) {
        if (added) *added = n_added;
        if (updated) *updated = n_updated;
    }
    return rc;
}

/* The table a partition belongs to (load_partition's ctx). */
typedef struct table_ref {
    const char *ldb, *ltable;
} table_ref;

static int load_partition(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    /* columns: create_time, doc */
    const table_ref *t = ctx;
    sl_catalog_partition *out = item;
    const char *doc = (const char *)sqlite3_column_text(st, 1);
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_catalog_partition_from_json(doc ? doc : "", doc ? strlen(doc) : 0, out, &perr))
        return sl_error_set(err, SL_EIO, "catalog %s: a partition of table '%s.%s' has a damaged definition: %s",
                            cat->path, t->ldb, t->ltable, perr.message);
    free(out->database);
    free(out->table);
    out->database = sl_xstrdup(t->ldb);
    out->table = sl_xstrdup(t->ltable);
    out->create_time = sqlite3_column_int64(st, 0);
    return SL_OK;
}

int sl_catalog_get_partition(sl_catalog *cat, const char *database, const char *table, const char *const *values,
                             size_t n_values, sl_catalog_partition *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    char *ldb = lower_dup(database), *ltable = lower_dup(table), *key = NULL;
    int64_t table_id = 0;
    sqlite3_stmt *st = NULL;
    int rc = find_table(cat, ldb, ltable, &table_id, NULL, NULL, err);
    if (!rc) rc = values_key(values, n_values, &key, err);
    if (!rc)
        rc = prepare(cat, "SELECT create_time, doc FROM partitions WHERE table_id = ?1 AND values_key = ?2", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, table_id);
        bind_text(st, 2, key);
        rc = step(cat, st, "reading a partition", err);
        if (rc == 1) {
            rc = load_partition(cat, st, &(table_ref){ldb, ltable}, out, err);
        } else if (rc == 0) {
            char desc[256];
            describe_values(values, n_values, desc, sizeof desc);
            rc = sl_error_set(err, SL_ENOTFOUND, "table '%s.%s' has no partition '%s'", ldb, ltable, desc);
        }
        sqlite3_finalize(st);
    }
    free(key);
    free(ldb);
    free(ltable);
    return rc;
}

int sl_catalog_list_partitions(sl_catalog *cat, const char *database, const char *table,
                               const char *const *prefix_values, size_t n_prefix, sl_catalog_partition_list *out,
                               sl_error *err) {
    memset(out, 0, sizeof *out);
    char *ldb = lower_dup(database), *ltable = lower_dup(table), *prefix = NULL;
    int64_t table_id = 0;
    sqlite3_stmt *st = NULL;
    int rc = find_table(cat, ldb, ltable, &table_id, NULL, NULL, err);
    if (!rc && n_prefix) rc = values_key(prefix_values, n_prefix, &prefix, err);
    if (!rc)
        rc = prepare(cat,
                     "SELECT create_time, doc FROM partitions WHERE table_id = ?1 AND (?2 IS NULL OR values_key = ?2"
                     " OR (values_key >= ?2 || char(31) AND values_key < ?2 || char(32))) ORDER BY values_key",
                     &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, table_id);
        bind_text(st, 2, prefix);
        void *items = NULL;
        rc = load_rows(cat, st, "listing partitions", load_partition, &(table_ref){ldb, ltable}, sizeof *out->items,
                       &items, &out->count, err);
        out->items = items;
    }
    if (rc) sl_catalog_partition_list_free(out);
    free(prefix);
    free(ldb);
    free(ltable);
    return rc;
}

int sl_catalog_count_partitions(sl_catalog *cat, const char *database, const char *table, int64_t *count,
                                sl_error *err) {
    char *ldb = lower_dup(database), *ltable = lower_dup(table);
    int64_t table_id = 0;
    *count = 0;
    int rc = find_table(cat, ldb, ltable, &table_id, NULL, NULL, err);
    if (!rc) rc = count_query(cat, "SELECT count(*) FROM partitions WHERE table_id = ?1", table_id, count, err);
    free(ldb);
    free(ltable);
    return rc;
}

int sl_catalog_delete_partitions(sl_catalog *cat, const char *database, const char *table,
                                 const sl_catalog_partition *parts, size_t n, size_t *deleted, sl_error *err) {
    char *ldb = lower_dup(database), *ltable = lower_dup(table);
    int64_t table_id = 0;
    size_t count = 0;
    sqlite3_stmt *st = NULL;
    int rc = tx_begin(cat, err);
    if (rc) goto out;
    rc = find_table(cat, ldb, ltable, &table_id, NULL, NULL, err);
    if (!rc) rc = prepare(cat, "DELETE FROM partitions WHERE table_id = ?1 AND values_key = ?2", &st, err);
    for (size_t i = 0; i < n && !rc; i++) {
        char *key = NULL;
        rc = values_key((const char *const *)parts[i].values, parts[i].n_values, &key, err);
        if (rc) break;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, table_id);
        bind_text(st, 2, key);
        rc = step(cat, st, "deleting a partition", err);
        free(key);
        if (rc >= 0) {
            rc = SL_OK;
            count += (size_t)sqlite3_changes(cat->db);
        }
    }
    sqlite3_finalize(st);
    rc = tx_end(cat, rc, err);
    if (!rc && deleted) *deleted = count;
out:
    free(ldb);
    free(ltable);
    return rc;
}

/* ================================================================== */
/* Connections                                                         */
/* ================================================================== */

static int load_connection(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    /* columns: name, create_time, update_time, doc */
    sl_catalog_connection *out = item;
    const char *doc = (const char *)sqlite3_column_text(st, 3);
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_catalog_connection_from_json(doc ? doc : "", doc ? strlen(doc) : 0, out, &perr))
        return sl_error_set(err, SL_EIO, "catalog %s: connection '%s' has a damaged definition: %s", cat->path,
                            sqlite3_column_text(st, 0), perr.message);
    free(out->name);
    out->name = col_dup(st, 0);
    out->create_time = sqlite3_column_int64(st, 1);
    out->update_time = sqlite3_column_int64(st, 2);
    return SL_OK;
}

int sl_catalog_create_connection(sl_catalog *cat, const sl_catalog_connection *c, unsigned flags, sl_error *err) {
    int rc = check_name("connection", c->name, err);
    if (!rc) rc = sl_catalog_connection_check(c, err);
    if (!rc) rc = sl_catalog_check_extra(c->extra_json, "connection", err);
    if (rc) return rc;
    if ((rc = tx_begin(cat, err))) return rc;
    int64_t now = sl_catalog_now_ms(), create_time = now;
    sqlite3_stmt *st;
    rc = prepare(cat, "SELECT create_time FROM connections WHERE name = ?1", &st, err);
    if (!rc) {
        bind_text(st, 1, c->name);
        rc = step(cat, st, "reading a connection", err);
        if (rc == 1) create_time = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc == 1 && !(flags & SL_CATALOG_REPLACE))
            rc = sl_error_set(err, SL_EINVAL, "connection '%s' already exists", c->name);
        else if (rc == 1)
            rc = SL_OK;
    }
    if (!rc) {
        sl_catalog_connection tmp = *c;
        tmp.create_time = create_time;
        tmp.update_time = now;
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        sl_catalog_connection_json(&tmp, &b);
        rc = prepare(cat,
                     "INSERT OR REPLACE INTO connections(name, type, create_time, update_time, doc)"
                     " VALUES(?1, ?2, ?3, ?4, ?5)",
                     &st, err);
        if (!rc) {
            bind_text(st, 1, c->name);
            bind_text(st, 2, c->type);
            sqlite3_bind_int64(st, 3, create_time);
            sqlite3_bind_int64(st, 4, now);
            bind_text(st, 5, b.data);
            rc = run_done(cat, st, "storing a connection", err);
        }
        sl_buf_free(&b);
    }
    return tx_end(cat, rc, err);
}

int sl_catalog_get_connection(sl_catalog *cat, const char *name, sl_catalog_connection *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    return load_named(cat, "SELECT name, create_time, update_time, doc FROM connections WHERE name = ?1", "connection",
                      name, load_connection, out, err);
}

int sl_catalog_list_connections(sl_catalog *cat, sl_catalog_connection_list *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = prepare(cat, "SELECT name, create_time, update_time, doc FROM connections ORDER BY name", &st, err);
    if (rc) return rc;
    void *items = NULL;
    rc = load_rows(cat, st, "listing connections", load_connection, NULL, sizeof *out->items, &items, &out->count, err);
    out->items = items;
    if (rc) sl_catalog_connection_list_free(out);
    return rc;
}

/* DELETE by name; SL_ENOTFOUND ("<kind> 'name' not found") when no row went. */
static int delete_named(sl_catalog *cat, const char *sql, const char *kind, const char *name, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat, sql, &st, err);
    if (rc) return rc;
    bind_text(st, 1, name);
    rc = run_done(cat, st, "deleting", err);
    if (!rc && sqlite3_changes(cat->db) == 0) rc = sl_error_set(err, SL_ENOTFOUND, "%s '%s' not found", kind, name);
    return rc;
}

int sl_catalog_delete_connection(sl_catalog *cat, const char *name, sl_error *err) {
    return delete_named(cat, "DELETE FROM connections WHERE name = ?1", "connection", name, err);
}

/* ================================================================== */
/* Crawlers and their state                                            */
/* ================================================================== */

int sl_catalog_put_crawler(sl_catalog *cat, const sl_catalog_crawler *c, unsigned flags, sl_error *err) {
    int rc = check_name("crawler", c->name, err);
    if (rc) return rc;
    int64_t now = sl_catalog_now_ms();
    sqlite3_stmt *st;
    rc = prepare(cat,
                 (flags & SL_CATALOG_REPLACE)
                     ? "INSERT INTO crawlers(name, definition, create_time, update_time) VALUES(?1, ?2, ?3, ?3)"
                       " ON CONFLICT(name) DO UPDATE SET definition = excluded.definition,"
                       " update_time = excluded.update_time"
                     : "INSERT INTO crawlers(name, definition, create_time, update_time) VALUES(?1, ?2, ?3, ?3)"
                       " ON CONFLICT(name) DO NOTHING",
                 &st, err);
    if (rc) return rc;
    bind_text(st, 1, c->name);
    bind_text(st, 2, c->definition ? c->definition : "");
    sqlite3_bind_int64(st, 3, now);
    rc = run_done(cat, st, "storing a crawler", err);
    if (!rc && sqlite3_changes(cat->db) == 0) rc = sl_error_set(err, SL_EINVAL, "crawler '%s' already exists", c->name);
    return rc;
}

static int load_crawler(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    sl_catalog_crawler *out = item;
    out->name = col_dup(st, 0);
    out->definition = col_dup(st, 1);
    out->create_time = sqlite3_column_int64(st, 2);
    out->update_time = sqlite3_column_int64(st, 3);
    return SL_OK;
}

int sl_catalog_get_crawler(sl_catalog *cat, const char *name, sl_catalog_crawler *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    return load_named(cat, "SELECT name, definition, create_time, update_time FROM crawlers WHERE name = ?1", "crawler",
                      name, load_crawler, out, err);
}

int sl_catalog_list_crawlers(sl_catalog *cat, sl_catalog_crawler_list *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = prepare(cat, "SELECT name, definition, create_time, update_time FROM crawlers ORDER BY name", &st, err);
    if (rc) return rc;
    void *items = NULL;
    rc = load_rows(cat, st, "listing crawlers", load_crawler, NULL, sizeof *out->items, &items, &out->count, err);
    out->items = items;
    if (rc) sl_catalog_crawler_list_free(out);
    return rc;
}

int sl_catalog_delete_crawler(sl_catalog *cat, const char *name, sl_error *err) {
    int rc = tx_begin(cat, err);
    if (rc) return rc;
    rc = delete_named(cat, "DELETE FROM crawlers WHERE name = ?1", "crawler", name, err);
    if (!rc) rc = sl_catalog_state_clear(cat, name, "", err);
    return tx_end(cat, rc, err);
}

int sl_catalog_state_set(sl_catalog *cat, const char *crawler, const char *key, const char *value, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat,
                     value ? "INSERT INTO crawler_state(crawler, key, value, update_time) VALUES(?1, ?2, ?3, ?4)"
                             " ON CONFLICT(crawler, key) DO UPDATE SET value = excluded.value,"
                             " update_time = excluded.update_time"
                           : "DELETE FROM crawler_state WHERE crawler = ?1 AND key = ?2",
                     &st, err);
    if (rc) return rc;
    bind_text(st, 1, crawler);
    bind_text(st, 2, key);
    if (value) {
        bind_text(st, 3, value);
        sqlite3_bind_int64(st, 4, sl_catalog_now_ms());
    }
    return run_done(cat, st, "storing crawler state", err);
}

int sl_catalog_state_get(sl_catalog *cat, const char *crawler, const char *key, char **value, sl_error *err) {
    *value = NULL;
    sqlite3_stmt *st;
    int rc = prepare(cat, "SELECT value FROM crawler_state WHERE crawler = ?1 AND key = ?2", &st, err);
    if (rc) return rc;
    bind_text(st, 1, crawler);
    bind_text(st, 2, key);
    rc = step(cat, st, "reading crawler state", err);
    if (rc == 1) {
        *value = col_dup(st, 0);
        rc = SL_OK;
    } else if (rc == 0) {
        rc = sl_error_set(err, SL_ENOTFOUND, "crawler '%s' has no state '%s'", crawler, key);
    }
    sqlite3_finalize(st);
    return rc;
}

static int load_param(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    sl_catalog_param *out = item;
    out->key = col_dup(st, 0);
    out->value = col_dup(st, 1);
    return SL_OK;
}

int sl_catalog_state_list(sl_catalog *cat, const char *crawler, const char *prefix, sl_catalog_params *out,
                          sl_error *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = prepare(cat,
                     "SELECT key, value FROM crawler_state WHERE crawler = ?1"
                     " AND substr(key, 1, length(?2)) = ?2 ORDER BY key",
                     &st, err);
    if (rc) return rc;
    bind_text(st, 1, crawler);
    bind_text(st, 2, prefix ? prefix : "");
    void *items = NULL;
    rc = load_rows(cat, st, "listing crawler state", load_param, NULL, sizeof *out->items, &items, &out->count, err);
    out->items = items;
    if (rc) sl_catalog_params_free(out);
    return rc;
}

int sl_catalog_state_clear(sl_catalog *cat, const char *crawler, const char *prefix, sl_error *err) {
    sqlite3_stmt *st;
    int rc = prepare(cat, "DELETE FROM crawler_state WHERE crawler = ?1 AND substr(key, 1, length(?2)) = ?2", &st, err);
    if (rc) return rc;
    bind_text(st, 1, crawler);
    bind_text(st, 2, prefix ? prefix : "");
    return run_done(cat, st, "clearing crawler state", err);
}

/* ================================================================== */
/* Crawl history                                                       */
/* ================================================================== */

int sl_catalog_save_crawl(sl_catalog *cat, sl_catalog_crawl *c, sl_error *err) {
    int rc = check_name("crawler", c->crawler, err);
    if (rc) return rc;
    if (!c->status || !*c->status) return sl_error_set(err, SL_EINVAL, "crawl of '%s' has no status", c->crawler);
    if (c->changes_json) {
        sl_arena a;
        sl_arena_init(&a);
        sl_value v;
        sl_error perr;
        sl_error_clear(&perr);
        rc = sl_json_parse(c->changes_json, strlen(c->changes_json), &a, &v, &perr);
        sl_arena_free(&a);
        if (rc || v.type != SL_T_LIST)
            return sl_error_set(err, SL_EINVAL, "crawl of '%s': the schema changes are not a JSON array%s%s",
                                c->crawler, rc ? ": " : "", rc ? perr.message : "");
    }
    if (!c->start_time) c->start_time = sl_catalog_now_ms();
    sqlite3_stmt *st;
    rc = prepare(cat,
                 c->id ? "UPDATE crawls SET crawler = ?2, start_time = ?3, end_time = ?4, status = ?5, message = ?6,"
                         " tables_created = ?7, tables_updated = ?8, tables_deprecated = ?9, tables_deleted = ?10,"
                         " partitions_added = ?11, partitions_updated = ?12, partitions_removed = ?13,"
                         " changes = ?14 WHERE id = ?1"
                       : "INSERT INTO crawls(crawler, start_time, end_time, status, message, tables_created,"
                         " tables_updated, tables_deprecated, tables_deleted, partitions_added, partitions_updated,"
                         " partitions_removed, changes)"
                         " VALUES(?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                 &st, err);
    if (rc) return rc;
    if (c->id) sqlite3_bind_int64(st, 1, c->id);
    bind_text(st, 2, c->crawler);
    sqlite3_bind_int64(st, 3, c->start_time);
    if (c->end_time)
        sqlite3_bind_int64(st, 4, c->end_time);
    else
        sqlite3_bind_null(st, 4);
    bind_text(st, 5, c->status);
    bind_text(st, 6, c->message);
    const int64_t counts[] = {c->tables_created,   c->tables_updated,     c->tables_deprecated, c->tables_deleted,
                              c->partitions_added, c->partitions_updated, c->partitions_removed};
    for (int i = 0; i < 7; i++)
        sqlite3_bind_int64(st, 7 + i, counts[i]);
    bind_text(st, 14, c->changes_json && *c->changes_json ? c->changes_json : "[]");
    rc = run_done(cat, st, "recording a crawl", err);
    if (rc) return rc;
    if (!c->id)
        c->id = sqlite3_last_insert_rowid(cat->db);
    else if (sqlite3_changes(cat->db) == 0)
        return sl_error_set(err, SL_ENOTFOUND, "crawl %" PRId64 " not found", c->id);
    return SL_OK;
}

static int load_crawl(sl_catalog *cat, sqlite3_stmt *st, const void *ctx, void *item, sl_error *err) {
    sl_catalog_crawl *c = item;
    c->id = sqlite3_column_int64(st, 0);
    c->crawler = col_dup(st, 1);
    c->start_time = sqlite3_column_int64(st, 2);
    c->end_time = sqlite3_column_int64(st, 3);
    c->status = col_dup(st, 4);
    c->message = col_dup(st, 5);
    int64_t *counts[] = {&c->tables_created,   &c->tables_updated,     &c->tables_deprecated, &c->tables_deleted,
                         &c->partitions_added, &c->partitions_updated, &c->partitions_removed};
    for (int i = 0; i < 7; i++)
        *counts[i] = sqlite3_column_int64(st, 6 + i);
    c->changes_json = col_dup(st, 13);
    return SL_OK;
}

int sl_catalog_list_crawls(sl_catalog *cat, const char *crawler, size_t limit, sl_catalog_crawl_list *out,
                           sl_error *err) {
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = prepare(cat,
                     "SELECT id, crawler, start_time, end_time, status, message, tables_created, tables_updated,"
                     " tables_deprecated, tables_deleted, partitions_added, partitions_updated, partitions_removed,"
                     " changes FROM crawls WHERE ?1 IS NULL OR crawler = ?1 ORDER BY id DESC LIMIT ?2",
                     &st, err);
    if (rc) return rc;
    bind_text(st, 1, crawler);
    sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
    void *items = NULL;
    rc = load_rows(cat, st, "listing crawls", load_crawl, NULL, sizeof *out->items, &items, &out->count, err);
    out->items = items;
    if (rc) sl_catalog_crawl_list_free(out);
    return rc;
}
