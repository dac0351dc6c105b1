/*
 * classify.c — Glue's built-in classifiers over one object's sample, and
 * the DynamoDB crawler's inference over items (see classify.h; the rules
 * and thresholds are written out in docs/crawlers.md).
 *
 * Order of the checks, as Glue's classifier list: magic numbers first
 * (Parquet "PAR1", Avro "Obj\1", ORC "ORC"; gzip/zstd/bzip2 compression,
 * whose decompressed prefix is then classified), then JSON (text starting
 * with '{' or '['), then CSV (delimiter sniffing and header detection);
 * whatever is left is UNKNOWN. Records are read by the project's readers;
 * this file only adds what a classifier must decide on top: the delimiter
 * (a quote-aware count of fields per row, RFC 4180 quoting), the header
 * and Glue's per-value CSV typing.
 */
#include "catalog/classify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/batch.h"
#include "core/mem.h"
#include "formats/csv.h"
#include "formats/json.h"
#include "formats/parquet_meta.h"

/* A JSON or CSV sample stays classified while at most 1 record in 10 is
 * rejected by the reader; a delimiter is consistent when at least 9 rows
 * in 10 have the first row's field count. */
#define BAD_RECORDS_PER_10 1
#define CONSISTENT_ROWS_PER_10 9
/* Glue's header rule: a header cell holds fewer than 150 characters. */
#define HEADER_CELL_MAX 150
/* Rows examined to choose a delimiter. */
#define SNIFF_ROWS_MAX 1001
/* Largest Parquet footer we fetch. */
#define PARQUET_FOOTER_MAX ((uint64_t)64 << 20)

/* ------------------------------------------------------------------ */
/* Names, options, results. */

const char *sl_classification_name(sl_classification c) {
    switch (c) {
    case SL_CLASS_JSON: return "json";
    case SL_CLASS_CSV: return "csv";
    case SL_CLASS_PARQUET: return "parquet";
    case SL_CLASS_AVRO: return "avro";
    case SL_CLASS_ORC: return "orc";
    case SL_CLASS_DYNAMODB: return "dynamodb";
    default: return "UNKNOWN";
    }
}

bool sl_classification_readable(sl_classification c) {
    return c == SL_CLASS_JSON || c == SL_CLASS_CSV || c == SL_CLASS_PARQUET || c == SL_CLASS_AVRO;
}

const char *sl_json_layout_name(sl_json_layout l) {
    switch (l) {
    case SL_JSON_DOCUMENT: return "document";
    case SL_JSON_ARRAY: return "array";
    default: return "ndjson";
    }
}

void sl_classify_opts_default(sl_classify_opts *o) {
    memset(o, 0, sizeof *o);
    o->sample_bytes = SL_CLASSIFY_SAMPLE_BYTES;
    o->sample_records = SL_CLASSIFY_SAMPLE_RECORDS;
    o->csv_header = SL_CSV_HEADER_DETECT;
}

void sl_classify_result_free(sl_classify_result *r) {
    if (!r) return;
    sl_gtype_free(r->columns);
    sl_schema_free(r->schema);
    memset(r, 0, sizeof *r);
}

sl_hive_storage sl_classify_hive_storage(sl_classification c, bool csv_quoted) {
    static const char text_in[] = "org.apache.hadoop.mapred.TextInputFormat";
    static const char text_out[] = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
    sl_hive_storage s = {NULL, NULL, NULL};
    switch (c) {
    case SL_CLASS_CSV:
        s.serialization_library = csv_quoted ? "org.apache.hadoop.hive.serde2.OpenCSVSerde"
                                             : "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
        s.input_format = text_in;
        s.output_format = text_out;
        break;
    case SL_CLASS_JSON:
        s.serialization_library = "org.openx.data.jsonserde.JsonSerDe";
        s.input_format = text_in;
        s.output_format = text_out;
        break;
    case SL_CLASS_PARQUET:
        s.serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
        s.input_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
        s.output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
        break;
    case SL_CLASS_AVRO:
        s.serialization_library = "org.apache.hadoop.hive.serde2.avro.AvroSerDe";
        s.input_format = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat";
        s.output_format = "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat";
        break;
    case SL_CLASS_ORC:
        s.serialization_library = "org.apache.hadoop.hive.ql.io.orc.OrcSerde";
        s.input_format = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat";
        s.output_format = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat";
        break;
    default: break;
    }
    return s;
}

static void set_reason(sl_classify_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(sl_classify_result *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

/* Back to UNKNOWN (keeping compression and reason). */
static void reset_unknown(sl_classify_result *r) {
    sl_gtype_free(r->columns);
    sl_schema_free(r->schema);
    r->columns = NULL;
    r->schema = NULL;
    r->classification = SL_CLASS_UNKNOWN;
    r->records_sampled = r->bytes_sampled = r->record_count = r->avg_record_size = 0;
    r->record_count_exact = false;
}

/* ------------------------------------------------------------------ */
/* The sample: the object's first bytes, decompressed when needed. */

typedef struct sample {
    const char *text;
    size_t len;
    bool whole;          /* text is the whole (decompressed) object */
    char *owned;         /* decompressed copy, or NULL */
    double stored_ratio; /* stored bytes per text byte (1 when uncompressed) */
} sample;

static bool head_is_whole(const sl_classify_input *in, size_t limit) {
    if (in->size == UINT64_MAX) return in->head_len < limit;
    return in->head_len >= in->size;
}

/* Decompress the head into s (at most o->sample_bytes). Returns false
 * (reason set) when nothing could be decompressed. */
static bool decompress_head(const sl_classify_input *in, const sl_classify_opts *o, sl_codec codec, sample *s,
                            sl_classify_result *r) {
    sl_instream *st = NULL;
    sl_error e;
    sl_error_clear(&e);
    if (sl_instream_open_mem(in->name ? in->name : "object", in->head, in->head_len, true, &st, &e) != 0) {
        set_reason(r, "%s", e.message);
        return false;
    }
    size_t cap = o->sample_bytes + 1;
    char *buf = sl_xmalloc(cap);
    size_t total = 0;
    bool ended = false, failed = false;
    while (total < cap) {
        size_t got = 0;
        if (sl_instream_read(st, buf + total, cap - total, &got, &e) != 0) {
            failed = true;
            break;
        }
        if (got == 0) {
            ended = true;
            break;
        }
        total += got;
    }
    uint64_t raw = sl_instream_raw_bytes(st);
    sl_instream_close(st);
    if (total == 0 && failed) {
        free(buf);
        set_reason(r, "%s data cannot be decompressed: %s", sl_codec_name(codec), e.message);
        return false;
    }
    s->whole = ended && !failed && total <= o->sample_bytes && head_is_whole(in, o->sample_bytes);
    if (total > o->sample_bytes) total = o->sample_bytes;
    s->owned = buf;
    s->text = buf;
    s->len = total;
    s->stored_ratio = total ? (double)raw / (double)total : 1.0;
    return true;
}

/* Estimate the records of the whole object from `records` found in
 * `bytes` of text. */
static void estimate_count(const sl_classify_input *in, const sample *s, uint64_t records, uint64_t bytes, bool exact,
                           sl_classify_result *r) {
    r->records_sampled = records;
    r->bytes_sampled = bytes;
    r->avg_record_size = records ? (bytes + records / 2) / records : 0;
    if (exact) {
        r->record_count = records;
        r->record_count_exact = true;
    } else if (bytes && in->size != UINT64_MAX) {
        double text_bytes = (double)in->size / (s->stored_ratio > 0 ? s->stored_ratio : 1.0);
        r->record_count = (uint64_t)((double)records * text_bytes / (double)bytes + 0.5);
    }
}

/* Control bytes (not tab, CR, LF, FF or Ctrl-A, a CSV delimiter) or NUL
 * in more than 1 byte in 10 of the first 64 KiB: not text. */
static bool looks_binary(const char *t, size_t len) {
    size_t n = len < 65536 ? len : 65536, control = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == 0) return true;
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != 0x01) || c == 0x7f) control++;
    }
    return control * 10 > n;
}

