/*
 * lua.c — `map`, `flat_map` and `filter_fn`: a Lua 5.4 function per record
 * (Glue's Map and FlatMap, and a filter written as code).
 *
 * The script is checked once at validation (compiled and, sandboxed, run
 * once to find its function) and loaded once per worker thread: each worker
 * owns one lua_State, made in init and closed in fini, with
 *   - a custom allocator that enforces max_memory (an allocation beyond it
 *     fails, Lua raises "not enough memory" in the call that asked);
 *   - a count hook that stops a call after max_instructions VM instructions;
 *   - the sandbox (base without dofile/loadfile and with text-only load;
 *     string, table, math, utf8; os.time/os.date/os.clock), unless
 *     sandbox: false;
 *   - the `sluice` table: value helpers (lua_value.h), sluice.log and print
 *     (both to stderr, rate-limited).
 * Each record runs in its own protected call; a Lua error, an exhausted
 * budget or a result that cannot convert sends the record to the error
 * output (sl_run_reject) with the message and traceback, and the run goes on
 * under the job's error thresholds. Record ↔ table conversion is lazy
 * (lua_value.c): fields the script never touches cost nothing either way.
 */
#include <lauxlib.h>
#include <limits.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "transforms/lua_value.h"
#include "transforms/transform_util.h"

#define SCRIPT_FILE_MAX ((size_t)16 << 20)
#define LOG_LINES_PER_SECOND 10
#define LOG_LINE_MAX 2000

typedef enum lua_kind { KIND_MAP, KIND_FLAT_MAP, KIND_FILTER } lua_kind;

/* What check() learned from the options (node->data). */
typedef struct lua_conf {
    lua_kind kind;
    char *source; /* the Lua chunk */
    size_t source_len;
    char chunkname[300];      /* "=script", "=fn" or "@path" */
    char *function;           /* global to call; NULL: the chunk returns the function (fn:) */
    int64_t max_instructions; /* 0 = no limit */
    int64_t max_memory;       /* 0 = no limit */
    bool sandbox;
} lua_conf;

/* One worker's Lua state and the record in flight. */
typedef struct lua_worker {
    sl_node *node;
    sl_run *run;
    const lua_conf *conf;
    lua_State *L;
    sl_luav *conv;
    int fn_ref;
    size_t mem_used, mem_limit;
    /* the call in flight (record_call reads and fills these) */
    sl_batch *batch;
    size_t index;
    bool keep;
    sl_value result;
    /* flat_map output, in the batch arena */
    sl_value *fan;
    sl_recloc *fan_locs;
    size_t fan_n, fan_cap;
    /* sluice.log rate limit */
    int64_t log_second;
    unsigned log_lines;
    uint64_t log_suppressed;
} lua_worker;

static lua_worker *worker_of(lua_State *L) { return *(lua_worker **)lua_getextraspace(L); }

/* ---- the state ---- */

/* Lua's allocator with the max_memory budget: growing past the limit fails
 * (Lua then collects garbage and retries, then raises a memory error). */
static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lua_worker *w = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        w->mem_used -= old;
        return NULL;
    }
    if (nsize > old && w->mem_limit && w->mem_used + (nsize - old) > w->mem_limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    w->mem_used = w->mem_used - old + nsize;
    return p;
}

static void budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    /* From now on every instruction fails too, so a script cannot catch the
     * error with pcall and carry on with a fresh budget. */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
    luaL_where(L, 0);
    lua_pushfstring(L, "instruction budget exhausted (max_instructions: %I per record)",
                    (lua_Integer)worker_of(L)->conf->max_instructions);
    lua_concat(L, 2);
    lua_error(L);
}

