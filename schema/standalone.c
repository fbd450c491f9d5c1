/*
 * standalone.c - reading and writing Bindle's standalone tarballs (see
 * standalone.h).
 *
 * Reading goes through two libarchive readers stacked on each other: the
 * outer one only un-gzips (format "raw"), the inner one reads tar from a
 * callback that pulls the outer one's bytes and counts them.  libarchive
 * skips some things internally (the data of a pax header it ignores, for
 * one), so a count taken at the tar level would miss them; counted here,
 * every decompressed byte is bounded, and a gzip bomb stops at the limit.
 */
#include "standalone.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

const wh_standalone_limits wh_standalone_default_limits = {
    .max_entries = 100000,
    .max_total_bytes = 64ull * 1024 * 1024 * 1024,
    .max_invoice_bytes = 1024 * 1024,
};

/* What tar spends beyond the data: a header block or a few (pax, long
 * names) per entry and padding, plus the end-of-archive record. */
#define TAR_OVERHEAD_PER_ENTRY 4096u
#define TAR_OVERHEAD_FIXED (64u * 1024)

#define IO_CHUNK (64 * 1024)

/* The inner reader's source: the outer reader's decompressed bytes. */
typedef struct source {
    struct archive *outer;
    uint64_t inflated;
    uint64_t bound;
    bool over;
    char buf[IO_CHUNK];
} source;

static la_ssize_t source_read(struct archive *inner, void *ud, const void **out)
{
    source *s = ud;
    la_ssize_t n = archive_read_data(s->outer, s->buf, sizeof s->buf);
    if (n < 0) {
        const char *why = archive_error_string(s->outer);
        archive_set_error(inner, EINVAL, "%s", why ? why : "cannot decompress");
        return -1;
    }
    s->inflated += (uint64_t)n;
    if (s->inflated > s->bound) {
        s->over = true;
        archive_set_error(inner, EFBIG, "decompresses past the limit");
        return -1;
    }
    *out = s->buf;
    return n;
}

/* An entry name made safe for a message (that may end up in JSON): bytes
 * outside printable ASCII become '?', and a long name is cut. */
static const char *shown(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[i] = '\0';
    if (s && s[i] && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
    return buf;
}

static bool is_hex64(const char *s, size_t len)
{
    if (len != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void hex_of(const unsigned char md[32], char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}

static int io_code(int e)
{
    return e == ENOSPC || e == EDQUOT ? WH_ENOSPACE : WH_EIO;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- reading ---- */

typedef enum kind { K_TOP, K_PARCELS_DIR, K_INVOICE, K_PARCEL } kind;

typedef struct reader {
    const char *what;            /* the archive, for messages */
    const wh_standalone_limits *lim;
    int dest_fd;
    int parcels_fd;              /* -1 until parcels/ is made */
    char top[256];               /* the top-level directory's name; "" until seen */
    bool seen_top, seen_parcels, seen_invoice;
    uint64_t entries, total;
    char name[200];              /* the current entry, printable */
    char buf[IO_CHUNK];
} reader;

/*
 * Sorts an entry path into one of the four things a standalone bindle
 * holds.  A leading "./" (what `tar -C DIR .` writes) is allowed, and a
 * trailing '/' (directories); nothing else is normalised.
 */
static int classify(reader *r, const char *path, kind *k, char sha[65], wh_err *err)
{
    if (path[0] == '/')
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" has an absolute path", r->what,
                          r->name);
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t len = strlen(path);
    for (const char *p = path; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" has a \"..\" component",
                              r->what, r->name);
        p += n + (slash ? 1 : 0);
    }
    if (len && path[len - 1] == '/')
        len--;
    const char *slash = memchr(path, '/', len);
    size_t top_len = slash ? (size_t)(slash - path) : len;
    if (top_len == 0 || (top_len == 1 && path[0] == '.'))
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is not inside a top-level "
                          "directory; a standalone bindle is one directory holding "
                          "invoice.toml and parcels/", r->what, r->name);
    if (top_len >= sizeof r->top)
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\": the top-level directory's "
                          "name is over %zu bytes", r->what, r->name, sizeof r->top - 1);
    if (!r->top[0]) {
        memcpy(r->top, path, top_len);
        r->top[top_len] = '\0';
    } else if (strlen(r->top) != top_len || memcmp(r->top, path, top_len) != 0) {
        char t[80];
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is outside the top-level "
                          "directory \"%s\"; a standalone bindle has exactly one", r->what,
                          r->name, shown(r->top, t, sizeof t));
    }
    const char *rest = slash ? slash + 1 : path + len;
    size_t rest_len = (size_t)(path + len - rest);
    if (!slash) {
        *k = K_TOP;
        return 0;
    }
    if (rest_len == 12 && memcmp(rest, "invoice.toml", 12) == 0) {
        *k = K_INVOICE;
        return 0;
    }
    if (rest_len == 7 && memcmp(rest, "parcels", 7) == 0) {
        *k = K_PARCELS_DIR;
        return 0;
    }
    if (rest_len == 8 + 64 + 4 && memcmp(rest, "parcels/", 8) == 0 &&
        memcmp(rest + 8 + 64, ".dat", 4) == 0 && is_hex64(rest + 8, 64)) {
        memcpy(sha, rest + 8, 64);
        sha[64] = '\0';
        *k = K_PARCEL;
        return 0;
    }
    return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is not part of a standalone bindle, "
                      "which holds only invoice.toml and parcels/SHA256.dat (lowercase hex)",
                      r->what, r->name);
}

