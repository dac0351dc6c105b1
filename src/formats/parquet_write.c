/*
 * parquet_write.c — Parquet writer (in progress: interface only).
 */
#include "formats/parquet.h"

#include <stdlib.h>

#include "formats/parquet_meta.h"

int sl_parquet_encoder_new(const sl_format_opts *o, void **enc, sl_error *err) {
    return sl_error_set(err, SL_EINVAL, "the parquet writer is not built yet");
}
int sl_parquet_encode(void *enc, sl_buf *out, const sl_value *rec, sl_error *err) { return SL_EINVAL; }
int sl_parquet_encode_finish(void *enc, sl_buf *out, sl_error *err) { return SL_EINVAL; }
void sl_parquet_encoder_free(void *enc) { free(enc); }
