/*
 * awscall.c — sign, perform, classify, back off, retry; and read the
 * server's error code and message out of S3 XML or AWS JSON error bodies.
 */
#include "aws/awscall.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <expat.h>

#include "core/arena.h"
#include "core/mem.h"
#include "core/value.h"
#include "formats/json.h"

/* Headers the signer adds: x-amz-date, x-amz-content-sha256,
 * x-amz-security-token, Authorization. */
#define SIGNED_EXTRA 4

void sl_aws_ctx_init(sl_aws_ctx *c, sl_http *http, const sl_aws_creds *creds, const char *region, const char *service) {
    memset(c, 0, sizeof *c);
    c->http = http;
    c->creds = creds;
    c->region = region;
    c->service = service;
    sl_retry_policy_default(&c->retry);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    c->rnd = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)c ^ 0x9E3779B97F4A7C15ull;
    if (!c->rnd) c->rnd = 1;
}

/* ---- error bodies ---- */

/* S3: <Error><Code>X</Code><Message>Y</Message>…</Error> (the root may be
 * namespaced or wrapped, as in <ErrorResponse><Error>…). */
typedef struct xml_error {
    int depth, in_error_depth;
    int field; /* 0 none, 1 code, 2 message */
    sl_buf code, message;
} xml_error;

static const char *local_name(const char *name) {
    const char *sep = strrchr(name, '|'); /* expat namespace separator */
    return sep ? sep + 1 : name;
}

static void XMLCALL xml_start(void *ud, const XML_Char *name, const XML_Char **attrs) {
    xml_error *x = ud;
    const char *n = local_name(name);
    x->depth++;
    if (!x->in_error_depth && strcmp(n, "Error") == 0) {
        x->in_error_depth = x->depth;
    } else if (x->in_error_depth && x->depth == x->in_error_depth + 1) {
        x->field = strcmp(n, "Code") == 0 ? 1 : strcmp(n, "Message") == 0 ? 2 : 0;
    }
}

static void XMLCALL xml_end(void *ud, const XML_Char *name) {
    xml_error *x = ud;
    if (x->in_error_depth == x->depth) x->in_error_depth = -1; /* first <Error> only */
    x->field = 0;
    x->depth--;
}

static void XMLCALL xml_text(void *ud, const XML_Char *s, int len) {
    xml_error *x = ud;
    if (x->in_error_depth <= 0 || x->depth != x->in_error_depth + 1) return;
    if (x->field == 1) sl_buf_add(&x->code, s, (size_t)len);
    if (x->field == 2) sl_buf_add(&x->message, s, (size_t)len);
}

static bool parse_xml_error(const char *body, size_t len, char *code, size_t code_size, char *message,
                            size_t message_size) {
    XML_Parser p = XML_ParserCreateNS(NULL, '|');
    if (!p) return false;
    xml_error x = {0};
    sl_buf_init(&x.code, code_size ? code_size - 1 : 1);
    sl_buf_init(&x.message, message_size ? message_size - 1 : 1);
    XML_SetUserData(p, &x);
    XML_SetElementHandler(p, xml_start, xml_end);
    XML_SetCharacterDataHandler(p, xml_text);
    /* A truncated body still yields what came before the cut. */
    XML_Parse(p, body, (int)(len > 1 << 20 ? 1 << 20 : len), 1);
    XML_ParserFree(p);
    bool found = x.code.len > 0;
    if (x.code.len && code_size) snprintf(code, code_size, "%s", x.code.data);
    if (x.message.len && message_size) snprintf(message, message_size, "%s", x.message.data);
    sl_buf_free(&x.code);
    sl_buf_free(&x.message);
    return found;
}

static void copy_string_value(const sl_value *v, char *out, size_t size) {
    if (!v || v->type != SL_T_STRING || !size) return;
    size_t n = v->len < size - 1 ? v->len : size - 1;
    memcpy(out, v->u.s, n);
    out[n] = 0;
}

/* JSON 1.0 services: {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
 * "message": "…"} ("Message" in some services). */
