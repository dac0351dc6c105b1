/*
 * buf.h — growable byte buffer with a hard maximum set at creation
 * (after curl's dynbuf). Used for output text (JSON/CSV writers), messages
 * and file contents.
 *
 * The buffer owns its memory; sl_buf_detach() hands it to the caller.
 * Appends past `max` fail with SL_ELIMIT and leave the content unchanged.
 * Allocation failure is fatal (mem.h).
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct sl_buf {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;   /* hard limit on len */
} sl_buf;

#define SL_BUF_UNLIMITED ((size_t)-1 / 2)

void sl_buf_init(sl_buf *b, size_t max);
void sl_buf_free(sl_buf *b);
void sl_buf_reset(sl_buf *b);             /* len = 0, keeps memory */
int sl_buf_reserve(sl_buf *b, size_t extra); /* room for extra more bytes */
int sl_buf_add(sl_buf *b, const void *data, size_t len);
int sl_buf_addc(sl_buf *b, char c);
int sl_buf_adds(sl_buf *b, const char *s);
int sl_buf_printf(sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sl_buf_vprintf(sl_buf *b, const char *fmt, va_list ap);
char *sl_buf_detach(sl_buf *b);           /* caller frees; b is reset */

/* Hot-path append without a capacity check: caller reserved first. */
static inline void sl_buf_add_unchecked(sl_buf *b, const void *data, size_t len) {
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

#endif
