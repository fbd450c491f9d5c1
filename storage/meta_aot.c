/*
 * meta_aot.c - the AOT build queue and its results (see meta.h): one row
 * per (source, target, toolchain), claimed by the builders one at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "meta.h"
#include "meta_sqlite_internal.h"

#define AOT_COLS "source_sha, target, toolchain, state, coalesce(artifact_sha, ''), " \
                 "coalesce(artifact_size, 0), reason, log, attestation"

void wh_aot_rec_clear(wh_aot_rec *r)
{
    if (!r)
        return;
    free(r->target);
    free(r->toolchain);
    free(r->reason);
    free(r->log);
    free(r->attestation);
    memset(r, 0, sizeof *r);
}

void wh_aot_recs_free(wh_aot_rec *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        wh_aot_rec_clear(&v[i]);
    free(v);
}

static char *opt_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static int from_row(sqlite3_stmt *st, wh_aot_rec *r, wh_err *err)
{
    memset(r, 0, sizeof *r);
    snprintf(r->source_sha, sizeof r->source_sha, "%s", (const char *)sqlite3_column_text(st, 0));
    r->target = opt_str(st, 1);
    r->toolchain = opt_str(st, 2);
    snprintf(r->state, sizeof r->state, "%s", (const char *)sqlite3_column_text(st, 3));
    snprintf(r->artifact_sha, sizeof r->artifact_sha, "%s",
             (const char *)sqlite3_column_text(st, 4));
    r->artifact_size = (uint64_t)sqlite3_column_int64(st, 5);
    r->reason = opt_str(st, 6);
    r->log = opt_str(st, 7);
    r->attestation = opt_str(st, 8);
    if (!r->target || !r->toolchain) {
        wh_aot_rec_clear(r);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    return 0;
}

/* Runs one statement on a borrowed connection: bind() fills it; each row
 * goes to row(); the number of changes is returned for writes. */
