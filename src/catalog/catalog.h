/*
 * catalog.h — the data catalog: databases, tables, table versions,
 * partitions, connections, crawler definitions, per-crawler state and crawl
 * history, stored in one SQLite file (default ./data/catalog.db).
 *
 * The model is Glue's Data Catalog, so that Glue's GetDatabase(s),
 * GetTable(s), GetTableVersions, GetPartitions and GetConnection(s)
 * responses can be produced without loss: every struct below has a
 * sl_catalog_*_json() writer that emits Glue's JSON shape (PascalCase keys
 * of the botocore model, timestamps as epoch seconds) and a *_from_json()
 * reader for the same shape. Members of Glue's shapes that sluice does not
 * model as struct fields (SkewedInfo, ViewOriginalText, TargetTable, …) are
 * kept verbatim in `extra_json` and written back out, so nothing is lost.
 *
 * Conventions (core/error.h):
 *   - fallible functions return 0 or a negative SL_E* and fill an sl_error
 *     (which may be NULL) with a message naming the object ("table
 *     'sales.orders' not found");
 *   - a missing database/table/partition/connection/crawler is SL_ENOTFOUND;
 *     creating something that already exists is SL_EINVAL ("… already
 *     exists") unless a flag says otherwise;
 *   - a file that is not a catalog, is damaged or is newer than this
 *     program is SL_EIO with the file named in the message.
 *
 * Ownership: every struct owns its strings and arrays (malloc'd; NULL
 * means "absent"). sl_catalog_*_free() releases the members of a struct
 * (not the struct itself) and leaves it zeroed, so it may be reused. Getters
 * fill a caller-provided struct with owned copies; the caller frees them.
 * Setters never take ownership of what they are given (they copy).
 *
 * Names: database and table names are case-insensitive, as in Glue; they
 * are stored and returned in lower case (ASCII folding). A name is 1..255
 * bytes of UTF-8 without control characters. (Glue-style sanitizing of
 * names derived from paths is the crawler's job: catalog/gluetype.h.)
 *
 * Concurrency: an sl_catalog handle is one SQLite connection and must be
 * used by one thread at a time; open one handle per thread or process.
 * The file is in WAL mode: any number of readers proceed while one writer
 * writes, and readers see the last committed state. Writers wait (busy
 * timeout) for each other. Every call that changes several rows does so in
 * one transaction; sl_catalog_begin()/commit() group several calls into one.
 *
 * The on-disk layout and the migration rules are described at the top of
 * catalog.c and in docs/catalog.md.
 */
#ifndef SL_CATALOG_H
#define SL_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

/* The schema version this code writes (PRAGMA user_version). */
#define SL_CATALOG_SCHEMA_VERSION 1

/* Default catalog file when neither --catalog nor SLUICE_CATALOG is given. */
#define SL_CATALOG_DEFAULT_PATH "./data/catalog.db"

/* ================================================================== */
/* Opening                                                             */
/* ================================================================== */

typedef struct sl_catalog sl_catalog;

enum {
    /* Fail with SL_ENOTFOUND ("no catalog at PATH") instead of creating
     * the file when it does not exist. Used by read-only commands. */
    SL_CATALOG_OPEN_EXISTING = 1
};

/* The catalog path to use when the caller has none: $SLUICE_CATALOG when
 * set and non-empty, else SL_CATALOG_DEFAULT_PATH. Static storage. */
const char *sl_catalog_default_path(void);

/* Open (creating the file and its parent directories unless
 * SL_CATALOG_OPEN_EXISTING) and migrate the catalog at path to
 * SL_CATALOG_SCHEMA_VERSION. *out is set on success only; close with
 * sl_catalog_close().
 * Errors: SL_ENOTFOUND (missing, with OPEN_EXISTING), SL_EIO ("PATH is not
 * a sluice catalog or is damaged: <sqlite message>", "PATH was written by
 * a newer sluice (catalog schema N, this sluice knows up to M)", cannot
 * create the directory or file). */
