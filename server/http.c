/*
 * http.c - libmicrohttpd glue: the daemon, the request life cycle described
 * in server.h, routing by path, content negotiation and replies.
 *
 * The daemon runs libmicrohttpd's own epoll loop in a thread pool (one
 * thread per core by default).  Handlers run on those threads and must not
 * block for long: the slow parts of a request (disk writes of an upload)
 * are bounded by the chunk size libmicrohttpd hands us.
 *
 * Limits enforced here rather than in handlers: header size (the connection
 * memory pool: libmicrohttpd refuses larger headers itself), connection
 * count, idle time (a client that never finishes its headers is dropped
 * after idle-timeout seconds and costs nothing meanwhile), and how much body
 * we discard after having replied.
 */
#include "server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "http_parse.h"
#include "oci.h"
#include "schema/invoice.h"
#include "schema/semver.h"
#include "schema/utf8.h"
#include "schema/toml.h"

/* After replying early we read and drop at most this much more body before
 * closing the connection, so a client gets its answer unless it is abusive. */
#define DISCARD_MAX ((uint64_t)64 << 20)

void wh_log(wh_server *srv, enum wh_log_level level, const char *fmt, ...)
{
    if (level > srv->log_level)
        return;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "wharfd: %s: %s\n", names[level], line);
}

