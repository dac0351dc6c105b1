/*
 * lua_value.c — sluice values in Lua (see lua_value.h).
 *
 * A struct table carries up to two hidden entries under light-userdata keys
 * (never equal to a field name, and skipped by __pairs):
 *   origin_key → integer (generation << 24 | entry): the lazy entry that
 *                holds the original sl_value and which fields the script has
 *                touched (read or assigned) since the table was made;
 *   added_key  → table: [1..n] = names of fields that were not in the
 *                original, in the order they were first assigned, and
 *                [name] = position (so a name is listed once).
 * A field that was never touched is not in the table at all: __index
 * converts it on first read and stores it (rawset), so later reads are plain
 * table reads. On the way back, untouched fields are the original values,
 * touched ones are converted from the table (a string equal to the original
 * shares the original), deleted ones (touched, now nil) are left out.
 */
#include "transforms/lua_value.h"

#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/mem.h"
#include "formats/json.h"

static const char origin_key = 'o';
static const char added_key = 'a';

#define ENTRY_BITS 24
#define ENTRY_MAX ((size_t)1 << ENTRY_BITS)
#define JSON_MAX_TEXT ((size_t)256 << 20)

/* Field names as Lua strings, cached per state so the names a record
 * goes back out with are not hashed and interned again for every record. */
#define NAME_SLOTS 256
#define NAME_MAX_CACHED 32

typedef struct name_slot {
    int ref; /* registry reference of the string; 0 = empty */
    uint32_t len;
    char bytes[NAME_MAX_CACHED];
} name_slot;

typedef struct lazy_entry {
    const sl_value *orig;   /* STRUCT */
    uint64_t touched;       /* fields 0..63 */
    uint64_t *touched_more; /* fields 64.. (in the record's arena); NULL when len <= 64 */
} lazy_entry;

struct sl_luav {
    lua_State *L;
    int struct_mt, array_mt, value_mt, null_ref; /* registry references */
    const void *null_ptr;
    lazy_entry *entries;
    size_t n_entries, cap_entries;
    uint64_t gen;        /* current record; starts at 1 */
    sl_arena *rec_arena; /* arena of the current record's batch */
    sl_arena scratch;    /* helpers' temporaries (json, copy, tostring) */
    sl_buf json;
    name_slot names[NAME_SLOTS];
};

/* A decimal, binary, date or timestamp in Lua (full userdata). */
typedef struct luaval {
    uint8_t type;
    uint32_t len;
    int64_t i;
    char bytes[];
} luaval;

/* Where a conversion is, for error messages: a chain of names/indexes on
 * the C stack, turned into text only when something fails. */
typedef struct vpath {
    const struct vpath *up;
    const char *name; /* NULL: index */
    size_t len;
    lua_Integer index;
} vpath;

static void to_value(sl_luav *c, int idx, sl_arena *a, const sl_value *orig, sl_value *out, int depth,
                     const vpath *path);
static void push_value(sl_luav *c, const sl_value *v, bool lazy, int depth);

static sl_luav *ctx_of(lua_State *L) { return lua_touserdata(L, lua_upvalueindex(1)); }

/* ---- errors ---- */

static void path_text(const vpath *p, char *out, size_t size) {
    const vpath *chain[64];
    size_t n = 0;
    for (; p && n < 64; p = p->up)
        chain[n++] = p;
    size_t len = 0;
    out[0] = 0;
    for (size_t k = n; k-- > 0 && len + 1 < size;) {
        const vpath *s = chain[k];
        int w = s->name ? snprintf(out + len, size - len, "%s%.*s", len ? "." : "", (int)(s->len > 100 ? 100 : s->len),
                                   s->name)
                        : snprintf(out + len, size - len, "[%lld]", (long long)s->index);
        if (w < 0) break;
        len += (size_t)w;
        if (len >= size) len = size - 1;
    }
}

