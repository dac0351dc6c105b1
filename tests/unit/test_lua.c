/* test_lua.c — record ↔ Lua conversion (lua_value.c) and the map, flat_map
 * and filter_fn nodes (lua.c): round trips of every type, field order,
 * nulls, laziness, helpers, errors, budgets, sandbox, fan-out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/batch.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "exec/errout.h"
#include "exec/job.h"
#include "exec/run.h"
#include "formats/json.h"
#include "transforms/lua_value.h"

/* ---- conversion fixture: a Lua state with the sluice helpers ---- */

typedef struct fx {
    lua_State *L;
    sl_luav *c;
    sl_arena arena;
    char msg[2048]; /* last Lua error */
} fx;

static int open_cb(lua_State *L) {
    lua_newtable(L);
    sl_luav *c = sl_luav_open(L, -1);
    lua_setglobal(L, "sluice");
    lua_pushlightuserdata(L, c);
    return 1;
}

static void fx_open(fx *f) {
    memset(f, 0, sizeof *f);
    f->L = luaL_newstate();
    luaL_openlibs(f->L);
    lua_pushcfunction(f->L, open_cb);
    assert_int_equal(lua_pcall(f->L, 0, 1, 0), LUA_OK);
    f->c = lua_touserdata(f->L, -1);
    lua_pop(f->L, 1);
    sl_arena_init(&f->arena);
}

static void fx_close(fx *f) {
    lua_close(f->L);
    sl_arena_free(&f->arena);
}

static sl_value parse(fx *f, const char *json) {
    sl_value v;
    sl_error err;
    int rc = sl_json_parse(json, strlen(json), &f->arena, &v, &err);
    if (rc) fail_msg("bad test JSON: %s", err.message);
    return v;
}

/* JSON text of v (static buffer, valid until the next call). */
static const char *text(const sl_value *v) {
    static sl_buf b;
    static int init;
    if (!init) sl_buf_init(&b, SL_BUF_UNLIMITED), init = 1;
    sl_buf_reset(&b);
    assert_int_equal(sl_json_write(&b, v), 0);
    return b.data;
}

typedef struct call {
    fx *f;
    const char *body;
    const sl_value *rec;
    sl_value out;
} call;

static int call_cb(lua_State *L) {
    call *k = lua_touserdata(L, 1);
    char src[8192];
    snprintf(src, sizeof src, "return function(rec) %s\nend", k->body);
    if (luaL_loadstring(L, src)) return lua_error(L);
    lua_call(L, 0, 1);
    sl_luav_push_record(k->f->c, k->rec);
    lua_call(L, 1, 1);
    int top = lua_gettop(L);
    sl_luav_to_value(k->f->c, -1, &k->f->arena, &k->out);
    if (lua_gettop(L) != top) return luaL_error(L, "conversion left %d values on the stack", lua_gettop(L) - top);
    return 0;
}

/* Run `body` as function(rec) on rec (a new record unless same_record) and
 * convert its result. Returns the Lua status (message in f->msg). */
static int run(fx *f, const char *body, const sl_value *rec, sl_value *out, bool same_record) {
    if (!same_record) sl_luav_begin_record(f->c, &f->arena);
    call k = {f, body, rec, sl_null()};
    lua_pushcfunction(f->L, call_cb);
    lua_pushlightuserdata(f->L, &k);
    int st = lua_pcall(f->L, 1, 0, 0);
    f->msg[0] = 0;
    if (st) snprintf(f->msg, sizeof f->msg, "%s", lua_tostring(f->L, -1));
    lua_settop(f->L, 0);
    if (out) *out = k.out;
    return st;
}

static sl_value run_ok(fx *f, const char *body, const sl_value *rec) {
    sl_value out;
    if (run(f, body, rec, &out, false)) fail_msg("Lua failed: %s", f->msg);
    return out;
}

/* Records with every type. */
static sl_value every_type(fx *f) {
    sl_value v = parse(f, "{\"s\":\"Z\\u00fcrich \\u2713 \\ud83d\\ude00\",\"big\":9223372036854775807,"
                          "\"small\":-9223372036854775808,\"d\":2.5,\"whole\":3.0,\"t\":true,\"n\":null,"
                          "\"dec\":0,\"el\":[],\"es\":{},"
                          "\"nest\":{\"a\":[1,{\"b\":[[],{}]},null],\"c\":{\"d\":{}}},"
                          "\"bin\":0,\"day\":0,\"ts\":0,\"neg\":-0.0}");
    sl_field *fl = v.u.fields;
    for (uint32_t i = 0; i < v.len; i++) {
        if (!strncmp(fl[i].name, "dec", 3)) fl[i].value = sl_decimal("-12.3400", 8);
        if (!strncmp(fl[i].name, "bin", 3)) fl[i].value = sl_binary("\0\xff\x01", 3);
        if (!strncmp(fl[i].name, "day", 3)) fl[i].value = sl_date(19000);
        if (!strncmp(fl[i].name, "ts", 2)) fl[i].value = sl_timestamp(1732300000123456);
    }
    return v;
}

