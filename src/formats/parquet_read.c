/*
 * parquet_read.c — the Parquet reader: object_open / object_next /
 * object_close of the "parquet" format (parquet.h), reading through the
 * object store (local files and S3 alike).
 *
 * Reading order. A Parquet file keeps its index at the end:
 *
 *   "PAR1" | column chunk | column chunk | … | footer (FileMetaData, Thrift
 *   compact) | footer length (4 bytes LE) | "PAR1"
 *
 * object_open reads the last 64 KiB (one request, which nearly always holds
 * the whole footer; a longer footer costs one more; a small file is then
 * read whole), decodes the footer (parquet_meta.h), builds the schema tree
 * and checks it. object_next then goes row group by row group: row groups
 * whose statistics prove that the `predicate` option cannot match are
 * skipped, and of the others only the column chunks of the projected
 * columns are fetched (on S3, chunks less than 1 MiB apart in one request).
 * object_open_range reads only the row groups whose middle byte lies in a
 * byte range, so that several workers share one big file.
 *
 * Decoding. Each projected leaf column has a column reader that walks the
 * pages of its chunk (dictionary page, then data pages v1 or v2;
 * uncompressed, snappy, gzip, zstd or lz4_raw) and decodes them in windows
 * of WINDOW level entries: repetition and definition levels
 * (RLE/bit-packed hybrid, or the deprecated BIT_PACKED), and the non-null
 * values (PLAIN, dictionary, RLE booleans, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT), converted
 * to sluice values by their logical type. Memory per column is bounded by
 * the window and the page, whatever the counts a file claims.
 *
 * Records. A top-level column without repetition is copied column-wise
 * into the batch's records; nested columns (struct, list, map) are
 * assembled record by record from the level streams of their leaves (see
 * read_node). Every value a record holds is copied into the batch arena:
 * nothing points into the reader's buffers.
 *
 * Bad files never crash: every length, count and level is checked against
 * the bytes that hold it, and every failure is an SL_EPARSE (or SL_EIO)
 * whose err->file names the object and whose message says what is wrong
 * and where (column, row group, file offset).
 */
#include <libdeflate.h>
#include <limits.h>
#include <math.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "core/expr.h"
#include "core/expr_int.h"
#include "core/mem.h"
#include "formats/parquet.h"
#include "formats/parquet_meta.h"

#define TAIL_BYTES (64u << 10)           /* first read at the end of the file */
#define MAX_FOOTER (256u << 20)          /* footers beyond this are refused */
#define MAX_PAGE ((size_t)512 << 20)     /* uncompressed page size limit */
#define MAX_DEPTH 64                     /* schema nesting limit */
#define MAX_LIST_ITEMS ((size_t)1 << 26) /* items in one list or map value */
#define WINDOW 1024                      /* level entries decoded at a time */
#define MERGE_GAP (1u << 20)             /* remote stores: fetch two chunks as one range when this close */

/* ------------------------------------------------------------------------ */
/* Bit-level decoders                                                        */
/* ------------------------------------------------------------------------ */

/* ULEB128 at *p (before end); advances *p. Returns 0 or -1. */
static int uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int zigzag_varint(const uint8_t **p, const uint8_t *end, int64_t *out) {
    uint64_t u;
    if (uvarint(p, end, &u)) return -1;
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

static inline uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v; /* sluice builds for little-endian hosts only */
}

/* Value at bit offset `bit` (width bw ≤ 64) of an LSB-first bit-packed array
 * of len bytes; bits past the end read as 0 (callers bound the count). */
static inline uint64_t unpack_one(const uint8_t *p, size_t len, uint64_t bit, unsigned bw) {
    size_t byte = (size_t)(bit >> 3);
    unsigned shift = (unsigned)(bit & 7);
    if (bw + shift <= 64 && byte + 8 <= len) {
        uint64_t w = le64(p + byte) >> shift;
        return bw == 64 ? w : w & ((UINT64_C(1) << bw) - 1);
    }
    uint64_t v = 0;
    for (unsigned got = 0; got < bw; byte++) {
        unsigned b = byte < len ? p[byte] : 0;
        unsigned take = 8 - shift;
        if (take > bw - got) take = bw - got;
        v |= (uint64_t)((b >> shift) & ((1u << take) - 1)) << got;
        got += take;
        shift = 0;
    }
    return v;
}

/* RLE / bit-packed hybrid stream (levels, dictionary indices, booleans);
 * also the deprecated BIT_PACKED level encoding (msb_first). */
typedef struct rle_stream {
    const uint8_t *p, *end;
    unsigned bw;
    bool msb_first; /* deprecated BIT_PACKED: one run, MSB-first */
    bool packed;    /* current run is bit-packed */
    uint64_t left;  /* values left in the current run */
    uint64_t value; /* RLE run value */
    const uint8_t *bits;
    size_t bits_len;
    uint64_t bit;
} rle_stream;

static void rle_init(rle_stream *d, const uint8_t *p, size_t len, unsigned bw) {
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = p + len;
    d->bw = bw;
}

/* Deprecated BIT_PACKED levels: n values of bw bits, most significant bit
 * first, in ceil(n * bw / 8) bytes. */
static void bitpacked_msb_init(rle_stream *d, const uint8_t *p, size_t len, unsigned bw, uint64_t n) {
    rle_init(d, p, len, bw);
    d->msb_first = true;
    d->packed = true;
    d->bits = p;
    d->bits_len = len;
    d->left = n;
}

static uint64_t unpack_msb(const uint8_t *p, size_t len, uint64_t bit, unsigned bw) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bw; i++, bit++) {
        size_t byte = (size_t)(bit >> 3);
        unsigned b = byte < len ? p[byte] : 0;
        v = v << 1 | ((b >> (7 - (bit & 7))) & 1);
    }
    return v;
}

static int rle_next_run(rle_stream *d) {
    for (;;) {
        uint64_t h;
        if (d->msb_first || d->p >= d->end || uvarint(&d->p, d->end, &h)) return -1;
        if (h & 1) {
            uint64_t groups = h >> 1;
            size_t avail = (size_t)(d->end - d->p);
            uint64_t bytes = !d->bw ? 0 : groups > avail ? avail : groups * d->bw;
            if (bytes > avail) bytes = avail;
            uint64_t n = groups > (UINT64_C(1) << 40) ? UINT64_C(1) << 43 : groups * 8;
            if (d->bw && n > bytes * 8 / d->bw) n = bytes * 8 / d->bw; /* a short last run */
            d->packed = true;
            d->bits = d->p;
            d->bits_len = (size_t)bytes;
            d->bit = 0;
            d->left = n;
            d->p += bytes;
        } else {
            unsigned vb = (d->bw + 7) / 8;
            if ((size_t)(d->end - d->p) < vb) return -1;
            uint64_t v = 0;
            for (unsigned i = 0; i < vb; i++)
                v |= (uint64_t)d->p[i] << (8 * i);
            d->p += vb;
            d->packed = false;
            d->value = v;
            d->left = h >> 1;
        }
        if (d->left) return 0;
    }
}

/* Next n values into out. Returns 0, or -1 when the stream ends first. */
static int rle_get(rle_stream *d, uint32_t *out, uint32_t n) {
    while (n) {
        if (!d->left && rle_next_run(d)) return -1;
        uint32_t k = d->left < n ? (uint32_t)d->left : n;
        if (!d->packed) {
            uint32_t v = (uint32_t)d->value;
            for (uint32_t i = 0; i < k; i++)
                out[i] = v;
        } else if (d->msb_first) {
            for (uint32_t i = 0; i < k; i++, d->bit += d->bw)
                out[i] = (uint32_t)unpack_msb(d->bits, d->bits_len, d->bit, d->bw);
        } else {
            const uint8_t *bits = d->bits;
            size_t len = d->bits_len;
            unsigned bw = d->bw;
            uint64_t bit = d->bit;
            for (uint32_t i = 0; i < k; i++, bit += bw)
                out[i] = (uint32_t)unpack_one(bits, len, bit, bw);
            d->bit = bit;
        }
        d->left -= k;
        out += k;
        n -= k;
    }
    return 0;
}

/* DELTA_BINARY_PACKED stream: header <block size> <miniblocks per block>
 * <total values> <first value>, then blocks of <min delta> <bit width per
 * miniblock> <miniblocks>. Arithmetic wraps (the spec's two's complement). */
typedef struct delta_stream {
    const uint8_t *p, *end;
    uint64_t per_mini, n_mini;
    uint64_t total, done;
    uint64_t last;
    uint64_t min_delta;
    const uint8_t *widths;
    uint64_t mini;    /* current miniblock of the block (n_mini: a new block is due) */
    uint64_t in_mini; /* values taken from it */
    const uint8_t *mini_data;
    size_t mini_len;
    unsigned bw;
} delta_stream;

static int delta_init(delta_stream *d, const uint8_t *p, const uint8_t *end) {
    memset(d, 0, sizeof *d);
    uint64_t block, n_mini, total;
    int64_t first;
    if (uvarint(&p, end, &block) || uvarint(&p, end, &n_mini) || uvarint(&p, end, &total) ||
        zigzag_varint(&p, end, &first))
        return -1;
    if (!block || !n_mini || block > (1u << 24) || n_mini > block || block % n_mini || (block / n_mini) % 8) return -1;
    d->p = p;
    d->end = end;
    d->per_mini = block / n_mini;
    d->n_mini = n_mini;
    d->total = total;
    d->last = (uint64_t)first;
    d->mini = n_mini;
    d->in_mini = d->per_mini;
    return 0;
}

/* Move to the next miniblock (reading a block header when due). */
static int delta_next_mini(delta_stream *d) {
    if (++d->mini >= d->n_mini) {
        int64_t md;
        if (zigzag_varint(&d->p, d->end, &md)) return -1;
        if ((uint64_t)(d->end - d->p) < d->n_mini) return -1;
        d->min_delta = (uint64_t)md;
        d->widths = d->p;
        d->p += d->n_mini;
        d->mini = 0;
    }
    d->bw = d->widths[d->mini];
    if (d->bw > 64) return -1;
    size_t want = (size_t)(d->per_mini * d->bw / 8);
    size_t avail = (size_t)(d->end - d->p);
    d->mini_data = d->p;
    d->mini_len = want < avail ? want : avail; /* a short last miniblock reads as zeros */
    d->p += d->mini_len;
    d->in_mini = 0;
    return 0;
}

static int delta_get(delta_stream *d, int64_t *out, uint32_t n) {
    if (n > d->total - d->done) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (d->done++ == 0) {
            out[i] = (int64_t)d->last;
            continue;
        }
        if (d->in_mini == d->per_mini && delta_next_mini(d)) return -1;
        uint64_t delta = unpack_one(d->mini_data, d->mini_len, d->in_mini++ * d->bw, d->bw);
        d->last += d->min_delta + delta;
        out[i] = (int64_t)d->last;
    }
    return 0;
}

/* Where the stream's bytes end (data that follows it starts there),
 * without unpacking: walks the block headers. */
