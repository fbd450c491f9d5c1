/*
 * cmd_info.c - the commands that ask the registry about bindles without
 * moving parcels: `wharf info`, `wharf search` and `wharf yank`.
 *
 * Each is one request.  Output is a short human summary, or with --json
 * the server's own JSON document, so scripts see every field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "http.h"
#include "schema/invoice.h"

#define USAGE_INFO                                                       \
    "usage: wharf info NAME/VERSION [--yanked]\n"                       \
    "  Prints a published bindle's invoice summary: parcels, groups and\n" \
    "  signatures.  --yanked shows a yanked one too.\n"
#define USAGE_SEARCH                                                       \
    "usage: wharf search [QUERY] [--version RANGE] [--strict] [--yanked]\n" \
    "                    [--offset N] [--limit N]\n"                        \
    "  Searches the registry: every term of QUERY is a substring of the\n"  \
    "  name (--strict) or of the name, version, authors or description.\n" \
    "  RANGE is an npm-style SemVer range (^1.2, >=2 <3).\n"
#define USAGE_YANK                                                        \
    "usage: wharf yank NAME/VERSION [--reason TEXT]\n"                     \
    "  Marks a published bindle yanked: it stays readable with ?yanked=\n" \
    "  true, but is no longer offered.  Needs a token with a yank scope.\n"

/* One request; a reply other than `ok` is reported as a failure. */
static int ask(wh_cli *cli, const char *method, const char *path, long ok, wh_http_resp *r,
               const char *what)
{
    wh_http *h = NULL;
    wh_err err;
    wh_err_clear(&err);
    int rc = wh_http_open(cli->server, cli->token, &h, &err);
    if (!rc)
        rc = wh_http_request(h, method, path, NULL, NULL, 0, "application/json", r, &err);
    wh_http_close(h);
    if (rc)
        return wh_cli_fail_err(&err, "check the server address (--server) and that it is running");
    if (r->status == ok)
        return WH_EXIT_OK;
    char msg[512];
    wh_http_error_text(r, msg, sizeof msg);
    const char *hint = r->status == 401 ? "give a token with --token or WHARF_TOKEN"
                     : r->status == 403 && strstr(msg, "yanked") ? "add --yanked to see it anyway"
                     : r->status == 403 ? "ask the operator for a token with the right scope"
                     : r->status == 404 ? "check the name and version (wharf search)"
                     : "see the server's message";
    return wh_cli_fail(hint, "%s: HTTP %ld: %s", what, r->status, msg);
}

/* Reads positional ID and flags common to info and yank. */
static int one_id(int argc, char **argv, const char *cmd, const char *usage,
                  const wh_cli_opt *opts, const char **id, const char **opt_values, bool *help)
{
    wh_cli_args a;
    wh_err err;
    const char *v;
    int which;
    *help = false;
    *id = NULL;
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return wh_cli_usage(cmd, "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(usage, stdout);
            *help = true;
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL) {
            if (*id)
                return wh_cli_usage(cmd, "%s takes one NAME/VERSION", cmd);
            *id = v;
        } else {
            opt_values[which] = v ? v : "";
        }
    }
    if (!*id)
        return wh_cli_usage(cmd, "which bindle? give NAME/VERSION");
    return WH_EXIT_OK;
}

static int run_info(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"yanked", 0, false}, {NULL, 0, false}};
    const char *vals[1] = {NULL}, *id, *version;
    bool help;
    int status = one_id(argc, argv, "info", USAGE_INFO, opts, &id, vals, &help);
    if (status || help)
        return status;
    char name[512], path[1400], shown[600];
    if (!wh_cli_split_id(id, name, sizeof name, &version))
        return wh_cli_usage("info", "\"%s\" is not NAME/VERSION", id);
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    char *esc = wh_http_escape_id(name, version);
    if (!esc)
        return wh_cli_fail("free some memory", "out of memory");
    snprintf(path, sizeof path, "/_i/%s%s", esc, vals[0] ? "?yanked=true" : "");
    free(esc);
    wh_http_resp r = {0};
    status = ask(cli, "GET", path, 200, &r, id);
    if (status)
        goto done;
    wh_err err;
    wh_invoice *inv = NULL;
    if (wh_invoice_parse_json(r.body, r.len, NULL, &inv, &err) != 0) {
        status = wh_cli_fail_err(&err, "the server sent an invoice wharf cannot read");
        goto done;
    }
    if (cli->json) {
        json_error_t je;
        json_t *doc = json_loadb(r.body, r.len, 0, &je);
        if (wh_cli_print_json(doc, &err))
            status = wh_cli_fail_err(&err, "retry without --json");
    } else {
        uint64_t total = 0;
        for (size_t i = 0; i < inv->n_parcels; i++)
            total += inv->parcels[i].label.size;
        printf("%s %s%s\n", wh_cli_safe(inv->bindle.name, shown, sizeof shown),
               inv->bindle.version, inv->yanked ? " (yanked)" : "");
        if (inv->bindle.description)
            printf("  %s\n", wh_cli_safe(inv->bindle.description, shown, sizeof shown));
        printf("  %zu parcels, %llu bytes; %zu groups\n", inv->n_parcels,
               (unsigned long long)total, inv->n_groups);
        for (size_t i = 0; i < inv->n_parcels; i++) {
            const wh_label *l = &inv->parcels[i].label;
            printf("  %s  %10llu  %s  %s\n", l->sha256, (unsigned long long)l->size,
                   wh_cli_safe(l->media_type, path, sizeof path),
                   wh_cli_safe(l->name, shown, sizeof shown));
        }
        for (size_t i = 0; i < inv->n_signatures; i++)
            printf("  signed by %s as %s\n",
                   wh_cli_safe(inv->signatures[i].by, shown, sizeof shown),
                   inv->signatures[i].role);
    }
    wh_invoice_free(inv);
