/*
 * pull_aot.c - `wharf pull --target`: the precompiled artifacts of the
 * pulled wasm modules (SPEC.md section 1, rule 5; docs/aot.md).
 *
 * The server's resolver lists, per selected parcel, the build for that
 * target and its state.  A finished artifact is downloaded like a parcel
 * (cached by its sha256, every byte hashed as it streams) and kept only if
 * the host's attestation verifies: an Ed25519 signature over (source sha,
 * target, toolchain, artifact sha) by a host key the user trusts, or, when
 * the user trusts none yet, by the key that signed the invoice as host.
 * Artifacts still building, declined or failed are reported, not errors:
 * the wasm module itself was pulled either way.
 */
#include "pull_aot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore.h"
#include "schema/attestation.h"
#include "schema/signature.h"
#include "transfer.h"

/* The host keys an attestation may be signed by. */
static int host_keys(const wh_cli *cli, const wh_invoice *inv, wh_keyring **out, wh_err *err)
{
    wh_keyring *trusted = NULL, *hosts = wh_keyring_new();
    int rc = hosts ? wh_cli_keyring_load(cli->keyring_path, &trusted, err)
                   : wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < trusted->n; i++)
        if (trusted->keys[i].roles & WH_ROLE_HOST)
            rc = wh_keyring_add(hosts, trusted->keys[i].label, WH_ROLE_HOST,
                                trusted->keys[i].key, NULL, err);
    /* Nothing trusted yet: the server that signed this invoice, whose host
     * signature pull has just checked. */
    for (size_t i = 0; !rc && hosts->n == 0 && i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        unsigned char key[WH_ED25519_PUBLIC_LEN];
        if (strcmp(s->role, "host") == 0 && wh_sig_verify(inv, s, NULL) == 0 &&
            wh_key_decode(s->key, key, sizeof key, "key", NULL) == 0)
            rc = wh_keyring_add(hosts, s->by && *s->by ? s->by : "host", WH_ROLE_HOST, key,
                                NULL, err);
    }
    wh_keyring_free(trusted);
    if (rc) {
        wh_keyring_free(hosts);
        return rc;
    }
    *out = hosts;
    return 0;
}

static bool attested(const wh_keyring *hosts, const char *text, const char *b64)
{
    unsigned char sig[WH_ED25519_SIG_LEN];
    if (!b64 || wh_key_decode(b64, sig, sizeof sig, "attestation", NULL) != 0)
        return false;
    for (size_t i = 0; i < hosts->n; i++)
        if (wh_ed25519_verify(hosts->keys[i].key, text, strlen(text), sig, NULL) == 0)
            return true;
    return false;
}

/* The selected parcel whose sha256 is `src`: the server's answer names
 * sources, and only those this pull selected (under their already checked
 * label names) may have an artifact written. */
static const wh_label *selected_label(const wh_invoice *inv, const bool *selected,
                                      const char *src)
{
    for (size_t i = 0; src && i < inv->n_parcels; i++)
        if (selected[i] && strcmp(inv->parcels[i].label.sha256, src) == 0)
            return &inv->parcels[i].label;
    return NULL;
}

int wh_cli_pull_artifacts(const wh_cli *cli, wh_http *h, wh_cache *cache,
                          const wh_invoice *inv, const bool *selected, const char *esc,
                          const char *query, const char *target, const char *dir,
                          unsigned parallel, json_t *report, wh_err *err)
{
    char path[8192];
    wh_http_resp r = {0};
    wh_keyring *hosts = NULL;
    json_t *doc = NULL;
    wh_xfer_item *items = NULL;
    size_t n_items = 0;
    snprintf(path, sizeof path, "/_r/resolve/%s?%s", esc, query);
    int rc = wh_http_request(h, "GET", path, NULL, NULL, 0, "application/json", &r, err);
    if (!rc && r.status != 200) {
        char msg[512];
        rc = wh_err_set(err, WH_EIO, "asking for the artifacts: HTTP %ld: %s", r.status,
                        wh_http_error_text(&r, msg, sizeof msg));
    }
    json_error_t je;
    if (!rc && !(doc = json_loadb(r.body, r.len, 0, &je)))
        rc = wh_err_set(err, WH_EIO, "the server's resolution is not JSON");
    json_t *list = doc ? json_object_get(doc, "artifacts") : NULL;
    if (!rc && !json_is_array(list)) {
        wh_cli_note(cli, "this server does not precompile for %s", target);
        goto done;
    }
    if (!rc)
        rc = host_keys(cli, inv, &hosts, err);
    if (rc)
        goto done;
    size_t n = json_array_size(list);
    items = calloc(n + 1, sizeof *items);
    if (!items) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        const char *src = json_string_value(json_object_get(a, "sha256"));
        const char *state = json_string_value(json_object_get(a, "state"));
        const char *art = json_string_value(json_object_get(a, "artifact_sha256"));
        const char *reason = json_string_value(json_object_get(a, "reason"));
        if (!src || !state || !selected_label(inv, selected, src))
            continue;
        if (strcmp(state, "done") != 0 || !art) {
            wh_cli_note(cli, "no %s artifact of %.12s…: %s%s%s", target, src, state,
                        reason ? ": " : "", reason ? reason : "");
            continue;
        }
        snprintf(path, sizeof path, "/_a/%s@%s/%s", esc, src, target);
        items[n_items].path = strdup(path);
        items[n_items].sha256 = art;
        items[n_items].size = (uint64_t)json_integer_value(json_object_get(a, "size"));
        if (!items[n_items++].path) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            goto done;
        }
    }
    if (n_items && (rc = wh_xfer_download(h, cache, items, n_items, parallel, NULL, err)))
        goto done;
    json_array_foreach(list, i, a) {
        const char *src = json_string_value(json_object_get(a, "sha256"));
        const char *art = json_string_value(json_object_get(a, "artifact_sha256"));
        const char *state = json_string_value(json_object_get(a, "state"));
        const wh_label *label = selected_label(inv, selected, src);
        if (!label || !state || strcmp(state, "done") != 0 || !art)
            continue;
        const char *tool = json_string_value(json_object_get(a, "toolchain"));
        char *text = wh_aot_attestation_text(src, target, tool ? tool : "", art);
        bool ok = text && attested(hosts, text,
                                   json_string_value(json_object_get(a, "attestation")));
        free(text);
        if (!ok) {
            rc = wh_err_set(err, WH_EINVAL, "the %s artifact of %s is not attested by a host "
                            "key you trust", target, src);
            goto done;
        }
        char dest[8192];
        snprintf(dest, sizeof dest, "%s/%s.%s.so", dir, label->name, target);
        if ((rc = wh_cache_export(cache, art, dest, err)))
            goto done;
        json_array_append_new(report, json_pack("{s:s, s:s, s:s, s:s}", "source", src,
                                                "target", target, "artifact", art, "file",
                                                dest));
    }
done:
    for (size_t j = 0; items && j < n_items; j++)
        free(items[j].path);
    free(items);
    wh_keyring_free(hosts);
    json_decref(doc);
    wh_http_resp_clear(&r);
    return rc;
}
