/* oci_stub_a.c - STUB until the OCI uploads helper replaces it. */
#include <stdarg.h>
#include <stdio.h>

#include "oci.h"

void wh_oci_error(wh_req *req, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wh_reply_error(req, status, "%s: %s", code, msg);
}
void wh_oci_error_err(wh_req *req, const char *code, const wh_err *err)
{ wh_oci_error(req, wh_http_status(err->code), code, "%s", err->msg); }
bool wh_oci_allow(wh_req *req, unsigned action, const char *repo)
{ (void)req; (void)action; (void)repo; return true; }
void wh_oci_route_base(wh_req *req) { wh_reply_doc(req, 200, json_object()); }
void wh_oci_route_token(wh_req *req) { wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
void wh_oci_route_blob(wh_req *req, const char *repo, const char *sha256)
{ (void)repo; (void)sha256; wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
void wh_oci_route_upload_start(wh_req *req, const char *repo)
{ (void)repo; wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
void wh_oci_route_upload(wh_req *req, const char *repo, const char *id)
{ (void)repo; (void)id; wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
int wh_oci_gc_start(wh_server *srv, wh_err *err) { (void)srv; (void)err; return 0; }
void wh_oci_gc_stop(wh_server *srv) { (void)srv; }
int wh_oci_gc_run(wh_server *srv, int64_t cutoff, size_t *dropped, wh_err *err)
{ (void)srv; (void)cutoff; *dropped = 0; (void)err; return 0; }
