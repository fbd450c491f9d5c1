/*
 * oci.c - the names of the OCI distribution API (repositories, tags,
 * digests), the bindle version <-> tag mapping, and the one parser of
 * untrusted OCI documents: image manifests and indexes (see oci.h).  The
 * conversions between manifests and invoices are in oci_convert.c.
 *
 * The grammars are the distribution spec's regular expressions, written as
 * small scanners so that there is no regex engine (and no regex dialect) to
 * trust.  The parser maps a jansson tree onto wh_oci_manifest, copying every
 * string it keeps into the manifest's arena, and names the field of every
 * refusal by its path ("layers[3].digest: ...").
 */
#include "oci.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "invoice_json.h"
#include "oci_internal.h"
#include "semver.h"
#include "utf8.h"

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 * Each component is runs of [a-z0-9] with one separator between runs; a
 * separator is never first, last, or next to '/'.
 */
bool wh_oci_repo_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = strnlen(name, WH_OCI_MAX_REPO + 1);
    if (n == 0 || n > WH_OCI_MAX_REPO)
        return false;
    const char *p = name;
    for (;;) {
        if (!lower_alnum(*p))
            return false;
        while (lower_alnum(*p))
            p++;
        if (*p == '.') {
            p++;
        } else if (*p == '_') {
            p += p[1] == '_' ? 2 : 1;
        } else if (*p == '-') {
            while (*p == '-')
                p++;
        } else if (*p == '/') {
            p++;
        } else {
            return *p == '\0';
        }
        /* After any separator or '/', a run must follow: the loop's top. */
    }
}

/* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
bool wh_oci_tag_valid(const char *tag)
{
    if (!tag)
        return false;
    size_t n = strnlen(tag, WH_OCI_MAX_TAG + 1);
    if (n == 0 || n > WH_OCI_MAX_TAG)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tag[i];
        bool word = (c < 0x80 && isalnum(c)) || c == '_';
        if (!word && (i == 0 || (c != '.' && c != '-')))
            return false;
    }
    return true;
}

/*
 * The descriptor grammar of the image spec:
 *   digest    ::= algorithm ":" encoded
 *   algorithm ::= [a-z0-9]+ ([+._-] [a-z0-9]+)*
 *   encoded   ::= [a-zA-Z0-9=_-]+
 * A well-formed digest of another algorithm is "unsupported" rather than
 * malformed, so that a client learns to retry with sha256.
 */
int wh_oci_digest_parse(const char *digest, char sha256[65], wh_err *err)
{
    char q[WH_QUOTE_MAX];
    sha256[0] = '\0';
    if (!digest)
        return wh_err_set(err, WH_EINVAL, "no digest given");
    const char *p = digest;
    for (;;) {
        if (!lower_alnum(*p))
            goto malformed;
        while (lower_alnum(*p))
            p++;
        if (*p == ':')
            break;
        if (*p != '+' && *p != '.' && *p != '_' && *p != '-')
            goto malformed;
        p++;
    }
    size_t alg_len = (size_t)(p - digest);
    const char *enc = ++p;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '=' && *p != '_' && *p != '-')
            goto malformed;
    size_t enc_len = (size_t)(p - enc);
    if (enc_len == 0)
        goto malformed;
    if (alg_len != 6 || memcmp(digest, "sha256", 6) != 0)
        return wh_err_set(err, WH_EINVAL,
                          "unsupported digest algorithm \"%.*s\": only sha256 is "
                          "supported", (int)(alg_len > 40 ? 40 : alg_len), digest);
    if (enc_len != 64)
        return wh_err_set(err, WH_EINVAL,
                          "malformed digest %s: a sha256 digest has 64 lowercase hex "
                          "digits, not %zu characters", wh_str_quote(digest, q), enc_len);
    for (size_t i = 0; i < 64; i++)
        if (!((enc[i] >= '0' && enc[i] <= '9') || (enc[i] >= 'a' && enc[i] <= 'f')))
            return wh_err_set(err, WH_EINVAL,
                              "malformed digest %s: a sha256 digest has lowercase hex "
                              "digits only", wh_str_quote(digest, q));
    memcpy(sha256, enc, 64);
    sha256[64] = '\0';
    return 0;
malformed:
    return wh_err_set(err, WH_EINVAL,
                      "malformed digest %s: expected ALGORITHM:ENCODED, such as "
                      "sha256:<64 lowercase hex digits>", wh_str_quote(digest, q));
}

/* ------------------------------------------------------------------ */
/* Versions and tags                                                   */
/* ------------------------------------------------------------------ */

