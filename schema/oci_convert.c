/*
 * oci_convert.c - the two conversions of oci.h between an OCI image
 * manifest and a bindle invoice: a pushed (or mirrored) manifest becomes an
 * unsigned invoice, and a stored invoice is shown as a deterministic
 * manifest plus its config blob.
 *
 * The invoice made from a manifest must be one that Wharf can keep and hand
 * out like any other: it passes wh_invoice_validate, and its canonical TOML
 * parses back under wh_invoice_default_limits (with room left for the
 * signatures still to come).  A manifest can say more than an invoice may
 * hold (10000 layers plus a config, 4 MiB strings, annotation keys TOML
 * cannot write), so those limits are checked here and refused by name
 * rather than producing an invoice that would fail later.
 *
 * Ownership: the invoice handed out is the caller's (wh_invoice_free); the
 * view's buffers are malloc'd and released by wh_oci_view_clear.
 */
#include "oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "invoice_json.h"
#include "oci_internal.h"
#include "utf8.h"

#define SHA256_PREFIX "sha256:"
/* Titles longer than this fall back to layer-N, which leaves room for a
 * "-K" suffix under the 255 bytes of a label name. */
#define TITLE_MAX 200
/* Emitted TOML kept free for the creator and host signatures that the
 * invoice will still gain (a [[signature]] entry is about 250 bytes). */
#define SIGNATURE_RESERVE (32 * 1024)
#define CONFIG_NAME_BASE "oci-config"
#define CONFIG_NAME_EXT ".json"

/* ------------------------------------------------------------------ */
/* Names of the parcels                                                */
/* ------------------------------------------------------------------ */

/* An open-addressing set of the label names taken so far, so that making
 * names unique stays linear in the number of layers. */
typedef struct nameset {
    const char **slots;
    size_t mask;
} nameset;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int nameset_init(nameset *s, size_t n, wh_err *err)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    s->slots = calloc(cap, sizeof *s->slots);
    s->mask = cap - 1;
    return s->slots ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

/* The slot that holds `name`, or the empty one where it would go. */
static const char **nameset_slot(const nameset *s, const char *name)
{
    size_t i = (size_t)name_hash(name) & s->mask;
    while (s->slots[i] && strcmp(s->slots[i], name) != 0)
        i = (i + 1) & s->mask;
    return &s->slots[i];
}

/*
 * A title is used as the label name only when it is a plain file name that
 * every platform can write: one path segment, no "..", no control
 * characters or backslash, and short enough to suffix.
 */
static bool title_usable(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > TITLE_MAX || strchr(t, '/') || strchr(t, '\\') || strstr(t, "..") ||
        strcmp(t, ".") == 0)
        return false;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = wh_utf8_next((const unsigned char *)t + i, n - i, &cp);
        if (len == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return false;
        i += len;
    }
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A file extension for a layer without a usable title. */
static const char *ext_for(const char *mt)
{
    if (strcmp(mt, WH_OCI_MT_WASM_LAYER) == 0 || ends_with(mt, "+wasm"))
        return ".wasm";
    if (ends_with(mt, "tar+gzip") || ends_with(mt, "tar.gzip"))
        return ".tar.gz";
    if (ends_with(mt, ".tar") || ends_with(mt, "+tar") || strcmp(mt, "application/x-tar") == 0)
        return ".tar";
    if (ends_with(mt, "+json") || ends_with(mt, "/json"))
        return ".json";
    return ".bin";
}

/*
 * Takes `want` as a label name when it is free, else "BASE-K.EXT" (the
 * extension starts at the first '.' past the first byte) with K from a
 * counter shared by the whole invoice, so that no name is tried twice and
 * the work stays linear however the titles collide.
 */
