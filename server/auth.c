/*
 * auth.c - authenticating requests and checking their scopes (see auth.h).
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "htpasswd.h"
#include "oci.h"
#include "token.h"

/* What a request without credentials is told. */
#define NO_CREDENTIALS "this needs credentials: a token (Authorization: Bearer wht_...) " \
                       "or a user of the server's htpasswd file"

/* Who asked, as far as the request's credentials tell. */
typedef struct wh_principal {
    int rc;                  /* 0, or WH_EUNAUTH (WH_EBUSY: the database failed) */
    bool anonymous;          /* no credentials at all (rc is WH_EUNAUTH) */
    char msg[256];
    char who[96];            /* "token 0123456789abcdef", "user admin" */
    wh_auth_kind kind;       /* when rc is 0 */
    char name[WH_HTPASSWD_MAX_USER + 1];  /* the token id or the user name */
    int64_t expires_at;      /* a token's; 0: never */
    wh_scopes *scopes;       /* owned unless borrowed */
    bool borrowed;           /* the server's htpasswd scopes */
    /* wh_auth_read_names' view of the read scopes. */
    const char **names;
    bool *prefix;
} wh_principal;

static const char *action_name(unsigned action)
{
    switch (action) {
    case WH_SCOPE_READ: return "read";
    case WH_SCOPE_PUSH: return "push to";
    case WH_SCOPE_YANK: return "yank";
    default: return "do that to";
    }
}

static void unauth(wh_principal *p, const char *fmt, const char *arg)
{
    p->rc = WH_EUNAUTH;
    snprintf(p->msg, sizeof p->msg, fmt, arg);
}

static void from_token(wh_server *srv, wh_principal *p, const char *token)
{
    char id[WH_TOKEN_ID_LEN + 1];
    unsigned char hash[32];
    if (!wh_token_parse(token, id, hash))
        return unauth(p, "%s", "the token is malformed: expected wht_ followed by its id and "
                               "secret, as `wharfd token create` printed it");
    wh_token_rec t;
    wh_err e;
    int rc = wh_meta_token_get(srv->meta, id, &t, &e);
    if (rc == WH_ENOTFOUND)
        return unauth(p, "%s", "the token is not valid");
    if (rc) {
        wh_log(srv, WH_LOG_ERROR, "checking a token: %s", e.msg);
        p->rc = WH_EBUSY; /* the database, not the caller: 503, not 401 */
        snprintf(p->msg, sizeof p->msg, "the token could not be checked now; try again");
        return;
    }
    time_t now = time(NULL);
    if (CRYPTO_memcmp(hash, t.secret_hash, sizeof hash) != 0)
        unauth(p, "%s", "the token is not valid");
    else if (t.revoked_at)
        unauth(p, "token %s was revoked", id);
    else if (t.expires_at && t.expires_at <= (int64_t)now)
        unauth(p, "token %s has expired", id);
    else if (wh_scopes_parse(t.scopes, &p->scopes, &e) != 0) {
        wh_log(srv, WH_LOG_ERROR, "token %s: stored scopes do not parse: %s", id, e.msg);
        unauth(p, "%s", "the token could not be checked");
    } else {
        snprintf(p->who, sizeof p->who, "token %s", id);
        p->kind = WH_AUTH_TOKEN;
        snprintf(p->name, sizeof p->name, "%s", id);
        p->expires_at = t.expires_at;
    }
    wh_token_rec_clear(&t);
}

