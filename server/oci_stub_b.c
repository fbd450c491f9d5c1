/* oci_stub_b.c - STUB until the OCI manifests helper replaces it. */
#include "oci.h"

void wh_oci_route_catalog(wh_req *req) { wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
void wh_oci_route_tags_list(wh_req *req, const char *repo)
{ (void)repo; wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
void wh_oci_route_referrers(wh_req *req, const char *repo, const char *sha256)
{ (void)repo; (void)sha256; wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
void wh_oci_route_manifest(wh_req *req, const char *repo, const char *reference)
{ (void)repo; (void)reference; wh_oci_error(req, 501, "UNSUPPORTED", "not yet"); }
int wh_oci_bindle_view(wh_server *srv, const char *name, const char *version,
                       char sha256[65], wh_err *err)
{ (void)srv; (void)name; (void)version; (void)sha256; return wh_err_set(err, WH_ENOTFOUND, "not yet"); }
