/*
 * relationalize.c — `relationalize` (Glue's Relationalize /
 * DynamicFrame.relationalize): nested records become flat relational
 * frames joined by generated keys.
 *
 *   root frame   every input record, nested structs flattened to dotted
 *                columns (a.b.c); each array column replaced by a long key
 *   array frames one per array column path P (at any depth), named
 *                <root>_<P with every '.' → '_'>; one row per element with
 *                `id` (the key in the parent row), `index` (0-based position)
 *                and the element: `P.val` for a scalar (or an empty struct),
 *                `P.val.x.y` columns for a struct, and for an array element
 *                `P.val` holds a key into frame <root>_<P>_val.
 * Arrays inside array elements are pivoted the same way, recursively, so a
 * frame can itself have child frames (root_orders → root_orders_val_items).
 *
 * The frames are the node's outputs (exec/node.h `any_outputs`): children
 * read them as `input: NODE.root`, `input: NODE.root_orders`; rows of a frame
 * no child reads are not built (the walk still runs, so keys are the same
 * whichever frames are read).
 *
 * Keys: (input split index << 40) + n, n = 1, 2, … counting the arrays of
 * the split in input order (depth first). A worker reads a split from start
 * to end (executor.c), so keys are unique across the run and the same
 * whatever the thread count. Empty arrays get a key and no rows; a null
 * array stays null; a missing one stays missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "transforms/transform_util.h"

typedef struct rel_data {
    char *root, *sep;
    size_t root_len, sep_len;
    size_t *port_lens; /* parallel to node->ports */
    int root_port;     /* port of the root frame, -1 when no child reads it */
} rel_data;

/* A column path met in the data, with what the walk needs at it: the
 * column name and, for an array there, its frame name and output port.
 * Records of one source share their shape, so a worker keeps these in a
 * tree (children in order of first sight; field i of a struct is usually
 * child i) and builds a name once, not once per row. */
typedef struct pnode pnode;
struct pnode {
    const char *seg; /* last path segment */
    size_t seg_len;
    sl_field col; /* name, name_len, name_flags of the column (value unused) */
    char *frame;  /* frame name of an array at this path (root_a_b) */
    size_t frame_len;
    int port;    /* that frame's output port, -1 when no child reads it */
    bool cached; /* lives in the worker's cache (else in the batch arena) */
    pnode **kids;
    uint32_t n_kids, cap_kids;
    pnode *val; /* the elements of an array here: path P.val */
};

/* Bounds on the cache, for data whose field names never repeat (maps
 * written as structs): past them new paths live in the batch arena only. */
#define MAX_KIDS 256
#define MAX_CACHED (1u << 16)

typedef struct rel_worker {
    sl_node *node;
    const rel_data *d;
    bool in_split;
    uint64_t split, n_keys; /* the split being read; keys handed out in it */
    sl_arena cache;         /* pnodes and their names */
    pnode *top;             /* the root record's path */
    size_t n_cached;
    sl_arena *a;   /* the batch arena */
    sl_value *out; /* rows emitted (in the batch arena) */
    sl_recloc *locs;
    uint16_t *ports;
    size_t n, cap;
} rel_worker;

static const sl_option relationalize_options[] = {
    {"root", SL_OPT_STRING, "root",
     "Name of the root frame. Array frames are named `ROOT_PATH`: the root name, '_' and the array's column path "
     "with '.' replaced by '_' (root_items, root_items_val_tags). Children read a frame as `input: NODE.FRAME`.",
     NULL, 0},
    {"separator", SL_OPT_STRING, ".",
     "Joins the names in flattened column names (a.b.c, items.val.sku). The frame names always use '_'.", NULL, 0},
    {0},
};

static void rel_release(sl_node *node) {
    rel_data *d = node->data;
    if (!d) return;
    free(d->root);
    free(d->sep);
    free(d->port_lens);
    free(d);
    node->data = NULL;
}