static bool parse_json_error(const char *body, size_t len, char *code, size_t code_size, char *message,
                             size_t message_size) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    bool found = false;
    if (sl_json_parse(body, len, &a, &v, NULL) == SL_OK && v.type == SL_T_STRUCT) {
        const sl_value *type = sl_struct_get(&v, "__type");
        if (!type) type = sl_struct_get(&v, "code");
        if (type && type->type == SL_T_STRING) {
            const char *hash = memchr(type->u.s, '#', type->len);
            sl_value tail = *type;
            if (hash) {
                tail.u.s = hash + 1;
                tail.len = (uint32_t)(type->len - (size_t)(hash + 1 - type->u.s));
            }
            copy_string_value(&tail, code, code_size);
            found = code_size && code[0];
        }
        const sl_value *msg = sl_struct_get(&v, "message");
        if (!msg) msg = sl_struct_get(&v, "Message");
        copy_string_value(msg, message, message_size);
    }
    sl_arena_free(&a);
    return found;
}

bool sl_aws_parse_error(const sl_http_response *resp, char *code, size_t code_size, char *message,
                        size_t message_size) {
    if (code_size) code[0] = 0;
    if (message_size) message[0] = 0;
    const char *b = resp->body.data;
    size_t len = resp->body.len;
    while (len && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
        b++, len--;
    bool found = false;
    if (len && *b == '<')
        found = parse_xml_error(b, len, code, code_size, message, message_size);
    else if (len && *b == '{')
        found = parse_json_error(b, len, code, code_size, message, message_size);
    if (!found) {
        char h[256];
        if (sl_http_response_header(resp, "x-amz-error-code", h, sizeof h) == SL_OK ||
            sl_http_response_header(resp, "x-amzn-ErrorType", h, sizeof h) == SL_OK) {
            char *colon = strchr(h, ':'); /* "ValidationException:http://…" */
            if (colon) *colon = 0;
            if (code_size) snprintf(code, code_size, "%s", h);
            found = h[0] != 0;
        }
        if (message_size && !message[0] && sl_http_response_header(resp, "x-amz-error-message", h, sizeof h) == SL_OK)
            snprintf(message, message_size, "%s", h);
    }
    return found;
}

/* ---- the call ---- */

/* Counts bytes handed to the caller's on_body, so that a failed attempt
 * knows whether it may start over. */
typedef struct stream_tap {
    const sl_http_request *req;
    size_t delivered;
} stream_tap;

static int tap_body(void *ud, const void *data, size_t len) {
    stream_tap *t = ud;
    t->delivered += len;
    return t->req->on_body(t->req->on_body_ud, data, len);
}

static void default_sleep(void *ud, long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int sign_and_perform(sl_aws_ctx *c, const sl_aws_request *req, const sl_http_request *base,
                            sl_http_response *resp, sl_error *err) {
    sl_sigv4_request sr = {
        .method = base->method,
        .url = base->url,
        .headers = base->headers,
        .n_headers = base->n_headers,
        .payload_hash = req->payload_hash,
        .body = base->body,
        .body_len = base->body_len,
        .region = c->region,
        .service = c->service,
        .when = time(NULL),
        .normalize_path = strcmp(c->service, "s3") != 0,
    };
    sl_sigv4_result signed_parts;
    int rc = sl_sigv4_sign(&sr, c->creds, &signed_parts, err);
    if (rc) return rc;
    size_t n = base->n_headers;
    sl_http_header *headers = sl_xmalloc((n + SIGNED_EXTRA) * sizeof *headers);
    if (n) memcpy(headers, base->headers, n * sizeof *headers);
    headers[n++] = (sl_http_header){"x-amz-date", signed_parts.amz_date};
    if (strcmp(c->service, "s3") == 0)
        headers[n++] = (sl_http_header){"x-amz-content-sha256", signed_parts.content_sha256};
    if (c->creds->session_token[0]) headers[n++] = (sl_http_header){"x-amz-security-token", c->creds->session_token};
    headers[n++] = (sl_http_header){"Authorization", signed_parts.authorization};
    sl_http_request hr = *base;
    hr.headers = headers;
    hr.n_headers = n;
    rc = sl_http_perform(c->http, &hr, resp, err);
    free(headers);
    return rc;
}

static int status_code(long status, const char *aws_code) {
    if (status == 404 || strcmp(aws_code, "NoSuchKey") == 0 || strcmp(aws_code, "NoSuchBucket") == 0 ||
        strcmp(aws_code, "ResourceNotFoundException") == 0 || strcmp(aws_code, "NoSuchUpload") == 0)
        return SL_ENOTFOUND;
    return SL_EIO;
}

/* The standard reason phrase, for answers that name no error code (HEAD
 * answers have no body, and S3 sends no x-amz-error-code with them). */
static const char *reason_phrase(long status) {
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* The "<Error>" document inside a 200 answer, or nothing. */
static bool success_hides_error(const sl_http_response *resp, char *code, size_t code_size, char *message,
                                size_t message_size) {
    const char *b = resp->body.data;
    if (!b || !strstr(b, "<Error>")) return false;
    return parse_xml_error(b, resp->body.len, code, code_size, message, message_size);
}

int sl_aws_call(sl_aws_ctx *c, const sl_aws_request *req, sl_http_response *resp, sl_error *err) {
    stream_tap tap = {.req = &req->http};
    sl_http_request base = req->http;
    if (base.on_body) {
        base.on_body = tap_body;
        base.on_body_ud = &tap;
    }
    const char *what = req->what ? req->what : base.url;
    int max_attempts = c->retry.max_attempts > 0 ? c->retry.max_attempts : 1;
    char message[384], tries[48] = "";
    int rc = SL_OK;
    c->attempts = 0;
    for (;;) {
        c->attempts++;
        c->error_code[0] = 0;
        message[0] = 0;
        tap.delivered = 0;
        sl_error attempt_err;
        sl_error_clear(&attempt_err);
        rc = sign_and_perform(c, req, &base, resp, &attempt_err);
        c->status = resp->status;
        if (rc && resp->status == 0 && attempt_err.code != SL_EIO) {
            /* signing failed (bad credentials shape) or similar: not the network */
            if (err) *err = attempt_err;
            return rc;
        }
        if (rc && resp->status != 0) {
            /* body limit or consumer abort: the answer itself is the problem */
            if (err) *err = attempt_err;
            sl_error_set(err, rc, "%s: %s", what, resp->error);
            return rc;
        }
        long classify_status = resp->status;
        if (rc == SL_OK && resp->status >= 200 && resp->status < 300) {
            if (!req->error_in_success ||
                !success_hides_error(resp, c->error_code, sizeof c->error_code, message, sizeof message))
                return SL_OK;
            /* S3's "200 with an error" is an internal error in all but status */
            classify_status = 500;
        } else if (rc == SL_OK) {
            sl_aws_parse_error(resp, c->error_code, sizeof c->error_code, message, sizeof message);
        }
        bool retryable = sl_retry_retryable(rc ? 0 : classify_status, c->error_code);
        if (retryable && tap.delivered > 0) {
            retryable = req->on_restart != NULL;
            if (retryable) {
                int restart_rc = req->on_restart(req->http.on_body_ud);
                if (restart_rc) return sl_error_set(err, restart_rc, "%s: cannot restart the transfer", what);
            }
        }
        if (!retryable) break;
        if (c->attempts >= max_attempts) {
            snprintf(tries, sizeof tries, " (after %d attempts)", c->attempts);
            break;
        }
        char retry_after[64];
        long after_ms = -1;
        if (rc == SL_OK && sl_http_response_header(resp, "Retry-After", retry_after, sizeof retry_after) == SL_OK)
            after_ms = sl_http_retry_after_ms(retry_after, time(NULL));
        long delay = sl_retry_delay_ms(&c->retry, c->attempts, after_ms, &c->rnd);
        (c->sleep_ms ? c->sleep_ms : default_sleep)(c->sleep_ud, delay > 0 ? delay : 0);
    }
    if (rc) return sl_error_set(err, SL_EIO, "%s: %s%s", what, resp->error, tries);
    if (c->status >= 200 && c->status < 300)
        return sl_error_set(err, SL_EIO, "%s: %s%s%s%s", what, c->error_code, message[0] ? ": " : "", message, tries);
    const char *code = c->error_code[0] ? c->error_code : reason_phrase(c->status);
    return sl_error_set(err, status_code(c->status, c->error_code), "%s: HTTP %ld%s%s%s%s%s", what, c->status,
                        code[0] ? " " : "", code, message[0] ? ": " : "", message, tries);
}
