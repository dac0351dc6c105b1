/*
 * gluetype.c — Glue/Hive column types: tree, text, parser, merge rules,
 * conversion from schemas and values, name sanitizing (see gluetype.h).
 *
 * The parser is a small recursive-descent reader over the type grammar
 *   type   := name | name '(' int [',' int] ')' | 'array' '<' type '>'
 *           | 'map' '<' type ',' type '>' | 'struct' '<' [field {',' field}] '>'
 *   field  := bytes-without-":,<>" ':' type
 * bounded by SL_GTYPE_MAX_DEPTH, so hostile text cannot exhaust the stack.
 */
#include "catalog/gluetype.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

/* ------------------------------------------------------------------ */
/* Nodes. */

sl_gtype *sl_gtype_new(sl_gkind kind) {
    sl_gtype *t = sl_xcalloc(1, sizeof *t);
    t->kind = kind;
    if (kind == SL_G_DECIMAL) t->precision = 10;
    if (kind == SL_G_CHAR || kind == SL_G_VARCHAR) t->precision = 1;
    return t;
}

static void clamp_decimal(int *precision, int *scale) {
    if (*scale < 0) *scale = 0;
    if (*scale > SL_GTYPE_MAX_PRECISION) *scale = SL_GTYPE_MAX_PRECISION;
    if (*precision > SL_GTYPE_MAX_PRECISION) *precision = SL_GTYPE_MAX_PRECISION;
    if (*precision < *scale) *precision = *scale;
    if (*precision < 1) *precision = 1;
}

sl_gtype *sl_gtype_decimal(int precision, int scale) {
    sl_gtype *t = sl_gtype_new(SL_G_DECIMAL);
    clamp_decimal(&precision, &scale);
    t->precision = precision;
    t->scale = scale;
    return t;
}

/* Frees the children of t and leaves an UNKNOWN node without any. */
static void clear_children(sl_gtype *t) {
    sl_gtype_free(t->key);
    sl_gtype_free(t->element);
    for (size_t i = 0; i < t->n_fields; i++) {
        free(t->fields[i].name);
        sl_gtype_free(t->fields[i].type);
    }
    free(t->fields);
    t->key = t->element = NULL;
    t->fields = NULL;
    t->n_fields = t->cap_fields = 0;
    t->kind = SL_G_UNKNOWN;
    t->precision = t->scale = 0;
}

void sl_gtype_free(sl_gtype *t) {
    if (!t) return;
    clear_children(t);
    free(t);
}

static sl_gfield *append_field(sl_gtype *st, const char *name, size_t name_len, sl_gtype *type) {
    if (st->n_fields == st->cap_fields) {
        st->cap_fields = st->cap_fields ? st->cap_fields * 2 : 8;
        st->fields = sl_xrealloc(st->fields, st->cap_fields * sizeof *st->fields);
    }
    sl_gfield *f = &st->fields[st->n_fields++];
    f->name = sl_xstrndup(name, name_len);
    f->name_len = (uint32_t)name_len;
    f->type = type;
    return f;
}

sl_gtype *sl_gtype_copy(const sl_gtype *t) {
    if (!t) return NULL;
    sl_gtype *c = sl_xcalloc(1, sizeof *c);
    c->kind = t->kind;
    c->precision = t->precision;
    c->scale = t->scale;
    c->key = sl_gtype_copy(t->key);
    c->element = sl_gtype_copy(t->element);
    for (size_t i = 0; i < t->n_fields; i++)
        append_field(c, t->fields[i].name, t->fields[i].name_len, sl_gtype_copy(t->fields[i].type));
    return c;
}

/* Index of the field called name, trying `hint` first; -1 if absent. */
static long find_field(const sl_gtype *st, const char *name, size_t name_len, size_t hint) {
    if (hint < st->n_fields && st->fields[hint].name_len == name_len &&
        memcmp(st->fields[hint].name, name, name_len) == 0)
        return (long)hint;
    for (size_t i = 0; i < st->n_fields; i++)
        if (st->fields[i].name_len == name_len && memcmp(st->fields[i].name, name, name_len) == 0) return (long)i;
    return -1;
}

