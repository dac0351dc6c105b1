/*
 * sigv4.c — AWS Signature Version 4: canonical request, string to sign,
 * signing key (HMAC-SHA256 chain) and the two ways of carrying the
 * signature (Authorization header, presigned query string). See sigv4.h
 * for the canonical form; AWS's test suite is the reference
 * (tests/unit/test_sigv4.c runs every case).
 *
 * Key material (the "AWS4"+secret buffer and the derived keys) is wiped
 * with explicit_bzero before returning; nothing here logs.
 */
#include "aws/sigv4.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/mem.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define MAX_EXPIRES 604800 /* seven days, the SigV4 maximum */

static const char HEX_UPPER[] = "0123456789ABCDEF";

/* ---- hashing ---- */

static void to_hex(const unsigned char *md, size_t n, char *out) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * n] = '\0';
}

/* OpenSSL's digest calls fail only when OpenSSL cannot allocate: fatal, as
 * every allocation failure is (core/mem.h). */
static void crypto_failed(void) {
    fprintf(stderr, "sluice: out of memory\n");
    exit(1);
}

void sl_sha256_hex(const void *data, size_t len, char out[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!EVP_Digest(data ? data : "", data ? len : 0, md, &md_len, EVP_sha256(), NULL) || md_len != 32) crypto_failed();
    to_hex(md, 32, out);
}

static void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, unsigned char out[32]) {
    unsigned int out_len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &out_len) || out_len != 32) crypto_failed();
}

/* ---- percent-encoding ---- */

static bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The byte encoded by a valid "%XX" at s[i] (i < n), or -1. */
static int escape_at(const char *s, size_t n, size_t i) {
    if (s[i] != '%' || n - i < 3) return -1;
    int hi = hex_value((unsigned char)s[i + 1]), lo = hex_value((unsigned char)s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

static void add_escape(sl_buf *b, unsigned char c) {
    char e[3] = {'%', HEX_UPPER[c >> 4], HEX_UPPER[c & 15]};
    sl_buf_add(b, e, 3);
}

/* Encode every byte but the unreserved ones (and '/' when keep_slash). */
static void encode(sl_buf *b, const char *s, size_t n, bool keep_slash) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/'))
            sl_buf_addc(b, (char)c);
        else
            add_escape(b, c);
    }
}

/* S3: the path is already encoded; keep valid %XX escapes (hex upper-cased,
 * as S3 re-encodes) and encode only what cannot appear in an encoded path. */
static void encode_s3_path(sl_buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int e = escape_at(s, n, i);
        if (e >= 0) {
            add_escape(b, (unsigned char)e);
            i += 2;
        } else if (is_unreserved(c) || c == '/') {
            sl_buf_addc(b, (char)c);
        } else {
            add_escape(b, c);
        }
    }
}

/* Query component: decode %XX escapes (invalid ones stay literal), then
 * encode strictly. */
static void requote(sl_buf *b, const char *s, size_t n) {
    sl_buf raw;
    sl_buf_init(&raw, 0);
    for (size_t i = 0; i < n; i++) {
        int e = escape_at(s, n, i);
        if (e >= 0) {
            sl_buf_addc(&raw, (char)e);
            i += 2;
        } else {
            sl_buf_addc(&raw, s[i]);
        }
    }
    encode(b, raw.data ? raw.data : "", raw.len, false);
    sl_buf_free(&raw);
}

/* ---- URL ---- */

typedef struct url_parts {
    char host[300];   /* host[:port], default port dropped */
    const char *path; /* as sent; "" = "/" */
    size_t path_len;
    const char *query; /* after '?', before '#' */
    size_t query_len;
    size_t signable_len; /* url length without the fragment */
} url_parts;

