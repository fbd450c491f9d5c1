/*
 * cmd_fetch.c - `wharf _fetch` and `wharf _send`, hidden commands that
 * download chosen parcels of one bindle into the cache, or upload local
 * files as parcels of one bindle, and say what happened to each.
 *
 * They exist so that the transfer layer (http.c, cache.c, transfer.c) can
 * be tested from the outside against a real wharfd, apart from what pull
 * and push build on top of it: which parcels, how many at once, and what
 * came from the cache versus the network are all visible in their output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cache.h"
#include "cli.h"
#include "publish.h"
#include "http.h"
#include "progress.h"
#include "transfer.h"

#define USAGE_FETCH                                                           \
    "usage: wharf _fetch [--parallel N] [-o DIR] NAME/VERSION SHA...\n"      \
    "  Downloads those parcels of the bindle NAME/VERSION into the cache,\n" \
    "  N at once (default 4, at most 64), and prints each one's cache\n"     \
    "  path and whether it came from the cache or how many bytes were\n"     \
    "  fetched.  -o (--export) DIR also puts each one at DIR/SHA.\n"        \
    "  --json prints {\"parcels\": [{\"sha256\", \"path\",\n"      \
    "  \"cached\", \"fetched\", \"status\", \"error\"}]}.  For testing the\n" \
    "  transfer layer; `wharf pull` is what users run.\n"

#define USAGE_SEND                                                            \
    "usage: wharf _send [--parallel N] [--cache] NAME/VERSION FILE...\n"    \
    "  Uploads each FILE as the parcel of the bindle NAME/VERSION that has\n" \
    "  its sha256, N at once (default 4, at most 64), and prints each\n"    \
    "  file with `uploaded`, or why not.  --cache first adds each file to\n" \
    "  the cache.  --json prints {\"parcels\":\n"   \
    "  [{\"file\", \"sha256\", \"status\", \"error\"}]}.  For testing the\n" \
    "  transfer layer; `wharf push` is what users run.\n"

/* What both commands take: [--parallel N] NAME/VERSION OPERAND... */
typedef struct xfer_args {
    unsigned parallel;
    const char *export_dir;   /* _fetch -o DIR; NULL when not given */
    bool cache;               /* _send --cache */
    const char *id;           /* NAME/VERSION */
    char *name;               /* malloc'd */
    const char *version;      /* inside id */
    const char **operands;    /* malloc'd array, borrowing argv */
    size_t n;
} xfer_args;

/* WH_EXIT_OK with *a filled, or the exit status (after printing why);
 * *done is set when --help was answered. */
static int parse_args(const char *cmd, const char *usage, int argc, char **argv,
                      xfer_args *a, bool *done)
{
    static const wh_cli_opt opts[] = {{"parallel", 0, true},
                                      {"export", 'o', true},
                                      {"cache", 0, false},
                                      {NULL, 0, false}};
    bool send = strcmp(cmd, "_send") == 0;
    wh_cli_args it;
    wh_err err;
    const char *v;
    int which;
    memset(a, 0, sizeof *a);
    a->parallel = 4;
    *done = false;
    if (!(a->operands = calloc((size_t)argc, sizeof *a->operands)))
        return wh_cli_fail("free some memory and retry", "out of memory");
    wh_cli_args_init(&it, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&it, &which, &v, &err))
            return wh_cli_usage(cmd, "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(usage, stdout);
            *done = true;
            return WH_EXIT_OK;
        }
        if (which == 0) {
            if (wh_cli_parse_parallel(v, WH_XFER_PARALLEL_MAX, &a->parallel, &err))
                return wh_cli_usage(cmd, "%s", err.msg);
        } else if (which == 1 || which == 2) {
            if (send != (which == 2))
                return wh_cli_usage(cmd, "%s has no option --%s", cmd, opts[which].name);
            if (which == 1)
                a->export_dir = v;
            else
                a->cache = true;
        } else if (!a->id) {
            a->id = v;
        } else {
            a->operands[a->n++] = v;
        }
    }
    const char *slash = a->id ? strrchr(a->id, '/') : NULL;
    if (!slash || slash == a->id || !slash[1] || a->n == 0)
        return wh_cli_usage(cmd, "give NAME/VERSION and at least one %s",
                            send ? "FILE" : "SHA");
    a->version = slash + 1;
    if (!(a->name = strndup(a->id, (size_t)(slash - a->id))))
        return wh_cli_fail("free some memory and retry", "out of memory");
    return WH_EXIT_OK;
}

static void xfer_args_free(xfer_args *a)
{
    free(a->name);
    free(a->operands);
}

/* "/_i/ESCAPED_ID@SHA", malloc'd. */
static char *parcel_path(const char *esc, const char *sha)
{
    size_t len = strlen(esc) + 4 + 1 + 64 + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "/_i/%s@%s", esc, sha);
    return p;
}

