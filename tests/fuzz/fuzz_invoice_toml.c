/*
 * fuzz_invoice_toml.c - wh_invoice_parse_toml on arbitrary bytes.
 *
 * Besides not crashing, whatever parses must survive every trip exactly:
 * emitting it as TOML and as JSON always works, parsing either emission
 * gives an equal invoice that validates the same way, and emitting that
 * again gives the same bytes (the output is canonical).  Every error
 * message is valid UTF-8.  Any broken
 * invariant aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/invoice.h"
#include "schema/invoice_json.h"
#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_invoice_json.c reuses this harness with the JSON parser in front. */
#ifndef FUZZ_PARSE
#define FUZZ_PARSE wh_invoice_parse_toml
#endif

static const wh_invoice_limits limits = {
    .max_bytes = 16 * 1024,
    .max_parcels = 32,
    .max_groups = 16,
    .max_signatures = 8,
    .max_string = 512,
    .max_list = 32,
};

/* Emits `inv` in one format, parses it back, and checks the invariants. */
static void trip(const wh_invoice *inv, int vrc, bool json)
{
    wh_err err = {0};
    char *out = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    wh_invoice *back = NULL;
    int rc = json ? wh_invoice_emit_json(inv, &out, &len, &err)
                  : wh_invoice_emit_toml(inv, &out, &len, &err);
    if (rc)
        broken("emit", &err);
    /* Emission can be longer than the input, never past the defaults. */
    rc = json ? wh_invoice_parse_json(out, len, NULL, &back, &err)
              : wh_invoice_parse_toml(out, len, NULL, &back, &err);
    if (rc) {
        fprintf(stderr, "%.*s\n", (int)len, out);
        broken("re-parse of the emission", &err);
    }
    if (!wh_invoice_equal(inv, back)) {
        fprintf(stderr, "%.*s\n", (int)len, out);
        broken("re-parsed invoice differs", &err);
    }
    wh_err verr = {0};
    if (wh_invoice_validate(back, &verr) != vrc)
        broken("validation differs after the trip", &verr);
    rc = json ? wh_invoice_emit_json(back, &again, &len2, &err)
              : wh_invoice_emit_toml(back, &again, &len2, &err);
    if (rc)
        broken("second emit", &err);
    if (len != len2 || memcmp(out, again, len) != 0)
        broken("second emission differs", &err);
    free(out);
    free(again);
    wh_invoice_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (FUZZ_PARSE((const char *)data, size, &limits, &inv, &err)) {
        check_message(&err);
        return 0;
    }
    int vrc = wh_invoice_validate(inv, &err);
    if (vrc)
        check_message(&err);
    for (size_t i = 0; i < inv->n_parcels; i++) {
        json_t *l = wh_label_to_json(&inv->parcels[i].label);
        if (!l)
            broken("label to JSON", &err);
        json_decref(l);
    }
    trip(inv, vrc, false);
    trip(inv, vrc, true);
    wh_invoice_free(inv);
    return 0;
}
