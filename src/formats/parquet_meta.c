/*
 * parquet_meta.c — encode and decode Parquet's metadata structs
 * (parquet_meta.h) with the Thrift compact protocol (thrift.h).
 * Field ids are those of parquet.thrift.
 */
#include "formats/parquet_meta.h"

#include <string.h>

/* ================= encoding ================= */

void sl_pq_statistics_write(sl_thrift_writer *w, const sl_pq_statistics *s) {
    sl_thrift_struct_begin(w);
    if (s->has_max) sl_thrift_field_binary(w, 1, s->max, s->max_len);
    if (s->has_min) sl_thrift_field_binary(w, 2, s->min, s->min_len);
    if (s->has_null_count) sl_thrift_field_i64(w, 3, s->null_count);
    if (s->has_distinct_count) sl_thrift_field_i64(w, 4, s->distinct_count);
    if (s->has_max_value) sl_thrift_field_binary(w, 5, s->max_value, s->max_value_len);
    if (s->has_min_value) sl_thrift_field_binary(w, 6, s->min_value, s->min_value_len);
    sl_thrift_struct_end(w);
}

static void empty_struct_field(sl_thrift_writer *w, int16_t id) {
    sl_thrift_field_struct_begin(w, id);
    sl_thrift_struct_end(w);
}

static void logical_type_write(sl_thrift_writer *w, const sl_pq_logical_type *t) {
    sl_thrift_struct_begin(w); /* union LogicalType: exactly one member */
    switch (t->kind) {
    case SL_PQ_LT_DECIMAL:
        sl_thrift_field_struct_begin(w, SL_PQ_LT_DECIMAL);
        sl_thrift_field_i32(w, 1, t->decimal_scale);
        sl_thrift_field_i32(w, 2, t->decimal_precision);
        sl_thrift_struct_end(w);
        break;
    case SL_PQ_LT_TIME:
    case SL_PQ_LT_TIMESTAMP:
        sl_thrift_field_struct_begin(w, (int16_t)t->kind);
        sl_thrift_field_bool(w, 1, t->is_adjusted_to_utc);
        sl_thrift_field_struct_begin(w, 2); /* union TimeUnit */
        empty_struct_field(w, (int16_t)t->unit);
        sl_thrift_struct_end(w);
        sl_thrift_struct_end(w);
        break;
    case SL_PQ_LT_INTEGER:
        sl_thrift_field_struct_begin(w, SL_PQ_LT_INTEGER);
        sl_thrift_field_i8(w, 1, t->bit_width);
        sl_thrift_field_bool(w, 2, t->is_signed);
        sl_thrift_struct_end(w);
        break;
    default: empty_struct_field(w, (int16_t)t->kind); break;
    }
    sl_thrift_struct_end(w);
}

void sl_pq_schema_element_write(sl_thrift_writer *w, const sl_pq_schema_element *e) {
    sl_thrift_struct_begin(w);
    if (e->has_type) sl_thrift_field_i32(w, 1, e->type);
    if (e->has_type_length) sl_thrift_field_i32(w, 2, e->type_length);
    if (e->has_repetition) sl_thrift_field_i32(w, 3, e->repetition_type);
    sl_thrift_field_binary(w, 4, e->name, e->name_len);
    if (e->has_num_children) sl_thrift_field_i32(w, 5, e->num_children);
    if (e->has_converted_type) sl_thrift_field_i32(w, 6, e->converted_type);
    if (e->has_scale) sl_thrift_field_i32(w, 7, e->scale);
    if (e->has_precision) sl_thrift_field_i32(w, 8, e->precision);
    if (e->has_field_id) sl_thrift_field_i32(w, 9, e->field_id);
    if (e->logical_type.kind != SL_PQ_LT_NONE) {
        sl_thrift_field_begin(w, SL_THRIFT_STRUCT, 10);
        logical_type_write(w, &e->logical_type);
    }
    sl_thrift_struct_end(w);
}

static void key_values_write(sl_thrift_writer *w, int16_t id, const sl_pq_key_value *kv, uint32_t n) {
    sl_thrift_field_list_begin(w, id, SL_THRIFT_STRUCT, n);
    for (uint32_t i = 0; i < n; i++) {
        sl_thrift_struct_begin(w);
        sl_thrift_field_binary(w, 1, kv[i].key, kv[i].key_len);
        if (kv[i].has_value) sl_thrift_field_binary(w, 2, kv[i].value, kv[i].value_len);
        sl_thrift_struct_end(w);
    }
}

