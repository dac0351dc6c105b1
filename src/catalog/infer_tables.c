/*
 * infer_tables.c — exclusion globs, Hive partition folders and the
 * grouping of a crawl target's objects into tables (see infer_tables.h;
 * the rules with examples are in docs/crawlers.md).
 *
 * The objects become a tree of folders (keys sorted first, so the folders
 * of one prefix are contiguous and a child is always the last one created
 * or a new one). One bottom-up pass gives every folder the depth range of
 * the objects below it, whether they share one format ("compat"), their
 * merged Glue type and its sanitized top-level column names. A top-down
 * pass then decides table roots; "can this folder be one table" is
 * memoized per folder, so each folder is judged once.
 *
 * Similarity votes group the units (sub-folders or files) by their
 * column-name set first, so a folder of ten thousand files with two
 * distinct schemas costs two comparisons, not fifty million.
 */
#include "catalog/infer_tables.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define GLOB_MAX_ALTERNATIVES 1024
#define GLOB_STEP_BUDGET 200000 /* backtracking steps per match; beyond: no match */
#define MAX_SIGNATURES 1000     /* distinct schemas one folder may vote over */
#define PREFIX_MAX 64           /* Glue: a table prefix is at most 64 characters */

/* ------------------------------------------------------------------ */
/* Globs. */

/* p at '['; the byte after the bracket expression's ']', or NULL. */
static const char *bracket_end(const char *p, const char *pe) {
    const char *q = p + 1;
    if (q < pe && *q == '!') q++;
    const char *first = q;
    while (q < pe && (*q != ']' || q == first))
        q++;
    return q < pe ? q + 1 : NULL;
}

static int glob_fail(sl_error *err, const char *pattern, const char *what) {
    return sl_error_set(err, SL_EINVAL, "exclusion pattern '%s': %s", pattern, what);
}

/* Expand the first brace group of pat[0..len) (recursively the rest) into
 * g's alternatives. */
static int expand(const char *pat, size_t len, sl_glob *g, const char *orig, sl_error *err) {
    size_t i = 0, open = SIZE_MAX;
    while (i < len) {
        if (pat[i] == '\\') {
            i += 2;
        } else if (pat[i] == '[') {
            const char *e = bracket_end(pat + i, pat + len);
            if (!e) return glob_fail(err, orig, "'[' is not closed");
            i = (size_t)(e - pat);
        } else if (pat[i] == '{') {
            open = i;
            break;
        } else {
            i++;
        }
    }
    if (open == SIZE_MAX) {
        if (g->n >= GLOB_MAX_ALTERNATIVES) return glob_fail(err, orig, "more than 1024 brace alternatives");
        g->alternatives = sl_xrealloc(g->alternatives, (g->n + 1) * sizeof *g->alternatives);
        g->alternatives[g->n++] = sl_xstrndup(pat, len);
        return 0;
    }
    size_t close = open + 1;
    while (close < len && pat[close] != '}') {
        if (pat[close] == '\\') {
            close += 2;
        } else if (pat[close] == '[') {
            const char *e = bracket_end(pat + close, pat + len);
            if (!e) return glob_fail(err, orig, "'[' is not closed");
            close = (size_t)(e - pat);
        } else if (pat[close] == '{') {
            return glob_fail(err, orig, "braces cannot be nested");
        } else {
            close++;
        }
    }
    if (close >= len) return glob_fail(err, orig, "'{' is not closed");
    size_t start = open + 1;
    for (size_t k = start; k <= close;) {
        bool cut = k == close || pat[k] == ',';
        if (!cut) {
            if (pat[k] == '\\')
                k += 2;
            else if (pat[k] == '[') {
                const char *e = bracket_end(pat + k, pat + close + 1);
                k = e ? (size_t)(e - pat) : close;
            } else
                k++;
            if (k > close) k = close;
            continue;
        }
        size_t alt = k - start, suffix = len - close - 1;
        char *next = sl_xmalloc(open + alt + suffix + 1);
        memcpy(next, pat, open);
        memcpy(next + open, pat + start, alt);
        memcpy(next + open + alt, pat + close + 1, suffix);
        int rc = expand(next, open + alt + suffix, g, orig, err);
        free(next);
        if (rc) return rc;
        start = ++k;
    }
    return 0;
}

int sl_glob_compile(const char *pattern, sl_glob *g, sl_error *err) {
    memset(g, 0, sizeof *g);
    const char *p = pattern[0] == '/' ? pattern + 1 : pattern;
    int rc = expand(p, strlen(p), g, pattern, err);
    if (rc) sl_glob_free(g);
    return rc;
}

void sl_glob_free(sl_glob *g) {
    for (size_t i = 0; i < g->n; i++)
        free(g->alternatives[i]);
    free(g->alternatives);
    memset(g, 0, sizeof *g);
}

