/*
 * cmd_run.c — `sluice run JOB.yaml` and `sluice validate JOB.yaml`.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"
#include "exec/executor.h"
#include "exec/job.h"
#include "formats/json.h"

typedef struct run_args {
    const char *job_file;
    sl_jobarg *args;
    size_t n_args;
    int threads;
    int quiet;
    int json;
} run_args;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    (void)sig;
    interrupted = 1;
}

void sl_cli_print_error(const sl_error *err) {
    char text[1200];
    fprintf(stderr, "sluice: %s\n", sl_error_format(err, text, sizeof text));
}

static void run_usage(FILE *out, const char *cmd) {
    fprintf(out,
            "usage: sluice %s JOB.yaml [--arg NAME=VALUE]...%s\n\n"
            "  --arg NAME=VALUE  set a job argument (${NAME} in the job file); repeatable\n",
            cmd, strcmp(cmd, "run") ? "" : " [--threads N] [--quiet] [--json]");
    if (!strcmp(cmd, "run"))
        fprintf(out, "  --threads N       worker threads (default: the job's settings.threads, else one per core)\n"
                     "  --quiet, -q       print nothing but errors\n"
                     "  --json            print the run summary as one JSON object on stdout\n"
                     "\nExit status: 0 success, 1 the run failed, 2 usage or validation error.\n");
}

static int parse_args(int argc, char **argv, const char *cmd, run_args *ra) {
    memset(ra, 0, sizeof *ra);
    ra->args = sl_xcalloc((size_t)argc, sizeof *ra->args);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            run_usage(stdout, cmd);
            return 1;
        } else if (!strcmp(a, "--arg") || !strncmp(a, "--arg=", 6)) {
            val = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);
            const char *eq = val ? strchr(val, '=') : NULL;
            if (!eq || eq == val) {
                fprintf(stderr, "sluice: --arg expects NAME=VALUE\n");
                return -1;
            }
            ra->args[ra->n_args].name = sl_xstrndup(val, (size_t)(eq - val));
            ra->args[ra->n_args].value = eq + 1;
            ra->n_args++;
        } else if (!strcmp(cmd, "run") && (!strcmp(a, "--threads") || !strncmp(a, "--threads=", 10))) {
            val = a[9] == '=' ? a + 10 : (i + 1 < argc ? argv[++i] : NULL);
            char *end = NULL;
            long n = val ? strtol(val, &end, 10) : 0;
            if (!val || *end || n < 1 || n > 1024) {
                fprintf(stderr, "sluice: --threads expects a number from 1 to 1024\n");
                return -1;
            }
            ra->threads = (int)n;
        } else if (!strcmp(cmd, "run") && (!strcmp(a, "--quiet") || !strcmp(a, "-q"))) {
            ra->quiet = 1;
        } else if (!strcmp(cmd, "run") && !strcmp(a, "--json")) {
            ra->json = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sluice %s: unknown option '%s'\n", cmd, a);
            return -1;
        } else if (!ra->job_file) {
            ra->job_file = a;
        } else {
            fprintf(stderr, "sluice %s: only one job file, got '%s' too\n", cmd, a);
            return -1;
        }
    }
    if (!ra->job_file) {
        fprintf(stderr, "sluice %s: missing job file\n", cmd);
        return -1;
    }
    return 0;
}

static void free_args(run_args *ra) {
    for (size_t i = 0; i < ra->n_args; i++) free((char *)ra->args[i].name);
    free(ra->args);
}

/* ---- progress ---- */

typedef struct progress {
    int tty;
    struct timespec start;
    double last_plain;
} progress;

static double elapsed(const progress *p) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - p->start.tv_sec) + (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
}

static void human_count(uint64_t n, char *out, size_t size) {
    if (n >= 10000000) snprintf(out, size, "%.1fM", (double)n / 1e6);
    else if (n >= 100000) snprintf(out, size, "%.0fk", (double)n / 1e3);
    else snprintf(out, size, "%llu", (unsigned long long)n);
}

static void on_progress(const sl_run *run, int final, void *ud) {
    progress *p = ud;
    double t = elapsed(p);
    if (final) {
        if (p->tty) fputs("\r\033[K", stderr);
        return;
    }
    if (!p->tty && t - p->last_plain < 5.0) return;
    p->last_plain = t;
    char recs[32];
    human_count(__atomic_load_n(&run->records_read, __ATOMIC_RELAXED), recs, sizeof recs);
    double mb = (double)__atomic_load_n(&run->bytes_read, __ATOMIC_RELAXED) / 1e6;
    fprintf(stderr, "%s%s records | %.1f MB | %.1f MB/s | splits %llu/%llu | errors %llu | %.1f s%s",
            p->tty ? "\r\033[K" : "progress: ", recs, mb, t > 0 ? mb / t : 0.0,
            (unsigned long long)__atomic_load_n(&run->splits_done, __ATOMIC_RELAXED),
            (unsigned long long)run->splits_total,
            (unsigned long long)__atomic_load_n(&run->records_rejected, __ATOMIC_RELAXED), t, p->tty ? "" : "\n");
    fflush(stderr);
}

/* ---- summary ---- */

