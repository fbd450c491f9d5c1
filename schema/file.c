/*
 * file.c - reading a whole small file, bounded (see file.h).
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

int wh_file_read(const char *path, size_t max_bytes, unsigned flags, char **out,
                 size_t *len, wh_err *err)
{
    int rc = 0;
    char *buf = NULL;
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return wh_err_set(err, e == ENOENT ? WH_ENOTFOUND : WH_EIO,
                          "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = wh_err_set(err, WH_EIO, "%s: cannot stat: %s", path,
                        strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = wh_err_set(err, WH_EINVAL, "%s: not a regular file", path);
        goto done;
    }
    /* Checked on the open descriptor, so that the file read is the file
     * checked. */
    if ((flags & WH_FILE_PRIVATE) && (st.st_mode & 077) != 0) {
        rc = wh_err_set(err, WH_EINVAL,
                        "%s: holds secrets but has mode %04o; it must not be "
                        "readable or writable by group or others (chmod 600 %s)",
                        path, (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        rc = wh_err_set(err, WH_ETOOBIG, "%s: %lld bytes, over the %zu allowed",
                        path, (long long)st.st_size, max_bytes);
        goto done;
    }
    size_t size = (size_t)st.st_size;
    buf = malloc(size + 1);
    if (!buf) {
        rc = wh_err_set(err, WH_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wh_err_set(err, WH_EIO, "%s: cannot read: %s", path,
                            strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    buf = NULL;
done:
    if (buf) {
        OPENSSL_cleanse(buf, st.st_size > 0 ? (size_t)st.st_size : 0);
        free(buf);
    }
    close(fd);
    return rc;
}
