/* test_crawler.c — crawlers (catalog/crawler.h): definition files (every
 * key, defaults, the YAML round trip, errors with line and column), and
 * crawls of local folders applied to a real catalog under each policy:
 * creation with Glue's parameters, recrawls that change nothing, columns
 * added, int widened to double, type conflicts, folders and tables gone
 * (deprecate, delete, log), LOG updates, add_new_columns_only, new folders
 * only, exclusions, sample sizes, name clashes, and a failed crawl that
 * leaves the catalog as it was, and one stopped before it finished. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/crawler.h"
#include "core/fsutil.h"
#include "core/mem.h"

/* ================================================================== */
/* Helpers                                                             */
/* ================================================================== */

typedef struct fixture {
    char dir[64];
    char data[128];
    char path[128];
    sl_catalog *cat;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sluice-test-crawler-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->data, sizeof f->data, "%s/lake", f->dir);
    snprintf(f->path, sizeof f->path, "%s/catalog.db", f->dir);
    sl_error err;
    sl_error_clear(&err);
    if (sl_catalog_open(f->path, 0, &f->cat, &err)) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sl_catalog_close(f->cat);
    sl_rmtree(f->dir, NULL);
    free(f);
    return 0;
}

/* Write text to f->data/rel, creating folders. */
static void put(const fixture *f, const char *rel, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->data, rel);
    char *slash = strrchr(path, '/');
    *slash = 0;
    assert_int_equal(sl_mkdirs(path, NULL), 0);
    *slash = '/';
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void rm(const fixture *f, const char *rel) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->data, rel);
    assert_int_equal(sl_rmtree(path, NULL), 0);
}

/* A definition of one path target: f->data (or a folder below it). */
static void def_init(sl_crawler_def *d, const fixture *f, const char *sub) {
    memset(d, 0, sizeof *d);
    d->name = sl_xstrdup("c1");
    d->database = sl_xstrdup("lake");
    char path[256];
    snprintf(path, sizeof path, "%s%s%s", f->data, sub ? "/" : "", sub ? sub : "");
    sl_crawler_def_add_target(d, SL_CRAWL_TARGET_PATH, path);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_crawler_def_check(d, &err), 0);
}

static sl_crawl_report last;

/* Run a crawl that must complete; the report stays in `last`. */
static void crawl_ok(fixture *f, const sl_crawler_def *d) {
    sl_crawl_report_free(&last);
    sl_error err;
    sl_error_clear(&err);
    sl_crawl_opts o = {.threads = 3};
    int rc = sl_crawler_run(f->cat, d, &o, &last, &err);
    if (rc) fail_msg("crawl failed: %s", err.message);
    assert_string_equal(last.crawl.status, "COMPLETED");
}

static const sl_crawl_table_result *result(const char *name) {
    for (size_t i = 0; i < last.n_tables; i++)
        if (!strcmp(last.tables[i].name, name)) return &last.tables[i];
    fail_msg("no result for table %s", name);
    return NULL;
}

static void get_table(fixture *f, const char *name, sl_catalog_table *t) {
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_catalog_get_table(f->cat, "lake", name, t, &err);
    if (rc) fail_msg("get %s: %s", name, err.message);
}

static const char *column_type(const sl_catalog_table *t, const char *name) {
    long i = sl_catalog_columns_find(&t->sd.columns, name);
    return i < 0 ? NULL : t->sd.columns.items[i].type;
}

static int64_t partitions(fixture *f, const char *table) {
    int64_t n = -1;
    assert_int_equal(sl_catalog_count_partitions(f->cat, "lake", table, &n, NULL), 0);
    return n;
}

static bool table_exists(fixture *f, const char *name) {
    sl_catalog_table t = {0};
    int rc = sl_catalog_get_table(f->cat, "lake", name, &t, NULL);
    sl_catalog_table_free(&t);
    return rc == 0;
}

/* Tables below the target: sales (json, partitioned), people and notes
 * (csv of different columns; three, so that removing one still leaves the
 * target holding several tables). */
static void lake_fixture(fixture *f) {
    put(f, "notes/n.csv", "when,text\n2024-01-01,hello\n2024-01-02,world\n");
    put(f, "sales/year=2024/month=01/a.json",
        "{\"id\":1,\"amount\":2,\"item\":\"pen\"}\n{\"id\":2,\"amount\":5,\"item\":\"ink\"}\n");
    put(f, "sales/year=2024/month=02/a.json", "{\"id\":3,\"amount\":7,\"item\":\"pad\"}\n");
    put(f, "people/people.csv", "id|name|age\n1|ann|30\n2|bob|41\n3|cy|52\n");
}

