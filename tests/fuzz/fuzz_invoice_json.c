/*
 * fuzz_invoice_json.c - wh_invoice_parse_json on arbitrary bytes, with the
 * same round-trip invariants as fuzz_invoice_toml.c, whose harness this
 * file reuses with the JSON parser in front.
 */
#define FUZZ_PARSE wh_invoice_parse_json
#include "fuzz_invoice_toml.c"
