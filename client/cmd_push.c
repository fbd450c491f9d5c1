/*
 * cmd_push.c - `wharf push`: sign a release, post its invoice, upload the
 * parcels the server lacks, in parallel.
 *
 * Two forms:
 *   wharf push DIR                   DIR/invoice.toml and its parcels: each
 *                                    found as DIR/<label name>, as
 *                                    DIR/parcels/<sha256>.dat (Bindle's
 *                                    standalone layout) or, failing both, as
 *                                    any file of DIR or DIR/parcels with the
 *                                    right digest (Bindle's test scaffolds)
 *   wharf push NAME/VERSION FILE...  an invoice written from the files
 *
 * Every local file is hashed before anything is sent, so the server is
 * never handed bytes that contradict the invoice.  Pushing a release that
 * is already there is a no-op: on 409 the stored invoice is compared with
 * ours (same parcels), and whatever is still missing is uploaded, so a push
 * cut off half-way is finished by running it again.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"
#include "http.h"
#include "invoice_file.h"
#include "keystore.h"
#include "progress.h"
#include "publish.h"
#include "schema/invoice_json.h"
#include "schema/signature.h"
#include "schema/standalone.h"
#include "transfer.h"

#define USAGE_PUSH                                                              \
    "usage: wharf push DIR|FILE.tar.gz [--role ROLE] [--label LABEL] [--parallel N]\n" \
    "       wharf push NAME/VERSION FILE... [--role ROLE] [--label LABEL]\n"   \
    "  Signs the release with your key (creator by default; --role approver\n" \
    "  or proxy for CI signing), posts its invoice and uploads the parcels\n"  \
    "  the server does not have yet, N at once (default 8).  DIR holds an\n"   \
    "  invoice.toml and its files (by label name, or Bindle's standalone\n"    \
    "  parcels/SHA256.dat); FILE.tar.gz is a standalone bindle.  With\n"        \
    "  NAME/VERSION the invoice is written from\n"                              \
    "  the files (media types guessed; application/wasm for wasm).  Pushing\n" \
    "  the same release again uploads only what is missing.  Prints the\n"    \
    "  bindle id.\n"

#define MAX_SCAN_FILES 10000

/* One parcel and the local file that holds it. */
typedef struct local_parcel {
    char *file;
} local_parcel;

static bool is_file(const char *path, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    *size = (uint64_t)st.st_size;
    return true;
}

/* A label name that stays inside DIR: relative, no ".." component. */
static bool safe_relative(const char *name)
{
    if (!*name || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += len + (slash ? 1 : 0);
    }
    return true;
}

/* Looks for a file of `dir` (or dir/parcels) with that size and digest. */
static char *scan_for(const char *dir, const wh_label *l, size_t *budget)
{
    const char *subs[] = {"", "/parcels"};
    for (int s = 0; s < 2; s++) {
        char d[4096];
        snprintf(d, sizeof d, "%s%s", dir, subs[s]);
        DIR *dh = opendir(d);
        if (!dh)
            continue;
        struct dirent *e;
        while ((e = readdir(dh)) && *budget) {
            char path[8192];
            uint64_t size;
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            if (!is_file(path, &size) || size != l->size)
                continue;
            (*budget)--;
            char hex[65];
            if (wh_cli_sha256_file(path, hex, &size, NULL) == 0 && strcmp(hex, l->sha256) == 0) {
                closedir(dh);
                return strdup(path);
            }
        }
        closedir(dh);
    }
    return NULL;
}

/* Finds every parcel's file under dir and checks its bytes. */
static int find_files(const char *dir, const wh_invoice *inv, local_parcel *lp, wh_err *err)
{
    size_t budget = MAX_SCAN_FILES;
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_label *l = &inv->parcels[i].label;
        char path[8192];
        uint64_t size;
        lp[i].file = NULL;
        if (safe_relative(l->name)) {
            snprintf(path, sizeof path, "%s/%s", dir, l->name);
            if (is_file(path, &size) && size == l->size)
                lp[i].file = strdup(path);
        }
        if (!lp[i].file) {
            snprintf(path, sizeof path, "%s/parcels/%s.dat", dir, l->sha256);
            if (is_file(path, &size))
                lp[i].file = strdup(path);
        }
        if (!lp[i].file)
            lp[i].file = scan_for(dir, l, &budget);
        if (!lp[i].file)
            return wh_err_set(err, WH_ENOTFOUND, "%s: no file for parcel \"%s\" (%s, %llu "
                              "bytes): looked for %s/%s, %s/parcels/%s.dat and every file "
                              "of that size", dir, l->name, l->sha256,
                              (unsigned long long)l->size, dir, l->name, dir, l->sha256);
        char hex[65];
        int rc = wh_cli_sha256_file(lp[i].file, hex, &size, err);
        if (rc)
            return rc;
        if (size != l->size || strcmp(hex, l->sha256) != 0)
            return wh_err_set(err, WH_EINVAL, "%s does not match its label \"%s\": %llu "
                              "bytes with sha256 %s, the invoice says %llu bytes with %s",
                              lp[i].file, l->name, (unsigned long long)size, hex,
                              (unsigned long long)l->size, l->sha256);
    }
    return 0;
}

