/*
 * parquet_meta.h — Parquet's metadata structures (parquet.thrift) as C
 * structs, with a Thrift compact-protocol encoder and decoder for each.
 * The writer (parquet_write.c) fills and encodes them; the reader
 * (parquet_read.c) decodes them.
 *
 * Coverage: every field sluice writes or reads. Decoders skip fields they do
 * not know (encryption, bloom filters, size statistics, column/offset index
 * locations beyond the ones kept below, …), so files from other writers
 * decode. The numeric values of the enums are Parquet's own.
 *
 * Memory (decoding): binary and string members (names, statistics values,
 * key/value pairs) point INTO the decoded buffer — keep it alive as long as
 * the structs are used. Arrays (schema elements, row groups, column chunks,
 * paths, encodings) are allocated in the arena the caller passes; nothing is
 * malloc'd. Counts are bounded by the input size (thrift.h), so a hostile
 * footer cannot make the decoder allocate more than a few times its length.
 * Strings are NOT NUL-terminated: use the *_len members.
 *
 * Errors (decoding): SL_EPARSE with a message in err naming the structure
 * and the problem ("parquet footer: SchemaElement: missing name"); never
 * a crash on malformed input. Required fields that are absent are errors
 * only where the reader cannot go on without them (see each decoder).
 *
 * Presence of optional members: a has_* flag, or a NULL pointer / 0 count
 * for optional structs and lists.
 */
#ifndef SL_PARQUET_META_H
#define SL_PARQUET_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "formats/thrift.h"

/* ---- enums (parquet.thrift values) ---- */

typedef enum sl_pq_type {
    SL_PQ_BOOLEAN = 0,
    SL_PQ_INT32 = 1,
    SL_PQ_INT64 = 2,
    SL_PQ_INT96 = 3,
    SL_PQ_FLOAT = 4,
    SL_PQ_DOUBLE = 5,
    SL_PQ_BYTE_ARRAY = 6,
    SL_PQ_FIXED_LEN_BYTE_ARRAY = 7
} sl_pq_type;

typedef enum sl_pq_converted {
    SL_PQ_CT_UTF8 = 0,
    SL_PQ_CT_MAP = 1,
    SL_PQ_CT_MAP_KEY_VALUE = 2,
    SL_PQ_CT_LIST = 3,
    SL_PQ_CT_ENUM = 4,
    SL_PQ_CT_DECIMAL = 5,
    SL_PQ_CT_DATE = 6,
    SL_PQ_CT_TIME_MILLIS = 7,
    SL_PQ_CT_TIME_MICROS = 8,
    SL_PQ_CT_TIMESTAMP_MILLIS = 9,
    SL_PQ_CT_TIMESTAMP_MICROS = 10,
    SL_PQ_CT_UINT_8 = 11,
    SL_PQ_CT_UINT_16 = 12,
    SL_PQ_CT_UINT_32 = 13,
    SL_PQ_CT_UINT_64 = 14,
    SL_PQ_CT_INT_8 = 15,
    SL_PQ_CT_INT_16 = 16,
    SL_PQ_CT_INT_32 = 17,
    SL_PQ_CT_INT_64 = 18,
    SL_PQ_CT_JSON = 19,
    SL_PQ_CT_BSON = 20,
    SL_PQ_CT_INTERVAL = 21
} sl_pq_converted;

typedef enum sl_pq_repetition { SL_PQ_REQUIRED = 0, SL_PQ_OPTIONAL = 1, SL_PQ_REPEATED = 2 } sl_pq_repetition;

typedef enum sl_pq_encoding {
    SL_PQ_ENC_PLAIN = 0,
    SL_PQ_ENC_PLAIN_DICTIONARY = 2,
    SL_PQ_ENC_RLE = 3,
    SL_PQ_ENC_BIT_PACKED = 4,
    SL_PQ_ENC_DELTA_BINARY_PACKED = 5,
    SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    SL_PQ_ENC_DELTA_BYTE_ARRAY = 7,
    SL_PQ_ENC_RLE_DICTIONARY = 8,
    SL_PQ_ENC_BYTE_STREAM_SPLIT = 9
} sl_pq_encoding;

typedef enum sl_pq_codec {
    SL_PQ_UNCOMPRESSED = 0,
    SL_PQ_SNAPPY = 1,
    SL_PQ_GZIP = 2,
    SL_PQ_LZO = 3,
    SL_PQ_BROTLI = 4,
    SL_PQ_LZ4 = 5,
    SL_PQ_ZSTD = 6,
    SL_PQ_LZ4_RAW = 7
} sl_pq_codec;

typedef enum sl_pq_page_type {
    SL_PQ_DATA_PAGE = 0,
    SL_PQ_INDEX_PAGE = 1,
    SL_PQ_DICTIONARY_PAGE = 2,
    SL_PQ_DATA_PAGE_V2 = 3
} sl_pq_page_type;

