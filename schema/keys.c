/*
 * keys.c - roles, raw Ed25519 over OpenSSL EVP, and the two key file
 * formats (keyring, secret keys), which share everything but the field that
 * holds the key.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

static int keys_read_file(const char *path, size_t max_bytes, bool secret,
                      char **out, size_t *len, wh_err *err)
{
    int rc = 0;
    char *buf = NULL;
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return wh_err_set(err, e == ENOENT ? WH_ENOTFOUND : WH_EIO,
                          "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = wh_err_set(err, WH_EIO, "%s: cannot stat: %s", path,
                        strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = wh_err_set(err, WH_EINVAL, "%s: not a regular file", path);
        goto done;
    }
    /* Checked on the open descriptor, so that the file read is the file
     * checked. */
    if (secret && (st.st_mode & 077) != 0) {
        rc = wh_err_set(err, WH_EINVAL,
                        "%s: secret key file has mode %04o; it must not be "
                        "readable or writable by group or others (chmod 600 %s)",
                        path, (unsigned)(st.st_mode & 07777), path);
        goto done;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        rc = wh_err_set(err, WH_ETOOBIG, "%s: %lld bytes, over the %zu allowed",
                        path, (long long)st.st_size, max_bytes);
        goto done;
    }
    size_t size = (size_t)st.st_size;
    buf = malloc(size + 1);
    if (!buf) {
        rc = wh_err_set(err, WH_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wh_err_set(err, WH_EIO, "%s: cannot read: %s", path,
                            strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    buf = NULL;
done:
    if (buf) {
        OPENSSL_cleanse(buf, st.st_size > 0 ? (size_t)st.st_size : 0);
        free(buf);
    }
    close(fd);
    return rc;
}

static int keys_parse_doc(const char *buf, size_t len, const wh_keys_limits *lim,
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

static int keys_check_fields(const json_t *entry, const char *const *allowed,
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

static int keys_get_string(const json_t *entry, const char *field, bool required,
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

static int keys_get_label(const json_t *entry, size_t max, const char **out,
                      wh_err *err)
{
    int rc = keys_get_string(entry, "label", true, max, out, err);
    if (rc == 0 && (*out)[0] == '\0')
        rc = wh_err_set(err, WH_EINVAL, "label is empty");
    return rc;
}

static int keys_get_roles(const json_t *entry, unsigned *out, wh_err *err)
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

static char *keys_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

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

/* ---- keyrings ---- */

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
    e->label = keys_strdup(label);
    e->label_signature = keys_strdup(label_signature);
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

static int keyring_entry(wh_keyring *kr, const json_t *e,
                         const wh_keys_limits *lim, wh_err *err)
{
    static const char *const fields[] = {"label", "roles", "key",
                                         "labelSignature", NULL};
    const char *label, *key_b64, *lsig;
    unsigned r;
    unsigned char key[WH_ED25519_PUBLIC_LEN], sig[WH_ED25519_SIG_LEN];
    int rc = keys_check_fields(e, fields, err);
    if (!rc)
        rc = keys_get_label(e, lim->max_label, &label, err);
    if (!rc)
        rc = keys_get_roles(e, &r, err);
    if (!rc)
        rc = keys_get_string(e, "key", true, 256, &key_b64, err);
    if (!rc)
        rc = wh_key_decode(key_b64, key, sizeof key, "key", err);
    if (!rc)
        rc = keys_get_string(e, "labelSignature", false, 256, &lsig, err);
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
    json_t *root = NULL, *arr = NULL, *e;
    wh_keyring *kr = NULL;
    *out = NULL;
    int rc = keys_parse_doc(buf, len, lim, true, &root, &arr, err);
    if (rc)
        return rc;
    kr = wh_keyring_new();
    if (!kr) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    size_t i;
    json_array_foreach(arr, i, e) {
        rc = keyring_entry(kr, e, lim, err);
        if (rc) {
            wh_err_prefix(err, "key %zu", i);
            goto done;
        }
    }
    *out = kr;
    kr = NULL;
done:
    wh_keyring_free(kr);
    json_decref(root);
    return rc;
}

int wh_keyring_load(const char *path, const wh_keys_limits *limits,
                    wh_keyring **out, wh_err *err)
{
    const wh_keys_limits *lim = limits ? limits : &wh_keys_default_limits;
    char *buf;
    size_t len;
    *out = NULL;
    int rc = keys_read_file(path, lim->max_bytes, false, &buf, &len, err);
    if (rc)
        return rc;
    rc = wh_keyring_parse(buf, len, lim, out, err);
    if (rc)
        wh_err_prefix(err, "%s", path);
    free(buf);
    return rc;
}

/* Emits {version = "1.0", key = [entries]} where `entry` builds entry i. */
static int keys_emit(size_t n, json_t *(*entry)(const void *, size_t),
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
static json_t *key_entry_json(const char *label, unsigned roles_mask,
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

static json_t *keyring_entry_json(const void *ctx, size_t i)
{
    const wh_keyring_entry *e = &((const wh_keyring *)ctx)->keys[i];
    char b64[WH_PUBLIC_B64_LEN + 1];
    wh_base64_encode(e->key, sizeof e->key, b64);
    return key_entry_json(e->label, e->roles, "key", b64, e->label_signature);
}

int wh_keyring_emit(const wh_keyring *kr, char **out, size_t *len,
                    wh_err *err)
{
    return keys_emit(kr->n, keyring_entry_json, kr, out, len, err);
}

/* ---- secret keys ---- */

wh_secret_keys *wh_secret_keys_new(void)
{
    return calloc(1, sizeof(wh_secret_keys));
}

void wh_secret_keys_free(wh_secret_keys *sk)
{
    if (!sk)
        return;
    for (size_t i = 0; i < sk->n; i++)
        free(sk->keys[i].label);
    if (sk->keys)
        OPENSSL_cleanse(sk->keys, sk->cap * sizeof sk->keys[0]);
    free(sk->keys);
    free(sk);
}

const wh_secret_key *wh_secret_keys_find_role(const wh_secret_keys *sk,
                                              unsigned role)
{
    for (size_t i = 0; i < sk->n; i++)
        if (sk->keys[i].roles & role)
            return &sk->keys[i];
    return NULL;
}

/* Appends a key whose public half the caller has already checked. */
static int secret_add(wh_secret_keys *sk, const char *label,
                      unsigned roles_mask,
                      const unsigned char seed[WH_ED25519_SEED_LEN],
                      const unsigned char pub[WH_ED25519_PUBLIC_LEN],
                      wh_err *err)
{
    if (!label || !label[0])
        return wh_err_set(err, WH_EINVAL, "a key needs a label");
    if (roles_mask == 0 || (roles_mask & ~WH_ROLE_ALL))
        return wh_err_set(err, WH_EINVAL, "a key needs one or more known roles");
    for (size_t i = 0; i < sk->n; i++)
        if (memcmp(sk->keys[i].pub, pub, WH_ED25519_PUBLIC_LEN) == 0)
            return wh_err_set(err, WH_EINVAL, "the same key is listed twice");
    size_t oldcap = sk->cap;
    wh_secret_key *old = sk->keys;
    /* realloc would leave copies of the seeds behind; move them by hand. */
    if (sk->n == sk->cap) {
        size_t ncap = sk->cap ? sk->cap * 2 : 4;
        wh_secret_key *p = calloc(ncap, sizeof *p);
        if (!p)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        if (old) {
            memcpy(p, old, sk->n * sizeof *p);
            OPENSSL_cleanse(old, oldcap * sizeof *old);
            free(old);
        }
        sk->keys = p;
        sk->cap = ncap;
    }
    wh_secret_key *k = &sk->keys[sk->n];
    k->label = keys_strdup(label);
    if (!k->label)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    k->roles = roles_mask;
    memcpy(k->seed, seed, WH_ED25519_SEED_LEN);
    memcpy(k->pub, pub, WH_ED25519_PUBLIC_LEN);
    sk->n++;
    return 0;
}

static int secret_entry(wh_secret_keys *sk, const json_t *e,
                        const wh_keys_limits *lim, wh_err *err)
{
    static const char *const fields[] = {"label", "keypair", "roles", NULL};
    const char *label, *kp_b64;
    unsigned r;
    unsigned char kp[WH_ED25519_KEYPAIR_LEN], pub[WH_ED25519_PUBLIC_LEN];
    int rc = keys_check_fields(e, fields, err);
    if (!rc)
        rc = keys_get_label(e, lim->max_label, &label, err);
    if (!rc)
        rc = keys_get_roles(e, &r, err);
    if (!rc)
        rc = keys_get_string(e, "keypair", true, 256, &kp_b64, err);
    if (!rc)
        rc = wh_key_decode(kp_b64, kp, sizeof kp, "keypair", err);
    if (!rc)
        rc = wh_ed25519_public(kp, pub, err);
    if (!rc && memcmp(pub, kp + WH_ED25519_SEED_LEN, sizeof pub) != 0)
        rc = wh_err_set(err, WH_EINVAL,
                        "keypair: its public half is not the key of its seed");
    if (!rc)
        rc = secret_add(sk, label, r, kp, pub, err);
    OPENSSL_cleanse(kp, sizeof kp);
    return rc;
}

int wh_secret_keys_parse(const char *buf, size_t len,
                         const wh_keys_limits *limits, wh_secret_keys **out,
                         wh_err *err)
{
    const wh_keys_limits *lim = limits ? limits : &wh_keys_default_limits;
    json_t *root = NULL, *arr = NULL, *e;
    wh_secret_keys *sk = NULL;
    *out = NULL;
    int rc = keys_parse_doc(buf, len, lim, false, &root, &arr, err);
    if (rc)
        return rc;
    sk = wh_secret_keys_new();
    if (!sk) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    size_t i;
    json_array_foreach(arr, i, e) {
        rc = secret_entry(sk, e, lim, err);
        if (rc) {
            wh_err_prefix(err, "key %zu", i);
            goto done;
        }
    }
    *out = sk;
    sk = NULL;
done:
    wh_secret_keys_free(sk);
    json_decref(root);
    return rc;
}

int wh_secret_keys_load(const char *path, const wh_keys_limits *limits,
                        wh_secret_keys **out, wh_err *err)
{
    const wh_keys_limits *lim = limits ? limits : &wh_keys_default_limits;
    char *buf;
    size_t len;
    *out = NULL;
    int rc = keys_read_file(path, lim->max_bytes, true, &buf, &len, err);
    if (rc)
        return rc;
    rc = wh_secret_keys_parse(buf, len, lim, out, err);
    if (rc)
        wh_err_prefix(err, "%s", path);
    OPENSSL_cleanse(buf, len);
    free(buf);
    return rc;
}

static json_t *secret_entry_json(const void *ctx, size_t i)
{
    const wh_secret_key *k = &((const wh_secret_keys *)ctx)->keys[i];
    unsigned char kp[WH_ED25519_KEYPAIR_LEN];
    char b64[WH_SIG_B64_LEN + 1];
    memcpy(kp, k->seed, WH_ED25519_SEED_LEN);
    memcpy(kp + WH_ED25519_SEED_LEN, k->pub, WH_ED25519_PUBLIC_LEN);
    wh_base64_encode(kp, sizeof kp, b64);
    json_t *o = key_entry_json(k->label, k->roles, "keypair", b64, NULL);
    OPENSSL_cleanse(kp, sizeof kp);
    OPENSSL_cleanse(b64, sizeof b64);
    return o;
}

int wh_secret_keys_emit(const wh_secret_keys *sk, char **out, size_t *len,
                        wh_err *err)
{
    return keys_emit(sk->n, secret_entry_json, sk, out, len, err);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int wh_secret_keys_save(const wh_secret_keys *sk, const char *path,
                        wh_err *err)
{
    char *text = NULL, *tmp = NULL;
    size_t len = 0;
    int fd = -1, rc = wh_secret_keys_emit(sk, &text, &len, err);
    if (rc) {
        wh_err_prefix(err, "%s", path);
        return rc;
    }
    size_t plen = strlen(path);
    tmp = malloc(plen + sizeof ".tmp-XXXXXX");
    if (!tmp) {
        rc = wh_err_set(err, WH_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    /* mkstemp creates the file 0600; fchmod says so whatever the umask. */
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = wh_err_set(err, WH_EIO, "%s: cannot create %s: %s", path, tmp,
                        strerror(errno));
        free(tmp);
        tmp = NULL;
        goto done;
    }
    if (fchmod(fd, 0600) != 0 || write_all(fd, text, len) != 0 ||
        fsync(fd) != 0) {
        rc = wh_err_set(err, WH_EIO, "%s: cannot write %s: %s", path, tmp,
                        strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = wh_err_set(err, WH_EIO, "%s: cannot write %s: %s", path, tmp,
                        strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        rc = wh_err_set(err, WH_EIO, "%s: cannot rename %s over it: %s", path,
                        tmp, strerror(errno));
        goto done;
    }
    free(tmp);
    tmp = NULL;
    /* The rename itself lives in the directory: make it durable too. */
    char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                      : strdup(".");
    if (dir) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            if (fsync(dfd) != 0)
                rc = wh_err_set(err, WH_EIO, "%s: cannot sync %s: %s", path,
                                dir, strerror(errno));
            close(dfd);
        }
        free(dir);
    }
done:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    if (text) {
        OPENSSL_cleanse(text, len);
        free(text);
    }
    return rc;
}

int wh_secret_keys_generate(wh_secret_keys *sk, const char *label,
                            unsigned roles_mask, const wh_secret_key **out,
                            wh_err *err)
{
    unsigned char seed[WH_ED25519_SEED_LEN], pub[WH_ED25519_PUBLIC_LEN];
    if (out)
        *out = NULL;
    int rc = 0;
    if (RAND_bytes(seed, sizeof seed) != 1) {
        rc = wh_err_set(err, WH_EIO, "cannot get random bytes for a new key");
        goto done;
    }
    rc = wh_ed25519_public(seed, pub, err);
    if (!rc)
        rc = secret_add(sk, label, roles_mask, seed, pub, err);
    if (!rc && out)
        *out = &sk->keys[sk->n - 1];
done:
    OPENSSL_cleanse(seed, sizeof seed);
    return rc;
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