/* ================================================================== */
/* Definitions                                                         */
/* ================================================================== */

static const char FULL_DEF[] = "name: sales-crawler\n"
                               "database: Lake\n"
                               "description: daily sales\n"
                               "table_prefix: raw_\n"
                               "targets:\n"
                               "  - path: s3://bucket/sales/\n"
                               "    exclusions: [\"**.tmp\", \"_archive/**\"]\n"
                               "    sample_size: 10\n"
                               "    endpoint: http://127.0.0.1:7480\n"
                               "    region: eu-west-1\n"
                               "  - dynamodb: Claims\n"
                               "    scan_all: false\n"
                               "    scan_rate: 0.25\n"
                               "    profile: test\n"
                               "update_behavior: log\n"
                               "delete_behavior: DELETE_FROM_DATABASE\n"
                               "recrawl: CRAWL_EVERYTHING\n"
                               "add_new_columns_only: true\n"
                               "combine_compatible_schemas: yes\n"
                               "sample_size: 5\n";

static void check_full(const sl_crawler_def *d) {
    assert_string_equal(d->name, "sales-crawler");
    assert_string_equal(d->database, "Lake");
    assert_string_equal(d->description, "daily sales");
    assert_string_equal(d->table_prefix, "raw_");
    assert_int_equal(d->n_targets, 2);
    const sl_crawl_target *s3 = &d->targets[0], *ddb = &d->targets[1];
    assert_int_equal(s3->kind, SL_CRAWL_TARGET_PATH);
    assert_string_equal(s3->path, "s3://bucket/sales/");
    assert_int_equal(s3->n_exclusions, 2);
    assert_string_equal(s3->exclusions[1], "_archive/**");
    assert_int_equal(s3->sample_size, 10);
    assert_string_equal(s3->endpoint, "http://127.0.0.1:7480");
    assert_string_equal(s3->region, "eu-west-1");
    assert_null(s3->profile);
    assert_int_equal(ddb->kind, SL_CRAWL_TARGET_DYNAMODB);
    assert_string_equal(ddb->path, "Claims");
    assert_false(ddb->scan_all);
    assert_true(ddb->scan_rate == 0.25);
    assert_string_equal(ddb->profile, "test");
    assert_int_equal(d->update_behavior, SL_CRAWL_UPDATE_LOG);
    assert_int_equal(d->delete_behavior, SL_CRAWL_DELETE_FROM_DATABASE);
    assert_int_equal(d->recrawl, SL_CRAWL_EVERYTHING);
    assert_true(d->add_new_columns_only);
    assert_true(d->combine_compatible_schemas);
    assert_int_equal(d->sample_size, 5);
}

static void test_def_parse_and_round_trip(void **state) {
    (void)state;
    sl_crawler_def d;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_crawler_def_parse("c.yaml", FULL_DEF, strlen(FULL_DEF), &d, &err), 0);
    check_full(&d);
    sl_buf y;
    sl_buf_init(&y, SL_BUF_UNLIMITED);
    sl_crawler_def_yaml(&d, &y);
    sl_crawler_def back;
    if (sl_crawler_def_parse("back.yaml", y.data, y.len, &back, &err)) fail_msg("%s\n%s", err.message, y.data);
    check_full(&back);
    sl_buf_free(&y);
    sl_crawler_def_free(&back);
    sl_crawler_def_free(&d);
}

static void test_def_defaults(void **state) {
    (void)state;
    const char *text = "name: n\ndatabase: d\ntargets: [{path: /tmp/x}, {dynamodb: T}]\n";
    sl_crawler_def d;
    assert_int_equal(sl_crawler_def_parse("c.yaml", text, strlen(text), &d, NULL), 0);
    assert_int_equal(d.update_behavior, SL_CRAWL_UPDATE_IN_DATABASE);
    assert_int_equal(d.delete_behavior, SL_CRAWL_DEPRECATE_IN_DATABASE);
    assert_int_equal(d.recrawl, SL_CRAWL_EVERYTHING);
    assert_true(d.targets[1].scan_all); /* Glue's default */
    assert_true(d.targets[1].scan_rate == 0);
    sl_crawler_def_free(&d);

    /* new folders only: the policies become LOG */
    text = "name: n\ndatabase: d\nrecrawl: crawl-new-folders-only\ntargets: [{path: /tmp/x}]\n";
    assert_int_equal(sl_crawler_def_parse("c.yaml", text, strlen(text), &d, NULL), 0);
    assert_int_equal(d.recrawl, SL_CRAWL_NEW_FOLDERS_ONLY);
    assert_int_equal(d.update_behavior, SL_CRAWL_UPDATE_LOG);
    assert_int_equal(d.delete_behavior, SL_CRAWL_DELETE_LOG);

    /* the default name is stable for the same database and targets */
    free(d.name);
    d.name = NULL;
    char *n1 = sl_crawler_default_name(&d);
    char *n2 = sl_crawler_default_name(&d);
    assert_string_equal(n1, n2);
    assert_non_null(strstr(n1, "d-x-"));
    free(d.targets[0].path);
    d.targets[0].path = sl_xstrdup("/tmp/y");
    char *n3 = sl_crawler_default_name(&d);
    assert_string_not_equal(n1, n3);
    free(n1);
    free(n2);
    free(n3);
    sl_crawler_def_free(&d);
}

