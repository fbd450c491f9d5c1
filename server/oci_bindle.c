/*
 * oci_bindle.c - which manifest a bindle is, seen through /v2
 * (wh_oci_bindle_view in oci.h).
 *
 * A bindle that came in as an OCI manifest is that manifest: its invoice
 * names it (WH_OCI_ANN_MANIFEST), and when the manifest is stored in the
 * repository and lists the bindle's parcels it is served byte for byte, so
 * a push then a pull gives the same digest (and until then the bindle has
 * no OCI view).  A push records the link (bindle_version) with the bindle;
 * a bindle that names a manifest stored apart from it (a mirror posts the
 * invoice and pushes the manifest separately) is linked here, on the first
 * lookup, by storing the manifest again with bindle_version, which only
 * fills in a link the row lacks.
 *
 * Any other bindle gets a generated view (schema/oci.h), deterministic in
 * the stored invoice, so concurrent first requests compute the same bytes
 * and the second store is a no-op.  Its config blob is stored as a parcel
 * and the manifest is recorded with bindle_version, which makes later
 * requests one lookup.  The manifest references the config, so the
 * collector never takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "invoice_cache.h"
#include "oci.h"

/* Records that manifest `rec` of repo `name` is bindle name/version. */
static int link_view(wh_server *srv, const char *name, const char *version,
                const wh_oci_manifest_rec *rec, wh_err *err)
{
    wh_oci_manifest *m = NULL;
    wh_oci_manifest_put p = {0};
    int rc = wh_oci_manifest_parse(rec->body, rec->len, rec->media_type, &m, err);
    if (!rc)
        rc = wh_oci_put_from_manifest(m, &p, err);
    if (!rc) {
        p.sha256 = rec->sha256;
        p.body = rec->body;
        p.len = rec->len;
        p.bindle_version = version;
        rc = wh_meta_oci_manifest_put(srv->meta, name, &p, err);
    }
    wh_oci_put_clear(&p);
    wh_oci_manifest_free(m);
    return rc;
}

/* Whether manifest m lists exactly the invoice's parcels (config and
 * layers, each blob once, with the labels' sizes): an annotation is only a
 * claim, and a bindle must not be served as a manifest its signatures do
 * not cover. */
static bool lists_parcels(const wh_oci_manifest *m, const wh_invoice *inv)
{
    if (m->is_index)
        return false;
    size_t unique = 0;
    for (size_t i = 0; i <= m->n_layers; i++) {
        const wh_oci_desc *d = i == 0 ? (m->has_config ? &m->config : NULL) : &m->layers[i - 1];
        if (!d)
            continue;
        const wh_parcel *p = wh_invoice_find_parcel(inv, d->sha256);
        if (!p || p->label.size != d->size)
            return false;
        bool seen = (i > 0 && m->has_config && strcmp(m->config.sha256, d->sha256) == 0);
        for (size_t k = 0; !seen && k + 1 < i; k++)
            seen = strcmp(m->layers[k].sha256, d->sha256) == 0;
        unique += !seen;
    }
    return unique == inv->n_parcels;
}

/*
 * The manifest the bindle was made from, when its invoice names one: 1
 * with sha256 when it is stored in repo `name` and lists the bindle's
 * parcels, WH_ENOTFOUND when it is not stored (yet: a mirror stores it
 * after the invoice) or lists other blobs, 0 when the invoice names none.
 * A bindle that names a manifest never gets a generated view instead: that
 * would stand for it for good, and an OCI pull would not give the digest
 * its source had.
 */
static int made_from(wh_server *srv, const char *name, const char *version,
                     const wh_invoice *inv, char sha256[65], wh_err *err)
{
    const char *digest = wh_kvmap_get(&inv->annotations, WH_OCI_ANN_MANIFEST);
    char hex[65];
    if (!digest)
        return 0;
    if (wh_oci_digest_parse(digest, hex, NULL) != 0)
        return wh_err_set(err, WH_ENOTFOUND, "bindle %s/%s names a malformed manifest digest",
                          name, version);
    wh_oci_manifest_rec rec = {0};
    wh_oci_manifest *m = NULL;
    int rc = wh_meta_oci_manifest_get(srv->meta, name, hex, &rec, err);
    if (rc == 0)
        rc = wh_err_set(err, WH_ENOTFOUND, "bindle %s/%s was made from manifest sha256:%s, "
                        "which is not stored yet", name, version, hex);
    if (rc == 1 && (wh_oci_manifest_parse(rec.body, rec.len, rec.media_type, &m, NULL) != 0 ||
                    !lists_parcels(m, inv)))
        rc = wh_err_set(err, WH_ENOTFOUND, "bindle %s/%s names manifest sha256:%s, which does "
                        "not list its parcels", name, version, hex);
    if (rc == 1) {
        memcpy(sha256, hex, 65);
        /* Serving does not depend on the link: without it the next lookup
         * comes here again. */
        wh_err e;
        if (!rec.bindle_version && link_view(srv, name, version, &rec, &e) != 0)
            wh_log(srv, WH_LOG_WARN, "cannot link %s/%s to manifest sha256:%s: %s", name,
                   version, hex, e.msg);
    }
    wh_oci_manifest_free(m);
    wh_oci_manifest_rec_clear(&rec);
    return rc;
}

