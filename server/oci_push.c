/*
 * oci_push.c - PUT /v2/NAME/manifests/REF: a manifest pushed by tag or by
 * digest (the route and the reads are oci_manifest.c).
 *
 * The manifest is parsed (schema/oci.h), every blob it references must be
 * stored, readable in the repository and of the size the descriptor says,
 * and it is stored as the exact bytes pushed.  A SemVer tag on an image
 * manifest is a publication: the manifest becomes an invoice that the host
 * signs, stored in the same transaction, and held to what a /v1
 * publication is held to (the name's trust policy, immutability of
 * NAME/VERSION, the wasm check of its modules).  An index under a SemVer
 * tag is not a bindle but is held to the same trust rule.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aot_queue.h"
#include "auth.h"
#include "http_parse.h"
#include "oci.h"
#include "trust.h"
#include "wasm_check.h"
#include "wasm_describe.h"

#define MAX_CONTENT_TYPE 255

/* What a PUT needs once the body is in: the route's strings live on the
 * dispatcher's stack, so they are copied. */
typedef struct put_ctx {
    char repo[WH_OCI_MAX_REPO + 1];
    char ref[WH_OCI_MAX_TAG + 80];
    bool by_digest;
    char ref_sha[65];
    char content_type[MAX_CONTENT_TYPE + 1];   /* "" when none was sent */
} put_ctx;

/* ---- the put record from a parsed manifest ---- */

static bool listed(const char *const *v, size_t n, const char *sha)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], sha) == 0)
            return true;
    return false;
}

static char *annotations_json(const wh_kvmap *a)
{
    if (!a->n)
        return NULL;
    json_t *o = json_object();
    for (size_t i = 0; o && i < a->n; i++)
        json_object_set_new(o, a->items[i].key, json_string(a->items[i].value));
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return text;
}

int wh_oci_put_from_manifest(const wh_oci_manifest *m, wh_oci_manifest_put *p, wh_err *err)
{
    p->media_type = m->media_type;
    /* The referrers API must report an image manifest without an
     * artifactType under its config's media type (distribution-spec 1.1);
     * storing it that way lets the filter match on one column. */
    p->artifact_type = m->artifact_type ? m->artifact_type
                       : (!m->is_index && m->has_config) ? m->config.media_type : NULL;
    p->subject = m->has_subject ? m->subject.sha256 : NULL;
    p->annotations = NULL;
    p->blobs = p->manifests = NULL;
    p->blob_sizes = NULL;
    p->n_blobs = p->n_manifests = 0;
    char *ann = NULL;
    const char **v = NULL;
    uint64_t *sizes = NULL;
    size_t cap = m->is_index ? m->n_manifests : m->n_layers + 1;
    if (m->annotations.n && !(ann = annotations_json(&m->annotations)))
        goto oom;
    v = calloc(cap ? cap : 1, sizeof *v);
    sizes = calloc(cap ? cap : 1, sizeof *sizes);
    if (!v || !sizes)
        goto oom;
    size_t n = 0;
    if (m->is_index) {
        free(sizes);
        for (size_t i = 0; i < m->n_manifests; i++)
            if (!listed(v, n, m->manifests[i].sha256))
                v[n++] = m->manifests[i].sha256;
        p->manifests = v;
        p->n_manifests = n;
    } else {
        for (size_t i = 0; i <= m->n_layers; i++) {
            const wh_oci_desc *d = i == 0 ? (m->has_config ? &m->config : NULL)
                                          : &m->layers[i - 1];
            if (!d)
                continue;
            size_t k = 0;
            while (k < n && strcmp(v[k], d->sha256) != 0)
                k++;
            if (k < n && sizes[k] != d->size) {
                wh_err_set(err, WH_EINVAL, "blob sha256:%s is listed with two sizes, %llu and "
                           "%llu", d->sha256, (unsigned long long)sizes[k],
                           (unsigned long long)d->size);
                free(v);
                free(sizes);
                free(ann);
                return WH_EINVAL;
            }
            if (k == n) {
                v[n] = d->sha256;
                sizes[n++] = d->size;
            }
        }
        p->blobs = v;
        p->blob_sizes = sizes;
        p->n_blobs = n;
    }
    p->annotations = ann;
    return 0;
oom:
    free(ann);
    free(v);
    free(sizes);
    return wh_err_set(err, WH_ENOMEM, "out of memory");
}

