/*
 * test_oci_meta.c - the OCI view's records in the SQLite metadata store
 * (storage/meta.h, meta_oci.c): manifests, their references and tags; a
 * bindle created in the same transaction as its manifest; tag and catalog
 * listings merged with bindle versions, paged; referrers; which blobs a
 * repository may read; uploads in progress; and the garbage collector's
 * candidates and drops, with every kind of reference that keeps a blob.
 *
 * Databases live in one mkdtemp directory under /tmp, removed at the end.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "schema/invoice.h"
#include "storage/meta.h"
#include "tests/unit/meta_fixture.h"
#include "tests/unit/unit.h"

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* A digest made of one repeated hex digit. */
typedef struct sha {
    char s[65];
} sha;

static sha D(char c)
{
    sha d;
    memset(d.s, c, 64);
    d.s[64] = '\0';
    return d;
}

/* An invoice NAME/VERSION listing the parcels in `shas` (64-char digests
 * back to back, NULL for none). */
static wh_invoice *make_invoice(const char *name, const char *version, const char *shas)
{
    char doc[8192];
    int n = snprintf(doc, sizeof doc,
                     "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"%s\"\nversion = \"%s\"\n"
                     "authors = [\"Ann\"]\ndescription = \"made for the OCI tests\"\n",
                     name, version);
    for (int i = 0; shas && shas[64 * i] && n > 0 && (size_t)n < sizeof doc; i++)
        n += snprintf(doc + n, sizeof doc - (size_t)n,
                      "[[parcel]]\nlabel.sha256 = \"%.64s\"\n"
                      "label.mediaType = \"application/wasm\"\nlabel.name = \"p%d.wasm\"\n"
                      "label.size = 10\n",
                      shas + 64 * i, i);
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml(doc, strlen(doc), NULL, &inv, &err) != 0)
        fprintf(stderr, "  bad test invoice %s/%s: %s\n", name, version, err.msg);
    return inv;
}

static int add_invoice(wh_meta *m, const char *name, const char *version, const char *shas)
{
    wh_invoice *inv = make_invoice(name, version, shas);
    if (!inv)
        return WH_EINVAL;
    wh_err err = {0};
    int rc = store_invoice(m, inv, &err);
    if (rc)
        fprintf(stderr, "  storing %s/%s: %s\n", name, version, err.msg);
    wh_invoice_free(inv);
    return rc;
}

static int yank(wh_meta *m, const char *name, const char *version)
{
    wh_err err = {0};
    return wh_meta_invoice_yank(m, name, version, "test", "t", 1, "{}", 2, &err) == 1 ? 0 : -1;
}

/* Stores a manifest referencing `blobs` (n of them), tagged when tag. */
static int put(wh_meta *m, const char *repo, const char *digest, const char *tag,
               const char *const *blobs, size_t n, wh_err *err)
{
    char body[256];
    snprintf(body, sizeof body, "{\"schemaVersion\":2,\"x\":\"%.8s\"}", digest);
    wh_oci_manifest_put p = {.sha256 = digest, .media_type = MT_MANIFEST, .body = body,
                             .len = strlen(body), .blobs = blobs, .n_blobs = n, .tag = tag};
    return wh_meta_oci_manifest_put(m, repo, &p, err);
}

