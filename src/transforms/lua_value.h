/*
 * lua_value.h — sluice values in Lua 5.4: the record ↔ Lua table conversion
 * behind the map, flat_map and filter_fn nodes (transforms/lua.c), and the
 * value helpers of the `sluice` table. docs/lua.md describes what scripts see.
 *
 * Mapping (C → Lua):
 *   null                 sluice.null (a unique userdata; nil would delete the key)
 *   boolean, long        boolean, integer
 *   double               float
 *   string               string
 *   decimal, binary,     a `sluice.value` userdata: v.type ("decimal", …),
 *   date, timestamp      v.value (text, bytes, days, microseconds), tostring(v)
 *   array                a sequence whose metatable marks it as an array
 *   struct               a table whose metatable marks it as a struct and
 *                        remembers its field order
 *
 * Records arrive lazily: sl_luav_push_record makes a table whose fields are
 * converted the first time the script reads them (an __index metamethod),
 * and a field the script never touched goes back out as the very value that
 * came in, without a conversion either way. Such a table belongs to one call
 * (sl_luav_begin_record starts the next): reading a never-read field of a
 * table kept from an earlier call raises an error (sluice.copy keeps one).
 *
 * Lua → C: struct tables keep the original field order for fields that
 * still exist, new fields follow in the order they were first assigned;
 * plain tables (no marker) are arrays when they are non-empty sequences,
 * otherwise structs with their string keys sorted bytewise.
 *
 * Errors: functions documented as raising do so with lua_error (longjmp), so
 * they must run inside a protected call (lua_pcall). Bad data never aborts.
 */
#ifndef SL_LUA_VALUE_H
#define SL_LUA_VALUE_H

#include <lua.h>

#include "core/arena.h"
#include "core/value.h"

typedef struct sl_luav sl_luav;

/* Nesting limit for conversions in both directions (a table that contains
 * itself hits it). */
#define SL_LUAV_MAX_DEPTH 500

/* Create the conversion context for L: metatables, sluice.null and the value
 * helpers (null, decimal, binary, date, timestamp, type, array, struct, copy,
 * json_encode, json_decode) set into the table at stack index `sluice_table`.
 * Raises on a Lua memory error (call it protected). L owns the context:
 * lua_close(L) frees it. */
sl_luav *sl_luav_open(lua_State *L, int sluice_table);

/* Start a new record: lazy tables of earlier records become stale. `a` is
 * the arena of the batch holding the record (valid while the record's
 * tables are used; small bookkeeping may be allocated there). */
void sl_luav_begin_record(sl_luav *c, sl_arena *a);

/* Push a record (or any value) whose structs are lazy tables reading from
 * *v; v and everything it points to must stay valid until the next
 * sl_luav_begin_record. Raises on a Lua memory error. */
void sl_luav_push_record(sl_luav *c, const sl_value *v);

/* Push a fully converted copy of v (no reference to v remains). Raises on a
 * Lua memory error. */
void sl_luav_push(sl_luav *c, const sl_value *v);

/* Convert the Lua value at stack index idx into *out, with strings, field
 * arrays and bytes in arena a (unchanged parts of lazy tables share the
 * original values). nil becomes null. Raises a Lua error naming the field
 * path for values that cannot convert (functions, mixed tables, stale lazy
 * tables, nesting beyond SL_LUAV_MAX_DEPTH). */
void sl_luav_to_value(sl_luav *c, int idx, sl_arena *a, sl_value *out);

/* Does the value at idx look like a list of records rather than a record:
 * a table marked as an array, or an unmarked table that is a non-empty
 * sequence? (flat_map uses this to accept a single record too.) */
int sl_luav_is_list(sl_luav *c, int idx);

#endif
