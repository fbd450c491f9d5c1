/*
 * cmd_export.c - `wharf export` and `wharf import`: a published release as
 * one file in Bindle's standalone format (schema/standalone.h), and back.
 *
 * Together they copy a release from one registry to another with its
 * signatures intact: export keeps the server's invoice bytes exactly
 * (signatures, host signature and all), and import posts them as they are,
 * without signing, so the receiving server checks the original signers.
 * That is also why import does not go through `wharf push`, which signs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cache.h"
#include "cli.h"
#include "publish.h"
#include "http.h"
#include "progress.h"
#include "schema/file.h"
#include "schema/invoice.h"
#include "schema/standalone.h"
#include "transfer.h"

#define USAGE_EXPORT                                                            \
    "usage: wharf export NAME/VERSION -o FILE.tar.gz [--yanked] [--parallel N]\n" \
    "  Writes a published bindle as a standalone tarball (Bindle's format):\n"  \
    "  the server's invoice exactly as served, signatures included, and\n"     \
    "  every parcel, downloaded into the cache N at once (default 8).  The\n"  \
    "  same bindle always gives the same bytes.  --yanked exports a yanked\n"  \
    "  one too.  Prints FILE.\n"

#define USAGE_IMPORT                                                            \
    "usage: wharf import FILE [--parallel N]\n"                                 \
    "  Publishes a standalone bindle (a .tar.gz or .tar, or an extracted\n"    \
    "  directory holding invoice.toml and parcels/SHA256.dat) as it is: the\n" \
    "  invoice is posted unchanged, with its original signatures and no new\n" \
    "  one, and the parcels the server lacks are uploaded, N at once\n"        \
    "  (default 8).  The server must trust the original signers.  Importing\n" \
    "  again uploads only what is missing.  Prints the bindle id.\n"

#define DEFAULT_PARALLEL 8

/* What both commands take: one operand, --parallel, and their own flags. */
typedef struct cmd_args {
    const char *operand;
    const char *output;    /* export -o */
    bool yanked;           /* export --yanked */
    unsigned parallel;
} cmd_args;

/* WH_EXIT_OK with *a filled, or the exit status; *help when --help was
 * answered. */
static int parse_args(const char *cmd, const char *usage, int argc, char **argv,
                      cmd_args *a, bool *help)
{
    static const wh_cli_opt opts[] = {{"parallel", 0, true},
                                      {"output", 'o', true},
                                      {"yanked", 0, false},
                                      {NULL, 0, false}};
    bool exporting = strcmp(cmd, "export") == 0;
    wh_cli_args it;
    wh_err err;
    const char *v;
    int which;
    memset(a, 0, sizeof *a);
    a->parallel = DEFAULT_PARALLEL;
    *help = false;
    wh_cli_args_init(&it, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&it, &which, &v, &err))
            return wh_cli_usage(cmd, "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(usage, stdout);
            *help = true;
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL) {
            if (a->operand)
                return wh_cli_usage(cmd, "%s takes one %s", cmd,
                                    exporting ? "NAME/VERSION" : "FILE");
            a->operand = v;
        } else if (which == 0) {
            if (wh_cli_parse_parallel(v, WH_XFER_PARALLEL_MAX, &a->parallel, &err))
                return wh_cli_usage(cmd, "%s", err.msg);
        } else if (!exporting) {
            return wh_cli_usage(cmd, "import has no option --%s", opts[which].name);
        } else if (which == 1) {
            a->output = v;
        } else {
            a->yanked = true;
        }
    }
    if (!a->operand)
        return wh_cli_usage(cmd, exporting ? "which bindle? give NAME/VERSION"
                                           : "what to import? give a standalone bindle FILE");
    if (exporting && !a->output)
        return wh_cli_usage(cmd, "where to? give -o FILE.tar.gz");
    return WH_EXIT_OK;
}

/* The hint for a reply status the server refused us with. */
static const char *status_hint(long status, const char *msg)
{
    return status == 401 ? "give a token with --token or WHARF_TOKEN"
         : status == 403 && strstr(msg, "yanked") ? "add --yanked to export it anyway"
         : status == 403 ? "ask the operator for a token with the right scope"
         : status == 404 ? "check the name and version (wharf search)"
         : "see the server's message";
}

