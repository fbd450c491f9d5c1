/*
 * keys.c - roles, raw Ed25519 over OpenSSL EVP, key decoding, and the
 * pieces that the two key file formats share (reading a file under limits,
 * checking a document and its [[key]] entries, emitting one).  The formats
 * themselves live in keyring.c and secret_keys.c; the shared pieces reach
 * them through keys_internal.h.
 */
#include "keys.h"
#include "keys_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base64.h"
#include "toml.h"
#include "utf8.h"

const wh_keys_limits wh_keys_default_limits = {
    .max_bytes = 1024 * 1024,
    .max_keys = 10000,
    .max_label = 1024,
};

static const struct {
    unsigned bit;
    const char *name;
} roles[] = {
    {WH_ROLE_CREATOR, "creator"},
    {WH_ROLE_APPROVER, "approver"},
    {WH_ROLE_PROXY, "proxy"},
    {WH_ROLE_HOST, "host"},
};

int wh_role_parse(const char *s, unsigned *out, wh_err *err)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (strcasecmp(s, roles[i].name) == 0) {
            *out = roles[i].bit;
            return 0;
        }
    }
    char shown[64];
    wh_keys_shorten(shown, sizeof shown, s);
    return wh_err_set(err, WH_EINVAL,
                      "unknown role \"%s\" (expected creator, approver, proxy "
                      "or host)",
                      shown);
}

const char *wh_role_name(unsigned role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].bit == role)
            return roles[i].name;
    return NULL;
}

void wh_keys_shorten(char *dst, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
    /* A cut through a multi-byte character would make the message invalid
     * UTF-8, which a JSON error body cannot carry. */
    while (n > 0 && !wh_utf8_valid(dst, n))
        dst[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)dst[i] < 0x20 || dst[i] == '"')
            dst[i] = '?';
}

/* ---- raw Ed25519 ---- */

int wh_ed25519_public(const unsigned char seed[WH_ED25519_SEED_LEN],
                      unsigned char pub[WH_ED25519_PUBLIC_LEN], wh_err *err)
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                                  WH_ED25519_SEED_LEN);
    if (!pkey)
        return wh_err_set(err, WH_ENOMEM, "cannot load an Ed25519 seed");
    size_t len = WH_ED25519_PUBLIC_LEN;
    int ok = EVP_PKEY_get_raw_public_key(pkey, pub, &len) == 1 &&
             len == WH_ED25519_PUBLIC_LEN;
    EVP_PKEY_free(pkey);
    if (!ok)
        return wh_err_set(err, WH_EIO, "cannot derive an Ed25519 public key");
    return 0;
}

int wh_ed25519_sign(const unsigned char seed[WH_ED25519_SEED_LEN],
                    const void *msg, size_t len,
                    unsigned char sig[WH_ED25519_SIG_LEN], wh_err *err)
{
    int rc = 0;
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                                  WH_ED25519_SEED_LEN);
    if (!pkey) {
        rc = wh_err_set(err, WH_ENOMEM, "cannot load an Ed25519 seed");
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    size_t siglen = WH_ED25519_SIG_LEN;
    if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
        siglen != WH_ED25519_SIG_LEN) {
        rc = wh_err_set(err, WH_EIO, "Ed25519 signing failed");
        goto done;
    }
done:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rc;
}

int wh_ed25519_verify(const unsigned char pub[WH_ED25519_PUBLIC_LEN],
                      const void *msg, size_t len,
                      const unsigned char sig[WH_ED25519_SIG_LEN],
                      wh_err *err)
{
    int rc = 0;
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
                                                 WH_ED25519_PUBLIC_LEN);
    if (!pkey) {
        rc = wh_err_set(err, WH_EINVAL, "not a valid Ed25519 public key");
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
        EVP_DigestVerify(ctx, sig, WH_ED25519_SIG_LEN, msg, len) != 1) {
        rc = wh_err_set(err, WH_EINVAL, "bad signature");
        goto done;
    }
done:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rc;
}

int wh_key_decode(const char *b64, unsigned char *out, size_t want,
                  const char *what, wh_err *err)
{
    unsigned char buf[WH_ED25519_KEYPAIR_LEN + 3];
    size_t n = 0;
    int rc = wh_base64_decode(b64, strlen(b64), buf, sizeof buf, &n, what, err);
    if (rc == 0 && n != want)
        rc = wh_err_set(err, WH_EINVAL, "%s: %zu bytes, expected %zu", what, n,
                        want);
    if (rc == 0)
        memcpy(out, buf, want);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* ---- what both file formats share ---- */


/* Parses the TOML document under `lim` and checks its top level: only
 * version and key, version "1.0" (required or not), key an array of at most
 * lim->max_keys tables.  *keys is NULL when the document has no key; *root
 * is a new reference the caller releases. */
static int parse_doc(const char *buf, size_t len, const wh_keys_limits *lim,
                     bool version_required, json_t **root, json_t **keys,
                     wh_err *err)
{
    *root = NULL;
    *keys = NULL;
    if (len > lim->max_bytes)
        return wh_err_set(err, WH_ETOOBIG, "%zu bytes, over the %zu allowed",
                          len, lim->max_bytes);
    json_t *doc = NULL;
    int rc = wh_toml_parse(buf, len, &doc, err);
    if (rc)
        return rc;
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        if (strcmp(k, "version") != 0 && strcmp(k, "key") != 0) {
            char shown[64];
            wh_keys_shorten(shown, sizeof shown, k);
            rc = wh_err_set(err, WH_EINVAL, "unknown field \"%s\"", shown);
            goto fail;
        }
    }
    json_t *ver = json_object_get(doc, "version");
    if (!ver && version_required) {
        rc = wh_err_set(err, WH_EINVAL, "missing version (expected \"1.0\")");
        goto fail;
    }
    if (ver && (!json_is_string(ver) || strcmp(json_string_value(ver), "1.0") ||
                json_string_length(ver) != 3)) {
        rc = wh_err_set(err, WH_EINVAL,
                        "unsupported version (expected the string \"1.0\")");
        goto fail;
    }
    json_t *arr = json_object_get(doc, "key");
    if (arr && !json_is_array(arr)) {
        rc = wh_err_set(err, WH_EINVAL, "key must be an array of tables");
        goto fail;
    }
    if (arr && json_array_size(arr) > lim->max_keys) {
        rc = wh_err_set(err, WH_ETOOBIG, "%zu keys, over the %zu allowed",
                        json_array_size(arr), lim->max_keys);
        goto fail;
    }
    size_t i;
    json_array_foreach(arr, i, v) {
        if (!json_is_object(v)) {
            rc = wh_err_set(err, WH_EINVAL, "key %zu: not a table", i);
            goto fail;
        }
    }
    *root = doc;
    *keys = arr;
    return 0;
fail:
    json_decref(doc);
    return rc;
}

