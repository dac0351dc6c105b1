/*
 * json_read.c — JSON reader: sl_json_parse (one value) and sl_json_decode
 * (streaming records for the file source).
 *
 * One recursive-descent pass over the bytes. Container children are
 * collected on a scratch stack (inline in the decoder, spilled to the arena
 * only for very wide values) and copied into the arena once the container
 * closes, so each container costs one arena allocation and nothing is
 * malloc'd per value. Strings are scanned 16 bytes at a time (json_int.h);
 * strings without escapes are not copied. Numbers take an exact fast path
 * (Clinger) and fall back to strtod for long or extreme ones.
 *
 * The streaming decoder keeps each object key it meets once, in the decoder
 * (sl_json_names): field names point at that copy, so the transforms and
 * writers that compare names read a few hot cache lines instead of the
 * input, which has long left the cache by then. Keys are predicted: each
 * kept key remembers the key that followed it, and the first key of the
 * object that was its value, last time. A key whose input bytes equal the
 * prediction's text (and a closing quote) is taken without scanning it;
 * any other key is scanned as usual and looked up by hash, and the
 * prediction updated.
 *
 * Parsing functions return the position after what they parsed, or NULL with
 * the failure in the parser: either a syntax error (err_msg, err_pos) or,
 * when the input may continue (streaming, not at EOF), "incomplete".
 *
 * strtod is used with the process locale; sluice never changes LC_NUMERIC
 * from "C".
 */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "formats/json.h"
#include "formats/json_int.h"

/* clang-format off */
const unsigned char sl_json_stop_byte[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
/* clang-format on */

/* Decoder states: where the next byte sits relative to a top-level array. */
enum { ST_TOP, ST_ARRAY_FIRST, ST_ARRAY_NEXT, ST_ARRAY_ELEM };

typedef struct parser {
    const char *end;
    sl_json_names *names; /* the decoder's kept keys; NULL for one-shot parses */
    bool final; /* the end of the buffer is the end of the input */
    sl_arena *arena;
    sl_value *vals; /* scratch stack of array items */
    size_t n_vals, cap_vals;
    sl_field *fields; /* scratch stack of object members */
    size_t n_fields, cap_fields;
    uint64_t newlines;   /* newlines crossed since the counter was cleared */
    const char *err_pos; /* failure position */
    const char *err_msg; /* static text */
    bool incomplete;     /* failure was running out of input (not final) */
} parser;

static void parser_init(parser *P, const char *end, bool final, sl_arena *a, sl_value *vals, size_t cap_vals,
                        sl_field *fields, size_t cap_fields) {
    memset(P, 0, sizeof *P);
    P->end = end;
    P->final = final;
    P->arena = a;
    P->vals = vals;
    P->cap_vals = cap_vals;
    P->fields = fields;
    P->cap_fields = cap_fields;
}

static const char *fail(parser *P, const char *pos, const char *msg) {
    P->err_pos = pos;
    P->err_msg = msg;
    P->incomplete = false;
    return NULL;
}

/* Out of input at pos: incomplete while streaming, else an error. */
static const char *need_more(parser *P, const char *pos, const char *msg_at_eof) {
    if (P->final) return fail(P, pos, msg_at_eof);
    P->err_pos = pos;
    P->err_msg = "incomplete";
    P->incomplete = true;
    return NULL;
}

/* Inline bump allocation from the arena (falls back to sl_arena_alloc). */
static inline void *arena_take(sl_arena *a, size_t size) {
    size = (size + 7u) & ~(size_t)7u;
    if (a->cursor && (size_t)(a->limit - a->cursor) >= size) {
        void *p = a->cursor;
        a->cursor += size;
        a->bytes_used += size;
        return p;
    }
    return sl_arena_alloc(a, size);
}

static inline const char *skip_ws(parser *P, const char *p) {
    const char *end = P->end;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c > ' ') return p;
        if (c == '\n') {
            P->newlines++;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return p;
        }
        p++;
    }
    return p;
}

/* Values are written and copied as two 8-byte words (header, payload):
 * building one field by field and then copying it whole would make the CPU
 * wait for the narrow stores to retire (failed store-to-load forwarding),
 * which costs more than the rest of parsing a small value. */
_Static_assert(sizeof(sl_value) == 16 && offsetof(sl_value, len) == 4 && offsetof(sl_value, u) == 8, "sl_value layout");

static inline void put_value(sl_value *out, unsigned type, unsigned flags, uint32_t len, uint64_t payload) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t header = (uint64_t)type | (uint64_t)flags << 8 | (uint64_t)len << 32;
#if defined(__GNUC__)
    __asm__("" : "+r"(header), "+r"(payload)); /* two 8-byte stores, see copy_value */
#endif
    memcpy(out, &header, 8);
#else
    out->type = (uint8_t)type;
    out->flags = (uint8_t)flags;
    out->pad_ = 0;
    out->len = len;