/* Match a bracket expression at *pp against ch: 1 / 0, or -1 when it is
 * not closed (then '[' is literal). Advances *pp past it. */
static int bracket_match(const char **pp, const char *pe, char ch) {
    const char *p = *pp + 1;
    bool negate = false, matched = false;
    if (p < pe && *p == '!') {
        negate = true;
        p++;
    }
    const char *first = p;
    while (p < pe && (*p != ']' || p == first)) {
        unsigned char lo = (unsigned char)*p;
        if (p + 2 < pe && p[1] == '-' && p[2] != ']') {
            unsigned char hi = (unsigned char)p[2];
            if ((unsigned char)ch >= lo && (unsigned char)ch <= hi) matched = true;
            p += 3;
        } else {
            if ((unsigned char)ch == lo) matched = true;
            p++;
        }
    }
    if (p >= pe) return -1;
    *pp = p + 1;
    if (ch == '/') return 0;
    return matched != negate;
}

static bool gmatch(const char *p, const char *pe, const char *s, const char *se, long *budget) {
    while (p < pe) {
        if (--*budget < 0) return false;
        char c = *p;
        if (c == '*') {
            bool across = p + 1 < pe && p[1] == '*';
            const char *rest = p + 1;
            while (rest < pe && *rest == '*')
                rest++;
            if (rest == pe) return across || memchr(s, '/', (size_t)(se - s)) == NULL;
            for (const char *t = s;; t++) {
                if (gmatch(rest, pe, t, se, budget)) return true;
                if (t == se || *budget < 0 || (!across && *t == '/')) return false;
            }
        }
        if (s == se) return false;
        if (c == '?') {
            if (*s == '/') return false;
            p++;
            s++;
            continue;
        }
        if (c == '[') {
            int r = bracket_match(&p, pe, *s);
            if (r == 0) return false;
            if (r > 0) {
                s++;
                continue;
            }
        } else if (c == '\\' && p + 1 < pe) {
            c = *++p;
        }
        if (*s != c) return false;
        p++;
        s++;
    }
    return s == se;
}

bool sl_glob_matches(const sl_glob *g, const char *path) {
    if (path[0] == '/') path++;
    size_t len = strlen(path);
    for (size_t i = 0; i < g->n; i++) {
        long budget = GLOB_STEP_BUDGET;
        const char *a = g->alternatives[i];
        if (gmatch(a, a + strlen(a), path, path + len, &budget)) return true;
    }
    return false;
}

bool sl_glob_match(const char *pattern, const char *path) {
    sl_glob g;
    if (sl_glob_compile(pattern, &g, NULL) != 0) return false;
    bool m = sl_glob_matches(&g, path);
    sl_glob_free(&g);
    return m;
}

/* ------------------------------------------------------------------ */
/* Hive partition folders. */

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void sl_hive_unescape(const char *s, size_t len, sl_buf *out) {
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 && (lo = hex_digit(s[i + 2])) >= 0) {
            sl_buf_addc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            sl_buf_addc(out, s[i]);
        }
    }
}

bool sl_hive_partition_dir(const char *name, size_t len, sl_buf *key, sl_buf *value) {
    const char *eq = memchr(name, '=', len);
    if (!eq || eq == name) return false;
    sl_hive_unescape(name, (size_t)(eq - name), key);
    sl_hive_unescape(eq + 1, len - (size_t)(eq - name) - 1, value);
    return true;
}

/* ------------------------------------------------------------------ */
/* Column-name sets and similarity. */

typedef struct nameset {
    char **names; /* sanitized, sorted, unique */
    size_t n;
    uint64_t hash;
} nameset;

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *sanitized(const char *name, size_t len, size_t max_len) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_glue_name(name, len, max_len, &b);
    return b.data ? sl_buf_detach(&b) : sl_xstrdup("");
}

static void nameset_of(const sl_gtype *t, nameset *ns) {
    memset(ns, 0, sizeof *ns);
    ns->hash = 14695981039346656037ull;
    if (!t || t->kind != SL_G_STRUCT || t->n_fields == 0) return;
    ns->names = sl_xmalloc(t->n_fields * sizeof *ns->names);
    for (size_t i = 0; i < t->n_fields; i++)
        ns->names[i] = sanitized(t->fields[i].name, t->fields[i].name_len, SL_GLUE_COLUMN_NAME_MAX);
    qsort(ns->names, t->n_fields, sizeof *ns->names, str_cmp);
    size_t n = 0;
    for (size_t i = 0; i < t->n_fields; i++) {
        if (n && strcmp(ns->names[n - 1], ns->names[i]) == 0) {
            free(ns->names[i]);
            continue;
        }
        ns->names[n++] = ns->names[i];
    }
    ns->n = n;
    for (size_t i = 0; i < n; i++)
        for (const char *c = ns->names[i];; c++) {
            ns->hash = (ns->hash ^ (unsigned char)*c) * 1099511628211ull;
            if (!*c) break;
        }
}

