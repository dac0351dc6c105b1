/* test_dynamodb.c — DynamoDB client offline: request bodies, response
 * parsing, item checks, and the calls through a fake HTTP transport
 * (pagination, UnprocessedItems, throttling, validation errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/dynamodb.h"
#include "formats/ddbjson.h"
#include "formats/json.h"

static sl_value parse(sl_arena *a, const char *json) {
    sl_value v;
    assert_int_equal(sl_json_parse(json, strlen(json), a, &v, NULL), 0);
    return v;
}

static void expect_json(const sl_value *v, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_json_write(&b, v);
    assert_string_equal(b.data, want);
    sl_buf_free(&b);
}

/* JSON text of the member at a dotted path of a parsed object. */
static void expect_member(const sl_value *root, const char *path, const char *want) {
    const sl_value *v = sl_value_path(root, path, strlen(path));
    assert_non_null(v);
    expect_json(v, want);
}

/* ---- request bodies ---- */

static void test_scan_request_minimal(void **state) {
    sl_ddb_scan_params p = {.table = "AppLogs"};
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_ddb_scan_request(&p, &b);
    assert_string_equal(b.data, "{\"TableName\":\"AppLogs\",\"ReturnConsumedCapacity\":\"TOTAL\"}");
    sl_buf_free(&b);
}

static void test_scan_request_full(void **state) {
    const char *names[] = {"log_id", "timestamp", "odd \"name\".x"};
    sl_ddb_scan_params p = {.table = "App\"Logs",
                            .segment = 2,
                            .total_segments = 4,
                            .consistent_read = true,
                            .projection = names,
                            .n_projection = 3,
                            .limit = 100,
                            .start_key = "{\"log_id\":{\"S\":\"x\"}}"};
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_ddb_scan_request(&p, &b);
    sl_arena a;
    sl_arena_init(&a);
    sl_value root = parse(&a, b.data);
    expect_member(&root, "TableName", "\"App\\\"Logs\"");
    expect_member(&root, "Segment", "2");
    expect_member(&root, "TotalSegments", "4");
    expect_member(&root, "ConsistentRead", "true");
    expect_member(&root, "Limit", "100");
    expect_member(&root, "ProjectionExpression", "\"#p0,#p1,#p2\"");
    expect_member(&root, "ExpressionAttributeNames",
                  "{\"#p0\":\"log_id\",\"#p1\":\"timestamp\",\"#p2\":\"odd \\\"name\\\".x\"}");
    expect_member(&root, "ExclusiveStartKey", "{\"log_id\":{\"S\":\"x\"}}");
    expect_member(&root, "ReturnConsumedCapacity", "\"TOTAL\"");
    sl_arena_free(&a);
    sl_buf_free(&b);
}

static void test_batch_write_request(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value items[2] = {parse(&a, "{\"id\":{\"S\":\"a\"},\"n\":{\"N\":\"1\"}}"),
                         parse(&a, "{\"id\":{\"S\":\"b\"},\"tags\":{\"SS\":[\"x\",\"y\"]}}")};
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_ddb_batch_write_request("T", items, 2, &b);
    assert_string_equal(b.data,
                        "{\"RequestItems\":{\"T\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"a\"},\"n\":{\"N\":"
                        "\"1\"}}}},{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"},\"tags\":{\"SS\":[\"x\","
                        "\"y\"]}}}}]},\"ReturnConsumedCapacity\":\"TOTAL\"}");
    sl_buf_free(&b);
    sl_arena_free(&a);
}

/* ---- responses ---- */

