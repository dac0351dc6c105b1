/*
 * expr_func.c — the built-in functions of the expression language and the
 * table the compiler resolves names against (with "did you mean" hints).
 *
 * Each function receives its arguments evaluated. Functions flagged
 * EXPR_FN_STRICT never see a null argument (a null argument gives null).
 * String functions accept any scalar and work on its text form; lengths
 * and positions count UTF-8 characters.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <time.h>

#include "core/expr_int.h"

/* ---- argument helpers ---- */

static sl_value text_arg(expr_eval_ctx *ctx, const sl_value *v) { return sl_expr_text_of(ctx->arena, v); }

static int int_arg(expr_eval_ctx *ctx, const sl_value *v, int64_t *out) {
    sl_value i;
    int rc = sl_expr_cast(ctx->arena, v, SL_T_INT, &i, ctx->err);
    if (rc) return rc;
    *out = i.u.i;
    return 0;
}

/* A number argument: INT, DOUBLE or DECIMAL as given; strings are read as
 * numbers. */
static int num_arg(expr_eval_ctx *ctx, const sl_value *v, sl_value *out) {
    if (v->type == SL_T_INT || v->type == SL_T_DOUBLE || v->type == SL_T_DECIMAL) {
        *out = *v;
        return 0;
    }
    if (v->type == SL_T_STRING && sl_expr_parse_number(v->u.s, v->len, out) == 0) return 0;
    char desc[96];
    sl_expr_describe(ctx->arena, v, desc, sizeof desc);
    return sl_error_set(ctx->err, SL_ETYPE, "%s is not a number", desc);
}

static int dec_arg(expr_eval_ctx *ctx, const sl_value *v, expr_dec *d) {
    if (sl_expr_dec_parse(v->u.s, v->len, d) == 0) return 0;
    return sl_error_set(ctx->err, SL_ETYPE, "malformed decimal '%.*s'", v->len > 40 ? 40 : (int)v->len, v->u.s);
}

