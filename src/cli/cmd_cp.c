/*
 * cmd_cp.c — `sluice cp SRC DST`: copy files and objects between local
 * paths and s3:// URLs through the object store (store/store.h).
 *
 * A single file or object copies to DST, or into DST when DST is a folder
 * (ends in '/', is an existing local directory, or is a bare bucket). With
 * --recursive, a directory or prefix copies everything below it to the
 * same relative names under DST; a glob (*, ?, [..]) copies its matches
 * under DST, named relative to the folder before the first wildcard. As
 * everywhere in sluice, names starting with '.' or '_' are not listed.
 *
 * Each object is written through a store writer and published on its own
 * (sl_store_writer_finish + sl_store_publish), so a destination object is
 * either the whole source or absent: an S3 upload is a multipart upload
 * completed only at publish, a local file is staged and renamed. Parallel
 * part uploads and ranged reads within one object come from the S3
 * driver; --threads copies several objects at once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "store/store.h"

#define COPY_CHUNK ((size_t)4 << 20)
#define DEFAULT_THREADS 4
#define PROGRESS_INTERVAL_NS 250000000L

typedef struct cp_args {
    const char *src, *dst;
    bool recursive, quiet;
    int threads;
    sl_store_options store;
} cp_args;

/* One object to copy: source and destination URLs (malloc'd), the size
 * the listing reported. */
typedef struct cp_item {
    char *src, *dst;
    uint64_t size;
} cp_item;

typedef struct cp_plan {
    cp_item *items;
    size_t count, cap;
    uint64_t total_bytes;
} cp_plan;

/* State shared by the copying threads. Counters are atomics; the first
 * error is kept under lock. */
typedef struct cp_run {
    const cp_plan *plan;
    sl_store *src, *dst;
    char tag[64];
    size_t next; /* next item to take */
    size_t files_done;
    uint64_t bytes_done;
    int workers_left; /* under lock; done signals when it reaches 0 */
    int stop;         /* set on the first failure */
    int rc;           /* first failure, under lock */
    sl_error err;
    pthread_mutex_t lock;
    pthread_cond_t done;
} cp_run;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: sluice cp SRC DST [--recursive] [--threads N] [--endpoint URL] [--region R] [--profile P]\n"
            "                 [--quiet]\n\n"
            "Copy files and objects between local paths and s3://bucket/key URLs (either side may be\n"
            "either). A file copies to DST, or into DST when DST ends in '/', is an existing directory or\n"
            "is a bare bucket (s3://bucket). Each object appears at its destination only once it is\n"
            "complete: S3 uploads are multipart uploads completed at the end, local files are staged and\n"
            "renamed. Large S3 objects are read and written in parallel parts.\n\n"
            "  --recursive, -r   copy a directory or prefix: everything below SRC, to the same relative\n"
            "                    names under DST (names starting with '.' or '_' are skipped). A glob\n"
            "                    in SRC (quoted: 's3://b/logs/*.json') copies its matches into DST.\n"
            "  --threads N       objects copied at once (default %d)\n"
            "  --endpoint URL    S3 endpoint, e.g. http://127.0.0.1:7480 (default: AWS_ENDPOINT_URL_S3,\n"
            "                    AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS)\n"
            "  --region R        AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)\n"
            "  --profile P       profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE)\n"
            "  --quiet, -q       print nothing but errors\n"
            "\nExit status: 0 success, 1 the copy failed, 2 usage error.\n",
            DEFAULT_THREADS);
}