/* Message handler: the message with a traceback. */
static int msgh(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (!msg) msg = luaL_tolstring(L, 1, NULL);
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* sluice.log(...) and print(...): arguments joined by spaces, one line on
 * stderr, at most LOG_LINES_PER_SECOND per worker. */
static int l_log(lua_State *L) {
    lua_worker *w = worker_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec != w->log_second) {
        if (w->log_suppressed)
            fprintf(stderr, "sluice: node '%s': %llu log lines suppressed\n", w->node->name,
                    (unsigned long long)w->log_suppressed);
        w->log_second = ts.tv_sec;
        w->log_lines = 0;
        w->log_suppressed = 0;
    }
    if (w->log_lines >= LOG_LINES_PER_SECOND) {
        w->log_suppressed++;
        return 0;
    }
    w->log_lines++;
    fprintf(stderr, "sluice: node '%s': %.*s%s\n", w->node->name, (int)(len > LOG_LINE_MAX ? LOG_LINE_MAX : len), msg,
            len > LOG_LINE_MAX ? "..." : "");
    return 0;
}

/* load() that refuses binary chunks (precompiled bytecode can crash the VM). */
static int load_text_only(lua_State *L) {
    if (lua_gettop(L) < 3) lua_settop(L, 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static void open_sandbox(lua_State *L) {
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_createtable(L, 0, 3);
    static const char *const os_keep[] = {"time", "date", "clock"};
    for (size_t i = 0; i < sizeof os_keep / sizeof os_keep[0]; i++) {
        lua_getfield(L, -2, os_keep[i]);
        lua_setfield(L, -2, os_keep[i]);
    }
    lua_setglobal(L, "os");
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setglobal(L, "dofile");
    lua_pushnil(L);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "load");
    lua_pushcclosure(L, load_text_only, 1);
    lua_setglobal(L, "load");
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
}

/* Protected: libraries, the sluice table, then the script's chunk; leaves
 * the function in the registry (w->fn_ref). */
static int setup_state(lua_State *L) {
    lua_worker *w = worker_of(L);
    const lua_conf *conf = w->conf;
    if (conf->sandbox)
        open_sandbox(L);
    else
        luaL_openlibs(L);
    lua_pushcfunction(L, l_log);
    lua_setglobal(L, "print");
    lua_newtable(L);
    w->conv = sl_luav_open(L, -1);
    lua_pushcfunction(L, l_log);
    lua_setfield(L, -2, "log");
    lua_setglobal(L, "sluice");
    if (luaL_loadbufferx(L, conf->source, conf->source_len, conf->chunkname, "t") != LUA_OK) return lua_error(L);
    lua_call(L, 0, conf->function ? 0 : 1);
    if (conf->function) lua_getglobal(L, conf->function);
    if (!lua_isfunction(L, -1)) {
        if (conf->function)
            return luaL_error(L, "the script defines no function '%s' (a global function %s(rec) ... end)",
                              conf->function, conf->function);
        return luaL_error(L, "fn did not produce a function");
    }
    w->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

static void set_budget(lua_worker *w) {
    if (w->conf->max_instructions) lua_sethook(w->L, budget_hook, LUA_MASKCOUNT, (int)w->conf->max_instructions);
}

/* Make w's Lua state ready to call the function. On failure fills err with
 * the Lua message's first line. */
static int open_state(lua_worker *w, sl_error *err) {
    w->mem_limit = (size_t)w->conf->max_memory;
    lua_State *L = lua_newstate(budget_alloc, w);
    if (!L) return sl_error_set(err, SL_EINVAL, "cannot create a Lua state within max_memory");
    *(lua_worker **)lua_getextraspace(L) = w;
    w->L = L;
    set_budget(w);
    lua_pushcfunction(L, msgh);
    lua_pushcfunction(L, setup_state);
    int st = lua_pcall(L, 0, 0, 1);
    if (st != LUA_OK) {
        const char *msg = st == LUA_ERRMEM ? "not enough memory (max_memory)" : lua_tostring(L, -1);
        if (!msg) msg = "error";
        sl_error_set(err, SL_EINVAL, "Lua: %.*s", (int)strcspn(msg, "\n"), msg);
        lua_close(L);
        w->L = NULL;
        return SL_EINVAL;
    }
    lua_settop(L, 0);
    return SL_OK;
}

/* ---- one record ---- */

static void fan_add(lua_worker *w, sl_value rec) {
    sl_batch *b = w->batch;
    if (w->fan_n == w->fan_cap) {
        size_t cap = w->fan_cap ? w->fan_cap * 2 : (b->count > 16 ? b->count : 16);
        w->fan = sl_arena_realloc(&b->arena, w->fan, w->fan_cap * sizeof *w->fan, cap * sizeof *w->fan);
        w->fan_locs =
            sl_arena_realloc(&b->arena, w->fan_locs, w->fan_cap * sizeof *w->fan_locs, cap * sizeof *w->fan_locs);
        w->fan_cap = cap;
    }
    sl_recloc none = {0, -1};
    w->fan[w->fan_n] = rec;
    w->fan_locs[w->fan_n] = b->locs ? b->locs[w->index] : none;
    w->fan_n++;
}

/* The record table at idx as a record value (raises if it is not one). */
static sl_value result_record(lua_worker *w, int idx, const char *what, lua_Integer item) {
    lua_State *L = w->L;
    if (lua_type(L, idx) != LUA_TTABLE) {
        if (item)
            luaL_error(L, "%s: item %I of the result is a %s, not a record (table)", what, item, luaL_typename(L, idx));
        luaL_error(L, "%s: the function returned a %s; expected a record (table) or nil", what, luaL_typename(L, idx));
    }
    sl_value v;
    sl_luav_to_value(w->conv, idx, &w->batch->arena, &v);
    if (v.type != SL_T_STRUCT) {
        if (item) luaL_error(L, "%s: item %I of the result is an array, not a record", what, item);
        luaL_error(L, "%s: the function returned an array, not a record", what);
    }
    return v;
}

/* Protected: call the function on record w->index and take its result. */
static int record_call(lua_State *L) {
    lua_worker *w = worker_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, w->fn_ref);
    sl_luav_push_record(w->conv, &w->batch->records[w->index]);
    lua_call(L, 1, 1);
    int top = lua_gettop(L);
    switch (w->conf->kind) {
    case KIND_FILTER: w->keep = lua_toboolean(L, top); break;
    case KIND_MAP:
        w->keep = !lua_isnil(L, top);
        if (w->keep) w->result = result_record(w, top, "map", 0);
        break;
    case KIND_FLAT_MAP:
        if (lua_isnil(L, top)) break;
        if (!sl_luav_is_list(w->conv, top)) {
            fan_add(w, result_record(w, top, "flat_map", 0));
            break;
        }
        for (lua_Integer k = 1, n = (lua_Integer)lua_rawlen(L, top); k <= n; k++) {
            lua_rawgeti(L, top, k);
            fan_add(w, result_record(w, top + 1, "flat_map", k));
            lua_pop(L, 1);
        }
        break;
    }
    return 0;
}

/* The reason text for a failed call (status st; the message is on top),
 * built outside Lua: after a memory error the state may have no room left. */
static const char *failure_reason(lua_worker *w, int st) {
    if (st == LUA_ERRMEM) {
        char *text = sl_arena_alloc(&w->batch->arena, 96);
        snprintf(text, 96, "not enough memory: the Lua state reached max_memory (%lld bytes)",
                 (long long)w->conf->max_memory);
        return text;
    }
    size_t len;
    const char *msg = lua_type(w->L, -1) == LUA_TSTRING ? lua_tolstring(w->L, -1, &len) : NULL;
    if (!msg) return "Lua error (no message)";
    /* drop the frames of sluice's own C call at the bottom of the traceback */
    static const char tail[] = "\n\t[C]: in ?";
    size_t cut = len;
    while (cut >= sizeof tail - 1 && !memcmp(msg + cut - (sizeof tail - 1), tail, sizeof tail - 1))
        cut -= sizeof tail - 1;
    return cut == len ? msg : sl_arena_strndup(&w->batch->arena, msg, cut);
}

/* Run the function on record i of w->batch. 0 on success; otherwise the
 * record was sent to the error output, and the result of sl_run_reject
 * (SL_ELIMIT past the thresholds) is in *rc. */
static int run_record(lua_worker *w, size_t i, int *rc, sl_error *err) {
    lua_State *L = w->L;
    w->index = i;
    sl_luav_begin_record(w->conv, &w->batch->arena);
    set_budget(w);
    lua_pushcfunction(L, record_call);
    int st = lua_pcall(L, 0, 0, 1);
    if (st == LUA_OK) return 0;
    *rc = sl_run_reject(w->run, w->node, w->batch, i, failure_reason(w, st), err);
    lua_settop(L, 1);
    return -1;
}

static void prepare_batch(lua_worker *w, sl_batch *b) {
    w->batch = b;
    lua_settop(w->L, 0);
    lua_pushcfunction(w->L, msgh);
}

static int map_process(void *state, sl_batch *b, sl_error *err) {
    lua_worker *w = state;
    prepare_batch(w, b);
    sl_value *out = sl_batch_new_records(b);
    unsigned char *keep = NULL;
    for (size_t i = 0; i < b->count; i++) {
        int rc = 0;
        bool ok = run_record(w, i, &rc, err) == 0;
        if (rc) return rc;
        bool kept = ok && w->keep;
        out[i] = kept ? w->result : b->records[i];
        if (kept) continue;
        if (!keep) {
            keep = sl_arena_alloc(&b->arena, b->count);
            memset(keep, 1, b->count);
        }
        keep[i] = 0;
    }
    b->records = out;
    if (keep) sl_batch_keep(b, keep);
    return SL_OK;
}

static int filter_fn_process(void *state, sl_batch *b, sl_error *err) {
    lua_worker *w = state;
    prepare_batch(w, b);
    unsigned char *keep = sl_arena_alloc(&b->arena, b->count ? b->count : 1);
    for (size_t i = 0; i < b->count; i++) {
        int rc = 0;
        bool ok = run_record(w, i, &rc, err) == 0;
        if (rc) return rc;
        keep[i] = ok && w->keep;
    }
    sl_batch_keep(b, keep);
    return SL_OK;
}

static int flat_map_process(void *state, sl_batch *b, sl_error *err) {
    lua_worker *w = state;
    prepare_batch(w, b);
    w->fan = NULL;
    w->fan_locs = NULL;
    w->fan_n = w->fan_cap = 0;
    for (size_t i = 0; i < b->count; i++) {
        size_t mark = w->fan_n;
        int rc = 0;
        if (run_record(w, i, &rc, err) != 0) w->fan_n = mark; /* drop what a failed call had added */
        if (rc) return rc;
    }
    if (!w->fan) { /* no output: still hand on valid arrays */
        w->fan = sl_arena_alloc(&b->arena, sizeof *w->fan);
        w->fan_locs = sl_arena_alloc(&b->arena, sizeof *w->fan_locs);
    }
    b->records = w->fan;
    b->locs = w->fan_locs;
    b->count = b->cap = w->fan_n;
    return SL_OK;
}

/* ---- node lifecycle ---- */

static int lua_init(sl_node *node, sl_run *run, void **state, sl_error *err) {
    lua_worker *w = sl_xcalloc(1, sizeof *w);
    w->node = node;
    w->run = run;
    w->conf = node->data;
    int rc = open_state(w, err);
    if (rc) {
        free(w);
        return rc;
    }
    *state = w;
    return SL_OK;
}

static void lua_fini(void *state) {
    lua_worker *w = state;
    if (!w) return;
    if (w->log_suppressed)
        fprintf(stderr, "sluice: node '%s': %llu log lines suppressed\n", w->node->name,
                (unsigned long long)w->log_suppressed);
    if (w->L) lua_close(w->L);
    free(w);
}

static void conf_free(lua_conf *conf) {
    if (!conf) return;
    free(conf->source);
    free(conf->function);
    free(conf);
}

static void lua_release(sl_node *node) {
    conf_free(node->data);
    node->data = NULL;
}

static int read_script(const char *path, lua_conf *conf, sl_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return sl_error_set(err, SL_EIO, "cannot open script_file '%s': %m", path);
    size_t cap = 4096, len = 0;
    char *text = sl_xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= SCRIPT_FILE_MAX) {
                fclose(f);
                free(text);
                return sl_error_set(err, SL_EINVAL, "script_file '%s' is larger than 16MB", path);
            }
            cap *= 2;
            text = sl_xrealloc(text, cap);
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        return sl_error_set(err, SL_EIO, "cannot read script_file '%s'", path);
    }
    conf->source = text;
    conf->source_len = len;
    snprintf(conf->chunkname, sizeof conf->chunkname, "@%s", path);
    return SL_OK;
}