/* Refuses links and special files, whatever their names. */
static int check_kind_of_file(reader *r, struct archive_entry *e, wh_err *err)
{
    if (archive_entry_hardlink(e))
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is a hard link; a standalone "
                          "bindle holds no links", r->what, r->name);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFLNK || archive_entry_symlink(e))
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is a symbolic link; a standalone "
                          "bindle holds no links", r->what, r->name);
    if (type == AE_IFDIR || type == AE_IFREG)
        return 0;
    const char *is = type == AE_IFCHR ? "a character device" : type == AE_IFBLK ? "a block device"
                   : type == AE_IFIFO ? "a FIFO" : type == AE_IFSOCK ? "a socket"
                   : "of an unknown type";
    return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is %s; a standalone bindle holds "
                      "only directories and regular files", r->what, r->name, is);
}

/* A directory where the name calls for one, a regular file elsewhere. */
static int check_type(reader *r, struct archive_entry *e, kind k, wh_err *err)
{
    bool want_dir = k == K_TOP || k == K_PARCELS_DIR;
    bool is_dir = archive_entry_filetype(e) == AE_IFDIR;
    if (is_dir == want_dir)
        return 0;
    if (k == K_TOP)
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is a file outside any directory; "
                          "a standalone bindle is one directory holding invoice.toml and "
                          "parcels/", r->what, r->name);
    return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is %s, where a standalone bindle has "
                      "%s", r->what, r->name, is_dir ? "a directory" : "a regular file",
                      want_dir ? "a directory" : "a regular file");
}

static int duplicate(reader *r, wh_err *err)
{
    return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" appears twice", r->what, r->name);
}

static int make_parcels_dir(reader *r, wh_err *err)
{
    if (r->parcels_fd >= 0)
        return 0;
    if (mkdirat(r->dest_fd, "parcels", 0755) != 0 && errno != EEXIST)
        return wh_err_set(err, io_code(errno), "cannot create parcels/ for %s: %s", r->what,
                          strerror(errno));
    r->parcels_fd = openat(r->dest_fd, "parcels", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                  O_CLOEXEC);
    if (r->parcels_fd < 0)
        return wh_err_set(err, WH_EIO, "cannot open parcels/ for %s: %s", r->what,
                          strerror(errno));
    return 0;
}

