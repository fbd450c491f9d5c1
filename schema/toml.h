/*
 * toml.h - TOML text <-> jansson json_t tree, for C code.
 *
 * Wharf reads TOML in several places (invoices, keyrings, config files) and
 * already has a JSON data model for each of them.  Rather than give every
 * module a second mapper, this bridge turns TOML into the same json_t tree
 * that json_loadb would give, and back.  The only C++ in Wharf lives behind
 * it (toml.cpp, over toml++); no C++ exception ever crosses into C.
 *
 * Type mapping, TOML -> JSON: table -> object, array -> array, string ->
 * string, integer -> integer, float -> real (nan and inf are refused: JSON
 * cannot hold them), boolean -> true/false, date / time / date-time -> a
 * string in the ISO 8601 form TOML writes them in.
 *
 * Ownership: *out of wh_toml_parse is a new json_t reference owned by the
 * caller (json_decref).  *out of wh_toml_emit is a malloc'd NUL-terminated
 * buffer owned by the caller (free).
 */
#ifndef WH_TOML_H
#define WH_TOML_H

#include <stddef.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Inside the block: error.h is plain C without its own linkage guard. */
#include "error.h"

/* How deep tables and arrays may nest, in both directions. */
#define WH_TOML_MAX_DEPTH 64

/*
 * Parses `len` bytes of TOML into a JSON object tree.  Errors are WH_EINVAL
 * with "line L, column C: what" taken from toml++, WH_EINVAL for an embedded
 * NUL byte, a non-finite float or nesting deeper than WH_TOML_MAX_DEPTH, and
 * WH_ENOMEM.  String values may hold a NUL (TOML "\u0000"); keys may not.
 * Size limits are the caller's job: check `len` before calling.
 */
int wh_toml_parse(const char *buf, size_t len, json_t **out, wh_err *err);

/*
 * Serialises a JSON object as TOML.  null values (members and array
 * elements) are left out since TOML has none; arrays whose elements are all
 * objects become arrays of tables ([[x]]).  Keys come out sorted bytewise
 * within each table (toml++ keeps tables sorted), which makes the output
 * deterministic: the same tree always gives the same bytes.
 */
int wh_toml_emit(const json_t *root, char **out, size_t *len, wh_err *err);

/*
 * Nests a document that wh_toml_emit wrote under the bare key `key`, as
 * text: "[key]" above its top-level pairs, and "key." put inside every
 * table header.  Parsing the result gives {key: the document}.  It lets a
 * reply carry an invoice whose canonical TOML is already at hand without
 * formatting it again (most of the cost of answering a large POST).  Exact
 * for wh_toml_emit's output: one pair or header per line, headers at the
 * start of a line, strings on one line; lines inside a multi-line array
 * value are followed by counting brackets outside strings.  *out is
 * malloc'd (free), NUL-terminated.
 */
int wh_toml_nest(const char *doc, size_t len, const char *key, char **out, size_t *out_len,
                 wh_err *err);

#ifdef __cplusplus
}
#endif

#endif
