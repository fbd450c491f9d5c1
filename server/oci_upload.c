/*
 * oci_upload.c - pushing blobs (distribution spec 1.1, "Pushing blobs"):
 *
 *   POST   /v2/NAME/blobs/uploads/?digest=D     the whole blob in one request: 201
 *   POST   /v2/NAME/blobs/uploads/?mount=D&from=OTHER
 *                                               link a blob OTHER has: 201, else as below
 *   POST   /v2/NAME/blobs/uploads/              open an upload: 202 and its Location
 *   PATCH  /v2/NAME/blobs/uploads/ID            append a chunk (Content-Range) or a stream
 *   PUT    /v2/NAME/blobs/uploads/ID?digest=D   append an optional last chunk, finish: 201
 *   GET    /v2/NAME/blobs/uploads/ID            where it stands: 204 with Range
 *   DELETE /v2/NAME/blobs/uploads/ID            cancel: 204
 *
 * An upload is a session of the store (store.h), which keeps its bytes and
 * hash between requests, plus a row saying which repository it was opened
 * in (wh_meta_oci_upload_*): a session is known only under that repository.
 * Bytes stream from libmicrohttpd straight into the session, as parcel
 * uploads do, under the same limits (max-parcel-bytes, a max-uploads slot,
 * min-upload-rate); a chunk that does not start where the session ends is
 * refused before any of it is appended.  Everything that may wait for the
 * disk or commits to the database (opening, finishing, cancelling) runs as
 * on_end, on the offload pool.
 *
 * Finishing puts the bytes in place as a parcel and links the blob to the
 * repository while holding srv->blob_gate shared: the collector (oci_gc.c)
 * takes it exclusive to drop a blob, so it can never remove bytes between
 * their placing and their link.
 *
 * Ownership: the per-request state (up_ctx) hangs on req->ctx and is freed
 * by on_cleanup, which also closes a session still open (keeping its bytes
 * for a later request) or discards the private one of a single POST.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http_parse.h"
#include "oci.h"

typedef struct up_ctx {
    char repo[WH_OCI_MAX_REPO + 1];
    char id[WH_SESSION_ID_LEN + 1];   /* "" until a session exists */
    char sha[65];                     /* the digest to finish with, "" when none */
    char mount[65];                   /* POST ?mount= that may be linked, "" when none */
    char from[WH_OCI_MAX_REPO + 1];
    bool single;                      /* POST ?digest=: the session is this request's alone */
    wh_session *ss;                   /* open while the request writes or finishes */
    uint64_t received;                /* body bytes appended by this request */
    wh_upload_slot slot;
} up_ctx;

static void up_cleanup(wh_req *req)
{
    up_ctx *u = req->ctx;
    if (!u)
        return;
    if (u->single)
        wh_session_discard(u->ss);
    else
        wh_session_close(u->ss);
    wh_upload_slot_release(req->srv, &u->slot);
    free(u);
    req->ctx = NULL;
}

/* Lets go of the upload before the reply goes out: a client that has its
 * answer sends the next request at once, maybe on another connection, and
 * must not find the upload still held by this one (cleanup comes later). */
static void release(up_ctx *u)
{
    if (!u->single) {
        wh_session_close(u->ss);
        u->ss = NULL;
    }
}

static up_ctx *ctx_new(wh_req *req, const char *repo)
{
    up_ctx *u = calloc(1, sizeof *u);
    if (!u) {
        wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
        return NULL;
    }
    snprintf(u->repo, sizeof u->repo, "%s", repo);
    req->ctx = u;
    req->on_cleanup = up_cleanup;
    return u;
}

/* ---- replies ---- */

static struct MHD_Response *empty_response(wh_req *req)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!r)
        wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
    return r;
}

/* The headers that say where an upload stands.  Range is inclusive, so an
 * empty upload cannot be told apart from one of a single byte; like the
 * reference registry we say "0-0" for both, and a client that resumes asks
 * for the status after a 416 anyway. */