int sl_catalog_open(const char *path, unsigned flags, sl_catalog **out, sl_error *err);
void sl_catalog_close(sl_catalog *cat); /* NULL is fine */
/* The path the handle was opened with. */
const char *sl_catalog_path(const sl_catalog *cat);

/* Group several calls into one write transaction (BEGIN IMMEDIATE): the
 * changes become visible together at sl_catalog_commit(), or not at all
 * after sl_catalog_rollback(). Calls inside nest (each uses a savepoint, so
 * a failed call undoes only its own changes). begin/commit pairs nest too;
 * only the outermost commit commits. */
int sl_catalog_begin(sl_catalog *cat, sl_error *err);
int sl_catalog_commit(sl_catalog *cat, sl_error *err);
void sl_catalog_rollback(sl_catalog *cat);

/* ================================================================== */
/* Building blocks                                                     */
/* ================================================================== */

/* Current time as epoch milliseconds (what the catalog stores). */
int64_t sl_catalog_now_ms(void);

/* A string → string map in insertion order (Glue's ParametersMap,
 * ConnectionProperties). Keys are unique. */
typedef struct sl_catalog_param {
    char *key;
    char *value;
} sl_catalog_param;

typedef struct sl_catalog_params {
    sl_catalog_param *items;
    size_t count;
} sl_catalog_params;

/* The value for key, or NULL. */
const char *sl_catalog_params_get(const sl_catalog_params *p, const char *key);
/* Set key to value (both copied; replaces an existing value in place). */
void sl_catalog_params_set(sl_catalog_params *p, const char *key, const char *value);
/* Remove key; returns whether it was there. */
bool sl_catalog_params_unset(sl_catalog_params *p, const char *key);
void sl_catalog_params_free(sl_catalog_params *p);

/* A column (Glue's Column). type is Glue's Hive type syntax: "bigint",
 * "string", "array<struct<a:string,b:double>>", … (see catalog/gluetype.h). */
typedef struct sl_catalog_column {
    char *name;
    char *type;
    char *comment;                /* NULL = none */
    sl_catalog_params parameters; /* usually empty */
} sl_catalog_column;

typedef struct sl_catalog_columns {
    sl_catalog_column *items;
    size_t count;
} sl_catalog_columns;

/* Append a column (strings copied; comment may be NULL). */
void sl_catalog_columns_add(sl_catalog_columns *c, const char *name, const char *type, const char *comment);
/* Index of the column named name (exact bytes), or -1. */
long sl_catalog_columns_find(const sl_catalog_columns *c, const char *name);
void sl_catalog_columns_free(sl_catalog_columns *c);

/* Glue's SerDeInfo. */
typedef struct sl_catalog_serde {
    char *name;                   /* usually NULL */
    char *serialization_library;  /* e.g. org.openx.data.jsonserde.JsonSerDe */
    sl_catalog_params parameters; /* e.g. field.delim = "," */
} sl_catalog_serde;

/* Glue's Order (a sort column). */
typedef struct sl_catalog_order {
    char *column;
    int sort_order; /* 1 ascending, 0 descending */
} sl_catalog_order;

/* Glue's StorageDescriptor (of a table or of one partition). */
typedef struct sl_catalog_storage {
    sl_catalog_columns columns;
    char *location;     /* s3://bucket/prefix/ or a local directory */
    char *input_format; /* e.g. org.apache.hadoop.mapred.TextInputFormat */
    char *output_format;
    bool compressed;
    int number_of_buckets; /* Glue crawlers write -1; 0 = absent */
    sl_catalog_serde serde;
    char **bucket_columns;
    size_t n_bucket_columns;
    sl_catalog_order *sort_columns;
    size_t n_sort_columns;
    sl_catalog_params parameters; /* crawlers copy the table parameters here */
    bool stored_as_sub_directories;
    char *extra_json; /* other StorageDescriptor members, a JSON object; NULL = none */
} sl_catalog_storage;

void sl_catalog_storage_free(sl_catalog_storage *sd);

