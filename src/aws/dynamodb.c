/*
 * dynamodb.c — DynamoDB client: request bodies, response parsing, and the
 * calls (through sl_aws_call, which signs and retries). See dynamodb.h.
 */
#include "aws/dynamodb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/awscall.h"
#include "core/mem.h"
#include "formats/json.h"

#define TARGET_PREFIX "DynamoDB_20120810."
#define CONTENT_TYPE "application/x-amz-json-1.0"
/* DynamoDB numbers: up to 38 significant digits, magnitude 1e-130 ..< 1e126. */
#define NUMBER_DIGITS_MAX 38
#define NUMBER_EXP_MAX 125
#define NUMBER_EXP_MIN (-130)

struct sl_ddb {
    sl_aws_config cfg;
    sl_http *http;
    sl_aws_ctx ctx;
    char url[520];
};

/* ---- small JSON helpers ---- */

static void add_str(sl_buf *b, const char *s) { sl_json_write_string(b, s, strlen(s)); }

static void add_key(sl_buf *b, const char *key) {
    add_str(b, key);
    sl_buf_addc(b, ':');
}

/* Member of a parsed JSON object, NULL if absent. */
static const sl_value *member(const sl_value *obj, const char *name) {
    return obj && obj->type == SL_T_STRUCT ? sl_struct_get(obj, name) : NULL;
}

static double number_of(const sl_value *v) {
    if (!v) return 0;
    switch (v->type) {
    case SL_T_INT: return (double)v->u.i;
    case SL_T_DOUBLE: return v->u.d;
    case SL_T_DECIMAL: {
        char tmp[64];
        size_t n = v->len < sizeof tmp - 1 ? v->len : sizeof tmp - 1;
        memcpy(tmp, v->u.s, n);
        tmp[n] = 0;
        return strtod(tmp, NULL);
    }
    default: return 0;
    }
}

static void copy_text(const sl_value *v, char *out, size_t size) {
    out[0] = 0;
    if (!v || v->type != SL_T_STRING) return;
    size_t n = v->len < size - 1 ? v->len : size - 1;
    memcpy(out, v->u.s, n);
    out[n] = 0;
}

static bool text_is(const sl_value *v, const char *s) {
    return v && v->type == SL_T_STRING && v->len == strlen(s) && !memcmp(v->u.s, s, v->len);
}

/* Total ConsumedCapacity.CapacityUnits: one object (Scan, PutItem) or a list
 * of them, one per table (BatchWriteItem). */
static double consumed_units(const sl_value *root) {
    const sl_value *cc = member(root, "ConsumedCapacity");
    if (!cc) return 0;
    if (cc->type == SL_T_STRUCT) return number_of(member(cc, "CapacityUnits"));
    double sum = 0;
    if (cc->type == SL_T_LIST)
        for (uint32_t i = 0; i < cc->len; i++)
            sum += number_of(member(&cc->u.items[i], "CapacityUnits"));
    return sum;
}

static int parse_object(const char *body, size_t len, sl_arena *a, sl_value *out, const char *what, sl_error *err) {
    sl_error perr;
    sl_error_clear(&perr);
    if (sl_json_parse(body, len, a, out, &perr) != SL_OK)
        return sl_error_set(err, SL_EPARSE, "%s: malformed response: %s", what, perr.message);
    if (out->type != SL_T_STRUCT) return sl_error_set(err, SL_EPARSE, "%s: response is not a JSON object", what);
    return SL_OK;
}

/* ---- request bodies ---- */

