/*
 * store_fs.c - the parcel store on a local filesystem (see store.h).
 *
 * Layout: DIR/ab/cdef... holds the parcel whose sha256 is "abcdef...",
 * DIR/.tmp holds uploads in progress and DIR/.sessions upload sessions
 * (store_session.c).  Parcel directories are two hex digits, so the dot
 * directories are never mistaken for them.
 *
 * How an upload stays atomic: the bytes go into an anonymous O_TMPFILE in
 * DIR/.tmp, so the kernel drops them by itself if the process dies; only a
 * verified, fsynced file is given a name, with linkat(), which fails with
 * EEXIST instead of replacing a parcel that is already there (that is the
 * deduplication, and why concurrent uploads of one parcel are safe).  On a
 * filesystem without O_TMPFILE we fall back to a named temporary file that
 * abort unlinks and wh_store_open_fs sweeps after a crash, and renameat2
 * with RENAME_NOREPLACE.
 *
 * Why sync_file_range: an fsync at the end of a 64 MiB upload would wait for
 * all 64 MiB to reach the disk after the last byte arrived.  Starting the
 * write-back of each WRITEBACK_STEP as it fills overlaps the disk with the
 * network and the hashing, so the final fsync only waits for the tail.
 *
 * Why a writer thread: the server hands us the body in pieces the size of
 * libmicrohttpd's connection pool (about 32 KiB), and hashing and writing
 * each piece on the request thread kept that thread busy for twice as long
 * as receiving it.  Bytes are copied into one of WBUF_COUNT buffers of up to
 * WBUF_SIZE; a full buffer goes to a thread of the upload's own, which
 * hashes it and writes it in one call while the request thread receives the
 * next.  Buffers are hashed in file order, so the digest is the same.  An
 * upload that fits in one buffer never starts the thread: it is hashed and
 * written in one call when it is verified.  Memory: WBUF_COUNT * WBUF_SIZE per upload
 * at most (max-uploads bounds how many run at once), freed when it ends.
 * Nothing written is visible before commit, so the buffering changes no
 * guarantee: verify drains every buffer before it says yes, and commit's
 * fdatasync comes after that.
 */
#include "store.h"
#include "store_fs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define WRITEBACK_STEP ((uint64_t)8 << 20)
#define WBUF_SIZE ((size_t)1 << 20)
#define WBUF_COUNT 2

struct wh_upload {
    wh_store *store;
    char sha256[65];
    uint64_t size;        /* announced */
    uint64_t received;
    uint64_t synced;      /* write-back started up to here */
    int fd;
    char tmpname[64];     /* fallback mode only: name in .tmp; "" otherwise */
    EVP_MD_CTX *md;
    int verified;         /* 0 not yet; 1 size and digest right; <0 the failure */
    char why[WH_ERR_MSG_MAX];  /* the failure's message */

    /* Buffers: the caller fills buf[cur]; the writer owns the `queued`
     * buffers before it, oldest at `head`.  Only the fields after `mu` are
     * shared with the writer, and only under mu. */
    unsigned char *buf[WBUF_COUNT];
    size_t cap;           /* each buffer's size: min(size, WBUF_SIZE) */
    size_t fill;          /* bytes in buf[cur] */
    unsigned cur;
    uint64_t buffered_at; /* file offset of buf[cur]'s first byte */
    bool have_writer;
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned queued, head;
    size_t qlen[WBUF_COUNT];
    uint64_t qoff[WBUF_COUNT];
    bool stop;
    int werrno;           /* the first failed write's errno; 0 none */
};

int wh_store_fs_io_code(int e)
{
    return e == ENOSPC || e == EDQUOT ? WH_ENOSPACE : WH_EIO;
}

static int errno_err(wh_err *err, const char *what, const char *path)
{
    return wh_err_set(err, WH_EIO, "%s %s: %s", what, path, strerror(errno));
}

/* Removes named temporary files left by a crash in fallback mode. */
static void sweep_tmp(int tmpfd)
{
    int fd = dup(tmpfd);
    if (fd < 0)
        return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "upload-", 7) == 0)
            unlinkat(tmpfd, de->d_name, 0);
    }
    closedir(d);
}

