/* test_job.c — job file loading, validation and option tables (job.c, option.c), with fake node types. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/job.h"
#include "exec/option.h"

/* ---- fake node types ---- */

static const sl_option src_opts[] = {
    {"path", SL_OPT_PATH, NULL, "Where to read.", NULL, SL_OPTF_REQUIRED},
    {"format", SL_OPT_ENUM, "auto", "Input format.", "json|csv|auto", 0},
    {"recursive", SL_OPT_BOOL, "false", "Descend into directories.", NULL, 0},
    {"block", SL_OPT_SIZE, "64MB", "Split size.", NULL, 0},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static const sl_option xform_opts[] = {
    {"columns", SL_OPT_LIST, NULL, "Columns to keep.", NULL, 0},
    {"mapping", SL_OPT_TREE, NULL, "Field mapping.", NULL, 0},
    {"limit", SL_OPT_INT, "10", "A limit | with a pipe.", NULL, 0},
    {"ratio", SL_OPT_DOUBLE, "0.5", "A ratio.", NULL, 0},
    {"where", SL_OPT_EXPR, NULL, "A condition.", NULL, 0},
    {"label", SL_OPT_STRING, NULL, "Free text.", NULL, 0},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static const sl_option defaults_opts[] = {
    {"names", SL_OPT_LIST, "[a, b]", "List default.", NULL, 0},
    {"shape", SL_OPT_TREE, "{x: 1, y: [2, 3]}", "Tree default.", NULL, 0},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static int sink_releases;

static int sink_check(sl_node *node, sl_error *err) {
    const char *path = sl_node_str(node, "path");
    node->data = malloc(16); /* released by sink_release, even when loading fails later */
    if (!strcmp(path, "bad")) return sl_error_set(err, SL_EINVAL, "path may not be 'bad'");
    return 0;
}

static void sink_release(sl_node *node) {
    free(node->data);
    node->data = NULL;
    sink_releases++;
}

static const sl_option sink_opts[] = {
    {"path", SL_OPT_PATH, NULL, "Where to write.", NULL, SL_OPTF_REQUIRED},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static const sl_node_type src_type = {.name = "src", .kind = SL_NODE_SOURCE, .options = src_opts};
static const sl_node_type xform_type = {
    .name = "xform", .kind = SL_NODE_TRANSFORM, .options = xform_opts, .min_inputs = 1, .max_inputs = 1};
static const sl_node_type join_type = {
    .name = "join", .kind = SL_NODE_TRANSFORM, .options = NULL, .min_inputs = 2, .max_inputs = 2};
static const sl_node_type union_type = {
    .name = "union", .kind = SL_NODE_TRANSFORM, .options = NULL, .min_inputs = 1, .max_inputs = -1};
static const sl_node_type defaults_type = {
    .name = "defaults", .kind = SL_NODE_TRANSFORM, .options = defaults_opts, .min_inputs = 1, .max_inputs = 1};
static const sl_node_type sink_type = {.name = "sink",
                                       .kind = SL_NODE_TARGET,
                                       .options = sink_opts,
                                       .min_inputs = 1,
                                       .max_inputs = 1,
                                       .check = sink_check,
                                       .release = sink_release};

static const sl_node_type *const fake_types[] = {&src_type,   &xform_type,    &join_type,
                                                 &union_type, &defaults_type, &sink_type};

static const sl_node_type *fake_find(const char *name) {
    for (size_t i = 0; i < sizeof fake_types / sizeof fake_types[0]; i++)
        if (!strcmp(fake_types[i]->name, name)) return fake_types[i];
    return NULL;
}

static const sl_node_type *const *fake_list(size_t *count) {
    *count = sizeof fake_types / sizeof fake_types[0];
    return fake_types;
}

static int setup(void **state) {
    sl_job_set_lookup(fake_find);
    sl_job_set_type_list(fake_list);
    sink_releases = 0;
    return 0;
}

static int teardown(void **state) {
    sl_job_set_lookup(NULL);
    sl_job_set_type_list(NULL);
    return 0;
}

/* ---- helpers ---- */

static sl_job *load_ok_args(const char *text, const sl_jobarg *args, size_t n) {
    sl_job *job = NULL;
    sl_error err;
    int rc = sl_job_load_text("jobs/test.yaml", text, strlen(text), args, n, &job, &err);
    if (rc) {
        char buf[1024];
        print_error("unexpected error: %s\n", sl_error_format(&err, buf, sizeof buf));
    }
    assert_int_equal(rc, 0);
    assert_non_null(job);
    return job;
}

static sl_job *load_ok(const char *text) { return load_ok_args(text, NULL, 0); }

/* Load text expecting an error at line:column whose message contains want. */
static sl_error load_fail_args(const char *text, const sl_jobarg *args, size_t n, int line, int column,
                               const char *node, const char *want) {
    sl_job *job = (sl_job *)1;
    sl_error err;
    int rc = sl_job_load_text("jobs/test.yaml", text, strlen(text), args, n, &job, &err);
    if (rc == 0) sl_job_free(job);
    assert_int_not_equal(rc, 0);
    assert_null(job);
    assert_int_equal(err.code, rc);
    if (!strstr(err.message, want) || err.line != line || err.column != column || strcmp(err.node, node ? node : "")) {
        print_error("got %d:%d node '%s': %s\nwant %d:%d node '%s': …%s…\n", err.line, err.column, err.node,
                    err.message, line, column, node ? node : "", want);
        fail();
    }
    assert_string_equal(err.file, "jobs/test.yaml");
    return err;
}

static sl_error load_fail(const char *text, int line, int column, const char *node, const char *want) {
    return load_fail_args(text, NULL, 0, line, column, node, want);
}

static const char *arg(const sl_job *job, const char *name) {
    for (size_t i = 0; i < job->n_args; i++)
        if (!strcmp(job->args[i].name, name)) return job->args[i].value;
    return NULL;
}

static void assert_str_value(const sl_value *v, const char *want) {
    assert_int_equal(v->type, SL_T_STRING);
    assert_int_equal(v->len, strlen(want));
    assert_memory_equal(v->u.s, want, v->len);
}

#define MINIMAL_NODES                                                                                                  \
    "nodes:\n"                                                                                                         \
    "  in:\n"                                                                                                          \
    "    type: src\n"                                                                                                  \
    "    path: data/in.json\n"                                                                                         \
    "  out:\n"                                                                                                         \
    "    type: sink\n"                                                                                                 \
    "    input: in\n"                                                                                                  \
    "    path: data/out\n"

/* ---- valid jobs ---- */

static void test_valid_defaults(void **state) {
    sl_job *job = load_ok("description: a test job\n"
                          "nodes:\n"
                          "  logs:\n"
                          "    type: src\n"
                          "    path: data/in.json\n"
                          "  clean:\n"
                          "    type: xform\n"
                          "    input: logs\n"
                          "    limit: 25\n"
                          "  out:\n"
                          "    type: sink\n"
                          "    input: clean\n"
                          "    path: data/out\n");
    assert_string_equal(job->file, "jobs/test.yaml");
    assert_string_equal(job->name, "test");
    assert_string_equal(job->description, "a test job");
    assert_int_equal(job->settings.threads, 0);
    assert_int_equal(job->settings.max_errors, -1);
    assert_true(job->settings.max_error_rate == 1.0);
    assert_string_equal(job->settings.error_output, "./data/errors");
    assert_null(job->settings.spill_dir);
    assert_int_equal(job->settings.memory_limit, 1 << 30);
    assert_int_equal(job->settings.batch_records, 1024);
    assert_int_equal(job->n_args, 0);

    assert_int_equal(job->n_nodes, 3);
    sl_node *logs = job->nodes[0], *clean = job->nodes[1], *out = job->nodes[2];
    assert_string_equal(logs->name, "logs");
    assert_string_equal(clean->name, "clean");
    assert_string_equal(out->name, "out");
    assert_ptr_equal(logs->type, &src_type);
    assert_int_equal(logs->line, 3);
    assert_int_equal(logs->column, 3);
    assert_string_equal(logs->job_file, "jobs/test.yaml");

    /* options: set values with positions, defaults without */
    const sl_optval *path = sl_node_opt(logs, "path");
    assert_true(path->set);
    assert_int_equal(path->line, 5);
    assert_int_equal(path->column, 11);
    assert_string_equal(sl_node_str(logs, "path"), "data/in.json");
    const sl_optval *format = sl_node_opt(logs, "format");
    assert_false(format->set);
    assert_true(format->has_value);
    assert_int_equal(format->line, 0);
    assert_string_equal(sl_node_str(logs, "format"), "auto");
    assert_false(sl_node_bool(logs, "recursive"));
    assert_int_equal(sl_node_int(logs, "block"), 64 << 20);
    assert_int_equal(sl_node_int(clean, "limit"), 25);
    assert_true(sl_node_double(clean, "limit") == 25.0);
    assert_true(sl_node_double(clean, "ratio") == 0.5);
    assert_null(sl_node_str(clean, "where"));
    assert_false(sl_node_opt(clean, "columns")->has_value);

    /* graph */
    assert_int_equal(logs->n_inputs, 0);
    assert_int_equal(clean->n_inputs, 1);
    assert_string_equal(clean->inputs[0], "logs");
    assert_ptr_equal(clean->input_nodes[0], logs);
    assert_ptr_equal(out->input_nodes[0], clean);
    assert_int_equal(logs->n_children, 1);
    assert_ptr_equal(logs->children[0], clean);
    assert_int_equal(clean->n_children, 1);
    assert_ptr_equal(clean->children[0], out);
    assert_int_equal(out->n_children, 0);

    assert_ptr_equal(sl_job_find(job, "clean"), clean);
    assert_null(sl_job_find(job, "nope"));
    assert_non_null(out->data); /* set by the check hook */
    sl_job_free(job);
    assert_int_equal(sink_releases, 1);
}

static void test_name_and_settings(void **state) {
    sl_job *job = load_ok("name: my-job\n"
                          "settings:\n"
                          "  threads: 4\n"
                          "  max_errors: 100\n"
                          "  max_error_rate: 0.25\n"
                          "  error_output: /tmp/errs\n"
                          "  spill_dir: /tmp/spill\n"
                          "  memory_limit: 1GB\n"
                          "  batch_records: 512\n" MINIMAL_NODES);
    assert_string_equal(job->name, "my-job");
    assert_null(job->description);
    assert_int_equal(job->settings.threads, 4);
    assert_int_equal(job->settings.max_errors, 100);
    assert_true(job->settings.max_error_rate == 0.25);
    assert_string_equal(job->settings.error_output, "/tmp/errs");
    assert_string_equal(job->settings.spill_dir, "/tmp/spill");
    assert_int_equal(job->settings.memory_limit, 1 << 30);
    assert_int_equal(job->settings.batch_records, 512);
    sl_job_free(job);

    /* name from the file name, settings block present but empty */
    sl_error err;
    job = NULL;
    const char *text = "settings:\n" MINIMAL_NODES;
    assert_int_equal(sl_job_load_text("/x/y/nightly.yml", text, strlen(text), NULL, 0, &job, &err), 0);
    assert_string_equal(job->name, "nightly");
    assert_int_equal(job->settings.batch_records, 1024);
    sl_job_free(job);
}

static void test_multi_input_and_fanout(void **state) {
    sl_job *job = load_ok("nodes:\n"
                          "  a:\n"
                          "    type: src\n"
                          "    path: a\n"
                          "  b:\n"
                          "    type: src\n"
                          "    path: b\n"
                          "  j:\n"
                          "    type: join\n"
                          "    inputs: [a, b]\n"
                          "  u:\n"
                          "    type: union\n"
                          "    inputs: a\n"
                          "  o1:\n"
                          "    type: sink\n"
                          "    input: j\n"
                          "    path: o1\n"
                          "  o2:\n"
                          "    type: sink\n"
                          "    inputs:\n"
                          "      - u\n"
                          "    path: o2\n");
    sl_node *a = sl_job_find(job, "a"), *j = sl_job_find(job, "j");
    assert_int_equal(j->n_inputs, 2);
    assert_ptr_equal(j->input_nodes[0], a);
    assert_ptr_equal(j->input_nodes[1], sl_job_find(job, "b"));
    assert_int_equal(a->n_children, 2);
    assert_ptr_equal(a->children[0], j);
    assert_ptr_equal(a->children[1], sl_job_find(job, "u"));
    assert_int_equal(sl_job_find(job, "o2")->n_inputs, 1);
    sl_job_free(job);
    assert_int_equal(sink_releases, 2);
}

/* ---- LIST and TREE ---- */

static void test_list_and_tree(void **state) {
    sl_job *job = load_ok("nodes:\n"
                          "  in:\n"
                          "    type: src\n"
                          "    path: p\n"
                          "  t1:\n"
                          "    type: xform\n"
                          "    input: in\n"
                          "    columns: [id, name, 'a b']\n"
                          "    mapping:\n"
                          "      id: long\n"
                          "      tags:\n"
                          "        - x\n"
                          "        - {k: v}\n"
                          "      note: \"q\\\"uote\"\n"
                          "  t2:\n"
                          "    type: xform\n"
                          "    input: t1\n"
                          "    columns: single\n"
                          "    mapping: just text\n"
                          "  t3:\n"
                          "    type: defaults\n"
                          "    input: t2\n"
                          "  out:\n"
                          "    type: sink\n"
                          "    input: t3\n"
                          "    path: o\n");
    const sl_node *t1 = sl_job_find(job, "t1"), *t2 = sl_job_find(job, "t2"), *t3 = sl_job_find(job, "t3");
    const sl_optval *cols = sl_node_opt(t1, "columns");
    assert_true(cols->set);
    assert_int_equal(cols->line, 8);
    assert_int_equal(cols->column, 14);
    assert_int_equal(cols->tree.type, SL_T_LIST);
    assert_int_equal(cols->tree.len, 3);
    assert_str_value(&cols->tree.u.items[0], "id");
    assert_str_value(&cols->tree.u.items[2], "a b");

    const sl_optval *map = sl_node_opt(t1, "mapping");
    assert_int_equal(map->line, 10);
    assert_int_equal(map->column, 7);
    assert_null(map->text);
    assert_int_equal(map->tree.type, SL_T_STRUCT);
    assert_int_equal(map->tree.len, 3);
    const sl_field *f = map->tree.u.fields;
    assert_int_equal(f[0].name_len, 2);
    assert_memory_equal(f[0].name, "id", 2);
    assert_str_value(&f[0].value, "long");
    assert_memory_equal(f[1].name, "tags", 4);
    assert_int_equal(f[1].value.type, SL_T_LIST);
    assert_int_equal(f[1].value.len, 2);
    assert_str_value(&f[1].value.u.items[0], "x");
    assert_int_equal(f[1].value.u.items[1].type, SL_T_STRUCT);
    assert_str_value(sl_struct_get(&f[1].value.u.items[1], "k"), "v");
    assert_str_value(&f[2].value, "q\"uote");
    assert_false(f[2].value.flags & SL_VF_JSON_PLAIN);
    assert_true(f[0].value.flags & SL_VF_JSON_PLAIN);

    /* a scalar is a one-item list; a scalar tree is a string */
    const sl_optval *one = sl_node_opt(t2, "columns");
    assert_int_equal(one->tree.type, SL_T_LIST);
    assert_int_equal(one->tree.len, 1);
    assert_str_value(&one->tree.u.items[0], "single");
    assert_string_equal(sl_node_str(t2, "mapping"), "just text");
    assert_str_value(&sl_node_opt(t2, "mapping")->tree, "just text");

    /* LIST / TREE defaults are YAML */
    const sl_optval *names = sl_node_opt(t3, "names");
    assert_false(names->set);
    assert_true(names->has_value);
    assert_int_equal(names->line, 0);
    assert_int_equal(names->tree.len, 2);
    assert_str_value(&names->tree.u.items[1], "b");
    const sl_optval *shape = sl_node_opt(t3, "shape");
    assert_int_equal(shape->tree.type, SL_T_STRUCT);
    assert_str_value(sl_struct_get(&shape->tree, "x"), "1");
    assert_int_equal(sl_struct_get(&shape->tree, "y")->len, 2);
    sl_job_free(job);
}

static void test_list_errors(void **state) {
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: p\n"
              "  t:\n"
              "    type: xform\n"
              "    input: in\n"
              "    columns: [a, [b]]\n",
              8, 18, "t", "option 'columns' expects a list of plain values; item 2 is a list");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: p\n"
              "  t:\n"
              "    type: xform\n"
              "    input: in\n"
              "    columns: {a: b}\n",
              8, 14, "t", "option 'columns' expects a list, got a mapping");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: [a]\n",
              4, 11, "in", "option 'path' expects a path, got a list");
}

/* ---- substitution ---- */

static void test_substitution(void **state) {
    const char *text = "args:\n"
                       "  base: /data\n"
                       "  input: ${base}/in.json\n"
                       "  out: ~\n"
                       "  threads: '2'\n"
                       "settings:\n"
                       "  threads: ${threads}\n"
                       "nodes:\n"
                       "  in:\n"
                       "    type: src\n"
                       "    path: ${input}\n"
                       "  t:\n"
                       "    type: xform\n"
                       "    input: in\n"
                       "    label: cost $5, price $$6, literal $${x}, ${base}${base}\n"
                       "    columns: ['${base}', x]\n"
                       "    mapping: {k: '${out}'}\n"
                       "  o:\n"
                       "    type: sink\n"
                       "    input: t\n"
                       "    path: ${out}/result\n";
    sl_jobarg args[] = {{"out", "/tmp/o"}, {"extra", "1"}, {"base", "/cli"}, {"extra", "2"}};
    sl_job *job = load_ok_args(text, args, 4);
    assert_string_equal(sl_node_str(job->nodes[0], "path"), "/cli/in.json");
    assert_string_equal(sl_node_str(job->nodes[1], "label"), "cost $5, price $$6, literal ${x}, /cli/cli");
    assert_str_value(&sl_node_opt(job->nodes[1], "columns")->tree.u.items[0], "/cli");
    assert_str_value(sl_struct_get(&sl_node_opt(job->nodes[1], "mapping")->tree, "k"), "/tmp/o");
    assert_string_equal(sl_node_str(job->nodes[2], "path"), "/tmp/o/result");
    assert_int_equal(job->settings.threads, 2);
    /* declared args first (file order), then extras; the last --arg wins */
    assert_int_equal(job->n_args, 5);
    assert_string_equal(job->args[0].name, "base");
    assert_string_equal(job->args[0].value, "/cli");
    assert_string_equal(job->args[1].name, "input");
    assert_string_equal(job->args[1].value, "/cli/in.json");
    assert_string_equal(arg(job, "out"), "/tmp/o");
    assert_string_equal(arg(job, "threads"), "2");
    assert_string_equal(job->args[4].name, "extra");
    assert_string_equal(job->args[4].value, "2");
    sl_job_free(job);

    /* without --arg: defaults; `out` has none and is used → error at the first scalar using it */
    load_fail(text, 17, 18, "t", "argument 'out' has no default; set it with --arg out=VALUE");
}

static void test_substitution_errors(void **state) {
    sl_error err = load_fail("args:\n"
                             "  input: a\n"
                             "  output: b\n"
                             "nodes:\n"
                             "  in:\n"
                             "    type: src\n"
                             "    path: data/${inptu}.json\n",
                             7, 11, "in", "unknown argument '${inptu}'; did you mean 'input'?");
    assert_non_null(strstr(err.message, "arguments are: input, output"));
    assert_non_null(strstr(err.message, "--arg inptu=VALUE"));

    err = load_fail("nodes:\n"
                    "  in:\n"
                    "    type: src\n"
                    "    path: \"${x}\"\n",
                    4, 11, "in", "unknown argument '${x}'; the job declares no arguments");
    assert_non_null(strstr(err.message, "--arg x=VALUE"));

    load_fail("settings:\n"
              "  error_output: ${nope}\n" MINIMAL_NODES,
              2, 17, NULL, "unknown argument '${nope}'");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: ${x\n",
              4, 11, "in", "unterminated '${'");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: a${}b\n",
              4, 11, "in", "empty '${}'");
    load_fail("args:\n"
              "  a: x${b}\n"
              "  b: y${a}\n" MINIMAL_NODES,
              2, 6, NULL, "argument 'a' refers to itself");
    load_fail("args:\n"
              "  'bad name': x\n" MINIMAL_NODES,
              2, 3, NULL, "argument name 'bad name' may contain only");
    load_fail("args: [a, b]\n" MINIMAL_NODES, 1, 7, NULL, "'args' expects a mapping");
}

