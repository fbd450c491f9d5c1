/*
 * test_oci.c - schema/oci.h, the first half: the distribution spec's name,
 * tag and digest grammars, the version <-> tag mapping, and the manifest
 * parser with every refusal and limit.  The conversions are tested in
 * test_oci_convert.c.
 */
#include "oci_test.h"

/* ------------------------------------------------------------------ */
/* Names, tags, digests                                                */
/* ------------------------------------------------------------------ */

static void test_repo_names(void)
{
    static const char *const good[] = {
        "a", "0", "library/ubuntu", "a.b", "a_b", "a__b", "a-b", "a---b",
        "a/b/c/d", "x9.y_z__w-v", "registry.example/org/app", "1/2",
    };
    static const char *const bad[] = {
        "", "A", "Library/ubuntu", "a_", "_a", "-a", "a-", "a.", ".a", "a___b",
        "a..b", "a.-b", "a._b", "a_.b", "a-_b", "a//b", "/a", "a/", "a/-b",
        "a/.b", "a b", "a:b", "a@b", "caf\xc3\xa9", "a\tb",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!wh_oci_repo_valid(good[i])) {
            fprintf(stderr, "  refused \"%s\"\n", good[i]);
            CHECK(false);
        }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (wh_oci_repo_valid(bad[i])) {
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
            CHECK(false);
        }
    CHECK(!wh_oci_repo_valid(NULL));
    char name[WH_OCI_MAX_REPO + 2];
    memset(name, 'a', sizeof name);
    name[WH_OCI_MAX_REPO] = '\0';
    CHECK(wh_oci_repo_valid(name));
    name[WH_OCI_MAX_REPO] = 'a';
    name[WH_OCI_MAX_REPO + 1] = '\0';
    CHECK(!wh_oci_repo_valid(name));
}