static const char *scan_page1 =
    "{\"Count\":3,\"Items\":["
    "{\"log_id\":{\"S\":\"a\"},\"timestamp\":{\"N\":\"1732300000123\"},\"latency\":{\"N\":\"0.125\"},"
    "\"metadata\":{\"M\":{\"host\":{\"S\":\"h1\"},\"tags\":{\"SS\":[\"x\",\"y\"]}}}},"
    "{\"log_id\":{\"S\":\"b\"},\"timestamp\":{\"S\":\"2024-11-22T10:00:00Z\"},"
    "\"big\":{\"N\":\"123456789012345678901234567890.5\"}},"
    "{\"log_id\":{\"S\":\"c\"},\"ok\":{\"BOOL\":false},\"none\":{\"NULL\":true}}],"
    "\"ScannedCount\":3,\"LastEvaluatedKey\":{\"log_id\":{\"S\":\"c\"}},"
    "\"ConsumedCapacity\":{\"TableName\":\"AppLogs\",\"CapacityUnits\":2.5}}";

static void test_scan_response(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_ddb_page page;
    assert_int_equal(sl_ddb_scan_response(scan_page1, strlen(scan_page1), &a, &page, NULL), 0);
    assert_int_equal(page.count, 3);
    assert_string_equal(page.last_key, "{\"log_id\":{\"S\":\"c\"}}");
    assert_true(page.consumed == 2.5);
    sl_value rec;
    assert_int_equal(sl_ddb_item_to_record(&a, &page.items[0], &rec, NULL), 0);
    expect_json(&rec, "{\"log_id\":\"a\",\"timestamp\":1732300000123,\"latency\":0.125,"
                      "\"metadata\":{\"host\":\"h1\",\"tags\":[\"x\",\"y\"]}}");
    assert_int_equal(sl_struct_get(&rec, "timestamp")->type, SL_T_INT);
    assert_int_equal(sl_struct_get(&rec, "latency")->type, SL_T_DECIMAL);
    assert_int_equal(sl_ddb_item_to_record(&a, &page.items[1], &rec, NULL), 0);
    expect_json(&rec, "{\"log_id\":\"b\",\"timestamp\":\"2024-11-22T10:00:00Z\","
                      "\"big\":123456789012345678901234567890.5}");
    free(page.last_key);

    const char *last = "{\"Count\":0,\"Items\":[],\"ScannedCount\":0,\"ConsumedCapacity\":{\"CapacityUnits\":1}}";
    assert_int_equal(sl_ddb_scan_response(last, strlen(last), &a, &page, NULL), 0);
    assert_int_equal(page.count, 0);
    assert_null(page.last_key);
    assert_true(page.consumed == 1.0);

    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_ddb_scan_response("{\"Items\":", 9, &a, &page, &err), SL_EPARSE);
    assert_non_null(strstr(err.message, "Scan"));
    assert_int_equal(sl_ddb_scan_response("{\"Items\":3}", 11, &a, &page, &err), SL_EPARSE);
    assert_int_equal(sl_ddb_scan_response("[]", 2, &a, &page, &err), SL_EPARSE);
    sl_arena_free(&a);
}