/* ---- option and settings errors ---- */

static void test_option_errors(void **state) {
    load_fail("settings:\n"
              "  max_errors: ten\n" MINIMAL_NODES,
              2, 15, NULL, "option 'max_errors' expects an integer, got 'ten'");
    load_fail("settings:\n"
              "  threads: -1\n" MINIMAL_NODES,
              2, 12, NULL, "setting 'threads' must be between 0 and 4096");
    load_fail("settings:\n"
              "  max_error_rate: 1.5\n" MINIMAL_NODES,
              2, 19, NULL, "setting 'max_error_rate' must be a fraction between 0 and 1, got 1.5");
    load_fail("settings:\n"
              "  batch_records: 0\n" MINIMAL_NODES,
              2, 18, NULL, "setting 'batch_records' must be between 1 and");
    sl_error err = load_fail("settings:\n"
                             "  thread: 3\n" MINIMAL_NODES,
                             2, 3, NULL, "unknown setting 'thread'; did you mean 'threads'?");
    assert_non_null(strstr(err.message, "valid settings: threads, max_errors, max_error_rate, error_output, "
                                        "spill_dir, memory_limit, batch_records"));
    load_fail("settings: 3\n" MINIMAL_NODES, 1, 11, NULL, "'settings' expects a mapping");

    err = load_fail("nodes:\n"
                    "  in:\n"
                    "    type: src\n"
                    "    pth: x\n",
                    4, 5, "in", "unknown option 'pth' for node type 'src'; did you mean 'path'?");
    assert_non_null(strstr(err.message, "valid options: path, format, recursive, block"));

    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    format: xml\n"
              "    path: p\n",
              4, 13, "in", "option 'format' expects one of json, csv, auto; got 'xml'");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: p\n"
              "    recursive: maybe\n",
              5, 16, "in", "option 'recursive' expects true or false");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: p\n"
              "    block: 12 parsecs\n",
              5, 12, "in", "option 'block' expects a byte size");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    format: csv\n",
              2, 3, "in", "missing required option 'path' (node type 'src')");
    /* an empty value counts as absent */
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path:\n",
              2, 3, "in", "missing required option 'path'");
}

