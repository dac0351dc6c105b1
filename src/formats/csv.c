/*
 * csv.c — CSV reader and writer (RFC 4180); contracts in csv.h, policy in
 * docs/csv.md.
 *
 * Reading takes two steps per row. scan_row() finds the field boundaries
 * from bit masks of the only bytes that matter (delimiter, CR and LF outside
 * quotes; quote, escape and LF inside them), built 64 bytes at a time with
 * SSE2, and records each field as a span of the input; nothing is allocated
 * until the row is known to be whole. emit_row() then types each span and pushes the record. A row that
 * is not whole at the end of the buffer is left for the next call, so a row
 * split across reads decodes exactly as if it had arrived in one piece.
 */
#include "formats/csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/mem.h"
#include "formats/json.h"

static const char utf8_bom[3] = {'\xEF', '\xBB', '\xBF'};

/* ---- byte scanning ---- */

/* Up to four bytes to stop at (repeat one to use fewer). */
typedef struct byteset {
#ifdef __SSE2__
    __m128i v[4];
#endif
    char c[4];
} byteset;

static void byteset_init(byteset *s, char a, char b, char c, char d) {
    s->c[0] = a;
    s->c[1] = b;
    s->c[2] = c;
    s->c[3] = d;
#ifdef __SSE2__
    for (int i = 0; i < 4; i++)
        s->v[i] = _mm_set1_epi8(s->c[i]);
#endif
}

/* First byte in [p, end) that is in s, or end. */
static inline const char *find_any(const byteset *s, const char *p, const char *end) {
#ifdef __SSE2__
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, s->v[0]), _mm_cmpeq_epi8(x, s->v[1])),
                                 _mm_or_si128(_mm_cmpeq_epi8(x, s->v[2]), _mm_cmpeq_epi8(x, s->v[3])));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    for (; p < end; p++) {
        char c = *p;
        if (c == s->c[0] || c == s->c[1] || c == s->c[2] || c == s->c[3]) return p;
    }
    return end;
}

static size_t count_lf(const char *p, const char *end) {
    size_t n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool equal_nocase(const char *s, const char *lower, size_t len) {
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lower[i]) return false;
    }
    return true;
}

/* ---- numbers ---- */

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod on text that is not NUL-terminated. */
static double strtod_n(const char *s, size_t len) {
    char tmp[128];
    if (len < sizeof tmp) {
        memcpy(tmp, s, len);
        tmp[len] = '\0';
        return strtod(tmp, NULL);
    }
    char *copy = sl_xstrndup(s, len);
    double d = strtod(copy, NULL);
    free(copy);
    return d;
}

/* Folds decimal digits [p, end) into acc (at most 19 digits in all). */
static inline uint64_t fold_digits(uint64_t acc, const char *p, const char *end) {
    for (; p < end; p++)
        acc = acc * 10 + (uint64_t)(*p - '0');
    return acc;
}

static inline const char *skip_digits(const char *p, const char *end) {
    while (p < end && is_digit(*p))
        p++;
    return p;
}

/* Parses [+-]digits[.digits][(e|E)[+-]digits] (at least one mantissa digit).
 * Integers in int64 range → INT, other integers → DECIMAL (text kept);
 * others → DOUBLE, or DECIMAL when the double would overflow or underflow
 * a non-zero value to 0 (the JSON reader's rule). Returns false if s is not
 * such a number. Doubles with up to 19 digits, a mantissa below 2^53 and a
 * decimal exponent within ±22 take Clinger's exact fast path: one correctly
 * rounded IEEE multiply or divide of two exact values, as strtod would give;
 * the rest go to strtod. */
static bool parse_number(const char *s, size_t len, sl_value *out) {
    const char *p = s, *end = s + len;
    bool negative = false;
    if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
    const char *int_start = p, *int_end = skip_digits(p, end);
    p = int_end;
    if (p == end) {
        if (int_start == int_end) return false;
        while (int_end - int_start > 1 && *int_start == '0')
            int_start++;
        size_t nd = (size_t)(int_end - int_start);
        uint64_t mant = nd <= 19 ? fold_digits(0, int_start, int_end) : 0;
        if (nd <= 18 || (nd == 19 && mant <= (uint64_t)INT64_MAX))
            *out = sl_int(negative ? -(int64_t)mant : (int64_t)mant);
        else if (nd == 19 && negative && mant == (uint64_t)INT64_MAX + 1)
            *out = sl_int(INT64_MIN);
        else
            *out = sl_decimal(s, len);
        return true;
    }
    const char *frac_start = p, *frac_end = p;
    if (*p == '.') {
        frac_start = p + 1;
        frac_end = skip_digits(frac_start, end);
        p = frac_end;
    }
    if (int_start == int_end && frac_start == frac_end) return false;
    int64_t exp10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool exp_negative = false;
        if (p < end && (*p == '-' || *p == '+')) exp_negative = *p++ == '-';
        const char *exp_start = p;
        for (; p < end && is_digit(*p); p++)
            if (exp10 < 100000) exp10 = exp10 * 10 + (*p - '0');
        if (p == exp_start) return false;
        if (exp_negative) exp10 = -exp10;
    }
    if (p != end) return false;
    size_t nd = (size_t)(int_end - int_start) + (size_t)(frac_end - frac_start);
    if (nd <= 19) {
        uint64_t mant = fold_digits(fold_digits(0, int_start, int_end), frac_start, frac_end);
        exp10 -= frac_end - frac_start;
        if (mant == 0) {
            *out = sl_double(negative ? -0.0 : 0.0);
            return true;
        }
        if (mant <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
            double d = (double)mant;
            d = exp10 < 0 ? d / exact_pow10[-exp10] : d * exact_pow10[exp10];
            *out = sl_double(negative ? -d : d);
            return true;
        }
    }
    double d = strtod_n(s, len);
    if (isinf(d)) {
        *out = sl_decimal(s, len);
        return true;
    }
    if (d == 0) {
        for (const char *q = int_start; q < frac_end; q++) {
            if (*q >= '1' && *q <= '9') {
                *out = sl_decimal(s, len);
                return true;
            }
        }
    }
    *out = sl_double(d);
    return true;
}

/* Does s need JSON escaping ('"', '\\', control bytes)? Same answer as
 * sl_json_plain, eight bytes at a time. */
