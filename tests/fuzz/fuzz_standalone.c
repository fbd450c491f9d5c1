/*
 * fuzz_standalone.c - wh_standalone_extract_mem on arbitrary bytes, each
 * input into a fresh, empty directory that is removed afterwards.
 *
 * Besides not crashing or leaking: a refusal carries a non-empty UTF-8
 * message; nothing is ever written outside the destination (its parent
 * holds nothing else afterwards); the destination never holds a link or
 * anything but invoice.toml and parcels/<64 hex>.dat regular files; on
 * success each parcel's bytes hash to its name and the sizes keep to the
 * limits; and wh_standalone_remove_tree removes everything an extraction
 * wrote, whether it succeeded or not.  Any broken invariant aborts.
 */
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

#include "schema/standalone.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that the decompression bound (448 KiB here) sits below
 * what libarchive itself would read into one pax header (1 MiB), so the
 * corpus's gzip bomb reaches it. */
static const wh_standalone_limits limits = {
    .max_entries = 32,
    .max_total_bytes = 256 * 1024,
    .max_invoice_bytes = 64 * 1024,
};

static char base[64];

static void remove_base(void)
{
    rmdir(base);
}

/* The only entry of base must be "d". */
static void check_base(void)
{
    DIR *d = opendir(base);
    if (!d)
        broken("the scratch directory is gone", NULL);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "d")) {
            fprintf(stderr, "found %s/%s\n", base, e->d_name);
            broken("something was written outside the destination", NULL);
        }
    closedir(d);
}

/* The file's size, after checking it is a regular file (not a link). */
static uint64_t regular_size(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "%s\n", path);
        broken("not a regular file in the destination", NULL);
    }
    return (uint64_t)st.st_size;
}

static bool hashes_to(const char *path, const char *hex)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[16384], d[32];
    size_t n;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    EVP_DigestFinal_ex(md, d, NULL);
    EVP_MD_CTX_free(md);
    fclose(f);
    char got[65];
    for (int i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", d[i]);
    return strcmp(got, hex) == 0;
}

/* What the destination may hold, after a success (`ok`) or a refusal. */
static void check_dest(const char *dest, bool ok)
{
    char path[512];
    uint64_t total = 0;
    bool invoice = false;
    DIR *d = opendir(dest);
    if (!d)
        broken("the destination is gone", NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dest, e->d_name);
        if (!strcmp(e->d_name, "invoice.toml")) {
            uint64_t n = regular_size(path);
            if (ok && n > limits.max_invoice_bytes)
                broken("an invoice over the limit was written", NULL);
            total += n;
            invoice = true;
            continue;
        }
        struct stat st;
        if (strcmp(e->d_name, "parcels") != 0 || lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            broken("an unexpected entry in the destination", NULL);
        DIR *p = opendir(path);
        struct dirent *pe;
        while (p && (pe = readdir(p))) {
            if (!strcmp(pe->d_name, ".") || !strcmp(pe->d_name, ".."))
                continue;
            size_t len = strlen(pe->d_name);
            if (len != 68 || strcmp(pe->d_name + 64, ".dat") != 0)
                broken("a parcel file with a bad name", NULL);
            char file[1024], hex[65];
            snprintf(file, sizeof file, "%s/%s", path, pe->d_name);
            total += regular_size(file);
            memcpy(hex, pe->d_name, 64);
            hex[64] = '\0';
            if (ok && !hashes_to(file, hex))
                broken("a parcel that does not hash to its name", NULL);
        }
        if (p)
            closedir(p);
    }
    closedir(d);
    if (ok && !invoice)
        broken("a success without invoice.toml", NULL);
    if (ok && total > limits.max_total_bytes)
        broken("more bytes than the limit were written", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!base[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(base, sizeof base, "%s/wh-fuzz-sa.XXXXXX",
                 tmp && tmp[0] == '/' && strlen(tmp) < 32 ? tmp : "/tmp");
        if (!mkdtemp(base))
            broken("cannot make a scratch directory", NULL);
        atexit(remove_base);
    }
    char dest[96];
    snprintf(dest, sizeof dest, "%s/d", base);
    if (mkdir(dest, 0700) != 0)
        broken("the last input's destination was not removed", NULL);
    wh_err err = {0};
    int rc = wh_standalone_extract_mem(data, size, dest, &limits, &err);
    if (rc)
        check_message(&err);
    check_base();
    check_dest(dest, rc == 0);
    wh_standalone_remove_tree(dest);
    struct stat st;
    if (lstat(dest, &st) == 0)
        broken("remove_tree left part of an extraction behind", NULL);
    return 0;
}