/* Parsing text fails with code, at line:column, with msg in the message. */
static void expect_error(const char *text, int code, int line, int column, const char *msg) {
    sl_crawler_def d;
    sl_error err;
    sl_error_clear(&err);
    int rc = sl_crawler_def_parse("bad.yaml", text, strlen(text), &d, &err);
    if (rc != code) fail_msg("wanted %d, got %d (%s) for:\n%s", code, rc, err.message, text);
    if (!strstr(err.message, msg)) fail_msg("'%s' not in '%s'", msg, err.message);
    assert_string_equal(err.file, "bad.yaml");
    if (line >= 0 && (err.line != line || err.column != column))
        fail_msg("at %d:%d, wanted %d:%d (%s)", err.line, err.column, line, column, err.message);
    assert_null(d.name); /* left empty */
}

static void test_def_errors(void **state) {
    (void)state;
    expect_error("", SL_EINVAL, 1, 1, "empty");
    expect_error("- a\n", SL_EINVAL, 1, 1, "is a mapping");
    expect_error("name: n\ndatabase: d\ntargets: [{path: x}]\ncolour: red\n", SL_EINVAL, 4, 1, "unknown key 'colour'");
    expect_error("name: n\ndatabase: d\ntargets:\n  - path: x\n    sample: 3\n", SL_EINVAL, 5, 5,
                 "unknown key 'sample' in a target");
    expect_error("name: n\ndatabase: d\n", SL_EINVAL, 1, 1, "no 'targets'");
    expect_error("database: d\ntargets: [{path: x}]\n", SL_EINVAL, 1, 1, "no 'name'");
    expect_error("name: n\ntargets: [{path: x}]\n", SL_EINVAL, 1, 1, "no 'database'");
    expect_error("name: n\ndatabase: d\ntargets: []\n", SL_EINVAL, 3, 10, "list of targets");
    expect_error("name: n\ndatabase: d\ntargets:\n  - {path: x, dynamodb: t}\n", SL_EINVAL, 4, 25, "not both");
    expect_error("name: n\ndatabase: d\ntargets:\n  - {exclusions: [a]}\n", SL_EINVAL, 4, 5, "needs 'path'");
    expect_error("name: n\ndatabase: d\ntargets:\n  - {path: x, sample_size: 300}\n", SL_EINVAL, 4, 28,
                 "between 1 and 249");
    expect_error("name: n\ndatabase: d\ntargets:\n  - {dynamodb: t, scan_rate: 2}\n", SL_EINVAL, 4, 30, "0.1 and 1.5");
    expect_error("name: n\ndatabase: d\ntargets:\n  - {dynamodb: t, scan_all: maybe}\n", SL_EINVAL, 4, 29,
                 "true or false");
    expect_error("name: n\ndatabase: d\ntargets:\n  - {dynamodb: t, exclusions: [a]}\n", SL_EINVAL, 4, 19,
                 "path targets only");
    expect_error("name: n\ndatabase: d\ntargets: [{path: x}]\nupdate_behavior: SOMETIMES\n", SL_EINVAL, 4, 18,
                 "UPDATE_IN_DATABASE or LOG");
    expect_error("name: [n]\ndatabase: d\ntargets: [{path: x}]\n", SL_EINVAL, 1, 7, "'name' must be text");
    expect_error("name: n\nname: m\n", SL_EINVAL, 2, 1, "duplicate key 'name'");
    expect_error("name: n\ndatabase: d\ntargets: [{path: x\n", SL_EINVAL, -1, -1, "invalid YAML");
    expect_error("name: &a n\ndatabase: *b\n", SL_EINVAL, 2, 11, "no anchor");
    expect_error("name: n\ndatabase: d\nrecrawl: CRAWL_NEW_FOLDERS_ONLY\nupdate_behavior: UPDATE_IN_DATABASE\n"
                 "targets: [{path: x}]\n",
                 SL_EINVAL, 0, 0, "needs update_behavior LOG");
    expect_error("name: n\ndatabase: d\nrecrawl: CRAWL_NEW_FOLDERS_ONLY\ndelete_behavior: DELETE_FROM_DATABASE\n"
                 "targets: [{path: x}]\n",
                 SL_EINVAL, 0, 0, "needs delete_behavior LOG");
    expect_error("name: n\ndatabase: d\ntargets: [{path: x, exclusions: [\"[abc\"]}]\n", SL_EINVAL, 0, 0, "[abc");
    expect_error("name: \"a\\nb\"\ndatabase: d\ntargets: [{path: x}]\n", SL_EINVAL, 0, 0, "control characters");
}

