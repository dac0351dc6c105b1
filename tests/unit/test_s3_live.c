/*
 * test_s3_live.c — the S3 client and the S3 object-store driver against a
 * real S3 server (tests/e2e/test_s3.sh starts Ceph RGW and sets
 * SLUICE_S3_ENDPOINT). Without SLUICE_S3_ENDPOINT it prints "SKIP" and
 * passes.
 *
 * Environment: SLUICE_S3_ENDPOINT (http://127.0.0.1:PORT), SLUICE_S3_ACCESS_KEY
 * and SLUICE_S3_SECRET_KEY (default AKIDTEST / SECRETTEST, the server
 * script's defaults).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/http.h"
#include "aws/s3.h"
#include "store/store.h"

#define MIB ((size_t)1 << 20)

static const char *endpoint, *access_key, *secret_key;
static char bucket[64];

/* ---- helpers ---- */

static void make_config(sl_aws_config *cfg, const char *secret) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->creds.access_key, sizeof cfg->creds.access_key, "%s", access_key);
    snprintf(cfg->creds.secret_key, sizeof cfg->creds.secret_key, "%s", secret);
    snprintf(cfg->region, sizeof cfg->region, "us-east-1");
    snprintf(cfg->endpoint, sizeof cfg->endpoint, "%s", endpoint);
    cfg->path_style = true;
}

static sl_s3 *new_client(const char *secret) {
    sl_aws_config cfg;
    make_config(&cfg, secret);
    sl_s3_options o = {.part_size = 5 * MIB, .max_in_flight = 3};
    sl_s3 *s = NULL;
    sl_error err;
    assert_int_equal(sl_s3_new(&cfg, &o, &s, &err), 0);
    return s;
}

/* Deterministic pseudo-random bytes: position-dependent so that a
 * misplaced chunk shows. */
static char *pattern(size_t n, uint32_t seed) {
    char *p = malloc(n);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (char)(x >> 24);
    }
    return p;
}

typedef struct collect {
    char *data;
    size_t len, cap;
} collect;

static int collect_body(void *ud, const void *data, size_t len) {
    collect *c = ud;
    if (c->len + len > c->cap) {
        c->cap = (c->len + len) * 2;
        c->data = realloc(c->data, c->cap);
    }
    memcpy(c->data + c->len, data, len);
    c->len += len;
    return 0;
}

static void read_all(sl_s3 *s, const char *key, uint64_t offset, uint64_t length, collect *out) {
    sl_s3_reader *r = NULL;
    sl_error err;
    int rc = sl_s3_reader_open(s, bucket, key, offset, length, &r, &err);
    if (rc) fail_msg("reader_open: %s", err.message);
    char buf[70000];
    size_t got;
    do {
        rc = sl_s3_reader_read(r, buf, sizeof buf, &got, &err);
        if (rc) fail_msg("read: %s", err.message);
        collect_body(out, buf, got);
    } while (got);
    sl_s3_reader_close(r);
}

static size_t count_uploads(sl_s3 *s, const char *prefix) {
    sl_s3_uploads u = {0};
    sl_error err;
    int rc = sl_s3_mpu_list(s, bucket, prefix, &u, &err);
    if (rc) fail_msg("mpu_list: %s", err.message);
    size_t n = u.count;
    sl_s3_uploads_free(&u);
    return n;
}

static sl_store *open_store(void) {
    sl_store_options o = {.part_size = 5 * MIB, .max_in_flight = 3};
    sl_store *st = NULL;
    sl_error err;
    char url[128];
    snprintf(url, sizeof url, "s3://%s/", bucket);
    int rc = sl_store_open(url, &o, &st, &err);
    if (rc) fail_msg("store_open: %s", err.message);
    return st;
}

/* ---- a transport that answers 503 SlowDown to every other request ---- */

typedef struct faults {
    pthread_mutex_t mu;
    int requests, injected;
    int every;       /* 1: inject always; N > 1: on request numbers n with n % N == 1 */
    bool connection; /* inject a connection error instead of a 503 */
} faults;

