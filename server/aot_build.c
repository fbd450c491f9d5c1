/*
 * aot_build.c - wasm module to native shared object (see aot_build.h and
 * docs/aot.md).
 *
 * One build is: decide from the description whether wasm2c can translate
 * the module at all; wasm2c into a private temporary directory; write the
 * glue that maps Wharf's entry API onto wasm2c's names; compile the
 * generated C, the glue and the wasm2c runtime into one shared object; copy
 * it next to out_path and rename it into place.  Every tool runs in its own
 * process group so that a wall-time kill takes cc1, as and ld with it.
 */
#include "aot_build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aot_glue.h"
#include "wasm_describe.h"

/*
 * 32 MiB covers the large real modules (a few to tens of MB) while keeping
 * the generated C, which is 10 to 20 times the module, at a size gcc
 * finishes at -O0 inside 4 GiB; 600 s of CPU per tool and 900 s of wall time
 * per build stop a pathological module long before it starves the machine.
 */
const wh_aot_limits wh_aot_default_limits = {
    .max_module_bytes = (uint64_t)32 << 20,
    .cpu_seconds = 600,
    .memory_bytes = (uint64_t)4 << 30,
    .wall_seconds = 900,
};

/* Where Debian's wabt package puts the runtime that generated code needs. */
#define RT_DIR "/usr/share/wabt/wasm2c"
#define RT_HEADER "/usr/include/wasm-rt.h"

/* The optimisation level by module size: gcc's memory and time grow much
 * faster than linearly with the size of wasm2c's output at -O2. */
#define O2_BELOW ((uint64_t)1 << 20)
#define O1_BELOW ((uint64_t)8 << 20)

/* Bounds the temporary files one tool may write (the generated C of a
 * module at the size limit is well under this). */
#define MAX_TOOL_FILE_BYTES ((uint64_t)2 << 30)

/*
 * Without the runtime's SIGSEGV handler (which a host process cannot share)
 * wasm2c counts call depth instead; this many nested wasm calls fit in an
 * 8 MiB stack at up to about 800 bytes of native frame each.
 */
#define MAX_CALL_DEPTH 10000
#define STR_(x) #x
#define STR(x) STR_(x)

/* The module name given to wasm2c: every generated symbol starts Z_m. */
#define MODNAME "m"

/* Flags common to every target, in the order the compiler gets them; the
 * toolchain id lists them so that changing one changes the id. */
static const char *const common_flags[] = {
    "-std=gnu17", "-shared", "-fPIC", "-fvisibility=hidden",
    "-ffp-contract=off", "-w", "-s",
    "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0",
    "-DWASM_RT_MAX_CALL_STACK_DEPTH=" STR(MAX_CALL_DEPTH),
};

typedef struct target {
    const char *triple;
    const char *base;  /* the GNU triple of the compiler */
    const char *march; /* an extra flag for a CPU level, or NULL */
} target;

static const target targets[] = {
    {"x86_64-linux-gnu", "x86_64-linux-gnu", NULL},
    {"x86_64-linux-gnu+v3", "x86_64-linux-gnu", "-march=x86-64-v3"},
    {"aarch64-linux-gnu", "aarch64-linux-gnu", NULL},
    {"riscv64-linux-gnu", "riscv64-linux-gnu", NULL},
};

#if defined(__x86_64__)
#define HOST_BASE "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define HOST_BASE "aarch64-linux-gnu"
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_BASE "riscv64-linux-gnu"
#else
#define HOST_BASE ""
#endif

static const target *find_target(const char *triple)
{
    for (size_t i = 0; triple && i < sizeof targets / sizeof targets[0]; i++)
        if (strcmp(targets[i].triple, triple) == 0)
            return &targets[i];
    return NULL;
}

/* ---- finding tools ---- */

/* The first executable regular file called name on PATH, like execvp
 * would find it, but in the parent: the child may only call execve. */
static bool find_on_path(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        if (n > 0) {
            int w = snprintf(out, cap, "%.*s/%s", (int)n, path, name);
            struct stat st;
            if (w > 0 && (size_t)w < cap && stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
                access(out, X_OK) == 0)
                return true;
        }
        path += n + (colon ? 1 : 0);
    }
    return false;
}

typedef struct toolset {
    char cc[512];
    char wasm2c[512];
} toolset;

