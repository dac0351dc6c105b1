/*
 * thrift.h — the Thrift compact protocol, as Parquet uses it for its footer
 * and page headers (parquet_meta.h builds the Parquet structs on top).
 *
 * Wire format (Apache Thrift, compact protocol):
 *   integers   i16/i32/i64 as ULEB128 varints of their zigzag form
 *              ((n << 1) ^ (n >> 63)); i8 as one raw byte
 *   double     8 bytes, little-endian IEEE 754
 *   binary     varint length, then the bytes (strings are binary)
 *   field      header byte (delta << 4) | type when the field id is 1..15
 *              above the previous field id of the same struct, else the
 *              byte `type` followed by the id as a zigzag varint i16;
 *              a bool field carries its value in the type (1 true, 2 false)
 *   struct     its fields, then a stop byte 0x00
 *   list/set   header byte (size << 4) | element type when size < 15,
 *              else 0xF0 | element type then the size as a varint;
 *              bool elements are one byte each (1 true, anything else false)
 *   map        0x00 when empty, else varint size then (key << 4) | value
 *
 * Writer: appends to an sl_buf. Errors are sticky (w->status): a caller
 * writes a whole struct and checks once at the end.
 *
 * Reader: decodes from a byte range it never reads past. Every malformed
 * input (truncation, overlong varint, unknown type, nesting deeper than
 * SL_THRIFT_MAX_DEPTH, lengths beyond the input) makes the call return
 * SL_EPARSE and leaves r->status set (sticky); r->what names the problem.
 * Nothing is allocated by the reader.
 */
#ifndef SL_THRIFT_H
#define SL_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Compact-protocol element/field types. */
enum {
    SL_THRIFT_STOP = 0,
    SL_THRIFT_TRUE = 1, /* BOOLEAN_TRUE: also the element type of bool lists */
    SL_THRIFT_FALSE = 2,
    SL_THRIFT_I8 = 3,
    SL_THRIFT_I16 = 4,
    SL_THRIFT_I32 = 5,
    SL_THRIFT_I64 = 6,
    SL_THRIFT_DOUBLE = 7,
    SL_THRIFT_BINARY = 8,
    SL_THRIFT_LIST = 9,
    SL_THRIFT_SET = 10,
    SL_THRIFT_MAP = 11,
    SL_THRIFT_STRUCT = 12
};

/* Deepest struct/list nesting accepted (the writer and the reader). */
#define SL_THRIFT_MAX_DEPTH 32

/* ---- writer ---- */

typedef struct sl_thrift_writer {
    sl_buf *out;
    int status;                               /* 0, or the first error (sticky) */
    int depth;                                /* open structs */
    int16_t last_id[SL_THRIFT_MAX_DEPTH + 1]; /* previous field id per open struct */
} sl_thrift_writer;

/* Start writing to out (not owned). The writer is at top level: call
 * sl_thrift_struct_begin before the first field of the outermost struct. */
void sl_thrift_writer_init(sl_thrift_writer *w, sl_buf *out);

/* Open a struct (top level or as a list element) / close it (writes the stop
 * byte). Nesting beyond SL_THRIFT_MAX_DEPTH sets status SL_ELIMIT. */
void sl_thrift_struct_begin(sl_thrift_writer *w);
void sl_thrift_struct_end(sl_thrift_writer *w);

/* Fields of the open struct; ids must increase within a struct (the
 * protocol allows any order; Parquet writers use increasing ids). */
void sl_thrift_field_bool(sl_thrift_writer *w, int16_t id, bool v);
void sl_thrift_field_i8(sl_thrift_writer *w, int16_t id, int8_t v);
void sl_thrift_field_i16(sl_thrift_writer *w, int16_t id, int16_t v);
void sl_thrift_field_i32(sl_thrift_writer *w, int16_t id, int32_t v);
void sl_thrift_field_i64(sl_thrift_writer *w, int16_t id, int64_t v);
void sl_thrift_field_double(sl_thrift_writer *w, int16_t id, double v);
void sl_thrift_field_binary(sl_thrift_writer *w, int16_t id, const void *data, size_t len);
/* Only the field header: follow it with exactly one value of that type
 * (e.g. SL_THRIFT_STRUCT, then sl_thrift_struct_begin … sl_thrift_struct_end). */
