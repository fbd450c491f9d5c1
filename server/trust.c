/*
 * trust.c - wharfd's trust policy (see trust.h and docs/security.md).
 */
#include "trust.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htpasswd.h"
#include "schema/oci.h"
#include "schema/signature.h"
#include "scope.h"

int wh_trust_open(wh_server *srv, wh_err *err)
{
    const wh_config *cfg = &srv->cfg;
    srv->verify_none = strcmp(cfg->verify, "none") == 0;
    if (!srv->verify_none && wh_strategy_parse(cfg->verify, &srv->strategy, err) != 0)
        return err ? err->code : WH_EINVAL;
    srv->auth_none = strcmp(cfg->auth, "none") == 0;
    srv->read_token = strcmp(cfg->read_auth, "token") == 0;
    srv->new_names_keyring = strcmp(cfg->new_names, "keyring") == 0;
    int rc;
    if (cfg->keyring) {
        rc = wh_keyring_load(cfg->keyring, NULL, &srv->keyring, err);
        if (rc) {
            wh_err_prefix(err, "keyring");
            return rc;
        }
    }
    if (cfg->htpasswd) {
        rc = wh_htpasswd_load(cfg->htpasswd, &srv->htpasswd, err);
        if (rc) {
            wh_err_prefix(err, "htpasswd");
            return rc;
        }
    }
    rc = wh_scopes_parse(cfg->htpasswd_scopes, &srv->htpasswd_scopes, err);
    if (rc)
        wh_err_prefix(err, "htpasswd-scopes");
    return rc;
}

void wh_trust_close(wh_server *srv)
{
    wh_keyring_free(srv->keyring);
    wh_htpasswd_free(srv->htpasswd);
    wh_scopes_free(srv->htpasswd_scopes);
    srv->keyring = NULL;
    srv->htpasswd = NULL;
    srv->htpasswd_scopes = NULL;
}

/* Adds a key to the keyring unless it is there already. */
static int add_key(wh_keyring *kr, const char *label, const unsigned char *key, wh_err *err)
{
    if (wh_keyring_find(kr, key))
        return 0;
    return wh_keyring_add(kr, label && *label ? label : "(no label)", WH_ROLE_ALL, key, NULL,
                          err);
}

/* The signature's key when it verifies over the invoice; false otherwise. */
static bool valid_key(const wh_invoice *inv, const wh_signature *sig,
                      unsigned char key[WH_ED25519_PUBLIC_LEN])
{
    return wh_sig_verify(inv, sig, NULL) == 0 &&
           wh_key_decode(sig->key, key, WH_ED25519_PUBLIC_LEN, "key", NULL) == 0;
}

/* A signature whose key a new name binds: a creator's, and for a mirror
 * the proxy's that stands in for it. */
static bool binds_name(const wh_signature *sig, bool mirror)
{
    unsigned role;
    return wh_role_parse(sig->role, &role, NULL) == 0 &&
           (role == WH_ROLE_CREATOR || (mirror && role == WH_ROLE_PROXY));
}

/* Whether some signature verifies and is by a key of `kr`. */
static bool signed_by_one_of(const wh_invoice *inv, const wh_keyring *kr)
{
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    for (size_t i = 0; kr && i < inv->n_signatures; i++)
        if (valid_key(inv, &inv->signatures[i], key) && wh_keyring_find(kr, key))
            return true;
    return false;
}

/* The valid creator signatures' keys (and a mirror's proxy ones), to bind
 * to a new name. */
static int creators_to_bind(const wh_invoice *inv, bool mirror, wh_ns_key **out, size_t *n,
                            wh_err *err)
{
    wh_ns_key *v = calloc(inv->n_signatures ? inv->n_signatures : 1, sizeof *v);
    if (!v)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *sig = &inv->signatures[i];
        if (!binds_name(sig, mirror) || !valid_key(inv, sig, v[k].key))
            continue;
        v[k].name = strdup(inv->bindle.name);
        v[k].label = strdup(sig->by ? sig->by : "");
        v[k].added_by = strdup("first publish");
        k++;
        if (!v[k - 1].name || !v[k - 1].label || !v[k - 1].added_by) {
            wh_ns_keys_free(v, k);
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        }
    }
    if (!k) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return 0;
}