static int parse_url(const char *url, url_parts *u, sl_error *err) {
    memset(u, 0, sizeof *u);
    const char *sep = strstr(url, "://");
    if (!sep || sep == url) return sl_error_set(err, SL_EINVAL, "sigv4: URL without a scheme");
    size_t scheme_len = (size_t)(sep - url);
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', auth_len);
    while (at) { /* user info is never part of Host */
        auth_len -= (size_t)(at + 1 - auth);
        auth = at + 1;
        at = memchr(auth, '@', auth_len);
    }
    if (auth_len == 0) return sl_error_set(err, SL_EINVAL, "sigv4: URL without a host");
    if (auth_len >= sizeof u->host) return sl_error_set(err, SL_EINVAL, "sigv4: URL host too long");
    /* libcurl leaves the scheme's default port out of Host; so must we. */
    const char *close_bracket = memchr(auth, ']', auth_len);
    const char *colon = NULL;
    for (const char *p = auth + auth_len; p > (close_bracket ? close_bracket : auth); p--)
        if (p[-1] == ':') {
            colon = p - 1;
            break;
        }
    size_t host_len = auth_len;
    if (colon) {
        const char *port = colon + 1;
        size_t port_len = (size_t)(auth + auth_len - port);
        bool http = scheme_len == 4 && strncasecmp(url, "http", 4) == 0;
        bool https = scheme_len == 5 && strncasecmp(url, "https", 5) == 0;
        if ((http && port_len == 2 && memcmp(port, "80", 2) == 0) ||
            (https && port_len == 3 && memcmp(port, "443", 3) == 0) || port_len == 0)
            host_len = (size_t)(colon - auth);
    }
    memcpy(u->host, auth, host_len);
    u->host[host_len] = '\0';
    const char *rest = auth + auth_len;
    u->path = rest;
    u->path_len = strcspn(rest, "?#");
    if (rest[u->path_len] == '?') {
        u->query = rest + u->path_len + 1;
        u->query_len = strcspn(u->query, "#");
    }
    u->signable_len = (size_t)(rest - url) + strcspn(rest, "#");
    return SL_OK;
}

/* ---- canonical path ---- */

typedef struct segment {
    const char *s;
    size_t n;
} segment;

/* RFC 3986 dot-segment removal plus collapsing of empty segments, into b. */
static void normalized_path(sl_buf *b, const char *path, size_t n) {
    segment *stack = sl_xmalloc((n / 2 + 2) * sizeof *stack);
    size_t depth = 0;
    bool trailing_slash = false;
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && path[i] != '/')
            i++;
        size_t len = i - start;
        bool last = i >= n;
        if (!last) i++; /* skip the '/' */
        if (len == 0) continue;
        trailing_slash = !last;
        if (len == 1 && path[start] == '.') {
            trailing_slash = true;
        } else if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (depth) depth--;
            trailing_slash = true;
        } else {
            stack[depth].s = path + start;
            stack[depth++].n = len;
        }
    }
    for (size_t k = 0; k < depth; k++) {
        sl_buf_addc(b, '/');
        sl_buf_add(b, stack[k].s, stack[k].n);
    }
    if (depth == 0 || trailing_slash) sl_buf_addc(b, '/');
    free(stack);
}

static bool is_s3(const char *service) { return strncmp(service, "s3", 2) == 0; }

static void canonical_path(sl_buf *out, const url_parts *u, const sl_sigv4_request *req) {
    sl_buf path;
    sl_buf_init(&path, 0);
    if (u->path_len == 0)
        sl_buf_addc(&path, '/');
    else if (req->normalize_path)
        normalized_path(&path, u->path, u->path_len);
    else
        sl_buf_add(&path, u->path, u->path_len);
    if (is_s3(req->service))
        encode_s3_path(out, path.data, path.len);
    else
        encode(out, path.data, path.len, true);
    sl_buf_free(&path);
}

/* ---- canonical query ---- */

typedef struct param {
    char *key; /* encoded */
    char *value;
} param;

typedef struct param_list {
    param *items;
    size_t n, cap;
} param_list;