/* ---- conversion tests ---- */

static void test_untouched_record_is_shared(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"a\":\"x\",\"b\":{\"c\":[1,2]},\"d\":3}");
    sl_value out = run_ok(&f, "return rec", &rec);
    assert_ptr_equal(out.u.fields, rec.u.fields);
    out = run_ok(&f, "local a, c = rec.a, rec.b.c[2]; rec.d = 3; return rec", &rec);
    assert_ptr_equal(out.u.fields, rec.u.fields); /* read and rewritten with equal values */
    out = run_ok(&f, "rec.d = 4; return rec", &rec);
    assert_ptr_not_equal(out.u.fields, rec.u.fields);
    assert_ptr_equal(out.u.fields[0].value.u.s, rec.u.fields[0].value.u.s); /* untouched string shared */
    assert_ptr_equal(out.u.fields[1].value.u.fields, rec.u.fields[1].value.u.fields);
    assert_string_equal(text(&out), "{\"a\":\"x\",\"b\":{\"c\":[1,2]},\"d\":4}");
    fx_close(&f);
}

static void test_every_type_round_trips(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = every_type(&f);
    static const char *const bodies[] = {
        "return rec",
        "for k, v in pairs(rec) do rec[k] = v end return rec",
        "return sluice.copy(rec)",
        "local function walk(v)\n"
        "  local t = sluice.type(v)\n"
        "  if t == 'struct' then for k, x in pairs(v) do v[k] = walk(x) end\n"
        "  elseif t == 'array' then for i = 1, #v do v[i] = walk(v[i]) end end\n"
        "  return v\n"
        "end\n"
        "return walk(rec)",
        "local function deep(v)\n" /* rebuild every table through copies */
        "  local t = sluice.type(v)\n"
        "  if t == 'struct' then local s = sluice.struct() for k, x in pairs(v) do s[k] = deep(x) end return s\n"
        "  elseif t == 'array' then local a = sluice.array() for i = 1, #v do a[i] = deep(v[i]) end return a end\n"
        "  return v\n"
        "end\n"
        "return deep(rec)",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        sl_value out = run_ok(&f, bodies[i], &rec);
        char want[2048];
        snprintf(want, sizeof want, "%s", text(&rec));
        if (!sl_value_equal(&out, &rec)) fail_msg("body %zu: got %s want %s", i, text(&out), want);
    }
    fx_close(&f);
}

static void test_types_as_lua_sees_them(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = every_type(&f);
    run_ok(
        &f,
        "assert(math.type(rec.big) == 'integer' and rec.big == math.maxinteger)\n"
        "assert(rec.small == math.mininteger)\n"
        "assert(math.type(rec.d) == 'float' and rec.d == 2.5 and math.type(rec.whole) == 'float')\n"
        "assert(rec.t == true and rec.n == sluice.null and tostring(rec.n) == 'null')\n"
        "assert(sluice.type(rec.n) == 'null' and sluice.type(rec.big) == 'long' and sluice.type(rec.d) == 'double')\n"
        "assert(sluice.type(rec.dec) == 'decimal' and rec.dec.type == 'decimal')\n"
        "assert(rec.dec.value == '-12.3400' and tostring(rec.dec) == rec.dec.value)\n"
        "assert(rec.bin.type == 'binary' and rec.bin.value == '\\0\\255\\1' and tostring(rec.bin) == 'AP8B')\n"
        "assert(rec.day.value == 19000 and tostring(rec.day) == '2022-01-08')\n"
        "assert(rec.ts.value == 1732300000123456 and tostring(rec.ts) == '2024-11-22T18:26:40.123456Z')\n"
        "assert(sluice.type(rec.el) == 'array' and #rec.el == 0 and sluice.type(rec.es) == 'struct')\n"
        "assert(next(rec.es) == nil or sluice.type(next(rec.es)) ~= 'string')\n"
        "assert(utf8.len(rec.s) == 10 and rec.s == 'Z\\u{fc}rich \\u{2713} \\u{1F600}')\n"
        "assert(rec.nest.a[1] == 1 and rec.nest.a[2].b[1] ~= nil and rec.nest.a[3] == sluice.null)\n"
        "assert(rec.missing == nil and rec[1] == nil)\n"
        "assert(sluice.type({}) == 'struct' and sluice.type({1}) == 'array' and sluice.type(print) == 'function')\n"
        "return rec",
        &rec);
    fx_close(&f);
}

