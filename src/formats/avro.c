/*
 * avro.c — Avro object container files through Debian's libavro: the
 * "avro" record format (format.h) for the file source and target.
 *
 * Writing: the writer schema is derived from the first record of each file:
 * a record "sluice_record" whose fields are the record's fields in order,
 * each a union ["null", T] with T from the value (boolean, long, double,
 * string, bytes, {"type":"int","logicalType":"date"},
 * {"type":"long","logicalType":"timestamp-micros"}, arrays and nested
 * records; a field first seen as null is a nullable string; decimals are
 * written as strings, keeping every digit). Later records are matched by
 * field name: missing fields are null, values of another type are cast to
 * the declared one (a value that cannot be cast sends the record to the
 * error output), extra fields are dropped. Blocks are written with the
 * codec option (deflate by default; null, deflate and snappy as libavro
 * was built with). libavro writes to a FILE*; a fopencookie stream hands
 * its bytes to the target's buffer.
 *
 * Reading: the object is read whole through the store (Avro has no index
 * to seek by) and parsed from memory with the writer schema it carries;
 * unions become their current branch, enums their symbol, maps structs,
 * fixed binary. Logical types are not interpreted: dates come back as
 * longs (days) and timestamps as longs (micros).
 */
#include <avro.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "formats/avro.h"

#define MAX_OBJECT ((size_t)2 << 30)

/* ---- writing ---- */

typedef struct avro_enc {
    sl_buf bytes;          /* what libavro wrote, not yet handed on */
    FILE *fp;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    bool have_value;
    avro_file_writer_t writer;
    char codec[16];
} avro_enc;

static ssize_t cookie_write(void *cookie, const char *data, size_t len) {
    avro_enc *e = cookie;
    return sl_buf_add(&e->bytes, data, len) == 0 ? (ssize_t)len : -1;
}

int sl_avro_encoder_new(const sl_format_opts *o, void **enc, sl_error *err) {
    avro_enc *e = sl_xcalloc(1, sizeof *e);
    sl_buf_init(&e->bytes, 0);
    snprintf(e->codec, sizeof e->codec, "%s", o && o->avro_codec && o->avro_codec[0] ? o->avro_codec : "deflate");
    *enc = e;
    return SL_OK;
}

static void type_json(sl_buf *b, const sl_value *v, int *records);

static void record_json(sl_buf *b, const sl_value *v, int *records) {
    if (*records == 0) sl_buf_adds(b, "{\"type\":\"record\",\"name\":\"sluice_record\",\"fields\":[");
    else sl_buf_printf(b, "{\"type\":\"record\",\"name\":\"sluice_record_%d\",\"fields\":[", *records);
    (*records)++;
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        if (i) sl_buf_addc(b, ',');
        sl_buf_adds(b, "{\"name\":\"");
        for (uint32_t k = 0; k < f->name_len; k++) { /* Avro names: [A-Za-z_][A-Za-z0-9_]* */
            char c = f->name[k];
            bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (k && c >= '0' && c <= '9');
            sl_buf_addc(b, ok ? c : '_');
        }
        sl_buf_adds(b, "\",\"type\":");
        type_json(b, &f->value, records);
        sl_buf_adds(b, ",\"default\":null}");
    }
    sl_buf_adds(b, "]}");
}

