/*
 * s3.c — the S3 client: connections and the worker pool, addressing and
 * encoding, XML answers (expat, fed as the body streams in), and the calls:
 * ListObjectsV2, HeadObject, GetObject, PutObject, DeleteObject,
 * CreateBucket and the multipart-upload family. The streaming writer and
 * the parallel reader built on them live in s3_stream.c.
 */
#include "aws/s3.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <expat.h>
#include <openssl/evp.h>

#include "aws/s3_int.h"
#include "core/mem.h"

#define XML_MAX_DEPTH 8
#define XML_MAX_TEXT ((size_t)64 << 10)
#define DEFAULT_THREADS 8
#define DEFAULT_IN_FLIGHT 4

/* ---- client, connections ---- */

int sl_s3_new(const sl_aws_config *cfg, const sl_s3_options *opts, sl_s3 **out, sl_error *err) {
    *out = NULL;
    /* Fail now rather than at the first call if libcurl is unusable. */
    sl_http *probe;
    int rc = sl_http_new(NULL, &probe, err);
    if (rc) return rc;

    sl_s3 *s = sl_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    if (!s->cfg.region[0]) snprintf(s->cfg.region, sizeof s->cfg.region, "us-east-1");
    if (cfg->endpoint[0]) {
        snprintf(s->endpoint, sizeof s->endpoint, "%s", cfg->endpoint);
        s->path_style = true; /* custom endpoints rarely have wildcard DNS */
    } else {
        sl_aws_default_endpoint("s3", s->cfg.region, s->endpoint, sizeof s->endpoint);
    }
    if (cfg->path_style) s->path_style = true;
    size_t n = strlen(s->endpoint);
    while (n && s->endpoint[n - 1] == '/')
        s->endpoint[--n] = 0;

    s->part_size = opts && opts->part_size > 0 ? opts->part_size : SL_S3_DEFAULT_PART_SIZE;
    if (s->part_size < SL_S3_MIN_PART_SIZE) s->part_size = SL_S3_MIN_PART_SIZE;
    s->max_in_flight = opts && opts->max_in_flight > 0 ? opts->max_in_flight : DEFAULT_IN_FLIGHT;
    s->max_threads = opts && opts->threads > 0 ? opts->threads : DEFAULT_THREADS;
    sl_http_options_default(&s->http_opts);
    if (opts) {
        const sl_http_options *h = &opts->http;
        if (h->connect_timeout_ms > 0) s->http_opts.connect_timeout_ms = h->connect_timeout_ms;
        if (h->timeout_ms > 0) s->http_opts.timeout_ms = h->timeout_ms;
        if (h->low_speed_seconds > 0) s->http_opts.low_speed_seconds = h->low_speed_seconds;
        if (h->max_body > 0) s->http_opts.max_body = h->max_body;
        s->http_opts.insecure = h->insecure;
        if (h->ca_file) s->ca_file = sl_xstrdup(h->ca_file);
    }
    s->http_opts.ca_file = s->ca_file;
    /* A ranged read buffers one whole chunk. */
    if (s->http_opts.max_body < (size_t)s->part_size + 1) s->http_opts.max_body = (size_t)s->part_size + 1;
    sl_retry_policy_default(&s->retry);

    pthread_mutex_init(&s->http_mu, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->work_cond, NULL);
    pthread_cond_init(&s->done_cond, NULL);
    s->threads = sl_xcalloc((size_t)s->max_threads, sizeof *s->threads);

    s->all = sl_xmalloc(sizeof *s->all);
    s->idle = sl_xmalloc(sizeof *s->idle);
    s->all_cap = s->idle_cap = 1;
    s->all[s->n_all++] = probe;
    s->idle[s->n_idle++] = probe;
    *out = s;
    return SL_OK;
}

void sl_s3_free(sl_s3 *s) {
    if (!s) return;
    pthread_mutex_lock(&s->pool_mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->work_cond);
    pthread_mutex_unlock(&s->pool_mu);
    for (int i = 0; i < s->n_threads; i++)
        pthread_join(s->threads[i], NULL);
    for (size_t i = 0; i < s->n_all; i++)
        sl_http_free(s->all[i]);
    free(s->all);
    free(s->idle);
    free(s->threads);
    free(s->ca_file);
    pthread_mutex_destroy(&s->http_mu);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_cond_destroy(&s->work_cond);
    pthread_cond_destroy(&s->done_cond);
    memset(&s->cfg.creds, 0, sizeof s->cfg.creds);
    free(s);
}

void sl_s3_set_transport(sl_s3 *s, const sl_http_transport *t) {
    pthread_mutex_lock(&s->http_mu);
    s->has_transport = t != NULL;
    if (t) s->transport = *t;
    for (size_t i = 0; i < s->n_all; i++)
        sl_http_set_transport(s->all[i], t);
    pthread_mutex_unlock(&s->http_mu);
}

void sl_s3_set_retry(sl_s3 *s, const sl_retry_policy *p, void (*sleep_ms)(void *ud, long ms), void *ud) {
    if (p) s->retry = *p;
    s->sleep_ms = sleep_ms;
    s->sleep_ud = ud;
}

const char *sl_s3_endpoint(const sl_s3 *s) { return s->endpoint; }

