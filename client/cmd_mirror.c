/*
 * cmd_mirror.c - `wharf mirror`: copy artifacts from any OCI registry into
 * Wharf, as signed bindles where they fit the bindle model and as plain
 * OCI content where they do not.
 *
 * For each tag of the source (one, or every tag it lists):
 *
 * - a SemVer tag of an image manifest becomes bindle NAME/VERSION: its
 *   blobs are fetched into the cache (in parallel, digests checked as they
 *   stream), the invoice is made from the manifest (schema/oci.h) with the
 *   source and its digest in the annotations, signed by the user's key in
 *   the proxy role, posted, and the parcels the server lacks uploaded
 *   (publish.h).  Then the exact upstream manifest is PUT to Wharf's /v2
 *   by digest, so that an OCI pull from Wharf gets upstream's bytes and
 *   digest.  A version that Wharf already holds from the same manifest is
 *   up to date and nothing is fetched; one it holds from another manifest
 *   is a conflict, never overwritten;
 * - any other tag (latest, ...) and every index is copied as OCI content
 *   only: blobs through /v2 uploads (those Wharf has are skipped), an
 *   index's child manifests first, then the manifest under its tag.
 *
 * Nothing is published before every blob it names is in the cache and
 * checked, so a corrupt upstream leaves no trace on the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "http.h"
#include "keystore.h"
#include "oci_parse.h"
#include "oci_remote.h"
#include "publish.h"
#include "schema/invoice.h"
#include "schema/oci.h"
#include "schema/signature.h"
#include "transfer.h"

#define USAGE_MIRROR                                                             \
    "usage: wharf mirror oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX] [--to NAME]\n" \
    "                    [--plain-http] [--parallel N] [--label LABEL]\n"         \
    "                    [--src-creds USER:PASS | --src-token TOKEN]\n"          \
    "  Copies artifacts from an OCI registry into Wharf.  Without a tag,\n"      \
    "  every tag the repository lists.  A SemVer tag of an image manifest\n"    \
    "  becomes the bindle NAME/VERSION (NAME defaults to REPO), signed with\n" \
    "  your key in the proxy role (LABEL picks it; one is created when you\n"  \
    "  have none), and the upstream manifest is stored as it is under /v2.\n"  \
    "  Other tags and indexes are copied as OCI content only.  Blobs are\n"     \
    "  fetched N at once (default 8), checked against their digests, and\n"   \
    "  cached: run again, only what is new is fetched; a version Wharf holds\n" \
    "  from another manifest is a conflict and is left alone.\n"              \
    "  The registry is spoken to over https unless --plain-http.  Its\n"      \
    "  credentials: --src-creds or --src-token, else WHARF_MIRROR_CREDS\n"    \
    "  (USER:PASS), else [registries.\"HOST:PORT\"] username, password or\n"   \
    "  token in config.toml.  Prints one line per tag and the totals; exit\n" \
    "  status 1 when a tag failed or conflicted.\n"

/* What to check when the source registry cannot be reached. */
static const char rc_hint_upstream[] = "check the registry's address, and give --plain-http "
                                       "for one without TLS";

/* Indexes of indexes are rare; deeper nesting is refused. */
#define MAX_INDEX_DEPTH 4

typedef enum { ST_MIRRORED, ST_UP_TO_DATE, ST_OCI_ONLY, ST_CONFLICT, ST_FAILED } state;

static const char *const state_text[] = {"mirrored", "up to date", "OCI-only", "conflict",
                                         "failed"};
static const char *const state_json[] = {"mirrored", "up-to-date", "oci-only", "conflict",
                                         "failed"};

typedef struct tag_result {
    const char *tag;           /* borrowed; "" for a digest without a tag */
    char version[WH_OCI_MAX_TAG + 1];
    bool has_version;
    char digest[65];
    state st;
    char note[WH_ERR_MSG_MAX];  /* why it failed, or what else happened */
    size_t blobs;               /* fetched from upstream for this tag */
    uint64_t bytes;
} tag_result;

