/*
 * search_index_internal.h - private to the search index's three files:
 * search_index.c (the data, kept in step with the database), search_fold.c
 * (case folding as FTS5 does it) and search_match.c (running a search over
 * the data).  See search_index.h for what the index is for.
 *
 * Ownership: a wh_search_data owns every array it points to (released by
 * the index); a wh_search_sink's buffer is its user's, free().
 */
#ifndef WH_SEARCH_INDEX_INTERNAL_H
#define WH_SEARCH_INDEX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "schema/error.h"
#include "search_index.h"

/* A distinct version: its text, a NUL, then its sort key, in vbuf. */
typedef struct wh_search_version {
    uint32_t off;
    uint16_t len;
    uint16_t key_len;
} wh_search_version;

/*
 * The invoices, in slots in ascending id order (new invoices get higher
 * ids, so they append).  Text buffers hold one piece per slot, each piece
 * followed by a NUL so that no match straddles two: `names` the names as
 * stored, `hay` the folded name, version, authors and description.
 */
typedef struct wh_search_data {
    size_t n, cap;          /* slots used, and allocated */
    int64_t *ids;           /* ascending */
    uint32_t *vid;          /* the slot's version, in vers */
    uint64_t *yanked;       /* bitset over slots */
    uint32_t *name_off;     /* cap + 1 entries: slot s is [off[s], off[s+1]) */
    uint32_t *hay_off;
    uint32_t *order;        /* n slots, in result order */
    char *names;
    size_t names_len, names_cap;
    char *hay;
    size_t hay_len, hay_cap;
    wh_search_version *vers;
    size_t nv, vcap;
    char *vbuf;
    size_t vbuf_len, vbuf_cap;
    uint32_t *vhash;        /* open addressing over vers: vid + 1, 0 = empty */
    size_t vhash_cap;       /* a power of two, at least twice nv */
} wh_search_data;

/* Grows *p (of *cap elements of elem bytes) to hold `need`, doubling. */
static inline bool wh_search_reserve(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        if (n > SIZE_MAX / 4 / elem)
            return false;
        n *= 2;
    }
    void *q = realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* Orders byte strings as SQLite's BINARY collation (and BLOBs) do. */
static inline int wh_search_cmp_bytes(const void *a, size_t al, const void *b, size_t bl)
{
    size_t k = al < bl ? al : bl;
    int c = k ? memcmp(a, b, k) : 0;
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

static inline const char *wh_search_ver_text(const wh_search_data *d, uint32_t v)
{
    return d->vbuf + d->vers[v].off;
}

/* Folding (search_fold.c).  The tokenizer is set up on first need, on the
 * connection given: a folder lives no longer than the borrowed connection. */
typedef struct wh_search_folder {
    sqlite3 *db;
    fts5_tokenizer tok;
    Fts5Tokenizer *inst;    /* NULL until the first non-ASCII text */
} wh_search_folder;

typedef struct wh_search_sink {
    char *p;
    size_t len, cap;
    bool oom;
} wh_search_sink;

/* Appends the folded s[0..len) to the sink. */
int wh_search_fold_into(wh_search_folder *f, const char *s, size_t len, wh_search_sink *out,
                        wh_err *err);

void wh_search_folder_done(wh_search_folder *f);

/* Runs spec over d (search_match.c), as wh_search_index_run describes;
 * the caller holds the index's lock. */
int wh_search_match(const wh_search_data *d, const wh_search_spec *spec, uint64_t *total,
                    int64_t *ids, size_t *n, wh_err *err);

#endif
