/*
 * parquet_write.c — the Parquet writer: records in, one Parquet file out.
 *
 * ==== Byte layout of the files we write ====
 *
 *   offset 0      "PAR1"
 *                 row group 0:
 *                   column chunk 0 (leaf columns in schema order, depth first):
 *                     [dictionary page]   PageHeader (Thrift compact) + page data
 *                     data page 0         PageHeader + page data
 *                     data page 1 …
 *                   column chunk 1 …
 *                 row group 1 …
 *                 FileMetaData        Thrift compact protocol (parquet_meta.c)
 *   end - 8       footer length       4 bytes little-endian: length of FileMetaData
 *   end - 4       "PAR1"
 *
 * Schema (FileMetaData.schema, depth first): the root "schema" group, then
 * one element per record field. Every field is OPTIONAL (a record may lack
 * it or hold null). Types:
 *   boolean    BOOLEAN
 *   long       INT64
 *   double     DOUBLE
 *   string     BYTE_ARRAY, logical STRING (converted UTF8)
 *   binary     BYTE_ARRAY
 *   decimal    INT64 when precision <= 18, else FIXED_LEN_BYTE_ARRAY of the
 *              fewest bytes that hold 10^precision (big-endian two's
 *              complement); logical DECIMAL(precision, scale) with the
 *              widest integer part and fraction seen in the first row group
 *   date       INT32, logical DATE (days since 1970-01-01)
 *   timestamp  INT64, logical TIMESTAMP(isAdjustedToUTC = true, MICROS)
 *              (converted TIMESTAMP_MICROS)
 *   struct     group with the struct's fields
 *   array      3-level LIST: optional group <name> (LIST) {
 *                              repeated group list { optional <type> element; } }
 *   null-only  (no value seen but null) BYTE_ARRAY STRING
 * Definition levels count the OPTIONAL and REPEATED ancestors present;
 * repetition levels the REPEATED ancestor that repeats (Dremel).
 *
 * Data pages (one column, whole records only — a page never splits a
 * record):
 *   v1 (default)  PageHeader.type DATA_PAGE, then, compressed as one block:
 *                   [rep levels: 4-byte LE length + RLE/bit-packed hybrid]
 *                     only when the column is inside a list
 *                   def levels: 4-byte LE length + RLE/bit-packed hybrid
 *                   values
 *   v2            PageHeader.type DATA_PAGE_V2: rep levels, def levels (hybrid,
 *                 no length prefix, never compressed; lengths in the header),
 *                 then the compressed values
 * Level bit width = bits needed for the column's maximum level.
 * Values: RLE_DICTIONARY (1 byte index bit width, then the hybrid encoding
 * of the dictionary indices) while the column's dictionary is in use, else
 * PLAIN (BOOLEAN bit-packed LSB first; INT32/INT64/DOUBLE little-endian;
 * BYTE_ARRAY 4-byte LE length + bytes; FIXED_LEN_BYTE_ARRAY the bytes).
 * Dictionary page: PageHeader.type DICTIONARY_PAGE, encoding PLAIN, the
 * distinct values in index order, compressed.
 *
 * Dictionary policy: every column but booleans starts a chunk with a
 * dictionary. Before the chunk's first page is written (checked at the
 * page's end, and every DICT_SWEEP_RECORDS records after each
 * DICT_CHECK_EVERY values) the dictionary is dropped
 * when it is not smaller than PLAIN (dictionary + indices ≥ plain bytes);
 * such a column then writes PLAIN in later row groups too. When a dictionary
 * outgrows dictionary_limit bytes mid-chunk, the pages already written keep
 * it and the rest of the chunk is PLAIN.
 *
 * Codec: every page and the dictionary page of a column chunk use the
 * chunk's codec (ColumnMetaData.codec): the one asked for, except with
 * snappy, a chunk whose first page snappy does not shrink by at least 1/8
 * (random identifiers, hashes, already compressed bytes) is stored
 * UNCOMPRESSED: a few percent more bytes for that column, no compression
 * work on it for writer and readers.
 *
 * Statistics: per page (in the page header) and per column chunk (in
 * ColumnMetaData): null_count, min_value, max_value (the PLAIN encoding of
 * the value without length prefix; strings and binaries in unsigned byte
 * order, decimals and integers signed, doubles numeric without NaN, with
 * -0.0 as a zero minimum and +0.0 as a zero maximum). Strings and binaries
 * longer than STATS_MAX_BYTES (64) count as bounds of that size: the
 * prefix below, the prefix with its last (ASCII, for strings) byte
 * incremented above; min/max are left out when no such bound exists (a
 * long value of bytes >= 0x7F only). FileMetaData lists
 * TYPE_ORDER column orders so readers trust min_value/max_value. After a
 * record is rejected (SL_ETYPE) part-way, the bounds may be looser than the
 * data (never wrong).
 *
 * Sizing: a page ends when its values (PLAIN size, plus one byte per null)
 * reach page_size; a row group when the sum over its columns reaches
 * row_group_size (both checked between records).
 *
 * The file schema is fixed by the first row group (which holds at most
 * FIRST_GROUP_MAX = 4 MiB of data: its records are copied into the
 * encoder's memory until the schema is known) and their schema computed (core/schema.h);
 * choice{long,double} widens to double; any other choice fails the run
 * (the message names the field). Later records: fields the schema lacks
 * are dropped (counted); a value of another type than its column's is
 * rejected with SL_ETYPE (a long is accepted in a double or decimal column).
 */
#include "formats/parquet.h"

#include <libdeflate.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/arena.h"
#include "core/mem.h"
#include "core/schema.h"
#include "formats/parquet_meta.h"

#ifndef SL_VERSION
#define SL_VERSION "0.0.0"
#endif

#define STATS_MAX_BYTES 64        /* longer min/max values are truncated (parquet-mr's default) */
#define MAX_LEVEL 200             /* deepest nesting (definition level) we write */
#define DICT_INITIAL_SLOTS 64     /* small tables stay in L1: most dictionaries are small */
#define DICT_CHECK_EVERY 8192     /* values between checks of a new dictionary's worth */
#define DICT_SWEEP_RECORDS 1024   /* records between looks at that count (a power of 2) */
#define FIRST_GROUP_MAX (4 << 20) /* the first row group (the schema sample) holds at most this much */
/* A finished row group goes to the output this much per record written, so
 * the caller's output buffer stays small (it is flushed between records). */
#define EMIT_STEP ((size_t)1 << 20)

/* ================= options ================= */

void sl_parquet_write_opts_default(sl_parquet_write_opts *o) {
    o->codec = SL_PQ_SNAPPY;
    o->row_group_size = 64 << 20;
    o->page_size = 1 << 20;
    o->data_page_version = 1;
    o->dictionary_limit = 1 << 20;
}

int sl_parquet_codec_parse(const char *name, int *codec) {
    if (!strcmp(name, "snappy"))
        *codec = SL_PQ_SNAPPY;
    else if (!strcmp(name, "gzip"))
        *codec = SL_PQ_GZIP;
    else if (!strcmp(name, "zstd"))
        *codec = SL_PQ_ZSTD;
    else if (!strcmp(name, "none") || !strcmp(name, "uncompressed"))
        *codec = SL_PQ_UNCOMPRESSED;
    else
        return SL_EINVAL;
    return SL_OK;
}

int sl_parquet_write_opts_from(const sl_format_opts *fo, sl_parquet_write_opts *o, sl_error *err) {
    sl_parquet_write_opts_default(o);
    if (fo->parquet_compression && sl_parquet_codec_parse(fo->parquet_compression, &o->codec))
        return sl_error_set(err, SL_EINVAL, "parquet_compression: unknown codec '%s' (snappy, gzip, zstd, none)",
                            fo->parquet_compression);
    if (fo->row_group_size) o->row_group_size = fo->row_group_size;
    if (fo->page_size) o->page_size = fo->page_size;
    if (fo->data_page_version) o->data_page_version = fo->data_page_version;
    if (o->row_group_size < 1024 || o->row_group_size > ((int64_t)1 << 40))
        return sl_error_set(err, SL_EINVAL, "row_group_size must be between 1KB and 1TB");
    if (o->page_size < 512 || o->page_size > (1 << 30))
        return sl_error_set(err, SL_EINVAL, "page_size must be between 512 bytes and 1GB");
    if (o->data_page_version != 1 && o->data_page_version != 2)
        return sl_error_set(err, SL_EINVAL, "data_page_version must be 1 or 2");
    return SL_OK;
}

/* ================= small helpers ================= */

/* ================= buffer pool =================
 *
 * A row group is buffered whole (its column chunks are written one after
 * the other), and an output file usually holds one or a few row groups, so
 * every file would otherwise grow its page buffers from nothing in fresh
 * memory: page faults and copies on each doubling, for every file. Big
 * buffers of finished encoders go to this process-wide pool instead, and
 * growing buffers of later encoders take them back (best fit). Bounded:
 * at most POOL_BLOCKS blocks, POOL_MAX_BYTES in all; blocks below
 * POOL_MIN_BYTES are left to malloc. */
#define POOL_MIN_BYTES ((size_t)256 << 10)
#define POOL_MAX_BYTES ((size_t)256 << 20)
#define POOL_BLOCKS 64

static struct {
    pthread_mutex_t lock;
    char *data[POOL_BLOCKS];
    size_t cap[POOL_BLOCKS];
    size_t n, bytes;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* A pooled block of at least need bytes (and not wastefully more), or NULL. */
static char *pool_take(size_t need, size_t *cap) {
    char *p = NULL;
    pthread_mutex_lock(&pool.lock);
    size_t best = pool.n;
    for (size_t i = 0; i < pool.n; i++)
        if (pool.cap[i] >= need && pool.cap[i] / 4 <= need && (best == pool.n || pool.cap[i] < pool.cap[best]))
            best = i;
    if (best < pool.n) {
        p = pool.data[best];
        *cap = pool.cap[best];
        pool.bytes -= pool.cap[best];
        pool.n--;
        pool.data[best] = pool.data[pool.n];
        pool.cap[best] = pool.cap[pool.n];
    }
    pthread_mutex_unlock(&pool.lock);
    return p;
}

/* Hand block p (cap bytes, may be NULL) to the pool, or free it. */
static void pool_give(char *p, size_t cap) {
    if (!p) return;
    if (cap >= POOL_MIN_BYTES) {
        pthread_mutex_lock(&pool.lock);
        if (pool.n < POOL_BLOCKS && pool.bytes + cap <= POOL_MAX_BYTES) {
            pool.data[pool.n] = p;
            pool.cap[pool.n++] = cap;
            pool.bytes += cap;
            p = NULL;
        }
        pthread_mutex_unlock(&pool.lock);
    }
    free(p);
}

static void buf_release(sl_buf *b) {
    pool_give(b->data, b->cap);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Room for extra more bytes in b (and its NUL), from the pool when it has a
 * block of the size. Only for the encoder's own (unlimited) buffers. */
static __attribute__((noinline)) void buf_grow(sl_buf *b, size_t extra) {
    size_t need = b->len + extra + 1;
    size_t cap = b->cap ? b->cap * 2 : 256;
    if (cap < need) cap = need;
    size_t got;
    char *p = cap >= POOL_MIN_BYTES ? pool_take(cap, &got) : NULL;
    if (p) {
        if (b->len) memcpy(p, b->data, b->len);
        pool_give(b->data, b->cap);
        b->data = p;
        b->cap = got;
    } else {
        b->data = sl_xrealloc(b->data, cap);
        b->cap = cap;
    }
    b->data[b->len] = 0;
}

static inline void reserve(sl_buf *b, size_t extra) {
    if (b->cap - b->len > extra) return; /* sl_buf keeps one byte for its NUL */
    buf_grow(b, extra);
}

/* The caller's output buffer: it may carry a limit. */
static void reserve_out(sl_buf *out, size_t extra) {
    if (out->cap - out->len > extra) return;
    if (sl_buf_reserve(out, extra)) { /* unlimited buffers: only allocation can fail, and that is fatal */
        fprintf(stderr, "sluice: parquet buffer limit\n");
        abort();
    }
}

static void add(sl_buf *b, const void *p, size_t n) {
    if (!n) return; /* p may be NULL */
    reserve(b, n);
    sl_buf_add_unchecked(b, p, n);
}

static void add_u32le(sl_buf *b, uint32_t v) {
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    add(b, le, 4);
}

static void add_uvarint(sl_buf *b, uint64_t v) {
    uint8_t tmp[10];
    add(b, tmp, sl_thrift_put_uvarint(tmp, v));
}

typedef struct u8vec {
    uint8_t *p;
    size_t n, cap;
} u8vec;

typedef struct u32vec {
    uint32_t *p;
    size_t n, cap;
} u32vec;

static inline void u8_push(u8vec *v, uint8_t x) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4096;
        v->p = sl_xrealloc(v->p, v->cap);
    }
    v->p[v->n++] = x;
}