static inline uint64_t swar_json_special(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

/* 1 for the bytes JSON must escape. */
static const unsigned char json_special[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

static bool text_plain(const char *s, size_t n) {
    if (n < 8) {
        unsigned bad = 0;
        for (size_t i = 0; i < n; i++)
            bad |= json_special[(unsigned char)s[i]];
        return !bad;
    }
    uint64_t bad = 0, x;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        memcpy(&x, s + i, 8);
        bad |= swar_json_special(x);
    }
    memcpy(&x, s + n - 8, 8); /* the tail, overlapping: an "any" test allows it */
    return (bad | swar_json_special(x)) == 0;
}

static sl_value text_string(const char *s, size_t len) {
    return sl_string(s, len, text_plain(s, len) ? SL_VF_JSON_PLAIN : 0);
}

int sl_csv_infer_text(const char *s, size_t len, sl_value *out) {
    if (len == 0) {
        *out = sl_null();
        return SL_T_NULL;
    }
    char c = s[0];
    if (is_digit(c) || c == '-' || c == '+' || c == '.') {
        if (parse_number(s, len, out)) return out->type;
    } else if (len == 4 && equal_nocase(s, "true", 4)) {
        *out = sl_bool(true);
        return SL_T_BOOL;
    } else if (len == 5 && equal_nocase(s, "false", 5)) {
        *out = sl_bool(false);
        return SL_T_BOOL;
    }
    *out = text_string(s, len);
    return SL_T_STRING;
}

/* ---- options ---- */

sl_csv_options sl_csv_options_default(void) {
    sl_csv_options o;
    memset(&o, 0, sizeof o);
    o.delimiter = ',';
    o.quote = '"';
    o.escape = '\0'; /* same as the quote */
    o.header = true;
    o.null_text = "";
    o.infer_types = true;
    o.multiline = true;
    return o;
}

static bool is_line_byte(char c) { return c == '\n' || c == '\r'; }

int sl_csv_options_check(const sl_csv_options *o, sl_error *err) {
    if (o->delimiter == '\0' || is_line_byte(o->delimiter))
        return sl_error_set(err, SL_EINVAL, "csv: the delimiter cannot be NUL, CR or LF");
    if (o->quote) {
        if (is_line_byte(o->quote)) return sl_error_set(err, SL_EINVAL, "csv: the quote cannot be CR or LF");
        if (o->quote == o->delimiter)
            return sl_error_set(err, SL_EINVAL, "csv: the quote and the delimiter must differ");
        if (o->escape && (is_line_byte(o->escape) || o->escape == o->delimiter))
            return sl_error_set(err, SL_EINVAL, "csv: the escape cannot be CR, LF or the delimiter");
    }
    if (o->n_column_types && !o->column_types)
        return sl_error_set(err, SL_EINVAL, "csv: column types given without an array");
    for (size_t i = 0; i < o->n_column_types; i++) {
        const sl_csv_column_type *t = &o->column_types[i];
        if (!t->name) return sl_error_set(err, SL_EINVAL, "csv: column type %zu has no column name", i + 1);
        if (t->type == SL_T_LIST || t->type == SL_T_STRUCT || (unsigned)t->type >= SL_T__COUNT)
            return sl_error_set(err, SL_EINVAL, "csv: column '%s' cannot be read as %s (scalar types only)", t->name,
                                sl_type_name(t->type));
    }
    return SL_OK;
}

/* ---- decoder: scanning rows ---- */

enum { SPAN_PLAIN, SPAN_QUOTED, SPAN_ESCAPED };

/* One field of the row being scanned: unquoted text (untrimmed), or the text
 * between quotes with (ESCAPED) or without (QUOTED) escapes to undo. */
typedef struct sl_csv_span {
    const char *p;
    uint32_t len;
    uint8_t kind;
} sl_csv_span;

/* The scanner classifies the input 64 bytes at a time: one bit per byte in
 * two masks, one for the bytes that end unquoted text (delimiter, CR, LF) and
 * one for the bytes that matter inside quotes (quote, escape, LF). Fields are
 * short (a few bytes in typical data), so finding the next stop is usually a
 * shift and a count-trailing-zeros on the cached window. */
typedef struct scanner {
    sl_csv_decoder *d;
    const char *win;     /* start of the classified window */
    size_t win_len;      /* bytes classified (64, fewer at the end of input) */
    uint64_t win_plain;  /* bit i: win[i] is a delimiter, CR or LF */
    uint64_t win_quoted; /* bit i: win[i] is the quote, the escape or LF */
    uint64_t win_delim, win_lf; /* the delimiters; the LFs */
    uint64_t win_odd;    /* the quotes, escapes and CRs: a row with none is simple (scan_simple) */
#ifdef __SSE2__
    __m128i v_delim, v_quote, v_escape, v_cr, v_lf;
#endif
    const char *end;
    char delim, quote, escape;
    bool trim, multiline, at_eof;
    sl_csv_span *spans; /* the decoder's span array */
    size_t store;       /* spans that fit in it now */
    size_t limit;       /* spans kept per row (columns); later fields are only counted */
    bool simple;        /* try scan_simple first (columns known, no trimming) */
} scanner;

typedef struct row_scan {
    const char *start;   /* first byte of the row */
    const char *raw_end; /* end of the row's text, line end excluded */
    const char *next;    /* first byte after the row's line end */
    size_t nfields;      /* fields seen (only the first scanner.limit kept) */
    uint64_t newlines;   /* LF bytes in the row, its line end included */
    uint64_t quote_line; /* ROW_MORE: LFs before the quote that is still open */
    const char *reason;  /* non-NULL: the row is malformed */
    size_t bad_field;    /* 0-based field the reason is about */
} row_scan;

enum { ROW_OK, ROW_MORE };
enum { T_DELIM, T_EOL, T_END, T_MORE, T_OTHER };
enum { Q_CLOSED, Q_MORE, Q_BROKEN };

static void scanner_limit(scanner *s, size_t limit) {
    s->limit = limit;
    s->spans = s->d->spans;
    s->store = s->d->span_cap < limit ? s->d->span_cap : limit;
    s->simple = !s->trim && s->d->have_columns && s->d->keep_col;
}

static void scanner_init(scanner *s, sl_csv_decoder *d, const char *end, bool at_eof) {
    const sl_csv_options *o = &d->opt;
    s->d = d;
    s->end = end;
    s->delim = o->delimiter;
    s->quote = o->quote;
    s->escape = o->escape;
    s->trim = o->trim_spaces;
    s->multiline = o->multiline;
    s->at_eof = at_eof;
    scanner_limit(s, d->have_columns ? d->ncols : SL_CSV_MAX_COLUMNS);
    s->win = end;
    s->win_len = 0;
    s->win_plain = s->win_quoted = s->win_delim = s->win_lf = s->win_odd = 0;
#ifdef __SSE2__
    s->v_delim = _mm_set1_epi8(o->delimiter);
    s->v_quote = _mm_set1_epi8(o->quote);
    s->v_escape = _mm_set1_epi8(o->escape);
    s->v_cr = _mm_set1_epi8('\r');
    s->v_lf = _mm_set1_epi8('\n');
#endif
}

/* Classifies the window starting at p. */
static void classify_window(scanner *s, const char *p) {
    size_t n = (size_t)(s->end - p);
    uint64_t delim = 0, cr = 0, lf = 0, quote = 0;
    s->win = p;
    if (n > 64) n = 64;
#ifdef __SSE2__
    if (n == 64) {
        for (int k = 0; k < 4; k++) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
            __m128i qt = _mm_or_si128(_mm_cmpeq_epi8(x, s->v_quote), _mm_cmpeq_epi8(x, s->v_escape));
            delim |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, s->v_delim)) << (16 * k);
            cr |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, s->v_cr)) << (16 * k);
            lf |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, s->v_lf)) << (16 * k);
            quote |= (uint64_t)(unsigned)_mm_movemask_epi8(qt) << (16 * k);
        }
    } else