const sl_gfield *sl_gtype_field(const sl_gtype *st, const char *name, size_t name_len) {
    if (!st || st->kind != SL_G_STRUCT) return NULL;
    long i = find_field(st, name, name_len, 0);
    return i < 0 ? NULL : &st->fields[i];
}

void sl_gtype_add_field(sl_gtype *st, const char *name, size_t name_len, sl_gtype *type) {
    long i = find_field(st, name, name_len, st->n_fields ? st->n_fields - 1 : 0);
    if (i >= 0) {
        sl_gtype_merge_into(&st->fields[i].type, type);
        sl_gtype_free(type);
        return;
    }
    append_field(st, name, name_len, type);
}

/* ------------------------------------------------------------------ */
/* Equality and merging. */

static bool is_unknown(const sl_gtype *t) { return !t || t->kind == SL_G_UNKNOWN; }

bool sl_gtype_equal(const sl_gtype *a, const sl_gtype *b) {
    if (is_unknown(a) || is_unknown(b)) return is_unknown(a) && is_unknown(b);
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case SL_G_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
    case SL_G_CHAR:
    case SL_G_VARCHAR: return a->precision == b->precision;
    case SL_G_ARRAY: return sl_gtype_equal(a->element, b->element);
    case SL_G_MAP: return sl_gtype_equal(a->key, b->key) && sl_gtype_equal(a->element, b->element);
    case SL_G_STRUCT:
        if (a->n_fields != b->n_fields) return false;
        for (size_t i = 0; i < a->n_fields; i++) {
            if (a->fields[i].name_len != b->fields[i].name_len ||
                memcmp(a->fields[i].name, b->fields[i].name, a->fields[i].name_len) != 0 ||
                !sl_gtype_equal(a->fields[i].type, b->fields[i].type))
                return false;
        }
        return true;
    default: return true;
    }
}

static bool is_integer(sl_gkind k) { return k >= SL_G_TINYINT && k <= SL_G_BIGINT; }
static bool is_floating(sl_gkind k) { return k == SL_G_FLOAT || k == SL_G_DOUBLE; }
static bool is_text(sl_gkind k) { return k == SL_G_STRING || k == SL_G_CHAR || k == SL_G_VARCHAR; }

/* Decimal digits an integer kind needs. */
static int integer_digits(sl_gkind k) {
    switch (k) {
    case SL_G_TINYINT: return 3;
    case SL_G_SMALLINT: return 5;
    case SL_G_INT: return 10;
    default: return 19;
    }
}

/* Widen decimal(p1,s1) by decimal(p2,s2): integer digits and scale of the
 * wider, capped at 38 digits (integer digits win over the scale). */
static void widen_decimal(int *p1, int *s1, int p2, int s2) {
    int int_digits = *p1 - *s1 > p2 - s2 ? *p1 - *s1 : p2 - s2;
    int scale = *s1 > s2 ? *s1 : s2;
    if (int_digits > SL_GTYPE_MAX_PRECISION) int_digits = SL_GTYPE_MAX_PRECISION;
    if (int_digits + scale > SL_GTYPE_MAX_PRECISION) scale = SL_GTYPE_MAX_PRECISION - int_digits;
    *p1 = int_digits + scale;
    *s1 = scale;
    clamp_decimal(p1, s1);
}

static void become_scalar(sl_gtype *t, sl_gkind kind, int precision, int scale) {
    clear_children(t);
    t->kind = kind;
    t->precision = precision;
    t->scale = scale;
}

static void merge_node(sl_gtype *d, const sl_gtype *s);

static void merge_slot(sl_gtype **slot, const sl_gtype *src) {
    if (!src) return;
    if (!*slot) {
        *slot = sl_gtype_copy(src);
        return;
    }
    merge_node(*slot, src);
}

