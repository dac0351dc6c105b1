/*
 * crawler_scan.c — reading a crawler's targets (crawler_int.h):
 *
 *   path targets   list every object under the folder / s3:// prefix,
 *                  classify the objects in parallel from their first bytes
 *                  (one ranged GET per object on S3, plus the footer for
 *                  Parquet), group them into tables (infer_tables.h) and
 *                  turn each into a catalog table with its partitions,
 *                  with the parameters Glue's crawlers write;
 *   DynamoDB       DescribeTable, then the first Scan page (1 MB) or every
 *                  page (scan_all) within scan_rate of the provisioned
 *                  read capacity, and the inference of classify.h.
 *
 * S3 is read through the S3 client directly rather than the object store,
 * so that each object costs exactly one request (the store's reader starts
 * with a HEAD) and every request is counted for the crawl's report.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aws/awscall.h"
#include "aws/credentials.h"
#include "aws/dynamodb.h"
#include "aws/s3.h"
#include "catalog/classify.h"
#include "catalog/crawler_int.h"
#include "catalog/gluetype.h"
#include "catalog/infer_tables.h"
#include "core/arena.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/ddbjson.h"
#include "formats/json.h"
#include "store/store.h"

/* ================================================================== */
/* Objects of a path target                                            */
/* ================================================================== */

typedef struct objsrc {
    crawl_run *run;
    sl_store *store; /* local */
    sl_s3 *s3;       /* s3:// */
    char *bucket;
    size_t url_prefix_len; /* strlen("s3://bucket/") */
    char region[64];       /* s3: as resolved, for the tables' parameters */
    char endpoint[512];    /* s3: "" = AWS's */
} objsrc;

typedef struct object {
    char *url;
    const char *key; /* relative to the target root (points into url) */
    uint64_t size;
    size_t folder_len;       /* bytes of key up to and including the last '/' */
    bool classify;           /* to be read */
    sl_classify_result *cls; /* owned when classify, else borrowed or NULL */
    bool borrowed;
    const char *skip_reason; /* static text, when not classified on purpose */
} object;

/* Read exactly len bytes at offset of the object at url. */
static int src_read(objsrc *s, const char *url, uint64_t offset, void *buf, size_t len, sl_error *err);

typedef struct read_ctx {
    objsrc *src;
    const char *url;
} read_ctx;

static int read_at_cb(void *ud, uint64_t offset, void *buf, size_t len, sl_error *err) {
    read_ctx *c = ud;
    return src_read(c->src, c->url, offset, buf, len, err);
}

typedef struct sink {
    char *buf;
    size_t len, cap;
} sink;

static int sink_data(void *ud, const void *data, size_t len) {
    sink *s = ud;
    if (len > s->cap - s->len) return SL_EIO; /* more than asked for */
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return SL_OK;
}

static int src_read(objsrc *s, const char *url, uint64_t offset, void *buf, size_t len, sl_error *err) {
    atomic_fetch_add(&s->run->get_requests, 1);
    if (s->s3) {
        sink k = {buf, 0, len};
        int rc = sl_s3_get(s->s3, s->bucket, url + s->url_prefix_len, offset, len, sink_data, &k, err);
        if (rc == SL_OK && k.len != len)
            rc = sl_error_set(err, SL_EIO, "%s: short read (%zu of %zu bytes at offset %llu)", url, k.len, len,
                              (unsigned long long)offset);
        return rc;
    }
    sl_store_reader *rd = NULL;
    int rc = sl_store_reader_open(s->store, url, offset, len, &rd, err);
    size_t have = 0;
    while (!rc && have < len) {
        size_t got = 0;
        rc = sl_store_read(rd, (char *)buf + have, len - have, &got, err);
        if (!rc && got == 0) break;
        have += got;
    }
    sl_store_reader_close(rd);
    if (!rc && have != len)
        rc = sl_error_set(err, SL_ENOTFOUND, "%s: short read (%zu of %zu bytes at offset %llu): the object changed",
                          url, have, len, (unsigned long long)offset);
    return rc;
}

/* ---- parallel classification ---- */

typedef struct pool {
    crawl_run *run;
    objsrc *src;
    object *objs;
    size_t *todo; /* indices into objs */
    size_t n_todo;
    _Atomic size_t next;
    _Atomic int stop;
    _Atomic size_t finished; /* threads done */
    pthread_mutex_t lock;
    pthread_cond_t done;
    int rc;
    sl_error err;
    sl_classify_opts copts;
} pool;

