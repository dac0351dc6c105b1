/* test_sigv4.c — AWS Signature Version 4 conformance and behaviour.
 *
 * Every case of AWS's SigV4 test suite (tests/data/aws-sigv4-test-suite/v4,
 * Apache-2.0, the layout aws-c-auth uses: request.txt, context.json,
 * {header,query}-{canonical-request,string-to-sign,signature}.txt) is run
 * twice: header signing and query (presigned URL) signing. The raw HTTP
 * request is parsed here; canonical request, string to sign, Authorization
 * value and presigned signature must match byte for byte. Then AWS's
 * documented S3 examples, S3 path encoding, Host derivation and errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/sigv4.h"

#define SUITE_SUBDIR "tests/data/aws-sigv4-test-suite/v4"
#define SUITE_CASES 38 /* directories in the suite */

static char suite_dir[4096];

/* ---- helpers ---- */

static char *slurp(const char *dir, const char *name, size_t *len_out) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)len + 1);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    data[len] = '\0';
    fclose(f);
    if (len_out) *len_out = (size_t)len;
    return data;
}

/* The string value of "key": "…" in a flat JSON text, or NULL. */
static char *json_string(const char *json, const char *key) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return NULL;
    p = strchr(p + strlen(pattern), '"');
    if (!p) return NULL;
    const char *end = strchr(p + 1, '"');
    return strndup(p + 1, (size_t)(end - p - 1));
}

static bool json_true(const char *json, const char *key) {
    char pattern[128];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) return false;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':')
        p++;
    return strncmp(p, "true", 4) == 0;
}

typedef struct suite_case {
    char dir[8192];
    char method[16];
    char url[4096];
    sl_http_header headers[32];
    size_t n_headers;
    char *header_text; /* owns the header strings */
    char *body;
    size_t body_len;
    sl_aws_creds creds;
    char region[32], service[32];
    bool normalize, sign_body, omit_token;
    time_t when;
} suite_case;

/* Parse request.txt: "METHOD PATH HTTP/1.1", header lines (a line starting
 * with white space continues the previous value), blank line, body. */
static void parse_request(suite_case *c, char *text, size_t len) {
    char *line_end = strchr(text, '\n');
    assert_non_null(line_end);
    *line_end = '\0';
    char *sp = strchr(text, ' ');
    char *proto = strstr(text, " HTTP/");
    assert_non_null(sp);
    assert_non_null(proto);
    snprintf(c->method, sizeof c->method, "%.*s", (int)(sp - text), text);
    char *p = line_end + 1;
    /* Header block ends at the first empty line; the body follows it. */
    char *block_end = strstr(p, "\n\n");
    char *body = NULL;
    if (block_end) {
        body = block_end + 2;
        block_end[1] = '\0';
    }
    c->header_text = strdup(p);
    if (body) {
        c->body_len = len - (size_t)(body - text);
        c->body = malloc(c->body_len + 1);
        memcpy(c->body, body, c->body_len);
    }
    char *host = NULL;
    char *save = NULL;
    for (char *l = strtok_r(c->header_text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (*l == ' ' || *l == '\t') {
            assert_true(c->n_headers > 0);
            /* Continuation: rejoin with the fold so the signer sees it. */
            char *prev = (char *)c->headers[c->n_headers - 1].value;
            prev[strlen(prev)] = '\n';
            continue;
        }
        char *colon = strchr(l, ':');
        assert_non_null(colon);
        *colon = '\0';
        assert_true(c->n_headers < 32);
        c->headers[c->n_headers].name = l;
        c->headers[c->n_headers++].value = colon + 1;
        if (strcasecmp(l, "host") == 0) host = colon + 1;
    }
    assert_non_null(host);
    snprintf(c->url, sizeof c->url, "https://%s%.*s", host, (int)(proto - sp - 1), sp + 1);
}

static void load_case(suite_case *c, const char *name) {
    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "%s/%s", suite_dir, name);
    char *ctx = slurp(c->dir, "context.json", NULL);
    char *ak = json_string(ctx, "access_key_id"), *sk = json_string(ctx, "secret_access_key");
    char *token = json_string(ctx, "token"), *ts = json_string(ctx, "timestamp");
    assert_non_null(ak);
    assert_non_null(sk);
    assert_non_null(ts);
    char *region = json_string(ctx, "region"), *service = json_string(ctx, "service");
    assert_non_null(region);
    assert_non_null(service);
    snprintf(c->region, sizeof c->region, "%s", region);
    snprintf(c->service, sizeof c->service, "%s", service);
    free(region);
    free(service);
    snprintf(c->creds.access_key, sizeof c->creds.access_key, "%s", ak);
    snprintf(c->creds.secret_key, sizeof c->creds.secret_key, "%s", sk);
    if (token) snprintf(c->creds.session_token, sizeof c->creds.session_token, "%s", token);
    c->normalize = json_true(ctx, "normalize");
    c->sign_body = json_true(ctx, "sign_body");
    c->omit_token = json_true(ctx, "omit_session_token");
    struct tm tm = {0};
    assert_non_null(strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm));
    c->when = timegm(&tm);
    free(ak);
    free(sk);
    free(token);
    free(ts);
    free(ctx);
    size_t req_len;
    char *req = slurp(c->dir, "request.txt", &req_len);
    parse_request(c, req, req_len);
    free(req);
}

