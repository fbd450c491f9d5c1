/*
 * oci_list.c - the listings of /v2: a repository's tags, the catalog of
 * repositories, and the referrers of a manifest.
 *
 * Tags and repositories come from the store in bytewise order, which is
 * the order the spec asks for (Go's sort.Strings), a page at a time: `n`
 * (at most MAX_PAGE, which is also the page without `n`) after `last`,
 * with a Link header to the next page when there is one.  The catalog
 * leaves out names a client could not use (not valid repository names:
 * bindle names may hold capitals and non-ASCII letters) and, when reads
 * need a token, names the reader may not read; it reads on past them so a
 * page is still full whenever more names follow.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "oci.h"

#define MAX_PAGE 1000

/* Replies with a JSON document (the reference is stolen). */
static void reply_json(wh_req *req, json_t *doc, const char *type, const char *link)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    struct MHD_Response *r =
        text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(text);
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "UNKNOWN", "out of memory");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (link)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LINK, link);
    wh_reply_response(req, MHD_HTTP_OK, r);
}

/* `n` of the query: the page size, MAX_PAGE when absent or larger.
 * False with the reply set when it is not a number. */
static bool page_size(wh_req *req, size_t *n)
{
    const char *s = wh_req_arg(req, "n");
    *n = MAX_PAGE;
    if (!s)
        return true;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || *s == '-' || *s == '+' || errno == ERANGE) {
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "PAGINATION_NUMBER_INVALID",
                     "n must be a non-negative number, not \"%.40s\"", s);
        return false;
    }
    *n = v < MAX_PAGE ? (size_t)v : MAX_PAGE;
    return true;
}

/* `last` of the query, NULL when absent or empty. */
static const char *page_last(wh_req *req)
{
    const char *s = wh_req_arg(req, "last");
    return s && *s ? s : NULL;
}

static json_t *string_array(char **v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

void wh_oci_route_tags_list(wh_req *req, const char *repo)
{
    if (!wh_oci_allow(req, WH_SCOPE_READ, repo))
        return;
    size_t n;
    if (!page_size(req, &n))
        return;
    const char *last = page_last(req);
    wh_err e;
    char **tags = NULL;
    size_t got = 0;
    bool more = false;
    int rc = 0;
    if (n)
        rc = wh_meta_oci_tags(req->srv->meta, repo, last, n, &tags, &got, &more, &e);
    /* An empty page is not an unknown repository when it was asked for
     * (n=0) or lies past the end; one lookup from the start tells. */
    if (!rc && !got) {
        char **probe = NULL;
        size_t pn = 0;
        bool pm = false;
        rc = wh_meta_oci_tags(req->srv->meta, repo, NULL, 1, &probe, &pn, &pm, &e);
        wh_strings_free(probe, pn);
        if (!rc && !pn) {
            wh_strings_free(tags, got);
            return wh_oci_error(req, MHD_HTTP_NOT_FOUND, "NAME_UNKNOWN",
                                "repository %s has no tags and no bindles", repo);
        }
    }
    if (rc) {
        wh_strings_free(tags, got);
        return wh_oci_error_err(req, "NAME_UNKNOWN", &e);
    }
    char link[WH_OCI_MAX_REPO + WH_OCI_MAX_TAG + 80];
    if (more && got)
        snprintf(link, sizeof link, "</v2/%s/tags/list?n=%zu&last=%s>; rel=\"next\"", repo, n,
                 tags[got - 1]);
    json_t *doc = json_pack("{s:s, s:o}", "name", repo, "tags", string_array(tags, got));
    wh_strings_free(tags, got);
    reply_json(req, doc, "application/json", more && got ? link : NULL);
}

/* Whether a reader whose read scopes are names/prefix may read `name`. */
static bool readable(const char *name, const char *const *names, const bool *prefix, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (prefix[i] ? strncmp(name, names[i], strlen(names[i])) == 0
                      : strcmp(name, names[i]) == 0)
            return true;
    }
    return false;
}

