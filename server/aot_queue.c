/*
 * aot_queue.c - the AOT build queue and its builders (see aot_queue.h).
 */
#include "aot_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aot_build.h"
#include "schema/attestation.h"
#include "schema/base64.h"
#include "server.h"
#include "wasm_describe.h"

#define MAX_TARGETS 16
#define MAX_BUILDERS 16
#define LOG_MAX (64 * 1024)
/* How long a stop lets a build end by itself before killing its group. */
#define STOP_GRACE_SECONDS 10

#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#endif

typedef struct wh_aot_queue wh_aot_queue;

typedef struct builder_arg {
    wh_aot_queue *q;
    size_t index;
} builder_arg;

typedef struct aot_target {
    char *triple;
    char toolchain[1024];
} aot_target;

struct wh_aot_queue {
    wh_server *srv;
    aot_target targets[MAX_TARGETS];
    size_t n_targets;
    char *targets_text;
    pthread_t threads[MAX_BUILDERS];
    builder_arg args[MAX_BUILDERS];
    pid_t running[MAX_BUILDERS];       /* the build each builder waits for, or 0 */
    size_t n_threads;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_bool stopping;
};

const char *wh_aot_queue_toolchain(const wh_aot_queue *q, const char *triple)
{
    for (size_t i = 0; q && i < q->n_targets; i++)
        if (strcmp(q->targets[i].triple, triple) == 0)
            return q->targets[i].toolchain;
    return NULL;
}

const char *wh_aot_queue_targets(const wh_aot_queue *q)
{
    return q && q->targets_text ? q->targets_text : "";
}

int wh_aot_queue_module(wh_aot_queue *q, const char *sha256, const json_t *desc, wh_err *err)
{
    if (!q)
        return 0;
    char why[256];
    bool possible = wh_wasm_aot_possible(desc, why, sizeof why);
    int added = 0;
    for (size_t i = 0; i < q->n_targets; i++) {
        int rc = wh_meta_aot_enqueue(q->srv->meta, sha256, q->targets[i].triple,
                                     q->targets[i].toolchain, possible ? NULL : why, err);
        if (rc < 0)
            return rc;
        added += rc;
    }
    if (added) {
        pthread_mutex_lock(&q->lock);
        pthread_cond_broadcast(&q->wake);
        pthread_mutex_unlock(&q->lock);
    }
    return 0;
}

/* ---- one build ---- */

/* Copies the stored module into a file the build can read. */
static int module_to_file(wh_server *srv, const char *sha, const char *path, wh_err *err)
{
    wh_blob b;
    int rc = wh_store_open_blob(srv->store, sha, &b, err);
    if (rc)
        return rc;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        wh_blob_close(&b);
        return wh_err_set(err, WH_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    char buf[1 << 16];
    uint64_t off = 0;
    while (off < b.size && !rc) {
        ssize_t n = wh_blob_read(&b, off, buf, sizeof buf, err);
        if (n <= 0) {
            rc = n < 0 ? (int)n : wh_err_set(err, WH_EIO, "module %s ended early", sha);
            break;
        }
        if (write(fd, buf, (size_t)n) != n)
            rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", path, strerror(errno));
        off += (uint64_t)n;
    }
    close(fd);
    wh_blob_close(&b);
    return rc;
}

/* Stores the built artifact as a parcel; fills sha and size. */
static int store_artifact(wh_server *srv, const char *path, char sha[65], uint64_t *size,
                          wh_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wh_err_set(err, WH_EIO, "cannot read the artifact: %s", strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[1 << 16], d[32];
    ssize_t n;
    int rc = 0;
    *size = 0;
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        rc = wh_err_set(err, WH_ENOMEM, "SHA-256 failed");
        goto done;
    }
    /* The name first (the store wants it up front), then the bytes, which
     * the store hashes again and checks against it. */
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (!EVP_DigestUpdate(md, buf, (size_t)n)) {
            rc = wh_err_set(err, WH_ENOMEM, "SHA-256 failed");
            goto done;
        }
        *size += (uint64_t)n;
    }
    if (n < 0 || !EVP_DigestFinal_ex(md, d, NULL)) {
        rc = wh_err_set(err, WH_EIO, "cannot read the artifact: %s",
                        n < 0 ? strerror(errno) : "SHA-256 failed");
        goto done;
    }
    for (int i = 0; i < 32; i++)
        snprintf(sha + 2 * i, 3, "%02x", d[i]);
    wh_upload *up = NULL;
    rc = wh_store_upload_begin(srv->store, sha, *size, &up, err);
    off_t off = 0;
    while (!rc && (n = pread(fd, buf, sizeof buf, off)) > 0) {
        rc = wh_upload_write(up, buf, (size_t)n, err);
        off += n;
    }
    if (!rc && n < 0)
        rc = wh_err_set(err, WH_EIO, "cannot read the artifact: %s", strerror(errno));
    if (!rc) {
        rc = wh_upload_commit(up, err);
        up = NULL;
    }
    wh_upload_abort(up);
    if (!rc)
        rc = wh_meta_parcel_add(srv->meta, sha, *size, err);
done:
    EVP_MD_CTX_free(md);
    close(fd);
    return rc;
}