static void classify_one(pool *p, object *o) {
    size_t head_len = o->size < p->copts.sample_bytes ? (size_t)o->size : p->copts.sample_bytes;
    char *head = sl_xmalloc(head_len ? head_len : 1);
    sl_error err;
    sl_error_clear(&err);
    int rc = head_len ? src_read(p->src, o->url, 0, head, head_len, &err) : SL_OK;
    o->cls = sl_xcalloc(1, sizeof *o->cls);
    if (!rc) {
        read_ctx rc_ud = {p->src, o->url};
        sl_classify_input in = {o->url, head, head_len, o->size, read_at_cb, &rc_ud};
        rc = sl_classify(&in, &p->copts, o->cls, &err);
    }
    free(head);
    if (rc == SL_ENOTFOUND) {
        /* gone between the listing and the read: skipped, not a failure */
        sl_classify_result_free(o->cls);
        free(o->cls);
        o->cls = NULL;
        o->skip_reason = "the object disappeared during the crawl";
        return;
    }
    if (rc) {
        pthread_mutex_lock(&p->lock);
        if (!p->rc) {
            p->rc = rc;
            p->err = err;
        }
        pthread_mutex_unlock(&p->lock);
        atomic_store(&p->stop, 1);
        return;
    }
    atomic_fetch_add(&p->run->classified, 1);
}

static void *pool_worker(void *arg) {
    pool *p = arg;
    for (;;) {
        if (atomic_load(&p->stop) || crawl_cancelled(p->run)) break;
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n_todo) break;
        classify_one(p, &p->objs[p->todo[i]]);
    }
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->finished, 1);
    pthread_cond_signal(&p->done);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int classify_all(crawl_run *r, objsrc *src, object *objs, size_t n, sl_error *err) {
    pool p = {.run = r, .src = src, .objs = objs};
    p.todo = sl_xmalloc((n ? n : 1) * sizeof *p.todo);
    for (size_t i = 0; i < n; i++)
        if (objs[i].classify) p.todo[p.n_todo++] = i;
    atomic_fetch_add(&r->to_classify, p.n_todo);
    sl_classify_opts_default(&p.copts);
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.done, NULL);
    sl_error_clear(&p.err);
    size_t n_threads = (size_t)(src->s3 ? r->remote_threads : r->threads);
    if (n_threads > p.n_todo) n_threads = p.n_todo;
    pthread_t *th = sl_xcalloc(n_threads ? n_threads : 1, sizeof *th);
    size_t started = 0;
    for (; started < n_threads; started++)
        if (pthread_create(&th[started], NULL, pool_worker, &p) != 0) break;
    if (started == 0 && p.n_todo) { /* no thread at all: do it here */
        for (size_t i = 0; i < p.n_todo && !p.rc && !crawl_cancelled(r); i++)
            classify_one(&p, &objs[p.todo[i]]);
    }
    crawl_progress(r, SL_CRAWL_CLASSIFYING, true);
    pthread_mutex_lock(&p.lock);
    while (atomic_load(&p.finished) < started) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p.done, &p.lock, &ts);
        pthread_mutex_unlock(&p.lock);
        crawl_progress(r, SL_CRAWL_CLASSIFYING, false);
        pthread_mutex_lock(&p.lock);
    }
    pthread_mutex_unlock(&p.lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    free(p.todo);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.done);
    crawl_progress(r, SL_CRAWL_CLASSIFYING, true);
    if (p.rc && err) *err = p.err;
    if (!p.rc && crawl_cancelled(r)) return crawl_stopped_error(err);
    return p.rc;
}

/* ---- listing ---- */

typedef struct target_root {
    bool s3;
    char *url;         /* folder URL ending in '/': "s3://b/p/" or "/abs/dir/" */
    char *bucket;      /* s3 */
    char *prefix;      /* s3: the key prefix ("" or ending in '/') */
    char *single;      /* the target is this one object (its name in url), else NULL */
    bool key_was_file; /* s3: the path did not end in '/' (it may name one object) */
    char *name;        /* Glue's name for a table rooted at the target: the last folder, or the bucket */
} target_root;

static void root_free(target_root *t) {
    free(t->url);
    free(t->bucket);
    free(t->prefix);
    free(t->single);
    free(t->name);
}

static char *last_segment(const char *s) {
    size_t end = strlen(s);
    while (end > 0 && s[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && s[start - 1] != '/')
        start--;
    return sl_xstrndup(s + start, end - start);
}

static int resolve_root(const sl_crawl_target *t, target_root *out, sl_error *err) {
    memset(out, 0, sizeof *out);
    if (sl_store_is_remote(t->path)) {
        if (strncmp(t->path, "s3://", 5) != 0)
            return sl_error_set(err, SL_EINVAL, "target '%.200s': only local folders and s3:// can be crawled",
                                t->path);
        char *key = NULL;
        int rc = sl_s3_parse_url(t->path, &out->bucket, &key, err);
        if (rc) return rc;
        size_t n = strlen(key);
        out->prefix = sl_xmalloc(n + 2);
        memcpy(out->prefix, key, n);
        if (n && key[n - 1] != '/') {
            out->prefix[n++] = '/';
            out->key_was_file = true;
        }
        out->prefix[n] = 0;
        free(key);
        out->s3 = true;
        size_t len = strlen(out->bucket) + strlen(out->prefix) + 7;
        out->url = sl_xmalloc(len);
        snprintf(out->url, len, "s3://%s/%s", out->bucket, out->prefix);
        out->name = out->prefix[0] ? last_segment(out->prefix) : sl_xstrdup(out->bucket);
        return SL_OK;
    }
    const char *path = strncmp(t->path, "file://", 7) == 0 ? t->path + 7 : t->path;
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        return sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "target '%.200s': %s", t->path,
                            strerror(errno));
    struct stat st;
    if (stat(abs, &st) != 0) return sl_error_set(err, SL_EIO, "target '%.200s': %s", t->path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        char *slash = strrchr(abs, '/');
        out->single = sl_xstrdup(slash + 1);
        slash[1] = 0;
    } else if (strcmp(abs, "/") != 0) {
        strcat(abs, "/");
    }
    out->url = sl_xstrdup(abs);
    out->name = last_segment(abs);
    return SL_OK;
}

