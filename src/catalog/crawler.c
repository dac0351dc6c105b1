/*
 * crawler.c — running a crawl (crawler.h): read every target
 * (crawler_scan.c), then apply what was found to the catalog under the
 * schema change policy, in one transaction that also records the crawl.
 *
 * Applying, per proposed table (docs/crawling.md has the full story):
 *   - no table of that name: create it with its partitions (new tables and
 *     partitions are always added, whatever the policy, as in Glue);
 *   - a table of that name that another crawler or a user made for another
 *     location: the new table gets the name plus "_" and 8 hex digits of a
 *     hash of its location (Glue adds a hash too);
 *   - the same table: compare columns, partition keys and format.
 *     UPDATE_IN_DATABASE replaces the definition (a new table version: new
 *     columns added, missing ones removed, types changed — Glue's "Update
 *     the table definition"), or with add_new_columns_only only adds new
 *     columns; LOG leaves it and records the difference. Statistics
 *     (recordCount, sizeKey, …) are refreshed without a new version.
 *     Partitions: new ones added; changed ones (columns, location) updated
 *     under UPDATE_IN_DATABASE; ones whose folder is gone removed under
 *     DELETE_FROM_DATABASE and DEPRECATE_IN_DATABASE (a partition has no
 *     deprecated mark), kept under LOG.
 *   - tables this crawler made before (UPDATED_BY_CRAWLER) that no target
 *     produced this time: their data is gone — deprecated, deleted or
 *     logged per the delete behavior.
 * CRAWL_NEW_FOLDERS_ONLY reads only objects in folders no earlier crawl of
 * this crawler read (the crawler's state keeps "folder:<url>" keys), adds
 * what it finds as new partitions of the table that holds them (or as new
 * tables), and never changes or removes anything.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catalog/crawler_int.h"
#include "catalog/infer_tables.h"
#include "core/mem.h"
#include "formats/json.h"

/* ================================================================== */
/* Shared with crawler_scan.c                                          */
/* ================================================================== */

void crawl_proposal_free(crawl_proposal *p) {
    sl_catalog_table_free(&p->table);
    for (size_t i = 0; i < p->n_parts; i++)
        sl_catalog_partition_free(&p->parts[i]);
    free(p->parts);
    free(p->root);
    free(p->conflicts_json);
    memset(p, 0, sizeof *p);
}

crawl_proposal *crawl_add_proposal(crawl_run *r) {
    if (r->n_props == r->cap_props)
        r->props = sl_xrealloc(r->props, (r->cap_props = r->cap_props ? r->cap_props * 2 : 8) * sizeof *r->props);
    crawl_proposal *p = &r->props[r->n_props++];
    memset(p, 0, sizeof *p);
    return p;
}

static uint64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void crawl_progress(crawl_run *r, sl_crawl_phase phase, bool force) {
    if (!r->opts || !r->opts->progress) return;
    uint64_t now = mono_ms();
    if (!force && now - r->last_progress_ms < 100) return;
    r->last_progress_ms = now;
    sl_crawl_progress p = {
        .phase = phase,
        .target = r->target,
        .objects_listed = atomic_load(&r->listed),
        .objects_classified = atomic_load(&r->classified),
        .objects_to_classify = atomic_load(&r->to_classify),
        .items_read = atomic_load(&r->items),
    };
    r->opts->progress(r->opts->progress_ud, &p);
}

bool crawl_cancelled(const crawl_run *r) { return r->opts && r->opts->cancel && *r->opts->cancel; }

int crawl_stopped_error(sl_error *err) {
    return sl_error_set(err, SL_ELIMIT, "the crawl was stopped before it finished; the catalog is unchanged");
}

void crawl_skip(crawl_run *r, const char *key, const char *reason) {
    pthread_mutex_lock(&r->lock);
    sl_crawl_report *rep = r->report;
    rep->objects_skipped++;
    if (rep->n_skipped < CRAWL_SKIPPED_KEPT) {
        if (!rep->skipped) rep->skipped = sl_xcalloc(CRAWL_SKIPPED_KEPT, sizeof *rep->skipped);
        rep->skipped[rep->n_skipped].key = sl_xstrdup(key);
        rep->skipped[rep->n_skipped].reason = sl_xstrdup(reason ? reason : "");
        rep->n_skipped++;
    }
    pthread_mutex_unlock(&r->lock);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

bool crawl_folder_known(const crawl_run *r, const char *folder) {
    return r->n_known_folders && bsearch(&folder, r->known_folders, r->n_known_folders, sizeof(char *), cmp_str);
}

/* ================================================================== */
/* Small helpers                                                       */
/* ================================================================== */

#define FOLDER_KEY "folder:"

static bool str_eq(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

static const char *param(const sl_catalog_table *t, const char *key) {
    return sl_catalog_params_get(&t->parameters, key);
}

static void json_str(sl_buf *b, const char *s) { sl_json_write_string(b, s ? s : "", s ? strlen(s) : 0); }

/* Classification, compression, CSV dialect, location or SerDe differ. */
static bool format_changed(const sl_catalog_table *old_t, const sl_catalog_table *new_t) {
    static const char *const keys[] = {"classification", "compressionType", "delimiter", "skip.header.line.count"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!str_eq(param(old_t, keys[i]), param(new_t, keys[i]))) return true;
    return !str_eq(old_t->sd.location, new_t->sd.location) ||
           !str_eq(old_t->sd.serde.serialization_library, new_t->sd.serde.serialization_library) ||
           !str_eq(old_t->sd.input_format, new_t->sd.input_format);
}

static bool params_equal(const sl_catalog_params *a, const sl_catalog_params *b) {
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++)
        if (!str_eq(sl_catalog_params_get(b, a->items[i].key), a->items[i].value)) return false;
    return true;
}

static bool columns_equal(const sl_catalog_columns *a, const sl_catalog_columns *b) {
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->items[i].name, b->items[i].name) || !str_eq(a->items[i].type, b->items[i].type)) return false;
    return true;
}

