/*
 * avro.h — the "avro" record format (object container files via libavro).
 * See avro.c for the schema sluice writes and how values map both ways.
 * These functions are the format's vtable entries in format.c.
 */
#ifndef SL_AVRO_H
#define SL_AVRO_H

#include "formats/format.h"

int sl_avro_encoder_new(const sl_format_opts *o, void **enc, sl_error *err);
int sl_avro_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err);
int sl_avro_encode_finish(void *enc, sl_buf *out, sl_error *err);
void sl_avro_encoder_free(void *enc);

int sl_avro_object_open(sl_store *store, const char *url, uint64_t size, const sl_format_opts *o, void **dec,
                        sl_error *err);
int sl_avro_object_next(void *dec, sl_decode_ctx *ctx, sl_error *err);
void sl_avro_object_close(void *dec);
/* The writer schema of an open reader, as JSON (appended to out). */
int sl_avro_schema_json(void *dec, sl_buf *out);

#endif
