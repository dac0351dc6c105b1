/* serialize.c — see serialize.h for the byte layout. */
#include "core/serialize.h"

#include <string.h>

#include "core/error.h"

void sl_varint_put(sl_buf *out, uint64_t v) {
    unsigned char tmp[10];
    int n = 0;
    while (v >= 0x80) {
        tmp[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (unsigned char)v;
    sl_buf_add(out, tmp, (size_t)n);
}

int sl_varint_get(const char **p, const char *end, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char c = (unsigned char)*(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return SL_OK;
        }
    }
    return SL_EPARSE;
}

static uint64_t zigzag(int64_t n) { return ((uint64_t)n << 1) ^ (uint64_t)(n >> 63); }
static int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

int sl_value_encode(sl_buf *out, const sl_value *v) {
    unsigned char tag = (unsigned char)(v->type | (v->type == SL_T_STRING ? (v->flags & 3) << 4 : 0));
    int rc = sl_buf_addc(out, (char)tag);
    if (rc) return rc;
    switch ((sl_type)v->type) {
    case SL_T_NULL: break;
    case SL_T_BOOL: rc = sl_buf_addc(out, v->u.b ? 1 : 0); break;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: sl_varint_put(out, zigzag(v->u.i)); break;
    case SL_T_DOUBLE: rc = sl_buf_add(out, &v->u.d, 8); break;
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY:
        sl_varint_put(out, v->len);
        rc = sl_buf_add(out, v->u.s, v->len);
        break;
    case SL_T_LIST:
        sl_varint_put(out, v->len);
        for (uint32_t i = 0; i < v->len && !rc; i++) rc = sl_value_encode(out, &v->u.items[i]);
        break;
    case SL_T_STRUCT:
        sl_varint_put(out, v->len);
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            const sl_field *f = &v->u.fields[i];
            sl_varint_put(out, (uint64_t)f->name_len << 2 | (f->name_flags & 3));
            rc = sl_buf_add(out, f->name, f->name_len);
            if (!rc) rc = sl_value_encode(out, &f->value);
        }
        break;
    default: return SL_EINVAL;
    }
    return rc;
}

static int take_bytes(const char **p, const char *end, sl_arena *a, uint64_t len, const char **out) {
    if (len > (uint64_t)(end - *p)) return SL_EPARSE;
    *out = sl_arena_strndup(a, *p, (size_t)len);
    *p += len;
    return SL_OK;
}

static int decode(const char **p, const char *end, sl_arena *a, sl_value *out, int depth) {
    if (*p >= end || depth > 512) return SL_EPARSE;
    unsigned char tag = (unsigned char)*(*p)++;
    uint64_t u = 0;
    memset(out, 0, sizeof *out);
    out->type = tag & 15;
    switch ((sl_type)(tag & 15)) {
    case SL_T_NULL: return SL_OK;
    case SL_T_BOOL:
        if (*p >= end) return SL_EPARSE;
        out->u.b = *(*p)++ != 0;
        return SL_OK;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP:
        if (sl_varint_get(p, end, &u)) return SL_EPARSE;
        out->u.i = unzigzag(u);
        return SL_OK;
    case SL_T_DOUBLE:
        if (end - *p < 8) return SL_EPARSE;
        memcpy(&out->u.d, *p, 8);
        *p += 8;
        return SL_OK;
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY:
        if (sl_varint_get(p, end, &u) || u > UINT32_MAX) return SL_EPARSE;
        out->flags = (uint8_t)(tag >> 4 & 3);
        out->len = (uint32_t)u;
        return take_bytes(p, end, a, u, &out->u.s);
    case SL_T_LIST: {
        if (sl_varint_get(p, end, &u) || u > (uint64_t)(end - *p)) return SL_EPARSE;
        sl_value *items = sl_arena_alloc(a, (u ? u : 1) * sizeof *items);
        for (uint64_t i = 0; i < u; i++)
            if (decode(p, end, a, &items[i], depth + 1)) return SL_EPARSE;
        out->u.items = items;
        out->len = (uint32_t)u;
        return SL_OK;
    }
    case SL_T_STRUCT: {
        if (sl_varint_get(p, end, &u) || u > (uint64_t)(end - *p)) return SL_EPARSE;
        sl_field *fields = sl_arena_alloc(a, (u ? u : 1) * sizeof *fields);
        for (uint64_t i = 0; i < u; i++) {
            uint64_t nl;
            if (sl_varint_get(p, end, &nl) || (nl >> 2) > UINT32_MAX) return SL_EPARSE;
            fields[i].name_len = (uint32_t)(nl >> 2);
            fields[i].name_flags = (uint32_t)(nl & 3);
            if (take_bytes(p, end, a, nl >> 2, &fields[i].name)) return SL_EPARSE;
            if (decode(p, end, a, &fields[i].value, depth + 1)) return SL_EPARSE;
        }
        out->u.fields = fields;
        out->len = (uint32_t)u;
        return SL_OK;
    }
    default: return SL_EPARSE;
    }
}

int sl_value_decode(const char **p, const char *end, sl_arena *a, sl_value *out) { return decode(p, end, a, out, 0); }

sl_value sl_value_deep_copy(sl_arena *a, const sl_value *v) {
    sl_value c = *v;
    switch ((sl_type)v->type) {
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY: c.u.s = sl_arena_strndup(a, v->u.s, v->len); break;
    case SL_T_LIST: {
        sl_value *items = sl_arena_alloc(a, (v->len ? v->len : 1) * sizeof *items);
        for (uint32_t i = 0; i < v->len; i++) items[i] = sl_value_deep_copy(a, &v->u.items[i]);
        c.u.items = items;
        break;
    }
    case SL_T_STRUCT: {
        sl_field *fields = sl_arena_alloc(a, (v->len ? v->len : 1) * sizeof *fields);
        for (uint32_t i = 0; i < v->len; i++) {
            fields[i] = v->u.fields[i];
            fields[i].name = sl_arena_strndup(a, v->u.fields[i].name, v->u.fields[i].name_len);
            fields[i].value = sl_value_deep_copy(a, &v->u.fields[i].value);
        }
        c.u.fields = fields;
        break;
    }
    default: break;
    }
    return c;
}

size_t sl_value_footprint(const sl_value *v) {
    size_t n = sizeof *v;
    switch ((sl_type)v->type) {
    case SL_T_DECIMAL:
    case SL_T_STRING:
    case SL_T_BINARY: n += v->len + 8; break;
    case SL_T_LIST:
        for (uint32_t i = 0; i < v->len; i++) n += sl_value_footprint(&v->u.items[i]);
        break;
    case SL_T_STRUCT:
        for (uint32_t i = 0; i < v->len; i++)
            n += sizeof(sl_field) - sizeof(sl_value) + v->u.fields[i].name_len + 8 +
                 sl_value_footprint(&v->u.fields[i].value);
        break;
    default: break;
    }
    return n;
}
