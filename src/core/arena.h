/*
 * arena.h — bump allocator for the records of one batch.
 *
 * Everything a batch's records point to (struct field arrays, decoded
 * strings, list items) is allocated here and freed as a whole with
 * sl_arena_reset() or sl_arena_free(); the hot path never calls malloc per
 * value. Blocks grow geometrically up to 1 MiB; a request bigger than a block
 * gets a block of its own. sl_arena_reset() keeps the first block for reuse
 * so a worker that processes batch after batch does not touch fresh pages.
 * Allocation failure follows the policy in mem.h (fatal).
 * Not thread-safe: one arena belongs to one thread at a time.
 */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

typedef struct sl_arena_block sl_arena_block;

typedef struct sl_arena {
    sl_arena_block *head;   /* current block (newest) */
    char *cursor;           /* next free byte in head */
    char *limit;            /* end of head */
    size_t next_size;       /* size of the next block to allocate */
    size_t bytes_used;      /* total handed out since last reset */
} sl_arena;

void sl_arena_init(sl_arena *a);
void sl_arena_free(sl_arena *a);   /* releases every block */
void sl_arena_reset(sl_arena *a);  /* forget all allocations, keep one block */

/* Memory aligned to 8 bytes, valid until reset/free. */
void *sl_arena_alloc(sl_arena *a, size_t size);
void *sl_arena_calloc(sl_arena *a, size_t size);
/* Copy of len bytes plus a NUL terminator. */
char *sl_arena_strndup(sl_arena *a, const char *s, size_t len);
/* Grow the most recent allocation in place when possible, else copy. */
void *sl_arena_realloc(sl_arena *a, void *old, size_t old_size, size_t new_size);

#endif