void sl_ddb_scan_request(const sl_ddb_scan_params *p, sl_buf *out) {
    sl_buf_addc(out, '{');
    add_key(out, "TableName");
    add_str(out, p->table);
    if (p->total_segments > 0) {
        sl_buf_printf(out, ",\"Segment\":%u,\"TotalSegments\":%u", p->segment, p->total_segments);
    }
    if (p->consistent_read) sl_buf_adds(out, ",\"ConsistentRead\":true");
    if (p->limit > 0) sl_buf_printf(out, ",\"Limit\":%lld", (long long)p->limit);
    if (p->n_projection > 0) {
        /* every name goes through a placeholder: reserved words and odd
         * characters need no special case */
        sl_buf_adds(out, ",\"ProjectionExpression\":\"");
        for (size_t i = 0; i < p->n_projection; i++)
            sl_buf_printf(out, "%s#p%zu", i ? "," : "", i);
        sl_buf_adds(out, "\",\"ExpressionAttributeNames\":{");
        for (size_t i = 0; i < p->n_projection; i++) {
            sl_buf_printf(out, "%s\"#p%zu\":", i ? "," : "", i);
            add_str(out, p->projection[i]);
        }
        sl_buf_addc(out, '}');
    }
    if (p->start_key) {
        sl_buf_adds(out, ",\"ExclusiveStartKey\":");
        sl_buf_adds(out, p->start_key);
    }
    sl_buf_adds(out, ",\"ReturnConsumedCapacity\":\"TOTAL\"}");
}

void sl_ddb_batch_write_request(const char *table, const sl_value *items, size_t n, sl_buf *out) {
    sl_buf_adds(out, "{\"RequestItems\":{");
    add_key(out, table);
    sl_buf_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        sl_buf_adds(out, i ? ",{\"PutRequest\":{\"Item\":" : "{\"PutRequest\":{\"Item\":");
        sl_json_write(out, &items[i]);
        sl_buf_adds(out, "}}");
    }
    sl_buf_adds(out, "]},\"ReturnConsumedCapacity\":\"TOTAL\"}");
}

/* ---- responses ---- */

int sl_ddb_scan_response(const char *body, size_t len, sl_arena *a, sl_ddb_page *page, sl_error *err) {
    memset(page, 0, sizeof *page);
    sl_value root;
    int rc = parse_object(body, len, a, &root, "Scan", err);
    if (rc) return rc;
    const sl_value *items = member(&root, "Items");
    if (items && items->type != SL_T_LIST) return sl_error_set(err, SL_EPARSE, "Scan: Items is not a list");
    if (items) {
        page->items = items->u.items;
        page->count = items->len;
    }
    const sl_value *last = member(&root, "LastEvaluatedKey");
    if (last && last->type == SL_T_STRUCT && last->len > 0) {
        sl_buf k;
        sl_buf_init(&k, SL_BUF_UNLIMITED);
        sl_json_write(&k, last);
        page->last_key = sl_buf_detach(&k);
    }
    page->consumed = consumed_units(&root);
    return SL_OK;
}

static int key_schema(const sl_value *table, sl_ddb_table *t, sl_error *err) {
    const sl_value *ks = member(table, "KeySchema");
    const sl_value *defs = member(table, "AttributeDefinitions");
    if (!ks || ks->type != SL_T_LIST) return sl_error_set(err, SL_EPARSE, "DescribeTable: no KeySchema");
    for (uint32_t i = 0; i < ks->len; i++) {
        const sl_value *k = &ks->u.items[i];
        sl_ddb_key *dst = text_is(member(k, "KeyType"), "RANGE") ? &t->range_key : &t->hash_key;
        const sl_value *name = member(k, "AttributeName");
        copy_text(name, dst->name, sizeof dst->name);
        dst->type = 'S';
        for (uint32_t j = 0; defs && defs->type == SL_T_LIST && j < defs->len; j++) {
            const sl_value *d = &defs->u.items[j];
            const sl_value *dn = member(d, "AttributeName"), *dt = member(d, "AttributeType");
            if (dn && name && dn->type == SL_T_STRING && name->type == SL_T_STRING && dn->len == name->len &&
                !memcmp(dn->u.s, name->u.s, dn->len) && dt && dt->type == SL_T_STRING && dt->len == 1)
                dst->type = dt->u.s[0];
        }
    }
    if (!t->hash_key.name[0]) return sl_error_set(err, SL_EPARSE, "DescribeTable: no HASH key in KeySchema");
    return SL_OK;
}