void wh_oci_put_clear(wh_oci_manifest_put *p)
{
    free((void *)p->blob_sizes);
    p->blob_sizes = NULL;
    free((void *)p->blobs);
    free((void *)p->manifests);
    free((void *)p->annotations);
    p->blobs = p->manifests = NULL;
    p->annotations = NULL;
    p->n_blobs = p->n_manifests = 0;
}

/* ---- PUT ---- */

static bool media_is(const char *mt, const char *want)
{
    size_t n = strlen(want);
    return strncasecmp(mt, want, n) == 0 && (mt[n] == '\0' || mt[n] == ';' || mt[n] == ' ');
}

static ssize_t read_blob(void *ctx, uint64_t offset, void *buf, size_t len, wh_err *err)
{
    return wh_blob_read(ctx, offset, buf, len, err);
}

/* Whether a layer is a wasm module to check: by media type, as /v1 decides
 * for parcels, or by the magic whatever its label. */
static bool layer_is_wasm(const wh_oci_desc *d, wh_blob *blob)
{
    if (media_is(d->media_type, WH_OCI_MT_WASM_LAYER) ||
        media_is(d->media_type, WH_OCI_MT_WASM_LAYER_V1))
        return true;
    unsigned char magic[8];
    ssize_t got = wh_blob_read(blob, 0, magic, sizeof magic, NULL);
    return got >= 4 && wh_wasm_is_wasm(magic, (size_t)got);
}

/*
 * Checks a layer that is a wasm module the way /v1 checks an uploaded
 * parcel (wasm_check.h), and records its description for /v1/_m.  A module
 * described before (as a parcel, or in an earlier push) is not checked
 * again.  0 with *desc (NULL when the layer is no wasm); -1 with the reply
 * set.
 */
static int check_layer(wh_req *req, const wh_oci_desc *d, json_t **desc)
{
    wh_server *srv = req->srv;
    const wh_config *cfg = &srv->cfg;
    wh_err e;
    wh_blob blob;
    *desc = NULL;
    if (wh_store_open_blob(srv->store, d->sha256, &blob, &e) != 0) {
        if (e.code == WH_ENOTFOUND)
            wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN",
                         "layer sha256:%s was never uploaded", d->sha256);
        else
            wh_oci_error_err(req, "MANIFEST_BLOB_UNKNOWN", &e);
        return -1;
    }
    int rc = 0;
    if (!layer_is_wasm(d, &blob))
        goto done;
    char *text = NULL;
    size_t len = 0;
    if (wh_meta_wasm_get(srv->meta, d->sha256, &text, &len, NULL) == 0) {
        *desc = json_loadb(text, len, 0, NULL);
        free(text);
    }
    bool fresh = !*desc;
    if (fresh) {
        wh_wasm_check_limits lim = {cfg->wasm_max_bytes, cfg->wasm_cpu_seconds,
                                    cfg->wasm_memory_bytes, cfg->wasm_wall_seconds};
        if (wh_wasm_check(&lim, read_blob, &blob, blob.size, desc, &e) != 0) {
            wh_oci_error_err(req, "MANIFEST_INVALID", &e);
            rc = -1;
            goto done;
        }
    }
    if (!json_is_true(json_object_get(*desc, "valid"))) {
        const char *why = json_string_value(json_object_get(*desc, "error"));
        wh_log(srv, WH_LOG_INFO, "refused wasm layer %s: %s", d->sha256, why ? why : "invalid");
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "MANIFEST_INVALID",
                     "layer sha256:%s is not a valid wasm module: %s", d->sha256,
                     why ? why : "invalid");
        rc = -1;
        goto done;
    }
    if (fresh) {
        const char *kind = json_string_value(json_object_get(*desc, "kind"));
        char *dump = json_dumps(*desc, JSON_COMPACT);
        int wrc = dump ? wh_meta_wasm_put(srv->meta, d->sha256, true, kind ? kind : "module",
                                          dump, strlen(dump), &e)
                       : wh_err_set(&e, WH_ENOMEM, "out of memory");
        free(dump);
        if (wrc) {
            wh_oci_error_err(req, "MANIFEST_INVALID", &e);
            rc = -1;
        }
    }
