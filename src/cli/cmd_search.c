/*
 * cmd_search.c — `sluice search INDEX 'QUERY'`: query an embedded search
 * index (written by a `search_index` target) and print the hits as a table
 * on a terminal or as JSON lines (the stored documents) otherwise.
 *
 * With --opensearch URL the same query runs against an OpenSearch index
 * instead: it is translated to a `bool` query (POST /INDEX/_search) using
 * the index's mapping to find each field's exact-match form.
 *
 * The query language and its meaning are in connectors/search_index.h and
 * docs/search.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "connectors/opensearch.h"
#include "connectors/search_index.h"
#include "core/fieldpath.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/json.h"

#define DEFAULT_INDEX_DIR "./data/search"
#define DEFAULT_LIMIT 20

static void usage(FILE *out) {
    fprintf(out,
            "usage: sluice search INDEX ['QUERY'...] [--from T] [--to T] [--sort S] [--limit N]\n"
            "                     [--json | --table | --count] [--index-dir DIR]\n\n"
            "Search an embedded search index (written by a job with a search_index target).\n\n"
            "QUERY (all clauses must hold; several arguments are joined with spaces):\n"
            "  word            the word, in any case and with or without accents, in a text field\n"
            "  word*           a word starting with 'word'\n"
            "  \"a phrase\"      these words next to each other\n"
            "  field:value     the field is exactly value (field:\"a b\" for spaces, field:val* for a\n"
            "                  prefix, field:* for any value); on a text field: the words in that field\n"
            "  -clause         the clause must not hold (-word, -\"a phrase\", -field:value)\n\n"
            "options:\n"
            "  --from T        only documents at or after T\n"
            "  --to T          only documents before T\n"
            "                  T: ISO 8601 (2024-11-22, 2024-11-22T18:00:00Z), epoch milliseconds,\n"
            "                  now, or an age: 90s, 15m, 1h, 7d, 2w (that long before now)\n"
            "  --sort S        -time newest first (default), time oldest first, relevance (BM25)\n"
            "  --limit N       at most N hits (default %d; 0 = all)\n"
            "  --json          print each hit's stored document as one JSON line\n"
            "                  (the default when standard output is not a terminal)\n"
            "  --table         print a table: time, exact fields, text (the default on a terminal)\n"
            "  --count         print only the number of hits\n"
            "  --index-dir DIR where index files live (default %s); INDEX may also be\n"
            "                  the path of an index file (*.db)\n\n"
            "OpenSearch (INDEX is then an OpenSearch index name or pattern):\n"
            "  --opensearch URL     search this cluster instead (translated to a bool query)\n"
            "  --user NAME          basic auth user; --password-env VAR names the variable\n"
            "                       holding the password (default OPENSEARCH_PASSWORD)\n"
            "  --auth A             none, basic or sigv4 (default: basic with --user, else none)\n"
            "  --aws-service S      sigv4 service: es (default) or aoss (Serverless)\n"
            "  --insecure           do not check TLS certificates; --ca-file F trusts F\n"
            "  --text-field F       the full-text field for words and phrases (default message)\n"
            "  --time-field F       the time field for --from/--to and sorting (default timestamp)\n"
            "  (the table shows service_name and log_level; --limit 0 means 10000 hits)\n\n"
            "exit status: 0 success (also with no hits), 1 the index is missing or cannot be read,\n"
            "2 usage error (bad option, query or field name).\n",
            DEFAULT_LIMIT, DEFAULT_INDEX_DIR);
}

typedef enum out_mode { OUT_AUTO, OUT_JSON, OUT_TABLE, OUT_COUNT } out_mode;

typedef struct search_args {
    const char *index;
    const char *index_dir;
    sl_buf query;
    const char *from, *to;
    sl_search_sort sort;
    uint64_t limit;
    out_mode mode;
    /* OpenSearch */
    const char *os_url, *os_user, *os_password_env, *os_auth, *os_service, *os_ca_file;
    bool os_insecure;
    const char *text_field, *time_field;
} search_args;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sluice search: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `sluice search --help`)\n");
    va_end(ap);
    return SL_EXIT_USAGE;
}

