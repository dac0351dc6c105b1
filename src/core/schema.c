/*
 * schema.c — frame schemas: inference from records, Glue's merge rules
 * with choice types, printSchema / JSON / catalog type output.
 *
 * sl_schema_observe runs over every record of a batch, so it merges the
 * record into the tree in place: a record of a known shape walks the tree,
 * bumps counts and allocates nothing. Struct fields are matched by trying
 * the position after the previous match first (records of one source list
 * their fields in the same order), then by a linear scan.
 *
 * Each struct field remembers the parent's count at the last record that
 * held it (`mark`); a field whose mark is stale after a record went
 * missing and becomes nullable. The invariant mark <= parent count keeps
 * marks unique across merges and copies.
 */
#include "core/schema.h"

#include <stdlib.h>

#include "core/error.h"
#include "core/mem.h"

typedef struct schema_field {
    char *name; /* NUL-terminated copy */
    uint32_t name_len;
    uint64_t seen; /* parent struct values that held this field */
    uint64_t mark; /* parent's count when last seen */
    sl_schema *child;
} schema_field;

struct sl_schema {
    int kind; /* sl_type or SL_SCHEMA_CHOICE */
    bool nullable;
    uint64_t count; /* non-null values observed here */
    /* DECIMAL: widest value seen, for the catalog's decimal(p,s) */
    uint16_t decimal_int_digits, decimal_scale;
    sl_schema *element;   /* LIST */
    schema_field *fields; /* STRUCT */
    sl_schema **alts;     /* CHOICE, sorted by kind */
    uint32_t n, cap;      /* fields or alternatives */
};

/* ------------------------------------------------------------------ */
/* Nodes. */

sl_schema *sl_schema_new(int kind) {
    sl_schema *s = sl_xcalloc(1, sizeof *s);
    s->kind = kind;
    if (kind == SL_T_LIST) s->element = sl_schema_new(SL_T_NULL);
    return s;
}

/* Frees everything below s and leaves an empty SL_T_NULL node. */
static void clear_children(sl_schema *s) {
    sl_schema_free(s->element);
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->kind == SL_T_STRUCT) {
            free(s->fields[i].name);
            sl_schema_free(s->fields[i].child);
        } else {
            sl_schema_free(s->alts[i]);
        }
    }
    free(s->fields);
    free(s->alts);
    s->element = NULL;
    s->fields = NULL;
    s->alts = NULL;
    s->n = s->cap = 0;
    s->kind = SL_T_NULL;
}

void sl_schema_free(sl_schema *s) {
    if (!s) return;
    clear_children(s);
    free(s);
}

/* Copies everything of src except nullable into the (empty) node dst. */
static void copy_content(sl_schema *dst, const sl_schema *src) {
    dst->kind = src->kind;
    dst->count = src->count;
    dst->decimal_int_digits = src->decimal_int_digits;
    dst->decimal_scale = src->decimal_scale;
    dst->element = sl_schema_copy(src->element);
    dst->n = dst->cap = src->n;
    if (src->kind == SL_T_STRUCT && src->n) {
        dst->fields = sl_xmalloc(src->n * sizeof *dst->fields);
        for (uint32_t i = 0; i < src->n; i++) {
            dst->fields[i] = src->fields[i];
            dst->fields[i].name = sl_xstrndup(src->fields[i].name, src->fields[i].name_len);
            dst->fields[i].child = sl_schema_copy(src->fields[i].child);
        }
    } else if (src->kind == SL_SCHEMA_CHOICE && src->n) {
        dst->alts = sl_xmalloc(src->n * sizeof *dst->alts);
        for (uint32_t i = 0; i < src->n; i++)
            dst->alts[i] = sl_schema_copy(src->alts[i]);
    } else {
        dst->n = dst->cap = 0;
    }
}

sl_schema *sl_schema_copy(const sl_schema *s) {
    if (!s) return NULL;
    sl_schema *c = sl_xcalloc(1, sizeof *c);
    copy_content(c, s);
    c->nullable = s->nullable;
    return c;
}