static int too_long(expr_eval_ctx *ctx) {
    return sl_error_set(ctx->err, SL_ETYPE, "result larger than %zu MiB", EXPR_MAX_RESULT >> 20);
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

/* Byte offset of the character at index `chars` (clamped to len). */
static size_t char_offset(const char *s, size_t len, int64_t chars) {
    size_t i = 0;
    uint32_t cp;
    for (int64_t k = 0; k < chars && i < len; k++)
        i += sl_expr_utf8_next(s + i, len - i, &cp);
    return i;
}

/* ---- string functions ---- */

static int map_case(expr_eval_ctx *ctx, const sl_value *arg, uint32_t (*map)(uint32_t), sl_value *out) {
    sl_value s = text_arg(ctx, arg);
    char *p = sl_arena_alloc(ctx->arena, (size_t)s.len + 1);
    size_t i = 0;
    bool lower = map == sl_expr_lower_cp;
    while (i < s.len) {
        unsigned char c = (unsigned char)s.u.s[i];
        if (c < 0x80) { /* ASCII fast path: most text in logs and keys */
            if (lower) p[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            else p[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = sl_expr_utf8_next(s.u.s + i, s.len - i, &cp);
        char enc[4];
        /* every mapping keeps the encoded length; anything else is copied */
        if (sl_expr_utf8_put(map(cp), enc) == n)
            memcpy(p + i, enc, n);
        else
            memcpy(p + i, s.u.s + i, n);
        i += n;
    }
    p[s.len] = 0;
    *out = sl_string(p, s.len, s.flags);
    return 0;
}

static int fn_lower(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return map_case(ctx, &a[0], sl_expr_lower_cp, out);
}

static int fn_upper(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return map_case(ctx, &a[0], sl_expr_upper_cp, out);
}

static int trim_sides(expr_eval_ctx *ctx, const sl_value *arg, bool left, bool right, sl_value *out) {
    sl_value s = text_arg(ctx, arg);
    size_t b = 0, e = s.len;
    while (left && b < e && is_space(s.u.s[b]))
        b++;
    while (right && e > b && is_space(s.u.s[e - 1]))
        e--;
    *out = sl_string(s.u.s + b, e - b, s.flags);
    return 0;
}

static int fn_trim(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return trim_sides(ctx, &a[0], true, true, out);
}

static int fn_ltrim(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return trim_sides(ctx, &a[0], true, false, out);
}

static int fn_rtrim(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return trim_sides(ctx, &a[0], false, true, out);
}

static int fn_length(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    if (a[0].type == SL_T_LIST || a[0].type == SL_T_STRUCT || a[0].type == SL_T_BINARY) {
        *out = sl_int(a[0].len);
        return 0;
    }
    sl_value s = text_arg(ctx, &a[0]);
    *out = sl_int((int64_t)sl_expr_utf8_count(s.u.s, s.len));
    return 0;
}

static int fn_substr(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    int64_t start, count = INT64_MAX;
    int rc = int_arg(ctx, &a[1], &start);
    if (!rc && n > 2) rc = int_arg(ctx, &a[2], &count);
    if (rc) return rc;
    sl_value s = text_arg(ctx, &a[0]);
    /* Spark's rules: 1-based; 0 acts as 1; negative counts from the end */
    int64_t chars = start < 0 ? (int64_t)sl_expr_utf8_count(s.u.s, s.len) : 0;
    int64_t begin = start > 0 ? start - 1 : start < 0 ? chars + start : 0;
    int64_t end;
    if (count < 0)
        end = begin;
    else if (__builtin_add_overflow(begin, count, &end))
        end = INT64_MAX;
    if (begin < 0) begin = 0;
    if (end <= begin) {
        *out = sl_string("", 0, SL_VF_JSON_PLAIN);
        return 0;
    }
    size_t b = char_offset(s.u.s, s.len, begin);
    size_t e = b + char_offset(s.u.s + b, s.len - b, end - begin);
    *out = sl_string(s.u.s + b, e - b, s.flags);
    return 0;
}

/* concat skips null arguments (like PostgreSQL); `||` does not. */
static int fn_concat(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    uint64_t total = 0;
    unsigned flags = SL_VF_JSON_PLAIN;
    sl_value *texts = sl_arena_alloc(ctx->arena, n * sizeof *texts);
    for (uint32_t i = 0; i < n; i++) {
        texts[i] = a[i].type == SL_T_NULL ? sl_string("", 0, SL_VF_JSON_PLAIN) : text_arg(ctx, &a[i]);
        total += texts[i].len;
        flags &= texts[i].flags;
    }
    if (total > EXPR_MAX_RESULT) return too_long(ctx);
    char *p = sl_arena_alloc(ctx->arena, (size_t)total + 1);
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        memcpy(p + at, texts[i].u.s, texts[i].len);
        at += texts[i].len;
    }
    p[at] = 0;
    *out = sl_string(p, at, flags);
    return 0;
}

/* First occurrence of needle in s[0..len), or NULL. memchr for the first
 * byte, then memcmp: sanitizer builds check only the bytes this reads,
 * where memmem is checked over the whole haystack on every call. */
static const char *find_bytes(const char *s, size_t len, const char *needle, size_t nlen) {
    if (nlen == 0) return s;
    const char *end = s + len;
    while ((size_t)(end - s) >= nlen) {
        const char *hit = memchr(s, needle[0], (size_t)(end - s) - nlen + 1);
        if (!hit) return NULL;
        if (memcmp(hit + 1, needle + 1, nlen - 1) == 0) return hit;
        s = hit + 1;
    }
    return NULL;
}

static int fn_replace(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value s = text_arg(ctx, &a[0]), from = text_arg(ctx, &a[1]), to = text_arg(ctx, &a[2]);
    if (from.len == 0) {
        *out = s;
        return 0;
    }
    uint64_t hits = 0;
    for (const char *p = s.u.s, *end = s.u.s + s.len; (p = find_bytes(p, (size_t)(end - p), from.u.s, from.len));
         p += from.len)
        hits++;
    uint64_t total = s.len + hits * to.len - hits * from.len;
    if (total > EXPR_MAX_RESULT) return too_long(ctx);
    char *r = sl_arena_alloc(ctx->arena, (size_t)total + 1);
    size_t at = 0;
    const char *p = s.u.s, *end = s.u.s + s.len;
    for (const char *hit; (hit = find_bytes(p, (size_t)(end - p), from.u.s, from.len)); p = hit + from.len) {
        memcpy(r + at, p, (size_t)(hit - p));
        at += (size_t)(hit - p);
        memcpy(r + at, to.u.s, to.len);
        at += to.len;
    }
    memcpy(r + at, p, (size_t)(end - p));
    at += (size_t)(end - p);
    r[at] = 0;
    *out = sl_string(r, at, sl_json_plain(r, at) ? SL_VF_JSON_PLAIN : 0);
    return 0;
}

/* split by a literal separator (not a regular expression); an empty
 * separator splits into characters. */
static int fn_split(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value s = text_arg(ctx, &a[0]), sep = text_arg(ctx, &a[1]);
    size_t count = 1;
    if (sep.len == 0) {
        count = s.len ? sl_expr_utf8_count(s.u.s, s.len) : 1;
    } else {
        for (const char *p = s.u.s, *end = s.u.s + s.len; (p = find_bytes(p, (size_t)(end - p), sep.u.s, sep.len));
             p += sep.len)
            count++;
    }
    if (count > EXPR_MAX_RESULT / sizeof(sl_value)) return too_long(ctx);
    sl_value *items = sl_arena_alloc(ctx->arena, count * sizeof *items);
    const char *p = s.u.s, *end = s.u.s + s.len;
    for (size_t i = 0; i < count; i++) {
        size_t piece;
        if (sep.len == 0) {
            uint32_t cp;
            piece = p < end ? sl_expr_utf8_next(p, (size_t)(end - p), &cp) : 0;
        } else {
            const char *hit = i + 1 < count ? find_bytes(p, (size_t)(end - p), sep.u.s, sep.len) : end;
            piece = (size_t)(hit - p);
        }
        items[i] = sl_string(p, piece, s.flags);
        p += piece + (sep.len && i + 1 < count ? sep.len : 0);
    }
    *out = sl_list(items, count);
    return 0;
}

static int fn_starts_with(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value s = text_arg(ctx, &a[0]), p = text_arg(ctx, &a[1]);
    *out = sl_bool(p.len <= s.len && memcmp(s.u.s, p.u.s, p.len) == 0);
    return 0;
}

static int fn_ends_with(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value s = text_arg(ctx, &a[0]), p = text_arg(ctx, &a[1]);
    *out = sl_bool(p.len <= s.len && memcmp(s.u.s + s.len - p.len, p.u.s, p.len) == 0);
    return 0;
}

static int fn_contains(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value s = text_arg(ctx, &a[0]), p = text_arg(ctx, &a[1]);
    *out = sl_bool(find_bytes(s.u.s, s.len, p.u.s, p.len) != NULL);
    return 0;
}

/* ---- numeric functions ---- */

static int fn_abs(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value x;
    int rc = num_arg(ctx, &a[0], &x);
    if (rc) return rc;
    if (x.type == SL_T_INT) {
        if (x.u.i == INT64_MIN)
            return sl_error_set(ctx->err, SL_ETYPE, "integer overflow: abs(%lld)", (long long)x.u.i);
        *out = sl_int(x.u.i < 0 ? -x.u.i : x.u.i);
    } else if (x.type == SL_T_DOUBLE) {
        *out = sl_double(fabs(x.u.d));
    } else {
        bool sign = x.len && (x.u.s[0] == '-' || x.u.s[0] == '+');
        *out = sl_decimal(x.u.s + sign, x.len - sign);
    }
    return 0;
}

/* Rounds |i| to a multiple of 10^places (places > 0), half away from zero. */
static int round_int(expr_eval_ctx *ctx, int64_t i, int64_t places, sl_value *out) {
    if (places > 19) {
        *out = sl_int(0);
        return 0;
    }
    uint64_t unit = 1;
    for (int64_t k = 0; k < places; k++)
        unit *= 10;
    uint64_t mag = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    uint64_t q = mag / unit, r = mag % unit;
    if (r >= unit - r) q++; /* r * 2 >= unit without overflow */
    uint64_t limit = i < 0 ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (q != 0 && q > limit / unit)
        return sl_error_set(ctx->err, SL_ETYPE, "integer overflow rounding %lld", (long long)i);
    uint64_t m = q * unit;
    *out = sl_int(i < 0 ? (int64_t)(0 - m) : (int64_t)m);
    return 0;
}

/* Decimal-text rounding of v (a double or a decimal) with the given mode. */
static const char *round_text(expr_eval_ctx *ctx, const sl_value *v, int64_t digits, int mode, size_t *len) {
    char tmp[48];
    expr_dec d;
    if (v->type == SL_T_DOUBLE)
        sl_expr_dec_parse(tmp, (size_t)sl_format_double(v->u.d, tmp), &d);
    else if (dec_arg(ctx, v, &d) != 0)
        return NULL;
    return sl_expr_dec_round(ctx->arena, &d, digits, mode, len);
}

static int fn_round(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value x;
    int64_t digits = 0;
    int rc = num_arg(ctx, &a[0], &x);
    if (!rc && n > 1) rc = int_arg(ctx, &a[1], &digits);
    if (rc) return rc;
    if (x.type == SL_T_INT) {
        if (digits >= 0) {
            *out = x;
            return 0;
        }
        return round_int(ctx, x.u.i, digits < -20 ? 20 : -digits, out);
    }
    if (x.type == SL_T_DOUBLE && !isfinite(x.u.d)) {
        *out = x;
        return 0;
    }
    /* through the shortest decimal text, so round(2.675, 2) is 2.68 as written */
    size_t len;
    const char *text = round_text(ctx, &x, digits, EXPR_ROUND_HALF_UP, &len);
    if (!text) return SL_ETYPE;
    if (x.type == SL_T_DECIMAL) {
        *out = sl_decimal(text, len);
        return 0;
    }
    expr_dec d;
    sl_expr_dec_parse(text, len, &d);
    *out = sl_double(sl_expr_dec_to_double(&d));
    return 0;
}

static int floor_ceil(expr_eval_ctx *ctx, const sl_value *arg, int mode, sl_value *out) {
    sl_value x;
    int rc = num_arg(ctx, arg, &x);
    if (rc) return rc;
    if (x.type == SL_T_INT) {
        *out = x;
        return 0;
    }
    if (x.type == SL_T_DOUBLE) {
        double r = mode == EXPR_ROUND_FLOOR ? floor(x.u.d) : ceil(x.u.d);
        bool fits = r >= -9223372036854775808.0 && r < 9223372036854775808.0;
        *out = fits ? sl_int((int64_t)r) : sl_double(r);
        return 0;
    }
    size_t len;
    const char *text = round_text(ctx, &x, 0, mode, &len);
    if (!text) return SL_ETYPE;
    expr_dec d;
    int64_t i;
    sl_expr_dec_parse(text, len, &d);
    *out = sl_expr_dec_to_int(&d, &i) == 0 ? sl_int(i) : sl_decimal(text, len);
    return 0;
}

static int fn_floor(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return floor_ceil(ctx, &a[0], EXPR_ROUND_FLOOR, out);
}

static int fn_ceil(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return floor_ceil(ctx, &a[0], EXPR_ROUND_CEIL, out);
}

static double as_double(const sl_value *x) {
    if (x->type == SL_T_INT) return (double)x->u.i;
    if (x->type == SL_T_DOUBLE) return x->u.d;
    expr_dec d;
    return sl_expr_dec_parse(x->u.s, x->len, &d) == 0 ? sl_expr_dec_to_double(&d) : NAN;
}

static int fn_mod(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    sl_value x, y;
    int rc = num_arg(ctx, &a[0], &x);
    if (!rc) rc = num_arg(ctx, &a[1], &y);
    if (rc) return rc;
    if (x.type == SL_T_INT && y.type == SL_T_INT) {
        *out = y.u.i == 0 ? sl_null() : sl_int(y.u.i == -1 ? 0 : x.u.i % y.u.i);
        return 0;
    }
    double b = as_double(&y);
    *out = b == 0 ? sl_null() : sl_double(fmod(as_double(&x), b));
    return 0;
}

/* ---- conversions ---- */

static int fn_to_int(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return sl_expr_cast(ctx->arena, &a[0], SL_T_INT, out, ctx->err);
}

static int fn_to_double(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    return sl_expr_cast(ctx->arena, &a[0], SL_T_DOUBLE, out, ctx->err);
}

static int fn_to_string(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    *out = text_arg(ctx, &a[0]);
    return 0;
}

/* ---- time ---- */

/* A timestamp argument (microseconds): timestamps as they are, dates at
 * midnight UTC, numbers as epoch milliseconds, text as ISO 8601. */
static int ts_arg(expr_eval_ctx *ctx, const sl_value *v, int64_t *us) {
    if (v->type == SL_T_TIMESTAMP) return *us = v->u.i, 0;
    if (v->type == SL_T_DATE) return *us = v->u.i * 86400000000LL, 0;
    if (v->type == SL_T_INT) return *us = v->u.i * 1000, 0;
    if (v->type == SL_T_DOUBLE) return *us = (int64_t)(v->u.d * 1000.0), 0;
    sl_value t;
    int rc = sl_expr_cast(ctx->arena, v, SL_T_TIMESTAMP, &t, ctx->err);
    if (!rc) *us = t.u.i;
    return rc;
}

static void civil_parts(int64_t us, struct tm *tm) {
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    time_t t = (time_t)secs;
    gmtime_r(&t, tm);
}

static int time_part(expr_eval_ctx *ctx, const sl_value *a, int which, sl_value *out) {
    int64_t us;
    int rc = ts_arg(ctx, a, &us);
    if (rc) return rc;
    struct tm tm;
    civil_parts(us, &tm);
    int v[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
    *out = sl_int(v[which]);
    return 0;
}

static int fn_year(expr_eval_ctx *c, const sl_value *a, uint32_t n, sl_value *o) { return time_part(c, a, 0, o); }
static int fn_month(expr_eval_ctx *c, const sl_value *a, uint32_t n, sl_value *o) { return time_part(c, a, 1, o); }
static int fn_day(expr_eval_ctx *c, const sl_value *a, uint32_t n, sl_value *o) { return time_part(c, a, 2, o); }
static int fn_hour(expr_eval_ctx *c, const sl_value *a, uint32_t n, sl_value *o) { return time_part(c, a, 3, o); }
static int fn_minute(expr_eval_ctx *c, const sl_value *a, uint32_t n, sl_value *o) { return time_part(c, a, 4, o); }
static int fn_second(expr_eval_ctx *c, const sl_value *a, uint32_t n, sl_value *o) { return time_part(c, a, 5, o); }

static int fn_epoch_millis(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    int64_t us;
    int rc = ts_arg(ctx, a, &us);
    if (!rc) *out = sl_int(us >= 0 ? us / 1000 : -((-us + 999) / 1000));
    return rc;
}

/* to_timestamp(x): epoch millis or ISO 8601; to_timestamp(text, format):
 * strptime(3) conversions (%Y-%m-%d %H:%M:%S …), UTC. */
static int fn_to_timestamp(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    if (n == 1) {
        int64_t us;
        int rc = ts_arg(ctx, &a[0], &us);
        if (!rc) *out = sl_timestamp(us);
        return rc;
    }
    sl_value s = text_arg(ctx, &a[0]), f = text_arg(ctx, &a[1]);
    char *text = sl_arena_strndup(ctx->arena, s.u.s, s.len), *fmt = sl_arena_strndup(ctx->arena, f.u.s, f.len);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_mday = 1;
    const char *end = strptime(text, fmt, &tm);
    if (!end || *end)
        return sl_error_set(ctx->err, SL_ETYPE, "cannot read '%.60s' as a timestamp with format '%.40s'", text, fmt);
    *out = sl_timestamp((int64_t)timegm(&tm) * 1000000);
    return 0;
}

/* date_format(x, format): strftime(3) conversions, UTC. */
static int fn_date_format(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    int64_t us;
    int rc = ts_arg(ctx, &a[0], &us);
    if (rc) return rc;
    sl_value f = text_arg(ctx, &a[1]);
    char *fmt = sl_arena_strndup(ctx->arena, f.u.s, f.len);
    struct tm tm;
    civil_parts(us, &tm);
    char buf[256];
    size_t len = strftime(buf, sizeof buf, fmt, &tm);
    if (len == 0 && fmt[0]) return sl_error_set(ctx->err, SL_ETYPE, "date_format: result too long or empty format");
    *out = sl_string_copy(ctx->arena, buf, len);
    return 0;
}

static int fn_now(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *out = sl_timestamp((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
    return 0;
}

/* ---- regular expressions (PCRE2) ---- */

/* The pattern is compiled for each call (and freed at once): simple and
 * leak-free across worker threads; caching compiled patterns per expression
 * is the obvious next step if regexp functions become hot. */
static int regex_compile(expr_eval_ctx *ctx, const sl_value *pat, pcre2_code **out, pcre2_match_data **md) {
    sl_value p = text_arg(ctx, pat);
    int code;
    PCRE2_SIZE off;
    *out = pcre2_compile((PCRE2_SPTR)(p.u.s ? p.u.s : ""), p.len, PCRE2_UTF, &code, &off, NULL);
    if (!*out) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(code, msg, sizeof msg);
        return sl_error_set(ctx->err, SL_ETYPE, "bad regular expression '%.*s' at %zu: %s", (int)(p.len > 60 ? 60 : p.len),
                            p.u.s ? p.u.s : "", (size_t)off, (const char *)msg);
    }
    *md = pcre2_match_data_create_from_pattern(*out, NULL);
    return 0;
}

static void regex_free(pcre2_code *re, pcre2_match_data *md) {
    pcre2_match_data_free(md);
    pcre2_code_free(re);
}

static int fn_regexp_like(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    pcre2_code *re;
    pcre2_match_data *md;
    int rc = regex_compile(ctx, &a[1], &re, &md);
    if (rc) return rc;
    sl_value s = text_arg(ctx, &a[0]);
    int m = pcre2_match(re, (PCRE2_SPTR)(s.u.s ? s.u.s : ""), s.len, 0, 0, md, NULL);
    regex_free(re, md);
    if (m < -1) return sl_error_set(ctx->err, SL_ETYPE, "regexp_like: matching failed (%d)", m);
    *out = sl_bool(m >= 0);
    return 0;
}

/* regexp_extract(text, pattern [, group = 1]): the group's text, "" when
 * the group did not take part, null when nothing matches (Spark's rule). */
static int fn_regexp_extract(expr_eval_ctx *ctx, const sl_value *a, uint32_t n, sl_value *out) {
    int64_t group = 1;
    int rc = n > 2 ? int_arg(ctx, &a[2], &group) : 0;
    if (rc) return rc;
    pcre2_code *re;
    pcre2_match_data *md;
    if ((rc = regex_compile(ctx, &a[1], &re, &md)) != 0) return rc;
    sl_value s = text_arg(ctx, &a[0]);
    int m = pcre2_match(re, (PCRE2_SPTR)(s.u.s ? s.u.s : ""), s.len, 0, 0, md, NULL);
    uint32_t groups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (group < 0 || group > (int64_t)groups) {
        regex_free(re, md);
        return sl_error_set(ctx->err, SL_ETYPE, "regexp_extract: group %lld, the pattern has %u", (long long)group, groups);
    }
    if (m < 0) {
        *out = sl_null();
    } else {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (group >= m || ov[2 * group] == PCRE2_UNSET) *out = sl_string("", 0, SL_VF_JSON_PLAIN);
        else *out = sl_string_copy(ctx->arena, s.u.s + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
    regex_free(re, md);
    return 0;
}

/* ---- the table ---- */

static const expr_func functions[] = {
    {"abs", 1, 1, EXPR_FN_STRICT, fn_abs},
    {"ceil", 1, 1, EXPR_FN_STRICT, fn_ceil},
    {"ceiling", 1, 1, EXPR_FN_STRICT, fn_ceil},
    {"coalesce", 1, -1, 0, NULL},
    {"concat", 1, -1, 0, fn_concat},
    {"contains", 2, 2, EXPR_FN_STRICT, fn_contains},
    {"ends_with", 2, 2, EXPR_FN_STRICT, fn_ends_with},
    {"floor", 1, 1, EXPR_FN_STRICT, fn_floor},
    {"length", 1, 1, EXPR_FN_STRICT, fn_length},
    {"lower", 1, 1, EXPR_FN_STRICT, fn_lower},
    {"ltrim", 1, 1, EXPR_FN_STRICT, fn_ltrim},
    {"mod", 2, 2, EXPR_FN_STRICT, fn_mod},
    {"replace", 3, 3, EXPR_FN_STRICT, fn_replace},
    {"round", 1, 2, EXPR_FN_STRICT, fn_round},
    {"rtrim", 1, 1, EXPR_FN_STRICT, fn_rtrim},
    {"split", 2, 2, EXPR_FN_STRICT, fn_split},
    {"starts_with", 2, 2, EXPR_FN_STRICT, fn_starts_with},
    {"substr", 2, 3, EXPR_FN_STRICT, fn_substr},
    {"substring", 2, 3, EXPR_FN_STRICT, fn_substr},
    {"to_double", 1, 1, EXPR_FN_STRICT, fn_to_double},
    {"to_int", 1, 1, EXPR_FN_STRICT, fn_to_int},
    {"to_string", 1, 1, EXPR_FN_STRICT, fn_to_string},
    {"trim", 1, 1, EXPR_FN_STRICT, fn_trim},
    {"upper", 1, 1, EXPR_FN_STRICT, fn_upper},
    {"year", 1, 1, EXPR_FN_STRICT, fn_year},
    {"month", 1, 1, EXPR_FN_STRICT, fn_month},
    {"day", 1, 1, EXPR_FN_STRICT, fn_day},
    {"hour", 1, 1, EXPR_FN_STRICT, fn_hour},
    {"minute", 1, 1, EXPR_FN_STRICT, fn_minute},
    {"second", 1, 1, EXPR_FN_STRICT, fn_second},
    {"epoch_millis", 1, 1, EXPR_FN_STRICT, fn_epoch_millis},
    {"to_timestamp", 1, 2, EXPR_FN_STRICT, fn_to_timestamp},
    {"date_format", 2, 2, EXPR_FN_STRICT, fn_date_format},
    {"now", 0, 0, 0, fn_now},
    {"regexp_like", 2, 2, EXPR_FN_STRICT, fn_regexp_like},
    {"regexp_extract", 2, 3, EXPR_FN_STRICT, fn_regexp_extract},
};

#define N_FUNCTIONS (sizeof functions / sizeof functions[0])

const expr_func *sl_expr_func_find(const char *name, size_t len) {
    for (size_t i = 0; i < N_FUNCTIONS; i++) {
        if (strlen(functions[i].name) == len && strncasecmp(functions[i].name, name, len) == 0) return &functions[i];
    }
    return NULL;
}

/* Case-insensitive edit distance, giving up (returning limit + 1) beyond
 * `limit`; names here are short. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn, size_t limit) {
    size_t row[64];
    if (an >= 64 || bn >= 64) return limit + 1;
    for (size_t j = 0; j <= bn; j++)
        row[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t diag = row[0], best = i;
        row[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t up = row[j];
            size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
            size_t v = diag + cost;
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
            if (v < best) best = v;
        }
        if (best > limit) return limit + 1;
    }
    return row[bn];
}

int sl_expr_func_suggest(const char *name, size_t len, char *out, size_t size) {
    size_t limit = len <= 3 ? 1 : 2, dist[N_FUNCTIONS], best = limit + 1;
    for (size_t i = 0; i < N_FUNCTIONS; i++) {
        const char *f = functions[i].name;
        size_t flen = strlen(f);
        /* a shared start of 3+ letters counts as close ("substring_index" → substr) */
        bool prefix = len >= 3 && strncasecmp(f, name, len < flen ? len : flen) == 0;
        dist[i] = prefix ? 1 : edit_distance(name, len, f, flen, limit);
        if (dist[i] < best) best = dist[i];
    }
    int count = 0;
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < N_FUNCTIONS && best <= limit; i++) {
        if (dist[i] != best) continue;
        int n = snprintf(out + used, size - used, "%s%s", count ? ", " : "", functions[i].name);
        if (n < 0 || (size_t)n >= size - used) break;
        used += (size_t)n;
        count++;
    }
    return count;
}
