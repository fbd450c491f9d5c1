/*
 * keystore.h - the user's two key files as wharf's commands use them: the
 * secret-key file (keys that sign; cli->keys_path) and the keyring of
 * public keys the user trusts (cli->keyring_path).
 *
 * Both are optional until the first key is made or trusted: a missing file
 * loads as an empty set, and saving creates its directory (0700).  The
 * schema/ layer does the parsing, the checks and the formats; this layer
 * only adds those defaults and the messages that say which file and what to
 * do.
 *
 * Ownership: *out of the _load functions is a new set owned by the caller
 * (wh_secret_keys_free / wh_keyring_free).  wh_cli_roles_json returns a new
 * json_t reference (json_decref).  Text goes into the caller's buffers.
 */
#ifndef WH_CLI_KEYSTORE_H
#define WH_CLI_KEYSTORE_H

#include <stddef.h>

#include <jansson.h>

#include "cli.h"
#include "schema/keys.h"

/* What to do when the secret-key file cannot be used. */
#define WH_CLI_HINT_KEYS "fix the secret-key file, or choose another with --keys"

/* The secret keys at cli->keys_path; an empty set when the file does not
 * exist.  A file that others may read is refused (schema/keys.h). */
int wh_cli_secret_keys_load(const wh_cli *cli, wh_secret_keys **out,
                            wh_err *err);

/* Saves them at cli->keys_path (0600), creating its directory. */
int wh_cli_secret_keys_save(const wh_cli *cli, const wh_secret_keys *sk,
                            wh_err *err);

/* The keyring at `path`; an empty one when the file does not exist. */
int wh_cli_keyring_load(const char *path, wh_keyring **out, wh_err *err);

/* Saves the keyring at `path` atomically, creating its directory. */
int wh_cli_keyring_save(const char *path, const wh_keyring *kr, wh_err *err);

/* Generates a key with that label (NULL: wh_cli_default_label) and roles,
 * appends it to sk and saves sk; *out (may be NULL) gets the new entry. */
int wh_cli_key_create(const wh_cli *cli, wh_secret_keys *sk, const char *label,
                      unsigned roles, const wh_secret_key **out, wh_err *err);

/*
 * The key to sign with: the one labelled `label` (which must hold `role`),
 * else the first holding `role`.  With no key at all, creates one (saying
 * so).  On failure *hint says what the user can do.
 */
int wh_cli_pick_key(const wh_cli *cli, wh_secret_keys *sk, const char *label,
                    unsigned role, const wh_secret_key **out, const char **hint,
                    wh_err *err);

#define WH_CLI_USAGE_KEYS_FETCH                                                          \
    "usage: wharf keys fetch [--yes]\n"                                    \
    "  Gets the server's host keys (GET /v1/bindle-keys), shows each one's\n" \
    "  label and fingerprint (the first 16 bytes of the SHA-256 of the raw\n" \
    "  key), asks whether to trust them and adds them to your keyring as\n" \
    "  host keys, labelled \"LABEL (from SERVER)\".  `wharf verify\n"      \
    "  NAME/VERSION` then checks that releases carry their signature.\n"    \
    "  --yes (-y) trusts them without asking; it is required when stdin\n" \
    "  is not a terminal.\n"

/* A keyring entry's labelSignature, when it has one, must be its key's
 * signature over its label; WH_EINVAL otherwise. */
int wh_cli_check_label_signature(const wh_keyring_entry *e, wh_err *err);

/* `wharf keys fetch` (keys_fetch.c): argv[0] is "fetch". */
int wh_cli_keys_fetch(wh_cli *cli, int argc, char **argv);

/* "$USER@hostname", as far as they are known. */
void wh_cli_default_label(char *buf, size_t cap);

/* The roles as "creator,approver" in buf. */
const char *wh_cli_roles_text(unsigned roles, char *buf, size_t cap);

/* The roles as a JSON array of names; NULL when out of memory. */
json_t *wh_cli_roles_json(unsigned roles);

/* Parses the value of a --role option for a key that signs: creator,
 * approver or proxy (host is the server's), adding its bit to *roles. */
int wh_cli_signing_role(const char *s, unsigned *roles, wh_err *err);

#endif