static void test_field_order(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"a\":1,\"b\":2,\"c\":3}");
    sl_value out = run_ok(&f,
                          "rec.new1 = 1; rec.a = nil; rec.new0 = 2; rec.c = 'x'\n"
                          "rec.b = nil; rec.b = 5\n"            /* an original field keeps its place */
                          "rec.z = 1; rec.z = nil; rec.z = 3\n" /* a new one the place of its first assignment */
                          "return rec",
                          &rec);
    assert_string_equal(text(&out), "{\"b\":5,\"c\":\"x\",\"new1\":1,\"new0\":2,\"z\":3}");
    out = run_ok(&f,
                 "rec.n = 1; rec.b = nil\n"
                 "local keys = {}\n"
                 "for k, v in pairs(rec) do keys[#keys + 1] = k .. '=' .. tostring(v) end\n"
                 "return {keys = table.concat(keys, ',')}",
                 &rec);
    assert_string_equal(text(&out), "{\"keys\":\"a=1,c=3,n=1\"}");
    fx_close(&f);
}

static void test_plain_tables(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{}");
    sl_value out = run_ok(&f,
                          "return {z = 1, a = {1, 2, 3}, m = {}, e = sluice.array(), s = sluice.struct(),\n"
                          "        h = {1, nil, 3}, n = sluice.null, f = 1.5, u = 'caf\\u{e9}', b = false}",
                          &rec);
    assert_string_equal(text(&out), "{\"a\":[1,2,3],\"b\":false,\"e\":[],\"f\":1.5,\"h\":[1,null,3],\"m\":{},"
                                    "\"n\":null,\"s\":{},\"u\":\"café\",\"z\":1}");
    out = run_ok(&f, "local s = sluice.struct(); s.z = 1; s.a = 2; s.m = sluice.struct{y = 1, x = 2}; return s", &rec);
    assert_string_equal(text(&out), "{\"z\":1,\"a\":2,\"m\":{\"x\":2,\"y\":1}}");
    out = run_ok(&f, "local a = sluice.array{'x'}; a[#a + 1] = {}; table.insert(a, 1, 0); return {a = a}", &rec);
    assert_string_equal(text(&out), "{\"a\":[0,\"x\",{}]}");
    fx_close(&f);
}

static void test_conversion_errors(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"a\":1}");
    struct {
        const char *body, *want;
    } cases[] = {
        {"return {f = print}", "field 'f': cannot convert a function"},
        {"return {a = {b = {1, io.stdout}}}", "field 'a.b[1]': cannot convert a userdata"},
        {"return {1, x = 2}", "mixes array items"},
        {"return {[true] = 1}", "a table key must be a field name"},
        {"return {[1.5] = 1}", "a table key must be a field name"},
        {"local t = {} t.self = t return t", "nested deeper than"},
        {"return {[100000] = 1}", "sparse array"},
        {"rec[1] = 'x' return rec", "keys must be strings"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_not_equal(run(&f, cases[i].body, &rec, NULL, false), LUA_OK);
        if (!strstr(f.msg, cases[i].want)) fail_msg("case %zu: '%s' not in '%s'", i, cases[i].want, f.msg);
    }
    fx_close(&f);
}

static void test_stale_record_tables(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"a\":1,\"b\":{\"c\":2}}");
    run_ok(&f, "kept = rec; copied = sluice.copy(rec); local _ = rec.a; return rec", &rec);
    sl_value out;
    assert_int_not_equal(run(&f, "return {v = kept.b}", &rec, &out, false), LUA_OK);
    assert_non_null(strstr(f.msg, "sluice.copy"));
    assert_int_not_equal(run(&f, "return kept", &rec, &out, false), LUA_OK);
    assert_non_null(strstr(f.msg, "sluice.copy"));
    out = run_ok(&f, "copied.b.c = copied.b.c + 1; return copied", &rec);
    assert_string_equal(text(&out), "{\"a\":1,\"b\":{\"c\":3}}");
    /* within one record's call the same tables stay valid */
    assert_int_equal(run(&f, "kept = rec; return rec", &rec, &out, false), LUA_OK);
    assert_int_equal(run(&f, "return kept.b", &rec, &out, true), LUA_OK);
    assert_string_equal(text(&out), "{\"c\":2}");
    fx_close(&f);
}