done:
    if (rc) {
        json_decref(*desc);
        *desc = NULL;
    }
    wh_blob_close(&blob);
    return rc;
}

/* Queues the AOT builds of the valid core modules among the layers, as a
 * /v1 upload does. */
static void queue_aot(wh_server *srv, const wh_oci_manifest *m, json_t *const *descs)
{
    wh_err e;
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *kind = json_string_value(json_object_get(descs[i], "kind"));
        if (descs[i] && kind && strcmp(kind, "module") == 0 &&
            wh_aot_queue_module(srv->aot, m->layers[i].sha256, descs[i], &e) != 0)
            wh_log(srv, WH_LOG_ERROR, "aot: cannot queue %s: %s", m->layers[i].sha256, e.msg);
    }
}

/*
 * A push to bindle repo/version that already exists: the same manifest
 * again (the one GET of the version serves) is a success, anything else
 * is refused.  1 with the reply set, 0 when there is no such bindle.
 */
static int existing_bindle(wh_req *req, const char *repo, const char *version,
                           const char *sha, const wh_oci_manifest *m)
{
    wh_server *srv = req->srv;
    wh_err e;
    wh_invoice_doc *doc = NULL;
    int rc = wh_meta_invoice_get(srv->meta, repo, version, &doc, &e);
    if (rc == WH_ENOTFOUND)
        return 0;
    if (rc) {
        wh_oci_error_err(req, "MANIFEST_INVALID", &e);
        return 1;
    }
    bool yanked = doc->yanked;
    wh_invoice_doc_free(doc);
    char cur[65];
    if (yanked) {
        wh_oci_error(req, MHD_HTTP_FORBIDDEN, "DENIED",
                     "bindle %s/%s is yanked and cannot be published again", repo, version);
        return 1;
    }
    /* Its parcels not all uploaded (WH_ENOTFOUND) is no reason to answer
     * otherwise: the pushed manifest is not what the bindle is either. */
    rc = wh_oci_bindle_view(srv, repo, version, cur, &e);
    if (rc && rc != WH_ENOTFOUND)
        wh_oci_error_err(req, "MANIFEST_INVALID", &e);
    else if (!rc && strcmp(cur, sha) == 0)
        wh_oci_reply_created(req, repo, sha, m->has_subject ? m->subject.sha256 : NULL);
    else
        wh_oci_error(req, MHD_HTTP_FORBIDDEN, "DENIED",
                     "bindle %s/%s exists and is immutable", repo, version);
    return 1;
}

static void put_failed(wh_req *req, const wh_oci_manifest *m, const wh_err *e)
{
    if (e->code == WH_ENOTFOUND)
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST,
                     m->is_index ? "MANIFEST_UNKNOWN" : "MANIFEST_BLOB_UNKNOWN", "%s", e->msg);
    else
        wh_oci_error_err(req, "MANIFEST_INVALID", e);
}

