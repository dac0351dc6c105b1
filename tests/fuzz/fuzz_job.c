/*
 * fuzz_job.c — libFuzzer target for job files: arbitrary bytes go through
 * sl_job_load_text against a small fake node-type table (a source, a
 * transform with every option type, a two-input join, a target). Loading
 * must never crash, hang or leak, whatever the text.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "exec/job.h"

static const sl_option src_opts[] = {
    {"path", SL_OPT_PATH, NULL, "Input.", NULL, SL_OPTF_REQUIRED},
    {"format", SL_OPT_ENUM, "auto", "Format.", "json|csv|auto", 0},
    {"recursive", SL_OPT_BOOL, "false", "Recurse.", NULL, 0},
    {"block", SL_OPT_SIZE, "64MB", "Split size.", NULL, 0},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static const sl_option xform_opts[] = {
    {"columns", SL_OPT_LIST, "[a, b]", "Columns.", NULL, 0},
    {"mapping", SL_OPT_TREE, "{x: [1, 2]}", "Mapping.", NULL, 0},
    {"limit", SL_OPT_INT, "10", "Limit.", NULL, 0},
    {"ratio", SL_OPT_DOUBLE, "0.5", "Ratio.", NULL, 0},
    {"where", SL_OPT_EXPR, NULL, "Condition.", NULL, 0},
    {"label", SL_OPT_STRING, NULL, "Text.", NULL, 0},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static const sl_option sink_opts[] = {
    {"path", SL_OPT_PATH, NULL, "Output.", NULL, SL_OPTF_REQUIRED},
    {NULL, 0, NULL, NULL, NULL, 0},
};

static int xform_check(sl_node *node, sl_error *err) {
    const char *where = sl_node_str(node, "where");
    if (where && !strcmp(where, "fail")) return sl_error_set(err, SL_EINVAL, "bad condition");
    return 0;
}

static const sl_node_type src_type = {.name = "src", .kind = SL_NODE_SOURCE, .options = src_opts};
static const sl_node_type xform_type = {.name = "xform",
                                        .kind = SL_NODE_TRANSFORM,
                                        .options = xform_opts,
                                        .min_inputs = 1,
                                        .max_inputs = 1,
                                        .check = xform_check};
static const sl_node_type join_type = {.name = "join", .kind = SL_NODE_TRANSFORM, .min_inputs = 2, .max_inputs = -1};
static const sl_node_type sink_type = {
    .name = "sink", .kind = SL_NODE_TARGET, .options = sink_opts, .min_inputs = 1, .max_inputs = 1};

static const sl_node_type *const types[] = {&src_type, &xform_type, &join_type, &sink_type};

static const sl_node_type *find(const char *name) {
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(types[i]->name, name)) return types[i];
    return NULL;
}

static const sl_node_type *const *list(size_t *count) {
    *count = sizeof types / sizeof types[0];
    return types;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sl_job_set_lookup(find);
    sl_job_set_type_list(list);
    static const sl_jobarg args[] = {{"input", "in.json"}, {"extra", "x"}};
    sl_job *job = NULL;
    sl_error err;
    if (sl_job_load_text("fuzz.yaml", (const char *)data, size, args, 2, &job, &err) == 0) sl_job_free(job);
    return 0;
}
