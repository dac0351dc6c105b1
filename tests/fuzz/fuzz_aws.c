/*
 * fuzz_aws.c — libFuzzer target for what the AWS wire layer parses from
 * servers: error bodies (S3 XML, AWS JSON) and error headers, header
 * lookup, Retry-After, and the S3 client's XML answers (ListObjectsV2,
 * ListMultipartUploads, CreateMultipartUpload) fed through the transport
 * seam, streamed in two pieces.
 *
 * Input: byte 0 picks the target, byte 1 where to split the body between
 * two deliveries, the rest is the answer: a header block, "\n\n", a body
 * (a body alone when there is no blank line). Checks: nothing crashes or
 * leaks, whatever the bytes; listings hold only well-formed entries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awscall.h"
#include "aws/http.h"
#include "aws/s3.h"

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_aws: check failed: %s (line %d)\n", #cond, __LINE__);                                \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

typedef struct answer {
    const char *headers;
    size_t headers_len;
    const char *body;
    size_t body_len;
    size_t split;
    int served;
} answer;

static answer current;

static const char *last_page = "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";

static int serve(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    resp->status = 200;
    /* later pages of a "truncated" answer end the listing */
    const char *body = current.served++ ? last_page : current.body;
    size_t len = body == current.body ? current.body_len : strlen(last_page);
    sl_buf_add(&resp->headers, current.headers, current.headers_len);
    if (!req->on_body) return sl_buf_add(&resp->body, body, len) == 0 ? 0 : SL_ELIMIT;
    size_t split = current.split < len ? current.split : len;
    int rc = split ? req->on_body(req->on_body_ud, body, split) : 0;
    if (!rc && len > split) rc = req->on_body(req->on_body_ud, body + split, len - split);
    return rc ? sl_error_set(err, rc < 0 ? rc : SL_EIO, "consumer stopped") : 0;
}

static sl_s3 *client(void) {
    static sl_s3 *s;
    if (!s) {
        sl_aws_config cfg = {
            .creds = {"AKIDEXAMPLE", "secret", ""}, .region = "us-east-1", .endpoint = "http://127.0.0.1:9"};
        if (sl_s3_new(&cfg, NULL, &s, NULL)) abort();
        sl_http_transport t = {serve, NULL};
        sl_s3_set_transport(s, &t);
        sl_retry_policy p = {.max_attempts = 1};
        sl_s3_set_retry(s, &p, NULL, NULL);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    int mode = data[0] % 5;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    const char *blank = memmem(text, len, "\n\n", 2);
    current = (answer){.headers = text,
                       .headers_len = blank ? (size_t)(blank - text) + 1 : 0,
                       .body = blank ? blank + 2 : text,
                       .split = data[1]};
    current.body_len = len - (size_t)(current.body - text);

    if (mode == 0) {
        sl_http_response r;
        sl_http_response_init(&r);
        r.status = 400;
        sl_buf_add(&r.headers, current.headers, current.headers_len);
        sl_buf_add(&r.body, current.body, current.body_len);
        char code[64], msg[128], v[32];
        sl_aws_parse_error(&r, code, sizeof code, msg, sizeof msg);
        CHECK(strlen(code) < sizeof code && strlen(msg) < sizeof msg);
        if (sl_http_response_header(&r, "Retry-After", v, sizeof v) == 0) sl_http_retry_after_ms(v, 1700000000);
        sl_http_response_free(&r);
    } else if (mode == 1 || mode == 2) {
        sl_s3_listing l = {0};
        sl_error err;
        if (sl_s3_list(client(), "b", "p/", mode == 2 ? "/" : NULL, 0, &l, &err) == 0)
            for (size_t i = 0; i < l.count; i++)
                CHECK(l.objects[i].key != NULL);
        sl_s3_listing_free(&l);
    } else if (mode == 3) {
        sl_s3_uploads u = {0};
        if (sl_s3_mpu_list(client(), "b", "", &u, NULL) == 0)
            for (size_t i = 0; i < u.count; i++)
                CHECK(u.items[i].key && u.items[i].upload_id);
        sl_s3_uploads_free(&u);
    } else {
        char *id = NULL;
        if (sl_s3_mpu_create(client(), "b", "k", &id, NULL) == 0) CHECK(id && id[0]);
        free(id);
    }
    return 0;
}
