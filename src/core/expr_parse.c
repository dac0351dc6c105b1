/*
 * expr_parse.c — compiling expression text: a hand-written lexer, a
 * recursive-descent parser with one function per precedence level, name
 * resolution (functions to table entries, field paths to segments) and
 * constant folding. Also sl_expr_free, sl_expr_text and sl_expr_fields.
 *
 * Precedence, loosest first:
 *   OR · AND · NOT · comparisons, IS, IN, BETWEEN, LIKE · || · + - ·
 *   * / % div · unary - + · postfix :: [ ] . · primary
 *
 * Everything the tree holds lives in the expression's own arena. Nesting
 * is bounded (SL_EXPR_MAX_DEPTH) both while parsing and in the finished
 * tree, so neither compiling nor evaluating can run out of stack.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/expr_int.h"
#include "core/mem.h"

/* ---- tokens ---- */

typedef enum tok_kind {
    T_EOF,
    T_INT,    /* digits */
    T_NUM,    /* digits with a point or an exponent */
    T_STR,    /* '...' */
    T_IDENT,  /* bare word (keywords too) */
    T_QIDENT, /* "..." or `...` */
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_COMMA,
    T_DOT,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
    T_CONCAT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_DCOLON
} tok_kind;

typedef struct token {
    tok_kind kind;
    uint32_t pos, len; /* bytes of the source */
} token;

typedef struct parser {
    sl_expr *e;
    const char *text;
    size_t text_len;
    token tok;         /* current token */
    uint32_t prev_end; /* end of the last consumed token */
    int depth;         /* recursion guard */
    sl_error *err;
    bool failed;
    sl_arena scratch; /* constant folding */
    size_t paths_cap;
} parser;

static const char *const keywords[] = {"and",  "or",    "not",      "is",   "null", "in",    "between",
                                       "like", "ilike", "escape",   "case", "when", "then",  "else",
                                       "end",  "cast",  "try_cast", "as",   "true", "false", "div"};

/* ---- errors ---- */

static int column_of(const parser *p, size_t offset) {
    int col = 1;
    for (size_t i = 0; i < offset && i < p->text_len; i++)
        if (((unsigned char)p->text[i] & 0xC0) != 0x80) col++;
    return col;
}

