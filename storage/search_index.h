/*
 * search_index.h - private to storage/: the in-memory index that answers
 * /v1/_q for meta_search.c.
 *
 * Why in memory: a search must report the exact number of matches, and a
 * term as common as "build" matches every invoice.  Counting that through
 * SQLite (FTS5 doclists, then a row lookup per match for yanked and the
 * order) costs tens of milliseconds per query at 100k invoices; scanning a
 * compact copy of the searchable text costs one or two.  So each process
 * keeps, per database file, the searchable text of every invoice (names as
 * stored, and the four searchable fields case-folded), a version table and
 * the result order, and catches up with writers through the change log of
 * migration 006 (search_changes): new invoices and yanks are applied in
 * place, anything else rebuilds.
 *
 * Sharing: one index per database file and process, shared by every
 * connection to that file (a reader-writer lock guards it) and freed with
 * the last of them.  Connections are bound to it by
 * wh_search_index_attach, called on each new connection.
 *
 * Matching is that of the FTS5 trigram index it replaced: a strict term is
 * a byte substring of the name; a standard term is a substring of one of
 * name, version, authors or description after both are case-folded as
 * FTS5's trigram tokenizer folds them (Unicode simple case folding, accents
 * kept), whatever the term's length.
 *
 * Ownership: nothing here hands out memory except wh_search_fold (*out is
 * the caller's, free()); the index is reached only through a borrowed
 * connection and never outlives it.
 */
#ifndef WH_SEARCH_INDEX_H
#define WH_SEARCH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "schema/error.h"
#include "schema/semver.h"

/* Binds a new connection to the index of its database file, creating the
 * index (empty, built on first use) when it is the file's first. */
int wh_search_index_attach(sqlite3 *db, wh_err *err);

/* Case-folds s[0..len) as the trigram tokenizer does, into a malloc'd,
 * NUL-terminated *out of *out_len bytes (the caller's, free()). */
int wh_search_fold(sqlite3 *db, const char *s, size_t len, char **out, size_t *out_len,
                   wh_err *err);

/* One search, as the index runs it. */
typedef struct wh_search_spec {
    /* Terms, every one of which must match: byte strings without NUL, as
     * given for strict, folded (wh_search_fold) for standard. */
    const char *const *terms;
    const size_t *term_lens;
    size_t n_terms;
    bool strict;
    const wh_semver_range *range;  /* NULL: any version */
    bool yanked;                   /* include yanked invoices */
    /* When n_names > 0, only names equal to names[i] (or starting with it
     * when name_prefix[i]). */
    const char *const *names;
    const bool *name_prefix;
    size_t n_names;
    uint64_t offset;
    uint32_t limit;
} wh_search_spec;

/*
 * Brings the index of db's file up to date with what db sees, then runs
 * spec: *total gets the number of matches, ids[0..*n) the invoice ids of
 * the page (offset, limit) in result order: name, SemVer precedence,
 * version text.  ids holds spec->limit entries.
 */
int wh_search_index_run(sqlite3 *db, const wh_search_spec *spec, uint64_t *total,
                        int64_t *ids, size_t *n, wh_err *err);

#endif
