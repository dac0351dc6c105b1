/*
 * fsutil.h — small local-filesystem helpers shared by sources, targets and
 * the error output: recursive mkdir/rm, path joins, directory listing and
 * glob expansion in a stable (sorted) order.
 */
#ifndef SL_FSUTIL_H
#define SL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* mkdir -p. */
int sl_mkdirs(const char *path, sl_error *err);
/* rm -rf (missing path is not an error). */
int sl_rmtree(const char *path, sl_error *err);
/* a + "/" + b, malloc'd. */
char *sl_path_join(const char *a, const char *b);
bool sl_is_dir(const char *path);
bool sl_exists(const char *path);

/* A list of malloc'd strings. */
typedef struct sl_strlist {
    char **items;
    size_t count, cap;
} sl_strlist;
void sl_strlist_add(sl_strlist *l, char *owned);
void sl_strlist_free(sl_strlist *l);
void sl_strlist_sort(sl_strlist *l);

/* Expand a data path into the regular files it names, sorted:
 *  - a file: itself;
 *  - a directory: every file below it (recursively when recursive), skipping
 *    names starting with '.' or '_' (hidden files, _SUCCESS, staging dirs —
 *    Hadoop/Spark's convention);
 *  - a glob pattern (*, ?, [..]): its matches, directories expanded as above.
 * SL_ENOTFOUND with a clear message when nothing matches. */
int sl_expand_path(const char *path, bool recursive, sl_strlist *out, sl_error *err);

#endif