static void test_def_stored(void **state) {
    fixture *f = *state;
    sl_crawler_def d;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_crawler_def_get(f->cat, "nope", &d, &err), SL_ENOTFOUND);
    sl_catalog_crawler c = {.name = (char *)"sales-crawler", .definition = (char *)FULL_DEF};
    assert_int_equal(sl_catalog_put_crawler(f->cat, &c, 0, &err), 0);
    assert_int_equal(sl_crawler_def_get(f->cat, "sales-crawler", &d, &err), 0);
    check_full(&d);
    sl_crawler_def_free(&d);
    /* a damaged stored definition names the crawler */
    c.definition = (char *)"name: x\n";
    assert_int_equal(sl_catalog_put_crawler(f->cat, &c, SL_CATALOG_REPLACE, &err), 0);
    assert_int_equal(sl_crawler_def_get(f->cat, "sales-crawler", &d, &err), SL_EINVAL);
    assert_non_null(strstr(err.file, "crawler 'sales-crawler' (stored)"));
}

/* ================================================================== */
/* Crawls                                                              */
/* ================================================================== */

static void test_first_crawl(void **state) {
    fixture *f = *state;
    lake_fixture(f);
    sl_crawler_def d;
    def_init(&d, f, NULL);
    crawl_ok(f, &d);
    assert_int_equal(last.crawl.tables_created, 3);
    assert_int_equal(last.crawl.partitions_added, 2);
    assert_int_equal(last.objects_listed, 4);
    assert_int_equal(last.objects_classified, 4);
    assert_int_equal(last.get_requests, 4);
    assert_int_equal(result("sales")->action, SL_CRAWL_TABLE_CREATED);

    sl_catalog_table t = {0};
    get_table(f, "sales", &t);
    assert_string_equal(sl_catalog_params_get(&t.parameters, "classification"), "json");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "typeOfData"), "file");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "compressionType"), "none");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "UPDATED_BY_CRAWLER"), "c1");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "recordCount"), "3");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "objectCount"), "2");
    assert_non_null(sl_catalog_params_get(&t.parameters, "sizeKey"));
    assert_non_null(sl_catalog_params_get(&t.parameters, "averageRecordSize"));
    assert_string_equal(sl_catalog_params_get(&t.sd.parameters, "classification"), "json");
    assert_string_equal(t.sd.serde.serialization_library, "org.openx.data.jsonserde.JsonSerDe");
    assert_int_equal(t.partition_keys.count, 2);
    assert_string_equal(t.partition_keys.items[0].name, "year");
    assert_string_equal(t.partition_keys.items[1].type, "string");
    assert_string_equal(column_type(&t, "amount"), "int");
    char want[256];
    snprintf(want, sizeof want, "%s/sales/", f->data);
    assert_string_equal(t.sd.location, want);
    sl_catalog_table_free(&t);

    sl_catalog_partition p = {0};
    const char *vals[] = {"2024", "02"};
    assert_int_equal(sl_catalog_get_partition(f->cat, "lake", "sales", vals, 2, &p, NULL), 0);
    snprintf(want, sizeof want, "%s/sales/year=2024/month=02/", f->data);
    assert_string_equal(p.sd.location, want);
    assert_string_equal(sl_catalog_params_get(&p.parameters, "recordCount"), "1");
    assert_true(p.sd.columns.count == 3);
    sl_catalog_partition_free(&p);

    get_table(f, "people", &t);
    assert_string_equal(sl_catalog_params_get(&t.parameters, "classification"), "csv");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "delimiter"), "|");
    assert_string_equal(sl_catalog_params_get(&t.parameters, "skip.header.line.count"), "1");
    assert_string_equal(sl_catalog_params_get(&t.sd.serde.parameters, "field.delim"), "|");
    assert_string_equal(column_type(&t, "age"), "bigint");
    sl_catalog_table_free(&t);

    /* the crawl is in the history, with its counts */
    sl_catalog_crawl_list l = {0};
    assert_int_equal(sl_catalog_list_crawls(f->cat, "c1", 0, &l, NULL), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].status, "COMPLETED");
    assert_int_equal(l.items[0].tables_created, 3);
    assert_non_null(strstr(l.items[0].changes_json, "\"Action\":\"CREATED\""));
    sl_catalog_crawl_list_free(&l);

    /* the report as JSON */
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    assert_int_equal(sl_crawl_report_json(&last, &b), 0);
    assert_non_null(strstr(b.data, "\"State\":\"COMPLETED\""));
    assert_non_null(strstr(b.data, "\"Requests\":{\"List\":1,\"Get\":4,\"DynamoDB\":0}"));
    assert_non_null(strstr(b.data, "\"Name\":\"sales\",\"Action\":\"CREATED\""));
    sl_buf_free(&b);

    /* the same data again: nothing changes, no new version */
    crawl_ok(f, &d);
    assert_int_equal(last.crawl.tables_created + last.crawl.tables_updated + last.crawl.partitions_added, 0);
    assert_int_equal(result("sales")->action, SL_CRAWL_TABLE_UNCHANGED);
    get_table(f, "sales", &t);
    assert_int_equal(t.version_id, 0);
    sl_catalog_table_free(&t);
    assert_string_equal(last.crawl.changes_json, "[]");
    sl_crawler_def_free(&d);
}