static int claim_name(wh_arena *a, nameset *set, const char *want, unsigned long *k,
                      char **out, wh_err *err)
{
    const char **slot = nameset_slot(set, want);
    if (!*slot) {
        if (!(*out = wh_arena_strdup(a, want)))
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        *slot = *out;
        return 0;
    }
    const char *dot = want[0] ? strchr(want + 1, '.') : NULL;
    int base = (int)(dot ? (size_t)(dot - want) : strlen(want));
    const char *ext = dot ? dot : "";
    char buf[TITLE_MAX + 32];
    for (;;) {
        snprintf(buf, sizeof buf, "%.*s-%lu%s", base, want, (*k)++, ext);
        slot = nameset_slot(set, buf);
        if (!*slot)
            break;
    }
    if (!(*out = wh_arena_strdup(a, buf)))
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    *slot = *out;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Annotations                                                         */
/* ------------------------------------------------------------------ */

typedef struct ranked {
    const char *key, *value;
    size_t rank;               /* later maps override earlier ones */
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->rank < y->rank ? 1 : x->rank > y->rank ? -1 : 0;
}

/* Whether the invoice codecs can carry `key` (see check_key in
 * invoice_json.c and the TOML writer): no control character, no quote. */
static bool key_carriable(const char *key)
{
    for (const unsigned char *c = (const unsigned char *)key; *c; c++)
        if (*c < 0x20 || *c == 0x7F || *c == '\'')
            return false;
    return true;
}

/*
 * Merges `n` maps into `out`, sorted by key as the invoice parsers keep
 * them, a later map winning on a shared key (entries in one map of
 * `maps[i]` share rank i; every map has unique keys).  `where` names the
 * map in messages.  Keys and values are copied into `a`.
 */
static int merge_maps(wh_arena *a, const wh_kvmap *const *maps, size_t n, const char *where,
                      wh_kvmap *out, wh_err *err)
{
    const wh_invoice_limits *lim = &wh_invoice_default_limits;
    char q[WH_QUOTE_MAX];
    size_t total = 0, k = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        total += maps[i] ? maps[i]->n : 0;
    ranked *r = malloc((total ? total : 1) * sizeof *r);
    if (!r)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; maps[i] && j < maps[i]->n; j++)
            r[k++] = (ranked){maps[i]->items[j].key, maps[i]->items[j].value, i};
    qsort(r, total, sizeof *r, ranked_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < total; i++)
        if (i == 0 || strcmp(r[i].key, r[i - 1].key) != 0)
            r[kept++] = r[i];
    if (kept > lim->max_list) {
        rc = wh_err_set(err, WH_EINVAL,
                        "%s: %zu annotations are more than an invoice holds in one map (%zu)",
                        where, kept, lim->max_list);
        goto done;
    }
    out->items = kept ? wh_arena_alloc(a, kept * sizeof *out->items) : NULL;
    if (kept && !out->items) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < kept; i++) {
        if (!key_carriable(r[i].key)) {
            rc = wh_err_set(err, WH_EINVAL,
                            "%s: the key %s holds a control character or a single quote, "
                            "which an invoice cannot carry", where, wh_str_quote(r[i].key, q));
            goto done;
        }
        if (strlen(r[i].key) > lim->max_string || strlen(r[i].value) > lim->max_string) {
            rc = wh_err_set(err, WH_EINVAL,
                            "%s[%s]: keys and values of an invoice are at most %zu bytes",
                            where, wh_str_quote(r[i].key, q), lim->max_string);
            goto done;
        }
        out->items[i].key = wh_arena_strdup(a, r[i].key);
        out->items[i].value = wh_arena_strdup(a, r[i].value);
        if (!out->items[i].key || !out->items[i].value) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            goto done;
        }
    }
    out->n = kept;
done:
    free(r);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Manifest -> invoice                                                 */
/* ------------------------------------------------------------------ */

typedef struct blob_ref {
    const char *sha256;
    size_t pos;                /* 0 = the config, 1 + i = layers[i] */
} blob_ref;