/* ["null", T] for a value. */
static void type_json(sl_buf *b, const sl_value *v, int *records) {
    sl_buf_adds(b, "[\"null\",");
    switch ((sl_type)v->type) {
    case SL_T_BOOL: sl_buf_adds(b, "\"boolean\""); break;
    case SL_T_INT: sl_buf_adds(b, "\"long\""); break;
    case SL_T_DOUBLE: sl_buf_adds(b, "\"double\""); break;
    case SL_T_BINARY: sl_buf_adds(b, "\"bytes\""); break;
    case SL_T_DATE: sl_buf_adds(b, "{\"type\":\"int\",\"logicalType\":\"date\"}"); break;
    case SL_T_TIMESTAMP: sl_buf_adds(b, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}"); break;
    case SL_T_LIST: {
        const sl_value *first = NULL;
        for (uint32_t i = 0; i < v->len && !first; i++)
            if (v->u.items[i].type != SL_T_NULL) first = &v->u.items[i];
        sl_value none = sl_null();
        sl_buf_adds(b, "{\"type\":\"array\",\"items\":");
        type_json(b, first ? first : &none, records);
        sl_buf_addc(b, '}');
        break;
    }
    case SL_T_STRUCT: record_json(b, v, records); break;
    default: sl_buf_adds(b, "\"string\""); break; /* string, decimal (exact text), first seen as null */
    }
    sl_buf_addc(b, ']');
}

static int start_writer(avro_enc *e, const sl_value *rec, sl_error *err) {
    sl_buf json;
    sl_buf_init(&json, 0);
    int records = 0;
    record_json(&json, rec, &records);
    int rc = avro_schema_from_json_length(json.data, json.len, &e->schema);
    sl_buf_free(&json);
    if (rc) return sl_error_set(err, SL_EINVAL, "avro: cannot build the schema: %s", avro_strerror());
    static const cookie_io_functions_t io = {.write = cookie_write};
    e->fp = fopencookie(e, "w", io);
    if (!e->fp) return sl_error_set(err, SL_EIO, "avro: cannot open an output stream");
    if (avro_file_writer_create_with_codec_fp(e->fp, "sluice", 1, e->schema, &e->writer, e->codec, 0) != 0) {
        fclose(e->fp);
        e->fp = NULL;
        return sl_error_set(err, SL_EINVAL, "avro: cannot start the file (codec '%s'): %s", e->codec, avro_strerror());
    }
    e->fp = NULL; /* the writer owns it now */
    e->iface = avro_generic_class_from_schema(e->schema);
    if (!e->iface || avro_generic_value_new(e->iface, &e->value) != 0)
        return sl_error_set(err, SL_ENOMEM, "avro: cannot allocate a value");
    e->have_value = true;
    return SL_OK;
}

static int set_union(avro_value_t *u, const sl_value *v, sl_arena *a, sl_error *err);

static int set_record(avro_value_t *r, const sl_value *v, sl_arena *a, sl_error *err) {
    size_t n = 0;
    avro_value_get_size(r, &n);
    for (size_t i = 0; i < n; i++) {
        avro_value_t f;
        const char *name = NULL;
        avro_value_get_by_index(r, i, &f, &name);
        const sl_field *src = v->type == SL_T_STRUCT ? sl_struct_find(v, name, strlen(name)) : NULL;
        sl_value none = sl_null();
        int rc = set_union(&f, src ? &src->value : &none, a, err);
        if (rc) return rc;
    }
    return SL_OK;
}

static int cast_to(sl_arena *a, const sl_value *v, sl_type t, sl_value *out, sl_error *err) {
    if (v->type == t) return *out = *v, SL_OK;
    return sl_value_cast(a, v, t, out, err);
}

