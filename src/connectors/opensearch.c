/*
 * opensearch.c — OpenSearch client and the `write_opensearch` target (see
 * opensearch.h for the layers and docs/opensearch.md for users).
 *
 * OpenSearch has no staging area: documents become visible (after the
 * index's next refresh) while the run goes on, so a failed run may leave
 * some of them behind. With an id (id_field / id_expr) the `index` action
 * replaces the stored document, so running the job again converges on the
 * same index instead of adding duplicates.
 *
 * Concurrency: every worker thread has its own writer with its own
 * connection and sends its own bulk requests, so up to `threads` requests
 * are in flight at once (libcurl easy handles, one per thread, connections
 * kept alive between requests).
 *
 * Retries never duplicate: after a `_bulk` answer, only the items the
 * server refused for a transient reason (429, rejected_execution, 5xx) are
 * sent again, each in the same order, with back-off; whole requests are
 * sent again only when the server answered 429/5xx for the request as a
 * whole (nothing was applied) or did not answer at all (the one case in
 * which a document may have been stored already: with ids the re-send
 * overwrites it; without ids it may add a second copy — docs say so).
 */
#include "connectors/opensearch.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libdeflate.h>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "core/expr.h"
#include "core/fieldpath.h"
#include "core/mem.h"
#include "exec/node.h"
#include "exec/run.h"
#include "formats/compress.h"
#include "formats/ddbjson.h"
#include "formats/json.h"

#define MAX_ID_BYTES 512 /* OpenSearch refuses longer _id values */
#define MAX_INDEX_NAME_BYTES 255
#define BULK_PATH "/_bulk?filter_path=errors,items.*.status,items.*.error"

/* ======================================================================
 * Connection
 * ====================================================================== */

enum { AUTH_NONE, AUTH_BASIC, AUTH_SIGV4 };

struct sl_opensearch_conn {
    char *endpoint; /* no trailing '/' */
    int auth;
    char *authorization; /* "Basic …": holds the password, never printed */
    char user[128];
    char password_env[128];
    sl_aws_creds creds; /* sigv4 */
    char region[64];
    char service[8];
    sl_http_options http_opts;
    char *ca_file;
    char *client_cert, *client_key;
    sl_http *http;
    bool has_transport;
    sl_http_transport transport;
    void (*sleep_ms)(void *ud, long ms);
    void *sleep_ud;
    sl_retry_policy retry;
};

static void sleep_real(long ms) {
    if (ms <= 0) return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static void conn_sleep(const sl_opensearch_conn *c, long ms) {
    if (c->sleep_ms)
        c->sleep_ms(c->sleep_ud, ms);
    else
        sleep_real(ms);
}

static uint64_t jitter_seed(const void *p) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)(uintptr_t)p ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
}

static int conn_make_http(sl_opensearch_conn *c, sl_error *err) {
    int rc = sl_http_new(&c->http_opts, &c->http, err);
    if (!rc && c->has_transport) sl_http_set_transport(c->http, &c->transport);
    return rc;
}

static bool has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

int sl_opensearch_conn_new(const sl_opensearch_config *cfg, sl_opensearch_conn **out, sl_error *err) {
    *out = NULL;
    int auth;
    const char *a = cfg->auth;
    if (!a || !*a || !strcmp(a, "auto"))
        auth = cfg->user && *cfg->user ? AUTH_BASIC : AUTH_NONE;
    else if (!strcmp(a, "none"))
        auth = AUTH_NONE;
    else if (!strcmp(a, "basic"))
        auth = AUTH_BASIC;
    else if (!strcmp(a, "sigv4"))
        auth = AUTH_SIGV4;
    else
        return sl_error_set(err, SL_EINVAL, "unknown auth '%s' (expected none, basic or sigv4)", a);

    sl_opensearch_conn *c = sl_xcalloc(1, sizeof *c);
    c->auth = auth;
    sl_retry_policy_default(&c->retry);
    sl_http_options_default(&c->http_opts);
    if (cfg->timeout_ms > 0) c->http_opts.timeout_ms = cfg->timeout_ms;
    c->http_opts.insecure = cfg->insecure;
    if (cfg->ca_file && *cfg->ca_file) c->ca_file = sl_xstrdup(cfg->ca_file);
    c->http_opts.ca_file = c->ca_file;
    if (cfg->client_cert && *cfg->client_cert) c->client_cert = sl_xstrdup(cfg->client_cert);
    if (cfg->client_key && *cfg->client_key) c->client_key = sl_xstrdup(cfg->client_key);
    c->http_opts.client_cert = c->client_cert;
    c->http_opts.client_key = c->client_key;
    const char *endpoint = cfg->endpoint && *cfg->endpoint ? cfg->endpoint : NULL;
    int rc = SL_OK;

    if (auth == AUTH_BASIC) {
        if (!cfg->user || !*cfg->user) {
            rc = sl_error_set(err, SL_EINVAL, "basic auth needs a user");
            goto fail;
        }
        if (!cfg->password_env || !*cfg->password_env) {
            rc = sl_error_set(err, SL_EINVAL,
                              "basic auth needs password_env: the name of an environment variable holding the "
                              "password");
            goto fail;
        }
        snprintf(c->user, sizeof c->user, "%s", cfg->user);
        snprintf(c->password_env, sizeof c->password_env, "%s", cfg->password_env);
        const char *password = getenv(cfg->password_env);
        if (!password) {
            rc = sl_error_set(err, SL_EINVAL, "password_env: environment variable %s is not set", cfg->password_env);
            goto fail;
        }
        sl_buf pair, hdr;
        sl_buf_init(&pair, 0);
        sl_buf_init(&hdr, 0);
        sl_buf_printf(&pair, "%s:%s", cfg->user, password);
        sl_buf_adds(&hdr, "Basic ");
        sl_base64_encode(&hdr, (const unsigned char *)pair.data, pair.len);
        memset(pair.data, 0, pair.len); /* the password does not linger in freed memory */
        sl_buf_free(&pair);
        c->authorization = sl_buf_detach(&hdr);
    } else if (auth == AUTH_SIGV4) {
        const char *svc = cfg->aws_service && *cfg->aws_service ? cfg->aws_service : "es";
        if (strcmp(svc, "es") && strcmp(svc, "aoss")) {
            rc = sl_error_set(err, SL_EINVAL, "unknown aws_service '%s' (expected es or aoss)", svc);
            goto fail;
        }
        snprintf(c->service, sizeof c->service, "%s", svc);
        sl_aws_overrides ov = {.profile = cfg->profile, .region = cfg->region, .endpoint = endpoint};
        sl_aws_config ac;
        rc = sl_aws_config_load(svc, &ov, &ac, err);
        if (rc) goto fail;
        c->creds = ac.creds;
        snprintf(c->region, sizeof c->region, "%s", ac.region);
        if (!endpoint && ac.endpoint[0]) c->endpoint = sl_xstrdup(ac.endpoint);
        memset(&ac, 0, sizeof ac);
    }
    if (!c->endpoint) {
        if (!endpoint) {
            rc = sl_error_set(err, SL_EINVAL, "no endpoint: set endpoint to the cluster's URL, e.g. https://host:9200");
            goto fail;
        }
        c->endpoint = sl_xstrdup(endpoint);
    }
    if (!has_prefix(c->endpoint, "http://") && !has_prefix(c->endpoint, "https://")) {
        rc = sl_error_set(err, SL_EINVAL, "endpoint '%.200s' must start with http:// or https://", c->endpoint);
        goto fail;
    }
    size_t n = strlen(c->endpoint);
    while (n > 8 && c->endpoint[n - 1] == '/')
        c->endpoint[--n] = 0;
    rc = conn_make_http(c, err);
    if (rc) goto fail;
    *out = c;
    return SL_OK;
fail:
    sl_opensearch_conn_free(c);
    return rc;
}

int sl_opensearch_conn_clone(const sl_opensearch_conn *c, sl_opensearch_conn **out, sl_error *err) {
    sl_opensearch_conn *n = sl_xmalloc(sizeof *n);
    *n = *c;
    n->endpoint = sl_xstrdup(c->endpoint);
    n->authorization = c->authorization ? sl_xstrdup(c->authorization) : NULL;
    n->ca_file = c->ca_file ? sl_xstrdup(c->ca_file) : NULL;
    n->http_opts.ca_file = n->ca_file;
    n->client_cert = c->client_cert ? sl_xstrdup(c->client_cert) : NULL;
    n->client_key = c->client_key ? sl_xstrdup(c->client_key) : NULL;
    n->http_opts.client_cert = n->client_cert;
    n->http_opts.client_key = n->client_key;
    n->http = NULL;
    int rc = conn_make_http(n, err);
    if (rc) {
        sl_opensearch_conn_free(n);
        return rc;
    }
    *out = n;
    return SL_OK;
}

void sl_opensearch_conn_free(sl_opensearch_conn *c) {
    if (!c) return;
    sl_http_free(c->http);
    free(c->endpoint);
    if (c->authorization) {
        memset(c->authorization, 0, strlen(c->authorization));
        free(c->authorization);
    }
    free(c->ca_file);
    free(c->client_cert);
    free(c->client_key);
    memset(&c->creds, 0, sizeof c->creds);
    free(c);
}

