/*
 * fuzz_secret_keys.c - wh_secret_keys_parse on arbitrary bytes (the 0600
 * rule belongs to loading from a path and is tested in test_keys.c).
 *
 * Besides not crashing: a refusal carries a non-empty UTF-8 message;
 * whatever parses has public halves that match their seeds, signs and
 * verifies, emits, parses back equal, and emits the same bytes again.  Any
 * broken invariant aborts.
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
    .max_keys = 16,
    .max_label = 256,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_secret_keys *sk = NULL, *back = NULL;
    wh_err err = {0};
    char *out = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    if (wh_secret_keys_parse((const char *)data, size, &limits, &sk, &err)) {
        check_message(&err);
        if (sk)
            broken("refused secret keys were handed out", &err);
        return 0;
    }
    for (size_t i = 0; i < sk->n; i++) {
        const wh_secret_key *k = &sk->keys[i];
        unsigned char pub[WH_ED25519_PUBLIC_LEN], sig[WH_ED25519_SIG_LEN];
        if (wh_ed25519_public(k->seed, pub, &err) ||
            memcmp(pub, k->pub, sizeof pub) != 0)
            broken("public half does not match the seed", &err);
        if (wh_ed25519_sign(k->seed, k->label, strlen(k->label), sig, &err) ||
            wh_ed25519_verify(k->pub, k->label, strlen(k->label), sig, &err))
            broken("sign -> verify", &err);
        if (wh_secret_keys_find_role(sk, k->roles) == NULL)
            broken("find_role misses a key", NULL);
    }
    if (wh_secret_keys_emit(sk, &out, &len, &err))
        broken("emit", &err);
    if (wh_secret_keys_parse(out, len, NULL, &back, &err)) {
        fprintf(stderr, "%.*s\n", (int)len, out);
        broken("re-parse of the emission", &err);
    }
    if (back->n != sk->n)
        broken("re-parsed file differs in size", NULL);
    for (size_t i = 0; i < sk->n; i++) {
        const wh_secret_key *a = &sk->keys[i], *b = &back->keys[i];
        if (strcmp(a->label, b->label) != 0 || a->roles != b->roles ||
            memcmp(a->seed, b->seed, sizeof a->seed) != 0 ||
            memcmp(a->pub, b->pub, sizeof a->pub) != 0)
            broken("re-parsed file differs", NULL);
    }
    if (wh_secret_keys_emit(back, &again, &len2, &err))
        broken("second emit", &err);
    if (len != len2 || memcmp(out, again, len) != 0)
        broken("second emission differs", NULL);
    free(out);
    free(again);
    wh_secret_keys_free(back);
    wh_secret_keys_free(sk);
    return 0;
}