int wh_store_open_fs(const char *dir, wh_store **out, wh_err *err)
{
    *out = NULL;
    wh_store *s = calloc(1, sizeof *s);
    if (!s)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    s->dirfd = s->tmpfd = s->sessfd = -1;
    s->dir = strdup(dir);
    if (!s->dir) {
        free(s);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    int rc;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = errno_err(err, "cannot create parcel directory", dir);
        goto fail;
    }
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        rc = errno_err(err, "cannot open parcel directory", dir);
        goto fail;
    }
    if (mkdirat(s->dirfd, ".tmp", 0700) != 0 && errno != EEXIST) {
        rc = errno_err(err, "cannot create", ".tmp in the parcel directory");
        goto fail;
    }
    s->tmpfd = openat(s->dirfd, ".tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->tmpfd < 0) {
        rc = errno_err(err, "cannot open", ".tmp in the parcel directory");
        goto fail;
    }
    int probe = openat(s->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (probe >= 0) {
        s->have_tmpfile = true;
        close(probe);
    }
    sweep_tmp(s->tmpfd);
    rc = wh_store_sessions_open(s, err);
    if (rc)
        goto fail;
    *out = s;
    return 0;
fail:
    wh_store_close(s);
    return rc;
}

void wh_store_close(wh_store *s)
{
    if (!s)
        return;
    wh_store_sessions_close(s);
    if (s->tmpfd >= 0)
        close(s->tmpfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->dir);
    free(s);
}

/* "ab/cdef..." for a sha; buf must hold 66 bytes. */
static void parcel_relpath(const char *sha256, char *buf)
{
    buf[0] = sha256[0];
    buf[1] = sha256[1];
    buf[2] = '/';
    memcpy(buf + 3, sha256 + 2, 62);
    buf[65] = '\0';
}