static sl_http *http_acquire(sl_s3 *s, sl_error *err) {
    pthread_mutex_lock(&s->http_mu);
    sl_http *h = s->n_idle ? s->idle[--s->n_idle] : NULL;
    pthread_mutex_unlock(&s->http_mu);
    if (h) return h;
    if (sl_http_new(&s->http_opts, &h, err)) return NULL;
    pthread_mutex_lock(&s->http_mu);
    if (s->has_transport) sl_http_set_transport(h, &s->transport);
    if (s->n_all == s->all_cap) {
        s->all_cap *= 2;
        s->all = sl_xrealloc(s->all, s->all_cap * sizeof *s->all);
        s->idle_cap = s->all_cap;
        s->idle = sl_xrealloc(s->idle, s->idle_cap * sizeof *s->idle);
    }
    s->all[s->n_all++] = h;
    pthread_mutex_unlock(&s->http_mu);
    return h;
}

static void http_release(sl_s3 *s, sl_http *h) {
    pthread_mutex_lock(&s->http_mu);
    s->idle[s->n_idle++] = h; /* idle_cap == all_cap >= n_all */
    pthread_mutex_unlock(&s->http_mu);
}

int sl_s3_call(sl_s3 *s, const sl_aws_request *req, sl_http_response *resp, sl_s3_outcome *outcome, sl_error *err) {
    sl_http *h = http_acquire(s, err);
    if (!h) return err ? err->code : SL_EINTERNAL;
    sl_aws_ctx c;
    sl_aws_ctx_init(&c, h, &s->cfg.creds, s->cfg.region, "s3");
    c.retry = s->retry;
    c.sleep_ms = s->sleep_ms;
    c.sleep_ud = s->sleep_ud;
    int rc = sl_aws_call(&c, req, resp, err);
    http_release(s, h);
    if (outcome) {
        outcome->status = c.status;
        outcome->attempts = c.attempts;
        snprintf(outcome->code, sizeof outcome->code, "%s", c.error_code);
    }
    return rc;
}

/* ---- worker pool ---- */

static void *pool_main(void *arg) {
    sl_s3 *s = arg;
    pthread_mutex_lock(&s->pool_mu);
    for (;;) {
        while (!s->queue_head && !s->stopping) {
            s->n_idle_threads++;
            pthread_cond_wait(&s->work_cond, &s->pool_mu);
            s->n_idle_threads--;
        }
        if (!s->queue_head) break;
        sl_s3_task *t = s->queue_head;
        s->queue_head = t->next;
        if (!s->queue_head) s->queue_tail = NULL;
        pthread_mutex_unlock(&s->pool_mu);
        t->run(t);
        pthread_mutex_lock(&s->pool_mu);
        t->done = true;
        pthread_cond_broadcast(&s->done_cond);
    }
    pthread_mutex_unlock(&s->pool_mu);
    return NULL;
}

void sl_s3_pool_submit(sl_s3 *s, sl_s3_task *t) {
    t->done = false;
    t->next = NULL;
    pthread_mutex_lock(&s->pool_mu);
    if (s->n_idle_threads == 0 && s->n_threads < s->max_threads &&
        pthread_create(&s->threads[s->n_threads], NULL, pool_main, s) == 0)
        s->n_threads++;
    if (s->n_threads == 0) {
        /* no thread could be started: do the work here */
        pthread_mutex_unlock(&s->pool_mu);
        t->run(t);
        t->done = true;
        return;
    }
    if (s->queue_tail)
        s->queue_tail->next = t;
    else
        s->queue_head = t;
    s->queue_tail = t;
    pthread_cond_signal(&s->work_cond);
    pthread_mutex_unlock(&s->pool_mu);
}

void sl_s3_pool_wait(sl_s3 *s, sl_s3_task *t) {
    pthread_mutex_lock(&s->pool_mu);
    while (!t->done)
        pthread_cond_wait(&s->done_cond, &s->pool_mu);
    pthread_mutex_unlock(&s->pool_mu);
}

/* ---- addressing ---- */

void sl_s3_uri_encode(const char *str, bool keep_slash, sl_buf *out) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/')) {
            sl_buf_addc(out, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sl_buf_add(out, e, 3);
        }
    }
}

/* Can this bucket be a DNS label under TLS (no dots, no capitals, no '_')? */
static bool dns_safe_bucket(const char *b) {
    size_t n = strlen(b);
    if (n < 3 || n > 63) return false;
    for (const char *p = b; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) return false;
    return true;
}

void sl_s3_request_url(const sl_s3 *s, const char *bucket, const char *key, const char *query, sl_buf *out) {
    const char *scheme_end = strstr(s->endpoint, "://");
    if (s->path_style || !dns_safe_bucket(bucket) || !scheme_end) {
        sl_buf_printf(out, "%s/%s", s->endpoint, bucket);
        if (key[0]) sl_buf_addc(out, '/');
    } else {
        sl_buf_add(out, s->endpoint, (size_t)(scheme_end + 3 - s->endpoint));
        sl_buf_printf(out, "%s.%s/", bucket, scheme_end + 3);
    }
    sl_s3_uri_encode(key, true, out);
    if (query && query[0]) sl_buf_printf(out, "?%s", query);
}

