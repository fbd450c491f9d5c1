/*
 * aot_glue.h - Wharf's entry API: what every AOT artifact (a shared object
 * built by wh_aot_build from a wasm module) exports, for the host program
 * that loads it.
 *
 * The API is plain C with fixed-width integers and no wasm2c type in it, so
 * that a host compiled against this header alone can dlopen an artifact of
 * any wabt version Wharf used, and so that the ABI version below is the one
 * thing a host has to check.  docs/aot.md describes the calling rules.
 *
 * wh_aot_build also takes the trap and error numbers from here when it
 * writes an artifact's glue, so the numbers a host sees are these.
 *
 * Ownership: the strings that wharf_export_name and wharf_export_signature
 * return belong to the artifact and live as long as it stays loaded.  The
 * instance memory belongs to the caller, who allocates
 * wharf_instance_size() bytes, aligned for any type (malloc does), and
 * releases what the module allocated inside it with wharf_free.
 */
#ifndef WH_AOT_GLUE_H
#define WH_AOT_GLUE_H

#include <stddef.h>
#include <stdint.h>

/* wharf_abi_version() of artifacts that follow this header. */
#define WHARF_ABI_VERSION 1

/* Positive results of wharf_instantiate and wharf_call: the module trapped. */
#define WHARF_TRAP_UNREACHABLE 1   /* an unreachable instruction ran */
#define WHARF_TRAP_OUT_OF_BOUNDS 2 /* linear memory or table access out of range */
#define WHARF_TRAP_INT_OVERFLOW 3  /* integer overflow on divide or truncation */
#define WHARF_TRAP_DIV_BY_ZERO 4   /* integer divide or remainder by zero */
#define WHARF_TRAP_INVALID_CONVERSION 5 /* float to integer of a NaN */
#define WHARF_TRAP_CALL_INDIRECT 6 /* null table slot or signature mismatch */
#define WHARF_TRAP_UNCAUGHT_EXCEPTION 7 /* a wasm exception left the module */
#define WHARF_TRAP_STACK_EXHAUSTED 8 /* the wasm call depth limit was reached */
#define WHARF_TRAP_OTHER 9         /* a trap the runtime has no name for */

/* Negative results: the call was refused before any wasm code ran. */
#define WHARF_ERR_NO_EXPORT (-1)   /* no callable export of that name */
#define WHARF_ERR_ARITY (-2)       /* nargs or nresults differ from the signature */
#define WHARF_ERR_IMPORTS (-3)     /* imports given, but ABI 1 supports none */
#define WHARF_ERR_NOT_INIT (-4)    /* wharf_init was not called first */

/*
 * What a host would hand to a module with imports.  ABI version 1 builds
 * only modules without imports, so wharf_instantiate accepts NULL or an
 * empty list; the type is here so that the signature does not change when
 * a later version resolves function imports by module and name.
 */
typedef struct wharf_import {
    const char *module;
    const char *name;
    /* Same packing as wharf_call; returns 0 or a WHARF_TRAP_* code. */
    int (*fn)(void *ctx, const uint64_t *args, size_t nargs, uint64_t *results,
              size_t nresults);
    void *ctx;
} wharf_import;

typedef struct wharf_imports {
    const wharf_import *items;
    size_t count;
} wharf_imports;

/*
 * The entry points, as function pointer types for dlsym:
 *
 *   uint32_t wharf_abi_version(void)     WHARF_ABI_VERSION
 *   size_t   wharf_instance_size(void)   bytes of one instance
 *   int      wharf_init(void)            once per process before anything
 *                                        else; 0
 *   void     wharf_fini(void)            frees what wharf_init set up
 *   int      wharf_instantiate(inst, imports)  0, WHARF_ERR_*, or a trap
 *                                        of the start function or of data
 *                                        and element initialisation (the
 *                                        instance is then already freed)
 *   void     wharf_free(inst)            after a successful instantiate
 *   int      wharf_call(inst, name, args, nargs, results, nresults)
 *                                        0, WHARF_TRAP_* or WHARF_ERR_*
 *   size_t   wharf_export_count(void)    callable exports, in byte order
 *   const char *wharf_export_name(i), wharf_export_signature(i)  NULL past
 *                                        the end
 *
 * Arguments and results are packed one value per uint64_t: an i32 in the
 * low 32 bits, an i64 as it is, an f32 or f64 as its IEEE bit pattern (f32
 * in the low 32 bits).  A signature is written as in the text format,
 * "(param i32 i64) (result f64)", the empty string for none.  Only exports
 * whose parameters and results are all i32, i64, f32 or f64 are callable.
 *
 * The wasm2c runtime keeps its trap state in globals: one thread at a time
 * may be inside an artifact (serialise calls per loaded artifact), and a
 * call needs about 8 MiB of native stack for the 10 000 nested wasm calls
 * allowed before WHARF_TRAP_STACK_EXHAUSTED.
 */
typedef uint32_t (*wharf_abi_version_fn)(void);
typedef size_t (*wharf_instance_size_fn)(void);
typedef int (*wharf_init_fn)(void);
typedef void (*wharf_fini_fn)(void);
typedef int (*wharf_instantiate_fn)(void *instance, const wharf_imports *imports);
typedef void (*wharf_free_fn)(void *instance);
typedef int (*wharf_call_fn)(void *instance, const char *name, const uint64_t *args,
                             size_t nargs, uint64_t *results, size_t nresults);
typedef size_t (*wharf_export_count_fn)(void);
typedef const char *(*wharf_export_name_fn)(size_t i);
typedef const char *(*wharf_export_signature_fn)(size_t i);

#endif