void sl_pq_column_meta_write(sl_thrift_writer *w, const sl_pq_column_meta *m) {
    sl_thrift_struct_begin(w);
    sl_thrift_field_i32(w, 1, m->type);
    sl_thrift_field_list_begin(w, 2, SL_THRIFT_I32, m->n_encodings);
    for (uint32_t i = 0; i < m->n_encodings; i++)
        sl_thrift_write_i32(w, m->encodings[i]);
    sl_thrift_field_list_begin(w, 3, SL_THRIFT_BINARY, m->n_path);
    for (uint32_t i = 0; i < m->n_path; i++)
        sl_thrift_write_binary(w, m->path[i], m->path_len[i]);
    sl_thrift_field_i32(w, 4, m->codec);
    sl_thrift_field_i64(w, 5, m->num_values);
    sl_thrift_field_i64(w, 6, m->total_uncompressed_size);
    sl_thrift_field_i64(w, 7, m->total_compressed_size);
    if (m->n_key_value) key_values_write(w, 8, m->key_value, m->n_key_value);
    sl_thrift_field_i64(w, 9, m->data_page_offset);
    if (m->has_index_page_offset) sl_thrift_field_i64(w, 10, m->index_page_offset);
    if (m->has_dictionary_page_offset) sl_thrift_field_i64(w, 11, m->dictionary_page_offset);
    if (m->has_statistics) {
        sl_thrift_field_begin(w, SL_THRIFT_STRUCT, 12);
        sl_pq_statistics_write(w, &m->statistics);
    }
    if (m->n_encoding_stats) {
        sl_thrift_field_list_begin(w, 13, SL_THRIFT_STRUCT, m->n_encoding_stats);
        for (uint32_t i = 0; i < m->n_encoding_stats; i++) {
            sl_thrift_struct_begin(w);
            sl_thrift_field_i32(w, 1, m->encoding_stats[i].page_type);
            sl_thrift_field_i32(w, 2, m->encoding_stats[i].encoding);
            sl_thrift_field_i32(w, 3, m->encoding_stats[i].count);
            sl_thrift_struct_end(w);
        }
    }
    sl_thrift_struct_end(w);
}

/* A struct field whose body writer opens and closes the struct itself. */
#define NESTED(w, id, call)                                                                                            \
    do {                                                                                                               \
        sl_thrift_field_begin(w, SL_THRIFT_STRUCT, id);                                                                \
        call;                                                                                                          \
    } while (0)

void sl_pq_column_chunk_write(sl_thrift_writer *w, const sl_pq_column_chunk *c) {
    sl_thrift_struct_begin(w);
    if (c->file_path) sl_thrift_field_binary(w, 1, c->file_path, c->file_path_len);
    sl_thrift_field_i64(w, 2, c->file_offset);
    if (c->has_meta_data) NESTED(w, 3, sl_pq_column_meta_write(w, &c->meta_data));
    if (c->has_offset_index) {
        sl_thrift_field_i64(w, 4, c->offset_index_offset);
        sl_thrift_field_i32(w, 5, c->offset_index_length);
    }
    if (c->has_column_index) {
        sl_thrift_field_i64(w, 6, c->column_index_offset);
        sl_thrift_field_i32(w, 7, c->column_index_length);
    }
    sl_thrift_struct_end(w);
}

void sl_pq_row_group_write(sl_thrift_writer *w, const sl_pq_row_group *g) {
    sl_thrift_struct_begin(w);
    sl_thrift_field_list_begin(w, 1, SL_THRIFT_STRUCT, g->n_columns);
    for (uint32_t i = 0; i < g->n_columns; i++)
        sl_pq_column_chunk_write(w, &g->columns[i]);
    sl_thrift_field_i64(w, 2, g->total_byte_size);
    sl_thrift_field_i64(w, 3, g->num_rows);
    if (g->has_file_offset) sl_thrift_field_i64(w, 5, g->file_offset);
    if (g->has_total_compressed_size) sl_thrift_field_i64(w, 6, g->total_compressed_size);
    if (g->has_ordinal) sl_thrift_field_i16(w, 7, g->ordinal);
    sl_thrift_struct_end(w);
}

void sl_pq_file_meta_write(sl_thrift_writer *w, const sl_pq_file_meta *f) {
    sl_thrift_struct_begin(w);
    sl_thrift_field_i32(w, 1, f->version);
    sl_thrift_field_list_begin(w, 2, SL_THRIFT_STRUCT, f->n_schema);
    for (uint32_t i = 0; i < f->n_schema; i++)
        sl_pq_schema_element_write(w, &f->schema[i]);
    sl_thrift_field_i64(w, 3, f->num_rows);
    sl_thrift_field_list_begin(w, 4, SL_THRIFT_STRUCT, f->n_row_groups);
    for (uint32_t i = 0; i < f->n_row_groups; i++)
        sl_pq_row_group_write(w, &f->row_groups[i]);
    if (f->n_key_value) key_values_write(w, 5, f->key_value, f->n_key_value);
    if (f->created_by) sl_thrift_field_binary(w, 6, f->created_by, f->created_by_len);
    if (f->write_column_orders) {
        uint32_t leaves = 0;
        for (uint32_t i = 0; i < f->n_schema; i++)
            if (i > 0 && !(f->schema[i].has_num_children && f->schema[i].num_children > 0)) leaves++;
        sl_thrift_field_list_begin(w, 7, SL_THRIFT_STRUCT, leaves);
        for (uint32_t i = 0; i < leaves; i++) {
            sl_thrift_struct_begin(w); /* union ColumnOrder */
            empty_struct_field(w, 1);  /* TYPE_ORDER */
            sl_thrift_struct_end(w);
        }
    }
    sl_thrift_struct_end(w);
}

