/*
 * routes_invoice.c - the invoice routes of Bindle 1.0:
 *
 *   POST   /v1/_i                       create (201 complete, 202 parcels missing)
 *   GET    /v1/_i/NAME/VERSION          the invoice (403 when yanked, unless ?yanked=true)
 *   DELETE /v1/_i/NAME/VERSION          yank, with ?reason=
 *   GET    /v1/_r/missing/NAME/VERSION  the labels not yet stored
 *
 * Creation parses and validates the posted document, checks the poster's
 * scopes and the invoice's signatures (server/trust.h), adds the host
 * signature, then stores its canonical TOML and JSON forms, which are what
 * every later GET serves.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schema/invoice_json.h"
#include "schema/signature.h"
#include "schema/toml.h"
#include "schema/utf8.h"
#include "auth.h"
#include "server.h"
#include "trust.h"

static bool arg_true(wh_req *req, const char *name)
{
    const char *v = wh_req_arg(req, name);
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* The labels of the parcels flagged missing, as a JSON array. */
static json_t *missing_labels(const wh_invoice *inv, const bool *missing)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < inv->n_parcels; i++)
        if (missing[i])
            json_array_append_new(list, wh_label_to_json(&inv->parcels[i].label));
    return list;
}

/*
 * Answers a create with {"invoice": ..., "missing": [labels]}.  The invoice
 * part is the canonical document just stored, put in as text (TOML through
 * wh_toml_nest): formatting a 1000-parcel invoice a second time was a
 * quarter of the request's cost.  In TOML the parts come in the order
 * toml++ would write them: an empty list is a top-level pair, which must
 * precede every table; [[missing]] tables sort after [invoice].
 */
static void reply_created(wh_req *req, unsigned status, const wh_invoice *inv,
                          const bool *missing, const char *toml, size_t toml_len,
                          const char *json, size_t json_len)
{
    json_t *list = missing_labels(inv, missing);
    char *head = NULL, *tail = NULL, *body = NULL;
    size_t head_len = 0, tail_len = 0;
    wh_err e;
    wh_err_clear(&e);
    int rc = list ? 0 : wh_err_set(&e, WH_ENOMEM, "out of memory");
    if (!rc && req->want_json) {
        head = json_dumps(list, JSON_COMPACT);
        rc = head ? 0 : wh_err_set(&e, WH_ENOMEM, "out of memory");
        head_len = head ? strlen(head) : 0;
    } else if (!rc) {
        json_t *doc = json_pack("{s:O}", "missing", list);
        rc = doc ? wh_toml_emit(doc, &head, &head_len, &e)
                 : wh_err_set(&e, WH_ENOMEM, "out of memory");
        json_decref(doc);
        if (!rc)
            rc = wh_toml_nest(toml, toml_len, "invoice", &tail, &tail_len, &e);
    }
    size_t len = req->want_json ? json_len + head_len + 32 : head_len + tail_len + 1;
    if (!rc && !(body = malloc(len + 1)))
        rc = wh_err_set(&e, WH_ENOMEM, "out of memory");
    if (!rc && req->want_json)
        len = (size_t)snprintf(body, len + 1, "{\"invoice\":%.*s,\"missing\":%s}", (int)json_len,
                               json, head);
    else if (!rc && json_array_size(list) == 0)
        len = (size_t)snprintf(body, len + 1, "%s%s", head, tail);
    else if (!rc)
        len = (size_t)snprintf(body, len + 1, "%s%s", tail, head);
    struct MHD_Response *r = NULL;
    if (!rc && !(r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)))
        rc = wh_err_set(&e, WH_ENOMEM, "out of memory");
    json_decref(list);
    free(head);
    free(tail);
    if (rc) {
        free(body);
        return wh_reply_err(req, &e);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            req->want_json ? "application/json" : "application/toml");
    wh_reply_response(req, status, r);
}

