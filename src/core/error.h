/*
 * error.h — status codes and the error value that carries a user-facing
 * message from where a problem is found up to the CLI, which prints it once.
 *
 * Convention (SQLite/curl style): fallible functions return int, 0 on
 * success and a negative SL_E* code on failure, and fill an sl_error the
 * caller passed in (may be NULL when the caller does not want the text).
 */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stdarg.h>

enum {
    SL_OK = 0,
    SL_ENOMEM = -1,  /* allocation failed */
    SL_EIO = -2,     /* read/write/open failed */
    SL_EPARSE = -3,  /* malformed input data */
    SL_EINVAL = -4,  /* invalid argument, option or job file */
    SL_ETYPE = -5,   /* value cannot be converted / wrong type */
    SL_ELIMIT = -6,  /* a configured limit or error threshold was exceeded */
    SL_ENOTFOUND = -7,
    SL_EINTERNAL = -8
};

/* Where a problem was seen. Every member is optional (empty / 0). */
typedef struct sl_error {
    int code;            /* SL_E* */
    char message[512];   /* one line, no trailing newline */
    char file[256];      /* job file or data file */
    int line;            /* 1-based, 0 = unknown */
    int column;          /* 1-based, 0 = unknown */
    long long offset;    /* byte offset in file, -1 = unknown */
    char node[128];      /* job node name */
} sl_error;

/* Reset to "no error". */
void sl_error_clear(sl_error *err);

/* Set code and printf-style message; returns code so callers can
 * `return sl_error_set(err, SL_EINVAL, "...")`. err may be NULL. */
int sl_error_set(sl_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sl_error_vset(sl_error *err, int code, const char *fmt, va_list ap);

/* Fill location fields; any of file/node may be NULL (left unchanged). */
void sl_error_at(sl_error *err, const char *file, int line, int column);
void sl_error_node(sl_error *err, const char *node);

/* Format "file:line:column: node 'x': message" into out (always
 * NUL-terminated). Returns out. */
char *sl_error_format(const sl_error *err, char *out, unsigned size);

/* Short name of a status code ("parse error", ...). */
const char *sl_strerror(int code);

#endif