typedef struct mirror {
    wh_cli *cli;
    wh_oci_ref ref;
    const char *name;           /* the repository and bindle name on Wharf */
    const char *label;
    unsigned parallel;
    wh_oci_remote *up;          /* the source registry */
    wh_oci_remote *dst;         /* Wharf's /v2 */
    wh_http *v1;                /* Wharf's /v1 */
    wh_cache *cache;
    wh_secret_keys *sk;
    const wh_secret_key *key;   /* the proxy key, once picked */
} mirror;

/* ---- blobs ---- */

/* The config and layers of an image manifest, in order. */
static size_t manifest_blobs(const wh_oci_manifest *m, const wh_oci_desc **out)
{
    size_t n = 0;
    if (m->has_config)
        out[n++] = &m->config;
    for (size_t i = 0; i < m->n_layers; i++)
        out[n++] = &m->layers[i];
    return n;
}

/* Fetches these blobs from upstream into the cache; counts what moved. */
static int fetch_blobs(mirror *mr, const wh_oci_desc *const *d, size_t n, tag_result *res,
                       wh_err *err)
{
    if (n == 0)
        return 0;
    wh_xfer_item *items = calloc(n, sizeof *items);
    if (!items)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].sha256 = d[i]->sha256;
        items[i].size = d[i]->size;
        total += d[i]->size;
    }
    wh_progress *pr = wh_progress_new(!mr->cli->quiet && !mr->cli->json, n, total);
    int rc = wh_oci_remote_fetch_blobs(mr->up, mr->cache, items, n, mr->parallel, pr, err);
    wh_progress_finish(pr);
    for (size_t i = 0; i < n; i++) {
        if (items[i].fetched > 0 && items[i].result == 0) {
            res->blobs++;
            res->bytes += items[i].fetched;
        }
    }
    if (rc) {
        for (size_t i = 0; i < n; i++) {
            if (items[i].result) {
                wh_err_set(err, items[i].result, "blob sha256:%s from %s: %s", items[i].sha256,
                           wh_oci_remote_host(mr->up), items[i].msg);
                break;
            }
        }
    }
    free(items);
    return rc;
}

/* ---- the bindle ---- */

enum { HELD_NONE, HELD_SAME, HELD_INCOMPLETE, HELD_OTHER };

/* What Wharf holds of NAME/VERSION: nothing, the bindle of this manifest
 * (whole, or with parcels still missing), or another one. */
static int held(mirror *mr, const char *esc, const char *version, const char *sha256,
                int *out, char *why, size_t cap, wh_err *err)
{
    char path[1500], msg[400];
    wh_http_resp r = {0};
    wh_invoice *inv = NULL;
    snprintf(path, sizeof path, "/_i/%s?yanked=true", esc);
    int rc = wh_http_request(mr->v1, "GET", path, NULL, NULL, 0, "application/json", &r, err);
    if (rc)
        return rc;
    if (r.status == 404) {
        *out = HELD_NONE;
        goto done;
    }
    if (r.status != 200) {
        rc = wh_err_set(err, wh_http_status_code(r.status), "asking Wharf for %s/%s: HTTP %ld: "
                        "%s", mr->name, version, r.status, wh_http_error_text(&r, msg, sizeof msg));
        goto done;
    }
    if ((rc = wh_invoice_parse_json(r.body ? r.body : "", r.len, NULL, &inv, err))) {
        wh_err_prefix(err, "the invoice of %s/%s on Wharf", mr->name, version);
        goto done;
    }
    const char *have = wh_kvmap_get(&inv->annotations, WH_OCI_ANN_MANIFEST);
    if (!have || strncmp(have, "sha256:", 7) != 0 || strcmp(have + 7, sha256) != 0) {
        char shown[100];
        snprintf(why, cap, "%s/%s is on Wharf %s%s; versions are immutable: mirror to "
                 "another name (--to) or publish a new version upstream", mr->name, version,
                 have ? "from another manifest, " : "and was not made from an OCI manifest",
                 have ? wh_cli_safe(have, shown, sizeof shown) : "");
        *out = HELD_OTHER;
        goto done;
    }
    wh_http_resp_clear(&r);
    snprintf(path, sizeof path, "/_r/missing/%s", esc);
    if ((rc = wh_http_request(mr->v1, "GET", path, NULL, NULL, 0, "application/json", &r, err)))
        goto done;
    json_t *doc = r.status == 200 && r.body ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    json_t *missing = json_object_get(doc, "missing");
    if (!json_is_array(missing))
        rc = wh_err_set(err, WH_EIO, "asking Wharf what %s/%s lacks: HTTP %ld: %s", mr->name,
                        version, r.status, wh_http_error_text(&r, msg, sizeof msg));
    else
        *out = json_array_size(missing) ? HELD_INCOMPLETE : HELD_SAME;
    json_decref(doc);
done:
    wh_invoice_free(inv);
    wh_http_resp_clear(&r);
    return rc;
}

