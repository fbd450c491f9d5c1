/*
 * oci_remote.c - the connection half of the OCI registry client of `wharf
 * mirror` (oci_remote.h): requests and authentication.  The endpoints are
 * in oci_remote_api.c.
 *
 * Requests go through the wh_http of the remote (so they share its
 * connection pool and options) but are driven here, because the
 * distribution API lives in response headers that wh_http_request does
 * not keep: WWW-Authenticate, Docker-Content-Digest, Location, Link.
 *
 * Authentication state is one "Authorization:" line that every request
 * and every blob transfer carries.  It starts empty (or with the user's
 * own token), and wh_oci_call() fills or renews it from the challenge of a 401,
 * once per request.
 */
#include "oci_remote_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "http.h"
#include "schema/base64.h"

#define ERROR_KEEP (64 * 1024)        /* bytes of an error body kept for its message */
#define CREDS_MAX 1024                /* bytes of a user name or password */

/* ---- one request ---- */

void wh_oci_reply_clear(wh_oci_reply *p)
{
    free(p->body);
    memset(p, 0, sizeof *p);
    p->fd = -1;
}

/*
 * Keeps the value of header `name` of a reply in dst (cap bytes): the
 * last one given, or with `join` all of them joined by ", ", which is how
 * RFC 9110 reads a header that comes several times (Link,
 * WWW-Authenticate).  One that does not fit or holds a control character
 * marks the reply, which perform() then refuses: a cut challenge or Link
 * would be read as something else.
 */
