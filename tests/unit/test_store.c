/*
 * test_store.c - the filesystem parcel store (storage/store.h): streamed
 * uploads that become visible only after a verified commit, deduplication of
 * concurrent uploads of one parcel, reads at offsets, and what reopening a
 * store keeps and sweeps.
 *
 * Every store lives in one mkdtemp directory under /tmp, removed at the end;
 * each test uses its own subdirectory so that file counts stay exact.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/store.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/unit.h"

#define KIB ((size_t)1024)
#define MIB (KIB * KIB)

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Named entries in dir/.tmp (an O_TMPFILE upload has none). */
static int count_tmp_names(const char *dir)
{
    return count_entries(dir, ".tmp");
}

/* Uploads buf as parcel `sha` in chunks of `chunk` bytes and commits. */
static int upload(wh_store *s, const char *sha, const unsigned char *buf, size_t len,
                  size_t chunk, wh_err *err)
{
    wh_upload *u = NULL;
    int rc = wh_store_upload_begin(s, sha, len, &u, err);
    if (rc)
        return rc;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = wh_upload_write(u, buf + off, n, err);
        if (rc) {
            wh_upload_abort(u);
            return rc;
        }
    }
    return wh_upload_commit(u, err);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

/* After a failed or aborted upload of `sha`: it is not stored, no parcel
 * file exists, and no named temporary file was left behind. */
static void check_nothing_stored(wh_store *s, const char *dir, const char *sha)
{
    wh_err err = {0};
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 0);
    CHECK_INT(count_parcel_files(dir), 0);
    CHECK_INT(count_tmp_names(dir), 0);
}

static void test_upload_in_chunks(void)
{
    char dir[256], path[512], sha[65];
    wh_store *s = fresh_store("chunks", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 10000;
    unsigned char *data = make_bytes(len, 1);
    sha256_hex(data, len, sha);

    wh_err err = {0};
    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    CHECK(u != NULL);
    if (u) {
        /* Uneven chunks, including an empty one, must concatenate exactly. */
        static const size_t cuts[] = {1, 0, 7, 4096, 900};
        size_t off = 0;
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            CHECK_INT(wh_upload_write(u, data + off, cuts[i], &err), 0);
            off += cuts[i];
            CHECK_INT(wh_upload_received(u), off);
        }
        CHECK_INT(wh_upload_write(u, data + off, len - off, &err), 0);
        CHECK_INT(wh_upload_received(u), len);
        /* Not visible before the commit. */
        CHECK_INT(wh_store_has(s, sha, NULL, &err), 0);
        int rc = wh_upload_commit(u, &err);
        CHECK_INT(rc, 0);
        if (rc)
            fprintf(stderr, "  commit: %s\n", err.msg);
    }

    parcel_path(dir, sha, path, sizeof path);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    CHECK_INT(st.st_size, len);
    CHECK(file_equals(path, data, len));
    uint64_t size = 0;
    CHECK_INT(wh_store_has(s, sha, &size, &err), 1);
    CHECK_INT(size, len);
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 1);
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_tmp_names(dir), 0);

    char other[65];
    memcpy(other, sha, 65);
    other[0] = other[0] == '0' ? '1' : '0';
    CHECK_INT(wh_store_has(s, other, &size, &err), 0);
    free(data);
    wh_store_close(s);
}

