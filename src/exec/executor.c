/* executor.c — see executor.h. */
#include "exec/executor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "exec/errout.h"

typedef struct work_item {
    sl_node *source;
    sl_split *split;
} work_item;

typedef struct exec_state {
    sl_job *job;
    sl_run run;
    work_item *items;
    size_t n_items;
    size_t next_item;          /* atomic */
    size_t split_base;         /* splits planned by earlier stages and sources */
    pthread_mutex_t lock;      /* guards first_error */
    int failed;                /* atomic flag */
    sl_error first_error;
    volatile sig_atomic_t *interrupt;
} exec_state;

typedef struct worker {
    exec_state *ex;
    pthread_t thread;
    void **tstates;    /* per node index: transform state */
    bool *tinit;       /* per node index: state initialised */
    void **writers;    /* per node index: target writer for the current split */
    uint64_t *seq_extra; /* per node index: records its process() added in the current split (see push) */
    sl_batch batch;
} worker;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define ADD(field, n) __atomic_fetch_add(&(field), (n), __ATOMIC_RELAXED)

int sl_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void make_run_id(char out[40]) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned char rnd[3] = {0};
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        unsigned x = (unsigned)now_ns() ^ (unsigned)getpid();
        memcpy(rnd, &x, sizeof rnd);
    }
    snprintf(out, 40, "%04d%02d%02dT%02d%02d%02dZ-%02x%02x%02x", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, rnd[0], rnd[1], rnd[2]);
}

/* Record the first failure; later ones are dropped (they are usually
 * consequences of the first). */
static void fail(exec_state *ex, const sl_node *node, int rc, const sl_error *err) {
    pthread_mutex_lock(&ex->lock);
    if (!ex->failed) {
        ex->first_error = *err;
        if (!ex->first_error.code) ex->first_error.code = rc;
        if (node && !ex->first_error.node[0]) sl_error_node(&ex->first_error, node->name);
        __atomic_store_n(&ex->failed, 1, __ATOMIC_RELEASE);
        ex->run.cancel = 1;
    }
    pthread_mutex_unlock(&ex->lock);
}

static bool stopping(exec_state *ex) {
    if (ex->interrupt && *ex->interrupt && !ex->failed) {
        sl_error e;
        sl_error_clear(&e);
        sl_error_set(&e, SL_ELIMIT, "interrupted");
        fail(ex, NULL, SL_ELIMIT, &e);
    }
    return __atomic_load_n(&ex->failed, __ATOMIC_ACQUIRE) != 0;
}

/* Push batch b (output of `node`) into every child of node. Transforms may
 * replace b->records; the original arrays are restored for the next child. */