static int conv_error(sl_luav *c, const vpath *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int conv_error(sl_luav *c, const vpath *path, const char *fmt, ...) {
    char where[256], msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    path_text(path, where, sizeof where);
    if (where[0])
        lua_pushfstring(c->L, "field '%s': %s", where, msg);
    else
        lua_pushstring(c->L, msg);
    return lua_error(c->L);
}

static int stale_error(lua_State *L) {
    return luaL_error(L, "a record table was used after the call it was passed to had returned "
                         "(keep records across calls with sluice.copy)");
}

/* ---- lazy entries ---- */

static bool is_touched(const lazy_entry *e, size_t i) {
    if (i < 64) return e->touched >> i & 1;
    return e->touched_more[(i - 64) / 64] >> ((i - 64) % 64) & 1;
}

static void touch(lazy_entry *e, size_t i) {
    if (i < 64)
        e->touched |= (uint64_t)1 << i;
    else
        e->touched_more[(i - 64) / 64] |= (uint64_t)1 << ((i - 64) % 64);
}

/* First field of rec named name, or -1. */
static long find_field(const sl_value *rec, const char *name, size_t len) {
    for (uint32_t i = 0; i < rec->len; i++) {
        const sl_field *f = &rec->u.fields[i];
        if (f->name_len == len && sl_name_eq(f->name, name, len)) return (long)i;
    }
    return -1;
}

/* The lazy entry of the struct table at absolute index idx; NULL for a
 * table without one. Raises for a table of an earlier record. */
static lazy_entry *entry_of(sl_luav *c, int idx) {
    lua_State *L = c->L;
    lua_pushlightuserdata(L, (void *)&origin_key);
    lua_Integer packed = lua_rawget(L, idx) == LUA_TNUMBER ? lua_tointeger(L, -1) : -1;
    lua_pop(L, 1);
    if (packed < 0) return NULL;
    size_t i = (size_t)packed & (ENTRY_MAX - 1);
    if ((uint64_t)packed >> ENTRY_BITS != c->gen || i >= c->n_entries) stale_error(L);
    return &c->entries[i];
}

/* ---- C → Lua ---- */

/* Push field name s[0..len) as a Lua string. */
static void push_name(sl_luav *c, const char *s, size_t len) {
    lua_State *L = c->L;
    if (len > NAME_MAX_CACHED || len < 1) {
        lua_pushlstring(L, s, len);
        return;
    }
    uint64_t head = 0, tail = 0;
    memcpy(&head, s, len < 8 ? len : 8);
    memcpy(&tail, s + len - (len < 8 ? len : 8), len < 8 ? len : 8);
    uint64_t h = (head * 0x9E3779B97F4A7C15u) ^ (tail * 0xC2B2AE3D27D4EB4Fu) ^ len;
    name_slot *slot = &c->names[(h >> 32) % NAME_SLOTS];
    if (slot->ref && slot->len == len && memcmp(slot->bytes, s, len) == 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, slot->ref);
        return;
    }
    lua_pushlstring(L, s, len);
    lua_pushvalue(L, -1);
    if (slot->ref)
        lua_rawseti(L, LUA_REGISTRYINDEX, slot->ref);
    else
        slot->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    slot->len = (uint32_t)len;
    memcpy(slot->bytes, s, len);
}

static void set_mt(sl_luav *c, int ref) {
    lua_rawgeti(c->L, LUA_REGISTRYINDEX, ref);
    lua_setmetatable(c->L, -2);
}

static luaval *new_luaval(sl_luav *c, sl_type type, int64_t i, const char *bytes, size_t len) {
    luaval *u = lua_newuserdatauv(c->L, offsetof(luaval, bytes) + len, 0);
    u->type = (uint8_t)type;
    u->len = (uint32_t)len;
    u->i = i;
    if (len) memcpy(u->bytes, bytes, len);
    set_mt(c, c->value_mt);
    return u;
}

static sl_value luaval_view(const luaval *u) {
    sl_value v = {0};
    v.type = u->type;
    v.len = u->len;
    if (u->type == SL_T_DATE || u->type == SL_T_TIMESTAMP)
        v.u.i = u->i;
    else
        v.u.s = u->bytes;
    return v;
}

static luaval *test_luaval(sl_luav *c, int idx) {
    lua_State *L = c->L;
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return NULL;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->value_mt);
    bool ok = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return ok ? lua_touserdata(L, idx) : NULL;
}

static void check_depth(sl_luav *c, int depth) {
    if (depth >= SL_LUAV_MAX_DEPTH) luaL_error(c->L, "value nested deeper than %d levels", SL_LUAV_MAX_DEPTH);
    luaL_checkstack(c->L, 8, "value nested too deeply");
}

static void push_list(sl_luav *c, const sl_value *v, bool lazy, int depth) {
    lua_State *L = c->L;
    check_depth(c, depth);
    lua_createtable(L, (int)(v->len > 1000000 ? 1000000 : v->len), 0);
    for (uint32_t k = 0; k < v->len; k++) {
        push_value(c, &v->u.items[k], lazy, depth + 1);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    set_mt(c, c->array_mt);
}

/* A struct with every field converted now (no reference to v remains). */
static void push_struct(sl_luav *c, const sl_value *v, int depth) {
    lua_State *L = c->L;
    check_depth(c, depth);
    lua_createtable(L, 0, (int)(v->len > 1000000 ? 1000000 : v->len) + 1);
    int t = lua_gettop(L);
    set_mt(c, c->struct_mt);
    lua_createtable(L, (int)(v->len > 1000000 ? 1000000 : v->len), (int)(v->len > 1000000 ? 1000000 : v->len));
    int order = t + 1;
    lua_Integer n = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        const sl_field *f = &v->u.fields[i];
        push_name(c, f->name, f->name_len);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, order) != LUA_TNIL) { /* a repeated name: the first one is the field */
            lua_pop(L, 2);
            continue;
        }
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, order, ++n);
        lua_pushvalue(L, -1);
        lua_pushinteger(L, n);
        lua_rawset(L, order);
        push_value(c, &f->value, false, depth + 1);
        lua_rawset(L, t);
    }
    lua_pushlightuserdata(L, (void *)&added_key);
    lua_pushvalue(L, order);
    lua_rawset(L, t);
    lua_pop(L, 1);
}