/* Fills ts for t, or says what is missing and returns WH_ENOTFOUND. */
static int find_tools(const target *t, toolset *ts, wh_err *err)
{
    char name[128];
    snprintf(name, sizeof name, "%s-gcc", t->base);
    bool native = strcmp(t->base, HOST_BASE) == 0;
    if (!find_on_path(name, ts->cc, sizeof ts->cc) &&
        !(native && find_on_path("gcc", ts->cc, sizeof ts->cc)))
        return wh_err_set(err, WH_ENOTFOUND, "target %s: the compiler %s is not installed "
                          "(Debian package gcc-%s)", t->triple, name, t->base);
    if (!native) {
        char hdr[256];
        snprintf(hdr, sizeof hdr, "/usr/%s/include/stdio.h", t->base);
        if (access(hdr, R_OK) != 0)
            return wh_err_set(err, WH_ENOTFOUND, "target %s: the C library for %s is not "
                              "installed (%s is missing)", t->triple, t->base, hdr);
    }
    if (!find_on_path("wasm2c", ts->wasm2c, sizeof ts->wasm2c))
        return wh_err_set(err, WH_ENOTFOUND, "wasm2c is not installed (Debian package wabt)");
    if (access(RT_DIR "/wasm-rt-impl.c", R_OK) != 0 || access(RT_HEADER, R_OK) != 0)
        return wh_err_set(err, WH_ENOTFOUND, "the wasm2c runtime (%s, %s) is not installed",
                          RT_DIR "/wasm-rt-impl.c", RT_HEADER);
    return 0;
}

bool wh_aot_target_supported(const char *triple, char *why, size_t cap)
{
    const target *t = find_target(triple);
    wh_err err;
    wh_err_clear(&err);
    toolset ts;
    if (!t) {
        wh_err_set(&err, WH_EINVAL, "unknown target triple \"%.64s\" (known: "
                   "x86_64-linux-gnu, x86_64-linux-gnu+v3, aarch64-linux-gnu, "
                   "riscv64-linux-gnu)", triple ? triple : "");
    } else {
        find_tools(t, &ts, &err);
    }
    if (cap > 0)
        snprintf(why, cap, "%s", err.msg);
    return err.code == 0;
}

/* ---- the log ---- */

typedef struct logbuf {
    char *buf;
    size_t len;
    bool cut;
    bool nomem;
} logbuf;

static void log_add(logbuf *l, const char *s, size_t n)
{
    static const char note[] = "\n[log cut at 64 KiB]\n";
    if (l->cut || l->nomem)
        return;
    if (!l->buf) {
        l->buf = malloc(WH_AOT_LOG_MAX + 1);
        if (!l->buf) {
            l->nomem = true;
            return;
        }
    }
    size_t room = WH_AOT_LOG_MAX - (sizeof note - 1) - l->len;
    if (n > room) {
        memcpy(l->buf + l->len, s, room);
        l->len += room;
        memcpy(l->buf + l->len, note, sizeof note - 1);
        l->len += sizeof note - 1;
        l->cut = true;
    } else {
        memcpy(l->buf + l->len, s, n);
        l->len += n;
    }
    l->buf[l->len] = '\0';
}