#endif
    memcpy(&out->u, &payload, 8);
}

static inline uint64_t ptr_bits(const void *p) { return (uint64_t)(uintptr_t)p; }

static inline uint64_t double_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static inline void copy_value(sl_value *dst, const sl_value *src) {
    uint64_t a, b;
    memcpy(&a, src, 8);
    memcpy(&b, (const char *)src + 8, 8);
#if defined(__GNUC__)
    /* keep the words in general registers: the compiler would otherwise
     * merge them into one 16-byte load, which cannot be forwarded */
    __asm__("" : "+r"(a), "+r"(b));
#endif
    memcpy(dst, &a, 8);
    memcpy((char *)dst + 8, &b, 8);
}

/* ---- scratch stacks ---- */

static void grow_vals(parser *P) {
    size_t cap = P->cap_vals * 2;
    sl_value *v = sl_arena_alloc(P->arena, cap * sizeof *v);
    memcpy(v, P->vals, P->n_vals * sizeof *v);
    P->vals = v;
    P->cap_vals = cap;
}

static void grow_fields(parser *P) {
    size_t cap = P->cap_fields * 2;
    sl_field *f = sl_arena_alloc(P->arena, cap * sizeof *f);
    memcpy(f, P->fields, P->n_fields * sizeof *f);
    P->fields = f;
    P->cap_fields = cap;
}

/* ---- strings ---- */

static const char *utf8_fail(parser *P, const char *q, int kind) {
    switch (kind) {
    case SL_UTF8_OVERLONG: return fail(P, q, "invalid UTF-8 in string: overlong encoding");
    case SL_UTF8_SURROGATE: return fail(P, q, "invalid UTF-8 in string: encoded UTF-16 surrogate");
    case SL_UTF8_TOO_BIG: return fail(P, q, "invalid UTF-8 in string: code point above U+10FFFF");
    case SL_UTF8_BAD_CONT: return fail(P, q, "invalid UTF-8 in string: truncated multi-byte sequence");
    case SL_UTF8_TRUNCATED: return need_more(P, q, "unterminated string");
    default: return fail(P, q, "invalid UTF-8 in string: unexpected byte");
    }
}

static int hex_digit(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Reads the 4 hex digits at h (h + 4 <= end); -1 if any is not hex. */
static long hex4(const char *h) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit((unsigned char)h[i]);
        if (d < 0) return -1;
        v = v << 4 | d;
    }
    return v;
}

/* Validates the escape at q (q[0] == '\\'). Returns the position after it,
 * sets *cp to the code point (surrogate pairs combined). */
static const char *check_escape(parser *P, const char *q, unsigned long *cp) {
    const char *end = P->end;
    if (end - q < 2) return need_more(P, q, "unterminated string");
    switch (q[1]) {
    case '"': *cp = '"'; return q + 2;
    case '\\': *cp = '\\'; return q + 2;
    case '/': *cp = '/'; return q + 2;
    case 'b': *cp = '\b'; return q + 2;
    case 'f': *cp = '\f'; return q + 2;
    case 'n': *cp = '\n'; return q + 2;
    case 'r': *cp = '\r'; return q + 2;
    case 't': *cp = '\t'; return q + 2;
    case 'u': break;
    default: return fail(P, q, "invalid escape in string (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
    }
    for (const char *h = q + 2; h < q + 6; h++) {
        if (h == end) return need_more(P, q, "unterminated string");
        if (hex_digit((unsigned char)*h) < 0) return fail(P, h, "expected 4 hex digits after \\u");
    }
    unsigned long u = (unsigned long)hex4(q + 2);
    if (u >= 0xDC00 && u <= 0xDFFF) return fail(P, q, "lone UTF-16 low surrogate in \\u escape");
    if (u < 0xD800 || u > 0xDBFF) {
        *cp = u;
        return q + 6;
    }
    /* high surrogate: a low surrogate escape must follow */
    const char *r = q + 6;
    for (int i = 0; i < 6; i++) {
        if (r + i == end) return need_more(P, q, "unterminated string");
        char c = r[i];
        bool ok = i == 0 ? c == '\\' : i == 1 ? c == 'u' : hex_digit((unsigned char)c) >= 0;
        if (!ok) return fail(P, q, "UTF-16 high surrogate in \\u escape not followed by a low surrogate escape");
    }
    unsigned long lo = (unsigned long)hex4(r + 2);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail(P, q, "UTF-16 high surrogate in \\u escape not followed by a low surrogate escape");
    *cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    return q + 12;
}

static char *put_utf8(char *w, unsigned long cp) {
    if (cp < 0x80) {
        *w++ = (char)cp;
    } else if (cp < 0x800) {
        *w++ = (char)(0xC0 | cp >> 6);
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xE0 | cp >> 12);
        *w++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (char)(0xF0 | cp >> 18);
        *w++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *w++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    }
    return w;
}

