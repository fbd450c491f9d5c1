/*
 * fuzz_scopes.c - wh_scopes_parse on arbitrary bytes.
 *
 * Besides not crashing: a refusal carries a negative code and a non-empty
 * UTF-8 message, and hands nothing out; what parses keeps the limits, grants
 * each exact pattern to its own actions and each prefix to a name under it;
 * its canonical text (when not over the limits written out) parses back to
 * scopes that grant the same on every name tried, and formats to the same
 * text again.  Any broken invariant aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "server/scope.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Room for the canonical text of any parse, whatever the format limits. */
#define OUT_CAP (4 * WH_SCOPES_MAX_TEXT)

static const unsigned one_actions[] = {WH_SCOPE_READ, WH_SCOPE_PUSH,
                                       WH_SCOPE_YANK};

static void same_grants(const wh_scopes *a, const wh_scopes *b, const char *name)
{
    for (size_t i = 0; i < 3; i++)
        if (wh_scopes_allow(a, one_actions[i], name) !=
            wh_scopes_allow(b, one_actions[i], name)) {
            fprintf(stderr, "name \"%s\"\n", name);
            broken("the canonical text grants something else", NULL);
        }
}

/* Each scope grants what it says on a name it names, and the round trip
 * agrees on that name and on its near misses. */
static void check_scope(const wh_scopes *s, const wh_scopes *back, size_t i)
{
    const wh_scope *sc = &s->v[i];
    size_t n = strlen(sc->pattern);
    char *name = malloc(n + 2);
    if (!name)
        abort();
    memcpy(name, sc->pattern, n + 1);
    if (!sc->prefix && wh_name_validate(name, NULL))
        broken("an exact pattern that is not a bindle name", NULL);
    if (sc->prefix) {
        name[n] = 'x';
        name[n + 1] = '\0';
    }
    if (wh_name_validate(name, NULL) == 0)
        for (size_t a = 0; a < 3; a++)
            if ((sc->actions & one_actions[a]) &&
                !wh_scopes_allow(s, one_actions[a], name))
                broken("a scope does not grant its own pattern", NULL);
    if (back) {
        same_grants(s, back, name);
        name[n] = '\0';
        same_grants(s, back, name);
        if (n > 1) {
            name[n - 1] = '\0';
            same_grants(s, back, name);
        }
    }
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char *out = malloc(OUT_CAP), *again = malloc(OUT_CAP);
    wh_scopes *s = NULL, *back = NULL;
    wh_err err = {0};
    if (!text || !out || !again)
        abort();
    memcpy(text, data, size);
    text[size] = '\0';
    if (wh_scopes_parse(text, &s, &err)) {
        check_message(&err);
        if (s)
            broken("a refused scope list was handed out", &err);
        goto done;
    }
    if (s->n == 0 || s->n > WH_SCOPES_MAX)
        broken("scope count outside 1..64", NULL);
    for (size_t i = 0; i < s->n; i++)
        if (!s->v[i].actions || (s->v[i].actions & ~WH_SCOPE_ALL) ||
            !s->v[i].pattern)
            broken("a scope without actions or pattern", NULL);
    int rc = wh_scopes_format(s, out, OUT_CAP, &err);
    if (rc) {
        if (rc != WH_ETOOBIG)
            broken("format failed other than over the limits", &err);
        check_message(&err);
    } else {
        if (wh_scopes_parse(out, &back, &err)) {
            fprintf(stderr, "%s\n", out);
            broken("the canonical text does not parse", &err);
        }
        if (wh_scopes_format(back, again, OUT_CAP, &err))
            broken("the re-parsed scopes do not format", &err);
        if (strcmp(out, again) != 0) {
            fprintf(stderr, "%s\n%s\n", out, again);
            broken("the canonical text changed on a round trip", NULL);
        }
    }
    for (size_t i = 0; i < s->n; i++)
        check_scope(s, back, i);
    if (back) {
        same_grants(s, back, text);
        same_grants(s, back, "example.com/app");
    }
done:
    wh_scopes_free(back);
    wh_scopes_free(s);
    free(again);
    free(out);
    free(text);
    return 0;
}