static char *read_log(const char *path)
{
    char *buf = calloc(1, LOG_MAX + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (buf && fd >= 0) {
        ssize_t n = read(fd, buf, LOG_MAX);
        buf[n > 0 ? n : 0] = '\0';
    }
    if (fd >= 0)
        close(fd);
    return buf;
}

/* Runs `wharfd --aot-worker` for the claimed build and waits for it. */
static int run_worker(wh_aot_queue *q, size_t index, char *const *argv, int *status)
{
    pthread_mutex_lock(&q->lock);
    if (atomic_load(&q->stopping)) {
        pthread_mutex_unlock(&q->lock);
        return 1;
    }
    const wh_config *cfg = &q->srv->cfg;
    struct rlimit cpu = {(rlim_t)cfg->aot_cpu_seconds, (rlim_t)cfg->aot_cpu_seconds + 1};
#ifndef ASAN_BUILD
    struct rlimit mem = {(rlim_t)cfg->aot_memory_bytes, (rlim_t)cfg->aot_memory_bytes};
#endif
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        /* wharfd blocks SIGTERM and ignores SIGPIPE: the worker must get
         * the TERM of a stop, which it turns into killing its tool. */
        sigset_t unblocked;
        sigemptyset(&unblocked);
        sigprocmask(SIG_SETMASK, &unblocked, NULL);
        signal(SIGPIPE, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        close_range(3, ~0U, 0);
        /* The worker itself describes the module and writes the glue: it
         * gets the limits its tools get. */
        setrlimit(RLIMIT_CPU, &cpu);
#ifndef ASAN_BUILD
        setrlimit(RLIMIT_AS, &mem);
#endif
        setpriority(PRIO_PROCESS, 0, 10);
        execv("/proc/self/exe", argv);
        _exit(1);
    }
    if (pid > 0) {
        setpgid(pid, pid);
        q->running[index] = pid;
    }
    pthread_mutex_unlock(&q->lock);
    if (pid < 0)
        return -1;
    /* Waits, but not forever: past the wall limit (plus a margin for the
     * worker's own steps), or soon after a stop asked it to end, the whole
     * group is killed. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double stop_at = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double t = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
        bool stopping = atomic_load(&q->stopping);
        if (stopping && stop_at == 0)
            stop_at = t + STOP_GRACE_SECONDS;
        if ((stop_at > 0 && t > stop_at) || t > (double)cfg->aot_wall_seconds + 60)
            kill(-pid, SIGKILL);
        struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    pthread_mutex_lock(&q->lock);
    q->running[index] = 0;
    pthread_mutex_unlock(&q->lock);
    return 0;
}

static void build_one(wh_aot_queue *q, size_t index, wh_aot_rec *r)
{
    wh_server *srv = q->srv;
    wh_err e;
    char dir[4200], module[4300], out[4300], logp[4300];
    char max[32], cpu[32], mem[32], wall[32];
    const wh_config *cfg = &srv->cfg;
    const char *current = wh_aot_queue_toolchain(q, r->target);
    if (!current || strcmp(current, r->toolchain) != 0) {
        /* Queued for a toolchain (or target) this server no longer has:
         * building it now would attest tools that were not used.  A
         * request for the artifact queues it for the current toolchain. */
        snprintf(r->state, sizeof r->state, "failed");
        r->reason = strdup(current ? "the toolchain changed since this build was queued"
                                   : "this server no longer builds for this target");
        if (wh_meta_aot_finish(srv->meta, r, &e) != 0)
            wh_log(srv, WH_LOG_ERROR, "aot: cannot record a build: %s", e.msg);
        return;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/wharf-aot-job.XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(r->state, sizeof r->state, "failed");
        char why[256];
        snprintf(why, sizeof why, "cannot make a temporary directory: %s", strerror(errno));
        r->reason = strdup(why);
        if (wh_meta_aot_finish(srv->meta, r, &e) != 0)
            wh_log(srv, WH_LOG_ERROR, "aot: cannot record a build: %s", e.msg);
        return;
    }
    snprintf(module, sizeof module, "%s/module.wasm", dir);
    snprintf(out, sizeof out, "%s/artifact.so", dir);
    snprintf(logp, sizeof logp, "%s/build.log", dir);
    snprintf(max, sizeof max, "%" PRIu64, cfg->aot_max_module_bytes);
    snprintf(cpu, sizeof cpu, "%" PRIu64, cfg->aot_cpu_seconds);
    snprintf(mem, sizeof mem, "%" PRIu64, cfg->aot_memory_bytes);
    snprintf(wall, sizeof wall, "%" PRIu64, cfg->aot_wall_seconds);
    char *argv[] = {(char *)"wharfd", (char *)"--aot-worker", module, r->target, out, logp,
                    max, cpu, mem, wall, NULL};
    int status = 0, ran = -2;
    if (module_to_file(srv, r->source_sha, module, &e) != 0) {
        snprintf(r->state, sizeof r->state, "failed");
        r->reason = strdup(e.msg);
    } else if ((ran = run_worker(q, index, argv, &status)) == 1 ||
               (ran == 0 && atomic_load(&q->stopping))) {
        goto cleanup; /* stopping: it stays building, and is queued again at start */
    } else if (ran < 0) {
        snprintf(r->state, sizeof r->state, "failed");
        r->reason = strdup("cannot start the build process");
    } else {
        r->log = read_log(logp);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            uint64_t size = 0;
            if (store_artifact(srv, out, r->artifact_sha, &size, &e) != 0) {
                snprintf(r->state, sizeof r->state, "failed");
                r->reason = strdup(e.msg);
            } else {
                r->artifact_size = size;
                char *text = wh_aot_attestation_text(r->source_sha, r->target, r->toolchain,
                                                     r->artifact_sha);
                unsigned char sig[WH_ED25519_SIG_LEN];
                char b64[WH_SIG_B64_LEN + 1];
                if (text && wh_ed25519_sign(srv->host_key->seed, text, strlen(text), sig, &e) == 0) {
                    wh_base64_encode(sig, sizeof sig, b64);
                    r->attestation = strdup(b64);
                    snprintf(r->state, sizeof r->state, "done");
                } else {
                    snprintf(r->state, sizeof r->state, "failed");
                    r->reason = strdup("cannot sign the attestation");
                }
                free(text);
            }
        } else {
            bool declined = WIFEXITED(status) && WEXITSTATUS(status) == 3;
            snprintf(r->state, sizeof r->state, declined ? "declined" : "failed");
            /* The log's first line is the builder's verdict. */
            char line[512] = "the build failed";
            if (r->log && *r->log)
                snprintf(line, sizeof line, "%.*s", (int)strcspn(r->log, "\n"), r->log);
            if (WIFSIGNALED(status))
                snprintf(line, sizeof line, "the build was killed (signal %d)",
                         WTERMSIG(status));
            r->reason = strdup(line);
        }
    }
    if (wh_meta_aot_finish(srv->meta, r, &e) != 0)
        wh_log(srv, WH_LOG_ERROR, "aot: cannot record a build: %s", e.msg);
    else
        wh_log(srv, WH_LOG_INFO, "aot: %s for %s: %s%s%s", r->source_sha, r->target, r->state,
               r->reason ? ": " : "", r->reason ? r->reason : "");