int wh_oci_tag_from_version(const char *version, char *tag, size_t cap, wh_err *err)
{
    char q[WH_QUOTE_MAX];
    wh_semver sv;
    wh_err serr = {0};
    if (cap)
        tag[0] = '\0';
    if (!version)
        return wh_err_set(err, WH_EINVAL, "no version given");
    if (wh_semver_parse(version, &sv, &serr))
        return wh_err_set(err, WH_EINVAL, "version %s is not strict SemVer 2.0: %s",
                          wh_str_quote(version, q), serr.msg);
    size_t n = strlen(version);
    if (n > WH_OCI_MAX_TAG)
        return wh_err_set(err, WH_EINVAL,
                          "version %s is %zu bytes long; an OCI tag holds at most %d",
                          wh_str_quote(version, q), n, WH_OCI_MAX_TAG);
    if (n >= cap)
        return wh_err_set(err, WH_EINVAL, "the tag of version %s needs %zu bytes, not %zu",
                          wh_str_quote(version, q), n + 1, cap);
    for (size_t i = 0; i <= n; i++)
        tag[i] = version[i] == '+' ? '_' : version[i];
    return 0;
}

bool wh_oci_version_from_tag(const char *tag, char *version, size_t cap)
{
    if (cap)
        version[0] = '\0';
    if (!wh_oci_tag_valid(tag))
        return false;
    size_t n = strlen(tag);
    char buf[WH_OCI_MAX_TAG + 1];
    for (size_t i = 0; i <= n; i++)
        buf[i] = tag[i] == '_' ? '+' : tag[i];
    wh_semver sv;
    if (wh_semver_parse(buf, &sv, NULL) || n >= cap)
        return false;
    memcpy(version, buf, n + 1);
    return true;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* 2^53: the largest size every JSON implementation reads exactly. */
#define SIZE_MAX_EXACT ((json_int_t)1 << 53)

/*
 * jansson spends some 200 bytes on every object or array it builds, so a
 * 4 MiB document of nothing but "{}," would cost over 300 MB.  Counting
 * containers before parsing bounds that; a real manifest needs a few per
 * descriptor (itself, annotations, platform, urls).
 */
#define MAX_CONTAINERS (8 * WH_OCI_MAX_DESCRIPTORS + 64)

typedef struct pctx {
    wh_oci_manifest *m;
    wh_err *err;
    char path[192];
    size_t plen;
} pctx;

/* Appends a component to the path; returns the old length for pop. */
__attribute__((format(printf, 2, 3)))
static size_t push(pctx *p, const char *fmt, ...)
{
    size_t old = p->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p->path + old, sizeof p->path - old, fmt, ap);
    va_end(ap);
    if (n > 0)
        p->plen = old + (size_t)n < sizeof p->path ? old + (size_t)n : sizeof p->path - 1;
    /* Components are ASCII, or keys quoted by wh_str_quote and cut here:
     * keep the message UTF-8 should a cut land inside a character. */
    wh_utf8_sanitize(p->path + old);
    return old;
}

static void pop(pctx *p, size_t old)
{
    p->plen = old;
    p->path[old] = '\0';
}

__attribute__((format(printf, 2, 3)))
static int fail(pctx *p, const char *fmt, ...)
{
    char what[WH_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return wh_err_set(p->err, WH_EINVAL, "%s: %s", p->plen ? p->path : "manifest", what);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

static int oom(pctx *p)
{
    return wh_err_set(p->err, WH_ENOMEM, "out of memory");
}

/* Copies the string value `v` into the arena, at the current path. */
static int take_string(pctx *p, const json_t *v, char **out)
{
    if (!json_is_string(v))
        return fail(p, "expected a string, got %s", type_name(v));
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, '\0', n))
        return fail(p, "the string holds a NUL character");
    if (!(*out = wh_arena_strndup(&p->m->arena, s, n)))
        return oom(p);
    return 0;
}

static bool restricted_name(const char *s, size_t n)
{
    if (n == 0 || n > 127 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c < 0x80 && isalnum(c)) && !strchr("!#$&^_.+-", c))
            return false;
    }
    return true;
}

bool wh_oci_media_type_valid(const char *mt)
{
    const char *slash = strchr(mt, '/');
    return slash && restricted_name(mt, (size_t)(slash - mt)) &&
           restricted_name(slash + 1, strlen(slash + 1));
}

