/*
 * oci_parse.c - reading what registries send to the OCI client, and the
 * source reference of `wharf mirror` (see oci_parse.h).  Pure functions
 * over strings: every loop is bounded by its input and stops at its NUL,
 * every copy by the buffer it goes to.  Fuzzed by
 * tests/fuzz/fuzz_client_oci.c.
 *
 * The grammars are those of RFC 9110 (challenges, tokens, quoted strings)
 * and RFC 8288 (Link), read strictly where a mistake would send
 * credentials or requests somewhere unintended, and leniently for an
 * unquoted parameter value, which registries sometimes write with
 * characters a token may not hold (a realm URL).
 */
#include "oci_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "schema/oci.h"

#define HOST_LABEL_MAX 63
#define SHOWN_MAX 100                 /* bytes of the input quoted in a message */

/* Up to SHOWN_MAX bytes of n at s for a message: what is not printable
 * ASCII becomes '?', so that the message stays plain text.  Returns buf. */
static const char *shown(const char *s, size_t n, char buf[SHOWN_MAX + 1])
{
    size_t k = 0;
    for (; k < n && k < SHOWN_MAX && s[k]; k++)
        buf[k] = s[k] >= 0x20 && s[k] < 0x7f ? s[k] : '?';
    buf[k] = '\0';
    return buf;
}