void sl_s3_object_url(const sl_s3 *s, const char *bucket, const char *key, sl_buf *out) {
    sl_s3_request_url(s, bucket, key, NULL, out);
}

int sl_s3_parse_url(const char *url, char **bucket, char **key, sl_error *err) {
    *bucket = *key = NULL;
    if (strncasecmp(url, "s3://", 5) != 0) return sl_error_set(err, SL_EINVAL, "not an s3:// URL: '%s'", url);
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    if (blen == 0) return sl_error_set(err, SL_EINVAL, "s3 URL without a bucket: '%s'", url);
    *bucket = sl_xstrndup(b, blen);
    *key = sl_xstrdup(slash ? slash + 1 : "");
    return SL_OK;
}

/* ---- small helpers ---- */

static void base64(const unsigned char *in, size_t len, char *out) {
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

/* What a write sends about its body: Content-MD5 (when this OpenSSL still
 * offers MD5 — FIPS builds may not) and the SHA-256 the signature covers. */
typedef struct body_digests {
    char md5_b64[32];
    char md5_hex[33]; /* "" when MD5 is unavailable */
    char sha256[65];
} body_digests;

static void hex_encode(const unsigned char *in, size_t len, char *out) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = 0;
}

static void digest_body(const void *data, size_t len, body_digests *d) {
    unsigned char digest[16];
    unsigned int n = 16;
    d->md5_b64[0] = d->md5_hex[0] = 0;
    if (EVP_Digest(data, len, digest, &n, EVP_md5(), NULL) == 1 && n == 16) {
        base64(digest, 16, d->md5_b64);
        hex_encode(digest, 16, d->md5_hex);
    }
    sl_sha256_hex(data, len, d->sha256);
}

/* ETag without its quotes (and without a W/ prefix). */
static void copy_etag(const char *in, size_t len, char out[SL_S3_ETAG_MAX]) {
    if (len >= 2 && in[0] == 'W' && in[1] == '/') in += 2, len -= 2;
    if (len >= 1 && in[0] == '"') in++, len--;
    if (len >= 1 && in[len - 1] == '"') len--;
    if (len >= SL_S3_ETAG_MAX) len = SL_S3_ETAG_MAX - 1;
    memcpy(out, in, len);
    out[len] = 0;
}

static void etag_from_headers(const sl_http_response *resp, char out[SL_S3_ETAG_MAX]) {
    char h[SL_S3_ETAG_MAX + 8];
    out[0] = 0;
    if (sl_http_response_header(resp, "ETag", h, sizeof h) == SL_OK) copy_etag(h, strlen(h), out);
}

/* Does the ETag the server returned for data prove it arrived intact?
 * Only plain MD5 ETags can be checked (not multipart or SSE-KMS ones). */
static int check_etag(const sl_http_response *resp, const char *etag, const char *md5_hex, const char *what,
                      sl_error *err) {
    char kms[64];
    if (sl_http_response_header(resp, "x-amz-server-side-encryption", kms, sizeof kms) == SL_OK &&
        strcmp(kms, "AES256") != 0)
        return SL_OK;
    if (!md5_hex[0] || strlen(etag) != 32) return SL_OK;
    for (const char *p = etag; *p; p++)
        if (!isxdigit((unsigned char)*p)) return SL_OK;
    if (strcasecmp(etag, md5_hex) != 0)
        return sl_error_set(err, SL_EIO, "%s: the server's ETag %s does not match the MD5 %s of the data sent", what,
                            etag, md5_hex);
    return SL_OK;
}

static int64_t parse_iso8601(const char *s) {
    struct tm tm = {0};
    int y, mo, d, h, mi, sec;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    return (int64_t)timegm(&tm);
}

static void object_what(const char *op, const char *bucket, const char *key, char *out, size_t size) {
    snprintf(out, size, "%s s3://%s/%s", op, bucket, key);
}

void sl_s3_object_free(sl_s3_object *o) {
    free(o->key);
    o->key = NULL;
}

/* ---- XML answers: a tiny walker over expat that reports each element's
 * text with its parent's name ---- */

typedef void (*xml_on_end)(void *ud, int depth, const char *parent, const char *name, const char *text, size_t len);

typedef struct xml_walker {
    XML_Parser parser;
    int depth;
    char names[XML_MAX_DEPTH + 1][48];
    sl_buf text;
    xml_on_end on_end;
    void *ud;
    char error[160];
} xml_walker;

static const char *xml_local(const char *name) {
    const char *sep = strrchr(name, '|');
    return sep ? sep + 1 : name;
}

static void XMLCALL walker_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
    xml_walker *w = ud;
    w->depth++;
    if (w->depth <= XML_MAX_DEPTH) snprintf(w->names[w->depth], sizeof w->names[0], "%s", xml_local(name));
    sl_buf_reset(&w->text);
}

static void XMLCALL walker_end(void *ud, const XML_Char *name) {
    xml_walker *w = ud;
    if (w->depth <= XML_MAX_DEPTH && w->text.len <= XML_MAX_TEXT)
        w->on_end(w->ud, w->depth, w->depth > 1 ? w->names[w->depth - 1] : "", w->names[w->depth],
                  w->text.data ? w->text.data : "", w->text.len);
    sl_buf_reset(&w->text);
    w->depth--;
}

