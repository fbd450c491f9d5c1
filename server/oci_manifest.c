/*
 * oci_manifest.c - GET, HEAD and DELETE /v2/NAME/manifests/REF, and the
 * route of the four (PUT is oci_push.c).
 *
 * Manifests are kept and served as the exact bytes pushed, named by their
 * SHA-256.  A reference is a digest or a tag; a tag that reads as a SemVer
 * version names bindle NAME/VERSION first (its OCI view, oci_bindle.c), and
 * only then an OCI tag.  So a pull of NAME:1.0.0 gets whatever the bindle
 * is, however it was published; a yanked bindle's view is not served at
 * all, by version or by digest.
 *
 * Deletion is the OCI world's: manifests and tags that are not bindles.  A
 * bindle is never deleted, only yanked through /v1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoice_cache.h"
#include "oci.h"
#include "scope.h"

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

void wh_oci_reply_created(wh_req *req, const char *repo, const char *sha,
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
bool wh_oci_parse_ref(wh_req *req, const char *ref, bool *by_digest, char sha[65])
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
bool wh_oci_tag_version(const char *repo, const char *tag, char *version, size_t cap)
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
    if (wh_oci_tag_version(repo, tag, version, sizeof version)) {
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
    if (!wh_oci_parse_ref(req, ref, &by_digest, sha))
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
                const char *a = wh_kvmap_get(&inv->annotations, WH_OCI_ANN_MANIFEST);
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
    if (wh_oci_tag_version(repo, tag, version, sizeof version)) {
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
    if (!wh_oci_parse_ref(req, ref, &by_digest, sha))
        return;
    if (by_digest)
        delete_by_digest(req, repo, sha);
    else
        delete_tag(req, repo, ref);
}

void wh_oci_route_manifest(wh_req *req, const char *repo, const char *reference)
{
    if (strcmp(req->method, "PUT") == 0)
        wh_oci_manifest_push(req, repo, reference);
    else if (strcmp(req->method, "DELETE") == 0)
        delete_manifest(req, repo, reference);
    else
        get_manifest(req, repo, reference);
}