static int blob_cmp(const void *a, const void *b)
{
    const blob_ref *x = a, *y = b;
    int c = strcmp(x->sha256, y->sha256);
    return c ? c : x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Marks in `dup` every position whose digest an earlier position already
 * listed (a blob is one parcel, at its first occurrence), and reports
 * whether some layer repeats the config's digest.
 */
static int find_duplicates(const wh_oci_manifest *m, bool *dup, bool *config_is_layer,
                           wh_err *err)
{
    size_t n = 1 + m->n_layers;
    blob_ref *b = malloc(n * sizeof *b);
    if (!b)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    b[0] = (blob_ref){m->config.sha256, 0};
    for (size_t i = 0; i < m->n_layers; i++)
        b[1 + i] = (blob_ref){m->layers[i].sha256, 1 + i};
    qsort(b, n, sizeof *b, blob_cmp);
    *config_is_layer = false;
    size_t run = 0;            /* where the run of equal digests started */
    for (size_t i = 1; i < n; i++) {
        if (strcmp(b[i].sha256, b[run].sha256) != 0) {
            run = i;
            continue;
        }
        /* Within a run, sorted by position: b[run] is the first listed. */
        dup[b[i].pos] = true;
        if (b[run].pos == 0)
            *config_is_layer = true;
    }
    free(b);
    return 0;
}

static int set_label(wh_invoice *inv, const wh_oci_desc *d, const char *role,
                     const char *where, wh_label *l, wh_err *err)
{
    wh_kv role_kv = {WH_OCI_ANN_ROLE, (char *)role};
    const wh_kvmap role_map = {&role_kv, 1};
    const wh_kvmap *maps[] = {&d->annotations, &role_map};
    l->sha256 = wh_arena_strdup(&inv->arena, d->sha256);
    l->media_type = wh_arena_strdup(&inv->arena, d->media_type);
    if (!l->sha256 || !l->media_type)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    l->size = d->size;
    l->has_annotations = true;
    return merge_maps(&inv->arena, maps, 2, where, &l->annotations, err);
}

static int add_config_group(wh_invoice *inv, wh_parcel *p, wh_err *err)
{
    char **member = wh_arena_alloc(&inv->arena, sizeof *member);
    inv->groups = wh_arena_alloc(&inv->arena, sizeof *inv->groups);
    if (!member || !inv->groups)
        return wh_err_set(err, WH_ENOMEM, "out of memory");
    *member = (char *)WH_OCI_CONFIG_GROUP;
    p->has_conditions = true;
    p->has_member_of = true;
    p->member_of = (wh_strlist){member, 1};
    inv->groups[0] = (wh_group){.name = (char *)WH_OCI_CONFIG_GROUP, .required = false,
                                .has_required = true};
    inv->n_groups = 1;
    return 0;
}

/* The layers as parcels 1.., named (titles first come first served), then
 * the config as parcel 0. */
static int add_parcels(wh_invoice *inv, const wh_oci_manifest *m, const bool *dup,
                       bool config_is_layer, wh_err *err)
{
    nameset set = {0};
    unsigned long k = 2;
    char where[64], want[TITLE_MAX + 32];
    int rc = nameset_init(&set, 1 + m->n_layers, err);
    if (rc)
        return rc;
    size_t np = 1;
    for (size_t i = 0; i < m->n_layers; i++) {
        if (dup[1 + i])
            continue;
        const wh_oci_desc *d = &m->layers[i];
        wh_label *l = &inv->parcels[np++].label;
        snprintf(where, sizeof where, "layers[%zu].annotations", i);
        if ((rc = set_label(inv, d, "layer", where, l, err)))
            goto done;
        const char *title = wh_kvmap_get(&d->annotations, WH_OCI_ANN_TITLE);
        if (title && title_usable(title))
            snprintf(want, sizeof want, "%s", title);
        else
            snprintf(want, sizeof want, "layer-%zu%s", i, ext_for(d->media_type));
        if ((rc = claim_name(&inv->arena, &set, want, &k, &l->name, err)))
            goto done;
    }
    wh_parcel *cp = &inv->parcels[0];
    if ((rc = set_label(inv, &m->config, "config", "config.annotations", &cp->label, err)) ||
        (rc = claim_name(&inv->arena, &set, CONFIG_NAME_BASE CONFIG_NAME_EXT, &k,
                         &cp->label.name, err)))
        goto done;
    /* A config that is also a layer is needed by every pull, so it stays
     * out of the optional group. */
    if (!config_is_layer && (rc = add_config_group(inv, cp, err)))
        goto done;
    inv->n_parcels = np;
done:
    free(set.slots);
    return rc;
}

static int set_invoice_annotations(wh_invoice *inv, const wh_oci_manifest *m,
                                   const char *manifest_sha256, const wh_kvmap *extra,
                                   wh_err *err)
{
    char digest[sizeof SHA256_PREFIX + 64];
    snprintf(digest, sizeof digest, SHA256_PREFIX "%s", manifest_sha256);
    /* What Wharf itself records about the manifest always wins. */
    wh_kv own[] = {{(char *)WH_OCI_ANN_MANIFEST, digest},
                   {(char *)WH_OCI_ANN_MEDIA_TYPE, m->media_type}};
    const wh_kvmap own_map = {own, 2};
    /* The manifest's own wharf.* keys go: only Wharf writes those, and one
     * pushed as wharf.mirror.source would pass the push off as a mirror of
     * whatever it names (the mirror gives it in `extra`). */
    wh_kvmap theirs = {NULL, 0};
    if (m->annotations.n) {
        theirs.items = wh_arena_alloc(&inv->arena, m->annotations.n * sizeof *theirs.items);
        if (!theirs.items)
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        for (size_t i = 0; i < m->annotations.n; i++)
            if (strncmp(m->annotations.items[i].key, "wharf.", 6) != 0)
                theirs.items[theirs.n++] = m->annotations.items[i];
    }
    const wh_kvmap *maps[] = {&theirs, extra, &own_map};
    inv->has_annotations = true;
    return merge_maps(&inv->arena, maps, 3, "annotations", &inv->annotations, err);
}

static int set_bindle_fields(wh_invoice *inv, const wh_oci_manifest *m, wh_err *err)
{
    const size_t max = wh_invoice_default_limits.max_string;
    const char *authors = wh_kvmap_get(&m->annotations, "org.opencontainers.image.authors");
    const char *desc = wh_kvmap_get(&m->annotations, "org.opencontainers.image.description");
    if (authors) {
        if (strlen(authors) > max)
            return wh_err_set(err, WH_EINVAL,
                              "annotations[\"org.opencontainers.image.authors\"]: at most "
                              "%zu bytes fit an invoice", max);
        char **items = wh_arena_alloc(&inv->arena, sizeof *items);
        if (!items || !(items[0] = wh_arena_strdup(&inv->arena, authors)))
            return wh_err_set(err, WH_ENOMEM, "out of memory");
        inv->bindle.authors = (wh_strlist){items, 1};
        inv->bindle.has_authors = true;
    }
    if (desc) {
        if (strlen(desc) > max)
            return wh_err_set(err, WH_EINVAL,
                              "annotations[\"org.opencontainers.image.description\"]: at "
                              "most %zu bytes fit an invoice", max);
        if (!(inv->bindle.description = wh_arena_strdup(&inv->arena, desc)))
            return wh_err_set(err, WH_ENOMEM, "out of memory");
    }
    return 0;
}

/* The canonical TOML must parse back under the default limits once
 * signed, or clients would refuse the bindle later. */
static int check_emitted_size(const wh_invoice *inv, wh_err *err)
{
    char *toml = NULL;
    size_t len = 0;
    int rc = wh_invoice_emit_toml(inv, &toml, &len, err);
    free(toml);
    if (rc)
        return rc;
    size_t max = wh_invoice_default_limits.max_bytes - SIGNATURE_RESERVE;
    if (len > max)
        return wh_err_set(err, WH_EINVAL,
                          "the invoice made from this manifest would be %zu bytes; at most "
                          "%zu are allowed", len, max);
    return 0;
}

int wh_oci_manifest_to_invoice(const wh_oci_manifest *m, const char *manifest_sha256,
                               const char *name, const char *version,
                               const wh_kvmap *extra, wh_invoice **out, wh_err *err)
{
    *out = NULL;
    if (!m || !name || !version)
        return wh_err_set(err, WH_EINVAL, "no manifest, name or version given");
    if (m->is_index)
        return wh_err_set(err, WH_EINVAL,
                          "an image index references manifests, not blobs; it stays OCI-only");
    if (!m->has_config)
        return wh_err_set(err, WH_EINVAL, "the manifest has no config");
    if (!manifest_sha256 || !wh_sha256_hex_valid(manifest_sha256))
        return wh_err_set(err, WH_EINVAL, "the manifest digest is not 64 lowercase hex digits");
    if (1 + m->n_layers > wh_invoice_default_limits.max_parcels)
        return wh_err_set(err, WH_EINVAL,
                          "layers: %zu layers and a config are more than the %zu parcels of "
                          "an invoice", m->n_layers, wh_invoice_default_limits.max_parcels);
    wh_invoice *inv = wh_invoice_new();
    bool *dup = calloc(1 + m->n_layers, sizeof *dup);
    bool config_is_layer = false;
    int rc;
    if (!inv || !dup) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    inv->bindle_version = wh_arena_strdup(&inv->arena, "1.0.0");
    inv->bindle.name = wh_arena_strdup(&inv->arena, name);
    inv->bindle.version = wh_arena_strdup(&inv->arena, version);
    inv->parcels = wh_arena_alloc(&inv->arena, (1 + m->n_layers) * sizeof *inv->parcels);
    if (!inv->bindle_version || !inv->bindle.name || !inv->bindle.version || !inv->parcels) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = find_duplicates(m, dup, &config_is_layer, err)) ||
        (rc = add_parcels(inv, m, dup, config_is_layer, err)) ||
        (rc = set_invoice_annotations(inv, m, manifest_sha256, extra, err)) ||
        (rc = set_bindle_fields(inv, m, err)) ||
        (rc = wh_invoice_validate(inv, err)) ||
        (rc = check_emitted_size(inv, err)))
        goto done;
    *out = inv;
    inv = NULL;
