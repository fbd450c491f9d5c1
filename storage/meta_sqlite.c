/*
 * meta_sqlite.c - the metadata store on SQLite (see meta.h): the connection
 * pool, schema migrations, the per-connection prepared statements, and
 * storing, reading and yanking invoices and recording parcels.  Search over
 * the stored invoices is meta_search.c; the pieces of this file it uses are
 * declared in meta_sqlite_internal.h.
 *
 * Connections: SQLite connections are not to be shared between threads
 * while in use, and opening one per request would cost more than the
 * request, so we keep a small pool.  Each pooled connection carries its own
 * prepared statements, prepared once (SQLITE_PREPARE_PERSISTENT), so a
 * request costs one bind and one step.
 *
 * Durability: WAL with synchronous=FULL, so a committed invoice or parcel row
 * survives a power cut, and readers never wait for a writer.  Writers take
 * the write lock up front (BEGIN IMMEDIATE) so that two writers never
 * deadlock upgrading read locks, and wait up to BUSY_MS for each other.
 */
#include "meta.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "meta_sqlite_internal.h"
#include "migrations.h"
#include "schema/semver.h"

#define BUSY_MS 10000

enum stmt_id {
    ST_INVOICE_GET,
    ST_INVOICE_INSERT,
    ST_LABEL_INSERT,
    ST_YANK,
    ST_PARCEL_ADD,
    ST_PARCEL_HAS,
    ST_NS_BOUND,
    ST_NS_BIND,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_INVOICE_GET] =
        "SELECT id, yanked, doc_toml, doc_json FROM invoices WHERE name = ?1 AND version = ?2",
    [ST_INVOICE_INSERT] =
        "INSERT INTO invoices (name, version, sort_key, authors, description, doc_toml, "
        "doc_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_LABEL_INSERT] =
        "INSERT INTO invoice_parcels (invoice_id, idx, sha256, size, media_type, name) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_YANK] =
        "UPDATE invoices SET yanked = 1, yanked_reason = ?3, doc_toml = ?4, doc_json = ?5 "
        "WHERE name = ?1 AND version = ?2 AND yanked = 0",
    [ST_PARCEL_ADD] =
        "INSERT INTO parcels (sha256, size, stored_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (sha256) DO NOTHING",
    [ST_PARCEL_HAS] = "SELECT size FROM parcels WHERE sha256 = ?1",
    [ST_NS_BOUND] = "SELECT 1 FROM namespace_keys WHERE name = ?1 "
                    "UNION ALL SELECT 1 FROM invoices WHERE name = ?1 LIMIT 1",
    [ST_NS_BIND] =
        "INSERT INTO namespace_keys (name, key, label, added_at, added_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

struct wh_meta_conn {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    wh_meta_conn *next_free;
};

struct wh_meta {
    char *path;
    int schema_version;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    wh_meta_conn *free_list;
    int open_conns;
    int max_conns;
};

sqlite3 *wh_meta_conn_db(wh_meta_conn *c)
{
    return c->db;
}

int wh_meta_db_err(wh_err *err, sqlite3 *db, const char *what)
{
    int code = sqlite3_extended_errcode(db);
    int rc = (code & 0xff) == SQLITE_FULL ? WH_EIO
           : (code & 0xff) == SQLITE_BUSY ? WH_EBUSY
           : WH_EIO;
    return wh_err_set(err, rc, "database: %s: %s", what, sqlite3_errmsg(db));
}