/* Every parcel of the invoice's JSON form with that sha256 gives its size;
 * 0 when found. */
static int label_size(json_t *inv, const char *sha, uint64_t *size)
{
    json_t *parcels = json_object_get(inv, "parcel"), *p;
    size_t i;
    json_array_foreach(parcels, i, p) {
        json_t *label = json_object_get(p, "label");
        const char *s = json_string_value(json_object_get(label, "sha256"));
        json_t *sz = json_object_get(label, "size");
        if (s && strcmp(s, sha) == 0 && json_is_integer(sz) && json_integer_value(sz) >= 0) {
            *size = (uint64_t)json_integer_value(sz);
            return 0;
        }
    }
    return WH_ENOTFOUND;
}

/* GET the invoice as JSON. */
static int get_invoice(wh_http *h, const char *esc, json_t **out, const char **hint,
                       wh_err *err)
{
    *out = NULL;
    size_t len = strlen(esc) + 5;
    char *path = malloc(len);
    if (!path)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    snprintf(path, len, "/_i/%s", esc);
    wh_http_resp r;
    int rc = wh_http_request(h, "GET", path, NULL, NULL, 0, "application/json", &r, err);
    free(path);
    if (rc) {
        *hint = "check --server and that wharfd is running";
        return rc;
    }
    if (r.status != 200) {
        char msg[300];
        rc = wh_err_set(err, wh_http_status_code(r.status), "cannot get the invoice %s: %s",
                        esc, wh_http_error_text(&r, msg, sizeof msg));
        *hint = "check the bindle's name and version";
    } else if (!(*out = json_loadb(r.body ? r.body : "", r.len, 0, NULL))) {
        rc = wh_err_set(err, WH_EINVAL, "the invoice %s is not JSON", esc);
        *hint = "check that --server points at a Wharf or Bindle server";
    }
    wh_http_resp_clear(&r);
    return rc;
}

static int run_fetch(wh_cli *cli, int argc, char **argv)
{
    wh_err err;
    wh_err_clear(&err);
    xfer_args xa;
    bool help;
    int status = parse_args("_fetch", USAGE_FETCH, argc, argv, &xa, &help);
    const char *id = xa.id, **shas = xa.operands;
    size_t n = xa.n;
    char *esc = NULL;
    wh_http *h = NULL;
    wh_cache *c = NULL;
    json_t *inv = NULL;
    wh_xfer_item *items = NULL;
    bool *was_cached = NULL;
    if (status != WH_EXIT_OK || help)
        goto done;
    for (size_t i = 0; i < n; i++)
        if (!wh_cache_sha_ok(shas[i])) {
            char shown[80];
            status = wh_cli_usage("_fetch", "\"%s\" is not a sha256 (64 lowercase hex digits)",
                                  wh_cli_safe(shas[i], shown, sizeof shown));
            goto done;
        }
    if ((status = wh_cli_ready(cli)) != WH_EXIT_OK)
        goto done;
    status = WH_EXIT_FAIL;

    const char *hint = "";
    esc = wh_http_escape_id(xa.name, xa.version);
    items = calloc(n, sizeof *items);
    was_cached = calloc(n, sizeof *was_cached);
    if (!esc || !items || !was_cached) {
        wh_cli_fail("free some memory and retry", "out of memory");
        goto done;
    }
    if (wh_http_open(cli->server, cli->token, &h, &err) ||
        get_invoice(h, esc, &inv, &hint, &err) || wh_cache_open(NULL, &c, &err)) {
        wh_cli_fail_err(&err, hint);
        goto done;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        wh_xfer_item *it = &items[i];
        if (label_size(inv, shas[i], &it->size)) {
            wh_cli_fail("pick a parcel that the invoice lists", "the invoice %s lists no parcel %s",
                        id, shas[i]);
            goto done;
        }
        if (!(it->path = parcel_path(esc, shas[i]))) {
            wh_cli_fail("free some memory and retry", "out of memory");
            goto done;
        }
        it->sha256 = shas[i];
        was_cached[i] = wh_cache_has(c, shas[i], it->size);
        total += it->size;
    }

    wh_progress *p = wh_progress_new(!cli->quiet && !cli->json, n, total);
    int rc = wh_xfer_download(h, c, items, n, xa.parallel, p, &err);
    wh_progress_finish(p);

    for (size_t i = 0; xa.export_dir && i < n; i++) {
        const wh_xfer_item *it = &items[i];
        char dest[WH_CACHE_PATH_MAX];
        snprintf(dest, sizeof dest, "%s/%s", xa.export_dir, it->sha256);
        if (!it->result && wh_cache_export(c, it->sha256, dest, &err)) {
            wh_cli_fail_err(&err, "check the directory given to -o");
            goto done;
        }
    }
    json_t *list = cli->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const wh_xfer_item *it = &items[i];
        char path[WH_CACHE_PATH_MAX];
        if (wh_cache_path(c, it->sha256, path, sizeof path, NULL))
            path[0] = '\0';
        if (list) {
            json_array_append_new(
                list, json_pack("{s:s, s:s?, s:b, s:I, s:I, s:s?}", "sha256", it->sha256,
                                "path", it->result ? NULL : path, "cached",
                                was_cached[i] && it->result == 0, "fetched",
                                (json_int_t)it->fetched, "status", (json_int_t)it->status,
                                "error", it->result ? it->msg : NULL));
        } else if (it->result) {
            fprintf(stderr, "wharf: %s: %s\n", it->sha256, it->msg);
        } else if (was_cached[i]) {
            printf("%s\tcached\n", path);
        } else {
            printf("%s\tfetched %" PRIu64 " bytes\n", path, it->fetched);
        }
    }
    if (list && wh_cli_print_json(json_pack("{s:o}", "parcels", list), &err)) {
        wh_cli_fail_err(&err, "free some memory and retry");
        goto done;
    }
    if (rc) {
        wh_cli_fail_err(&err, "run the same command again to resume");
        goto done;
    }
    status = WH_EXIT_OK;
