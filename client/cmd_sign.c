/*
 * cmd_sign.c - `wharf sign` and `wharf verify`: Bindle signatures on local
 * invoice files, before they are pushed or after they are pulled.
 *
 * Both read the invoice the way wharfd does (TOML, or JSON when the file
 * starts with '{'; the same limits; the same validation), so that an
 * invoice that passes here is not refused there for its shape.  sign
 * always writes TOML, Bindle's format.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "invoice_file.h"
#include "keystore.h"
#include "schema/base64.h"
#include "schema/file.h"
#include "schema/invoice.h"
#include "schema/signature.h"

#define USAGE_SIGN                                                            \
    "usage: wharf sign INVOICE [-o OUT] [--role ROLE] [--label LABEL]\n"     \
    "  Validates a local invoice (TOML, or JSON when it starts with '{')\n"  \
    "  and adds your signature in ROLE (creator, the default; approver;\n"   \
    "  proxy), made with your first key holding that role or the one\n"     \
    "  labelled LABEL.  Writes TOML to OUT, or replaces INVOICE atomically.\n" \
    "  With no signing key at all, creates one first and says so.  A key\n" \
    "  signs an invoice once.\n"
#define USAGE_VERIFY                                                          \
    "usage: wharf verify INVOICE [--strategy STRATEGY]\n"                    \
    "  Checks a local invoice's signatures against the keys you trust\n"     \
    "  (`wharf keys add`) and your own keys, and prints each signature as\n" \
    "  verified, untrusted (valid, but by a key you do not trust) or\n"      \
    "  invalid.  STRATEGY is one of Bindle's: CreativeIntegrity (the\n"      \
    "  default), AuthoritativeIntegrity, GreedyVerification,\n"              \
    "  ExhaustiveVerification, MultipleAttestation[ROLE,...],\n"             \
    "  MultipleAttestationGreedy[ROLE,...].  Exit status 1 when it fails.\n"

static int run_sign(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"output", 'o', true},
                                      {"role", 0, true},
                                      {"label", 0, true},
                                      {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *path = NULL, *out = NULL, *label = NULL, *v, *hint = NULL;
    unsigned role = 0;
    int which, status = WH_EXIT_FAIL;
    wh_invoice *inv = NULL;
    wh_secret_keys *sk = NULL;
    const wh_secret_key *key = NULL;
    char *text = NULL, *target = NULL;
    size_t len = 0;
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return wh_cli_usage("sign", "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(USAGE_SIGN, stdout);
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL) {
            if (path)
                return wh_cli_usage("sign", "sign takes one INVOICE");
            path = v;
        } else if (which == 0) {
            out = v;
        } else if (which == 1) {
            unsigned r = 0;
            if (wh_cli_signing_role(v, &r, &err))
                return wh_cli_usage("sign", "%s", err.msg);
            if (role && role != r)
                return wh_cli_usage("sign", "a signature has one role: give --role once");
            role = r;
        } else {
            label = v;
        }
    }
    if (!path)
        return wh_cli_usage("sign", "which invoice? give its file");
    if ((out && !out[0]) || (label && !label[0]))
        return wh_cli_usage("sign", "-o and --label need a non-empty value");
    if (!role)
        role = WH_ROLE_CREATOR;
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;

    int rc = wh_cli_load_invoice(path, &inv, &err);
    if (rc) {
        status = wh_cli_fail_err(&err, wh_cli_load_hint(rc));
        goto done;
    }
    if (wh_cli_secret_keys_load(cli, &sk, &err)) {
        status = wh_cli_fail_err(&err, WH_CLI_HINT_KEYS);
        goto done;
    }
    if (wh_cli_pick_key(cli, sk, label, role, &key, &hint, &err)) {
        status = wh_cli_fail_err(&err, hint);
        goto done;
    }
    char b64[WH_PUBLIC_B64_LEN + 1], shown[1100];
    wh_base64_encode(key->pub, sizeof key->pub, b64);
    wh_cli_safe(key->label, shown, sizeof shown);
    int64_t at = (int64_t)time(NULL);
    rc = wh_sig_sign(inv, key, role, at, &err);
    if (rc == WH_EEXIST) {
        status = wh_cli_fail("one key signs an invoice once; sign with another "
                             "key (--label) or leave it as it is",
                             "%s is already signed by your key \"%s\" (%s)", path,
                             shown, b64);
        goto done;
    }
    if (rc || wh_invoice_emit_toml(inv, &text, &len, &err)) {
        status = wh_cli_fail_err(&err, "report this as a bug");
        goto done;
    }
    /* In place through a symlink means the file it points to. */
    target = out ? strdup(out) : realpath(path, NULL);
    if (!target)
        target = strdup(path);
    if (!target || wh_cli_write_atomic(target, text, len, 0644, &err)) {
        if (!target)
            wh_err_set(&err, WH_ENOMEM, "out of memory");
        status = wh_cli_fail_err(&err, "check the directory's permissions "
                                       "and free space");
        goto done;
    }
    if (cli->json) {
        char id[600];
        snprintf(id, sizeof id, "%s/%s", inv->bindle.name, inv->bindle.version);
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "invoice", id,
                                "file", target, "by", key->label, "key", b64,
                                "role", wh_role_name(role), "at", (json_int_t)at);
        if (wh_cli_print_json(doc, &err)) {
            status = wh_cli_fail_err(&err, "the invoice is signed and saved; "
                                           "retry without --json to see the details");
            goto done;
        }
    } else if (!cli->quiet) {
        char name[600];
        printf("signed %s %s as %s with \"%s\" (%s)\nwrote %s\n",
               wh_cli_safe(inv->bindle.name, name, sizeof name), inv->bindle.version,
               wh_role_name(role), shown, b64, target);
    }
    status = WH_EXIT_OK;
