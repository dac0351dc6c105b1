/* test_opensearch.c — the OpenSearch client offline: the _bulk response
 * parser, index name templates, error texts, and the bulk sender, search and
 * index calls through a fake HTTP transport that plays a cluster (per-item
 * 429s, mapping rejections, 409 on create, 413, whole-request failures,
 * lost answers, authentication). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libdeflate.h>

#include "connectors/opensearch.h"
#include "formats/json.h"

/* ======================================================================
 * bulk response parser
 * ====================================================================== */

static void parse_ok(const char *body, size_t n, sl_arena *a, sl_opensearch_item_result *out) {
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_opensearch_parse_bulk_response(body, strlen(body), n, a, out, &err);
    if (rc) fprintf(stderr, "parse failed: %s\n", err.message);
    assert_int_equal(rc, 0);
}

static void test_parse_all_ok(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_opensearch_item_result r[2];
    parse_ok(
        "{\"took\":3,\"errors\":false,\"items\":[{\"index\":{\"_index\":\"logs\",\"_id\":\"1\",\"_version\":1,"
        "\"result\":\"created\",\"status\":201}},{\"create\":{\"_index\":\"logs\",\"_id\":\"2\",\"status\":200}}]}",
        2, &a, r);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].outcome, SL_OS_ITEM_OK);
        assert_null(r[i].reason);
    }
    assert_int_equal(r[0].status, 201);
    sl_arena_free(&a);
}

static void test_parse_mixed(void **state) {
    const char *body =
        "{\"took\":5,\"errors\":true,\"items\":["
        "{\"index\":{\"status\":201}},"
        "{\"index\":{\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected "
        "execution of primary operation\"}}},"
        "{\"index\":{\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to parse "
        "field [year] of type [long]\",\"caused_by\":{\"type\":\"number_format_exception\",\"reason\":\"For input "
        "string: \\\"abc\\\"\"}}}},"
        "{\"create\":{\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",\"reason\":\"[7]: "
        "version conflict, document already exists (current version [1])\"}}},"
        "{\"index\":{\"status\":503,\"error\":{\"type\":\"unavailable_shards_exception\",\"reason\":\"primary shard "
        "is not active\"}}},"
        "{\"index\":{\"status\":500,\"error\":{\"type\":\"rejected_execution_exception\",\"reason\":\"queue "
        "full\"}}},"
        "{\"index\":{\"status\":400,\"error\":{\"type\":\"strict_dynamic_mapping_exception\",\"reason\":\"mapping set "
        "to strict, dynamic introduction of [extra] within [_doc] is not allowed\"}}},"
        "{\"index\":{\"status\":404,\"error\":{\"type\":\"index_not_found_exception\",\"reason\":\"no such index "
        "[x]\"}}},"
        "{\"index\":{\"status\":400,\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\"odd "
        "status\"}}},"
        "{\"index\":{\"status\":403}}"
        "]}";
    sl_arena a;
    sl_arena_init(&a);
    sl_opensearch_item_result r[10];
    parse_ok(body, 10, &a, r);
    const sl_opensearch_outcome want[] = {SL_OS_ITEM_OK,    SL_OS_ITEM_RETRY, SL_OS_ITEM_REJECT, SL_OS_ITEM_REJECT,
                                          SL_OS_ITEM_RETRY, SL_OS_ITEM_RETRY, SL_OS_ITEM_REJECT, SL_OS_ITEM_REJECT,
                                          SL_OS_ITEM_RETRY, SL_OS_ITEM_REJECT};
    for (int i = 0; i < 10; i++)
        assert_int_equal(r[i].outcome, want[i]);
    assert_string_equal(r[1].reason,
                        "HTTP 429 es_rejected_execution_exception: rejected execution of primary operation");
    assert_string_equal(r[2].reason, "HTTP 400 mapper_parsing_exception: failed to parse field [year] of type [long] "
                                     "(caused by: number_format_exception: For input string: \"abc\")");
    assert_string_equal(r[3].reason, "HTTP 409 version_conflict_engine_exception: [7]: version conflict, document "
                                     "already exists (current version [1])");
    assert_int_equal(r[3].status, 409);
    assert_non_null(strstr(r[6].reason, "strict_dynamic_mapping_exception: mapping set to strict"));
    assert_string_equal(r[9].reason, "HTTP 403 Forbidden");
    sl_arena_free(&a);
}

static void test_parse_filtered(void **state) {
    /* filter_path=errors,items.*.status,items.*.error keeps one member per item */
    sl_arena a;
    sl_arena_init(&a);
    sl_opensearch_item_result r[3];
    parse_ok("{\"errors\":true,\"items\":[{\"index\":{\"status\":201}},{\"index\":{\"status\":429}},"
             "{\"index\":{\"status\":200}}]}",
             3, &a, r);
    assert_int_equal(r[0].outcome, SL_OS_ITEM_OK);
    assert_int_equal(r[1].outcome, SL_OS_ITEM_RETRY);
    assert_string_equal(r[1].reason, "HTTP 429 Too Many Requests");
    assert_int_equal(r[2].outcome, SL_OS_ITEM_OK);
    sl_arena_free(&a);
}

static void parse_fails(const char *body, size_t n, const char *want) {
    sl_arena a;
    sl_arena_init(&a);
    sl_opensearch_item_result r[4];
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_opensearch_parse_bulk_response(body, strlen(body), n, &a, r, &err), SL_EPARSE);
    if (!strstr(err.message, want)) fprintf(stderr, "message: %s\n", err.message);
    assert_non_null(strstr(err.message, want));
    sl_arena_free(&a);
}

static void test_parse_malformed(void **state) {
    parse_fails("", 1, "not JSON");
    parse_fails("{\"items\":[", 1, "not JSON");
    parse_fails("[1,2]", 1, "not a JSON object");
    parse_fails("{\"errors\":false}", 1, "no items array");
    parse_fails("{\"items\":[{\"index\":{\"status\":201}}]}", 2, "1 items for the 2 documents");
    parse_fails("{\"items\":[{\"index\":{\"status\":201}},{\"index\":{}}]}", 2, "item 1 has no valid status");
    parse_fails("{\"items\":[{\"index\":{\"status\":\"201\"}}]}", 1, "item 0 has no valid status");
    parse_fails("{\"items\":[7]}", 1, "item 0 has no valid status");
    parse_fails("{\"items\":[{\"index\":{\"status\":42}}]}", 1, "item 0 has no valid status");
}