static int exec_sql(sqlite3 *db, const char *sql, wh_err *err, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = wh_err_set(err, WH_EIO, "database: %s: %s", what, msg ? msg : "failed");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static void conn_close(wh_meta_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

static int conn_open(wh_meta *m, wh_meta_conn **out, wh_err *err)
{
    *out = NULL;
    wh_meta_conn *c = calloc(1, sizeof *c);
    if (!c)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc;
    if (sqlite3_open_v2(m->path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = wh_err_set(err, WH_EIO, "cannot open database %s: %s", m->path,
                        c->db ? sqlite3_errmsg(c->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(c->db, BUSY_MS);
    sqlite3_extended_result_codes(c->db, 1);
    rc = exec_sql(c->db,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                  "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
                  err, m->path);
    if (rc)
        goto fail;
    rc = wh_meta_search_register(c->db, err);
    if (rc)
        goto fail;
    *out = c;
    return 0;
fail:
    conn_close(c);
    return rc;
}

/* Prepares the statement cache; only after migrations, since it names tables. */
static int conn_prepare(wh_meta_conn *c, wh_err *err)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
                               NULL) != SQLITE_OK)
            return wh_meta_db_err(err, c->db, stmt_sql[i]);
    }
    return 0;
}

static int migrate(wh_meta *m, sqlite3 *db, wh_err *err)
{
    int rc = exec_sql(db,
                      "CREATE TABLE IF NOT EXISTS schema_version ("
                      " version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                      err, "creating schema_version");
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int current = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        return wh_meta_db_err(err, db, "reading schema_version");
    if (sqlite3_step(st) == SQLITE_ROW)
        current = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    int newest = wh_migrations_count ? wh_migrations[wh_migrations_count - 1].version : 0;
    if (current > newest)
        return wh_err_set(err, WH_EIO,
                          "database %s is at schema version %d, newer than this wharfd knows "
                          "(%d): run a newer wharfd",
                          m->path, current, newest);
    for (int i = 0; i < wh_migrations_count; i++) {
        const wh_migration *mg = &wh_migrations[i];
        if (mg->version <= current)
            continue;
        rc = exec_sql(db, "BEGIN IMMEDIATE", err, "starting migration");
        if (rc)
            return rc;
        rc = exec_sql(db, mg->sql, err, mg->name);
        if (!rc) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "INSERT INTO schema_version (version, name, applied_at) "
                     "VALUES (%d, '%s', %lld)",
                     mg->version, mg->name, (long long)time(NULL));
            rc = exec_sql(db, sql, err, mg->name);
        }
        if (!rc)
            rc = exec_sql(db, "COMMIT", err, mg->name);
        if (rc) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            wh_err_prefix(err, "migrating %s to schema version %d", m->path, mg->version);
            return rc;
        }
        current = mg->version;
    }
    m->schema_version = current;
    return 0;
}

int wh_meta_open_sqlite(const char *path, int max_conns, wh_meta **out, wh_err *err)
{
    *out = NULL;
    if (sqlite3_threadsafe() == 0)
        return wh_err_set(err, WH_EIO, "this SQLite was built without thread support");
    wh_meta *m = calloc(1, sizeof *m);
    if (!m)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    m->path = strdup(path);
    m->max_conns = max_conns < 1 ? 1 : max_conns;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    wh_meta_conn *c = NULL;
    int rc = m->path ? conn_open(m, &c, err) : wh_err_set(err, WH_ENOMEM, "out of memory");
    if (!rc)
        rc = migrate(m, c->db, err);
    if (!rc)
        rc = conn_prepare(c, err);
    if (rc) {
        conn_close(c);
        wh_meta_close(m);
        return rc;
    }
    m->open_conns = 1;
    m->free_list = c;
    *out = m;
    return 0;
}

void wh_meta_close(wh_meta *m)
{
    if (!m)
        return;
    wh_meta_conn *c = m->free_list;
    while (c) {
        wh_meta_conn *next = c->next_free;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m->path);
    free(m);
}

int wh_meta_schema_version(wh_meta *m)
{
    return m->schema_version;
}

/* Takes a connection from the pool, opening one while under max_conns. */
int wh_meta_conn_acquire(wh_meta *m, wh_meta_conn **out, wh_err *err)
{
    pthread_mutex_lock(&m->lock);
    while (!m->free_list && m->open_conns >= m->max_conns)
        pthread_cond_wait(&m->cond, &m->lock);
    wh_meta_conn *c = m->free_list;
    if (c) {
        m->free_list = c->next_free;
        pthread_mutex_unlock(&m->lock);
        *out = c;
        return 0;
    }
    m->open_conns++;
    pthread_mutex_unlock(&m->lock);
    int rc = conn_open(m, &c, err);
    if (!rc)
        rc = conn_prepare(c, err);
    if (rc) {
        conn_close(c);
        pthread_mutex_lock(&m->lock);
        m->open_conns--;
        pthread_cond_signal(&m->cond);
        pthread_mutex_unlock(&m->lock);
        return rc;
    }
    *out = c;
    return 0;
}