/* Skip a UTF-8 byte order mark and white space; index of the first byte. */
static size_t first_content(const char *t, size_t len) {
    size_t i = 0;
    if (len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0) i = 3;
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
        i++;
    return i;
}

/* ------------------------------------------------------------------ */
/* JSON. */

typedef struct reject_count {
    uint64_t count;
    int64_t first_offset;
    char first_reason[160];
} reject_count;

static int count_reject(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    reject_count *rc = ud;
    if (rc->count++ == 0) {
        rc->first_offset = offset;
        snprintf(rc->first_reason, sizeof rc->first_reason, "line %llu: %s", (unsigned long long)line, reason);
    }
    return 0;
}

/* Does record i of the batch span several lines? */
static bool spans_lines(const char *t, const sl_batch *b, size_t i, size_t consumed) {
    size_t start = (size_t)b->locs[i].offset;
    size_t end = i + 1 < b->count ? (size_t)b->locs[i + 1].offset : consumed;
    while (end > start && strchr(" \t\r\n,", t[end - 1]))
        end--;
    return end > start && memchr(t + start, '\n', end - start) != NULL;
}

static bool classify_json(const sl_classify_input *in, const sample *s, const sl_classify_opts *o,
                          sl_classify_result *r) {
    sl_json_decoder d;
    sl_json_decoder_init(&d);
    sl_batch b;
    sl_batch_init(&b);
    reject_count rej = {0, -1, ""};
    sl_decode_ctx ctx = {&b, o->sample_records, 1, 0, count_reject, &rej};
    size_t consumed = 0;
    sl_error e;
    sl_error_clear(&e);
    int rc = sl_json_decode(&d, s->text, s->len, s->whole, &consumed, &ctx, &e);
    bool ok = false;
    if (rc < 0) {
        set_reason(r, "not JSON: %s", e.message);
    } else if (b.count == 0 && rej.count == 0 && !s->whole) {
        /* One record bigger than the whole sample. */
        ok = true;
        r->columns = sl_gtype_new(SL_G_STRUCT);
        r->schema = sl_schema_new(SL_T_STRUCT);
        set_reason(r, "the first record is larger than the %zu-byte sample", o->sample_bytes);
    } else if (b.count == 0) {
        set_reason(r, "not JSON: %s", rej.count ? rej.first_reason : "no records");
    } else if (rej.count && (rej.first_offset < b.locs[0].offset || rej.count * 10 > b.count * BAD_RECORDS_PER_10)) {
        set_reason(r, "not JSON: %llu of %llu records rejected (%s)", (unsigned long long)rej.count,
                   (unsigned long long)(rej.count + b.count), rej.first_reason);
    } else {
        ok = true;
        for (size_t i = 0; i < b.count; i++) {
            sl_schema_observe(&r->schema, &b.records[i]);
            sl_gtype_observe(&r->columns, &b.records[i], SL_GOBS_INT32);
        }
        if (s->text[first_content(s->text, s->len)] == '[') {
            r->json_layout = SL_JSON_ARRAY;
        } else {
            r->json_layout = SL_JSON_NDJSON;
            for (size_t i = 0; i < b.count; i++)
                if (spans_lines(s->text, &b, i, consumed)) {
                    r->json_layout = SL_JSON_DOCUMENT;
                    break;
                }
        }
        if (rej.count)
            set_reason(r, "%llu record(s) of the sample rejected (%s)", (unsigned long long)rej.count,
                       rej.first_reason);
        estimate_count(in, s, b.count, consumed, s->whole && consumed == s->len, r);
    }
    if (ok) r->classification = SL_CLASS_JSON;
    sl_batch_free(&b);
    return ok;
}

/* ------------------------------------------------------------------ */
/* CSV: delimiter sniffing. */

static const char delimiters[] = {',', '|', '\t', ';', '\x01'};

/* Field counts of the first rows of t split at delim, with RFC 4180
 * quoting ('"' opens a quoted field at its start, "" inside is a quote,
 * line breaks inside quotes belong to the field). Blank lines are skipped;
 * a last row without its line end counts only when the text is whole.
 * Returns the number of rows counted (at most max_rows). */
static size_t field_counts(const char *t, size_t len, char delim, bool whole, uint32_t *counts, size_t max_rows) {
    size_t rows = 0, i = 0;
    if (len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0) i = 3;
    while (i < len && rows < max_rows) {
        if (t[i] == '\n') {
            i++;
            continue;
        }
        if (t[i] == '\r' && i + 1 < len && t[i + 1] == '\n') {
            i += 2;
            continue;
        }
        uint32_t fields = 1;
        bool field_start = true, in_quotes = false, ended = false;
        for (; i < len; i++) {
            char c = t[i];
            if (in_quotes) {
                if (c == '"') {
                    if (i + 1 < len && t[i + 1] == '"')
                        i++;
                    else
                        in_quotes = false;
                }
                continue;
            }
            if (c == '"' && field_start) {
                in_quotes = true;
                field_start = false;
            } else if (c == delim) {
                if (fields < UINT32_MAX) fields++;
                field_start = true;
            } else if (c == '\n') {
                i++;
                ended = true;
                break;
            } else {
                field_start = false;
            }
        }
        if (!ended && !whole) break;
        counts[rows++] = fields;
    }
    return rows;
}

