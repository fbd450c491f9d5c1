/*
 * oci_remote_api.c - the endpoints of the distribution API that `wharf
 * mirror` uses (oci_remote.h): references, manifests, tags, blobs and
 * uploads, over the requests of oci_remote.c.
 */
#include "oci_remote_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

#define TAGS_PAGE_MAX (4u << 20)
#define TAGS_PAGES_MAX 10000

void wh_oci_doc_clear(wh_oci_doc *d)
{
    free(d->body);
    memset(d, 0, sizeof *d);
}

/* "/v2/REPO/KIND/REFERENCE" into buf. */
static int api_path(const wh_oci_remote *r, const char *kind, const char *ref, char *buf,
                    size_t cap, wh_err *err)
{
    int n = snprintf(buf, cap, "/v2/%s/%s/%s", r->repo, kind, ref);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "the request path is too long");
    return 0;
}

int wh_oci_remote_get_manifest(wh_oci_remote *r, const char *reference, wh_oci_doc *out,
                               wh_err *err)
{
    memset(out, 0, sizeof *out);
    char path[WH_OCI_MAX_REPO + 200], want[65] = "", what[WH_OCI_MAX_REPO + 200];
    int rc = api_path(r, "manifests", reference, path, sizeof path, err);
    if (rc)
        return rc;
    if (strncmp(reference, "sha256:", 7) == 0 && (rc = wh_oci_digest_parse(reference, want, err)))
        return rc;
    snprintf(what, sizeof what, "manifest %s%c%s", r->repo, want[0] ? '@' : ':', reference);
    wh_oci_reply p = {.fd = -1};
    wh_oci_req q = {.method = "GET", .path = path, .accept = WH_OCI_MANIFEST_ACCEPT, .fd = -1,
                    .max = WH_OCI_MAX_MANIFEST};
    if ((rc = wh_oci_call(r, &q, &p, err)))
        goto done;
    if (p.status != 200) {
        rc = wh_oci_status_fail(r, what, &p, err);
        goto done;
    }
    if ((rc = wh_oci_sha256_hex(p.body ? p.body : "", p.len, out->sha256, err)))
        goto done;
    if (want[0] && strcmp(want, out->sha256) != 0) {
        rc = wh_err_set(err, WH_EINVAL, "%s: the bytes %s sent have sha256 %s, not the "
                        "digest asked for", what, r->host, out->sha256);
        goto done;
    }
    if (strncmp(p.digest, "sha256:", 7) == 0 && strcmp(p.digest + 7, out->sha256) != 0) {
        char shown[80];
        rc = wh_err_set(err, WH_EINVAL, "%s: %s named it %s but its bytes have sha256 %s",
                        what, r->host, wh_cli_safe(p.digest, shown, sizeof shown),
                        out->sha256);
        goto done;
    }
    memcpy(out->content_type, p.ctype, sizeof out->content_type);
    out->len = p.len;
    out->body = p.body ? p.body : calloc(1, 1);
    p.body = NULL;
    if (!out->body)
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
done:
    wh_oci_reply_clear(&p);
    if (rc)
        wh_oci_doc_clear(out);
    return rc;
}