static void test_schema_drift_update(void **state) {
    fixture *f = *state;
    lake_fixture(f);
    sl_crawler_def d;
    def_init(&d, f, NULL);
    crawl_ok(f, &d);

    /* a column added, int widened to double, a new partition */
    put(f, "sales/year=2024/month=03/a.json", "{\"id\":4,\"amount\":2.5,\"item\":\"cup\",\"discount\":0.1}\n");
    /* a type conflict in people: age is a number and text */
    put(f, "people/people.csv", "id|name|age\n1|ann|30\n2|bob|unknown\n");
    crawl_ok(f, &d);
    assert_int_equal(last.crawl.tables_updated, 2);
    assert_int_equal(last.crawl.partitions_added, 1);
    assert_int_equal(result("sales")->action, SL_CRAWL_TABLE_UPDATED);
    sl_catalog_table t = {0};
    get_table(f, "sales", &t);
    assert_int_equal(t.version_id, 1);
    assert_string_equal(column_type(&t, "amount"), "double");
    assert_string_equal(column_type(&t, "discount"), "double");
    sl_catalog_table_free(&t);
    get_table(f, "people", &t);
    assert_string_equal(column_type(&t, "age"), "string");
    sl_catalog_table_free(&t);
    const char *ch = last.crawl.changes_json;
    assert_non_null(strstr(ch, "\"Change\":\"ADDED\",\"Name\":\"discount\""));
    assert_non_null(strstr(ch, "\"Name\":\"amount\",\"OldType\":\"int\",\"NewType\":\"double\""));
    assert_non_null(strstr(ch, "\"Name\":\"age\",\"OldType\":\"bigint\",\"NewType\":\"string\""));
    /* the partitions disagree on amount: recorded as a conflict */
    assert_non_null(strstr(ch, "\"TypeConflicts\":[{\"Column\":\"amount\""));
    assert_non_null(strstr(result("sales")->note, "+discount double"));

    /* a partition folder removed: the partition goes (DEPRECATE_IN_DATABASE) */
    rm(f, "sales/year=2024/month=01");
    crawl_ok(f, &d);
    assert_int_equal(last.crawl.partitions_removed, 1);
    assert_int_equal(partitions(f, "sales"), 2);

    /* a table's folder removed: deprecated, then back */
    rm(f, "people");
    crawl_ok(f, &d);
    assert_int_equal(last.crawl.tables_deprecated, 1);
    assert_int_equal(result("people")->action, SL_CRAWL_TABLE_DEPRECATED);
    get_table(f, "people", &t);
    assert_true(t.deprecated);
    sl_catalog_table_free(&t);
    crawl_ok(f, &d); /* deprecated once only */
    assert_int_equal(last.crawl.tables_deprecated, 0);
    put(f, "people/people.csv", "id|name|age\n1|ann|30\n2|bob|unknown\n");
    crawl_ok(f, &d);
    get_table(f, "people", &t);
    assert_false(t.deprecated);
    sl_catalog_table_free(&t);
    sl_crawler_def_free(&d);
}