/* Fill input_format, output_format and serde the way Glue's crawlers do
 * for a classification (replacing what was there):
 *   json     TextInputFormat, HiveIgnoreKeyTextOutputFormat, JsonSerDe
 *            (serde parameter "paths" = the column names, comma-separated)
 *   csv      TextInputFormat, HiveIgnoreKeyTextOutputFormat, and
 *            LazySimpleSerDe {field.delim} or, when quoted,
 *            OpenCSVSerde {separatorChar, quoteChar}
 *   parquet  MapredParquetInputFormat/OutputFormat, ParquetHiveSerDe
 *   avro     AvroContainerInputFormat/OutputFormat, AvroSerDe
 *   orc      OrcInputFormat/OutputFormat, OrcSerde
 * delimiter: csv only (NULL = ","). Returns false, changing nothing, for
 * any other classification (dynamodb has no file format). */
bool sl_catalog_storage_set_format(sl_catalog_storage *sd, const char *classification, const char *delimiter,
                                   bool quoted);

/* ================================================================== */
/* Databases                                                           */
/* ================================================================== */

typedef struct sl_catalog_database {
    char *name;
    char *description;
    char *location_uri;
    sl_catalog_params parameters;
    int64_t create_time; /* epoch ms; set by the catalog on create */
    char *extra_json;    /* other Database members, a JSON object; NULL = none */
} sl_catalog_database;

typedef struct sl_catalog_database_list {
    sl_catalog_database *items;
    size_t count;
} sl_catalog_database_list;

enum {
    /* create_database: succeed (and change nothing) when it exists. */
    SL_CATALOG_IF_NOT_EXISTS = 1,
    /* create_connection / put_crawler: replace an existing one. */
    SL_CATALOG_REPLACE = 2
};

int sl_catalog_create_database(sl_catalog *cat, const sl_catalog_database *db, unsigned flags, sl_error *err);
/* Replace description, location and parameters of an existing database. */
int sl_catalog_update_database(sl_catalog *cat, const sl_catalog_database *db, sl_error *err);
int sl_catalog_get_database(sl_catalog *cat, const char *name, sl_catalog_database *out, sl_error *err);
/* Every database, by name. */
int sl_catalog_list_databases(sl_catalog *cat, sl_catalog_database_list *out, sl_error *err);
/* Delete a database. With cascade its tables (and their versions and
 * partitions) go too, as Glue's DeleteDatabase does; without it a database
 * that holds tables is SL_EINVAL ("database 'x' holds 3 tables"). */
int sl_catalog_delete_database(sl_catalog *cat, const char *name, bool cascade, sl_error *err);
void sl_catalog_database_free(sl_catalog_database *db);
void sl_catalog_database_list_free(sl_catalog_database_list *l);

/* ================================================================== */
/* Tables and their versions                                           */
/* ================================================================== */

typedef struct sl_catalog_table {
    char *database;
    char *name;
    char *description;
    char *owner;
    char *table_type;             /* "EXTERNAL_TABLE" when NULL on create */
    sl_catalog_params parameters; /* classification, compressionType, typeOfData,
                                     recordCount, averageRecordSize, sizeKey,
                                     objectCount, UPDATED_BY_CRAWLER, delimiter,
                                     skip.header.line.count, … */
    sl_catalog_storage sd;
    sl_catalog_columns partition_keys; /* name + type; values live in partitions */
    int64_t create_time;               /* epoch ms; kept across updates */
    int64_t update_time;               /* epoch ms; set by create/update */
    int64_t last_access_time;          /* epoch ms; 0 = absent */
    int64_t last_analyzed_time;        /* epoch ms; 0 = absent */
    char *created_by;
    int64_t version_id; /* 0 after create, +1 per update (set by the catalog) */
    /* Glue's DEPRECATE_IN_DATABASE: the crawler no longer found the data.
     * In JSON: Parameters["DEPRECATED"] = ISO 8601 time of deprecation. */
    bool deprecated;
    int64_t deprecated_time; /* epoch ms */
    char *extra_json;        /* other Table members, a JSON object; NULL = none */
} sl_catalog_table;

typedef struct sl_catalog_table_list {
    sl_catalog_table *items;
    size_t count;
} sl_catalog_table_list;

