/*
 * wasm_check.h - validating and describing a wasm parcel where a malicious
 * module cannot hurt the server: in a worker process of its own.
 *
 * The worker is wharfd itself, started as `wharfd --wasm-worker MAX_BYTES`
 * (fork, then exec of /proc/self/exe: nothing of the server's state or
 * threads survives into it).  It reads the module on stdin, runs
 * wh_wasm_describe (wasm_describe.h, libwabt) and writes the description
 * as JSON on stdout.  Before exec it gets its limits: CPU time, address
 * space (not under AddressSanitizer, whose shadow memory needs terabytes of
 * it), no files written, no core dumps, a lower scheduling priority than
 * request serving; and the server kills it at the wall-time limit.  A
 * worker that crashes or hits a limit costs that one check: the module is
 * then described as invalid, with the limit it hit as the reason.
 *
 * Ownership: *out is a new JSON object, the caller's (json_decref).
 */
#ifndef WH_WASM_CHECK_H
#define WH_WASM_CHECK_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "schema/error.h"

typedef struct wh_wasm_check_limits {
    uint64_t max_bytes;       /* modules over this are refused unread */
    uint64_t cpu_seconds;
    uint64_t memory_bytes;    /* address space of the worker */
    uint64_t wall_seconds;
} wh_wasm_check_limits;

/* Reads up to len bytes at offset; returns how many (0 at the end) or a
 * negative code. */
typedef ssize_t (*wh_wasm_reader)(void *ctx, uint64_t offset, void *buf, size_t len,
                                  wh_err *err);

/*
 * Describes the `size`-byte module that `read` gives, in a worker under
 * `lim`.  0 with *out set (valid or not: look at its "valid"); WH_EIO when
 * the worker could not be started or fed.
 */
int wh_wasm_check(const wh_wasm_check_limits *lim, wh_wasm_reader read, void *ctx,
                  uint64_t size, json_t **out, wh_err *err);

/* The worker's side: `wharfd --wasm-worker MAX_BYTES`.  Returns the exit
 * status. */
int wh_wasm_worker_main(int argc, char **argv);

#endif
