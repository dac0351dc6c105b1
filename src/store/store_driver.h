/*
 * store_driver.h — the vtable every object-store driver implements and
 * store.c dispatches through (after SQLite's VFS). Not for callers of the
 * store: they use store.h only.
 *
 * store.c owns the public handles (sl_store, sl_store_reader,
 * sl_store_writer, sl_store_pending): each holds the driver pointer and the
 * driver's own opaque object (`void *`) returned by the open calls below.
 * store.c also keeps the url given to writer_open, for
 * sl_store_pending_url().
 *
 * Contracts (same as store.h unless stated):
 *   open           parses url's scheme/bucket, connects lazily; *self is freed by free().
 *   list           sorted by url; skips names whose last segment starts with
 *                  '.' or '_'; glob (*, ?, [..]) allowed in the last segment;
 *                  SL_ENOTFOUND when nothing matches. Appends to out, entries malloc'd.
 *   stat           one object; SL_ENOTFOUND when absent. out->url malloc'd.
 *   reader_open    bytes [offset, offset+length) (length UINT64_MAX = to the end).
 *   read           *got == 0 at the end.
 *   writer_open    tag names the staging area (run id); nothing visible yet.
 *   writer_finish  completes the data and frees the writer, returning a
 *                  pending object (still invisible) — on failure too the
 *                  writer is freed (and its partial data removed).
 *   writer_abort   frees the writer and removes its partial data.
 *   publish        makes the pending object visible; frees it on success,
 *                  leaves it intact on failure (the caller then discards).
 *   discard        removes every trace of the pending object; frees it.
 *   put/del        whole small objects; del of an absent object is not an error.
 *   free           frees the store object (all readers/writers closed first).
 *
 * Thread safety: self may be used by several threads at once; reader,
 * writer and pending objects by one thread at a time.
 */
#ifndef SL_STORE_DRIVER_H
#define SL_STORE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

typedef struct sl_store_driver {
    const char *scheme; /* "s3" (URL prefix without "://"), "file" */

    int (*open)(const char *url, const sl_store_options *opts, void **self, sl_error *err);
    void (*free)(void *self);

    int (*list)(void *self, const char *url, bool recursive, sl_store_list *out, sl_error *err);
    int (*stat)(void *self, const char *url, sl_store_entry *out, sl_error *err);

    int (*reader_open)(void *self, const char *url, uint64_t offset, uint64_t length, void **reader, sl_error *err);
    int (*read)(void *reader, void *buf, size_t cap, size_t *got, sl_error *err);
    void (*reader_close)(void *reader);

    int (*writer_open)(void *self, const char *url, const char *tag, void **writer, sl_error *err);
    int (*write)(void *writer, const void *data, size_t len, sl_error *err);
    int (*writer_finish)(void *writer, void **pending, sl_error *err);
    void (*writer_abort)(void *writer);

    int (*publish)(void *pending, sl_error *err);
    void (*discard)(void *pending);

    int (*put)(void *self, const char *url, const void *data, size_t len, sl_error *err);
    int (*del)(void *self, const char *url, sl_error *err);
} sl_store_driver;

/* The local driver (store_file.c): paths and "file://" urls. */
extern const sl_store_driver sl_store_file_driver;

/* The S3 driver (store_s3.c): urls "s3://bucket/key". sl_store_s3_open is
 * its `open` member, exported for tests. */
extern const sl_store_driver sl_store_s3_driver;
int sl_store_s3_open(const char *url, const sl_store_options *opts, void **self, sl_error *err);

#endif
