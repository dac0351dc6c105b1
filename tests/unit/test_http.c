/*
 * test_http.c — the AWS wire layer without AWS: the libcurl transport
 * against a tiny HTTP server on 127.0.0.1 run by this test, response
 * header and error-body parsing, and sl_aws_call / the S3 client driven
 * through a scripted transport (the seam production uses) to check
 * retries, fail-fast errors, streamed restarts and XML answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "aws/awscall.h"
#include "aws/http.h"
#include "aws/s3.h"

/* ---- a tiny HTTP/1.1 server: one scripted answer per connection ---- */

typedef struct server {
    int listen_fd;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    const char *answer; /* raw bytes to send back */
    size_t answer_len;
    bool hang;          /* read the request, never answer */
    char request[8192]; /* last request as received (head + body) */
    size_t request_len;
    bool stop;
} server;

static server srv;

static void *server_main(void *arg) {
    for (;;) {
        int fd = accept(srv.listen_fd, NULL, NULL);
        if (fd < 0) return NULL;
        pthread_mutex_lock(&srv.mu);
        bool stop = srv.stop;
        pthread_mutex_unlock(&srv.mu);
        if (stop) {
            close(fd);
            return NULL;
        }
        char buf[8192];
        size_t len = 0, total = 0;
        size_t want = 0; /* total bytes once the head is complete */
        for (;;) {
            char chunk[65536];
            ssize_t n = recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            size_t keep = (size_t)n < sizeof buf - 1 - len ? (size_t)n : sizeof buf - 1 - len;
            memcpy(buf + len, chunk, keep); /* the first 8 KiB are kept, the rest only counted */
            len += keep;
            total += (size_t)n;
            buf[len] = 0;
            char *end = strstr(buf, "\r\n\r\n");
            if (end && !want) {
                char *cl = strcasestr(buf, "\r\nContent-Length:");
                want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
            }
            if (want && total >= want) break;
        }
        pthread_mutex_lock(&srv.mu);
        memcpy(srv.request, buf, len);
        srv.request_len = len;
        srv.request[len] = 0;
        const char *answer = srv.answer;
        size_t answer_len = srv.answer_len;
        bool hang = srv.hang;
        pthread_mutex_unlock(&srv.mu);
        if (hang) {
            while (recv(fd, buf, sizeof buf, 0) > 0) {
            }
        } else {
            size_t off = 0;
            while (off < answer_len) {
                ssize_t n = send(fd, answer + off, answer_len - off, MSG_NOSIGNAL);
                if (n <= 0) break;
                off += (size_t)n;
            }
        }
        close(fd);
    }
}

static void server_answer(const char *raw) {
    pthread_mutex_lock(&srv.mu);
    srv.answer = raw;
    srv.answer_len = strlen(raw);
    srv.hang = false;
    pthread_mutex_unlock(&srv.mu);
}

static int server_start(void **state) {
    memset(&srv, 0, sizeof srv);
    pthread_mutex_init(&srv.mu, NULL);
    srv.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(srv.listen_fd, (struct sockaddr *)&a, sizeof a) || listen(srv.listen_fd, 8)) return -1;
    socklen_t alen = sizeof a;
    getsockname(srv.listen_fd, (struct sockaddr *)&a, &alen);
    srv.port = ntohs(a.sin_port);
    return pthread_create(&srv.thread, NULL, server_main, NULL);
}

static int server_stop(void **state) {
    pthread_mutex_lock(&srv.mu);
    srv.stop = true;
    pthread_mutex_unlock(&srv.mu);
    /* wake accept() with one last connection */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    connect(fd, (struct sockaddr *)&a, sizeof a);
    close(fd);
    pthread_join(srv.thread, NULL);
    close(srv.listen_fd);
    return 0;
}

static void url_for(char *out, size_t size, const char *path) {
    snprintf(out, size, "http://127.0.0.1:%d%s", srv.port, path);
}

static sl_http *new_http(size_t max_body, long timeout_ms) {
    sl_http_options o;
    sl_http_options_default(&o);
    if (max_body) o.max_body = max_body;
    if (timeout_ms) o.timeout_ms = timeout_ms;
    sl_http *h = NULL;
    assert_int_equal(sl_http_new(&o, &h, NULL), 0);
    return h;
}