typedef struct sniff {
    char delimiter;
    uint32_t columns;
    size_t rows, consistent;
} sniff;

/* Choose the delimiter: among those giving the first row at least two
 * fields (one with allow_single_column) and at least 9 rows in 10 with that
 * many, the most consistent, then the one with more columns, then Glue's
 * order (comma, pipe, tab, semicolon, Ctrl-A). */
static bool sniff_delimiter(const sample *s, const sl_classify_opts *o, sniff *best, sl_classify_result *r) {
    size_t max_rows = o->sample_records + 1 < SNIFF_ROWS_MAX ? o->sample_records + 1 : SNIFF_ROWS_MAX;
    uint32_t *counts = sl_xmalloc(max_rows * sizeof *counts);
    bool found = false;
    size_t most_rows = 0;
    memset(best, 0, sizeof *best);
    for (size_t k = 0; k < sizeof delimiters; k++) {
        size_t rows = field_counts(s->text, s->len, delimiters[k], s->whole, counts, max_rows);
        if (rows > most_rows) most_rows = rows;
        if (rows < 2 || (counts[0] < 2 && !o->allow_single_column)) continue;
        size_t same = 0;
        for (size_t i = 0; i < rows; i++)
            same += counts[i] == counts[0];
        if (same * 10 < rows * CONSISTENT_ROWS_PER_10) continue;
        /* same/rows > best.consistent/best.rows, compared exactly */
        bool better = !found || same * best->rows > best->consistent * rows ||
                      (same * best->rows == best->consistent * rows && counts[0] > best->columns);
        if (better) {
            best->delimiter = delimiters[k];
            best->columns = counts[0];
            best->rows = rows;
            best->consistent = same;
            found = true;
        }
    }
    free(counts);
    if (!found) {
        if (most_rows < 2)
            set_reason(r, "not CSV: fewer than two rows");
        else
            set_reason(r, "not CSV: no delimiter (, | tab ; Ctrl-A) splits the rows into a consistent number of "
                          "columns (at least two)");
    }
    return found;
}

/* ------------------------------------------------------------------ */
/* CSV: Glue's typing and the header. */

/* Glue's type of one CSV cell: values are trimmed, then typed whether
 * quoted or not — bigint, double (numbers with a fraction or exponent, and
 * integers beyond the long range), boolean (true/false), else string; an
 * empty cell says nothing. */
