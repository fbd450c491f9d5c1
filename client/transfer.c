/*
 * transfer.c - parallel parcel downloads and uploads (transfer.h).
 *
 * Each item is a job.  One loop drives them all over the wh_http's multi
 * handle: it starts jobs while fewer than `parallel` run and their retry
 * time has come, lets libcurl move bytes, and settles each finished
 * transfer: done, failed, or due for another try after a pause that
 * doubles each time.
 *
 * A download job keeps its partial file open (and flock'ed, so that two
 * wharf processes never write one file) and its SHA-256 context for its
 * whole life.  The context always holds exactly the bytes in the file, so
 * a retry in the same run resumes without reading anything back; only a
 * partial found at the start, left by an earlier run, is re-hashed.
 */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define ERROR_BODY_MAX (64 * 1024)
#define REHASH_CHUNK (128 * 1024)
/* Downloads are gathered into writes of up to this size: libcurl hands
 * the body over 16 KiB at a time, and one pwrite per piece was most of a
 * pull's system time.  It is also libcurl's receive buffer, so that one
 * recv fills as much of it as the socket has.  Memory: this much per
 * running job (WH_XFER_PARALLEL_MAX bounds them), freed with the job. */
#define DOWNLOAD_BUFFER (512 * 1024)
/* Checked downloads wait, open and locked, for one flush of the cache per
 * batch (cache.h, wh_cache_stage); a batch is at most this many parcels, to
 * bound the descriptors held. */
#define STAGE_MAX 128
/* The first retry waits this long; each next one twice as long. */
#define RETRY_PAUSE_NS 250000000LL

enum job_state { JOB_PENDING, JOB_RUNNING, JOB_DONE };