static void add_progress(struct MHD_Response *r, const char *repo, const char *id,
                         uint64_t size)
{
    char loc[WH_OCI_MAX_REPO + WH_SESSION_ID_LEN + 32], range[48];
    snprintf(loc, sizeof loc, "/v2/%s/blobs/uploads/%s", repo, id);
    snprintf(range, sizeof range, "0-%" PRIu64, size ? size - 1 : 0);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    MHD_add_response_header(r, MHD_HTTP_HEADER_RANGE, range);
    MHD_add_response_header(r, "Docker-Upload-UUID", id);
}

static void reply_progress(wh_req *req, unsigned status, const char *repo, const char *id,
                           uint64_t size)
{
    struct MHD_Response *r = empty_response(req);
    if (!r)
        return;
    add_progress(r, repo, id, size);
    wh_reply_response(req, status, r);
}

/* 416 for a chunk that does not continue the upload, saying where it
 * stands so that the client can resume there. */
static void reply_bad_range(wh_req *req, const up_ctx *u, uint64_t size, const char *problem)
{
    wh_oci_error(req, MHD_HTTP_RANGE_NOT_SATISFIABLE, "BLOB_UPLOAD_INVALID",
                 "%s; the upload holds %" PRIu64 " bytes, so the next chunk starts at byte %"
                 PRIu64, problem, size, size);
    if (req->resp)
        add_progress(req->resp, u->repo, u->id, size);
}

static void reply_created(wh_req *req, const char *repo, const char *sha)
{
    struct MHD_Response *r = empty_response(req);
    if (!r)
        return;
    char loc[WH_OCI_MAX_REPO + 96], digest[80];
    snprintf(loc, sizeof loc, "/v2/%s/blobs/sha256:%s", repo, sha);
    snprintf(digest, sizeof digest, "sha256:%s", sha);
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    MHD_add_response_header(r, "Docker-Content-Digest", digest);
    wh_reply_response(req, MHD_HTTP_CREATED, r);
}

/* ---- request headers ---- */

/* Content-Length when given (*has set), false when it is malformed. */
static bool content_length(wh_req *req, bool *has, uint64_t *len)
{
    const char *cl = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    *has = cl != NULL;
    *len = 0;
    return !cl || wh_http_parse_content_length(cl, len);
}

/*
 * Checks that the body of a PATCH or PUT may be appended to the session
 * (open in u->ss) before any byte of it is read: a Content-Range must
 * start where the session ends and agree with Content-Length, and the
 * total must stay within max-parcel-bytes.  Replies and returns false when
 * not.  *body says whether a body is announced.
 */
static bool chunk_ok(wh_req *req, up_ctx *u, bool *body)
{
    uint64_t size = wh_session_size(u->ss), len, start, end;
    bool has_len;
    if (!content_length(req, &has_len, &len)) {
        wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "BLOB_UPLOAD_INVALID",
                     "Content-Length is not a number of bytes");
        return false;
    }
    *body = wh_req_may_have_body(req);
    const char *cr = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_RANGE);
    if (cr) {
        char problem[160];
        if (!wh_http_parse_content_range(cr, &start, &end)) {
            snprintf(problem, sizeof problem,
                     "Content-Range \"%.64s\" is not START-END (inclusive)", cr);
            reply_bad_range(req, u, size, problem);
            return false;
        }
        if (start != size) {
            snprintf(problem, sizeof problem,
                     "the chunk %.64s does not continue the upload (chunks go in order)", cr);
            reply_bad_range(req, u, size, problem);
            return false;
        }
        /* The length is checked up front, so nothing of a chunk that
         * would not fit is ever appended. */
        if (!has_len || len != end - start + 1) {
            wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "BLOB_UPLOAD_INVALID",
                         "Content-Range %s is %" PRIu64 " bytes, but the Content-Length %s",
                         cr, end - start + 1, has_len ? "differs" : "is missing");
            return false;
        }
    }
    uint64_t max = req->srv->cfg.max_parcel_bytes;
    if (has_len && (len > max || size > max - len)) {
        wh_oci_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID",
                     "the blob would be over the %" PRIu64 "-byte limit (max-parcel-bytes)",
                     max);
        return false;
    }
    return true;
}