static void test_structure_errors(void **state) {
    sl_error err = load_fail("node:\n  a: 1\n", 1, 1, NULL, "unknown top-level key 'node'; did you mean 'nodes'?");
    assert_non_null(strstr(err.message, "valid keys: name, description, args, settings, nodes"));
    load_fail("name: x\n", 1, 1, NULL, "the job has no nodes");
    load_fail("nodes:\n", 1, 7, NULL, "the job has no nodes");
    load_fail("nodes: [a]\n", 1, 8, NULL, "'nodes' expects a mapping");
    load_fail("nodes: {}\n", 1, 8, NULL, "the job has no nodes");
    load_fail("", 1, 1, NULL, "the job file is empty");
    load_fail("# only a comment\n", 1, 1, NULL, "the job file is empty");
    load_fail("- a\n- b\n", 1, 1, NULL, "a job file is a mapping");
    load_fail("name: [x]\n" MINIMAL_NODES, 1, 7, NULL, "'name' expects text, got a list");

    load_fail("nodes:\n"
              "  in:\n"
              "    path: p\n",
              2, 3, "in", "node has no 'type:'; known types: src, xform, join, union, defaults, sink");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: srcc\n",
              3, 11, "in", "unknown node type 'srcc'; did you mean 'src'?");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: read_everything\n",
              3, 11, "in", "unknown node type 'read_everything'; known types: src, xform, join");
    load_fail("nodes:\n"
              "  in: 3\n",
              2, 7, "in", "a node is a mapping with 'type:'");
    load_fail("nodes:\n"
              "  in:\n",
              2, 3, "in", "a node is a mapping with 'type:'");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: [src]\n",
              3, 11, "in", "'type' expects a node type name, got a list");
}