done:
    for (size_t i = 0; items && i < n; i++)
        free(items[i].path);
    free(items);
    free(was_cached);
    json_decref(inv);
    wh_cache_close(c);
    wh_http_close(h);
    free(esc);
    xfer_args_free(&xa);
    return status;
}

static int run_send(wh_cli *cli, int argc, char **argv)
{
    wh_err err;
    wh_err_clear(&err);
    xfer_args xa;
    bool help;
    int status = parse_args("_send", USAGE_SEND, argc, argv, &xa, &help);
    size_t n = xa.n;
    char *esc = NULL, (*shas)[65] = NULL;
    wh_http *h = NULL;
    wh_xfer_item *items = NULL;
    wh_cache *c = NULL;
    if (status != WH_EXIT_OK || help)
        goto done;
    if ((status = wh_cli_ready(cli)) != WH_EXIT_OK)
        goto done;
    status = WH_EXIT_FAIL;
    esc = wh_http_escape_id(xa.name, xa.version);
    items = calloc(n, sizeof *items);
    shas = calloc(n, sizeof *shas);
    if (!esc || !items || !shas) {
        wh_cli_fail("free some memory and retry", "out of memory");
        goto done;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        wh_xfer_item *it = &items[i];
        if (wh_cli_sha256_file(xa.operands[i], shas[i], &it->size, &err)) {
            wh_cli_fail_err(&err, "check the path");
            goto done;
        }
        if (!(it->path = parcel_path(esc, shas[i]))) {
            wh_cli_fail("free some memory and retry", "out of memory");
            goto done;
        }
        it->sha256 = shas[i];
        it->file = xa.operands[i];
        total += it->size;
    }
    if (xa.cache) {
        if (wh_cache_open(NULL, &c, &err)) {
            wh_cli_fail_err(&err, "check XDG_CACHE_HOME");
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            if (wh_cache_add_file(c, items[i].file, items[i].sha256, &err)) {
                wh_cli_fail_err(&err, "check the file");
                goto done;
            }
    }
    if (wh_http_open(cli->server, cli->token, &h, &err)) {
        wh_cli_fail_err(&err, "check --server");
        goto done;
    }
    wh_progress *p = wh_progress_new(!cli->quiet && !cli->json, n, total);
    int rc = wh_xfer_upload(h, items, n, xa.parallel, p, &err);
    wh_progress_finish(p);

    json_t *list = cli->json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const wh_xfer_item *it = &items[i];
        if (list)
            json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s?}", "file", it->file,
                                                  "sha256", it->sha256, "status",
                                                  (json_int_t)it->status, "error",
                                                  it->result ? it->msg : NULL));
        else if (it->result)
            fprintf(stderr, "wharf: %s: %s\n", it->file, it->msg);
        else
            printf("%s\tuploaded\n", it->file);
    }
    if (list && wh_cli_print_json(json_pack("{s:o}", "parcels", list), &err)) {
        wh_cli_fail_err(&err, "free some memory and retry");
        goto done;
    }
    if (rc) {
        wh_cli_fail_err(&err, "check that the invoice lists these files");
        goto done;
    }
    status = WH_EXIT_OK;
done:
    for (size_t i = 0; items && i < n; i++)
        free(items[i].path);
    free(items);
    free(shas);
    wh_cache_close(c);
    wh_http_close(h);
    free(esc);
    xfer_args_free(&xa);
    return status;
}

const wh_cli_command wh_cmd_send_parcels = {
    .name = "_send",
    .summary = "upload files as parcels (for tests)",
    .usage = USAGE_SEND,
    .run = run_send,
};

const wh_cli_command wh_cmd_fetch_parcels = {
    .name = "_fetch",
    .summary = "download parcels into the cache (for tests)",
    .usage = USAGE_FETCH,
    .run = run_fetch,
};