static int set_union(avro_value_t *u, const sl_value *v, sl_arena *a, sl_error *err) {
    avro_value_t b;
    if (v->type == SL_T_NULL) {
        avro_value_set_branch(u, 0, &b);
        return avro_value_set_null(&b) ? sl_error_set(err, SL_ETYPE, "avro: %s", avro_strerror()) : SL_OK;
    }
    avro_value_set_branch(u, 1, &b);
    sl_value c;
    int rc = SL_OK;
    switch (avro_value_get_type(&b)) {
    case AVRO_BOOLEAN:
        if (!(rc = cast_to(a, v, SL_T_BOOL, &c, err))) avro_value_set_boolean(&b, c.u.b);
        break;
    case AVRO_INT64:
        if (v->type == SL_T_TIMESTAMP) avro_value_set_long(&b, v->u.i);
        else if (!(rc = cast_to(a, v, SL_T_INT, &c, err))) avro_value_set_long(&b, c.u.i);
        break;
    case AVRO_INT32:
        if (!(rc = cast_to(a, v, SL_T_DATE, &c, err))) avro_value_set_int(&b, (int32_t)c.u.i);
        break;
    case AVRO_DOUBLE:
        if (!(rc = cast_to(a, v, SL_T_DOUBLE, &c, err))) avro_value_set_double(&b, c.u.d);
        break;
    case AVRO_BYTES:
        if (!(rc = cast_to(a, v, SL_T_BINARY, &c, err))) avro_value_set_bytes(&b, (void *)c.u.s, c.len);
        break;
    case AVRO_STRING:
        c = v->type == SL_T_STRING ? *v : sl_value_to_text(a, v);
        avro_value_set_string_len(&b, sl_arena_strndup(a, c.u.s, c.len), (size_t)c.len + 1);
        break;
    case AVRO_ARRAY:
        if (v->type != SL_T_LIST) return sl_error_set(err, SL_ETYPE, "avro: expected a list, got %s", sl_type_name(v->type));
        for (uint32_t i = 0; i < v->len && !rc; i++) {
            avro_value_t item;
            avro_value_append(&b, &item, NULL);
            rc = set_union(&item, &v->u.items[i], a, err);
        }
        break;
    case AVRO_RECORD:
        if (v->type != SL_T_STRUCT) return sl_error_set(err, SL_ETYPE, "avro: expected a struct, got %s", sl_type_name(v->type));
        rc = set_record(&b, v, a, err);
        break;
    default: rc = sl_error_set(err, SL_ETYPE, "avro: unsupported schema type");
    }
    return rc;
}

int sl_avro_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err) {
    avro_enc *e = enc;
    if (rec->type != SL_T_STRUCT) return sl_error_set(err, SL_ETYPE, "avro: record is not a struct");
    if (!e->writer) {
        int rc = start_writer(e, rec, err);
        if (rc) return rc;
    }
    sl_arena a;
    sl_arena_init(&a);
    avro_value_reset(&e->value);
    int rc = set_record(&e->value, rec, &a, err);
    if (!rc && avro_file_writer_append_value(e->writer, &e->value) != 0)
        rc = sl_error_set(err, SL_EIO, "avro: cannot append: %s", avro_strerror());
    sl_arena_free(&a);
    if (e->bytes.len) { /* hand on what libavro flushed */
        if (sl_buf_add(out, e->bytes.data, e->bytes.len)) rc = rc ? rc : SL_ELIMIT;
        sl_buf_reset(&e->bytes);
    }
    return rc;
}

int sl_avro_encode_finish(void *enc, sl_buf *out, sl_error *err) {
    avro_enc *e = enc;
    if (e->writer) {
        if (avro_file_writer_close(e->writer) != 0)
            return sl_error_set(err, SL_EIO, "avro: cannot finish the file: %s", avro_strerror());
        e->writer = NULL;
    }
    int rc = e->bytes.len ? sl_buf_add(out, e->bytes.data, e->bytes.len) : SL_OK;
    sl_buf_reset(&e->bytes);
    return rc;
}

void sl_avro_encoder_free(void *enc) {
    avro_enc *e = enc;
    if (!e) return;
    if (e->writer) avro_file_writer_close(e->writer);
    if (e->have_value) avro_value_decref(&e->value);
    if (e->iface) avro_value_iface_decref(e->iface);
    if (e->schema) avro_schema_decref(e->schema);
    sl_buf_free(&e->bytes);
    free(e);
}

/* ---- reading ---- */

typedef struct avro_dec {
    char *data;              /* the whole object */
    FILE *fp;
    avro_file_reader_t reader;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
    bool have_value, done;
    char *url;
    uint64_t records;
} avro_dec;