/* ======================================================================
 * index name templates
 * ====================================================================== */

static sl_value rec_of(sl_arena *a, const char *json) {
    sl_value v;
    assert_int_equal(sl_json_parse(json, strlen(json), a, &v, NULL), 0);
    return v;
}

static void render_is(const char *tpl, const sl_value *rec, const char *want) {
    sl_opensearch_template *t;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_opensearch_template_compile(tpl, &t, &err);
    if (rc) fprintf(stderr, "compile %s: %s\n", tpl, err.message);
    assert_int_equal(rc, 0);
    sl_buf out;
    sl_buf_init(&out, 0);
    rc = sl_opensearch_template_render(t, rec, &out, &err);
    if (rc) fprintf(stderr, "render %s: %s\n", tpl, err.message);
    assert_int_equal(rc, 0);
    assert_string_equal(out.data, want);
    sl_buf_free(&out);
    sl_opensearch_template_free(t);
}

static void render_fails(const char *tpl, const sl_value *rec, const char *want) {
    sl_opensearch_template *t;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_opensearch_template_compile(tpl, &t, &err), 0);
    sl_buf out;
    sl_buf_init(&out, 0);
    assert_int_equal(sl_opensearch_template_render(t, rec, &out, &err), SL_ETYPE);
    if (!strstr(err.message, want)) fprintf(stderr, "message: %s\n", err.message);
    assert_non_null(strstr(err.message, want));
    sl_buf_free(&out);
    sl_opensearch_template_free(t);
}

static void compile_fails(const char *tpl, const char *want) {
    sl_opensearch_template *t = (void *)1;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_opensearch_template_compile(tpl, &t, &err), SL_EINVAL);
    assert_null(t);
    if (!strstr(err.message, want)) fprintf(stderr, "message: %s\n", err.message);
    assert_non_null(strstr(err.message, want));
}

static void test_template_static(void **state) {
    sl_opensearch_template *t;
    assert_int_equal(sl_opensearch_template_compile("applogs", &t, NULL), 0);
    assert_true(sl_opensearch_template_is_static(t));
    sl_value empty = sl_struct(NULL, 0);
    sl_buf out;
    sl_buf_init(&out, 0);
    assert_int_equal(sl_opensearch_template_render(t, &empty, &out, NULL), 0);
    assert_string_equal(out.data, "applogs");
    sl_buf_free(&out);
    sl_opensearch_template_free(t);
    assert_int_equal(sl_opensearch_template_compile("logs-{service_name}", &t, NULL), 0);
    assert_false(sl_opensearch_template_is_static(t));
    sl_opensearch_template_free(t);
}

static void test_template_fields(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value r = rec_of(&a, "{\"service_name\":\"auth-service\",\"n\":42,\"metadata\":{\"region\":\"eu-west-1\"},"
                            "\"a.b\":\"dotted\",\"flag\":true,\"big\":123456789012345678901234567890}");
    render_is("logs-{service_name}", &r, "logs-auth-service");
    render_is("{service_name}-{n}", &r, "auth-service-42");
    render_is("logs-{metadata.region}-x", &r, "logs-eu-west-1-x");
    render_is("x-{`a.b`}", &r, "x-dotted");
    render_is("f-{flag}", &r, "f-true");
    render_is("big-{big}", &r, "big-123456789012345678901234567890");
    sl_arena_free(&a);
}

static void test_template_dates(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    /* 1732300000000 ms = 2024-11-22T18:26:40Z */
    sl_value r =
        rec_of(&a, "{\"ms\":1732300000000,\"ms_text\":\"1732300000000\",\"iso\":\"2024-11-22T23:30:00-02:00\","
                   "\"day\":\"2023-01-05\",\"neg\":-1,\"d\":1732300000123.0,\"iso_z\":\"2024-02-29T00:00:00Z\"}");
    render_is("logs-{ms:yyyy.MM.dd}", &r, "logs-2024.11.22");
    render_is("logs-{ms_text:yyyy.MM.dd}", &r, "logs-2024.11.22");
    render_is("logs-{iso:yyyy.MM.dd}", &r, "logs-2024.11.23"); /* 23:30 at -02:00 is 01:30 the next day UTC */
    render_is("logs-{day:yyyy-MM}", &r, "logs-2023-01");
    render_is("logs-{neg:yyyy.MM.dd.HH.mm.ss.SSS}", &r, "logs-1969.12.31.23.59.59.999");
    render_is("logs-{ms:yy.M.d.H}", &r, "logs-24.11.22.18");
    render_is("logs-{d:HH.mm.ss.SSS}", &r, "logs-18.26.40.123");
    render_is("logs-{iso_z:yyyy.MM.dd}", &r, "logs-2024.02.29");
    render_is("logs-{ms:yyyy'w'MM}", &r, "logs-2024w11");
    render_is("logs-{ms:YYYY.MM}", &r, "logs-2024.11");
    /* a timestamp value and a date value */
    sl_field f[2] = {{"t", 1, 0, sl_timestamp(1732300000000000LL)}, {"dt", 2, 0, sl_date(19000)}};
    sl_value typed = sl_struct(f, 2);
    render_is("logs-{t:yyyy.MM.dd}", &typed, "logs-2024.11.22");
    render_is("logs-{dt:yyyy.MM.dd}", &typed, "logs-2022.01.08");
    render_is("logs-{dt}", &typed, "logs-2022-01-08");
    sl_arena_free(&a);
}