static void test_table_response(void **state) {
    const char *prov =
        "{\"Table\":{\"AttributeDefinitions\":[{\"AttributeName\":\"ts\",\"AttributeType\":\"N\"},"
        "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}],\"TableName\":\"Claims\",\"KeySchema\":["
        "{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"ts\",\"KeyType\":\"RANGE\"}],"
        "\"TableStatus\":\"ACTIVE\",\"ProvisionedThroughput\":{\"ReadCapacityUnits\":40,\"WriteCapacityUnits\":5},"
        "\"TableSizeBytes\":1073741824,\"ItemCount\":5000000}}";
    sl_ddb_table t;
    assert_int_equal(sl_ddb_table_response(prov, strlen(prov), &t, NULL), 0);
    assert_string_equal(t.name, "Claims");
    assert_string_equal(t.status, "ACTIVE");
    assert_false(t.on_demand);
    assert_true(t.read_capacity == 40);
    assert_true(t.write_capacity == 5);
    assert_int_equal(t.size_bytes, 1073741824);
    assert_int_equal(t.item_count, 5000000);
    assert_string_equal(t.hash_key.name, "pk");
    assert_int_equal(t.hash_key.type, 'S');
    assert_string_equal(t.range_key.name, "ts");
    assert_int_equal(t.range_key.type, 'N');

    const char *ondemand =
        "{\"Table\":{\"AttributeDefinitions\":[{\"AttributeName\":\"log_id\",\"AttributeType\":\"S\"}],"
        "\"TableName\":\"AppLogs\",\"KeySchema\":[{\"AttributeName\":\"log_id\",\"KeyType\":\"HASH\"}],"
        "\"TableStatus\":\"ACTIVE\",\"ProvisionedThroughput\":{\"NumberOfDecreasesToday\":0,"
        "\"ReadCapacityUnits\":0,\"WriteCapacityUnits\":0},\"BillingModeSummary\":{\"BillingMode\":"
        "\"PAY_PER_REQUEST\"},\"TableSizeBytes\":0,\"ItemCount\":0}}";
    assert_int_equal(sl_ddb_table_response(ondemand, strlen(ondemand), &t, NULL), 0);
    assert_true(t.on_demand);
    assert_true(t.read_capacity == 0);
    assert_string_equal(t.hash_key.name, "log_id");
    assert_string_equal(t.range_key.name, "");

    sl_error err;
    sl_error_clear(&err);
    const char *nokeys = "{\"Table\":{\"TableName\":\"X\"}}";
    assert_int_equal(sl_ddb_table_response(nokeys, strlen(nokeys), &t, &err), SL_EPARSE);
    assert_non_null(strstr(err.message, "KeySchema"));
    assert_int_equal(sl_ddb_table_response("{}", 2, &t, &err), SL_EPARSE);
}

static void test_batch_write_response(void **state) {
    sl_buf retry;
    sl_buf_init(&retry, 0);
    size_t left = 99;
    double used = 0;
    const char *done = "{\"UnprocessedItems\":{},\"ConsumedCapacity\":[{\"TableName\":\"T\",\"CapacityUnits\":3.0}]}";
    assert_int_equal(sl_ddb_batch_write_response(done, strlen(done), &retry, &left, &used, NULL), 0);
    assert_int_equal(left, 0);
    assert_true(used == 3.0);

    const char *some = "{\"UnprocessedItems\":{\"T\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}},"
                       "{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"c\"}}}}]}}";
    assert_int_equal(sl_ddb_batch_write_response(some, strlen(some), &retry, &left, &used, NULL), 0);
    assert_int_equal(left, 2);
    assert_string_equal(retry.data, "{\"RequestItems\":{\"T\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}},"
                                    "{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"c\"}}}}]},"
                                    "\"ReturnConsumedCapacity\":\"TOTAL\"}");
    assert_int_equal(sl_ddb_batch_write_response("nope", 4, &retry, &left, &used, NULL), SL_EPARSE);
    sl_buf_free(&retry);
}

/* ---- item helpers ---- */

static void test_number_valid(void **state) {
    const char *good[] = {"0",
                          "-0",
                          "0.000",
                          "1",
                          "-12.5",
                          "+5",
                          ".5",
                          "5.",
                          "1E+3",
                          "1e125",
                          "9.99e125",
                          "-9.99e125",
                          "1e-130",
                          "100e-132",
                          "0.000001",
                          "12345678901234567890123456789012345678",
                          "1234567890123456789012345678901234567800000000",
                          "0.00000000000000000000000000000000000001"};
    const char *bad[] = {"",
                         "-",
                         "abc",
                         "1e126",
                         "10e125",
                         "1e-131",
                         "0.1e-130",
                         "NaN",
                         "Infinity",
                         "-Infinity",
                         "123456789012345678901234567890123456789",
                         "1.23456789012345678901234567890123456789",
                         "1e",
                         "1e+",
                         "1.2.3",
                         "1x",
                         "--1",
                         "e5",
                         " 1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!sl_ddb_number_valid(good[i], strlen(good[i]))) fail_msg("'%s' should be valid", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sl_ddb_number_valid(bad[i], strlen(bad[i]))) fail_msg("'%s' should be invalid", bad[i]);
}

static sl_ddb_table applogs_table(void) {
    sl_ddb_table t;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "AppLogs");
    strcpy(t.hash_key.name, "log_id");
    t.hash_key.type = 'S';
    strcpy(t.range_key.name, "ts");
    t.range_key.type = 'N';
    return t;
}