static void add_object(object **objs, size_t *n, size_t *cap, char *url, size_t root_len, uint64_t size) {
    if (*n == *cap) *objs = sl_xrealloc(*objs, (*cap = *cap ? *cap * 2 : 256) * sizeof **objs);
    object *o = &(*objs)[(*n)++];
    memset(o, 0, sizeof *o);
    o->url = url;
    o->key = url + root_len;
    o->size = size;
    const char *slash = strrchr(o->key, '/');
    o->folder_len = slash ? (size_t)(slash - o->key) + 1 : 0;
}

/* An S3 path with nothing below it that names one object: the target is
 * that object, in its parent folder (one HEAD request). */
static int s3_single_object(crawl_run *r, target_root *root, objsrc *src, object **objs, size_t *n, size_t *cap,
                            sl_error *err) {
    size_t plen = strlen(root->prefix);
    if (!root->key_was_file || plen < 2) return SL_OK;
    char *key = sl_xstrndup(root->prefix, plen - 1); /* without the '/' added */
    sl_s3_object o;
    atomic_fetch_add(&r->get_requests, 1);
    int rc = sl_s3_head(src->s3, root->bucket, key, &o, err);
    if (rc == SL_ENOTFOUND) {
        sl_error_clear(err);
        free(key);
        return SL_OK;
    }
    if (!rc) {
        char *slash = strrchr(key, '/');
        size_t parent = slash ? (size_t)(slash - key) + 1 : 0;
        root->prefix[parent] = 0;
        free(root->url);
        size_t len = strlen(root->bucket) + parent + 7;
        root->url = sl_xmalloc(len);
        snprintf(root->url, len, "s3://%s/%s", root->bucket, root->prefix);
        free(root->name);
        root->name = parent ? last_segment(root->prefix) : sl_xstrdup(root->bucket);
        size_t ulen = strlen(root->url) + strlen(key + parent) + 1;
        char *url = sl_xmalloc(ulen);
        snprintf(url, ulen, "%s%s", root->url, key + parent);
        add_object(objs, n, cap, url, strlen(root->url), o.size);
        root->single = sl_xstrdup(key + parent);
        sl_s3_object_free(&o);
    }
    free(key);
    return rc;
}

static int list_target(crawl_run *r, target_root *root, objsrc *src, object **objs, size_t *n, sl_error *err) {
    size_t cap = 0, root_len = strlen(root->url);
    *objs = NULL;
    *n = 0;
    if (root->s3) {
        sl_s3_listing l = {0};
        int rc = sl_s3_list(src->s3, root->bucket, root->prefix, NULL, 0, &l, err);
        atomic_fetch_add(&r->list_requests, (uint64_t)(l.pages > 0 ? l.pages : 1));
        if (rc == SL_ENOTFOUND)
            sl_error_set(err, rc, "target '%.200s': bucket '%.100s' does not exist", root->url, root->bucket);
        if (!rc && l.count == 0) rc = s3_single_object(r, root, src, objs, n, &cap, err);
        for (size_t i = 0; !rc && i < l.count; i++) {
            size_t plen = strlen(root->prefix);
            if (strncmp(l.objects[i].key, root->prefix, plen) != 0 || !l.objects[i].key[plen]) continue;
            size_t len = root_len + strlen(l.objects[i].key) - plen + 1;
            char *url = sl_xmalloc(len);
            snprintf(url, len, "%s%s", root->url, l.objects[i].key + plen);
            add_object(objs, n, &cap, url, root_len, l.objects[i].size);
        }
        sl_s3_listing_free(&l);
        atomic_fetch_add(&r->listed, *n);
        return rc;
    }
    sl_store_list l = {0};
    char *what = root->single ? sl_path_join(root->url, root->single) : sl_xstrdup(root->url);
    int rc = sl_store_list_objects(src->store, what, true, &l, err);
    atomic_fetch_add(&r->list_requests, 1);
    free(what);
    if (rc == SL_ENOTFOUND) { /* an empty folder */
        sl_error_clear(err);
        rc = SL_OK;
    }
    for (size_t i = 0; !rc && i < l.count; i++) {
        if (strncmp(l.items[i].url, root->url, root_len) != 0 || !l.items[i].url[root_len]) continue;
        add_object(objs, n, &cap, l.items[i].url, root_len, l.items[i].size);
        l.items[i].url = NULL;
    }
    sl_store_list_free(&l);
    atomic_fetch_add(&r->listed, *n);
    return rc;
}

static int cmp_key(const void *a, const void *b) { return strcmp(((const object *)a)->key, ((const object *)b)->key); }