static void test_update_log_and_delete(void **state) {
    fixture *f = *state;
    lake_fixture(f);
    sl_crawler_def d;
    def_init(&d, f, NULL);
    crawl_ok(f, &d);

    d.update_behavior = SL_CRAWL_UPDATE_LOG;
    d.delete_behavior = SL_CRAWL_DELETE_LOG;
    put(f, "sales/year=2024/month=03/a.json", "{\"id\":4,\"amount\":2.5,\"item\":\"cup\",\"discount\":0.1}\n");
    rm(f, "sales/year=2024/month=01");
    rm(f, "people");
    crawl_ok(f, &d);
    /* new partitions are added whatever the policy; nothing else moves */
    assert_int_equal(last.crawl.partitions_added, 1);
    assert_int_equal(last.crawl.tables_updated + last.crawl.tables_deprecated + last.crawl.partitions_removed, 0);
    assert_int_equal(result("sales")->action, SL_CRAWL_TABLE_LOGGED);
    assert_int_equal(result("people")->action, SL_CRAWL_TABLE_GONE_LOGGED);
    assert_non_null(strstr(last.crawl.changes_json, "\"Action\":\"CHANGE_LOGGED\""));
    assert_non_null(strstr(last.crawl.changes_json, "\"Action\":\"REMOVAL_LOGGED\""));
    sl_catalog_table t = {0};
    get_table(f, "sales", &t);
    assert_int_equal(t.version_id, 0);
    assert_null(column_type(&t, "discount"));
    assert_string_equal(column_type(&t, "amount"), "int");
    sl_catalog_table_free(&t);
    assert_int_equal(partitions(f, "sales"), 3);
    get_table(f, "people", &t);
    assert_false(t.deprecated);
    sl_catalog_table_free(&t);

    /* DELETE_FROM_DATABASE: the table and the gone partition go */
    d.update_behavior = SL_CRAWL_UPDATE_IN_DATABASE;
    d.delete_behavior = SL_CRAWL_DELETE_FROM_DATABASE;
    crawl_ok(f, &d);
    assert_int_equal(last.crawl.tables_deleted, 1);
    assert_int_equal(last.crawl.partitions_removed, 1);
    assert_false(table_exists(f, "people"));
    assert_int_equal(partitions(f, "sales"), 2);
    sl_crawler_def_free(&d);
}

static void test_add_new_columns_only(void **state) {
    fixture *f = *state;
    put(f, "t/a.json", "{\"id\":1,\"x\":1,\"gone\":\"g\"}\n");
    sl_crawler_def d;
    def_init(&d, f, "t");
    d.add_new_columns_only = true;
    crawl_ok(f, &d);
    put(f, "t/a.json", "{\"id\":1,\"x\":\"now text\",\"extra\":true}\n");
    crawl_ok(f, &d);
    assert_int_equal(result("t")->action, SL_CRAWL_TABLE_UPDATED);
    sl_catalog_table t = {0};
    get_table(f, "t", &t);
    assert_string_equal(column_type(&t, "x"), "int");       /* kept */
    assert_string_equal(column_type(&t, "gone"), "string"); /* kept */
    assert_string_equal(column_type(&t, "extra"), "boolean");
    assert_int_equal(t.sd.columns.count, 4);
    sl_catalog_table_free(&t);
    /* a changed format deprecates the table, as Glue does */
    put(f, "t/a.json", "a,b\n1,2\n3,4\n");
    crawl_ok(f, &d);
    assert_int_equal(result("t")->action, SL_CRAWL_TABLE_DEPRECATED);
    get_table(f, "t", &t);
    assert_true(t.deprecated);
    assert_string_equal(sl_catalog_params_get(&t.parameters, "classification"), "json");
    sl_catalog_table_free(&t);
    sl_crawler_def_free(&d);
}

