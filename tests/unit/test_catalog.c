/* test_catalog.c — the data catalog store (catalog/catalog.h): CRUD of every
 * object, table versions and schema differences, partition batches,
 * connections refusing secrets, crawler state and crawl history, Glue JSON
 * shapes (and their round trip), migrations, damaged and foreign files, a
 * newer schema, nested transactions, and concurrent writers and readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "core/fsutil.h"
#include "core/mem.h"
#include "formats/json.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    sl_catalog *cat;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sluice-test-catalog-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    /* a parent directory that does not exist yet: open creates it */
    snprintf(f->path, sizeof f->path, "%s/data/catalog.db", f->dir);
    sl_error err;
    sl_error_clear(&err);
    if (sl_catalog_open(f->path, 0, &f->cat, &err)) {
        fprintf(stderr, "open: %s\n", err.message);
        return -1;
    }
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

#define OK(call)                                                                                                       \
    do {                                                                                                               \
        sl_error e_;                                                                                                   \
        sl_error_clear(&e_);                                                                                           \
        sl_error *err = &e_;                                                                                           \
        (void)err;                                                                                                     \
        int rc_ = (call);                                                                                              \
        if (rc_) fail_msg("%s: %d %s", #call, rc_, e_.message);                                                        \
    } while (0)

/* Expect status code; the message is left in last_error. */
static sl_error last_error;
#define FAILS(code, call)                                                                                              \
    do {                                                                                                               \
        sl_error_clear(&last_error);                                                                                   \
        sl_error *err = &last_error;                                                                                   \
        (void)err;                                                                                                     \
        int rc_ = (call);                                                                                              \
        if (rc_ != (code)) fail_msg("%s: wanted %d, got %d (%s)", #call, (code), rc_, last_error.message);             \
    } while (0)

static void create_db(sl_catalog *cat, const char *name) {
    sl_catalog_database db = {.name = (char *)name, .description = (char *)"test data"};
    OK(sl_catalog_create_database(cat, &db, 0, err));
}

/* A crawler-like table: json, two columns, partitioned by year/month. */
static void make_table(sl_catalog_table *t, const char *db, const char *name) {
    memset(t, 0, sizeof *t);
    t->database = sl_xstrdup(db);
    t->name = sl_xstrdup(name);
    t->owner = sl_xstrdup("owner");
    sl_catalog_params_set(&t->parameters, "classification", "json");
    sl_catalog_params_set(&t->parameters, "recordCount", "42");
    sl_catalog_params_set(&t->parameters, "UPDATED_BY_CRAWLER", "logs-crawler");
    sl_catalog_columns_add(&t->sd.columns, "id", "bigint", NULL);
    sl_catalog_columns_add(&t->sd.columns, "tags", "array<struct<a:string>>", "free-form");
    t->sd.location = sl_xstrdup("s3://bucket/logs/");
    t->sd.input_format = sl_xstrdup("org.apache.hadoop.mapred.TextInputFormat");
    t->sd.output_format = sl_xstrdup("org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
    t->sd.number_of_buckets = -1;
    t->sd.serde.serialization_library = sl_xstrdup("org.openx.data.jsonserde.JsonSerDe");
    sl_catalog_params_set(&t->sd.serde.parameters, "paths", "id,tags");
    sl_catalog_params_set(&t->sd.parameters, "classification", "json");
    sl_catalog_columns_add(&t->partition_keys, "year", "string", NULL);
    sl_catalog_columns_add(&t->partition_keys, "month", "string", NULL);
}

/* ---- databases ---- */

static void test_databases(void **state) {
    fixture *f = *state;
    assert_true(sl_exists(f->path));
    sl_catalog_database db = {.name = (char *)"Sales", .location_uri = (char *)"s3://bucket/sales/"};
    sl_catalog_params_set(&db.parameters, "team", "finance");
    OK(sl_catalog_create_database(f->cat, &db, 0, err));
    FAILS(SL_EINVAL, sl_catalog_create_database(f->cat, &db, 0, err));
    assert_non_null(strstr(last_error.message, "'sales' already exists"));
    OK(sl_catalog_create_database(f->cat, &db, SL_CATALOG_IF_NOT_EXISTS, err));
    sl_catalog_params_free(&db.parameters);
    create_db(f->cat, "analytics");

    sl_catalog_database got;
    OK(sl_catalog_get_database(f->cat, "SALES", &got, err));
    assert_string_equal(got.name, "sales");
    assert_string_equal(got.location_uri, "s3://bucket/sales/");
    assert_string_equal(sl_catalog_params_get(&got.parameters, "team"), "finance");
    assert_true(got.create_time > 0);
    free(got.description);
    got.description = sl_xstrdup("changed");
    OK(sl_catalog_update_database(f->cat, &got, err));
    int64_t created = got.create_time;
    sl_catalog_database_free(&got);
    OK(sl_catalog_get_database(f->cat, "sales", &got, err));
    assert_string_equal(got.description, "changed");
    assert_int_equal(got.create_time, created);
    sl_catalog_database_free(&got);

    sl_catalog_database_list l;
    OK(sl_catalog_list_databases(f->cat, &l, err));
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].name, "analytics");
    assert_string_equal(l.items[1].name, "sales");
    sl_catalog_database_list_free(&l);

    /* a database with tables needs cascade */
    sl_catalog_table t;
    make_table(&t, "sales", "orders");
    OK(sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table_free(&t);
    FAILS(SL_EINVAL, sl_catalog_delete_database(f->cat, "sales", false, err));
    assert_non_null(strstr(last_error.message, "holds 1 table"));
    OK(sl_catalog_delete_database(f->cat, "sales", true, err));
    FAILS(SL_ENOTFOUND, sl_catalog_get_database(f->cat, "sales", &got, err));
    assert_string_equal(last_error.message, "database 'sales' not found");
    FAILS(SL_ENOTFOUND, sl_catalog_delete_database(f->cat, "sales", true, err));
    sl_catalog_database bad = {.name = (char *)""};
    FAILS(SL_EINVAL, sl_catalog_create_database(f->cat, &bad, 0, err));
    bad.name = (char *)"a\nb";
    FAILS(SL_EINVAL, sl_catalog_create_database(f->cat, &bad, 0, err));
}

/* ---- tables and versions ---- */

static void test_tables_and_versions(void **state) {
    fixture *f = *state;
    create_db(f->cat, "logs");
    sl_catalog_table t;
    make_table(&t, "LOGS", "App_Events");
    FAILS(SL_ENOTFOUND, (free(t.database), t.database = sl_xstrdup("nodb"), sl_catalog_create_table(f->cat, &t, err)));
    assert_string_equal(last_error.message, "database 'nodb' not found");
    free(t.database);
    t.database = sl_xstrdup("LOGS");
    OK(sl_catalog_create_table(f->cat, &t, err));
    FAILS(SL_EINVAL, sl_catalog_create_table(f->cat, &t, err));
    assert_string_equal(last_error.message, "table 'logs.app_events' already exists");

    sl_catalog_table got;
    OK(sl_catalog_get_table(f->cat, "logs", "app_events", &got, err));
    assert_string_equal(got.database, "logs");
    assert_string_equal(got.name, "app_events");
    assert_string_equal(got.table_type, "EXTERNAL_TABLE");
    assert_string_equal(got.owner, "owner");
    assert_int_equal(got.version_id, 0);
    assert_true(got.create_time > 0 && got.update_time == got.create_time);
    assert_int_equal(got.sd.columns.count, 2);
    assert_string_equal(got.sd.columns.items[1].type, "array<struct<a:string>>");
    assert_string_equal(got.sd.columns.items[1].comment, "free-form");
    assert_null(got.sd.columns.items[0].comment);
    assert_string_equal(got.sd.location, "s3://bucket/logs/");
    assert_string_equal(got.sd.serde.serialization_library, "org.openx.data.jsonserde.JsonSerDe");
    assert_string_equal(sl_catalog_params_get(&got.sd.serde.parameters, "paths"), "id,tags");
    assert_int_equal(got.sd.number_of_buckets, -1);
    assert_int_equal(got.partition_keys.count, 2);
    assert_string_equal(got.partition_keys.items[1].name, "month");
    assert_string_equal(sl_catalog_params_get(&got.parameters, "classification"), "json");
    assert_false(got.deprecated);

    /* update: a column added, one widened */
    sl_catalog_columns_add(&got.sd.columns, "level", "string", NULL);
    free(got.sd.columns.items[0].type);
    got.sd.columns.items[0].type = sl_xstrdup("double");
    int64_t v = -1;
    OK(sl_catalog_update_table(f->cat, &got, 0, &v, err));
    assert_int_equal(v, 1);
    /* second update removes tags */
    sl_catalog_table_free(&got);
    OK(sl_catalog_get_table(f->cat, "logs", "app_events", &got, err));
    assert_int_equal(got.version_id, 1);
    assert_int_equal(got.sd.columns.count, 3);
    free(got.sd.columns.items[1].name);
    free(got.sd.columns.items[1].type);
    free(got.sd.columns.items[1].comment);
    memmove(&got.sd.columns.items[1], &got.sd.columns.items[2], sizeof got.sd.columns.items[0]);
    got.sd.columns.count--;
    OK(sl_catalog_update_table(f->cat, &got, 0, &v, err));
    assert_int_equal(v, 2);
    /* a skip-archive update overwrites version 2 */
    sl_catalog_params_set(&got.parameters, "recordCount", "43");
    OK(sl_catalog_update_table(f->cat, &got, SL_CATALOG_SKIP_ARCHIVE, &v, err));
    assert_int_equal(v, 2);
    sl_catalog_table_free(&got);

    sl_catalog_table_list versions;
    OK(sl_catalog_list_table_versions(f->cat, "logs", "app_events", &versions, err));
    assert_int_equal(versions.count, 3);
    for (size_t i = 0; i < versions.count; i++)
        assert_int_equal(versions.items[i].version_id, (int64_t)i);
    assert_string_equal(sl_catalog_params_get(&versions.items[2].parameters, "recordCount"), "43");
    assert_string_equal(sl_catalog_params_get(&versions.items[1].parameters, "recordCount"), "42");

    sl_catalog_schema_diff d;
    sl_catalog_diff_tables(&versions.items[0], &versions.items[1], &d);
    assert_int_equal(d.count, 2);
    assert_int_equal(d.items[0].kind, SL_CATALOG_COLUMN_TYPE_CHANGED);
    assert_string_equal(d.items[0].name, "id");
    assert_string_equal(d.items[0].old_type, "bigint");
    assert_string_equal(d.items[0].new_type, "double");
    assert_int_equal(d.items[1].kind, SL_CATALOG_COLUMN_ADDED);
    assert_string_equal(d.items[1].name, "level");
    sl_buf b;
    sl_buf_init(&b, 0);
    OK(sl_catalog_schema_diff_json(&d, &b));
    assert_string_equal(b.data, "[{\"Change\":\"TYPE_CHANGED\",\"Name\":\"id\",\"OldType\":\"bigint\",\"NewType\":"
                                "\"double\"},{\"Change\":\"ADDED\",\"Name\":\"level\",\"NewType\":\"string\"}]");
    sl_buf_free(&b);
    sl_catalog_schema_diff_free(&d);
    sl_catalog_diff_tables(&versions.items[1], &versions.items[2], &d);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.items[0].kind, SL_CATALOG_COLUMN_REMOVED);
    assert_string_equal(d.items[0].name, "tags");
    sl_catalog_schema_diff_free(&d);
    sl_catalog_table_list_free(&versions);

    sl_catalog_table old;
    OK(sl_catalog_get_table_version(f->cat, "logs", "app_events", 0, &old, err));
    assert_string_equal(old.sd.columns.items[0].type, "bigint");
    sl_catalog_table_free(&old);
    FAILS(SL_ENOTFOUND, sl_catalog_get_table_version(f->cat, "logs", "app_events", 7, &old, err));

    /* deprecation: no new version, flag and time kept */
    OK(sl_catalog_deprecate_table(f->cat, "logs", "app_events", true, err));
    OK(sl_catalog_get_table(f->cat, "logs", "app_events", &got, err));
    assert_true(got.deprecated);
    assert_true(got.deprecated_time > 0);
    assert_int_equal(got.version_id, 2);
    assert_null(sl_catalog_params_get(&got.parameters, "DEPRECATED"));
    sl_catalog_table_free(&got);
    OK(sl_catalog_deprecate_table(f->cat, "logs", "app_events", false, err));
    OK(sl_catalog_get_table(f->cat, "logs", "app_events", &got, err));
    assert_false(got.deprecated);
    sl_catalog_table_free(&got);

    /* list, delete, not found */
    sl_catalog_table t2;
    make_table(&t2, "logs", "aaa");
    OK(sl_catalog_create_table(f->cat, &t2, err));
    sl_catalog_table_free(&t2);
    sl_catalog_table_list l;
    OK(sl_catalog_list_tables(f->cat, "logs", &l, err));
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].name, "aaa");
    assert_string_equal(l.items[1].name, "app_events");
    sl_catalog_table_list_free(&l);
    FAILS(SL_ENOTFOUND, sl_catalog_list_tables(f->cat, "nope", &l, err));
    OK(sl_catalog_delete_table(f->cat, "logs", "app_events", err));
    FAILS(SL_ENOTFOUND, sl_catalog_get_table(f->cat, "logs", "app_events", &got, err));
    assert_string_equal(last_error.message, "table 'logs.app_events' not found");
    FAILS(SL_ENOTFOUND, sl_catalog_list_table_versions(f->cat, "logs", "app_events", &l, err));
    FAILS(SL_ENOTFOUND, sl_catalog_update_table(f->cat, &t, 0, NULL, err));
    FAILS(SL_ENOTFOUND, sl_catalog_delete_table(f->cat, "logs", "app_events", err));
    sl_catalog_table_free(&t);

    /* a nameless column is refused */
    make_table(&t, "logs", "bad");
    free(t.sd.columns.items[0].name);
    t.sd.columns.items[0].name = sl_xstrdup("");
    FAILS(SL_EINVAL, sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table_free(&t);
}

