/*
 * cmd_schema.c — `sluice schema FILE…`: infer and print the schema of data
 * files the way Glue's DynamicFrame.printSchema() shows it (choice types
 * where a field was seen with several types).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/batch.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "core/schema.h"
#include "formats/compress.h"
#include "formats/avro.h"
#include "formats/format.h"
#include "store/store.h"

typedef struct schema_args {
    sl_buf writer_schemas;   /* Avro files: their own writer schema, one line each */
    const char *format;
    int json;
    uint64_t sample; /* records per file, 0 = all */
    uint64_t bad;
    char first_bad[600];
} schema_args;

static void usage(FILE *out) {
    fprintf(out, "usage: sluice schema FILE|DIR|GLOB... [--format json|csv|dynamodb_json] [--sample N] [--json]\n\n"
                 "Infer the schema of data files and print it like Glue's printSchema().\n"
                 "  --format F   record format (default: from each file's extension)\n"
                 "  --sample N   read at most N records per file (default: all)\n"
                 "  --json       print the schema as JSON\n");
}

static int on_bad(void *ud, uint64_t line, int64_t offset, const char *reason, const char *raw, size_t raw_len) {
    schema_args *a = ud;
    if (a->bad++ == 0) snprintf(a->first_bad, sizeof a->first_bad, "line %llu: %s", (unsigned long long)line, reason);
    return 0;
}

/* Random-access formats (Parquet, Avro) are read through the store. */
static int scan_object(const sl_format *f, const sl_format_opts *fo, const char *path, schema_args *a,
                       sl_schema **schema, sl_error *err) {
    sl_store *store = NULL;
    sl_store_entry st = {0};
    void *dec = NULL;
    int rc = sl_store_open(path, NULL, &store, err);
    if (!rc) rc = sl_store_stat(store, path, &st, err);
    if (!rc) rc = f->object_open(store, path, st.size, fo, &dec, err);
    if (!rc && !strcmp(f->name, "avro")) {
        sl_buf_printf(&a->writer_schemas, "avro writer schema of %s: ", path);
        sl_avro_schema_json(dec, &a->writer_schemas);
        sl_buf_addc(&a->writer_schemas, '\n');
    }
    sl_batch b;
    sl_batch_init(&b);
    sl_decode_ctx ctx = {0};
    ctx.batch = &b;
    ctx.max_records = 4096;
    ctx.reject = on_bad;
    ctx.ud = a;
    uint64_t seen = 0;
    while (!rc && (!a->sample || seen < a->sample)) {
        sl_batch_reset(&b);
        int n = f->object_next(dec, &ctx, err);
        if (n < 0) rc = n;
        if (n <= 0) break;
        for (size_t i = 0; i < b.count && (!a->sample || seen < a->sample); i++, seen++)
            sl_schema_observe(schema, &b.records[i]);
    }
    sl_batch_free(&b);
    if (dec) f->object_close(dec);
    free(st.url);
    sl_store_free(store);
    return rc;
}

static int scan_file(const char *path, schema_args *a, sl_schema **schema, sl_error *err) {
    const sl_format *f = a->format ? sl_format_find(a->format) : sl_format_for_path(path);
    if (!f)
        return sl_error_set(err, SL_EINVAL, "%s: cannot tell the format from the name; use --format (%s)", path,
                            a->format ? sl_format_names() : sl_format_names());
    sl_format_opts fo;
    sl_format_opts_default(&fo);
    if (f->object_open) return scan_object(f, &fo, path, a, schema, err);
    void *dec = NULL;
    sl_instream *in = NULL;
    int rc = f->decoder_new(&fo, &dec, err);
    if (!rc) rc = sl_instream_open(path, 0, UINT64_MAX, &in, err);
    size_t cap = 1 << 20, len = 0;
    char *buf = sl_xmalloc(cap);
    bool eof = false;
    uint64_t seen = 0;
    sl_batch b;
    sl_batch_init(&b);
    sl_decode_ctx ctx = {0};
    ctx.batch = &b;
    ctx.max_records = 4096;
    ctx.line = 1;
    ctx.reject = on_bad;
    ctx.ud = a;
    while (!rc && (!a->sample || seen < a->sample)) {
        if (!eof) {
            if (len == cap) buf = sl_xrealloc(buf, cap *= 2);
            size_t got = 0;
            rc = sl_instream_read(in, buf + len, cap - len, &got, err);
            if (rc) break;
            eof = got == 0;
            len += got;
        }
        size_t used = 0;
        sl_batch_reset(&b);
        rc = f->decode(dec, buf, len, eof, &used, &ctx, err);
        if (rc < 0) break;
        rc = 0;
        for (size_t i = 0; i < b.count && (!a->sample || seen < a->sample); i++, seen++)
            sl_schema_observe(schema, &b.records[i]);
        sl_batch_reset(&b);
        memmove(buf, buf + used, len - used);
        len -= used;
        if (eof && (used == 0 || len == 0)) break;
    }
    if (rc && !err->file[0]) sl_error_at(err, path, err->line, 0);
    sl_batch_free(&b);
    free(buf);
    sl_instream_close(in);
    if (dec) f->decoder_free(dec);
    return rc;
}

int sl_cmd_schema(int argc, char **argv) {
    schema_args a = {0};
    sl_buf_init(&a.writer_schemas, 0);
    sl_strlist files = {0};
    sl_error err;
    sl_error_clear(&err);
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            sl_strlist_free(&files);
            return SL_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            a.json = 1;
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            a.format = argv[++i];
            if (!sl_format_find(a.format)) {
                fprintf(stderr, "sluice schema: unknown format '%s' (%s)\n", a.format, sl_format_names());
                rc = -1;
            }
        } else if (!strcmp(argv[i], "--sample") && i + 1 < argc) {
            a.sample = strtoull(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "sluice schema: unknown option '%s'\n", argv[i]);
            rc = -1;
        } else if (sl_expand_path(argv[i], true, &files, &err) != 0) {
            sl_cli_print_error(&err);
            rc = -1;
        }
    }
    if (rc || files.count == 0) {
        if (!rc) usage(stderr);
        sl_strlist_free(&files);
        return SL_EXIT_USAGE;
    }
    sl_schema *schema = NULL;
    for (size_t i = 0; i < files.count && !rc; i++) rc = scan_file(files.items[i], &a, &schema, &err);
    if (rc) {
        sl_cli_print_error(&err);
    } else {
        sl_buf out;
        sl_buf_init(&out, 0);
        if (!schema) schema = sl_schema_new(SL_T_STRUCT);
        if (a.json) {
            sl_schema_to_json(schema, &out);
            sl_buf_addc(&out, '\n');
        } else {
            sl_schema_print(schema, &out);
        }
        fputs(out.data ? out.data : "", stdout);
        if (!a.json && a.writer_schemas.len) fputs(a.writer_schemas.data, stdout);
        sl_buf_free(&out);
        if (a.bad)
            fprintf(stderr, "sluice schema: %llu records could not be read (first: %s)\n", (unsigned long long)a.bad,
                    a.first_bad);
    }
    sl_schema_free(schema);
    sl_strlist_free(&files);
    sl_buf_free(&a.writer_schemas);
    return rc ? SL_EXIT_FAILED : SL_EXIT_OK;
}