static void param_add(param_list *l, char *key, char *value) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->items = sl_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n].key = key;
    l->items[l->n++].value = value;
}

static char *encoded_dup(const char *s, size_t n, bool requote_first) {
    sl_buf b;
    sl_buf_init(&b, 0);
    if (requote_first)
        requote(&b, s, n);
    else
        encode(&b, s, n, false);
    return sl_buf_detach(&b);
}

static void params_from_query(param_list *l, const char *q, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && q[i] != '&')
            i++;
        size_t len = i - start;
        i++;
        if (len == 0) continue;
        const char *eq = memchr(q + start, '=', len);
        size_t key_len = eq ? (size_t)(eq - (q + start)) : len;
        char *key = encoded_dup(q + start, key_len, true);
        char *value = eq ? encoded_dup(eq + 1, len - key_len - 1, true) : sl_xstrdup("");
        param_add(l, key, value);
    }
}

static int param_cmp(const void *a, const void *b) {
    const param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static void params_free(param_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
}

/* ---- canonical headers ---- */

typedef struct header {
    char *name;   /* lower-cased */
    char *value;  /* trimmed, white space collapsed */
    size_t order; /* position given, to keep repeated names in order */
} header;

typedef struct header_list {
    header *items;
    size_t n, cap;
} header_list;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

/* Add name: value in canonical form; a blank name is ignored. */
static void header_add(header_list *l, const char *name, const char *value) {
    while (is_space(*name))
        name++;
    size_t name_len = strlen(name);
    while (name_len && is_space(name[name_len - 1]))
        name_len--;
    if (name_len == 0) return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = sl_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    char *lname = sl_xstrndup(name, name_len);
    for (char *p = lname; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    if (!value) value = "";
    char *v = sl_xmalloc(strlen(value) + 1);
    size_t n = 0;
    bool pending_space = false;
    for (const char *p = value; *p; p++) {
        if (is_space(*p)) {
            pending_space = n > 0;
            continue;
        }
        if (pending_space) v[n++] = ' ';
        pending_space = false;
        v[n++] = *p;
    }
    v[n] = '\0';
    l->items[l->n].name = lname;
    l->items[l->n].value = v;
    l->items[l->n].order = l->n;
    l->n++;
}

static int header_cmp(const void *a, const void *b) {
    const header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void headers_free(header_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].value);
    }
    free(l->items);
}

/* Headers the signer adds itself, and headers that proxies or libcurl may
 * rewrite: never taken from the caller's list. */
static bool skipped_header(const char *name) {
    static const char *const skip[] = {"authorization", "user-agent",           "expect",
                                       "connection",    "transfer-encoding",    "x-amzn-trace-id",
                                       "x-amz-date",    "x-amz-security-token", "x-amz-content-sha256"};
    while (is_space(*name))
        name++;
    for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
        if (strcasecmp(name, skip[i]) == 0) return true;
    return false;
}

/* ---- the signing computation ---- */

typedef struct signing {
    char amz_date[17];
    char scope[256];
    char payload[65];
    sl_buf signed_headers; /* "host;x-amz-date" */
    sl_buf canonical;
    sl_buf string_to_sign;
    sl_buf query_extra; /* presign: the X-Amz-* parameters, encoded, '&'-joined */
    url_parts url;
} signing;

static void signing_init(signing *s) {
    memset(s, 0, sizeof *s);
    sl_buf_init(&s->signed_headers, 0);
    sl_buf_init(&s->canonical, 0);
    sl_buf_init(&s->string_to_sign, 0);
    sl_buf_init(&s->query_extra, 0);
}

static void signing_free(signing *s) {
    sl_buf_free(&s->signed_headers);
    sl_buf_free(&s->canonical);
    sl_buf_free(&s->string_to_sign);
    sl_buf_free(&s->query_extra);
}

