/*
 * cache.c - the client's parcel cache on disk (cache.h).
 *
 * Every way into parcels/ is a rename of a file whose digest was checked
 * first, so a parcel path that exists holds the right bytes (unless
 * someone edits it behind our back; see cache.h).  Temporary files live
 * beside their destination so that the rename never crosses filesystems.
 */
#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"

#define COPY_CHUNK (128 * 1024)

struct wh_cache {
    char *dir;
};

bool wh_cache_sha_ok(const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (i >= 64 || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == 64;
}

static int errno_err(wh_err *err, const char *what, const char *path)
{
    int code = errno == ENOENT ? WH_ENOTFOUND
             : errno == ENOSPC || errno == EDQUOT ? WH_ENOSPACE
             : errno == ENOMEM ? WH_ENOMEM
             : WH_EIO;
    return wh_err_set(err, code, "%s %s: %s", what, path, strerror(errno));
}

/* buf = dir + "/" + rel, checked against cap. */
static int join(char *buf, size_t cap, const char *dir, const char *rel, wh_err *err)
{
    int n = snprintf(buf, cap, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "the cache path %s/%s is too long", dir, rel);
    return 0;
}

int wh_cache_open(const char *dir, wh_cache **out, wh_err *err)
{
    *out = NULL;
    char base[WH_CACHE_PATH_MAX];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (dir)
        n = snprintf(base, sizeof base, "%s", dir);
    else if (xdg && xdg[0] == '/')
        n = snprintf(base, sizeof base, "%s/wharf", xdg);
    else if (home && home[0])
        n = snprintf(base, sizeof base, "%s/.cache/wharf", home);
    else
        return wh_err_set(err, WH_EINVAL, "cannot find the cache directory: neither "
                                          "XDG_CACHE_HOME nor HOME is set");
    /* The parcels' own names add at most 75 bytes to it. */
    if (n < 0 || (size_t)n >= sizeof base - 80)
        return wh_err_set(err, WH_ETOOBIG, "the cache directory's path is too long");
    char sub[WH_CACHE_PATH_MAX];
    int rc;
    if ((rc = join(sub, sizeof sub, base, "parcels", err)) || (rc = wh_cli_mkdirs(sub, err)) ||
        (rc = join(sub, sizeof sub, base, "partial", err)) || (rc = wh_cli_mkdirs(sub, err)))
        return rc;
    wh_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->dir = strdup(base))) {
        free(c);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

void wh_cache_close(wh_cache *c)
{
    if (!c)
        return;
    free(c->dir);
    free(c);
}

int wh_cache_path(wh_cache *c, const char *sha256, char *buf, size_t cap, wh_err *err)
{
    if (!wh_cache_sha_ok(sha256))
        return wh_err_set(err, WH_EINVAL, "not a sha256 (64 lowercase hex digits)");
    int n = snprintf(buf, cap, "%s/parcels/%.2s/%s", c->dir, sha256, sha256);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "the cache path is too long for its buffer");
    return 0;
}

int wh_cache_partial_path(wh_cache *c, const char *sha256, char *buf, size_t cap,
                          wh_err *err)
{
    if (!wh_cache_sha_ok(sha256))
        return wh_err_set(err, WH_EINVAL, "not a sha256 (64 lowercase hex digits)");
    int n = snprintf(buf, cap, "%s/partial/%s", c->dir, sha256);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "the cache path is too long for its buffer");
    return 0;
}

bool wh_cache_has(wh_cache *c, const char *sha256, uint64_t size)
{
    char path[WH_CACHE_PATH_MAX];
    struct stat st;
    return wh_cache_path(c, sha256, path, sizeof path, NULL) == 0 && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

int wh_cache_stage(int fd, const char *from, wh_err *err)
{
    if (fchmod(fd, 0644) != 0)
        return errno_err(err, "cannot set the mode of", from);
    /* Only a hint that starts the writeback early; wh_cache_flush waits. */
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return 0;
}

int wh_cache_flush(wh_cache *c, wh_err *err)
{
    int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno_err(err, "cannot open", c->dir);
    int rc = syncfs(fd) == 0 ? 0 : errno_err(err, "cannot flush the cache in", c->dir);
    close(fd);
    return rc;
}

int wh_cache_place(wh_cache *c, const char *sha256, const char *from, wh_err *err)
{
    char dest[WH_CACHE_PATH_MAX];
    int rc = wh_cache_path(c, sha256, dest, sizeof dest, err);
    if (rc)
        return rc;
    char *slash = strrchr(dest, '/');
    *slash = '\0';
    if (mkdir(dest, 0700) != 0 && errno != EEXIST)
        return errno_err(err, "cannot create the directory", dest);
    *slash = '/';
    if (rename(from, dest) != 0)
        return errno_err(err, "cannot move the parcel into", dest);
    return 0;
}

int wh_cache_commit(wh_cache *c, const char *sha256, int fd, const char *from, wh_err *err)
{
    int rc = wh_cache_stage(fd, from, err);
    if (rc)
        return rc;
    /* Durable before it is visible: after a crash the cache holds the
     * whole parcel or none of it. */
    if (fsync(fd) != 0)
        return errno_err(err, "cannot flush", from);
    return wh_cache_place(c, sha256, from, err);
}

/* Copies src to the new file fd_out, hashing into md when it is not NULL. */
static int copy_fd(int in, const char *src, int out, const char *dst, EVP_MD_CTX *md,
                   wh_err *err)
{
    char *buf = malloc(COPY_CHUNK);
    if (!buf)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = errno_err(err, "cannot read", src);
            goto done;
        }
        if (n == 0)
            break;
        if (md && !EVP_DigestUpdate(md, buf, (size_t)n)) {
            rc = wh_err_set(err, WH_ENOMEM, "SHA-256 failed");
            goto done;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = errno_err(err, "cannot write", dst);
                goto done;
            }
            off += w;
        }
    }
