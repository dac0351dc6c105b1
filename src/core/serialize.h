/*
 * serialize.h — a compact binary encoding of values, for spill files.
 *
 * Byte layout (all integers little-endian; varint = LEB128, 7 bits a byte,
 * low bits first; zigzag maps signed to unsigned: (n << 1) ^ (n >> 63)):
 *
 *   value   := tag payload
 *   tag     := u8: low 4 bits the sl_type, bits 4-5 the string flags
 *              (SL_VF_JSON_PLAIN, SL_VF_UTF8) for STRING
 *   NULL       (no payload)
 *   BOOL       u8 0|1
 *   INT, DATE, TIMESTAMP   zigzag varint
 *   DOUBLE     8 bytes, the IEEE-754 bit pattern
 *   DECIMAL, STRING, BINARY   varint length, bytes
 *   LIST       varint count, count × value
 *   STRUCT     varint count, count × (varint (name_len << 2 | name_flags), name bytes, value)
 *
 * The format is private to one run (spill files never outlive it), so it
 * carries no version.
 */
#ifndef SL_SERIALIZE_H
#define SL_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/value.h"

/* Append v's encoding to out. Returns 0 or SL_ELIMIT (out's maximum). */
int sl_value_encode(sl_buf *out, const sl_value *v);
void sl_varint_put(sl_buf *out, uint64_t v);

/* Decode one value from [*p, end), advancing *p. Strings and arrays are
 * copied into a. SL_EPARSE on truncated or malformed input (depth > 512
 * included). */
int sl_value_decode(const char **p, const char *end, sl_arena *a, sl_value *out);
int sl_varint_get(const char **p, const char *end, uint64_t *out);

/* Deep copy of v into a (strings, lists, structs), so it no longer depends
 * on the memory it came from. */
sl_value sl_value_deep_copy(sl_arena *a, const sl_value *v);
/* Bytes a deep copy of v takes (an estimate for memory accounting). */
size_t sl_value_footprint(const sl_value *v);

#endif
