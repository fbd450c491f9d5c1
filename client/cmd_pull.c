/*
 * cmd_pull.c - `wharf pull`: exactly the parcels a runtime needs, verified.
 *
 * In order: fetch the invoice; check its signatures (creators against the
 * keys the user trusts and the keys pinned for the name, trusting the
 * first release's creators on first use; the host signature against the
 * host keys the user fetched); resolve the runtime profile (schema's
 * resolver, the same code as the server's /_r/resolve); download what the
 * cache lacks, in parallel, every byte hashed as it streams; then copy the
 * parcels out of the cache under their label names, refusing names that
 * would leave the output directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cache.h"
#include "cli.h"
#include "http.h"
#include "keystore.h"
#include "pins.h"
#include "progress.h"
#include "pull_aot.h"
#include "schema/base64.h"
#include "schema/resolve.h"
#include "schema/signature.h"
#include "transfer.h"

#define USAGE_PULL                                                               \
    "usage: wharf pull NAME/VERSION [-o DIR] [--feature SECTION.NAME=VALUE]...\n" \
    "                  [--group NAME]... [--target TRIPLE] [--strategy S]\n"      \
    "                  [--parallel N] [--yanked]\n"                               \
    "  Fetches the parcels a runtime with that profile needs (its features,\n"    \
    "  the groups it asks for) and writes them into DIR under their label\n"     \
    "  names (default: ./LAST-NAME-PART-VERSION).  The invoice must verify:\n"   \
    "  its creators against the keys you trust (`wharf keys add`) or the keys\n" \
    "  pinned for the name (the first pull of a name pins its creators, like\n"  \
    "  ssh's known_hosts; a later release by another key fails), and its host\n" \
    "  signature against the host keys you fetched (`wharf keys fetch`).\n"      \
    "  Parcels come from the cache ($XDG_CACHE_HOME/wharf) when there;\n"        \
    "  downloads run N at once (default 8), are checked byte by byte, and a\n"   \
    "  broken one resumes where it stopped when you pull again.  With\n"       \
    "  --target, the precompiled artifact of each pulled wasm module for that\n" \
    "  target is fetched too, when the server has built one, and kept only\n"  \
    "  if the host's attestation verifies: DIR/NAME.TARGET.so.\n"

/* A label name that stays inside the output directory. */
static bool safe_name(const char *name)
{
    if (!*name || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += len + (slash ? 1 : 0);
    }
    return true;
}

/* Creates the directories of dir/name, refusing to pass through a link. */
static int make_parents(const char *dir, const char *name, wh_err *err)
{
    char path[8192];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return wh_err_set(err, WH_ETOOBIG, "the path %s/%s is too long", dir, name);
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        struct stat st;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return wh_err_set(err, WH_EIO, "cannot create %s: %s", path, strerror(errno));
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return wh_err_set(err, WH_EINVAL, "%s is not a directory (a link?): refusing to "
                              "write %s through it", path, name);
        *p = '/';
    }
    return 0;
}

/* The creator keys of valid creator signatures, added to kr; for a
 * mirror, its proxies' too (whoever copied it vouches for it). */
