/*
 * invoice_cache.h - invoices kept in memory, ready to serve.
 *
 * GET of an invoice is the hottest request a registry answers, and must not
 * cost a database read or a parse.  Each entry holds the parsed invoice (for
 * parcel routes, which look labels up) and one prepared libmicrohttpd
 * response per format, which libmicrohttpd can send to any number of
 * connections at once without copying.
 *
 * Consistency: invoices are immutable except for yanking.  A yank updates
 * the database first and then calls wh_invoice_cache_forget; a lookup that
 * raced with it (loaded the old row before the update, inserts after the
 * forget) is detected by a generation counter and not inserted, so a stale
 * entry can never outlive a yank.
 *
 * Ownership: wh_invoice_cache_get hands out a counted reference; release it
 * with wh_cached_invoice_release.  Entries stay valid while referenced even
 * if evicted or forgotten meanwhile.  Thread-safe.
 */
#ifndef WH_INVOICE_CACHE_H
#define WH_INVOICE_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "schema/error.h"
#include "schema/invoice.h"
#include "storage/meta.h"

typedef struct wh_invoice_cache wh_invoice_cache;

typedef struct wh_cached_invoice {
    atomic_int refs;
    bool yanked;
    wh_invoice *inv;                  /* parsed; read-only */
    struct MHD_Response *resp_toml;   /* ready to queue; read-only */
    struct MHD_Response *resp_json;
    /* private */
    char *key;                        /* "name\nversion" */
    size_t key_len;
    unsigned long hash;
    struct wh_cached_invoice *next;
} wh_cached_invoice;

/* A cache of at most `max_entries` invoices (at least 1). */
int wh_invoice_cache_new(size_t max_entries, wh_invoice_cache **out, wh_err *err);
void wh_invoice_cache_free(wh_invoice_cache *c);

/* Finds NAME/VERSION, loading it from `meta` on a miss.  WH_ENOTFOUND when
 * no such invoice exists. */
int wh_invoice_cache_get(wh_invoice_cache *c, wh_meta *meta, const char *name,
                         const char *version, wh_cached_invoice **out,
                         wh_err *err);

void wh_cached_invoice_release(wh_cached_invoice *e);

/* Parses an invoice document that wharfd stored itself (canonical JSON).
 * It was validated on the way in, so it is read with limits that fit it
 * rather than the request limits, which may have been lowered since. */
int wh_invoice_parse_stored(const char *json, size_t len, wh_invoice **out,
                            wh_err *err);

/* Drops NAME/VERSION (after it changed in the database). */
void wh_invoice_cache_forget(wh_invoice_cache *c, const char *name,
                             const char *version);

#endif
