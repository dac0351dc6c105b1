/*
 * s3.h — an S3 client: the calls sluice's object store makes, a streaming
 * multipart writer and a parallel ranged reader.
 *
 * Addressing: virtual-host style (https://bucket.s3.REGION.amazonaws.com/key)
 * on AWS, path style (ENDPOINT/bucket/key) for custom endpoints (Ceph, MinIO,
 * LocalStack), for buckets whose names are not DNS-safe, and whenever the
 * configuration asks for it. Keys are sent percent-encoded (RFC 3986,
 * '/' kept), exactly as signed.
 *
 * Every call is signed and retried by sl_aws_call (awscall.h): throttling,
 * 5xx and connection errors back off and retry; 403/404/validation fail at
 * once with the server's code and message ("HTTP 403 SignatureDoesNotMatch:
 * …"). Writes send Content-MD5 (and the signed SHA-256 of the payload), and
 * a returned ETag that is an MD5 is checked against the data.
 *
 * Threads: an sl_s3 is shared by threads (it keeps a pool of HTTP
 * connections, one per concurrent call). Writers and readers belong to one
 * thread each; their parts / ranges run on the client's small worker pool,
 * at most max_in_flight per stream.
 */
#ifndef SL_S3_H
#define SL_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "core/error.h"

#define SL_S3_MIN_PART_SIZE ((int64_t)5 << 20)
#define SL_S3_DEFAULT_PART_SIZE ((int64_t)8 << 20)
#define SL_S3_MAX_PARTS 10000
#define SL_S3_ETAG_MAX 80

typedef struct sl_s3 sl_s3;

typedef struct sl_s3_options {
    int64_t part_size;    /* multipart part and read chunk size; default 8 MiB, minimum 5 MiB */
    int max_in_flight;    /* parts or ranges in flight per stream; default 4 */
    int threads;          /* worker pool size (created on demand); default 8 */
    sl_http_options http; /* zero = defaults */
} sl_s3_options;

/* New client for the resolved configuration cfg (copied); opts may be NULL.
 * Fails only when libcurl cannot be initialised. */
int sl_s3_new(const sl_aws_config *cfg, const sl_s3_options *opts, sl_s3 **out, sl_error *err);
/* Frees the client; every reader and writer must be closed first. */
void sl_s3_free(sl_s3 *s);

/* Test seams: a transport installed on every connection, present and
 * future (NULL restores libcurl; *t is copied and must be thread-safe);
 * the retry policy and the sleep between attempts (sleep_ms NULL = real
 * sleep). Call before the client is in use by other threads. */
void sl_s3_set_transport(sl_s3 *s, const sl_http_transport *t);
void sl_s3_set_retry(sl_s3 *s, const sl_retry_policy *p, void (*sleep_ms)(void *ud, long ms), void *ud);

/* The endpoint requests go to, without a trailing '/' ("http://127.0.0.1:7480"). */
const char *sl_s3_endpoint(const sl_s3 *s);
/* The request URL of bucket/key (key may be "" for the bucket itself),
 * appended to out: percent-encoded, path or virtual-host style. */
void sl_s3_object_url(const sl_s3 *s, const char *bucket, const char *key, sl_buf *out);

/* ---- objects ---- */

typedef struct sl_s3_object {
    char *key; /* malloc'd */
    uint64_t size;
    int64_t mtime;             /* seconds since the epoch, 0 if unknown */
    char etag[SL_S3_ETAG_MAX]; /* as the server sent it, quotes removed */
} sl_s3_object;

void sl_s3_object_free(sl_s3_object *o);

typedef struct sl_s3_listing {
    sl_s3_object *objects;
    size_t count, cap;
    char **prefixes; /* CommonPrefixes (with delimiter), malloc'd */
    size_t n_prefixes, prefixes_cap;
    int pages; /* ListObjectsV2 requests made */
} sl_s3_listing;

void sl_s3_listing_free(sl_s3_listing *l);

/* ListObjectsV2 of every key starting with prefix ("" = all), following
 * continuation tokens to the end; delimiter NULL = flat, "/" = one level
 * (subfolders in prefixes). max_keys per page (0 = server default 1000).
 * Appends to out in the server's (UTF-8 binary) order. SL_ENOTFOUND when
 * the bucket does not exist. */
int sl_s3_list(sl_s3 *s, const char *bucket, const char *prefix, const char *delimiter, int max_keys,
               sl_s3_listing *out, sl_error *err);

/* HeadObject. SL_ENOTFOUND when absent. out->key is a malloc'd copy of key. */
int sl_s3_head(sl_s3 *s, const char *bucket, const char *key, sl_s3_object *out, sl_error *err);

/* GetObject of [offset, offset+length) (length UINT64_MAX = to the end),
 * streamed to on_data (return 0 to go on, negative SL_E* to stop). A failed
 * connection is retried from where it broke off; if the object changed in
 * between (ETag differs) the call fails. */
int sl_s3_get(sl_s3 *s, const char *bucket, const char *key, uint64_t offset, uint64_t length,
              int (*on_data)(void *ud, const void *data, size_t len), void *ud, sl_error *err);

