/*
 * fuzz_client_oci.c - what the OCI client reads from registries and from
 * its command line (client/oci_parse.h), on arbitrary bytes.  The first
 * byte picks the parser ('h' header line, 'c' challenge, 'l' Link, 't'
 * token answer, 'r' source reference; any other byte, its value modulo
 * 5), the rest is its input.  Each parser reads a copy of exactly the
 * input's length, so that a read past the end (or past the NUL) is a
 * sanitizer report.
 *
 * Besides not crashing: a refusal carries a negative code and a non-empty
 * UTF-8 message, and hands out nothing ("" outputs); what is handed out
 * keeps its limits and holds no control character; and what was read is
 * written back in a canonical form (quoted parameters, a one-link Link, a
 * JSON object, an oci:// reference) that reads back to the same thing.
 * Any broken invariant aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/oci_parse.h"
#include "client/oci_remote.h"
#include "schema/oci.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (WH_OCI_TOKEN_REPLY_MAX + 16)

/* A malloc'd copy of n bytes with a NUL after them and nothing more. */
static char *exact(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void refused(int rc, const wh_err *err, const char *out, const char *what)
{
    if (rc >= 0 || err->code != rc)
        broken("a refusal without its code", err);
    check_message(err);
    if (out && out[0]) {
        fprintf(stderr, "%s\n", what);
        broken("a refusal handed something out", err);
    }
}

/* "VALUE" with '"' and '\\' escaped, appended to buf (cap) at *len. */
static void put_quoted(char *buf, size_t cap, size_t *len, const char *v)
{
    if (*len + 2 * strlen(v) + 3 > cap)
        abort();
    buf[(*len)++] = '"';
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            buf[(*len)++] = '\\';
        buf[(*len)++] = *v;
    }
    buf[(*len)++] = '"';
    buf[*len] = '\0';
}

static void put(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > cap)
        abort();
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

/* No room at all is refused before anything is read or written. */
static void no_room(void)
{
    char none[1] = {'x'};
    wh_oci_challenge ch;
    if (wh_oci_header_value("link: <a>", 9, "link", none, 0, NULL) != WH_ETOOBIG ||
        wh_oci_link_next("</a>; rel=next", "https://h", none, 0, NULL) != WH_ETOOBIG ||
        wh_oci_token_parse("{\"token\":\"a\"}", 13, none, 0, NULL) != WH_ETOOBIG ||
        none[0] != 'x' || wh_oci_challenge_parse("", &ch, NULL) != 0 || ch.basic || ch.bearer)
        broken("a call without room was not refused, or wrote", NULL);
}

/* ---- header lines ---- */

static void fuzz_header(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"link", "www-authenticate", "location",
                                        "docker-content-digest"};
    char *line = exact(data, size);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char v[64];
        wh_err err = {0};
        int rc = wh_oci_header_value(line, size, names[i], v, sizeof v, &err);
        if (rc == WH_ETOOBIG) {
            check_message(&err);
            if (strlen(v) != sizeof v - 1)
                broken("a value over the room was not kept as far as it fits", &err);
            continue;
        }
        if (rc) {
            refused(rc, &err, v, names[i]);
            continue;
        }
        for (const unsigned char *c = (const unsigned char *)v; *c; c++)
            if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
                broken("a header value with a control character", NULL);
        size_t vl = strlen(v);
        if (vl && (v[0] == ' ' || v[0] == '\t' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            broken("a header value with blanks around it", NULL);
        /* "Name: VALUE\r\n" reads back as VALUE, whatever the case of the name. */
        char again[256], back[64];
        int n = snprintf(again, sizeof again, "%s:  %s \r\n", names[i], v);
        again[0] = (char)(again[0] - 'a' + 'A');
        if (wh_oci_header_value(again, (size_t)n, names[i], back, sizeof back, &err) ||
            strcmp(back, v) != 0)
            broken("a header value does not read back", &err);
    }
    free(line);
}

/* ---- WWW-Authenticate ---- */

static void same_challenge(const wh_oci_challenge *a, const wh_oci_challenge *b)
{
    if (a->basic != b->basic || a->bearer != b->bearer || strcmp(a->realm, b->realm) ||
        a->has_service != b->has_service || strcmp(a->service, b->service) ||
        strcmp(a->scope, b->scope))
        broken("a challenge does not read back the same", NULL);
}

