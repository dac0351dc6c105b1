/*
 * classify.h — what a crawler learns from one object: its classification
 * (Glue's built-in classifiers: json, csv, parquet, avro; orc recognised
 * but not read), whole-object compression, format options (CSV delimiter,
 * header, quoting; JSON layout) and the schema of a sample, plus the same
 * inference over DynamoDB items (classification "dynamodb").
 *
 * Sampling follows Glue: the first 1,000 records or 1 MiB of (decompressed)
 * text per object, whichever ends first (sl_classify_opts). Parquet's
 * schema comes from its footer (the object's last bytes), Avro's from the
 * writer schema in its header. The records are read with the project's
 * own readers (formats/json.h, csv.h), merged through core/schema.h into
 * `schema` (what a sluice job reading the object sees) and into `columns`
 * (what Glue writes into the catalog: Glue's type per column, see
 * catalog/gluetype.h). How each decision is made, with the thresholds, is
 * in docs/crawlers.md.
 *
 * Data problems never fail a call: an object that no classifier accepts is
 * SL_CLASS_UNKNOWN with the reason in `reason`. Only I/O errors (reading
 * the object) are returned as a negative status.
 *
 * Ownership: a result owns its `columns` and `schema`; free it with
 * sl_classify_result_free. Calls are independent and thread-safe (one
 * result per thread).
 */
#ifndef SL_CLASSIFY_H
#define SL_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/gluetype.h"
#include "core/error.h"
#include "core/schema.h"
#include "core/value.h"
#include "formats/compress.h"
#include "store/store.h"

typedef enum sl_classification {
    SL_CLASS_UNKNOWN = 0,
    SL_CLASS_JSON,
    SL_CLASS_CSV,
    SL_CLASS_PARQUET,
    SL_CLASS_AVRO,
    SL_CLASS_ORC, /* recognised by its magic; sluice does not read ORC */
    SL_CLASS_DYNAMODB
} sl_classification;

/* Glue's classification string: "json", "csv", "parquet", "avro", "orc",
 * "dynamodb", and "UNKNOWN" (Glue's default string). */
const char *sl_classification_name(sl_classification c);
/* Can sluice read objects of this classification (json, csv, parquet,
 * avro)? */
bool sl_classification_readable(sl_classification c);

/* Glue's CsvClassifier ContainsHeader: UNKNOWN (detect), PRESENT, ABSENT. */
typedef enum sl_csv_header_mode {
    SL_CSV_HEADER_DETECT = 0,
    SL_CSV_HEADER_PRESENT,
    SL_CSV_HEADER_ABSENT
} sl_csv_header_mode;

typedef struct sl_classify_opts {
    size_t sample_bytes;   /* 1 MiB: text examined per object (after decompression) */
    size_t sample_records; /* 1000: records examined per object */
    sl_csv_header_mode csv_header;
    bool allow_single_column; /* false: a one-column file is not CSV (Glue's AllowSingleColumn) */
} sl_classify_opts;

#define SL_CLASSIFY_SAMPLE_BYTES ((size_t)1 << 20)
#define SL_CLASSIFY_SAMPLE_RECORDS 1000

void sl_classify_opts_default(sl_classify_opts *o);

/* How a JSON object lays out its records. */
typedef enum sl_json_layout {
    SL_JSON_NDJSON = 0, /* one record per line */
    SL_JSON_DOCUMENT,   /* one or more objects, spanning lines (pretty-printed) */
    SL_JSON_ARRAY       /* a top-level array of records */
} sl_json_layout;

const char *sl_json_layout_name(sl_json_layout l); /* "ndjson", "document", "array" */