static int delta_end(const delta_stream *d0, const uint8_t **end) {
    delta_stream d = *d0;
    if (d.done == 0 && d.total) d.done = 1;
    while (d.done < d.total) {
        if (d.in_mini == d.per_mini && delta_next_mini(&d)) return -1;
        uint64_t k = d.per_mini - d.in_mini;
        if (k > d.total - d.done) k = d.total - d.done;
        d.in_mini += k;
        d.done += k;
    }
    *end = d.p;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Values: physical → sluice                                                 */
/* ------------------------------------------------------------------------ */

/* How a leaf's decoded physical values (BOOL, INT, DOUBLE, or BINARY bytes)
 * become sluice values, from its logical (or converted) type. */
typedef enum conv {
    CV_NONE,   /* as decoded */
    CV_STRING, /* bytes → STRING (STRING, ENUM, JSON) */
    CV_UINT32, /* int32 holding an unsigned value */
    CV_UINT64, /* int64 holding an unsigned value (beyond int64: DECIMAL text) */
    CV_DATE,   /* int32 days */
    CV_TS_MILLIS,
    CV_TS_MICROS,
    CV_TS_NANOS, /* truncated to microseconds (sluice's resolution) */
    CV_TS_INT96, /* legacy Impala/Spark: nanoseconds of day + Julian day */
    CV_TIME_MILLIS,
    CV_TIME_MICROS,
    CV_TIME_NANOS, /* time of day → "HH:MM:SS[.fraction]" STRING */
    CV_DECIMAL,    /* unscaled integer (int32, int64, big-endian bytes) → DECIMAL text */
    CV_UUID,       /* 16 bytes → canonical text */
    CV_FLOAT16,    /* 2 bytes → DOUBLE */
    CV_INTERVAL    /* 12 bytes months/days/millis → ISO 8601 duration text */
} conv;

/* Decimal text of `nd` digits (most significant first, no leading zeros
 * except a lone 0) with `scale` digits after the point, in the arena. */
static sl_value scaled_text(sl_arena *a, bool neg, const char *digits, size_t nd, int32_t scale) {
    size_t sc = (size_t)scale;
    size_t int_digits = nd > sc ? nd - sc : 0;
    size_t len = (size_t)neg + (int_digits ? int_digits : 1) + (sc ? 1 + sc : 0);
    char *out = sl_arena_alloc(a, len), *w = out;
    if (neg) *w++ = '-';
    if (int_digits) {
        memcpy(w, digits, int_digits);
        w += int_digits;
    } else {
        *w++ = '0';
    }
    if (sc) {
        *w++ = '.';
        size_t frac_digits = nd - int_digits;
        memset(w, '0', sc - frac_digits);
        w += sc - frac_digits;
        memcpy(w, digits + int_digits, frac_digits);
    }
    return sl_decimal(out, len);
}

static size_t u64_digits(uint64_t u, char *buf /* 20 bytes */) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static sl_value decimal_i64(sl_arena *a, int64_t v, int32_t scale) {
    char d[20];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t nd = u64_digits(mag, d);
    return scaled_text(a, v < 0 && mag, d, nd, scale);
}

/* Big-endian two's complement integer of n bytes (n ≤ 64) with a scale. */
static sl_value decimal_bytes(sl_arena *a, const uint8_t *p, size_t n, int32_t scale) {
    if (n <= 8) {
        uint64_t u = n && (p[0] & 0x80) ? UINT64_MAX : 0;
        for (size_t i = 0; i < n; i++)
            u = u << 8 | p[i];
        return decimal_i64(a, (int64_t)u, scale);
    }
    bool neg = p[0] & 0x80;
    uint8_t mag[64];
    memcpy(mag, p, n);
    if (neg) { /* magnitude = two's complement negation */
        unsigned carry = 1;
        for (size_t i = n; i-- > 0;) {
            unsigned x = (uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    /* repeated division by 10^9 of the big-endian magnitude */
    char digits[160];
    size_t nd = 0;
    uint32_t chunks[20];
    size_t nchunks = 0;
    size_t start = 0;
    while (start < n && !mag[start])
        start++;
    while (start < n) {
        uint64_t rem = 0;
        for (size_t i = start; i < n; i++) {
            uint64_t cur = rem << 8 | mag[i];
            mag[i] = (uint8_t)(cur / 1000000000u);
            rem = cur % 1000000000u;
        }
        chunks[nchunks++] = (uint32_t)rem;
        while (start < n && !mag[start])
            start++;
    }
    if (!nchunks) digits[nd++] = '0';
    for (size_t c = nchunks; c-- > 0;) {
        char buf[20];
        size_t k = u64_digits(chunks[c], buf);
        if (c != nchunks - 1)
            for (size_t z = k; z < 9; z++)
                digits[nd++] = '0';
        memcpy(digits + nd, buf, k);
        nd += k;
    }
    return scaled_text(a, neg && nchunks, digits, nd, scale);
}

/* "HH:MM:SS[.fraction]" (trailing zeros of the fraction dropped), as
 * DuckDB and most SQL engines print a time of day. */
static sl_value time_text(sl_arena *a, int64_t v, int64_t per_sec, int frac_digits) {
    if (v < 0 || v > 86400 * per_sec) return sl_int(v);
    int64_t secs = v / per_sec, frac = v % per_sec;
    char *out = sl_arena_alloc(a, 24);
    int len = snprintf(out, 24, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (frac) {
        int digits = frac_digits;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        len += snprintf(out + len, (size_t)(24 - len), ".%0*lld", digits, (long long)frac);
    }
    return sl_string(out, (size_t)len, SL_VF_JSON_PLAIN | SL_VF_UTF8);
}

static double half_to_double(uint16_t h) {
    int e = (h >> 10) & 0x1f;
    double m = h & 0x3ff;
    double v;
    if (e == 0)
        v = ldexp(m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(m + 1024, e - 25);
    return h & 0x8000 ? -v : v;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Convert one decoded physical value in place (text results in arena a). */
static void convert_value(conv cv, int32_t scale, sl_value *v, sl_arena *a) {
    switch (cv) {
    case CV_NONE: return;
    case CV_STRING:
        if (v->type == SL_T_BINARY) v->type = SL_T_STRING;
        return;
    case CV_UINT32: v->u.i = (int64_t)(uint32_t)v->u.i; return;
    case CV_UINT64:
        if (v->u.i < 0) {
            char d[20];
            size_t nd = u64_digits((uint64_t)v->u.i, d);
            *v = scaled_text(a, false, d, nd, 0);
        }
        return;
    case CV_DATE: v->type = SL_T_DATE; return;
    case CV_TS_MILLIS:
        if (v->u.i > INT64_MAX / 1000 || v->u.i < INT64_MIN / 1000)
            *v = sl_null();
        else
            *v = sl_timestamp(v->u.i * 1000);
        return;
    case CV_TS_MICROS: v->type = SL_T_TIMESTAMP; return;
    case CV_TS_NANOS: *v = sl_timestamp(floor_div(v->u.i, 1000)); return;
    case CV_TS_INT96: {
        if (v->type != SL_T_BINARY || v->len != 12) return;
        const uint8_t *p = (const uint8_t *)v->u.s;
        int64_t nanos = (int64_t)le64(p);
        int64_t days = (int64_t)le32(p + 8) - 2440588; /* Julian day of 1970-01-01 */
        int64_t us;
        if (__builtin_mul_overflow(days, 86400000000LL, &us) || __builtin_add_overflow(us, floor_div(nanos, 1000), &us))
            *v = sl_null(); /* beyond the timestamp range */
        else
            *v = sl_timestamp(us);
        return;
    }
    case CV_TIME_MILLIS: *v = time_text(a, v->u.i, 1000, 3); return;
    case CV_TIME_MICROS: *v = time_text(a, v->u.i, 1000000, 6); return;
    case CV_TIME_NANOS: *v = time_text(a, v->u.i, 1000000000, 9); return;
    case CV_DECIMAL:
        if (v->type == SL_T_INT)
            *v = decimal_i64(a, v->u.i, scale);
        else if (v->type == SL_T_BINARY && v->len <= 64)
            *v = decimal_bytes(a, (const uint8_t *)v->u.s, v->len, scale);
        return;
    case CV_UUID: {
        if (v->type != SL_T_BINARY || v->len != 16) return;
        static const char hex[] = "0123456789abcdef";
        const uint8_t *p = (const uint8_t *)v->u.s;
        char *out = sl_arena_alloc(a, 36), *w = out;
        for (int i = 0; i < 16; i++) {
            if (i == 4 || i == 6 || i == 8 || i == 10) *w++ = '-';
            *w++ = hex[p[i] >> 4];
            *w++ = hex[p[i] & 15];
        }
        *v = sl_string(out, 36, SL_VF_JSON_PLAIN | SL_VF_UTF8);
        return;
    }
    case CV_FLOAT16: {
        if (v->type != SL_T_BINARY || v->len != 2) return;
        const uint8_t *p = (const uint8_t *)v->u.s;
        *v = sl_double(half_to_double((uint16_t)(p[0] | p[1] << 8)));
        return;
    }
    case CV_INTERVAL: {
        if (v->type != SL_T_BINARY || v->len != 12) return;
        const uint8_t *p = (const uint8_t *)v->u.s;
        uint32_t months = le32(p), days = le32(p + 4), ms = le32(p + 8);
        char *out = sl_arena_alloc(a, 64);
        int len = snprintf(out, 64, "P%uM%uDT%u.%03uS", months, days, ms / 1000, ms % 1000);
        *v = sl_string(out, (size_t)len, SL_VF_JSON_PLAIN | SL_VF_UTF8);
        return;
    }
    }
}

/* Conversion for a leaf, or CV_NONE when the annotation does not fit the
 * physical type (the raw value is then kept). */
static conv leaf_conv(const sl_pq_schema_element *e, int32_t *scale) {
    sl_pq_type t = e->type;
    bool bytes = t == SL_PQ_BYTE_ARRAY || t == SL_PQ_FIXED_LEN_BYTE_ARRAY;
    int32_t flba = t == SL_PQ_FIXED_LEN_BYTE_ARRAY ? e->type_length : -1;
    const sl_pq_logical_type *lt = &e->logical_type;
    *scale = 0;
    if (t == SL_PQ_INT96) return CV_TS_INT96;
    conv cv = CV_NONE;
    switch (lt->kind) {
    case SL_PQ_LT_STRING:
    case SL_PQ_LT_ENUM:
    case SL_PQ_LT_JSON: cv = bytes ? CV_STRING : CV_NONE; break;
    case SL_PQ_LT_DECIMAL:
        *scale = lt->decimal_scale;
        cv = CV_DECIMAL;
        break;
    case SL_PQ_LT_DATE: cv = t == SL_PQ_INT32 ? CV_DATE : CV_NONE; break;
    case SL_PQ_LT_TIME:
        if (lt->unit == SL_PQ_MILLIS && t == SL_PQ_INT32)
            cv = CV_TIME_MILLIS;
        else if (lt->unit == SL_PQ_MICROS && t == SL_PQ_INT64)
            cv = CV_TIME_MICROS;
        else if (lt->unit == SL_PQ_NANOS && t == SL_PQ_INT64)
            cv = CV_TIME_NANOS;
        break;
    case SL_PQ_LT_TIMESTAMP:
        if (t != SL_PQ_INT64) break;
        cv = lt->unit == SL_PQ_MILLIS ? CV_TS_MILLIS : lt->unit == SL_PQ_NANOS ? CV_TS_NANOS : CV_TS_MICROS;
        break;
    case SL_PQ_LT_INTEGER:
        if (!lt->is_signed) cv = t == SL_PQ_INT64 ? CV_UINT64 : t == SL_PQ_INT32 ? CV_UINT32 : CV_NONE;
        break;
    case SL_PQ_LT_UUID: cv = flba == 16 ? CV_UUID : CV_NONE; break;
    case SL_PQ_LT_FLOAT16: cv = flba == 2 ? CV_FLOAT16 : CV_NONE; break;
    case SL_PQ_LT_NONE:
        if (!e->has_converted_type) break;
        switch (e->converted_type) {
        case SL_PQ_CT_UTF8:
        case SL_PQ_CT_ENUM:
        case SL_PQ_CT_JSON: cv = bytes ? CV_STRING : CV_NONE; break;
        case SL_PQ_CT_DECIMAL:
            *scale = e->has_scale ? e->scale : 0;
            cv = CV_DECIMAL;
            break;
        case SL_PQ_CT_DATE: cv = t == SL_PQ_INT32 ? CV_DATE : CV_NONE; break;
        case SL_PQ_CT_TIME_MILLIS: cv = t == SL_PQ_INT32 ? CV_TIME_MILLIS : CV_NONE; break;
        case SL_PQ_CT_TIME_MICROS: cv = t == SL_PQ_INT64 ? CV_TIME_MICROS : CV_NONE; break;
        case SL_PQ_CT_TIMESTAMP_MILLIS: cv = t == SL_PQ_INT64 ? CV_TS_MILLIS : CV_NONE; break;
        case SL_PQ_CT_TIMESTAMP_MICROS: cv = t == SL_PQ_INT64 ? CV_TS_MICROS : CV_NONE; break;
        case SL_PQ_CT_UINT_8:
        case SL_PQ_CT_UINT_16:
        case SL_PQ_CT_UINT_32: cv = t == SL_PQ_INT32 ? CV_UINT32 : CV_NONE; break;
        case SL_PQ_CT_UINT_64: cv = t == SL_PQ_INT64 ? CV_UINT64 : CV_NONE; break;
        case SL_PQ_CT_INTERVAL: cv = flba == 12 ? CV_INTERVAL : CV_NONE; break;
        default: break;
        }
        break;
    default: break;
    }
    if (cv == CV_DECIMAL) {
        bool ok = t == SL_PQ_INT32 || t == SL_PQ_INT64 || t == SL_PQ_BYTE_ARRAY || (flba > 0 && flba <= 64);
        if (!ok || *scale < 0 || *scale > 100) cv = CV_NONE;
    }
    return cv;
}

/* ------------------------------------------------------------------------ */
/* Reader state                                                              */
/* ------------------------------------------------------------------------ */

/* A node of the file schema (footer schema[i]), with its levels. */
typedef struct pq_node {
    const sl_pq_schema_element *el;
    uint32_t *kids;
    uint32_t n_kids;
    int16_t def, rep; /* maximum levels at this node, itself included */
    int32_t leaf;     /* leaf (column chunk) index, -1 for a group */
} pq_node;

typedef struct pq_leaf {
    sl_pq_type type;
    int32_t type_length;
    int16_t max_def, max_rep;
    conv cv;
    int32_t scale;
    char *path; /* "a.b.c", for messages */
} pq_leaf;

/* The shape of an output value, built from the schema: how the level
 * streams of the leaves below a node assemble into sluice values. */
typedef enum rkind { RN_LEAF, RN_STRUCT, RN_LIST, RN_MAP } rkind;

typedef struct rnode rnode;
struct rnode {
    rkind kind;
    bool optional;     /* null when the definition level is below def */
    int16_t def;       /* definition level at which the value is present */
    int16_t rep_def;   /* LIST/MAP: level at which the list has items */
    int16_t rep_level; /* LIST/MAP: repetition level of its items */
    uint32_t id;       /* index of the name in the per-batch name copies */
    const char *name;
    uint32_t name_len, name_flags;
    uint32_t n_kids; /* STRUCT: members; LIST: the element; MAP: key[, value] */
    rnode *kids;
    uint32_t first_col, n_cols; /* the column readers below (contiguous) */
};

enum { ENC_NONE = -1, ENC_DICT = 100 };

/* A projected leaf column: its chunk in the current row group, the page
 * being decoded and a window of decoded levels and values. */
typedef struct pq_col {
    const pq_leaf *leaf;
    uint32_t leaf_index;
    /* column chunk of the current row group */
    const uint8_t *chunk;
    size_t chunk_len, pos;
    uint64_t chunk_off; /* file offset of chunk[0] */
    sl_pq_codec codec;
    uint64_t page_off; /* file offset of the current page's header */
    /* dictionary */
    sl_value *dict;
    uint32_t dict_n, dict_cap;
    bool has_dict;
    uint8_t *dict_buf;
    size_t dict_buf_cap;
    sl_arena dict_arena;
    /* current data page */
    uint8_t *page_buf;
    size_t page_cap;
    uint64_t page_left; /* level entries not yet decoded */
    rle_stream rep_dec, def_dec;
    int enc;
    const uint8_t *vp, *vend;
    uint64_t bitpos;
    rle_stream idx;
    delta_stream dlt, dlt2;
    uint8_t *prev;
    size_t prev_len, prev_cap;
    uint64_t bss_count, bss_pos;
    uint64_t expanded, expand_limit; /* DELTA_BYTE_ARRAY output bytes, and their bound */
    /* window */
    uint32_t lv_n, lv_pos, v_pos;
    uint32_t def[WINDOW], rep[WINDOW];
    sl_value val[WINDOW];
    uint32_t idx_tmp[WINDOW];
    int64_t int_tmp[WINDOW], int_tmp2[WINDOW];
    sl_arena scratch; /* text of converted values in the window */
} pq_col;

typedef struct pq_reader pq_reader;

struct pq_reader {
    char *name; /* url, for messages */
    sl_store *store;
    const uint8_t *mem; /* in-memory file (tests, fuzzing) instead of a store */
    uint64_t size, data_end;
    uint8_t *footer_buf;
    uint8_t *tail; /* the last bytes of the object, read first: later reads inside it are served from it */
    uint64_t tail_off, tail_len;
    sl_arena meta_arena;
    sl_pq_file_meta meta;
    pq_node *nodes;
    pq_leaf *leaves;
    uint32_t n_leaves;
    rnode *fields; /* projected top-level fields, output order */
    uint32_t n_fields, n_rnodes;
    pq_col *cols;
    uint32_t n_cols;
    sl_expr *pred;
    /* part of the object to read (object_open_range): row groups whose middle lies here */
    uint64_t range_start, range_end;
    /* progress */
    uint32_t next_rg;
    int64_t rows_left; /* rows of the current row group not yet returned */
    uint32_t cur_rg;
    uint64_t row_number; /* rows before the next one returned (locations) */
    uint8_t **bufs;
    uint32_t n_bufs;
    uint64_t fetched; /* bytes fetched and not yet reported in a batch */
    /* per-batch copies of the field names, by rnode id */
    const char **bnames;
    /* lists and maps being assembled */
    sl_value *stack;
    size_t stack_n, stack_cap;
    sl_arena scratch; /* statistics values */
    struct libdeflate_decompressor *gz;
    ZSTD_DCtx *zs;
    sl_parquet_read_stats stats;
};

static int vfail(pq_reader *r, sl_error *err, int code, int64_t offset, const char *fmt, va_list ap) {
    if (!err) return code;
    sl_error_vset(err, code, fmt, ap);
    sl_error_at(err, r->name, 0, 0);
    err->offset = offset;
    return code;
}

/* Fail with code; the message names the problem, err->file the object. */
static int fail(pq_reader *r, sl_error *err, int code, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(pq_reader *r, sl_error *err, int code, int64_t offset, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfail(r, err, code, offset, fmt, ap);
    va_end(ap);
    return code;
}

/* A corrupt page or chunk of column c: "corrupt Parquet data in column
 * 'a.b', row group 3: <what>", located at the page's file offset. */
static int col_fail(pq_reader *r, const pq_col *c, sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int col_fail(pq_reader *r, const pq_col *c, sl_error *err, const char *fmt, ...) {
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return fail(r, err, SL_EPARSE, (int64_t)c->page_off, "corrupt Parquet data in column '%s', row group %u: %s",
                c->leaf->path, r->cur_rg, what);
}

/* ---- I/O ---- */

/* Bytes [off, off + len) of the object into dst. */
static int fetch(pq_reader *r, uint64_t off, uint64_t len, uint8_t *dst, sl_error *err) {
    if (off > r->size || len > r->size - off)
        return fail(r, err, SL_EPARSE, (int64_t)off,
                    "truncated Parquet file: bytes %llu..%llu are past its end (%llu bytes)", (unsigned long long)off,
                    (unsigned long long)(off + len), (unsigned long long)r->size);
    if (r->tail && off >= r->tail_off && off + len <= r->tail_off + r->tail_len) {
        memcpy(dst, r->tail + (off - r->tail_off), (size_t)len); /* a small file is read once */
        return SL_OK;
    }
    r->stats.bytes_read += len;
    r->fetched += len;
    if (r->mem) {
        memcpy(dst, r->mem + off, (size_t)len);
        return SL_OK;
    }
    sl_store_reader *rd;
    int rc = sl_store_reader_open(r->store, r->name, off, len, &rd, err);
    if (rc) return rc;
    uint64_t n = 0;
    while (n < len) {
        size_t got = 0;
        size_t want = len - n > (1u << 30) ? (1u << 30) : (size_t)(len - n);
        rc = sl_store_read(rd, dst + n, want, &got, err);
        if (rc || !got) break;
        n += got;
    }
    sl_store_reader_close(rd);
    if (rc) return rc;
    if (n < len)
        return fail(r, err, SL_EPARSE, (int64_t)(off + n),
                    "truncated Parquet file: expected %llu bytes at offset %llu, the object ended after %llu",
                    (unsigned long long)len, (unsigned long long)off, (unsigned long long)n);
    return SL_OK;
}

/* ---- decompression ---- */

static const char *codec_name(int codec) {
    static const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < 8 ? names[codec] : "unknown";
}

static const char *encoding_name(int enc) {
    static const char *names[] = {
        "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
        "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return enc >= 0 && enc < 10 ? names[enc] : "(unknown)";
}

static const char *type_name(int type) {
    static const char *names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                  "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return type >= 0 && type < 8 ? names[type] : "(unknown)";
}

static bool codec_supported(int codec) {
    return codec == SL_PQ_UNCOMPRESSED || codec == SL_PQ_SNAPPY || codec == SL_PQ_GZIP || codec == SL_PQ_ZSTD ||
           codec == SL_PQ_LZ4_RAW;
}

/* A decompressor context could not be allocated: fatal, as mem.h says. */
static void out_of_memory(void) {
    fprintf(stderr, "sluice: out of memory (allocating a decompressor)\n");
    exit(1);
}

/* LZ4 block format (LZ4_RAW); exactly out_len bytes. Returns 0 or -1. */
static int lz4_block(const uint8_t *ip, size_t n, uint8_t *out, size_t out_len) {
    const uint8_t *iend = ip + n;
    uint8_t *op = out, *oend = out + out_len;
    while (ip < iend) {
        unsigned token = *ip++;
        size_t lit = token >> 4;
        if (lit == 15) {
            unsigned b;
            do {
                if (ip >= iend) return -1;
                b = *ip++;
                lit += b;
            } while (b == 255);
        }
        if (lit > (size_t)(iend - ip) || lit > (size_t)(oend - op)) return -1;
        memcpy(op, ip, lit);
        op += lit;
        ip += lit;
        if (ip == iend) break; /* the last sequence has literals only */
        if (iend - ip < 2) return -1;
        size_t offset = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        size_t ml = token & 15;
        if (ml == 15) {
            unsigned b;
            do {
                if (ip >= iend) return -1;
                b = *ip++;
                ml += b;
            } while (b == 255);
        }
        ml += 4;
        if (!offset || offset > (size_t)(op - out) || ml > (size_t)(oend - op)) return -1;
        const uint8_t *match = op - offset;
        for (size_t i = 0; i < ml; i++)
            op[i] = match[i];
        op += ml;
    }
    return op == oend ? 0 : -1;
}

/* Decompress n bytes at src with the chunk's codec into *buf (grown as
 * needed) — or, uncompressed, point at src. (*out, *out_len): the page data. */
static int decompress(pq_reader *r, pq_col *c, const uint8_t *src, size_t n, size_t want, uint8_t **buf, size_t *cap,
                      const uint8_t **out, size_t *out_len, sl_error *err) {
    if (c->codec == SL_PQ_UNCOMPRESSED) {
        *out = src;
        *out_len = n;
        return SL_OK;
    }
    if (want > *cap) {
        free(*buf);
        *cap = want > 4096 ? want : 4096;
        *buf = sl_xmalloc(*cap);
    }
    bool ok = false;
    switch (c->codec) {
    case SL_PQ_SNAPPY: {
        size_t ul = 0;
        ok = snappy_uncompressed_length((const char *)src, n, &ul) == SNAPPY_OK && ul == want &&
             snappy_uncompress((const char *)src, n, (char *)*buf, &ul) == SNAPPY_OK && ul == want;
        break;
    }
    case SL_PQ_GZIP: {
        if (!r->gz) r->gz = libdeflate_alloc_decompressor();
        if (!r->gz) out_of_memory();
        size_t got = 0;
        if (n >= 2 && src[0] == 0x1f && src[1] == 0x8b)
            ok = libdeflate_gzip_decompress(r->gz, src, n, *buf, want, &got) == LIBDEFLATE_SUCCESS && got == want;
        else
            ok = libdeflate_zlib_decompress(r->gz, src, n, *buf, want, &got) == LIBDEFLATE_SUCCESS && got == want;
        break;
    }
    case SL_PQ_ZSTD: {
        if (!r->zs) r->zs = ZSTD_createDCtx();
        if (!r->zs) out_of_memory();
        size_t got = ZSTD_decompressDCtx(r->zs, *buf, want, src, n);
        ok = !ZSTD_isError(got) && got == want;
        break;
    }
    case SL_PQ_LZ4_RAW: ok = lz4_block(src, n, *buf, want) == 0; break;
    default: return col_fail(r, c, err, "compression codec %s is not supported", codec_name(c->codec));
    }
    if (!ok)
        return col_fail(r, c, err, "%s data of %zu bytes does not decompress to the %zu bytes its page header says",
                        codec_name(c->codec), n, want);
    *out = *buf;
    *out_len = want;
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* Pages                                                                     */
/* ------------------------------------------------------------------------ */

/* n PLAIN values of the leaf's physical type from [*p, end) (booleans from
 * bit *bit on) into out, as decoded physical values: BOOL, INT, DOUBLE, or
 * BINARY pointing into the data. Returns 0 or -1 (the data ends first). */
static int plain_decode(const pq_leaf *lf, const uint8_t **pp, const uint8_t *end, uint64_t *bit, sl_value *out,
                        uint32_t n) {
    const uint8_t *p = *pp;
    size_t avail = (size_t)(end - p);
    switch (lf->type) {
    case SL_PQ_BOOLEAN: {
        if (*bit + n > (uint64_t)avail * 8) return -1;
        uint64_t b = *bit;
        for (uint32_t i = 0; i < n; i++, b++)
            out[i] = sl_bool((p[b >> 3] >> (b & 7)) & 1);
        *bit = b;
        return 0; /* booleans advance by bits; *pp stays */
    }
    case SL_PQ_INT32:
        if (avail / 4 < n) return -1;
        for (uint32_t i = 0; i < n; i++, p += 4)
            out[i] = sl_int((int32_t)le32(p));
        break;
    case SL_PQ_INT64:
        if (avail / 8 < n) return -1;
        for (uint32_t i = 0; i < n; i++, p += 8)
            out[i] = sl_int((int64_t)le64(p));
        break;
    case SL_PQ_FLOAT:
        if (avail / 4 < n) return -1;
        for (uint32_t i = 0; i < n; i++, p += 4) {
            float f;
            memcpy(&f, p, 4);
            out[i] = sl_double(f);
        }
        break;
    case SL_PQ_DOUBLE:
        if (avail / 8 < n) return -1;
        for (uint32_t i = 0; i < n; i++, p += 8) {
            double d;
            memcpy(&d, p, 8);
            out[i] = sl_double(d);
        }
        break;
    case SL_PQ_INT96:
        if (avail / 12 < n) return -1;
        for (uint32_t i = 0; i < n; i++, p += 12)
            out[i] = sl_binary(p, 12);
        break;
    case SL_PQ_BYTE_ARRAY:
        for (uint32_t i = 0; i < n; i++) {
            if (end - p < 4) return -1;
            uint32_t len = le32(p);
            p += 4;
            if (len > (size_t)(end - p)) return -1;
            out[i] = sl_binary(p, len);
            p += len;
        }
        break;
    case SL_PQ_FIXED_LEN_BYTE_ARRAY: {
        size_t w = (size_t)lf->type_length;
        if (avail / w < n) return -1;
        for (uint32_t i = 0; i < n; i++, p += w)
            out[i] = sl_binary(p, w);
        break;
    }
    }
    *pp = p;
    return 0;
}

/* Smallest encoded size of one PLAIN value, in bits (bounds counts). */
static uint64_t plain_min_bits(const pq_leaf *lf) {
    switch (lf->type) {
    case SL_PQ_BOOLEAN: return 1;
    case SL_PQ_INT32:
    case SL_PQ_FLOAT: return 32;
    case SL_PQ_INT64:
    case SL_PQ_DOUBLE: return 64;
    case SL_PQ_INT96: return 96;
    case SL_PQ_BYTE_ARRAY: return 32;
    case SL_PQ_FIXED_LEN_BYTE_ARRAY: return (uint64_t)lf->type_length * 8;
    }
    return 8;
}

/* Convert decoded values to the leaf's type. Strings get SL_VF_JSON_PLAIN
 * when they need no escaping: one scan here, while the page is in cache,
 * spares a JSON writer its slow escaping path. */
static void convert_all(const pq_leaf *lf, sl_value *v, uint32_t n, sl_arena *a) {
    if (lf->cv == CV_NONE) return;
    for (uint32_t i = 0; i < n; i++)
        if (v[i].type != SL_T_NULL) convert_value(lf->cv, lf->scale, &v[i], a);
    if (lf->cv == CV_STRING)
        for (uint32_t i = 0; i < n; i++)
            if (v[i].type == SL_T_STRING && sl_json_plain(v[i].u.s, v[i].len)) v[i].flags |= SL_VF_JSON_PLAIN;
}

static int load_dictionary(pq_reader *r, pq_col *c, const sl_pq_page_header *h, const uint8_t *body, sl_error *err) {
    if (!h->has_dictionary_page_header) return col_fail(r, c, err, "dictionary page without its header");
    if (c->has_dict) return col_fail(r, c, err, "a second dictionary page");
    int32_t n = h->dictionary_page_header.num_values;
    int enc = h->dictionary_page_header.encoding;
    if (enc != SL_PQ_ENC_PLAIN && enc != SL_PQ_ENC_PLAIN_DICTIONARY)
        return col_fail(r, c, err, "dictionary page encoding %s is not PLAIN", encoding_name(enc));
    const uint8_t *data;
    size_t len;
    int rc = decompress(r, c, body, (size_t)h->compressed_page_size, (size_t)h->uncompressed_page_size, &c->dict_buf,
                        &c->dict_buf_cap, &data, &len, err);
    if (rc) return rc;
    if (n < 0 || (uint64_t)n > (uint64_t)len * 8 / plain_min_bits(c->leaf))
        return col_fail(r, c, err, "dictionary of %d values does not fit its %zu bytes", n, len);
    if ((uint32_t)n > c->dict_cap) {
        free(c->dict);
        c->dict_cap = (uint32_t)n;
        c->dict = sl_xmalloc((size_t)n * sizeof *c->dict);
    }
    uint64_t bit = 0;
    const uint8_t *p = data;
    if (plain_decode(c->leaf, &p, data + len, &bit, c->dict, (uint32_t)n))
        return col_fail(r, c, err, "dictionary page data ends before its %d values", n);
    sl_arena_reset(&c->dict_arena);
    convert_all(c->leaf, c->dict, (uint32_t)n, &c->dict_arena);
    c->dict_n = (uint32_t)n;
    c->has_dict = true;
    return SL_OK;
}

static unsigned bit_width(unsigned max) {
    unsigned w = 0;
    while (max >> w)
        w++;
    return w;
}

/* Level stream of a v1 data page at *p: RLE (4-byte length first) or the
 * deprecated BIT_PACKED. */
static int levels_v1(pq_reader *r, pq_col *c, rle_stream *d, int enc, unsigned max, uint64_t n, const uint8_t **p,
                     const uint8_t *end, sl_error *err) {
    unsigned bw = bit_width(max);
    if (enc == SL_PQ_ENC_RLE) {
        if (end - *p < 4) return col_fail(r, c, err, "levels end before their length");
        uint32_t len = le32(*p);
        *p += 4;
        if (len > (size_t)(end - *p)) return col_fail(r, c, err, "levels of %u bytes run past the page's end", len);
        rle_init(d, *p, len, bw);
        *p += len;
        return SL_OK;
    }
    if (enc == SL_PQ_ENC_BIT_PACKED) {
        uint64_t bytes = (n * bw + 7) / 8;
        if (bytes > (uint64_t)(end - *p)) return col_fail(r, c, err, "bit-packed levels run past the page's end");
        bitpacked_msb_init(d, *p, (size_t)bytes, bw, n);
        *p += bytes;
        return SL_OK;
    }
    return col_fail(r, c, err, "level encoding %s is not supported", encoding_name(enc));
}

static bool is_int_type(sl_pq_type t) { return t == SL_PQ_INT32 || t == SL_PQ_INT64; }

/* Set up the value decoder for a data page's values at [p, end). */
static int values_setup(pq_reader *r, pq_col *c, int enc, const uint8_t *p, const uint8_t *end, size_t page_size,
                        sl_error *err) {
    const pq_leaf *lf = c->leaf;
    c->vp = p;
    c->vend = end;
    c->bitpos = 0;
    c->enc = enc;
    switch (enc) {
    case SL_PQ_ENC_PLAIN: return SL_OK;
    case SL_PQ_ENC_PLAIN_DICTIONARY:
    case SL_PQ_ENC_RLE_DICTIONARY: {
        if (!c->has_dict) return col_fail(r, c, err, "dictionary-encoded page but no dictionary page before it");
        unsigned bw = 0;
        if (p < end && (bw = *p++) > 32) return col_fail(r, c, err, "dictionary index bit width %u", bw);
        rle_init(&c->idx, p, (size_t)(end - p), bw);
        c->enc = ENC_DICT;
        return SL_OK;
    }
    case SL_PQ_ENC_RLE:
        if (lf->type != SL_PQ_BOOLEAN) break;
        if (end - p < 4) return col_fail(r, c, err, "RLE boolean values end before their length");
        if (le32(p) > (size_t)(end - p - 4)) return col_fail(r, c, err, "RLE boolean values run past the page's end");
        rle_init(&c->idx, p + 4, le32(p), 1);
        return SL_OK;
    case SL_PQ_ENC_DELTA_BINARY_PACKED:
        if (!is_int_type(lf->type)) break;
        if (p == end)
            c->enc = ENC_NONE; /* no values */
        else if (delta_init(&c->dlt, p, end))
            return col_fail(r, c, err, "bad DELTA_BINARY_PACKED header");
        return SL_OK;
    case SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (lf->type != SL_PQ_BYTE_ARRAY) break;
        if (p == end)
            c->enc = ENC_NONE;
        else if (delta_init(&c->dlt, p, end) || delta_end(&c->dlt, &c->vp))
            return col_fail(r, c, err, "bad DELTA_LENGTH_BYTE_ARRAY lengths");
        return SL_OK;
    case SL_PQ_ENC_DELTA_BYTE_ARRAY: {
        if (lf->type != SL_PQ_BYTE_ARRAY && lf->type != SL_PQ_FIXED_LEN_BYTE_ARRAY) break;
        const uint8_t *suffixes;
        if (p == end)
            c->enc = ENC_NONE;
        else if (delta_init(&c->dlt, p, end) || delta_end(&c->dlt, &suffixes) || delta_init(&c->dlt2, suffixes, end) ||
                 delta_end(&c->dlt2, &c->vp))
            return col_fail(r, c, err, "bad DELTA_BYTE_ARRAY lengths");
        c->prev_len = 0;
        c->expanded = 0;
        c->expand_limit = (uint64_t)page_size * 64 + (64u << 20);
        return SL_OK;
    }
    case SL_PQ_ENC_BYTE_STREAM_SPLIT: {
        size_t w = lf->type == SL_PQ_FIXED_LEN_BYTE_ARRAY                ? (size_t)lf->type_length
                   : lf->type == SL_PQ_FLOAT || lf->type == SL_PQ_INT32  ? 4
                   : lf->type == SL_PQ_DOUBLE || lf->type == SL_PQ_INT64 ? 8
                                                                         : 0;
        if (!w) break;
        c->bss_count = (uint64_t)(end - p) / w;
        c->bss_pos = 0;
        return SL_OK;
    }
    default: return col_fail(r, c, err, "encoding %s is not supported", encoding_name(enc));
    }
    return col_fail(r, c, err, "encoding %s does not apply to physical type %s", encoding_name(enc),
                    type_name(lf->type));
}

/* Next page with level entries: dictionary pages are loaded on the way,
 * index pages skipped. Returns 1, 0 at the end of the chunk, or an error. */
static int col_next_page(pq_reader *r, pq_col *c, sl_error *err) {
    const pq_leaf *lf = c->leaf;
    while (c->pos < c->chunk_len) {
        c->page_off = c->chunk_off + c->pos;
        sl_pq_page_header h;
        size_t hl = 0;
        sl_error e;
        sl_error_clear(&e);
        if (sl_pq_page_header_decode(c->chunk + c->pos, c->chunk_len - c->pos, &h, &hl, &e))
            return col_fail(r, c, err, "%s", e.message);
        size_t avail = c->chunk_len - c->pos - hl;
        const uint8_t *body = c->chunk + c->pos + hl;
        if (h.compressed_page_size < 0 || (size_t)h.compressed_page_size > avail)
            return col_fail(r, c, err, "page of %d bytes runs past the end of its column chunk (%zu bytes left)",
                            h.compressed_page_size, avail);
        if (h.uncompressed_page_size < 0 || (size_t)h.uncompressed_page_size > MAX_PAGE)
            return col_fail(r, c, err, "page size %d is out of range (limit %zu MiB)", h.uncompressed_page_size,
                            MAX_PAGE >> 20);
        c->pos += hl + (size_t)h.compressed_page_size;
        size_t comp = (size_t)h.compressed_page_size, uncomp = (size_t)h.uncompressed_page_size;
        const uint8_t *data;
        size_t len;
        int rc;
        int64_t n;
        if (h.type == SL_PQ_DICTIONARY_PAGE) {
            if ((rc = load_dictionary(r, c, &h, body, err)) != 0) return rc;
            continue;
        }
        if (h.type == SL_PQ_DATA_PAGE) {
            if (!h.has_data_page_header) return col_fail(r, c, err, "data page without its header");
            const sl_pq_data_page_header *dp = &h.data_page_header;
            n = dp->num_values;
            if (n < 0) return col_fail(r, c, err, "negative value count %lld", (long long)n);
            if ((rc = decompress(r, c, body, comp, uncomp, &c->page_buf, &c->page_cap, &data, &len, err)) != 0)
                return rc;
            const uint8_t *p = data, *end = data + len;
            if (lf->max_rep && (rc = levels_v1(r, c, &c->rep_dec, dp->repetition_level_encoding, (unsigned)lf->max_rep,
                                               (uint64_t)n, &p, end, err)) != 0)
                return rc;
            if (lf->max_def && (rc = levels_v1(r, c, &c->def_dec, dp->definition_level_encoding, (unsigned)lf->max_def,
                                               (uint64_t)n, &p, end, err)) != 0)
                return rc;
            if ((rc = values_setup(r, c, dp->encoding, p, end, len, err)) != 0) return rc;
        } else if (h.type == SL_PQ_DATA_PAGE_V2) {
            if (!h.has_data_page_header_v2) return col_fail(r, c, err, "data page v2 without its header");
            const sl_pq_data_page_header_v2 *dp = &h.data_page_header_v2;
            n = dp->num_values;
            int32_t rl = dp->repetition_levels_byte_length, dl = dp->definition_levels_byte_length;
            if (n < 0 || rl < 0 || dl < 0 || (size_t)rl + (size_t)dl > comp || (size_t)rl + (size_t)dl > uncomp)
                return col_fail(r, c, err, "data page v2 level lengths (%d, %d) do not fit the page (%zu bytes)", rl,
                                dl, comp);
            rle_init(&c->rep_dec, body, (size_t)rl, bit_width((unsigned)lf->max_rep));
            rle_init(&c->def_dec, body + rl, (size_t)dl, bit_width((unsigned)lf->max_def));
            size_t off = (size_t)rl + (size_t)dl;
            if (dp->is_compressed) {
                if ((rc = decompress(r, c, body + off, comp - off, uncomp - off, &c->page_buf, &c->page_cap, &data,
                                     &len, err)) != 0)
                    return rc;
            } else {
                data = body + off;
                len = comp - off;
            }
            if ((rc = values_setup(r, c, dp->encoding, data, data + len, len, err)) != 0) return rc;
        } else {
            continue; /* index page, or a page type from the future */
        }
        r->stats.pages++;
        if (n == 0) continue;
        c->page_left = (uint64_t)n;
        return 1;
    }
    return 0;
}

/* Decode the next n non-null values of the page into c->val. */
static int decode_values(pq_reader *r, pq_col *c, uint32_t n, sl_error *err) {
    const pq_leaf *lf = c->leaf;
    sl_value *out = c->val;
    if (!n) return SL_OK;
    switch (c->enc) {
    case ENC_DICT:
        if (rle_get(&c->idx, c->idx_tmp, n)) return col_fail(r, c, err, "dictionary indexes end early");
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k = c->idx_tmp[i];
            if (k >= c->dict_n) return col_fail(r, c, err, "dictionary index %u beyond its %u entries", k, c->dict_n);
            out[i] = c->dict[k];
        }
        return SL_OK; /* dictionary values are converted already */
    case SL_PQ_ENC_PLAIN:
        if (plain_decode(lf, &c->vp, c->vend, &c->bitpos, out, n)) return col_fail(r, c, err, "PLAIN values end early");
        break;
    case SL_PQ_ENC_RLE:
        if (rle_get(&c->idx, c->idx_tmp, n)) return col_fail(r, c, err, "RLE boolean values end early");
        for (uint32_t i = 0; i < n; i++)
            out[i] = sl_bool(c->idx_tmp[i] & 1);
        break;
    case SL_PQ_ENC_DELTA_BINARY_PACKED:
        if (delta_get(&c->dlt, c->int_tmp, n)) return col_fail(r, c, err, "DELTA_BINARY_PACKED values end early");
        if (lf->type == SL_PQ_INT32)
            for (uint32_t i = 0; i < n; i++)
                out[i] = sl_int((int32_t)(uint32_t)c->int_tmp[i]);
        else
            for (uint32_t i = 0; i < n; i++)
                out[i] = sl_int(c->int_tmp[i]);
        break;
    case SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (delta_get(&c->dlt, c->int_tmp, n)) return col_fail(r, c, err, "DELTA_LENGTH_BYTE_ARRAY lengths end early");
        for (uint32_t i = 0; i < n; i++) {
            int64_t len = c->int_tmp[i];
            if (len < 0 || len > c->vend - c->vp)
                return col_fail(r, c, err, "DELTA_LENGTH_BYTE_ARRAY value of %lld bytes past the page's end",
                                (long long)len);
            out[i] = sl_binary(c->vp, (size_t)len);
            c->vp += len;
        }
        break;
    case SL_PQ_ENC_DELTA_BYTE_ARRAY:
        if (delta_get(&c->dlt, c->int_tmp, n) || delta_get(&c->dlt2, c->int_tmp2, n))
            return col_fail(r, c, err, "DELTA_BYTE_ARRAY lengths end early");
        for (uint32_t i = 0; i < n; i++) {
            int64_t pre = c->int_tmp[i], suf = c->int_tmp2[i];
            if (pre < 0 || (uint64_t)pre > c->prev_len || suf < 0 || suf > c->vend - c->vp)
                return col_fail(r, c, err, "DELTA_BYTE_ARRAY prefix %lld / suffix %lld out of range", (long long)pre,
                                (long long)suf);
            size_t len = (size_t)pre + (size_t)suf;
            c->expanded += len;
            if (len > UINT32_MAX || c->expanded > c->expand_limit)
                return col_fail(r, c, err, "DELTA_BYTE_ARRAY values expand beyond %llu bytes",
                                (unsigned long long)c->expand_limit);
            if (len > c->prev_cap) {
                c->prev_cap = len * 2 > 64 ? len * 2 : 64;
                c->prev = sl_xrealloc(c->prev, c->prev_cap);
            }
            memcpy(c->prev + pre, c->vp, (size_t)suf);
            c->vp += suf;
            c->prev_len = len;
            char *copy = sl_arena_alloc(&c->scratch, len ? len : 1);
            memcpy(copy, c->prev, len);
            out[i] = sl_binary(copy, len);
        }
        break;
    case SL_PQ_ENC_BYTE_STREAM_SPLIT: {
        if (n > c->bss_count - c->bss_pos) return col_fail(r, c, err, "BYTE_STREAM_SPLIT values end early");
        size_t w = lf->type == SL_PQ_FIXED_LEN_BYTE_ARRAY               ? (size_t)lf->type_length
                   : lf->type == SL_PQ_FLOAT || lf->type == SL_PQ_INT32 ? 4
                                                                        : 8;
        size_t stride = (size_t)c->bss_count;
        for (uint32_t i = 0; i < n; i++, c->bss_pos++) {
            uint8_t tmp[8], *b = w <= 8 ? tmp : sl_arena_alloc(&c->scratch, w);
            for (size_t k = 0; k < w; k++)
                b[k] = c->vp[k * stride + c->bss_pos];
            switch (lf->type) {
            case SL_PQ_FLOAT: {
                float f;
                memcpy(&f, b, 4);
                out[i] = sl_double(f);
                break;
            }
            case SL_PQ_DOUBLE: {
                double d;
                memcpy(&d, b, 8);
                out[i] = sl_double(d);
                break;
            }
            case SL_PQ_INT32: out[i] = sl_int((int32_t)le32(b)); break;
            case SL_PQ_INT64: out[i] = sl_int((int64_t)le64(b)); break;
            default: {
                if (b == tmp) {
                    b = sl_arena_alloc(&c->scratch, w);
                    memcpy(b, tmp, w);
                }
                out[i] = sl_binary(b, w);
            }
            }
        }
        break;
    }
    default: return col_fail(r, c, err, "page holds no values but its levels say it does");
    }
    convert_all(lf, out, n, &c->scratch);
    return SL_OK;
}

/* Decode the next window of level entries (and their values). Returns 1,
 * 0 at the end of the column chunk, or an error. */
static int col_refill(pq_reader *r, pq_col *c, sl_error *err) {
    const pq_leaf *lf = c->leaf;
    while (!c->page_left) {
        int rc = col_next_page(r, c, err);
        if (rc <= 0) return rc;
    }
    uint32_t k = c->page_left < WINDOW ? (uint32_t)c->page_left : WINDOW;
    if (lf->max_rep) {
        if (rle_get(&c->rep_dec, c->rep, k)) return col_fail(r, c, err, "repetition levels end early");
        for (uint32_t i = 0; i < k; i++)
            if (c->rep[i] > (uint32_t)lf->max_rep)
                return col_fail(r, c, err, "repetition level %u above the maximum %d", c->rep[i], lf->max_rep);
    } else {
        memset(c->rep, 0, k * sizeof *c->rep);
    }
    uint32_t nv = k;
    if (lf->max_def) {
        if (rle_get(&c->def_dec, c->def, k)) return col_fail(r, c, err, "definition levels end early");
        uint32_t max = (uint32_t)lf->max_def;
        nv = 0;
        for (uint32_t i = 0; i < k; i++) {
            if (c->def[i] > max)
                return col_fail(r, c, err, "definition level %u above the maximum %d", c->def[i], lf->max_def);
            nv += c->def[i] == max;
        }
    } else {
        memset(c->def, 0, k * sizeof *c->def);
    }
    sl_arena_reset(&c->scratch);
    int rc = decode_values(r, c, nv, err);
    if (rc) return rc;
    c->lv_n = k;
    c->lv_pos = 0;
    c->v_pos = 0;
    c->page_left -= k;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Records                                                                   */
/* ------------------------------------------------------------------------ */

/* Copy a value's bytes into the batch arena (values never point into the
 * reader's pages). */
static inline sl_value emit(sl_value v, sl_arena *a) {
    if (v.type >= SL_T_DECIMAL && v.type <= SL_T_BINARY && v.len) {
        char *p = sl_arena_alloc(a, v.len);
        memcpy(p, v.u.s, v.len);
        v.u.s = p;
    }
    return v;
}

/* Make sure column c has an undecoded entry; 0 ok, else an error (a column
 * that ends before the row group's rows do is corrupt). */
static inline int col_ready(pq_reader *r, pq_col *c, sl_error *err) {
    if (c->lv_pos < c->lv_n) return SL_OK;
    int rc = col_refill(r, c, err);
    if (rc == 1) return SL_OK;
    if (rc == 0)
        return col_fail(r, c, err, "the column chunk ends before the row group's %lld rows do",
                        (long long)r->meta.row_groups[r->cur_rg].num_rows);
    return rc;
}

/* Take the current entry: its value (copied into a), or null. */
static inline sl_value col_take(pq_col *c, sl_arena *a) {
    uint32_t i = c->lv_pos++;
    if (c->def[i] < (uint32_t)c->leaf->max_def) return sl_null();
    return emit(c->val[c->v_pos++], a);
}

/* Skip one entry of every column below n (a null or empty value there). */
static int skip_entries(pq_reader *r, const rnode *n, sl_error *err) {
    for (uint32_t k = 0; k < n->n_cols; k++) {
        pq_col *c = &r->cols[n->first_col + k];
        int rc = col_ready(r, c, err);
        if (rc) return rc;
        if (c->def[c->lv_pos++] == (uint32_t)c->leaf->max_def) c->v_pos++;
    }
    return SL_OK;
}

static void stack_push(pq_reader *r, sl_value v) {
    if (r->stack_n == r->stack_cap) {
        r->stack_cap = r->stack_cap ? r->stack_cap * 2 : 256;
        r->stack = sl_xrealloc(r->stack, r->stack_cap * sizeof *r->stack);
    }
    r->stack[r->stack_n++] = v;
}

/* Map key → field name (text in the arena). */
static void key_name(sl_arena *a, const sl_value *key, sl_field *f) {
    sl_value t = *key;
    if (t.type != SL_T_STRING && t.type != SL_T_BINARY) t = sl_value_to_text(a, key);
    f->name = t.len ? t.u.s : "";
    f->name_len = t.len;
    f->name_flags = sl_json_plain(f->name, f->name_len) ? SL_VF_JSON_PLAIN : 0;
}

/* Assemble one value of node n from the level streams of its columns
 * (Dremel record assembly, recursively: each column's next entry belongs
 * to this value; a null or empty value has exactly one entry in every
 * column below it; list items continue while the first column's next
 * repetition level equals the list's). */
static int read_node(pq_reader *r, const rnode *n, sl_value *out, sl_arena *a, sl_error *err) {
    pq_col *first = &r->cols[n->first_col];
    int rc = col_ready(r, first, err);
    if (rc) return rc;
    uint32_t def = first->def[first->lv_pos];
    if (n->optional && def < (uint32_t)n->def) {
        *out = sl_null();
        return skip_entries(r, n, err);
    }
    switch (n->kind) {
    case RN_LEAF: *out = col_take(first, a); return SL_OK;
    case RN_STRUCT: {
        sl_field *f = sl_arena_alloc(a, n->n_kids * sizeof *f);
        for (uint32_t i = 0; i < n->n_kids; i++) {
            const rnode *k = &n->kids[i];
            f[i].name = r->bnames[k->id];
            f[i].name_len = k->name_len;
            f[i].name_flags = k->name_flags;
            if ((rc = read_node(r, k, &f[i].value, a, err)) != 0) return rc;
        }
        *out = sl_struct(f, n->n_kids);
        return SL_OK;
    }
    case RN_LIST:
    case RN_MAP: break;
    }
    if (def < (uint32_t)n->rep_def) { /* present but empty */
        *out = n->kind == RN_LIST ? sl_list(NULL, 0) : sl_struct(NULL, 0);
        return skip_entries(r, n, err);
    }
    size_t base = r->stack_n, items = 0;
    for (;;) {
        if (++items > MAX_LIST_ITEMS)
            return col_fail(r, first, err, "a list or map of more than %zu items", MAX_LIST_ITEMS);
        sl_value v;
        if ((rc = read_node(r, &n->kids[0], &v, a, err)) != 0) return rc;
        stack_push(r, v);
        if (n->kind == RN_MAP) {
            v = sl_null();
            if (n->n_kids > 1 && (rc = read_node(r, &n->kids[1], &v, a, err)) != 0) return rc;
            stack_push(r, v);
        }
        if (first->lv_pos == first->lv_n) {
            rc = col_refill(r, first, err);
            if (rc < 0) return rc;
            if (rc == 0) break; /* the chunk ends with this record */
        }
        if (first->rep[first->lv_pos] != (uint32_t)n->rep_level) break;
    }
    size_t cnt = r->stack_n - base;
    if (n->kind == RN_LIST) {
        sl_value *items_out = sl_arena_alloc(a, cnt * sizeof *items_out);
        memcpy(items_out, r->stack + base, cnt * sizeof *items_out);
        *out = sl_list(items_out, cnt);
    } else {
        sl_field *f = sl_arena_alloc(a, cnt / 2 * sizeof *f);
        for (size_t i = 0; i < cnt / 2; i++) {
            key_name(a, &r->stack[base + 2 * i], &f[i]);
            f[i].value = r->stack[base + 2 * i + 1];
        }
        *out = sl_struct(f, cnt / 2);
    }
    r->stack_n = base;
    return SL_OK;
}

/* Column-wise fill of a flat top-level column into n records. */
static int read_flat(pq_reader *r, pq_col *c, sl_field *fields, size_t nf, size_t fi, size_t n, sl_arena *a,
                     sl_error *err) {
    for (size_t i = 0; i < n;) {
        int rc = col_ready(r, c, err);
        if (rc) return rc;
        size_t k = c->lv_n - c->lv_pos;
        if (k > n - i) k = n - i;
        sl_field *f = fields + i * nf + fi;
        for (size_t j = 0; j < k; j++, f += nf)
            f->value = col_take(c, a);
        i += k;
    }
    return SL_OK;
}

/* A record's nested value starts a new record in every column. */
static int check_record_start(pq_reader *r, const rnode *n, sl_error *err) {
    for (uint32_t k = 0; k < n->n_cols; k++) {
        pq_col *c = &r->cols[n->first_col + k];
        int rc = col_ready(r, c, err);
        if (rc) return rc;
        if (c->rep[c->lv_pos])
            return col_fail(r, c, err, "a record starts with repetition level %u", c->rep[c->lv_pos]);
    }
    return SL_OK;
}

static bool is_flat(const pq_reader *r, const rnode *n) {
    return n->kind == RN_LEAF && r->cols[n->first_col].leaf->max_rep == 0;
}

/* n records of the current row group into the batch. */
static int read_rows(pq_reader *r, sl_batch *b, size_t n, sl_error *err) {
    size_t nf = r->n_fields;
    sl_field *fields = nf ? sl_arena_alloc(&b->arena, n * nf * sizeof *fields) : NULL;
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < nf; f++) {
            sl_field *x = &fields[i * nf + f];
            x->name = r->bnames[r->fields[f].id];
            x->name_len = r->fields[f].name_len;
            x->name_flags = r->fields[f].name_flags;
        }
    for (size_t f = 0; f < nf; f++) {
        const rnode *fn = &r->fields[f];
        int rc;
        if (is_flat(r, fn)) {
            rc = read_flat(r, &r->cols[fn->first_col], fields, nf, f, n, &b->arena, err);
            if (rc) return rc;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            if ((rc = check_record_start(r, fn, err)) != 0) return rc;
            if ((rc = read_node(r, fn, &fields[i * nf + f].value, &b->arena, err)) != 0) return rc;
        }
    }
    for (size_t i = 0; i < n; i++) {
        sl_recloc loc = {r->row_number + i + 1, -1};
        sl_batch_push(b, sl_struct(nf ? fields + i * nf : NULL, nf), loc);
    }
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* Schema                                                                    */
/* ------------------------------------------------------------------------ */

static bool name_is(const sl_pq_schema_element *e, const char *s, size_t len) {
    return e->name_len == len && !memcmp(e->name, s, len);
}

static int schema_walk(pq_reader *r, uint32_t self, uint32_t *next, int depth, int16_t def, int16_t rep,
                       const char *path, sl_error *err) {
    const sl_pq_file_meta *m = &r->meta;
    const sl_pq_schema_element *e = &m->schema[self];
    pq_node *nd = &r->nodes[self];
    nd->el = e;
    nd->leaf = -1;
    if (depth > MAX_DEPTH) return fail(r, err, SL_EPARSE, -1, "Parquet schema nested deeper than %d levels", MAX_DEPTH);
    if (self && e->has_repetition) {
        if (e->repetition_type == SL_PQ_OPTIONAL)
            def++;
        else if (e->repetition_type == SL_PQ_REPEATED)
            def++, rep++;
    }
    nd->def = def;
    nd->rep = rep;
    char *mypath;
    if (!self) {
        mypath = "";
    } else {
        size_t pl = strlen(path);
        mypath = sl_arena_alloc(&r->meta_arena, pl + e->name_len + 2);
        sprintf(mypath, "%s%s%.*s", path, pl ? "." : "", (int)e->name_len, e->name);
    }
    bool group = !self || (e->has_num_children && e->num_children > 0) || !e->has_type;
    if (!group) {
        if ((unsigned)e->type > SL_PQ_FIXED_LEN_BYTE_ARRAY)
            return fail(r, err, SL_EPARSE, -1, "Parquet schema: column '%s' has unknown physical type %d", mypath,
                        (int)e->type);
        if (e->type == SL_PQ_FIXED_LEN_BYTE_ARRAY && (!e->has_type_length || e->type_length <= 0))
            return fail(r, err, SL_EPARSE, -1, "Parquet schema: FIXED_LEN_BYTE_ARRAY column '%s' has no length",
                        mypath);
        pq_leaf *lf = &r->leaves[r->n_leaves];
        nd->leaf = (int32_t)r->n_leaves++;
        lf->type = e->type;
        lf->type_length = e->type_length;
        lf->max_def = def;
        lf->max_rep = rep;
        lf->cv = leaf_conv(e, &lf->scale);
        lf->path = mypath;
        return SL_OK;
    }
    int32_t nk = e->has_num_children ? e->num_children : 0;
    if (nk < 0 || (uint32_t)nk > m->n_schema - *next)
        return fail(r, err, SL_EPARSE, -1, "Parquet schema: '%s' claims %d children but only %u elements follow",
                    self ? mypath : "(root)", nk, m->n_schema - *next);
    if (self && nk == 0) return fail(r, err, SL_EPARSE, -1, "Parquet schema: group '%s' has no columns", mypath);
    nd->n_kids = (uint32_t)nk;
    nd->kids = sl_arena_alloc(&r->meta_arena, (size_t)nk * sizeof *nd->kids);
    for (int32_t i = 0; i < nk; i++) {
        if (*next >= m->n_schema)
            return fail(r, err, SL_EPARSE, -1, "Parquet schema: '%s' claims more children than the schema holds",
                        self ? mypath : "(root)");
        uint32_t kid = (*next)++;
        nd->kids[i] = kid;
        int rc = schema_walk(r, kid, next, depth + 1, def, rep, mypath, err);
        if (rc) return rc;
    }
    return SL_OK;
}

static int build_schema(pq_reader *r, sl_error *err) {
    const sl_pq_file_meta *m = &r->meta;
    if (!m->n_schema) return fail(r, err, SL_EPARSE, -1, "corrupt Parquet footer: the schema is empty");
    r->nodes = sl_arena_calloc(&r->meta_arena, m->n_schema * sizeof *r->nodes);
    r->leaves = sl_arena_calloc(&r->meta_arena, m->n_schema * sizeof *r->leaves);
    uint32_t next = 1;
    int rc = schema_walk(r, 0, &next, 0, 0, 0, "", err);
    if (rc) return rc;
    if (next != m->n_schema)
        return fail(r, err, SL_EPARSE, -1, "Parquet schema: %u elements are not reachable from the root",
                    m->n_schema - next);
    return SL_OK;
}

static bool is_list_group(const sl_pq_schema_element *e) {
    return e->logical_type.kind == SL_PQ_LT_LIST || (e->has_converted_type && e->converted_type == SL_PQ_CT_LIST);
}

static bool is_map_group(const sl_pq_schema_element *e) {
    return e->logical_type.kind == SL_PQ_LT_MAP ||
           (e->has_converted_type &&
            (e->converted_type == SL_PQ_CT_MAP || e->converted_type == SL_PQ_CT_MAP_KEY_VALUE));
}

static bool repeated(const pq_node *n) { return n->el->has_repetition && n->el->repetition_type == SL_PQ_REPEATED; }

/* Build the output shape of schema node ni. as_element: ni is the repeated
 * node of a list, standing for one item (present whenever the entry is). */
static void build_rnode(pq_reader *r, uint32_t ni, rnode *rn, bool as_element, uint32_t *col_next, uint32_t *col_leaf) {
    const pq_node *nd = &r->nodes[ni];
    const sl_pq_schema_element *e = nd->el;
    memset(rn, 0, sizeof *rn);
    rn->id = r->n_rnodes++;
    rn->name = e->name;
    rn->name_len = e->name_len;
    rn->name_flags = sl_json_plain(e->name, e->name_len) ? SL_VF_JSON_PLAIN : 0;
    rn->def = nd->def;
    rn->optional = !as_element && e->has_repetition && e->repetition_type == SL_PQ_OPTIONAL;
    rn->first_col = *col_next;
    if (!as_element && repeated(nd)) { /* a bare repeated field: a list of required items */
        rn->kind = RN_LIST;
        rn->rep_def = nd->def;
        rn->rep_level = nd->rep;
        rn->n_kids = 1;
        rn->kids = sl_arena_alloc(&r->meta_arena, sizeof *rn->kids);
        build_rnode(r, ni, &rn->kids[0], true, col_next, col_leaf);
    } else if (nd->leaf >= 0) {
        rn->kind = RN_LEAF;
        col_leaf[(*col_next)++] = (uint32_t)nd->leaf;
    } else if (is_list_group(e) && nd->n_kids == 1 && repeated(&r->nodes[nd->kids[0]])) {
        uint32_t ri = nd->kids[0];
        const pq_node *rep = &r->nodes[ri];
        rn->kind = RN_LIST;
        rn->rep_def = rep->def;
        rn->rep_level = rep->rep;
        rn->n_kids = 1;
        rn->kids = sl_arena_alloc(&r->meta_arena, sizeof *rn->kids);
        /* Backward-compatibility rules of the LIST spec: the repeated node is
         * the element itself when it is a primitive, has several fields, or
         * is named "array" or "<list>_tuple". */
        char tuple[300];
        int tl = snprintf(tuple, sizeof tuple, "%.*s_tuple", (int)e->name_len, e->name);
        bool self_elem = rep->leaf >= 0 || rep->n_kids > 1 || name_is(rep->el, "array", 5) ||
                         (tl > 0 && (size_t)tl < sizeof tuple && name_is(rep->el, tuple, (size_t)tl));
        if (self_elem)
            build_rnode(r, ri, &rn->kids[0], true, col_next, col_leaf);
        else
            build_rnode(r, rep->kids[0], &rn->kids[0], false, col_next, col_leaf);
    } else if (is_map_group(e) && nd->n_kids == 1 && repeated(&r->nodes[nd->kids[0]]) &&
               r->nodes[nd->kids[0]].leaf < 0 && r->nodes[nd->kids[0]].n_kids <= 2) {
        const pq_node *kv = &r->nodes[nd->kids[0]];
        rn->kind = RN_MAP;
        rn->rep_def = kv->def;
        rn->rep_level = kv->rep;
        rn->n_kids = kv->n_kids;
        rn->kids = sl_arena_alloc(&r->meta_arena, kv->n_kids * sizeof *rn->kids);
        for (uint32_t i = 0; i < kv->n_kids; i++)
            build_rnode(r, kv->kids[i], &rn->kids[i], false, col_next, col_leaf);
    } else {
        rn->kind = RN_STRUCT;
        rn->n_kids = nd->n_kids;
        rn->kids = sl_arena_alloc(&r->meta_arena, nd->n_kids * sizeof *rn->kids);
        for (uint32_t i = 0; i < nd->n_kids; i++)
            build_rnode(r, nd->kids[i], &rn->kids[i], false, col_next, col_leaf);
    }
    rn->n_cols = *col_next - rn->first_col;
}

/* Top-level fields to read: the `columns` option's names in its order, or
 * every field of the file. */
static int build_projection(pq_reader *r, const sl_format_opts *o, sl_error *err) {
    const pq_node *root = &r->nodes[0];
    uint32_t *pick = sl_arena_alloc(&r->meta_arena, (root->n_kids + 1) * sizeof *pick);
    uint32_t n = 0;
    const sl_value *cols = o ? o->columns : NULL;
    if (!cols) {
        for (uint32_t i = 0; i < root->n_kids; i++)
            pick[n++] = root->kids[i];
    } else {
        if (cols->type != SL_T_LIST) return fail(r, err, SL_EINVAL, -1, "columns must be a list of column names");
        pick = sl_arena_alloc(&r->meta_arena, (cols->len + 1) * sizeof *pick);
        for (uint32_t j = 0; j < cols->len; j++) {
            const sl_value *c = &cols->u.items[j];
            if (c->type != SL_T_STRING) return fail(r, err, SL_EINVAL, -1, "columns must be a list of column names");
            uint32_t found = 0;
            for (uint32_t i = 0; i < root->n_kids && !found; i++)
                if (name_is(r->nodes[root->kids[i]].el, c->u.s, c->len)) found = root->kids[i];
            if (!found) {
                char names[300] = "";
                size_t w = 0;
                for (uint32_t i = 0; i < root->n_kids && w < sizeof names - 1; i++) {
                    const sl_pq_schema_element *e = r->nodes[root->kids[i]].el;
                    int k = snprintf(names + w, sizeof names - w, "%s%.*s", i ? ", " : "", (int)e->name_len, e->name);
                    if (k > 0) w += (size_t)k;
                }
                return fail(r, err, SL_EINVAL, -1, "column '%.*s' is not in this Parquet file (its columns: %s)",
                            (int)c->len, c->u.s, names);
            }
            for (uint32_t i = 0; i < n; i++)
                if (pick[i] == found)
                    return fail(r, err, SL_EINVAL, -1, "column '%.*s' is listed twice in columns", (int)c->len, c->u.s);
            pick[n++] = found;
        }
    }
    r->n_fields = n;
    r->fields = sl_arena_calloc(&r->meta_arena, (n + 1) * sizeof *r->fields);
    uint32_t *col_leaf = sl_arena_alloc(&r->meta_arena, (r->n_leaves + 1) * sizeof *col_leaf);
    uint32_t col_next = 0;
    for (uint32_t i = 0; i < n; i++)
        build_rnode(r, pick[i], &r->fields[i], false, &col_next, col_leaf);
    r->n_cols = col_next;
    r->cols = sl_xcalloc(col_next ? col_next : 1, sizeof *r->cols);
    for (uint32_t j = 0; j < col_next; j++) {
        pq_col *c = &r->cols[j];
        c->leaf_index = col_leaf[j];
        c->leaf = &r->leaves[col_leaf[j]];
        sl_arena_init(&c->dict_arena);
        sl_arena_init(&c->scratch);
    }
    r->bnames = sl_xcalloc(r->n_rnodes + 1, sizeof *r->bnames);
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* Row-group skipping                                                        */
/* ------------------------------------------------------------------------ */

/* The leaf a predicate path names: a top-level column or a.b.c through
 * plain structs, without repetition. -1 when there is none. */
static int32_t path_leaf(const pq_reader *r, const expr_node *p) {
    if (p->kind != EXPR_PATH || p->n != 0 || !p->nsegs) return -1;
    uint32_t ni = 0;
    for (uint32_t s = 0; s < p->nsegs; s++) {
        const expr_seg *seg = &p->segs[s];
        const pq_node *nd = &r->nodes[ni];
        if (!seg->name || nd->leaf >= 0 || (ni && (is_list_group(nd->el) || is_map_group(nd->el)))) return -1;
        uint32_t found = 0;
        for (uint32_t i = 0; i < nd->n_kids && !found; i++)
            if (name_is(r->nodes[nd->kids[i]].el, seg->name, seg->name_len)) found = nd->kids[i];
        if (!found) return -1;
        ni = found;
    }
    const pq_node *nd = &r->nodes[ni];
    if (nd->leaf < 0 || r->leaves[nd->leaf].max_rep) return -1;
    return nd->leaf;
}

/* One statistics value (PLAIN bytes without a length prefix) as the value
 * records of this leaf would hold. Returns 0 or -1 (unusable). */
static int stat_value(pq_reader *r, const pq_leaf *lf, const uint8_t *p, uint32_t len, sl_value *out) {
    switch (lf->type) {
    case SL_PQ_BOOLEAN:
        if (len < 1) return -1;
        *out = sl_bool(p[0] & 1);
        break;
    case SL_PQ_INT32:
        if (len != 4) return -1;
        *out = sl_int((int32_t)le32(p));
        break;
    case SL_PQ_INT64:
        if (len != 8) return -1;
        *out = sl_int((int64_t)le64(p));
        break;
    case SL_PQ_FLOAT: {
        float f;
        if (len != 4) return -1;
        memcpy(&f, p, 4);
        if (isnan(f)) return -1;
        *out = sl_double(f);
        break;
    }
    case SL_PQ_DOUBLE: {
        double d;
        if (len != 8) return -1;
        memcpy(&d, p, 8);
        if (isnan(d)) return -1;
        *out = sl_double(d);
        break;
    }
    case SL_PQ_BYTE_ARRAY: *out = sl_binary(p, len); break;
    case SL_PQ_FIXED_LEN_BYTE_ARRAY:
        if (len != (uint32_t)lf->type_length) return -1;
        *out = sl_binary(p, len);
        break;
    default: return -1;
    }
    if (lf->cv == CV_INTERVAL) return -1;
    convert_value(lf->cv, lf->scale, out, &r->scratch);
    return out->type == SL_T_NULL ? -1 : 0;
}

typedef struct col_stats {
    bool has_minmax;
    sl_value min, max;
    int64_t nulls;  /* -1 unknown */
    int64_t values; /* entries in the chunk */
} col_stats;

static void get_stats(pq_reader *r, const sl_pq_row_group *rg, int32_t li, col_stats *st) {
    memset(st, 0, sizeof *st);
    st->nulls = -1;
    if ((uint32_t)li >= rg->n_columns) return;
    const sl_pq_column_chunk *ch = &rg->columns[li];
    if (!ch->has_meta_data || !ch->meta_data.has_statistics) return;
    const pq_leaf *lf = &r->leaves[li];
    const sl_pq_statistics *s = &ch->meta_data.statistics;
    st->values = ch->meta_data.num_values;
    if (s->has_null_count) st->nulls = s->null_count;
    if (s->has_min_value && s->has_max_value) {
        st->has_minmax = !stat_value(r, lf, s->min_value, s->min_value_len, &st->min) &&
                         !stat_value(r, lf, s->max_value, s->max_value_len, &st->max);
    } else if (s->has_min && s->has_max) {
        /* the deprecated fields are in signed order: usable for signed numbers only */
        bool signed_order = (lf->type == SL_PQ_INT32 || lf->type == SL_PQ_INT64 || lf->type == SL_PQ_FLOAT ||
                             lf->type == SL_PQ_DOUBLE || lf->type == SL_PQ_BOOLEAN) &&
                            lf->cv != CV_UINT32 && lf->cv != CV_UINT64;
        st->has_minmax = signed_order && !stat_value(r, lf, s->min, s->min_len, &st->min) &&
                         !stat_value(r, lf, s->max, s->max_len, &st->max);
    }
}

/* Is lit comparable with the column's values in an order its min/max
 * respect? Strings compare bytewise, so only with string literals. */
static bool order_compatible(const sl_value *colv, const sl_value *lit) {
    bool col_bytes = colv->type == SL_T_STRING || colv->type == SL_T_BINARY;
    bool lit_bytes = lit->type == SL_T_STRING || lit->type == SL_T_BINARY;
    return lit->type != SL_T_NULL && (!col_bytes || lit_bytes);
}

/* Compare literal with the column's min and max: *lo = cmp(lit, min),
 * *hi = cmp(lit, max). false when they do not compare. */
static bool cmp_minmax(pq_reader *r, const col_stats *st, const sl_value *lit, int *lo, int *hi) {
    if (!st->has_minmax || !order_compatible(&st->min, lit)) return false;
    return sl_expr_compare(lit, &st->min, &r->scratch, lo) && sl_expr_compare(lit, &st->max, &r->scratch, hi);
}

static bool all_null(const col_stats *st) { return st->nulls >= 0 && st->values > 0 && st->nulls >= st->values; }

/* true when no row of the row group can make expression e true (so the
 * row group can be skipped); false when some row might. */
static bool never_true(pq_reader *r, const sl_pq_row_group *rg, const expr_node *e) {
    col_stats st;
    int lo, hi;
    switch ((expr_kind)e->kind) {
    case EXPR_AND:
        for (uint32_t i = 0; i < e->n; i++)
            if (never_true(r, rg, e->kids[i])) return true;
        return false;
    case EXPR_OR:
        for (uint32_t i = 0; i < e->n; i++)
            if (!never_true(r, rg, e->kids[i])) return false;
        return e->n > 0;
    case EXPR_EQ:
    case EXPR_NE:
    case EXPR_LT:
    case EXPR_LE:
    case EXPR_GT:
    case EXPR_GE: {
        if (e->n != 2) return false;
        int kind = e->kind;
        const expr_node *col = e->kids[0], *lit = e->kids[1];
        if (col->kind == EXPR_LIT) { /* literal op column: flip */
            const expr_node *t = col;
            col = lit;
            lit = t;
            kind = kind == EXPR_LT   ? EXPR_GT
                   : kind == EXPR_GT ? EXPR_LT
                   : kind == EXPR_LE ? EXPR_GE
                   : kind == EXPR_GE ? EXPR_LE
                                     : kind;
        }
        int32_t li = path_leaf(r, col);
        if (li < 0 || lit->kind != EXPR_LIT) return false;
        get_stats(r, rg, li, &st);
        if (all_null(&st)) return true; /* a comparison with null is never true */
        if (!cmp_minmax(r, &st, &lit->lit, &lo, &hi)) return false;
        switch (kind) {
        case EXPR_EQ: return lo < 0 || hi > 0;
        case EXPR_NE: return lo == 0 && hi == 0;
        case EXPR_LT: return lo <= 0; /* col < lit impossible when lit <= min */
        case EXPR_LE: return lo < 0;
        case EXPR_GT: return hi >= 0; /* col > lit impossible when lit >= max */
        case EXPR_GE: return hi > 0;
        }
        return false;
    }
    case EXPR_BETWEEN: {
        if (e->negate || e->n != 3 || e->kids[1]->kind != EXPR_LIT || e->kids[2]->kind != EXPR_LIT) return false;
        int32_t li = path_leaf(r, e->kids[0]);
        if (li < 0) return false;
        get_stats(r, rg, li, &st);
        if (all_null(&st)) return true;
        int lo2, hi2;
        if (!cmp_minmax(r, &st, &e->kids[1]->lit, &lo, &hi) || !cmp_minmax(r, &st, &e->kids[2]->lit, &lo2, &hi2))
            return false;
        return hi > 0 || lo2 < 0; /* low bound above max, or high bound below min */
    }
    case EXPR_IN: {
        if (e->negate || e->n < 2) return false;
        int32_t li = path_leaf(r, e->kids[0]);
        if (li < 0) return false;
        get_stats(r, rg, li, &st);
        if (all_null(&st)) return true;
        for (uint32_t i = 1; i < e->n; i++) {
            if (e->kids[i]->kind != EXPR_LIT || !cmp_minmax(r, &st, &e->kids[i]->lit, &lo, &hi)) return false;
            if (lo >= 0 && hi <= 0) return false;
        }
        return true;
    }
    case EXPR_IS_NULL: {
        int32_t li = path_leaf(r, e->kids[0]);
        if (li < 0) return false;
        get_stats(r, rg, li, &st);
        if (!e->negate) return st.nulls == 0;
        return all_null(&st);
    }
    default: return false;
    }
}

/* ------------------------------------------------------------------------ */
/* Row groups                                                                */
/* ------------------------------------------------------------------------ */

typedef struct range {
    uint64_t start, end;
    uint32_t col;
} range;

static int range_cmp(const void *a, const void *b) {
    const range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void free_bufs(pq_reader *r) {
    for (uint32_t i = 0; i < r->n_bufs; i++)
        free(r->bufs[i]);
    r->n_bufs = 0;
}

/* Fetch the projected column chunks of row group g and reset the column
 * readers onto them. */
static int load_row_group(pq_reader *r, uint32_t g, sl_error *err) {
    const sl_pq_row_group *rg = &r->meta.row_groups[g];
    free_bufs(r);
    r->cur_rg = g;
    if (rg->num_rows < 0)
        return fail(r, err, SL_EPARSE, -1, "corrupt Parquet footer: row group %u has %lld rows", g,
                    (long long)rg->num_rows);
    if (rg->n_columns != r->n_leaves)
        return fail(r, err, SL_EPARSE, -1, "corrupt Parquet footer: row group %u has %u columns, the schema %u", g,
                    rg->n_columns, r->n_leaves);
    range *rs = sl_xmalloc((r->n_cols + 1) * sizeof *rs);
    int rc = SL_OK;
    for (uint32_t j = 0; j < r->n_cols; j++) {
        pq_col *c = &r->cols[j];
        const sl_pq_column_chunk *ch = &rg->columns[c->leaf_index];
        const sl_pq_column_meta *m = &ch->meta_data;
        c->page_off = 0;
        if (ch->file_path) {
            rc = col_fail(r, c, err, "the column chunk is in another file ('%.*s'), which is not supported",
                          (int)ch->file_path_len, ch->file_path);
            goto out;
        }
        if (!ch->has_meta_data) {
            rc = col_fail(r, c, err, "the column chunk has no metadata (encrypted files are not supported)");
            goto out;
        }
        if (m->type != c->leaf->type) {
            rc = col_fail(r, c, err, "the column chunk's type %s differs from the schema's %s", type_name(m->type),
                          type_name(c->leaf->type));
            goto out;
        }
        if (!codec_supported(m->codec)) {
            rc = col_fail(r, c, err, "compression codec %s is not supported", codec_name(m->codec));
            goto out;
        }
        int64_t start = m->data_page_offset;
        if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < start)
            start = m->dictionary_page_offset;
        int64_t len = m->total_compressed_size;
        if (start < 4 || len < 0 || (uint64_t)start > r->data_end || (uint64_t)len > r->data_end - (uint64_t)start) {
            rc = fail(r, err, SL_EPARSE, start,
                      "corrupt Parquet footer: column '%s' of row group %u lies at bytes %lld..%lld, outside the "
                      "file's data (bytes 4..%llu)",
                      c->leaf->path, g, (long long)start, (long long)(start + (len > 0 ? len : 0)),
                      (unsigned long long)r->data_end);
            goto out;
        }
        rs[j].start = (uint64_t)start;
        rs[j].end = (uint64_t)start + (uint64_t)len;
        rs[j].col = j;
        c->codec = m->codec;
        c->chunk_off = (uint64_t)start;
        c->chunk_len = (size_t)len;
        c->pos = 0;
        c->page_left = 0;
        c->lv_n = c->lv_pos = c->v_pos = 0;
        c->has_dict = false;
        c->dict_n = 0;
        c->enc = ENC_NONE;
    }
    qsort(rs, r->n_cols, sizeof *rs, range_cmp);
    /* one request per run of nearby chunks on S3 (requests cost more than bytes); exact ranges locally */
    uint64_t gap = r->store && sl_store_is_remote(r->name) ? MERGE_GAP : 0;
    r->bufs = sl_xrealloc(r->bufs, (r->n_cols + 1) * sizeof *r->bufs);
    for (uint32_t i = 0; i < r->n_cols;) {
        uint64_t s = rs[i].start, e = rs[i].end;
        uint32_t j = i + 1;
        while (j < r->n_cols && rs[j].start <= e + gap) {
            if (rs[j].end > e) e = rs[j].end;
            j++;
        }
        uint8_t *buf = sl_xmalloc(e - s ? (size_t)(e - s) : 1);
        r->bufs[r->n_bufs++] = buf;
        if ((rc = fetch(r, s, e - s, buf, err)) != 0) goto out;
        for (uint32_t k = i; k < j; k++)
            r->cols[rs[k].col].chunk = buf + (rs[k].start - s);
        i = j;
    }
    r->rows_left = rg->num_rows;
    r->stats.row_groups_read++;
out:
    free(rs);
    return rc;
}

/* The byte offset that places row group g in exactly one range of the
 * object: the middle of its column chunks (as Spark and parquet-mr split
 * files), kept inside the object. */
static uint64_t row_group_middle(const pq_reader *r, const sl_pq_row_group *rg) {
    uint64_t start = UINT64_MAX, bytes = 0;
    for (uint32_t i = 0; i < rg->n_columns; i++) {
        const sl_pq_column_meta *m = &rg->columns[i].meta_data;
        if (!rg->columns[i].has_meta_data) continue;
        int64_t s = m->data_page_offset;
        if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 && m->dictionary_page_offset < s)
            s = m->dictionary_page_offset;
        if (s >= 0 && (uint64_t)s < start) start = (uint64_t)s;
        if (m->total_compressed_size > 0) bytes += (uint64_t)m->total_compressed_size;
    }
    if (start == UINT64_MAX) start = 0;
    uint64_t mid = start + bytes / 2;
    return mid < start || mid >= r->size ? (r->size ? r->size - 1 : 0) : mid;
}

/* Move to the next row group of the range that the predicate does not rule
 * out. Returns 1, 0 when none is left, or an error. */
static int next_row_group(pq_reader *r, sl_error *err) {
    while (r->next_rg < r->meta.n_row_groups) {
        uint32_t g = r->next_rg++;
        const sl_pq_row_group *rg = &r->meta.row_groups[g];
        if (r->range_start || r->range_end < r->size) {
            uint64_t mid = row_group_middle(r, rg);
            if (mid < r->range_start || mid >= r->range_end) {
                r->row_number += rg->num_rows > 0 ? (uint64_t)rg->num_rows : 0;
                continue;
            }
        }
        r->stats.row_groups_in_range++;
        if (r->pred) {
            sl_arena_reset(&r->scratch);
            bool skip = never_true(r, rg, r->pred->root);
            if (skip) {
                r->stats.row_groups_skipped++;
                r->row_number += rg->num_rows > 0 ? (uint64_t)rg->num_rows : 0;
                continue;
            }
        }
        int rc = load_row_group(r, g, err);
        return rc ? rc : 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                   */
/* ------------------------------------------------------------------------ */

/* Footer: the last 64 KiB first (usually the whole footer), then the rest
 * of a longer one. */
static int read_footer(pq_reader *r, sl_error *err) {
    if (r->size < 12)
        return fail(r, err, SL_EPARSE, -1, "not a Parquet file: %llu bytes is too short for one (at least 12)",
                    (unsigned long long)r->size);
    uint64_t tail_len = r->size < TAIL_BYTES ? r->size : TAIL_BYTES;
    uint8_t *tail = sl_xmalloc((size_t)tail_len);
    int rc = fetch(r, r->size - tail_len, tail_len, tail, err);
    if (rc) {
        free(tail);
        return rc;
    }
    r->tail = tail;
    r->tail_off = r->size - tail_len;
    r->tail_len = tail_len;
    const uint8_t *magic = tail + tail_len - 4;
    if (memcmp(magic, "PAR1", 4)) {
        if (!memcmp(magic, "PARE", 4)) return fail(r, err, SL_EPARSE, -1, "encrypted Parquet files are not supported");
        return fail(r, err, SL_EPARSE, (int64_t)r->size - 4,
                    "not a Parquet file, or a truncated one: it does not end with the PAR1 magic bytes");
    }
    uint64_t flen = le32(tail + tail_len - 8);
    if (flen > r->size - 12 || flen > MAX_FOOTER)
        return fail(r, err, SL_EPARSE, (int64_t)r->size - 8,
                    "truncated or corrupt Parquet file: its footer length (%llu bytes) does not fit the file (%llu "
                    "bytes)",
                    (unsigned long long)flen, (unsigned long long)r->size);
    r->data_end = r->size - 8 - flen;
    const uint8_t *footer;
    if (flen + 8 <= tail_len) {
        footer = tail + tail_len - 8 - flen;
    } else {
        r->footer_buf = sl_xmalloc((size_t)flen);
        if ((rc = fetch(r, r->data_end, flen, r->footer_buf, err)) != 0) return rc;
        footer = r->footer_buf;
    }
    sl_error e;
    sl_error_clear(&e);
    if (sl_pq_file_meta_decode(footer, (size_t)flen, &r->meta_arena, &r->meta, &e))
        return fail(r, err, SL_EPARSE, (int64_t)r->data_end, "corrupt Parquet footer: %s", e.message);
    return SL_OK;
}

static int compile_predicate(pq_reader *r, const sl_format_opts *o, sl_error *err) {
    if (!o || !o->predicate || !o->predicate[0]) return SL_OK;
    sl_error e;
    sl_error_clear(&e);
    if (sl_expr_compile(o->predicate, &r->pred, &e)) return fail(r, err, SL_EINVAL, -1, "predicate: %s", e.message);
    return SL_OK;
}

static int open_common(pq_reader *r, const sl_format_opts *o, void **dec, sl_error *err) {
    sl_arena_init(&r->meta_arena);
    sl_arena_init(&r->scratch);
    int rc = read_footer(r, err);
    if (!rc) rc = build_schema(r, err);
    if (!rc) rc = build_projection(r, o, err);
    if (!rc) rc = compile_predicate(r, o, err);
    if (!rc) {
        for (uint32_t g = 0; g < r->meta.n_row_groups; g++)
            if (r->meta.row_groups[g].num_rows < 0)
                rc = fail(r, err, SL_EPARSE, -1, "corrupt Parquet footer: row group %u has a negative row count", g);
    }
    if (rc) {
        sl_parquet_object_close(r);
        *dec = NULL;
        return rc;
    }
    if (r->range_end > r->size) r->range_end = r->size;
    r->stats.row_groups = r->meta.n_row_groups;
    r->stats.rows = (uint64_t)(r->meta.num_rows > 0 ? r->meta.num_rows : 0);
    r->stats.columns_read = r->n_cols;
    *dec = r;
    return SL_OK;
}

int sl_parquet_object_open(sl_store *store, const char *url, uint64_t size, const sl_format_opts *o, void **dec,
                           sl_error *err) {
    return sl_parquet_object_open_range(store, url, size, 0, UINT64_MAX, o, dec, err);
}

int sl_parquet_object_open_range(sl_store *store, const char *url, uint64_t size, uint64_t offset, uint64_t length,
                                 const sl_format_opts *o, void **dec, sl_error *err) {
    pq_reader *r = sl_xcalloc(1, sizeof *r);
    r->name = sl_xstrdup(url);
    r->store = store;
    r->size = size;
    r->range_start = offset;
    r->range_end = length > UINT64_MAX - offset ? UINT64_MAX : offset + length;
    if (size == UINT64_MAX) {
        sl_store_entry st;
        int rc = sl_store_stat(store, url, &st, err);
        if (rc) {
            free(r->name);
            free(r);
            return rc;
        }
        r->size = st.size;
        free(st.url);
    }
    return open_common(r, o, dec, err);
}

int sl_parquet_mem_open(const void *data, size_t len, const char *name, const sl_format_opts *o, void **dec,
                        sl_error *err) {
    pq_reader *r = sl_xcalloc(1, sizeof *r);
    r->name = sl_xstrdup(name ? name : "(memory)");
    r->mem = data ? data : (const uint8_t *)"";
    r->size = len;
    r->range_end = UINT64_MAX;
    return open_common(r, o, dec, err);
}

/* Copy the names of n and the nodes below it into the batch arena. */
static void copy_names(pq_reader *r, const rnode *n, sl_arena *a) {
    r->bnames[n->id] = n->name_len ? sl_arena_strndup(a, n->name, n->name_len) : "";
    for (uint32_t i = 0; i < n->n_kids; i++)
        copy_names(r, &n->kids[i], a);
}

int sl_parquet_object_next(void *dec, sl_decode_ctx *ctx, sl_error *err) {
    pq_reader *r = dec;
    sl_batch *b = ctx->batch;
    size_t max = ctx->max_records ? ctx->max_records : SL_BATCH_DEFAULT_RECORDS;
    size_t before = b->count;
    bool named = false;
    while (b->count < max) {
        if (r->rows_left <= 0) {
            int rc = next_row_group(r, err);
            b->bytes_in += r->fetched;
            r->fetched = 0;
            if (rc < 0) return rc;
            if (rc == 0) break;
            continue;
        }
        if (!named) { /* field names live in the batch arena, like the values */
            for (uint32_t i = 0; i < r->n_fields; i++)
                copy_names(r, &r->fields[i], &b->arena);
            named = true;
        }
        size_t n = max - b->count;
        if ((uint64_t)r->rows_left < n) n = (size_t)r->rows_left;
        int rc = read_rows(r, b, n, err);
        if (rc) return rc;
        r->rows_left -= (int64_t)n;
        r->row_number += n;
        r->stats.rows_read += n;
    }
    return b->count > before ? 1 : 0;
}

void sl_parquet_object_close(void *dec) {
    pq_reader *r = dec;
    if (!r) return;
    free_bufs(r);
    free(r->bufs);
    for (uint32_t j = 0; r->cols && j < r->n_cols; j++) {
        pq_col *c = &r->cols[j];
        free(c->dict);
        free(c->dict_buf);
        free(c->page_buf);
        free(c->prev);
        sl_arena_free(&c->dict_arena);
        sl_arena_free(&c->scratch);
    }
    free(r->cols);
    free(r->bnames);
    free(r->stack);
    sl_expr_free(r->pred);
    if (r->gz) libdeflate_free_decompressor(r->gz);
    ZSTD_freeDCtx(r->zs);
    sl_arena_free(&r->scratch);
    sl_arena_free(&r->meta_arena);
    free(r->footer_buf);
    free(r->tail);
    free(r->name);
    free(r);
}

void sl_parquet_read_stats_get(const void *dec, sl_parquet_read_stats *out) {
    const pq_reader *r = dec;
    *out = r->stats;
}
