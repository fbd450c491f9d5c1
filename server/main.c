/*
 * main.c - wharfd: read the settings, open the stores, serve until SIGTERM
 * or SIGINT, then stop cleanly.  `wharfd token ...` and `wharfd keys ...`
 * are the operator commands of admin.c instead.
 *
 * Signals are blocked before any thread starts, so every libmicrohttpd
 * thread inherits the mask and only the main thread, in sigwait, ever sees
 * them.  Stopping the daemon ends every connection; uploads in flight are
 * discarded by their cleanup (and their temporary files were anonymous to
 * begin with), so nothing half-written survives a stop.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "aot_queue.h"
#include "host_key.h"
#include "oci.h"
#include "schema/file.h"
#include "server.h"
#include "trust.h"
#include "wasm_check.h"

static int open_stores(wh_server *srv, wh_err *err)
{
    const char *data = srv->cfg.data;
    if (mkdir(data, 0755) != 0 && errno != EEXIST)
        return wh_err_set(err, WH_EIO, "cannot create data directory %s: %s", data,
                          strerror(errno));
    char path[4096];
    snprintf(path, sizeof path, "%s/parcels", data);
    int rc = wh_store_open_fs(path, &srv->store, err);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/wharf.db", data);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int conns = (int)(srv->cfg.threads ? srv->cfg.threads : (uint64_t)(cores > 0 ? cores : 1)) +
                (int)srv->cfg.io_threads + 1;
    rc = wh_meta_open_sqlite(path, conns, &srv->meta, err);
    if (rc)
        return rc;
    bool created = false;
    rc = wh_host_key_open(data, &srv->host_keys, &srv->host_key, &created, err);
    if (rc)
        return rc;
    if (created)
        wh_log(srv, WH_LOG_WARN, "created the host key %s/host_key.toml", data);
    rc = wh_invoice_cache_new((size_t)srv->cfg.cache_entries, &srv->cache, err);
    if (rc)
        return rc;
    rc = wh_offload_start((unsigned)srv->cfg.io_threads, &srv->offload, err);
    /* bcrypt gets threads of its own, so that a flood of Basic attempts
     * delays only other Basic requests, never uploads and commits. */
    if (!rc)
        rc = wh_offload_start(2, &srv->auth_pool, err);
    return rc ? rc : wh_aot_queue_start(srv, &srv->aot, err);
}

int main(int argc, char **argv)
{
    wh_server srv;
    memset(&srv, 0, sizeof srv);
    wh_err err;
    wh_err_clear(&err);
    bool help = false;
    int status = 1;

    if (wh_admin_is_command(argc, argv))
        return wh_admin_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--wasm-worker") == 0)
        return wh_wasm_worker_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "--aot-worker") == 0)
        return wh_aot_worker_main(argc, argv);
    if (wh_config_load(&srv.cfg, argc, argv, &help, &err) != 0) {
        fprintf(stderr, "wharfd: %s\n", err.msg);
        wh_config_free(&srv.cfg);
        return 2;
    }
    if (help) {
        wh_config_usage(stdout);
        wh_config_free(&srv.cfg);
        return 0;
    }
    srv.log_level = wh_config_log_level(&srv.cfg);
    /* Writers first: the collector takes the gate for one blob at a time
     * and must not wait behind a steady stream of finishing uploads. */
    pthread_rwlockattr_t gate_attr;
    pthread_rwlockattr_init(&gate_attr);
    pthread_rwlockattr_setkind_np(&gate_attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&srv.blob_gate, &gate_attr);
    pthread_rwlockattr_destroy(&gate_attr);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    size_t pem_len;
    if (srv.cfg.tls_cert &&
        (wh_file_read(srv.cfg.tls_cert, 1 << 20, 0, &srv.tls_cert_pem, &pem_len, &err) != 0 ||
         wh_file_read(srv.cfg.tls_key, 1 << 20, 0, &srv.tls_key_pem, &pem_len, &err) != 0))
        goto done;
    if (wh_trust_open(&srv, &err) != 0 || open_stores(&srv, &err) != 0)
        goto done;
    if (srv.auth_none)
        wh_log(&srv, WH_LOG_WARN, "auth none: anyone who can reach %s may publish and yank",
               srv.cfg.listen);
    if (srv.verify_none)
        wh_log(&srv, WH_LOG_WARN, "verify none: signatures are not checked and names are "
               "not bound to keys");

    char host[128];
    uint16_t port = 0;
    if (wh_http_start(&srv, host, sizeof host, &port, &err) != 0)
        goto done;
    bool v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "wharfd: listening on %s://%s%s%s:%u\n", srv.tls_cert_pem ? "https" : "http",
            v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port);
    fflush(stderr);
    if (wh_oci_gc_start(&srv, &err) != 0)
        goto done;

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    wh_log(&srv, WH_LOG_WARN, "stopping on signal %d", sig);
    status = 0;
done:
    if (status != 0)
        fprintf(stderr, "wharfd: %s\n", err.msg);
    /* Every connection suspended for the pool is resumed by its job, and
     * once the pool stops, requests finish inline: so when the daemon
     * stops, none is left suspended (which libmicrohttpd forbids). */
    /* The collector first: it may hold the gate that finishing uploads
     * on the offload pool wait for. */
    wh_oci_gc_stop(&srv);
    wh_offload_stop(srv.auth_pool);
    wh_offload_stop(srv.offload);
    wh_http_stop(&srv);
    /* Last of the workers: requests and upload ends use the queue. */
    wh_aot_queue_stop(srv.aot);
    srv.aot = NULL;
    wh_offload_free(srv.auth_pool);
    wh_offload_free(srv.offload);
    wh_invoice_cache_free(srv.cache);
    wh_meta_close(srv.meta);
    wh_store_close(srv.store);
    wh_secret_keys_free(srv.host_keys);
    wh_trust_close(&srv);
    free(srv.tls_cert_pem);
    if (srv.tls_key_pem)
        OPENSSL_cleanse(srv.tls_key_pem, strlen(srv.tls_key_pem));
    free(srv.tls_key_pem);
    pthread_rwlock_destroy(&srv.blob_gate);
    wh_config_free(&srv.cfg);
    return status;
}
