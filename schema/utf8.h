/*
 * utf8.h - decoding and checking UTF-8.
 *
 * Names, labels and messages are UTF-8 end to end, and jansson refuses to
 * hold anything else, so text from the network is checked (or made safe)
 * before it is echoed in a reply.  Nothing here allocates.
 */
#ifndef WH_UTF8_H
#define WH_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from s (n bytes available) into *cp and returns
 * its length, or 0 when s does not start with well-formed UTF-8: truncated,
 * overlong, a surrogate, or past U+10FFFF. */
size_t wh_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* True when the n bytes of s are well-formed UTF-8. */
bool wh_utf8_valid(const char *s, size_t n);

/* Replaces, in place, every byte of the NUL-terminated s that does not
 * belong to a well-formed sequence by '?' (which also covers a character
 * cut in half at the end), so that s can be put into JSON. */
void wh_utf8_sanitize(char *s);

#endif