static int add_creators(const wh_invoice *inv, wh_keyring *kr, wh_err *err)
{
    bool mirror = wh_invoice_is_mirror(inv);
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        unsigned char key[WH_ED25519_PUBLIC_LEN];
        bool signer = strcmp(s->role, "creator") == 0 || (mirror && strcmp(s->role, "proxy") == 0);
        if (!signer || wh_sig_verify(inv, s, NULL) != 0 ||
            wh_key_decode(s->key, key, sizeof key, "key", NULL) != 0 || wh_keyring_find(kr, key))
            continue;
        bool proxy = strcmp(s->role, "proxy") == 0;
        int rc = wh_keyring_add(kr, s->by && *s->by ? s->by : proxy ? "(proxy)" : "(creator)",
                                proxy ? WH_ROLE_PROXY : WH_ROLE_CREATOR, key,
                                NULL, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Checks the host signatures against the host keys the user trusts
 * (`hosts`): when there are any, one of them must have signed; otherwise
 * any valid one will do, with a note. */
static int check_host(const wh_cli *cli, const wh_invoice *inv, const wh_keyring *hosts,
                      wh_err *err)
{
    bool trusts_hosts = hosts->n > 0, valid = false, trusted = false;
    for (size_t i = 0; i < inv->n_signatures; i++) {
        const wh_signature *s = &inv->signatures[i];
        unsigned char key[WH_ED25519_PUBLIC_LEN];
        if (strcmp(s->role, "host") != 0 || wh_sig_verify(inv, s, NULL) != 0 ||
            wh_key_decode(s->key, key, sizeof key, "key", NULL) != 0)
            continue;
        valid = true;
        trusted |= wh_keyring_find(hosts, key) != NULL;
    }
    if (!valid)
        return wh_err_set(err, WH_EINVAL, "%s/%s carries no valid host signature",
                          inv->bindle.name, inv->bindle.version);
    if (trusts_hosts && !trusted)
        return wh_err_set(err, WH_EINVAL, "%s/%s is not signed by a host key you trust "
                          "(another server, or this one's key changed)", inv->bindle.name,
                          inv->bindle.version);
    if (!trusts_hosts)
        wh_cli_note(cli, "the host signature is valid but not checked against a trusted "
                         "key: run `wharf keys fetch` to trust this server's key");
    return 0;
}

/* Verifies the invoice's signatures; pins the creators of a name seen for
 * the first time.  *hint says what to do on failure. */
static int verify(const wh_cli *cli, const wh_invoice *inv, const wh_strategy *st,
                  const char **hint, wh_err *err)
{
    wh_keyring *trusted = NULL, *kr = wh_keyring_new(), *hosts = wh_keyring_new();
    wh_secret_keys *sk = NULL;
    wh_pins *pins = NULL;
    size_t n_pins = 0;
    const char *name = inv->bindle.name;
    *hint = "see `wharf help pull`";
    int rc = kr && hosts ? wh_cli_keyring_load(cli->keyring_path, &trusted, err)
                         : wh_err_set(err, WH_ENOMEM, "out of memory");
    /* A key trusted only as a host vouches for what a server accepted, not
     * for who made it: it must not pass for a creator (strategies do not
     * look at keyring roles). */
    for (size_t i = 0; !rc && i < trusted->n; i++) {
        const wh_keyring_entry *e = &trusted->keys[i];
        if (e->roles & WH_ROLE_HOST)
            rc = wh_keyring_add(hosts, e->label, WH_ROLE_HOST, e->key, NULL, err);
        if (!rc && (e->roles & ~(unsigned)WH_ROLE_HOST))
            rc = wh_keyring_add(kr, e->label, e->roles, e->key, NULL, err);
    }
    if (!rc)
        rc = wh_cli_secret_keys_load(cli, &sk, err);
    for (size_t i = 0; !rc && i < sk->n; i++)
        if (!wh_keyring_find(kr, sk->keys[i].pub))
            rc = wh_keyring_add(kr, sk->keys[i].label, sk->keys[i].roles, sk->keys[i].pub, NULL,
                                err);
    if (!rc)
        rc = wh_pins_load(cli, &pins, err);
    if (!rc)
        rc = wh_pins_add_to_keyring(pins, name, kr, &n_pins, err);
    if (rc) {
        *hint = "fix or move the file it names";
        goto done;
    }
    char strategy[WH_STRATEGY_NAME_MAX];
    wh_strategy_format(st, strategy, sizeof strategy);
    /* A mirror is held to the strategy with proxy for creator when the
     * strategy itself refuses it (docs/security.md). */
    wh_strategy alt;
    bool has_alt = wh_invoice_is_mirror(inv) && wh_strategy_for_mirror(st, &alt);
    wh_err first, again;
    rc = wh_sig_verify_invoice(inv, kr, st, &first);
    if (rc && has_alt)
        rc = wh_sig_verify_invoice(inv, kr, &alt, &again);
    if (rc && n_pins == 0) {
        /* Trust on first use: nothing pinned for this name yet. */
        size_t before = kr->n;
        rc = add_creators(inv, kr, err);
        if (!rc)
            rc = wh_sig_verify_invoice(inv, kr, st, err);
        if (rc && has_alt)
            rc = wh_sig_verify_invoice(inv, kr, &alt, err);
        for (size_t i = before; !rc && i < kr->n; i++) {
            char b64[WH_PUBLIC_B64_LEN + 1], shown[300];
            wh_base64_encode(kr->keys[i].key, WH_ED25519_PUBLIC_LEN, b64);
            rc = wh_pins_add(pins, name, kr->keys[i].key, kr->keys[i].label,
                             (int64_t)time(NULL), err);
            wh_cli_note(cli, "first pull of %s: pinned its %s \"%s\" (%s)",
                        wh_cli_safe(name, shown, 150),
                        kr->keys[i].roles & WH_ROLE_PROXY ? "mirror's proxy" : "creator",
                        wh_cli_safe(kr->keys[i].label, shown + 150, 150), b64);
        }
        if (!rc && kr->n > before)
            rc = wh_pins_save(pins, err);
        if (rc)
            wh_err_prefix(err, "signature check (%s)", strategy);
    } else if (rc) {
        char shown[300];
        rc = wh_err_set(err, WH_EINVAL, "%s is pinned to %zu creator key%s (%s), and this "
                        "release does not verify with them: %s", wh_cli_safe(name, shown, sizeof shown),
                        n_pins, n_pins == 1 ? "" : "s", pins->path, first.msg);
        *hint = "if you trust the new signer, add its key with `wharf keys add LABEL KEY`; "
                "otherwise do not use this release";
    }
    if (!rc) {
        rc = check_host(cli, inv, hosts, err);
        if (rc)
            *hint = "run `wharf keys fetch` to trust this server's host key, or check the server";
    }
done:
    wh_pins_free(pins);
    wh_secret_keys_free(sk);
    wh_keyring_free(trusted);
    wh_keyring_free(hosts);
    wh_keyring_free(kr);
    return rc;
}

/* The profile as the query of /_r/resolve: target=T&feature=S.N=V&group=G. */
static char *profile_query(const wh_profile *prof)
{
    size_t cap = 64, len = 0;
    char *q = malloc(cap);
    for (size_t i = 0; q && i < prof->n_features + prof->n_groups + 1; i++) {
        char raw[3 * WH_PROFILE_MAX_PART + 8];
        const char *key = "target";
        if (i == 0) {
            snprintf(raw, sizeof raw, "%s", prof->target);
        } else if (i <= prof->n_features) {
            const wh_profile_feature *f = &prof->features[i - 1];
            snprintf(raw, sizeof raw, "%s.%s=%s", f->section, f->name, f->value);
            key = "feature";
        } else {
            snprintf(raw, sizeof raw, "%s", prof->groups[i - 1 - prof->n_features]);
            key = "group";
        }
        char *e = curl_easy_escape(NULL, raw, 0);
        size_t need = len + strlen(key) + (e ? strlen(e) : 0) + 3;
        char *nq = e && need > cap ? realloc(q, cap = need * 2) : q;
        if (!e || !nq) {
            curl_free(e);
            free(nq);
            return NULL;
        }
        q = nq;
        len += (size_t)snprintf(q + len, cap - len, "%s%s=%s", i ? "&" : "", key, e);
        curl_free(e);
    }
    return q;
}

static int run_pull(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"output", 'o', true},  {"feature", 0, true},
                                      {"group", 0, true},     {"target", 0, true},
                                      {"strategy", 0, true},  {"parallel", 0, true},
                                      {"yanked", 0, false},   {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *v, *id = NULL, *out = NULL, *hint = NULL;
    int which, status = WH_EXIT_FAIL;
    unsigned parallel = 8;
    bool yanked = false;
    wh_profile prof;
    wh_strategy st = {WH_STRATEGY_CREATIVE_INTEGRITY, 0};
    wh_http *h = NULL;
    wh_cache *cache = NULL;
    wh_http_resp r = {0};
    wh_invoice *inv = NULL;
    bool *sel = NULL;
    wh_xfer_item *items = NULL;
    char *esc = NULL, dir[4096];
    size_t n_items = 0;
    wh_profile_init(&prof);
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err)) {
            status = wh_cli_usage("pull", "%s", err.msg);
            goto done;
        }
        if (which == WH_ARG_END)
            break;
        int rc = 0;
        switch (which) {
        case WH_ARG_HELP:
            fputs(USAGE_PULL, stdout);
            status = WH_EXIT_OK;
            goto done;
        case WH_ARG_POSITIONAL:
            if (id) {
                status = wh_cli_usage("pull", "pull takes one NAME/VERSION");
                goto done;
            }
            id = v;
            break;
        case 0: out = v; break;
        case 1: rc = wh_profile_add_feature(&prof, v, &err); break;
        case 2: rc = wh_profile_add_group(&prof, v, &err); break;
        case 3: rc = wh_profile_set_target(&prof, v, &err); break;
        case 4: rc = wh_strategy_parse(v, &st, &err); break;
        case 5: rc = wh_cli_parse_parallel(v, WH_XFER_PARALLEL_MAX, &parallel, &err); break;
        default: yanked = true; break;
        }
        if (rc) {
            status = wh_cli_usage("pull", "%s", err.msg);
            goto done;
        }
    }
    char name[512];
    const char *version;
    if (!wh_cli_split_id(id, name, sizeof name, &version)) {
        status = wh_cli_usage("pull", "which bindle? give NAME/VERSION (a valid name, a "
                                      "SemVer version)");
        goto done;
    }
    if (wh_cli_ready(cli))
        goto done;

    esc = wh_http_escape_id(name, version);
    if (!esc) {
        status = wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    char path[1500];
    snprintf(path, sizeof path, "/_i/%s%s", esc, yanked ? "?yanked=true" : "");
    int rc = wh_http_open(cli->server, cli->token, &h, &err);
    if (!rc)
        rc = wh_http_request(h, "GET", path, NULL, NULL, 0, "application/json", &r, &err);
    if (rc) {
        status = wh_cli_fail_err(&err, "check the server address (--server) and that it is running");
        goto done;
    }
    if (r.status != 200) {
        char msg[512];
        wh_http_error_text(&r, msg, sizeof msg);
        status = wh_cli_fail(r.status == 403 && strstr(msg, "yanked") ? "add --yanked to pull it anyway"
                             : r.status == 401 || r.status == 403 ? "give a token that may read it"
                             : "check the name and version (wharf search)",
                             "%s: HTTP %ld: %s", id, r.status, msg);
        goto done;
    }
    if (wh_invoice_parse_json(r.body, r.len, NULL, &inv, &err) || wh_invoice_validate(inv, &err)) {
        status = wh_cli_fail_err(&err, "the server sent an invoice wharf cannot use");
        goto done;
    }
    if (strcmp(inv->bindle.name, name) != 0 || strcmp(inv->bindle.version, version) != 0) {
        status = wh_cli_fail("check the server", "asked for %s, the server sent %s/%s", id,
                             inv->bindle.name, inv->bindle.version);
        goto done;
    }
    if (verify(cli, inv, &st, &hint, &err)) {
        status = wh_cli_fail_err(&err, hint);
        goto done;
    }
    sel = calloc(inv->n_parcels + 1, sizeof *sel);
    items = calloc(inv->n_parcels + 1, sizeof *items);
    if (!sel || !items) {
        status = wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    if (wh_resolve(inv, &prof, sel, &err)) {
        status = wh_cli_fail_err(&err, "change the --feature and --group options");
        goto done;
    }
    uint64_t bytes = 0;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        if (!sel[i])
            continue;
        const wh_label *l = &inv->parcels[i].label;
        if (!safe_name(l->name)) {
            char shown[300];
            status = wh_cli_fail("do not use this release, or ask its publisher to fix it",
                                 "parcel name \"%s\" would be written outside the output "
                                 "directory", wh_cli_safe(l->name, shown, sizeof shown));
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (sel[j] && strcmp(inv->parcels[j].label.name, l->name) == 0) {
                status = wh_cli_fail("pull with a profile that selects one of them",
                                     "two selected parcels are both named \"%s\"", l->name);
                goto done;
            }
        snprintf(path, sizeof path, "/_i/%s@%s", esc, l->sha256);
        items[n_items].path = strdup(path);
        items[n_items].sha256 = l->sha256;
        items[n_items].size = l->size;
        if (!items[n_items++].path) {
            status = wh_cli_fail("free some memory", "out of memory");
            goto done;
        }
        bytes += l->size;
    }
    if (wh_cache_open(NULL, &cache, &err)) {
        status = wh_cli_fail_err(&err, "set XDG_CACHE_HOME to a directory you can write");
        goto done;
    }
    wh_progress *pr = wh_progress_new(!cli->quiet && !cli->json, n_items, bytes);
    rc = n_items ? wh_xfer_download(h, cache, items, n_items, parallel, pr, &err) : 0;
    wh_progress_finish(pr);
    if (rc) {
        for (size_t i = 0; i < n_items; i++)
            if (items[i].result)
                fprintf(stderr, "wharf: %s: %s\n", items[i].sha256, items[i].msg);
        status = wh_cli_fail_err(&err, "pull again: what was fetched is kept and a broken "
                                       "download resumes where it stopped");
        goto done;
    }
    const char *last = strrchr(name, '/');
    if (out)
        snprintf(dir, sizeof dir, "%s", out);
    else
        snprintf(dir, sizeof dir, "%s-%s", last ? last + 1 : name, version);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        status = wh_cli_fail("choose another -o", "cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    uint64_t fetched = 0;
    json_t *files = json_array();
    for (size_t i = 0, k = 0; i < inv->n_parcels; i++) {
        if (!sel[i])
            continue;
        const wh_label *l = &inv->parcels[i].label;
        char dest[8192];
        snprintf(dest, sizeof dest, "%s/%s", dir, l->name);
        if (make_parents(dir, l->name, &err) || wh_cache_export(cache, l->sha256, dest, &err)) {
            json_decref(files);
            status = wh_cli_fail_err(&err, "check the output directory");
            goto done;
        }
        fetched += items[k].fetched;
        json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:b}", "name", l->name,
                                               "sha256", l->sha256, "size", (json_int_t)l->size,
                                               "cached", items[k].fetched == 0));
        k++;
    }
    json_t *artifacts = json_array();
    if (prof.target) {
        char *query = profile_query(&prof);
        rc = query ? wh_cli_pull_artifacts(cli, h, cache, inv, sel, esc, query, prof.target, dir,
                                           parallel, artifacts, &err)
                   : wh_err_set(&err, WH_ENOMEM, "out of memory");
        free(query);
        if (rc) {
            json_decref(files);
            json_decref(artifacts);
            status = wh_cli_fail_err(&err, "the parcels are written; do not use the artifacts "
                                           "of a server you do not trust");
            goto done;
        }
    }
    if (cli->json) {
        json_t *doc = json_pack("{s:s, s:s, s:o, s:I, s:o}", "bindle", id, "dir", dir, "files",
                                files, "bytes_fetched", (json_int_t)fetched, "artifacts",
                                artifacts);
        if (wh_cli_print_json(doc, &err))
            status = wh_cli_fail_err(&err, "the files are written; retry without --json");
        else
            status = WH_EXIT_OK;
        goto done;
    }
    json_decref(files);
    json_decref(artifacts);
    wh_cli_note(cli, "%zu of %zu parcels, %llu bytes fetched, %llu bytes from the cache",
                n_items, inv->n_parcels, (unsigned long long)fetched,
                (unsigned long long)(bytes > fetched ? bytes - fetched : 0));
    printf("%s\n", dir);
    status = WH_EXIT_OK;
done:
    for (size_t i = 0; items && i < n_items; i++)
        free(items[i].path);
    free(items);
    free(sel);
    free(esc);
    wh_invoice_free(inv);
    wh_http_resp_clear(&r);
    wh_cache_close(cache);
    wh_http_close(h);
    wh_profile_clear(&prof);
    return status;
}

const wh_cli_command wh_cmd_pull = {"pull", "fetch what a runtime needs of a release", USAGE_PULL,
                                    run_pull};
