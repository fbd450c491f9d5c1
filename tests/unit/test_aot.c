/*
 * test_aot.c - the AOT builder produces real native code: every call made
 * through Wharf's entry API, on x86_64 in this process and on aarch64 and
 * riscv64 under qemu-user, returns what wabt's interpreter returns for the
 * same call, traps included.  Also: what is declined is declined before a
 * tool runs, limits stop builds cleanly, toolchain ids are stable, and no
 * temporary file survives.
 *
 * wasm-interp 1.0.32 can only run exports without parameters, so each
 * expected value comes from a probe: the test module's text with one
 * parameterless export per call appended, floats passed and returned as
 * their bit patterns so that comparisons are exact.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/aot_build.h"
#include "server/aot_glue.h"
#include "server/wasm_describe.h"
#include "tests/unit/unit.h"

#define MAXV 4

typedef struct call {
    const char *func;   /* the $name in the .wat */
    const char *export_name;
    const char *params; /* i j f d per argument */
    uint64_t args[MAXV];
    const char *results; /* i j f d per result; floats only alone */
} call;

typedef struct expect {
    bool trap;
    int code;            /* WHARF_TRAP_* when trap */
    uint64_t values[MAXV];
} expect;

typedef struct module {
    const char *name; /* tests/aot/NAME.wat */
    const call *calls;
    size_t ncalls;
} module;

static const call fib_calls[] = {
    {"$fib", "fib", "i", {0}, "i"},
    {"$fib", "fib", "i", {1}, "i"},
    {"$fib", "fib", "i", {20}, "i"},
    {"$fib", "fib", "i", {24}, "i"},
    {"$fib64", "fib64", "j", {27}, "j"},
};

static const call hash_calls[] = {
    {"$fnv1a", "fnv1a", "i", {0}, "i"},
    {"$fnv1a", "fnv1a", "i", {1}, "i"},
    {"$fnv1a", "fnv1a", "i", {1000}, "i"},
    {"$fnv1a", "fnv1a", "i", {131072}, "i"}, /* all of the two pages */
    {"$fnv1a", "fnv1a", "i", {131073}, "i"}, /* one byte past them */
    {"$mix64", "mix64", "jj", {0x0123456789abcdefULL, 42}, "j"},
    {"$scale", "scale", "dd", {0x410066e8e0c3a44dULL, 0xc0cc1115e0000000ULL}, "d"},
    {"$third", "third", "f", {0xc49a522bULL}, "f"},
    {"$divmod", "divmod", "ii", {17, 5}, "ii"},
    {"$divmod", "divmod", "ii", {1, 0}, "ii"},
};

static const call trap_calls[] = {
    {"$div", "div", "ii", {7, 2}, "i"},
    {"$div", "div", "ii", {7, 0}, "i"},
    {"$div", "div", "ii", {0x80000000u, 0xffffffffu}, "i"},
    {"$load", "load", "i", {0}, "i"},
    {"$load", "load", "i", {65532}, "i"},
    {"$load", "load", "i", {65533}, "i"},
    {"$load", "load", "i", {0xffffffffu}, "i"},
    {"$unreachable_if", "unreachable_if", "i", {0}, "i"},
    {"$unreachable_if", "unreachable_if", "i", {1}, "i"},
    {"$indirect", "indirect", "i", {0}, "i"},
    {"$indirect", "indirect", "i", {1}, "i"},
    {"$indirect", "indirect", "i", {5}, "i"},
    {"$down", "recurse", "i", {100}, "i"},
    {"$down", "recurse", "i", {100000000}, "i"},
};