void sl_pq_page_header_write(sl_thrift_writer *w, const sl_pq_page_header *h) {
    sl_thrift_struct_begin(w);
    sl_thrift_field_i32(w, 1, h->type);
    sl_thrift_field_i32(w, 2, h->uncompressed_page_size);
    sl_thrift_field_i32(w, 3, h->compressed_page_size);
    if (h->has_crc) sl_thrift_field_i32(w, 4, h->crc);
    if (h->has_data_page_header) {
        const sl_pq_data_page_header *d = &h->data_page_header;
        sl_thrift_field_struct_begin(w, 5);
        sl_thrift_field_i32(w, 1, d->num_values);
        sl_thrift_field_i32(w, 2, d->encoding);
        sl_thrift_field_i32(w, 3, d->definition_level_encoding);
        sl_thrift_field_i32(w, 4, d->repetition_level_encoding);
        if (d->has_statistics) NESTED(w, 5, sl_pq_statistics_write(w, &d->statistics));
        sl_thrift_struct_end(w);
    }
    if (h->has_dictionary_page_header) {
        const sl_pq_dictionary_page_header *d = &h->dictionary_page_header;
        sl_thrift_field_struct_begin(w, 7);
        sl_thrift_field_i32(w, 1, d->num_values);
        sl_thrift_field_i32(w, 2, d->encoding);
        if (d->has_is_sorted) sl_thrift_field_bool(w, 3, d->is_sorted);
        sl_thrift_struct_end(w);
    }
    if (h->has_data_page_header_v2) {
        const sl_pq_data_page_header_v2 *d = &h->data_page_header_v2;
        sl_thrift_field_struct_begin(w, 8);
        sl_thrift_field_i32(w, 1, d->num_values);
        sl_thrift_field_i32(w, 2, d->num_nulls);
        sl_thrift_field_i32(w, 3, d->num_rows);
        sl_thrift_field_i32(w, 4, d->encoding);
        sl_thrift_field_i32(w, 5, d->definition_levels_byte_length);
        sl_thrift_field_i32(w, 6, d->repetition_levels_byte_length);
        sl_thrift_field_bool(w, 7, d->is_compressed);
        if (d->has_statistics) NESTED(w, 8, sl_pq_statistics_write(w, &d->statistics));
        sl_thrift_struct_end(w);
    }
    sl_thrift_struct_end(w);
}

int sl_pq_file_meta_encode(const sl_pq_file_meta *f, sl_buf *out) {
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, out);
    sl_pq_file_meta_write(&w, f);
    return w.status;
}

int sl_pq_page_header_encode(const sl_pq_page_header *h, sl_buf *out) {
    sl_thrift_writer w;
    sl_thrift_writer_init(&w, out);
    sl_pq_page_header_write(&w, h);
    return w.status;
}

/* ================= decoding ================= */

/* Field loop: for each field of the struct just entered, run the body with
 * `type` and `id` set; unknown fields must be skipped by the body. */
#define FOR_FIELDS(r, type, id)                                                                                        \
    for (int type, fr_; (fr_ = sl_thrift_read_field(r, &type, &id)) != 0;)                                             \
        if (fr_ < 0)                                                                                                   \
            return SL_EPARSE;                                                                                          \
        else

static int expect(sl_thrift_reader *r, int type, int want, const char *what) {
    if (type == want) return 0;
    if (want == SL_THRIFT_TRUE && type == SL_THRIFT_FALSE) return 0;
    return sl_thrift_fail(r, what);
}

static int read_i32_field(sl_thrift_reader *r, int type, int32_t *v, const char *what) {
    if (expect(r, type, SL_THRIFT_I32, what)) return SL_EPARSE;
    return sl_thrift_read_i32(r, v);
}

static int read_i64_field(sl_thrift_reader *r, int type, int64_t *v, const char *what) {
    /* some writers use i32 where the spec says i64: varints are compatible */
    if (type != SL_THRIFT_I64 && type != SL_THRIFT_I32 && type != SL_THRIFT_I16) return sl_thrift_fail(r, what);
    return sl_thrift_read_i64(r, v);
}

static int read_bin_field(sl_thrift_reader *r, int type, const uint8_t **d, uint32_t *len, const char *what) {
    if (expect(r, type, SL_THRIFT_BINARY, what)) return SL_EPARSE;
    return sl_thrift_read_binary(r, d, len);
}

