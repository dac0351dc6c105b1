/* buf.c — see buf.h. */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"

void sl_buf_init(sl_buf *b, size_t max) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : SL_BUF_UNLIMITED;
}

void sl_buf_free(sl_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void sl_buf_reset(sl_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

int sl_buf_reserve(sl_buf *b, size_t extra) {
    if (extra > b->max - b->len) return SL_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return SL_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    b->data = sl_xrealloc(b->data, cap);
    b->data[b->len] = 0;
    b->cap = cap;
    return SL_OK;
}

int sl_buf_add(sl_buf *b, const void *data, size_t len) {
    int rc = sl_buf_reserve(b, len);
    if (rc) return rc;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return SL_OK;
}

int sl_buf_addc(sl_buf *b, char c) { return sl_buf_add(b, &c, 1); }
int sl_buf_adds(sl_buf *b, const char *s) { return sl_buf_add(b, s, strlen(s)); }

int sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return SL_EINVAL;
    int rc = sl_buf_reserve(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return SL_OK;
}

int sl_buf_printf(sl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = sl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *sl_buf_detach(sl_buf *b) {
    char *p = b->data;
    if (!p) p = sl_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