/* ---- which objects to read ---- */

static bool folder_marker(const char *key) {
    size_t n = strlen(key);
    return (n && key[n - 1] == '/') || (n >= 9 && !strcmp(key + n - 9, "_$folder$"));
}

static bool hidden_segment(const char *key) {
    for (const char *s = key; *s;) {
        if (*s == '_' || *s == '.') return true;
        const char *slash = strchr(s, '/');
        if (!slash) break;
        s = slash + 1;
    }
    return false;
}

static int cmp_by_folder(const void *a, const void *b, void *ud) {
    const object *objs = ud;
    const object *x = &objs[*(const size_t *)a], *y = &objs[*(const size_t *)b];
    size_t n = x->folder_len < y->folder_len ? x->folder_len : y->folder_len;
    int c = memcmp(x->key, y->key, n);
    if (c) return c;
    if (x->folder_len != y->folder_len) return x->folder_len < y->folder_len ? -1 : 1;
    return strcmp(x->key, y->key);
}

/* Decide which objects are read: not excluded, not hidden, not a folder
 * marker, not in a folder crawled before (new folders only), and at most
 * sample_size per folder. Returns the folders that hold objects to read. */
static void choose(crawl_run *r, const target_root *root, const sl_crawl_target *t, object *objs, size_t n,
                   const sl_glob *globs, size_t n_globs) {
    int64_t sample = t->sample_size > 0 ? t->sample_size : t->sample_size < 0 ? 0 : r->def->sample_size;
    bool incremental = r->def->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY;
    sl_buf folder;
    sl_buf_init(&folder, SL_BUF_UNLIMITED);
    for (size_t i = 0; i < n; i++) {
        object *o = &objs[i];
        if (folder_marker(o->key) || hidden_segment(o->key)) continue; /* infer_tables says why */
        bool excluded = false;
        for (size_t j = 0; j < n_globs && !excluded; j++)
            excluded = sl_glob_matches(&globs[j], o->key);
        if (excluded) continue;
        if (incremental) {
            sl_buf_reset(&folder);
            sl_buf_adds(&folder, root->url);
            sl_buf_add(&folder, o->key, o->folder_len);
            if (crawl_folder_known(r, folder.data)) {
                o->skip_reason = "in a folder crawled before (recrawl CRAWL_NEW_FOLDERS_ONLY)";
                continue;
            }
        }
        o->classify = true;
    }
    sl_buf_free(&folder);
    if (sample <= 0) return;
    /* per folder: the first `sample` objects (by name) are read; the others
     * are taken to be like the first one read */
    size_t *idx = sl_xmalloc((n ? n : 1) * sizeof *idx), m = 0;
    for (size_t i = 0; i < n; i++)
        if (objs[i].classify) idx[m++] = i;
    if (m > 1) qsort_r(idx, m, sizeof *idx, cmp_by_folder, objs);
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        const object *first = &objs[idx[i]];
        while (j < m && objs[idx[j]].folder_len == first->folder_len &&
               memcmp(objs[idx[j]].key, first->key, first->folder_len) == 0)
            j++;
        for (size_t k = i + (size_t)sample; k < j; k++) {
            objs[idx[k]].classify = false;
            objs[idx[k]].borrowed = true;
            objs[idx[k]].cls = (sl_classify_result *)(uintptr_t)idx[i]; /* resolved after classification */
        }
        i = j;
    }
    free(idx);
}

/* Objects not sampled take the classification of their folder's first one. */
static void resolve_borrowed(object *objs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!objs[i].borrowed) continue;
        size_t from = (size_t)(uintptr_t)objs[i].cls;
        objs[i].cls = objs[from].cls;
        if (!objs[i].cls) objs[i].borrowed = false;
    }
}

/* Folders whose objects were read this time: remembered for
 * CRAWL_NEW_FOLDERS_ONLY. */
static void note_new_folders(crawl_run *r, const target_root *root, const object *objs, size_t n) {
    sl_buf folder;
    sl_buf_init(&folder, SL_BUF_UNLIMITED);
    const char *prev = NULL;
    size_t prev_len = 0;
    for (size_t i = 0; i < n; i++) {
        const object *o = &objs[i];
        if (!o->cls || o->borrowed || !o->classify) continue;
        if (prev && prev_len == o->folder_len && memcmp(prev, o->key, prev_len) == 0) continue;
        sl_buf_reset(&folder);
        sl_buf_adds(&folder, root->url);
        sl_buf_add(&folder, o->key, o->folder_len);
        /* a folder may come back after its sub-folders' keys: duplicates are
         * dropped when the folders are remembered */
        if (r->n_new_folders == r->cap_new_folders) {
            r->cap_new_folders = r->cap_new_folders ? r->cap_new_folders * 2 : 64;
            r->new_folders = sl_xrealloc(r->new_folders, r->cap_new_folders * sizeof *r->new_folders);
        }
        r->new_folders[r->n_new_folders++] = sl_xstrdup(folder.data);
        prev = o->key;
        prev_len = o->folder_len;
    }
    sl_buf_free(&folder);
}