static void test_new_folders_only(void **state) {
    fixture *f = *state;
    put(f, "ev/dt=2024-01-01/a.json", "{\"a\":1,\"b\":\"x\"}\n");
    put(f, "ev/dt=2024-01-02/a.json", "{\"a\":2,\"b\":\"y\"}\n");
    sl_crawler_def d;
    memset(&d, 0, sizeof d);
    d.name = sl_xstrdup("inc");
    d.database = sl_xstrdup("lake");
    d.recrawl = SL_CRAWL_NEW_FOLDERS_ONLY;
    char path[256];
    snprintf(path, sizeof path, "%s/ev", f->data);
    sl_crawler_def_add_target(&d, SL_CRAWL_TARGET_PATH, path);
    assert_int_equal(sl_crawler_def_check(&d, NULL), 0);
    crawl_ok(f, &d); /* the first crawl reads everything */
    assert_int_equal(last.crawl.tables_created, 1);
    assert_int_equal(last.objects_classified, 2);
    sl_catalog_params st = {0};
    assert_int_equal(sl_catalog_state_list(f->cat, "inc", "folder:", &st, NULL), 0);
    assert_int_equal(st.count, 2);
    sl_catalog_params_free(&st);

    /* a new folder with a wider schema, an old one rewritten */
    put(f, "ev/dt=2024-01-03/a.json", "{\"a\":3.5,\"b\":\"z\",\"c\":true}\n");
    put(f, "ev/dt=2024-01-01/a.json", "{\"a\":\"changed\"}\n");
    crawl_ok(f, &d);
    assert_int_equal(last.objects_classified, 1);
    assert_int_equal(last.get_requests, 1);
    assert_int_equal(last.objects_skipped, 2);
    assert_int_equal(last.crawl.partitions_added, 1);
    assert_int_equal(last.crawl.tables_updated, 0);
    assert_int_equal(result("ev")->action, SL_CRAWL_TABLE_LOGGED);
    assert_int_equal(partitions(f, "ev"), 3);
    sl_catalog_table t = {0};
    get_table(f, "ev", &t);
    assert_string_equal(column_type(&t, "a"), "int"); /* never changed */
    assert_null(column_type(&t, "c"));
    sl_catalog_table_free(&t);

    /* nothing new: nothing read, nothing removed even when a folder goes */
    rm(f, "ev/dt=2024-01-02");
    crawl_ok(f, &d);
    assert_int_equal(last.get_requests, 0);
    assert_int_equal(partitions(f, "ev"), 3);
    sl_crawler_def_free(&d);
}

static void test_exclusions_and_samples(void **state) {
    fixture *f = *state;
    put(f, "logs/a.json", "{\"x\":1}\n");
    put(f, "logs/b.json", "{\"x\":2}\n");
    put(f, "logs/c.json", "{\"x\":3}\n");
    put(f, "logs/skip.tmp", "{\"y\":1}\n");
    put(f, "logs/_SUCCESS", "");
    sl_crawler_def d;
    def_init(&d, f, "logs");
    d.targets[0].exclusions = sl_xcalloc(1, sizeof(char *));
    d.targets[0].exclusions[d.targets[0].n_exclusions++] = sl_xstrdup("*.tmp");
    d.targets[0].sample_size = 1;
    crawl_ok(f, &d);
    assert_int_equal(last.objects_listed, 4); /* _SUCCESS is never listed */
    assert_int_equal(last.objects_classified, 1);
    assert_int_equal(last.get_requests, 1);
    assert_int_equal(last.objects_skipped, 1);
    assert_non_null(strstr(last.skipped[0].key, "skip.tmp"));
    sl_catalog_table t = {0};
    get_table(f, "logs", &t);
    assert_null(column_type(&t, "y"));
    assert_string_equal(sl_catalog_params_get(&t.parameters, "objectCount"), "3");
    sl_catalog_table_free(&t);
    sl_crawler_def_free(&d);
}

static void test_name_clash_and_prefix(void **state) {
    fixture *f = *state;
    /* a table a user registered elsewhere under the name the crawler would pick */
    sl_catalog_database db = {.name = (char *)"lake"};
    assert_int_equal(sl_catalog_create_database(f->cat, &db, 0, NULL), 0);
    sl_catalog_table mine = {0};
    mine.database = sl_xstrdup("lake");
    mine.name = sl_xstrdup("t");
    mine.sd.location = sl_xstrdup("s3://elsewhere/t/");
    assert_int_equal(sl_catalog_create_table(f->cat, &mine, NULL), 0);
    sl_catalog_table_free(&mine);
    put(f, "t/a.json", "{\"x\":1}\n");
    sl_crawler_def d;
    def_init(&d, f, "t");
    crawl_ok(f, &d);
    assert_int_equal(last.n_tables, 1);
    assert_true(strncmp(last.tables[0].name, "t_", 2) == 0 && strlen(last.tables[0].name) == 10);
    get_table(f, "t", &mine); /* untouched */
    assert_string_equal(mine.sd.location, "s3://elsewhere/t/");
    sl_catalog_table_free(&mine);
    /* the second crawl finds its own table under the hashed name */
    crawl_ok(f, &d);
    assert_int_equal(last.tables[0].action, SL_CRAWL_TABLE_UNCHANGED);
    assert_int_equal(last.crawl.tables_created, 0);

    sl_crawler_def p;
    def_init(&p, f, "t");
    free(p.name);
    p.name = sl_xstrdup("c2");
    p.table_prefix = sl_xstrdup("Raw-");
    crawl_ok(f, &p);
    assert_string_equal(last.tables[0].name, "raw_t");
    sl_crawler_def_free(&p);
    sl_crawler_def_free(&d);
}