/* Streams the entry's data into a new file, hashing parcels on the way. */
static int copy_file(reader *r, struct archive *in, kind k, const char *sha, uint64_t size,
                     wh_err *err)
{
    int dir_fd = k == K_INVOICE ? r->dest_fd : r->parcels_fd;
    char file[80];
    snprintf(file, sizeof file, "%s", k == K_INVOICE ? "invoice.toml" : sha);
    if (k == K_PARCEL)
        strcat(file, ".dat");
    int fd = openat(dir_fd, file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? duplicate(r, err)
                               : wh_err_set(err, io_code(errno), "cannot create %s from %s: %s",
                                            file, r->what, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint64_t got = 0;
    int rc = 0;
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = wh_err_set(err, WH_ENOMEM, "cannot start SHA-256");
        goto done;
    }
    for (;;) {
        la_ssize_t n = archive_read_data(in, r->buf, sizeof r->buf);
        if (n == 0)
            break;
        if (n < 0) {
            const char *why = archive_error_string(in);
            rc = wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" cannot be read: %s", r->what,
                            r->name, why ? why : "damaged archive");
            goto done;
        }
        got += (uint64_t)n;
        if (got > size) {
            rc = wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" holds more than the %llu bytes "
                            "its header declares", r->what, r->name, (unsigned long long)size);
            goto done;
        }
        EVP_DigestUpdate(md, r->buf, (size_t)n);
        if (write_all(fd, r->buf, (size_t)n) != 0) {
            rc = wh_err_set(err, io_code(errno), "cannot write %s from %s: %s", file, r->what,
                            strerror(errno));
            goto done;
        }
    }
    if (got != size) {
        rc = wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is cut short: %llu of %llu bytes",
                        r->what, r->name, (unsigned long long)got, (unsigned long long)size);
        goto done;
    }
    if (k == K_PARCEL) {
        unsigned char d[32];
        char hex[65];
        EVP_DigestFinal_ex(md, d, NULL);
        hex_of(d, hex);
        if (strcmp(hex, sha) != 0)
            rc = wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" does not match its name: its "
                            "bytes have sha256 %s", r->what, r->name, hex);
    }
done:
    EVP_MD_CTX_free(md);
    if (close(fd) != 0 && !rc)
        rc = wh_err_set(err, io_code(errno), "cannot write %s from %s: %s", file, r->what,
                        strerror(errno));
    /* A parcel that failed its digest must not look like one that passed. */
    if (rc && k == K_PARCEL)
        unlinkat(dir_fd, file, 0);
    return rc;
}

static int read_entry(reader *r, struct archive *in, struct archive_entry *e, wh_err *err)
{
    const char *path = archive_entry_pathname(e);
    shown(path, r->name, sizeof r->name);
    if (++r->entries > r->lim->max_entries)
        return wh_err_set(err, WH_EINVAL, "%s: more than %llu entries (at \"%s\")", r->what,
                          (unsigned long long)r->lim->max_entries, r->name);
    if (!path || !path[0])
        return wh_err_set(err, WH_EINVAL, "%s: entry %llu has no readable name", r->what,
                          (unsigned long long)r->entries);
    kind k = K_TOP;
    char sha[65];
    int rc = check_kind_of_file(r, e, err);
    if (!rc)
        rc = classify(r, path, &k, sha, err);
    if (!rc)
        rc = check_type(r, e, k, err);
    if (rc)
        return rc;
    if (k == K_TOP || k == K_PARCELS_DIR) {
        bool *seen = k == K_TOP ? &r->seen_top : &r->seen_parcels;
        if (*seen)
            return duplicate(r, err);
        *seen = true;
        return k == K_PARCELS_DIR ? make_parcels_dir(r, err) : 0;
    }
    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" declares no size", r->what,
                          r->name);
    uint64_t size = (uint64_t)archive_entry_size(e);
    if (k == K_INVOICE) {
        if (r->seen_invoice)
            return duplicate(r, err);
        r->seen_invoice = true;
        if (size > r->lim->max_invoice_bytes)
            return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" is %llu bytes, over the "
                              "%llu allowed for an invoice", r->what, r->name,
                              (unsigned long long)size,
                              (unsigned long long)r->lim->max_invoice_bytes);
    }
    if (size > r->lim->max_total_bytes - r->total)
        return wh_err_set(err, WH_EINVAL, "%s: entry \"%s\" (%llu bytes) takes the bindle "
                          "over the %llu bytes allowed", r->what, r->name,
                          (unsigned long long)size, (unsigned long long)r->lim->max_total_bytes);
    r->total += size;
    if (k == K_PARCEL && (rc = make_parcels_dir(r, err)) != 0)
        return rc;
    return copy_file(r, in, k, sha, size, err);
}

static int dir_is_empty(int fd, const char *dest_dir, wh_err *err)
{
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        return wh_err_set(err, WH_EIO, "%s: cannot list: %s", dest_dir, strerror(errno));
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            rc = wh_err_set(err, WH_EINVAL, "%s is not empty; extract into an empty "
                            "directory", dest_dir);
            break;
        }
    closedir(d);
    return rc;
}