static void fail_at(parser *p, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail_at(parser *p, size_t offset, const char *fmt, ...) {
    if (p->failed) return;
    p->failed = true;
    p->tok.kind = T_EOF; /* every loop of the parser stops at EOF */
    if (!p->err) return;
    va_list ap;
    va_start(ap, fmt);
    sl_error_vset(p->err, SL_EINVAL, fmt, ap);
    va_end(ap);
    p->err->column = column_of(p, offset);
    p->err->offset = (long long)offset;
}

/* How a token reads in a message: "')'", "end of expression", "'foo'". */
static void describe_token(const parser *p, const token *t, char *out, size_t size) {
    if (t->kind == T_EOF) {
        snprintf(out, size, "end of expression");
        return;
    }
    int len = t->len > 30 ? 30 : (int)t->len;
    snprintf(out, size, "'%.*s%s'", len, p->text + t->pos, t->len > 30 ? "..." : "");
}

static void fail_expected(parser *p, const char *what) {
    char found[64];
    describe_token(p, &p->tok, found, sizeof found);
    fail_at(p, p->tok.pos, "expected %s but found %s", what, found);
}

/* ---- lexer ---- */

static bool ident_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static bool ident_char(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* Lexes the token at byte `pos`; on a lexical error reports it and returns
 * an EOF token. */
static token lex_at(parser *p, size_t pos) {
    const char *s = p->text;
    while (pos < p->text_len && isspace((unsigned char)s[pos]))
        pos++;
    token t = {T_EOF, (uint32_t)pos, 0};
    if (pos >= p->text_len) return t;
    size_t i = pos;
    unsigned char c = (unsigned char)s[i];
    if (isdigit(c) || (c == '.' && i + 1 < p->text_len && isdigit((unsigned char)s[i + 1]))) {
        t.kind = T_INT;
        while (i < p->text_len && isdigit((unsigned char)s[i]))
            i++;
        if (i < p->text_len && s[i] == '.' && i + 1 < p->text_len && isdigit((unsigned char)s[i + 1])) {
            t.kind = T_NUM;
            i++;
            while (i < p->text_len && isdigit((unsigned char)s[i]))
                i++;
        }
        if (i < p->text_len && (s[i] == 'e' || s[i] == 'E')) {
            size_t j = i + 1;
            if (j < p->text_len && (s[j] == '+' || s[j] == '-')) j++;
            if (j < p->text_len && isdigit((unsigned char)s[j])) {
                t.kind = T_NUM;
                i = j;
                while (i < p->text_len && isdigit((unsigned char)s[i]))
                    i++;
            }
        }
        if (i < p->text_len && ident_char((unsigned char)s[i])) {
            fail_at(p, i, "unexpected character '%c' in number", s[i]);
            t.kind = T_EOF;
        }
        t.len = (uint32_t)(i - pos);
        return t;
    }
    if (ident_start(c)) {
        while (i < p->text_len && ident_char((unsigned char)s[i]))
            i++;
        t.kind = T_IDENT;
        t.len = (uint32_t)(i - pos);
        return t;
    }
    if (c == '\'' || c == '"' || c == '`') {
        for (i++;; i++) {
            if (i >= p->text_len) {
                fail_at(p, pos, "unterminated %s (missing closing %c)",
                        c == '\'' ? "string literal" : "quoted field name", c);
                t.kind = T_EOF;
                return t;
            }
            if ((unsigned char)s[i] == c) {
                if (i + 1 < p->text_len && (unsigned char)s[i + 1] == c) {
                    i++; /* doubled quote: an escaped quote character */
                    continue;
                }
                break;
            }
        }
        t.kind = c == '\'' ? T_STR : T_QIDENT;
        t.len = (uint32_t)(i + 1 - pos);
        return t;
    }
    static const struct {
        const char *text;
        tok_kind kind;
    } ops[] = {{"||", T_CONCAT}, {"::", T_DCOLON}, {"==", T_EQ},   {"!=", T_NE},  {"<>", T_NE},   {"<=", T_LE},
               {">=", T_GE},     {"(", T_LP},      {")", T_RP},    {"[", T_LB},   {"]", T_RB},    {",", T_COMMA},
               {".", T_DOT},     {"+", T_PLUS},    {"-", T_MINUS}, {"*", T_STAR}, {"/", T_SLASH}, {"%", T_PERCENT},
               {"=", T_EQ},      {"<", T_LT},      {">", T_GT}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        size_t n = strlen(ops[k].text);
        if (pos + n <= p->text_len && memcmp(s + pos, ops[k].text, n) == 0) {
            t.kind = ops[k].kind;
            t.len = (uint32_t)n;
            return t;
        }
    }
    if (c < 0x20 || c >= 0x7F)
        fail_at(p, pos, "unexpected character (byte 0x%02x)", c);
    else
        fail_at(p, pos, "unexpected character '%c'", c);
    return t;
}

static void advance(parser *p) {
    if (p->failed) return;
    p->prev_end = p->tok.pos + p->tok.len;
    p->tok = lex_at(p, p->tok.pos + p->tok.len);
    if (p->failed) p->tok.kind = T_EOF;
}

static token peek(parser *p) {
    if (p->failed) return p->tok;
    token t = lex_at(p, p->tok.pos + p->tok.len);
    if (p->failed) t.kind = T_EOF;
    return t;
}

static bool tok_is_word(const parser *p, const token *t, const char *word) {
    return t->kind == T_IDENT && strlen(word) == t->len && strncasecmp(p->text + t->pos, word, t->len) == 0;
}

static bool at_word(const parser *p, const char *word) { return tok_is_word(p, &p->tok, word); }

static bool accept_word(parser *p, const char *word) {
    if (!at_word(p, word)) return false;
    advance(p);
    return true;
}

static bool accept(parser *p, tok_kind kind) {
    if (p->tok.kind != kind) return false;
    advance(p);
    return true;
}

static bool expect(parser *p, tok_kind kind, const char *what) {
    if (accept(p, kind)) return true;
    fail_expected(p, what);
    return false;
}

static bool expect_word(parser *p, const char *word) {
    if (accept_word(p, word)) return true;
    char what[32];
    snprintf(what, sizeof what, "'%s'", word);
    for (char *c = what; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    fail_expected(p, what);
    return false;
}

static bool is_keyword(const parser *p, const token *t) {
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (tok_is_word(p, t, keywords[i])) return true;
    return false;
}

/* Decodes a quoted token's content (doubled quotes become one) into the
 * expression's arena; points into the source when nothing is escaped. */
static const char *unquote(parser *p, const token *t, size_t *len) {
    const char *s = p->text + t->pos + 1;
    size_t n = t->len - 2;
    char q = p->text[t->pos];
    if (!memchr(s, q, n)) {
        *len = n;
        return s;
    }
    char *out = sl_arena_alloc(&p->e->mem, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        out[k++] = s[i];
        if (s[i] == q) i++;
    }
    out[k] = 0;
    *len = k;
    return out;
}

/* ---- nodes ---- */

static expr_node *new_node(parser *p, expr_kind kind, uint32_t pos, uint32_t nkids) {
    expr_node *n = sl_arena_calloc(&p->e->mem, sizeof *n);
    n->kind = (uint8_t)kind;
    n->pos = pos;
    n->end = pos;
    n->n = nkids;
    if (nkids) n->kids = sl_arena_calloc(&p->e->mem, nkids * sizeof *n->kids);
    return n;
}

static expr_node *fold(parser *p, expr_node *n);

/* Completes a node whose kids are set: text extent, depth check, folding. */
static expr_node *finish(parser *p, expr_node *n) {
    if (p->failed) return NULL;
    n->end = p->prev_end;
    uint32_t depth = 0;
    for (uint32_t i = 0; i < n->n; i++)
        if (n->kids[i]->depth > depth) depth = n->kids[i]->depth;
    n->depth = depth + 1;
    if (n->depth > SL_EXPR_MAX_DEPTH) {
        fail_at(p, n->pos, "expression nested too deeply (more than %d levels)", SL_EXPR_MAX_DEPTH);
        return NULL;
    }
    return fold(p, n);
}

static expr_node *binary(parser *p, expr_kind kind, expr_node *left, expr_node *right) {
    if (!left || !right) return NULL;
    expr_node *n = new_node(p, kind, left->pos, 2);
    n->kids[0] = left;
    n->kids[1] = right;
    return finish(p, n);
}

/* Growable list of kids, built in the scratch arena while parsing. */
typedef struct kid_list {
    expr_node **items;
    uint32_t n, cap;
} kid_list;

static void kids_push(parser *p, kid_list *l, expr_node *k) {
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        l->items = sl_arena_realloc(&p->scratch, l->items, l->cap * sizeof *l->items, cap * sizeof *l->items);
        l->cap = cap;
    }
    l->items[l->n++] = k;
}

static expr_node *node_with_kids(parser *p, expr_kind kind, uint32_t pos, const kid_list *l) {
    expr_node *n = new_node(p, kind, pos, l->n);
    if (l->n) memcpy(n->kids, l->items, l->n * sizeof *n->kids);
    return n;
}

/* ---- constant folding ---- */

static sl_value deep_copy(sl_arena *a, const sl_value *v) {
    sl_value out = *v;
    switch (v->type) {
    case SL_T_STRING:
    case SL_T_BINARY:
    case SL_T_DECIMAL: out.u.s = sl_arena_strndup(a, v->u.s, v->len); break;
    case SL_T_LIST:
        out.u.items = sl_arena_alloc(a, (v->len ? v->len : 1) * sizeof *out.u.items);
        for (uint32_t i = 0; i < v->len; i++)
            out.u.items[i] = deep_copy(a, &v->u.items[i]);
        break;
    case SL_T_STRUCT:
        out.u.fields = sl_arena_alloc(a, (v->len ? v->len : 1) * sizeof *out.u.fields);
        for (uint32_t i = 0; i < v->len; i++) {
            out.u.fields[i] = v->u.fields[i];
            out.u.fields[i].name = sl_arena_strndup(a, v->u.fields[i].name, v->u.fields[i].name_len);
            out.u.fields[i].value = deep_copy(a, &v->u.fields[i].value);
        }
        break;
    default: break;
    }
    return out;
}

/* A node whose kids are all literals (and that does not read the record)
 * is evaluated now and replaced by its value. A node that fails is kept:
 * it fails again, record by record, only if evaluation reaches it. */
static expr_node *fold(parser *p, expr_node *n) {
    if (n->kind == EXPR_LIT || (n->kind == EXPR_PATH && n->n == 0)) return n;
    for (uint32_t i = 0; i < n->n; i++)
        if (n->kids[i]->kind != EXPR_LIT) return n;
    sl_error err;
    sl_error_clear(&err);
    expr_eval_ctx ctx = {p->e, NULL, &p->scratch, &err};
    sl_value v;
    if (sl_expr_eval_node(n, &ctx, &v) != 0) return n;
    n->kind = EXPR_LIT;
    n->lit = deep_copy(&p->e->mem, &v);
    n->n = 0;
    n->depth = 1;
    return n;
}

/* ---- field paths ---- */

static void add_path(parser *p, const expr_node *n) {
    char *text = NULL;
    size_t len = 0;
    for (uint32_t i = 0; i < n->nsegs; i++) {
        const expr_seg *seg = &n->segs[i];
        char part[32];
        const char *add;
        size_t add_len;
        bool quote = seg->name && (memchr(seg->name, '.', seg->name_len) || memchr(seg->name, '[', seg->name_len));
        if (seg->name && !quote) {
            add = seg->name;
            add_len = seg->name_len;
        } else if (quote) {
            /* backticks, as fieldpath.h writes a segment containing dots */
            char *q = sl_arena_alloc(&p->scratch, seg->name_len + 2);
            q[0] = '`';
            memcpy(q + 1, seg->name, seg->name_len);
            q[seg->name_len + 1] = '`';
            add = q;
            add_len = seg->name_len + 2;
        } else {
            add_len = (size_t)snprintf(part, sizeof part, "[%lld]", (long long)seg->index);
            add = part;
        }
        size_t dot = (i > 0 && seg->name) ? 1 : 0;
        text = sl_arena_realloc(&p->scratch, text, len ? len + 1 : 0, len + dot + add_len + 1);
        if (dot) text[len++] = '.';
        memcpy(text + len, add, add_len);
        len += add_len;
        text[len] = 0;
    }
    sl_expr *e = p->e;
    for (size_t i = 0; i < e->npaths; i++)
        if (strlen(e->paths[i]) == len && memcmp(e->paths[i], text, len) == 0) return;
    if (e->npaths == p->paths_cap) {
        size_t cap = p->paths_cap ? p->paths_cap * 2 : 8;
        e->paths = sl_arena_realloc(&e->mem, e->paths, p->paths_cap * sizeof *e->paths, cap * sizeof *e->paths);
        p->paths_cap = cap;
    }
    e->paths[e->npaths++] = sl_arena_strndup(&e->mem, text, len);
}

/* Segment list being built for one path (scratch arena). */
typedef struct seg_list {
    expr_seg *items;
    uint32_t n, cap;
} seg_list;

static void segs_push(parser *p, seg_list *l, expr_seg seg) {
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        l->items = sl_arena_realloc(&p->scratch, l->items, l->cap * sizeof *l->items, cap * sizeof *l->items);
        l->cap = cap;
    }
    l->items[l->n++] = seg;
}

/* A field name token (bare or quoted) as a segment. */
static bool name_segment(parser *p, expr_seg *seg) {
    const char *name;
    size_t len;
    if (p->tok.kind == T_IDENT) {
        name = p->text + p->tok.pos;
        len = p->tok.len;
    } else if (p->tok.kind == T_QIDENT) {
        name = unquote(p, &p->tok, &len);
        if (len == 0) {
            fail_at(p, p->tok.pos, "empty field name");
            return false;
        }
    } else {
        fail_expected(p, "a field name");
        return false;
    }
    seg->name = name;
    seg->name_len = (uint32_t)len;
    seg->index = 0;
    advance(p);
    return true;
}

/* '[' already consumed: an index (integer) or a key ('string'). */
static bool subscript_segment(parser *p, expr_seg *seg) {
    bool neg = accept(p, T_MINUS);
    if (p->tok.kind == T_INT && !neg) {
        char *end;
        errno = 0;
        long long idx = strtoll(p->text + p->tok.pos, &end, 10);
        if (errno || end != p->text + p->tok.pos + p->tok.len) idx = INT64_MAX; /* beyond any list: null */
        seg->name = NULL;
        seg->index = idx;
        advance(p);
    } else if (p->tok.kind == T_INT) {
        seg->name = NULL;
        seg->index = -1; /* negative indexes are out of range: null */
        advance(p);
    } else if (p->tok.kind == T_STR && !neg) {
        size_t len;
        seg->name = unquote(p, &p->tok, &len);
        seg->name_len = (uint32_t)len;
        advance(p);
    } else {
        fail_expected(p, "a list index or a 'field name' in brackets");
        return false;
    }
    return expect(p, T_RB, "']'");
}

/* Postfix steps after a primary: [index], ['key'], .name. Paths starting
 * at the record (base NULL) are recorded for sl_expr_fields. */
static expr_node *path_steps(parser *p, expr_node *base, uint32_t pos, seg_list *segs) {
    for (;;) {
        expr_seg seg;
        if (accept(p, T_LB)) {
            if (!subscript_segment(p, &seg)) return NULL;
        } else if (p->tok.kind == T_DOT) {
            advance(p);
            if (!name_segment(p, &seg)) return NULL;
        } else {
            break;
        }
        segs_push(p, segs, seg);
    }
    if (!segs->n) return base;
    expr_node *n = new_node(p, EXPR_PATH, pos, base ? 1 : 0);
    if (base) n->kids[0] = base;
    n->nsegs = segs->n;
    n->segs = sl_arena_alloc(&p->e->mem, segs->n * sizeof *n->segs);
    memcpy(n->segs, segs->items, segs->n * sizeof *n->segs);
    n = finish(p, n);
    if (n && !base) add_path(p, n);
    return n;
}

/* ---- grammar ---- */

static expr_node *parse_expr(parser *p);
static expr_node *parse_concat(parser *p);
static expr_node *parse_unary(parser *p);

static bool enter(parser *p) {
    if (++p->depth <= SL_EXPR_MAX_DEPTH) return true;
    fail_at(p, p->tok.pos, "expression nested too deeply (more than %d levels)", SL_EXPR_MAX_DEPTH);
    return false;
}

static void leave(parser *p) { p->depth--; }

static expr_node *literal(parser *p, uint32_t pos, sl_value v) {
    expr_node *n = new_node(p, EXPR_LIT, pos, 0);
    n->lit = v;
    return finish(p, n);
}

static expr_node *number_literal(parser *p) {
    token t = p->tok;
    const char *s = p->text + t.pos;
    sl_value v;
    advance(p);
    sl_expr_parse_number(s, t.len, &v);
    /* too large for a double: keep the exact text as a decimal */
    if (v.type == SL_T_DOUBLE && (v.u.d > 1.7976931348623157e308 || v.u.d < -1.7976931348623157e308))
        v = sl_decimal(s, t.len);
    return literal(p, t.pos, v);
}

static expr_node *typed_literal(parser *p, bool is_date) {
    uint32_t pos = p->tok.pos;
    advance(p); /* DATE / TIMESTAMP */
    token t = p->tok;
    size_t len;
    const char *s = unquote(p, &t, &len);
    int64_t v;
    int rc = is_date ? sl_expr_parse_date(s, len, &v) : sl_expr_parse_timestamp(s, len, &v);
    if (rc != 0) {
        fail_at(p, t.pos, "invalid %s literal: expected %s", is_date ? "date" : "timestamp",
                is_date ? "'YYYY-MM-DD'" : "'YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+HH:MM]'");
        return NULL;
    }
    advance(p);
    return literal(p, pos, is_date ? sl_date(v) : sl_timestamp(v));
}

static bool parse_type(parser *p, sl_type *out) {
    if (p->tok.kind != T_IDENT) {
        fail_expected(p, "a type name (long, double, decimal, string, boolean, date, timestamp, binary)");
        return false;
    }
    char name[32];
    int shown = p->tok.len > 30 ? 30 : (int)p->tok.len;
    snprintf(name, sizeof name, "%.*s", shown, p->text + p->tok.pos);
    if (p->tok.len > 30 || sl_type_parse(name, out) != 0) {
        fail_at(p, p->tok.pos,
                "unknown type '%s' (expected long, double, decimal, string, boolean, date, timestamp, binary)", name);
        return false;
    }
    advance(p);
    if (p->tok.kind == T_LP) {
        fail_at(p, p->tok.pos, "type parameters are not supported (write just '%s')", name);
        return false;
    }
    return true;
}

static expr_node *cast_node(parser *p, expr_node *value, sl_type to, bool try_cast, uint32_t pos) {
    if (!value) return NULL;
    expr_node *n = new_node(p, EXPR_CAST, pos, 1);
    n->kids[0] = value;
    n->cast_to = (uint8_t)to;
    n->flag = try_cast;
    return finish(p, n);
}

/* CAST ( expr AS type ) */
static expr_node *parse_cast(parser *p, bool try_cast) {
    uint32_t pos = p->tok.pos;
    advance(p);
    if (!expect(p, T_LP, "'('")) return NULL;
    expr_node *value = parse_expr(p);
    if (!value) return NULL;
    sl_type to;
    if (!expect_word(p, "as") || !parse_type(p, &to) || !expect(p, T_RP, "')'")) return NULL;
    return cast_node(p, value, to, try_cast, pos);
}

/* CASE [operand] WHEN a THEN b ... [ELSE c] END */
static expr_node *parse_case(parser *p) {
    uint32_t pos = p->tok.pos;
    advance(p);
    kid_list kids = {0};
    unsigned flag = 0;
    if (!at_word(p, "when")) {
        expr_node *operand = parse_expr(p);
        if (!operand) return NULL;
        kids_push(p, &kids, operand);
        flag |= EXPR_CASE_OPERAND;
    }
    if (!at_word(p, "when")) {
        expect_word(p, "when");
        return NULL;
    }
    while (accept_word(p, "when")) {
        expr_node *when = parse_expr(p);
        if (!when || !expect_word(p, "then")) return NULL;
        expr_node *then = parse_expr(p);
        if (!then) return NULL;
        kids_push(p, &kids, when);
        kids_push(p, &kids, then);
    }
    if (accept_word(p, "else")) {
        expr_node *other = parse_expr(p);
        if (!other) return NULL;
        kids_push(p, &kids, other);
        flag |= EXPR_CASE_ELSE;
    }
    if (!expect_word(p, "end")) return NULL;
    expr_node *n = node_with_kids(p, EXPR_CASE, pos, &kids);
    n->flag = (uint8_t)flag;
    return finish(p, n);
}

/* name ( args ) */
static expr_node *parse_call(parser *p) {
    token name = p->tok;
    const expr_func *fn = sl_expr_func_find(p->text + name.pos, name.len);
    if (!fn) {
        char close[200];
        int n = sl_expr_func_suggest(p->text + name.pos, name.len, close, sizeof close);
        int shown = name.len > 40 ? 40 : (int)name.len;
        if (n)
            fail_at(p, name.pos, "unknown function '%.*s' (did you mean %s?)", shown, p->text + name.pos, close);
        else
            fail_at(p, name.pos, "unknown function '%.*s' (see docs/expressions.md for the list)", shown,
                    p->text + name.pos);
        return NULL;
    }
    advance(p);
    advance(p); /* ( */
    kid_list args = {0};
    if (p->tok.kind != T_RP) {
        do {
            expr_node *arg = parse_expr(p);
            if (!arg) return NULL;
            kids_push(p, &args, arg);
        } while (accept(p, T_COMMA));
    }
    if (!expect(p, T_RP, args.n ? "',' or ')'" : "an argument or ')'")) return NULL;
    if ((int)args.n < fn->min_args || (fn->max_args >= 0 && (int)args.n > fn->max_args)) {
        char want[48];
        if (fn->max_args < 0)
            snprintf(want, sizeof want, "at least %d", fn->min_args);
        else if (fn->min_args == fn->max_args)
            snprintf(want, sizeof want, "%d", fn->min_args);
        else
            snprintf(want, sizeof want, "%d to %d", fn->min_args, fn->max_args);
        fail_at(p, name.pos, "%s() takes %s argument%s but was given %u", fn->name, want,
                strcmp(want, "1") == 0 ? "" : "s", args.n);
        return NULL;
    }
    expr_node *n = node_with_kids(p, fn->fn ? EXPR_CALL : EXPR_COALESCE, name.pos, &args);
    n->fn = fn;
    return finish(p, n);
}

static expr_node *parse_primary(parser *p) {
    token t = p->tok;
    switch (t.kind) {
    case T_INT:
    case T_NUM: return number_literal(p);
    case T_STR: {
        size_t len;
        const char *s = unquote(p, &t, &len);
        advance(p);
        return literal(p, t.pos, sl_string(s, len, sl_json_plain(s, len) ? SL_VF_JSON_PLAIN : 0));
    }
    case T_LP: {
        advance(p);
        expr_node *inner = parse_expr(p);
        if (!inner || !expect(p, T_RP, "')'")) return NULL;
        return inner;
    }
    case T_QIDENT:
    case T_IDENT: break;
    default: fail_expected(p, "an expression"); return NULL;
    }
    if (t.kind == T_IDENT) {
        token next = peek(p);
        if (at_word(p, "true") || at_word(p, "false")) {
            advance(p);
            return literal(p, t.pos, sl_bool(tok_is_word(p, &t, "true")));
        }
        if (at_word(p, "null")) {
            advance(p);
            return literal(p, t.pos, sl_null());
        }
        if ((at_word(p, "date") || at_word(p, "timestamp")) && next.kind == T_STR)
            return typed_literal(p, at_word(p, "date"));
        if (at_word(p, "cast") || at_word(p, "try_cast")) return parse_cast(p, at_word(p, "try_cast"));
        if (at_word(p, "case")) return parse_case(p);
        if (is_keyword(p, &t)) {
            fail_expected(p, "an expression");
            return NULL;
        }
        if (next.kind == T_LP) return parse_call(p);
    }
    /* a field path: the first segment here, the rest as postfix steps */
    seg_list segs = {0};
    expr_seg seg;
    if (!name_segment(p, &seg)) return NULL;
    segs_push(p, &segs, seg);
    return path_steps(p, NULL, t.pos, &segs);
}

static expr_node *parse_postfix(parser *p) {
    uint32_t pos = p->tok.pos;
    expr_node *n = parse_primary(p);
    while (n) {
        if (p->tok.kind == T_LB || p->tok.kind == T_DOT) {
            seg_list segs = {0};
            n = path_steps(p, n, pos, &segs);
        } else if (accept(p, T_DCOLON)) {
            sl_type to;
            if (!parse_type(p, &to)) return NULL;
            n = cast_node(p, n, to, false, pos);
        } else {
            break;
        }
    }
    return n;
}

static expr_node *parse_unary(parser *p) {
    if (p->tok.kind != T_MINUS && p->tok.kind != T_PLUS) return parse_postfix(p);
    uint32_t pos = p->tok.pos;
    bool minus = p->tok.kind == T_MINUS;
    if (!enter(p)) return NULL;
    advance(p);
    expr_node *operand = parse_unary(p);
    leave(p);
    if (!operand || !minus) return operand;
    if (operand->kind == EXPR_LIT && operand->lit.type == SL_T_DECIMAL) {
        /* -9223372036854775808 is a long, though its digits alone are not */
        char text[24];
        int64_t v;
        if (operand->lit.len < 20) {
            snprintf(text, sizeof text, "-%.*s", (int)operand->lit.len, operand->lit.u.s);
            char *end;
            errno = 0;
            v = strtoll(text, &end, 10);
            if (!errno && *end == 0) {
                operand->lit = sl_int(v);
                operand->pos = pos;
                return operand;
            }
        }
    }
    expr_node *n = new_node(p, EXPR_NEG, pos, 1);
    n->kids[0] = operand;
    return finish(p, n);
}

static expr_node *parse_mul(parser *p) {
    expr_node *left = parse_unary(p);
    for (;;) {
        expr_kind kind;
        if (p->tok.kind == T_STAR)
            kind = EXPR_MUL;
        else if (p->tok.kind == T_SLASH)
            kind = EXPR_DIV;
        else if (p->tok.kind == T_PERCENT)
            kind = EXPR_MOD;
        else if (at_word(p, "div"))
            kind = EXPR_IDIV;
        else
            return left;
        advance(p);
        left = binary(p, kind, left, parse_unary(p));
    }
}

static expr_node *parse_add(parser *p) {
    expr_node *left = parse_mul(p);
    while (p->tok.kind == T_PLUS || p->tok.kind == T_MINUS) {
        expr_kind kind = p->tok.kind == T_PLUS ? EXPR_ADD : EXPR_SUB;
        advance(p);
        left = binary(p, kind, left, parse_mul(p));
    }
    return left;
}

static expr_node *parse_concat(parser *p) {
    expr_node *left = parse_add(p);
    while (accept(p, T_CONCAT))
        left = binary(p, EXPR_CONCAT, left, parse_add(p));
    return left;
}

static expr_node *parse_in(parser *p, expr_node *left, bool negate) {
    advance(p); /* IN */
    if (!expect(p, T_LP, "'(' after IN")) return NULL;
    kid_list kids = {0};
    kids_push(p, &kids, left);
    do {
        expr_node *item = parse_expr(p);
        if (!item) return NULL;
        kids_push(p, &kids, item);
    } while (accept(p, T_COMMA));
    if (!expect(p, T_RP, "',' or ')'")) return NULL;
    expr_node *n = node_with_kids(p, EXPR_IN, left->pos, &kids);
    n->negate = negate;
    return finish(p, n);
}

static expr_node *parse_between(parser *p, expr_node *left, bool negate) {
    advance(p); /* BETWEEN */
    expr_node *lo = parse_concat(p);
    if (!lo || !expect_word(p, "and")) return NULL;
    expr_node *hi = parse_concat(p);
    if (!hi) return NULL;
    expr_node *n = new_node(p, EXPR_BETWEEN, left->pos, 3);
    n->kids[0] = left;
    n->kids[1] = lo;
    n->kids[2] = hi;
    n->negate = negate;
    return finish(p, n);
}

static expr_node *parse_like(parser *p, expr_node *left, bool negate) {
    bool ilike = at_word(p, "ilike");
    advance(p);
    expr_node *pattern = parse_concat(p);
    if (!pattern) return NULL;
    uint32_t escape = '\\';
    if (accept_word(p, "escape")) {
        token t = p->tok;
        size_t len;
        const char *s = t.kind == T_STR ? unquote(p, &t, &len) : NULL;
        if (!s || len == 0 || sl_expr_utf8_next(s, len, &escape) != len) {
            fail_expected(p, "a one-character string after ESCAPE");
            return NULL;
        }
        advance(p);
    }
    expr_node *n = new_node(p, EXPR_LIKE, left->pos, 2);
    n->kids[0] = left;
    n->kids[1] = pattern;
    n->negate = negate;
    n->flag = ilike;
    n->escape = escape;
    return finish(p, n);
}

static expr_kind compare_kind(tok_kind t) {
    switch (t) {
    case T_EQ: return EXPR_EQ;
    case T_NE: return EXPR_NE;
    case T_LT: return EXPR_LT;
    case T_LE: return EXPR_LE;
    case T_GT: return EXPR_GT;
    case T_GE: return EXPR_GE;
    default: return EXPR_LIT;
    }
}

/* comparisons and the SQL predicates, left to right at one level */
static expr_node *parse_predicate(parser *p) {
    expr_node *left = parse_concat(p);
    while (left) {
        expr_kind cmp = compare_kind(p->tok.kind);
        if (cmp != EXPR_LIT) {
            advance(p);
            left = binary(p, cmp, left, parse_concat(p));
            continue;
        }
        if (at_word(p, "is")) {
            advance(p);
            bool negate = accept_word(p, "not");
            if (!expect_word(p, "null")) return NULL;
            expr_node *n = new_node(p, EXPR_IS_NULL, left->pos, 1);
            n->kids[0] = left;
            n->negate = negate;
            left = finish(p, n);
            continue;
        }
        bool negate = false;
        if (at_word(p, "not")) {
            token next = peek(p);
            if (!tok_is_word(p, &next, "in") && !tok_is_word(p, &next, "between") && !tok_is_word(p, &next, "like") &&
                !tok_is_word(p, &next, "ilike"))
                break;
            advance(p);
            negate = true;
        }
        if (at_word(p, "in"))
            left = parse_in(p, left, negate);
        else if (at_word(p, "between"))
            left = parse_between(p, left, negate);
        else if (at_word(p, "like") || at_word(p, "ilike"))
            left = parse_like(p, left, negate);
        else
            break;
    }
    return left;
}

static expr_node *parse_not(parser *p) {
    if (!at_word(p, "not")) return parse_predicate(p);
    uint32_t pos = p->tok.pos;
    if (!enter(p)) return NULL;
    advance(p);
    expr_node *operand = parse_not(p);
    leave(p);
    if (!operand) return NULL;
    expr_node *n = new_node(p, EXPR_NOT, pos, 1);
    n->kids[0] = operand;
    return finish(p, n);
}

static expr_node *parse_and(parser *p) {
    expr_node *left = parse_not(p);
    while (accept_word(p, "and"))
        left = binary(p, EXPR_AND, left, parse_not(p));
    return left;
}

static expr_node *parse_or(parser *p) {
    expr_node *left = parse_and(p);
    while (accept_word(p, "or"))
        left = binary(p, EXPR_OR, left, parse_and(p));
    return left;
}

static expr_node *parse_expr(parser *p) {
    if (!enter(p)) return NULL;
    expr_node *n = parse_or(p);
    leave(p);
    return p->failed ? NULL : n;
}

/* ---- public API ---- */

int sl_expr_compile(const char *text, sl_expr **out, sl_error *err) {
    *out = NULL;
    size_t len = strlen(text);
    if (len > SL_EXPR_MAX_TEXT) {
        sl_error_set(err, SL_EINVAL, "expression longer than %d bytes", SL_EXPR_MAX_TEXT);
        if (err) err->column = 1, err->offset = 0;
        return SL_EINVAL;
    }
    sl_expr *e = sl_xcalloc(1, sizeof *e);
    sl_arena_init(&e->mem);
    e->text = sl_arena_strndup(&e->mem, text, len);
    parser p = {.e = e, .text = e->text, .text_len = len, .err = err};
    sl_arena_init(&p.scratch);
    p.tok = lex_at(&p, 0);
    if (p.failed) p.tok.kind = T_EOF;
    if (p.tok.kind == T_EOF && !p.failed) fail_at(&p, p.tok.pos, "expected an expression but found end of expression");
    expr_node *root = p.failed ? NULL : parse_expr(&p);
    if (root && p.tok.kind != T_EOF) fail_expected(&p, "an operator or end of expression");
    sl_arena_free(&p.scratch);
    if (p.failed || !root) {
        if (!p.failed) fail_at(&p, p.tok.pos, "invalid expression");
        sl_expr_free(e);
        return SL_EINVAL;
    }
    e->root = root;
    *out = e;
    return 0;
}

void sl_expr_free(sl_expr *e) {
    if (!e) return;
    sl_arena_free(&e->mem);
    free(e);
}

const char *sl_expr_text(const sl_expr *e) { return e->text; }

size_t sl_expr_fields(const sl_expr *e, const char ***paths) {
    if (paths) *paths = e->paths;
    return e->npaths;
}
