/*
 * dynamodb.h — a small DynamoDB client (JSON protocol 1.0, API 2012-08-10):
 * the calls sluice's read_dynamodb and write_dynamodb nodes make, plus
 * CreateTable/DeleteTable for tests and tools.
 *
 * Every call is POST / with X-Amz-Target: DynamoDB_20120810.<Op>, signed and
 * retried by sl_aws_call (throttling, 5xx, connection errors, with back-off);
 * anything else (validation, missing table) fails at once with the server's
 * error type and message.
 *
 * Items travel as DynamoDB JSON values (formats/ddbjson.h converts them to
 * records and back). Request building and response parsing are separate
 * functions so they can be tested without a server.
 *
 * A client is used by one thread at a time (it owns one HTTP connection).
 */
#ifndef SL_DYNAMODB_H
#define SL_DYNAMODB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"

/* BatchWriteItem takes at most this many requests. */
#define SL_DDB_BATCH_MAX 25
/* Largest item DynamoDB stores (bytes, names and values counted). */
#define SL_DDB_ITEM_MAX (400 * 1024)

/* ---- table description ---- */

typedef struct sl_ddb_key {
    char name[256]; /* "" when the table has no such key (sort key) */
    char type;      /* 'S', 'N' or 'B' */
} sl_ddb_key;

typedef struct sl_ddb_table {
    char name[256];
    char status[32];    /* ACTIVE, CREATING, … */
    int64_t item_count; /* DynamoDB refreshes these about every 6 hours */
    int64_t size_bytes;
    double read_capacity;  /* provisioned RCUs; 0 for on-demand tables */
    double write_capacity; /* provisioned WCUs; 0 for on-demand tables */
    bool on_demand;        /* BillingMode PAY_PER_REQUEST */
    sl_ddb_key hash_key;
    sl_ddb_key range_key;
} sl_ddb_table;

/* ---- the client ---- */

typedef struct sl_ddb sl_ddb;

/* New client for the resolved configuration cfg (copied). Fails only when
 * the HTTP client cannot be created. */
int sl_ddb_new(const sl_aws_config *cfg, sl_ddb **out, sl_error *err);
void sl_ddb_free(sl_ddb *c);
/* The client's HTTP connection, e.g. to install a fault-injecting transport. */
sl_http *sl_ddb_http(sl_ddb *c);
/* Replace the retry policy (p may be NULL: unchanged) and the sleep between
 * attempts and between UnprocessedItems rounds (sleep_ms NULL = real sleep). */
void sl_ddb_set_retry(sl_ddb *c, const sl_retry_policy *p, void (*sleep_ms)(void *ud, long ms), void *ud);
/* URL requests are POSTed to ("http://127.0.0.1:8000/" or the region's public endpoint). */
const char *sl_ddb_endpoint(const sl_ddb *c);

/* DescribeTable. A missing table is SL_ENOTFOUND with a message naming the
 * table and the endpoint. */
int sl_ddb_describe_table(sl_ddb *c, const char *table, sl_ddb_table *out, sl_error *err);
/* CreateTable, on-demand billing, keys as given (range may be NULL or have an
 * empty name); waits until the table is ACTIVE. */
int sl_ddb_create_table(sl_ddb *c, const char *table, const sl_ddb_key *hash, const sl_ddb_key *range, sl_error *err);
/* DeleteTable; a table that does not exist is not an error. */
int sl_ddb_delete_table(sl_ddb *c, const char *table, sl_error *err);

/* ---- Scan ---- */

typedef struct sl_ddb_scan_params {
    const char *table;
    uint32_t segment;        /* parallel scan: this segment … */
    uint32_t total_segments; /* … of this many; 0 = plain scan */
    bool consistent_read;
    const char *const *projection; /* top-level attribute names (sent through ExpressionAttributeNames) */
    size_t n_projection;
    int64_t limit;         /* items evaluated per page; 0 = server's (1 MB) */
    const char *start_key; /* LastEvaluatedKey of the previous page as JSON text; NULL = first page */
} sl_ddb_scan_params;

typedef struct sl_ddb_page {
    const sl_value *items; /* DynamoDB JSON items (STRUCTs), in the arena / the body */
    size_t count;
    char *last_key;  /* LastEvaluatedKey as JSON text (malloc'd, caller frees); NULL = last page */
    double consumed; /* ConsumedCapacity.CapacityUnits (0 when not reported) */
} sl_ddb_page;

/* One Scan page. On success *body holds the response body (malloc'd, caller
 * frees): page->items point into it and into arena a, so keep it as long as
 * the items are used. */
int sl_ddb_scan(sl_ddb *c, const sl_ddb_scan_params *p, sl_arena *a, char **body, size_t *body_len, sl_ddb_page *page,
                sl_error *err);

/* ---- writes ---- */

/* PutItem of one DynamoDB JSON item (a STRUCT of attribute values). */
int sl_ddb_put_item(sl_ddb *c, const char *table, const sl_value *item, sl_error *err);

/* BatchWriteItem of n ≤ SL_DDB_BATCH_MAX put requests. Items the server
 * returns as UnprocessedItems are sent again after a back-off, up to
 * max_retries times; then SL_ELIMIT saying how many were left. The items'
 * keys must be distinct (DynamoDB rejects a batch with duplicate keys).
 * *consumed (may be NULL) receives the write capacity units used. */
int sl_ddb_batch_write(sl_ddb *c, const char *table, const sl_value *items, size_t n, int max_retries, double *consumed,
                       sl_error *err);

/* ---- request bodies and responses (pure; exposed for tests) ---- */

/* Scan request JSON for p, appended to out. */
void sl_ddb_scan_request(const sl_ddb_scan_params *p, sl_buf *out);
/* BatchWriteItem request JSON: RequestItems {table: [PutRequest…]}. */
void sl_ddb_batch_write_request(const char *table, const sl_value *items, size_t n, sl_buf *out);
/* Parse a Scan response body (kept alive by the caller) into page. */
int sl_ddb_scan_response(const char *body, size_t len, sl_arena *a, sl_ddb_page *page, sl_error *err);
/* Parse a DescribeTable response into t. */
int sl_ddb_table_response(const char *body, size_t len, sl_ddb_table *t, sl_error *err);
/* Parse a BatchWriteItem response: when items remain unprocessed, *retry_body
 * receives the request body that sends them again (RequestItems = the
 * UnprocessedItems) and *n_left their count; otherwise *n_left is 0. */
int sl_ddb_batch_write_response(const char *body, size_t len, sl_buf *retry_body, size_t *n_left, double *consumed,
                                sl_error *err);

/* ---- item helpers ---- */

/* The primary key of a DynamoDB JSON item as compact DynamoDB JSON
 * ({"log_id":{"S":"a"}}), appended to out. Key attributes missing from the
 * item are left out. */
void sl_ddb_item_key(const sl_value *item, const sl_ddb_table *t, sl_buf *out);
/* Check that a DynamoDB JSON item can be stored in table t: the key
 * attributes are present with the table's types (S/N/B, strings and binary
 * not empty), numbers are valid DynamoDB numbers, and the item is at most
 * SL_DDB_ITEM_MAX bytes. SL_EINVAL with the reason otherwise. */
int sl_ddb_item_check(const sl_value *item, const sl_ddb_table *t, sl_error *err);
/* Size of an item as DynamoDB counts it (attribute names + values). */
size_t sl_ddb_item_size(const sl_value *item);
/* Is text a number DynamoDB accepts (at most 38 significant digits,
 * magnitude 1e-130 ..< 1e126, or zero)? */
bool sl_ddb_number_valid(const char *text, size_t len);

#endif
