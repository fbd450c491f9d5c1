/*
 * meta_trust.c - the records behind authentication and namespace keys (see
 * meta.h): API tokens, kept as hashes of their secrets, and the keys each
 * bindle name is bound to.
 *
 * These are read once per write request (and per read when reads need a
 * token), and written by operators, so plain statements prepared per call
 * are cheap enough; the hot read paths of meta_sqlite.c keep theirs cached.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "meta.h"
#include "meta_sqlite_internal.h"

/* A column as a new string ("" for NULL); NULL only when out of memory. */
static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

/* ---- tokens ---- */

#define TOKEN_COLS "id, secret_hash, description, scopes, created_at, " \
                   "coalesce(expires_at, 0), coalesce(revoked_at, 0)"

static int token_from_row(sqlite3_stmt *st, wh_token_rec *t, wh_err *err)
{
    memset(t, 0, sizeof *t);
    const unsigned char *id = sqlite3_column_text(st, 0);
    snprintf(t->id, sizeof t->id, "%s", id ? (const char *)id : "");
    if (sqlite3_column_bytes(st, 1) == (int)sizeof t->secret_hash)
        memcpy(t->secret_hash, sqlite3_column_blob(st, 1), sizeof t->secret_hash);
    t->description = col_str(st, 2);
    t->scopes = col_str(st, 3);
    t->created_at = sqlite3_column_int64(st, 4);
    t->expires_at = sqlite3_column_int64(st, 5);
    t->revoked_at = sqlite3_column_int64(st, 6);
    if (!t->description || !t->scopes) {
        wh_token_rec_clear(t);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    return 0;
}

void wh_token_rec_clear(wh_token_rec *t)
{
    if (!t)
        return;
    free(t->description);
    free(t->scopes);
    t->description = t->scopes = NULL;
}

void wh_token_recs_free(wh_token_rec *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        wh_token_rec_clear(&v[i]);
    free(v);
}

int wh_meta_token_add(wh_meta *m, const wh_token_rec *t, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "INSERT INTO tokens (id, secret_hash, description, scopes, "
                    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, 0))", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, t->id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(x.st, 2, t->secret_hash, (int)sizeof t->secret_hash, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 3, t->description ? t->description : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 4, t->scopes, -1, SQLITE_STATIC);
    sqlite3_bind_int64(x.st, 5, t->created_at);
    sqlite3_bind_int64(x.st, 6, t->expires_at);
    int r = sqlite3_step(x.st);
    if ((r & 0xff) == SQLITE_CONSTRAINT)
        rc = wh_err_set(err, WH_EEXIST, "a token with id %s already exists", t->id);
    else if (r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "storing a token");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_token_get(wh_meta *m, const char *id, wh_token_rec *out, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, id, -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    if (r == SQLITE_ROW)
        rc = token_from_row(x.st, out, err);
    else if (r == SQLITE_DONE)
        rc = wh_err_set(err, WH_ENOTFOUND, "no token with id %s", id);
    else
        rc = wh_meta_db_err(err, x.db, "reading a token");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_token_list(wh_meta *m, wh_token_rec **out, size_t *n, wh_err *err)
{
    *out = NULL;
    *n = 0;
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "SELECT " TOKEN_COLS " FROM tokens ORDER BY created_at, id", err);
    if (rc)
        return rc;
    wh_token_rec *v = NULL;
    size_t len = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 8;
            wh_token_rec *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = wh_err_set(err, WH_ENOMEM, "out of memory");
                goto done;
            }
            v = nv;
            cap = nc;
        }
        rc = token_from_row(x.st, &v[len], err);
        if (rc)
            goto done;
        len++;
    }
    if (r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "listing tokens");