static void test_template_render_errors(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value r = rec_of(&a, "{\"s\":\"Auth-Service\",\"nul\":null,\"obj\":{\"x\":1},\"bad\":\"yesterday\","
                            "\"sp\":\"a b\",\"under\":\"_x\",\"list\":[1]}");
    render_fails("logs-{missing}", &r, "index name field 'missing' is missing");
    render_fails("logs-{nul}", &r, "index name field 'nul' is null");
    render_fails("logs-{s}", &r, "must be lower case");
    render_fails("logs-{obj}", &r, "index name field 'obj' has type struct");
    render_fails("logs-{list}", &r, "has type array");
    render_fails("logs-{bad:yyyy}", &r, "not a time (epoch milliseconds or ISO 8601): string 'yesterday'");
    render_fails("logs-{obj:yyyy}", &r, "not a time");
    render_fails("logs-{sp}", &r, "cannot contain");
    render_fails("{under}", &r, "cannot start with");
    sl_field f[1] = {{"t", 1, 0, sl_timestamp(0)}};
    sl_value typed = sl_struct(f, 1);
    render_fails("logs-{t}", &typed, "give a date pattern");
    sl_arena_free(&a);
}

static void test_template_compile_errors(void **state) {
    compile_fails("logs-{ts", "is not closed");
    compile_fails("logs-}", "'}' without '{'");
    compile_fails("logs-{}", "bad field name");
    compile_fails("logs-{ts:}", "empty date pattern");
    compile_fails("logs-{ts:yyyy.ww}", "'ww' is not supported");
    compile_fails("logs-{ts:yyy}", "'yyy' is not supported");
    compile_fails("logs-{ts:'x}", "unclosed quote");
    compile_fails("Logs-{ts:yyyy}", "character 'L' is not allowed");
    compile_fails("logs {ts:yyyy}", "character ' ' is not allowed");
    compile_fails("Applogs", "must be lower case");
    compile_fails("_applogs", "cannot start with");
    compile_fails("..", "cannot be . or ..");
    compile_fails("", "cannot be empty");
}

static void test_index_name_rules(void **state) {
    const char *why;
    assert_true(sl_opensearch_index_name_ok("logs-2024.11.22", 15, &why));
    assert_null(why);
    assert_true(sl_opensearch_index_name_ok(".hidden", 7, NULL));
    assert_false(sl_opensearch_index_name_ok("a:b", 3, &why));
    assert_false(sl_opensearch_index_name_ok("a,b", 3, NULL));
    assert_false(sl_opensearch_index_name_ok("a#b", 3, NULL));
    assert_false(sl_opensearch_index_name_ok("+a", 2, NULL));
    assert_false(sl_opensearch_index_name_ok("-a", 2, NULL));
    char long_name[300];
    memset(long_name, 'a', sizeof long_name);
    assert_true(sl_opensearch_index_name_ok(long_name, 255, NULL));
    assert_false(sl_opensearch_index_name_ok(long_name, 256, &why));
    assert_non_null(strstr(why, "255"));
}

/* ======================================================================
 * error texts
 * ====================================================================== */

static void error_text_is(long status, const char *body, const char *want) {
    sl_http_response r;
    sl_http_response_init(&r);
    r.status = status;
    if (body) sl_buf_adds(&r.body, body);
    char out[400];
    sl_opensearch_error_text(&r, out, sizeof out);
    assert_string_equal(out, want);
    sl_http_response_free(&r);
}

static void test_error_text(void **state) {
    error_text_is(400,
                  "{\"error\":{\"root_cause\":[{\"type\":\"resource_already_exists_exception\",\"reason\":\"index "
                  "[logs/abc] already exists\"}],\"type\":\"resource_already_exists_exception\",\"reason\":\"index "
                  "[logs/abc] already exists\",\"index\":\"logs\"},\"status\":400}",
                  "HTTP 400 resource_already_exists_exception: index [logs/abc] already exists");
    error_text_is(413, "{\"Message\":\"Request size exceeded 10485760 bytes\"}",
                  "HTTP 413: Request size exceeded 10485760 bytes");
    error_text_is(403, "{\"message\":\"The security token included in the request is invalid.\"}",
                  "HTTP 403: The security token included in the request is invalid.");
    error_text_is(401, "Unauthorized", "HTTP 401: Unauthorized");
    error_text_is(413, "", "HTTP 413 Request Entity Too Large");
    error_text_is(500, "{\"error\":\"old style\"}", "HTTP 500 old style");
    error_text_is(404, "{\"error\":{\"type\":\"index_not_found_exception\"}}", "HTTP 404 index_not_found_exception");
    error_text_is(599, "  \n", "HTTP 599");
}

/* ======================================================================
 * a fake cluster behind the HTTP transport seam
 * ====================================================================== */

#define MAX_DOCS 4096

typedef struct fake_cluster {
    /* behaviour */
    int reject_every;       /* every Nth item received: 429 es_rejected_execution_exception */
    int fail_requests;      /* the first N _bulk requests: 503 as a whole */
    int transport_failures; /* the first N requests: no answer, nothing applied */
    int drop_request;       /* this request (1-based) is applied, then the answer is lost */
    size_t max_body;        /* 413 over this many NDJSON bytes (0 = no limit) */
    long force_status;      /* answer every request with this status (401, 400, …) */
    const char *force_body;
    const char *stuck_id; /* this id always gets 429 */
    /* state */
    char *ids[MAX_DOCS];
    int stored[MAX_DOCS]; /* times each id was written */
    size_t n_ids;
    int requests;
    long item_counter;
    size_t biggest_request_docs, biggest_request_bytes;
    int gzip_requests;
    char last_url[512];
    char last_method[16];
    char auth[512];
    char amz_sha[80];
    sl_buf last_body; /* decompressed */
    /* answers for the non-bulk calls: a queue of (status, body) */
    long next_status[8];
    const char *next_body[8];
    int n_next, at_next;
} fake_cluster;

static int fake_index_of(fake_cluster *f, const char *id, size_t len) {
    for (size_t i = 0; i < f->n_ids; i++)
        if (strlen(f->ids[i]) == len && !memcmp(f->ids[i], id, len)) return (int)i;
    return -1;
}