static void test_tags(void)
{
    static const char *const good[] = {"latest", "_", "A", "9", "1.0.0", "v1.0.0-rc.1_b",
                                       "_-.", "a..b"};
    static const char *const bad[] = {"", ".a", "-a", "a+b", "a/b", "a:b", "a b",
                                      "caf\xc3\xa9", "a@sha256"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK(wh_oci_tag_valid(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(!wh_oci_tag_valid(bad[i]));
    CHECK(!wh_oci_tag_valid(NULL));
    char tag[WH_OCI_MAX_TAG + 2];
    memset(tag, 'x', sizeof tag);
    tag[WH_OCI_MAX_TAG] = '\0';
    CHECK(wh_oci_tag_valid(tag));
    tag[WH_OCI_MAX_TAG] = 'x';
    tag[WH_OCI_MAX_TAG + 1] = '\0';
    CHECK(!wh_oci_tag_valid(tag));
}

static void test_digests(void)
{
    char sha[65];
    wh_err err = {0};
    CHECK_INT(wh_oci_digest_parse("sha256:" D1, sha, &err), 0);
    CHECK_STR(sha, D1);

    static const struct {
        const char *digest, *msg;
    } bad[] = {
        {"sha512:" D1 D1, "unsupported digest algorithm \"sha512\""},
        {"blake3:abc", "unsupported digest algorithm \"blake3\""},
        {"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", "unsupported digest algorithm"},
        {"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", "unsupported"},
        {"sha256:" "A111111111111111111111111111111111111111111111111111111111111111",
         "lowercase hex"},
        {"sha256:" "g111111111111111111111111111111111111111111111111111111111111111",
         "lowercase hex"},
        {"sha256:" "111", "64 lowercase hex digits, not 3"},
        {"sha256:" D1 "1", "not 65"},
        {"sha256:", "malformed digest"},
        {"sha256", "malformed digest"},
        {":" D1, "malformed digest"},
        {"SHA256:" D1, "malformed digest"},
        {"sha256:" D1 "/", "malformed digest"},
        {"sha-:" D1, "malformed digest"},
        {"", "malformed digest"},
        {"sha256:\xff", "malformed digest"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(sha, 'z', sizeof sha);
        CHECK_INT(wh_oci_digest_parse(bad[i].digest, sha, &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, bad[i].msg);
        CHECK_INT(sha[0], '\0');
    }
    CHECK_INT(wh_oci_digest_parse(NULL, sha, &err), WH_EINVAL);
    CHECK_INT(wh_oci_digest_parse("sha256:" D1, sha, NULL), 0);
}

static void test_tag_mapping(void)
{
    static const char *const pairs[][2] = {
        {"1.0.0", "1.0.0"},
        {"1.0.0+b.1", "1.0.0_b.1"},
        {"1.2.3-rc.1+build.5", "1.2.3-rc.1_build.5"},
        {"0.0.1-alpha-1", "0.0.1-alpha-1"},
    };
    char tag[WH_OCI_MAX_TAG + 1], ver[256];
    wh_err err = {0};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        CHECK_INT(wh_oci_tag_from_version(pairs[i][0], tag, sizeof tag, &err), 0);
        CHECK_STR(tag, pairs[i][1]);
        CHECK(wh_oci_tag_valid(tag));
        CHECK(wh_oci_version_from_tag(pairs[i][1], ver, sizeof ver));
        CHECK_STR(ver, pairs[i][0]);
    }
    /* Not strict SemVer, or not a tag once mapped. */
    CHECK_INT(wh_oci_tag_from_version("1.0", tag, sizeof tag, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not strict SemVer");
    CHECK_INT(wh_oci_tag_from_version("v1.0.0", tag, sizeof tag, &err), WH_EINVAL);
    CHECK_INT(wh_oci_tag_from_version(NULL, tag, sizeof tag, &err), WH_EINVAL);
    char longv[200];
    snprintf(longv, sizeof longv, "1.0.0-%0150d", 1);
    longv[6] = 'x';    /* "1.0.0-x000...1": a valid prerelease, 156 bytes */
    CHECK_INT(wh_oci_tag_from_version(longv, tag, sizeof tag, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "at most 128");
    CHECK_INT(wh_oci_tag_from_version("1.0.0+b", tag, 5, &err), WH_EINVAL);
    CHECK_STR(tag, "");

    static const char *const not_versions[] = {
        "latest", "v1.0.0", "1.0", "01.0.0", "1.0.0_a_b", "_1.0.0", "1.0.0_",
        "1.0.0-", "1.0.0-01", "",
    };
    for (size_t i = 0; i < sizeof not_versions / sizeof *not_versions; i++) {
        CHECK(!wh_oci_version_from_tag(not_versions[i], ver, sizeof ver));
        CHECK_STR(ver, "");
    }
    /* '_' inside a prerelease is build metadata once mapped: still SemVer. */
    CHECK(wh_oci_version_from_tag("1.0.0-rc_7", ver, sizeof ver));
    CHECK_STR(ver, "1.0.0-rc+7");
    CHECK(!wh_oci_version_from_tag("1.0.0", ver, 5));
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

static void test_parse_image_manifest(void)
{
    const char *json =
        "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_MANIFEST "\","
        "\"artifactType\":\"application/vnd.example+type\","
        "\"config\":" DESC(WH_OCI_MT_EMPTY, D5, 2) ","
        "\"layers\":[" DESC_T("application/vnd.oci.image.layer.v1.tar+gzip", D1, 100, "a.tgz") ","
        "{\"mediaType\":\"application/wasm\",\"digest\":\"sha256:" D2 "\",\"size\":9007199254740992,"
        "\"urls\":[\"https://example.com\"],\"artifactType\":\"application/x.y\"}],"
        "\"subject\":" DESC(WH_OCI_MT_MANIFEST, D3, 7) ","
        "\"annotations\":{\"z\":\"last\",\"a\":\"first\",\"m\":\"\"},"
        "\"unknown\":{\"nested\":[1,2,{\"x\":null}]}}";
    wh_oci_manifest *m = parse_ok(json, WH_OCI_MT_MANIFEST);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_STR(m->media_type, WH_OCI_MT_MANIFEST);
    CHECK(!m->is_index);
    CHECK_STR(m->artifact_type, "application/vnd.example+type");
    CHECK(m->has_config);
    CHECK_STR(m->config.media_type, WH_OCI_MT_EMPTY);
    CHECK_STR(m->config.sha256, D5);
    CHECK_INT(m->config.size, 2);
    CHECK_INT(m->n_layers, 2);
    CHECK_STR(m->layers[0].sha256, D1);
    CHECK_INT(m->layers[0].size, 100);
    CHECK_INT(m->layers[0].annotations.n, 1);
    CHECK_STR(ann(&m->layers[0].annotations, WH_OCI_ANN_TITLE), "a.tgz");
    CHECK_INT(m->layers[1].size, 9007199254740992ull);
    CHECK_STR(m->layers[1].artifact_type, "application/x.y");
    CHECK(m->layers[1].artifact_type && !m->layers[0].artifact_type);
    CHECK(m->layers[0].platform_os == NULL);
    CHECK(m->has_subject);
    CHECK_STR(m->subject.sha256, D3);
    CHECK_INT(m->annotations.n, 3);
    CHECK(sorted(&m->annotations));
    CHECK_STR(m->annotations.items[0].key, "a");
    CHECK_STR(m->annotations.items[1].value, "");
    CHECK_INT(m->n_manifests, 0);
    wh_oci_manifest_free(m);

    /* Layers may be empty; subject and artifactType absent. */
    m = parse_ok(OCI_MANIFEST(""), NULL);
    CHECK(m && m->n_layers == 0 && !m->has_subject && !m->artifact_type &&
          m->annotations.n == 0);
    wh_oci_manifest_free(m);
    wh_oci_manifest_free(NULL);
}

static void test_parse_kinds(void)
{
    /* No mediaType in the document: the Content-Type decides, with its
     * parameters ignored; with neither, the shape. */
    const char *bare = "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[]}";
    wh_oci_manifest *m = parse_ok(bare, WH_OCI_MT_DOCKER_MANIFEST " ; charset=utf-8");
    CHECK(m && !m->is_index && strcmp(m->media_type, WH_OCI_MT_DOCKER_MANIFEST) == 0);
    wh_oci_manifest_free(m);
    m = parse_ok(bare, NULL);
    CHECK(m && !m->is_index && strcmp(m->media_type, WH_OCI_MT_MANIFEST) == 0);
    wh_oci_manifest_free(m);
    m = parse_ok(bare, "");
    CHECK(m && strcmp(m->media_type, WH_OCI_MT_MANIFEST) == 0);
    wh_oci_manifest_free(m);
    /* A header's media type is case-insensitive; the spelling kept is the
     * spec's. */
    m = parse_ok(bare, "Application/VND.OCI.Image.Manifest.v1+JSON");
    CHECK(m && strcmp(m->media_type, WH_OCI_MT_MANIFEST) == 0);
    wh_oci_manifest_free(m);
    m = parse_ok(OCI_MANIFEST(""), "application/VND.oci.image.manifest.v1+json");
    CHECK(m && strcmp(m->media_type, WH_OCI_MT_MANIFEST) == 0);
    wh_oci_manifest_free(m);

    const char *index =
        "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_INDEX "\",\"manifests\":["
        "{\"mediaType\":\"" WH_OCI_MT_MANIFEST "\",\"digest\":\"sha256:" D1 "\",\"size\":10,"
        "\"platform\":{\"architecture\":\"wasm\",\"os\":\"wasip2\",\"variant\":\"x\"}},"
        DESC(WH_OCI_MT_MANIFEST, D2, 11) "],\"annotations\":{\"k\":\"v\"}}";
    m = parse_ok(index, WH_OCI_MT_INDEX);
    CHECK(m != NULL);
    if (m) {
        CHECK(m->is_index);
        CHECK(!m->has_config);
        CHECK_INT(m->n_manifests, 2);
        CHECK_STR(m->manifests[0].platform_arch, "wasm");
        CHECK_STR(m->manifests[0].platform_os, "wasip2");
        CHECK(m->manifests[1].platform_os == NULL);
        CHECK_INT(m->manifests[1].size, 11);
        CHECK_INT(m->n_layers, 0);
    }
    wh_oci_manifest_free(m);
    m = parse_ok("{\"schemaVersion\":2,\"manifests\":[]}", NULL);
    CHECK(m && m->is_index && m->n_manifests == 0);
    wh_oci_manifest_free(m);

    const char *docker =
        "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_DOCKER_MANIFEST "\",\"config\":"
        DESC("application/vnd.docker.container.image.v1+json", D1, 1469) ",\"layers\":["
        DESC("application/vnd.docker.image.rootfs.diff.tar.gzip", D2, 2479) "]}";
    m = parse_ok(docker, WH_OCI_MT_DOCKER_MANIFEST);
    CHECK(m && !m->is_index && m->n_layers == 1 &&
          strcmp(m->media_type, WH_OCI_MT_DOCKER_MANIFEST) == 0);
    wh_oci_manifest_free(m);
    const char *list =
        "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_DOCKER_LIST "\",\"manifests\":["
        "{\"mediaType\":\"" WH_OCI_MT_DOCKER_MANIFEST "\",\"digest\":\"sha256:" D1 "\",\"size\":7,"
        "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
    m = parse_ok(list, NULL);
    CHECK(m && m->is_index && m->n_manifests == 1 &&
          strcmp(m->manifests[0].platform_arch, "amd64") == 0);
    wh_oci_manifest_free(m);
}

static void test_parse_refusals(void)
{
    PARSE_ERR("", NULL, "not valid JSON");
    PARSE_ERR("{", NULL, "not valid JSON: line 1");
    PARSE_ERR("[]", NULL, "expected a JSON object, got an array");
    PARSE_ERR("{\"schemaVersion\":2,\"schemaVersion\":2}", NULL, "duplicate");
    PARSE_ERR("{\"schemaVersion\":2} x", NULL, "not valid JSON");
    PARSE_ERR("{\"config\":{}}", NULL, "missing required field \"schemaVersion\"");
    PARSE_ERR("{\"schemaVersion\":\"2\"}", NULL, "schemaVersion: expected the integer 2, got a string");
    PARSE_ERR("{\"schemaVersion\":2.0}", NULL, "got a number with a fraction");
    PARSE_ERR("{\"schemaVersion\":3}", NULL, "schemaVersion: expected 2, got 3");
    PARSE_ERR("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL,
              "schema 1 is not supported");
    PARSE_ERR("{\"schemaVersion\":2,\"mediaType\":"
              "\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}", NULL,
              "schema 1 is not supported");
    PARSE_ERR(OCI_MANIFEST(""), WH_OCI_MT_INDEX,
              "mediaType \"" WH_OCI_MT_MANIFEST "\" does not match the Content-Type \""
              WH_OCI_MT_INDEX "\"");
    PARSE_ERR(OCI_MANIFEST(""), "application/json", "does not match the Content-Type");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":{},\"layers\":[]}", "application/json",
              "Content-Type \"application/json\" is not a manifest or index media type");
    PARSE_ERR("{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", NULL,
              "mediaType \"text/plain\" is not a manifest or index media type");
    PARSE_ERR("{\"schemaVersion\":2,\"mediaType\":7}", NULL, "mediaType: expected a string");
    /* In the document, the media type is spelt exactly. */
    PARSE_ERR("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.OCI.image.manifest.v1+json\"}",
              NULL, "mediaType \"application/vnd.OCI.image.manifest.v1+json\" is not a manifest");
    PARSE_ERR("{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_MANIFEST "\",\"layers\":[]}",
              NULL, "missing required field \"config\"");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) "}", NULL,
              "missing required field \"layers\"");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":{}}", NULL,
              "layers: expected an array of descriptors, got an object");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", NULL,
              "config: expected a descriptor object, got an array");
    PARSE_ERR("{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_INDEX "\"}", NULL,
              "missing required field \"manifests\"");
    PARSE_ERR(OCI_MANIFEST(DESC("a/b", D1, 1) "," DESC("a/b", D1, 1) "," DESC("a/b", D1, 1) ","
                           "{\"mediaType\":\"a/b\",\"digest\":\"sha256:abc\",\"size\":1}"),
              NULL, "layers[3].digest: malformed digest \"sha256:abc\"");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"sha512:" D1 D1 "\",\"size\":1}"),
              NULL, "layers[0].digest: unsupported digest algorithm \"sha512\"");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":7,\"size\":1}"), NULL,
              "layers[0].digest: expected a string, got an integer");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"size\":1}"), NULL,
              "layers[0]: missing required field \"digest\"");
    PARSE_ERR(OCI_MANIFEST("{\"digest\":\"sha256:" D1 "\",\"size\":1}"), NULL,
              "layers[0]: missing required field \"mediaType\"");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1 "\"}"), NULL,
              "layers[0]: missing required field \"size\"");
    PARSE_ERR(OCI_MANIFEST(DESC("a/b", D1, -1)), NULL, "layers[0].size: -1 is outside 0..2^53");
    PARSE_ERR(OCI_MANIFEST(DESC("a/b", D1, 9007199254740993)), NULL,
              "layers[0].size: 9007199254740993 is outside");
    PARSE_ERR(OCI_MANIFEST(DESC("a/b", D1, 1.5)), NULL,
              "layers[0].size: expected an integer, got a number with a fraction");
    PARSE_ERR(OCI_MANIFEST(DESC("a/b", D1, "1")), NULL, "layers[0].size: expected an integer");
    PARSE_ERR(OCI_MANIFEST(DESC("a/b", D1, 99999999999999999999)), NULL, "not valid JSON");
    PARSE_ERR(OCI_MANIFEST(DESC("text", D1, 1)), NULL,
              "layers[0].mediaType: \"text\" is not a media type");
    PARSE_ERR(OCI_MANIFEST(DESC("text/plain; charset=utf-8", D1, 1)), NULL,
              "layers[0].mediaType: \"text/plain; charset=utf-8\" is not a media type");
    PARSE_ERR(OCI_MANIFEST(DESC("a/.b", D1, 1)), NULL, "is not a media type");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1 "\",\"size\":1,"
                           "\"annotations\":{\"k\":1}}"),
              NULL, "layers[0].annotations[\"k\"]: expected a string, got an integer");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1 "\",\"size\":1,"
                           "\"annotations\":[]}"),
              NULL, "layers[0].annotations: expected an object of strings");
    PARSE_ERR(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1 "\",\"size\":1,"
                           "\"artifactType\":\"x\"}"),
              NULL, "layers[0].artifactType: \"x\" is not a media type");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[],"
              "\"annotations\":{\"a\":\"\\u0000\"}}", NULL, "not valid JSON");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[],"
              "\"subject\":{\"mediaType\":\"a/b\"}}", NULL, "subject: missing required field \"digest\"");
    PARSE_ERR("{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[],"
              "\"artifactType\":\"\"}", NULL, "artifactType: \"\" is not a media type");
    PARSE_ERR("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1
              "\",\"size\":1,\"platform\":{\"architecture\":\"wasm\"}}]}", NULL,
              "manifests[0].platform: missing required field \"os\"");
    PARSE_ERR("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1
              "\",\"size\":1,\"platform\":{\"architecture\":1,\"os\":\"x\"}}]}", NULL,
              "manifests[0].platform.architecture: expected a string");
    PARSE_ERR("\xff", NULL, "not valid JSON");

    /* A refusal hands nothing out and tolerates a NULL err. */
    wh_oci_manifest *m = (wh_oci_manifest *)1;
    CHECK_INT(wh_oci_manifest_parse("{", 1, NULL, &m, NULL), WH_EINVAL);
    CHECK(m == NULL);
    const char *md5 = OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"md5:0\",\"size\":1}");
    CHECK_INT(wh_oci_manifest_parse(md5, strlen(md5), NULL, &m, NULL), WH_EINVAL);
    CHECK(m == NULL);
}