static void test_nulls(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"a\":null,\"l\":[null,1]}");
    sl_value out = run_ok(&f,
                          "assert(rec.a == sluice.null and rec.l[1] == sluice.null and #rec.l == 2)\n"
                          "rec.b = sluice.null; rec.c = nil; rec.l[3] = sluice.null\n"
                          "return rec",
                          &rec);
    assert_string_equal(text(&out), "{\"a\":null,\"l\":[null,1,null],\"b\":null}");
    fx_close(&f);
}

static void test_numbers_and_decimals(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"i\":9223372036854775807,\"j\":-9223372036854775808,"
                             "\"k\":123456789012345678901234567890,\"f\":1e400,\"g\":0.1}");
    sl_value out = run_ok(&f,
                          "assert(sluice.type(rec.k) == 'decimal' and sluice.type(rec.f) == 'decimal')\n"
                          "assert(rec.k == sluice.decimal('123456789012345678901234567890'))\n"
                          "rec.i2 = rec.i - 1; rec.j2 = rec.j // 2; rec.g2 = rec.g * 3\n"
                          "rec.d1 = sluice.decimal('1.50'); rec.d2 = sluice.decimal(2.5); rec.d3 = sluice.decimal(7)\n"
                          "rec.wrap = rec.i + 1\n"
                          "return rec",
                          &rec);
    assert_string_equal(text(&out), "{\"i\":9223372036854775807,\"j\":-9223372036854775808,"
                                    "\"k\":123456789012345678901234567890,\"f\":1e400,\"g\":0.1,"
                                    "\"i2\":9223372036854775806,\"j2\":-4611686018427387904,"
                                    "\"g2\":0.30000000000000004,\"d1\":1.50,\"d2\":2.5,\"d3\":7,"
                                    "\"wrap\":-9223372036854775808}");
    assert_int_not_equal(run(&f, "return {d = sluice.decimal('abc')}", &rec, NULL, false), LUA_OK);
    assert_non_null(strstr(f.msg, "sluice.decimal"));
    fx_close(&f);
}

static void test_time_and_binary_helpers(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{}");
    sl_value out = run_ok(&f,
                          "local d = sluice.date('2024-02-29'); local t = sluice.timestamp('2024-01-01T00:00:00Z')\n"
                          "assert(d.value == 19782 and t.value == 1704067200000000)\n"
                          "assert(sluice.date(19782) == d and sluice.date(19781) < d and d <= d)\n"
                          "assert(not pcall(function() return d < t end))\n"
                          "assert(not pcall(sluice.date, '2023-02-29'))\n"
                          "return {d = d, t = t, b = sluice.binary('hi'), ts = sluice.timestamp(1)}",
                          &rec);
    assert_string_equal(
        text(&out),
        "{\"b\":\"aGk=\",\"d\":\"2024-02-29\",\"t\":\"2024-01-01T00:00:00Z\",\"ts\":\"1970-01-01T00:00:00.000001Z\"}");
    assert_int_equal(out.u.fields[0].value.type, SL_T_BINARY);
    assert_int_equal(out.u.fields[1].value.type, SL_T_DATE);
    assert_int_equal(out.u.fields[2].value.type, SL_T_TIMESTAMP);
    fx_close(&f);
}

static void test_json_helpers(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"x\":\"caf\\u00e9\",\"n\":null,\"l\":[1,2.5,{}],\"e\":[]}");
    sl_value out =
        run_ok(&f,
               "local t = sluice.json_decode('{\"b\":1,\"a\":[1,2.5,null,\"x\"],\"o\":{},\"l\":[]}')\n"
               "assert(t.a[3] == sluice.null and sluice.type(t.o) == 'struct' and sluice.type(t.l) == 'array')\n"
               "t.c = 3\n"
               "return {text = sluice.json_encode(rec), back = t, s = sluice.json_encode('a\"b')}",
               &rec);
    assert_string_equal(text(&out), "{\"back\":{\"b\":1,\"a\":[1,2.5,null,\"x\"],\"o\":{},\"l\":[],\"c\":3},"
                                    "\"s\":\"\\\"a\\\\\\\"b\\\"\",\"text\":\"{\\\"x\\\":\\\"café\\\",\\\"n\\\":null,"
                                    "\\\"l\\\":[1,2.5,{}],\\\"e\\\":[]}\"}");
    assert_int_not_equal(run(&f, "return sluice.json_decode('{bad')", &rec, NULL, false), LUA_OK);
    assert_non_null(strstr(f.msg, "json_decode"));
    fx_close(&f);
}

