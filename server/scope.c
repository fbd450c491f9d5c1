/*
 * scope.c - parsing, checking and writing token scopes (see scope.h).
 */
#include "server/scope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/invoice.h"
#include "schema/invoice_json.h"

#define EXPECTED                                                             \
    "expected ACTION:PATTERN, where ACTION is read, push, yank or * and "     \
    "PATTERN is *, a bindle name, or the start of one followed by *"

static const struct {
    const char *name;
    unsigned bits;
} actions[] = {
    {"read", WH_SCOPE_READ},
    {"push", WH_SCOPE_PUSH},
    {"yank", WH_SCOPE_YANK},
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

static bool is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',';
}

static int parse_action(const char *s, size_t n, unsigned *out)
{
    if (n == 1 && s[0] == '*') {
        *out = WH_SCOPE_ALL;
        return 0;
    }
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strlen(actions[i].name) == n && memcmp(actions[i].name, s, n) == 0) {
            *out = actions[i].bits;
            return 0;
        }
    return WH_EINVAL;
}

/*
 * A prefix is acceptable when some valid bindle name starts with it, so a
 * scope never looks broader or different from what it grants.  A prefix not
 * ending in '/' is then itself a valid name; one ending in '/' is a valid
 * name followed by '/' (names may not end in '/', but may continue after
 * one).  Checking it that way keeps wh_name_validate's messages accurate.
 */
static int check_prefix(char *p, size_t n, wh_err *err)
{
    if (p[n - 1] != '/')
        return wh_name_validate(p, err);
    if (n == 1)
        return wh_err_set(err, WH_EINVAL, "a bindle name never starts with '/'");
    if (p[n - 2] == '/')
        return wh_err_set(err, WH_EINVAL, "a bindle name never contains \"//\"");
    p[n - 1] = '\0';
    int rc = wh_name_validate(p, err);
    p[n - 1] = '/';
    return rc;
}

/* Parses one scope, tok (NUL-terminated, no separators), into *sc. */
static int parse_one(char *tok, wh_scope *sc, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    wh_err why = {0};
    char *colon = strchr(tok, ':');
    if (!colon)
        return wh_err_set(err, WH_EINVAL, "scope %s has no ':'; " EXPECTED,
                          wh_str_quote(tok, q));
    size_t alen = (size_t)(colon - tok);
    if (parse_action(tok, alen, &sc->actions)) {
        char qa[WH_QUOTE_MAX];
        bool upper = false;
        for (size_t i = 0; i < N_ACTIONS; i++)
            upper |= strlen(actions[i].name) == alen &&
                     strncasecmp(actions[i].name, tok, alen) == 0;
        *colon = '\0';
        wh_str_quote(tok, qa);
        *colon = ':';
        return wh_err_set(err, WH_EINVAL,
                          "scope %s has the unknown action %s%s; " EXPECTED,
                          wh_str_quote(tok, q), qa,
                          upper ? " (actions are lowercase)" : "");
    }
    char *pat = colon + 1;
    size_t n = strlen(pat);
    if (n == 0)
        return wh_err_set(err, WH_EINVAL, "scope %s has an empty pattern; " EXPECTED,
                          wh_str_quote(tok, q));
    char *star = strchr(pat, '*');
    if (star && star != pat + n - 1)
        return wh_err_set(err, WH_EINVAL,
                          "scope %s has a '*' that is not at the end of the "
                          "pattern; " EXPECTED,
                          wh_str_quote(tok, q));
    int rc = 0;
    sc->prefix = star != NULL;
    if (sc->prefix) {
        n--;
        if (n > 0) {
            *star = '\0';
            rc = check_prefix(pat, n, &why);
            *star = '*';
        }
    } else {
        rc = wh_name_validate(pat, &why);
    }
    if (rc)
        return wh_err_set(err, WH_EINVAL,
                          "scope %s has a bad pattern (%s); " EXPECTED,
                          wh_str_quote(tok, q), why.msg);
    sc->pattern = strndup(pat, n);
    if (!sc->pattern)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    return 0;
}

/* The scopes in text, counting no further than WH_SCOPES_MAX + 1. */
static size_t count_scopes(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p && n <= WH_SCOPES_MAX;) {
        while (*p && is_sep(*p))
            p++;
        if (!*p)
            break;
        n++;
        while (*p && !is_sep(*p))
            p++;
    }
    return n;
}

