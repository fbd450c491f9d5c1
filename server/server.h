/*
 * server.h - wharfd's shared state and the request life cycle that every
 * route handler follows.
 *
 * libmicrohttpd calls us several times per request: once when the headers
 * are in, once per chunk of body, and once at the end.  http.c turns that
 * into a small protocol for handlers:
 *
 *   1. the route's `start` runs when the headers are in.  It either answers
 *      at once (wh_reply_*), or accepts a body by setting req->body_mode:
 *      WH_BODY_BUFFER collects it in memory up to req->body_limit (for
 *      invoices), WH_BODY_STREAM hands each chunk to req->on_data (for
 *      parcels, which are never held whole in memory);
 *   2. at the end of the body, req->on_end answers.  It runs on a worker of
 *      the offload pool while the connection is suspended, so it may block
 *      (fsync, a database commit) without stalling other connections;
 *   3. req->on_cleanup runs when the connection is done with the request,
 *      however it ended (answered, cut off, server stopping), and releases
 *      what the handler holds (an upload in progress is discarded there).
 *
 * Once a reply is set, any further body is read and thrown away (up to a
 * bound, after which the connection is closed), so a client that sends too
 * much still gets its 413 when it stops sending.
 *
 * Ownership: the wh_req and everything hung on it belong to http.c and die
 * after on_cleanup; handlers keep their own state in req->ctx and free it in
 * on_cleanup.
 */
#ifndef WH_SERVER_H
#define WH_SERVER_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "config.h"
#include "invoice_cache.h"
#include "offload.h"
#include "schema/error.h"
#include "schema/keys.h"
#include "schema/signature.h"
#include "storage/meta.h"
#include "storage/store.h"

typedef struct wh_server {
    wh_config cfg;
    enum wh_log_level log_level;
    wh_store *store;
    wh_meta *meta;
    wh_invoice_cache *cache;
    wh_offload *offload;              /* where on_end runs (see http.c) */
    wh_offload *auth_pool;            /* where Basic passwords are checked */
    struct wh_aot_queue *aot;         /* AOT builds; NULL without --aot-targets */
    wh_secret_keys *host_keys;        /* DATA/host_key.toml */
    const wh_secret_key *host_key;    /* signs accepted invoices and yanks */
    /* Trust (server/trust.c sets these up from cfg). */
    bool verify_none;                 /* --verify none: no signature checks */
    wh_strategy strategy;             /* otherwise, how invoices are checked */
    wh_keyring *keyring;              /* --keyring: trusted for every name */
    bool new_names_keyring;           /* --new-names keyring */
    bool auth_none;                   /* --auth none */
    bool read_token;                  /* --read-auth token */
    struct wh_htpasswd *htpasswd;     /* --htpasswd, or NULL */
    struct wh_scopes *htpasswd_scopes; /* what its users may do */
    struct MHD_Daemon *daemon;
    atomic_uint_fast64_t uploads;     /* parcel uploads in progress */
    char *tls_cert_pem, *tls_key_pem;
    /* Finishing an OCI blob (its bytes put in place, then linked to its
     * repository) holds this shared; the collector (oci_gc.c) holds it
     * exclusive while it drops one blob, so that it never removes bytes
     * that were just linked again.  Nothing else takes it. */
    pthread_rwlock_t blob_gate;
    struct wh_oci_gc *gc;             /* the collector's thread, or NULL */
} wh_server;

typedef enum wh_body_mode {
    WH_BODY_NONE = 0,   /* no body expected; any sent is discarded */
    WH_BODY_BUFFER,     /* collected into req->body, at most req->body_limit */
    WH_BODY_STREAM      /* passed to req->on_data chunk by chunk */
} wh_body_mode;

typedef struct wh_req wh_req;

struct wh_req {
    wh_server *srv;
    struct MHD_Connection *conn;
    const char *method;         /* "GET", "HEAD", ... */
    const char *path;           /* decoded URL path */
    bool want_json;             /* negotiated response format */
    bool body_json;             /* the request body is JSON (by Content-Type) */

    wh_body_mode body_mode;
    uint64_t body_limit;        /* WH_BODY_BUFFER: over it is 413 */
    char *body;                 /* WH_BODY_BUFFER: the bytes, NUL-terminated */
    size_t body_len, body_cap;
    uint64_t discarded;         /* body bytes thrown away after a reply */