bool wh_oci_has_ctl(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* ---- the pieces of RFC 9110 ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static const char *skip_ws(const char *p)
{
    while (is_ws(*p))
        p++;
    return p;
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_tchar(char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static size_t token_len(const char *p)
{
    size_t n = 0;
    while (is_tchar(p[n]))
        n++;
    return n;
}

/* The characters of a token68 (a credential in place of parameters),
 * before its trailing '='s. */
static size_t token68_len(const char *p)
{
    size_t n = 0;
    while (is_alnum(p[n]) || (p[n] && strchr("-._~+/", p[n])))
        n++;
    return n;
}

/* A character an unquoted value may hold: visible ASCII but the
 * separators of the lists it sits in. */
static bool is_bare(char c)
{
    return c > 0x20 && c < 0x7f && c != ',' && c != ';' && c != '"';
}

/*
 * Reads a parameter value at *pp (a quoted string, unescaped, or an
 * unquoted run of is_bare characters) into out (cap bytes; NULL to
 * check it only) and moves *pp past it.  `what` names it in messages.
 */
static int read_value(const char **pp, char *out, size_t cap, const char *what, wh_err *err)
{
    const char *p = *pp;
    size_t k = 0;
    bool fits = true;
    if (*p == '"') {
        for (p++; *p != '"'; p++) {
            if (*p == '\\')
                p++;
            unsigned char c = (unsigned char)*p;
            if (c == '\0')
                return wh_err_set(err, WH_EINVAL, "%s has a quoted string without its "
                                  "closing '\"'", what);
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return wh_err_set(err, WH_EINVAL, "%s holds a control character", what);
            if (out && k + 1 < cap)
                out[k++] = (char)c;
            else if (out)
                fits = false;
        }
        p++;
    } else {
        if (!is_bare(*p))
            return wh_err_set(err, WH_EINVAL, "%s has a parameter without a value", what);
        for (; is_bare(*p); p++) {
            if (out && k + 1 < cap)
                out[k++] = *p;
            else if (out)
                fits = false;
        }
    }
    if (out)
        out[k] = '\0';
    if (!fits)
        return wh_err_set(err, WH_ETOOBIG, "%s is over %zu bytes", what, cap - 1);
    *pp = p;
    return 0;
}

/* ---- header lines ---- */

int wh_oci_header_value(const char *line, size_t n, const char *name, char *dst, size_t cap,
                        wh_err *err)
{
    if (cap == 0)
        return wh_err_set(err, WH_ETOOBIG, "no room for a header value");
    dst[0] = '\0';
    size_t l = strlen(name);
    if (n <= l || line[l] != ':' || strncasecmp(line, name, l) != 0 ||
        memchr(line, '\0', l))
        return wh_err_set(err, WH_ENOTFOUND, "not a %s header", name);
    size_t i = l + 1, e = n;
    while (i < n && is_ws(line[i]))
        i++;
    while (e > i && (line[e - 1] == '\r' || line[e - 1] == '\n' || is_ws(line[e - 1])))
        e--;
    for (size_t j = i; j < e; j++) {
        unsigned char c = (unsigned char)line[j];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return wh_err_set(err, WH_EINVAL, "the %s header holds a control character", name);
    }
    size_t k = e - i;
    bool fits = k < cap;
    if (!fits)
        k = cap - 1;
    memcpy(dst, line + i, k);
    dst[k] = '\0';
    if (!fits)
        return wh_err_set(err, WH_ETOOBIG, "the %s header is over %zu bytes", name, cap - 1);
    return 0;
}

/* ---- WWW-Authenticate ---- */

enum { SCHEME_NONE, SCHEME_OTHER, SCHEME_BASIC, SCHEME_BEARER };

static int scheme_of(const char *p, size_t n)
{
    if (n == 5 && strncasecmp(p, "basic", 5) == 0)
        return SCHEME_BASIC;
    if (n == 6 && strncasecmp(p, "bearer", 6) == 0)
        return SCHEME_BEARER;
    return SCHEME_OTHER;
}

/* Reads one auth-param at p (its name of n bytes is there, followed by
 * blanks and '=' at eq) of the current challenge; the three that matter
 * are kept when it is the first Bearer one. */
static int challenge_param(const char **pp, size_t n, const char *eq, bool keep,
                           wh_oci_challenge *out, bool seen[3], wh_err *err)
{
    static const char *const names[3] = {"realm", "service", "scope"};
    char *dst[3] = {out->realm, out->service, out->scope};
    const size_t cap[3] = {sizeof out->realm, sizeof out->service, sizeof out->scope};
    const char *name = *pp;
    int which = -1;
    for (int i = 0; keep && i < 3; i++)
        if (n == strlen(names[i]) && strncasecmp(name, names[i], n) == 0)
            which = i;
    char what[40];
    snprintf(what, sizeof what, "the challenge's %s", which >= 0 ? names[which] : "parameter");
    if (which >= 0 && seen[which])
        return wh_err_set(err, WH_EINVAL, "the Bearer challenge gives its %s twice",
                          names[which]);
    const char *p = skip_ws(eq + 1);
    int rc = read_value(&p, which >= 0 ? dst[which] : NULL, which >= 0 ? cap[which] : 0, what,
                        err);
    if (rc)
        return rc;
    if (which >= 0) {
        if (wh_oci_has_ctl(dst[which]))
            return wh_err_set(err, WH_EINVAL, "%s holds a control character", what);
        seen[which] = true;
    }
    p = skip_ws(p);
    if (*p && *p != ',')
        return wh_err_set(err, WH_EINVAL, "the challenge has no ',' after a parameter");
    *pp = p;
    return 0;
}

static int challenge_read(const char *value, wh_oci_challenge *out, wh_err *err)
{
    if (strnlen(value, WH_OCI_CHALLENGE_MAX + 1) > WH_OCI_CHALLENGE_MAX)
        return wh_err_set(err, WH_ETOOBIG, "the challenge is over %d bytes",
                          WH_OCI_CHALLENGE_MAX);
    int cur = SCHEME_NONE;
    /* after "SCHEME " without a token68: what follows is its parameter */
    bool want_param = false;
    bool keep = false, seen[3] = {false, false, false};
    const char *p = value;
    for (;;) {
        while (*p == ',' || is_ws(*p))
            p++;
        if (!*p)
            break;
        size_t n = token_len(p);
        if (n == 0)
            return wh_err_set(err, WH_EINVAL, "the challenge holds '%c' where a scheme or "
                              "a parameter goes", *p > 0x20 && *p < 0x7f ? *p : '?');
        const char *after = skip_ws(p + n);
        if (want_param && *after != '=')
            return wh_err_set(err, WH_EINVAL, "the challenge has no ',' between two schemes, "
                              "or a parameter without '='");
        want_param = false;
        if (*after == '=') {
            if (cur == SCHEME_NONE)
                return wh_err_set(err, WH_EINVAL, "the challenge has a parameter before "
                                  "any scheme");
            int rc = challenge_param(&p, n, after, keep, out, seen, err);
            if (rc)
                return rc;
            continue;
        }
        cur = scheme_of(p, n);
        keep = cur == SCHEME_BEARER && !out->bearer;
        out->basic = out->basic || cur == SCHEME_BASIC;
        out->bearer = out->bearer || cur == SCHEME_BEARER;
        p += n;
        if (!is_ws(*p))
            continue;
        p = skip_ws(p);
        /* A token68 is one credential-like word, maybe '='-padded, and
         * nothing else up to the next challenge. */
        size_t t = token68_len(p);
        const char *q = p + t;
        while (*q == '=')
            q++;
        q = skip_ws(q);
        if (t > 0 && (*q == ',' || *q == '\0')) {
            p = q;
            cur = SCHEME_NONE;
        } else {
            want_param = true;
        }
    }
    if (strpbrk(out->realm, " \t"))
        return wh_err_set(err, WH_EINVAL, "the Bearer challenge's realm holds blanks");
    out->has_service = seen[1];
    return 0;
}

int wh_oci_challenge_parse(const char *value, wh_oci_challenge *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = challenge_read(value, out, err);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---- Link ---- */

/* Whether the blank-separated list of words in s holds `word` (any case). */
static bool has_word(const char *s, const char *word)
{
    size_t wl = strlen(word);
    while (*s) {
        s = skip_ws(s);
        size_t n = strcspn(s, " \t");
        if (n == wl && strncasecmp(s, word, n) == 0)
            return true;
        s += n;
    }
    return false;
}

/* Reads the parameters of one link-value at *pp; *next when its first
 * rel (later ones are ignored, as RFC 8288 says) names "next". */
static int link_params(const char **pp, bool *next, wh_err *err)
{
    char rel[WH_OCI_LINK_MAX + 1];
    bool seen_rel = false;
    const char *p = *pp;
    *next = false;
    for (;;) {
        p = skip_ws(p);
        if (*p != ';')
            break;
        p = skip_ws(p + 1);
        size_t n = token_len(p);
        if (n == 0)
            return wh_err_set(err, WH_EINVAL, "the Link has a parameter without a name");
        bool is_rel = n == 3 && strncasecmp(p, "rel", 3) == 0 && !seen_rel;
        p = skip_ws(p + n);
        if (*p != '=')
            continue;
        p = skip_ws(p + 1);
        int rc = read_value(&p, is_rel ? rel : NULL, sizeof rel, "the Link", err);
        if (rc)
            return rc;
        if (is_rel) {
            seen_rel = true;
            *next = has_word(rel, "next");
        }
    }
    if (*p && *p != ',')
        return wh_err_set(err, WH_EINVAL, "the Link holds '%c' where ',' or ';' goes",
                          *p > 0x20 && *p < 0x7f ? *p : '?');
    *pp = p;
    return 0;
}

int wh_oci_link_next(const char *link, const char *origin, char *path, size_t cap,
                     wh_err *err)
{
    if (cap == 0)
        return wh_err_set(err, WH_ETOOBIG, "no room for a path");
    path[0] = '\0';
    if (strnlen(link, WH_OCI_LINK_MAX + 1) > WH_OCI_LINK_MAX)
        return wh_err_set(err, WH_ETOOBIG, "the Link is over %d bytes", WH_OCI_LINK_MAX);
    const char *p = link, *target = NULL;
    size_t tl = 0;
    for (;;) {
        while (*p == ',' || is_ws(*p))
            p++;
        if (!*p)
            break;
        if (*p != '<')
            return wh_err_set(err, WH_EINVAL, "the Link holds a value that does not start "
                              "with '<'");
        const char *u = p + 1;
        size_t ul = strcspn(u, "<> \t\"");
        if (u[ul] != '>')
            return wh_err_set(err, WH_EINVAL, "the Link holds a target with blanks or "
                              "without its closing '>'");
        for (size_t i = 0; i < ul; i++)
            if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f)
                return wh_err_set(err, WH_EINVAL, "the Link holds a control character");
        p = u + ul + 1;
        bool next;
        int rc = link_params(&p, &next, err);
        if (rc)
            return rc;
        if (next && !target) {
            target = u;
            tl = ul;
        }
    }
    if (!target)
        return 0;
    return wh_oci_origin_path(target, tl, origin, "the Link's next page", path, cap, err);
}

int wh_oci_origin_path(const char *url, size_t len, const char *origin, const char *what,
                       char *path, size_t cap, wh_err *err)
{
    if (cap == 0)
        return wh_err_set(err, WH_ETOOBIG, "no room for a path");
    path[0] = '\0';
    size_t ol = strlen(origin);
    if (len > ol && strncasecmp(url, origin, ol) == 0 && url[ol] == '/') {
        url += ol;
        len -= ol;
    }
    char buf[SHOWN_MAX + 1];
    bool clean = len > 0 && url[0] == '/' && !(len > 1 && url[1] == '/');
    for (size_t i = 0; clean && i < len; i++)
        clean = (unsigned char)url[i] > 0x20 && url[i] != 0x7f;
    if (!clean)
        return wh_err_set(err, WH_EINVAL, "%s (%s) is not a path on %s", what,
                          shown(url, len, buf), origin);
    if (len >= cap)
        return wh_err_set(err, WH_ETOOBIG, "%s is over %zu bytes", what, cap - 1);
    memcpy(path, url, len);
    path[len] = '\0';
    return 0;
}

/* ---- the token service ---- */

int wh_oci_token_parse(const char *body, size_t len, char *tok, size_t cap, wh_err *err)
{
    if (cap == 0)
        return wh_err_set(err, WH_ETOOBIG, "no room for a token");
    tok[0] = '\0';
    if (len > WH_OCI_TOKEN_REPLY_MAX)
        return wh_err_set(err, WH_ETOOBIG, "the answer is over %d bytes",
                          WH_OCI_TOKEN_REPLY_MAX);
    json_error_t je;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!json_is_object(doc)) {
        rc = wh_err_set(err, WH_EINVAL, doc ? "the answer is not a JSON object"
                                            : "the answer is not JSON, or repeats a key");
        goto done;
    }
    const char *key = "token";
    json_t *v = json_object_get(doc, key);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        key = "access_token";
        v = json_object_get(doc, key);
    }
    if (!json_is_string(v) || json_string_length(v) == 0) {
        rc = wh_err_set(err, WH_EINVAL, "the answer has no \"token\" or \"access_token\"");
        goto done;
    }
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > WH_OCI_TOKEN_MAX || n >= cap) {
        rc = wh_err_set(err, WH_ETOOBIG, "its \"%s\" is over %zu bytes", key,
                        n > WH_OCI_TOKEN_MAX ? (size_t)WH_OCI_TOKEN_MAX : cap - 1);
        goto done;
    }
    /* It goes into an Authorization header as it is. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
            rc = wh_err_set(err, WH_EINVAL, "its \"%s\" holds a character other than "
                            "visible ASCII", key);
            goto done;
        }
    memcpy(tok, s, n + 1);
done:
    json_decref(doc);
    return rc;
}

/* ---- the source reference ---- */

/* HOST[:PORT] (n bytes at h): a DNS name or IPv4 address, or an IPv6
 * address in brackets, then maybe a port. */
static int host_check(const char *h, size_t n, wh_err *err)
{
    size_t i = 0;
    if (h[0] == '[') {
        const char *close = memchr(h, ']', n);
        if (!close || close == h + 1)
            return wh_err_set(err, WH_EINVAL, "the registry host has a '[' without an IPv6 "
                              "address and its ']'");
        for (i = 1; h + i < close; i++)
            if (!is_hex(h[i]) && h[i] != ':' && h[i] != '.')
                return wh_err_set(err, WH_EINVAL, "the registry host's IPv6 address holds "
                                  "'%c'", h[i] > 0x20 && h[i] < 0x7f ? h[i] : '?');
        i++;
    } else {
        size_t label = 0;
        for (; i < n && h[i] != ':'; i++) {
            char c = h[i];
            if (c == '.' && label > 0) {
                label = 0;
            } else if ((is_alnum(c) || c == '-') && label < HOST_LABEL_MAX) {
                label++;
            } else {
                return wh_err_set(err, WH_EINVAL, "the registry host holds '%c' where a host "
                                  "name cannot", c > 0x20 && c < 0x7f ? c : '?');
            }
        }
        if (label == 0)
            return wh_err_set(err, WH_EINVAL, "the registry host is empty or ends with '.'");
    }
    if (i == n)
        return 0;
    if (h[i] != ':')
        return wh_err_set(err, WH_EINVAL, "the registry host has something other than "
                          ":PORT after its ']'");
    unsigned long port = 0;
    size_t digits = n - i - 1;
    for (size_t j = i + 1; j < n && digits <= 5; j++) {
        if (h[j] < '0' || h[j] > '9')
            return wh_err_set(err, WH_EINVAL, "the registry's port is not a number");
        port = port * 10 + (unsigned long)(h[j] - '0');
    }
    if (digits == 0 || digits > 5 || port == 0 || port > 65535)
        return wh_err_set(err, WH_EINVAL, "the registry's port is not between 1 and 65535");
    return 0;
}

static int ref_read(const char *s, wh_oci_ref *out, wh_err *err)
{
    char buf[SHOWN_MAX + 1];
    if (strncmp(s, "oci://", 6) != 0)
        return wh_err_set(err, WH_EINVAL, "the source must be oci://HOST[:PORT]/REPO[:TAG]");
    s += 6;
    size_t hl = strcspn(s, "/");
    if (hl == 0 || s[hl] != '/' || hl >= sizeof out->host)
        return wh_err_set(err, WH_EINVAL, "the source names no registry host: "
                          "oci://HOST[:PORT]/REPO[:TAG]");
    int rc = host_check(s, hl, err);
    if (rc)
        return rc;
    memcpy(out->host, s, hl);
    const char *rest = s + hl + 1, *at = strchr(rest, '@');
    size_t rl = at ? (size_t)(at - rest) : strlen(rest);
    if (at && (rc = wh_oci_digest_parse(at + 1, out->digest, err))) {
        wh_err_prefix(err, "the source's digest");
        return rc;
    }
    const char *slash = memrchr(rest, '/', rl), *colon = memrchr(rest, ':', rl);
    if (colon && (!slash || colon > slash)) {
        size_t tl = rl - (size_t)(colon + 1 - rest);
        if (tl == 0 || tl > WH_OCI_MAX_TAG)
            return wh_err_set(err, WH_EINVAL, "the source's tag is empty or too long");
        memcpy(out->tag, colon + 1, tl);
        rl = (size_t)(colon - rest);
        if (!wh_oci_tag_valid(out->tag))
            return wh_err_set(err, WH_EINVAL, "\"%s\" is not a valid tag "
                              "([A-Za-z0-9_][A-Za-z0-9._-]*)", shown(out->tag, tl, buf));
    }
    if (rl == 0 || rl > WH_OCI_MAX_REPO)
        return wh_err_set(err, WH_EINVAL, "the source names no repository");
    memcpy(out->repo, rest, rl);
    if (!wh_oci_repo_valid(out->repo))
        return wh_err_set(err, WH_EINVAL, "\"%s\" is not a valid repository name (lowercase "
                          "letters and digits, separated by '.', '_', '-' or '/')",
                          shown(rest, rl, buf));
    return 0;
}

int wh_oci_ref_parse(const char *s, wh_oci_ref *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = ref_read(s, out, err);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}