done:
    wh_http_resp_clear(&r);
    return status;
}

static int run_yank(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"reason", 0, true}, {NULL, 0, false}};
    const char *vals[1] = {NULL}, *id, *version;
    bool help;
    int status = one_id(argc, argv, "yank", USAGE_YANK, opts, &id, vals, &help);
    if (status || help)
        return status;
    char name[512], path[6000];
    if (!wh_cli_split_id(id, name, sizeof name, &version))
        return wh_cli_usage("yank", "\"%s\" is not NAME/VERSION", id);
    if (vals[0] && strlen(vals[0]) > 4096)
        return wh_cli_usage("yank", "the reason is over 4096 bytes");
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    char *esc = wh_http_escape_id(name, version);
    char *reason = vals[0] ? curl_easy_escape(NULL, vals[0], 0) : NULL;
    if (!esc || (vals[0] && !reason)) {
        free(esc);
        curl_free(reason);
        return wh_cli_fail("free some memory", "out of memory");
    }
    snprintf(path, sizeof path, "/_i/%s%s%s", esc, reason ? "?reason=" : "",
             reason ? reason : "");
    free(esc);
    curl_free(reason);
    wh_http_resp r = {0};
    status = ask(cli, "DELETE", path, 200, &r, id);
    wh_http_resp_clear(&r);
    if (status)
        return status;
    if (cli->json) {
        wh_err err;
        if (wh_cli_print_json(json_pack("{s:s, s:b}", "bindle", id, "yanked", 1), &err))
            return wh_cli_fail_err(&err, "the bindle is yanked; retry without --json");
    } else {
        char shown[600];
        printf("yanked %s\n", wh_cli_safe(id, shown, sizeof shown));
    }
    return WH_EXIT_OK;
}

static int run_search(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"version", 0, true}, {"strict", 0, false},
                                      {"yanked", 0, false}, {"offset", 0, true},
                                      {"limit", 0, true},   {NULL, 0, false}};
    static const char *const keys[] = {"v", "strict", "yanked", "o", "l"};
    const char *vals[5] = {NULL}, *query = NULL, *v;
    wh_cli_args a;
    wh_err err;
    int which;
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return wh_cli_usage("search", "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(USAGE_SEARCH, stdout);
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL) {
            if (query)
                return wh_cli_usage("search", "give the query as one argument (quote it)");
            query = v;
        } else {
            vals[which] = opts[which].has_value ? v : "true";
        }
    }
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;
    char path[8192];
    size_t used = (size_t)snprintf(path, sizeof path, "/_q?q=");
    char *q = curl_easy_escape(NULL, query ? query : "", 0);
    if (!q)
        return wh_cli_fail("free some memory", "out of memory");
    used += (size_t)snprintf(path + used, sizeof path - used, "%s", q);
    curl_free(q);
    for (int i = 0; i < 5; i++) {
        if (!vals[i] || used >= sizeof path)
            continue;
        char *e = curl_easy_escape(NULL, vals[i], 0);
        if (!e)
            return wh_cli_fail("free some memory", "out of memory");
        used += (size_t)snprintf(path + used, sizeof path - used, "&%s=%s", keys[i], e);
        curl_free(e);
    }
    if (used >= sizeof path)
        return wh_cli_usage("search", "the query is too long");
    wh_http_resp r = {0};
    int status = ask(cli, "GET", path, 200, &r, "search");
    if (status)
        goto done;
    json_error_t je;
    json_t *doc = json_loadb(r.body, r.len, 0, &je);
    if (!doc) {
        status = wh_cli_fail("see the server's logs", "the server's reply is not JSON");
        goto done;
    }
    if (cli->json) {
        if (wh_cli_print_json(doc, &err))
            status = wh_cli_fail_err(&err, "retry without --json");
        goto done;
    }
    size_t i;
    json_t *hit;
    char shown[600];
    json_array_foreach(json_object_get(doc, "invoices"), i, hit) {
        json_t *b = json_object_get(hit, "bindle");
        const char *desc = json_string_value(json_object_get(b, "description"));
        const char *bn = json_string_value(json_object_get(b, "name"));
        const char *bv = json_string_value(json_object_get(b, "version"));
        printf("%s %s%s%s%s\n", wh_cli_safe(bn ? bn : "?", shown, sizeof shown), bv ? bv : "?",
               json_is_true(json_object_get(hit, "yanked")) ? " (yanked)" : "",
               desc ? "  " : "", desc ? wh_cli_safe(desc, path, sizeof path) : "");
    }
    wh_cli_note(cli, "%lld of %lld shown",
                (long long)json_array_size(json_object_get(doc, "invoices")),
                (long long)json_integer_value(json_object_get(doc, "total")));
    json_decref(doc);
done:
    wh_http_resp_clear(&r);
    return status;
}

const wh_cli_command wh_cmd_info = {"info", "show a published bindle", USAGE_INFO, run_info};
const wh_cli_command wh_cmd_search = {"search", "search the registry", USAGE_SEARCH, run_search};
const wh_cli_command wh_cmd_yank = {"yank", "yank a published bindle", USAGE_YANK, run_yank};
