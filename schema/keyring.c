/*
 * keyring.c - keyrings: the public keys a verifier trusts, in Bindle's TOML
 * format (keys.h), and wh_keyring_add_secret, which enrols a secret key's
 * public half with a signature over its label.
 */
#include "keys.h"
#include "keys_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* Makes room for one more element in a malloc'd array of `size`-byte
 * elements. */
static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = realloc(*items, ncap * size);
    if (!p)
        return WH_ENOMEM;
    *items = p;
    *cap = ncap;
    return 0;
}

wh_keyring *wh_keyring_new(void)
{
    return calloc(1, sizeof(wh_keyring));
}

void wh_keyring_free(wh_keyring *kr)
{
    if (!kr)
        return;
    for (size_t i = 0; i < kr->n; i++) {
        free(kr->keys[i].label);
        free(kr->keys[i].label_signature);
    }
    free(kr->keys);
    free(kr);
}

const wh_keyring_entry *wh_keyring_find(
    const wh_keyring *kr, const unsigned char key[WH_ED25519_PUBLIC_LEN])
{
    for (size_t i = 0; i < kr->n; i++)
        if (memcmp(kr->keys[i].key, key, WH_ED25519_PUBLIC_LEN) == 0)
            return &kr->keys[i];
    return NULL;
}

int wh_keyring_add(wh_keyring *kr, const char *label, unsigned roles_mask,
                   const unsigned char key[WH_ED25519_PUBLIC_LEN],
                   const char *label_signature, wh_err *err)
{
    if (!label || !label[0])
        return wh_err_set(err, WH_EINVAL, "a key needs a label");
    if (roles_mask == 0 || (roles_mask & ~WH_ROLE_ALL))
        return wh_err_set(err, WH_EINVAL, "a key needs one or more known roles");
    if (wh_keyring_find(kr, key))
        return wh_err_set(err, WH_EEXIST, "the keyring already holds that key");
    if (grow((void **)&kr->keys, &kr->cap, kr->n, sizeof kr->keys[0]))
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    wh_keyring_entry *e = &kr->keys[kr->n];
    memset(e, 0, sizeof *e);
    e->label = wh_keys_strdup(label);
    e->label_signature = wh_keys_strdup(label_signature);
    if (!e->label || (label_signature && !e->label_signature)) {
        free(e->label);
        free(e->label_signature);
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    e->roles = roles_mask;
    memcpy(e->key, key, WH_ED25519_PUBLIC_LEN);
    kr->n++;
    return 0;
}

static int keyring_entry(void *dst, const json_t *e, const wh_keys_limits *lim,
                         wh_err *err)
{
    wh_keyring *kr = dst;
    static const char *const fields[] = {"label", "roles", "key",
                                         "labelSignature", NULL};
    const char *label, *key_b64, *lsig;
    unsigned r;
    unsigned char key[WH_ED25519_PUBLIC_LEN], sig[WH_ED25519_SIG_LEN];
    int rc = wh_keys_check_fields(e, fields, err);
    if (!rc)
        rc = wh_keys_get_label(e, lim->max_label, &label, err);
    if (!rc)
        rc = wh_keys_get_roles(e, &r, err);
    if (!rc)
        rc = wh_keys_get_string(e, "key", true, 256, &key_b64, err);
    if (!rc)
        rc = wh_key_decode(key_b64, key, sizeof key, "key", err);
    if (!rc)
        rc = wh_keys_get_string(e, "labelSignature", false, 256, &lsig, err);
    if (!rc && lsig)
        rc = wh_key_decode(lsig, sig, sizeof sig, "labelSignature", err);
    if (!rc) {
        rc = wh_keyring_add(kr, label, r, key, lsig, err);
        if (rc == WH_EEXIST)
            rc = wh_err_set(err, WH_EINVAL, "the same key is listed twice");
    }
    return rc;
}

int wh_keyring_parse(const char *buf, size_t len,
                     const wh_keys_limits *limits, wh_keyring **out,
                     wh_err *err)
{
    const wh_keys_limits *lim = limits ? limits : &wh_keys_default_limits;
    *out = NULL;
    wh_keyring *kr = wh_keyring_new();
    if (!kr)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc = wh_keys_parse_entries(buf, len, lim, true, keyring_entry, kr, err);
    if (rc)
        wh_keyring_free(kr);
    else
        *out = kr;
    return rc;
}

int wh_keyring_load(const char *path, const wh_keys_limits *limits,
                    wh_keyring **out, wh_err *err)
{
    const wh_keys_limits *lim = limits ? limits : &wh_keys_default_limits;
    char *buf;
    size_t len;
    *out = NULL;
    int rc = wh_file_read(path, lim->max_bytes, 0, &buf, &len, err);
    if (rc)
        return rc;
    rc = wh_keyring_parse(buf, len, lim, out, err);
    if (rc)
        wh_err_prefix(err, "%s", path);
    free(buf);
    return rc;
}

static json_t *keyring_entry_json(const void *ctx, size_t i)
{
    const wh_keyring_entry *e = &((const wh_keyring *)ctx)->keys[i];
    char b64[WH_PUBLIC_B64_LEN + 1];
    wh_base64_encode(e->key, sizeof e->key, b64);
    return wh_keys_entry_json(e->label, e->roles, "key", b64, e->label_signature);
}

int wh_keyring_emit(const wh_keyring *kr, char **out, size_t *len,
                    wh_err *err)
{
    return wh_keys_emit(kr->n, keyring_entry_json, kr, out, len, err);
}

int wh_keyring_add_secret(wh_keyring *kr, const wh_secret_key *key,
                          wh_err *err)
{
    unsigned char sig[WH_ED25519_SIG_LEN];
    char b64[WH_SIG_B64_LEN + 1];
    int rc = wh_ed25519_sign(key->seed, key->label, strlen(key->label), sig, err);
    if (rc)
        return rc;
    wh_base64_encode(sig, sizeof sig, b64);
    return wh_keyring_add(kr, key->label, key->roles, key->pub, b64, err);
}
