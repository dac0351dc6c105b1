/*
 * ddbjson.h — DynamoDB JSON (typed attribute values) to records and back.
 *
 *   {"log_id":{"S":"a1"},"n":{"N":"42"},"tags":{"SS":["x","y"]}}
 *     → {"log_id":"a1","n":42,"tags":["x","y"]}
 *
 * S → string; N → long when integral and in int64 range, else decimal with
 * the digits kept exactly; B → binary (base64-decoded); BOOL → boolean;
 * NULL → null; M → struct; L → list; SS/NS/BS → lists (sets keep the
 * order the server wrote). DynamoDB's S3 export wraps each item as
 * {"Item": {...}}; both forms are accepted.
 */
#ifndef SL_DDBJSON_H
#define SL_DDBJSON_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"

/* One attribute value ({"S": "x"}) to a plain value. Strings and arrays of
 * the result live in a or point into attr. SL_EPARSE with a reason for
 * anything that is not DynamoDB JSON. */
int sl_ddb_attr_to_value(sl_arena *a, const sl_value *attr, sl_value *out, sl_error *err);
/* A whole item (or {"Item": item}) to a record. */
int sl_ddb_item_to_record(sl_arena *a, const sl_value *item, sl_value *out, sl_error *err);
/* The reverse, for writing: a plain value as a DynamoDB attribute value
 * (lists → L, structs → M, numbers → N text, binary → B base64). */
int sl_ddb_value_to_attr(sl_arena *a, const sl_value *v, sl_value *out, sl_error *err);

/* base64 (RFC 4648, standard alphabet, padding optional on input). */
int sl_base64_decode(sl_arena *a, const char *s, size_t len, sl_value *out_binary);
void sl_base64_encode(sl_buf *out, const unsigned char *p, size_t len);

#endif
