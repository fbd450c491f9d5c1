/*
 * oci_remote.h - a client of the OCI distribution API (spec 1.1) for
 * `wharf mirror`: it reads from the upstream registry a mirror copies
 * (any OCI registry: manifests, tags, blobs) and writes the OCI view to
 * Wharf's own /v2 (blob uploads, manifests).
 *
 * Authentication is what registries ask for in their WWW-Authenticate
 * challenge: none, HTTP Basic, or the Bearer token flow that public
 * registries use (a token from the challenge's realm, asked for with the
 * service and a repository scope, with the Basic credentials when there
 * are any, anonymously otherwise).  A request answered 401 renews the
 * token once and is tried again; a token given by the user is sent as it
 * is and never renewed.  Credentials go to the registry's own origin and
 * its token service only: an upload Location or a paging Link that points
 * elsewhere is refused.
 *
 * Everything read is bounded (manifests by WH_OCI_MAX_MANIFEST, tag pages,
 * token replies, error bodies) and every digest is checked: a manifest's
 * bytes against the digest asked for and the Docker-Content-Digest the
 * registry sent, a blob's as it streams into the cache (transfer.h).
 *
 * Ownership: *out of wh_oci_remote_open is the caller's
 * (wh_oci_remote_close); it keeps copies of the strings it is given.
 * wh_oci_doc buffers are the caller's (wh_oci_doc_clear); the tag list of
 * wh_oci_remote_tags is the caller's (wh_oci_tags_free).
 */
#ifndef WH_CLIENT_OCI_REMOTE_H
#define WH_CLIENT_OCI_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "oci_parse.h"
#include "progress.h"
#include "schema/error.h"
#include "schema/oci.h"
#include "transfer.h"

/* The most tags one repository may list, over all pages. */
#define WH_OCI_MAX_TAGS 100000

/* What to authenticate with; any field may be NULL. */
typedef struct wh_oci_creds {
    const char *username;   /* Basic (also for the token service), with password */
    const char *password;
    const char *token;      /* a Bearer token sent as it is */
    /* Where credentials come from, for the messages when they are
     * missing or refused ("give them with HINT"): "--src-creds USER:PASS". */
    const char *hint;
} wh_oci_creds;

typedef struct wh_oci_remote wh_oci_remote;

/*
 * Opens a client of repository `repo` at `origin` ("http://HOST[:PORT]" or
 * https) and pings GET /v2/, settling authentication: the challenge is
 * answered now, so that a registry that refuses the credentials is
 * reported before anything is fetched.  `push` asks tokens for pull and
 * push (Wharf's /v2), else pull only.  WH_EUNAUTH with the registry's
 * message and creds->hint when it refuses; WH_EIO when it cannot be
 * reached or does not speak the API.
 */
int wh_oci_remote_open(const char *origin, const char *repo, bool push,
                       const wh_oci_creds *creds, wh_oci_remote **out, wh_err *err);
void wh_oci_remote_close(wh_oci_remote *r);

/* "HOST[:PORT]" of the remote, for messages. */
const char *wh_oci_remote_host(const wh_oci_remote *r);

/* A manifest as the registry sent it. */
typedef struct wh_oci_doc {
    char *body;                 /* malloc'd; NUL-terminated (not counted in len) */
    size_t len;
    char content_type[128];     /* the reply's Content-Type, parameters cut */
    char sha256[65];            /* of the bytes, checked as described above */
} wh_oci_doc;

void wh_oci_doc_clear(wh_oci_doc *d);

/*
 * GET /v2/REPO/manifests/REFERENCE (a tag, or a digest "sha256:HEX"),
 * accepting OCI manifests and indexes and Docker schema 2 manifests and
 * lists.  WH_ENOTFOUND for 404; WH_ETOOBIG over WH_OCI_MAX_MANIFEST;
 * WH_EINVAL when the bytes do not match the digest asked for or the one
 * the registry named.
 */
int wh_oci_remote_get_manifest(wh_oci_remote *r, const char *reference, wh_oci_doc *out,
                               wh_err *err);

/* Every tag of the repository, following the Link header of each page.
 * *tags is the caller's (wh_oci_tags_free). */
int wh_oci_remote_tags(wh_oci_remote *r, char ***tags, size_t *n, wh_err *err);
void wh_oci_tags_free(char **tags, size_t n);

/*
 * Downloads blobs into the cache through transfer.h, `parallel` at once:
 * each item's sha256 and size are the caller's, the path and headers are
 * set here (and cleared before returning).  Blobs already cached are not
 * fetched; bytes are hashed as they stream and a mismatch keeps nothing.
 * A 401 renews the token once and tries the failed ones again.  The
 * result of each item is in it, as wh_xfer_download leaves it.
 */
int wh_oci_remote_fetch_blobs(wh_oci_remote *r, wh_cache *c, wh_xfer_item *items, size_t n,
                              unsigned parallel, wh_progress *p, wh_err *err);

/* HEAD /v2/REPO/blobs/sha256:HEX: *exists true on 200, false on 404. */
int wh_oci_remote_has_blob(wh_oci_remote *r, const char *sha256, bool *exists, wh_err *err);

/* Uploads the file `path` (size bytes, sha256) as a blob: POST
 * /v2/REPO/blobs/uploads/, then PUT to its Location with ?digest=,
 * streamed from the file; 201 is success. */
int wh_oci_remote_push_blob(wh_oci_remote *r, const char *sha256, uint64_t size,
                            const char *path, wh_err *err);

/* HEAD /v2/REPO/manifests/REFERENCE: *exists true on 200, false on 404;
 * sha256 (may be NULL) gets the hex of the Docker-Content-Digest of a 200,
 * "" when the registry sent none. */
int wh_oci_remote_has_manifest(wh_oci_remote *r, const char *reference, bool *exists,
                               char sha256[65], wh_err *err);

/* PUT /v2/REPO/manifests/REFERENCE with these exact bytes and Content-Type
 * `media_type`; 201 is success, and a Docker-Content-Digest in the reply
 * must be the bytes' sha256 (`sha256`). */
int wh_oci_remote_put_manifest(wh_oci_remote *r, const char *reference, const char *body,
                               size_t len, const char *media_type, const char *sha256,
                               wh_err *err);

#endif