static int rel_check(sl_node *node, sl_error *err) {
    rel_data *d = sl_xcalloc(1, sizeof *d);
    node->data = d;
    d->root = sl_xstrdup(sl_node_str(node, "root"));
    d->sep = sl_xstrdup(sl_node_str(node, "separator"));
    d->root_len = strlen(d->root);
    d->sep_len = strlen(d->sep);
    d->root_port = -1;
    if (!d->root_len || strchr(d->root, '.')) {
        sl_error_set(err, SL_EINVAL, "root must be a non-empty name without '.', got '%s'", d->root);
        sl_error_at_option(err, node, "root");
        return SL_EINVAL;
    }
    if (!d->sep_len) {
        sl_error_set(err, SL_EINVAL, "separator must not be empty");
        sl_error_at_option(err, node, "separator");
        return SL_EINVAL;
    }
    d->port_lens = sl_xcalloc(node->n_ports ? node->n_ports : 1, sizeof *d->port_lens);
    for (size_t p = 0; p < node->n_ports; p++) {
        const char *name = node->ports[p];
        d->port_lens[p] = strlen(name);
        if (!strcmp(name, d->root)) {
            d->root_port = (int)p;
            continue;
        }
        if (d->port_lens[p] > d->root_len + 1 && !strncmp(name, d->root, d->root_len) && name[d->root_len] == '_')
            continue;
        sl_error_set(err, SL_EINVAL,
                     "relationalize has no output '%s': its frames are '%s' and one per array column, named "
                     "'%s_<path>' (e.g. %s_items, %s_items_val_tags)",
                     name, d->root, d->root, d->root, d->root);
        return SL_EINVAL;
    }
    return SL_OK;
}

static int rel_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    rel_worker *w = sl_xcalloc(1, sizeof *w);
    w->node = node;
    w->d = node->data;
    sl_arena_init(&w->cache);
    *state = w;
    return SL_OK;
}

static void rel_fini(void *state) {
    rel_worker *w = state;
    sl_arena_free(&w->cache);
    free(w);
}

/* ---- the walk ---- */

static bool nonempty_struct(const sl_value *v) { return v->type == SL_T_STRUCT && v->len; }

/* Columns a struct flattens to (nested non-empty structs expanded). */
static size_t column_count(const sl_value *v) {
    size_t n = 0;
    for (uint32_t i = 0; i < v->len; i++)
        n += nonempty_struct(&v->u.fields[i].value) ? column_count(&v->u.fields[i].value) : 1;
    return n;
}

/* Output port of the frame named frame, -1 when no child reads it. */
static int frame_port(const rel_worker *w, const char *frame, size_t len) {
    for (size_t p = 0; p < w->node->n_ports; p++)
        if ((int)p != w->d->root_port && w->d->port_lens[p] == len && !memcmp(w->node->ports[p], frame, len))
            return (int)p;
    return -1;
}

/* The root path: no column name, frame name = the root's. */
static pnode *top_node(rel_worker *w) {
    pnode *t = sl_arena_calloc(&w->cache, sizeof *t);
    t->frame = sl_arena_strndup(&w->cache, w->d->root, w->d->root_len);
    t->frame_len = w->d->root_len;
    t->port = -1;
    t->cached = true;
    return t;
}

/* New path node for segment seg below p: in the cache when p is cached and
 * the cache has room, else in the batch arena. */