/* The proxy key, loaded (or created) the first time a bindle is signed. */
static int proxy_key(mirror *mr, const char **hint, wh_err *err)
{
    if (mr->key)
        return 0;
    *hint = WH_CLI_HINT_KEYS;
    int rc = mr->sk ? 0 : wh_cli_secret_keys_load(mr->cli, &mr->sk, err);
    if (!rc)
        rc = wh_cli_pick_key(mr->cli, mr->sk, mr->label, WH_ROLE_PROXY, &mr->key, hint, err);
    return rc;
}

/* Posts the signed invoice and uploads the parcels Wharf lacks from the
 * cache. */
static int publish(mirror *mr, const wh_invoice *inv, const char *esc, wh_err *err)
{
    char *toml = NULL;
    size_t len = 0, sent = 0;
    uint64_t bytes = 0;
    bool existed = false;
    const char *hint = NULL;
    bool *need = calloc(inv->n_parcels + 1, sizeof *need);
    char **files = calloc(inv->n_parcels + 1, sizeof *files);
    int rc = need && files ? wh_invoice_emit_toml(inv, &toml, &len, err)
                           : wh_err_set(err, WH_ENOMEM, "out of memory");
    if (!rc)
        rc = wh_cli_publish_invoice(mr->v1, toml, len, inv, esc, need, &existed, &hint, err);
    if (rc && hint)
        wh_err_prefix(err, "publishing (%s)", hint);
    for (size_t i = 0; !rc && i < inv->n_parcels; i++) {
        char file[WH_CACHE_PATH_MAX];
        if (!need[i])
            continue;
        rc = wh_cache_path(mr->cache, inv->parcels[i].label.sha256, file, sizeof file, err);
        if (!rc && !(files[i] = strdup(file)))
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    if (!rc && (rc = wh_cli_upload_needed(mr->v1, inv, esc, need, (const char *const *)files,
                                          mr->parallel, !mr->cli->quiet && !mr->cli->json,
                                          &sent, &bytes, err)))
        wh_err_prefix(err, "%s/%s is on Wharf but lacks parcels (run the mirror again to "
                      "finish it)", inv->bindle.name, inv->bindle.version);
    for (size_t i = 0; files && i < inv->n_parcels; i++)
        free(files[i]);
    free(files);
    free(need);
    free(toml);
    return rc;
}

/* Puts the upstream manifest into Wharf's /v2 by digest, unless it is
 * there; *put says whether it had to. */
static int put_by_digest(mirror *mr, const wh_oci_doc *doc, const wh_oci_manifest *m,
                         bool *put, wh_err *err)
{
    char ref[80];
    bool exists = false;
    snprintf(ref, sizeof ref, "sha256:%s", doc->sha256);
    *put = false;
    int rc = wh_oci_remote_has_manifest(mr->dst, ref, &exists, NULL, err);
    if (rc || exists)
        return rc;
    *put = true;
    return wh_oci_remote_put_manifest(mr->dst, ref, doc->body, doc->len,
                                      m->media_type ? m->media_type : doc->content_type,
                                      doc->sha256, err);
}

static int mirror_bindle(mirror *mr, const wh_oci_doc *doc, const wh_oci_manifest *m,
                         tag_result *res, wh_err *err)
{
    const char *version = res->version, *hint = NULL;
    char *esc = wh_http_escape_id(mr->name, version);
    const wh_oci_desc **descs = calloc(m->n_layers + 2, sizeof *descs);
    wh_invoice *inv = NULL;
    int have = HELD_NONE, rc;
    bool put = false;
    if (!esc || !descs) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = held(mr, esc, version, doc->sha256, &have, res->note, sizeof res->note, err)))
        goto done;
    if (have == HELD_OTHER) {
        res->st = ST_CONFLICT;
        goto done;
    }
    if (have == HELD_SAME) {
        /* A run cut off after publishing may not have stored the manifest. */
        if (!(rc = put_by_digest(mr, doc, m, &put, err))) {
            res->st = ST_UP_TO_DATE;
            if (put)
                snprintf(res->note, sizeof res->note, "stored the OCI manifest it lacked");
        }
        goto done;
    }
    if ((rc = fetch_blobs(mr, descs, manifest_blobs(m, descs), res, err)))
        goto done;
    char source[600];
    snprintf(source, sizeof source, "%s/%s@sha256:%s", mr->ref.host, mr->ref.repo,
             doc->sha256);
    wh_kv kv = {.key = (char *)WH_OCI_ANN_SOURCE, .value = source};
    wh_kvmap extra = {.items = &kv, .n = 1};
    if ((rc = wh_oci_manifest_to_invoice(m, doc->sha256, mr->name, version, &extra, &inv,
                                         err)))
        goto done;
    if ((rc = proxy_key(mr, &hint, err))) {
        wh_err_prefix(err, "signing (%s)", hint ? hint : WH_CLI_HINT_KEYS);
        goto done;
    }
    if ((rc = wh_sig_sign(inv, mr->key, WH_ROLE_PROXY, (int64_t)time(NULL), err)))
        goto done;
    if ((rc = publish(mr, inv, esc, err)))
        goto done;
    if ((rc = put_by_digest(mr, doc, m, &put, err))) {
        wh_err_prefix(err, "%s/%s is published, but its OCI manifest is not stored (run "
                      "again to finish)", mr->name, version);
        goto done;
    }
    res->st = ST_MIRRORED;
    if (have == HELD_INCOMPLETE)
        snprintf(res->note, sizeof res->note, "finished an earlier, cut-off mirror");