done:
    wh_meta_stmt_close(&x);
    if (rc) {
        wh_token_recs_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int wh_meta_token_purge(wh_meta *m, int64_t before, const char *prefix, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x,
                               "DELETE FROM tokens WHERE expires_at IS NOT NULL AND expires_at < ?1 "
                               "AND substr(description, 1, length(?2)) = ?2",
                               err);
    if (rc)
        return rc;
    sqlite3_bind_int64(x.st, 1, before);
    sqlite3_bind_text(x.st, 2, prefix, -1, SQLITE_STATIC);
    rc = sqlite3_step(x.st) == SQLITE_DONE ? sqlite3_changes(x.db)
                                           : wh_meta_db_err(err, x.db, "purging tokens");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_token_revoke(wh_meta *m, const char *id, int64_t at, wh_err *err)
{
    wh_token_rec t;
    int rc = wh_meta_token_get(m, id, &t, err);
    if (rc)
        return rc;
    bool already = t.revoked_at != 0;
    wh_token_rec_clear(&t);
    if (already)
        return 0;
    wh_meta_stmt x;
    rc = wh_meta_stmt_open(m, &x, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(x.st, 2, at);
    if (sqlite3_step(x.st) != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "revoking a token");
    else
        rc = sqlite3_changes(x.db) ? 1 : 0;
    wh_meta_stmt_close(&x);
    return rc;
}

/* ---- namespace keys ---- */

void wh_ns_keys_free(wh_ns_key *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].label);
        free(v[i].added_by);
    }
    free(v);
}

int wh_meta_ns_keys(wh_meta *m, const char *name, wh_ns_key **out, size_t *n, wh_err *err)
{
    *out = NULL;
    *n = 0;
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, name ? "SELECT name, key, label, added_at, added_by FROM "
                                  "namespace_keys WHERE name = ?1 ORDER BY added_at, key"
                                : "SELECT name, key, label, added_at, added_by FROM "
                                  "namespace_keys ORDER BY name, added_at, key", err);
    if (rc)
        return rc;
    if (name)
        sqlite3_bind_text(x.st, 1, name, -1, SQLITE_STATIC);
    wh_ns_key *v = NULL;
    size_t len = 0, cap = 0;
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 4;
            wh_ns_key *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                rc = wh_err_set(err, WH_ENOMEM, "out of memory");
                goto done;
            }
            v = nv;
            cap = nc;
        }
        wh_ns_key *k = &v[len++];
        memset(k, 0, sizeof *k);
        if (sqlite3_column_bytes(x.st, 1) == WH_ED25519_PUBLIC_LEN)
            memcpy(k->key, sqlite3_column_blob(x.st, 1), WH_ED25519_PUBLIC_LEN);
        k->name = col_str(x.st, 0);
        k->label = col_str(x.st, 2);
        k->added_at = sqlite3_column_int64(x.st, 3);
        k->added_by = col_str(x.st, 4);
        if (!k->name || !k->label || !k->added_by) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "reading namespace keys");
done:
    wh_meta_stmt_close(&x);
    if (rc) {
        wh_ns_keys_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

int wh_meta_name_published(wh_meta *m, const char *name, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "SELECT 1 FROM invoices WHERE name = ?1 LIMIT 1", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    rc = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0
       : wh_meta_db_err(err, x.db, "looking a name up");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_ns_key_add(wh_meta *m, const wh_ns_key *k, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "INSERT INTO namespace_keys (name, key, label, added_at, added_by) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, k->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(x.st, 2, k->key, WH_ED25519_PUBLIC_LEN, SQLITE_STATIC);
    sqlite3_bind_text(x.st, 3, k->label ? k->label : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(x.st, 4, k->added_at);
    sqlite3_bind_text(x.st, 5, k->added_by ? k->added_by : "operator", -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    if ((r & 0xff) == SQLITE_CONSTRAINT)
        rc = wh_err_set(err, WH_EEXIST, "that key is already bound to %s", k->name);
    else if (r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "binding a namespace key");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_ns_key_remove(wh_meta *m, const char *name,
                          const unsigned char key[WH_ED25519_PUBLIC_LEN], wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "DELETE FROM namespace_keys WHERE name = ?1 AND key = ?2", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(x.st, 2, key, WH_ED25519_PUBLIC_LEN, SQLITE_STATIC);
    if (sqlite3_step(x.st) != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "unbinding a namespace key");
    else if (sqlite3_changes(x.db) == 0)
        rc = wh_err_set(err, WH_ENOTFOUND, "that key is not bound to %s", name);
    wh_meta_stmt_close(&x);
    return rc;
}
