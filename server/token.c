/*
 * token.c - making and reading API tokens (see token.h).
 */
#include "token.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdigits[b[i] >> 4];
        out[2 * i + 1] = hexdigits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(hexdigits, s[i]))
            return false;
    return true;
}

static bool hash_secret(const char *secret, size_t len, unsigned char hash[32])
{
    unsigned int n = 0;
    return EVP_Digest(secret, len, hash, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

bool wh_token_like(const char *s)
{
    return s && strncmp(s, WH_TOKEN_PREFIX, 4) == 0 && strlen(s) == WH_TOKEN_MAX - 1 &&
           s[4 + WH_TOKEN_ID_LEN] == '_';
}

int wh_token_generate(char token[WH_TOKEN_MAX], char id[WH_TOKEN_ID_LEN + 1],
                      unsigned char hash[32], wh_err *err)
{
    unsigned char raw[WH_TOKEN_ID_LEN / 2 + WH_TOKEN_SECRET_HEX / 2];
    if (RAND_bytes(raw, (int)sizeof raw) != 1)
        return wh_err_set(err, WH_EIO, "cannot get random bytes for a token");
    char secret[WH_TOKEN_SECRET_HEX + 1];
    to_hex(raw, WH_TOKEN_ID_LEN / 2, id);
    to_hex(raw + WH_TOKEN_ID_LEN / 2, WH_TOKEN_SECRET_HEX / 2, secret);
    OPENSSL_cleanse(raw, sizeof raw);
    int rc = 0;
    if (!hash_secret(secret, WH_TOKEN_SECRET_HEX, hash))
        rc = wh_err_set(err, WH_EIO, "cannot hash a token");
    else
        snprintf(token, WH_TOKEN_MAX, WH_TOKEN_PREFIX "%s_%s", id, secret);
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

bool wh_token_parse(const char *token, char id[WH_TOKEN_ID_LEN + 1], unsigned char hash[32])
{
    if (!wh_token_like(token))
        return false;
    const char *p = token + 4;
    if (!all_hex(p, WH_TOKEN_ID_LEN) || p[WH_TOKEN_ID_LEN] != '_')
        return false;
    const char *secret = p + WH_TOKEN_ID_LEN + 1;
    if (!all_hex(secret, WH_TOKEN_SECRET_HEX))
        return false;
    memcpy(id, p, WH_TOKEN_ID_LEN);
    id[WH_TOKEN_ID_LEN] = '\0';
    return hash_secret(secret, WH_TOKEN_SECRET_HEX, hash);
}
