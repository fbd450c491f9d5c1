/*
 * config.c - reading wharfd's settings (see config.h).
 *
 * One table lists every setting with its type, default and help; the flag,
 * the environment variable and the config-file key are all derived from the
 * name, so the three can never drift apart.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <jansson.h>

#include "schema/file.h"
#include "schema/signature.h"
#include "schema/toml.h"

typedef enum { K_STR, K_SIZE, K_UINT } kind;

typedef struct setting {
    const char *name;   /* flag without "--" */
    kind k;
    size_t off;
    const char *def;    /* NULL: no default */
    const char *help;
} setting;

#define S(n, k, field, def, help) { n, k, offsetof(wh_config, field), def, help }

static const setting settings[] = {
    S("listen", K_STR, listen, "127.0.0.1:8080", "HOST:PORT to listen on; port 0 picks a free port"),
    S("data", K_STR, data, "./wharf-data", "data directory (database and parcels)"),
    S("verify", K_STR, verify, "CreativeIntegrity", "how posted invoices' signatures are checked: CreativeIntegrity, AuthoritativeIntegrity, GreedyVerification, ExhaustiveVerification, MultipleAttestation[Role,...], MultipleAttestationGreedy[Role,...], or none (development only: no checks, no namespace keys)"),
    S("keyring", K_STR, keyring, NULL, "Bindle keyring of keys trusted for every name"),
    S("new-names", K_STR, new_names, "tofu", "who may publish the first version of a name: tofu (any valid creator signature, whose key the name is then bound to) | keyring (a key of --keyring)"),
    S("auth", K_STR, auth, "token", "token: writes need a token or an htpasswd user with a matching scope | none: no checks (only on a loopback --listen)"),
    S("read-auth", K_STR, read_auth, "anonymous", "anonymous: anyone may read | token: reads need a read scope too"),
    S("htpasswd", K_STR, htpasswd, NULL, "htpasswd file (bcrypt) of users for HTTP Basic"),
    S("htpasswd-scopes", K_STR, htpasswd_scopes, "*:*", "the scopes every htpasswd user holds"),
    S("aot-targets", K_STR, aot_targets, NULL, "target triples to precompile wasm modules for, comma-separated (x86_64-linux-gnu, x86_64-linux-gnu+v3, aarch64-linux-gnu, riscv64-linux-gnu); none: no AOT"),
    S("aot-workers", K_UINT, aot_workers, "0", "AOT builds at once; 0 = cores - 1 (at least 1)"),
    S("aot-max-module-bytes", K_SIZE, aot_max_module_bytes, "32M", "largest module precompiled; larger ones are declined"),
    S("aot-cpu-seconds", K_UINT, aot_cpu_seconds, "600", "CPU time one AOT build may take"),
    S("aot-memory-bytes", K_SIZE, aot_memory_bytes, "4G", "address space of one AOT build's compiler"),
    S("aot-wall-seconds", K_UINT, aot_wall_seconds, "900", "wall time one AOT build may take"),
    S("tls-cert", K_STR, tls_cert, NULL, "PEM certificate: serve HTTPS (with --tls-key)"),
    S("tls-key", K_STR, tls_key, NULL, "PEM private key for --tls-cert"),
    S("log-level", K_STR, log_level, "warn", "error | warn | info (one line per request) | debug"),
    S("max-invoice-bytes", K_SIZE, max_invoice_bytes, "1M", "largest invoice accepted"),
    S("max-parcel-bytes", K_SIZE, max_parcel_bytes, "8G", "largest parcel accepted"),
    S("max-parcels", K_UINT, max_parcels, "10000", "most parcels one invoice may list"),
    S("max-header-bytes", K_SIZE, max_header_bytes, "32K", "request line plus headers"),
    S("max-uploads", K_UINT, max_uploads, "64", "parcel uploads in progress at once"),
    S("max-connections", K_UINT, max_connections, "1024", "open connections at once"),
    S("threads", K_UINT, threads, "0", "request threads; 0 = one per core"),
    S("io-threads", K_UINT, io_threads, "4", "threads that finish uploads and creates (fsync, commit) off the request threads"),
    S("idle-timeout", K_UINT, idle_timeout, "30", "seconds before an idle or stalled connection is closed"),
    S("min-upload-rate", K_SIZE, min_upload_rate, "16K", "bytes/s an upload must average once idle-timeout has passed; 0: no minimum"),
    S("cache-entries", K_UINT, cache_entries, "4096", "invoices kept in memory, ready to serve"),
    S("wasm-max-bytes", K_SIZE, wasm_max_bytes, "256M", "largest wasm module validated; larger ones are refused"),
    S("wasm-cpu-seconds", K_UINT, wasm_cpu_seconds, "30", "CPU time one module's validation may take"),
    S("wasm-memory-bytes", K_SIZE, wasm_memory_bytes, "4G", "address space of the validating worker (not enforced in sanitizer builds)"),
    S("wasm-wall-seconds", K_UINT, wasm_wall_seconds, "60", "wall time one module's validation may take"),
    S("gc-interval", K_UINT, gc_interval, "3600", "seconds between rounds of the collector of unfinished OCI uploads and unreferenced OCI blobs; 0: never collect"),
    S("gc-grace", K_UINT, gc_grace, "86400", "seconds an OCI upload may sit unfinished, and a pushed blob unreferenced, before the collector removes it"),
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

/* Ten years: longer is never meant, and keeps time arithmetic in range. */
#define GC_MAX_SECONDS (10ull * 365 * 24 * 3600)

int wh_parse_size(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    default: return -1;
    }
    if (shift && (*end == 'i' || *end == 'I'))
        end++;
    if (shift && (*end == 'b' || *end == 'B'))
        end++;
    if (*end != '\0')
        return -1;
    if (shift && v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int set_value(wh_config *cfg, const setting *st, const char *value, const char *source,
                     wh_err *err)
{
    char *base = (char *)cfg + st->off;
    if (st->k == K_STR) {
        char **slot = (char **)(void *)base;
        char *copy = strdup(value);
        if (!copy)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        free(*slot);
        *slot = copy;
        return 0;
    }
    uint64_t v;
    int bad;
    if (st->k == K_SIZE) {
        bad = wh_parse_size(value, &v);
    } else {
        char *end;
        errno = 0;
        bad = !isdigit((unsigned char)*value);
        v = strtoull(value, &end, 10);
        bad = bad || errno || *end;
    }
    if (bad)
        return wh_err_set(err, WH_EINVAL, "%s: %s = \"%s\" is not a %s", source, st->name, value,
                          st->k == K_SIZE ? "size (e.g. 1048576, 64K, 8M, 8G)" : "whole number");
    *(uint64_t *)(void *)base = v;
    return 0;
}

static const setting *find_setting(const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    return NULL;
}

/* "max-parcel-bytes" -> "max_parcel_bytes" or "WHARF_MAX_PARCEL_BYTES". */
static void derive(const char *name, char *buf, size_t cap, bool env)
{
    size_t j = 0;
    if (env) {
        memcpy(buf, "WHARF_", 6);
        j = 6;
    }
    for (size_t i = 0; name[i] && j + 1 < cap; i++)
        buf[j++] = name[i] == '-' ? '_' : (char)(env ? toupper((unsigned char)name[i]) : name[i]);
    buf[j] = '\0';
}

static int load_file(wh_config *cfg, const char *path, wh_err *err)
{
    char *buf = NULL;
    size_t n = 0;
    int rc = wh_file_read(path, 64 * 1024, 0, &buf, &n, err);
    if (rc) {
        wh_err_prefix(err, "config file");
        return rc == WH_ENOTFOUND ? WH_EINVAL : rc;
    }
    json_t *root = NULL;
    rc = wh_toml_parse(buf, n, &root, err);
    free(buf);
    if (rc) {
        wh_err_prefix(err, "config file %s", path);
        return rc;
    }
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        char flag[64];
        size_t k = 0;
        for (; key[k] && k + 1 < sizeof flag; k++)
            flag[k] = key[k] == '_' ? '-' : key[k];
        flag[k] = '\0';
        const setting *st = find_setting(flag);
        if (!st || strcmp(flag, "config") == 0) {
            rc = wh_err_set(err, WH_EINVAL, "config file %s: unknown setting \"%s\"", path, key);
            break;
        }
        char num[32];
        const char *s;
        if (json_is_string(val)) {
            s = json_string_value(val);
        } else if (json_is_integer(val) && st->k != K_STR && json_integer_value(val) >= 0) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(val));
            s = num;
        } else {
            rc = wh_err_set(err, WH_EINVAL, "config file %s: %s must be a %s", path, key,
                            st->k == K_STR ? "string" : "non-negative number or size string");
            break;
        }
        char source[300];
        snprintf(source, sizeof source, "config file %s", path);
        rc = set_value(cfg, st, s, source, err);
        if (rc)
            break;
    }
    json_decref(root);
    return rc;
}

