/*
 * pull_aot.h - the precompiled artifacts `wharf pull --target` fetches
 * beside the wasm modules it pulled (see pull_aot.c).
 *
 * Ownership: nothing is handed out; `report` (a JSON array) gets one new
 * entry per artifact written.
 */
#ifndef WH_CLI_PULL_AOT_H
#define WH_CLI_PULL_AOT_H

#include <jansson.h>

#include "cache.h"
#include "cli.h"
#include "http.h"
#include "schema/invoice.h"

/*
 * Asks the server which selected parcels (selected[i], one per parcel, as
 * pull resolved them; only these are considered) have an artifact for `target`
 * (GET /_r/resolve/ESC?QUERY, QUERY holding the profile), downloads the
 * finished ones into the cache, checks each one's attestation, and writes
 * it as DIR/<label name>.<target>.so.  Artifacts not ready or declined are
 * noted on stderr.  WH_EINVAL when an attestation does not verify.
 */
int wh_cli_pull_artifacts(const wh_cli *cli, wh_http *h, wh_cache *cache,
                          const wh_invoice *inv, const bool *selected, const char *esc,
                          const char *query, const char *target, const char *dir,
                          unsigned parallel, json_t *report, wh_err *err);

#endif