/* Options → conf, then validate the script in a state made as a worker's
 * would be (compiles it; when sandboxed, runs its top level and finds the
 * function, so a typo in the function name fails before any data moves). */
static int lua_check_kind(sl_node *node, lua_kind kind, sl_error *err) {
    static const char *const sources[] = {"script", "script_file", "fn"};
    const char *given = NULL;
    int n = 0;
    for (size_t i = 0; i < 3; i++)
        if (sl_node_opt(node, sources[i])->set) n++, given = sources[i];
    if (n != 1) {
        sl_error_set(err, SL_EINVAL, "give exactly one of 'script', 'script_file' or 'fn'%s",
                     n ? " (several are set)" : "");
        sl_error_at(err, node->job_file, node->line, node->column);
        return SL_EINVAL;
    }
    lua_conf *conf = sl_xcalloc(1, sizeof *conf);
    conf->kind = kind;
    conf->max_instructions = sl_node_int(node, "max_instructions");
    conf->max_memory = sl_node_int(node, "max_memory");
    conf->sandbox = sl_node_bool(node, "sandbox");
    int rc = SL_OK;
    const char *opt = given;
    if (conf->max_instructions < 0 || conf->max_instructions > INT_MAX) {
        opt = "max_instructions";
        rc = sl_error_set(err, SL_EINVAL, "max_instructions must be between 0 (no limit) and %d", INT_MAX);
    } else if (conf->max_memory != 0 && conf->max_memory < (1 << 20)) {
        opt = "max_memory";
        rc = sl_error_set(err, SL_EINVAL, "max_memory must be 0 (no limit) or at least 1MB");
    } else if (!strcmp(given, "script")) {
        conf->source = sl_xstrdup(sl_node_str(node, "script"));
        conf->source_len = strlen(conf->source);
        snprintf(conf->chunkname, sizeof conf->chunkname, "=script");
    } else if (!strcmp(given, "script_file")) {
        rc = read_script(sl_node_str(node, "script_file"), conf, err);
    } else {
        const char *fn = sl_node_str(node, "fn");
        size_t len = strlen(fn) + 64;
        conf->source = sl_xmalloc(len);
        conf->source_len = (size_t)snprintf(conf->source, len, "return function(rec) return %s\nend", fn);
        snprintf(conf->chunkname, sizeof conf->chunkname, "=fn");
    }
    if (!rc && strcmp(given, "fn")) conf->function = sl_xstrdup(sl_node_str(node, "function"));
    if (!rc && conf->sandbox) {
        lua_worker probe = {.node = node, .conf = conf};
        rc = open_state(&probe, err);
        if (!rc) lua_close(probe.L);
    } else if (!rc) {
        lua_State *L = luaL_newstate();
        if (luaL_loadbufferx(L, conf->source, conf->source_len, conf->chunkname, "t") != LUA_OK) {
            const char *msg = lua_tostring(L, -1);
            rc = sl_error_set(err, SL_EINVAL, "Lua: %.*s", (int)strcspn(msg, "\n"), msg);
        }
        lua_close(L);
    }
    if (rc) {
        conf_free(conf);
        sl_error_at_option(err, node, opt);
        return rc;
    }
    node->data = conf;
    return SL_OK;
}