bool wh_store_fs_sha_ok(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++) {
        if (i >= 64 || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return i == 64;
}

int wh_store_upload_begin(wh_store *s, const char *sha256, uint64_t size,
                          wh_upload **out, wh_err *err)
{
    *out = NULL;
    if (!wh_store_fs_sha_ok(sha256))
        return wh_err_set(err, WH_EINVAL, "\"%.80s\" is not a sha256 (64 lowercase hex digits)", sha256);
    wh_upload *u = calloc(1, sizeof *u);
    if (!u)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    u->store = s;
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    memcpy(u->sha256, sha256, 65);
    u->size = size;
    u->fd = -1;
    int rc;
    if (s->have_tmpfile) {
        u->fd = openat(s->tmpfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    } else {
        static unsigned counter;
        for (int tries = 0; tries < 100 && u->fd < 0; tries++) {
            snprintf(u->tmpname, sizeof u->tmpname, "upload-%d-%u-%u", (int)getpid(),
                     __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED), (unsigned)random());
            u->fd = openat(s->tmpfd, u->tmpname, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
            if (u->fd < 0 && errno != EEXIST)
                break;
        }
    }
    if (u->fd < 0) {
        rc = errno_err(err, "cannot create a temporary file in", s->dir);
        u->tmpname[0] = '\0';
        goto fail;
    }
    u->md = EVP_MD_CTX_new();
    if (!u->md || !EVP_DigestInit_ex(u->md, EVP_sha256(), NULL)) {
        rc = wh_err_set(err, WH_ENOMEM, "cannot start SHA-256");
        goto fail;
    }
    if (size > 0) {
        u->cap = size < WBUF_SIZE ? (size_t)size : WBUF_SIZE;
        u->buf[0] = malloc(u->cap);
        if (!u->buf[0]) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory for parcel %s", sha256);
            goto fail;
        }
    }
    *out = u;
    return 0;
fail:
    wh_upload_abort(u);
    return rc;
}

/* Hashes one buffer, writes it at its offset and starts its write-back;
 * 0 or an errno.  Called for buffers in file order only. */
static int write_chunk(wh_upload *u, const unsigned char *p, size_t len, uint64_t off)
{
    if (!EVP_DigestUpdate(u->md, p, len))
        return ENOMEM;
    while (len > 0) {
        ssize_t n = pwrite(u->fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    if (off - u->synced >= WRITEBACK_STEP) {
        /* Best effort: a failure here only makes the final fsync slower. */
        sync_file_range(u->fd, (off64_t)u->synced, (off64_t)(off - u->synced),
                        SYNC_FILE_RANGE_WRITE);
        u->synced = off;
    }
    return 0;
}

/* The writer thread: writes queued buffers in order until told to stop.
 * After a failure it keeps taking buffers without writing them, so that
 * the caller never waits for a slot forever; the caller sees werrno. */
static void *writer_main(void *arg)
{
    wh_upload *u = arg;
    pthread_mutex_lock(&u->mu);
    for (;;) {
        while (u->queued == 0 && !u->stop)
            pthread_cond_wait(&u->cv, &u->mu);
        if (u->stop)
            break;
        unsigned i = u->head;
        int failed = u->werrno;
        pthread_mutex_unlock(&u->mu);
        int e = failed ? 0 : write_chunk(u, u->buf[i], u->qlen[i], u->qoff[i]);
        pthread_mutex_lock(&u->mu);
        if (e && !u->werrno)
            u->werrno = e;
        u->head = (i + 1) % WBUF_COUNT;
        u->queued--;
        pthread_cond_broadcast(&u->cv);
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

/* Stops the writer; buffers still queued are dropped (drain first to keep
 * them). */
static void stop_writer(wh_upload *u)
{
    if (!u->have_writer)
        return;
    pthread_mutex_lock(&u->mu);
    u->stop = true;
    pthread_cond_broadcast(&u->cv);
    pthread_mutex_unlock(&u->mu);
    pthread_join(u->writer, NULL);
    u->have_writer = false;
}

static int write_err(wh_upload *u, int e, wh_err *err)
{
    return wh_err_set(err, wh_store_fs_io_code(e), "cannot write parcel %s: %s", u->sha256,
                      strerror(e));
}

/* Hands buf[cur] to the writer and moves on to a free buffer, waiting for
 * one when all are queued.  Starts the writer on first use; when it cannot
 * be started, writes here instead. */
static int submit(wh_upload *u, wh_err *err)
{
    unsigned next = (u->cur + 1) % WBUF_COUNT;
    if (!u->buf[next]) {
        u->buf[next] = malloc(u->cap);
        if (!u->buf[next])
            return wh_err_set(err, WH_ENOMEM, "out of memory for parcel %s", u->sha256);
    }
    if (!u->have_writer && pthread_create(&u->writer, NULL, writer_main, u) == 0)
        u->have_writer = true;
    if (!u->have_writer) {
        int e = write_chunk(u, u->buf[u->cur], u->fill, u->buffered_at);
        if (e)
            return write_err(u, e, err);
    } else {
        pthread_mutex_lock(&u->mu);
        u->qlen[u->cur] = u->fill;
        u->qoff[u->cur] = u->buffered_at;
        u->queued++;
        pthread_cond_broadcast(&u->cv);
        while (u->queued == WBUF_COUNT)
            pthread_cond_wait(&u->cv, &u->mu);
        int e = u->werrno;
        pthread_mutex_unlock(&u->mu);
        if (e)
            return write_err(u, e, err);
    }
    u->cur = next;
    u->buffered_at += u->fill;
    u->fill = 0;
    return 0;
}

/* Writes everything still buffered and waits until it is in the file. */
static int drain(wh_upload *u, wh_err *err)
{
    if (u->have_writer) {
        int rc = u->fill > 0 ? submit(u, err) : 0;
        pthread_mutex_lock(&u->mu);
        while (u->queued > 0)
            pthread_cond_wait(&u->cv, &u->mu);
        int e = u->werrno;
        pthread_mutex_unlock(&u->mu);
        stop_writer(u);
        if (rc)
            return rc;
        return e ? write_err(u, e, err) : 0;
    }
    if (u->fill > 0) {
        int e = write_chunk(u, u->buf[u->cur], u->fill, u->buffered_at);
        if (e)
            return write_err(u, e, err);
        u->buffered_at += u->fill;
        u->fill = 0;
    }
    return 0;
}

int wh_upload_write(wh_upload *u, const void *buf, size_t len, wh_err *err)
{
    if (len > u->size - u->received)
        return wh_err_set(err, WH_ETOOBIG,
                          "parcel %s is larger than the %llu bytes its label says",
                          u->sha256, (unsigned long long)u->size);
    const unsigned char *p = buf;
    size_t left = len;
    while (left > 0) {
        if (u->fill == u->cap) {
            int rc = submit(u, err);
            if (rc)
                return rc;
        }
        size_t n = u->cap - u->fill < left ? u->cap - u->fill : left;
        memcpy(u->buf[u->cur] + u->fill, p, n);
        u->fill += n;
        p += n;
        left -= n;
    }
    u->received += len;
    return 0;
}

uint64_t wh_upload_received(const wh_upload *u)
{
    return u->received;
}

/* Makes sure DIR/ab exists; fsyncs DIR when it had to create it. */
static int ensure_fanout_dir(wh_store *s, const char *sha256, int *out_fd, wh_err *err)
{
    char sub[3] = {sha256[0], sha256[1], '\0'};
    if (mkdirat(s->dirfd, sub, 0755) == 0) {
        fsync(s->dirfd);
    } else if (errno != EEXIST) {
        return errno_err(err, "cannot create parcel directory", sub);
    }
    *out_fd = openat(s->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*out_fd < 0)
        return errno_err(err, "cannot open parcel directory", sub);
    return 0;
}

/* The digest can be finished once, so the verdict is kept. */
static int verify(wh_upload *u, wh_err *err)
{
    if (u->verified == 0) {
        wh_err e;
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        char hex[65];
        if (u->received != u->size) {
            u->verified = wh_err_set(&e, WH_EINVAL, "size mismatch for parcel %s: the label "
                                     "says %llu bytes, %llu arrived", u->sha256,
                                     (unsigned long long)u->size,
                                     (unsigned long long)u->received);
        } else if (drain(u, &e) != 0) {
            u->verified = e.code;
        } else if (!EVP_DigestFinal_ex(u->md, md, &mdlen) || mdlen != 32) {
            u->verified = wh_err_set(&e, WH_EIO, "SHA-256 failed");
        } else {
            for (unsigned i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
            u->verified = memcmp(hex, u->sha256, 64) == 0
                ? 1
                : wh_err_set(&e, WH_EINVAL, "digest mismatch: the bytes sent hash to %s, "
                             "not %s", hex, u->sha256);
        }
        if (u->verified < 0)
            snprintf(u->why, sizeof u->why, "%s", e.msg);
    }
    return u->verified < 0 ? wh_err_set(err, u->verified, "%s", u->why) : 0;
}

int wh_upload_verify(wh_upload *u, wh_err *err)
{
    return verify(u, err);
}

ssize_t wh_upload_pread(wh_upload *u, uint64_t offset, void *buf, size_t len, wh_err *err)
{
    if (u->verified != 1)
        return wh_err_set(err, WH_EINVAL, "parcel %s is not complete and checked", u->sha256);
    if (offset >= u->size)
        return 0;
    if (len > u->size - offset)
        len = (size_t)(u->size - offset);
    for (;;) {
        ssize_t n = pread(u->fd, buf, len, (off_t)offset);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return wh_err_set(err, WH_EIO, "cannot read back parcel %s: %s", u->sha256,
                              strerror(errno));
    }
}

int wh_store_fs_place(wh_store *s, int fd, int namedirfd, const char *name,
                      const char *sha256, bool *renamed, wh_err *err)
{
    *renamed = false;
    if (fdatasync(fd) != 0)
        return wh_err_set(err, wh_store_fs_io_code(errno), "cannot sync parcel %s: %s", sha256,
                          strerror(errno));
    int subfd = -1;
    int rc = ensure_fanout_dir(s, sha256, &subfd, err);
    if (rc)
        return rc;
    char rel[66];
    parcel_relpath(sha256, rel);
    const char *leaf = rel + 3;
    int r;
    if (!name) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        r = linkat(AT_FDCWD, proc, subfd, leaf, AT_SYMLINK_FOLLOW);
    } else {
        r = renameat2(namedirfd, name, subfd, leaf, RENAME_NOREPLACE);
        if (r != 0 && (errno == EINVAL || errno == ENOSYS)) {
            /* NFS and some FUSE filesystems lack RENAME_NOREPLACE; link()
             * refuses to replace too, and the caller unlinks the old name. */
            r = linkat(namedirfd, name, subfd, leaf, 0);
        } else if (r == 0) {
            *renamed = true;
        }
    }
    if (r != 0 && errno != EEXIST) {
        rc = wh_err_set(err, WH_EIO, "cannot store parcel %s: %s", sha256, strerror(errno));
        goto done;
    }
    /* The name must be as durable as the bytes before we say "stored". */
    if (r == 0 && fsync(subfd) != 0)
        rc = wh_err_set(err, WH_EIO, "cannot sync parcel directory for %s: %s", sha256,
                        strerror(errno));
done:
    close(subfd);
    return rc;
}

int wh_upload_commit(wh_upload *u, wh_err *err)
{
    int rc = verify(u, err);
    if (!rc) {
        bool renamed = false;
        rc = wh_store_fs_place(u->store, u->fd, u->store->tmpfd,
                               u->tmpname[0] ? u->tmpname : NULL, u->sha256, &renamed, err);
        if (renamed)
            u->tmpname[0] = '\0';
    }
    wh_upload_abort(u);
    return rc;
}

void wh_upload_abort(wh_upload *u)
{
    if (!u)
        return;
    stop_writer(u);
    for (unsigned i = 0; i < WBUF_COUNT; i++)
        free(u->buf[i]);
    pthread_cond_destroy(&u->cv);
    pthread_mutex_destroy(&u->mu);
    if (u->fd >= 0)
        close(u->fd);
    if (u->tmpname[0])
        unlinkat(u->store->tmpfd, u->tmpname, 0);
    EVP_MD_CTX_free(u->md);
    free(u);
}

int wh_store_has(wh_store *s, const char *sha256, uint64_t *size, wh_err *err)
{
    if (!wh_store_fs_sha_ok(sha256))
        return 0;
    char rel[66];
    parcel_relpath(sha256, rel);
    struct stat st;
    if (fstatat(s->dirfd, rel, &st, 0) != 0) {
        if (errno == ENOENT)
            return 0;
        return errno_err(err, "cannot stat parcel", sha256);
    }
    if (size)
        *size = (uint64_t)st.st_size;
    return 1;
}

int wh_store_open_blob(wh_store *s, const char *sha256, wh_blob *out, wh_err *err)
{
    out->fd = -1;
    out->size = 0;
    out->impl = NULL;
    if (!wh_store_fs_sha_ok(sha256))
        return wh_err_set(err, WH_ENOTFOUND, "no parcel %.80s", sha256);
    char rel[66];
    parcel_relpath(sha256, rel);
    int fd = openat(s->dirfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return wh_err_set(err, WH_ENOTFOUND, "parcel %s is not stored", sha256);
        return errno_err(err, "cannot open parcel", sha256);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = errno_err(err, "cannot stat parcel", sha256);
        close(fd);
        return rc;
    }
    out->fd = fd;
    out->size = (uint64_t)st.st_size;
    return 0;
}

ssize_t wh_blob_read(wh_blob *b, uint64_t offset, void *buf, size_t len, wh_err *err)
{
    if (offset >= b->size)
        return 0;
    if (len > b->size - offset)
        len = (size_t)(b->size - offset);
    for (;;) {
        ssize_t n = pread(b->fd, buf, len, (off_t)offset);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return wh_err_set(err, WH_EIO, "cannot read parcel: %s", strerror(errno));
    }
}

void wh_blob_close(wh_blob *b)
{
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
}

int wh_store_remove(wh_store *s, const char *sha256, wh_err *err)
{
    if (!wh_store_fs_sha_ok(sha256))
        return wh_err_set(err, WH_ENOTFOUND, "no parcel %.80s", sha256);
    char rel[66];
    parcel_relpath(sha256, rel);
    if (unlinkat(s->dirfd, rel, 0) != 0) {
        if (errno == ENOENT)
            return wh_err_set(err, WH_ENOTFOUND, "parcel %s is not stored", sha256);
        return errno_err(err, "cannot remove parcel", sha256);
    }
    /* Best effort: a removal lost in a crash leaves bytes that no row names,
     * which a later upload of the same digest deduplicates onto. */
    rel[2] = '\0';
    int subfd = openat(s->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (subfd >= 0) {
        fsync(subfd);
        close(subfd);
    }
    return 0;
}
