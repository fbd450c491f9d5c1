/*
 * signature.c - the Bindle cleartexts, and signing / checking one signature.
 * The strategies that weigh several signatures are in strategy.c.
 */
#include "signature.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* A malloc'd growing string; `failed` sticks once out of memory. */
typedef struct text {
    char *buf;
    size_t len, cap;
    bool failed;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t ncap = t->cap ? t->cap : 256;
        while (ncap < t->len + n + 1)
            ncap *= 2;
        char *p = realloc(t->buf, ncap);
        if (!p) {
            t->failed = true;
            return;
        }
        t->buf = p;
        t->cap = ncap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* Adds a line; every line but the first is preceded by "\n", so that the
 * text never ends with a newline. */
static void text_line(text *t, const char *s)
{
    if (t->len > 0 || t->buf)
        text_add(t, "\n", 1);
    text_add(t, s ? s : "", s ? strlen(s) : 0);
}

static int text_done(text *t, char **out, size_t *len, wh_err *err)
{
    if (t->failed || !t->buf) {
        free(t->buf);
        *out = NULL;
        *len = 0;
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    *out = t->buf;
    *len = t->len;
    return 0;
}

int wh_sig_cleartext(const wh_invoice *inv, const char *by, const char *role,
                     char **out, size_t *len, wh_err *err)
{
    text t = {0};
    text_line(&t, by);
    text_line(&t, inv->bindle.name);
    text_line(&t, inv->bindle.version);
    text_line(&t, role);
    text_line(&t, "~");
    for (size_t i = 0; i < inv->n_parcels; i++)
        text_line(&t, inv->parcels[i].label.sha256);
    return text_done(&t, out, len, err);
}

int wh_sig_yank_cleartext(const wh_invoice *inv, const char *by, int64_t at,
                          char **out, size_t *len, wh_err *err)
{
    char when[24];
    snprintf(when, sizeof when, "%" PRId64, at);
    text t = {0};
    text_line(&t, by);
    text_line(&t, inv->bindle.name);
    text_line(&t, inv->bindle.version);
    text_line(&t, "host");
    text_line(&t, when);
    text_line(&t, inv->yanked ? "true" : "false");
    text_line(&t, "~");
    text_line(&t, inv->yanked_reason);
    return text_done(&t, out, len, err);
}

/* Signs `clear` with key and appends {by, signature, key, role, at} to the
 * arena array *sigs of *n entries. */
static int append_signature(wh_invoice *inv, wh_signature **sigs, size_t *n,
                            const wh_secret_key *key, const char *role,
                            int64_t at, const char *clear, size_t clear_len,
                            wh_err *err)
{
    unsigned char sig[WH_ED25519_SIG_LEN];
    char sig_b64[WH_SIG_B64_LEN + 1], key_b64[WH_PUBLIC_B64_LEN + 1];
    int rc = wh_ed25519_sign(key->seed, clear, clear_len, sig, err);
    if (rc)
        return rc;
    wh_base64_encode(sig, sizeof sig, sig_b64);
    wh_base64_encode(key->pub, sizeof key->pub, key_b64);
    wh_signature *arr = wh_arena_alloc(&inv->arena, (*n + 1) * sizeof *arr);
    if (!arr)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    if (*n)
        memcpy(arr, *sigs, *n * sizeof *arr);
    wh_signature *s = &arr[*n];
    s->by = wh_arena_strdup(&inv->arena, key->label);
    s->signature = wh_arena_strdup(&inv->arena, sig_b64);
    s->key = wh_arena_strdup(&inv->arena, key_b64);
    s->role = wh_arena_strdup(&inv->arena, role);
    s->at = at;
    if (!s->by || !s->signature || !s->key || !s->role)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    /* The old array stays in the arena until the invoice is freed. */
    *sigs = arr;
    (*n)++;
    return 0;
}

static bool key_signed(const wh_signature *sigs, size_t n,
                       const unsigned char pub[WH_ED25519_PUBLIC_LEN])
{
    char b64[WH_PUBLIC_B64_LEN + 1];
    wh_base64_encode(pub, WH_ED25519_PUBLIC_LEN, b64);
    for (size_t i = 0; i < n; i++)
        if (sigs[i].key && strcmp(sigs[i].key, b64) == 0)
            return true;
    return false;
}

int wh_sig_sign(wh_invoice *inv, const wh_secret_key *key, unsigned role,
                int64_t at, wh_err *err)
{
    const char *name = wh_role_name(role);
    char *clear = NULL;
    size_t len = 0;
    if (!name)
        return wh_err_set(err, WH_EINVAL, "sign: not a single known role");
    if (!(key->roles & role))
        return wh_err_set(err, WH_EINVAL, "sign: the key does not hold the %s role",
                          name);
    if (key_signed(inv->signatures, inv->n_signatures, key->pub))
        return wh_err_set(err, WH_EEXIST,
                          "sign: that key already signed this invoice");
    int rc = wh_sig_cleartext(inv, key->label, name, &clear, &len, err);
    if (!rc)
        rc = append_signature(inv, &inv->signatures, &inv->n_signatures, key,
                              name, at, clear, len, err);
    free(clear);
    return rc;
}

int wh_sig_sign_yank(wh_invoice *inv, const wh_secret_key *key, int64_t at,
                     wh_err *err)
{
    char *clear = NULL;
    size_t len = 0;
    if (!inv->yanked)
        return wh_err_set(err, WH_EINVAL, "sign yank: the invoice is not yanked");
    if (!(key->roles & WH_ROLE_HOST))
        return wh_err_set(err, WH_EINVAL,
                          "sign yank: the key does not hold the host role");
    if (key_signed(inv->yanked_signatures, inv->n_yanked_signatures, key->pub))
        return wh_err_set(err, WH_EEXIST,
                          "sign yank: that key already signed the yank");
    int rc = wh_sig_yank_cleartext(inv, key->label, at, &clear, &len, err);
    if (!rc)
        rc = append_signature(inv, &inv->yanked_signatures,
                              &inv->n_yanked_signatures, key, "host", at,
                              clear, len, err);
    if (!rc)
        inv->has_yanked_signatures = true;
    free(clear);
    return rc;
}

/* Decodes the signature's key and value and checks them against `clear`. */
static int check(const wh_signature *sig, const char *clear, size_t len,
                 wh_err *err)
{
    unsigned char pub[WH_ED25519_PUBLIC_LEN], raw[WH_ED25519_SIG_LEN];
    if (!sig->key || !sig->signature)
        return wh_err_set(err, WH_EINVAL, "key or signature missing");
    int rc = wh_key_decode(sig->key, pub, sizeof pub, "key", err);
    if (!rc)
        rc = wh_key_decode(sig->signature, raw, sizeof raw, "signature", err);
    if (!rc)
        rc = wh_ed25519_verify(pub, clear, len, raw, err);
    return rc;
}

int wh_sig_verify(const wh_invoice *inv, const wh_signature *sig,
                  wh_err *err)
{
    unsigned bit;
    char *clear = NULL;
    size_t len = 0;
    /* The role is part of the signed text: only its canonical spelling
     * is accepted, so that one signature has one meaning. */
    if (!sig->role || !sig->by)
        return wh_err_set(err, WH_EINVAL, "by or role missing");
    if (wh_role_parse(sig->role, &bit, err) ||
        strcmp(wh_role_name(bit), sig->role) != 0) {
        char shown[64];
        wh_keys_shorten(shown, sizeof shown, sig->role);
        return wh_err_set(err, WH_EINVAL,
                          "unknown role \"%s\" (expected creator, approver, "
                          "proxy or host)",
                          shown);
    }
    int rc = wh_sig_cleartext(inv, sig->by, sig->role, &clear, &len, err);
    if (!rc)
        rc = check(sig, clear, len, err);
    free(clear);
    return rc;
}

int wh_sig_verify_yank(const wh_invoice *inv, const wh_signature *sig,
                       wh_err *err)
{
    char *clear = NULL;
    size_t len = 0;
    if (!sig->role || !sig->by)
        return wh_err_set(err, WH_EINVAL, "by or role missing");
    if (strcmp(sig->role, "host") != 0)
        return wh_err_set(err, WH_EINVAL,
                          "a yank is signed by the host role only");
    int rc = wh_sig_yank_cleartext(inv, sig->by, sig->at, &clear, &len, err);
    if (!rc)
        rc = check(sig, clear, len, err);
    free(clear);
    return rc;
}
