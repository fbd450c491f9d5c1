/*
 * oci_remote_internal.h - what the two halves of the OCI registry client
 * share (oci_remote.h): oci_remote.c sends requests and keeps the
 * authentication; oci_remote_api.c speaks the distribution API's
 * endpoints through it.  For those two files only.
 *
 * Ownership: a wh_oci_reply owns its body (wh_oci_reply_clear); a
 * wh_oci_req borrows everything it points to.
 */
#ifndef WH_CLIENT_OCI_REMOTE_INTERNAL_H
#define WH_CLIENT_OCI_REMOTE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "http.h"
#include "oci_parse.h"
#include "oci_remote.h"

#define WH_OCI_HEADER_KEEP 4096       /* bytes of one Location, Link or challenge line */
#define WH_OCI_SMALL_MAX (64 * 1024)  /* replies that carry no document worth more */

#define WH_OCI_MANIFEST_ACCEPT                                                   \
    WH_OCI_MT_MANIFEST ", " WH_OCI_MT_INDEX ", " WH_OCI_MT_DOCKER_MANIFEST ", " \
    WH_OCI_MT_DOCKER_LIST

struct wh_oci_remote {
    wh_http *h;                 /* base: the origin */
    char *origin;               /* "http(s)://HOST[:PORT]", no trailing '/' */
    const char *host;           /* points into origin */
    char *repo;
    char *hint;                 /* what to do about credentials */
    bool https;
    char *username, *password;  /* NULL when none */
    bool token_given;           /* the token is the user's: never renewed */
    bool sent_creds;            /* the Authorization in use carries the user's credentials */
    char *realm, *service, *scope;
    char *auth_line;            /* "Authorization: ..." or NULL */
    struct curl_slist *auth;    /* the same line, for transfers */
};

/* A request; path is on the origin, url an absolute URL instead. */
typedef struct wh_oci_req {
    const char *method;
    const char *path;
    const char *url;
    const char *accept;
    const char *ctype;
    const char *body;           /* PUT or POST body in memory */
    size_t len;
    int fd;                     /* >= 0: the PUT body streams from this file */
    uint64_t fd_len;
    size_t max;                 /* the largest 2xx body accepted */
    const char *auth;           /* an Authorization line of its own (token service) */
    bool anonymous;             /* no Authorization at all */
} wh_oci_req;

typedef struct wh_oci_reply {
    long status;
    char *body;
    size_t len, cap, max;
    bool first, error_reply, too_big, nomem;
    CURL *easy;
    char ctype[128];
    char digest[128];
    char location[WH_OCI_HEADER_KEEP];
    char link[WH_OCI_LINK_MAX + 1];           /* every Link, joined with ", " */
    char challenge[WH_OCI_CHALLENGE_MAX + 1]; /* every WWW-Authenticate, likewise */
    const char *bad_header;     /* a header above that was over its room or held a
                                   control character (its name), NULL when none */
    int fd;                     /* the upload, as wh_oci_req.fd */
    uint64_t sent;
} wh_oci_reply;

/* Clears a reply for reuse (its body freed, fd -1). */
void wh_oci_reply_clear(wh_oci_reply *p);

/*
 * Sends a request; a 401 is answered once by renewing the credentials
 * from its challenge (a new token, or the Basic credentials) and the
 * request sent again.  Any other status is a success of this function;
 * WH_EUNAUTH when the registry still refuses, saying what to do.
 */
int wh_oci_call(wh_oci_remote *r, const wh_oci_req *q, wh_oci_reply *p, wh_err *err);

/* Asks the token service of the last Bearer challenge for a new token. */
int wh_oci_fetch_token(wh_oci_remote *r, wh_err *err);

/* A reply's status as a WH_E* code and a message naming `what`. */
int wh_oci_status_fail(const wh_oci_remote *r, const char *what, const wh_oci_reply *p,
                       wh_err *err);

#endif