static void log_printf(logbuf *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_printf(logbuf *l, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        log_add(l, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- running a tool ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process group of the tool running now (0: none), for
 * wh_aot_build_cancel, which a signal handler calls. */
static volatile sig_atomic_t g_tool_group, g_cancelled;

void wh_aot_build_cancel(void)
{
    g_cancelled = 1; /* no further tool starts */
    pid_t g = (pid_t)g_tool_group;
    if (g > 0)
        kill(-g, SIGKILL);
}

typedef struct run_limits {
    uint64_t cpu_seconds;
    uint64_t memory_bytes;
    double deadline; /* CLOCK_MONOTONIC seconds */
} run_limits;

typedef enum run_end { RUN_OK, RUN_FAILED, RUN_TIMED_OUT, RUN_NOT_STARTED } run_end;

/* Only async-signal-safe calls between fork and execve: wharfd has
 * threads, and the child holds a copy of only this one. */
static void child(int out, const run_limits *lim, const char *cwd, char *const *argv,
                  char *const *envp)
{
    setpgid(0, 0);
    /* wharfd blocks SIGTERM and ignores SIGPIPE; both survive exec, and a
     * tool must be stoppable like any program.  If the worker dies, so
     * does the tool (wh_aot_build_cancel does the rest). */
    sigset_t unblocked;
    sigemptyset(&unblocked);
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (cwd && chdir(cwd) != 0)
        _exit(126);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(126);
    close_range(3, ~0U, 0);
    struct rlimit cpu = {(rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1};
    struct rlimit mem = {(rlim_t)lim->memory_bytes, (rlim_t)lim->memory_bytes};
    struct rlimit fsize = {(rlim_t)MAX_TOOL_FILE_BYTES, (rlim_t)MAX_TOOL_FILE_BYTES};
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_AS, &mem);
    setrlimit(RLIMIT_FSIZE, &fsize);
    setrlimit(RLIMIT_CORE, &none);
    setpriority(PRIO_PROCESS, 0, 10);
    execve(argv[0], argv, envp);
    _exit(127);
}

/*
 * Runs argv[0] (a full path) with envp under lim, in cwd (NULL: this
 * process's), appending everything it writes to stdout and stderr to the
 * log.  *status is its wait status.
 */
static run_end run_tool(char *const *argv, char *const *envp, const char *cwd,
                        const run_limits *lim, logbuf *log, int *status)
{
    *status = 0;
    if (g_cancelled) {
        log_printf(log, "cancelled: not starting %s\n", argv[0]);
        return RUN_NOT_STARTED;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        log_printf(log, "cannot start %s: %s\n", argv[0], strerror(errno));
        return RUN_NOT_STARTED;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(p[1], lim, cwd, argv, envp);
    close(p[1]);
    if (pid < 0) {
        log_printf(log, "cannot start %s: %s\n", argv[0], strerror(errno));
        close(p[0]);
        return RUN_NOT_STARTED;
    }
    /* Also here, so that a kill before the child ran setpgid still finds
     * the group. */
    setpgid(pid, pid);
    g_tool_group = pid;
    bool timed_out = false;
    char buf[4096];
    for (;;) {
        double left = lim->deadline - now_s();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = {p[0], POLLIN, 0};
        int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0)
            break;
        if (pr == 0)
            continue;
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        log_add(log, buf, (size_t)n);
    }
    close(p[0]);
    /* The group, not just the driver: after a timeout cc1 or ld are the
     * ones still running, and after a normal end it is a no-op. */
    kill(-pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    g_tool_group = 0;
    if (timed_out)
        return RUN_TIMED_OUT;
    return WIFEXITED(*status) && WEXITSTATUS(*status) == 0 ? RUN_OK : RUN_FAILED;
}

/* The environment every tool gets: nothing of the server's but PATH, the C
 * locale for stable messages, and TMPDIR so that gcc's own temporary files
 * land in the build's directory and go with it. */
typedef struct tool_env {
    char path[4096];
    char tmpdir[4200];
    char *envp[4];
} tool_env;

static void env_init(tool_env *e, const char *tmpdir)
{
    const char *path = getenv("PATH");
    snprintf(e->path, sizeof e->path, "PATH=%s", path ? path : "/usr/local/bin:/usr/bin:/bin");
    snprintf(e->tmpdir, sizeof e->tmpdir, "TMPDIR=%s", tmpdir);
    e->envp[0] = e->path;
    e->envp[1] = (char *)"LC_ALL=C";
    e->envp[2] = e->tmpdir;
    e->envp[3] = NULL;
}

/* Runs a tool with a few seconds' budget and returns the first line it
 * printed, for the toolchain id. */
static int first_line_of(const char *tool, const char *arg, char *out, size_t cap, wh_err *err)
{
    char *argv[] = {(char *)tool, (char *)arg, NULL};
    tool_env env;
    const char *tmp = getenv("TMPDIR");
    env_init(&env, tmp && *tmp ? tmp : "/tmp");
    run_limits lim = {10, (uint64_t)1 << 30, now_s() + 20};
    logbuf log = {0};
    int status;
    run_end end = run_tool(argv, env.envp, NULL, &lim, &log, &status);
    int rc = 0;
    if (end != RUN_OK || !log.buf) {
        rc = wh_err_set(err, WH_EIO, "%s %s failed", tool, arg);
        goto done;
    }
    size_t n = strcspn(log.buf, "\n");
    if (n + 1 > cap) {
        rc = wh_err_set(err, WH_ETOOBIG, "the version line of %s is too long", tool);
        goto done;
    }
    memcpy(out, log.buf, n);
    out[n] = '\0';
done:
    free(log.buf);
    return rc;
}

int wh_aot_toolchain_id(const char *triple, char *out, size_t cap, wh_err *err)
{
    const target *t = find_target(triple);
    if (!t)
        return wh_err_set(err, WH_EINVAL, "unknown target triple \"%.64s\"", triple ? triple : "");
    toolset ts;
    int rc = find_tools(t, &ts, err);
    if (rc)
        return rc;
    char wabt[128], cc[256];
    if ((rc = first_line_of(ts.wasm2c, "--version", wabt, sizeof wabt, err)) ||
        (rc = first_line_of(ts.cc, "--version", cc, sizeof cc, err)))
        return rc;
    char flags[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof common_flags / sizeof common_flags[0]; i++)
        used += (size_t)snprintf(flags + used, sizeof flags - used, "%s ", common_flags[i]);
    if (t->march)
        snprintf(flags + used, sizeof flags - used, "%s ", t->march);
    int n = snprintf(out, cap, "wharf-aot abi %d; target %s; wabt %s; %s; flags %s-lm; "
                     "-O2 below %" PRIu64 " bytes, -O1 below %" PRIu64 " bytes, else -O0",
                     WHARF_ABI_VERSION, t->triple, wabt, cc, flags, O2_BELOW, O1_BELOW);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "the toolchain id needs more than %zu bytes", cap);
    return 0;
}

/* ---- the glue ---- */

typedef struct export_fn {
    const char *name; /* borrowed from the description */
    const char *type;
    char params[64]; /* one of i j f d per value, as wasm2c mangles types */
    char results[64];
} export_fn;

/* "(param i32 f64) (result i64)" into type letters; false for a type the
 * entry API cannot pass (v128, references) or a malformed string. */
static bool parse_sig(const char *s, char *params, char *results, size_t cap)
{
    char *dst = NULL;
    size_t *cur = NULL, np = 0, nr = 0;
    params[0] = results[0] = '\0';
    while (*s) {
        if (*s == ' ' || *s == ')') {
            s++;
            continue;
        }
        if (strncmp(s, "(param", 6) == 0) {
            dst = params, cur = &np, s += 6;
            continue;
        }
        if (strncmp(s, "(result", 7) == 0) {
            dst = results, cur = &nr, s += 7;
            continue;
        }
        char c;
        if (strncmp(s, "i32", 3) == 0)
            c = 'i';
        else if (strncmp(s, "i64", 3) == 0)
            c = 'j';
        else if (strncmp(s, "f32", 3) == 0)
            c = 'f';
        else if (strncmp(s, "f64", 3) == 0)
            c = 'd';
        else
            return false;
        if (!dst || *cur + 1 >= cap)
            return false;
        dst[(*cur)++] = c;
        dst[*cur] = '\0';
        s += 3;
    }
    return true;
}

/* wasm2c 1.0.32's name mangling: letters, digits and '_' stay, any other
 * byte (and 'Z', the escape letter) becomes Z and two hex digits. */
static void mangle(FILE *f, const char *name)
{
    fputs("Z_", f);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Y') ||
                    (c >= '0' && c <= '9') || c == '_';
        if (keep)
            fputc(c, f);
        else
            fprintf(f, "Z%02X", c);
    }
}

static void emit_symbol(FILE *f, const char *export_name)
{
    fputs("Z_" MODNAME, f);
    mangle(f, export_name);
}

/* A C string literal for any bytes: octal escapes are always three digits,
 * so no following character can extend them, and '?' is escaped against
 * trigraphs. */
static void emit_cstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '?')
            fputc(*p, f);
        else
            fprintf(f, "\\%03o", *p);
    }
    fputc('"', f);
}

