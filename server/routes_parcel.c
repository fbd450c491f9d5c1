/*
 * routes_parcel.c - parcel upload and download:
 *
 *   POST      /v1/_i/NAME/VERSION@SHA   upload a parcel that the invoice lists
 *   GET, HEAD /v1/_i/NAME/VERSION@SHA   the bytes, with ETag and byte ranges
 *
 * Uploads stream straight into the parcel store (store.h), which hashes as
 * bytes arrive and keeps nothing of a failed upload.  Everything that can be
 * refused is refused before the first body byte is read: unknown invoice,
 * yanked, parcel not listed, a Content-Length that contradicts the label,
 * over the size limit, too many uploads at once.  A parcel that is already
 * stored answers 200 at once, so a client that sent `Expect: 100-continue`
 * never sends the bytes at all.
 *
 * Downloads hand the stored file's descriptor to libmicrohttpd, which sends
 * it with sendfile(2): no copy through user space.  Parcels are immutable and
 * named by their hash, so the hash is a strong ETag and responses may be
 * cached forever.  OCI blob downloads are served by the same code
 * (wh_serve_blob), and OCI blob uploads share the upload slots and the
 * min-upload-rate rule kept here (wh_upload_slot_*).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_parse.h"
#include "auth.h"
#include "aot_queue.h"
#include "oci.h"
#include "server.h"
#include "wasm_check.h"
#include "wasm_describe.h"

typedef struct upload_ctx {
    wh_cached_invoice *ci;
    const wh_label *label;
    wh_upload *up;
    wh_upload_slot slot;
} upload_ctx;

bool wh_upload_slot_take(wh_req *req, wh_upload_slot *slot)
{
    wh_server *srv = req->srv;
    if (atomic_fetch_add(&srv->uploads, 1) >= srv->cfg.max_uploads) {
        atomic_fetch_sub(&srv->uploads, 1);
        wh_err e;
        wh_err_set(&e, WH_EBUSY, "too many parcel uploads in progress (max-uploads %" PRIu64
                   "); retry shortly", srv->cfg.max_uploads);
        wh_reply_err(req, &e);
        return false;
    }
    slot->held = true;
    clock_gettime(CLOCK_MONOTONIC, &slot->started);
    return true;
}

void wh_upload_slot_release(wh_server *srv, wh_upload_slot *slot)
{
    if (slot->held)
        atomic_fetch_sub(&srv->uploads, 1);
    slot->held = false;
}

/* An upload holds one of the max-uploads slots until it ends, and the idle
 * timeout only catches a client that sends nothing at all: one that
 * trickles a byte now and then could hold every slot.  So once idle-timeout
 * has passed, an upload must average min-upload-rate or be cut off. */
bool wh_upload_slot_too_slow(wh_req *req, const wh_upload_slot *slot, uint64_t received)
{
    uint64_t rate = req->srv->cfg.min_upload_rate;
    if (rate == 0)
        return false;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - slot->started.tv_sec) +
                  (double)(now.tv_nsec - slot->started.tv_nsec) / 1e9;
    if (secs <= (double)req->srv->cfg.idle_timeout)
        return false;
    return (double)received < (double)rate * secs;
}

static void upload_cleanup(wh_req *req)
{
    upload_ctx *u = req->ctx;
    if (!u)
        return;
    wh_upload_abort(u->up);  /* no-op after commit, which frees and clears it */
    wh_upload_slot_release(req->srv, &u->slot);
    wh_cached_invoice_release(u->ci);
    free(u);
    req->ctx = NULL;
}

static int upload_data(wh_req *req, const char *data, size_t len)
{
    upload_ctx *u = req->ctx;
    wh_err e;
    if (wh_upload_slot_too_slow(req, &u->slot, wh_upload_received(u->up))) {
        wh_log(req->srv, WH_LOG_WARN, "cut off an upload of %s below min-upload-rate",
               u->label->sha256);
        return -1;
    }
    if (wh_upload_write(u->up, data, len, &e) != 0) {
        if (e.code == WH_ETOOBIG)
            e.code = WH_EINVAL;  /* more bytes than the label says: a size mismatch */
        wh_reply_err(req, &e);
        wh_upload_abort(u->up);
        u->up = NULL;
    }
    return 0;
}

static ssize_t read_upload(void *ctx, uint64_t offset, void *buf, size_t len, wh_err *err)
{
    return wh_upload_pread(ctx, offset, buf, len, err);
}

/* Whether the parcel is to be checked as wasm: labelled application/wasm
 * (parameters aside), or starting with the wasm magic whatever its label. */
