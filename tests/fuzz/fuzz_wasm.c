/*
 * fuzz_wasm.c - feeds arbitrary bytes to wh_wasm_describe
 * (server/wasm_describe.h) under small limits and checks what it promises:
 * it never fails but for memory, always answers an object with every
 * documented key of the documented type, an "error" exactly when invalid,
 * names that serialise as JSON, and a verdict from wh_wasm_aot_possible
 * that agrees with the features.  Running the same bytes twice gives the
 * same description.  A broken invariant aborts with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/wasm_describe.h"

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_wasm: %s:%d: invariant failed: %s\n",        \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const char *const kinds[] = {"func", "table", "memory", "global", "tag"};
static const char *const abis[] = {"wasi_snapshot_preview1", "wasi_unstable",
                                   "emscripten", "wasm-bindgen", "go-js",
                                   "none"};
static const char *const feature_names[] = {
    "mutable_globals", "sign_extension", "saturating_float_to_int",
    "multi_value", "bulk_memory", "reference_types", "simd", "threads",
    "exceptions", "tail_call"};

static int one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return 1;
    return 0;
}
#define ONE_OF(s, set) one_of((s), (set), sizeof(set) / sizeof(set)[0])

static void check_entry(const json_t *e)
{
    REQUIRE(json_is_object(e));
    REQUIRE(json_is_string(json_object_get(e, "name")));
    REQUIRE(json_is_string(json_object_get(e, "type")));
    REQUIRE(ONE_OF(json_string_value(json_object_get(e, "kind")), kinds));
}

static void check(const json_t *d, size_t size)
{
    REQUIRE(json_is_object(d));
    const json_t *valid = json_object_get(d, "valid");
    const char *kind = json_string_value(json_object_get(d, "kind"));
    REQUIRE(json_is_boolean(valid));
    REQUIRE(kind && (strcmp(kind, "module") == 0 ||
                     strcmp(kind, "component") == 0));
    REQUIRE(json_integer_value(json_object_get(d, "size")) == (json_int_t)size);
    REQUIRE(ONE_OF(json_string_value(json_object_get(d, "abi")), abis));
    const json_t *err = json_object_get(d, "error");
    if (json_is_true(valid))
        REQUIRE(err == NULL);
    else
        REQUIRE(json_is_string(err) && json_string_length(err) > 0);

    const json_t *imports = json_object_get(d, "imports");
    const json_t *exports = json_object_get(d, "exports");
    const json_t *memories = json_object_get(d, "memories");
    const json_t *features = json_object_get(d, "features");
    const json_t *producers = json_object_get(d, "producers");
    REQUIRE(json_is_object(imports) && json_is_array(exports) &&
            json_is_array(memories) && json_is_array(features));
    REQUIRE(json_is_null(producers) || json_is_object(producers));

    const char *mod;
    json_t *group, *v;
    size_t i;
    json_object_foreach((json_t *)imports, mod, group)
    {
        REQUIRE(json_is_array(group) && json_array_size(group) > 0);
        json_array_foreach(group, i, v)
            check_entry(v);
    }
    json_array_foreach(exports, i, v)
        check_entry(v);
    json_array_foreach(memories, i, v)
    {
        REQUIRE(json_is_integer(json_object_get(v, "min")));
        const json_int_t min = json_integer_value(json_object_get(v, "min"));
        const json_t *max = json_object_get(v, "max");
        REQUIRE(json_is_null(max) ||
                (json_is_integer(max) && json_integer_value(max) >= min));
        REQUIRE(json_is_boolean(json_object_get(v, "shared")));
        REQUIRE(json_is_boolean(json_object_get(v, "memory64")));
        REQUIRE(json_is_boolean(json_object_get(v, "imported")));
    }
    json_array_foreach(features, i, v)
        REQUIRE(ONE_OF(json_string_value(v), feature_names));

    if (!json_is_true(valid))
        REQUIRE(json_object_size(imports) == 0 &&
                json_array_size(exports) == 0 &&
                json_array_size(memories) == 0);

    char why[128];
    int aot = wh_wasm_aot_possible(d, why, sizeof why);
    REQUIRE(aot ? why[0] == '\0' : why[0] != '\0');
    if (aot)
        REQUIRE(json_is_true(valid) && strcmp(kind, "module") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const wh_wasm_limits lim = {1u << 20, 1000, 1000, 1000};
    json_t *a = NULL, *b = NULL;
    wh_err err = {0};
    int rc = wh_wasm_describe(data, size, &lim, &a, &err);
    if (rc == WH_ENOMEM)
        return 0;
    REQUIRE(rc == 0 && a != NULL);
    check(a, size);

    char *text = json_dumps(a, JSON_COMPACT);
    REQUIRE(text != NULL);

    rc = wh_wasm_describe(data, size, &lim, &b, &err);
    if (rc == 0) {
        char *again = json_dumps(b, JSON_COMPACT);
        REQUIRE(again != NULL && strcmp(text, again) == 0);
        free(again);
        json_decref(b);
    }
    free(text);
    json_decref(a);
    return 0;
}