static void test_curl_get_and_headers(void **state) {
    server_answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test:  spaced value \r\nETag: \"abc\"\r\n"
                  "Connection: close\r\n\r\nhello");
    sl_http *h = new_http(0, 0);
    char url[128], v[64];
    url_for(url, sizeof url, "/path%20x?a=1");
    sl_http_header hd[] = {{"X-Custom", "1"}, {"X-Empty", ""}};
    sl_http_request req = {.method = "GET", .url = url, .headers = hd, .n_headers = 2};
    sl_http_response resp;
    sl_http_response_init(&resp);
    assert_int_equal(sl_http_perform(h, &req, &resp, NULL), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body.data, "hello");
    assert_int_equal(sl_http_response_header(&resp, "x-test", v, sizeof v), 0);
    assert_string_equal(v, "spaced value");
    assert_int_equal(sl_http_response_header(&resp, "ETAG", v, sizeof v), 0);
    assert_string_equal(v, "\"abc\"");
    assert_int_equal(sl_http_response_header(&resp, "X-Missing", v, sizeof v), SL_ENOTFOUND);
    assert_int_equal(sl_http_response_header(&resp, "X-Test", v, 4), 0); /* truncated */
    assert_string_equal(v, "spa");
    assert_non_null(strstr(srv.request, "GET /path%20x?a=1 HTTP/1.1\r\n"));
    assert_non_null(strstr(srv.request, "\r\nX-Custom: 1\r\n"));
    assert_non_null(strstr(srv.request, "\r\nX-Empty:"));
    sl_http_response_free(&resp);
    sl_http_free(h);
}

static void test_curl_put_body(void **state) {
    server_answer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    sl_http *h = new_http(0, 0);
    char url[128];
    url_for(url, sizeof url, "/obj");
    /* bigger than curl's 1 MiB "Expect: 100-continue" threshold */
    size_t n = (1 << 20) + 10;
    char *body = malloc(n);
    memset(body, 'b', n);
    sl_http_request req = {.method = "PUT", .url = url, .body = "payload", .body_len = 7};
    sl_http_response resp;
    sl_http_response_init(&resp);
    assert_int_equal(sl_http_perform(h, &req, &resp, NULL), 0);
    assert_int_equal(resp.status, 204);
    assert_non_null(strstr(srv.request, "PUT /obj HTTP/1.1\r\n"));
    assert_non_null(strstr(srv.request, "Content-Length: 7\r\n"));
    assert_null(strcasestr(srv.request, "Content-Type"));
    assert_int_equal(memcmp(srv.request + srv.request_len - 7, "payload", 7), 0);
    req.body = body;
    req.body_len = n;
    assert_int_equal(sl_http_perform(h, &req, &resp, NULL), 0);
    assert_null(strcasestr(srv.request, "Expect:"));
    /* DELETE without a body, HEAD */
    sl_http_request del = {.method = "DELETE", .url = url};
    assert_int_equal(sl_http_perform(h, &del, &resp, NULL), 0);
    assert_non_null(strstr(srv.request, "DELETE /obj HTTP/1.1\r\n"));
    server_answer("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nConnection: close\r\n\r\n");
    sl_http_request head = {.method = "HEAD", .url = url};
    assert_int_equal(sl_http_perform(h, &head, &resp, NULL), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body.len, 0);
    char v[32];
    assert_int_equal(sl_http_response_header(&resp, "Content-Length", v, sizeof v), 0);
    assert_string_equal(v, "1234");
    sl_http_response_free(&resp);
    sl_http_free(h);
    free(body);
}

typedef struct sink {
    char data[256];
    size_t len;
    int abort_with;
} sink;

