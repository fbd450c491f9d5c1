/*
 * meta_oci.c - the OCI view's records (see meta.h and docs/oci.md):
 * manifests by repository and digest with what they reference, tags,
 * blobs linked to repositories by uploads and mounts, uploads in progress,
 * and the garbage collector's two queries.  Schema: schema/sql/005_oci.sql.
 *
 * Bindles and OCI meet here twice.  Tags and the catalog list the versions
 * of unyanked bindles beside OCI tags in one query each, so that paging
 * with `last` stays exact across both.  And a manifest pushed with a
 * SemVer tag creates its bindle in the same transaction, through
 * wh_meta_invoice_insert, the body wh_meta_invoice_create runs too.
 *
 * Statements are prepared per call (as in meta_trust.c): the OCI records
 * are few per request, and a cached statement would tie this file's SQL to
 * meta_sqlite.c's connection setup.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "meta.h"
#include "meta_sqlite_internal.h"

/* A blob that nothing keeps: no manifest of any repository, no invoice
 * (yanked or not) and no AOT build, as source or as artifact, names it.
 * x is the SQL expression of its digest. */
#define UNREFERENCED(x)                                                             \
    "NOT EXISTS (SELECT 1 FROM oci_manifest_refs WHERE ref = " x " AND kind = 0) "  \
    "AND NOT EXISTS (SELECT 1 FROM invoice_parcels WHERE sha256 = " x ") "          \
    "AND NOT EXISTS (SELECT 1 FROM aot_builds WHERE source_sha = " x ") "           \
    "AND NOT EXISTS (SELECT 1 FROM aot_builds WHERE artifact_sha = " x ")"

static int oom(wh_err *err)
{
    return wh_err_set(err, WH_ENOMEM, "out of memory");
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* A copy of a text column; NULL for SQL NULL (and when out of memory:
 * callers check the columns that cannot be NULL). */
static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static void col_sha(sqlite3_stmt *st, int i, char out[65])
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? strnlen((const char *)t, 64) : 0;
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

/* `limit` as an SQL LIMIT, capped far above any page a caller asks for. */
static sqlite3_int64 sql_limit(size_t limit)
{
    return limit < (size_t)INT32_MAX ? (sqlite3_int64)limit : INT32_MAX;
}

/* ---- transactions over a few statements ---- */

#define TX_MAX 6

typedef struct tx {
    wh_meta *m;
    wh_meta_conn *c;
    sqlite3 *db;
    sqlite3_stmt *st[TX_MAX];
    size_t n;
    bool begun;
} tx;

/* Borrows a connection, prepares sql[0..n) and begins a write transaction.
 * Whatever happens, end it with tx_end. */
static int tx_open(wh_meta *m, tx *t, const char *const *sql, size_t n, wh_err *err)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    int rc = wh_meta_conn_acquire(m, &t->c, err);
    if (rc)
        return rc;
    t->db = wh_meta_conn_db(t->c);
    for (; t->n < n; t->n++) {
        if (sqlite3_prepare_v2(t->db, sql[t->n], -1, &t->st[t->n], NULL) != SQLITE_OK)
            return wh_meta_db_err(err, t->db, "preparing a statement");
    }
    rc = wh_meta_tx_begin(t->c, err);
    t->begun = rc == 0;
    return rc;
}

/* Commits when rc >= 0 (rc is then the result), rolls back otherwise;
 * finalizes and gives the connection back. */
static int tx_end(tx *t, int rc, wh_err *err)
{
    if (t->begun) {
        if (rc >= 0) {
            int crc = wh_meta_tx_commit(t->c, err);
            if (crc) {
                wh_meta_tx_rollback(t->c);
                rc = crc;
            }
        } else {
            wh_meta_tx_rollback(t->c);
        }
    }
    for (size_t i = 0; i < t->n; i++)
        sqlite3_finalize(t->st[i]);
    if (t->c)
        wh_meta_conn_release(t->m, t->c);
    return rc;
}