/* The strings joined by ',' (for one CHECK_STR per listing). */
static void joined(char **v, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n && used < cap; i++) {
        int k = snprintf(out + used, cap - used, "%s%s", i ? "," : "", v[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* One page of a listing against what is wanted; line names the caller's
 * line when a check fails.  Frees the page. */
static void check_page(const char *what, int rc, char **v, size_t n, bool more,
                       const char *want, bool want_more, int line)
{
    char got[1024];
    joined(v, n, got, sizeof got);
    if (rc != 0 || strcmp(got, want) != 0 || more != want_more)
        fprintf(stderr, "  (%s checked at line %d: rc %d, got \"%s\", more %d)\n", what, line,
                rc, got, more);
    CHECK_INT(rc, 0);
    CHECK_STR(got, want);
    CHECK(more == want_more);
    wh_strings_free(v, n);
}

static void check_tags(wh_meta *m, const char *repo, const char *last, size_t limit,
                       const char *want, bool want_more, int line)
{
    char **v = NULL;
    size_t n = 99;
    bool more = !want_more;
    wh_err err = {0};
    int rc = wh_meta_oci_tags(m, repo, last, limit, &v, &n, &more, &err);
    check_page("tags", rc, v, n, more, want, want_more, line);
}

static void check_repos(wh_meta *m, const char *last, size_t limit, const char *want,
                        bool want_more, int line)
{
    char **v = NULL;
    size_t n = 99;
    bool more = !want_more;
    wh_err err = {0};
    int rc = wh_meta_oci_repos(m, last, limit, &v, &n, &more, &err);
    check_page("repos", rc, v, n, more, want, want_more, line);
}

/* ------------------------------------------------------------------ */
/* Manifests and tags                                                  */
/* ------------------------------------------------------------------ */

static void test_manifest_put_get_tag_delete(void)
{
    char path[512];
    wh_meta *m = fresh_meta("manifests", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha cfg = D('1'), layer = D('2'), m1 = D('a'), m2 = D('b');
    CHECK_INT(wh_meta_parcel_add(m, cfg.s, 2, &err), 0);
    CHECK_INT(wh_meta_parcel_add(m, layer.s, 1000, &err), 0);
    const char *blobs[] = {cfg.s, layer.s};
    const char body[] = "{\"schemaVersion\":2,\"mediaType\":\"" MT_MANIFEST "\"}";
    wh_oci_manifest_put p = {.sha256 = m1.s, .media_type = MT_MANIFEST,
                             .artifact_type = "application/vnd.wasm.config.v0+json",
                             .annotations = "{\"org.opencontainers.image.title\":\"x\"}",
                             .body = body, .len = strlen(body), .blobs = blobs, .n_blobs = 2,
                             .tag = "latest"};
    CHECK_INT(wh_meta_oci_manifest_put(m, "app", &p, &err), 0);

    wh_oci_manifest_rec r;
    CHECK_INT(wh_meta_oci_manifest_get(m, "app", m1.s, &r, &err), 1);
    CHECK_STR(r.sha256, m1.s);
    CHECK_STR(r.media_type, MT_MANIFEST);
    CHECK_STR(r.artifact_type, "application/vnd.wasm.config.v0+json");
    CHECK_STR(r.annotations, "{\"org.opencontainers.image.title\":\"x\"}");
    CHECK_INT(r.len, strlen(body));
    CHECK(r.body && memcmp(r.body, body, r.len) == 0 && r.body[r.len] == '\0');
    CHECK(r.bindle_version == NULL);
    wh_oci_manifest_rec_clear(&r);
    CHECK(r.body == NULL);
    CHECK_INT(wh_meta_oci_manifest_get(m, "other", m1.s, &r, &err), 0);
    CHECK_INT(wh_meta_oci_manifest_get(m, "app", m2.s, &r, &err), 0);

    char got[65];
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "latest", got, &err), 1);
    CHECK_STR(got, m1.s);
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "nope", got, &err), 0);
    CHECK_INT(wh_meta_oci_tag_get(m, "other", "latest", got, &err), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifest_refs WHERE kind = 0"), 2);

    /* Pushed again with another tag: the same row, one more tag. */
    p.tag = "v1";
    p.media_type = "something/else";
    CHECK_INT(wh_meta_oci_manifest_put(m, "app", &p, &err), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifests"), 1);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifest_refs"), 2);
    CHECK_INT(wh_meta_oci_manifest_get(m, "app", m1.s, &r, &err), 1);
    CHECK_STR(r.media_type, MT_MANIFEST);
    wh_oci_manifest_rec_clear(&r);
    /* A tag moves. */
    CHECK_INT(put(m, "app", m2.s, "latest", blobs, 1, &err), 0);
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "latest", got, &err), 1);
    CHECK_STR(got, m2.s);
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "v1", got, &err), 1);
    CHECK_STR(got, m1.s);

    /* Deleting m1 takes its references and the tags on it, not the others. */
    CHECK_INT(wh_meta_oci_manifest_delete(m, "app", m1.s, &err), 1);
    CHECK_INT(wh_meta_oci_manifest_get(m, "app", m1.s, &r, &err), 0);
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "v1", got, &err), 0);
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "latest", got, &err), 1);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifest_refs"), 1);
    CHECK_INT(wh_meta_oci_manifest_delete(m, "app", m1.s, &err), 0);
    CHECK_INT(wh_meta_parcel_has(m, cfg.s, &err), 1); /* blobs stay */

    CHECK_INT(wh_meta_oci_tag_delete(m, "app", "latest", &err), 1);
    CHECK_INT(wh_meta_oci_tag_delete(m, "app", "latest", &err), 0);
    CHECK_INT(wh_meta_oci_manifest_get(m, "app", m2.s, &r, &err), 1);
    wh_oci_manifest_rec_clear(&r);
    wh_meta_close(m);
}