static const call eh_calls[] = {
    {"$catch", "catch", "i", {5}, "i"},
    {"$catch", "catch", "i", {0}, "i"},
    {"$raise", "raise", "i", {0}, "i"},
    {"$raise", "raise", "i", {5}, "i"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const module modules[] = {
    {"fib", fib_calls, N(fib_calls)},
    {"hash", hash_calls, N(hash_calls)},
    {"trap", trap_calls, N(trap_calls)},
    {"eh", eh_calls, N(eh_calls)},
};
#define NMOD N(modules)

/* wasm-interp's answers, per module and call */
#define MAXCALLS 16
static expect expected[NMOD][MAXCALLS];
_Static_assert(N(fib_calls) <= MAXCALLS && N(hash_calls) <= MAXCALLS &&
               N(trap_calls) <= MAXCALLS && N(eh_calls) <= MAXCALLS, "raise MAXCALLS");
static bool have_expected;

static char root[256];    /* everything this test writes */
static char tmpdir[300];  /* TMPDIR of the builds: must end up empty */
static char outdir[300];  /* the artifacts */

/* ---- helpers ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[8192];
    size_t n;
    while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(f);
    if (!m)
        return NULL;
    fclose(m);
    return buf;
}

static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static int trap_of(const char *msg)
{
    static const struct {
        const char *text;
        int code;
    } map[] = {
        {"unreachable executed", WHARF_TRAP_UNREACHABLE},
        {"out of bounds memory access", WHARF_TRAP_OUT_OF_BOUNDS},
        {"integer overflow", WHARF_TRAP_INT_OVERFLOW},
        {"integer divide by zero", WHARF_TRAP_DIV_BY_ZERO},
        {"invalid conversion to integer", WHARF_TRAP_INVALID_CONVERSION},
        {"uninitialized table element", WHARF_TRAP_CALL_INDIRECT},
        {"undefined table index", WHARF_TRAP_CALL_INDIRECT},
        {"indirect call signature mismatch", WHARF_TRAP_CALL_INDIRECT},
        {"call stack exhausted", WHARF_TRAP_STACK_EXHAUSTED},
        {"uncaught exception", WHARF_TRAP_UNCAUGHT_EXCEPTION},
    };
    for (size_t i = 0; i < N(map); i++)
        if (strstr(msg, map[i].text))
            return map[i].code;
    return -100;
}

static void probe_arg(FILE *f, char t, uint64_t v)
{
    unsigned long long u = v;
    switch (t) {
    case 'i': fprintf(f, " (i32.const %llu)", u); break;
    case 'j': fprintf(f, " (i64.const %llu)", u); break;
    case 'f': fprintf(f, " (f32.reinterpret_i32 (i32.const %llu))", u); break;
    default: fprintf(f, " (f64.reinterpret_i64 (i64.const %llu))", u); break;
    }
}

/* Runs every call of m in wasm-interp through probe exports. */
static bool interp_expect(const module *m, expect *out)
{
    char path[512], probe[512], wasm[512], res[512];
    snprintf(path, sizeof path, "tests/aot/%s.wat", m->name);
    snprintf(probe, sizeof probe, "%s/%s-probe.wat", root, m->name);
    snprintf(wasm, sizeof wasm, "%s/%s-probe.wasm", root, m->name);
    snprintf(res, sizeof res, "%s/%s-probe.out", root, m->name);
    char *src = slurp(path);
    if (!src)
        return false;
    char *end = strrchr(src, ')');
    FILE *f = fopen(probe, "w");
    if (!end || !f) {
        free(src);
        if (f)
            fclose(f);
        return false;
    }
    fwrite(src, 1, (size_t)(end - src), f);
    free(src);
    for (size_t i = 0; i < m->ncalls; i++) {
        const call *c = &m->calls[i];
        fprintf(f, "\n  (func (export \"probe%zu\") (result", i);
        for (const char *r = c->results; *r; r++)
            fputs(*r == 'i' || *r == 'f' ? " i32" : " i64", f);
        fputs(")", f);
        const char *wrap = strcmp(c->results, "f") == 0   ? "i32.reinterpret_f32"
                           : strcmp(c->results, "d") == 0 ? "i64.reinterpret_f64"
                                                          : NULL;
        if (wrap)
            fprintf(f, " (%s", wrap);
        fprintf(f, " (call %s", c->func);
        for (size_t a = 0; c->params[a]; a++)
            probe_arg(f, c->params[a], c->args[a]);
        fputs(wrap ? "))" : ")", f);
        fputs(")", f);
    }
    fputs("\n)\n", f);
    fclose(f);
    if (sh("wat2wasm --enable-exceptions %s -o %s && wasm-interp --enable-exceptions %s "
           "--run-all-exports > %s", probe, wasm, wasm, res) != 0)
        return false;
    char *text = slurp(res);
    if (!text)
        return false;
    bool ok = true;
    for (size_t i = 0; i < m->ncalls; i++) {
        char key[32];
        snprintf(key, sizeof key, "probe%zu() => ", i);
        char *line = strstr(text, key);
        if (!line) {
            ok = false;
            continue;
        }
        line += strlen(key);
        memset(&out[i], 0, sizeof out[i]);
        if (strncmp(line, "error: ", 7) == 0) {
            out[i].trap = true;
            char msg[256];
            snprintf(msg, sizeof msg, "%.*s", (int)strcspn(line, "\n"), line);
            out[i].code = trap_of(msg);
            continue;
        }
        for (size_t r = 0; r < strlen(m->calls[i].results); r++) {
            char *colon = strchr(line, ':');
            if (!colon) {
                ok = false;
                break;
            }
            out[i].values[r] = strtoull(colon + 1, &line, 10);
        }
    }
    free(text);
    return ok;
}

static bool same(const expect *want, int rc, const uint64_t *got, size_t n)
{
    if (want->trap)
        return rc == want->code;
    if (rc != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (got[i] != want->values[i])
            return false;
    return true;
}

static int build(const char *module_name, const char *triple, char *so, size_t cap,
                 wh_err *err)
{
    char wasm[512];
    snprintf(wasm, sizeof wasm, "%s/%s.wasm", root, module_name);
    snprintf(so, cap, "%s/%s-%s.so", outdir, module_name, triple);
    char *log = NULL;
    int rc = wh_aot_build(wasm, triple, NULL, NULL, so, &log, err);
    if (rc)
        fprintf(stderr, "  build %s for %s: %s\n%s\n", module_name, triple, err->msg,
                log ? log : "");
    free(log);
    return rc;
}

/* ---- tests ---- */

static void test_interpreter_answers(void)
{
    have_expected = true;
    for (size_t m = 0; m < NMOD; m++) {
        char wat[256], wasm[512];
        snprintf(wat, sizeof wat, "tests/aot/%s.wat", modules[m].name);
        snprintf(wasm, sizeof wasm, "%s/%s.wasm", root, modules[m].name);
        CHECK_INT(sh("wat2wasm --enable-exceptions %s -o %s", wat, wasm), 0);
        bool ok = interp_expect(&modules[m], expected[m]);
        CHECK(ok);
        have_expected = have_expected && ok;
    }
    /* The comparison below is only as good as these answers. */
    CHECK_INT(expected[0][2].values[0], 6765);
    CHECK_INT(expected[1][0].values[0], 0x811c9dc5);
    CHECK(!expected[1][3].trap);
    CHECK(expected[1][4].trap && expected[1][4].code == WHARF_TRAP_OUT_OF_BOUNDS);
    CHECK_INT(expected[1][8].values[0], 3);
    CHECK_INT(expected[1][8].values[1], 2);
    CHECK(expected[2][1].trap && expected[2][1].code == WHARF_TRAP_DIV_BY_ZERO);
    CHECK(expected[2][2].trap && expected[2][2].code == WHARF_TRAP_INT_OVERFLOW);
    CHECK(expected[2][8].trap && expected[2][8].code == WHARF_TRAP_UNREACHABLE);
    CHECK(expected[2][10].trap && expected[2][10].code == WHARF_TRAP_CALL_INDIRECT);
    CHECK(expected[2][13].trap && expected[2][13].code == WHARF_TRAP_STACK_EXHAUSTED);
    CHECK_INT(expected[3][0].values[0], 105);
    CHECK(expected[3][3].trap && expected[3][3].code == WHARF_TRAP_UNCAUGHT_EXCEPTION);
}

typedef struct api {
    void *so;
    wharf_abi_version_fn abi;
    wharf_instance_size_fn size;
    wharf_init_fn init;
    wharf_fini_fn fini;
    wharf_instantiate_fn instantiate;
    wharf_free_fn free_;
    wharf_call_fn call;
    wharf_export_count_fn count;
    wharf_export_name_fn name;
    wharf_export_signature_fn sig;
} api;

static bool load_api(const char *path, api *a)
{
    memset(a, 0, sizeof *a);
    a->so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!a->so) {
        fprintf(stderr, "  dlopen: %s\n", dlerror());
        return false;
    }
    a->abi = (wharf_abi_version_fn)dlsym(a->so, "wharf_abi_version");
    a->size = (wharf_instance_size_fn)dlsym(a->so, "wharf_instance_size");
    a->init = (wharf_init_fn)dlsym(a->so, "wharf_init");
    a->fini = (wharf_fini_fn)dlsym(a->so, "wharf_fini");
    a->instantiate = (wharf_instantiate_fn)dlsym(a->so, "wharf_instantiate");
    a->free_ = (wharf_free_fn)dlsym(a->so, "wharf_free");
    a->call = (wharf_call_fn)dlsym(a->so, "wharf_call");
    a->count = (wharf_export_count_fn)dlsym(a->so, "wharf_export_count");
    a->name = (wharf_export_name_fn)dlsym(a->so, "wharf_export_name");
    a->sig = (wharf_export_signature_fn)dlsym(a->so, "wharf_export_signature");
    return a->abi && a->size && a->init && a->fini && a->instantiate && a->free_ && a->call &&
           a->count && a->name && a->sig;
}

/* Builds each module for triple and calls it in this process. */
static void check_native(const char *triple)
{
    CHECK(have_expected);
    for (size_t m = 0; m < NMOD; m++) {
        char so[512];
        wh_err err;
        if (build(modules[m].name, triple, so, sizeof so, &err) != 0) {
            CHECK(!"build failed");
            continue;
        }
        api a;
        bool loaded = load_api(so, &a);
        CHECK(loaded);
        if (!loaded) {
            if (a.so)
                dlclose(a.so);
            continue;
        }
        CHECK_INT(a.abi(), WHARF_ABI_VERSION);
        /* Only wasm2c's runtime can run wasm code, and it is not set up. */
        uint64_t r[MAXV] = {0};
        CHECK_INT(a.call(NULL, modules[m].calls[0].export_name, modules[m].calls[0].args,
                         strlen(modules[m].calls[0].params), r, 1),
                  WHARF_ERR_NOT_INIT);
        CHECK_INT(a.init(), 0);
        void *inst = calloc(1, a.size());
        CHECK(inst);
        wharf_import one = {"env", "f", NULL, NULL};
        wharf_imports imps = {&one, 1};
        CHECK_INT(a.instantiate(inst, &imps), WHARF_ERR_IMPORTS);
        CHECK_INT(a.instantiate(inst, NULL), 0);
        CHECK_INT(a.call(inst, "no such export", NULL, 0, r, 0), WHARF_ERR_NO_EXPORT);
        CHECK_INT(a.call(inst, modules[m].calls[0].export_name, NULL, 0, r, 0), WHARF_ERR_ARITY);
        for (size_t i = 0; i < modules[m].ncalls; i++) {
            const call *c = &modules[m].calls[i];
            memset(r, 0xa5, sizeof r);
            size_t nr = strlen(c->results);
            int rc = a.call(inst, c->export_name, c->args, strlen(c->params), r, nr);
            bool ok = same(&expected[m][i], rc, r, nr);
            if (!ok)
                fprintf(stderr, "  %s %s call %zu (%s): rc %d, result %llu; wasm-interp: %s %d "
                        "%llu\n", triple, modules[m].name, i, c->export_name, rc,
                        (unsigned long long)r[0], expected[m][i].trap ? "trap" : "value",
                        expected[m][i].code, (unsigned long long)expected[m][i].values[0]);
            CHECK(ok);
        }
        /* A trap leaves the instance usable, as wasm says. */
        uint64_t arg = 3;
        if (strcmp(modules[m].name, "fib") == 0) {
            CHECK_INT(a.call(inst, "fib", &arg, 1, r, 1), 0);
            CHECK_INT(r[0], 2);
            CHECK_INT(a.count(), 2);
            CHECK_STR(a.name(0), "fib");
            CHECK_STR(a.sig(0), "(param i32) (result i32)");
            CHECK_STR(a.name(1), "fib64");
            CHECK(a.name(2) == NULL);
        }
        if (strcmp(modules[m].name, "trap") == 0) {
            CHECK_INT(a.call(inst, "unreachable_if", (uint64_t[]){0}, 1, r, 1), 0);
            CHECK_INT(r[0], 42);
        }
        a.free_(inst);
        free(inst);
        a.fini();
        CHECK_INT(a.call(NULL, "fib", &arg, 1, r, 1), WHARF_ERR_NOT_INIT);
        dlclose(a.so);
    }
}

static void test_x86_64_native(void)
{
    check_native("x86_64-linux-gnu");
}

static void test_x86_64_v3(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi2")) {
        check_native("x86_64-linux-gnu+v3");
        return;
    }
    /* This CPU cannot run v3 code: prove at least that it builds. */
    char so[512];
    wh_err err;
    CHECK_INT(build("fib", "x86_64-linux-gnu+v3", so, sizeof so, &err), 0);
}

/* Builds the harness and each module for triple and runs them under qemu. */
static void check_emulated(const char *triple, const char *qemu)
{
    CHECK(have_expected);
    char why[256];
    bool supported = wh_aot_target_supported(triple, why, sizeof why);
    if (!supported)
        fprintf(stderr, "  %s: %s\n", triple, why);
    CHECK(supported);
    if (!supported)
        return;
    char harness[512];
    snprintf(harness, sizeof harness, "%s/harness-%s", root, triple);
    CHECK_INT(sh("%s-gcc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 -I. -o %s tests/aot/harness.c -ldl", triple, harness), 0);
    for (size_t m = 0; m < NMOD; m++) {
        char so[512], in[512], out[512];
        wh_err err;
        if (build(modules[m].name, triple, so, sizeof so, &err) != 0) {
            CHECK(!"build failed");
            continue;
        }
        snprintf(in, sizeof in, "%s/%s-%s.calls", root, modules[m].name, triple);
        snprintf(out, sizeof out, "%s/%s-%s.answers", root, modules[m].name, triple);
        FILE *f = fopen(in, "w");
        CHECK(f);
        if (!f)
            continue;
        for (size_t i = 0; i < modules[m].ncalls; i++) {
            const call *c = &modules[m].calls[i];
            fprintf(f, "%s %zu", c->export_name, strlen(c->results));
            for (size_t a = 0; c->params[a]; a++)
                fprintf(f, " %llu", (unsigned long long)c->args[a]);
            fputc('\n', f);
        }
        fclose(f);
        CHECK_INT(sh("%s -L /usr/%s %s %s < %s > %s", qemu, triple, harness, so, in, out), 0);
        char *text = slurp(out);
        CHECK(text);
        if (!text)
            continue;
        CHECK(strncmp(text, "abi 1\n", 6) == 0);
        if (strcmp(modules[m].name, "hash") == 0)
            CHECK_CONTAINS(text, "export divmod (param i32 i32) (result i32 i32)\n");
        char *line = text;
        size_t i = 0;
        while (line && *line) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (strncmp(line, "ok", 2) == 0 || strncmp(line, "trap", 4) == 0 ||
                strncmp(line, "error", 5) == 0) {
                uint64_t r[MAXV] = {0};
                int rc = 0;
                size_t nr = strlen(modules[m].calls[i].results);
                if (line[0] == 'o') {
                    char *p = line + 2;
                    for (size_t k = 0; k < nr; k++)
                        r[k] = strtoull(p, &p, 10);
                } else {
                    rc = atoi(strchr(line, ' ') + 1);
                    if (line[0] == 'e')
                        rc = rc ? rc : -99;
                }
                bool ok = i < modules[m].ncalls && same(&expected[m][i], rc, r, nr);
                if (!ok)
                    fprintf(stderr, "  %s %s call %zu: \"%s\" differs from wasm-interp\n",
                            triple, modules[m].name, i, line);
                CHECK(ok);
                i++;
            }
            line = nl ? nl + 1 : NULL;
        }
        CHECK_INT(i, modules[m].ncalls);
        free(text);
    }
}