static bool is_wasm(const wh_label *l, wh_upload *up)
{
    size_t n = strlen("application/wasm");
    if (strncasecmp(l->media_type, "application/wasm", n) == 0 &&
        (l->media_type[n] == '\0' || l->media_type[n] == ';' || l->media_type[n] == ' '))
        return true;
    unsigned char magic[8];
    wh_err e;
    ssize_t got = wh_upload_pread(up, 0, magic, sizeof magic, &e);
    return got >= 4 && wh_wasm_is_wasm(magic, (size_t)got);
}

/* Validates a wasm parcel before it is stored (wasm_check.h): 0 with
 * *desc for a valid one; the reply set (422 with wabt's reason) otherwise. */
static int check_wasm(wh_req *req, upload_ctx *u, wh_upload *up, json_t **desc)
{
    const wh_config *cfg = &req->srv->cfg;
    wh_wasm_check_limits lim = {cfg->wasm_max_bytes, cfg->wasm_cpu_seconds,
                                cfg->wasm_memory_bytes, cfg->wasm_wall_seconds};
    wh_err e;
    if (wh_wasm_check(&lim, read_upload, up, u->label->size, desc, &e) != 0) {
        wh_reply_err(req, &e);
        return -1;
    }
    if (!json_is_true(json_object_get(*desc, "valid"))) {
        const char *why = json_string_value(json_object_get(*desc, "error"));
        wh_log(req->srv, WH_LOG_INFO, "refused wasm parcel %s: %s", u->label->sha256,
               why ? why : "invalid");
        wh_reply_error(req, MHD_HTTP_UNPROCESSABLE_CONTENT, "parcel %s (\"%s\") is not a valid "
                       "wasm module: %s", u->label->sha256, u->label->name,
                       why ? why : "invalid");
        json_decref(*desc);
        *desc = NULL;
        return -1;
    }
    return 0;
}

static void upload_end(wh_req *req)
{
    upload_ctx *u = req->ctx;
    wh_err e;
    wh_upload *up = u->up;
    json_t *desc = NULL;
    u->up = NULL;
    /* Size and digest first: a wasm check of the wrong bytes is wasted. */
    if (wh_upload_verify(up, &e) != 0 ||
        (is_wasm(u->label, up) && check_wasm(req, u, up, &desc) != 0)) {
        wh_upload_abort(up);
        if (!req->resp)
            wh_reply_err(req, &e);
        return;
    }
    if (wh_upload_commit(up, &e) != 0) {
        json_decref(desc);
        return wh_reply_err(req, &e);
    }
    if (desc) {
        char *text = json_dumps(desc, JSON_COMPACT);
        const char *kind = json_string_value(json_object_get(desc, "kind"));
        int rc = text ? wh_meta_wasm_put(req->srv->meta, u->label->sha256, true,
                                         kind ? kind : "module", text, strlen(text), &e)
                      : wh_err_set(&e, WH_ENOMEM, "out of memory");
        free(text);
        if (!rc && kind && strcmp(kind, "module") == 0 &&
            wh_aot_queue_module(req->srv->aot, u->label->sha256, desc, &e) != 0)
            wh_log(req->srv, WH_LOG_ERROR, "aot: cannot queue %s: %s", u->label->sha256, e.msg);
        json_decref(desc);
        if (rc)
            return wh_reply_err(req, &e);
    }
    if (wh_meta_parcel_add(req->srv->meta, u->label->sha256, u->label->size, &e) != 0)
        return wh_reply_err(req, &e);
    wh_log(req->srv, WH_LOG_INFO, "stored parcel %s (%" PRIu64 " bytes)", u->label->sha256,
           u->label->size);
    wh_reply_doc(req, MHD_HTTP_OK, json_object());
}

static void upload_start(wh_req *req, upload_ctx *u)
{
    wh_server *srv = req->srv;
    const wh_label *l = u->label;
    wh_err e;
    if (l->size > srv->cfg.max_parcel_bytes)
        return wh_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
                              "parcel %s is %" PRIu64 " bytes, over the %" PRIu64
                              "-byte limit (max-parcel-bytes)",
                              l->sha256, l->size, srv->cfg.max_parcel_bytes);
    const char *cl = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (n != l->size)
            return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                  "size mismatch: the label says parcel %s is %" PRIu64
                                  " bytes, the request sends %llu",
                                  l->sha256, l->size, n);
    }
    int has = wh_meta_parcel_has(srv->meta, l->sha256, &e);
    if (has < 0)
        return wh_reply_err(req, &e);
    if (has)
        return wh_reply_doc(req, MHD_HTTP_OK, json_object());
    if (!wh_upload_slot_take(req, &u->slot))
        return;
    if (wh_store_upload_begin(srv->store, l->sha256, l->size, &u->up, &e) != 0)
        return wh_reply_err(req, &e);
    req->body_mode = WH_BODY_STREAM;
    req->on_data = upload_data;
    req->on_end = upload_end;
}