/* A reference to something not stored refuses the whole put. */
static void test_missing_references(void)
{
    char path[512];
    wh_meta *m = fresh_meta("missing", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha a = D('1'), x = D('9'), m1 = D('a'), idx = D('c'), other = D('d');
    CHECK_INT(wh_meta_parcel_add(m, a.s, 5, &err), 0);
    const char *blobs[] = {a.s, x.s};
    CHECK_INT(put(m, "app", m1.s, "latest", blobs, 2, &err), WH_ENOTFOUND);
    CHECK_CONTAINS(err.msg, "blob");
    CHECK_CONTAINS(err.msg, x.s);
    CHECK_CONTAINS(err.msg, "is not stored");
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifests"), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifest_refs"), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_tags"), 0);

    /* An index: its manifests must be in the same repository. */
    CHECK_INT(put(m, "app", m1.s, NULL, blobs, 1, &err), 0);
    CHECK_INT(put(m, "elsewhere", other.s, NULL, blobs, 1, &err), 0);
    const char *mans[] = {m1.s, other.s};
    const char body[] = "{\"manifests\":[]}";
    wh_oci_manifest_put p = {.sha256 = idx.s, .media_type = MT_INDEX, .body = body,
                             .len = strlen(body), .manifests = mans, .n_manifests = 2,
                             .tag = "multi"};
    CHECK_INT(wh_meta_oci_manifest_put(m, "app", &p, &err), WH_ENOTFOUND);
    CHECK_CONTAINS(err.msg, other.s);
    char got[65];
    CHECK_INT(wh_meta_oci_tag_get(m, "app", "multi", got, &err), 0);
    p.n_manifests = 1;
    CHECK_INT(wh_meta_oci_manifest_put(m, "app", &p, &err), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifest_refs WHERE kind = 1 AND "
                            "repo = 'app' AND ref = '" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"),
              1);
    wh_meta_close(m);
}

/* A manifest pushed with a SemVer tag becomes a bindle in the same
 * transaction, and a bindle that exists refuses the manifest too. */