void sl_catalog_table_free(sl_catalog_table *t);
void sl_catalog_table_list_free(sl_catalog_table_list *l);
/* Deep copy src into dst (dst's old content is not freed). */
void sl_catalog_table_copy(sl_catalog_table *dst, const sl_catalog_table *src);

/* Create table t->name in database t->database (which must exist:
 * SL_ENOTFOUND otherwise). create_time/update_time are set to now,
 * version_id to 0; the result is also kept as version 0. An existing table
 * of that name is SL_EINVAL ("table 'db.t' already exists"). */
int sl_catalog_create_table(sl_catalog *cat, const sl_catalog_table *t, sl_error *err);

enum {
    /* update_table: replace the current version instead of keeping it as a
     * numbered version (Glue's SkipArchive). */
    SL_CATALOG_SKIP_ARCHIVE = 1
};

/* Replace the definition of an existing table (looked up by t->database and
 * t->name) with t: every field is taken from t except create_time (kept)
 * and update_time (now) and version_id. Versioning policy: every update
 * keeps the previous definition as a numbered version and the table's
 * version_id becomes previous + 1 (as Glue's UpdateTable), unless
 * SL_CATALOG_SKIP_ARCHIVE, which overwrites the current version in place.
 * The deprecated flag is taken from t. *new_version (may be NULL) receives
 * the table's version_id afterwards. */
int sl_catalog_update_table(sl_catalog *cat, const sl_catalog_table *t, unsigned flags, int64_t *new_version,
                            sl_error *err);

/* Get the current definition of database.name. SL_ENOTFOUND names what is
 * missing: the database or the table. */
int sl_catalog_get_table(sl_catalog *cat, const char *database, const char *name, sl_catalog_table *out, sl_error *err);
/* Every table of a database, by name (deprecated ones included). */
int sl_catalog_list_tables(sl_catalog *cat, const char *database, sl_catalog_table_list *out, sl_error *err);

/* Mark a table deprecated (now) or clear the mark. Not a new version. */
int sl_catalog_deprecate_table(sl_catalog *cat, const char *database, const char *name, bool deprecated, sl_error *err);
/* Delete a table with its versions and partitions. */
int sl_catalog_delete_table(sl_catalog *cat, const char *database, const char *name, sl_error *err);

/* Every kept version of a table, oldest first; the last one is the current
 * definition. Each item's version_id says which version it is. */
int sl_catalog_list_table_versions(sl_catalog *cat, const char *database, const char *name, sl_catalog_table_list *out,
                                   sl_error *err);
int sl_catalog_get_table_version(sl_catalog *cat, const char *database, const char *name, int64_t version,
                                 sl_catalog_table *out, sl_error *err);

/* ---- schema differences (what changed between two versions) ---- */

typedef enum sl_catalog_change_kind {
    SL_CATALOG_COLUMN_ADDED,
    SL_CATALOG_COLUMN_REMOVED,
    SL_CATALOG_COLUMN_TYPE_CHANGED
} sl_catalog_change_kind;

typedef struct sl_catalog_column_change {
    sl_catalog_change_kind kind;
    bool partition_key; /* the column is a partition key */
    char *name;
    char *old_type; /* NULL for ADDED */
    char *new_type; /* NULL for REMOVED */
} sl_catalog_column_change;

typedef struct sl_catalog_schema_diff {
    sl_catalog_column_change *items;
    size_t count;
} sl_catalog_schema_diff;

/* Compare the columns and partition keys of two table definitions (either
 * may be NULL: no columns). Columns are matched by name; changes are listed
 * in the order of new's columns (added, changed), then old's (removed).
 * out is overwritten (not freed first). */
void sl_catalog_diff_tables(const sl_catalog_table *old_t, const sl_catalog_table *new_t, sl_catalog_schema_diff *out);
/* [{"Change":"ADDED"|"REMOVED"|"TYPE_CHANGED","Name":…,"OldType":…,"NewType":…,
 *   "PartitionKey":true}] — the form crawl records keep (sluice's own shape). */