static int cmp_export(const void *a, const void *b)
{
    return strcmp(((const export_fn *)a)->name, ((const export_fn *)b)->name);
}

static const char glue_prelude[] =
    "/* Generated by wharf's AOT builder: Wharf's entry API over wasm2c. */\n"
    "#include <stddef.h>\n"
    "#include <stdint.h>\n"
    "#include <string.h>\n"
    "#include \"m.h\"\n"
    "#include \"wasm-rt-impl.h\"\n"
    "#define WHARF_API __attribute__((visibility(\"default\")))\n"
    "typedef struct wharf_import { const char *module, *name;\n"
    "  int (*fn)(void *, const uint64_t *, size_t, uint64_t *, size_t); void *ctx; } wharf_import;\n"
    "typedef struct wharf_imports { const wharf_import *items; size_t count; } wharf_imports;\n"
    "typedef struct wharf_export { const char *name, *sig; size_t nparams, nresults;\n"
    "  void (*call)(void *, const uint64_t *, uint64_t *); } wharf_export;\n"
    "static inline float wharf_f32(uint64_t v) { uint32_t b = (uint32_t)v; float f; memcpy(&f, &b, 4); return f; }\n"
    "static inline double wharf_f64(uint64_t v) { double d; memcpy(&d, &v, 8); return d; }\n"
    "static inline uint64_t wharf_bf32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }\n"
    "static inline uint64_t wharf_bf64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }\n"
    "static int wharf_ready;\n";

static const char *arg_expr(char t)
{
    switch (t) {
    case 'i': return "(u32)a[%zu]";
    case 'j': return "(u64)a[%zu]";
    case 'f': return "wharf_f32(a[%zu])";
    default: return "wharf_f64(a[%zu])";
    }
}

static const char *pack_fn(char t)
{
    switch (t) {
    case 'i': return "(uint64_t)(u32)";
    case 'j': return "(uint64_t)";
    case 'f': return "wharf_bf32";
    default: return "wharf_bf64";
    }
}

static void emit_wrapper(FILE *f, size_t idx, const export_fn *e)
{
    size_t nr = strlen(e->results);
    fprintf(f, "static void wharf_w%zu(void *inst, const uint64_t *a, uint64_t *r) {\n  ", idx);
    fprintf(f, "(void)a; (void)r; ");
    if (nr == 1)
        fprintf(f, "r[0] = %s(", pack_fn(e->results[0]));
    else if (nr > 1)
        fprintf(f, "struct wasm_multi_%s s = ", e->results);
    emit_symbol(f, e->name);
    fputs("((Z_" MODNAME "_instance_t *)inst", f);
    for (size_t i = 0; e->params[i]; i++) {
        fputs(", ", f);
        fprintf(f, arg_expr(e->params[i]), i);
    }
    fputs(nr == 1 ? "));\n" : ");\n", f);
    for (size_t i = 0; nr > 1 && i < nr; i++)
        fprintf(f, "  r[%zu] = %s(s.%c%zu);\n", i, pack_fn(e->results[i]), e->results[i], i);
    fputs("}\n", f);
}