static int read_str_field(sl_thrift_reader *r, int type, const char **s, uint32_t *len, const char *what) {
    const uint8_t *d;
    if (read_bin_field(r, type, &d, len, what)) return SL_EPARSE;
    *s = (const char *)d;
    return 0;
}

static int read_bool_field(sl_thrift_reader *r, int type, bool *v, const char *what) {
    if (expect(r, type, SL_THRIFT_TRUE, what)) return SL_EPARSE;
    return sl_thrift_read_bool(r, v);
}

static int enter_struct(sl_thrift_reader *r, int type, const char *what) {
    if (type != SL_THRIFT_STRUCT) return sl_thrift_fail(r, what);
    return 0;
}

int sl_pq_statistics_read(sl_thrift_reader *r, sl_pq_statistics *s) {
    memset(s, 0, sizeof *s);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    int16_t id;
    const char *bad = "Statistics: field of the wrong type";
    FOR_FIELDS(r, t, id) {
        int rc;
        switch (id) {
        case 1:
            rc = read_bin_field(r, t, &s->max, &s->max_len, bad);
            s->has_max = true;
            break;
        case 2:
            rc = read_bin_field(r, t, &s->min, &s->min_len, bad);
            s->has_min = true;
            break;
        case 3:
            rc = read_i64_field(r, t, &s->null_count, bad);
            s->has_null_count = true;
            break;
        case 4:
            rc = read_i64_field(r, t, &s->distinct_count, bad);
            s->has_distinct_count = true;
            break;
        case 5:
            rc = read_bin_field(r, t, &s->max_value, &s->max_value_len, bad);
            s->has_max_value = true;
            break;
        case 6:
            rc = read_bin_field(r, t, &s->min_value, &s->min_value_len, bad);
            s->has_min_value = true;
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
    }
    return 0;
}

/* TimeUnit union: the id of its member. */
static int time_unit_read(sl_thrift_reader *r, sl_pq_time_unit *u) {
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        if (id >= SL_PQ_MILLIS && id <= SL_PQ_NANOS && t == SL_THRIFT_STRUCT) *u = (sl_pq_time_unit)id;
        if (sl_thrift_skip(r, t)) return SL_EPARSE;
    }
    return 0;
}

static int logical_member_read(sl_thrift_reader *r, int16_t kind, sl_pq_logical_type *lt) {
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "LogicalType: field of the wrong type";
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc = 0;
        if (kind == SL_PQ_LT_DECIMAL && id == 1)
            rc = read_i32_field(r, t, &lt->decimal_scale, bad);
        else if (kind == SL_PQ_LT_DECIMAL && id == 2)
            rc = read_i32_field(r, t, &lt->decimal_precision, bad);
        else if ((kind == SL_PQ_LT_TIME || kind == SL_PQ_LT_TIMESTAMP) && id == 1)
            rc = read_bool_field(r, t, &lt->is_adjusted_to_utc, bad);
        else if ((kind == SL_PQ_LT_TIME || kind == SL_PQ_LT_TIMESTAMP) && id == 2)
            rc = enter_struct(r, t, bad) || time_unit_read(r, &lt->unit) ? SL_EPARSE : 0;
        else if (kind == SL_PQ_LT_INTEGER && id == 1 && t == SL_THRIFT_I8)
            rc = sl_thrift_read_i8(r, &lt->bit_width);
        else if (kind == SL_PQ_LT_INTEGER && id == 2)
            rc = read_bool_field(r, t, &lt->is_signed, bad);
        else
            rc = sl_thrift_skip(r, t);
        if (rc) return SL_EPARSE;
    }
    return 0;
}

static int logical_type_read(sl_thrift_reader *r, sl_pq_logical_type *lt) {
    memset(lt, 0, sizeof *lt);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        bool known = t == SL_THRIFT_STRUCT && id >= SL_PQ_LT_STRING && id <= SL_PQ_LT_FLOAT16 && id != 9;
        if (known) {
            lt->kind = (sl_pq_logical_kind)id;
            if (logical_member_read(r, id, lt)) return SL_EPARSE;
        } else if (sl_thrift_skip(r, t)) {
            return SL_EPARSE;
        }
    }
    return 0;
}