/* A SemVer-tagged image manifest: a publication of bindle repo/version. */
static void push_bindle(wh_req *req, const put_ctx *c, const wh_oci_manifest *m,
                        wh_oci_manifest_put *p, const char *version)
{
    wh_server *srv = req->srv;
    wh_err e;
    wh_invoice *inv = NULL;
    char *toml = NULL, *json = NULL;
    size_t toml_len = 0, json_len = 0;
    json_t **descs = calloc(m->n_layers ? m->n_layers : 1, sizeof *descs);
    if (!descs) {
        wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
        return;
    }
    if (existing_bindle(req, c->repo, version, p->sha256, m))
        goto done;
    int rc = wh_trust_check_unsigned(srv, c->repo, &e);
    if (rc) {
        wh_oci_error_err(req, "DENIED", &e);
        goto done;
    }
    for (size_t i = 0; i < m->n_layers; i++)
        if (check_layer(req, &m->layers[i], &descs[i]) != 0)
            goto done;
    rc = wh_oci_manifest_to_invoice(m, p->sha256, c->repo, version, NULL, &inv, &e);
    /* The limits a posted invoice is held to hold for this one too. */
    if (!rc && inv->n_parcels > srv->cfg.max_parcels)
        rc = wh_err_set(&e, WH_EINVAL, "the manifest makes a bindle of %zu parcels, over the "
                        "limit of %llu (max-parcels)", inv->n_parcels,
                        (unsigned long long)srv->cfg.max_parcels);
    if (!rc)
        rc = wh_trust_host_sign(srv, inv, &toml, &toml_len, &json, &json_len, &e);
    if (!rc && toml_len > srv->cfg.max_invoice_bytes)
        rc = wh_err_set(&e, WH_EINVAL, "the manifest makes an invoice of %zu bytes, over the "
                        "limit of %llu (max-invoice-bytes)", toml_len,
                        (unsigned long long)srv->cfg.max_invoice_bytes);
    if (rc) {
        wh_oci_error_err(req, "MANIFEST_INVALID", &e);
        goto done;
    }
    p->bindle_version = version;
    p->invoice = inv;
    p->new_name_only = !srv->verify_none;   /* what wh_trust_check_unsigned allowed */
    p->toml = toml;
    p->toml_len = toml_len;
    p->json = json;
    p->json_len = json_len;
    rc = wh_meta_oci_manifest_put(srv->meta, c->repo, p, &e);
    /* Another push won the race: of this version (EEXIST), or of the
     * name's first version (EFORBIDDEN), which may be this very one. */
    if ((rc == WH_EEXIST || rc == WH_EFORBIDDEN) &&
        existing_bindle(req, c->repo, version, p->sha256, m))
        goto done;
    if (rc) {
        put_failed(req, m, &e);
        goto done;
    }
    queue_aot(srv, m, descs);
    wh_log(srv, WH_LOG_INFO, "created %s/%s from OCI manifest sha256:%s (%zu parcels)",
           c->repo, version, p->sha256, inv->n_parcels);
    wh_oci_reply_created(req, c->repo, p->sha256, p->subject);
done:
    for (size_t i = 0; i < m->n_layers; i++)
        json_decref(descs[i]);
    free(descs);
    free(toml);
    free(json);
    wh_invoice_free(inv);
}

/* Every blob the manifest references must be readable through repo (pushed
 * or mounted there, or a bindle's), so that no push can reach into a
 * repository the pusher may not read. */
static bool blobs_visible(wh_req *req, const char *repo, const wh_oci_manifest_put *p)
{
    wh_err e;
    for (size_t i = 0; i < p->n_blobs; i++) {
        int rc = wh_meta_oci_blob_visible(req->srv->meta, repo, p->blobs[i], &e);
        if (rc < 0) {
            wh_oci_error_err(req, "MANIFEST_BLOB_UNKNOWN", &e);
            return false;
        }
        if (rc == 0) {
            wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "MANIFEST_BLOB_UNKNOWN",
                         "blob sha256:%s is not in repository %s: push it first", p->blobs[i],
                         repo);
            return false;
        }
    }
    return true;
}

