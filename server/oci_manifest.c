/*
 * oci_manifest.c - GET, HEAD, PUT and DELETE /v2/NAME/manifests/REF.
 *
 * Manifests are kept and served as the exact bytes pushed, named by their
 * SHA-256.  A reference is a digest or a tag; a tag that reads as a SemVer
 * version names bindle NAME/VERSION first (its OCI view, oci_bindle.c), and
 * only then an OCI tag.  So a pull of NAME:1.0.0 gets whatever the bindle
 * is, however it was published.
 *
 * A push with a SemVer tag of an image manifest is a publication: the
 * manifest becomes an invoice (schema/oci.h) that the host signs, and the
 * manifest, its tag-less link to the bindle and the invoice are stored in
 * one transaction, so neither exists without the other.  Such a push is
 * held to what a /v1 publication is held to: the name's trust policy
 * (trust.h), immutability of NAME/VERSION, and the wasm check of every
 * module it carries.  No tag row is written for it: the bindle's version is
 * the tag, so a yank takes it out of tags/list and GET at once.
 *
 * Deletion is the OCI world's: manifests and tags that are not bindles.  A
 * bindle is never deleted, only yanked through /v1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "aot_queue.h"
#include "auth.h"
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

/* ---- replies ---- */

static void reply_manifest(wh_req *req, const wh_oci_manifest_rec *rec)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rec->len, rec->body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
    char digest[80], etag[84];
    snprintf(digest, sizeof digest, "sha256:%s", rec->sha256);
    snprintf(etag, sizeof etag, "\"%s\"", digest);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rec->media_type);
    MHD_add_response_header(r, "Docker-Content-Digest", digest);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    wh_reply_response(req, MHD_HTTP_OK, r);
}

static void reply_created(wh_req *req, const char *repo, const char *sha,
                          const char *subject)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
    char loc[WH_OCI_MAX_REPO + 120], digest[80];
    snprintf(digest, sizeof digest, "sha256:%s", sha);
    snprintf(loc, sizeof loc, "/v2/%s/manifests/%s", repo, digest);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    MHD_add_response_header(r, "Docker-Content-Digest", digest);
    if (subject) {
        char sd[80];
        snprintf(sd, sizeof sd, "sha256:%s", subject);
        MHD_add_response_header(r, "OCI-Subject", sd);
    }
    wh_reply_response(req, MHD_HTTP_CREATED, r);
}

static void reply_accepted(wh_req *req)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r)
        wh_reply_response(req, MHD_HTTP_ACCEPTED, r);
    else
        wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
}

static void refuse_bindle_delete(wh_req *req, const char *repo, const char *version)
{
    wh_oci_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED",
                 "%s:%s is bindle %s/%s; bindles are yanked, not deleted: "
                 "DELETE /v1/_i/%s/%s", repo, version, repo, version, repo, version);
    if (req->resp)
        MHD_add_response_header(req->resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, PUT");
}

/* ---- references ---- */

/* Reads REF as a digest (it holds ':') or a tag; answers 400 when it is
 * neither and returns false. */
static bool parse_ref(wh_req *req, const char *ref, bool *by_digest, char sha[65])
{
    wh_err e;
    *by_digest = strchr(ref, ':') != NULL;
    if (*by_digest) {
        if (wh_oci_digest_parse(ref, sha, &e) == 0)
            return true;
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", "%s", e.msg);
        return false;
    }
    if (wh_oci_tag_valid(ref))
        return true;
    wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "TAG_INVALID",
                 "\"%s\" is not a valid tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}", ref);
    return false;
}

/* The bindle version a tag names, when the repository may hold bindles. */
static bool tag_version(const char *repo, const char *tag, char *version, size_t cap)
{
    return wh_oci_version_from_tag(tag, version, cap) && wh_name_validate(repo, NULL) == 0;
}

/* Whether bindle repo/version exists: 1 (with *yanked), 0, or a negative
 * code.  Through the invoice cache: GET by version is the hot path. */
