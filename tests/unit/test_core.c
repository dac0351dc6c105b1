/* test_core.c — arena, buf, batch, fieldpath, fsutil, errout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/batch.h"
#include "core/buf.h"
#include "core/fieldpath.h"
#include "core/fsutil.h"
#include "exec/errout.h"
#include "formats/json.h"

static void test_arena(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    char *p = sl_arena_alloc(&a, 10);
    assert_true(((uintptr_t)p & 7) == 0);
    memset(p, 'x', 10);
    /* oversized request gets its own block and keeps the current one usable */
    char *big = sl_arena_alloc(&a, 5u << 20);
    memset(big, 1, 5u << 20);
    char *q = sl_arena_alloc(&a, 16);
    assert_ptr_equal(q, p + 16);
    char *s = sl_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    /* realloc of the last allocation grows in place */
    char *r = sl_arena_alloc(&a, 8);
    char *r2 = sl_arena_realloc(&a, r, 8, 64);
    assert_ptr_equal(r, r2);
    for (int i = 0; i < 10000; i++) sl_arena_alloc(&a, 1000);
    sl_arena_reset(&a);
    assert_int_equal(a.bytes_used, 0);
    assert_non_null(sl_arena_alloc(&a, 100));
    sl_arena_free(&a);
}

static void test_buf(void **state) {
    sl_buf b;
    sl_buf_init(&b, 8);
    assert_int_equal(sl_buf_adds(&b, "1234"), 0);
    assert_int_equal(sl_buf_adds(&b, "5678"), 0);
    assert_int_equal(sl_buf_addc(&b, '9'), SL_ELIMIT);
    assert_string_equal(b.data, "12345678");
    sl_buf_reset(&b);
    assert_int_equal(sl_buf_printf(&b, "%d-%s", 7, "x"), 0);
    assert_string_equal(b.data, "7-x");
    char *d = sl_buf_detach(&b);
    assert_string_equal(d, "7-x");
    assert_null(b.data);
    free(d);
}

static int released;
static void release(void *ptr, void *ctx) {
    released++;
    free(ptr);
}

static void test_batch(void **state) {
    sl_batch b;
    sl_batch_init(&b);
    for (int i = 0; i < 1000; i++) sl_batch_push(&b, sl_int(i), (sl_recloc){(uint64_t)i + 1, i * 10});
    assert_int_equal(b.count, 1000);
    assert_int_equal(b.records[999].u.i, 999);
    assert_int_equal(b.locs[999].line, 1000);
    unsigned char keep[1000];
    for (int i = 0; i < 1000; i++) keep[i] = i % 3 == 0;
    sl_value *old = b.records;
    sl_batch_keep(&b, keep);
    assert_int_equal(b.count, 334);
    assert_int_equal(b.records[1].u.i, 3);
    assert_int_equal(b.locs[1].offset, 30);
    assert_int_equal(old[1].u.i, 1); /* the old array is untouched */
    sl_batch_pin(&b, malloc(10), release, NULL);
    sl_batch_pin(&b, malloc(10), release, NULL);
    released = 0;
    sl_batch_reset(&b);
    assert_int_equal(released, 2);
    assert_int_equal(b.count, 0);
    sl_batch_pin(&b, malloc(10), release, NULL);
    sl_batch_free(&b);
    assert_int_equal(released, 3);
}

static sl_value parse(sl_arena *a, const char *json) {
    sl_value v;
    assert_int_equal(sl_json_parse(json, strlen(json), a, &v, NULL), 0);
    return v;
}

static void expect_json(const sl_value *v, const char *want) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_json_write(&b, v);
    assert_string_equal(b.data, want);
    sl_buf_free(&b);
}