const char *sl_opensearch_conn_endpoint(const sl_opensearch_conn *c) { return c->endpoint; }

void sl_opensearch_conn_set_transport(sl_opensearch_conn *c, const sl_http_transport *t) {
    c->has_transport = t != NULL;
    if (t) c->transport = *t;
    sl_http_set_transport(c->http, t);
}

void sl_opensearch_conn_set_sleep(sl_opensearch_conn *c, void (*sleep_ms)(void *ud, long ms), void *ud) {
    c->sleep_ms = sleep_ms;
    c->sleep_ud = ud;
}

void sl_opensearch_escape(sl_buf *out, const char *s, size_t len) {
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || ch == ',' || ch == '*') {
            sl_buf_addc(out, (char)ch);
        } else {
            char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            sl_buf_add(out, e, 3);
        }
    }
}

/* One attempt: headers, signature, perform. url is the full URL. */
static int perform_once(const sl_opensearch_conn *c, const char *method, const char *url, const char *content_type,
                        const char *content_encoding, const void *body, size_t len, sl_http_response *resp,
                        sl_error *err) {
    sl_http_header h[10];
    size_t n = 0;
    if (content_type) h[n++] = (sl_http_header){"Content-Type", content_type};
    if (content_encoding) h[n++] = (sl_http_header){"Content-Encoding", content_encoding};
    sl_sigv4_result signature;
    if (c->auth == AUTH_BASIC) {
        h[n++] = (sl_http_header){"Authorization", c->authorization};
    } else if (c->auth == AUTH_SIGV4) {
        sl_sigv4_request sr = {
            .method = method,
            .url = url,
            .headers = h,
            .n_headers = n,
            .body = body,
            .body_len = len,
            .region = c->region,
            .service = c->service,
            .when = time(NULL),
            .normalize_path = 1,
            .add_content_sha256 = 1, /* Serverless requires x-amz-content-sha256; the managed service accepts it */
        };
        int rc = sl_sigv4_sign(&sr, &c->creds, &signature, err);
        if (rc) return rc;
        n += sl_sigv4_headers(&signature, &c->creds, h + n);
    }
    sl_http_request req = {.method = method, .url = url, .headers = h, .n_headers = n, .body = body, .body_len = len};
    return sl_http_perform(c->http, &req, resp, err);
}

static long retry_after(const sl_http_response *resp) {
    char v[64];
    if (sl_http_response_header(resp, "Retry-After", v, sizeof v) != SL_OK) return -1;
    return sl_http_retry_after_ms(v, time(NULL));
}

int sl_opensearch_call(const sl_opensearch_conn *c, const char *method, const char *path, const char *content_type,
                       const void *body, size_t len, const char *what, sl_http_response *resp, sl_error *err) {
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_buf_adds(&url, c->endpoint);
    sl_buf_adds(&url, path);
    uint64_t rnd = jitter_seed(resp);
    int attempts = c->retry.max_attempts > 0 ? c->retry.max_attempts : 1;
    int rc = SL_OK;
    sl_error e;
    for (int attempt = 1;; attempt++) {
        sl_error_clear(&e);
        rc = perform_once(c, method, url.data, content_type, NULL, body, len, resp, &e);
        if (rc == SL_EINVAL || rc == SL_ELIMIT) break; /* signing failed / response too large: not transient */
        bool again = rc ? true : sl_retry_retryable(resp->status, NULL);
        if (!again || attempt >= attempts) break;
        conn_sleep(c, sl_retry_delay_ms(&c->retry, attempt, rc ? -1 : retry_after(resp), &rnd));
    }
    if (rc == SL_EINVAL || rc == SL_ELIMIT) {
        sl_error_set(err, rc, "%s: %s", what, e.message);
    } else if (rc) {
        rc = sl_error_set(err, SL_EIO, "%s: %s: %s (after %d attempts)", what, c->endpoint,
                          resp->error[0] ? resp->error : e.message, attempts);
    } else if (sl_retry_retryable(resp->status, NULL)) {
        char text[400];
        sl_opensearch_error_text(resp, text, sizeof text);
        rc = sl_error_set(err, SL_EIO, "%s: %s (after %d attempts)", what, text, attempts);
    }
    sl_buf_free(&url);
    return rc;
}

/* ======================================================================
 * Error texts
 * ====================================================================== */

static const char *status_phrase(long status) {
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 413: return "Request Entity Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "";
}

static const sl_value *get_str(const sl_value *obj, const char *name) {
    const sl_value *v = obj && obj->type == SL_T_STRUCT ? sl_struct_get(obj, name) : NULL;
    return v && v->type == SL_T_STRING ? v : NULL;
}

/* "type: reason (caused by: type: reason)" of an ErrorCause object (or a
 * plain string) appended to out. */
static void cause_text(sl_buf *out, const sl_value *error, int depth) {
    if (!error) return;
    if (error->type == SL_T_STRING) {
        sl_buf_add(out, error->u.s, error->len);
        return;
    }
    if (error->type != SL_T_STRUCT) return;
    const sl_value *type = get_str(error, "type"), *reason = get_str(error, "reason");
    if (!reason) { /* some errors carry their text only in root_cause[0] */
        const sl_value *rc = sl_struct_get(error, "root_cause");
        if (rc && rc->type == SL_T_LIST && rc->len) reason = get_str(&rc->u.items[0], "reason");
    }
    if (type) sl_buf_add(out, type->u.s, type->len);
    if (type && reason) sl_buf_adds(out, ": ");
    if (reason) sl_buf_add(out, reason->u.s, reason->len);
    const sl_value *caused = sl_struct_get(error, "caused_by");
    if (caused && depth < 3 && (caused->type == SL_T_STRUCT || caused->type == SL_T_STRING)) {
        sl_buf_adds(out, " (caused by: ");
        cause_text(out, caused, depth + 1);
        sl_buf_addc(out, ')');
    }
}

/* Printable copy of raw text: control bytes become spaces, runs trimmed. */
static void add_plain(sl_buf *out, const char *s, size_t len, size_t max) {
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len > max) len = max;
    for (size_t i = 0; i < len; i++)
        sl_buf_addc(out, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
}

void sl_opensearch_error_text(const sl_http_response *resp, char *out, size_t size) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_printf(&b, "HTTP %ld", resp->status);
    sl_arena a;
    sl_arena_init(&a);
    sl_value root;
    size_t mark = b.len;
    if (resp->body.len && sl_json_parse(resp->body.data, resp->body.len, &a, &root, NULL) == SL_OK &&
        root.type == SL_T_STRUCT) {
        const sl_value *error = sl_struct_get(&root, "error");
        const sl_value *msg = get_str(&root, "Message");
        if (!msg) msg = get_str(&root, "message");
        if (error && (error->type == SL_T_STRUCT || error->type == SL_T_STRING)) {
            sl_buf_addc(&b, ' ');
            cause_text(&b, error, 0);
        } else if (msg) {
            sl_buf_adds(&b, ": ");
            add_plain(&b, msg->u.s, msg->len, 300);
        }
    } else if (resp->body.len) {
        sl_buf_adds(&b, ": ");
        add_plain(&b, resp->body.data, resp->body.len, 300);
    }
    if (b.len == mark || b.len == mark + 2) {
        b.len = mark;
        b.data[b.len] = 0;
        if (*status_phrase(resp->status)) sl_buf_printf(&b, " %s", status_phrase(resp->status));
    }
    snprintf(out, size, "%s", b.data);
    sl_buf_free(&b);
    sl_arena_free(&a);
}

/* Turn a final non-2xx answer into an error: authentication problems get
 * a message that says what to check. */
static int fail_status(const sl_opensearch_conn *c, const char *what, const sl_http_response *resp, sl_error *err) {
    char text[400];
    sl_opensearch_error_text(resp, text, sizeof text);
    if (resp->status == 401 && c->auth == AUTH_BASIC)
        return sl_error_set(err, SL_EIO,
                            "%s: authentication failed for user '%s' at %s (%s): check user and the password in "
                            "the environment variable %s",
                            what, c->user, c->endpoint, text, c->password_env);
    if (resp->status == 401)
        return sl_error_set(err, SL_EIO,
                            "%s: authentication required at %s (%s): set user and password_env, or "
                            "auth: sigv4",
                            what, c->endpoint, text);
    if (resp->status == 403 && c->auth == AUTH_SIGV4)
        return sl_error_set(err, SL_EIO,
                            "%s: request refused at %s (%s): check the AWS credentials, region '%s' and "
                            "service '%s', and the domain's access policy",
                            what, c->endpoint, text, c->region, c->service);
    if (resp->status == 403)
        return sl_error_set(err, SL_EIO, "%s: permission denied at %s (%s)", what, c->endpoint, text);
    if (resp->status == 404) return sl_error_set(err, SL_ENOTFOUND, "%s: %s", what, text);
    if (resp->status == 400) return sl_error_set(err, SL_EINVAL, "%s: %s", what, text);
    return sl_error_set(err, SL_EIO, "%s: %s", what, text);
}

/* ======================================================================
 * Calls
 * ====================================================================== */

