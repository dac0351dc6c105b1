/*
 * batch.h — a batch of records sharing one arena.
 *
 * A source fills a batch from one chunk of input; the records' strings may
 * point straight into that chunk, so the source "pins" the chunk to the batch
 * and the batch releases it when it is reset or freed. Transforms replace
 * `records` with a new array allocated in the batch arena (they never edit
 * the input array's elements in place, so a batch can feed several nodes);
 * targets read `records`. A batch belongs to one worker thread.
 *
 * Locations: `locs[i]` says where records[i] came from (line, byte offset in
 * `source_name`), for the error output. Transforms that drop or reorder
 * records keep `locs` parallel to `records` (sl_batch_keep helps).
 */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/value.h"

typedef struct sl_recloc {
    uint64_t line;    /* 1-based line in the source file, 0 = unknown */
    int64_t offset;   /* byte offset of the record's first byte, -1 = unknown */
} sl_recloc;

typedef struct sl_pin {
    void *ptr;
    void (*release)(void *ptr, void *ctx);
    void *ctx;
} sl_pin;

typedef struct sl_batch {
    sl_arena arena;
    sl_value *records;     /* STRUCT values */
    sl_recloc *locs;       /* parallel to records */
    size_t count;
    size_t cap;            /* capacity of the arrays sl_batch_push appends to */
    size_t cap_hint;       /* expected records per batch: the arrays start this big (0 = 256) */
    const char *source_name; /* file path / key the records came from; owned by the source */
    uint64_t bytes_in;     /* input bytes this batch consumed */
    /* Input-order key of records[0] before any transform dropped records:
     * (split index << 40) + ordinal of the record in its split. Record i's
     * key is seq_base + i, which keeps order within and across splits
     * (set by the executor; used by sort for stability). Below a node that
     * emits more records than it got (flat_map, relationalize) the executor
     * shifts seq_base past the records it added, so keys keep increasing. */
    uint64_t seq_base;
    /* Multi-output nodes (split_rows, relationalize…): process() sets
     * ports[i] to the output port record i leaves on (an index into the
     * node's ports; array in the arena, parallel to records). NULL for
     * every other node; the executor routes each port to its children. */
    uint16_t *ports;
    /* Which of the receiving node's inputs this batch arrives on (0-based,
     * set by the executor before process(); join and sql use it). */
    uint32_t input;
    sl_pin *pins;
    size_t n_pins, cap_pins;
} sl_batch;

#define SL_BATCH_DEFAULT_RECORDS 1024

void sl_batch_init(sl_batch *b);
void sl_batch_free(sl_batch *b);
/* Drop all records, release pins, reset the arena (memory kept). */
void sl_batch_reset(sl_batch *b);

/* Append a record and its location (arrays grow in the arena). */
void sl_batch_push(sl_batch *b, sl_value record, sl_recloc loc);

/* Keep the chunk alive until reset/free; release(ptr, ctx) is called then
 * (release may be NULL for memory owned elsewhere). */
void sl_batch_pin(sl_batch *b, void *ptr, void (*release)(void *ptr, void *ctx), void *ctx);

/* Replace records/locs with the subset where keep[i] is true (new arrays in
 * the arena; the old ones stay valid for sibling nodes). */
void sl_batch_keep(sl_batch *b, const unsigned char *keep);

/* New uninitialised records array of b->count elements in the arena for a
 * transform to fill and then assign to b->records (locs stay as they are;
 * b->cap is not changed, so do not sl_batch_push afterwards). */
sl_value *sl_batch_new_records(sl_batch *b);

#endif