int wh_trust_check_invoice(wh_server *srv, const wh_invoice *inv, wh_ns_key **bind,
                           size_t *n_bind, wh_err *err)
{
    *bind = NULL;
    *n_bind = 0;
    if (srv->verify_none)
        return 0;
    const char *name = inv->bindle.name;
    wh_ns_key *bound = NULL;
    size_t n_bound = 0;
    wh_keyring *kr = NULL;
    int rc = wh_meta_ns_keys(srv->meta, name, &bound, &n_bound, err);
    if (rc)
        return rc;
    kr = wh_keyring_new();
    if (!kr) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; srv->keyring && i < srv->keyring->n && !rc; i++)
        rc = add_key(kr, srv->keyring->keys[i].label, srv->keyring->keys[i].key, err);
    for (size_t i = 0; i < n_bound && !rc; i++)
        rc = add_key(kr, bound[i].label, bound[i].key, err);
    /* A name is new when it has neither bound keys nor any version: one
     * whose keys were all removed (or that was published before keys were
     * bound) is not up for grabs; only the keyring may publish it until an
     * operator binds a key again. */
    int published = n_bound ? 1 : wh_meta_name_published(srv->meta, name, err);
    if (published < 0) {
        rc = published;
        goto done;
    }
    bool fresh = n_bound == 0 && !published;
    bool mirror = wh_invoice_is_mirror(inv);
    /* Trust on first use: a name nobody holds yet may be claimed by any
     * creator (or a mirror's proxy) whose signature holds. */
    bool tofu = fresh && !srv->new_names_keyring;
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    for (size_t i = 0; tofu && i < inv->n_signatures && !rc; i++) {
        const wh_signature *sig = &inv->signatures[i];
        if (binds_name(sig, mirror) && valid_key(inv, sig, key))
            rc = add_key(kr, sig->by, key, err);
    }
    if (rc)
        goto done;

    if (!n_bound && !fresh && !signed_by_one_of(inv, srv->keyring)) {
        rc = wh_err_set(err, WH_EINVAL, "%s has published versions but no bound keys (they "
                        "were removed, or it was published before keys were bound): only a "
                        "key of the server keyring may publish it until an operator binds "
                        "one with `wharfd keys add`", name);
        goto done;
    }

    char strategy[2 * WH_STRATEGY_NAME_MAX + 32];
    wh_strategy_format(&srv->strategy, strategy, sizeof strategy);
    rc = wh_sig_verify_invoice(inv, kr, &srv->strategy, err);
    wh_strategy alt;
    if (rc == WH_EINVAL && mirror && wh_strategy_for_mirror(&srv->strategy, &alt)) {
        char alt_name[WH_STRATEGY_NAME_MAX];
        wh_strategy_format(&alt, alt_name, sizeof alt_name);
        size_t used = strlen(strategy);
        snprintf(strategy + used, sizeof strategy - used, ", as a mirror %s", alt_name);
        wh_err_clear(err);
        rc = wh_sig_verify_invoice(inv, kr, &alt, err);
    }
    if (rc) {
        if (n_bound)
            wh_err_prefix(err, "signature check (%s) failed; %s is bound to %zu key%s (see "
                          "GET /v1/bindle-keys for the server's own)",
                          strategy, name, n_bound, n_bound == 1 ? "" : "s");
        else
            wh_err_prefix(err, "signature check (%s) failed", strategy);
        goto done;
    }
    if (n_bound && !signed_by_one_of(inv, kr)) {
        rc = wh_err_set(err, WH_EINVAL, "%s is bound to other keys: this invoice carries no "
                        "valid signature by a key bound to the name or in the server keyring",
                        name);
        goto done;
    }
    if (fresh && srv->new_names_keyring && !signed_by_one_of(inv, srv->keyring)) {
        rc = wh_err_set(err, WH_EINVAL, "%s is a new name, and this server lets only keys of "
                        "its keyring claim new names (--new-names keyring)", name);
        goto done;
    }
    if (fresh)
        rc = creators_to_bind(inv, mirror, bind, n_bind, err);
done:
    wh_keyring_free(kr);
    wh_ns_keys_free(bound, n_bound);
    return rc;
}

int wh_trust_check_unsigned(wh_server *srv, const char *name, wh_err *err)
{
    if (srv->verify_none)
        return 0;
    wh_ns_key *bound = NULL;
    size_t n_bound = 0;
    int rc = wh_meta_ns_keys(srv->meta, name, &bound, &n_bound, err);
    wh_ns_keys_free(bound, n_bound);
    if (rc)
        return rc;
    if (n_bound)
        return wh_err_set(err, WH_EFORBIDDEN, "%s is bound to signing keys: publish its "
                          "versions signed, with `wharf push`", name);
    int published = wh_meta_name_published(srv->meta, name, err);
    if (published < 0)
        return published;
    /* The same rule as for signed invoices: a name with versions but no
     * keys is the keyring's until an operator binds one. */
    if (published)
        return wh_err_set(err, WH_EFORBIDDEN, "%s has published versions but no bound keys: "
                          "only a key of the server keyring may publish it; use a signed "
                          "`wharf push`", name);
    if (srv->new_names_keyring)
        return wh_err_set(err, WH_EFORBIDDEN, "%s is a new name, and this server lets only "
                          "keys of its keyring claim new names (--new-names keyring): publish "
                          "it signed, with `wharf push`", name);
    return 0;
}

int wh_trust_host_sign(wh_server *srv, wh_invoice *inv, char **toml, size_t *toml_len,
                       char **json, size_t *json_len, wh_err *err)
{
    *toml = *json = NULL;
    /* The host attests what it accepted; the posted signatures stay as sent. */
    int rc = wh_sig_sign(inv, srv->host_key, WH_ROLE_HOST, (int64_t)time(NULL), err);
    if (rc == WH_EEXIST)
        return wh_err_set(err, WH_EINVAL, "invalid invoice: it already carries a signature "
                          "by this server's host key");
    if (!rc)
        rc = wh_invoice_emit_both(inv, toml, toml_len, json, json_len, err);
    return rc;
}