static void index_path(sl_buf *path, const char *index, const char *suffix) {
    sl_buf_reset(path);
    if (index && *index) {
        sl_buf_addc(path, '/');
        sl_opensearch_escape(path, index, strlen(index));
    }
    sl_buf_adds(path, suffix);
}

int sl_opensearch_ping(const sl_opensearch_conn *c, sl_error *err) {
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = sl_opensearch_call(c, "GET", "/", NULL, NULL, 0, "connecting to OpenSearch", &resp, err);
    if (!rc && (resp.status < 200 || resp.status >= 300)) rc = fail_status(c, "connecting to OpenSearch", &resp, err);
    sl_http_response_free(&resp);
    return rc;
}

int sl_opensearch_search(const sl_opensearch_conn *c, const char *index, const char *query_json, sl_buf *response,
                         sl_error *err) {
    sl_buf path, what;
    sl_buf_init(&path, 0);
    sl_buf_init(&what, 0);
    index_path(&path, index, "/_search");
    sl_buf_printf(&what, "search in '%s'", index && *index ? index : "*");
    sl_http_response resp;
    sl_http_response_init(&resp);
    const char *q = query_json ? query_json : "{}";
    int rc = sl_opensearch_call(c, "POST", path.data, "application/json", q, strlen(q), what.data, &resp, err);
    if (!rc && (resp.status < 200 || resp.status >= 300)) rc = fail_status(c, what.data, &resp, err);
    if (!rc && resp.body.len && sl_buf_add(response, resp.body.data, resp.body.len) != SL_OK)
        rc = sl_error_set(err, SL_ELIMIT, "%s: the response (%zu bytes) is larger than the buffer allows", what.data,
                          resp.body.len);
    sl_http_response_free(&resp);
    sl_buf_free(&path);
    sl_buf_free(&what);
    return rc;
}

int sl_opensearch_create_index(const sl_opensearch_conn *c, const char *index, const char *body, size_t len,
                               bool *created, sl_error *err) {
    if (created) *created = false;
    sl_buf path, what;
    sl_buf_init(&path, 0);
    sl_buf_init(&what, 0);
    index_path(&path, index, "");
    sl_buf_printf(&what, "creating index '%s'", index);
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = sl_opensearch_call(c, "PUT", path.data, body && len ? "application/json" : NULL, body, body ? len : 0,
                                what.data, &resp, err);
    if (!rc && resp.status >= 200 && resp.status < 300) {
        if (created) *created = true;
    } else if (!rc) {
        char text[400];
        sl_opensearch_error_text(&resp, text, sizeof text);
        /* someone (another worker, another run) was first: that is fine */
        if (resp.status != 400 || !strstr(text, "resource_already_exists_exception"))
            rc = fail_status(c, what.data, &resp, err);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&path);
    sl_buf_free(&what);
    return rc;
}

int sl_opensearch_refresh(const sl_opensearch_conn *c, const char *index, sl_error *err) {
    sl_buf path, what;
    sl_buf_init(&path, 0);
    sl_buf_init(&what, 0);
    index_path(&path, index, "/_refresh");
    sl_buf_printf(&what, "refreshing '%.300s'", index && *index ? index : "*");
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = sl_opensearch_call(c, "POST", path.data, NULL, NULL, 0, what.data, &resp, err);
    if (!rc && (resp.status < 200 || resp.status >= 300)) rc = fail_status(c, what.data, &resp, err);
    sl_http_response_free(&resp);
    sl_buf_free(&path);
    sl_buf_free(&what);
    return rc;
}

int sl_opensearch_count(const sl_opensearch_conn *c, const char *index, const char *query_json, uint64_t *count,
                        sl_error *err) {
    *count = 0;
    sl_buf path, what;
    sl_buf_init(&path, 0);
    sl_buf_init(&what, 0);
    index_path(&path, index, "/_count");
    sl_buf_printf(&what, "counting in '%s'", index && *index ? index : "*");
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = sl_opensearch_call(c, "POST", path.data, query_json ? "application/json" : NULL, query_json,
                                query_json ? strlen(query_json) : 0, what.data, &resp, err);
    if (!rc && (resp.status < 200 || resp.status >= 300)) rc = fail_status(c, what.data, &resp, err);
    if (!rc) {
        sl_arena a;
        sl_arena_init(&a);
        sl_value root;
        const sl_value *n = NULL;
        if (sl_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, &a, &root, NULL) == SL_OK &&
            root.type == SL_T_STRUCT)
            n = sl_struct_get(&root, "count");
        if (n && n->type == SL_T_INT && n->u.i >= 0)
            *count = (uint64_t)n->u.i;
        else
            rc = sl_error_set(err, SL_EPARSE, "%s: the answer has no count", what.data);
        sl_arena_free(&a);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&path);
    sl_buf_free(&what);
    return rc;
}

/* ======================================================================
 * Bulk responses
 * ====================================================================== */

static bool str_is(const sl_value *v, const char *s) {
    size_t n = strlen(s);
    return v && v->type == SL_T_STRING && v->len == n && memcmp(v->u.s, s, n) == 0;
}

static sl_opensearch_outcome classify(int status, const sl_value *error) {
    if (status >= 200 && status < 300) return SL_OS_ITEM_OK;
    if (status == 429 || status >= 500) return SL_OS_ITEM_RETRY;
    const sl_value *type = error && error->type == SL_T_STRUCT ? get_str(error, "type") : NULL;
    /* Elasticsearch and OpenSearch 1.x call a full write queue
     * es_rejected_execution_exception, OpenSearch 2.x rejected_execution_exception;
     * either is transient whatever status came with it. */
    if (str_is(type, "es_rejected_execution_exception") || str_is(type, "rejected_execution_exception") ||
        str_is(type, "opensearch_rejected_execution_exception"))
        return SL_OS_ITEM_RETRY;
    return SL_OS_ITEM_REJECT;
}

int sl_opensearch_parse_bulk_response(const char *body, size_t len, size_t n_items, sl_arena *a,
                                      sl_opensearch_item_result *out, sl_error *err) {
    sl_value root;
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_json_parse(body ? body : "", len, a, &root, &perr) != SL_OK)
        return sl_error_set(err, SL_EPARSE, "bulk response is not JSON: %s", perr.message);
    if (root.type != SL_T_STRUCT) return sl_error_set(err, SL_EPARSE, "bulk response is not a JSON object");
    const sl_value *items = sl_struct_get(&root, "items");
    if (!items || items->type != SL_T_LIST) return sl_error_set(err, SL_EPARSE, "bulk response has no items array");
    if (items->len != n_items)
        return sl_error_set(err, SL_EPARSE, "bulk response has %u items for the %zu documents sent", items->len,
                            n_items);
    sl_buf reason;
    sl_buf_init(&reason, 0);
    int rc = SL_OK;
    for (size_t i = 0; i < n_items && !rc; i++) {
        const sl_value *item = &items->u.items[i];
        const sl_value *op = item->type == SL_T_STRUCT && item->len >= 1 ? &item->u.fields[0].value : NULL;
        const sl_value *st = op && op->type == SL_T_STRUCT ? sl_struct_get(op, "status") : NULL;
        int64_t status = st && st->type == SL_T_INT ? st->u.i : st && st->type == SL_T_DOUBLE ? (int64_t)st->u.d : -1;
        if (status < 100 || status > 599) {
            rc = sl_error_set(err, SL_EPARSE, "bulk response item %zu has no valid status", i);
            break;
        }
        const sl_value *error = sl_struct_get(op, "error");
        out[i].status = (int)status;
        out[i].outcome = classify((int)status, error);
        out[i].reason = NULL;
        if (out[i].outcome == SL_OS_ITEM_OK) continue;
        sl_buf_reset(&reason);
        sl_buf_printf(&reason, "HTTP %d", (int)status);
        if (error && (error->type == SL_T_STRUCT || error->type == SL_T_STRING)) {
            sl_buf_addc(&reason, ' ');
            cause_text(&reason, error, 0);
        } else if (*status_phrase(status)) {
            sl_buf_printf(&reason, " %s", status_phrase(status));
        }
        if (reason.len > 2000) reason.len = 2000; /* a line of the error output, not a stack trace */
        out[i].reason = sl_arena_strndup(a, reason.data, reason.len);
    }
    sl_buf_free(&reason);
    return rc;
}

/* ======================================================================
 * Bulk sender
 * ====================================================================== */

typedef struct bulk_item {
    size_t start;     /* action line in body */
    size_t doc_start; /* document line in body */
    size_t end;       /* after the document's '\n' */
    sl_opensearch_item_src src;
} bulk_item;

struct sl_opensearch_bulk {
    sl_opensearch_conn *conn;
    sl_opensearch_bulk_options o;
    sl_buf body; /* NDJSON of the queued items */
    bulk_item *items;
    size_t n, cap;
    sl_buf resend; /* NDJSON of a subset being sent again */
    sl_buf gz;
    sl_buf spill; /* the document that overflowed max_bytes, while the others go */
    struct libdeflate_compressor *comp;
    sl_arena arena; /* parsed response */
    sl_opensearch_item_result *results;
    size_t results_cap;
    sl_http_response resp;
    char *url;
    uint64_t rnd;
    sl_opensearch_bulk_stats stats;
};

