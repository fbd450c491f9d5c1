/*
 * files.c - the file operations that wharf's commands share (cli.h):
 * creating the private config directory, and replacing a file atomically,
 * so that a crash or a full disk never leaves a half-written invoice or
 * keyring where a good one was.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int wh_cli_dirname(const char *path, char **out, wh_err *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        *out = strdup(".");
    else if (slash == path)
        *out = strdup("/");
    else
        *out = strndup(path, (size_t)(slash - path));
    if (!*out)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    return 0;
}

int wh_cli_mkdirs(const char *dir, wh_err *err)
{
    char *p = strdup(dir);
    if (!p)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc = 0;
    /* Each prefix in turn, so that the parents get 0700 too: they are new
     * and ours, and a config tree should not be readable by others. */
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            rc = wh_err_set(err, WH_EIO, "cannot create the directory %s: %s",
                            p, strerror(errno));
            goto done;
        }
        *s = saved;
        if (end)
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = wh_err_set(err, WH_EIO, "%s is not a directory", dir);
done:
    free(p);
    return rc;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int wh_cli_write_atomic(const char *path, const char *buf, size_t len,
                        mode_t mode, wh_err *err)
{
    char *tmp = NULL, *dir = NULL;
    int fd = -1, rc = 0;
    struct stat st;
    if (stat(path, &st) == 0) {
        mode = st.st_mode & 07777;
    } else {
        /* fchmod ignores the umask; apply it by hand, as open() would. */
        mode_t mask = umask(0);
        umask(mask);
        mode &= ~mask;
    }
    size_t plen = strlen(path);
    tmp = malloc(plen + sizeof ".tmp-XXXXXX");
    if (!tmp) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = wh_err_set(err, WH_EIO, "cannot create a file beside %s: %s", path,
                        strerror(errno));
        free(tmp);
        tmp = NULL;
        goto done;
    }
    if (fchmod(fd, mode) != 0 || write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
        rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    int closed = close(fd);
    fd = -1;
    if (closed != 0) {
        rc = wh_err_set(err, WH_EIO, "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    if (rename(tmp, path) != 0) {
        rc = wh_err_set(err, WH_EIO, "cannot replace %s: %s", path, strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
    /* The rename lives in the directory: make it durable too. */
    rc = wh_cli_dirname(path, &dir, err);
    if (rc)
        goto done;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            rc = wh_err_set(err, WH_EIO, "cannot sync the directory %s: %s", dir,
                            strerror(errno));
        close(dfd);
    }
done:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(dir);
    return rc;
}