static void nameset_free(nameset *ns) {
    for (size_t i = 0; i < ns->n; i++)
        free(ns->names[i]);
    free(ns->names);
    memset(ns, 0, sizeof *ns);
}

static bool nameset_equal(const nameset *a, const nameset *b) {
    if (a->hash != b->hash || a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->names[i], b->names[i]) != 0) return false;
    return true;
}

static double nameset_similarity(const nameset *a, const nameset *b) {
    size_t smaller = a->n < b->n ? a->n : b->n;
    if (smaller == 0) return 1.0;
    size_t i = 0, j = 0, common = 0;
    while (i < a->n && j < b->n) {
        int c = strcmp(a->names[i], b->names[j]);
        if (c == 0)
            common++, i++, j++;
        else if (c < 0)
            i++;
        else
            j++;
    }
    return (double)common / (double)smaller;
}

double sl_infer_similarity(const sl_gtype *a, const sl_gtype *b) {
    nameset x, y;
    nameset_of(a, &x);
    nameset_of(b, &y);
    double s = nameset_similarity(&x, &y);
    nameset_free(&x);
    nameset_free(&y);
    return s;
}

/* ------------------------------------------------------------------ */
/* The folder tree. */

/* What must agree for objects to share a table. */
typedef struct compat {
    sl_classification classification;
    sl_codec compression;
    char delimiter;
    bool header;
} compat;

static compat compat_of(const sl_classify_result *c) {
    compat k = {c->classification, c->compression, 0, false};
    if (c->classification == SL_CLASS_CSV) {
        k.delimiter = c->delimiter;
        k.header = c->header;
    }
    return k;
}

static bool compat_eq(const compat *a, const compat *b) {
    return a->classification == b->classification && a->compression == b->compression && a->delimiter == b->delimiter &&
           a->header == b->header;
}

typedef struct node {
    char *name; /* folder segment */
    char *path; /* relative prefix with its trailing '/', "" at the root */
    struct node **kids;
    size_t n_kids, cap_kids;
    size_t *files; /* indexes into ctx.keys */
    size_t n_files, cap_files;
    int min_depth, max_depth; /* of the objects below (0: directly here); max -1: none */
    bool mixed;               /* objects below differ in compat */
    compat key;
    sl_gtype *merged; /* merged columns of everything below */
    nameset names;
    int tableable; /* -1 not judged yet */
} node;

typedef struct kept {
    const char *key; /* without a leading '/' */
    const sl_infer_object *obj;
} kept;

typedef struct ctx {
    const sl_infer_opts *o;
    const char *target_name;
    kept *keys;
    size_t n_keys;
    sl_infer_result *out;
    size_t cap_tables, cap_skipped;
} ctx;

static node *node_new(const char *name, size_t name_len, const char *parent_path) {
    node *nd = sl_xcalloc(1, sizeof *nd);
    nd->name = sl_xstrndup(name, name_len);
    size_t plen = strlen(parent_path);
    nd->path = sl_xmalloc(plen + name_len + 2);
    memcpy(nd->path, parent_path, plen);
    memcpy(nd->path + plen, name, name_len);
    if (name_len || plen) {
        nd->path[plen + name_len] = '/';
        nd->path[plen + name_len + 1] = '\0';
    } else {
        nd->path[0] = '\0';
    }
    nd->tableable = -1;
    return nd;
}

static void node_free(node *nd) {
    for (size_t i = 0; i < nd->n_kids; i++)
        node_free(nd->kids[i]);
    free(nd->kids);
    free(nd->files);
    free(nd->name);
    free(nd->path);
    sl_gtype_free(nd->merged);
    nameset_free(&nd->names);
    free(nd);
}

static void node_add_file(node *nd, size_t idx) {
    if (nd->n_files == nd->cap_files) {
        nd->cap_files = nd->cap_files ? nd->cap_files * 2 : 8;
        nd->files = sl_xrealloc(nd->files, nd->cap_files * sizeof *nd->files);
    }
    nd->files[nd->n_files++] = idx;
}

/* The child named seg: the last one if it matches (keys are sorted), else new. */
static node *node_child(node *nd, const char *seg, size_t len) {
    if (nd->n_kids) {
        node *last = nd->kids[nd->n_kids - 1];
        if (strlen(last->name) == len && memcmp(last->name, seg, len) == 0) return last;
    }
    if (nd->n_kids == nd->cap_kids) {
        nd->cap_kids = nd->cap_kids ? nd->cap_kids * 2 : 8;
        nd->kids = sl_xrealloc(nd->kids, nd->cap_kids * sizeof *nd->kids);
    }
    node *kid = node_new(seg, len, nd->path);
    nd->kids[nd->n_kids++] = kid;
    return kid;
}

