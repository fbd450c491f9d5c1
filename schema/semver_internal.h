/*
 * semver_internal.h - private to schema/semver.c and schema/semver_range.c;
 * no other file may include it.  The public API is semver.h.
 *
 * Ranges (semver_range.c) read the versions written in them with the same
 * parser, and order them with the same precedence, as plain versions
 * (semver.c), so that the two can never disagree; this header is how the
 * range half reaches those pieces.  They keep the external wh_semver_ prefix
 * only because they must link across the two files.
 *
 * Ownership: nothing here allocates.  Every function writes into buffers the
 * caller provides; wh_semver_byte_name returns either `buf` or a string
 * literal, never something to free.  A vparts points into storage it does
 * not own (a wh_semver's text, a range's copy of its text, or a literal).
 */
#ifndef WH_SEMVER_INTERNAL_H
#define WH_SEMVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "semver.h"

/* What precedence looks at: a version, or a range's comparator, which has
 * no text of its own and points at its prerelease elsewhere. */
typedef struct vparts {
    uint64_t major, minor, patch;
    const char *pre;
    size_t pre_len;
} vparts;

static inline vparts parts_of(const wh_semver *v)
{
    vparts p = {v->major, v->minor, v->patch, v->text + v->pre_off, v->pre_len};
    return p;
}

/* SemVer 2.0.0 precedence of two vparts: <0, 0, >0. */
int wh_semver_cmp_parts(const vparts *a, const vparts *b);

/* Quotes s[0, n) into buf for a message (see semver.c). */
void wh_semver_quote(char *buf, size_t cap, const char *s, size_t n);

/* Names the byte at s[i] for a message; returns buf or a literal. */
const char *wh_semver_byte_name(char *buf, size_t cap, const char *s, size_t n, size_t i);

/* Outcomes of wh_semver_scan_num. */
enum { NUM_OK, NUM_NONE, NUM_LEADING_ZERO, NUM_OVERFLOW };

/* Reads a run of digits at s[*pos]; returns a NUM_* outcome. */
int wh_semver_scan_num(const char *s, size_t n, size_t *pos, uint64_t *val);

/* Checks the prerelease (pre) or build identifiers in s[start, end); q is
 * the whole version, already quoted for messages. */
int wh_semver_check_idents(const char *s, size_t n, size_t start, size_t end, bool pre,
                           const char *q, wh_err *err);

/* wh_semver_parse on s[0, n), which need not be NUL-terminated. */
int wh_semver_parse_n(const char *s, size_t n, wh_semver *out, wh_err *err);

#endif
