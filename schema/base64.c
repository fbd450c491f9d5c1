/*
 * base64.c - strict base64 over OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock.
 *
 * EVP_DecodeBlock is lenient (it skips surrounding whitespace and counts
 * padding as zero bytes), so the alphabet and the padding are checked here
 * first, and the canonical form by encoding the result again.
 */
#include "base64.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

size_t wh_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void wh_base64_encode(const unsigned char *in, size_t n, char *out)
{
    if (n == 0) {
        out[0] = '\0';
        return;
    }
    /* Keys and signatures are tens of bytes; callers never come near INT_MAX. */
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int wh_base64_decode(const char *in, size_t len, unsigned char *out,
                     size_t cap, size_t *outlen, const char *what,
                     wh_err *err)
{
    *outlen = 0;
    if (len % 4 != 0)
        return wh_err_set(err, WH_EINVAL,
                          "%s: base64 length %zu is not a multiple of 4", what,
                          len);
    if (len == 0)
        return 0;
    size_t pad = 0;
    if (in[len - 1] == '=')
        pad = in[len - 2] == '=' ? 2 : 1;
    for (size_t i = 0; i < len - pad; i++)
        if (!b64_char(in[i]))
            return wh_err_set(err, WH_EINVAL,
                              "%s: not base64 (bad character at offset %zu)",
                              what, i);
    size_t n = len / 4 * 3 - pad;
    if (n > cap)
        return wh_err_set(err, WH_EINVAL,
                          "%s: decodes to %zu bytes, expected at most %zu",
                          what, n, cap);
    /* n <= cap <= WH_BASE64_MAX_DECODED bounds the buffers below. */
    if (n > WH_BASE64_MAX_DECODED)
        return wh_err_set(err, WH_EINVAL, "%s: too long", what);
    unsigned char tmp[len / 4 * 3];
    if (EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len) < 0)
        return wh_err_set(err, WH_EINVAL, "%s: not base64", what);
    /* Non-zero bits under the padding would give a second spelling. */
    char again[len + 1];
    wh_base64_encode(tmp, n, again);
    if (memcmp(again, in, len) != 0)
        return wh_err_set(err, WH_EINVAL, "%s: not canonical base64", what);
    memcpy(out, tmp, n);
    *outlen = n;
    return 0;
}
