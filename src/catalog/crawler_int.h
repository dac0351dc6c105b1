/*
 * crawler_int.h — what crawler.c (running a crawl, applying it to the
 * catalog) and crawler_scan.c (reading the targets: listing, classifying,
 * sampling DynamoDB, proposing tables) share. Not an interface for anyone
 * else.
 */
#ifndef SL_CRAWLER_INT_H
#define SL_CRAWLER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "catalog/crawler.h"
#include "core/buf.h"
#include "core/error.h"

/* At most this many skipped objects are kept (with reasons) in a report. */
#define CRAWL_SKIPPED_KEPT 100

/* Default classification threads for S3 targets: each read mostly waits
 * for the server, so many more reads than cores are kept in flight. */
#define CRAWL_REMOTE_THREADS 64

/* One table a target's data proposes, ready for the catalog. */
typedef struct crawl_proposal {
    sl_catalog_table table;      /* database, name, parameters, sd, partition keys */
    sl_catalog_partition *parts; /* values, sd (location, format, own columns), parameters */
    size_t n_parts;
    char *root; /* path targets: the target's folder URL (ending in '/'); NULL for DynamoDB */
    /* Columns seen with different types in different partitions: a JSON
     * array [{"Column":…,"Types":[…],"Chosen":…}] or NULL. */
    char *conflicts_json;
} crawl_proposal;

void crawl_proposal_free(crawl_proposal *p);

/* One crawl in progress. */
typedef struct crawl_run {
    const sl_crawler_def *def;
    const sl_crawl_opts *opts;
    int threads;        /* classification threads for local targets */
    int remote_threads; /* … for S3 targets (reads wait on the network) */
    sl_crawl_report *report;

    /* CRAWL_NEW_FOLDERS_ONLY: folders crawled before (sorted URLs) and the
     * folders this crawl classified (to remember on success). */
    char **known_folders;
    size_t n_known_folders;
    char **new_folders;
    size_t n_new_folders, cap_new_folders;

    crawl_proposal *props;
    size_t n_props, cap_props;

    /* counters updated by the classification threads */
    _Atomic uint64_t listed, classified, to_classify, items;
    _Atomic uint64_t list_requests, get_requests, ddb_requests;

    pthread_mutex_t lock; /* guards report->skipped */
    uint64_t last_progress_ms;
    const char *target; /* being crawled, for progress */
} crawl_run;

/* Has the caller asked the crawl to stop (sl_crawl_opts.cancel)? */
bool crawl_cancelled(const crawl_run *r);
/* The error a stopped crawl ends with. */
int crawl_stopped_error(sl_error *err);

/* Report progress (rate-limited to ~10 per second unless force). */
void crawl_progress(crawl_run *r, sl_crawl_phase phase, bool force);

/* Remember a skipped object (thread-safe; only the first
 * CRAWL_SKIPPED_KEPT are kept, all are counted). */
void crawl_skip(crawl_run *r, const char *key, const char *reason);

/* Is folder (a URL ending in '/') among those crawled before? */
bool crawl_folder_known(const crawl_run *r, const char *folder);

/* Read one path target (local folder or s3:// prefix): list, classify,
 * group into tables; appends proposals to r->props. */
int crawl_scan_path(crawl_run *r, const sl_crawl_target *t, sl_error *err);

/* Read one DynamoDB target: DescribeTable, sample or scan, infer;
 * appends one proposal to r->props. */
int crawl_scan_dynamodb(crawl_run *r, const sl_crawl_target *t, sl_error *err);

/* Append a new, zeroed proposal to r->props. */
crawl_proposal *crawl_add_proposal(crawl_run *r);

#endif
