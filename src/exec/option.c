/*
 * option.c — typed conversion of option text, byte sizes, option help (plain
 * text and Markdown) and the node option accessors declared in node.h.
 *
 * Byte sizes are always 1024-based: "K", "KB", "KiB" all mean 1024 bytes
 * (and likewise M, G, T, P), case-insensitive, with an optional "B" for
 * bytes and optional blanks between number and unit. A fraction is allowed
 * ("1.5 GiB"); the result is rounded down to whole bytes.
 */
#include "exec/option.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec/node.h"

/* Copy text for a one-line message: at most 60 bytes, control characters
 * shown as '?', "..." when cut. */
static const char *show(const char *text, char out[72]) {
    size_t n = 0;
    for (; text[n] && n < 60; n++)
        out[n] = (unsigned char)text[n] < 0x20 ? '?' : text[n];
    if (text[n]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = 0;
    return out;
}

static int parse_int(const char *text, int64_t *out) {
    const char *p = text;
    if (*p == '+' || *p == '-') p++;
    if (!isdigit((unsigned char)*p)) return -1;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q)) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (errno == ERANGE || *end) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *text, double *out) {
    if (!*text || isspace((unsigned char)*text)) return -1;
    char *end;
    double d = strtod(text, &end);
    if (*end || !isfinite(d)) return -1;
    *out = d;
    return 0;
}

static int parse_bool(const char *text, bool *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(text, yes[i])) return *out = true, 0;
        if (!strcasecmp(text, no[i])) return *out = false, 0;
    }
    return -1;
}

/* Does `text` equal one of the '|'-separated choices? */
static bool enum_has(const char *choices, const char *text) {
    size_t len = strlen(text);
    for (const char *p = choices; p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && !memcmp(p, text, n)) return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

/* "a|b|c" → "a, b, c" into buf (NUL-terminated, cut to size). */
static void enum_list(const char *choices, char *buf, size_t size) {
    size_t n = 0;
    for (const char *p = choices ? choices : ""; *p && n + 3 < size; p++) {
        if (*p == '|') {
            buf[n++] = ',';
            buf[n++] = ' ';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = 0;
}

int sl_parse_size(const char *text, int64_t *out) {
    static const struct {
        const char *unit;
        int shift;
    } units[] = {{"", 0},    {"b", 0},    {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20},
                 {"mb", 20}, {"mib", 20}, {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40},
                 {"tb", 40}, {"tib", 40}, {"p", 50}, {"pb", 50}, {"pib", 50}};
    const char *p = text;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!isdigit((unsigned char)*p)) return SL_EINVAL;
    uint64_t whole = 0;
    for (; isdigit((unsigned char)*p); p++) {
        if (whole > (UINT64_MAX - 9) / 10) return SL_EINVAL;
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    uint64_t frac = 0, frac_scale = 1; /* fraction digits as an integer over frac_scale */
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return SL_EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
            if (frac_scale < 1000000000u) { /* digits beyond nine cannot change whole bytes below 2^60 */
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            }
        }
    }
    while (*p == ' ' || *p == '\t')
        p++;
    const char *unit = p;
    size_t ulen = strlen(unit);
    while (ulen && (unit[ulen - 1] == ' ' || unit[ulen - 1] == '\t'))
        ulen--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].unit) != ulen || strncasecmp(unit, units[i].unit, ulen)) continue;
        int shift = units[i].shift;
        if (shift && whole > ((uint64_t)INT64_MAX >> shift)) return SL_EINVAL;
        uint64_t bytes = whole << shift;
        /* frac < 2^30: shift in two steps so nothing overflows 64 bits */
        int first = shift < 30 ? shift : 30;
        uint64_t extra = ((frac << first) / frac_scale) << (shift - first);
        if (bytes > (uint64_t)INT64_MAX - extra) return SL_EINVAL;
        *out = (int64_t)(bytes + extra);
        return SL_OK;
    }
    return SL_EINVAL;
}

int sl_option_convert(const sl_option *opt, const char *text, sl_optval *out, sl_error *err) {
    char shown[72];
    out->text = text;
    out->i = 0;
    out->d = 0;
    out->b = false;
    switch (opt->type) {
    case SL_OPT_STRING:
    case SL_OPT_PATH:
    case SL_OPT_EXPR:
    case SL_OPT_LIST:
    case SL_OPT_TREE: break;
    case SL_OPT_INT:
        if (parse_int(text, &out->i))
            return sl_error_set(err, SL_EINVAL, "option '%s' expects an integer, got '%s'", opt->name,
                                show(text, shown));
        out->d = (double)out->i;
        break;
    case SL_OPT_DOUBLE:
        if (parse_double(text, &out->d))
            return sl_error_set(err, SL_EINVAL, "option '%s' expects a number, got '%s'", opt->name, show(text, shown));
        break;
    case SL_OPT_BOOL:
        if (parse_bool(text, &out->b))
            return sl_error_set(err, SL_EINVAL, "option '%s' expects true or false (or yes/no, on/off, 1/0), got '%s'",
                                opt->name, show(text, shown));
        break;
    case SL_OPT_SIZE:
        if (sl_parse_size(text, &out->i))
            return sl_error_set(err, SL_EINVAL,
                                "option '%s' expects a byte size such as 4096, 512k, 64MB or 1 GiB, got '%s'",
                                opt->name, show(text, shown));
        out->d = (double)out->i;
        break;
    case SL_OPT_ENUM:
        if (!enum_has(opt->choices ? opt->choices : "", text)) {
            char list[256];
            enum_list(opt->choices, list, sizeof list);
            return sl_error_set(err, SL_EINVAL, "option '%s' expects one of %s; got '%s'", opt->name, list,
                                show(text, shown));
        }
        break;
    }
    out->has_value = true;
    return SL_OK;
}