static void create_end(wh_req *req)
{
    wh_server *srv = req->srv;
    wh_err e;
    wh_err_clear(&e);
    wh_invoice *inv = NULL;
    char *toml = NULL, *json = NULL;
    size_t toml_len = 0, json_len = 0;
    bool *missing = NULL;
    wh_ns_key *bind = NULL;
    size_t n_bind = 0;

    wh_invoice_limits lim = wh_invoice_default_limits;
    lim.max_bytes = (size_t)srv->cfg.max_invoice_bytes;
    lim.max_parcels = (size_t)srv->cfg.max_parcels;
    const char *body = req->body ? req->body : "";
    int rc = req->body_json ? wh_invoice_parse_json(body, req->body_len, &lim, &inv, &e)
                            : wh_invoice_parse_toml(body, req->body_len, &lim, &inv, &e);
    if (rc) {
        wh_err_prefix(&e, "invalid invoice");
        goto fail;
    }
    rc = wh_invoice_validate(inv, &e);
    if (rc) {
        wh_err_prefix(&e, "invalid invoice");
        goto fail;
    }
    if (!wh_auth_allow(req, WH_SCOPE_PUSH, inv->bindle.name))
        goto done;
    if (inv->yanked) {
        rc = wh_err_set(&e, WH_EUNPROC,
                        "invoice %s/%s is marked yanked; a bindle cannot be created yanked",
                        inv->bindle.name, inv->bindle.version);
        goto fail;
    }
    rc = wh_trust_check_invoice(srv, inv, &bind, &n_bind, &e);
    if (rc)
        goto fail;
    rc = wh_trust_host_sign(srv, inv, &toml, &toml_len, &json, &json_len, &e);
    if (rc)
        goto fail;
    missing = calloc(inv->n_parcels ? inv->n_parcels : 1, sizeof *missing);
    size_t n_missing = 0;
    if (!missing) {
        rc = wh_err_set(&e, WH_ENOMEM, "out of memory");
        goto fail;
    }
    /* Between asking which parcels are stored and recording the invoice
     * that references them, the collector (oci_gc.c) must not drop one of
     * them: it would be counted as stored, and be gone. */
    pthread_rwlock_rdlock(&srv->blob_gate);
    rc = wh_meta_missing(srv->meta, inv, missing, &n_missing, &e);
    if (!rc)
        rc = wh_meta_invoice_create(srv->meta, inv, toml, toml_len, json, json_len, bind,
                                    n_bind, &e);
    pthread_rwlock_unlock(&srv->blob_gate);
    if (rc)
        goto fail;
    if (n_bind)
        wh_log(srv, WH_LOG_INFO, "bound %s to %zu creator key%s", inv->bindle.name, n_bind,
               n_bind == 1 ? "" : "s");
    wh_log(srv, WH_LOG_INFO, "created %s/%s (%zu parcels, %zu missing)", inv->bindle.name,
           inv->bindle.version, inv->n_parcels, n_missing);
    reply_created(req, n_missing ? MHD_HTTP_ACCEPTED : MHD_HTTP_CREATED, inv, missing, toml,
                  toml_len, json, json_len);
    goto done;
fail:
    wh_reply_err(req, &e);
done:
    wh_ns_keys_free(bind, n_bind);
    free(missing);
    free(toml);
    free(json);
    wh_invoice_free(inv);
}

void wh_route_invoice_create(wh_req *req)
{
    if (!wh_auth_allow_some(req, WH_SCOPE_PUSH))
        return;
    const char *cl = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t limit = req->srv->cfg.max_invoice_bytes;
    if (cl && strtoull(cl, NULL, 10) > limit)
        return wh_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
                              "the invoice is %s bytes, over the %llu-byte limit "
                              "(max-invoice-bytes)",
                              cl, (unsigned long long)limit);
    req->body_mode = WH_BODY_BUFFER;
    req->body_limit = limit;
    req->on_end = create_end;
}

static void release_cached(wh_req *req)
{
    wh_cached_invoice_release(req->ctx);
    req->ctx = NULL;
}

/* Yanks: the stored document is re-emitted with yanked = true and the
 * reason; repeating a yank changes nothing and still answers 200. */
