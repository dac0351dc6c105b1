/*
 * catalog_int.h — what the catalog's own files share (catalog.c,
 * catalog_json.c, catalog_model.c) and nobody else uses.
 */
#ifndef SL_CATALOG_INT_H
#define SL_CATALOG_INT_H

#include "catalog/catalog.h"

/* Is extra (may be NULL) acceptable as an extra_json member: a JSON
 * object? SL_EINVAL naming `what` ("table 'db.t'") otherwise. */
int sl_catalog_check_extra(const char *extra, const char *what, sl_error *err);

#endif
