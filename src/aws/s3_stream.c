/*
 * s3_stream.c — the S3 streaming writer (multipart upload with parts in
 * flight while the caller keeps writing) and the parallel ranged reader,
 * both running their requests on the client's worker pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "aws/s3_int.h"
#include "core/mem.h"

#define MAX_PART_SIZE ((int64_t)5 << 30)
#define FIRST_BUFFER ((size_t)64 << 10)

/* ---- writer ---- */

typedef struct part_task {
    sl_s3_task base;
    sl_s3_writer *w;
    int number;
    char *data;
    size_t len;
    char etag[SL_S3_ETAG_MAX];
    int rc;
    sl_error err;
} part_task;

struct sl_s3_writer {
    sl_s3 *s3;
    char *bucket, *key;
    char *buf; /* the part being filled */
    size_t len, alloc;
    uint64_t total;
    char *upload_id;       /* NULL until the first part goes up */
    part_task **in_flight; /* FIFO, oldest first */
    int n_in_flight;
    sl_s3_part *parts;
    size_t n_parts, parts_cap;
    int next_number;
    int rc; /* sticky failure */
    sl_error err;
    bool finished, committed;
};

/* Part n's size: part_size for parts 1..1000, twice that for 1001..2000, … */
static size_t part_size_for(const sl_s3_writer *w, int number) {
    int64_t size = w->s3->part_size * (1 + (number - 1) / 1000);
    return (size_t)(size > MAX_PART_SIZE ? MAX_PART_SIZE : size);
}

static void run_part(sl_s3_task *t) {
    part_task *p = (part_task *)t;
    sl_s3_writer *w = p->w;
    sl_error_clear(&p->err);
    p->rc = sl_s3_mpu_upload_part(w->s3, w->bucket, w->key, w->upload_id, p->number, p->data, p->len, p->etag, &p->err);
}

static int fail(sl_s3_writer *w, int rc, const sl_error *cause) {
    if (!w->rc) {
        w->rc = rc;
        if (cause) w->err = *cause;
    }
    return rc;
}

static int sticky(const sl_s3_writer *w, sl_error *err) {
    if (err) *err = w->err;
    return w->rc;
}

/* Wait for the oldest part in flight and record its ETag. */
static void collect_oldest(sl_s3_writer *w) {
    part_task *p = w->in_flight[0];
    sl_s3_pool_wait(w->s3, &p->base);
    memmove(w->in_flight, w->in_flight + 1, (size_t)(w->n_in_flight - 1) * sizeof *w->in_flight);
    w->n_in_flight--;
    if (p->rc) {
        fail(w, p->rc, &p->err);
    } else {
        if (w->n_parts == w->parts_cap) {
            w->parts_cap = w->parts_cap ? w->parts_cap * 2 : 64;
            w->parts = sl_xrealloc(w->parts, w->parts_cap * sizeof *w->parts);
        }
        sl_s3_part *part = &w->parts[w->n_parts++];
        part->number = p->number;
        memcpy(part->etag, p->etag, sizeof part->etag);
    }
    free(p->data);
    free(p);
}

static void drain(sl_s3_writer *w) {
    while (w->n_in_flight)
        collect_oldest(w);
}

/* Send the buffered bytes as the next part. */
static int ship_part(sl_s3_writer *w) {
    if (!w->upload_id) {
        sl_error e;
        sl_error_clear(&e);
        int rc = sl_s3_mpu_create(w->s3, w->bucket, w->key, &w->upload_id, &e);
        if (rc) return fail(w, rc, &e);
    }
    if (w->next_number > SL_S3_MAX_PARTS) {
        sl_error e;
        sl_error_set(&e, SL_ELIMIT, "s3://%s/%s: more than %d parts", w->bucket, w->key, SL_S3_MAX_PARTS);
        return fail(w, SL_ELIMIT, &e);
    }
    while (w->n_in_flight >= w->s3->max_in_flight)
        collect_oldest(w);
    if (w->rc) return w->rc;
    part_task *p = sl_xcalloc(1, sizeof *p);
    p->base.run = run_part;
    p->w = w;
    p->number = w->next_number++;
    p->data = w->buf;
    p->len = w->len;
    w->buf = NULL;
    w->len = w->alloc = 0;
    w->in_flight[w->n_in_flight++] = p;
    sl_s3_pool_submit(w->s3, &p->base);
    return SL_OK;
}