static int push(worker *w, sl_node *node, sl_batch *b, const sl_split *split, sl_error *err) {
    exec_state *ex = w->ex;
    uint16_t *ports = b->ports;
    sl_value *all_records = b->records;
    sl_recloc *all_locs = b->locs;
    size_t all_count = b->count, all_cap = b->cap;
    for (size_t c = 0; c < node->n_children; c++) {
        sl_node *child = node->children[c];
        uint64_t t0 = now_ns();
        int rc;
        b->ports = NULL;
        b->input = node->child_inputs[c];
        b->records = all_records;
        b->locs = all_locs;
        b->count = all_count;
        b->cap = all_cap;
        if (!ports && node->child_ports[c] >= 0 && all_count) /* a multi-output node must tag its records */
            return sl_error_set(err, SL_EINVAL, "internal error: node '%s' did not say which output its records "
                                "leave on", node->name);
        if (ports && node->child_ports[c] >= 0) { /* this edge carries one output port */
            uint16_t want = (uint16_t)node->child_ports[c];
            unsigned char *keep = sl_arena_alloc(&b->arena, all_count ? all_count : 1);
            size_t n = 0;
            for (size_t i = 0; i < all_count; i++) {
                keep[i] = ports[i] == want;
                n += keep[i];
            }
            if (!n) continue;
            sl_batch_keep(b, keep);
        }
        ADD(child->stats.records_in, b->count);
        if (child->type->kind == SL_NODE_TRANSFORM) {
            if (!w->tinit[child->index]) {
                rc = child->type->init ? child->type->init(child, &ex->run, &w->tstates[child->index], err) : 0;
                if (rc) return sl_error_node(err, child->name), rc;
                w->tinit[child->index] = true;
            }
            sl_value *records = b->records;
            sl_recloc *locs = b->locs;
            size_t count = b->count, cap = b->cap;
            uint64_t seq_base = b->seq_base;
            rc = child->type->process(w->tstates[child->index], b, err);
            ADD(child->stats.nanos, now_ns() - t0);
            if (rc) return sl_error_node(err, child->name), rc;
            if (!sl_node_is_breaker(child)) ADD(child->stats.records_out, b->count);
            /* A node that emits more records than it got (flat_map, relationalize) would give
             * them input-order keys (seq_base + i) that the next batch of the split also uses:
             * its later output is shifted past every record it added so far in the split. */
            b->seq_base = seq_base + w->seq_extra[child->index];
            if (b->count > count) w->seq_extra[child->index] += b->count - count;
            rc = b->count && !sl_node_is_breaker(child) ? push(w, child, b, split, err) : 0;
            b->records = records;
            b->locs = locs;
            b->count = count;
            b->cap = cap;
            b->seq_base = seq_base;
            if (rc) return rc;
        } else {
            if (!w->writers[child->index]) {
                rc = child->type->target_open(child, &ex->run, split, &w->writers[child->index], err);
                if (rc) return sl_error_node(err, child->name), rc;
            }
            rc = child->type->write(w->writers[child->index], b, err);
            ADD(child->stats.nanos, now_ns() - t0);
            if (rc) return sl_error_node(err, child->name), rc;
            ADD(child->stats.records_out, b->count);
        }
    }
    b->ports = ports;
    b->records = all_records;
    b->locs = all_locs;
    b->count = all_count;
    b->cap = all_cap;
    return SL_OK;
}

static void finish_writers(worker *w, bool ok, sl_error *err, int *rc) {
    sl_job *job = w->ex->job;
    for (size_t i = 0; i < job->n_nodes; i++) {
        void *wr = w->writers[i];
        if (!wr) continue;
        w->writers[i] = NULL;
        if (ok && !*rc) {
            *rc = job->nodes[i]->type->target_close(wr, err);
            if (*rc) sl_error_node(err, job->nodes[i]->name);
        } else {
            job->nodes[i]->type->target_discard(wr);
        }
    }
}

static int run_split(worker *w, const work_item *it, sl_error *err) {
    exec_state *ex = w->ex;
    sl_node *src = it->source;
    void *reader = NULL;
    int rc = src->type->open(src, &ex->run, it->split, &reader, err);
    if (rc) return sl_error_node(err, src->name), rc;
    uint64_t seq = (uint64_t)it->split->index << 40;
    memset(w->seq_extra, 0, ex->job->n_nodes * sizeof *w->seq_extra);
    for (;;) {
        if (stopping(ex)) break;
        sl_batch_reset(&w->batch);
        uint64_t t0 = now_ns();
        rc = src->type->next(reader, &w->batch, err);
        ADD(src->stats.nanos, now_ns() - t0);
        if (rc < 0) {
            sl_error_node(err, src->name);
            break;
        }
        if (rc == 0) break;
        w->batch.seq_base = seq;
        seq += w->batch.count;
        ADD(src->stats.records_out, w->batch.count);
        ADD(src->stats.bytes_in, w->batch.bytes_in);
        if (src->type->kind == SL_NODE_SOURCE) { /* breakers re-emit what was already counted */
            ADD(ex->run.records_read, w->batch.count);
            ADD(ex->run.bytes_read, w->batch.bytes_in);
        }
        rc = w->batch.count ? push(w, src, &w->batch, it->split, err) : 0;
        if (rc) break;
    }
    sl_batch_reset(&w->batch); /* release pinned input before the reader goes */
    src->type->close(reader);
    finish_writers(w, rc == 0 && !stopping(ex), err, &rc);
    ADD(ex->run.splits_done, 1);
    return rc;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    exec_state *ex = w->ex;
    for (;;) {
        size_t i = __atomic_fetch_add(&ex->next_item, 1, __ATOMIC_RELAXED);
        if (i >= ex->n_items || stopping(ex)) break;
        sl_error err;
        sl_error_clear(&err);
        int rc = run_split(w, &ex->items[i], &err);
        if (rc) fail(ex, NULL, rc, &err);
    }
    return NULL;
}