/* ================================================================== */
/* Proposed tables → catalog tables                                    */
/* ================================================================== */

static void set_u64(sl_catalog_params *p, const char *key, uint64_t v) {
    char num[32];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    sl_catalog_params_set(p, key, num);
}

/* The parameters Glue's crawlers write on a file table or partition. */
static void file_params(sl_catalog_params *p, const sl_infer_table *t, uint64_t records, uint64_t objects,
                        uint64_t bytes, const char *crawler) {
    if (crawler) sl_catalog_params_set(p, "UPDATED_BY_CRAWLER", crawler);
    sl_catalog_params_set(p, "CrawlerSchemaSerializerVersion", "1.0");
    sl_catalog_params_set(p, "CrawlerSchemaDeserializerVersion", "1.0");
    sl_catalog_params_set(p, "classification", sl_classification_name(t->classification));
    sl_catalog_params_set(p, "compressionType", sl_codec_name(t->compression));
    sl_catalog_params_set(p, "typeOfData", "file");
    set_u64(p, "recordCount", records);
    set_u64(p, "averageRecordSize", t->avg_record_size);
    set_u64(p, "objectCount", objects);
    set_u64(p, "sizeKey", bytes);
    if (t->classification == SL_CLASS_CSV) {
        char delim[2] = {t->delimiter ? t->delimiter : ',', 0};
        sl_catalog_params_set(p, "delimiter", delim);
        sl_catalog_params_set(p, "columnsOrdered", "true");
        sl_catalog_params_set(p, "areColumnsQuoted", t->quoted ? "true" : "false");
        if (t->header) sl_catalog_params_set(p, "skip.header.line.count", "1");
    }
    if (t->classification == SL_CLASS_JSON && t->json_layout != SL_JSON_NDJSON)
        sl_catalog_params_set(p, "sluice.json_layout", sl_json_layout_name(t->json_layout));
}

static void copy_params(sl_catalog_params *dst, const sl_catalog_params *src) {
    for (size_t i = 0; i < src->count; i++)
        sl_catalog_params_set(dst, src->items[i].key, src->items[i].value);
}

static void storage_for(sl_catalog_storage *sd, const sl_infer_table *t, const char *location) {
    sd->location = sl_xstrdup(location);
    char delim[2] = {t->delimiter ? t->delimiter : ',', 0};
    sl_catalog_storage_set_format(sd, sl_classification_name(t->classification), delim, t->quoted);
    sd->compressed = t->compression != SL_CODEC_NONE;
    sd->number_of_buckets = -1;
}

static char *join_url(const char *root, const char *rel) {
    size_t len = strlen(root) + strlen(rel) + 1;
    char *s = sl_xmalloc(len);
    snprintf(s, len, "%s%s", root, rel);
    return s;
}

/* Columns seen with different types in different partitions. */
static char *conflicts_of(const sl_infer_table *t) {
    if (t->n_partitions < 2) return NULL;
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    size_t found = 0;
    const char **types = sl_xcalloc(t->n_partitions, sizeof *types);
    for (size_t c = 0; c < t->columns.count; c++) {
        const sl_infer_column *col = &t->columns.items[c];
        size_t n_types = 0;
        for (size_t p = 0; p < t->n_partitions; p++) {
            const sl_infer_columns *pc = &t->partitions[p].columns;
            for (size_t k = 0; k < pc->count; k++) {
                if (strcmp(pc->items[k].name, col->name) != 0) continue;
                bool seen = false;
                for (size_t x = 0; x < n_types && !seen; x++)
                    seen = !strcmp(types[x], pc->items[k].type);
                if (!seen) types[n_types++] = pc->items[k].type;
                break;
            }
        }
        if (n_types < 2) continue;
        sl_buf_adds(&b, found++ ? "," : "[");
        sl_buf_adds(&b, "{\"Column\":");
        sl_json_write_string(&b, col->name, strlen(col->name));
        sl_buf_adds(&b, ",\"Types\":[");
        for (size_t x = 0; x < n_types; x++) {
            if (x) sl_buf_addc(&b, ',');
            sl_json_write_string(&b, types[x], strlen(types[x]));
        }
        sl_buf_adds(&b, "],\"Chosen\":");
        sl_json_write_string(&b, col->type, strlen(col->type));
        sl_buf_addc(&b, '}');
    }
    free(types);
    if (!found) {
        sl_buf_free(&b);
        return NULL;
    }
    sl_buf_addc(&b, ']');
    return sl_buf_detach(&b);
}