static void summarize(const ctx *c, node *nd) {
    nd->min_depth = INT_MAX;
    nd->max_depth = -1;
    bool have = false;
    for (size_t i = 0; i < nd->n_files; i++) {
        const sl_classify_result *cls = c->keys[nd->files[i]].obj->cls;
        compat k = compat_of(cls);
        if (!have)
            nd->key = k, have = true;
        else if (!compat_eq(&k, &nd->key))
            nd->mixed = true;
        nd->min_depth = 0;
        nd->max_depth = 0;
        sl_gtype_merge_into(&nd->merged, cls->columns);
    }
    for (size_t i = 0; i < nd->n_kids; i++) {
        node *kid = nd->kids[i];
        summarize(c, kid);
        if (kid->max_depth < 0) continue;
        if (kid->mixed) nd->mixed = true;
        if (!have)
            nd->key = kid->key, have = true;
        else if (!compat_eq(&kid->key, &nd->key))
            nd->mixed = true;
        if (kid->min_depth + 1 < nd->min_depth) nd->min_depth = kid->min_depth + 1;
        if (kid->max_depth + 1 > nd->max_depth) nd->max_depth = kid->max_depth + 1;
        sl_gtype_merge_into(&nd->merged, kid->merged);
    }
    nameset_of(nd->merged, &nd->names);
}

/* ------------------------------------------------------------------ */
/* Votes. */

/* Does a strict majority of the units fit? Unit i fits when ok[i] (its own
 * content forms a table) and its names are similar to those of at least
 * half of the other units. */
static bool majority_fits(const ctx *c, const nameset *const *sets, const bool *ok, size_t n) {
    if (n == 0) return false;
    size_t fits = 0;
    if (c->o->combine_compatible || n == 1) {
        for (size_t i = 0; i < n; i++)
            fits += ok[i];
        return 2 * fits > n;
    }
    size_t *sig = sl_xmalloc(n * sizeof *sig);    /* unit → signature */
    size_t *rep = sl_xmalloc(n * sizeof *rep);    /* signature → a unit holding it */
    size_t *count = sl_xcalloc(n, sizeof *count); /* signature → units */
    size_t n_sig = 0;
    bool diverse = false;
    for (size_t i = 0; i < n && !diverse; i++) {
        size_t k = 0;
        while (k < n_sig && !nameset_equal(sets[rep[k]], sets[i]))
            k++;
        if (k == n_sig) {
            if (n_sig == MAX_SIGNATURES) diverse = true;
            rep[n_sig++] = i;
        }
        sig[i] = k;
        count[k]++;
    }
    if (!diverse) {
        /* similar[a * n_sig + b] */
        unsigned char *similar = sl_xmalloc(n_sig * n_sig);
        for (size_t a = 0; a < n_sig; a++)
            for (size_t b = a; b < n_sig; b++)
                similar[a * n_sig + b] = similar[b * n_sig + a] =
                    nameset_similarity(sets[rep[a]], sets[rep[b]]) >= c->o->similarity;
        size_t *peers = sl_xcalloc(n_sig, sizeof *peers); /* units similar to a signature, itself included */
        for (size_t a = 0; a < n_sig; a++)
            for (size_t b = 0; b < n_sig; b++)
                if (similar[a * n_sig + b]) peers[a] += count[b];
        for (size_t i = 0; i < n; i++)
            if (ok[i] && 2 * (peers[sig[i]] - 1) >= n - 1) fits++;
        free(peers);
        free(similar);
    }
    free(sig);
    free(rep);
    free(count);
    return 2 * fits > n;
}

/* Do these files (all directly in one folder) form one table? */
static bool files_fit(const ctx *c, const size_t *files, size_t n) {
    compat k0 = compat_of(c->keys[files[0]].obj->cls);
    for (size_t i = 1; i < n; i++) {
        compat k = compat_of(c->keys[files[i]].obj->cls);
        if (!compat_eq(&k, &k0)) return false;
    }
    nameset *sets = sl_xmalloc(n * sizeof *sets);
    const nameset **ptrs = sl_xmalloc(n * sizeof *ptrs);
    bool *ok = sl_xmalloc(n * sizeof *ok);
    for (size_t i = 0; i < n; i++) {
        nameset_of(c->keys[files[i]].obj->cls->columns, &sets[i]);
        ptrs[i] = &sets[i];
        ok[i] = true;
    }
    bool fit = majority_fits(c, ptrs, ok, n);
    for (size_t i = 0; i < n; i++)
        nameset_free(&sets[i]);
    free(sets);
    free(ptrs);
    free(ok);
    return fit;
}