done:
    free(target);
    free(text);
    wh_secret_keys_free(sk);
    wh_invoice_free(inv);
    return status;
}

/* The keys verify trusts: the keyring, then the public halves of the
 * user's own keys (a key that is in both counts once).  The first
 * *n_keyring entries are the keyring's; the rest are the user's own. */
static int trusted_keys(const wh_cli *cli, wh_keyring **out, size_t *n_keyring,
                        wh_err *err)
{
    wh_secret_keys *sk = NULL;
    int rc = wh_cli_keyring_load(cli->keyring_path, out, err);
    if (!rc)
        rc = wh_cli_secret_keys_load(cli, &sk, err);
    if (!rc) {
        *n_keyring = (*out)->n;
        for (size_t i = 0; i < sk->n && !rc; i++) {
            if (wh_keyring_find(*out, sk->keys[i].pub))
                continue;
            rc = wh_keyring_add(*out, sk->keys[i].label, sk->keys[i].roles,
                                sk->keys[i].pub, NULL, err);
        }
    }
    wh_secret_keys_free(sk);
    if (rc) {
        wh_keyring_free(*out);
        *out = NULL;
    }
    return rc;
}

/* What verify says about one signature. */
typedef struct sig_report {
    bool valid;
    const wh_keyring_entry *known;   /* NULL when the key is not trusted */
    bool mine;                       /* known from the secret-key file */
    wh_err why;                      /* when !valid */
} sig_report;

static void report_signature(const wh_invoice *inv, const wh_keyring *kr,
                             size_t n_keyring, size_t i, sig_report *r)
{
    const wh_signature *s = &inv->signatures[i];
    unsigned char pub[WH_ED25519_PUBLIC_LEN];
    wh_err_clear(&r->why);
    r->valid = wh_sig_verify(inv, s, &r->why) == 0;
    r->known = NULL;
    r->mine = false;
    if (s->key && wh_key_decode(s->key, pub, sizeof pub, "key", NULL) == 0)
        r->known = wh_keyring_find(kr, pub);
    if (r->known)
        r->mine = (size_t)(r->known - kr->keys) >= n_keyring;
}

/* The hint for a failed verification: what the reports say went wrong. */
static void verify_hint(const wh_invoice *inv, const sig_report *reps,
                        char *buf, size_t cap)
{
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        if (reps[i].valid && !reps[i].known) {
            char by[200], key[64];
            wh_keys_shorten(by, sizeof by, s->by ? s->by : "");
            wh_keys_shorten(key, sizeof key, s->key ? s->key : "");
            snprintf(buf, cap,
                     "signature %zu is by an unknown key: if it is really "
                     "theirs, trust it with `wharf keys add \"%s\" %s` (or "
                     "`wharf keys add --from KEYRING` with their keyring)",
                     i, by, key);
            return;
        }
    }
    for (size_t i = 0; i < inv->n_signatures; i++) {
        if (!reps[i].valid) {
            snprintf(buf, cap, "the invoice was changed after it was signed, or "
                               "signature %zu is not genuine; get the invoice "
                               "again from its author", i);
            return;
        }
    }
    snprintf(buf, cap, "the invoice lacks the signatures the strategy asks for: "
                       "sign it with `wharf sign`, or see `wharf help verify`");
}