int sl_opensearch_bulk_new(sl_opensearch_conn *c, const sl_opensearch_bulk_options *o, sl_opensearch_bulk **out,
                           sl_error *err) {
    *out = NULL;
    if (!o->reject) return sl_error_set(err, SL_EINVAL, "bulk sender needs a reject callback");
    sl_opensearch_bulk *b = sl_xcalloc(1, sizeof *b);
    b->conn = c;
    b->o = *o;
    if (!b->o.max_docs) b->o.max_docs = 1000;
    if (!b->o.max_bytes) b->o.max_bytes = (size_t)5 << 20;
    if (b->o.gzip_level > 12) b->o.gzip_level = 12;
    if (b->o.gzip_level > 0) {
        b->comp = libdeflate_alloc_compressor(b->o.gzip_level);
        if (!b->comp) {
            free(b);
            return sl_error_set(err, SL_ENOMEM, "cannot create a gzip compressor");
        }
    }
    sl_buf_init(&b->body, 0);
    sl_buf_init(&b->resend, 0);
    sl_buf_init(&b->gz, 0);
    sl_buf_init(&b->spill, 0);
    sl_arena_init(&b->arena);
    sl_http_response_init(&b->resp);
    size_t n = strlen(c->endpoint) + sizeof BULK_PATH;
    b->url = sl_xmalloc(n);
    snprintf(b->url, n, "%s%s", c->endpoint, BULK_PATH);
    b->rnd = jitter_seed(b);
    *out = b;
    return SL_OK;
}

void sl_opensearch_bulk_free(sl_opensearch_bulk *b) {
    if (!b) return;
    if (b->comp) libdeflate_free_compressor(b->comp);
    sl_buf_free(&b->body);
    sl_buf_free(&b->resend);
    sl_buf_free(&b->gz);
    sl_buf_free(&b->spill);
    sl_arena_free(&b->arena);
    sl_http_response_free(&b->resp);
    free(b->results);
    free(b->items);
    free(b->url);
    free(b);
}

void sl_opensearch_bulk_get_stats(const sl_opensearch_bulk *b, sl_opensearch_bulk_stats *out) { *out = b->stats; }

static bool cancelled(const sl_opensearch_bulk *b) { return b->o.cancel && *b->o.cancel; }

/* POST one body (compressed when configured); status in b->resp. */
static int post_body(sl_opensearch_bulk *b, const char *data, size_t len, sl_error *err) {
    const char *send = data;
    size_t send_len = len;
    const char *encoding = NULL;
    if (b->comp) {
        size_t bound = libdeflate_gzip_compress_bound(b->comp, len);
        sl_buf_reset(&b->gz);
        sl_buf_reserve(&b->gz, bound);
        size_t n = libdeflate_gzip_compress(b->comp, data, len, b->gz.data, bound);
        if (n) {
            send = b->gz.data;
            send_len = n;
            encoding = "gzip";
        }
    }
    b->stats.requests++;
    b->stats.bytes_sent += send_len;
    return perform_once(b->conn, "POST", b->url, "application/x-ndjson", encoding, send, send_len, &b->resp, err);
}

static int reject_item(sl_opensearch_bulk *b, size_t k, const char *reason, sl_error *err) {
    const bulk_item *it = &b->items[k];
    b->stats.docs_rejected++;
    return b->o.reject(b->o.reject_ud, &it->src, b->body.data + it->doc_start, it->end - it->doc_start - 1, reason,
                       err);
}

/* Read a 2xx `_bulk` answer for list[0..count): accepted items are counted,
 * rejected ones go to the callback, and the ones to send again are moved
 * to the front of list (*again of them; `last` gets the first one's
 * reason). uncertain: an earlier attempt got no answer, so a 409 may be
 * this run's own document. */
static int read_answer(sl_opensearch_bulk *b, size_t *list, size_t count, bool uncertain, size_t *again, char *last,
                       size_t last_size, sl_error *err) {
    if (b->results_cap < count) {
        b->results_cap = count;
        b->results = sl_xrealloc(b->results, count * sizeof *b->results);
    }
    sl_arena_reset(&b->arena);
    sl_error e;
    sl_error_clear(&e);
    if (sl_opensearch_parse_bulk_response(b->resp.body.data, b->resp.body.len, count, &b->arena, b->results, &e))
        return sl_error_set(err, SL_EIO, "bulk request to %s: %s", b->conn->endpoint, e.message);
    *again = 0;
    for (size_t k = 0; k < count; k++) {
        const sl_opensearch_item_result *r = &b->results[k];
        int rc = SL_OK;
        if (r->outcome == SL_OS_ITEM_OK) {
            b->stats.docs_ok++;
        } else if (r->outcome == SL_OS_ITEM_RETRY) {
            if (!*again) snprintf(last, last_size, "%s", r->reason);
            list[(*again)++] = list[k]; /* *again <= k: compacting in place is safe */
        } else if (uncertain && r->status == 409) {
            char reason[2200];
            snprintf(reason, sizeof reason,
                     "%s (an earlier attempt of this request got no answer: the stored document may be this run's "
                     "own)",
                     r->reason);
            rc = reject_item(b, list[k], reason, err);
        } else {
            rc = reject_item(b, list[k], r->reason, err);
        }
        if (rc) return rc;
    }
    return SL_OK;
}

/* Send the items list[0..count) until each is accepted or rejected. all:
 * the list is every queued item in order (the body can go as it is). */
static int send_items(sl_opensearch_bulk *b, size_t *list, size_t count, bool all, sl_error *err) {
    int item_rounds = 0, request_rounds = 0;
    bool uncertain = false; /* an earlier attempt got no answer: it may have been applied */
    char last[600] = "";
    for (;;) {
        if (cancelled(b)) return sl_error_set(err, SL_EIO, "bulk request abandoned: the run is stopping");
        const char *data = b->body.data;
        size_t len = b->body.len;
        if (!all) {
            sl_buf_reset(&b->resend);
            for (size_t k = 0; k < count; k++) {
                const bulk_item *it = &b->items[list[k]];
                sl_buf_add(&b->resend, b->body.data + it->start, it->end - it->start);
            }
            data = b->resend.data;
            len = b->resend.len;
        }
        sl_error e;
        sl_error_clear(&e);
        int rc = post_body(b, data, len, &e);
        long status = b->resp.status;
        if (rc == SL_EINVAL || rc == SL_ELIMIT) return sl_error_set(err, rc, "bulk request: %s", e.message);
        if (rc || sl_retry_retryable(status, NULL)) { /* nothing applied, or no answer: the request again */
            if (rc) {
                uncertain = true;
                snprintf(last, sizeof last, "%s", b->resp.error[0] ? b->resp.error : e.message);
            } else {
                sl_opensearch_error_text(&b->resp, last, sizeof last);
            }
            if (++request_rounds > b->o.max_retries)
                return sl_error_set(err, SL_EIO,
                                    "bulk request to %s failed %d times (last: %s); %zu documents not "
                                    "written",
                                    b->conn->endpoint, request_rounds, last, count);
            conn_sleep(b->conn,
                       sl_retry_delay_ms(&b->conn->retry, request_rounds, rc ? -1 : retry_after(&b->resp), &b->rnd));
            continue;
        }
        if (status == 413) {
            if (count == 1) {
                char reason[300];
                snprintf(reason, sizeof reason,
                         "HTTP 413 Request Entity Too Large: the document (%zu bytes with its action line) is more "
                         "than the server accepts in one request (http.max_content_length)",
                         len);
                return reject_item(b, list[0], reason, err);
            }
            /* too much at once: send each half on its own */
            size_t half = count / 2;
            rc = send_items(b, list, half, false, err);
            return rc ? rc : send_items(b, list + half, count - half, false, err);
        }
        if (status < 200 || status >= 300) return fail_status(b->conn, "bulk request", &b->resp, err);
        size_t again = 0;
        rc = read_answer(b, list, count, uncertain, &again, last, sizeof last, err);
        if (rc || !again) return rc;
        all = false;
        count = again;
        if (++item_rounds > b->o.max_retries)
            return sl_error_set(err, SL_EIO, "%zu documents were still refused by %s after %d re-sends (last: %s)",
                                count, b->conn->endpoint, b->o.max_retries, last);
        b->stats.docs_resent += count;
        conn_sleep(b->conn, sl_retry_delay_ms(&b->conn->retry, item_rounds, -1, &b->rnd));
    }
}

int sl_opensearch_bulk_flush(sl_opensearch_bulk *b, sl_error *err) {
    if (!b->n) return SL_OK;
    size_t *list = sl_xmalloc(b->n * sizeof *list);
    for (size_t k = 0; k < b->n; k++)
        list[k] = k;
    b->stats.bytes_ndjson += b->body.len;
    int rc = send_items(b, list, b->n, true, err);
    free(list);
    b->n = 0;
    sl_buf_reset(&b->body);
    return rc;
}

/* The action line: prefix is {"index":{"_index": or {"create":{"_index": */
static void add_meta(sl_buf *out, const char *prefix, const char *index, size_t index_len, const char *id,
                     size_t id_len) {
    sl_buf_adds(out, prefix);
    sl_json_write_string(out, index, index_len);
    if (id) {
        sl_buf_adds(out, ",\"_id\":");
        sl_json_write_string(out, id, id_len);
    }
    sl_buf_adds(out, "}}\n");
}

