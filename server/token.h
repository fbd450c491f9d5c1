/*
 * token.h - the shape of wharfd's API tokens.
 *
 * A token reads `wht_<id>_<secret>`: `wht_` so that a leaked token is easy
 * to recognise (and to scan for), a 16-hex-digit id that names its record,
 * and 64 hex digits (32 random bytes) of secret.  The server keeps only the
 * SHA-256 of the secret: a token is shown once, when it is created.  The
 * secret is random, so a fast hash is enough (there is nothing to guess),
 * and the id lets the check compare one stored hash in constant time
 * instead of looking a secret up.
 */
#ifndef WH_TOKEN_H
#define WH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/error.h"
#include "storage/meta.h"

#define WH_TOKEN_PREFIX "wht_"
#define WH_TOKEN_SECRET_HEX 64
/* wht_ + id + _ + secret, and the NUL. */
#define WH_TOKEN_MAX (4 + WH_TOKEN_ID_LEN + 1 + WH_TOKEN_SECRET_HEX + 1)

/* Makes a new random token into `token` (WH_TOKEN_MAX bytes), its id, and
 * the hash of its secret (what is stored). */
int wh_token_generate(char token[WH_TOKEN_MAX], char id[WH_TOKEN_ID_LEN + 1],
                      unsigned char hash[32], wh_err *err);

/* Splits a presented token into its id and the hash of its secret; false
 * when the text is not shaped like a token. */
bool wh_token_parse(const char *token, char id[WH_TOKEN_ID_LEN + 1],
                    unsigned char hash[32]);

/* Whether a text has a token's shape (prefix, length, the '_' after the
 * id), e.g. a Basic password: an htpasswd password may start with wht_. */
bool wh_token_like(const char *s);

#endif
