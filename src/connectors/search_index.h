/*
 * search_index.h — the embedded search index: one SQLite file (FTS5) per
 * index, written by the `search_index` target and read by `sluice search`.
 *
 * Three parts, each usable on its own (the unit tests drive them directly):
 *   - the query language of `sluice search` (parse only; the index and the
 *     OpenSearch translation give clauses their meaning);
 *   - the writer side: staging files filled in parallel, merged into the
 *     index in one transaction (the target's commit);
 *   - the reader side: open an index, count and list hits.
 * The file layout, the publishing protocol and the query semantics are
 * described at the top of search_index.c and in docs/search.md.
 */
#ifndef SL_SEARCH_INDEX_H
#define SL_SEARCH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"

/* ---- query language ----
 *
 *   timeout "connection reset" service_name:auth-service -debug log_level:"ERROR" time*
 *
 * Clauses are separated by white space and all must hold (AND):
 *   word            a full-text term            (SL_SQ_TERM)
 *   word*           a full-text prefix          (SL_SQ_TERM, prefix)
 *   "a phrase"      words next to each other    (SL_SQ_PHRASE; \" and \\ escape)
 *   field:value     exact match on a field      (SL_SQ_FIELD; value may be quoted;
 *                   value* is a prefix match, field:* "has the field")
 *   -clause         negation of any of the above
 */
typedef enum sl_sq_kind { SL_SQ_TERM, SL_SQ_PHRASE, SL_SQ_FIELD } sl_sq_kind;

typedef struct sl_sq_clause {
    sl_sq_kind kind;
    bool negated;
    bool prefix; /* TERM / FIELD: value ends with an unquoted '*' (not part of text) */
    char *field; /* FIELD: the field name; NULL otherwise */
    char *text;  /* the term, phrase or value, unescaped (may be "" for field:*) */
} sl_sq_clause;

typedef struct sl_search_query {
    sl_sq_clause *clauses;
    size_t n;
} sl_search_query;

/* Parse query text into q (caller frees with sl_search_query_free, also
 * after a failure). An empty query has no clauses and matches everything.
 * Returns SL_EINVAL with a message naming the character position on
 * syntax errors (unclosed quote, lone '-', "field:" without a value). */
int sl_search_query_parse(const char *text, sl_search_query *q, sl_error *err);
void sl_search_query_free(sl_search_query *q);

/* ---- layout: what an index holds ---- */

typedef struct sl_search_layout {
    char **text_fields; /* full-text (FTS5) fields, dotted paths; at least one */
    size_t n_text;
    char **keyword_fields; /* exact-match fields */
    size_t n_keyword;
    char *time_field; /* NULL: documents have no time */
    char *id_field;   /* NULL: documents never replace each other */
} sl_search_layout;

/* Release the strings and arrays of l (not l itself). */
void sl_search_layout_free(sl_search_layout *l);
/* Are the two layouts the same (same fields, same order)? */
bool sl_search_layout_equal(const sl_search_layout *a, const sl_search_layout *b);
/* Check field names: non-empty, no '"', not starting with '_', no field both
 * full-text and exact, no duplicates. SL_EINVAL with a message otherwise. */
int sl_search_layout_check(const sl_search_layout *l, sl_error *err);

/* ---- writer side ----
 *
 * A stage is a private SQLite file that one writer at a time fills with
 * extracted rows; any number of stages are merged into the index in one
 * transaction by sl_search_merge. Records are ordered by the caller's seq
 * keys: when two records have the same id, the one with the larger seq
 * wins (input order). */
typedef struct sl_search_stage sl_search_stage;

/* Create the stage file at path (must not exist) for layout l (checked with
 * sl_search_layout_check: SL_EINVAL). The caller owns *out and closes it
 * with sl_search_stage_close; l is copied as compiled field paths. */
int sl_search_stage_open(const char *path, const sl_search_layout *l, sl_search_stage **out, sl_error *err);
/* Begin a batch (one transaction). */
int sl_search_stage_begin(sl_search_stage *s, sl_error *err);
/* Stage one record under key seq (unique within the run). scratch: arena
 * for text conversions (the caller resets it). A record that cannot be
 * indexed (not a struct, id missing, time unreadable) returns SL_ETYPE with
 * the reason in err->message and stages nothing; other failures are I/O
 * errors from SQLite. *bytes gets the size of the stored document. */
