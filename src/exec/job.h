/*
 * job.h — job files: a YAML description of a DAG of named nodes.
 *
 *   name: applogs-clean              # optional, defaults to the file name
 *   description: …                   # optional
 *   args:                            # defaults for --arg name=value
 *     input: examples/applogs/data/applogs.json.gz
 *   settings:                        # run settings (see sl_job_settings_options)
 *     max_errors: 100
 *   nodes:                           # ordered mapping: node name → node
 *     logs:
 *       type: read_file
 *       path: ${input}
 *     clean:
 *       type: apply_mapping
 *       input: logs                  # or `inputs: [a, b]`
 *       …
 *
 * `${name}` in any scalar is replaced by the argument's value (command line
 * first, then `args:` defaults); `$${` writes a literal "${"; an unknown
 * argument is a validation error. Loading validates everything before any
 * data moves: unknown keys, option types, required options, node types,
 * inputs that name no node, cycles, sources with inputs, targets without.
 * Each error names file, line, column and node and says what was expected.
 */
#ifndef SL_JOB_H
#define SL_JOB_H

#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "exec/node.h"

typedef struct sl_jobarg {
    const char *name;
    const char *value;
} sl_jobarg;

/* Run settings (the `settings:` block; command-line flags override). */
typedef struct sl_job_settings {
    int threads;              /* 0 = number of cores */
    int64_t max_errors;       /* -1 = unlimited (default) */
    double max_error_rate;    /* 0..1; 1 = unlimited (default) */
    const char *error_output; /* directory for errors-<run-id>.jsonl */
    const char *spill_dir;    /* NULL = $TMPDIR, else /tmp */
    int64_t memory_limit;     /* bytes sort/coalesce may hold before spilling (default 1 GiB) */
    int64_t batch_records;    /* records per batch (default 4096) */
} sl_job_settings;

typedef struct sl_job {
    char *file;        /* path as given */
    char *name;
    char *description;
    sl_node **nodes;   /* in file order */
    size_t n_nodes;
    sl_jobarg *args;   /* resolved arguments (defaults + command line) */
    size_t n_args;
    sl_job_settings settings;
    sl_arena arena;    /* option trees and strings live here */
} sl_job;

/* The option table of the `settings:` block (for help and docs). */
extern const sl_option sl_job_settings_options[];

/* Load and validate a job file. args: command-line --arg values (override
 * defaults). On error returns SL_EINVAL (or SL_EIO) with err located. */
int sl_job_load(const char *path, const sl_jobarg *args, size_t n_args, sl_job **out, sl_error *err);
/* Same from text in memory (file_name is used in messages). */
int sl_job_load_text(const char *file_name, const char *text, size_t len, const sl_jobarg *args,
                     size_t n_args, sl_job **out, sl_error *err);
void sl_job_free(sl_job *job);

sl_node *sl_job_find(const sl_job *job, const char *name);

/* How the loader finds node types. Production uses the registry
 * (sl_node_type_find / sl_node_types); tests and fuzz targets install fake
 * tables. Passing NULL restores the registry. Not thread-safe: call before
 * loading, from one thread. */
typedef const sl_node_type *(*sl_node_type_lookup)(const char *name);
typedef const sl_node_type *const *(*sl_node_type_lister)(size_t *count);
void sl_job_set_lookup(sl_node_type_lookup fn);
void sl_job_set_type_list(sl_node_type_lister fn); /* used to suggest and list type names */

#endif
