/*
 * cmd_sign.c - `wharf sign` and `wharf verify`: Bindle signatures on local
 * invoice files, before they are pushed or after they are pulled, and on
 * published releases (`wharf verify NAME/VERSION`).
 *
 * Both read the invoice the way wharfd does (TOML, or JSON when the file
 * starts with '{'; the same limits; the same validation), so that an
 * invoice that passes here is not refused there for its shape.  sign
 * always writes TOML, Bindle's format.  A published invoice is fetched as
 * JSON and then checked exactly as a local one, plus its host signature
 * against the host keys the user trusts (`wharf keys fetch`).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "http.h"
#include "invoice_file.h"
#include "keystore.h"
#include "schema/base64.h"
#include "schema/file.h"
#include "schema/invoice.h"
#include "schema/semver.h"
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
    "       wharf verify NAME/VERSION [--strategy STRATEGY]\n"               \
    "  Checks an invoice's signatures against the keys you trust\n"         \
    "  (`wharf keys add`) and your own keys: a local file, or, when no\n"   \
    "  such file exists, the release NAME/VERSION published on the server.\n" \
    "  Prints each signature as verified, untrusted (valid, but by a key\n" \
    "  you do not trust) or invalid.  STRATEGY is one of Bindle's:\n"       \
    "  CreativeIntegrity (the default), AuthoritativeIntegrity,\n"          \
    "  GreedyVerification, ExhaustiveVerification,\n"                       \
    "  MultipleAttestation[ROLE,...], MultipleAttestationGreedy[ROLE,...].\n" \
    "  Once you trust a server's host keys (`wharf keys fetch`), a\n"       \
    "  published release must also carry a host signature by one of them.\n" \
    "  Exit status 1 when it fails.\n"

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
    bool is_host;                    /* made in the host role */
    /* Not host, by a key the user trusts only as a server's host key. */
    bool host_only;
    /* Trusted for what it signs: a host signature by a key trusted as a
     * host key, any other by a known key that is not only a host key. */
    bool trusted;
    wh_err why;                      /* when !valid */
} sig_report;

static void report_signature(const wh_invoice *inv, const wh_keyring *kr,
                             size_t n_keyring, size_t i, sig_report *r)
{
    const wh_signature *s = &inv->signatures[i];
    unsigned char pub[WH_ED25519_PUBLIC_LEN];
    unsigned role = 0;
    wh_err_clear(&r->why);
    r->valid = wh_sig_verify(inv, s, &r->why) == 0;
    r->known = NULL;
    r->mine = false;
    if (s->key && wh_key_decode(s->key, pub, sizeof pub, "key", NULL) == 0)
        r->known = wh_keyring_find(kr, pub);
    if (r->known)
        r->mine = (size_t)(r->known - kr->keys) >= n_keyring;
    r->is_host = s->role && wh_role_parse(s->role, &role, NULL) == 0 &&
                 role == WH_ROLE_HOST;
    r->host_only = r->known && !r->is_host && r->known->roles == WH_ROLE_HOST;
    r->trusted = r->known && (r->is_host ? (r->known->roles & WH_ROLE_HOST) != 0
                                         : !r->host_only);
}