static schema_field *append_field(sl_schema *s, const char *name, size_t name_len, sl_schema *child) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->fields = sl_xrealloc(s->fields, s->cap * sizeof *s->fields);
    }
    schema_field *f = &s->fields[s->n++];
    f->name = sl_xstrndup(name, name_len);
    f->name_len = (uint32_t)name_len;
    f->seen = 0;
    f->mark = 0;
    f->child = child;
    return f;
}

static bool field_is(const schema_field *f, const char *name, size_t name_len) {
    return f->name_len == name_len && memcmp(f->name, name, name_len) == 0;
}

/* Index of the field, trying `hint` first; -1 if absent. */
static int64_t find_field(const sl_schema *s, const char *name, size_t name_len, uint32_t hint) {
    if (hint < s->n && field_is(&s->fields[hint], name, name_len)) return hint;
    for (uint32_t i = 0; i < s->n; i++)
        if (field_is(&s->fields[i], name, name_len)) return i;
    return -1;
}

/* The alternative of `kind` in a choice; inserted (empty) when absent. */
static sl_schema *choice_slot(sl_schema *s, int kind, bool *created) {
    uint32_t i = 0;
    while (i < s->n && s->alts[i]->kind < kind)
        i++;
    *created = false;
    if (i < s->n && s->alts[i]->kind == kind) return s->alts[i];
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->alts = sl_xrealloc(s->alts, s->cap * sizeof *s->alts);
    }
    memmove(s->alts + i + 1, s->alts + i, (s->n - i) * sizeof *s->alts);
    s->n++;
    *created = true;
    return s->alts[i] = sl_schema_new(kind);
}

/* Turns s into a choice whose single alternative is s's old content. */
static void to_choice(sl_schema *s) {
    sl_schema *alt = sl_xmalloc(sizeof *alt);
    *alt = *s;
    alt->nullable = false;
    bool nullable = s->nullable;
    memset(s, 0, sizeof *s);
    s->kind = SL_SCHEMA_CHOICE;
    s->nullable = nullable;
    s->count = alt->count;
    s->alts = sl_xmalloc(4 * sizeof *s->alts);
    s->alts[0] = alt;
    s->n = 1;
    s->cap = 4;
}

/* Digits left and right of the point of decimal text ("-12.340" → 2, 3;
 * "1.5e3" → 4, 0). False for text that is not a decimal number. */
static bool decimal_shape(const char *s, size_t len, int64_t *int_digits, int64_t *scale) {
    const char *p = s, *end = s + len;
    int64_t before = 0, after = 0, exp = 0;
    bool seen_digit = false, significant = false;
    if (p < end && (*p == '+' || *p == '-')) p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        significant |= *p != '0';
        before += significant;
        seen_digit = true;
    }
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++)
            after++, seen_digit = true;
    if (!seen_digit) return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool negative = false;
        if (++p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
        if (p == end) return false;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exp < 100000) exp = exp * 10 + (*p - '0');
        if (negative) exp = -exp;
    }
    if (p != end) return false;
    *int_digits = before + exp > 0 ? before + exp : 0;
    *scale = after - exp > 0 ? after - exp : 0;
    return true;
}

static uint16_t clamp16(int64_t v) { return v > 1000 ? 1000 : (uint16_t)v; }

static void note_decimal(sl_schema *s, const sl_value *v) {
    int64_t int_digits, scale;
    if (!decimal_shape(v->u.s, v->len, &int_digits, &scale)) return;
    if (clamp16(int_digits) > s->decimal_int_digits) s->decimal_int_digits = clamp16(int_digits);
    if (clamp16(scale) > s->decimal_scale) s->decimal_scale = clamp16(scale);
}

/* ------------------------------------------------------------------ */
/* Observing values. */

static void observe(sl_schema *s, const sl_value *v);