static void dec_free(avro_dec *d) {
    if (d->have_value) avro_value_decref(&d->value);
    if (d->iface) avro_value_iface_decref(d->iface);
    if (d->schema) avro_schema_decref(d->schema);
    if (d->reader) avro_file_reader_close(d->reader);
    else if (d->fp) fclose(d->fp);
    free(d->data);
    free(d->url);
    free(d);
}

int sl_avro_object_open(sl_store *store, const char *url, uint64_t size, const sl_format_opts *o, void **out,
                        sl_error *err) {
    if (size > MAX_OBJECT) return sl_error_set(err, SL_ELIMIT, "%s: Avro files over 2 GiB are not read", url);
    avro_dec *d = sl_xcalloc(1, sizeof *d);
    d->url = sl_xstrdup(url);
    d->data = sl_xmalloc(size ? size : 1);
    sl_store_reader *r;
    int rc = sl_store_reader_open(store, url, 0, size, &r, err);
    size_t n = 0, got = 0;
    while (!rc && n < size && (rc = sl_store_read(r, d->data + n, size - n, &got, err)) == 0 && got) n += got;
    if (!rc || r) sl_store_reader_close(rc ? NULL : r);
    if (!rc && n != size) rc = sl_error_set(err, SL_EIO, "%s: short read (%zu of %llu bytes)", url, n, (unsigned long long)size);
    if (!rc) {
        d->fp = fmemopen(d->data, n ? n : 1, "rb");
        if (!d->fp) rc = sl_error_set(err, SL_EIO, "%s: cannot open", url);
    }
    if (!rc && avro_file_reader_fp(d->fp, url, 1, &d->reader) != 0) {
        d->fp = NULL; /* closed by libavro on failure? keep safe: it was handed over */
        rc = sl_error_set(err, SL_EPARSE, "%s: not an Avro object container file: %s", url, avro_strerror());
    }
    if (!rc) {
        d->fp = NULL;
        d->schema = avro_file_reader_get_writer_schema(d->reader);
        d->iface = avro_generic_class_from_schema(d->schema);
        if (!d->iface || avro_generic_value_new(d->iface, &d->value) != 0)
            rc = sl_error_set(err, SL_ENOMEM, "%s: cannot allocate an Avro value", url);
        else
            d->have_value = true;
    }
    if (rc) {
        dec_free(d);
        return rc;
    }
    *out = d;
    return SL_OK;
}

