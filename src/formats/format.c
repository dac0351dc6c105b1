/*
 * format.c — the record formats the file source and target know, behind
 * one vtable (format.h): json, csv, dynamodb_json.
 */
#include "formats/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "formats/avro.h"
#include "formats/csv.h"
#include "formats/ddbjson.h"
#include "formats/json.h"
#include "formats/parquet.h"

void sl_format_opts_default(sl_format_opts *o) {
    memset(o, 0, sizeof *o);
    o->delimiter = ',';
    o->quote = '"';
    o->escape = '"';
    o->header = true;
    o->null_text = "";
    o->infer_types = true;
    o->multiline = true;
}

/* ---- json ---- */

static int json_decoder_new(const sl_format_opts *o, void **dec, sl_error *err) {
    sl_json_decoder *d = sl_xmalloc(sizeof *d);
    sl_json_decoder_init(d);
    *dec = d;
    return SL_OK;
}

static int json_decode(void *dec, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                       sl_error *err) {
    return sl_json_decode(dec, buf, len, at_eof, consumed, ctx, err);
}

static int json_encoder_new(const sl_format_opts *o, void **enc, sl_error *err) {
    *enc = NULL;
    return SL_OK;
}

static int json_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err) {
    int rc = sl_json_write(out, rec);
    if (!rc) rc = sl_buf_addc(out, '\n');
    if (rc) return sl_error_set(err, rc, "record cannot be written as JSON (%s)", sl_strerror(rc));
    return SL_OK;
}

static void nothing_free(void *p) { free(p); }

/* ---- dynamodb_json: JSON lines of DynamoDB-typed items (S3 export) ---- */

static int ddb_decode(void *dec, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                      sl_error *err) {
    sl_batch *b = ctx->batch;
    size_t first = b->count;
    int rc = sl_json_decode(dec, buf, len, at_eof, consumed, ctx, err);
    if (rc < 0) return rc;
    size_t out = first;
    sl_error e; /* only written on failure: cleared once, and after each use */
    sl_error_clear(&e);
    for (size_t i = first; i < b->count; i++) {
        sl_value rec;
        if (sl_ddb_item_to_record(&b->arena, &b->records[i], &rec, &e) == 0) {
            b->records[out] = rec;
            b->locs[out] = b->locs[i];
            out++;
            continue;
        }
        sl_buf raw;
        sl_buf_init(&raw, 0);
        sl_json_write(&raw, &b->records[i]);
        int r = ctx->reject(ctx->ud, b->locs[i].line, b->locs[i].offset, e.message, raw.data ? raw.data : "", raw.len);
        sl_buf_free(&raw);
        sl_error_clear(&e);
        if (r < 0) {
            b->count = out;
            return r;
        }
    }
    b->count = out;
    return rc;
}

/* ---- csv ---- */

/* CSV options from format options; *types_out must be freed by the caller
 * after the decoder/writer copied what it keeps. */
static int csv_options(const sl_format_opts *o, sl_csv_options *co, sl_csv_column_type **types_out, sl_error *err) {
    *co = sl_csv_options_default();
    co->delimiter = o->delimiter;
    co->quote = o->quote;
    co->escape = o->escape;
    co->header = o->header;
    co->null_text = o->null_text;
    co->infer_types = o->infer_types;
    co->multiline = o->multiline;
    co->keep_columns = o->projection;
    *types_out = NULL;
    if (o->types && o->types->type == SL_T_STRUCT && o->types->len) {
        sl_csv_column_type *t = sl_xcalloc(o->types->len, sizeof *t);
        for (uint32_t i = 0; i < o->types->len; i++) {
            const sl_field *f = &o->types->u.fields[i];
            const char *name = f->value.type == SL_T_STRING ? f->value.u.s : "";
            if (sl_type_parse(name, &t[i].type) != 0 || t[i].type == SL_T_LIST || t[i].type == SL_T_STRUCT) {
                free(t);
                return sl_error_set(err, SL_EINVAL, "types: column '%.*s': unknown or non-scalar type '%s'",
                                    (int)f->name_len, f->name, name);
            }
            t[i].name = f->name; /* option tree strings are NUL-terminated */
        }
        co->column_types = t;
        co->n_column_types = o->types->len;
        *types_out = t;
    }
    return sl_csv_options_check(co, err);
}

static int csv_decoder_new(const sl_format_opts *o, void **dec, sl_error *err) {
    sl_csv_options co;
    sl_csv_column_type *types;
    int rc = csv_options(o, &co, &types, err);
    sl_csv_decoder *d = NULL;
    if (!rc) {
        d = sl_xmalloc(sizeof *d);
        rc = sl_csv_decoder_init(d, &co);
        if (rc) {
            free(d);
            sl_error_set(err, rc, "invalid CSV options");
        }
    }
    free(types);
    if (!rc) *dec = d;
    return rc;
}

