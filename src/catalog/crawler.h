/*
 * crawler.h — crawlers: a definition (Glue's Crawler shape, written as a
 * small YAML file), running a crawl, and what a crawl reports.
 *
 * A crawl:
 *   1. lists every object under each path target (a local folder or an
 *      s3:// prefix) and classifies them in parallel from their first bytes
 *      (catalog/classify.h), or samples/scans each DynamoDB target;
 *   2. groups each path target's objects into proposed tables with their
 *      partitions (catalog/infer_tables.h);
 *   3. applies the proposals to the catalog under the schema change policy,
 *      in ONE transaction, together with the crawl's history row
 *      (COMPLETED). A crawl that fails changes nothing but its own history
 *      row (FAILED, with the message).
 * The policies, the parameters written into each table and the definition
 * file format are described in docs/crawling.md; classification and
 * grouping in docs/crawlers.md.
 *
 * Ownership: a definition and a report own all their strings (malloc'd);
 * free them with sl_crawler_def_free / sl_crawl_report_free. Nothing here
 * keeps a pointer to what it is given.
 */
#ifndef SL_CRAWLER_H
#define SL_CRAWLER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/error.h"

/* ================================================================== */
/* Definitions                                                         */
/* ================================================================== */

/* Glue's SchemaChangePolicy.UpdateBehavior. DEFAULT is resolved by
 * sl_crawler_def_check: UPDATE_IN_DATABASE, or LOG for a crawler that
 * crawls new folders only (Glue requires LOG there). */
typedef enum sl_crawl_update {
    SL_CRAWL_UPDATE_DEFAULT = 0,
    SL_CRAWL_UPDATE_IN_DATABASE,
    SL_CRAWL_UPDATE_LOG
} sl_crawl_update;

/* Glue's SchemaChangePolicy.DeleteBehavior; DEFAULT as above
 * (DEPRECATE_IN_DATABASE, or LOG for new folders only). */
typedef enum sl_crawl_delete {
    SL_CRAWL_DELETE_DEFAULT = 0,
    SL_CRAWL_DEPRECATE_IN_DATABASE,
    SL_CRAWL_DELETE_FROM_DATABASE,
    SL_CRAWL_DELETE_LOG
} sl_crawl_delete;

/* Glue's RecrawlPolicy.RecrawlBehavior. */
typedef enum sl_crawl_recrawl { SL_CRAWL_EVERYTHING = 0, SL_CRAWL_NEW_FOLDERS_ONLY } sl_crawl_recrawl;

/* Glue's enum spellings ("UPDATE_IN_DATABASE", "LOG", …). */
const char *sl_crawl_update_name(sl_crawl_update u);
const char *sl_crawl_delete_name(sl_crawl_delete d);
const char *sl_crawl_recrawl_name(sl_crawl_recrawl r);
/* Parse Glue's spelling, case-insensitive ('-' taken as '_'); false when
 * unknown (*out unchanged). */
bool sl_crawl_update_parse(const char *s, sl_crawl_update *out);
bool sl_crawl_delete_parse(const char *s, sl_crawl_delete *out);
bool sl_crawl_recrawl_parse(const char *s, sl_crawl_recrawl *out);

typedef enum sl_crawl_target_kind { SL_CRAWL_TARGET_PATH = 0, SL_CRAWL_TARGET_DYNAMODB } sl_crawl_target_kind;

/* One target (Glue's S3Target or DynamoDBTarget). */
typedef struct sl_crawl_target {
    sl_crawl_target_kind kind;
    char *path;        /* PATH: a local folder (or file) or s3://bucket/prefix;
                          DYNAMODB: the table name */
    char **exclusions; /* PATH: glob patterns relative to the path (infer_tables.h) */
    size_t n_exclusions;
    int64_t sample_size; /* PATH: files classified per folder (Glue's SampleSize,
                            1..249); 0 = the crawler's sample_size, -1 = every file */
    bool scan_all;       /* DYNAMODB: read every item (Glue's scanAll, default true),
                            else the first 1 MB page */
    double scan_rate;    /* DYNAMODB: share of the provisioned read capacity to use,
                            0.1..1.5 (Glue's scanRate); 0 = 0.5 */
    char *endpoint;      /* NULL = from the environment (aws/credentials.h) */
    char *region;
    char *profile;
} sl_crawl_target;

