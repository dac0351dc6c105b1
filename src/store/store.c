/*
 * store.c — the object-store front end (store.h): picks a driver by URL
 * scheme and forwards every call through its vtable (store_driver.h).
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "store/store_driver.h"

struct sl_store {
    const sl_store_driver *drv;
    void *self;
};

struct sl_store_reader {
    const sl_store_driver *drv;
    void *self;
};

struct sl_store_writer {
    const sl_store_driver *drv;
    void *self;
    char *url;
};

struct sl_store_pending {
    const sl_store_driver *drv;
    void *self;
    char *url;
};

bool sl_store_is_remote(const char *url) { return strncmp(url, "s3://", 5) == 0; }

static const sl_store_driver *driver_for(const char *url) {
    return sl_store_is_remote(url) ? &sl_store_s3_driver : &sl_store_file_driver;
}

int sl_store_open(const char *url, const sl_store_options *opts, sl_store **out, sl_error *err) {
    const sl_store_driver *drv = driver_for(url);
    void *self = NULL;
    int rc = drv->open(url, opts, &self, err);
    if (rc) return rc;
    sl_store *s = sl_xmalloc(sizeof *s);
    s->drv = drv;
    s->self = self;
    *out = s;
    return SL_OK;
}

void sl_store_free(sl_store *s) {
    if (!s) return;
    s->drv->free(s->self);
    free(s);
}

void sl_store_list_free(sl_store_list *l) {
    for (size_t i = 0; i < l->count; i++) free(l->items[i].url);
    free(l->items);
    memset(l, 0, sizeof *l);
}

int sl_store_list_objects(sl_store *s, const char *url, bool recursive, sl_store_list *out, sl_error *err) {
    return s->drv->list(s->self, url, recursive, out, err);
}

int sl_store_stat(sl_store *s, const char *url, sl_store_entry *out, sl_error *err) {
    return s->drv->stat(s->self, url, out, err);
}

int sl_store_reader_open(sl_store *s, const char *url, uint64_t offset, uint64_t length, sl_store_reader **out,
                         sl_error *err) {
    void *self = NULL;
    int rc = s->drv->reader_open(s->self, url, offset, length, &self, err);
    if (rc) return rc;
    sl_store_reader *r = sl_xmalloc(sizeof *r);
    r->drv = s->drv;
    r->self = self;
    *out = r;
    return SL_OK;
}

int sl_store_read(sl_store_reader *r, void *buf, size_t cap, size_t *got, sl_error *err) {
    return r->drv->read(r->self, buf, cap, got, err);
}

void sl_store_reader_close(sl_store_reader *r) {
    if (!r) return;
    r->drv->reader_close(r->self);
    free(r);
}

int sl_store_writer_open(sl_store *s, const char *url, const char *tag, sl_store_writer **out, sl_error *err) {
    void *self = NULL;
    int rc = s->drv->writer_open(s->self, url, tag, &self, err);
    if (rc) return rc;
    sl_store_writer *w = sl_xmalloc(sizeof *w);
    w->drv = s->drv;
    w->self = self;
    w->url = sl_xstrdup(url);
    *out = w;
    return SL_OK;
}

int sl_store_write(sl_store_writer *w, const void *data, size_t len, sl_error *err) {
    return w->drv->write(w->self, data, len, err);
}

int sl_store_writer_finish(sl_store_writer *w, sl_store_pending **out, sl_error *err) {
    void *pending = NULL;
    int rc = w->drv->writer_finish(w->self, &pending, err);
    if (!rc) {
        sl_store_pending *p = sl_xmalloc(sizeof *p);
        p->drv = w->drv;
        p->self = pending;
        p->url = w->url;
        *out = p;
    } else {
        free(w->url);
    }
    free(w);
    return rc;
}

void sl_store_writer_abort(sl_store_writer *w) {
    if (!w) return;
    w->drv->writer_abort(w->self);
    free(w->url);
    free(w);
}

int sl_store_publish(sl_store_pending *p, sl_error *err) {
    int rc = p->drv->publish(p->self, err);
    if (rc) return rc;
    free(p->url);
    free(p);
    return SL_OK;
}

void sl_store_discard(sl_store_pending *p) {
    if (!p) return;
    p->drv->discard(p->self);
    free(p->url);
    free(p);
}

const char *sl_store_pending_url(const sl_store_pending *p) { return p->url; }

int sl_store_put(sl_store *s, const char *url, const void *data, size_t len, sl_error *err) {
    return s->drv->put(s->self, url, data, len, err);
}

int sl_store_delete(sl_store *s, const char *url, sl_error *err) { return s->drv->del(s->self, url, err); }
