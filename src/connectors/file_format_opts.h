/*
 * file_format_opts.h — format options (CSV delimiter, quote, header, …)
 * read from a read_file / write_file node; defined in file_source.c.
 */
#ifndef SL_FILE_FORMAT_OPTS_H
#define SL_FILE_FORMAT_OPTS_H

#include "exec/node.h"
#include "formats/format.h"

/* Fill fo from the node's options that exist in its table (delimiter, quote,
 * header, and when present escape, null_text, infer_types, multiline,
 * types). Error located at the offending option. */
int sl_file_format_opts(sl_node *node, sl_format_opts *fo, sl_error *err);

#endif
