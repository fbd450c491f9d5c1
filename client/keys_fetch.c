/*
 * keys_fetch.c - `wharf keys fetch`: how a user comes to trust a registry's
 * host key, as ssh's known_hosts does for a host.  The only `keys`
 * subcommand that talks to a server; the rest are in cmd_keys.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "http.h"
#include "keystore.h"
#include "schema/base64.h"
#include "schema/toml.h"


/* A server lists a handful of keys.  These bounds keep a hostile one from
 * filling the keyring, and leave room within the keyring's 1024-byte label
 * limit for the " (from SERVER)" that records where a key came from. */
static const wh_keys_limits fetch_limits = {
    .max_bytes = 256 * 1024, .max_keys = 64, .max_label = 512};

#define FINGERPRINT_BYTES 16
#define FINGERPRINT_LEN (FINGERPRINT_BYTES * 5 / 2 - 1)   /* "ab12:...:ef56" */

/*
 * What a user compares with what the operator says: the SHA-256 of the raw
 * 32-byte key, its first 16 bytes in hex, in groups of two bytes
 * ("ab12:cd34:...").  A digest rather than the base64 key, as ssh does, so
 * that it does not depend on how the key is encoded; 128 bits are more
 * than anyone can forge a match for, and short enough to read aloud.
 */
static int key_fingerprint(const unsigned char key[WH_ED25519_PUBLIC_LEN],
                           char out[FINGERPRINT_LEN + 1], wh_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(key, WH_ED25519_PUBLIC_LEN, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen < FINGERPRINT_BYTES)
        return wh_err_set(err, WH_EIO, "OpenSSL cannot compute a SHA-256");
    char *p = out;
    for (size_t i = 0; i < FINGERPRINT_BYTES; i++) {
        if (i && i % 2 == 0)
            *p++ = ':';
        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 15];
    }
    *p = '\0';
    return 0;
}

/* The server URL without any user:password@ part: it goes into keyring
 * labels and onto the screen, where a password must not. */
static void server_shown(const char *url, char *buf, size_t cap)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t authority = strcspn(host, "/?#");
    const char *at = memrchr(host, '@', authority);
    if (at)
        snprintf(buf, cap, "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(buf, cap, "%s", url);
}

/* GETs the server's host keys as a Bindle keyring (TOML, the format
 * `keys add --from` reads too).  On failure prints why and returns
 * WH_EXIT_FAIL. */
static int get_host_keys(const wh_cli *cli, const char *shown, wh_keyring **out)
{
    wh_http *h = NULL;
    wh_http_resp r = {0};
    wh_err err;
    int status = WH_EXIT_FAIL;
    char msg[512];
    wh_err_clear(&err);
    *out = NULL;
    if (wh_http_open(cli->server, cli->token, &h, &err) ||
        wh_http_request(h, "GET", "/bindle-keys?roles=host", NULL, NULL, 0,
                        "application/toml", &r, &err)) {
        status = wh_cli_fail_err(&err, "check the server address (--server) and "
                                       "that it is running");
        goto done;
    }
    if (r.status != 200) {
        status = wh_cli_fail("check the server address (--server): it is the "
                             "registry's URL ending in /v1",
                             "%s/bindle-keys: HTTP %ld: %s", shown, r.status,
                             wh_http_error_text(&r, msg, sizeof msg));
        goto done;
    }
    if (wh_keyring_parse(r.body ? r.body : "", r.len, &fetch_limits, out, &err)) {
        status = wh_cli_fail("nothing was trusted; tell the server's operator",
                             "%s/bindle-keys is not a keyring wharf accepts: %s",
                             shown, wh_cli_safe(err.msg, msg, sizeof msg));
        goto done;
    }
    status = WH_EXIT_OK;
done:
    wh_http_resp_clear(&r);
    wh_http_close(h);
    return status;
}

/* Asks on stderr and reads the answer from stdin: only "y" or "yes" is a
 * yes, so that a stray Enter trusts nothing. */
static bool confirm(const char *question)
{
    char line[64];
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return false;
    const char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strcspn(p, " \t\r\n");
    return (n == 1 && tolower((unsigned char)p[0]) == 'y') ||
           (n == 3 && strncasecmp(p, "yes", 3) == 0);
}