/* PutObject of one buffer (up to 5 GiB). */
int sl_s3_put(sl_s3 *s, const char *bucket, const char *key, const void *data, size_t len, sl_error *err);

/* DeleteObject; an absent key is not an error. */
int sl_s3_delete(sl_s3 *s, const char *bucket, const char *key, sl_error *err);

/* CreateBucket; a bucket this account already owns is not an error. */
int sl_s3_create_bucket(sl_s3 *s, const char *bucket, sl_error *err);

/* ---- multipart uploads ---- */

typedef struct sl_s3_part {
    int number;                /* 1-based */
    char etag[SL_S3_ETAG_MAX]; /* quotes removed */
} sl_s3_part;

/* CreateMultipartUpload; *upload_id is malloc'd. */
int sl_s3_mpu_create(sl_s3 *s, const char *bucket, const char *key, char **upload_id, sl_error *err);
/* UploadPart number (1..10000) of len bytes; fills etag. */
int sl_s3_mpu_upload_part(sl_s3 *s, const char *bucket, const char *key, const char *upload_id, int number,
                          const void *data, size_t len, char etag[SL_S3_ETAG_MAX], sl_error *err);
/* CompleteMultipartUpload with parts in ascending number order. An empty
 * ETag in the answer (Ceph) is accepted. */
int sl_s3_mpu_complete(sl_s3 *s, const char *bucket, const char *key, const char *upload_id, const sl_s3_part *parts,
                       size_t n_parts, sl_error *err);
/* AbortMultipartUpload; an upload that no longer exists is not an error. */
int sl_s3_mpu_abort(sl_s3 *s, const char *bucket, const char *key, const char *upload_id, sl_error *err);

typedef struct sl_s3_upload {
    char *key;       /* malloc'd */
    char *upload_id; /* malloc'd */
} sl_s3_upload;

typedef struct sl_s3_uploads {
    sl_s3_upload *items;
    size_t count, cap;
} sl_s3_uploads;

void sl_s3_uploads_free(sl_s3_uploads *u);
/* ListMultipartUploads under prefix (all pages), appended to out. */
int sl_s3_mpu_list(sl_s3 *s, const char *bucket, const char *prefix, sl_s3_uploads *out, sl_error *err);

/* ---- streaming writer ----
 *
 *   open → write… → finish → commit     the object appears at commit
 *                          → (free)     never appears; nothing is left behind
 *
 * Bytes are buffered up to part_size. An object that ends within one part
 * stays in memory and is sent by commit as one PutObject. A larger one
 * becomes a multipart upload: parts go up while writing (at most
 * max_in_flight at once), finish sends the last one and waits for all, and
 * commit sends CompleteMultipartUpload. Part sizes grow after every 1000
 * parts so that 10000 parts reach 55000 × part_size. */
typedef struct sl_s3_writer sl_s3_writer;

int sl_s3_writer_open(sl_s3 *s, const char *bucket, const char *key, sl_s3_writer **out, sl_error *err);
/* A failed part makes this and every later call fail with its error. */
int sl_s3_writer_write(sl_s3_writer *w, const void *data, size_t len, sl_error *err);
/* Every byte is on the server (or, for a small object, in memory); the
 * object is not visible yet. */
int sl_s3_writer_finish(sl_s3_writer *w, sl_error *err);
/* Make the object visible (after finish). On failure nothing is visible and
 * w may still be freed. */
int sl_s3_writer_commit(sl_s3_writer *w, sl_error *err);
/* Bytes written so far; whether a multipart upload was started. */
uint64_t sl_s3_writer_size(const sl_s3_writer *w);
bool sl_s3_writer_is_multipart(const sl_s3_writer *w);
/* Frees w; an uncommitted multipart upload is aborted (best effort). */
void sl_s3_writer_free(sl_s3_writer *w);

/* ---- parallel reader ----
 *
 * Reads [offset, offset+length) (length UINT64_MAX = to the end) as ranged
 * GETs of part_size bytes, max_in_flight of them ahead of the caller, all
 * pinned to the ETag seen at open (If-Match), so a replaced object fails
 * the read instead of mixing versions. SL_ENOTFOUND at open when absent. */
typedef struct sl_s3_reader sl_s3_reader;

int sl_s3_reader_open(sl_s3 *s, const char *bucket, const char *key, uint64_t offset, uint64_t length,
                      sl_s3_reader **out, sl_error *err);
/* Copies up to cap bytes; *got == 0 at the end. */
int sl_s3_reader_read(sl_s3_reader *r, void *buf, size_t cap, size_t *got, sl_error *err);
/* The object's size and mtime as seen at open. */
uint64_t sl_s3_reader_object_size(const sl_s3_reader *r);
void sl_s3_reader_close(sl_s3_reader *r);

/* ---- helpers (exported for tests) ---- */

/* RFC 3986 percent-encoding of s (unreserved characters kept, '/' kept
 * when keep_slash), appended to out. */
void sl_s3_uri_encode(const char *s, bool keep_slash, sl_buf *out);
/* "s3://bucket/key" → bucket and key (malloc'd; key may be ""). SL_EINVAL
 * for anything else. */
int sl_s3_parse_url(const char *url, char **bucket, char **key, sl_error *err);

#endif
