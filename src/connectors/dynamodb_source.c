/*
 * dynamodb_source.c — the `read_dynamodb` source: a parallel Scan of one
 * DynamoDB table (Glue's connection_type "dynamodb").
 *
 * Planning: DescribeTable (a missing table fails the run here, before any
 * data moves), then one split per Scan segment; split.data holds the
 * segment number. Each worker scans its segment page by page
 * (ExclusiveStartKey ← LastEvaluatedKey); a page becomes a batch whose
 * strings point into the response body, pinned to the batch.
 *
 * Rate limit (Glue's dynamodb.throughput.read.percent): every Scan asks for
 * ReturnConsumedCapacity TOTAL, and all segments of the node draw from one
 * token bucket that refills at read_percent × the table's provisioned read
 * capacity (or max_rcu) per second. A page may overdraw the bucket; the next
 * request waits until it is back to zero. On-demand tables have no
 * provisioned capacity and are read without a limit unless max_rcu is set.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/credentials.h"
#include "aws/dynamodb.h"
#include "core/mem.h"
#include "exec/run.h"
#include "formats/ddbjson.h"
#include "formats/json.h"

#define AUTO_SEGMENTS_MAX 64
#define SEGMENTS_MAX 1000000 /* DynamoDB's limit on TotalSegments */
#define BYTES_PER_SEGMENT (64ull << 20)
#define RCU_BYTES 4096.0

static const sl_option source_options[] = {
    {"table", SL_OPT_STRING, NULL, "Name of the DynamoDB table to scan.", NULL, SL_OPTF_REQUIRED},
    {"region", SL_OPT_STRING, NULL, "AWS region. Default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region.",
     NULL, 0},
    {"endpoint", SL_OPT_STRING, NULL,
     "Endpoint URL, e.g. http://127.0.0.1:8000 for DynamoDB Local. Default: AWS_ENDPOINT_URL_DYNAMODB, "
     "AWS_ENDPOINT_URL, the profile's endpoint_url, else the public endpoint of the region.",
     NULL, 0},
    {"profile", SL_OPT_STRING, NULL,
     "Profile in ~/.aws/credentials and ~/.aws/config for credentials and region. Default: AWS_PROFILE, then "
     "\"default\". Credentials in the environment (AWS_ACCESS_KEY_ID, ...) come first.",
     NULL, 0},
    {"segments", SL_OPT_INT, "0",
     "Number of parallel Scan segments (Glue's dynamodb.splits); each segment is read by one worker. 0 sizes it "
     "to the machine and the table: twice the worker threads, or one segment per 64 MB of table, whichever "
     "is more, at most 64.",
     NULL, 0},
    {"consistent_read", SL_OPT_BOOL, "false",
     "Strongly consistent reads: every item written before the scan started is seen, at twice the read "
     "capacity of the default eventually consistent reads.",
     NULL, 0},
    {"projection", SL_OPT_LIST, NULL,
     "Read only these top-level attributes (ProjectionExpression; names are passed as they are, so reserved "
     "words and dots need no quoting). Default: every attribute.",
     NULL, 0},
    {"read_percent", SL_OPT_DOUBLE, "0.5",
     "Fraction of the table's provisioned read capacity this read may use, measured with the consumed "
     "capacity DynamoDB reports (Glue's dynamodb.throughput.read.percent), 0.1 to 1.5. On-demand tables have "
     "no provisioned capacity: they are read without a limit unless max_rcu is set.",
     NULL, 0},
    {"max_rcu", SL_OPT_DOUBLE, NULL,
     "Upper bound on read capacity units per second for the whole read (all segments together). Applies to "
     "on-demand tables too. Default: no bound beyond read_percent.",
     NULL, 0},
    {"page_size", SL_OPT_INT, "0",
     "Items evaluated per Scan request (Limit). 0: the run's batch_records but at least 4096, fewer when a rate "
     "limit applies so that one page stays within about a second of this segment's share of the capacity.",
     NULL, 0},
    {0},
};