#endif
    {
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            delim |= (uint64_t)(c == s->delim) << i;
            cr |= (uint64_t)(c == '\r') << i;
            lf |= (uint64_t)(c == '\n') << i;
            quote |= (uint64_t)(c == s->quote || c == s->escape) << i;
        }
    }
    s->win_len = n;
    s->win_plain = delim | cr | lf;
    s->win_quoted = quote | lf;
    s->win_delim = delim;
    s->win_lf = lf;
    s->win_odd = quote | cr;
}

/* First byte at or after p that ends unquoted text (quoted: that matters
 * inside quotes), or s->end. p never moves backwards within a scanner. */
static inline const char *next_stop(scanner *s, const char *p, bool in_quotes) {
    for (;;) {
        size_t off = (size_t)(p - s->win);
        if (off < s->win_len) {
            uint64_t m = (in_quotes ? s->win_quoted : s->win_plain) >> off;
            if (m) return p + __builtin_ctzll(m);
            p = s->win + s->win_len;
        }
        if (p >= s->end) return s->end;
        classify_window(s, p);
    }
}

static inline bool is_blank(const scanner *s, char c) { return (c == ' ' || c == '\t') && c != s->delim; }

/* Makes room for span i; false when the row keeps no more spans (they are
 * only counted: the row is too wide and will be rejected). */
static bool grow_spans(scanner *s, size_t i) {
    if (i >= s->limit) return false;
    sl_csv_decoder *d = s->d;
    while (d->span_cap <= i) {
        d->span_cap = d->span_cap ? d->span_cap * 2 : 64;
        d->spans = sl_xrealloc(d->spans, d->span_cap * sizeof *d->spans);
    }
    s->spans = d->spans;
    s->store = d->span_cap < s->limit ? d->span_cap : s->limit;
    return true;
}

static inline void add_span(scanner *s, row_scan *r, const char *p, size_t len, uint8_t kind) {
    size_t i = r->nfields++;
    if (i >= s->store && !grow_spans(s, i)) return;
    if (kind == SPAN_PLAIN && s->trim) {
        while (len && is_blank(s, *p))
            p++, len--;
        while (len && is_blank(s, p[len - 1]))
            len--;
    }
    sl_csv_span *sp = &s->spans[i];
    sp->p = p;
    sp->len = (uint32_t)len; /* rows longer than 4 GiB are rejected (scan_row) */
    sp->kind = kind;
}

/* Where unquoted text starting at p ends: T_DELIM, T_EOL (LF or CRLF),
 * T_END (end of input at EOF, a final lone CR dropped) or T_MORE. Sets *stop
 * to the end of the text and *next past the terminator. A CR not followed by
 * LF is data. */
static int plain_end(scanner *s, const char *p, const char **stop, const char **next) {
    for (;;) {
        const char *q = next_stop(s, p, false);
        if (q == s->end) {
            if (!s->at_eof) return T_MORE;
            *stop = *next = q;
            return T_END;
        }
        *stop = q;
        *next = q + 1;
        if (*q == s->delim) return T_DELIM;
        if (*q == '\n') return T_EOL;
        if (q + 1 < s->end) {
            if (q[1] == '\n') {
                *next = q + 2;
                return T_EOL;
            }
            p = q + 1;
            continue;
        }
        return s->at_eof ? T_END : T_MORE;
    }
}

/* What follows a closing quote at p (blanks already skipped when trimming). */
static int after_quote(const scanner *s, const char *p, const char **stop, const char **next) {
    *stop = p;
    *next = p + 1;
    if (p == s->end) {
        *next = p;
        return s->at_eof ? T_END : T_MORE;
    }
    if (*p == s->delim) return T_DELIM;
    if (*p == '\n') return T_EOL;
    if (*p != '\r') return T_OTHER;
    if (p + 1 == s->end) return s->at_eof ? T_END : T_MORE;
    if (p[1] != '\n') return T_OTHER;
    *next = p + 2;
    return T_EOL;
}

/* Scans quoted text from p (just past the opening quote). Q_CLOSED: *close is
 * the closing quote. Q_BROKEN (multiline off): *close is the LF that ends the
 * row inside the quotes. Q_MORE: the quote is still open at the end of input. */
static int quoted_end(scanner *s, const char *p, const char **close, uint8_t *kind, uint64_t *newlines) {
    for (;;) {
        const char *q = next_stop(s, p, true);
        if (q == s->end) return Q_MORE;
        if (*q == '\n') {
            *close = q;
            if (!s->multiline) return Q_BROKEN;
            (*newlines)++;
            p = q + 1;
        } else if (*q == s->quote) {
            if (s->escape == s->quote) {
                if (q + 1 == s->end) {
                    if (!s->at_eof) return Q_MORE;
                } else if (q[1] == s->quote) {
                    *kind = SPAN_ESCAPED;
                    p = q + 2;
                    continue;
                }
            }
            *close = q;
            return Q_CLOSED;
        } else { /* the escape byte, distinct from the quote */
            if (q + 1 == s->end) return Q_MORE;
            *kind = SPAN_ESCAPED;
            if (q[1] == '\n') {
                *close = q + 1;
                if (!s->multiline) return Q_BROKEN;
                (*newlines)++;
            }
            p = q + 2;
        }
    }
}

static int row_done(row_scan *r, const char *raw_end, const char *next, bool lf) {
    r->raw_end = raw_end;
    r->next = next;
    r->newlines += lf;
    if ((size_t)(raw_end - r->start) > UINT32_MAX && !r->reason) {
        r->reason = "row longer than 4 GiB";
        r->bad_field = 0;
    }
    return ROW_OK;
}

/* The common row: no quote, escape or CR in it (but a CR right before its
 * LF), and its LF within the input. It is cut at the delimiter bits of the
 * window masks with no byte-by-byte work, and only the spans of the
 * columns records keep (decoder keep_col) are stored. Returns false for
 * any other row, which scan_row then scans from its start as usual. */
static bool scan_simple(scanner *s, const char *row, row_scan *r) {
    const uint8_t *keep = s->d->keep_col;
    size_t nf = 0;
    const char *field = row, *p = row;
    for (;;) {
        size_t off = (size_t)(p - s->win);
        if (off >= s->win_len) {
            if (p >= s->end) return false;
            classify_window(s, p);
            off = 0;
        }
        uint64_t live = ~UINT64_C(0) << off;
        uint64_t lf = s->win_lf & live, first_lf = lf & (0 - lf);
        uint64_t before = lf ? first_lf - 1 : ~UINT64_C(0);
        uint64_t delims = s->win_delim & live & before, odd = s->win_odd & live & before;
        const char *eol = lf ? s->win + __builtin_ctzll(lf) : NULL, *raw_end = eol;
        if (odd) { /* only a CR just before the LF */
            if (!eol || odd != first_lf >> 1 || eol[-1] != '\r') return false;
            raw_end = eol - 1;
        }
        for (; delims; delims &= delims - 1) {
            const char *q = s->win + __builtin_ctzll(delims);
            if (nf < s->store && keep[nf]) s->spans[nf] = (sl_csv_span){field, (uint32_t)(q - field), SPAN_PLAIN};
            nf++;
            field = q + 1;
        }
        if (eol) {
            if (nf < s->store && keep[nf])
                s->spans[nf] = (sl_csv_span){field, (uint32_t)(raw_end - field), SPAN_PLAIN};
            r->start = row;
            r->nfields = nf + 1;
            r->newlines = 0;
            r->quote_line = 0;
            r->reason = NULL;
            r->bad_field = 0;
            return row_done(r, raw_end, eol + 1, true) == ROW_OK;
        }
        p = s->win + s->win_len;
    }
}