static void test_invoice_same_transaction(void)
{
    char path[512];
    wh_meta *m = fresh_meta("invoice", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha a = D('1'), m1 = D('a'), m2 = D('b'), m3 = D('c');
    CHECK_INT(wh_meta_parcel_add(m, a.s, 10, &err), 0);
    wh_invoice *inv = make_invoice("hello", "1.0.0", a.s);
    char *toml = NULL, *json = NULL;
    size_t tl = 0, jl = 0;
    CHECK(inv != NULL);
    if (!inv)
        goto done;
    CHECK_INT(wh_invoice_emit_toml(inv, &toml, &tl, &err), 0);
    CHECK_INT(wh_invoice_emit_json(inv, &json, &jl, &err), 0);
    const char *blobs[] = {a.s};
    const char body[] = "{\"schemaVersion\":2}";
    wh_oci_manifest_put p = {.sha256 = m1.s, .media_type = MT_MANIFEST, .body = body,
                             .len = strlen(body), .blobs = blobs, .n_blobs = 1, .tag = "1.0.0",
                             .bindle_version = "1.0.0", .invoice = inv, .toml = toml,
                             .json = json, .toml_len = tl, .json_len = jl};
    CHECK_INT(wh_meta_oci_manifest_put(m, "hello", &p, &err), 0);
    wh_invoice_doc *doc = NULL;
    CHECK_INT(wh_meta_invoice_get(m, "hello", "1.0.0", &doc, &err), 0);
    CHECK(doc && doc->toml_len == tl && memcmp(doc->toml, toml, tl) == 0);
    wh_invoice_doc_free(doc);
    wh_meta_query q = {.q = "hello", .limit = 10};
    wh_meta_hits *h = NULL;
    CHECK_INT(wh_meta_search(m, &q, &h, &err), 0);
    CHECK(h && h->total == 1);
    wh_meta_hits_free(h);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM invoice_parcels"), 1);
    char got[65];
    CHECK_INT(wh_meta_oci_bindle_view(m, "hello", "1.0.0", got, &err), 1);
    CHECK_STR(got, m1.s);
    CHECK_INT(wh_meta_oci_bindle_view(m, "hello", "2.0.0", got, &err), 0);

    /* The bindle exists: neither the new manifest nor its tag is stored. */
    p.sha256 = m2.s;
    CHECK_INT(wh_meta_oci_manifest_put(m, "hello", &p, &err), WH_EEXIST);
    CHECK_CONTAINS(err.msg, "hello/1.0.0");
    wh_oci_manifest_rec r;
    CHECK_INT(wh_meta_oci_manifest_get(m, "hello", m2.s, &r, &err), 0);
    CHECK_INT(wh_meta_oci_tag_get(m, "hello", "1.0.0", got, &err), 1);
    CHECK_STR(got, m1.s);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_manifest_refs"), 1);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM invoices"), 1);

    /* The invoice must be of the repository's name. */
    p.sha256 = m3.s;
    CHECK_INT(wh_meta_oci_manifest_put(m, "other", &p, &err), WH_EINVAL);
    CHECK_INT(wh_meta_oci_manifest_get(m, "other", m3.s, &r, &err), 0);

    /* Pushed by digest first, then as a bindle: the bindle finds its view. */
    wh_invoice_free(inv);
    free(toml);
    free(json);
    toml = json = NULL;
    inv = make_invoice("hello", "2.0.0", a.s);
    CHECK(inv != NULL);
    if (!inv)
        goto done;
    CHECK_INT(wh_invoice_emit_toml(inv, &toml, &tl, &err), 0);
    CHECK_INT(wh_invoice_emit_json(inv, &json, &jl, &err), 0);
    CHECK_INT(put(m, "hello", m3.s, NULL, blobs, 1, &err), 0);
    CHECK_INT(wh_meta_oci_bindle_view(m, "hello", "2.0.0", got, &err), 0);
    wh_oci_manifest_put p2 = {.sha256 = m3.s, .media_type = MT_MANIFEST, .body = body,
                              .len = strlen(body), .blobs = blobs, .n_blobs = 1, .tag = "2.0.0",
                              .bindle_version = "2.0.0", .invoice = inv, .toml = toml,
                              .json = json, .toml_len = tl, .json_len = jl};
    CHECK_INT(wh_meta_oci_manifest_put(m, "hello", &p2, &err), 0);
    CHECK_INT(wh_meta_oci_bindle_view(m, "hello", "2.0.0", got, &err), 1);
    CHECK_STR(got, m3.s);
done:
    wh_invoice_free(inv);
    free(toml);
    free(json);
    wh_meta_close(m);
}

/* ------------------------------------------------------------------ */
/* Listings                                                            */
/* ------------------------------------------------------------------ */