static void test_item_check(void **state) {
    sl_ddb_table t = applogs_table();
    sl_arena a;
    sl_arena_init(&a);
    sl_error err;
    sl_error_clear(&err);
    sl_value ok = parse(&a, "{\"msg\":{\"S\":\"\"},\"ts\":{\"N\":\"5\"},\"log_id\":{\"S\":\"a\"},"
                            "\"m\":{\"M\":{\"n\":{\"NS\":[\"1\",\"2e3\"]}}}}");
    assert_int_equal(sl_ddb_item_check(&ok, &t, &err), 0);

    struct {
        const char *item, *why;
    } bad[] = {
        {"{\"ts\":{\"N\":\"5\"}}", "key attribute 'log_id' is missing"},
        {"{\"log_id\":{\"S\":\"a\"}}", "key attribute 'ts' is missing"},
        {"{\"log_id\":{\"N\":\"1\"},\"ts\":{\"N\":\"5\"}}", "key attribute 'log_id' must be a string (S)"},
        {"{\"log_id\":{\"S\":\"\"},\"ts\":{\"N\":\"5\"}}", "key attribute 'log_id' must not be empty"},
        {"{\"log_id\":{\"S\":\"a\"},\"ts\":{\"S\":\"5\"}}", "key attribute 'ts' must be a number (N)"},
        {"{\"log_id\":{\"S\":\"a\"},\"ts\":{\"N\":\"5\"},\"x\":{\"N\":\"NaN\"}}", "attribute 'x': 'NaN' is not"},
        {"{\"log_id\":{\"S\":\"a\"},\"ts\":{\"N\":\"5\"},\"m\":{\"M\":{\"l\":{\"L\":[{\"N\":\"1e200\"}]}}}}",
         "attribute 'm': '1e200'"},
        {"{\"log_id\":{\"S\":\"a\"},\"ts\":{\"N\":\"5\"},\"s\":{\"NS\":[\"1\",\"x\"]}}", "attribute 's': 'x'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_value item = parse(&a, bad[i].item);
        sl_error_clear(&err);
        assert_int_equal(sl_ddb_item_check(&item, &t, &err), SL_EINVAL);
        if (!strstr(err.message, bad[i].why))
            fail_msg("item %s: got '%s', wanted '%s'", bad[i].item, err.message, bad[i].why);
    }

    /* over 400 KB */
    size_t n = 410 * 1024;
    char *big = malloc(n + 100);
    int off = sprintf(big, "{\"log_id\":{\"S\":\"a\"},\"ts\":{\"N\":\"5\"},\"blob\":{\"S\":\"");
    memset(big + off, 'x', n);
    strcpy(big + off + n, "\"}}");
    sl_value item = parse(&a, big);
    sl_error_clear(&err);
    assert_int_equal(sl_ddb_item_check(&item, &t, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "400 KB"));
    free(big);
    sl_arena_free(&a);
}

static void test_item_key_and_size(void **state) {
    sl_ddb_table t = applogs_table();
    sl_arena a;
    sl_arena_init(&a);
    sl_value item = parse(&a, "{\"msg\":{\"S\":\"hello\"},\"ts\":{\"N\":\"123\"},\"log_id\":{\"S\":\"a\\\"b\"}}");
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_ddb_item_key(&item, &t, &b);
    assert_string_equal(b.data, "{\"log_id\":{\"S\":\"a\\\"b\"},\"ts\":{\"N\":\"123\"}}");
    sl_buf_free(&b);

    /* names + values: msg 3+5, ts 2+(3 digits → 3), log_id 6+3 */
    assert_int_equal(sl_ddb_item_size(&item), 8 + 5 + 9);
    sl_value nested = parse(&a, "{\"m\":{\"M\":{\"x\":{\"S\":\"ab\"}}},\"l\":{\"L\":[{\"BOOL\":true},{\"NULL\":true}]},"
                                "\"ss\":{\"SS\":[\"ab\",\"c\"]},\"b\":{\"B\":\"aGk=\"}}");
    /* m: 1 + 3 + (1 + 2) + 1;  l: 1 + 3 + 2*(1+1);  ss: 2 + 3;  b: 1 + 2 */
    assert_int_equal(sl_ddb_item_size(&nested), 8 + 8 + 5 + 3);
    sl_arena_free(&a);
}

/* ---- the client through a fake transport ---- */

typedef struct answer {
    long status;
    const char *body;
} answer;

typedef struct fake {
    const answer *answers;
    size_t n_answers;
    size_t calls;
    char bodies[8][2048];
    char targets[8][64];
    bool signed_ok[8];
    int sleeps;
} fake;

static const char *header(const sl_http_request *req, const char *name) {
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].name, name)) return req->headers[i].value;
    return NULL;
}

