/*
 * store.h — the object store: one interface over local directories and S3,
 * so every node that takes a path takes either ("./data/lake", "/abs/dir",
 * "file:///abs/dir", "s3://bucket/prefix").
 *
 * Reading: list objects under a prefix (sorted, names starting with '.' or
 * '_' skipped, Hadoop-style), stat one, and read bytes (a range or all).
 * Writing is two-phase so that a run's output becomes visible only when the
 * run succeeds:
 *   sl_store_writer_open → write… → sl_store_writer_finish  ⇒ sl_store_pending
 *   sl_store_publish(pending)   makes the object visible under its final key
 *   sl_store_discard(pending)   removes every trace of it
 * Local driver: finish = the file complete in a staging directory
 * (<dir>/_staging-<tag>/), publish = rename(2) into place, discard = unlink.
 * S3 driver: data goes up as a multipart upload (parts of part_size, several
 * in flight) whose CompleteMultipartUpload is sent only by publish; small
 * objects are kept in memory (or a temp file) and PUT by publish. discard =
 * AbortMultipartUpload, so no orphan parts remain.
 *
 * Thread safety: a store handle may be shared by threads; readers and
 * writers belong to one thread each.
 */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct sl_store sl_store;
typedef struct sl_store_reader sl_store_reader;
typedef struct sl_store_writer sl_store_writer;
typedef struct sl_store_pending sl_store_pending;

/* Connection settings for non-local stores (job node overrides). Any
 * member may be NULL; see aws/credentials.h for how the rest is found. */
typedef struct sl_store_options {
    const char *region;
    const char *endpoint;
    const char *profile;
    int64_t part_size;      /* multipart part size; default 8 MiB (minimum 5 MiB) */
    int max_in_flight;      /* parallel part uploads / range reads per stream; default 4 */
} sl_store_options;

/* Is this a URL of a non-local store ("s3://…")? */
bool sl_store_is_remote(const char *url);

/* A store for url's scheme and bucket. opts may be NULL. */
int sl_store_open(const char *url, const sl_store_options *opts, sl_store **out, sl_error *err);
void sl_store_free(sl_store *s);

typedef struct sl_store_entry {
    char *url;              /* full URL or path of the object (malloc'd) */
    uint64_t size;
    int64_t mtime;          /* seconds since the epoch, 0 if unknown */
} sl_store_entry;

typedef struct sl_store_list {
    sl_store_entry *items;
    size_t count, cap;
} sl_store_list;

void sl_store_list_free(sl_store_list *l);

/* Objects named by url: the object itself; everything under it when it is
 * a directory/prefix (recursive or one level); glob patterns (*, ?, [..])
 * in the last segments. Sorted by url. SL_ENOTFOUND when nothing matches. */
int sl_store_list_objects(sl_store *s, const char *url, bool recursive, sl_store_list *out, sl_error *err);
int sl_store_stat(sl_store *s, const char *url, sl_store_entry *out, sl_error *err);

/* Read bytes [offset, offset+length) of an object (length UINT64_MAX = to
 * the end). The reader streams; S3 reads large ranges in parallel chunks. */
int sl_store_reader_open(sl_store *s, const char *url, uint64_t offset, uint64_t length, sl_store_reader **out,
                         sl_error *err);
/* *got == 0 at the end. */
int sl_store_read(sl_store_reader *r, void *buf, size_t cap, size_t *got, sl_error *err);
void sl_store_reader_close(sl_store_reader *r);

/* Write an object that will appear at url only when published. tag names
 * the staging area (the run id). */
int sl_store_writer_open(sl_store *s, const char *url, const char *tag, sl_store_writer **out, sl_error *err);
int sl_store_write(sl_store_writer *w, const void *data, size_t len, sl_error *err);
/* Complete the data (not yet visible); frees w. */
int sl_store_writer_finish(sl_store_writer *w, sl_store_pending **out, sl_error *err);
/* Drop a writer on the failure path; frees w. */
void sl_store_writer_abort(sl_store_writer *w);

int sl_store_publish(sl_store_pending *p, sl_error *err); /* frees p on success */
void sl_store_discard(sl_store_pending *p);               /* frees p */
const char *sl_store_pending_url(const sl_store_pending *p);

/* Small whole-object helpers (markers, manifests). */
int sl_store_put(sl_store *s, const char *url, const void *data, size_t len, sl_error *err);
int sl_store_delete(sl_store *s, const char *url, sl_error *err);

#endif