/* The string member an OpenSearch option sets, or NULL. */
static const char **os_option(search_args *a, const char *arg) {
    const struct {
        const char *name;
        const char **member;
    } opts[] = {
        {"--opensearch", &a->os_url},     {"--user", &a->os_user},           {"--password-env", &a->os_password_env},
        {"--auth", &a->os_auth},          {"--aws-service", &a->os_service}, {"--ca-file", &a->os_ca_file},
        {"--text-field", &a->text_field}, {"--time-field", &a->time_field},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strcmp(arg, opts[i].name)) return opts[i].member;
    return NULL;
}

static bool parse_limit(const char *s, uint64_t *out) {
    if (!*s) return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 - 9) return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, search_args *a) {
    a->index_dir = DEFAULT_INDEX_DIR;
    a->limit = DEFAULT_LIMIT;
    a->sort = SL_SEARCH_SORT_TIME_DESC;
    a->text_field = "message";
    a->time_field = "timestamp";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return SL_EXIT_OK;
        } else if (!strcmp(arg, "--json")) {
            a->mode = OUT_JSON;
        } else if (!strcmp(arg, "--table")) {
            a->mode = OUT_TABLE;
        } else if (!strcmp(arg, "--count")) {
            a->mode = OUT_COUNT;
        } else if (!strcmp(arg, "--insecure")) {
            a->os_insecure = true;
        } else if (os_option(a, arg)) {
            if (!has_value) return usage_error("%s needs a value", arg);
            *os_option(a, arg) = argv[++i];
        } else if (!strcmp(arg, "--from") || !strcmp(arg, "--to") || !strcmp(arg, "--sort") ||
                   !strcmp(arg, "--limit") || !strcmp(arg, "--index-dir")) {
            if (!has_value) return usage_error("%s needs a value", arg);
            const char *v = argv[++i];
            if (!strcmp(arg, "--from"))
                a->from = v;
            else if (!strcmp(arg, "--to"))
                a->to = v;
            else if (!strcmp(arg, "--index-dir"))
                a->index_dir = v;
            else if (!strcmp(arg, "--limit") && !parse_limit(v, &a->limit))
                return usage_error("--limit expects a number of hits, got '%s'", v);
            else if (!strcmp(arg, "--sort")) {
                if (!strcmp(v, "time") || !strcmp(v, "+time"))
                    a->sort = SL_SEARCH_SORT_TIME_ASC;
                else if (!strcmp(v, "-time"))
                    a->sort = SL_SEARCH_SORT_TIME_DESC;
                else if (!strcmp(v, "relevance"))
                    a->sort = SL_SEARCH_SORT_RELEVANCE;
                else
                    return usage_error("--sort expects time, -time or relevance, got '%s'", v);
            }
        } else if (arg[0] == '-' && arg[1] == '-') {
            return usage_error("unknown option '%s'", arg);
        } else if (!a->index) {
            a->index = arg;
        } else { /* query words; '-word' is a negated term, not an option */
            if (a->query.len) sl_buf_addc(&a->query, ' ');
            sl_buf_adds(&a->query, arg);
        }
    }
    if (!a->index) return usage_error("%s", "which index? usage: sluice search INDEX 'QUERY'");
    return -1;
}

/* ---- finding the index ---- */

static bool is_path(const char *s) {
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 3 && !strcmp(s + n - 3, ".db"));
}

static char *index_path(const search_args *a) {
    if (is_path(a->index)) return sl_xstrdup(a->index);
    size_t n = strlen(a->index_dir) + strlen(a->index) + 8;
    char *p = sl_xmalloc(n);
    snprintf(p, n, "%s/%s.db", a->index_dir, a->index);
    return p;
}

