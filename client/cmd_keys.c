/*
 * cmd_keys.c - `wharf keys`: make signing keys, list them, trust other
 * people's public keys, and export yours for a server operator.
 *
 * Two files are involved (keystore.h): the secret-key file, which signs,
 * and the keyring of trusted public keys, which `wharf verify` reads.
 * Only `keys fetch` talks to a server: it is how a user comes to trust a
 * registry's host key, as ssh's known_hosts does for a host.
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

#define USAGE_CREATE                                                         \
    "usage: wharf keys create [--label LABEL] [--role ROLE]...\n"          \
    "  Makes a new Ed25519 signing key and appends it to your secret-key\n" \
    "  file (--keys; created 0600 in a 0700 directory).  ROLE is creator\n" \
    "  (the default), approver or proxy; repeat --role for several.  The\n" \
    "  label defaults to $USER@hostname.\n"
#define USAGE_LIST                                                           \
    "usage: wharf keys list\n"                                             \
    "  Lists your signing keys and the public keys you trust\n"            \
    "  ($XDG_CONFIG_HOME/wharf/keyring.toml): key, roles, label.\n"
#define USAGE_ADD                                                            \
    "usage: wharf keys add LABEL PUBLIC_KEY [--role ROLE]...\n"            \
    "       wharf keys add --from KEYRING\n"                               \
    "  Trusts a public key (base64 of 32 bytes) for `wharf verify`, by\n"  \
    "  default as a creator; or every key of a Bindle keyring file, whose\n" \
    "  labelSignatures must be valid.  Keys already trusted are kept.\n"
#define USAGE_EXPORT                                                         \
    "usage: wharf keys export [--label LABEL]\n"                           \
    "  Prints a Bindle keyring (TOML) with the public halves of your\n"    \
    "  signing keys (or of the one labelled LABEL), each with a\n"         \
    "  labelSignature: what to hand to a server operator.\n"

#define USAGE_FETCH                                                          \
    "usage: wharf keys fetch [--yes]\n"                                    \
    "  Gets the server's host keys (GET /v1/bindle-keys), shows each one's\n" \
    "  label and fingerprint (the first 16 bytes of the SHA-256 of the raw\n" \
    "  key), asks whether to trust them and adds them to your keyring as\n" \
    "  host keys, labelled \"LABEL (from SERVER)\".  `wharf verify\n"      \
    "  NAME/VERSION` then checks that releases carry their signature.\n"    \
    "  --yes (-y) trusts them without asking; it is required when stdin\n" \
    "  is not a terminal.\n"

static const char usage_all[] = USAGE_CREATE "\n" USAGE_LIST "\n" USAGE_ADD
    "\n" USAGE_FETCH "\n" USAGE_EXPORT;

/* A subcommand's --help: its usage on stdout, status 0. */
static int answer_help(const char *usage)
{
    fputs(usage, stdout);
    return WH_EXIT_OK;
}

static int bad_args(const char *sub, const wh_err *err)
{
    return wh_cli_usage(sub, "%s", err->msg);
}

static int keys_create(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {
        {"label", 0, true}, {"role", 0, true}, {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *label = NULL, *v;
    unsigned roles = 0;
    int which, status = WH_EXIT_FAIL;
    wh_secret_keys *sk = NULL;
    const wh_secret_key *key = NULL;
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 2, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return bad_args("keys create", &err);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP)
            return answer_help(USAGE_CREATE);
        if (which == WH_ARG_POSITIONAL)
            return wh_cli_usage("keys create", "unexpected argument \"%.64s\"", v);
        if (which == 0) {
            if (!v[0])
                return wh_cli_usage("keys create", "--label needs a non-empty value");
            label = v;
        } else if (wh_cli_signing_role(v, &roles, &err)) {
            return bad_args("keys create", &err);
        }
    }
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    if (!roles)
        roles = WH_ROLE_CREATOR;
    char b64[WH_PUBLIC_B64_LEN + 1], rtext[64], shown[1100], dflt[512];
    if (!label) {
        wh_cli_default_label(dflt, sizeof dflt);
        label = dflt;
    }
    if (wh_cli_secret_keys_load(cli, &sk, &err)) {
        status = wh_cli_fail_err(&err, WH_CLI_HINT_KEYS);
        goto done;
    }
    /* Labels name keys in --label and in signatures' `by`: keep them
     * unique so that each names one key. */
    for (size_t i = 0; i < sk->n; i++) {
        if (strcmp(sk->keys[i].label, label) == 0) {
            status = wh_cli_fail("choose another --label",
                                 "%s already holds a key labelled \"%s\"",
                                 cli->keys_path, wh_cli_safe(label, shown, sizeof shown));
            goto done;
        }
    }
    if (wh_cli_key_create(cli, sk, label, roles, &key, &err)) {
        status = wh_cli_fail_err(&err, WH_CLI_HINT_KEYS);
        goto done;
    }
    wh_base64_encode(key->pub, sizeof key->pub, b64);
    wh_cli_roles_text(key->roles, rtext, sizeof rtext);
    if (cli->json) {
        json_t *doc = json_pack("{s:s, s:o, s:s, s:s}", "label", key->label,
                                "roles", wh_cli_roles_json(key->roles), "key",
                                b64, "file", cli->keys_path);
        if (wh_cli_print_json(doc, &err)) {
            status = wh_cli_fail_err(&err, "free some memory and retry");
            goto done;
        }
    } else if (cli->quiet) {
        printf("%s\n", b64);
    } else {
        printf("label:      %s\nroles:      %s\npublic key: %s\nfile:       %s\n",
               wh_cli_safe(key->label, shown, sizeof shown), rtext, b64,
               cli->keys_path);
        wh_cli_note(cli, "give a server operator the output of `wharf keys "
                         "export` so that it trusts this key");
    }
    status = WH_EXIT_OK;
done:
    wh_secret_keys_free(sk);
    return status;
}

