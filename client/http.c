/*
 * http.c - the client's requests to a registry (http.h), over libcurl.
 *
 * One multi handle per run keeps the connections: a request adds its easy
 * handle, drives the multi handle until that handle is done and removes
 * it, and the connection stays in the multi handle's pool for the next
 * request or parcel.  Everything a URL, a redirect or a header needs is
 * left to libcurl; this file only picks the options and bounds the reply.
 */
#include "http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "schema/toml.h"

/* Error bodies are one short line; anything longer is not worth parsing. */
#define ERROR_BODY_MAX (64 * 1024)

struct wh_http {
    char *base;     /* without a trailing '/' */
    char *token;    /* NULL when none */
    CURLM *multi;
};

int wh_http_open(const char *base_url, const char *token, wh_http **out, wh_err *err)
{
    *out = NULL;
    if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
        return wh_err_set(err, WH_EINVAL,
                          "the server URL must start with http:// or https://");
    for (const char *t = token; t && *t; t++)
        if ((unsigned char)*t < 0x20 || *t == 0x7f)
            return wh_err_set(err, WH_EINVAL, "the token holds a control character");
    /* Reference-counted by libcurl, so pairing it with wh_http_close is
     * right however many wh_http a process opens. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return wh_err_set(err, WH_EIO, "cannot initialise libcurl");
    wh_http *h = calloc(1, sizeof *h);
    if (!h)
        goto nomem;
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    h->base = strndup(base_url, n);
    h->token = token ? strdup(token) : NULL;
    h->multi = curl_multi_init();
    if (!h->base || (token && !h->token) || !h->multi)
        goto nomem;
    /* Keep one connection per parallel transfer (at most 64) alive between
     * requests: pulls fetch the invoice, then many parcels. */
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 64L);
    *out = h;
    return 0;
nomem:
    wh_http_close(h);
    if (!h)
        curl_global_cleanup();
    return wh_err_set(err, WH_ENOMEM, "out of memory");
}

void wh_http_close(wh_http *h)
{
    if (!h)
        return;
    if (h->multi)
        curl_multi_cleanup(h->multi);
    free(h->base);
    free(h->token);
    free(h);
    curl_global_cleanup();
}

CURLM *wh_http_multi(wh_http *h)
{
    return h->multi;
}

char *wh_http_url(const wh_http *h, const char *path)
{
    size_t lb = strlen(h->base), lp = strlen(path);
    char *url = malloc(lb + lp + 1);
    if (!url)
        return NULL;
    memcpy(url, h->base, lb);
    memcpy(url + lb, path, lp + 1);
    return url;
}

char *wh_http_escape_id(const char *name, const char *version)
{
    size_t cap = 3 * (strlen(name) + strlen(version)) + 2, n = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    const char *parts[2] = {name, version};
    for (int p = 0; p < 2; p++) {
        if (p == 1)
            out[n++] = '/';
        /* curl_easy_escape also encodes '/', which a bindle name keeps as
         * a path separator: escape the segments between them one by one. */
        const char *s = parts[p];
        for (;;) {
            size_t seg = strcspn(s, "/");
            if (seg > 0) {
                char *e = curl_easy_escape(NULL, s, (int)seg);
                if (!e) {
                    free(out);
                    return NULL;
                }
                size_t le = strlen(e);
                memcpy(out + n, e, le);
                n += le;
                curl_free(e);
            }
            if (s[seg] == '\0')
                break;
            out[n++] = '/';
            s += seg + 1;
        }
    }
    out[n] = '\0';
    return out;
}

int wh_http_easy(wh_http *h, const char *path, CURL **out, wh_err *err)
{
    *out = NULL;
    char *url = wh_http_url(h, path);
    CURL *c = url ? curl_easy_init() : NULL;
    if (!c) {
        free(url);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    CURLcode rc = curl_easy_setopt(c, CURLOPT_URL, url);
    free(url);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_USERAGENT, WH_HTTP_USER_AGENT);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    if (!rc)
        rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* libcurl sends the token to the host it was meant for only, never to
     * another host a redirect points at. */
    if (!rc && h->token)
        rc = curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    if (!rc && h->token)
        rc = curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, h->token);
    if (rc) {
        curl_easy_cleanup(c);
        return wh_err_set(err, WH_EIO, "libcurl refused an option: %s", curl_easy_strerror(rc));
    }
    *out = c;
    return 0;
}

bool wh_http_add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *n = curl_slist_append(*list, line);
    if (!n)
        return false;
    *list = n;
    return true;
}

