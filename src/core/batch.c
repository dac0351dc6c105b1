/* batch.c — see batch.h. */
#include "core/batch.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

void sl_batch_init(sl_batch *b) {
    memset(b, 0, sizeof *b);
    sl_arena_init(&b->arena);
}

static void release_pins(sl_batch *b) {
    for (size_t i = 0; i < b->n_pins; i++)
        if (b->pins[i].release) b->pins[i].release(b->pins[i].ptr, b->pins[i].ctx);
    b->n_pins = 0;
}

void sl_batch_free(sl_batch *b) {
    release_pins(b);
    free(b->pins);
    sl_arena_free(&b->arena);
    memset(b, 0, sizeof *b);
}

void sl_batch_reset(sl_batch *b) {
    release_pins(b);
    sl_arena_reset(&b->arena);
    b->records = NULL;
    b->locs = NULL;
    b->ports = NULL;
    b->input = 0;
    b->count = b->cap = 0;
    b->bytes_in = 0;
}

void sl_batch_push(sl_batch *b, sl_value record, sl_recloc loc) {
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : b->cap_hint ? b->cap_hint : 256;
        b->records = sl_arena_realloc(&b->arena, b->records, b->cap * sizeof *b->records, cap * sizeof *b->records);
        b->locs = sl_arena_realloc(&b->arena, b->locs, b->cap * sizeof *b->locs, cap * sizeof *b->locs);
        b->cap = cap;
    }
    b->records[b->count] = record;
    b->locs[b->count] = loc;
    b->count++;
}

void sl_batch_pin(sl_batch *b, void *ptr, void (*release)(void *ptr, void *ctx), void *ctx) {
    if (b->n_pins == b->cap_pins) {
        b->cap_pins = b->cap_pins ? b->cap_pins * 2 : 4;
        b->pins = sl_xrealloc(b->pins, b->cap_pins * sizeof *b->pins);
    }
    b->pins[b->n_pins].ptr = ptr;
    b->pins[b->n_pins].release = release;
    b->pins[b->n_pins].ctx = ctx;
    b->n_pins++;
}

void sl_batch_keep(sl_batch *b, const unsigned char *keep) {
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++) n += keep[i] != 0;
    if (n == b->count) return;
    sl_value *recs = sl_arena_alloc(&b->arena, (n ? n : 1) * sizeof *recs);
    sl_recloc *locs = sl_arena_alloc(&b->arena, (n ? n : 1) * sizeof *locs);
    size_t j = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (!keep[i]) continue;
        recs[j] = b->records[i];
        locs[j] = b->locs[i];
        j++;
    }
    b->records = recs;
    b->locs = locs;
    b->count = b->cap = n;
}

sl_value *sl_batch_new_records(sl_batch *b) {
    return sl_arena_alloc(&b->arena, (b->count ? b->count : 1) * sizeof(sl_value));
}