/* The whole extraction, once the outer reader is open on the input. */
static int extract(struct archive *outer, const char *what, const char *dest_dir,
                   const wh_standalone_limits *lim, wh_err *err)
{
    if (!lim)
        lim = &wh_standalone_default_limits;
    reader *r = calloc(1, sizeof *r);
    source *src = calloc(1, sizeof *src);
    struct archive *in = NULL;
    int rc = 0;
    if (!r || !src) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    r->what = what;
    r->lim = lim;
    r->parcels_fd = -1;
    r->dest_fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->dest_fd < 0) {
        rc = wh_err_set(err, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "%s: cannot open: %s",
                        dest_dir, strerror(errno));
        goto done;
    }
    if ((rc = dir_is_empty(r->dest_fd, dest_dir, err)) != 0)
        goto done;

    struct archive_entry *e;
    int ar = archive_read_next_header(outer, &e);
    if (ar != ARCHIVE_OK) {
        const char *why = archive_error_string(outer);
        rc = wh_err_set(err, WH_EINVAL, "%s is not a tar or gzip'd tar: %s", what,
                        ar == ARCHIVE_EOF ? "it is empty" : why ? why : "unreadable");
        goto done;
    }
    src->outer = outer;
    uint64_t entry_room = lim->max_entries < UINT64_MAX / TAR_OVERHEAD_PER_ENTRY
                              ? lim->max_entries * TAR_OVERHEAD_PER_ENTRY : UINT64_MAX;
    src->bound = lim->max_total_bytes + TAR_OVERHEAD_FIXED;
    src->bound = src->bound > UINT64_MAX - entry_room ? UINT64_MAX : src->bound + entry_room;

    in = archive_read_new();
    if (!in || archive_read_support_format_tar(in) != ARCHIVE_OK) {
        rc = wh_err_set(err, WH_ENOMEM, "cannot set up the tar reader");
        goto done;
    }
    ar = archive_read_open(in, src, NULL, source_read, NULL);
    while (ar == ARCHIVE_OK && (ar = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        if ((rc = read_entry(r, in, e, err)) != 0)
            break;
    }
    if (src->over) {
        rc = wh_err_set(err, WH_EINVAL, "%s decompresses to more than %llu bytes, more than "
                        "a standalone bindle within the limits (%llu entries, %llu bytes) "
                        "takes", what, (unsigned long long)src->bound,
                        (unsigned long long)lim->max_entries,
                        (unsigned long long)lim->max_total_bytes);
        goto done;
    }
    if (rc)
        goto done;
    if (ar != ARCHIVE_EOF) {
        /* ARCHIVE_WARN too: what libarchive warns about (a name it cannot
         * convert, a pax record it drops) is not what the writer meant. */
        const char *why = archive_error_string(in);
        if (r->entries)
            rc = wh_err_set(err, WH_EINVAL, "%s: damaged after entry \"%s\": %s", what,
                            r->name, why ? why : "unreadable");
        else
            rc = wh_err_set(err, WH_EINVAL, "%s is not a tar or gzip'd tar: %s", what,
                            why ? why : "unreadable");
        goto done;
    }
    if (!r->seen_invoice)
        rc = wh_err_set(err, WH_EINVAL, "%s holds no invoice.toml in a top-level directory, "
                        "so it is not a standalone bindle", what);
done:
    if (in)
        archive_read_free(in);
    if (r && r->parcels_fd >= 0)
        close(r->parcels_fd);
    if (r && r->dest_fd >= 0)
        close(r->dest_fd);
    free(r);
    free(src);
    return rc;
}

static struct archive *outer_new(void)
{
    struct archive *a = archive_read_new();
    if (a && (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
              archive_read_support_format_raw(a) != ARCHIVE_OK)) {
        archive_read_free(a);
        a = NULL;
    }
    return a;
}