/* Whether HOST:PORT names a loopback address (127.0.0.0/8, ::1, localhost). */
static bool listen_is_loopback(const char *listen)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
    if (n >= sizeof host)
        return false;
    memcpy(host, listen, n);
    host[n] = '\0';
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        memmove(host, host + 1, n - 2);
        host[n - 2] = '\0';
    }
    if (strcmp(host, "localhost") == 0)
        return true;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int check(wh_config *cfg, wh_err *err)
{
    const char *lv = cfg->log_level;
    if (strcmp(lv, "error") && strcmp(lv, "warn") && strcmp(lv, "info") && strcmp(lv, "debug"))
        return wh_err_set(err, WH_EINVAL, "log-level must be error, warn, info or debug, not \"%s\"", lv);
    if (strcmp(cfg->verify, "none") != 0) {
        wh_strategy st;
        wh_err e;
        if (wh_strategy_parse(cfg->verify, &st, &e) != 0)
            return wh_err_set(err, WH_EINVAL, "verify: %s", e.msg);
    }
    if (strcmp(cfg->new_names, "tofu") && strcmp(cfg->new_names, "keyring"))
        return wh_err_set(err, WH_EINVAL, "new-names must be tofu or keyring, not \"%s\"",
                          cfg->new_names);
    if (strcmp(cfg->auth, "token") && strcmp(cfg->auth, "none"))
        return wh_err_set(err, WH_EINVAL, "auth must be token or none, not \"%s\"", cfg->auth);
    if (strcmp(cfg->read_auth, "anonymous") && strcmp(cfg->read_auth, "token"))
        return wh_err_set(err, WH_EINVAL, "read-auth must be anonymous or token, not \"%s\"",
                          cfg->read_auth);
    if (strcmp(cfg->auth, "none") == 0 && !listen_is_loopback(cfg->listen))
        return wh_err_set(err, WH_EINVAL,
                          "auth none lets anyone publish and yank: it is allowed only on a "
                          "loopback address (127.0.0.1, ::1), not on \"%s\"", cfg->listen);
    if (strcmp(cfg->new_names, "keyring") == 0 && !cfg->keyring)
        return wh_err_set(err, WH_EINVAL, "new-names keyring needs a --keyring");
    if (cfg->aot_workers > 16)
        return wh_err_set(err, WH_EINVAL, "aot-workers must be at most 16");
    if (!cfg->tls_cert != !cfg->tls_key)
        return wh_err_set(err, WH_EINVAL, "tls-cert and tls-key go together: give both or neither");
    if (cfg->max_invoice_bytes < 64)
        return wh_err_set(err, WH_EINVAL, "max-invoice-bytes must be at least 64");
    if (cfg->max_header_bytes < 1024)
        return wh_err_set(err, WH_EINVAL, "max-header-bytes must be at least 1K");
    if (cfg->max_parcels < 1 || cfg->max_uploads < 1 || cfg->max_connections < 1)
        return wh_err_set(err, WH_EINVAL, "max-parcels, max-uploads and max-connections must be at least 1");
    if (cfg->max_connections > UINT_MAX || cfg->idle_timeout > UINT_MAX)
        return wh_err_set(err, WH_EINVAL, "max-connections and idle-timeout must be at most %u",
                          UINT_MAX);
    if (cfg->idle_timeout < 1)
        return wh_err_set(err, WH_EINVAL, "idle-timeout must be at least 1 second");
    if (cfg->io_threads < 1 || cfg->io_threads > 256)
        return wh_err_set(err, WH_EINVAL, "io-threads must be from 1 to 256");
    if (cfg->wasm_cpu_seconds < 1 || cfg->wasm_wall_seconds < 1 || cfg->wasm_memory_bytes < (64u << 20))
        return wh_err_set(err, WH_EINVAL, "wasm-cpu-seconds and wasm-wall-seconds must be at "
                          "least 1, wasm-memory-bytes at least 64M");
    if (cfg->gc_grace < 1 || cfg->gc_grace > GC_MAX_SECONDS || cfg->gc_interval > GC_MAX_SECONDS)
        return wh_err_set(err, WH_EINVAL, "gc-grace must be from 1 second to 10 years, "
                          "gc-interval at most 10 years");
    if (cfg->threads > 256)
        return wh_err_set(err, WH_EINVAL, "threads must be at most 256");
    return 0;
}

