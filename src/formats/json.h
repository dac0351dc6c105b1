/*
 * json.h — sluice's JSON reader and writer (RFC 8259).
 *
 * Reader: values follow core/value.h and live in an arena; strings without
 * escapes point straight into the input (zero copy, SL_VF_JSON_PLAIN set),
 * so the input must outlive the values (the file source pins its chunk to
 * the batch). Policy, stated fully in docs/json.md:
 *   - numbers: integers in int64 range → SL_T_INT; other integers → SL_T_DECIMAL
 *     (digits as written); fraction/exponent → SL_T_DOUBLE correctly rounded,
 *     except when the double would overflow to ±inf or underflow a non-zero
 *     number to 0, which keep the text as SL_T_DECIMAL;
 *   - strings must be valid UTF-8 (no overlongs, no UTF-8-encoded surrogates,
 *     nothing above U+10FFFF); \u escapes must pair surrogates correctly;
 *   - duplicate object keys are all kept, in input order;
 *   - nesting deeper than SL_JSON_MAX_DEPTH is an error.
 *
 * Writer: compact JSON, no trailing newline; output is always valid JSON and
 * valid UTF-8 whatever the value holds.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"
#include "formats/format.h"

/* Containers nested deeper than this are rejected (the reader recurses). */
#define SL_JSON_MAX_DEPTH 512

/* ---- one-shot parse ---- */

/* Parse exactly one JSON value from p[0..len) (whitespace around it allowed,
 * a UTF-8 byte order mark is not). On success returns 0 and fills *out; its
 * containers and decoded strings are allocated in a, its plain strings point
 * into p. On malformed input returns SL_EPARSE with a message naming the byte
 * offset and what was expected ("at byte 12: expected ':' after object key"),
 * and sets err->offset (0-based), err->line and err->column (1-based). */
int sl_json_parse(const char *p, size_t len, sl_arena *a, sl_value *out, sl_error *err);

/* ---- streaming record decoder (the file source's "json" format) ---- */

/* Internal scratch the decoder reuses between calls; callers never touch it. */
#define SL_JSON_SCRATCH_VALUES 256
#define SL_JSON_SCRATCH_FIELDS 128

/* Object keys the decoder keeps (see sl_json_decode): at most
 * SL_JSON_NAMES_MAX distinct keys of at most SL_JSON_NAME_MAX bytes, with
 * SL_JSON_NAME_BYTES bytes of key text in all; keys beyond that are not kept. */
#define SL_JSON_NAMES_MAX 254
#define SL_JSON_NAME_MAX 64
#define SL_JSON_NAME_BYTES 4096

/* Internal: one kept key and the keys that followed it last time. */
typedef struct sl_json_name {
    uint32_t off, len; /* its text: names.text[off .. off + len) */
    uint16_t next;     /* the key that followed this one in its object last time */
    uint16_t first;    /* the first key of the object that was this key's value last time */
    uint8_t flags;     /* name_flags of fields with this key */
    uint8_t raw;       /* the key is written without escapes: the text is also its input bytes */
} sl_json_name;

/* Internal: the kept keys. Entries 0 and 1 are sentinels (the top level,
 * and "not kept"); index slots hold entry + 1 (low 16 bits; 0: empty) and
 * high bits of the key's hash. When most keys are not predicted (no
 * stable key order), or the table is full and most lookups fail (keys
 * that are data: ids, timestamps), the table is frozen for a while: no
 * lookups, predictions stay as they are. Once half full, the table only
 * takes a key the second time it is looked up, so that keys that are data
 * leave room for keys that come back. */
typedef struct sl_json_names {
    uint32_t count, used;
    uint64_t hits;          /* this window: keys predicted, */
    uint32_t lookups, found; /* looked up, and found (or added) */
    uint32_t frozen_misses; /* keys not predicted while frozen */
    bool full, frozen;
    uint32_t candidates[64]; /* hashes of keys seen once after the table got half full */
    uint32_t index[2 * (SL_JSON_NAMES_MAX + 2)];
    sl_json_name entry[SL_JSON_NAMES_MAX + 2];
    char text[SL_JSON_NAME_BYTES + 8]; /* + 8: word loads past a key's end stay inside */
} sl_json_names;

typedef struct sl_json_decoder {
    int state;                               /* internal: top level, or where inside a top-level array */
    bool started;                            /* internal: the byte order mark check at file start is done */
    sl_value values[SL_JSON_SCRATCH_VALUES]; /* internal scratch */
    sl_field fields[SL_JSON_SCRATCH_FIELDS]; /* internal scratch */
    sl_json_names names;                     /* internal: object keys seen so far */
} sl_json_decoder;

/* Prepare d for a new file. Holds no heap memory: nothing to free; but the
 * records d decodes point into d (see sl_json_decode): initialising d again
 * ends the life of the field names of the records it decoded before. */
void sl_json_decoder_init(sl_json_decoder *d);

/* Decode records from buf[0..len) per the contract in formats/format.h.
 * Accepts NDJSON (blank lines skipped), concatenated or pretty-printed values,
 * and top-level arrays of records ("[ {...}, {...} ]", elements streamed one
 * by one; the decoder remembers across calls that it is inside the array). A
 * UTF-8 byte order mark at the start of the file is skipped.
 *
 * Each record must be an object; other values go to ctx->reject. Outside a
 * top-level array a malformed record is rejected (reason names the byte offset
 * within the rejected text, raw = the record's text up to the end of its first
 * line) and decoding resumes at the next line. Inside a top-level array a
 * syntax error is fatal: returns SL_EPARSE with err->offset (file offset) and
 * err->line set. A negative status from ctx->reject is returned as is.
 *
 * Object keys are kept in d: the field names of the records point at d's
 * one copy of each key (up to SL_JSON_NAMES_MAX keys; others point into buf
 * or the arena), so names sit in a few cache lines and repeat the same
 * pointers from record to record. d must therefore outlive the records, as
 * buf must; do not move or copy d between calls.
 *
 * Records go to ctx->batch (arena: ctx->batch->arena) with sl_recloc of their
 * first byte; decoding stops once ctx->batch->count reaches ctx->max_records
 * (0 = no limit). With ctx->reject NULL a bad record is fatal (SL_EPARSE).
 * *consumed = bytes used; ctx->line and ctx->offset advance past them. An
 * incomplete record at the end of buf is left unconsumed unless at_eof. */
int sl_json_decode(sl_json_decoder *d, const char *buf, size_t len, bool at_eof, size_t *consumed, sl_decode_ctx *ctx,
                   sl_error *err);

/* ---- writer ---- */

/* Append v as compact JSON to out (no newline). Strings flagged
 * SL_VF_JSON_PLAIN are copied as they are (after a UTF-8 check); others are
 * escaped ('"', '\\', control characters; invalid UTF-8 bytes become
 * \ufffd). DOUBLE uses sl_format_double (NaN/Inf → null); DECIMAL is written
 * as its text when that is a valid JSON number, else as a string; DATE as
 * "YYYY-MM-DD"; TIMESTAMP as "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z"; BINARY as
 * a base64 string. Returns 0, or SL_ELIMIT when out's maximum would be
 * exceeded (out is then left as it was), or SL_EINVAL for a value nested
 * deeper than 4096 levels. */
int sl_json_write(sl_buf *out, const sl_value *v);

/* Append s[0..len) as a quoted, escaped JSON string (same escaping as above).
 * Returns 0 or SL_ELIMIT (out unchanged). */
int sl_json_write_string(sl_buf *out, const char *s, size_t len);

#endif