int sl_catalog_schema_diff_json(const sl_catalog_schema_diff *d, sl_buf *out);
void sl_catalog_schema_diff_free(sl_catalog_schema_diff *d);

/* ================================================================== */
/* Partitions                                                          */
/* ================================================================== */

typedef struct sl_catalog_partition {
    char *database; /* set by getters; ignored by add (the call names the table) */
    char *table;
    char **values; /* one per partition key, in key order */
    size_t n_values;
    sl_catalog_storage sd; /* location, format and per-partition columns */
    sl_catalog_params parameters;
    int64_t create_time;        /* epoch ms; set by the catalog on add */
    int64_t last_access_time;   /* 0 = absent */
    int64_t last_analyzed_time; /* 0 = absent */
    char *extra_json;           /* other Partition members, a JSON object; NULL = none */
} sl_catalog_partition;

typedef struct sl_catalog_partition_list {
    sl_catalog_partition *items;
    size_t count;
} sl_catalog_partition_list;

void sl_catalog_partition_free(sl_catalog_partition *p);
void sl_catalog_partition_list_free(sl_catalog_partition_list *l);
/* Set p->values to a copy of values[0..n). */
void sl_catalog_partition_set_values(sl_catalog_partition *p, const char *const *values, size_t n);

typedef enum sl_catalog_exists {
    SL_CATALOG_EXISTING_SKIP,   /* keep the stored partition as it is */
    SL_CATALOG_EXISTING_UPDATE, /* replace it (create_time kept) */
    SL_CATALOG_EXISTING_FAIL    /* SL_EINVAL, and nothing of the batch is added */
} sl_catalog_exists;

/* Add parts[0..n) to database.table in one transaction. Each partition
 * must have exactly as many values as the table has partition keys
 * (SL_EINVAL naming the partition otherwise; nothing is added). A partition
 * whose values are already stored is handled per `existing`. *added and
 * *updated (either may be NULL) receive the counts. */
int sl_catalog_add_partitions(sl_catalog *cat, const char *database, const char *table,
                              const sl_catalog_partition *parts, size_t n, sl_catalog_exists existing, size_t *added,
                              size_t *updated, sl_error *err);
/* The partition with exactly these values, or SL_ENOTFOUND. */
int sl_catalog_get_partition(sl_catalog *cat, const char *database, const char *table, const char *const *values,
                             size_t n_values, sl_catalog_partition *out, sl_error *err);
/* Every partition of the table, ordered by values (compared as text, key by
 * key). With prefix_values (n_prefix > 0) only those whose first n_prefix
 * values equal prefix_values. Predicates beyond that are the caller's. */
int sl_catalog_list_partitions(sl_catalog *cat, const char *database, const char *table,
                               const char *const *prefix_values, size_t n_prefix, sl_catalog_partition_list *out,
                               sl_error *err);
/* Number of partitions of the table. */
int sl_catalog_count_partitions(sl_catalog *cat, const char *database, const char *table, int64_t *count,
                                sl_error *err);
/* Delete the partitions with these values (only values/n_values of each
 * item are read), in one transaction; missing ones are skipped. *deleted
 * (may be NULL) receives how many were there. */
int sl_catalog_delete_partitions(sl_catalog *cat, const char *database, const char *table,
                                 const sl_catalog_partition *parts, size_t n, size_t *deleted, sl_error *err);

/* ================================================================== */
/* Connections                                                         */
/* ================================================================== */

/* Where a connection's credentials come from; the secret itself is never
 * stored. Forms (checked by sl_catalog_credentials_ref_check):
 *   profile:NAME       an AWS shared-config profile
 *   env:VAR            an environment variable (holding the secret)
 *   secretsfile:PATH   a file readable only by its owner
 *   arn:aws:secretsmanager:…  an AWS Secrets Manager secret */