/* --name VALUE or --name=VALUE; NULL (with a message) when the value is missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (a[n] == '=') return a + n + 1;
    if (*i + 1 < argc) return argv[++*i];
    fprintf(stderr, "sluice cp: %s needs a value\n", name);
    return NULL;
}

static bool is_option(const char *a, const char *name) {
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == 0 || a[n] == '=');
}

/* 0 ok, 1 --help printed, -1 usage error (already reported). */
static int parse_args(int argc, char **argv, cp_args *a) {
    memset(a, 0, sizeof *a);
    a->threads = DEFAULT_THREADS;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || !arg[1]) {
            if (!a->src) {
                a->src = arg;
            } else if (!a->dst) {
                a->dst = arg;
            } else {
                fprintf(stderr, "sluice cp: one source and one destination, got '%s' too\n", arg);
                return -1;
            }
        } else if (!strcmp(arg, "--")) {
            options_done = true;
        } else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(arg, "--recursive") || !strcmp(arg, "-r")) {
            a->recursive = true;
        } else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) {
            a->quiet = true;
        } else if (is_option(arg, "--threads")) {
            const char *v = option_value(argc, argv, &i, "--threads");
            char *end = NULL;
            long n = v ? strtol(v, &end, 10) : 0;
            if (!v || *end || n < 1 || n > 256) {
                fprintf(stderr, "sluice cp: --threads expects a number from 1 to 256\n");
                return -1;
            }
            a->threads = (int)n;
        } else if (is_option(arg, "--endpoint")) {
            if (!(a->store.endpoint = option_value(argc, argv, &i, "--endpoint"))) return -1;
        } else if (is_option(arg, "--region")) {
            if (!(a->store.region = option_value(argc, argv, &i, "--region"))) return -1;
        } else if (is_option(arg, "--profile")) {
            if (!(a->store.profile = option_value(argc, argv, &i, "--profile"))) return -1;
        } else {
            fprintf(stderr, "sluice cp: unknown option '%s' (see sluice cp --help)\n", arg);
            return -1;
        }
    }
    if (!a->dst) {
        fprintf(stderr, "sluice cp: missing %s (usage: sluice cp SRC DST)\n", a->src ? "destination" : "source");
        return -1;
    }
    if (!strncmp(a->src, "s3:", 3) && strncmp(a->src, "s3://", 5)) {
        fprintf(stderr, "sluice cp: '%s' is not an S3 URL (s3://bucket/key)\n", a->src);
        return -1;
    }
    return 0;
}

/* ---- planning: which objects go where ---- */

static bool has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* A local path without its file:// scheme (the local driver's listing
 * reports plain paths). */
static const char *plain_path(const char *url) {
    return !sl_store_is_remote(url) && !strncmp(url, "file://", 7) ? url + 7 : url;
}

/* "s3://bucket" or "s3://bucket/": a bucket without a key. */
static bool is_bare_bucket(const char *url) {
    if (!sl_store_is_remote(url)) return false;
    const char *slash = strchr(url + 5, '/');
    return !slash || !slash[1];
}

static const char *last_segment(const char *url) {
    const char *slash = strrchr(url, '/');
    return slash ? slash + 1 : url;
}

/* url + '/' + rel, without doubling a trailing '/' of url. */
static char *join_url(const char *url, const char *rel) {
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/' && !(n == 1 && url[0] == '/'))
        n--;
    size_t m = strlen(rel);
    char *out = sl_xmalloc(n + m + 2);
    memcpy(out, url, n);
    size_t at = n;
    if (n == 0 || url[n - 1] != '/') out[at++] = '/';
    memcpy(out + at, rel, m + 1);
    return out;
}

static void plan_add(cp_plan *p, const char *src, char *dst_owned, uint64_t size) {
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->items = sl_xrealloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->count++] = (cp_item){sl_xstrdup(src), dst_owned, size};
    p->total_bytes += size;
}

static void plan_free(cp_plan *p) {
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].src);
        free(p->items[i].dst);
    }
    free(p->items);
}

/* The folder listed entries are named relative to: SRC itself, or for a
 * glob the part before the segment holding the first wildcard. Length of
 * that prefix of the (scheme-stripped) source. */
static size_t base_length(const char *src) {
    if (!has_glob(src)) return strlen(src);
    const char *wild = strpbrk(src, "*?[");
    size_t n = 0;
    for (const char *c = src; c < wild; c++)
        if (*c == '/') n = (size_t)(c - src);
    return n;
}