/* A struct whose fields are converted when first read (see the top). */
static void push_lazy_struct(sl_luav *c, const sl_value *v) {
    lua_State *L = c->L;
    if (c->n_entries == c->cap_entries) {
        c->cap_entries = c->cap_entries ? c->cap_entries * 2 : 64;
        c->entries = sl_xrealloc(c->entries, c->cap_entries * sizeof *c->entries);
    }
    lazy_entry *e = &c->entries[c->n_entries];
    e->orig = v;
    e->touched = 0;
    e->touched_more = v->len > 64 ? sl_arena_calloc(c->rec_arena, (v->len - 64 + 63) / 64 * sizeof(uint64_t)) : NULL;
    lua_Integer packed = (lua_Integer)(c->gen << ENTRY_BITS | c->n_entries);
    c->n_entries++;
    /* room for the hidden entry and a few fields: scripts touch few fields */
    lua_createtable(L, 0, v->len < 4 ? (int)v->len + 1 : 4);
    set_mt(c, c->struct_mt);
    lua_pushlightuserdata(L, (void *)&origin_key);
    lua_pushinteger(L, packed);
    lua_rawset(L, -3);
}

static void push_value(sl_luav *c, const sl_value *v, bool lazy, int depth) {
    lua_State *L = c->L;
    switch ((sl_type)v->type) {
    case SL_T_BOOL: lua_pushboolean(L, v->u.b); return;
    case SL_T_INT: lua_pushinteger(L, v->u.i); return;
    case SL_T_DOUBLE: lua_pushnumber(L, v->u.d); return;
    case SL_T_STRING: lua_pushlstring(L, v->u.s, v->len); return;
    case SL_T_DECIMAL:
    case SL_T_BINARY: new_luaval(c, (sl_type)v->type, 0, v->u.s, v->len); return;
    case SL_T_DATE:
    case SL_T_TIMESTAMP: new_luaval(c, (sl_type)v->type, v->u.i, NULL, 0); return;
    case SL_T_LIST: push_list(c, v, lazy, depth); return;
    case SL_T_STRUCT:
        if (lazy && c->n_entries < ENTRY_MAX)
            push_lazy_struct(c, v);
        else
            push_struct(c, v, depth);
        return;
    case SL_T_NULL:
    case SL_T__COUNT: break;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->null_ref);
}

/* ---- struct metamethods ---- */

/* __index(t, k): convert an untouched original field on first read. */
static int struct_index(lua_State *L) {
    sl_luav *c = ctx_of(L);
    if (lua_type(L, 2) != LUA_TSTRING) return 0;
    lazy_entry *e = entry_of(c, 1);
    if (!e) return 0;
    size_t len;
    const char *k = lua_tolstring(L, 2, &len);
    long i = find_field(e->orig, k, len);
    if (i < 0 || is_touched(e, (size_t)i)) return 0;
    touch(e, (size_t)i);
    push_value(c, &e->orig->u.fields[i].value, true, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* List key k (at idx) of table t as a new field, once. */
static void note_added(lua_State *L, int t, int k) {
    lua_pushlightuserdata(L, (void *)&added_key);
    if (lua_rawget(L, t) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 4, 4);
        lua_pushlightuserdata(L, (void *)&added_key);
        lua_pushvalue(L, -2);
        lua_rawset(L, t);
    }
    int order = lua_gettop(L);
    bool named = lua_type(L, k) == LUA_TSTRING;
    if (named) {
        lua_pushvalue(L, k);
        bool listed = lua_rawget(L, order) != LUA_TNIL;
        lua_pop(L, 1);
        if (listed) {
            lua_pop(L, 1);
            return;
        }
    }
    lua_Integer n = (lua_Integer)lua_rawlen(L, order) + 1;
    lua_pushvalue(L, k);
    lua_rawseti(L, order, n);
    if (named) {
        lua_pushvalue(L, k);
        lua_pushinteger(L, n);
        lua_rawset(L, order);
    }
    lua_pop(L, 1);
}

/* __newindex(t, k, v): k is absent from the table — an untouched original
 * field (now touched: its new value, or nil = deleted, wins) or a new one. */
static int struct_newindex(lua_State *L) {
    sl_luav *c = ctx_of(L);
    lua_settop(L, 3);
    lazy_entry *e = entry_of(c, 1);
    if (e && lua_type(L, 2) == LUA_TSTRING) {
        size_t len;
        const char *k = lua_tolstring(L, 2, &len);
        long i = find_field(e->orig, k, len);
        if (i >= 0) {
            touch(e, (size_t)i);
            lua_rawset(L, 1);
            return 0;
        }
    }
    if (!lua_isnil(L, 3)) note_added(L, 1, 2);
    lua_rawset(L, 1);
    return 0;
}

/* Iterator of __pairs: original fields in order (converting untouched ones),
 * then added fields; upvalue 2 holds the position. */
static int struct_next(lua_State *L) {
    sl_luav *c = ctx_of(L);
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(2));
    lua_settop(L, 1);
    lazy_entry *e = entry_of(c, 1);
    lua_Integer n_orig = e ? (lua_Integer)e->orig->len : 0;
    int found = 0;
    while (!found && pos < n_orig) {
        size_t i = (size_t)pos++;
        const sl_field *f = &e->orig->u.fields[i];
        if (find_field(e->orig, f->name, f->name_len) != (long)i) continue; /* a repeated name */
        push_name(c, f->name, f->name_len);
        if (is_touched(e, i)) {
            lua_pushvalue(L, -1);
            if (lua_rawget(L, 1) == LUA_TNIL) {
                lua_pop(L, 2);
                continue;
            }
        } else {
            touch(e, i);
            push_value(c, &f->value, true, 1);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, 1);
        }
        found = 1;
    }
    if (!found) {
        lua_pushlightuserdata(L, (void *)&added_key);
        if (lua_rawget(L, 1) == LUA_TTABLE) {
            int order = lua_gettop(L);
            lua_Integer m = (lua_Integer)lua_rawlen(L, order);
            while (!found && pos - n_orig < m) {
                lua_Integer j = pos - n_orig + 1;
                pos++;
                lua_rawgeti(L, order, j);
                lua_pushvalue(L, -1);
                if (lua_rawget(L, 1) == LUA_TNIL)
                    lua_pop(L, 2);
                else
                    found = 1;
            }
        }
    }
    lua_pushinteger(L, pos);
    lua_replace(L, lua_upvalueindex(2));
    if (!found) {
        lua_pushnil(L);
        return 1;
    }
    return 2;
}

