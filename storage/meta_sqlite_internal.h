/*
 * meta_sqlite_internal.h - private to storage/meta_*.c: what the SQLite
 * metadata store (meta_sqlite.c) lends to the other meta_*.c files
 * (connections, statements, transactions, and the invoice insertion that
 * the OCI view shares), and the one hook search gives back so every pooled
 * connection can run its queries.  Nothing outside storage/ includes it; meta.h stays free of SQL
 * and sqlite3 types.
 *
 * Ownership: a wh_meta_conn belongs to the pool of the wh_meta it came from;
 * the caller borrows it between wh_meta_conn_acquire and
 * wh_meta_conn_release, and must not finalize or close anything it reaches
 * through it.  The sqlite3 handle from wh_meta_conn_db is the connection's,
 * valid while the connection is borrowed; statements the borrower prepares
 * on it are the borrower's, finalized before release.  A wh_invoice_doc from
 * wh_meta_doc_from_row is the caller's (wh_invoice_doc_free).
 */
#ifndef WH_META_SQLITE_INTERNAL_H
#define WH_META_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "meta.h"
#include "schema/error.h"

/* One pooled connection with its prepared statements (meta_sqlite.c). */
typedef struct wh_meta_conn wh_meta_conn;

/*
 * Borrows a connection, waiting while all max_conns are in use, opening a
 * new one while under that.  Give it back with wh_meta_conn_release.
 */
int wh_meta_conn_acquire(wh_meta *m, wh_meta_conn **out, wh_err *err);

/* Resets the connection's cached statements and returns it to the pool. */
void wh_meta_conn_release(wh_meta *m, wh_meta_conn *c);

sqlite3 *wh_meta_conn_db(wh_meta_conn *c);

/*
 * Sets err from the connection's last SQLite error, prefixed by `what`, and
 * returns the code: WH_EBUSY when the database stayed locked, else WH_EIO.
 */
int wh_meta_db_err(wh_err *err, sqlite3 *db, const char *what);

/* A borrowed connection with one statement prepared on it, for the
 * records that are read and written rarely enough not to need a cached
 * statement (meta_trust.c, meta_wasm.c, meta_aot.c). */
typedef struct wh_meta_stmt {
    wh_meta *m;
    wh_meta_conn *c;
    sqlite3 *db;
    sqlite3_stmt *st;
} wh_meta_stmt;

/* Borrows a connection and prepares `sql` on it; on failure nothing is
 * held.  Close with wh_meta_stmt_close, whatever happened in between. */
int wh_meta_stmt_open(wh_meta *m, wh_meta_stmt *x, const char *sql, wh_err *err);

/* Finalizes the statement and gives the connection back; a no-op after a
 * failed open or a second close. */
void wh_meta_stmt_close(wh_meta_stmt *x);

/* Write transactions on a borrowed connection: BEGIN IMMEDIATE (the write
 * lock up front, so two writers never deadlock upgrading), COMMIT, and a
 * ROLLBACK that cannot fail in a way the caller could act on. */
int wh_meta_tx_begin(wh_meta_conn *c, wh_err *err);
int wh_meta_tx_commit(wh_meta_conn *c, wh_err *err);
void wh_meta_tx_rollback(wh_meta_conn *c);

/*
 * Inserts a new invoice (already validated) with its labels and its search
 * row, on c inside the caller's write transaction, which the caller commits
 * or rolls back (also on failure: nothing is undone here).  WH_EEXIST when
 * NAME/VERSION is taken.  The one body behind wh_meta_invoice_create and
 * wh_meta_oci_manifest_put.
 */
int wh_meta_invoice_insert(wh_meta_conn *c, const wh_invoice *inv, const char *toml,
                           size_t toml_len, const char *json, size_t json_len, wh_err *err);

/* Copies a row's id, yanked, doc_toml, doc_json (columns 0..3) into *out. */
int wh_meta_doc_from_row(sqlite3_stmt *st, wh_invoice_doc **out, wh_err *err);

/*
 * Binds a new connection to its database file's search index
 * (meta_search.c, storage/search_index.h); the store calls it before any
 * query runs.
 */
int wh_meta_search_register(sqlite3 *db, wh_err *err);

#endif