static pnode *new_node(rel_worker *w, pnode *p, const char *seg, size_t seg_len) {
    bool cached = p->cached && p->n_kids < MAX_KIDS && w->n_cached < MAX_CACHED;
    sl_arena *a = cached ? &w->cache : w->a;
    const rel_data *d = w->d;
    pnode *c = sl_arena_calloc(a, sizeof *c);
    c->cached = cached;
    c->seg = sl_arena_strndup(a, seg, seg_len);
    c->seg_len = seg_len;
    size_t n = p->col.name_len ? p->col.name_len + d->sep_len + seg_len : seg_len;
    char *name = sl_arena_alloc(a, n + 1), *q = name;
    if (p->col.name_len) {
        memcpy(q, p->col.name, p->col.name_len);
        memcpy(q + p->col.name_len, d->sep, d->sep_len);
        q += p->col.name_len + d->sep_len;
    }
    memcpy(q, seg, seg_len);
    name[n] = 0;
    c->col = (sl_field){name, (uint32_t)n, sl_json_plain(name, n) ? SL_VF_JSON_PLAIN : 0, sl_null()};
    c->frame_len = p->frame_len + 1 + seg_len;
    c->frame = sl_arena_alloc(a, c->frame_len + 1);
    memcpy(c->frame, p->frame, p->frame_len);
    c->frame[p->frame_len] = '_';
    for (size_t i = 0; i < seg_len; i++)
        c->frame[p->frame_len + 1 + i] = seg[i] == '.' ? '_' : seg[i];
    c->frame[c->frame_len] = 0;
    c->port = frame_port(w, c->frame, c->frame_len);
    w->n_cached += cached;
    return c;
}

/* Child of p for field `name`, the i-th field of its struct. */
static pnode *child(rel_worker *w, pnode *p, uint32_t i, const char *name, size_t len) {
    if (i < p->n_kids && p->kids[i]->seg_len == len && sl_name_eq(p->kids[i]->seg, name, len)) return p->kids[i];
    for (uint32_t k = 0; k < p->n_kids; k++)
        if (p->kids[k]->seg_len == len && sl_name_eq(p->kids[k]->seg, name, len)) return p->kids[k];
    pnode *c = new_node(w, p, name, len);
    if (c->cached != p->cached) return c; /* no room: not linked, lives with the batch */
    sl_arena *a = p->cached ? &w->cache : w->a;
    if (p->n_kids == p->cap_kids) {
        uint32_t cap = p->cap_kids ? 2 * p->cap_kids : 4;
        p->kids = sl_arena_realloc(a, p->kids, p->cap_kids * sizeof *p->kids, cap * sizeof *p->kids);
        p->cap_kids = cap;
    }
    p->kids[p->n_kids++] = c;
    return c;
}

static pnode *val_node(rel_worker *w, pnode *p) {
    if (p->val) return p->val;
    pnode *c = new_node(w, p, "val", 3);
    if (c->cached == p->cached) p->val = c;
    return c;
}

static void emit(rel_worker *w, sl_value row, sl_recloc loc, int port) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        w->out = sl_arena_realloc(w->a, w->out, w->cap * sizeof *w->out, cap * sizeof *w->out);
        w->locs = sl_arena_realloc(w->a, w->locs, w->cap * sizeof *w->locs, cap * sizeof *w->locs);
        w->ports = sl_arena_realloc(w->a, w->ports, w->cap * sizeof *w->ports, cap * sizeof *w->ports);
        w->cap = cap;
    }
    w->out[w->n] = row;
    w->locs[w->n] = loc;
    w->ports[w->n] = (uint16_t)port;
    w->n++;
}

static sl_field column(const pnode *c, sl_value v) {
    sl_field f = c->col;
    f.value = v;
    return f;
}

static int64_t new_key(rel_worker *w) { return (int64_t)(w->split << 40) + (int64_t)++w->n_keys; }

static void pivot(rel_worker *w, pnode *p, const sl_value *list, int64_t key, sl_recloc loc);

/* Add the columns of struct v (at path p) to fields[*n]; fields NULL: only
 * walk (pivot the arrays inside). */
static void add_columns(rel_worker *w, pnode *p, const sl_value *v, sl_field *fields, size_t *n, sl_recloc loc) {
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        bool nested = nonempty_struct(&f->value), array = f->value.type == SL_T_LIST;
        if (!nested && !array) {
            if (!fields) continue;
            if (p == w->top) { /* a top-level column keeps its name as it is */
                fields[(*n)++] = *f;
                continue;
            }
        }
        pnode *c = child(w, p, i, f->name, f->name_len);
        if (nested) {
            add_columns(w, c, &f->value, fields, n, loc);
        } else if (array) {
            int64_t key = new_key(w);
            if (fields) fields[(*n)++] = column(c, sl_int(key));
            pivot(w, c, &f->value, key, loc);
        } else {
            fields[(*n)++] = column(c, f->value);
        }
    }
}