/* Finds the fields of the row starting at row. ROW_MORE: the row does not
 * end within the input (at EOF only an open quote does that). ROW_OK: r
 * describes the row, r->reason set if it is malformed. */
static int scan_row(scanner *s, const char *row, row_scan *r) {
    if (s->simple && scan_simple(s, row, r)) return ROW_OK;
    const char *p = row;
    r->start = row;
    r->nfields = 0;
    r->newlines = 0;
    r->quote_line = 0;
    r->reason = NULL;
    r->bad_field = 0;
    for (;;) {
        /* Fast path: unquoted text ended by the delimiter or LF. */
        if (!s->trim && p < s->end && *p != s->quote) {
            const char *q = next_stop(s, p, false);
            if (q < s->end && *q == s->delim) {
                add_span(s, r, p, (size_t)(q - p), SPAN_PLAIN);
                p = q + 1;
                continue;
            }
            if (q < s->end && *q == '\n') { /* a CR before it would have stopped the scan */
                add_span(s, r, p, (size_t)(q - p), SPAN_PLAIN);
                return row_done(r, q, q + 1, true);
            }
        }
        const char *stop, *next;
        int t;
        const char *q = p;
        if (s->trim)
            while (q < s->end && is_blank(s, *q))
                q++;
        if (s->quote && q < s->end && *q == s->quote) {
            uint8_t kind = SPAN_QUOTED;
            const char *close;
            uint64_t open_line = r->newlines;
            int qs = quoted_end(s, q + 1, &close, &kind, &r->newlines);
            if (qs == Q_MORE) {
                r->quote_line = open_line;
                return ROW_MORE;
            }
            if (qs == Q_BROKEN) {
                r->reason = "quoted value not closed on its line (multiline is off)";
                r->bad_field = r->nfields;
                r->nfields++;
                r->newlines++; /* the LF that ends the row */
                return row_done(r, close > row && close[-1] == '\r' ? close - 1 : close, close + 1, false);
            }
            add_span(s, r, q + 1, (size_t)(close - q - 1), kind);
            p = close + 1;
            if (s->trim)
                while (p < s->end && is_blank(s, *p))
                    p++;
            t = after_quote(s, p, &stop, &next);
            if (t == T_OTHER) {
                if (!r->reason) {
                    r->reason = "unexpected character after a closing quote";
                    r->bad_field = r->nfields - 1;
                }
                t = plain_end(s, p, &stop, &next);
            }
        } else {
            t = plain_end(s, p, &stop, &next);
            if (t != T_MORE) add_span(s, r, p, (size_t)(stop - p), SPAN_PLAIN);
        }
        if (t == T_MORE) return ROW_MORE;
        if (t == T_DELIM) {
            p = next;
            continue;
        }
        return row_done(r, stop, next, t == T_EOL);
    }
}

/* ---- decoder: columns ---- */

