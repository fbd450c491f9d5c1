/*
 * keys.h - Ed25519 keys, roles, keyrings and secret-key files
 * (SPEC.md section 2), in Bindle's formats.
 *
 * A keyring is the list of public keys a verifier trusts:
 *
 *     version = "1.0"
 *     [[key]]
 *     label = "Name <mail>"
 *     roles = ["creator"]
 *     key = "<base64 of the 32-byte public key>"
 *     labelSignature = "<base64>"          # optional
 *
 * A secret-key file holds keys that can sign; it must be readable by its
 * owner only (mode 0600), and is refused otherwise:
 *
 *     version = "1.0"                       # optional
 *     [[key]]
 *     label = "Name <mail>"
 *     keypair = "<base64 of 32-byte seed then 32-byte public key>"
 *     roles = ["host"]
 *
 * Unknown fields are refused, as Bindle does.  All cryptography goes through
 * OpenSSL 3's EVP interface.
 *
 * Implemented in three files: keys.c (roles, raw Ed25519, key decoding and
 * what both file formats share), keyring.c (wh_keyring_*) and
 * secret_keys.c (wh_secret_keys_*).
 *
 * Ownership: a wh_keyring or wh_secret_keys owns every entry and string
 * reachable from it (malloc'd); free the whole with wh_keyring_free /
 * wh_secret_keys_free, never a field.  Pointers to entries (from _find, or
 * the arrays themselves) stay valid until the next _add / _generate or the
 * _free.  Buffers from the _emit functions are malloc'd and the caller
 * frees them with free().
 */
#ifndef WH_KEYS_H
#define WH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define WH_ED25519_PUBLIC_LEN 32
#define WH_ED25519_SEED_LEN 32
#define WH_ED25519_KEYPAIR_LEN 64   /* seed then public key */
#define WH_ED25519_SIG_LEN 64

/* The length of the base64 of a public key / a signature, without the NUL. */
#define WH_PUBLIC_B64_LEN 44
#define WH_SIG_B64_LEN 88

/* Roles, as a bitmask so that a key can hold several. */
enum {
    WH_ROLE_CREATOR = 1u << 0,
    WH_ROLE_APPROVER = 1u << 1,
    WH_ROLE_PROXY = 1u << 2,
    WH_ROLE_HOST = 1u << 3
};
#define WH_ROLE_ALL 0xfu

/* Parses one role name, case-insensitively ("creator", "Creator") into its
 * bit; WH_EINVAL naming the text otherwise. */
int wh_role_parse(const char *s, unsigned *out, wh_err *err);

/* The lowercase name of a single role bit ("creator"); NULL when `role` is
 * not exactly one known bit. Static storage. */
const char *wh_role_name(unsigned role);

/* Copies s into dst (cap bytes) for quoting in a message: cut to fit at a
 * character boundary, control characters and '"' replaced by '?', so that
 * the message stays valid UTF-8 and unambiguous. */
void wh_keys_shorten(char *dst, size_t cap, const char *s);

/* ---- raw Ed25519 ---- */

/* Derives the public key of a 32-byte seed. */
int wh_ed25519_public(const unsigned char seed[WH_ED25519_SEED_LEN],
                      unsigned char pub[WH_ED25519_PUBLIC_LEN], wh_err *err);

/* Signs `len` bytes of msg with the key of that seed. */
int wh_ed25519_sign(const unsigned char seed[WH_ED25519_SEED_LEN],
                    const void *msg, size_t len,
                    unsigned char sig[WH_ED25519_SIG_LEN], wh_err *err);

/* 0 when sig is a valid signature of msg by pub; WH_EINVAL otherwise
 * (a malformed key included). */
int wh_ed25519_verify(const unsigned char pub[WH_ED25519_PUBLIC_LEN],
                      const void *msg, size_t len,
                      const unsigned char sig[WH_ED25519_SIG_LEN],
                      wh_err *err);

/* Decodes base64 that must give exactly `want` bytes (32 for a public key,
 * 64 for a keypair or a signature); `what` names the value in messages. */
int wh_key_decode(const char *b64, unsigned char *out, size_t want,
                  const char *what, wh_err *err);

/* ---- keyrings ---- */

typedef struct wh_keyring_entry {
    char *label;
    unsigned roles;                              /* WH_ROLE_* bits, never 0 */
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    char *label_signature;                       /* base64, NULL if absent */
} wh_keyring_entry;

typedef struct wh_keyring {
    wh_keyring_entry *keys;
    size_t n;
    size_t cap;
} wh_keyring;

/* Limits applied while parsing untrusted key files (keyrings and
 * secret-key files alike). */