static void print_summary(const sl_job *job, const sl_exec_result *res, int rc, const sl_error *err) {
    printf("run %s %s in %.2f s: %llu records read, %llu to the error output\n", res->run_id,
           rc ? "FAILED" : "succeeded", res->seconds, (unsigned long long)res->records_read,
           (unsigned long long)res->records_rejected);
    printf("  %-20s %-14s %12s %12s %8s %9s\n", "node", "type", "in", "out", "errors", "cpu time");
    for (size_t i = 0; i < job->n_nodes; i++) {
        const sl_node *n = job->nodes[i];
        char in[24], out[24];
        if (n->type->kind == SL_NODE_SOURCE) snprintf(in, sizeof in, "%.1f MB", (double)n->stats.bytes_in / 1e6);
        else snprintf(in, sizeof in, "%llu", (unsigned long long)n->stats.records_in);
        if (n->type->kind == SL_NODE_TARGET) snprintf(out, sizeof out, "%.1f MB", (double)n->stats.bytes_out / 1e6);
        else snprintf(out, sizeof out, "%llu", (unsigned long long)n->stats.records_out);
        printf("  %-20s %-14s %12s %12s %8llu %8.2fs\n", n->name, n->type->name, in, out,
               (unsigned long long)n->stats.errors, (double)n->stats.nanos / 1e9);
    }
    for (size_t i = 0; i < job->n_nodes; i++) {
        const sl_node *n = job->nodes[i];
        if (n->type->kind != SL_NODE_TARGET || rc) continue;
        const sl_optval *path = NULL;
        for (const sl_option *o = n->type->options; o->name; o++)
            if (!strcmp(o->name, "path")) path = sl_node_opt(n, "path");
        if (path && path->text) printf("  output %s: %s\n", n->name, path->text);
    }
    if (res->error_file[0]) printf("  error output: %s\n", res->error_file);
    (void)err;
}

static void print_json_summary(const sl_job *job, const sl_exec_result *res, int rc, const sl_error *err) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_buf_adds(&b, "{\"run_id\":");
    sl_json_write_string(&b, res->run_id, strlen(res->run_id));
    sl_buf_printf(&b, ",\"status\":\"%s\",\"seconds\":%.3f,\"records_read\":%llu,\"records_rejected\":%llu,"
                      "\"bytes_read\":%llu",
                  rc ? "failed" : "succeeded", res->seconds, (unsigned long long)res->records_read,
                  (unsigned long long)res->records_rejected, (unsigned long long)res->bytes_read);
    if (res->error_file[0]) {
        sl_buf_adds(&b, ",\"error_file\":");
        sl_json_write_string(&b, res->error_file, strlen(res->error_file));
    }
    if (rc) {
        char text[1200];
        sl_error_format(err, text, sizeof text);
        sl_buf_adds(&b, ",\"error\":");
        sl_json_write_string(&b, text, strlen(text));
    }
    sl_buf_adds(&b, ",\"nodes\":[");
    for (size_t i = 0; i < job->n_nodes; i++) {
        const sl_node *n = job->nodes[i];
        if (i) sl_buf_addc(&b, ',');
        sl_buf_adds(&b, "{\"name\":");
        sl_json_write_string(&b, n->name, strlen(n->name));
        sl_buf_printf(&b, ",\"type\":\"%s\",\"records_in\":%llu,\"records_out\":%llu,\"errors\":%llu,"
                          "\"bytes_in\":%llu,\"bytes_out\":%llu,\"seconds\":%.3f}",
                      n->type->name, (unsigned long long)n->stats.records_in,
                      (unsigned long long)n->stats.records_out, (unsigned long long)n->stats.errors,
                      (unsigned long long)n->stats.bytes_in, (unsigned long long)n->stats.bytes_out,
                      (double)n->stats.nanos / 1e9);
    }
    sl_buf_adds(&b, "]}\n");
    fputs(b.data, stdout);
    sl_buf_free(&b);
}

static int load(const run_args *ra, sl_job **job) {
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_job_load(ra->job_file, ra->args, ra->n_args, job, &err);
    if (rc) sl_cli_print_error(&err);
    return rc;
}

int sl_cmd_validate(int argc, char **argv) {
    run_args ra;
    int pr = parse_args(argc, argv, "validate", &ra);
    if (pr) {
        free_args(&ra);
        return pr > 0 ? SL_EXIT_OK : SL_EXIT_USAGE;
    }
    sl_job *job = NULL;
    int rc = load(&ra, &job);
    if (!rc) {
        size_t src = 0, tr = 0, tg = 0;
        for (size_t i = 0; i < job->n_nodes; i++) {
            sl_node_kind k = job->nodes[i]->type->kind;
            src += k == SL_NODE_SOURCE;
            tr += k == SL_NODE_TRANSFORM;
            tg += k == SL_NODE_TARGET;
        }
        printf("%s: ok (job '%s': %zu sources, %zu transforms, %zu targets)\n", ra.job_file, job->name, src, tr, tg);
    }
    sl_job_free(job);
    free_args(&ra);
    return rc ? SL_EXIT_USAGE : SL_EXIT_OK;
}

int sl_cmd_run(int argc, char **argv) {
    run_args ra;
    int pr = parse_args(argc, argv, "run", &ra);
    if (pr) {
        free_args(&ra);
        return pr > 0 ? SL_EXIT_OK : SL_EXIT_USAGE;
    }
    sl_job *job = NULL;
    if (load(&ra, &job)) {
        free_args(&ra);
        return SL_EXIT_USAGE;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    progress prog = {0};
    prog.tty = isatty(2);
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    sl_exec_options opts = {0};
    opts.threads = ra.threads;
    opts.interrupt = &interrupted;
    if (!ra.quiet && !ra.json) {
        opts.progress = on_progress;
        opts.progress_ud = &prog;
    }
    sl_exec_result res;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_exec_run(job, &opts, &res, &err);
    if (ra.json) print_json_summary(job, &res, rc, &err);
    else if (!ra.quiet) print_summary(job, &res, rc, &err);
    if (rc) {
        sl_cli_print_error(&err);
        if (res.error_file[0] && ra.quiet) fprintf(stderr, "sluice: bad records are in %s\n", res.error_file);
    }
    sl_job_free(job);
    free_args(&ra);
    return rc ? SL_EXIT_FAILED : SL_EXIT_OK;
}