static void fake_free(fake_cluster *f) {
    for (size_t i = 0; i < f->n_ids; i++)
        free(f->ids[i]);
    sl_buf_free(&f->last_body);
}

static const char *header_value(const sl_http_request *req, const char *name) {
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].name, name)) return req->headers[i].value;
    return NULL;
}

static void fake_bulk(fake_cluster *f, const char *body, size_t len, sl_buf *out) {
    sl_arena a;
    sl_arena_init(&a);
    sl_buf_adds(out, "{\"took\":1,\"errors\":true,\"items\":[");
    size_t docs = 0;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        sl_value action, doc;
        assert_int_equal(sl_json_parse(p, (size_t)(nl - p), &a, &action, NULL), 0);
        p = nl + 1;
        nl = memchr(p, '\n', (size_t)(end - p));
        assert_non_null(nl);
        assert_int_equal(sl_json_parse(p, (size_t)(nl - p), &a, &doc, NULL), 0);
        p = nl + 1;
        assert_int_equal(action.type, SL_T_STRUCT);
        assert_int_equal(action.len, 1);
        const sl_field *op = &action.u.fields[0];
        const sl_value *id = sl_struct_get(&op->value, "_id");
        assert_non_null(id);
        assert_non_null(sl_struct_get(&op->value, "_index"));
        if (docs++) sl_buf_addc(out, ',');
        sl_buf_printf(out, "{\"%.*s\":", (int)op->name_len, op->name);
        f->item_counter++;
        int at = fake_index_of(f, id->u.s, id->len);
        bool create = op->name_len == 6 && !memcmp(op->name, "create", 6);
        if ((f->reject_every && f->item_counter % f->reject_every == 0) ||
            (f->stuck_id && strlen(f->stuck_id) == id->len && !memcmp(f->stuck_id, id->u.s, id->len))) {
            sl_buf_adds(out, "{\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":"
                             "\"rejected execution of primary operation\"}}}");
        } else if (sl_struct_get(&doc, "bad")) {
            sl_buf_adds(out, "{\"status\":400,\"error\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to "
                             "parse field [bad] of type [long]\",\"caused_by\":{\"type\":\"number_format_exception\","
                             "\"reason\":\"For input string: \\\"x\\\"\"}}}}");
        } else if (create && at >= 0 && f->stored[at] > 0) {
            sl_buf_adds(out, "{\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\",\"reason\":"
                             "\"version conflict, document already exists (current version [1])\"}}}");
        } else {
            if (at < 0) {
                assert_true(f->n_ids < MAX_DOCS);
                at = (int)f->n_ids++;
                f->ids[at] = strndup(id->u.s, id->len);
            }
            f->stored[at]++;
            sl_buf_printf(out, "{\"status\":%d}}", f->stored[at] == 1 ? 201 : 200);
        }
    }
    sl_buf_adds(out, "]}");
    if (docs > f->biggest_request_docs) f->biggest_request_docs = docs;
    if (len > f->biggest_request_bytes) f->biggest_request_bytes = len;
    sl_arena_free(&a);
}

static int fake_perform(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    fake_cluster *f = self;
    f->requests++;
    snprintf(f->last_url, sizeof f->last_url, "%s", req->url);
    snprintf(f->last_method, sizeof f->last_method, "%s", req->method);
    const char *auth = header_value(req, "Authorization");
    snprintf(f->auth, sizeof f->auth, "%s", auth ? auth : "");
    const char *sha = header_value(req, "X-Amz-Content-Sha256");
    snprintf(f->amz_sha, sizeof f->amz_sha, "%s", sha ? sha : "");
    /* the body as the server sees it */
    sl_buf_reset(&f->last_body);
    const char *enc = header_value(req, "Content-Encoding");
    if (enc && !strcmp(enc, "gzip")) {
        f->gzip_requests++;
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        size_t cap = 64u << 20, got = 0;
        sl_buf_reserve(&f->last_body, cap);
        assert_int_equal(libdeflate_gzip_decompress(d, req->body, req->body_len, f->last_body.data, cap, &got), 0);
        f->last_body.len = got;
        f->last_body.data[got] = 0;
        libdeflate_free_decompressor(d);
    } else if (req->body_len) {
        sl_buf_add(&f->last_body, req->body, req->body_len);
    }
    if (f->transport_failures > 0) {
        f->transport_failures--;
        snprintf(resp->error, sizeof resp->error, "Connection reset by peer");
        return sl_error_set(err, SL_EIO, "connection reset");
    }
    if (f->force_status) {
        resp->status = f->force_status;
        if (f->force_body) sl_buf_adds(&resp->body, f->force_body);
        return SL_OK;
    }
    bool bulk = strstr(req->url, "/_bulk") != NULL;
    if (!bulk) {
        assert_true(f->at_next < f->n_next);
        resp->status = f->next_status[f->at_next];
        sl_buf_adds(&resp->body, f->next_body[f->at_next]);
        f->at_next++;
        return SL_OK;
    }
    assert_string_equal(header_value(req, "Content-Type"), "application/x-ndjson");
    assert_non_null(strstr(req->url, "/_bulk?filter_path=errors,items.*.status,items.*.error"));
    if (f->max_body && f->last_body.len > f->max_body) {
        resp->status = 413;
        return SL_OK;
    }
    if (f->fail_requests > 0) {
        f->fail_requests--;
        resp->status = 503;
        sl_buf_adds(&resp->body, "{\"error\":{\"type\":\"unavailable_shards_exception\",\"reason\":\"not ready\"},"
                                 "\"status\":503}");
        sl_buf_adds(&resp->headers, "Retry-After: 1\r\n");
        return SL_OK;
    }
    fake_bulk(f, f->last_body.data ? f->last_body.data : "", f->last_body.len, &resp->body);
    if (f->drop_request == f->requests) {
        sl_buf_reset(&resp->body);
        snprintf(resp->error, sizeof resp->error, "Empty reply from server");
        return sl_error_set(err, SL_EIO, "empty reply");
    }
    resp->status = 200;
    return SL_OK;
}