int sl_opensearch_bulk_add(sl_opensearch_bulk *b, const char *index, size_t index_len, const char *id, size_t id_len,
                           const sl_value *doc, const sl_opensearch_item_src *src, sl_error *err) {
    size_t start = b->body.len;
    add_meta(&b->body,
             b->o.action == SL_OS_ACTION_CREATE ? "{\"create\":{\"_index\":" : "{\"index\":{\"_index\":", index,
             index_len, id, id_len);
    size_t doc_start = b->body.len;
    int rc = sl_json_write(&b->body, doc);
    if (rc) {
        b->body.len = start;
        b->body.data[start] = 0;
        return sl_error_set(err, SL_ETYPE, "the record cannot be written as JSON (nested too deeply)");
    }
    sl_buf_addc(&b->body, '\n');
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->items = sl_xrealloc(b->items, b->cap * sizeof *b->items);
    }
    b->items[b->n++] = (bulk_item){start, doc_start, b->body.len, *src};
    if (b->n > 1 && b->body.len > b->o.max_bytes) {
        /* this document does not fit: send the others, then start over with it */
        bulk_item it = b->items[--b->n];
        sl_buf_reset(&b->spill);
        sl_buf_add(&b->spill, b->body.data + start, b->body.len - start);
        b->body.len = start;
        b->body.data[start] = 0;
        rc = sl_opensearch_bulk_flush(b, err);
        if (rc) return rc;
        sl_buf_add(&b->body, b->spill.data, b->spill.len);
        it.doc_start -= it.start;
        it.end -= it.start;
        it.start = 0;
        b->items[b->n++] = it;
    }
    if (b->n >= b->o.max_docs || b->body.len >= b->o.max_bytes) return sl_opensearch_bulk_flush(b, err);
    return SL_OK;
}

/* ======================================================================
 * Index name templates
 * ====================================================================== */

typedef enum { PART_TEXT, PART_FIELD, PART_DATE } part_kind;

typedef struct tpl_part {
    part_kind kind;
    char *text; /* PART_TEXT: the literal; PART_DATE: the pattern */
    size_t len;
    sl_fieldpath path;
} tpl_part;

struct sl_opensearch_template {
    tpl_part *parts;
    size_t n;
    bool is_static;
};

bool sl_opensearch_index_name_ok(const char *name, size_t len, const char **why) {
    const char *w = NULL;
    if (len == 0)
        w = "an index name cannot be empty";
    else if (len > MAX_INDEX_NAME_BYTES)
        w = "an index name is at most 255 bytes";
    else if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        w = "an index name cannot be . or ..";
    else if (name[0] == '-' || name[0] == '_' || name[0] == '+')
        w = "an index name cannot start with -, _ or +";
    for (size_t i = 0; !w && i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch >= 'A' && ch <= 'Z')
            w = "an index name must be lower case";
        else if (strchr("\\/*?\"<>| ,#:", ch) || ch < 0x20)
            w = "an index name cannot contain \\ / * ? \" < > | , # : "
                "or spaces";
    }
    if (why) *why = w;
    return w == NULL;
}

static void template_free_parts(sl_opensearch_template *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->parts[i].text);
        if (t->parts[i].kind != PART_TEXT) sl_fieldpath_free(&t->parts[i].path);
    }
    free(t->parts);
}

void sl_opensearch_template_free(sl_opensearch_template *t) {
    if (!t) return;
    template_free_parts(t);
    free(t);
}

bool sl_opensearch_template_is_static(const sl_opensearch_template *t) { return t->is_static; }

/* Letters a date pattern may use, with the run lengths allowed. */
static bool pattern_run_ok(char letter, size_t run) {
    switch (letter) {
    case 'y':
    case 'Y':
    case 'u': return run == 2 || run == 4;
    case 'M':
    case 'd':
    case 'H': return run == 1 || run == 2;
    case 'm':
    case 's': return run == 2;
    case 'S': return run == 3;
    }
    return false;
}

static int check_pattern(const char *p, size_t len, sl_error *err) {
    for (size_t i = 0; i < len;) {
        char ch = p[i];
        if (ch == '\'') {
            const char *close = memchr(p + i + 1, '\'', len - i - 1);
            if (!close) return sl_error_set(err, SL_EINVAL, "unclosed quote in date pattern '%.*s'", (int)len, p);
            i = (size_t)(close - p) + 1;
            continue;
        }
        size_t run = 1;
        while (i + run < len && p[i + run] == ch)
            run++;
        if (isalpha((unsigned char)ch) && !pattern_run_ok(ch, run))
            return sl_error_set(err, SL_EINVAL,
                                "date pattern '%.*s': '%.*s' is not supported (use yyyy, yy, MM, M, dd, d, HH, H, mm, "
                                "ss, SSS)",
                                (int)len, p, (int)run, p + i);
        i += run;
    }
    return SL_OK;
}

static int template_add(sl_opensearch_template *t, size_t *cap, tpl_part part) {
    if (t->n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        t->parts = sl_xrealloc(t->parts, *cap * sizeof *t->parts);
    }
    t->parts[t->n++] = part;
    return SL_OK;
}

int sl_opensearch_template_compile(const char *text, sl_opensearch_template **out, sl_error *err) {
    *out = NULL;
    sl_opensearch_template *t = sl_xcalloc(1, sizeof *t);
    size_t cap = 0, len = strlen(text);
    int rc = SL_OK;
    for (size_t i = 0; i < len && !rc;) {
        if (text[i] == '}') {
            rc = sl_error_set(err, SL_EINVAL, "index '%s': '}' without '{' at byte %zu", text, i + 1);
            break;
        }
        if (text[i] != '{') {
            size_t j = i;
            while (j < len && text[j] != '{' && text[j] != '}')
                j++;
            template_add(t, &cap, (tpl_part){PART_TEXT, sl_xstrndup(text + i, j - i), j - i, {0}});
            i = j;
            continue;
        }
        /* {path} or {path:pattern}; a path segment in backticks may hold ':' or '}' */
        size_t j = i + 1, colon = 0;
        bool tick = false;
        while (j < len && (tick || text[j] != '}')) {
            if (text[j] == '`')
                tick = !tick;
            else if (!tick && text[j] == ':' && !colon)
                colon = j;
            j++;
        }
        if (j >= len) {
            rc = sl_error_set(err, SL_EINVAL, "index '%s': '{' at byte %zu is not closed", text, i + 1);
            break;
        }
        size_t path_end = colon ? colon : j;
        char *path_text = sl_xstrndup(text + i + 1, path_end - i - 1);
        tpl_part part = {colon ? PART_DATE : PART_FIELD, NULL, 0, {0}};
        sl_error perr;
        sl_error_clear(&perr);
        if (!*path_text || sl_fieldpath_parse(path_text, &part.path, &perr) != SL_OK) {
            rc = sl_error_set(err, SL_EINVAL, "index '%s': bad field name '{%s}'%s%s", text, path_text,
                              perr.message[0] ? ": " : "", perr.message);
            free(path_text);
            break;
        }
        free(path_text);
        if (colon) {
            part.len = j - colon - 1;
            part.text = sl_xstrndup(text + colon + 1, part.len);
            if (!part.len)
                rc = sl_error_set(err, SL_EINVAL, "index '%s': empty date pattern after ':'", text);
            else
                rc = check_pattern(part.text, part.len, err);
        }
        template_add(t, &cap, part);
        i = j + 1;
    }
    t->is_static = t->n == 0 || (t->n == 1 && t->parts[0].kind == PART_TEXT);
    const char *why = NULL;
    if (!rc && t->is_static && !sl_opensearch_index_name_ok(text, len, &why))
        rc = sl_error_set(err, SL_EINVAL, "index '%s': %s", text, why);
    for (size_t k = 0; !rc && k < t->n; k++) {
        const tpl_part *p = &t->parts[k];
        if (p->kind != PART_TEXT) continue;
        /* literal parts must already be valid pieces of a name */
        for (size_t c = 0; c < p->len && !rc; c++)
            if (isupper((unsigned char)p->text[c]) || strchr("\\/*?\"<>| ,#:", p->text[c]))
                rc = sl_error_set(err, SL_EINVAL,
                                  "index '%s': character '%c' is not allowed in index names (lower "
                                  "case, none of \\ / * ? \" < > | , # : or spaces)",
                                  text, p->text[c]);
    }
    if (rc) {
        sl_opensearch_template_free(t);
        return rc;
    }
    *out = t;
    return SL_OK;
}