static void XMLCALL walker_text(void *ud, const XML_Char *s, int len) {
    xml_walker *w = ud;
    if (w->text.len + (size_t)len <= XML_MAX_TEXT) sl_buf_add(&w->text, s, (size_t)len);
}

static void walker_setup(xml_walker *w) {
    XML_SetUserData(w->parser, w);
    XML_SetElementHandler(w->parser, walker_start, walker_end);
    XML_SetCharacterDataHandler(w->parser, walker_text);
}

static void walker_init(xml_walker *w, xml_on_end on_end, void *ud) {
    memset(w, 0, sizeof *w);
    w->parser = XML_ParserCreateNS(NULL, '|');
    if (!w->parser) { /* expat fails only when memory does: mem.h's fatal path */
        fputs("sluice: out of memory\n", stderr);
        exit(1);
    }
    sl_buf_init(&w->text, XML_MAX_TEXT + 1);
    w->on_end = on_end;
    w->ud = ud;
    walker_setup(w);
}

static void walker_reset(xml_walker *w) {
    XML_ParserReset(w->parser, NULL);
    walker_setup(w);
    w->depth = 0;
    w->error[0] = 0;
    sl_buf_reset(&w->text);
}

static void walker_free(xml_walker *w) {
    XML_ParserFree(w->parser);
    sl_buf_free(&w->text);
}

/* 0, or SL_EPARSE with w->error set. */
static int walker_feed(xml_walker *w, const void *data, size_t len, bool final) {
    while (len > 0 || final) {
        int n = len > (1u << 30) ? (1 << 30) : (int)len;
        bool last = final && (size_t)n == len;
        if (XML_Parse(w->parser, data, n, last) != XML_STATUS_OK) {
            snprintf(w->error, sizeof w->error, "malformed XML in the answer (%s at line %lu)",
                     XML_ErrorString(XML_GetErrorCode(w->parser)), (unsigned long)XML_GetCurrentLineNumber(w->parser));
            return SL_EPARSE;
        }
        if (last) break;
        data = (const char *)data + n;
        len -= (size_t)n;
    }
    return SL_OK;
}

static int walker_body(void *ud, const void *data, size_t len) { return walker_feed(ud, data, len, false); }

/* ---- ListObjectsV2 ---- */

typedef struct list_page {
    sl_s3_listing *out;
    size_t first_object, first_prefix;
    sl_s3_object cur;
    bool truncated, url_encoded;
    char *next_token;
    xml_walker walker;
} list_page;

static void listing_push(sl_s3_listing *l, sl_s3_object *o) {
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->objects = sl_xrealloc(l->objects, l->cap * sizeof *l->objects);
    }
    l->objects[l->count++] = *o;
    memset(o, 0, sizeof *o);
}

static void listing_push_prefix(sl_s3_listing *l, char *owned) {
    if (l->n_prefixes == l->prefixes_cap) {
        l->prefixes_cap = l->prefixes_cap ? l->prefixes_cap * 2 : 16;
        l->prefixes = sl_xrealloc(l->prefixes, l->prefixes_cap * sizeof *l->prefixes);
    }
    l->prefixes[l->n_prefixes++] = owned;
}

void sl_s3_listing_free(sl_s3_listing *l) {
    for (size_t i = 0; i < l->count; i++)
        free(l->objects[i].key);
    for (size_t i = 0; i < l->n_prefixes; i++)
        free(l->prefixes[i]);
    free(l->objects);
    free(l->prefixes);
    memset(l, 0, sizeof *l);
}

static void list_on_end(void *ud, int depth, const char *parent, const char *name, const char *text, size_t len) {
    list_page *pg = ud;
    if (strcmp(parent, "Contents") == 0) {
        if (strcmp(name, "Key") == 0) {
            free(pg->cur.key);
            pg->cur.key = sl_xstrndup(text, len);
        } else if (strcmp(name, "Size") == 0) {
            pg->cur.size = strtoull(text, NULL, 10);
        } else if (strcmp(name, "LastModified") == 0) {
            pg->cur.mtime = parse_iso8601(text);
        } else if (strcmp(name, "ETag") == 0) {
            copy_etag(text, len, pg->cur.etag);
        }
    } else if (strcmp(name, "Contents") == 0) {
        if (pg->cur.key) listing_push(pg->out, &pg->cur);
        sl_s3_object_free(&pg->cur);
        memset(&pg->cur, 0, sizeof pg->cur);
    } else if (strcmp(parent, "CommonPrefixes") == 0 && strcmp(name, "Prefix") == 0) {
        listing_push_prefix(pg->out, sl_xstrndup(text, len));
    } else if (depth == 2) {
        if (strcmp(name, "IsTruncated") == 0) pg->truncated = strcmp(text, "true") == 0;
        if (strcmp(name, "NextContinuationToken") == 0) {
            free(pg->next_token);
            pg->next_token = sl_xstrndup(text, len);
        }
        if (strcmp(name, "EncodingType") == 0) pg->url_encoded = strcmp(text, "url") == 0;
    }
}

static void list_page_truncate(list_page *pg) {
    sl_s3_listing *l = pg->out;
    while (l->count > pg->first_object)
        free(l->objects[--l->count].key);
    while (l->n_prefixes > pg->first_prefix)
        free(l->prefixes[--l->n_prefixes]);
    sl_s3_object_free(&pg->cur);
    memset(&pg->cur, 0, sizeof pg->cur);
    free(pg->next_token);
    pg->next_token = NULL;
    pg->truncated = pg->url_encoded = false;
}