/* Token bucket shared by all segments of one node. */
typedef struct limiter {
    pthread_mutex_t lock;
    double rate;      /* capacity units per second; 0 = no limit */
    double balance;   /* units available now; negative = overdrawn */
    uint64_t last_ns; /* when balance was last refilled */
} limiter;

typedef struct source_data {
    sl_aws_config cfg;
    sl_ddb_table table;
    char **projection;
    size_t n_projection;
    uint32_t segments;  /* decided at plan time */
    int64_t page_limit; /* Limit per Scan request */
    limiter lim;
} source_data;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void limiter_refill(limiter *l) {
    uint64_t now = now_ns();
    l->balance += l->rate * (double)(now - l->last_ns) / 1e9;
    if (l->balance > l->rate) l->balance = l->rate; /* at most one second of burst */
    l->last_ns = now;
}

/* Wait until the bucket is no longer overdrawn (or the run is cancelled). */
static void limiter_wait(limiter *l, const sl_run *run) {
    if (l->rate <= 0) return;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        limiter_refill(l);
        double deficit = -l->balance;
        pthread_mutex_unlock(&l->lock);
        if (deficit <= 0 || run->cancel) return;
        double seconds = deficit / l->rate;
        if (seconds > 0.1) seconds = 0.1; /* wake up often enough to notice cancellation */
        struct timespec ts = {0, (long)(seconds * 1e9) + 1};
        nanosleep(&ts, NULL);
    }
}

static void limiter_charge(limiter *l, double units) {
    if (l->rate <= 0 || units <= 0) return;
    pthread_mutex_lock(&l->lock);
    limiter_refill(l);
    l->balance -= units;
    pthread_mutex_unlock(&l->lock);
}

/* An invalid option value: message located at the option. */
static int bad_option(sl_error *err, const sl_node *node, const char *opt, const char *message) {
    sl_error_set(err, SL_EINVAL, "%s", message);
    const sl_optval *o = sl_node_opt(node, opt);
    sl_error_at(err, node->job_file, o->line ? o->line : node->line, o->column);
    return SL_EINVAL;
}

static void source_release(sl_node *node) {
    source_data *d = node->data;
    if (!d) return;
    for (size_t i = 0; i < d->n_projection; i++)
        free(d->projection[i]);
    free(d->projection);
    pthread_mutex_destroy(&d->lim.lock);
    free(d);
    node->data = NULL;
}

static int source_check(sl_node *node, sl_error *err) {
    source_data *d = sl_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->lim.lock, NULL);
    node->data = d;
    int64_t segments = sl_node_int(node, "segments");
    if (segments < 0 || segments > SEGMENTS_MAX)
        return bad_option(err, node, "segments", "segments must be between 0 (automatic) and 1000000");
    double pct = sl_node_double(node, "read_percent");
    if (!(pct >= 0.1 && pct <= 1.5))
        return bad_option(err, node, "read_percent", "read_percent must be between 0.1 and 1.5");
    const sl_optval *max_rcu = sl_node_opt(node, "max_rcu");
    if (max_rcu->has_value && !(max_rcu->d > 0))
        return bad_option(err, node, "max_rcu", "max_rcu must be a positive number");
    if (sl_node_int(node, "page_size") < 0)
        return bad_option(err, node, "page_size", "page_size must be 0 (automatic) or more");
    const sl_optval *proj = sl_node_opt(node, "projection");
    if (proj->has_value && proj->tree.type == SL_T_LIST) {
        d->projection = sl_xcalloc(proj->tree.len ? proj->tree.len : 1, sizeof *d->projection);
        for (uint32_t i = 0; i < proj->tree.len; i++) {
            const sl_value *v = &proj->tree.u.items[i];
            if (v->type != SL_T_STRING || v->len == 0)
                return bad_option(err, node, "projection", "projection must be a list of attribute names");
            d->projection[d->n_projection++] = sl_xstrndup(v->u.s, v->len);
        }
    }
    return SL_OK;
}

/* Resolve credentials/region/endpoint for a node (shared with the target). */
static int load_config(sl_node *node, sl_aws_config *cfg, sl_error *err) {
    sl_aws_overrides ov = {
        .profile = sl_node_str(node, "profile"),
        .region = sl_node_str(node, "region"),
        .endpoint = sl_node_str(node, "endpoint"),
    };
    return sl_aws_config_load("dynamodb", &ov, cfg, err);
}