static int sink_body(void *ud, const void *data, size_t len) {
    sink *s = ud;
    if (s->abort_with) return s->abort_with;
    if (s->len + len < sizeof s->data) memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static void test_curl_streaming_and_limits(void **state) {
    sl_http *h = new_http(8, 0);
    char url[128];
    url_for(url, sizeof url, "/s");
    sl_http_response resp;
    sl_http_response_init(&resp);
    sink s = {0};
    sl_http_request req = {.method = "GET", .url = url, .on_body = sink_body, .on_body_ud = &s};
    server_answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
    /* streamed: the buffered-body limit does not apply */
    assert_int_equal(sl_http_perform(h, &req, &resp, NULL), 0);
    assert_int_equal(s.len, 11);
    assert_memory_equal(s.data, "hello world", 11);
    assert_int_equal(resp.body.len, 0);
    /* an error answer goes to resp->body, not to the consumer */
    s.len = 0;
    server_answer("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found");
    assert_int_equal(sl_http_perform(h, &req, &resp, NULL), 0);
    assert_int_equal(resp.status, 404);
    assert_int_equal(s.len, 0);
    assert_string_equal(resp.body.data, "not found");
    /* the consumer stops the transfer with its own code */
    s.abort_with = SL_EPARSE;
    server_answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world");
    sl_error err;
    assert_int_equal(sl_http_perform(h, &req, &resp, &err), SL_EPARSE);
    assert_int_equal(resp.status, 200);
    /* buffered: over the limit */
    sl_http_request plain = {.method = "GET", .url = url};
    assert_int_equal(sl_http_perform(h, &plain, &resp, &err), SL_ELIMIT);
    assert_non_null(strstr(err.message, "limit"));
    sl_http_response_free(&resp);
    sl_http_free(h);
}

static void test_curl_transport_errors(void **state) {
    sl_http *h = new_http(0, 300);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_error err;
    /* a port nobody listens on */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t alen = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &alen);
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
    sl_http_request req = {.method = "GET", .url = url};
    assert_int_equal(sl_http_perform(h, &req, &resp, &err), SL_EIO);
    assert_int_equal(resp.status, 0);
    assert_true(resp.error[0] != 0);
    /* a server that never answers: the request timeout ends it */
    pthread_mutex_lock(&srv.mu);
    srv.hang = true;
    pthread_mutex_unlock(&srv.mu);
    url_for(url, sizeof url, "/hang");
    assert_int_equal(sl_http_perform(h, &req, &resp, &err), SL_EIO);
    assert_int_equal(resp.status, 0);
    assert_non_null(strcasestr(resp.error, "timed out"));
    /* not http(s) */
    sl_http_request file = {.method = "GET", .url = "file:///etc/passwd"};
    assert_int_equal(sl_http_perform(h, &file, &resp, &err), SL_EIO);
    sl_http_response_free(&resp);
    sl_http_free(h);
}

static void test_retry_after(void **state) {
    assert_int_equal(sl_http_retry_after_ms("5", 0), 5000);
    assert_int_equal(sl_http_retry_after_ms(" 0 ", 0), 0);
    assert_int_equal(sl_http_retry_after_ms("abc", 0), -1);
    assert_int_equal(sl_http_retry_after_ms("5x", 0), -1);
    assert_int_equal(sl_http_retry_after_ms("", 0), -1);
    assert_int_equal(sl_http_retry_after_ms(NULL, 0), -1);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    assert_int_equal(sl_http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
    assert_int_equal(sl_http_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
}

/* ---- error bodies ---- */

static void make_response(sl_http_response *r, long status, const char *headers, const char *body) {
    sl_http_response_init(r);
    r->status = status;
    if (headers) sl_buf_adds(&r->headers, headers);
    if (body) sl_buf_adds(&r->body, body);
}

static void test_parse_error(void **state) {
    sl_http_response r;
    char code[64], msg[128];
    make_response(&r, 403, NULL,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
                  "<Message>The request signature we calculated does not match</Message>"
                  "<RequestId>tx0001</RequestId></Error>");
    assert_true(sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg));
    assert_string_equal(code, "SignatureDoesNotMatch");
    assert_string_equal(msg, "The request signature we calculated does not match");
    sl_http_response_free(&r);

    make_response(&r, 400, NULL,
                  "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
                  "\"message\":\"Requested resource not found: Table: t not found\"}");
    assert_true(sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg));
    assert_string_equal(code, "ResourceNotFoundException");
    assert_string_equal(msg, "Requested resource not found: Table: t not found");
    sl_http_response_free(&r);

    make_response(&r, 400, NULL, "{\"__type\":\"ValidationException\",\"Message\":\"bad\"}");
    assert_true(sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg));
    assert_string_equal(code, "ValidationException");
    assert_string_equal(msg, "bad");
    sl_http_response_free(&r);

    /* HEAD: no body, the code comes in a header */
    make_response(&r, 404, "HTTP/1.1 404 Not Found\r\nx-amz-error-code: NoSuchKey\r\n\r\n", NULL);
    assert_true(sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg));
    assert_string_equal(code, "NoSuchKey");
    sl_http_response_free(&r);

    make_response(&r, 400, "x-amzn-ErrorType: ThrottlingException:http://internal.amazon.com/\r\n", "{}");
    assert_true(sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg));
    assert_string_equal(code, "ThrottlingException");
    sl_http_response_free(&r);

    /* garbage, truncated, empty: no code, no crash */
    const char *bad[] = {"<Error><Code>Trunc", "{\"__type\": 5}", "<html>502 Bad Gateway</html>", "{", "<", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        make_response(&r, 502, NULL, bad[i]);
        sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg);
        sl_http_response_free(&r);
    }
    make_response(&r, 500, NULL, "<Error><Code>Trunc");
    assert_true(sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg)); /* what came before the cut */
    assert_string_equal(code, "Trunc");
    sl_http_response_free(&r);
}