static void put_end(wh_req *req)
{
    wh_server *srv = req->srv;
    const put_ctx *c = req->ctx;
    const char *body = req->body ? req->body : "";
    wh_err e;
    wh_oci_manifest *m = NULL;
    wh_oci_manifest_put p = {0};
    char sha[65];
    if (wh_oci_sha256_hex(body, req->body_len, sha, &e) != 0)
        return wh_oci_error_err(req, "MANIFEST_INVALID", &e);
    if (c->by_digest && strcmp(sha, c->ref_sha) != 0)
        return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID",
                            "the manifest's digest is sha256:%s, not the sha256:%s of the URL",
                            sha, c->ref_sha);
    if (wh_oci_manifest_parse(body, req->body_len, c->content_type[0] ? c->content_type : NULL,
                              &m, &e) != 0)
        return wh_oci_error_err(req, "MANIFEST_INVALID", &e);
    if (wh_oci_put_from_manifest(m, &p, &e) != 0) {
        wh_oci_error_err(req, "MANIFEST_INVALID", &e);
        goto done;
    }
    p.sha256 = sha;
    p.body = body;
    p.len = req->body_len;
    if (!blobs_visible(req, c->repo, &p))
        goto done;
    char version[WH_OCI_MAX_TAG + 1];
    bool semver = !c->by_digest && wh_oci_tag_version(c->repo, c->ref, version, sizeof version);
    if (semver && !m->is_index) {
        push_bindle(req, c, m, &p, version);
        goto done;
    }
    if (semver) {
        /* An index under a SemVer tag is not a bindle, but GET of that tag
         * is what clients take for the release: the version belongs to the
         * bindle, and the name's signers hold the version namespace. */
        if (existing_bindle(req, c->repo, version, sha, m))
            goto done;
        int trc = wh_trust_check_unsigned(srv, c->repo, &e);
        if (trc) {
            wh_oci_error_err(req, "DENIED", &e);
            goto done;
        }
    }
    p.tag = c->by_digest ? NULL : c->ref;
    if (wh_meta_oci_manifest_put(srv->meta, c->repo, &p, &e) != 0) {
        put_failed(req, m, &e);
        goto done;
    }
    wh_log(srv, WH_LOG_INFO, "stored manifest %s@sha256:%s%s%s", c->repo, sha,
           p.tag ? " as " : "", p.tag ? p.tag : "");
    wh_oci_reply_created(req, c->repo, sha, p.subject);
done:
    wh_oci_put_clear(&p);
    wh_oci_manifest_free(m);
}

static void put_cleanup(wh_req *req)
{
    free(req->ctx);
    req->ctx = NULL;
}

void wh_oci_manifest_push(wh_req *req, const char *repo, const char *ref)
{
    if (!wh_oci_allow(req, WH_SCOPE_PUSH, repo))
        return;
    put_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
    req->ctx = c;
    req->on_cleanup = put_cleanup;
    if (!wh_oci_parse_ref(req, ref, &c->by_digest, c->ref_sha))
        return;
    snprintf(c->repo, sizeof c->repo, "%s", repo);
    snprintf(c->ref, sizeof c->ref, "%s", ref);
    const char *cl = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t cl_n = 0;
    if (cl && wh_http_parse_content_length(cl, &cl_n) && cl_n > WH_OCI_MAX_MANIFEST)
        return wh_oci_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID",
                            "the manifest is %s bytes, over the %u-byte limit", cl,
                            WH_OCI_MAX_MANIFEST);
    /* Parameters of the Content-Type are ignored, as the spec asks. */
    const char *ct = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct) {
        while (*ct == ' ')
            ct++;
        size_t l = strcspn(ct, "; ");
        if (l > MAX_CONTENT_TYPE)
            return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "MANIFEST_INVALID",
                                "the Content-Type is over %d bytes", MAX_CONTENT_TYPE);
        memcpy(c->content_type, ct, l);
        c->content_type[l] = '\0';
    }
    req->body_mode = WH_BODY_BUFFER;
    req->body_limit = WH_OCI_MAX_MANIFEST;
    req->on_end = put_end;
}