static void merge_same_kind(sl_gtype *d, const sl_gtype *s) {
    switch (d->kind) {
    case SL_G_DECIMAL: widen_decimal(&d->precision, &d->scale, s->precision, s->scale); break;
    case SL_G_CHAR:
    case SL_G_VARCHAR:
        if (s->precision > d->precision) d->precision = s->precision;
        break;
    case SL_G_ARRAY: merge_slot(&d->element, s->element); break;
    case SL_G_MAP:
        merge_slot(&d->key, s->key);
        merge_slot(&d->element, s->element);
        break;
    case SL_G_STRUCT: {
        size_t hint = 0;
        for (size_t i = 0; i < s->n_fields; i++) {
            const sl_gfield *sf = &s->fields[i];
            long j = find_field(d, sf->name, sf->name_len, hint);
            if (j < 0) {
                append_field(d, sf->name, sf->name_len, sl_gtype_copy(sf->type));
                continue;
            }
            merge_slot(&d->fields[j].type, sf->type);
            hint = (size_t)j + 1;
        }
        break;
    }
    default: break;
    }
}

static void merge_node(sl_gtype *d, const sl_gtype *s) {
    if (is_unknown(s)) return;
    if (d->kind == SL_G_UNKNOWN) {
        sl_gtype *c = sl_gtype_copy(s);
        *d = *c;
        free(c);
        return;
    }
    if (d->kind == s->kind) {
        merge_same_kind(d, s);
        return;
    }
    sl_gkind a = d->kind, b = s->kind;
    if (is_integer(a) && is_integer(b)) {
        d->kind = a > b ? a : b;
    } else if ((is_integer(a) || is_floating(a)) && (is_integer(b) || is_floating(b))) {
        d->kind = SL_G_DOUBLE;
    } else if (is_integer(a) && b == SL_G_DECIMAL) {
        int p = integer_digits(a), sc = 0;
        widen_decimal(&p, &sc, s->precision, s->scale);
        become_scalar(d, SL_G_DECIMAL, p, sc);
    } else if (a == SL_G_DECIMAL && is_integer(b)) {
        widen_decimal(&d->precision, &d->scale, integer_digits(b), 0);
    } else if ((a == SL_G_DECIMAL && is_floating(b)) || (is_floating(a) && b == SL_G_DECIMAL)) {
        become_scalar(d, SL_G_DOUBLE, 0, 0);
    } else if ((a == SL_G_DATE && b == SL_G_TIMESTAMP) || (a == SL_G_TIMESTAMP && b == SL_G_DATE)) {
        d->kind = SL_G_TIMESTAMP;
    } else if (a != SL_G_STRING && b != SL_G_STRING && is_text(a) && is_text(b)) {
        /* char + varchar: a varchar long enough for both */
        int len = d->precision > s->precision ? d->precision : s->precision;
        become_scalar(d, SL_G_VARCHAR, len, 0);
    } else {
        become_scalar(d, SL_G_STRING, 0, 0);
    }
}

void sl_gtype_merge_into(sl_gtype **dst, const sl_gtype *src) { merge_slot(dst, src); }

/* ------------------------------------------------------------------ */
/* Text. */

static const char *scalar_name(sl_gkind k) {
    switch (k) {
    case SL_G_BOOLEAN: return "boolean";
    case SL_G_TINYINT: return "tinyint";
    case SL_G_SMALLINT: return "smallint";
    case SL_G_INT: return "int";
    case SL_G_BIGINT: return "bigint";
    case SL_G_FLOAT: return "float";
    case SL_G_DOUBLE: return "double";
    case SL_G_BINARY: return "binary";
    case SL_G_DATE: return "date";
    case SL_G_TIMESTAMP: return "timestamp";
    default: return "string";
    }
}

/* Bytes a nested field name cannot hold in the type syntax. */
static bool name_byte_unsafe(unsigned char c) {
    return c <= 0x20 || c == 0x7f || c == ':' || c == ',' || c == '<' || c == '>' || c == '`';
}

static bool name_needs_change(const sl_gfield *f) {
    if (f->name_len == 0) return true;
    for (uint32_t k = 0; k < f->name_len; k++)
        if (name_byte_unsafe((unsigned char)f->name[k])) return true;
    return false;
}

