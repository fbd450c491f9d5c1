/*
 * wasm_check.c - the wasm worker process and the server's side of it (see
 * wasm_check.h).
 */
#include "wasm_check.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wasm_describe.h"

/* A description is a few bytes per import and export; this bounds a
 * worker that would flood the server. */
#define MAX_OUTPUT ((size_t)64 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif

/* ---- the worker ---- */

int wh_wasm_worker_main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    char *end;
    unsigned long long max = strtoull(argv[2], &end, 10);
    if (*end)
        return 2;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            return 3;
        if (len == cap) {
            if (cap > max) /* the caller never sends more than max */
                break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return 3;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(0, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    wh_wasm_limits lim = wh_wasm_default_limits;
    lim.max_bytes = (size_t)max;
    json_t *desc = NULL;
    wh_err err;
    int rc = wh_wasm_describe(buf, len, &lim, &desc, &err);
    free(buf);
    if (rc)
        return 3;
    rc = json_dumpf(desc, stdout, JSON_COMPACT) == 0 && fflush(stdout) == 0 ? 0 : 4;
    json_decref(desc);
    return rc;
}

/* ---- the server's side ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Only async-signal-safe calls between fork and exec: the server has
 * threads, and the child has just one copy of them (this one). */
static void child(int in, int out, const wh_wasm_check_limits *lim, char *const *argv)
{
    /* The descriptors first: the server's own are closed before the file
     * limit applies, which would otherwise refuse /dev/null. */
    /* wharfd blocks SIGTERM and ignores SIGPIPE; neither belongs in a
     * worker, and both would survive exec.  If the server dies, so does
     * the worker. */
    sigset_t unblocked;
    sigemptyset(&unblocked);
    sigprocmask(SIG_SETMASK, &unblocked, NULL);
    signal(SIGPIPE, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = open("/dev/null", O_WRONLY);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || devnull < 0 || dup2(devnull, 2) < 0)
        _exit(5);
    close_range(3, ~0U, 0);
    struct rlimit cpu = {(rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1};
    struct rlimit none = {0, 0};
    struct rlimit files = {16, 16};
    setrlimit(RLIMIT_CPU, &cpu);
    setrlimit(RLIMIT_FSIZE, &none);
    setrlimit(RLIMIT_CORE, &none);
    setrlimit(RLIMIT_NOFILE, &files);
#ifndef ASAN_BUILD
    struct rlimit mem = {(rlim_t)lim->memory_bytes, (rlim_t)lim->memory_bytes};
    setrlimit(RLIMIT_AS, &mem);
#endif
    setpriority(PRIO_PROCESS, 0, 10);
    execv("/proc/self/exe", argv);
    _exit(6);
}

/* Why a worker gave no description, as the module's refusal reason; NULL
 * when the fault is the server's (the worker could not run), not the
 * module's. */
static json_t *failure(int status, bool timed_out, bool flooded, const wh_wasm_check_limits *lim)
{
    char why[256];
    if (!timed_out && !flooded && WIFEXITED(status) && WEXITSTATUS(status) != 3)
        return NULL; /* 5, 6: no exec; 2: bad arguments; 4: no output */
    if (flooded)
        snprintf(why, sizeof why, "the module's description is over %zu bytes", MAX_OUTPUT);
    else if (timed_out)
        snprintf(why, sizeof why, "validation stopped: over the %" PRIu64 "-second time "
                 "limit (wasm-wall-seconds)", lim->wall_seconds);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)
        snprintf(why, sizeof why, "validation stopped: over the %" PRIu64 "-second CPU "
                 "limit (wasm-cpu-seconds)", lim->cpu_seconds);
    else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        snprintf(why, sizeof why, "validation stopped: killed by the kernel (over the CPU "
                 "hard limit, or out of memory)");
    else if (WIFSIGNALED(status))
        snprintf(why, sizeof why, "the validator crashed on this module (signal %d)",
                 WTERMSIG(status));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
        snprintf(why, sizeof why, "validation stopped: over the memory limit "
                 "(wasm-memory-bytes)");
    else
        snprintf(why, sizeof why, "the validator failed (exit status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return json_pack("{s:b, s:s, s:s}", "valid", 0, "error", why, "kind", "unknown");
}

int wh_wasm_check(const wh_wasm_check_limits *lim, wh_wasm_reader read_at, void *ctx,
                  uint64_t size, json_t **out, wh_err *err)
{
    *out = NULL;
    if (size > lim->max_bytes) {
        char why[160];
        snprintf(why, sizeof why, "the module is %" PRIu64 " bytes, over the %" PRIu64
                 "-byte limit (wasm-max-bytes)", size, lim->max_bytes);
        *out = json_pack("{s:b, s:s, s:s, s:I}", "valid", 0, "error", why, "kind", "unknown",
                         "size", (json_int_t)size);
        return *out ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    char max[32];
    snprintf(max, sizeof max, "%" PRIu64, lim->max_bytes);
    char *argv[] = {(char *)"wharfd", (char *)"--wasm-worker", max, NULL};
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (to_child[i] >= 0)
                close(to_child[i]);
        }
        return wh_err_set(err, WH_EIO, "cannot start the wasm validator: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid == 0)
        child(to_child[0], from_child[1], lim, argv);
    close(to_child[0]);
    close(from_child[1]);
    if (pid < 0) {
        close(to_child[1]);
        close(from_child[0]);
        return wh_err_set(err, WH_EIO, "cannot start the wasm validator: %s", strerror(errno));
    }
    fcntl(to_child[1], F_SETFL, O_NONBLOCK);
    fcntl(from_child[0], F_SETFL, O_NONBLOCK);

    double deadline = now_s() + (double)lim->wall_seconds;
    char inbuf[1 << 16];
    size_t in_len = 0, in_off = 0;
    uint64_t sent = 0;
    char *outbuf = NULL;
    size_t out_len = 0, out_cap = 0;
    bool timed_out = false, writing = true, reading = true, flooded = false;
    int rc = 0;
    while (reading) {
        if (writing && in_off == in_len) {
            if (sent == size) {
                close(to_child[1]);
                to_child[1] = -1;
                writing = false;
            } else {
                ssize_t n = read_at(ctx, sent, inbuf, sizeof inbuf, err);
                if (n <= 0) {
                    rc = n < 0 ? (int)n : wh_err_set(err, WH_EIO, "the module ended early");
                    break;
                }
                in_len = (size_t)n;
                in_off = 0;
            }
        }
        struct pollfd p[2] = {{from_child[0], POLLIN, 0}, {writing ? to_child[1] : -1, POLLOUT, 0}};
        double left = deadline - now_s();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int pr = poll(p, 2, (int)(left * 1000) + 1);
        if (pr < 0 && errno != EINTR) {
            rc = wh_err_set(err, WH_EIO, "waiting for the wasm validator: %s", strerror(errno));
            break;
        }
        if (writing && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(to_child[1], inbuf + in_off, in_len - in_off);
            if (w > 0) {
                in_off += (size_t)w;
                sent += (uint64_t)w;
                if (in_off == in_len)
                    in_off = in_len = 0;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                /* The worker stopped reading: it died, or decided early. */
                close(to_child[1]);
                to_child[1] = -1;
                writing = false;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (out_len == out_cap) {
                size_t nc = out_cap ? out_cap * 2 : 1 << 14;
                char *nb = nc <= MAX_OUTPUT ? realloc(outbuf, nc) : NULL;
                if (!nb) {
                    flooded = true; /* over MAX_OUTPUT: treated as a failed worker */
                    out_len = 0;
                    break;
                }
                outbuf = nb;
                out_cap = nc;
            }
            ssize_t n = read(from_child[0], outbuf + out_len, out_cap - out_len);
            if (n > 0)
                out_len += (size_t)n;
            else if (n == 0)
                reading = false;
            else if (errno != EAGAIN && errno != EINTR)
                reading = false;
        }
    }
    if (to_child[1] >= 0)
        close(to_child[1]);
    close(from_child[0]);
    if (timed_out || rc || reading || flooded)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!rc) {
        json_error_t je;
        json_t *doc = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0 && out_len
                          ? json_loadb(outbuf, out_len, 0, &je)
                          : NULL;
        if (json_is_object(doc)) {
            *out = doc;
        } else {
            json_decref(doc);
            *out = failure(status, timed_out, flooded, lim);
            if (!*out)
                rc = wh_err_set(err, WH_EIO, "the wasm validator could not run (exit status "
                                "%d); try again later", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        }
    }
    free(outbuf);
    return rc;
}
