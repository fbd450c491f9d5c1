/*
 * routes_wasm.c - what wharfd learnt of a wasm parcel:
 *
 *   GET, HEAD /v1/_m/NAME/VERSION@SHA   its description (wasm_describe.h)
 *
 * The description was made when the parcel was uploaded, in a worker
 * process (wasm_check.h), and is stored by sha256; this route only serves
 * it, for parcels that the bindle lists.  TOML has no null, so in TOML the
 * keys whose value is unknown (a memory without a maximum, no producers
 * section) are left out; JSON keeps them as null.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "schema/invoice.h"
#include "server.h"

/* Drops null members and elements, recursively, for TOML. */
static void strip_nulls(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, e) {
            if (json_is_null(e))
                json_object_del(v, k);
            else
                strip_nulls(e);
        }
    } else if (json_is_array(v)) {
        for (size_t i = json_array_size(v); i-- > 0;) {
            json_t *e = json_array_get(v, i);
            if (json_is_null(e))
                json_array_remove(v, i);
            else
                strip_nulls(e);
        }
    }
}

/* The AOT builds of a module, per target, with their state: what
 * /v1/_a/.../TARGET would answer.  Failure logs are cut to their end. */
static json_t *aot_builds(wh_server *srv, const char *sha256, wh_err *err)
{
    wh_aot_rec *v = NULL;
    size_t n = 0;
    if (wh_meta_aot_list(srv->meta, sha256, &v, &n, err) != 0)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        const wh_aot_rec *r = &v[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "target", r->target, "state", r->state,
                              "toolchain", r->toolchain);
        if (!o)
            continue;
        if (r->artifact_sha[0]) {
            json_object_set_new(o, "artifact_sha256", json_string(r->artifact_sha));
            json_object_set_new(o, "size", json_integer((json_int_t)r->artifact_size));
        }
        if (r->attestation)
            json_object_set_new(o, "attestation", json_string(r->attestation));
        if (r->reason)
            json_object_set_new(o, "reason", json_string(r->reason));
        if (r->log && strcmp(r->state, "failed") == 0) {
            size_t len = strlen(r->log), keep = len > 4096 ? 4096 : len;
            json_object_set_new(o, "log", json_stringn(r->log + len - keep, keep));
        }
        json_array_append_new(list, o);
    }
    wh_aot_recs_free(v, n);
    if (!list)
        wh_err_set(err, WH_ENOMEM, "out of memory");
    return list;
}

static void release_cached(wh_req *req)
{
    wh_cached_invoice_release(req->ctx);
    req->ctx = NULL;
}

void wh_route_wasm(wh_req *req, const char *name, const char *version, const char *sha256)
{
    wh_err e;
    if (!wh_sha256_hex_valid(sha256))
        return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                              "\"%.80s\" is not a sha256 (64 lowercase hex digits)", sha256);
    if (!wh_req_check_id(req, name, version) || !wh_auth_allow(req, WH_SCOPE_READ, name))
        return;
    wh_cached_invoice *ci = NULL;
    if (wh_invoice_cache_get(req->srv->cache, req->srv->meta, name, version, &ci, &e) != 0)
        return wh_reply_err(req, &e);
    req->ctx = ci;
    req->on_cleanup = release_cached;
    if (!wh_invoice_find_parcel(ci->inv, sha256))
        return wh_reply_error(req, MHD_HTTP_NOT_FOUND, "bindle %s/%s lists no parcel %s", name,
                              version, sha256);
    char *text = NULL;
    size_t len = 0;
    int rc = wh_meta_wasm_get(req->srv->meta, sha256, &text, &len, &e);
    if (rc == WH_ENOTFOUND) {
        int has = wh_meta_parcel_has(req->srv->meta, sha256, &e);
        if (has < 0)
            return wh_reply_err(req, &e);
        return wh_reply_error(req, MHD_HTTP_NOT_FOUND,
                              has ? "parcel %s is not a wasm module" :
                                    "parcel %s has not been uploaded yet", sha256);
    }
    if (rc)
        return wh_reply_err(req, &e);
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    free(text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR,
                              "the stored description of %s is damaged", sha256);
    }
    json_object_set_new(doc, "sha256", json_string(sha256));
    json_t *aot = aot_builds(req->srv, sha256, &e);
    if (!aot) {
        json_decref(doc);
        return wh_reply_err(req, &e);
    }
    json_object_set_new(doc, "aot", aot);
    if (!req->want_json)
        strip_nulls(doc);
    wh_reply_doc(req, MHD_HTTP_OK, doc);
}
