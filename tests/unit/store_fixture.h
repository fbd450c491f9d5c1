/*
 * store_fixture.h - what the tests of the filesystem parcel store share
 * (test_store.c, test_oci_store.c, test_oci_gc.c): made-up bytes and their
 * digests, a fresh store under g_root (tmp_root.h), and looks at the files
 * a store keeps, independent of the store's own code.
 *
 * Helpers are static inline so that each test binary compiles only what it
 * uses.  make_bytes hands its buffer to the caller (free it); paths go into
 * buffers the caller passes; a store from open_store / fresh_store is the
 * caller's to wh_store_close.
 */
#ifndef WH_STORE_FIXTURE_H
#define WH_STORE_FIXTURE_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "storage/store.h"
#include "tests/unit/tmp_root.h"
#include "tests/unit/unit.h"

/* out gets the lowercase hex sha256 of buf, or "" when OpenSSL fails. */
static inline void sha256_hex(const void *buf, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    out[0] = '\0';
    if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return;
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Deterministic bytes that differ between seeds, so that digests differ. */
static inline unsigned char *make_bytes(size_t len, uint32_t seed)
{
    unsigned char *p = malloc(len ? len : 1);
    if (!p)
        return NULL;
    uint32_t x = seed * 2654435761u + 1u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/* A store directory g_root/<name> (not created: the store creates it). */
static inline void store_dir(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", g_root, name);
}

static inline wh_store *open_store(const char *dir)
{
    wh_store *s = NULL;
    wh_err err = {0};
    if (wh_store_open_fs(dir, &s, &err) != 0)
        fprintf(stderr, "  cannot open store %s: %s\n", dir, err.msg);
    return s;
}

/* The store in g_root/<name>, its directory into dir; NULL (with a failed
 * check) when it cannot be opened.  Each test names its own, so that file
 * counts stay exact; opening the same name again is a restart. */
static inline wh_store *fresh_store(const char *name, char *dir, size_t cap)
{
    store_dir(name, dir, cap);
    wh_store *s = open_store(dir);
    CHECK(s != NULL);
    return s;
}

/* dir/ab/cdef... for a sha. */
static inline void parcel_path(const char *dir, const char *sha, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%.2s/%s", dir, sha, sha + 2);
}

/* Files in the two-hex-digit parcel directories of dir; a stray file at
 * the top level counts too, dot-names (.tmp, .sessions) do not. */
static inline int count_parcel_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
        DIR *s = opendir(sub);
        if (!s) {
            n++;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(s)) != NULL)
            if (e->d_name[0] != '.')
                n++;
        closedir(s);
    }
    closedir(d);
    return n;
}

/* Entries in dir/sub (but . and ..), -1 when it does not exist. */
static inline int count_entries(const char *dir, const char *sub)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* True when the file at path holds exactly buf[0..len). */
static inline bool file_equals(const char *path, const unsigned char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && (uint64_t)st.st_size == len;
    unsigned char chunk[65536];
    size_t off = 0;
    while (ok && off < len) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0 || off + (size_t)n > len || memcmp(chunk, buf + off, (size_t)n) != 0)
            ok = false;
        else
            off += (size_t)n;
    }
    close(fd);
    return ok && off == len;
}

#endif
