/*
 * htpasswd.h - HTTP Basic users from an Apache-style htpasswd file, the way
 * Bindle servers authenticate, so existing files and clients keep working.
 *
 * The file holds `user:hash` lines; blank lines and lines starting with '#'
 * are ignored, CRLF line ends are tolerated.  Only bcrypt hashes
 * (`htpasswd -B`: $2a$, $2b$ or $2y$, cost 04..31) are accepted: the older
 * kinds (MD5 apr1, SHA-1, crypt, plain text) are too cheap to brute-force,
 * and refusing them at load tells the operator at once rather than at the
 * first failed login.  User names are 1..255 bytes, without ':' or control
 * characters, each listed once.  Limits: WH_HTPASSWD_MAX_BYTES of file and
 * WH_HTPASSWD_MAX_USERS users.
 *
 * Checking a password runs bcrypt through libxcrypt (link -lcrypt) and
 * compares in constant time; an unknown user costs as much as a known one.
 *
 * Ownership: a wh_htpasswd owns all it holds; release it with
 * wh_htpasswd_free.  It is never modified after loading, so any number of
 * threads may call wh_htpasswd_check on the same one at once.
 */
#ifndef WH_HTPASSWD_H
#define WH_HTPASSWD_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/error.h"

#define WH_HTPASSWD_MAX_BYTES (1024 * 1024)
#define WH_HTPASSWD_MAX_USERS 10000
#define WH_HTPASSWD_MAX_USER 255
#define WH_HTPASSWD_MAX_PASSWORD 1024

typedef struct wh_htpasswd wh_htpasswd;

/* Parses len bytes of buf (no NUL needed).  `source` names the file in
 * messages ("SOURCE:LINE: ..."); NULL reads as "htpasswd".  WH_EINVAL for a
 * bad line, WH_ETOOBIG over the limits; *out is NULL on failure. */
int wh_htpasswd_parse(const char *buf, size_t len, const char *source,
                      wh_htpasswd **out, wh_err *err);

/* Reads and parses the file at path; every message names it.
 * WH_ENOTFOUND when it does not exist. */
int wh_htpasswd_load(const char *path, wh_htpasswd **out, wh_err *err);

/* True when `user` is listed and `password` matches its hash.  False for
 * NULL arguments, an empty password, a user name or password over the
 * limits (decided before any hashing), an unknown user (after hashing all
 * the same), or a wrong password.  bcrypt reads only the first 72 bytes of
 * a password, and libxcrypt refuses passwords of CRYPT_MAX_PASSPHRASE_SIZE
 * (512) bytes or more, so those never match. */
bool wh_htpasswd_check(const wh_htpasswd *h, const char *user,
                       const char *password);

/* The number of users; 0 for NULL. */
size_t wh_htpasswd_count(const wh_htpasswd *h);

/* NULL is fine.  The hashes are wiped before the memory is released. */
void wh_htpasswd_free(wh_htpasswd *h);

#endif