static int map_check(sl_node *node, sl_error *err) { return lua_check_kind(node, KIND_MAP, err); }
static int flat_map_check(sl_node *node, sl_error *err) { return lua_check_kind(node, KIND_FLAT_MAP, err); }
static int filter_fn_check(sl_node *node, sl_error *err) { return lua_check_kind(node, KIND_FILTER, err); }

static const sl_option lua_options[] = {
    {"script", SL_OPT_STRING, NULL,
     "Lua 5.4 source that defines the function, by default `function process(rec) ... end`. Top-level code runs "
     "once per worker thread (globals persist from record to record). Give exactly one of script, script_file and "
     "fn. See docs/lua.md.",
     NULL, 0},
    {"script_file", SL_OPT_PATH, NULL, "A local file holding the Lua source, instead of script.", NULL, 0},
    {"fn", SL_OPT_STRING, NULL,
     "Shorthand for a one-line function: a Lua expression of `rec`, run as `function(rec) return EXPR end`. "
     "Example for filter_fn: rec.latency_ms > 100 and rec.region ~= 'us-east-1'.",
     NULL, 0},
    {"function", SL_OPT_STRING, "process",
     "Name of the global function the script defines; it is called once per record.", NULL, 0},
    {"max_instructions", SL_OPT_INT, "1000000",
     "Lua VM instructions one call may run; a call that runs longer is stopped and its record goes to the error "
     "output. 0 means no limit.",
     NULL, 0},
    {"max_memory", SL_OPT_SIZE, "64MB",
     "Memory each worker's Lua state may hold. A call that needs more fails and its record goes to the error "
     "output. 0 means no limit.",
     NULL, 0},
    {"sandbox", SL_OPT_BOOL, "true",
     "Expose only safe libraries: base (no dofile/loadfile; load takes source text only), string, table, math, "
     "utf8 and os.time/os.date/os.clock. false opens every standard library (io, os, package, debug, coroutine).",
     NULL, 0},
    {0},
};