static void test_aarch64_qemu(void)
{
    check_emulated("aarch64-linux-gnu", "qemu-aarch64");
}

static void test_riscv64_qemu(void)
{
    check_emulated("riscv64-linux-gnu", "qemu-riscv64");
}

static void test_reproducible_with_given_description(void)
{
    char wasm[512], a[512], b[512];
    snprintf(wasm, sizeof wasm, "%s/fib.wasm", root);
    snprintf(a, sizeof a, "%s/repro-a.so", outdir);
    snprintf(b, sizeof b, "%s/repro-b.so", outdir);
    char *bytes = slurp(wasm);
    struct stat st;
    CHECK(bytes && stat(wasm, &st) == 0);
    if (!bytes)
        return;
    json_t *desc = NULL;
    wh_err err;
    CHECK_INT(wh_wasm_describe(bytes, (size_t)st.st_size, NULL, &desc, &err), 0);
    free(bytes);
    char *log = NULL;
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", desc, NULL, a, &log, &err), 0);
    CHECK_CONTAINS(log, "-O2");
    free(log);
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, NULL, b, &log, &err), 0);
    free(log);
    json_decref(desc);
    CHECK_INT(sh("cmp -s %s %s", a, b), 0);
    unlink(a);
    unlink(b);
}

static void write_wat_module(const char *name, const char *text, char *wasm, size_t cap)
{
    char wat[512];
    snprintf(wat, sizeof wat, "%s/%s.wat", root, name);
    snprintf(wasm, cap, "%s/%s.wasm", root, name);
    CHECK(write_text(wat, text));
    CHECK_INT(sh("wat2wasm --enable-all %s -o %s", wat, wasm), 0);
}

