/*
 * thrift.c — Thrift compact protocol writer and bounds-checked reader
 * (wire format in thrift.h).
 */
#include "formats/thrift.h"

#include <string.h>

#include "core/error.h"

/* ---- writer ---- */

void sl_thrift_writer_init(sl_thrift_writer *w, sl_buf *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
}

size_t sl_thrift_put_uvarint(uint8_t *p, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static void put_bytes(sl_thrift_writer *w, const void *data, size_t len) {
    if (w->status) return;
    int rc = sl_buf_add(w->out, data, len);
    if (rc) w->status = rc;
}

static void put_byte(sl_thrift_writer *w, uint8_t b) { put_bytes(w, &b, 1); }

static void put_uvarint(sl_thrift_writer *w, uint64_t v) {
    uint8_t tmp[10];
    put_bytes(w, tmp, sl_thrift_put_uvarint(tmp, v));
}

void sl_thrift_field_begin(sl_thrift_writer *w, int type, int16_t id) {
    int16_t last = w->last_id[w->depth];
    int delta = (int)id - (int)last;
    if (delta > 0 && delta <= 15) {
        put_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(w, (uint8_t)type);
        put_uvarint(w, sl_thrift_zigzag64(id));
    }
    w->last_id[w->depth] = id;
}

void sl_thrift_struct_begin(sl_thrift_writer *w) {
    if (w->depth >= SL_THRIFT_MAX_DEPTH) {
        if (!w->status) w->status = SL_ELIMIT;
        w->depth++; /* keep begin/end balanced; nothing more is written */
        return;
    }
    w->depth++;
    w->last_id[w->depth] = 0;
}

void sl_thrift_struct_end(sl_thrift_writer *w) {
    if (w->depth <= 0) {
        if (!w->status) w->status = SL_EINTERNAL;
        return;
    }
    w->depth--;
    put_byte(w, SL_THRIFT_STOP);
}

void sl_thrift_field_bool(sl_thrift_writer *w, int16_t id, bool v) {
    sl_thrift_field_begin(w, v ? SL_THRIFT_TRUE : SL_THRIFT_FALSE, id);
}

void sl_thrift_field_i8(sl_thrift_writer *w, int16_t id, int8_t v) {
    sl_thrift_field_begin(w, SL_THRIFT_I8, id);
    put_byte(w, (uint8_t)v);
}

void sl_thrift_field_i16(sl_thrift_writer *w, int16_t id, int16_t v) {
    sl_thrift_field_begin(w, SL_THRIFT_I16, id);
    put_uvarint(w, sl_thrift_zigzag64(v));
}

void sl_thrift_field_i32(sl_thrift_writer *w, int16_t id, int32_t v) {
    sl_thrift_field_begin(w, SL_THRIFT_I32, id);
    put_uvarint(w, sl_thrift_zigzag64(v));
}

void sl_thrift_field_i64(sl_thrift_writer *w, int16_t id, int64_t v) {
    sl_thrift_field_begin(w, SL_THRIFT_I64, id);
    put_uvarint(w, sl_thrift_zigzag64(v));
}

void sl_thrift_field_double(sl_thrift_writer *w, int16_t id, double v) {
    sl_thrift_field_begin(w, SL_THRIFT_DOUBLE, id);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(bits >> (8 * i));
    put_bytes(w, le, 8);
}

void sl_thrift_field_binary(sl_thrift_writer *w, int16_t id, const void *data, size_t len) {
    sl_thrift_field_begin(w, SL_THRIFT_BINARY, id);
    sl_thrift_write_binary(w, data, len);
}

void sl_thrift_field_struct_begin(sl_thrift_writer *w, int16_t id) {
    sl_thrift_field_begin(w, SL_THRIFT_STRUCT, id);
    sl_thrift_struct_begin(w);
}

void sl_thrift_field_list_begin(sl_thrift_writer *w, int16_t id, int elem_type, uint32_t n) {
    sl_thrift_field_begin(w, SL_THRIFT_LIST, id);
    sl_thrift_write_list_header(w, elem_type, n);
}

void sl_thrift_write_list_header(sl_thrift_writer *w, int elem_type, uint32_t n) {
    if (n < 15) {
        put_byte(w, (uint8_t)(n << 4 | (unsigned)elem_type));
    } else {
        put_byte(w, (uint8_t)(0xF0 | elem_type));
        put_uvarint(w, n);
    }
}

void sl_thrift_write_i32(sl_thrift_writer *w, int32_t v) { put_uvarint(w, sl_thrift_zigzag64(v)); }
void sl_thrift_write_i64(sl_thrift_writer *w, int64_t v) { put_uvarint(w, sl_thrift_zigzag64(v)); }
void sl_thrift_write_bool(sl_thrift_writer *w, bool v) { put_byte(w, v ? SL_THRIFT_TRUE : SL_THRIFT_FALSE); }

void sl_thrift_write_binary(sl_thrift_writer *w, const void *data, size_t len) {
    if (len > INT32_MAX) {
        if (!w->status) w->status = SL_ELIMIT;
        return;
    }
    put_uvarint(w, len);
    put_bytes(w, data, len);
}

/* ---- reader ---- */

void sl_thrift_reader_init(sl_thrift_reader *r, const void *data, size_t len) {
    memset(r, 0, sizeof *r);
    r->start = r->p = data;
    r->end = r->p + len;
    r->bool_value = -1;
}

int sl_thrift_fail(sl_thrift_reader *r, const char *what) {
    if (!r->status) {
        r->status = SL_EPARSE;
        r->what = what;
    }
    return SL_EPARSE;
}

static int read_uvarint(sl_thrift_reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return sl_thrift_fail(r, "truncated varint");
        uint8_t b = *r->p++;
        if (shift == 63 && b > 1) return sl_thrift_fail(r, "varint overflows 64 bits");
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return sl_thrift_fail(r, "varint longer than 10 bytes");
}

static int read_zigzag(sl_thrift_reader *r, int64_t lo, int64_t hi, int64_t *v) {
    uint64_t u;
    if (read_uvarint(r, &u)) return SL_EPARSE;
    int64_t x = sl_thrift_unzigzag64(u);
    if (x < lo || x > hi) return sl_thrift_fail(r, "integer out of range");
    *v = x;
    return 0;
}

int sl_thrift_struct_begin_read(sl_thrift_reader *r) {
    if (r->status) return SL_EPARSE;
    if (r->depth >= SL_THRIFT_MAX_DEPTH) return sl_thrift_fail(r, "structs nested too deeply");
    r->depth++;
    r->last_id[r->depth] = 0;
    return 0;
}

int sl_thrift_read_field(sl_thrift_reader *r, int *type, int16_t *id) {
    if (r->status) return SL_EPARSE;
    if (r->p >= r->end) return sl_thrift_fail(r, "truncated struct (no stop byte)");
    uint8_t b = *r->p++;
    if (b == SL_THRIFT_STOP) {
        if (r->depth > 0) r->depth--;
        return 0;
    }
    int t = b & 0x0F;
    int delta = b >> 4;
    int16_t fid;
    if (delta) {
        int x = r->last_id[r->depth] + delta;
        if (x > INT16_MAX) return sl_thrift_fail(r, "field id out of range");
        fid = (int16_t)x;
    } else {
        int64_t x;
        if (read_zigzag(r, INT16_MIN, INT16_MAX, &x)) return SL_EPARSE;
        fid = (int16_t)x;
    }
    if (t < SL_THRIFT_TRUE || t > SL_THRIFT_STRUCT) return sl_thrift_fail(r, "unknown field type");
    r->last_id[r->depth] = fid;
    r->bool_value = t == SL_THRIFT_TRUE ? 1 : t == SL_THRIFT_FALSE ? 0 : -1;
    *type = t;
    *id = fid;
    return 1;
}

int sl_thrift_read_bool(sl_thrift_reader *r, bool *v) {
    if (r->status) return SL_EPARSE;
    if (r->bool_value >= 0) {
        *v = r->bool_value == 1;
        r->bool_value = -1;
        return 0;
    }
    if (r->p >= r->end) return sl_thrift_fail(r, "truncated bool");
    *v = *r->p++ == SL_THRIFT_TRUE;
    return 0;
}

int sl_thrift_read_i8(sl_thrift_reader *r, int8_t *v) {
    if (r->status) return SL_EPARSE;
    if (r->p >= r->end) return sl_thrift_fail(r, "truncated byte");
    *v = (int8_t)*r->p++;
    return 0;
}

int sl_thrift_read_i16(sl_thrift_reader *r, int16_t *v) {
    int64_t x;
    if (r->status || read_zigzag(r, INT16_MIN, INT16_MAX, &x)) return SL_EPARSE;
    *v = (int16_t)x;
    return 0;
}

int sl_thrift_read_i32(sl_thrift_reader *r, int32_t *v) {
    int64_t x;
    if (r->status || read_zigzag(r, INT32_MIN, INT32_MAX, &x)) return SL_EPARSE;
    *v = (int32_t)x;
    return 0;
}

int sl_thrift_read_i64(sl_thrift_reader *r, int64_t *v) {
    int64_t x;
    if (r->status || read_zigzag(r, INT64_MIN, INT64_MAX, &x)) return SL_EPARSE;
    *v = x;
    return 0;
}

int sl_thrift_read_double(sl_thrift_reader *r, double *v) {
    if (r->status) return SL_EPARSE;
    if (r->end - r->p < 8) return sl_thrift_fail(r, "truncated double");
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    memcpy(v, &bits, 8);
    return 0;
}

int sl_thrift_read_binary(sl_thrift_reader *r, const uint8_t **data, uint32_t *len) {
    uint64_t n;
    if (r->status || read_uvarint(r, &n)) return SL_EPARSE;
    if (n > (uint64_t)(r->end - r->p)) return sl_thrift_fail(r, "string length beyond the end of the data");
    *data = r->p;
    *len = (uint32_t)n;
    r->p += n;
    return 0;
}

int sl_thrift_read_list_begin(sl_thrift_reader *r, int *elem_type, uint32_t *count) {
    if (r->status) return SL_EPARSE;
    if (r->p >= r->end) return sl_thrift_fail(r, "truncated list header");
    uint8_t b = *r->p++;
    uint64_t n = b >> 4;
    if (n == 15 && read_uvarint(r, &n)) return SL_EPARSE;
    int t = b & 0x0F;
    if (t < SL_THRIFT_TRUE || t > SL_THRIFT_STRUCT) return sl_thrift_fail(r, "unknown list element type");
    /* every element takes at least one byte on the wire (bools: one byte) */
    if (n > (uint64_t)(r->end - r->p)) return sl_thrift_fail(r, "list longer than the data");
    r->bool_value = -1;
    *elem_type = t;
    *count = (uint32_t)n;
    return 0;
}

static int skip_depth(sl_thrift_reader *r, int type, int depth);

static int skip_n(sl_thrift_reader *r, int type, uint64_t n, int depth) {
    for (uint64_t i = 0; i < n; i++)
        if (skip_depth(r, type, depth)) return SL_EPARSE;
    return 0;
}

static int skip_depth(sl_thrift_reader *r, int type, int depth) {
    if (r->status) return SL_EPARSE;
    if (depth > SL_THRIFT_MAX_DEPTH) return sl_thrift_fail(r, "values nested too deeply");
    uint64_t u;
    const uint8_t *d;
    uint32_t len;
    switch (type) {
    case SL_THRIFT_TRUE:
    case SL_THRIFT_FALSE: {
        bool b;
        return sl_thrift_read_bool(r, &b);
    }
    case SL_THRIFT_I8:
        if (r->p >= r->end) return sl_thrift_fail(r, "truncated byte");
        r->p++;
        return 0;
    case SL_THRIFT_I16:
    case SL_THRIFT_I32:
    case SL_THRIFT_I64: return read_uvarint(r, &u);
    case SL_THRIFT_DOUBLE:
        if (r->end - r->p < 8) return sl_thrift_fail(r, "truncated double");
        r->p += 8;
        return 0;
    case SL_THRIFT_BINARY: return sl_thrift_read_binary(r, &d, &len);
    case SL_THRIFT_LIST:
    case SL_THRIFT_SET: {
        int et;
        uint32_t n;
        if (sl_thrift_read_list_begin(r, &et, &n)) return SL_EPARSE;
        return skip_n(r, et, n, depth + 1);
    }
    case SL_THRIFT_MAP: {
        if (read_uvarint(r, &u)) return SL_EPARSE;
        if (u == 0) return 0;
        if (u > (uint64_t)(r->end - r->p)) return sl_thrift_fail(r, "map longer than the data");
        if (r->p >= r->end) return sl_thrift_fail(r, "truncated map header");
        uint8_t kv = *r->p++;
        int kt = kv >> 4, vt = kv & 0x0F;
        if (kt < SL_THRIFT_TRUE || kt > SL_THRIFT_STRUCT || vt < SL_THRIFT_TRUE || vt > SL_THRIFT_STRUCT)
            return sl_thrift_fail(r, "unknown map element type");
        for (uint64_t i = 0; i < u; i++) {
            r->bool_value = -1;
            if (skip_depth(r, kt, depth + 1)) return SL_EPARSE;
            r->bool_value = -1;
            if (skip_depth(r, vt, depth + 1)) return SL_EPARSE;
        }
        return 0;
    }
    case SL_THRIFT_STRUCT: {
        if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
        for (;;) {
            int ft;
            int16_t id;
            int rc = sl_thrift_read_field(r, &ft, &id);
            if (rc < 0) return SL_EPARSE;
            if (rc == 0) return 0;
            if (skip_depth(r, ft, depth + 1)) return SL_EPARSE;
        }
    }
    default: return sl_thrift_fail(r, "unknown type");
    }
}

int sl_thrift_skip(sl_thrift_reader *r, int type) {
    /* list elements of bool type read a byte each; a bool field has its value
     * in the header: read_bool consumes bool_value in that case */
    return skip_depth(r, type, 0);
}