/* ---- export ---- */

static int run_export(wh_cli *cli, int argc, char **argv)
{
    cmd_args a;
    bool help;
    int status = parse_args("export", USAGE_EXPORT, argc, argv, &a, &help);
    if (status || help)
        return status;
    char idname[512];
    const char *version;
    if (!wh_cli_split_id(a.operand, idname, sizeof idname, &version))
        return wh_cli_usage("export", "\"%s\" is not NAME/VERSION", a.operand);
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;

    wh_err err;
    wh_err_clear(&err);
    status = WH_EXIT_FAIL;
    char *name = strdup(idname), *esc = NULL, *path = NULL;
    wh_http *h = NULL;
    wh_http_resp r = {0};
    wh_invoice *inv = NULL;
    wh_cache *c = NULL;
    wh_xfer_item *items = NULL;
    const char **shas = NULL;
    char **files = NULL;
    size_t n = 0;
    char msg[512], shown[600];
    esc = name ? wh_http_escape_id(name, version) : NULL;
    size_t path_len = esc ? strlen(esc) + 32 : 0;
    if (!esc || !(path = malloc(path_len))) {
        wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    snprintf(path, path_len, "/_i/%s%s", esc, a.yanked ? "?yanked=true" : "");
    if (wh_http_open(cli->server, cli->token, &h, &err) ||
        wh_http_request(h, "GET", path, NULL, NULL, 0, "application/toml", &r, &err)) {
        wh_cli_fail_err(&err, "check the server address (--server) and that it is running");
        goto done;
    }
    if (r.status != 200) {
        wh_http_error_text(&r, msg, sizeof msg);
        wh_cli_fail(status_hint(r.status, msg), "%s: HTTP %ld: %s",
                    wh_cli_safe(a.operand, shown, sizeof shown), r.status, msg);
        goto done;
    }
    if (!r.body || wh_invoice_parse_toml(r.body, r.len, NULL, &inv, &err) ||
        wh_invoice_validate(inv, &err)) {
        if (!r.body)
            wh_err_set(&err, WH_EINVAL, "the reply is empty");
        wh_err_prefix(&err, "the server's invoice for %s", wh_cli_safe(a.operand, shown,
                                                                       sizeof shown));
        wh_cli_fail_err(&err, "check that --server points at a Wharf or Bindle server");
        goto done;
    }
    if (strcmp(inv->bindle.name, name) != 0 || strcmp(inv->bindle.version, version) != 0) {
        wh_cli_fail("check that --server points at a Wharf or Bindle server",
                    "asked for %s, the server sent the invoice of %s/%s",
                    wh_cli_safe(a.operand, shown, sizeof shown), inv->bindle.name,
                    inv->bindle.version);
        goto done;
    }

    n = inv->n_parcels;
    items = calloc(n + 1, sizeof *items);
    shas = calloc(n + 1, sizeof *shas);
    files = calloc(n + 1, sizeof *files);
    if (!items || !shas || !files) {
        wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const wh_label *l = &inv->parcels[i].label;
        size_t len = strlen(esc) + 4 + 1 + 64 + 1;
        if (!(items[i].path = malloc(len)) || !(files[i] = malloc(WH_CACHE_PATH_MAX))) {
            wh_cli_fail("free some memory", "out of memory");
            goto done;
        }
        snprintf(items[i].path, len, "/_i/%s@%s", esc, l->sha256);
        items[i].sha256 = l->sha256;
        items[i].size = l->size;
        shas[i] = l->sha256;
        total += l->size;
    }
    if (wh_cache_open(NULL, &c, &err)) {
        wh_cli_fail_err(&err, "check $XDG_CACHE_HOME");
        goto done;
    }
    wh_progress *p = wh_progress_new(!cli->quiet && !cli->json, n, total);
    int rc = wh_xfer_download(h, c, items, n, a.parallel, p, &err);
    wh_progress_finish(p);
    if (rc) {
        for (size_t i = 0; i < n; i++)
            if (items[i].result)
                fprintf(stderr, "wharf: %s: %s\n", items[i].sha256, items[i].msg);
        wh_cli_fail_err(&err, "run the same command again: what was fetched is kept");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (wh_cache_path(c, shas[i], files[i], WH_CACHE_PATH_MAX, &err)) {
            wh_cli_fail_err(&err, "report this as a bug");
            goto done;
        }
    if (wh_standalone_write(a.output, name, version, r.body, r.len, shas,
                            (const char *const *)files, n, &err)) {
        wh_cli_fail_err(&err, "check the path given to -o and the free space there");
        goto done;
    }
    struct stat st;
    uint64_t bytes = stat(a.output, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (cli->json) {
        if (wh_cli_print_json(json_pack("{s:s, s:s, s:I, s:I}", "bindle", a.operand, "file",
                                        a.output, "parcels", (json_int_t)n, "bytes",
                                        (json_int_t)bytes), &err)) {
            wh_cli_fail_err(&err, "the file is written; retry without --json");
            goto done;
        }
    } else {
        wh_cli_note(cli, "exported %s: %zu parcels, %llu bytes",
                    wh_cli_safe(a.operand, shown, sizeof shown), n, (unsigned long long)bytes);
        printf("%s\n", wh_cli_safe(a.output, shown, sizeof shown));
    }
    status = WH_EXIT_OK;
done:
    for (size_t i = 0; items && i < n; i++)
        free(items[i].path);
    for (size_t i = 0; files && i < n; i++)
        free(files[i]);
    free(items);
    free(files);
    free(shas);
    wh_cache_close(c);
    wh_invoice_free(inv);
    wh_http_resp_clear(&r);
    wh_http_close(h);
    free(path);
    free(esc);
    free(name);
    return status;
}

/* ---- import ---- */

/*
 * The standalone directory's file for each parcel (NULL when it holds
 * none: the server may have it already).  A file that is there must match
 * its label; files that an extraction wrote were hashed on the way, those
 * of a directory the user gave are hashed here.
 */
static int local_files(const char *dir, bool checked, const wh_invoice *inv, char **files,
                       wh_err *err)
{
    for (size_t i = 0; i < inv->n_parcels; i++) {
        const wh_label *l = &inv->parcels[i].label;
        size_t len = strlen(dir) + sizeof "/parcels/.dat" + 64;
        if (!(files[i] = malloc(len)))
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        snprintf(files[i], len, "%s/parcels/%s.dat", dir, l->sha256);
        struct stat st;
        if (lstat(files[i], &st) != 0 || !S_ISREG(st.st_mode)) {
            free(files[i]);
            files[i] = NULL;
            continue;
        }
        char hex[65] = "";
        uint64_t size = (uint64_t)st.st_size;
        int rc = checked ? 0 : wh_cli_sha256_file(files[i], hex, &size, err);
        if (rc)
            return rc;
        if (size != l->size || (!checked && strcmp(hex, l->sha256) != 0))
            return wh_err_set(err, WH_EINVAL, "%s does not match its label \"%s\": %llu bytes "
                              "%s%s, the invoice says %llu bytes", files[i], l->name,
                              (unsigned long long)size, checked ? "" : "with sha256 ",
                              hex, (unsigned long long)l->size);
    }
    return 0;
}

static int run_import(wh_cli *cli, int argc, char **argv)
{
    cmd_args a;
    bool help;
    int status = parse_args("import", USAGE_IMPORT, argc, argv, &a, &help);
    if (status || help)
        return status;
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;

    wh_err err;
    wh_err_clear(&err);
    status = WH_EXIT_FAIL;
    char *tmp = NULL, *toml = NULL, *esc = NULL, inv_path[4200], shown[600];
    const char *dir = a.operand, *hint = NULL;
    size_t toml_len = 0, n = 0, n_items = 0;
    wh_invoice *inv = NULL;
    char **files = NULL;
    bool *need = NULL;
    wh_http *h = NULL;
    struct stat st;
    if (stat(a.operand, &st) != 0) {
        wh_cli_fail("check the path", "%s: %s", wh_cli_safe(a.operand, shown, sizeof shown),
                    strerror(errno));
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (wh_standalone_extract_tmp(a.operand, NULL, &tmp, &err)) {
            wh_cli_fail_err(&err, err.code == WH_EINVAL
                                      ? "give a standalone bindle as `wharf export` writes "
                                        "it, unchanged"
                                      : "check the file and the free space in $TMPDIR");
            goto done;
        }
        dir = tmp;
    }
    snprintf(inv_path, sizeof inv_path, "%s/invoice.toml", dir);
    if (wh_file_read(inv_path, wh_invoice_default_limits.max_bytes, 0, &toml, &toml_len,
                     &err) ||
        wh_invoice_parse_toml(toml, toml_len, NULL, &inv, &err) ||
        wh_invoice_validate(inv, &err)) {
        if (tmp)
            wh_err_prefix(&err, "%s", wh_cli_safe(a.operand, shown, sizeof shown));
        wh_cli_fail_err(&err, "give a standalone bindle, as `wharf export` writes");
        goto done;
    }
    n = inv->n_parcels;
    files = calloc(n + 1, sizeof *files);
    need = calloc(n + 1, sizeof *need);
    esc = wh_http_escape_id(inv->bindle.name, inv->bindle.version);
    if (!files || !need || !esc) {
        wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    if (local_files(dir, tmp != NULL, inv, files, &err)) {
        wh_cli_fail_err(&err, "the standalone bindle is damaged; export it again");
        goto done;
    }
    bool existed = false;
    if (wh_http_open(cli->server, cli->token, &h, &err) ||
        wh_cli_publish_invoice(h, toml, toml_len, inv, esc, need, &existed, &hint, &err)) {
        wh_cli_fail_err(&err, hint ? hint : "check the server address (--server)");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const wh_label *l = &inv->parcels[i].label;
        if (need[i] && !files[i]) {
            wh_cli_fail("import it from a complete export, or push the parcel",
                        "the server needs parcel \"%s\" (%s), which %s does not hold",
                        wh_cli_safe(l->name, shown, sizeof shown), l->sha256, a.operand);
            goto done;
        }
    }
    uint64_t bytes = 0;
    if (wh_cli_upload_needed(h, inv, esc, need, (const char *const *)files, a.parallel,
                             !cli->quiet && !cli->json, &n_items, &bytes, &err)) {
        wh_cli_fail_err(&err, "import again: only what is still missing is sent");
        goto done;
    }
    char id[600];
    snprintf(id, sizeof id, "%s/%s", inv->bindle.name, inv->bindle.version);
    if (cli->json) {
        if (wh_cli_print_json(json_pack("{s:s, s:b, s:I, s:I, s:I}", "bindle", id, "existed",
                                        existed, "parcels", (json_int_t)n, "uploaded",
                                        (json_int_t)n_items, "bytes_uploaded",
                                        (json_int_t)bytes), &err)) {
            wh_cli_fail_err(&err, "the bindle is imported; retry without --json");
            goto done;
        }
    } else {
        if (existed && !n_items)
            wh_cli_note(cli, "%s was already published; nothing to do",
                        wh_cli_safe(id, shown, sizeof shown));
        else
            wh_cli_note(cli, "uploaded %zu of %zu parcels (%llu bytes)", n_items, n,
                        (unsigned long long)bytes);
        printf("%s\n", wh_cli_safe(id, shown, sizeof shown));
    }
    status = WH_EXIT_OK;
done:
    for (size_t i = 0; files && i < n; i++)
        free(files[i]);
    free(files);
    free(need);
    free(esc);
    free(toml);
    wh_invoice_free(inv);
    wh_http_close(h);
    wh_standalone_remove_tree(tmp);
    free(tmp);
    return status;
}

const wh_cli_command wh_cmd_export = {"export", "write a published bindle as a standalone "
                                      "tarball", USAGE_EXPORT, run_export};
const wh_cli_command wh_cmd_import = {"import", "publish a standalone bindle as it is",
                                      USAGE_IMPORT, run_import};