/* Steps statement i once: 1 for a row, 0 when done, or the error. */
static int tx_step(tx *t, size_t i, const char *what, wh_err *err)
{
    int r = sqlite3_step(t->st[i]);
    int rc = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : wh_meta_db_err(err, t->db, what);
    sqlite3_reset(t->st[i]);
    return rc;
}

/* ---- manifests and tags ---- */

void wh_oci_manifest_rec_clear(wh_oci_manifest_rec *r)
{
    if (!r)
        return;
    free(r->media_type);
    free(r->artifact_type);
    free(r->annotations);
    free(r->body);
    free(r->bindle_version);
    memset(r, 0, sizeof *r);
}

void wh_oci_manifest_recs_free(wh_oci_manifest_rec *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        wh_oci_manifest_rec_clear(&v[i]);
    free(v);
}

enum { P_BLOB, P_MANIFEST, P_INSERT, P_REF, P_TAG, P_HELD, P_COUNT };

static const char *const put_sql[P_COUNT] = {
    [P_BLOB] = "SELECT size FROM parcels WHERE sha256 = ?1",
    [P_MANIFEST] = "SELECT 1 FROM oci_manifests WHERE repo = ?1 AND sha256 = ?2",
    /* Pushed again, a manifest keeps its row; only a bindle it did not
     * stand for yet is recorded, so that the bindle finds its view. */
    [P_INSERT] = "INSERT INTO oci_manifests (repo, sha256, media_type, artifact_type, subject, "
                 "annotations, body, bindle_version, created_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                 "ON CONFLICT (repo, sha256) DO UPDATE SET bindle_version = "
                 "excluded.bindle_version WHERE oci_manifests.bindle_version IS NULL",
    [P_REF] = "INSERT OR IGNORE INTO oci_manifest_refs (repo, sha256, ref, kind) "
              "VALUES (?1, ?2, ?3, ?4)",
    [P_TAG] = "INSERT OR REPLACE INTO oci_tags (repo, tag, sha256, updated_at) "
              "VALUES (?1, ?2, ?3, ?4)",
    [P_HELD] = "SELECT 1 FROM invoices WHERE name = ?1 "
               "UNION ALL SELECT 1 FROM namespace_keys WHERE name = ?1 LIMIT 1",
};

/* Checks that every reference exists, then records the manifest, its
 * references and its tag; the caller's transaction makes it all or none. */