/* ---- a scripted transport ---- */

typedef struct step {
    long status;         /* 0 = transport error */
    const char *headers; /* raw header block */
    const char *body;
    size_t stream_then_fail; /* stream this many body bytes, then fail the connection */
} step;

typedef struct script {
    const step *steps;
    size_t n, next;
    char urls[8][1024];     /* URLs of the first requests */
    char auth[8][1024];     /* their Authorization headers */
    char all_headers[4096]; /* every header of the last request */
    int requests;
} script;

static int script_perform(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    script *s = self;
    int i = s->requests++;
    if (i < 8) {
        snprintf(s->urls[i], sizeof s->urls[i], "%s", req->url);
        s->auth[i][0] = 0;
    }
    s->all_headers[0] = 0;
    for (size_t k = 0; k < req->n_headers; k++) {
        size_t used = strlen(s->all_headers);
        snprintf(s->all_headers + used, sizeof s->all_headers - used, "%s: %s\n", req->headers[k].name,
                 req->headers[k].value);
        if (i < 8 && strcmp(req->headers[k].name, "Authorization") == 0)
            snprintf(s->auth[i], sizeof s->auth[i], "%s", req->headers[k].value);
    }
    const step *st = &s->steps[s->next < s->n ? s->next++ : s->n - 1];
    if (st->headers) sl_buf_adds(&resp->headers, st->headers);
    if (st->status == 0 && !st->stream_then_fail) {
        snprintf(resp->error, sizeof resp->error, "Connection reset by peer");
        return sl_error_set(err, SL_EIO, "reset");
    }
    const char *body = st->body ? st->body : "";
    size_t len = st->stream_then_fail ? st->stream_then_fail : strlen(body);
    resp->status = st->status ? st->status : 200;
    if (req->on_body && resp->status < 300) {
        int rc = len ? req->on_body(req->on_body_ud, body, len) : 0;
        if (rc) return sl_error_set(err, rc < 0 ? rc : SL_EIO, "aborted");
    } else {
        sl_buf_add(&resp->body, body, len);
    }
    if (st->stream_then_fail) {
        resp->status = 0;
        snprintf(resp->error, sizeof resp->error, "Connection reset by peer");
        return sl_error_set(err, SL_EIO, "reset");
    }
    return 0;
}

static long slept[16];
static int n_sleeps;
static void record_sleep(void *ud, long ms) {
    if (n_sleeps < 16) slept[n_sleeps] = ms;
    n_sleeps++;
}

static sl_aws_creds test_creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

typedef struct call_fixture {
    sl_http *http;
    script sc;
    sl_aws_ctx ctx;
    sl_http_response resp;
} call_fixture;