/* One key of either file, as a line of `keys list` or a JSON object. */
static int list_key(const wh_cli *cli, json_t *arr, const char *label,
                    unsigned roles, const unsigned char pub[WH_ED25519_PUBLIC_LEN])
{
    char b64[WH_PUBLIC_B64_LEN + 1], rtext[64], shown[1100];
    wh_base64_encode(pub, WH_ED25519_PUBLIC_LEN, b64);
    if (!cli->json) {
        printf("  %s  %-16s  %s\n", b64, wh_cli_roles_text(roles, rtext, sizeof rtext),
               wh_cli_safe(label, shown, sizeof shown));
        return 0;
    }
    return json_array_append_new(arr, json_pack("{s:s, s:o, s:s}", "label", label,
                                                "roles", wh_cli_roles_json(roles),
                                                "key", b64));
}

static int keys_list(wh_cli *cli, int argc, char **argv)
{
    wh_cli_args a;
    wh_err err;
    const char *v;
    int which, status = WH_EXIT_FAIL, bad = 0;
    wh_secret_keys *sk = NULL;
    wh_keyring *kr = NULL;
    json_t *signing = NULL, *trusted = NULL;
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 2, NULL);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return bad_args("keys list", &err);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP)
            return answer_help(USAGE_LIST);
        return wh_cli_usage("keys list", "unexpected argument \"%.64s\"", v);
    }
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    if (wh_cli_secret_keys_load(cli, &sk, &err) ||
        wh_cli_keyring_load(cli->keyring_path, &kr, &err)) {
        status = wh_cli_fail_err(&err, "fix the file, or move it away to start afresh");
        goto done;
    }
    signing = json_array();
    trusted = json_array();
    if (!signing || !trusted)
        goto oom;
    if (!cli->json)
        printf("Signing keys (%s):\n%s", cli->keys_path,
               sk->n ? "" : "  none: create one with `wharf keys create`\n");
    for (size_t i = 0; i < sk->n; i++) {
        const wh_secret_key *k = &sk->keys[i];
        bad |= list_key(cli, signing, k->label, k->roles, k->pub);
    }
    if (!cli->json)
        printf("Trusted keys (%s):\n%s", cli->keyring_path,
               kr->n ? "" : "  none: trust one with `wharf keys add`\n");
    for (size_t i = 0; i < kr->n; i++) {
        const wh_keyring_entry *e = &kr->keys[i];
        bad |= list_key(cli, trusted, e->label, e->roles, e->key);
    }
    if (bad)
        goto oom;
    if (cli->json) {
        json_t *doc = json_pack("{s:{s:s, s:O}, s:{s:s, s:O}}", "signing", "file",
                                cli->keys_path, "keys", signing, "trusted", "file",
                                cli->keyring_path, "keys", trusted);
        if (wh_cli_print_json(doc, &err))
            goto oom;
    }
    status = WH_EXIT_OK;
    goto done;
oom:
    status = wh_cli_fail("free some memory and retry", "out of memory");
done:
    json_decref(signing);
    json_decref(trusted);
    wh_secret_keys_free(sk);
    wh_keyring_free(kr);
    return status;
}