static int check_request(const sl_sigv4_request *req, const sl_aws_creds *creds, sl_error *err) {
    if (!req->method || !*req->method) return sl_error_set(err, SL_EINVAL, "sigv4: no HTTP method");
    if (!req->url) return sl_error_set(err, SL_EINVAL, "sigv4: no URL");
    if (!req->region || !*req->region || strpbrk(req->region, "/ \t\r\n"))
        return sl_error_set(err, SL_EINVAL, "sigv4: missing or invalid region");
    if (!req->service || !*req->service || strpbrk(req->service, "/ \t\r\n"))
        return sl_error_set(err, SL_EINVAL, "sigv4: missing or invalid service name");
    if (!creds || !*creds->access_key || !*creds->secret_key)
        return sl_error_set(err, SL_EINVAL, "sigv4: no AWS credentials to sign with");
    if (req->payload_hash && strlen(req->payload_hash) > 64)
        return sl_error_set(err, SL_EINVAL, "sigv4: payload hash longer than 64 characters");
    return SL_OK;
}

static void add_presign_param(signing *s, param_list *params, const char *key, const char *value) {
    char *k = encoded_dup(key, strlen(key), false);
    char *v = encoded_dup(value, strlen(value), false);
    if (s->query_extra.len) sl_buf_addc(&s->query_extra, '&');
    sl_buf_printf(&s->query_extra, "%s=%s", k, v);
    param_add(params, k, v);
}

/* Fill s: canonical request, string to sign, signed headers, and for
 * presigning (expires > 0) the query parameters to append. */
static int build(const sl_sigv4_request *req, const sl_aws_creds *creds, int expires, signing *s, sl_error *err) {
    int rc = check_request(req, creds, err);
    if (rc) return rc;
    rc = parse_url(req->url, &s->url, err);
    if (rc) return rc;
    struct tm tm;
    if (!gmtime_r(&req->when, &tm) || strftime(s->amz_date, sizeof s->amz_date, "%Y%m%dT%H%M%SZ", &tm) != 16)
        return sl_error_set(err, SL_EINVAL, "sigv4: signing time out of range");
    char date[9];
    memcpy(date, s->amz_date, 8);
    date[8] = '\0';
    if ((size_t)snprintf(s->scope, sizeof s->scope, "%s/%s/%s/aws4_request", date, req->region, req->service) >=
        sizeof s->scope)
        return sl_error_set(err, SL_EINVAL, "sigv4: region or service name too long");

    bool s3 = is_s3(req->service);
    bool content_header = expires == 0 && (s3 || req->add_content_sha256);
    if (req->payload_hash)
        snprintf(s->payload, sizeof s->payload, "%s", req->payload_hash);
    else if (expires > 0 && s3)
        snprintf(s->payload, sizeof s->payload, "%s", UNSIGNED_PAYLOAD);
    else
        sl_sha256_hex(req->body, req->body_len, s->payload);

    header_list headers = {0};
    bool have_host = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        const sl_http_header *h = &req->headers[i];
        if (!h->name || skipped_header(h->name)) continue;
        size_t before = headers.n;
        header_add(&headers, h->name, h->value);
        if (headers.n > before && strcmp(headers.items[before].name, "host") == 0) have_host = true;
    }
    if (!have_host) header_add(&headers, "host", s->url.host);
    if (expires == 0) {
        header_add(&headers, "x-amz-date", s->amz_date);
        if (*creds->session_token) header_add(&headers, "x-amz-security-token", creds->session_token);
        if (content_header) header_add(&headers, "x-amz-content-sha256", s->payload);
    }
    qsort(headers.items, headers.n, sizeof *headers.items, header_cmp); /* n >= 2: host, x-amz-date */

    sl_buf canon_headers;
    sl_buf_init(&canon_headers, 0);
    for (size_t i = 0; i < headers.n; i++) {
        const header *h = &headers.items[i];
        if (i > 0 && strcmp(h->name, headers.items[i - 1].name) == 0) {
            /* repeated name: value joins the previous line */
            canon_headers.len--;
            sl_buf_printf(&canon_headers, ",%s\n", h->value);
            continue;
        }
        sl_buf_printf(&canon_headers, "%s:%s\n", h->name, h->value);
        if (s->signed_headers.len) sl_buf_addc(&s->signed_headers, ';');
        sl_buf_adds(&s->signed_headers, h->name);
    }
    headers_free(&headers);

    param_list params = {0};
    if (s->url.query) params_from_query(&params, s->url.query, s->url.query_len);
    if (expires > 0) {
        char credential[512], expires_text[16];
        snprintf(credential, sizeof credential, "%s/%s", creds->access_key, s->scope);
        snprintf(expires_text, sizeof expires_text, "%d", expires);
        add_presign_param(s, &params, "X-Amz-Algorithm", ALGORITHM);
        add_presign_param(s, &params, "X-Amz-Credential", credential);
        add_presign_param(s, &params, "X-Amz-Date", s->amz_date);
        add_presign_param(s, &params, "X-Amz-Expires", expires_text);
        if (*creds->session_token) add_presign_param(s, &params, "X-Amz-Security-Token", creds->session_token);
        add_presign_param(s, &params, "X-Amz-SignedHeaders", s->signed_headers.data);
    }
    if (params.n) qsort(params.items, params.n, sizeof *params.items, param_cmp);

    sl_buf *c = &s->canonical;
    sl_buf_printf(c, "%s\n", req->method);
    canonical_path(c, &s->url, req);
    sl_buf_addc(c, '\n');
    for (size_t i = 0; i < params.n; i++)
        sl_buf_printf(c, "%s%s=%s", i ? "&" : "", params.items[i].key, params.items[i].value);
    sl_buf_addc(c, '\n');
    sl_buf_add(c, canon_headers.data, canon_headers.len);
    sl_buf_printf(c, "\n%s\n%s", s->signed_headers.data, s->payload);
    params_free(&params);
    sl_buf_free(&canon_headers);

    char canonical_hash[65];
    sl_sha256_hex(c->data, c->len, canonical_hash);
    sl_buf_printf(&s->string_to_sign, "%s\n%s\n%s\n%s", ALGORITHM, s->amz_date, s->scope, canonical_hash);
    return SL_OK;
}

