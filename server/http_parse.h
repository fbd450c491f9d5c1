/*
 * http_parse.h - parsing the parts of requests that libmicrohttpd leaves to
 * us: content negotiation (Accept), byte ranges (Range), the chunk of an OCI
 * upload (Content-Range) and the bindle id in a URL path.  Kept apart from
 * the handlers so that it can be fuzzed alone.
 * Nothing here allocates; outputs go to caller-provided buffers.
 */
#ifndef WH_HTTP_PARSE_H
#define WH_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when an Accept header value gives application/json a higher q-value
 * than application/toml (exact types beat type/\* beats \*\/\*); false for
 * NULL or empty, and on a tie. */
bool wh_http_prefers_json(const char *accept);

/* Splits "NAME/VERSION" at its last '/' into name (ncap bytes) and version
 * (vcap bytes).  False when there is no '/', either side is empty, or a part
 * does not fit. */
bool wh_http_split_id(const char *id, char *name, size_t ncap, char *version,
                      size_t vcap);

/* Reads a Range header against a body of `size` bytes.  1: one satisfiable
 * range, [*first, *last] inclusive.  0: ignore the header and send it all
 * (absent, malformed, or several ranges).  -1: unsatisfiable (416). */
int wh_http_parse_range(const char *h, uint64_t size, uint64_t *first,
                        uint64_t *last);

/* A Content-Length value: decimal digits only (at most 19), no sign or
 * blanks; false when it is anything else. */
bool wh_http_parse_content_length(const char *h, uint64_t *len);

/* Reads the Content-Range of an OCI chunked upload: "START-END", inclusive,
 * each a decimal of at most 19 digits without sign or blanks.  The RFC 9110
 * form "bytes START-END/TOTAL" (or "bytes=", and TOTAL "*") is accepted
 * too, TOTAL then past END.  False when malformed or START > END; *start
 * and *end are only written on success. */
bool wh_http_parse_content_range(const char *h, uint64_t *start, uint64_t *end);

#endif
