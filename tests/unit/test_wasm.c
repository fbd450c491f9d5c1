/*
 * test_wasm.c - server/wasm_describe.h: validation and description of wasm
 * parcels.
 *
 * Modules come from the .wat files in tests/wasm, built at run time with
 * Debian's wat2wasm into a temporary directory (the test fails, saying so,
 * when wat2wasm is missing), and, for what wat2wasm would refuse to write,
 * from bytes assembled here.  Run from the repository root, as tests/run.sh
 * does.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "server/wasm_describe.h"
#include "tests/unit/unit.h"

static char tmpdir[] = "/tmp/wharf-test-wasm-XXXXXX";
static bool have_tmpdir;

/* ---- bytes ---- */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "test_wasm: out of memory\n");
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_u8(bytes *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put_leb(bytes *b, uint32_t v)
{
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void put_name(bytes *b, const char *s, size_t n)
{
    put_leb(b, (uint32_t)n);
    put(b, s, n);
}

static void put_section(bytes *b, unsigned id, const bytes *payload)
{
    put_u8(b, id);
    put_leb(b, (uint32_t)payload->n);
    put(b, payload->p, payload->n);
}

/* A module of one function of type [] -> [] with that body (locals
 * included) and, when export_name is not NULL, an export of it. */
static bytes module_with_body(const bytes *body, const char *export_name,
                              size_t export_len)
{
    bytes m = {0}, s = {0};
    put(&m, "\0asm\1\0\0\0", 8);
    put(&s, "\x01\x60\x00\x00", 4);
    put_section(&m, 1, &s);
    s.n = 0;
    put(&s, "\x01\x00", 2);
    put_section(&m, 3, &s);
    if (export_name) {
        s.n = 0;
        put_leb(&s, 1);
        put_name(&s, export_name, export_len);
        put(&s, "\x00\x00", 2);
        put_section(&m, 7, &s);
    }
    s.n = 0;
    put_leb(&s, 1);
    put_leb(&s, (uint32_t)body->n);
    put(&s, body->p, body->n);
    put_section(&m, 10, &s);
    free(s.p);
    return m;
}

/* ---- modules from tests/wasm ---- */

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    bytes b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(&b, chunk, n);
    fclose(f);
    *len = b.n;
    return b.p ? b.p : calloc(1, 1);
}

/* Builds tests/wasm/NAME.wat with wat2wasm and these flags; NULL (and a
 * message) when it cannot. */
static unsigned char *wat(const char *name, const char *flags, size_t *len)
{
    char cmd[1024], out[256];
    *len = 0;
    if (!have_tmpdir) {
        fprintf(stderr, "  test_wasm: no temporary directory for %s\n", name);
        return NULL;
    }
    snprintf(out, sizeof out, "%s/%s.wasm", tmpdir, name);
    snprintf(cmd, sizeof cmd,
             "wat2wasm %s tests/wasm/%s.wat -o %s 2>%s/%s.log", flags, name,
             out, tmpdir, name);
    if (system(cmd) != 0) {
        fprintf(stderr,
                "  test_wasm: \"%s\" failed (is Debian's wabt installed, and "
                "does the test run from the repository root?)\n",
                cmd);
        return NULL;
    }
    unsigned char *p = slurp(out, len);
    if (!p)
        fprintf(stderr, "  test_wasm: cannot read %s\n", out);
    return p;
}

static const char *const all_flags =
    "--enable-threads --enable-tail-call --enable-exceptions";

static json_t *describe(const void *buf, size_t len, const wh_wasm_limits *lim)
{
    json_t *d = NULL;
    wh_err err = {0};
    int rc = wh_wasm_describe(buf, len, lim, &d, &err);
    CHECK_INT(rc, 0);
    CHECK(json_is_object(d));
    return d;
}

static json_t *describe_wat(const char *name, const char *flags)
{
    size_t len;
    unsigned char *p = wat(name, flags, &len);
    CHECK(p != NULL);
    if (!p)
        return json_object();
    json_t *d = describe(p, len, NULL);
    free(p);
    return d;
}

static bool is_valid(const json_t *d)
{
    return json_is_true(json_object_get(d, "valid"));
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_int_t num(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* The features, comma-joined in the order given, for one exact check. */
static const char *features(const json_t *d, char *buf, size_t cap)
{
    size_t i, used = 0;
    json_t *f;
    buf[0] = '\0';
    json_array_foreach(json_object_get(d, "features"), i, f)
    {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? "," : "",
                         json_string_value(f));
        if (n < 0 || (size_t)n >= cap - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* ---- tests ---- */

static void test_wat2wasm_present(void)
{
    int rc = system("wat2wasm --version >/dev/null 2>&1");
    if (rc != 0)
        fprintf(stderr, "  test_wasm: wat2wasm is not installed; it comes "
                        "with Debian's wabt package (make deps-test)\n");
    CHECK_INT(rc, 0);
    CHECK(have_tmpdir);
}

static void test_is_wasm(void)
{
    CHECK(wh_wasm_is_wasm("\0asm\1\0\0\0", 8));
    CHECK(wh_wasm_is_wasm("\0asm", 4));
    CHECK(!wh_wasm_is_wasm("\0as", 3));
    CHECK(!wh_wasm_is_wasm("\0asn\1\0\0\0", 8));
    CHECK(!wh_wasm_is_wasm("", 0));
    CHECK(!wh_wasm_is_wasm(NULL, 8));
}

/* Each module uses exactly one proposal and must be described with exactly
 * that one: no more (false positives would refuse AOT for nothing), no
 * less. */
static void test_features_detected(void)
{
    static const struct {
        const char *wat, *features;
    } cases[] = {
        {"mvp", ""},
        {"mutable_globals", "mutable_globals"},
        {"sign_extension", "sign_extension"},
        {"saturating_float_to_int", "saturating_float_to_int"},
        {"multi_value", "multi_value"},
        {"multi_value_block", "multi_value"},
        {"bulk_memory", "bulk_memory"},
        {"reference_types", "reference_types"},
        {"simd", "simd"},
        {"threads", "threads"},
        {"exceptions", "exceptions"},
        {"tail_call", "tail_call"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[256];
        json_t *d = describe_wat(cases[i].wat, all_flags);
        if (!is_valid(d))
            fprintf(stderr, "  %s: %s\n", cases[i].wat, str(d, "error"));
        CHECK(is_valid(d));
        CHECK_STR(str(d, "kind"), "module");
        CHECK(json_object_get(d, "error") == NULL);
        CHECK_STR(features(d, buf, sizeof buf), cases[i].features);
        json_decref(d);
    }
}

static void test_imports_grouped_with_types(void)
{
    json_t *d = describe_wat("mvp", "");
    CHECK(is_valid(d));
    json_t *imports = json_object_get(d, "imports");
    CHECK_INT(json_object_size(imports), 2);
    /* Modules keep the order they first appear in. */
    void *it = json_object_iter(imports);
    CHECK_STR(json_object_iter_key(it), "host");
    CHECK_STR(json_object_iter_key(json_object_iter_next(imports, it)), "env");

    json_t *host = json_object_get(imports, "host");
    CHECK_INT(json_array_size(host), 3);
    CHECK_STR(str(json_array_get(host, 0), "name"), "log");
    CHECK_STR(str(json_array_get(host, 0), "kind"), "func");
    CHECK_STR(str(json_array_get(host, 0), "type"), "(param i32 i32)");
    CHECK_STR(str(json_array_get(host, 1), "name"), "now");
    CHECK_STR(str(json_array_get(host, 1), "type"), "(result i64)");
    CHECK_STR(str(json_array_get(host, 2), "name"), "scale");
    CHECK_STR(str(json_array_get(host, 2), "type"),
              "(param f32 f64) (result f64)");
    json_t *env = json_object_get(imports, "env");
    CHECK_INT(json_array_size(env), 1);
    CHECK_STR(str(json_array_get(env, 0), "name"), "limit");
    CHECK_STR(str(json_array_get(env, 0), "kind"), "global");
    CHECK_STR(str(json_array_get(env, 0), "type"), "i32");
    json_decref(d);

    d = describe_wat("mutable_globals", "");
    CHECK_STR(str(json_array_get(json_object_get(json_object_get(d, "imports"),
                                                 "env"), 0), "type"),
              "(mut i32)");
    json_decref(d);
}

static void test_exports_of_each_kind(void)
{
    json_t *d = describe_wat("mvp", "");
    json_t *exports = json_object_get(d, "exports");
    static const char *const want[][3] = {
        {"memory", "memory", "1 4"},
        {"table", "table", "2 8 funcref"},
        {"answer", "global", "i32"},
        {"add", "func", "(param i32 i32) (result i32)"},
        {"tick", "func", ""},
    };
    CHECK_INT(json_array_size(exports), 5);
    for (size_t i = 0; i < 5 && i < json_array_size(exports); i++) {
        json_t *e = json_array_get(exports, i);
        CHECK_STR(str(e, "name"), want[i][0]);
        CHECK_STR(str(e, "kind"), want[i][1]);
        CHECK_STR(str(e, "type"), want[i][2]);
    }
    json_decref(d);

    d = describe_wat("exceptions", all_flags);
    CHECK_STR(str(json_array_get(json_object_get(d, "exports"), 0), "type"),
              "(param i32) (result i32)");
    json_decref(d);
}

static void test_odd_utf8_names(void)
{
    json_t *d = describe_wat("names", "");
    CHECK(is_valid(d));
    json_t *exports = json_object_get(d, "exports");
    CHECK_INT(json_array_size(exports), 4);
    CHECK_STR(str(json_array_get(exports, 0), "name"), "hello world");
    CHECK_STR(str(json_array_get(exports, 1), "name"),
              "gr\xc3\xb6\xc3\x9f" "e/\xc3\xbc" "berall:\xc3\x9f");
    CHECK_STR(str(json_array_get(exports, 2), "name"),
              "\xf0\x9f\x9a\xa2 ship it!");
    CHECK_STR(str(json_array_get(exports, 3), "name"), "");
    json_t *host = json_object_get(json_object_get(d, "imports"), "my host");
    CHECK_STR(str(json_array_get(host, 0), "name"), "say \"hi\", then go");
    /* What goes into a /_m answer must serialise. */
    char *text = json_dumps(d, 0);
    CHECK(text != NULL);
    free(text);
    json_decref(d);

    /* wasm names must be UTF-8; a module whose export name is not is
     * invalid, and the description still serialises. */
    bytes body = {0};
    put(&body, "\x00\x0b", 2);
    bytes m = module_with_body(&body, "bad\xff\xfe", 5);
    d = describe(m.p, m.n, NULL);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "export section");
    CHECK_CONTAINS(str(d, "error"), "utf-8");
    text = json_dumps(d, 0);
    CHECK(text != NULL);
    free(text);
    json_decref(d);
    free(m.p);

    /* A NUL inside a name is valid UTF-8 and kept. */
    m = module_with_body(&body, "a\0b", 3);
    d = describe(m.p, m.n, NULL);
    CHECK(is_valid(d));
    json_t *exports0 = json_array_get(json_object_get(d, "exports"), 0);
    json_t *name = json_object_get(exports0, "name");
    CHECK_INT(json_string_length(name), 3);
    CHECK(memcmp(json_string_value(name), "a\0b", 3) == 0);
    json_decref(d);
    free(m.p);
    free(body.p);
}

static void test_memories(void)
{
    json_t *d = describe_wat("mvp", "");
    json_t *mem = json_array_get(json_object_get(d, "memories"), 0);
    CHECK_INT(json_array_size(json_object_get(d, "memories")), 1);
    CHECK_INT(num(mem, "min"), 1);
    CHECK_INT(num(mem, "max"), 4);
    CHECK(json_is_false(json_object_get(mem, "shared")));
    CHECK(json_is_false(json_object_get(mem, "memory64")));
    CHECK(json_is_false(json_object_get(mem, "imported")));
    json_decref(d);

    d = describe_wat("threads", all_flags);
    mem = json_array_get(json_object_get(d, "memories"), 0);
    CHECK_INT(num(mem, "min"), 1);
    CHECK_INT(num(mem, "max"), 16);
    CHECK(json_is_true(json_object_get(mem, "shared")));
    CHECK_STR(str(json_array_get(json_object_get(d, "exports"), 0), "type"),
              "1 16 shared");
    json_decref(d);

    d = describe_wat("memory_limits", "");
    mem = json_array_get(json_object_get(d, "memories"), 0);
    CHECK_INT(num(mem, "min"), 2);
    CHECK_INT(num(mem, "max"), 65536);
    CHECK(json_is_true(json_object_get(mem, "imported")));
    CHECK_STR(str(json_array_get(json_object_get(json_object_get(d, "imports"),
                                                 "env"), 0), "kind"),
              "memory");
    json_decref(d);

    d = describe_wat("abi_wasi", "");
    mem = json_array_get(json_object_get(d, "memories"), 0);
    CHECK_INT(num(mem, "min"), 1);
    CHECK(json_is_null(json_object_get(mem, "max")));
    json_decref(d);
}

/* The producers section as LLVM writes it: field, then (name, version). */
static void put_producers(bytes *m, bool cut_short)
{
    bytes p = {0};
    put_name(&p, "producers", 9);
    put_leb(&p, 3);
    put_name(&p, "language", 8);
    put_leb(&p, 1);
    put_name(&p, "C11", 3);
    put_name(&p, "", 0);
    put_name(&p, "processed-by", 12);
    put_leb(&p, 2);
    put_name(&p, "clang", 5);
    put_name(&p, "17.0.6", 6);
    put_name(&p, "wasm-ld", 7);
    put_name(&p, "", 0);
    put_name(&p, "sdk", 3);
    put_leb(&p, 1);
    put_name(&p, "wasi-sdk", 8);
    put_name(&p, "21.0", 4);
    if (cut_short)
        p.n -= 3;
    put_section(m, 0, &p);
    free(p.p);
}

static void test_producers(void)
{
    size_t len;
    unsigned char *p = wat("mvp", "", &len);
    CHECK(p != NULL);
    if (!p)
        return;
    json_t *d = describe(p, len, NULL);
    CHECK(json_is_null(json_object_get(d, "producers")));
    json_decref(d);

    bytes m = {0};
    put(&m, p, len);
    put_producers(&m, false);
    d = describe(m.p, m.n, NULL);
    CHECK(is_valid(d));
    json_t *prod = json_object_get(d, "producers");
    CHECK(json_is_object(prod));
    json_t *lang = json_object_get(prod, "language");
    CHECK_INT(json_array_size(lang), 1);
    CHECK_STR(str(json_array_get(lang, 0), "name"), "C11");
    CHECK_STR(str(json_array_get(lang, 0), "version"), "");
    json_t *by = json_object_get(prod, "processed-by");
    CHECK_INT(json_array_size(by), 2);
    CHECK_STR(str(json_array_get(by, 0), "name"), "clang");
    CHECK_STR(str(json_array_get(by, 0), "version"), "17.0.6");
    CHECK_STR(str(json_array_get(by, 1), "name"), "wasm-ld");
    json_t *sdk = json_object_get(prod, "sdk");
    CHECK_STR(str(json_array_get(sdk, 0), "name"), "wasi-sdk");
    CHECK_STR(str(json_array_get(sdk, 0), "version"), "21.0");
    json_decref(d);

    /* A producers section cut short is a custom-section error: no
     * producers, and the module stays valid. */
    m.n = len;
    put_producers(&m, true);
    d = describe(m.p, m.n, NULL);
    CHECK(is_valid(d));
    CHECK(json_is_null(json_object_get(d, "producers")));
    json_decref(d);
    free(m.p);
    free(p);
}

static void test_abi_from_imports(void)
{
    static const char *const cases[][2] = {
        {"abi_wasi", "wasi_snapshot_preview1"},
        {"abi_wasi_unstable", "wasi_unstable"},
        {"abi_emscripten", "emscripten"},
        {"abi_wasm_bindgen", "wasm-bindgen"},
        {"abi_go", "go-js"},
        {"abi_go_old", "go-js"},
        {"mvp", "none"},
        {"simd", "none"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *d = describe_wat(cases[i][0], "");
        CHECK(is_valid(d));
        CHECK_STR(str(d, "abi"), cases[i][1]);
        json_decref(d);
    }
}

static void test_invalid_modules(void)
{
    json_t *d = describe("\0asn\1\0\0\0", 8, NULL);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "magic");
    CHECK_STR(str(d, "kind"), "module");
    CHECK_INT(num(d, "size"), 8);
    CHECK_INT(json_array_size(json_object_get(d, "exports")), 0);
    json_decref(d);

    d = describe("", 0, NULL);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "magic");
    json_decref(d);

    d = describe("\0asm\1\0", 6, NULL);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "version");
    json_decref(d);

    d = describe("\0asm\2\0\0\0", 8, NULL);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "version");
    json_decref(d);

    /* The last section, code, loses its last bytes. */
    size_t len;
    unsigned char *p = wat("mvp", "", &len);
    CHECK(p != NULL);
    if (p) {
        d = describe(p, len - 3, NULL);
        CHECK(!is_valid(d));
        CHECK_CONTAINS(str(d, "error"), "code section, offset 0x");
        CHECK_CONTAINS(str(d, "error"), "extends past end");
        CHECK_INT(num(d, "size"), len - 3);
        json_decref(d);
        free(p);
    }

    /* i32.add on an i64: the code section, in function 0. */
    p = wat("type_mismatch", "--no-check", &len);
    CHECK(p != NULL);
    if (p) {
        d = describe(p, len, NULL);
        CHECK(!is_valid(d));
        CHECK_CONTAINS(str(d, "error"), "code section, function 0, offset 0x");
        CHECK_CONTAINS(str(d, "error"), "type mismatch in i32.add");
        CHECK_INT(json_array_size(json_object_get(d, "features")), 0);
        json_decref(d);
        free(p);
    }

    /* An atomic.fence written by hand: threads need no flag here, wabt's
     * reader has them on; and a body that leaves a value behind fails. */
    bytes body = {0};
    put(&body, "\x00\xfe\x03\x00\x0b", 5);
    bytes m = module_with_body(&body, NULL, 0);
    char buf[64];
    d = describe(m.p, m.n, NULL);
    CHECK(is_valid(d));
    CHECK_STR(features(d, buf, sizeof buf), "threads");
    json_decref(d);
    free(m.p);
    body.n = 0;
    put(&body, "\x00\x41\x07\x0b", 4);
    m = module_with_body(&body, NULL, 0);
    d = describe(m.p, m.n, NULL);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "code section, function 0, offset 0x");
    json_decref(d);
    free(m.p);
    free(body.p);
}

/* A name section naming functions 5 and 9 of a one-function module: wabt
 * refuses it by default (wasm-validate does); here it must not count. */
static void test_bad_name_section_still_valid(void)
{
    size_t len;
    unsigned char *p = wat("name_section", "", &len);
    CHECK(p != NULL);
    if (!p)
        return;
    bytes m = {0}, names = {0}, sub = {0};
    put(&m, p, len);
    put_leb(&sub, 3);
    put_leb(&sub, 0);
    put_name(&sub, "a", 1);
    put_leb(&sub, 5);
    put_name(&sub, "b", 1);
    put_leb(&sub, 9);
    put_name(&sub, "c", 1);
    put_name(&names, "name", 4);
    put_u8(&names, 1);
    put_leb(&names, (uint32_t)sub.n);
    put(&names, sub.p, sub.n);
    put_section(&m, 0, &names);

    char path[256], cmd[512];
    snprintf(path, sizeof path, "%s/bad_names.wasm", tmpdir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(fwrite(m.p, 1, m.n, f) == m.n);
        fclose(f);
        snprintf(cmd, sizeof cmd, "wasm-validate %s 2>/dev/null", path);
        CHECK(system(cmd) != 0); /* the section really is broken */
    }

    json_t *d = describe(m.p, m.n, NULL);
    if (!is_valid(d))
        fprintf(stderr, "  %s\n", str(d, "error"));
    CHECK(is_valid(d));
    CHECK_STR(str(json_array_get(json_object_get(d, "exports"), 0), "name"),
              "only");
    json_decref(d);
    free(m.p);
    free(names.p);
    free(sub.p);
    free(p);
}

static void test_component_accepted(void)
{
    /* magic, version 0x0d, layer 1: the component-model binary format. */
    static const char header[] = "\0asm\x0d\x00\x01\x00";
    json_t *d = describe(header, 8, NULL);
    CHECK(is_valid(d));
    CHECK_STR(str(d, "kind"), "component");
    CHECK_INT(num(d, "size"), 8);
    CHECK_INT(json_object_size(json_object_get(d, "imports")), 0);
    CHECK_INT(json_array_size(json_object_get(d, "exports")), 0);
    CHECK(json_object_get(d, "error") == NULL);
    char why[128];
    CHECK(!wh_wasm_aot_possible(d, why, sizeof why));
    CHECK_CONTAINS(why, "component");
    json_decref(d);

    /* With a core module section inside and a producers section. */
    bytes c = {0}, core = {0};
    put(&c, header, 8);
    put(&core, "\0asm\1\0\0\0", 8);
    put_section(&c, 1, &core);
    put_producers(&c, false);
    d = describe(c.p, c.n, NULL);
    CHECK(is_valid(d));
    CHECK_STR(str(d, "kind"), "component");
    json_t *sdk = json_object_get(json_object_get(d, "producers"), "sdk");
    CHECK_STR(str(json_array_get(sdk, 0), "name"), "wasi-sdk");
    json_decref(d);

    /* A section that claims more bytes than there are. */
    c.n -= 2;
    d = describe(c.p, c.n, NULL);
    CHECK(!is_valid(d));
    CHECK_STR(str(d, "kind"), "component");
    CHECK_CONTAINS(str(d, "error"), "runs past the end");
    json_decref(d);
    free(c.p);
    free(core.p);
}

static void test_limits(void)
{
    size_t len;
    unsigned char *p = wat("mvp", "", &len);
    CHECK(p != NULL);
    if (!p)
        return;
    /* mvp has 4 imports, 2 functions and 5 exports. */
    wh_wasm_limits lim = {len, 2, 4, 5};
    json_t *d = describe(p, len, &lim);
    CHECK(is_valid(d));
    json_decref(d);

    lim.max_bytes = len - 1;
    d = describe(p, len, &lim);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "over the limit");
    CHECK_INT(num(d, "size"), len);
    json_decref(d);

    lim = (wh_wasm_limits){len, 1, 4, 5};
    d = describe(p, len, &lim);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "function section");
    CHECK_CONTAINS(str(d, "error"), "2 functions, over the limit of 1");
    json_decref(d);

    lim = (wh_wasm_limits){len, 2, 3, 5};
    d = describe(p, len, &lim);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "4 imports, over the limit of 3");
    json_decref(d);

    lim = (wh_wasm_limits){len, 2, 4, 4};
    d = describe(p, len, &lim);
    CHECK(!is_valid(d));
    CHECK_CONTAINS(str(d, "error"), "5 exports, over the limit of 4");
    json_decref(d);
    free(p);

    CHECK_INT(wh_wasm_default_limits.max_bytes, 256u * 1024 * 1024);
    CHECK_INT(wh_wasm_default_limits.max_functions, 1000000);
    CHECK_INT(wh_wasm_default_limits.max_imports, 100000);
    CHECK_INT(wh_wasm_default_limits.max_exports, 100000);
}