static void fixture_init(call_fixture *f, const step *steps, size_t n, const char *service) {
    memset(f, 0, sizeof *f);
    assert_int_equal(sl_http_new(NULL, &f->http, NULL), 0);
    f->sc.steps = steps;
    f->sc.n = n;
    sl_http_transport t = {script_perform, &f->sc};
    sl_http_set_transport(f->http, &t);
    sl_aws_ctx_init(&f->ctx, f->http, &test_creds, "us-east-1", service);
    f->ctx.sleep_ms = record_sleep;
    sl_http_response_init(&f->resp);
    n_sleeps = 0;
}

static void fixture_free(call_fixture *f) {
    sl_http_response_free(&f->resp);
    sl_http_free(f->http);
}

static const char *slowdown = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";

static void test_call_retries_then_succeeds(void **state) {
    const step steps[] = {{503, NULL, slowdown, 0}, {0, NULL, NULL, 0}, {200, NULL, "ok", 0}};
    call_fixture f;
    fixture_init(&f, steps, 3, "s3");
    sl_aws_request req = {.http = {.method = "GET", .url = "http://127.0.0.1:9/b/k"}, .what = "GetObject s3://b/k"};
    sl_error err;
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, &err), 0);
    assert_int_equal(f.ctx.attempts, 3);
    assert_int_equal(f.sc.requests, 3);
    assert_int_equal(n_sleeps, 2);
    assert_string_equal(f.resp.body.data, "ok");
    /* every attempt is signed; the secret itself never travels */
    for (int i = 0; i < 3; i++)
        assert_non_null(strstr(f.sc.auth[i], "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    assert_non_null(strstr(f.sc.all_headers, "x-amz-date: "));
    assert_non_null(strstr(f.sc.all_headers, "x-amz-content-sha256: "));
    assert_null(strstr(f.sc.all_headers, test_creds.secret_key));
    fixture_free(&f);
}

static void test_call_fails_fast_with_server_message(void **state) {
    const step steps[] = {{403, NULL, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", 0}};
    call_fixture f;
    fixture_init(&f, steps, 1, "s3");
    sl_aws_request req = {.http = {.method = "GET", .url = "http://127.0.0.1:9/b/k"}, .what = "GetObject s3://b/k"};
    sl_error err;
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, &err), SL_EIO);
    assert_int_equal(f.sc.requests, 1);
    assert_int_equal(n_sleeps, 0);
    assert_string_equal(err.message, "GetObject s3://b/k: HTTP 403 AccessDenied: Access Denied");
    assert_string_equal(f.ctx.error_code, "AccessDenied");
    assert_int_equal(f.ctx.status, 403);
    fixture_free(&f);

    const step nf[] = {
        {404, NULL, "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>", 0}};
    fixture_init(&f, nf, 1, "s3");
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, &err), SL_ENOTFOUND);
    assert_int_equal(f.sc.requests, 1);
    fixture_free(&f);
}

static void test_call_gives_up(void **state) {
    const step steps[] = {{503, "Retry-After: 3\r\n", slowdown, 0}};
    call_fixture f;
    fixture_init(&f, steps, 1, "s3");
    f.ctx.retry.max_attempts = 3;
    sl_aws_request req = {.http = {.method = "GET", .url = "http://127.0.0.1:9/b/k"}, .what = "HeadObject s3://b/k"};
    sl_error err;
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, &err), SL_EIO);
    assert_int_equal(f.sc.requests, 3);
    assert_int_equal(n_sleeps, 2);
    assert_int_equal(slept[0], 3000); /* the server's Retry-After */
    assert_string_equal(err.message,
                        "HeadObject s3://b/k: HTTP 503 SlowDown: Please reduce your request rate. (after 3 attempts)");
    fixture_free(&f);

    const step down[] = {{0, NULL, NULL, 0}};
    fixture_init(&f, down, 1, "s3");
    f.ctx.retry.max_attempts = 2;
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, &err), SL_EIO);
    assert_string_equal(err.message, "HeadObject s3://b/k: Connection reset by peer (after 2 attempts)");
    fixture_free(&f);
}

