/*
 * fuzz_check.h - the invariants every parser's fuzz target checks alike.
 * A broken invariant aborts, which libFuzzer (and the corpus replay in
 * `make test`) reports as a crash.
 */
#ifndef WH_FUZZ_CHECK_H
#define WH_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "schema/error.h"

static void broken(const char *what, const wh_err *err)
{
    fprintf(stderr, "invariant broken: %s: %s\n", what, err ? err->msg : "");
    abort();
}

/* A refusal's message ends up in HTTP error bodies, JSON ones included: it
 * must carry a negative code and a message that is never empty and always
 * UTF-8. */
static void check_message(const wh_err *err)
{
    json_t *s = json_string(err->msg);
    if (!s || !err->msg[0] || err->code >= 0)
        broken("the message is empty or not UTF-8, or no code", err);
    json_decref(s);
}

#endif