/* Blocks nested exactly as deep as allowed are fine; one more is not. */
static void test_nesting_bounded(void)
{
    for (int extra = 0; extra <= 1; extra++) {
        size_t depth = WH_WASM_MAX_NESTING + (size_t)extra;
        bytes body = {0};
        put_u8(&body, 0);
        for (size_t i = 0; i < depth; i++)
            put(&body, "\x02\x40", 2);
        for (size_t i = 0; i <= depth; i++)
            put_u8(&body, 0x0b);
        bytes m = module_with_body(&body, NULL, 0);
        json_t *d = describe(m.p, m.n, NULL);
        CHECK(is_valid(d) == !extra);
        if (extra)
            CHECK_CONTAINS(str(d, "error"), "nest deeper than");
        json_decref(d);
        free(m.p);
        free(body.p);
    }
}

static void test_aot_possible(void)
{
    static const struct {
        const char *wat;
        bool ok;
        const char *why;
    } cases[] = {
        {"mvp", true, ""},
        {"exceptions", true, ""},
        {"reference_types", true, ""},
        {"bulk_memory", true, ""},
        {"multi_value", true, ""},
        {"simd", false, "SIMD, which wasm2c 1.0.32 cannot translate"},
        {"threads", false, "threads"},
        {"tail_call", false, "tail calls"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[128] = "untouched";
        json_t *d = describe_wat(cases[i].wat, all_flags);
        CHECK(wh_wasm_aot_possible(d, why, sizeof why) == cases[i].ok);
        if (cases[i].ok)
            CHECK_STR(why, "");
        else
            CHECK_CONTAINS(why, cases[i].why);
        json_decref(d);
    }

    char why[128];
    json_t *d = describe("\0asn", 4, NULL);
    CHECK(!wh_wasm_aot_possible(d, why, sizeof why));
    CHECK_CONTAINS(why, "not valid");
    json_decref(d);
    CHECK(!wh_wasm_aot_possible(NULL, why, sizeof why));
    CHECK_CONTAINS(why, "not a wasm description");

    /* A short buffer is cut, never overrun. */
    char tiny[6];
    d = describe_wat("simd", "");
    CHECK(!wh_wasm_aot_possible(d, tiny, sizeof tiny));
    CHECK_STR(tiny, "uses ");
    json_decref(d);
}

int main(void)
{
    have_tmpdir = mkdtemp(tmpdir) != NULL;
    RUN(test_wat2wasm_present);
    RUN(test_is_wasm);
    RUN(test_features_detected);
    RUN(test_imports_grouped_with_types);
    RUN(test_exports_of_each_kind);
    RUN(test_odd_utf8_names);
    RUN(test_memories);
    RUN(test_producers);
    RUN(test_abi_from_imports);
    RUN(test_invalid_modules);
    RUN(test_bad_name_section_still_valid);
    RUN(test_component_accepted);
    RUN(test_limits);
    RUN(test_nesting_bounded);
    RUN(test_aot_possible);
    if (have_tmpdir) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "test_wasm: could not remove %s\n", tmpdir);
    }
    return unit_done("wasm");
}