int wh_standalone_extract(const char *archive_path, const char *dest_dir,
                          const wh_standalone_limits *lim, wh_err *err)
{
    struct archive *outer = outer_new();
    if (!outer)
        return wh_err_set(err, WH_ENOMEM, "cannot set up the archive reader");
    int rc;
    struct stat st;
    if (stat(archive_path, &st) != 0) {
        rc = wh_err_set(err, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "%s: %s", archive_path,
                        strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = wh_err_set(err, WH_EINVAL, "%s is not a regular file", archive_path);
    } else if (archive_read_open_filename(outer, archive_path, IO_CHUNK) != ARCHIVE_OK) {
        const char *why = archive_error_string(outer);
        rc = wh_err_set(err, WH_EIO, "%s: cannot open: %s", archive_path,
                        why ? why : "unreadable");
    } else {
        rc = extract(outer, archive_path, dest_dir, lim, err);
    }
    archive_read_free(outer);
    return rc;
}

int wh_standalone_extract_mem(const void *buf, size_t len, const char *dest_dir,
                              const wh_standalone_limits *lim, wh_err *err)
{
    struct archive *outer = outer_new();
    if (!outer)
        return wh_err_set(err, WH_ENOMEM, "cannot set up the archive reader");
    int rc;
    /* libarchive refuses a NULL buffer even when it is empty. */
    static const char nothing[1];
    if (archive_read_open_memory(outer, len ? buf : nothing, len) != ARCHIVE_OK) {
        const char *why = archive_error_string(outer);
        rc = wh_err_set(err, WH_EINVAL, "the archive is not a tar or gzip'd tar: %s",
                        why ? why : "unreadable");
    } else {
        rc = extract(outer, "the archive", dest_dir, lim, err);
    }
    archive_read_free(outer);
    return rc;
}

int wh_standalone_extract_tmp(const char *archive_path, const wh_standalone_limits *lim,
                              char **out_dir, wh_err *err)
{
    *out_dir = NULL;
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/')
        tmp = "/tmp";
    size_t len = strlen(tmp) + sizeof "/wharf-standalone.XXXXXX";
    char *dir = malloc(len);
    if (!dir)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    snprintf(dir, len, "%s/wharf-standalone.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        int e = errno;
        free(dir);
        return wh_err_set(err, io_code(e), "cannot make a temporary directory in %s: %s", tmp,
                          strerror(e));
    }
    int rc = wh_standalone_extract(archive_path, dir, lim, err);
    if (rc) {
        wh_standalone_remove_tree(dir);
        free(dir);
        return rc;
    }
    *out_dir = dir;
    return 0;
}

void wh_standalone_remove_tree(const char *dir)
{
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    unlinkat(fd, "invoice.toml", 0);
    int pfd = openat(fd, "parcels", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
    if (d) {
        struct dirent *de;
        struct stat st;
        while ((de = readdir(d)))
            if (fstatat(pfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
                unlinkat(pfd, de->d_name, 0);
        closedir(d);
    } else if (pfd >= 0) {
        close(pfd);
    }
    unlinkat(fd, "parcels", AT_REMOVEDIR);
    close(fd);
    rmdir(dir);
}

/* ---- writing ---- */

typedef struct out_parcel {
    const char *sha;
    const char *path;
} out_parcel;

static int by_sha(const void *a, const void *b)
{
    return strcmp(((const out_parcel *)a)->sha, ((const out_parcel *)b)->sha);
}

static int arc_fail(struct archive *a, const char *out_path, wh_err *err)
{
    const char *why = archive_error_string(a);
    int e = archive_errno(a);
    return wh_err_set(err, e > 0 ? io_code(e) : WH_EIO, "cannot write %s: %s", out_path,
                      why ? why : "archive error");
}

static int add_header(struct archive *a, const char *path, mode_t type, uint64_t size,
                      const char *out_path, wh_err *err)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t)size);
    archive_entry_set_mtime(e, 0, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    int rc = archive_write_header(a, e) == ARCHIVE_OK ? 0 : arc_fail(a, out_path, err);
    archive_entry_free(e);
    return rc;
}

static int add_data(struct archive *a, const char *p, size_t n, const char *out_path,
                    wh_err *err)
{
    while (n) {
        la_ssize_t w = archive_write_data(a, p, n);
        if (w <= 0)
            return arc_fail(a, out_path, err);
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int add_parcel(struct archive *a, const char *top, const out_parcel *p, char *buf,
                      const char *out_path, wh_err *err)
{
    int fd = open(p->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return wh_err_set(err, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "%s: %s", p->path,
                          strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = wh_err_set(err, WH_EIO, "%s is not a readable regular file", p->path);
        goto done;
    }
    char path[64 + 9 + 64 + 5 + 8];
    snprintf(path, sizeof path, "%s/parcels/%s.dat", top, p->sha);
    uint64_t size = (uint64_t)st.st_size, sent = 0;
    if ((rc = add_header(a, path, AE_IFREG, size, out_path, err)) != 0)
        goto done;
    for (;;) {
        ssize_t n = read(fd, buf, IO_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = wh_err_set(err, WH_EIO, "%s: cannot read: %s", p->path, strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        if ((uint64_t)n > size - sent) {
            rc = wh_err_set(err, WH_EIO, "%s grew while it was being archived", p->path);
            goto done;
        }
        if ((rc = add_data(a, buf, (size_t)n, out_path, err)) != 0)
            goto done;
        sent += (uint64_t)n;
    }
    if (sent != size)
        rc = wh_err_set(err, WH_EIO, "%s shrank while it was being archived", p->path);
done:
    close(fd);
    return rc;
}

int wh_standalone_write(const char *out_path, const char *name, const char *version,
                        const char *invoice_toml, size_t toml_len,
                        const char *const *parcel_sha256, const char *const *parcel_paths,
                        size_t n_parcels, wh_err *err)
{
    out_parcel *ps = calloc(n_parcels + 1, sizeof *ps);
    char *buf = malloc(IO_CHUNK), *tmp = NULL, *id = NULL;
    struct archive *a = NULL;
    int fd = -1, rc = 0;
    if (!ps || !buf) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_parcels; i++) {
        if (!is_hex64(parcel_sha256[i], strlen(parcel_sha256[i]))) {
            rc = wh_err_set(err, WH_EINVAL, "parcel %zu: \"%.80s\" is not a sha256 (64 "
                            "lowercase hex digits)", i + 1, parcel_sha256[i]);
            goto done;
        }
        ps[i].sha = parcel_sha256[i];
        ps[i].path = parcel_paths[i];
    }
    qsort(ps, n_parcels, sizeof *ps, by_sha);

    char top[65];
    unsigned char md[32];
    size_t id_len = strlen(name) + 1 + strlen(version);
    if (!(id = malloc(id_len + 1)) || !(tmp = malloc(strlen(out_path) + 16))) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(id, id_len + 1, "%s/%s", name, version);
    if (EVP_Digest(id, id_len, md, NULL, EVP_sha256(), NULL) != 1) {
        rc = wh_err_set(err, WH_ENOMEM, "cannot compute SHA-256");
        goto done;
    }
    hex_of(md, top);

    sprintf(tmp, "%s.tmp.XXXXXX", out_path);
    if ((fd = mkstemp(tmp)) < 0) {
        rc = wh_err_set(err, io_code(errno), "cannot create a temporary file beside %s: %s",
                        out_path, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto done;
    }
    if (fchmod(fd, 0644) != 0) {
        rc = wh_err_set(err, WH_EIO, "%s: cannot set its mode: %s", tmp, strerror(errno));
        goto done;
    }
    a = archive_write_new();
    if (!a || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK ||
        archive_write_open_fd(a, fd) != ARCHIVE_OK) {
        rc = a ? arc_fail(a, out_path, err) : wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    char path[64 + 32];
    snprintf(path, sizeof path, "%s/", top);
    if ((rc = add_header(a, path, AE_IFDIR, 0, out_path, err)) != 0)
        goto done;
    snprintf(path, sizeof path, "%s/invoice.toml", top);
    if ((rc = add_header(a, path, AE_IFREG, toml_len, out_path, err)) != 0 ||
        (rc = add_data(a, invoice_toml, toml_len, out_path, err)) != 0)
        goto done;
    snprintf(path, sizeof path, "%s/parcels/", top);
    if ((rc = add_header(a, path, AE_IFDIR, 0, out_path, err)) != 0)
        goto done;
    for (size_t i = 0; i < n_parcels; i++) {
        if (i && strcmp(ps[i].sha, ps[i - 1].sha) == 0)
            continue;
        if ((rc = add_parcel(a, top, &ps[i], buf, out_path, err)) != 0)
            goto done;
    }
    if (archive_write_close(a) != ARCHIVE_OK) {
        rc = arc_fail(a, out_path, err);
        goto done;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        rc = wh_err_set(err, io_code(errno), "cannot write %s: %s", tmp, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, out_path) != 0) {
        rc = wh_err_set(err, io_code(errno), "cannot rename %s to %s: %s", tmp, out_path,
                        strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
done:
    if (a)
        archive_write_free(a);
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(id);
    free(ps);
    free(buf);
    return rc;
}
