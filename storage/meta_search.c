/*
 * meta_search.c - search over the metadata store (wh_meta_search, the
 * /v1/_q endpoint; see meta.h), on the SQLite connections of meta_sqlite.c.
 *
 * The matching, counting and ordering are the in-memory index's
 * (search_index.h), which every connection is bound to when it opens; this
 * file splits and folds the terms, checks the range, and reads the
 * documents of the one page asked for, by id.  Only those documents, never
 * the rows of every match, come out of the database.
 */
#include "meta.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "meta_sqlite_internal.h"
#include "schema/semver.h"
#include "search_index.h"

int wh_meta_search_register(sqlite3 *db, wh_err *err)
{
    return wh_search_index_attach(db, err);
}

void wh_meta_hits_free(wh_meta_hits *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        wh_invoice_doc_free(h->docs[i]);
    free(h->docs);
    free(h);
}

/* The terms of a query, folded for standard searches. */
typedef struct terms {
    const char *s[WH_META_MAX_TERMS];
    size_t len[WH_META_MAX_TERMS];
    char *folded[WH_META_MAX_TERMS];
    size_t n;
} terms;

static void terms_clear(terms *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->folded[i]);
    t->n = 0;
}

/* Splits q at spaces; runs of spaces make no empty terms. */
static int terms_split(const char *q, terms *t, wh_err *err)
{
    t->n = 0;
    const char *p = q ? q : "";
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if (t->n == WH_META_MAX_TERMS)
            return wh_err_set(err, WH_EINVAL, "a query may have at most %d terms",
                              WH_META_MAX_TERMS);
        t->s[t->n] = start;
        t->len[t->n] = (size_t)(p - start);
        t->folded[t->n] = NULL;
        t->n++;
    }
    return 0;
}

/* Reads the documents of ids[0..n) into h, in that order.  An invoice
 * that went away since the index was read, or was yanked meanwhile when
 * yanked ones are not asked for, is left out. */
static int fetch_docs(sqlite3 *db, const int64_t *ids, size_t n, bool yanked, wh_meta_hits *h,
                      wh_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, yanked, doc_toml, doc_json FROM invoices "
                           "WHERE id = ?1 AND (?2 OR yanked = 0)",
                           -1, &st, NULL) != SQLITE_OK)
        return wh_meta_db_err(err, db, "preparing a search");
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_int(st, 2, yanked);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            rc = wh_meta_doc_from_row(st, &h->docs[h->n], err);
            if (!rc)
                h->n++;
        } else if (r != SQLITE_DONE) {
            rc = wh_meta_db_err(err, db, "searching");
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int wh_meta_search(wh_meta *m, const wh_meta_query *q, wh_meta_hits **out, wh_err *err)
{
    *out = NULL;
    terms t = {.n = 0};
    int rc = terms_split(q->q, &t, err);
    if (rc)
        return rc;
    if (q->n_names > WH_META_MAX_NAMES)
        return wh_err_set(err, WH_EINVAL, "too many name patterns (at most %d)",
                          WH_META_MAX_NAMES);
    wh_semver_range *range = NULL;
    if (q->range && *q->range) {
        rc = wh_semver_range_parse(q->range, &range, err);
        if (rc)
            return rc;
    }
    wh_meta_hits *h = calloc(1, sizeof *h);
    int64_t *ids = malloc((q->limit ? q->limit : 1) * sizeof *ids);
    if (h && q->limit)
        h->docs = calloc(q->limit, sizeof *h->docs);
    if (!h || !ids || (q->limit && !h->docs)) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }

    wh_meta_conn *c = NULL;
    rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        goto done;
    sqlite3 *db = wh_meta_conn_db(c);
    const char *term_s[WH_META_MAX_TERMS];
    for (size_t i = 0; i < t.n && !rc; i++) {
        term_s[i] = t.s[i];
        if (!q->strict) {
            rc = wh_search_fold(db, t.s[i], t.len[i], &t.folded[i], &t.len[i], err);
            term_s[i] = t.folded[i];
        }
    }
    size_t n = 0;
    if (!rc) {
        wh_search_spec spec = {
            .terms = term_s,
            .term_lens = t.len,
            .n_terms = t.n,
            .strict = q->strict,
            .range = range,
            .yanked = q->yanked,
            .names = q->names,
            .name_prefix = q->name_prefix,
            .n_names = q->n_names,
            .offset = q->offset,
            .limit = q->limit,
        };
        rc = wh_search_index_run(db, &spec, &h->total, ids, &n, err);
    }
    if (!rc)
        rc = fetch_docs(db, ids, n, q->yanked, h, err);
    wh_meta_conn_release(m, c);
done:
    terms_clear(&t);
    wh_semver_range_free(range);
    free(ids);
    if (rc) {
        wh_meta_hits_free(h);
        return rc;
    }
    *out = h;
    return 0;
}