static void test_tags_merge_and_page(void)
{
    char path[512];
    wh_meta *m = fresh_meta("tags", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha a = D('1'), m1 = D('a');
    CHECK_INT(wh_meta_parcel_add(m, a.s, 1, &err), 0);
    const char *blobs[] = {a.s};
    CHECK_INT(put(m, "app", m1.s, "latest", blobs, 1, &err), 0);
    CHECK_INT(put(m, "app", m1.s, "b", blobs, 1, &err), 0);
    CHECK_INT(put(m, "app", m1.s, "Z", blobs, 1, &err), 0);
    CHECK_INT(put(m, "app", m1.s, "1.0.0", blobs, 1, &err), 0); /* also a bindle version */
    CHECK_INT(put(m, "app2", m1.s, "other", blobs, 1, &err), 0);
    CHECK_INT(add_invoice(m, "app", "1.0.0", NULL), 0);
    CHECK_INT(add_invoice(m, "app", "1.0.0+build.5", NULL), 0);
    CHECK_INT(add_invoice(m, "app", "2.0.0-rc.1", NULL), 0);
    CHECK_INT(add_invoice(m, "app", "0.9.0", NULL), 0);
    CHECK_INT(yank(m, "app", "0.9.0"), 0);
    CHECK_INT(add_invoice(m, "app/sub", "3.0.0", NULL), 0);
    CHECK_INT(add_invoice(m, "ap", "4.0.0", NULL), 0);

    /* Bytewise: digits, then upper case, then '_', then lower case. */
    check_tags(m, "app", NULL, 100, "1.0.0,1.0.0_build.5,2.0.0-rc.1,Z,b,latest", false,
               __LINE__);
    check_tags(m, "app", NULL, 2, "1.0.0,1.0.0_build.5", true, __LINE__);
    check_tags(m, "app", "1.0.0_build.5", 2, "2.0.0-rc.1,Z", true, __LINE__);
    check_tags(m, "app", "Z", 2, "b,latest", false, __LINE__);
    check_tags(m, "app", "latest", 2, "", false, __LINE__);
    check_tags(m, "app", "a", 100, "b,latest", false, __LINE__); /* `last` need not exist */
    check_tags(m, "app", NULL, 0, "", true, __LINE__);
    check_tags(m, "app", NULL, 6, "1.0.0,1.0.0_build.5,2.0.0-rc.1,Z,b,latest", false,
               __LINE__);
    check_tags(m, "app2", NULL, 10, "other", false, __LINE__);
    check_tags(m, "app/sub", NULL, 10, "3.0.0", false, __LINE__);
    check_tags(m, "nothing", NULL, 10, "", false, __LINE__);

    /* Yanking takes a version off the list; an OCI tag of the same name stays. */
    CHECK_INT(yank(m, "app", "1.0.0"), 0);
    CHECK_INT(yank(m, "app", "2.0.0-rc.1"), 0);
    check_tags(m, "app", NULL, 100, "1.0.0,1.0.0_build.5,Z,b,latest", false, __LINE__);
    wh_meta_close(m);
}

static void test_repos(void)
{
    char path[512];
    wh_meta *m = fresh_meta("repos", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha a = D('1'), m1 = D('a');
    check_repos(m, NULL, 10, "", false, __LINE__);
    CHECK_INT(wh_meta_parcel_add(m, a.s, 1, &err), 0);
    const char *blobs[] = {a.s};
    CHECK_INT(add_invoice(m, "alpha", "1.0.0", NULL), 0);
    CHECK_INT(put(m, "alpha", m1.s, "latest", blobs, 1, &err), 0);
    CHECK_INT(add_invoice(m, "beta/x", "1.0.0", NULL), 0);
    CHECK_INT(put(m, "delta", m1.s, NULL, blobs, 1, &err), 0); /* untagged */
    CHECK_INT(put(m, "gamma", m1.s, "t", blobs, 1, &err), 0);
    CHECK_INT(add_invoice(m, "zeta", "1.0.0", NULL), 0);
    CHECK_INT(yank(m, "zeta", "1.0.0"), 0);
    CHECK_INT(add_invoice(m, "eta", "1.0.0", NULL), 0);
    CHECK_INT(yank(m, "eta", "1.0.0"), 0);
    CHECK_INT(add_invoice(m, "eta", "2.0.0", NULL), 0);
    CHECK_INT(add_invoice(m, "Omega", "2.0.0", NULL), 0);

    check_repos(m, NULL, 100, "Omega,alpha,beta/x,delta,eta,gamma", false, __LINE__);
    check_repos(m, NULL, 2, "Omega,alpha", true, __LINE__);
    check_repos(m, "alpha", 2, "beta/x,delta", true, __LINE__);
    check_repos(m, "delta", 2, "eta,gamma", false, __LINE__);
    check_repos(m, "gamma", 2, "", false, __LINE__);
    check_repos(m, "b", 1, "beta/x", true, __LINE__);
    wh_meta_close(m);
}

static void test_referrers(void)
{
    char path[512];
    wh_meta *m = fresh_meta("referrers", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha a = D('1'), subj = D('5'), r1 = D('e'), r2 = D('c'), r3 = D('d');
    CHECK_INT(wh_meta_parcel_add(m, a.s, 1, &err), 0);
    const char *blobs[] = {a.s};
    CHECK_INT(put(m, "app", subj.s, "latest", blobs, 1, &err), 0);
    const char sig[] = "{\"sig\":1}", sbom[] = "{\"sbom\":22}";
    wh_oci_manifest_put p = {.sha256 = r1.s, .media_type = MT_MANIFEST,
                             .artifact_type = "application/vnd.example.sig",
                             .subject = subj.s, .annotations = "{\"k\":\"v\"}", .body = sig,
                             .len = strlen(sig), .blobs = blobs, .n_blobs = 1};
    CHECK_INT(wh_meta_oci_manifest_put(m, "app", &p, &err), 0);
    p.sha256 = r2.s;
    p.artifact_type = "application/vnd.example.sbom";
    p.annotations = NULL;
    p.body = sbom;
    p.len = strlen(sbom);
    CHECK_INT(wh_meta_oci_manifest_put(m, "app", &p, &err), 0);
    p.sha256 = r3.s; /* the same subject digest, another repository */
    CHECK_INT(wh_meta_oci_manifest_put(m, "other", &p, &err), 0);

    wh_oci_referrer *v = NULL;
    size_t n = 0;
    CHECK_INT(wh_meta_oci_referrers(m, "app", subj.s, NULL, &v, &n, &err), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(v[0].sha256, r2.s); /* by digest */
        CHECK_STR(v[0].artifact_type, "application/vnd.example.sbom");
        CHECK(v[0].annotations == NULL);
        CHECK_INT(v[0].size, strlen(sbom));
        CHECK_STR(v[1].sha256, r1.s);
        CHECK_STR(v[1].media_type, MT_MANIFEST);
        CHECK_STR(v[1].annotations, "{\"k\":\"v\"}");
        CHECK_INT(v[1].size, strlen(sig));
    }
    wh_oci_referrers_free(v, n);
    CHECK_INT(wh_meta_oci_referrers(m, "app", subj.s, "application/vnd.example.sig", &v, &n,
                                    &err),
              0);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(v[0].sha256, r1.s);
    wh_oci_referrers_free(v, n);
    CHECK_INT(wh_meta_oci_referrers(m, "app", subj.s, "application/none", &v, &n, &err), 0);
    CHECK_INT(n, 0);
    wh_oci_referrers_free(v, n);
    CHECK_INT(wh_meta_oci_referrers(m, "app", r1.s, NULL, &v, &n, &err), 0);
    CHECK_INT(n, 0);
    wh_oci_referrers_free(v, n);
    wh_meta_close(m);
}

/* ------------------------------------------------------------------ */
/* Blobs, uploads, garbage collection                                  */
/* ------------------------------------------------------------------ */

static void test_blob_visible(void)
{
    char path[512];
    wh_meta *m = fresh_meta("visible", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha up = D('1'), ref = D('2'), inv = D('3'), unstored = D('4'), loose = D('5'), m1 = D('a');
    /* Stored, but no repository has it. */
    CHECK_INT(wh_meta_parcel_add(m, loose.s, 1, &err), 0);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r1", loose.s, &err), 0);
    /* Uploaded into r1. */
    CHECK_INT(wh_meta_oci_blob_link(m, "r1", up.s, 7, &err), 0);
    CHECK_INT(wh_meta_parcel_has(m, up.s, &err), 1);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r1", up.s, &err), 1);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r2", up.s, &err), 0);
    /* Referenced by a manifest of r2. */
    CHECK_INT(wh_meta_parcel_add(m, ref.s, 1, &err), 0);
    const char *blobs[] = {ref.s};
    CHECK_INT(put(m, "r2", m1.s, NULL, blobs, 1, &err), 0);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r2", ref.s, &err), 1);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r1", ref.s, &err), 0);
    /* Listed by a bindle named r3; one it lists that is not stored is not. */
    char shas[129];
    snprintf(shas, sizeof shas, "%s%s", inv.s, unstored.s);
    CHECK_INT(add_invoice(m, "r3", "1.0.0", shas), 0);
    CHECK_INT(wh_meta_parcel_add(m, inv.s, 10, &err), 0);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r3", inv.s, &err), 1);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r3", unstored.s, &err), 0);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r3/x", inv.s, &err), 0);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r", inv.s, &err), 0);
    /* Linked, but its parcel row gone (collected): not visible. */
    CHECK_INT(raw_int(path, "DELETE FROM parcels WHERE sha256 LIKE '1%'"), 0);
    CHECK_INT(wh_meta_oci_blob_visible(m, "r1", up.s, &err), 0);
    wh_meta_close(m);
}