/* The struct's field names as the syntax can hold them: unsafe bytes as
 * '_', "" as "_", and a name that then equals an earlier one with "_<k>"
 * appended (k = 1, 2, …) so the text parses back. NULL when no name needs
 * a change. */
static char **safe_names(const sl_gtype *t) {
    bool change = false;
    for (size_t i = 0; i < t->n_fields && !change; i++)
        change = name_needs_change(&t->fields[i]);
    if (!change) return NULL;
    char **names = sl_xcalloc(t->n_fields, sizeof *names);
    for (size_t i = 0; i < t->n_fields; i++) {
        const sl_gfield *f = &t->fields[i];
        size_t len = f->name_len ? f->name_len : 1;
        char *n = sl_xmalloc(len + 24);
        for (uint32_t k = 0; k < f->name_len; k++) {
            unsigned char c = (unsigned char)f->name[k];
            n[k] = name_byte_unsafe(c) ? '_' : (char)c;
        }
        if (!f->name_len) n[0] = '_';
        n[len] = '\0';
        for (unsigned suffix = 1;; suffix++) {
            bool taken = false;
            for (size_t j = 0; j < i && !taken; j++)
                taken = strcmp(names[j], n) == 0;
            if (!taken) break;
            snprintf(n + len, 24, "_%u", suffix);
        }
        names[i] = n;
    }
    return names;
}

static int format_node(const sl_gtype *t, sl_buf *out, bool nested);

static int format_struct(const sl_gtype *t, sl_buf *out) {
    char **names = safe_names(t);
    int rc = sl_buf_adds(out, "struct<");
    for (size_t i = 0; i < t->n_fields && !rc; i++) {
        const sl_gfield *f = &t->fields[i];
        if (i) rc = sl_buf_addc(out, ',');
        if (!rc) rc = names ? sl_buf_adds(out, names[i]) : sl_buf_add(out, f->name, f->name_len);
        if (!rc) rc = sl_buf_addc(out, ':');
        if (!rc) rc = format_node(f->type, out, true);
    }
    if (!rc) rc = sl_buf_addc(out, '>');
    if (names) {
        for (size_t i = 0; i < t->n_fields; i++)
            free(names[i]);
        free(names);
    }
    return rc;
}

static int format_node(const sl_gtype *t, sl_buf *out, bool nested) {
    if (is_unknown(t)) return sl_buf_adds(out, "string");
    int rc = 0;
    switch (t->kind) {
    case SL_G_DECIMAL: return sl_buf_printf(out, "decimal(%d,%d)", t->precision, t->scale);
    case SL_G_CHAR: return sl_buf_printf(out, "char(%d)", t->precision);
    case SL_G_VARCHAR: return sl_buf_printf(out, "varchar(%d)", t->precision);
    case SL_G_ARRAY:
        if ((rc = sl_buf_adds(out, "array<")) != 0 || (rc = format_node(t->element, out, true)) != 0) return rc;
        return sl_buf_addc(out, '>');
    case SL_G_MAP:
        if ((rc = sl_buf_adds(out, "map<")) != 0 || (rc = format_node(t->key, out, true)) != 0 ||
            (rc = sl_buf_addc(out, ',')) != 0 || (rc = format_node(t->element, out, true)) != 0)
            return rc;
        return sl_buf_addc(out, '>');
    case SL_G_STRUCT:
        if (nested && t->n_fields == 0) return sl_buf_adds(out, "string");
        return format_struct(t, out);
    default: return sl_buf_adds(out, scalar_name(t->kind));
    }
}

int sl_gtype_format(const sl_gtype *t, sl_buf *out) {
    size_t before = out->len;
    int rc = format_node(t, out, false);
    if (rc) {
        out->len = before;
        if (out->data) out->data[before] = '\0';
    }
    return rc;
}

char *sl_gtype_string(const sl_gtype *t) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_gtype_format(t, &b);
    if (!b.data) return sl_xstrdup("");
    return sl_buf_detach(&b);
}

/* ---- parser ---- */

typedef struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    sl_error *err;
} parser;

