/*
 * meta_fixture.h - what the tests of the SQLite metadata store share
 * (test_meta.c, test_oci_meta.c, test_search.c, test_oci_gc.c): database
 * files under g_root (tmp_root.h), opening them, publishing an invoice, and
 * SQL run straight on the file behind the store's back.
 *
 * Helpers are static inline so that each test binary compiles only what it
 * uses.  A wh_meta from open_meta / fresh_meta is the caller's to
 * wh_meta_close; the documents invoice_docs emits are the caller's to free.
 */
#ifndef WH_META_FIXTURE_H
#define WH_META_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "schema/invoice.h"
#include "storage/meta.h"
#include "tests/unit/tmp_root.h"
#include "tests/unit/unit.h"

/* g_root/<name>.sqlite. */
static inline void db_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s.sqlite", g_root, name);
}

static inline wh_meta *open_meta(const char *path)
{
    wh_meta *m = NULL;
    wh_err err = {0};
    if (wh_meta_open_sqlite(path, 4, &m, &err) != 0)
        fprintf(stderr, "  cannot open %s: %s\n", path, err.msg);
    return m;
}

/* The database g_root/<name>.sqlite, its path into path; NULL (with a
 * failed check) when it cannot be opened. */
static inline wh_meta *fresh_meta(const char *name, char *path, size_t cap)
{
    db_path(name, path, cap);
    wh_meta *m = open_meta(path);
    CHECK(m != NULL);
    return m;
}

/* Runs SQL straight on the file, as an operator (or time) would: the
 * first column of the first row, 0 for a statement without rows, -1 on
 * error. */
static inline int raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            int r = sqlite3_step(st);
            n = r == SQLITE_ROW ? sqlite3_column_int(st, 0) : r == SQLITE_DONE ? 0 : -1;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

/* The TOML and JSON documents of inv, as a publish stores them. */
static inline int invoice_docs(const wh_invoice *inv, char **toml, size_t *tl, char **json,
                               size_t *jl, wh_err *err)
{
    int rc = wh_invoice_emit_toml(inv, toml, tl, err);
    if (!rc)
        rc = wh_invoice_emit_json(inv, json, jl, err);
    return rc;
}

/* Emits inv and records it; returns what wh_meta_invoice_create returned. */
static inline int store_invoice(wh_meta *m, const wh_invoice *inv, wh_err *err)
{
    char *toml = NULL, *json = NULL;
    size_t tl = 0, jl = 0;
    int rc = invoice_docs(inv, &toml, &tl, &json, &jl, err);
    if (!rc)
        rc = wh_meta_invoice_create(m, inv, toml, tl, json, jl, NULL, 0, err);
    free(toml);
    free(json);
    return rc;
}

#endif