static uint32_t hash_bytes(const char *s, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Column names under construction, with a hash set to keep them unique. */
typedef struct name_set {
    sl_buf text;
    uint32_t *off, *len;
    uint32_t n;
    uint32_t *slots; /* index + 1; 0 = empty */
    uint32_t mask;
} name_set;

static bool name_set_has(const name_set *ns, const char *s, size_t len) {
    for (uint32_t h = hash_bytes(s, len) & ns->mask;; h = (h + 1) & ns->mask) {
        uint32_t k = ns->slots[h];
        if (!k) return false;
        if (ns->len[k - 1] == len && memcmp(ns->text.data + ns->off[k - 1], s, len) == 0) return true;
    }
}

/* Appends the name at text+start (already in ns->text) and indexes it. */
static void name_set_commit(name_set *ns, size_t start) {
    uint32_t i = ns->n++;
    ns->off[i] = (uint32_t)start;
    ns->len[i] = (uint32_t)(ns->text.len - start);
    uint32_t h = hash_bytes(ns->text.data + start, ns->len[i]) & ns->mask;
    while (ns->slots[h])
        h = (h + 1) & ns->mask;
    ns->slots[h] = i + 1;
}

/* Adds column i named s[0..len) (NULL: none given), made unique: an empty
 * name becomes "_c<i>", a taken one gets "_<i>" appended (then "_<k>"). */
static int name_set_add(name_set *ns, uint32_t i, const char *s, size_t len) {
    size_t start = ns->text.len;
    int rc = len ? sl_buf_add(&ns->text, s, len) : sl_buf_printf(&ns->text, "_c%u", i);
    for (unsigned k = 0; rc == 0; k++) {
        if (!name_set_has(ns, ns->text.data + start, ns->text.len - start)) {
            name_set_commit(ns, start);
            return 0;
        }
        rc = k == 0 ? sl_buf_printf(&ns->text, "_%u", i) : sl_buf_printf(&ns->text, "_%u", k);
    }
    return rc;
}

static void free_columns(sl_csv_decoder *d) {
    free(d->names);
    free(d->name_off);
    free(d->name_len);
    free(d->name_plain);
    free(d->col_type);
    free(d->out_cols);
    free(d->keep_col);
    d->names = NULL;
    d->name_off = d->name_len = NULL;
    d->name_plain = d->col_type = d->keep_col = NULL;
    d->out_cols = NULL;
    d->ncols = d->nout = 0;
    d->have_columns = false;
    d->tmpl_batch = NULL;
    d->tmpl = NULL;
}

/* Text of span sp with escapes undone, into out (reset first). */
static void span_text(const sl_csv_decoder *d, const sl_csv_span *sp, sl_buf *out) {
    sl_buf_reset(out);
    const char *p = sp->p, *end = sp->p + sp->len;
    while (p < end) {
        const char *hit = sp->kind == SPAN_ESCAPED ? memchr(p, d->opt.escape, (size_t)(end - p)) : NULL;
        if (!hit) {
            sl_buf_add(out, p, (size_t)(end - p));
            return;
        }
        sl_buf_add(out, p, (size_t)(hit - p));
        if (end - hit < 2) return;
        sl_buf_addc(out, hit[1]);
        p = hit + 2;
    }
}

/* Is column i one of opt.keep_columns? */
static bool keeps(const sl_csv_decoder *d, uint32_t i) {
    for (size_t k = 0; k < d->n_keep; k++)
        if (strlen(d->keep[k]) == d->name_len[i] && memcmp(d->keep[k], d->names + d->name_off[i], d->name_len[i]) == 0)
            return true;
    return false;
}

/* Fixes the columns from row r: names from its fields (header) or _c0, _c1, … */
static int set_columns(sl_csv_decoder *d, const row_scan *r, bool named) {
    if (r->nfields > SL_CSV_MAX_COLUMNS) return SL_ELIMIT;
    free_columns(d);
    uint32_t n = (uint32_t)r->nfields;
    name_set ns;
    memset(&ns, 0, sizeof ns);
    sl_buf_init(&ns.text, SL_BUF_UNLIMITED);
    ns.off = sl_xmalloc(n * sizeof *ns.off);
    ns.len = sl_xmalloc(n * sizeof *ns.len);
    uint32_t slots = 16;
    while (slots < 2 * n)
        slots *= 2;
    ns.slots = sl_xcalloc(slots, sizeof *ns.slots);
    ns.mask = slots - 1;
    sl_buf tmp;
    sl_buf_init(&tmp, SL_BUF_UNLIMITED);
    for (uint32_t i = 0; i < n; i++) {
        if (named) {
            span_text(d, &d->spans[i], &tmp);
            name_set_add(&ns, i, tmp.data, tmp.len);
        } else {
            name_set_add(&ns, i, NULL, 0);
        }
    }
    sl_buf_free(&tmp);
    free(ns.slots);
    d->names = ns.text.data ? sl_buf_detach(&ns.text) : sl_xstrdup("");
    d->name_off = ns.off;
    d->name_len = ns.len;
    d->ncols = n;
    d->name_plain = sl_xmalloc(n ? n : 1);
    d->col_type = sl_xmalloc(n ? n : 1);
    for (uint32_t i = 0; i < n; i++) {
        d->name_plain[i] = sl_json_plain(d->names + d->name_off[i], d->name_len[i]);
        d->col_type[i] = SL_T__COUNT;
    }
    for (size_t t = 0; t < d->n_types; t++) {
        size_t len = strlen(d->types[t].name);
        for (uint32_t i = 0; i < n; i++)
            if (d->name_len[i] == len && memcmp(d->names + d->name_off[i], d->types[t].name, len) == 0)
                d->col_type[i] = (uint8_t)d->types[t].type;
    }
    if (d->span_cap < n) {
        d->span_cap = n;
        d->spans = sl_xrealloc(d->spans, n * sizeof *d->spans);
    }
    d->out_cols = sl_xmalloc((n ? n : 1) * sizeof *d->out_cols);
    d->keep_col = sl_xcalloc(n ? n : 1, 1);
    for (uint32_t i = 0; i < n; i++)
        if (!d->keep || d->col_type[i] != SL_T__COUNT || keeps(d, i)) {
            d->out_cols[d->nout++] = i;
            d->keep_col[i] = 1;
        }
    d->have_columns = true;
    return SL_OK;
}

/* Column names as a field template in the batch arena: records must not
 * point at memory the decoder owns (the batch may outlive it). */
static void batch_names(sl_csv_decoder *d, sl_batch *b) {
    if (d->tmpl && d->tmpl_batch == b && b->count > 0) return;
    uint32_t n = d->ncols;
    size_t text_len = n ? d->name_off[n - 1] + d->name_len[n - 1] : 0;
    char *text = sl_arena_alloc(&b->arena, text_len ? text_len : 1);
    memcpy(text, d->names, text_len);
    sl_field *t = sl_arena_alloc(&b->arena, (d->nout ? d->nout : 1) * sizeof *t);
    for (uint32_t j = 0; j < d->nout; j++) {
        uint32_t i = d->out_cols[j];
        t[j].name = text + d->name_off[i];
        t[j].name_len = d->name_len[i];
        t[j].name_flags = d->name_plain[i] ? SL_VF_JSON_PLAIN : 0;
        t[j].value = sl_null();
    }
    d->tmpl = t;
    d->tmpl_batch = b;
}

/* ---- decoder: values ---- */

static bool is_null_text(const sl_csv_decoder *d, const char *p, size_t n) {
    if (n == d->null_len && memcmp(p, d->null_text, n) == 0) return true;
    return d->null_marker && n == d->marker_len && memcmp(p, d->null_marker, n) == 0;
}

/* Copy of quoted text p[0..n) with its escapes undone, in the arena. */
static const char *unescape(const sl_csv_decoder *d, sl_arena *a, const char *p, size_t n, size_t *out_len) {
    char *out = sl_arena_alloc(a, n ? n : 1), *w = out;
    const char *end = p + n;
    while (p < end) {
        const char *hit = memchr(p, d->opt.escape, (size_t)(end - p));
        if (!hit) hit = end;
        memcpy(w, p, (size_t)(hit - p));
        w += hit - p;
        if (end - hit < 2) break; /* the scanner never leaves a lone escape at the end */
        *w++ = hit[1];
        p = hit + 2;
    }
    *out_len = (size_t)(w - out);
    return out;
}

static bool parse_bool_text(const char *s, size_t n, bool *b) {
    static const struct {
        const char *text;
        bool value;
    } words[] = {
        {"true", true}, {"false", false}, {"yes", true}, {"no", false}, {"1", true}, {"0", false},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].text) == n && equal_nocase(s, words[i].text, n)) {
            *b = words[i].value;
            return true;
        }
    }
    return false;
}

/* NaN, Infinity, inf (any case, Infinity and inf with a sign). */
static bool parse_special_double(const char *s, size_t n, double *d) {
    if (n == 3 && equal_nocase(s, "nan", 3)) {
        *d = NAN;
        return true;
    }
    bool negative = n && s[0] == '-';
    if (n && (s[0] == '-' || s[0] == '+')) s++, n--;
    if ((n == 8 && equal_nocase(s, "infinity", 8)) || (n == 3 && equal_nocase(s, "inf", 3))) {
        *d = negative ? -INFINITY : INFINITY;
        return true;
    }
    return false;
}

/* Text s[0..n) converted to a forced column type; false if it does not fit. */
static bool convert_forced(sl_type type, const char *s, size_t n, sl_value *out) {
    if (n == 0 && type != SL_T_STRING && type != SL_T_BINARY) {
        *out = sl_null();
        return true;
    }
    sl_value v;
    double d;
    int64_t i;
    switch (type) {
    case SL_T_NULL: *out = sl_null(); return true;
    case SL_T_STRING: *out = text_string(s, n); return true;
    case SL_T_BINARY: *out = sl_binary(s, n); return true;
    case SL_T_BOOL: *out = sl_bool(false); return parse_bool_text(s, n, &out->u.b);
    case SL_T_INT:
        if (!parse_number(s, n, &v) || v.type != SL_T_INT) return false;
        *out = v;
        return true;
    case SL_T_DOUBLE:
        if (parse_special_double(s, n, &d)) {
            *out = sl_double(d);
            return true;
        }
        if (!parse_number(s, n, &v)) return false;
        if (v.type == SL_T_INT)
            v = sl_double((double)v.u.i);
        else if (v.type == SL_T_DECIMAL)
            v = sl_double(strtod_n(s, n));
        *out = v;
        return true;
    case SL_T_DECIMAL:
        if (!parse_number(s, n, &v)) return false;
        *out = sl_decimal(s, n);
        return true;
    case SL_T_DATE:
        if (sl_parse_date(s, n, &i) < 0) return false;
        *out = sl_date(i);
        return true;
    case SL_T_TIMESTAMP:
        if (sl_parse_timestamp(s, n, &i) < 0) return false;
        *out = sl_timestamp(i);
        return true;
    default: return false;
    }
}

