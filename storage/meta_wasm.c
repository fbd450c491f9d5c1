/*
 * meta_wasm.c - the descriptions of wasm parcels (see meta.h): written once
 * when a module is checked, read by /v1/_m.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "meta.h"
#include "meta_sqlite_internal.h"

int wh_meta_wasm_put(wh_meta *m, const char *sha256, bool valid, const char *kind,
                     const char *description, size_t len, wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "INSERT INTO wasm_modules (sha256, valid, kind, "
                               "description, checked_at) VALUES (?1, ?2, ?3, ?4, ?5) ON "
                               "CONFLICT (sha256) DO UPDATE SET valid = ?2, kind = ?3, "
                               "description = ?4, checked_at = ?5", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int(x.st, 2, valid ? 1 : 0);
    sqlite3_bind_text(x.st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(x.st, 4, description, len, SQLITE_STATIC);
    sqlite3_bind_int64(x.st, 5, (sqlite3_int64)time(NULL));
    if (sqlite3_step(x.st) != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "storing a wasm description");
    wh_meta_stmt_close(&x);
    return rc;
}

int wh_meta_wasm_get(wh_meta *m, const char *sha256, char **description, size_t *len,
                     wh_err *err)
{
    *description = NULL;
    *len = 0;
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, "SELECT description FROM wasm_modules WHERE "
                               "sha256 = ?1", err);
    if (rc)
        return rc;
    sqlite3_bind_text(x.st, 1, sha256, -1, SQLITE_STATIC);
    int r = sqlite3_step(x.st);
    if (r == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(x.st, 0);
        *description = malloc(n + 1);
        if (!*description) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        } else {
            if (n)
                memcpy(*description, sqlite3_column_blob(x.st, 0), n);
            (*description)[n] = '\0';
            *len = n;
        }
    } else if (r == SQLITE_DONE) {
        rc = wh_err_set(err, WH_ENOTFOUND, "no wasm description of parcel %s", sha256);
    } else {
        rc = wh_meta_db_err(err, x.db, "reading a wasm description");
    }
    wh_meta_stmt_close(&x);
    return rc;
}