typedef struct job {
    wh_xfer_item *it;
    enum job_state state;
    bool upload;
    long long start_at;       /* monotonic ns before which it may not start */
    int attempts;             /* interrupted tries so far */
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];

    int fd;                   /* the partial file, or the file to upload */
    char *part;               /* download: its partial file's path (malloc'd) */
    EVP_MD_CTX *md;
    uint64_t have;            /* download: bytes hashed, in the partial or in wbuf;
                                 upload: bytes sent */
    unsigned char *wbuf;      /* download: the last wlen bytes of `have`, not yet written */
    size_t wlen, wcap;
    uint64_t offset;          /* download: where this try's request started */
    bool resumed;             /* some bytes in the partial came from an earlier reply */
    bool restarted;           /* already started over once after a mismatch */
    bool staged;              /* download: checked, waiting for the cache flush */
    size_t *n_staged;         /* download: the run's count of staged jobs */

    /* The reply of the current try. */
    long long range_start;    /* Content-Range's first byte; -1 when none */
    bool body_checked;        /* the status was looked at on the first body byte */
    bool bad_range;           /* a 206 for another range than the one asked for */
    bool error_reply;         /* a status >= 300: the body is an error message */
    char *ebody;              /* that message, bounded */
    size_t elen;
    char ctype[128];
    int fail;                 /* set by a callback that stopped the transfer */
    char fail_msg[200];
    wh_progress *progress;
} job;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void hex_digest(const unsigned char d[32], char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Ends a job with a result; a failure's message goes to the item. */
static void settle(job *j, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void settle(job *j, int result, const char *fmt, ...)
{
    j->it->result = result;
    j->it->msg[0] = '\0';
    if (result && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->it->msg, sizeof j->it->msg, fmt, ap);
        va_end(ap);
    }
    j->state = JOB_DONE;
    if (j->fd >= 0) {
        /* Nothing half-checked is kept, except what an interruption left:
         * that is what the next run resumes from. */
        if (!j->upload && result && result != WH_EIO)
            unlink(j->part);
        /* A staged parcel keeps its file open and locked until it is in
         * the cache, so no other wharf adopts the partial meanwhile. */
        if (result || !j->staged) {
            close(j->fd);
            j->fd = -1;
        }
    }
    wh_progress_item_done(j->progress);
}

/* Stops the current try from inside a callback, saying why; a message too
 * long for the item is cut. */
static void set_fail(job *j, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_fail(job *j, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->fail_msg, sizeof j->fail_msg, fmt, ap);
    va_end(ap);
    j->fail = code;
}

static void reset_reply(job *j)
{
    j->range_start = -1;
    j->body_checked = false;
    j->bad_range = false;
    j->error_reply = false;
    free(j->ebody);
    j->ebody = NULL;
    j->elen = 0;
    j->ctype[0] = '\0';
    j->fail = 0;
    j->errbuf[0] = '\0';
}

/* Writes what wbuf holds to the partial; 0 or an errno. */
static int flush_wbuf(job *j)
{
    uint64_t at = j->have - j->wlen;
    for (size_t off = 0; off < j->wlen;) {
        ssize_t w = pwrite(j->fd, j->wbuf + off, j->wlen - off, (off_t)(at + off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        off += (size_t)w;
    }
    j->wlen = 0;
    return 0;
}

/* Empties the partial file and the digest: the next bytes start at 0. */
static int start_over(job *j)
{
    j->wlen = 0;
    if (ftruncate(j->fd, 0) != 0 || !EVP_DigestInit_ex(j->md, EVP_sha256(), NULL))
        return -1;
    j->have = 0;
    j->offset = 0;
    j->resumed = false;
    return 0;
}

static void keep_error_body(job *j, const char *data, size_t n)
{
    if (j->elen >= ERROR_BODY_MAX)
        return;
    if (n > ERROR_BODY_MAX - j->elen)
        n = ERROR_BODY_MAX - j->elen;
    char *b = realloc(j->ebody, j->elen + n + 1);
    if (!b)
        return;
    memcpy(b + j->elen, data, n);
    j->ebody = b;
    j->elen += n;
    b[j->elen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    job *j = userp;
    size_t n = size * nmemb;
    /* Each reply of a redirect chain starts with its status line. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        j->range_start = -1;
    } else if (n > 14 && strncasecmp(data, "content-range:", 14) == 0) {
        char line[128];
        size_t k = n < sizeof line - 1 ? n : sizeof line - 1;
        memcpy(line, data, k);
        line[k] = '\0';
        unsigned long long first;
        if (sscanf(line + 14, " bytes %llu-", &first) == 1)
            j->range_start = (long long)first;
    }
    return n;
}

/* On the first byte of a body: is it the parcel, and from where? */
static int check_reply(job *j)
{
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    j->it->status = status;
    if (status >= 300) {
        j->error_reply = true;
        return 0;
    }
    if (status == 206 && j->offset > 0 && j->range_start == (long long)j->offset) {
        j->resumed = true;
        return 0;
    }
    if (status == 206) {
        j->bad_range = true;
        return -1;
    }
    if (status == 200) {
        /* The whole parcel after all: whatever the partial held goes. */
        if (j->have > 0 && start_over(j) != 0) {
            set_fail(j, WH_EIO, "cannot empty %s: %s", j->part,
                     strerror(errno));
            return -1;
        }
        return 0;
    }
    set_fail(j, WH_EIO, "the server answered HTTP %ld", status);
    return -1;
}

static size_t on_download_body(char *data, size_t size, size_t nmemb, void *userp)
{
    job *j = userp;
    size_t n = size * nmemb;
    if (!j->body_checked) {
        j->body_checked = true;
        if (check_reply(j) != 0)
            return 0;
    }
    if (j->error_reply) {
        keep_error_body(j, data, n);
        return n;
    }
    if (n > j->it->size - j->have) {
        set_fail(j, WH_EINVAL, "size mismatch: the server sent more than the %llu bytes the label says",
                 (unsigned long long)j->it->size);
        return 0;
    }
    if (!j->wbuf) {
        uint64_t left = j->it->size - j->have;
        j->wcap = left < DOWNLOAD_BUFFER ? (size_t)left : DOWNLOAD_BUFFER;
        if (!(j->wbuf = malloc(j->wcap))) {
            set_fail(j, WH_ENOMEM, "out of memory");
            return 0;
        }
    }
    if (n > j->wcap - j->wlen) {
        int e = flush_wbuf(j);
        if (e) {
            set_fail(j, e == ENOSPC ? WH_ENOSPACE : WH_EIO, "cannot write %s: %s", j->part,
                     strerror(e));
            return 0;
        }
    }
    if (!EVP_DigestUpdate(j->md, data, n)) {
        set_fail(j, WH_ENOMEM, "SHA-256 failed");
        return 0;
    }
    if (n > j->wcap) {
        /* A resumed download's buffer was sized for the rest of the
         * parcel, which a 200 in place of a 206 overturns. */
        unsigned char *b = realloc(j->wbuf, n);
        if (!b) {
            set_fail(j, WH_ENOMEM, "out of memory");
            return 0;
        }
        j->wbuf = b;
        j->wcap = n;
    }
    memcpy(j->wbuf + j->wlen, data, n);
    j->wlen += n;
    j->have += n;
    j->it->fetched += n;
    wh_progress_bytes(j->progress, n);
    return n;
}

static size_t on_upload_reply(char *data, size_t size, size_t nmemb, void *userp)
{
    job *j = userp;
    keep_error_body(j, data, size * nmemb);
    return size * nmemb;
}

static size_t on_upload_read(char *buf, size_t size, size_t nitems, void *userp)
{
    job *j = userp;
    ssize_t r;
    do
        r = pread(j->fd, buf, size * nitems, (off_t)j->have);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        set_fail(j, WH_EIO, "cannot read %s: %s", j->it->file,
                 strerror(errno));
        return CURL_READFUNC_ABORT;
    }
    j->have += (uint64_t)r;
    wh_progress_bytes(j->progress, (uint64_t)r);
    return (size_t)r;
}

/* libcurl rewinds the body when a redirect makes it send it again. */
static int on_upload_seek(void *userp, curl_off_t offset, int origin)
{
    job *j = userp;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    j->have = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* Re-hashes the partial left by an earlier run; resets it when it cannot
 * be used. */
static int adopt_partial(job *j, wh_err *err)
{
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return wh_err_set(err, WH_EIO, "cannot read %s: %s", j->part, strerror(errno));
    uint64_t len = (uint64_t)st.st_size;
    if (len > j->it->size)
        len = 0;
    char *buf = malloc(REHASH_CHUNK);
    if (!buf)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    uint64_t off = 0;
    while (off < len) {
        size_t want = len - off < REHASH_CHUNK ? (size_t)(len - off) : REHASH_CHUNK;
        ssize_t r = pread(j->fd, buf, want, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        EVP_DigestUpdate(j->md, buf, (size_t)r);
        off += (uint64_t)r;
    }
    free(buf);
    if (off != len || ftruncate(j->fd, (off_t)off) != 0) {
        if (start_over(j) != 0)
            return wh_err_set(err, WH_EIO, "cannot empty %s: %s", j->part, strerror(errno));
        return 0;
    }
    j->have = off;
    j->resumed = off > 0;
    return 0;
}

/* Compares the digest with the label; on a match the parcel goes into the
 * cache.  1 when it did not match. */
static int finish_download(job *j, wh_cache *c, char got[65], wh_err *err)
{
    unsigned char d[32];
    if (!EVP_DigestFinal_ex(j->md, d, NULL))
        return wh_err_set(err, WH_ENOMEM, "SHA-256 failed");
    hex_digest(d, got);
    if (strcmp(got, j->it->sha256) != 0)
        return 1;
    (void)c;
    int rc = wh_cache_stage(j->fd, j->part, err);
    if (rc == 0) {
        j->staged = true;
        (*j->n_staged)++;
    }
    return rc;
}

/* Opens the partial of a download and adopts what it holds; settles the
 * job when that leaves nothing to fetch, or on an error. */
static void prepare_download(job *j, wh_cache *c)
{
    wh_err e;
    wh_err_clear(&e);
    char part[WH_CACHE_PATH_MAX];
    int rc = wh_cache_partial_path(c, j->it->sha256, part, sizeof part, &e);
    if (rc) {
        settle(j, rc, "%s", e.msg);
        return;
    }
    if (!(j->part = strdup(part))) {
        settle(j, WH_ENOMEM, "out of memory");
        return;
    }
    j->fd = open(j->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        settle(j, WH_EIO, "cannot open %s: %s", j->part, strerror(errno));
        return;
    }
    if (flock(j->fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        close(j->fd);
        j->fd = -1;
        if (busy)
            settle(j, WH_EBUSY, "another wharf is downloading this parcel; retry when it is done");
        else
            settle(j, WH_EIO, "cannot lock %s: %s", j->part, strerror(errno));
        return;
    }
    j->md = EVP_MD_CTX_new();
    if (!j->md || !EVP_DigestInit_ex(j->md, EVP_sha256(), NULL)) {
        settle(j, WH_ENOMEM, "SHA-256 failed");
        return;
    }
    if ((rc = adopt_partial(j, &e))) {
        settle(j, rc, "%s", e.msg);
        return;
    }
    if (j->have < j->it->size)
        return;
    /* An earlier run got every byte but stopped before checking them. */
    char got[65];
    rc = finish_download(j, c, got, &e);
    if (rc == 0) {
        settle(j, 0, NULL);
        return;
    }
    if (rc < 0) {
        settle(j, rc, "%s", e.msg);
        return;
    }
    if (start_over(j) != 0)
        settle(j, WH_EIO, "cannot empty %s: %s", j->part, strerror(errno));
}

/* Makes the easy handle of the job's next try and adds it to the loop. */
static int launch(wh_http *h, job *j)
{
    wh_err e;
    wh_err_clear(&e);
    reset_reply(j);
    int rc = wh_http_easy(h, j->it->path, &j->easy, &e);
    if (rc) {
        settle(j, rc, "%s", e.msg);
        return rc;
    }
    CURL *c = j->easy;
    curl_easy_setopt(c, CURLOPT_PRIVATE, j);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
    bool ok = true;
    if (j->upload) {
        j->have = 0;
        ok = wh_http_add_header(&j->hdrs, "Content-Type: application/octet-stream") &&
             wh_http_add_header(&j->hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->it->size);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload_read);
        curl_easy_setopt(c, CURLOPT_READDATA, j);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_upload_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, j);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_upload_reply);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
    } else {
        j->offset = j->have;
        /* A Range header rather than CURLOPT_RESUME_FROM_LARGE: libcurl
         * fails a resume answered with 200, where a whole parcel is as
         * good as the missing part (check_reply starts over). */
        char range[32];
        snprintf(range, sizeof range, "%llu-", (unsigned long long)j->offset);
        if (j->offset > 0)
            curl_easy_setopt(c, CURLOPT_RANGE, range);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_download_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, (long)DOWNLOAD_BUFFER);
    }
    for (const struct curl_slist *x = j->it->headers; ok && x; x = x->next)
        ok = wh_http_add_header(&j->hdrs, x->data);
    if (ok && j->hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->hdrs);
    CURLMcode mc = ok ? curl_multi_add_handle(wh_http_multi(h), c) : CURLM_OUT_OF_MEMORY;
    if (mc) {
        curl_easy_cleanup(c);
        j->easy = NULL;
        settle(j, WH_ENOMEM, "libcurl: %s", curl_multi_strerror(mc));
        return WH_ENOMEM;
    }
    j->state = JOB_RUNNING;
    return 0;
}

/* A try that was cut off, rather than answered: worth another. */
static bool interrupted(CURLcode res, long status)
{
    switch (res) {
    case CURLE_OK:
        return status == 502 || status == 503 || status == 504;
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* The server's message for an error reply, or curl's for a failed try. */
static void reply_error(job *j, long status, CURLcode res, char *buf, size_t cap)
{
    if (res != CURLE_OK) {
        snprintf(buf, cap, "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(res));
        return;
    }
    wh_http_resp r = {.status = status, .body = j->ebody, .len = j->elen};
    char *ct = NULL;
    if (curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(r.content_type, sizeof r.content_type, "%s", ct);
    char text[160];
    snprintf(buf, cap, "HTTP %ld: %s", status, wh_http_error_text(&r, text, sizeof text));
}

/* Settles a try that libcurl finished, or schedules the next one. */
static void on_done(wh_http *h, wh_cache *c, job *j, CURLcode res)
{
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    j->it->status = status;
    char why[CURL_ERROR_SIZE + 64];
    reply_error(j, status, res, why, sizeof why);
    curl_multi_remove_handle(wh_http_multi(h), j->easy);
    curl_easy_cleanup(j->easy);
    j->easy = NULL;
    curl_slist_free_all(j->hdrs);
    j->hdrs = NULL;
    j->state = JOB_PENDING;

    /* Whatever happens next (a retry resumes from the file, a check reads
     * the digest of what is in it) needs the file to hold every byte. */
    int we = j->upload ? 0 : flush_wbuf(j);
    if (we) {
        j->have -= j->wlen;
        j->wlen = 0;
        settle(j, we == ENOSPC ? WH_ENOSPACE : WH_EIO, "cannot write %s: %s", j->part,
               strerror(we));
        return;
    }

    if (j->bad_range && !j->restarted) {
        j->restarted = true;
        if (start_over(j) != 0)
            settle(j, WH_EIO, "cannot empty %s: %s", j->part, strerror(errno));
        return;
    }
    if (j->bad_range) {
        settle(j, WH_EIO, "the server answered a request from byte %llu with a range from %lld",
               (unsigned long long)j->offset, j->range_start);
        return;
    }
    if (j->fail) {
        settle(j, j->fail, "%s", j->fail_msg);
        return;
    }
    if (interrupted(res, status)) {
        if (j->attempts < WH_XFER_RETRIES) {
            j->start_at = now_ns() + (RETRY_PAUSE_NS << j->attempts);
            j->attempts++;
            return;
        }
        settle(j, WH_EIO, "%s (tried %d times)", why, j->attempts + 1);
        return;
    }
    if (res != CURLE_OK) {
        settle(j, WH_EIO, "%s", why);
        return;
    }
    if (j->upload) {
        if (status == 200)
            settle(j, 0, NULL);
        else
            settle(j, status >= 400 ? wh_http_status_code(status) : WH_EIO, "%s", why);
        return;
    }
    if (status == 416 && j->offset > 0 && !j->restarted) {
        j->restarted = true;
        if (start_over(j) != 0)
            settle(j, WH_EIO, "cannot empty %s: %s", j->part, strerror(errno));
        return;
    }
    if (status != 200 && status != 206) {
        settle(j, status >= 400 ? wh_http_status_code(status) : WH_EIO, "%s", why);
        return;
    }
    if (j->have != j->it->size) {
        settle(j, WH_EINVAL, "size mismatch: the server sent %llu bytes, the label says %llu",
               (unsigned long long)j->have, (unsigned long long)j->it->size);
        return;
    }
    wh_err e;
    wh_err_clear(&e);
    char got[65];
    int rc = finish_download(j, c, got, &e);
    if (rc == 0) {
        settle(j, 0, NULL);
    } else if (rc < 0) {
        settle(j, rc, "%s", e.msg);
    } else if (j->resumed && !j->restarted) {
        /* The bytes kept from before may be the wrong ones: fetch them all. */
        j->restarted = true;
        if (start_over(j) != 0)
            settle(j, WH_EIO, "cannot empty %s: %s", j->part, strerror(errno));
    } else {
        settle(j, WH_EINVAL, "digest mismatch: the bytes' sha256 is %s", got);
    }
}

static void job_free(wh_http *h, job *j)
{
    if (j->easy) {
        curl_multi_remove_handle(wh_http_multi(h), j->easy);
        curl_easy_cleanup(j->easy);
    }
    curl_slist_free_all(j->hdrs);
    if (j->fd >= 0)
        close(j->fd);
    EVP_MD_CTX_free(j->md);
    free(j->wbuf);
    free(j->ebody);
    free(j->part);
}

/* Puts every staged download into the cache after one flush; a failure
 * there fails those parcels (their partials stay, to be resumed). */
static void place_staged(wh_cache *c, job *jobs, size_t n)
{
    wh_err e;
    wh_err_clear(&e);
    int frc = wh_cache_flush(c, &e);
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (!j->staged)
            continue;
        j->staged = false;
        (*j->n_staged)--;
        int rc = frc ? frc : wh_cache_place(c, j->it->sha256, j->part, &e);
        if (rc) {
            j->it->result = rc;
            snprintf(j->it->msg, sizeof j->it->msg, "%.200s", e.msg);
        }
        close(j->fd);
        j->fd = -1;
    }
}

/* Drives every job to the end; n_staged counts the downloads waiting for
 * place_staged (NULL for uploads). */
static int run_jobs(wh_http *h, wh_cache *c, job *jobs, size_t n, unsigned parallel,
                    size_t *n_staged, wh_err *err)
{
    CURLM *multi = wh_http_multi(h);
    size_t running = 0, next = 0;
    for (;;) {
        long long now = now_ns(), wake = -1;
        size_t waiting = 0;
        for (size_t i = next; i < n; i++) {
            job *j = &jobs[i];
            if (j->state != JOB_PENDING)
                continue;
            if (running < parallel && j->start_at <= now) {
                if (launch(h, j) == 0)
                    running++;
                continue;
            }
            waiting++;
            if (j->start_at > now && (wake < 0 || j->start_at < wake))
                wake = j->start_at;
        }
        while (next < n && jobs[next].state == JOB_DONE)
            next++;
        if (n_staged && *n_staged > 0 && (*n_staged >= STAGE_MAX || (running == 0 && waiting == 0)))
            place_staged(c, jobs, n);
        if (running == 0 && waiting == 0)
            return 0;

        int still = 0;
        bool finished = false;
        CURLMcode mc = curl_multi_perform(multi, &still);
        CURLMsg *m;
        int left;
        while (!mc && (m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            char *priv = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
            CURLcode res = m->data.result;
            running--;
            finished = true;
            on_done(h, c, (job *)priv, res);
        }
        /* A freed slot is filled at once, before waiting for anything. */
        if (finished)
            continue;
        int timeout = 1000;
        if (wake >= 0) {
            long long ms = (wake - now_ns()) / 1000000 + 1;
            timeout = ms < 1 ? 1 : ms < timeout ? (int)ms : timeout;
        }
        /* With no transfer running this just sleeps until the next retry
         * is due. */
        if (!mc)
            mc = curl_multi_poll(multi, NULL, 0, timeout, NULL);
        if (mc)
            return wh_err_set(err, WH_EIO, "libcurl: %s", curl_multi_strerror(mc));
    }
}

/* "3 of 50 parcels failed; the first, PATH: why". */
static int summary(const wh_xfer_item *items, size_t n, const char *what, wh_err *err)
{
    size_t failed = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].result && failed++ == 0)
            first = i;
    if (!failed)
        return 0;
    return wh_err_set(err, WH_EIO, "%zu of %zu parcel %s failed; the first, %s: %s", failed, n,
                      what, items[first].path, items[first].msg);
}

static unsigned clamp_parallel(unsigned parallel)
{
    return parallel < 1 ? 1 : parallel > WH_XFER_PARALLEL_MAX ? WH_XFER_PARALLEL_MAX : parallel;
}

int wh_xfer_download(wh_http *h, wh_cache *c, wh_xfer_item *items, size_t n,
                     unsigned parallel, wh_progress *p, wh_err *err)
{
    job *jobs = calloc(n ? n : 1, sizeof *jobs);
    size_t *dup_of = calloc(n ? n : 1, sizeof *dup_of);
    size_t n_staged = 0;
    int rc = 0;
    if (!jobs || !dup_of) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        j->it = &items[i];
        j->fd = -1;
        j->progress = p;
        j->n_staged = &n_staged;
        items[i].result = 0;
        items[i].msg[0] = '\0';
        items[i].status = 0;
        items[i].fetched = 0;
        dup_of[i] = i;
        for (size_t k = 0; k < i; k++)
            if (strcmp(items[k].sha256, items[i].sha256) == 0) {
                dup_of[i] = k;
                break;
            }
        if (dup_of[i] != i) {
            j->state = JOB_DONE;
            wh_progress_item_done(p);
        } else if (!wh_cache_sha_ok(items[i].sha256)) {
            settle(j, WH_EINVAL, "not a sha256 (64 lowercase hex digits)");
        } else if (wh_cache_has(c, items[i].sha256, items[i].size)) {
            wh_progress_bytes(p, items[i].size);
            settle(j, 0, NULL);
        } else {
            prepare_download(j, c);
        }
    }
    if ((rc = run_jobs(h, c, jobs, n, clamp_parallel(parallel), &n_staged, err)))
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (dup_of[i] == i)
            continue;
        const wh_xfer_item *o = &items[dup_of[i]];
        items[i].result = o->result;
        items[i].status = o->status;
        memcpy(items[i].msg, o->msg, sizeof items[i].msg);
    }
    rc = summary(items, n, "downloads", err);
done:
    for (size_t i = 0; jobs && i < n; i++)
        job_free(h, &jobs[i]);
    free(jobs);
    free(dup_of);
    return rc;
}

int wh_xfer_upload(wh_http *h, wh_xfer_item *items, size_t n, unsigned parallel,
                   wh_progress *p, wh_err *err)
{
    job *jobs = calloc(n ? n : 1, sizeof *jobs);
    int rc = 0;
    if (!jobs)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        j->it = &items[i];
        j->upload = true;
        j->progress = p;
        items[i].result = 0;
        items[i].msg[0] = '\0';
        items[i].status = 0;
        items[i].fetched = 0;
        j->fd = open(items[i].file, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (j->fd < 0) {
            settle(j, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "cannot open %s: %s",
                   items[i].file, strerror(errno));
        } else if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            settle(j, WH_EINVAL, "%s is not a regular file", items[i].file);
        } else if ((uint64_t)st.st_size != items[i].size) {
            settle(j, WH_EINVAL, "%s has %llu bytes, the label says %llu", items[i].file,
                   (unsigned long long)st.st_size, (unsigned long long)items[i].size);
        }
    }
    if (!(rc = run_jobs(h, NULL, jobs, n, clamp_parallel(parallel), NULL, err)))
        rc = summary(items, n, "uploads", err);
    for (size_t i = 0; i < n; i++)
        job_free(h, &jobs[i]);
    free(jobs);
    return rc;
}
