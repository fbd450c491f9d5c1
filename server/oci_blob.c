/*
 * oci_blob.c - GET, HEAD and DELETE /v2/NAME/blobs/DIGEST.
 *
 * A blob is a parcel: the same file, sent by the same code as parcel
 * downloads (wh_serve_blob: sendfile, ranges, a strong ETag), with the
 * headers OCI clients look for.  What a repository may serve is narrower
 * than what is stored: only blobs uploaded or mounted into it, or that its
 * manifests or its bindles reference (wh_meta_oci_blob_visible), so that
 * the digest of something in a private repository cannot be fetched
 * through a public one.
 *
 * Blobs are never deleted on request: an unreferenced blob is collected
 * once its grace period has passed (oci_gc.c), and a referenced one must
 * stay, since a bindle may list it.
 */
#include <stdio.h>
#include <string.h>

#include "oci.h"
#include "scope.h"

void wh_oci_route_blob(wh_req *req, const char *repo, const char *sha256)
{
    if (strcmp(req->method, "DELETE") == 0) {
        wh_oci_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED",
                     "blobs are not deleted on request: unreferenced blobs are collected; "
                     "see docs/oci.md");
        if (req->resp)
            MHD_add_response_header(req->resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return;
    }
    if (!wh_oci_allow(req, WH_SCOPE_READ, repo))
        return;
    wh_err e;
    int vis = wh_meta_oci_blob_visible(req->srv->meta, repo, sha256, &e);
    if (vis < 0)
        return wh_oci_error_err(req, "BLOB_UNKNOWN", &e);
    if (vis == 0)
        return wh_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UNKNOWN",
                            "blob sha256:%s is unknown to repository %s", sha256, repo);
    wh_serve_blob(req, sha256, "application/octet-stream");
    if (req->resp && req->status < 400) {
        char digest[80];
        snprintf(digest, sizeof digest, "sha256:%s", sha256);
        MHD_add_response_header(req->resp, "Docker-Content-Digest", digest);
    }
}
