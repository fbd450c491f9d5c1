/*
 * oci_auth.c - who may do what through /v2, and how OCI clients learn to
 * authenticate.
 *
 * The rules are the Bindle API's (auth.h): the same tokens, htpasswd users
 * and scopes, with the repository standing for the bindle name; pull needs
 * read, push needs push, delete needs yank.  What differs is the dance OCI
 * clients expect (the "Docker token flow"):
 *
 *   1. GET /v2/ without credentials answers 401 with
 *      `WWW-Authenticate: Bearer realm="<this server>/v2/token",service="wharf"`.
 *      Clients look at this challenge only, so it is sent even when reads are
 *      anonymous.
 *   2. The client asks the realm for a token, with HTTP Basic when it has
 *      credentials: a wharf token as the password comes back as is; an
 *      htpasswd user gets a token minted for 15 minutes with the user's
 *      scopes; no credentials get the fixed token "anonymous", which the
 *      auth layer reads as no credentials at all.
 *   3. Every later request carries `Authorization: Bearer <token>`; a 401
 *      names the scope it needed, so a client can ask for a better token.
 *
 * Nothing here is owned past a call; the minted token is written to the
 * database (wh_meta_token_add) and shown once, in the reply.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "htpasswd.h"
#include "oci.h"
#include "token.h"

#define SERVICE "wharf"
#define LOGIN_TTL 900    /* seconds a token minted for an htpasswd user lives */
#define SHOWN_TTL 3600   /* expires_in of tokens that do not expire: when to ask again */
#define HOST_MAX 255

/* Whether a Host header may go into the realm as it is: a name or an
 * address and a port, nothing that could break out of the quoted value. */