static int csv_decode(void *dec, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                      sl_error *err) {
    return sl_csv_decode(dec, buf, len, at_eof, consumed, ctx, err);
}

static int csv_set_header(void *dec, const char *line, size_t len, sl_error *err) {
    int rc = sl_csv_decoder_set_header(dec, line, len);
    if (rc) sl_error_set(err, rc, "cannot read the CSV header line");
    return rc;
}

static void csv_decoder_free(void *dec) {
    if (!dec) return;
    sl_csv_decoder_free(dec);
    free(dec);
}

static int csv_encoder_new(const sl_format_opts *o, void **enc, sl_error *err) {
    sl_csv_options co;
    sl_csv_column_type *types;
    int rc = csv_options(o, &co, &types, err);
    free(types);
    if (rc) return rc;
    sl_csv_writer *w = sl_xmalloc(sizeof *w);
    rc = sl_csv_writer_init(w, &co);
    if (rc) {
        free(w);
        return sl_error_set(err, rc, "invalid CSV options");
    }
    *enc = w;
    return SL_OK;
}

static int csv_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err) {
    return sl_csv_write_record(enc, out, rec, err);
}

static void csv_encoder_free(void *enc) {
    if (!enc) return;
    sl_csv_writer_free(enc);
    free(enc);
}

static const sl_format formats[] = {
    {.name = "json",
     .extensions = ".json .jsonl .ndjson",
     .out_ext = ".json",
     .line_splittable = true,
     .decoder_new = json_decoder_new,
     .decode = json_decode,
     .decoder_free = nothing_free,
     .encoder_new = json_encoder_new,
     .encode = json_encode,
     .encoder_free = nothing_free},
    {.name = "csv",
     .extensions = ".csv .tsv .txt",
     .out_ext = ".csv",
     .line_splittable = true,
     .needs_header = true,
     .decoder_new = csv_decoder_new,
     .decode = csv_decode,
     .set_header = csv_set_header,
     .decoder_free = csv_decoder_free,
     .encoder_new = csv_encoder_new,
     .encode = csv_encode,
     .encoder_free = csv_encoder_free},
    {.name = "dynamodb_json",
     .extensions = ".ddb.json .ddbjson",
     .out_ext = ".json",
     .line_splittable = true,
     .decoder_new = json_decoder_new,
     .decode = ddb_decode,
     .decoder_free = nothing_free},
    {.name = "parquet",
     .extensions = ".parquet .pq",
     .out_ext = ".parquet",
     .encoder_new = sl_parquet_encoder_new,
     .encode = sl_parquet_encode,
     .encode_finish = sl_parquet_encode_finish,
     .encoder_free = sl_parquet_encoder_free,
     .object_open = sl_parquet_object_open,
     .object_open_range = sl_parquet_object_open_range,
     .object_next = sl_parquet_object_next,
     .object_close = sl_parquet_object_close},
    {.name = "avro",
     .extensions = ".avro",
     .out_ext = ".avro",
     .encoder_new = sl_avro_encoder_new,
     .encode = sl_avro_encode,
     .encode_finish = sl_avro_encode_finish,
     .encoder_free = sl_avro_encoder_free,
     .object_open = sl_avro_object_open,
     .object_next = sl_avro_object_next,
     .object_close = sl_avro_object_close},
};

const sl_format *sl_format_find(const char *name) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name)) return &formats[i];
    return NULL;
}

static bool ends_with(const char *s, size_t len, const char *suffix, size_t slen) {
    return len >= slen && !strncasecmp(s + len - slen, suffix, slen);
}

const sl_format *sl_format_for_path(const char *path) {
    size_t len = strlen(path);
    if (ends_with(path, len, ".gz", 3)) len -= 3;
    else if (ends_with(path, len, ".zst", 4)) len -= 4;
    else if (ends_with(path, len, ".bz2", 4)) len -= 4;
    /* longest extension wins (".ddb.json" before ".json") */
    const sl_format *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        const char *e = formats[i].extensions;
        while (*e) {
            size_t n = strcspn(e, " ");
            if (n > best_len && ends_with(path, len, e, n)) {
                best = &formats[i];
                best_len = n;
            }
            e += n;
            while (*e == ' ') e++;
        }
    }
    return best;
}

const char *sl_format_names(void) {
    static char names[128];
    if (!names[0]) {
        size_t n = 0;
        for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", formats[i].name);
    }
    return names;
}
