/*
 * csv.h — sluice's CSV reader and writer (RFC 4180) with per-value type
 * inference.
 *
 * Reader: a streaming decoder following the decoding contract in
 * formats/format.h. Each row becomes an SL_T_STRUCT record whose fields are
 * the columns in file order. Unquoted text and quoted text without escapes
 * point straight into the input buffer (zero copy); quoted text with escapes
 * is unescaped into the batch arena. Unquoted values are typed by inference
 * (sl_csv_infer_text rules); quoted values are always strings. Policy in
 * full, with examples, in docs/csv.md.
 *
 * Writer: records to CSV text with minimal quoting; the columns are fixed by
 * the first record written (or sl_csv_writer_set_columns).
 */
#ifndef SL_CSV_H
#define SL_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "formats/format.h"

/* Rows wider than this (header or first row) are a fatal error; Spark's
 * maxColumns default. */
#define SL_CSV_MAX_COLUMNS 20480

/* ---- options ---- */

/* Force a column (by name; "_c0", "_c1", … without a header) to a type. */
typedef struct sl_csv_column_type {
    const char *name; /* NUL-terminated; borrowed until init copies it */
    sl_type type;     /* any scalar type (sl_type_parse); not LIST/STRUCT */
} sl_csv_column_type;

/* Reader and writer options; defaults from sl_csv_options_default(). */
typedef struct sl_csv_options {
    /* ',': the byte between fields. */
    char delimiter;
    /* '"'; '\0' turns quoting off (reader and writer). */
    char quote;
    /* '\0' (default) or the quote: RFC doubling ("" inside quotes). Another
     * byte, e.g. '\\', makes the next byte inside quotes literal. */
    char escape;
    /* true: the first row names the columns. */
    bool header;
    /* "": an unquoted field equal to it is null, and the writer writes nulls
     * as this text. NULL means "". */
    const char *null_text;
    /* NULL: a second text the reader takes as null (e.g. "NULL"). */
    const char *null_marker;
    /* true: unquoted values become long/double/decimal/boolean when they
     * look so (sl_csv_infer_text). */
    bool infer_types;
    /* Forced column types, n_column_types entries (borrowed; init copies). */
    const sl_csv_column_type *column_types;
    size_t n_column_types;
    /* false: trim spaces and tabs around unquoted values and around quotes. */
    bool trim_spaces;
    /* 0: physical lines skipped at the start of the file, before the header. */
    uint64_t skip_rows;
    /* true: quoted values may hold line breaks (docs/csv.md: splits). */
    bool multiline;
    /* false; writer only: end lines with CRLF instead of LF. */
    bool crlf;
    /* NULL; reader only: a LIST of STRING column names (borrowed; init
     * copies them). Records then hold only these columns, in file order,
     * and any column with a forced type (whose conversion errors still
     * reject rows). The other columns are scanned, not decoded: rows are
     * rejected exactly as without the list. Names no column has are
     * ignored. The file source sets it from the node's projection
     * (exec/node.h). */
    const sl_value *keep_columns;
} sl_csv_options;

/* The defaults listed above. */
sl_csv_options sl_csv_options_default(void);

/* Validate o: delimiter not NUL/CR/LF and distinct from quote and escape,
 * quote and escape not CR/LF, overrides named and of a scalar type. Returns
 * 0 or SL_EINVAL with a message in err (may be NULL). */
int sl_csv_options_check(const sl_csv_options *o, sl_error *err);

/* ---- type inference ---- */

/* Type one unquoted CSV value the way the decoder does with infer_types:
 * empty → NULL; [+-]digits in int64 range → INT (out of range → DECIMAL,
 * digits kept); decimal/exponent number → DOUBLE (correctly rounded; DECIMAL
 * when it overflows or underflows to 0); true/false (any case) → BOOL; else STRING
 * pointing at s (not copied; SL_VF_JSON_PLAIN computed). Returns the type
 * stored in *out. */
int sl_csv_infer_text(const char *s, size_t len, sl_value *out);

/* ---- decoder ---- */

struct sl_csv_span;

/* All members are internal; use the functions below. */
typedef struct sl_csv_decoder {
    sl_csv_options opt; /* copy; strings replaced by the owned copies below */
    char *null_text, *null_marker;
    size_t null_len, marker_len;
    sl_csv_column_type *types; /* owned copies of the overrides */
    size_t n_types;
    bool started;          /* byte order mark check done */
    uint64_t rows_skipped; /* of opt.skip_rows */
    bool have_columns;     /* header read (or first row seen when header=false) */
    uint32_t ncols;
    char *names; /* column names, back to back */
    uint32_t *name_off, *name_len;
    uint8_t *name_plain;
    uint8_t *col_type;         /* forced sl_type per column, SL_T__COUNT = none */
    struct sl_csv_span *spans; /* field spans of the row being scanned */
    size_t span_cap;
    const sl_batch *tmpl_batch; /* batch whose arena holds tmpl */
    sl_field *tmpl;             /* names of the output columns as fields, in tmpl_batch's arena */
    char **keep;                /* owned copies of opt.keep_columns, n_keep of them */
    size_t n_keep;
    uint32_t *out_cols;         /* the columns records hold (ascending), nout of them */
    uint32_t nout;
    uint8_t *keep_col;          /* per column: 1 when records hold it */
} sl_csv_decoder;