static void fuzz_challenge(const uint8_t *data, size_t size)
{
    char *text = exact(data, size);
    wh_oci_challenge ch, back;
    wh_err err = {0};
    int rc = wh_oci_challenge_parse(text, &ch, &err);
    free(text);
    if (rc) {
        refused(rc, &err, NULL, NULL);
        if (ch.basic || ch.bearer || ch.has_service || ch.realm[0] || ch.service[0] ||
            ch.scope[0])
            broken("a refused challenge handed something out", &err);
        return;
    }
    if (strlen(ch.realm) > WH_OCI_REALM_MAX || strlen(ch.service) > WH_OCI_SERVICE_MAX ||
        strlen(ch.scope) > WH_OCI_SCOPE_MAX)
        broken("a challenge parameter over its limit", NULL);
    if (wh_oci_has_ctl(ch.realm) || wh_oci_has_ctl(ch.service) || wh_oci_has_ctl(ch.scope) ||
        strpbrk(ch.realm, " \t"))
        broken("a challenge parameter with a control character or a blank realm", NULL);
    if (!ch.bearer && (ch.realm[0] || ch.service[0] || ch.scope[0] || ch.has_service))
        broken("Bearer parameters without a Bearer challenge", NULL);
    /* The canonical form: the schemes that matter, their parameters
     * quoted, an unknown scheme in between. */
    /* Room for every parameter at its limit, each escaped character
     * doubled; a form over WH_OCI_CHALLENGE_MAX is skipped below. */
    char canon[2 * (WH_OCI_REALM_MAX + WH_OCI_SERVICE_MAX + WH_OCI_SCOPE_MAX) + 256];
    size_t len = 0;
    canon[0] = '\0';
    if (ch.basic)
        put(canon, sizeof canon, &len, "Basic realm=\"x\\\"y\", Negotiate abc==, ");
    if (ch.bearer) {
        put(canon, sizeof canon, &len, "BEARER error=invalid_token,realm=");
        put_quoted(canon, sizeof canon, &len, ch.realm);
        if (ch.has_service) {
            put(canon, sizeof canon, &len, " , Service = ");
            put_quoted(canon, sizeof canon, &len, ch.service);
        }
        if (ch.scope[0]) {
            put(canon, sizeof canon, &len, ",scope=");
            put_quoted(canon, sizeof canon, &len, ch.scope);
        }
        put(canon, sizeof canon, &len, ", Bearer realm=\"https://elsewhere.example/\"");
    }
    if (len > WH_OCI_CHALLENGE_MAX)
        return;
    if (wh_oci_challenge_parse(canon, &back, &err)) {
        fprintf(stderr, "%s\n", canon);
        broken("the canonical challenge does not read", &err);
    }
    same_challenge(&ch, &back);
}

/* ---- Link ---- */

static void fuzz_link(const uint8_t *data, size_t size)
{
    static const char *const origins[] = {"http://127.0.0.1:5000", "https://ghcr.io"};
    char *text = exact(data, size);
    for (size_t i = 0; i < 2; i++) {
        char path[WH_OCI_LINK_MAX + 1], back[WH_OCI_LINK_MAX + 1];
        char small[8];
        wh_err err = {0};
        int rc = wh_oci_link_next(text, origins[i], path, sizeof path, &err);
        if (rc) {
            refused(rc, &err, path, "Link");
            continue;
        }
        if (!path[0])
            continue;
        size_t pl = strlen(path);
        if (path[0] != '/' || path[1] == '/' || wh_oci_has_ctl(path) || strchr(path, ' '))
            broken("a next page that is not a path on the origin", NULL);
        /* Relative, absolute on the origin, and among other links. */
        char canon[2 * WH_OCI_LINK_MAX + 200];
        const char *forms[] = {"<%s>; rel=next", "<%s%s>;rel=\"prev next\"",
                               "<https://other.example/>; rel=prev, <%s>; title=\"a,b;c\"; "
                               "REL=\"next\"; rel=\"last\""};
        for (size_t f = 0; f < 3; f++) {
            if (f == 1)
                snprintf(canon, sizeof canon, forms[f], origins[i], path);
            else
                snprintf(canon, sizeof canon, forms[f], path);
            if (strlen(canon) > WH_OCI_LINK_MAX)
                continue;
            if (wh_oci_link_next(canon, origins[i], back, sizeof back, &err) ||
                strcmp(back, path) != 0) {
                fprintf(stderr, "%s\n", canon);
                broken("a next link does not read back", &err);
            }
        }
        /* A path that does not fit is refused, never cut. */
        rc = wh_oci_link_next(text, origins[i], small, sizeof small, &err);
        if (pl >= sizeof small ? rc != WH_ETOOBIG : (rc != 0 || strcmp(small, path) != 0))
            broken("a path over the room was not refused", &err);
    }
    free(text);
}