done:
    wh_invoice_free(inv);
    free(descs);
    free(esc);
    return rc;
}

/* ---- OCI content only ---- */

/* Copies a manifest (an index's children first, an image's blobs first)
 * and PUTs it under `reference`. */
static int copy_oci(mirror *mr, const wh_oci_doc *doc, const wh_oci_manifest *m,
                    const char *reference, int depth, tag_result *res, wh_err *err)
{
    int rc = 0;
    if (m->is_index) {
        if (depth >= MAX_INDEX_DEPTH)
            return wh_err_set(err, WH_EINVAL, "indexes nest over %d deep", MAX_INDEX_DEPTH);
        for (size_t i = 0; i < m->n_manifests && !rc; i++) {
            char ref[80];
            bool exists = false;
            snprintf(ref, sizeof ref, "sha256:%s", m->manifests[i].sha256);
            if ((rc = wh_oci_remote_has_manifest(mr->dst, ref, &exists, NULL, err)) || exists)
                continue;
            wh_oci_doc child = {0};
            wh_oci_manifest *cm = NULL;
            rc = wh_oci_remote_get_manifest(mr->up, ref, &child, err);
            if (!rc)
                rc = wh_oci_manifest_parse(child.body, child.len, child.content_type, &cm, err);
            if (!rc)
                rc = copy_oci(mr, &child, cm, ref, depth + 1, res, err);
            wh_oci_manifest_free(cm);
            wh_oci_doc_clear(&child);
        }
    } else {
        const wh_oci_desc **all = calloc(m->n_layers + 2, sizeof *all);
        const wh_oci_desc **missing = calloc(m->n_layers + 2, sizeof *missing);
        size_t n = all && missing ? manifest_blobs(m, all) : 0, k = 0;
        if (!all || !missing)
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        for (size_t i = 0; i < n && !rc; i++) {
            bool exists = false, dup = false;
            for (size_t j = 0; j < k && !dup; j++)
                dup = strcmp(missing[j]->sha256, all[i]->sha256) == 0;
            if (!dup && !(rc = wh_oci_remote_has_blob(mr->dst, all[i]->sha256, &exists, err)) &&
                !exists)
                missing[k++] = all[i];
        }
        if (!rc)
            rc = fetch_blobs(mr, missing, k, res, err);
        for (size_t i = 0; i < k && !rc; i++) {
            char file[WH_CACHE_PATH_MAX];
            rc = wh_cache_path(mr->cache, missing[i]->sha256, file, sizeof file, err);
            if (!rc)
                rc = wh_oci_remote_push_blob(mr->dst, missing[i]->sha256, missing[i]->size,
                                             file, err);
        }
        free(all);
        free(missing);
    }
    if (!rc)
        rc = wh_oci_remote_put_manifest(mr->dst, reference, doc->body, doc->len,
                                        m->media_type ? m->media_type : doc->content_type,
                                        doc->sha256, err);
    return rc;
}