/* Rows of the frame of array `list` at path p, each with id = key. */
static void pivot(rel_worker *w, pnode *p, const sl_value *list, int64_t key, sl_recloc loc) {
    int port = p->port;
    pnode *val = val_node(w, p);
    for (uint32_t j = 0; j < list->len; j++) {
        const sl_value *e = &list->u.items[j];
        bool nested = nonempty_struct(e);
        sl_field *fields = NULL;
        size_t n = 0;
        if (port >= 0) {
            fields = sl_arena_alloc(w->a, (2 + (nested ? column_count(e) : 1)) * sizeof *fields);
            fields[n++] = (sl_field){"id", 2, SL_VF_JSON_PLAIN, sl_int(key)};
            fields[n++] = (sl_field){"index", 5, SL_VF_JSON_PLAIN, sl_int(j)};
        }
        if (nested) {
            add_columns(w, val, e, fields, &n, loc);
        } else if (e->type == SL_T_LIST) {
            int64_t inner = new_key(w);
            if (fields) fields[n++] = column(val, sl_int(inner));
            pivot(w, val, e, inner, loc);
        } else if (fields) {
            fields[n++] = column(val, *e);
        }
        if (fields) emit(w, sl_struct(fields, n), loc, port);
    }
}

static int rel_process(void *state, sl_batch *b, sl_error *err) {
    rel_worker *w = state;
    const rel_data *d = w->d;
    uint64_t split = b->seq_base >> 40;
    if (!w->in_split || w->split != split) {
        w->in_split = true;
        w->split = split;
        w->n_keys = 0;
    }
    if (!w->top || w->n_cached >= MAX_CACHED) { /* (re)start the cache: no row of an earlier batch is alive */
        sl_arena_reset(&w->cache);
        w->n_cached = 0;
        w->top = top_node(w);
    }
    w->a = &b->arena;
    w->out = NULL;
    w->locs = NULL;
    w->ports = NULL;
    w->n = w->cap = 0;
    for (size_t i = 0; i < b->count; i++) {
        const sl_value *rec = &b->records[i];
        if (rec->type != SL_T_STRUCT) continue;
        sl_field *fields = d->root_port >= 0 ? sl_arena_alloc(w->a, (column_count(rec) + 1) * sizeof *fields) : NULL;
        size_t n = 0;
        add_columns(w, w->top, rec, fields, &n, b->locs[i]);
        if (fields) emit(w, sl_struct(fields, n), b->locs[i], d->root_port);
    }
    b->records = w->out;
    b->locs = w->locs;
    b->ports = w->ports;
    b->count = b->cap = w->n;
    return SL_OK;
}

const sl_node_type sl_relationalize_type = {
    .name = "relationalize",
    .kind = SL_NODE_TRANSFORM,
    .summary = "flatten nested records into a root frame and one frame per array, joined by generated keys "
               "(Glue Relationalize)",
    .help = "Outputs are frames named by the job: `root` (or the `root` option) holds every record with nested "
            "structs flattened to dotted columns and each array replaced by a long key; `root_PATH` holds the "
            "elements of the array at column PATH (dots become '_': items.tags → root_items_tags) with columns `id` "
            "(the key in the parent row), `index` (position from 0) and `PATH.val` (a scalar element) or "
            "`PATH.val.FIELD` (a struct element, flattened). Arrays inside elements get frames of their "
            "own (root_items_val_tags). Frames no child reads are dropped. Keys are split index × 2^40 + a "
            "counter of the arrays in that split: unique in the run and independent of the thread count.",
    .options = relationalize_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .any_outputs = true,
    .check = rel_check,
    .release = rel_release,
    .init = rel_init,
    .process = rel_process,
    .fini = rel_fini,
};