static int put_rows(tx *t, const char *repo, const wh_oci_manifest_put *p, wh_err *err)
{
    int rc;
    for (size_t i = 0; i < p->n_blobs; i++) {
        sqlite3_stmt *st = t->st[P_BLOB];
        sqlite3_bind_text(st, 1, p->blobs[i], -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        uint64_t size = r == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            return wh_meta_db_err(err, t->db, "looking up a blob");
        if (r == SQLITE_DONE)
            return wh_err_set(err, WH_ENOTFOUND, "blob %s is not stored", p->blobs[i]);
        /* A descriptor's size is part of what it promises: a manifest that
         * gets it wrong would make a bindle whose label lies. */
        if (p->blob_sizes && p->blob_sizes[i] != size)
            return wh_err_set(err, WH_EINVAL, "blob sha256:%s is %llu bytes, not %llu as the "
                              "manifest says", p->blobs[i], (unsigned long long)size,
                              (unsigned long long)p->blob_sizes[i]);
    }
    for (size_t i = 0; i < p->n_manifests; i++) {
        sqlite3_bind_text(t->st[P_MANIFEST], 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(t->st[P_MANIFEST], 2, p->manifests[i], -1, SQLITE_STATIC);
        rc = tx_step(t, P_MANIFEST, "looking up a manifest", err);
        if (rc <= 0)
            return rc ? rc : wh_err_set(err, WH_ENOTFOUND, "manifest %s is not stored in %s",
                                        p->manifests[i], repo);
    }
    int64_t now = (int64_t)time(NULL);
    sqlite3_stmt *st = t->st[P_INSERT];
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->media_type, -1, SQLITE_STATIC);
    bind_opt(st, 4, p->artifact_type);
    bind_opt(st, 5, p->subject);
    bind_opt(st, 6, p->annotations);
    sqlite3_bind_blob64(st, 7, p->body ? p->body : "", p->len, SQLITE_STATIC);
    bind_opt(st, 8, p->bindle_version);
    sqlite3_bind_int64(st, 9, now);
    rc = tx_step(t, P_INSERT, "storing a manifest", err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < p->n_blobs + p->n_manifests; i++) {
        bool blob = i < p->n_blobs;
        st = t->st[P_REF];
        sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, blob ? p->blobs[i] : p->manifests[i - p->n_blobs], -1,
                          SQLITE_STATIC);
        sqlite3_bind_int(st, 4, blob ? 0 : 1);
        rc = tx_step(t, P_REF, "storing a manifest's references", err);
        if (rc < 0)
            return rc;
    }
    if (p->tag) {
        st = t->st[P_TAG];
        sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p->tag, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, p->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
        rc = tx_step(t, P_TAG, "moving a tag", err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int wh_meta_oci_manifest_put(wh_meta *m, const char *repo, const wh_oci_manifest_put *p,
                             wh_err *err)
{
    if (p->invoice && strcmp(p->invoice->bindle.name, repo) != 0)
        return wh_err_set(err, WH_EINVAL, "bindle %s cannot be created from a manifest of %s",
                          p->invoice->bindle.name, repo);
    tx t;
    int rc = tx_open(m, &t, put_sql, P_COUNT, err);
    if (!rc && p->invoice && p->new_name_only) {
        /* Checked again under the write lock: two first publishes of a
         * name may both have seen it free. */
        sqlite3_bind_text(t.st[P_HELD], 1, repo, -1, SQLITE_STATIC);
        rc = tx_step(&t, P_HELD, "looking up a name", err);
        if (rc > 0)
            rc = wh_err_set(err, WH_EFORBIDDEN, "%s was published or bound meanwhile: it is "
                            "no longer a new name", repo);
    }
    if (!rc)
        rc = put_rows(&t, repo, p, err);
    if (!rc && p->invoice)
        rc = wh_meta_invoice_insert(t.c, p->invoice, p->toml, p->toml_len, p->json,
                                    p->json_len, err);
    return tx_end(&t, rc, err);
}

int wh_meta_oci_manifest_get(wh_meta *m, const char *repo, const char *sha256,
                             wh_oci_manifest_rec *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x,
                               "SELECT media_type, artifact_type, annotations, body, "
                               "bindle_version FROM oci_manifests WHERE repo = ?1 AND sha256 = ?2",
                               err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 2, sha256, -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    if (r == SQLITE_ROW) {
        snprintf(out->sha256, sizeof out->sha256, "%.64s", sha256);
        out->media_type = col_dup(x.st, 0);
        out->artifact_type = col_dup(x.st, 1);
        out->annotations = col_dup(x.st, 2);
        const void *body = sqlite3_column_blob(x.st, 3);
        out->len = (size_t)sqlite3_column_bytes(x.st, 3);
        out->body = malloc(out->len + 1);
        if (out->body) {
            if (out->len)
                memcpy(out->body, body, out->len);
            out->body[out->len] = '\0';
        }
        out->bindle_version = col_dup(x.st, 4);
        bool lost = !out->media_type || !out->body ||
                    (!out->artifact_type && sqlite3_column_type(x.st, 1) != SQLITE_NULL) ||
                    (!out->annotations && sqlite3_column_type(x.st, 2) != SQLITE_NULL) ||
                    (!out->bindle_version && sqlite3_column_type(x.st, 4) != SQLITE_NULL);
        if (lost) {
            wh_oci_manifest_rec_clear(out);
            rc = oom(err);
        } else {
            rc = 1;
        }
    } else if (r != SQLITE_DONE) {
        rc = wh_meta_db_err(err, x.db, "reading a manifest");
    }
    wh_meta_stmt_close(&x);
    return rc;
}

/* Runs a lookup of one digest by two keys: 1 with sha256, 0, or an error. */
static int sha_lookup(wh_meta *m, const char *sql, const char *a, const char *b,
                      char sha256[65], wh_err *err)
{
    sha256[0] = '\0';
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, sql, err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 2, b, -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    if (r == SQLITE_ROW) {
        col_sha(x.st, 0, sha256);
        rc = 1;
    } else if (r != SQLITE_DONE) {
        rc = wh_meta_db_err(err, x.db, "reading the OCI records");
    }
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_oci_tag_get(wh_meta *m, const char *repo, const char *tag, char sha256[65],
                        wh_err *err)
{
    return sha_lookup(m, "SELECT sha256 FROM oci_tags WHERE repo = ?1 AND tag = ?2", repo, tag,
                      sha256, err);
}

int wh_meta_oci_bindle_view(wh_meta *m, const char *repo, const char *version,
                            char sha256[65], wh_err *err)
{
    /* Two views of one version can only come from two first requests
     * racing; answer the older, the same one every time.  Without the
     * index, SQLite prefers walking every manifest of the repository. */
    return sha_lookup(m,
                      "SELECT sha256 FROM oci_manifests INDEXED BY oci_manifests_bindle "
                      "WHERE repo = ?1 AND bindle_version = ?2 "
                      "ORDER BY created_at, sha256 LIMIT 1",
                      repo, version, sha256, err);
}

static const char *const delete_sql[] = {
    "DELETE FROM oci_manifests WHERE repo = ?1 AND sha256 = ?2",
    "DELETE FROM oci_manifest_refs WHERE repo = ?1 AND sha256 = ?2",
    "DELETE FROM oci_tags WHERE repo = ?1 AND sha256 = ?2",
};

int wh_meta_oci_manifest_delete(wh_meta *m, const char *repo, const char *sha256,
                                wh_err *err)
{
    tx t;
    int rc = tx_open(m, &t, delete_sql, 3, err);
    int deleted = 0;
    for (size_t i = 0; !rc && i < 3; i++) {
        sqlite3_bind_text(t.st[i], 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(t.st[i], 2, sha256, -1, SQLITE_STATIC);
        rc = tx_step(&t, i, "deleting a manifest", err);
        if (!rc && i == 0)
            deleted = sqlite3_changes(t.db) > 0;
    }
    return tx_end(&t, rc ? rc : deleted, err);
}

/* Runs a write whose parameters are text ?1 and ?2 and, when it has one,
 * the time now as ?3; returns the rows changed or an error. */
static int write2(wh_meta *m, const char *sql, const char *a, const char *b, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, sql, err);
    if (rc)
        return rc;
    int params = sqlite3_bind_parameter_count(x.st);
    bind_opt(x.st, 1, a);
    if (params >= 2)
        bind_opt(x.st, 2, b);
    if (params >= 3)
        sqlite3_bind_int64(x.st, 3, (sqlite3_int64)time(NULL));
    rc = sqlite3_step(x.st) == SQLITE_DONE ? sqlite3_changes(x.db)
                                           : wh_meta_db_err(err, x.db, "writing the OCI records");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_oci_tag_delete(wh_meta *m, const char *repo, const char *tag, wh_err *err)
{
    int rc = write2(m, "DELETE FROM oci_tags WHERE repo = ?1 AND tag = ?2", repo, tag, err);
    return rc < 0 ? rc : rc > 0;
}

/* ---- listings ---- */

void wh_strings_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * Runs a listing whose parameters are ?1 key, ?2 last and ?3 LIMIT, and
 * whose rows are one text column: at most `limit` strings in *out, *more
 * when a further row exists.  `last` NULL is bound as "", before every
 * name and tag there can be (none is empty), so that each branch of the
 * query still walks its index from a lower bound.
 */
static int list_strings(wh_meta *m, const char *sql, const char *key, const char *last,
                        size_t limit, char ***out, size_t *n, bool *more, wh_err *err)
{
    *out = NULL;
    *n = 0;
    *more = false;
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, sql, err);
    if (rc)
        return rc;
    bind_opt(x.st, 1, key);
    sqlite3_bind_text(x.st, 2, last ? last : "", -1, SQLITE_STATIC);
    /* One row more than asked for tells whether more follow. */
    sqlite3_bind_int64(x.st, 3, sql_limit(limit) + 1);
    char **v = NULL;
    size_t count = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (count == limit) {
            *more = true;
            break;
        }
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = oom(err);
                goto fail;
            }
            v = nv;
            cap = ncap;
        }
        if (!(v[count] = col_dup(x.st, 0))) {
            rc = oom(err);
            goto fail;
        }
        count++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = wh_meta_db_err(err, x.db, "listing the OCI records");
        goto fail;
    }
    wh_meta_stmt_close(&x);
    *out = v;
    *n = count;
    return 0;
fail:
    wh_meta_stmt_close(&x);
    wh_strings_free(v, count);
    *more = false;
    return rc;
}

int wh_meta_oci_tags(wh_meta *m, const char *repo, const char *last, size_t limit,
                     char ***tags, size_t *n, bool *more, wh_err *err)
{
    return list_strings(m,
                        "SELECT tag FROM oci_tags WHERE repo = ?1 AND tag > ?2 "
                        "UNION SELECT replace(version, '+', '_') FROM invoices "
                        "WHERE name = ?1 AND yanked = 0 AND replace(version, '+', '_') > ?2 "
                        "ORDER BY 1 LIMIT ?3",
                        repo, last, limit, tags, n, more, err);
}

int wh_meta_oci_repos(wh_meta *m, const char *last, size_t limit, char ***names, size_t *n,
                      bool *more, wh_err *err)
{
    return list_strings(m,
                        "SELECT repo FROM oci_tags WHERE repo > ?2 "
                        "UNION SELECT repo FROM oci_manifests WHERE repo > ?2 "
                        "UNION SELECT name FROM invoices WHERE name > ?2 AND yanked = 0 "
                        "ORDER BY 1 LIMIT ?3",
                        NULL, last, limit, names, n, more, err);
}

void wh_oci_referrers_free(wh_oci_referrer *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].media_type);
        free(v[i].artifact_type);
        free(v[i].annotations);
    }
    free(v);
}