/* A media type member `key` of `obj`: required or optional. */
static int take_media_type(pctx *p, const json_t *obj, const char *key, bool required,
                           char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? fail(p, "missing required field \"%s\"", key) : 0;
    size_t old = push(p, p->plen ? ".%s" : "%s", key);
    int rc = take_string(p, v, out);
    if (!rc && !wh_oci_media_type_valid(*out)) {
        char q[WH_QUOTE_MAX];
        rc = fail(p, "%s is not a media type (RFC 6838 TYPE/SUBTYPE, no parameters)",
                  wh_str_quote(*out, q));
    }
    pop(p, old);
    return rc;
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const wh_kv *)a)->key, ((const wh_kv *)b)->key);
}

/* The optional "annotations" of `obj`: string -> string, sorted by key. */
static int take_annotations(pctx *p, const json_t *obj, wh_kvmap *out)
{
    json_t *v = json_object_get(obj, "annotations");
    if (!v)
        return 0;
    size_t old = push(p, p->plen ? ".annotations" : "annotations");
    int rc = 0;
    if (!json_is_object(v)) {
        rc = fail(p, "expected an object of strings, got %s", type_name(v));
        goto done;
    }
    size_t n = json_object_size(v);
    if (n > WH_OCI_MAX_ANNOTATIONS) {
        rc = fail(p, "%zu entries are over the limit of %d", n, WH_OCI_MAX_ANNOTATIONS);
        goto done;
    }
    if (n && !(out->items = wh_arena_alloc(&p->m->arena, n * sizeof *out->items))) {
        rc = oom(p);
        goto done;
    }
    const char *key;
    json_t *val;
    size_t i = 0;
    json_object_foreach(v, key, val) {
        char q[WH_QUOTE_MAX];
        size_t o2 = push(p, "[%s]", wh_str_quote(key, q));
        rc = take_string(p, val, &out->items[i].value);
        pop(p, o2);
        if (rc)
            goto done;
        if (!(out->items[i].key = wh_arena_strdup(&p->m->arena, key))) {
            rc = oom(p);
            goto done;
        }
        i++;
    }
    if (i > 1)
        qsort(out->items, i, sizeof *out->items, kv_cmp);
    out->n = i;
done:
    pop(p, old);
    return rc;
}

static int take_platform(pctx *p, const json_t *v, wh_oci_desc *d)
{
    size_t old = push(p, ".platform");
    int rc = 0;
    json_t *arch, *os;
    if (!json_is_object(v)) {
        rc = fail(p, "expected an object, got %s", type_name(v));
    } else if (!(arch = json_object_get(v, "architecture"))) {
        rc = fail(p, "missing required field \"architecture\"");
    } else if (!(os = json_object_get(v, "os"))) {
        rc = fail(p, "missing required field \"os\"");
    } else {
        size_t o2 = push(p, ".architecture");
        rc = take_string(p, arch, &d->platform_arch);
        pop(p, o2);
        if (!rc) {
            o2 = push(p, ".os");
            rc = take_string(p, os, &d->platform_os);
            pop(p, o2);
        }
    }
    pop(p, old);
    return rc;
}

/* A descriptor at the current path; `entry` for the manifests of an index,
 * which may carry a platform. */
static int take_desc(pctx *p, const json_t *v, bool entry, wh_oci_desc *d)
{
    int rc;
    if (!json_is_object(v))
        return fail(p, "expected a descriptor object, got %s", type_name(v));
    if ((rc = take_media_type(p, v, "mediaType", true, &d->media_type)))
        return rc;

    json_t *dg = json_object_get(v, "digest");
    if (!dg)
        return fail(p, "missing required field \"digest\"");
    size_t old = push(p, ".digest");
    if (!json_is_string(dg)) {
        rc = fail(p, "expected a string, got %s", type_name(dg));
    } else {
        wh_err derr = {0};
        if (wh_oci_digest_parse(json_string_value(dg), d->sha256, &derr))
            rc = fail(p, "%s", derr.msg);
    }
    pop(p, old);
    if (rc)
        return rc;

    json_t *sz = json_object_get(v, "size");
    if (!sz)
        return fail(p, "missing required field \"size\"");
    old = push(p, ".size");
    if (!json_is_integer(sz))
        rc = fail(p, "expected an integer, got %s", type_name(sz));
    else if (json_integer_value(sz) < 0 || json_integer_value(sz) > SIZE_MAX_EXACT)
        rc = fail(p, "%lld is outside 0..2^53", (long long)json_integer_value(sz));
    else
        d->size = (uint64_t)json_integer_value(sz);
    pop(p, old);
    if (rc)
        return rc;

    if ((rc = take_media_type(p, v, "artifactType", false, &d->artifact_type)) ||
        (rc = take_annotations(p, v, &d->annotations)))
        return rc;
    json_t *pf = entry ? json_object_get(v, "platform") : NULL;
    return pf ? take_platform(p, pf, d) : 0;
}