/* A keyring entry's labelSignature, when it has one, must be its key's
 * signature over its label: otherwise someone changed the label (or the
 * key) after the owner signed it, and the entry is not what it claims. */
static int check_label_signature(const wh_keyring_entry *e, wh_err *err)
{
    unsigned char sig[WH_ED25519_SIG_LEN];
    if (!e->label_signature)
        return 0;
    int rc = wh_key_decode(e->label_signature, sig, sizeof sig, "labelSignature", err);
    if (!rc)
        rc = wh_ed25519_verify(e->key, e->label, strlen(e->label), sig, err);
    if (rc)
        wh_err_set(err, WH_EINVAL,
                   "its labelSignature is not the key's signature over its label");
    return rc;
}

/* Adds one key to `kr`; *added tells whether it was new.  A key trusted
 * already under the same label and roles is fine (adding is idempotent);
 * under another label or roles it is an error, as silently keeping either
 * would surprise someone. */
static int add_one(wh_keyring *kr, const char *label, unsigned roles,
                   const unsigned char key[WH_ED25519_PUBLIC_LEN],
                   const char *label_sig, bool *added, wh_err *err)
{
    const wh_keyring_entry *old = wh_keyring_find(kr, key);
    *added = false;
    if (old) {
        if (strcmp(old->label, label) == 0 && old->roles == roles)
            return 0;
        char shown[200], rtext[64];
        wh_keys_shorten(shown, sizeof shown, old->label);
        return wh_err_set(err, WH_EEXIST,
                          "that key is already trusted as \"%s\" (%s)", shown,
                          wh_cli_roles_text(old->roles, rtext, sizeof rtext));
    }
    *added = true;
    return wh_keyring_add(kr, label, roles, key, label_sig, err);
}

static int keys_add(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {
        {"role", 0, true}, {"from", 0, true}, {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *from = NULL, *pos[2] = {NULL, NULL}, *v;
    unsigned roles = 0;
    int which, status = WH_EXIT_FAIL, npos = 0;
    size_t n_added = 0, n_kept = 0;
    wh_keyring *kr = NULL, *src = NULL;
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 2, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return bad_args("keys add", &err);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP)
            return answer_help(USAGE_ADD);
        if (which == WH_ARG_POSITIONAL) {
            if (npos == 2)
                return wh_cli_usage("keys add", "unexpected argument \"%.64s\"", v);
            pos[npos++] = v;
        } else if (which == 0) {
            unsigned bit;
            if (wh_role_parse(v, &bit, &err))
                return bad_args("keys add", &err);
            roles |= bit;
        } else {
            from = v;
        }
    }
    if (from && (npos || roles))
        return wh_cli_usage("keys add", "--from takes the labels and roles from "
                                        "the file: give no LABEL, KEY or --role");
    if (!from && npos != 2)
        return wh_cli_usage("keys add",
                            "give a LABEL and a PUBLIC_KEY, or --from KEYRING");
    unsigned char key[WH_ED25519_PUBLIC_LEN];
    if (!from) {
        if (!pos[0][0])
            return wh_cli_usage("keys add", "the label is empty");
        if (wh_key_decode(pos[1], key, sizeof key, "public key", &err))
            return bad_args("keys add", &err);
    }
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    if (wh_cli_keyring_load(cli->keyring_path, &kr, &err)) {
        status = wh_cli_fail_err(&err,
                                 "fix the keyring, or move it away to start afresh");
        goto done;
    }
    if (!from) {
        bool added;
        if (!roles)
            roles = WH_ROLE_CREATOR;
        if (add_one(kr, pos[0], roles, key, NULL, &added, &err)) {
            status = wh_cli_fail_err(&err, "to change it, edit or remove its "
                                           "entry in the keyring");
            goto done;
        }
        n_added += added;
        n_kept += !added;
    } else {
        if (wh_keyring_load(from, NULL, &src, &err)) {
            status = wh_cli_fail_err(&err, "check the path; it must be a "
                                           "Bindle keyring file");
            goto done;
        }
        for (size_t i = 0; i < src->n; i++) {
            bool added;
            const wh_keyring_entry *e = &src->keys[i];
            if (check_label_signature(e, &err) ||
                add_one(kr, e->label, e->roles, e->key, e->label_signature,
                        &added, &err)) {
                char shown[200];
                wh_keys_shorten(shown, sizeof shown, e->label);
                status = wh_cli_fail("nothing was added; ask its owner for a fresh "
                                     "export, or fix the entry",
                                     "%s: key %zu (\"%s\"): %s", from, i,
                                     shown, err.msg);
                goto done;
            }
            n_added += added;
            n_kept += !added;
        }
    }
    if (n_added && wh_cli_keyring_save(cli->keyring_path, kr, &err)) {
        status = wh_cli_fail_err(&err, "check the permissions of the config directory");
        goto done;
    }
    if (cli->json) {
        json_t *doc = json_pack("{s:I, s:I, s:s}", "added", (json_int_t)n_added,
                                "already_trusted", (json_int_t)n_kept, "file",
                                cli->keyring_path);
        if (wh_cli_print_json(doc, &err)) {
            status = wh_cli_fail_err(&err, "free some memory and retry");
            goto done;
        }
    } else if (!cli->quiet) {
        printf("trusted %zu new key%s in %s", n_added, n_added == 1 ? "" : "s",
               cli->keyring_path);
        if (n_kept)
            printf(" (%zu already trusted)", n_kept);
        putchar('\n');
    }
    status = WH_EXIT_OK;
done:
    wh_keyring_free(kr);
    wh_keyring_free(src);
    return status;
}

