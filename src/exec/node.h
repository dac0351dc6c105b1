/*
 * node.h — node types (sources, transforms, targets) and their vtables.
 *
 * Every node type is a static `sl_node_type` registered by name in
 * registry.c, the way Fluent Bit registers in_/filter_/out_ plug-ins.
 *
 * Lifecycle in a run (executor.c):
 *   validate:  options parsed against type->options; type->check(node)
 *   prepare:   type->prepare(node, run)       once per run (may be NULL)
 *   sources:   plan(node, run) → splits; per split, on a worker thread:
 *              open(split) → next(batch)… → close
 *   transforms: per worker, init(node) → state; process(state, batch)…; fini
 *   targets:   per split, open(node, run, split) → writer; write(batch)…;
 *              close(writer) (finishes a part file in staging);
 *              then once per run commit(node, run) on success or
 *              abort(node, run) on failure.
 * Bad records are sent to sl_run_reject() (run.h) and dropped from the
 * batch; returning a negative status from a callback fails the whole run.
 */
#ifndef SL_NODE_H
#define SL_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/error.h"
#include "exec/option.h"

typedef struct sl_node sl_node;
typedef struct sl_run sl_run;

typedef enum sl_node_kind { SL_NODE_SOURCE, SL_NODE_TRANSFORM, SL_NODE_TARGET } sl_node_kind;

/* One unit of source work: a file, a byte range of a file, a scan segment. */
typedef struct sl_split {
    char *path;        /* file path / object key; owned by the split list */
    uint64_t offset;   /* byte range start */
    uint64_t length;   /* byte range length; UINT64_MAX = to end of file */
    uint32_t index;    /* position in the plan: orders output part files */
    uint32_t file_index; /* which input file (0-based) */
    void *data;        /* source-specific; freed by the source's free_splits */
} sl_split;

typedef struct sl_node_type {
    const char *name;     /* type name in job files, e.g. "read_file" */
    sl_node_kind kind;
    const char *summary;  /* one line for `sluice help` */
    const char *help;     /* paragraphs for `sluice help NODE` (may be NULL) */
    const sl_option *options; /* terminated by an entry with name == NULL */
    int min_inputs, max_inputs; /* sources 0/0; most transforms and targets 1/1 */
    /* Named outputs (NULL-terminated), e.g. {"matched", "rest", NULL}:
     * children take one with `input: NODE.PORT`, and process() tags each
     * record with its port in b->ports. NULL = one unnamed output. */
    const char *const *outputs;
    /* Port names are chosen by the job file (relationalize's frames): any
     * `NODE.NAME` is accepted and collected, in order of first use, into
     * node->ports before check() runs. */
    bool any_outputs;

    /* Extra validation after option parsing (expressions, cross-option
     * rules). Fill err (node name is added by the caller). May be NULL. */
    int (*check)(sl_node *node, sl_error *err);
    /* Once per run before any data moves (may be NULL). */
    int (*prepare)(sl_node *node, sl_run *run, sl_error *err);
    /* Release anything prepare/check stored in node->data (may be NULL). */
    void (*release)(sl_node *node);

    /* sources */
    int (*plan)(sl_node *node, sl_run *run, sl_split **splits, size_t *n_splits, sl_error *err);
    int (*open)(sl_node *node, sl_run *run, const sl_split *split, void **reader, sl_error *err);
    /* Fill b (already reset) with up to a batch of records. Returns 1 when
     * records (or only consumed bytes) were produced, 0 at the end of the
     * split, negative on a fatal error. */
    int (*next)(void *reader, sl_batch *b, sl_error *err);
    void (*close)(void *reader);
    void (*free_splits)(sl_split *splits, size_t n); /* may be NULL: default frees path */

    /* transforms (per worker state) */
    int (*init)(sl_node *node, sl_run *run, void **state, sl_error *err);
    int (*process)(void *state, sl_batch *b, sl_error *err);
    void (*fini)(void *state);
    /* Optional: the top-level fields of its input records the transform
     * reads, as a LIST of STRING names it owns; NULL when it may read any
     * field or passes records on whole. The executor hands it to the
     * source feeding the transform (sl_node.projection). */
    const sl_value *(*input_fields)(const sl_node *node);

    /* pipeline breakers (sort, coalesce): a transform that must see all of
     * its input before it can emit anything. In the first phase process()
     * consumes batches on every worker into that worker's state (records
     * deep-copied out of the batch) and leaves the batch empty; when every
     * input of the node is complete, seal() receives the per-worker states
     * (taking ownership) and the node then produces its output through the
     * source callbacks above (plan, open, next, close), feeding its children
     * in a later stage of the run. */
    bool breaker;
    int (*seal)(sl_node *node, sl_run *run, void **states, size_t n_states, sl_error *err);

    /* targets */
    int (*target_open)(sl_node *node, sl_run *run, const sl_split *split, void **writer, sl_error *err);
    int (*write)(void *writer, sl_batch *b, sl_error *err);
    int (*target_close)(void *writer, sl_error *err); /* finish the part; 0 ok */
    void (*target_discard)(void *writer);             /* failure path: drop the part */
    int (*commit)(sl_node *node, sl_run *run, sl_error *err);
    void (*abort)(sl_node *node, sl_run *run);
} sl_node_type;

/* Per-node counters, updated atomically by workers. */
typedef struct sl_node_stats {
    uint64_t records_in, records_out, errors, bytes_in, bytes_out, nanos;
} sl_node_stats;

struct sl_node {
    char *name;
    const sl_node_type *type;
    char **inputs;          /* names as written */
    size_t n_inputs;
    sl_node **input_nodes;  /* resolved */
    int *input_ports;       /* parallel to inputs: port of the input node, -1 = its only output */
    sl_node **children;     /* nodes that take this one as input (one entry per edge) */
    int *child_ports;       /* parallel to children: the port each edge carries, -1 = all */
    uint32_t *child_inputs; /* parallel to children: which of the child's inputs the edge is */
    size_t n_children;
    const char **ports;     /* output port names (type->outputs, or collected for any_outputs) */
    size_t n_ports;
    sl_optval *opts;        /* parallel to type->options */
    int line, column;       /* where the node is defined */
    const char *job_file;
    void *data;             /* node-private, set by check/prepare */
    size_t index;           /* position in job->nodes (set by the executor) */
    bool passthrough;       /* a breaker type that found (in check) it can stream unchanged,
                             * e.g. coalesce: 1 right after a sort */
    const sl_value *projection; /* sources: the only fields their records need (LIST of STRING, from
                             * their single consumer's input_fields; set by the executor before
                             * prepare; NULL: all). A source may leave the other fields out. */
    sl_node_stats stats;
};

/* Option accessors by name (the name must exist in the node's table; a
 * misspelt name is a programming error and aborts). */
const sl_optval *sl_node_opt(const sl_node *n, const char *name);
const char *sl_node_str(const sl_node *n, const char *name);   /* NULL if unset, no default */
int64_t sl_node_int(const sl_node *n, const char *name);
double sl_node_double(const sl_node *n, const char *name);
bool sl_node_bool(const sl_node *n, const char *name);

/* Does n hold its whole input before emitting (a breaker not in passthrough)? */
static inline bool sl_node_is_breaker(const sl_node *n) { return n->type->breaker && !n->passthrough; }

/* Registry (registry.c). */
const sl_node_type *sl_node_type_find(const char *name);
const sl_node_type *const *sl_node_types(size_t *count);
const char *sl_node_kind_name(sl_node_kind kind);

#endif
