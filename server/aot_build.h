/*
 * aot_build.h - ahead-of-time precompilation of a wasm module into a native
 * shared object for one target triple.
 *
 * The pipeline is wasm2c (wabt 1.0.32) then the target's C compiler (gcc or
 * a Debian cross gcc), with the wasm2c runtime and a generated glue file
 * that gives the artifact Wharf's own entry API (server/aot_glue.h,
 * docs/aot.md).  Both tools run in child processes at nice 10 under CPU,
 * address-space, file-size and wall-time limits, inside a private temporary
 * directory that is removed afterwards, so a hostile or huge module costs
 * one bounded build and never the server.
 *
 * The caller (the AOT queue in wharfd) keys "never compile the same source
 * twice" on (source sha, target, wh_aot_toolchain_id) and records failures
 * with the log this module returns.
 *
 * Ownership: *log of wh_aot_build is malloc'd and belongs to the caller
 * (free); it is NULL when nothing ran.  Nothing else is handed out.
 */
#ifndef WH_AOT_BUILD_H
#define WH_AOT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "schema/error.h"

typedef struct wh_aot_limits {
    uint64_t max_module_bytes; /* larger modules are declined unread */
    uint64_t cpu_seconds;      /* per tool process (RLIMIT_CPU) */
    uint64_t memory_bytes;     /* per tool process (RLIMIT_AS) */
    uint64_t wall_seconds;     /* the whole build, wasm2c and compiler */
} wh_aot_limits;

/* 32 MiB, 600 s, 4 GiB, 900 s (docs/aot.md says why). */
extern const wh_aot_limits wh_aot_default_limits;

/* The log is cut to this many bytes. */
#define WH_AOT_LOG_MAX (64 * 1024)

/*
 * Whether a target triple is supported by this build: known, and its
 * compiler, its C library headers (for cross targets) and wasm2c with its
 * runtime are installed.  When not, why says what is missing (cut to cap
 * bytes, NUL-terminated when cap > 0).  Known triples: x86_64-linux-gnu,
 * x86_64-linux-gnu+v3, aarch64-linux-gnu, riscv64-linux-gnu.
 */
bool wh_aot_target_supported(const char *triple, char *why, size_t cap);

/*
 * The exact toolchain id for a target: the entry ABI version, the wabt
 * version, the compiler's first --version line and every flag, the
 * optimisation policy included.  The same toolchain gives the same string.
 * WH_EINVAL for an unknown triple, WH_ENOTFOUND when a tool is missing,
 * WH_ETOOBIG when out is too small, WH_EIO when a tool would not answer.
 */
int wh_aot_toolchain_id(const char *triple, char *out, size_t cap, wh_err *err);

/*
 * Builds the artifact of the module at module_path for triple into
 * out_path (written to a temporary file beside it, then renamed).  desc is
 * the module's description from wh_wasm_describe, or NULL to describe it
 * here (in this process: pass one from the validation worker when the
 * module is untrusted).  lim NULL means wh_aot_default_limits.
 *
 * Returns 0; WH_EINVAL for an unknown triple; WH_ENOTFOUND when the
 * target's tools are not installed or the module file is missing;
 * WH_EUNPROC when the module is declined (over max_module_bytes, invalid,
 * uses a feature wasm2c cannot translate, has imports, or wasm2c refused
 * it) with the reason in err; WH_EIO when a build step failed or went over
 * a limit, with the reason in err and the tools' output in *log; WH_ENOMEM.
 */
int wh_aot_build(const char *module_path, const char *triple, const json_t *desc,
                 const wh_aot_limits *lim, const char *out_path, char **log, wh_err *err);

/* Kills the tool the build in this process is running (its whole process
 * group), so that the build fails at once and cleans up after itself.
 * Async-signal-safe: for a SIGTERM handler of the process running
 * wh_aot_build. */
void wh_aot_build_cancel(void);

#endif
