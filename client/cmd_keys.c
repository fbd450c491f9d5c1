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

static const char usage_all[] = USAGE_CREATE "\n" USAGE_LIST "\n" USAGE_ADD
    "\n" WH_CLI_USAGE_KEYS_FETCH "\n" USAGE_EXPORT;

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
            if (wh_cli_check_label_signature(e, &err) ||
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
    {"fetch", wh_cli_keys_fetch},
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
