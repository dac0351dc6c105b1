/* spill.c — see spill.h. */
#include "exec/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/serialize.h"

#define SPILL_BUF (1u << 20)

struct sl_spill {
    int fd;
    sl_buf pending;   /* appended, not yet written */
    uint64_t written; /* bytes in the file */
};

int sl_spill_open(const char *dir, sl_spill **out, sl_error *err) {
    if (!dir || !dir[0]) dir = getenv("TMPDIR");
    if (!dir || !dir[0]) dir = "/tmp";
    char path[1024];
    snprintf(path, sizeof path, "%s/sluice-spill-XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0) return sl_error_set(err, SL_EIO, "cannot create a spill file in %s: %s", dir, strerror(errno));
    unlink(path);
    sl_spill *s = sl_xcalloc(1, sizeof *s);
    s->fd = fd;
    sl_buf_init(&s->pending, 0);
    *out = s;
    return SL_OK;
}

void sl_spill_close(sl_spill *s) {
    if (!s) return;
    close(s->fd);
    sl_buf_free(&s->pending);
    free(s);
}

static int write_all(sl_spill *s, sl_error *err) {
    const char *p = s->pending.data;
    size_t left = s->pending.len;
    while (left) {
        ssize_t n = write(s->fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return sl_error_set(err, SL_EIO, "cannot write a spill file: %s", strerror(errno));
        p += n;
        left -= (size_t)n;
    }
    s->written += s->pending.len;
    sl_buf_reset(&s->pending);
    return SL_OK;
}

int sl_spill_append(sl_spill *s, const void *data, size_t len, sl_error *err) {
    sl_varint_put(&s->pending, len);
    sl_buf_add(&s->pending, data, len);
    return s->pending.len >= SPILL_BUF ? write_all(s, err) : SL_OK;
}

int sl_spill_flush(sl_spill *s, uint64_t *size, sl_error *err) {
    int rc = s->pending.len ? write_all(s, err) : SL_OK;
    if (size) *size = s->written;
    return rc;
}

uint64_t sl_spill_bytes(const sl_spill *s) { return s->written + s->pending.len; }

void sl_spill_reader_init(sl_spill_reader *r, const sl_spill *s, uint64_t start, uint64_t end) {
    memset(r, 0, sizeof *r);
    r->spill = s;
    r->pos = start;
    r->end = end;
    r->chunk = SPILL_BUF;
}

void sl_spill_reader_set_chunk(sl_spill_reader *r, size_t bytes) { r->chunk = bytes < 4096 ? 4096 : bytes; }

void sl_spill_reader_free(sl_spill_reader *r) {
    free(r->buf);
    r->buf = NULL;
}

/* Make at least `need` unread bytes available (fewer at the end). */
static int fill(sl_spill_reader *r, size_t need, sl_error *err) {
    size_t avail = r->buf_len - r->buf_pos;
    if (avail >= need) return SL_OK;
    if (r->buf_pos) {
        memmove(r->buf, r->buf + r->buf_pos, avail);
        r->buf_len = avail;
        r->buf_pos = 0;
    }
    size_t want = need > r->chunk ? need : r->chunk;
    if (r->buf_cap < want) {
        r->buf = sl_xrealloc(r->buf, want);
        r->buf_cap = want;
    }
    while (r->buf_len < r->buf_cap && r->pos < r->end) {
        size_t n = r->buf_cap - r->buf_len;
        if ((uint64_t)n > r->end - r->pos) n = (size_t)(r->end - r->pos);
        ssize_t got = pread(r->spill->fd, r->buf + r->buf_len, n, (off_t)r->pos);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return sl_error_set(err, SL_EIO, "cannot read a spill file: %s", got ? strerror(errno) : "short read");
        r->buf_len += (size_t)got;
        r->pos += (uint64_t)got;
    }
    return SL_OK;
}

int sl_spill_next(sl_spill_reader *r, const char **data, size_t *len, sl_error *err) {
    int rc = fill(r, 10, err);
    if (rc) return rc;
    if (r->buf_pos == r->buf_len) return 0;
    const char *p = r->buf + r->buf_pos, *end = r->buf + r->buf_len;
    uint64_t n;
    if (sl_varint_get(&p, end, &n) || n > (1ull << 32)) return sl_error_set(err, SL_EIO, "corrupt spill file");
    size_t head = (size_t)(p - (r->buf + r->buf_pos));
    rc = fill(r, head + (size_t)n, err);
    if (rc) return rc;
    if (r->buf_len - r->buf_pos < head + n) return sl_error_set(err, SL_EIO, "truncated spill file");
    *data = r->buf + r->buf_pos + head;
    *len = (size_t)n;
    r->buf_pos += head + (size_t)n;
    return 1;
}