/* "a, b, c" of the *.db files in dir (NULL when none). */
static char *list_indexes(const char *dir) {
    sl_strlist files = {0};
    sl_error e;
    sl_error_clear(&e);
    char *pattern = sl_path_join(dir, "*.db");
    sl_buf names;
    sl_buf_init(&names, 0);
    if (sl_expand_path(pattern, false, &files, &e) == 0) {
        for (size_t i = 0; i < files.count; i++) {
            const char *base = strrchr(files.items[i], '/');
            base = base ? base + 1 : files.items[i];
            sl_buf_printf(&names, "%s%.*s", names.len ? ", " : "", (int)(strlen(base) - 3), base);
        }
    }
    free(pattern);
    sl_strlist_free(&files);
    if (!names.len) {
        sl_buf_free(&names);
        return NULL;
    }
    return sl_buf_detach(&names);
}

static int missing_index(const search_args *a, const char *path) {
    fprintf(stderr, "sluice search: no search index '%s' (%s does not exist)\n", a->index, path);
    if (!is_path(a->index)) {
        char *have = list_indexes(a->index_dir);
        if (have)
            fprintf(stderr, "indexes in %s: %s\n", a->index_dir, have);
        else
            fprintf(stderr, "%s holds no index yet: a job with a search_index target creates one\n", a->index_dir);
        free(have);
    }
    return SL_EXIT_FAILED;
}

/* ---- output ---- */

static int print_json(void *ud, const sl_search_hit *h) {
    fwrite(h->source, 1, h->source_len, stdout);
    fputc('\n', stdout);
    return ferror(stdout) ? SL_EIO : 0;
}

typedef struct table {
    const sl_search_layout *l;
    sl_fieldpath text;
    sl_arena arena; /* cells */
    char **cells;   /* rows × cols */
    size_t rows, cols, cap;
} table;

static void format_time(const sl_search_hit *h, char *out, size_t size) {
    if (h->has_time)
        sl_search_format_time(h->time_ms, out, size);
    else
        snprintf(out, size, "-");
}

/* Copy s into the arena with control characters (newlines, tabs) as spaces. */
static char *cell(sl_arena *a, const char *s, size_t len) {
    char *out = sl_arena_strndup(a, s ? s : "", s ? len : 0);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = ' ';
    return out;
}

static int collect_row(void *ud, const sl_search_hit *h) {
    table *t = ud;
    if (t->rows == t->cap)
        t->cells = sl_xrealloc(t->cells, (t->cap = t->cap ? t->cap * 2 : 32) * t->cols * sizeof *t->cells);
    char **row = t->cells + t->rows * t->cols;
    char when[40];
    format_time(h, when, sizeof when);
    row[0] = cell(&t->arena, when, strlen(when));
    for (size_t i = 0; i < t->l->n_keyword; i++)
        row[1 + i] = cell(&t->arena, h->keywords[i], h->keywords[i] ? strlen(h->keywords[i]) : 0);
    sl_value doc, text = sl_null();
    if (sl_json_parse(h->source, h->source_len, &t->arena, &doc, NULL) == SL_OK) {
        const sl_value *v = sl_fieldpath_get(&doc, &t->text);
        if (v && v->type != SL_T_NULL) text = v->type == SL_T_STRING ? *v : sl_value_to_text(&t->arena, v);
    }
    row[t->cols - 1] = cell(&t->arena, text.type == SL_T_STRING ? text.u.s : "", text.len);
    t->rows++;
    return 0;
}