/* A required array of descriptors, member `key` of the root. */
static int take_desc_array(pctx *p, const json_t *root, const char *key, bool entries,
                           wh_oci_desc **out, size_t *n_out)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return fail(p, "missing required field \"%s\"", key);
    size_t old = push(p, "%s", key);
    int rc = 0;
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    if (!json_is_array(v)) {
        rc = fail(p, "expected an array of descriptors, got %s", type_name(v));
        goto done;
    }
    if (n > WH_OCI_MAX_DESCRIPTORS) {
        rc = fail(p, "%zu descriptors are over the limit of %d", n, WH_OCI_MAX_DESCRIPTORS);
        goto done;
    }
    if (n && !(*out = wh_arena_alloc(&p->m->arena, n * sizeof **out))) {
        rc = oom(p);
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        size_t o2 = push(p, "[%zu]", i);
        rc = take_desc(p, json_array_get(v, i), entries, &(*out)[i]);
        pop(p, o2);
    }
    if (!rc)
        *n_out = n;
done:
    pop(p, old);
    return rc;
}

/* An optional single descriptor, member `key` of the root. */
static int take_desc_member(pctx *p, const json_t *root, const char *key, bool required,
                            bool *has, wh_oci_desc *d)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return required ? fail(p, "missing required field \"%s\"", key) : 0;
    size_t old = push(p, "%s", key);
    int rc = take_desc(p, v, false, d);
    pop(p, old);
    *has = rc == 0;
    return rc;
}

/* Counts '{' and '[' outside strings: see MAX_CONTAINERS. */
static bool too_many_containers(const char *buf, size_t len)
{
    size_t count = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if ((c == '{' || c == '[') && ++count > MAX_CONTAINERS) {
            return true;
        }
    }
    return false;
}

/* The media type of a Content-Type header: before any parameter, without
 * surrounding blanks; NULL when there is none. */
static const char *content_media_type(const char *ct, char *buf, size_t cap)
{
    if (!ct)
        return NULL;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == 0)
        return NULL;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, ct, n);
    buf[n] = '\0';
    return buf;
}

typedef enum kind { KIND_MANIFEST, KIND_INDEX, KIND_SCHEMA1, KIND_UNKNOWN } kind;

static const struct {
    const char *media_type;
    kind kind;
} kinds[] = {
    {WH_OCI_MT_MANIFEST, KIND_MANIFEST},
    {WH_OCI_MT_DOCKER_MANIFEST, KIND_MANIFEST},
    {WH_OCI_MT_INDEX, KIND_INDEX},
    {WH_OCI_MT_DOCKER_LIST, KIND_INDEX},
    {"application/vnd.docker.distribution.manifest.v1+json", KIND_SCHEMA1},
    {"application/vnd.docker.distribution.manifest.v1+prettyjws", KIND_SCHEMA1},
};

/* The kind of a media type, and its spelling in the specs.  A document's
 * own mediaType must be spelt exactly so, as every registry compares it
 * bytewise; an HTTP header's media type is case-insensitive (RFC 9110). */
static kind kind_of(const char *mt, bool exact, const char **canonical)
{
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (exact ? !strcmp(mt, kinds[i].media_type) : !strcasecmp(mt, kinds[i].media_type)) {
            *canonical = kinds[i].media_type;
            return kinds[i].kind;
        }
    return KIND_UNKNOWN;
}

static const char *const schema1_msg =
    "Docker image manifest schema 1 is not supported; push it as schema 2 or "
    "as an OCI image manifest";

/*
 * Decides what the document is from its mediaType and the Content-Type it
 * came with, which must agree when both are given.  With neither, an OCI
 * document is told by its shape ("manifests" makes an index), as the image
 * spec's older manifests carried no mediaType.
 */
