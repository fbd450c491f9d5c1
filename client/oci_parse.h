/*
 * oci_parse.h - what the OCI registry client (oci_remote.h) reads from a
 * registry and from its command line, as pure functions over bytes: the
 * header lines it keeps, the WWW-Authenticate challenge (which schemes,
 * and the realm, service and scope of a Bearer one), the Link header that
 * pages tags/list, the token service's JSON answer, and the
 * `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]` source of `wharf mirror`.
 * Nothing here does I/O or talks to libcurl, so that all of it is fuzzed
 * by tests/fuzz/fuzz_client_oci.c.
 *
 * Every input has an explicit limit (below); what is over it is refused
 * with WH_ETOOBIG, never cut.  What is handed out that came from the
 * network holds no control character.
 *
 * Ownership: nothing here allocates anything the caller keeps; every
 * output goes to a buffer or struct of the caller's.
 */
#ifndef WH_CLIENT_OCI_PARSE_H
#define WH_CLIENT_OCI_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/error.h"
#include "schema/oci.h"

#define WH_OCI_CHALLENGE_MAX 4096       /* bytes of all WWW-Authenticate values */
#define WH_OCI_REALM_MAX 2048           /* bytes of a Bearer realm (a URL) */
#define WH_OCI_SERVICE_MAX 512          /* bytes of a Bearer service */
#define WH_OCI_SCOPE_MAX 1024           /* bytes of a Bearer scope */
#define WH_OCI_LINK_MAX 4096            /* bytes of all Link values */
#define WH_OCI_TOKEN_REPLY_MAX (64 * 1024)  /* bytes of a token service's answer */
#define WH_OCI_TOKEN_MAX 16384          /* bytes of a token */

/* Whether s (NULL: no) holds a control character (below 0x20, or 0x7f). */
bool wh_oci_has_ctl(const char *s);

/*
 * The value of one header line as libcurl hands it (n bytes, not
 * NUL-terminated, CRLF included) when its field name is `name` (without
 * the ':', any case): 0 with the value, blanks around it cut, in dst.
 * WH_ENOTFOUND when the line is another header or a status line;
 * WH_EINVAL when the value holds a control character other than a tab;
 * WH_ETOOBIG when it is cap bytes or more, with as much as fits in dst,
 * so that a caller may still tell what it was.  dst is "" on the others.
 */
int wh_oci_header_value(const char *line, size_t n, const char *name, char *dst, size_t cap,
                        wh_err *err);

/* What a registry's 401 asks for (RFC 9110 section 11 challenges). */
typedef struct wh_oci_challenge {
    bool basic;                             /* a Basic challenge was offered */
    bool bearer;                            /* a Bearer challenge was offered */
    /* The parameters of the first Bearer challenge; "" when absent. */
    char realm[WH_OCI_REALM_MAX + 1];       /* no blanks */
    char service[WH_OCI_SERVICE_MAX + 1];
    bool has_service;                       /* service was given, even "" */
    char scope[WH_OCI_SCOPE_MAX + 1];
} wh_oci_challenge;

/*
 * Reads the WWW-Authenticate values of a reply (several headers joined by
 * ", " are one value): any number of challenges, each a scheme followed by
 * a token68 or by comma-separated auth-params whose values are tokens or
 * quoted strings.  Schemes other than Basic and Bearer are read and
 * skipped.  A value over WH_OCI_CHALLENGE_MAX, or a realm, service or
 * scope over its limit, is WH_ETOOBIG; anything that breaks the grammar,
 * a control character in a quoted string, a realm with blanks, or a
 * realm, service or scope given twice is WH_EINVAL.  *out is all zero
 * on failure.
 */
int wh_oci_challenge_parse(const char *value, wh_oci_challenge *out, wh_err *err);

/*
 * The target of the rel="next" link in the Link values of a tags/list
 * reply (RFC 8288; several headers joined by ", " are one value), as a
 * path on `origin` ("http(s)://HOST[:PORT]", no trailing '/') into path
 * (cap bytes): 0 with path "" when there is no next link.  A target
 * written as an absolute URL must be on `origin`; a relative one must be
 * an absolute path ("/v2/..."); any other is WH_EINVAL, as is a value
 * that breaks the grammar.  WH_ETOOBIG for a value over WH_OCI_LINK_MAX
 * or a path that does not fit.
 */
int wh_oci_link_next(const char *link, const char *origin, char *path, size_t cap,
                     wh_err *err);

/*
 * A URL a registry sent (len bytes, not NUL-terminated), as a path on
 * `origin` into path (cap bytes): an absolute URL must be on `origin`
 * (compared without case), a relative one an absolute path ("/v2/...", not
 * "//host"), with no blank or control character.  WH_EINVAL naming `what`
 * otherwise, WH_ETOOBIG when it does not fit.  Where credentials may go
 * (an upload's Location, a next page) is decided here.
 */
int wh_oci_origin_path(const char *url, size_t len, const char *origin, const char *what,
                       char *path, size_t cap, wh_err *err);

/*
 * The token in a token service's answer (len bytes of JSON, at most
 * WH_OCI_TOKEN_REPLY_MAX): an object whose "token", or else
 * "access_token", is a non-empty string of visible ASCII (no blanks) of
 * at most WH_OCI_TOKEN_MAX bytes.  0 with it in tok (cap bytes);
 * WH_ETOOBIG when the answer or the token is over its limit or the token
 * does not fit; WH_EINVAL otherwise, saying why.  The caller wipes tok
 * after use.
 */
int wh_oci_token_parse(const char *body, size_t len, char *tok, size_t cap, wh_err *err);

/* An `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]` reference. */
typedef struct wh_oci_ref {
    char host[256];                  /* HOST[:PORT] */
    char repo[WH_OCI_MAX_REPO + 1];
    char tag[WH_OCI_MAX_TAG + 1];    /* "" when none */
    char digest[65];                 /* hex of the @sha256:..., "" when none */
} wh_oci_ref;

/*
 * The `oci://HOST[:PORT]/REPO[:TAG][@sha256:HEX]` source of `wharf mirror`,
 * into a wh_oci_ref: HOST a DNS name or IPv4
 * address (labels of letters, digits and '-'), or an IPv6 address in
 * brackets; PORT 1 to 65535; REPO, TAG and the digest by the grammars of
 * the distribution spec (schema/oci.h).  WH_EINVAL saying which part is
 * wrong, *out then all zero.
 */
int wh_oci_ref_parse(const char *s, wh_oci_ref *out, wh_err *err);

#endif
