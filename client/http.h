/*
 * http.h - how the wharf client talks to a registry: one libcurl multi
 * handle per command run, so that every request and every parcel transfer
 * of that run shares one pool of kept-alive connections.
 *
 * Every request carries `User-Agent: wharf/0.1` and, when a token is set,
 * `Authorization: Bearer <token>`.  Only http and https are spoken, also
 * across redirects; a connection must be made within 10 s, and a transfer
 * that moves no byte for 30 s is cut.
 *
 * Ownership: *out of wh_http_open is owned by the caller (wh_http_close).
 * wh_http_escape_id returns a malloc'd string (free).  A wh_http_resp's
 * body is malloc'd and owned by the caller (wh_http_resp_clear).
 * wh_http_error_text writes into the caller's buffer and returns it.
 * wh_http_easy (for transfer.c) returns an easy handle owned by the caller
 * (curl_easy_cleanup, after curl_multi_remove_handle when it was added);
 * wh_http_multi's handle belongs to the wh_http.
 */
#ifndef WH_CLIENT_HTTP_H
#define WH_CLIENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "schema/error.h"

/* A reply body bigger than this is an error: no API answer comes near it,
 * and parcels never go through wh_http_request. */
#define WH_HTTP_BODY_MAX (16u * 1024 * 1024)

#define WH_HTTP_USER_AGENT "wharf/0.1"

typedef struct wh_http wh_http;                     /* one per command run; not thread-safe */

/* base_url is the registry's ".../v1" (http or https); token may be NULL.
 * A token holding a control character is refused: it would end the
 * header it travels in. */
int  wh_http_open(const char *base_url, const char *token, wh_http **out, wh_err *err);
void wh_http_close(wh_http *h);

/* Escapes a bindle id for a URL path: NAME/VERSION with every byte outside
 * [A-Za-z0-9-._~/] percent-encoded (malloc'd; free).  NULL when out of
 * memory. */
char *wh_http_escape_id(const char *name, const char *version);

typedef struct wh_http_resp {
    long status;
    char *body;               /* NUL-terminated (the NUL is not in len); NULL when empty */
    size_t len;
    char content_type[128];   /* "" when the reply had none; cut when longer */
} wh_http_resp;

/*
 * One request to base_url + path (path already escaped, starting with
 * '/'); body may be NULL; `accept` e.g. "application/json" (NULL: none).
 * Bounded: a reply body over WH_HTTP_BODY_MAX is an error (WH_ETOOBIG).
 * Network errors are WH_EIO with curl's message and the URL.  Any HTTP
 * status is a success of this function (the caller looks at status).
 * *out is cleared first, and holds nothing on failure.
 */
int  wh_http_request(wh_http *h, const char *method, const char *path,
                     const char *content_type, const char *body, size_t len,
                     const char *accept, wh_http_resp *out, wh_err *err);
void wh_http_resp_clear(wh_http_resp *r);

/* The server's `error` message from a TOML or JSON error body, with
 * control characters made harmless, else "HTTP <status>"; writes into buf
 * (cut to cap) and returns it. */
const char *wh_http_error_text(const wh_http_resp *r, char *buf, size_t cap);

/* ---- for transfer.c ---- */

/* The multi handle every transfer of this wh_http goes through. */
CURLM *wh_http_multi(wh_http *h);

/* Drives the multi handle until the easy handle `c` (set up by the caller,
 * not yet added) is done: its result in *res; `c` is removed again. */
int wh_http_run(wh_http *h, CURL *c, CURLcode *res, wh_err *err);

/* A new easy handle for base_url + path with the options every request
 * shares (agent, token, protocols, redirects, timeouts).  The caller adds
 * its own callbacks and method. */
int wh_http_easy(wh_http *h, const char *path, CURL **out, wh_err *err);

/* The full URL of path, for messages (malloc'd; NULL when out of memory). */
char *wh_http_url(const wh_http *h, const char *path);

/* Appends a header line to *list; false (and *list as it was) when out of
 * memory. */
bool wh_http_add_header(struct curl_slist **list, const char *line);

/* Maps an HTTP error status onto the WH_E* code that says what to do. */
int wh_http_status_code(long status);

#endif