static bool tableable(const ctx *c, node *nd) {
    if (nd->tableable >= 0) return nd->tableable;
    bool fit = nd->max_depth >= 0 && nd->min_depth == nd->max_depth && !nd->mixed;
    if (fit && nd->max_depth == 0) {
        fit = files_fit(c, nd->files, nd->n_files);
    } else if (fit) {
        const nameset **sets = sl_xmalloc(nd->n_kids * sizeof *sets);
        bool *ok = sl_xmalloc(nd->n_kids * sizeof *ok);
        size_t n = 0;
        for (size_t i = 0; i < nd->n_kids; i++) {
            if (nd->kids[i]->max_depth < 0) continue;
            sets[n] = &nd->kids[i]->names;
            ok[n++] = tableable(c, nd->kids[i]);
        }
        fit = majority_fits(c, sets, ok, n);
        free(sets);
        free(ok);
    }
    nd->tableable = fit;
    return fit;
}

/* ------------------------------------------------------------------ */
/* Output. */

static bool name_taken(const sl_infer_result *r, const char *name) {
    for (size_t i = 0; i < r->n_tables; i++)
        if (strcmp(r->tables[i].name, name) == 0) return true;
    return false;
}

static uint32_t fnv32(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Prefix + sanitized name, at most 128 bytes; a name already used gets
 * "_" and 8 hex digits of its location's hash (Glue adds a hash too). */
static char *table_name(const ctx *c, const char *raw, const char *location) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    if (c->o->table_prefix) sl_glue_name(c->o->table_prefix, strlen(c->o->table_prefix), PREFIX_MAX, &b);
    size_t room = SL_GLUE_TABLE_NAME_MAX - b.len;
    size_t before = b.len;
    if (raw && *raw) sl_glue_name(raw, strlen(raw), room, &b);
    if (b.len == before) sl_buf_adds(&b, "table");
    if (!name_taken(c->out, b.data)) return sl_buf_detach(&b);
    if (b.len > SL_GLUE_TABLE_NAME_MAX - 9) b.len = SL_GLUE_TABLE_NAME_MAX - 9;
    b.data[b.len] = '\0';
    sl_buf_printf(&b, "_%08x", fnv32(location));
    size_t base = b.len;
    for (unsigned k = 2; name_taken(c->out, b.data); k++) {
        b.len = base;
        sl_buf_printf(&b, "_%u", k);
    }
    return sl_buf_detach(&b);
}

static void columns_push(sl_infer_columns *cols, char *name, const char *source, size_t source_len, char *type) {
    cols->items = sl_xrealloc(cols->items, (cols->count + 1) * sizeof *cols->items);
    sl_infer_column *col = &cols->items[cols->count++];
    col->name = name;
    col->source_name = sl_xstrndup(source, source_len);
    col->type = type;
}

