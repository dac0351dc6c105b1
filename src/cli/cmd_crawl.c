/*
 * cmd_crawl.c — `sluice crawl`: run a crawler (catalog/crawler.h) defined
 * in a file, stored in the catalog, or on the command line, and print what
 * it did: a summary like Glue's console (one line per table) or, with
 * --json, the crawl record in Glue's CrawlerHistory shape with details.
 *
 *   sluice crawl FILE.yaml            run it, storing the definition
 *   sluice crawl --crawler NAME       run a stored definition again
 *   sluice crawl --database DB --path URL…   define on the command line
 *                                     (stored under --name or a default)
 *
 * Exit status: 0 the crawl completed, 1 it failed (the catalog is
 * unchanged but for the crawl's history row), 2 usage or definition error.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/crawler.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mem.h"

static void crawl_usage(FILE *out) {
    fprintf(out,
            "usage: sluice crawl FILE.yaml [OPTIONS]          run the crawler FILE defines (and store it)\n"
            "       sluice crawl --crawler NAME [OPTIONS]     run a stored crawler again\n"
            "       sluice crawl --database DB --path URL [--path URL]... [--dynamodb TABLE]... [DEFINITION] "
            "[OPTIONS]\n\n"
            "Finds the data under each target, classifies it (json, csv, parquet, avro, dynamodb), groups it\n"
            "into tables with partitions and writes them into the catalog under the schema change policy.\n"
            "Every crawl is recorded (`sluice catalog crawls`). See docs/crawling.md.\n\n"
            "definition (command-line crawls):\n"
            "  --database DB                 database for the tables (created when missing)\n"
            "  --path URL                    a local folder or s3://bucket/prefix; repeatable\n"
            "  --dynamodb TABLE              a DynamoDB table; repeatable\n"
            "  --exclude GLOB                skip objects matching GLOB (relative to each path); repeatable\n"
            "  --name NAME                   the crawler's name (default: DB-FOLDER-HASH of the targets)\n"
            "  --table-prefix PREFIX         prefix of the table names it creates\n"
            "  --update-behavior B           UPDATE_IN_DATABASE (default) or LOG\n"
            "  --delete-behavior B           DEPRECATE_IN_DATABASE (default), DELETE_FROM_DATABASE or LOG\n"
            "  --recrawl R                   CRAWL_EVERYTHING (default) or CRAWL_NEW_FOLDERS_ONLY\n"
            "  --add-new-columns-only        add new columns, never remove or retype (Glue's MergeNewColumns)\n"
            "  --combine-compatible-schemas  one table for folders of the same format (CombineCompatibleSchemas)\n"
            "  --sample-size N               classify at most N files per folder (1 to 249)\n"
            "  --scan-all | --no-scan-all    DynamoDB: read every item (default) or the first 1 MB page\n"
            "  --scan-rate R                 DynamoDB: share of the provisioned read capacity, 0.1 to 1.5\n"
            "  --endpoint URL, --region R, --profile P   where S3/DynamoDB are (default: the environment)\n\n"
            "options:\n"
            "  --catalog PATH                the catalog (default: $SLUICE_CATALOG, else %s)\n"
            "  --threads N                   objects classified at once (default: one per core; 64 for S3)\n"
            "  --json                        print the crawl as one JSON object on stdout\n"
            "  --quiet, -q                   print nothing but errors\n\n"
            "Ctrl-C stops a crawl (recorded as STOPPED; nothing applied).\n"
            "exit status: 0 the crawl completed, 1 it failed (nothing changed but its history), 2 usage error.\n",
            SL_CATALOG_DEFAULT_PATH);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sluice crawl: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `sluice crawl --help`)\n");
    va_end(ap);
    return SL_EXIT_USAGE;
}

typedef struct crawl_args {
    const char *file, *crawler, *catalog;
    int threads;
    bool json, quiet;
    bool defined; /* a definition option was given */
    sl_crawler_def def;
    const char *endpoint, *region, *profile;
    int scan_all;     /* -1 unset */
    double scan_rate; /* 0 unset */
    int64_t sample_size;
    const char **exclude;
    size_t n_exclude;
} crawl_args;

