/*
 * keystore.c - the user's secret-key file and trusted keyring, with the
 * defaults and messages of the command line (keystore.h).
 */
#include "keystore.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/base64.h"

/* Creates the directory that will hold `path`. */
static int make_parent(const char *path, wh_err *err)
{
    char *dir = NULL;
    int rc = wh_cli_dirname(path, &dir, err);
    if (!rc)
        rc = wh_cli_mkdirs(dir, err);
    free(dir);
    return rc;
}

int wh_cli_secret_keys_load(const wh_cli *cli, wh_secret_keys **out,
                            wh_err *err)
{
    int rc = wh_secret_keys_load(cli->keys_path, NULL, out, err);
    if (rc != WH_ENOTFOUND)
        return rc;
    *out = wh_secret_keys_new();
    return *out ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

int wh_cli_secret_keys_save(const wh_cli *cli, const wh_secret_keys *sk,
                            wh_err *err)
{
    int rc = make_parent(cli->keys_path, err);
    return rc ? rc : wh_secret_keys_save(sk, cli->keys_path, err);
}

int wh_cli_keyring_load(const char *path, wh_keyring **out, wh_err *err)
{
    int rc = wh_keyring_load(path, NULL, out, err);
    if (rc != WH_ENOTFOUND)
        return rc;
    *out = wh_keyring_new();
    return *out ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

int wh_cli_keyring_save(const char *path, const wh_keyring *kr, wh_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = make_parent(path, err);
    if (!rc)
        rc = wh_keyring_emit(kr, &text, &len, err);
    /* Public keys: readable by others is fine, as ~/.ssh/known_hosts. */
    if (!rc)
        rc = wh_cli_write_atomic(path, text, len, 0644, err);
    free(text);
    return rc;
}

void wh_cli_default_label(char *buf, size_t cap)
{
    const char *user = getenv("USER");
    if (!user || !user[0]) {
        const struct passwd *pw = getpwuid(getuid());
        user = pw && pw->pw_name[0] ? pw->pw_name : "wharf";
    }
    char host[256];
    if (gethostname(host, sizeof host) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(buf, cap, "%s@%s", user, host);
}

int wh_cli_key_create(const wh_cli *cli, wh_secret_keys *sk, const char *label,
                      unsigned roles, const wh_secret_key **out, wh_err *err)
{
    char dflt[512];
    if (!label) {
        wh_cli_default_label(dflt, sizeof dflt);
        label = dflt;
    }
    int rc = wh_secret_keys_generate(sk, label, roles, out, err);
    if (!rc)
        rc = wh_cli_secret_keys_save(cli, sk, err);
    return rc;
}

const char *wh_cli_roles_text(unsigned roles, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned bit = 1; bit <= WH_ROLE_HOST; bit <<= 1) {
        if (!(roles & bit))
            continue;
        int w = snprintf(buf + used, cap - used, "%s%s", used ? "," : "",
                         wh_role_name(bit));
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

json_t *wh_cli_roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (unsigned bit = 1; a && bit <= WH_ROLE_HOST; bit <<= 1) {
        if ((roles & bit) && json_array_append_new(a, json_string(wh_role_name(bit)))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int wh_cli_signing_role(const char *s, unsigned *roles, wh_err *err)
{
    unsigned bit;
    int rc = wh_role_parse(s, &bit, err);
    if (rc)
        return rc;
    if (bit == WH_ROLE_HOST)
        return wh_err_set(err, WH_EINVAL,
                          "--role host: host keys belong to servers (wharfd "
                          "makes its own); use creator, approver or proxy");
    *roles |= bit;
    return 0;
}

/* The key to sign with: the one labelled `label` (which must hold `role`),
 * else the first holding `role`; creates one when the user has none. */
int wh_cli_pick_key(const wh_cli *cli, wh_secret_keys *sk, const char *label,
                    unsigned role, const wh_secret_key **out, const char **hint,
                    wh_err *err)
{
    char shown[200];
    *out = NULL;
    if (sk->n == 0) {
        int rc = wh_cli_key_create(cli, sk, label, role, out, err);
        if (rc) {
            *hint = WH_CLI_HINT_KEYS;
            return rc;
        }
        char b64[WH_PUBLIC_B64_LEN + 1];
        wh_base64_encode((*out)->pub, WH_ED25519_PUBLIC_LEN, b64);
        wh_cli_note(cli, "you had no signing key, so created \"%s\" (%s) in %s; "
                         "hand `wharf keys export` to your server's operator",
                    wh_cli_safe((*out)->label, shown, sizeof shown), b64, cli->keys_path);
        return 0;
    }
    wh_keys_shorten(shown, sizeof shown, label ? label : "");
    for (size_t i = 0; i < sk->n; i++) {
        const wh_secret_key *k = &sk->keys[i];
        if (label ? strcmp(k->label, label) != 0 : !(k->roles & role))
            continue;
        if (!(k->roles & role)) {
            *hint = "pick another key with --label, or another --role";
            return wh_err_set(err, WH_EINVAL, "your key \"%s\" does not hold the %s role",
                              shown, wh_role_name(role));
        }
        *out = k;
        return 0;
    }
    if (label) {
        *hint = "see `wharf keys list`";
        return wh_err_set(err, WH_ENOTFOUND, "%s holds no key labelled \"%s\"",
                          cli->keys_path, shown);
    }
    *hint = "make one with `wharf keys create --role ...`";
    return wh_err_set(err, WH_ENOTFOUND, "none of your keys in %s holds the %s role",
                      cli->keys_path, wh_role_name(role));
}

/* A keyring entry's labelSignature, when it has one, must be its key's
 * signature over its label: otherwise someone changed the label (or the
 * key) after the owner signed it, and the entry is not what it claims. */
int wh_cli_check_label_signature(const wh_keyring_entry *e, wh_err *err)
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