static bool in_list(char *const *list, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

static bool column_taken(const sl_infer_columns *cols, const char *name) {
    for (size_t i = 0; i < cols->count; i++)
        if (strcmp(cols->items[i].name, name) == 0) return true;
    return false;
}

/* The table's columns from its merged type: sanitized unique names; a
 * column named like a partition key is left out (the key wins). */
static void table_columns(const sl_gtype *merged, char *const *keys, size_t n_keys, sl_infer_columns *out) {
    if (!merged || merged->kind != SL_G_STRUCT) return;
    for (size_t i = 0; i < merged->n_fields; i++) {
        const sl_gfield *f = &merged->fields[i];
        char *name = sanitized(f->name, f->name_len, SL_GLUE_COLUMN_NAME_MAX);
        if (!*name) {
            free(name);
            name = sl_xmalloc(32);
            snprintf(name, 32, "col%zu", i);
        }
        if (in_list(keys, n_keys, name)) {
            free(name);
            continue;
        }
        if (column_taken(out, name)) {
            size_t len = strlen(name);
            char *longer = sl_xmalloc(len + 24);
            for (unsigned k = 1;; k++) {
                snprintf(longer, len + 24, "%s_%u", name, k);
                if (!column_taken(out, longer)) break;
            }
            free(name);
            name = longer;
        }
        columns_push(out, name, f->name, f->name_len, sl_gtype_string(f->type));
    }
}

/* A partition's columns, named as the table's (matched by source name). */
static void partition_columns(const sl_gtype *merged, const sl_infer_columns *table, sl_infer_columns *out) {
    if (!merged || merged->kind != SL_G_STRUCT) return;
    for (size_t i = 0; i < merged->n_fields; i++) {
        const sl_gfield *f = &merged->fields[i];
        for (size_t k = 0; k < table->count; k++) {
            const sl_infer_column *tc = &table->items[k];
            if (strlen(tc->source_name) == f->name_len && memcmp(tc->source_name, f->name, f->name_len) == 0) {
                columns_push(out, sl_xstrdup(tc->name), f->name, f->name_len, sl_gtype_string(f->type));
                break;
            }
        }
    }
}

/* Segment `level` of rel ("a/b/c.json": 0 → "a"); its length. */
static size_t segment(const char *rel, int level, const char **start) {
    const char *p = rel;
    for (int i = 0; i < level; i++) {
        const char *slash = strchr(p, '/');
        p = slash ? slash + 1 : p + strlen(p);
    }
    const char *slash = strchr(p, '/');
    *start = p;
    return slash ? (size_t)(slash - p) : strlen(p);
}

/* Partition key names: a level whose folders are all "k=v" with one k is
 * named k (sanitized), other levels partition_<level>. */
static char **partition_keys(const ctx *c, const size_t *files, size_t n, size_t base_len, int depth, bool *named) {
    char **keys = sl_xcalloc((size_t)depth, sizeof *keys);
    sl_buf k, v, first;
    sl_buf_init(&k, SL_BUF_UNLIMITED);
    sl_buf_init(&v, SL_BUF_UNLIMITED);
    sl_buf_init(&first, SL_BUF_UNLIMITED);
    for (int level = 0; level < depth; level++) {
        bool hive = true;
        sl_buf_reset(&first);
        for (size_t i = 0; i < n && hive; i++) {
            const char *seg;
            size_t len = segment(c->keys[files[i]].key + base_len, level, &seg);
            sl_buf_reset(&k);
            sl_buf_reset(&v);
            hive = sl_hive_partition_dir(seg, len, &k, &v);
            if (!hive) break;
            if (i == 0)
                sl_buf_add(&first, k.data, k.len);
            else
                hive = k.len == first.len && memcmp(k.data, first.data, k.len) == 0;
        }
        char *name = hive ? sanitized(first.data, first.len, SL_GLUE_COLUMN_NAME_MAX) : NULL;
        if (name && (!*name || in_list(keys, (size_t)level, name))) {
            free(name);
            name = NULL;
        }
        if (!name) {
            name = sl_xmalloc(32);
            snprintf(name, 32, "partition_%d", level);
        }
        keys[level] = name;
        named[level] = hive;
    }
    sl_buf_free(&k);
    sl_buf_free(&v);
    sl_buf_free(&first);
    return keys;
}

static sl_infer_table *new_table(ctx *c) {
    sl_infer_result *r = c->out;
    if (r->n_tables == c->cap_tables) {
        c->cap_tables = c->cap_tables ? c->cap_tables * 2 : 8;
        r->tables = sl_xrealloc(r->tables, c->cap_tables * sizeof *r->tables);
    }
    sl_infer_table *t = &r->tables[r->n_tables];
    memset(t, 0, sizeof *t);
    return t;
}

static void add_stats(const sl_infer_object *obj, uint64_t *objects, uint64_t *bytes, uint64_t *records) {
    (*objects)++;
    *bytes += obj->size;
    *records += obj->cls->record_count;
}

/* Emit one table over files[0..n) (in key order), all `depth` folders
 * below the prefix of length base_len. */
static void emit_table(ctx *c, const char *raw_name, const char *location, const size_t *files, size_t n,
                       size_t base_len, int depth) {
    char *name = table_name(c, raw_name, location);
    sl_infer_table *t = new_table(c);
    t->name = name;
    t->location = sl_xstrdup(location);
    const sl_classify_result *first = c->keys[files[0]].obj->cls;
    t->classification = first->classification;
    t->compression = first->compression;
    t->delimiter = first->delimiter;
    t->quote = first->quote;
    t->header = first->header;
    uint64_t sampled_records = 0, sampled_bytes = 0;
    sl_gtype *merged = NULL;
    for (size_t i = 0; i < n; i++) {
        const sl_infer_object *obj = c->keys[files[i]].obj;
        if (obj->cls->quoted) t->quoted = true;
        if (obj->cls->json_layout > t->json_layout) t->json_layout = obj->cls->json_layout;
        sampled_records += obj->cls->records_sampled;
        sampled_bytes += obj->cls->bytes_sampled;
        sl_gtype_merge_into(&merged, obj->cls->columns);
        add_stats(obj, &t->objects, &t->bytes, &t->records);
    }
    t->avg_record_size = sampled_records ? (sampled_bytes + sampled_records / 2) / sampled_records : 0;

    bool *named = sl_xcalloc((size_t)depth + 1, sizeof *named);
    if (depth > 0) {
        t->partition_keys = partition_keys(c, files, n, base_len, depth, named);
        t->n_partition_keys = (size_t)depth;
    }
    table_columns(merged, t->partition_keys, t->n_partition_keys, &t->columns);
    sl_gtype_free(merged);

    sl_buf v;
    sl_buf_init(&v, SL_BUF_UNLIMITED);
    size_t cap = 0;
    for (size_t i = 0; depth > 0 && i < n;) {
        /* files[i..j) share their partition folders */
        const char *rel = c->keys[files[i]].key + base_len;
        const char *last;
        size_t last_len = segment(rel, depth - 1, &last);
        size_t prefix = (size_t)(last - rel) + last_len + 1; /* through the '/' after the last folder */
        size_t j = i + 1;
        while (j < n && strncmp(c->keys[files[j]].key + base_len, rel, prefix) == 0)
            j++;
        if (t->n_partitions == cap) {
            cap = cap ? cap * 2 : 8;
            t->partitions = sl_xrealloc(t->partitions, cap * sizeof *t->partitions);
        }
        sl_infer_partition *p = &t->partitions[t->n_partitions++];
        memset(p, 0, sizeof *p);
        p->n_values = (size_t)depth;
        p->values = sl_xcalloc((size_t)depth, sizeof *p->values);
        for (int level = 0; level < depth; level++) {
            const char *seg;
            size_t len = segment(rel, level, &seg);
            sl_buf_reset(&v);
            sl_buf key;
            sl_buf_init(&key, SL_BUF_UNLIMITED);
            if (!(named[level] && sl_hive_partition_dir(seg, len, &key, &v))) {
                sl_buf_reset(&v);
                sl_buf_add(&v, seg, len);
            }
            sl_buf_free(&key);
            p->values[level] = v.data ? sl_xstrndup(v.data, v.len) : sl_xstrdup("");
        }
        size_t loc_len = base_len + prefix;
        p->location = sl_xstrndup(c->keys[files[i]].key, loc_len);
        sl_gtype *pm = NULL;
        for (size_t k = i; k < j; k++) {
            const sl_infer_object *obj = c->keys[files[k]].obj;
            sl_gtype_merge_into(&pm, obj->cls->columns);
            add_stats(obj, &p->objects, &p->bytes, &p->records);
        }
        partition_columns(pm, &t->columns, &p->columns);
        sl_gtype_free(pm);
        i = j;
    }
    sl_buf_free(&v);
    free(named);
    c->out->n_tables++;
}

static void collect_files(const node *nd, size_t **files, size_t *n, size_t *cap) {
    for (size_t i = 0; i < nd->n_files; i++) {
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *files = sl_xrealloc(*files, *cap * sizeof **files);
        }
        (*files)[(*n)++] = nd->files[i];
    }
    for (size_t i = 0; i < nd->n_kids; i++)
        collect_files(nd->kids[i], files, n, cap);
}