static void test_failed_crawl_changes_nothing(void **state) {
    fixture *f = *state;
    lake_fixture(f);
    sl_crawler_def d;
    def_init(&d, f, NULL);
    char missing[256];
    snprintf(missing, sizeof missing, "%s/no-such-folder", f->dir);
    sl_crawler_def_add_target(&d, SL_CRAWL_TARGET_PATH, missing);
    sl_crawl_report rep;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_crawler_run(f->cat, &d, NULL, &rep, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "no-such-folder"));
    assert_string_equal(rep.crawl.status, "FAILED");
    assert_int_equal(rep.n_tables, 0);
    sl_crawl_report_free(&rep);
    assert_false(table_exists(f, "sales"));
    sl_catalog_crawl_list l = {0};
    assert_int_equal(sl_catalog_list_crawls(f->cat, "c1", 0, &l, NULL), 0);
    assert_int_equal(l.count, 1);
    assert_string_equal(l.items[0].status, "FAILED");
    assert_non_null(strstr(l.items[0].message, "no-such-folder"));
    assert_int_equal(l.items[0].tables_created, 0);
    assert_true(l.items[0].end_time > 0);
    sl_catalog_crawl_list_free(&l);
    sl_crawler_def_free(&d);
}

static void test_stopped_crawl(void **state) {
    fixture *f = *state;
    lake_fixture(f);
    sl_crawler_def d;
    def_init(&d, f, NULL);
    volatile sig_atomic_t stop = 1;
    sl_crawl_opts o = {.threads = 2, .cancel = &stop};
    sl_crawl_report rep;
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_crawler_run(f->cat, &d, &o, &rep, &err), SL_ELIMIT);
    assert_non_null(strstr(err.message, "stopped"));
    assert_string_equal(rep.crawl.status, "STOPPED");
    assert_int_equal(rep.objects_classified, 0);
    sl_crawl_report_free(&rep);
    assert_false(table_exists(f, "sales"));
    sl_catalog_crawl_list l = {0};
    assert_int_equal(sl_catalog_list_crawls(f->cat, "c1", 0, &l, NULL), 0);
    assert_string_equal(l.items[0].status, "STOPPED");
    sl_catalog_crawl_list_free(&l);
    sl_crawler_def_free(&d);
}

static void test_compressed_and_single_file(void **state) {
    fixture *f = *state;
    put(f, "one/data.json", "{\"k\":\"v\"}\n");
    sl_crawler_def d;
    def_init(&d, f, "one/data.json"); /* a target that is one file */
    crawl_ok(f, &d);
    assert_int_equal(last.n_tables, 1);
    assert_int_equal(last.objects_classified, 1);
    char want[512];
    snprintf(want, sizeof want, "%s/one/data.json", f->data);
    assert_string_equal(last.tables[0].location, want);
    sl_crawler_def_free(&d);

    /* gzip: compressionType gzip, compressed storage */
    char path[512];
    snprintf(path, sizeof path, "%s/gz", f->data);
    assert_int_equal(sl_mkdirs(path, NULL), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "printf '{\"a\":1}\\n{\"a\":2}\\n' | gzip -c > %s/x.json.gz", path);
    assert_int_equal(system(cmd), 0);
    def_init(&d, f, "gz");
    free(d.name);
    d.name = sl_xstrdup("gz");
    crawl_ok(f, &d);
    sl_catalog_table t = {0};
    get_table(f, "gz", &t);
    assert_string_equal(sl_catalog_params_get(&t.parameters, "compressionType"), "gzip");
    assert_true(t.sd.compressed);
    sl_catalog_table_free(&t);
    sl_crawler_def_free(&d);
}

static int teardown_all(void **state) {
    (void)state;
    sl_crawl_report_free(&last);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_def_parse_and_round_trip),
        cmocka_unit_test(test_def_defaults),
        cmocka_unit_test(test_def_errors),
        cmocka_unit_test_setup_teardown(test_def_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_crawl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_drift_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_log_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_new_columns_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_folders_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusions_and_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_clash_and_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_crawl_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stopped_crawl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compressed_and_single_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
