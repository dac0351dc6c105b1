/* fsutil.c — see fsutil.h. */
#include "core/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

int sl_mkdirs(const char *path, sl_error *err) {
    char *p = sl_xstrdup(path);
    size_t n = strlen(p);
    int rc = SL_OK;
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = sl_error_set(err, SL_EIO, "cannot create directory %s: %s", p, strerror(errno));
            break;
        }
        p[i] = c;
    }
    if (!rc && !sl_is_dir(path)) rc = sl_error_set(err, SL_EIO, "%s exists and is not a directory", path);
    free(p);
    return rc;
}

int sl_rmtree(const char *path, sl_error *err) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? SL_OK : sl_error_set(err, SL_EIO, "cannot stat %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) return sl_error_set(err, SL_EIO, "cannot open directory %s: %s", path, strerror(errno));
        struct dirent *e;
        int rc = SL_OK;
        while (!rc && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char *child = sl_path_join(path, e->d_name);
            rc = sl_rmtree(child, err);
            free(child);
        }
        closedir(d);
        if (rc) return rc;
        if (rmdir(path) != 0) return sl_error_set(err, SL_EIO, "cannot remove %s: %s", path, strerror(errno));
        return SL_OK;
    }
    if (unlink(path) != 0) return sl_error_set(err, SL_EIO, "cannot remove %s: %s", path, strerror(errno));
    return SL_OK;
}

char *sl_path_join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/') la--;
    char *p = sl_xmalloc(la + lb + 2);
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

bool sl_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool sl_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

void sl_strlist_add(sl_strlist *l, char *owned) {
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = sl_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = owned;
}

void sl_strlist_free(sl_strlist *l) {
    for (size_t i = 0; i < l->count; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void sl_strlist_sort(sl_strlist *l) {
    if (l->count > 1) qsort(l->items, l->count, sizeof *l->items, cmp_str);
}

static int list_dir(const char *dir, bool recursive, sl_strlist *out, sl_error *err) {
    DIR *d = opendir(dir);
    if (!d) return sl_error_set(err, SL_EIO, "cannot open directory %s: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = SL_OK;
    while (!rc && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        char *child = sl_path_join(dir, e->d_name);
        struct stat st;
        if (stat(child, &st) != 0) {
            free(child);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (recursive) rc = list_dir(child, recursive, out, err);
            free(child);
        } else if (S_ISREG(st.st_mode)) {
            sl_strlist_add(out, child);
        } else {
            free(child);
        }
    }
    closedir(d);
    return rc;
}

int sl_expand_path(const char *path, bool recursive, sl_strlist *out, sl_error *err) {
    size_t before = out->count;
    struct stat st;
    int rc = SL_OK;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) rc = list_dir(path, recursive, out, err);
        else sl_strlist_add(out, sl_xstrdup(path));
    } else if (strpbrk(path, "*?[")) {
        glob_t g;
        int grc = glob(path, 0, NULL, &g);
        /* names a wildcard matched must not start with '.' or '_' (hidden,
         * _SUCCESS, _staging-*): the same rule as directory listing */
        const char *wild = strpbrk(path, "*?[");
        size_t fixed = 0;
        for (const char *p = path; p < wild; p++)
            if (*p == '/') fixed = (size_t)(p - path) + 1;
        if (grc == 0) {
            for (size_t i = 0; i < g.gl_pathc && !rc; i++) {
                bool hidden = false;
                for (const char *p = g.gl_pathv[i] + fixed; *p && !hidden; p = strchr(p, '/') ? strchr(p, '/') + 1 : "")
                    hidden = *p == '.' || *p == '_';
                if (hidden) continue;
                if (sl_is_dir(g.gl_pathv[i])) rc = list_dir(g.gl_pathv[i], recursive, out, err);
                else sl_strlist_add(out, sl_xstrdup(g.gl_pathv[i]));
            }
        }
        globfree(&g);
    } else {
        return sl_error_set(err, SL_ENOTFOUND, "%s: no such file or directory", path);
    }
    if (rc) return rc;
    if (out->count == before) return sl_error_set(err, SL_ENOTFOUND, "%s: no input files found", path);
    /* sort only what we added */
    sl_strlist tail = {out->items + before, out->count - before, 0};
    sl_strlist_sort(&tail);
    return SL_OK;
}