/* Epoch microseconds from a field value for a date pattern. */
static int value_micros(const sl_value *v, int64_t *us) {
    switch (v->type) {
    case SL_T_TIMESTAMP: *us = v->u.i; return SL_OK;
    case SL_T_DATE: *us = v->u.i * 86400000000LL; return SL_OK;
    case SL_T_INT:
        if (v->u.i > INT64_MAX / 1000 || v->u.i < INT64_MIN / 1000) return SL_ETYPE;
        *us = v->u.i * 1000; /* epoch milliseconds */
        return SL_OK;
    case SL_T_DOUBLE:
        if (!(v->u.d > -9e15 && v->u.d < 9e15)) return SL_ETYPE;
        *us = (int64_t)(v->u.d * 1000.0);
        return SL_OK;
    case SL_T_STRING: {
        const char *s = v->u.s;
        size_t n = v->len, i = s && n && s[0] == '-' ? 1 : 0;
        bool digits = n > i && n - i <= 15;
        for (size_t k = i; digits && k < n; k++)
            digits = isdigit((unsigned char)s[k]);
        if (digits) {
            char tmp[20];
            memcpy(tmp, s, n);
            tmp[n] = 0;
            *us = strtoll(tmp, NULL, 10) * 1000;
            return SL_OK;
        }
        if (sl_parse_timestamp(s, n, us) == SL_OK) return SL_OK;
        int64_t days;
        if (sl_parse_date(s, n, &days) == SL_OK) {
            *us = days * 86400000000LL;
            return SL_OK;
        }
        return SL_ETYPE;
    }
    default: return SL_ETYPE;
    }
}

static void render_date(sl_buf *out, const char *p, size_t len, int64_t us) {
    int64_t day_us = 86400000000LL;
    int64_t days = us / day_us, rem = us % day_us;
    if (rem < 0) rem += day_us, days--;
    int64_t y;
    unsigned mo, d;
    sl_civil_from_days(days, &y, &mo, &d);
    unsigned h = (unsigned)(rem / 3600000000LL), mi = (unsigned)(rem / 60000000LL % 60),
             s = (unsigned)(rem / 1000000 % 60), ms = (unsigned)(rem / 1000 % 1000);
    for (size_t i = 0; i < len;) {
        char ch = p[i];
        if (ch == '\'') {
            const char *close = memchr(p + i + 1, '\'', len - i - 1);
            size_t end = close ? (size_t)(close - p) : len;
            sl_buf_add(out, p + i + 1, end - i - 1);
            i = end + 1;
            continue;
        }
        size_t run = 1;
        while (i + run < len && p[i + run] == ch)
            run++;
        switch (ch) {
        case 'y':
        case 'Y':
        case 'u':
            if (run == 2)
                sl_buf_printf(out, "%02d", (int)(((y % 100) + 100) % 100));
            else
                sl_buf_printf(out, "%04lld", (long long)y);
            break;
        case 'M': sl_buf_printf(out, run == 2 ? "%02u" : "%u", mo); break;
        case 'd': sl_buf_printf(out, run == 2 ? "%02u" : "%u", d); break;
        case 'H': sl_buf_printf(out, run == 2 ? "%02u" : "%u", h); break;
        case 'm': sl_buf_printf(out, "%02u", mi); break;
        case 's': sl_buf_printf(out, "%02u", s); break;
        case 'S': sl_buf_printf(out, "%03u", ms); break;
        default: sl_buf_add(out, p + i, run);
        }
        i += run;
    }
}

static int render_value(sl_buf *out, const tpl_part *p, const sl_value *v, sl_error *err) {
    char num[40];
    switch (v->type) {
    case SL_T_STRING:
    case SL_T_DECIMAL: sl_buf_add(out, v->u.s, v->len); return SL_OK;
    case SL_T_INT: sl_buf_add(out, num, (size_t)sl_format_int(v->u.i, num)); return SL_OK;
    case SL_T_BOOL: sl_buf_adds(out, v->u.b ? "true" : "false"); return SL_OK;
    case SL_T_DOUBLE: sl_buf_add(out, num, (size_t)sl_format_double(v->u.d, num)); return SL_OK;
    case SL_T_DATE: render_date(out, "yyyy-MM-dd", 10, v->u.i * 86400000000LL); return SL_OK;
    default:
        return sl_error_set(err, SL_ETYPE, "index name field '%s' has type %s%s", p->path.text, sl_type_name(v->type),
                            v->type == SL_T_TIMESTAMP ? ": give a date pattern, e.g. {field:yyyy.MM.dd}" : "");
    }
}

int sl_opensearch_template_render(const sl_opensearch_template *t, const sl_value *rec, sl_buf *out, sl_error *err) {
    sl_buf_reset(out);
    for (size_t i = 0; i < t->n; i++) {
        const tpl_part *p = &t->parts[i];
        if (p->kind == PART_TEXT) {
            sl_buf_add(out, p->text, p->len);
            continue;
        }
        const sl_value *v = sl_fieldpath_get(rec, &p->path);
        if (!v || v->type == SL_T_NULL)
            return sl_error_set(err, SL_ETYPE, "index name field '%s' is %s", p->path.text, v ? "null" : "missing");
        if (p->kind == PART_FIELD) {
            int rc = render_value(out, p, v, err);
            if (rc) return rc;
            continue;
        }
        int64_t us;
        if (value_micros(v, &us) != SL_OK) {
            sl_arena a;
            sl_arena_init(&a);
            sl_value text = sl_value_to_text(&a, v);
            sl_error_set(err, SL_ETYPE,
                         "index name field '%s' is not a time (epoch milliseconds or ISO 8601): %s '%.100s'",
                         p->path.text, sl_type_name(v->type), text.u.s);
            sl_arena_free(&a);
            return SL_ETYPE;
        }
        render_date(out, p->text, p->len, us);
    }
    const char *why;
    if (!sl_opensearch_index_name_ok(out->data ? out->data : "", out->len, &why))
        return sl_error_set(err, SL_ETYPE, "index name '%.300s': %s", out->data ? out->data : "", why);
    return SL_OK;
}

/* ======================================================================
 * The write_opensearch target
 * ====================================================================== */

static const sl_option target_options[] = {
    {"endpoint", SL_OPT_STRING, NULL,
     "Cluster URL, e.g. https://search.example.com:9200 or http://127.0.0.1:9200 (a path prefix is kept). With "
     "auth: sigv4 it may come from AWS_ENDPOINT_URL_OPENSEARCH (es) / AWS_ENDPOINT_URL_OPENSEARCHSERVERLESS (aoss).",
     NULL, 0},
    {"index", SL_OPT_STRING, NULL,
     "Index to write to, or a template: {field} takes a record field, {field:yyyy.MM.dd} formats a time field "
     "(epoch milliseconds, ISO 8601 text, date or timestamp; UTC), e.g. logs-{timestamp:yyyy.MM.dd}. Names must be "
     "lower case; a record whose name is missing or invalid goes to the error output.",
     NULL, SL_OPTF_REQUIRED},
    {"action", SL_OPT_ENUM, "index",
     "Bulk action: index (store, replacing a document with the same id) or create (store only if the id is new; "
     "an existing id is a 409 conflict and the record goes to the error output).",
     "index|create", 0},
    {"id_field", SL_OPT_STRING, NULL,
     "Field (dotted path) holding the document id, e.g. log_id. With an id, running the job again overwrites "
     "instead of duplicating. Without id_field/id_expr the server makes up ids.",
     NULL, 0},
    {"id_expr", SL_OPT_EXPR, NULL,
     "Expression computing the document id (docs/expressions.md), e.g. concat(service_name, '-', log_id). Not "
     "with id_field. A null id sends the record to the error output.",
     NULL, 0},
    {"bulk_max_bytes", SL_OPT_SIZE, "5MB",
     "Largest _bulk request body before compression; a bigger document goes "
     "alone.",
     NULL, 0},
    {"bulk_max_docs", SL_OPT_INT, "5000", "Most documents in one _bulk request.", NULL, 0},
    {"compression", SL_OPT_ENUM, "gzip", "Request body compression (Content-Encoding: gzip) or none.", "gzip|none", 0},
    {"compression_level", SL_OPT_INT, "1", "gzip level, 1 (fastest) to 12 (smallest).", NULL, 0},
    {"max_retries", SL_OPT_INT, "8",
     "How many times documents refused with 429 / rejected_execution_exception / 5xx (and whole requests that got "
     "no answer or 429/5xx) are sent again, with exponential back-off, before the run fails.",
     NULL, 0},
    {"create_index", SL_OPT_BOOL, "false",
     "Create each index before its first document (PUT /index; an existing index is fine). Implied by "
     "index_settings.",
     NULL, 0},
    {"index_settings", SL_OPT_PATH, NULL,
     "JSON file with the body for index creation: {\"settings\": {...}, \"mappings\": {...}}.", NULL, 0},
    {"refresh", SL_OPT_BOOL, "false",
     "Refresh every index written at the end of a successful run, so all documents are searchable when the run "
     "returns.",
     NULL, 0},
    {"auth", SL_OPT_ENUM, "auto", "none, basic (user + password_env), sigv4 (AWS), or auto: basic when user is set.",
     "auto|none|basic|sigv4", 0},
    {"user", SL_OPT_STRING, NULL, "User name for basic auth.", NULL, 0},
    {"password_env", SL_OPT_STRING, NULL,
     "Name of the environment variable that holds the basic auth password (the password itself never goes in a "
     "job file and is never printed).",
     NULL, 0},
    {"aws_service", SL_OPT_ENUM, "es", "SigV4 service: es (Amazon OpenSearch Service) or aoss (Serverless).", "es|aoss",
     0},
    {"region", SL_OPT_STRING, NULL, "AWS region for sigv4. Default: AWS_REGION, AWS_DEFAULT_REGION, the profile.", NULL,
     0},
    {"profile", SL_OPT_STRING, NULL, "AWS profile for sigv4 credentials. Default: AWS_PROFILE, then \"default\".", NULL,
     0},
    {"ca_file", SL_OPT_PATH, NULL, "PEM file of CA certificates to trust for https (default: the system's).", NULL, 0},
    {"client_cert", SL_OPT_PATH, NULL, "PEM client certificate for clusters that require TLS client authentication.",
     NULL, 0},
    {"client_key", SL_OPT_PATH, NULL, "PEM private key of client_cert (default: read from client_cert).", NULL, 0},
    {"insecure", SL_OPT_BOOL, "false",
     "Skip TLS certificate and host name checks. Only for local test clusters with self-signed certificates.", NULL, 0},
    {"timeout", SL_OPT_INT, "60", "Seconds one HTTP request may take.", NULL, 0},
    {0},
};