static int fail(parser *p, const char *fmt, const char *arg) {
    char what[160];
    snprintf(what, sizeof what, fmt, arg ? arg : "");
    int shown = p->len > 80 ? 80 : (int)p->len;
    return sl_error_set(p->err, SL_EPARSE, "type '%.*s%s': at byte %zu: %s", shown, p->s, p->len > 80 ? "…" : "",
                        p->pos, what);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static bool accept(parser *p, char c) {
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return true;
    }
    return false;
}

static bool is_word_byte(char c, bool first) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
}

/* A type-name word at the position; *len 0 when there is none. */
static const char *read_word(parser *p, size_t *len) {
    skip_ws(p);
    size_t start = p->pos;
    while (p->pos < p->len && is_word_byte(p->s[p->pos], p->pos == start))
        p->pos++;
    *len = p->pos - start;
    return p->s + start;
}

static bool word_is(const char *w, size_t len, const char *name) {
    return strlen(name) == len && strncasecmp(w, name, len) == 0;
}

/* An unsigned number of at most 9 digits. */
static int read_number(parser *p, int *out) {
    skip_ws(p);
    size_t start = p->pos;
    long v = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9' && p->pos - start < 9)
        v = v * 10 + (p->s[p->pos++] - '0');
    if (p->pos == start) return fail(p, "expected a number", NULL);
    if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') return fail(p, "number too large", NULL);
    *out = (int)v;
    return 0;
}

static int parse_type(parser *p, sl_gtype **out);

static int parse_params(parser *p, sl_gtype *t, const char *name) {
    if (t->kind == SL_G_DECIMAL) {
        if (!accept(p, '(')) return 0; /* plain "decimal": Hive's decimal(10,0) */
        int precision = 0, scale = 0, rc;
        if ((rc = read_number(p, &precision)) != 0) return rc;
        if (accept(p, ',') && (rc = read_number(p, &scale)) != 0) return rc;
        if (!accept(p, ')')) return fail(p, "expected ')' after the decimal's precision and scale", NULL);
        if (precision < 1 || precision > SL_GTYPE_MAX_PRECISION)
            return fail(p, "decimal precision must be 1..38", NULL);
        if (scale > precision) return fail(p, "decimal scale must not exceed its precision", NULL);
        t->precision = precision;
        t->scale = scale;
        return 0;
    }
    if (!accept(p, '(')) return fail(p, "expected '(' and a length after %s", name);
    int length = 0, rc;
    if ((rc = read_number(p, &length)) != 0) return rc;
    if (!accept(p, ')')) return fail(p, "expected ')' after the length", NULL);
    int max = t->kind == SL_G_CHAR ? 255 : 65535;
    if (length < 1 || length > max) return fail(p, "%s length out of range", name);
    t->precision = length;
    return 0;
}

static bool is_primitive(const sl_gtype *t) {
    return t->kind != SL_G_ARRAY && t->kind != SL_G_MAP && t->kind != SL_G_STRUCT;
}

static int parse_struct_fields(parser *p, sl_gtype *t) {
    if (accept(p, '>')) return 0;
    for (;;) {
        skip_ws(p);
        size_t start = p->pos;
        while (p->pos < p->len && !strchr(":,<>", p->s[p->pos]))
            p->pos++;
        size_t end = p->pos;
        while (end > start && strchr(" \t\r\n", p->s[end - 1]))
            end--;
        if (end == start) return fail(p, "expected a field name", NULL);
        if (!accept(p, ':')) return fail(p, "expected ':' after a struct field name", NULL);
        if (find_field(t, p->s + start, end - start, t->n_fields) >= 0) {
            p->pos = start;
            return fail(p, "duplicate struct field name", NULL);
        }
        sl_gtype *ft = NULL;
        int rc = parse_type(p, &ft);
        if (rc) {
            sl_gtype_free(ft);
            return rc;
        }
        append_field(t, p->s + start, end - start, ft);
        if (accept(p, '>')) return 0;
        if (!accept(p, ',')) return fail(p, "expected ',' or '>' after a struct field", NULL);
    }
}