int sl_pq_schema_element_read(sl_thrift_reader *r, sl_arena *a, sl_pq_schema_element *e) {
    memset(e, 0, sizeof *e);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "SchemaElement: field of the wrong type";
    bool has_name = false;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        int32_t v = 0;
        switch (id) {
        case 1:
            rc = read_i32_field(r, t, &v, bad);
            if (!rc && (v < SL_PQ_BOOLEAN || v > SL_PQ_FIXED_LEN_BYTE_ARRAY))
                rc = sl_thrift_fail(r, "SchemaElement: unknown physical type");
            e->type = (sl_pq_type)v;
            e->has_type = true;
            break;
        case 2:
            rc = read_i32_field(r, t, &e->type_length, bad);
            e->has_type_length = true;
            break;
        case 3:
            rc = read_i32_field(r, t, &v, bad);
            if (!rc && (v < SL_PQ_REQUIRED || v > SL_PQ_REPEATED))
                rc = sl_thrift_fail(r, "SchemaElement: unknown repetition type");
            e->repetition_type = (sl_pq_repetition)v;
            e->has_repetition = true;
            break;
        case 4:
            rc = read_str_field(r, t, &e->name, &e->name_len, bad);
            has_name = true;
            break;
        case 5:
            rc = read_i32_field(r, t, &e->num_children, bad);
            if (!rc && e->num_children < 0) rc = sl_thrift_fail(r, "SchemaElement: negative num_children");
            e->has_num_children = true;
            break;
        case 6:
            rc = read_i32_field(r, t, &v, bad);
            e->converted_type = (sl_pq_converted)v;
            e->has_converted_type = true;
            break;
        case 7:
            rc = read_i32_field(r, t, &e->scale, bad);
            e->has_scale = true;
            break;
        case 8:
            rc = read_i32_field(r, t, &e->precision, bad);
            e->has_precision = true;
            break;
        case 9:
            rc = read_i32_field(r, t, &e->field_id, bad);
            e->has_field_id = true;
            break;
        case 10: rc = enter_struct(r, t, bad) || logical_type_read(r, &e->logical_type) ? SL_EPARSE : 0; break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
    }
    if (!has_name) return sl_thrift_fail(r, "SchemaElement: missing name");
    (void)a;
    return 0;
}

static int key_values_read(sl_thrift_reader *r, sl_arena *a, int type, sl_pq_key_value **out, uint32_t *n) {
    int et;
    uint32_t count;
    if (type != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &count))
        return sl_thrift_fail(r, "key_value_metadata: not a list");
    if (et != SL_THRIFT_STRUCT) return sl_thrift_fail(r, "key_value_metadata: not a list of structs");
    sl_pq_key_value *kv = sl_arena_calloc(a, (size_t)count * sizeof *kv + 1);
    for (uint32_t i = 0; i < count; i++) {
        if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
        int16_t id;
        FOR_FIELDS(r, t, id) {
            int rc;
            if (id == 1)
                rc = read_str_field(r, t, &kv[i].key, &kv[i].key_len, "KeyValue: key is not a string");
            else if (id == 2) {
                rc = read_str_field(r, t, &kv[i].value, &kv[i].value_len, "KeyValue: value is not a string");
                kv[i].has_value = true;
            } else
                rc = sl_thrift_skip(r, t);
            if (rc) return SL_EPARSE;
        }
        if (!kv[i].key) kv[i].key = "";
    }
    *out = kv;
    *n = count;
    return 0;
}

/* list<i32> of encodings */
static int encodings_read(sl_thrift_reader *r, sl_arena *a, int type, sl_pq_column_meta *m) {
    int et;
    uint32_t count;
    if (type != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &count) || et != SL_THRIFT_I32)
        return sl_thrift_fail(r, "ColumnMetaData: encodings is not a list of i32");
    m->encodings = sl_arena_alloc(a, (size_t)count * sizeof *m->encodings + 1);
    for (uint32_t i = 0; i < count; i++) {
        int32_t v;
        if (sl_thrift_read_i32(r, &v)) return SL_EPARSE;
        m->encodings[i] = (sl_pq_encoding)v;
    }
    m->n_encodings = count;
    return 0;
}

static int path_read(sl_thrift_reader *r, sl_arena *a, int type, sl_pq_column_meta *m) {
    int et;
    uint32_t count;
    if (type != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &count) || et != SL_THRIFT_BINARY)
        return sl_thrift_fail(r, "ColumnMetaData: path_in_schema is not a list of strings");
    m->path = sl_arena_alloc(a, (size_t)count * sizeof *m->path + 1);
    m->path_len = sl_arena_alloc(a, (size_t)count * sizeof *m->path_len + 1);
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *d;
        if (sl_thrift_read_binary(r, &d, &m->path_len[i])) return SL_EPARSE;
        m->path[i] = (const char *)d;
    }
    m->n_path = count;
    return 0;
}

static int encoding_stats_read(sl_thrift_reader *r, sl_arena *a, int type, sl_pq_column_meta *m) {
    int et;
    uint32_t count;
    if (type != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &count) || et != SL_THRIFT_STRUCT)
        return sl_thrift_fail(r, "ColumnMetaData: encoding_stats is not a list of structs");
    m->encoding_stats = sl_arena_calloc(a, (size_t)count * sizeof *m->encoding_stats + 1);
    const char *bad = "PageEncodingStats: field of the wrong type";
    for (uint32_t i = 0; i < count; i++) {
        sl_pq_page_encoding_stats *s = &m->encoding_stats[i];
        if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
        int16_t id;
        FOR_FIELDS(r, t, id) {
            int32_t v = 0;
            int rc;
            if (id >= 1 && id <= 3)
                rc = read_i32_field(r, t, &v, bad);
            else
                rc = sl_thrift_skip(r, t);
            if (rc) return SL_EPARSE;
            if (id == 1) s->page_type = (sl_pq_page_type)v;
            if (id == 2) s->encoding = (sl_pq_encoding)v;
            if (id == 3) s->count = v;
        }
    }
    m->n_encoding_stats = count;
    return 0;
}