/* The indices this node has seen (for creation and the final refresh),
 * shared by the workers. */
typedef struct index_set {
    pthread_mutex_t lock;
    char **names;
    size_t n, cap;
} index_set;

typedef struct target_data {
    sl_opensearch_template *tpl;
    const char *static_index; /* option text when the template is static */
    sl_fieldpath id_path;
    bool has_id_path;
    sl_expr *id_expr;
    sl_opensearch_action action;
    bool create;
    char *settings; /* index creation body */
    size_t settings_len;
    sl_opensearch_conn *conn; /* main thread: prepare/commit; workers clone it */
    index_set seen;
} target_data;

static void target_release(sl_node *node) {
    target_data *d = node->data;
    if (!d) return;
    sl_opensearch_template_free(d->tpl);
    if (d->has_id_path) sl_fieldpath_free(&d->id_path);
    sl_expr_free(d->id_expr);
    free(d->settings);
    sl_opensearch_conn_free(d->conn);
    for (size_t i = 0; i < d->seen.n; i++)
        free(d->seen.names[i]);
    free(d->seen.names);
    pthread_mutex_destroy(&d->seen.lock);
    free(d);
    node->data = NULL;
}

static int bad_option(sl_error *err, const sl_node *node, const char *opt, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad_option(sl_error *err, const sl_node *node, const char *opt, const char *fmt, ...) {
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        sl_error_vset(err, SL_EINVAL, fmt, ap);
        va_end(ap);
    }
    const sl_optval *o = sl_node_opt(node, opt);
    sl_error_at(err, node->job_file, o->line ? o->line : node->line, o->column);
    return SL_EINVAL;
}

static int target_check(sl_node *node, sl_error *err) {
    target_data *d = sl_xcalloc(1, sizeof *d);
    pthread_mutex_init(&d->seen.lock, NULL);
    node->data = d;
    const char *index = sl_node_str(node, "index");
    if (sl_opensearch_template_compile(index, &d->tpl, err)) return bad_option(err, node, "index", NULL);
    if (sl_opensearch_template_is_static(d->tpl)) d->static_index = index;
    const char *id_field = sl_node_str(node, "id_field");
    const sl_optval *ide = sl_node_opt(node, "id_expr");
    if (id_field && ide->set) return bad_option(err, node, "id_expr", "give id_field or id_expr, not both");
    if (id_field) {
        if (sl_fieldpath_parse(id_field, &d->id_path, err)) return bad_option(err, node, "id_field", NULL);
        d->has_id_path = true;
    }
    if (ide->set) {
        int rc = sl_expr_compile(ide->text, &d->id_expr, err);
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            return bad_option(err, node, "id_expr", "in expression '%.200s': %.250s", ide->text, msg);
        }
    }
    d->action = strcmp(sl_node_str(node, "action"), "create") ? SL_OS_ACTION_INDEX : SL_OS_ACTION_CREATE;
    if (sl_node_int(node, "bulk_max_bytes") < 1024)
        return bad_option(err, node, "bulk_max_bytes", "bulk_max_bytes must be at least 1KB");
    int64_t docs = sl_node_int(node, "bulk_max_docs");
    if (docs < 1 || docs > 1000000) return bad_option(err, node, "bulk_max_docs", "bulk_max_docs must be 1 to 1000000");
    int64_t level = sl_node_int(node, "compression_level");
    if (level < 1 || level > 12) return bad_option(err, node, "compression_level", "compression_level must be 1 to 12");
    int64_t retries = sl_node_int(node, "max_retries");
    if (retries < 0 || retries > 1000) return bad_option(err, node, "max_retries", "max_retries must be 0 to 1000");
    int64_t timeout = sl_node_int(node, "timeout");
    if (timeout < 1 || timeout > 86400) return bad_option(err, node, "timeout", "timeout must be 1 to 86400 seconds");
    const char *auth = sl_node_str(node, "auth");
    const char *user = sl_node_str(node, "user");
    if (!strcmp(auth, "basic") && !user) return bad_option(err, node, "auth", "auth: basic needs user");
    if (user && (!strcmp(auth, "basic") || !strcmp(auth, "auto")) && !sl_node_str(node, "password_env"))
        return bad_option(err, node, "user",
                          "user needs password_env: the name of the environment variable holding the password");
    if (!strcmp(auth, "sigv4") && user)
        return bad_option(err, node, "user", "user/password_env are for basic auth, not sigv4");
    if (!user && sl_node_str(node, "password_env"))
        return bad_option(err, node, "password_env", "password_env needs user (basic auth)");
    if (strcmp(auth, "sigv4") && !sl_node_str(node, "endpoint"))
        return bad_option(err, node, "endpoint", "endpoint is required (the cluster's URL)");
    d->create = sl_node_bool(node, "create_index") || sl_node_str(node, "index_settings");
    return SL_OK;
}

static bool seen_has(index_set *s, const char *name, size_t len) {
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->names[i]) == len && !memcmp(s->names[i], name, len)) return true;
    return false;
}

static void seen_add(index_set *s, const char *name, size_t len) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->names = sl_xrealloc(s->names, s->cap * sizeof *s->names);
    }
    s->names[s->n++] = sl_xstrndup(name, len);
}

/* Make sure index exists (when the node creates indices) and is listed for
 * the final refresh. Called once per writer and index name. */
static int ensure_index(target_data *d, const sl_opensearch_conn *c, const char *name, size_t len, sl_error *err) {
    int rc = SL_OK;
    pthread_mutex_lock(&d->seen.lock);
    if (!seen_has(&d->seen, name, len)) {
        if (d->create) {
            char *z = sl_xstrndup(name, len);
            rc = sl_opensearch_create_index(c, z, d->settings, d->settings_len, NULL, err);
            free(z);
        }
        if (!rc) seen_add(&d->seen, name, len);
    }
    pthread_mutex_unlock(&d->seen.lock);
    return rc;
}

static int target_prepare(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    const char *settings_path = sl_node_str(node, "index_settings");
    if (settings_path) {
        char *data = NULL;
        size_t len = 0;
        int rc = sl_read_whole_file(settings_path, (size_t)64 << 20, &data, &len, err);
        if (rc) return bad_option(err, node, "index_settings", NULL);
        sl_arena a;
        sl_arena_init(&a);
        sl_value v;
        sl_error perr;
        sl_error_clear(&perr);
        rc = sl_json_parse(data, len, &a, &v, &perr);
        if (!rc && v.type != SL_T_STRUCT) rc = sl_error_set(&perr, SL_EPARSE, "expected a JSON object");
        sl_arena_free(&a);
        if (rc) {
            free(data);
            return bad_option(err, node, "index_settings", "index_settings %s: %s", settings_path, perr.message);
        }
        d->settings = data;
        d->settings_len = len;
    }
    sl_opensearch_config cfg = {
        .endpoint = sl_node_str(node, "endpoint"),
        .auth = sl_node_str(node, "auth"),
        .user = sl_node_str(node, "user"),
        .password_env = sl_node_str(node, "password_env"),
        .aws_service = sl_node_str(node, "aws_service"),
        .region = sl_node_str(node, "region"),
        .profile = sl_node_str(node, "profile"),
        .ca_file = sl_node_str(node, "ca_file"),
        .client_cert = sl_node_str(node, "client_cert"),
        .client_key = sl_node_str(node, "client_key"),
        .insecure = sl_node_bool(node, "insecure"),
        .timeout_ms = (long)sl_node_int(node, "timeout") * 1000,
    };
    int rc = sl_opensearch_conn_new(&cfg, &d->conn, err);
    if (rc) return rc;
    /* fail before any data moves when the cluster is not there or refuses
     * the credentials (Serverless collections have no GET /) */
    if (strcmp(sl_node_str(node, "auth"), "sigv4") || strcmp(sl_node_str(node, "aws_service"), "aoss"))
        rc = sl_opensearch_ping(d->conn, err);
    if (!rc && d->static_index) rc = ensure_index(d, d->conn, d->static_index, strlen(d->static_index), err);
    return rc;
}

/* ---- writer ---- */

#define KNOWN_SLOTS 16

