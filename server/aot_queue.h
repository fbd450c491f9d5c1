/*
 * aot_queue.h - ahead-of-time builds of wasm modules, queued in the
 * database and run by a few builder threads of wharfd.
 *
 * For each valid core module and each --aot-targets triple, a row goes into
 * aot_builds (meta.h), keyed by (source sha, target, exact toolchain id), so
 * the same source is never compiled twice on one toolchain; a module that
 * wasm2c cannot translate is recorded as declined with the reason instead.
 * Builders claim rows one at a time; each build runs as its own process
 * group (`wharfd --aot-worker ...`, which calls aot_build.h under the
 * configured limits, at a lower priority than serving), so that a stop can
 * kill it whole; the build it cut off is queued again at the next start.
 * A finished artifact is stored as a parcel of its own, and the host signs
 * an attestation over (source sha, target, toolchain, artifact sha), see
 * docs/aot.md.
 *
 * Ownership: the queue owns its threads and strings; wh_aot_queue_stop
 * joins and frees.  Thread-safe.
 */
#ifndef WH_AOT_QUEUE_H
#define WH_AOT_QUEUE_H

#include <jansson.h>

#include "schema/error.h"

struct wh_server;
typedef struct wh_aot_queue wh_aot_queue;

/* Reads cfg.aot_targets (none: *out NULL and no threads), checks each
 * target's compiler, queues again what a stop cut off, starts builders. */
int wh_aot_queue_start(struct wh_server *srv, wh_aot_queue **out, wh_err *err);

/* Kills builds in progress, joins the builders, frees.  NULL is a no-op. */
void wh_aot_queue_stop(wh_aot_queue *q);

/* Queues the builds of a stored, valid module for every target (or
 * records why there will be none), and wakes a builder. */
int wh_aot_queue_module(wh_aot_queue *q, const char *sha256, const json_t *desc,
                        wh_err *err);

/* The toolchain id this server builds `target` with; NULL when the target
 * is not configured (or q is NULL). */
const char *wh_aot_queue_toolchain(const wh_aot_queue *q, const char *target);

/* The configured targets, comma-separated, for messages ("" when none). */
const char *wh_aot_queue_targets(const wh_aot_queue *q);

/* `wharfd --aot-worker MODULE TARGET OUT LOG MAX_BYTES CPU MEMORY WALL`:
 * one build; exit 0 built, 3 declined, 1 failed (LOG says why). */
int wh_aot_worker_main(int argc, char **argv);

#endif