static void observe_struct(sl_schema *s, const sl_value *v) {
    uint64_t stamp = s->count; /* already counts this value: unique per value */
    bool first = stamp == 1;
    uint32_t present = 0, hint = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *vf = &v->u.fields[i];
        int64_t at = find_field(s, vf->name, vf->name_len, hint);
        if (at < 0) {
            at = s->n;
            append_field(s, vf->name, vf->name_len, sl_schema_new(SL_T_NULL));
            /* absent from the records before this one */
            if (!first) s->fields[at].child->nullable = true;
        }
        schema_field *f = &s->fields[at];
        if (f->mark != stamp) {
            f->mark = stamp;
            f->seen++;
            present++;
        }
        hint = (uint32_t)at + 1;
        observe(f->child, &vf->value);
    }
    if (present == s->n) return;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->fields[i].mark != stamp) s->fields[i].child->nullable = true;
}

static void observe(sl_schema *s, const sl_value *v) {
    int kind = v->type;
    if (kind == SL_T_NULL) {
        s->nullable = true;
        return;
    }
    if (kind >= SL_T__COUNT) return; /* not a value: nothing to learn */
    if (s->kind == SL_T_NULL) {
        s->kind = kind;
        if (kind == SL_T_LIST) s->element = sl_schema_new(SL_T_NULL);
    } else if (s->kind != kind) {
        bool created;
        if (s->kind != SL_SCHEMA_CHOICE) to_choice(s);
        s->count++;
        s = choice_slot(s, kind, &created);
    }
    s->count++;
    switch (kind) {
    case SL_T_DECIMAL: note_decimal(s, v); break;
    case SL_T_LIST:
        for (uint32_t i = 0; i < v->len; i++)
            observe(s->element, &v->u.items[i]);
        break;
    case SL_T_STRUCT: observe_struct(s, v); break;
    default: break;
    }
}

sl_schema *sl_schema_of(const sl_value *v) {
    sl_schema *s = sl_schema_new(SL_T_NULL);
    observe(s, v);
    return s;
}

void sl_schema_observe(sl_schema **s, const sl_value *record) {
    if (!*s) *s = sl_schema_new(SL_T_NULL);
    observe(*s, record);
}

/* ------------------------------------------------------------------ */
/* Merging schemas. */

static void merge_into(sl_schema *d, const sl_schema *s);

/* d and s have the same kind (not NULL, not CHOICE). */
static void merge_same(sl_schema *d, const sl_schema *s) {
    d->count += s->count;
    switch (d->kind) {
    case SL_T_DECIMAL:
        if (s->decimal_int_digits > d->decimal_int_digits) d->decimal_int_digits = s->decimal_int_digits;
        if (s->decimal_scale > d->decimal_scale) d->decimal_scale = s->decimal_scale;
        break;
    case SL_T_LIST: merge_into(d->element, s->element); break;
    case SL_T_STRUCT: {
        uint32_t n_before = d->n;
        for (uint32_t i = 0; i < n_before; i++)
            if (!sl_schema_field_n(s, d->fields[i].name, d->fields[i].name_len)) d->fields[i].child->nullable = true;
        for (uint32_t i = 0; i < s->n; i++) {
            const schema_field *sf = &s->fields[i];
            int64_t at = find_field(d, sf->name, sf->name_len, i);
            if (at >= 0 && at < n_before) {
                merge_into(d->fields[at].child, sf->child);
            } else if (at >= 0) { /* a name repeated in s (built by hand) */
                merge_into(d->fields[at].child, sf->child);
                continue;
            } else {
                at = d->n;
                append_field(d, sf->name, sf->name_len, sl_schema_copy(sf->child));
                d->fields[at].child->nullable = true;
            }
            d->fields[at].seen += sf->seen;
        }
        break;
    }
    default: break;
    }
}

/* s is neither NULL nor CHOICE. */
static void merge_alternative(sl_schema *d, const sl_schema *s) {
    if (d->kind == SL_T_NULL) {
        bool nullable = d->nullable;
        clear_children(d);
        copy_content(d, s);
        d->nullable = nullable;
        return;
    }
    if (d->kind != s->kind) {
        bool created;
        if (d->kind != SL_SCHEMA_CHOICE) to_choice(d);
        d->count += s->count;
        sl_schema *alt = choice_slot(d, s->kind, &created);
        if (created) {
            clear_children(alt);
            copy_content(alt, s);
            return;
        }
        d = alt;
    }
    merge_same(d, s);
}