/* ---- help ---- */

static const char *type_name(sl_opt_type t) {
    switch (t) {
    case SL_OPT_STRING: return "string";
    case SL_OPT_PATH: return "path";
    case SL_OPT_INT: return "integer";
    case SL_OPT_DOUBLE: return "number";
    case SL_OPT_BOOL: return "boolean";
    case SL_OPT_SIZE: return "size";
    case SL_OPT_ENUM: return "enum";
    case SL_OPT_LIST: return "list";
    case SL_OPT_EXPR: return "expression";
    case SL_OPT_TREE: return "structure";
    }
    return "?";
}

/* Append text word-wrapped at 78 columns, every line indented by `indent`
 * spaces; '\n' in text starts a new line. */
static void wrap(sl_buf *buf, const char *text, int indent) {
    const int width = 78;
    const char *p = text;
    while (*p) {
        int col = indent;
        sl_buf_printf(buf, "%*s", indent, "");
        bool first = true;
        while (*p && *p != '\n') {
            while (*p == ' ')
                p++;
            size_t n = strcspn(p, " \n");
            if (!n) break;
            if (!first && col + 1 + (int)n > width) break;
            if (!first) sl_buf_addc(buf, ' '), col++;
            sl_buf_add(buf, p, n);
            col += (int)n;
            p += n;
            first = false;
        }
        while (*p == ' ')
            p++;
        if (*p == '\n') p++;
        sl_buf_addc(buf, '\n');
    }
}

/* Markdown table cell: '|' escaped, line breaks as spaces. */
static void md_cell(sl_buf *buf, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            sl_buf_adds(buf, "\\|");
        else if (*p == '\n' || *p == '\r')
            sl_buf_addc(buf, ' ');
        else
            sl_buf_addc(buf, *p);
    }
}

/* Markdown code span holding text (backticks in text are unlikely in option
 * defaults; a double-backtick span keeps them anyway). */
static void md_code(sl_buf *buf, const char *text) {
    bool tick = strchr(text, '`') != NULL;
    sl_buf_adds(buf, tick ? "`` " : "`");
    md_cell(buf, text);
    sl_buf_adds(buf, tick ? " ``" : "`");
}

static void help_markdown(const sl_option *opts, sl_buf *buf) {
    sl_buf_adds(buf, "| option | type | default | description |\n|---|---|---|---|\n");
    for (const sl_option *o = opts; o->name; o++) {
        sl_buf_adds(buf, "| ");
        md_code(buf, o->name);
        sl_buf_printf(buf, " | %s | ", type_name(o->type));
        if (o->flags & SL_OPTF_REQUIRED)
            sl_buf_adds(buf, "*required*");
        else if (o->default_text)
            md_code(buf, o->default_text);
        sl_buf_adds(buf, " | ");
        md_cell(buf, o->help ? o->help : "");
        if (o->type == SL_OPT_ENUM && o->choices) {
            sl_buf_adds(buf, o->help && o->help[0] ? " One of: " : "One of: ");
            for (const char *p = o->choices; p;) {
                const char *bar = strchr(p, '|');
                size_t n = bar ? (size_t)(bar - p) : strlen(p);
                sl_buf_addc(buf, '`');
                sl_buf_add(buf, p, n);
                sl_buf_addc(buf, '`');
                if (bar) sl_buf_adds(buf, ", ");
                p = bar ? bar + 1 : NULL;
            }
            sl_buf_addc(buf, '.');
        }
        sl_buf_adds(buf, " |\n");
    }
}

static void help_text(const sl_option *opts, sl_buf *buf) {
    for (const sl_option *o = opts; o->name; o++) {
        sl_buf_printf(buf, "  %s (%s, ", o->name, type_name(o->type));
        if (o->flags & SL_OPTF_REQUIRED)
            sl_buf_adds(buf, "required)\n");
        else if (o->default_text)
            sl_buf_printf(buf, "default %s)\n", o->default_text[0] ? o->default_text : "\"\"");
        else
            sl_buf_adds(buf, "optional)\n");
        if (o->help && o->help[0]) wrap(buf, o->help, 6);
        if (o->type == SL_OPT_ENUM && o->choices) {
            char list[512];
            enum_list(o->choices, list, sizeof list);
            sl_buf_printf(buf, "      one of: %s\n", list);
        }
    }
}

void sl_options_help(const sl_option *opts, bool markdown, sl_buf *buf) {
    if (markdown)
        help_markdown(opts, buf);
    else
        help_text(opts, buf);
}

/* ---- node accessors ---- */

const sl_optval *sl_node_opt(const sl_node *n, const char *name) {
    const sl_option *opts = n->type->options;
    for (size_t i = 0; opts && opts[i].name; i++)
        if (!strcmp(opts[i].name, name)) return &n->opts[i];
    fprintf(stderr, "sluice: internal error: node type '%s' has no option '%s'\n", n->type->name, name);
    abort();
}

const char *sl_node_str(const sl_node *n, const char *name) {
    const sl_optval *v = sl_node_opt(n, name);
    return v->has_value ? v->text : NULL;
}

int64_t sl_node_int(const sl_node *n, const char *name) { return sl_node_opt(n, name)->i; }

double sl_node_double(const sl_node *n, const char *name) { return sl_node_opt(n, name)->d; }

bool sl_node_bool(const sl_node *n, const char *name) { return sl_node_opt(n, name)->b; }