/* ---- keys fetch ---- */

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
static int keys_fetch(wh_cli *cli, int argc, char **argv)
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
            return bad_args("keys fetch", &err);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP)
            return answer_help(USAGE_FETCH);
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
        if (check_label_signature(e, &err) || key_fingerprint(e->key, k->fingerprint, &err)) {
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

static int keys_export(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"label", 0, true}, {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *label = NULL, *v;
    int which, status = WH_EXIT_FAIL;
    wh_secret_keys *sk = NULL;
    wh_keyring *kr = NULL;
    char *text = NULL;
    size_t len = 0;
    json_t *doc = NULL;
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 2, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return bad_args("keys export", &err);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP)
            return answer_help(USAGE_EXPORT);
        if (which == WH_ARG_POSITIONAL)
            return wh_cli_usage("keys export", "unexpected argument \"%.64s\"", v);
        label = v;
    }
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    if (wh_cli_secret_keys_load(cli, &sk, &err)) {
        status = wh_cli_fail_err(&err, WH_CLI_HINT_KEYS);
        goto done;
    }
    kr = wh_keyring_new();
    if (!kr) {
        status = wh_cli_fail("free some memory and retry", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < sk->n; i++) {
        if (label && strcmp(sk->keys[i].label, label) != 0)
            continue;
        if (wh_keyring_add_secret(kr, &sk->keys[i], &err)) {
            status = wh_cli_fail_err(&err, "check the secret-key file");
            goto done;
        }
    }
    if (kr->n == 0) {
        char shown[200];
        if (label)
            status = wh_cli_fail("see `wharf keys list`",
                                 "%s holds no key labelled \"%s\"", cli->keys_path,
                                 wh_cli_safe(label, shown, sizeof shown));
        else
            status = wh_cli_fail("create one with `wharf keys create`",
                                 "%s holds no signing key", cli->keys_path);
        goto done;
    }
    if (wh_keyring_emit(kr, &text, &len, &err) ||
        (cli->json && (wh_toml_parse(text, len, &doc, &err) ||
                       wh_cli_print_json(json_incref(doc), &err)))) {
        status = wh_cli_fail_err(&err, "free some memory and retry");
        goto done;
    }
    if (!cli->json)
        fwrite(text, 1, len, stdout);
    status = WH_EXIT_OK;
done:
    json_decref(doc);
    free(text);
    wh_keyring_free(kr);
    wh_secret_keys_free(sk);
    return status;
}

static const struct {
    const char *name;
    int (*run)(wh_cli *, int, char **);
} subcommands[] = {
    {"create", keys_create},
    {"list", keys_list},
    {"add", keys_add},
    {"fetch", keys_fetch},
    {"export", keys_export},
};

static int run_keys(wh_cli *cli, int argc, char **argv)
{
    if (argc < 2)
        return wh_cli_usage("keys",
                            "keys needs a subcommand: create, list, add, fetch or export");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return answer_help(usage_all);
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(cli, argc, argv);
    char shown[80];
    return wh_cli_usage("keys",
                        "no such keys subcommand \"%s\" (create, list, add, fetch, export)",
                        wh_cli_safe(argv[1], shown, sizeof shown));
}

const wh_cli_command wh_cmd_keys = {
    .name = "keys",
    .summary = "make signing keys, trust public keys, export yours",
    .usage = usage_all,
    .run = run_keys,
};