static void merge_into(sl_schema *d, const sl_schema *s) {
    d->nullable |= s->nullable;
    if (s->kind == SL_T_NULL) return;
    if (s->kind != SL_SCHEMA_CHOICE) {
        merge_alternative(d, s);
        return;
    }
    for (uint32_t i = 0; i < s->n; i++) {
        d->nullable |= s->alts[i]->nullable;
        if (s->alts[i]->kind != SL_T_NULL) merge_alternative(d, s->alts[i]);
    }
}

sl_schema *sl_schema_merge(const sl_schema *a, const sl_schema *b) {
    if (!a) return sl_schema_copy(b);
    sl_schema *m = sl_schema_copy(a);
    if (b) merge_into(m, b);
    return m;
}

bool sl_schema_equal(const sl_schema *a, const sl_schema *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind || a->nullable != b->nullable || a->n != b->n) return false;
    if (a->kind == SL_T_LIST) return sl_schema_equal(a->element, b->element);
    for (uint32_t i = 0; i < a->n; i++) {
        if (a->kind == SL_T_STRUCT) {
            const schema_field *x = &a->fields[i], *y = &b->fields[i];
            if (!field_is(x, y->name, y->name_len) || !sl_schema_equal(x->child, y->child)) return false;
        } else if (!sl_schema_equal(a->alts[i], b->alts[i])) {
            return false;
        }
    }
    return true;
}

void sl_schema_widen_numeric(sl_schema *s) {
    if (!s) return;
    if (s->kind == SL_T_LIST) sl_schema_widen_numeric(s->element);
    for (uint32_t i = 0; i < s->n; i++)
        sl_schema_widen_numeric(s->kind == SL_T_STRUCT ? s->fields[i].child : s->alts[i]);
    if (s->kind != SL_SCHEMA_CHOICE) return;
    sl_schema *as_long = (sl_schema *)sl_schema_alternative(s, SL_T_INT);
    sl_schema *as_double = (sl_schema *)sl_schema_alternative(s, SL_T_DOUBLE);
    if (as_long && as_double) {
        as_double->count += as_long->count;
        uint32_t i = 0;
        while (s->alts[i] != as_long)
            i++;
        memmove(s->alts + i, s->alts + i + 1, (s->n - i - 1) * sizeof *s->alts);
        s->n--;
        sl_schema_free(as_long);
    }
    if (s->n == 1) { /* a choice of one is that one */
        sl_schema *only = s->alts[0];
        bool nullable = s->nullable;
        free(s->alts);
        *s = *only;
        s->nullable = nullable || only->nullable;
        free(only);
    }
}

/* ------------------------------------------------------------------ */
/* Building by hand. */

void sl_schema_set_nullable(sl_schema *s, bool nullable) { s->nullable = nullable; }

void sl_schema_set_element(sl_schema *array, sl_schema *element) {
    if (array->kind != SL_T_LIST) {
        sl_schema_free(element);
        return;
    }
    sl_schema_free(array->element);
    array->element = element;
}

void sl_schema_add_field(sl_schema *st, const char *name, size_t name_len, sl_schema *child) {
    int64_t at = st->kind == SL_T_STRUCT ? find_field(st, name, name_len, st->n) : -1;
    if (st->kind != SL_T_STRUCT || at >= 0) {
        if (at >= 0) merge_into(st->fields[at].child, child);
        sl_schema_free(child);
        return;
    }
    append_field(st, name, name_len, child);
}

void sl_schema_add_alternative(sl_schema *choice, sl_schema *alt) {
    if (choice->kind == SL_SCHEMA_CHOICE) merge_into(choice, alt);
    sl_schema_free(alt);
}

/* ------------------------------------------------------------------ */
/* Reading. */