int wh_config_load(wh_config *cfg, int argc, char **argv, bool *show_help, wh_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    *show_help = false;
    int rc = 0;
    for (size_t i = 0; i < NSETTINGS && !rc; i++)
        if (settings[i].def)
            rc = set_value(cfg, &settings[i], settings[i].def, "default", err);
    if (rc)
        return rc;

    /* The config file comes first, so find it before reading anything else. */
    const char *file = getenv("WHARF_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file && *file) {
        cfg->config = strdup(file);
        if (!cfg->config)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        rc = load_file(cfg, file, err);
        if (rc)
            return rc;
    }

    for (size_t i = 0; i < NSETTINGS && !rc; i++) {
        char env[80];
        derive(settings[i].name, env, sizeof env, true);
        const char *v = getenv(env);
        if (v && *v)
            rc = set_value(cfg, &settings[i], v, env, err);
    }
    if (rc)
        return rc;

    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            *show_help = true;
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return wh_err_set(err, WH_EINVAL, "unexpected argument \"%s\" (see --help)", a);
        char name[64];
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (len >= sizeof name)
            return wh_err_set(err, WH_EINVAL, "unknown option \"%s\" (see --help)", a);
        memcpy(name, a + 2, len);
        name[len] = '\0';
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc)
                return wh_err_set(err, WH_EINVAL, "option --%s needs a value", name);
            value = argv[++i];
        }
        if (strcmp(name, "config") == 0)
            continue;
        const setting *st = find_setting(name);
        if (!st)
            return wh_err_set(err, WH_EINVAL, "unknown option --%s (see --help)", name);
        char source[80];
        snprintf(source, sizeof source, "--%s", name);
        rc = set_value(cfg, st, value, source, err);
    }
    if (rc)
        return rc;
    return check(cfg, err);
}