static void test_duplicate_and_many_fields(void **state) {
    fx f;
    fx_open(&f);
    sl_value rec = parse(&f, "{\"a\":1,\"a\":2}");
    sl_value out = run_ok(&f, "assert(rec.a == 1) rec.a = 5 return rec", &rec);
    assert_string_equal(text(&out), "{\"a\":5,\"a\":2}");
    out = run_ok(&f, "local n = 0 for k in pairs(rec) do n = n + 1 end return {n = n}", &rec);
    assert_string_equal(text(&out), "{\"n\":1}");

    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    sl_buf_addc(&b, '{');
    for (int i = 0; i < 100; i++)
        sl_buf_printf(&b, "%s\"f%d\":%d", i ? "," : "", i, i);
    sl_buf_addc(&b, '}');
    rec = parse(&f, b.data);
    out = run_ok(&f, "assert(rec.f99 == 99 and rec.f70 == 70) rec.f70 = 'x'; rec.f3 = nil; rec.f99 = nil; return rec",
                 &rec);
    assert_int_equal(out.len, 98);
    assert_int_equal(out.u.fields[69].value.type, SL_T_STRING); /* f70, one place earlier */
    assert_int_equal(out.u.fields[97].value.u.i, 98);
    sl_buf_free(&b);
    fx_close(&f);
}

/* ---- node tests: a job with one Lua node, driven batch by batch ---- */

typedef struct nodefx {
    sl_job *job;
    sl_node *node;
    sl_run run;
    void *state;
    char dir[64];
    sl_batch batch;
    sl_error err;
} nodefx;

static int node_load(nodefx *n, const char *type, const char *options, int max_errors) {
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "/tmp/sluice-lua-XXXXXX");
    assert_non_null(mkdtemp(n->dir));
    char job[8192];
    snprintf(job, sizeof job,
             "settings: {max_errors: %d}\n"
             "nodes:\n"
             "  in: {type: read_file, path: in.json}\n"
             "  t:\n"
             "    type: %s\n"
             "    input: in\n"
             "%s"
             "  out: {type: write_file, input: t, path: out}\n",
             max_errors, type, options);
    sl_error_clear(&n->err);
    int rc = sl_job_load_text("job.yaml", job, strlen(job), NULL, 0, &n->job, &n->err);
    if (rc) return rc;
    n->node = sl_job_find(n->job, "t");
    n->run.job = n->job;
    n->run.threads = 1;
    n->run.errout = sl_errout_new(n->dir, "T");
    sl_batch_init(&n->batch);
    rc = n->node->type->init(n->node, &n->run, &n->state, &n->err);
    return rc;
}

static void node_open(nodefx *n, const char *type, const char *options, int max_errors) {
    if (node_load(n, type, options, max_errors)) fail_msg("load/init failed: %s", n->err.message);
}

static void node_close(nodefx *n) {
    if (n->state) n->node->type->fini(n->state);
    if (n->run.errout) sl_errout_free(n->run.errout);
    sl_batch_free(&n->batch);
    sl_job_free(n->job);
    sl_rmtree(n->dir, NULL);
}

/* Fill the batch with JSON records (line i + 1) and run the node on it. */
static int node_process(nodefx *n, const char *const *lines, size_t count) {
    sl_batch_reset(&n->batch);
    for (size_t i = 0; i < count; i++) {
        sl_value v;
        sl_error e;
        assert_int_equal(sl_json_parse(lines[i], strlen(lines[i]), &n->batch.arena, &v, &e), 0);
        sl_batch_push(&n->batch, v, (sl_recloc){i + 1, (int64_t)i * 100});
    }
    n->batch.source_name = "in.json";
    sl_error_clear(&n->err);
    return n->node->type->process(n->state, &n->batch, &n->err);
}

static const char *out_line(nodefx *n, size_t i) { return text(&n->batch.records[i]); }

/* The error output so far (static buffer). */
static const char *errors_text(nodefx *n) {
    static char buf[65536];
    buf[0] = 0;
    const char *path = sl_errout_close(n->run.errout);
    if (!path) return buf;
    FILE *fp = fopen(path, "r");
    size_t got = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    buf[got] = 0;
    if (fp) fclose(fp);
    return buf;
}