/* Does If-None-Match name this ETag (or "*")? */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    return strstr(inm, etag) != NULL;
}

void wh_serve_parcel(wh_req *req, const wh_label *l)
{
    wh_serve_blob(req, l->sha256, l->media_type);
}

void wh_serve_blob(wh_req *req, const char *sha256, const char *media_type)
{
    wh_err e;
    wh_blob blob;
    if (wh_store_open_blob(req->srv->store, sha256, &blob, &e) != 0) {
        if (e.code != WH_ENOTFOUND)
            return wh_reply_err(req, &e);
        if (req->oci)
            return wh_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UNKNOWN",
                                "blob sha256:%s is not stored", sha256);
        return wh_reply_error(req, MHD_HTTP_NOT_FOUND, "parcel %s has not been uploaded yet",
                              sha256);
    }
    char etag[70];
    snprintf(etag, sizeof etag, "\"%s\"", sha256);
    uint64_t first = 0, last = blob.size ? blob.size - 1 : 0;
    unsigned status = MHD_HTTP_OK;
    struct MHD_Response *r = NULL;
    char crange[96] = "";

    if (etag_matches(wh_req_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH), etag)) {
        /* A 304 may only carry the Content-Length a 200 would have. */
        /* libmicrohttpd sends no body with a 304 but does announce the
         * response's length, so answer with the whole parcel's response. */
        status = MHD_HTTP_NOT_MODIFIED;
        if (blob.size == 0) {
            wh_blob_close(&blob);
            r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        } else {
            r = MHD_create_response_from_fd_at_offset64(blob.size, blob.fd, 0);
            if (!r)
                wh_blob_close(&blob);
        }
    } else {
        /* A Range under an If-Range that is not our ETag (another validator,
         * or a date) must get the whole body: the client's partial copy may
         * be of other bytes. */
        const char *if_range = wh_req_header(req, MHD_HTTP_HEADER_IF_RANGE);
        const char *range = wh_req_header(req, MHD_HTTP_HEADER_RANGE);
        if (if_range && strcmp(if_range, etag) != 0)
            range = NULL;
        int rr = wh_http_parse_range(range, blob.size, &first, &last);
        if (rr < 0) {
            wh_blob_close(&blob);
            snprintf(crange, sizeof crange, "bytes */%" PRIu64, blob.size);
            wh_reply_error(req, MHD_HTTP_RANGE_NOT_SATISFIABLE,
                           "range %s is outside parcel %s of %" PRIu64 " bytes",
                           range, sha256, blob.size);
            if (req->resp)
                MHD_add_response_header(req->resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
            return;
        }
        if (rr > 0) {
            status = MHD_HTTP_PARTIAL_CONTENT;
            snprintf(crange, sizeof crange, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
                     last, blob.size);
        }
        if (blob.size == 0) {
            wh_blob_close(&blob);
            r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        } else {
            /* libmicrohttpd owns and closes the descriptor from here on. */
            r = MHD_create_response_from_fd_at_offset64(last - first + 1, blob.fd,
                                                        first);
            if (!r)
                wh_blob_close(&blob);
        }
    }
    if (!r)
        return wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, media_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=31536000, immutable");
    /* The media type comes from whoever published: never let a browser run
     * a parcel as a page of this origin. */
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", "sandbox");
    if (crange[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
    wh_reply_response(req, status, r);
}

void wh_route_parcel(wh_req *req, const char *name, const char *version, const char *sha256)
{
    wh_err e;
    if (!wh_sha256_hex_valid(sha256))
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                              "\"%.80s\" is not a sha256 (64 lowercase hex digits)", sha256);
    if (!wh_req_check_id(req, name, version))
        return;
    bool post = strcmp(req->method, "POST") == 0;
    if (!wh_auth_allow(req, post ? WH_SCOPE_PUSH : WH_SCOPE_READ, name))
        return;
    upload_ctx *u = calloc(1, sizeof *u);
    if (!u)
        return wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    req->ctx = u;
    req->on_cleanup = upload_cleanup;
    if (wh_invoice_cache_get(req->srv->cache, req->srv->meta, name, version, &u->ci, &e) != 0)
        return wh_reply_err(req, &e);
    const wh_parcel *p = wh_invoice_find_parcel(u->ci->inv, sha256);
    if (!p)
        return wh_reply_error(req, post ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_NOT_FOUND,
                              "bindle %s/%s lists no parcel %s", name, version, sha256);
    u->label = &p->label;
    if (!post)
        return wh_serve_parcel(req, u->label);
    if (u->ci->yanked)
        return wh_reply_error(req, MHD_HTTP_FORBIDDEN,
                              "bindle %s/%s is yanked: it takes no more parcels", name, version);
    upload_start(req, u);
}