typedef struct writer {
    target_data *d;
    sl_node *node;
    sl_run *run;
    sl_opensearch_conn *conn;
    sl_opensearch_bulk *bulk;
    sl_arena arena; /* ids and expression results of the batch being written */
    sl_buf index;
    char *known[KNOWN_SLOTS]; /* index names this writer already ensured (ring) */
    size_t n_known, next_known;
    const char *last_source; /* as the batch gave it */
    char **sources;          /* copies, alive until every document is flushed */
    size_t n_sources;
} writer;

static int on_reject(void *ud, const sl_opensearch_item_src *src, const char *doc, size_t doc_len, const char *reason,
                     sl_error *err) {
    writer *w = ud;
    return sl_run_reject_raw(w->run, w->node, src->source, src->line, src->offset, reason, doc, doc_len, err);
}

static void writer_free(writer *w) {
    sl_opensearch_bulk_free(w->bulk);
    sl_opensearch_conn_free(w->conn);
    sl_arena_free(&w->arena);
    sl_buf_free(&w->index);
    for (size_t i = 0; i < w->n_known; i++)
        free(w->known[i]);
    for (size_t i = 0; i < w->n_sources; i++)
        free(w->sources[i]);
    free(w->sources);
    free(w);
}

static int target_open(sl_node *node, sl_run *run, const sl_split *split, void **out, sl_error *err) {
    target_data *d = node->data;
    writer *w = sl_xcalloc(1, sizeof *w);
    w->d = d;
    w->node = node;
    w->run = run;
    sl_arena_init(&w->arena);
    sl_buf_init(&w->index, 0);
    int rc = sl_opensearch_conn_clone(d->conn, &w->conn, err);
    if (!rc) {
        sl_opensearch_bulk_options o = {
            .action = d->action,
            .max_bytes = (size_t)sl_node_int(node, "bulk_max_bytes"),
            .max_docs = (size_t)sl_node_int(node, "bulk_max_docs"),
            .gzip_level =
                strcmp(sl_node_str(node, "compression"), "gzip") ? 0 : (int)sl_node_int(node, "compression_level"),
            .max_retries = (int)sl_node_int(node, "max_retries"),
            .reject = on_reject,
            .reject_ud = w,
            .cancel = &run->cancel,
        };
        rc = sl_opensearch_bulk_new(w->conn, &o, &w->bulk, err);
    }
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return SL_OK;
}

static const char *source_copy(writer *w, const char *source) {
    if (!source) return NULL;
    if (w->n_sources && source == w->last_source) return w->sources[w->n_sources - 1];
    if (w->n_sources && !strcmp(w->sources[w->n_sources - 1], source)) {
        w->last_source = source;
        return w->sources[w->n_sources - 1];
    }
    w->sources = sl_xrealloc(w->sources, (w->n_sources + 1) * sizeof *w->sources);
    w->sources[w->n_sources++] = sl_xstrdup(source);
    w->last_source = source;
    return w->sources[w->n_sources - 1];
}

static int writer_ensure(writer *w, const char *name, size_t len, sl_error *err) {
    for (size_t i = 0; i < w->n_known; i++)
        if (strlen(w->known[i]) == len && !memcmp(w->known[i], name, len)) return SL_OK;
    int rc = ensure_index(w->d, w->conn, name, len, err);
    if (rc) return rc;
    if (w->n_known < KNOWN_SLOTS) {
        w->known[w->n_known++] = sl_xstrndup(name, len);
    } else { /* forget the oldest: it is only a cache of the node's shared set */
        size_t slot = w->next_known++ % KNOWN_SLOTS;
        free(w->known[slot]);
        w->known[slot] = sl_xstrndup(name, len);
    }
    return SL_OK;
}

/* The id of rec as text: *id NULL when the node has no id option; SL_ETYPE
 * with a reason for a missing, null or unusable id. */
static int record_id(writer *w, const sl_value *rec, const char **id, size_t *id_len, sl_error *err) {
    const target_data *d = w->d;
    *id = NULL;
    *id_len = 0;
    sl_value v;
    const char *what;
    if (d->has_id_path) {
        const sl_value *p = sl_fieldpath_get(rec, &d->id_path);
        v = p ? *p : sl_null();
        what = d->id_path.text;
    } else if (d->id_expr) {
        int rc = sl_expr_eval(d->id_expr, rec, &w->arena, &v, err);
        if (rc) return rc;
        what = sl_expr_text(d->id_expr);
    } else {
        return SL_OK;
    }
    switch (v.type) {
    case SL_T_NULL: return sl_error_set(err, SL_ETYPE, "document id '%.200s' is missing or null", what);
    case SL_T_LIST:
    case SL_T_STRUCT:
    case SL_T_BINARY:
        return sl_error_set(err, SL_ETYPE, "document id '%.200s' is a %s, not a string or a number", what,
                            sl_type_name(v.type));
    case SL_T_STRING:
        *id = v.u.s;
        *id_len = v.len;
        break;
    default: {
        sl_value t = sl_value_to_text(&w->arena, &v);
        *id = t.u.s;
        *id_len = t.len;
    }
    }
    if (*id_len == 0) return sl_error_set(err, SL_ETYPE, "document id '%.200s' is empty", what);
    if (*id_len > MAX_ID_BYTES)
        return sl_error_set(err, SL_ETYPE, "document id '%.200s' is %zu bytes; OpenSearch allows at most 512", what,
                            *id_len);
    return SL_OK;
}

static int target_write(void *state, sl_batch *b, sl_error *err) {
    writer *w = state;
    const target_data *d = w->d;
    sl_arena_reset(&w->arena);
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    const char *source = source_copy(w, b->source_name);
    const char *last_index = NULL; /* copy (in the arena) of the previous record's index name */
    size_t last_len = 0;
    int rc = SL_OK;
    for (size_t i = 0; !rc && i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        const char *index = d->static_index;
        size_t index_len = index ? strlen(index) : 0;
        if (!index) {
            if (sl_opensearch_template_render(d->tpl, rec, &w->index, &e) != SL_OK) {
                rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
                sl_error_clear(&e);
                continue;
            }
            index = w->index.data;
            index_len = w->index.len;
            if (!last_index || last_len != index_len || memcmp(last_index, index, index_len)) {
                rc = writer_ensure(w, index, index_len, err);
                if (rc) break;
                last_index = sl_arena_strndup(&w->arena, index, index_len);
                last_len = index_len;
            }
        }
        const char *id;
        size_t id_len;
        if (record_id(w, rec, &id, &id_len, &e) != SL_OK) {
            rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
            continue;
        }
        const sl_recloc *loc = b->locs ? &b->locs[i] : NULL;
        sl_opensearch_item_src src = {source, loc ? loc->line : 0, loc ? loc->offset : -1};
        rc = sl_opensearch_bulk_add(w->bulk, index, index_len, id, id_len, rec, &src, &e);
        if (rc == SL_ETYPE) {
            rc = sl_run_reject(w->run, w->node, b, i, e.message, err);
            sl_error_clear(&e);
        } else if (rc) {
            *err = e;
        }
    }
    return rc;
}

static int target_close(void *state, sl_error *err) {
    writer *w = state;
    int rc = sl_opensearch_bulk_flush(w->bulk, err);
    sl_opensearch_bulk_stats st;
    sl_opensearch_bulk_get_stats(w->bulk, &st);
    __atomic_fetch_add(&w->node->stats.bytes_out, st.bytes_ndjson, __ATOMIC_RELAXED);
    writer_free(w);
    return rc;
}

static void target_discard(void *state) { writer_free(state); }

static int target_commit(sl_node *node, sl_run *run, sl_error *err) {
    target_data *d = node->data;
    if (!sl_node_bool(node, "refresh") || !d->seen.n) return SL_OK;
    /* refresh in comma-joined groups (URLs stay short) */
    sl_buf list;
    sl_buf_init(&list, 0);
    int rc = SL_OK;
    for (size_t i = 0; i < d->seen.n && !rc; i++) {
        if (list.len) sl_buf_addc(&list, ',');
        sl_buf_adds(&list, d->seen.names[i]);
        if (list.len > 2000 || i + 1 == d->seen.n) {
            rc = sl_opensearch_refresh(d->conn, list.data, err);
            sl_buf_reset(&list);
        }
    }
    sl_buf_free(&list);
    return rc;
}

const sl_node_type sl_write_opensearch_type = {
    .name = "write_opensearch",
    .kind = SL_NODE_TARGET,
    .summary = "index records into OpenSearch with _bulk (written during the run, not staged)",
    .help = "Each record becomes one JSON document sent with the _bulk API (gzip, several requests in flight: one "
            "per worker thread). Only documents the server refuses for a transient reason (429, "
            "rejected_execution_exception, 5xx) are sent again, with back-off; documents it rejects for good "
            "(mapping errors, version conflicts on create) go to the error output with the server's reason. "
            "OpenSearch has no staging: documents become visible as they are written (after the index's next "
            "refresh, or at the end with refresh: true), and a failed run may leave some behind. With id_field or "
            "id_expr, running the job again overwrites those documents instead of duplicating them. See "
            "docs/opensearch.md.",
    .options = target_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = target_check,
    .release = target_release,
    .prepare = target_prepare,
    .target_open = target_open,
    .write = target_write,
    .target_close = target_close,
    .target_discard = target_discard,
    .commit = target_commit,
};