int wh_meta_oci_referrers(wh_meta *m, const char *repo, const char *subject,
                          const char *artifact_type, wh_oci_referrer **out, size_t *n,
                          wh_err *err)
{
    *out = NULL;
    *n = 0;
    /* The index by subject, named: SQLite would rather walk the repository
     * in digest order than sort the few referrers. */
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x,
                               "SELECT sha256, media_type, artifact_type, annotations, "
                               "length(body) FROM oci_manifests INDEXED BY "
                               "oci_manifests_subject WHERE repo = ?1 AND "
                               "subject = ?2 AND (?3 IS NULL OR artifact_type = ?3) "
                               "ORDER BY sha256",
                               err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 2, subject, -1, SQLITE_STATIC);
    bind_opt(x.st, 3, artifact_type);
    wh_oci_referrer *v = NULL;
    size_t count = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            wh_oci_referrer *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = oom(err);
                goto fail;
            }
            v = nv;
            cap = ncap;
        }
        wh_oci_referrer *e = &v[count++];
        memset(e, 0, sizeof *e);
        col_sha(x.st, 0, e->sha256);
        e->media_type = col_dup(x.st, 1);
        e->artifact_type = col_dup(x.st, 2);
        e->annotations = col_dup(x.st, 3);
        e->size = (uint64_t)sqlite3_column_int64(x.st, 4);
        if (!e->media_type ||
            (!e->artifact_type && sqlite3_column_type(x.st, 2) != SQLITE_NULL) ||
            (!e->annotations && sqlite3_column_type(x.st, 3) != SQLITE_NULL)) {
            rc = oom(err);
            goto fail;
        }
    }
    if (r != SQLITE_DONE) {
        rc = wh_meta_db_err(err, x.db, "listing referrers");
        goto fail;
    }
    wh_meta_stmt_close(&x);
    *out = v;
    *n = count;
    return 0;
