/*
 * store_session.c - upload sessions of the filesystem store (see store.h):
 * the bytes of an OCI blob upload whose digest is named only at the end,
 * appended to by one request after another.
 *
 * A session is the file DIR/.sessions/<id>, so it outlives the process; the
 * id is 128 random bits in hex, and only a well-formed id is ever used as a
 * file name.  What lives only in memory is a slot per session the process
 * has seen: whether a request holds it (the busy lock), and the SHA-256
 * state of the bytes appended so far, so that finishing does not read them
 * again.  A slot is lost with the process, or made stale by a write that
 * failed halfway; finishing then hashes whatever the file holds that the
 * state does not cover, which is all of it after a restart.
 *
 * Finishing commits through wh_store_fs_place, the same step as a streamed
 * upload: the session file itself is renamed into place, so a blob is never
 * copied.  A digest that does not match leaves the session as it was, for
 * the client to send the right digest or cancel.
 *
 * Locking: sess_mu guards the slot table and each slot's `open` flag; the
 * hash state of an open slot belongs to the request holding it, so hashing
 * and file I/O run without the lock.
 */
#include "store.h"
#include "store_fs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#define READ_CHUNK ((size_t)1 << 16)

struct wh_sess_slot {
    char id[WH_SESSION_ID_LEN + 1];
    bool open;          /* a request holds the session */
    EVP_MD_CTX *md;     /* SHA-256 of the file's first `hashed` bytes; NULL: lost */
    uint64_t hashed;
    wh_sess_slot *next; /* in its bucket */
};

struct wh_session {
    wh_store *store;
    wh_sess_slot *slot;   /* in the table, held by us (slot->open) */
    int fd;
    uint64_t size;        /* bytes in the file */
};