/* Display width of UTF-8 text, counting code points. */
static size_t text_width(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

/* Print s in exactly width columns: padded, or cut with "…". */
static void put_cell(const char *s, size_t width, bool last) {
    size_t w = text_width(s);
    if (w <= width) {
        fputs(s, stdout);
        if (!last)
            for (size_t i = w; i < width; i++)
                fputc(' ', stdout);
        return;
    }
    size_t keep = width ? width - 1 : 0, seen = 0;
    const char *p = s;
    while (*p) {
        if (((unsigned char)*p & 0xC0) != 0x80) {
            if (seen == keep) break;
            seen++;
        }
        p++;
    }
    fwrite(s, 1, (size_t)(p - s), stdout);
    if (width) fputs("…", stdout);
}

static size_t terminal_width(void) {
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    const char *cols = getenv("COLUMNS");
    if (cols && atoi(cols) >= 40) return (size_t)atoi(cols);
    return 120;
}

static void upper_header(char *out, size_t size, const char *name) {
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        out[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 32) : name[i];
    out[i] = 0;
}

static void print_table(table *t, uint64_t total, const search_args *a, double ms) {
    size_t cols = t->cols, width = terminal_width();
    size_t *w = sl_xcalloc(cols, sizeof *w);
    char **head = sl_xcalloc(cols, sizeof *head);
    head[0] = sl_xstrdup("TIME");
    for (size_t c = 1; c + 1 < cols; c++) {
        char h[64];
        upper_header(h, sizeof h, t->l->keyword_fields[c - 1]);
        head[c] = sl_xstrdup(h);
    }
    char h[64];
    upper_header(h, sizeof h, t->l->text_fields[0]);
    head[cols - 1] = sl_xstrdup(h);
    size_t used = 0;
    for (size_t c = 0; c + 1 < cols; c++) {
        w[c] = text_width(head[c]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t cw = text_width(t->cells[r * cols + c]);
            if (cw > w[c]) w[c] = cw;
        }
        if (c > 0 && w[c] > 24) w[c] = 24;
        used += w[c] + 2;
    }
    /* the text keeps at least 16 columns: narrow the widest exact field first */
    while (used + 16 > width) {
        size_t widest = 0;
        for (size_t c = 1; c + 1 < cols; c++)
            if (!widest || w[c] > w[widest]) widest = c;
        if (!widest || w[widest] <= 6) break;
        w[widest]--;
        used--;
    }
    w[cols - 1] = width > used + 16 ? width - used : 16;
    for (size_t c = 0; c < cols; c++) {
        put_cell(head[c], w[c], c + 1 == cols);
        if (c + 1 < cols) fputs("  ", stdout);
    }
    fputc('\n', stdout);
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            put_cell(t->cells[r * cols + c], w[c], c + 1 == cols);
            if (c + 1 < cols) fputs("  ", stdout);
        }
        fputc('\n', stdout);
    }
    const char *order = a->sort == SL_SEARCH_SORT_TIME_ASC    ? "oldest first"
                        : a->sort == SL_SEARCH_SORT_RELEVANCE ? "best match first"
                                                              : "newest first";
    if (!total)
        printf("no hits (%.1f ms)\n", ms);
    else
        printf("\n%zu of %llu hit%s, %s (%.1f ms)\n", t->rows, (unsigned long long)total, total == 1 ? "" : "s", order,
               ms);
    for (size_t c = 0; c < cols; c++)
        free(head[c]);
    free(head);
    free(w);
}

static double elapsed_ms(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int run_table(sl_search_index *ix, const sl_search_request *req, const search_args *a, sl_error *err) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    table t = {.l = sl_search_index_layout(ix)};
    t.cols = t.l->n_keyword + 2;
    sl_arena_init(&t.arena);
    int rc = sl_fieldpath_parse(t.l->text_fields[0], &t.text, err);
    uint64_t total = 0;
    if (!rc) rc = sl_search_index_search(ix, req, collect_row, &t, err);
    if (!rc) rc = sl_search_index_count(ix, req, &total, err);
    if (!rc) print_table(&t, total, a, elapsed_ms(&t0));
    sl_fieldpath_free(&t.text);
    sl_arena_free(&t.arena);
    free(t.cells);
    return rc;
}

static int exit_for(int rc, const sl_error *err) {
    if (!rc) return SL_EXIT_OK;
    fprintf(stderr, "sluice search: %s\n", err->message);
    return rc == SL_EINVAL ? SL_EXIT_USAGE : SL_EXIT_FAILED;
}

static out_mode output_mode(const search_args *a) {
    return a->mode != OUT_AUTO ? a->mode : isatty(STDOUT_FILENO) ? OUT_TABLE : OUT_JSON;
}