/* --opt VALUE or --opt=VALUE: the value, or NULL when a is not --opt. */
static const char *opt_value(const char *a, const char *opt, int argc, char **argv, int *i, bool *missing) {
    size_t n = strlen(opt);
    if (strncmp(a, opt, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != 0) return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int parse_args(int argc, char **argv, crawl_args *a) {
    a->scan_all = -1;
    a->exclude = sl_xcalloc((size_t)argc + 1, sizeof *a->exclude);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        bool missing = false;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            crawl_usage(stdout);
            return SL_EXIT_OK;
        }
        if (!strcmp(arg, "--json")) {
            a->json = true;
        } else if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) {
            a->quiet = true;
        } else if (!strcmp(arg, "--add-new-columns-only")) {
            a->def.add_new_columns_only = a->defined = true;
        } else if (!strcmp(arg, "--combine-compatible-schemas")) {
            a->def.combine_compatible_schemas = a->defined = true;
        } else if (!strcmp(arg, "--scan-all") || !strcmp(arg, "--no-scan-all")) {
            a->scan_all = arg[2] == 's';
            a->defined = true;
        } else if ((v = opt_value(arg, "--catalog", argc, argv, &i, &missing))) {
            a->catalog = v;
        } else if ((v = opt_value(arg, "--crawler", argc, argv, &i, &missing))) {
            a->crawler = v;
        } else if ((v = opt_value(arg, "--threads", argc, argv, &i, &missing))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 1 || n > 256) return usage_error("--threads expects a number from 1 to 256");
            a->threads = (int)n;
        } else if ((v = opt_value(arg, "--database", argc, argv, &i, &missing))) {
            free(a->def.database);
            a->def.database = sl_xstrdup(v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--path", argc, argv, &i, &missing))) {
            sl_crawler_def_add_target(&a->def, SL_CRAWL_TARGET_PATH, v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--dynamodb", argc, argv, &i, &missing))) {
            sl_crawler_def_add_target(&a->def, SL_CRAWL_TARGET_DYNAMODB, v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--exclude", argc, argv, &i, &missing))) {
            a->exclude[a->n_exclude++] = v;
            a->defined = true;
        } else if ((v = opt_value(arg, "--name", argc, argv, &i, &missing))) {
            free(a->def.name);
            a->def.name = sl_xstrdup(v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--table-prefix", argc, argv, &i, &missing))) {
            free(a->def.table_prefix);
            a->def.table_prefix = sl_xstrdup(v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--update-behavior", argc, argv, &i, &missing))) {
            if (!sl_crawl_update_parse(v, &a->def.update_behavior))
                return usage_error("--update-behavior is UPDATE_IN_DATABASE or LOG, not '%s'", v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--delete-behavior", argc, argv, &i, &missing))) {
            if (!sl_crawl_delete_parse(v, &a->def.delete_behavior))
                return usage_error("--delete-behavior is DEPRECATE_IN_DATABASE, DELETE_FROM_DATABASE or LOG, not '%s'",
                                   v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--recrawl", argc, argv, &i, &missing))) {
            if (!sl_crawl_recrawl_parse(v, &a->def.recrawl))
                return usage_error("--recrawl is CRAWL_EVERYTHING or CRAWL_NEW_FOLDERS_ONLY, not '%s'", v);
            a->defined = true;
        } else if ((v = opt_value(arg, "--sample-size", argc, argv, &i, &missing))) {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (!*v || *end || n < 1 || n > 249) return usage_error("--sample-size expects a number from 1 to 249");
            a->sample_size = n;
            a->defined = true;
        } else if ((v = opt_value(arg, "--scan-rate", argc, argv, &i, &missing))) {
            char *end;
            double r = strtod(v, &end);
            if (!*v || *end || !(r >= 0.1 && r <= 1.5)) return usage_error("--scan-rate expects 0.1 to 1.5");
            a->scan_rate = r;
            a->defined = true;
        } else if ((v = opt_value(arg, "--endpoint", argc, argv, &i, &missing))) {
            a->endpoint = v;
            a->defined = true;
        } else if ((v = opt_value(arg, "--region", argc, argv, &i, &missing))) {
            a->region = v;
            a->defined = true;
        } else if ((v = opt_value(arg, "--profile", argc, argv, &i, &missing))) {
            a->profile = v;
            a->defined = true;
        } else if (missing) {
            return usage_error("%s needs a value", arg);
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (!a->file) {
            a->file = arg;
        } else {
            return usage_error("one crawler file at a time, got '%s' too", arg);
        }
        if (missing) return usage_error("%s needs a value", arg);
    }
    int sources = (a->file != NULL) + (a->crawler != NULL) + (a->defined || (!a->file && !a->crawler));
    if (sources > 1) {
        if (a->file && a->crawler) return usage_error("give a crawler file or --crawler NAME, not both");
        return usage_error("definition options (--database, --path, …) are for command-line crawls; %s",
                           a->file ? "edit the crawler file instead" : "a stored crawler keeps its definition");
    }
    if (a->catalog && !*a->catalog) return usage_error("--catalog needs a path");
    return -1;
}

/* Complete a command-line definition: targets get the shared options. */
static int finish_cli_def(crawl_args *a, sl_error *err) {
    sl_crawler_def *d = &a->def;
    if (!d->database) return sl_error_set(err, SL_EINVAL, "--database is needed (where the tables go)");
    if (!d->n_targets) return sl_error_set(err, SL_EINVAL, "--path or --dynamodb is needed (what to crawl)");
    for (size_t i = 0; i < d->n_targets; i++) {
        sl_crawl_target *t = &d->targets[i];
        if (a->endpoint) t->endpoint = sl_xstrdup(a->endpoint);
        if (a->region) t->region = sl_xstrdup(a->region);
        if (a->profile) t->profile = sl_xstrdup(a->profile);
        if (t->kind == SL_CRAWL_TARGET_DYNAMODB) {
            if (a->scan_all >= 0) t->scan_all = a->scan_all;
            t->scan_rate = a->scan_rate;
            continue;
        }
        t->sample_size = a->sample_size;
        if (a->n_exclude) {
            t->exclusions = sl_xcalloc(a->n_exclude, sizeof *t->exclusions);
            for (size_t k = 0; k < a->n_exclude; k++)
                t->exclusions[t->n_exclusions++] = sl_xstrdup(a->exclude[k]);
        }
    }
    if (!d->name) d->name = sl_crawler_default_name(d);
    return sl_crawler_def_check(d, err);
}

/* ---- stopping: the first Ctrl-C ends the crawl STOPPED, a second one kills ---- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static void catch_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- progress on a terminal ---- */

static void on_progress(void *ud, const sl_crawl_progress *p) {
    (void)ud;
    const char *t = p->target ? p->target : "";
    switch (p->phase) {
    case SL_CRAWL_LISTING: fprintf(stderr, "\r\033[Klisting %.60s: %" PRIu64 " objects", t, p->objects_listed); break;
    case SL_CRAWL_CLASSIFYING:
        fprintf(stderr, "\r\033[K%.60s: %" PRIu64 " objects listed, %" PRIu64 "/%" PRIu64 " classified", t,
                p->objects_listed, p->objects_classified, p->objects_to_classify);
        break;
    case SL_CRAWL_SCANNING: fprintf(stderr, "\r\033[Kscanning %.60s: %" PRIu64 " items", t, p->items_read); break;
    case SL_CRAWL_APPLYING: fprintf(stderr, "\r\033[Kupdating the catalog"); break;
    }
    fflush(stderr);
}

/* ---- summary ---- */

static void print_summary(const sl_crawl_report *r) {
    const sl_catalog_crawl *c = &r->crawl;
    printf("crawler %s: %s in %.1f s (crawl %" PRId64 ")\n", c->crawler, c->status, r->seconds, c->id);
    printf("  tables: %" PRId64 " created, %" PRId64 " updated, %" PRId64 " deprecated, %" PRId64
           " deleted; partitions: %" PRId64 " added, %" PRId64 " updated, %" PRId64 " removed\n",
           c->tables_created, c->tables_updated, c->tables_deprecated, c->tables_deleted, c->partitions_added,
           c->partitions_updated, c->partitions_removed);
    printf("  objects: %" PRIu64 " listed, %" PRIu64 " classified, %" PRIu64 " skipped", r->objects_listed,
           r->objects_classified, r->objects_skipped);
    if (r->items_sampled) printf("; DynamoDB items read: %" PRIu64, r->items_sampled);
    printf("; requests: %" PRIu64 " list, %" PRIu64 " get", r->list_requests, r->get_requests);
    if (r->dynamodb_requests) printf(", %" PRIu64 " DynamoDB", r->dynamodb_requests);
    printf("\n");
    if (r->n_tables) {
        size_t wa = 6, wn = 5, wc = 14;
        for (size_t i = 0; i < r->n_tables; i++) {
            size_t n = strlen(sl_crawl_action_name(r->tables[i].action));
            if (n > wa) wa = n;
            if (strlen(r->tables[i].name) > wn) wn = strlen(r->tables[i].name);
            if (r->tables[i].classification && strlen(r->tables[i].classification) > wc)
                wc = strlen(r->tables[i].classification);
        }
        printf("  %-*s  %-*s  %-*s  %7s  %10s  %s\n", (int)wa, "ACTION", (int)wn, "TABLE", (int)wc, "CLASSIFICATION",
               "COLUMNS", "PARTITIONS", "LOCATION");
        for (size_t i = 0; i < r->n_tables; i++) {
            const sl_crawl_table_result *t = &r->tables[i];
            char parts[64];
            if (t->partitions_added || t->partitions_removed || t->partitions_updated)
                snprintf(parts, sizeof parts, "%zu (+%zu", t->n_partitions, t->partitions_added);
            else
                snprintf(parts, sizeof parts, "%zu", t->n_partitions);
            if (t->partitions_removed)
                snprintf(parts + strlen(parts), sizeof parts - strlen(parts), " -%zu", t->partitions_removed);
            if (t->partitions_updated)
                snprintf(parts + strlen(parts), sizeof parts - strlen(parts), " ~%zu", t->partitions_updated);
            if (t->partitions_added || t->partitions_removed || t->partitions_updated) strcat(parts, ")");
            printf("  %-*s  %-*s  %-*s  %7zu  %10s  %s\n", (int)wa, sl_crawl_action_name(t->action), (int)wn, t->name,
                   (int)wc, t->classification ? t->classification : "-", t->n_columns, parts,
                   t->location ? t->location : "");
            if (t->note) printf("  %*s  changes: %s\n", (int)wa, "", t->note);
        }
    }
    size_t show = r->n_skipped < 5 ? r->n_skipped : 5;
    for (size_t i = 0; i < show; i++)
        printf("  skipped %s: %s\n", r->skipped[i].key, r->skipped[i].reason);
    if (r->objects_skipped > show)
        printf("  … and %" PRIu64 " more skipped (--json lists up to 100)\n", r->objects_skipped - show);
}

int sl_cmd_crawl(int argc, char **argv) {
    crawl_args a = {0};
    int status = parse_args(argc, argv, &a);
    sl_catalog *cat = NULL;
    char *text = NULL;
    sl_crawl_report rep = {0};
    sl_error err;
    sl_error_clear(&err);
    if (status >= 0) goto out;
    status = SL_EXIT_OK;

    const char *path = a.catalog ? a.catalog : sl_catalog_default_path();
    sl_crawler_def def = {0};
    int rc = SL_OK;
    if (a.file) {
        rc = sl_crawler_def_load(a.file, &def, &text, &err);
    } else if (!a.crawler) {
        rc = finish_cli_def(&a, &err);
        def = a.def;
        memset(&a.def, 0, sizeof a.def);
    }
    if (rc) {
        sl_cli_print_error(&err);
        status = rc == SL_EIO ? SL_EXIT_FAILED : SL_EXIT_USAGE;
        sl_crawler_def_free(&def);
        goto out;
    }
    rc = sl_catalog_open(path, 0, &cat, &err);
    if (!rc && a.crawler) {
        rc = sl_crawler_def_get(cat, a.crawler, &def, &err);
        if (rc == SL_ENOTFOUND)
            fprintf(stderr,
                    "sluice crawl: no crawler '%s' is stored in %s (`sluice catalog crawls` lists past "
                    "crawls; a crawler file or a command-line crawl stores one)\n",
                    a.crawler, path);
    }
    if (!rc && !a.crawler) {
        /* store the definition, so that `--crawler NAME` runs it again */
        sl_buf yaml;
        sl_buf_init(&yaml, SL_BUF_UNLIMITED);
        if (!text) sl_crawler_def_yaml(&def, &yaml);
        sl_catalog_crawler c = {.name = def.name, .definition = text ? text : yaml.data};
        rc = sl_catalog_put_crawler(cat, &c, SL_CATALOG_REPLACE, &err);
        sl_buf_free(&yaml);
    }
    if (rc) {
        if (rc != SL_ENOTFOUND || !a.crawler) sl_cli_print_error(&err);
        status = rc == SL_EINVAL ? SL_EXIT_USAGE : SL_EXIT_FAILED;
        sl_crawler_def_free(&def);
        goto out;
    }

    bool tty = !a.quiet && isatty(STDERR_FILENO);
    sl_crawl_opts o = {.threads = a.threads, .progress = tty ? on_progress : NULL, .cancel = &stop_requested};
    catch_signals();
    rc = sl_crawler_run(cat, &def, &o, &rep, &err);
    if (tty) fprintf(stderr, "\r\033[K");
    if (rc) {
        sl_cli_print_error(&err);
        status = SL_EXIT_FAILED;
    }
    if (a.json) {
        sl_buf b;
        sl_buf_init(&b, SL_BUF_UNLIMITED);
        if (rep.crawl.crawler && sl_crawl_report_json(&rep, &b) == SL_OK) {
            fwrite(b.data, 1, b.len, stdout);
            fputc('\n', stdout);
        }
        sl_buf_free(&b);
    } else if (!a.quiet && rep.crawl.crawler) {
        print_summary(&rep);
        if (rc) printf("  the catalog is unchanged (the crawl's history row records the failure)\n");
    }
    sl_crawler_def_free(&def);
out:
    sl_crawl_report_free(&rep);
    sl_catalog_close(cat);
    sl_crawler_def_free(&a.def);
    free(a.exclude);
    free(text);
    fflush(stdout);
    return status;
}