int sl_ddb_table_response(const char *body, size_t len, sl_ddb_table *t, sl_error *err) {
    memset(t, 0, sizeof *t);
    sl_arena a;
    sl_arena_init(&a);
    sl_value root;
    int rc = parse_object(body, len, &a, &root, "DescribeTable", err);
    const sl_value *table = rc ? NULL : member(&root, "Table");
    if (!rc && (!table || table->type != SL_T_STRUCT))
        rc = sl_error_set(err, SL_EPARSE, "DescribeTable: response has no Table");
    if (!rc) {
        copy_text(member(table, "TableName"), t->name, sizeof t->name);
        copy_text(member(table, "TableStatus"), t->status, sizeof t->status);
        t->item_count = (int64_t)number_of(member(table, "ItemCount"));
        t->size_bytes = (int64_t)number_of(member(table, "TableSizeBytes"));
        const sl_value *pt = member(table, "ProvisionedThroughput");
        t->read_capacity = number_of(member(pt, "ReadCapacityUnits"));
        t->write_capacity = number_of(member(pt, "WriteCapacityUnits"));
        t->on_demand = text_is(member(member(table, "BillingModeSummary"), "BillingMode"), "PAY_PER_REQUEST") ||
                       t->read_capacity <= 0;
        if (t->on_demand) t->read_capacity = t->write_capacity = 0;
        rc = key_schema(table, t, err);
    }
    sl_arena_free(&a);
    return rc;
}

int sl_ddb_batch_write_response(const char *body, size_t len, sl_buf *retry_body, size_t *n_left, double *consumed,
                                sl_error *err) {
    *n_left = 0;
    if (consumed) *consumed = 0;
    sl_arena a;
    sl_arena_init(&a);
    sl_value root;
    int rc = parse_object(body, len, &a, &root, "BatchWriteItem", err);
    if (!rc) {
        if (consumed) *consumed = consumed_units(&root);
        const sl_value *left = member(&root, "UnprocessedItems");
        if (left && left->type == SL_T_STRUCT) {
            for (uint32_t i = 0; i < left->len; i++)
                if (left->u.fields[i].value.type == SL_T_LIST) *n_left += left->u.fields[i].value.len;
        }
        if (*n_left) {
            sl_buf_reset(retry_body);
            sl_buf_adds(retry_body, "{\"RequestItems\":");
            sl_json_write(retry_body, left);
            sl_buf_adds(retry_body, ",\"ReturnConsumedCapacity\":\"TOTAL\"}");
        }
    }
    sl_arena_free(&a);
    return rc;
}

/* ---- item helpers ---- */

static const sl_field *find_attr(const sl_value *item, const char *name) {
    return item->type == SL_T_STRUCT ? sl_struct_find(item, name, strlen(name)) : NULL;
}

void sl_ddb_item_key(const sl_value *item, const sl_ddb_table *t, sl_buf *out) {
    sl_buf_addc(out, '{');
    bool first = true;
    const sl_ddb_key *keys[2] = {&t->hash_key, &t->range_key};
    for (int k = 0; k < 2; k++) {
        if (!keys[k]->name[0]) continue;
        const sl_field *f = find_attr(item, keys[k]->name);
        if (!f) continue;
        if (!first) sl_buf_addc(out, ',');
        first = false;
        sl_json_write_string(out, f->name, f->name_len);
        sl_buf_addc(out, ':');
        sl_json_write(out, &f->value);
    }
    sl_buf_addc(out, '}');
}

