/*
 * publish.h - what `wharf push`, `wharf import` and `wharf mirror` share:
 * hashing local files, posting an invoice so that publishing the same
 * release again is a no-op that finishes what an earlier, cut-off attempt
 * left missing, and uploading the parcels the server lacks.
 *
 * Ownership: nothing is handed out; results go into the caller's arrays
 * and buffers.
 */
#ifndef WH_CLI_PUBLISH_H
#define WH_CLI_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "schema/error.h"
#include "schema/invoice.h"

/* The lowercase hex SHA-256 and the size of a file, read in chunks. */
int wh_cli_sha256_file(const char *path, char hex[65], uint64_t *size, wh_err *err);

/*
 * Posts the invoice bytes (TOML) as they are.  When the release is already
 * published (409), checks that the stored one lists the same parcels and
 * asks the server what is still missing; *existed says so.  need[i] (one
 * per parcel, false on entry) is set for each parcel the server lacks.
 * *hint gets what to tell the user on failure.  `esc` is the escaped
 * NAME/VERSION (wh_http_escape_id).
 */
int wh_cli_publish_invoice(wh_http *h, const char *toml, size_t len, const wh_invoice *inv,
                           const char *esc, bool *need, bool *existed, const char **hint,
                           wh_err *err);

/*
 * Uploads the parcels that need[] flags (one flag per parcel of inv),
 * parcel i from the local file files[i], `parallel` at a time, with a
 * progress line when `show`.  *n_sent and *bytes get how many parcels and
 * bytes it set out to send.  On failure each failed parcel is printed to
 * stderr and err sums them up; sending again sends only what is missing.
 */
int wh_cli_upload_needed(wh_http *h, const wh_invoice *inv, const char *esc, const bool *need,
                         const char *const *files, unsigned parallel, bool show,
                         size_t *n_sent, uint64_t *bytes, wh_err *err);

#endif