static void test_yaml_errors(void **state) {
    sl_error err = load_fail("nodes:\n"
                             "  in:\n"
                             "    type: src\n"
                             "   path: p\n",
                             4, 4, NULL,
                             "invalid YAML: did not find expected key (while parsing a block mapping "
                             "that starts at line 2, column 3)");
    load_fail("nodes:\n  a: [1, 2\n", 3, 1, NULL, "invalid YAML: did not find expected ',' or ']'");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    type: sink\n",
              4, 5, NULL, "duplicate key 'type' (first written at line 3)");
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: *nowhere\n",
              4, 11, NULL, "alias '*nowhere' refers to no anchor");
    load_fail("nodes:\n  a: 1\n---\nnodes: {}\n", 3, 1, NULL, "a job file holds one YAML document");
    load_fail("nodes:\n  ? [a]\n  : 1\n", 2, 5, NULL, "a mapping key must be text, not a list");
    load_fail("name: \"a\\0b\"\n" MINIMAL_NODES, 1, 7, NULL, "NUL character");
    err = load_fail("name: a\x01\n", 1, 8, NULL, "invalid job file text");
    assert_int_equal(err.offset, 7);
}

static void test_yaml_aliases(void **state) {
    /* an anchored node reused under another name */
    sl_job *job = load_ok("nodes:\n"
                          "  in:\n"
                          "    type: src\n"
                          "    path: &p shared/path\n"
                          "  out: &sink\n"
                          "    type: sink\n"
                          "    input: in\n"
                          "    path: *p\n"
                          "  out2: *sink\n");
    assert_int_equal(job->n_nodes, 3);
    assert_string_equal(sl_node_str(job->nodes[2], "path"), "shared/path");
    assert_int_equal(job->nodes[0]->n_children, 2);
    sl_job_free(job);

    /* exponential alias expansion is bounded */
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: p\n"
              "  t:\n"
              "    type: xform\n"
              "    input: in\n"
              "    mapping:\n"
              "      a: &a [x, x, x, x, x, x, x, x, x, x]\n"
              "      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
              "      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
              "      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
              "      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
              "      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
              9, 7, "t", "option 'mapping': list and structure options hold more than 100000 values");
}

