/*
 * test_oci_store.c - upload sessions and parcel removal in the filesystem
 * store (storage/store.h): the bytes of OCI blob uploads, appended over
 * several requests, checked against the digest named at the end, surviving
 * a restart, expiring, and committed exactly as streamed uploads are.
 *
 * Every store lives under one mkdtemp directory, removed at the end; each
 * test uses its own subdirectory so that file counts stay exact.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/store.h"
#include "tests/unit/store_fixture.h"
#include "tests/unit/unit.h"

static void session_path(const char *dir, const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/.sessions/%s", dir, id);
}

/* Entries in dir/.sessions, -1 when it does not exist. */
static int count_sessions(const char *dir)
{
    return count_entries(dir, ".sessions");
}

/* Sets a session file's mtime `age` seconds into the past. */
static void age_session(const char *dir, const char *id, time_t age)
{
    char path[4096];
    session_path(dir, id, path, sizeof path);
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    CHECK_INT(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Opens session id, appends buf in pieces of `chunk` and closes it. */
static int append(wh_store *s, const char *id, const unsigned char *buf, size_t len,
                  size_t chunk, wh_err *err)
{
    wh_session *ss = NULL;
    int rc = wh_store_session_open(s, id, &ss, err);
    if (rc)
        return rc;
    for (size_t off = 0; off < len && !rc; off += chunk)
        rc = wh_session_write(ss, buf + off, len - off < chunk ? len - off : chunk, err);
    wh_session_close(ss);
    return rc;
}

static int finish(wh_store *s, const char *id, const char *sha, uint64_t *size, wh_err *err)
{
    wh_session *ss = NULL;
    int rc = wh_store_session_open(s, id, &ss, err);
    return rc ? rc : wh_session_finish(ss, sha, size, err);
}

/* ------------------------------------------------------------------ */

/* Bytes appended over several requests, in uneven pieces, become the
 * parcel only when finished, and the session is gone afterwards. */
static void test_appends_then_finish(void)
{
    char dir[256], path[512], id[WH_SESSION_ID_LEN + 1], sha[65];
    wh_store *s = fresh_store("appends", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 300000;
    unsigned char *data = make_bytes(len, 1);
    sha256_hex(data, len, sha);
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    CHECK_INT(strlen(id), WH_SESSION_ID_LEN);
    CHECK(strspn(id, "0123456789abcdef") == WH_SESSION_ID_LEN);
    session_path(dir, id, path, sizeof path);
    CHECK(access(path, F_OK) == 0);

    wh_session *ss = NULL;
    CHECK_INT(wh_store_session_open(s, id, &ss, &err), 0);
    if (ss) {
        CHECK_INT(wh_session_size(ss), 0);
        CHECK_INT(wh_session_write(ss, data, 1, &err), 0);
        CHECK_INT(wh_session_write(ss, data + 1, 0, &err), 0);
        CHECK_INT(wh_session_write(ss, data + 1, 99999, &err), 0);
        CHECK_INT(wh_session_size(ss), 100000);
        wh_session_close(ss);
    }
    /* Later requests see what the earlier ones wrote. */
    CHECK_INT(append(s, id, data + 100000, 150000, 7777, &err), 0);
    CHECK_INT(append(s, id, data + 250000, len - 250000, 65536, &err), 0);
    CHECK(file_equals(path, data, len));
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 0);
    CHECK_INT(count_parcel_files(dir), 0);

    uint64_t size = 0;
    int rc = finish(s, id, sha, &size, &err);
    CHECK_INT(rc, 0);
    if (rc)
        fprintf(stderr, "  finish: %s\n", err.msg);
    CHECK_INT(size, len);
    CHECK_INT(wh_store_has(s, sha, &size, &err), 1);
    CHECK_INT(size, len);
    parcel_path(dir, sha, path, sizeof path);
    CHECK(file_equals(path, data, len));
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_sessions(dir), 0);
    CHECK_INT(wh_store_session_open(s, id, &ss, &err), WH_ENOTFOUND);
    CHECK(ss == NULL);
    free(data);
    wh_store_close(s);
}

/* A wrong digest keeps the session untouched and usable: more bytes can
 * follow, and the right digest of all of them finishes it. */
static void test_wrong_digest_keeps_session(void)
{
    char dir[256], path[512], id[WH_SESSION_ID_LEN + 1], sha_part[65], sha_all[65];
    wh_store *s = fresh_store("wrong", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 9000;
    unsigned char *data = make_bytes(len, 2);
    sha256_hex(data, 4000, sha_part);
    sha256_hex(data, len, sha_all);
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    CHECK_INT(append(s, id, data, 4000, 1000, &err), 0);

    uint64_t size = 1;
    CHECK_INT(finish(s, id, sha_all, &size, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "digest mismatch");
    CHECK_CONTAINS(err.msg, sha_part);
    CHECK_CONTAINS(err.msg, sha_all);
    CHECK_INT(size, 0);
    CHECK_INT(finish(s, id, "sha256:abc", &size, &err), WH_EINVAL);
    CHECK_INT(finish(s, id, "", &size, &err), WH_EINVAL);
    session_path(dir, id, path, sizeof path);
    CHECK(file_equals(path, data, 4000));
    CHECK_INT(wh_store_has(s, sha_all, NULL, &err), 0);
    CHECK_INT(wh_store_has(s, sha_part, NULL, &err), 0);
    CHECK_INT(count_parcel_files(dir), 0);

    /* Not left busy by the failures, and the kept hash still extends. */
    CHECK_INT(append(s, id, data + 4000, len - 4000, 3000, &err), 0);
    CHECK_INT(finish(s, id, sha_all, &size, &err), 0);
    CHECK_INT(size, len);
    parcel_path(dir, sha_all, path, sizeof path);
    CHECK(file_equals(path, data, len));
    CHECK_INT(count_sessions(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_busy(void)
{
    char dir[256], a[WH_SESSION_ID_LEN + 1], b[WH_SESSION_ID_LEN + 1];
    wh_store *s = fresh_store("busy", dir, sizeof dir);
    if (!s)
        return;
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, a, &err), 0);
    CHECK_INT(wh_store_session_create(s, b, &err), 0);
    CHECK(strcmp(a, b) != 0);
    wh_session *sa = NULL, *sa2 = NULL, *sb = NULL;
    CHECK_INT(wh_store_session_open(s, a, &sa, &err), 0);
    CHECK_INT(wh_store_session_open(s, a, &sa2, &err), WH_EBUSY);
    CHECK(sa2 == NULL);
    CHECK_CONTAINS(err.msg, a);
    /* Another session is not affected. */
    CHECK_INT(wh_store_session_open(s, b, &sb, &err), 0);
    wh_session_close(sb);
    CHECK_INT(wh_session_write(sa, "xyz", 3, &err), 0);
    wh_session_close(sa);
    CHECK_INT(wh_store_session_open(s, a, &sa2, &err), 0);
    if (sa2) {
        CHECK_INT(wh_session_size(sa2), 3);
        wh_session_discard(sa2);
    }
    /* A discarded session is not busy, it is gone. */
    CHECK_INT(wh_store_session_open(s, a, &sa2, &err), WH_ENOTFOUND);
    wh_store_close(s);
}

/* Sessions outlive the store (a restart): the bytes stay, and the hash
 * state that was lost is rebuilt from them when finishing. */
static void test_survives_reopen(void)
{
    char dir[256], id1[WH_SESSION_ID_LEN + 1], id2[WH_SESSION_ID_LEN + 1], sha1[65],
        sha2[65], path[512];
    wh_store *s = fresh_store("reopen", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 200000;
    unsigned char *d1 = make_bytes(len, 3), *d2 = make_bytes(len, 4);
    sha256_hex(d1, len, sha1);
    sha256_hex(d2, len, sha2);
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id1, &err), 0);
    CHECK_INT(wh_store_session_create(s, id2, &err), 0);
    CHECK_INT(append(s, id1, d1, 120000, 50000, &err), 0);
    CHECK_INT(append(s, id2, d2, len, 50000, &err), 0);
    wh_store_close(s);

    s = fresh_store("reopen", dir, sizeof dir);
    if (!s)
        goto done;
    CHECK_INT(count_sessions(dir), 2);
    wh_session *ss = NULL;
    CHECK_INT(wh_store_session_open(s, id1, &ss, &err), 0);
    if (ss) {
        CHECK_INT(wh_session_size(ss), 120000);
        CHECK_INT(wh_session_write(ss, d1 + 120000, len - 120000, &err), 0);
        uint64_t size = 0;
        CHECK_INT(wh_session_finish(ss, sha1, &size, &err), 0);
        CHECK_INT(size, len);
    }
    /* Finished without any write after the restart: all of it is hashed. */
    uint64_t size = 0;
    CHECK_INT(finish(s, id2, sha1, &size, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, sha2);
    CHECK_INT(finish(s, id2, sha2, &size, &err), 0);
    CHECK_INT(size, len);
    parcel_path(dir, sha1, path, sizeof path);
    CHECK(file_equals(path, d1, len));
    parcel_path(dir, sha2, path, sizeof path);
    CHECK(file_equals(path, d2, len));
    CHECK_INT(count_parcel_files(dir), 2);
    CHECK_INT(count_sessions(dir), 0);
    wh_store_close(s);
done:
    free(d1);
    free(d2);
}

static void test_expire(void)
{
    char dir[256], old1[WH_SESSION_ID_LEN + 1], old2[WH_SESSION_ID_LEN + 1],
        young[WH_SESSION_ID_LEN + 1], path[512];
    wh_store *s = fresh_store("expire", dir, sizeof dir);
    if (!s)
        return;
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, old1, &err), 0);
    CHECK_INT(wh_store_session_create(s, old2, &err), 0);
    CHECK_INT(wh_store_session_create(s, young, &err), 0);
    CHECK_INT(append(s, old1, (const unsigned char *)"abc", 3, 3, &err), 0);
    CHECK_INT(append(s, young, (const unsigned char *)"abc", 3, 3, &err), 0);
    age_session(dir, old1, 3600);
    age_session(dir, old2, 3600);
    /* A file that is not a session is never touched. */
    snprintf(path, sizeof path, "%s/.sessions/notes", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f)
        fclose(f);

    /* An old session held by a request is not expired under it. */
    wh_session *held = NULL;
    CHECK_INT(wh_store_session_open(s, old2, &held, &err), 0);
    int64_t cutoff = (int64_t)time(NULL) - 600;
    CHECK_INT(wh_store_session_expire(s, cutoff, &err), 1);
    wh_session *ss = NULL;
    CHECK_INT(wh_store_session_open(s, old1, &ss, &err), WH_ENOTFOUND);
    CHECK_INT(wh_store_session_open(s, young, &ss, &err), 0);
    wh_session_close(ss);
    wh_session_close(held);

    CHECK_INT(wh_store_session_expire(s, cutoff, &err), 1);
    CHECK_INT(wh_store_session_open(s, old2, &ss, &err), WH_ENOTFOUND);
    CHECK_INT(wh_store_session_expire(s, cutoff, &err), 0);
    CHECK_INT(count_sessions(dir), 2); /* young and notes */
    CHECK(access(path, F_OK) == 0);
    wh_store_close(s);
}

static void test_discard(void)
{
    char dir[256], id[WH_SESSION_ID_LEN + 1], sha[65];
    wh_store *s = fresh_store("discard", dir, sizeof dir);
    if (!s)
        return;
    unsigned char *data = make_bytes(5000, 5);
    sha256_hex(data, 5000, sha);
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    CHECK_INT(append(s, id, data, 5000, 1024, &err), 0);
    wh_session *ss = NULL;
    CHECK_INT(wh_store_session_open(s, id, &ss, &err), 0);
    wh_session_discard(ss);
    wh_session_discard(NULL);
    CHECK_INT(count_sessions(dir), 0);
    CHECK_INT(wh_store_session_open(s, id, &ss, &err), WH_ENOTFOUND);
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 0);
    CHECK_INT(count_parcel_files(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_remove(void)
{
    char dir[256], id[WH_SESSION_ID_LEN + 1], sha[65], path[512];
    wh_store *s = fresh_store("remove", dir, sizeof dir);
    if (!s)
        return;
    unsigned char *data = make_bytes(4096, 6);
    sha256_hex(data, 4096, sha);
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    CHECK_INT(append(s, id, data, 4096, 4096, &err), 0);
    uint64_t size = 0;
    CHECK_INT(finish(s, id, sha, &size, &err), 0);
    wh_blob b;
    CHECK_INT(wh_store_open_blob(s, sha, &b, &err), 0);

    CHECK_INT(wh_store_remove(s, sha, &err), 0);
    CHECK_INT(wh_store_has(s, sha, NULL, &err), 0);
    parcel_path(dir, sha, path, sizeof path);
    CHECK(access(path, F_OK) != 0);
    CHECK_INT(count_parcel_files(dir), 0);
    /* A reader that opened it before keeps reading it. */
    unsigned char back[4096];
    CHECK_INT(wh_blob_read(&b, 0, back, sizeof back, &err), 4096);
    CHECK(memcmp(back, data, 4096) == 0);
    wh_blob_close(&b);

    CHECK_INT(wh_store_remove(s, sha, &err), WH_ENOTFOUND);
    CHECK_INT(wh_store_remove(s, "../../etc/passwd", &err), WH_ENOTFOUND);
    CHECK_INT(wh_store_remove(s, "", &err), WH_ENOTFOUND);
    free(data);
    wh_store_close(s);
}

/* A malformed id is "no such session", never a path, whatever exists. */
static void test_malformed_id(void)
{
    char dir[256], path[512], id[WH_SESSION_ID_LEN + 1];
    wh_store *s = fresh_store("malformed", dir, sizeof dir);
    if (!s)
        return;
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    /* Names that exist but are not ids. */
    snprintf(path, sizeof path, "%s/.sessions/short", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    char upper[WH_SESSION_ID_LEN + 1];
    memcpy(upper, id, sizeof upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    char longer[WH_SESSION_ID_LEN + 2];
    snprintf(longer, sizeof longer, "%s0", id);
    char shorter[WH_SESSION_ID_LEN];
    memcpy(shorter, id, WH_SESSION_ID_LEN - 1);
    shorter[WH_SESSION_ID_LEN - 1] = '\0';
    const char *bad[] = {"", "short", "../.sessions/short", "..", ".", "/etc/passwd",
                         "../../../../../../../../../etc/passwd", longer, shorter,
                         "0123456789abcdef0123456789abcdeg", "0123456789abcdef/123456789abcdef"};
    bool upper_differs = strcmp(upper, id) != 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wh_session *ss = (wh_session *)&err;
        CHECK_INT(wh_store_session_open(s, bad[i], &ss, &err), WH_ENOTFOUND);
        CHECK(ss == NULL);
    }
    if (upper_differs) {
        wh_session *ss = NULL;
        CHECK_INT(wh_store_session_open(s, upper, &ss, &err), WH_ENOTFOUND);
    }
    /* Well formed, but no such session. */
    wh_session *ss = NULL;
    CHECK_INT(wh_store_session_open(s, "0123456789abcdef0123456789abcdef", &ss, &err),
              WH_ENOTFOUND);
    CHECK_INT(wh_store_session_open(s, id, &ss, &err), 0);
    wh_session_close(ss);
    CHECK_INT(count_sessions(dir), 2);
    wh_store_close(s);
}

/* Finishing onto a parcel already stored keeps the stored file (the same
 * inode: nothing replaced) and removes the session. */
static void test_dedupe(void)
{
    char dir[256], path[512], id[WH_SESSION_ID_LEN + 1], sha[65];
    wh_store *s = fresh_store("dedupe", dir, sizeof dir);
    if (!s)
        return;
    const size_t len = 12345;
    unsigned char *data = make_bytes(len, 7);
    sha256_hex(data, len, sha);
    wh_err err = {0};
    wh_upload *u = NULL;
    CHECK_INT(wh_store_upload_begin(s, sha, len, &u, &err), 0);
    CHECK_INT(wh_upload_write(u, data, len, &err), 0);
    CHECK_INT(wh_upload_commit(u, &err), 0);
    parcel_path(dir, sha, path, sizeof path);
    struct stat before, after;
    CHECK_INT(stat(path, &before), 0);

    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    CHECK_INT(append(s, id, data, len, 1000, &err), 0);
    uint64_t size = 0;
    CHECK_INT(finish(s, id, sha, &size, &err), 0);
    CHECK_INT(size, len);
    CHECK_INT(stat(path, &after), 0);
    CHECK(before.st_ino == after.st_ino);
    CHECK(file_equals(path, data, len));
    CHECK_INT(count_parcel_files(dir), 1);
    CHECK_INT(count_sessions(dir), 0);
    free(data);
    wh_store_close(s);
}

static void test_empty_session(void)
{
    char dir[256], id[WH_SESSION_ID_LEN + 1], sha[65];
    wh_store *s = fresh_store("empty", dir, sizeof dir);
    if (!s)
        return;
    sha256_hex("", 0, sha);
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, id, &err), 0);
    uint64_t size = 7;
    CHECK_INT(finish(s, id, sha, &size, &err), 0);
    CHECK_INT(size, 0);
    CHECK_INT(wh_store_has(s, sha, &size, &err), 1);
    CHECK_INT(size, 0);
    wh_store_close(s);
}

/* Many threads append to one session, each request waiting its turn
 * (WH_EBUSY while another holds it), while others run their own sessions:
 * every append lands, and the kept hash is the hash of the file. */
#define T_THREADS 6
#define T_ROUNDS 40

typedef struct t_arg {
    wh_store *s;
    const char *shared;
    int index;
    int appended, busy, failed;
} t_arg;

static void *t_main(void *p)
{
    t_arg *a = p;
    wh_err err = {0};
    unsigned char mine[1000];
    memset(mine, 'a' + a->index, sizeof mine);
    char own[WH_SESSION_ID_LEN + 1], sha[65];
    if (wh_store_session_create(a->s, own, &err) != 0) {
        a->failed++;
        return NULL;
    }
    for (int r = 0; r < T_ROUNDS; r++) {
        wh_session *ss = NULL;
        int rc = wh_store_session_open(a->s, a->shared, &ss, &err);
        if (rc == WH_EBUSY) {
            a->busy++;
            r--;
            sched_yield();
            continue;
        }
        if (rc != 0 || wh_session_write(ss, mine, 1 + (size_t)(r % 3), &err) != 0)
            a->failed++;
        else
            a->appended += 1 + r % 3;
        wh_session_close(ss);
        if (append(a->s, own, mine, sizeof mine, 333, &err) != 0)
            a->failed++;
    }
    unsigned char *all = malloc(sizeof mine * T_ROUNDS);
    if (!all) {
        a->failed++;
        return NULL;
    }
    memset(all, 'a' + a->index, sizeof mine * T_ROUNDS);
    sha256_hex(all, sizeof mine * T_ROUNDS, sha);
    uint64_t size = 0;
    if (finish(a->s, own, sha, &size, &err) != 0 || size != sizeof mine * T_ROUNDS)
        a->failed++;
    free(all);
    return NULL;
}

static void test_threads(void)
{
    char dir[256], shared[WH_SESSION_ID_LEN + 1], path[512], sha[65];
    wh_store *s = fresh_store("threads", dir, sizeof dir);
    if (!s)
        return;
    wh_err err = {0};
    CHECK_INT(wh_store_session_create(s, shared, &err), 0);
    pthread_t th[T_THREADS];
    t_arg args[T_THREADS];
    for (int i = 0; i < T_THREADS; i++) {
        args[i] = (t_arg){.s = s, .shared = shared, .index = i};
        CHECK_INT(pthread_create(&th[i], NULL, t_main, &args[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < T_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(args[i].failed, 0);
        total += args[i].appended;
    }
    CHECK_INT(count_parcel_files(dir), T_THREADS);

    /* The shared session holds every append; count each thread's bytes. */
    session_path(dir, shared, path, sizeof path);
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_size, total);
    unsigned char *all = malloc((size_t)total + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CHECK(all && fd >= 0 && read(fd, all, (size_t)total) == total);
    if (fd >= 0)
        close(fd);
    for (int i = 0; all && i < T_THREADS; i++) {
        int n = 0;
        for (int k = 0; k < total; k++)
            n += all[k] == 'a' + i;
        CHECK_INT(n, args[i].appended);
    }
    if (all) {
        sha256_hex(all, (size_t)total, sha);
        uint64_t size = 0;
        CHECK_INT(finish(s, shared, sha, &size, &err), 0);
        CHECK_INT(size, total);
    }
    free(all);
    CHECK_INT(count_sessions(dir), 0);
    wh_store_close(s);
}

int main(void)
{
    if (tmp_root_make("/tmp/wh-test-oci-store") != 0)
        return 1;
    RUN(test_appends_then_finish);
    RUN(test_wrong_digest_keeps_session);
    RUN(test_busy);
    RUN(test_survives_reopen);
    RUN(test_expire);
    RUN(test_discard);
    RUN(test_remove);
    RUN(test_malformed_id);
    RUN(test_dedupe);
    RUN(test_empty_session);
    RUN(test_threads);
    tmp_root_remove();
    return unit_done("oci_store");
}
