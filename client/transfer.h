/*
 * transfer.h - many parcel downloads or uploads at once over the one
 * connection pool of a wh_http, for `wharf pull` and `wharf push`.
 *
 * Downloads land in the cache (cache.h) only whole and checked: bytes are
 * hashed as they stream to the cache's partial/<sha256>, and moved into
 * parcels/ when size and digest match.  A transfer that is cut off is
 * resumed with a byte range, in this run (up to 3 retries) or the next.
 *
 * Ownership: the items belong to the caller; these functions fill their
 * out fields only.  h, c and p are borrowed (p may be NULL).
 */
#ifndef WH_CLIENT_TRANSFER_H
#define WH_CLIENT_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "http.h"
#include "progress.h"

/* The most transfers that may run at once, whatever the caller asks. */
#define WH_XFER_PARALLEL_MAX 64

/* How many times one interrupted transfer is tried again. */
#define WH_XFER_RETRIES 3

typedef struct wh_xfer_item {
    char *path;          /* URL path, escaped: "/_i/NAME/VERSION@SHA" (owned by the caller) */
    const char *sha256;  /* expected */
    uint64_t size;       /* expected */
    const char *file;    /* upload: the local file to send */
    /* Extra request headers (borrowed; NULL: none), e.g. the Authorization
     * of another registry than the wh_http's (`wharf mirror`). */
    const struct curl_slist *headers;
    int result;          /* out: 0, or a WH_E* code */
    char msg[256];       /* out: why, when result != 0 */
    long status;         /* out: last HTTP status */
    uint64_t fetched;    /* out: body bytes received over the network for it (0 when from cache) */
} wh_xfer_item;

/*
 * Downloads into the cache, at most `parallel` (1..64) at once over one
 * multi handle: items already cached are skipped; bytes are hashed as they
 * stream to dir/partial/<sha>; a size or digest mismatch is an error that
 * keeps nothing; an interrupted transfer (connection dropped, server died,
 * no byte for 30 s) is retried up to 3 times, resuming from the partial
 * file with a Range request (206 expected; a 200 means start over); a
 * partial left by an earlier run is resumed the same way (its bytes are
 * re-hashed from disk first), and when the result does not match, fetched
 * once more from scratch since the old bytes may be what was wrong.  An
 * item listed twice is fetched once.  Returns 0 when every item succeeded,
 * else WH_EIO with a summary; each item's result says what happened.
 */
int wh_xfer_download(wh_http *h, wh_cache *c, wh_xfer_item *items, size_t n,
                     unsigned parallel, wh_progress *p, wh_err *err);

/*
 * Uploads each item's file with POST, at most `parallel` at once;
 * streaming from the file (never whole in memory); 200 is success,
 * anything else is that item's error with the server's message.  A file
 * whose size is not the item's size is refused before sending.
 * Interrupted uploads are retried from the start, up to 3 times.
 */
int wh_xfer_upload(wh_http *h, wh_xfer_item *items, size_t n, unsigned parallel,
                   wh_progress *p, wh_err *err);

#endif