static int fake_perform(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    fake *f = self;
    size_t k = f->calls < 8 ? f->calls : 7;
    snprintf(f->bodies[k], sizeof f->bodies[k], "%.*s", (int)req->body_len, (const char *)req->body);
    const char *target = header(req, "X-Amz-Target");
    snprintf(f->targets[k], sizeof f->targets[k], "%s", target ? target : "");
    const char *auth = header(req, "Authorization"), *ct = header(req, "Content-Type");
    f->signed_ok[k] = auth && strstr(auth, "/dynamodb/aws4_request") && ct &&
                      !strcmp(ct, "application/x-amz-json-1.0") && !strcmp(req->method, "POST");
    const answer *a = &f->answers[f->calls < f->n_answers ? f->calls : f->n_answers - 1];
    f->calls++;
    resp->status = a->status;
    sl_buf_adds(&resp->body, a->body);
    sl_buf_adds(&resp->headers, "Content-Type: application/x-amz-json-1.0\r\n");
    return SL_OK;
}

static void count_sleep(void *ud, long ms) { ((fake *)ud)->sleeps++; }

static sl_ddb *fake_client(fake *f) {
    sl_aws_config cfg;
    memset(&cfg, 0, sizeof cfg);
    strcpy(cfg.creds.access_key, "AKIDEXAMPLE");
    strcpy(cfg.creds.secret_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    strcpy(cfg.region, "us-east-1");
    strcpy(cfg.endpoint, "http://127.0.0.1:9");
    sl_ddb *c;
    assert_int_equal(sl_ddb_new(&cfg, &c, NULL), 0);
    sl_http_transport t = {fake_perform, f};
    sl_http_set_transport(sl_ddb_http(c), &t);
    sl_ddb_set_retry(c, NULL, count_sleep, f);
    assert_string_equal(sl_ddb_endpoint(c), "http://127.0.0.1:9/");
    return c;
}

static void test_client_missing_table(void **state) {
    answer answers[] = {{400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
                              "\"Message\":\"Cannot do operations on a non-existent table\"}"}};
    fake f = {.answers = answers, .n_answers = 1};
    sl_ddb *c = fake_client(&f);
    sl_ddb_table t;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_ddb_describe_table(c, "NoSuchTable", &t, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "'NoSuchTable' does not exist"));
    assert_non_null(strstr(err.message, "http://127.0.0.1:9/"));
    assert_int_equal(f.calls, 1);
    assert_string_equal(f.targets[0], "DynamoDB_20120810.DescribeTable");
    assert_string_equal(f.bodies[0], "{\"TableName\":\"NoSuchTable\"}");
    assert_true(f.signed_ok[0]);
    sl_ddb_free(c);
}