void wh_config_usage(FILE *out)
{
    fprintf(out,
            "usage: wharfd [--OPTION VALUE]...\n"
            "\n"
            "Serves the Bindle 1.0 API.  Each option can also be set in the environment\n"
            "(WHARF_OPTION_NAME) or in a TOML file given with --config FILE (option_name = ...);\n"
            "flags beat the environment, which beats the file.  Sizes take K, M, G, T suffixes.\n"
            "\n"
            "  --config FILE\n      TOML config file (env WHARF_CONFIG)\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        char env[80];
        derive(settings[i].name, env, sizeof env, true);
        fprintf(out, "  --%s\n      %s (default %s; env %s)\n", settings[i].name, settings[i].help,
                settings[i].def ? settings[i].def : "none", env);
    }
}

void wh_config_free(wh_config *cfg)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].k == K_STR) {
            char **slot = (char **)(void *)((char *)cfg + settings[i].off);
            free(*slot);
            *slot = NULL;
        }
    }
    free(cfg->config);
    cfg->config = NULL;
}

enum wh_log_level wh_config_log_level(const wh_config *cfg)
{
    switch (cfg->log_level[0]) {
    case 'e': return WH_LOG_ERROR;
    case 'i': return WH_LOG_INFO;
    case 'd': return WH_LOG_DEBUG;
    default: return WH_LOG_WARN;
    }
}
