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
 * A request is authenticated at most once, on first need; the result lives
 * on the wh_req and is released by http.c with wh_auth_release.
 */
#ifndef WH_AUTH_H
#define WH_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "scope.h"
#include "server.h"

/* Whether the request may do `action` (one WH_SCOPE_* bit) on bindle
 * `name`; when not, the 401 or 403 reply is set and false returned. */
bool wh_auth_allow(wh_req *req, unsigned action, const char *name);

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
