/*
 * progress.h - the one-line progress report of a parcel transfer, so that
 * a pull of a few hundred MiB does not look hung:
 *
 *   parcels 3/200  12.5 MiB / 100 MiB  8.1 MiB/s  ETA 11s
 *
 * It is drawn on stderr, only when stderr is a terminal and the caller
 * enabled it (not --quiet), redrawn at most 10 times a second, and
 * cleared by wh_progress_finish so that what follows starts on a clean
 * line.  Every function accepts NULL (what wh_progress_new gives when out
 * of memory), and then does nothing.
 *
 * Ownership: wh_progress_new's result is owned by the caller and freed by
 * wh_progress_finish.
 */
#ifndef WH_CLIENT_PROGRESS_H
#define WH_CLIENT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wh_progress wh_progress;

wh_progress *wh_progress_new(bool enabled, size_t total_items, uint64_t total_bytes);
void wh_progress_bytes(wh_progress *p, uint64_t delta);
void wh_progress_item_done(wh_progress *p);
void wh_progress_finish(wh_progress *p);            /* clears the line, frees */

/* The line as it would be drawn now, into buf (for tests and logs). */
void wh_progress_format(const wh_progress *p, char *buf, size_t cap);

#endif
