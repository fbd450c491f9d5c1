/*
 * keys_internal.h - private to schema/keys.c, schema/keyring.c and
 * schema/secret_keys.c; no other file may include it.  The public API is
 * keys.h.
 *
 * Keyrings (keyring.c) and secret-key files (secret_keys.c) are the same
 * TOML document but for the field that holds the key, so they read, check
 * and emit it with one set of helpers (keys.c), and can never disagree on
 * limits, field rules or messages.  These helpers carry the external
 * wh_keys_ prefix only because they must link across the three files.
 *
 * Ownership: wh_keys_parse_entries keeps the parsed document to itself: the `entry`
 * passed to its callback is borrowed and lives only during the call.  The
 * strings from wh_keys_get_string / wh_keys_get_label are borrowed from
 * `entry`.  wh_keys_strdup returns a malloc'd copy (free).
 * wh_keys_entry_json returns a new json_t reference (json_decref), and so
 * must the `entry` callback given to wh_keys_emit, whose *out is a malloc'd
 * buffer owned by the caller (free).
 */
#ifndef WH_KEYS_INTERNAL_H
#define WH_KEYS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "file.h"
#include "keys.h"


/* Reads one [[key]] table into `dst` (a keyring or a secret-key set). */
typedef int (*wh_keys_entry_fn)(void *dst, const json_t *entry,
                                const wh_keys_limits *lim, wh_err *err);

/* Parses a key file's TOML under `lim`, checks its top level (only version
 * and key; version "1.0", required or not; at most lim->max_keys tables)
 * and hands each [[key]] to `entry`, prefixing its errors with "key N". */
int wh_keys_parse_entries(const char *buf, size_t len, const wh_keys_limits *lim,
                          bool version_required, wh_keys_entry_fn entry, void *dst,
                          wh_err *err);

/* Refuses a field of `entry` that is not in the NULL-terminated `allowed`. */
int wh_keys_check_fields(const json_t *entry, const char *const *allowed,
                         wh_err *err);

/* The string `field` of `entry`, of at most `max` bytes and without a NUL;
 * *out is NULL when it is absent and not required. */
int wh_keys_get_string(const json_t *entry, const char *field, bool required,
                       size_t max, const char **out, wh_err *err);

/* The required, non-empty label of `entry`, of at most `max` bytes. */
int wh_keys_get_label(const json_t *entry, size_t max, const char **out,
                      wh_err *err);

/* The required, non-empty roles of `entry` as WH_ROLE_* bits. */
int wh_keys_get_roles(const json_t *entry, unsigned *out, wh_err *err);

/* A malloc'd copy of s; NULL when s is NULL or out of memory. */
char *wh_keys_strdup(const char *s);

/* Emits {version = "1.0", key = [entries]} as TOML, where `entry` builds
 * entry i of ctx (NULL when out of memory). */
int wh_keys_emit(size_t n, json_t *(*entry)(const void *, size_t),
                 const void *ctx, char **out, size_t *len, wh_err *err);

/* One [[key]] table: label, roles, kfield = kvalue, and labelSignature when
 * lsig is not NULL; NULL when out of memory. */
json_t *wh_keys_entry_json(const char *label, unsigned roles_mask,
                           const char *kfield, const char *kvalue,
                           const char *lsig);

#endif
