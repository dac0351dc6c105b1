/* ddbjson.c — see ddbjson.h. */
#include "formats/ddbjson.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/numfmt.h"

static int number_value(const char *s, size_t len, sl_value *out) {
    /* integral text within int64 → long; anything else stays exact as decimal */
    size_t i = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    bool integral = i < len && len - i <= 19;
    for (size_t k = i; integral && k < len; k++) integral = s[k] >= '0' && s[k] <= '9';
    if (integral) {
        char tmp[24];
        memcpy(tmp, s, len);
        tmp[len] = 0;
        errno = 0;
        char *end;
        long long v = strtoll(tmp, &end, 10);
        if (errno == 0 && *end == 0) {
            *out = sl_int(v);
            return SL_OK;
        }
    }
    if (len == 0) return SL_EPARSE;
    *out = sl_decimal(s, len);
    return SL_OK;
}

static int list_of(sl_arena *a, const sl_value *arr, char kind, sl_value *out, sl_error *err) {
    if (arr->type != SL_T_LIST) return sl_error_set(err, SL_EPARSE, "set value is not a list");
    sl_value *items = sl_arena_alloc(a, (arr->len ? arr->len : 1) * sizeof *items);
    for (uint32_t i = 0; i < arr->len; i++) {
        const sl_value *e = &arr->u.items[i];
        int rc = SL_OK;
        if (kind == 'L') rc = sl_ddb_attr_to_value(a, e, &items[i], err);
        else if (e->type != SL_T_STRING) rc = sl_error_set(err, SL_EPARSE, "set element is not a string");
        else if (kind == 'S') items[i] = *e;
        else if (kind == 'N') {
            if (number_value(e->u.s, e->len, &items[i])) rc = sl_error_set(err, SL_EPARSE, "bad number in NS");
        } else if (sl_base64_decode(a, e->u.s, e->len, &items[i]))
            rc = sl_error_set(err, SL_EPARSE, "bad base64 in BS");
        if (rc) return rc;
    }
    *out = sl_list(items, arr->len);
    return SL_OK;
}

int sl_ddb_attr_to_value(sl_arena *a, const sl_value *attr, sl_value *out, sl_error *err) {
    if (attr->type != SL_T_STRUCT || attr->len != 1)
        return sl_error_set(err, SL_EPARSE, "expected an attribute value like {\"S\": \"text\"}");
    const sl_field *f = &attr->u.fields[0];
    const sl_value *v = &f->value;
    const char *t = f->name;
    switch (f->name_len) {
    case 1:
        if (t[0] == 'S' && v->type == SL_T_STRING) return *out = *v, SL_OK;
        if (t[0] == 'N' && v->type == SL_T_STRING) {
            if (number_value(v->u.s, v->len, out)) return sl_error_set(err, SL_EPARSE, "bad number in N");
            return SL_OK;
        }
        if (t[0] == 'B' && v->type == SL_T_STRING) {
            if (sl_base64_decode(a, v->u.s, v->len, out)) return sl_error_set(err, SL_EPARSE, "bad base64 in B");
            return SL_OK;
        }
        if (t[0] == 'M') return sl_ddb_item_to_record(a, v, out, err);
        if (t[0] == 'L') return list_of(a, v, 'L', out, err);
        break;
    case 2:
        if (t[1] == 'S' && (t[0] == 'S' || t[0] == 'N' || t[0] == 'B')) return list_of(a, v, t[0], out, err);
        break;
    case 4:
        if (!memcmp(t, "BOOL", 4) && v->type == SL_T_BOOL) return *out = *v, SL_OK;
        if (!memcmp(t, "NULL", 4)) return *out = sl_null(), SL_OK;
        break;
    }
    return sl_error_set(err, SL_EPARSE, "unknown DynamoDB type descriptor '%.*s'", (int)(f->name_len > 20 ? 20 : f->name_len), t);
}

