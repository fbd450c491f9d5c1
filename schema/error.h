/*
 * error.h - how every Wharf function reports failure.
 *
 * Every fallible function returns int: 0 on success, one of the negative
 * WH_E* codes below on failure.  It also takes a `wh_err *err` as its last
 * parameter (which may be NULL when the caller does not care) and fills it
 * with a message that a person can act on: what was wrong, and where.
 *
 * The codes are few on purpose: they say what the caller should *do* (answer
 * 400, 404, 409, 413, retry, give up), the message says what happened.
 * server/http_status.c maps them onto HTTP status codes in one place.
 */
#ifndef WH_ERROR_H
#define WH_ERROR_H

#include <stddef.h>

enum {
    WH_OK = 0,
    WH_EINVAL = -1,     /* the input is malformed or breaks a rule   (400) */
    WH_ENOMEM = -2,     /* out of memory                             (500) */
    WH_EIO = -3,        /* a disk, database or system call failed    (500) */
    WH_ENOTFOUND = -4,  /* no such invoice, parcel or file           (404) */
    WH_EEXIST = -5,     /* already there and may not be replaced     (409) */
    WH_ETOOBIG = -6,    /* over a configured size or count limit     (413) */
    WH_EYANKED = -7,    /* the bindle is yanked                      (403) */
    WH_EBUSY = -8,      /* a temporary limit; try again later        (503) */
    WH_EUNPROC = -9,    /* well-formed but refused (posted yanked)   (422) */
    WH_EFORBIDDEN = -10, /* authenticated but not allowed            (403) */
    WH_ENOSPACE = -11,   /* the disk or quota is full                (507) */
    WH_EUNAUTH = -12     /* credentials missing or not valid         (401) */
};

#define WH_ERR_MSG_MAX 512

typedef struct wh_err {
    int code;                  /* the WH_E* code last set, WH_OK when none */
    char msg[WH_ERR_MSG_MAX];  /* NUL-terminated, never longer than the buffer */
} wh_err;

/*
 * Sets err (when not NULL) to `code` and a printf-style message, and returns
 * `code`, so that a failure reads `return wh_err_set(err, WH_EINVAL, "...")`.
 * A message longer than the buffer is cut, never overflowed.
 */
int wh_err_set(wh_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefixes the message already in err with more context ("parcel 3: ..."). */
void wh_err_prefix(wh_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears err to WH_OK and an empty message. */
void wh_err_clear(wh_err *err);

/* A short name for a code ("invalid input", "not found", ...). */
const char *wh_err_name(int code);

#endif
