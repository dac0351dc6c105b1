/*
 * ytree.h — one YAML document as a tree of nodes that remember where they
 * were written, for the files sluice reads (job files, crawler files).
 *
 * sl_ytree_parse() reads the whole text with libyaml and builds the tree in
 * the caller's arena (freed with it). Anchors and aliases are resolved
 * (an alias shares its anchor's node; trees stay acyclic), mapping keys must
 * be text and unique, nesting is limited to SL_YTREE_MAX_DEPTH, and a second
 * document is refused. Errors are SL_EINVAL with a one-line message that
 * names `what` ("job file") and err's file/line/column set (and the byte
 * offset for invalid text). Running out of memory is fatal, as everywhere.
 */
#ifndef SL_YTREE_H
#define SL_YTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"

#define SL_YTREE_MAX_DEPTH 64

typedef enum { SL_Y_SCALAR, SL_Y_SEQ, SL_Y_MAP } sl_ykind;

typedef struct sl_ynode sl_ynode;
struct sl_ynode {
    sl_ykind kind;
    bool plain;       /* scalar written without quotes or block indicator */
    int line, column; /* 1-based */
    const char *text; /* scalar text, NUL-terminated */
    size_t len;
    sl_ynode **items; /* SEQ: items; MAP: key0, value0, key1, value1, … */
    size_t n;         /* entries in items (twice the pair count for MAP) */
};

/* Parse text[0..len) as one YAML document; *root is NULL for an empty
 * stream. file names the text in errors, what the kind of file. */
int sl_ytree_parse(const char *file, const char *what, const char *text, size_t len, sl_arena *arena,
                   sl_ynode **root, sl_error *err);

/* "a mapping", "a list" or "text", for messages. */
const char *sl_ynode_kind_name(const sl_ynode *n);

#endif