static void propose_file_table(crawl_run *r, const target_root *root, const objsrc *src, const sl_infer_table *t) {
    crawl_proposal *p = crawl_add_proposal(r);
    sl_catalog_table *ct = &p->table;
    ct->database = sl_xstrdup(r->def->database);
    ct->name = sl_xstrdup(t->name);
    ct->table_type = sl_xstrdup("EXTERNAL_TABLE");
    /* a target naming one object: the table is that object */
    char *location = join_url(root->url, !t->location[0] && root->single ? root->single : t->location);
    file_params(&ct->parameters, t, t->records, t->objects, t->bytes, r->def->name);
    if (src->s3) {
        /* how a job reading the table through the catalog reaches the store */
        sl_catalog_params_set(&ct->parameters, "sluice.region", src->region);
        if (src->endpoint[0]) sl_catalog_params_set(&ct->parameters, "sluice.endpoint", src->endpoint);
    }
    storage_for(&ct->sd, t, location);
    copy_params(&ct->sd.parameters, &ct->parameters);
    for (size_t i = 0; i < t->columns.count; i++)
        sl_catalog_columns_add(&ct->sd.columns, t->columns.items[i].name, t->columns.items[i].type, NULL);
    for (size_t i = 0; i < t->n_partition_keys; i++)
        sl_catalog_columns_add(&ct->partition_keys, t->partition_keys[i], "string", NULL);
    p->root = sl_xstrdup(root->url);
    p->conflicts_json = conflicts_of(t);
    if (t->n_partitions) p->parts = sl_xcalloc(t->n_partitions, sizeof *p->parts);
    for (size_t i = 0; i < t->n_partitions; i++) {
        const sl_infer_partition *ip = &t->partitions[i];
        sl_catalog_partition *cp = &p->parts[p->n_parts++];
        cp->database = sl_xstrdup(r->def->database);
        cp->table = sl_xstrdup(t->name);
        sl_catalog_partition_set_values(cp, (const char *const *)ip->values, ip->n_values);
        char *ploc = join_url(root->url, ip->location);
        storage_for(&cp->sd, t, ploc);
        free(ploc);
        for (size_t k = 0; k < ip->columns.count; k++)
            sl_catalog_columns_add(&cp->sd.columns, ip->columns.items[k].name, ip->columns.items[k].type, NULL);
        file_params(&cp->parameters, t, ip->records, ip->objects, ip->bytes, NULL);
        copy_params(&cp->sd.parameters, &cp->parameters);
    }
    free(location);
}

/* ================================================================== */
/* Path targets                                                        */
/* ================================================================== */

static int open_source(crawl_run *r, const sl_crawl_target *t, const target_root *root, objsrc *src, sl_error *err) {
    memset(src, 0, sizeof *src);
    src->run = r;
    if (!root->s3) return sl_store_open(root->url, NULL, &src->store, err);
    sl_aws_overrides ov = {.profile = t->profile, .region = t->region, .endpoint = t->endpoint};
    sl_aws_config cfg;
    int rc = sl_aws_config_load("s3", &ov, &cfg, err);
    if (rc) return rc;
    snprintf(src->region, sizeof src->region, "%s", cfg.region);
    snprintf(src->endpoint, sizeof src->endpoint, "%s", cfg.endpoint);
    sl_s3_options so = {0};
    rc = sl_s3_new(&cfg, &so, &src->s3, err);
    memset(&cfg.creds, 0, sizeof cfg.creds);
    if (rc) return rc;
    src->bucket = sl_xstrdup(root->bucket);
    src->url_prefix_len = strlen(root->bucket) + 6;
    return SL_OK;
}

static void close_source(objsrc *src) {
    if (src->store) sl_store_free(src->store);
    if (src->s3) sl_s3_free(src->s3);
    free(src->bucket);
}

int crawl_scan_path(crawl_run *r, const sl_crawl_target *t, sl_error *err) {
    target_root root;
    int rc = resolve_root(t, &root, err);
    if (rc) return rc;
    r->target = t->path;
    objsrc src;
    object *objs = NULL;
    size_t n = 0;
    sl_glob *globs = sl_xcalloc(t->n_exclusions ? t->n_exclusions : 1, sizeof *globs);
    size_t n_globs = 0;
    sl_infer_object *in = NULL;
    sl_infer_result res = {0};
    rc = open_source(r, t, &root, &src, err);
    if (rc) goto out;
    crawl_progress(r, SL_CRAWL_LISTING, true);
    rc = list_target(r, &root, &src, &objs, &n, err);
    if (rc) goto out;
    if (n > 1) qsort(objs, n, sizeof *objs, cmp_key);
    for (; n_globs < t->n_exclusions; n_globs++)
        if ((rc = sl_glob_compile(t->exclusions[n_globs], &globs[n_globs], err))) goto out;
    choose(r, &root, t, objs, n, globs, n_globs);
    rc = classify_all(r, &src, objs, n, err);
    if (rc) goto out;
    resolve_borrowed(objs, n);
    if (r->def->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY) note_new_folders(r, &root, objs, n);

    in = sl_xcalloc(n ? n : 1, sizeof *in);
    for (size_t i = 0; i < n; i++)
        in[i] = (sl_infer_object){objs[i].key, objs[i].size, objs[i].cls};
    sl_infer_opts io;
    sl_infer_opts_default(&io);
    io.combine_compatible = r->def->combine_compatible_schemas;
    io.table_prefix = r->def->table_prefix;
    io.exclude = (const char *const *)t->exclusions;
    io.n_exclude = t->n_exclusions;
    rc = sl_infer_tables(root.name, in, n, &io, &res, err);
    if (rc) goto out;
    for (size_t i = 0; i < res.n_skipped; i++) {
        const char *key = res.skipped[i].key;
        const char *reason = res.skipped[i].reason;
        /* a more precise reason we know ourselves */
        object probe = {.key = key};
        const object *o = n ? bsearch(&probe, objs, n, sizeof *objs, cmp_key) : NULL;
        if (o && o->skip_reason) reason = o->skip_reason;
        char *url = join_url(root.url, key);
        crawl_skip(r, url, reason);
        free(url);
    }
    for (size_t i = 0; i < res.n_tables; i++)
        propose_file_table(r, &root, &src, &res.tables[i]);
out:
    sl_infer_result_free(&res);
    free(in);
    for (size_t i = 0; i < n; i++) {
        if (objs[i].cls && !objs[i].borrowed) {
            sl_classify_result_free(objs[i].cls);
            free(objs[i].cls);
        }
        free(objs[i].url);
    }
    free(objs);
    for (size_t i = 0; i < n_globs; i++)
        sl_glob_free(&globs[i]);
    free(globs);
    close_source(&src);
    root_free(&root);
    return rc;
}