/* ---- one tag ---- */

static void mirror_tag(mirror *mr, tag_result *res)
{
    wh_err err;
    wh_err_clear(&err);
    wh_oci_doc doc = {0};
    wh_oci_manifest *m = NULL;
    char ref[80];
    const char *reference = res->tag;
    if (mr->ref.digest[0]) {
        snprintf(ref, sizeof ref, "sha256:%s", mr->ref.digest);
        reference = ref;
    }
    res->st = ST_FAILED;
    int rc = wh_oci_remote_get_manifest(mr->up, reference, &doc, &err);
    if (!rc) {
        memcpy(res->digest, doc.sha256, sizeof res->digest);
        rc = wh_oci_manifest_parse(doc.body, doc.len, doc.content_type, &m, &err);
    }
    if (rc)
        goto done;
    res->has_version = res->tag[0] &&
                       wh_oci_version_from_tag(res->tag, res->version, sizeof res->version);
    if (res->has_version && !m->is_index) {
        rc = mirror_bindle(mr, &doc, m, res, &err);
        goto done;
    }
    char have[65] = "";
    bool exists = false;
    const char *put_as = res->tag[0] ? res->tag : reference;
    if ((rc = wh_oci_remote_has_manifest(mr->dst, put_as, &exists, have, &err)))
        goto done;
    if (exists && strcmp(have, doc.sha256) == 0) {
        res->st = ST_UP_TO_DATE;
        goto done;
    }
    if (!(rc = copy_oci(mr, &doc, m, put_as, 0, res, &err)))
        res->st = ST_OCI_ONLY;
done:
    if (rc) {
        res->st = ST_FAILED;
        snprintf(res->note, sizeof res->note, "%s", err.msg);
    }
    wh_oci_manifest_free(m);
    wh_oci_doc_clear(&doc);
}

/* ---- the command ---- */

/* The upstream credentials: the flags, else WHARF_MIRROR_CREDS, else the
 * config file's entry for the host.  *pair holds a copy to split. */
static int source_creds(const mirror *mr, const char *flag_creds, const char *flag_token,
                        wh_oci_creds *c, char **pair)
{
    const char *env = getenv("WHARF_MIRROR_CREDS");
    const char *spec = flag_creds ? flag_creds : flag_token ? NULL : env && env[0] ? env : NULL;
    if (flag_token) {
        c->token = flag_token;
    } else if (spec) {
        char *colon;
        if (!(*pair = strdup(spec)))
            return wh_cli_fail("free some memory", "out of memory");
        if (!(colon = strchr(*pair, ':')) || colon == *pair)
            return wh_cli_usage("mirror", "%s must be USER:PASS",
                                flag_creds ? "--src-creds" : "WHARF_MIRROR_CREDS");
        *colon = '\0';
        c->username = *pair;
        c->password = colon + 1;
    } else {
        wh_cli_registry_creds(mr->cli, mr->ref.host, &c->username, &c->password, &c->token);
    }
    return WH_EXIT_OK;
}

/* scheme://HOST[:PORT] of the server URL: /v2 lives at the root. */
static char *server_origin(const char *url)
{
    const char *s = strstr(url, "://");
    size_t n = s ? (size_t)(s + 3 - url) + strcspn(s + 3, "/?#") : strlen(url);
    return strndup(url, n);
}