static int run(wh_meta *m, const char *sql, void (*bind)(sqlite3_stmt *, const void *),
               const void *arg, int (*row)(sqlite3_stmt *, void *, wh_err *), void *ctx,
               wh_err *err)
{
    wh_meta_stmt x;
    int rc = wh_meta_stmt_open(m, &x, sql, err);
    if (rc)
        return rc;
    bind(x.st, arg);
    int r;
    while ((r = sqlite3_step(x.st)) == SQLITE_ROW) {
        if (row && (rc = row(x.st, ctx, err)) != 0)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = wh_meta_db_err(err, x.db, "the AOT queue");
    else
        rc = sqlite3_changes(x.db);
done:
    wh_meta_stmt_close(&x);
    return rc;
}

typedef struct key3 {
    const char *a, *b, *c, *d;
} key3;

static void bind_key(sqlite3_stmt *st, const void *arg)
{
    const key3 *k = arg;
    sqlite3_bind_text(st, 1, k->a, -1, SQLITE_STATIC);
    if (k->b)
        sqlite3_bind_text(st, 2, k->b, -1, SQLITE_STATIC);
    if (k->c)
        sqlite3_bind_text(st, 3, k->c, -1, SQLITE_STATIC);
    if (k->d)
        sqlite3_bind_text(st, 4, k->d, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
}

int wh_meta_aot_enqueue(wh_meta *m, const char *source_sha, const char *target,
                        const char *toolchain, const char *declined_reason, wh_err *err)
{
    key3 k = {source_sha, target, toolchain, declined_reason};
    return run(m, "INSERT INTO aot_builds (source_sha, target, toolchain, state, reason, "
               "created_at, updated_at) VALUES (?1, ?2, ?3, CASE WHEN ?4 IS NULL THEN "
               "'queued' ELSE 'declined' END, ?4, ?5, ?5) ON CONFLICT DO NOTHING",
               bind_key, &k, NULL, NULL, err);
}

static int one_row(sqlite3_stmt *st, void *ctx, wh_err *err)
{
    wh_aot_rec *r = ctx;
    if (r->target) /* a second row: keep the first */
        return 0;
    return from_row(st, r, err);
}

static void bind_none(sqlite3_stmt *st, const void *arg)
{
    (void)arg;
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
}

int wh_meta_aot_claim(wh_meta *m, wh_aot_rec *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    /* One statement: two builders never claim the same row. */
    int rc = run(m, "UPDATE aot_builds SET state = 'building', updated_at = ?5 WHERE "
                 "(source_sha, target, toolchain) = (SELECT source_sha, target, toolchain "
                 "FROM aot_builds WHERE state = 'queued' ORDER BY created_at LIMIT 1) "
                 "RETURNING " AOT_COLS, bind_none, NULL, one_row, out, err);
    if (rc < 0)
        return rc;
    return out->target ? 1 : 0;
}

static void bind_finish(sqlite3_stmt *st, const void *arg)
{
    const wh_aot_rec *r = arg;
    sqlite3_bind_text(st, 1, r->source_sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->target, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->toolchain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    if (r->artifact_sha[0])
        sqlite3_bind_text(st, 6, r->artifact_sha, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->artifact_size);
    if (r->reason)
        sqlite3_bind_text(st, 8, r->reason, -1, SQLITE_STATIC);
    if (r->log)
        sqlite3_bind_text(st, 9, r->log, -1, SQLITE_STATIC);
    if (r->attestation)
        sqlite3_bind_text(st, 10, r->attestation, -1, SQLITE_STATIC);
}

int wh_meta_aot_finish(wh_meta *m, const wh_aot_rec *r, wh_err *err)
{
    int rc = run(m, "UPDATE aot_builds SET state = ?4, updated_at = ?5, artifact_sha = ?6, "
                 "artifact_size = ?7, reason = ?8, log = ?9, attestation = ?10 WHERE "
                 "source_sha = ?1 AND target = ?2 AND toolchain = ?3",
                 bind_finish, r, NULL, NULL, err);
    return rc < 0 ? rc : 0;
}

int wh_meta_aot_requeue_building(wh_meta *m, wh_err *err)
{
    return run(m, "UPDATE aot_builds SET state = 'queued', updated_at = ?5 WHERE "
               "state = 'building'", bind_none, NULL, NULL, NULL, err);
}

int wh_meta_aot_get(wh_meta *m, const char *source_sha, const char *target,
                    const char *toolchain, wh_aot_rec *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    key3 k = {source_sha, target, toolchain, NULL};
    int rc = run(m, "SELECT " AOT_COLS " FROM aot_builds WHERE source_sha = ?1 AND "
                 "target = ?2 AND toolchain = ?3", bind_key, &k, one_row, out, err);
    if (rc < 0)
        return rc;
    return out->target ? 1 : 0;
}

typedef struct list_ctx {
    wh_aot_rec *v;
    size_t n, cap;
} list_ctx;

static int add_row(sqlite3_stmt *st, void *ctx, wh_err *err)
{
    list_ctx *l = ctx;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 4;
        wh_aot_rec *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        l->v = nv;
        l->cap = nc;
    }
    int rc = from_row(st, &l->v[l->n], err);
    if (!rc)
        l->n++;
    return rc;
}

int wh_meta_aot_list(wh_meta *m, const char *source_sha, wh_aot_rec **out, size_t *n,
                     wh_err *err)
{
    list_ctx l = {0};
    key3 k = {source_sha, NULL, NULL, NULL};
    int rc = run(m, "SELECT " AOT_COLS " FROM aot_builds WHERE source_sha = ?1 ORDER BY "
                 "target, created_at", bind_key, &k, add_row, &l, err);
    if (rc < 0) {
        wh_aot_recs_free(l.v, l.n);
        *out = NULL;
        *n = 0;
        return rc;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}