static void test_client_scan_pages(void **state) {
    answer answers[] = {
        {200, "{\"Items\":[{\"id\":{\"S\":\"a\"}}],\"LastEvaluatedKey\":{\"id\":{\"S\":\"a\"}},"
              "\"ConsumedCapacity\":{\"CapacityUnits\":0.5}}"},
        {200,
         "{\"Items\":[{\"id\":{\"S\":\"b\"}},{\"id\":{\"S\":\"c\"}}],\"ConsumedCapacity\":{\"CapacityUnits\":1.0}}"},
    };
    fake f = {.answers = answers, .n_answers = 2};
    sl_ddb *c = fake_client(&f);
    sl_arena a;
    sl_arena_init(&a);
    sl_ddb_scan_params p = {.table = "T", .segment = 1, .total_segments = 2};
    char *body;
    size_t len;
    sl_ddb_page page;
    assert_int_equal(sl_ddb_scan(c, &p, &a, &body, &len, &page, NULL), 0);
    assert_int_equal(page.count, 1);
    assert_int_equal(len, strlen(answers[0].body));
    assert_string_equal(page.last_key, "{\"id\":{\"S\":\"a\"}}");
    p.start_key = page.last_key;
    char *body2;
    sl_ddb_page page2;
    assert_int_equal(sl_ddb_scan(c, &p, &a, &body2, &len, &page2, NULL), 0);
    assert_int_equal(page2.count, 2);
    assert_null(page2.last_key);
    assert_string_equal(f.targets[1], "DynamoDB_20120810.Scan");
    assert_string_equal(f.bodies[1],
                        "{\"TableName\":\"T\",\"Segment\":1,\"TotalSegments\":2,"
                        "\"ExclusiveStartKey\":{\"id\":{\"S\":\"a\"}},\"ReturnConsumedCapacity\":\"TOTAL\"}");
    free(page.last_key);
    free(body);
    free(body2);
    sl_arena_free(&a);
    sl_ddb_free(c);
}

static void test_client_unprocessed_items(void **state) {
    answer answers[] = {
        {200, "{\"UnprocessedItems\":{\"T\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]}}"},
        {200, "{\"UnprocessedItems\":{}}"},
    };
    fake f = {.answers = answers, .n_answers = 2};
    sl_ddb *c = fake_client(&f);
    sl_arena a;
    sl_arena_init(&a);
    sl_value items[2] = {parse(&a, "{\"id\":{\"S\":\"a\"}}"), parse(&a, "{\"id\":{\"S\":\"b\"}}")};
    assert_int_equal(sl_ddb_batch_write(c, "T", items, 2, 3, NULL, NULL), 0);
    assert_int_equal(f.calls, 2);
    assert_int_equal(f.sleeps, 1);
    assert_string_equal(f.targets[0], "DynamoDB_20120810.BatchWriteItem");
    assert_string_equal(f.bodies[1], "{\"RequestItems\":{\"T\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]},"
                                     "\"ReturnConsumedCapacity\":\"TOTAL\"}");
    sl_arena_free(&a);
    sl_ddb_free(c);
}

static void test_client_unprocessed_gives_up(void **state) {
    answer answers[] = {{200, "{\"UnprocessedItems\":{\"T\":[{\"PutRequest\":{\"Item\":{\"id\":{\"S\":\"b\"}}}}]}}"}};
    fake f = {.answers = answers, .n_answers = 1};
    sl_ddb *c = fake_client(&f);
    sl_arena a;
    sl_arena_init(&a);
    sl_value items[1] = {parse(&a, "{\"id\":{\"S\":\"b\"}}")};
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_ddb_batch_write(c, "T", items, 1, 3, NULL, &err), SL_ELIMIT);
    assert_int_equal(f.calls, 4);
    assert_non_null(strstr(err.message, "1 of 1 items still unprocessed after 3 retries"));
    sl_arena_free(&a);
    sl_ddb_free(c);
}

static void test_client_throttling_retried(void **state) {
    answer answers[] = {
        {400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
              "\"message\":\"The level of configured provisioned throughput for the table was exceeded.\"}"},
        {503, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ServiceUnavailable\",\"message\":\"busy\"}"},
        {200, "{\"UnprocessedItems\":{}}"},
    };
    fake f = {.answers = answers, .n_answers = 3};
    sl_ddb *c = fake_client(&f);
    sl_arena a;
    sl_arena_init(&a);
    sl_value items[1] = {parse(&a, "{\"id\":{\"S\":\"a\"}}")};
    assert_int_equal(sl_ddb_batch_write(c, "T", items, 1, 3, NULL, NULL), 0);
    assert_int_equal(f.calls, 3);
    assert_int_equal(f.sleeps, 2);
    sl_arena_free(&a);
    sl_ddb_free(c);
}