done:
    free(dup);
    wh_invoice_free(inv);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Invoice -> view                                                     */
/* ------------------------------------------------------------------ */

int wh_oci_sha256_hex(const void *buf, size_t len, char hex[65], wh_err *err)
{
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return wh_err_set(err, WH_EIO, "sha256 failed");
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* {"mediaType","digest","size"[,"annotations":{title}]}, in that order. */
static json_t *descriptor_json(const char *media_type, const char *sha256, uint64_t size,
                               const char *title)
{
    char digest[sizeof SHA256_PREFIX + 64];
    snprintf(digest, sizeof digest, SHA256_PREFIX "%s", sha256);
    json_t *d = json_object();
    if (!d || json_object_set_new(d, "mediaType", json_string(media_type)) ||
        json_object_set_new(d, "digest", json_string(digest)) ||
        json_object_set_new(d, "size", json_integer((json_int_t)size)))
        goto fail;
    if (title) {
        json_t *a = json_object();
        if (!a || json_object_set_new(d, "annotations", a) ||
            json_object_set_new(a, WH_OCI_ANN_TITLE, json_string(title)))
            goto fail;
    }
    return d;
fail:
    json_decref(d);
    return NULL;
}

/* json_dumps into a buffer of our own (the view's buffers are free()d by
 * the caller whatever allocator jansson was given). */
static int dump_json(const json_t *j, char **out, size_t *len, wh_err *err)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (!s)
        return wh_err_set(err, WH_ENOMEM, "cannot write the JSON document");
    size_t n = strlen(s);
    *out = malloc(n + 1);
    if (*out) {
        memcpy(*out, s, n + 1);
        *len = n;
    }
    free(s);
    return *out ? 0 : wh_err_set(err, WH_ENOMEM, "out of memory");
}

