/* test_json_suite.c — RFC 8259 conformance: runs every file of JSONTestSuite
 * (tests/data/json-test-suite/test_parsing, Nicolas Seriot, MIT licence)
 * through sl_json_parse. y_ files must parse (and survive write + re-parse
 * unchanged), n_ files must fail with a message naming the byte offset, and
 * the outcome of each i_ file is printed (docs/json.md states it file by
 * file). The data directory is found from the working directory (the repo
 * root, as tests/run.sh runs) or from the binary's location. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/json.h"
#include "test_util.h"

#define SUITE_SUBDIR "tests/data/json-test-suite/test_parsing"

static char suite_dir[4096];

typedef struct file_list {
    char **names;
    size_t n;
} file_list;

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names in suite_dir starting with prefix. */
static file_list list_files(const char *prefix) {
    file_list l = {0};
    DIR *dir = opendir(suite_dir);
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        l.names = realloc(l.names, (l.n + 1) * sizeof *l.names);
        l.names[l.n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(l.names, l.n, sizeof *l.names, by_name);
    return l;
}

static void free_list(file_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
}

static char *read_file(const char *name, size_t *len) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", suite_dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Deep equality, doubles bit for bit. */

static void test_y_files_accepted(void **state) {
    file_list l = list_files("y_");
    assert_true(l.n >= 90);
    int failures = 0;
    sl_arena a;
    sl_arena_init(&a);
    sl_buf out;
    sl_buf_init(&out, 0);
    for (size_t i = 0; i < l.n; i++) {
        size_t len;
        char *text = read_file(l.names[i], &len);
        sl_value v, w;
        sl_error err;
        sl_error_clear(&err);
        if (sl_json_parse(text, len, &a, &v, &err) != 0) {
            printf("FAIL %s rejected: %s\n", l.names[i], err.message);
            failures++;
        } else {
            sl_buf_reset(&out);
            assert_int_equal(sl_json_write(&out, &v), 0);
            if (sl_json_parse(out.data, out.len, &a, &w, &err) != 0 || !sl_test_identical(&v, &w)) {
                printf("FAIL %s does not survive write + re-parse: %s\n", l.names[i], out.data);
                failures++;
            }
        }
        free(text);
        sl_arena_reset(&a);
    }
    printf("y_: %zu files, %d failures\n", l.n, failures);
    sl_buf_free(&out);
    sl_arena_free(&a);
    free_list(&l);
    assert_int_equal(failures, 0);
}

static void test_n_files_rejected(void **state) {
    file_list l = list_files("n_");
    assert_true(l.n >= 180);
    int failures = 0;
    sl_arena a;
    sl_arena_init(&a);
    for (size_t i = 0; i < l.n; i++) {
        size_t len;
        char *text = read_file(l.names[i], &len);
        sl_value v;
        sl_error err;
        sl_error_clear(&err);
        char expect[48];
        if (sl_json_parse(text, len, &a, &v, &err) == 0) {
            printf("FAIL %s accepted\n", l.names[i]);
            failures++;
        } else if (snprintf(expect, sizeof expect, "at byte %lld:", err.offset),
                   err.offset < 0 || (size_t)err.offset > len || !strstr(err.message, expect)) {
            printf("FAIL %s: message does not name the offset: %s\n", l.names[i], err.message);
            failures++;
        }
        free(text);
        sl_arena_reset(&a);
    }
    printf("n_: %zu files, %d failures\n", l.n, failures);
    sl_arena_free(&a);
    free_list(&l);
    assert_int_equal(failures, 0);
}

static void test_i_files_reported(void **state) {
    file_list l = list_files("i_");
    assert_true(l.n >= 30);
    sl_arena a;
    sl_arena_init(&a);
    sl_buf out;
    sl_buf_init(&out, 0);
    for (size_t i = 0; i < l.n; i++) {
        size_t len;
        char *text = read_file(l.names[i], &len);
        sl_value v;
        sl_error err;
        sl_error_clear(&err);
        if (sl_json_parse(text, len, &a, &v, &err) == 0) {
            sl_buf_reset(&out);
            assert_int_equal(sl_json_write(&out, &v), 0);
            const sl_value *first = v.type == SL_T_LIST && v.len ? &v.u.items[0] : &v;
            printf("i_ accepted %-48s %s → %.80s%s\n", l.names[i], sl_type_name((sl_type)first->type), out.data,
                   out.len > 80 ? "…" : "");
        } else {
            printf("i_ rejected %-48s %s\n", l.names[i], err.message);
        }
        free(text);
        sl_arena_reset(&a);
    }
    sl_buf_free(&out);
    sl_arena_free(&a);
    free_list(&l);
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The suite directory: from the working directory, else walking up from the
 * binary (build/tests/x or build/asan/tests/x). */
static bool find_suite(const char *argv0) {
    if (is_dir(SUITE_SUBDIR)) {
        snprintf(suite_dir, sizeof suite_dir, "%s", SUITE_SUBDIR);
        return true;
    }
    char base[2048];
    snprintf(base, sizeof base, "%s", argv0);
    for (int up = 0; up < 5; up++) {
        char *slash = strrchr(base, '/');
        if (!slash) return false;
        *slash = '\0';
        snprintf(suite_dir, sizeof suite_dir, "%s/%s", base, SUITE_SUBDIR);
        if (is_dir(suite_dir)) return true;
    }
    return false;
}

int main(int argc, char **argv) {
    if (!find_suite(argv[0])) {
        fprintf(stderr, "test_json_suite: cannot find %s (run from the repository root)\n", SUITE_SUBDIR);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_y_files_accepted),
        cmocka_unit_test(test_n_files_rejected),
        cmocka_unit_test(test_i_files_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