typedef struct sl_catalog_connection {
    char *name;
    char *description;
    char *type;                   /* S3, DYNAMODB, OPENSEARCH, JDBC, NETWORK, … (Glue's ConnectionType) */
    sl_catalog_params properties; /* ENDPOINT, REGION, HOST, PORT, USERNAME, … */
    char *credentials;            /* a credentials reference (above) or NULL.
                                     In JSON: ConnectionProperties["SECRET_ID"]. */
    int64_t create_time;          /* epoch ms, set by the catalog */
    int64_t update_time;
    char *extra_json; /* other Connection members, a JSON object; NULL = none */
} sl_catalog_connection;

typedef struct sl_catalog_connection_list {
    sl_catalog_connection *items;
    size_t count;
} sl_catalog_connection_list;

/* Is value a credentials reference (one of the forms above, with a
 * non-empty rest)? */
bool sl_catalog_is_credentials_ref(const char *value);
/* Does a property name look like it holds a secret (password, passwd,
 * secret, token, credential, private key, api key, access key, keystore,
 * keytab, authorization; case-insensitive)? */
bool sl_catalog_is_secret_name(const char *name);
/* Check a connection before storing it: the credentials field, and every
 * property whose name looks secret, must be a credentials reference.
 * SL_EINVAL: "connection 'x': property 'PASSWORD' looks like a secret;
 * store a reference instead (env:VAR, profile:NAME, secretsfile:PATH)".
 * The message never contains the value. */
int sl_catalog_connection_check(const sl_catalog_connection *c, sl_error *err);

/* Store c (after sl_catalog_connection_check). SL_EINVAL when it exists,
 * unless SL_CATALOG_REPLACE (create_time is then kept). */
int sl_catalog_create_connection(sl_catalog *cat, const sl_catalog_connection *c, unsigned flags, sl_error *err);
int sl_catalog_get_connection(sl_catalog *cat, const char *name, sl_catalog_connection *out, sl_error *err);
int sl_catalog_list_connections(sl_catalog *cat, sl_catalog_connection_list *out, sl_error *err);
int sl_catalog_delete_connection(sl_catalog *cat, const char *name, sl_error *err);
void sl_catalog_connection_free(sl_catalog_connection *c);
void sl_catalog_connection_list_free(sl_catalog_connection_list *l);

/* ================================================================== */
/* Crawler definitions, crawler state, crawl history                   */
/* ================================================================== */

/* A crawler definition. The text (JSON or YAML) belongs to the crawler
 * module; the catalog only stores it. */
typedef struct sl_catalog_crawler {
    char *name;
    char *definition;
    int64_t create_time; /* epoch ms, set by the catalog */
    int64_t update_time;
} sl_catalog_crawler;

typedef struct sl_catalog_crawler_list {
    sl_catalog_crawler *items;
    size_t count;
} sl_catalog_crawler_list;

/* Store a crawler definition (SL_EINVAL when it exists unless
 * SL_CATALOG_REPLACE). */
int sl_catalog_put_crawler(sl_catalog *cat, const sl_catalog_crawler *c, unsigned flags, sl_error *err);
int sl_catalog_get_crawler(sl_catalog *cat, const char *name, sl_catalog_crawler *out, sl_error *err);
int sl_catalog_list_crawlers(sl_catalog *cat, sl_catalog_crawler_list *out, sl_error *err);
/* Delete the definition and the crawler's state (its crawl history stays). */
int sl_catalog_delete_crawler(sl_catalog *cat, const char *name, sl_error *err);
void sl_catalog_crawler_free(sl_catalog_crawler *c);
void sl_catalog_crawler_list_free(sl_catalog_crawler_list *l);

/* Per-crawler state: a key → value store the crawler module owns. The
 * crawler need not have a stored definition (command-line crawls have a
 * name too). Convention for CRAWL_NEW_FOLDERS_ONLY: one key per crawled
 * folder, "folder:<location>" (value: anything, e.g. the crawl id). */
/* Set key (value NULL deletes it). */
int sl_catalog_state_set(sl_catalog *cat, const char *crawler, const char *key, const char *value, sl_error *err);
/* *value = malloc'd copy, or SL_ENOTFOUND (*value = NULL). */
int sl_catalog_state_get(sl_catalog *cat, const char *crawler, const char *key, char **value, sl_error *err);
/* Every key starting with prefix ("" = all), by key; out is overwritten. */
int sl_catalog_state_list(sl_catalog *cat, const char *crawler, const char *prefix, sl_catalog_params *out,
                          sl_error *err);