bool sl_ddb_number_valid(const char *s, size_t len) {
    /* value = sum of digit[i] * 10^(int_digits - 1 - i + exp) over the mantissa digits */
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    long n_digits = 0, int_digits = 0, first = -1, last = -1;
    bool dot = false;
    for (; i < len; i++) {
        if (s[i] == '.' && !dot) {
            dot = true;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') break;
        if (s[i] != '0') {
            if (first < 0) first = n_digits;
            last = n_digits;
        }
        n_digits++;
        if (!dot) int_digits++;
    }
    if (n_digits == 0) return false;
    long exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool neg = false;
        if (i < len && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
        if (i >= len) return false;
        for (; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') return false;
            if (exp < 1000000) exp = exp * 10 + (s[i] - '0');
        }
        if (neg) exp = -exp;
    }
    if (i != len) return false;
    if (first < 0) return true; /* zero */
    if (last - first + 1 > NUMBER_DIGITS_MAX) return false;
    long magnitude = int_digits - 1 - first + exp; /* exponent of the leading digit */
    return magnitude <= NUMBER_EXP_MAX && magnitude >= NUMBER_EXP_MIN;
}

/* Bytes DynamoDB counts for a number: about one per two significant digits, plus one. */
static size_t number_size(const sl_value *v) {
    if (v->type != SL_T_STRING) return 1;
    size_t sig = 0;
    for (uint32_t i = 0; i < v->len; i++)
        if (v->u.s[i] >= '0' && v->u.s[i] <= '9') sig++;
    return (sig + 1) / 2 + 1;
}

static size_t binary_size(const sl_value *v) {
    if (v->type != SL_T_STRING) return 0;
    size_t len = v->len;
    while (len && v->u.s[len - 1] == '=')
        len--;
    return len * 3 / 4;
}

static size_t attr_size(const sl_value *attr) {
    if (attr->type != SL_T_STRUCT || attr->len != 1) return 0;
    const sl_field *f = &attr->u.fields[0];
    const sl_value *v = &f->value;
    const char *t = f->name;
    size_t size = 0;
    if (f->name_len == 1 && t[0] == 'S') return v->type == SL_T_STRING ? v->len : 0;
    if (f->name_len == 1 && t[0] == 'N') return number_size(v);
    if (f->name_len == 1 && t[0] == 'B') return binary_size(v);
    if (f->name_len == 4) return 1; /* BOOL, NULL */
    if (f->name_len == 1 && t[0] == 'M') return 3 + sl_ddb_item_size(v) + (v->type == SL_T_STRUCT ? v->len : 0);
    if (v->type != SL_T_LIST) return 0;
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_value *e = &v->u.items[i];
        if (f->name_len == 1)
            size += attr_size(e) + 1; /* L */
        else if (t[0] == 'S')
            size += e->type == SL_T_STRING ? e->len : 0;
        else if (t[0] == 'N')
            size += number_size(e);
        else
            size += binary_size(e);
    }
    return f->name_len == 1 ? size + 3 : size;
}

size_t sl_ddb_item_size(const sl_value *item) {
    if (item->type != SL_T_STRUCT) return 0;
    size_t size = 0;
    for (uint32_t i = 0; i < item->len; i++)
        size += item->u.fields[i].name_len + attr_size(&item->u.fields[i].value);
    return size;
}

/* Every N and NS value in attr is a valid DynamoDB number; else the bad text in *bad. */
static bool numbers_valid(const sl_value *attr, const sl_value **bad) {
    if (attr->type != SL_T_STRUCT || attr->len != 1) return true;
    const sl_field *f = &attr->u.fields[0];
    const sl_value *v = &f->value;
    if (f->name_len == 1 && f->name[0] == 'N') {
        if (v->type == SL_T_STRING && sl_ddb_number_valid(v->u.s, v->len)) return true;
        *bad = v;
        return false;
    }
    if (f->name_len == 2 && f->name[0] == 'N' && v->type == SL_T_LIST) {
        for (uint32_t i = 0; i < v->len; i++)
            if (v->u.items[i].type != SL_T_STRING || !sl_ddb_number_valid(v->u.items[i].u.s, v->u.items[i].len))
                return *bad = &v->u.items[i], false;
        return true;
    }
    if (f->name_len == 1 && f->name[0] == 'M' && v->type == SL_T_STRUCT) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!numbers_valid(&v->u.fields[i].value, bad)) return false;
    }
    if (f->name_len == 1 && f->name[0] == 'L' && v->type == SL_T_LIST) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!numbers_valid(&v->u.items[i], bad)) return false;
    }
    return true;
}