/* ---- partitions ---- */

static void make_partition(sl_catalog_partition *p, const char *year, const char *month) {
    memset(p, 0, sizeof *p);
    const char *values[] = {year, month};
    sl_catalog_partition_set_values(p, values, 2);
    char loc[128];
    snprintf(loc, sizeof loc, "s3://bucket/logs/year=%s/month=%s/", year, month);
    p->sd.location = sl_xstrdup(loc);
    sl_catalog_columns_add(&p->sd.columns, "id", "bigint", NULL);
    sl_catalog_params_set(&p->parameters, "recordCount", "10");
}

static void test_partitions(void **state) {
    fixture *f = *state;
    create_db(f->cat, "logs");
    sl_catalog_table t;
    make_table(&t, "logs", "events");
    OK(sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table_free(&t);

    enum { N = 120 };
    sl_catalog_partition parts[N];
    for (int i = 0; i < N; i++) {
        char year[16], month[16];
        snprintf(year, sizeof year, "%d", 2020 + i / 12);
        snprintf(month, sizeof month, "%02d", 1 + i % 12);
        make_partition(&parts[i], year, month);
    }
    size_t added = 0, updated = 0;
    OK(sl_catalog_add_partitions(f->cat, "logs", "events", parts, N, SL_CATALOG_EXISTING_SKIP, &added, &updated, err));
    assert_int_equal(added, N);
    assert_int_equal(updated, 0);
    int64_t count = 0;
    OK(sl_catalog_count_partitions(f->cat, "logs", "events", &count, err));
    assert_int_equal(count, N);

    /* again: skipped, then updated (create time kept), then refused */
    OK(sl_catalog_add_partitions(f->cat, "logs", "events", parts, 3, SL_CATALOG_EXISTING_SKIP, &added, &updated, err));
    assert_int_equal(added + updated, 0);
    sl_catalog_partition before;
    const char *v0[] = {"2020", "01"};
    OK(sl_catalog_get_partition(f->cat, "logs", "events", v0, 2, &before, err));
    sl_catalog_params_set(&parts[0].parameters, "recordCount", "99");
    OK(sl_catalog_add_partitions(f->cat, "logs", "events", parts, 1, SL_CATALOG_EXISTING_UPDATE, &added, &updated,
                                 err));
    assert_int_equal(updated, 1);
    FAILS(SL_EINVAL,
          sl_catalog_add_partitions(f->cat, "logs", "events", parts, 1, SL_CATALOG_EXISTING_FAIL, NULL, NULL, err));

    sl_catalog_partition got;
    OK(sl_catalog_get_partition(f->cat, "logs", "events", v0, 2, &got, err));
    assert_string_equal(sl_catalog_params_get(&got.parameters, "recordCount"), "99");
    assert_int_equal(got.create_time, before.create_time);
    assert_string_equal(got.database, "logs");
    assert_string_equal(got.table, "events");
    assert_string_equal(got.sd.location, "s3://bucket/logs/year=2020/month=01/");
    assert_int_equal(got.n_values, 2);
    sl_catalog_partition_free(&got);
    sl_catalog_partition_free(&before);
    const char *missing[] = {"1999", "01"};
    FAILS(SL_ENOTFOUND, sl_catalog_get_partition(f->cat, "logs", "events", missing, 2, &got, err));
    assert_string_equal(last_error.message, "table 'logs.events' has no partition '1999/01'");

    /* a batch with one bad partition adds nothing */
    sl_catalog_partition mixed[2];
    make_partition(&mixed[0], "2031", "01");
    memset(&mixed[1], 0, sizeof mixed[1]);
    const char *one[] = {"2031"};
    sl_catalog_partition_set_values(&mixed[1], one, 1);
    FAILS(SL_EINVAL,
          sl_catalog_add_partitions(f->cat, "logs", "events", mixed, 2, SL_CATALOG_EXISTING_SKIP, NULL, NULL, err));
    assert_non_null(strstr(last_error.message, "has 1 value; the table has 2 partition keys"));
    OK(sl_catalog_count_partitions(f->cat, "logs", "events", &count, err));
    assert_int_equal(count, N);
    sl_catalog_partition_free(&mixed[0]);
    sl_catalog_partition_free(&mixed[1]);

    /* list all (ordered by values) and by a prefix of values */
    sl_catalog_partition_list l;
    OK(sl_catalog_list_partitions(f->cat, "logs", "events", NULL, 0, &l, err));
    assert_int_equal(l.count, N);
    assert_string_equal(l.items[0].values[0], "2020");
    assert_string_equal(l.items[0].values[1], "01");
    assert_string_equal(l.items[N - 1].values[0], "2029");
    assert_string_equal(l.items[N - 1].values[1], "12");
    sl_catalog_partition_list_free(&l);
    const char *y2021[] = {"2021"};
    OK(sl_catalog_list_partitions(f->cat, "logs", "events", y2021, 1, &l, err));
    assert_int_equal(l.count, 12);
    for (size_t i = 0; i < l.count; i++)
        assert_string_equal(l.items[i].values[0], "2021");
    sl_catalog_partition_list_free(&l);
    const char *exact[] = {"2021", "05"};
    OK(sl_catalog_list_partitions(f->cat, "logs", "events", exact, 2, &l, err));
    assert_int_equal(l.count, 1);
    sl_catalog_partition_list_free(&l);
    /* "202" is not a prefix of the value "2021" */
    const char *partial[] = {"202"};
    OK(sl_catalog_list_partitions(f->cat, "logs", "events", partial, 1, &l, err));
    assert_int_equal(l.count, 0);
    sl_catalog_partition_list_free(&l);

    /* delete some */
    size_t deleted = 0;
    OK(sl_catalog_delete_partitions(f->cat, "logs", "events", parts, 12, &deleted, err));
    assert_int_equal(deleted, 12);
    OK(sl_catalog_delete_partitions(f->cat, "logs", "events", parts, 12, &deleted, err));
    assert_int_equal(deleted, 0);
    OK(sl_catalog_count_partitions(f->cat, "logs", "events", &count, err));
    assert_int_equal(count, N - 12);
    FAILS(SL_ENOTFOUND, sl_catalog_list_partitions(f->cat, "logs", "nope", NULL, 0, &l, err));

    /* deleting the table deletes its partitions */
    OK(sl_catalog_delete_table(f->cat, "logs", "events", err));
    make_table(&t, "logs", "events");
    OK(sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table_free(&t);
    OK(sl_catalog_count_partitions(f->cat, "logs", "events", &count, err));
    assert_int_equal(count, 0);
    for (int i = 0; i < N; i++)
        sl_catalog_partition_free(&parts[i]);
}

/* ---- connections ---- */

static void test_connections(void **state) {
    fixture *f = *state;
    sl_catalog_connection c = {.name = (char *)"ddb-local", .type = (char *)"DYNAMODB"};
    sl_catalog_params_set(&c.properties, "ENDPOINT", "http://127.0.0.1:8000");
    sl_catalog_params_set(&c.properties, "REGION", "us-east-1");
    sl_catalog_params_set(&c.properties, "PASSWORD", "hunter2");
    FAILS(SL_EINVAL, sl_catalog_create_connection(f->cat, &c, 0, err));
    assert_non_null(strstr(last_error.message, "property 'PASSWORD' looks like a secret"));
    assert_null(strstr(last_error.message, "hunter2"));
    sl_catalog_params_set(&c.properties, "PASSWORD", "env:DDB_PASSWORD");
    sl_catalog_params_set(&c.properties, "aws.secret-key", "abc");
    FAILS(SL_EINVAL, sl_catalog_create_connection(f->cat, &c, 0, err));
    sl_catalog_params_unset(&c.properties, "aws.secret-key");
    c.credentials = (char *)"AKIAEXAMPLE";
    FAILS(SL_EINVAL, sl_catalog_create_connection(f->cat, &c, 0, err));
    assert_null(strstr(last_error.message, "AKIAEXAMPLE"));
    c.credentials = (char *)"profile:local";
    OK(sl_catalog_create_connection(f->cat, &c, 0, err));
    FAILS(SL_EINVAL, sl_catalog_create_connection(f->cat, &c, 0, err));
    OK(sl_catalog_create_connection(f->cat, &c, SL_CATALOG_REPLACE, err));

    assert_true(sl_catalog_is_secret_name("KAFKA_CLIENT_KEY_PASSWORD"));
    assert_true(sl_catalog_is_secret_name("apiKey"));
    assert_true(sl_catalog_is_secret_name("session_token"));
    assert_false(sl_catalog_is_secret_name("USERNAME"));
    assert_false(sl_catalog_is_secret_name("ENDPOINT"));
    assert_false(sl_catalog_is_credentials_ref("env:"));
    assert_true(sl_catalog_is_credentials_ref("secretsfile:/etc/sluice/ddb"));

    sl_catalog_connection got;
    OK(sl_catalog_get_connection(f->cat, "ddb-local", &got, err));
    assert_string_equal(got.type, "DYNAMODB");
    assert_string_equal(got.credentials, "profile:local");
    assert_string_equal(sl_catalog_params_get(&got.properties, "ENDPOINT"), "http://127.0.0.1:8000");
    assert_null(sl_catalog_params_get(&got.properties, "SECRET_ID"));
    sl_buf b;
    sl_buf_init(&b, 0);
    OK(sl_catalog_connection_json(&got, &b));
    assert_non_null(strstr(b.data, "\"SECRET_ID\":\"profile:local\""));
    sl_buf_free(&b);
    sl_catalog_connection_free(&got);

    sl_catalog_connection_list l;
    OK(sl_catalog_list_connections(f->cat, &l, err));
    assert_int_equal(l.count, 1);
    sl_catalog_connection_list_free(&l);
    OK(sl_catalog_delete_connection(f->cat, "ddb-local", err));
    FAILS(SL_ENOTFOUND, sl_catalog_get_connection(f->cat, "ddb-local", &got, err));
    FAILS(SL_ENOTFOUND, sl_catalog_delete_connection(f->cat, "ddb-local", err));
    sl_catalog_params_free(&c.properties);
}

/* ---- crawlers, state, crawls ---- */

static void test_crawlers_and_crawls(void **state) {
    fixture *f = *state;
    sl_catalog_crawler cr = {.name = (char *)"logs", .definition = (char *)"{\"Targets\":[]}"};
    OK(sl_catalog_put_crawler(f->cat, &cr, 0, err));
    FAILS(SL_EINVAL, sl_catalog_put_crawler(f->cat, &cr, 0, err));
    cr.definition = (char *)"{\"Targets\":[1]}";
    OK(sl_catalog_put_crawler(f->cat, &cr, SL_CATALOG_REPLACE, err));
    sl_catalog_crawler got;
    OK(sl_catalog_get_crawler(f->cat, "logs", &got, err));
    assert_string_equal(got.definition, "{\"Targets\":[1]}");
    sl_catalog_crawler_free(&got);
    sl_catalog_crawler_list cl;
    OK(sl_catalog_list_crawlers(f->cat, &cl, err));
    assert_int_equal(cl.count, 1);
    sl_catalog_crawler_list_free(&cl);

    OK(sl_catalog_state_set(f->cat, "logs", "folder:s3://b/logs/year=2024/", "1", err));
    OK(sl_catalog_state_set(f->cat, "logs", "folder:s3://b/logs/year=2025/", "2", err));
    OK(sl_catalog_state_set(f->cat, "logs", "cursor", "abc", err));
    OK(sl_catalog_state_set(f->cat, "other", "folder:x", "1", err));
    char *value = NULL;
    OK(sl_catalog_state_get(f->cat, "logs", "cursor", &value, err));
    assert_string_equal(value, "abc");
    free(value);
    sl_catalog_params kv;
    OK(sl_catalog_state_list(f->cat, "logs", "folder:", &kv, err));
    assert_int_equal(kv.count, 2);
    assert_string_equal(kv.items[0].key, "folder:s3://b/logs/year=2024/");
    sl_catalog_params_free(&kv);
    OK(sl_catalog_state_set(f->cat, "logs", "cursor", NULL, err));
    FAILS(SL_ENOTFOUND, sl_catalog_state_get(f->cat, "logs", "cursor", &value, err));
    OK(sl_catalog_state_clear(f->cat, "logs", "folder:", err));
    OK(sl_catalog_state_list(f->cat, "logs", "", &kv, err));
    assert_int_equal(kv.count, 0);
    sl_catalog_params_free(&kv);
    OK(sl_catalog_state_list(f->cat, "other", "", &kv, err));
    assert_int_equal(kv.count, 1);
    sl_catalog_params_free(&kv);

    sl_catalog_crawl c = {.crawler = (char *)"logs", .status = (char *)"RUNNING"};
    OK(sl_catalog_save_crawl(f->cat, &c, err));
    assert_int_equal(c.id, 1);
    c.status = (char *)"COMPLETED";
    c.end_time = c.start_time + 1500;
    c.tables_created = 2;
    c.partitions_added = 30;
    c.changes_json = (char *)"[{\"Table\":\"logs.events\",\"Changes\":[]}]";
    OK(sl_catalog_save_crawl(f->cat, &c, err));
    assert_int_equal(c.id, 1);
    sl_catalog_crawl c2 = {.crawler = (char *)"other", .status = (char *)"FAILED", .message = (char *)"no access"};
    OK(sl_catalog_save_crawl(f->cat, &c2, err));
    c2.changes_json = (char *)"{}";
    FAILS(SL_EINVAL, sl_catalog_save_crawl(f->cat, &c2, err));

    sl_catalog_crawl_list l;
    OK(sl_catalog_list_crawls(f->cat, NULL, 0, &l, err));
    assert_int_equal(l.count, 2);
    assert_string_equal(l.items[0].crawler, "other"); /* newest first */
    assert_string_equal(l.items[1].status, "COMPLETED");
    assert_int_equal(l.items[1].partitions_added, 30);
    sl_buf b;
    sl_buf_init(&b, 0);
    OK(sl_catalog_crawl_json(&l.items[1], &b));
    assert_non_null(strstr(b.data, "\"Summary\":\"{\\\"TABLE\\\":{\\\"ADD\\\":{\\\"Count\\\":2}},"
                                   "\\\"PARTITION\\\":{\\\"ADD\\\":{\\\"Count\\\":30}}}\""));
    assert_non_null(strstr(b.data, "\"SchemaChanges\":[{\"Table\":\"logs.events\""));
    sl_buf_free(&b);
    sl_catalog_crawl_list_free(&l);
    OK(sl_catalog_list_crawls(f->cat, "logs", 0, &l, err));
    assert_int_equal(l.count, 1);
    sl_catalog_crawl_list_free(&l);
    OK(sl_catalog_list_crawls(f->cat, NULL, 1, &l, err));
    assert_int_equal(l.count, 1);
    sl_catalog_crawl_list_free(&l);

    OK(sl_catalog_delete_crawler(f->cat, "logs", err));
    FAILS(SL_ENOTFOUND, sl_catalog_get_crawler(f->cat, "logs", &got, err));
    OK(sl_catalog_list_crawls(f->cat, "logs", 0, &l, err));
    assert_int_equal(l.count, 1); /* history stays */
    sl_catalog_crawl_list_free(&l);
}

/* ---- JSON shapes ---- */

static const sl_value *member(const sl_value *obj, const char *name) {
    assert_int_equal(obj->type, SL_T_STRUCT);
    const sl_value *v = sl_struct_get(obj, name);
    if (!v) fail_msg("member %s missing", name);
    return v;
}

static void test_json_shapes(void **state) {
    fixture *f = *state;
    create_db(f->cat, "logs");
    sl_catalog_table t;
    make_table(&t, "logs", "events");
    t.extra_json = sl_xstrdup("{\"Retention\":0,\"IsRegisteredWithLakeFormation\":false,\"Name\":\"ignored\"}");
    t.sd.extra_json = sl_xstrdup("{\"SkewedInfo\":{\"SkewedColumnNames\":[]}}");
    OK(sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table_free(&t);
    OK(sl_catalog_deprecate_table(f->cat, "logs", "events", true, err));
    sl_catalog_table got;
    OK(sl_catalog_get_table(f->cat, "logs", "events", &got, err));
    sl_buf b;
    sl_buf_init(&b, 0);
    OK(sl_catalog_table_json(&got, &b));

    sl_arena a;
    sl_arena_init(&a);
    sl_value v;
    OK(sl_json_parse(b.data, b.len, &a, &v, err));
    assert_int_equal(member(&v, "Name")->type, SL_T_STRING);
    assert_int_equal(member(&v, "DatabaseName")->type, SL_T_STRING);
    sl_type ct = (sl_type)member(&v, "CreateTime")->type;
    assert_true(ct == SL_T_INT || ct == SL_T_DOUBLE);
    assert_int_equal(member(&v, "VersionId")->type, SL_T_STRING);
    assert_int_equal(member(&v, "TableType")->type, SL_T_STRING);
    assert_int_equal(member(&v, "Retention")->type, SL_T_INT);
    const sl_value *sd = member(&v, "StorageDescriptor");
    const sl_value *cols = member(sd, "Columns");
    assert_int_equal(cols->type, SL_T_LIST);
    assert_int_equal(cols->len, 2);
    assert_int_equal(member(&cols->u.items[0], "Name")->type, SL_T_STRING);
    assert_int_equal(member(&cols->u.items[0], "Type")->type, SL_T_STRING);
    assert_int_equal(member(&cols->u.items[1], "Comment")->type, SL_T_STRING);
    assert_int_equal(member(sd, "Location")->type, SL_T_STRING);
    assert_int_equal(member(sd, "InputFormat")->type, SL_T_STRING);
    assert_int_equal(member(sd, "OutputFormat")->type, SL_T_STRING);
    assert_int_equal(member(sd, "Compressed")->type, SL_T_BOOL);
    assert_int_equal(member(member(sd, "SerdeInfo"), "SerializationLibrary")->type, SL_T_STRING);
    assert_int_equal(member(member(sd, "SerdeInfo"), "Parameters")->type, SL_T_STRUCT);
    assert_int_equal(member(sd, "SkewedInfo")->type, SL_T_STRUCT);
    assert_int_equal(member(&v, "PartitionKeys")->type, SL_T_LIST);
    const sl_value *params = member(&v, "Parameters");
    assert_int_equal(member(params, "classification")->type, SL_T_STRING);
    assert_int_equal(member(params, "DEPRECATED")->type, SL_T_STRING);
    /* "Name" in extra does not duplicate the modelled one */
    size_t names = 0;
    for (uint32_t i = 0; i < v.len; i++)
        names += v.u.fields[i].name_len == 4 && !memcmp(v.u.fields[i].name, "Name", 4);
    assert_int_equal(names, 1);

    /* round trip: read back, write again, same text */
    sl_catalog_table back;
    OK(sl_catalog_table_from_json(b.data, b.len, &back, err));
    assert_true(back.deprecated);
    assert_int_equal(back.deprecated_time, got.deprecated_time);
    sl_buf b2;
    sl_buf_init(&b2, 0);
    OK(sl_catalog_table_json(&back, &b2));
    assert_string_equal(b.data, b2.data);
    sl_catalog_table copy;
    sl_catalog_table_copy(&copy, &back);
    sl_buf_reset(&b2);
    OK(sl_catalog_table_json(&copy, &b2));
    assert_string_equal(b.data, b2.data);
    sl_catalog_table_free(&copy);
    sl_catalog_table_free(&back);

    /* TableVersion, Database, Partition shapes */
    sl_buf_reset(&b2);
    OK(sl_catalog_table_version_json(&got, &b2));
    sl_arena_reset(&a);
    OK(sl_json_parse(b2.data, b2.len, &a, &v, err));
    assert_int_equal(member(member(&v, "Table"), "Name")->type, SL_T_STRING);
    assert_int_equal(member(&v, "VersionId")->type, SL_T_STRING);
    sl_catalog_database db;
    OK(sl_catalog_get_database(f->cat, "logs", &db, err));
    sl_buf_reset(&b2);
    OK(sl_catalog_database_json(&db, &b2));
    sl_catalog_database db2;
    OK(sl_catalog_database_from_json(b2.data, b2.len, &db2, err));
    assert_string_equal(db2.name, "logs");
    assert_string_equal(db2.description, "test data");
    assert_int_equal(db2.create_time, db.create_time);
    sl_catalog_database_free(&db2);
    sl_catalog_database_free(&db);
    sl_catalog_partition p;
    make_partition(&p, "2024", "07");
    OK(sl_catalog_add_partitions(f->cat, "logs", "events", &p, 1, SL_CATALOG_EXISTING_FAIL, NULL, NULL, err));
    sl_catalog_partition_free(&p);
    const char *vals[] = {"2024", "07"};
    OK(sl_catalog_get_partition(f->cat, "logs", "events", vals, 2, &p, err));
    sl_buf_reset(&b2);
    OK(sl_catalog_partition_json(&p, &b2));
    sl_arena_reset(&a);
    OK(sl_json_parse(b2.data, b2.len, &a, &v, err));
    assert_int_equal(member(&v, "Values")->len, 2);
    assert_int_equal(member(&v, "TableName")->type, SL_T_STRING);
    assert_int_equal(member(member(&v, "StorageDescriptor"), "Location")->type, SL_T_STRING);
    sl_catalog_partition_free(&p);

    /* malformed input names the member */
    FAILS(SL_EPARSE, sl_catalog_table_from_json("{\"Name\":3}", 10, &back, err));
    assert_non_null(strstr(last_error.message, "Table.Name"));
    FAILS(SL_EPARSE, sl_catalog_table_from_json("[1]", 3, &back, err));
    FAILS(SL_EPARSE, sl_catalog_table_from_json("{", 1, &back, err));
    /* a bad extra is refused when storing */
    make_table(&t, "logs", "bad_extra");
    t.extra_json = sl_xstrdup("[1,2]");
    FAILS(SL_EINVAL, sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table_free(&t);

    sl_arena_free(&a);
    sl_buf_free(&b);
    sl_buf_free(&b2);
    sl_catalog_table_free(&got);
}

/* ---- transactions ---- */

static void test_nested_transactions(void **state) {
    fixture *f = *state;
    OK(sl_catalog_begin(f->cat, err));
    create_db(f->cat, "kept");
    sl_catalog_database dup = {.name = (char *)"kept"};
    FAILS(SL_EINVAL, sl_catalog_create_database(f->cat, &dup, 0, err)); /* undoes only itself */
    OK(sl_catalog_commit(f->cat, err));
    sl_catalog_database db;
    OK(sl_catalog_get_database(f->cat, "kept", &db, err));
    sl_catalog_database_free(&db);

    OK(sl_catalog_begin(f->cat, err));
    create_db(f->cat, "dropped");
    sl_catalog_rollback(f->cat);
    FAILS(SL_ENOTFOUND, sl_catalog_get_database(f->cat, "dropped", &db, err));
    FAILS(SL_EINVAL, sl_catalog_commit(f->cat, err));
}

/* ---- files: migrations, damage, newer schema ---- */

static int64_t pragma(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void exec_raw(const char *path, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite(data, 1, len, fp);
    fclose(fp);
}

static void test_migrations_and_versions(void **state) {
    fixture *f = *state;
    assert_int_equal(pragma(f->path, "PRAGMA user_version"), SL_CATALOG_SCHEMA_VERSION);
    assert_int_equal(pragma(f->path, "PRAGMA application_id"), 0x534C4354);
    assert_string_equal(sl_catalog_path(f->cat), f->path);

    /* an empty existing file becomes a catalog */
    char path[256];
    snprintf(path, sizeof path, "%s/empty.db", f->dir);
    write_file(path, "", 0);
    sl_catalog *c2 = NULL;
    OK(sl_catalog_open(path, SL_CATALOG_OPEN_EXISTING, &c2, err));
    create_db(c2, "x");
    sl_catalog_close(c2);
    /* re-opening is a no-op migration */
    OK(sl_catalog_open(path, 0, &c2, err));
    sl_catalog_database db;
    OK(sl_catalog_get_database(c2, "x", &db, err));
    sl_catalog_database_free(&db);
    sl_catalog_close(c2);

    /* a newer schema is refused, and left alone */
    exec_raw(path, "PRAGMA user_version = 99");
    FAILS(SL_EIO, sl_catalog_open(path, 0, &c2, err));
    assert_null(c2);
    assert_non_null(strstr(last_error.message, "written by a newer sluice (catalog schema 99"));
    assert_non_null(strstr(last_error.message, path));
    assert_int_equal(pragma(path, "PRAGMA user_version"), 99);

    /* a SQLite file of another program */
    snprintf(path, sizeof path, "%s/other.db", f->dir);
    exec_raw(path, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
    FAILS(SL_EIO, sl_catalog_open(path, 0, &c2, err));
    assert_non_null(strstr(last_error.message, "is not a sluice catalog"));

    /* missing, with OPEN_EXISTING */
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    FAILS(SL_ENOTFOUND, sl_catalog_open(path, SL_CATALOG_OPEN_EXISTING, &c2, err));
    assert_false(sl_exists(path));

    /* a directory */
    FAILS(SL_EIO, sl_catalog_open(f->dir, 0, &c2, err));
}

static void test_damaged_files(void **state) {
    fixture *f = *state;
    /* garbage from the first byte */
    char path[256];
    snprintf(path, sizeof path, "%s/garbage.db", f->dir);
    char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 7 + 13);
    write_file(path, junk, sizeof junk);
    sl_catalog *c2 = NULL;
    FAILS(SL_EIO, sl_catalog_open(path, 0, &c2, err));
    char expect[300];
    snprintf(expect, sizeof expect, "%s is not a sluice catalog or is damaged: ", path);
    assert_non_null(strstr(last_error.message, expect));

    /* a real catalog whose pages after the header are overwritten */
    create_db(f->cat, "logs");
    for (int i = 0; i < 20; i++) {
        sl_catalog_table t;
        char name[32];
        snprintf(name, sizeof name, "t%02d", i);
        make_table(&t, "logs", name);
        OK(sl_catalog_create_table(f->cat, &t, err));
        sl_catalog_table_free(&t);
    }
    sl_catalog_close(f->cat);
    f->cat = NULL;
    exec_raw(f->path, "PRAGMA wal_checkpoint(TRUNCATE)");
    FILE *fp = fopen(f->path, "r+b");
    assert_non_null(fp);
    fseek(fp, 4096, SEEK_SET); /* keep page 1 (header and schema) */
    for (int i = 0; i < 8; i++)
        fwrite(junk, 1, sizeof junk, fp);
    fclose(fp);
    int rc = sl_catalog_open(f->path, 0, &c2, &last_error);
    if (rc == SL_OK) {
        /* the damage shows on the first read that touches it */
        sl_catalog_table_list l;
        rc = sl_catalog_list_tables(c2, "logs", &l, &last_error);
        if (rc == SL_OK) sl_catalog_table_list_free(&l);
        sl_catalog_close(c2);
    }
    assert_int_equal(rc, SL_EIO);
    assert_non_null(strstr(last_error.message, f->path));
}

/* ---- concurrency: writers on their own handles, a reader beside them ---- */

typedef struct worker {
    const char *path;
    int id;
    int rc;
    char message[512];
} worker;

enum { WRITERS = 3, TABLES_PER_WRITER = 25 };

static void *writer_main(void *arg) {
    worker *w = arg;
    sl_catalog *cat;
    sl_error err;
    sl_error_clear(&err);
    w->rc = sl_catalog_open(w->path, SL_CATALOG_OPEN_EXISTING, &cat, &err);
    for (int i = 0; i < TABLES_PER_WRITER && !w->rc; i++) {
        sl_catalog_table t;
        char name[32];
        snprintf(name, sizeof name, "w%d_t%02d", w->id, i);
        make_table(&t, "shared", name);
        /* each table and its partitions in one transaction */
        w->rc = sl_catalog_begin(cat, &err);
        if (!w->rc) w->rc = sl_catalog_create_table(cat, &t, &err);
        sl_catalog_partition p;
        make_partition(&p, "2024", "01");
        if (!w->rc)
            w->rc = sl_catalog_add_partitions(cat, "shared", name, &p, 1, SL_CATALOG_EXISTING_FAIL, NULL, NULL, &err);
        if (!w->rc)
            w->rc = sl_catalog_commit(cat, &err);
        else
            sl_catalog_rollback(cat);
        sl_catalog_partition_free(&p);
        sl_catalog_table_free(&t);
    }
    sl_catalog_close(cat);
    snprintf(w->message, sizeof w->message, "%s", err.message);
    return NULL;
}

static void *reader_main(void *arg) {
    worker *w = arg;
    sl_catalog *cat;
    sl_error err;
    sl_error_clear(&err);
    w->rc = sl_catalog_open(w->path, SL_CATALOG_OPEN_EXISTING, &cat, &err);
    size_t last = 0;
    for (int i = 0; i < 200 && !w->rc; i++) {
        sl_catalog_table_list l;
        w->rc = sl_catalog_list_tables(cat, "shared", &l, &err);
        if (w->rc) break;
        /* every table seen is complete: its partition is there too */
        for (size_t k = 0; k < l.count && !w->rc; k++) {
            int64_t n = 0;
            w->rc = sl_catalog_count_partitions(cat, "shared", l.items[k].name, &n, &err);
            if (!w->rc && n != 1) {
                w->rc = SL_EINTERNAL;
                snprintf(err.message, sizeof err.message, "table %s without its partition", l.items[k].name);
            }
        }
        if (l.count < last) {
            w->rc = SL_EINTERNAL;
            snprintf(err.message, sizeof err.message, "tables went from %zu to %zu", last, l.count);
        }
        last = l.count;
        sl_catalog_table_list_free(&l);
    }
    sl_catalog_close(cat);
    snprintf(w->message, sizeof w->message, "%s", err.message);
    return NULL;
}

static void test_concurrent_writers_and_reader(void **state) {
    fixture *f = *state;
    create_db(f->cat, "shared");
    pthread_t threads[WRITERS + 1];
    worker workers[WRITERS + 1];
    for (int i = 0; i <= WRITERS; i++) {
        workers[i] = (worker){.path = f->path, .id = i};
        pthread_create(&threads[i], NULL, i < WRITERS ? writer_main : reader_main, &workers[i]);
    }
    for (int i = 0; i <= WRITERS; i++) {
        pthread_join(threads[i], NULL);
        if (workers[i].rc) fail_msg("worker %d: %d %s", i, workers[i].rc, workers[i].message);
    }
    sl_catalog_table_list l;
    OK(sl_catalog_list_tables(f->cat, "shared", &l, err));
    assert_int_equal(l.count, WRITERS * TABLES_PER_WRITER);
    sl_catalog_table_list_free(&l);
}

/* A reader does not see a writer's open transaction, and is not blocked by it. */
static void test_reader_during_write(void **state) {
    fixture *f = *state;
    create_db(f->cat, "db");
    sl_catalog *reader;
    OK(sl_catalog_open(f->path, SL_CATALOG_OPEN_EXISTING, &reader, err));
    OK(sl_catalog_begin(f->cat, err));
    sl_catalog_table t;
    make_table(&t, "db", "pending");
    OK(sl_catalog_create_table(f->cat, &t, err));
    sl_catalog_table got;
    FAILS(SL_ENOTFOUND, sl_catalog_get_table(reader, "db", "pending", &got, err));
    OK(sl_catalog_commit(f->cat, err));
    OK(sl_catalog_get_table(reader, "db", "pending", &got, err));
    sl_catalog_table_free(&got);
    sl_catalog_table_free(&t);

    /* and a second process sees the committed state */
    pid_t pid = fork();
    if (pid == 0) {
        sl_catalog *child;
        sl_error e;
        int rc = sl_catalog_open(f->path, SL_CATALOG_OPEN_EXISTING, &child, &e);
        if (!rc) rc = sl_catalog_get_table(child, "db", "pending", &got, &e);
        _exit(rc ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    sl_catalog_close(reader);
}

static void test_storage_formats(void **state) {
    sl_catalog_storage sd = {0};
    sl_catalog_columns_add(&sd.columns, "a", "bigint", NULL);
    sl_catalog_columns_add(&sd.columns, "b", "string", NULL);
    assert_true(sl_catalog_storage_set_format(&sd, "json", NULL, false));
    assert_string_equal(sd.serde.serialization_library, "org.openx.data.jsonserde.JsonSerDe");
    assert_string_equal(sl_catalog_params_get(&sd.serde.parameters, "paths"), "a,b");
    assert_true(sl_catalog_storage_set_format(&sd, "csv", "|", false));
    assert_string_equal(sd.serde.serialization_library, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
    assert_string_equal(sl_catalog_params_get(&sd.serde.parameters, "field.delim"), "|");
    assert_null(sl_catalog_params_get(&sd.serde.parameters, "paths"));
    assert_true(sl_catalog_storage_set_format(&sd, "csv", NULL, true));
    assert_string_equal(sd.serde.serialization_library, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
    assert_string_equal(sl_catalog_params_get(&sd.serde.parameters, "separatorChar"), ",");
    assert_string_equal(sl_catalog_params_get(&sd.serde.parameters, "quoteChar"), "\"");
    assert_true(sl_catalog_storage_set_format(&sd, "parquet", NULL, false));
    assert_string_equal(sd.input_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
    assert_false(sl_catalog_storage_set_format(&sd, "dynamodb", NULL, false));
    assert_string_equal(sd.input_format, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
    sl_catalog_storage_free(&sd);
}

static void test_default_path(void **state) {
    unsetenv("SLUICE_CATALOG");
    assert_string_equal(sl_catalog_default_path(), "./data/catalog.db");
    setenv("SLUICE_CATALOG", "/tmp/x.db", 1);
    assert_string_equal(sl_catalog_default_path(), "/tmp/x.db");
    setenv("SLUICE_CATALOG", "", 1);
    assert_string_equal(sl_catalog_default_path(), "./data/catalog.db");
    unsetenv("SLUICE_CATALOG");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_databases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tables_and_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crawlers_and_crawls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrations_and_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_and_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_during_write, setup, teardown),
        cmocka_unit_test(test_storage_formats),
        cmocka_unit_test(test_default_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