static inline void u32_push(u32vec *v, uint32_t x) {
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4096;
        v->p = sl_xrealloc(v->p, v->cap * sizeof *v->p);
    }
    v->p[v->n++] = x;
}

static int bit_width(uint64_t max) {
    int w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

/* ================= RLE / bit-packed hybrid ================= */

/* Values v[0..have) then zeros up to total (a multiple of 8), width bits
 * each, LSB first. */
#define DEFINE_BITPACK(NAME, T)                                                                                        \
    static void NAME(sl_buf *out, const T *v, size_t have, size_t total, int width) {                                  \
        reserve(out, total *(size_t)width / 8 + 8);                                                                    \
        uint8_t *p = (uint8_t *)out->data + out->len;                                                                  \
        /* width <= 8 (levels, small dictionaries): 8 values at a time in one 64-bit word */                           \
        if (width <= 8) {                                                                                              \
            size_t k = 0;                                                                                              \
            for (; k + 8 <= have; k += 8) {                                                                            \
                uint64_t w = 0;                                                                                        \
                for (int j = 0; j < 8; j++)                                                                            \
                    w |= (uint64_t)v[k + j] << (j * width);                                                            \
                memcpy(p, &w, 8); /* 8 bytes stored, width kept: the room reserved covers the overshoot */             \
                p += width;                                                                                            \
            }                                                                                                          \
            v += k;                                                                                                    \
            have -= k;                                                                                                 \
            total -= k;                                                                                                \
        }                                                                                                              \
        uint64_t acc = 0;                                                                                              \
        int bits = 0;                                                                                                  \
        for (size_t k = 0; k < total; k++) {                                                                           \
            uint64_t x = k < have ? (uint64_t)v[k] : 0;                                                                \
            acc |= x << bits;                                                                                          \
            bits += width;                                                                                             \
            while (bits >= 8) {                                                                                        \
                *p++ = (uint8_t)acc;                                                                                   \
                acc >>= 8;                                                                                             \
                bits -= 8;                                                                                             \
            }                                                                                                          \
        }                                                                                                              \
        out->len = (size_t)(p - (uint8_t *)out->data);                                                                 \
    }

/* Runs of 8 or more equal values become RLE runs; the rest bit-packed runs
 * of groups of 8 (the last group padded with zeros). */
#define DEFINE_HYBRID(NAME, BITPACK, T)                                                                                \
    static void NAME(sl_buf *out, const T *v, size_t n, int width) {                                                   \
        size_t vbytes = ((size_t)width + 7) / 8;                                                                       \
        size_t i = 0;                                                                                                  \
        while (i < n) {                                                                                                \
            size_t j = i + 1;                                                                                          \
            while (j < n && v[j] == v[i])                                                                              \
                j++;                                                                                                   \
            if (j - i >= 8) {                                                                                          \
                add_uvarint(out, (uint64_t)(j - i) << 1);                                                              \
                uint8_t le[4] = {(uint8_t)v[i], (uint8_t)((uint64_t)v[i] >> 8), (uint8_t)((uint64_t)v[i] >> 16),       \
                                 (uint8_t)((uint64_t)v[i] >> 24)};                                                     \
                add(out, le, vbytes);                                                                                  \
                i = j;                                                                                                 \
                continue;                                                                                              \
            }                                                                                                          \
            size_t start = i, groups = 0;                                                                              \
            for (;;) {                                                                                                 \
                i += 8;                                                                                                \
                groups++;                                                                                              \
                if (i >= n || groups >= (1u << 24)) break;                                                             \
                if (i + 8 <= n) {                                                                                      \
                    size_t k = 1;                                                                                      \
                    while (k < 8 && v[i + k] == v[i])                                                                  \
                        k++;                                                                                           \
                    if (k == 8) break;                                                                                 \
                }                                                                                                      \
            }                                                                                                          \
            if (i > n) i = n;                                                                                          \
            add_uvarint(out, (uint64_t)groups << 1 | 1);                                                               \
            BITPACK(out, v + start, i - start, groups * 8, width);                                                     \
        }                                                                                                              \
    }

DEFINE_BITPACK(bitpack_u8, uint8_t)
DEFINE_BITPACK(bitpack_u32, uint32_t)
DEFINE_HYBRID(hybrid_u8, bitpack_u8, uint8_t)
DEFINE_HYBRID(hybrid_u32, bitpack_u32, uint32_t)

/* ================= hashing and dictionaries ================= */

static inline uint64_t load64(const uint8_t *p) {
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline uint32_t load32(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

/* Equal bytes? Overlapping word loads for the short keys (field names,
 * dictionary values) that dominate. */
static inline bool bytes_eq(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    if (n >= 8) {
        if (n <= 16) return ((load64(x) ^ load64(y)) | (load64(x + n - 8) ^ load64(y + n - 8))) == 0;
        if (n <= 32)
            return ((load64(x) ^ load64(y)) | (load64(x + 8) ^ load64(y + 8)) |
                    (load64(x + n - 16) ^ load64(y + n - 16)) | (load64(x + n - 8) ^ load64(y + n - 8))) == 0;
        return memcmp(x, y, n) == 0;
    }
    if (n >= 4) return load32(x) == load32(y) && load32(x + n - 4) == load32(y + n - 4);
    if (n == 0) return true;
    return x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1]; /* n = 1..3: every byte */
}

static inline uint64_t mum(uint64_t a, uint64_t b) {
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* wyhash-style: one or two 64x64→128 multiplies for short keys. Fixed-size
 * loads only (a variable-length memcpy of the tail would be a library call
 * and a store-forwarding stall per value). */
static inline uint64_t hash_bytes(const uint8_t *p, size_t n) {
    const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
    uint64_t seed = k0 ^ n, a, b;
    if (n <= 16) {
        if (n >= 4) {
            size_t mid = (n >> 3) << 2;
            a = (uint64_t)load32(p) << 32 | load32(p + mid);
            b = (uint64_t)load32(p + n - 4) << 32 | load32(p + n - 4 - mid);
        } else if (n) {
            a = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        const uint8_t *q = p;
        size_t left = n;
        for (; left > 16; q += 16, left -= 16)
            seed = mum(load64(q) ^ k1, load64(q + 8) ^ seed);
        a = load64(p + n - 16);
        b = load64(p + n - 8);
    }
    return mum(k1 ^ n, mum(a ^ k1, b ^ seed));
}

/* A hash table slot. The hash (bit 31 always set, so that no key matches
 * an empty slot) and the key's length are compared as one 64-bit word. */
typedef struct dict_slot {
    uint32_t hash; /* high bits of the key's hash | 0x80000000; 0 = empty slot */
    uint32_t key_len;
    uint32_t entry;   /* index of the entry */
    uint32_t key_off; /* offset of the key bytes in data (after a length prefix) */
} dict_slot;

typedef struct dict {
    sl_buf data;    /* PLAIN encoding of the entries, in index order: the dictionary page */
    uint32_t *off;  /* entry → offset of its PLAIN encoding in data */
    uint32_t *mark; /* entry → page sequence number that last counted it in page statistics */
    uint32_t n, cap;
    dict_slot *slots; /* open addressing, linear probing; allocated with the column */
    uint32_t mask;
    int64_t limit; /* bytes of data past which *alarm is raised */
    bool *alarm;
} dict;

static void dict_reset(dict *d) {
    sl_buf_reset(&d->data);
    d->n = 0;
    if (d->slots) memset(d->slots, 0, ((size_t)d->mask + 1) * sizeof *d->slots);
}

static void dict_free(dict *d) {
    sl_buf_free(&d->data);
    free(d->off);
    free(d->mark);
    free(d->slots);
    memset(d, 0, sizeof *d);
}

static void dict_grow_slots(dict *d) {
    uint32_t old_n = d->slots ? d->mask + 1 : 0;
    dict_slot *old = d->slots;
    uint32_t nslots = old ? old_n * 2 : DICT_INITIAL_SLOTS;
    d->slots = sl_xcalloc(nslots, sizeof *d->slots);
    d->mask = nslots - 1;
    for (uint32_t i = 0; i < old_n; i++) {
        if (!old[i].hash) continue;
        uint32_t s = old[i].hash & d->mask;
        while (d->slots[s].hash)
            s = (s + 1) & d->mask;
        d->slots[s] = old[i];
    }
    free(old);
}

/* A new entry for key in empty slot s (dict_put's slow path). */
static __attribute__((noinline)) uint32_t dict_insert(dict *d, const uint8_t *key, uint32_t len, bool prefixed,
                                                      uint32_t h, uint32_t s) {
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1024;
        d->off = sl_xrealloc(d->off, (size_t)d->cap * sizeof *d->off);
        d->mark = sl_xrealloc(d->mark, (size_t)d->cap * sizeof *d->mark);
    }
    uint32_t e = d->n++;
    d->off[e] = (uint32_t)d->data.len;
    d->mark[e] = UINT32_MAX;
    if (prefixed) add_u32le(&d->data, len);
    d->slots[s] = (dict_slot){h, len, e, (uint32_t)d->data.len};
    add(&d->data, key, len);
    if ((int64_t)d->data.len > d->limit) *d->alarm = true;
    if ((uint64_t)d->n * 2 > (uint64_t)d->mask + 1) dict_grow_slots(d);
    return e;
}

/* Index of the value key[0..len) (byte arrays: prefixed says the PLAIN form
 * carries a 4-byte length), added when new. Inlined into each caller with
 * a constant prefixed (and len, for 8-byte values). */
static inline __attribute__((always_inline)) uint32_t dict_put(dict *d, const uint8_t *key, uint32_t len,
                                                               bool prefixed) {
    uint64_t h64;
    if (!prefixed && len == 8)
        h64 = mum(load64(key) ^ 0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL);
    else
        h64 = hash_bytes(key, len);
    uint32_t h = (uint32_t)(h64 >> 32) | 0x80000000u;
    uint64_t tag = h | (uint64_t)len << 32;
    const dict_slot *slots = d->slots;
    uint32_t mask = d->mask, s = h & mask;
    for (;;) {
        const dict_slot *slot = &slots[s];
        uint64_t word;
        memcpy(&word, slot, 8);
        if (word == tag && bytes_eq((const uint8_t *)d->data.data + slot->key_off, key, len)) return slot->entry;
        if (!slot->hash) return dict_insert(d, key, len, prefixed, h, s);
        s = (s + 1) & mask;
    }
}

/* ================= columns ================= */

/* What a leaf column holds (drives type checks, PLAIN form and statistics). */
enum leaf_kind {
    LK_BOOL,
    LK_INT64,
    LK_DOUBLE,
    LK_STRING,
    LK_BINARY,
    LK_DATE,
    LK_TIMESTAMP,
    LK_DEC64,  /* decimal as INT64 */
    LK_DECFLBA /* decimal as FIXED_LEN_BYTE_ARRAY */
};

/* Statistics of a page or column chunk. Integers (booleans, dates,
 * timestamps, INT64 decimals) and doubles keep typed bounds; byte kinds
 * (strings, binaries, FIXED_LEN_BYTE_ARRAY decimals) keep the bytes, plus
 * their first 8 bytes as big-endian integers so that most values are
 * compared without touching the bounds' bytes. */
typedef struct pstats {
    bool has;      /* a non-null value was counted */
    bool too_long; /* a long value had no upper bound of STATS_MAX_BYTES: no min/max */
    int64_t nulls;
    int64_t imin, imax;
    double dmin, dmax;
    uint64_t pmin, pmax; /* byte kinds: order-preserving prefixes of min and max */
    uint8_t *min, *max;
    uint32_t min_len, max_len, min_cap, max_cap;
} pstats;

typedef struct pcol {
    /* schema */
    int kind; /* enum leaf_kind */
    sl_pq_type phys;
    bool prefixed;        /* BYTE_ARRAY: PLAIN values carry a 4-byte length */
    uint32_t type_length; /* FIXED_LEN_BYTE_ARRAY */
    int dec_precision, dec_scale;
    int dec_int_digits; /* first row group scan */
    uint8_t max_def, max_rep;
    char *dotted;      /* "metadata.tags[]" for messages (meta arena) */
    const char **path; /* path_in_schema (meta arena) */
    uint32_t *path_len;
    uint32_t n_path;
    /* current page */
    u8vec def, rep;
    u32vec idx;         /* dictionary indices while dict_on */
    sl_buf plain;       /* PLAIN values while !dict_on (booleans: one byte each) */
    uint32_t n_values;  /* non-null values in the page */
    int64_t page_plain; /* PLAIN bytes of the page's values */
    uint64_t page_first_row;
    uint32_t page_seq;
    pstats page_stats, chunk_stats;
    /* dictionary */
    bool dict_on;
    bool dict_never; /* dictionary did not pay off once: PLAIN from the start */
    dict dict;
    uint32_t dict_pages, plain_pages;
    int codec;              /* sl_pq_codec of the current chunk */
    bool codec_fixed;       /* its first page was written */
    size_t next_dict_check; /* index count at which the first page re-checks the dictionary's worth */
    /* chunk */
    sl_buf pages;      /* encoded data pages of the current chunk */
    sl_buf done_pages; /* the previous chunk's pages, until emitted */
    sl_buf done_dict;  /* the previous chunk's dictionary page (header + data), until emitted */
    int64_t chunk_levels;
    int64_t chunk_uncompressed, chunk_compressed;
} pcol;

/* Where a column stood before a record, to undo a rejected record (the
 * other counts follow from the level entries the record added). */
typedef struct col_mark {
    size_t n_def, plain_len;
    int64_t page_plain;
} col_mark;

/* Node of the write schema (root, struct, list or leaf). */
typedef struct pnode {
    int kind; /* SL_T_STRUCT, SL_T_LIST, or SL_T_NULL for a leaf */
    const char *name;
    uint32_t name_len;
    const char *dotted; /* "metadata.tags[]" for messages */
    uint8_t def;        /* definition level when this node's value is present */
    uint8_t rep;        /* LIST: repetition level of its elements */
    uint32_t first_leaf, end_leaf;
    struct pnode *children; /* STRUCT fields; LIST: one, the element */
    uint32_t n_children;
    uint32_t hint;        /* record position where the field was last found */
    pcol *col;            /* leaf */
    const sl_schema *src; /* while building */
    sl_type value_type;   /* leaf: the record type */
} pnode;

typedef struct encoder {
    sl_parquet_write_opts o;
    /* fatal error (schema cannot be written): every later call reports it */
    bool failed;
    sl_error fatal;
    /* first row group: records buffered until the schema is fixed, copied
     * into pooled blocks (sample_alloc) */
    bool fixed;
    sl_buf *sample_blocks;
    uint32_t n_sample_blocks, cap_sample_blocks;
    char *sample_cur, *sample_end;
    sl_value *first;
    size_t n_first, cap_first;
    int64_t first_bytes;
    sl_schema *schema;
    /* write schema */
    sl_arena meta; /* nodes, paths, names, footer structs */
    pnode root;
    pcol *cols;
    uint32_t n_cols;
    col_mark *marks;
    sl_pq_schema_element *elems;
    uint32_t n_elems;
    /* current row group */
    uint64_t rg_rows;
    int64_t rg_bytes;
    int64_t page_check_at; /* no page can be full before rg_bytes reaches this */
    bool dict_alarm;       /* a dictionary outgrew dictionary_limit */
    /* file */
    bool started;
    uint64_t file_pos; /* bytes of the file so far, emitted or pending */
    sl_buf **pending;  /* finished row group, emitted to out a step per record */
    uint32_t n_pending, pending_i;
    size_t pending_off;
    int64_t total_rows;
    sl_pq_row_group *groups;
    uint32_t n_groups, cap_groups;
    uint64_t dropped;
    /* scratch */
    sl_buf body, comp, header;
    struct libdeflate_compressor *gzip;
    ZSTD_CCtx *zstd;
} encoder;

/* ================= statistics ================= */

static int64_t load_i64(const uint8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static int32_t load_i32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static double load_f64(const uint8_t *p) {
    double v;
    memcpy(&v, p, 8);
    return v;
}

/* Order of two byte-kind values (PLAIN, without length prefix) of column c. */
static int stat_cmp(const pcol *c, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    if (c->kind == LK_DECFLBA) { /* signed big-endian, equal lengths */
        int x = a[0] ^ 0x80, y = b[0] ^ 0x80;
        if (x != y) return x - y;
        return alen > 1 ? memcmp(a + 1, b + 1, alen - 1) : 0;
    }
    uint32_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0;
    if (r) return r;
    return (alen > blen) - (alen < blen);
}

/* First 8 bytes as a big-endian integer (zero-padded): a < b as integers
 * implies a < b as values, for unsigned byte order and for signed
 * big-endian decimals (sign bit flipped). */
static inline uint64_t stat_prefix(const pcol *c, const uint8_t *v, uint32_t len) {
    uint64_t x = 0;
    if (len >= 8)
        x = __builtin_bswap64(load64(v));
    else
        for (uint32_t i = 0; i < len; i++)
            x |= (uint64_t)v[i] << (56 - 8 * i);
    return c->kind == LK_DECFLBA ? x ^ (1ULL << 63) : x;
}

static void stat_set(uint8_t **dst, uint32_t *dlen, uint32_t *cap, const uint8_t *v, uint32_t len) {
    if (len > *cap) {
        *cap = len < 16 ? 16 : len;
        *dst = sl_xrealloc(*dst, *cap);
    }
    if (len) memcpy(*dst, v, len);
    *dlen = len;
}

static void set_min(pstats *s, const pcol *c, const uint8_t *v, uint32_t len) {
    stat_set(&s->min, &s->min_len, &s->min_cap, v, len);
    s->pmin = stat_prefix(c, v, len);
}

static void set_max(pstats *s, const pcol *c, const uint8_t *v, uint32_t len) {
    stat_set(&s->max, &s->max_len, &s->max_cap, v, len);
    s->pmax = stat_prefix(c, v, len);
}

/* A byte-kind value lo..hi (for short values lo = hi = the value; long ones
 * give two bounds, see stats_put_bytes). */
static void stats_bounds(pstats *s, const pcol *c, const uint8_t *lo, uint32_t lo_len, const uint8_t *hi,
                         uint32_t hi_len) {
    if (!s->has) {
        s->has = true;
        set_min(s, c, lo, lo_len);
        set_max(s, c, hi, hi_len);
        return;
    }
    if (stat_cmp(c, lo, lo_len, s->min, s->min_len) < 0) set_min(s, c, lo, lo_len);
    if (stat_cmp(c, hi, hi_len, s->max, s->max_len) > 0) set_max(s, c, hi, hi_len);
}

/* Strings or binaries longer than STATS_MAX_BYTES: the prefix is a lower
 * bound; the prefix with its last byte incremented (for strings: the last
 * ASCII byte, so the text stays UTF-8) an upper bound. No such byte: no
 * upper bound, and the page/chunk gets no min/max. */
static void stats_put_bytes(pstats *s, const pcol *c, const uint8_t *v, uint32_t len) {
    if (len <= STATS_MAX_BYTES || c->kind == LK_DECFLBA) {
        stats_bounds(s, c, v, len, v, len);
        return;
    }
    uint32_t cut = STATS_MAX_BYTES;
    if (c->kind == LK_STRING)
        while (cut > 0 && (v[cut] & 0xC0) == 0x80)
            cut--; /* not inside a UTF-8 sequence */
    uint8_t hi[STATS_MAX_BYTES];
    int j = (int)cut - 1;
    uint8_t limit = c->kind == LK_STRING ? 0x7F : 0xFF;
    while (j >= 0 && v[j] >= limit)
        j--;
    if (j < 0) {
        s->too_long = true;
        return;
    }
    memcpy(hi, v, (size_t)j + 1);
    hi[j]++;
    stats_bounds(s, c, v, cut, hi, (uint32_t)j + 1);
}

/* Count one non-null value (its PLAIN form without length prefix). */
static inline void stats_put(pstats *s, const pcol *c, const uint8_t *v, uint32_t len) {
    switch (c->kind) {
    case LK_BOOL:
    case LK_INT64:
    case LK_TIMESTAMP:
    case LK_DEC64:
    case LK_DATE: {
        int64_t x = c->kind == LK_DATE ? load_i32(v) : c->kind == LK_BOOL ? v[0] : load_i64(v);
        if (!s->has) {
            s->has = true;
            s->imin = s->imax = x;
        } else if (x < s->imin) {
            s->imin = x;
        } else if (x > s->imax) {
            s->imax = x;
        }
        return;
    }
    case LK_DOUBLE: {
        double x = load_f64(v);
        if (x != x) return; /* NaN: not ordered */
        if (!s->has) {
            s->has = true;
            s->dmin = s->dmax = x;
        } else if (x < s->dmin) {
            s->dmin = x;
        } else if (x > s->dmax) {
            s->dmax = x;
        }
        return;
    }
    default:
        if (s->has) { /* strictly inside the bounds: nothing changes */
            uint64_t p = stat_prefix(c, v, len);
            if (p > s->pmin && p < s->pmax) return;
        }
        stats_put_bytes(s, c, v, len);
    }
}

static void stats_merge(pstats *into, const pstats *from, const pcol *c) {
    into->nulls += from->nulls;
    into->too_long |= from->too_long;
    if (!from->has) return;
    switch (c->kind) {
    case LK_DOUBLE:
        if (!into->has || from->dmin < into->dmin) into->dmin = from->dmin;
        if (!into->has || from->dmax > into->dmax) into->dmax = from->dmax;
        into->has = true;
        return;
    case LK_STRING:
    case LK_BINARY:
    case LK_DECFLBA: stats_bounds(into, c, from->min, from->min_len, from->max, from->max_len); return;
    default:
        if (!into->has || from->imin < into->imin) into->imin = from->imin;
        if (!into->has || from->imax > into->imax) into->imax = from->imax;
        into->has = true;
        return;
    }
}

static void stats_clear(pstats *s) {
    s->has = false;
    s->too_long = false;
    s->nulls = 0;
}

static void stats_free(pstats *s) {
    free(s->min);
    free(s->max);
}

/* Thrift Statistics from s, min/max (PLAIN encoded) copied into arena a. */
static void stats_export(const pstats *s, const pcol *c, sl_arena *a, sl_pq_statistics *out) {
    memset(out, 0, sizeof *out);
    out->has_null_count = true;
    out->null_count = s->nulls;
    if (!s->has || s->too_long) return;
    const void *lo, *hi;
    uint32_t lo_len, hi_len;
    int32_t i32[2];
    uint8_t b[2];
    double d[2];
    switch (c->kind) {
    case LK_STRING:
    case LK_BINARY:
    case LK_DECFLBA:
        lo = s->min, lo_len = s->min_len;
        hi = s->max, hi_len = s->max_len;
        break;
    case LK_DOUBLE:
        d[0] = s->dmin == 0 ? -0.0 : s->dmin; /* a zero bound is signed so readers do not skip -0.0/+0.0 */
        d[1] = s->dmax == 0 ? 0.0 : s->dmax;
        lo = &d[0], hi = &d[1], lo_len = hi_len = 8;
        break;
    case LK_DATE:
        i32[0] = (int32_t)s->imin, i32[1] = (int32_t)s->imax;
        lo = &i32[0], hi = &i32[1], lo_len = hi_len = 4;
        break;
    case LK_BOOL:
        b[0] = (uint8_t)s->imin, b[1] = (uint8_t)s->imax;
        lo = &b[0], hi = &b[1], lo_len = hi_len = 1;
        break;
    default: lo = &s->imin, hi = &s->imax, lo_len = hi_len = 8; break;
    }
    uint8_t *mn = sl_arena_alloc(a, lo_len + 1), *mx = sl_arena_alloc(a, hi_len + 1);
    if (lo_len) memcpy(mn, lo, lo_len);
    if (hi_len) memcpy(mx, hi, hi_len);
    out->has_min_value = out->has_max_value = true;
    out->min_value = mn;
    out->min_value_len = lo_len;
    out->max_value = mx;
    out->max_value_len = hi_len;
}

/* ================= compression ================= */

/* Append the compressed form of src to dst. */
static void compress_into(encoder *e, int codec, const void *src, size_t n, sl_buf *dst) {
    size_t cap, got = 0;
    switch (codec) {
    case SL_PQ_SNAPPY:
        cap = snappy_max_compressed_length(n);
        reserve(dst, cap);
        got = cap;
        if (snappy_compress(src, n, dst->data + dst->len, &got) != SNAPPY_OK) abort();
        break;
    case SL_PQ_GZIP:
        if (!e->gzip) e->gzip = libdeflate_alloc_compressor(6);
        if (!e->gzip) abort();
        cap = libdeflate_gzip_compress_bound(e->gzip, n);
        reserve(dst, cap);
        got = libdeflate_gzip_compress(e->gzip, src, n, dst->data + dst->len, cap);
        if (!got) abort();
        break;
    case SL_PQ_ZSTD:
        if (!e->zstd) e->zstd = ZSTD_createCCtx();
        if (!e->zstd) abort();
        cap = ZSTD_compressBound(n);
        reserve(dst, cap);
        got = ZSTD_compressCCtx(e->zstd, dst->data + dst->len, cap, src, n, 3);
        if (ZSTD_isError(got)) abort();
        break;
    default: add(dst, src, n); return;
    }
    dst->len += got;
}

/* a ‖ b (both non-empty) as one snappy block, without joining them: b is
 * compressed on its own and its elements follow a literal element holding
 * a. Snappy's copies point back by distance and b's stay inside b, so they
 * remain valid after the prefix. b's own preamble (its length) is written
 * over by a. */
static void snappy_joined(const char *a, size_t na, const char *b, size_t nb, sl_buf *dst) {
    uint8_t head[16];
    size_t h = sl_thrift_put_uvarint(head, na + nb); /* the block's length, as snappy's varint */
    uint8_t pre[10];
    size_t pre_len = sl_thrift_put_uvarint(pre, nb); /* <= h: the room b's preamble takes */
    size_t m = na - 1;
    if (m < 60) {
        head[h++] = (uint8_t)(m << 2);
    } else {
        int k = m < 0x100 ? 1 : m < 0x10000 ? 2 : m < 0x1000000 ? 3 : 4;
        head[h++] = (uint8_t)((59 + k) << 2);
        for (int i = 0; i < k; i++)
            head[h++] = (uint8_t)(m >> (8 * i));
    }
    size_t skip = h + na - pre_len; /* where b's compressed form starts */
    size_t got = snappy_max_compressed_length(nb);
    reserve(dst, skip + got);
    char *at = dst->data + dst->len;
    if (snappy_compress(b, nb, at + skip, &got) != SNAPPY_OK) abort();
    memcpy(at, head, h);
    memcpy(at + h, a, na);
    dst->len += skip + got;
}

/* Compress body[from..) followed by tail[0..tail_len) as one block into
 * dst. body is scratch: except with snappy, the tail may be appended to it. */
static void compress_page(encoder *e, int codec, sl_buf *body, size_t from, const char *tail, size_t tail_len,
                          sl_buf *dst) {
    size_t head = body->len - from;
    if (head && tail_len) {
        if (codec == SL_PQ_SNAPPY && head + tail_len <= UINT32_MAX) {
            snappy_joined(body->data + from, head, tail, tail_len, dst);
            return;
        }
        add(body, tail, tail_len);
        head += tail_len;
        tail_len = 0;
    }
    if (tail_len)
        compress_into(e, codec, tail, tail_len, dst);
    else
        compress_into(e, codec, body->data + from, head, dst);
}

/* ================= pages ================= */

/* PLAIN bytes of dictionary entry i (with its length prefix for byte arrays). */
static inline const uint8_t *dict_entry(const pcol *c, uint32_t i, uint32_t *len) {
    const uint8_t *p = (const uint8_t *)c->dict.data.data + c->dict.off[i];
    if (c->prefixed) {
        uint32_t l;
        memcpy(&l, p, 4);
        *len = l + 4;
    } else {
        *len = c->phys == SL_PQ_INT32 ? 4 : c->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY ? c->type_length : 8;
    }
    return p;
}

/* Rewrite the current page's dictionary indices as PLAIN values; the
 * column writes PLAIN from now on in this chunk. */
static void to_plain(pcol *c) {
    sl_buf_reset(&c->plain);
    for (size_t i = 0; i < c->idx.n; i++) {
        uint32_t len;
        const uint8_t *p = dict_entry(c, c->idx.p[i], &len);
        add(&c->plain, p, len);
    }
    c->idx.n = 0;
    c->dict_on = false;
}

static void write_levels(encoder *e, sl_buf *b, const u8vec *lv, int max, bool prefix) {
    size_t at = b->len;
    if (prefix) add_u32le(b, 0);
    hybrid_u8(b, lv->p, lv->n, bit_width((uint64_t)max));
    if (prefix) {
        uint32_t n = (uint32_t)(b->len - at - 4);
        uint8_t le[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        memcpy(b->data + at, le, 4);
    }
}

/* Dictionary indices or booleans of the page into b. Other PLAIN values
 * are already in their page form: c->plain. */
static void write_values(pcol *c, sl_buf *b) {
    if (c->dict_on) {
        int w = bit_width(c->dict.n ? c->dict.n - 1 : 0);
        if (w == 0) w = 1;
        uint8_t wb = (uint8_t)w;
        add(b, &wb, 1);
        hybrid_u32(b, c->idx.p, c->idx.n, w);
    } else {
        size_t n = c->plain.len; /* booleans, one byte each: ceil(n / 8) bytes */
        bitpack_u8(b, (const uint8_t *)c->plain.data, n, (n + 7) / 8 * 8, 1);
    }
}

/* Before the first dictionary page of a chunk: keep the dictionary only
 * while it is smaller than PLAIN (dictionary + indices < plain bytes); a
 * column whose dictionary did not pay off writes PLAIN from then on. */
static void dict_check(pcol *c) {
    int w = bit_width(c->dict.n ? c->dict.n - 1 : 0);
    int64_t dict_size = (int64_t)c->dict.data.len + (int64_t)(c->idx.n * (size_t)(w ? w : 1) / 8);
    if (dict_size >= c->page_plain) {
        to_plain(c);
        dict_reset(&c->dict);
        c->dict_never = true;
    }
}

static void page_flush(encoder *e, pcol *c) {
    if (!c->def.n) return;
    if (c->dict_on && c->dict_pages == 0 && c->n_values) dict_check(c);
    /* a page of nulls only has no values: PLAIN, whatever the dictionary state */
    bool dict_page = c->dict_on && c->n_values;
    bool v2 = e->o.data_page_version == 2;
    sl_buf *body = &e->body, *comp = &e->comp;
    sl_buf_reset(body);
    sl_buf_reset(comp);
    if (c->max_rep) write_levels(e, body, &c->rep, c->max_rep, !v2);
    size_t rep_len = body->len;
    write_levels(e, body, &c->def, c->max_def, !v2);
    size_t levels_len = body->len;
    /* the page is body, then tail: PLAIN values are not copied into body */
    const char *tail = NULL;
    size_t tail_len = 0;
    if (c->n_values && !c->dict_on && c->kind != LK_BOOL) {
        tail = c->plain.data;
        tail_len = c->plain.len;
    } else if (c->n_values) {
        write_values(c, body);
    }
    size_t uncompressed = body->len + tail_len;
    size_t from = v2 ? levels_len : 0; /* v2 pages keep their levels uncompressed */
    bool compressed = c->codec != SL_PQ_UNCOMPRESSED;
    if (compressed) {
        add(comp, body->data, from);
        compress_page(e, c->codec, body, from, tail, tail_len, comp);
    }
    if (!c->codec_fixed) {
        /* The first page of a chunk settles its codec: snappy data that it
         * cannot shrink by 1/8 (random ids, hashes) is stored as it is, which
         * costs a little space and saves the compression on every page.
         * (Snappy leaves body and tail as they were.) */
        c->codec_fixed = true;
        if (c->codec == SL_PQ_SNAPPY && (comp->len - from) * 8 > (uncompressed - from) * 7) {
            c->codec = SL_PQ_UNCOMPRESSED;
            compressed = false;
        }
    }

    sl_arena tmp;
    sl_arena_init(&tmp);
    sl_pq_page_header h;
    memset(&h, 0, sizeof h);
    h.uncompressed_page_size = (int32_t)uncompressed;
    h.compressed_page_size = (int32_t)(compressed ? comp->len : uncompressed);
    sl_pq_encoding enc = dict_page ? SL_PQ_ENC_RLE_DICTIONARY : SL_PQ_ENC_PLAIN;
    if (v2) {
        h.type = SL_PQ_DATA_PAGE_V2;
        h.has_data_page_header_v2 = true;
        sl_pq_data_page_header_v2 *d = &h.data_page_header_v2;
        d->num_values = (int32_t)c->def.n;
        d->num_nulls = (int32_t)c->page_stats.nulls;
        d->num_rows = (int32_t)(e->rg_rows - c->page_first_row);
        d->encoding = enc;
        d->repetition_levels_byte_length = (int32_t)rep_len;
        d->definition_levels_byte_length = (int32_t)(levels_len - rep_len);
        d->is_compressed = c->codec != SL_PQ_UNCOMPRESSED;
        d->has_statistics = true;
        stats_export(&c->page_stats, c, &tmp, &d->statistics);
    } else {
        h.type = SL_PQ_DATA_PAGE;
        h.has_data_page_header = true;
        sl_pq_data_page_header *d = &h.data_page_header;
        d->num_values = (int32_t)c->def.n;
        d->encoding = enc;
        d->definition_level_encoding = SL_PQ_ENC_RLE;
        d->repetition_level_encoding = SL_PQ_ENC_RLE;
        d->has_statistics = true;
        stats_export(&c->page_stats, c, &tmp, &d->statistics);
    }
    sl_buf_reset(&e->header);
    sl_pq_page_header_encode(&h, &e->header);
    sl_arena_free(&tmp);
    add(&c->pages, e->header.data, e->header.len);
    if (compressed) {
        add(&c->pages, comp->data, comp->len);
    } else {
        add(&c->pages, body->data, body->len);
        add(&c->pages, tail, tail_len);
    }
    c->chunk_uncompressed += (int64_t)(e->header.len + uncompressed);
    c->chunk_compressed += (int64_t)(e->header.len + (compressed ? comp->len : uncompressed));
    c->chunk_levels += (int64_t)c->def.n;
    if (dict_page)
        c->dict_pages++;
    else
        c->plain_pages++;
    stats_merge(&c->chunk_stats, &c->page_stats, c);

    stats_clear(&c->page_stats);
    c->def.n = c->rep.n = c->idx.n = 0;
    sl_buf_reset(&c->plain);
    c->n_values = 0;
    c->page_plain = 0;
    c->page_first_row = e->rg_rows;
    c->page_seq++;
}

/* ================= appending values ================= */

static inline void put_levels(pcol *c, uint8_t r, uint8_t d) {
    u8_push(&c->def, d);
    if (c->max_rep) u8_push(&c->rep, r);
}

static inline void put_null(encoder *e, pcol *c, uint8_t r, uint8_t d) {
    put_levels(c, r, d);
    c->page_stats.nulls++;
    e->rg_bytes++;
}

/* One non-null value: key is its PLAIN form without length prefix. */
static inline __attribute__((always_inline)) void put_value(encoder *e, pcol *c, uint8_t r, const uint8_t *key,
                                                            uint32_t len, bool prefixed) {
    put_levels(c, r, c->max_def);
    uint32_t plain_len = len + (prefixed ? 4 : 0);
    if (c->dict_on) {
        uint32_t i = dict_put(&c->dict, key, len, prefixed);
        u32_push(&c->idx, i);
        if (c->dict.mark[i] != c->page_seq) {
            c->dict.mark[i] = c->page_seq;
            stats_put(&c->page_stats, c, key, len);
        }
    } else {
        reserve(&c->plain, plain_len);
        if (prefixed) {
            uint8_t le[4] = {(uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
            sl_buf_add_unchecked(&c->plain, le, 4);
        }
        if (len) sl_buf_add_unchecked(&c->plain, key, len);
        stats_put(&c->page_stats, c, key, len);
    }
    c->n_values++;
    c->page_plain += plain_len;
    e->rg_bytes += plain_len;
}

static const char *kind_type_name(int kind) {
    switch (kind) {
    case LK_BOOL: return "boolean";
    case LK_INT64: return "long";
    case LK_DOUBLE: return "double";
    case LK_STRING: return "string";
    case LK_BINARY: return "binary";
    case LK_DATE: return "date";
    case LK_TIMESTAMP: return "timestamp";
    default: return "decimal";
    }
}

/* Unscaled value of decimal text at `scale` with at most `precision`
 * digits; SL_ETYPE when it does not fit exactly. */
static int decimal_unscaled(const char *s, size_t len, int scale, int precision, __int128 *out) {
    const char *p = s, *end = s + len;
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    char digits[80];
    int nd = 0, after = 0;
    bool any = false;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        any = true;
        if (nd == 0 && *p == '0') continue;
        if (nd >= 78) return SL_ETYPE;
        digits[nd++] = *p;
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
            any = true;
            if (nd >= 78) return SL_ETYPE;
            if (nd || *p != '0') digits[nd++] = *p;
            after++;
        }
    if (!any) return SL_ETYPE;
    long exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool eneg = false;
        if (++p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p == end) return SL_ETYPE;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exp < 100000) exp = exp * 10 + (*p - '0');
        if (eneg) exp = -exp;
    }
    if (p != end) return SL_ETYPE;
    long shift = exp - after + scale; /* value = digits * 10^(exp - after) */
    while (shift < 0 && nd > 0) {
        if (digits[nd - 1] != '0') return SL_ETYPE; /* would lose digits */
        nd--;
        shift++;
    }
    if (nd == 0) {
        *out = 0;
        return SL_OK;
    }
    if (shift < 0) shift = 0;
    if (nd + shift > precision) return SL_ETYPE;
    __int128 v = 0;
    for (int i = 0; i < nd; i++)
        v = v * 10 + (digits[i] - '0');
    for (long i = 0; i < shift; i++)
        v *= 10;
    *out = neg ? -v : v;
    return SL_OK;
}

static __int128 pow10_128(int n) {
    __int128 v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

static int type_error(const pcol *c, const sl_value *v, sl_error *err) {
    return sl_error_set(err, SL_ETYPE, "parquet: field '%s' is %s in the file schema, this record has %s", c->dotted,
                        kind_type_name(c->kind), sl_type_name((sl_type)v->type));
}

static int put_leaf(encoder *e, pcol *c, const sl_value *v, uint8_t r, sl_error *err) {
    uint8_t buf[32]; /* FIXED_LEN_BYTE_ARRAY decimals take at most 16 */
    switch (c->kind) {
    case LK_BOOL:
        if (v->type != SL_T_BOOL) return type_error(c, v, err);
        buf[0] = v->u.b ? 1 : 0;
        put_value(e, c, r, buf, 1, false);
        return SL_OK;
    case LK_INT64:
        if (v->type != SL_T_INT) return type_error(c, v, err);
        put_value(e, c, r, (const uint8_t *)&v->u.i, 8, false);
        return SL_OK;
    case LK_TIMESTAMP:
        if (v->type != SL_T_TIMESTAMP) return type_error(c, v, err);
        put_value(e, c, r, (const uint8_t *)&v->u.i, 8, false);
        return SL_OK;
    case LK_DOUBLE: {
        double d;
        if (v->type == SL_T_DOUBLE)
            d = v->u.d;
        else if (v->type == SL_T_INT)
            d = (double)v->u.i;
        else
            return type_error(c, v, err);
        memcpy(buf, &d, 8);
        put_value(e, c, r, buf, 8, false);
        return SL_OK;
    }
    case LK_STRING:
        if (v->type != SL_T_STRING) return type_error(c, v, err);
        put_value(e, c, r, (const uint8_t *)v->u.s, v->len, true);
        return SL_OK;
    case LK_BINARY:
        if (v->type != SL_T_BINARY) return type_error(c, v, err);
        put_value(e, c, r, (const uint8_t *)v->u.s, v->len, true);
        return SL_OK;
    case LK_DATE: {
        if (v->type != SL_T_DATE) return type_error(c, v, err);
        if (v->u.i < INT32_MIN || v->u.i > INT32_MAX)
            return sl_error_set(err, SL_ETYPE, "parquet: field '%s': date out of range", c->dotted);
        int32_t d = (int32_t)v->u.i;
        memcpy(buf, &d, 4);
        put_value(e, c, r, buf, 4, false);
        return SL_OK;
    }
    default: { /* decimals */
        __int128 u;
        if (v->type == SL_T_INT) {
            __int128 lim = pow10_128(c->dec_precision - c->dec_scale); /* integer digits the column holds */
            if (v->u.i >= lim || v->u.i <= -lim) goto no_fit;
            u = (__int128)v->u.i * pow10_128(c->dec_scale); /* < 10^precision <= 10^38: no overflow */
        } else if (v->type == SL_T_DECIMAL) {
            if (decimal_unscaled(v->u.s, v->len, c->dec_scale, c->dec_precision, &u)) goto no_fit;
        } else {
            return type_error(c, v, err);
        }
        if (c->kind == LK_DEC64) {
            int64_t x = (int64_t)u;
            put_value(e, c, r, (const uint8_t *)&x, 8, false);
        } else {
            unsigned __int128 x = (unsigned __int128)u;
            for (int i = (int)c->type_length - 1; i >= 0; i--) {
                buf[i] = (uint8_t)x;
                x >>= 8;
            }
            put_value(e, c, r, buf, c->type_length, false);
        }
        return SL_OK;
    no_fit:
        return sl_error_set(err, SL_ETYPE, "parquet: field '%s': value does not fit decimal(%d,%d)", c->dotted,
                            c->dec_precision, c->dec_scale);
    }
    }
}

/* ================= shredding (Dremel) ================= */

static void put_nulls(encoder *e, const pnode *n, uint8_t r, uint8_t d) {
    for (uint32_t i = n->first_leaf; i < n->end_leaf; i++)
        put_null(e, &e->cols[i], r, d);
}

static inline const sl_value *find_field(const sl_value *rec, pnode *child, uint32_t pos) {
    const sl_field *f = rec->u.fields;
    uint32_t n = rec->len;
    uint32_t h = child->hint;
    if (h < n && f[h].name_len == child->name_len && bytes_eq(f[h].name, child->name, child->name_len))
        return &f[h].value;
    if (pos < n && f[pos].name_len == child->name_len && bytes_eq(f[pos].name, child->name, child->name_len)) {
        child->hint = pos;
        return &f[pos].value;
    }
    for (uint32_t j = 0; j < n; j++)
        if (f[j].name_len == child->name_len && bytes_eq(f[j].name, child->name, child->name_len)) {
            child->hint = j;
            return &f[j].value;
        }
    return NULL;
}

static int shred(encoder *e, pnode *n, const sl_value *v, uint8_t r, uint8_t d_parent, sl_error *err);

static int shred_struct(encoder *e, pnode *n, const sl_value *v, uint8_t r, sl_error *err) {
    uint32_t matched = 0;
    for (uint32_t i = 0; i < n->n_children; i++) {
        pnode *ch = &n->children[i];
        const sl_value *fv = find_field(v, ch, i);
        if (fv) matched++;
        /* leaves directly: most fields are scalars */
        int rc = ch->col && fv && fv->type != SL_T_NULL ? put_leaf(e, ch->col, fv, r, err)
                                                        : shred(e, ch, fv, r, n->def, err);
        if (rc) return rc;
    }
    if (matched < v->len) e->dropped += v->len - matched;
    return SL_OK;
}

static int shred(encoder *e, pnode *n, const sl_value *v, uint8_t r, uint8_t d_parent, sl_error *err) {
    if (!v || v->type == SL_T_NULL) {
        put_nulls(e, n, r, d_parent);
        return SL_OK;
    }
    if (n->col) return put_leaf(e, n->col, v, r, err);
    if (n->kind == SL_T_STRUCT) {
        if (v->type != SL_T_STRUCT)
            return sl_error_set(err, SL_ETYPE, "parquet: field '%s' is a struct in the file schema, this record has %s",
                                n->dotted, sl_type_name((sl_type)v->type));
        return shred_struct(e, n, v, r, err);
    }
    /* list */
    if (v->type != SL_T_LIST)
        return sl_error_set(err, SL_ETYPE, "parquet: field '%s' is an array in the file schema, this record has %s",
                            n->dotted, sl_type_name((sl_type)v->type));
    if (v->len == 0) {
        put_nulls(e, n, r, n->def);
        return SL_OK;
    }
    pnode *el = &n->children[0];
    for (uint32_t i = 0; i < v->len; i++) {
        int rc = shred(e, el, &v->u.items[i], i ? n->rep : r, (uint8_t)(n->def + 1), err);
        if (rc) return rc;
    }
    return SL_OK;
}

/* Where column c stands between records (after_record keeps the marks). */
static inline void mark_column(const pcol *c, col_mark *m) {
    m->n_def = c->def.n;
    m->plain_len = c->plain.len;
    m->page_plain = c->page_plain;
}

/* Back to the marks: the level entries past the mark are this record's;
 * those at max_def were values (dictionary indices while the dictionary is
 * on: it is only given up between records), the others nulls. */
static void undo_columns(encoder *e) {
    for (uint32_t i = 0; i < e->n_cols; i++) {
        pcol *c = &e->cols[i];
        const col_mark *m = &e->marks[i];
        size_t added = c->def.n - m->n_def, values = 0;
        for (size_t k = m->n_def; k < c->def.n; k++)
            values += c->def.p[k] == c->max_def;
        c->def.n = m->n_def;
        if (c->max_rep) c->rep.n = m->n_def; /* one repetition level per definition level */
        if (c->dict_on) c->idx.n -= values;
        c->plain.len = m->plain_len;
        c->n_values -= (uint32_t)values;
        c->page_plain = m->page_plain;
        c->page_stats.nulls -= (int64_t)(added - values);
    }
}

/* ================= row groups ================= */

/* Room for extra more bytes in the caller's out. A big reservation takes a
 * pooled block (out's content is copied over, its old memory is pooled). */
static void out_reserve(sl_buf *out, size_t extra) {
    if (out->cap - out->len > extra) return;
    size_t need = out->len + extra + 1, got;
    char *p = need >= POOL_MIN_BYTES && extra < out->max - out->len ? pool_take(need, &got) : NULL;
    if (!p) {
        reserve_out(out, extra);
        return;
    }
    if (out->len) memcpy(p, out->data, out->len);
    p[out->len] = 0;
    pool_give(out->data, out->cap);
    out->data = p;
    out->cap = got;
}

static void out_add(encoder *e, sl_buf *out, const void *p, size_t n) {
    out_reserve(out, n);
    sl_buf_add_unchecked(out, p, n);
    out->data[out->len] = 0;
    e->file_pos += n;
}

/* Copy up to budget bytes of the finished row group to out (SIZE_MAX: all
 * of it). */
static void emit_pending(encoder *e, sl_buf *out, size_t budget) {
    size_t left = 0; /* room for all of it at once: out grows once, not by doubling */
    for (uint32_t i = e->pending_i; i < e->n_pending; i++)
        left += e->pending[i]->len;
    left -= e->pending_off;
    out_reserve(out, left < budget ? left : budget);
    while (e->pending_i < e->n_pending && budget) {
        sl_buf *b = e->pending[e->pending_i];
        size_t n = b->len - e->pending_off;
        if (n > budget) n = budget;
        sl_buf_add_unchecked(out, b->data + e->pending_off, n);
        e->pending_off += n;
        budget -= n;
        if (e->pending_off == b->len) {
            sl_buf_reset(b);
            e->pending_i++;
            e->pending_off = 0;
        }
    }
    if (out->data) out->data[out->len] = 0;
    if (e->pending_i == e->n_pending) e->n_pending = e->pending_i = 0;
}

static void start_file(encoder *e, sl_buf *out) {
    if (e->started) return;
    e->started = true;
    out_add(e, out, SL_PARQUET_MAGIC, 4);
}

static void chunk_reset(const encoder *e, pcol *c) {
    sl_buf_reset(&c->pages);
    dict_reset(&c->dict);
    stats_clear(&c->chunk_stats);
    c->dict_on = c->kind != LK_BOOL && !c->dict_never;
    c->dict_pages = c->plain_pages = 0;
    c->codec = e->o.codec;
    c->codec_fixed = false;
    c->next_dict_check = DICT_CHECK_EVERY;
    c->chunk_levels = c->chunk_uncompressed = c->chunk_compressed = 0;
    c->page_first_row = 0;
}

/* Queue the dictionary page (if any) and the data pages of column c for
 * output at the current file position; fill its ColumnChunk. */
static void write_chunk(encoder *e, pcol *c, sl_pq_column_chunk *cc) {
    sl_pq_column_meta *m = &cc->meta_data;
    memset(cc, 0, sizeof *cc);
    cc->has_meta_data = true;
    cc->file_offset = (int64_t)e->file_pos;
    m->type = c->phys;
    m->codec = (sl_pq_codec)c->codec;
    m->path = c->path;
    m->path_len = c->path_len;
    m->n_path = c->n_path;
    m->num_values = c->chunk_levels;
    if (c->dict_pages) {
        sl_buf_reset(&e->comp);
        compress_into(e, c->codec, c->dict.data.data, c->dict.data.len, &e->comp);
        sl_pq_page_header h;
        memset(&h, 0, sizeof h);
        h.type = SL_PQ_DICTIONARY_PAGE;
        h.uncompressed_page_size = (int32_t)c->dict.data.len;
        h.compressed_page_size = (int32_t)e->comp.len;
        h.has_dictionary_page_header = true;
        h.dictionary_page_header.num_values = (int32_t)c->dict.n;
        h.dictionary_page_header.encoding = SL_PQ_ENC_PLAIN;
        sl_buf_reset(&e->header);
        sl_pq_page_header_encode(&h, &e->header);
        m->has_dictionary_page_offset = true;
        m->dictionary_page_offset = (int64_t)e->file_pos;
        add(&c->done_dict, e->header.data, e->header.len);
        add(&c->done_dict, e->comp.data, e->comp.len);
        e->pending[e->n_pending++] = &c->done_dict;
        e->file_pos += c->done_dict.len;
        c->chunk_uncompressed += (int64_t)(e->header.len + c->dict.data.len);
        c->chunk_compressed += (int64_t)(e->header.len + e->comp.len);
    }
    m->data_page_offset = (int64_t)e->file_pos;
    e->file_pos += c->pages.len;
    sl_buf swap = c->done_pages; /* emptied when it was emitted: its memory is reused */
    c->done_pages = c->pages;
    c->pages = swap;
    e->pending[e->n_pending++] = &c->done_pages;
    m->total_uncompressed_size = c->chunk_uncompressed;
    m->total_compressed_size = c->chunk_compressed;

    sl_pq_encoding encs[3];
    uint32_t ne = 0;
    encs[ne++] = SL_PQ_ENC_RLE;                                        /* levels */
    if (c->dict_pages || c->plain_pages) encs[ne++] = SL_PQ_ENC_PLAIN; /* dictionary page or values */
    if (c->dict_pages) encs[ne++] = SL_PQ_ENC_RLE_DICTIONARY;
    m->encodings = sl_arena_alloc(&e->meta, sizeof encs);
    memcpy(m->encodings, encs, ne * sizeof *encs);
    m->n_encodings = ne;

    sl_pq_page_encoding_stats es[3];
    uint32_t n_es = 0;
    if (c->dict_pages) {
        es[n_es++] = (sl_pq_page_encoding_stats){SL_PQ_DICTIONARY_PAGE, SL_PQ_ENC_PLAIN, 1};
        es[n_es++] = (sl_pq_page_encoding_stats){e->o.data_page_version == 2 ? SL_PQ_DATA_PAGE_V2 : SL_PQ_DATA_PAGE,
                                                 SL_PQ_ENC_RLE_DICTIONARY, (int32_t)c->dict_pages};
    }
    if (c->plain_pages)
        es[n_es++] = (sl_pq_page_encoding_stats){e->o.data_page_version == 2 ? SL_PQ_DATA_PAGE_V2 : SL_PQ_DATA_PAGE,
                                                 SL_PQ_ENC_PLAIN, (int32_t)c->plain_pages};
    m->encoding_stats = sl_arena_alloc(&e->meta, sizeof es);
    memcpy(m->encoding_stats, es, n_es * sizeof *es);
    m->n_encoding_stats = n_es;

    m->has_statistics = true;
    stats_export(&c->chunk_stats, c, &e->meta, &m->statistics);
}

static void row_group_flush(encoder *e, sl_buf *out) {
    if (!e->rg_rows) return;
    emit_pending(e, out, SIZE_MAX); /* the previous row group, if still pending */
    for (uint32_t i = 0; i < e->n_cols; i++)
        page_flush(e, &e->cols[i]);
    start_file(e, out);
    if (e->n_groups == e->cap_groups) {
        e->cap_groups = e->cap_groups ? e->cap_groups * 2 : 8;
        e->groups = sl_xrealloc(e->groups, e->cap_groups * sizeof *e->groups);
    }
    sl_pq_row_group *g = &e->groups[e->n_groups];
    memset(g, 0, sizeof *g);
    g->ordinal = (int16_t)(e->n_groups < INT16_MAX ? e->n_groups : INT16_MAX);
    g->has_ordinal = e->n_groups < INT16_MAX;
    e->n_groups++;
    g->num_rows = (int64_t)e->rg_rows;
    g->has_file_offset = true;
    g->file_offset = (int64_t)e->file_pos;
    g->n_columns = e->n_cols;
    g->columns = sl_arena_calloc(&e->meta, (e->n_cols + 1) * sizeof *g->columns);
    int64_t total = 0, total_comp = 0;
    for (uint32_t i = 0; i < e->n_cols; i++) {
        pcol *c = &e->cols[i];
        write_chunk(e, c, &g->columns[i]);
        total += c->chunk_uncompressed;
        total_comp += c->chunk_compressed;
        chunk_reset(e, c);
    }
    g->total_byte_size = total;
    g->has_total_compressed_size = true;
    g->total_compressed_size = total_comp;
    e->total_rows += (int64_t)e->rg_rows;
    e->rg_rows = 0;
    e->rg_bytes = 0;
}

/* Between records: end pages, give up dictionaries that grew too large,
 * end the row group. */
/* Between records: end pages, give up dictionaries that grew too large or
 * do not pay off, end the row group. Each check runs only when it can
 * fire: a dictionary past its limit raised e->dict_alarm; a page can only
 * be full once the row group grew by the least room left in any page since
 * the last look (every value adds to both); dictionaries are weighed every
 * DICT_SWEEP_RECORDS records. */
static void after_record(encoder *e, sl_buf *out) {
    e->rg_rows++;
    if (__builtin_expect(e->dict_alarm, 0)) {
        e->dict_alarm = false;
        for (uint32_t i = 0; i < e->n_cols; i++) {
            pcol *c = &e->cols[i];
            if (!c->dict_on || (int64_t)c->dict.data.len <= e->o.dictionary_limit) continue;
            to_plain(c);                                  /* earlier pages of the chunk keep the dictionary */
            if (c->dict_pages == 0) dict_reset(&c->dict); /* no page used it */
        }
    }
    if ((e->rg_rows & (DICT_SWEEP_RECORDS - 1)) == 0)
        for (uint32_t i = 0; i < e->n_cols; i++) {
            pcol *c = &e->cols[i];
            if (c->dict_on && !c->dict_pages && c->idx.n >= c->next_dict_check) {
                c->next_dict_check = c->idx.n + DICT_CHECK_EVERY;
                dict_check(c);
            }
        }
    if (e->rg_bytes >= e->page_check_at) {
        int64_t room = e->o.page_size;
        for (uint32_t i = 0; i < e->n_cols; i++) {
            pcol *c = &e->cols[i];
            int64_t fill = c->page_plain + c->page_stats.nulls;
            if (fill >= e->o.page_size) {
                page_flush(e, c);
                fill = 0;
            }
            if (e->o.page_size - fill < room) room = e->o.page_size - fill;
        }
        e->page_check_at = e->rg_bytes + room;
    }
    for (uint32_t i = 0; i < e->n_cols; i++)
        mark_column(&e->cols[i], &e->marks[i]);
    if (e->rg_bytes >= e->o.row_group_size) {
        row_group_flush(e, out);
        memset(e->marks, 0, e->n_cols * sizeof *e->marks); /* every column starts empty */
        e->page_check_at = 0;
    }
}

static int write_record(encoder *e, sl_buf *out, const sl_value *rec, sl_error *err) {
    int64_t bytes = e->rg_bytes;
    uint64_t dropped = e->dropped;
    int rc = shred_struct(e, &e->root, rec, 0, err);
    if (rc) {
        undo_columns(e);
        e->rg_bytes = bytes;
        e->dropped = dropped;
        return rc;
    }
    after_record(e, out);
    return SL_OK;
}

/* ================= the file schema ================= */

static char *path_join(sl_arena *a, const char *parent, const char *name, size_t len, const char *suffix) {
    size_t pl = parent ? strlen(parent) : 0, sl = strlen(suffix);
    char *s = sl_arena_alloc(a, pl + 1 + len + sl + 1);
    size_t k = 0;
    if (pl) {
        memcpy(s, parent, pl);
        k = pl;
        if (len) s[k++] = '.';
    }
    memcpy(s + k, name, len);
    k += len;
    memcpy(s + k, suffix, sl);
    s[k + sl] = 0;
    return s;
}

typedef struct build_ctx {
    encoder *e;
    const char *names[MAX_LEVEL + 2];
    uint32_t lens[MAX_LEVEL + 2];
    int depth;
    uint32_t n_leaves;
    bool any_decimal;
    sl_error *err;
} build_ctx;

static const char *choice_kinds(const sl_schema *s, char *buf, size_t cap) {
    buf[0] = 0;
    for (size_t i = 0; i < sl_schema_choice_count(s); i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, cap - k, "%s%s", i ? ", " : "",
                 sl_type_name((sl_type)sl_schema_kind(sl_schema_choice_alt(s, i))));
    }
    return buf;
}

/* Build node n (name given) from schema s; returns 1 when the node holds
 * columns, 0 when it holds none (empty structs: left out), negative on error. */
static int build_node(build_ctx *b, pnode *n, const sl_schema *s, const char *name, uint32_t name_len,
                      const char *dotted, int def, uint8_t rep) {
    encoder *e = b->e;
    int kind = sl_schema_kind(s);
    if (def + 2 > MAX_LEVEL || b->depth + 3 > MAX_LEVEL)
        return sl_error_set(b->err, SL_EINVAL, "parquet: field '%s' is nested too deeply", dotted);
    memset(n, 0, sizeof *n);
    n->name = name;
    n->name_len = name_len;
    n->dotted = dotted;
    n->def = (uint8_t)def;
    n->first_leaf = b->n_leaves;
    n->src = s;
    b->names[b->depth] = name;
    b->lens[b->depth] = name_len;
    b->depth++;
    int rc = 1;
    if (kind == SL_SCHEMA_CHOICE) {
        char kinds[256];
        rc = sl_error_set(b->err, SL_EINVAL,
                          "parquet: field '%s' holds values of several types (%s); a Parquet column has one type: "
                          "resolve the choice first (derive with cast(), or apply_mapping)",
                          dotted, choice_kinds(s, kinds, sizeof kinds));
    } else if (kind == SL_T_STRUCT) {
        n->kind = SL_T_STRUCT;
        size_t nf = sl_schema_field_count(s);
        n->children = sl_arena_calloc(&e->meta, (nf + 1) * sizeof *n->children);
        for (size_t i = 0; i < nf; i++) {
            size_t fl;
            const char *fname = sl_schema_field_name(s, i, &fl);
            char *fn = sl_arena_strndup(&e->meta, fname, fl);
            int r = build_node(b, &n->children[n->n_children], sl_schema_field_child(s, i), fn, (uint32_t)fl,
                               path_join(&e->meta, dotted, fn, fl, ""), n->def + 1, rep);
            if (r < 0) {
                rc = r;
                break;
            }
            if (r > 0) n->n_children++;
        }
        if (rc > 0 && n->n_children == 0) rc = 0;
    } else if (kind == SL_T_LIST) {
        n->kind = SL_T_LIST;
        n->rep = (uint8_t)(rep + 1);
        n->children = sl_arena_calloc(&e->meta, sizeof *n->children);
        n->n_children = 1;
        b->names[b->depth] = "list";
        b->lens[b->depth] = 4;
        b->depth++;
        int r = build_node(b, &n->children[0], sl_schema_element(s), "element", 7,
                           path_join(&e->meta, dotted, "", 0, "[]"), n->def + 2, n->rep);
        b->depth--;
        rc = r < 0 ? r : r > 0 ? 1 : 0;
    } else {
        /* a leaf: scalar or null-only (written as string) */
        n->kind = SL_T_NULL;
        n->value_type = kind == SL_T_NULL ? SL_T_STRING : (sl_type)kind;
        if (n->value_type == SL_T_DECIMAL) b->any_decimal = true;
        pcol *c = sl_arena_calloc(&e->meta, sizeof *c);
        n->col = c;
        c->dotted = (char *)dotted;
        c->max_def = n->def;
        c->max_rep = rep;
        c->n_path = (uint32_t)b->depth - 1; /* without the root */
        c->path = sl_arena_alloc(&e->meta, (c->n_path + 1) * sizeof *c->path);
        c->path_len = sl_arena_alloc(&e->meta, (c->n_path + 1) * sizeof *c->path_len);
        for (uint32_t i = 0; i < c->n_path; i++) {
            c->path[i] = b->names[i + 1];
            c->path_len[i] = b->lens[i + 1];
        }
        b->n_leaves++;
    }
    b->depth--;
    n->end_leaf = b->n_leaves;
    if (rc == 0) b->n_leaves = n->first_leaf; /* nothing kept below */
    return rc;
}

/* Widest decimal seen in the buffered records, per decimal column. */
static void decimal_shape(const sl_value *v, int *int_digits, int *scale) {
    const char *p = v->u.s, *end = p + v->len;
    int before = 0, after = 0;
    long exp = 0;
    bool significant = false;
    if (p < end && (*p == '+' || *p == '-')) p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        significant |= *p != '0';
        before += significant;
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++)
            after++;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool neg = false;
        if (++p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exp < 100000) exp = exp * 10 + (*p - '0');
        if (neg) exp = -exp;
    }
    long id = before + exp, sc = after - exp;
    *int_digits = id > 0 ? (id > 1000 ? 1000 : (int)id) : 0;
    *scale = sc > 0 ? (sc > 1000 ? 1000 : (int)sc) : 0;
}

static void scan_decimals(pnode *n, const sl_value *v) {
    if (!v || v->type == SL_T_NULL) return;
    if (n->col) {
        if (n->col->kind == LK_DEC64 && v->type == SL_T_DECIMAL) {
            int id, sc;
            decimal_shape(v, &id, &sc);
            if (id > n->col->dec_int_digits) n->col->dec_int_digits = id;
            if (sc > n->col->dec_scale) n->col->dec_scale = sc;
        }
        return;
    }
    if (n->kind == SL_T_STRUCT && v->type == SL_T_STRUCT) {
        for (uint32_t i = 0; i < n->n_children; i++)
            scan_decimals(&n->children[i], find_field(v, &n->children[i], i));
    } else if (n->kind == SL_T_LIST && v->type == SL_T_LIST) {
        for (uint32_t i = 0; i < v->len; i++)
            scan_decimals(&n->children[0], &v->u.items[i]);
    }
}

static void set_leaf_type(pcol *c, sl_type t) {
    switch (t) {
    case SL_T_BOOL:
        c->kind = LK_BOOL;
        c->phys = SL_PQ_BOOLEAN;
        break;
    case SL_T_INT:
        c->kind = LK_INT64;
        c->phys = SL_PQ_INT64;
        break;
    case SL_T_DOUBLE:
        c->kind = LK_DOUBLE;
        c->phys = SL_PQ_DOUBLE;
        break;
    case SL_T_BINARY:
        c->kind = LK_BINARY;
        c->phys = SL_PQ_BYTE_ARRAY;
        c->prefixed = true;
        break;
    case SL_T_DATE:
        c->kind = LK_DATE;
        c->phys = SL_PQ_INT32;
        break;
    case SL_T_TIMESTAMP:
        c->kind = LK_TIMESTAMP;
        c->phys = SL_PQ_INT64;
        break;
    case SL_T_DECIMAL:
        c->kind = LK_DEC64;
        c->phys = SL_PQ_INT64;
        break; /* settled after the scan */
    default:
        c->kind = LK_STRING;
        c->phys = SL_PQ_BYTE_ARRAY;
        c->prefixed = true;
        break;
    }
}

static void collect_cols(encoder *e, pnode *n) {
    if (n->col) {
        e->cols[n->first_leaf] = *n->col;
        n->col = &e->cols[n->first_leaf];
        return;
    }
    for (uint32_t i = 0; i < n->n_children; i++)
        collect_cols(e, &n->children[i]);
}

static void set_types(pnode *n) {
    if (n->col) set_leaf_type(n->col, n->value_type);
    for (uint32_t i = 0; i < n->n_children; i++)
        set_types(&n->children[i]);
}

static int settle_decimal(pcol *c, sl_error *err) {
    if (c->kind != LK_DEC64) return SL_OK;
    int p = c->dec_int_digits + c->dec_scale;
    if (p < 1) p = 1;
    if (p > 38)
        return sl_error_set(err, SL_EINVAL, "parquet: field '%s' needs decimal precision %d; at most 38 can be written",
                            c->dotted, p);
    c->dec_precision = p;
    if (p > 18) {
        c->kind = LK_DECFLBA;
        c->phys = SL_PQ_FIXED_LEN_BYTE_ARRAY;
        __int128 max = pow10_128(p) - 1;
        uint32_t bytes = 1;
        while (bytes < 16 && max >= ((__int128)1 << (8 * bytes - 1)))
            bytes++;
        c->type_length = bytes;
    }
    return SL_OK;
}

static sl_pq_schema_element *new_elem(encoder *e, const pnode *n) {
    sl_pq_schema_element *el = &e->elems[e->n_elems++];
    memset(el, 0, sizeof *el);
    el->name = n->name;
    el->name_len = n->name_len;
    el->has_repetition = true;
    el->repetition_type = SL_PQ_OPTIONAL;
    return el;
}

static void emit_leaf(sl_pq_schema_element *el, const pcol *c) {
    el->has_type = true;
    el->type = c->phys;
    switch (c->kind) {
    case LK_STRING:
        el->has_converted_type = true;
        el->converted_type = SL_PQ_CT_UTF8;
        el->logical_type.kind = SL_PQ_LT_STRING;
        break;
    case LK_DATE:
        el->has_converted_type = true;
        el->converted_type = SL_PQ_CT_DATE;
        el->logical_type.kind = SL_PQ_LT_DATE;
        break;
    case LK_TIMESTAMP:
        el->has_converted_type = true;
        el->converted_type = SL_PQ_CT_TIMESTAMP_MICROS;
        el->logical_type.kind = SL_PQ_LT_TIMESTAMP;
        el->logical_type.is_adjusted_to_utc = true;
        el->logical_type.unit = SL_PQ_MICROS;
        break;
    case LK_DEC64:
    case LK_DECFLBA:
        el->has_converted_type = true;
        el->converted_type = SL_PQ_CT_DECIMAL;
        el->has_scale = el->has_precision = true;
        el->scale = c->dec_scale;
        el->precision = c->dec_precision;
        el->logical_type.kind = SL_PQ_LT_DECIMAL;
        el->logical_type.decimal_scale = c->dec_scale;
        el->logical_type.decimal_precision = c->dec_precision;
        if (c->kind == LK_DECFLBA) {
            el->has_type_length = true;
            el->type_length = (int32_t)c->type_length;
        }
        break;
    default: break;
    }
}

static void emit_elems(encoder *e, const pnode *n) {
    sl_pq_schema_element *el = new_elem(e, n);
    if (n->col) {
        emit_leaf(el, n->col);
        return;
    }
    el->has_num_children = true;
    el->num_children = (int32_t)n->n_children;
    if (n->kind == SL_T_LIST) {
        el->has_converted_type = true;
        el->converted_type = SL_PQ_CT_LIST;
        el->logical_type.kind = SL_PQ_LT_LIST;
        pnode mid = {.name = "list", .name_len = 4};
        sl_pq_schema_element *r = new_elem(e, &mid);
        r->repetition_type = SL_PQ_REPEATED;
        r->has_num_children = true;
        r->num_children = 1;
    }
    for (uint32_t i = 0; i < n->n_children; i++)
        emit_elems(e, &n->children[i]);
}

static uint32_t count_elems(const pnode *n) {
    uint32_t k = 1 + (n->kind == SL_T_LIST);
    for (uint32_t i = 0; i < n->n_children; i++)
        k += count_elems(&n->children[i]);
    return k;
}

/* ================= the first row group's records ================= */

/* Their copies live in blocks from the buffer pool, so the next file's
 * sample reuses memory that is already mapped. */
#define SAMPLE_BLOCK ((size_t)1 << 20)

static __attribute__((noinline)) void sample_grow(encoder *e, size_t size) {
    if (e->n_sample_blocks == e->cap_sample_blocks) {
        e->cap_sample_blocks = e->cap_sample_blocks ? e->cap_sample_blocks * 2 : 8;
        e->sample_blocks = sl_xrealloc(e->sample_blocks, e->cap_sample_blocks * sizeof *e->sample_blocks);
    }
    sl_buf *b = &e->sample_blocks[e->n_sample_blocks++];
    sl_buf_init(b, 0);
    buf_grow(b, size > SAMPLE_BLOCK ? size : SAMPLE_BLOCK);
    e->sample_cur = b->data;
    e->sample_end = b->data + b->cap;
}

static inline void *sample_alloc(encoder *e, size_t size) {
    size = (size + 7u) & ~(size_t)7u;
    if ((size_t)(e->sample_end - e->sample_cur) < size) sample_grow(e, size);
    void *p = e->sample_cur;
    e->sample_cur += size;
    return p;
}

static const char *sample_bytes(encoder *e, const char *s, size_t len) {
    char *c = sample_alloc(e, len + 1);
    if (len) memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

static void sample_release(encoder *e) {
    for (uint32_t i = 0; i < e->n_sample_blocks; i++)
        buf_release(&e->sample_blocks[i]);
    free(e->sample_blocks);
    e->sample_blocks = NULL;
    e->n_sample_blocks = e->cap_sample_blocks = 0;
    e->sample_cur = e->sample_end = NULL;
}

/* Deep copy of v (as sl_value_deep_copy) in the sample blocks. prev is the
 * copy of the value at the same place in the previous record, or NULL:
 * field names equal to its names share their copies. *same is cleared
 * unless observing v cannot change a schema that has observed prev (same
 * types, same field names in the same order, list elements like prev's; a
 * decimal never counts as same: the schema keeps its digits), ignoring the
 * schema's counts, which the writer does not use. *size grows by v's PLAIN
 * size estimate (first row group sizing). */
static sl_value sample_copy(encoder *e, const sl_value *v, const sl_value *prev, bool *same, int64_t *size) {
    sl_value c = *v;
    if (prev && prev->type != v->type) {
        *same = false;
        prev = NULL;
    }
    switch ((sl_type)v->type) {
    case SL_T_NULL:
    case SL_T_BOOL: *size += 1; break;
    case SL_T_DATE: *size += 4; break;
    case SL_T_DECIMAL:
        *same = false;
        *size += 8;
        c.u.s = sample_bytes(e, v->u.s, v->len);
        break;
    case SL_T_STRING:
    case SL_T_BINARY:
        *size += 4 + (int64_t)v->len;
        c.u.s = sample_bytes(e, v->u.s, v->len);
        break;
    case SL_T_LIST: {
        sl_value *items = sample_alloc(e, (v->len ? v->len : 1) * sizeof *items);
        const sl_value *like = prev && prev->len ? prev->u.items : NULL;
        if (v->len && !like) *same = false;
        *size += 1;
        for (uint32_t i = 0; i < v->len; i++)
            items[i] =
                sample_copy(e, &v->u.items[i], like ? &like[i < prev->len ? i : prev->len - 1] : NULL, same, size);
        c.u.items = items;
        break;
    }
    case SL_T_STRUCT: {
        if (!prev || prev->len != v->len) *same = false;
        sl_field *fields = sample_alloc(e, (v->len ? v->len : 1) * sizeof *fields);
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            const sl_field *pf = prev && i < prev->len ? &prev->u.fields[i] : NULL;
            fields[i] = *f;
            if (pf && pf->name_len == f->name_len && bytes_eq(pf->name, f->name, f->name_len)) {
                fields[i].name = pf->name;
            } else {
                *same = false;
                pf = NULL;
                fields[i].name = sample_bytes(e, f->name, f->name_len);
            }
            fields[i].value = sample_copy(e, &f->value, pf ? &pf->value : NULL, same, size);
        }
        c.u.fields = fields;
        break;
    }
    default: *size += 8; break;
    }
    return c;
}

/* Fix the file schema from the buffered first row group, then write those
 * records through the normal path. */
static int fix_schema(encoder *e, sl_buf *out, sl_error *err) {
    e->fixed = true;
    if (!e->schema) e->schema = sl_schema_new(SL_T_STRUCT);
    sl_schema_widen_numeric(e->schema);
    build_ctx b;
    memset(&b, 0, sizeof b);
    b.e = e;
    b.err = err;
    b.depth = 0;
    int rc = build_node(&b, &e->root, e->schema, "schema", 6, "", 0, 0);
    if (rc < 0) return rc;
    if (rc == 0) e->root.n_children = 0;
    e->n_cols = b.n_leaves;
    e->cols = sl_xcalloc(e->n_cols + 1, sizeof *e->cols);
    e->marks = sl_xcalloc(e->n_cols + 1, sizeof *e->marks);
    e->pending = sl_xcalloc(2 * e->n_cols + 1, sizeof *e->pending);
    collect_cols(e, &e->root);
    set_types(&e->root);
    if (b.any_decimal) {
        for (size_t i = 0; i < e->n_first; i++)
            scan_decimals(&e->root, &e->first[i]);
        for (uint32_t i = 0; i < e->n_cols; i++)
            if ((rc = settle_decimal(&e->cols[i], err)) != 0) return rc;
    }
    for (uint32_t i = 0; i < e->n_cols; i++) {
        pcol *c = &e->cols[i];
        sl_buf_init(&c->plain, 0);
        sl_buf_init(&c->pages, 0);
        sl_buf_init(&c->done_pages, 0);
        sl_buf_init(&c->done_dict, 0);
        sl_buf_init(&c->dict.data, 0);
        dict_grow_slots(&c->dict);
        c->dict.limit = e->o.dictionary_limit;
        c->dict.alarm = &e->dict_alarm;
        chunk_reset(e, c);
    }
    e->n_elems = 0;
    e->elems = sl_arena_calloc(&e->meta, (count_elems(&e->root) + 1) * sizeof *e->elems);
    emit_elems(e, &e->root);
    e->elems[0].has_repetition = false; /* the root has none */

    for (size_t i = 0; i < e->n_first; i++) {
        rc = write_record(e, out, &e->first[i], err);
        if (rc) return rc == SL_ETYPE ? SL_EINVAL : rc; /* cannot reject an accepted record any more */
    }
    sample_release(e);
    free(e->first);
    e->first = NULL;
    e->n_first = e->cap_first = 0;
    sl_schema_free(e->schema);
    e->schema = NULL;
    return SL_OK;
}

/* ================= the vtable ================= */

int sl_parquet_encoder_new_opts(const sl_parquet_write_opts *o, void **enc, sl_error *err) {
    encoder *e = sl_xcalloc(1, sizeof *e);
    e->o = *o;
    sl_arena_init(&e->meta);
    sl_buf_init(&e->body, 0);
    sl_buf_init(&e->comp, 0);
    sl_buf_init(&e->header, 0);
    *enc = e;
    return SL_OK;
}

int sl_parquet_encoder_new(const sl_format_opts *fo, void **enc, sl_error *err) {
    sl_parquet_write_opts o;
    int rc = sl_parquet_write_opts_from(fo, &o, err);
    if (rc) return rc;
    return sl_parquet_encoder_new_opts(&o, enc, err);
}

static int fail(encoder *e, int rc, sl_error *err) {
    e->failed = true;
    if (err)
        e->fatal = *err;
    else
        sl_error_set(&e->fatal, rc, "parquet: cannot write the file");
    e->fatal.code = rc;
    return rc;
}

int sl_parquet_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err) {
    encoder *e = enc;
    /* After a fatal error the run fails in encode_finish; records are not
     * rejected one by one meanwhile. */
    if (e->failed) return SL_OK;
    if (rec->type != SL_T_STRUCT)
        return sl_error_set(err, SL_ETYPE, "parquet: a record must be a struct, not %s",
                            sl_type_name((sl_type)rec->type));
    if (e->fixed) {
        int rc = write_record(e, out, rec, err);
        if (!rc) emit_pending(e, out, EMIT_STEP); /* only after success: a rejected record's output is undone */
        return rc;
    }
    if (e->n_first == e->cap_first) {
        e->cap_first = e->cap_first ? e->cap_first * 2 : 1024;
        e->first = sl_xrealloc(e->first, e->cap_first * sizeof *e->first);
    }
    /* a record shaped like the one before teaches the schema nothing */
    bool same = e->n_first > 0;
    e->first[e->n_first] = sample_copy(e, rec, e->n_first ? &e->first[e->n_first - 1] : NULL, &same, &e->first_bytes);
    e->n_first++;
    if (!same) sl_schema_observe(&e->schema, rec);
    if (e->first_bytes < e->o.row_group_size && e->first_bytes < FIRST_GROUP_MAX) return SL_OK;
    sl_error local;
    sl_error_clear(&local);
    int rc = fix_schema(e, out, &local);
    if (rc)
        fail(e, rc, &local);
    else
        emit_pending(e, out, EMIT_STEP);
    return SL_OK;
}

int sl_parquet_encode_finish(void *enc, sl_buf *out, sl_error *err) {
    encoder *e = enc;
    if (!e->failed && !e->fixed) {
        sl_error local;
        sl_error_clear(&local);
        int rc = fix_schema(e, out, &local);
        if (rc) fail(e, rc, &local);
    }
    if (e->failed) {
        if (err) *err = e->fatal;
        return e->fatal.code ? e->fatal.code : SL_EINVAL;
    }
    row_group_flush(e, out);
    emit_pending(e, out, SIZE_MAX);
    start_file(e, out);
    sl_pq_file_meta fm;
    memset(&fm, 0, sizeof fm);
    fm.version = 1;
    fm.schema = e->elems;
    fm.n_schema = e->n_elems;
    fm.num_rows = e->total_rows;
    fm.row_groups = e->groups;
    fm.n_row_groups = e->n_groups;
    static const char created_by[] = "sluice version " SL_VERSION;
    fm.created_by = created_by;
    fm.created_by_len = (uint32_t)strlen(created_by);
    fm.write_column_orders = e->n_cols > 0;
    sl_buf_reset(&e->body);
    int rc = sl_pq_file_meta_encode(&fm, &e->body);
    if (rc || e->body.len > UINT32_MAX) return sl_error_set(err, SL_ELIMIT, "parquet: footer too large");
    out_add(e, out, e->body.data, e->body.len);
    uint8_t tail[8];
    uint32_t n = (uint32_t)e->body.len;
    tail[0] = (uint8_t)n;
    tail[1] = (uint8_t)(n >> 8);
    tail[2] = (uint8_t)(n >> 16);
    tail[3] = (uint8_t)(n >> 24);
    memcpy(tail + 4, SL_PARQUET_MAGIC, 4);
    out_add(e, out, tail, 8);
    return SL_OK;
}

uint64_t sl_parquet_encoder_dropped(const void *enc) { return ((const encoder *)enc)->dropped; }

void sl_parquet_encoder_free(void *enc) {
    encoder *e = enc;
    if (!e) return;
    for (uint32_t i = 0; i < e->n_cols; i++) {
        pcol *c = &e->cols[i];
        free(c->def.p);
        free(c->rep.p);
        free(c->idx.p);
        buf_release(&c->plain);
        buf_release(&c->pages);
        buf_release(&c->done_pages);
        buf_release(&c->done_dict);
        buf_release(&c->dict.data);
        dict_free(&c->dict);
        stats_free(&c->page_stats);
        stats_free(&c->chunk_stats);
    }
    free(e->cols);
    free(e->marks);
    free(e->pending);
    free(e->groups);
    free(e->first);
    sl_schema_free(e->schema);
    sample_release(e);
    sl_arena_free(&e->meta);
    buf_release(&e->body);
    buf_release(&e->comp);
    sl_buf_free(&e->header);
    if (e->gzip) libdeflate_free_compressor(e->gzip);
    if (e->zstd) ZSTD_freeCCtx(e->zstd);
    free(e);
}