int sl_schema_kind(const sl_schema *s) { return s->kind; }
bool sl_schema_nullable(const sl_schema *s) { return s->nullable; }
uint64_t sl_schema_count(const sl_schema *s) { return s->count; }
const sl_schema *sl_schema_element(const sl_schema *s) { return s->kind == SL_T_LIST ? s->element : NULL; }

size_t sl_schema_field_count(const sl_schema *s) { return s->kind == SL_T_STRUCT ? s->n : 0; }

const char *sl_schema_field_name(const sl_schema *s, size_t i, size_t *len) {
    if (len) *len = s->fields[i].name_len;
    return s->fields[i].name;
}

const sl_schema *sl_schema_field_child(const sl_schema *s, size_t i) { return s->fields[i].child; }
bool sl_schema_field_nullable(const sl_schema *s, size_t i) { return s->fields[i].child->nullable; }
uint64_t sl_schema_field_seen(const sl_schema *s, size_t i) { return s->fields[i].seen; }

const sl_schema *sl_schema_field_n(const sl_schema *s, const char *name, size_t name_len) {
    if (!s || s->kind != SL_T_STRUCT) return NULL;
    int64_t at = find_field(s, name, name_len, 0);
    return at >= 0 ? s->fields[at].child : NULL;
}

const sl_schema *sl_schema_field(const sl_schema *s, const char *name) {
    return sl_schema_field_n(s, name, strlen(name));
}

size_t sl_schema_choice_count(const sl_schema *s) { return s->kind == SL_SCHEMA_CHOICE ? s->n : 0; }
const sl_schema *sl_schema_choice_alt(const sl_schema *s, size_t i) { return s->alts[i]; }