static void test_declined(void)
{
    char wasm[512], so[512];
    snprintf(so, sizeof so, "%s/declined.so", outdir);
    char *log = NULL;
    wh_err err;

    write_wat_module("simd",
                     "(module (func (export \"splat\") (param i32) (result v128)\n"
                     "  (i32x4.splat (local.get 0))))\n",
                     wasm, sizeof wasm);
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, NULL, so, &log, &err), WH_EUNPROC);
    CHECK_CONTAINS(err.msg, "SIMD");
    CHECK(log == NULL); /* declined before wasm2c ran */
    free(log);

    write_wat_module("threads",
                     "(module (memory 1 1 shared) (func (export \"n\") (result i32)\n"
                     "  (i32.atomic.load (i32.const 0))))\n",
                     wasm, sizeof wasm);
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, NULL, so, &log, &err), WH_EUNPROC);
    CHECK_CONTAINS(err.msg, "threads");
    CHECK(log == NULL);

    write_wat_module("imports",
                     "(module (import \"env\" \"tick\" (func (param i32)))\n"
                     "  (func (export \"go\") (call 0 (i32.const 1))))\n",
                     wasm, sizeof wasm);
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, NULL, so, &log, &err), WH_EUNPROC);
    CHECK_CONTAINS(err.msg, "imports");
    CHECK_CONTAINS(err.msg, "env");
    CHECK(log == NULL);

    snprintf(wasm, sizeof wasm, "%s/broken.wasm", root);
    CHECK(write_text(wasm, "\1asm\1"));
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, NULL, so, &log, &err), WH_EUNPROC);
    CHECK_CONTAINS(err.msg, "not valid");

    snprintf(wasm, sizeof wasm, "%s/fib.wasm", root);
    wh_aot_limits lim = wh_aot_default_limits;
    lim.max_module_bytes = 16;
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, &lim, so, &log, &err), WH_EUNPROC);
    CHECK_CONTAINS(err.msg, "over the 16-byte limit");
    CHECK(log == NULL);

    CHECK_INT(wh_aot_build(wasm, "mips-linux-gnu", NULL, NULL, so, &log, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "unknown target triple \"mips-linux-gnu\"");

    snprintf(wasm, sizeof wasm, "%s/absent.wasm", root);
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, NULL, so, &log, &err), WH_ENOTFOUND);
    CHECK(access(so, F_OK) != 0);
}