fail:
    wh_meta_stmt_close(&x);
    wh_oci_referrers_free(v, count);
    return rc;
}

/* ---- blobs ---- */

static const char *const link_sql[] = {
    "INSERT INTO parcels (sha256, size, stored_at) VALUES (?2, ?3, ?4) "
    "ON CONFLICT (sha256) DO NOTHING",
    /* Linking again restarts the grace period: a client that uploads or
     * mounts a blob is about to push the manifest that needs it. */
    "INSERT INTO oci_blobs (repo, sha256, linked_at) VALUES (?1, ?2, ?4) "
    "ON CONFLICT (repo, sha256) DO UPDATE SET linked_at = excluded.linked_at",
};

int wh_meta_oci_blob_link(wh_meta *m, const char *repo, const char *sha256, uint64_t size,
                          wh_err *err)
{
    tx t;
    int rc = tx_open(m, &t, link_sql, 2, err);
    for (size_t i = 0; !rc && i < 2; i++) {
        sqlite3_bind_text(t.st[i], 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(t.st[i], 2, sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int64(t.st[i], 3, (sqlite3_int64)size);
        sqlite3_bind_int64(t.st[i], 4, (sqlite3_int64)time(NULL));
        rc = tx_step(&t, i, "linking a blob", err);
    }
    return tx_end(&t, rc, err);
}

int wh_meta_oci_blob_visible(wh_meta *m, const char *repo, const char *sha256, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(
        m, &x,
        "SELECT EXISTS (SELECT 1 FROM parcels WHERE sha256 = ?2) AND ("
        " EXISTS (SELECT 1 FROM oci_blobs WHERE repo = ?1 AND sha256 = ?2)"
        " OR EXISTS (SELECT 1 FROM oci_manifest_refs WHERE ref = ?2 AND kind = 0 AND repo = ?1)"
        " OR EXISTS (SELECT 1 FROM invoice_parcels p JOIN invoices i ON i.id = p.invoice_id"
        "            WHERE p.sha256 = ?2 AND i.name = ?1))",
        err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 2, sha256, -1, SQLITE_STATIC);
    rc = sqlite3_step(x.st) == SQLITE_ROW ? sqlite3_column_int(x.st, 0) != 0
                                         : wh_meta_db_err(err, x.db, "looking up a blob");
    wh_meta_stmt_close(&x);
    return rc;
}

/* ---- uploads in progress ---- */

int wh_meta_oci_upload_add(wh_meta *m, const char *id, const char *repo, wh_err *err)
{
    int rc = write2(m, "INSERT INTO oci_uploads (id, repo, started_at) VALUES (?1, ?2, ?3)", id,
                    repo, err);
    return rc < 0 ? rc : 0;
}

int wh_meta_oci_upload_get(wh_meta *m, const char *id, char **repo, wh_err *err)
{
    *repo = NULL;
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "SELECT repo FROM oci_uploads WHERE id = ?1", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, id, -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    if (r == SQLITE_ROW)
        rc = (*repo = col_dup(x.st, 0)) != NULL ? 1 : oom(err);
    else if (r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "looking up an upload");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_oci_upload_remove(wh_meta *m, const char *id, wh_err *err)
{
    int rc = write2(m, "DELETE FROM oci_uploads WHERE id = ?1", id, NULL, err);
    return rc < 0 ? rc : 0;
}

int wh_meta_oci_upload_expire(wh_meta *m, int64_t cutoff,
                              bool (*alive)(const char *id, void *ctx), void *ctx,
                              wh_err *err)
{
    /* The old ids first, then each checked and deleted on its own: the
     * store is not asked while a statement holds the connection. */
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "SELECT id FROM oci_uploads WHERE started_at < ?1", err);
    if (rc)
        return rc;
    sqlite3_bind_int64(x.st, 1, (sqlite3_int64)cutoff);
    char **ids = NULL;
    size_t n = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **nv = realloc(ids, nc * sizeof *nv);
            if (!nv)
                break;
            ids = nv;
            cap = nc;
        }
        if (!(ids[n] = strdup((const char *)sqlite3_column_text(x.st, 0))))
            break;
        n++;
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "listing old uploads");
    else if (r == SQLITE_ROW)
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
    wh_meta_stmt_close(&x);
    int removed = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        if (alive && alive(ids[i], ctx))
            continue;
        rc = wh_meta_oci_upload_remove(m, ids[i], err);
        if (!rc)
            removed++;
    }
    wh_strings_free(ids, n);
    return rc ? rc : removed;
}