typedef struct sl_crawler_def {
    char *name;         /* 1..255 bytes, no control characters */
    char *database;     /* created when missing */
    char *description;  /* NULL = none */
    char *table_prefix; /* NULL = none */
    sl_crawl_target *targets;
    size_t n_targets;
    sl_crawl_update update_behavior;
    sl_crawl_delete delete_behavior;
    sl_crawl_recrawl recrawl;
    /* Glue's CrawlerOutput.Tables.AddOrUpdateBehavior "MergeNewColumns":
     * add new columns, never remove or retype existing ones. */
    bool add_new_columns_only;
    /* Glue's Grouping.TableGroupingPolicy "CombineCompatibleSchemas". */
    bool combine_compatible_schemas;
    int64_t sample_size; /* default for path targets; 0 = every file */
} sl_crawler_def;

/* Parse a crawler definition file's text (YAML, snake_case keys; see
 * docs/crawling.md) and check it (sl_crawler_def_check). file names the
 * text in messages. out is overwritten (not freed first); on failure it is
 * left empty. Errors: SL_EINVAL (invalid YAML, as core/ytree.h reports it; an unknown
 * key, a value of the wrong kind, a missing name/database/target), with
 * err->file/line/column set to where the problem is. */
int sl_crawler_def_parse(const char *file, const char *text, size_t len, sl_crawler_def *out, sl_error *err);

/* Read and parse the file at path. *text (may be NULL) receives the file's
 * text (malloc'd) to store as the definition. SL_EIO when unreadable. */
int sl_crawler_def_load(const char *path, sl_crawler_def *out, char **text, sl_error *err);

/* Check a definition built in code (the command line) and resolve the
 * DEFAULT policies. SL_EINVAL naming what is wrong: no name, no database,
 * no target, an empty path, a DynamoDB target without a table, sample
 * sizes outside 1..249, scan_rate outside 0.1..1.5, an explicit
 * UPDATE_IN_DATABASE or non-LOG delete behavior with CRAWL_NEW_FOLDERS_ONLY
 * (as Glue refuses), a malformed exclusion pattern. */
int sl_crawler_def_check(sl_crawler_def *d, sl_error *err);

/* Append the definition as YAML that sl_crawler_def_parse reads back to
 * the same definition (what `sluice crawl` stores for command-line crawls). */
void sl_crawler_def_yaml(const sl_crawler_def *d, sl_buf *out);

/* Append a target of the given kind with path copied; returns it (valid
 * until the next call) for the caller to fill. */
sl_crawl_target *sl_crawler_def_add_target(sl_crawler_def *d, sl_crawl_target_kind kind, const char *path);

/* A name for a crawler defined on the command line: deterministic for a
 * database and set of targets, "<database>-<last folder of the first
 * target>-<8 hex digits of a hash of every target>". malloc'd. */
char *sl_crawler_default_name(const sl_crawler_def *d);

void sl_crawler_def_free(sl_crawler_def *d); /* members; d is zeroed */

/* Load the stored definition of crawler `name` (sl_catalog_get_crawler +
 * parse). SL_ENOTFOUND when there is none. */
int sl_crawler_def_get(sl_catalog *cat, const char *name, sl_crawler_def *out, sl_error *err);

/* ================================================================== */
/* Running                                                             */
/* ================================================================== */

typedef enum sl_crawl_phase {
    SL_CRAWL_LISTING,
    SL_CRAWL_CLASSIFYING,
    SL_CRAWL_SCANNING, /* DynamoDB */
    SL_CRAWL_APPLYING
} sl_crawl_phase;

typedef struct sl_crawl_progress {
    sl_crawl_phase phase;
    const char *target;      /* the target being worked on */
    uint64_t objects_listed; /* so far, every target */
    uint64_t objects_classified;
    uint64_t objects_to_classify;
    uint64_t items_read; /* DynamoDB */
} sl_crawl_progress;

