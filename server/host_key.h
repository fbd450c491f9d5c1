/*
 * host_key.h - wharfd's own signing key.
 *
 * The host signs every invoice it accepts and every yank, so that a client
 * can tell an invoice came through this server unchanged.  The key lives in
 * DATA/host_key.toml, a Bindle secret-key file with mode 0600, created with
 * a fresh key on first start and refused later if anyone loosened its mode.
 *
 * Ownership: *out is the caller's, freed with wh_secret_keys_free; *key
 * points into it.
 */
#ifndef WH_HOST_KEY_H
#define WH_HOST_KEY_H

#include "schema/error.h"
#include "schema/keys.h"

/* Loads DATA/host_key.toml, creating it when absent; *key is its host key.
 * *created says whether this call made it. */
int wh_host_key_open(const char *data_dir, wh_secret_keys **out,
                     const wh_secret_key **key, bool *created, wh_err *err);

#endif