int wh_keys_check_fields(const json_t *entry, const char *const *allowed,
                         wh_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)entry, k, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(k, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            char shown[64];
            wh_keys_shorten(shown, sizeof shown, k);
            return wh_err_set(err, WH_EINVAL, "unknown field \"%s\"", shown);
        }
    }
    return 0;
}

int wh_keys_get_string(const json_t *entry, const char *field, bool required,
                       size_t max, const char **out, wh_err *err)
{
    json_t *v = json_object_get(entry, field);
    *out = NULL;
    if (!v) {
        if (required)
            return wh_err_set(err, WH_EINVAL, "missing %s", field);
        return 0;
    }
    if (!json_is_string(v))
        return wh_err_set(err, WH_EINVAL, "%s must be a string", field);
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return wh_err_set(err, WH_EINVAL, "%s holds a NUL character", field);
    if (json_string_length(v) > max)
        return wh_err_set(err, WH_EINVAL, "%s is %zu bytes, over the %zu allowed",
                          field, json_string_length(v), max);
    *out = s;
    return 0;
}

int wh_keys_get_label(const json_t *entry, size_t max, const char **out,
                      wh_err *err)
{
    int rc = wh_keys_get_string(entry, "label", true, max, out, err);
    if (rc == 0 && (*out)[0] == '\0')
        rc = wh_err_set(err, WH_EINVAL, "label is empty");
    return rc;
}

int wh_keys_get_roles(const json_t *entry, unsigned *out, wh_err *err)
{
    json_t *arr = json_object_get(entry, "roles");
    *out = 0;
    if (!arr)
        return wh_err_set(err, WH_EINVAL, "missing roles");
    if (!json_is_array(arr))
        return wh_err_set(err, WH_EINVAL, "roles must be an array of strings");
    if (json_array_size(arr) == 0)
        return wh_err_set(err, WH_EINVAL, "roles is empty");
    if (json_array_size(arr) > 16)
        return wh_err_set(err, WH_EINVAL, "roles lists %zu entries",
                          json_array_size(arr));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v))
            return wh_err_set(err, WH_EINVAL, "roles must be an array of strings");
        unsigned bit;
        int rc = wh_role_parse(json_string_value(v), &bit, err);
        if (rc)
            return rc;
        *out |= bit;
    }
    return 0;
}

static json_t *keys_roles_json(unsigned roles_mask)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if ((roles_mask & roles[i].bit) &&
            json_array_append_new(arr, json_string(roles[i].name))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

char *wh_keys_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Emits {version = "1.0", key = [entries]} where `entry` builds entry i. */
int wh_keys_emit(size_t n, json_t *(*entry)(const void *, size_t),
                 const void *ctx, char **out, size_t *len, wh_err *err)
{
    int rc = 0;
    *out = NULL;
    *len = 0;
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr || json_object_set_new(root, "version", json_string("1.0")))
        goto nomem;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, entry(ctx, i)))
            goto nomem;
    if (json_object_set(root, "key", arr))
        goto nomem;
    rc = wh_toml_emit(root, out, len, err);
    goto done;
nomem:
    rc = wh_err_set(err, WH_ENOMEM, "out of memory");
done:
    json_decref(arr);
    json_decref(root);
    return rc;
}

/* A json object from key=value pairs whose values may be NULL (left out);
 * NULL when out of memory. */
json_t *wh_keys_entry_json(const char *label, unsigned roles_mask,
                           const char *kfield, const char *kvalue,
                           const char *lsig)
{
    json_t *o = json_object();
    json_t *r = keys_roles_json(roles_mask);
    if (!o || !r || json_object_set_new(o, "label", json_string(label)) ||
        json_object_set_new(o, kfield, json_string(kvalue)) ||
        json_object_set(o, "roles", r) ||
        (lsig && json_object_set_new(o, "labelSignature", json_string(lsig)))) {
        json_decref(o);
        o = NULL;
    }
    json_decref(r);
    return o;
}

int wh_keys_parse_entries(const char *buf, size_t len, const wh_keys_limits *lim,
                          bool version_required, wh_keys_entry_fn entry, void *dst,
                          wh_err *err)
{
    json_t *root = NULL, *arr = NULL, *e;
    int rc = parse_doc(buf, len, lim, version_required, &root, &arr, err);
    if (rc)
        return rc;
    size_t i;
    json_array_foreach(arr, i, e) {
        rc = entry(dst, e, lim, err);
        if (rc) {
            wh_err_prefix(err, "key %zu", i);
            break;
        }
    }
    json_decref(root);
    return rc;
}