/* LogicalType union member (field id in parquet.thrift); NONE = absent. */
typedef enum sl_pq_logical_kind {
    SL_PQ_LT_NONE = 0,
    SL_PQ_LT_STRING = 1,
    SL_PQ_LT_MAP = 2,
    SL_PQ_LT_LIST = 3,
    SL_PQ_LT_ENUM = 4,
    SL_PQ_LT_DECIMAL = 5,
    SL_PQ_LT_DATE = 6,
    SL_PQ_LT_TIME = 7,
    SL_PQ_LT_TIMESTAMP = 8,
    SL_PQ_LT_INTEGER = 10,
    SL_PQ_LT_UNKNOWN = 11, /* NullType */
    SL_PQ_LT_JSON = 12,
    SL_PQ_LT_BSON = 13,
    SL_PQ_LT_UUID = 14,
    SL_PQ_LT_FLOAT16 = 15
} sl_pq_logical_kind;

typedef enum sl_pq_time_unit { SL_PQ_MILLIS = 1, SL_PQ_MICROS = 2, SL_PQ_NANOS = 3 } sl_pq_time_unit;

/* ---- structures ---- */

/* Statistics (all members optional). min/max are the deprecated fields
 * (signed order, written by old tools); min_value/max_value the current
 * ones. Values are PLAIN-encoded without a length prefix (BYTE_ARRAY: the
 * bytes; INT32: 4 bytes little-endian; …). */
typedef struct sl_pq_statistics {
    bool has_max, has_min, has_null_count, has_distinct_count, has_max_value, has_min_value;
    const uint8_t *max, *min, *max_value, *min_value;
    uint32_t max_len, min_len, max_value_len, min_value_len;
    int64_t null_count, distinct_count;
} sl_pq_statistics;

typedef struct sl_pq_logical_type {
    sl_pq_logical_kind kind;
    int32_t decimal_scale, decimal_precision; /* DECIMAL */
    bool is_adjusted_to_utc;                  /* TIME, TIMESTAMP */
    sl_pq_time_unit unit;                     /* TIME, TIMESTAMP */
    int8_t bit_width;                         /* INTEGER */
    bool is_signed;                           /* INTEGER */
} sl_pq_logical_type;

/* One node of the flattened schema (depth-first; the root first). */
typedef struct sl_pq_schema_element {
    bool has_type, has_type_length, has_repetition, has_num_children, has_converted_type, has_scale, has_precision,
        has_field_id;
    sl_pq_type type;
    int32_t type_length;
    sl_pq_repetition repetition_type;
    const char *name; /* required */
    uint32_t name_len;
    int32_t num_children;
    sl_pq_converted converted_type;
    int32_t scale, precision, field_id;
    sl_pq_logical_type logical_type; /* kind NONE when absent */
} sl_pq_schema_element;

typedef struct sl_pq_key_value {
    const char *key;
    uint32_t key_len;
    bool has_value;
    const char *value;
    uint32_t value_len;
} sl_pq_key_value;

typedef struct sl_pq_page_encoding_stats {
    sl_pq_page_type page_type;
    sl_pq_encoding encoding;
    int32_t count;
} sl_pq_page_encoding_stats;

typedef struct sl_pq_column_meta {
    sl_pq_type type;
    uint32_t n_encodings;
    sl_pq_encoding *encodings;
    uint32_t n_path;
    const char **path;  /* path_in_schema components … */
    uint32_t *path_len; /* … and their lengths */
    sl_pq_codec codec;
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    uint32_t n_key_value;
    sl_pq_key_value *key_value;
    int64_t data_page_offset;
    bool has_index_page_offset, has_dictionary_page_offset, has_statistics;
    int64_t index_page_offset;
    int64_t dictionary_page_offset;
    sl_pq_statistics statistics;
    uint32_t n_encoding_stats;
    sl_pq_page_encoding_stats *encoding_stats;
} sl_pq_column_meta;

typedef struct sl_pq_column_chunk {
    const char *file_path; /* NULL: this file */
    uint32_t file_path_len;
    int64_t file_offset;
    bool has_meta_data; /* decoders fail without it (encrypted columns are not supported) */
    sl_pq_column_meta meta_data;
    bool has_offset_index, has_column_index;
    int64_t offset_index_offset, column_index_offset;
    int32_t offset_index_length, column_index_length;
} sl_pq_column_chunk;

typedef struct sl_pq_row_group {
    uint32_t n_columns;
    sl_pq_column_chunk *columns;
    int64_t total_byte_size;
    int64_t num_rows;
    bool has_file_offset, has_total_compressed_size, has_ordinal;
    int64_t file_offset;
    int64_t total_compressed_size;
    int16_t ordinal;
} sl_pq_row_group;

