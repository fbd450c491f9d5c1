/*
 * wasm_describe.h - reads, validates and describes a WebAssembly parcel.
 *
 * wharfd refuses a broken wasm parcel before storing it and serves what it
 * learnt of a good one at /v1/_m.  Both come from one call,
 * wh_wasm_describe(), which runs libwabt 1.0.32 over the bytes (the only
 * C++ in the server lives behind it, in wasm_describe.cpp; no exception
 * ever crosses into C).  It is meant to run inside a worker process with
 * rlimits: the bytes are hostile, and although every count is bounded here,
 * the cost of a pathological module inside wabt is only bounded by the
 * worker's limits.
 *
 * What is accepted: core modules (version 1) using the MVP and the
 * proposals that shipped: mutable globals, sign extension, saturating
 * float-to-int, multi-value, bulk memory, reference types, SIMD, threads
 * and atomics, legacy exception handling, tail calls.  Errors inside custom
 * sections (a name section naming functions that do not exist, a producers
 * section cut short) never make a module invalid.  A component (magic then
 * a layer field of 1, as the component-model binary format writes it) is
 * accepted as kind "component" when its top-level sections are well framed;
 * wabt cannot read components, so their imports and exports stay empty.
 *
 * Ownership: *out of wh_wasm_describe is a new json_t reference owned by the
 * caller (json_decref).  Nothing else is handed out.
 */
#ifndef WH_WASM_DESCRIBE_H
#define WH_WASM_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Inside the block: error.h is plain C without its own linkage guard. */
#include "schema/error.h"

/* Sizes and counts past which a parcel is refused without being parsed. */
typedef struct wh_wasm_limits {
    size_t max_bytes;     /* the whole parcel */
    size_t max_functions; /* defined functions (function and code sections) */
    size_t max_imports;
    size_t max_exports;
} wh_wasm_limits;

/*
 * Blocks, loops, ifs and trys may nest this deep in a function body, and
 * no deeper: LLVM turns a switch into one block per case, so real code
 * reaches a few thousand, while wabt frees nested blocks recursively.  At
 * this depth that takes under 2 MiB of stack (sanitizers included); give
 * the calling thread at least 4 MiB.
 */
#define WH_WASM_MAX_NESTING 50000

/* 256 MiB, 1 000 000 functions, 100 000 imports, 100 000 exports. */
extern const wh_wasm_limits wh_wasm_default_limits;

/* True when buf starts with the wasm magic "\0asm". */
bool wh_wasm_is_wasm(const void *buf, size_t len);

/*
 * Reads, validates and describes a module or component.  lim may be NULL
 * for wh_wasm_default_limits.  A module that is broken or over a limit is
 * not an error of this call: it returns 0 with "valid": false.  The only
 * failure is WH_ENOMEM (*out is then NULL).  *out always holds every key:
 *
 *   "valid"     true | false
 *   "error"     only when invalid: where and what, e.g. "code section,
 *               function 3, offset 0x2f: type mismatch in i32.add, ..."
 *   "kind"      "module" | "component"
 *   "size"      bytes
 *   "imports"   {"MODULE": [{"name", "kind", "type"}, ...], ...}: grouped by
 *               module name, modules and entries in first-seen order
 *   "exports"   [{"name", "kind", "type"}, ...] in section order
 *   "memories"  [{"min", "max" (null when none), "shared", "memory64",
 *               "imported"}, ...] in index order, in 64 KiB pages
 *   "features"  the proposals the module uses (see above), by these names:
 *               mutable_globals, sign_extension, saturating_float_to_int,
 *               multi_value, bulk_memory, reference_types, simd, threads,
 *               exceptions, tail_call
 *   "producers" {"FIELD": [{"name", "version"}, ...], ...} from the
 *               producers custom section ("language", "processed-by",
 *               "sdk"), or null when there is none or it is malformed
 *   "abi"       "wasi_snapshot_preview1" | "wasi_unstable" | "emscripten" |
 *               "wasm-bindgen" | "go-js" | "none", from the imports
 *
 * "kind" is one of func, table, memory, global, tag.  "type" is written as
 * in the text format: a function or tag "(param i32 i32) (result i32)"
 * (the empty string for no params and no results), a table "1 10 funcref",
 * a memory "1 2 shared" (limits, then "i64" or "shared" when so), a global
 * "(mut i32)" or "i32".  Names are stored as they are (any UTF-8).
 * Invalid modules carry empty imports, exports, memories and features.
 */
int wh_wasm_describe(const void *buf, size_t len, const wh_wasm_limits *lim,
                     json_t **out, wh_err *err);

/*
 * Whether Debian's wasm2c 1.0.32 can translate a module with that
 * description (an object from wh_wasm_describe).  It handles the MVP plus
 * mutable globals, sign extension, saturating conversions, multi-value,
 * bulk memory, reference types and legacy exceptions, and nothing else: a
 * module using SIMD, threads, tail calls or a 64-bit memory, a component, an
 * invalid module or a malformed description give false, with the reason
 * in why (cut to cap bytes, always NUL-terminated when cap > 0).
 */
bool wh_wasm_aot_possible(const json_t *desc, char *why, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
