/*
 * routes_resolve.c - GET /v1/_r/resolve/NAME/VERSION, the Wharf extension
 * that answers which parcels a runtime with a given profile needs:
 *
 *   ?feature=S.N=V   (repeatable) a feature the runtime has
 *   ?group=G         (repeatable) a group it asks for
 *   ?target=T        (once) its target triple, echoed back for rule 5
 *   ?yanked=true     resolve a yanked bindle anyway, as GET of it allows
 *
 * The reply is {"parcels": [labels, in invoice order], "target": T}, and
 * with a target this server precompiles for (rule 5), "artifacts": one
 * entry per selected parcel that has a build for it, with its state and,
 * when done, the artifact's sha256, size, toolchain and the host's
 * attestation (docs/aot.md), fetched at /v1/_a/NAME/VERSION@SHA/TARGET.  The
 * resolution itself is schema/resolve.c's, the same code the client runs, so
 * the two cannot disagree.  Other query arguments are ignored, as on every
 * other route.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/invoice_json.h"
#include "schema/resolve.h"
#include "aot_queue.h"
#include "auth.h"
#include "server.h"

/* The state of one pass over the query arguments: the first refusal stops
 * it and stays in `err`. */
typedef struct profile_args {
    wh_profile *prof;
    wh_err err;
    int rc;
    unsigned targets;
} profile_args;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    (void)kind;
    profile_args *a = cls;
    /* "?feature" without '=' comes with no value: the parsers say why. */
    const char *v = value ? value : "";
    if (!key)
        return MHD_YES;
    if (strcmp(key, "feature") == 0) {
        a->rc = wh_profile_add_feature(a->prof, v, &a->err);
    } else if (strcmp(key, "group") == 0) {
        a->rc = wh_profile_add_group(a->prof, v, &a->err);
    } else if (strcmp(key, "target") == 0) {
        /* Two targets would make the answer ambiguous. */
        if (++a->targets > 1)
            a->rc = wh_err_set(&a->err, WH_EINVAL, "target is given more than once");
        else
            a->rc = wh_profile_set_target(a->prof, v, &a->err);
    }
    return a->rc ? MHD_NO : MHD_YES;
}

/* {"parcels": [...], "target": T} */
static json_t *resolve_reply(const wh_invoice *inv, const bool *selected,
                             const char *target)
{
    json_t *doc = json_object(), *list = json_array();
    if (!doc || !list)
        goto fail;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        if (!selected[i])
            continue;
        json_t *label = wh_label_to_json(&inv->parcels[i].label);
        if (!label || json_array_append_new(list, label) != 0)
            goto fail;
    }
    if (json_object_set_new(doc, "parcels", list) != 0) {
        list = NULL;
        goto fail;
    }
    list = NULL;
    if (target && json_object_set_new(doc, "target", json_string(target)) != 0)
        goto fail;
    return doc;
fail:
    json_decref(list);
    json_decref(doc);
    return NULL;
}

/* Rule 5: the AOT builds for `target` of the selected parcels. */
static int add_artifacts(wh_server *srv, const wh_invoice *inv, const bool *selected,
                         const char *target, json_t *doc, wh_err *err)
{
    const char *toolchain = wh_aot_queue_toolchain(srv->aot, target);
    if (!toolchain)
        return 0;
    json_t *list = json_array();
    if (!list)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; i < inv->n_parcels; i++) {
        if (!selected[i])
            continue;
        wh_aot_rec r;
        int got = wh_meta_aot_get(srv->meta, inv->parcels[i].label.sha256, target, toolchain,
                                  &r, err);
        if (got < 0) {
            json_decref(list);
            return got;
        }
        if (!got)
            continue;
        json_t *o = json_pack("{s:s, s:s, s:s}", "sha256", r.source_sha, "state", r.state,
                              "toolchain", r.toolchain);
        if (o && r.artifact_sha[0]) {
            json_object_set_new(o, "artifact_sha256", json_string(r.artifact_sha));
            json_object_set_new(o, "size", json_integer((json_int_t)r.artifact_size));
        }
        if (o && r.attestation)
            json_object_set_new(o, "attestation", json_string(r.attestation));
        if (o && r.reason)
            json_object_set_new(o, "reason", json_string(r.reason));
        wh_aot_rec_clear(&r);
        if (!o || json_array_append_new(list, o) != 0) {
            json_decref(list);
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        }
    }
    return json_object_set_new(doc, "artifacts", list) == 0
               ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

void wh_route_resolve(wh_req *req, const char *name, const char *version)
{
    if (!wh_req_check_id(req, name, version) || !wh_auth_allow(req, WH_SCOPE_READ, name))
        return;
    wh_profile prof;
    wh_profile_init(&prof);
    profile_args args = {.prof = &prof};
    wh_err_clear(&args.err);
    wh_cached_invoice *ci = NULL;
    bool *selected = NULL;
    wh_err e;
    wh_err_clear(&e);

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
    if (args.rc) {
        wh_reply_err(req, &args.err);
        goto done;
    }
    if (wh_invoice_cache_get(req->srv->cache, req->srv->meta, name, version, &ci, &e) != 0) {
        wh_reply_err(req, &e);
        goto done;
    }
    const char *y = wh_req_arg(req, "yanked");
    if (ci->yanked && !(y && (strcmp(y, "true") == 0 || strcmp(y, "1") == 0))) {
        wh_reply_error(req, MHD_HTTP_FORBIDDEN,
                       "bindle %s/%s is yanked; add ?yanked=true to resolve it anyway",
                       name, version);
        goto done;
    }
    const wh_invoice *inv = ci->inv;
    selected = calloc(inv->n_parcels ? inv->n_parcels : 1, sizeof *selected);
    if (!selected) {
        wh_err_set(&e, WH_ENOMEM, "out of memory");
        wh_reply_err(req, &e);
        goto done;
    }
    if (wh_resolve(inv, &prof, selected, &e) != 0) {
        wh_err_prefix(&e, "cannot resolve %s/%s", name, version);
        wh_reply_err(req, &e);
        goto done;
    }
    json_t *doc = resolve_reply(inv, selected, prof.target);
    if (doc && prof.target && add_artifacts(req->srv, inv, selected, prof.target, doc, &e) != 0) {
        json_decref(doc);
        wh_reply_err(req, &e);
        goto done;
    }
    if (!doc) {
        wh_err_set(&e, WH_ENOMEM, "out of memory");
        wh_reply_err(req, &e);
        goto done;
    }
    wh_reply_doc(req, MHD_HTTP_OK, doc);
done:
    free(selected);
    wh_cached_invoice_release(ci);
    wh_profile_clear(&prof);
}