typedef struct sl_pq_file_meta {
    int32_t version;
    uint32_t n_schema;
    sl_pq_schema_element *schema; /* schema[0] is the root */
    int64_t num_rows;
    uint32_t n_row_groups;
    sl_pq_row_group *row_groups;
    uint32_t n_key_value;
    sl_pq_key_value *key_value;
    const char *created_by; /* NULL when absent */
    uint32_t created_by_len;
    /* column_orders: the encoder writes TYPE_ORDER for every leaf when
     * write_column_orders is set; the decoder counts them only. */
    bool write_column_orders;
    uint32_t n_column_orders;
} sl_pq_file_meta;

typedef struct sl_pq_data_page_header {
    int32_t num_values;
    sl_pq_encoding encoding;
    sl_pq_encoding definition_level_encoding;
    sl_pq_encoding repetition_level_encoding;
    bool has_statistics;
    sl_pq_statistics statistics;
} sl_pq_data_page_header;

typedef struct sl_pq_dictionary_page_header {
    int32_t num_values;
    sl_pq_encoding encoding;
    bool has_is_sorted;
    bool is_sorted;
} sl_pq_dictionary_page_header;

typedef struct sl_pq_data_page_header_v2 {
    int32_t num_values;
    int32_t num_nulls;
    int32_t num_rows;
    sl_pq_encoding encoding;
    int32_t definition_levels_byte_length;
    int32_t repetition_levels_byte_length;
    bool is_compressed; /* default true (the decoder sets it when absent) */
    bool has_statistics;
    sl_pq_statistics statistics;
} sl_pq_data_page_header_v2;

typedef struct sl_pq_page_header {
    sl_pq_page_type type;
    int32_t uncompressed_page_size;
    int32_t compressed_page_size;
    bool has_crc;
    int32_t crc;
    /* Exactly the one matching `type` is meaningful; has_* says whether it
     * was present. */
    bool has_data_page_header, has_dictionary_page_header, has_data_page_header_v2;
    sl_pq_data_page_header data_page_header;
    sl_pq_dictionary_page_header dictionary_page_header;
    sl_pq_data_page_header_v2 data_page_header_v2;
} sl_pq_page_header;

/* ---- encoding (writer) ----
 * Append the struct to w (a top-level struct, or a struct list element /
 * struct field whose header the caller wrote: these functions write
 * struct_begin … struct_end themselves). Errors are sticky in w->status. */
void sl_pq_statistics_write(sl_thrift_writer *w, const sl_pq_statistics *s);
void sl_pq_schema_element_write(sl_thrift_writer *w, const sl_pq_schema_element *e);
void sl_pq_column_meta_write(sl_thrift_writer *w, const sl_pq_column_meta *m);
void sl_pq_column_chunk_write(sl_thrift_writer *w, const sl_pq_column_chunk *c);
void sl_pq_row_group_write(sl_thrift_writer *w, const sl_pq_row_group *g);
void sl_pq_file_meta_write(sl_thrift_writer *w, const sl_pq_file_meta *f);
void sl_pq_page_header_write(sl_thrift_writer *w, const sl_pq_page_header *h);

/* Convenience: encode a whole FileMetaData / PageHeader onto out.
 * Returns 0 or the writer's status (SL_ELIMIT when out is full). */
int sl_pq_file_meta_encode(const sl_pq_file_meta *f, sl_buf *out);
int sl_pq_page_header_encode(const sl_pq_page_header *h, sl_buf *out);

/* ---- decoding (reader) ----
 * Decode one struct at the reader's position (the reader must be positioned
 * at the struct's first field header, i.e. right where the encoder wrote it).
 * Returns 0 or SL_EPARSE (r->status / r->what tell what failed). Arrays go
 * to arena a; strings point into the reader's input. */
int sl_pq_statistics_read(sl_thrift_reader *r, sl_pq_statistics *s);
int sl_pq_schema_element_read(sl_thrift_reader *r, sl_arena *a, sl_pq_schema_element *e);
int sl_pq_column_meta_read(sl_thrift_reader *r, sl_arena *a, sl_pq_column_meta *m);
int sl_pq_column_chunk_read(sl_thrift_reader *r, sl_arena *a, sl_pq_column_chunk *c);
int sl_pq_row_group_read(sl_thrift_reader *r, sl_arena *a, sl_pq_row_group *g);
int sl_pq_file_meta_read(sl_thrift_reader *r, sl_arena *a, sl_pq_file_meta *f);
int sl_pq_page_header_read(sl_thrift_reader *r, sl_pq_page_header *h);

/* Convenience: decode a FileMetaData from the footer bytes (the len bytes
 * before the 4-byte length and "PAR1"), or a PageHeader from the start of
 * buf (*header_len receives its encoded size). Errors fill err
 * ("parquet footer: <what>" / "parquet page header: <what>"). */
int sl_pq_file_meta_decode(const void *footer, size_t len, sl_arena *a, sl_pq_file_meta *f, sl_error *err);
int sl_pq_page_header_decode(const void *buf, size_t len, sl_pq_page_header *h, size_t *header_len, sl_error *err);

#endif