typedef struct sleeps {
    int n;
    long total_ms;
    long max_ms;
} sleeps;

static void count_sleep(void *ud, long ms) {
    sleeps *s = ud;
    s->n++;
    s->total_ms += ms;
    if (ms > s->max_ms) s->max_ms = ms;
}

typedef struct rejects {
    int n;
    char reasons[16][600];
    char docs[16][200];
    int stop_after; /* return an error on this rejection (1-based), 0 = never */
} rejects;

static int collect_reject(void *ud, const sl_opensearch_item_src *src, const char *doc, size_t doc_len,
                          const char *reason, sl_error *err) {
    rejects *r = ud;
    if (r->n < 16) {
        snprintf(r->reasons[r->n], sizeof r->reasons[0], "%s", reason);
        snprintf(r->docs[r->n], sizeof r->docs[0], "%.*s", (int)doc_len, doc);
    }
    r->n++;
    assert_string_equal(src->source, "input.json");
    if (r->stop_after && r->n == r->stop_after)
        return sl_error_set(err, SL_ELIMIT, "more than %d records went to the error output", r->n - 1);
    return SL_OK;
}

typedef struct harness {
    fake_cluster f;
    sleeps s;
    rejects r;
    sl_opensearch_conn *conn;
    sl_opensearch_bulk *bulk;
    sl_arena arena;
} harness;

static void harness_open(harness *h, const sl_opensearch_config *cfg, sl_opensearch_bulk_options *o) {
    sl_buf_init(&h->f.last_body, 0);
    sl_arena_init(&h->arena);
    sl_opensearch_config def = {.endpoint = "http://cluster.test:9200/"};
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_opensearch_conn_new(cfg ? cfg : &def, &h->conn, &err);
    if (rc) fprintf(stderr, "conn: %s\n", err.message);
    assert_int_equal(rc, 0);
    sl_http_transport t = {fake_perform, &h->f};
    sl_opensearch_conn_set_transport(h->conn, &t);
    sl_opensearch_conn_set_sleep(h->conn, count_sleep, &h->s);
    if (!o) return;
    o->reject = collect_reject;
    o->reject_ud = &h->r;
    assert_int_equal(sl_opensearch_bulk_new(h->conn, o, &h->bulk, NULL), 0);
}

static void harness_close(harness *h) {
    sl_opensearch_bulk_free(h->bulk);
    sl_opensearch_conn_free(h->conn);
    sl_arena_free(&h->arena);
    fake_free(&h->f);
}

/* Queue documents doc-0000 … with {"id":…,"n":i} (plus "bad" for ids in bad[]). */
static int add_docs(harness *h, int from, int to, int bad_every, sl_error *err) {
    for (int i = from; i < to; i++) {
        char id[32], json[160];
        snprintf(id, sizeof id, "doc-%04d", i);
        snprintf(json, sizeof json, "{\"id\":\"%s\",\"n\":%d,\"msg\":\"hello \\\"world\\\" %d\"%s}", id, i, i,
                 bad_every && i % bad_every == 0 ? ",\"bad\":\"x\"" : "");
        sl_value doc;
        assert_int_equal(sl_json_parse(json, strlen(json), &h->arena, &doc, NULL), 0);
        sl_opensearch_item_src src = {"input.json", (uint64_t)i + 1, i * 100};
        int rc = sl_opensearch_bulk_add(h->bulk, "logs", 4, id, strlen(id), &doc, &src, err);
        if (rc) return rc;
    }
    return SL_OK;
}

static void expect_each_stored_once(const fake_cluster *f, int from, int to, int bad_every) {
    int want = 0;
    for (int i = from; i < to; i++) {
        char id[32];
        snprintf(id, sizeof id, "doc-%04d", i);
        int at = fake_index_of((fake_cluster *)f, id, strlen(id));
        if (bad_every && i % bad_every == 0) {
            assert_true(at < 0 || f->stored[at] == 0);
            continue;
        }
        want++;
        if (at < 0) fprintf(stderr, "%s never stored\n", id);
        assert_true(at >= 0);
        if (f->stored[at] != 1) fprintf(stderr, "%s stored %d times\n", id, f->stored[at]);
        assert_int_equal(f->stored[at], 1);
    }
    assert_int_equal((int)f->n_ids, want);
}

/* 20% of items refused with 429: only those are sent again, each ends up
 * stored exactly once, nothing goes to the error output. */
static void test_bulk_429_items_resent_only(void **state) {
    harness h = {0};
    h.f.reject_every = 5;
    sl_opensearch_bulk_options o = {.max_docs = 100, .max_bytes = 1 << 20, .gzip_level = 1, .max_retries = 8};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 1000, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    expect_each_stored_once(&h.f, 0, 1000, 0);
    assert_int_equal(h.r.n, 0);
    sl_opensearch_bulk_stats st;
    sl_opensearch_bulk_get_stats(h.bulk, &st);
    assert_int_equal(st.docs_ok, 1000);
    assert_int_equal(st.docs_rejected, 0);
    assert_true(st.docs_resent >= 200); /* 20% of the first sends at least */
    assert_true(st.docs_resent < 300);  /* and never the accepted ones */
    assert_true(h.f.item_counter == (long)(1000 + st.docs_resent));
    assert_int_equal(h.f.gzip_requests, h.f.requests);
    assert_true(h.f.biggest_request_docs <= 100);
    assert_true(h.s.n > 0); /* backed off before re-sending */
    harness_close(&h);
}

/* Mapping errors and 409s go to the reject callback with the document and
 * the reason, once, and are never sent again. */
