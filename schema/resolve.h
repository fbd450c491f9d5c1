/*
 * resolve.h - which parcels of an invoice a runtime needs (SPEC.md section 1,
 * "Resolution", rules 1-4), given a runtime profile: the features it sets,
 * the groups it asks for, and an optional target triple.  The client
 * (`wharf pull`) and the server (`GET /v1/_r/resolve/...`) both call this, so
 * that they can never disagree on what a profile means.
 *
 * Ownership: a wh_profile owns every string and array it holds (malloc'd);
 * wh_profile_clear frees them all and leaves an empty profile behind.  The
 * add/set functions copy their arguments.  wh_resolve allocates nothing the
 * caller must free: it writes into the caller's `selected` array.
 *
 * Decisions the SPEC leaves open, taken here:
 *
 *  - A feature is written SECTION.NAME=VALUE.  SECTION ends at the first '.'
 *    (so it holds neither '.' nor '='); NAME is what follows, up to the first
 *    '=', and may hold '.' (a TOML feature key can); VALUE is the rest and
 *    may be empty or hold '='.  Each part is at most 256 bytes, the whole is
 *    UTF-8, and SECTION and NAME hold no control characters.  Setting the
 *    same SECTION.NAME again replaces the value.
 *  - A requested group that the invoice does not define is an error naming
 *    it: the user asked for something that is not there.
 *  - An `optional` group selects its parcels only when the profile requests
 *    it, exactly as rule 3 says: `required = true` on it, or a selected
 *    parcel's `requires` naming it, does not select anything by itself.
 *  - A parcel with an empty `memberOf` list is in the global group, like one
 *    with none.
 *  - Undefined group names and `requires` cycles are errors whatever the
 *    profile, as they are for wh_invoice_validate: the invoice is broken,
 *    not the profile.  The resolver checks them itself because it may be
 *    handed an invoice that was never validated.
 */
#ifndef WH_RESOLVE_H
#define WH_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "invoice.h"

#define WH_PROFILE_MAX_FEATURES 64
#define WH_PROFILE_MAX_GROUPS 64
/* The longest SECTION, NAME, VALUE or group name, in bytes. */
#define WH_PROFILE_MAX_PART 256
/* The longest target triple, in bytes. */
#define WH_PROFILE_MAX_TARGET 128

typedef struct wh_profile_feature {
    char *section, *name, *value;
} wh_profile_feature;

typedef struct wh_profile {            /* owns its strings (malloc) */
    wh_profile_feature *features;
    size_t n_features;
    char **groups;
    size_t n_groups;
    char *target;                      /* NULL when none */
} wh_profile;

/* Makes *p an empty profile. */
void wh_profile_init(wh_profile *p);

/* Frees everything *p owns and makes it empty again. */
void wh_profile_clear(wh_profile *p);

/*
 * Adds "SECTION.NAME=VALUE" (see above for the grammar).  WH_EINVAL quoting
 * the text when it is malformed, or when the profile already sets
 * WH_PROFILE_MAX_FEATURES other features; WH_ENOMEM.  On failure the
 * profile is unchanged.
 */
int wh_profile_add_feature(wh_profile *p, const char *text, wh_err *err);

/* Requests a group by name (1..256 bytes of UTF-8 without control
 * characters); requesting it twice is the same as once.  WH_EINVAL past
 * WH_PROFILE_MAX_GROUPS distinct groups. */
int wh_profile_add_group(wh_profile *p, const char *name, wh_err *err);

/* Sets the target triple: 1..128 bytes of [a-z0-9_.+-]; replaces any earlier
 * one. */
int wh_profile_set_target(wh_profile *p, const char *triple, wh_err *err);

/*
 * Resolves: selected[i] is set true for each parcel index of inv->parcels
 * that the profile needs, false for the others (selected holds
 * inv->n_parcels entries; it may be NULL when there are none).  `prof` NULL
 * is the empty profile.  Rules 1-4 of SPEC section 1; rule 5 (AOT) is not
 * this function's.  WH_EINVAL naming the group for rule 4's errors (a
 * required oneOf group with no eligible parcel; an undefined group,
 * requested or named in memberOf / requires; a requires cycle), with every
 * entry of selected false.  Work is linear in the invoice's size plus the
 * square of its group count (the cycle check).
 */
int wh_resolve(const wh_invoice *inv, const wh_profile *prof, bool *selected,
               wh_err *err);

/* True when the parcel's label passes rule 1 under the profile: every
 * feature it carries is set by the profile to exactly that value. */
bool wh_resolve_eligible(const wh_label *label, const wh_profile *prof);

#endif