static int search_local(const search_args *a, const sl_search_request *req) {
    sl_error err;
    sl_error_clear(&err);
    char *path = index_path(a);
    sl_search_index *ix = NULL;
    int rc = sl_search_index_open(path, &ix, &err);
    int status;
    if (rc == SL_ENOTFOUND) {
        status = missing_index(a, path);
    } else if (rc) {
        status = exit_for(rc == SL_EINVAL ? SL_EIO : rc, &err); /* not an index: a problem with the file */
    } else {
        out_mode mode = output_mode(a);
        if (mode == OUT_COUNT) {
            uint64_t n = 0;
            rc = sl_search_index_count(ix, req, &n, &err);
            if (!rc) printf("%llu\n", (unsigned long long)n);
        } else if (mode == OUT_JSON) {
            rc = sl_search_index_search(ix, req, print_json, NULL, &err);
            if (rc == SL_EIO && !err.message[0]) sl_error_set(&err, SL_EIO, "cannot write the results");
        } else {
            rc = run_table(ix, req, a, &err);
        }
        if (!rc && fflush(stdout) != 0) rc = sl_error_set(&err, SL_EIO, "cannot write the results");
        status = exit_for(rc, &err);
    }
    sl_search_index_close(ix);
    free(path);
    return status;
}

/* ---- OpenSearch ---- */

/* How a field of the OpenSearch index is matched exactly. */
typedef enum os_exact { OS_TERM, OS_PHRASE } os_exact;

typedef struct os_ctx {
    const search_args *a;
    sl_opensearch_conn *conn;
    sl_arena arena;
    sl_value mappings; /* GET /INDEX/_mapping answer; NULL type when unavailable */
} os_ctx;

/* Mapping of a dotted field path in any index of the answer (NULL if none). */
static const sl_value *os_field_mapping(const os_ctx *c, const char *field) {
    if (c->mappings.type != SL_T_STRUCT) return NULL;
    for (uint32_t i = 0; i < c->mappings.len; i++) {
        const sl_value *m = sl_struct_get(&c->mappings.u.fields[i].value, "mappings");
        const char *seg = field;
        while (m && m->type == SL_T_STRUCT) {
            const sl_value *props = sl_struct_get(m, "properties");
            if (!props || props->type != SL_T_STRUCT) break;
            const char *dot = strchr(seg, '.');
            size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
            const sl_field *f = sl_struct_find(props, seg, len);
            m = f ? &f->value : NULL;
            if (m && !dot) return m;
            seg = dot ? dot + 1 : seg + len;
        }
    }
    return NULL;
}

static bool str_is(const sl_value *v, const char *s) {
    return v && v->type == SL_T_STRING && v->len == strlen(s) && !memcmp(v->u.s, s, v->len);
}

/* The name to use for an exact match on field: itself (keyword, numbers,
 * dates, unmapped), its keyword sub-field (text with one, as dynamic
 * mapping makes), or a phrase match on a text field without one. */
static const char *os_exact_field(os_ctx *c, const char *field, os_exact *how) {
    *how = OS_TERM;
    const sl_value *m = os_field_mapping(c, field);
    const sl_value *type = m ? sl_struct_get(m, "type") : NULL;
    if (!str_is(type, "text") && !str_is(type, "match_only_text")) return field;
    const sl_value *subs = sl_struct_get(m, "fields");
    for (uint32_t i = 0; subs && subs->type == SL_T_STRUCT && i < subs->len; i++) {
        if (!str_is(sl_struct_get(&subs->u.fields[i].value, "type"), "keyword")) continue;
        size_t n = strlen(field) + subs->u.fields[i].name_len + 2;
        char *name = sl_arena_alloc(&c->arena, n);
        snprintf(name, n, "%s.%.*s", field, (int)subs->u.fields[i].name_len, subs->u.fields[i].name);
        return name;
    }
    *how = OS_PHRASE;
    return field;
}

static void js(sl_buf *b, const char *s) { sl_json_write_string(b, s, strlen(s)); }

/* {"match_phrase":{"F":"text"}} or match_phrase_prefix. */
static void os_phrase(sl_buf *b, const char *field, const char *text, bool prefix) {
    sl_buf_adds(b, prefix ? "{\"match_phrase_prefix\":{" : "{\"match_phrase\":{");
    js(b, field);
    sl_buf_addc(b, ':');
    js(b, text);
    sl_buf_adds(b, "}}");
}

