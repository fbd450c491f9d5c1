/*
 * scope.h - what a bearer token may do: a list of scopes ACTION:PATTERN.
 *
 * A token's scopes arrive as text from an operator or an API call, such as
 * "push:acme-* yank:example.com/app read:*" (scopes separated by
 * blanks and/or commas).  ACTION is read, push, yank or * (all three);
 * PATTERN is * (every name), PREFIX* (every name starting with PREFIX; the
 * single * only at the very end), or one exact bindle name.  A pattern holds
 * only what a bindle name may hold (wh_name_validate), so that no pattern
 * can look like it grants something it does not.
 *
 * Limits on untrusted text: at most WH_SCOPES_MAX_TEXT bytes and
 * WH_SCOPES_MAX scopes.
 *
 * Ownership: wh_scopes_parse hands out a wh_scopes that owns its array and
 * every pattern in it; release it with wh_scopes_free and never free a field.
 * A parsed wh_scopes is never modified, so many threads may query it at once.
 */
#ifndef WH_SCOPE_H
#define WH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/error.h"

enum { WH_SCOPE_READ = 1u << 0, WH_SCOPE_PUSH = 1u << 1, WH_SCOPE_YANK = 1u << 2 };
#define WH_SCOPE_ALL 7u

#define WH_SCOPES_MAX_TEXT 4096
#define WH_SCOPES_MAX 64

typedef struct wh_scope {
    unsigned actions;  /* WH_SCOPE_* bits, never 0 */
    char *pattern;     /* without the trailing '*'; "" for the pattern `*` */
    bool prefix;       /* true for `x*` and for `*` */
} wh_scope;

typedef struct wh_scopes {
    wh_scope *v;
    size_t n;          /* at least 1 */
} wh_scopes;

/* Parses scope text.  Empty text (or only separators) is WH_EINVAL "no
 * scopes"; every refusal is WH_EINVAL, quotes the bad scope and says what is
 * expected.  On failure *out is NULL. */
int wh_scopes_parse(const char *text, wh_scopes **out, wh_err *err);

/* NULL is fine. */
void wh_scopes_free(wh_scopes *s);

/* True when some scope grants `action` (exactly one WH_SCOPE_* bit) on
 * `name`.  A NULL s, an action that is not one bit, or a name that is not a
 * valid bindle name gives false, so that a name like "a/../b" can never
 * slip under a prefix. */
bool wh_scopes_allow(const wh_scopes *s, unsigned action, const char *name);

/* True when some scope grants `action` on some name (for routes that are
 * not about one bindle, and to tell 401 from 403). */
bool wh_scopes_any(const wh_scopes *s, unsigned action);

/*
 * Writes the canonical text into buf (NUL-terminated): one scope per action,
 * actions written out, in the order of the scopes and then read, push,
 * yank, repeats left out: "push:acme-* read:*".  It parses back to
 * the same grants and formats to the same text again.  WH_ETOOBIG when it
 * does not fit in cap, or when written out it would be over the parse
 * limits (a token whose scopes could not be read back is no use).
 */
int wh_scopes_format(const wh_scopes *s, char *buf, size_t cap, wh_err *err);

#endif