/* ---- the token service ---- */

static void fuzz_token(const uint8_t *data, size_t size)
{
    char *body = exact(data, size);
    char tok[WH_OCI_TOKEN_MAX + 1], back[WH_OCI_TOKEN_MAX + 1];
    wh_err err = {0};
    int rc = wh_oci_token_parse(body, size, tok, sizeof tok, &err);
    free(body);
    if (rc) {
        refused(rc, &err, tok, "token");
        return;
    }
    size_t n = strlen(tok);
    if (n == 0 || n > WH_OCI_TOKEN_MAX)
        broken("a token empty or over its limit", NULL);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)tok[i] <= 0x20 || (unsigned char)tok[i] >= 0x7f)
            broken("a token with a character that is not visible ASCII", NULL);
    /* Both names, and "token" first. */
    json_t *doc = json_pack("{s:s, s:s, s:i}", "access_token", tok, "token", tok,
                            "expires_in", 300);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (!text)
        abort();
    if (wh_oci_token_parse(text, strlen(text), back, sizeof back, &err) ||
        strcmp(back, tok) != 0)
        broken("a token does not read back", &err);
    free(text);
    json_decref(doc);
}

/* ---- the source reference ---- */

static void fuzz_ref(const uint8_t *data, size_t size)
{
    char *text = exact(data, size);
    wh_oci_ref ref, back;
    wh_err err = {0};
    int rc = wh_oci_ref_parse(text, &ref, &err);
    free(text);
    if (rc) {
        refused(rc, &err, NULL, NULL);
        if (ref.host[0] || ref.repo[0] || ref.tag[0] || ref.digest[0])
            broken("a refused source handed something out", &err);
        return;
    }
    if (!ref.host[0] || strchr(ref.host, '/') || wh_oci_has_ctl(ref.host) ||
        !wh_oci_repo_valid(ref.repo) || (ref.tag[0] && !wh_oci_tag_valid(ref.tag)))
        broken("a source with a bad host, repository or tag", NULL);
    if (ref.digest[0]) {
        char d[80];
        snprintf(d, sizeof d, "sha256:%s", ref.digest);
        if (strlen(ref.digest) != 64 || wh_oci_digest_parse(d, back.digest, &err))
            broken("a source with a bad digest", &err);
    }
    char canon[1024];
    snprintf(canon, sizeof canon, "oci://%s/%s%s%s%s%s", ref.host, ref.repo,
             ref.tag[0] ? ":" : "", ref.tag, ref.digest[0] ? "@sha256:" : "", ref.digest);
    if (wh_oci_ref_parse(canon, &back, &err) || strcmp(ref.host, back.host) ||
        strcmp(ref.repo, back.repo) || strcmp(ref.tag, back.tag) ||
        strcmp(ref.digest, back.digest)) {
        fprintf(stderr, "%s\n", canon);
        broken("a source does not read back the same", &err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > INPUT_MAX)
        return 0;
    int which;
    switch (data[0]) {
    case 'h': which = 0; break;
    case 'c': which = 1; break;
    case 'l': which = 2; break;
    case 't': which = 3; break;
    case 'r': which = 4; break;
    default: which = data[0] % 5; break;
    }
    data++;
    size--;
    if (size == 0)
        no_room();
    if (which == 0)
        fuzz_header(data, size);
    else if (which == 1)
        fuzz_challenge(data, size);
    else if (which == 2)
        fuzz_link(data, size);
    else if (which == 3)
        fuzz_token(data, size);
    else
        fuzz_ref(data, size);
    return 0;
}