typedef struct progress_thread {
    pthread_t thread;
    const sl_exec_options *opts;
    exec_state *ex;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
} progress_thread;

static void *progress_main(void *arg) {
    progress_thread *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        if (!p->done) p->opts->progress(&p->ex->run, 0, p->opts->progress_ud);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void free_splits(sl_node *src, sl_split *splits, size_t n) {
    if (!splits) return;
    if (src->type->free_splits) {
        src->type->free_splits(splits, n);
        return;
    }
    for (size_t i = 0; i < n; i++) free(splits[i].path);
    free(splits);
}

static int check_rate(exec_state *ex, sl_error *err) {
    const sl_job_settings *s = &ex->job->settings;
    uint64_t bad = ex->run.records_rejected, total = ex->run.records_read;
    if (bad && s->max_error_rate < 1.0 && total) {
        double rate = (double)bad / (double)total;
        if (rate > s->max_error_rate)
            return sl_error_set(err, SL_ELIMIT,
                                "%llu of %llu records (%.2f%%) went to the error output, above max_error_rate %g",
                                (unsigned long long)bad, (unsigned long long)total, rate * 100.0,
                                s->max_error_rate);
    }
    return SL_OK;
}

/* Is every node feeding n complete? */
static bool inputs_complete(const sl_node *n, const bool *complete) {
    for (size_t i = 0; i < n->n_inputs; i++)
        if (!complete[n->input_nodes[i]->index]) return false;
    return true;
}

/* Mark what a stage reaching from `n` completes: n's non-breaker
 * descendants (breakers complete only when sealed). */
static void mark_complete(const sl_node *n, bool *complete) {
    complete[n->index] = true;
    for (size_t c = 0; c < n->n_children; c++) {
        const sl_node *child = n->children[c];
        /* a node with several inputs (union) completes with its last input */
        if (!sl_node_is_breaker(child) && inputs_complete(child, complete)) mark_complete(child, complete);
    }
}

/* Run the splits of `stage` (nodes acting as sources) on the worker pool. */
static int run_stage(exec_state *ex, worker *workers, int threads, sl_node **stage, size_t n_stage, sl_split **splits,
                     size_t *n_splits, sl_error *err) {
    sl_job *job = ex->job;
    size_t n_items = 0;
    for (size_t k = 0; k < n_stage; k++) {
        sl_node *n = stage[k];
        int rc = n->type->plan(n, &ex->run, &splits[n->index], &n_splits[n->index], err);
        if (rc) return sl_error_node(err, n->name), rc;
        n_items += n_splits[n->index];
    }
    free(ex->items);
    ex->items = sl_xcalloc(n_items ? n_items : 1, sizeof *ex->items);
    ex->n_items = 0;
    for (size_t k = 0; k < n_stage; k++) {
        for (size_t j = 0; j < n_splits[stage[k]->index]; j++) {
            /* run-wide split numbers: part files and input order (seq) stay unique when several
             * sources or stages feed one node (union) */
            splits[stage[k]->index][j].index += (uint32_t)ex->split_base;
            ex->items[ex->n_items++] = (work_item){stage[k], &splits[stage[k]->index][j]};
        }
        ex->split_base += n_splits[stage[k]->index];
    }
    ex->next_item = 0;
    __atomic_fetch_add(&ex->run.splits_total, n_items, __ATOMIC_RELAXED);
    int active = threads < (int)n_items ? threads : (int)n_items;
    if (active <= 1) {
        if (n_items) worker_main(&workers[0]);
    } else {
        for (int t = 0; t < active; t++) pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]);
        for (int t = 0; t < active; t++) pthread_join(workers[t].thread, NULL);
    }
    (void)job;
    return SL_OK;
}

