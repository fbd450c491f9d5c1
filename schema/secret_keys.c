/*
 * secret_keys.c - secret-key files: the keys that can sign, in Bindle's
 * TOML format (keys.h); read only when the file is its owner's alone, saved
 * atomically as 0600, and wiped from memory wherever a seed passed.
 */
#include "keys.h"
#include "keys_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base64.h"

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
    k->label = wh_keys_strdup(label);
    if (!k->label)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    k->roles = roles_mask;
    memcpy(k->seed, seed, WH_ED25519_SEED_LEN);
    memcpy(k->pub, pub, WH_ED25519_PUBLIC_LEN);
    sk->n++;
    return 0;
}

static int secret_entry(void *dst, const json_t *e, const wh_keys_limits *lim,
                        wh_err *err)
{
    wh_secret_keys *sk = dst;
    static const char *const fields[] = {"label", "keypair", "roles", NULL};
    const char *label, *kp_b64;
    unsigned r;
    unsigned char kp[WH_ED25519_KEYPAIR_LEN], pub[WH_ED25519_PUBLIC_LEN];
    int rc = wh_keys_check_fields(e, fields, err);
    if (!rc)
        rc = wh_keys_get_label(e, lim->max_label, &label, err);
    if (!rc)
        rc = wh_keys_get_roles(e, &r, err);
    if (!rc)
        rc = wh_keys_get_string(e, "keypair", true, 256, &kp_b64, err);
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
    *out = NULL;
    wh_secret_keys *sk = wh_secret_keys_new();
    if (!sk)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc = wh_keys_parse_entries(buf, len, lim, false, secret_entry, sk, err);
    if (rc)
        wh_secret_keys_free(sk);
    else
        *out = sk;
    return rc;
}

int wh_secret_keys_load(const char *path, const wh_keys_limits *limits,
                        wh_secret_keys **out, wh_err *err)
{
    const wh_keys_limits *lim = limits ? limits : &wh_keys_default_limits;
    char *buf;
    size_t len;
    *out = NULL;
    int rc = wh_file_read(path, lim->max_bytes, WH_FILE_PRIVATE, &buf, &len, err);
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
    json_t *o = wh_keys_entry_json(k->label, k->roles, "keypair", b64, NULL);
    OPENSSL_cleanse(kp, sizeof kp);
    OPENSSL_cleanse(b64, sizeof b64);
    return o;
}

int wh_secret_keys_emit(const wh_secret_keys *sk, char **out, size_t *len,
                        wh_err *err)
{
    return wh_keys_emit(sk->n, secret_entry_json, sk, out, len, err);
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