int sl_s3_writer_open(sl_s3 *s, const char *bucket, const char *key, sl_s3_writer **out, sl_error *err) {
    sl_s3_writer *w = sl_xcalloc(1, sizeof *w);
    w->s3 = s;
    w->bucket = sl_xstrdup(bucket);
    w->key = sl_xstrdup(key);
    w->next_number = 1;
    w->in_flight = sl_xcalloc((size_t)s->max_in_flight, sizeof *w->in_flight);
    sl_error_clear(&w->err);
    *out = w;
    return SL_OK;
}

int sl_s3_writer_write(sl_s3_writer *w, const void *data, size_t len, sl_error *err) {
    if (w->rc) return sticky(w, err);
    if (w->finished) return sl_error_set(err, SL_EINTERNAL, "s3://%s/%s: write after finish", w->bucket, w->key);
    const char *p = data;
    while (len) {
        size_t limit = part_size_for(w, w->next_number);
        if (w->len == limit && ship_part(w)) return sticky(w, err);
        limit = part_size_for(w, w->next_number);
        if (w->len == w->alloc) {
            /* grow towards one part, so that small objects stay small */
            size_t grow = w->alloc ? w->alloc * 2 : FIRST_BUFFER;
            if (grow > limit) grow = limit;
            w->buf = sl_xrealloc(w->buf, grow);
            w->alloc = grow;
        }
        size_t n = w->alloc - w->len;
        if (n > len) n = len;
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        w->total += n;
        p += n;
        len -= n;
    }
    return SL_OK;
}

int sl_s3_writer_finish(sl_s3_writer *w, sl_error *err) {
    if (w->rc) return sticky(w, err);
    if (w->finished) return SL_OK;
    if (w->upload_id && w->len > 0) ship_part(w);
    drain(w);
    if (w->rc) return sticky(w, err);
    w->finished = true;
    return SL_OK;
}

int sl_s3_writer_commit(sl_s3_writer *w, sl_error *err) {
    if (w->rc) return sticky(w, err);
    if (!w->finished) return sl_error_set(err, SL_EINTERNAL, "s3://%s/%s: commit before finish", w->bucket, w->key);
    if (w->committed) return SL_OK;
    int rc = w->upload_id ? sl_s3_mpu_complete(w->s3, w->bucket, w->key, w->upload_id, w->parts, w->n_parts, err)
                          : sl_s3_put(w->s3, w->bucket, w->key, w->buf, w->len, err);
    if (rc == SL_OK) w->committed = true;
    return rc;
}

uint64_t sl_s3_writer_size(const sl_s3_writer *w) { return w->total; }
bool sl_s3_writer_is_multipart(const sl_s3_writer *w) { return w->upload_id != NULL; }

void sl_s3_writer_free(sl_s3_writer *w) {
    if (!w) return;
    drain(w);
    if (w->upload_id && !w->committed) sl_s3_mpu_abort(w->s3, w->bucket, w->key, w->upload_id, NULL);
    free(w->buf);
    free(w->upload_id);
    free(w->in_flight);
    free(w->parts);
    free(w->bucket);
    free(w->key);
    free(w);
}

/* ---- parallel reader ---- */

typedef struct range_task {
    sl_s3_task base;
    sl_s3_reader *r;
    uint64_t offset;
    size_t len;
    char *data;
    int rc;
    sl_error err;
} range_task;

struct sl_s3_reader {
    sl_s3 *s3;
    char *bucket, *key;
    char etag[SL_S3_ETAG_MAX];
    uint64_t size;
    uint64_t next_offset, end; /* what is still to be requested */
    range_task **ring;
    int head, count, max;
    char *cur; /* the chunk being handed out */
    size_t cur_len, cur_pos;
    int rc;
    sl_error err;
};