void wh_oci_tags_free(char **tags, size_t n)
{
    for (size_t i = 0; tags && i < n; i++)
        free(tags[i]);
    free(tags);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int wh_oci_remote_tags(wh_oci_remote *r, char ***tags, size_t *n, wh_err *err)
{
    *tags = NULL;
    *n = 0;
    char path[WH_OCI_HEADER_KEEP], what[WH_OCI_MAX_REPO + 40];
    snprintf(what, sizeof what, "the tags of %s", r->repo);
    int rc = api_path(r, "tags", "list?n=1000", path, sizeof path, err);
    char **v = NULL;
    size_t nv = 0, cap = 0;
    wh_oci_reply p = {.fd = -1};
    json_t *doc = NULL;
    for (size_t page = 0; !rc && path[0]; page++) {
        if (page == TAGS_PAGES_MAX) {
            rc = wh_err_set(err, WH_ETOOBIG, "%s: over %d pages of tags", r->host,
                            TAGS_PAGES_MAX);
            break;
        }
        wh_oci_req q = {.method = "GET", .path = path, .accept = "application/json", .fd = -1,
                        .max = TAGS_PAGE_MAX};
        if ((rc = wh_oci_call(r, &q, &p, err)))
            break;
        if (p.status != 200) {
            rc = wh_oci_status_fail(r, what, &p, err);
            break;
        }
        json_decref(doc);
        doc = p.body ? json_loadb(p.body, p.len, 0, NULL) : NULL;
        json_t *list = json_object_get(doc, "tags"), *t;
        if (!doc || (list && !json_is_array(list) && !json_is_null(list))) {
            rc = wh_err_set(err, WH_EINVAL, "%s: the tags/list reply is not a tag list", r->host);
            break;
        }
        size_t k;
        json_array_foreach(list, k, t) {
            const char *s = json_string_value(t);
            if (!s || !wh_oci_tag_valid(s)) {
                rc = wh_err_set(err, WH_EINVAL, "%s listed a tag that is not valid", r->host);
                break;
            }
            if (nv == WH_OCI_MAX_TAGS) {
                rc = wh_err_set(err, WH_ETOOBIG, "%s lists over %d tags", r->host,
                                WH_OCI_MAX_TAGS);
                break;
            }
            if (nv == cap) {
                size_t nc = cap ? cap * 2 : 64;
                char **nvv = realloc(v, nc * sizeof *v);
                if (!nvv) {
                    rc = wh_err_set(err, WH_ENOMEM, "out of memory");
                    break;
                }
                v = nvv;
                cap = nc;
            }
            if (!(v[nv] = strdup(s))) {
                rc = wh_err_set(err, WH_ENOMEM, "out of memory");
                break;
            }
            nv++;
        }
        char next[WH_OCI_HEADER_KEEP];
        wh_err e;
        if (rc)
            break;
        if ((rc = wh_oci_link_next(p.link, r->origin, next, sizeof next, &e))) {
            rc = wh_err_set(err, rc, "%s sent a tags/list Link that cannot be followed: %s",
                            r->host, e.msg);
            break;
        }
        /* A Link back to the same page would never end. */
        if (strcmp(next, path) == 0)
            next[0] = '\0';
        memcpy(path, next, sizeof path);
    }
    json_decref(doc);
    wh_oci_reply_clear(&p);
    if (rc) {
        wh_oci_tags_free(v, nv);
        return rc;
    }
    /* Pages of a registry that changes while we read may overlap. */
    if (nv > 1)
        qsort(v, nv, sizeof *v, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < nv; i++) {
        if (w > 0 && strcmp(v[w - 1], v[i]) == 0)
            free(v[i]);
        else
            v[w++] = v[i];
    }
    *tags = v;
    *n = w;
    return 0;
}

int wh_oci_remote_fetch_blobs(wh_oci_remote *r, wh_cache *c, wh_xfer_item *items, size_t n,
                              unsigned parallel, wh_progress *p, wh_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char path[WH_OCI_MAX_REPO + 100];
        snprintf(path, sizeof path, "/v2/%s/blobs/sha256:%s", r->repo, items[i].sha256);
        if (!(items[i].path = strdup(path)))
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        items[i].headers = r->auth;
    if (!rc)
        rc = wh_xfer_download(r->h, c, items, n, parallel, p, err);
    /* A token that expired during the run: renew it once and try again
     * (what was fetched is in the cache by now, so only the rest moves). */
    bool expired = false;
    for (size_t i = 0; rc && i < n; i++)
        expired = expired || (items[i].result && items[i].status == 401);
    if (expired && !r->token_given && r->realm) {
        wh_err e;
        wh_err_clear(&e);
        if (wh_oci_fetch_token(r, &e) == 0) {
            for (size_t i = 0; i < n; i++)
                items[i].headers = r->auth;
            rc = wh_xfer_download(r->h, c, items, n, parallel, p, err);
        }
    }
    for (size_t i = 0; i < n; i++) {
        items[i].headers = NULL;
        free(items[i].path);
        items[i].path = NULL;
    }
    return rc;
}

int wh_oci_remote_has_blob(wh_oci_remote *r, const char *sha256, bool *exists, wh_err *err)
{
    char path[WH_OCI_MAX_REPO + 100], what[WH_OCI_MAX_REPO + 100];
    snprintf(path, sizeof path, "/v2/%s/blobs/sha256:%s", r->repo, sha256);
    snprintf(what, sizeof what, "HEAD blob %s", sha256);
    wh_oci_reply p = {.fd = -1};
    wh_oci_req q = {.method = "HEAD", .path = path, .fd = -1, .max = WH_OCI_SMALL_MAX};
    int rc = wh_oci_call(r, &q, &p, err);
    if (!rc && p.status != 200 && p.status != 404)
        rc = wh_oci_status_fail(r, what, &p, err);
    *exists = !rc && p.status == 200;
    wh_oci_reply_clear(&p);
    return rc;
}

/* The path of an upload's Location with the digest added; WH_EINVAL for
 * a Location on another origin. */
static int upload_target(const wh_oci_remote *r, const char *loc, const char *sha256,
                         char *path, size_t cap, wh_err *err)
{
    char where[WH_OCI_HEADER_KEEP + 1];
    int rc = wh_oci_origin_path(loc, strlen(loc), r->origin, "the upload's Location", where,
                                sizeof where, err);
    if (rc) {
        wh_err_prefix(err, "%s", r->host);
        return rc;
    }
    int n = snprintf(path, cap, "%s%cdigest=sha256:%s", where, strchr(where, '?') ? '&' : '?',
                     sha256);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "%s: the upload Location is too long", r->host);
    return 0;
}