/* Hex signature of s's string to sign. */
static void signature(const signing *s, const sl_aws_creds *creds, const sl_sigv4_request *req, char out[65]) {
    unsigned char secret[4 + sizeof creds->secret_key];
    size_t secret_len = strnlen(creds->secret_key, sizeof creds->secret_key);
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, creds->secret_key, secret_len);
    unsigned char k_date[32], k_region[32], k_service[32], k_signing[32], sig[32];
    hmac_sha256(secret, 4 + secret_len, s->amz_date, 8, k_date);
    hmac_sha256(k_date, 32, req->region, strlen(req->region), k_region);
    hmac_sha256(k_region, 32, req->service, strlen(req->service), k_service);
    hmac_sha256(k_service, 32, "aws4_request", 12, k_signing);
    hmac_sha256(k_signing, 32, s->string_to_sign.data, s->string_to_sign.len, sig);
    to_hex(sig, 32, out);
    explicit_bzero(secret, sizeof secret);
    explicit_bzero(k_date, sizeof k_date);
    explicit_bzero(k_region, sizeof k_region);
    explicit_bzero(k_service, sizeof k_service);
    explicit_bzero(k_signing, sizeof k_signing);
}

/* ---- public API ---- */

int sl_sigv4_sign(const sl_sigv4_request *req, const sl_aws_creds *creds, sl_sigv4_result *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    signing s;
    signing_init(&s);
    int rc = build(req, creds, 0, &s, err);
    if (rc) goto out;
    char sig[65];
    signature(&s, creds, req, sig);
    int n = snprintf(out->authorization, sizeof out->authorization,
                     ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s", creds->access_key, s.scope,
                     s.signed_headers.data, sig);
    if (n < 0 || (size_t)n >= sizeof out->authorization) {
        rc = sl_error_set(err, SL_ELIMIT, "sigv4: too many signed headers for the Authorization header");
        goto out;
    }
    memcpy(out->amz_date, s.amz_date, sizeof out->amz_date);
    memcpy(out->content_sha256, s.payload, sizeof out->content_sha256);
    sl_sha256_hex(s.canonical.data, s.canonical.len, out->canonical_request_hash);
    out->send_content_sha256 = is_s3(req->service) || req->add_content_sha256;
out:
    if (rc) memset(out, 0, sizeof *out);
    signing_free(&s);
    return rc;
}

