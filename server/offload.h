/*
 * offload.h - a few threads for the blocking end of requests.
 *
 * libmicrohttpd serves many connections from each of its threads, so
 * anything slow on one of them stalls every connection it carries.  The end
 * of an upload (fdatasync of the parcel, fsync of its directory, the SQLite
 * commit) and of an invoice create (the commit) can take tens of
 * milliseconds on a real disk; http.c suspends such a connection, runs the
 * work here, and resumes it.
 *
 * Ownership: jobs own nothing of the pool; the pool owns its threads and
 * queue.  Thread-safe.
 */
#ifndef WH_OFFLOAD_H
#define WH_OFFLOAD_H

#include <stdbool.h>

#include "schema/error.h"

typedef struct wh_offload wh_offload;

/* Starts `nthreads` (at least 1) workers. */
int wh_offload_start(unsigned nthreads, wh_offload **out, wh_err *err);

/*
 * Queues fn(arg) for a worker.  Returns false, queuing nothing, once
 * wh_offload_stop has begun or when out of memory: the caller then runs the
 * job itself.
 */
bool wh_offload_submit(wh_offload *o, void (*fn)(void *), void *arg);

/* Refuses new jobs from now on, runs every queued one and joins the
 * workers.  The pool stays allocated, so late submitters are refused
 * safely; free it with wh_offload_free once nothing can submit.  NULL is a
 * no-op, and so is a second stop. */
void wh_offload_stop(wh_offload *o);

/* Stops the pool if it is running, and frees it.  NULL is a no-op. */
void wh_offload_free(wh_offload *o);

#endif