static const char *type_word(char t) { return t == 'S' ? "a string" : t == 'N' ? "a number" : "binary"; }

static int check_key(const sl_value *item, const sl_ddb_key *key, sl_error *err) {
    if (!key->name[0]) return SL_OK;
    const sl_field *f = find_attr(item, key->name);
    if (!f) return sl_error_set(err, SL_EINVAL, "key attribute '%s' is missing", key->name);
    const sl_value *a = &f->value;
    bool ok = a->type == SL_T_STRUCT && a->len == 1 && a->u.fields[0].name_len == 1 &&
              a->u.fields[0].name[0] == key->type && a->u.fields[0].value.type == SL_T_STRING;
    if (!ok)
        return sl_error_set(err, SL_EINVAL, "key attribute '%s' must be %s (%c)", key->name, type_word(key->type),
                            key->type);
    if (a->u.fields[0].value.len == 0 && key->type != 'N')
        return sl_error_set(err, SL_EINVAL, "key attribute '%s' must not be empty", key->name);
    return SL_OK;
}

int sl_ddb_item_check(const sl_value *item, const sl_ddb_table *t, sl_error *err) {
    if (item->type != SL_T_STRUCT) return sl_error_set(err, SL_EINVAL, "item is not a map of attributes");
    int rc = check_key(item, &t->hash_key, err);
    if (!rc) rc = check_key(item, &t->range_key, err);
    if (rc) return rc;
    for (uint32_t i = 0; i < item->len; i++) {
        const sl_value *bad = NULL;
        if (!numbers_valid(&item->u.fields[i].value, &bad)) {
            int n = bad && bad->type == SL_T_STRING ? (int)(bad->len > 60 ? 60 : bad->len) : 0;
            return sl_error_set(err, SL_EINVAL,
                                "attribute '%.*s': '%.*s' is not a number DynamoDB can store (at most 38 "
                                "significant digits, magnitude 1e-130 to 1e125)",
                                (int)(item->u.fields[i].name_len > 64 ? 64 : item->u.fields[i].name_len),
                                item->u.fields[i].name, n, n ? bad->u.s : "");
        }
    }
    size_t size = sl_ddb_item_size(item);
    if (size > SL_DDB_ITEM_MAX)
        return sl_error_set(err, SL_EINVAL, "item is %zu bytes, above DynamoDB's 400 KB item limit", size);
    return SL_OK;
}

/* ---- the client ---- */

int sl_ddb_new(const sl_aws_config *cfg, sl_ddb **out, sl_error *err) {
    sl_ddb *c = sl_xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    int rc = sl_http_new(NULL, &c->http, err);
    if (rc) {
        free(c);
        return rc;
    }
    if (c->cfg.endpoint[0])
        snprintf(c->url, sizeof c->url, "%s", c->cfg.endpoint);
    else
        sl_aws_default_endpoint("dynamodb", c->cfg.region, c->url, sizeof c->url);
    size_t n = strlen(c->url);
    if (n && c->url[n - 1] != '/' && n + 1 < sizeof c->url) strcat(c->url, "/");
    sl_aws_ctx_init(&c->ctx, c->http, &c->cfg.creds, c->cfg.region, "dynamodb");
    *out = c;
    return SL_OK;
}

void sl_ddb_free(sl_ddb *c) {
    if (!c) return;
    sl_http_free(c->http);
    free(c);
}

sl_http *sl_ddb_http(sl_ddb *c) { return c->http; }

void sl_ddb_set_retry(sl_ddb *c, const sl_retry_policy *p, void (*sleep_ms)(void *ud, long ms), void *ud) {
    if (p) c->ctx.retry = *p;
    c->ctx.sleep_ms = sleep_ms;
    c->ctx.sleep_ud = ud;
}

const char *sl_ddb_endpoint(const sl_ddb *c) { return c->url; }

