/*
 * option.h — declarative option tables for job nodes (after Fluent Bit's
 * config map).
 *
 * Each node type lists its options once: name, type, default, help. The same
 * table validates job files (sl_options_parse), fills defaults, prints
 * `sluice help NODE` and generates docs/job-reference.md (`sluice help
 * --markdown`), so the documentation cannot drift from what is enforced.
 */
#ifndef SL_OPTION_H
#define SL_OPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/value.h"

typedef enum sl_opt_type {
    SL_OPT_STRING,   /* any scalar text */
    SL_OPT_PATH,     /* a local path or URL (s3://…); text */
    SL_OPT_INT,      /* integer (int64) */
    SL_OPT_DOUBLE,   /* number */
    SL_OPT_BOOL,     /* true/false/yes/no/on/off */
    SL_OPT_SIZE,     /* byte size: 1048576, "64MB", "1 GiB", "512k" (1024-based) */
    SL_OPT_ENUM,     /* one of `choices` ("json|csv|auto") */
    SL_OPT_LIST,     /* list of scalars (a scalar is taken as a one-item list) */
    SL_OPT_EXPR,     /* expression text (validated by the node's check hook) */
    SL_OPT_TREE      /* any YAML structure, kept as a value tree for the node */
} sl_opt_type;

enum {
    SL_OPTF_REQUIRED = 1 /* must be present (no default) */
};

typedef struct sl_option {
    const char *name;
    sl_opt_type type;
    const char *default_text; /* default as it would be written in YAML; NULL = none */
    const char *help;         /* one or more sentences, shown by `sluice help` */
    const char *choices;      /* SL_OPT_ENUM: "a|b|c"; otherwise NULL */
    unsigned flags;           /* SL_OPTF_* */
} sl_option;

/* A parsed option. For scalars `text` is the (substituted) text and the
 * typed member is filled; for LIST/TREE `tree` holds the structure: YAML
 * mappings become STRUCTs, sequences LISTs, scalars STRINGs. */
typedef struct sl_optval {
    bool set;        /* present in the file (false: default or absent) */
    bool has_value;  /* set or defaulted */
    const char *text;
    int64_t i;       /* INT, SIZE */
    double d;        /* DOUBLE (also filled for INT) */
    bool b;          /* BOOL */
    sl_value tree;   /* LIST, TREE */
    int line, column; /* where it was written (0 when defaulted) */
} sl_optval;

/* Convert scalar text to a typed option value (used for defaults and for
 * YAML scalars). On error fills err->message with what was expected. */
int sl_option_convert(const sl_option *opt, const char *text, sl_optval *out, sl_error *err);

/* Parse a byte size ("64MB", "1 GiB", "4096"). */
int sl_parse_size(const char *text, int64_t *out);

/* Append the help for one option table to buf: plain text (for `sluice help
 * NODE`) or a Markdown table (for docs). */
void sl_options_help(const sl_option *opts, bool markdown, sl_buf *buf);

#endif