static int bindle_exists(wh_server *srv, const char *repo, const char *version, bool *yanked,
                         wh_err *err)
{
    wh_cached_invoice *ci = NULL;
    int rc = wh_invoice_cache_get(srv->cache, srv->meta, repo, version, &ci, err);
    if (rc == WH_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    *yanked = ci->yanked;
    wh_cached_invoice_release(ci);
    return 1;
}

/* A GET whose bindle has no recorded view yet: making one writes (the
 * config parcel, fsynced, and a transaction), which must not happen on an
 * event thread, so the request finishes on the offload pool. */
typedef struct get_ctx {
    char repo[WH_OCI_MAX_REPO + 1];
    char ref[WH_OCI_MAX_TAG + 80];
} get_ctx;

enum { TAG_REPLIED = 0, TAG_FOUND = 1, TAG_DEFER = 2 };

/* The manifest a tag names: TAG_FOUND with sha, TAG_REPLIED with the reply
 * set, or TAG_DEFER when the bindle's view must be made and `may_defer`. */
static int resolve_tag(wh_req *req, const char *repo, const char *tag, char sha[65],
                       bool may_defer)
{
    wh_server *srv = req->srv;
    wh_err e;
    char version[WH_OCI_MAX_TAG + 1];
    if (tag_version(repo, tag, version, sizeof version)) {
        bool yanked = false;
        int rc = bindle_exists(srv, repo, version, &yanked, &e);
        if (rc < 0) {
            wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
            return TAG_REPLIED;
        }
        if (rc == 1) {
            if (yanked) {
                wh_oci_error(req, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN",
                             "bindle %s/%s is yanked", repo, version);
                return TAG_REPLIED;
            }
            rc = wh_meta_oci_bindle_view(srv->meta, repo, version, sha, &e);
            if (rc == 1)
                return TAG_FOUND;
            if (rc == 0 && may_defer)
                return TAG_DEFER;
            if (rc == 0)
                rc = wh_oci_bindle_view(srv, repo, version, sha, &e);
            if (rc != 0) {
                wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
                return TAG_REPLIED;
            }
            return TAG_FOUND;
        }
    }
    int rc = wh_meta_oci_tag_get(srv->meta, repo, tag, sha, &e);
    if (rc < 0)
        wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
    else if (rc == 0)
        wh_oci_error(req, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN", "%s has no tag %s", repo, tag);
    return rc > 0 ? TAG_FOUND : TAG_REPLIED;
}

/* Answers a GET or HEAD of a manifest; false when it must finish on the
 * offload pool instead (only when may_defer). */
static bool serve_manifest(wh_req *req, const char *repo, const char *ref, bool may_defer)
{
    bool by_digest;
    char sha[65];
    if (!parse_ref(req, ref, &by_digest, sha))
        return true;
    if (!by_digest) {
        int t = resolve_tag(req, repo, ref, sha, may_defer);
        if (t != TAG_FOUND)
            return t != TAG_DEFER;
    }
    wh_err e;
    wh_oci_manifest_rec rec = {0};
    int rc = wh_meta_oci_manifest_get(req->srv->meta, repo, sha, &rec, &e);
    bool yanked = false;
    /* A bindle's view goes with the bindle: yanked, it is not served by
     * digest either. */
    if (rc == 1 && rec.bindle_version) {
        int b = bindle_exists(req->srv, repo, rec.bindle_version, &yanked, &e);
        if (b < 0)
            rc = b;
    }
    if (rc < 0)
        wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
    else if (rc == 0 || yanked)
        wh_oci_error(req, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN",
                     "%s has no manifest sha256:%s%s", repo, sha,
                     yanked ? " (its bindle is yanked)" : "");
    else
        reply_manifest(req, &rec);
    wh_oci_manifest_rec_clear(&rec);
    return true;
}

static void get_end(wh_req *req)
{
    const get_ctx *c = req->ctx;
    serve_manifest(req, c->repo, c->ref, false);
}

static void get_cleanup(wh_req *req)
{
    free(req->ctx);
    req->ctx = NULL;
}

static void get_manifest(wh_req *req, const char *repo, const char *ref)
{
    if (!wh_oci_allow(req, WH_SCOPE_READ, repo))
        return;
    if (serve_manifest(req, repo, ref, true))
        return;
    get_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
    snprintf(c->repo, sizeof c->repo, "%s", repo);
    snprintf(c->ref, sizeof c->ref, "%s", ref);
    req->ctx = c;
    req->on_cleanup = get_cleanup;
    req->on_end = get_end;
}

/* ---- DELETE ---- */

static const char *invoice_annotation(const wh_invoice *inv, const char *key)
{
    for (size_t i = 0; i < inv->annotations.n; i++)
        if (strcmp(inv->annotations.items[i].key, key) == 0)
            return inv->annotations.items[i].value;
    return NULL;
}

/*
 * Whether some unyanked bindle of repo was made from manifest sha (its
 * WH_OCI_ANN_MANIFEST), so that GET of its version serves it: 1 with
 * `version`, 0, or a negative code.  A push records that link on the
 * manifest, and so does the first GET of the version (oci_bindle.c), but a
 * bindle posted through /v1 naming a manifest pushed apart (a mirror's)
 * has none before that; so the bindle versions are searched.  The invoice
 * text is looked at before it is parsed, which keeps this cheap on a name
 * with many versions; DELETE is rare.
 */
static int bindle_made_from(wh_server *srv, const char *repo, const char *sha, char *version,
                            size_t cap, wh_err *err)
{
    char needle[80];
    snprintf(needle, sizeof needle, "sha256:%s", sha);
    char *last = NULL;
    int found = 0;
    bool more = true;
    while (more && !found) {
        char **tags = NULL;
        size_t n = 0;
        int rc = wh_meta_oci_tags(srv->meta, repo, last, 1000, &tags, &n, &more, err);
        if (rc) {
            free(last);
            return rc;
        }
        for (size_t i = 0; i < n && !found; i++) {
            char v[WH_OCI_MAX_TAG + 1];
            if (!wh_oci_version_from_tag(tags[i], v, sizeof v))
                continue;
            wh_invoice_doc *doc = NULL;
            wh_invoice *inv = NULL;
            if (wh_meta_invoice_get(srv->meta, repo, v, &doc, NULL) == 0 && !doc->yanked &&
                strstr(doc->json, needle) &&
                wh_invoice_parse_stored(doc->json, doc->json_len, &inv, NULL) == 0) {
                const char *a = invoice_annotation(inv, WH_OCI_ANN_MANIFEST);
                if (a && strcmp(a, needle) == 0) {
                    snprintf(version, cap, "%s", v);
                    found = 1;
                }
            }
            wh_invoice_free(inv);
            wh_invoice_doc_free(doc);
        }
        free(last);
        last = n ? strdup(tags[n - 1]) : NULL;
        wh_strings_free(tags, n);
        if (n && !last)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        more = more && n;
    }
    free(last);
    return found;
}

static void delete_by_digest(wh_req *req, const char *repo, const char *sha)
{
    wh_server *srv = req->srv;
    wh_err e;
    wh_oci_manifest_rec rec = {0};
    char version[WH_OCI_MAX_TAG + 1];
    int rc = wh_meta_oci_manifest_get(srv->meta, repo, sha, &rec, &e);
    if (rc == 1) {
        bool index = strcmp(rec.media_type, WH_OCI_MT_INDEX) == 0 ||
                     strcmp(rec.media_type, WH_OCI_MT_DOCKER_LIST) == 0;
        int made = rec.bindle_version || index
                       ? 0 : bindle_made_from(srv, repo, sha, version, sizeof version, &e);
        if (rec.bindle_version || made == 1) {
            refuse_bindle_delete(req, repo, rec.bindle_version ? rec.bindle_version : version);
            goto done;
        }
        rc = made < 0 ? made : wh_meta_oci_manifest_delete(srv->meta, repo, sha, &e);
    }
    if (rc < 0)
        wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
    else if (rc == 0)
        wh_oci_error(req, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN",
                     "%s has no manifest sha256:%s", repo, sha);
    else {
        wh_log(srv, WH_LOG_INFO, "deleted manifest %s@sha256:%s", repo, sha);
        reply_accepted(req);
    }
done:
    wh_oci_manifest_rec_clear(&rec);
}

static void delete_tag(wh_req *req, const char *repo, const char *tag)
{
    wh_server *srv = req->srv;
    wh_err e;
    char version[WH_OCI_MAX_TAG + 1];
    if (tag_version(repo, tag, version, sizeof version)) {
        wh_invoice_doc *doc = NULL;
        int rc = wh_meta_invoice_get(srv->meta, repo, version, &doc, &e);
        wh_invoice_doc_free(doc);
        if (rc == 0)
            return refuse_bindle_delete(req, repo, version);
        if (rc != WH_ENOTFOUND)
            return wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
    }
    int rc = wh_meta_oci_tag_delete(srv->meta, repo, tag, &e);
    if (rc < 0)
        return wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
    if (rc == 0)
        return wh_oci_error(req, MHD_HTTP_NOT_FOUND, "MANIFEST_UNKNOWN", "%s has no tag %s",
                            repo, tag);
    wh_log(srv, WH_LOG_INFO, "deleted tag %s:%s", repo, tag);
    reply_accepted(req);
}

static void delete_manifest(wh_req *req, const char *repo, const char *ref)
{
    if (!wh_oci_allow(req, WH_SCOPE_YANK, repo))
        return;
    bool by_digest;
    char sha[65];
    if (!parse_ref(req, ref, &by_digest, sha))
        return;
    if (by_digest)
        delete_by_digest(req, repo, sha);
    else
        delete_tag(req, repo, ref);
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
        reply_created(req, repo, sha, m->has_subject ? m->subject.sha256 : NULL);
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
        if (rc == WH_EFORBIDDEN)
            wh_oci_error(req, MHD_HTTP_FORBIDDEN, "DENIED", "%s", e.msg);
        else
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
    reply_created(req, c->repo, p->sha256, p->subject);
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

static int sha256_hex(const void *buf, size_t len, char hex[65], wh_err *err)
{
    unsigned char md[32];
    unsigned n = 0;
    if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return wh_err_set(err, WH_EIO, "cannot compute SHA-256");
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
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
    if (sha256_hex(body, req->body_len, sha, &e) != 0)
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
    bool semver = !c->by_digest && tag_version(c->repo, c->ref, version, sizeof version);
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
    reply_created(req, c->repo, sha, p.subject);
done:
    wh_oci_put_clear(&p);
    wh_oci_manifest_free(m);
}

static void put_cleanup(wh_req *req)
{
    free(req->ctx);
    req->ctx = NULL;
}

static void put_manifest(wh_req *req, const char *repo, const char *ref)
{
    if (!wh_oci_allow(req, WH_SCOPE_PUSH, repo))
        return;
    put_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
    req->ctx = c;
    req->on_cleanup = put_cleanup;
    if (!parse_ref(req, ref, &c->by_digest, c->ref_sha))
        return;
    snprintf(c->repo, sizeof c->repo, "%s", repo);
    snprintf(c->ref, sizeof c->ref, "%s", ref);
    const char *cl = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > WH_OCI_MAX_MANIFEST)
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

void wh_oci_route_manifest(wh_req *req, const char *repo, const char *reference)
{
    if (strcmp(req->method, "PUT") == 0)
        put_manifest(req, repo, reference);
    else if (strcmp(req->method, "DELETE") == 0)
        delete_manifest(req, repo, reference);
    else
        get_manifest(req, repo, reference);
}