static const char *guess_media_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".wasm", "application/wasm"}, {".json", "application/json"},
        {".toml", "application/toml"}, {".txt", "text/plain"},
        {".md", "text/markdown"},      {".html", "text/html"},
        {".css", "text/css"},          {".js", "text/javascript"},
        {".png", "image/png"},         {".jpg", "image/jpeg"},
        {".svg", "image/svg+xml"},     {".gz", "application/gzip"},
        {".tar", "application/x-tar"}, {".zip", "application/zip"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].ext) == 0)
            return types[i].type;
    /* The wasm magic, whatever the name says. */
    unsigned char magic[4] = {0};
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(magic, 1, 4, f);
        fclose(f);
        if (n == 4 && memcmp(magic, "\0asm", 4) == 0)
            return "application/wasm";
    }
    return "application/octet-stream";
}

/* Writes an invoice for NAME/VERSION from the files. */
static int invoice_from_files(const char *id, char **files, int nfiles, wh_invoice **out,
                              local_parcel *lp, wh_err *err)
{
    const char *slash = strrchr(id, '/');
    if (!slash || slash == id || !slash[1])
        return wh_err_set(err, WH_EINVAL, "\"%s\" is not NAME/VERSION", id);
    json_t *parcels = json_array();
    json_t *root = json_pack("{s:s, s:{s:s#, s:s}, s:o}", "bindleVersion", "1.0.0", "bindle",
                             "name", id, (int)(slash - id), "version", slash + 1, "parcel",
                             parcels);
    if (!root)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; i < nfiles && !rc; i++) {
        char hex[65];
        uint64_t size = 0;
        rc = wh_cli_sha256_file(files[i], hex, &size, err);
        if (rc)
            break;
        const char *base = strrchr(files[i], '/');
        base = base ? base + 1 : files[i];
        json_array_append_new(parcels, json_pack("{s:{s:s, s:s, s:s, s:I}}", "label", "sha256",
                                                 hex, "mediaType", guess_media_type(files[i]),
                                                 "name", base, "size", (json_int_t)size));
        lp[i].file = strdup(files[i]);
    }
    if (!rc)
        rc = wh_invoice_from_json(root, NULL, out, err);
    json_decref(root);
    if (!rc)
        rc = wh_invoice_validate(*out, err);
    return rc;
}

static const char *hint_for(int rc)
{
    switch (rc) {
    case WH_EUNAUTH: return "give a token with --token or WHARF_TOKEN";
    case WH_EFORBIDDEN: return "ask the operator for a token whose scopes allow pushing this name";
    case WH_EEXIST: return "publish a new version";
    case WH_ENOTFOUND: return "check the paths";
    case WH_EIO: return "check the server address (--server) and that it is running";
    default: return "fix the release and push again";
    }
}