const sl_schema *sl_schema_alternative(const sl_schema *s, int kind) {
    if (!s) return NULL;
    if (s->kind != SL_SCHEMA_CHOICE) return s->kind == kind ? s : NULL;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->alts[i]->kind == kind) return s->alts[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Output. */

static const char *kind_name(const sl_schema *s) {
    return s->kind == SL_SCHEMA_CHOICE ? "choice" : sl_type_name((sl_type)s->kind);
}

static void print_indent(sl_buf *out, int depth) {
    for (int i = 0; i < depth; i++)
        sl_buf_add(out, "|    ", 5);
}

static void print_children(const sl_schema *s, int depth, sl_buf *out);

static void print_line(const char *label, size_t label_len, const sl_schema *s, int depth, sl_buf *out) {
    print_indent(out, depth);
    sl_buf_add(out, "|-- ", 4);
    sl_buf_add(out, label, label_len);
    sl_buf_printf(out, ": %s\n", kind_name(s));
    print_children(s, depth + 1, out);
}

static void print_children(const sl_schema *s, int depth, sl_buf *out) {
    switch (s->kind) {
    case SL_T_LIST: print_line("element", 7, s->element, depth, out); break;
    case SL_T_STRUCT:
        for (uint32_t i = 0; i < s->n; i++)
            print_line(s->fields[i].name, s->fields[i].name_len, s->fields[i].child, depth, out);
        break;
    case SL_SCHEMA_CHOICE:
        for (uint32_t i = 0; i < s->n; i++) {
            print_indent(out, depth);
            sl_buf_printf(out, "|-- %s\n", kind_name(s->alts[i]));
            print_children(s->alts[i], depth + 1, out);
        }
        break;
    default: break;
    }
}

void sl_schema_print(const sl_schema *s, sl_buf *out) {
    if (!s || s->kind == SL_T_STRUCT)
        sl_buf_adds(out, "root\n");
    else
        sl_buf_printf(out, "root: %s\n", kind_name(s));
    if (s) print_children(s, 0, out);
}

/* Appends to out, remembering the first failure. */
typedef struct json_out {
    sl_buf *buf;
    int rc;
} json_out;

static void jadd(json_out *j, const char *s, size_t len) {
    if (j->rc == SL_OK) j->rc = sl_buf_add(j->buf, s, len);
}

static void jadds(json_out *j, const char *s) { jadd(j, s, strlen(s)); }

static void jstring(json_out *j, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    jadd(j, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            jadd(j, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            jadd(j, esc, 6);
        } else {
            jadd(j, s + i, 1);
        }
    }
    jadd(j, "\"", 1);
}

static void json_type(json_out *j, const sl_schema *s) {
    switch (s->kind) {
    case SL_T_LIST:
        jadds(j, "{\"type\":\"array\",\"elementType\":");
        json_type(j, s->element);
        jadds(j, s->element->nullable ? ",\"containsNull\":true}" : ",\"containsNull\":false}");
        break;
    case SL_T_STRUCT:
        jadds(j, "{\"type\":\"struct\",\"fields\":[");
        for (uint32_t i = 0; i < s->n; i++) {
            const schema_field *f = &s->fields[i];
            jadds(j, i ? ",{\"name\":" : "{\"name\":");
            jstring(j, f->name, f->name_len);
            jadds(j, ",\"type\":");
            json_type(j, f->child);
            jadds(j, f->child->nullable ? ",\"nullable\":true}" : ",\"nullable\":false}");
        }
        jadds(j, "]}");
        break;
    case SL_SCHEMA_CHOICE:
        jadds(j, "{\"type\":\"choice\",\"alternatives\":[");
        for (uint32_t i = 0; i < s->n; i++) {
            if (i) jadd(j, ",", 1);
            json_type(j, s->alts[i]);
        }
        jadds(j, "]}");
        break;
    default:
        jadd(j, "\"", 1);
        jadds(j, kind_name(s));
        jadd(j, "\"", 1);
        break;
    }
}

int sl_schema_to_json(const sl_schema *s, sl_buf *out) {
    json_out j = {out, SL_OK};
    if (s)
        json_type(&j, s);
    else
        jadds(&j, "null");
    return j.rc;
}

static bool numbers_only(const sl_schema *s) {
    for (uint32_t i = 0; i < s->n; i++) {
        int k = s->alts[i]->kind;
        if (k != SL_T_INT && k != SL_T_DOUBLE && k != SL_T_DECIMAL) return false;
    }
    return s->n > 0;
}

static void glue_decimal(const sl_schema *s, sl_buf *out) {
    int int_digits = s->decimal_int_digits, scale = s->decimal_scale;
    if (int_digits == 0 && scale == 0 && s->count == 0) {
        sl_buf_adds(out, "decimal(38,18)"); /* nothing seen: Spark's default */
        return;
    }
    if (scale > 38) scale = 38;
    if (int_digits + scale > 38) scale = int_digits >= 38 ? 0 : 38 - int_digits;
    int precision = int_digits + scale;
    if (precision > 38) precision = 38;
    if (precision < 1) precision = 1;
    sl_buf_printf(out, "decimal(%d,%d)", precision, scale);
}

void sl_schema_glue_type(const sl_schema *s, sl_buf *out) {
    switch (s->kind) {
    case SL_T_NULL: sl_buf_adds(out, "string"); break;
    case SL_T_BOOL: sl_buf_adds(out, "boolean"); break;
    case SL_T_INT: sl_buf_adds(out, "bigint"); break;
    case SL_T_DECIMAL: glue_decimal(s, out); break;
    case SL_T_LIST:
        sl_buf_adds(out, "array<");
        sl_schema_glue_type(s->element, out);
        sl_buf_addc(out, '>');
        break;
    case SL_T_STRUCT:
        sl_buf_adds(out, "struct<");
        for (uint32_t i = 0; i < s->n; i++) {
            if (i) sl_buf_addc(out, ',');
            sl_buf_add(out, s->fields[i].name, s->fields[i].name_len);
            sl_buf_addc(out, ':');
            sl_schema_glue_type(s->fields[i].child, out);
        }
        sl_buf_addc(out, '>');
        break;
    case SL_SCHEMA_CHOICE: sl_buf_adds(out, numbers_only(s) ? "double" : "string"); break;
    default: sl_buf_adds(out, sl_type_name((sl_type)s->kind)); break; /* double, string, binary, date, timestamp */
    }
}
