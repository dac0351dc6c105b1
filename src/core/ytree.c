/*
 * ytree.c — YAML text to a tree of positioned nodes (see ytree.h), on
 * libyaml's event parser: anchors and aliases resolved, mapping keys text
 * and unique, nesting bounded, every error one line with file:line:column.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/mem.h"
#include "core/ytree.h"

typedef struct yanchor {
    const char *name;
    sl_ynode *node;
    struct yanchor *next;
} yanchor;

typedef struct yreader {
    yaml_parser_t parser;
    sl_arena *arena; /* scratch: ynodes and their text */
    yanchor *anchors;
    const char *file;
    const char *text;
    size_t len;
    sl_error *err;
    const char *what; /* "job file", "crawler file": named in messages */
} yreader;

/* Messages are one line: user text may hold control characters (YAML escapes). */
static void one_line(sl_error *err) {
    if (!err) return;
    for (char *p = err->message; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
}

static int yr_fail(yreader *yr, int line, int column, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int yr_fail(yreader *yr, int line, int column, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(yr->err, SL_EINVAL, fmt, ap);
    va_end(ap);
    one_line(yr->err);
    sl_error_at(yr->err, yr->file, line, column);
    return SL_EINVAL;
}

static int yr_syntax_error(yreader *yr) {
    yaml_parser_t *p = &yr->parser;
    if (p->error == YAML_MEMORY_ERROR) {
        fprintf(stderr, "sluice: out of memory\n");
        exit(1);
    }
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        /* the reader reports a byte offset, not a mark */
        size_t off = p->problem_offset < yr->len ? p->problem_offset : yr->len;
        int line = 1, column = 1;
        for (size_t i = 0; i < off; i++) {
            if (yr->text[i] == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        int rc = p->problem_value >= 0
                     ? yr_fail(yr, line, column, "invalid %s text: %s (byte 0x%X)", yr->what, problem, p->problem_value)
                     : yr_fail(yr, line, column, "invalid %s text: %s", yr->what, problem);
        if (yr->err) yr->err->offset = (long long)off;
        return rc;
    }
    int line = (int)p->problem_mark.line + 1, column = (int)p->problem_mark.column + 1;
    if (p->context)
        return yr_fail(yr, line, column, "invalid YAML: %s (%s that starts at line %d, column %d)", problem, p->context,
                       (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return yr_fail(yr, line, column, "invalid YAML: %s", problem);
}

static int yr_next(yreader *yr, yaml_event_t *ev) {
    if (!yaml_parser_parse(&yr->parser, ev)) return yr_syntax_error(yr);
    return SL_OK;
}

static sl_ynode *yr_node(yreader *yr, sl_ykind kind, yaml_mark_t mark) {
    sl_ynode *n = sl_arena_calloc(yr->arena, sizeof *n);
    n->kind = kind;
    n->line = (int)mark.line + 1;
    n->column = (int)mark.column + 1;
    return n;
}

static void yr_anchor(yreader *yr, const char *name, sl_ynode *node) {
    if (!name) return;
    yanchor *a = sl_arena_alloc(yr->arena, sizeof *a);
    a->name = name;
    a->node = node;
    a->next = yr->anchors; /* newest first: a redefined anchor shadows the old one */
    yr->anchors = a;
}

const char *sl_ynode_kind_name(const sl_ynode *n) {
    return n->kind == SL_Y_MAP ? "a mapping" : n->kind == SL_Y_SEQ ? "a list" : "text";
}

static uint64_t hash_text(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Keys of a finished mapping must be text and unique. */
static int yr_check_keys(yreader *yr, const sl_ynode *map) {
    size_t pairs = map->n / 2, size = 16;
    while (size < pairs * 2)
        size *= 2;
    size_t *slots = sl_xcalloc(size, sizeof *slots); /* index + 1 of a key, 0 = empty */
    int rc = SL_OK;
    for (size_t i = 0; i < pairs && !rc; i++) {
        const sl_ynode *key = map->items[2 * i];
        if (key->kind != SL_Y_SCALAR) {
            rc = yr_fail(yr, key->line, key->column, "a mapping key must be text, not %s", sl_ynode_kind_name(key));
            break;
        }
        for (size_t h = hash_text(key->text) & (size - 1);; h = (h + 1) & (size - 1)) {
            if (!slots[h]) {
                slots[h] = i + 1;
                break;
            }
            const sl_ynode *prev = map->items[2 * (slots[h] - 1)];
            if (!strcmp(prev->text, key->text)) {
                rc = yr_fail(yr, key->line, key->column, "duplicate key '%.100s' (first written at line %d)", key->text,
                             prev->line);
                break;
            }
        }
    }
    free(slots);
    return rc;
}

static int yr_load(yreader *yr, yaml_event_t *ev, int depth, sl_ynode **out);

/* Collection whose start event is ev: read items up to the matching end. */
static int yr_load_collection(yreader *yr, yaml_event_t *ev, int depth, sl_ynode **out) {
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    sl_ynode *node = yr_node(yr, is_map ? SL_Y_MAP : SL_Y_SEQ, ev->start_mark);
    if (depth >= SL_YTREE_MAX_DEPTH)
        return yr_fail(yr, node->line, node->column, "the %s nests more than %d levels deep", yr->what,
                       SL_YTREE_MAX_DEPTH);
    const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const char *anchor_name =
        anchor ? sl_arena_strndup(yr->arena, (const char *)anchor, strlen((const char *)anchor)) : NULL;
    sl_ynode **items = NULL;
    size_t n = 0, cap = 0;
    int rc;
    for (;;) {
        yaml_event_t child;
        if ((rc = yr_next(yr, &child))) goto out;
        if (child.type == YAML_MAPPING_END_EVENT || child.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&child);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            items = sl_xrealloc(items, cap * sizeof *items);
        }
        rc = yr_load(yr, &child, depth + 1, &items[n]);
        yaml_event_delete(&child);
        if (rc) goto out;
        n++;
    }
    node->items = sl_arena_alloc(yr->arena, (n ? n : 1) * sizeof *items);
    if (n) memcpy(node->items, items, n * sizeof *items);
    node->n = n;
    if (is_map && (rc = yr_check_keys(yr, node))) goto out;
    /* registered only now: an alias inside its own anchor is an unknown alias, so trees are acyclic */
    yr_anchor(yr, anchor_name, node);
    *out = node;
out:
    free(items);
    return rc;
}

static int yr_load(yreader *yr, yaml_event_t *ev, int depth, sl_ynode **out) {
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (yanchor *a = yr->anchors; a; a = a->next) {
            if (!strcmp(a->name, name)) {
                *out = a->node;
                return SL_OK;
            }
        }
        return yr_fail(yr, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
                       "alias '*%.100s' refers to no anchor defined before it", name);
    }
    case YAML_SCALAR_EVENT: {
        sl_ynode *node = yr_node(yr, SL_Y_SCALAR, ev->start_mark);
        const char *value = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if (strlen(value) != len) return yr_fail(yr, node->line, node->column, "text may not contain a NUL character");
        node->text = sl_arena_strndup(yr->arena, value, len);
        node->len = len;
        node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        const char *anchor = (const char *)ev->data.scalar.anchor;
        if (anchor) yr_anchor(yr, sl_arena_strndup(yr->arena, anchor, strlen(anchor)), node);
        *out = node;
        return SL_OK;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return yr_load_collection(yr, ev, depth, out);
    default: return yr_fail(yr, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1, "unexpected YAML event");
    }
}

int sl_ytree_parse(const char *file, const char *what, const char *text, size_t len, sl_arena *arena, sl_ynode **root,
                   sl_error *err) {
    yreader yr = {.arena = arena, .file = file, .text = text, .len = len, .err = err, .what = what};
    if (!yaml_parser_initialize(&yr.parser)) {
        fprintf(stderr, "sluice: out of memory\n");
        exit(1);
    }
    yaml_parser_set_input_string(&yr.parser, (const unsigned char *)text, len);
    *root = NULL;
    yaml_event_t ev;
    int rc = yr_next(&yr, &ev); /* stream start */
    if (rc) goto out;
    yaml_event_delete(&ev);
    if ((rc = yr_next(&yr, &ev))) goto out;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        goto out;
    }
    yaml_event_delete(&ev); /* document start */
    if ((rc = yr_next(&yr, &ev))) goto out;
    rc = yr_load(&yr, &ev, 0, root);
    yaml_event_delete(&ev);
    if (rc) goto out;
    if ((rc = yr_next(&yr, &ev))) goto out; /* document end */
    yaml_event_delete(&ev);
    if ((rc = yr_next(&yr, &ev))) goto out;
    if (ev.type == YAML_DOCUMENT_START_EVENT)
        rc = yr_fail(&yr, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
                     "a %s holds one YAML document; a second one starts here", what);
    yaml_event_delete(&ev);
out:
    yaml_parser_delete(&yr.parser);
    return rc;
}