static void test_wrong_digest(void)
{
    char dir[256], path[512], sha_a[65], sha_b[65];
    wh_store *s = fresh_store("digest", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 5000;
    unsigned char *a = make_bytes(len, 2), *b = make_bytes(len, 3);
    sha256_hex(a, len, sha_a);
    sha256_hex(b, len, sha_b);
    CHECK(strcmp(sha_a, sha_b) != 0);

    /* Announce b, send a. */
    wh_err err = {0};
    CHECK_INT(upload(s, sha_b, a, len, 1000, &err), WH_EINVAL);
    CHECK_INT(err.code, WH_EINVAL);
    CHECK_CONTAINS(err.msg, "digest");
    CHECK_CONTAINS(err.msg, sha_a);
    CHECK_CONTAINS(err.msg, sha_b);

    CHECK_INT(wh_store_has(s, sha_b, NULL, &err), 0);
    CHECK_INT(wh_store_has(s, sha_a, NULL, &err), 0);
    parcel_path(dir, sha_b, path, sizeof path);
    CHECK(access(path, F_OK) != 0);
    parcel_path(dir, sha_a, path, sizeof path);
    CHECK(access(path, F_OK) != 0);
    CHECK_INT(count_parcel_files(dir), 0);
    CHECK_INT(count_tmp_names(dir), 0);
    free(a);
    free(b);
    wh_store_close(s);
}

/* A complete upload can be read back before it is committed (to inspect a
 * wasm module), and only once its size and digest are right. */
static void test_verify_then_read(void)
{
    char dir[256], sha[65], bad[65];
    wh_store *s = fresh_store("verify", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 70000;
    unsigned char *data = make_bytes(len, 9), back[70000];
    sha256_hex(data, len, sha);
    wh_err err = {0};
    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    CHECK_INT(wh_upload_write(u, data, len / 2, &err), 0);
    CHECK(wh_upload_pread(u, 0, back, 10, &err) < 0); /* not complete yet */
    CHECK_INT(wh_upload_write(u, data + len / 2, len - len / 2, &err), 0);
    CHECK_INT(wh_upload_verify(u, &err), 0);
    CHECK_INT(wh_upload_verify(u, &err), 0); /* the verdict is kept */
    size_t got = 0;
    while (got < len) {
        ssize_t n = wh_upload_pread(u, got, back + got, 4096, &err);
        CHECK(n > 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CHECK(got == len && memcmp(back, data, len) == 0);
    CHECK_INT((int)wh_upload_pread(u, len, back, 10, &err), 0);
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 0); /* not stored until committed */
    CHECK_INT(wh_upload_commit(u, &err), 0);
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 1);

    memcpy(bad, sha, sizeof bad);
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    CHECK_INT(wh_store_upload_begin(s, bad, len, &u, &err), 0);
    CHECK_INT(wh_upload_write(u, data, len, &err), 0);
    CHECK_INT(wh_upload_verify(u, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "digest mismatch");
    CHECK(wh_upload_pread(u, 0, back, 10, &err) < 0);
    CHECK_INT(wh_upload_commit(u, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "digest mismatch");
    CHECK_INT(wh_store_has(s, bad, NULL, &err), 0);
    CHECK_INT(count_parcel_files(dir), 1); /* the good one only */
    CHECK_INT(count_tmp_names(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_too_short(void)
{
    char dir[256], sha[65];
    wh_store *s = fresh_store("short", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 3000;
    unsigned char *data = make_bytes(len, 4);
    sha256_hex(data, len, sha);
    wh_err err = {0};
    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    if (u) {
        CHECK_INT(wh_upload_write(u, data, len - 1, &err), 0);
        CHECK_INT(wh_upload_commit(u, &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "size mismatch");
        CHECK_CONTAINS(err.msg, "3000");
        CHECK_CONTAINS(err.msg, "2999");
    }
    check_nothing_stored(s, dir, sha);
    free(data);
    wh_store_close(s);
}

static void test_too_long(void)
{
    char dir[256], sha[65];
    wh_store *s = fresh_store("long", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 3000;
    unsigned char *data = make_bytes(len + 1, 5);
    sha256_hex(data, len, sha);
    wh_err err = {0};

    /* One write that crosses the announced size. */
    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    if (u) {
        CHECK_INT(wh_upload_write(u, data, len + 1, &err), WH_ETOOBIG);
        CHECK_INT(err.code, WH_ETOOBIG);
        CHECK_CONTAINS(err.msg, "3000");
        wh_upload_abort(u);
    }

    /* Exactly the size, then one byte more. */
    u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    if (u) {
        CHECK_INT(wh_upload_write(u, data, len, &err), 0);
        CHECK_INT(wh_upload_write(u, data + len, 1, &err), WH_ETOOBIG);
        CHECK_INT(wh_upload_received(u), len);
        wh_upload_abort(u);
    }
    check_nothing_stored(s, dir, sha);
    free(data);
    wh_store_close(s);
}

static void test_abort(void)
{
    char dir[256], sha[65];
    wh_store *s = fresh_store("abort", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 4096;
    unsigned char *data = make_bytes(len, 6);
    sha256_hex(data, len, sha);
    wh_err err = {0};
    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    if (u) {
        CHECK_INT(wh_upload_write(u, data, len / 2, &err), 0);
        wh_upload_abort(u);
    }
    /* A complete upload that is aborted instead of committed. */
    u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    if (u) {
        CHECK_INT(wh_upload_write(u, data, len, &err), 0);
        wh_upload_abort(u);
    }
    wh_upload_abort(NULL);
    check_nothing_stored(s, dir, sha);
    wh_blob b;
    CHECK_INT(wh_store_open_blob(s, sha, &b, &err), WH_ENOTFOUND);
    free(data);
    wh_store_close(s);
}

static void test_interleaved_same_parcel(void)
{
    char dir[256], path[512], sha[65];
    wh_store *s = fresh_store("interleaved", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 100000, chunk = 7000;
    unsigned char *data = make_bytes(len, 7);
    sha256_hex(data, len, sha);
    wh_err e1 = {0}, e2 = {0};
    wh_upload *u1 = NULL, *u2 = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u1, &e1), 0);
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u2, &e2), 0);
    if (u1 && u2) {
        for (size_t off = 0; off < len; off += chunk) {
            size_t n = len - off < chunk ? len - off : chunk;
            CHECK_INT(wh_upload_write(u1, data + off, n, &e1), 0);
            CHECK_INT(wh_upload_write(u2, data + off, n, &e2), 0);
        }
        int r1 = wh_upload_commit(u1, &e1);
        CHECK_INT(r1, 0);
        if (r1)
            fprintf(stderr, "  first commit: %s\n", e1.msg);
        int r2 = wh_upload_commit(u2, &e2);
        CHECK_INT(r2, 0);
        if (r2)
            fprintf(stderr, "  second commit: %s\n", e2.msg);
    } else {
        wh_upload_abort(u1);
        wh_upload_abort(u2);
    }
    parcel_path(dir, sha, path, sizeof path);
    CHECK(file_equals(path, data, len));
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_tmp_names(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_commit_when_stored(void)
{
    char dir[256], path[512], sha[65];
    wh_store *s = fresh_store("stored", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 2048;
    unsigned char *data = make_bytes(len, 8);
    sha256_hex(data, len, sha);
    wh_err err = {0};
    CHECK_INT(upload(s, sha, data, len, len, &err), 0);
    parcel_path(dir, sha, path, sizeof path);
    struct stat before, after;
    CHECK(stat(path, &before) == 0);

    int rc = upload(s, sha, data, len, 100, &err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "  second upload: %s\n", err.msg);
    /* Deduplicated onto the stored file, never replacing it. */
    CHECK(stat(path, &after) == 0);
    CHECK(before.st_ino == after.st_ino);
    CHECK(file_equals(path, data, len));
    uint64_t size = 0;
    CHECK_INT(wh_store_has(s, sha, &size, &err), 1);
    CHECK_INT(size, len);
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_tmp_names(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_blob_read(void)
{
    char dir[256], sha[65];
    wh_store *s = fresh_store("blob", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 70000;
    unsigned char *data = make_bytes(len, 9);
    sha256_hex(data, len, sha);
    wh_err err = {0};
    CHECK_INT(upload(s, sha, data, len, 65536, &err), 0);

    wh_blob b;
    CHECK_INT(wh_store_open_blob(s, sha, &b, &err), 0);
    CHECK_INT(b.size, len);
    CHECK(b.fd >= 0);
    unsigned char buf[1000];
    CHECK_INT(wh_blob_read(&b, 0, buf, 100, &err), 100);
    CHECK(memcmp(buf, data, 100) == 0);
    CHECK_INT(wh_blob_read(&b, 12345, buf, sizeof buf, &err), sizeof buf);
    CHECK(memcmp(buf, data + 12345, sizeof buf) == 0);
    /* A read that runs past the end is cut at the end. */
    CHECK_INT(wh_blob_read(&b, len - 10, buf, sizeof buf, &err), 10);
    CHECK(memcmp(buf, data + len - 10, 10) == 0);
    CHECK_INT(wh_blob_read(&b, len, buf, sizeof buf, &err), 0);
    CHECK_INT(wh_blob_read(&b, len + 5000, buf, sizeof buf, &err), 0);
    /* Reading at an offset does not disturb a later read at another. */
    CHECK_INT(wh_blob_read(&b, 1, buf, 1, &err), 1);
    CHECK_INT(buf[0], data[1]);

    /* The descriptor itself reads the same bytes (what sendfile would send). */
    unsigned char viafd[64];
    CHECK_INT(pread(b.fd, viafd, sizeof viafd, 500), sizeof viafd);
    CHECK(memcmp(viafd, data + 500, sizeof viafd) == 0);
    wh_blob_close(&b);
    CHECK_INT(b.fd, -1);

    /* Two blobs of one parcel are independent. */
    wh_blob b1, b2;
    CHECK_INT(wh_store_open_blob(s, sha, &b1, &err), 0);
    CHECK_INT(wh_store_open_blob(s, sha, &b2, &err), 0);
    wh_blob_close(&b1);
    CHECK_INT(wh_blob_read(&b2, len - 1, buf, 1, &err), 1);
    CHECK_INT(buf[0], data[len - 1]);
    wh_blob_close(&b2);
    free(data);
    wh_store_close(s);
}

static void test_open_blob_unknown(void)
{
    char dir[256];
    wh_store *s = fresh_store("unknown", dir, sizeof dir);
    if (!s)
        return;
    wh_err err = {0};
    wh_blob b;
    const char *absent = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK_INT(wh_store_open_blob(s, absent, &b, &err), WH_ENOTFOUND);
    CHECK_INT(err.code, WH_ENOTFOUND);
    CHECK_CONTAINS(err.msg, absent);
    CHECK_INT(b.fd, -1);
    /* A malformed name cannot be stored, so it is not found either, and must
     * never reach the filesystem as a path. */
    CHECK_INT(wh_store_open_blob(s, "../../etc/passwd", &b, &err), WH_ENOTFOUND);
    CHECK_INT(wh_store_has(s, "../../etc/passwd", NULL, &err), 0);
    wh_store_close(s);
}

static void test_invalid_sha(void)
{
    char dir[256];
    wh_store *s = fresh_store("badsha", dir, sizeof dir);
    if (!s)
        return;
    static const char *const bad[] = {
        "",
        "abc",
        /* 63 and 65 digits */
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        /* uppercase, a non-hex letter, a slash */
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef",
        "01/3456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wh_err err = {0};
        wh_upload *u = (wh_upload *)&err;  /* must be reset to NULL */
        int rc = wh_store_upload_begin(s, bad[i], 10, &u, &err);
        CHECK_INT(rc, WH_EINVAL);
        CHECK(u == NULL);
        CHECK_CONTAINS(err.msg, "sha256");
        if (rc == 0)
            wh_upload_abort(u);
    }
    CHECK_INT(count_parcel_files(dir), 0);
    CHECK_INT(count_tmp_names(dir), 0);
    wh_store_close(s);
}

static void test_zero_bytes(void)
{
    char dir[256], path[512], sha[65];
    wh_store *s = fresh_store("zero", dir, sizeof dir);
    if (!s)
        return;
    sha256_hex("", 0, sha);
    CHECK_STR(sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    wh_err err = {0};

    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, 0, &u, &err), 0);
    if (u) {
        CHECK_INT(wh_upload_write(u, "x", 1, &err), WH_ETOOBIG);
        wh_upload_abort(u);
    }
    CHECK_INT(upload(s, sha, (const unsigned char *)"", 0, 1, &err), 0);
    uint64_t size = 99;
    CHECK_INT(wh_store_has(s, sha, &size, &err), 1);
    CHECK_INT(size, 0);
    parcel_path(dir, sha, path, sizeof path);
    CHECK(file_equals(path, (const unsigned char *)"", 0));
    wh_blob b;
    CHECK_INT(wh_store_open_blob(s, sha, &b, &err), 0);
    CHECK_INT(b.size, 0);
    char buf[4];
    CHECK_INT(wh_blob_read(&b, 0, buf, sizeof buf, &err), 0);
    wh_blob_close(&b);
    wh_store_close(s);
}

/* Past two WRITEBACK_STEPs (8 MiB) with an uneven tail, in 64 KiB writes. */
static void test_multi_mib(void)
{
    char dir[256], path[512], sha[65];
    wh_store *s = fresh_store("big", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 17 * MIB + 12345;
    unsigned char *data = make_bytes(len, 10);
    CHECK(data != NULL);
    if (!data) {
        wh_store_close(s);
        return;
    }
    sha256_hex(data, len, sha);
    wh_err err = {0};
    int rc = upload(s, sha, data, len, 64 * KIB, &err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "  big upload: %s\n", err.msg);
    uint64_t size = 0;
    CHECK_INT(wh_store_has(s, sha, &size, &err), 1);
    CHECK_INT(size, len);
    parcel_path(dir, sha, path, sizeof path);
    CHECK(file_equals(path, data, len));

    /* A wrong final byte past the write-back step still fails the commit. */
    char sha2[65];
    data[len - 1] ^= 0xff;
    sha256_hex(data, len, sha2);
    data[len - 1] ^= 0xff;
    CHECK_INT(upload(s, sha2, data, len, 64 * KIB, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, sha2);
    CHECK_INT(wh_store_has(s, sha2, NULL, &err), 0);
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_tmp_names(dir), 0);
    free(data);
    wh_store_close(s);
}

typedef struct upload_job {
    wh_store *store;
    const char *sha;
    const unsigned char *data;
    size_t len;
    pthread_barrier_t *start;
    int rc;
    wh_err err;
} upload_job;

static void *upload_thread(void *arg)
{
    upload_job *j = arg;
    pthread_barrier_wait(j->start);
    j->rc = upload(j->store, j->sha, j->data, j->len, 64 * KIB, &j->err);
    return NULL;
}

static void test_threads_same_parcel(void)
{
    enum { NTHREADS = 4 };
    char dir[256], path[512], sha[65];
    wh_store *s = fresh_store("threads", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = MIB;
    unsigned char *data = make_bytes(len, 11);
    sha256_hex(data, len, sha);

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    upload_job jobs[NTHREADS];
    pthread_t tids[NTHREADS];
    int started = 0;
    for (int i = 0; i < NTHREADS; i++) {
        jobs[i] = (upload_job){.store = s, .sha = sha, .data = data, .len = len,
                               .start = &start, .rc = 1};
        if (pthread_create(&tids[i], NULL, upload_thread, &jobs[i]) == 0)
            started++;
    }
    CHECK_INT(started, NTHREADS);
    if (started == NTHREADS) {
        for (int i = 0; i < NTHREADS; i++) {
            pthread_join(tids[i], NULL);
            CHECK_INT(jobs[i].rc, 0);
            if (jobs[i].rc)
                fprintf(stderr, "  thread %d: %s\n", i, jobs[i].err.msg);
        }
    } else {
        /* Never reached in practice; the barrier would hang the others. */
        for (int i = 0; i < started; i++)
            pthread_cancel(tids[i]);
    }
    pthread_barrier_destroy(&start);
    parcel_path(dir, sha, path, sizeof path);
    CHECK(file_equals(path, data, len));
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_tmp_names(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_reopen(void)
{
    char dir[256], path[512], sha1[65], sha2[65];
    wh_store *s = fresh_store("reopen", dir, sizeof dir);
    if (!s)
        return;
    const size_t len1 = 1000, len2 = 20000;
    unsigned char *d1 = make_bytes(len1, 12), *d2 = make_bytes(len2, 13);
    sha256_hex(d1, len1, sha1);
    sha256_hex(d2, len2, sha2);
    wh_err err = {0};
    CHECK_INT(upload(s, sha1, d1, len1, 300, &err), 0);
    CHECK_INT(upload(s, sha2, d2, len2, 4096, &err), 0);
    wh_store_close(s);

    /* What a crash in the named-file fallback would leave behind. */
    char leftover[512];
    snprintf(leftover, sizeof leftover, "%s/.tmp/upload-4242-7-12345", dir);
    int fd = open(leftover, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_INT(write(fd, "partial", 7), 7);
        close(fd);
    }
    CHECK_INT(count_tmp_names(dir), 1);

    s = open_store(dir);
    CHECK(s != NULL);
    if (!s)
        goto done;
    CHECK(access(leftover, F_OK) != 0);
    CHECK_INT(count_tmp_names(dir), 0);
    uint64_t size = 0;
    CHECK_INT(wh_store_has(s, sha1, &size, &err), 1);
    CHECK_INT(size, len1);
    CHECK_INT(wh_store_has(s, sha2, &size, &err), 1);
    CHECK_INT(size, len2);
    wh_blob b;
    unsigned char buf[64];
    CHECK_INT(wh_store_open_blob(s, sha2, &b, &err), 0);
    CHECK_INT(wh_blob_read(&b, 10000, buf, sizeof buf, &err), sizeof buf);
    CHECK(memcmp(buf, d2 + 10000, sizeof buf) == 0);
    wh_blob_close(&b);
    parcel_path(dir, sha1, path, sizeof path);
    CHECK(file_equals(path, d1, len1));
    CHECK_INT(count_parcel_files(dir), 2);
    /* The reopened store still takes uploads. */
    unsigned char *d3 = make_bytes(333, 14);
    char sha3[65];
    sha256_hex(d3, 333, sha3);
    CHECK_INT(upload(s, sha3, d3, 333, 333, &err), 0);
    CHECK_INT(count_parcel_files(dir), 3);
    free(d3);
    wh_store_close(s);
done:
    free(d1);
    free(d2);
}

static void test_open_errors(void)
{
    char dir[512], file[256];
    wh_err err = {0};
    wh_store *s = (wh_store *)&err;

    /* The parent does not exist: the store does not create whole trees. */
    snprintf(dir, sizeof dir, "%s/no/such/parent", g_root);
    CHECK(wh_store_open_fs(dir, &s, &err) < 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, dir);

    /* The path is a regular file. */
    snprintf(file, sizeof file, "%s/plainfile", g_root);
    int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    s = (wh_store *)&err;
    CHECK(wh_store_open_fs(file, &s, &err) < 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, file);
}

int main(void)
{
    if (tmp_root_make("/tmp/wh-test-store") != 0)
        return 1;
    RUN(test_upload_in_chunks);
    RUN(test_wrong_digest);
    RUN(test_verify_then_read);
    RUN(test_too_short);
    RUN(test_too_long);
    RUN(test_abort);
    RUN(test_interleaved_same_parcel);
    RUN(test_commit_when_stored);
    RUN(test_blob_read);
    RUN(test_open_blob_unknown);
    RUN(test_invalid_sha);
    RUN(test_zero_bytes);
    RUN(test_multi_mib);
    RUN(test_threads_same_parcel);
    RUN(test_reopen);
    RUN(test_open_errors);
    tmp_root_remove();
    return unit_done("store");
}