static size_t count_lines(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_map_clean_and_errors(void **state) {
    nodefx n;
    node_open(&n, "map",
              "    script: |\n"
              "      function process(rec)\n"
              "        rec.service_name = string.lower(rec.service_name)\n"
              "        local ts = math.tointeger(tonumber(rec.timestamp))\n"
              "        if ts == nil then error('timestamp is not an integer: ' .. tostring(rec.timestamp)) end\n"
              "        rec.timestamp = ts\n"
              "        if rec.drop then return nil end\n"
              "        return rec\n"
              "      end\n",
              -1);
    const char *in[] = {
        "{\"timestamp\":\"1732300000123\",\"service_name\":\"Auth-Service\",\"m\":{\"x\":[1]}}",
        "{\"timestamp\":\"yesterday\",\"service_name\":\"X\"}",
        "{\"timestamp\":5,\"service_name\":\"Y\",\"drop\":true}",
        "{\"timestamp\":\"12\",\"service_name\":\"PAY\"}",
    };
    assert_int_equal(node_process(&n, in, 4), 0);
    assert_int_equal(n.batch.count, 2);
    assert_string_equal(out_line(&n, 0),
                        "{\"timestamp\":1732300000123,\"service_name\":\"auth-service\",\"m\":{\"x\":[1]}}");
    assert_string_equal(out_line(&n, 1), "{\"timestamp\":12,\"service_name\":\"pay\"}");
    assert_int_equal(n.batch.locs[1].line, 4);
    assert_int_equal(n.run.records_rejected, 1);
    const char *errs = errors_text(&n);
    assert_non_null(strstr(errs, "script:4: timestamp is not an integer: yesterday"));
    assert_non_null(strstr(errs, "stack traceback:"));
    assert_non_null(strstr(errs, "in function 'process'"));
    assert_non_null(strstr(errs, "\"line\":2"));
    assert_null(strstr(errs, "[C]: in ?"));
    node_close(&n);
}

static void test_map_bad_results(void **state) {
    nodefx n;
    node_open(&n, "map",
              "    script: |\n"
              "      function process(rec)\n"
              "        if rec.k == 1 then return 'text' end\n"
              "        if rec.k == 2 then return {1, 2} end\n"
              "        if rec.k == 3 then return {f = print} end\n"
              "        return {k = rec.k, new = true}\n"
              "      end\n",
              -1);
    const char *in[] = {"{\"k\":1}", "{\"k\":2}", "{\"k\":3}", "{\"k\":4}"};
    assert_int_equal(node_process(&n, in, 4), 0);
    assert_int_equal(n.batch.count, 1);
    assert_string_equal(out_line(&n, 0), "{\"k\":4,\"new\":true}");
    const char *errs = errors_text(&n);
    assert_int_equal(count_lines(errs), 3);
    assert_non_null(strstr(errs, "returned a string"));
    assert_non_null(strstr(errs, "returned an array"));
    assert_non_null(strstr(errs, "field 'f': cannot convert a function"));
    node_close(&n);
}

static void test_instruction_budget(void **state) {
    nodefx n;
    node_open(&n, "map",
              "    max_instructions: 10000\n"
              "    script: |\n"
              "      calls = 0\n"
              "      function process(rec)\n"
              "        calls = calls + 1\n"
              "        if rec.loop then while true do end end\n"
              "        if rec.sneaky then while true do pcall(function() while true do end end) end end\n"
              "        local s = 0 for i = 1, 1000 do s = s + i end\n" /* well within the budget, every call */
              "        rec.calls = calls; rec.s = s\n"
              "        return rec\n"
              "      end\n",
              -1);
    const char *in[] = {
        "{\"n\":1}", "{\"n\":2,\"loop\":true}", "{\"n\":3}", "{\"n\":4,\"loop\":1}", "{\"n\":5,\"sneaky\":1}",
        "{\"n\":6}"};
    assert_int_equal(node_process(&n, in, 6), 0);
    assert_int_equal(n.batch.count, 3);
    assert_string_equal(out_line(&n, 2), "{\"n\":6,\"calls\":6,\"s\":500500}");
    const char *errs = errors_text(&n);
    assert_int_equal(count_lines(errs), 3);
    assert_non_null(strstr(errs, "instruction budget exhausted (max_instructions: 10000 per record)"));
    assert_non_null(strstr(errs, "script:4:"));
    node_close(&n);
}

static void test_memory_limit(void **state) {
    nodefx n;
    node_open(&n, "map",
              "    max_memory: 2MB\n"
              "    max_instructions: 0\n"
              "    script: |\n"
              "      function process(rec)\n"
              "        if rec.big == 1 then local s = string.rep('x', 10000000) end\n"
              "        if rec.big == 2 then local t = {} for i = 1, 10000000 do t[i] = i end end\n"
              "        return rec\n"
              "      end\n",
              -1);
    const char *in[] = {"{\"big\":1}", "{\"big\":0}", "{\"big\":2}", "{\"big\":3}"};
    assert_int_equal(node_process(&n, in, 4), 0);
    assert_int_equal(n.batch.count, 2);
    const char *errs = errors_text(&n);
    assert_int_equal(count_lines(errs), 2);
    assert_non_null(strstr(errs, "not enough memory"));
    node_close(&n);
}

static void test_flat_map_fan_out(void **state) {
    nodefx n;
    node_open(&n, "flat_map",
              "    script: |\n"
              "      function process(rec)\n"
              "        if rec.n == 0 then return nil end\n"
              "        if rec.n == 1 then return rec end\n"
              "        if rec.n == 9 then return {rec, 'oops'} end\n"
              "        local out = {}\n"
              "        for i = 1, rec.n do local r = sluice.copy(rec); r.i = i; out[i] = r end\n"
              "        return out\n"
              "      end\n",
              -1);
    const char *in[] = {"{\"n\":2}", "{\"n\":0}", "{\"n\":1}", "{\"n\":9}", "{\"n\":3}"};
    assert_int_equal(node_process(&n, in, 5), 0);
    assert_int_equal(n.batch.count, 6);
    static const char *const want[] = {"{\"n\":2,\"i\":1}", "{\"n\":2,\"i\":2}", "{\"n\":1}",
                                       "{\"n\":3,\"i\":1}", "{\"n\":3,\"i\":2}", "{\"n\":3,\"i\":3}"};
    static const uint64_t lines[] = {1, 1, 3, 5, 5, 5};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(out_line(&n, i), want[i]);
        assert_int_equal(n.batch.locs[i].line, lines[i]);
    }
    const char *errs = errors_text(&n);
    assert_int_equal(count_lines(errs), 1);
    assert_non_null(strstr(errs, "item 2 of the result is a string"));
    /* a batch where nothing comes out */
    const char *none[] = {"{\"n\":0}"};
    assert_int_equal(node_process(&n, none, 1), 0);
    assert_int_equal(n.batch.count, 0);
    node_close(&n);
}

