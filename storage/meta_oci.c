/* meta_oci.c - STUB until the storage helper lands it (see meta.h). */
#include "meta.h"

static int nyi(wh_err *err) { return wh_err_set(err, WH_EIO, "not implemented yet"); }
void wh_oci_manifest_rec_clear(wh_oci_manifest_rec *r) { (void)r; }
void wh_oci_manifest_recs_free(wh_oci_manifest_rec *v, size_t n) { (void)v; (void)n; }
int wh_meta_oci_manifest_put(wh_meta *m, const char *repo, const wh_oci_manifest_put *p, wh_err *err)
{ (void)m; (void)repo; (void)p; return nyi(err); }
int wh_meta_oci_manifest_get(wh_meta *m, const char *repo, const char *sha256,
                             wh_oci_manifest_rec *out, wh_err *err)
{ (void)m; (void)repo; (void)sha256; (void)out; return nyi(err); }
int wh_meta_oci_tag_get(wh_meta *m, const char *repo, const char *tag, char sha256[65], wh_err *err)
{ (void)m; (void)repo; (void)tag; (void)sha256; return nyi(err); }
int wh_meta_oci_bindle_view(wh_meta *m, const char *repo, const char *version,
                            char sha256[65], wh_err *err)
{ (void)m; (void)repo; (void)version; (void)sha256; return nyi(err); }
int wh_meta_oci_manifest_delete(wh_meta *m, const char *repo, const char *sha256, wh_err *err)
{ (void)m; (void)repo; (void)sha256; return nyi(err); }
int wh_meta_oci_tag_delete(wh_meta *m, const char *repo, const char *tag, wh_err *err)
{ (void)m; (void)repo; (void)tag; return nyi(err); }
int wh_meta_oci_tags(wh_meta *m, const char *repo, const char *last, size_t limit,
                     char ***tags, size_t *n, bool *more, wh_err *err)
{ (void)m; (void)repo; (void)last; (void)limit; *tags = NULL; *n = 0; *more = false; return nyi(err); }
int wh_meta_oci_repos(wh_meta *m, const char *last, size_t limit, char ***names,
                      size_t *n, bool *more, wh_err *err)
{ (void)m; (void)last; (void)limit; *names = NULL; *n = 0; *more = false; return nyi(err); }
void wh_strings_free(char **v, size_t n) { (void)v; (void)n; }
void wh_oci_referrers_free(wh_oci_referrer *v, size_t n) { (void)v; (void)n; }
int wh_meta_oci_referrers(wh_meta *m, const char *repo, const char *subject,
                          const char *artifact_type, wh_oci_referrer **out, size_t *n,
                          wh_err *err)
{ (void)m; (void)repo; (void)subject; (void)artifact_type; *out = NULL; *n = 0; return nyi(err); }
int wh_meta_oci_blob_link(wh_meta *m, const char *repo, const char *sha256,
                          uint64_t size, wh_err *err)
{ (void)m; (void)repo; (void)sha256; (void)size; return nyi(err); }
int wh_meta_oci_blob_visible(wh_meta *m, const char *repo, const char *sha256, wh_err *err)
{ (void)m; (void)repo; (void)sha256; return nyi(err); }
int wh_meta_oci_upload_add(wh_meta *m, const char *id, const char *repo, wh_err *err)
{ (void)m; (void)id; (void)repo; return nyi(err); }
int wh_meta_oci_upload_get(wh_meta *m, const char *id, char **repo, wh_err *err)
{ (void)m; (void)id; *repo = NULL; return nyi(err); }
int wh_meta_oci_upload_remove(wh_meta *m, const char *id, wh_err *err)
{ (void)m; (void)id; return nyi(err); }
int wh_meta_oci_upload_expire(wh_meta *m, int64_t cutoff, wh_err *err)
{ (void)m; (void)cutoff; return nyi(err); }
int wh_meta_oci_gc_candidates(wh_meta *m, int64_t cutoff, size_t limit,
                              char (**out)[65], size_t *n, wh_err *err)
{ (void)m; (void)cutoff; (void)limit; *out = NULL; *n = 0; return nyi(err); }
int wh_meta_oci_gc_drop(wh_meta *m, const char *sha256, int64_t cutoff, wh_err *err)
{ (void)m; (void)sha256; (void)cutoff; return nyi(err); }