static void os_clause(os_ctx *c, sl_buf *b, const sl_sq_clause *cl) {
    const char *text_field = c->a->text_field;
    if (cl->kind != SL_SQ_FIELD || !strcmp(cl->field, text_field)) {
        os_phrase(b, text_field, cl->text, cl->prefix);
    } else if (!strcmp(cl->field, "_id")) {
        sl_buf_adds(b, "{\"ids\":{\"values\":[");
        js(b, cl->text);
        sl_buf_adds(b, "]}}");
    } else if (cl->prefix && !cl->text[0]) {
        sl_buf_adds(b, "{\"exists\":{\"field\":");
        js(b, cl->field);
        sl_buf_adds(b, "}}");
    } else {
        os_exact how;
        const char *f = os_exact_field(c, cl->field, &how);
        if (how == OS_PHRASE) {
            os_phrase(b, f, cl->text, cl->prefix);
            return;
        }
        sl_buf_printf(b, "{\"%s\":{", cl->prefix ? "prefix" : "term");
        js(b, f);
        sl_buf_addc(b, ':');
        js(b, cl->text);
        sl_buf_adds(b, "}}");
    }
}

/* {"query":{"bool":{…}}} plus size/sort/track_total_hits unless for_count. */
static void os_request(os_ctx *c, const sl_search_request *req, bool for_count, sl_buf *b) {
    const char *time_field = c->a->time_field;
    sl_buf_adds(b, "{\"query\":{\"bool\":{");
    const char *sep = "";
    for (int negated = 0; negated <= 1; negated++) {
        size_t n = 0;
        for (size_t i = 0; i < req->query->n; i++) {
            const sl_sq_clause *cl = &req->query->clauses[i];
            if (cl->negated != (negated == 1)) continue;
            sl_buf_printf(b, n++ ? "," : "%s\"%s\":[", sep, negated ? "must_not" : "must");
            os_clause(c, b, cl);
        }
        if (n) sl_buf_addc(b, ']'), sep = ",";
    }
    if (req->has_from || req->has_to) {
        const sl_value *m = os_field_mapping(c, time_field);
        const sl_value *type = m ? sl_struct_get(m, "type") : NULL;
        bool is_date = str_is(type, "date") || str_is(type, "date_nanos");
        sl_buf_printf(b, "%s\"filter\":[{\"range\":{", sep);
        js(b, time_field);
        sl_buf_adds(b, ":{");
        if (req->has_from) sl_buf_printf(b, "\"gte\":%lld", (long long)req->from_ms);
        if (req->has_to) sl_buf_printf(b, "%s\"lt\":%lld", req->has_from ? "," : "", (long long)req->to_ms);
        if (is_date) sl_buf_adds(b, ",\"format\":\"epoch_millis\"");
        sl_buf_adds(b, "}}}]");
    }
    sl_buf_adds(b, "}}");
    if (!for_count) {
        sl_buf_printf(b, ",\"size\":%llu,\"track_total_hits\":true",
                      (unsigned long long)(req->limit && req->limit < 10000 ? req->limit : 10000));
        if (req->sort != SL_SEARCH_SORT_RELEVANCE || !req->query->n) {
            sl_buf_adds(b, ",\"sort\":[{");
            js(b, time_field);
            sl_buf_printf(b, ":{\"order\":\"%s\"}}]", req->sort == SL_SEARCH_SORT_TIME_ASC ? "asc" : "desc");
        }
    }
    sl_buf_addc(b, '}');
}

static char *value_text(sl_arena *a, const sl_value *v) {
    if (!v || v->type == SL_T_NULL) return NULL;
    sl_value t = v->type == SL_T_STRING ? *v : sl_value_to_text(a, v);
    return sl_arena_strndup(a, t.u.s, t.len);
}