    /* Set by the handler as it needs. */
    void *ctx;
    int (*on_data)(wh_req *req, const char *data, size_t len);  /* non-0: close now */
    void (*on_end)(wh_req *req);
    void (*on_cleanup)(wh_req *req);

    /* The reply, once decided. */
    struct MHD_Response *resp;
    unsigned status;
    bool resp_shared;           /* resp belongs to someone else (the cache) */
    bool end_started;           /* on_end was handed to the offload pool */
    bool routed;                /* the route's start has run */
    bool oci;                   /* an OCI request: errors in the OCI format (oci.h) */

    struct wh_principal *who;   /* auth.c: who is asking, once it was asked */
};

/* Replies with `doc` (a JSON object; the reference is stolen) as TOML or JSON,
 * as negotiated. */
void wh_reply_doc(wh_req *req, unsigned status, json_t *doc);

/* Replies `error = "message"` in the negotiated format. */
void wh_reply_error(wh_req *req, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replies with the status that matches err->code, and err's message. */
void wh_reply_err(wh_req *req, const wh_err *err);

/* Replies with a prepared response; takes over the caller's reference. */
void wh_reply_response(wh_req *req, unsigned status, struct MHD_Response *resp);

/* Replies with a response that someone else owns and keeps alive at least
 * until this request is cleaned up (a cached invoice); libmicrohttpd keeps
 * its own reference while sending. */
void wh_reply_shared(wh_req *req, unsigned status, struct MHD_Response *resp);

/* The HTTP status for a WH_E* code. */
unsigned wh_http_status(int code);

/* Whether the request announces a body (a Content-Length above 0, or a
 * chunked Transfer-Encoding). */
bool wh_req_may_have_body(wh_req *req);

/* A request header or query argument, or NULL. */
const char *wh_req_header(wh_req *req, const char *name);
const char *wh_req_arg(wh_req *req, const char *name);

/* Checks NAME and VERSION taken from a URL; replies 400 naming the broken
 * rule and returns false when either is malformed. */
bool wh_req_check_id(wh_req *req, const char *name, const char *version);

/* Logs at `level` when the configured level allows it. */
void wh_log(wh_server *srv, enum wh_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Starts the HTTP daemon on cfg.listen; fills *port with the bound port and
 * `host` with the printable host. */
int wh_http_start(wh_server *srv, char *host, size_t host_cap, uint16_t *port,
                  wh_err *err);
void wh_http_stop(wh_server *srv);

/* Route handlers (server/routes_*.c), called at the start of a request. */
void wh_route_invoice_create(wh_req *req);
void wh_route_invoice(wh_req *req, const char *name, const char *version);
void wh_route_parcel(wh_req *req, const char *name, const char *version,
                     const char *sha256);
void wh_route_missing(wh_req *req, const char *name, const char *version);
void wh_route_resolve(wh_req *req, const char *name, const char *version);
void wh_route_wasm(wh_req *req, const char *name, const char *version, const char *sha256);
void wh_route_aot(wh_req *req, const char *name, const char *version, const char *sha256,
                  const char *target);

/* Sends a stored parcel as the reply (sendfile, ranges, ETag), with the
 * label's media type: parcel downloads and AOT artifacts. */
void wh_serve_parcel(wh_req *req, const wh_label *label);

/* The same for any stored blob: what wh_serve_parcel and the OCI blob
 * route (oci_blob.c) both send. */
void wh_serve_blob(wh_req *req, const char *sha256, const char *media_type);

/*
 * A streamed upload's hold on the server: one of the max-uploads slots, and
 * the clock that min-upload-rate is measured on (routes_parcel.c).  Parcel
 * uploads and OCI blob uploads share both, so neither can starve the other
 * of slots and a trickling client is cut off the same way in each.
 */
typedef struct wh_upload_slot {
    bool held;
    struct timespec started;
} wh_upload_slot;

/* Takes a slot and starts the clock; false with the 503 reply set when
 * every slot is taken. */
bool wh_upload_slot_take(wh_req *req, wh_upload_slot *slot);

/* Gives the slot back; a no-op when none is held. */
void wh_upload_slot_release(wh_server *srv, wh_upload_slot *slot);

/* Whether an upload that has received `received` bytes is below
 * min-upload-rate (only once idle-timeout has passed). */
bool wh_upload_slot_too_slow(wh_req *req, const wh_upload_slot *slot, uint64_t received);
void wh_route_query(wh_req *req);
void wh_route_health(wh_req *req);
void wh_route_keys(wh_req *req);

#endif