int sl_pq_column_meta_read(sl_thrift_reader *r, sl_arena *a, sl_pq_column_meta *m) {
    memset(m, 0, sizeof *m);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "ColumnMetaData: field of the wrong type";
    unsigned seen = 0;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        int32_t v = 0;
        switch (id) {
        case 1:
            rc = read_i32_field(r, t, &v, bad);
            if (!rc && (v < SL_PQ_BOOLEAN || v > SL_PQ_FIXED_LEN_BYTE_ARRAY))
                rc = sl_thrift_fail(r, "ColumnMetaData: unknown physical type");
            m->type = (sl_pq_type)v;
            break;
        case 2: rc = encodings_read(r, a, t, m); break;
        case 3: rc = path_read(r, a, t, m); break;
        case 4:
            rc = read_i32_field(r, t, &v, bad);
            m->codec = (sl_pq_codec)v;
            break;
        case 5: rc = read_i64_field(r, t, &m->num_values, bad); break;
        case 6: rc = read_i64_field(r, t, &m->total_uncompressed_size, bad); break;
        case 7: rc = read_i64_field(r, t, &m->total_compressed_size, bad); break;
        case 8: rc = key_values_read(r, a, t, &m->key_value, &m->n_key_value); break;
        case 9: rc = read_i64_field(r, t, &m->data_page_offset, bad); break;
        case 10:
            rc = read_i64_field(r, t, &m->index_page_offset, bad);
            m->has_index_page_offset = true;
            break;
        case 11:
            rc = read_i64_field(r, t, &m->dictionary_page_offset, bad);
            m->has_dictionary_page_offset = true;
            break;
        case 12:
            rc = enter_struct(r, t, bad) || sl_pq_statistics_read(r, &m->statistics) ? SL_EPARSE : 0;
            m->has_statistics = true;
            break;
        case 13: rc = encoding_stats_read(r, a, t, m); break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
        if (id >= 1 && id <= 9) seen |= 1u << id;
    }
    /* required: type, path_in_schema, codec, num_values, sizes, data_page_offset */
    unsigned need = 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 9;
    if ((seen & need) != need) return sl_thrift_fail(r, "ColumnMetaData: a required field is missing");
    return 0;
}

int sl_pq_column_chunk_read(sl_thrift_reader *r, sl_arena *a, sl_pq_column_chunk *c) {
    memset(c, 0, sizeof *c);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "ColumnChunk: field of the wrong type";
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        switch (id) {
        case 1: rc = read_str_field(r, t, &c->file_path, &c->file_path_len, bad); break;
        case 2: rc = read_i64_field(r, t, &c->file_offset, bad); break;
        case 3:
            rc = enter_struct(r, t, bad) || sl_pq_column_meta_read(r, a, &c->meta_data) ? SL_EPARSE : 0;
            c->has_meta_data = true;
            break;
        case 4:
            rc = read_i64_field(r, t, &c->offset_index_offset, bad);
            c->has_offset_index = true;
            break;
        case 5: rc = read_i32_field(r, t, &c->offset_index_length, bad); break;
        case 6:
            rc = read_i64_field(r, t, &c->column_index_offset, bad);
            c->has_column_index = true;
            break;
        case 7: rc = read_i32_field(r, t, &c->column_index_length, bad); break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
    }
    if (!c->has_meta_data) return sl_thrift_fail(r, "ColumnChunk: no meta_data (encrypted columns are not supported)");
    return 0;
}