static void test_call_dynamodb_throttling(void **state) {
    const step steps[] = {
        {400, NULL,
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\",\"message\":"
         "\"slow\"}",
         0},
        {400, NULL,
         "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The "
         "conditional request failed\"}",
         0},
    };
    call_fixture f;
    fixture_init(&f, steps, 2, "dynamodb");
    sl_http_header hd[] = {{"X-Amz-Target", "DynamoDB_20120810.PutItem"}};
    sl_aws_request req = {
        .http = {.method = "POST",
                 .url = "http://127.0.0.1:9/",
                 .headers = hd,
                 .n_headers = 1,
                 .body = "{}",
                 .body_len = 2},
        .what = "PutItem t",
    };
    sl_error err;
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, &err), SL_EIO);
    assert_int_equal(f.sc.requests, 2);
    assert_string_equal(f.ctx.error_code, "ConditionalCheckFailedException");
    assert_string_equal(err.message,
                        "PutItem t: HTTP 400 ConditionalCheckFailedException: The conditional request failed");
    assert_null(strstr(f.sc.all_headers, "x-amz-content-sha256")); /* S3 only */
    fixture_free(&f);
}

static void test_call_error_inside_success(void **state) {
    const step steps[] = {
        {200, NULL, "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>try again</Message></Error>",
         0},
        {200, NULL, "<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>", 0},
    };
    call_fixture f;
    fixture_init(&f, steps, 2, "s3");
    sl_aws_request req = {
        .http = {.method = "POST", .url = "http://127.0.0.1:9/b/k?uploadId=1", .body = "<x/>", .body_len = 4},
        .error_in_success = true,
    };
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, NULL), 0);
    assert_int_equal(f.sc.requests, 2);
    fixture_free(&f);
}

typedef struct restart_sink {
    sink s;
    int restarts;
} restart_sink;

static int restart(void *ud) {
    restart_sink *r = ud;
    r->restarts++;
    r->s.len = 0;
    return 0;
}

static void test_call_streamed_restart(void **state) {
    const step steps[] = {{200, NULL, "hello world", 5}, {200, NULL, "hello world", 0}};
    call_fixture f;
    fixture_init(&f, steps, 2, "s3");
    restart_sink rs = {0};
    sl_aws_request req = {
        .http = {.method = "GET", .url = "http://127.0.0.1:9/b/k", .on_body = sink_body, .on_body_ud = &rs},
        .on_restart = restart,
    };
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, NULL), 0);
    assert_int_equal(rs.restarts, 1);
    assert_int_equal(rs.s.len, 11);
    assert_memory_equal(rs.s.data, "hello world", 11);
    fixture_free(&f);
    /* without a restart hook, bytes already delivered end the call */
    fixture_init(&f, steps, 2, "s3");
    sink s = {0};
    req.http.on_body_ud = &s;
    req.on_restart = NULL;
    assert_int_equal(sl_aws_call(&f.ctx, &req, &f.resp, NULL), SL_EIO);
    assert_int_equal(f.sc.requests, 1);
    fixture_free(&f);
}

/* ---- the S3 client through the scripted transport ---- */

static sl_s3 *scripted_s3(script *sc, const step *steps, size_t n, const char *endpoint) {
    memset(sc, 0, sizeof *sc);
    sc->steps = steps;
    sc->n = n;
    sl_aws_config cfg = {.creds = test_creds, .region = "eu-west-1"};
    if (endpoint) snprintf(cfg.endpoint, sizeof cfg.endpoint, "%s", endpoint);
    sl_s3 *s = NULL;
    assert_int_equal(sl_s3_new(&cfg, NULL, &s, NULL), 0);
    sl_http_transport t = {script_perform, sc};
    sl_s3_set_transport(s, &t);
    sl_retry_policy p = {.max_attempts = 3, .base_ms = 1, .max_ms = 1};
    sl_s3_set_retry(s, &p, record_sleep, NULL);
    return s;
}