/* The upload whose id *ctx names still has its bytes. */
static bool upload_alive(const char *id, void *ctx)
{
    return strcmp(id, *(const char **)ctx) == 0;
}

static void test_uploads(void)
{
    char path[512];
    wh_meta *m = fresh_meta("uploads", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    const char *id1 = "0123456789abcdef0123456789abcdef", *id2 = "fedcba9876543210fedcba9876543210";
    CHECK_INT(wh_meta_oci_upload_add(m, id1, "app", &err), 0);
    CHECK_INT(wh_meta_oci_upload_add(m, id2, "lib/x", &err), 0);
    CHECK(wh_meta_oci_upload_add(m, id1, "app", &err) < 0);
    char *repo = NULL;
    CHECK_INT(wh_meta_oci_upload_get(m, id1, &repo, &err), 1);
    CHECK_STR(repo, "app");
    free(repo);
    CHECK_INT(wh_meta_oci_upload_get(m, "00000000000000000000000000000000", &repo, &err), 0);
    CHECK(repo == NULL);
    CHECK_INT(wh_meta_oci_upload_remove(m, id1, &err), 0);
    CHECK_INT(wh_meta_oci_upload_get(m, id1, &repo, &err), 0);
    CHECK_INT(wh_meta_oci_upload_remove(m, id1, &err), 0);

    CHECK_INT(wh_meta_oci_upload_add(m, id1, "app", &err), 0);
    CHECK_INT(raw_int(path, "UPDATE oci_uploads SET started_at = 1000"), 0);
    /* Both are old; the one whose session still holds bytes stays. */
    const char *alive_id = id1;
    CHECK_INT(wh_meta_oci_upload_expire(m, 2000, upload_alive, &alive_id, &err), 1);
    CHECK_INT(wh_meta_oci_upload_get(m, id2, &repo, &err), 0);
    CHECK_INT(wh_meta_oci_upload_get(m, id1, &repo, &err), 1);
    free(repo);
    CHECK_INT(wh_meta_oci_upload_expire(m, 1000, NULL, NULL, &err), 0);
    CHECK_INT(wh_meta_oci_upload_expire(m, 2000, NULL, NULL, &err), 1);
    CHECK_INT(wh_meta_oci_upload_get(m, id1, &repo, &err), 0);
    wh_meta_close(m);
}

/* Candidates are the old, unreferenced uploads; each kind of reference
 * keeps a blob, and a drop checks again. */
static void test_gc(void)
{
    char path[512];
    wh_meta *m = fresh_meta("gc", path, sizeof path);
    if (!m)
        return;
    wh_err err = {0};
    sha loose = D('1'), by_manifest = D('2'), by_yanked = D('3'), aot_src = D('4'),
        aot_art = D('5'), young_in_one = D('6'), bindle_only = D('7'), loose2 = D('8'),
        other_src = D('9'), m1 = D('a');
    const sha linked[] = {loose, by_manifest, by_yanked, aot_src, aot_art, young_in_one, loose2};
    for (size_t i = 0; i < sizeof linked / sizeof linked[0]; i++)
        CHECK_INT(wh_meta_oci_blob_link(m, "up", linked[i].s, 3, &err), 0);
    CHECK_INT(wh_meta_oci_blob_link(m, "up2", young_in_one.s, 3, &err), 0);
    CHECK_INT(wh_meta_parcel_add(m, bindle_only.s, 3, &err), 0);
    /* Everything linked long ago, but young_in_one's link into up2. */
    CHECK(raw_int(path, "UPDATE oci_blobs SET linked_at = 1000 WHERE repo = 'up'") == 0);
    const char *blobs[] = {by_manifest.s};
    CHECK_INT(put(m, "elsewhere", m1.s, "t", blobs, 1, &err), 0);
    CHECK_INT(add_invoice(m, "old", "1.0.0", by_yanked.s), 0);
    CHECK_INT(yank(m, "old", "1.0.0"), 0);
    CHECK_INT(wh_meta_aot_enqueue(m, aot_src.s, "x86_64-linux-gnu", "tc1", NULL, &err), 1);
    CHECK_INT(wh_meta_aot_enqueue(m, other_src.s, "x86_64-linux-gnu", "tc1", NULL, &err), 1);
    wh_aot_rec done = {.target = "x86_64-linux-gnu", .toolchain = "tc1", .state = "done",
                       .artifact_size = 3};
    snprintf(done.source_sha, sizeof done.source_sha, "%s", other_src.s);
    snprintf(done.artifact_sha, sizeof done.artifact_sha, "%s", aot_art.s);
    CHECK_INT(wh_meta_aot_finish(m, &done, &err), 0);

    int64_t cutoff = 2000;
    char(*c)[65] = NULL;
    size_t n = 0;
    CHECK_INT(wh_meta_oci_gc_candidates(m, cutoff, 100, &c, &n, &err), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(c[0], loose.s);
        CHECK_STR(c[1], loose2.s);
    }
    free(c);
    CHECK_INT(wh_meta_oci_gc_candidates(m, cutoff, 1, &c, &n, &err), 0);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(c[0], loose.s);
    free(c);
    CHECK_INT(wh_meta_oci_gc_candidates(m, 500, 100, &c, &n, &err), 0);
    CHECK_INT(n, 0); /* nothing is older than 500 */
    free(c);

    CHECK_INT(wh_meta_oci_gc_drop(m, loose.s, cutoff, &err), 1);
    CHECK_INT(wh_meta_parcel_has(m, loose.s, &err), 0);
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_blobs WHERE sha256 LIKE '1%'"), 0);
    CHECK_INT(wh_meta_oci_gc_drop(m, loose.s, cutoff, &err), 0);
    const sha kept[] = {by_manifest, by_yanked, aot_src, aot_art, young_in_one, bindle_only};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        CHECK_INT(wh_meta_oci_gc_drop(m, kept[i].s, cutoff, &err), 0);
        CHECK_INT(wh_meta_parcel_has(m, kept[i].s, &err), 1);
    }
    CHECK_INT(raw_int(path, "SELECT count(*) FROM oci_blobs"), 7);

    /* Referenced between the listing and the drop: kept. */
    CHECK_INT(wh_meta_oci_gc_candidates(m, cutoff, 100, &c, &n, &err), 0);
    CHECK(n == 1 && strcmp(c[0], loose2.s) == 0);
    free(c);
    const char *blobs2[] = {loose2.s};
    CHECK_INT(put(m, "up", D('b').s, NULL, blobs2, 1, &err), 0);
    CHECK_INT(wh_meta_oci_gc_drop(m, loose2.s, cutoff, &err), 0);
    CHECK_INT(wh_meta_parcel_has(m, loose2.s, &err), 1);

    /* Deleting the manifest frees what only it referenced. */
    CHECK_INT(wh_meta_oci_manifest_delete(m, "elsewhere", m1.s, &err), 1);
    CHECK_INT(wh_meta_oci_gc_candidates(m, cutoff, 100, &c, &n, &err), 0);
    CHECK(n == 1 && strcmp(c[0], by_manifest.s) == 0);
    free(c);
    /* Linked again: the grace period starts over. */
    CHECK_INT(wh_meta_oci_blob_link(m, "up", by_manifest.s, 3, &err), 0);
    CHECK_INT(wh_meta_oci_gc_drop(m, by_manifest.s, cutoff, &err), 0);
    CHECK_INT(wh_meta_oci_gc_drop(m, by_manifest.s, (int64_t)time(NULL) + 10, &err), 1);
    wh_meta_close(m);
}

int main(void)
{
    if (tmp_root_make("/tmp/wh-test-oci-meta") != 0)
        return 1;
    RUN(test_manifest_put_get_tag_delete);
    RUN(test_missing_references);
    RUN(test_invoice_same_transaction);
    RUN(test_tags_merge_and_page);
    RUN(test_repos);
    RUN(test_referrers);
    RUN(test_blob_visible);
    RUN(test_uploads);
    RUN(test_gc);
    tmp_root_remove();
    return unit_done("oci_meta");
}