/* Values joined with 0x1f, to compare partitions. */
static char *values_key(const sl_catalog_partition *p) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    for (size_t i = 0; i < p->n_values; i++) {
        if (i) sl_buf_addc(&b, 0x1f);
        sl_buf_adds(&b, p->values[i] ? p->values[i] : "");
    }
    sl_buf_addc(&b, 0);
    return sl_buf_detach(&b);
}

/* "+a, +b; -c; x bigint→double" from a schema diff (NULL when empty). */
static char *diff_note(const sl_catalog_schema_diff *d) {
    if (!d->count) return NULL;
    sl_buf b;
    sl_buf_init(&b, 4096);
    for (size_t i = 0; i < d->count; i++) {
        const sl_catalog_column_change *c = &d->items[i];
        if (i) sl_buf_adds(&b, ", ");
        const char *pk = c->partition_key ? " (partition key)" : "";
        if (c->kind == SL_CATALOG_COLUMN_ADDED)
            sl_buf_printf(&b, "+%s %s%s", c->name, c->new_type, pk);
        else if (c->kind == SL_CATALOG_COLUMN_REMOVED)
            sl_buf_printf(&b, "-%s%s", c->name, pk);
        else
            sl_buf_printf(&b, "%s %s→%s%s", c->name, c->old_type, c->new_type, pk);
    }
    return sl_buf_detach(&b);
}

/* ================================================================== */
/* Applying                                                            */
/* ================================================================== */

typedef struct applier {
    sl_catalog *cat;
    crawl_run *r;
    const sl_crawler_def *def;
    sl_catalog_table_list existing; /* the database's tables before the crawl */
    char **applied;                 /* names of tables this crawl produced */
    size_t n_applied;
    sl_buf changes; /* the crawl's changes JSON array */
    size_t n_changes;
    sl_catalog_crawl *crawl; /* counts */
} applier;

static sl_catalog_table *existing_named(applier *a, const char *name) {
    for (size_t i = 0; i < a->existing.count; i++)
        if (!strcmp(a->existing.items[i].name, name)) return &a->existing.items[i];
    return NULL;
}

static bool name_applied(const applier *a, const char *name) {
    for (size_t i = 0; i < a->n_applied; i++)
        if (!strcmp(a->applied[i], name)) return true;
    return false;
}

static sl_crawl_table_result *add_result(applier *a, const char *name, const char *location, const char *cls,
                                         sl_crawl_action action) {
    sl_crawl_report *rep = a->r->report;
    rep->tables = sl_xrealloc(rep->tables, (rep->n_tables + 1) * sizeof *rep->tables);
    sl_crawl_table_result *t = &rep->tables[rep->n_tables++];
    memset(t, 0, sizeof *t);
    t->name = sl_xstrdup(name);
    t->location = location ? sl_xstrdup(location) : NULL;
    t->classification = cls ? sl_xstrdup(cls) : NULL;
    t->action = action;
    return t;
}

static const char *const ACTION_JSON[] = {"CREATED",    "UPDATED", "UNCHANGED",     "CHANGE_LOGGED",
                                          "DEPRECATED", "DELETED", "REMOVAL_LOGGED"};

/* One entry of the crawl's changes array. */
static void record_change(applier *a, const sl_crawl_table_result *t, const sl_catalog_schema_diff *diff,
                          const char *conflicts, const char *why) {
    sl_buf *b = &a->changes;
    sl_buf_adds(b, a->n_changes++ ? "," : "");
    sl_buf_adds(b, "{\"Table\":");
    json_str(b, t->name);
    sl_buf_adds(b, ",\"Action\":");
    json_str(b, ACTION_JSON[t->action]);
    if (t->location) {
        sl_buf_adds(b, ",\"Location\":");
        json_str(b, t->location);
    }
    if (why) {
        sl_buf_adds(b, ",\"Reason\":");
        json_str(b, why);
    }
    if (diff && diff->count) {
        sl_buf_adds(b, ",\"Changes\":");
        sl_catalog_schema_diff_json(diff, b);
    }
    if (conflicts) {
        sl_buf_adds(b, ",\"TypeConflicts\":");
        sl_buf_adds(b, conflicts);
    }
    if (t->partitions_added || t->partitions_updated || t->partitions_removed)
        sl_buf_printf(b, ",\"PartitionsAdded\":%zu,\"PartitionsUpdated\":%zu,\"PartitionsRemoved\":%zu",
                      t->partitions_added, t->partitions_updated, t->partitions_removed);
    sl_buf_addc(b, '}');
}

