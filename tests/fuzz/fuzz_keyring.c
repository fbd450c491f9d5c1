/*
 * fuzz_keyring.c - wh_keyring_parse on arbitrary bytes.
 *
 * Besides not crashing: a refusal carries a non-empty UTF-8 message (it may
 * end up in a JSON error body); whatever parses emits, parses back to an
 * equal keyring, and emits the same bytes again; every key found by
 * wh_keyring_find is the entry it was looked up from.  Any broken invariant
 * aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema/keys.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const wh_keys_limits limits = {
    .max_bytes = 16 * 1024,
    .max_keys = 32,
    .max_label = 256,
};

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_keyring *kr = NULL, *back = NULL;
    wh_err err = {0};
    char *out = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    if (wh_keyring_parse((const char *)data, size, &limits, &kr, &err)) {
        check_message(&err);
        if (kr)
            broken("a refused keyring was handed out", &err);
        return 0;
    }
    for (size_t i = 0; i < kr->n; i++) {
        if (wh_keyring_find(kr, kr->keys[i].key) != &kr->keys[i])
            broken("find does not give back the entry", NULL);
        if (!kr->keys[i].roles || !kr->keys[i].label[0])
            broken("an entry without roles or label", NULL);
    }
    if (wh_keyring_emit(kr, &out, &len, &err))
        broken("emit", &err);
    if (wh_keyring_parse(out, len, NULL, &back, &err)) {
        fprintf(stderr, "%.*s\n", (int)len, out);
        broken("re-parse of the emission", &err);
    }
    if (back->n != kr->n)
        broken("re-parsed keyring differs in size", NULL);
    for (size_t i = 0; i < kr->n; i++) {
        const wh_keyring_entry *a = &kr->keys[i], *b = &back->keys[i];
        if (!str_eq(a->label, b->label) || a->roles != b->roles ||
            memcmp(a->key, b->key, sizeof a->key) != 0 ||
            !str_eq(a->label_signature, b->label_signature))
            broken("re-parsed keyring differs", NULL);
    }
    if (wh_keyring_emit(back, &again, &len2, &err))
        broken("second emit", &err);
    if (len != len2 || memcmp(out, again, len) != 0)
        broken("second emission differs", NULL);
    free(out);
    free(again);
    wh_keyring_free(back);
    wh_keyring_free(kr);
    return 0;
}
