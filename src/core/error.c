/* error.c — see error.h. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>

void sl_error_clear(sl_error *err) {
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->offset = -1;
}

int sl_error_vset(sl_error *err, int code, const char *fmt, va_list ap) {
    if (!err) return code;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

int sl_error_set(sl_error *err, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_at(sl_error *err, const char *file, int line, int column) {
    if (!err) return;
    if (file) snprintf(err->file, sizeof err->file, "%s", file);
    err->line = line;
    err->column = column;
}

void sl_error_node(sl_error *err, const char *node) {
    if (err && node) snprintf(err->node, sizeof err->node, "%s", node);
}

char *sl_error_format(const sl_error *err, char *out, unsigned size) {
    int n = 0;
    out[0] = 0;
    if (err->file[0]) {
        n += snprintf(out + n, size - n, "%s:", err->file);
        if (err->line > 0 && (unsigned)n < size) n += snprintf(out + n, size - n, "%d:", err->line);
        if (err->column > 0 && (unsigned)n < size) n += snprintf(out + n, size - n, "%d:", err->column);
        if (err->line <= 0 && err->offset >= 0 && (unsigned)n < size)
            n += snprintf(out + n, size - n, " byte %lld:", err->offset);
        if ((unsigned)n < size) n += snprintf(out + n, size - n, " ");
    }
    if (err->node[0] && (unsigned)n < size) n += snprintf(out + n, size - n, "node '%s': ", err->node);
    if ((unsigned)n < size) snprintf(out + n, size - n, "%s", err->message[0] ? err->message : sl_strerror(err->code));
    return out;
}

const char *sl_strerror(int code) {
    switch (code) {
    case SL_OK: return "ok";
    case SL_ENOMEM: return "out of memory";
    case SL_EIO: return "I/O error";
    case SL_EPARSE: return "parse error";
    case SL_EINVAL: return "invalid argument";
    case SL_ETYPE: return "type error";
    case SL_ELIMIT: return "limit exceeded";
    case SL_ENOTFOUND: return "not found";
    default: return "internal error";
    }
}