/* The wasm layout's config:
 * {"architecture":"wasm","os":"wasip1"|"wasip2","layerDigests":["sha256:..."]} */
static json_t *wasm_config_json(const wh_label *l, bool component)
{
    char digest[sizeof SHA256_PREFIX + 64];
    snprintf(digest, sizeof digest, SHA256_PREFIX "%s", l->sha256);
    json_t *c = json_object(), *ds = json_array();
    if (!c || !ds || json_object_set_new(c, "architecture", json_string("wasm")) ||
        json_object_set_new(c, "os", json_string(component ? "wasip2" : "wasip1")) ||
        json_array_append_new(ds, json_string(digest)) ||
        json_object_set(c, "layerDigests", ds)) {
        json_decref(c);
        c = NULL;
    }
    json_decref(ds);
    return c;
}

/*
 * The manifest, keys in this order (the bytes are what is hashed, so the
 * order is part of the format):
 *   schemaVersion, mediaType, [artifactType,] config, layers, annotations
 * descriptors as descriptor_json, and the annotations
 *   org.opencontainers.image.version, wharf.bindle
 * artifactType and the layers' title annotations only in the artifact
 * layout.  A parcel whose media type is not one an OCI descriptor may hold
 * is listed as application/octet-stream.
 */
static json_t *view_manifest_json(const wh_invoice *inv, bool wasm, const char *config_sha,
                                  size_t config_len)
{
    char id[2 * 256 + 2];
    snprintf(id, sizeof id, "%s/%s", inv->bindle.name, inv->bindle.version);
    json_t *m = json_object(), *layers = json_array(), *ann = json_object();
    bool ok = m && layers && ann &&
              !json_object_set_new(m, "schemaVersion", json_integer(2)) &&
              !json_object_set_new(m, "mediaType", json_string(WH_OCI_MT_MANIFEST)) &&
              (wasm || !json_object_set_new(m, "artifactType",
                                            json_string(WH_OCI_ARTIFACT_BINDLE))) &&
              !json_object_set_new(m, "config",
                                   descriptor_json(wasm ? WH_OCI_MT_WASM_CONFIG
                                                        : WH_OCI_MT_INVOICE,
                                                   config_sha, config_len, NULL));
    for (size_t i = 0; ok && i < inv->n_parcels; i++) {
        const wh_label *l = &inv->parcels[i].label;
        /* An invoice may say "text/plain; charset=utf-8", which no OCI
         * descriptor may; the invoice in the config keeps the exact type. */
        const char *mt = wh_oci_media_type_valid(l->media_type) ? l->media_type
                                                                  : "application/octet-stream";
        ok = !json_array_append_new(layers, descriptor_json(mt, l->sha256, l->size,
                                                            wasm ? NULL : l->name));
    }
    ok = ok && !json_object_set(m, "layers", layers) &&
         !json_object_set_new(ann, "org.opencontainers.image.version",
                              json_string(inv->bindle.version)) &&
         !json_object_set_new(ann, "wharf.bindle", json_string(id)) &&
         !json_object_set(m, "annotations", ann);
    json_decref(layers);
    json_decref(ann);
    if (!ok) {
        json_decref(m);
        return NULL;
    }
    return m;
}