static int struct_pairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, struct_next, 2);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* ---- Lua → C ---- */

enum { TK_PLAIN, TK_STRUCT, TK_ARRAY };

static int table_kind(sl_luav *c, int idx) {
    lua_State *L = c->L;
    if (!lua_getmetatable(L, idx)) return TK_PLAIN;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->struct_mt);
    int kind = lua_rawequal(L, -1, -2) ? TK_STRUCT : TK_PLAIN;
    lua_pop(L, 1);
    if (kind == TK_PLAIN) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, c->array_mt);
        if (lua_rawequal(L, -1, -2)) kind = TK_ARRAY;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return kind;
}

/* Are a and b the same value (a converted value that shares the original
 * is identical to it)? */
static bool same_value(const sl_value *a, const sl_value *b) {
    if (a->type != b->type) return false;
    switch ((sl_type)a->type) {
    case SL_T_NULL: return true;
    case SL_T_BOOL: return a->u.b == b->u.b;
    case SL_T_INT:
    case SL_T_DATE:
    case SL_T_TIMESTAMP: return a->u.i == b->u.i;
    case SL_T_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    default: return a->len == b->len && a->u.s == b->u.s;
    }
}

static const char *copy_name(sl_arena *a, const char *s, size_t len) {
    char *p = sl_arena_alloc(a, len ? len : 1);
    memcpy(p, s, len);
    return p;
}

static void set_name(sl_field *f, sl_arena *a, const char *s, size_t len) {
    f->name = copy_name(a, s, len);
    f->name_len = (uint32_t)len;
    f->name_flags = sl_json_plain(s, len) ? SL_VF_JSON_PLAIN : 0;
}

static void struct_table(sl_luav *c, int idx, sl_arena *a, sl_value *out, int depth, const vpath *path) {
    lua_State *L = c->L;
    lazy_entry *e = entry_of(c, idx);
    size_t n_orig = e ? e->orig->len : 0;
    lua_pushlightuserdata(L, (void *)&added_key);
    int order = lua_rawget(L, idx) == LUA_TTABLE ? lua_gettop(L) : 0;
    if (!order) lua_pop(L, 1);
    size_t m = order ? lua_rawlen(L, order) : 0;
    sl_field *fields = sl_arena_alloc(a, (n_orig + m ? n_orig + m : 1) * sizeof *fields);
    size_t n = 0;
    bool changed = false;
    for (size_t i = 0; i < n_orig; i++) {
        const sl_field *f = &e->orig->u.fields[i];
        if (!is_touched(e, i)) {
            fields[n++] = *f;
            continue;
        }
        push_name(c, f->name, f->name_len);
        if (lua_rawget(L, idx) == LUA_TNIL) {
            changed = true;
        } else {
            vpath here = {path, f->name, f->name_len, 0};
            fields[n] = *f;
            to_value(c, -1, a, &f->value, &fields[n].value, depth + 1, &here);
            changed |= !same_value(&fields[n].value, &f->value);
            n++;
        }
        lua_pop(L, 1);
    }
    for (size_t j = 1; j <= m; j++) {
        if (lua_rawgeti(L, order, (lua_Integer)j) != LUA_TSTRING)
            conv_error(c, path, "a struct's keys must be strings (field names), not %s", luaL_typename(L, -1));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, idx) == LUA_TNIL) {
            lua_pop(L, 2);
            continue;
        }
        size_t len;
        const char *k = lua_tolstring(L, -2, &len);
        if (len > UINT32_MAX) conv_error(c, path, "field name too long");
        vpath here = {path, k, len, 0};
        set_name(&fields[n], a, k, len);
        to_value(c, -1, a, NULL, &fields[n].value, depth + 1, &here);
        n++;
        changed = true;
        lua_pop(L, 2);
    }
    if (order) lua_pop(L, 1);
    *out = e && !changed ? *e->orig : sl_struct(fields, n);
}