static int run_push(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"role", 0, true},
                                      {"label", 0, true},
                                      {"parallel", 0, true},
                                      {NULL, 0, false}};
    wh_cli_args a;
    wh_err err;
    const char *v, *label = NULL, *hint = NULL;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0, which, status = WH_EXIT_FAIL;
    unsigned role = 0, parallel = 8;
    wh_invoice *inv = NULL;
    local_parcel *lp = NULL;
    bool *need = NULL;
    const char **files = NULL;
    wh_secret_keys *sk = NULL;
    wh_http *h = NULL;
    char *esc = NULL, *tmpdir = NULL;
    size_t n_items = 0, n_lp = 0;
    wh_err_clear(&err);
    if (!pos)
        return wh_cli_fail("free some memory", "out of memory");
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err)) {
            status = wh_cli_usage("push", "%s", err.msg);
            goto done;
        }
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(USAGE_PUSH, stdout);
            status = WH_EXIT_OK;
            goto done;
        }
        if (which == WH_ARG_POSITIONAL) {
            pos[npos++] = (char *)v;
        } else if (which == 0) {
            if (wh_cli_signing_role(v, &role, &err) || (role & (role - 1))) {
                status = wh_cli_usage("push", "%s", err.msg[0] ? err.msg : "give --role once");
                goto done;
            }
        } else if (which == 1) {
            label = v;
        } else {
            if (wh_cli_parse_parallel(v, WH_XFER_PARALLEL_MAX, &parallel, &err)) {
                status = wh_cli_usage("push", "%s", err.msg);
                goto done;
            }
        }
    }
    if (npos < 1) {
        status = wh_cli_usage("push", "what to push? give a directory or NAME/VERSION FILE...");
        goto done;
    }
    if (!role)
        role = WH_ROLE_CREATOR;
    if (wh_cli_ready(cli))
        goto done;

    struct stat st;
    bool dir = npos == 1 && stat(pos[0], &st) == 0 && S_ISDIR(st.st_mode);
    int rc;
    if (npos == 1 && !dir && stat(pos[0], &st) == 0 && S_ISREG(st.st_mode)) {
        /* A standalone tarball: pushed as the directory it unpacks to. */
        rc = wh_standalone_extract_tmp(pos[0], NULL, &tmpdir, &err);
        if (rc) {
            status = wh_cli_fail_err(&err, "check that it is a Bindle standalone .tar.gz");
            goto done;
        }
        pos[0] = tmpdir;
        dir = true;
    }
    if (dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/invoice.toml", pos[0]);
        rc = wh_cli_load_invoice(path, &inv, &err);
        if (rc) {
            status = wh_cli_fail_err(&err, wh_cli_load_hint(rc));
            goto done;
        }
        n_lp = inv->n_parcels;
        lp = calloc(n_lp + 1, sizeof *lp);
        rc = lp ? find_files(pos[0], inv, lp, &err) : wh_err_set(&err, WH_ENOMEM, "out of memory");
    } else {
        if (npos < 2) {
            status = wh_cli_usage("push", "%s is not a directory; to push files give "
                                          "NAME/VERSION FILE...", pos[0]);
            goto done;
        }
        n_lp = (size_t)npos;
        lp = calloc(n_lp, sizeof *lp);
        rc = lp ? invoice_from_files(pos[0], pos + 1, npos - 1, &inv, lp, &err)
                : wh_err_set(&err, WH_ENOMEM, "out of memory");
    }
    if (rc) {
        status = wh_cli_fail_err(&err, hint_for(rc));
        goto done;
    }

    /* Sign, unless this key already did (pushing a signed release again). */
    const wh_secret_key *key = NULL;
    if (wh_cli_secret_keys_load(cli, &sk, &err) ||
        wh_cli_pick_key(cli, sk, label, role, &key, &hint, &err)) {
        status = wh_cli_fail_err(&err, hint ? hint : WH_CLI_HINT_KEYS);
        goto done;
    }
    rc = wh_sig_sign(inv, key, role, (int64_t)time(NULL), &err);
    if (rc && rc != WH_EEXIST) {
        status = wh_cli_fail_err(&err, "report this as a bug");
        goto done;
    }

    esc = wh_http_escape_id(inv->bindle.name, inv->bindle.version);
    need = calloc(inv->n_parcels + 1, sizeof *need);
    files = calloc(inv->n_parcels + 1, sizeof *files);
    if (!esc || !need || !files) {
        status = wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    bool existed = false;
    char *toml = NULL;
    size_t toml_len = 0;
    const char *phint = NULL;
    rc = wh_invoice_emit_toml(inv, &toml, &toml_len, &err);
    if (!rc)
        rc = wh_http_open(cli->server, cli->token, &h, &err);
    if (!rc)
        rc = wh_cli_publish_invoice(h, toml, toml_len, inv, esc, need, &existed, &phint, &err);
    free(toml);
    if (rc) {
        status = wh_cli_fail_err(&err, phint ? phint : hint_for(rc));
        goto done;
    }
    uint64_t bytes = 0;
    for (size_t i = 0; i < inv->n_parcels; i++)
        files[i] = lp[i].file;
    rc = wh_cli_upload_needed(h, inv, esc, need, files, parallel, !cli->quiet && !cli->json,
                              &n_items, &bytes, &err);
    if (rc) {
        status = wh_cli_fail_err(&err, "push again: only what is still missing is sent");
        goto done;
    }
    char id[600], shown[600];
    snprintf(id, sizeof id, "%s/%s", inv->bindle.name, inv->bindle.version);
    if (cli->json) {
        json_t *doc = json_pack("{s:s, s:b, s:I, s:I, s:I}", "bindle", id, "existed", existed,
                                "parcels", (json_int_t)inv->n_parcels, "uploaded",
                                (json_int_t)n_items, "bytes_uploaded", (json_int_t)bytes);
        if (wh_cli_print_json(doc, &err)) {
            status = wh_cli_fail_err(&err, "the release is pushed; retry without --json");
            goto done;
        }
    } else {
        if (existed && !n_items)
            wh_cli_note(cli, "%s was already published; nothing to do",
                        wh_cli_safe(id, shown, sizeof shown));
        else
            wh_cli_note(cli, "uploaded %zu of %zu parcels (%llu bytes)", n_items,
                        inv->n_parcels, (unsigned long long)bytes);
        printf("%s\n", wh_cli_safe(id, shown, sizeof shown));
    }
    status = WH_EXIT_OK;
done:
    free(files);
    for (size_t i = 0; lp && i < n_lp; i++)
        free(lp[i].file);
    free(lp);
    free(need);
    free(esc);
    free(pos);
    if (tmpdir)
        wh_standalone_remove_tree(tmpdir);
    free(tmpdir);
    wh_http_close(h);
    wh_secret_keys_free(sk);
    wh_invoice_free(inv);
    return status;
}

const wh_cli_command wh_cmd_push = {"push", "sign and publish a release", USAGE_PUSH, run_push};