static int print_results(const mirror *mr, const char *src, tag_result *res, size_t n)
{
    size_t count[5] = {0}, blobs = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        count[res[i].st]++;
        blobs += res[i].blobs;
        bytes += res[i].bytes;
    }
    if (mr->cli->json) {
        wh_err err;
        json_t *tags = json_array();
        for (size_t i = 0; tags && i < n; i++) {
            const tag_result *r = &res[i];
            char digest[80];
            snprintf(digest, sizeof digest, "sha256:%s", r->digest);
            json_array_append_new(
                tags, json_pack("{s:s, s:s?, s:s?, s:s, s:s?, s:I, s:I}", "tag", r->tag,
                                "version", r->has_version ? r->version : NULL, "digest",
                                r->digest[0] ? digest : NULL, "state", state_json[r->st],
                                "note", r->note[0] ? r->note : NULL, "blobs_fetched",
                                (json_int_t)r->blobs, "bytes_fetched", (json_int_t)r->bytes));
        }
        json_t *doc = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "source",
                                src, "to", mr->name, "tags", tags, "mirrored",
                                (json_int_t)count[ST_MIRRORED], "up_to_date",
                                (json_int_t)count[ST_UP_TO_DATE], "oci_only",
                                (json_int_t)count[ST_OCI_ONLY], "conflicts",
                                (json_int_t)count[ST_CONFLICT], "failed",
                                (json_int_t)count[ST_FAILED], "blobs_fetched", (json_int_t)blobs,
                                "bytes_fetched", (json_int_t)bytes);
        if (wh_cli_print_json(doc, &err))
            return wh_cli_fail_err(&err, "retry without --json");
    } else {
        for (size_t i = 0; i < n; i++) {
            const tag_result *r = &res[i];
            char note[WH_ERR_MSG_MAX];
            printf("%-20s %-10s %s%.12s%s%s", r->tag[0] ? r->tag : "(digest)",
                   state_text[r->st], r->digest[0] ? "sha256:" : "", r->digest,
                   r->note[0] ? "  " : "", wh_cli_safe(r->note, note, sizeof note));
            if (r->blobs)
                printf("  (%zu blob%s, %llu bytes fetched)", r->blobs, r->blobs == 1 ? "" : "s",
                       (unsigned long long)r->bytes);
            putchar('\n');
        }
        printf("%zu tag%s: %zu mirrored, %zu up to date, %zu OCI-only, %zu conflicts, %zu "
               "failed; %zu blobs fetched (%llu bytes)\n", n, n == 1 ? "" : "s",
               count[ST_MIRRORED], count[ST_UP_TO_DATE], count[ST_OCI_ONLY],
               count[ST_CONFLICT], count[ST_FAILED], blobs, (unsigned long long)bytes);
    }
    if (count[ST_FAILED] || count[ST_CONFLICT])
        return wh_cli_fail(count[ST_FAILED] ? "see the lines above; run again to retry what "
                                              "failed"
                                            : "versions are immutable: mirror to another name",
                           "%zu of %zu tags did not mirror", count[ST_FAILED] +
                           count[ST_CONFLICT], n);
    return WH_EXIT_OK;
}