/* ================================================================== */
/* DynamoDB targets                                                    */
/* ================================================================== */

#define DDB_CONTENT_TYPE "application/x-amz-json-1.0"

/* DescribeTable, keeping the TableArn that sl_ddb_table does not hold. */
static int describe_with_arn(crawl_run *r, sl_ddb *c, const sl_aws_config *cfg, const char *table, sl_ddb_table *out,
                             char **arn, sl_error *err) {
    *arn = NULL;
    sl_buf body;
    sl_buf_init(&body, SL_BUF_UNLIMITED);
    sl_buf_adds(&body, "{\"TableName\":");
    sl_json_write_string(&body, table, strlen(table));
    sl_buf_addc(&body, '}');
    sl_aws_ctx ctx;
    sl_aws_ctx_init(&ctx, sl_ddb_http(c), &cfg->creds, cfg->region, "dynamodb");
    sl_http_header headers[] = {{"Content-Type", DDB_CONTENT_TYPE},
                                {"X-Amz-Target", "DynamoDB_20120810.DescribeTable"}};
    char what[320];
    snprintf(what, sizeof what, "DescribeTable %.256s", table);
    sl_aws_request req = {
        .http = {.method = "POST",
                 .url = sl_ddb_endpoint(c),
                 .headers = headers,
                 .n_headers = 2,
                 .body = body.data,
                 .body_len = body.len},
        .what = what,
    };
    sl_http_response resp;
    sl_http_response_init(&resp);
    atomic_fetch_add(&r->ddb_requests, 1);
    int rc = sl_aws_call(&ctx, &req, &resp, err);
    if (rc == SL_ENOTFOUND)
        sl_error_set(err, rc, "DynamoDB table '%.200s' does not exist (endpoint %.200s, region %.60s)", table,
                     sl_ddb_endpoint(c), cfg->region);
    if (!rc) rc = sl_ddb_table_response(resp.body.data ? resp.body.data : "", resp.body.len, out, err);
    if (!rc) {
        sl_arena a;
        sl_arena_init(&a);
        sl_value root;
        if (sl_json_parse(resp.body.data, resp.body.len, &a, &root, NULL) == SL_OK) {
            const sl_value *v = sl_value_path(&root, "Table.TableArn", strlen("Table.TableArn"));
            if (v && v->type == SL_T_STRING) *arn = sl_xstrndup(v->u.s, v->len);
        }
        sl_arena_free(&a);
    }
    sl_http_response_free(&resp);
    sl_buf_free(&body);
    return rc;
}