void wh_meta_conn_release(wh_meta *m, wh_meta_conn *c)
{
    for (int i = 0; i < ST_COUNT; i++) {
        if (c->st[i]) {
            sqlite3_reset(c->st[i]);
            sqlite3_clear_bindings(c->st[i]);
        }
    }
    pthread_mutex_lock(&m->lock);
    c->next_free = m->free_list;
    m->free_list = c;
    pthread_cond_signal(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static int step_done(wh_meta_conn *c, enum stmt_id id, wh_err *err, const char *what)
{
    sqlite3_stmt *st = c->st[id];
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        return wh_meta_db_err(err, c->db, what);
    return 0;
}

static char *dup_blob(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

void wh_invoice_doc_free(wh_invoice_doc *d)
{
    if (!d)
        return;
    free(d->toml);
    free(d->json);
    free(d);
}

/* Reads id, yanked, doc_toml, doc_json (columns 0..3) from a row. */
int wh_meta_doc_from_row(sqlite3_stmt *st, wh_invoice_doc **out, wh_err *err)
{
    wh_invoice_doc *d = calloc(1, sizeof *d);
    if (!d)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    d->id = sqlite3_column_int64(st, 0);
    d->yanked = sqlite3_column_int(st, 1) != 0;
    const void *t = sqlite3_column_blob(st, 2);
    d->toml_len = (size_t)sqlite3_column_bytes(st, 2);
    d->toml = dup_blob(t, d->toml_len);
    const void *j = sqlite3_column_blob(st, 3);
    d->json_len = (size_t)sqlite3_column_bytes(st, 3);
    d->json = dup_blob(j, d->json_len);
    if (!d->toml || !d->json) {
        wh_invoice_doc_free(d);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    *out = d;
    return 0;
}

int wh_meta_invoice_get(wh_meta *m, const char *name, const char *version,
                        wh_invoice_doc **out, wh_err *err)
{
    *out = NULL;
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = c->st[ST_INVOICE_GET];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = wh_meta_doc_from_row(st, out, err);
    else if (r == SQLITE_DONE)
        rc = wh_err_set(err, WH_ENOTFOUND, "no bindle %s/%s", name, version);
    else
        rc = wh_meta_db_err(err, c->db, "reading an invoice");
    wh_meta_conn_release(m, c);
    return rc;
}

/* Joins a string list with ", " into buf (cut at cap). */
static void join_list(const wh_strlist *l, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && used + 1 < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", l->items[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used >= cap)
        buf[cap - 1] = '\0';
}

/* Binds the first version's creator keys, unless someone bound the name
 * since the caller looked (then WH_EEXIST: the caller's check is stale). */
static int bind_first(wh_meta_conn *c, const char *name, const wh_ns_key *bind, size_t n_bind,
                      wh_err *err)
{
    sqlite3_stmt *st = c->st[ST_NS_BOUND];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return wh_err_set(err, WH_EEXIST, "bindle name %s was claimed by another publish "
                          "while this one was being checked; post the invoice again", name);
    if (r != SQLITE_DONE)
        return wh_meta_db_err(err, c->db, "reading namespace keys");
    st = c->st[ST_NS_BIND];
    for (size_t i = 0; i < n_bind; i++) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, bind[i].key, WH_ED25519_PUBLIC_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, bind[i].label ? bind[i].label : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
        sqlite3_bind_text(st, 5, bind[i].added_by ? bind[i].added_by : "first publish", -1,
                          SQLITE_STATIC);
        int rc = step_done(c, ST_NS_BIND, err, "binding a namespace key");
        if (rc)
            return rc;
    }
    return 0;
}

int wh_meta_tx_begin(wh_meta_conn *c, wh_err *err)
{
    return step_done(c, ST_BEGIN, err, "starting a transaction");
}

int wh_meta_tx_commit(wh_meta_conn *c, wh_err *err)
{
    return step_done(c, ST_COMMIT, err, "committing");
}

void wh_meta_tx_rollback(wh_meta_conn *c)
{
    step_done(c, ST_ROLLBACK, NULL, "rollback");
}

int wh_meta_invoice_insert(wh_meta_conn *c, const wh_invoice *inv, const char *toml,
                           size_t toml_len, const char *json, size_t json_len, wh_err *err)
{
    wh_semver v;
    int rc = wh_semver_parse(inv->bindle.version, &v, err);
    if (rc)
        return rc;
    unsigned char key[WH_SEMVER_SORTKEY_MAX];
    size_t key_len = 0;
    rc = wh_semver_sort_key(&v, key, sizeof key, &key_len, err);
    if (rc)
        return rc;
    char authors[4096];
    join_list(&inv->bindle.authors, authors, sizeof authors);
    const char *desc = inv->bindle.description ? inv->bindle.description : "";

    sqlite3_stmt *st = c->st[ST_INVOICE_INSERT];
    sqlite3_bind_text(st, 1, inv->bindle.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, inv->bindle.version, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, key, (int)key_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, authors, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, desc, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 6, toml, toml_len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 7, json, json_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)time(NULL));
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if ((r & 0xff) == SQLITE_CONSTRAINT)
        return wh_err_set(err, WH_EEXIST, "bindle %s/%s already exists; a published version "
                          "is immutable, publish a new version instead",
                          inv->bindle.name, inv->bindle.version);
    if (r != SQLITE_DONE)
        return wh_meta_db_err(err, c->db, "storing an invoice");
    sqlite3_int64 id = sqlite3_last_insert_rowid(c->db);

    st = c->st[ST_LABEL_INSERT];
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_label *l = &inv->parcels[i].label;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_text(st, 3, l->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)l->size);
        sqlite3_bind_text(st, 5, l->media_type, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, l->name, -1, SQLITE_STATIC);
        rc = step_done(c, ST_LABEL_INSERT, err, "storing a label");
        if (rc)
            return rc;
    }
    return 0;
}