static void array_table(sl_luav *c, int idx, sl_arena *a, const sl_value *orig, sl_value *out, int depth,
                        const vpath *path) {
    lua_State *L = c->L;
    size_t n = lua_rawlen(L, idx);
    if (n > UINT32_MAX) conv_error(c, path, "array too long");
    const sl_value *orig_items = orig && orig->type == SL_T_LIST && orig->len == n ? orig->u.items : NULL;
    sl_value *items = sl_arena_alloc(a, (n ? n : 1) * sizeof *items);
    bool changed = !orig_items;
    for (size_t k = 0; k < n; k++) {
        lua_rawgeti(L, idx, (lua_Integer)k + 1);
        vpath here = {path, NULL, 0, (lua_Integer)k};
        to_value(c, -1, a, orig_items ? &orig_items[k] : NULL, &items[k], depth + 1, &here);
        if (orig_items) changed |= !same_value(&items[k], &orig_items[k]);
        lua_pop(L, 1);
    }
    *out = changed ? sl_list(items, n) : *orig;
}

typedef struct keyref {
    const char *s;
    size_t len;
} keyref;

static int keyref_cmp(const void *x, const void *y) {
    const keyref *a = x, *b = y;
    int r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
    return r ? r : (a->len > b->len) - (a->len < b->len);
}

static bool is_hidden_key(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TLIGHTUSERDATA) return false;
    const void *p = lua_touserdata(L, idx);
    return p == &origin_key || p == &added_key;
}

/* A table without a marker: a non-empty sequence is an array (holes are
 * nulls), anything else a struct with its keys sorted bytewise. */
static void plain_table(sl_luav *c, int idx, sl_arena *a, sl_value *out, int depth, const vpath *path) {
    lua_State *L = c->L;
    size_t n_int = 0, n_str = 0;
    lua_Integer max_int = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            n_str++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            n_int++;
            if (lua_tointeger(L, -1) > max_int) max_int = lua_tointeger(L, -1);
        } else if (!is_hidden_key(L, -1)) {
            conv_error(c, path, "a table key must be a field name (string) or an array index (1, 2, ...), not %s",
                       luaL_typename(L, -1));
        }
    }
    if (n_int && n_str) conv_error(c, path, "a table mixes array items (1, 2, ...) and named fields");
    if (n_int) {
        if ((size_t)max_int > 2 * n_int + 64) conv_error(c, path, "a sparse array (index %lld)", (long long)max_int);
        sl_value *items = sl_arena_alloc(a, (size_t)max_int * sizeof *items);
        for (lua_Integer k = 1; k <= max_int; k++) {
            lua_rawgeti(L, idx, k);
            vpath here = {path, NULL, 0, k - 1};
            to_value(c, -1, a, NULL, &items[k - 1], depth + 1, &here);
            lua_pop(L, 1);
        }
        *out = sl_list(items, (size_t)max_int);
        return;
    }
    keyref *keys = sl_arena_alloc(a, (n_str ? n_str : 1) * sizeof *keys);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || n == n_str) continue;
        keys[n].s = lua_tolstring(L, -1, &keys[n].len); /* anchored by the table */
        n++;
    }
    qsort(keys, n, sizeof *keys, keyref_cmp);
    sl_field *fields = sl_arena_alloc(a, (n ? n : 1) * sizeof *fields);
    for (size_t i = 0; i < n; i++) {
        if (keys[i].len > UINT32_MAX) conv_error(c, path, "field name too long");
        lua_pushlstring(L, keys[i].s, keys[i].len);
        lua_rawget(L, idx);
        vpath here = {path, keys[i].s, keys[i].len, 0};
        set_name(&fields[i], a, keys[i].s, keys[i].len);
        to_value(c, -1, a, NULL, &fields[i].value, depth + 1, &here);
        lua_pop(L, 1);
    }
    *out = sl_struct(fields, n);
}

static void userdata_to_value(sl_luav *c, int idx, sl_arena *a, const sl_value *orig, sl_value *out,
                              const vpath *path) {
    if (lua_touserdata(c->L, idx) == c->null_ptr) {
        *out = sl_null();
        return;
    }
    const luaval *u = test_luaval(c, idx);
    if (!u) conv_error(c, path, "cannot convert a userdata to a record value");
    sl_value v = luaval_view(u);
    if (orig && orig->type == v.type && sl_value_equal(orig, &v)) {
        *out = *orig;
        return;
    }
    if (v.type == SL_T_DECIMAL || v.type == SL_T_BINARY) v.u.s = copy_name(a, u->bytes, u->len);
    *out = v;
}