typedef enum fetch_state {
    FETCH_NEW,       /* not in the keyring */
    FETCH_NOT_HOST,  /* in the keyring, but not with the host role */
    FETCH_KNOWN      /* trusted as a host key already */
} fetch_state;

/* One host key the server listed, and what trusting it changes. */
typedef struct fetched_key {
    const wh_keyring_entry *e;       /* in the server's keyring */
    fetch_state state;
    size_t existing;                 /* its index in the user's keyring, unless FETCH_NEW */
    bool added;                      /* trusted (or given the host role) by this run */
    char fingerprint[FINGERPRINT_LEN + 1];
    char label[1100];                /* its label in the user's keyring */
} fetched_key;

static const char *fetch_state_name(const fetched_key *k)
{
    if (k->state == FETCH_KNOWN)
        return "already trusted";
    if (!k->added)
        return "not trusted";
    return k->state == FETCH_NEW ? "added" : "host role added";
}

static void show_fetched(const fetched_key *k)
{
    char b64[WH_PUBLIC_B64_LEN + 1], rtext[64], shown[1100];
    wh_base64_encode(k->e->key, WH_ED25519_PUBLIC_LEN, b64);
    printf("  fingerprint  %s\n", k->fingerprint);
    printf("  label        %s\n", wh_cli_safe(k->e->label, shown, sizeof shown));
    printf("  key          %s\n", b64);
    printf("  roles        %s\n", wh_cli_roles_text(k->e->roles, rtext, sizeof rtext));
    if (k->state == FETCH_KNOWN)
        printf("  status       already trusted as \"%s\"\n",
               wh_cli_safe(k->label, shown, sizeof shown));
    else if (k->state == FETCH_NOT_HOST)
        printf("  status       trusted as \"%s\", but not as a host key\n",
               wh_cli_safe(k->label, shown, sizeof shown));
    else
        printf("  status       new\n");
}

static int print_fetch_json(const wh_cli *cli, const char *shown,
                            const fetched_key *fk, size_t n, wh_err *err)
{
    size_t n_added = 0, n_kept = 0;
    json_t *keys = json_array();
    for (size_t i = 0; keys && i < n; i++) {
        const fetched_key *k = &fk[i];
        char b64[WH_PUBLIC_B64_LEN + 1];
        wh_base64_encode(k->e->key, WH_ED25519_PUBLIC_LEN, b64);
        n_added += k->added;
        n_kept += k->state == FETCH_KNOWN;
        if (json_array_append_new(
                keys, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:b}", "label",
                                k->e->label, "trusted_as", k->label, "roles",
                                wh_cli_roles_json(k->e->roles), "key", b64,
                                "fingerprint", k->fingerprint, "state",
                                fetch_state_name(k), "added", k->added))) {
            json_decref(keys);
            keys = NULL;
        }
    }
    if (!keys)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    return wh_cli_print_json(json_pack("{s:s, s:s, s:o, s:I, s:I}", "server", shown,
                                       "file", cli->keyring_path, "keys", keys,
                                       "added", (json_int_t)n_added,
                                       "already_trusted", (json_int_t)n_kept),
                             err);
}

/*
 * Trust on first use for a registry, as ssh does for a host: the user sees
 * the fingerprints, says yes (or --yes), and the keys go into the keyring
 * with the host role only, whatever else the server lists them with: a
 * server vouches for itself, not for who creates bindles.  The keyring
 * format has no field for where a key came from, so the label records it.
 */