/* ---- graph ---- */

static void test_graph_errors(void **state) {
    sl_error err = load_fail("nodes:\n"
                             "  logs:\n"
                             "    type: src\n"
                             "    path: p\n"
                             "  out:\n"
                             "    type: sink\n"
                             "    input: lgs\n"
                             "    path: o\n",
                             7, 12, "out", "input 'lgs' names no node; did you mean 'logs'?");
    assert_non_null(strstr(err.message, "nodes: logs, out"));

    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  b:\n"
              "    type: src\n"
              "    input: a\n"
              "    path: p\n",
              7, 5, "b", "node type 'src' is a source and takes no input");
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  o:\n"
              "    type: sink\n"
              "    path: p\n",
              5, 3, "o", "node type 'sink' needs an input: add 'input: NODE'");
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  j:\n"
              "    type: join\n"
              "    inputs: [a]\n",
              7, 5, "j", "node type 'join' takes 2 inputs, got 1");
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  j:\n"
              "    type: join\n"
              "    inputs: [a, a]\n",
              7, 17, "j", "input 'a' is listed twice");
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  o:\n"
              "    type: sink\n"
              "    input: a\n"
              "    inputs: [a]\n"
              "    path: p\n",
              8, 5, "o", "write either 'input: NODE' or 'inputs: [A, B]', not both");
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  o:\n"
              "    type: sink\n"
              "    input: [a]\n"
              "    path: p\n",
              7, 12, "o", "'input' takes one node name");
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n"
              "  o:\n"
              "    type: sink\n"
              "    input: a\n"
              "    path: p\n"
              "  t:\n"
              "    type: xform\n"
              "    input: o\n",
              11, 12, "t", "input 'o' is a target (type 'sink'), which produces no records");
}

