/*
 * opensearch.h — an OpenSearch client (connection, `_bulk` sender, index
 * name templates, a few index calls) and the `write_opensearch` target
 * built on it (docs/opensearch.md).
 *
 * Layers, bottom up:
 *   connection  one HTTP client (aws/http.h) for one thread, with basic auth
 *               or SigV4 (service "es" or "aoss"), TLS options and the
 *               endpoint; calls that retry 429/5xx/connection errors with
 *               back-off (aws/retry.h).
 *   bulk        NDJSON `_bulk` requests with `index` or `create` actions,
 *               bounded by bytes and by documents, gzip-compressed. The
 *               response is read item by item: only items that failed with
 *               429 / (es_)rejected_execution_exception or 5xx are sent
 *               again; items rejected for good go to a callback with the
 *               server's reason; accepted items are never sent again.
 *   template    index names from record fields: "logs-{timestamp:yyyy.MM.dd}".
 *   node        write_opensearch (registered in exec/registry.c).
 */
#ifndef SL_OPENSEARCH_H
#define SL_OPENSEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/http.h"
#include "aws/retry.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"

/* ---- connection ---- */

/* How to reach a cluster. Every string may be NULL; strings are copied. */
typedef struct sl_opensearch_config {
    const char *endpoint;     /* "http(s)://host[:port][/prefix]"; with sigv4 it may come from the AWS
                               * configuration (AWS_ENDPOINT_URL_OPENSEARCH / _OPENSEARCHSERVERLESS, …) */
    const char *auth;         /* "none", "basic", "sigv4"; NULL or "auto" = basic when user is set, else none */
    const char *user;         /* basic auth user name */
    const char *password_env; /* basic auth: NAME of the environment variable holding the password */
    const char *aws_service;  /* sigv4: "es" (Amazon OpenSearch Service, default) or "aoss" (Serverless) */
    const char *region;       /* sigv4 overrides of the AWS chain (aws/credentials.h); NULL = chain */
    const char *profile;
    const char *ca_file; /* TLS CA bundle; NULL = the system's */
    const char *client_cert; /* TLS client certificate (PEM); NULL = none */
    const char *client_key;  /* its private key (PEM); NULL = inside client_cert */
    bool insecure;       /* skip TLS certificate and host checks (explicit, for local clusters) */
    long timeout_ms;     /* whole request; 0 = 60 s */
} sl_opensearch_config;

/* A connection: resolved settings plus one HTTP client. Used by one thread at
 * a time (calls take it const, but its HTTP client keeps state); each worker
 * thread gets its own with sl_opensearch_conn_clone. */
typedef struct sl_opensearch_conn sl_opensearch_conn;

/* Resolve cfg (password from the environment, AWS credentials and region for
 * sigv4) and create a connection. No request is made. Errors (SL_EINVAL):
 * no endpoint, an endpoint that is not http(s)://, an unknown auth or
 * service, basic auth without user or password_env, password_env naming an
 * unset variable; the AWS chain's errors for sigv4. Messages never contain
 * the password or the secret key. */
int sl_opensearch_conn_new(const sl_opensearch_config *cfg, sl_opensearch_conn **out, sl_error *err);
/* A new connection with c's settings (and test hooks) and its own HTTP client. */
int sl_opensearch_conn_clone(const sl_opensearch_conn *c, sl_opensearch_conn **out, sl_error *err);
void sl_opensearch_conn_free(sl_opensearch_conn *c);
/* The endpoint without a trailing '/' (owned by c). */
const char *sl_opensearch_conn_endpoint(const sl_opensearch_conn *c);

/* Tests: replace the HTTP transport (aws/http.h seam; NULL = libcurl) and the
 * sleep between attempts (NULL = nanosleep). Clones inherit both. */
void sl_opensearch_conn_set_transport(sl_opensearch_conn *c, const sl_http_transport *t);
void sl_opensearch_conn_set_sleep(sl_opensearch_conn *c, void (*sleep_ms)(void *ud, long ms), void *ud);

/* Perform one request with retries: transport errors, 429 and 5xx are tried
 * again (up to the connection's retry policy, 8 attempts) with back-off.
 * path: "/index/_search?x=y" (already escaped; see sl_opensearch_escape).
 * content_type may be NULL (no body). Returns 0 when a final response
 * arrived, whatever its status (resp->status says which; resp must be
 * initialised); SL_EIO with a message when retries ran out or there was
 * never a response. `what` names the call in messages. */
