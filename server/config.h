/*
 * config.h - wharfd's settings and where they come from.
 *
 * Every setting has a default, and may be given, from weakest to strongest,
 * in a TOML config file (--config FILE or WHARF_CONFIG), in the environment
 * (WHARF_<NAME>, e.g. WHARF_LISTEN, WHARF_MAX_PARCEL_BYTES) and as a flag
 * (--listen, --max-parcel-bytes).  In the config file the key is the flag's
 * name with '_' for '-': `max_parcel_bytes = "8G"`.  The table of settings in
 * config.c is the single list of them; `wharfd --help` prints it.
 *
 * Ownership: a wh_config owns its strings; wh_config_free releases them.
 */
#ifndef WH_CONFIG_H
#define WH_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "schema/error.h"

typedef struct wh_config {
    char *listen;              /* HOST:PORT; port 0 picks a free one */
    char *data;                /* the data directory */
    char *config;              /* the config file read, or NULL */
    char *verify;              /* a strategy (schema/signature.h) or "none" */
    char *keyring;             /* keys trusted for every name, or NULL */
    char *new_names;           /* "tofu" or "keyring" */
    char *auth;                /* "token" or "none" (loopback only) */
    char *read_auth;           /* "anonymous" or "token" */
    char *htpasswd;            /* Basic-auth users, or NULL */
    char *htpasswd_scopes;     /* what those users may do */
    char *aot_targets;         /* comma-separated triples, or NULL: no AOT */
    char *tls_cert, *tls_key;  /* PEM files; both or neither */
    char *log_level;           /* error | warn | info | debug */

    uint64_t max_invoice_bytes;
    uint64_t max_parcel_bytes;
    uint64_t max_parcels;      /* per invoice */
    uint64_t max_header_bytes; /* the request line and headers, together */
    uint64_t max_uploads;      /* parcel uploads in progress at once */
    uint64_t max_connections;
    uint64_t threads;          /* 0: one per core */
    uint64_t io_threads;       /* the offload pool's size */
    uint64_t idle_timeout;     /* seconds a connection may sit idle */
    uint64_t cache_entries;    /* invoices kept ready to serve */
    uint64_t min_upload_rate;  /* bytes/s, averaged, after idle_timeout */
    uint64_t wasm_max_bytes;   /* the wasm worker's limits (wasm_check.h) */
    uint64_t wasm_cpu_seconds;
    uint64_t wasm_memory_bytes;
    uint64_t wasm_wall_seconds;
    uint64_t aot_workers;      /* 0: cores - 1 */
    uint64_t aot_max_module_bytes;
    uint64_t aot_cpu_seconds;
    uint64_t aot_memory_bytes;
    uint64_t aot_wall_seconds;
    uint64_t gc_interval;      /* seconds between OCI collector rounds; 0: off */
    uint64_t gc_grace;         /* seconds an unreferenced upload or blob is kept */
} wh_config;

enum wh_log_level { WH_LOG_ERROR, WH_LOG_WARN, WH_LOG_INFO, WH_LOG_DEBUG };

/*
 * Fills cfg from defaults, the config file, the environment and argv, in
 * that order of strength.  WH_EINVAL with a message naming the setting and
 * its source for anything malformed.  *show_help is set for --help.
 */
int wh_config_load(wh_config *cfg, int argc, char **argv, bool *show_help,
                   wh_err *err);

/* The usage text with every setting, its default and its env name. */
void wh_config_usage(FILE *out);

void wh_config_free(wh_config *cfg);

/* The log level as an enum (cfg->log_level is validated by load). */
enum wh_log_level wh_config_log_level(const wh_config *cfg);

/* Parses "123", "64K", "8M", "8G", "1T" (powers of 1024). */
int wh_parse_size(const char *s, uint64_t *out);

#endif
