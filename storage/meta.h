/*
 * meta.h - the metadata store: which invoices exist, their canonical
 * documents, which parcels are stored, and search over them.
 *
 * One backend today, SQLite in WAL mode (meta_sqlite.c, its search in
 * meta_search.c); PostgreSQL will slot in behind the same functions, which
 * is why no SQL and no sqlite3 type appears here.  Everything the server
 * serves per request comes out of one prepared statement on a pooled
 * connection; invoices are stored as the canonical TOML and JSON bytes that
 * GET returns, so serving never parses.
 *
 * Thread safety: a wh_meta may be used from any number of threads at once.
 * Ownership: every *out structure is the caller's, released with the _free
 * function named beside it.
 */
#ifndef WH_META_H
#define WH_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/error.h"
#include "schema/invoice.h"

typedef struct wh_meta wh_meta;

/*
 * Opens (creating when needed) the SQLite database at `path`, applies the
 * schema migrations it lacks, and keeps up to `max_conns` connections.
 * WH_EIO naming the file when it cannot, or when the database comes from a
 * newer wharfd.  Close with wh_meta_close.
 */
int wh_meta_open_sqlite(const char *path, int max_conns, wh_meta **out,
                        wh_err *err);

void wh_meta_close(wh_meta *m);

/* The schema version the database is at after opening. */
int wh_meta_schema_version(wh_meta *m);

/* A stored invoice as served.  Owned by the caller: wh_invoice_doc_free. */
typedef struct wh_invoice_doc {
    int64_t id;
    bool yanked;
    char *toml;        /* canonical TOML, NUL-terminated */
    size_t toml_len;
    char *json;        /* canonical JSON, NUL-terminated */
    size_t json_len;
} wh_invoice_doc;

void wh_invoice_doc_free(wh_invoice_doc *d);

/*
 * Records a new invoice (already validated) with its canonical documents and
 * its labels, in one transaction.  WH_EEXIST when NAME/VERSION is taken.
 */
int wh_meta_invoice_create(wh_meta *m, const wh_invoice *inv,
                           const char *toml, size_t toml_len,
                           const char *json, size_t json_len, wh_err *err);

/* Looks an invoice up.  WH_ENOTFOUND when there is none. */
int wh_meta_invoice_get(wh_meta *m, const char *name, const char *version,
                        wh_invoice_doc **out, wh_err *err);

/*
 * Marks an invoice yanked and replaces its documents by the yanked ones,
 * unless it already is yanked.  Returns 1 when this call yanked it, 0 when it
 * already was (the documents are then left alone: the first yank wins), or a
 * negative code (WH_ENOTFOUND).
 */
int wh_meta_invoice_yank(wh_meta *m, const char *name, const char *version,
                         const char *reason, const char *toml,
                         size_t toml_len, const char *json, size_t json_len,
                         wh_err *err);

/* Records that a parcel is durably stored.  Idempotent. */
int wh_meta_parcel_add(wh_meta *m, const char *sha256, uint64_t size,
                       wh_err *err);

/* 1 when the parcel is stored, 0 when not, or a negative code. */
int wh_meta_parcel_has(wh_meta *m, const char *sha256, wh_err *err);

/*
 * For each parcel of `inv`, sets missing[i] to whether it is not yet stored
 * (missing must hold inv->n_parcels entries) and *n_missing to how many.
 * WH_EINVAL when a stored parcel's size differs from its label's.
 */
int wh_meta_missing(wh_meta *m, const wh_invoice *inv, bool *missing,
                    size_t *n_missing, wh_err *err);

/* A search (the /v1/_q endpoint). */
typedef struct wh_meta_query {
    const char *q;        /* space-separated terms; NULL or "" for all */
    bool strict;          /* terms match the name only, case-sensitively */
    const char *range;    /* npm-style SemVer range, NULL for any */
    bool yanked;          /* include yanked invoices */
    uint64_t offset;
    uint32_t limit;       /* 0: count only */
} wh_meta_query;

typedef struct wh_meta_hits {
    uint64_t total;       /* matches before offset/limit */
    size_t n;
    wh_invoice_doc **docs;  /* n documents, ordered by name then SemVer precedence */
} wh_meta_hits;

void wh_meta_hits_free(wh_meta_hits *h);

/* WH_EINVAL for a bad range or too many terms (the message says which). */
int wh_meta_search(wh_meta *m, const wh_meta_query *q, wh_meta_hits **out,
                   wh_err *err);

/* Number of search terms accepted in one query. */
#define WH_META_MAX_TERMS 16

#endif