static void free_case(suite_case *c) {
    free(c->header_text);
    free(c->body);
}

static sl_sigv4_request case_request(const suite_case *c) {
    return (sl_sigv4_request){
        .method = c->method,
        .url = c->url,
        .headers = c->headers,
        .n_headers = c->n_headers,
        .body = c->body,
        .body_len = c->body_len,
        .region = c->region,
        .service = c->service,
        .when = c->when,
        .normalize_path = c->normalize,
        .add_content_sha256 = c->sign_body,
    };
}

/* "omit_session_token": the token is added after signing, so it is not
 * signed — the same as signing without one. */
static sl_aws_creds signing_creds(const suite_case *c) {
    sl_aws_creds creds = c->creds;
    if (c->omit_token) creds.session_token[0] = '\0';
    return creds;
}

static char *expected(const suite_case *c, const char *file) {
    char *s = slurp(c->dir, file, NULL);
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static void check_text(const char *name, const char *file, const char *want, const char *got) {
    if (strcmp(want, got) != 0) fail_msg("%s %s:\n--- want\n%s\n--- got\n%s", name, file, want, got);
}

/* ---- the suite, one cmocka test per case and mode ---- */

static void run_header_case(void **state) {
    const char *name = *state;
    suite_case c;
    load_case(&c, name);
    sl_sigv4_request req = case_request(&c);
    sl_aws_creds creds = signing_creds(&c);
    sl_buf canonical, sts;
    sl_buf_init(&canonical, 0);
    sl_buf_init(&sts, 0);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_sigv4_canonical_request(&req, &creds, 0, &canonical, &sts, &err), 0);
    char *want_creq = expected(&c, "header-canonical-request.txt");
    char *want_sts = expected(&c, "header-string-to-sign.txt");
    check_text(name, "header-canonical-request.txt", want_creq, canonical.data);
    check_text(name, "header-string-to-sign.txt", want_sts, sts.data);

    sl_sigv4_result res;
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), 0);
    assert_string_equal(res.amz_date, "20150830T123600Z");
    /* The Authorization line of the signed request, exactly. */
    char *signed_req = expected(&c, "header-signed-request.txt");
    char *auth = strstr(signed_req, "\nAuthorization:");
    assert_non_null(auth);
    auth += strlen("\nAuthorization:");
    auth[strcspn(auth, "\r\n")] = '\0';
    check_text(name, "header-signed-request.txt", auth, res.authorization);
    char *want_sig = expected(&c, "header-signature.txt");
    assert_non_null(strstr(res.authorization, want_sig));

    sl_http_header extra[4];
    size_t n = sl_sigv4_headers(&res, &c.creds, extra);
    bool token_sent = false;
    for (size_t i = 0; i < n; i++)
        token_sent |= strcmp(extra[i].name, "X-Amz-Security-Token") == 0;
    assert_int_equal(token_sent, c.creds.session_token[0] != '\0');

    free(want_creq);
    free(want_sts);
    free(signed_req);
    free(want_sig);
    sl_buf_free(&canonical);
    sl_buf_free(&sts);
    free_case(&c);
}