static int run_verify(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"strategy", 0, true}, {NULL, 0, false}};
    wh_cli_args a;
    wh_err err, why;
    const char *path = NULL, *v;
    wh_strategy st = {.kind = WH_STRATEGY_CREATIVE_INTEGRITY, .roles = 0};
    int which, status = WH_EXIT_FAIL;
    wh_invoice *inv = NULL;
    wh_keyring *kr = NULL;
    sig_report *reps = NULL;
    json_t *sigs = NULL;
    size_t n_keyring = 0;
    wh_err_clear(&err);
    wh_err_clear(&why);
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return wh_cli_usage("verify", "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(USAGE_VERIFY, stdout);
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL) {
            if (path)
                return wh_cli_usage("verify", "verify takes one INVOICE");
            path = v;
        } else if (wh_strategy_parse(v, &st, &err)) {
            return wh_cli_usage("verify", "%s", err.msg);
        }
    }
    if (!path)
        return wh_cli_usage("verify", "which invoice? give its file");
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;

    int rc = wh_cli_load_invoice(path, &inv, &err);
    if (rc) {
        status = wh_cli_fail_err(&err, wh_cli_load_hint(rc));
        goto done;
    }
    if (trusted_keys(cli, &kr, &n_keyring, &err)) {
        status = wh_cli_fail_err(&err, "fix the file, or move it away");
        goto done;
    }
    reps = calloc(inv->n_signatures + 1, sizeof *reps);
    sigs = json_array();
    if (!reps || !sigs)
        goto oom;
    for (size_t i = 0; i < inv->n_signatures; i++)
        report_signature(inv, kr, n_keyring, i, &reps[i]);
    bool ok = wh_sig_verify_invoice(inv, kr, &st, &why) == 0;
    char sname[WH_STRATEGY_NAME_MAX], id[600];
    wh_strategy_format(&st, sname, sizeof sname);
    snprintf(id, sizeof id, "%s/%s", inv->bindle.name, inv->bindle.version);

    if (!cli->json && !cli->quiet)
        printf("%s (%s)\n", wh_cli_safe(id, id, sizeof id), path);
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        const sig_report *r = &reps[i];
        const char *state = !r->valid ? "invalid" : r->known ? "verified" : "untrusted";
        const char *trust = r->mine ? "your key" : r->known ? "keyring" : NULL;
        if (cli->json) {
            json_t *o = json_pack("{s:s?, s:s?, s:s?, s:I, s:s, s:b, s:s?, s:s?}",
                                  "by", s->by, "role", s->role, "key", s->key,
                                  "at", (json_int_t)s->at, "state", state,
                                  "valid", r->valid, "trusted_as",
                                  r->known ? r->known->label : NULL, "error",
                                  r->valid ? NULL : r->why.msg);
            if (json_array_append_new(sigs, o))
                goto oom;
        } else if (!cli->quiet) {
            char by[1100], role[32], key[64];
            printf("  %-9s  %-8s  %s  %s", state,
                   wh_cli_safe(s->role, role, sizeof role),
                   wh_cli_safe(s->key, key, sizeof key),
                   wh_cli_safe(s->by, by, sizeof by));
            if (trust)
                printf("  (%s)", trust);
            putchar('\n');
            if (!r->valid)
                printf("             why: %s\n", wh_cli_safe(r->why.msg, by, sizeof by));
        }
    }
    if (cli->json) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:s?, s:O}", "invoice", id,
                                "file", path, "strategy", sname, "verified", ok,
                                "error", ok ? NULL : why.msg, "signatures", sigs);
        if (wh_cli_print_json(doc, &err))
            goto oom;
    } else if (ok && !cli->quiet) {
        printf("passes %s\n", sname);
    }
    if (ok) {
        status = WH_EXIT_OK;
    } else {
        char hint[1024];
        verify_hint(inv, reps, hint, sizeof hint);
        status = wh_cli_fail(hint, "%s does not verify: %s", path, why.msg);
    }
    goto done;
oom:
    status = wh_cli_fail("free some memory and retry", "out of memory");
done:
    json_decref(sigs);
    free(reps);
    wh_keyring_free(kr);
    wh_invoice_free(inv);
    return status;
}

const wh_cli_command wh_cmd_sign = {
    .name = "sign",
    .summary = "sign a local invoice with your key",
    .usage = USAGE_SIGN,
    .run = run_sign,
};

const wh_cli_command wh_cmd_verify = {
    .name = "verify",
    .summary = "check a local invoice's signatures against the keys you trust",
    .usage = USAGE_VERIFY,
    .run = run_verify,
};
