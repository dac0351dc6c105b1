/*
 * json_write.c — compact JSON writer.
 *
 * Writes straight into the output buffer: each value first makes sure the
 * buffer has room for its worst case (a string escapes to at most 6 bytes per
 * input byte), then appends without further checks. Strings flagged
 * SL_VF_JSON_PLAIN are copied 16 bytes at a time while the copy checks for
 * non-ASCII bytes; only strings that have some are UTF-8 validated, and an
 * invalid one is escaped after all so the output is always valid JSON.
 */
#include <math.h>
#include <string.h>

#include "formats/json.h"
#include "formats/json_int.h"

#define WRITE_MAX_DEPTH 4096

/* Is there room for n more bytes (plus the NUL the buffer keeps) without
 * growing, within out->max? */
static inline bool has_room(const sl_buf *out, size_t n) {
    return out->data && n < out->cap - out->len && n <= out->max - out->len;
}

/* Room for n more bytes. Callers pass a worst case only where it is close to
 * the real size, or retry with the exact size on SL_ELIMIT, so that a
 * bounded buffer fills up to its maximum. */
static inline int ensure(sl_buf *out, size_t n) {
    if (has_room(out, n)) return SL_OK;
    return sl_buf_reserve(out, n);
}

static inline char *wpos(sl_buf *out) { return out->data + out->len; }

/* ---- strings ---- */

/* Is s[0..len) valid UTF-8? */
static bool utf8_valid(const char *s, size_t len) {
    const char *p = s, *end = s + len;
    while (p < end) {
        if ((unsigned char)*p < 0x80) {
            p++;
            continue;
        }
        int n = sl_json_utf8_seq(p, end);
        if (n < 0) return false;
        p += n;
    }
    return true;
}

static const char hex_digits[] = "0123456789abcdef";

/* Exact length of the escaped form of s, quotes included. */
static size_t escaped_len(const char *s, size_t len) {
    size_t n = 2;
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *q = sl_json_scan(p, end);
        n += (size_t)(q - p);
        p = q;
        if (p == end) break;
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80) {
            int k = sl_json_utf8_seq(p, end);
            n += k > 0 ? (size_t)k : 6;
            p += k > 0 ? k : 1;
            continue;
        }
        n += c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 2 : 6;
        p++;
    }
    return n;
}

/* Escaped string, quotes included. Invalid UTF-8 bytes become \ufffd. */
static int write_escaped(sl_buf *out, const char *s, size_t len) {
    int rc = len <= (SL_BUF_UNLIMITED - 2) / 6 ? ensure(out, 6 * len + 2) : SL_ELIMIT;
    if (rc == SL_ELIMIT) rc = ensure(out, escaped_len(s, len));
    if (rc) return rc;
    char *w = wpos(out);
    *w++ = '"';
    const char *p = s, *end = s + len;
    while (p < end) {
        const char *q = sl_json_scan(p, end);
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        p = q;
        if (p == end) break;
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80) {
            int n = sl_json_utf8_seq(p, end);
            if (n > 0) {
                memcpy(w, p, (size_t)n);
                w += n;
                p += n;
            } else {
                memcpy(w, "\\ufffd", 6);
                w += 6;
                p++;
            }
            continue;
        }
        *w++ = '\\';
        switch (c) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '\b': *w++ = 'b'; break;
        case '\f': *w++ = 'f'; break;
        case '\n': *w++ = 'n'; break;
        case '\r': *w++ = 'r'; break;
        case '\t': *w++ = 't'; break;
        default:
            memcpy(w, "u00", 3);
            w[3] = hex_digits[c >> 4];
            w[4] = hex_digits[c & 15];
            w += 5;
            break;
        }
        p++;
    }
    *w++ = '"';
    out->len = (size_t)(w - out->data);
    return SL_OK;
}

/* Copies len bytes from s to w and returns the OR of all bytes & 0x80
 * (non-zero when the text has non-ASCII bytes). Short strings use two
 * overlapping loads instead of a byte loop. */
static inline unsigned copy_check_ascii(char *w, const char *s, size_t len) {
    uint64_t a, b;
    if (len >= 16) {
#ifdef __SSE2__
        __m128i acc = _mm_setzero_si128();
        size_t i = 0;
        for (; i + 16 <= len; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)(w + i), v);
            acc = _mm_or_si128(acc, v);
        }
        if (i < len) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + len - 16));
            _mm_storeu_si128((__m128i *)(void *)(w + len - 16), v);
            acc = _mm_or_si128(acc, v);
        }
        return (unsigned)_mm_movemask_epi8(acc);