/* The hint for a failed verification: what the reports say went wrong. */
static void verify_hint(const wh_invoice *inv, const sig_report *reps,
                        char *buf, size_t cap)
{
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        if (reps[i].valid && !reps[i].trusted && !reps[i].is_host) {
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
        if (reps[i].valid && !reps[i].trusted) {
            snprintf(buf, cap, "signature %zu is a host signature by a key you do "
                               "not trust as a host key: `wharf keys fetch` "
                               "shows the server's keys and trusts them", i);
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

/*
 * A key fetched as a server's host key vouches for what that server
 * serves, not for who wrote it; Bindle's strategies do not look at a
 * keyring entry's roles, so without this check a server could sign a
 * release as its creator with its host key and pass.  Returns the index of
 * the first such signature, or SIZE_MAX.
 */
static size_t first_host_only(const wh_invoice *inv, const sig_report *reps)
{
    for (size_t i = 0; i < inv->n_signatures; i++)
        if (reps[i].host_only)
            return i;
    return SIZE_MAX;
}

/* What the host check of a published release found. */
typedef struct host_check {
    size_t trusted_keys;   /* host keys in the user's keyring */
    size_t verified;       /* valid host signatures by one of them */
    bool ok;
    char msg[1400];        /* why not, when !ok */
    char hint[600];
} host_check;

/*
 * The host signature says that a registry accepted the release.  It counts
 * once the user trusts some host key (`wharf keys fetch`): from then on a
 * published release must carry a valid host signature by one of those
 * keys, so that a server with another key, or one that strips the host
 * signature, is caught; other host signatures (a release mirrored through
 * other registries) are reported but do not fail.  An invalid host
 * signature always fails: the invoice was changed after a server signed it.
 */
static void check_host(const wh_invoice *inv, const wh_keyring *kr,
                       const sig_report *reps, const char *id, host_check *hc)
{
    size_t first_untrusted = SIZE_MAX, n_host = 0;
    char by[200], key[64], mine[200];
    memset(hc, 0, sizeof *hc);
    hc->ok = true;
    const wh_keyring_entry *some = NULL;
    for (size_t i = 0; i < kr->n; i++) {
        if (kr->keys[i].roles & WH_ROLE_HOST) {
            hc->trusted_keys++;
            some = some ? some : &kr->keys[i];
        }
    }
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        if (!reps[i].is_host)
            continue;
        n_host++;
        if (!reps[i].valid) {
            wh_keys_shorten(by, sizeof by, s->by ? s->by : "");
            snprintf(hc->msg, sizeof hc->msg, "%s: host signature %zu (by \"%s\") is "
                     "invalid: %s", id, i, by, reps[i].why.msg);
            snprintf(hc->hint, sizeof hc->hint, "the invoice was changed after the "
                     "server signed it: do not use this release, and tell the "
                     "server's operator");
            hc->ok = false;
            return;
        }
        if (reps[i].trusted)
            hc->verified++;
        else if (first_untrusted == SIZE_MAX)
            first_untrusted = i;
    }
    if (hc->trusted_keys == 0 || hc->verified > 0)
        return;
    hc->ok = false;
    if (n_host == 0) {
        snprintf(hc->msg, sizeof hc->msg, "%s carries no host signature, but you "
                 "trust host keys: it did not come through a registry you trust", id);
        snprintf(hc->hint, sizeof hc->hint, "get it from a registry whose host key "
                 "you trust, or trust this one's with `wharf keys fetch`");
        return;
    }
    const wh_signature *s = &inv->signatures[first_untrusted];
    wh_keys_shorten(by, sizeof by, s->by ? s->by : "");
    wh_keys_shorten(key, sizeof key, s->key ? s->key : "");
    wh_keys_shorten(mine, sizeof mine, some->label);
    snprintf(hc->msg, sizeof hc->msg, "%s: its host signature is by \"%s\" (key %s), "
             "which is not a host key you trust (you trust %zu: \"%s\"%s)", id, by,
             key, hc->trusted_keys, mine, hc->trusted_keys > 1 ? ", ..." : "");
    snprintf(hc->hint, sizeof hc->hint, "if the server's host key changed, compare "
             "the fingerprint `wharf keys fetch` shows with what its operator says "
             "before you trust it; otherwise this release did not come from a "
             "registry you trust");
}

/* GETs the invoice of NAME/VERSION (JSON) and reads it as a local file is
 * read.  On failure prints why and returns WH_EXIT_FAIL. */
static int fetch_invoice(const wh_cli *cli, const char *id, const char *name,
                         const char *version, wh_invoice **out)
{
    wh_http *h = NULL;
    wh_http_resp r = {0};
    wh_err err;
    int status = WH_EXIT_FAIL;
    char msg[512], path[2048];
    char *esc = wh_http_escape_id(name, version);
    wh_err_clear(&err);
    *out = NULL;
    if (!esc || (size_t)snprintf(path, sizeof path, "/_i/%s", esc) >= sizeof path) {
        status = wh_cli_fail("free some memory and retry", "out of memory");
        goto done;
    }
    if (wh_http_open(cli->server, cli->token, &h, &err) ||
        wh_http_request(h, "GET", path, NULL, NULL, 0, "application/json", &r, &err)) {
        status = wh_cli_fail_err(&err, "check the server address (--server) and "
                                       "that it is running");
        goto done;
    }
    if (r.status != 200) {
        wh_http_error_text(&r, msg, sizeof msg);
        const char *hint = r.status == 404 ? "check the name and version (`wharf search`)"
                         : r.status == 401 ? "give a token with --token or WHARF_TOKEN"
                         : r.status == 403 && strstr(msg, "yanked")
                             ? "it is yanked; `wharf info --yanked` still shows it"
                         : "see the server's message";
        status = wh_cli_fail(hint, "%s: HTTP %ld: %s", id, r.status, msg);
        goto done;
    }
    if (wh_invoice_parse_json(r.body ? r.body : "", r.len, NULL, out, &err) ||
        wh_invoice_validate(*out, &err)) {
        status = wh_cli_fail("tell the server's operator",
                             "the server's invoice of %s is not valid: %s", id, err.msg);
        goto done;
    }
    /* Signatures cover the name and version, so a server answering with a
     * genuine invoice of another release would otherwise pass. */
    if (strcmp((*out)->bindle.name, name) != 0 || strcmp((*out)->bindle.version, version) != 0) {
        char got[600];
        snprintf(got, sizeof got, "%s/%s", (*out)->bindle.name, (*out)->bindle.version);
        status = wh_cli_fail("do not use what this server serves; tell its operator",
                             "asked for %s, the server answered with the invoice of %s",
                             id, wh_cli_safe(got, got, sizeof got));
        goto done;
    }
    status = WH_EXIT_OK;
done:
    if (status) {
        wh_invoice_free(*out);
        *out = NULL;
    }
    free(esc);
    wh_http_resp_clear(&r);
    wh_http_close(h);
    return status;
}

static int run_verify(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"strategy", 0, true}, {NULL, 0, false}};
    wh_cli_args a;
    wh_err err, why;
    const char *path = NULL, *v, *version = NULL;
    wh_strategy st = {.kind = WH_STRATEGY_CREATIVE_INTEGRITY, .roles = 0};
    int which, status = WH_EXIT_FAIL;
    wh_invoice *inv = NULL;
    wh_keyring *kr = NULL;
    sig_report *reps = NULL;
    json_t *sigs = NULL, *host = NULL;
    size_t n_keyring = 0;
    bool remote = false;
    char name[512];
    host_check hc;
    wh_err_clear(&err);
    wh_err_clear(&why);
    memset(&hc, 0, sizeof hc);
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
                return wh_cli_usage("verify", "verify takes one INVOICE or NAME/VERSION");
            path = v;
        } else if (wh_strategy_parse(v, &st, &err)) {
            return wh_cli_usage("verify", "%s", err.msg);
        }
    }
    if (!path)
        return wh_cli_usage("verify", "which invoice? give its file or NAME/VERSION");
    /* A file wins: NAME/VERSION is only what does not exist locally. */
    struct stat sb;
    remote = stat(path, &sb) != 0 && (errno == ENOENT || errno == ENOTDIR) &&
             wh_cli_split_id(path, name, sizeof name, &version);
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;

    if (remote) {
        if (fetch_invoice(cli, path, name, version, &inv))
            goto done;
    } else {
        int rc = wh_cli_load_invoice(path, &inv, &err);
        if (rc) {
            status = wh_cli_fail_err(&err, wh_cli_load_hint(rc));
            goto done;
        }
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
    char sname[3 * WH_STRATEGY_NAME_MAX], id[600], msg[2048], hint[1024];
    snprintf(id, sizeof id, "%s/%s", inv->bindle.name, inv->bindle.version);
    wh_cli_safe(id, id, sizeof id);
    wh_strategy_format(&st, sname, sizeof sname);
    bool ok = wh_sig_verify_invoice(inv, kr, &st, &why) == 0;
    wh_strategy alt;
    if (!ok && wh_invoice_is_mirror(inv) && wh_strategy_for_mirror(&st, &alt)) {
        /* A mirror's copier signs as proxy (docs/security.md). */
        wh_err why2;
        if (wh_sig_verify_invoice(inv, kr, &alt, &why2) == 0) {
            ok = true;
            size_t used = strlen(sname);
            snprintf(sname + used, sizeof sname - used, " (a mirror: ");
            used = strlen(sname);
            wh_strategy_format(&alt, sname + used, sizeof sname - used);
            used = strlen(sname);
            snprintf(sname + used, sizeof sname - used, ")");
        }
    }
    size_t misuse = first_host_only(inv, reps);
    if (remote)
        check_host(inv, kr, reps, id, &hc);
    if (!ok) {
        verify_hint(inv, reps, hint, sizeof hint);
        snprintf(msg, sizeof msg, "%s does not verify: %s", remote ? id : path, why.msg);
    } else if (misuse != SIZE_MAX) {
        const wh_signature *s = &inv->signatures[misuse];
        char by[200], role[32];
        wh_keys_shorten(by, sizeof by, s->by ? s->by : "");
        wh_keys_shorten(role, sizeof role, s->role ? s->role : "");
        snprintf(msg, sizeof msg, "%s does not verify: signature %zu (%s, by \"%s\") "
                 "is by a key you trust only as a server's host key", remote ? id : path,
                 misuse, role, by);
        snprintf(hint, sizeof hint, "a registry vouches for what it serves, not "
                 "for who wrote it; if that key really is also the author's, give "
                 "its keyring entry that role");
        ok = false;
    } else if (remote && !hc.ok) {
        snprintf(msg, sizeof msg, "%s", hc.msg);
        snprintf(hint, sizeof hint, "%s", hc.hint);
        ok = false;
    }

    if (!cli->json && !cli->quiet)
        printf("%s (%s)\n", id, remote ? cli->server : path);
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        const sig_report *r = &reps[i];
        const char *state = !r->valid ? "invalid" : r->trusted ? "verified" : "untrusted";
        const char *trust = r->mine ? "your key"
                          : r->host_only ? "keyring, as a host key only"
                          : r->known ? "keyring" : NULL;
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
    if (remote && hc.trusted_keys == 0)
        wh_cli_note(cli, "you trust no host key, so wharf did not check which "
                         "registry signed %s: `wharf keys fetch` shows this "
                         "server's and trusts them", id);
    if (cli->json) {
        if (remote) {
            host = json_pack("{s:I, s:I, s:b}", "trusted_keys",
                             (json_int_t)hc.trusted_keys, "verified",
                             (json_int_t)hc.verified, "ok", hc.ok);
            if (!host)
                goto oom;
        }
        json_t *doc = json_pack("{s:s, s:s?, s:s?, s:s, s:b, s:s?, s:O, s:O?}",
                                "invoice", id, "file", remote ? NULL : path,
                                "server", remote ? cli->server : NULL, "strategy",
                                sname, "verified", ok, "error", ok ? NULL : msg,
                                "signatures", sigs, "host", host);
        if (wh_cli_print_json(doc, &err))
            goto oom;
    } else if (ok && !cli->quiet) {
        printf("passes %s%s\n", sname,
               remote && hc.trusted_keys ? ", signed by a host key you trust" : "");
    }
    status = ok ? WH_EXIT_OK : wh_cli_fail(hint, "%s", msg);
    goto done;
oom:
    status = wh_cli_fail("free some memory and retry", "out of memory");
done:
    json_decref(host);
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
    .summary = "check an invoice's signatures (a file or a published release)",
    .usage = USAGE_VERIFY,
    .run = run_verify,
};
