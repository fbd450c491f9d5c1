/*
 * routes_aot.c - ahead-of-time artifacts of wasm parcels:
 *
 *   GET, HEAD /v1/_a/NAME/VERSION@SHA/TARGET
 *
 * 200 with the shared object (sent like any parcel: sendfile, ranges,
 * ETag) and its provenance in headers: X-Wharf-Source-Sha256,
 * X-Wharf-Target, X-Wharf-Toolchain and X-Wharf-Attestation, the host's
 * signature over them and the artifact's sha256 (docs/aot.md).  202 while
 * it is queued or building; 404 with the reason when there will be none.
 * A module stored before AOT was turned on is queued on first request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot_queue.h"
#include "auth.h"
#include "schema/invoice.h"
#include "server.h"

static void release_cached(wh_req *req)
{
    wh_cached_invoice_release(req->ctx);
    req->ctx = NULL;
}

/* Queues a stored module that has no build yet: 0 queued (or recorded as
 * declined), or the reply set. */
static int queue_late(wh_req *req, const char *sha256)
{
    char *text = NULL;
    size_t len = 0;
    wh_err e;
    int rc = wh_meta_wasm_get(req->srv->meta, sha256, &text, &len, &e);
    if (rc == WH_ENOTFOUND) {
        int has = wh_meta_parcel_has(req->srv->meta, sha256, &e);
        if (has < 0)
            wh_reply_err(req, &e);
        else
            wh_reply_error(req, MHD_HTTP_NOT_FOUND, has ? "parcel %s is not a wasm module" :
                           "parcel %s has not been uploaded yet", sha256);
        return -1;
    }
    if (rc) {
        wh_reply_err(req, &e);
        return -1;
    }
    json_error_t je;
    json_t *desc = json_loadb(text, len, 0, &je);
    free(text);
    rc = wh_aot_queue_module(req->srv->aot, sha256, desc, &e);
    json_decref(desc);
    if (rc) {
        wh_reply_err(req, &e);
        return -1;
    }
    return 0;
}

void wh_route_aot(wh_req *req, const char *name, const char *version, const char *sha256,
                  const char *target)
{
    wh_server *srv = req->srv;
    wh_err e;
    if (!wh_sha256_hex_valid(sha256))
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                              "\"%.80s\" is not a sha256 (64 lowercase hex digits)", sha256);
    if (!wh_req_check_id(req, name, version) || !wh_auth_allow(req, WH_SCOPE_READ, name))
        return;
    wh_cached_invoice *ci = NULL;
    if (wh_invoice_cache_get(srv->cache, srv->meta, name, version, &ci, &e) != 0)
        return wh_reply_err(req, &e);
    req->ctx = ci;
    req->on_cleanup = release_cached;
    const wh_parcel *p = wh_invoice_find_parcel(ci->inv, sha256);
    if (!p)
        return wh_reply_error(req, MHD_HTTP_NOT_FOUND, "bindle %s/%s lists no parcel %s", name,
                              version, sha256);
    const char *toolchain = wh_aot_queue_toolchain(srv->aot, target);
    if (!toolchain)
        return wh_reply_error(req, MHD_HTTP_NOT_FOUND,
                              srv->aot ? "this server does not precompile for \"%.128s\" "
                                         "(aot-targets: %s)"
                                       : "this server does not precompile modules "
                                         "(\"%.128s\"; no aot-targets%s)",
                              target, wh_aot_queue_targets(srv->aot));
    wh_aot_rec r;
    int got = wh_meta_aot_get(srv->meta, sha256, target, toolchain, &r, &e);
    if (got == 0) {
        if (queue_late(req, sha256) != 0)
            return;
        got = wh_meta_aot_get(srv->meta, sha256, target, toolchain, &r, &e);
    }
    if (got < 0)
        return wh_reply_err(req, &e);
    if (got == 0) {
        wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "the build of %s for %s was not "
                       "queued", sha256, target);
        return;
    }
    if (strcmp(r.state, "queued") == 0 || strcmp(r.state, "building") == 0) {
        wh_reply_doc(req, MHD_HTTP_ACCEPTED,
                     json_pack("{s:s, s:s, s:s}", "state", r.state, "target", target,
                               "message", "the artifact is being built; ask again shortly"));
        if (req->resp)
            MHD_add_response_header(req->resp, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    } else if (strcmp(r.state, "done") != 0) {
        wh_reply_error(req, MHD_HTTP_NOT_FOUND, "no artifact of %s for %s: %s (%s)", sha256,
                       target, r.reason ? r.reason : "no reason recorded", r.state);
    } else {
        char fname[600];
        snprintf(fname, sizeof fname, "%s.%s.so", p->label.name, target);
        wh_label l = {.sha256 = r.artifact_sha, .media_type = (char *)"application/x-sharedlib",
                      .name = fname, .size = r.artifact_size};
        wh_serve_parcel(req, &l);
        if (req->resp && req->status < 300) {
            MHD_add_response_header(req->resp, "X-Wharf-Source-Sha256", sha256);
            MHD_add_response_header(req->resp, "X-Wharf-Target", target);
            MHD_add_response_header(req->resp, "X-Wharf-Toolchain", r.toolchain);
            if (r.attestation)
                MHD_add_response_header(req->resp, "X-Wharf-Attestation", r.attestation);
        }
    }
    wh_aot_rec_clear(&r);
}