/* Add parts[i] for each i with pick[i] (shallow copies: the catalog copies). */
static int add_parts(applier *a, const char *table, const sl_catalog_partition *parts, const bool *pick, size_t n,
                     sl_catalog_exists existing, size_t *count, sl_error *err) {
    sl_catalog_partition *batch = sl_xcalloc(n ? n : 1, sizeof *batch);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!pick || pick[i]) batch[m++] = parts[i];
    size_t added = 0, updated = 0;
    int rc = m ? sl_catalog_add_partitions(a->cat, a->def->database, table, batch, m, existing, &added, &updated, err)
               : SL_OK;
    free(batch);
    *count = existing == SL_CATALOG_EXISTING_UPDATE ? updated : added;
    return rc;
}

typedef struct keyed {
    char *key;
    size_t index;
} keyed;

static int cmp_keyed(const void *a, const void *b) { return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key); }

/* Partitions of an existing table against the proposal's. */
static int apply_partitions(applier *a, const crawl_proposal *p, const sl_catalog_table *now,
                            sl_crawl_table_result *res, bool may_change, sl_error *err) {
    sl_catalog_partition_list have = {0};
    int rc = sl_catalog_list_partitions(a->cat, a->def->database, now->name, NULL, 0, &have, err);
    if (rc) return rc;
    size_t n_keys = now->partition_keys.count;
    bool *is_new = sl_xcalloc(p->n_parts ? p->n_parts : 1, sizeof *is_new);
    bool *is_changed = sl_xcalloc(p->n_parts ? p->n_parts : 1, sizeof *is_changed);
    bool *seen = sl_xcalloc(have.count ? have.count : 1, sizeof *seen);
    /* the stored partitions by their values */
    keyed *index = sl_xcalloc(have.count ? have.count : 1, sizeof *index);
    for (size_t j = 0; j < have.count; j++)
        index[j] = (keyed){values_key(&have.items[j]), j};
    if (have.count > 1) qsort(index, have.count, sizeof *index, cmp_keyed);
    size_t n_changed = 0;
    for (size_t i = 0; i < p->n_parts; i++) {
        const sl_catalog_partition *np = &p->parts[i];
        if (np->n_values != n_keys) continue; /* the table kept other keys (LOG) */
        keyed probe = {values_key(np), 0};
        const keyed *hit = have.count ? bsearch(&probe, index, have.count, sizeof *index, cmp_keyed) : NULL;
        free(probe.key);
        if (!hit) {
            is_new[i] = true;
            continue;
        }
        seen[hit->index] = true;
        const sl_catalog_partition *hp = &have.items[hit->index];
        if (!columns_equal(&hp->sd.columns, &np->sd.columns) || !str_eq(hp->sd.location, np->sd.location)) {
            is_changed[i] = true;
            n_changed++;
        }
    }
    for (size_t j = 0; j < have.count; j++)
        free(index[j].key);
    free(index);
    size_t count = 0;
    rc = add_parts(a, now->name, p->parts, is_new, p->n_parts, SL_CATALOG_EXISTING_SKIP, &count, err);
    res->partitions_added = count;
    if (!rc && n_changed && may_change && a->def->update_behavior == SL_CRAWL_UPDATE_IN_DATABASE) {
        rc = add_parts(a, now->name, p->parts, is_changed, p->n_parts, SL_CATALOG_EXISTING_UPDATE, &count, err);
        res->partitions_updated = count;
    }
    /* partitions whose folder is gone, or whose keys no longer fit */
    if (!rc && may_change && a->def->delete_behavior != SL_CRAWL_DELETE_LOG) {
        sl_catalog_partition *gone = sl_xcalloc(have.count ? have.count : 1, sizeof *gone);
        size_t n_gone = 0;
        for (size_t j = 0; j < have.count; j++)
            if (!seen[j]) gone[n_gone++] = have.items[j];
        size_t deleted = 0;
        if (n_gone) rc = sl_catalog_delete_partitions(a->cat, a->def->database, now->name, gone, n_gone, &deleted, err);
        res->partitions_removed = deleted;
        free(gone);
    }
    free(is_new);
    free(is_changed);
    free(seen);
    sl_catalog_partition_list_free(&have);
    a->crawl->partitions_added += (int64_t)res->partitions_added;
    a->crawl->partitions_updated += (int64_t)res->partitions_updated;
    a->crawl->partitions_removed += (int64_t)res->partitions_removed;
    return rc;
}

static int create_new(applier *a, const crawl_proposal *p, sl_crawl_table_result **out, sl_error *err) {
    const sl_catalog_table *t = &p->table;
    int rc = sl_catalog_create_table(a->cat, t, err);
    if (rc) return rc;
    sl_crawl_table_result *res =
        add_result(a, t->name, t->sd.location, param(t, "classification"), SL_CRAWL_TABLE_CREATED);
    size_t added = 0;
    rc = add_parts(a, t->name, p->parts, NULL, p->n_parts, SL_CATALOG_EXISTING_SKIP, &added, err);
    res->partitions_added = added;
    a->crawl->tables_created++;
    a->crawl->partitions_added += (int64_t)added;
    *out = res;
    return rc;
}