static const char *node_table_name(const ctx *c, const node *nd, bool is_root) {
    return is_root ? c->target_name : nd->name;
}

static void decide(ctx *c, node *nd, bool is_root) {
    if (nd->max_depth < 0) return;
    if (tableable(c, nd)) {
        size_t *files = NULL, n = 0, cap = 0;
        collect_files(nd, &files, &n, &cap);
        emit_table(c, node_table_name(c, nd, is_root), nd->path, files, n, strlen(nd->path), nd->min_depth);
        free(files);
        return;
    }
    if (nd->n_files) {
        if (files_fit(c, nd->files, nd->n_files)) {
            emit_table(c, node_table_name(c, nd, is_root), nd->path, nd->files, nd->n_files, strlen(nd->path), 0);
        } else {
            for (size_t i = 0; i < nd->n_files; i++) {
                const char *key = c->keys[nd->files[i]].key;
                const char *base = strrchr(key, '/');
                emit_table(c, base ? base + 1 : key, key, &nd->files[i], 1, strlen(nd->path), 0);
            }
        }
    }
    for (size_t i = 0; i < nd->n_kids; i++)
        decide(c, nd->kids[i], false);
}

/* ------------------------------------------------------------------ */
/* Entry point. */

void sl_infer_opts_default(sl_infer_opts *o) {
    memset(o, 0, sizeof *o);
    o->similarity = SL_INFER_SIMILARITY;
}

static void skip(ctx *c, const char *key, const char *fmt, const char *arg) {
    sl_infer_result *r = c->out;
    if (r->n_skipped == c->cap_skipped) {
        c->cap_skipped = c->cap_skipped ? c->cap_skipped * 2 : 16;
        r->skipped = sl_xrealloc(r->skipped, c->cap_skipped * sizeof *r->skipped);
    }
    sl_infer_skipped *s = &r->skipped[r->n_skipped++];
    s->key = sl_xstrdup(key);
    char buf[512];
    snprintf(buf, sizeof buf, fmt, arg ? arg : "");
    s->reason = sl_xstrdup(buf);
}

