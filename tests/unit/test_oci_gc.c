/*
 * test_oci_gc.c - the OCI collector's pass (server/oci_gc.c) over a real
 * store and database: nothing young is touched; once old, every
 * unreferenced blob goes, rows and bytes, across more than one batch,
 * while a blob an invoice lists stays; a second pass finds nothing; and
 * the collector's thread stops at once when asked, whatever its interval.
 *
 * Everything lives in one mkdtemp directory under /tmp, removed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "schema/invoice.h"
#include "server/oci.h"
#include "tests/unit/meta_fixture.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/unit.h"

#define N_BLOBS 300   /* more than the collector's batch of 256 */

/* A server with just what the collector uses. */
static int server_open(wh_server *srv, const char *name)
{
    memset(srv, 0, sizeof *srv);
    srv->log_level = WH_LOG_ERROR;
    pthread_rwlock_init(&srv->blob_gate, NULL);
    char path[512];
    wh_err err = {0};
    snprintf(path, sizeof path, "%s/%s-parcels", g_root, name);
    int rc = wh_store_open_fs(path, &srv->store, &err);
    snprintf(path, sizeof path, "%s/%s.db", g_root, name);
    if (!rc)
        rc = wh_meta_open_sqlite(path, 2, &srv->meta, &err);
    if (rc)
        fprintf(stderr, "  cannot open %s: %s\n", name, err.msg);
    return rc;
}

static void server_close(wh_server *srv)
{
    wh_meta_close(srv->meta);
    wh_store_close(srv->store);
    pthread_rwlock_destroy(&srv->blob_gate);
}

/* Pushes `content` as an OCI upload would: a session, finished, linked
 * to repo.  Its digest goes to sha. */
static int push(wh_server *srv, const char *repo, const char *content, char sha[65])
{
    wh_err err = {0};
    char id[WH_SESSION_ID_LEN + 1];
    wh_session *ss = NULL;
    uint64_t size = 0;
    size_t len = strlen(content);
    sha256_hex(content, len, sha);
    if (!sha[0])
        return -1;
    int rc = wh_store_session_create(srv->store, id, &err);
    if (!rc)
        rc = wh_store_session_open(srv->store, id, &ss, &err);
    if (!rc)
        rc = wh_session_write(ss, content, len, &err);
    if (!rc) {
        rc = wh_session_finish(ss, sha, &size, &err);
        ss = NULL;
    }
    if (!rc)
        rc = wh_meta_oci_blob_link(srv->meta, repo, sha, size, &err);
    wh_session_close(ss);
    if (rc)
        fprintf(stderr, "  push of %s: %s\n", content, err.msg);
    return rc;
}

/* Lists `sha` (a 10-byte parcel) in invoice NAME/1.0.0. */
static int list_in_invoice(wh_meta *m, const char *name, const char *sha)
{
    char doc[1024];
    snprintf(doc, sizeof doc,
             "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"%s\"\nversion = \"1.0.0\"\n"
             "[[parcel]]\nlabel.sha256 = \"%s\"\nlabel.mediaType = \"text/plain\"\n"
             "label.name = \"kept.txt\"\nlabel.size = 10\n",
             name, sha);
    wh_invoice *inv = NULL;
    wh_err err = {0};
    int rc = wh_invoice_parse_toml(doc, strlen(doc), NULL, &inv, &err);
    if (!rc)
        rc = store_invoice(m, inv, &err);
    if (rc)
        fprintf(stderr, "  invoice %s: %s\n", name, err.msg);
    wh_invoice_free(inv);
    return rc;
}

static void test_run_drops_old_unreferenced(void)
{
    wh_server srv;
    if (server_open(&srv, "run") != 0) {
        CHECK(0);
        return;
    }
    static char shas[N_BLOBS][65];
    char kept[65];
    wh_err err = {0};
    bool pushed = true;
    for (int i = 0; i < N_BLOBS && pushed; i++) {
        char content[16];
        snprintf(content, sizeof content, "blob%06d", i);   /* 10 bytes */
        pushed = push(&srv, "loose/repo", content, shas[i]) == 0;
    }
    CHECK(pushed);
    CHECK_INT(push(&srv, "kept/repo", "kept-blob!", kept), 0);
    CHECK_INT(list_in_invoice(srv.meta, "kept/bindle", kept), 0);

    size_t dropped = 99;
    CHECK_INT(wh_oci_gc_run(&srv, (int64_t)time(NULL) - 3600, &dropped, &err), 0);
    CHECK_INT(dropped, 0);   /* every link is younger than the cutoff */
    CHECK_INT(wh_store_has(srv.store, shas[0], NULL, &err), 1);

    CHECK_INT(wh_oci_gc_run(&srv, (int64_t)time(NULL) + 10, &dropped, &err), 0);
    CHECK_INT(dropped, N_BLOBS);
    int left_bytes = 0, left_rows = 0, still_visible = 0;
    for (int i = 0; i < N_BLOBS; i++) {
        left_bytes += wh_store_has(srv.store, shas[i], NULL, &err) != 0;
        left_rows += wh_meta_parcel_has(srv.meta, shas[i], &err) != 0;
        still_visible += wh_meta_oci_blob_visible(srv.meta, "loose/repo", shas[i], &err) != 0;
    }
    CHECK_INT(left_bytes, 0);
    CHECK_INT(left_rows, 0);
    CHECK_INT(still_visible, 0);
    CHECK_INT(wh_store_has(srv.store, kept, NULL, &err), 1);
    CHECK_INT(wh_meta_oci_blob_visible(srv.meta, "kept/repo", kept, &err), 1);

    CHECK_INT(wh_oci_gc_run(&srv, (int64_t)time(NULL) + 10, &dropped, &err), 0);
    CHECK_INT(dropped, 0);
    server_close(&srv);
}

/* An hour's interval must not delay the stop: the thread waits on a
 * condition the stop signals. */
static void test_thread_stops_at_once(void)
{
    wh_server srv;
    if (server_open(&srv, "thread") != 0) {
        CHECK(0);
        return;
    }
    srv.cfg.gc_interval = 3600;
    srv.cfg.gc_grace = 86400;
    wh_err err = {0};
    CHECK_INT(wh_oci_gc_start(&srv, &err), 0);
    CHECK(srv.gc != NULL);
    wh_oci_gc_stop(&srv);
    CHECK(srv.gc == NULL);
    wh_oci_gc_stop(&srv);   /* a second stop is a no-op */

    srv.cfg.gc_interval = 0;   /* off: no thread at all */
    CHECK_INT(wh_oci_gc_start(&srv, &err), 0);
    CHECK(srv.gc == NULL);
    server_close(&srv);
}

int main(void)
{
    if (tmp_root_make("/tmp/wh-test-oci-gc") != 0)
        return 1;
    RUN(test_run_drops_old_unreferenced);
    RUN(test_thread_stops_at_once);
    tmp_root_remove();
    return unit_done("oci_gc");
}