static int fault_perform(void *self, sl_http *h, const sl_http_request *req, sl_http_response *resp, sl_error *err) {
    faults *f = self;
    pthread_mutex_lock(&f->mu);
    int n = ++f->requests;
    bool inject = f->every == 1 || (f->every > 1 && n % f->every == 1);
    if (inject) f->injected++;
    pthread_mutex_unlock(&f->mu);
    if (!inject) return sl_http_curl_perform(h, req, resp, err);
    if (f->connection) {
        snprintf(resp->error, sizeof resp->error, "injected: connection reset");
        return sl_error_set(err, SL_EIO, "injected");
    }
    resp->status = 503;
    sl_buf_adds(&resp->headers, "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n\r\n");
    sl_buf_adds(&resp->body, "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                             "<Message>Please reduce your request rate.</Message></Error>");
    return 0;
}

static int sleeps;
static void count_sleep(void *ud, long ms) { __atomic_add_fetch(&sleeps, 1, __ATOMIC_SEQ_CST); }

/* ---- tests ---- */

static void test_small_put_get(void **state) {
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    assert_int_equal(sl_s3_put(s, bucket, "small/hello.txt", "hello, world", 12, &err), 0);
    sl_s3_object o;
    assert_int_equal(sl_s3_head(s, bucket, "small/hello.txt", &o, &err), 0);
    assert_int_equal(o.size, 12);
    assert_true(o.mtime > 1600000000);
    assert_int_equal(strlen(o.etag), 32); /* MD5, checked by put */
    sl_s3_object_free(&o);
    collect c = {0};
    assert_int_equal(sl_s3_get(s, bucket, "small/hello.txt", 0, UINT64_MAX, collect_body, &c, &err), 0);
    assert_int_equal(c.len, 12);
    assert_memory_equal(c.data, "hello, world", 12);
    c.len = 0;
    assert_int_equal(sl_s3_get(s, bucket, "small/hello.txt", 7, 5, collect_body, &c, &err), 0);
    assert_int_equal(c.len, 5);
    assert_memory_equal(c.data, "world", 5);
    c.len = 0;
    /* past the end: nothing, not an error */
    assert_int_equal(sl_s3_get(s, bucket, "small/hello.txt", 100, UINT64_MAX, collect_body, &c, &err), 0);
    assert_int_equal(c.len, 0);
    free(c.data);
    /* empty object */
    assert_int_equal(sl_s3_put(s, bucket, "small/empty", NULL, 0, &err), 0);
    assert_int_equal(sl_s3_head(s, bucket, "small/empty", &o, &err), 0);
    assert_int_equal(o.size, 0);
    sl_s3_object_free(&o);
    /* absent */
    assert_int_equal(sl_s3_head(s, bucket, "small/nope", &o, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "no such object"));
    assert_int_equal(sl_s3_delete(s, bucket, "small/empty", &err), 0);
    assert_int_equal(sl_s3_delete(s, bucket, "small/empty", &err), 0); /* twice is fine */
    assert_int_equal(sl_s3_head(s, bucket, "small/empty", &o, &err), SL_ENOTFOUND);
    sl_s3_free(s);
}

static void test_odd_keys(void **state) {
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    const char *key = "odd keys/space ü+plus%percent&amp=eq~tilde (1).txt";
    if (sl_s3_put(s, bucket, key, "x", 1, &err)) fail_msg("put: %s", err.message);
    sl_s3_object o;
    assert_int_equal(sl_s3_head(s, bucket, key, &o, &err), 0);
    sl_s3_object_free(&o);
    sl_s3_listing l = {0};
    assert_int_equal(sl_s3_list(s, bucket, "odd keys/", NULL, 0, &l, &err), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.objects[0].key, key);
    sl_s3_listing_free(&l);
    sl_s3_free(s);
}

static void test_large_put_and_parallel_read(void **state) {
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    size_t n = 12 * MIB + 12345;
    char *data = pattern(n, 1);
    if (sl_s3_put(s, bucket, "big/one-put.bin", data, n, &err)) fail_msg("put: %s", err.message);
    collect c = {0};
    read_all(s, "big/one-put.bin", 0, UINT64_MAX, &c);
    assert_int_equal(c.len, n);
    assert_memory_equal(c.data, data, n);
    /* ranges crossing the 5 MiB chunk boundaries */
    c.len = 0;
    read_all(s, "big/one-put.bin", 5 * MIB - 10, 5 * MIB + 20, &c);
    assert_int_equal(c.len, 5 * MIB + 20);
    assert_memory_equal(c.data, data + 5 * MIB - 10, 5 * MIB + 20);
    c.len = 0;
    read_all(s, "big/one-put.bin", n - 7, UINT64_MAX, &c);
    assert_int_equal(c.len, 7);
    assert_memory_equal(c.data, data + n - 7, 7);
    c.len = 0;
    read_all(s, "big/one-put.bin", n + 5, 10, &c);
    assert_int_equal(c.len, 0);
    /* the streaming single GET */
    c.len = 0;
    assert_int_equal(sl_s3_get(s, bucket, "big/one-put.bin", 3, n - 3, collect_body, &c, &err), 0);
    assert_int_equal(c.len, n - 3);
    assert_memory_equal(c.data, data + 3, n - 3);
    free(c.data);
    free(data);
    sl_s3_free(s);
}

/* Write through the store in uneven pieces. */
static void store_write(sl_store_writer *w, const char *data, size_t n) {
    sl_error err;
    size_t step = 777777;
    for (size_t off = 0; off < n; off += step) {
        size_t len = n - off < step ? n - off : step;
        if (sl_store_write(w, data + off, len, &err)) fail_msg("write: %s", err.message);
    }
}

static void test_store_multipart_publish(void **state) {
    sl_store *st = open_store();
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    char url[128];
    snprintf(url, sizeof url, "s3://%s/mp/published.bin", bucket);
    size_t n = 12 * MIB + 1;
    char *data = pattern(n, 2);
    sl_store_writer *w = NULL;
    assert_int_equal(sl_store_writer_open(st, url, "run1", &w, &err), 0);
    store_write(w, data, n);
    sl_store_pending *p = NULL;
    if (sl_store_writer_finish(w, &p, &err)) fail_msg("finish: %s", err.message);
    assert_string_equal(sl_store_pending_url(p), url);
    /* not visible yet, but the upload exists */
    sl_s3_object o;
    assert_int_equal(sl_s3_head(s, bucket, "mp/published.bin", &o, &err), SL_ENOTFOUND);
    assert_int_equal(count_uploads(s, "mp/published.bin"), 1);
    if (sl_store_publish(p, &err)) fail_msg("publish: %s", err.message);
    assert_int_equal(count_uploads(s, "mp/published.bin"), 0);
    sl_store_entry e;
    assert_int_equal(sl_store_stat(st, url, &e, &err), 0);
    assert_int_equal(e.size, n);
    free(e.url);
    /* read back through the store */
    sl_store_reader *r = NULL;
    assert_int_equal(sl_store_reader_open(st, url, 0, UINT64_MAX, &r, &err), 0);
    collect c = {0};
    char buf[1 << 16];
    size_t got;
    do {
        assert_int_equal(sl_store_read(r, buf, sizeof buf, &got, &err), 0);
        collect_body(&c, buf, got);
    } while (got);
    sl_store_reader_close(r);
    assert_int_equal(c.len, n);
    assert_memory_equal(c.data, data, n);
    free(c.data);
    free(data);
    sl_s3_free(s);
    sl_store_free(st);
}

static void test_store_multipart_discard_and_abort(void **state) {
    sl_store *st = open_store();
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    char url[128];
    snprintf(url, sizeof url, "s3://%s/mp/discarded.bin", bucket);
    size_t n = 12 * MIB;
    char *data = pattern(n, 3);
    sl_store_writer *w = NULL;
    assert_int_equal(sl_store_writer_open(st, url, "run2", &w, &err), 0);
    store_write(w, data, n);
    sl_store_pending *p = NULL;
    if (sl_store_writer_finish(w, &p, &err)) fail_msg("finish: %s", err.message);
    assert_int_equal(count_uploads(s, "mp/discarded.bin"), 1);
    sl_store_discard(p);
    assert_int_equal(count_uploads(s, "mp/discarded.bin"), 0);
    sl_s3_object o;
    assert_int_equal(sl_s3_head(s, bucket, "mp/discarded.bin", &o, &err), SL_ENOTFOUND);
    /* a writer dropped midway leaves nothing either */
    snprintf(url, sizeof url, "s3://%s/mp/aborted.bin", bucket);
    assert_int_equal(sl_store_writer_open(st, url, "run3", &w, &err), 0);
    store_write(w, data, 11 * MIB);
    sl_store_writer_abort(w);
    assert_int_equal(count_uploads(s, "mp/aborted.bin"), 0);
    assert_int_equal(sl_s3_head(s, bucket, "mp/aborted.bin", &o, &err), SL_ENOTFOUND);
    free(data);
    sl_s3_free(s);
    sl_store_free(st);
}

static void test_store_small_object(void **state) {
    sl_store *st = open_store();
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    char url[128];
    snprintf(url, sizeof url, "s3://%s/small/via-store.csv", bucket);
    sl_store_writer *w = NULL;
    assert_int_equal(sl_store_writer_open(st, url, "run4", &w, &err), 0);
    assert_int_equal(sl_store_write(w, "a,b\n1,2\n", 8, &err), 0);
    sl_store_pending *p = NULL;
    assert_int_equal(sl_store_writer_finish(w, &p, &err), 0);
    /* small: kept in memory, no upload, nothing visible */
    assert_int_equal(count_uploads(s, "small/via-store.csv"), 0);
    sl_s3_object o;
    assert_int_equal(sl_s3_head(s, bucket, "small/via-store.csv", &o, &err), SL_ENOTFOUND);
    assert_int_equal(sl_store_publish(p, &err), 0);
    assert_int_equal(sl_s3_head(s, bucket, "small/via-store.csv", &o, &err), 0);
    assert_int_equal(o.size, 8);
    sl_s3_object_free(&o);
    /* discarded small object: never appears */
    snprintf(url, sizeof url, "s3://%s/small/never.csv", bucket);
    assert_int_equal(sl_store_writer_open(st, url, "run5", &w, &err), 0);
    assert_int_equal(sl_store_write(w, "x", 1, &err), 0);
    assert_int_equal(sl_store_writer_finish(w, &p, &err), 0);
    sl_store_discard(p);
    assert_int_equal(sl_s3_head(s, bucket, "small/never.csv", &o, &err), SL_ENOTFOUND);
    /* put / delete helpers */
    snprintf(url, sizeof url, "s3://%s/small/_marker", bucket);
    assert_int_equal(sl_store_put(st, url, "{}", 2, &err), 0);
    assert_int_equal(sl_s3_head(s, bucket, "small/_marker", &o, &err), 0);
    sl_s3_object_free(&o);
    assert_int_equal(sl_store_delete(st, url, &err), 0);
    assert_int_equal(sl_s3_head(s, bucket, "small/_marker", &o, &err), SL_ENOTFOUND);
    sl_s3_free(s);
    sl_store_free(st);
}

static void test_list_pagination_and_delimiter(void **state) {
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    char key[64];
    for (int i = 0; i < 120; i++) {
        snprintf(key, sizeof key, "many/k%04d", i);
        if (sl_s3_put(s, bucket, key, key, strlen(key), &err)) fail_msg("put: %s", err.message);
    }
    sl_s3_listing l = {0};
    assert_int_equal(sl_s3_list(s, bucket, "many/", NULL, 50, &l, &err), 0);
    assert_int_equal(l.count, 120);
    assert_int_equal(l.pages, 3);
    for (int i = 0; i < 120; i++) {
        snprintf(key, sizeof key, "many/k%04d", i);
        assert_string_equal(l.objects[i].key, key);
        assert_int_equal(l.objects[i].size, strlen(key));
    }
    sl_s3_listing_free(&l);

    const char *keys[] = {"tree/a/1", "tree/a/2", "tree/b/1", "tree/c"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(sl_s3_put(s, bucket, keys[i], "x", 1, &err), 0);
    assert_int_equal(sl_s3_list(s, bucket, "tree/", "/", 0, &l, &err), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.objects[0].key, "tree/c");
    assert_int_equal(l.n_prefixes, 2);
    assert_string_equal(l.prefixes[0], "tree/a/");
    assert_string_equal(l.prefixes[1], "tree/b/");
    sl_s3_listing_free(&l);
    /* nothing under a prefix is an empty listing, not an error */
    assert_int_equal(sl_s3_list(s, bucket, "nothing-here/", NULL, 0, &l, &err), 0);
    assert_int_equal(l.count, 0);
    sl_s3_listing_free(&l);
    /* a missing bucket is */
    assert_int_equal(sl_s3_list(s, "sluice-no-such-bucket", "", NULL, 0, &l, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "NoSuchBucket"));
    sl_s3_listing_free(&l);
    sl_s3_free(s);
}

static void expect_list(sl_store *st, const char *rel, bool recursive, const char **want, size_t n_want) {
    char url[256];
    snprintf(url, sizeof url, "s3://%s/%s", bucket, rel);
    sl_store_list l = {0};
    sl_error err;
    int rc = sl_store_list_objects(st, url, recursive, &l, &err);
    if (n_want == 0) {
        assert_int_equal(rc, SL_ENOTFOUND);
    } else {
        if (rc) fail_msg("list %s: %s", url, err.message);
        if (l.count != n_want) {
            for (size_t i = 0; i < l.count; i++)
                print_message("got %s\n", l.items[i].url);
            fail_msg("list %s: %zu entries, wanted %zu", url, l.count, n_want);
        }
        for (size_t i = 0; i < n_want; i++) {
            snprintf(url, sizeof url, "s3://%s/%s", bucket, want[i]);
            assert_string_equal(l.items[i].url, url);
        }
    }
    sl_store_list_free(&l);
}

static void test_store_listing(void **state) {
    sl_s3 *s = new_client(secret_key);
    sl_store *st = open_store();
    sl_error err;
    const char *keys[] = {"lake/b.csv",   "lake/a.csv",     "lake/_SUCCESS",       "lake/.hidden",
                          "lake/x/1.csv", "lake/x/2.json",  "lake/_staging/z.csv", "lake/y/.tmp/q.csv",
                          "lake/y/3.csv", "lake2/other.csv"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_int_equal(sl_s3_put(s, bucket, keys[i], "1", 1, &err), 0);
    const char *rec[] = {"lake/a.csv", "lake/b.csv", "lake/x/1.csv", "lake/x/2.json", "lake/y/3.csv"};
    expect_list(st, "lake", true, rec, 5);
    expect_list(st, "lake/", true, rec, 5);
    const char *flat[] = {"lake/a.csv", "lake/b.csv"};
    expect_list(st, "lake", false, flat, 2);
    const char *one[] = {"lake/x/2.json"};
    expect_list(st, "lake/x/2.json", false, one, 1);
    const char *glob_csv[] = {"lake/a.csv", "lake/b.csv"};
    expect_list(st, "lake/*.csv", false, glob_csv, 2);
    const char *glob_dirs[] = {"lake/x/1.csv", "lake/x/2.json", "lake/y/3.csv"};
    expect_list(st, "lake/[xy]", false, glob_dirs, 3);
    const char *glob_deep[] = {"lake/x/1.csv", "lake/y/3.csv"};
    expect_list(st, "lake/*/*.csv", false, glob_deep, 2);
    expect_list(st, "lake/*.parquet", false, NULL, 0);
    expect_list(st, "nowhere", true, NULL, 0);
    sl_store_entry e;
    char url[128];
    snprintf(url, sizeof url, "s3://%s/lake/nope.csv", bucket);
    assert_int_equal(sl_store_stat(st, url, &e, &err), SL_ENOTFOUND);
    sl_store_free(st);
    sl_s3_free(s);
}

static void test_wrong_secret_fails_fast(void **state) {
    sl_s3 *s = new_client("not-the-secret");
    faults f = {.mu = PTHREAD_MUTEX_INITIALIZER};
    sl_http_transport t = {fault_perform, &f};
    sl_s3_set_transport(s, &t);
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_s3_put(s, bucket, "denied.txt", "x", 1, &err);
    assert_int_equal(rc, SL_EIO);
    assert_int_equal(f.requests, 1); /* no retries */
    assert_non_null(strstr(err.message, "HTTP 403"));
    assert_non_null(strstr(err.message, "SignatureDoesNotMatch"));
    assert_null(strstr(err.message, "not-the-secret"));
    sl_s3_free(s);
}

static void test_injected_faults_are_retried(void **state) {
    sl_s3 *s = new_client(secret_key);
    faults f = {.mu = PTHREAD_MUTEX_INITIALIZER, .every = 2};
    sl_http_transport t = {fault_perform, &f};
    sl_s3_set_transport(s, &t);
    sleeps = 0;
    sl_retry_policy p = {.max_attempts = 4, .base_ms = 1, .max_ms = 2};
    sl_s3_set_retry(s, &p, count_sleep, NULL);
    sl_error err;
    size_t n = 11 * MIB;
    char *data = pattern(n, 4);
    if (sl_s3_put(s, bucket, "faults/put.bin", data, n, &err)) fail_msg("put: %s", err.message);
    /* multipart with parts in flight, each first try answered 503 */
    sl_s3_writer *w = NULL;
    assert_int_equal(sl_s3_writer_open(s, bucket, "faults/mp.bin", &w, &err), 0);
    assert_int_equal(sl_s3_writer_write(w, data, n, &err), 0);
    if (sl_s3_writer_finish(w, &err)) fail_msg("finish: %s", err.message);
    assert_true(sl_s3_writer_is_multipart(w));
    if (sl_s3_writer_commit(w, &err)) fail_msg("commit: %s", err.message);
    sl_s3_writer_free(w);
    collect c = {0};
    read_all(s, "faults/mp.bin", 0, UINT64_MAX, &c);
    assert_int_equal(c.len, n);
    assert_memory_equal(c.data, data, n);
    free(c.data);
    assert_true(f.injected >= 6);
    assert_int_equal(sleeps, f.injected);
    /* connection errors too */
    f.connection = true;
    c = (collect){0};
    assert_int_equal(sl_s3_get(s, bucket, "faults/put.bin", 0, UINT64_MAX, collect_body, &c, &err), 0);
    assert_int_equal(c.len, n);
    assert_memory_equal(c.data, data, n);
    free(c.data);
    /* every attempt failing: gives up after max_attempts with the server's message */
    f.connection = false;
    f.every = 1;
    f.requests = 0;
    sl_s3_object o;
    assert_int_equal(sl_s3_head(s, bucket, "faults/put.bin", &o, &err), SL_EIO);
    assert_int_equal(f.requests, 4);
    assert_non_null(strstr(err.message, "SlowDown"));
    assert_non_null(strstr(err.message, "after 4 attempts"));
    free(data);
    sl_s3_free(s);
}

static int setup(void **state) {
    sl_s3 *s = new_client(secret_key);
    sl_error err;
    snprintf(bucket, sizeof bucket, "sluice-test-%ld-%d", (long)time(NULL), (int)getpid());
    int rc = sl_s3_create_bucket(s, bucket, &err);
    if (rc) fprintf(stderr, "create bucket %s: %s\n", bucket, err.message);
    sl_s3_free(s);
    return rc;
}

int main(void) {
    endpoint = getenv("SLUICE_S3_ENDPOINT");
    if (!endpoint || !*endpoint) {
        printf("SKIP: SLUICE_S3_ENDPOINT is not set (tests/e2e/test_s3.sh sets it)\n");
        return 0;
    }
    access_key = getenv("SLUICE_S3_ACCESS_KEY") ? getenv("SLUICE_S3_ACCESS_KEY") : "AKIDTEST";
    secret_key = getenv("SLUICE_S3_SECRET_KEY") ? getenv("SLUICE_S3_SECRET_KEY") : "SECRETTEST";
    /* the store finds its configuration the way users' runs do */
    setenv("AWS_ACCESS_KEY_ID", access_key, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret_key, 1);
    setenv("AWS_ENDPOINT_URL_S3", endpoint, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SESSION_TOKEN");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_put_get),
        cmocka_unit_test(test_odd_keys),
        cmocka_unit_test(test_large_put_and_parallel_read),
        cmocka_unit_test(test_store_multipart_publish),
        cmocka_unit_test(test_store_multipart_discard_and_abort),
        cmocka_unit_test(test_store_small_object),
        cmocka_unit_test(test_list_pagination_and_delimiter),
        cmocka_unit_test(test_store_listing),
        cmocka_unit_test(test_wrong_secret_fails_fast),
        cmocka_unit_test(test_injected_faults_are_retried),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
