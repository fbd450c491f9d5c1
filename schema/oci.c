/* oci.c - STUB until the schema helper lands it (see oci.h). */
#include "oci.h"

#include <stdlib.h>

static int nyi(wh_err *err) { return wh_err_set(err, WH_EINVAL, "not implemented yet"); }
int wh_oci_manifest_parse(const char *buf, size_t len, const char *content_type,
                          wh_oci_manifest **out, wh_err *err)
{ (void)buf; (void)len; (void)content_type; *out = NULL; return nyi(err); }
void wh_oci_manifest_free(wh_oci_manifest *m) { (void)m; }
bool wh_oci_repo_valid(const char *name) { (void)name; return false; }
bool wh_oci_tag_valid(const char *tag) { (void)tag; return false; }
int wh_oci_digest_parse(const char *digest, char sha256[65], wh_err *err)
{ (void)digest; sha256[0] = 0; return nyi(err); }
int wh_oci_tag_from_version(const char *version, char *tag, size_t cap, wh_err *err)
{ (void)version; (void)tag; (void)cap; return nyi(err); }
bool wh_oci_version_from_tag(const char *tag, char *version, size_t cap)
{ (void)tag; (void)version; (void)cap; return false; }
int wh_oci_manifest_to_invoice(const wh_oci_manifest *m, const char *manifest_sha256,
                               const char *name, const char *version,
                               const wh_kvmap *extra, wh_invoice **out, wh_err *err)
{ (void)m; (void)manifest_sha256; (void)name; (void)version; (void)extra; *out = NULL; return nyi(err); }
int wh_oci_view_from_invoice(const wh_invoice *inv, const char *invoice_toml,
                             size_t invoice_len, bool component, wh_oci_view *out,
                             wh_err *err)
{ (void)inv; (void)invoice_toml; (void)invoice_len; (void)component; (void)out; return nyi(err); }
void wh_oci_view_clear(wh_oci_view *v) { (void)v; }
