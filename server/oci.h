/*
 * oci.h - wharfd as an OCI registry: the Distribution API (spec 1.1) under
 * /v2/, over the same store as the Bindle API (docs/oci.md).
 *
 *   GET       /v2/                                   API version check
 *   GET       /v2/token                              Bearer tokens (oci_token.c)
 *   GET       /v2/_catalog?n=&last=                  repositories (oci_list.c)
 *   GET       /v2/NAME/tags/list?n=&last=            tags (oci_list.c)
 *   GET       /v2/NAME/referrers/DIGEST?artifactType= (oci_list.c)
 *   GET, HEAD, PUT, DELETE /v2/NAME/manifests/REF    (oci_manifest.c)
 *   GET, HEAD, DELETE      /v2/NAME/blobs/DIGEST     (oci_blob.c)
 *   POST      /v2/NAME/blobs/uploads/[?digest=|?mount=&from=]  (oci_upload.c)
 *   PATCH, PUT, GET, DELETE /v2/NAME/blobs/uploads/ID          (oci_upload.c)
 *
 * oci_route.c parses the path, checks the repository name and digests, and
 * calls the handler; handlers check authorization themselves (wh_oci_allow)
 * because what a request needs depends on its method.  Blobs are parcels:
 * one store, one SHA-256, no copy.  The bridge between bindles and
 * manifests is oci_bindle.c; the collector of unreferenced uploads is
 * oci_gc.c.
 *
 * Every error is answered in the spec's format (wh_oci_error), also those
 * of authentication: http.c and auth.c see req->oci and use it.
 */
#ifndef WH_OCI_SERVER_H
#define WH_OCI_SERVER_H

#include <stdbool.h>

#include "schema/oci.h"
#include "server.h"

/* The route for every path under /v2 (http.c); sets req->oci. */
void wh_route_oci(wh_req *req);

/*
 * Replies {"errors":[{"code":CODE,"message":...,"detail":{}}]} with
 * `status`: the spec's codes (BLOB_UNKNOWN, BLOB_UPLOAD_INVALID,
 * BLOB_UPLOAD_UNKNOWN, DIGEST_INVALID, MANIFEST_BLOB_UNKNOWN,
 * MANIFEST_INVALID, MANIFEST_UNKNOWN, NAME_INVALID, NAME_UNKNOWN,
 * SIZE_INVALID, UNAUTHORIZED, DENIED, UNSUPPORTED, TOOMANYREQUESTS).
 */
void wh_oci_error(wh_req *req, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Replies with the OCI error that matches err->code and err's message
 * (`code` is used for WH_ENOTFOUND and WH_EINVAL). */
void wh_oci_error_err(wh_req *req, const char *code, const wh_err *err);

/* Whether the request may do `action` (WH_SCOPE_*) on repository `repo`;
 * when not, the 401 (with the challenge) or 403 is set and false returned. */
bool wh_oci_allow(wh_req *req, unsigned action, const char *repo);

/* Adds the Bearer challenge of /v2/token to a 401 already set: with the
 * scope `action` (WH_SCOPE_*) on `repo`, or none when repo is NULL.  Also
 * what auth.c sends for OCI requests. */
void wh_oci_challenge(wh_req *req, const char *repo, unsigned action);

/* Handlers, called by oci_route.c with a valid repo and digests as hex. */
void wh_oci_route_base(wh_req *req);
void wh_oci_route_token(wh_req *req);
void wh_oci_route_catalog(wh_req *req);
void wh_oci_route_tags_list(wh_req *req, const char *repo);
void wh_oci_route_referrers(wh_req *req, const char *repo, const char *sha256);
void wh_oci_route_manifest(wh_req *req, const char *repo, const char *reference);
void wh_oci_route_blob(wh_req *req, const char *repo, const char *sha256);
void wh_oci_route_upload_start(wh_req *req, const char *repo);
void wh_oci_route_upload(wh_req *req, const char *repo, const char *id);

/* Shared by the manifest routes (oci_manifest.c, oci_push.c): the 201 of a
 * stored manifest; REF read as a digest or a tag (400 answered otherwise);
 * the bindle version a tag names when the repository may hold bindles. */
void wh_oci_reply_created(wh_req *req, const char *repo, const char *sha, const char *subject);
bool wh_oci_parse_ref(wh_req *req, const char *ref, bool *by_digest, char sha[65]);
bool wh_oci_tag_version(const char *repo, const char *tag, char *version, size_t cap);

/* PUT of a manifest (oci_push.c), from wh_oci_route_manifest. */
void wh_oci_manifest_push(wh_req *req, const char *repo, const char *ref);

/*
 * The OCI view of bindle name/version (oci_bindle.c): the digest of the
 * manifest that GET /v2/NAME/manifests/VERSION serves.  The manifest a
 * bindle was made from when it came over OCI or from a mirror (its
 * WH_OCI_ANN_MANIFEST annotation names one stored in that repository);
 * otherwise the generated view (schema/oci.h), recorded with its config
 * blob the first time it is asked for.  WH_ENOTFOUND when there is no such
 * unyanked bindle.
 */
int wh_oci_bindle_view(wh_server *srv, const char *name, const char *version,
                       char sha256[65], wh_err *err);

/*
 * Fills the fields of *p that a parsed manifest gives (oci_manifest.c):
 * media type; artifact type as the referrers API reports it (the
 * manifest's, else an image manifest's config media type); subject;
 * annotations as JSON text; the referenced blobs (config and layers, each
 * once) or, for an index, manifests.  The caller sets the digest, bytes,
 * tag, bindle and invoice.  What it allocates is released by
 * wh_oci_put_clear; the strings it points at are m's.
 */
int wh_oci_put_from_manifest(const wh_oci_manifest *m, wh_oci_manifest_put *p, wh_err *err);
void wh_oci_put_clear(wh_oci_manifest_put *p);

/* The description of the tokens /v2/token mints for htpasswd users; the
 * collector deletes them a day after they expired. */
#define WH_OCI_LOGIN_TOKEN_PREFIX "oci login "

/* The collector of OCI uploads that nothing references (oci_gc.c): a
 * thread that wakes every gc-interval seconds; stop joins it. */
int wh_oci_gc_start(wh_server *srv, wh_err *err);
void wh_oci_gc_stop(wh_server *srv);

/* One pass of the collector, for tests and `wharfd gc`: drops what is
 * unreferenced and older than `cutoff`; *dropped gets how many blobs. */
int wh_oci_gc_run(wh_server *srv, int64_t cutoff, size_t *dropped, wh_err *err);

#endif