static void test_client_validation_fails_fast(void **state) {
    answer answers[] = {{400, "{\"__type\":\"com.amazon.coral.validate#ValidationException\","
                              "\"message\":\"One or more parameter values were invalid: Missing the key log_id\"}"}};
    fake f = {.answers = answers, .n_answers = 1};
    sl_ddb *c = fake_client(&f);
    sl_arena a;
    sl_arena_init(&a);
    sl_value item = parse(&a, "{\"x\":{\"S\":\"a\"}}");
    sl_error err;
    sl_error_clear(&err);
    assert_true(sl_ddb_put_item(c, "AppLogs", &item, &err) < 0);
    assert_int_equal(f.calls, 1);
    assert_int_equal(f.sleeps, 0);
    assert_non_null(strstr(err.message, "ValidationException"));
    assert_non_null(strstr(err.message, "Missing the key log_id"));
    assert_non_null(strstr(err.message, "PutItem AppLogs"));
    assert_string_equal(f.bodies[0], "{\"TableName\":\"AppLogs\",\"Item\":{\"x\":{\"S\":\"a\"}}}");
    sl_arena_free(&a);
    sl_ddb_free(c);
}

static void test_client_create_delete(void **state) {
    answer answers[] = {
        {200, "{\"TableDescription\":{\"TableStatus\":\"CREATING\"}}"},
        {200, "{\"Table\":{\"TableName\":\"T\",\"TableStatus\":\"CREATING\",\"KeySchema\":[{\"AttributeName\":"
              "\"id\",\"KeyType\":\"HASH\"}]}}"},
        {200, "{\"Table\":{\"TableName\":\"T\",\"TableStatus\":\"ACTIVE\",\"KeySchema\":[{\"AttributeName\":"
              "\"id\",\"KeyType\":\"HASH\"}]}}"},
        {400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\",\"message\":\"gone\"}"},
    };
    fake f = {.answers = answers, .n_answers = 4};
    sl_ddb *c = fake_client(&f);
    sl_ddb_key hash = {"id", 'S'}, range = {"ts", 'N'};
    assert_int_equal(sl_ddb_create_table(c, "T", &hash, &range, NULL), 0);
    assert_int_equal(f.calls, 3); /* create, then describe until ACTIVE */
    assert_string_equal(f.targets[0], "DynamoDB_20120810.CreateTable");
    assert_string_equal(f.bodies[0],
                        "{\"TableName\":\"T\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":"
                        "\"S\"},{\"AttributeName\":\"ts\",\"AttributeType\":\"N\"}],\"KeySchema\":[{\"AttributeName\":"
                        "\"id\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"ts\",\"KeyType\":\"RANGE\"}],"
                        "\"BillingMode\":\"PAY_PER_REQUEST\"}");
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_ddb_delete_table(c, "T", &err), 0); /* missing: fine */
    assert_string_equal(f.targets[3], "DynamoDB_20120810.DeleteTable");
    sl_ddb_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_request_minimal),
        cmocka_unit_test(test_scan_request_full),
        cmocka_unit_test(test_batch_write_request),
        cmocka_unit_test(test_scan_response),
        cmocka_unit_test(test_table_response),
        cmocka_unit_test(test_batch_write_response),
        cmocka_unit_test(test_number_valid),
        cmocka_unit_test(test_item_check),
        cmocka_unit_test(test_item_key_and_size),
        cmocka_unit_test(test_client_missing_table),
        cmocka_unit_test(test_client_scan_pages),
        cmocka_unit_test(test_client_unprocessed_items),
        cmocka_unit_test(test_client_unprocessed_gives_up),
        cmocka_unit_test(test_client_throttling_retried),
        cmocka_unit_test(test_client_validation_fails_fast),
        cmocka_unit_test(test_client_create_delete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