static int parse_complex(parser *p, sl_gtype *t, const char *name) {
    if (!accept(p, '<')) return fail(p, "expected '<' after %s", name);
    int rc = 0;
    if (t->kind == SL_G_ARRAY) {
        if ((rc = parse_type(p, &t->element)) != 0) return rc;
    } else if (t->kind == SL_G_MAP) {
        size_t key_at = p->pos;
        if ((rc = parse_type(p, &t->key)) != 0) return rc;
        if (!is_primitive(t->key)) {
            p->pos = key_at;
            return fail(p, "a map key must be a primitive type", NULL);
        }
        if (!accept(p, ',')) return fail(p, "expected ',' after the map's key type", NULL);
        if ((rc = parse_type(p, &t->element)) != 0) return rc;
    } else {
        return parse_struct_fields(p, t);
    }
    if (!accept(p, '>')) return fail(p, "expected '>' to close %s<", name);
    return 0;
}

static const struct {
    const char *name;
    sl_gkind kind;
} type_names[] = {
    {"boolean", SL_G_BOOLEAN}, {"tinyint", SL_G_TINYINT}, {"smallint", SL_G_SMALLINT},   {"int", SL_G_INT},
    {"integer", SL_G_INT},     {"bigint", SL_G_BIGINT},   {"float", SL_G_FLOAT},         {"double", SL_G_DOUBLE},
    {"decimal", SL_G_DECIMAL}, {"string", SL_G_STRING},   {"char", SL_G_CHAR},           {"varchar", SL_G_VARCHAR},
    {"binary", SL_G_BINARY},   {"date", SL_G_DATE},       {"timestamp", SL_G_TIMESTAMP}, {"array", SL_G_ARRAY},
    {"map", SL_G_MAP},         {"struct", SL_G_STRUCT},
};

static int parse_type(parser *p, sl_gtype **out) {
    if (++p->depth > SL_GTYPE_MAX_DEPTH) return fail(p, "types nested too deeply", NULL);
    size_t wlen;
    size_t at = (skip_ws(p), p->pos);
    const char *w = read_word(p, &wlen);
    if (wlen == 0) return fail(p, "expected a type name", NULL);
    char name[24];
    snprintf(name, sizeof name, "%.*s", (int)(wlen < 20 ? wlen : 20), w);
    int found = -1;
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (word_is(w, wlen, type_names[i].name)) found = (int)i;
    if (found < 0) {
        p->pos = at;
        if (word_is(w, wlen, "uniontype")) return fail(p, "uniontype is not supported", NULL);
        return fail(p, "unknown type '%s'", name);
    }
    sl_gtype *t = sl_gtype_new(type_names[found].kind);
    *out = t;
    int rc = 0;
    switch (t->kind) {
    case SL_G_DOUBLE: { /* "double precision" */
        size_t save = p->pos, len2;
        const char *w2 = read_word(p, &len2);
        if (!word_is(w2, len2, "precision")) p->pos = save;
        break;
    }
    case SL_G_DECIMAL:
    case SL_G_CHAR:
    case SL_G_VARCHAR: rc = parse_params(p, t, name); break;
    case SL_G_ARRAY:
    case SL_G_MAP:
    case SL_G_STRUCT: rc = parse_complex(p, t, name); break;
    default: break;
    }
    p->depth--;
    return rc;
}

