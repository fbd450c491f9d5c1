/*
 * cache.h - the client's content-addressed parcel cache, so that a parcel
 * is downloaded once however many bindles, pulls or pushes use it.
 *
 * Layout under the cache directory (by default $XDG_CACHE_HOME/wharf, else
 * ~/.cache/wharf): parcels/ab/<sha256> holds a parcel whose digest was
 * checked when it went in, partial/<sha256> a download in progress (kept
 * across runs so that it can be resumed).  A parcel appears in parcels/
 * only by a rename, whole and checked, so a reader never sees half of one.
 *
 * Exported parcels are copies (shared blocks where the filesystem can
 * reflink), never hard links: a user who edits a pulled file must not edit
 * the cached parcel, which later pulls trust by its size.
 *
 * Ownership: *out of wh_cache_open is owned by the caller
 * (wh_cache_close).  Paths are written into the caller's buffers.
 */
#ifndef WH_CLIENT_CACHE_H
#define WH_CLIENT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/error.h"

/* Enough for any cache path of a directory up to PATH_MAX. */
#define WH_CACHE_PATH_MAX 4200

typedef struct wh_cache wh_cache;

/* dir NULL: $XDG_CACHE_HOME/wharf (an absolute XDG_CACHE_HOME only, as
 * XDG says), default ~/.cache/wharf.  Creates what is missing, mode 0700. */
int  wh_cache_open(const char *dir, wh_cache **out, wh_err *err);
void wh_cache_close(wh_cache *c);

/* Present with that size.  false also for a malformed sha256. */
bool wh_cache_has(wh_cache *c, const char *sha256, uint64_t size);

/* Where the parcel sha256 is (or would be) cached.  WH_EINVAL for a sha256
 * that is not 64 lowercase hex digits, WH_ETOOBIG when cap is too small. */
int  wh_cache_path(wh_cache *c, const char *sha256, char *buf, size_t cap, wh_err *err);

/* Puts a copy of the cached parcel at dest (via a temp file + rename),
 * creating nothing else; mode 0644.
 * An existing dest is replaced atomically.  WH_ENOTFOUND when the parcel is
 * not cached. */
int  wh_cache_export(wh_cache *c, const char *sha256, const char *dest, wh_err *err);

/* Adds a local file to the cache after checking its sha256 (used by push
 * so a pushed release pulls from cache).  WH_EINVAL on a digest mismatch,
 * and then nothing is added. */
int  wh_cache_add_file(wh_cache *c, const char *path, const char *sha256, wh_err *err);

/* ---- for transfer.c ---- */

/* Where the download of sha256 in progress is kept. */
int  wh_cache_partial_path(wh_cache *c, const char *sha256, char *buf, size_t cap,
                           wh_err *err);

/* Moves the checked file `from` (open as fd) into the cache as sha256:
 * mode 0644, flushed to disk, then renamed into place. */
int  wh_cache_commit(wh_cache *c, const char *sha256, int fd, const char *from,
                     wh_err *err);

/*
 * The same in two steps, for many parcels at once: wh_cache_stage sets the
 * mode of a checked file and starts writing it back; once every file of a
 * batch is staged, wh_cache_flush makes them all durable with one syncfs of
 * the cache's filesystem (an fsync per parcel waits for a journal commit
 * each, which was most of a 200-parcel pull), and wh_cache_place renames
 * each into the cache.  A parcel is never visible before the flush returned.
 */
int  wh_cache_stage(int fd, const char *from, wh_err *err);
int  wh_cache_flush(wh_cache *c, wh_err *err);
int  wh_cache_place(wh_cache *c, const char *sha256, const char *from, wh_err *err);

/* 64 lowercase hex digits. */
bool wh_cache_sha_ok(const char *sha256);

#endif