/* Delete every key starting with prefix ("" = all). */
int sl_catalog_state_clear(sl_catalog *cat, const char *crawler, const char *prefix, sl_error *err);

/* One crawl. status: "RUNNING", "COMPLETED", "FAILED" or "STOPPED"
 * (Glue's CrawlerHistoryState). */
typedef struct sl_catalog_crawl {
    int64_t id; /* set by the catalog (1, 2, …) */
    char *crawler;
    int64_t start_time; /* epoch ms */
    int64_t end_time;   /* epoch ms; 0 while running */
    char *status;
    char *message; /* error or summary text; NULL = none */
    int64_t tables_created, tables_updated, tables_deprecated, tables_deleted;
    int64_t partitions_added, partitions_updated, partitions_removed;
    char *changes_json; /* JSON array of the schema differences seen (the crawler's
                           shape, e.g. [{"Table":…,"Changes":[schema_diff_json]}]); NULL = [] */
} sl_catalog_crawl;

typedef struct sl_catalog_crawl_list {
    sl_catalog_crawl *items;
    size_t count;
} sl_catalog_crawl_list;

/* Record a crawl: inserts it when c->id == 0 (and sets c->id), otherwise
 * replaces the row with that id (so a crawler saves a RUNNING row at the
 * start and the outcome at the end). changes_json must be a JSON array. */
int sl_catalog_save_crawl(sl_catalog *cat, sl_catalog_crawl *c, sl_error *err);
/* Crawls, newest first; crawler NULL = every crawler; limit 0 = all. */
int sl_catalog_list_crawls(sl_catalog *cat, const char *crawler, size_t limit, sl_catalog_crawl_list *out,
                           sl_error *err);
void sl_catalog_crawl_free(sl_catalog_crawl *c);
void sl_catalog_crawl_list_free(sl_catalog_crawl_list *l);

/* ================================================================== */
/* Glue JSON shapes                                                    */
/* ================================================================== */

/* Append the object in Glue's shape (compact JSON, keys as in the botocore
 * model; absent members omitted; timestamps as epoch seconds with
 * millisecond fractions). Return 0 or SL_ELIMIT (out's maximum). */
int sl_catalog_database_json(const sl_catalog_database *db, sl_buf *out);
int sl_catalog_table_json(const sl_catalog_table *t, sl_buf *out);
int sl_catalog_storage_json(const sl_catalog_storage *sd, sl_buf *out);
int sl_catalog_partition_json(const sl_catalog_partition *p, sl_buf *out);
int sl_catalog_connection_json(const sl_catalog_connection *c, sl_buf *out);
/* Glue's TableVersion: {"Table":{…},"VersionId":"N"}. */
int sl_catalog_table_version_json(const sl_catalog_table *t, sl_buf *out);
/* Glue's CrawlerHistory (CrawlId, State, StartTime, EndTime, Summary as a
 * JSON string of counts, ErrorMessage) plus sluice's "CrawlerName" and
 * "SchemaChanges" (the changes_json array). */
int sl_catalog_crawl_json(const sl_catalog_crawl *c, sl_buf *out);

/* Read the same shapes back (e.g. a stored document or a Glue API request
 * body). Unknown members are kept in extra_json. out is overwritten (not
 * freed first); on failure it is left empty. SL_EPARSE naming the member on
 * malformed JSON or a member of the wrong type. */
int sl_catalog_database_from_json(const char *json, size_t len, sl_catalog_database *out, sl_error *err);
int sl_catalog_table_from_json(const char *json, size_t len, sl_catalog_table *out, sl_error *err);
int sl_catalog_partition_from_json(const char *json, size_t len, sl_catalog_partition *out, sl_error *err);
int sl_catalog_connection_from_json(const char *json, size_t len, sl_catalog_connection *out, sl_error *err);

#endif
