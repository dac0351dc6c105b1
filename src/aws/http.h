/*
 * http.h — HTTP client for the AWS wire layer, over libcurl.
 *
 * One sl_http client per worker thread (libcurl easy handles are not
 * thread-safe); each keeps its connections alive between requests.
 * Requests go through a transport vtable so tests can inject faults
 * through the same seam production uses (STYLE.md), never via environment
 * variables read inside production code.
 *
 * Timeouts and proxies behave as curl users expect: connect timeout,
 * overall request timeout, low-speed abort; HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY from the environment (libcurl's own handling).
 */
#ifndef SL_HTTP_H
#define SL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/sigv4.h"
#include "core/buf.h"
#include "core/error.h"

typedef struct sl_http_request {
    const char *method;
    const char *url;
    const sl_http_header *headers;
    size_t n_headers;
    const void *body; /* may be NULL */
    size_t body_len;
    /* Stream a successful (status < 300) response body to this callback
     * instead of buffering it; it returns 0 to go on, non-zero to abort the
     * transfer (a negative SL_E* code is handed back by perform). Bodies of
     * error responses (status >= 300) are always buffered in resp->body
     * (at most 64 KiB) so the caller can read the server's message.
     * NULL = buffer every body in resp->body. */
    int (*on_body)(void *ud, const void *data, size_t len);
    void *on_body_ud;
} sl_http_request;

typedef struct sl_http_response {
    long status;     /* 0 when no response (connection error) */
    sl_buf body;     /* when not streamed; bounded (see sl_http_options.max_body) */
    sl_buf headers;  /* raw header block, "Name: value\r\n" lines */
    char error[256]; /* transport error text ("connection refused", "timeout") when status == 0 */
} sl_http_response;

void sl_http_response_init(sl_http_response *r);
void sl_http_response_free(sl_http_response *r);
/* Value of the first header named name (case-insensitive), surrounding
 * blanks trimmed, into out (truncated to size-1 bytes); 0 or SL_ENOTFOUND. */
int sl_http_response_header(const sl_http_response *r, const char *name, char *out, size_t size);

typedef struct sl_http_options {
    long connect_timeout_ms; /* default 3000 */
    long timeout_ms;         /* whole request; default 60000 */
    long low_speed_seconds;  /* abort when below 1 KB/s for this long; default 30 */
    size_t max_body;         /* buffered body limit; default 256 MiB */
    const char *ca_file;     /* TLS CA bundle; NULL = system default */
    const char *client_cert; /* TLS client certificate (PEM); NULL = none */
    const char *client_key;  /* its private key (PEM); NULL = inside client_cert */
    int insecure;            /* skip TLS verification (explicit, for local use only) */
} sl_http_options;

typedef struct sl_http sl_http;

/* The transport seam: production uses libcurl; tests may wrap it to inject
 * failures (e.g. answer 503 to every 5th request) and call
 * sl_http_curl_perform(h, ...) for the rest. perform has the contract of
 * sl_http_perform; resp arrives reset (status 0, empty body and headers).
 * One transport may serve several sl_http handles at once (several threads):
 * its state must then be thread-safe. */
typedef struct sl_http_transport {
    int (*perform)(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err);
    void *self;
} sl_http_transport;

/* Fill o with the defaults above. */
void sl_http_options_default(sl_http_options *o);

/* New client; opts may be NULL (defaults), zero members take defaults.
 * ca_file, client_cert and client_key are copied. Fails only when libcurl cannot be initialised. */
int sl_http_new(const sl_http_options *opts, sl_http **out, sl_error *err);
void sl_http_free(sl_http *h);
/* Replace the transport (tests); NULL restores libcurl. *t is copied. */
void sl_http_set_transport(sl_http *h, const sl_http_transport *t);

/* Perform one request (no retries) through h's transport. resp must have
 * been initialised; it is reset first. Returns 0 when a response arrived
 * (any status); SL_EIO on a transport error (status 0, resp->error says
 * which); SL_ELIMIT when a buffered body passed max_body; the callback's
 * negative code (or SL_EIO) when on_body aborted (status then set). Request
 * headers named with an empty value are sent empty ("Name;"). libcurl's
 * default Content-Type and "Expect: 100-continue" are suppressed. */
int sl_http_perform(sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err);
/* The libcurl transport itself (what sl_http_perform uses by default). */
int sl_http_curl_perform(sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err);

/* Parse a Retry-After value (delta-seconds or an HTTP-date, relative to
 * now) into milliseconds; -1 when absent or malformed. */
long sl_http_retry_after_ms(const char *value, time_t now);

#endif