typedef struct sl_classify_result {
    sl_classification classification;
    /* Whole-object compression found by magic number (Glue's
     * compressionType); Parquet's and Avro's internal codecs are not
     * reported, as in Glue. */
    sl_codec compression;

    /* CSV format options. */
    char delimiter; /* ',', '|', '\t', ';' or '\x01' */
    char quote;     /* '"' */
    bool header;    /* the first row names the columns (skip.header.line.count = 1) */
    bool quoted;    /* quote characters appear: read with OpenCSVSerDe, as Glue does */
    /* JSON layout. */
    sl_json_layout json_layout;

    /* Columns as Glue types: a STRUCT whose fields are the columns, named
     * as in the data (CSV without a header: col0, col1, …). NULL when the
     * object is UNKNOWN or ORC, or when its schema could not be read (a
     * Parquet object without read access to its footer; reason says so). */
    sl_gtype *columns;
    /* Schema of the sampled records as sluice reads them (choices kept);
     * for Parquet and Avro derived from `columns`. NULL when `columns` is. */
    sl_schema *schema;

    uint64_t records_sampled; /* records the sample held */
    uint64_t bytes_sampled;   /* (decompressed) bytes those records came from */
    bool whole;               /* the sample covered the whole object */
    uint64_t record_count;    /* records in the object: exact when record_count_exact, else estimated */
    bool record_count_exact;  /* whole sample, Parquet footer, DynamoDB items counted */
    uint64_t avg_record_size; /* uncompressed bytes per record (Glue's averageRecordSize), 0 = unknown */

    /* UNKNOWN/ORC: why ("binary data", "rows have 3, 4 and 7 fields: no
     * consistent delimiter"); otherwise a note or "". */
    char reason[256];
} sl_classify_result;

void sl_classify_result_free(sl_classify_result *r); /* members only; r is zeroed */

/* The object to classify. head is its first bytes as stored (possibly
 * compressed): at least min(size, sample_bytes) of them for a full
 * sample. read_at (optional) reads bytes [offset, offset + len) of the
 * stored object into buf — exactly len bytes or an error; Parquet's footer
 * needs it unless head holds the whole object. */
typedef struct sl_classify_input {
    const char *name; /* key or path: used in messages */
    const void *head;
    size_t head_len;
    uint64_t size; /* stored size; UINT64_MAX = unknown */
    int (*read_at)(void *ud, uint64_t offset, void *buf, size_t len, sl_error *err);
    void *ud;
} sl_classify_input;

/* Classify one object. out is overwritten (not freed first). Returns 0, or
 * the negative status of read_at (err filled) — the result is then
 * UNKNOWN. */
int sl_classify(const sl_classify_input *in, const sl_classify_opts *o, sl_classify_result *out, sl_error *err);

/* A whole object held in memory (data[0..len)); never fails. */
int sl_classify_bytes(const char *name, const void *data, size_t len, const sl_classify_opts *o,
                      sl_classify_result *out);

/* An object in a store (local path or s3://): reads the first sample_bytes
 * and, for Parquet, the footer. size: the stored size, UINT64_MAX to ask
 * the store. Errors: those of the store (SL_EIO, SL_ENOTFOUND, …). */
int sl_classify_store(sl_store *store, const char *url, uint64_t size, const sl_classify_opts *o,
                      sl_classify_result *out, sl_error *err);

/* Hive storage for a classification, as Glue's crawlers write it into the
 * StorageDescriptor (NULL members for UNKNOWN and DynamoDB). */
typedef struct sl_hive_storage {
    const char *serialization_library;
    const char *input_format;
    const char *output_format;
} sl_hive_storage;

/* csv_quoted selects OpenCSVSerde over LazySimpleSerDe for CSV. */
sl_hive_storage sl_classify_hive_storage(sl_classification c, bool csv_quoted);

/* ---- DynamoDB (Glue's DynamoDB crawler) ----
 * Items come from a scan or a sample, as records (formats/ddbjson.h):
 *   sl_classify_ddb_begin(&r);
 *   for each item: sl_classify_ddb_observe(&r, &record);
 *   sl_classify_ddb_finish(&r, keys, n_keys);
 * Types: S → string, N → bigint when every value seen was integral and in
 * the long range, else double, B → binary, BOOL → boolean, M → struct<…>,
 * L / SS / NS / BS → array<…> of the merged element types (an empty list:
 * array<string>), NULL only → string; an attribute seen with two kinds
 * follows sl_gtype_merge_into (bigint + double → double, else string). */

/* Start: r is overwritten, classification DYNAMODB. */
void sl_classify_ddb_begin(sl_classify_result *r);
/* Merge one item (a STRUCT record). */
void sl_classify_ddb_observe(sl_classify_result *r, const sl_value *item);
/* Order the columns — the key attributes first (key_names, e.g. the
 * partition and sort key), then every other attribute by name, since
 * DynamoDB returns attributes in no particular order; nested map fields by
 * name too — and fill the counts (record_count = items observed, exact). */
void sl_classify_ddb_finish(sl_classify_result *r, const char *const *key_names, size_t n_keys);

#endif
