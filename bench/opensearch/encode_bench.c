/*
 * encode_bench.c — the client-side cost of write_opensearch's bulk sender,
 * without a server: records (parsed from an NDJSON file beforehand, not
 * timed) go through sl_opensearch_bulk_add — action line with _index and
 * _id, the document as JSON, gzip — and every request is answered at once
 * by a transport that hands back a canned all-201 `_bulk` answer, which the
 * sender parses item by item as it would a real one. Prints one JSON line:
 * documents per CPU second (CPU time, so a busy machine does not skew it),
 * wall seconds, NDJSON and compressed bytes.
 *
 *   encode_bench FILE.jsonl [gzip_level (1)] [bulk_max_docs (5000)]
 * Built and run by bench/opensearch/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connectors/opensearch.h"
#include "core/mem.h"
#include "formats/json.h"

typedef struct canned {
    size_t remaining; /* documents not yet answered */
    size_t per_request;
    sl_buf full, last; /* answers for a full request and for the remainder */
} canned;

static void answer(sl_buf *b, size_t n) {
    sl_buf_reset(b);
    sl_buf_adds(b, "{\"errors\":false,\"items\":[");
    for (size_t i = 0; i < n; i++)
        sl_buf_adds(b, i ? ",{\"index\":{\"status\":201}}" : "{\"index\":{\"status\":201}}");
    sl_buf_adds(b, "]}");
}

static int canned_perform(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    canned *c = self;
    size_t n = c->remaining < c->per_request ? c->remaining : c->per_request;
    if (n != c->per_request) answer(&c->last, n);
    const sl_buf *b = n == c->per_request ? &c->full : &c->last;
    sl_buf_add(&resp->body, b->data, b->len);
    resp->status = 200;
    c->remaining -= n;
    return SL_OK;
}

static int no_reject(void *ud, const sl_opensearch_item_src *src, const char *doc, size_t len, const char *reason,
                     sl_error *err) {
    return sl_error_set(err, SL_EINTERNAL, "unexpected rejection: %s", reason);
}

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: encode_bench FILE.jsonl [gzip_level] [bulk_max_docs]\n");
        return 2;
    }
    int level = argc > 2 ? atoi(argv[2]) : 1;
    size_t max_docs = argc > 3 ? (size_t)atol(argv[3]) : 5000;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    sl_buf text;
    sl_buf_init(&text, 0);
    char chunk[1 << 16];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        sl_buf_add(&text, chunk, got);
    fclose(f);

    /* parse every record first: the source's work is not what is measured */
    sl_arena arena;
    sl_arena_init(&arena);
    size_t cap = 1 << 16, n = 0;
    sl_value *recs = sl_xmalloc(cap * sizeof *recs);
    for (char *p = text.data, *end = text.data + text.len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len) {
            if (n == cap) recs = sl_xrealloc(recs, (cap *= 2) * sizeof *recs);
            if (sl_json_parse(p, len, &arena, &recs[n], NULL) == SL_OK) n++;
        }
        p += len + 1;
    }

    canned c = {.remaining = n, .per_request = max_docs};
    sl_buf_init(&c.full, 0);
    sl_buf_init(&c.last, 0);
    answer(&c.full, max_docs);
    sl_error err;
    sl_error_clear(&err);
    sl_opensearch_conn *conn;
    sl_opensearch_config cfg = {.endpoint = "http://bench.invalid:9200"};
    if (sl_opensearch_conn_new(&cfg, &conn, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    sl_http_transport t = {canned_perform, &c};
    sl_opensearch_conn_set_transport(conn, &t);
    sl_opensearch_bulk_options o = {
        .max_docs = max_docs, .max_bytes = (size_t)1 << 30, .gzip_level = level, .max_retries = 0, .reject = no_reject};
    sl_opensearch_bulk *bulk;
    if (sl_opensearch_bulk_new(conn, &o, &bulk, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }

    double t0 = clock_s(CLOCK_MONOTONIC), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    int rc = SL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const sl_value *id = sl_struct_get(&recs[i], "log_id");
        sl_opensearch_item_src src = {"input", i + 1, -1};
        rc = sl_opensearch_bulk_add(bulk, "w1", 2, id && id->type == SL_T_STRING ? id->u.s : NULL,
                                    id && id->type == SL_T_STRING ? id->len : 0, &recs[i], &src, &err);
    }
    if (!rc) rc = sl_opensearch_bulk_flush(bulk, &err);
    double secs = clock_s(CLOCK_MONOTONIC) - t0, cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    if (rc) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    sl_opensearch_bulk_stats st;
    sl_opensearch_bulk_get_stats(bulk, &st);
    printf("{\"docs\":%zu,\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"docs_per_cpu_s\":%.0f,\"ndjson_bytes\":%llu,"
           "\"sent_bytes\":%llu,\"requests\":%llu,\"gzip_level\":%d}\n",
           n, secs, cpu, (double)n / cpu, (unsigned long long)st.bytes_ndjson, (unsigned long long)st.bytes_sent,
           (unsigned long long)st.requests, level);
    sl_opensearch_bulk_free(bulk);
    sl_opensearch_conn_free(conn);
    sl_buf_free(&c.full);
    sl_buf_free(&c.last);
    sl_arena_free(&arena);
    free(recs);
    sl_buf_free(&text);
    return 0;
}