static int run_mirror(wh_cli *cli, int argc, char **argv)
{
    static const wh_cli_opt opts[] = {{"to", 0, true},        {"plain-http", 0, false},
                                      {"parallel", 0, true},  {"label", 0, true},
                                      {"src-creds", 0, true}, {"src-token", 0, true},
                                      {NULL, 0, false}};
    mirror mr = {.cli = cli, .parallel = 8};
    wh_cli_args a;
    wh_err err;
    const char *src = NULL, *v, *creds = NULL, *token = NULL;
    bool plain = false;
    int which, status = WH_EXIT_FAIL;
    char *pair = NULL, *origin = NULL, **tags = NULL;
    size_t n_tags = 0;
    tag_result *res = NULL;
    wh_err_clear(&err);
    wh_cli_args_init(&a, argc, argv, 1, opts);
    for (;;) {
        if (wh_cli_args_next(&a, &which, &v, &err))
            return wh_cli_usage("mirror", "%s", err.msg);
        if (which == WH_ARG_END)
            break;
        if (which == WH_ARG_HELP) {
            fputs(USAGE_MIRROR, stdout);
            return WH_EXIT_OK;
        }
        if (which == WH_ARG_POSITIONAL) {
            if (src)
                return wh_cli_usage("mirror", "mirror takes one source");
            src = v;
        } else if (which == 0) {
            mr.name = v;
        } else if (which == 1) {
            plain = true;
        } else if (which == 2) {
            if (wh_cli_parse_parallel(v, WH_XFER_PARALLEL_MAX, &mr.parallel, &err))
                return wh_cli_usage("mirror", "%s", err.msg);
        } else if (which == 3) {
            mr.label = v;
        } else if (which == 4) {
            creds = v;
        } else {
            token = v;
        }
    }
    if (!src)
        return wh_cli_usage("mirror", "what to mirror? give oci://HOST/REPO[:TAG]");
    if (creds && token)
        return wh_cli_usage("mirror", "give --src-creds or --src-token, not both");
    if (wh_oci_ref_parse(src, &mr.ref, &err))
        return wh_cli_usage("mirror", "%s", err.msg);
    if (!mr.name)
        mr.name = mr.ref.repo;
    if (wh_name_validate(mr.name, &err) || !wh_oci_repo_valid(mr.name))
        return wh_cli_usage("mirror", "--to %s: %s", mr.name,
                            err.msg[0] ? err.msg : "not a repository name (lowercase letters "
                            "and digits, separated by '.', '_', '-' or '/')");
    if (wh_cli_ready(cli))
        return WH_EXIT_FAIL;

    wh_oci_creds up = {.hint = NULL}, own = {.token = cli->token};
    char hint[4500];
    snprintf(hint, sizeof hint, "--src-creds USER:PASS, WHARF_MIRROR_CREDS or "
             "[registries.\"%s\"] in %s", mr.ref.host, cli->config_path);
    up.hint = hint;
    own.hint = "--token or WHARF_TOKEN";
    if ((status = source_creds(&mr, creds, token, &up, &pair)))
        goto done;
    status = WH_EXIT_FAIL;
    size_t on = strlen(mr.ref.host) + 16;
    origin = malloc(on);
    char *wharf_origin = server_origin(cli->server);
    if (!origin || !wharf_origin) {
        free(wharf_origin);
        status = wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    snprintf(origin, on, "%s://%s", plain ? "http" : "https", mr.ref.host);
    const char *fail_hint = rc_hint_upstream;
    int rc = wh_oci_remote_open(origin, mr.ref.repo, false, &up, &mr.up, &err);
    if (!rc) {
        fail_hint = "check the server address (--server) and that it is running";
        rc = wh_oci_remote_open(wharf_origin, mr.name, true, &own, &mr.dst, &err);
    }
    free(wharf_origin);
    if (!rc)
        rc = wh_http_open(cli->server, cli->token, &mr.v1, &err);
    if (!rc)
        rc = wh_cache_open(NULL, &mr.cache, &err);
    if (rc) {
        status = wh_cli_fail_err(&err, rc == WH_EUNAUTH ? "then run the mirror again"
                                       : rc == WH_EIO ? fail_hint : "see `wharf help mirror`");
        goto done;
    }
    if (mr.ref.tag[0] || mr.ref.digest[0]) {
        tags = calloc(1, sizeof *tags);
        if (tags && !(tags[0] = strdup(mr.ref.tag))) {
            free(tags);
            tags = NULL;
        }
        n_tags = tags ? 1 : 0;
        rc = tags ? 0 : wh_err_set(&err, WH_ENOMEM, "out of memory");
    } else {
        rc = wh_oci_remote_tags(mr.up, &tags, &n_tags, &err);
    }
    if (rc) {
        status = wh_cli_fail_err(&err, "check the repository name");
        goto done;
    }
    res = calloc(n_tags + 1, sizeof *res);
    if (!res) {
        status = wh_cli_fail("free some memory", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_tags; i++) {
        res[i].tag = tags[i];
        mirror_tag(&mr, &res[i]);
    }
    status = print_results(&mr, src, res, n_tags);
done:
    free(res);
    wh_oci_tags_free(tags, n_tags);
    wh_cache_close(mr.cache);
    wh_http_close(mr.v1);
    wh_oci_remote_close(mr.dst);
    wh_oci_remote_close(mr.up);
    wh_secret_keys_free(mr.sk);
    free(origin);
    free(pair);
    return status;
}

const wh_cli_command wh_cmd_mirror = {
    .name = "mirror",
    .summary = "copy artifacts from an OCI registry into signed bindles",
    .usage = USAGE_MIRROR,
    .run = run_mirror,
};