static void test_bulk_permanent_rejects(void **state) {
    harness h = {0};
    sl_opensearch_bulk_options o = {
        .max_docs = 50, .max_bytes = 1 << 20, .max_retries = 3, .action = SL_OS_ACTION_CREATE};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 100, 10, &err), 0); /* 0, 10, 20 … carry "bad" */
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    expect_each_stored_once(&h.f, 0, 100, 10);
    assert_int_equal(h.r.n, 10);
    assert_non_null(strstr(h.r.reasons[0], "HTTP 400 mapper_parsing_exception: failed to parse field [bad]"));
    assert_non_null(strstr(h.r.reasons[0], "caused by: number_format_exception"));
    assert_string_equal(h.r.docs[0], "{\"id\":\"doc-0000\",\"n\":0,\"msg\":\"hello \\\"world\\\" 0\",\"bad\":\"x\"}");
    assert_int_equal(h.f.gzip_requests, 0); /* gzip_level 0: sent as is */
    int requests = h.f.requests;
    /* the same ids again with create: every stored one is a 409 */
    h.r.n = 0;
    assert_int_equal(add_docs(&h, 1, 4, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    assert_int_equal(h.r.n, 3);
    assert_non_null(strstr(h.r.reasons[0], "HTTP 409 version_conflict_engine_exception"));
    assert_null(strstr(h.r.reasons[0], "earlier attempt"));
    assert_int_equal(h.f.requests, requests + 1);
    harness_close(&h);
}

/* Whole-request 503 (nothing applied) and connection errors: the request
 * is sent again; documents are stored once. */
static void test_bulk_whole_request_retries(void **state) {
    harness h = {0};
    h.f.fail_requests = 2;
    h.f.transport_failures = 1;
    sl_opensearch_bulk_options o = {.max_docs = 1000, .max_bytes = 1 << 20, .gzip_level = 6, .max_retries = 5};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 300, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    expect_each_stored_once(&h.f, 0, 300, 0);
    assert_int_equal(h.f.requests, 4); /* reset, 503, 503, ok */
    assert_int_equal(h.s.n, 3);
    assert_true(h.s.max_ms >= 1000 || h.s.total_ms >= 1000); /* Retry-After: 1 was honoured */
    harness_close(&h);
}

/* An answer lost after the server applied the request: the re-send meets
 * 409 on create, and the error output says the document may be our own. */
static void test_bulk_lost_answer_create(void **state) {
    harness h = {0};
    h.f.drop_request = 1;
    sl_opensearch_bulk_options o = {
        .max_docs = 1000, .max_bytes = 1 << 20, .max_retries = 3, .action = SL_OS_ACTION_CREATE};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 3, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    assert_int_equal(h.r.n, 3);
    assert_non_null(strstr(h.r.reasons[0], "HTTP 409"));
    assert_non_null(strstr(h.r.reasons[0], "an earlier attempt of this request got no answer"));
    expect_each_stored_once(&h.f, 0, 3, 0);
    harness_close(&h);
}

/* 413: the request is split in halves until it fits; one document that is
 * too big on its own goes to the error output. */
static void test_bulk_413_split(void **state) {
    harness h = {0};
    h.f.max_body = 2000;
    sl_opensearch_bulk_options o = {.max_docs = 64, .max_bytes = 1 << 20, .max_retries = 3};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 60, 0, &err), 0);
    char big[4000] = "{\"big\":\"";
    memset(big + 8, 'x', 3000);
    strcpy(big + 3008, "\"}");
    sl_value doc;
    assert_int_equal(sl_json_parse(big, strlen(big), &h.arena, &doc, NULL), 0);
    sl_opensearch_item_src src = {"input.json", 61, -1};
    assert_int_equal(sl_opensearch_bulk_add(h.bulk, "logs", 4, "huge", 4, &doc, &src, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    expect_each_stored_once(&h.f, 0, 60, 0);
    assert_int_equal(h.r.n, 1);
    assert_non_null(strstr(h.r.reasons[0], "HTTP 413"));
    assert_non_null(strstr(h.r.docs[0], "xxxx"));
    assert_true(h.f.biggest_request_bytes <= 2000);
    harness_close(&h);
}

/* Requests stay within max_bytes and max_docs. */
static void test_bulk_bounds(void **state) {
    harness h = {0};
    sl_opensearch_bulk_options o = {.max_docs = 7, .max_bytes = 1500, .max_retries = 3};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 200, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    expect_each_stored_once(&h.f, 0, 200, 0);
    assert_true(h.f.biggest_request_docs <= 7);
    assert_true(h.f.biggest_request_bytes <= 1500);
    sl_opensearch_bulk_stats st;
    sl_opensearch_bulk_get_stats(h.bulk, &st);
    assert_true(st.requests >= 200 / 7);
    assert_int_equal(st.docs_ok, 200);
    harness_close(&h);
}

/* An item refused every time: the flush fails after max_retries re-sends,
 * naming how many documents are left; the others were sent once. */
static void test_bulk_retries_exhausted(void **state) {
    harness h = {0};
    h.f.stuck_id = "doc-0003";
    sl_opensearch_bulk_options o = {.max_docs = 100, .max_bytes = 1 << 20, .max_retries = 4};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 10, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), SL_EIO);
    assert_non_null(strstr(err.message, "1 documents were still refused by http://cluster.test:9200 after 4 "
                                        "re-sends (last: HTTP 429 es_rejected_execution_exception"));
    assert_int_equal(h.f.requests, 5);
    assert_int_equal(h.f.item_counter, 10 + 4);
    assert_int_equal((int)h.f.n_ids, 9);
    harness_close(&h);
}

/* The reject callback can stop the run (max_errors). */
static void test_bulk_reject_threshold(void **state) {
    harness h = {0};
    h.r.stop_after = 2;
    sl_opensearch_bulk_options o = {.max_docs = 100, .max_bytes = 1 << 20, .max_retries = 4};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 50, 5, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), SL_ELIMIT);
    assert_non_null(strstr(err.message, "error output"));
    harness_close(&h);
}

/* A cancelled run stops retrying. */
static void test_bulk_cancel(void **state) {
    harness h = {0};
    h.f.fail_requests = 100;
    volatile int cancel = 1;
    sl_opensearch_bulk_options o = {.max_docs = 100, .max_bytes = 1 << 20, .max_retries = 50, .cancel = &cancel};
    harness_open(&h, NULL, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 5, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), SL_EIO);
    assert_non_null(strstr(err.message, "stopping"));
    assert_int_equal(h.f.requests, 0);
    harness_close(&h);
}