static bool id_ok(const char *id)
{
    size_t i = 0;
    for (; id[i]; i++) {
        if (i >= WH_SESSION_ID_LEN ||
            !((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    }
    return i == WH_SESSION_ID_LEN;
}

int wh_store_sessions_open(wh_store *s, wh_err *err)
{
    if (mkdirat(s->dirfd, ".sessions", 0700) != 0 && errno != EEXIST)
        return wh_err_set(err, WH_EIO, "cannot create %s/.sessions: %s", s->dir,
                          strerror(errno));
    s->sessfd = openat(s->dirfd, ".sessions", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->sessfd < 0)
        return wh_err_set(err, WH_EIO, "cannot open %s/.sessions: %s", s->dir, strerror(errno));
    pthread_mutex_init(&s->sess_mu, NULL);
    s->have_sess_mu = true;
    return 0;
}

static void slot_free(wh_sess_slot *sl)
{
    EVP_MD_CTX_free(sl->md);
    free(sl);
}

void wh_store_sessions_close(wh_store *s)
{
    for (size_t b = 0; b < WH_SESS_BUCKETS; b++) {
        while (s->sess[b]) {
            wh_sess_slot *next = s->sess[b]->next;
            slot_free(s->sess[b]);
            s->sess[b] = next;
        }
    }
    if (s->have_sess_mu)
        pthread_mutex_destroy(&s->sess_mu);
    s->have_sess_mu = false;
    if (s->sessfd >= 0)
        close(s->sessfd);
    s->sessfd = -1;
}

static unsigned hex_val(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* The link that points at id's slot, or the NULL that ends its bucket.
 * Under sess_mu; id is well formed. */
static wh_sess_slot **slot_link(wh_store *s, const char *id)
{
    wh_sess_slot **pp = &s->sess[hex_val(id[0]) << 4 | hex_val(id[1])];
    while (*pp && memcmp((*pp)->id, id, WH_SESSION_ID_LEN) != 0)
        pp = &(*pp)->next;
    return pp;
}

/* Gives up a held slot: forgets it when `drop`, else lets others open it. */
static void slot_release(wh_store *s, wh_sess_slot *sl, bool drop)
{
    pthread_mutex_lock(&s->sess_mu);
    if (drop) {
        wh_sess_slot **pp = slot_link(s, sl->id);
        *pp = sl->next;
        slot_free(sl);
    } else {
        sl->open = false;
    }
    pthread_mutex_unlock(&s->sess_mu);
}

/* Finds or adds the slot of id and marks it held: 0, WH_EBUSY or WH_ENOMEM. */
static int slot_take(wh_store *s, const char *id, wh_sess_slot **out, wh_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&s->sess_mu);
    wh_sess_slot **pp = slot_link(s, id), *sl = *pp;
    if (sl && sl->open) {
        rc = wh_err_set(err, WH_EBUSY, "upload session %s is in use by another request", id);
        goto done;
    }
    if (!sl) {
        sl = calloc(1, sizeof *sl);
        if (!sl) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(sl->id, id, WH_SESSION_ID_LEN + 1);
        *pp = sl;
    }
    sl->open = true;
    *out = sl;
done:
    pthread_mutex_unlock(&s->sess_mu);
    return rc;
}

int wh_store_session_create(wh_store *s, char id[WH_SESSION_ID_LEN + 1], wh_err *err)
{
    id[0] = '\0';
    /* A collision of 128 random bits means the generator is broken; a few
     * tries only guard against a leftover file of the same name. */
    for (int tries = 0; tries < 4; tries++) {
        unsigned char raw[WH_SESSION_ID_LEN / 2];
        if (RAND_bytes(raw, (int)sizeof raw) != 1) {
            id[0] = '\0';
            return wh_err_set(err, WH_EIO, "no randomness for an upload session id");
        }
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(id + 2 * i, 3, "%02x", raw[i]);
        int fd = openat(s->sessfd, id, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (errno != EEXIST) {
            int rc = wh_err_set(err, wh_store_fs_io_code(errno),
                                "cannot create an upload session in %s/.sessions: %s", s->dir,
                                strerror(errno));
            id[0] = '\0';
            return rc;
        }
    }
    id[0] = '\0';
    return wh_err_set(err, WH_EIO, "cannot find a free upload session id in %s/.sessions",
                      s->dir);
}

int wh_store_session_open(wh_store *s, const char *id, wh_session **out, wh_err *err)
{
    *out = NULL;
    if (!id_ok(id))
        return wh_err_set(err, WH_ENOTFOUND, "no such upload session (malformed id)");
    wh_session *ss = calloc(1, sizeof *ss);
    if (!ss)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    ss->store = s;
    ss->fd = -1;
    int rc = slot_take(s, id, &ss->slot, err);
    if (rc) {
        free(ss);
        return rc;
    }
    wh_sess_slot *sl = ss->slot;
    ss->fd = openat(s->sessfd, id, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    int e = ss->fd < 0 || fstat(ss->fd, &st) != 0 ? errno : S_ISREG(st.st_mode) ? 0 : EISDIR;
    if (e) {
        rc = e == ENOENT ? wh_err_set(err, WH_ENOTFOUND, "no upload session %s", id)
                         : wh_err_set(err, WH_EIO, "cannot open upload session %s: %s", id,
                                      strerror(e));
        if (ss->fd >= 0)
            close(ss->fd);
        /* A slot without a file would only take memory: forget it. */
        slot_release(s, sl, true);
        free(ss);
        return rc;
    }
    ss->size = (uint64_t)st.st_size;
    if (sl->md && sl->hashed > ss->size) {
        EVP_MD_CTX_free(sl->md);
        sl->md = NULL;
    }
    if (!sl->md && ss->size == 0) {
        /* A new session: hash from the first byte.  Without the memory,
         * finishing hashes the file instead. */
        sl->md = EVP_MD_CTX_new();
        if (sl->md && !EVP_DigestInit_ex(sl->md, EVP_sha256(), NULL)) {
            EVP_MD_CTX_free(sl->md);
            sl->md = NULL;
        }
        sl->hashed = 0;
    }
    *out = ss;
    return 0;
}

uint64_t wh_session_size(const wh_session *ss)
{
    return ss->size;
}

int wh_session_write(wh_session *ss, const void *buf, size_t len, wh_err *err)
{
    const unsigned char *p = buf;
    uint64_t off = ss->size;
    size_t left = len;
    while (left > 0) {
        ssize_t n = pwrite(ss->fd, p, left, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            /* No half appends: the session stays what it was before this
             * call, or, when even that fails, what the file holds. */
            struct stat st;
            if (ftruncate(ss->fd, (off_t)ss->size) != 0 && fstat(ss->fd, &st) == 0)
                ss->size = (uint64_t)st.st_size;
            return wh_err_set(err, wh_store_fs_io_code(e), "cannot write upload session %s: %s",
                              ss->slot->id, strerror(e));
        }
        p += n;
        left -= (size_t)n;
        off += (uint64_t)n;
    }
    wh_sess_slot *sl = ss->slot;
    if (sl->md && sl->hashed == ss->size) {
        if (EVP_DigestUpdate(sl->md, buf, len)) {
            sl->hashed += len;
        } else {
            EVP_MD_CTX_free(sl->md);
            sl->md = NULL;
        }
    }
    ss->size += len;
    return 0;
}

void wh_session_close(wh_session *ss)
{
    if (!ss)
        return;
    close(ss->fd);
    slot_release(ss->store, ss->slot, false);
    free(ss);
}

void wh_session_discard(wh_session *ss)
{
    if (!ss)
        return;
    unlinkat(ss->store->sessfd, ss->slot->id, 0);
    close(ss->fd);
    slot_release(ss->store, ss->slot, true);
    free(ss);
}

/* Makes the slot's hash cover the whole file, reading what it lacks. */
static int catch_up(wh_session *ss, wh_err *err)
{
    wh_sess_slot *sl = ss->slot;
    if (sl->md && sl->hashed > ss->size) {
        EVP_MD_CTX_free(sl->md);
        sl->md = NULL;
    }
    if (!sl->md) {
        sl->hashed = 0;
        sl->md = EVP_MD_CTX_new();
        if (!sl->md || !EVP_DigestInit_ex(sl->md, EVP_sha256(), NULL)) {
            EVP_MD_CTX_free(sl->md);
            sl->md = NULL;
            return wh_err_set(err, WH_ENOMEM, "cannot start SHA-256");
        }
    }
    if (sl->hashed == ss->size)
        return 0;
    unsigned char *buf = malloc(READ_CHUNK);
    if (!buf)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc = 0;
    while (sl->hashed < ss->size) {
        uint64_t left = ss->size - sl->hashed;
        size_t want = left < READ_CHUNK ? (size_t)left : READ_CHUNK;
        ssize_t n = pread(ss->fd, buf, want, (off_t)sl->hashed);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = wh_err_set(err, WH_EIO, "cannot read back upload session %s: %s", sl->id,
                            n < 0 ? strerror(errno) : "shorter than it was");
            break;
        }
        if (!EVP_DigestUpdate(sl->md, buf, (size_t)n)) {
            EVP_MD_CTX_free(sl->md);
            sl->md = NULL;
            rc = wh_err_set(err, WH_EIO, "SHA-256 failed");
            break;
        }
        sl->hashed += (uint64_t)n;
    }
    free(buf);
    return rc;
}

/* The hex digest of the slot's state, which stays usable (a wrong digest
 * keeps the session for another try). */
static int digest_hex(wh_sess_slot *sl, char hex[65], wh_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *tmp = EVP_MD_CTX_new();
    bool ok = tmp && EVP_MD_CTX_copy_ex(tmp, sl->md) && EVP_DigestFinal_ex(tmp, md, &mdlen) &&
              mdlen == 32;
    EVP_MD_CTX_free(tmp);
    if (!ok)
        return wh_err_set(err, WH_EIO, "SHA-256 failed");
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int wh_session_finish(wh_session *ss, const char *sha256, uint64_t *size, wh_err *err)
{
    wh_store *s = ss->store;
    wh_sess_slot *sl = ss->slot;
    *size = 0;
    int rc;
    char got[65];
    struct stat st;
    if (!wh_store_fs_sha_ok(sha256)) {
        rc = wh_err_set(err, WH_EINVAL, "\"%.80s\" is not a sha256 (64 lowercase hex digits)",
                        sha256);
        goto keep;
    }
    /* The file is the truth: a failed write may have left it longer than
     * we counted, and the digest must cover exactly what gets stored. */
    if (fstat(ss->fd, &st) != 0) {
        rc = wh_err_set(err, WH_EIO, "cannot stat upload session %s: %s", sl->id,
                        strerror(errno));
        goto keep;
    }
    ss->size = (uint64_t)st.st_size;
    rc = catch_up(ss, err);
    if (!rc)
        rc = digest_hex(sl, got, err);
    if (rc)
        goto keep;
    if (memcmp(got, sha256, 64) != 0) {
        rc = wh_err_set(err, WH_EINVAL, "digest mismatch: the bytes sent hash to %s, not %s", got,
                        sha256);
        goto keep;
    }
    bool renamed = false;
    rc = wh_store_fs_place(s, ss->fd, s->sessfd, sl->id, sha256, &renamed, err);
    /* Once renamed, the bytes are the parcel's, whatever failed after. */
    if (rc && !renamed)
        goto keep;
    if (!renamed)
        unlinkat(s->sessfd, sl->id, 0);
    if (!rc)
        *size = ss->size;
    close(ss->fd);
    slot_release(s, sl, true);
    free(ss);
    return rc;
keep:
    wh_session_close(ss);
    return rc;
}

int wh_store_session_expire(wh_store *s, int64_t cutoff, wh_err *err)
{
    /* Our own open of the directory: a dup of sessfd would share its
     * position with every other listing. */
    int fd = openat(s->sessfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int rc = wh_err_set(err, WH_EIO, "cannot list %s/.sessions: %s", s->dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!id_ok(de->d_name))
            continue;
        /* Checked and removed under the lock, so that no request opens the
         * session between the look at its age and the unlink. */
        pthread_mutex_lock(&s->sess_mu);
        wh_sess_slot **pp = slot_link(s, de->d_name), *sl = *pp;
        struct stat st;
        if ((!sl || !sl->open) && fstatat(s->sessfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            (int64_t)st.st_mtime < cutoff && unlinkat(s->sessfd, de->d_name, 0) == 0) {
            n++;
            if (sl) {
                *pp = sl->next;
                slot_free(sl);
            }
        }
        pthread_mutex_unlock(&s->sess_mu);
    }
    closedir(d);
    return n;
}