static void to_value(sl_luav *c, int idx, sl_arena *a, const sl_value *orig, sl_value *out, int depth,
                     const vpath *path) {
    lua_State *L = c->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL: *out = sl_null(); return;
    case LUA_TBOOLEAN: *out = sl_bool(lua_toboolean(L, idx)); return;
    case LUA_TNUMBER:
        *out = lua_isinteger(L, idx) ? sl_int(lua_tointeger(L, idx)) : sl_double(lua_tonumber(L, idx));
        return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (orig && orig->type == SL_T_STRING && orig->len == len && memcmp(orig->u.s, s, len) == 0) {
            *out = *orig;
            return;
        }
        if (len > UINT32_MAX) conv_error(c, path, "string too long (%zu bytes)", len);
        *out = sl_string_copy(a, s, len);
        return;
    }
    case LUA_TUSERDATA: userdata_to_value(c, idx, a, orig, out, path); return;
    case LUA_TTABLE: break;
    default: conv_error(c, path, "cannot convert a %s to a record value", luaL_typename(L, idx)); return;
    }
    if (depth >= SL_LUAV_MAX_DEPTH)
        conv_error(c, path, "nested deeper than %d levels (does a table contain itself?)", SL_LUAV_MAX_DEPTH);
    luaL_checkstack(L, 8, "value nested too deeply");
    idx = lua_absindex(L, idx);
    switch (table_kind(c, idx)) {
    case TK_STRUCT: struct_table(c, idx, a, out, depth, path); return;
    case TK_ARRAY: array_table(c, idx, a, orig, out, depth, path); return;
    default: plain_table(c, idx, a, out, depth, path); return;
    }
}

/* ---- sluice.value metamethods ---- */

static luaval *check_luaval(lua_State *L, int idx) {
    luaval *u = test_luaval(ctx_of(L), idx);
    if (!u) luaL_typeerror(L, idx, "sluice value");
    return u;
}

static int value_index(lua_State *L) {
    luaval *u = check_luaval(L, 1);
    const char *k = lua_tostring(L, 2);
    if (!k) return 0;
    if (!strcmp(k, "type")) {
        lua_pushstring(L, sl_type_name((sl_type)u->type));
        return 1;
    }
    if (strcmp(k, "value")) return 0;
    if (u->type == SL_T_DATE || u->type == SL_T_TIMESTAMP)
        lua_pushinteger(L, u->i);
    else
        lua_pushlstring(L, u->bytes, u->len);
    return 1;
}

static int value_tostring(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaval *u = check_luaval(L, 1);
    sl_value v = luaval_view(u);
    if (u->type == SL_T_DECIMAL) {
        lua_pushlstring(L, u->bytes, u->len);
        return 1;
    }
    sl_arena_reset(&c->scratch);
    sl_value t = sl_value_to_text(&c->scratch, &v);
    lua_pushlstring(L, t.u.s, t.len);
    sl_arena_reset(&c->scratch);
    return 1;
}

static int value_eq(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaval *x = test_luaval(c, 1), *y = test_luaval(c, 2);
    if (!x || !y) {
        lua_pushboolean(L, 0);
        return 1;
    }
    sl_value a = luaval_view(x), b = luaval_view(y);
    lua_pushboolean(L, sl_value_equal(&a, &b));
    return 1;
}

static int value_compare(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaval *x = test_luaval(c, 1), *y = test_luaval(c, 2);
    if (!x || !y || x->type != y->type)
        return luaL_error(L, "cannot compare %s with %s", x ? sl_type_name((sl_type)x->type) : luaL_typename(L, 1),
                          y ? sl_type_name((sl_type)y->type) : luaL_typename(L, 2));
    sl_value a = luaval_view(x), b = luaval_view(y);
    return sl_value_compare(&a, &b);
}

static int value_lt(lua_State *L) {
    lua_pushboolean(L, value_compare(L) < 0);
    return 1;
}

static int value_le(lua_State *L) {
    lua_pushboolean(L, value_compare(L) <= 0);
    return 1;
}

static int null_tostring(lua_State *L) {
    lua_pushliteral(L, "null");
    return 1;
}

/* ---- sluice.* helpers ---- */

