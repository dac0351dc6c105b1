/*
 * json_int.h — byte-level helpers shared by json_read.c and json_write.c
 * (string scanning and UTF-8 sequence checks). Not part of the JSON API.
 */
#ifndef SL_JSON_INT_H
#define SL_JSON_INT_H

#include <stddef.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* 1 for bytes a JSON string scan must stop at: '"', '\\', controls, >= 0x80. */
extern const unsigned char sl_json_stop_byte[256];

/* First byte in [p, end) that is '"', '\\', a control character (< 0x20) or
 * non-ASCII (>= 0x80); end if none. One signed compare against 0x20 catches
 * both controls and bytes >= 0x80 (they are negative as signed chars). */
static inline const char *sl_json_scan(const char *p, const char *end) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                   _mm_cmplt_epi8(v, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        if (mask) return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && !sl_json_stop_byte[(unsigned char)*p])
        p++;
    return p;
}

/* Kinds of malformed UTF-8, as returned by sl_json_utf8_seq. */
enum {
    SL_UTF8_BAD_BYTE = -1,  /* continuation byte or 0xF8.. where a sequence must start */
    SL_UTF8_OVERLONG = -2,  /* C0/C1 lead, or E0/F0 with a too-small second byte */
    SL_UTF8_SURROGATE = -3, /* ED A0..BF: UTF-16 surrogate encoded in UTF-8 */
    SL_UTF8_TOO_BIG = -4,   /* above U+10FFFF (F4 90.., F5..F7) */
    SL_UTF8_BAD_CONT = -5,  /* a continuation byte is missing */
    SL_UTF8_TRUNCATED = -6  /* the buffer ends inside an otherwise valid prefix */
};

/* Length (2..4) of the valid UTF-8 sequence starting at p (p[0] >= 0x80),
 * or a negative SL_UTF8_* kind. */
static inline int sl_json_utf8_seq(const char *p, const char *end) {
    const unsigned char *u = (const unsigned char *)p;
    size_t avail = (size_t)(end - p);
    unsigned c = u[0];
    unsigned lo = 0x80, hi = 0xBF;
    int n;
    if (c < 0xC0) return SL_UTF8_BAD_BYTE;
    if (c < 0xC2) return SL_UTF8_OVERLONG;
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c < 0xF5) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else if (c < 0xF8) {
        return SL_UTF8_TOO_BIG;
    } else {
        return SL_UTF8_BAD_BYTE;
    }
    if (avail < 2) return SL_UTF8_TRUNCATED;
    if (u[1] < lo) return (u[1] & 0xC0) == 0x80 ? SL_UTF8_OVERLONG : SL_UTF8_BAD_CONT;
    if (u[1] > hi) {
        if ((u[1] & 0xC0) != 0x80) return SL_UTF8_BAD_CONT;
        return c == 0xED ? SL_UTF8_SURROGATE : SL_UTF8_TOO_BIG;
    }
    for (int i = 2; i < n; i++) {
        if ((size_t)i >= avail) return SL_UTF8_TRUNCATED;
        if ((u[i] & 0xC0) != 0x80) return SL_UTF8_BAD_CONT;
    }
    return n;
}

#endif