static void emit_api(FILE *f, const export_fn *ex, size_t n)
{
    fputs("static const wharf_export wharf_exports[] = {\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs("  {", f);
        emit_cstr(f, ex[i].name);
        fputs(", ", f);
        emit_cstr(f, ex[i].type);
        fprintf(f, ", %zu, %zu, wharf_w%zu},\n", strlen(ex[i].params), strlen(ex[i].results), i);
    }
    fputs("  {NULL, NULL, 0, 0, NULL}\n};\n", f);
    fprintf(f, "#define WHARF_NEXPORTS ((size_t)%zu)\n", n);
    fprintf(f,
            "static int wharf_trap(int t) {\n"
            "  switch (t) {\n"
            "  case WASM_RT_TRAP_UNREACHABLE: return %d;\n"
            "  case WASM_RT_TRAP_OOB: return %d;\n"
            "  case WASM_RT_TRAP_INT_OVERFLOW: return %d;\n"
            "  case WASM_RT_TRAP_DIV_BY_ZERO: return %d;\n"
            "  case WASM_RT_TRAP_INVALID_CONVERSION: return %d;\n"
            "  case WASM_RT_TRAP_CALL_INDIRECT: return %d;\n"
            "  case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return %d;\n"
            "#if !WASM_RT_MERGED_OOB_AND_EXHAUSTION_TRAPS\n"
            "  case WASM_RT_TRAP_EXHAUSTION: return %d;\n"
            "#endif\n"
            "  default: return %d;\n"
            "  }\n"
            "}\n",
            WHARF_TRAP_UNREACHABLE, WHARF_TRAP_OUT_OF_BOUNDS, WHARF_TRAP_INT_OVERFLOW,
            WHARF_TRAP_DIV_BY_ZERO, WHARF_TRAP_INVALID_CONVERSION, WHARF_TRAP_CALL_INDIRECT,
            WHARF_TRAP_UNCAUGHT_EXCEPTION, WHARF_TRAP_STACK_EXHAUSTED, WHARF_TRAP_OTHER);
    fprintf(f,
            "WHARF_API uint32_t wharf_abi_version(void) { return %d; }\n"
            "WHARF_API size_t wharf_instance_size(void) { return sizeof(Z_" MODNAME "_instance_t); }\n"
            "WHARF_API int wharf_init(void) {\n"
            "  if (!wharf_ready) { wasm_rt_init(); Z_" MODNAME "_init_module(); wharf_ready = 1; }\n"
            "  return 0;\n"
            "}\n"
            "WHARF_API void wharf_fini(void) { if (wharf_ready) { wasm_rt_free(); wharf_ready = 0; } }\n"
            "WHARF_API int wharf_instantiate(void *instance, const wharf_imports *imports) {\n"
            "  if (!wharf_ready) return %d;\n"
            "  if (imports && imports->count) return %d;\n"
            "  memset(instance, 0, sizeof(Z_" MODNAME "_instance_t));\n"
            "  int t = wasm_rt_impl_try();\n"
            "  if (t) { Z_" MODNAME "_free((Z_" MODNAME "_instance_t *)instance); return wharf_trap(t); }\n"
            "  Z_" MODNAME "_instantiate((Z_" MODNAME "_instance_t *)instance);\n"
            "  return 0;\n"
            "}\n"
            "WHARF_API void wharf_free(void *instance) { Z_" MODNAME "_free((Z_" MODNAME "_instance_t *)instance); }\n"
            "WHARF_API size_t wharf_export_count(void) { return WHARF_NEXPORTS; }\n"
            "WHARF_API const char *wharf_export_name(size_t i) { return i < WHARF_NEXPORTS ? wharf_exports[i].name : NULL; }\n"
            "WHARF_API const char *wharf_export_signature(size_t i) { return i < WHARF_NEXPORTS ? wharf_exports[i].sig : NULL; }\n"
            "WHARF_API int wharf_call(void *instance, const char *name, const uint64_t *args, size_t nargs,\n"
            "                         uint64_t *results, size_t nresults) {\n"
            "  if (!wharf_ready) return %d;\n"
            "  size_t lo = 0, hi = WHARF_NEXPORTS;\n"
            "  const wharf_export *e = NULL;\n"
            "  while (name && lo < hi) {\n"
            "    size_t mid = lo + (hi - lo) / 2;\n"
            "    int c = strcmp(name, wharf_exports[mid].name);\n"
            "    if (c == 0) { e = &wharf_exports[mid]; break; }\n"
            "    if (c < 0) hi = mid; else lo = mid + 1;\n"
            "  }\n"
            "  if (!e) return %d;\n"
            "  if (nargs != e->nparams || nresults != e->nresults) return %d;\n"
            "  int t = wasm_rt_impl_try();\n"
            "  if (t) return wharf_trap(t);\n"
            "  e->call(instance, args, results);\n"
            "  return 0;\n"
            "}\n",
            WHARF_ABI_VERSION, WHARF_ERR_NOT_INIT, WHARF_ERR_IMPORTS, WHARF_ERR_NOT_INIT,
            WHARF_ERR_NO_EXPORT, WHARF_ERR_ARITY);
}

/*
 * Checks that wasm2c named each export's function as mangle() predicts, so
 * that a different wabt fails the build with a reason instead of a link
 * error the log would have to explain.
 */
static bool header_declares(const char *header, const char *export_name)
{
    char *sym = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&sym, &len);
    if (!f)
        return false;
    emit_symbol(f, export_name);
    fputc('(', f);
    bool ok = fclose(f) == 0 && strstr(header, sym) != NULL;
    free(sym);
    return ok;
}