int sl_opensearch_call(const sl_opensearch_conn *c, const char *method, const char *path, const char *content_type,
                       const void *body, size_t len, const char *what, sl_http_response *resp, sl_error *err);

/* "HTTP 400 mapper_parsing_exception: failed to parse …" from an error
 * response: the JSON error object of OpenSearch ({"error":{"type","reason",
 * "caused_by"}}), AWS front-end bodies ({"Message": …}) or plain text. */
void sl_opensearch_error_text(const sl_http_response *resp, char *out, size_t size);

/* Append an index name (or comma list / wildcard) to out, percent-encoding
 * every byte but A-Z a-z 0-9 - _ . ~ , * (the path segment of a URL). */
void sl_opensearch_escape(sl_buf *out, const char *s, size_t len);

/* ---- calls ---- */

/* GET / — checks the endpoint answers and the credentials are accepted.
 * SL_EIO with "authentication failed …" for 401/403, the server's message
 * otherwise. (Serverless collections have no such endpoint: callers skip it
 * for "aoss".) */
int sl_opensearch_ping(const sl_opensearch_conn *c, sl_error *err);

/* POST /<index>/_search with query_json as the body (index NULL or "" =
 * every index). On success appends the response body (JSON) to response and
 * returns 0. Errors: SL_ENOTFOUND for a missing index (404), SL_EINVAL for a
 * query the server rejects (400), SL_EIO otherwise (authentication, server
 * errors after retries) — each with the server's type and reason. */
int sl_opensearch_search(const sl_opensearch_conn *c, const char *index, const char *query_json, sl_buf *response,
                         sl_error *err);

/* PUT /<index> with body (JSON {"settings":…,"mappings":…}; NULL/0 = none).
 * An index that already exists (resource_already_exists_exception) is not an
 * error: *created (may be NULL) says whether this call created it. */
int sl_opensearch_create_index(const sl_opensearch_conn *c, const char *index, const char *body, size_t len,
                               bool *created, sl_error *err);

/* POST /<index>/_refresh (index may be a comma list): makes every document
 * written so far visible to search. */
int sl_opensearch_refresh(const sl_opensearch_conn *c, const char *index, sl_error *err);

/* POST /<index>/_count with query_json (NULL = all documents). */
int sl_opensearch_count(const sl_opensearch_conn *c, const char *index, const char *query_json, uint64_t *count,
                        sl_error *err);

/* ---- bulk responses ---- */

typedef enum sl_opensearch_outcome {
    SL_OS_ITEM_OK,    /* 2xx: stored */
    SL_OS_ITEM_RETRY, /* 429, (es_)rejected_execution_exception, 5xx: send again after a back-off */
    SL_OS_ITEM_REJECT /* anything else (400 mapper_parsing_exception, 409 version conflict, …): final */
} sl_opensearch_outcome;

typedef struct sl_opensearch_item_result {
    int status; /* the item's HTTP status */
    sl_opensearch_outcome outcome;
    const char *reason; /* NULL for OK; else "HTTP 409 version_conflict_engine_exception: …
                         * (caused by: …)", NUL-terminated, in the arena */
} sl_opensearch_item_result;

/* Read a `_bulk` response body: the "items" array must hold exactly n_items
 * entries, each a one-key object (index/create/update/delete) with a
 * "status" (responses filtered with filter_path=errors,items.*.status,
 * items.*.error are fine). Fills out[0..n_items). Reasons live in arena a.
 * SL_EPARSE with a message when the body is not such a response. */
int sl_opensearch_parse_bulk_response(const char *body, size_t len, size_t n_items, sl_arena *a,
                                      sl_opensearch_item_result *out, sl_error *err);

/* ---- bulk sender ---- */

typedef enum sl_opensearch_action { SL_OS_ACTION_INDEX, SL_OS_ACTION_CREATE } sl_opensearch_action;

/* Where a document came from, for the error output. The source string is
 * not copied: it must stay valid until the document has been flushed. */
typedef struct sl_opensearch_item_src {
    const char *source;
    uint64_t line;  /* 0 = unknown */
    int64_t offset; /* -1 = unknown */
} sl_opensearch_item_src;