int sl_pq_row_group_read(sl_thrift_reader *r, sl_arena *a, sl_pq_row_group *g) {
    memset(g, 0, sizeof *g);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "RowGroup: field of the wrong type";
    bool has_columns = false, has_rows = false;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        switch (id) {
        case 1: {
            int et;
            uint32_t n;
            if (t != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &n) || et != SL_THRIFT_STRUCT)
                return sl_thrift_fail(r, "RowGroup: columns is not a list of structs");
            g->columns = sl_arena_calloc(a, (size_t)n * sizeof *g->columns + 1);
            g->n_columns = n;
            rc = 0;
            for (uint32_t i = 0; i < n && !rc; i++)
                rc = sl_pq_column_chunk_read(r, a, &g->columns[i]);
            has_columns = true;
            break;
        }
        case 2: rc = read_i64_field(r, t, &g->total_byte_size, bad); break;
        case 3:
            rc = read_i64_field(r, t, &g->num_rows, bad);
            has_rows = true;
            break;
        case 5:
            rc = read_i64_field(r, t, &g->file_offset, bad);
            g->has_file_offset = true;
            break;
        case 6:
            rc = read_i64_field(r, t, &g->total_compressed_size, bad);
            g->has_total_compressed_size = true;
            break;
        case 7:
            if (t != SL_THRIFT_I16 && t != SL_THRIFT_I32)
                rc = sl_thrift_fail(r, bad);
            else
                rc = sl_thrift_read_i16(r, &g->ordinal);
            g->has_ordinal = true;
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
    }
    if (!has_columns || !has_rows) return sl_thrift_fail(r, "RowGroup: columns or num_rows missing");
    if (g->num_rows < 0) return sl_thrift_fail(r, "RowGroup: negative num_rows");
    return 0;
}

int sl_pq_file_meta_read(sl_thrift_reader *r, sl_arena *a, sl_pq_file_meta *f) {
    memset(f, 0, sizeof *f);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "FileMetaData: field of the wrong type";
    bool has_schema = false, has_row_groups = false, has_rows = false;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc = 0;
        int et;
        uint32_t n;
        switch (id) {
        case 1: rc = read_i32_field(r, t, &f->version, bad); break;
        case 2:
            if (t != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &n) || et != SL_THRIFT_STRUCT)
                return sl_thrift_fail(r, "FileMetaData: schema is not a list of structs");
            f->schema = sl_arena_calloc(a, (size_t)n * sizeof *f->schema + 1);
            f->n_schema = n;
            for (uint32_t i = 0; i < n && !rc; i++)
                rc = sl_pq_schema_element_read(r, a, &f->schema[i]);
            has_schema = true;
            break;
        case 3:
            rc = read_i64_field(r, t, &f->num_rows, bad);
            has_rows = true;
            break;
        case 4:
            if (t != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &n) || et != SL_THRIFT_STRUCT)
                return sl_thrift_fail(r, "FileMetaData: row_groups is not a list of structs");
            f->row_groups = sl_arena_calloc(a, (size_t)n * sizeof *f->row_groups + 1);
            f->n_row_groups = n;
            for (uint32_t i = 0; i < n && !rc; i++)
                rc = sl_pq_row_group_read(r, a, &f->row_groups[i]);
            has_row_groups = true;
            break;
        case 5: rc = key_values_read(r, a, t, &f->key_value, &f->n_key_value); break;
        case 6: rc = read_str_field(r, t, &f->created_by, &f->created_by_len, bad); break;
        case 7:
            if (t != SL_THRIFT_LIST || sl_thrift_read_list_begin(r, &et, &n))
                return sl_thrift_fail(r, "FileMetaData: column_orders is not a list");
            f->n_column_orders = n;
            for (uint32_t i = 0; i < n && !rc; i++)
                rc = sl_thrift_skip(r, et);
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
    }
    if (!has_schema || !has_row_groups || !has_rows)
        return sl_thrift_fail(r, "FileMetaData: schema, num_rows or row_groups missing");
    if (f->n_schema == 0) return sl_thrift_fail(r, "FileMetaData: empty schema");
    return 0;
}

static int data_page_header_read(sl_thrift_reader *r, sl_pq_data_page_header *d) {
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "DataPageHeader: field of the wrong type";
    unsigned seen = 0;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        int32_t v = 0;
        switch (id) {
        case 1: rc = read_i32_field(r, t, &d->num_values, bad); break;
        case 2:
            rc = read_i32_field(r, t, &v, bad);
            d->encoding = (sl_pq_encoding)v;
            break;
        case 3:
            rc = read_i32_field(r, t, &v, bad);
            d->definition_level_encoding = (sl_pq_encoding)v;
            break;
        case 4:
            rc = read_i32_field(r, t, &v, bad);
            d->repetition_level_encoding = (sl_pq_encoding)v;
            break;
        case 5:
            rc = enter_struct(r, t, bad) || sl_pq_statistics_read(r, &d->statistics) ? SL_EPARSE : 0;
            d->has_statistics = true;
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
        if (id >= 1 && id <= 4) seen |= 1u << id;
    }
    if (seen != 0x1E) return sl_thrift_fail(r, "DataPageHeader: a required field is missing");
    if (d->num_values < 0) return sl_thrift_fail(r, "DataPageHeader: negative num_values");
    return 0;
}