static int decide_kind(pctx *p, const json_t *root, const char *content_type, kind *k)
{
    char q[WH_QUOTE_MAX], q2[WH_QUOTE_MAX], ctbuf[256];
    const char *ct = content_media_type(content_type, ctbuf, sizeof ctbuf);
    json_t *v = json_object_get(root, "mediaType");
    char *doc = NULL;
    if (v) {
        size_t old = push(p, "mediaType");
        int rc = take_string(p, v, &doc);
        pop(p, old);
        if (rc)
            return rc;
    }
    if (doc && ct && strcasecmp(doc, ct) != 0)
        return wh_err_set(p->err, WH_EINVAL,
                          "mediaType %s does not match the Content-Type %s",
                          wh_str_quote(doc, q), wh_str_quote(ct, q2));
    const char *mt = doc ? doc : ct, *canonical = NULL;
    if (!mt) {
        *k = json_object_get(root, "manifests") ? KIND_INDEX : KIND_MANIFEST;
        canonical = mt = *k == KIND_INDEX ? WH_OCI_MT_INDEX : WH_OCI_MT_MANIFEST;
    } else {
        *k = kind_of(mt, doc != NULL, &canonical);
    }
    if (*k == KIND_SCHEMA1)
        return wh_err_set(p->err, WH_EINVAL, "%s", schema1_msg);
    if (*k == KIND_UNKNOWN)
        return wh_err_set(p->err, WH_EINVAL,
                          "%s %s is not a manifest or index media type Wharf accepts (OCI "
                          "image manifest or index, Docker schema 2 manifest or list)",
                          doc ? "mediaType" : "Content-Type", wh_str_quote(mt, q));
    if (!(p->m->media_type = wh_arena_strdup(&p->m->arena, canonical)))
        return oom(p);
    return 0;
}

static int parse_root(pctx *p, const json_t *root, const char *content_type)
{
    wh_oci_manifest *m = p->m;
    int rc;
    if (!json_is_object(root))
        return fail(p, "expected a JSON object, got %s", type_name(root));
    json_t *sv = json_object_get(root, "schemaVersion");
    if (!sv)
        return fail(p, "missing required field \"schemaVersion\"");
    if (!json_is_integer(sv))
        return wh_err_set(p->err, WH_EINVAL, "schemaVersion: expected the integer 2, got %s",
                          type_name(sv));
    if (json_integer_value(sv) == 1)
        return wh_err_set(p->err, WH_EINVAL, "schemaVersion 1: %s", schema1_msg);
    if (json_integer_value(sv) != 2)
        return wh_err_set(p->err, WH_EINVAL, "schemaVersion: expected 2, got %lld",
                          (long long)json_integer_value(sv));
    kind k = KIND_UNKNOWN;
    if ((rc = decide_kind(p, root, content_type, &k)))
        return rc;
    m->is_index = k == KIND_INDEX;
    if (m->is_index) {
        if ((rc = take_desc_array(p, root, "manifests", true, &m->manifests,
                                  &m->n_manifests)))
            return rc;
    } else {
        if ((rc = take_desc_member(p, root, "config", true, &m->has_config, &m->config)) ||
            (rc = take_desc_array(p, root, "layers", false, &m->layers, &m->n_layers)))
            return rc;
    }
    if ((rc = take_media_type(p, root, "artifactType", false, &m->artifact_type)) ||
        (rc = take_desc_member(p, root, "subject", false, &m->has_subject, &m->subject)) ||
        (rc = take_annotations(p, root, &m->annotations)))
        return rc;
    return 0;
}

int wh_oci_manifest_parse(const char *buf, size_t len, const char *content_type,
                          wh_oci_manifest **out, wh_err *err)
{
    *out = NULL;
    if (len > WH_OCI_MAX_MANIFEST)
        return wh_err_set(err, WH_EINVAL, "the manifest is %zu bytes; at most %u are accepted",
                          len, WH_OCI_MAX_MANIFEST);
    if (!buf && len)
        return wh_err_set(err, WH_EINVAL, "no manifest given");
    if (too_many_containers(buf, len))
        return wh_err_set(err, WH_EINVAL,
                          "the manifest holds more than %d JSON objects and arrays",
                          MAX_CONTAINERS);
    json_error_t jerr;
    json_t *root = json_loadb(len ? buf : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* jansson may quote the offending bytes; messages must stay UTF-8. */
        wh_utf8_sanitize(jerr.text);
        return wh_err_set(err, WH_EINVAL, "the manifest is not valid JSON: line %d, column %d: %s",
                          jerr.line, jerr.column, jerr.text);
    }
    wh_oci_manifest *m = calloc(1, sizeof *m);
    int rc;
    if (!m) {
        rc = wh_err_set(err, WH_ENOMEM, "out of memory");
        goto done;
    }
    wh_arena_init(&m->arena, 0);
    pctx p = {.m = m, .err = err};
    if ((rc = parse_root(&p, root, content_type)))
        goto done;
    *out = m;
    m = NULL;
done:
    wh_oci_manifest_free(m);
    json_decref(root);
    return rc;
}

void wh_oci_manifest_free(wh_oci_manifest *m)
{
    if (!m)
        return;
    wh_arena_free(&m->arena);
    free(m);
}