/* A destination name is never allowed to climb out of DST. */
static bool safe_relative(const char *rel) {
    for (const char *seg = rel; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
        if (!strncmp(seg, "..", 2) && (seg[2] == '/' || seg[2] == 0)) return false;
    return rel[0] != 0;
}

/* Every object under (or matching) SRC, named relative to its base under DST. */
static int plan_many(sl_store *src_store, const cp_args *a, cp_plan *plan, sl_error *err) {
    sl_store_list list = {0};
    int rc = sl_store_list_objects(src_store, a->src, a->recursive || !has_glob(a->src), &list, err);
    const char *src = plain_path(a->src);
    size_t base = base_length(src);
    for (size_t i = 0; !rc && i < list.count; i++) {
        const sl_store_entry *e = &list.items[i];
        const char *rel = !strncmp(e->url, src, base) ? e->url + base : last_segment(e->url);
        while (*rel == '/')
            rel++;
        if (!rel[0]) rel = last_segment(e->url);
        if (!safe_relative(rel)) {
            rc = sl_error_set(err, SL_EINVAL, "%s: object name '%s' would land outside %s", e->url, rel, a->dst);
            break;
        }
        plan_add(plan, e->url, join_url(a->dst, rel), e->size);
    }
    sl_store_list_free(&list);
    return rc;
}

/* Is SRC one object? *single is set when it is (with its size); false with
 * SL_OK when it names a directory or prefix. SL_ENOTFOUND when it names
 * nothing at all is left to the listing that follows. */
static int probe_source(sl_store *src_store, const char *src, bool *single, uint64_t *size, sl_error *err) {
    *single = false;
    if (has_glob(src)) return SL_OK;
    if (!sl_store_is_remote(src)) {
        struct stat st;
        const char *path = plain_path(src);
        if (stat(path, &st) != 0)
            return sl_error_set(err, errno == ENOENT ? SL_ENOTFOUND : SL_EIO, "%s: %s", path,
                                errno == ENOENT ? "no such file or directory" : strerror(errno));
        if (S_ISDIR(st.st_mode)) return SL_OK;
        if (!S_ISREG(st.st_mode)) return sl_error_set(err, SL_EINVAL, "%s: not a regular file", path);
        *single = true;
        *size = (uint64_t)st.st_size;
        return SL_OK;
    }
    sl_store_entry e = {0};
    int rc = sl_store_stat(src_store, src, &e, err);
    if (rc == SL_OK) {
        *single = true;
        *size = e.size;
    }
    free(e.url);
    return rc == SL_ENOTFOUND ? SL_OK : rc;
}

/* Fills plan. SL_EINVAL for a folder source without --recursive. */
static int make_plan(sl_store *src_store, const cp_args *a, cp_plan *plan, sl_error *err) {
    bool single;
    uint64_t size = 0;
    int rc = probe_source(src_store, a->src, &single, &size, err);
    if (rc) return rc;
    if (single) {
        size_t n = strlen(a->dst);
        bool into = (n > 0 && a->dst[n - 1] == '/') || is_bare_bucket(a->dst) ||
                    (!sl_store_is_remote(a->dst) && sl_is_dir(plain_path(a->dst)));
        plan_add(plan, a->src, into ? join_url(a->dst, last_segment(plain_path(a->src))) : sl_xstrdup(a->dst), size);
        return SL_OK;
    }
    if (!a->recursive && !has_glob(a->src)) {
        /* a prefix that holds nothing is "not found" rather than "use -r" */
        sl_store_list probe = {0};
        rc = sl_store_list_objects(src_store, a->src, true, &probe, err);
        sl_store_list_free(&probe);
        if (rc) return rc;
        return sl_error_set(err, SL_EINVAL, "%s is a %s: add --recursive to copy everything below it", a->src,
                            sl_store_is_remote(a->src) ? "prefix" : "directory");
    }
    return plan_many(src_store, a, plan, err);
}

/* ---- copying ---- */

/* Copy one object: read all of it, write it, publish it. Nothing appears
 * at the destination unless every byte arrived. */
static int copy_one(cp_run *run, const cp_item *item, char *buf, sl_error *err) {
    sl_store_reader *r = NULL;
    sl_store_writer *w = NULL;
    sl_store_pending *p = NULL;
    uint64_t copied = 0;
    int rc = sl_store_reader_open(run->src, item->src, 0, UINT64_MAX, &r, err);
    if (!rc) rc = sl_store_writer_open(run->dst, item->dst, run->tag, &w, err);
    while (!rc) {
        if (interrupted || __atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
            rc = sl_error_set(err, SL_EINTERNAL, "interrupted");
            break;
        }
        size_t got = 0;
        rc = sl_store_read(r, buf, COPY_CHUNK, &got, err);
        if (rc || got == 0) break;
        rc = sl_store_write(w, buf, got, err);
        copied += got;
        __atomic_fetch_add(&run->bytes_done, got, __ATOMIC_RELAXED);
    }
    sl_store_reader_close(r);
    if (!rc && copied != item->size)
        rc = sl_error_set(err, SL_EIO, "%s changed while it was copied (%llu bytes listed, %llu read)", item->src,
                          (unsigned long long)item->size, (unsigned long long)copied);
    if (rc) {
        sl_store_writer_abort(w);
        return rc;
    }
    rc = sl_store_writer_finish(w, &p, err); /* frees w, also on failure */
    if (!rc) rc = sl_store_publish(p, err);  /* frees p on success */
    if (rc && p) sl_store_discard(p);
    return rc;
}

/* Keep the first failure, naming the object it happened to. */
static void record_failure(cp_run *run, const cp_item *item, int rc, const sl_error *cause) {
    pthread_mutex_lock(&run->lock);
    if (!run->rc) {
        run->rc = rc;
        if (interrupted) {
            sl_error_set(&run->err, rc, "interrupted");
        } else {
            /* store messages name one side already; say which copy it was */
            char copy_of[sizeof run->err.message];
            snprintf(copy_of, sizeof copy_of, "%s", cause->message);
            sl_error_set(&run->err, rc, "cannot copy %s to %s: %s", item->src, item->dst, copy_of);
        }
    }
    __atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&run->lock);
}

