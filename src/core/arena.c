/* arena.c — see arena.h. */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct sl_arena_block {
    sl_arena_block *prev;
    size_t size; /* usable bytes after the header */
};

#define ARENA_FIRST (16u * 1024u)
#define ARENA_MAX (1024u * 1024u)
#define HDR ((sizeof(sl_arena_block) + 15u) & ~(size_t)15u)

void sl_arena_init(sl_arena *a) { memset(a, 0, sizeof *a); a->next_size = ARENA_FIRST; }

void sl_arena_free(sl_arena *a) {
    sl_arena_block *b = a->head;
    while (b) {
        sl_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    sl_arena_init(a);
}

void sl_arena_reset(sl_arena *a) {
    /* keep the largest (newest) block, drop the rest */
    sl_arena_block *keep = a->head;
    if (!keep) return;
    sl_arena_block *b = keep->prev;
    while (b) {
        sl_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    keep->prev = NULL;
    a->cursor = (char *)keep + HDR;
    a->limit = a->cursor + keep->size;
    a->bytes_used = 0;
}

static void *arena_grow(sl_arena *a, size_t size) {
    size_t want = a->next_size;
    if (want < size) want = size;
    sl_arena_block *b = sl_xmalloc(HDR + want);
    b->size = want;
    if (size > a->next_size && a->head) {
        /* oversized request: slot the block behind head so head keeps its room */
        b->prev = a->head->prev;
        a->head->prev = b;
        a->bytes_used += size;
        return (char *)b + HDR;
    }
    b->prev = a->head;
    a->head = b;
    a->cursor = (char *)b + HDR + size;
    a->limit = (char *)b + HDR + want;
    if (a->next_size < ARENA_MAX) a->next_size *= 2;
    a->bytes_used += size;
    return (char *)b + HDR;
}

void *sl_arena_alloc(sl_arena *a, size_t size) {
    size = (size + 7u) & ~(size_t)7u;
    if ((size_t)(a->limit - a->cursor) >= size && a->cursor) {
        void *p = a->cursor;
        a->cursor += size;
        a->bytes_used += size;
        return p;
    }
    return arena_grow(a, size);
}

void *sl_arena_calloc(sl_arena *a, size_t size) {
    void *p = sl_arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t len) {
    char *p = sl_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void *sl_arena_realloc(sl_arena *a, void *old, size_t old_size, size_t new_size) {
    size_t old_r = (old_size + 7u) & ~(size_t)7u;
    size_t new_r = (new_size + 7u) & ~(size_t)7u;
    if (old && (char *)old + old_r == a->cursor && (size_t)(a->limit - (char *)old) >= new_r) {
        a->cursor = (char *)old + new_r;
        a->bytes_used += new_r - old_r;
        return old;
    }
    void *p = sl_arena_alloc(a, new_size);
    if (old) memcpy(p, old, old_size < new_size ? old_size : new_size);
    return p;
}
