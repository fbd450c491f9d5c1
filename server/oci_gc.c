/*
 * oci_gc.c - the collector of what OCI clients leave behind: uploads never
 * finished, and blobs pushed but never referenced (a push that failed
 * before its manifest, a manifest deleted since).
 *
 * Bindle's parcels are never collected: an invoice lists them, invoices are
 * never deleted, and wh_meta_oci_gc_candidates skips anything an invoice,
 * a manifest or an AOT build references.  What is left is a blob whose
 * every link to a repository is older than gc-grace: long enough for any
 * push to have sent its manifest.
 *
 * Every gc-interval seconds a thread wakes and:
 *   1. removes upload sessions nobody wrote to within gc-grace, and the rows
 *      of uploads started before it;
 *   2. asks for candidates in batches and, for each, takes srv->blob_gate
 *      exclusive, re-checks and drops the rows in one transaction
 *      (wh_meta_oci_gc_drop), removes the bytes, and lets go.  Holding the
 *      gate for one blob at a time means a finishing upload waits at most
 *      for one unlink; downloads never take it (a reader with the file
 *      open keeps reading it).
 * It stops between two blobs when the server stops.
 *
 * Ownership: srv->gc belongs to wh_oci_gc_start until wh_oci_gc_stop
 * frees it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "oci.h"

#define BATCH 256

typedef struct wh_oci_gc {
    wh_server *srv;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* signalled by stop */
    bool stop;              /* guarded by mu */
} wh_oci_gc;

static bool stopping(wh_oci_gc *gc)
{
    if (!gc)
        return false;
    pthread_mutex_lock(&gc->mu);
    bool s = gc->stop;
    pthread_mutex_unlock(&gc->mu);
    return s;
}

int wh_oci_gc_run(wh_server *srv, int64_t cutoff, size_t *dropped, wh_err *err)
{
    *dropped = 0;
    for (;;) {
        char(*cand)[65] = NULL;
        size_t n = 0, batch_dropped = 0;
        int rc = wh_meta_oci_gc_candidates(srv->meta, cutoff, BATCH, &cand, &n, err);
        if (rc)
            return rc;
        for (size_t i = 0; i < n && !stopping(srv->gc); i++) {
            wh_err e;
            pthread_rwlock_wrlock(&srv->blob_gate);
            int d = wh_meta_oci_gc_drop(srv->meta, cand[i], cutoff, &e);
            int r = d == 1 ? wh_store_remove(srv->store, cand[i], &e) : 0;
            pthread_rwlock_unlock(&srv->blob_gate);
            if (d < 0 || (r < 0 && r != WH_ENOTFOUND)) {
                /* The row is gone or the bytes stay: either way the next
                 * pass cannot do better, so say it and go on. */
                wh_log(srv, WH_LOG_ERROR, "gc: blob sha256:%s: %s", cand[i], e.msg);
                continue;
            }
            if (d == 1) {
                batch_dropped++;
                wh_log(srv, WH_LOG_INFO, "gc: removed unreferenced blob sha256:%s", cand[i]);
            }
        }
        free(cand);
        *dropped += batch_dropped;
        /* A short batch was the last; a batch where nothing could be
         * dropped would come back the same. */
        if (n < BATCH || batch_dropped == 0 || stopping(srv->gc))
            return 0;
    }
}

/* Whether an upload's session still holds bytes (open or not). */
static bool session_alive(const char *id, void *ctx)
{
    wh_server *srv = ctx;
    wh_session *ss = NULL;
    wh_err e;
    int rc = wh_store_session_open(srv->store, id, &ss, &e);
    if (rc == 0)
        wh_session_close(ss);
    return rc != WH_ENOTFOUND;
}

/* One round: expired uploads, then unreferenced blobs. */
static void collect(wh_server *srv)
{
    int64_t cutoff = (int64_t)time(NULL) - (int64_t)srv->cfg.gc_grace;
    wh_err e;
    int sessions = wh_store_session_expire(srv->store, cutoff, &e);
    if (sessions < 0)
        wh_log(srv, WH_LOG_ERROR, "gc: expiring upload sessions: %s", e.msg);
    int rows = wh_meta_oci_upload_expire(srv->meta, cutoff, session_alive, srv, &e);
    if (rows < 0)
        wh_log(srv, WH_LOG_ERROR, "gc: expiring uploads: %s", e.msg);
    int tokens = wh_meta_token_purge(srv->meta, (int64_t)time(NULL) - 86400,
                                     WH_OCI_LOGIN_TOKEN_PREFIX, &e);
    if (tokens < 0)
        wh_log(srv, WH_LOG_ERROR, "gc: purging expired login tokens: %s", e.msg);
    size_t blobs = 0;
    if (wh_oci_gc_run(srv, cutoff, &blobs, &e) != 0)
        wh_log(srv, WH_LOG_ERROR, "gc: %s", e.msg);
    if (sessions > 0 || rows > 0 || blobs > 0 || tokens > 0)
        wh_log(srv, WH_LOG_INFO,
               "gc: removed %zu unreferenced blob(s), %d expired upload session(s), "
               "%d upload record(s), %d expired login token(s)",
               blobs, sessions > 0 ? sessions : 0, rows > 0 ? rows : 0, tokens > 0 ? tokens : 0);
}

static void *gc_main(void *arg)
{
    wh_oci_gc *gc = arg;
    wh_server *srv = gc->srv;
    pthread_mutex_lock(&gc->mu);
    while (!gc->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += (time_t)srv->cfg.gc_interval;
        int w = 0;
        while (!gc->stop && w != ETIMEDOUT)
            w = pthread_cond_timedwait(&gc->cv, &gc->mu, &until);
        if (gc->stop)
            break;
        pthread_mutex_unlock(&gc->mu);
        collect(srv);
        pthread_mutex_lock(&gc->mu);
    }
    pthread_mutex_unlock(&gc->mu);
    return NULL;
}

int wh_oci_gc_start(wh_server *srv, wh_err *err)
{
    if (srv->cfg.gc_interval == 0)
        return 0;
    wh_oci_gc *gc = calloc(1, sizeof *gc);
    if (!gc)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    gc->srv = srv;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&gc->mu, NULL);
    pthread_cond_init(&gc->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* Published before the thread runs: wh_oci_gc_run reads srv->gc. */
    srv->gc = gc;
    int e = pthread_create(&gc->thread, NULL, gc_main, gc);
    if (e) {
        srv->gc = NULL;
        pthread_cond_destroy(&gc->cv);
        pthread_mutex_destroy(&gc->mu);
        free(gc);
        return wh_err_set(err, WH_EIO, "cannot start the collector thread (error %d)", e);
    }
    return 0;
}

void wh_oci_gc_stop(wh_server *srv)
{
    wh_oci_gc *gc = srv->gc;
    if (!gc)
        return;
    pthread_mutex_lock(&gc->mu);
    gc->stop = true;
    pthread_cond_signal(&gc->cv);
    pthread_mutex_unlock(&gc->mu);
    pthread_join(gc->thread, NULL);
    srv->gc = NULL;
    pthread_cond_destroy(&gc->cv);
    pthread_mutex_destroy(&gc->mu);
    free(gc);
}