static int l_decimal(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaval *u = test_luaval(c, 1);
    if (u && u->type == SL_T_DECIMAL) {
        lua_settop(L, 1);
        return 1;
    }
    sl_value in;
    char digits[21];
    if (lua_isinteger(L, 1))
        in = sl_string(digits, (size_t)sl_format_int(lua_tointeger(L, 1), digits), 0);
    else if (lua_type(L, 1) == LUA_TNUMBER)
        in = sl_double(lua_tonumber(L, 1));
    else {
        size_t len;
        const char *s = luaL_checklstring(L, 1, &len);
        in = sl_string(s, len, 0);
    }
    sl_arena_reset(&c->scratch);
    sl_error err;
    sl_value out;
    if (sl_value_cast(&c->scratch, &in, SL_T_DECIMAL, &out, &err))
        return luaL_error(L, "sluice.decimal: %s", err.message);
    new_luaval(c, SL_T_DECIMAL, 0, out.u.s, out.len);
    sl_arena_reset(&c->scratch);
    return 1;
}

/* sluice.date / sluice.timestamp: a whole number (days / microseconds since
 * the epoch) or ISO 8601 text. */
static int make_time(lua_State *L, sl_type type) {
    sl_luav *c = ctx_of(L);
    luaval *u = test_luaval(c, 1);
    if (u && u->type == type) {
        lua_settop(L, 1);
        return 1;
    }
    int64_t i;
    if (lua_isinteger(L, 1)) {
        i = lua_tointeger(L, 1);
    } else {
        size_t len;
        const char *s = luaL_checklstring(L, 1, &len);
        int rc = type == SL_T_DATE ? sl_parse_date(s, len, &i) : sl_parse_timestamp(s, len, &i);
        if (rc)
            return luaL_error(L, "sluice.%s: cannot read '%s' as a %s", sl_type_name(type), s,
                              type == SL_T_DATE ? "date (YYYY-MM-DD)" : "timestamp (ISO 8601)");
    }
    new_luaval(c, type, i, NULL, 0);
    return 1;
}

static int l_date(lua_State *L) { return make_time(L, SL_T_DATE); }
static int l_timestamp(lua_State *L) { return make_time(L, SL_T_TIMESTAMP); }

static int l_binary(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (len > UINT32_MAX) return luaL_error(L, "sluice.binary: too long");
    new_luaval(ctx_of(L), SL_T_BINARY, 0, s, len);
    return 1;
}

static int l_type(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaL_checkany(L, 1);
    const char *name = NULL;
    switch (lua_type(L, 1)) {
    case LUA_TBOOLEAN: name = "boolean"; break;
    case LUA_TNUMBER: name = lua_isinteger(L, 1) ? "long" : "double"; break;
    case LUA_TSTRING: name = "string"; break;
    case LUA_TUSERDATA: {
        luaval *u = test_luaval(c, 1);
        if (u)
            name = sl_type_name((sl_type)u->type);
        else if (lua_touserdata(L, 1) == c->null_ptr)
            name = "null";
        break;
    }
    case LUA_TTABLE:
        switch (table_kind(c, 1)) {
        case TK_STRUCT: name = "struct"; break;
        case TK_ARRAY: name = "array"; break;
        default: name = sl_luav_is_list(c, 1) && lua_rawlen(L, 1) > 0 ? "array" : "struct"; break;
        }
        break;
    default: break;
    }
    lua_pushstring(L, name ? name : luaL_typename(L, 1));
    return 1;
}

static int l_array(lua_State *L) {
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
    }
    set_mt(ctx_of(L), ctx_of(L)->array_mt);
    return 1;
}

/* sluice.struct([t]): t (or a new table) as an ordered struct; t's own
 * keys go first, sorted, later assignments follow in assignment order. */
static int l_struct(lua_State *L) {
    sl_luav *c = ctx_of(L);
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
    }
    if (table_kind(c, 1) == TK_STRUCT) return 1;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "sluice.struct: keys must be strings, not %s", luaL_typename(L, -1));
        n++;
    }
    keyref *keys = lua_newuserdatauv(L, (n ? n : 1) * sizeof *keys, 0); /* anchored at index 2 */
    size_t k = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (k < n) keys[k].s = lua_tolstring(L, -1, &keys[k].len), k++;
    }
    qsort(keys, k, sizeof *keys, keyref_cmp);
    lua_createtable(L, (int)k, (int)k);
    for (size_t i = 0; i < k; i++) {
        lua_pushlstring(L, keys[i].s, keys[i].len);
        lua_pushvalue(L, -1);
        lua_rawseti(L, 3, (lua_Integer)i + 1);
        lua_pushinteger(L, (lua_Integer)i + 1);
        lua_rawset(L, 3);
    }
    lua_pushlightuserdata(L, (void *)&added_key);
    lua_pushvalue(L, 3);
    lua_rawset(L, 1);
    lua_settop(L, 1);
    set_mt(c, c->struct_mt);
    return 1;
}

static int l_copy(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaL_checkany(L, 1);
    if (lua_isnil(L, 1)) return 1;
    sl_arena_reset(&c->scratch);
    sl_value v;
    to_value(c, 1, &c->scratch, NULL, &v, 0, NULL);
    push_value(c, &v, false, 0);
    sl_arena_reset(&c->scratch);
    return 1;
}