/* String with escapes: q is the first backslash after start (the byte after
 * the opening quote). Validates up to the closing quote, then decodes into
 * the arena (the decoded text is never longer than the escaped text). */
static const char *parse_string_escaped(parser *P, const char *start, const char *q, const char **s, uint32_t *len,
                                        unsigned *flags) {
    const char *end = P->end;
    bool plain = true;
    unsigned long cp;
    for (;;) {
        q = sl_json_scan(q, end);
        if (q == end) return need_more(P, q, "unterminated string");
        unsigned char c = (unsigned char)*q;
        if (c == '"') break;
        if (c == '\\') {
            q = check_escape(P, q, &cp);
            if (!q) return NULL;
            if (cp < 0x20 || cp == '"' || cp == '\\') plain = false;
        } else if (c >= 0x80) {
            int n = sl_json_utf8_seq(q, end);
            if (n < 0) return utf8_fail(P, q, n);
            q += n;
        } else {
            return fail(P, q, "control character in string (must be escaped)");
        }
    }
    const char *close = q;
    if ((size_t)(close - start) > UINT32_MAX) return fail(P, start, "string longer than 4 GiB");
    char *out = arena_take(P->arena, (size_t)(close - start));
    char *w = out;
    const char *r = start;
    while (r < close) {
        const char *bs = memchr(r, '\\', (size_t)(close - r));
        if (!bs) bs = close;
        memcpy(w, r, (size_t)(bs - r));
        w += bs - r;
        if (bs == close) break;
        r = check_escape(P, bs, &cp); /* already validated: cannot fail */
        w = put_utf8(w, cp);
    }
    *s = out;
    *len = (uint32_t)(w - out);
    *flags = plain ? SL_VF_JSON_PLAIN | SL_VF_UTF8 : SL_VF_UTF8;
    return close + 1;
}

/* p[0] == '"'. Sets *s, *len (pointing into the input when there are no
 * escapes) and *flags; returns the position after the closing quote. */
static inline const char *parse_string(parser *P, const char *p, const char **s, uint32_t *len, unsigned *flags) {
    const char *start = p + 1, *q = start, *end = P->end;
    for (;;) {
        q = sl_json_scan(q, end);
        if (q == end) return need_more(P, q, "unterminated string");
        unsigned char c = (unsigned char)*q;
        if (c == '"') break;
        if (c >= 0x80) {
            int n = sl_json_utf8_seq(q, end);
            if (n < 0) return utf8_fail(P, q, n);
            q += n;
            continue;
        }
        if (c == '\\') return parse_string_escaped(P, start, q, s, len, flags);
        return fail(P, q, "control character in string (must be escaped)");
    }
    if ((size_t)(q - start) > UINT32_MAX) return fail(P, start, "string longer than 4 GiB");
    *s = start;
    *len = (uint32_t)(q - start);
    *flags = SL_VF_JSON_PLAIN | SL_VF_UTF8;
    return q + 1;
}

/* ---- numbers ---- */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static inline bool is_digit(char c) { return (unsigned char)(c - '0') < 10; }

static double strtod_copy(const char *s, size_t n) {
    char local[128];
    char *tmp = n < sizeof local ? local : sl_xmalloc(n + 1);
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double d = strtod(tmp, NULL);
    if (tmp != local) free(tmp);
    return d;
}