static void test_cycles(void **state) {
    load_fail("nodes:\n"
              "  s:\n"
              "    type: src\n"
              "    path: p\n"
              "  a:\n"
              "    type: xform\n"
              "    input: c\n"
              "  b:\n"
              "    type: xform\n"
              "    input: a\n"
              "  c:\n"
              "    type: union\n"
              "    inputs: [b, s]\n"
              "  o:\n"
              "    type: sink\n"
              "    input: c\n"
              "    path: o\n",
              5, 3, "a", "the nodes form a cycle: a -> b -> c -> a");
    load_fail("nodes:\n"
              "  s:\n"
              "    type: src\n"
              "    path: p\n"
              "  x:\n"
              "    type: union\n"
              "    inputs: [s, x]\n"
              "  o:\n"
              "    type: sink\n"
              "    input: x\n"
              "    path: o\n",
              5, 3, "x", "the nodes form a cycle: x -> x");
}

static void test_missing_source_or_target(void **state) {
    load_fail("nodes:\n"
              "  a:\n"
              "    type: src\n"
              "    path: p\n",
              2, 3, NULL, "the job has no target node; target types: sink");
    load_fail("nodes:\n"
              "  x:\n"
              "    type: union\n"
              "    input: y\n"
              "  y:\n"
              "    type: xform\n"
              "    input: x\n"
              "  o:\n"
              "    type: sink\n"
              "    input: x\n"
              "    path: o\n",
              2, 3, "x", "cycle");
}