/* The definition UPDATE_IN_DATABASE stores: the crawler's, keeping what a
 * user wrote that the crawler never sets (description, owner). */
static void updated_definition(const sl_catalog_table *old_t, const sl_catalog_table *new_t, bool merge_columns,
                               sl_catalog_table *out) {
    sl_catalog_table_copy(out, new_t);
    if (old_t->description && !out->description) out->description = sl_xstrdup(old_t->description);
    if (old_t->owner && !out->owner) out->owner = sl_xstrdup(old_t->owner);
    out->deprecated = false;
    if (!merge_columns) return;
    /* Glue's MergeNewColumns: the existing columns as they are, then the new ones */
    sl_catalog_columns cols = {0};
    for (size_t i = 0; i < old_t->sd.columns.count; i++)
        sl_catalog_columns_add(&cols, old_t->sd.columns.items[i].name, old_t->sd.columns.items[i].type,
                               old_t->sd.columns.items[i].comment);
    for (size_t i = 0; i < new_t->sd.columns.count; i++)
        if (sl_catalog_columns_find(&cols, new_t->sd.columns.items[i].name) < 0)
            sl_catalog_columns_add(&cols, new_t->sd.columns.items[i].name, new_t->sd.columns.items[i].type, NULL);
    sl_catalog_columns_free(&out->sd.columns);
    out->sd.columns = cols;
    sl_catalog_columns_free(&out->partition_keys);
    for (size_t i = 0; i < old_t->partition_keys.count; i++)
        sl_catalog_columns_add(&out->partition_keys, old_t->partition_keys.items[i].name,
                               old_t->partition_keys.items[i].type, NULL);
}

/* A proposal for a table that exists (same name, same crawler or location). */
static int apply_existing(applier *a, const crawl_proposal *p, sl_catalog_table *old_t, sl_error *err) {
    const sl_catalog_table *new_t = &p->table;
    bool update = a->def->update_behavior == SL_CRAWL_UPDATE_IN_DATABASE;
    bool merge = a->def->add_new_columns_only && p->root; /* Glue: S3 tables only */
    sl_catalog_schema_diff diff = {0};
    sl_catalog_diff_tables(old_t, new_t, &diff);
    bool fmt = format_changed(old_t, new_t);
    sl_crawl_action action = SL_CRAWL_TABLE_UNCHANGED;
    const char *why = NULL;
    int rc = SL_OK;
    sl_catalog_table def = {0};
    if (merge && fmt) {
        /* Glue: "If a fundamental Amazon S3 table attribute changes, such as
         * classification, compression type, or CSV delimiter, mark the
         * table as deprecated." */
        why = "the format changed (add_new_columns_only)";
        if (update && !old_t->deprecated) {
            rc = sl_catalog_deprecate_table(a->cat, old_t->database, old_t->name, true, err);
            action = SL_CRAWL_TABLE_DEPRECATED;
            a->crawl->tables_deprecated++;
        } else if (!update) {
            action = SL_CRAWL_TABLE_LOGGED;
        }
    } else {
        bool schema_changed = diff.count > 0;
        if (merge) {
            schema_changed = false;
            for (size_t i = 0; i < diff.count; i++)
                if (diff.items[i].kind == SL_CATALOG_COLUMN_ADDED && !diff.items[i].partition_key)
                    schema_changed = true;
        }
        if ((schema_changed || fmt) && !update) {
            action = SL_CRAWL_TABLE_LOGGED;
            if (old_t->deprecated) rc = sl_catalog_deprecate_table(a->cat, old_t->database, old_t->name, false, err);
        } else if (schema_changed || fmt) {
            updated_definition(old_t, new_t, merge, &def);
            rc = sl_catalog_update_table(a->cat, &def, 0, NULL, err);
            action = SL_CRAWL_TABLE_UPDATED;
            a->crawl->tables_updated++;
        } else if (update && (old_t->deprecated || !params_equal(&old_t->parameters, &new_t->parameters))) {
            /* statistics only: refreshed in place, not a new version */
            updated_definition(old_t, new_t, merge, &def);
            rc = sl_catalog_update_table(a->cat, &def, SL_CATALOG_SKIP_ARCHIVE, NULL, err);
        } else if (old_t->deprecated) {
            rc = sl_catalog_deprecate_table(a->cat, old_t->database, old_t->name, false, err);
        }
    }
    sl_crawl_table_result *res = add_result(a, new_t->name, new_t->sd.location, param(new_t, "classification"), action);
    res->n_columns = new_t->sd.columns.count;
    res->n_partitions = p->n_parts;
    res->note = diff_note(&diff);
    if (old_t->deprecated && !(merge && fmt) && !res->note)
        res->note = sl_xstrdup("its data is back: no longer deprecated");
    if (!rc && !(merge && fmt)) {
        /* partitions follow the table as it now is in the catalog */
        sl_catalog_table now = {0};
        rc = sl_catalog_get_table(a->cat, old_t->database, old_t->name, &now, err);
        if (!rc) rc = apply_partitions(a, p, &now, res, true, err);
        sl_catalog_table_free(&now);
    }
    if (!rc && (action != SL_CRAWL_TABLE_UNCHANGED || res->partitions_added || res->partitions_updated ||
                res->partitions_removed || p->conflicts_json))
        record_change(a, res, &diff, p->conflicts_json, why);
    sl_catalog_table_free(&def);
    sl_catalog_schema_diff_free(&diff);
    return rc;
}