/* POST one operation. resp must be initialised; holds the answer. */
static int call(sl_ddb *c, const char *op, const char *what, const sl_buf *body, sl_http_response *resp,
                sl_error *err) {
    char target[64];
    snprintf(target, sizeof target, TARGET_PREFIX "%s", op);
    sl_http_header headers[] = {{"Content-Type", CONTENT_TYPE}, {"X-Amz-Target", target}};
    sl_aws_request req = {
        .http = {.method = "POST",
                 .url = c->url,
                 .headers = headers,
                 .n_headers = 2,
                 .body = body->data,
                 .body_len = body->len},
        .what = what,
    };
    return sl_aws_call(&c->ctx, &req, resp, err);
}

static void pause_ms(sl_ddb *c, long ms) {
    if (c->ctx.sleep_ms) {
        c->ctx.sleep_ms(c->ctx.sleep_ud, ms);
        return;
    }
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Start a request body {"TableName":"t" (the caller adds the rest and '}'). */
static void table_body(sl_buf *body, const char *table) {
    sl_buf_init(body, SL_BUF_UNLIMITED);
    sl_buf_adds(body, "{\"TableName\":");
    add_str(body, table);
}

/* One call about one table; messages read "OP TABLE: ...". */
static int table_call(sl_ddb *c, const char *op, const char *table, const sl_buf *body, sl_http_response *resp,
                      sl_error *err) {
    char what[320];
    snprintf(what, sizeof what, "%s %.256s", op, table);
    return call(c, op, what, body, resp, err);
}

static int describe(sl_ddb *c, const char *table, sl_ddb_table *out, sl_error *err) {
    sl_buf body;
    table_body(&body, table);
    sl_buf_addc(&body, '}');
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = table_call(c, "DescribeTable", table, &body, &resp, err);
    if (!rc) rc = sl_ddb_table_response(resp.body.data, resp.body.len, out, err);
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    return rc;
}

int sl_ddb_describe_table(sl_ddb *c, const char *table, sl_ddb_table *out, sl_error *err) {
    int rc = describe(c, table, out, err);
    if (rc == SL_ENOTFOUND)
        sl_error_set(err, SL_ENOTFOUND, "DynamoDB table '%.200s' does not exist (endpoint %.200s, region %.60s)", table,
                     c->url, c->cfg.region);
    return rc;
}

static void add_key_schema(sl_buf *b, const sl_ddb_key *hash, const sl_ddb_key *range) {
    bool has_range = range && range->name[0];
    sl_buf_adds(b, ",\"AttributeDefinitions\":[{\"AttributeName\":");
    add_str(b, hash->name);
    sl_buf_printf(b, ",\"AttributeType\":\"%c\"}", hash->type);
    if (has_range) {
        sl_buf_adds(b, ",{\"AttributeName\":");
        add_str(b, range->name);
        sl_buf_printf(b, ",\"AttributeType\":\"%c\"}", range->type);
    }
    sl_buf_adds(b, "],\"KeySchema\":[{\"AttributeName\":");
    add_str(b, hash->name);
    sl_buf_adds(b, ",\"KeyType\":\"HASH\"}");
    if (has_range) {
        sl_buf_adds(b, ",{\"AttributeName\":");
        add_str(b, range->name);
        sl_buf_adds(b, ",\"KeyType\":\"RANGE\"}");
    }
    sl_buf_addc(b, ']');
}

int sl_ddb_create_table(sl_ddb *c, const char *table, const sl_ddb_key *hash, const sl_ddb_key *range, sl_error *err) {
    sl_buf body;
    table_body(&body, table);
    add_key_schema(&body, hash, range);
    sl_buf_adds(&body, ",\"BillingMode\":\"PAY_PER_REQUEST\"}");
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = table_call(c, "CreateTable", table, &body, &resp, err);
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    /* wait for ACTIVE (immediate on DynamoDB Local, seconds on AWS) */
    for (int i = 0; !rc; i++) {
        sl_ddb_table t;
        rc = describe(c, table, &t, err);
        if (rc || !strcmp(t.status, "ACTIVE")) break;
        if (i >= 600)
            return sl_error_set(err, SL_EIO, "CreateTable %.256s: table still %s after 5 minutes", table, t.status);
        pause_ms(c, 500);
    }
    return rc;
}

int sl_ddb_delete_table(sl_ddb *c, const char *table, sl_error *err) {
    sl_buf body;
    table_body(&body, table);
    sl_buf_addc(&body, '}');
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = table_call(c, "DeleteTable", table, &body, &resp, err);
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        rc = SL_OK;
    }
    return rc;
}

int sl_ddb_scan(sl_ddb *c, const sl_ddb_scan_params *p, sl_arena *a, char **body_out, size_t *body_len,
                sl_ddb_page *page, sl_error *err) {
    *body_out = NULL;
    *body_len = 0;
    memset(page, 0, sizeof *page);
    sl_buf body;
    sl_buf_init(&body, SL_BUF_UNLIMITED);
    sl_ddb_scan_request(p, &body);
    char what[320];
    if (p->total_segments > 0)
        snprintf(what, sizeof what, "Scan %.256s segment %u/%u", p->table, p->segment, p->total_segments);
    else
        snprintf(what, sizeof what, "Scan %.256s", p->table);
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = call(c, "Scan", what, &body, &resp, err);
    if (rc == SL_ENOTFOUND)
        sl_error_set(err, SL_ENOTFOUND, "DynamoDB table '%.200s' does not exist (endpoint %.200s)", p->table, c->url);
    if (!rc) {
        *body_len = resp.body.len;
        *body_out = sl_buf_detach(&resp.body);
        rc = sl_ddb_scan_response(*body_out ? *body_out : "", *body_len, a, page, err);
        if (rc) {
            free(*body_out);
            *body_out = NULL;
        }
    }
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    return rc;
}

int sl_ddb_put_item(sl_ddb *c, const char *table, const sl_value *item, sl_error *err) {
    sl_buf body;
    table_body(&body, table);
    sl_buf_adds(&body, ",\"Item\":");
    sl_json_write(&body, item);
    sl_buf_addc(&body, '}');
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = table_call(c, "PutItem", table, &body, &resp, err);
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    return rc;
}

int sl_ddb_batch_write(sl_ddb *c, const char *table, const sl_value *items, size_t n, int max_retries, double *consumed,
                       sl_error *err) {
    if (consumed) *consumed = 0;
    if (n == 0) return SL_OK;
    sl_buf body, next;
    sl_buf_init(&body, SL_BUF_UNLIMITED);
    sl_buf_init(&next, SL_BUF_UNLIMITED);
    sl_ddb_batch_write_request(table, items, n, &body);
    char what[320];
    snprintf(what, sizeof what, "BatchWriteItem %.256s", table);
    sl_http_response resp;
    sl_http_response_init(&resp);
    int rc = SL_OK;
    size_t left = n;
    for (int attempt = 0;; attempt++) {
        rc = call(c, "BatchWriteItem", what, &body, &resp, err);
        double used = 0;
        if (!rc) rc = sl_ddb_batch_write_response(resp.body.data, resp.body.len, &next, &left, &used, err);
        if (consumed) *consumed += used;
        if (rc || left == 0) break;
        if (attempt >= max_retries) {
            rc = sl_error_set(err, SL_ELIMIT,
                              "%s: %zu of %zu items still unprocessed after %d retries (the table's write "
                              "capacity is exhausted; raise max_retries or the capacity)",
                              what, left, n, max_retries);
            break;
        }
        /* the server kept some items back (throughput): back off, send those again */
        pause_ms(c, sl_retry_delay_ms(&c->ctx.retry, attempt + 1, -1, &c->ctx.rnd));
        sl_buf tmp = body;
        body = next;
        next = tmp;
    }
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    sl_buf_free(&next);
    return rc;
}
