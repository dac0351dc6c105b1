/*
 * http.c — the HTTP client of the AWS wire layer: one libcurl easy handle
 * per sl_http (so connections stay alive between requests), response
 * headers captured, bodies buffered under a hard limit or streamed to a
 * callback, and a transport seam for fault injection in tests.
 */
#include "aws/http.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/mem.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 3000
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_LOW_SPEED_SECONDS 30
#define DEFAULT_MAX_BODY ((size_t)256 << 20)
#define MAX_ERROR_BODY ((size_t)64 << 10)
#define MAX_HEADER_BLOCK ((size_t)1 << 20)

struct sl_http {
    CURL *curl;
    sl_http_options opts;
    char *ca_file;
    char *client_cert, *client_key;
    sl_http_transport transport;
    char errbuf[CURL_ERROR_SIZE];
};

/* State of one transfer, seen by libcurl's callbacks. */
typedef struct transfer {
    sl_http *h;
    const sl_http_request *req;
    sl_http_response *resp;
    int failure; /* SL_E* that made a callback abort the transfer */
    size_t error_body_max;
} transfer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void sl_http_options_default(sl_http_options *o) {
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->low_speed_seconds = DEFAULT_LOW_SPEED_SECONDS;
    o->max_body = DEFAULT_MAX_BODY;
}

void sl_http_response_init(sl_http_response *r) {
    memset(r, 0, sizeof *r);
    sl_buf_init(&r->body, 0);
    sl_buf_init(&r->headers, MAX_HEADER_BLOCK);
}

void sl_http_response_free(sl_http_response *r) {
    sl_buf_free(&r->body);
    sl_buf_free(&r->headers);
}

static void response_reset(sl_http_response *r) {
    r->status = 0;
    r->error[0] = 0;
    sl_buf_reset(&r->body);
    sl_buf_reset(&r->headers);
}

int sl_http_response_header(const sl_http_response *r, const char *name, char *out, size_t size) {
    size_t name_len = strlen(name);
    const char *p = r->headers.data, *end = p ? p + r->headers.len : NULL;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - p) > name_len && p[name_len] == ':' && strncasecmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1, *ve = line_end;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t n = (size_t)(ve - v);
            if (size) {
                if (n >= size) n = size - 1;
                memcpy(out, v, n);
                out[n] = 0;
            }
            return SL_OK;
        }
        p = eol ? eol + 1 : end;
    }
    if (size) out[0] = 0;
    return SL_ENOTFOUND;
}

long sl_http_retry_after_ms(const char *value, time_t now) {
    if (!value) return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value) return -1;
    if (isdigit((unsigned char)*value)) {
        char *end;
        long long seconds = strtoll(value, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end || seconds < 0) return -1;
        if (seconds > 86400) seconds = 86400; /* a day is "forever" for a retry; retry.c caps further */
        return (long)(seconds * 1000);
    }
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1) return -1;
    return when <= now ? 0 : (long)((when - now) > 86400 ? 86400000 : (when - now) * 1000);
}

/* ---- libcurl transport ---- */

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
    transfer *t = ud;
    size_t len = size * n;
    /* A new status line starts a new header block (after 1xx responses). */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) sl_buf_reset(&t->resp->headers);
    if (sl_buf_add(&t->resp->headers, data, len) != SL_OK) {
        t->failure = SL_ELIMIT;
        return 0;
    }
    return len;
}

static size_t on_write(char *data, size_t size, size_t n, void *ud) {
    transfer *t = ud;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(t->h->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t->req->on_body && status < 300) {
        int rc = t->req->on_body(t->req->on_body_ud, data, len);
        if (rc) {
            t->failure = rc < 0 ? rc : SL_EIO;
            return 0;
        }
        return len;
    }
    sl_buf *b = &t->resp->body;
    if (status >= 300 && t->req->on_body) b->max = t->error_body_max;
    if (sl_buf_add(b, data, len) != SL_OK) {
        t->failure = SL_ELIMIT;
        return 0;
    }
    return len;
}

/* "Name: value" lines for libcurl; an empty value needs "Name;". */
static struct curl_slist *build_headers(const sl_http_request *req) {
    struct curl_slist *list = NULL;
    sl_buf line;
    sl_buf_init(&line, 0);
    bool has_content_type = false, has_expect = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        const sl_http_header *hd = &req->headers[i];
        if (strcasecmp(hd->name, "Content-Type") == 0) has_content_type = true;
        if (strcasecmp(hd->name, "Expect") == 0) has_expect = true;
        sl_buf_reset(&line);
        if (hd->value && hd->value[0])
            sl_buf_printf(&line, "%s: %s", hd->name, hd->value);
        else
            sl_buf_printf(&line, "%s;", hd->name);
        list = curl_slist_append(list, line.data);
    }
    if (!has_content_type) list = curl_slist_append(list, "Content-Type:");
    if (!has_expect) list = curl_slist_append(list, "Expect:");
    sl_buf_free(&line);
    return list;
}