/* Collects the callable exports (functions with numeric types and names
 * without a NUL), sorted by name for the lookup in wharf_call. */
static int collect_exports(const json_t *desc, export_fn **out, size_t *n, wh_err *err)
{
    const json_t *exports = json_object_get(desc, "exports");
    size_t cap = json_array_size(exports), i;
    *out = NULL;
    *n = 0;
    export_fn *ex = calloc(cap ? cap : 1, sizeof *ex);
    if (!ex)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    const json_t *e;
    json_array_foreach(exports, i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const json_t *name = json_object_get(e, "name");
        const char *type = json_string_value(json_object_get(e, "type"));
        if (!kind || strcmp(kind, "func") != 0 || !json_is_string(name) || !type ||
            strlen(json_string_value(name)) != json_string_length(name))
            continue;
        export_fn *x = &ex[*n];
        if (!parse_sig(type, x->params, x->results, sizeof x->params))
            continue;
        x->name = json_string_value(name);
        x->type = type;
        (*n)++;
    }
    qsort(ex, *n, sizeof *ex, cmp_export);
    *out = ex;
    return 0;
}

/* ---- files ---- */

static int read_file(const char *path, size_t len, char **out, wh_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return wh_err_set(err, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "cannot open %s: %s",
                          path, strerror(errno));
    char *buf = malloc(len + 1);
    int rc = 0;
    if (!buf) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory reading %s", path);
        goto done;
    }
    if (fread(buf, 1, len, f) != len) {
        rc = wh_err_set(err, WH_EIO, "cannot read %s", path);
        goto done;
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return rc;
}

static int copy_file(const char *from, const char *to, mode_t mode, wh_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;
    if (in < 0 || out < 0) {
        rc = wh_err_set(err, WH_EIO, "cannot copy %s to %s: %s", from, to, strerror(errno));
        goto done;
    }
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", to, strerror(errno));
                goto done;
            }
            off += w;
        }
    }
    if (n < 0)
        rc = wh_err_set(err, WH_EIO, "cannot read %s: %s", from, strerror(errno));
done:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && !rc)
        rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", to, strerror(errno));
    return rc;
}

/* Copies the built object beside out_path and renames it into place, so a
 * reader sees the old file or the whole new one. */