static int source_prepare(sl_node *node, sl_run *run, sl_error *err) {
    source_data *d = node->data;
    int rc = load_config(node, &d->cfg, err);
    sl_ddb *client = NULL;
    if (!rc) rc = sl_ddb_new(&d->cfg, &client, err);
    if (!rc) rc = sl_ddb_describe_table(client, sl_node_str(node, "table"), &d->table, err);
    sl_ddb_free(client);
    return rc;
}

static uint32_t auto_segments(const source_data *d, const sl_run *run) {
    uint64_t by_threads = (uint64_t)(run->threads > 0 ? run->threads : 1) * 2;
    uint64_t by_size = (uint64_t)(d->table.size_bytes > 0 ? d->table.size_bytes : 0) / BYTES_PER_SEGMENT;
    uint64_t n = by_threads > by_size ? by_threads : by_size;
    return (uint32_t)(n > AUTO_SEGMENTS_MAX ? AUTO_SEGMENTS_MAX : n);
}

/* Items per Scan page: the run's batch size but at least DDB_PAGE_MIN (a
 * page is one round trip; DynamoDB caps it at 1 MB anyway), smaller under a
 * rate limit so one page costs about a second of this segment's share. */
#define DDB_PAGE_MIN 4096
static int64_t page_limit(const sl_node *node, const source_data *d, const sl_run *run, bool consistent) {
    int64_t batch = run->job->settings.batch_records > 0 ? run->job->settings.batch_records : SL_BATCH_DEFAULT_RECORDS;
    if (batch < DDB_PAGE_MIN) batch = DDB_PAGE_MIN;
    int64_t set = sl_node_int(node, "page_size");
    if (set > 0) return set;
    if (d->lim.rate <= 0 || d->table.item_count <= 0 || d->table.size_bytes <= 0) return batch;
    double avg_item = (double)d->table.size_bytes / (double)d->table.item_count;
    double units_per_byte = (consistent ? 1.0 : 0.5) / RCU_BYTES;
    double share = d->lim.rate / d->segments;
    double items = share / (units_per_byte * (avg_item > 1 ? avg_item : 1));
    if (items < 1) items = 1;
    return items < (double)batch ? (int64_t)items : batch;
}

static int source_plan(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err) {
    source_data *d = node->data;
    const char *table = sl_node_str(node, "table");
    int64_t set = sl_node_int(node, "segments");
    d->segments = set > 0 ? (uint32_t)set : auto_segments(d, run);
    if (d->segments == 0) d->segments = 1;

    double rate = d->table.on_demand ? 0 : sl_node_double(node, "read_percent") * d->table.read_capacity;
    const sl_optval *max_rcu = sl_node_opt(node, "max_rcu");
    if (max_rcu->has_value && (rate <= 0 || max_rcu->d < rate)) rate = max_rcu->d;
    d->lim.rate = rate;
    d->lim.balance = rate;
    d->lim.last_ns = now_ns();
    d->page_limit = page_limit(node, d, run, sl_node_bool(node, "consistent_read"));

    sl_split *s = sl_xcalloc(d->segments, sizeof *s);
    for (uint32_t i = 0; i < d->segments; i++) {
        char name[400];
        snprintf(name, sizeof name, "dynamodb://%.300s/segment/%u", table, i);
        s[i].path = sl_xstrdup(name);
        s[i].length = UINT64_MAX;
        s[i].index = i;
        s[i].data = (void *)(uintptr_t)i; /* the segment number; nothing to free */
    }
    *splits = s;
    *n_splits = d->segments;
    return SL_OK;
}

/* ---- reader ---- */

typedef struct reader {
    sl_node *node;
    sl_run *run;
    source_data *d;
    const sl_split *split;
    sl_ddb *client;
    sl_ddb_scan_params params;
    char *start_key; /* LastEvaluatedKey of the previous page */
    bool done;
    sl_buf key; /* scratch for error output */
} reader;

