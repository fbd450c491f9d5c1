/*
 * semver.h - SemVer 2.0.0 versions and npm-style version ranges.
 *
 * Bindle names every invoice NAME/VERSION with a strict SemVer 2.0.0 version,
 * and its search API filters by an npm (node-semver) range.  This module is
 * the one place that parses, orders and matches them, so the server, the
 * client and the database agree on what "1.2.3-rc.1 < 1.2.3" means.
 *
 * Ownership:
 *   - wh_semver is a plain value: it holds its own copy of the text, has no
 *     pointers, and may be copied with `=` or memcpy.
 *   - wh_semver_range_parse hands out a range that the caller owns and
 *     releases with wh_semver_range_free (NULL is accepted there).  The range
 *     keeps no pointer to the string it was parsed from.
 *
 * Error messages name the part that is wrong and quote the input (cut to a
 * readable length, non-printable bytes shown as '?'); positions in messages
 * count bytes from 1.
 */
#ifndef WH_SEMVER_H
#define WH_SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define WH_SEMVER_MAX 255 /* longest version string accepted, bytes */

typedef struct wh_semver {
    uint64_t major, minor, patch;
    char text[WH_SEMVER_MAX + 1];  /* the version as given, NUL-terminated */
    uint16_t pre_off, pre_len;     /* prerelease (without '-') inside text; pre_len 0 = none */
    uint16_t build_off, build_len; /* build metadata (without '+') inside text; 0 = none */
} wh_semver;

/*
 * Strict SemVer 2.0.0: MAJOR.MINOR.PATCH[-PRE][+BUILD]; no 'v' prefix, no
 * leading zeros in numeric parts or numeric prerelease identifiers,
 * identifiers non-empty and [0-9A-Za-z-], numbers must fit uint64, whole
 * string <= WH_SEMVER_MAX.  WH_EINVAL with a precise message (which part,
 * which character/position, why).  On failure *out is left zeroed.
 */
int wh_semver_parse(const char *s, wh_semver *out, wh_err *err);

/* SemVer 2.0 precedence: <0, 0, >0.  Build metadata is ignored, so two
 * versions that differ only in build metadata compare equal.  Here and below,
 * a wh_semver must come from wh_semver_parse (the offsets are trusted). */
int wh_semver_cmp(const wh_semver *a, const wh_semver *b);

/*
 * A byte string whose memcmp order equals wh_semver_cmp order (equal
 * precedence -> equal keys), for storing in a database column and sorting
 * there.  No key is a proper prefix of another, so a comparison that breaks
 * ties on length (SQLite BLOBs) orders them the same way.  Writes at most
 * `cap` bytes to `out`; *len gets the length (also on WH_ETOOBIG, where it is
 * the length that would have been needed).  WH_SEMVER_SORTKEY_MAX is always
 * enough.
 */
#define WH_SEMVER_SORTKEY_MAX 600
int wh_semver_sort_key(const wh_semver *v, unsigned char *out, size_t cap, size_t *len,
                       wh_err *err);

#define WH_SEMVER_RANGE_MAX 1024     /* longest range string accepted, bytes */
#define WH_SEMVER_RANGE_MAX_SETS 64  /* comparator sets joined by "||" */
#define WH_SEMVER_RANGE_MAX_CMPS 32  /* comparators written in one set */

typedef struct wh_semver_range wh_semver_range; /* opaque */

/*
 * npm (node-semver) range syntax, with includePrerelease=false: comparators
 * <, <=, >, >=, = and bare versions; ^ and ~; x / X / * wildcards and partial
 * versions (1, 1.2, 1.x, 1.2.*); hyphen ranges "A - B" with partials on
 * either side; "||" between comparator sets; whitespace between comparators
 * means AND; the empty string or "*" means any release.  A version with a
 * prerelease tag only satisfies a set when some comparator in that set has
 * the same major.minor.patch and a prerelease tag of its own.  Build metadata
 * is ignored.
 *
 * The semantics are node-semver 7.8's, checked against it case by case,
 * including its quirks: "v" and "=" prefixes ("^v1.2", "~=1.2"), "1.x.3"
 * refused as an x-range but read as "1.x" after ^ or ~, and "* || 1.0.0-rc"
 * collapsing to "*" (so the prerelease no longer matches).  On purpose it
 * differs in that it refuses "~>" (use "~"), accepts numbers up to
 * UINT64_MAX where node-semver stops at 2^53-1, and refuses garbage that
 * node-semver silently deletes, such as a stray '*' inside a version
 * ("1.2.3*") or a lone "+build" word.
 *
 * Limits: WH_SEMVER_RANGE_MAX bytes, WH_SEMVER_RANGE_MAX_SETS sets and
 * WH_SEMVER_RANGE_MAX_CMPS comparators per set (each ^, ~, x-range or
 * comparator as written counts one); over a limit is WH_ETOOBIG.  Invalid
 * syntax is WH_EINVAL with a message naming the bad part.
 *
 * *out is owned by the caller and freed with wh_semver_range_free; it is NULL
 * after a failure.
 */
int wh_semver_range_parse(const char *s, wh_semver_range **out, wh_err *err);

/* Whether v satisfies r (node-semver's satisfies(v, r)).  v must come from
 * wh_semver_parse. */
bool wh_semver_range_match(const wh_semver_range *r, const wh_semver *v);

void wh_semver_range_free(wh_semver_range *r);

#endif