/* Whether the bindle is one wasm component (the view then says wasip2):
 * its only parcel was described as such when it was stored. */
static bool is_component(wh_server *srv, const wh_invoice *inv)
{
    if (inv->n_parcels != 1)
        return false;
    char *text = NULL;
    size_t len = 0;
    if (wh_meta_wasm_get(srv->meta, inv->parcels[0].label.sha256, &text, &len, NULL) != 0)
        return false;
    json_t *desc = json_loadb(text, len, 0, NULL);
    free(text);
    const char *kind = json_string_value(json_object_get(desc, "kind"));
    bool yes = kind && strcmp(kind, "component") == 0;
    json_decref(desc);
    return yes;
}

/* Stores bytes as a parcel (a no-op when they already are). */
static int store_parcel(wh_server *srv, const char *sha256, const char *buf, size_t len,
                        wh_err *err)
{
    int has = wh_meta_parcel_has(srv->meta, sha256, err);
    if (has != 0)
        return has < 0 ? has : 0;
    wh_upload *up = NULL;
    int rc = wh_store_upload_begin(srv->store, sha256, len, &up, err);
    if (!rc)
        rc = wh_upload_write(up, buf, len, err);
    if (!rc)
        rc = wh_upload_verify(up, err);
    if (rc) {
        wh_upload_abort(up);
        return rc;
    }
    rc = wh_upload_commit(up, err);
    if (!rc)
        rc = wh_meta_parcel_add(srv->meta, sha256, len, err);
    return rc;
}

/* Generates, stores and records the view of a bindle whose every parcel
 * is stored. */
static int generate(wh_server *srv, const char *name, const char *version,
                    const wh_invoice_doc *doc, const wh_invoice *inv, char sha256[65],
                    wh_err *err)
{
    wh_oci_view view = {0};
    wh_oci_manifest *m = NULL;
    wh_oci_manifest_put p = {0};
    int rc = wh_oci_view_from_invoice(inv, doc->toml, doc->toml_len, is_component(srv, inv),
                                      &view, err);
    if (rc)
        goto done;
    rc = store_parcel(srv, view.config_sha256, view.config, view.config_len, err);
    if (!rc)
        rc = wh_oci_manifest_parse(view.manifest, view.manifest_len, WH_OCI_MT_MANIFEST, &m,
                                   err);
    if (!rc)
        rc = wh_oci_put_from_manifest(m, &p, err);
    if (rc)
        goto done;
    p.sha256 = view.manifest_sha256;
    p.body = view.manifest;
    p.len = view.manifest_len;
    p.bindle_version = version;
    rc = wh_meta_oci_manifest_put(srv->meta, name, &p, err);
    if (rc)
        goto done;
    memcpy(sha256, view.manifest_sha256, 65);
done:
    wh_oci_put_clear(&p);
    wh_oci_manifest_free(m);
    wh_oci_view_clear(&view);
    if (rc)
        wh_err_prefix(err, "the OCI view of %s/%s", name, version);
    return rc;
}

int wh_oci_bindle_view(wh_server *srv, const char *name, const char *version,
                       char sha256[65], wh_err *err)
{
    wh_invoice_doc *doc = NULL;
    wh_invoice *inv = NULL;
    bool *missing = NULL;
    int rc = wh_meta_invoice_get(srv->meta, name, version, &doc, err);
    if (rc) {
        if (rc == WH_ENOTFOUND)
            wh_err_set(err, rc, "no bindle %s/%s", name, version);
        goto done;
    }
    if (doc->yanked) {
        rc = wh_err_set(err, WH_ENOTFOUND, "bindle %s/%s is yanked", name, version);
        goto done;
    }
    rc = wh_meta_oci_bindle_view(srv->meta, name, version, sha256, err);
    if (rc != 0) {
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    rc = wh_invoice_parse_stored(doc->json, doc->json_len, &inv, err);
    if (!rc)
        rc = made_from(srv, name, version, inv, sha256, err);
    if (rc != 0) {
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    missing = calloc(inv->n_parcels ? inv->n_parcels : 1, sizeof *missing);
    size_t n_missing = 0;
    if (!missing) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    rc = wh_meta_missing(srv->meta, inv, missing, &n_missing, err);
    if (!rc && n_missing)
        rc = wh_err_set(err, WH_ENOTFOUND, "bindle %s/%s has parcels not uploaded yet (%zu "
                        "of %zu)", name, version, n_missing, inv->n_parcels);
    if (!rc)
        rc = generate(srv, name, version, doc, inv, sha256, err);
    if (!rc)
        wh_log(srv, WH_LOG_DEBUG, "recorded the OCI view of %s/%s: sha256:%s", name, version,
               sha256);
done:
    free(missing);
    wh_invoice_free(inv);
    wh_invoice_doc_free(doc);
    return rc;
}