int wh_oci_remote_push_blob(wh_oci_remote *r, const char *sha256, uint64_t size,
                            const char *file, wh_err *err)
{
    char path[WH_OCI_MAX_REPO + 100], what[WH_OCI_MAX_REPO + 100], target[WH_OCI_HEADER_KEEP + 100];
    snprintf(path, sizeof path, "/v2/%s/blobs/uploads/", r->repo);
    snprintf(what, sizeof what, "uploading blob %s", sha256);
    wh_oci_reply p = {.fd = -1};
    int fd = -1;
    wh_oci_req q = {.method = "POST", .path = path, .fd = -1, .max = WH_OCI_SMALL_MAX};
    int rc = wh_oci_call(r, &q, &p, err);
    if (!rc && p.status != 202)
        rc = wh_oci_status_fail(r, what, &p, err);
    if (!rc && !p.location[0])
        rc = wh_err_set(err, WH_EIO, "%s: %s answered 202 without a Location", what, r->host);
    if (!rc)
        rc = upload_target(r, p.location, sha256, target, sizeof target, err);
    if (rc)
        goto done;
    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = wh_err_set(err, WH_EIO, "cannot open %s: %s", file, strerror(errno));
        goto done;
    }
    wh_oci_req put = {.method = "PUT", .path = target, .ctype = "application/octet-stream",
                      .fd = fd, .fd_len = size, .max = WH_OCI_SMALL_MAX};
    if (!(rc = wh_oci_call(r, &put, &p, err)) && p.status != 201)
        rc = wh_oci_status_fail(r, what, &p, err);
done:
    if (fd >= 0)
        close(fd);
    wh_oci_reply_clear(&p);
    return rc;
}

int wh_oci_remote_has_manifest(wh_oci_remote *r, const char *reference, bool *exists,
                               char sha256[65], wh_err *err)
{
    if (sha256)
        sha256[0] = '\0';
    char path[WH_OCI_MAX_REPO + 200], what[WH_OCI_MAX_REPO + 200];
    int rc = api_path(r, "manifests", reference, path, sizeof path, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "HEAD manifest %s", reference);
    wh_oci_reply p = {.fd = -1};
    wh_oci_req q = {.method = "HEAD", .path = path, .accept = WH_OCI_MANIFEST_ACCEPT, .fd = -1,
                    .max = WH_OCI_SMALL_MAX};
    rc = wh_oci_call(r, &q, &p, err);
    if (!rc && p.status != 200 && p.status != 404)
        rc = wh_oci_status_fail(r, what, &p, err);
    *exists = !rc && p.status == 200;
    if (*exists && sha256 && strncmp(p.digest, "sha256:", 7) == 0 &&
        wh_oci_digest_parse(p.digest, sha256, NULL) != 0)
        sha256[0] = '\0';
    wh_oci_reply_clear(&p);
    return rc;
}

int wh_oci_remote_put_manifest(wh_oci_remote *r, const char *reference, const char *body,
                               size_t len, const char *media_type, const char *sha256,
                               wh_err *err)
{
    char path[WH_OCI_MAX_REPO + 200], what[WH_OCI_MAX_REPO + 200];
    int rc = api_path(r, "manifests", reference, path, sizeof path, err);
    if (rc)
        return rc;
    snprintf(what, sizeof what, "PUT manifest %s:%s", r->repo, reference);
    wh_oci_reply p = {.fd = -1};
    wh_oci_req q = {.method = "PUT", .path = path, .ctype = media_type, .body = body,
                    .len = len, .fd = -1, .max = WH_OCI_SMALL_MAX};
    rc = wh_oci_call(r, &q, &p, err);
    if (!rc && p.status != 201)
        rc = wh_oci_status_fail(r, what, &p, err);
    if (!rc && strncmp(p.digest, "sha256:", 7) == 0 && strcmp(p.digest + 7, sha256) != 0)
        rc = wh_err_set(err, WH_EIO, "%s: %s stored it under another digest (%.80s)", what,
                        r->host, p.digest);
    wh_oci_reply_clear(&p);
    return rc;
}