size_t sl_sigv4_headers(const sl_sigv4_result *r, const sl_aws_creds *creds, sl_http_header hdrs[4]) {
    size_t n = 0;
    hdrs[n++] = (sl_http_header){"X-Amz-Date", r->amz_date};
    if (r->send_content_sha256) hdrs[n++] = (sl_http_header){"X-Amz-Content-Sha256", r->content_sha256};
    if (creds && *creds->session_token) hdrs[n++] = (sl_http_header){"X-Amz-Security-Token", creds->session_token};
    hdrs[n++] = (sl_http_header){"Authorization", r->authorization};
    return n;
}

int sl_sigv4_canonical_request(const sl_sigv4_request *req, const sl_aws_creds *creds, int presign_expires,
                               sl_buf *canonical, sl_buf *string_to_sign, sl_error *err) {
    if (presign_expires < 0 || presign_expires > MAX_EXPIRES)
        return sl_error_set(err, SL_EINVAL, "sigv4: expiry must be 1 to %d seconds", MAX_EXPIRES);
    signing s;
    signing_init(&s);
    int rc = build(req, creds, presign_expires, &s, err);
    if (!rc && canonical) rc = sl_buf_add(canonical, s.canonical.data, s.canonical.len);
    if (!rc && string_to_sign) rc = sl_buf_add(string_to_sign, s.string_to_sign.data, s.string_to_sign.len);
    if (rc == SL_ELIMIT) sl_error_set(err, rc, "sigv4: output buffer limit reached");
    signing_free(&s);
    return rc;
}

int sl_sigv4_presign_request(const sl_sigv4_request *req, int expires, const sl_aws_creds *creds, sl_buf *out,
                             sl_error *err) {
    if (expires < 1 || expires > MAX_EXPIRES)
        return sl_error_set(err, SL_EINVAL, "sigv4: expiry must be 1 to %d seconds", MAX_EXPIRES);
    signing s;
    signing_init(&s);
    int rc = build(req, creds, expires, &s, err);
    if (rc) goto out;
    char sig[65];
    signature(&s, creds, req, sig);
    const char *url = req->url;
    size_t len = s.url.signable_len;
    const char *joiner = !s.url.query ? "?" : (s.url.query_len ? "&" : "");
    size_t before = out->len;
    rc = sl_buf_add(out, url, len);
    if (!rc) rc = sl_buf_printf(out, "%s%s&X-Amz-Signature=%s", joiner, s.query_extra.data, sig);
    if (rc) {
        out->len = before;
        if (out->data) out->data[before] = '\0';
        rc = sl_error_set(err, SL_ELIMIT, "sigv4: presigned URL longer than the output buffer allows");
    }
out:
    signing_free(&s);
    return rc;
}

int sl_sigv4_presign(const char *method, const char *url, const char *region, const char *service, time_t when,
                     int expires, const sl_aws_creds *creds, sl_buf *out, sl_error *err) {
    sl_sigv4_request req = {
        .method = method,
        .url = url,
        .region = region,
        .service = service,
        .when = when,
        .normalize_path = service && !is_s3(service),
    };
    return sl_sigv4_presign_request(&req, expires, creds, out, err);
}