static void set_method(CURL *c, const sl_http_request *req) {
    const char *m = req->method ? req->method : "GET";
    bool has_body = req->body != NULL || strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0;
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        if (strcmp(m, "POST") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (strcmp(m, "GET") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
    }
}

static void set_options(sl_http *h, transfer *t, struct curl_slist *headers) {
    CURL *c = h->curl;
    const sl_http_options *o = &h->opts;
    /* reset drops the previous request's options; the connection cache stays. */
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, t->req->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, o->low_speed_seconds);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (h->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
    if (h->client_cert) curl_easy_setopt(c, CURLOPT_SSLCERT, h->client_cert);
    if (h->client_key) curl_easy_setopt(c, CURLOPT_SSLKEY, h->client_key);
    if (o->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
    set_method(c, t->req);
}

int sl_http_curl_perform(sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    transfer t = {.h = h, .req = req, .resp = resp, .error_body_max = MAX_ERROR_BODY};
    response_reset(resp);
    resp->body.max = h->opts.max_body;
    struct curl_slist *headers = build_headers(req);
    h->errbuf[0] = 0;
    set_options(h, &t, headers);
    CURLcode rc = curl_easy_perform(h->curl);
    curl_slist_free_all(headers);
    long status = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    if (t.failure == SL_ELIMIT) {
        resp->status = status;
        snprintf(resp->error, sizeof resp->error, "response larger than the limit of %zu bytes",
                 resp->body.len >= resp->body.max ? resp->body.max : h->opts.max_body);
        return sl_error_set(err, SL_ELIMIT, "%s %s: %s", req->method, req->url, resp->error);
    }
    if (t.failure) {
        resp->status = status;
        snprintf(resp->error, sizeof resp->error, "transfer aborted by the body consumer");
        return sl_error_set(err, t.failure, "%s %s: %s", req->method, req->url, resp->error);
    }
    if (rc != CURLE_OK) {
        /* A response that broke off midway is as good as none: retry it. */
        resp->status = 0;
        snprintf(resp->error, sizeof resp->error, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
        return sl_error_set(err, SL_EIO, "%s %s: %s", req->method, req->url, resp->error);
    }
    resp->status = status;
    return SL_OK;
}

static int curl_transport_perform(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp,
                                  sl_error *err) {
    return sl_http_curl_perform(h, req, resp, err);
}

int sl_http_new(const sl_http_options *opts, sl_http **out, sl_error *err) {
    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return sl_error_set(err, SL_EINTERNAL, "libcurl initialisation failed: %s", curl_easy_strerror(curl_init_rc));
    CURL *c = curl_easy_init();
    if (!c) return sl_error_set(err, SL_EINTERNAL, "libcurl: cannot create a handle");
    sl_http *h = sl_xcalloc(1, sizeof *h);
    h->curl = c;
    sl_http_options_default(&h->opts);
    if (opts) {
        if (opts->connect_timeout_ms > 0) h->opts.connect_timeout_ms = opts->connect_timeout_ms;
        if (opts->timeout_ms > 0) h->opts.timeout_ms = opts->timeout_ms;
        if (opts->low_speed_seconds > 0) h->opts.low_speed_seconds = opts->low_speed_seconds;
        if (opts->max_body > 0) h->opts.max_body = opts->max_body;
        h->opts.insecure = opts->insecure;
        if (opts->ca_file) h->ca_file = sl_xstrdup(opts->ca_file);
        if (opts->client_cert && opts->client_cert[0]) h->client_cert = sl_xstrdup(opts->client_cert);
        if (opts->client_key && opts->client_key[0]) h->client_key = sl_xstrdup(opts->client_key);
    }
    h->opts.ca_file = h->ca_file;
    h->opts.client_cert = h->client_cert;
    h->opts.client_key = h->client_key;
    sl_http_set_transport(h, NULL);
    *out = h;
    return SL_OK;
}

void sl_http_free(sl_http *h) {
    if (!h) return;
    curl_easy_cleanup(h->curl);
    free(h->ca_file);
    free(h->client_cert);
    free(h->client_key);
    free(h);
}

void sl_http_set_transport(sl_http *h, const sl_http_transport *t) {
    if (t) {
        h->transport = *t;
    } else {
        h->transport.perform = curl_transport_perform;
        h->transport.self = NULL;
    }
}

int sl_http_perform(sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    response_reset(resp);
    return h->transport.perform(h->transport.self, h, req, resp, err);
}