static int list_body(void *ud, const void *data, size_t len) {
    return walker_body(&((list_page *)ud)->walker, data, len);
}

static int list_restart(void *ud) {
    list_page *pg = ud;
    list_page_truncate(pg);
    walker_reset(&pg->walker);
    return SL_OK;
}

/* encoding-type=url: '+' is a space, %XX a byte (botocore's unquote_plus). */
static void url_decode_inplace(char *s) {
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char h[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(h, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

int sl_s3_list(sl_s3 *s, const char *bucket, const char *prefix, const char *delimiter, int max_keys,
               sl_s3_listing *out, sl_error *err) {
    char what[1200];
    snprintf(what, sizeof what, "ListObjectsV2 s3://%s/%s", bucket, prefix ? prefix : "");
    sl_buf query, url;
    sl_buf_init(&query, 0);
    sl_buf_init(&url, 0);
    sl_http_response resp;
    sl_http_response_init(&resp);
    list_page pg = {.out = out};
    walker_init(&pg.walker, list_on_end, &pg);
    char *token = NULL;
    int rc = SL_OK;
    do {
        /* parameters in canonical (sorted) order, encoded as signed */
        sl_buf_reset(&query);
        if (token) {
            sl_buf_adds(&query, "continuation-token=");
            sl_s3_uri_encode(token, false, &query);
            sl_buf_addc(&query, '&');
        }
        if (delimiter && delimiter[0]) {
            sl_buf_adds(&query, "delimiter=");
            sl_s3_uri_encode(delimiter, false, &query);
            sl_buf_addc(&query, '&');
        }
        sl_buf_adds(&query, "encoding-type=url&list-type=2");
        if (max_keys > 0) sl_buf_printf(&query, "&max-keys=%d", max_keys);
        sl_buf_adds(&query, "&prefix=");
        sl_s3_uri_encode(prefix ? prefix : "", false, &query);
        sl_buf_reset(&url);
        sl_s3_request_url(s, bucket, "", query.data, &url);

        pg.first_object = out->count;
        pg.first_prefix = out->n_prefixes;
        list_page_truncate(&pg);
        walker_reset(&pg.walker);
        sl_aws_request req = {
            .http = {.method = "GET", .url = url.data, .on_body = list_body, .on_body_ud = &pg},
            .what = what,
            .on_restart = list_restart,
        };
        rc = sl_s3_call(s, &req, &resp, NULL, err);
        if (rc == SL_OK && walker_feed(&pg.walker, NULL, 0, true) != SL_OK) rc = SL_EPARSE;
        if (rc == SL_EPARSE) {
            sl_error_set(err, SL_EPARSE, "%s: %s", what, pg.walker.error[0] ? pg.walker.error : "malformed answer");
            break;
        }
        if (rc) break;
        out->pages++;
        if (pg.url_encoded) {
            for (size_t i = pg.first_object; i < out->count; i++)
                url_decode_inplace(out->objects[i].key);
            for (size_t i = pg.first_prefix; i < out->n_prefixes; i++)
                url_decode_inplace(out->prefixes[i]);
        }
        free(token);
        token = NULL;
        if (pg.truncated)
            token = pg.next_token;
        else
            free(pg.next_token);
        pg.next_token = NULL;
        if (pg.truncated && !token) {
            rc = sl_error_set(err, SL_EPARSE, "%s: truncated answer without a continuation token", what);
            break;
        }
    } while (token);
    if (rc) list_page_truncate(&pg);
    free(token);
    free(pg.next_token);
    sl_s3_object_free(&pg.cur);
    walker_free(&pg.walker);
    sl_http_response_free(&resp);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}

/* ---- HeadObject, GetObject, PutObject, DeleteObject, CreateBucket ---- */

int sl_s3_head(sl_s3 *s, const char *bucket, const char *key, sl_s3_object *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    char what[1200];
    object_what("HeadObject", bucket, key, what, sizeof what);
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_s3_object_url(s, bucket, key, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {.http = {.method = "HEAD", .url = url.data}, .what = what};
    int rc = sl_s3_call(s, &req, &resp, NULL, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_set(err, rc, "s3://%s/%s: no such object", bucket, key);
    } else if (rc == SL_OK) {
        char h[128];
        if (sl_http_response_header(&resp, "Content-Length", h, sizeof h) == SL_OK) out->size = strtoull(h, NULL, 10);
        if (sl_http_response_header(&resp, "Last-Modified", h, sizeof h) == SL_OK) {
            time_t t = curl_getdate(h, NULL);
            out->mtime = t == (time_t)-1 ? 0 : (int64_t)t;
        }
        etag_from_headers(&resp, out->etag);
        out->key = sl_xstrdup(key);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&url);
    return rc;
}

/* GetObject streaming state: after a broken connection the retry asks for
 * the same range again and skips what was already delivered. */
typedef struct get_state {
    int (*on_data)(void *ud, const void *data, size_t len);
    void *ud;
    const sl_http_response *resp;
    uint64_t delivered, skip;
    bool checked_etag, changed;
    char etag[SL_S3_ETAG_MAX];
} get_state;

static int get_body(void *ud, const void *data, size_t len) {
    get_state *g = ud;
    if (!g->checked_etag) {
        char etag[SL_S3_ETAG_MAX];
        etag_from_headers(g->resp, etag);
        if (g->delivered > 0 && strcmp(etag, g->etag) != 0) {
            g->changed = true;
            return SL_EIO;
        }
        memcpy(g->etag, etag, sizeof etag);
        g->checked_etag = true;
    }
    if (g->skip) {
        size_t n = g->skip < len ? (size_t)g->skip : len;
        g->skip -= n;
        data = (const char *)data + n;
        len -= n;
        if (!len) return 0;
    }
    g->delivered += len;
    return g->on_data(g->ud, data, len);
}

static int get_restart(void *ud) {
    get_state *g = ud;
    g->skip = g->delivered;
    g->checked_etag = false;
    return SL_OK;
}

int sl_s3_get(sl_s3 *s, const char *bucket, const char *key, uint64_t offset, uint64_t length,
              int (*on_data)(void *ud, const void *data, size_t len), void *ud, sl_error *err) {
    if (length == 0) return SL_OK;
    char what[1200], range[64] = "";
    object_what("GetObject", bucket, key, what, sizeof what);
    if (length != UINT64_MAX)
        snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)offset,
                 (unsigned long long)(offset + length - 1));
    else if (offset > 0)
        snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)offset);
    sl_http_header headers[1] = {{"Range", range}};
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_s3_object_url(s, bucket, key, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    get_state g = {.on_data = on_data, .ud = ud, .resp = &resp};
    sl_aws_request req = {
        .http = {.method = "GET",
                 .url = url.data,
                 .headers = headers,
                 .n_headers = range[0] ? 1 : 0,
                 .on_body = get_body,
                 .on_body_ud = &g},
        .what = what,
        .on_restart = get_restart,
    };
    sl_s3_outcome oc;
    int rc = sl_s3_call(s, &req, &resp, &oc, err);
    if (g.changed)
        rc = sl_error_set(err, SL_EIO, "%s: the object changed while it was being read", what);
    else if (rc == SL_ENOTFOUND)
        sl_error_set(err, rc, "s3://%s/%s: no such object", bucket, key);
    else if (rc && oc.status == 416)
        rc = SL_OK; /* offset at or past the end: nothing to read */
    sl_http_response_free(&resp);
    sl_buf_free(&url);
    return rc;
}

int sl_s3_put(sl_s3 *s, const char *bucket, const char *key, const void *data, size_t len, sl_error *err) {
    char what[1200];
    object_what("PutObject", bucket, key, what, sizeof what);
    body_digests dg;
    digest_body(data ? data : "", len, &dg);
    sl_http_header headers[1] = {{"Content-MD5", dg.md5_b64}};
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_s3_object_url(s, bucket, key, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {
        .http = {.method = "PUT",
                 .url = url.data,
                 .headers = headers,
                 .n_headers = dg.md5_b64[0] ? 1 : 0,
                 .body = data ? data : "",
                 .body_len = len},
        .payload_hash = dg.sha256,
        .what = what,
    };
    int rc = sl_s3_call(s, &req, &resp, NULL, err);
    if (rc == SL_OK) {
        char etag[SL_S3_ETAG_MAX];
        etag_from_headers(&resp, etag);
        rc = check_etag(&resp, etag, dg.md5_hex, what, err);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&url);
    return rc;
}

int sl_s3_delete(sl_s3 *s, const char *bucket, const char *key, sl_error *err) {
    char what[1200];
    object_what("DeleteObject", bucket, key, what, sizeof what);
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_s3_object_url(s, bucket, key, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {.http = {.method = "DELETE", .url = url.data}, .what = what};
    sl_s3_outcome oc;
    int rc = sl_s3_call(s, &req, &resp, &oc, err);
    if (rc == SL_ENOTFOUND && strcmp(oc.code, "NoSuchBucket") != 0) rc = SL_OK;
    sl_http_response_free(&resp);
    sl_buf_free(&url);
    return rc;
}

int sl_s3_create_bucket(sl_s3 *s, const char *bucket, sl_error *err) {
    char what[300];
    snprintf(what, sizeof what, "CreateBucket %s", bucket);
    sl_buf url, body;
    sl_buf_init(&url, 0);
    sl_buf_init(&body, 0);
    sl_s3_request_url(s, bucket, "", NULL, &url);
    /* AWS wants the region named outside us-east-1; custom endpoints have
     * their own notion of placement (Ceph: zonegroups), so leave it to them. */
    if (!s->cfg.endpoint[0] && strcmp(s->cfg.region, "us-east-1") != 0)
        sl_buf_printf(&body,
                      "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                      "<LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>",
                      s->cfg.region);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {
        .http = {.method = "PUT", .url = url.data, .body = body.data ? body.data : "", .body_len = body.len},
        .what = what,
    };
    sl_s3_outcome oc;
    int rc = sl_s3_call(s, &req, &resp, &oc, err);
    if (rc && strcmp(oc.code, "BucketAlreadyOwnedByYou") == 0) rc = SL_OK;
    sl_http_response_free(&resp);
    sl_buf_free(&url);
    sl_buf_free(&body);
    return rc;
}

/* ---- multipart uploads ---- */

typedef struct upload_id_state {
    char *upload_id;
} upload_id_state;

static void create_on_end(void *ud, int depth, const char *parent, const char *name, const char *text, size_t len) {
    upload_id_state *st = ud;
    if (depth == 2 && strcmp(name, "UploadId") == 0) {
        free(st->upload_id);
        st->upload_id = sl_xstrndup(text, len);
    }
}

/* A retried CreateMultipartUpload may have created uploads whose answers
 * were lost: abort every other upload of this exact key (best effort). */
static void abort_lost_uploads(sl_s3 *s, const char *bucket, const char *key, const char *keep) {
    sl_s3_uploads ups = {0};
    if (sl_s3_mpu_list(s, bucket, key, &ups, NULL) == SL_OK)
        for (size_t i = 0; i < ups.count; i++)
            if (strcmp(ups.items[i].key, key) == 0 && strcmp(ups.items[i].upload_id, keep) != 0)
                sl_s3_mpu_abort(s, bucket, key, ups.items[i].upload_id, NULL);
    sl_s3_uploads_free(&ups);
}

int sl_s3_mpu_create(sl_s3 *s, const char *bucket, const char *key, char **upload_id, sl_error *err) {
    *upload_id = NULL;
    char what[1200];
    object_what("CreateMultipartUpload", bucket, key, what, sizeof what);
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_s3_request_url(s, bucket, key, "uploads=", &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {.http = {.method = "POST", .url = url.data, .body = "", .body_len = 0}, .what = what};
    sl_s3_outcome oc;
    int rc = sl_s3_call(s, &req, &resp, &oc, err);
    if (rc == SL_OK) {
        upload_id_state st = {0};
        xml_walker w;
        walker_init(&w, create_on_end, &st);
        if (walker_feed(&w, resp.body.data ? resp.body.data : "", resp.body.len, true) != SL_OK || !st.upload_id ||
            !st.upload_id[0]) {
            rc = sl_error_set(err, SL_EPARSE, "%s: no UploadId in the answer%s%s", what, w.error[0] ? ": " : "",
                              w.error);
            free(st.upload_id);
        } else {
            *upload_id = st.upload_id;
            if (oc.attempts > 1) abort_lost_uploads(s, bucket, key, st.upload_id);
        }
        walker_free(&w);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&url);
    return rc;
}

static void upload_query(const char *upload_id, int part_number, sl_buf *q) {
    if (part_number > 0) sl_buf_printf(q, "partNumber=%d&", part_number);
    sl_buf_adds(q, "uploadId=");
    sl_s3_uri_encode(upload_id, false, q);
}

int sl_s3_mpu_upload_part(sl_s3 *s, const char *bucket, const char *key, const char *upload_id, int number,
                          const void *data, size_t len, char etag[SL_S3_ETAG_MAX], sl_error *err) {
    etag[0] = 0;
    char what[1200];
    snprintf(what, sizeof what, "UploadPart %d of s3://%s/%s", number, bucket, key);
    body_digests dg;
    digest_body(data, len, &dg);
    sl_http_header headers[1] = {{"Content-MD5", dg.md5_b64}};
    sl_buf query, url;
    sl_buf_init(&query, 0);
    sl_buf_init(&url, 0);
    upload_query(upload_id, number, &query);
    sl_s3_request_url(s, bucket, key, query.data, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {
        .http = {.method = "PUT",
                 .url = url.data,
                 .headers = headers,
                 .n_headers = dg.md5_b64[0] ? 1 : 0,
                 .body = data,
                 .body_len = len},
        .payload_hash = dg.sha256,
        .what = what,
    };
    int rc = sl_s3_call(s, &req, &resp, NULL, err);
    if (rc == SL_OK) {
        etag_from_headers(&resp, etag);
        if (!etag[0])
            rc = sl_error_set(err, SL_EIO, "%s: no ETag in the answer", what);
        else
            rc = check_etag(&resp, etag, dg.md5_hex, what, err);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}

int sl_s3_mpu_complete(sl_s3 *s, const char *bucket, const char *key, const char *upload_id, const sl_s3_part *parts,
                       size_t n_parts, sl_error *err) {
    char what[1200];
    object_what("CompleteMultipartUpload", bucket, key, what, sizeof what);
    sl_buf body, query, url;
    sl_buf_init(&body, 0);
    sl_buf_init(&query, 0);
    sl_buf_init(&url, 0);
    sl_buf_adds(&body, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (size_t i = 0; i < n_parts; i++)
        sl_buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", parts[i].number,
                      parts[i].etag);
    sl_buf_adds(&body, "</CompleteMultipartUpload>");
    upload_query(upload_id, 0, &query);
    sl_s3_request_url(s, bucket, key, query.data, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {
        .http = {.method = "POST", .url = url.data, .body = body.data, .body_len = body.len},
        .what = what,
        .error_in_success = true,
    };
    sl_s3_outcome oc;
    int rc = sl_s3_call(s, &req, &resp, &oc, err);
    if (rc == SL_ENOTFOUND && oc.attempts > 1 && strcmp(oc.code, "NoSuchUpload") == 0) {
        /* An earlier attempt completed the upload but its answer was lost. */
        sl_s3_object o;
        if (sl_s3_head(s, bucket, key, &o, NULL) == SL_OK) {
            sl_s3_object_free(&o);
            rc = SL_OK;
        }
    }
    /* The answer's ETag is not needed (and Ceph sends it empty). */
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}

int sl_s3_mpu_abort(sl_s3 *s, const char *bucket, const char *key, const char *upload_id, sl_error *err) {
    char what[1200];
    object_what("AbortMultipartUpload", bucket, key, what, sizeof what);
    sl_buf query, url;
    sl_buf_init(&query, 0);
    sl_buf_init(&url, 0);
    upload_query(upload_id, 0, &query);
    sl_s3_request_url(s, bucket, key, query.data, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_aws_request req = {.http = {.method = "DELETE", .url = url.data}, .what = what};
    sl_s3_outcome oc;
    int rc = sl_s3_call(s, &req, &resp, &oc, err);
    if (rc == SL_ENOTFOUND && strcmp(oc.code, "NoSuchBucket") != 0) rc = SL_OK;
    sl_http_response_free(&resp);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}

typedef struct uploads_page {
    sl_s3_uploads *out;
    char *key, *upload_id;
    char *next_key, *next_upload_id;
    bool truncated;
} uploads_page;

static void uploads_on_end(void *ud, int depth, const char *parent, const char *name, const char *text, size_t len) {
    uploads_page *pg = ud;
    if (strcmp(parent, "Upload") == 0) {
        if (strcmp(name, "Key") == 0) free(pg->key), pg->key = sl_xstrndup(text, len);
        if (strcmp(name, "UploadId") == 0) free(pg->upload_id), pg->upload_id = sl_xstrndup(text, len);
    } else if (strcmp(name, "Upload") == 0) {
        if (pg->key && pg->upload_id) {
            sl_s3_uploads *u = pg->out;
            if (u->count == u->cap) {
                u->cap = u->cap ? u->cap * 2 : 16;
                u->items = sl_xrealloc(u->items, u->cap * sizeof *u->items);
            }
            u->items[u->count++] = (sl_s3_upload){pg->key, pg->upload_id};
            pg->key = pg->upload_id = NULL;
        }
        free(pg->key);
        free(pg->upload_id);
        pg->key = pg->upload_id = NULL;
    } else if (depth == 2) {
        if (strcmp(name, "IsTruncated") == 0) pg->truncated = strcmp(text, "true") == 0;
        if (strcmp(name, "NextKeyMarker") == 0) free(pg->next_key), pg->next_key = sl_xstrndup(text, len);
        if (strcmp(name, "NextUploadIdMarker") == 0)
            free(pg->next_upload_id), pg->next_upload_id = sl_xstrndup(text, len);
    }
}

void sl_s3_uploads_free(sl_s3_uploads *u) {
    for (size_t i = 0; i < u->count; i++) {
        free(u->items[i].key);
        free(u->items[i].upload_id);
    }
    free(u->items);
    memset(u, 0, sizeof *u);
}

int sl_s3_mpu_list(sl_s3 *s, const char *bucket, const char *prefix, sl_s3_uploads *out, sl_error *err) {
    char what[1200];
    snprintf(what, sizeof what, "ListMultipartUploads s3://%s/%s", bucket, prefix ? prefix : "");
    sl_buf query, url;
    sl_buf_init(&query, 0);
    sl_buf_init(&url, 0);
    sl_http_response resp;
    sl_http_response_init(&resp);
    char *key_marker = NULL, *id_marker = NULL;
    int rc = SL_OK;
    for (int page = 0;; page++) {
        sl_buf_reset(&query);
        if (key_marker) {
            sl_buf_adds(&query, "key-marker=");
            sl_s3_uri_encode(key_marker, false, &query);
            sl_buf_addc(&query, '&');
        }
        sl_buf_adds(&query, "prefix=");
        sl_s3_uri_encode(prefix ? prefix : "", false, &query);
        if (id_marker) {
            sl_buf_adds(&query, "&upload-id-marker=");
            sl_s3_uri_encode(id_marker, false, &query);
        }
        sl_buf_adds(&query, "&uploads=");
        sl_buf_reset(&url);
        sl_s3_request_url(s, bucket, "", query.data, &url);
        sl_aws_request req = {.http = {.method = "GET", .url = url.data}, .what = what};
        rc = sl_s3_call(s, &req, &resp, NULL, err);
        if (rc) break;
        uploads_page pg = {.out = out};
        xml_walker w;
        walker_init(&w, uploads_on_end, &pg);
        if (walker_feed(&w, resp.body.data ? resp.body.data : "", resp.body.len, true) != SL_OK)
            rc = sl_error_set(err, SL_EPARSE, "%s: %s", what, w.error);
        walker_free(&w);
        free(pg.key);
        free(pg.upload_id);
        free(key_marker);
        free(id_marker);
        key_marker = pg.next_key;
        id_marker = pg.next_upload_id;
        if (rc || !pg.truncated || !key_marker || page > 100000) break;
    }
    free(key_marker);
    free(id_marker);
    sl_http_response_free(&resp);
    sl_buf_free(&query);
    sl_buf_free(&url);
    return rc;
}
