/* fieldpath.c — see fieldpath.h. */
#include "core/fieldpath.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

int sl_fieldpath_parse(const char *text, sl_fieldpath *p, sl_error *err) {
    memset(p, 0, sizeof *p);
    size_t cap = 4;
    p->segs = sl_xmalloc(cap * sizeof *p->segs);
    p->text = sl_xstrdup(text);
    const char *s = text;
    for (;;) {
        const char *start, *end;
        if (*s == '`') {
            start = s + 1;
            end = strchr(start, '`');
            if (!end) goto bad_quote;
            s = end + 1;
        } else {
            start = s;
            while (*s && *s != '.') s++;
            end = s;
        }
        if (end == start) goto bad_empty;
        if (p->n == cap) p->segs = sl_xrealloc(p->segs, (cap *= 2) * sizeof *p->segs);
        p->segs[p->n].name = sl_xstrndup(start, (size_t)(end - start));
        p->segs[p->n].len = (size_t)(end - start);
        p->n++;
        if (*s == 0) return SL_OK;
        if (*s != '.') goto bad_char;
        s++;
    }
bad_quote:
    sl_fieldpath_free(p);
    return sl_error_set(err, SL_EINVAL, "field path '%s': unclosed backtick", text);
bad_empty:
    sl_fieldpath_free(p);
    return sl_error_set(err, SL_EINVAL, "field path '%s': empty field name", text);
bad_char:
    sl_fieldpath_free(p);
    return sl_error_set(err, SL_EINVAL, "field path '%s': expected '.' after a quoted name", text);
}

void sl_fieldpath_free(sl_fieldpath *p) {
    for (size_t i = 0; i < p->n; i++) free(p->segs[i].name);
    free(p->segs);
    free(p->text);
    memset(p, 0, sizeof *p);
}

const sl_value *sl_fieldpath_get(const sl_value *rec, const sl_fieldpath *p) {
    const sl_value *v = rec;
    for (size_t i = 0; i < p->n && v; i++) {
        const sl_field *f = sl_struct_find(v, p->segs[i].name, p->segs[i].len);
        v = f ? &f->value : NULL;
    }
    return v;
}

static sl_value set_at(sl_arena *a, const sl_value *rec, const sl_fieldseg *segs, size_t n, sl_value v) {
    if (n == 1) return sl_struct_set(a, rec, segs[0].name, segs[0].len, v);
    const sl_field *f = sl_struct_find(rec, segs[0].name, segs[0].len);
    sl_value empty = sl_struct(NULL, 0);
    const sl_value *child = f && f->value.type == SL_T_STRUCT ? &f->value : &empty;
    sl_value inner = set_at(a, child, segs + 1, n - 1, v);
    return sl_struct_set(a, rec, segs[0].name, segs[0].len, inner);
}

sl_value sl_fieldpath_set(sl_arena *a, const sl_value *rec, const sl_fieldpath *p, sl_value v) {
    sl_value empty = sl_struct(NULL, 0);
    return set_at(a, rec && rec->type == SL_T_STRUCT ? rec : &empty, p->segs, p->n, v);
}

static sl_value remove_at(sl_arena *a, const sl_value *rec, const sl_fieldseg *segs, size_t n) {
    const sl_field *f = sl_struct_find(rec, segs[0].name, segs[0].len);
    if (!f) return *rec;
    size_t idx = (size_t)(f - rec->u.fields);
    if (n == 1) {
        sl_field *fields = sl_arena_alloc(a, (rec->len ? rec->len : 1) * sizeof *fields);
        memcpy(fields, rec->u.fields, idx * sizeof *fields);
        memcpy(fields + idx, rec->u.fields + idx + 1, (rec->len - idx - 1) * sizeof *fields);
        return sl_struct(fields, rec->len - 1);
    }
    if (f->value.type != SL_T_STRUCT) return *rec;
    sl_value inner = remove_at(a, &f->value, segs + 1, n - 1);
    return sl_struct_set(a, rec, segs[0].name, segs[0].len, inner);
}

sl_value sl_fieldpath_remove(sl_arena *a, const sl_value *rec, const sl_fieldpath *p) {
    if (!rec || rec->type != SL_T_STRUCT) return rec ? *rec : sl_null();
    return remove_at(a, rec, p->segs, p->n);
}

static sl_value rename_at(sl_arena *a, const sl_value *rec, const sl_fieldseg *segs, size_t n, const char *name,
                          size_t len) {
    const sl_field *f = sl_struct_find(rec, segs[0].name, segs[0].len);
    if (!f) return *rec;
    size_t idx = (size_t)(f - rec->u.fields);
    sl_field *fields = sl_arena_alloc(a, rec->len * sizeof *fields);
    memcpy(fields, rec->u.fields, rec->len * sizeof *fields);
    if (n == 1) {
        fields[idx].name = name;
        fields[idx].name_len = (uint32_t)len;
        fields[idx].name_flags = sl_json_plain(name, len) ? SL_VF_JSON_PLAIN : 0;
    } else {
        if (f->value.type != SL_T_STRUCT) return *rec;
        fields[idx].value = rename_at(a, &f->value, segs + 1, n - 1, name, len);
    }
    return sl_struct(fields, rec->len);
}

sl_value sl_fieldpath_rename(sl_arena *a, const sl_value *rec, const sl_fieldpath *p, const char *new_name,
                             size_t new_len) {
    if (!rec || rec->type != SL_T_STRUCT) return rec ? *rec : sl_null();
    return rename_at(a, rec, p->segs, p->n, new_name, new_len);
}
