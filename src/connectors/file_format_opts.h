/*
 * file_format_opts.h — format options (CSV delimiter, quote, header, …)
 * read from a read_file / write_file node; defined in file_source.c.
 */
#ifndef SL_FILE_FORMAT_OPTS_H
#define SL_FILE_FORMAT_OPTS_H

#include "exec/node.h"
#include "formats/format.h"
#include "store/store.h"

/* Options every file source/target has for s3:// paths (in their tables). */
#define STORE_OPTIONS                                                                                              \
    {"region", SL_OPT_STRING, NULL,                                                                                \
     "AWS region for s3:// paths (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region).", NULL,    \
     0},                                                                                                           \
        {"endpoint", SL_OPT_STRING, NULL,                                                                          \
         "S3 endpoint URL for s3:// paths, e.g. http://127.0.0.1:7480 (default: AWS_ENDPOINT_URL_S3, "            \
         "AWS_ENDPOINT_URL, the profile's endpoint_url, then AWS). A custom endpoint uses path-style addressing.", \
         NULL, 0},                                                                                                 \
    {                                                                                                              \
        "profile", SL_OPT_STRING, NULL,                                                                            \
            "AWS profile for credentials and region (default: AWS_PROFILE, then default).", NULL, 0                \
    }

/* Store connection settings from a node's STORE_OPTIONS (strings borrowed
 * from the node). */
void sl_file_store_options(const sl_node *node, sl_store_options *so);

/* Fill fo from the node's options that exist in its table (delimiter, quote,
 * header, and when present escape, null_text, infer_types, multiline,
 * types). Error located at the offending option. */
int sl_file_format_opts(sl_node *node, sl_format_opts *fo, sl_error *err);

#endif