static int to_value(sl_arena *a, avro_value_t *v, sl_value *out, int depth) {
    if (depth > 256) return SL_EPARSE;
    switch (avro_value_get_type(v)) {
    case AVRO_STRING: {
        const char *p = NULL;
        size_t n = 0;
        avro_value_get_string(v, &p, &n);
        *out = sl_string_copy(a, p ? p : "", n ? n - 1 : 0);
        return SL_OK;
    }
    case AVRO_BYTES: {
        const void *p = NULL;
        size_t n = 0;
        avro_value_get_bytes(v, &p, &n);
        *out = sl_binary(sl_arena_strndup(a, p ? p : "", n), n);
        return SL_OK;
    }
    case AVRO_FIXED: {
        const void *p = NULL;
        size_t n = 0;
        avro_value_get_fixed(v, &p, &n);
        *out = sl_binary(sl_arena_strndup(a, p ? p : "", n), n);
        return SL_OK;
    }
    case AVRO_INT32: {
        int32_t i = 0;
        avro_value_get_int(v, &i);
        *out = sl_int(i);
        return SL_OK;
    }
    case AVRO_INT64: {
        int64_t i = 0;
        avro_value_get_long(v, &i);
        *out = sl_int(i);
        return SL_OK;
    }
    case AVRO_FLOAT: {
        float f = 0;
        avro_value_get_float(v, &f);
        *out = sl_double(f);
        return SL_OK;
    }
    case AVRO_DOUBLE: {
        double f = 0;
        avro_value_get_double(v, &f);
        *out = sl_double(f);
        return SL_OK;
    }
    case AVRO_BOOLEAN: {
        int b = 0;
        avro_value_get_boolean(v, &b);
        *out = sl_bool(b != 0);
        return SL_OK;
    }
    case AVRO_NULL: *out = sl_null(); return SL_OK;
    case AVRO_ENUM: {
        int i = 0;
        avro_value_get_enum(v, &i);
        const char *sym = avro_schema_enum_get(avro_value_get_schema(v), i);
        *out = sl_string_copy(a, sym ? sym : "", sym ? strlen(sym) : 0);
        return SL_OK;
    }
    case AVRO_UNION: {
        avro_value_t b;
        if (avro_value_get_current_branch(v, &b)) return SL_EPARSE;
        return to_value(a, &b, out, depth + 1);
    }
    case AVRO_ARRAY: {
        size_t n = 0;
        avro_value_get_size(v, &n);
        sl_value *items = sl_arena_alloc(a, (n ? n : 1) * sizeof *items);
        for (size_t i = 0; i < n; i++) {
            avro_value_t c;
            avro_value_get_by_index(v, i, &c, NULL);
            if (to_value(a, &c, &items[i], depth + 1)) return SL_EPARSE;
        }
        *out = sl_list(items, n);
        return SL_OK;
    }
    case AVRO_RECORD:
    case AVRO_MAP: {
        size_t n = 0;
        avro_value_get_size(v, &n);
        sl_field *fields = sl_arena_alloc(a, (n ? n : 1) * sizeof *fields);
        for (size_t i = 0; i < n; i++) {
            avro_value_t c;
            const char *name = NULL;
            avro_value_get_by_index(v, i, &c, &name);
            size_t nl = name ? strlen(name) : 0;
            fields[i].name = sl_arena_strndup(a, name ? name : "", nl);
            fields[i].name_len = (uint32_t)nl;
            fields[i].name_flags = sl_json_plain(fields[i].name, nl) ? SL_VF_JSON_PLAIN : 0;
            if (to_value(a, &c, &fields[i].value, depth + 1)) return SL_EPARSE;
        }
        *out = sl_struct(fields, n);
        return SL_OK;
    }
    default: return SL_EPARSE;
    }
}

int sl_avro_object_next(void *state, sl_decode_ctx *ctx, sl_error *err) {
    avro_dec *d = state;
    sl_batch *b = ctx->batch;
    size_t max = ctx->max_records ? ctx->max_records : 4096;
    while (!d->done && b->count < max) {
        avro_value_reset(&d->value);
        int rc = avro_file_reader_read_value(d->reader, &d->value);
        if (rc == EOF) {
            d->done = true;
            break;
        }
        if (rc != 0)
            return sl_error_set(err, SL_EPARSE, "%s: corrupt Avro data after record %llu: %s", d->url,
                                (unsigned long long)d->records, avro_strerror());
        sl_value rec;
        if (to_value(&b->arena, &d->value, &rec, 0) != 0)
            return sl_error_set(err, SL_EPARSE, "%s: record %llu cannot be read", d->url, (unsigned long long)d->records);
        d->records++;
        sl_batch_push(b, rec, (sl_recloc){d->records, -1});
    }
    return b->count ? 1 : 0;
}

void sl_avro_object_close(void *state) {
    if (state) dec_free(state);
}

int sl_avro_schema_json(void *state, sl_buf *out) {
    avro_dec *d = state;
    static __thread char buf[65536];
    avro_writer_t w = avro_writer_memory(buf, sizeof buf);
    int rc = avro_schema_to_json(d->schema, w);
    size_t n = (size_t)avro_writer_tell(w);
    avro_writer_free(w);
    if (rc) return SL_EINVAL;
    return sl_buf_add(out, buf, n);
}