void sl_thrift_field_begin(sl_thrift_writer *w, int type, int16_t id);
/* A struct-valued field: writes the field header and opens the struct;
 * close it with sl_thrift_struct_end. */
void sl_thrift_field_struct_begin(sl_thrift_writer *w, int16_t id);
/* A list-valued field: writes the field header and the list header; then
 * write exactly n elements with the element writers below (struct elements:
 * sl_thrift_struct_begin … sl_thrift_struct_end). */
void sl_thrift_field_list_begin(sl_thrift_writer *w, int16_t id, int elem_type, uint32_t n);

/* Bare values: list elements (or, for advanced use, raw protocol). */
void sl_thrift_write_list_header(sl_thrift_writer *w, int elem_type, uint32_t n);
void sl_thrift_write_i32(sl_thrift_writer *w, int32_t v);
void sl_thrift_write_i64(sl_thrift_writer *w, int64_t v);
void sl_thrift_write_binary(sl_thrift_writer *w, const void *data, size_t len);
void sl_thrift_write_bool(sl_thrift_writer *w, bool v);

/* Low-level encoders into a raw byte array (at least 10 bytes of room);
 * return the number of bytes written. */
size_t sl_thrift_put_uvarint(uint8_t *p, uint64_t v);
static inline uint64_t sl_thrift_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t sl_thrift_unzigzag64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* ---- reader ---- */

typedef struct sl_thrift_reader {
    const uint8_t *p;   /* next byte */
    const uint8_t *end; /* one past the last byte */
    const uint8_t *start;
    int status;       /* 0, or SL_EPARSE once anything was malformed (sticky) */
    const char *what; /* static text naming the first problem */
    int depth;
    int16_t last_id[SL_THRIFT_MAX_DEPTH + 1];
    int8_t bool_value; /* value of the bool field just read (-1: none) */
} sl_thrift_reader;

/* Read from [data, data + len) (not owned, must outlive the reader). */
void sl_thrift_reader_init(sl_thrift_reader *r, const void *data, size_t len);
/* Bytes consumed so far. */
static inline size_t sl_thrift_reader_pos(const sl_thrift_reader *r) { return (size_t)(r->p - r->start); }

/* Enter a struct (top level, struct field or struct list element). */
int sl_thrift_struct_begin_read(sl_thrift_reader *r);
/* Next field of the current struct: returns 1 and sets *type and *id, or 0
 * at the stop byte (the struct is then left: do not call struct_end), or
 * SL_EPARSE. For bool fields, read the value with sl_thrift_read_bool. */
int sl_thrift_read_field(sl_thrift_reader *r, int *type, int16_t *id);

/* Values (field values or list elements). Each returns 0 or SL_EPARSE.
 * A value of another wire type than asked is the caller's to check: these
 * read the encoding they are named for. */
int sl_thrift_read_bool(sl_thrift_reader *r, bool *v); /* field bool or list element */
int sl_thrift_read_i8(sl_thrift_reader *r, int8_t *v);
int sl_thrift_read_i16(sl_thrift_reader *r, int16_t *v);
int sl_thrift_read_i32(sl_thrift_reader *r, int32_t *v); /* out-of-range values: SL_EPARSE */
int sl_thrift_read_i64(sl_thrift_reader *r, int64_t *v);
int sl_thrift_read_double(sl_thrift_reader *r, double *v);
/* Binary/string: *data points into the input (not copied), *len ≤ bytes left. */
int sl_thrift_read_binary(sl_thrift_reader *r, const uint8_t **data, uint32_t *len);
/* List or set header: element type and count. The count is checked against
 * the bytes left (every element takes at least one byte, bools included),
 * so a caller may allocate count elements safely. */
int sl_thrift_read_list_begin(sl_thrift_reader *r, int *elem_type, uint32_t *count);

/* Skip one value of the given type (recursing into structs, lists and maps
 * up to SL_THRIFT_MAX_DEPTH). Returns 0 or SL_EPARSE. */
int sl_thrift_skip(sl_thrift_reader *r, int type);

/* Mark the reader failed (first call wins) and return SL_EPARSE; decoders
 * built on the reader use it for semantic errors ("missing required field"). */
int sl_thrift_fail(sl_thrift_reader *r, const char *what);

#endif