static void run_range(sl_s3_task *t) {
    range_task *g = (range_task *)t;
    sl_s3_reader *r = g->r;
    sl_error_clear(&g->err);
    char what[1200], range[64];
    snprintf(what, sizeof what, "GetObject s3://%s/%s", r->bucket, r->key);
    snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)g->offset,
             (unsigned long long)(g->offset + g->len - 1));
    sl_http_header headers[2] = {{"Range", range}, {"If-Match", NULL}};
    char quoted[SL_S3_ETAG_MAX + 2];
    size_t n_headers = 1;
    if (r->etag[0]) {
        snprintf(quoted, sizeof quoted, "\"%s\"", r->etag);
        headers[1].value = quoted;
        n_headers = 2;
    }
    sl_buf url;
    sl_buf_init(&url, 0);
    sl_s3_object_url(r->s3, r->bucket, r->key, &url);
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_buf_reserve(&resp.body, g->len);
    sl_aws_request req = {
        .http = {.method = "GET", .url = url.data, .headers = headers, .n_headers = n_headers},
        .what = what,
    };
    sl_s3_outcome oc;
    g->rc = sl_s3_call(r->s3, &req, &resp, &oc, &g->err);
    if (g->rc && oc.status == 412)
        g->rc =
            sl_error_set(&g->err, SL_EIO, "s3://%s/%s: the object changed while it was being read", r->bucket, r->key);
    else if (g->rc == SL_OK && resp.body.len != g->len)
        g->rc = sl_error_set(&g->err, SL_EIO, "%s: asked for %zu bytes at %llu, got %zu", what, g->len,
                             (unsigned long long)g->offset, resp.body.len);
    else if (g->rc == SL_OK)
        g->data = sl_buf_detach(&resp.body);
    sl_http_response_free(&resp);
    sl_buf_free(&url);
}

static void schedule(sl_s3_reader *r) {
    while (r->count < r->max && r->next_offset < r->end) {
        range_task *g = sl_xcalloc(1, sizeof *g);
        g->base.run = run_range;
        g->r = r;
        g->offset = r->next_offset;
        uint64_t left = r->end - r->next_offset;
        g->len = left < (uint64_t)r->s3->part_size ? (size_t)left : (size_t)r->s3->part_size;
        r->next_offset += g->len;
        r->ring[(r->head + r->count) % r->max] = g;
        r->count++;
        sl_s3_pool_submit(r->s3, &g->base);
    }
}

int sl_s3_reader_open(sl_s3 *s, const char *bucket, const char *key, uint64_t offset, uint64_t length,
                      sl_s3_reader **out, sl_error *err) {
    *out = NULL;
    sl_s3_object o;
    int rc = sl_s3_head(s, bucket, key, &o, err);
    if (rc) return rc;
    sl_s3_reader *r = sl_xcalloc(1, sizeof *r);
    r->s3 = s;
    r->bucket = sl_xstrdup(bucket);
    r->key = sl_xstrdup(key);
    memcpy(r->etag, o.etag, sizeof r->etag);
    r->size = o.size;
    sl_s3_object_free(&o);
    r->next_offset = offset < r->size ? offset : r->size;
    r->end = length == UINT64_MAX || length > r->size - r->next_offset ? r->size : r->next_offset + length;
    r->max = s->max_in_flight;
    r->ring = sl_xcalloc((size_t)r->max, sizeof *r->ring);
    sl_error_clear(&r->err);
    *out = r;
    return SL_OK;
}

int sl_s3_reader_read(sl_s3_reader *r, void *buf, size_t cap, size_t *got, sl_error *err) {
    *got = 0;
    if (r->rc) {
        if (err) *err = r->err;
        return r->rc;
    }
    while (r->cur_pos == r->cur_len) {
        free(r->cur);
        r->cur = NULL;
        r->cur_len = r->cur_pos = 0;
        schedule(r);
        if (r->count == 0) return SL_OK; /* the end */
        range_task *g = r->ring[r->head];
        sl_s3_pool_wait(r->s3, &g->base);
        r->head = (r->head + 1) % r->max;
        r->count--;
        if (g->rc) {
            r->rc = g->rc;
            r->err = g->err;
            free(g);
            if (err) *err = r->err;
            return r->rc;
        }
        r->cur = g->data;
        r->cur_len = g->len;
        free(g);
        schedule(r); /* keep the pipeline full while the caller consumes */
    }
    size_t n = r->cur_len - r->cur_pos;
    if (n > cap) n = cap;
    memcpy(buf, r->cur + r->cur_pos, n);
    r->cur_pos += n;
    *got = n;
    return SL_OK;
}

uint64_t sl_s3_reader_object_size(const sl_s3_reader *r) { return r->size; }

void sl_s3_reader_close(sl_s3_reader *r) {
    if (!r) return;
    while (r->count) {
        range_task *g = r->ring[r->head];
        sl_s3_pool_wait(r->s3, &g->base);
        free(g->data);
        free(g);
        r->head = (r->head + 1) % r->max;
        r->count--;
    }
    free(r->cur);
    free(r->ring);
    free(r->bucket);
    free(r->key);
    free(r);
}