static void test_s3_addressing(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_s3_uri_encode("a b/c+d%é~._-", true, &b);
    assert_string_equal(b.data, "a%20b/c%2Bd%25%C3%A9~._-");
    sl_buf_reset(&b);
    sl_s3_uri_encode("a/b", false, &b);
    assert_string_equal(b.data, "a%2Fb");

    script sc;
    const step none[] = {{200, NULL, "", 0}};
    sl_s3 *aws = scripted_s3(&sc, none, 1, NULL);
    sl_buf_reset(&b);
    sl_s3_object_url(aws, "my-bucket", "dir/x y.csv", &b);
    assert_string_equal(b.data, "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/x%20y.csv");
    sl_buf_reset(&b);
    sl_s3_object_url(aws, "dotted.bucket", "k", &b); /* not DNS-safe under TLS: path style */
    assert_string_equal(b.data, "https://s3.eu-west-1.amazonaws.com/dotted.bucket/k");
    sl_s3_free(aws);
    sl_s3 *ceph = scripted_s3(&sc, none, 1, "http://127.0.0.1:7480/");
    assert_string_equal(sl_s3_endpoint(ceph), "http://127.0.0.1:7480");
    sl_buf_reset(&b);
    sl_s3_object_url(ceph, "my-bucket", "k", &b);
    assert_string_equal(b.data, "http://127.0.0.1:7480/my-bucket/k");
    sl_s3_free(ceph);
    sl_buf_free(&b);

    char *bucket, *key;
    assert_int_equal(sl_s3_parse_url("s3://bkt/a/b.csv", &bucket, &key, NULL), 0);
    assert_string_equal(bucket, "bkt");
    assert_string_equal(key, "a/b.csv");
    free(bucket);
    free(key);
    assert_int_equal(sl_s3_parse_url("s3://bkt", &bucket, &key, NULL), 0);
    assert_string_equal(key, "");
    free(bucket);
    free(key);
    assert_int_equal(sl_s3_parse_url("s3:///k", &bucket, &key, NULL), SL_EINVAL);
    assert_int_equal(sl_s3_parse_url("/local/path", &bucket, &key, NULL), SL_EINVAL);
}

static void test_s3_list_pages(void **state) {
    const step steps[] = {
        {200, NULL,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>p%2F</Prefix>"
         "<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
         "<NextContinuationToken>tok/+=</NextContinuationToken>"
         "<Contents><Key>p/a+b%25c</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
         "<ETag>&quot;0cc175b9c0f1b6a831c399e269772661&quot;</ETag><Size>1</Size></Contents>"
         "<CommonPrefixes><Prefix>p/dir%2F</Prefix></CommonPrefixes>"
         "<EncodingType>url</EncodingType></ListBucketResult>",
         0},
        /* the second page breaks off midway once, then arrives whole */
        {200, NULL, "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/z</Key>", 40},
        {200, NULL,
         "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>p/z</Key><Size>26</Size></Contents>"
         "</ListBucketResult>",
         0},
    };
    script sc;
    sl_s3 *s = scripted_s3(&sc, steps, 3, "http://127.0.0.1:9");
    sl_s3_listing l = {0};
    sl_error err;
    assert_int_equal(sl_s3_list(s, "b", "p/", "/", 2, &l, &err), 0);
    assert_int_equal(l.pages, 2);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.objects[0].key, "p/a b%c");
    assert_int_equal(l.objects[0].size, 1);
    assert_int_equal(l.objects[0].mtime, 1704164645);
    assert_string_equal(l.objects[0].etag, "0cc175b9c0f1b6a831c399e269772661");
    assert_string_equal(l.objects[1].key, "p/z");
    assert_int_equal(l.objects[1].size, 26);
    assert_int_equal(l.n_prefixes, 1);
    assert_string_equal(l.prefixes[0], "p/dir/");
    assert_string_equal(sc.urls[0],
                        "http://127.0.0.1:9/b?delimiter=%2F&encoding-type=url&list-type=2&max-keys=2&prefix=p%2F");
    assert_string_equal(sc.urls[1],
                        "http://127.0.0.1:9/b?continuation-token=tok%2F%2B%3D&delimiter=%2F&encoding-type=url"
                        "&list-type=2&max-keys=2&prefix=p%2F");
    sl_s3_listing_free(&l);
    sl_s3_free(s);

    const step bad[] = {{200, NULL, "<ListBucketResult><Contents><Key>x</Key></Contents", 0}};
    s = scripted_s3(&sc, bad, 1, "http://127.0.0.1:9");
    assert_int_equal(sl_s3_list(s, "b", "", NULL, 0, &l, &err), SL_EPARSE);
    assert_non_null(strstr(err.message, "malformed XML"));
    assert_int_equal(l.count, 0);
    sl_s3_listing_free(&l);
    sl_s3_free(s);
}