static int l_json_encode(lua_State *L) {
    sl_luav *c = ctx_of(L);
    luaL_checkany(L, 1);
    sl_arena_reset(&c->scratch);
    sl_value v;
    to_value(c, 1, &c->scratch, NULL, &v, 0, NULL);
    sl_buf_reset(&c->json);
    int rc = sl_json_write(&c->json, &v);
    sl_arena_reset(&c->scratch);
    if (rc) return luaL_error(L, "sluice.json_encode: value too large or nested too deeply");
    lua_pushlstring(L, c->json.data ? c->json.data : "", c->json.len);
    return 1;
}

static int l_json_decode(lua_State *L) {
    sl_luav *c = ctx_of(L);
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    sl_arena_reset(&c->scratch);
    sl_error err;
    sl_value v;
    if (sl_json_parse(s, len, &c->scratch, &v, &err)) {
        sl_arena_reset(&c->scratch);
        return luaL_error(L, "sluice.json_decode: %s", err.message);
    }
    push_value(c, &v, false, 0);
    sl_arena_reset(&c->scratch);
    return 1;
}

/* ---- context ---- */

static int ctx_gc(lua_State *L) {
    sl_luav *c = lua_touserdata(L, 1);
    free(c->entries);
    c->entries = NULL;
    sl_arena_free(&c->scratch);
    sl_buf_free(&c->json);
    return 0;
}

/* A metatable with the given C closures (upvalue: the context), __name and
 * a protected __metatable; returns its registry reference. */
static int new_metatable(sl_luav *c, const char *name, const luaL_Reg *fns) {
    lua_State *L = c->L;
    lua_newtable(L);
    lua_pushlightuserdata(L, c);
    luaL_setfuncs(L, fns, 1);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

sl_luav *sl_luav_open(lua_State *L, int sluice_table) {
    sluice_table = lua_absindex(L, sluice_table);
    luaL_checkstack(L, 8, NULL);
    sl_luav *c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    c->L = L;
    sl_arena_init(&c->scratch);
    sl_buf_init(&c->json, JSON_MAX_TEXT);
    lua_newtable(L);
    lua_pushcfunction(L, ctx_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    luaL_ref(L, LUA_REGISTRYINDEX); /* the state owns the context */

    static const luaL_Reg struct_fns[] = {
        {"__index", struct_index}, {"__newindex", struct_newindex}, {"__pairs", struct_pairs}, {NULL, NULL}};
    static const luaL_Reg array_fns[] = {{NULL, NULL}};
    static const luaL_Reg value_fns[] = {{"__index", value_index}, {"__tostring", value_tostring},
                                         {"__eq", value_eq},       {"__lt", value_lt},
                                         {"__le", value_le},       {NULL, NULL}};
    static const luaL_Reg null_fns[] = {{"__tostring", null_tostring}, {NULL, NULL}};
    c->struct_mt = new_metatable(c, "sluice.struct", struct_fns);
    c->array_mt = new_metatable(c, "sluice.array", array_fns);
    c->value_mt = new_metatable(c, "sluice.value", value_fns);
    lua_newuserdatauv(L, 1, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, new_metatable(c, "sluice.null", null_fns));
    lua_setmetatable(L, -2);
    c->null_ptr = lua_touserdata(L, -1);
    lua_pushvalue(L, -1);
    c->null_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_setfield(L, sluice_table, "null");

    static const luaL_Reg helpers[] = {{"decimal", l_decimal},         {"date", l_date}, {"timestamp", l_timestamp},
                                       {"binary", l_binary},           {"type", l_type}, {"array", l_array},
                                       {"struct", l_struct},           {"copy", l_copy}, {"json_encode", l_json_encode},
                                       {"json_decode", l_json_decode}, {NULL, NULL}};
    lua_pushvalue(L, sluice_table);
    lua_pushlightuserdata(L, c);
    luaL_setfuncs(L, helpers, 1);
    lua_pop(L, 1);
    return c;
}

void sl_luav_begin_record(sl_luav *c, sl_arena *a) {
    c->gen++;
    c->n_entries = 0;
    c->rec_arena = a;
}

void sl_luav_push_record(sl_luav *c, const sl_value *v) { push_value(c, v, c->rec_arena != NULL, 0); }

void sl_luav_push(sl_luav *c, const sl_value *v) { push_value(c, v, false, 0); }

void sl_luav_to_value(sl_luav *c, int idx, sl_arena *a, sl_value *out) { to_value(c, idx, a, NULL, out, 0, NULL); }

int sl_luav_is_list(sl_luav *c, int idx) {
    lua_State *L = c->L;
    if (lua_type(L, idx) != LUA_TTABLE) return 0;
    idx = lua_absindex(L, idx);
    switch (table_kind(c, idx)) {
    case TK_ARRAY: return 1;
    case TK_STRUCT: return 0;
    default: break;
    }
    if (lua_rawlen(L, idx) > 0) return 1;
    lua_pushnil(L);
    if (!lua_next(L, idx)) return 1; /* empty */
    lua_pop(L, 2);
    return 0;
}