static void keep(wh_oci_reply *p, const char *line, size_t n, const char *name, char *dst,
                 size_t cap, bool join)
{
    char v[WH_OCI_HEADER_KEEP];
    int rc = wh_oci_header_value(line, n, name, v, sizeof v, NULL);
    if (rc == WH_ENOTFOUND)
        return;
    size_t used = join ? strlen(dst) : 0, vl = strlen(v);
    if (rc || used + (used ? 2 : 0) + vl >= cap) {
        if (!p->bad_header)
            p->bad_header = name;
        return;
    }
    if (used) {
        memcpy(dst + used, ", ", 2);
        used += 2;
    }
    memcpy(dst + used, v, vl + 1);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    wh_oci_reply *p = userp;
    size_t n = size * nmemb;
    /* Each reply of a redirect chain starts with its status line; only
     * the last one's headers count. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        p->digest[0] = p->location[0] = p->link[0] = p->challenge[0] = '\0';
        p->bad_header = NULL;
        return n;
    }
    keep(p, data, n, "docker-content-digest", p->digest, sizeof p->digest, false);
    keep(p, data, n, "location", p->location, sizeof p->location, false);
    keep(p, data, n, "link", p->link, sizeof p->link, true);
    keep(p, data, n, "www-authenticate", p->challenge, sizeof p->challenge, true);
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    wh_oci_reply *p = userp;
    size_t n = size * nmemb;
    if (!p->first) {
        p->first = true;
        long st = 0;
        curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &st);
        p->error_reply = st < 200 || st >= 300;
    }
    size_t limit = p->error_reply ? ERROR_KEEP : p->max;
    if (n > limit - p->len) {
        if (p->error_reply) {
            n = limit - p->len;
            if (n == 0)
                return size * nmemb;
        } else {
            p->too_big = true;
            return 0;
        }
    }
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *b = realloc(p->body, cap);
        if (!b) {
            p->nomem = true;
            return 0;
        }
        p->body = b;
        p->cap = cap;
    }
    memcpy(p->body + p->len, data, n);
    p->len += n;
    p->body[p->len] = '\0';
    return size * nmemb;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *userp)
{
    wh_oci_reply *p = userp;
    ssize_t r;
    do
        r = pread(p->fd, buf, size * nitems, (off_t)p->sent);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return CURL_READFUNC_ABORT;
    p->sent += (uint64_t)r;
    return (size_t)r;
}

static int on_seek(void *userp, curl_off_t offset, int origin)
{
    wh_oci_reply *p = userp;
    if (origin != SEEK_SET || offset < 0)
        return CURL_SEEKFUNC_CANTSEEK;
    p->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

/* Sends one request as it is, without renewing anything. */
static int perform(wh_oci_remote *r, const wh_oci_req *q, wh_oci_reply *p, wh_err *err)
{
    wh_oci_reply_clear(p);
    p->max = q->max;
    p->fd = q->fd;
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE] = "", line[256];
    int rc = wh_http_easy(r->h, q->path ? q->path : "", &c, err);
    if (rc)
        return rc;
    p->easy = c;
    bool ok = !q->url || curl_easy_setopt(c, CURLOPT_URL, q->url) == CURLE_OK;
    if (q->accept) {
        snprintf(line, sizeof line, "Accept: %s", q->accept);
        ok = ok && wh_http_add_header(&hdrs, line);
    }
    if (q->ctype) {
        snprintf(line, sizeof line, "Content-Type: %s", q->ctype);
        ok = ok && wh_http_add_header(&hdrs, line);
    }
    ok = ok && wh_http_add_header(&hdrs, "Expect:");
    const char *auth = q->auth ? q->auth : q->anonymous ? NULL : r->auth_line;
    if (auth)
        ok = ok && wh_http_add_header(&hdrs, auth);
    if (!ok) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, p);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, p);
    if (strcmp(q->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (q->fd >= 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->fd_len);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, p);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, p);
        if (strcmp(q->method, "PUT") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    } else if (strcmp(q->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body ? q->body : "");
        if (strcmp(q->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    }
    CURLcode res = CURLE_OK;
    if ((rc = wh_http_run(r->h, c, &res, err)))
        goto done;
    if (p->too_big) {
        rc = wh_err_set(err, WH_ETOOBIG, "%s %s%s: the reply is over %zu bytes", q->method,
                        q->url ? "" : r->origin, q->url ? q->url : q->path, q->max);
        goto done;
    }
    if (p->nomem) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    if (res != CURLE_OK) {
        rc = wh_err_set(err, WH_EIO, "%s %s%s: %s", q->method, q->url ? "" : r->origin,
                        q->url ? q->url : q->path, errbuf[0] ? errbuf : curl_easy_strerror(res));
        goto done;
    }
    if (p->bad_header) {
        rc = wh_err_set(err, WH_EIO, "%s %s%s: the reply's %s header is too long or holds a "
                        "control character", q->method, q->url ? "" : r->origin,
                        q->url ? q->url : q->path, p->bad_header);
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
    char *ct = NULL;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) {
        snprintf(p->ctype, sizeof p->ctype, "%.*s", (int)strcspn(ct, "; "), ct);
    }
done:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    p->easy = NULL;
    return rc;
}

/* The message of an error reply: the distribution spec's errors[0], a
 * Bindle `error`, or nothing. */
static const char *reply_text(const wh_oci_reply *p, char *buf, size_t cap)
{
    buf[0] = '\0';
    json_t *doc = p->body ? json_loadb(p->body, p->len, 0, NULL) : NULL;
    json_t *e0 = json_array_get(json_object_get(doc, "errors"), 0);
    const char *code = json_string_value(json_object_get(e0, "code"));
    const char *msg = json_string_value(json_object_get(e0, "message"));
    if (!e0)
        msg = json_string_value(json_object_get(doc, "error"));
    char a[100], b[200];
    if (code || msg)
        snprintf(buf, cap, ": %s%s%s", code ? wh_cli_safe(code, a, sizeof a) : "",
                 code && msg ? ": " : "", msg ? wh_cli_safe(msg, b, sizeof b) : "");
    json_decref(doc);
    return buf;
}

/* A failed status as a WH_E* code and a message that names `what`. */
int wh_oci_status_fail(const wh_oci_remote *r, const char *what, const wh_oci_reply *p,
                       wh_err *err)
{
    char text[320];
    int code = p->status >= 400 ? wh_http_status_code(p->status) : WH_EIO;
    return wh_err_set(err, code, "%s: %s answered HTTP %ld%s", what, r->host, p->status,
                      reply_text(p, text, sizeof text));
}

/* ---- authentication ---- */

static int set_auth(wh_oci_remote *r, const char *scheme, const char *value, wh_err *err)
{
    size_t n = strlen(scheme) + strlen(value) + 24;
    char *line = malloc(n);
    if (!line)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    snprintf(line, n, "Authorization: %s %s", scheme, value);
    struct curl_slist *l = curl_slist_append(NULL, line);
    if (!l) {
        OPENSSL_cleanse(line, n);
        free(line);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    if (r->auth_line) {
        OPENSSL_cleanse(r->auth_line, strlen(r->auth_line));
        free(r->auth_line);
    }
    curl_slist_free_all(r->auth);
    r->auth_line = line;
    r->auth = l;
    return 0;
}

/* "Authorization: Basic ..." of the user's credentials into line (cap). */
static void basic_line(const wh_oci_remote *r, char *line, size_t cap)
{
    char pair[2 * CREDS_MAX + 2], b64[((2 * CREDS_MAX + 2) / 3 + 1) * 4 + 1];
    int n = snprintf(pair, sizeof pair, "%s:%s", r->username, r->password);
    wh_base64_encode((const unsigned char *)pair, (size_t)n, b64);
    snprintf(line, cap, "Authorization: Basic %s", b64);
    OPENSSL_cleanse(pair, sizeof pair);
    OPENSSL_cleanse(b64, sizeof b64);
}

static int needs_creds(const wh_oci_remote *r, const wh_oci_reply *p, wh_err *err)
{
    char text[320];
    if (r->sent_creds)
        return wh_err_set(err, WH_EUNAUTH, "%s refused the credentials%s%s%s (HTTP 401%s): "
                          "check them, or give others with %s", r->host,
                          r->username ? " of \"" : "", r->username ? r->username : "",
                          r->username ? "\"" : "", reply_text(p, text, sizeof text), r->hint);
    return wh_err_set(err, WH_EUNAUTH, "%s requires credentials for %s (HTTP 401%s): give "
                      "them with %s", r->host, r->repo, reply_text(p, text, sizeof text),
                      r->hint);
}

/* Asks the token service of the last Bearer challenge for a token. */
int wh_oci_fetch_token(wh_oci_remote *r, wh_err *err)
{
    bool https = strncmp(r->realm, "https://", 8) == 0;
    if (!https && strncmp(r->realm, "http://", 7) != 0)
        return wh_err_set(err, WH_EUNAUTH, "%s names a token service that is not an http "
                          "URL: %s", r->host, r->realm);
    if (!https && r->https)
        return wh_err_set(err, WH_EUNAUTH, "%s is https but names a token service over "
                          "plain http (%s): refusing to send credentials there", r->host,
                          r->realm);
    char *svc = curl_easy_escape(NULL, r->service ? r->service : "", 0);
    char *sc = curl_easy_escape(NULL, r->scope, 0);
    size_t n = strlen(r->realm) + (svc ? strlen(svc) : 0) + (sc ? strlen(sc) : 0) + 32;
    char *url = svc && sc ? malloc(n) : NULL;
    char basic[((2 * CREDS_MAX + 2) / 3 + 1) * 4 + 40];
    char tok[WH_OCI_TOKEN_MAX + 1];
    wh_oci_reply p = {.fd = -1};
    int rc;
    tok[0] = '\0';
    if (!url) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(url, n, "%s%c%s%s%sscope=%s", r->realm, strchr(r->realm, '?') ? '&' : '?',
             svc[0] ? "service=" : "", svc, svc[0] ? "&" : "", sc);
    if (r->username)
        basic_line(r, basic, sizeof basic);
    wh_oci_req q = {.method = "GET", .url = url, .accept = "application/json", .fd = -1,
                    .max = WH_OCI_TOKEN_REPLY_MAX, .auth = r->username ? basic : NULL,
                    .anonymous = !r->username};
    rc = perform(r, &q, &p, err);
    OPENSSL_cleanse(basic, sizeof basic);
    if (rc)
        goto done;
    char text[320];
    if (p.status == 401 || p.status == 403) {
        rc = r->username
                 ? wh_err_set(err, WH_EUNAUTH, "the token service of %s refused the "
                              "credentials of \"%s\" (HTTP %ld%s): check them, or give others "
                              "with %s", r->host,
                              r->username, p.status, reply_text(&p, text, sizeof text), r->hint)
                 : wh_err_set(err, WH_EUNAUTH, "the token service of %s gives no anonymous "
                              "token for %s (HTTP %ld%s): give credentials with %s", r->host,
                              r->repo, p.status,
                              reply_text(&p, text, sizeof text), r->hint);
        goto done;
    }
    if (p.status != 200) {
        rc = wh_oci_status_fail(r, "asking for a token", &p, err);
        goto done;
    }
    wh_err e;
    if (wh_oci_token_parse(p.body ? p.body : "", p.len, tok, sizeof tok, &e)) {
        rc = wh_err_set(err, WH_EUNAUTH, "the token service of %s answered without a usable "
                        "token: %s", r->host, e.msg);
        goto done;
    }
    rc = set_auth(r, "Bearer", tok, err);
    r->sent_creds = r->username != NULL;
done:
    OPENSSL_cleanse(tok, sizeof tok);
    if (p.body)
        OPENSSL_cleanse(p.body, p.len);
    wh_oci_reply_clear(&p);
    free(url);
    curl_free(svc);
    curl_free(sc);
    return rc;
}

/* Answers the challenge of a 401: gets a (new) token, or starts sending
 * the Basic credentials.  WH_EUNAUTH when there is nothing more to try. */
static int renew(wh_oci_remote *r, const wh_oci_reply *p, wh_err *err)
{
    wh_oci_challenge ch;
    wh_err e;
    if (wh_oci_challenge_parse(p->challenge, &ch, &e))
        return wh_err_set(err, WH_EUNAUTH, "%s answered 401 with a WWW-Authenticate challenge "
                          "that cannot be read: %s", r->host, e.msg);
    if (ch.bearer && !r->token_given) {
        if (!ch.realm[0])
            return wh_err_set(err, WH_EUNAUTH, "%s asks for a Bearer token but names no "
                              "realm to get it from", r->host);
        char *nr = strdup(ch.realm), *ns = ch.has_service ? strdup(ch.service) : NULL;
        char *nc = ch.scope[0] ? strdup(ch.scope) : NULL;
        if (!nr || (ch.has_service && !ns) || (ch.scope[0] && !nc)) {
            free(nr);
            free(ns);
            free(nc);
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        }
        free(r->realm);
        free(r->service);
        r->realm = nr;
        r->service = ns;
        if (nc) {
            free(r->scope);
            r->scope = nc;
        }
        return wh_oci_fetch_token(r, err);
    }
    if (ch.basic && r->username && !r->sent_creds) {
        char line[((2 * CREDS_MAX + 2) / 3 + 1) * 4 + 40];
        basic_line(r, line, sizeof line);
        int rc = set_auth(r, "Basic", line + strlen("Authorization: Basic "), err);
        OPENSSL_cleanse(line, sizeof line);
        r->sent_creds = true;
        return rc;
    }
    return needs_creds(r, p, err);
}

/* A request, answering one 401 by renewing the credentials first. */
int wh_oci_call(wh_oci_remote *r, const wh_oci_req *q, wh_oci_reply *p, wh_err *err)
{
    int rc = perform(r, q, p, err);
    if (rc || p->status != 401)
        return rc;
    if ((rc = renew(r, p, err)))
        return rc;
    if ((rc = perform(r, q, p, err)))
        return rc;
    return p->status == 401 ? needs_creds(r, p, err) : 0;
}

/* ---- the remote ---- */

static void remote_free(wh_oci_remote *r)
{
    if (!r)
        return;
    wh_http_close(r->h);
    if (r->password)
        OPENSSL_cleanse(r->password, strlen(r->password));
    if (r->auth_line)
        OPENSSL_cleanse(r->auth_line, strlen(r->auth_line));
    free(r->auth_line);
    curl_slist_free_all(r->auth);
    free(r->origin);
    free(r->repo);
    free(r->hint);
    free(r->username);
    free(r->password);
    free(r->realm);
    free(r->service);
    free(r->scope);
    free(r);
}

void wh_oci_remote_close(wh_oci_remote *r)
{
    remote_free(r);
}

const char *wh_oci_remote_host(const wh_oci_remote *r)
{
    return r->host;
}

int wh_oci_remote_open(const char *origin, const char *repo, bool push,
                       const wh_oci_creds *creds, wh_oci_remote **out, wh_err *err)
{
    *out = NULL;
    static const wh_oci_creds none = {0};
    if (!creds)
        creds = &none;
    if ((creds->username == NULL) != (creds->password == NULL))
        return wh_err_set(err, WH_EINVAL, "credentials need both a user name and a password");
    bool bad_user = creds->username && (strlen(creds->username) > CREDS_MAX ||
                                        strlen(creds->password) > CREDS_MAX ||
                                        strchr(creds->username, ':'));
    bool bad_token = creds->token && (strlen(creds->token) > WH_OCI_TOKEN_MAX ||
                                      strchr(creds->token, ' '));
    if (bad_user || bad_token || wh_oci_has_ctl(creds->username) ||
        wh_oci_has_ctl(creds->password) || wh_oci_has_ctl(creds->token))
        return wh_err_set(err, WH_EINVAL, "the credentials hold a control character, a ':' "
                          "in the user name, or are too long");
    wh_oci_remote *r = calloc(1, sizeof *r);
    if (!r)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    size_t ol = strlen(origin);
    while (ol > 0 && origin[ol - 1] == '/')
        ol--;
    r->origin = strndup(origin, ol);
    r->repo = strdup(repo);
    r->hint = strdup(creds->hint ? creds->hint : "the client's options");
    size_t sl = strlen(repo) + 40;
    r->scope = malloc(sl);
    if (creds->username) {
        r->username = strdup(creds->username);
        r->password = strdup(creds->password);
    }
    int rc = 0;
    if (!r->origin || !r->repo || !r->hint || !r->scope ||
        (creds->username && (!r->username || !r->password))) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(r->scope, sl, "repository:%s:%s", repo, push ? "pull,push" : "pull");
    const char *sep = strstr(r->origin, "://");
    r->host = sep ? sep + 3 : r->origin;
    r->https = strncmp(r->origin, "https://", 8) == 0;
    if (creds->token) {
        if ((rc = set_auth(r, "Bearer", creds->token, err)))
            goto done;
        r->token_given = r->sent_creds = true;
    }
    if ((rc = wh_http_open(r->origin, NULL, &r->h, err)))
        goto done;
    wh_oci_reply p = {.fd = -1};
    wh_oci_req q = {.method = "GET", .path = "/v2/", .accept = "application/json", .fd = -1,
                    .max = WH_OCI_SMALL_MAX};
    rc = wh_oci_call(r, &q, &p, err);
    if (!rc && p.status == 404)
        rc = wh_err_set(err, WH_EIO, "%s does not speak the OCI distribution API (GET /v2/ "
                        "answered 404)", r->host);
    else if (!rc && p.status != 200)
        rc = wh_oci_status_fail(r, "GET /v2/", &p, err);
    wh_oci_reply_clear(&p);
done:
    if (rc)
        remote_free(r);
    else
        *out = r;
    return rc;
}