static void sleep_seconds(double s) {
    if (s <= 0) return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Unique sanitized column names for the top-level attributes. */
static void ddb_columns(const sl_gtype *st, sl_catalog_columns *out) {
    sl_buf name, type;
    sl_buf_init(&name, SL_BUF_UNLIMITED);
    sl_buf_init(&type, SL_BUF_UNLIMITED);
    for (size_t i = 0; st && st->kind == SL_G_STRUCT && i < st->n_fields; i++) {
        sl_buf_reset(&name);
        sl_glue_name(st->fields[i].name, st->fields[i].name_len, SL_GLUE_COLUMN_NAME_MAX - 8, &name);
        if (!name.len) sl_buf_adds(&name, "_");
        size_t base = name.len;
        for (unsigned k = 2; sl_catalog_columns_find(out, name.data) >= 0; k++) {
            name.len = base;
            sl_buf_printf(&name, "_%u", k);
        }
        sl_buf_reset(&type);
        sl_gtype_format(st->fields[i].type, &type);
        sl_catalog_columns_add(out, name.data, type.data ? type.data : "string", NULL);
    }
    sl_buf_free(&name);
    sl_buf_free(&type);
}

int crawl_scan_dynamodb(crawl_run *r, const sl_crawl_target *t, sl_error *err) {
    r->target = t->path;
    crawl_progress(r, SL_CRAWL_SCANNING, true);
    sl_aws_overrides ov = {.profile = t->profile, .region = t->region, .endpoint = t->endpoint};
    sl_aws_config cfg;
    int rc = sl_aws_config_load("dynamodb", &ov, &cfg, err);
    if (rc) return rc;
    sl_ddb *c = NULL;
    sl_ddb_table info;
    memset(&info, 0, sizeof info);
    char *arn = NULL;
    sl_classify_result cls;
    sl_classify_ddb_begin(&cls);
    sl_arena arena;
    sl_arena_init(&arena);
    rc = sl_ddb_new(&cfg, &c, err);
    if (!rc) rc = describe_with_arn(r, c, &cfg, t->path, &info, &arn, err);
    /* Glue's scanRate: a share of the provisioned read capacity; on-demand
     * tables have none to share, so they are read without a limit. */
    double rate =
        info.on_demand || info.read_capacity <= 0 ? 0 : (t->scan_rate > 0 ? t->scan_rate : 0.5) * info.read_capacity;
    char *start_key = NULL;
    uint64_t items = 0, failed_items = 0;
    while (!rc) {
        sl_ddb_scan_params sp = {.table = t->path, .start_key = start_key};
        char *body = NULL;
        size_t body_len = 0;
        sl_ddb_page page;
        atomic_fetch_add(&r->ddb_requests, 1);
        rc = sl_ddb_scan(c, &sp, &arena, &body, &body_len, &page, err);
        if (rc) break;
        for (size_t i = 0; i < page.count; i++) {
            sl_value rec;
            if (sl_ddb_item_to_record(&arena, &page.items[i], &rec, NULL) != SL_OK) {
                failed_items++;
                continue;
            }
            sl_classify_ddb_observe(&cls, &rec);
            items++;
        }
        atomic_fetch_add(&r->items, page.count);
        free(body);
        sl_arena_reset(&arena);
        free(start_key);
        start_key = page.last_key;
        crawl_progress(r, SL_CRAWL_SCANNING, false);
        if (!start_key || !t->scan_all) break;
        if (crawl_cancelled(r)) {
            rc = crawl_stopped_error(err);
            break;
        }
        if (rate > 0) sleep_seconds(page.consumed / rate);
    }
    free(start_key);
    if (!rc) {
        const char *keys[2] = {info.hash_key.name[0] ? info.hash_key.name : NULL,
                               info.range_key.name[0] ? info.range_key.name : NULL};
        sl_classify_ddb_finish(&cls, keys, 2);
        crawl_proposal *p = crawl_add_proposal(r);
        sl_catalog_table *ct = &p->table;
        ct->database = sl_xstrdup(r->def->database);
        sl_buf name;
        sl_buf_init(&name, SL_BUF_UNLIMITED);
        if (r->def->table_prefix) sl_glue_name(r->def->table_prefix, strlen(r->def->table_prefix), 64, &name);
        sl_glue_name(info.name, strlen(info.name), SL_GLUE_TABLE_NAME_MAX - name.len, &name);
        ct->name = sl_buf_detach(&name);
        ct->table_type = sl_xstrdup("EXTERNAL_TABLE");
        sl_catalog_params *pp = &ct->parameters;
        sl_catalog_params_set(pp, "UPDATED_BY_CRAWLER", r->def->name);
        sl_catalog_params_set(pp, "CrawlerSchemaSerializerVersion", "1.0");
        sl_catalog_params_set(pp, "CrawlerSchemaDeserializerVersion", "1.0");
        sl_catalog_params_set(pp, "classification", "dynamodb");
        sl_catalog_params_set(pp, "typeOfData", "table");
        uint64_t count = t->scan_all && !failed_items ? items : (uint64_t)(info.item_count > 0 ? info.item_count : 0);
        if (count < items) count = items;
        set_u64(pp, "recordCount", count);
        set_u64(pp, "sizeKey", (uint64_t)(info.size_bytes > 0 ? info.size_bytes : 0));
        set_u64(pp, "averageRecordSize",
                info.item_count > 0 && info.size_bytes > 0 ? (uint64_t)(info.size_bytes / info.item_count) : 0);
        if (info.hash_key.name[0]) sl_catalog_params_set(pp, "hashKey", info.hash_key.name);
        if (info.range_key.name[0]) sl_catalog_params_set(pp, "rangeKey", info.range_key.name);
        /* how a job reading the table through the catalog reaches it */
        sl_catalog_params_set(pp, "sluice.region", cfg.region);
        if (cfg.endpoint[0]) sl_catalog_params_set(pp, "sluice.endpoint", cfg.endpoint);
        char fallback[600];
        if (!arn) {
            snprintf(fallback, sizeof fallback, "arn:aws:dynamodb:%s:000000000000:table/%s", cfg.region, info.name);
            arn = sl_xstrdup(fallback);
        }
        ct->sd.location = arn;
        arn = NULL;
        ct->sd.number_of_buckets = -1;
        ddb_columns(cls.columns, &ct->sd.columns);
        copy_params(&ct->sd.parameters, pp);
    }
    memset(&cfg.creds, 0, sizeof cfg.creds);
    free(arn);
    sl_arena_free(&arena);
    sl_classify_result_free(&cls);
    sl_ddb_free(c);
    return rc;
}