/* p[0] is '-' or a digit. */
static const char *parse_number(parser *P, const char *p, sl_value *out) {
    const char *start = p, *end = P->end;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        if (++p == end) return need_more(P, p, "unexpected end of input in number");
    }
    uint64_t mant = 0;
    int nsig = 0;           /* significant digits in mant */
    bool truncated = false; /* more than 19 significant digits */
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p)) return fail(P, p, "leading zeros are not allowed in numbers");
    } else if (is_digit(*p)) {
        const char *digits = p;
        do {
            mant = mant * 10 + (uint64_t)(*p - '0');
            p++;
        } while (p < end && is_digit(*p));
        nsig = (int)(p - digits);
        if (nsig > 19) truncated = true;
    } else {
        return fail(P, p, "expected a digit");
    }
    bool is_int = true;
    int nfrac = 0;
    if (p < end && *p == '.') {
        is_int = false;
        p++;
        if (p == end) return need_more(P, p, "unexpected end of input in number");
        if (!is_digit(*p)) return fail(P, p, "expected a digit after the decimal point");
        do {
            if (nsig < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                nfrac++;
                if (mant) nsig++;
            } else {
                truncated = true;
            }
            p++;
        } while (p < end && is_digit(*p));
    }
    long exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_int = false;
        p++;
        bool exp_neg = false;
        if (p < end && (*p == '+' || *p == '-')) exp_neg = *p++ == '-';
        if (p == end) return need_more(P, p, "unexpected end of input in number");
        if (!is_digit(*p)) return fail(P, p, "expected a digit in the exponent");
        do {
            if (exp < 100000000) exp = exp * 10 + (*p - '0');
            p++;
        } while (p < end && is_digit(*p));
        if (exp_neg) exp = -exp;
    }
    if (p == end && !P->final) return need_more(P, p, "");
    size_t text_len = (size_t)(p - start);
    if (text_len > UINT32_MAX) return fail(P, start, "number longer than 4 GiB");
    if (is_int) {
        if (!truncated) {
            if (!neg && mant <= (uint64_t)INT64_MAX) {
                put_value(out, SL_T_INT, 0, 0, mant);
                return p;
            }
            if (neg && mant <= (uint64_t)INT64_MAX + 1) {
                put_value(out, SL_T_INT, 0, 0, (uint64_t)0 - mant);
                return p;
            }
        }
        put_value(out, SL_T_DECIMAL, 0, (uint32_t)text_len, ptr_bits(start));
        return p;
    }
    double d;
    long e10 = exp - nfrac;
    if (mant == 0 && !truncated) {
        d = 0.0;
    } else if (!truncated && mant <= (1ull << 53) && e10 >= -22 && e10 <= 22) {
        d = (double)mant;
        d = e10 < 0 ? d / pow10_exact[-e10] : d * pow10_exact[e10];
    } else {
        d = strtod_copy(neg ? start + 1 : start, neg ? text_len - 1 : text_len);
        if (isinf(d) || d == 0.0) {
            /* overflow, or a non-zero number that underflows: keep the text */
            put_value(out, SL_T_DECIMAL, 0, (uint32_t)text_len, ptr_bits(start));
            return p;
        }
    }
    put_value(out, SL_T_DOUBLE, 0, 0, double_bits(neg ? -d : d));
    return p;
}

/* ---- values ---- */

static const char *parse_value(parser *P, const char *p, sl_value *out, int depth, unsigned parent);

static const char *parse_literal(parser *P, const char *p, const char *lit, size_t n, sl_value v, sl_value *out) {
    size_t avail = (size_t)(P->end - p);
    size_t cmp = avail < n ? avail : n;
    for (size_t i = 0; i < cmp; i++)
        if (p[i] != lit[i]) return fail(P, p, "expected a JSON value (invalid literal)");
    if (avail < n) return need_more(P, P->end, "unexpected end of input in literal");
    *out = v;
    return p + n;
}

/* ---- kept object keys ---- */

/* Sentinel entries: the parent of top-level values; keys not kept. */
enum { NAME_TOP = 0, NAME_NONE = 1 };

#define NAMES_INDEX_SLOTS (sizeof ((sl_json_names *)0)->index / sizeof ((sl_json_names *)0)->index[0])
_Static_assert((NAMES_INDEX_SLOTS & (NAMES_INDEX_SLOTS - 1)) == 0 && NAMES_INDEX_SLOTS > SL_JSON_NAMES_MAX + 2,
               "the key index is a power of two with free slots");

static void names_init(sl_json_names *N) {
    memset(N, 0, sizeof *N);
    N->count = 2;
    for (unsigned i = 0; i < 2; i++) {
        N->entry[i].next = NAME_NONE;
        N->entry[i].first = NAME_NONE;
    }
}

