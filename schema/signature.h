/*
 * signature.h - signing and verifying invoices the way Bindle does
 * (SPEC.md section 2), and Bindle's six verification strategies.
 *
 * What is signed (the "cleartext") is a few lines joined by "\n", with no
 * trailing newline:
 *
 *     invoice signature:  by, bindle name, version, role, "~",
 *                         then each parcel's sha256 in invoice order
 *     yank signature:     by, bindle name, version, "host", at, yanked, "~",
 *                         then yanked_reason ("" when absent)
 *
 * In the yank cleartext `at` is the decimal unix time of that signature
 * (the same number as its `at` field) and `yanked` is "true" or "false" as
 * the invoice says (a yank signature is only made on a yanked invoice, so in
 * practice "true").  Bindle never shipped yank signatures; this is Wharf's
 * reading of SPEC.md.  `at` of an invoice signature is not covered.
 *
 * Ownership: signatures that wh_sig_sign / wh_sig_sign_yank add to an
 * invoice, and every string in them, are allocated from `inv->arena` and
 * belong to the invoice.  Buffers from the _cleartext functions are
 * malloc'd; the caller frees them with free().  A wh_strategy is a plain
 * value with no pointers.
 */
#ifndef WH_SIGNATURE_H
#define WH_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "invoice.h"
#include "keys.h"

/* The cleartext of an invoice signature by `by` in role `role` (its
 * lowercase name, as the signature's `role` field holds it). */
int wh_sig_cleartext(const wh_invoice *inv, const char *by, const char *role,
                     char **out, size_t *len, wh_err *err);

/* The cleartext of a yank signature by `by` made at `at`. */
int wh_sig_yank_cleartext(const wh_invoice *inv, const char *by, int64_t at,
                          char **out, size_t *len, wh_err *err);

/*
 * Signs the invoice with `key` in `role` (one WH_ROLE_* bit, which the key
 * must hold) and appends the [[signature]] {by = the key's label, signature,
 * key, role, at}.  WH_EEXIST when that key already signed the invoice;
 * WH_EINVAL for a role the key does not hold.
 */
int wh_sig_sign(wh_invoice *inv, const wh_secret_key *key, unsigned role,
                int64_t at, wh_err *err);

/*
 * Signs the yank with `key` (which must hold the host role) and appends it
 * to yanked_signature.  WH_EINVAL when the invoice is not yanked; WH_EEXIST
 * when that key already signed the yank.
 */
int wh_sig_sign_yank(wh_invoice *inv, const wh_secret_key *key, int64_t at,
                     wh_err *err);

/*
 * Checks one signature of the invoice cryptographically: role known, key
 * and signature well-formed, and the signature valid for the cleartext.
 * Does not look at any keyring.  WH_EINVAL with the reason.
 */
int wh_sig_verify(const wh_invoice *inv, const wh_signature *sig,
                  wh_err *err);

/* The same for one entry of yanked_signature (role must be "host"). */
int wh_sig_verify_yank(const wh_invoice *inv, const wh_signature *sig,
                       wh_err *err);

/* ---- verification strategies ---- */

typedef enum wh_strategy_kind {
    WH_STRATEGY_CREATIVE_INTEGRITY,
    WH_STRATEGY_AUTHORITATIVE_INTEGRITY,
    WH_STRATEGY_GREEDY_VERIFICATION,
    WH_STRATEGY_EXHAUSTIVE_VERIFICATION,
    WH_STRATEGY_MULTIPLE_ATTESTATION,
    WH_STRATEGY_MULTIPLE_ATTESTATION_GREEDY
} wh_strategy_kind;

typedef struct wh_strategy {
    wh_strategy_kind kind;
    unsigned roles;     /* WH_ROLE_* bits; only for the MultipleAttestation* */
} wh_strategy;

/* Enough for the longest strategy name with all four roles. */
#define WH_STRATEGY_NAME_MAX 96

/*
 * Parses "CreativeIntegrity", ..., "MultipleAttestation[Creator, Approver]"
 * as Bindle does: case-insensitive, surrounding blanks ignored, blanks
 * around each role ignored.  The MultipleAttestation strategies need a
 * non-empty role list in brackets; the others take none.  WH_EINVAL with
 * the reason otherwise.
 */
int wh_strategy_parse(const char *s, wh_strategy *out, wh_err *err);

/* Writes the canonical spelling ("MultipleAttestation[Creator,Host]") into
 * buf (WH_STRATEGY_NAME_MAX bytes is always enough). */
void wh_strategy_format(const wh_strategy *st, char *buf, size_t cap);

/*
 * Verifies the invoice's signatures against a keyring under a strategy, as
 * Bindle does (the key must be in the keyring; the keyring entry's own
 * roles are not consulted).  An invoice without signatures always fails.
 * Whatever the strategy, every role must be one of the four and no key may
 * sign twice.  Then:
 *
 *   CreativeIntegrity       every creator signature valid and by a known
 *                           key; at least one creator; others ignored.
 *   AuthoritativeIntegrity  every creator and approver signature valid; at
 *                           least one of them by a known key; others ignored.
 *   GreedyVerification      every signature valid and by a known key; at
 *                           least one creator.
 *   ExhaustiveVerification  every signature valid and by a known key.
 *   MultipleAttestation[R]  every signature in roles R valid and by a known
 *                           key; at least one per role of R; others ignored.
 *   MultipleAttestationGreedy[R]  every signature valid and by a known key;
 *                           at least one per role of R.
 *
 * WH_EINVAL on failure, naming the signature (index, by, role) and why.
 */
int wh_sig_verify_invoice(const wh_invoice *inv, const wh_keyring *kr,
                          const wh_strategy *st, wh_err *err);

/*
 * Mirrors (docs/security.md): an invoice carrying the wharf.mirror.source
 * annotation was made from another registry's OCI manifest, whose author
 * signed nothing a Bindle signature could check; whoever mirrored it signs
 * as proxy.  wh_strategy_for_mirror gives the strategy such an invoice is
 * held to when `st` refuses it: `st` with proxy where it asks for creator
 * (CreativeIntegrity and AuthoritativeIntegrity become
 * MultipleAttestation[Proxy], GreedyVerification
 * MultipleAttestationGreedy[Proxy]); false when `st` asks for no creator.
 * The server applies it to what it accepts, the client to what it pulls.
 */
bool wh_invoice_is_mirror(const wh_invoice *inv);
bool wh_strategy_for_mirror(const wh_strategy *st, wh_strategy *out);

#endif
