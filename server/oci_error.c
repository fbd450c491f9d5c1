/*
 * oci_error.c - errors of the /v2 API in the distribution spec's format:
 *
 *   {"errors":[{"code":"BLOB_UNKNOWN","message":"...","detail":{}}]}
 *
 * always as application/json, whatever the request's Accept says (OCI
 * clients read nothing else).  Besides the handlers, http.c's
 * wh_reply_error comes here for every request with req->oci set, so that
 * errors raised by shared code (size limits, upload slots, the store) reach
 * OCI clients in this format too; those pass no code, and the code follows
 * from the status.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"
#include "schema/utf8.h"

/* The spec's code for a status, for errors that come without one. */
static const char *code_for_status(unsigned status)
{
    switch (status) {
    case MHD_HTTP_UNAUTHORIZED: return "UNAUTHORIZED";
    case MHD_HTTP_FORBIDDEN: return "DENIED";
    case MHD_HTTP_NOT_FOUND: return "NAME_UNKNOWN";
    case MHD_HTTP_METHOD_NOT_ALLOWED: return "UNSUPPORTED";
    case MHD_HTTP_CONTENT_TOO_LARGE: return "SIZE_INVALID";
    case MHD_HTTP_TOO_MANY_REQUESTS:
    case MHD_HTTP_SERVICE_UNAVAILABLE: return "TOOMANYREQUESTS";
    default: return "UNKNOWN";
    }
}

/* A last resort when even the JSON cannot be built. */
static void reply_oom(wh_req *req)
{
    static const char text[] = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"out of memory\"}]}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof text - 1, (void *)text,
                                                             MHD_RESPMEM_PERSISTENT);
    if (!r)
        return;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    wh_reply_response(req, MHD_HTTP_INTERNAL_SERVER_ERROR, r);
}

void wh_oci_error(wh_req *req, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[WH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages quote what the client sent (paths, digests, headers). */
    wh_utf8_sanitize(msg);
    if (!code)
        code = code_for_status(status);
    if (status >= 500)
        wh_log(req->srv, WH_LOG_ERROR, "%s %s: %u %s %s", req->method, req->path, status, code,
               msg);
    json_t *doc = json_pack("{s:[{s:s,s:s,s:{}}]}", "errors", "code", code, "message", msg,
                            "detail");
    char *buf = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!buf)
        return reply_oom(req);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(buf), buf,
                                                             MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return reply_oom(req);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    wh_reply_response(req, status, r);
}

void wh_oci_error_err(wh_req *req, const char *code, const wh_err *err)
{
    const char *msg = err->msg[0] ? err->msg : wh_err_name(err->code);
    unsigned status;
    const char *c;
    switch (err->code) {
    case WH_ENOTFOUND:
        status = MHD_HTTP_NOT_FOUND;
        c = code ? code : "NAME_UNKNOWN";
        break;
    case WH_EINVAL:
        status = MHD_HTTP_BAD_REQUEST;
        c = code ? code : "UNKNOWN";
        break;
    case WH_EUNAUTH:
        status = MHD_HTTP_UNAUTHORIZED;
        c = "UNAUTHORIZED";
        break;
    case WH_EFORBIDDEN:
    case WH_EYANKED:
        status = MHD_HTTP_FORBIDDEN;
        c = "DENIED";
        break;
    case WH_ETOOBIG:
        status = MHD_HTTP_CONTENT_TOO_LARGE;
        c = "SIZE_INVALID";
        break;
    case WH_EBUSY:
        /* A temporary condition: clients retry a 503 (spec: "Errors"). */
        status = MHD_HTTP_SERVICE_UNAVAILABLE;
        c = "TOOMANYREQUESTS";
        break;
    default:
        status = wh_http_status(err->code);
        if (status < 400)
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        c = "UNKNOWN";
        break;
    }
    wh_oci_error(req, status, c, "%s", msg);
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE && req->resp)
        MHD_add_response_header(req->resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
}
