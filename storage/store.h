/*
 * store.h - the parcel store: immutable blobs named by their SHA-256.
 *
 * This is the only way the rest of Wharf reaches parcel bytes.  Today there
 * is one backend, the local filesystem (store_fs.c); an S3 backend will slot
 * in behind the same functions, which is why nothing here hands out paths.
 *
 * Writing is streamed: wh_store_upload_begin, any number of wh_upload_write,
 * then exactly one of wh_upload_commit or wh_upload_abort.  Bytes are hashed
 * as they arrive, never held whole in memory, and become visible only when
 * commit has checked size and digest and made them durable.  Anything that
 * does not reach a successful commit (an abort, a crash, a killed process)
 * leaves nothing behind.  Many uploads of the same parcel may run at once;
 * the first to commit stores it and the others deduplicate onto it.
 *
 * Reading gives a wh_blob: a file descriptor when the backend has one (so the
 * server can sendfile it), plus wh_blob_read for backends that do not.
 *
 * Thread safety: a wh_store may be used from any number of threads at once;
 * a wh_upload and a wh_blob belong to one thread at a time.
 */
#ifndef WH_STORE_H
#define WH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "schema/error.h"

typedef struct wh_store wh_store;
typedef struct wh_upload wh_upload;

typedef struct wh_blob {
    int fd;          /* >= 0: a readable descriptor positioned anywhere; -1: use wh_blob_read */
    uint64_t size;   /* the parcel's size in bytes */
    void *impl;      /* the backend's; do not touch */
} wh_blob;

/*
 * Opens (creating when needed) the filesystem store under `dir`: parcels go to
 * dir/ab/cdef... and uploads in progress to dir/.tmp.  Leftovers of uploads cut
 * off by a crash are removed here.  *out is owned by the caller; close it with
 * wh_store_close after every upload and blob from it is finished.
 */
int wh_store_open_fs(const char *dir, wh_store **out, wh_err *err);

void wh_store_close(wh_store *s);

/*
 * Starts an upload of the parcel `sha256` (64 lowercase hex) whose size must
 * come out as exactly `size` bytes.  *out is owned by the caller until it is
 * passed to wh_upload_commit or wh_upload_abort, which free it.
 */
int wh_store_upload_begin(wh_store *s, const char *sha256, uint64_t size,
                          wh_upload **out, wh_err *err);

/* Appends bytes.  WH_ETOOBIG as soon as they go past the announced size. */
int wh_upload_write(wh_upload *u, const void *buf, size_t len, wh_err *err);

/* The bytes written so far. */
uint64_t wh_upload_received(const wh_upload *u);

/*
 * Checks that the upload is complete: the announced size arrived and the
 * bytes hash to the sha256 (WH_EINVAL naming which and both values).  The
 * verdict is kept, so this may be called before wh_upload_commit, which
 * checks the same.
 */
int wh_upload_verify(wh_upload *u, wh_err *err);

/*
 * Reads bytes of an upload that wh_upload_verify accepted, before it is
 * committed: how a parcel's content is inspected (a wasm module validated)
 * before it is stored.  Returns the bytes read (0 at the end) or a
 * negative code.
 */
ssize_t wh_upload_pread(wh_upload *u, uint64_t offset, void *buf, size_t len,
                        wh_err *err);

/*
 * Finishes the upload: checks the size and the digest (WH_EINVAL naming
 * which and both values), makes the bytes durable and puts the parcel in
 * place.  When the parcel was already stored, this is a successful no-op.
 * Always frees u, also on failure (then nothing is left behind).
 */
int wh_upload_commit(wh_upload *u, wh_err *err);

/* Discards the upload and frees u.  NULL is a no-op. */
void wh_upload_abort(wh_upload *u);

/* 1 when the parcel is stored (its size in *size when size is not NULL),
 * 0 when it is not, or a negative WH_E* code. */
int wh_store_has(wh_store *s, const char *sha256, uint64_t *size, wh_err *err);

/* Opens a stored parcel.  WH_ENOTFOUND when it is not there.  The caller
 * owns *out and releases it with wh_blob_close (which closes fd). */
int wh_store_open_blob(wh_store *s, const char *sha256, wh_blob *out,
                       wh_err *err);

/* Reads up to len bytes at offset; returns the count (0 at the end) or a
 * negative WH_E* code. */
ssize_t wh_blob_read(wh_blob *b, uint64_t offset, void *buf, size_t len,
                     wh_err *err);

void wh_blob_close(wh_blob *b);

/* ---- upload sessions: bytes of a digest not known yet (OCI blob uploads) ----
 *
 * The OCI API uploads a blob in chunks over several requests and names its
 * digest only at the end.  A session is that upload: created empty, appended
 * to in order by any number of requests (never two at once), then finished
 * with the digest the client claims, which is checked before the bytes are
 * put in place as a parcel exactly as wh_upload_commit does.  Sessions
 * survive restarts (their bytes are files under dir/.sessions); the hash
 * state is kept in memory between requests so finishing does not read the
 * bytes again, and rebuilt from the bytes when it was lost.  Nothing of a
 * session is visible as a parcel before it is finished.
 */
typedef struct wh_session wh_session;

#define WH_SESSION_ID_LEN 32   /* lowercase hex characters of a session id */

/* Creates an empty session; its id (random, WH_SESSION_ID_LEN hex) in id. */
int wh_store_session_create(wh_store *s, char id[WH_SESSION_ID_LEN + 1], wh_err *err);

/*
 * Opens a session to append to or finish.  WH_ENOTFOUND when there is none
 * (a malformed id is none), WH_EBUSY when another request has it open.
 * *out is the caller's until wh_session_close, wh_session_finish or
 * wh_session_discard.
 */
int wh_store_session_open(wh_store *s, const char *id, wh_session **out, wh_err *err);

/* The bytes the session holds. */
uint64_t wh_session_size(const wh_session *ss);

/* Appends bytes at the end. */
int wh_session_write(wh_session *ss, const void *buf, size_t len, wh_err *err);

/* Keeps what was written for a later request and frees ss.  Durability of a
 * session's bytes is not promised before wh_session_finish. */
void wh_session_close(wh_session *ss);

/*
 * Checks that the bytes hash to `sha256` (WH_EINVAL with both digests when
 * not; the session is then kept as it was), makes them durable and puts the
 * parcel in place (a no-op onto one already stored), then removes the
 * session.  *size gets the parcel's size.  Always frees ss.
 */
int wh_session_finish(wh_session *ss, const char *sha256, uint64_t *size, wh_err *err);

/* Removes the session and frees ss (a cancelled upload). */
void wh_session_discard(wh_session *ss);

/* Removes sessions nobody wrote to since `cutoff` (unix seconds) and that
 * are not open; returns how many, or a negative code. */
int wh_store_session_expire(wh_store *s, int64_t cutoff, wh_err *err);

/*
 * Removes a stored parcel: the garbage collector's, whose caller has made
 * sure nothing references it and holds off concurrent commits of the same
 * digest.  WH_ENOTFOUND when it is not stored.  A reader that opened the
 * blob before keeps reading it.
 */
int wh_store_remove(wh_store *s, const char *sha256, wh_err *err);

#endif