cleanup:
    unlink(module);
    unlink(out);
    unlink(logp);
    rmdir(dir);
}

static void *builder(void *arg)
{
    builder_arg *a = arg;
    wh_aot_queue *q = a->q;
    for (;;) {
        if (atomic_load(&q->stopping))
            break;
        wh_aot_rec r;
        wh_err e;
        int got = wh_meta_aot_claim(q->srv->meta, &r, &e);
        if (got < 0)
            wh_log(q->srv, WH_LOG_ERROR, "aot: %s", e.msg);
        if (got == 1) {
            build_one(q, a->index, &r);
            wh_aot_rec_clear(&r);
            continue;
        }
        /* Nothing queued: wait to be woken, or look again in a while. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 5;
        pthread_mutex_lock(&q->lock);
        if (!atomic_load(&q->stopping))
            pthread_cond_timedwait(&q->wake, &q->lock, &until);
        pthread_mutex_unlock(&q->lock);
    }
    return NULL;
}

static void free_queue(wh_aot_queue *q)
{
    for (size_t i = 0; i < q->n_targets; i++)
        free(q->targets[i].triple);
    free(q->targets_text);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    free(q);
}

int wh_aot_queue_start(wh_server *srv, wh_aot_queue **out, wh_err *err)
{
    *out = NULL;
    const char *list = srv->cfg.aot_targets;
    if (!list || !*list)
        return 0;
    wh_aot_queue *q = calloc(1, sizeof *q);
    if (!q)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    q->srv = srv;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    q->targets_text = strdup(list);
    char *copy = strdup(list), *save = NULL;
    int rc = q->targets_text && copy ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
    for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t && !rc;
         t = strtok_r(NULL, ", ", &save)) {
        char why[256];
        if (q->n_targets == MAX_TARGETS) {
            rc = wh_err_set(err, WH_EINVAL, "aot-targets: at most %d targets", MAX_TARGETS);
        } else if (!wh_aot_target_supported(t, why, sizeof why)) {
            rc = wh_err_set(err, WH_EINVAL, "aot-targets: %s: %s", t, why);
        } else {
            aot_target *tg = &q->targets[q->n_targets];
            tg->triple = strdup(t);
            if (!tg->triple)
                rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            else if (!(rc = wh_aot_toolchain_id(t, tg->toolchain, sizeof tg->toolchain, err)))
                q->n_targets++;
            else
                free(tg->triple);
        }
    }
    free(copy);
    if (!rc) {
        int n = wh_meta_aot_requeue_building(srv->meta, err);
        rc = n < 0 ? n : 0;
        if (n > 0)
            wh_log(srv, WH_LOG_WARN, "aot: %d build%s cut off by the last stop queued again",
                   n, n == 1 ? "" : "s");
    }
    if (rc) {
        free_queue(q);
        return rc;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = srv->cfg.aot_workers ? (size_t)srv->cfg.aot_workers
                                       : (size_t)(cores > 1 ? cores - 1 : 1);
    if (want > MAX_BUILDERS)
        want = MAX_BUILDERS;
    for (size_t i = 0; i < want; i++) {
        q->args[i] = (builder_arg){q, i};
        if (pthread_create(&q->threads[i], NULL, builder, &q->args[i]) != 0)
            break;
        q->n_threads++;
    }
    *out = q;
    return 0;
}

void wh_aot_queue_stop(wh_aot_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    atomic_store(&q->stopping, true);
    /* TERM first: the worker kills its tool's group and its build cleans
     * up; run_worker kills the whole group if that takes too long. */
    for (size_t i = 0; i < q->n_threads; i++)
        if (q->running[i] > 0)
            kill(q->running[i], SIGTERM);
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
    for (size_t i = 0; i < q->n_threads; i++)
        pthread_join(q->threads[i], NULL);
    free_queue(q);
}

/* ---- the worker process ---- */

static void on_term(int sig)
{
    (void)sig;
    wh_aot_build_cancel();
}

int wh_aot_worker_main(int argc, char **argv)
{
    if (argc != 10)
        return 2;
    /* A stop: kill the running tool; the build then fails and removes its
     * temporary directory, and this process ends. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    wh_aot_limits lim = wh_aot_default_limits;
    lim.max_module_bytes = strtoull(argv[6], NULL, 10);
    lim.cpu_seconds = strtoull(argv[7], NULL, 10);
    lim.memory_bytes = strtoull(argv[8], NULL, 10);
    lim.wall_seconds = strtoull(argv[9], NULL, 10);
    char *log = NULL;
    wh_err e;
    wh_err_clear(&e);
    int rc = wh_aot_build(argv[2], argv[3], NULL, &lim, argv[4], &log, &e);
    FILE *f = fopen(argv[5], "w");
    if (f) {
        if (rc)
            fprintf(f, "%s\n", e.msg);
        if (log)
            fputs(log, f);
        fclose(f);
    }
    free(log);
    return rc == 0 ? 0 : rc == WH_EUNPROC ? 3 : 1;
}