/* Hand each hit of a _search answer to on_hit; *total from hits.total. */
static int os_hits(os_ctx *c, const sl_buf *answer, const sl_search_layout *l,
                   int (*on_hit)(void *, const sl_search_hit *), void *ud, uint64_t *total, sl_error *err) {
    sl_value root;
    if (sl_json_parse(answer->data ? answer->data : "", answer->len, &c->arena, &root, NULL) != SL_OK)
        return sl_error_set(err, SL_EIO, "OpenSearch answered the search with something that is not JSON");
    const sl_value *hits = sl_value_path(&root, "hits.hits", 9);
    const sl_value *tv = sl_value_path(&root, "hits.total.value", 16);
    if (!tv) tv = sl_value_path(&root, "hits.total", 10);
    *total = tv && tv->type == SL_T_INT && tv->u.i > 0 ? (uint64_t)tv->u.i : 0;
    if (!hits || hits->type != SL_T_LIST) return sl_error_set(err, SL_EIO, "OpenSearch's answer has no hits.hits");
    sl_fieldpath time_path, *kw_paths = sl_xcalloc(l->n_keyword ? l->n_keyword : 1, sizeof *kw_paths);
    int rc = sl_fieldpath_parse(l->time_field, &time_path, err);
    for (size_t k = 0; !rc && k < l->n_keyword; k++)
        rc = sl_fieldpath_parse(l->keyword_fields[k], &kw_paths[k], err);
    const char **kw = sl_xcalloc(l->n_keyword ? l->n_keyword : 1, sizeof *kw);
    sl_buf json;
    sl_buf_init(&json, 0);
    for (uint32_t i = 0; !rc && i < hits->len; i++) {
        const sl_value *src = sl_struct_get(&hits->u.items[i], "_source");
        if (!src) continue;
        sl_search_hit h = {0};
        h.id = value_text(&c->arena, sl_struct_get(&hits->u.items[i], "_id"));
        const sl_value *t = sl_fieldpath_get(src, &time_path);
        h.has_time = t && sl_search_value_time(t, &h.time_ms);
        for (size_t k = 0; k < l->n_keyword; k++)
            kw[k] = value_text(&c->arena, sl_fieldpath_get(src, &kw_paths[k]));
        h.keywords = kw;
        sl_buf_reset(&json);
        sl_json_write(&json, src);
        h.source = json.data ? json.data : "{}";
        h.source_len = json.data ? json.len : 2;
        rc = on_hit(ud, &h);
    }
    sl_buf_free(&json);
    free(kw);
    if (time_path.segs) sl_fieldpath_free(&time_path);
    for (size_t k = 0; k < l->n_keyword; k++)
        if (kw_paths[k].segs) sl_fieldpath_free(&kw_paths[k]);
    free(kw_paths);
    return rc;
}

/* GET /INDEX/_mapping (a failure only means exact fields are matched by name). */
static void os_load_mappings(os_ctx *c, const char *index) {
    sl_buf path;
    sl_buf_init(&path, 0);
    sl_buf_addc(&path, '/');
    sl_opensearch_escape(&path, index, strlen(index));
    sl_buf_adds(&path, "/_mapping");
    sl_http_response resp;
    sl_http_response_init(&resp);
    sl_error e;
    sl_error_clear(&e);
    c->mappings = sl_null();
    if (sl_opensearch_call(c->conn, "GET", path.data, NULL, NULL, 0, "reading the mapping", &resp, &e) == 0 &&
        resp.status == 200 && resp.body.data) {
        /* parsed strings point into their input: keep a copy that lives as long as the arena */
        const char *text = sl_arena_strndup(&c->arena, resp.body.data, resp.body.len);
        if (sl_json_parse(text, resp.body.len, &c->arena, &c->mappings, NULL) != SL_OK) c->mappings = sl_null();
    }
    sl_http_response_free(&resp);
    sl_buf_free(&path);
}