static sl_gkind csv_cell_kind(const sl_value *v) {
    switch (v->type) {
    case SL_T_NULL: return SL_G_UNKNOWN;
    case SL_T_BOOL: return SL_G_BOOLEAN;
    case SL_T_INT: return SL_G_BIGINT;
    case SL_T_DOUBLE:
    case SL_T_DECIMAL: return SL_G_DOUBLE;
    case SL_T_STRING: {
        const char *p = v->u.s;
        size_t n = v->len;
        while (n && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        sl_value x;
        switch (sl_csv_infer_text(p, n, &x)) {
        case SL_T_NULL: return SL_G_UNKNOWN;
        case SL_T_BOOL: return SL_G_BOOLEAN;
        case SL_T_INT: return SL_G_BIGINT;
        case SL_T_DOUBLE:
        case SL_T_DECIMAL: return SL_G_DOUBLE;
        default: return SL_G_STRING;
        }
    }
    default: return SL_G_STRING;
    }
}

/* Can this first-row cell name a column (Glue's header rules)? */
static bool header_cell_ok(const sl_value *v) {
    if (v->type != SL_T_STRING || csv_cell_kind(v) != SL_G_STRING) return false;
    if (v->len >= HEADER_CELL_MAX) return false;
    for (uint32_t i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->u.s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
}

static bool detect_header(const sl_batch *b, uint32_t ncols) {
    const sl_value *first = &b->records[0];
    bool last_empty = true; /* a trailing delimiter: the last column empty throughout */
    for (size_t i = 0; i < b->count && last_empty; i++)
        last_empty = csv_cell_kind(&b->records[i].u.fields[ncols - 1].value) == SL_G_UNKNOWN;
    for (uint32_t c = 0; c < ncols; c++) {
        if (c == ncols - 1 && last_empty && ncols > 1) continue;
        if (!header_cell_ok(&first->u.fields[c].value)) return false;
    }
    /* Sufficiently different: some later row holds a value that is not a
     * string. */
    for (size_t i = 1; i < b->count; i++)
        for (uint32_t c = 0; c < ncols; c++) {
            sl_gkind k = csv_cell_kind(&b->records[i].u.fields[c].value);
            if (k != SL_G_UNKNOWN && k != SL_G_STRING) return true;
        }
    return false;
}

/* Column names: the header's cells (an empty one: col<i>; a repeated one
 * gets _<i> appended until unique), or col0, col1, … */
static char **column_names(const sl_batch *b, uint32_t ncols, bool header) {
    char **names = sl_xcalloc(ncols, sizeof *names);
    for (uint32_t c = 0; c < ncols; c++) {
        const sl_value *v = header ? &b->records[0].u.fields[c].value : NULL;
        char buf[32];
        if (v && v->type == SL_T_STRING && v->len) {
            names[c] = sl_xstrndup(v->u.s, v->len);
        } else {
            snprintf(buf, sizeof buf, "col%u", c);
            names[c] = sl_xstrdup(buf);
        }
        for (;;) {
            bool taken = false;
            for (uint32_t k = 0; k < c && !taken; k++)
                taken = strcmp(names[k], names[c]) == 0;
            if (!taken) break;
            size_t len = strlen(names[c]);
            char *longer = sl_xmalloc(len + 16);
            snprintf(longer, len + 16, "%s_%u", names[c], c);
            free(names[c]);
            names[c] = longer;
        }
    }
    return names;
}

static bool classify_csv(const sl_classify_input *in, const sample *s, const sl_classify_opts *o,
                         sl_classify_result *r) {
    sniff sn;
    if (!sniff_delimiter(s, o, &sn, r)) return false;

    sl_csv_options co = sl_csv_options_default();
    co.delimiter = sn.delimiter;
    co.header = false;
    co.infer_types = true;
    co.multiline = true;
    sl_csv_decoder d;
    if (sl_csv_decoder_init(&d, &co) != 0) return false;
    sl_batch b;
    sl_batch_init(&b);
    reject_count rej = {0, -1, ""};
    sl_decode_ctx ctx = {&b, o->sample_records + 1, 1, 0, count_reject, &rej};
    size_t consumed = 0;
    sl_error e;
    sl_error_clear(&e);
    int rc = sl_csv_decode(&d, s->text, s->len, s->whole, &consumed, &ctx, &e);
    uint32_t ncols = sl_csv_decoder_columns(&d);
    bool ok = false;
    if (rc < 0) {
        set_reason(r, "not CSV: %s", e.message);
    } else if (b.count < 2) {
        set_reason(r, "not CSV: fewer than two rows");
    } else if (rej.count * 10 > (b.count + rej.count) * BAD_RECORDS_PER_10) {
        set_reason(r, "not CSV: %llu of %llu rows rejected (%s)", (unsigned long long)rej.count,
                   (unsigned long long)(rej.count + b.count), rej.first_reason);
    } else {
        ok = true;
    }
    if (!ok) {
        sl_batch_free(&b);
        sl_csv_decoder_free(&d);
        return false;
    }

    bool header =
        o->csv_header == SL_CSV_HEADER_PRESENT || (o->csv_header == SL_CSV_HEADER_DETECT && detect_header(&b, ncols));
    char **names = column_names(&b, ncols, header);
    size_t first_data = header ? 1 : 0;
    r->columns = sl_gtype_new(SL_G_STRUCT);
    for (uint32_t c = 0; c < ncols; c++)
        sl_gtype_add_field(r->columns, names[c], strlen(names[c]), sl_gtype_new(SL_G_UNKNOWN));
    sl_field *renamed = sl_arena_alloc(&b.arena, ncols * sizeof *renamed);
    for (size_t i = first_data; i < b.count; i++) {
        const sl_value *rec = &b.records[i];
        for (uint32_t c = 0; c < ncols; c++) {
            sl_gtype seen = {.kind = csv_cell_kind(&rec->u.fields[c].value)};
            sl_gtype_merge_into(&r->columns->fields[c].type, &seen);
            renamed[c] = rec->u.fields[c];
            renamed[c].name = names[c];
            renamed[c].name_len = (uint32_t)strlen(names[c]);
        }
        sl_value row = sl_struct(renamed, ncols);
        sl_schema_observe(&r->schema, &row);
    }
    if (!r->schema) r->schema = sl_schema_new(SL_T_STRUCT);

    r->classification = SL_CLASS_CSV;
    r->delimiter = sn.delimiter;
    r->quote = '"';
    r->header = header;
    r->quoted = memchr(s->text, '"', consumed) != NULL;
    size_t data_offset = header && b.count > 1 ? (size_t)b.locs[1].offset : 0;
    size_t data_rows = b.count - first_data;
    estimate_count(in, s, data_rows, consumed - data_offset, s->whole && consumed == s->len, r);
    if (rej.count)
        set_reason(r, "%llu row(s) of the sample rejected (%s)", (unsigned long long)rej.count, rej.first_reason);

    for (uint32_t c = 0; c < ncols; c++)
        free(names[c]);
    free(names);
    sl_batch_free(&b);
    sl_csv_decoder_free(&d);
    return true;
}

/* ------------------------------------------------------------------ */
/* Parquet: the schema from the footer. */

static sl_gtype *pq_leaf(const sl_pq_schema_element *e) {
    const sl_pq_logical_type *lt = &e->logical_type;
    int conv = e->has_converted_type ? (int)e->converted_type : -1;
    switch (lt->kind) {
    case SL_PQ_LT_STRING:
    case SL_PQ_LT_ENUM:
    case SL_PQ_LT_JSON:
    case SL_PQ_LT_UUID:
    case SL_PQ_LT_TIME: return sl_gtype_new(SL_G_STRING);
    case SL_PQ_LT_DECIMAL: return sl_gtype_decimal(lt->decimal_precision, lt->decimal_scale);
    case SL_PQ_LT_DATE: return sl_gtype_new(SL_G_DATE);
    case SL_PQ_LT_TIMESTAMP: return sl_gtype_new(SL_G_TIMESTAMP);
    case SL_PQ_LT_BSON: return sl_gtype_new(SL_G_BINARY);
    case SL_PQ_LT_FLOAT16: return sl_gtype_new(SL_G_FLOAT);
    case SL_PQ_LT_UNKNOWN: return sl_gtype_new(SL_G_UNKNOWN);
    case SL_PQ_LT_INTEGER:
        if (lt->is_signed) {
            if (lt->bit_width <= 8) return sl_gtype_new(SL_G_TINYINT);
            if (lt->bit_width <= 16) return sl_gtype_new(SL_G_SMALLINT);
            if (lt->bit_width <= 32) return sl_gtype_new(SL_G_INT);
            return sl_gtype_new(SL_G_BIGINT);
        }
        if (lt->bit_width <= 8) return sl_gtype_new(SL_G_SMALLINT);
        if (lt->bit_width <= 16) return sl_gtype_new(SL_G_INT);
        return sl_gtype_new(SL_G_BIGINT);
    default: break;
    }
    switch (conv) {
    case SL_PQ_CT_UTF8:
    case SL_PQ_CT_ENUM:
    case SL_PQ_CT_JSON:
    case SL_PQ_CT_TIME_MILLIS:
    case SL_PQ_CT_TIME_MICROS: return sl_gtype_new(SL_G_STRING);
    case SL_PQ_CT_DECIMAL: return sl_gtype_decimal(e->has_precision ? e->precision : 38, e->has_scale ? e->scale : 0);
    case SL_PQ_CT_DATE: return sl_gtype_new(SL_G_DATE);
    case SL_PQ_CT_TIMESTAMP_MILLIS:
    case SL_PQ_CT_TIMESTAMP_MICROS: return sl_gtype_new(SL_G_TIMESTAMP);
    case SL_PQ_CT_INT_8: return sl_gtype_new(SL_G_TINYINT);
    case SL_PQ_CT_INT_16:
    case SL_PQ_CT_UINT_8: return sl_gtype_new(SL_G_SMALLINT);
    case SL_PQ_CT_INT_32:
    case SL_PQ_CT_UINT_16: return sl_gtype_new(SL_G_INT);
    case SL_PQ_CT_INT_64:
    case SL_PQ_CT_UINT_32:
    case SL_PQ_CT_UINT_64: return sl_gtype_new(SL_G_BIGINT);
    case SL_PQ_CT_BSON:
    case SL_PQ_CT_INTERVAL: return sl_gtype_new(SL_G_BINARY);
    default: break;
    }
    switch (e->has_type ? (int)e->type : -1) {
    case SL_PQ_BOOLEAN: return sl_gtype_new(SL_G_BOOLEAN);
    case SL_PQ_INT32: return sl_gtype_new(SL_G_INT);
    case SL_PQ_INT64: return sl_gtype_new(SL_G_BIGINT);
    case SL_PQ_INT96: return sl_gtype_new(SL_G_TIMESTAMP);
    case SL_PQ_FLOAT: return sl_gtype_new(SL_G_FLOAT);
    case SL_PQ_DOUBLE: return sl_gtype_new(SL_G_DOUBLE);
    default: return sl_gtype_new(SL_G_BINARY);
    }
}

typedef struct pq_walk {
    const sl_pq_file_meta *fm;
    uint32_t idx;
    bool bad;
} pq_walk;

static bool is_group(const sl_pq_schema_element *e) { return e->has_num_children && e->num_children > 0; }

static sl_gtype *pq_node(pq_walk *w, int depth, bool as_element);

/* The children of a group as a struct. */
static sl_gtype *pq_struct(pq_walk *w, const sl_pq_schema_element *e, int depth) {
    sl_gtype *st = sl_gtype_new(SL_G_STRUCT);
    for (int32_t i = 0; i < e->num_children && !w->bad; i++) {
        if (w->idx >= w->fm->n_schema) {
            w->bad = true;
            break;
        }
        const sl_pq_schema_element *c = &w->fm->schema[w->idx];
        sl_gtype *ct = pq_node(w, depth + 1, false);
        if (ct) sl_gtype_add_field(st, c->name, c->name_len, ct);
    }
    return st;
}

/* The node at w->idx (consumed with its subtree). A REPEATED node outside
 * a LIST annotation is an array of itself (as_element: it is the element
 * of an enclosing LIST already). */
static sl_gtype *pq_node(pq_walk *w, int depth, bool as_element) {
    if (w->idx >= w->fm->n_schema || depth > 64) {
        w->bad = true;
        return NULL;
    }
    const sl_pq_schema_element *e = &w->fm->schema[w->idx++];
    if ((uint32_t)(e->num_children > 0 ? e->num_children : 0) > w->fm->n_schema) {
        w->bad = true;
        return NULL;
    }
    sl_gtype *t;
    bool list = e->logical_type.kind == SL_PQ_LT_LIST || (e->has_converted_type && e->converted_type == SL_PQ_CT_LIST);
    bool map =
        e->logical_type.kind == SL_PQ_LT_MAP ||
        (e->has_converted_type && (e->converted_type == SL_PQ_CT_MAP || e->converted_type == SL_PQ_CT_MAP_KEY_VALUE));
    const sl_pq_schema_element *child = w->idx < w->fm->n_schema ? &w->fm->schema[w->idx] : NULL;
    if (is_group(e) && list && e->num_children == 1 && child) {
        /* LIST: a repeated child; three-level form when that child is a
         * group of one field (not the legacy "array" / "<name>_tuple"). */
        bool legacy = child->name_len == 5 && memcmp(child->name, "array", 5) == 0;
        if (child->name_len == e->name_len + 6 && memcmp(child->name, e->name, e->name_len) == 0 &&
            memcmp(child->name + e->name_len, "_tuple", 6) == 0)
            legacy = true;
        t = sl_gtype_new(SL_G_ARRAY);
        if (is_group(child) && child->num_children == 1 && !legacy) {
            w->idx++;
            t->element = pq_node(w, depth + 1, true);
        } else {
            t->element = pq_node(w, depth + 1, true);
        }
    } else if (is_group(e) && map && e->num_children == 1 && child && is_group(child) && child->num_children == 2) {
        w->idx++;
        t = sl_gtype_new(SL_G_MAP);
        t->key = pq_node(w, depth + 1, true);
        t->element = pq_node(w, depth + 1, true);
        if (t->key && (t->key->kind == SL_G_ARRAY || t->key->kind == SL_G_MAP || t->key->kind == SL_G_STRUCT)) {
            sl_gtype_free(t->key);
            t->key = sl_gtype_new(SL_G_STRING);
        }
    } else if (is_group(e)) {
        t = pq_struct(w, e, depth);
    } else {
        t = pq_leaf(e);
    }
    if (e->has_repetition && e->repetition_type == SL_PQ_REPEATED && !as_element) {
        sl_gtype *arr = sl_gtype_new(SL_G_ARRAY);
        arr->element = t;
        t = arr;
    }
    return t;
}

typedef struct footer {
    const unsigned char *bytes;
    size_t len;
    unsigned char *owned;
} footer;

/* The footer from the whole object in memory, or through read_at. */
static int parquet_footer(const sl_classify_input *in, const sample *s, bool compressed, footer *f,
                          sl_classify_result *r, sl_error *err) {
    memset(f, 0, sizeof *f);
    const unsigned char *tail = NULL;
    uint64_t size = 0;
    unsigned char tail_buf[8];
    if (s->whole) {
        size = s->len;
        if (size >= 8) tail = (const unsigned char *)s->text + size - 8;
    } else if (in->read_at && in->size != UINT64_MAX && !compressed) {
        size = in->size;
        if (size >= 12) {
            int rc = in->read_at(in->ud, size - 8, tail_buf, 8, err);
            if (rc) return rc;
            tail = tail_buf;
        }
    } else {
        set_reason(r, "parquet: the footer is at the end of the object and was not read");
        return 1;
    }
    if (!tail || size < 12 || memcmp(tail + 4, "PAR1", 4) != 0) {
        set_reason(r, "parquet: no \"PAR1\" at the end of the object (truncated?)");
        return 1;
    }
    uint64_t flen = (uint64_t)tail[0] | (uint64_t)tail[1] << 8 | (uint64_t)tail[2] << 16 | (uint64_t)tail[3] << 24;
    if (flen + 12 > size) {
        set_reason(r, "parquet: footer length %llu does not fit in the object", (unsigned long long)flen);
        return 1;
    }
    if (flen > PARQUET_FOOTER_MAX) {
        set_reason(r, "parquet: footer of %llu bytes is too large", (unsigned long long)flen);
        return 1;
    }
    if (s->whole) {
        f->bytes = (const unsigned char *)s->text + size - 8 - flen;
        f->len = (size_t)flen;
        return 0;
    }
    f->owned = sl_xmalloc(flen ? (size_t)flen : 1);
    int rc = in->read_at(in->ud, size - 8 - flen, f->owned, (size_t)flen, err);
    if (rc) {
        free(f->owned);
        f->owned = NULL;
        return rc;
    }
    f->bytes = f->owned;
    f->len = (size_t)flen;
    return 0;
}

/* Returns 0 (r filled, possibly UNKNOWN) or a read_at error. */
static int classify_parquet(const sl_classify_input *in, const sample *s, bool compressed, sl_classify_result *r,
                            sl_error *err) {
    r->classification = SL_CLASS_PARQUET;
    footer f;
    int rc = parquet_footer(in, s, compressed, &f, r, err);
    if (rc < 0) {
        reset_unknown(r);
        return rc;
    }
    if (rc > 0) {
        if (!s->whole && (compressed || !in->read_at)) return 0; /* parquet, schema unknown */
        reset_unknown(r);
        return 0;
    }
    sl_arena a;
    sl_arena_init(&a);
    sl_pq_file_meta fm;
    sl_error e;
    sl_error_clear(&e);
    if (sl_pq_file_meta_decode(f.bytes, f.len, &a, &fm, &e) != 0) {
        reset_unknown(r);
        set_reason(r, "%s", e.message);
    } else if (fm.n_schema == 0) {
        reset_unknown(r);
        set_reason(r, "parquet footer: no schema");
    } else {
        pq_walk w = {&fm, 1, false};
        r->columns = pq_struct(&w, &fm.schema[0], 0);
        if (w.bad) {
            reset_unknown(r);
            set_reason(r, "parquet footer: the schema's element counts do not add up");
        } else {
            r->schema = sl_gtype_to_schema(r->columns);
            uint64_t rows = fm.num_rows > 0 ? (uint64_t)fm.num_rows : 0;
            uint64_t size = s->whole ? s->len : in->size;
            r->record_count = rows;
            r->record_count_exact = true;
            r->avg_record_size = rows ? (size + rows / 2) / rows : 0;
        }
    }
    sl_arena_free(&a);
    free(f.owned);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Avro: the writer schema in the header. */

/* Avro's zigzag varint long at *pos. */
static bool avro_long(const unsigned char *p, size_t len, size_t *pos, int64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) return false;
        unsigned char b = p[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return true;
        }
    }
    return false;
}

/* A length-prefixed byte string at *pos. */
static bool avro_bytes(const unsigned char *p, size_t len, size_t *pos, const unsigned char **s, size_t *n) {
    int64_t l;
    if (!avro_long(p, len, pos, &l) || l < 0 || (uint64_t)l > len - *pos) return false;
    *s = p + *pos;
    *n = (size_t)l;
    *pos += (size_t)l;
    return true;
}

typedef struct avro_named {
    char *name; /* full name */
    sl_gtype *type;
} avro_named;

typedef struct avro_ctx {
    avro_named *named;
    size_t n_named;
} avro_ctx;

static bool str_is(const sl_value *v, const char *s) {
    return v && v->type == SL_T_STRING && v->len == strlen(s) && memcmp(v->u.s, s, v->len) == 0;
}

static int64_t int_member(const sl_value *obj, const char *name, int64_t dflt) {
    const sl_value *v = sl_struct_get(obj, name);
    return v && v->type == SL_T_INT ? v->u.i : dflt;
}

static void avro_register(avro_ctx *c, const sl_value *obj, const sl_gtype *t) {
    const sl_value *name = sl_struct_get(obj, "name");
    if (!name || name->type != SL_T_STRING || c->n_named >= 4096) return;
    const sl_value *ns = sl_struct_get(obj, "namespace");
    c->named = sl_xrealloc(c->named, (c->n_named + 1) * sizeof *c->named);
    avro_named *n = &c->named[c->n_named++];
    if (ns && ns->type == SL_T_STRING && ns->len && !memchr(name->u.s, '.', name->len)) {
        n->name = sl_xmalloc(ns->len + name->len + 2);
        memcpy(n->name, ns->u.s, ns->len);
        n->name[ns->len] = '.';
        memcpy(n->name + ns->len + 1, name->u.s, name->len);
        n->name[ns->len + 1 + name->len] = '\0';
    } else {
        n->name = sl_xstrndup(name->u.s, name->len);
    }
    n->type = sl_gtype_copy(t);
}

/* A named type by full or short name; NULL when not defined (yet). */
static const sl_gtype *avro_lookup(const avro_ctx *c, const char *s, size_t len) {
    for (size_t i = c->n_named; i-- > 0;) {
        const char *full = c->named[i].name;
        size_t flen = strlen(full);
        const char *dot = strrchr(full, '.');
        const char *shortname = dot ? dot + 1 : full;
        if ((flen == len && memcmp(full, s, len) == 0) || (strlen(shortname) == len && memcmp(shortname, s, len) == 0))
            return c->named[i].type;
    }
    return NULL;
}

static sl_gtype *avro_type(avro_ctx *c, const sl_value *v, int depth);

static sl_gtype *avro_primitive(avro_ctx *c, const sl_value *v) {
    static const struct {
        const char *name;
        sl_gkind kind;
    } prims[] = {{"null", SL_G_UNKNOWN}, {"boolean", SL_G_BOOLEAN}, {"int", SL_G_INT},      {"long", SL_G_BIGINT},
                 {"float", SL_G_FLOAT},  {"double", SL_G_DOUBLE},   {"bytes", SL_G_BINARY}, {"string", SL_G_STRING}};
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (str_is(v, prims[i].name)) return sl_gtype_new(prims[i].kind);
    const sl_gtype *named = avro_lookup(c, v->u.s, v->len);
    return named ? sl_gtype_copy(named) : sl_gtype_new(SL_G_STRING);
}

static sl_gtype *avro_object(avro_ctx *c, const sl_value *obj, int depth) {
    const sl_value *type = sl_struct_get(obj, "type");
    if (!type) return sl_gtype_new(SL_G_STRING);
    if (type->type != SL_T_STRING) return avro_type(c, type, depth + 1);
    const sl_value *logical = sl_struct_get(obj, "logicalType");
    sl_gtype *t;
    if (str_is(type, "record") || str_is(type, "error")) {
        t = sl_gtype_new(SL_G_STRUCT);
        const sl_value *fields = sl_struct_get(obj, "fields");
        for (uint32_t i = 0; fields && fields->type == SL_T_LIST && i < fields->len; i++) {
            const sl_value *f = &fields->u.items[i];
            if (f->type != SL_T_STRUCT) continue;
            const sl_value *name = sl_struct_get(f, "name");
            const sl_value *ftype = sl_struct_get(f, "type");
            if (!name || name->type != SL_T_STRING || !ftype) continue;
            sl_gtype_add_field(t, name->u.s, name->len, avro_type(c, ftype, depth + 1));
        }
        avro_register(c, obj, t);
    } else if (str_is(type, "enum")) {
        t = sl_gtype_new(SL_G_STRING);
        avro_register(c, obj, t);
    } else if (str_is(type, "fixed")) {
        t = str_is(logical, "decimal")
                ? sl_gtype_decimal((int)int_member(obj, "precision", 38), (int)int_member(obj, "scale", 0))
                : sl_gtype_new(SL_G_BINARY);
        avro_register(c, obj, t);
    } else if (str_is(type, "array")) {
        t = sl_gtype_new(SL_G_ARRAY);
        const sl_value *items = sl_struct_get(obj, "items");
        if (items) t->element = avro_type(c, items, depth + 1);
    } else if (str_is(type, "map")) {
        t = sl_gtype_new(SL_G_MAP);
        t->key = sl_gtype_new(SL_G_STRING);
        const sl_value *values = sl_struct_get(obj, "values");
        if (values) t->element = avro_type(c, values, depth + 1);
    } else if (str_is(logical, "date")) {
        t = sl_gtype_new(SL_G_DATE);
    } else if (str_is(logical, "timestamp-millis") || str_is(logical, "timestamp-micros") ||
               str_is(logical, "timestamp-nanos") || str_is(logical, "local-timestamp-millis") ||
               str_is(logical, "local-timestamp-micros")) {
        t = sl_gtype_new(SL_G_TIMESTAMP);
    } else if (str_is(logical, "decimal")) {
        t = sl_gtype_decimal((int)int_member(obj, "precision", 38), (int)int_member(obj, "scale", 0));
    } else {
        t = avro_primitive(c, type);
    }
    return t;
}

static sl_gtype *avro_type(avro_ctx *c, const sl_value *v, int depth) {
    if (depth > 64) return sl_gtype_new(SL_G_STRING);
    switch (v->type) {
    case SL_T_STRING: return avro_primitive(c, v);
    case SL_T_LIST: { /* a union: its branches widened together; null only makes it optional */
        sl_gtype *t = NULL;
        for (uint32_t i = 0; i < v->len; i++) {
            sl_gtype *branch = avro_type(c, &v->u.items[i], depth + 1);
            sl_gtype_merge_into(&t, branch);
            sl_gtype_free(branch);
        }
        return t ? t : sl_gtype_new(SL_G_UNKNOWN);
    }
    case SL_T_STRUCT: return avro_object(c, v, depth);
    default: return sl_gtype_new(SL_G_STRING);
    }
}

static void classify_avro(const sl_classify_input *in, const sample *s, sl_classify_result *r) {
    const unsigned char *p = (const unsigned char *)s->text;
    size_t len = s->len, pos = 4;
    const unsigned char *schema = NULL;
    size_t schema_len = 0;
    bool header_done = false;
    r->classification = SL_CLASS_AVRO;
    for (;;) {
        int64_t count, block_size;
        if (!avro_long(p, len, &pos, &count)) break;
        if (count == 0) {
            header_done = true;
            break;
        }
        if (count < 0) {
            if (count == INT64_MIN || !avro_long(p, len, &pos, &block_size)) break;
            count = -count;
        }
        bool ok = true;
        for (int64_t i = 0; i < count && ok; i++) {
            const unsigned char *k, *v;
            size_t klen, vlen;
            ok = avro_bytes(p, len, &pos, &k, &klen) && avro_bytes(p, len, &pos, &v, &vlen);
            if (ok && klen == 11 && memcmp(k, "avro.schema", 11) == 0) {
                schema = v;
                schema_len = vlen;
            }
        }
        if (!ok) break;
    }
    if (!schema) {
        set_reason(r, "avro: the writer schema is not within the sample's header");
        return;
    }
    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    sl_error e;
    sl_error_clear(&e);
    if (sl_json_parse((const char *)schema, schema_len, &a, &v, &e) != 0) {
        reset_unknown(r);
        set_reason(r, "avro: the writer schema is not valid JSON: %s", e.message);
        sl_arena_free(&a);
        return;
    }
    avro_ctx c = {NULL, 0};
    sl_gtype *t = avro_type(&c, &v, 0);
    for (size_t i = 0; i < c.n_named; i++) {
        free(c.named[i].name);
        sl_gtype_free(c.named[i].type);
    }
    free(c.named);
    sl_arena_free(&a);
    if (t->kind != SL_G_STRUCT) {
        char *text = sl_gtype_string(t);
        reset_unknown(r);
        set_reason(r, "avro: the writer schema is a %s, not a record", text);
        free(text);
        sl_gtype_free(t);
        return;
    }
    r->columns = t;
    r->schema = sl_gtype_to_schema(t);

    /* Count the records of the data blocks the sample holds:
     * count, size, data, 16-byte sync marker. */
    if (!header_done || len - pos < 16) return;
    const unsigned char *sync = p + pos;
    pos += 16;
    size_t data_start = pos;
    uint64_t records = 0;
    bool to_end = true;
    while (pos < len) {
        int64_t count, size;
        if (!avro_long(p, len, &pos, &count) || !avro_long(p, len, &pos, &size) || count < 0 || size < 0 ||
            (uint64_t)size > len - pos || len - pos - (size_t)size < 16 ||
            memcmp(p + pos + (size_t)size, sync, 16) != 0) {
            to_end = false;
            break;
        }
        records += (uint64_t)count;
        pos += (size_t)size + 16;
    }
    if (records) estimate_count(in, s, records, pos - data_start, s->whole && to_end, r);
}

/* ------------------------------------------------------------------ */
/* The classifier. */

static bool has_magic(const char *t, size_t len, const char *magic, size_t n) {
    return len >= n && memcmp(t, magic, n) == 0;
}

/* Classify by magic number: returns true when one matched (r filled). */
static bool classify_magic(const sl_classify_input *in, const sample *s, bool compressed, sl_classify_result *r,
                           int *rc, sl_error *err) {
    if (has_magic(s->text, s->len, "PAR1", 4)) {
        *rc = classify_parquet(in, s, compressed, r, err);
        return true;
    }
    if (has_magic(s->text, s->len, "Obj\x01", 4)) {
        classify_avro(in, s, r);
        return true;
    }
    if (has_magic(s->text, s->len, "ORC", 3)) {
        r->classification = SL_CLASS_ORC;
        set_reason(r, "ORC is recognised but sluice does not read ORC files; convert them to Parquet");
        return true;
    }
    return false;
}

int sl_classify(const sl_classify_input *in, const sl_classify_opts *o, sl_classify_result *out, sl_error *err) {
    sl_classify_opts defaults;
    if (!o) {
        sl_classify_opts_default(&defaults);
        o = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (in->size == 0 || (in->head_len == 0 && head_is_whole(in, o->sample_bytes))) {
        set_reason(out, "empty object");
        return 0;
    }
    sample s = {in->head, in->head_len < o->sample_bytes ? in->head_len : o->sample_bytes, false, NULL, 1.0};
    s.whole = in->head_len <= o->sample_bytes && head_is_whole(in, o->sample_bytes);
    int rc = 0;
    if (classify_magic(in, &s, false, out, &rc, err)) {
        out->whole = s.whole;
        return rc;
    }

    const char *other = sl_codec_sniff_name(in->head, in->head_len);
    if (other) {
        set_reason(out, "%s archives are not read; recompress the data with gzip, zstd or bzip2", other);
        return 0;
    }
    out->compression = sl_codec_detect(in->head, in->head_len);
    if (out->compression != SL_CODEC_NONE) {
        if (!decompress_head(in, o, out->compression, &s, out)) return 0;
        if (s.len == 0) {
            set_reason(out, "empty object (after %s decompression)", sl_codec_name(out->compression));
            goto done;
        }
        if (classify_magic(in, &s, true, out, &rc, err)) goto done;
    }
    if (looks_binary(s.text, s.len)) {
        set_reason(out, "binary data (not text, and no known magic number)");
        goto done;
    }
    size_t first = first_content(s.text, s.len);
    if (first == s.len) {
        set_reason(out, "no data (only white space)");
        goto done;
    }
    /* Text opening like JSON is JSON or nothing when it opens an object;
     * after '[' (a log line "[INFO] …" say) CSV gets its chance too. */
    char opener = s.text[first];
    if (opener == '{' || opener == '[') {
        if (classify_json(in, &s, o, out) || opener == '{') goto done;
        char json_reason[sizeof out->reason];
        memcpy(json_reason, out->reason, sizeof json_reason);
        if (!classify_csv(in, &s, o, out)) memcpy(out->reason, json_reason, sizeof json_reason);
        goto done;
    }
    classify_csv(in, &s, o, out);
done:
    out->whole = s.whole;
    free(s.owned);
    return rc;
}

static int mem_read_at(void *ud, uint64_t offset, void *buf, size_t len, sl_error *err) {
    const sl_classify_input *in = ud;
    if (offset > in->head_len || len > in->head_len - offset)
        return sl_error_set(err, SL_EIO, "read beyond the end of '%s'", in->name ? in->name : "object");
    memcpy(buf, (const char *)in->head + offset, len);
    return 0;
}

int sl_classify_bytes(const char *name, const void *data, size_t len, const sl_classify_opts *o,
                      sl_classify_result *out) {
    sl_classify_input in = {name, data, len, len, mem_read_at, NULL};
    in.ud = &in;
    return sl_classify(&in, o, out, NULL);
}

typedef struct store_src {
    sl_store *store;
    const char *url;
} store_src;

static int store_read_at(void *ud, uint64_t offset, void *buf, size_t len, sl_error *err) {
    store_src *src = ud;
    sl_store_reader *rd = NULL;
    int rc = sl_store_reader_open(src->store, src->url, offset, len, &rd, err);
    size_t have = 0;
    while (!rc && have < len) {
        size_t got = 0;
        rc = sl_store_read(rd, (char *)buf + have, len - have, &got, err);
        if (!rc && got == 0) break;
        have += got;
    }
    if (rd) sl_store_reader_close(rd);
    if (!rc && have != len)
        rc = sl_error_set(err, SL_EIO, "%s: short read (%zu of %zu bytes at offset %llu)", src->url, have, len,
                          (unsigned long long)offset);
    return rc;
}

int sl_classify_store(sl_store *store, const char *url, uint64_t size, const sl_classify_opts *o,
                      sl_classify_result *out, sl_error *err) {
    sl_classify_opts defaults;
    if (!o) {
        sl_classify_opts_default(&defaults);
        o = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (size == UINT64_MAX) {
        sl_store_entry ent = {0};
        int rc = sl_store_stat(store, url, &ent, err);
        if (rc) return rc;
        size = ent.size;
        free(ent.url);
    }
    store_src src = {store, url};
    size_t head_len = size < o->sample_bytes ? (size_t)size : o->sample_bytes;
    char *head = sl_xmalloc(head_len ? head_len : 1);
    int rc = head_len ? store_read_at(&src, 0, head, head_len, err) : 0;
    if (!rc) {
        sl_classify_input in = {url, head, head_len, size, store_read_at, &src};
        rc = sl_classify(&in, o, out, err);
    }
    free(head);
    return rc;
}

/* ------------------------------------------------------------------ */
/* DynamoDB. */

void sl_classify_ddb_begin(sl_classify_result *r) {
    memset(r, 0, sizeof *r);
    r->classification = SL_CLASS_DYNAMODB;
}

void sl_classify_ddb_observe(sl_classify_result *r, const sl_value *item) {
    sl_schema_observe(&r->schema, item);
    sl_gtype_observe(&r->columns, item, SL_GOBS_DECIMAL_AS_DOUBLE);
    r->records_sampled++;
}

static int field_cmp(const void *a, const void *b) {
    const sl_gfield *x = a, *y = b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c) return c;
    return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

/* Nested map fields by name, through arrays and maps too. */
static void sort_nested(sl_gtype *t, int depth) {
    if (!t || depth > 128) return;
    if (t->kind == SL_G_STRUCT) {
        if (t->n_fields > 1) qsort(t->fields, t->n_fields, sizeof *t->fields, field_cmp);
        for (size_t i = 0; i < t->n_fields; i++)
            sort_nested(t->fields[i].type, depth + 1);
    }
    sort_nested(t->element, depth + 1);
    sort_nested(t->key, depth + 1);
}

void sl_classify_ddb_finish(sl_classify_result *r, const char *const *key_names, size_t n_keys) {
    if (!r->columns) r->columns = sl_gtype_new(SL_G_STRUCT);
    if (!r->schema) r->schema = sl_schema_new(SL_T_STRUCT);
    sl_gtype *t = r->columns;
    if (t->kind == SL_G_STRUCT) {
        for (size_t i = 0; i < t->n_fields; i++)
            sort_nested(t->fields[i].type, 1);
        /* keys first, in the order given; the rest by name */
        size_t placed = 0;
        for (size_t k = 0; k < n_keys; k++) {
            if (!key_names[k]) continue;
            size_t klen = strlen(key_names[k]);
            for (size_t i = placed; i < t->n_fields; i++) {
                if (t->fields[i].name_len == klen && memcmp(t->fields[i].name, key_names[k], klen) == 0) {
                    sl_gfield f = t->fields[i];
                    memmove(&t->fields[placed + 1], &t->fields[placed], (i - placed) * sizeof f);
                    t->fields[placed++] = f;
                    break;
                }
            }
        }
        if (t->n_fields - placed > 1) qsort(t->fields + placed, t->n_fields - placed, sizeof *t->fields, field_cmp);
    }
    r->record_count = r->records_sampled;
    r->record_count_exact = true;
}