static void test_parse_limits(void)
{
    wh_oci_manifest *m = NULL;
    wh_err err = {0};
    /* Bytes: one over the limit is refused before it is read. */
    size_t big = WH_OCI_MAX_MANIFEST + 1;
    char *buf = malloc(big);
    const char *doc = OCI_MANIFEST("");
    memset(buf, ' ', big);
    memcpy(buf, doc, strlen(doc));
    CHECK_INT(wh_oci_manifest_parse(buf, big, NULL, &m, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "at most 4194304 are accepted");
    CHECK(wh_oci_manifest_parse(buf, big - 1, NULL, &m, &err) == 0);
    wh_oci_manifest_free(m);
    free(buf);

    /* Descriptors: the limit exactly, then one more. */
    for (int extra = 0; extra <= 1; extra++) {
        strbuf b = {0};
        sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[");
        for (int i = 0; i < WH_OCI_MAX_DESCRIPTORS + extra; i++)
            sb_printf(&b, "%s{\"mediaType\":\"a/b\",\"digest\":\"sha256:%064x\",\"size\":%d,"
                      "\"annotations\":{\"k\":\"v\"}}", i ? "," : "", i, i);
        sb_printf(&b, "]}");
        m = NULL;
        int rc = wh_oci_manifest_parse(b.s, b.n, NULL, &m, &err);
        if (extra) {
            CHECK_INT(rc, WH_EINVAL);
            CHECK_CONTAINS(err.msg, "layers: 10001 descriptors are over the limit of 10000");
        } else {
            CHECK_INT(rc, 0);
            CHECK(m && m->n_layers == WH_OCI_MAX_DESCRIPTORS &&
                  m->layers[9999].size == 9999 && m->layers[9999].annotations.n == 1);
        }
        wh_oci_manifest_free(m);
        free(b.s);
    }

    /* Annotations: per map. */
    for (int extra = 0; extra <= 1; extra++) {
        strbuf b = {0};
        sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1)
                      ",\"layers\":[],\"annotations\":{");
        for (int i = 0; i < WH_OCI_MAX_ANNOTATIONS + extra; i++)
            sb_printf(&b, "%s\"key%04d\":\"v\"", i ? "," : "", i);
        sb_printf(&b, "}}");
        m = NULL;
        int rc = wh_oci_manifest_parse(b.s, b.n, NULL, &m, &err);
        if (extra) {
            CHECK_INT(rc, WH_EINVAL);
            CHECK_CONTAINS(err.msg, "annotations: 1001 entries are over the limit of 1000");
        } else {
            CHECK(rc == 0 && m->annotations.n == 1000 && sorted(&m->annotations));
        }
        wh_oci_manifest_free(m);
        free(b.s);
    }

    /* Objects and arrays: a small document that would cost jansson a lot. */
    strbuf b = {0};
    sb_printf(&b, "{\"schemaVersion\":2,\"x\":[");
    for (int i = 0; i < 100000; i++)
        sb_printf(&b, "%s{}", i ? "," : "");
    sb_printf(&b, "],\"s\":\"[[[[{{{{\"}");
    CHECK_INT(wh_oci_manifest_parse(b.s, b.n, NULL, &m, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "more than 80064 JSON objects and arrays");
    free(b.s);
    /* Brackets inside strings do not count. */
    b = (strbuf){0};
    sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1)
                  ",\"layers\":[],\"annotations\":{\"k\":\"");
    for (int i = 0; i < 100000; i++)
        sb_printf(&b, "{[\\\"");
    sb_printf(&b, "\"}}");
    CHECK_INT(wh_oci_manifest_parse(b.s, b.n, NULL, &m, &err), 0);
    wh_oci_manifest_free(m);
    free(b.s);
}

int main(void)
{
    RUN(test_repo_names);
    RUN(test_tags);
    RUN(test_digests);
    RUN(test_tag_mapping);
    RUN(test_parse_image_manifest);
    RUN(test_parse_kinds);
    RUN(test_parse_refusals);
    RUN(test_parse_limits);
    return unit_done("oci");
}
