/*
 * publish.c - posting an invoice the way push and import both need it (see
 * publish.h).
 */
#include "publish.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "progress.h"
#include "transfer.h"

int wh_cli_sha256_file(const char *path, char hex[65], uint64_t *size, wh_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return wh_err_set(err, errno == ENOENT ? WH_ENOTFOUND : WH_EIO, "%s: %s", path,
                          strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[1 << 16], d[32];
    size_t got;
    int rc = 0;
    *size = 0;
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = wh_err_set(err, WH_ENOMEM, "cannot start SHA-256");
        goto done;
    }
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        EVP_DigestUpdate(md, buf, got);
        *size += got;
    }
    if (ferror(f)) {
        rc = wh_err_set(err, WH_EIO, "%s: read error", path);
        goto done;
    }
    EVP_DigestFinal_ex(md, d, NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
done:
    EVP_MD_CTX_free(md);
    fclose(f);
    return rc;
}

/* Flags in need[] the parcels listed under `missing` in a JSON reply. */
static int read_missing(const wh_http_resp *r, const wh_invoice *inv, bool *need, wh_err *err)
{
    json_t *doc = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
    json_t *list = json_object_get(doc, "missing"), *l;
    if (!json_is_array(list)) {
        json_decref(doc);
        return wh_err_set(err, WH_EIO, "the server's reply lists no `missing` parcels");
    }
    size_t k;
    json_array_foreach(list, k, l) {
        const char *sha = json_string_value(json_object_get(l, "sha256"));
        for (size_t i = 0; sha && i < inv->n_parcels; i++)
            if (strcmp(inv->parcels[i].label.sha256, sha) == 0)
                need[i] = true;
    }
    json_decref(doc);
    return 0;
}

/* Whether a stored invoice (JSON) lists exactly our parcels, in order. */
static bool same_parcels(const wh_http_resp *r, const wh_invoice *inv)
{
    wh_invoice *stored = NULL;
    if (!r->body || wh_invoice_parse_json(r->body, r->len, NULL, &stored, NULL))
        return false;
    bool same = stored->n_parcels == inv->n_parcels;
    for (size_t i = 0; same && i < inv->n_parcels; i++)
        same = strcmp(stored->parcels[i].label.sha256, inv->parcels[i].label.sha256) == 0;
    wh_invoice_free(stored);
    return same;
}

/*
 * Posts the invoice bytes unchanged; when the release is already there
 * (409), makes sure it is the same one and asks what is still missing.
 * Fills need[].  *hint gets what to tell the user on failure.
 */
int wh_cli_publish_invoice(wh_http *h, const char *toml, size_t len, const wh_invoice *inv,
                        const char *esc, bool *need, bool *existed, const char **hint,
                        wh_err *err)
{
    wh_http_resp r = {0};
    char path[1400], msg[512];
    *existed = false;
    *hint = "check the server address (--server) and that it is running";
    int rc = wh_http_request(h, "POST", "/_i", "application/toml", toml, len,
                             "application/json", &r, err);
    if (rc)
        return rc;
    if (r.status == 201 || r.status == 202) {
        rc = read_missing(&r, inv, need, err);
        goto done;
    }
    if (r.status != 409) {
        wh_http_error_text(&r, msg, sizeof msg);
        *hint = r.status == 401 ? "give a token with --token or WHARF_TOKEN"
              : r.status == 403 ? "ask the operator for a token whose scopes allow pushing "
                                  "this name"
              : r.status == 422 ? "a yanked bindle cannot be imported"
              : r.status == 400 ? "the server must trust the bindle's signers: add their "
                                  "keys to its keyring"
              : "see the server's message";
        rc = wh_err_set(err, wh_http_status_code(r.status), "the server refused the invoice "
                        "(HTTP %ld): %s", r.status, msg);
        goto done;
    }
    *existed = true;
    wh_http_resp_clear(&r);
    snprintf(path, sizeof path, "/_i/%s?yanked=true", esc);
    if ((rc = wh_http_request(h, "GET", path, NULL, NULL, 0, "application/json", &r, err)))
        goto done;
    if (r.status != 200 || !same_parcels(&r, inv)) {
        *hint = "published versions are immutable; publish a new version";
        rc = wh_err_set(err, WH_EEXIST, "%s/%s is already published with other parcels",
                        inv->bindle.name, inv->bindle.version);
        goto done;
    }
    wh_http_resp_clear(&r);
    snprintf(path, sizeof path, "/_r/missing/%s", esc);
    if ((rc = wh_http_request(h, "GET", path, NULL, NULL, 0, "application/json", &r, err)))
        goto done;
    if (r.status != 200) {
        *hint = "see the server's message";
        rc = wh_err_set(err, wh_http_status_code(r.status), "asking what is missing: HTTP "
                        "%ld: %s", r.status, wh_http_error_text(&r, msg, sizeof msg));
        goto done;
    }
    rc = read_missing(&r, inv, need, err);
done:
    wh_http_resp_clear(&r);
    return rc;
}

int wh_cli_upload_needed(wh_http *h, const wh_invoice *inv, const char *esc, const bool *need,
                         const char *const *files, unsigned parallel, bool show,
                         size_t *n_sent, uint64_t *bytes, wh_err *err)
{
    *n_sent = 0;
    *bytes = 0;
    wh_xfer_item *items = calloc(inv->n_parcels + 1, sizeof *items);
    if (!items)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < inv->n_parcels && !rc; i++) {
        if (!need[i])
            continue;
        const wh_label *l = &inv->parcels[i].label;
        size_t len = strlen(esc) + 4 + 1 + 64 + 1;
        if (!(items[n].path = malloc(len))) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            break;
        }
        snprintf(items[n].path, len, "/_i/%s@%s", esc, l->sha256);
        items[n].sha256 = l->sha256;
        items[n].size = l->size;
        items[n].file = files[i];
        *bytes += l->size;
        n++;
    }
    *n_sent = n;
    if (!rc && n) {
        wh_progress *p = wh_progress_new(show, n, *bytes);
        rc = wh_xfer_upload(h, items, n, parallel, p, err);
        wh_progress_finish(p);
        for (size_t i = 0; rc && i < n; i++)
            if (items[i].result)
                fprintf(stderr, "wharf: %s: %s\n", items[i].sha256, items[i].msg);
    }
    for (size_t i = 0; i < n; i++)
        free(items[i].path);
    free(items);
    return rc;
}