/* ---- streaming the body ---- */

static int up_data(wh_req *req, const char *data, size_t len)
{
    up_ctx *u = req->ctx;
    wh_err e;
    if (wh_upload_slot_too_slow(req, &u->slot, u->received)) {
        wh_log(req->srv, WH_LOG_WARN, "cut off an OCI blob upload to %s below min-upload-rate",
               u->repo);
        return -1;
    }
    uint64_t size = wh_session_size(u->ss), max = req->srv->cfg.max_parcel_bytes;
    if (len > max || size > max - len) {
        /* A body of unannounced length that outgrew the limit: the upload
         * can never be finished, so it goes now. */
        wh_oci_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID",
                     "the blob is over the %" PRIu64 "-byte limit (max-parcel-bytes); the "
                     "upload was cancelled", max);
        wh_session_discard(u->ss);
        u->ss = NULL;
        return 0;
    }
    if (wh_session_write(u->ss, data, len, &e) != 0) {
        release(u);
        wh_oci_error_err(req, "BLOB_UPLOAD_INVALID", &e);
        return 0;
    }
    u->received += len;
    return 0;
}

/* Streams the request's body into u->ss; on_end answers. */
static void accept_body(wh_req *req, void (*on_end)(wh_req *))
{
    req->body_mode = WH_BODY_STREAM;
    req->on_data = up_data;
    req->on_end = on_end;
}

/* ---- finishing ---- */

/* Finishes the session in u->ss as blob u->sha and links it to the
 * repository: 201, or DIGEST_INVALID with the session kept. */
static void finish(wh_req *req, up_ctx *u)
{
    wh_server *srv = req->srv;
    wh_session *ss = u->ss;
    uint64_t size = 0;
    wh_err e;
    u->ss = NULL;   /* finish frees it, whatever it answers */
    pthread_rwlock_rdlock(&srv->blob_gate);
    int rc = wh_session_finish(ss, u->sha, &size, &e);
    bool placed = rc == 0;
    if (placed)
        rc = wh_meta_oci_blob_link(srv->meta, u->repo, u->sha, size, &e);
    pthread_rwlock_unlock(&srv->blob_gate);
    /* A failed single POST has no upload record for a client to resume:
     * its session is taken back so that cleanup discards it. */
    wh_err e2;
    if (!placed && u->single && wh_store_session_open(srv->store, u->id, &u->ss, &e2) != 0)
        u->ss = NULL;   /* then it expires */
    if (!placed && rc == WH_EINVAL)
        return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", "%s", e.msg);
    if (rc)
        return wh_oci_error_err(req, "BLOB_UPLOAD_INVALID", &e);
    if (!u->single && wh_meta_oci_upload_remove(srv->meta, u->id, &e) != 0)
        wh_log(srv, WH_LOG_WARN, "upload %s: cannot forget it (%s); it will expire", u->id,
               e.msg);
    wh_log(srv, WH_LOG_INFO, "stored blob sha256:%s (%" PRIu64 " bytes) in %s", u->sha, size,
           u->repo);
    reply_created(req, u->repo, u->sha);
}

static void finish_end(wh_req *req)
{
    finish(req, req->ctx);
}

static void patch_end(wh_req *req)
{
    up_ctx *u = req->ctx;
    uint64_t size = wh_session_size(u->ss);
    release(u);
    reply_progress(req, MHD_HTTP_ACCEPTED, u->repo, u->id, size);
}

/* ---- POST ---- */

/* Links u->mount from u->from into the repository when it is there to be
 * seen: true when it answered (201, or an error). */