typedef struct wh_keys_limits {
    size_t max_bytes;   /* the document's size */
    size_t max_keys;    /* [[key]] entries */
    size_t max_label;   /* bytes of one label */
} wh_keys_limits;

/* 1 MiB, 10000 keys, 1024-byte labels. */
extern const wh_keys_limits wh_keys_default_limits;

/* An empty keyring (version "1.0"); NULL when out of memory. */
wh_keyring *wh_keyring_new(void);

/* Frees the keyring and every entry. NULL is a no-op. */
void wh_keyring_free(wh_keyring *kr);

/*
 * Parses a keyring of `len` bytes into a new keyring in *out (caller frees
 * with wh_keyring_free); `limits` NULL means the defaults.  Refuses: a
 * version other than "1.0", unknown fields, a label that is empty, too long
 * or holds a NUL, unknown or missing roles, a key that is not base64 of
 * exactly 32 bytes, a labelSignature that is not base64 of 64 bytes, the
 * same key twice.  On failure *out is NULL.
 */
int wh_keyring_parse(const char *buf, size_t len,
                     const wh_keys_limits *limits, wh_keyring **out,
                     wh_err *err);

/* Reads and parses the keyring at `path`; every message names the file.
 * WH_ENOTFOUND when it does not exist, WH_EIO when it cannot be read. */
int wh_keyring_load(const char *path, const wh_keys_limits *limits,
                    wh_keyring **out, wh_err *err);

/* Writes the keyring as TOML (deterministic; parses back equal). */
int wh_keyring_emit(const wh_keyring *kr, char **out, size_t *len,
                    wh_err *err);

/* Appends a key (copying label and label_signature, which may be NULL).
 * WH_EEXIST when the keyring already holds that public key. */
int wh_keyring_add(wh_keyring *kr, const char *label, unsigned roles,
                   const unsigned char key[WH_ED25519_PUBLIC_LEN],
                   const char *label_signature, wh_err *err);

/* The entry holding that public key; NULL when none. */
const wh_keyring_entry *wh_keyring_find(
    const wh_keyring *kr, const unsigned char key[WH_ED25519_PUBLIC_LEN]);

/* ---- secret keys ---- */

typedef struct wh_secret_key {
    char *label;
    unsigned roles;                               /* WH_ROLE_* bits, never 0 */
    unsigned char seed[WH_ED25519_SEED_LEN];
    unsigned char pub[WH_ED25519_PUBLIC_LEN];     /* always matches seed */
} wh_secret_key;

typedef struct wh_secret_keys {
    wh_secret_key *keys;
    size_t n;
    size_t cap;
} wh_secret_keys;

/* An empty secret-key file; NULL when out of memory. */
wh_secret_keys *wh_secret_keys_new(void);

/* Frees it, wiping the seeds first. NULL is a no-op. */
void wh_secret_keys_free(wh_secret_keys *sk);

/*
 * Parses a secret-key file from a buffer (no permission check: that is
 * wh_secret_keys_load's).  Refuses what wh_keyring_parse refuses, a keypair
 * that is not base64 of exactly 64 bytes, and a keypair whose public half
 * is not the key of its seed.
 */
int wh_secret_keys_parse(const char *buf, size_t len,
                         const wh_keys_limits *limits, wh_secret_keys **out,
                         wh_err *err);

/* Loads the file at `path`, refusing it (WH_EINVAL, naming the file and its
 * mode) when group or others may read or write it (mode & 077). */
int wh_secret_keys_load(const char *path, const wh_keys_limits *limits,
                        wh_secret_keys **out, wh_err *err);

/* Writes the file as TOML. The buffer holds secrets: the caller should wipe
 * it before freeing. */
int wh_secret_keys_emit(const wh_secret_keys *sk, char **out, size_t *len,
                        wh_err *err);

/* Saves to `path` atomically: a new 0600 file in the same directory,
 * fsynced, then renamed over `path`. */
int wh_secret_keys_save(const wh_secret_keys *sk, const char *path,
                        wh_err *err);

/* Appends a freshly generated key (OpenSSL's RAND) with that label and
 * roles; *out (may be NULL) gets the new entry. */
int wh_secret_keys_generate(wh_secret_keys *sk, const char *label,
                            unsigned roles, const wh_secret_key **out,
                            wh_err *err);

/* The first key that holds `role`; NULL when none. */
const wh_secret_key *wh_secret_keys_find_role(const wh_secret_keys *sk,
                                              unsigned role);

/* Adds the public half of `key` to a keyring, with a labelSignature (the
 * key's signature over its label) so that the entry proves possession. */
int wh_keyring_add_secret(wh_keyring *kr, const wh_secret_key *key,
                          wh_err *err);

#endif
