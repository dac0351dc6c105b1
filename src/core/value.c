/* value.c — record model basics: names, struct access, string copies.
 * Conversions, comparison and paths live in convert.c. */
#include "core/value.h"

#include <strings.h>

#include "core/error.h"

static const char *const type_names[SL_T__COUNT] = {
    "null", "boolean", "long", "double", "decimal", "string",
    "binary", "date", "timestamp", "array", "struct",
};

const char *sl_type_name(sl_type t) { return (unsigned)t < SL_T__COUNT ? type_names[t] : "unknown"; }

int sl_type_parse(const char *name, sl_type *out) {
    static const struct { const char *name; sl_type type; } aliases[] = {
        {"null", SL_T_NULL},       {"void", SL_T_NULL},
        {"boolean", SL_T_BOOL},    {"bool", SL_T_BOOL},
        {"long", SL_T_INT},        {"bigint", SL_T_INT},      {"int", SL_T_INT},
        {"integer", SL_T_INT},     {"int64", SL_T_INT},       {"short", SL_T_INT},
        {"smallint", SL_T_INT},    {"tinyint", SL_T_INT},     {"byte", SL_T_INT},
        {"double", SL_T_DOUBLE},   {"float", SL_T_DOUBLE},    {"real", SL_T_DOUBLE},
        {"decimal", SL_T_DECIMAL}, {"numeric", SL_T_DECIMAL},
        {"string", SL_T_STRING},   {"varchar", SL_T_STRING},  {"char", SL_T_STRING},
        {"text", SL_T_STRING},
        {"binary", SL_T_BINARY},   {"bytes", SL_T_BINARY},
        {"date", SL_T_DATE},
        {"timestamp", SL_T_TIMESTAMP},
        {"array", SL_T_LIST},      {"list", SL_T_LIST},
        {"struct", SL_T_STRUCT},   {"map", SL_T_STRUCT},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcasecmp(name, aliases[i].name) == 0) {
            *out = aliases[i].type;
            return SL_OK;
        }
    }
    return SL_EINVAL;
}

bool sl_json_plain(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\') return false;
    }
    return true;
}

sl_value sl_string_copy(sl_arena *a, const char *s, size_t len) {
    char *p = sl_arena_strndup(a, s, len);
    return sl_string(p, len, sl_json_plain(s, len) ? SL_VF_JSON_PLAIN : 0);
}

const sl_field *sl_struct_find(const sl_value *rec, const char *name, size_t name_len) {
    if (!rec || rec->type != SL_T_STRUCT) return NULL;
    for (uint32_t i = 0; i < rec->len; i++) {
        const sl_field *f = &rec->u.fields[i];
        if (f->name_len == name_len && sl_name_eq(f->name, name, name_len)) return f;
    }
    return NULL;
}

const sl_value *sl_struct_get(const sl_value *rec, const char *name) {
    const sl_field *f = sl_struct_find(rec, name, strlen(name));
    return f ? &f->value : NULL;
}

sl_value sl_struct_set(sl_arena *a, const sl_value *rec, const char *name, size_t name_len, sl_value value) {
    uint32_t n = rec && rec->type == SL_T_STRUCT ? rec->len : 0;
    const sl_field *old = sl_struct_find(rec, name, name_len);
    uint32_t count = old ? n : n + 1;
    sl_field *fields = sl_arena_alloc(a, count * sizeof *fields);
    if (n) memcpy(fields, rec->u.fields, n * sizeof *fields);
    if (old) {
        fields[old - rec->u.fields].value = value;
    } else {
        fields[n].name = name;
        fields[n].name_len = (uint32_t)name_len;
        fields[n].name_flags = sl_json_plain(name, name_len) ? SL_VF_JSON_PLAIN : 0;
        fields[n].value = value;
    }
    return sl_struct(fields, count);
}