int sl_gtype_parse(const char *text, size_t len, sl_gtype **out, sl_error *err) {
    *out = NULL;
    parser p = {text, len, 0, 0, err};
    sl_gtype *t = NULL;
    int rc = parse_type(&p, &t);
    if (!rc) {
        skip_ws(&p);
        if (p.pos != p.len) rc = fail(&p, "unexpected text after the type", NULL);
    }
    if (rc) {
        sl_gtype_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Schemas. */

/* decimal(p,s) of a schema's decimal node, through the core's own text. */
static sl_gtype *decimal_from_schema(const sl_schema *s) {
    sl_buf b;
    sl_buf_init(&b, 64);
    sl_schema_glue_type(s, &b);
    int precision = 38, scale = 18;
    if (b.data) sscanf(b.data, "decimal(%d,%d)", &precision, &scale);
    sl_buf_free(&b);
    return sl_gtype_decimal(precision, scale);
}

sl_gtype *sl_gtype_from_schema(const sl_schema *s) {
    if (!s) return NULL;
    switch (sl_schema_kind(s)) {
    case SL_T_NULL: return sl_gtype_new(SL_G_UNKNOWN);
    case SL_T_BOOL: return sl_gtype_new(SL_G_BOOLEAN);
    case SL_T_INT: return sl_gtype_new(SL_G_BIGINT);
    case SL_T_DOUBLE: return sl_gtype_new(SL_G_DOUBLE);
    case SL_T_DECIMAL: return decimal_from_schema(s);
    case SL_T_STRING: return sl_gtype_new(SL_G_STRING);
    case SL_T_BINARY: return sl_gtype_new(SL_G_BINARY);
    case SL_T_DATE: return sl_gtype_new(SL_G_DATE);
    case SL_T_TIMESTAMP: return sl_gtype_new(SL_G_TIMESTAMP);
    case SL_T_LIST: {
        sl_gtype *t = sl_gtype_new(SL_G_ARRAY);
        t->element = sl_gtype_from_schema(sl_schema_element(s));
        return t;
    }
    case SL_T_STRUCT: {
        sl_gtype *t = sl_gtype_new(SL_G_STRUCT);
        for (size_t i = 0; i < sl_schema_field_count(s); i++) {
            size_t len;
            const char *name = sl_schema_field_name(s, i, &len);
            append_field(t, name, len, sl_gtype_from_schema(sl_schema_field_child(s, i)));
        }
        return t;
    }
    default: { /* a choice: its alternatives widened together */
        sl_gtype *t = NULL;
        for (size_t i = 0; i < sl_schema_choice_count(s); i++) {
            sl_gtype *alt = sl_gtype_from_schema(sl_schema_choice_alt(s, i));
            sl_gtype_merge_into(&t, alt);
            sl_gtype_free(alt);
        }
        return t ? t : sl_gtype_new(SL_G_UNKNOWN);
    }
    }
}

sl_schema *sl_gtype_to_schema(const sl_gtype *t) {
    if (is_unknown(t)) return sl_schema_new(SL_T_NULL);
    switch (t->kind) {
    case SL_G_BOOLEAN: return sl_schema_new(SL_T_BOOL);
    case SL_G_TINYINT:
    case SL_G_SMALLINT:
    case SL_G_INT:
    case SL_G_BIGINT: return sl_schema_new(SL_T_INT);
    case SL_G_FLOAT:
    case SL_G_DOUBLE: return sl_schema_new(SL_T_DOUBLE);
    case SL_G_DECIMAL: return sl_schema_new(SL_T_DECIMAL);
    case SL_G_BINARY: return sl_schema_new(SL_T_BINARY);
    case SL_G_DATE: return sl_schema_new(SL_T_DATE);
    case SL_G_TIMESTAMP: return sl_schema_new(SL_T_TIMESTAMP);
    case SL_G_ARRAY: {
        sl_schema *s = sl_schema_new(SL_T_LIST);
        sl_schema_set_element(s, sl_gtype_to_schema(t->element));
        return s;
    }
    case SL_G_MAP: return sl_schema_new(SL_T_STRUCT);
    case SL_G_STRUCT: {
        sl_schema *s = sl_schema_new(SL_T_STRUCT);
        for (size_t i = 0; i < t->n_fields; i++) {
            sl_schema *child = sl_gtype_to_schema(t->fields[i].type);
            sl_schema_set_nullable(child, true);
            sl_schema_add_field(s, t->fields[i].name, t->fields[i].name_len, child);
        }
        return s;
    }
    default: return sl_schema_new(SL_T_STRING);
    }
}

/* ------------------------------------------------------------------ */
/* Values. */

/* Kind of a decimal text: decimal(p,s) for [+-]digits[.digits] within 38
 * digits, double otherwise (exponents, longer texts). */
static sl_gkind decimal_text_kind(const char *s, size_t len, int *precision, int *scale) {
    size_t i = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) i++;
    while (i < len && s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
        i++; /* leading zeros */
    int int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, int_digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, frac_digits++;
    }
    if (i != len || int_digits + frac_digits == 0 || int_digits + frac_digits > SL_GTYPE_MAX_PRECISION)
        return SL_G_DOUBLE;
    *precision = int_digits + frac_digits;
    *scale = frac_digits;
    clamp_decimal(precision, scale);
    return SL_G_DECIMAL;
}

static sl_gkind value_kind(const sl_value *v, unsigned flags, int *precision, int *scale) {
    switch (v->type) {
    case SL_T_BOOL: return SL_G_BOOLEAN;
    case SL_T_INT:
        if ((flags & SL_GOBS_INT32) && v->u.i >= INT32_MIN && v->u.i <= INT32_MAX) return SL_G_INT;
        return SL_G_BIGINT;
    case SL_T_DOUBLE: return SL_G_DOUBLE;
    case SL_T_DECIMAL:
        if (flags & SL_GOBS_DECIMAL_AS_DOUBLE) return SL_G_DOUBLE;
        return decimal_text_kind(v->u.s, v->len, precision, scale);
    case SL_T_STRING: return SL_G_STRING;
    case SL_T_BINARY: return SL_G_BINARY;
    case SL_T_DATE: return SL_G_DATE;
    case SL_T_TIMESTAMP: return SL_G_TIMESTAMP;
    case SL_T_LIST: return SL_G_ARRAY;
    case SL_T_STRUCT: return SL_G_STRUCT;
    default: return SL_G_UNKNOWN;
    }
}

static void observe_node(sl_gtype **slot, const sl_value *v, unsigned flags) {
    if (v->type == SL_T_NULL) {
        if (!*slot) *slot = sl_gtype_new(SL_G_UNKNOWN);
        return;
    }
    int precision = 0, scale = 0;
    sl_gkind kind = value_kind(v, flags, &precision, &scale);
    sl_gtype *t = *slot;
    if (!t) {
        t = *slot = sl_gtype_new(kind);
        if (kind == SL_G_DECIMAL) t->precision = precision, t->scale = scale;
    } else if (t->kind == SL_G_UNKNOWN) {
        t->kind = kind;
        t->precision = precision;
        t->scale = scale;
    } else if (t->kind != kind || kind == SL_G_DECIMAL) {
        sl_gtype seen = {.kind = kind, .precision = precision, .scale = scale};
        merge_node(t, &seen);
    }
    if (t->kind == SL_G_ARRAY && v->type == SL_T_LIST) {
        for (uint32_t i = 0; i < v->len; i++)
            observe_node(&t->element, &v->u.items[i], flags);
    } else if (t->kind == SL_G_STRUCT && v->type == SL_T_STRUCT) {
        size_t hint = 0;
        for (uint32_t i = 0; i < v->len; i++) {
            const sl_field *f = &v->u.fields[i];
            long j = find_field(t, f->name, f->name_len, hint);
            if (j < 0) {
                append_field(t, f->name, f->name_len, NULL);
                j = (long)t->n_fields - 1;
            }
            observe_node(&t->fields[j].type, &f->value, flags);
            hint = (size_t)j + 1;
        }
    }
}

void sl_gtype_observe(sl_gtype **t, const sl_value *v, unsigned flags) { observe_node(t, v, flags); }

/* ------------------------------------------------------------------ */
/* Names. */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t len) {
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (n > len) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

int sl_glue_name(const char *in, size_t len, size_t max_len, sl_buf *out) {
    const unsigned char *s = (const unsigned char *)in;
    size_t written = 0;
    for (size_t i = 0; i < len && (max_len == 0 || written < max_len);) {
        unsigned char c = s[i];
        char o;
        if (c >= 'A' && c <= 'Z')
            o = (char)(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
            o = (char)c;
        else
            o = '_';
        size_t step = 1;
        if (c >= 0x80) {
            size_t n = utf8_sequence(s + i, len - i);
            step = n ? n : 1;
        }
        int rc = sl_buf_addc(out, o);
        if (rc) return rc;
        written++;
        i += step;
    }
    return 0;
}