static void run_query_case(void **state) {
    const char *name = *state;
    suite_case c;
    load_case(&c, name);
    sl_sigv4_request req = case_request(&c);
    req.add_content_sha256 = 0; /* only meaningful for header signing */
    sl_aws_creds creds = signing_creds(&c);
    sl_buf canonical, sts, url;
    sl_buf_init(&canonical, 0);
    sl_buf_init(&sts, 0);
    sl_buf_init(&url, 0);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_sigv4_canonical_request(&req, &creds, 3600, &canonical, &sts, &err), 0);
    char *want_creq = expected(&c, "query-canonical-request.txt");
    char *want_sts = expected(&c, "query-string-to-sign.txt");
    check_text(name, "query-canonical-request.txt", want_creq, canonical.data);
    check_text(name, "query-string-to-sign.txt", want_sts, sts.data);

    assert_int_equal(sl_sigv4_presign_request(&req, 3600, &creds, &url, &err), 0);
    char *want_sig = expected(&c, "query-signature.txt");
    char sig_param[128];
    snprintf(sig_param, sizeof sig_param, "&X-Amz-Signature=%s", want_sig);
    if (!strstr(url.data, sig_param)) fail_msg("%s: presigned URL %s lacks %s", name, url.data, sig_param);
    /* Every parameter of the suite's signed request is in ours. */
    char *signed_req = expected(&c, "query-signed-request.txt");
    char *q = strchr(signed_req, '?');
    assert_non_null(q);
    q[strcspn(q, " ")] = '\0';
    if (c.omit_token) {
        char *t = strstr(q, "&X-Amz-Security-Token=");
        assert_non_null(t);
        *t = '\0'; /* appended after signing: not ours to add */
    }
    char *save = NULL;
    for (char *p = strtok_r(q + 1, "&", &save); p; p = strtok_r(NULL, "&", &save))
        if (!strstr(url.data, p)) fail_msg("%s: presigned URL %s lacks %s", name, url.data, p);

    free(want_creq);
    free(want_sts);
    free(want_sig);
    free(signed_req);
    sl_buf_free(&canonical);
    sl_buf_free(&sts);
    sl_buf_free(&url);
    free_case(&c);
}

/* ---- AWS's documented S3 examples ---- */