static int source_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    source_data *d = node->data;
    reader *r = sl_xcalloc(1, sizeof *r);
    int rc = sl_ddb_new(&d->cfg, &r->client, err);
    if (rc) {
        free(r);
        return rc;
    }
    r->node = node;
    r->run = run;
    r->d = d;
    r->split = split;
    sl_buf_init(&r->key, 4096);
    r->params = (sl_ddb_scan_params){
        .table = sl_node_str(node, "table"),
        .segment = (uint32_t)(uintptr_t)split->data,
        .total_segments = d->segments,
        .consistent_read = sl_node_bool(node, "consistent_read"),
        .projection = (const char *const *)d->projection,
        .n_projection = d->n_projection,
        .limit = d->page_limit,
    };
    *out = r;
    return SL_OK;
}

static void release_body(void *ptr, void *ctx) {
    (void)ctx;
    free(ptr);
}

/* An item that does not convert goes to the error output, named by its key. */
static int reject_item(reader *r, const sl_value *item, const sl_error *why, sl_error *err) {
    sl_buf_reset(&r->key);
    sl_ddb_item_key(item, &r->d->table, &r->key);
    char reason[700];
    snprintf(reason, sizeof reason, "item %s: %s", r->key.data ? r->key.data : "{}", why->message);
    sl_buf raw;
    sl_buf_init(&raw, SL_BUF_UNLIMITED);
    sl_json_write(&raw, item);
    int rc = sl_run_reject_raw(r->run, r->node, r->split->path, 0, -1, reason, raw.data ? raw.data : "", raw.len, err);
    sl_buf_free(&raw);
    return rc;
}

static int source_next(void *state, sl_batch *b, sl_error *err) {
    reader *r = state;
    b->source_name = r->split->path;
    while (!r->done && !r->run->cancel) {
        limiter_wait(&r->d->lim, r->run);
        r->params.start_key = r->start_key;
        char *body = NULL;
        size_t body_len = 0;
        sl_ddb_page page;
        int rc = sl_ddb_scan(r->client, &r->params, &b->arena, &body, &body_len, &page, err);
        if (rc) return rc;
        sl_batch_pin(b, body, release_body, NULL); /* item strings point into the body */
        b->bytes_in += body_len;
        limiter_charge(&r->d->lim, page.consumed);
        free(r->start_key);
        r->start_key = page.last_key;
        r->done = page.last_key == NULL;
        sl_error item_err;
        sl_error_clear(&item_err);
        for (size_t i = 0; i < page.count; i++) {
            sl_value rec;
            if (sl_ddb_item_to_record(&b->arena, &page.items[i], &rec, &item_err) == SL_OK) {
                sl_batch_push(b, rec, (sl_recloc){0, -1});
                continue;
            }
            rc = reject_item(r, &page.items[i], &item_err, err);
            sl_error_clear(&item_err);
            if (rc) return rc;
        }
        if (b->count) return 1;
    }
    return b->count || b->bytes_in ? 1 : 0;
}

static void source_close(void *state) {
    reader *r = state;
    if (!r) return;
    sl_ddb_free(r->client);
    free(r->start_key);
    sl_buf_free(&r->key);
    free(r);
}

const sl_node_type sl_read_dynamodb_type = {
    .name = "read_dynamodb",
    .kind = SL_NODE_SOURCE,
    .summary = "scan a DynamoDB table in parallel segments, within a share of its read capacity",
    .help = "Like Glue's create_dynamic_frame.from_options with connection_type dynamodb. Each Scan segment is "
            "read by one worker; items become records (S → string, N → long when integral else exact decimal, "
            "B → binary, BOOL, NULL, M → struct, L and sets → arrays). Credentials, region and endpoint come "
            "from the environment and ~/.aws like the AWS SDKs (region/endpoint/profile override them). "
            "A table that does not exist fails the run before any data moves.",
    .options = source_options,
    .min_inputs = 0,
    .max_inputs = 0,
    .check = source_check,
    .prepare = source_prepare,
    .release = source_release,
    .plan = source_plan,
    .open = source_open,
    .next = source_next,
    .close = source_close,
};