static void test_filter_fn(void **state) {
    nodefx n;
    node_open(&n, "filter_fn", "    fn: rec.x > 1 and rec.tag ~= 'no'\n", -1);
    const char *in[] = {"{\"x\":1}", "{\"x\":2}", "{\"y\":3}", "{\"x\":5,\"tag\":\"no\"}", "{\"x\":7,\"tag\":\"yes\"}"};
    assert_int_equal(node_process(&n, in, 5), 0);
    assert_int_equal(n.batch.count, 2);
    assert_string_equal(out_line(&n, 0), "{\"x\":2}");
    assert_string_equal(out_line(&n, 1), "{\"x\":7,\"tag\":\"yes\"}");
    const char *errs = errors_text(&n);
    assert_int_equal(count_lines(errs), 1); /* rec.x is nil for {"y":3} */
    assert_non_null(strstr(errs, "attempt to compare"));
    node_close(&n);

    node_open(&n, "filter_fn",
              "    script: |\n"
              "      function keep(rec) rec.x = 100; return rec.x end\n"
              "    function: keep\n",
              -1);
    assert_int_equal(node_process(&n, in, 2), 0);
    assert_int_equal(n.batch.count, 2);
    assert_string_equal(out_line(&n, 0), "{\"x\":1}"); /* changes are ignored */
    node_close(&n);
}

static void test_error_threshold(void **state) {
    nodefx n;
    node_open(&n, "map", "    fn: error('bad')\n", 0);
    const char *in[] = {"{\"x\":1}", "{\"x\":2}"};
    assert_int_equal(node_process(&n, in, 2), SL_ELIMIT);
    assert_non_null(strstr(n.err.message, "max_errors"));
    node_close(&n);
}