static void yank(wh_req *req, const char *name, const char *version)
{
    wh_server *srv = req->srv;
    wh_err e;
    wh_err_clear(&e);
    wh_invoice_doc *doc = NULL;
    wh_invoice *inv = NULL;
    char *toml = NULL, *json = NULL;
    size_t toml_len = 0, json_len = 0;
    int rc = wh_meta_invoice_get(srv->meta, name, version, &doc, &e);
    if (rc)
        goto fail;
    rc = wh_invoice_parse_stored(doc->json, doc->json_len, &inv, &e);
    if (rc)
        goto fail;
    if (!doc->yanked) {
        const char *reason = wh_req_arg(req, "reason");
        if (reason && strlen(reason) > 4096) {
            rc = wh_err_set(&e, WH_EINVAL, "the yank reason is over 4096 bytes");
            goto fail;
        }
        if (reason && !wh_utf8_valid(reason, strlen(reason))) {
            rc = wh_err_set(&e, WH_EINVAL, "the yank reason must be UTF-8");
            goto fail;
        }
        inv->yanked = inv->has_yanked = true;
        if (reason && *reason) {
            inv->yanked_reason = wh_arena_strdup(&inv->arena, reason);
            if (!inv->yanked_reason) {
                rc = wh_err_set(&e, WH_ENOMEM, "out of memory");
                goto fail;
            }
        }
        rc = wh_sig_sign_yank(inv, srv->host_key, (int64_t)time(NULL), &e);
        if (!rc)
            rc = wh_invoice_emit_both(inv, &toml, &toml_len, &json, &json_len, &e);
        if (!rc)
            rc = wh_meta_invoice_yank(srv->meta, name, version, inv->yanked_reason, toml,
                                      toml_len, json, json_len, &e);
        if (rc < 0)
            goto fail;
        wh_invoice_cache_forget(srv->cache, name, version);
        if (rc == 1)
            wh_log(srv, WH_LOG_INFO, "yanked %s/%s", name, version);
    }
    wh_reply_doc(req, MHD_HTTP_OK, json_pack("{s:s}", "message", "yanked"));
    goto done;
fail:
    wh_reply_err(req, &e);
done:
    free(toml);
    free(json);
    wh_invoice_free(inv);
    wh_invoice_doc_free(doc);
}

void wh_route_invoice(wh_req *req, const char *name, const char *version)
{
    if (!wh_req_check_id(req, name, version))
        return;
    bool del = strcmp(req->method, "DELETE") == 0;
    if (!wh_auth_allow(req, del ? WH_SCOPE_YANK : WH_SCOPE_READ, name))
        return;
    if (del)
        return yank(req, name, version);
    wh_err e;
    wh_cached_invoice *ci = NULL;
    if (wh_invoice_cache_get(req->srv->cache, req->srv->meta, name, version, &ci, &e) != 0)
        return wh_reply_err(req, &e);
    req->ctx = ci;
    req->on_cleanup = release_cached;
    if (ci->yanked && !arg_true(req, "yanked"))
        return wh_reply_error(req, MHD_HTTP_FORBIDDEN,
                              "bindle %s/%s is yanked; add ?yanked=true to fetch it anyway",
                              name, version);
    wh_reply_shared(req, MHD_HTTP_OK, req->want_json ? ci->resp_json : ci->resp_toml);
}

void wh_route_missing(wh_req *req, const char *name, const char *version)
{
    if (!wh_req_check_id(req, name, version) || !wh_auth_allow(req, WH_SCOPE_READ, name))
        return;
    wh_err e;
    wh_cached_invoice *ci = NULL;
    if (wh_invoice_cache_get(req->srv->cache, req->srv->meta, name, version, &ci, &e) != 0)
        return wh_reply_err(req, &e);
    const wh_invoice *inv = ci->inv;
    bool *missing = calloc(inv->n_parcels ? inv->n_parcels : 1, sizeof *missing);
    size_t n = 0;
    if (!missing) {
        wh_err_set(&e, WH_ENOMEM, "out of memory");
        wh_reply_err(req, &e);
    } else if (wh_meta_missing(req->srv->meta, inv, missing, &n, &e) != 0) {
        wh_reply_err(req, &e);
    } else {
        json_t *list = missing_labels(inv, missing);
        wh_reply_doc(req, MHD_HTTP_OK, list ? json_pack("{s:o}", "missing", list) : NULL);
    }
    free(missing);
    wh_cached_invoice_release(ci);
}