/* ======================================================================
 * authentication
 * ====================================================================== */

static void test_basic_auth(void **state) {
    setenv("SL_TEST_OS_PASSWORD", "s3cret-pw", 1);
    harness h = {0};
    sl_opensearch_config cfg = {
        .endpoint = "https://cluster.test:9200", .user = "admin", .password_env = "SL_TEST_OS_PASSWORD"};
    sl_opensearch_bulk_options o = {.max_docs = 10, .max_bytes = 1 << 20, .max_retries = 2};
    harness_open(&h, &cfg, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 3, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    assert_string_equal(h.f.auth, "Basic YWRtaW46czNjcmV0LXB3"); /* admin:s3cret-pw */
    /* the server refuses the password: a clear failure that never shows it */
    h.f.force_status = 401;
    h.f.force_body = "Unauthorized";
    assert_int_equal(add_docs(&h, 3, 5, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), SL_EIO);
    assert_non_null(strstr(err.message, "authentication failed for user 'admin' at https://cluster.test:9200"));
    assert_non_null(strstr(err.message, "SL_TEST_OS_PASSWORD"));
    assert_null(strstr(err.message, "s3cret"));
    sl_error_clear(&err);
    assert_int_equal(sl_opensearch_ping(h.conn, &err), SL_EIO);
    assert_non_null(strstr(err.message, "authentication failed"));
    assert_null(strstr(err.message, "s3cret"));
    harness_close(&h);
    unsetenv("SL_TEST_OS_PASSWORD");
}

static void conn_fails(const sl_opensearch_config *cfg, const char *want) {
    sl_opensearch_conn *c = (void *)1;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_opensearch_conn_new(cfg, &c, &err), SL_EINVAL);
    assert_null(c);
    if (!strstr(err.message, want)) fprintf(stderr, "message: %s\n", err.message);
    assert_non_null(strstr(err.message, want));
}

static void test_conn_config_errors(void **state) {
    unsetenv("SL_TEST_OS_UNSET");
    conn_fails(&(sl_opensearch_config){.endpoint = "http://x", .user = "u", .password_env = "SL_TEST_OS_UNSET"},
               "environment variable SL_TEST_OS_UNSET is not set");
    conn_fails(&(sl_opensearch_config){.endpoint = "http://x", .user = "u"}, "needs password_env");
    conn_fails(&(sl_opensearch_config){.endpoint = "http://x", .auth = "basic"}, "basic auth needs a user");
    conn_fails(&(sl_opensearch_config){.endpoint = "ftp://x"}, "must start with http:// or https://");
    conn_fails(&(sl_opensearch_config){.endpoint = NULL}, "no endpoint");
    conn_fails(&(sl_opensearch_config){.endpoint = "http://x", .auth = "kerberos"}, "unknown auth 'kerberos'");
    conn_fails(&(sl_opensearch_config){.endpoint = "http://x", .auth = "sigv4", .aws_service = "s3"},
               "unknown aws_service 's3'");
}