static void test_targets(void)
{
    char why[256];
    CHECK(wh_aot_target_supported("x86_64-linux-gnu", why, sizeof why));
    CHECK_STR(why, "");
    CHECK(!wh_aot_target_supported("x86_64-linux-gnu+v9", why, sizeof why));
    CHECK_CONTAINS(why, "unknown target triple");
    CHECK(!wh_aot_target_supported(NULL, why, sizeof why));
    /* A compiler that is not on PATH is named, not crashed on. */
    const char *path = getenv("PATH");
    char *saved = path ? strdup(path) : NULL;
    setenv("PATH", root, 1);
    CHECK(!wh_aot_target_supported("aarch64-linux-gnu", why, sizeof why));
    CHECK_CONTAINS(why, "aarch64-linux-gnu-gcc is not installed");
    char id[1024];
    wh_err err;
    CHECK_INT(wh_aot_toolchain_id("riscv64-linux-gnu", id, sizeof id, &err), WH_ENOTFOUND);
    if (saved)
        setenv("PATH", saved, 1);
    free(saved);
}

static void test_toolchain_id(void)
{
    char a[1024], b[1024], v3[1024], arm[1024], small[16];
    wh_err err;
    CHECK_INT(wh_aot_toolchain_id("x86_64-linux-gnu", a, sizeof a, &err), 0);
    CHECK_INT(wh_aot_toolchain_id("x86_64-linux-gnu", b, sizeof b, &err), 0);
    CHECK_STR(a, b);
    CHECK_CONTAINS(a, "wabt 1.0.32");
    CHECK_CONTAINS(a, "gcc");
    CHECK_CONTAINS(a, "-ffp-contract=off");
    CHECK_INT(wh_aot_toolchain_id("x86_64-linux-gnu+v3", v3, sizeof v3, &err), 0);
    CHECK_CONTAINS(v3, "-march=x86-64-v3");
    CHECK(strcmp(a, v3) != 0);
    CHECK_INT(wh_aot_toolchain_id("aarch64-linux-gnu", arm, sizeof arm, &err), 0);
    CHECK_CONTAINS(arm, "aarch64-linux-gnu-gcc");
    CHECK(strcmp(a, arm) != 0);
    CHECK_INT(wh_aot_toolchain_id("x86_64-linux-gnu", small, sizeof small, &err), WH_ETOOBIG);
    CHECK_INT(wh_aot_toolchain_id("vax", a, sizeof a, &err), WH_EINVAL);
}