typedef struct sl_opensearch_bulk_options {
    sl_opensearch_action action;
    size_t max_bytes; /* NDJSON bytes (before compression) per request; a bigger document goes alone */
    size_t max_docs;  /* documents per request */
    int gzip_level;   /* 0 = send uncompressed; 1..12 = libdeflate level (Content-Encoding: gzip) */
    int max_retries;  /* re-sends of items (and of whole requests) that failed with 429/5xx; then the
                       * flush fails naming how many documents are left */
    /* A document the server rejected for good (or one larger than the
     * server accepts, HTTP 413): doc/doc_len is its JSON as sent, reason the
     * server's. Return 0 to go on, negative to stop (that status is then
     * returned by add/flush; fill err). Required. */
    int (*reject)(void *ud, const sl_opensearch_item_src *src, const char *doc, size_t doc_len, const char *reason,
                  sl_error *err);
    void *reject_ud;
    const volatile int *cancel; /* optional: stop retrying once *cancel is set */
} sl_opensearch_bulk_options;

/* Counters of one sender (documents, not requests, unless named so). */
typedef struct sl_opensearch_bulk_stats {
    uint64_t docs_ok;       /* accepted by the server */
    uint64_t docs_rejected; /* handed to the reject callback */
    uint64_t docs_resent;   /* item re-sends after 429/5xx (one document may count several times) */
    uint64_t requests;      /* HTTP requests made, retries included */
    uint64_t bytes_ndjson;  /* NDJSON bytes of first sends */
    uint64_t bytes_sent;    /* request body bytes on the wire, retries included */
} sl_opensearch_bulk_stats;

typedef struct sl_opensearch_bulk sl_opensearch_bulk;

/* A sender on connection c (not owned; one thread). o is copied. */
int sl_opensearch_bulk_new(sl_opensearch_conn *c, const sl_opensearch_bulk_options *o, sl_opensearch_bulk **out,
                           sl_error *err);
/* Queue one document for index (id may be NULL: the server makes one up).
 * Sends a request first when the queue is full. Returns 0, SL_ETYPE when doc
 * cannot be written as JSON (the caller rejects the record; nothing was
 * queued), or a flush error. */
int sl_opensearch_bulk_add(sl_opensearch_bulk *b, const char *index, size_t index_len, const char *id, size_t id_len,
                           const sl_value *doc, const sl_opensearch_item_src *src, sl_error *err);
/* Send everything queued and wait until each document is accepted or
 * rejected. 0, or SL_EIO/SL_ELIMIT with a message (authentication failure,
 * retries exhausted, a threshold from the reject callback). */
int sl_opensearch_bulk_flush(sl_opensearch_bulk *b, sl_error *err);
void sl_opensearch_bulk_get_stats(const sl_opensearch_bulk *b, sl_opensearch_bulk_stats *out);
/* Free; documents still queued are dropped (call flush first to send them). */
void sl_opensearch_bulk_free(sl_opensearch_bulk *b);

/* ---- index name templates ---- */

/* "logs-{timestamp:yyyy.MM.dd}", "{service_name}-logs", "applogs": literal
 * text with {field} (a field path, core/fieldpath.h) and {field:pattern}
 * (a date pattern: yyyy yy MM M dd d HH H mm ss SSS, other characters
 * literal, 'quoted' text literal). The field of a pattern may be a
 * timestamp, a date, a number (epoch milliseconds) or a string (ISO 8601 or
 * epoch-millisecond digits); times are UTC. */
typedef struct sl_opensearch_template sl_opensearch_template;

/* SL_EINVAL with a message for an unclosed brace, an empty or bad field
 * path, an unknown pattern letter, or (for text without fields) an invalid
 * index name. */
int sl_opensearch_template_compile(const char *text, sl_opensearch_template **out, sl_error *err);
void sl_opensearch_template_free(sl_opensearch_template *t);
/* True when the text has no {field}: every record goes to the same index. */
bool sl_opensearch_template_is_static(const sl_opensearch_template *t);
/* Index name for rec, appended to out (out is reset first). SL_ETYPE with a
 * reason when a field is missing, null, not usable, or the result is not a
 * valid index name (lower case only; none of \ / * ? " < > | , # : or space;
 * not starting with - _ +; not . or ..; at most 255 bytes). */
int sl_opensearch_template_render(const sl_opensearch_template *t, const sl_value *rec, sl_buf *out, sl_error *err);

/* Is name a valid OpenSearch index name (rules above)? On false, *why (may
 * be NULL) says which rule it breaks. */
bool sl_opensearch_index_name_ok(const char *name, size_t len, const char **why);

#endif