static inline uint64_t load_u64(const char *p) {
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline uint32_t load_u32(const char *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}

/* Hash of a key: its length and up to 24 of its bytes (first, middle and
 * last 8), never reading outside s[0..len). */
static inline uint32_t name_hash(const char *s, uint32_t len) {
    uint64_t a, b, c = 0;
    if (len >= 8) {
        a = load_u64(s);
        b = load_u64(s + len - 8);
        if (len > 16) c = load_u64(s + len / 2 - 4);
    } else if (len >= 4) {
        a = load_u32(s);
        b = load_u32(s + len - 4);
    } else {
        a = len ? (uint64_t)(unsigned char)s[0] << 16 | (uint64_t)(unsigned char)s[len / 2] << 8 |
                      (unsigned char)s[len - 1]
                : 0;
        b = 0;
    }
    /* wyhash-style mixing: a 64x64->128 multiply, both halves folded */
    unsigned __int128 m = (unsigned __int128)(a ^ 0xa0761d6478bd642full) * (b ^ c ^ (0xe7037ed1a0b428dbull + len));
    uint64_t h = (uint64_t)m ^ (uint64_t)(m >> 64);
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* a[0..n) == b[0..n), reading nothing outside either. */
static inline bool name_eq(const char *a, const char *b, uint32_t n) {
    if (n >= 8) {
        if (n > 16) return memcmp(a, b, n) == 0;
        return ((load_u64(a) ^ load_u64(b)) | (load_u64(a + n - 8) ^ load_u64(b + n - 8))) == 0;
    }
    if (n >= 4) return ((load_u32(a) ^ load_u32(b)) | (load_u32(a + n - 4) ^ load_u32(b + n - 4))) == 0;
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

#define NAMES_WINDOW 4096   /* lookups between looks at how well keys are predicted and found */
#define NAMES_THAW (1u << 16) /* keys not predicted while frozen before the table tries again */

/* The end of a window of lookups: freeze when fewer keys were predicted
 * than looked up, or when a full table mostly failed to find them. */
static void names_window(sl_json_names *N) {
    N->frozen = N->hits < N->lookups || (N->full && N->found * 2 < N->lookups);
    N->hits = 0;
    N->lookups = N->found = N->frozen_misses = 0;
}

/* The entry of the key whose decoded text is s[0..len) (raw: the input held
 * it without escapes), added when it is new and there is room; NAME_NONE
 * when it is not kept. */
static unsigned names_intern(sl_json_names *N, const char *s, uint32_t len, unsigned flags, bool raw) {
    if (++N->lookups == NAMES_WINDOW) names_window(N);
    if (len > SL_JSON_NAME_MAX) return NAME_NONE;
    uint32_t h = name_hash(s, len), tag = h & 0xFFFF0000u;
    uint32_t mask = (uint32_t)NAMES_INDEX_SLOTS - 1, at = h & mask;
    for (; N->index[at]; at = (at + 1) & mask) {
        uint32_t slot = N->index[at];
        if ((slot & 0xFFFF0000u) != tag) continue;
        sl_json_name *e = &N->entry[(slot & 0xFFFF) - 1];
        if (e->len == len && name_eq(N->text + e->off, s, len)) {
            if (raw) e->raw = 1; /* its text is these input bytes too */
            N->found++;
            return (slot & 0xFFFF) - 1u;
        }
    }
    if (N->count == SL_JSON_NAMES_MAX + 2 || N->used + len > SL_JSON_NAME_BYTES) {
        N->full = true;
        return NAME_NONE;
    }
    if (N->count > SL_JSON_NAMES_MAX / 2 || N->used > SL_JSON_NAME_BYTES / 2) {
        uint32_t *seen = &N->candidates[h % (sizeof N->candidates / sizeof N->candidates[0])];
        if (*seen != (h | 1)) { /* first time: remember it, keep it next time */
            *seen = h | 1;
            return NAME_NONE;
        }
    }
    unsigned i = N->count++;
    if (len) memcpy(N->text + N->used, s, len);
    N->entry[i] = (sl_json_name){N->used, len, NAME_NONE, NAME_NONE, (uint8_t)flags, raw};
    N->used += len;
    N->index[at] = tag | (i + 1);
    N->found++; /* a new key counts as found: it is kept */
    return i;
}

/* Bits of a word loaded from memory that hold its first n (< 8) bytes. */
static inline uint64_t first_bytes_mask(uint32_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return n ? ~(uint64_t)0 << (64 - 8 * n) : 0;
#else
    return ((uint64_t)1 << (8 * n)) - 1;
#endif
}

/* Input s[0..len) (s + len < end) equals kept text t[0..len) (readable 8
 * bytes past len). */
static inline bool key_eq(const char *s, const char *end, const char *t, uint32_t len) {
    uint64_t a, b, a2, b2;
    if (len < 8) {
        if (end - s < 8) return memcmp(s, t, len) == 0;
        memcpy(&a, s, 8);
        memcpy(&b, t, 8);
        return ((a ^ b) & first_bytes_mask(len)) == 0;
    }
    if (len > 16) return memcmp(s, t, len) == 0;
    memcpy(&a, s, 8);
    memcpy(&b, t, 8);
    memcpy(&a2, s + len - 8, 8);
    memcpy(&b2, t + len - 8, 8);
    return ((a ^ b) | (a2 ^ b2)) == 0;
}

/* p[0] == '"': the key at p into slot, as the kept copy when there is one.
 * *link holds the predicted entry and is updated to the key's; *key gets
 * the key's entry. */
static inline const char *parse_key(parser *P, const char *p, sl_field *slot, uint16_t *link, unsigned *key) {
    sl_json_names *N = P->names;
    const sl_json_name *e = &N->entry[*link];
    const char *s = p + 1;
    if (e->raw && (size_t)(P->end - s) > e->len && s[e->len] == '"' && key_eq(s, P->end, N->text + e->off, e->len)) {
        slot->name = N->text + e->off;
        slot->name_len = e->len;
        slot->name_flags = e->flags;
        *key = *link;
        N->hits++;
        return s + e->len + 1;
    }
    unsigned flags;
    const char *after = parse_string(P, p, &slot->name, &slot->name_len, &flags);
    if (!after) return NULL;
    slot->name_flags = flags;
    if (N->frozen) { /* the predictions stay as they are, for a while */
        *key = NAME_NONE;
        if (++N->frozen_misses == NAMES_THAW) {
            names_window(N);
            N->frozen = false;
        }
        return after;
    }
    unsigned k = names_intern(N, slot->name, slot->name_len, flags, slot->name == s);
    if (k != NAME_NONE) slot->name = N->text + N->entry[k].off;
    if (*link != k) *link = (uint16_t)k;
    *key = k;
    return after;
}

static const char *parse_object(parser *P, const char *p, sl_value *out, int depth, unsigned parent) {
    if (depth >= SL_JSON_MAX_DEPTH) return fail(P, p, "nesting deeper than 512 levels");
    const char *end = P->end;
    size_t base = P->n_fields;
    p = skip_ws(P, p + 1);
    if (p == end) return need_more(P, p, "unexpected end of input in object");
    if (*p == '}') {
        put_value(out, SL_T_STRUCT, 0, 0, 0);
        return p + 1;
    }
    uint16_t *link = P->names ? &P->names->entry[parent].first : NULL; /* the predicted key */
    for (;;) {
        if (*p != '"')
            return fail(P, p,
                        P->n_fields == base ? "expected '\"' to start an object key or '}'"
                                            : "expected '\"' to start an object key");
        /* the member's slot is taken before its value is parsed: nested
         * containers stack their children above it */
        if (P->n_fields == P->cap_fields) grow_fields(P);
        size_t idx = P->n_fields++;
        sl_field *slot = &P->fields[idx];
        unsigned key = NAME_NONE;
        if (link) {
            p = parse_key(P, p, slot, link, &key);
            if (!p) return NULL;
            link = &P->names->entry[key].next;
        } else {
            unsigned flags;
            p = parse_string(P, p, &slot->name, &slot->name_len, &flags);
            if (!p) return NULL;
            slot->name_flags = flags;
        }
        if (p < end && *p == ':') {
            p++;
        } else {
            p = skip_ws(P, p);
            if (p == end) return need_more(P, p, "unexpected end of input in object");
            if (*p != ':') return fail(P, p, "expected ':' after object key");
            p++;
        }
        p = skip_ws(P, p);
        if (p == end) return need_more(P, p, "unexpected end of input in object");
        sl_value v;
        p = parse_value(P, p, &v, depth + 1, key);
        if (!p) return NULL;
        copy_value(&P->fields[idx].value, &v); /* the scratch may have moved */
        p = skip_ws(P, p);
        if (p == end) return need_more(P, p, "unexpected end of input in object");
        if (*p == ',') {
            p = skip_ws(P, p + 1);
            if (p == end) return need_more(P, p, "unexpected end of input in object");
            continue;
        }
        if (*p == '}') break;
        return fail(P, p, "expected ',' or '}' after object member");
    }
    size_t n = P->n_fields - base;
    if (n > UINT32_MAX) return fail(P, p, "object with more than 4294967295 members");
    sl_field *fields = arena_take(P->arena, n * sizeof *fields);
    memcpy(fields, P->fields + base, n * sizeof *fields);
    P->n_fields = base;
    put_value(out, SL_T_STRUCT, 0, (uint32_t)n, ptr_bits(fields));
    return p + 1;
}

static const char *parse_array(parser *P, const char *p, sl_value *out, int depth, unsigned parent) {
    if (depth >= SL_JSON_MAX_DEPTH) return fail(P, p, "nesting deeper than 512 levels");
    const char *end = P->end;
    size_t base = P->n_vals;
    p = skip_ws(P, p + 1);
    if (p == end) return need_more(P, p, "unexpected end of input in array");
    if (*p == ']') {
        put_value(out, SL_T_LIST, 0, 0, 0);
        return p + 1;
    }
    for (;;) {
        if (P->n_vals == P->cap_vals) grow_vals(P);
        size_t idx = P->n_vals++;
        sl_value v;
        p = parse_value(P, p, &v, depth + 1, parent); /* objects in an array predict from the array's key */
        if (!p) return NULL;
        copy_value(&P->vals[idx], &v); /* the scratch may have moved */
        p = skip_ws(P, p);
        if (p == end) return need_more(P, p, "unexpected end of input in array");
        if (*p == ',') {
            p = skip_ws(P, p + 1);
            if (p == end) return need_more(P, p, "unexpected end of input in array");
            continue;
        }
        if (*p == ']') break;
        return fail(P, p, "expected ',' or ']' after array element");
    }
    size_t n = P->n_vals - base;
    if (n > UINT32_MAX) return fail(P, p, "array with more than 4294967295 elements");
    sl_value *items = arena_take(P->arena, n * sizeof *items);
    memcpy(items, P->vals + base, n * sizeof *items);
    P->n_vals = base;
    put_value(out, SL_T_LIST, 0, (uint32_t)n, ptr_bits(items));
    return p + 1;
}

/* p < P->end. parent: the entry of the key whose value this is. */
static const char *parse_value(parser *P, const char *p, sl_value *out, int depth, unsigned parent) {
    switch (*p) {
    case '{': return parse_object(P, p, out, depth, parent);
    case '[': return parse_array(P, p, out, depth, parent);
    case '"': {
        const char *s;
        uint32_t len;
        unsigned flags;
        p = parse_string(P, p, &s, &len, &flags);
        if (p) put_value(out, SL_T_STRING, flags, len, ptr_bits(s));
        return p;
    }
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': return parse_number(P, p, out);
    case 't': return parse_literal(P, p, "true", 4, sl_bool(true), out);
    case 'f': return parse_literal(P, p, "false", 5, sl_bool(false), out);
    case 'n': return parse_literal(P, p, "null", 4, sl_null(), out);
    default: return fail(P, p, "expected a JSON value");
    }
}

/* ---- error text ---- */

/* " (found 'x')" for messages that say what was expected. */
static void describe_found(const parser *P, char *out, size_t size) {
    out[0] = '\0';
    if (strncmp(P->err_msg, "expected", 8) != 0) return;
    const char *pos = P->err_pos;
    if (pos >= P->end) {
        snprintf(out, size, " (found end of input)");
        return;
    }
    unsigned char c = (unsigned char)*pos;
    if (c > 0x20 && c < 0x7F)
        snprintf(out, size, " (found '%c')", c);
    else
        snprintf(out, size, " (found byte 0x%02X)", c);
}

/* 1-based column of pos: bytes since the last newline in [begin, pos). */
static int column_of(const char *begin, const char *pos) {
    const char *q = pos;
    while (q > begin && q[-1] != '\n')
        q--;
    size_t col = (size_t)(pos - q) + 1;
    return col > (size_t)0x7fffffff ? 0 : (int)col;
}

/* ---- one-shot parse ---- */

int sl_json_parse(const char *p, size_t len, sl_arena *a, sl_value *out, sl_error *err) {
    sl_value vals[64];
    sl_field fields[32];
    parser P;
    const char *end = p + len;
    parser_init(&P, end, true, a, vals, 64, fields, 32);
    const char *q = skip_ws(&P, p);
    if (q == end) {
        fail(&P, q, "expected a JSON value");
    } else {
        q = parse_value(&P, q, out, 0, NAME_NONE);
        if (q) {
            q = skip_ws(&P, q);
            if (q == end) return SL_OK;
            fail(&P, q, "expected end of input after the JSON value");
        }
    }
    char found[32];
    describe_found(&P, found, sizeof found);
    size_t off = (size_t)(P.err_pos - p);
    int line = 1;
    for (const char *r = p; r < P.err_pos && (r = memchr(r, '\n', (size_t)(P.err_pos - r))) != NULL; r++)
        line++;
    *out = sl_null();
    if (!err) return SL_EPARSE;
    sl_error_set(err, SL_EPARSE, "invalid JSON at byte %zu: %s%s", off, P.err_msg, found);
    err->offset = (long long)off;
    err->line = line;
    err->column = column_of(p, P.err_pos);
    return SL_EPARSE;
}

/* ---- streaming decoder ---- */

void sl_json_decoder_init(sl_json_decoder *d) {
    d->state = ST_TOP;
    d->started = false;
    names_init(&d->names);
}

static const char *type_word(const sl_value *v) {
    switch (v->type) {
    case SL_T_LIST: return "an array";
    case SL_T_STRING: return "a string";
    case SL_T_BOOL: return "a boolean";
    case SL_T_NULL: return "null";
    default: return "a number";
    }
}

/* Bad record outside a top-level array: reject from rec to the end of its
 * first line. *resume gets where decoding goes on (after that newline), or
 * NULL when the line is not complete in the buffer yet. */
static int reject_line(parser *P, const char *rec, bool at_eof, uint64_t line, int64_t offset, sl_decode_ctx *ctx,
                       const char **resume) {
    const char *end = P->end;
    const char *nl = memchr(rec, '\n', (size_t)(end - rec));
    if (!nl && !at_eof) {
        *resume = NULL;
        return SL_OK;
    }
    const char *stop = nl ? nl : end;
    *resume = nl ? nl + 1 : end;
    size_t raw_len = (size_t)(stop - rec);
    if (raw_len && rec[raw_len - 1] == '\r') raw_len--;
    char found[32], reason[384];
    describe_found(P, found, sizeof found);
    if (P->err_pos <= stop) {
        snprintf(reason, sizeof reason, "invalid JSON at byte %zu: %s%s", (size_t)(P->err_pos - rec), P->err_msg,
                 found);
    } else {
        /* the value ran past the end of its line: report where it failed */
        const char *ls = P->err_pos;
        while (ls > rec && ls[-1] != '\n')
            ls--;
        uint64_t err_line = line + P->newlines;
        snprintf(reason, sizeof reason,
                 "invalid JSON: value not complete at the end of its line (parsing went on to line %llu, byte %zu: "
                 "%s%s)",
                 (unsigned long long)err_line, (size_t)(P->err_pos - ls), P->err_msg, found);
    }
    return ctx->reject(ctx->ud, line, offset, reason, rec, raw_len);
}

static int decode_fatal(parser *P, const char *buf, uint64_t line, sl_decode_ctx *ctx, sl_error *err) {
    char found[32];
    describe_found(P, found, sizeof found);
    long long off = (long long)ctx->offset + (long long)(P->err_pos - buf);
    if (!err) return SL_EPARSE;
    sl_error_set(err, SL_EPARSE, "invalid JSON at byte %lld (line %llu): %s%s", off, (unsigned long long)line,
                 P->err_msg, found);
    err->offset = off;
    err->line = line > (uint64_t)0x7fffffff ? 0 : (int)line;
    err->column = 0;
    return SL_EPARSE;
}

int sl_json_decode(sl_json_decoder *d, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                   sl_error *err) {
    sl_batch *batch = ctx->batch;
    const char *p = buf, *end = buf + len;
    parser P;
    parser_init(&P, end, at_eof, &batch->arena, d->values, SL_JSON_SCRATCH_VALUES, d->fields, SL_JSON_SCRATCH_FIELDS);
    P.names = &d->names;
    uint64_t line = ctx->line;
    int rc = SL_OK;
    if (!d->started) {
        static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
        size_t n = len < 3 ? len : 3;
        if (memcmp(buf, bom, n) == 0) {
            if (n < 3 && !at_eof) {
                *consumed = 0;
                return SL_OK; /* cannot tell yet */
            }
            p += n;
        }
        d->started = true;
    }
    const char *committed = p;
    uint64_t committed_line = line;
    size_t max = ctx->max_records ? ctx->max_records : SIZE_MAX;
    while (batch->count < max) {
        P.newlines = 0;
        p = skip_ws(&P, p);
        line += P.newlines;
        committed = p;
        committed_line = line;
        if (p == end) break;
        char c = *p;
        if (d->state == ST_TOP && c == '[') {
            d->state = ST_ARRAY_FIRST;
            p++;
            continue;
        }
        if (d->state == ST_ARRAY_FIRST && c == ']') {
            d->state = ST_TOP;
            p++;
            continue;
        }
        if (d->state == ST_ARRAY_NEXT) {
            if (c == ',') {
                d->state = ST_ARRAY_ELEM;
                p++;
                continue;
            }
            if (c == ']') {
                d->state = ST_TOP;
                p++;
                continue;
            }
            fail(&P, p, "expected ',' or ']' in the top-level array");
            P.newlines = 0;
            rc = decode_fatal(&P, buf, line, ctx, err);
            goto out;
        }
        const char *rec = p;
        int64_t rec_offset = ctx->offset + (int64_t)(rec - buf);
        sl_value v;
        P.n_vals = P.n_fields = 0;
        P.newlines = 0;
        const char *after = parse_value(&P, rec, &v, 0, NAME_TOP);
        if (!after) {
            if (P.incomplete) break;
            if (d->state != ST_TOP) {
                rc = decode_fatal(&P, buf, line + P.newlines, ctx, err);
                goto out;
            }
            if (!ctx->reject) {
                rc = decode_fatal(&P, buf, line + P.newlines, ctx, err);
                goto out;
            }
            const char *resume;
            rc = reject_line(&P, rec, at_eof, line, rec_offset, ctx, &resume);
            if (!resume) break;
            p = resume;
            if (resume[-1] == '\n' && resume > rec) line++;
            committed = p;
            committed_line = line;
            if (rc < 0) goto out;
            continue;
        }
        uint64_t rec_line = line;
        line += P.newlines;
        p = after;
        if (d->state != ST_TOP) d->state = ST_ARRAY_NEXT;
        if (v.type == SL_T_STRUCT) {
            sl_recloc loc = {rec_line, rec_offset};
            sl_batch_push(batch, v, loc);
        } else {
            char reason[96];
            snprintf(reason, sizeof reason, "record is not a JSON object (found %s)", type_word(&v));
            rc = ctx->reject ? ctx->reject(ctx->ud, rec_line, rec_offset, reason, rec, (size_t)(after - rec))
                             : sl_error_set(err, SL_EPARSE, "%s at byte %lld", reason, (long long)rec_offset);
        }
        committed = p;
        committed_line = line;
        if (rc < 0) goto out;
    }
    if (p == end && at_eof && d->state != ST_TOP) {
        fail(&P, p, "unexpected end of input: the top-level array is not closed");
        rc = decode_fatal(&P, buf, line, ctx, err);
    }
out:
    *consumed = (size_t)(committed - buf);
    ctx->line = committed_line;
    ctx->offset += (int64_t)*consumed;
    return rc;
}