static bool mount(wh_req *req, up_ctx *u)
{
    wh_server *srv = req->srv;
    wh_err e;
    uint64_t size = 0;
    int has = 0, rc = 0;
    /* Shared, as for a finish: the blob may be the collector's candidate
     * if all that holds it in `from` is an old link. */
    pthread_rwlock_rdlock(&srv->blob_gate);
    int vis = wh_meta_oci_blob_visible(srv->meta, u->from, u->mount, &e);
    if (vis == 1)
        has = wh_store_has(srv->store, u->mount, &size, &e);
    if (has == 1)
        rc = wh_meta_oci_blob_link(srv->meta, u->repo, u->mount, size, &e);
    pthread_rwlock_unlock(&srv->blob_gate);
    if (vis < 0 || has < 0 || rc < 0) {
        wh_oci_error_err(req, "BLOB_UPLOAD_INVALID", &e);
        return true;
    }
    if (has != 1)
        return false;
    wh_log(srv, WH_LOG_INFO, "mounted blob sha256:%s from %s into %s", u->mount, u->from,
           u->repo);
    reply_created(req, u->repo, u->mount);
    return true;
}

/* POST without a digest, as on_end: the mount when there is one to try,
 * else (or when it cannot be done) a new upload. */
static void open_end(wh_req *req)
{
    up_ctx *u = req->ctx;
    wh_server *srv = req->srv;
    wh_err e;
    if (u->mount[0] && mount(req, u))
        return;
    if (wh_store_session_create(srv->store, u->id, &e) != 0)
        return wh_oci_error_err(req, "BLOB_UPLOAD_INVALID", &e);
    if (wh_meta_oci_upload_add(srv->meta, u->id, u->repo, &e) != 0) {
        wh_session *ss;
        wh_err e2;
        if (wh_store_session_open(srv->store, u->id, &ss, &e2) == 0)
            wh_session_discard(ss);
        return wh_oci_error_err(req, "BLOB_UPLOAD_INVALID", &e);
    }
    reply_progress(req, MHD_HTTP_ACCEPTED, u->repo, u->id, 0);
}

/* POST ?digest=D: the body is the whole blob, in a session of its own. */
static void start_single(wh_req *req, up_ctx *u, const char *digest)
{
    wh_err e;
    if (wh_oci_digest_parse(digest, u->sha, &e) != 0)
        return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", "%s", e.msg);
    bool has_len;
    uint64_t len;
    if (!content_length(req, &has_len, &len))
        return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "BLOB_UPLOAD_INVALID",
                            "Content-Length is not a number of bytes");
    if (has_len && len > req->srv->cfg.max_parcel_bytes)
        return wh_oci_error(req, MHD_HTTP_CONTENT_TOO_LARGE, "SIZE_INVALID",
                            "the blob is %" PRIu64 " bytes, over the %" PRIu64
                            "-byte limit (max-parcel-bytes)",
                            len, req->srv->cfg.max_parcel_bytes);
    bool body = wh_req_may_have_body(req);
    if (body && !wh_upload_slot_take(req, &u->slot))
        return;
    u->single = true;   /* from here on, cleanup discards the session */
    if (wh_store_session_create(req->srv->store, u->id, &e) != 0 ||
        wh_store_session_open(req->srv->store, u->id, &u->ss, &e) != 0)
        return wh_oci_error_err(req, "BLOB_UPLOAD_INVALID", &e);
    accept_body(req, finish_end);
}

void wh_oci_route_upload_start(wh_req *req, const char *repo)
{
    if (!wh_oci_allow(req, WH_SCOPE_PUSH, repo))
        return;
    up_ctx *u = ctx_new(req, repo);
    if (!u)
        return;
    const char *digest = wh_req_arg(req, "digest");
    if (digest)
        return start_single(req, u, digest);
    /* A mount needs a source the caller may read; anything less falls
     * back to a plain upload, as the spec asks (without `from` too: blobs
     * are not looked for in repositories the client did not name). */
    const char *m = wh_req_arg(req, "mount"), *from = wh_req_arg(req, "from");
    wh_err e;
    if (m && from && wh_oci_repo_valid(from) && wh_oci_digest_parse(m, u->mount, &e) == 0 &&
        wh_auth_check(req, WH_SCOPE_READ, from, &e) == 0)
        snprintf(u->from, sizeof u->from, "%s", from);
    else
        u->mount[0] = '\0';
    req->on_end = open_end;
}