static uint32_t fnv32(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* Rename a proposal whose name belongs to another table (Glue's hash suffix). */
static void rename_proposal(applier *a, crawl_proposal *p) {
    sl_buf b;
    sl_buf_init(&b, SL_BUF_UNLIMITED);
    size_t base_len = strlen(p->table.name);
    if (base_len > SL_GLUE_TABLE_NAME_MAX - 9) base_len = SL_GLUE_TABLE_NAME_MAX - 9;
    sl_buf_add(&b, p->table.name, base_len);
    sl_buf_printf(&b, "_%08x", fnv32(p->table.sd.location ? p->table.sd.location : ""));
    size_t base = b.len;
    for (unsigned k = 2;; k++) {
        sl_buf_addc(&b, 0);
        b.len--;
        const sl_catalog_table *e = existing_named(a, b.data);
        bool taken = name_applied(a, b.data) || (e && !str_eq(e->sd.location, p->table.sd.location) &&
                                                 !str_eq(param(e, "UPDATED_BY_CRAWLER"), a->def->name));
        if (!taken) break;
        b.len = base;
        sl_buf_printf(&b, "_%u", k);
    }
    free(p->table.name);
    p->table.name = sl_buf_detach(&b);
    for (size_t i = 0; i < p->n_parts; i++) {
        free(p->parts[i].table);
        p->parts[i].table = sl_xstrdup(p->table.name);
    }
}

static void note_applied(applier *a, const char *name) {
    a->applied = sl_xrealloc(a->applied, (a->n_applied + 1) * sizeof *a->applied);
    a->applied[a->n_applied++] = sl_xstrdup(name);
}

/* ---- CRAWL_NEW_FOLDERS_ONLY ---- */

/* The existing table whose location holds folder `loc` exactly `depth`
 * partition levels down (depth = its partition key count), or NULL. */
static sl_catalog_table *table_holding(applier *a, const char *loc, char ***values, size_t *n_values) {
    for (size_t i = 0; i < a->existing.count; i++) {
        sl_catalog_table *t = &a->existing.items[i];
        const char *tl = t->sd.location;
        if (!tl || !*tl || tl[strlen(tl) - 1] != '/' || strncmp(loc, tl, strlen(tl)) != 0) continue;
        const char *rel = loc + strlen(tl);
        size_t keys = t->partition_keys.count, segs = 0;
        for (const char *s = rel; *s; s++)
            if (*s == '/') segs++;
        if (segs != keys || (keys == 0 && *rel)) continue;
        char **v = sl_xcalloc(keys ? keys : 1, sizeof *v);
        const char *s = rel;
        sl_buf key, val;
        sl_buf_init(&key, SL_BUF_UNLIMITED);
        sl_buf_init(&val, SL_BUF_UNLIMITED);
        for (size_t k = 0; k < keys; k++) {
            const char *slash = strchr(s, '/');
            sl_buf_reset(&key);
            sl_buf_reset(&val);
            if (sl_hive_partition_dir(s, (size_t)(slash - s), &key, &val))
                v[k] = val.data ? sl_xstrndup(val.data, val.len) : sl_xstrdup("");
            else
                v[k] = sl_xstrndup(s, (size_t)(slash - s));
            s = slash + 1;
        }
        sl_buf_free(&key);
        sl_buf_free(&val);
        *values = v;
        *n_values = keys;
        return t;
    }
    return NULL;
}

static sl_catalog_table *existing_at(applier *a, const char *location) {
    for (size_t i = 0; i < a->existing.count; i++)
        if (location && str_eq(a->existing.items[i].sd.location, location)) return &a->existing.items[i];
    return NULL;
}

/* New folders hold a subset of the data: columns they lack are not gone. */
static void drop_removed(sl_catalog_schema_diff *d) {
    size_t k = 0;
    for (size_t i = 0; i < d->count; i++) {
        if (d->items[i].kind != SL_CATALOG_COLUMN_REMOVED) {
            d->items[k++] = d->items[i];
            continue;
        }
        free(d->items[i].name);
        free(d->items[i].old_type);
        free(d->items[i].new_type);
    }
    d->count = k;
}

/* Report a table met again by an incremental crawl: new partitions added,
 * a different schema in the new folders logged, never applied. */
static int incremental_into(applier *a, const crawl_proposal *p, sl_catalog_table *t, const sl_catalog_partition *parts,
                            size_t n_parts, sl_error *err) {
    note_applied(a, t->name);
    sl_crawl_table_result *res =
        add_result(a, t->name, t->sd.location, param(t, "classification"), SL_CRAWL_TABLE_UNCHANGED);
    res->n_columns = t->sd.columns.count;
    res->n_partitions = n_parts;
    crawl_proposal view = *p; /* the same table with these partitions */
    view.parts = (sl_catalog_partition *)parts;
    view.n_parts = n_parts;
    int rc = apply_partitions(a, &view, t, res, false, err);
    sl_catalog_schema_diff diff = {0};
    sl_catalog_diff_tables(t, &p->table, &diff);
    drop_removed(&diff);
    if (diff.count) {
        res->action = SL_CRAWL_TABLE_LOGGED;
        res->note = diff_note(&diff);
    }
    if (!rc && (res->partitions_added || diff.count)) record_change(a, res, &diff, p->conflicts_json, NULL);
    sl_catalog_schema_diff_free(&diff);
    return rc;
}

/* CRAWL_NEW_FOLDERS_ONLY: a proposal from new folders goes into the
 * existing table at its location, or whose partition folders hold its
 * folders; *handled false leaves it to be created as a new table. */
static int apply_incremental(applier *a, crawl_proposal *p, bool *handled, sl_error *err) {
    *handled = false;
    if (!p->root) return SL_OK; /* DynamoDB: read in full every time */
    sl_catalog_table *same = existing_at(a, p->table.sd.location);
    if (same && same->partition_keys.count == p->table.partition_keys.count) {
        *handled = true;
        return incremental_into(a, p, same, p->parts, p->n_parts, err);
    }
    size_t n_locs = p->n_parts ? p->n_parts : 1;
    sl_catalog_table *holder = NULL;
    sl_catalog_partition *parts = sl_xcalloc(n_locs, sizeof *parts);
    size_t n = 0;
    bool fits = true;
    for (size_t i = 0; i < n_locs && fits; i++) {
        const char *loc = p->n_parts ? p->parts[i].sd.location : p->table.sd.location;
        char **values = NULL;
        size_t n_values = 0;
        sl_catalog_table *t = table_holding(a, loc, &values, &n_values);
        if (!t || !t->partition_keys.count || (holder && t != holder)) {
            for (size_t k = 0; k < n_values; k++)
                free(values[k]);
            free(values);
            fits = false;
            break;
        }
        holder = t;
        sl_catalog_partition *cp = &parts[n++];
        cp->values = values;
        cp->n_values = n_values;
        cp->sd = p->n_parts ? p->parts[i].sd : p->table.sd; /* shallow: owned by the proposal */
        cp->parameters = p->n_parts ? p->parts[i].parameters : p->table.parameters;
    }
    int rc = SL_OK;
    if (fits && holder) {
        *handled = true;
        rc = incremental_into(a, p, holder, parts, n, err);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < parts[i].n_values; k++)
            free(parts[i].values[k]);
        free(parts[i].values);
    }
    free(parts);
    return rc;
}

static int apply_proposal(applier *a, crawl_proposal *p, sl_error *err) {
    bool incremental = a->def->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY;
    if (incremental) {
        bool handled;
        int rc = apply_incremental(a, p, &handled, err);
        if (rc || handled) return rc;
    }
    /* the name is ours when the table there is this crawler's or at the same place */
    for (;;) {
        sl_catalog_table *e = existing_named(a, p->table.name);
        bool clash = name_applied(a, p->table.name) || (e && !str_eq(e->sd.location, p->table.sd.location) &&
                                                        !str_eq(param(e, "UPDATED_BY_CRAWLER"), a->def->name));
        if (!clash) break;
        rename_proposal(a, p);
    }
    note_applied(a, p->table.name);
    sl_catalog_table *e = existing_named(a, p->table.name);
    if (!e) {
        sl_crawl_table_result *res = NULL;
        int rc = create_new(a, p, &res, err);
        if (!rc) {
            res->n_columns = p->table.sd.columns.count;
            res->n_partitions = p->n_parts;
            record_change(a, res, NULL, p->conflicts_json, NULL);
        }
        return rc;
    }
    if (incremental) return incremental_into(a, p, e, p->parts, p->n_parts, err);
    return apply_existing(a, p, e, err);
}

/* Tables this crawler made that no target produced this time. */
static int apply_gone(applier *a, sl_error *err) {
    if (a->def->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY) return SL_OK;
    for (size_t i = 0; i < a->existing.count; i++) {
        sl_catalog_table *t = &a->existing.items[i];
        if (!str_eq(param(t, "UPDATED_BY_CRAWLER"), a->def->name) || name_applied(a, t->name)) continue;
        int rc = SL_OK;
        sl_crawl_action action;
        switch (a->def->delete_behavior) {
        case SL_CRAWL_DELETE_FROM_DATABASE:
            rc = sl_catalog_delete_table(a->cat, t->database, t->name, err);
            action = SL_CRAWL_TABLE_DELETED;
            a->crawl->tables_deleted++;
            break;
        case SL_CRAWL_DELETE_LOG: action = SL_CRAWL_TABLE_GONE_LOGGED; break;
        default:
            if (t->deprecated) continue; /* already */
            rc = sl_catalog_deprecate_table(a->cat, t->database, t->name, true, err);
            action = SL_CRAWL_TABLE_DEPRECATED;
            a->crawl->tables_deprecated++;
            break;
        }
        if (rc) return rc;
        sl_crawl_table_result *res = add_result(a, t->name, t->sd.location, param(t, "classification"), action);
        res->n_columns = t->sd.columns.count;
        record_change(a, res, NULL, NULL, "no target holds its data any more");
    }
    return SL_OK;
}

static int apply_all(sl_catalog *cat, crawl_run *r, sl_error *err) {
    const sl_crawler_def *def = r->def;
    sl_catalog_crawl *crawl = &r->report->crawl;
    applier a = {.cat = cat, .r = r, .def = def, .crawl = crawl};
    sl_buf_init(&a.changes, SL_BUF_UNLIMITED);
    sl_buf_addc(&a.changes, '[');
    int rc = sl_catalog_begin(cat, err);
    if (rc) goto out;
    sl_catalog_database db = {.name = def->database};
    rc = sl_catalog_create_database(cat, &db, SL_CATALOG_IF_NOT_EXISTS, err);
    if (!rc) rc = sl_catalog_list_tables(cat, def->database, &a.existing, err);
    for (size_t i = 0; !rc && i < r->n_props; i++)
        rc = apply_proposal(&a, &r->props[i], err);
    if (!rc) rc = apply_gone(&a, err);
    if (!rc && def->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY) {
        char id[32];
        snprintf(id, sizeof id, "%" PRId64, crawl->id);
        sl_buf key;
        sl_buf_init(&key, SL_BUF_UNLIMITED);
        if (r->n_new_folders > 1) qsort(r->new_folders, r->n_new_folders, sizeof *r->new_folders, cmp_str);
        for (size_t i = 0; !rc && i < r->n_new_folders; i++) {
            if (i && !strcmp(r->new_folders[i], r->new_folders[i - 1])) continue;
            sl_buf_reset(&key);
            sl_buf_adds(&key, FOLDER_KEY);
            sl_buf_adds(&key, r->new_folders[i]);
            rc = sl_catalog_state_set(cat, def->name, key.data, id, err);
        }
        sl_buf_free(&key);
    }
    if (!rc) {
        sl_buf_addc(&a.changes, ']');
        free(crawl->changes_json);
        crawl->changes_json = sl_xstrndup(a.changes.data, a.changes.len);
        /* Glue's ErrorMessage is for failures; the counts are the summary */
        free(crawl->message);
        crawl->message = NULL;
        free(crawl->status);
        crawl->status = sl_xstrdup("COMPLETED");
        crawl->end_time = sl_catalog_now_ms();
        rc = sl_catalog_save_crawl(cat, crawl, err);
    }
    if (!rc)
        rc = sl_catalog_commit(cat, err);
    else
        sl_catalog_rollback(cat);
out:
    sl_catalog_table_list_free(&a.existing);
    for (size_t i = 0; i < a.n_applied; i++)
        free(a.applied[i]);
    free(a.applied);
    sl_buf_free(&a.changes);
    return rc;
}

/* ================================================================== */
/* The crawl                                                           */
/* ================================================================== */

static int load_known_folders(sl_catalog *cat, crawl_run *r, sl_error *err) {
    sl_catalog_params st = {0};
    int rc = sl_catalog_state_list(cat, r->def->name, FOLDER_KEY, &st, err);
    if (rc) return rc;
    r->known_folders = sl_xcalloc(st.count ? st.count : 1, sizeof *r->known_folders);
    for (size_t i = 0; i < st.count; i++)
        r->known_folders[r->n_known_folders++] = sl_xstrdup(st.items[i].key + strlen(FOLDER_KEY));
    if (r->n_known_folders > 1) qsort(r->known_folders, r->n_known_folders, sizeof *r->known_folders, cmp_str);
    sl_catalog_params_free(&st);
    return SL_OK;
}

static void reset_results(sl_crawl_report *rep) {
    for (size_t i = 0; i < rep->n_tables; i++) {
        free(rep->tables[i].name);
        free(rep->tables[i].location);
        free(rep->tables[i].classification);
        free(rep->tables[i].note);
    }
    free(rep->tables);
    rep->tables = NULL;
    rep->n_tables = 0;
}

int sl_crawler_run(sl_catalog *cat, const sl_crawler_def *def, const sl_crawl_opts *o, sl_crawl_report *out,
                   sl_error *err) {
    memset(out, 0, sizeof *out);
    sl_crawl_opts none = {0};
    crawl_run r = {.def = def, .opts = o ? o : &none, .report = out};
    pthread_mutex_init(&r.lock, NULL);
    r.threads = r.opts->threads > 0 ? r.opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (r.threads < 1) r.threads = 1;
    if (r.threads > 256) r.threads = 256;
    r.remote_threads = r.opts->threads > 0 ? r.threads : CRAWL_REMOTE_THREADS;
    uint64_t started = mono_ms();

    sl_catalog_crawl *crawl = &out->crawl;
    crawl->crawler = sl_xstrdup(def->name);
    crawl->status = sl_xstrdup("RUNNING");
    crawl->start_time = sl_catalog_now_ms();
    int rc = sl_catalog_save_crawl(cat, crawl, err);
    if (rc) goto out;

    if (def->recrawl == SL_CRAWL_NEW_FOLDERS_ONLY) rc = load_known_folders(cat, &r, err);
    for (size_t i = 0; !rc && i < def->n_targets; i++) {
        const sl_crawl_target *t = &def->targets[i];
        rc = t->kind == SL_CRAWL_TARGET_PATH ? crawl_scan_path(&r, t, err) : crawl_scan_dynamodb(&r, t, err);
    }
    bool stopped = crawl_cancelled(&r);
    if (stopped) rc = crawl_stopped_error(err);
    r.target = NULL;
    out->objects_listed = atomic_load(&r.listed);
    out->objects_classified = atomic_load(&r.classified);
    out->items_sampled = atomic_load(&r.items);
    out->list_requests = atomic_load(&r.list_requests);
    out->get_requests = atomic_load(&r.get_requests);
    out->dynamodb_requests = atomic_load(&r.ddb_requests);
    if (!rc) {
        crawl_progress(&r, SL_CRAWL_APPLYING, true);
        rc = apply_all(cat, &r, err);
    }
    if (rc) {
        /* nothing of the crawl stays: its results go, its history row says why */
        reset_results(out);
        crawl->tables_created = crawl->tables_updated = crawl->tables_deprecated = crawl->tables_deleted = 0;
        crawl->partitions_added = crawl->partitions_updated = crawl->partitions_removed = 0;
        free(crawl->status);
        crawl->status = sl_xstrdup(stopped ? "STOPPED" : "FAILED");
        char msg[sizeof err->message + 600];
        if (err)
            sl_error_format(err, msg, sizeof msg);
        else
            snprintf(msg, sizeof msg, "%s", sl_strerror(rc));
        free(crawl->message);
        crawl->message = sl_xstrdup(msg);
        free(crawl->changes_json);
        crawl->changes_json = NULL;
        crawl->end_time = sl_catalog_now_ms();
        if (crawl->id) sl_catalog_save_crawl(cat, crawl, NULL);
    }
out:
    out->seconds = (double)(mono_ms() - started) / 1000.0;
    for (size_t i = 0; i < r.n_props; i++)
        crawl_proposal_free(&r.props[i]);
    free(r.props);
    for (size_t i = 0; i < r.n_known_folders; i++)
        free(r.known_folders[i]);
    free(r.known_folders);
    for (size_t i = 0; i < r.n_new_folders; i++)
        free(r.new_folders[i]);
    free(r.new_folders);
    pthread_mutex_destroy(&r.lock);
    return rc;
}

/* ================================================================== */
/* Reports                                                             */
/* ================================================================== */

const char *sl_crawl_action_name(sl_crawl_action a) {
    static const char *const names[] = {"created",    "updated", "unchanged",    "change logged",
                                        "deprecated", "deleted", "gone (logged)"};
    return (unsigned)a < sizeof names / sizeof *names ? names[a] : "?";
}

void sl_crawl_report_free(sl_crawl_report *r) {
    if (!r) return;
    sl_catalog_crawl_free(&r->crawl);
    reset_results(r);
    for (size_t i = 0; i < r->n_skipped; i++) {
        free(r->skipped[i].key);
        free(r->skipped[i].reason);
    }
    free(r->skipped);
    memset(r, 0, sizeof *r);
}

int sl_crawl_report_json(const sl_crawl_report *r, sl_buf *out) {
    size_t start = out->len;
    int rc = sl_catalog_crawl_json(&r->crawl, out);
    if (rc) return rc;
    /* extend the CrawlerHistory object with sluice's members */
    if (out->len == start || out->data[out->len - 1] != '}') return SL_EINTERNAL;
    out->len--;
    sl_buf_printf(out,
                  ",\"Objects\":{\"Listed\":%llu,\"Classified\":%llu,\"Skipped\":%llu},\"ItemsSampled\":%llu,"
                  "\"Requests\":{\"List\":%llu,\"Get\":%llu,\"DynamoDB\":%llu},\"Seconds\":%.3f,\"Tables\":[",
                  (unsigned long long)r->objects_listed, (unsigned long long)r->objects_classified,
                  (unsigned long long)r->objects_skipped, (unsigned long long)r->items_sampled,
                  (unsigned long long)r->list_requests, (unsigned long long)r->get_requests,
                  (unsigned long long)r->dynamodb_requests, r->seconds);
    for (size_t i = 0; i < r->n_tables; i++) {
        const sl_crawl_table_result *t = &r->tables[i];
        sl_buf_adds(out, i ? ",{\"Name\":" : "{\"Name\":");
        json_str(out, t->name);
        sl_buf_adds(out, ",\"Action\":");
        json_str(out, ACTION_JSON[t->action]);
        if (t->location) {
            sl_buf_adds(out, ",\"Location\":");
            json_str(out, t->location);
        }
        if (t->classification) {
            sl_buf_adds(out, ",\"Classification\":");
            json_str(out, t->classification);
        }
        sl_buf_printf(out,
                      ",\"Columns\":%zu,\"Partitions\":%zu,\"PartitionsAdded\":%zu,\"PartitionsUpdated\":%zu,"
                      "\"PartitionsRemoved\":%zu",
                      t->n_columns, t->n_partitions, t->partitions_added, t->partitions_updated, t->partitions_removed);
        if (t->note) {
            sl_buf_adds(out, ",\"Note\":");
            json_str(out, t->note);
        }
        sl_buf_addc(out, '}');
    }
    sl_buf_adds(out, "],\"Skipped\":[");
    for (size_t i = 0; i < r->n_skipped; i++) {
        sl_buf_adds(out, i ? ",{\"Key\":" : "{\"Key\":");
        json_str(out, r->skipped[i].key);
        sl_buf_adds(out, ",\"Reason\":");
        json_str(out, r->skipped[i].reason);
        sl_buf_addc(out, '}');
    }
    return sl_buf_adds(out, "]}");
}