const sl_node_type sl_map_type = {
    .name = "map",
    .kind = SL_NODE_TRANSFORM,
    .summary = "change each record with a Lua function (Glue Map)",
    .help = "The function receives the record as a Lua table and returns the record to write - the same table "
            "changed, or a new one - or nil to drop it. A Lua error or an exhausted budget sends the record to the "
            "error output with the message and traceback; the run goes on under the job's error thresholds. "
            "See docs/lua.md.",
    .options = lua_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = map_check,
    .release = lua_release,
    .init = lua_init,
    .process = map_process,
    .fini = lua_fini,
};

const sl_node_type sl_flat_map_type = {
    .name = "flat_map",
    .kind = SL_NODE_TRANSFORM,
    .summary = "turn each record into zero or more records with a Lua function",
    .help = "The function receives the record as a Lua table and returns a list of records ({rec, other}), a single "
            "record, or nil (or {}) for none. Each output record keeps the source location of its input record. "
            "Errors are handled as in map. See docs/lua.md.",
    .options = lua_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = flat_map_check,
    .release = lua_release,
    .init = lua_init,
    .process = flat_map_process,
    .fini = lua_fini,
};

const sl_node_type sl_filter_fn_type = {
    .name = "filter_fn",
    .kind = SL_NODE_TRANSFORM,
    .summary = "keep records for which a Lua function returns true",
    .help = "The function receives the record as a Lua table; the record is kept when the function returns anything "
            "but nil or false, and passes on unchanged (changes the function makes to the table are ignored). "
            "Errors are handled as in map. See docs/lua.md.",
    .options = lua_options,
    .min_inputs = 1,
    .max_inputs = 1,
    .check = filter_fn_check,
    .release = lua_release,
    .init = lua_init,
    .process = filter_fn_process,
    .fini = lua_fini,
};