/* Value of field sp in column col. Returns false when a forced type does not
 * fit (why says so). */
static bool build_value(const sl_csv_decoder *d, sl_arena *a, const sl_csv_span *sp, uint32_t col, sl_value *out,
                        char *why, size_t why_size) {
    const char *p = sp->p;
    size_t n = sp->len;
    unsigned type = d->col_type[col];
    if (sp->kind == SPAN_PLAIN) {
        if (n == 0 || is_null_text(d, p, n)) {
            *out = sl_null();
            return true;
        }
        if (type == SL_T__COUNT) {
            if (d->opt.infer_types)
                sl_csv_infer_text(p, n, out);
            else
                *out = text_string(p, n);
            return true;
        }
    } else {
        if (sp->kind == SPAN_ESCAPED) p = unescape(d, a, p, n, &n);
        if (type == SL_T__COUNT) {
            *out = text_string(p, n);
            return true;
        }
    }
    if (convert_forced((sl_type)type, p, n, out)) return true;
    int shown = n > 64 ? 64 : (int)n;
    snprintf(why, why_size, "cannot convert '%.*s%s' in column '%.*s' to %s", shown, p, n > 64 ? "..." : "",
             (int)d->name_len[col], d->names + d->name_off[col], sl_type_name((sl_type)type));
    return false;
}

/* ---- decoder: rows ---- */

static int reject_row(sl_decode_ctx *ctx, sl_recloc loc, const char *why, const char *raw, size_t raw_len,
                      sl_error *err) {
    int rc = SL_EPARSE;
    if (ctx->reject) {
        rc = ctx->reject(ctx->ud, loc.line, loc.offset, why, raw, raw_len);
        if (rc >= 0) return SL_OK;
    }
    sl_error_set(err, rc, "csv: line %llu: %s", (unsigned long long)loc.line, why);
    if (err) {
        err->line = loc.line > INT32_MAX ? 0 : (int)loc.line;
        err->offset = loc.offset;
    }
    return rc;
}

static int fatal(sl_error *err, int code, sl_recloc loc, const char *what) {
    sl_error_set(err, code, "csv: line %llu: %s", (unsigned long long)loc.line, what);
    if (err) {
        err->line = loc.line > INT32_MAX ? 0 : (int)loc.line;
        err->offset = loc.offset;
    }
    return code;
}

static int emit_row(sl_csv_decoder *d, sl_decode_ctx *ctx, const row_scan *r, sl_recloc loc, sl_error *err) {
    char why[512];
    const char *raw = r->start;
    size_t raw_len = (size_t)(r->raw_end - r->start);
    if (r->reason) {
        if (r->bad_field < d->ncols)
            snprintf(why, sizeof why, "%s in column '%.*s'", r->reason, (int)d->name_len[r->bad_field],
                     d->names + d->name_off[r->bad_field]);
        else
            snprintf(why, sizeof why, "%s in field %zu", r->reason, r->bad_field + 1);
        return reject_row(ctx, loc, why, raw, raw_len, err);
    }
    if (r->nfields > d->ncols) {
        snprintf(why, sizeof why, "row has %zu fields, %s has %u", r->nfields, d->opt.header ? "header" : "first row",
                 d->ncols);
        return reject_row(ctx, loc, why, raw, raw_len, err);
    }
    sl_batch *b = ctx->batch;
    uint32_t n = d->nout;
    sl_field *f = sl_arena_alloc(&b->arena, (n ? n : 1) * sizeof *f);
    memcpy(f, d->tmpl, n * sizeof *f);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = d->out_cols[j];
        if (i >= r->nfields) break; /* missing trailing fields stay null */
        if (!build_value(d, &b->arena, &d->spans[i], i, &f[j].value, why, sizeof why))
            return reject_row(ctx, loc, why, raw, raw_len, err);
    }
    sl_batch_push(b, sl_struct(f, n), loc);
    return SL_OK;
}

static int too_wide(sl_error *err, sl_recloc loc, const row_scan *r) {
    char why[128];
    snprintf(why, sizeof why, "row has %zu fields, more than the limit of %d columns", r->nfields, SL_CSV_MAX_COLUMNS);
    return fatal(err, SL_ELIMIT, loc, why);
}

/* Handles one whole row: skips blank lines, takes the header, emits. */
static int take_row(sl_csv_decoder *d, scanner *s, sl_decode_ctx *ctx, const row_scan *r, sl_recloc loc,
                    sl_error *err) {
    char why[600];
    bool blank = r->raw_end == r->start;
    if (!d->have_columns) {
        if (blank) return SL_OK;
        if (d->opt.header) {
            if (r->reason) {
                snprintf(why, sizeof why, "malformed header row: %s", r->reason);
                return fatal(err, SL_EPARSE, loc, why);
            }
            if (set_columns(d, r, true) < 0) return too_wide(err, loc, r);
            scanner_limit(s, d->ncols);
            batch_names(d, ctx->batch);
            return SL_OK;
        }
        if (r->reason) {
            snprintf(why, sizeof why, "%s in field %zu", r->reason, r->bad_field + 1);
            return reject_row(ctx, loc, why, r->start, (size_t)(r->raw_end - r->start), err);
        }
        if (set_columns(d, r, false) < 0) return too_wide(err, loc, r);
        scanner_limit(s, d->ncols);
        batch_names(d, ctx->batch);
    }
    if (blank && d->ncols > 1) return SL_OK;
    return emit_row(d, ctx, r, loc, err);
}

/* Skips opt.skip_rows physical lines; false when more input is needed. */
static bool skip_lines(sl_csv_decoder *d, const char **pp, const char *end, bool at_eof, sl_decode_ctx *ctx) {
    const char *p = *pp;
    while (d->rows_skipped < d->opt.skip_rows) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        if (!nl) {
            if (!at_eof) break;
            p = end;
            d->rows_skipped = d->opt.skip_rows;
            break;
        }
        p = nl + 1;
        ctx->line++;
        d->rows_skipped++;
    }
    *pp = p;
    return d->rows_skipped >= d->opt.skip_rows;
}

int sl_csv_decode(sl_csv_decoder *d, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                  sl_error *err) {
    const char *p = buf, *end = buf + len;
    int rc = SL_OK;
    if (!d->started) {
        if (len < 3 && !at_eof && (len == 0 || memcmp(buf, utf8_bom, len) == 0)) goto out;
        if (len >= 3 && memcmp(buf, utf8_bom, 3) == 0) p += 3;
        d->started = true;
    }
    if (!skip_lines(d, &p, end, at_eof, ctx)) goto out;
    scanner s;
    scanner_init(&s, d, end, at_eof);
    size_t limit = ctx->max_records ? ctx->max_records : SIZE_MAX;
    if (d->have_columns) batch_names(d, ctx->batch);
    while (p < end && ctx->batch->count < limit) {
        row_scan r;
        sl_recloc loc = {ctx->line, ctx->offset + (int64_t)(p - buf)};
        if (scan_row(&s, p, &r) == ROW_MORE) {
            if (!at_eof) break;
            char why[128];
            snprintf(why, sizeof why, "unterminated quoted value (quote opened on line %llu)",
                     (unsigned long long)(loc.line + r.quote_line));
            const char *raw_end = end;
            while (raw_end > p && is_line_byte(raw_end[-1]))
                raw_end--;
            if (!d->have_columns && d->opt.header)
                rc = fatal(err, SL_EPARSE, loc, why);
            else
                rc = reject_row(ctx, loc, why, p, (size_t)(raw_end - p), err);
            ctx->line += count_lf(p, end);
            p = end;
            break;
        }
        rc = take_row(d, &s, ctx, &r, loc, err);
        ctx->line += r.newlines;
        p = r.next;
        if (rc < 0) break;
    }
out:
    *consumed = (size_t)(p - buf);
    ctx->offset += (int64_t)*consumed;
    return rc;
}