/* Prepare d for a new file; copies everything it keeps from o. Returns 0, or
 * SL_EINVAL when sl_csv_options_check fails (call it for the message). */
int sl_csv_decoder_init(sl_csv_decoder *d, const sl_csv_options *o);
void sl_csv_decoder_free(sl_csv_decoder *d);

/* For a source that starts reading mid-file (a byte-range split): hand over
 * the file's first row (after skip_rows lines), with or without its line end
 * (a leading byte order mark is skipped).
 * With header=true it names the columns; with header=false it fixes the
 * column count (names _c0, _c1, …) so every split judges ragged rows alike.
 * Either way the decoder then treats its input as mid-file: no byte order
 * mark check, no skip_rows, no header row in the data. Returns 0, SL_EPARSE
 * for a malformed row, SL_ELIMIT beyond SL_CSV_MAX_COLUMNS. */
int sl_csv_decoder_set_header(sl_csv_decoder *d, const char *line, size_t len);

/* Decode rows from buf[0..len) per the contract in formats/format.h.
 * Records are STRUCTs with one field per column (missing trailing fields →
 * null) and sl_recloc of the row's first byte. Strings point into buf or
 * ctx->batch->arena, and so do the field names (copied into each batch's
 * arena). Blank lines are skipped, except in a one-column file where a blank
 * line is a null value. ctx->max_records == 0 means no limit. ctx->line
 * advances by the line feeds consumed (those inside quoted values included).
 *
 * Rejected (ctx->reject, then skipped): a row with more fields than the
 * header ("row has 5 fields, header has 4"), an override that cannot convert
 * a value, a character after a closing quote, a line break inside quotes
 * with multiline=false, an unterminated quote at EOF. With ctx->reject NULL
 * a rejected row is fatal instead (SL_EPARSE, reason in err).
 *
 * Fatal (negative return, err filled with line and offset): a malformed
 * header row, a header or first row wider than SL_CSV_MAX_COLUMNS, a
 * negative status from ctx->reject (returned as is). *consumed and ctx
 * always describe the bytes used, fatal or not. */
int sl_csv_decode(sl_csv_decoder *d, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                  sl_error *err);

/* Column count and name i once known (0 / NULL before the header is read).
 * The name is owned by d, not NUL-terminated. */
uint32_t sl_csv_decoder_columns(const sl_csv_decoder *d);
const char *sl_csv_decoder_column(const sl_csv_decoder *d, uint32_t i, size_t *len);

/* ---- writer ---- */

/* All members are internal. */
typedef struct sl_csv_writer {
    char delimiter, quote, escape;
    bool header, crlf;
    char *null_text, *null_marker;
    size_t null_len, marker_len;
    char *names; /* column names, back to back (owned) */
    uint32_t *name_off, *name_len;
    size_t ncols;
    bool have_columns;
    uint64_t records; /* rows written */
    uint64_t dropped; /* fields not written (no such column) */
    sl_buf scratch;   /* text of nested values */
    uint8_t special[256]; /* 1 for the bytes that make a value need quotes */
} sl_csv_writer;

/* Prepare w; copies what it keeps from o. Returns 0 or SL_EINVAL when
 * sl_csv_options_check fails or null_text holds the delimiter, the quote or
 * a line break (it could not be read back). */
int sl_csv_writer_init(sl_csv_writer *w, const sl_csv_options *o);
void sl_csv_writer_free(sl_csv_writer *w);

/* Fix the columns before the first record (else the first record's field
 * names are used). names[i] are NUL-terminated and copied. Returns 0, or
 * SL_EINVAL once columns are fixed. */
int sl_csv_writer_set_columns(sl_csv_writer *w, const char *const *names, size_t n);

/* Append rec (a STRUCT) as one CSV line to out; the header line first when
 * header=true and this is the first record. Columns are matched by name:
 * a missing field is written as null, fields without a column are skipped
 * and counted (sl_csv_writer_dropped_fields). Values: null → null_text;
 * booleans true/false; longs and doubles via core/numfmt.h (NaN, Infinity);
 * decimals as their text; dates/timestamps ISO 8601; binary base64;
 * lists/structs as compact JSON. A value is quoted only when it must be:
 * it holds the delimiter, the quote, CR or LF, starts or ends with a space
 * or tab, is empty (a quoted "" is an empty string, unquoted is null) or
 * equals null_text/null_marker. Returns 0; SL_ELIMIT when out's maximum
 * would be exceeded; SL_ETYPE when rec is not a STRUCT or a value needs
 * quoting while quoting is off. On error out is left as it was. */
int sl_csv_write_record(sl_csv_writer *w, sl_buf *out, const sl_value *rec, sl_error *err);

/* Fields skipped so far because no column had their name. */
uint64_t sl_csv_writer_dropped_fields(const sl_csv_writer *w);

#endif