int wh_meta_invoice_create(wh_meta *m, const wh_invoice *inv, const char *toml,
                           size_t toml_len, const char *json, size_t json_len,
                           const wh_ns_key *bind, size_t n_bind, wh_err *err)
{
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        return rc;
    rc = wh_meta_tx_begin(c, err);
    if (rc)
        goto done;
    if (n_bind)
        rc = bind_first(c, inv->bindle.name, bind, n_bind, err);
    if (!rc)
        rc = wh_meta_invoice_insert(c, inv, toml, toml_len, json, json_len, err);
    if (!rc)
        rc = wh_meta_tx_commit(c, err);
    if (rc)
        wh_meta_tx_rollback(c);
done:
    wh_meta_conn_release(m, c);
    return rc;
}

int wh_meta_invoice_yank(wh_meta *m, const char *name, const char *version,
                         const char *reason, const char *toml, size_t toml_len,
                         const char *json, size_t json_len, wh_err *err)
{
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = c->st[ST_YANK];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_blob64(st, 4, toml, toml_len, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 5, json, json_len, SQLITE_STATIC);
    rc = step_done(c, ST_YANK, err, "yanking");
    if (!rc) {
        if (sqlite3_changes(c->db) > 0) {
            rc = 1;
        } else {
            /* Nothing changed: either it was yanked before, or it is not there. */
            sqlite3_stmt *g = c->st[ST_INVOICE_GET];
            sqlite3_bind_text(g, 1, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(g, 2, version, -1, SQLITE_STATIC);
            int r = sqlite3_step(g);
            sqlite3_reset(g);
            rc = r == SQLITE_ROW    ? 0
               : r == SQLITE_DONE   ? wh_err_set(err, WH_ENOTFOUND, "no bindle %s/%s", name, version)
                                    : wh_meta_db_err(err, c->db, "yanking");
        }
    }
    wh_meta_conn_release(m, c);
    return rc;
}

int wh_meta_parcel_add(wh_meta *m, const char *sha256, uint64_t size, wh_err *err)
{
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = c->st[ST_PARCEL_ADD];
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    rc = step_done(c, ST_PARCEL_ADD, err, "recording a parcel");
    wh_meta_conn_release(m, c);
    return rc;
}

/* 1 (and its size in *size when not NULL), 0, or a negative code. */
static int parcel_has(wh_meta_conn *c, const char *sha256, uint64_t *size, wh_err *err)
{
    sqlite3_stmt *st = c->st[ST_PARCEL_HAS];
    sqlite3_bind_text(st, 1, sha256, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && size)
        *size = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return 1;
    if (r == SQLITE_DONE)
        return 0;
    return wh_meta_db_err(err, c->db, "looking up a parcel");
}

int wh_meta_parcel_has(wh_meta *m, const char *sha256, wh_err *err)
{
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        return rc;
    rc = parcel_has(c, sha256, NULL, err);
    wh_meta_conn_release(m, c);
    return rc;
}

int wh_meta_missing(wh_meta *m, const wh_invoice *inv, bool *missing, size_t *n_missing,
                    wh_err *err)
{
    *n_missing = 0;
    wh_meta_conn *c;
    int rc = wh_meta_conn_acquire(m, &c, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_label *l = &inv->parcels[i].label;
        uint64_t size = 0;
        int has = parcel_has(c, l->sha256, &size, err);
        if (has < 0) {
            rc = has;
            break;
        }
        if (has && size != l->size) {
            /* The hash fixes the size: a label that disagrees is wrong, and
             * would otherwise never be reported missing nor re-uploaded. */
            rc = wh_err_set(err, WH_EINVAL,
                            "parcel[%zu] (%s): the label says %llu bytes, but the parcel with "
                            "that sha256 is %llu bytes",
                            i, l->sha256, (unsigned long long)l->size,
                            (unsigned long long)size);
            break;
        }
        missing[i] = !has;
        if (!has)
            (*n_missing)++;
    }
    wh_meta_conn_release(m, c);
    return rc;
}

int wh_meta_stmt_open(wh_meta *m, wh_meta_stmt *x, const char *sql, wh_err *err)
{
    memset(x, 0, sizeof *x);
    x->m = m;
    int rc = wh_meta_conn_acquire(m, &x->c, err);
    if (rc)
        return rc;
    x->db = wh_meta_conn_db(x->c);
    if (sqlite3_prepare_v2(x->db, sql, -1, &x->st, NULL) != SQLITE_OK) {
        rc = wh_meta_db_err(err, x->db, "preparing a statement");
        wh_meta_conn_release(m, x->c);
        x->c = NULL;
        return rc;
    }
    return 0;
}

void wh_meta_stmt_close(wh_meta_stmt *x)
{
    if (!x->c)
        return;
    sqlite3_finalize(x->st);
    wh_meta_conn_release(x->m, x->c);
    x->c = NULL;
}