int wh_oci_view_from_invoice(const wh_invoice *inv, const char *invoice_toml,
                             size_t invoice_len, bool component, wh_oci_view *out,
                             wh_err *err)
{
    char q[WH_QUOTE_MAX];
    json_t *cfg = NULL, *man = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    if (!inv)
        return wh_err_set(err, WH_EINVAL, "no invoice given");
    if (inv->yanked)
        return wh_err_set(err, WH_EINVAL, "bindle %s/%s is yanked; it has no OCI view",
                          inv->bindle.name ? inv->bindle.name : "?",
                          inv->bindle.version ? inv->bindle.version : "?");
    if ((rc = wh_invoice_validate(inv, err)))
        return rc;
    for (size_t i = 0; i < inv->n_parcels; i++)
        if (inv->parcels[i].label.size > ((uint64_t)1 << 53))
            return wh_err_set(err, WH_EINVAL,
                              "parcel[%zu] (name %s) is over 2^53 bytes, more than an OCI "
                              "descriptor can say", i,
                              wh_str_quote(inv->parcels[i].label.name, q));
    bool wasm = inv->n_parcels == 1 &&
                strcmp(inv->parcels[0].label.media_type, WH_OCI_MT_WASM_LAYER) == 0;
    if (wasm) {
        cfg = wasm_config_json(&inv->parcels[0].label, component);
        if ((rc = dump_json(cfg, &out->config, &out->config_len, err)))
            goto done;
    } else {
        if (!invoice_toml) {
            rc = wh_err_set(err, WH_EINVAL, "the invoice's TOML is needed for its OCI view");
            goto done;
        }
        if (!(out->config = malloc(invoice_len ? invoice_len : 1))) {
            rc = wh_err_set(err, WH_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(out->config, invoice_toml, invoice_len);
        out->config_len = invoice_len;
    }
    if ((rc = wh_oci_sha256_hex(out->config, out->config_len, out->config_sha256, err)))
        goto done;
    man = view_manifest_json(inv, wasm, out->config_sha256, out->config_len);
    if ((rc = dump_json(man, &out->manifest, &out->manifest_len, err)) ||
        (rc = wh_oci_sha256_hex(out->manifest, out->manifest_len, out->manifest_sha256, err)))
        goto done;
done:
    json_decref(cfg);
    json_decref(man);
    if (rc)
        wh_oci_view_clear(out);
    return rc;
}

void wh_oci_view_clear(wh_oci_view *v)
{
    if (!v)
        return;
    free(v->manifest);
    free(v->config);
    memset(v, 0, sizeof *v);
}