#else
        uint64_t acc = 0;
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            memcpy(&a, s + i, 8);
            memcpy(w + i, &a, 8);
            acc |= a;
        }
        memcpy(&a, s + len - 8, 8);
        memcpy(w + len - 8, &a, 8);
        return (acc | a) & 0x8080808080808080ull ? 1 : 0;
#endif
    }
    if (len >= 8) {
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
        memcpy(w, &a, 8);
        memcpy(w + len - 8, &b, 8);
        return (a | b) & 0x8080808080808080ull ? 1 : 0;
    }
    if (len >= 4) {
        uint32_t c, d;
        memcpy(&c, s, 4);
        memcpy(&d, s + len - 4, 4);
        memcpy(w, &c, 4);
        memcpy(w + len - 4, &d, 4);
        return (c | d) & 0x80808080u ? 1 : 0;
    }
    unsigned high = 0;
    for (size_t i = 0; i < len; i++) {
        w[i] = s[i];
        high |= (unsigned char)s[i];
    }
    return high & 0x80;
}

/* String known to need no escaping: copy it, checking UTF-8 only when it
 * has non-ASCII bytes and no reader vouched for it (SL_VF_UTF8). Quotes
 * included. */
static int write_plain(sl_buf *out, const char *s, size_t len, unsigned flags) {
    int rc = ensure(out, len + 2);
    if (rc) return rc;
    char *w = wpos(out);
    *w++ = '"';
    if (copy_check_ascii(w, s, len) && !(flags & SL_VF_UTF8) && !utf8_valid(s, len)) return write_escaped(out, s, len);
    w[len] = '"';
    out->len += len + 2;
    return SL_OK;
}

int sl_json_write_string(sl_buf *out, const char *s, size_t len) {
    size_t len0 = out->len;
    int rc = write_escaped(out, s, len);
    if (rc) {
        out->len = len0;
        return rc;
    }
    out->data[out->len] = '\0';
    return SL_OK;
}

static inline int write_str(sl_buf *out, const char *s, size_t len, unsigned flags) {
    return (flags & SL_VF_JSON_PLAIN) ? write_plain(out, s, len, flags) : write_escaped(out, s, len);
}

/* ---- numbers ---- */

/* Is s[0..len) a JSON number (RFC 8259 grammar, the whole text)? */
static bool is_json_number(const char *s, size_t len) {
    const char *p = s, *end = s + len;
    if (p < end && *p == '-') p++;
    if (p == end) return false;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return false;
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end || *p < '0' || *p > '9') return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p == end || *p < '0' || *p > '9') return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p == end;
}

static int write_raw(sl_buf *out, const char *s, size_t len) {
    int rc = ensure(out, len);
    if (rc) return rc;
    sl_buf_add_unchecked(out, s, len);
    return SL_OK;
}

/* ---- dates and times (proleptic Gregorian, UTC) ---- */

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Civil date of a day count since 1970-01-01 (era-based, 400-year cycles). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365], from March 1 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static char *put2(char *w, unsigned v) {
    w[0] = (char)('0' + v / 10);
    w[1] = (char)('0' + v % 10);
    return w + 2;
}

/* "YYYY-MM-DD" (years outside 0..9999 get a sign or more digits). */
static char *put_date(char *w, int64_t days) {
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0) {
        *w++ = '-';
        y = -y;
    }
    if (y < 10000) {
        w = put2(w, (unsigned)(y / 100));
        w = put2(w, (unsigned)(y % 100));
    } else {
        char tmp[21];
        int n = sl_format_int(y, tmp);
        memcpy(w, tmp, (size_t)n);
        w += n;
    }
    *w++ = '-';
    w = put2(w, m);
    *w++ = '-';
    return put2(w, d);
}

/* Dates further than about eight million years from 1970 have no useful
 * text form; they are written as null. */
#define DATE_DAYS_LIMIT 3000000000LL

static int write_date(sl_buf *out, int64_t days) {
    if (days > DATE_DAYS_LIMIT || days < -DATE_DAYS_LIMIT) return write_raw(out, "null", 4);
    char tmp[40], *w = tmp;
    *w++ = '"';
    w = put_date(w, days);
    *w++ = '"';
    return write_raw(out, tmp, (size_t)(w - tmp));
}