int wh_http_status_code(long status)
{
    switch (status) {
    case 400: return WH_EINVAL;
    case 401: return WH_EUNAUTH;
    case 403: return WH_EFORBIDDEN;
    case 404: return WH_ENOTFOUND;
    case 409: return WH_EEXIST;
    case 413: return WH_ETOOBIG;
    case 422: return WH_EUNPROC;
    case 503: return WH_EBUSY;
    case 507: return WH_ENOSPACE;
    default: return WH_EIO;
    }
}

/* Where a reply body goes while it arrives. */
typedef struct sink {
    char *buf;
    size_t len, cap;
    bool too_big;
    bool nomem;
} sink;

static size_t sink_write(char *data, size_t size, size_t nmemb, void *userp)
{
    sink *s = userp;
    size_t n = size * nmemb;
    if (n > WH_HTTP_BODY_MAX - s->len) {
        s->too_big = true;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            s->nomem = true;
            return 0;
        }
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

int wh_http_run(wh_http *h, CURL *c, CURLcode *res, wh_err *err)
{
    CURLMcode mc = curl_multi_add_handle(h->multi, c);
    if (mc)
        return wh_err_set(err, WH_EIO, "libcurl: %s", curl_multi_strerror(mc));
    bool done = false;
    while (!done) {
        int running = 0;
        mc = curl_multi_perform(h->multi, &running);
        CURLMsg *m;
        int left;
        while (!mc && (m = curl_multi_info_read(h->multi, &left)))
            if (m->msg == CURLMSG_DONE && m->easy_handle == c) {
                *res = m->data.result;
                done = true;
            }
        if (!mc && !done)
            mc = curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
        if (mc)
            break;
    }
    curl_multi_remove_handle(h->multi, c);
    if (mc)
        return wh_err_set(err, WH_EIO, "libcurl: %s", curl_multi_strerror(mc));
    return 0;
}

int wh_http_request(wh_http *h, const char *method, const char *path,
                    const char *content_type, const char *body, size_t len,
                    const char *accept, wh_http_resp *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    sink s = {0};
    char errbuf[CURL_ERROR_SIZE] = "";
    int rc = wh_http_easy(h, path, &c, err);
    if (rc)
        return rc;

    bool ok = true;
    char line[200];
    if (content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", content_type);
        ok = wh_http_add_header(&hdrs, line);
    }
    if (accept) {
        snprintf(line, sizeof line, "Accept: %s", accept);
        ok = ok && wh_http_add_header(&hdrs, line);
    }
    /* A small body goes at once; waiting for a 100 first only adds a
     * round trip. */
    ok = ok && wh_http_add_header(&hdrs, "Expect:");
    if (!ok) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }

    CURLcode res = CURLE_OK;
    if ((rc = wh_http_run(h, c, &res, err)))
        goto done;
    if (s.too_big) {
        rc = wh_err_set(err, WH_ETOOBIG, "%s %s: the reply is over %u MiB", method,
                        path, WH_HTTP_BODY_MAX >> 20);
        goto done;
    }
    if (s.nomem) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    if (res != CURLE_OK) {
        char *url = wh_http_url(h, path);
        rc = wh_err_set(err, WH_EIO, "%s %s: %s", method, url ? url : path,
                        errbuf[0] ? errbuf : curl_easy_strerror(res));
        free(url);
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    char *ct = NULL;
    if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
        snprintf(out->content_type, sizeof out->content_type, "%s", ct);
    out->body = s.buf;
    out->len = s.len;
    s.buf = NULL;
done:
    free(s.buf);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return rc;
}

void wh_http_resp_clear(wh_http_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The `error` string of an error body, as a new reference; NULL when the
 * body is not one. */
static json_t *parse_error_body(const wh_http_resp *r)
{
    if (!r->body || r->len == 0 || r->len > ERROR_BODY_MAX)
        return NULL;
    size_t i = 0;
    while (i < r->len && (r->body[i] == ' ' || r->body[i] == '\n' || r->body[i] == '\r' ||
                          r->body[i] == '\t'))
        i++;
    json_t *root = NULL;
    wh_err ignored;
    if (strstr(r->content_type, "json") || (i < r->len && r->body[i] == '{'))
        root = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
    else if (wh_toml_parse(r->body, r->len, &root, &ignored) != 0)
        root = NULL;
    return root;
}

const char *wh_http_error_text(const wh_http_resp *r, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    json_t *root = parse_error_body(r);
    const char *msg = json_string_value(json_object_get(root, "error"));
    if (msg && msg[0])
        wh_cli_safe(msg, buf, cap);
    else
        snprintf(buf, cap, "HTTP %ld", r->status);
    json_decref(root);
    return buf;
}