static void test_s3_get_resumes(void **state) {
    const step steps[] = {
        {206, "ETag: \"e1\"\r\n", "0123456789", 4},
        {206, "ETag: \"e1\"\r\n", "0123456789", 0},
    };
    script sc;
    sl_s3 *s = scripted_s3(&sc, steps, 2, "http://127.0.0.1:9");
    sink out = {0};
    sl_error err;
    assert_int_equal(sl_s3_get(s, "b", "k", 10, 10, sink_body, &out, &err), 0);
    assert_int_equal(out.len, 10);
    assert_memory_equal(out.data, "0123456789", 10);
    assert_non_null(strstr(sc.all_headers, "Range: bytes=10-19"));
    sl_s3_free(s);
    /* the object was replaced between the attempts */
    const step changed[] = {
        {206, "ETag: \"e1\"\r\n", "0123456789", 4},
        {206, "ETag: \"e2\"\r\n", "abcdefghij", 0},
    };
    s = scripted_s3(&sc, changed, 2, "http://127.0.0.1:9");
    out.len = 0;
    assert_int_equal(sl_s3_get(s, "b", "k", 0, 10, sink_body, &out, &err), SL_EIO);
    assert_non_null(strstr(err.message, "changed"));
    sl_s3_free(s);
}

static void test_s3_multipart_calls(void **state) {
    const step steps[] = {
        {200, NULL,
         "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>2~abc/def</UploadId>"
         "</InitiateMultipartUploadResult>",
         0},
        {200, "ETag: \"900150983cd24fb0d6963f7d28e17f72\"\r\n", "", 0}, /* MD5 of "abc" */
        {200, "ETag: \"00000000000000000000000000000000\"\r\n", "", 0},
        /* Ceph: an empty ETag in the answer */
        {200, NULL,
         "<CompleteMultipartUploadResult><Location>x</Location><ETag></ETag></CompleteMultipartUploadResult>", 0},
    };
    script sc;
    sl_s3 *s = scripted_s3(&sc, steps, 4, "http://127.0.0.1:9");
    sl_error err;
    char *id = NULL;
    assert_int_equal(sl_s3_mpu_create(s, "b", "k", &id, &err), 0);
    assert_string_equal(id, "2~abc/def");
    assert_string_equal(sc.urls[0], "http://127.0.0.1:9/b/k?uploads=");
    char etag[SL_S3_ETAG_MAX];
    assert_int_equal(sl_s3_mpu_upload_part(s, "b", "k", id, 1, "abc", 3, etag, &err), 0);
    assert_string_equal(etag, "900150983cd24fb0d6963f7d28e17f72");
    assert_string_equal(sc.urls[1], "http://127.0.0.1:9/b/k?partNumber=1&uploadId=2~abc%2Fdef");
    assert_non_null(strstr(sc.all_headers, "Content-MD5: kAFQmDzST7DWlj99KOF/cg==\n"));
    /* an MD5 ETag that does not match the data is corruption */
    assert_int_equal(sl_s3_mpu_upload_part(s, "b", "k", id, 2, "abc", 3, etag, &err), SL_EIO);
    assert_non_null(strstr(err.message, "does not match"));
    sl_s3_part parts[1] = {{1, "900150983cd24fb0d6963f7d28e17f72"}};
    assert_int_equal(sl_s3_mpu_complete(s, "b", "k", id, parts, 1, &err), 0);
    free(id);
    sl_s3_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_curl_get_and_headers),
        cmocka_unit_test(test_curl_put_body),
        cmocka_unit_test(test_curl_streaming_and_limits),
        cmocka_unit_test(test_curl_transport_errors),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_call_retries_then_succeeds),
        cmocka_unit_test(test_call_fails_fast_with_server_message),
        cmocka_unit_test(test_call_gives_up),
        cmocka_unit_test(test_call_dynamodb_throttling),
        cmocka_unit_test(test_call_error_inside_success),
        cmocka_unit_test(test_call_streamed_restart),
        cmocka_unit_test(test_s3_addressing),
        cmocka_unit_test(test_s3_list_pages),
        cmocka_unit_test(test_s3_get_resumes),
        cmocka_unit_test(test_s3_multipart_calls),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