int sl_csv_decoder_set_header(sl_csv_decoder *d, const char *line, size_t len) {
    d->started = true;
    d->rows_skipped = d->opt.skip_rows;
    if (len >= 3 && memcmp(line, utf8_bom, 3) == 0) {
        line += 3;
        len -= 3;
    }
    scanner s;
    scanner_init(&s, d, line + len, true);
    row_scan r;
    if (scan_row(&s, line, &r) == ROW_MORE || r.reason) return SL_EPARSE;
    return set_columns(d, &r, d->opt.header);
}

uint32_t sl_csv_decoder_columns(const sl_csv_decoder *d) { return d->have_columns ? d->ncols : 0; }

const char *sl_csv_decoder_column(const sl_csv_decoder *d, uint32_t i, size_t *len) {
    if (!d->have_columns || i >= d->ncols) return NULL;
    if (len) *len = d->name_len[i];
    return d->names + d->name_off[i];
}

static char *dup_or_null(const char *s) { return s ? sl_xstrdup(s) : NULL; }

int sl_csv_decoder_init(sl_csv_decoder *d, const sl_csv_options *o) {
    memset(d, 0, sizeof *d);
    if (sl_csv_options_check(o, NULL) < 0) return SL_EINVAL;
    d->opt = *o;
    if (!d->opt.escape) d->opt.escape = d->opt.quote;
    d->null_text = sl_xstrdup(o->null_text ? o->null_text : "");
    d->null_len = strlen(d->null_text);
    d->null_marker = dup_or_null(o->null_marker);
    d->marker_len = d->null_marker ? strlen(d->null_marker) : 0;
    d->n_types = o->n_column_types;
    if (d->n_types) {
        d->types = sl_xmalloc(d->n_types * sizeof *d->types);
        for (size_t i = 0; i < d->n_types; i++) {
            d->types[i].name = sl_xstrdup(o->column_types[i].name);
            d->types[i].type = o->column_types[i].type;
        }
    }
    if (o->keep_columns && o->keep_columns->type == SL_T_LIST) {
        const sl_value *l = o->keep_columns;
        d->keep = sl_xcalloc(l->len ? l->len : 1, sizeof *d->keep);
        for (uint32_t i = 0; i < l->len; i++)
            if (l->u.items[i].type == SL_T_STRING)
                d->keep[d->n_keep++] = sl_xstrndup(l->u.items[i].u.s, l->u.items[i].len);
    }
    d->opt.keep_columns = NULL; /* borrowed: d->keep holds the copies */
    d->opt.null_text = d->null_text;
    d->opt.null_marker = d->null_marker;
    d->opt.column_types = d->types;
    return SL_OK;
}

void sl_csv_decoder_free(sl_csv_decoder *d) {
    free_columns(d);
    for (size_t i = 0; i < d->n_types; i++)
        free((char *)d->types[i].name);
    free(d->types);
    free(d->null_text);
    free(d->null_marker);
    free(d->spans);
    for (size_t i = 0; i < d->n_keep; i++)
        free(d->keep[i]);
    free(d->keep);
    memset(d, 0, sizeof *d);
}

/* ---- writer ---- */

int sl_csv_writer_init(sl_csv_writer *w, const sl_csv_options *o) {
    memset(w, 0, sizeof *w);
    if (sl_csv_options_check(o, NULL) < 0) return SL_EINVAL;
    const char *null_text = o->null_text ? o->null_text : "";
    for (const char *c = null_text; *c; c++)
        if (*c == o->delimiter || (o->quote && *c == o->quote) || is_line_byte(*c)) return SL_EINVAL;
    w->delimiter = o->delimiter;
    w->quote = o->quote;
    w->escape = o->escape ? o->escape : o->quote;
    w->header = o->header;
    w->crlf = o->crlf;
    w->null_text = sl_xstrdup(null_text);
    w->null_len = strlen(w->null_text);
    w->null_marker = dup_or_null(o->null_marker);
    w->marker_len = w->null_marker ? strlen(w->null_marker) : 0;
    sl_buf_init(&w->scratch, SL_BUF_UNLIMITED);
    w->special[(unsigned char)w->delimiter] = 1;
    w->special['\r'] = w->special['\n'] = 1;
    if (w->quote) w->special[(unsigned char)w->quote] = 1;
    return SL_OK;
}

void sl_csv_writer_free(sl_csv_writer *w) {
    free(w->null_text);
    free(w->null_marker);
    free(w->names);
    free(w->name_off);
    free(w->name_len);
    sl_buf_free(&w->scratch);
    memset(w, 0, sizeof *w);
}

static void writer_add_column(sl_csv_writer *w, sl_buf *text, size_t i, const char *name, size_t len) {
    w->name_off[i] = (uint32_t)text->len;
    w->name_len[i] = (uint32_t)len;
    sl_buf_add(text, name, len);
}

static void writer_finish_columns(sl_csv_writer *w, sl_buf *text) {
    w->names = text->data ? sl_buf_detach(text) : sl_xstrdup("");
    w->have_columns = true;
}

int sl_csv_writer_set_columns(sl_csv_writer *w, const char *const *names, size_t n) {
    if (w->have_columns) return SL_EINVAL;
    sl_buf text;
    sl_buf_init(&text, SL_BUF_UNLIMITED);
    w->ncols = n;
    w->name_off = sl_xmalloc((n ? n : 1) * sizeof *w->name_off);
    w->name_len = sl_xmalloc((n ? n : 1) * sizeof *w->name_len);
    for (size_t i = 0; i < n; i++)
        writer_add_column(w, &text, i, names[i], strlen(names[i]));
    writer_finish_columns(w, &text);
    return SL_OK;
}

static void writer_columns_from(sl_csv_writer *w, const sl_value *rec) {
    sl_buf text;
    sl_buf_init(&text, SL_BUF_UNLIMITED);
    size_t n = rec->len;
    w->ncols = n;
    w->name_off = sl_xmalloc((n ? n : 1) * sizeof *w->name_off);
    w->name_len = sl_xmalloc((n ? n : 1) * sizeof *w->name_len);
    for (size_t i = 0; i < n; i++)
        writer_add_column(w, &text, i, rec->u.fields[i].name, rec->u.fields[i].name_len);
    writer_finish_columns(w, &text);
}