/* A module whose generated C takes gcc several seconds at -O2. */
static void write_slow_module(char *wasm, size_t cap)
{
    char wat[512];
    snprintf(wat, sizeof wat, "%s/slow.wat", root);
    snprintf(wasm, cap, "%s/slow.wasm", root);
    FILE *f = fopen(wat, "w");
    CHECK(f);
    if (!f)
        return;
    fputs("(module\n", f);
    for (int k = 0; k < 600; k++) {
        fprintf(f, "(func (export \"f%d\") (param i32) (result i32) (local i32)", k);
        for (int j = 0; j < 20; j++)
            fprintf(f, " (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const %d))"
                    " (i32.xor (local.get 0) (i32.const %d))))", k * 7 + j, j);
        fputs(" (local.get 1))\n", f);
    }
    fputs(")\n", f);
    fclose(f);
    CHECK_INT(sh("wat2wasm %s -o %s", wat, wasm), 0);
}

static void test_limits_stop_builds(void)
{
    char wasm[512], so[512];
    write_slow_module(wasm, sizeof wasm);
    snprintf(so, sizeof so, "%s/slow.so", outdir);
    wh_err err;
    char *log = NULL;

    wh_aot_limits lim = wh_aot_default_limits;
    lim.wall_seconds = 1;
    time_t t0 = time(NULL);
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, &lim, so, &log, &err), WH_EIO);
    CHECK(time(NULL) - t0 <= 4);
    CHECK_CONTAINS(err.msg, "1-second wall-time limit");
    CHECK_CONTAINS(log, "$ wasm2c");
    CHECK_CONTAINS(log, "-O2");
    free(log);
    log = NULL;

    lim = wh_aot_default_limits;
    lim.cpu_seconds = 1;
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, &lim, so, &log, &err), WH_EIO);
    CHECK_CONTAINS(err.msg, "CPU limit");
    CHECK(log != NULL);
    free(log);
    log = NULL;

    lim = wh_aot_default_limits;
    lim.memory_bytes = (uint64_t)48 << 20;
    CHECK_INT(wh_aot_build(wasm, "x86_64-linux-gnu", NULL, &lim, so, &log, &err), WH_EIO);
    CHECK(log != NULL);
    free(log);
    CHECK(access(so, F_OK) != 0);
}

/* Last: everything above left nothing behind but the artifacts. */
static void test_no_temporary_files_left(void)
{
    CHECK_INT(dir_entries(tmpdir), 0);
    DIR *d = opendir(outdir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        CHECK(strstr(de->d_name, ".tmp.") == NULL);
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            CHECK(strstr(de->d_name, ".so") != NULL);
    }
    if (d)
        closedir(d);
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/wharf-test-aot-XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", root);
    snprintf(outdir, sizeof outdir, "%s/out", root);
    if (mkdir(tmpdir, 0700) != 0 || mkdir(outdir, 0700) != 0) {
        perror("mkdir");
        return 1;
    }
    setenv("TMPDIR", tmpdir, 1);

    RUN(test_interpreter_answers);
    RUN(test_x86_64_native);
    RUN(test_x86_64_v3);
    RUN(test_aarch64_qemu);
    RUN(test_riscv64_qemu);
    RUN(test_reproducible_with_given_description);
    RUN(test_declined);
    RUN(test_targets);
    RUN(test_toolchain_id);
    RUN(test_limits_stop_builds);
    RUN(test_no_temporary_files_left);

    unsetenv("TMPDIR");
    sh("rm -rf %s", root);
    return unit_done("aot");
}
