/*
 * sigv4.h — AWS Signature Version 4 (our own implementation; OpenSSL for
 * SHA-256 and HMAC-SHA256).
 *
 * Covers header signing (Authorization header), presigned URLs (query
 * string signing) and the payload hash variants S3 uses
 * (UNSIGNED-PAYLOAD, STREAMING-… is not used: we send whole parts).
 * Conformance: every case of AWS's SigV4 test suite (tests/data/aws-sigv4-test-suite).
 * Secrets never leave this module except inside the signature.
 *
 * Canonical form, as AWS specifies it:
 *   path   every service but S3: dot segments removed and empty segments
 *          collapsed (when normalize_path), then each byte other than
 *          A-Z a-z 0-9 - . _ ~ / percent-encoded — so a path sent already
 *          encoded is encoded twice, as those services expect. S3 ("s3*"):
 *          the path is signed as sent; only bytes that are not valid in an
 *          encoded path are encoded (existing %XX escapes are kept, hex
 *          upper-cased).
 *   query  parameters split on '&' and the first '=', %XX-decoded, then
 *          encoded (unreserved bytes only; '+' is a literal plus) and
 *          sorted by key, then value. Send spaces as %20.
 *   headers names lower-cased; values trimmed, runs of white space (line
 *          folds included) collapsed to one space; repeated names joined
 *          with ',' in the order given. Authorization, User-Agent, Expect,
 *          Connection, Transfer-Encoding and X-Amzn-Trace-Id are never
 *          signed (proxies and libcurl may change them).
 */
#ifndef SL_SIGV4_H
#define SL_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"

typedef struct sl_aws_creds {
    char access_key[128];
    char secret_key[128];
    char session_token[2048]; /* "" when none */
} sl_aws_creds;

typedef struct sl_http_header {
    const char *name;
    const char *value;
} sl_http_header;

typedef struct sl_sigv4_request {
    const char *method;            /* "GET" */
    const char *url;               /* full URL: scheme://host[:port]/path?query (path and query as sent) */
    const sl_http_header *headers; /* headers that will be sent (Host is derived from url if absent:
                                    * host[:port], the port omitted when it is the scheme's default) */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"; NULL = hash body */
    const void *body;         /* may be NULL when body_len is 0 */
    size_t body_len;
    const char *region;     /* "us-east-1" */
    const char *service;    /* "s3", "dynamodb", "es", "aoss" */
    time_t when;            /* signing time (UTC) */
    int normalize_path;     /* 1 for every service except S3 (S3 paths are signed as sent) */
    int add_content_sha256; /* sign and send x-amz-content-sha256; implied for S3 */
} sl_sigv4_request;

/* Result of signing: the values of the headers to add to the request.
 * Strings are owned by the struct (the session token stays in the creds). */
typedef struct sl_sigv4_result {
    char amz_date[17]; /* 20150830T123600Z */
    char authorization[1024];
    char content_sha256[65]; /* payload hash used ("UNSIGNED-PAYLOAD" fits) */
    char canonical_request_hash[65];
    int send_content_sha256; /* 1 when x-amz-content-sha256 was signed and must be sent */
} sl_sigv4_result;

/* Sign req with header authentication; fills out. Signs x-amz-date,
 * x-amz-security-token when creds has a session token, x-amz-content-sha256
 * when add_content_sha256 or the service is S3, and every header of req
 * (Host included). Caller headers named like those the signer adds are
 * ignored. SL_EINVAL for a malformed URL or missing region/service/creds,
 * SL_ELIMIT when the Authorization value would not fit. */
int sl_sigv4_sign(const sl_sigv4_request *req, const sl_aws_creds *creds, sl_sigv4_result *out, sl_error *err);

/* The headers to send after sl_sigv4_sign: X-Amz-Date, X-Amz-Content-Sha256
 * (when out->send_content_sha256), X-Amz-Security-Token (when creds has
 * one), Authorization. Fills up to 4 entries of hdrs and returns how many;
 * the values point into r and creds, which must outlive their use. */
size_t sl_sigv4_headers(const sl_sigv4_result *r, const sl_aws_creds *creds, sl_http_header hdrs[4]);

/* For tests and debugging: the canonical request and the string to sign as
 * the test suite spells them (appended to the buffers). presign_expires 0 =
 * header signing (as sl_sigv4_sign), > 0 = query signing (as
 * sl_sigv4_presign_request with that expiry). */
int sl_sigv4_canonical_request(const sl_sigv4_request *req, const sl_aws_creds *creds, int presign_expires,
                               sl_buf *canonical, sl_buf *string_to_sign, sl_error *err);

/* Presigned URL: req's URL plus X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token
 * (when creds has one) and X-Amz-Signature query parameters, appended to
 * out. The signed headers are req's headers and Host (the requester must
 * send the same). Payload: req->payload_hash, else UNSIGNED-PAYLOAD for S3
 * and the hash of req's body for other services. expires: 1..604800 s. */
int sl_sigv4_presign_request(const sl_sigv4_request *req, int expires, const sl_aws_creds *creds, sl_buf *out,
                             sl_error *err);

/* Presigned URL for method+url valid for `expires` seconds, no extra
 * headers, empty body (UNSIGNED-PAYLOAD for S3). Appends the URL to out. */
int sl_sigv4_presign(const char *method, const char *url, const char *region, const char *service, time_t when,
                     int expires, const sl_aws_creds *creds, sl_buf *out, sl_error *err);

/* Hex SHA-256 of data into out (65 bytes with NUL). */
void sl_sha256_hex(const void *data, size_t len, char out[65]);

#endif