static const sl_aws_creds S3_EXAMPLE_CREDS = {
    .access_key = "AKIAIOSFODNN7EXAMPLE",
    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

static time_t s3_example_time(void) {
    struct tm tm = {.tm_year = 2013 - 1900, .tm_mon = 4, .tm_mday = 24};
    return timegm(&tm);
}

static void test_s3_presign_example(void **state) {
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_error err;
    assert_int_equal(sl_sigv4_presign("GET", "https://examplebucket.s3.amazonaws.com/test.txt", "us-east-1", "s3",
                                      s3_example_time(), 86400, &S3_EXAMPLE_CREDS, &url, &err),
                     0);
    assert_string_equal(url.data, "https://examplebucket.s3.amazonaws.com/test.txt"
                                  "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                                  "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                                  "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                                  "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    sl_buf_free(&url);
}

/* GET Object with a Range header, from the same AWS page (header signing). */
static void test_s3_get_object_example(void **state) {
    sl_http_header h[] = {{"Range", "bytes=0-9"}};
    sl_sigv4_request req = {
        .method = "GET",
        .url = "https://examplebucket.s3.amazonaws.com/test.txt",
        .headers = h,
        .n_headers = 1,
        .region = "us-east-1",
        .service = "s3",
        .when = s3_example_time(),
    };
    sl_sigv4_result res;
    sl_error err;
    assert_int_equal(sl_sigv4_sign(&req, &S3_EXAMPLE_CREDS, &res, &err), 0);
    assert_string_equal(res.authorization,
                        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    assert_string_equal(res.content_sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_true(res.send_content_sha256);
    sl_http_header out[4];
    assert_int_equal(sl_sigv4_headers(&res, &S3_EXAMPLE_CREDS, out), 3);
    assert_string_equal(out[0].name, "X-Amz-Date");
    assert_string_equal(out[1].name, "X-Amz-Content-Sha256");
    assert_string_equal(out[2].name, "Authorization");
}

/* ---- canonical form details ---- */

static char *canonical_of(const sl_sigv4_request *req) {
    sl_aws_creds creds = {.access_key = "AKID", .secret_key = "secret"};
    sl_buf c;
    sl_buf_init(&c, 0);
    sl_error err;
    assert_int_equal(sl_sigv4_canonical_request(req, &creds, 0, &c, NULL, &err), 0);
    return sl_buf_detach(&c);
}

static void test_s3_path_single_encoded(void **state) {
    sl_sigv4_request req = {.method = "PUT",
                            .url = "http://127.0.0.1:9000/bucket/a%20b/./c%2fd+e%25//x~y?uploads",
                            .payload_hash = "UNSIGNED-PAYLOAD",
                            .region = "us-east-1",
                            .service = "s3",
                            .when = 0};
    char *c = canonical_of(&req);
    /* Not normalized, escapes kept (hex upper-cased), '+' encoded, and the
     * valueless parameter signed as "uploads=". Host keeps its port. */
    assert_string_equal(c, "PUT\n/bucket/a%20b/./c%2Fd%2Be%25//x~y\nuploads=\n"
                           "host:127.0.0.1:9000\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"
                           "x-amz-date:19700101T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
    free(c);
}

static void test_non_s3_path_double_encoded(void **state) {
    sl_sigv4_request req = {.method = "GET",
                            .url = "https://search.example.com:443/my%20index/a/../_doc?q=a%20b&b=2&a=1#frag",
                            .region = "eu-west-1",
                            .service = "es",
                            .normalize_path = 1};
    char *c = canonical_of(&req);
    assert_string_equal(c, "GET\n/my%2520index/_doc\na=1&b=2&q=a%20b\nhost:search.example.com\n"
                           "x-amz-date:19700101T000000Z\n\nhost;x-amz-date\n"
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(c);
}

static void test_normalization_keeps_trailing_slash(void **state) {
    static const char *const cases[][2] = {
        {"https://h/a/b/..", "/a/"}, {"https://h/a/./b/", "/a/b/"}, {"https://h", "/"},
        {"https://h/../..", "/"},    {"https://h/a//b", "/a/b"},    {"https://h/a/b/.", "/a/b/"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sl_sigv4_request req = {
            .method = "GET", .url = cases[i][0], .region = "r", .service = "svc", .normalize_path = 1};
        char *c = canonical_of(&req);
        char want[64];
        snprintf(want, sizeof want, "GET\n%s\n", cases[i][1]);
        if (strncmp(c, want, strlen(want)) != 0) fail_msg("%s: got %s", cases[i][0], c);
        free(c);
    }
}

static void test_ignored_and_duplicate_headers(void **state) {
    sl_http_header h[] = {{"User-Agent", "sluice"},    {"Authorization", "old"}, {"X-Amz-Date", "19990101T000000Z"},
                          {"X-Multi", " b "},          {"x-multi", "a\r\n\t c"}, {"  ", "blank name"},
                          {"Host", "override.example"}};
    sl_sigv4_request req = {.method = "GET",
                            .url = "https://h.example/",
                            .headers = h,
                            .n_headers = sizeof h / sizeof *h,
                            .region = "r",
                            .service = "svc"};
    char *c = canonical_of(&req);
    assert_string_equal(c, "GET\n/\n\nhost:override.example\nx-amz-date:19700101T000000Z\nx-multi:b,a c\n\n"
                           "host;x-amz-date;x-multi\n"
                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(c);
}

static void test_session_token_presign_and_existing_query(void **state) {
    sl_aws_creds creds = {.access_key = "AKID", .secret_key = "secret", .session_token = "tok/en+="};
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_error err;
    assert_int_equal(sl_sigv4_presign("GET", "https://b.s3.us-west-2.amazonaws.com/k?versionId=3", "us-west-2", "s3", 0,
                                      60, &creds, &url, &err),
                     0);
    assert_non_null(strstr(url.data, "/k?versionId=3&X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    assert_non_null(strstr(url.data, "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&"));
    assert_non_null(strstr(url.data, "&X-Amz-Expires=60&"));
    sl_buf_free(&url);
}

static void test_payload_hash_variants(void **state) {
    sl_aws_creds creds = {.access_key = "AKID", .secret_key = "secret"};
    sl_sigv4_request req = {.method = "PUT",
                            .url = "https://b.s3.amazonaws.com/k",
                            .body = "hello",
                            .body_len = 5,
                            .region = "us-east-1",
                            .service = "s3"};
    sl_sigv4_result res;
    sl_error err;
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), 0);
    char want[65];
    sl_sha256_hex("hello", 5, want);
    assert_string_equal(res.content_sha256, want);
    assert_string_equal(want, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    req.payload_hash = "UNSIGNED-PAYLOAD";
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), 0);
    assert_string_equal(res.content_sha256, "UNSIGNED-PAYLOAD");
    /* Not S3 and not asked for: no x-amz-content-sha256. */
    req.service = "dynamodb";
    req.payload_hash = NULL;
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), 0);
    assert_false(res.send_content_sha256);
    assert_null(strstr(res.authorization, "x-amz-content-sha256"));
}

static void test_errors(void **state) {
    sl_aws_creds creds = {.access_key = "AKID", .secret_key = "very-secret-value"};
    sl_aws_creds none = {0};
    sl_sigv4_request req = {.method = "GET", .url = "https://h/", .region = "us-east-1", .service = "s3"};
    sl_sigv4_result res;
    sl_error err;
    sl_buf out;
    sl_buf_init(&out, 0);
    assert_int_equal(sl_sigv4_sign(&req, &none, &res, &err), SL_EINVAL);
    req.url = "no-scheme/path";
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), SL_EINVAL);
    req.url = "https:///path";
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), SL_EINVAL);
    req.url = "https://h/";
    req.region = "";
    assert_int_equal(sl_sigv4_sign(&req, &creds, &res, &err), SL_EINVAL);
    assert_null(strstr(err.message, "very-secret-value"));
    req.region = "us-east-1";
    assert_int_equal(sl_sigv4_presign_request(&req, 0, &creds, &out, &err), SL_EINVAL);
    assert_int_equal(sl_sigv4_presign_request(&req, 604801, &creds, &out, &err), SL_EINVAL);
    assert_int_equal(out.len, 0);
    /* An output buffer too small is an error, and leaves it unchanged. */
    sl_buf small;
    sl_buf_init(&small, 16);
    assert_int_equal(sl_sigv4_presign_request(&req, 60, &creds, &small, &err), SL_ELIMIT);
    assert_int_equal(small.len, 0);
    sl_buf_free(&small);
    sl_buf_free(&out);
}

/* ---- main ---- */

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool find_suite(const char *argv0) {
    if (is_dir(SUITE_SUBDIR)) {
        snprintf(suite_dir, sizeof suite_dir, "%s", SUITE_SUBDIR);
        return true;
    }
    char base[2048];
    snprintf(base, sizeof base, "%s", argv0);
    for (int up = 0; up < 5; up++) {
        char *slash = strrchr(base, '/');
        if (!slash) return false;
        *slash = '\0';
        snprintf(suite_dir, sizeof suite_dir, "%s/%s", base, SUITE_SUBDIR);
        if (is_dir(suite_dir)) return true;
    }
    return false;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (!find_suite(argv[0])) {
        fprintf(stderr, "test_sigv4: cannot find %s (run from the repository root)\n", SUITE_SUBDIR);
        return 1;
    }
    char *names[256];
    size_t n = 0;
    DIR *dir = opendir(suite_dir);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL && n < 256)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    if (dir) closedir(dir);
    qsort(names, n, sizeof *names, by_name);
    if (n != SUITE_CASES) {
        fprintf(stderr, "test_sigv4: %zu cases in %s, expected %d\n", n, suite_dir, SUITE_CASES);
        return 1;
    }

    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_s3_presign_example),
        cmocka_unit_test(test_s3_get_object_example),
        cmocka_unit_test(test_s3_path_single_encoded),
        cmocka_unit_test(test_non_s3_path_double_encoded),
        cmocka_unit_test(test_normalization_keeps_trailing_slash),
        cmocka_unit_test(test_ignored_and_duplicate_headers),
        cmocka_unit_test(test_session_token_presign_and_existing_query),
        cmocka_unit_test(test_payload_hash_variants),
        cmocka_unit_test(test_errors),
    };
    size_t n_fixed = sizeof fixed / sizeof *fixed;
    struct CMUnitTest *tests = calloc(2 * n + n_fixed, sizeof *tests);
    char(*labels)[300] = calloc(2 * n, sizeof *labels);
    for (size_t i = 0; i < n; i++) {
        snprintf(labels[2 * i], sizeof labels[0], "header/%s", names[i]);
        snprintf(labels[2 * i + 1], sizeof labels[0], "query/%s", names[i]);
        tests[2 * i] = (struct CMUnitTest){labels[2 * i], run_header_case, NULL, NULL, names[i]};
        tests[2 * i + 1] = (struct CMUnitTest){labels[2 * i + 1], run_query_case, NULL, NULL, names[i]};
    }
    memcpy(tests + 2 * n, fixed, sizeof fixed);
    int rc = _cmocka_run_group_tests("sigv4", tests, 2 * n + n_fixed, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(tests);
    free(labels);
    return rc;
}