int sl_ddb_item_to_record(sl_arena *a, const sl_value *item, sl_value *out, sl_error *err) {
    if (item->type != SL_T_STRUCT) return sl_error_set(err, SL_EPARSE, "DynamoDB item is not an object");
    if (item->len == 1 && item->u.fields[0].name_len == 4 && !memcmp(item->u.fields[0].name, "Item", 4) &&
        item->u.fields[0].value.type == SL_T_STRUCT)
        item = &item->u.fields[0].value;
    sl_field *fields = sl_arena_alloc(a, (item->len ? item->len : 1) * sizeof *fields);
    for (uint32_t i = 0; i < item->len; i++) {
        fields[i] = item->u.fields[i];
        int rc = sl_ddb_attr_to_value(a, &item->u.fields[i].value, &fields[i].value, err);
        if (rc) {
            char msg[sizeof err->message];
            memcpy(msg, err->message, sizeof msg);
            return sl_error_set(err, rc, "attribute '%.*s': %.400s", (int)(fields[i].name_len > 64 ? 64 : fields[i].name_len),
                                fields[i].name, msg);
        }
    }
    *out = sl_struct(fields, item->len);
    return SL_OK;
}

static sl_value field1(sl_arena *a, const char *type, sl_value v) {
    sl_field *f = sl_arena_alloc(a, sizeof *f);
    f->name = type;
    f->name_len = (uint32_t)strlen(type);
    f->name_flags = SL_VF_JSON_PLAIN;
    f->value = v;
    return sl_struct(f, 1);
}

int sl_ddb_value_to_attr(sl_arena *a, const sl_value *v, sl_value *out, sl_error *err) {
    char num[40];
    int n;
    switch ((sl_type)v->type) {
    case SL_T_NULL: *out = field1(a, "NULL", sl_bool(true)); return SL_OK;
    case SL_T_BOOL: *out = field1(a, "BOOL", *v); return SL_OK;
    case SL_T_INT:
        n = sl_format_int(v->u.i, num);
        *out = field1(a, "N", sl_string_copy(a, num, (size_t)n));
        return SL_OK;
    case SL_T_DOUBLE:
        n = sl_format_double(v->u.d, num);
        *out = field1(a, "N", sl_string_copy(a, num, (size_t)n));
        return SL_OK;
    case SL_T_DECIMAL: *out = field1(a, "N", sl_string(v->u.s, v->len, SL_VF_JSON_PLAIN)); return SL_OK;
    case SL_T_STRING: *out = field1(a, "S", *v); return SL_OK;
    case SL_T_BINARY: {
        sl_buf b;
        sl_buf_init(&b, 0);
        sl_base64_encode(&b, (const unsigned char *)v->u.s, v->len);
        *out = field1(a, "B", sl_string_copy(a, b.data ? b.data : "", b.len));
        sl_buf_free(&b);
        return SL_OK;
    }
    case SL_T_LIST: {
        sl_value *items = sl_arena_alloc(a, (v->len ? v->len : 1) * sizeof *items);
        for (uint32_t i = 0; i < v->len; i++) {
            int rc = sl_ddb_value_to_attr(a, &v->u.items[i], &items[i], err);
            if (rc) return rc;
        }
        *out = field1(a, "L", sl_list(items, v->len));
        return SL_OK;
    }
    case SL_T_STRUCT: {
        sl_field *fields = sl_arena_alloc(a, (v->len ? v->len : 1) * sizeof *fields);
        for (uint32_t i = 0; i < v->len; i++) {
            fields[i] = v->u.fields[i];
            int rc = sl_ddb_value_to_attr(a, &v->u.fields[i].value, &fields[i].value, err);
            if (rc) return rc;
        }
        *out = field1(a, "M", sl_struct(fields, v->len));
        return SL_OK;
    }
    default: {
        sl_value text = sl_value_to_text(a, v);
        *out = field1(a, "S", text);
        return SL_OK;
    }
    }
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int sl_base64_decode(sl_arena *a, const char *s, size_t len, sl_value *out_binary) {
    while (len && s[len - 1] == '=') len--;
    if (len % 4 == 1) return SL_EPARSE;
    unsigned char *p = sl_arena_alloc(a, len * 3 / 4 + 1);
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) return SL_EPARSE;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[n++] = (unsigned char)(acc >> bits);
        }
    }
    *out_binary = sl_binary(p, n);
    return SL_OK;
}

void sl_base64_encode(sl_buf *out, const unsigned char *p, size_t len) {
    sl_buf_reserve(out, (len + 2) / 3 * 4);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len) v |= p[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < len ? b64[(v >> 6) & 63] : '=',
                     i + 2 < len ? b64[v & 63] : '='};
        sl_buf_add(out, q, 4);
    }
}