static void test_check_hook(void **state) {
    load_fail("nodes:\n"
              "  in:\n"
              "    type: src\n"
              "    path: p\n"
              "  first:\n"
              "    type: sink\n"
              "    input: in\n"
              "    path: ok\n"
              "  second:\n"
              "    type: sink\n"
              "    input: in\n"
              "    path: bad\n",
              9, 3, "second", "path may not be 'bad'");
    assert_int_equal(sink_releases, 2); /* both nodes' data released on failure */
}

/* ---- files ---- */

static void test_load_file(void **state) {
    char path[] = "/tmp/sluice_test_job_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = MINIMAL_NODES;
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    sl_job *job = NULL;
    sl_error err;
    assert_int_equal(sl_job_load(path, NULL, 0, &job, &err), 0);
    assert_string_equal(job->file, path);
    assert_int_equal(job->n_nodes, 2);
    sl_job_free(job);
    unlink(path);

    assert_int_equal(sl_job_load("/nonexistent/job.yaml", NULL, 0, &job, &err), SL_EIO);
    assert_null(job);
    assert_string_equal(err.file, "/nonexistent/job.yaml");
    assert_non_null(strstr(err.message, "cannot open job file"));
}

/* ---- option.c ---- */

static void test_option_convert(void **state) {
    sl_optval v;
    sl_error err;
    sl_option o = {"n", SL_OPT_INT, NULL, NULL, NULL, 0};
    assert_int_equal(sl_option_convert(&o, "-42", &v, &err), 0);
    assert_int_equal(v.i, -42);
    assert_true(v.has_value);
    assert_int_equal(sl_option_convert(&o, "+7", &v, &err), 0);
    assert_int_equal(v.i, 7);
    assert_int_equal(sl_option_convert(&o, "9223372036854775807", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "9223372036854775808", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "1.0", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, " 1", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "-", &v, &err), 0);
    assert_string_equal(err.message, "option 'n' expects an integer, got '-'");

    o.type = SL_OPT_DOUBLE;
    assert_int_equal(sl_option_convert(&o, "1e3", &v, &err), 0);
    assert_true(v.d == 1000.0);
    assert_int_not_equal(sl_option_convert(&o, "1x", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "nan", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "", &v, &err), 0);
    assert_string_equal(err.message, "option 'n' expects a number, got ''");

    o.type = SL_OPT_BOOL;
    const char *yes[] = {"true", "TRUE", "Yes", "on", "1"}, *no[] = {"false", "No", "OFF", "0"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(sl_option_convert(&o, yes[i], &v, &err), 0);
        assert_true(v.b);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(sl_option_convert(&o, no[i], &v, &err), 0);
        assert_false(v.b);
    }
    assert_int_not_equal(sl_option_convert(&o, "2", &v, &err), 0);

    o.type = SL_OPT_ENUM;
    o.choices = "json|csv|auto";
    assert_int_equal(sl_option_convert(&o, "csv", &v, &err), 0);
    assert_string_equal(v.text, "csv");
    assert_int_not_equal(sl_option_convert(&o, "cs", &v, &err), 0);
    assert_int_not_equal(sl_option_convert(&o, "JSON", &v, &err), 0);
    assert_string_equal(err.message, "option 'n' expects one of json, csv, auto; got 'JSON'");

    o.type = SL_OPT_STRING;
    assert_int_equal(sl_option_convert(&o, "any thing", &v, &err), 0);
    assert_string_equal(v.text, "any thing");

    /* long values are cut in messages */
    o.type = SL_OPT_INT;
    char longtext[200];
    memset(longtext, 'z', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = 0;
    assert_int_not_equal(sl_option_convert(&o, longtext, &v, &err), 0);
    assert_true(strlen(err.message) < 120);
}

static void test_parse_size(void **state) {
    static const struct {
        const char *text;
        int64_t want;
    } ok[] = {{"4096", 4096},          {"0", 0},
              {"512k", 512 * 1024},    {"512K", 512 * 1024},
              {"64MB", 64ll << 20},    {"64 MiB", 64ll << 20},
              {"1 GiB", 1ll << 30},    {"1g", 1ll << 30},
              {"2T", 2ll << 40},       {"1.5K", 1536},
              {"0.5 GB", 512ll << 20}, {"10B", 10},
              {" 7 kb ", 7168},        {"8191P", 8191ll << 50}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t got = -1;
        assert_int_equal(sl_parse_size(ok[i].text, &got), 0);
        assert_int_equal(got, ok[i].want);
    }
    const char *bad[] = {"", "k", "-1", "1.", "1 XB", "12 parsecs", "8192P", "99999999999999999999", "1KK", "1.5.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t got;
        assert_int_equal(sl_parse_size(bad[i], &got), SL_EINVAL);
    }
}

static void test_help(void **state) {
    sl_buf b;
    sl_buf_init(&b, 0);
    sl_options_help(sl_job_settings_options, false, &b);
    for (const sl_option *o = sl_job_settings_options; o->name; o++) {
        char head[64];
        snprintf(head, sizeof head, "  %s (", o->name);
        assert_non_null(strstr(b.data, head));
    }
    assert_non_null(strstr(b.data, "  threads (integer, default 0)\n      Worker threads"));
    assert_non_null(strstr(b.data, "  memory_limit (size, default 1GB)\n"));
    for (char *line = b.data; line && *line;) { /* wrapped at 78 columns */
        char *nl = strchr(line, '\n');
        assert_true((nl ? (size_t)(nl - line) : strlen(line)) <= 78);
        line = nl ? nl + 1 : NULL;
    }

    sl_buf_reset(&b);
    sl_options_help(src_opts, false, &b);
    assert_non_null(strstr(b.data, "  path (path, required)\n      Where to read.\n"));
    assert_non_null(
        strstr(b.data, "  format (enum, default auto)\n      Input format.\n      one of: json, csv, auto\n"));

    sl_buf_reset(&b);
    sl_options_help(xform_opts, true, &b);
    assert_non_null(strstr(b.data, "| option | type | default | description |\n|---|---|---|---|\n"));
    for (const sl_option *o = xform_opts; o->name; o++) {
        char cell[64];
        snprintf(cell, sizeof cell, "| `%s` |", o->name);
        assert_non_null(strstr(b.data, cell));
    }
    assert_non_null(strstr(b.data, "| `limit` | integer | `10` | A limit \\| with a pipe. |\n"));
    sl_buf_reset(&b);
    sl_options_help(src_opts, true, &b);
    assert_non_null(strstr(b.data, "| `path` | path | *required* | Where to read. |\n"));
    assert_non_null(strstr(b.data, "One of: `json`, `csv`, `auto`."));
    sl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_and_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_input_and_fanout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_substitution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_substitution_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_graph_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cycles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_source_or_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
        cmocka_unit_test(test_option_convert),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
