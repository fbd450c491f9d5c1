/*
 * pins.h - trust on first use for creator keys, like ssh's known_hosts.
 *
 * The first pull of a name records the creator keys that signed it in
 * $XDG_CONFIG_HOME/wharf/pins.toml; later pulls of that name must be signed
 * by a pinned key (or a key the user trusts outright, `wharf keys add`),
 * and fail loudly otherwise.  The file:
 *
 *     [[pin]]
 *     name = "example.com/app"
 *     key = "<base64 public key>"
 *     label = "Alice <alice@example.com>"
 *     at = 1795253199
 *
 * Ownership: a wh_pins owns everything in it (wh_pins_free).
 */
#ifndef WH_CLI_PINS_H
#define WH_CLI_PINS_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "schema/keys.h"

typedef struct wh_pin {
    char *name;
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    char *label;
    int64_t at;
} wh_pin;

typedef struct wh_pins {
    char *path;
    wh_pin *v;
    size_t n, cap;
} wh_pins;

/* Loads the pins file of cli (an empty set when it does not exist); every
 * message names the file. */
int wh_pins_load(const wh_cli *cli, wh_pins **out, wh_err *err);

/* Adds the keys pinned for `name` to kr (those it does not hold yet);
 * *n gets how many pins the name has. */
int wh_pins_add_to_keyring(const wh_pins *p, const char *name, wh_keyring *kr,
                           size_t *n, wh_err *err);

/* Pins a key for a name (nothing when it already is). */
int wh_pins_add(wh_pins *p, const char *name,
                const unsigned char key[WH_ED25519_PUBLIC_LEN],
                const char *label, int64_t at, wh_err *err);

/* Writes the file atomically (0600, its directory 0700). */
int wh_pins_save(const wh_pins *p, wh_err *err);

void wh_pins_free(wh_pins *p);

#endif