/* ---- /uploads/ID ---- */

/* Opens upload `id` of the repository into u->ss: false with 404
 * BLOB_UPLOAD_UNKNOWN (or another error) replied when it cannot. */
static bool open_upload(wh_req *req, up_ctx *u, const char *id)
{
    wh_server *srv = req->srv;
    wh_err e;
    char *owner = NULL;
    snprintf(u->id, sizeof u->id, "%s", id);
    int rc = wh_meta_oci_upload_get(srv->meta, id, &owner, &e);
    if (rc < 0) {
        wh_oci_error_err(req, "BLOB_UPLOAD_UNKNOWN", &e);
        return false;
    }
    bool mine = rc == 1 && strcmp(owner, u->repo) == 0;
    free(owner);
    if (!mine) {
        wh_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UPLOAD_UNKNOWN",
                     "no upload %s in repository %s", id, u->repo);
        return false;
    }
    rc = wh_store_session_open(srv->store, id, &u->ss, &e);
    if (rc == WH_EBUSY) {
        wh_oci_error(req, MHD_HTTP_CONFLICT, "BLOB_UPLOAD_INVALID",
                     "another request is writing upload %s; retry when it is done", id);
        return false;
    }
    if (rc == WH_ENOTFOUND) {
        /* Its bytes expired or were cancelled by a crash: forget it. */
        wh_meta_oci_upload_remove(srv->meta, id, NULL);
        wh_oci_error(req, MHD_HTTP_NOT_FOUND, "BLOB_UPLOAD_UNKNOWN",
                     "upload %s no longer exists; start again", id);
        return false;
    }
    if (rc) {
        wh_oci_error_err(req, "BLOB_UPLOAD_UNKNOWN", &e);
        return false;
    }
    return true;
}

/* DELETE, as on_end: the bytes and the row go. */
static void cancel_end(wh_req *req)
{
    up_ctx *u = req->ctx;
    wh_err e;
    wh_session_discard(u->ss);
    u->ss = NULL;
    if (wh_meta_oci_upload_remove(req->srv->meta, u->id, &e) != 0)
        return wh_oci_error_err(req, "BLOB_UPLOAD_UNKNOWN", &e);
    wh_log(req->srv, WH_LOG_INFO, "cancelled upload %s of %s", u->id, u->repo);
    struct MHD_Response *r = empty_response(req);
    if (r)
        wh_reply_response(req, MHD_HTTP_NO_CONTENT, r);
}

/* What a request to an open upload does, once it is known to be this
 * repository's: answers at once, or says how to take its body. */
static void upload_request(wh_req *req, up_ctx *u)
{
    const char *m = req->method;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return reply_progress(req, MHD_HTTP_NO_CONTENT, u->repo, u->id, wh_session_size(u->ss));
    if (strcmp(m, "DELETE") == 0) {
        req->on_end = cancel_end;
        return;
    }
    bool put = strcmp(m, "PUT") == 0;
    if (put) {
        const char *digest = wh_req_arg(req, "digest");
        wh_err e;
        if (!digest)
            return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID",
                                "finishing an upload needs ?digest=sha256:<hex> of the blob");
        if (wh_oci_digest_parse(digest, u->sha, &e) != 0)
            return wh_oci_error(req, MHD_HTTP_BAD_REQUEST, "DIGEST_INVALID", "%s", e.msg);
    }
    bool body;
    if (!chunk_ok(req, u, &body) || (body && !wh_upload_slot_take(req, &u->slot)))
        return;
    accept_body(req, put ? finish_end : patch_end);
}

void wh_oci_route_upload(wh_req *req, const char *repo, const char *id)
{
    if (!wh_oci_allow(req, WH_SCOPE_PUSH, repo))
        return;
    up_ctx *u = ctx_new(req, repo);
    if (!u || !open_upload(req, u, id))
        return;
    upload_request(req, u);
    if (req->resp)
        release(u);   /* answered already: see release() */
}