static int publish(const char *built, const char *out_path, wh_err *err)
{
    size_t n = strlen(out_path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", out_path);
    int rc = 0;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = wh_err_set(err, WH_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    close(fd);
    if ((rc = copy_file(built, tmp, 0644, err)))
        goto done;
    fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto done;
    }
    close(fd);
    if (rename(tmp, out_path) != 0)
        rc = wh_err_set(err, WH_EIO, "cannot rename %s to %s: %s", tmp, out_path,
                        strerror(errno));
done:
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* The build directory holds only plain files (ours and gcc's). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* ---- the build ---- */

/* Why a failed tool failed, from how it ended and what it printed. */
static int tool_failure(const char *what, run_end end, int status, const logbuf *log,
                        const wh_aot_limits *lim, wh_err *err)
{
    const char *out = log->buf ? log->buf : "";
    if (end == RUN_TIMED_OUT)
        return wh_err_set(err, WH_EIO, "%s stopped: over the %" PRIu64 "-second wall-time "
                          "limit", what, lim->wall_seconds);
    if ((WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) ||
        strstr(out, "CPU time limit exceeded"))
        return wh_err_set(err, WH_EIO, "%s stopped: over the %" PRIu64 "-second CPU limit",
                          what, lim->cpu_seconds);
    if (strstr(out, "out of memory") || strstr(out, "memory exhausted") ||
        strstr(out, "Cannot allocate memory"))
        return wh_err_set(err, WH_EIO, "%s stopped: over the %" PRIu64 "-byte memory limit",
                          what, lim->memory_bytes);
    if (end == RUN_NOT_STARTED)
        return wh_err_set(err, WH_EIO, "%s could not be started", what);
    if (WIFSIGNALED(status))
        return wh_err_set(err, WH_EIO, "%s was killed by signal %d; see the log", what,
                          WTERMSIG(status));
    return wh_err_set(err, WH_EIO, "%s failed (exit status %d); see the log", what,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Declines a module the entry API or wasm2c cannot take, before any tool
 * runs. */
static int check_module(const json_t *desc, wh_err *err)
{
    char why[256];
    if (!wh_wasm_aot_possible(desc, why, sizeof why))
        return wh_err_set(err, WH_EUNPROC, "no AOT build: %s", why);
    const json_t *imports = json_object_get(desc, "imports");
    if (json_object_size(imports) > 0) {
        const char *mod = json_object_iter_key(json_object_iter((json_t *)imports));
        return wh_err_set(err, WH_EUNPROC, "no AOT build: the module has imports (from "
                          "\"%.80s\" first), and entry ABI %d builds only modules "
                          "without imports", mod ? mod : "", WHARF_ABI_VERSION);
    }
    return 0;
}

static bool has_feature(const json_t *desc, const char *name)
{
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(desc, "features"), i, f) {
        if (json_is_string(f) && strcmp(json_string_value(f), name) == 0)
            return true;
    }
    return false;
}

int wh_aot_build(const char *module_path, const char *triple, const json_t *desc,
                 const wh_aot_limits *lim, const char *out_path, char **log, wh_err *err)
{
    *log = NULL;
    if (!lim)
        lim = &wh_aot_default_limits;
    const target *t = find_target(triple);
    if (!t)
        return wh_err_set(err, WH_EINVAL, "unknown target triple \"%.64s\"", triple ? triple : "");
    toolset ts;
    int rc = find_tools(t, &ts, err);
    if (rc)
        return rc;

    json_t *own_desc = NULL;
    char *bytes = NULL, *header = NULL, dir[4096] = "";
    export_fn *ex = NULL;
    size_t nex = 0;
    logbuf lb = {0};
    FILE *glue = NULL;

    struct stat st;
    if (strlen(module_path) >= 4096) {
        rc = wh_err_set(err, WH_EINVAL, "the module path is too long");
        goto done;
    }
    if (stat(module_path, &st) != 0) {
        rc = wh_err_set(err, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "cannot read %s: %s",
                        module_path, strerror(errno));
        goto done;
    }
    if ((uint64_t)st.st_size > lim->max_module_bytes) {
        rc = wh_err_set(err, WH_EUNPROC, "no AOT build: the module is %" PRIu64 " bytes, "
                        "over the %" PRIu64 "-byte limit", (uint64_t)st.st_size,
                        lim->max_module_bytes);
        goto done;
    }
    if (!desc) {
        if ((rc = read_file(module_path, (size_t)st.st_size, &bytes, err)) ||
            (rc = wh_wasm_describe(bytes, (size_t)st.st_size, NULL, &own_desc, err)))
            goto done;
        desc = own_desc;
    }
    if ((rc = check_module(desc, err)) || (rc = collect_exports(desc, &ex, &nex, err)))
        goto done;

    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/wharf-aot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl) || !realpath(tmpl, dir)) {
        rc = wh_err_set(err, WH_EIO, "cannot create a build directory under %s: %s",
                        tmp && *tmp ? tmp : "/tmp", strerror(errno));
        if (tmpl[0] && access(tmpl, F_OK) == 0)
            rmdir(tmpl);
        dir[0] = '\0';
        goto done;
    }
    /* A relative path that starts with '-' would read as an option. */
    char module_arg[4200];
    snprintf(module_arg, sizeof module_arg, "%s%s", module_path[0] == '-' ? "./" : "",
             module_path);
    tool_env env;
    env_init(&env, dir);
    run_limits rl = {lim->cpu_seconds, lim->memory_bytes, now_s() + (double)lim->wall_seconds};
    /* The compiler runs inside dir and gets relative names: assert()
     * writes __FILE__ into the object, and the same source must give the
     * same bytes in any build directory. */
    char c_out[4200], h_out[4200], glue_c[4200], rt_c[4200], so[4200];
    snprintf(c_out, sizeof c_out, "%s/" MODNAME ".c", dir);
    snprintf(h_out, sizeof h_out, "%s/" MODNAME ".h", dir);
    snprintf(glue_c, sizeof glue_c, "%s/glue.c", dir);
    snprintf(rt_c, sizeof rt_c, "%s/wasm-rt-impl.c", dir);
    snprintf(so, sizeof so, "%s/artifact.so", dir);

    /* wasm2c */
    {
        char *argv[8];
        size_t a = 0;
        bool eh = has_feature(desc, "exceptions");
        argv[a++] = ts.wasm2c;
        if (eh)
            argv[a++] = (char *)"--enable-exceptions";
        argv[a++] = (char *)"-n";
        argv[a++] = (char *)MODNAME;
        argv[a++] = module_arg;
        argv[a++] = (char *)"-o";
        argv[a++] = c_out;
        argv[a] = NULL;
        log_printf(&lb, "$ wasm2c%s -n " MODNAME " MODULE -o " MODNAME ".c\n",
                   eh ? " --enable-exceptions" : "");
        int status;
        run_end end = run_tool(argv, env.envp, NULL, &rl, &lb, &status);
        if (end != RUN_OK) {
            if (end == RUN_FAILED && WIFEXITED(status) && lb.buf) {
                const char *msg = strstr(lb.buf, "\n") + 1;
                rc = wh_err_set(err, WH_EUNPROC, "no AOT build: wasm2c cannot translate "
                                "the module: %.*s", (int)strcspn(msg, "\n"), msg);
            } else {
                rc = tool_failure("wasm2c", end, status, &lb, lim, err);
            }
            goto done;
        }
    }

    /* the glue, checked against the names wasm2c chose */
    struct stat hs;
    if (stat(h_out, &hs) != 0 || (rc = read_file(h_out, (size_t)hs.st_size, &header, err))) {
        rc = rc ? rc : wh_err_set(err, WH_EIO, "wasm2c wrote no header");
        goto done;
    }
    for (size_t i = 0; i < nex; i++) {
        if (!header_declares(header, ex[i].name)) {
            rc = wh_err_set(err, WH_EIO, "wasm2c did not name export \"%.80s\" as "
                            "expected (a wabt other than 1.0.32?)", ex[i].name);
            goto done;
        }
    }
    glue = fopen(glue_c, "w");
    if (!glue) {
        rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", glue_c, strerror(errno));
        goto done;
    }
    fputs(glue_prelude, glue);
    for (size_t i = 0; i < nex; i++)
        emit_wrapper(glue, i, &ex[i]);
    emit_api(glue, ex, nex);
    int ferr = ferror(glue);
    if (fclose(glue) != 0 || ferr) {
        glue = NULL;
        rc = wh_err_set(err, WH_EIO, "cannot write %s", glue_c);
        goto done;
    }
    glue = NULL;

    /* The runtime goes into the build directory: a cross compiler must not
     * search the host's /usr/include for wasm-rt.h. */
    {
        char to[4200];
        snprintf(to, sizeof to, "%s/wasm-rt.h", dir);
        if ((rc = copy_file(RT_HEADER, to, 0600, err)))
            goto done;
        snprintf(to, sizeof to, "%s/wasm-rt-impl.h", dir);
        if ((rc = copy_file(RT_DIR "/wasm-rt-impl.h", to, 0600, err)) ||
            (rc = copy_file(RT_DIR "/wasm-rt-impl.c", rt_c, 0600, err)))
            goto done;
    }

    /* the compiler */
    {
        const char *opt = (uint64_t)st.st_size < O2_BELOW   ? "-O2"
                          : (uint64_t)st.st_size < O1_BELOW ? "-O1"
                                                            : "-O0";
        char *argv[32];
        size_t a = 0;
        argv[a++] = ts.cc;
        argv[a++] = (char *)opt;
        for (size_t i = 0; i < sizeof common_flags / sizeof common_flags[0]; i++)
            argv[a++] = (char *)common_flags[i];
        if (t->march)
            argv[a++] = (char *)t->march;
        argv[a++] = (char *)"-I.";
        argv[a++] = (char *)"-o";
        argv[a++] = (char *)"artifact.so";
        argv[a++] = (char *)MODNAME ".c";
        argv[a++] = (char *)"glue.c";
        argv[a++] = (char *)"wasm-rt-impl.c";
        argv[a++] = (char *)"-lm";
        argv[a] = NULL;
        log_printf(&lb, "$ %s %s", strrchr(ts.cc, '/') + 1, opt);
        for (size_t i = 0; i < sizeof common_flags / sizeof common_flags[0]; i++)
            log_printf(&lb, " %s", common_flags[i]);
        log_printf(&lb, "%s%s -I. -o artifact.so " MODNAME ".c glue.c wasm-rt-impl.c -lm\n",
                   t->march ? " " : "", t->march ? t->march : "");
        int status;
        run_end end = run_tool(argv, env.envp, dir, &rl, &lb, &status);
        if (end != RUN_OK) {
            rc = tool_failure("the compiler", end, status, &lb, lim, err);
            goto done;
        }
    }
    rc = publish(so, out_path, err);

done:
    if (glue)
        fclose(glue);
    if (dir[0])
        remove_dir(dir);
    if (lb.nomem && !rc)
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
    if (lb.buf && !lb.nomem)
        *log = lb.buf;
    else
        free(lb.buf);
    json_decref(own_desc);
    free(bytes);
    free(header);
    free(ex);
    return rc;
}
