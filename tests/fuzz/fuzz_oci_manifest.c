/*
 * fuzz_oci_manifest.c - wh_oci_manifest_parse on arbitrary bytes, then the
 * conversions of whatever parses.
 *
 * Besides not crashing: a refusal carries a negative code and a UTF-8
 * message and hands nothing out.  What parses keeps the limits, has only
 * well-formed digests and sorted annotations, is a manifest with a config
 * or an index without layers, and parses the same way again when its own
 * media type is given as the Content-Type.  The manifest -> invoice
 * conversion either refuses cleanly (always for an index) or gives an
 * invoice that validates, whose labels are named uniquely, and whose TOML
 * parses back equal under the default limits; that invoice's OCI view is
 * the same bytes twice and parses back with one layer per parcel.  Any
 * broken invariant aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/oci.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void check_desc(const wh_oci_desc *d, bool entry)
{
    if (!d->media_type || !wh_sha256_hex_valid(d->sha256))
        broken("a descriptor without media type or with a bad digest", NULL);
    if (d->size > ((uint64_t)1 << 53))
        broken("a size over 2^53", NULL);
    if (d->annotations.n > WH_OCI_MAX_ANNOTATIONS)
        broken("annotations over the limit", NULL);
    for (size_t i = 1; i < d->annotations.n; i++)
        if (strcmp(d->annotations.items[i - 1].key, d->annotations.items[i].key) >= 0)
            broken("annotations not sorted or not unique", NULL);
    if (!entry && (d->platform_os || d->platform_arch))
        broken("a platform outside an index", NULL);
    if ((d->platform_os == NULL) != (d->platform_arch == NULL))
        broken("half a platform", NULL);
}

static void check_manifest(const wh_oci_manifest *m)
{
    bool index_type = strcmp(m->media_type, WH_OCI_MT_INDEX) == 0 ||
                      strcmp(m->media_type, WH_OCI_MT_DOCKER_LIST) == 0;
    bool manifest_type = strcmp(m->media_type, WH_OCI_MT_MANIFEST) == 0 ||
                         strcmp(m->media_type, WH_OCI_MT_DOCKER_MANIFEST) == 0;
    if (m->is_index ? !index_type : !manifest_type)
        broken("the kind does not follow the media type", NULL);
    if (m->is_index ? (m->has_config || m->n_layers) : (!m->has_config || m->n_manifests))
        broken("an index with a config or layers, or a manifest without config", NULL);
    if (m->n_layers > WH_OCI_MAX_DESCRIPTORS || m->n_manifests > WH_OCI_MAX_DESCRIPTORS ||
        m->annotations.n > WH_OCI_MAX_ANNOTATIONS)
        broken("counts over the limits", NULL);
    if (m->has_config)
        check_desc(&m->config, false);
    if (m->has_subject)
        check_desc(&m->subject, false);
    for (size_t i = 0; i < m->n_layers; i++)
        check_desc(&m->layers[i], false);
    for (size_t i = 0; i < m->n_manifests; i++)
        check_desc(&m->manifests[i], true);
}

static void check_view(const wh_invoice *inv)
{
    wh_err err = {0};
    char *toml = NULL;
    size_t len = 0;
    wh_oci_view v, v2;
    wh_oci_manifest *back = NULL;
    if (wh_invoice_emit_toml(inv, &toml, &len, &err) ||
        wh_oci_view_from_invoice(inv, toml, len, false, &v, &err) ||
        wh_oci_view_from_invoice(inv, toml, len, false, &v2, &err))
        broken("no OCI view of a valid invoice", &err);
    if (v.manifest_len != v2.manifest_len || memcmp(v.manifest, v2.manifest, v.manifest_len) ||
        strcmp(v.manifest_sha256, v2.manifest_sha256))
        broken("the view is not deterministic", NULL);
    if (wh_oci_manifest_parse(v.manifest, v.manifest_len, WH_OCI_MT_MANIFEST, &back, &err))
        broken("the view does not parse", &err);
    if (back->n_layers != inv->n_parcels)
        broken("the view's layers are not the parcels", NULL);
    for (size_t i = 0; i < back->n_layers; i++) {
        const wh_label *l = &inv->parcels[i].label;
        if (strcmp(back->layers[i].sha256, l->sha256) || back->layers[i].size != l->size ||
            strcmp(back->layers[i].media_type, l->media_type))
            broken("a layer of the view differs from its parcel", NULL);
    }
    wh_oci_manifest_free(back);
    wh_oci_view_clear(&v);
    wh_oci_view_clear(&v2);
    free(toml);
}

static void check_invoice(const wh_oci_manifest *m, const wh_invoice *inv)
{
    wh_err err = {0};
    char *toml = NULL;
    size_t len = 0;
    wh_invoice *back = NULL;
    if (wh_invoice_validate(inv, &err))
        broken("the invoice does not validate", &err);
    if (inv->n_parcels < 1 || inv->n_parcels > 1 + m->n_layers ||
        strcmp(inv->parcels[0].label.sha256, m->config.sha256) != 0)
        broken("the parcels are not the config and the layers", NULL);
    for (size_t i = 0; i < inv->n_parcels; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(inv->parcels[i].label.name, inv->parcels[j].label.name) == 0)
                broken("two labels share a name", NULL);
    if (wh_invoice_emit_toml(inv, &toml, &len, &err))
        broken("the invoice does not emit", &err);
    if (wh_invoice_parse_toml(toml, len, NULL, &back, &err)) {
        fprintf(stderr, "%.*s\n", (int)len, toml);
        broken("the invoice's TOML does not parse back", &err);
    }
    if (!wh_invoice_equal(inv, back))
        broken("the invoice's TOML parses back different", NULL);
    wh_invoice_free(back);
    free(toml);
    check_view(inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_oci_manifest *m = NULL, *again = NULL;
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_oci_manifest_parse((const char *)data, size, NULL, &m, &err)) {
        check_message(&err);
        if (m)
            broken("a refused manifest was handed out", &err);
        return 0;
    }
    check_manifest(m);
    if (wh_oci_manifest_parse((const char *)data, size, m->media_type, &again, &err))
        broken("refused with its own media type as Content-Type", &err);
    if (again->is_index != m->is_index || again->n_layers != m->n_layers ||
        again->n_manifests != m->n_manifests)
        broken("parsed differently with its own media type", NULL);
    wh_oci_manifest_free(again);

    wh_kv extra_kv = {WH_OCI_ANN_SOURCE, "registry.example/app@sha256:" FUZZ_SHA};
    wh_kvmap extra = {&extra_kv, 1};
    int rc = wh_oci_manifest_to_invoice(m, FUZZ_SHA, "fuzz/app", "1.0.0-fuzz+x", &extra, &inv,
                                        &err);
    if (rc) {
        check_message(&err);
        if (inv)
            broken("a refused conversion handed out an invoice", &err);
    } else {
        if (m->is_index)
            broken("an index became an invoice", NULL);
        check_invoice(m, inv);
    }
    wh_invoice_free(inv);
    wh_oci_manifest_free(m);
    return 0;
}