static void *copy_worker(void *arg) {
    cp_run *run = arg;
    char *buf = sl_xmalloc(COPY_CHUNK);
    sl_error err;
    while (!interrupted && !__atomic_load_n(&run->stop, __ATOMIC_RELAXED)) {
        size_t i = __atomic_fetch_add(&run->next, 1, __ATOMIC_RELAXED);
        if (i >= run->plan->count) break;
        const cp_item *item = &run->plan->items[i];
        sl_error_clear(&err);
        int rc = copy_one(run, item, buf, &err);
        if (rc)
            record_failure(run, item, rc, &err);
        else
            __atomic_fetch_add(&run->files_done, 1, __ATOMIC_RELAXED);
    }
    free(buf);
    pthread_mutex_lock(&run->lock);
    if (--run->workers_left == 0) pthread_cond_signal(&run->done);
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

/* ---- progress and summary ---- */

static double seconds_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static void human_bytes(uint64_t n, char *out, size_t size) {
    if (n >= 1000000000ull)
        snprintf(out, size, "%.2f GB", (double)n / 1e9);
    else if (n >= 1000000)
        snprintf(out, size, "%.1f MB", (double)n / 1e6);
    else if (n >= 1000)
        snprintf(out, size, "%.1f kB", (double)n / 1e3);
    else
        snprintf(out, size, "%llu bytes", (unsigned long long)n);
}

static void print_progress(const cp_run *run, const struct timespec *start) {
    double t = seconds_since(start);
    uint64_t bytes = __atomic_load_n(&run->bytes_done, __ATOMIC_RELAXED);
    char done[32], total[32];
    human_bytes(bytes, done, sizeof done);
    human_bytes(run->plan->total_bytes, total, sizeof total);
    fprintf(stderr, "\r\033[K%zu/%zu files | %s of %s | %.1f MB/s | %.1f s",
            __atomic_load_n(&run->files_done, __ATOMIC_RELAXED), run->plan->count, done, total,
            t > 0 ? (double)bytes / 1e6 / t : 0.0, t);
    fflush(stderr);
}

static void print_summary(const cp_plan *plan, size_t files_done, double t) {
    char size[32];
    human_bytes(plan->total_bytes, size, sizeof size);
    double rate = t > 0 ? (double)plan->total_bytes / 1e6 / t : 0.0;
    if (plan->count == 1)
        printf("copied %s to %s (%s) in %.2f s, %.1f MB/s\n", plan->items[0].src, plan->items[0].dst, size, t, rate);
    else
        printf("copied %zu files (%s) in %.2f s, %.1f MB/s\n", files_done, size, t, rate);
}

/* Run the copy with up to threads workers; the calling thread shows
 * progress on a terminal. Returns the first failure. */
static int run_plan(cp_run *run, int threads, bool show_progress, const struct timespec *start, sl_error *err) {
    size_t n = run->plan->count < (size_t)threads ? run->plan->count : (size_t)threads;
    pthread_t *tids = sl_xcalloc(n, sizeof *tids);
    run->workers_left = 0;
    pthread_mutex_lock(&run->lock);
    for (size_t i = 0; i < n; i++) {
        if (pthread_create(&tids[i], NULL, copy_worker, run) != 0) break;
        run->workers_left++;
    }
    size_t started = (size_t)run->workers_left;
    if (started == 0) {
        pthread_mutex_unlock(&run->lock);
        free(tids);
        return sl_error_set(err, SL_EINTERNAL, "cannot start a copying thread: %s", strerror(errno));
    }
    while (run->workers_left > 0) {
        if (!show_progress) {
            pthread_cond_wait(&run->done, &run->lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += PROGRESS_INTERVAL_NS;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&run->done, &run->lock, &until);
        if (run->workers_left > 0) print_progress(run, start);
    }
    pthread_mutex_unlock(&run->lock);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    if (show_progress) fputs("\r\033[K", stderr);
    if (run->rc) {
        *err = run->err;
        return run->rc;
    }
    if (interrupted) return sl_error_set(err, SL_EINTERNAL, "interrupted");
    return SL_OK;
}

int sl_cmd_cp(int argc, char **argv) {
    cp_args a;
    int pr = parse_args(argc, argv, &a);
    if (pr) return pr > 0 ? SL_EXIT_OK : SL_EXIT_USAGE;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    sl_error err;
    sl_error_clear(&err);
    cp_plan plan = {0};
    cp_run run;
    memset(&run, 0, sizeof run);
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.done, NULL);
    run.plan = &plan;
    snprintf(run.tag, sizeof run.tag, "cp-%ld-%d", (long)time(NULL), (int)getpid());

    int status = SL_EXIT_FAILED;
    int rc = sl_store_open(a.src, &a.store, &run.src, &err);
    if (!rc) rc = sl_store_open(a.dst, &a.store, &run.dst, &err);
    if (!rc) rc = make_plan(run.src, &a, &plan, &err);
    if (rc == SL_EINVAL) status = SL_EXIT_USAGE;
    if (!rc) {
        rc = run_plan(&run, a.threads, !a.quiet && isatty(2), &start, &err);
        if (!rc) status = SL_EXIT_OK;
    }
    if (!rc && !a.quiet) print_summary(&plan, run.files_done, seconds_since(&start));
    if (rc) {
        sl_cli_print_error(&err);
        if (plan.count > 1)
            fprintf(stderr, "sluice cp: %zu of %zu files copied; the others were not written\n", run.files_done,
                    plan.count);
    }
    sl_store_free(run.src);
    sl_store_free(run.dst);
    plan_free(&plan);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.done);
    return status;
}
