/*
 * oci_route.c - the dispatcher of /v2 (see oci.h for the routes): splits
 * the path into repository and endpoint, checks the repository name and
 * digests, and checks the method, so that handlers start from valid input.
 *
 * Repository names may contain '/', so the endpoint is read from the end of
 * the path: the last one or two segments name it and everything before is
 * the repository.  No endpoint segment can be taken for part of a name by
 * mistake: a reference or upload id never contains '/', and a digest always
 * contains ':', which no repository name does.
 */
#include <stdio.h>
#include <string.h>

#include "oci.h"

static bool method_is(const wh_req *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

/* Answers 405 in the spec's format, with the Allow header. */
static void not_allowed(wh_req *req, const char *allow)
{
    wh_oci_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "UNSUPPORTED",
                 "%s is not supported on %s (allowed: %s)", req->method, req->path, allow);
    if (req->resp)
        MHD_add_response_header(req->resp, MHD_HTTP_HEADER_ALLOW, allow);
}

/* Whether the request's method is one of the comma-separated `allow`
 * (HEAD goes with GET); answers 405 when not. */
static bool allowed(wh_req *req, const char *allow)
{
    const char *m = method_is(req, "HEAD") ? "GET" : req->method;
    size_t ml = strlen(m);
    for (const char *p = allow; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t l = strcspn(p, ", ");
        if (l == ml && strncmp(p, m, l) == 0)
            return true;
        p += l;
    }
    not_allowed(req, allow);
    return false;
}

/* The repository: path bytes [start, end) into buf; answers NAME_INVALID
 * and returns false when it is not a valid repository name. */
static bool take_repo(wh_req *req, const char *start, const char *end, char *buf, size_t cap)
{
    size_t l = (size_t)(end - start);
    if (l == 0 || l >= cap) {
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "NAME_INVALID",
                     "the repository name is empty or over %d bytes", WH_OCI_MAX_REPO);
        return false;
    }
    memcpy(buf, start, l);
    buf[l] = '\0';
    if (!wh_oci_repo_valid(buf)) {
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "NAME_INVALID",
                     "\"%s\" is not a valid repository name: lowercase letters and digits "
                     "separated by '.', '_', '__' or '-', in components joined by '/'",
                     buf);
        return false;
    }
    return true;
}

/* A digest from the path; answers DIGEST_INVALID when it is not one. */
static bool take_digest(wh_req *req, const char *digest, char sha[65])
{
    wh_err e;
    if (wh_oci_digest_parse(digest, sha, &e) != 0) {
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", "%s", e.msg);
        return false;
    }
    return true;
}

/* The start of the segment that ends just before `end` (at a '/'), or
 * NULL when that is the first segment after /v2/. */
static const char *segment_before(const char *base, const char *end)
{
    if (end <= base)
        return NULL;
    const char *p = end - 1;   /* the '/' that ends the previous segment */
    while (p > base && p[-1] != '/')
        p--;
    return p;
}

void wh_route_oci(wh_req *req)
{
    const char *p = req->path;
    req->oci = true;
    if (strcmp(p, "/v2") == 0 || strcmp(p, "/v2/") == 0) {
        if (allowed(req, "GET"))
            wh_oci_route_base(req);
        return;
    }
    const char *base = p + 4;   /* after "/v2/" */
    if (strcmp(base, "token") == 0) {
        if (allowed(req, "GET"))
            wh_oci_route_token(req);
        return;
    }
    if (strcmp(base, "_catalog") == 0) {
        if (allowed(req, "GET"))
            wh_oci_route_catalog(req);
        return;
    }

    char repo[WH_OCI_MAX_REPO + 1], sha[65];
    size_t len = strlen(base);
    const char *end = base + len;
    bool trailing = len > 0 && end[-1] == '/';
    if (trailing)
        end--;   /* only /blobs/uploads/ takes a trailing slash */

    const char *last = segment_before(base, end);            /* the last segment */
    const char *prev = last ? segment_before(base, last - 1) : NULL;
    if (!last || !prev || last - 1 <= base)
        goto unknown;
    size_t prev_len = (size_t)(last - 1 - prev);
#define PREV_IS(s) (prev_len == strlen(s) && strncmp(prev, s, prev_len) == 0)
#define LAST_IS(s) ((size_t)(end - last) == strlen(s) && strncmp(last, s, strlen(s)) == 0)

    if (PREV_IS("blobs") && LAST_IS("uploads")) {
        if (!take_repo(req, base, prev - 1, repo, sizeof repo))
            return;
        if (allowed(req, "POST"))
            wh_oci_route_upload_start(req, repo);
        return;
    }
    if (trailing)
        goto unknown;
    if (PREV_IS("manifests")) {
        char ref[WH_OCI_MAX_TAG + 80];
        size_t rl = (size_t)(end - last);
        if (rl >= sizeof ref) {
            wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "MANIFEST_INVALID",
                         "the reference is over %zu bytes", sizeof ref - 1);
            return;
        }
        memcpy(ref, last, rl);
        ref[rl] = '\0';
        if (!take_repo(req, base, prev - 1, repo, sizeof repo))
            return;
        if (allowed(req, "GET, PUT, DELETE"))
            wh_oci_route_manifest(req, repo, ref);
        return;
    }
    if (PREV_IS("blobs")) {
        if (!take_repo(req, base, prev - 1, repo, sizeof repo) || !take_digest(req, last, sha))
            return;
        if (allowed(req, "GET, DELETE"))
            wh_oci_route_blob(req, repo, sha);
        return;
    }
    if (PREV_IS("referrers")) {
        if (!take_repo(req, base, prev - 1, repo, sizeof repo) || !take_digest(req, last, sha))
            return;
        if (allowed(req, "GET"))
            wh_oci_route_referrers(req, repo, sha);
        return;
    }
    if (PREV_IS("tags") && LAST_IS("list")) {
        if (!take_repo(req, base, prev - 1, repo, sizeof repo))
            return;
        if (allowed(req, "GET"))
            wh_oci_route_tags_list(req, repo);
        return;
    }
    {
        /* NAME/blobs/uploads/ID: the upload id follows two fixed segments. */
        const char *pp = segment_before(base, prev - 1);
        if (pp && PREV_IS("uploads") && (size_t)(prev - 1 - pp) == 5 &&
            strncmp(pp, "blobs", 5) == 0 && pp - 1 > base) {
            if (!take_repo(req, base, pp - 1, repo, sizeof repo))
                return;
            char id[WH_SESSION_ID_LEN + 1];
            size_t il = (size_t)(end - last);
            if (il != WH_SESSION_ID_LEN) {
                wh_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UPLOAD_UNKNOWN",
                             "no upload %.*s", (int)(il > 80 ? 80 : il), last);
                return;
            }
            memcpy(id, last, il);
            id[il] = '\0';
            if (allowed(req, "GET, PATCH, PUT, DELETE"))
                wh_oci_route_upload(req, repo, id);
            return;
        }
    }
#undef PREV_IS
#undef LAST_IS
unknown:
    wh_oci_error(req, MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN", "no such endpoint: %s", p);
}