/* Room for n more bytes and a NUL in out, within its maximum. */
static inline int room(sl_buf *out, size_t n) {
    if (n < out->cap - out->len && n <= out->max - out->len) return SL_OK;
    return sl_buf_reserve(out, n);
}

/* Appends s[0..n) to out without the NUL terminator, which
 * sl_csv_write_record adds once at the end of the record. */
static inline int put(sl_buf *out, const char *s, size_t n) {
    int rc = room(out, n);
    if (rc) return rc;
    memcpy(out->data + out->len, s, n);
    out->len += n;
    return SL_OK;
}

static inline int put_char(sl_buf *out, char c) {
    int rc = room(out, 1);
    if (rc) return rc;
    out->data[out->len++] = c;
    return SL_OK;
}

/* Does s[0..n) hold the delimiter, the quote, CR or LF? */
static inline bool has_special(const sl_csv_writer *w, const byteset *special, const char *s, size_t n) {
    if (n >= 16) return find_any(special, s, s + n) != s + n;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= w->special[(unsigned char)s[i]];
    return bad != 0;
}

/* Does text s[0..n) need quotes to read back as the same string? */
static bool needs_quotes(const sl_csv_writer *w, const byteset *special, const char *s, size_t n, bool first) {
    if (n == 0) return true;
    if (has_special(w, special, s, n)) return true;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t') return true;
    if (w->null_len && n == w->null_len && memcmp(s, w->null_text, n) == 0) return true;
    if (w->null_marker && n == w->marker_len && memcmp(s, w->null_marker, n) == 0) return true;
    return first && n >= 3 && memcmp(s, utf8_bom, 3) == 0;
}

/* Appends s[0..n) as one field, quoted when needed. */
static int write_text(const sl_csv_writer *w, const byteset *special, sl_buf *out, const char *s, size_t n,
                      bool first) {
    if (!w->quote) {
        if (has_special(w, special, s, n)) return SL_ETYPE;
        return put(out, s, n);
    }
    if (!needs_quotes(w, special, s, n, first)) return put(out, s, n);
    size_t extra = 2;
    for (size_t i = 0; i < n; i++)
        extra += s[i] == w->quote || s[i] == w->escape;
    if (n + extra > SL_BUF_UNLIMITED || sl_buf_reserve(out, n + extra) < 0) return SL_ELIMIT;
    char *o = out->data + out->len;
    *o++ = w->quote;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == w->quote || s[i] == w->escape) *o++ = w->escape;
        *o++ = s[i];
    }
    *o++ = w->quote;
    out->len = (size_t)(o - out->data);
    return SL_OK;
}

static int write_value(sl_csv_writer *w, const byteset *special, sl_buf *out, const sl_value *v, bool first) {
    int rc;
    if (!v || v->type == SL_T_NULL) return put(out, w->null_text, w->null_len);
    switch (v->type) {
    case SL_T_BOOL: return v->u.b ? put(out, "true", 4) : put(out, "false", 5);
    case SL_T_INT: { /* formatted in place when there is room for the longest */
        char num[24], *p = room(out, 21) == 0 ? out->data + out->len : num;
        int n = sl_format_int(v->u.i, p);
        if (p == num) return put(out, num, (size_t)n);
        out->len += (size_t)n;
        return SL_OK;
    }
    case SL_T_DOUBLE: {
        char num[40], *p = room(out, 33) == 0 ? out->data + out->len : num;
        int n = sl_format_double(v->u.d, p);
        if (p == num) return put(out, num, (size_t)n);
        out->len += (size_t)n;
        return SL_OK;
    }
    case SL_T_STRING:
    case SL_T_DECIMAL: return write_text(w, special, out, v->u.s, v->len, first);
    default: break;
    }
    /* Dates, timestamps and binary as the JSON writer spells them (without
     * the JSON quotes); lists and structs as compact JSON. */
    sl_buf_reset(&w->scratch);
    rc = sl_json_write(&w->scratch, v);
    if (rc < 0) return rc;
    const char *s = w->scratch.data;
    size_t len = w->scratch.len;
    if (v->type != SL_T_LIST && v->type != SL_T_STRUCT && len >= 2 && s[0] == '"' && s[len - 1] == '"') {
        s++;
        len -= 2;
    }
    return write_text(w, special, out, s, len, first);
}

static const sl_value *column_value(const sl_csv_writer *w, const sl_value *rec, size_t i) {
    const char *name = w->names + w->name_off[i];
    uint32_t len = w->name_len[i];
    if (i < rec->len) {
        const sl_field *f = &rec->u.fields[i];
        if (f->name_len == len && sl_name_eq(f->name, name, len)) return &f->value;
    }
    const sl_field *f = sl_struct_find(rec, name, len);
    return f ? &f->value : NULL;
}

static int write_line_end(const sl_csv_writer *w, sl_buf *out) {
    return w->crlf ? put(out, "\r\n", 2) : put_char(out, '\n');
}

int sl_csv_write_record(sl_csv_writer *w, sl_buf *out, const sl_value *rec, sl_error *err) {
    if (!rec || rec->type != SL_T_STRUCT) return sl_error_set(err, SL_ETYPE, "csv: record is not a struct");
    if (!w->have_columns) writer_columns_from(w, rec);
    byteset special;
    if (w->quote)
        byteset_init(&special, w->delimiter, w->quote, '\r', '\n');
    else
        byteset_init(&special, w->delimiter, '\r', '\n', '\n');
    size_t start = out->len;
    int rc = SL_OK;
    size_t bad_col = 0;
    if (w->records == 0 && w->header) {
        for (size_t i = 0; i < w->ncols && rc == 0; i++) {
            if (i) rc = put_char(out, w->delimiter);
            if (rc == 0) rc = write_text(w, &special, out, w->names + w->name_off[i], w->name_len[i], i == 0);
            bad_col = i;
        }
        if (rc == 0) rc = write_line_end(w, out);
    }
    size_t matched = 0;
    for (size_t i = 0; i < w->ncols && rc == 0; i++) {
        const sl_value *v = column_value(w, rec, i);
        matched += v != NULL;
        if (i) rc = put_char(out, w->delimiter);
        if (rc == 0) rc = write_value(w, &special, out, v, i == 0 && w->records == 0 && !w->header);
        bad_col = i;
    }
    if (rc == 0) rc = write_line_end(w, out);
    if (rc < 0) {
        out->len = start;
        if (out->data) out->data[start] = '\0';
        if (rc == SL_ETYPE)
            return sl_error_set(err, rc,
                                "csv: value in column '%.*s' holds the delimiter or a line break and "
                                "quoting is off",
                                (int)w->name_len[bad_col], w->names + w->name_off[bad_col]);
        if (rc == SL_ELIMIT) return sl_error_set(err, rc, "csv: output buffer limit reached");
        return sl_error_set(err, rc, "csv: cannot write column '%.*s'", (int)w->name_len[bad_col],
                            w->names + w->name_off[bad_col]);
    }
    out->data[out->len] = '\0'; /* the appends above leave room for it */
    if (rec->len > matched) w->dropped += rec->len - matched;
    w->records++;
    return SL_OK;
}

uint64_t sl_csv_writer_dropped_fields(const sl_csv_writer *w) { return w->dropped; }
