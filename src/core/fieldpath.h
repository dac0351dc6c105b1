/*
 * fieldpath.h — compiled field paths ("metadata.host", "`a.b`.c") and the
 * copy-on-write edits transforms make with them.
 *
 * Segments are separated by '.'; a segment in backticks may contain dots
 * (Glue's convention). Edits never modify the input record: they build new
 * struct arrays in the arena and share everything unchanged.
 */
#ifndef SL_FIELDPATH_H
#define SL_FIELDPATH_H

#include <stddef.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/value.h"

typedef struct sl_fieldseg {
    char *name;
    size_t len;
} sl_fieldseg;

typedef struct sl_fieldpath {
    sl_fieldseg *segs;
    size_t n;
    char *text; /* as written */
} sl_fieldpath;

/* Parse text into *p (caller frees with sl_fieldpath_free). SL_EINVAL for
 * empty segments or an unclosed backtick. */
int sl_fieldpath_parse(const char *text, sl_fieldpath *p, sl_error *err);
void sl_fieldpath_free(sl_fieldpath *p);

/* Value at the path, NULL when a step is missing or not a struct. */
const sl_value *sl_fieldpath_get(const sl_value *rec, const sl_fieldpath *p);
/* rec with the path set to v (intermediate structs created or replaced when
 * they are not structs). */
sl_value sl_fieldpath_set(sl_arena *a, const sl_value *rec, const sl_fieldpath *p, sl_value v);
/* rec without the path (unchanged when absent). */
sl_value sl_fieldpath_remove(sl_arena *a, const sl_value *rec, const sl_fieldpath *p);
/* rec with the last segment of p renamed to new_name (same parent). */
sl_value sl_fieldpath_rename(sl_arena *a, const sl_value *rec, const sl_fieldpath *p, const char *new_name,
                             size_t new_len);

#endif