int sl_search_stage_add(sl_search_stage *s, uint64_t seq, const sl_value *rec, sl_arena *scratch, uint64_t *bytes,
                        sl_error *err);
/* End the batch (commit the transaction). */
int sl_search_stage_end(sl_search_stage *s, sl_error *err);
/* Close the connection, rolling back a batch that was begun but not ended
 * (the file stays for the merge; NULL is ignored). */
void sl_search_stage_close(sl_search_stage *s);

/* Merge stage files into the index at index_path (created with layout l
 * when missing; its directory must exist). In one transaction: with
 * overwrite every earlier document is removed first (and a different layout
 * is allowed, the index is rebuilt); otherwise an existing index must have
 * layout l (SL_EINVAL naming both). Staged rows are applied in seq order;
 * a row whose id is already indexed replaces that document. On any failure
 * the index is left exactly as it was. *docs_written (may be NULL) gets the
 * number of staged rows applied. The stage files are not removed. */
int sl_search_merge(const char *index_path, const char *index_name, const sl_search_layout *l, bool overwrite,
                    const char *const *stage_paths, size_t n_stages, const char *run_id, uint64_t *docs_written,
                    sl_error *err);

/* ---- reader side ---- */

typedef struct sl_search_index sl_search_index;

/* Open an index read-only. SL_ENOTFOUND when the file does not exist,
 * SL_EINVAL when it is not a sluice search index. */
int sl_search_index_open(const char *path, sl_search_index **out, sl_error *err);
void sl_search_index_close(sl_search_index *ix);
/* The index's layout and name (owned by ix). */
const sl_search_layout *sl_search_index_layout(const sl_search_index *ix);
const char *sl_search_index_name(const sl_search_index *ix);
/* Layout stored in the index at path, or SL_ENOTFOUND when it does not
 * exist (l filled on success; free with sl_search_layout_free). */
int sl_search_index_read_layout(const char *path, sl_search_layout *l, sl_error *err);

typedef enum sl_search_sort {
    SL_SEARCH_SORT_TIME_DESC, /* newest first (default) */
    SL_SEARCH_SORT_TIME_ASC,
    SL_SEARCH_SORT_RELEVANCE /* BM25 over the full-text clauses; newest first without any */
} sl_search_sort;

typedef struct sl_search_request {
    const sl_search_query *query;
    bool has_from, has_to;
    int64_t from_ms, to_ms; /* time range [from, to), epoch milliseconds */
    sl_search_sort sort;
    uint64_t limit; /* 0 = every hit */
} sl_search_request;

typedef struct sl_search_hit {
    const char *id; /* NULL without an id field */
    bool has_time;
    int64_t time_ms;
    const char *const *keywords; /* parallel to layout->keyword_fields; NULL where absent */
    const char *source;          /* the stored document (compact JSON) */
    size_t source_len;
} sl_search_hit;

/* Call on_hit for each hit in order (valid only during the call); a
 * non-zero return from on_hit stops the search and is returned. Unknown
 * fields in the query, or a time range on an index without a time field,
 * return SL_EINVAL with a message listing what the index has. */
int sl_search_index_search(sl_search_index *ix, const sl_search_request *req,
                           int (*on_hit)(void *ud, const sl_search_hit *hit), void *ud, sl_error *err);
/* Number of hits of req (limit and sort ignored). */
int sl_search_index_count(sl_search_index *ix, const sl_search_request *req, uint64_t *count, sl_error *err);

/* ---- helpers shared with `sluice search` ---- */

/* Read a time for --from/--to: epoch milliseconds (digits), ISO 8601 date
 * or timestamp, "now", or an age before now_ms such as 15m, 1h, 7d, 2w
 * (units s, m, h, d, w). SL_EINVAL otherwise. */
int sl_search_parse_time(const char *text, int64_t now_ms, int64_t *out_ms);
/* Epoch milliseconds as "2024-11-22T18:26:40.663Z" (UTC) into out. */
void sl_search_format_time(int64_t ms, char *out, size_t size);
/* Time value of a record field as epoch milliseconds: integers and
 * doubles are milliseconds, strings are digits (milliseconds) or ISO 8601,
 * TIMESTAMP and DATE values convert. Returns false when v has no such
 * reading. */
bool sl_search_value_time(const sl_value *v, int64_t *out_ms);

#endif