/* ---- garbage collection ---- */

int wh_meta_oci_gc_candidates(wh_meta *m, int64_t cutoff, size_t limit, char (**out)[65],
                              size_t *n, wh_err *err)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return 0;
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x,
                               "SELECT sha256 FROM oci_blobs GROUP BY sha256 "
                               "HAVING max(linked_at) < ?1 AND " UNREFERENCED("oci_blobs.sha256")
                               " ORDER BY sha256 LIMIT ?2",
                               err);
    if (rc)
        return rc;
    sqlite3_bind_int64(x.st, 1, (sqlite3_int64)cutoff);
    sqlite3_bind_int64(x.st, 2, sql_limit(limit));
    char(*v)[65] = NULL;
    size_t count = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char(*nv)[65] = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                rc = oom(err);
                goto fail;
            }
            v = nv;
            cap = ncap;
        }
        col_sha(x.st, 0, v[count++]);
    }
    if (r != SQLITE_DONE) {
        rc = wh_meta_db_err(err, x.db, "listing unreferenced blobs");
        goto fail;
    }
    wh_meta_stmt_close(&x);
    *out = v;
    *n = count;
    return 0;
fail:
    wh_meta_stmt_close(&x);
    free(v);
    return rc;
}

static const char *const drop_sql[] = {
    "SELECT 1 FROM (SELECT max(linked_at) AS newest FROM oci_blobs WHERE sha256 = ?1) "
    "WHERE newest < ?2 AND " UNREFERENCED("?1"),
    "DELETE FROM oci_blobs WHERE sha256 = ?1",
    "DELETE FROM parcels WHERE sha256 = ?1",
};

int wh_meta_oci_gc_drop(wh_meta *m, const char *sha256, int64_t cutoff, wh_err *err)
{
    tx t;
    int rc = tx_open(m, &t, drop_sql, 3, err);
    if (rc)
        return tx_end(&t, rc, err);
    sqlite3_bind_text(t.st[0], 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(t.st[0], 2, (sqlite3_int64)cutoff);
    int unused = tx_step(&t, 0, "checking an unreferenced blob", err);
    rc = unused < 0 ? unused : 0;
    for (size_t i = 1; unused == 1 && !rc && i < 3; i++) {
        sqlite3_bind_text(t.st[i], 1, sha256, -1, SQLITE_STATIC);
        rc = tx_step(&t, i, "dropping a blob", err);
    }
    return tx_end(&t, rc ? rc : unused, err);
}