static void from_basic(wh_server *srv, wh_principal *p, struct MHD_Connection *conn)
{
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(conn, &pass);
    if (!user || !pass) {
        unauth(p, "%s", "malformed Basic credentials");
    } else if (!*user && !*pass) {
        /* What OCI clients send when they were given no credentials. */
        p->anonymous = true;
        unauth(p, "%s", NO_CREDENTIALS);
    } else if (wh_token_like(pass)) {
        from_token(srv, p, pass);
    } else if (!srv->htpasswd) {
        unauth(p, "%s", "this server has no password users: use a token as the password "
                        "or as a Bearer token");
    } else if (!wh_htpasswd_check(srv->htpasswd, user, pass)) {
        unauth(p, "%s", "wrong user name or password");
    } else {
        p->scopes = srv->htpasswd_scopes;
        p->borrowed = true;
        p->kind = WH_AUTH_USER;
        snprintf(p->name, sizeof p->name, "%s", user);
        char shown[64];
        wh_keys_shorten(shown, sizeof shown, user);
        snprintf(p->who, sizeof p->who, "user %s", shown);
    }
    if (pass) {
        OPENSSL_cleanse(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
}

static wh_principal *authenticate(wh_req *req)
{
    if (req->who)
        return req->who;
    wh_principal *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    req->who = p;
    const char *h = wh_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *bearer = h && strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 + strspn(h + 7, " ")
                                                                : NULL;
    if (!h || !*h || (bearer && strcmp(bearer, WH_AUTH_ANONYMOUS_TOKEN) == 0)) {
        /* The anonymous token of GET /v2/token stands for no credentials. */
        p->anonymous = true;
        unauth(p, "%s", NO_CREDENTIALS);
    } else if (bearer)
        from_token(req->srv, p, bearer);
    else if (strncasecmp(h, "Basic ", 6) == 0)
        from_basic(req->srv, p, req->conn);
    else
        unauth(p, "%s", "unsupported Authorization scheme: use Bearer or Basic");
    if (p->rc && !p->anonymous)
        wh_log(req->srv, WH_LOG_INFO, "%s %s: refused: %s", req->method, req->path, p->msg);
    return p;
}

bool wh_auth_slow(wh_req *req)
{
    const wh_server *srv = req->srv;
    if (srv->auth_none || !srv->htpasswd)
        return false;
    /* Open reads never look at credentials; but on /v2 a GET may need more
     * than read (an upload's status needs push), and the version check and
     * the token endpoint look at them anyway. */
    bool read = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    if (read && !srv->read_token && !req->oci)
        return false;
    const char *h = wh_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Basic ", 6) != 0)
        return false;
    /* Only a password that may be an htpasswd one costs a bcrypt run:
     * empty credentials and tokens as passwords are checked at once. */
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(req->conn, &pass);
    bool slow = user && pass && *pass && !wh_token_like(pass);
    if (pass) {
        OPENSSL_cleanse(pass, strlen(pass));
        MHD_free(pass);
    }
    if (user)
        MHD_free(user);
    return slow;
}

void wh_auth_prepare(wh_req *req)
{
    authenticate(req);
}

static void reply_unauth(wh_req *req, const char *msg)
{
    wh_reply_error(req, MHD_HTTP_UNAUTHORIZED, "%s", msg);
    if (!req->resp)
        return;
    if (req->oci) {
        /* OCI clients follow only the token flow's challenge. */
        wh_oci_challenge(req, NULL, 0);
        return;
    }
    MHD_add_response_header(req->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Bearer realm=\"wharf\"");
    MHD_add_response_header(req->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Basic realm=\"wharf\", charset=\"UTF-8\"");
}

/* The principal, or NULL with the 401 (or 500) reply set. */
static wh_principal *principal(wh_req *req)
{
    wh_principal *p = authenticate(req);
    if (!p) {
        wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return NULL;
    }
    if (p->rc == WH_EBUSY) {
        wh_err e;
        wh_err_set(&e, WH_EBUSY, "%s", p->msg);
        wh_reply_err(req, &e);
        return NULL;
    }
    if (p->rc) {
        reply_unauth(req, p->msg);
        return NULL;
    }
    return p;
}

static bool open_for(const wh_server *srv, unsigned action)
{
    return srv->auth_none || (action == WH_SCOPE_READ && !srv->read_token);
}

int wh_auth_check(wh_req *req, unsigned action, const char *name, wh_err *err)
{
    if (open_for(req->srv, action))
        return 0;
    wh_principal *p = authenticate(req);
    if (!p)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    if (p->rc)
        return wh_err_set(err, p->rc, "%s", p->msg);
    if (wh_scopes_allow(p->scopes, action, name))
        return 0;
    return wh_err_set(err, WH_EFORBIDDEN, "%s may not %s %s", p->who, action_name(action), name);
}

bool wh_auth_allow(wh_req *req, unsigned action, const char *name)
{
    wh_err e;
    int rc = wh_auth_check(req, action, name, &e);
    if (rc == 0)
        return true;
    if (rc == WH_EUNAUTH)
        reply_unauth(req, e.msg);
    else
        wh_reply_err(req, &e);
    return false;
}

int wh_auth_identify(wh_req *req, wh_auth_identity *out, wh_err *err)
{
    memset(out, 0, sizeof *out);
    wh_principal *p = authenticate(req);
    if (!p)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    if (p->anonymous) {
        out->kind = WH_AUTH_ANONYMOUS;
        return 0;
    }
    if (p->rc)
        return wh_err_set(err, p->rc, "%s", p->msg);
    out->kind = p->kind;
    out->name = p->name;
    out->expires_at = p->expires_at;
    out->scopes = p->scopes;
    return 0;
}

bool wh_auth_allow_some(wh_req *req, unsigned action)
{
    if (open_for(req->srv, action))
        return true;
    wh_principal *p = principal(req);
    if (!p)
        return false;
    if (wh_scopes_any(p->scopes, action))
        return true;
    wh_reply_error(req, MHD_HTTP_FORBIDDEN, "%s may not %s any bindle", p->who,
                   action_name(action));
    return false;
}

bool wh_auth_read_names(wh_req *req, bool *all, const char *const **names, const bool **prefix,
                        size_t *n)
{
    *all = true;
    *names = NULL;
    *prefix = NULL;
    *n = 0;
    if (open_for(req->srv, WH_SCOPE_READ))
        return true;
    if (!wh_auth_allow_some(req, WH_SCOPE_READ))
        return false;
    wh_principal *p = req->who;
    const wh_scopes *s = p->scopes;
    free(p->names);
    free(p->prefix);
    p->names = calloc(s->n, sizeof *p->names);
    p->prefix = calloc(s->n, sizeof *p->prefix);
    if (!p->names || !p->prefix) {
        wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!(s->v[i].actions & WH_SCOPE_READ))
            continue;
        if (s->v[i].prefix && !*s->v[i].pattern)
            return true; /* read:* */
        p->names[k] = s->v[i].pattern;
        p->prefix[k] = s->v[i].prefix;
        k++;
    }
    *all = false;
    *names = p->names;
    *prefix = p->prefix;
    *n = k;
    return true;
}

void wh_auth_release(wh_req *req)
{
    wh_principal *p = req->who;
    if (!p)
        return;
    if (!p->borrowed)
        wh_scopes_free(p->scopes);
    free(p->names);
    free(p->prefix);
    free(p);
    req->who = NULL;
}