typedef struct sl_crawl_opts {
    /* Set to non-zero (by a signal handler, say) to stop the crawl: it
     * ends STOPPED (SL_ELIMIT, "the crawl was stopped") and applies
     * nothing. NULL = cannot be stopped. Checked between objects and
     * between DynamoDB pages, not while the catalog is being written. */
    const volatile sig_atomic_t *cancel;
    /* Classification threads; <= 0: the number of cores for local
     * folders, 64 for S3 (reads there mostly wait for the network). */
    int threads;
    /* Called from the calling thread, at most about every 100 ms, and once
     * at each phase change. May be NULL. */
    void (*progress)(void *ud, const sl_crawl_progress *p);
    void *progress_ud;
} sl_crawl_opts;

/* What happened to one table. */
typedef enum sl_crawl_action {
    SL_CRAWL_TABLE_CREATED,
    SL_CRAWL_TABLE_UPDATED,    /* new version (schema or format changed) */
    SL_CRAWL_TABLE_UNCHANGED,  /* same schema (statistics and partitions may have moved) */
    SL_CRAWL_TABLE_LOGGED,     /* changed, but the update behavior is LOG: left as it was */
    SL_CRAWL_TABLE_DEPRECATED, /* its data is gone: marked deprecated */
    SL_CRAWL_TABLE_DELETED,    /* its data is gone: deleted */
    SL_CRAWL_TABLE_GONE_LOGGED /* its data is gone; delete behavior LOG: left as it was */
} sl_crawl_action;

/* "created", "updated", "unchanged", "change logged", "deprecated",
 * "deleted", "gone (logged)". */
const char *sl_crawl_action_name(sl_crawl_action a);

typedef struct sl_crawl_table_result {
    char *name;
    char *location;
    char *classification;
    sl_crawl_action action;
    size_t n_columns;
    size_t n_partitions; /* partitions the crawl found */
    size_t partitions_added, partitions_updated, partitions_removed;
    char *note; /* "+discount; qty bigint→double", or NULL */
} sl_crawl_table_result;

typedef struct sl_crawl_skipped {
    char *key; /* URL of the object */
    char *reason;
} sl_crawl_skipped;

typedef struct sl_crawl_report {
    sl_catalog_crawl crawl;      /* the history row as recorded (status, counts, changes) */
    uint64_t objects_listed;     /* every object under the path targets */
    uint64_t objects_classified; /* read and classified */
    uint64_t objects_skipped;    /* excluded, hidden, unknown format, not re-crawled, … */
    uint64_t items_sampled;      /* DynamoDB items read */
    /* Requests made: object-store listings (S3 ListObjectsV2 pages; one per
     * local folder listing), object reads (S3 GETs; local file reads),
     * DynamoDB calls (DescribeTable and Scan pages). */
    uint64_t list_requests, get_requests, dynamodb_requests;
    sl_crawl_table_result *tables;
    size_t n_tables;
    sl_crawl_skipped *skipped; /* the first 100 skipped objects, with why */
    size_t n_skipped;
    double seconds; /* wall time of the crawl */
} sl_crawl_report;

void sl_crawl_report_free(sl_crawl_report *r);

/* Run one crawl of def (checked) against cat, recording it in the crawl
 * history. out is overwritten (not freed first) and filled in every case
 * where the crawl could be recorded. Returns 0 when the crawl COMPLETED;
 * otherwise the error (err filled) — the crawl is then FAILED (or STOPPED
 * when o->cancel was set) in the history, when the catalog could still be
 * written, and the catalog is otherwise unchanged. */
int sl_crawler_run(sl_catalog *cat, const sl_crawler_def *def, const sl_crawl_opts *o, sl_crawl_report *out,
                   sl_error *err);

/* The report as JSON: Glue's CrawlerHistory shape (sl_catalog_crawl_json)
 * plus "Objects" {"Listed","Classified","Skipped"}, "ItemsSampled",
 * "Requests" {"List","Get","DynamoDB"}, "Seconds", "Tables" [{"Name",
 * "Action","Location","Classification","Columns","Partitions",
 * "PartitionsAdded","PartitionsUpdated","PartitionsRemoved","Note"}] and
 * "Skipped" [{"Key","Reason"}]. Returns 0 or SL_ELIMIT. */
int sl_crawl_report_json(const sl_crawl_report *r, sl_buf *out);

#endif