int wh_scopes_parse(const char *text, wh_scopes **out, wh_err *err)
{
    int rc = 0;
    wh_scopes *s = NULL;
    *out = NULL;
    if (!text)
        return wh_err_set(err, WH_EINVAL, "no scopes; " EXPECTED);
    size_t len = strnlen(text, WH_SCOPES_MAX_TEXT + 1);
    if (len > WH_SCOPES_MAX_TEXT) {
        char q[WH_QUOTE_MAX];
        return wh_err_set(err, WH_EINVAL,
                          "the scope list %s is over %d bytes long; at most %d "
                          "scopes ACTION:PATTERN in at most %d bytes are allowed",
                          wh_str_quote(text, q), WH_SCOPES_MAX_TEXT,
                          WH_SCOPES_MAX, WH_SCOPES_MAX_TEXT);
    }
    size_t want = count_scopes(text);
    if (want == 0)
        return wh_err_set(err, WH_EINVAL, "no scopes; " EXPECTED);
    if (want > WH_SCOPES_MAX)
        want = WH_SCOPES_MAX;
    /* The whole text is at most WH_SCOPES_MAX_TEXT bytes, so any one scope
     * fits here with its NUL. */
    char tok[WH_SCOPES_MAX_TEXT + 1];
    s = calloc(1, sizeof *s);
    if (!s || !(s->v = calloc(want, sizeof *s->v))) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (const char *p = text;;) {
        while (*p && is_sep(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_sep(*p))
            p++;
        size_t tlen = (size_t)(p - start);
        memcpy(tok, start, tlen);
        tok[tlen] = '\0';
        if (s->n == WH_SCOPES_MAX) {
            char q[WH_QUOTE_MAX];
            rc = wh_err_set(err, WH_EINVAL,
                            "too many scopes: %s is number %d, and at most %d "
                            "are allowed; use a prefix pattern such as "
                            "read:example.com/* to cover many names",
                            wh_str_quote(tok, q), WH_SCOPES_MAX + 1, WH_SCOPES_MAX);
            goto done;
        }
        if ((rc = parse_one(tok, &s->v[s->n], err)))
            goto done;
        s->n++;
    }
    *out = s;
    s = NULL;
done:
    wh_scopes_free(s);
    return rc;
}

void wh_scopes_free(wh_scopes *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].pattern);
    free(s->v);
    free(s);
}

static bool scope_matches(const wh_scope *sc, const char *name)
{
    if (sc->prefix)
        return strncmp(name, sc->pattern, strlen(sc->pattern)) == 0;
    return strcmp(name, sc->pattern) == 0;
}

static bool one_action(unsigned action)
{
    return action == WH_SCOPE_READ || action == WH_SCOPE_PUSH ||
           action == WH_SCOPE_YANK;
}

bool wh_scopes_allow(const wh_scopes *s, unsigned action, const char *name)
{
    if (!s || !name || !one_action(action) || wh_name_validate(name, NULL))
        return false;
    for (size_t i = 0; i < s->n; i++)
        if ((s->v[i].actions & action) && s->v[i].pattern &&
            scope_matches(&s->v[i], name))
            return true;
    return false;
}

bool wh_scopes_any(const wh_scopes *s, unsigned action)
{
    if (!s || !one_action(action))
        return false;
    for (size_t i = 0; i < s->n; i++)
        if ((s->v[i].actions & action) && s->v[i].pattern)
            return true;
    return false;
}

static bool same_pattern(const wh_scope *a, const wh_scope *b)
{
    return a->prefix == b->prefix && strcmp(a->pattern, b->pattern) == 0;
}

/* Whether action `bits` on scope i's pattern was already written by an
 * earlier scope, so that repeats do not make the canonical text grow. */
static bool written_before(const wh_scopes *s, size_t i, unsigned bits)
{
    for (size_t j = 0; j < i; j++)
        if ((s->v[j].actions & bits) && s->v[j].pattern &&
            same_pattern(&s->v[j], &s->v[i]))
            return true;
    return false;
}

int wh_scopes_format(const wh_scopes *s, char *buf, size_t cap, wh_err *err)
{
    if (!buf || cap == 0)
        return wh_err_set(err, WH_ETOOBIG, "no room for the scopes");
    buf[0] = '\0';
    if (!s)
        return wh_err_set(err, WH_EINVAL, "no scopes to write");
    size_t len = 0, count = 0;
    for (size_t i = 0; i < s->n; i++) {
        const wh_scope *sc = &s->v[i];
        if (!sc->pattern)
            continue;
        for (size_t a = 0; a < N_ACTIONS; a++) {
            if (!(sc->actions & actions[a].bits) ||
                written_before(s, i, actions[a].bits))
                continue;
            size_t piece = (count ? 1 : 0) + strlen(actions[a].name) + 1 +
                           strlen(sc->pattern) + (sc->prefix ? 1 : 0);
            if (++count > WH_SCOPES_MAX || len + piece > WH_SCOPES_MAX_TEXT) {
                buf[0] = '\0';
                return wh_err_set(err, WH_ETOOBIG,
                                  "the scopes written out one action each are "
                                  "over the limit of %d scopes or %d bytes; "
                                  "use fewer scopes or broader patterns",
                                  WH_SCOPES_MAX, WH_SCOPES_MAX_TEXT);
            }
            if (len + piece >= cap) {
                buf[0] = '\0';
                return wh_err_set(err, WH_ETOOBIG,
                                  "the scopes do not fit in %zu bytes", cap);
            }
            len += (size_t)snprintf(buf + len, cap - len, "%s%s:%s%s",
                                    count > 1 ? " " : "", actions[a].name,
                                    sc->pattern, sc->prefix ? "*" : "");
        }
    }
    if (count == 0)
        return wh_err_set(err, WH_EINVAL, "no scopes to write");
    return 0;
}
