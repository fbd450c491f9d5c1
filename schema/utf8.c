/*
 * utf8.c - decoding and checking UTF-8 (see utf8.h).
 */
#include "utf8.h"

/* Decodes one code point from s (n bytes available).  Returns its length,
 * or 0 when s does not start with well-formed UTF-8: truncated, overlong,
 * a surrogate, or past U+10FFFF. */
size_t wh_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2; v = c & 0x1Fu; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3; v = c & 0x0Fu; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4; v = c & 0x07u; min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

bool wh_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t len = wh_utf8_next(p + i, n - i, &cp);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

void wh_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = 0;
    while (p[n])
        n++;
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        size_t len = wh_utf8_next(p + i, n - i, &cp);
        if (len == 0) {
            p[i++] = '?';
            continue;
        }
        i += len;
    }
}