static void sigv4_case(const char *service, const char *scope) {
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    setenv("AWS_REGION", "eu-west-1", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
    setenv("AWS_CONFIG_FILE", "/dev/null", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    harness h = {0};
    sl_opensearch_config cfg = {
        .endpoint = "https://search-x.eu-west-1.es.amazonaws.com", .auth = "sigv4", .aws_service = service};
    sl_opensearch_bulk_options o = {.max_docs = 10, .max_bytes = 1 << 20, .gzip_level = 1, .max_retries = 2};
    harness_open(&h, &cfg, &o);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(add_docs(&h, 0, 2, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), 0);
    assert_non_null(strstr(h.f.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
    assert_non_null(strstr(h.f.auth, scope));
    assert_non_null(strstr(h.f.auth, "content-encoding;content-type;host;x-amz-content-sha256;x-amz-date"));
    assert_int_equal(strlen(h.f.amz_sha), 64); /* Serverless needs the payload hash header */
    assert_null(strstr(h.f.auth, "wJalrXUtnFEMI"));
    /* 403 from the service: the message points at credentials and policy */
    h.f.force_status = 403;
    h.f.force_body = "{\"message\":\"The security token included in the request is invalid.\"}";
    assert_int_equal(add_docs(&h, 2, 3, 0, &err), 0);
    assert_int_equal(sl_opensearch_bulk_flush(h.bulk, &err), SL_EIO);
    assert_non_null(strstr(err.message, "check the AWS credentials, region 'eu-west-1'"));
    assert_non_null(strstr(err.message, "The security token included in the request is invalid."));
    harness_close(&h);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_REGION");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
}

static void test_sigv4_es(void **state) { sigv4_case("es", "/eu-west-1/es/aws4_request"); }
static void test_sigv4_aoss(void **state) { sigv4_case("aoss", "/eu-west-1/aoss/aws4_request"); }

/* ======================================================================
 * search, index creation, refresh, count
 * ====================================================================== */

static void queue_answer(fake_cluster *f, long status, const char *body) {
    f->next_status[f->n_next] = status;
    f->next_body[f->n_next] = body;
    f->n_next++;
}

static void test_search(void **state) {
    harness h = {0};
    harness_open(&h, NULL, NULL);
    const char *hits = "{\"took\":1,\"hits\":{\"total\":{\"value\":1,\"relation\":\"eq\"},\"hits\":[{\"_id\":\"a\"}]}}";
    queue_answer(&h.f, 200, hits);
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_error err;
    sl_error_clear(&err);
    const char *q = "{\"query\":{\"bool\":{\"must\":[{\"match\":{\"message\":\"timeout\"}}]}},\"size\":10}";
    assert_int_equal(sl_opensearch_search(h.conn, "logs-2024*", q, &out, &err), 0);
    assert_string_equal(out.data, hits);
    assert_string_equal(h.f.last_method, "POST");
    assert_string_equal(h.f.last_url, "http://cluster.test:9200/logs-2024*/_search");
    assert_string_equal(h.f.last_body.data, q);
    /* no index: every index; 503 twice then an answer */
    sl_buf_reset(&out);
    queue_answer(&h.f, 503, "{\"error\":{\"type\":\"x\",\"reason\":\"busy\"}}");
    queue_answer(&h.f, 503, "{\"error\":{\"type\":\"x\",\"reason\":\"busy\"}}");
    queue_answer(&h.f, 200, "{}");
    assert_int_equal(sl_opensearch_search(h.conn, NULL, "{}", &out, &err), 0);
    assert_string_equal(h.f.last_url, "http://cluster.test:9200/_search");
    assert_string_equal(out.data, "{}");
    assert_int_equal(h.s.n, 2);
    /* errors */
    queue_answer(&h.f, 404,
                 "{\"error\":{\"type\":\"index_not_found_exception\",\"reason\":\"no such index [nope]\"},"
                 "\"status\":404}");
    assert_int_equal(sl_opensearch_search(h.conn, "nope", "{}", &out, &err), SL_ENOTFOUND);
    assert_string_equal(err.message, "search in 'nope': HTTP 404 index_not_found_exception: no such index [nope]");
    queue_answer(&h.f, 400,
                 "{\"error\":{\"type\":\"parsing_exception\",\"reason\":\"unknown query [mtch]\"},"
                 "\"status\":400}");
    assert_int_equal(sl_opensearch_search(h.conn, "logs", "{\"query\":{\"mtch\":{}}}", &out, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "parsing_exception: unknown query [mtch]"));
    /* a name that needs escaping in the URL */
    queue_answer(&h.f, 200, "{}");
    assert_int_equal(sl_opensearch_search(h.conn, "a b/c", "{}", &out, &err), 0);
    assert_string_equal(h.f.last_url, "http://cluster.test:9200/a%20b%2Fc/_search");
    sl_buf_free(&out);
    harness_close(&h);
}

static void test_search_gives_up(void **state) {
    harness h = {0};
    harness_open(&h, NULL, NULL);
    h.f.force_status = 503;
    h.f.force_body = "{\"error\":{\"type\":\"cluster_block_exception\",\"reason\":\"blocked\"}}";
    sl_buf out;
    sl_buf_init(&out, 0);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_opensearch_search(h.conn, "logs", "{}", &out, &err), SL_EIO);
    assert_non_null(strstr(err.message, "HTTP 503 cluster_block_exception: blocked (after 8 attempts)"));
    assert_int_equal(h.f.requests, 8);
    assert_int_equal(out.len, 0);
    sl_buf_free(&out);
    harness_close(&h);
}

static void test_create_refresh_count(void **state) {
    harness h = {0};
    harness_open(&h, NULL, NULL);
    sl_error err;
    sl_error_clear(&err);
    bool created = false;
    queue_answer(&h.f, 200, "{\"acknowledged\":true,\"shards_acknowledged\":true,\"index\":\"logs\"}");
    const char *body = "{\"mappings\":{\"dynamic\":\"strict\"}}";
    assert_int_equal(sl_opensearch_create_index(h.conn, "logs", body, strlen(body), &created, &err), 0);
    assert_true(created);
    assert_string_equal(h.f.last_method, "PUT");
    assert_string_equal(h.f.last_url, "http://cluster.test:9200/logs");
    assert_string_equal(h.f.last_body.data, body);
    queue_answer(&h.f, 400,
                 "{\"error\":{\"type\":\"resource_already_exists_exception\",\"reason\":\"index "
                 "[logs/x] already exists\"},\"status\":400}");
    assert_int_equal(sl_opensearch_create_index(h.conn, "logs", NULL, 0, &created, &err), 0);
    assert_false(created);
    queue_answer(&h.f, 400,
                 "{\"error\":{\"type\":\"invalid_index_name_exception\",\"reason\":\"Invalid index "
                 "name [A], must be lowercase\"},\"status\":400}");
    assert_int_equal(sl_opensearch_create_index(h.conn, "A", NULL, 0, &created, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "creating index 'A': HTTP 400 invalid_index_name_exception"));
    queue_answer(&h.f, 200, "{\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}}");
    assert_int_equal(sl_opensearch_refresh(h.conn, "a,b", &err), 0);
    assert_string_equal(h.f.last_url, "http://cluster.test:9200/a,b/_refresh");
    uint64_t n = 0;
    queue_answer(&h.f, 200, "{\"count\":5000,\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0}}");
    assert_int_equal(sl_opensearch_count(h.conn, "logs-*", NULL, &n, &err), 0);
    assert_int_equal(n, 5000);
    assert_string_equal(h.f.last_url, "http://cluster.test:9200/logs-*/_count");
    queue_answer(&h.f, 200, "{\"took\":1}");
    assert_int_equal(sl_opensearch_count(h.conn, "logs", "{\"query\":{\"match_all\":{}}}", &n, &err), SL_EPARSE);
    harness_close(&h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_all_ok),
        cmocka_unit_test(test_parse_mixed),
        cmocka_unit_test(test_parse_filtered),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_template_static),
        cmocka_unit_test(test_template_fields),
        cmocka_unit_test(test_template_dates),
        cmocka_unit_test(test_template_render_errors),
        cmocka_unit_test(test_template_compile_errors),
        cmocka_unit_test(test_index_name_rules),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_bulk_429_items_resent_only),
        cmocka_unit_test(test_bulk_permanent_rejects),
        cmocka_unit_test(test_bulk_whole_request_retries),
        cmocka_unit_test(test_bulk_lost_answer_create),
        cmocka_unit_test(test_bulk_413_split),
        cmocka_unit_test(test_bulk_bounds),
        cmocka_unit_test(test_bulk_retries_exhausted),
        cmocka_unit_test(test_bulk_reject_threshold),
        cmocka_unit_test(test_bulk_cancel),
        cmocka_unit_test(test_basic_auth),
        cmocka_unit_test(test_conn_config_errors),
        cmocka_unit_test(test_sigv4_es),
        cmocka_unit_test(test_sigv4_aoss),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_search_gives_up),
        cmocka_unit_test(test_create_refresh_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
