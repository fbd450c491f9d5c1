/*
 * invoice_json.h - the mapping between a jansson json_t tree and a
 * wh_invoice.  Both wire formats go through it: JSON directly, TOML through
 * the toml.h bridge, so the two can never disagree on field names, types,
 * required fields or limits.  The four parse/emit functions of invoice.h are
 * built on these: reading lives in invoice_json.c, writing in invoice_emit.c.
 *
 * Field names are Bindle 1.0's, the same in TOML and JSON.  Unknown fields
 * are refused wherever they appear.  Annotations and label features come out
 * of wh_invoice_from_json sorted bytewise by key (features by section, then
 * name): TOML tables have no order once toml++ holds them, and one fixed
 * order is what keeps a TOML -> JSON -> TOML trip exact.
 *
 * Ownership: *out of wh_invoice_from_json is a new invoice owned by the
 * caller (wh_invoice_free).  The *_to_json functions return a new json_t
 * reference owned by the caller (json_decref); NULL means out of memory, a
 * string that is not valid UTF-8 or a size above INT64_MAX, none of which a
 * parsed invoice can hold.  wh_str_quote writes into the caller's buffer.
 */
#ifndef WH_INVOICE_JSON_H
#define WH_INVOICE_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "invoice.h"

/*
 * Maps a JSON object onto a new invoice, checking shape and `limits` (NULL:
 * the defaults) but not the semantic rules of wh_invoice_validate.  Errors:
 * WH_EINVAL (wrong type, missing or unknown field; the message names the
 * field by its path, e.g. "parcel[0].label.size"), WH_ETOOBIG (a limit, named
 * with its value), WH_ENOMEM.  On failure *out is NULL.
 */
int wh_invoice_from_json(const json_t *root, const wh_invoice_limits *limits,
                         wh_invoice **out, wh_err *err);

/* The canonical JSON form of an invoice: fields in Bindle's order, absent
 * fields left out. */
json_t *wh_invoice_to_json(const wh_invoice *inv);

/* One label, as it appears in an invoice and in a `missing` list. */
json_t *wh_label_to_json(const wh_label *label);

/* One [[signature]] or yanked_signature entry. */
json_t *wh_signature_to_json(const wh_signature *sig);

/* The buffer size that wh_str_quote needs at most. */
#define WH_QUOTE_MAX 80

/*
 * Writes `s` (NULL prints as (null)) into buf between double quotes, for an
 * error message: control characters, '"' and '\\' are escaped, and anything
 * past about 60 bytes is cut and marked with "...".  Returns buf.
 */
const char *wh_str_quote(const char *s, char buf[WH_QUOTE_MAX]);

#endif