static void test_check_errors(void **state) {
    nodefx n;
    struct {
        const char *type, *options, *want;
    } cases[] = {
        {"map", "    script: |\n      function process(rec)\n        return rec +\n      end\n", "Lua: script:3:"},
        {"map", "    script: \"function proc(rec) return rec end\"\n", "defines no function 'process'"},
        {"map", "    script: \"x = nil + 1\"\n", "attempt to perform arithmetic"},
        {"map", "    fn: rec\n    script: \"function process(r) end\"\n", "exactly one of"},
        {"map", "    max_memory: 1000\n    fn: rec\n", "max_memory"},
        {"map", "    max_instructions: -1\n    fn: rec\n", "max_instructions"},
        {"flat_map", "    script_file: /nonexistent/x.lua\n", "cannot open script_file"},
        {"filter_fn", "    fn: rec.x >\n", "Lua: fn:"},
        {"map", "    sandbox: false\n    script: \"function process(rec) return rec end end\"\n", "Lua: script:1:"},
        {"map", "    script: \"while true do end\"\n", "instruction budget"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = node_load(&n, cases[i].type, cases[i].options, -1);
        assert_int_not_equal(rc, 0);
        if (!strstr(n.err.message, cases[i].want))
            fail_msg("case %zu: '%s' not in '%s'", i, cases[i].want, n.err.message);
        assert_true(n.err.line > 0);
        node_close(&n);
    }
}

static void test_sandbox(void **state) {
    static const char script[] =
        "    script: |\n"
        "      function process(rec)\n"
        "        rec.io = type(io); rec.exec = type(os and os.execute); rec.time = type(os.time)\n"
        "        rec.loadfile = type(loadfile); rec.dofile = type(dofile); rec.dump = type(string.dump)\n"
        "        rec.require = type(require)\n"
        "        local f, e = load('\\27Lua'); rec.binary = e\n"
        "        rec.text = load('return 1 + 1')()\n"
        "        print('sandbox test: print goes to stderr'); sluice.log('and', 'so does', 1, 'log')\n"
        "        return rec\n"
        "      end\n";
    nodefx n;
    node_open(&n, "map", script, -1);
    const char *in[] = {"{}"};
    assert_int_equal(node_process(&n, in, 1), 0);
    assert_string_equal(out_line(&n, 0), "{\"io\":\"nil\",\"exec\":\"nil\",\"time\":\"function\",\"loadfile\":\"nil\","
                                         "\"dofile\":\"nil\",\"dump\":\"nil\",\"require\":\"nil\",\"binary\":"
                                         "\"attempt to load a binary chunk (mode is 't')\",\"text\":2}");
    node_close(&n);

    char open_script[sizeof script + 32];
    snprintf(open_script, sizeof open_script, "    sandbox: false\n%s", script);
    node_open(&n, "map", open_script, -1);
    assert_int_equal(node_process(&n, in, 1), 0);
    assert_non_null(strstr(out_line(&n, 0), "\"io\":\"table\",\"exec\":\"function\""));
    node_close(&n);
}

static void test_script_file(void **state) {
    char dir[] = "/tmp/sluice-lua-file-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], opts[256];
    snprintf(path, sizeof path, "%s/clean.lua", dir);
    FILE *fp = fopen(path, "w");
    fputs("local suffix = '!'\nfunction go(rec)\n  rec.s = rec.s .. suffix\n  return rec\nend\n", fp);
    fclose(fp);
    snprintf(opts, sizeof opts, "    script_file: %s\n    function: go\n", path);
    nodefx n;
    node_open(&n, "map", opts, -1);
    const char *in[] = {"{\"s\":\"a\"}", "{\"s\":1}", "{\"s\":{}}"};
    assert_int_equal(node_process(&n, in, 3), 0);
    assert_int_equal(n.batch.count, 2);
    assert_string_equal(out_line(&n, 1), "{\"s\":\"1!\"}");
    const char *errs = errors_text(&n);
    char where[160];
    snprintf(where, sizeof where, "%s:3: attempt to concatenate", path);
    assert_non_null(strstr(errs, where));
    node_close(&n);
    sl_rmtree(dir, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_untouched_record_is_shared),
        cmocka_unit_test(test_every_type_round_trips),
        cmocka_unit_test(test_types_as_lua_sees_them),
        cmocka_unit_test(test_field_order),
        cmocka_unit_test(test_plain_tables),
        cmocka_unit_test(test_conversion_errors),
        cmocka_unit_test(test_stale_record_tables),
        cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_numbers_and_decimals),
        cmocka_unit_test(test_time_and_binary_helpers),
        cmocka_unit_test(test_json_helpers),
        cmocka_unit_test(test_duplicate_and_many_fields),
        cmocka_unit_test(test_map_clean_and_errors),
        cmocka_unit_test(test_map_bad_results),
        cmocka_unit_test(test_instruction_budget),
        cmocka_unit_test(test_memory_limit),
        cmocka_unit_test(test_flat_map_fan_out),
        cmocka_unit_test(test_filter_fn),
        cmocka_unit_test(test_error_threshold),
        cmocka_unit_test(test_check_errors),
        cmocka_unit_test(test_sandbox),
        cmocka_unit_test(test_script_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
