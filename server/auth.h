/*
 * auth.h - who is making a request, and whether they may do what it asks.
 *
 * Credentials come in the Authorization header: `Bearer <token>` (a token
 * made by `wharfd token create`), or HTTP Basic with either a user of the
 * --htpasswd file or any user name and a token as the password (what OCI
 * and Bindle clients send).  A token carries scopes (server/scope.h); an
 * htpasswd user holds --htpasswd-scopes.
 *
 * What needs what: writes (push, yank) always need a scope that matches the
 * bindle name; reads need one only under --read-auth token.  --auth none
 * (loopback only) lets everything through.  A request without credentials
 * gets 401 with a WWW-Authenticate challenge; one whose credentials do not
 * check out gets 401 too; one whose credentials lack the scope gets 403.
 * Checks happen before anything is looked up, so neither answer tells
 * whether a bindle exists.
 *
 * No credentials at all, `Bearer anonymous` (the token GET /v2/token hands
 * out to anonymous OCI clients) and Basic with an empty user and an empty
 * password are the same thing: anonymous.
 *
 * A request is authenticated at most once, on first need; the result lives
 * on the wh_req and is released by http.c with wh_auth_release.
 */
#ifndef WH_AUTH_H
#define WH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scope.h"
#include "server.h"

/* The bearer token that stands for no credentials (GET /v2/token). */
#define WH_AUTH_ANONYMOUS_TOKEN "anonymous"

/* Whether the request may do `action` (one WH_SCOPE_* bit) on bindle
 * `name`; when not, the 401 or 403 reply is set and false returned. */
bool wh_auth_allow(wh_req *req, unsigned action, const char *name);

/* The same check without a reply, for APIs that answer in their own format
 * (the OCI routes): 0 when allowed, else WH_EUNAUTH (no credentials, or
 * credentials that do not check out), WH_EFORBIDDEN (the scope is
 * missing), WH_EBUSY (the token could not be checked now) or WH_ENOMEM,
 * with the message in err. */
int wh_auth_check(wh_req *req, unsigned action, const char *name, wh_err *err);

/* Who the request's credentials name (the OCI token endpoint). */
typedef enum wh_auth_kind {
    WH_AUTH_ANONYMOUS = 0,     /* no credentials (see above) */
    WH_AUTH_TOKEN,             /* a token, as Bearer or as a Basic password */
    WH_AUTH_USER               /* an htpasswd user */
} wh_auth_kind;

typedef struct wh_auth_identity {
    wh_auth_kind kind;
    const char *name;          /* the token id or the user name; NULL when anonymous */
    int64_t expires_at;        /* a token's expiry (unix seconds); 0: never */
    const wh_scopes *scopes;   /* what it may do; NULL when anonymous */
} wh_auth_identity;

/* Authenticates the request (whatever --auth and --read-auth say) and fills
 * *out, whose pointers are borrowed from the request.  WH_EUNAUTH when
 * credentials were given and do not check out, WH_EBUSY or WH_ENOMEM. */
int wh_auth_identify(wh_req *req, wh_auth_identity *out, wh_err *err);

/* Whether the request may do `action` on some name at least: the check
 * that can run before the name is known (an invoice still in the body). */
bool wh_auth_allow_some(wh_req *req, unsigned action);

/*
 * For a search under --read-auth token: the names the reader may see.
 * *all is true when reads are open or the reader may read every name;
 * otherwise names/prefix/n list the reader's read patterns (borrowed from
 * the request, valid until it ends).  False with a reply set when the
 * request may not read at all.
 */
bool wh_auth_read_names(wh_req *req, bool *all, const char *const **names,
                        const bool **prefix, size_t *n);

/*
 * Whether authenticating this request may be slow: HTTP Basic checked
 * against the htpasswd file costs a bcrypt run (milliseconds to a quarter
 * of a second), too long for an event thread that carries other
 * connections.  http.c then runs wh_auth_prepare on the offload pool
 * before routing the request.
 */
bool wh_auth_slow(wh_req *req);

/* Authenticates the request now (the result is kept for the checks). */
void wh_auth_prepare(wh_req *req);

/* Releases what authentication hung on the request. */
void wh_auth_release(wh_req *req);

#endif