void wh_oci_route_catalog(wh_req *req)
{
    bool all;
    const char *const *names;
    const bool *prefix;
    size_t n_names;
    if (!wh_auth_read_names(req, &all, &names, &prefix, &n_names))
        return;
    size_t n;
    if (!page_size(req, &n))
        return;
    const char *last = page_last(req);
    char *cursor = last ? strdup(last) : NULL;
    char **keep = calloc(n + 1, sizeof *keep);
    size_t kept = 0;
    bool more = n > 0, failed = !keep || (last && !cursor);
    wh_err e;
    wh_err_clear(&e);
    /* Read until one name past the page is kept (then there is a next
     * page) or the store has no more. */
    while (!failed && more && kept <= n) {
        char **v = NULL;
        size_t got = 0;
        if (wh_meta_oci_repos(req->srv->meta, cursor, MAX_PAGE, &v, &got, &more, &e) != 0) {
            failed = true;
            break;
        }
        for (size_t i = 0; i < got && kept <= n && !failed; i++) {
            if (!wh_oci_repo_valid(v[i]) || (!all && !readable(v[i], names, prefix, n_names)))
                continue;
            failed = !(keep[kept++] = strdup(v[i]));
        }
        free(cursor);
        cursor = got ? strdup(v[got - 1]) : NULL;
        failed = failed || (got && !cursor);
        wh_strings_free(v, got);
        more = more && got;
    }
    free(cursor);
    if (failed) {
        wh_strings_free(keep, kept);
        if (!e.code)
            wh_err_set(&e, WH_ENOMEM, "out of memory");
        return wh_oci_error_err(req, "NAME_UNKNOWN", &e);
    }
    bool next = kept > n;
    size_t shown = next ? n : kept;
    char link[WH_OCI_MAX_REPO + 80];
    if (next)
        snprintf(link, sizeof link, "</v2/_catalog?n=%zu&last=%s>; rel=\"next\"", n,
                 keep[shown - 1]);
    json_t *doc = json_pack("{s:o}", "repositories", string_array(keep, shown));
    wh_strings_free(keep, kept);
    reply_json(req, doc, "application/json", next ? link : NULL);
}

/* A referrer's descriptor, as the referrers API lists it. */
static json_t *referrer_desc(const wh_oci_referrer *r)
{
    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%s", r->sha256);
    json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", r->media_type, "digest", digest,
                          "size", (json_int_t)r->size);
    if (d && r->artifact_type)
        json_object_set_new(d, "artifactType", json_string(r->artifact_type));
    if (d && r->annotations) {
        json_t *a = json_loads(r->annotations, 0, NULL);
        if (json_is_object(a) && json_object_size(a))
            json_object_set_new(d, "annotations", a);
        else
            json_decref(a);
    }
    return d;
}

void wh_oci_route_referrers(wh_req *req, const char *repo, const char *sha256)
{
    if (!wh_oci_allow(req, WH_SCOPE_READ, repo))
        return;
    const char *type = wh_req_arg(req, "artifactType");
    if (type && !*type)
        type = NULL;
    wh_err e;
    wh_oci_referrer *v = NULL;
    size_t n = 0;
    if (wh_meta_oci_referrers(req->srv->meta, repo, sha256, type, &v, &n, &e) != 0)
        return wh_oci_error_err(req, "MANIFEST_UNKNOWN", &e);
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new(list, referrer_desc(&v[i]));
    wh_oci_referrers_free(v, n);
    json_t *doc = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", WH_OCI_MT_INDEX,
                            "manifests", list);
    reply_json(req, doc, WH_OCI_MT_INDEX, NULL);
    if (type && req->resp && req->status == MHD_HTTP_OK)
        MHD_add_response_header(req->resp, "OCI-Filters-Applied", "artifactType");
}