done:
    free(buf);
    return rc;
}

/* A name beside `path` for a temporary file of this process. */
static int temp_beside(const char *path, char *buf, size_t cap, wh_err *err)
{
    static unsigned counter;
    int n = snprintf(buf, cap, "%s.wharf-tmp-%ld-%u", path, (long)getpid(), counter++);
    if (n < 0 || (size_t)n >= cap)
        return wh_err_set(err, WH_ETOOBIG, "the path %s is too long", path);
    return 0;
}

int wh_cache_export(wh_cache *c, const char *sha256, const char *dest, wh_err *err)
{
    char src[WH_CACHE_PATH_MAX], tmp[WH_CACHE_PATH_MAX + 64];
    int rc = wh_cache_path(c, sha256, src, sizeof src, err);
    if (rc)
        return rc;
    struct stat ss;
    if (stat(src, &ss) != 0)
        return errno == ENOENT
                   ? wh_err_set(err, WH_ENOTFOUND, "parcel %s is not in the cache", sha256)
                   : errno_err(err, "cannot read", src);
    if ((rc = temp_beside(dest, tmp, sizeof tmp, err)))
        return rc;
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
    if (in < 0) {
        rc = errno_err(err, "cannot open", src);
        goto done;
    }
    out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = errno_err(err, "cannot create", tmp);
        goto done;
    }
    /* copy_file_range lets the kernel share blocks (reflink) or copy
     * without user space; a filesystem that cannot falls back to read and
     * write. */
    off_t left = ss.st_size;
    while (left > 0) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0)
            break;
        left -= n;
    }
    if (left > 0) {
        if (lseek(in, 0, SEEK_SET) < 0 || ftruncate(out, 0) != 0 ||
            lseek(out, 0, SEEK_SET) < 0) {
            rc = errno_err(err, "cannot copy to", tmp);
            goto done;
        }
        if ((rc = copy_fd(in, src, out, tmp, NULL, err)))
            goto done;
    }
    /* No fsync: an export is the user's copy, like one cp or tar writes,
     * and the parcel it came from stays durable in the cache.  The rename
     * still keeps a reader from ever seeing half a file while we run; after
     * a crash, pulling again writes the file anew.  Two fsyncs per parcel
     * were half of a pull's time. */
    if (fchmod(out, 0644) != 0) {
        rc = errno_err(err, "cannot finish", tmp);
        goto done;
    }
    if (rename(tmp, dest) != 0)
        rc = errno_err(err, "cannot create", dest);
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc)
        unlink(tmp);
    return rc;
}

int wh_cache_add_file(wh_cache *c, const char *path, const char *sha256, wh_err *err)
{
    char part[WH_CACHE_PATH_MAX], tmp[WH_CACHE_PATH_MAX + 64];
    int rc = wh_cache_partial_path(c, sha256, part, sizeof part, err);
    if (rc)
        return rc;
    /* Not partial/<sha> itself: that belongs to a download, which may be
     * running in another wharf at this moment. */
    if ((rc = temp_beside(part, tmp, sizeof tmp, err)))
        return rc;
    int in = -1, out = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return wh_err_set(err, WH_ENOMEM, "SHA-256 failed");
    }
    in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        rc = errno_err(err, "cannot open", path);
        goto done;
    }
    out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        rc = errno_err(err, "cannot create", tmp);
        goto done;
    }
    if ((rc = copy_fd(in, path, out, tmp, md, err)))
        goto done;
    unsigned char d[32];
    char hex[65];
    if (!EVP_DigestFinal_ex(md, d, NULL)) {
        rc = wh_err_set(err, WH_ENOMEM, "SHA-256 failed");
        goto done;
    }
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    if (strcmp(hex, sha256) != 0) {
        rc = wh_err_set(err, WH_EINVAL, "%s: its sha256 is %s, not %s", path, hex, sha256);
        goto done;
    }
    rc = wh_cache_commit(c, sha256, out, tmp, err);
done:
    EVP_MD_CTX_free(md);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    if (rc)
        unlink(tmp);
    return rc;
}