static bool hidden(const char *key) {
    for (const char *p = key; *p;) {
        if (*p == '_' || *p == '.') return true;
        const char *slash = strchr(p, '/');
        if (!slash) break;
        p = slash + 1;
    }
    return false;
}

static bool folder_marker(const char *key) {
    size_t len = strlen(key);
    return len == 0 || key[len - 1] == '/' || (len >= 9 && strcmp(key + len - 9, "_$folder$") == 0);
}

static int kept_cmp(const void *a, const void *b) { return strcmp(((const kept *)a)->key, ((const kept *)b)->key); }

static int table_cmp(const void *a, const void *b) {
    return strcmp(((const sl_infer_table *)a)->location, ((const sl_infer_table *)b)->location);
}

int sl_infer_tables(const char *target_name, const sl_infer_object *objs, size_t n, const sl_infer_opts *o,
                    sl_infer_result *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    sl_infer_opts defaults;
    if (!o) {
        sl_infer_opts_default(&defaults);
        o = &defaults;
    }
    sl_glob *globs = o->n_exclude ? sl_xcalloc(o->n_exclude, sizeof *globs) : NULL;
    for (size_t i = 0; i < o->n_exclude; i++) {
        int rc = sl_glob_compile(o->exclude[i], &globs[i], err);
        if (rc) {
            for (size_t k = 0; k < i; k++)
                sl_glob_free(&globs[k]);
            free(globs);
            return rc;
        }
    }
    ctx c = {o, target_name && *target_name ? target_name : "table", NULL, 0, out, 0, 0};
    kept *all = sl_xmalloc((n ? n : 1) * sizeof *all);
    for (size_t i = 0; i < n; i++) {
        all[i].key = objs[i].key[0] == '/' ? objs[i].key + 1 : objs[i].key;
        all[i].obj = &objs[i];
    }
    qsort(all, n, sizeof *all, kept_cmp);
    c.keys = sl_xmalloc((n ? n : 1) * sizeof *c.keys);
    for (size_t i = 0; i < n; i++) {
        const kept *k = &all[i];
        const sl_classify_result *cls = k->obj->cls;
        size_t g = 0;
        while (g < o->n_exclude && !sl_glob_matches(&globs[g], k->key))
            g++;
        if (g < o->n_exclude)
            skip(&c, k->key, "excluded by pattern '%s'", o->exclude[g]);
        else if (folder_marker(k->key))
            skip(&c, k->key, "folder marker", NULL);
        else if (hidden(k->key))
            skip(&c, k->key, "hidden: a path segment starts with '_' or '.'", NULL);
        else if (!cls)
            skip(&c, k->key, "not classified", NULL);
        else if (cls->classification == SL_CLASS_UNKNOWN)
            skip(&c, k->key, "UNKNOWN: %s", cls->reason);
        else if (!sl_classification_readable(cls->classification))
            skip(&c, k->key, "%s", *cls->reason ? cls->reason : sl_classification_name(cls->classification));
        else
            c.keys[c.n_keys++] = *k;
    }
    free(all);
    for (size_t i = 0; i < o->n_exclude; i++)
        sl_glob_free(&globs[i]);
    free(globs);

    node *root = node_new("", 0, "");
    for (size_t i = 0; i < c.n_keys; i++) {
        node *nd = root;
        const char *p = c.keys[i].key;
        for (const char *slash; (slash = strchr(p, '/')) != NULL; p = slash + 1)
            nd = node_child(nd, p, (size_t)(slash - p));
        node_add_file(nd, i);
    }
    summarize(&c, root);
    decide(&c, root, true);
    node_free(root);
    free(c.keys);
    if (out->n_tables > 1) qsort(out->tables, out->n_tables, sizeof *out->tables, table_cmp);
    return 0;
}

static void columns_free(sl_infer_columns *cols) {
    for (size_t i = 0; i < cols->count; i++) {
        free(cols->items[i].name);
        free(cols->items[i].source_name);
        free(cols->items[i].type);
    }
    free(cols->items);
}

void sl_infer_result_free(sl_infer_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_tables; i++) {
        sl_infer_table *t = &r->tables[i];
        free(t->name);
        free(t->location);
        columns_free(&t->columns);
        for (size_t k = 0; k < t->n_partition_keys; k++)
            free(t->partition_keys[k]);
        free(t->partition_keys);
        for (size_t k = 0; k < t->n_partitions; k++) {
            sl_infer_partition *p = &t->partitions[k];
            for (size_t v = 0; v < p->n_values; v++)
                free(p->values[v]);
            free(p->values);
            free(p->location);
            columns_free(&p->columns);
        }
        free(t->partitions);
    }
    free(r->tables);
    for (size_t i = 0; i < r->n_skipped; i++) {
        free(r->skipped[i].key);
        free(r->skipped[i].reason);
    }
    free(r->skipped);
    memset(r, 0, sizeof *r);
}