static int search_opensearch(const search_args *a, const sl_search_request *req) {
    sl_error err;
    sl_error_clear(&err);
    sl_opensearch_config cfg = {
        .endpoint = a->os_url,
        .auth = a->os_auth,
        .user = a->os_user,
        .password_env = a->os_password_env ? a->os_password_env
                        : a->os_user       ? "OPENSEARCH_PASSWORD"
                                           : NULL,
        .aws_service = a->os_service,
        .ca_file = a->os_ca_file,
        .insecure = a->os_insecure,
    };
    os_ctx c = {.a = a};
    sl_arena_init(&c.arena);
    int rc = sl_opensearch_conn_new(&cfg, &c.conn, &err);
    if (rc) {
        sl_arena_free(&c.arena);
        return exit_for(rc == SL_EINVAL ? SL_EINVAL : SL_EIO, &err);
    }
    os_load_mappings(&c, a->index);
    static char *const kw_default[] = {"service_name", "log_level"};
    char *text_field = (char *)a->text_field;
    sl_search_layout l = {.text_fields = &text_field,
                          .n_text = 1,
                          .keyword_fields = (char **)kw_default,
                          .n_keyword = 2,
                          .time_field = (char *)a->time_field};
    sl_buf body, answer;
    sl_buf_init(&body, 0);
    sl_buf_init(&answer, 0);
    out_mode mode = output_mode(a);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t total = 0;
    if (mode == OUT_COUNT) {
        os_request(&c, req, true, &body);
        rc = sl_opensearch_count(c.conn, a->index, body.data, &total, &err);
        if (!rc) printf("%llu\n", (unsigned long long)total);
    } else {
        os_request(&c, req, false, &body);
        rc = sl_opensearch_search(c.conn, a->index, body.data, &answer, &err);
        if (!rc && mode == OUT_JSON) {
            rc = os_hits(&c, &answer, &l, print_json, NULL, &total, &err);
        } else if (!rc) {
            table t = {.l = &l, .cols = 4};
            sl_arena_init(&t.arena);
            rc = sl_fieldpath_parse(a->text_field, &t.text, &err);
            if (!rc) rc = os_hits(&c, &answer, &l, collect_row, &t, &total, &err);
            if (!rc) print_table(&t, total, a, elapsed_ms(&t0));
            if (t.text.segs) sl_fieldpath_free(&t.text);
            sl_arena_free(&t.arena);
            free(t.cells);
        }
    }
    if (!rc && fflush(stdout) != 0) rc = sl_error_set(&err, SL_EIO, "cannot write the results");
    sl_buf_free(&body);
    sl_buf_free(&answer);
    sl_opensearch_conn_free(c.conn);
    sl_arena_free(&c.arena);
    return exit_for(rc == SL_ENOTFOUND ? SL_EIO : rc, &err);
}

/* ---- the command ---- */

static int run_search(search_args *a) {
    sl_error err;
    sl_error_clear(&err);
    sl_search_query q;
    int rc = sl_search_query_parse(a->query.data ? a->query.data : "", &q, &err);
    if (rc) {
        sl_search_query_free(&q);
        fprintf(stderr, "sluice search: query: %s\n", err.message);
        return SL_EXIT_USAGE;
    }
    sl_search_request req = {.query = &q, .sort = a->sort, .limit = a->limit};
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    int status = -1;
    if (a->from && sl_search_parse_time(a->from, now_ms, &req.from_ms))
        status =
            usage_error("--from: cannot read '%s' as a time (ISO 8601, epoch ms, now, or an age like 1h)", a->from);
    else if (a->to && sl_search_parse_time(a->to, now_ms, &req.to_ms))
        status = usage_error("--to: cannot read '%s' as a time (ISO 8601, epoch ms, now, or an age like 1h)", a->to);
    req.has_from = a->from != NULL;
    req.has_to = a->to != NULL;
    if (status < 0) status = a->os_url ? search_opensearch(a, &req) : search_local(a, &req);
    sl_search_query_free(&q);
    return status;
}

int sl_cmd_search(int argc, char **argv) {
    search_args a = {0};
    sl_buf_init(&a.query, 0);
    int status = parse_args(argc, argv, &a);
    if (status < 0) status = run_search(&a);
    sl_buf_free(&a.query);
    return status;
}