static int dictionary_page_header_read(sl_thrift_reader *r, sl_pq_dictionary_page_header *d) {
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "DictionaryPageHeader: field of the wrong type";
    bool has_n = false;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        int32_t v = 0;
        switch (id) {
        case 1:
            rc = read_i32_field(r, t, &d->num_values, bad);
            has_n = true;
            break;
        case 2:
            rc = read_i32_field(r, t, &v, bad);
            d->encoding = (sl_pq_encoding)v;
            break;
        case 3:
            rc = read_bool_field(r, t, &d->is_sorted, bad);
            d->has_is_sorted = true;
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
    }
    if (!has_n || d->num_values < 0) return sl_thrift_fail(r, "DictionaryPageHeader: bad num_values");
    return 0;
}

static int data_page_header_v2_read(sl_thrift_reader *r, sl_pq_data_page_header_v2 *d) {
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "DataPageHeaderV2: field of the wrong type";
    d->is_compressed = true;
    unsigned seen = 0;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        int32_t v = 0;
        switch (id) {
        case 1: rc = read_i32_field(r, t, &d->num_values, bad); break;
        case 2: rc = read_i32_field(r, t, &d->num_nulls, bad); break;
        case 3: rc = read_i32_field(r, t, &d->num_rows, bad); break;
        case 4:
            rc = read_i32_field(r, t, &v, bad);
            d->encoding = (sl_pq_encoding)v;
            break;
        case 5: rc = read_i32_field(r, t, &d->definition_levels_byte_length, bad); break;
        case 6: rc = read_i32_field(r, t, &d->repetition_levels_byte_length, bad); break;
        case 7: rc = read_bool_field(r, t, &d->is_compressed, bad); break;
        case 8:
            rc = enter_struct(r, t, bad) || sl_pq_statistics_read(r, &d->statistics) ? SL_EPARSE : 0;
            d->has_statistics = true;
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
        if (id >= 1 && id <= 6) seen |= 1u << id;
    }
    if (seen != 0x7E) return sl_thrift_fail(r, "DataPageHeaderV2: a required field is missing");
    if (d->num_values < 0 || d->num_nulls < 0 || d->num_rows < 0 || d->definition_levels_byte_length < 0 ||
        d->repetition_levels_byte_length < 0)
        return sl_thrift_fail(r, "DataPageHeaderV2: negative count or length");
    return 0;
}

int sl_pq_page_header_read(sl_thrift_reader *r, sl_pq_page_header *h) {
    memset(h, 0, sizeof *h);
    if (sl_thrift_struct_begin_read(r)) return SL_EPARSE;
    const char *bad = "PageHeader: field of the wrong type";
    unsigned seen = 0;
    int16_t id;
    FOR_FIELDS(r, t, id) {
        int rc;
        int32_t v = 0;
        switch (id) {
        case 1:
            rc = read_i32_field(r, t, &v, bad);
            h->type = (sl_pq_page_type)v;
            break;
        case 2: rc = read_i32_field(r, t, &h->uncompressed_page_size, bad); break;
        case 3: rc = read_i32_field(r, t, &h->compressed_page_size, bad); break;
        case 4:
            rc = read_i32_field(r, t, &h->crc, bad);
            h->has_crc = true;
            break;
        case 5:
            rc = enter_struct(r, t, bad) || data_page_header_read(r, &h->data_page_header) ? SL_EPARSE : 0;
            h->has_data_page_header = true;
            break;
        case 7:
            rc = enter_struct(r, t, bad) || dictionary_page_header_read(r, &h->dictionary_page_header) ? SL_EPARSE : 0;
            h->has_dictionary_page_header = true;
            break;
        case 8:
            rc = enter_struct(r, t, bad) || data_page_header_v2_read(r, &h->data_page_header_v2) ? SL_EPARSE : 0;
            h->has_data_page_header_v2 = true;
            break;
        default: rc = sl_thrift_skip(r, t); break;
        }
        if (rc) return SL_EPARSE;
        if (id >= 1 && id <= 3) seen |= 1u << id;
    }
    if (seen != 0xE) return sl_thrift_fail(r, "PageHeader: a required field is missing");
    if (h->uncompressed_page_size < 0 || h->compressed_page_size < 0)
        return sl_thrift_fail(r, "PageHeader: negative page size");
    return 0;
}

int sl_pq_file_meta_decode(const void *footer, size_t len, sl_arena *a, sl_pq_file_meta *f, sl_error *err) {
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, footer, len);
    if (sl_pq_file_meta_read(&r, a, f))
        return sl_error_set(err, SL_EPARSE, "parquet footer: %s (at byte %zu of %zu)", r.what ? r.what : "malformed",
                            sl_thrift_reader_pos(&r), len);
    return 0;
}

int sl_pq_page_header_decode(const void *buf, size_t len, sl_pq_page_header *h, size_t *header_len, sl_error *err) {
    sl_thrift_reader r;
    sl_thrift_reader_init(&r, buf, len);
    if (sl_pq_page_header_read(&r, h))
        return sl_error_set(err, SL_EPARSE, "parquet page header: %s", r.what ? r.what : "malformed");
    *header_len = sl_thrift_reader_pos(&r);
    return 0;
}