/* Hand a breaker's per-worker states to its seal hook. */
static int seal_breaker(exec_state *ex, worker *workers, int threads, sl_node *n, sl_error *err) {
    void **states = sl_xcalloc((size_t)threads, sizeof *states);
    size_t k = 0;
    for (int t = 0; t < threads; t++) {
        if (!workers[t].tinit[n->index]) continue;
        states[k++] = workers[t].tstates[n->index];
        workers[t].tinit[n->index] = false;
        workers[t].tstates[n->index] = NULL;
    }
    int rc = n->type->seal(n, &ex->run, states, k, err);
    if (rc) sl_error_node(err, n->name);
    free(states);
    return rc;
}

int sl_exec_run(sl_job *job, const sl_exec_options *opts, sl_exec_result *result, sl_error *err) {
    static const sl_exec_options no_opts;
    if (!opts) opts = &no_opts;
    exec_state *ex = sl_xcalloc(1, sizeof *ex);
    pthread_mutex_init(&ex->lock, NULL);
    ex->job = job;
    ex->interrupt = opts->interrupt;
    sl_error_clear(&ex->first_error);
    ex->run.job = job;
    make_run_id(ex->run.run_id);
    int threads = opts->threads > 0 ? opts->threads : job->settings.threads > 0 ? job->settings.threads : sl_cpu_count();
    ex->run.threads = threads;
    ex->run.errout = sl_errout_new(job->settings.error_output, ex->run.run_id);
    uint64_t t_start = now_ns();
    memset(result, 0, sizeof *result);
    snprintf(result->run_id, sizeof result->run_id, "%s", ex->run.run_id);

    int rc = SL_OK;
    size_t prepared = 0;
    sl_split **splits = sl_xcalloc(job->n_nodes, sizeof *splits);
    size_t *n_splits = sl_xcalloc(job->n_nodes, sizeof *n_splits);
    bool *complete = sl_xcalloc(job->n_nodes, sizeof *complete);
    bool *planned = sl_xcalloc(job->n_nodes, sizeof *planned);
    sl_node **stage = sl_xcalloc(job->n_nodes, sizeof *stage);
    worker *workers = NULL;
    progress_thread prog = {0};

    for (size_t i = 0; i < job->n_nodes; i++) {
        sl_node *n = job->nodes[i];
        n->index = i;
        memset(&n->stats, 0, sizeof n->stats);
        /* projection pushdown: a source whose one consumer reads only some fields */
        n->projection = NULL;
        if (n->type->kind == SL_NODE_SOURCE && n->n_children == 1 && n->children[0]->type->input_fields)
            n->projection = n->children[0]->type->input_fields(n->children[0]);
    }
    for (; prepared < job->n_nodes; prepared++) {
        sl_node *n = job->nodes[prepared];
        if (n->type->prepare && (rc = n->type->prepare(n, &ex->run, err)) != 0) {
            sl_error_node(err, n->name);
            goto out;
        }
    }

    if (opts->progress) {
        prog.opts = opts;
        prog.ex = ex;
        pthread_mutex_init(&prog.lock, NULL);
        pthread_cond_init(&prog.cond, NULL);
        pthread_create(&prog.thread, NULL, progress_main, &prog);
    }
    workers = sl_xcalloc((size_t)threads, sizeof *workers);
    for (int t = 0; t < threads; t++) {
        worker *w = &workers[t];
        w->ex = ex;
        w->tstates = sl_xcalloc(job->n_nodes, sizeof *w->tstates);
        w->tinit = sl_xcalloc(job->n_nodes, sizeof *w->tinit);
        w->writers = sl_xcalloc(job->n_nodes, sizeof *w->writers);
        w->seq_extra = sl_xcalloc(job->n_nodes, sizeof *w->seq_extra);
        sl_batch_init(&w->batch);
    }

    /* Stage 0 runs the sources; each later stage runs the breakers whose
     * inputs the earlier stages completed. */
    size_t n_stage = 0;
    for (size_t i = 0; i < job->n_nodes; i++)
        if (job->nodes[i]->type->kind == SL_NODE_SOURCE) stage[n_stage++] = job->nodes[i];
    while (n_stage && !rc && !ex->failed) {
        for (size_t k = 0; k < n_stage; k++) planned[stage[k]->index] = true;
        rc = run_stage(ex, workers, threads, stage, n_stage, splits, n_splits, err);
        if (rc || ex->failed) break;
        for (size_t k = 0; k < n_stage; k++) mark_complete(stage[k], complete);
        n_stage = 0;
        for (size_t i = 0; i < job->n_nodes && !rc; i++) {
            sl_node *n = job->nodes[i];
            if (!sl_node_is_breaker(n) || planned[i] || !inputs_complete(n, complete)) continue;
            rc = seal_breaker(ex, workers, threads, n, err);
            stage[n_stage++] = n;
        }
    }

    for (int t = 0; t < threads; t++) {
        worker *w = &workers[t];
        for (size_t i = 0; i < job->n_nodes; i++)
            if (w->tinit[i] && job->nodes[i]->type->fini) job->nodes[i]->type->fini(w->tstates[i]);
        free(w->tstates);
        free(w->tinit);
        free(w->writers);
        free(w->seq_extra);
        sl_batch_free(&w->batch);
    }
    if (opts->progress) {
        pthread_mutex_lock(&prog.lock);
        prog.done = 1;
        pthread_cond_signal(&prog.cond);
        pthread_mutex_unlock(&prog.lock);
        pthread_join(prog.thread, NULL);
        pthread_cond_destroy(&prog.cond);
        pthread_mutex_destroy(&prog.lock);
    }

    if (ex->failed) {
        *err = ex->first_error;
        rc = err->code ? err->code : SL_EINTERNAL;
    } else if (!rc) {
        rc = check_rate(ex, err);
    }
    /* publish or discard, target by target in file order */
    for (size_t i = 0; i < job->n_nodes; i++) {
        sl_node *n = job->nodes[i];
        if (n->type->kind != SL_NODE_TARGET) continue;
        if (!rc && n->type->commit) {
            rc = n->type->commit(n, &ex->run, err);
            if (rc) sl_error_node(err, n->name);
        } else if (rc && n->type->abort) {
            n->type->abort(n, &ex->run);
        }
    }

out:
    if (rc && prepared < job->n_nodes) {
        for (size_t i = 0; i < prepared; i++)
            if (job->nodes[i]->type->kind == SL_NODE_TARGET && job->nodes[i]->type->abort)
                job->nodes[i]->type->abort(job->nodes[i], &ex->run);
    }
    result->seconds = (double)(now_ns() - t_start) / 1e9;
    result->records_read = ex->run.records_read;
    result->records_rejected = ex->run.records_rejected;
    result->bytes_read = ex->run.bytes_read;
    if (opts->progress) opts->progress(&ex->run, 1, opts->progress_ud);
    const char *ef = sl_errout_close(ex->run.errout);
    if (ef) snprintf(result->error_file, sizeof result->error_file, "%s", ef);
    sl_errout_free(ex->run.errout);
    for (size_t i = 0; i < job->n_nodes; i++) free_splits(job->nodes[i], splits[i], n_splits[i]);
    free(splits);
    free(n_splits);
    free(complete);
    free(planned);
    free(stage);
    free(workers);
    free(ex->items);
    pthread_mutex_destroy(&ex->lock);
    free(ex);
    return rc;
}