static bool host_ok(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

/* Adds the Bearer challenge to the reply: the token endpoint as the client
 * reached this server, and the scope that was missing (none when repo is
 * NULL). */
void wh_oci_challenge(wh_req *req, const char *repo, unsigned action)
{
    if (!req->resp)
        return;
    const char *host = wh_req_header(req, MHD_HTTP_HEADER_HOST);
    if (!host_ok(host))
        host = req->srv->cfg.listen;
    const char *actions = action == WH_SCOPE_PUSH   ? "pull,push"
                          : action == WH_SCOPE_YANK ? "delete"
                                                    : "pull";
    char value[HOST_MAX + WH_OCI_MAX_REPO + 128];
    int n = snprintf(value, sizeof value, "Bearer realm=\"%s://%s/v2/token\",service=\"" SERVICE "\"",
                     req->srv->tls_cert_pem ? "https" : "http", host);
    if (repo && n > 0 && (size_t)n < sizeof value)
        snprintf(value + n, sizeof value - (size_t)n, ",scope=\"repository:%s:%s\"", repo,
                 actions);
    MHD_add_response_header(req->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, value);
}

static void unauthorized(wh_req *req, const char *repo, unsigned action, const char *msg)
{
    wh_oci_error(req, MHD_HTTP_UNAUTHORIZED, "UNAUTHORIZED", "%s", msg);
    wh_oci_challenge(req, repo, action);
}

bool wh_oci_allow(wh_req *req, unsigned action, const char *repo)
{
    wh_err e;
    int rc = wh_auth_check(req, action, repo, &e);
    if (rc == 0)
        return true;
    if (rc == WH_EUNAUTH)
        unauthorized(req, repo, action, e.msg);
    else
        wh_oci_error_err(req, NULL, &e);
    return false;
}

void wh_oci_route_base(wh_req *req)
{
    if (!req->srv->auth_none) {
        wh_auth_identity id;
        wh_err e;
        int rc = wh_auth_identify(req, &id, &e);
        if (rc == 0 && id.kind == WH_AUTH_ANONYMOUS)
            rc = wh_err_set(&e, WH_EUNAUTH, "this registry takes a token: get one from "
                            "/v2/token (anonymous, or with HTTP Basic credentials)");
        if (rc == WH_EUNAUTH)
            unauthorized(req, NULL, 0, e.msg);
        else if (rc)
            wh_oci_error_err(req, NULL, &e);
    }
    if (!req->resp) {
        req->want_json = true;
        wh_reply_doc(req, MHD_HTTP_OK, json_object());
    }
    if (req->resp)
        MHD_add_response_header(req->resp, "Docker-Distribution-API-Version", "registry/2.0");
}

/* Frees a reply buffer that holds a token, wiping it first. */
static void free_secret(void *buf)
{
    OPENSSL_cleanse(buf, strlen(buf));
    free(buf);
}

/* Replies {"token","access_token","expires_in","issued_at"}. */
static void reply_token(wh_req *req, const char *token, int64_t expires_in, time_t now)
{
    char issued[32];
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *doc = json_pack("{s:s,s:s,s:I,s:s}", "token", token, "access_token", token,
                            "expires_in", (json_int_t)expires_in, "issued_at", issued);
    char *buf = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    struct MHD_Response *r = buf ? MHD_create_response_from_buffer_with_free_callback(
                                       strlen(buf), buf, free_secret)
                                 : NULL;
    if (!r) {
        if (buf)
            free_secret(buf);
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory");
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    wh_reply_response(req, MHD_HTTP_OK, r);
}

/* The token the request presented: the Bearer value or the Basic password
 * (the request authenticated as WH_AUTH_TOKEN, so it is one of them). */
static bool presented_token(wh_req *req, char out[WH_TOKEN_MAX])
{
    const char *h = wh_req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
    bool ok = false;
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        const char *t = h + 7 + strspn(h + 7, " ");
        if (wh_token_like(t)) {
            memcpy(out, t, WH_TOKEN_MAX);
            ok = true;
        }
    } else {
        char *pass = NULL;
        char *user = MHD_basic_auth_get_username_password(req->conn, &pass);
        if (pass && wh_token_like(pass)) {
            memcpy(out, pass, WH_TOKEN_MAX);
            ok = true;
        }
        if (pass) {
            OPENSSL_cleanse(pass, strlen(pass));
            MHD_free(pass);
        }
        if (user)
            MHD_free(user);
    }
    return ok;
}

/*
 * Mints a token for the htpasswd user the request authenticated as.  It
 * runs as on_end, on the offload pool: storing the token is a database
 * write, which must not hold up the event thread.
 */
static void mint_token(wh_req *req)
{
    wh_auth_identity id;
    wh_err e;
    char canon[WH_SCOPES_MAX_TEXT + 1];
    char desc[WH_HTPASSWD_MAX_USER + 16];
    char token[WH_TOKEN_MAX];
    wh_token_rec t;
    memset(&t, 0, sizeof t);
    if (wh_auth_identify(req, &id, &e) != 0)
        return wh_oci_error_err(req, NULL, &e);
    if (id.kind != WH_AUTH_USER)
        return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                            "the request is no longer a user's");
    if (wh_scopes_format(id.scopes, canon, sizeof canon, &e) != 0)
        return wh_oci_error_err(req, NULL, &e);
    snprintf(desc, sizeof desc, WH_OCI_LOGIN_TOKEN_PREFIX "%s", id.name);
    time_t now = time(NULL);
    t.description = desc;
    t.scopes = canon;
    t.created_at = (int64_t)now;
    t.expires_at = (int64_t)now + LOGIN_TTL;
    if (wh_token_generate(token, t.id, t.secret_hash, &e) != 0 ||
        wh_meta_token_add(req->srv->meta, &t, &e) != 0) {
        OPENSSL_cleanse(token, sizeof token);
        return wh_oci_error_err(req, NULL, &e);
    }
    char shown[64];
    wh_keys_shorten(shown, sizeof shown, id.name);
    wh_log(req->srv, WH_LOG_INFO, "minted token %s for user %s (expires in %d s)", t.id, shown,
           LOGIN_TTL);
    reply_token(req, token, LOGIN_TTL, now);
    OPENSSL_cleanse(token, sizeof token);
}

void wh_oci_route_token(wh_req *req)
{
    time_t now = time(NULL);
    if (req->srv->auth_none)
        return reply_token(req, WH_AUTH_ANONYMOUS_TOKEN, SHOWN_TTL, now);
    wh_auth_identity id;
    wh_err e;
    int rc = wh_auth_identify(req, &id, &e);
    if (rc == WH_EUNAUTH)
        return unauthorized(req, NULL, 0, e.msg);
    if (rc)
        return wh_oci_error_err(req, NULL, &e);
    switch (id.kind) {
    case WH_AUTH_ANONYMOUS:
        return reply_token(req, WH_AUTH_ANONYMOUS_TOKEN, SHOWN_TTL, now);
    case WH_AUTH_TOKEN: {
        char token[WH_TOKEN_MAX];
        if (!presented_token(req, token))
            return wh_oci_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                                "the token presented cannot be read back");
        int64_t left = id.expires_at ? id.expires_at - (int64_t)now : SHOWN_TTL;
        reply_token(req, token, left > 0 ? left : 1, now);
        OPENSSL_cleanse(token, sizeof token);
        return;
    }
    case WH_AUTH_USER:
        req->on_end = mint_token;
        return;
    }
}