static int write_timestamp(sl_buf *out, int64_t micros) {
    int64_t days = micros / 86400000000LL;
    int64_t in_day = micros % 86400000000LL;
    if (in_day < 0) {
        in_day += 86400000000LL;
        days--;
    }
    unsigned secs = (unsigned)(in_day / 1000000);
    unsigned frac = (unsigned)(in_day % 1000000);
    char tmp[64], *w = tmp;
    *w++ = '"';
    w = put_date(w, days);
    *w++ = 'T';
    w = put2(w, secs / 3600);
    *w++ = ':';
    w = put2(w, secs / 60 % 60);
    *w++ = ':';
    w = put2(w, secs % 60);
    if (frac) {
        *w++ = '.';
        unsigned digits = frac % 1000 ? 6 : 3;
        unsigned v = digits == 6 ? frac : frac / 1000;
        for (unsigned i = digits; i-- > 0; v /= 10)
            w[i] = (char)('0' + v % 10);
        w += digits;
    }
    *w++ = 'Z';
    *w++ = '"';
    return write_raw(out, tmp, (size_t)(w - tmp));
}

/* ---- binary ---- */

static int write_base64(sl_buf *out, const unsigned char *s, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int rc = ensure(out, (len + 2) / 3 * 4 + 2);
    if (rc) return rc;
    char *w = wpos(out);
    *w++ = '"';
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        w[0] = alphabet[v >> 18];
        w[1] = alphabet[v >> 12 & 63];
        w[2] = alphabet[v >> 6 & 63];
        w[3] = alphabet[v & 63];
        w += 4;
    }
    if (i < len) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);
        w[0] = alphabet[v >> 18];
        w[1] = alphabet[v >> 12 & 63];
        w[2] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
        w[3] = '=';
        w += 4;
    }
    *w++ = '"';
    out->len = (size_t)(w - out->data);
    return SL_OK;
}

/* ---- values ---- */

static int write_value(sl_buf *out, const sl_value *v, int depth) {
    int rc;
    switch ((sl_type)v->type) {
    case SL_T_STRING: return write_str(out, v->u.s, v->len, v->flags);
    case SL_T_INT: {
        if (has_room(out, 21)) {
            out->len += (size_t)sl_format_int(v->u.i, wpos(out));
            return SL_OK;
        }
        char tmp[21];
        return write_raw(out, tmp, (size_t)sl_format_int(v->u.i, tmp));
    }
    case SL_T_DOUBLE: {
        if (!isfinite(v->u.d)) return write_raw(out, "null", 4);
        char tmp[33];
        return write_raw(out, tmp, (size_t)sl_format_double(v->u.d, tmp));
    }
    case SL_T_BOOL: return v->u.b ? write_raw(out, "true", 4) : write_raw(out, "false", 5);
    case SL_T_DECIMAL:
        if (is_json_number(v->u.s, v->len)) return write_raw(out, v->u.s, v->len);
        return write_escaped(out, v->u.s, v->len);
    case SL_T_DATE: return write_date(out, v->u.i);
    case SL_T_TIMESTAMP: return write_timestamp(out, v->u.i);
    case SL_T_BINARY: return write_base64(out, (const unsigned char *)v->u.s, v->len);
    case SL_T_LIST:
        if (depth >= WRITE_MAX_DEPTH) return SL_EINVAL;
        if ((rc = ensure(out, 2)) != 0) return rc;
        out->data[out->len++] = '[';
        for (uint32_t i = 0; i < v->len; i++) {
            if (i) {
                if ((rc = ensure(out, 1)) != 0) return rc;
                out->data[out->len++] = ',';
            }
            if ((rc = write_value(out, &v->u.items[i], depth + 1)) != 0) return rc;
        }
        if ((rc = ensure(out, 1)) != 0) return rc;
        out->data[out->len++] = ']';
        return SL_OK;
    case SL_T_STRUCT:
        if (depth >= WRITE_MAX_DEPTH) return SL_EINVAL;
        if ((rc = ensure(out, 2)) != 0) return rc;
        out->data[out->len++] = '{';
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            if (i) {
                if ((rc = ensure(out, 1)) != 0) return rc;
                out->data[out->len++] = ',';
            }
            if ((rc = write_str(out, f->name, f->name_len, f->name_flags)) != 0) return rc;
            if ((rc = ensure(out, 1)) != 0) return rc;
            out->data[out->len++] = ':';
            if ((rc = write_value(out, &f->value, depth + 1)) != 0) return rc;
        }
        if ((rc = ensure(out, 1)) != 0) return rc;
        out->data[out->len++] = '}';
        return SL_OK;
    case SL_T_NULL:
    default: return write_raw(out, "null", 4);
    }
}

int sl_json_write(sl_buf *out, const sl_value *v) {
    size_t len0 = out->len;
    int rc = write_value(out, v, 0);
    if (rc) {
        out->len = len0;
        if (out->data) out->data[len0] = '\0';
        return rc;
    }
    out->data[out->len] = '\0';
    return SL_OK;
}