unsigned wh_http_status(int code)
{
    switch (code) {
    case WH_OK: return MHD_HTTP_OK;
    case WH_EINVAL: return MHD_HTTP_BAD_REQUEST;
    case WH_ENOTFOUND: return MHD_HTTP_NOT_FOUND;
    case WH_EEXIST: return MHD_HTTP_CONFLICT;
    case WH_ETOOBIG: return MHD_HTTP_CONTENT_TOO_LARGE;
    case WH_EYANKED: return MHD_HTTP_FORBIDDEN;
    case WH_EFORBIDDEN: return MHD_HTTP_FORBIDDEN;
    case WH_EBUSY: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case WH_EUNPROC: return MHD_HTTP_UNPROCESSABLE_CONTENT;
    case WH_ENOSPACE: return MHD_HTTP_INSUFFICIENT_STORAGE;
    case WH_EUNAUTH: return MHD_HTTP_UNAUTHORIZED;
    default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

const char *wh_req_header(wh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *wh_req_arg(wh_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void wh_reply_response(wh_req *req, unsigned status, struct MHD_Response *resp)
{
    if (req->resp) {
        /* The first reply stands; a handler bug must not leak the second. */
        MHD_destroy_response(resp);
        return;
    }
    req->resp = resp;
    req->status = status;
}

void wh_reply_shared(wh_req *req, unsigned status, struct MHD_Response *resp)
{
    if (req->resp)
        return;
    req->resp = resp;
    req->status = status;
    req->resp_shared = true;
}

/* A last resort when even building an error body fails. */
static void reply_plain(wh_req *req, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_PERSISTENT);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
        wh_reply_response(req, status, r);
    }
}

void wh_reply_doc(wh_req *req, unsigned status, json_t *doc)
{
    char *buf = NULL;
    size_t len = 0;
    const char *type;
    if (!doc) {
        reply_plain(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        return;
    }
    if (req->want_json) {
        buf = json_dumps(doc, JSON_COMPACT);
        len = buf ? strlen(buf) : 0;
        type = "application/json";
    } else {
        wh_err e;
        if (wh_toml_emit(doc, &buf, &len, &e) != 0) {
            buf = NULL;
            wh_log(req->srv, WH_LOG_ERROR, "cannot emit TOML: %s", e.msg);
        }
        type = "application/toml";
    }
    json_decref(doc);
    if (!buf) {
        reply_plain(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot encode the reply\n");
        return;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        reply_plain(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
        return;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    wh_reply_response(req, status, r);
}

void wh_reply_error(wh_req *req, unsigned status, const char *fmt, ...)
{
    char msg[WH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote what the client sent, which may not be UTF-8 (or may
     * have been cut mid-character above); JSON cannot hold that. */
    wh_utf8_sanitize(msg);
    if (req->oci) {
        /* Shared code (limits, auth, the store) answers OCI clients in
         * their format; the code follows from the status. */
        wh_oci_error(req, status, NULL, "%s", msg);
        return;
    }
    if (status >= 500)
        wh_log(req->srv, WH_LOG_ERROR, "%s %s: %u %s", req->method, req->path, status, msg);
    wh_reply_doc(req, status, json_pack("{s:s}", "error", msg));
}

void wh_reply_err(wh_req *req, const wh_err *err)
{
    unsigned status = wh_http_status(err->code);
    wh_reply_error(req, status, "%s", err->msg[0] ? err->msg : wh_err_name(err->code));
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE && req->resp)
        MHD_add_response_header(req->resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

static bool content_is_json(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    return strncasecmp(ct, "application/json", 16) == 0 &&
           (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

bool wh_req_check_id(wh_req *req, const char *name, const char *version)
{
    wh_err e;
    wh_semver v;
    if (wh_name_validate(name, &e) != 0 || wh_semver_parse(version, &v, &e) != 0) {
        wh_reply_err(req, &e);
        return false;
    }
    return true;
}

static bool method_is(wh_req *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

static void reply_method_not_allowed(wh_req *req, const char *allow)
{
    wh_reply_error(req, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not allowed on %s (allowed: %s)",
                   req->method, req->path, allow);
    if (req->resp)
        MHD_add_response_header(req->resp, MHD_HTTP_HEADER_ALLOW, allow);
}

/* Ids longer than this cannot be valid (a 255-byte name, a 255-byte version). */
#define ID_MAX 600

/* NAME/VERSION from the part of a path before '@' (at); replies 400 and
 * returns false when it is not one.  name and version hold ID_MAX bytes. */
static bool split_parcel_id(wh_req *req, const char *id, const char *at, char *name,
                            char *version)
{
    char idbuf[ID_MAX];
    size_t il = (size_t)(at - id);
    if (il >= sizeof idbuf) {
        wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "bindle id is too long");
        return false;
    }
    memcpy(idbuf, id, il);
    idbuf[il] = '\0';
    if (!wh_http_split_id(idbuf, name, ID_MAX, version, ID_MAX)) {
        wh_reply_error(req, MHD_HTTP_BAD_REQUEST, "expected NAME/VERSION@SHA256 in %s",
                       req->path);
        return false;
    }
    return true;
}

static void route(wh_req *req)
{
    const char *p = req->path;
    char name[ID_MAX], version[ID_MAX];
    bool get = method_is(req, "GET") || method_is(req, "HEAD");

    if (strcmp(p, "/healthz") == 0) {
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        return wh_route_health(req);
    }
    if (strcmp(p, "/v1/_i") == 0 || strcmp(p, "/v1/_i/") == 0) {
        if (!method_is(req, "POST"))
            return reply_method_not_allowed(req, "POST");
        return wh_route_invoice_create(req);
    }
    if (strncmp(p, "/v1/_i/", 7) == 0) {
        const char *id = p + 7;
        const char *at = strchr(id, '@');
        if (at) {
            if (!split_parcel_id(req, id, at, name, version))
                return;
            if (!get && !method_is(req, "POST"))
                return reply_method_not_allowed(req, "GET, HEAD, POST");
            return wh_route_parcel(req, name, version, at + 1);
        }
        if (!wh_http_split_id(id, name, sizeof name, version, sizeof version))
            return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                  "expected /v1/_i/NAME/VERSION, got %s", p);
        if (!get && !method_is(req, "DELETE"))
            return reply_method_not_allowed(req, "GET, HEAD, DELETE");
        return wh_route_invoice(req, name, version);
    }
    if (strncmp(p, "/v1/_r/missing/", 15) == 0) {
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        if (!wh_http_split_id(p + 15, name, sizeof name, version, sizeof version))
            return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                  "expected /v1/_r/missing/NAME/VERSION, got %s", p);
        return wh_route_missing(req, name, version);
    }
    if (strncmp(p, "/v1/_m/", 7) == 0) {
        const char *at = strchr(p + 7, '@');
        if (!at)
            return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                  "expected /v1/_m/NAME/VERSION@SHA256, got %s", p);
        if (!split_parcel_id(req, p + 7, at, name, version))
            return;
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        return wh_route_wasm(req, name, version, at + 1);
    }
    if (strncmp(p, "/v1/_a/", 7) == 0) {
        const char *at = strchr(p + 7, '@');
        const char *slash = at ? strchr(at, '/') : NULL;
        if (!at || !slash || slash - at != 65)
            return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                  "expected /v1/_a/NAME/VERSION@SHA256/TARGET, got %s", p);
        if (!split_parcel_id(req, p + 7, at, name, version))
            return;
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        char sha[65];
        memcpy(sha, at + 1, 64);
        sha[64] = '\0';
        return wh_route_aot(req, name, version, sha, slash + 1);
    }
    if (strncmp(p, "/v1/_r/resolve/", 15) == 0) {
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        if (!wh_http_split_id(p + 15, name, sizeof name, version, sizeof version))
            return wh_reply_error(req, MHD_HTTP_BAD_REQUEST,
                                  "expected /v1/_r/resolve/NAME/VERSION, got %s", p);
        return wh_route_resolve(req, name, version);
    }
    if (strcmp(p, "/v1/bindle-keys") == 0) {
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        return wh_route_keys(req);
    }
    if (strncmp(p, "/v2", 3) == 0 && (p[3] == '\0' || p[3] == '/'))
        return wh_route_oci(req);
    if (strcmp(p, "/v1/_q") == 0) {
        if (!get)
            return reply_method_not_allowed(req, "GET, HEAD");
        return wh_route_query(req);
    }
    wh_reply_error(req, MHD_HTTP_NOT_FOUND, "no such endpoint: %s", p);
}

/* Appends body bytes in WH_BODY_BUFFER mode; 413 past the limit. */
static void buffer_body(wh_req *req, const char *data, size_t len)
{
    if (req->body_len + len > req->body_limit) {
        wh_reply_error(req, MHD_HTTP_CONTENT_TOO_LARGE,
                       "the request body is over the %llu-byte limit (max-invoice-bytes)",
                       (unsigned long long)req->body_limit);
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 4096;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        char *nb = realloc(req->body, cap);
        if (!nb) {
            wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
            return;
        }
        req->body = nb;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

/* Whether the client may be about to send a body (a length, or chunks). */
bool wh_req_may_have_body(wh_req *req)
{
    const char *cl = wh_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t n;
    if (cl)
        return !wh_http_parse_content_length(cl, &n) || n > 0;
    return wh_req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

static enum MHD_Result queue(wh_req *req)
{
    enum MHD_Result r = MHD_queue_response(req->conn, req->status, req->resp);
    if (req->srv->log_level >= WH_LOG_INFO)
        wh_log(req->srv, WH_LOG_INFO, "%s %s %u", req->method, req->path, req->status);
    return r;
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* The request line and headers, as sent (near enough: decoding shrinks). */
static size_t header_bytes(wh_req *req, const char *url)
{
    size_t n = strlen(req->method) + strlen(url) + 12;
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND,
                              add_header_size, &n);
    return n;
}

/* Checks slow credentials off the event thread (see wh_auth_slow). */
static void authenticate_request(void *arg)
{
    wh_req *req = arg;
    wh_auth_prepare(req);
    MHD_resume_connection(req->conn);
}

/* Runs the route's start once the headers are in: it answers, or says how
 * to take the body. */
static enum MHD_Result begin(wh_req *req, const char *url)
{
    req->routed = true;
    /* libmicrohttpd refuses headers that overflow its connection memory
     * (twice the limit, so that a body chunk still fits beside them); the
     * limit itself is enforced here, with an answer in our format. */
    if (header_bytes(req, url) > req->srv->cfg.max_header_bytes)
        wh_reply_error(req, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
                       "the request line and headers are over the %llu-byte limit "
                       "(max-header-bytes)",
                       (unsigned long long)req->srv->cfg.max_header_bytes);
    else
        route(req);
    if (!req->resp && req->body_mode == WH_BODY_NONE && !req->on_end)
        wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no reply for %s", url);
    /* libmicrohttpd closes the connection after a reply queued before the
     * end of the request, since it cannot know the body was empty.  That is
     * what we want when refusing an upload before its bytes (the client
     * need not send them), but it would end keep-alive for every GET: those
     * wait for the final call, which comes at once. */
    if (req->resp && wh_req_may_have_body(req))
        return queue(req);
    return MHD_YES;
}

/* Runs a request's on_end, then lets libmicrohttpd carry on with it. */
static void finish_request(void *arg)
{
    wh_req *req = arg;
    req->on_end(req);
    MHD_resume_connection(req->conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    wh_server *srv = cls;
    wh_req *req = *con_cls;

    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        req->srv = srv;
        req->conn = conn;
        req->method = method;
        req->path = url;
        /* Before routing too (an error found while reading the headers). */
        req->oci = strncmp(url, "/v2", 3) == 0 && (url[3] == '\0' || url[3] == '/');
        req->want_json = wh_http_prefers_json(wh_req_header(req, MHD_HTTP_HEADER_ACCEPT));
        req->body_json = content_is_json(wh_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE));
        if (wh_auth_slow(req)) {
            /* Routed on the next call, after the pool resumes us. */
            MHD_suspend_connection(conn);
            if (!wh_offload_submit(srv->auth_pool, authenticate_request, req))
                authenticate_request(req);
            return MHD_YES;
        }
        return begin(req, url);
    }

    /* After a suspension for wh_auth_slow, libmicrohttpd repeats the
     * headers-are-in call, and the request starts as it would have. */
    if (!req->routed)
        return begin(req, url);

    if (*upload_data_size > 0) {
        size_t len = *upload_data_size;
        *upload_data_size = 0;
        if (req->resp || req->body_mode == WH_BODY_NONE) {
            req->discarded += len;
            return req->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (req->body_mode == WH_BODY_BUFFER)
            buffer_body(req, upload_data, len);
        else if (req->on_data(req, upload_data, len) != 0)
            return MHD_NO; /* the handler wants the connection closed now */
        return MHD_YES;
    }

    if (!req->resp && req->on_end && !req->end_started) {
        /* The end of a request may wait for the disk: suspend the connection
         * and finish on the offload pool, which resumes it; libmicrohttpd
         * then calls us again, and the reply is queued below. */
        req->end_started = true;
        MHD_suspend_connection(conn);
        if (!wh_offload_submit(srv->offload, finish_request, req))
            finish_request(req); /* stopping: finish here, resume at once */
        return MHD_YES;
    }
    if (!req->resp)
        wh_reply_error(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "no reply for %s", url);
    return req->resp ? queue(req) : MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    wh_server *srv = cls;
    wh_req *req = *con_cls;
    if (!req)
        return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        wh_log(srv, WH_LOG_DEBUG, "%s %s ended early (code %d)", req->method, req->path, (int)toe);
    if (req->on_cleanup)
        req->on_cleanup(req);
    wh_auth_release(req);
    if (req->resp && !req->resp_shared)
        MHD_destroy_response(req->resp);
    free(req->body);
    free(req);
    *con_cls = NULL;
}

/* Decodes %HH in paths and query arguments as libmicrohttpd would, except
 * that a decoded NUL ("%00") becomes DEL (0x7f).  Everything downstream
 * reads these as C strings; a NUL would silently cut "a/1.0.0%00junk" to
 * "a/1.0.0" and act on another bindle.  DEL is a control character, which
 * every name, version and hash check refuses with a 400. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    size_t len = MHD_http_unescape(s);
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0')
            s[i] = 0x7f;
    return len;
}

/* Parses HOST:PORT or [V6]:PORT into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                        char *host, size_t host_cap, wh_err *err)
{
    char buf[256];
    if (strlen(listen) >= sizeof buf)
        return wh_err_set(err, WH_EINVAL, "listen address is too long");
    strcpy(buf, listen);
    char *h = buf, *port;
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (!close || close[1] != ':')
            return wh_err_set(err, WH_EINVAL, "listen \"%s\": expected [IPV6]:PORT", listen);
        *close = '\0';
        h = buf + 1;
        port = close + 2;
    } else {
        char *colon = strrchr(buf, ':');
        if (!colon)
            return wh_err_set(err, WH_EINVAL, "listen \"%s\": expected HOST:PORT", listen);
        *colon = '\0';
        port = colon + 1;
    }
    char *end;
    long pn = strtol(port, &end, 10);
    if (!*port || *end || pn < 0 || pn > 65535)
        return wh_err_set(err, WH_EINVAL, "listen \"%s\": bad port", listen);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(*h ? h : NULL, port, &hints, &ai);
    if (g != 0)
        return wh_err_set(err, WH_EINVAL, "listen \"%s\": %s", listen, gai_strerror(g));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = ai->ai_addrlen;
    freeaddrinfo(ai);
    const void *addr = ss->ss_family == AF_INET6
                           ? (const void *)&((struct sockaddr_in6 *)ss)->sin6_addr
                           : (const void *)&((struct sockaddr_in *)ss)->sin_addr;
    inet_ntop(ss->ss_family, addr, host, (socklen_t)host_cap);
    return 0;
}

int wh_http_start(wh_server *srv, char *host, size_t host_cap, uint16_t *port, wh_err *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int rc = parse_listen(srv->cfg.listen, &ss, &sslen, host, host_cap, err);
    if (rc)
        return rc;
    unsigned threads = (unsigned)srv->cfg.threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    /* libmicrohttpd splits the connection limit between its threads; a
     * thread whose share is 0 never wakes, and stopping would wait for it
     * forever. */
    if (threads > srv->cfg.max_connections)
        threads = (unsigned)srv->cfg.max_connections;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (srv->tls_cert_pem)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->tls_cert_pem},
        {srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)srv->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg.idle_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)srv->cfg.max_header_bytes * 2,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (!srv->daemon)
        return wh_err_set(err, WH_EIO, "cannot listen on %s (in use, or not an address here?)",
                          srv->cfg.listen);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon,
                                                           MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    return 0;
}

void wh_http_stop(wh_server *srv)
{
    if (srv->daemon) {
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
    }
}