int wh_cli_keys_fetch(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"yes", 'y', false}, {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *v;
    bool yes = false;
    int which, status = WH_EXIT_FAIL;
    size_t n = 0, pending = 0, n_added = 0;
    wh_keyring *kr = NULL, *src = NULL;
    fetched_key *fk = NULL;
    char shown[600];
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 2, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return wh_cli_usage("keys fetch", "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(WH_CLI_USAGE_KEYS_FETCH, stdout);
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL)
            return wh_cli_usage("keys fetch", "unexpected argument \"%.64s\"; the "
                                              "server comes from --server", v);
        yes = true;
    }
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    server_shown(cli->server, shown, sizeof shown);
    if (wh_cli_keyring_load(cli->keyring_path, &kr, &err)) {
        status = wh_cli_fail_err(&err, "fix the keyring, or move it away to start afresh");
        goto done;
    }
    if (get_host_keys(cli, shown, &src))
        goto done;
    fk = calloc(src->n + 1, sizeof *fk);
    if (!fk)
        goto oom;
    for (size_t i = 0; i < src->n; i++) {
        const wh_keyring_entry *e = &src->keys[i];
        if (!(e->roles & WH_ROLE_HOST))
            continue;
        fetched_key *k = &fk[n++];
        k->e = e;
        if (wh_cli_check_label_signature(e, &err) || key_fingerprint(e->key, k->fingerprint, &err)) {
            char lbl[200];
            wh_keys_shorten(lbl, sizeof lbl, e->label);
            status = wh_cli_fail("nothing was trusted; tell the server's operator",
                                 "%s/bindle-keys: key %zu (\"%s\"): %s", shown, i,
                                 lbl, err.msg);
            goto done;
        }
        const wh_keyring_entry *old = wh_keyring_find(kr, e->key);
        if (old) {
            k->existing = (size_t)(old - kr->keys);
            k->state = (old->roles & WH_ROLE_HOST) ? FETCH_KNOWN : FETCH_NOT_HOST;
            snprintf(k->label, sizeof k->label, "%s", old->label);
        } else {
            /* A label too long to take the server's URL keeps the server's
             * own label rather than be refused when the keyring is read. */
            int len = snprintf(k->label, sizeof k->label, "%s (from %s)", e->label, shown);
            if (len < 0 || (size_t)len > wh_keys_default_limits.max_label)
                snprintf(k->label, sizeof k->label, "%s", e->label);
            k->state = FETCH_NEW;
        }
        pending += k->state != FETCH_KNOWN;
    }
    if (n == 0) {
        status = wh_cli_fail("check that --server names a Wharf or Bindle registry",
                             "%s lists no host key", shown);
        goto done;
    }
    if (!cli->json && !(cli->quiet && (yes || !pending))) {
        printf("Host keys of %s:\n", shown);
        for (size_t i = 0; i < n; i++) {
            if (i)
                putchar('\n');
            show_fetched(&fk[i]);
        }
        fflush(stdout);
    }
    if (pending && !yes) {
        if (!isatty(STDIN_FILENO)) {
            if (cli->json && print_fetch_json(cli, shown, fk, n, &err))
                goto oom;
            status = wh_cli_usage("keys fetch",
                                  "stdin is not a terminal, so wharf cannot ask "
                                  "whether to trust them: nothing was trusted; "
                                  "compare the fingerprints with what the "
                                  "server's operator says, then give --yes");
            goto done;
        }
        if (!confirm("wharf: trust these keys?")) {
            status = wh_cli_fail("run `wharf keys fetch` again to trust them",
                                 "nothing was trusted");
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++) {
        fetched_key *k = &fk[i];
        if (k->state == FETCH_NOT_HOST) {
            kr->keys[k->existing].roles |= WH_ROLE_HOST;
        } else if (k->state == FETCH_NEW &&
                   wh_keyring_add(kr, k->label, WH_ROLE_HOST, k->e->key, NULL, &err)) {
            status = wh_cli_fail_err(&err, "nothing was trusted; report this as a bug");
            goto done;
        }
        k->added = k->state != FETCH_KNOWN;
        n_added += k->added;
    }
    if (n_added && wh_cli_keyring_save(cli->keyring_path, kr, &err)) {
        status = wh_cli_fail_err(&err, "nothing was trusted; check the permissions "
                                       "of the config directory");
        goto done;
    }
    if (cli->json) {
        if (print_fetch_json(cli, shown, fk, n, &err))
            goto oom;
    } else if (!cli->quiet) {
        if (n_added)
            printf("trusted %zu host key%s of %s in %s\n", n_added,
                   n_added == 1 ? "" : "s", shown, cli->keyring_path);
        else
            printf("nothing to do: every host key of %s is already trusted\n", shown);
    }
    status = WH_EXIT_OK;
    goto done;
oom:
    status = wh_cli_fail("free some memory and retry", "out of memory");
done:
    free(fk);
    wh_keyring_free(src);
    wh_keyring_free(kr);
    return status;
}