static void test_fieldpath(void **state) {
    sl_arena a;
    sl_arena_init(&a);
    sl_value rec = parse(&a, "{\"a\":1,\"b\":{\"c\":2,\"d.e\":3}}");
    sl_fieldpath p;
    assert_int_equal(sl_fieldpath_parse("b.`d.e`", &p, NULL), 0);
    assert_int_equal(p.n, 2);
    const sl_value *v = sl_fieldpath_get(&rec, &p);
    assert_non_null(v);
    assert_int_equal(v->u.i, 3);
    sl_value r2 = sl_fieldpath_remove(&a, &rec, &p);
    expect_json(&r2, "{\"a\":1,\"b\":{\"c\":2}}");
    expect_json(&rec, "{\"a\":1,\"b\":{\"c\":2,\"d.e\":3}}"); /* input unchanged */
    sl_value r3 = sl_fieldpath_rename(&a, &rec, &p, "f", 1);
    expect_json(&r3, "{\"a\":1,\"b\":{\"c\":2,\"f\":3}}");
    sl_fieldpath_free(&p);
    assert_int_equal(sl_fieldpath_parse("x.y.z", &p, NULL), 0);
    sl_value r4 = sl_fieldpath_set(&a, &rec, &p, sl_int(9));
    expect_json(&r4, "{\"a\":1,\"b\":{\"c\":2,\"d.e\":3},\"x\":{\"y\":{\"z\":9}}}");
    sl_fieldpath_free(&p);
    sl_error err;
    sl_error_clear(&err);
    assert_int_equal(sl_fieldpath_parse("a..b", &p, &err), SL_EINVAL);
    assert_non_null(strstr(err.message, "empty"));
    assert_int_equal(sl_fieldpath_parse("`a", &p, &err), SL_EINVAL);
    sl_arena_free(&a);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_fsutil(void **state) {
    char dir[] = "/tmp/sluice-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *sub = sl_path_join(dir, "a/b");
    assert_int_equal(sl_mkdirs(sub, NULL), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/a/b/2.json", dir);
    write_file(path, "x");
    snprintf(path, sizeof path, "%s/a/1.json", dir);
    write_file(path, "x");
    snprintf(path, sizeof path, "%s/a/_SUCCESS", dir);
    write_file(path, "x");
    snprintf(path, sizeof path, "%s/a/.hidden", dir);
    write_file(path, "x");
    sl_strlist l = {0};
    assert_int_equal(sl_expand_path(dir, true, &l, NULL), 0);
    assert_int_equal(l.count, 2);
    assert_non_null(strstr(l.items[0], "a/1.json"));
    assert_non_null(strstr(l.items[1], "a/b/2.json"));
    sl_strlist_free(&l);
    assert_int_equal(sl_expand_path(dir, false, &l, NULL), SL_ENOTFOUND);
    sl_strlist_free(&l);
    snprintf(path, sizeof path, "%s/a/*.json", dir);
    assert_int_equal(sl_expand_path(path, true, &l, NULL), 0);
    assert_int_equal(l.count, 1);
    sl_strlist_free(&l);
    sl_error err;
    sl_error_clear(&err);
    snprintf(path, sizeof path, "%s/nope", dir);
    assert_int_equal(sl_expand_path(path, true, &l, &err), SL_ENOTFOUND);
    assert_non_null(strstr(err.message, "no such file"));
    sl_strlist_free(&l);
    assert_int_equal(sl_rmtree(dir, NULL), 0);
    assert_false(sl_exists(dir));
    free(sub);
}

static void test_errout(void **state) {
    char dir[] = "/tmp/sluice-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *edir = sl_path_join(dir, "errors");
    sl_errout *eo = sl_errout_new(edir, "RUN1");
    assert_int_equal(sl_errout_add(eo, "n", "f.json", 3, 17, "bad \"thing\"", "{x\n", 3, NULL), 1);
    assert_int_equal(sl_errout_add(eo, NULL, NULL, 0, -1, "other", NULL, 0, NULL), 2);
    const char *path = sl_errout_close(eo);
    assert_non_null(path);
    FILE *f = fopen(path, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "{\"run_id\":\"RUN1\",\"node\":\"n\",\"source\":\"f.json\",\"line\":3,\"offset\":17,"
                              "\"reason\":\"bad \\\"thing\\\"\",\"raw\":\"{x\\n\"}\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "{\"run_id\":\"RUN1\",\"reason\":\"other\"}\n");
    fclose(f);
    sl_errout_free(eo);
    /* no records: no file */
    eo = sl_errout_new(edir, "RUN2");
    assert_null(sl_errout_close(eo));
    sl_errout_free(eo);
    sl_rmtree(dir, NULL);
    free(edir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),     cmocka_unit_test(test_buf),    cmocka_unit_test(test_batch),
        cmocka_unit_test(test_fieldpath), cmocka_unit_test(test_fsutil), cmocka_unit_test(test_errout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
