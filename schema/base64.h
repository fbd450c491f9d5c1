/*
 * base64.h - the standard base64 alphabet with padding (RFC 4648 section 4),
 * as Bindle writes keys and signatures.
 *
 * Decoding is strict on purpose: the text must be exactly what encoding the
 * decoded bytes gives back (no whitespace, no missing or extra padding, no
 * stray bits in the last character).  A key or a signature then has one
 * spelling only, so comparing two of them as text is the same as comparing
 * their bytes.
 *
 * Nothing here allocates: the caller passes the buffers.
 */
#ifndef WH_BASE64_H
#define WH_BASE64_H

#include <stddef.h>

#include "error.h"

/* The length of the encoding of n bytes, without the NUL. */
size_t wh_base64_encoded_len(size_t n);

/* Encodes n bytes into out, which holds wh_base64_encoded_len(n) + 1 bytes;
 * the result is NUL-terminated. */
void wh_base64_encode(const unsigned char *in, size_t n, char *out);

/* The most that one wh_base64_decode call decodes: this module is for keys
 * and signatures, not for bulk data. */
#define WH_BASE64_MAX_DECODED 1024

/*
 * Decodes `len` characters of `in` into out (cap bytes) and sets *outlen.
 * WH_EINVAL when the text is not canonical padded base64 or decodes to more
 * than cap (or WH_BASE64_MAX_DECODED) bytes; `what` names the value in the message ("public key").
 */
int wh_base64_decode(const char *in, size_t len, unsigned char *out,
                     size_t cap, size_t *outlen, const char *what,
                     wh_err *err);

#endif
