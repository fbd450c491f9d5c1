/*
 * test_oci_convert.c - schema/oci.h, the second half: a manifest as an
 * invoice (names, titles, extensions, duplicates, annotations, limits) and
 * an invoice as an OCI view (both layouts, determinism, one golden digest),
 * and the round trip between them.
 */
#include "oci_test.h"

/* ------------------------------------------------------------------ */
/* Manifest -> invoice                                                 */
/* ------------------------------------------------------------------ */

static void test_to_invoice(void)
{
    const char *json =
        "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_MANIFEST "\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
        "\"digest\":\"sha256:" D5 "\",\"size\":300,\"annotations\":{\"c\":\"d\"}},"
        "\"layers\":[" DESC_T("application/wasm", D1, 10, "app.wasm") ","
        DESC("application/vnd.oci.image.layer.v1.tar+gzip", D2, 20) ","
        "{\"mediaType\":\"application/vnd.example+json\",\"digest\":\"sha256:" D3 "\",\"size\":30,"
        "\"annotations\":{\"wharf.oci.role\":\"forged\",\"x\":\"y\"}}],"
        "\"annotations\":{\"org.opencontainers.image.authors\":\"Ann <ann@example.com>\","
        "\"org.opencontainers.image.description\":\"A demo\",\"wharf.oci.manifest\":\"forged\","
        "\"mirror.me\":\"manifest\",\"keep\":\"1\"}}";
    wh_kv extra_items[] = {{"mirror.me", "extra"}, {WH_OCI_ANN_SOURCE, "reg.example/app@sha256:" MSHA}};
    wh_kvmap extra = {extra_items, 2};
    wh_err err = {0};
    wh_invoice *inv = to_invoice(json, &extra, &err);
    CHECK(inv != NULL);
    if (!inv) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK_STR(inv->bindle_version, "1.0.0");
    CHECK_STR(inv->bindle.name, "example/app");
    CHECK_STR(inv->bindle.version, "1.2.3");
    CHECK_INT(inv->bindle.authors.n, 1);
    CHECK_STR(inv->bindle.authors.items[0], "Ann <ann@example.com>");
    CHECK_STR(inv->bindle.description, "A demo");
    CHECK_INT(inv->n_signatures, 0);

    CHECK_INT(inv->n_parcels, 4);
    const wh_label *c = &inv->parcels[0].label;
    CHECK_STR(c->name, "oci-config.json");
    CHECK_STR(c->sha256, D5);
    CHECK_STR(c->media_type, "application/vnd.oci.image.config.v1+json");
    CHECK_INT(c->size, 300);
    CHECK_STR(ann(&c->annotations, WH_OCI_ANN_ROLE), "config");
    CHECK_STR(ann(&c->annotations, "c"), "d");
    CHECK(inv->parcels[0].member_of.n == 1 &&
          strcmp(inv->parcels[0].member_of.items[0], WH_OCI_CONFIG_GROUP) == 0);
    CHECK_INT(inv->n_groups, 1);
    CHECK_STR(inv->groups[0].name, WH_OCI_CONFIG_GROUP);
    CHECK(!inv->groups[0].required && inv->groups[0].has_required);

    CHECK_STR(inv->parcels[1].label.name, "app.wasm");
    CHECK_STR(inv->parcels[1].label.sha256, D1);
    CHECK_INT(inv->parcels[1].label.size, 10);
    CHECK_STR(ann(&inv->parcels[1].label.annotations, WH_OCI_ANN_TITLE), "app.wasm");
    CHECK_STR(inv->parcels[2].label.name, "layer-1.tar.gz");
    CHECK_STR(inv->parcels[3].label.name, "layer-2.json");
    CHECK_STR(ann(&inv->parcels[3].label.annotations, WH_OCI_ANN_ROLE), "layer");
    CHECK_STR(ann(&inv->parcels[3].label.annotations, "x"), "y");
    for (size_t i = 1; i < 4; i++) {
        CHECK(!inv->parcels[i].has_conditions && inv->parcels[i].member_of.n == 0);
        CHECK(sorted(&inv->parcels[i].label.annotations));
    }

    CHECK(sorted(&inv->annotations));
    CHECK_STR(ann(&inv->annotations, WH_OCI_ANN_MANIFEST), "sha256:" MSHA);
    CHECK_STR(ann(&inv->annotations, WH_OCI_ANN_MEDIA_TYPE), WH_OCI_MT_MANIFEST);
    CHECK_STR(ann(&inv->annotations, "mirror.me"), "extra");
    CHECK_STR(ann(&inv->annotations, WH_OCI_ANN_SOURCE), "reg.example/app@sha256:" MSHA);
    CHECK_STR(ann(&inv->annotations, "keep"), "1");
    CHECK_INT(inv->annotations.n, 7);
    CHECK_INT(wh_invoice_validate(inv, &err), 0);
    CHECK(toml_round_trip(inv));
    wh_invoice_free(inv);

    /* No extra, no authors: both left out. */
    inv = to_invoice(OCI_MANIFEST(DESC("application/wasm", D1, 1)), NULL, &err);
    CHECK(inv && !inv->bindle.has_authors && !inv->bindle.description &&
          inv->annotations.n == 2 && inv->n_parcels == 2);
    if (inv)
        CHECK_STR(inv->parcels[1].label.name, "layer-0.wasm");
    wh_invoice_free(inv);
}

static void test_to_invoice_duplicates(void)
{
    wh_err err = {0};
    /* The same layer twice, and again under another media type: one parcel. */
    wh_invoice *inv = to_invoice(OCI_MANIFEST(DESC_T("a/b", D1, 5, "first") ","
                                              DESC("a/b", D2, 6) ","
                                              DESC_T("c/d", D1, 5, "second")),
                                 NULL, &err);
    CHECK(inv && inv->n_parcels == 3);
    if (inv) {
        CHECK_STR(inv->parcels[1].label.name, "first");
        CHECK_STR(inv->parcels[2].label.sha256, D2);
        CHECK_INT(inv->n_groups, 1);
        CHECK(toml_round_trip(inv));
    }
    wh_invoice_free(inv);

    /* A layer that is also the config: one parcel, kept out of the
     * optional group since pulls need it. */
    inv = to_invoice(OCI_MANIFEST(DESC("a/b", D1, 5) "," DESC("application/wasm", D5, 2)),
                     NULL, &err);
    CHECK(inv && inv->n_parcels == 2);
    if (inv) {
        CHECK_STR(inv->parcels[0].label.sha256, D5);
        CHECK_STR(inv->parcels[0].label.name, "oci-config.json");
        CHECK(!inv->parcels[0].has_conditions);
        CHECK_INT(inv->n_groups, 0);
        CHECK(toml_round_trip(inv));
    }
    wh_invoice_free(inv);
}

static void test_to_invoice_titles(void)
{
    char long_title[202];
    memset(long_title, 'x', 201);
    long_title[201] = '\0';
    strbuf b = {0};
    sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC(WH_OCI_MT_EMPTY, D5, 2) ",\"layers\":[");
    static const char *const titles[] = {
        "a/b.wasm", "../x", "..", ".", "a..b", "", "tab\\there", "back\\\\slash",
        "x.wasm", "x.wasm", "x.wasm", "oci-config.json", "layer-13.bin", "",
        "caf\\u00e9.tar.gz", "caf\\u00e9.tar.gz", ".hidden", ".hidden", NULL,
    };
    size_t nt = 0;
    for (; titles[nt]; nt++)
        sb_printf(&b, "%s{\"mediaType\":\"a/b\",\"digest\":\"sha256:%064zx\",\"size\":1,"
                      "\"annotations\":{\"org.opencontainers.image.title\":\"%s\"}}",
                  nt ? "," : "", nt + 1, titles[nt]);
    sb_printf(&b, ",{\"mediaType\":\"a/b\",\"digest\":\"sha256:%064x\",\"size\":1,"
                  "\"annotations\":{\"org.opencontainers.image.title\":\"%s\"}}]}",
              99, long_title);
    wh_err err = {0};
    wh_invoice *inv = to_invoice(b.s, NULL, &err);
    free(b.s);
    CHECK(inv != NULL);
    if (!inv) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    static const char *const want[] = {
        "oci-config-7.json", "layer-0.bin", "layer-1.bin", "layer-2.bin", "layer-3.bin",
        "layer-4.bin", "layer-5.bin", "layer-6.bin", "layer-7.bin", "x.wasm", "x-2.wasm",
        "x-3.wasm", "oci-config.json", "layer-13.bin", "layer-13-4.bin",
        "caf\xc3\xa9.tar.gz", "caf\xc3\xa9-5.tar.gz", ".hidden", ".hidden-6", "layer-18.bin",
    };
    CHECK_INT(inv->n_parcels, sizeof want / sizeof *want);
    for (size_t i = 0; i < inv->n_parcels && i < sizeof want / sizeof *want; i++)
        CHECK_STR(inv->parcels[i].label.name, want[i]);
    CHECK(toml_round_trip(inv));
    wh_invoice_free(inv);
}

static void test_to_invoice_extensions(void)
{
    static const char *const cases[][2] = {
        {"application/wasm", ".wasm"},
        {WH_OCI_MT_WASM_LAYER_V1, ".wasm"},
        {"application/vnd.oci.image.layer.v1.tar+gzip", ".tar.gz"},
        {"application/vnd.docker.image.rootfs.diff.tar.gzip", ".tar.gz"},
        {"application/vnd.oci.image.layer.v1.tar", ".tar"},
        {"application/x-tar", ".tar"},
        {"application/json", ".json"},
        {"application/vnd.oci.image.config.v1+json", ".json"},
        {"application/octet-stream", ".bin"},
        {"application/vnd.oci.image.layer.v1.tar+zstd", ".bin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char json[1024], want[64];
        snprintf(json, sizeof json, OCI_MANIFEST("{\"mediaType\":\"%s\",\"digest\":\"sha256:"
                                                 D1 "\",\"size\":1}"), cases[i][0]);
        snprintf(want, sizeof want, "layer-0%s", cases[i][1]);
        wh_err err = {0};
        wh_invoice *inv = to_invoice(json, NULL, &err);
        CHECK(inv && inv->n_parcels == 2);
        if (inv)
            CHECK_STR(inv->parcels[1].label.name, want);
        wh_invoice_free(inv);
    }
}

static void test_to_invoice_refusals(void)
{
    wh_err err = {0};
    wh_invoice *inv = (wh_invoice *)1;
    wh_oci_manifest *m = parse_ok("{\"schemaVersion\":2,\"manifests\":[]}", NULL);
    CHECK_INT(wh_oci_manifest_to_invoice(m, MSHA, "a", "1.0.0", NULL, &inv, &err), WH_EINVAL);
    CHECK_STR(err.msg, "an image index references manifests, not blobs; it stays OCI-only");
    CHECK(inv == NULL);
    wh_oci_manifest_free(m);

    m = parse_ok(OCI_MANIFEST(""), NULL);
    CHECK_INT(wh_oci_manifest_to_invoice(m, "sha256:" MSHA, "a", "1.0.0", NULL, &inv, &err),
              WH_EINVAL);
    CHECK_CONTAINS(err.msg, "64 lowercase hex");
    CHECK_INT(wh_oci_manifest_to_invoice(m, MSHA, "a", "1.0", NULL, &inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "bindle.version \"1.0\" is not strict SemVer");
    CHECK_INT(wh_oci_manifest_to_invoice(m, MSHA, "a//b", "1.0.0", NULL, &inv, &err), WH_EINVAL);
    CHECK_INT(wh_oci_manifest_to_invoice(m, MSHA, NULL, "1.0.0", NULL, &inv, &err), WH_EINVAL);
    wh_kv bad_key[] = {{"it's", "v"}};
    wh_kvmap extra = {bad_key, 1};
    CHECK_INT(wh_oci_manifest_to_invoice(m, MSHA, "a", "1.0.0", &extra, &inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "annotations: the key \"it's\" holds a control character or a single quote");
    wh_oci_manifest_free(m);

    /* Keys TOML cannot write, values over an invoice's string limit. */
    CHECK(to_invoice(OCI_MANIFEST("{\"mediaType\":\"a/b\",\"digest\":\"sha256:" D1 "\",\"size\":1,"
                                  "\"annotations\":{\"a\\nb\":\"v\"}}"), NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "layers[0].annotations: the key \"a\\x0Ab\"");
    strbuf b = {0};
    sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1)
                  ",\"layers\":[],\"annotations\":{\"org.opencontainers.image.description\":\"");
    for (int i = 0; i < 64 * 1024 + 1; i++)
        sb_printf(&b, "x");
    sb_printf(&b, "\"}}");
    CHECK(to_invoice(b.s, NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "at most 65536 bytes");
    free(b.s);

    /* 1000 manifest annotations plus Wharf's two overflow the map. */
    b = (strbuf){0};
    sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[],"
                  "\"annotations\":{");
    for (int i = 0; i < WH_OCI_MAX_ANNOTATIONS; i++)
        sb_printf(&b, "%s\"k%d\":\"v\"", i ? "," : "", i);
    sb_printf(&b, "}}");
    CHECK(to_invoice(b.s, NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "annotations: 1002 annotations are more than an invoice holds");
    free(b.s);

    /* 10000 layers and a config: one parcel too many. */
    b = (strbuf){0};
    sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[");
    for (int i = 0; i < WH_OCI_MAX_DESCRIPTORS; i++)
        sb_printf(&b, "%s{\"mediaType\":\"a/b\",\"digest\":\"sha256:%064x\",\"size\":1}",
                  i ? "," : "", i + 2);
    sb_printf(&b, "]}");
    CHECK(to_invoice(b.s, NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "10000 layers and a config are more than the 10000 parcels");
    free(b.s);

    /* Within every count, but too many bytes once written as TOML. */
    b = (strbuf){0};
    sb_printf(&b, "{\"schemaVersion\":2,\"config\":" DESC("a/b", D1, 1) ",\"layers\":[");
    for (int i = 0; i < 4000; i++)
        sb_printf(&b, "%s{\"mediaType\":\"a/b\",\"digest\":\"sha256:%064x\",\"size\":1,"
                      "\"annotations\":{\"note\":\"%0100d\"}}", i ? "," : "", i + 2, i);
    sb_printf(&b, "]}");
    CHECK(to_invoice(b.s, NULL, &err) == NULL);
    CHECK_CONTAINS(err.msg, "the invoice made from this manifest would be");
    free(b.s);
}

/* ------------------------------------------------------------------ */
/* Invoice -> view                                                     */
/* ------------------------------------------------------------------ */

#define HELLO_TOML                                                             \
    "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"hello\"\nversion = \"1.0.0\"\n" \
    "[[parcel]]\n[parcel.label]\nsha256 = \"" D1 "\"\nmediaType = \"application/wasm\"\n" \
    "name = \"hello.wasm\"\nsize = 42\n"

/*
 * The golden view, written out by hand and hashed independently:
 *   printf '%s' '{"architecture":"wasm","os":"wasip1","layerDigests":["sha256:1111...1111"]}' \
 *     | sha256sum      (128 bytes)
 *   printf '%s' '<GOLDEN_MANIFEST below>' | sha256sum
 */
#define GOLDEN_CONFIG "{\"architecture\":\"wasm\",\"os\":\"wasip1\",\"layerDigests\":[\"sha256:" D1 "\"]}"
#define GOLDEN_CONFIG_SHA "a3cc118819ff3e84468f3fe63d83619885eade2be64b55463cb38fee14583c57"
#define GOLDEN_MANIFEST                                                                  \
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","  \
    "\"config\":{\"mediaType\":\"application/vnd.wasm.config.v0+json\",\"digest\":\"sha256:" \
    GOLDEN_CONFIG_SHA "\",\"size\":128},\"layers\":[{\"mediaType\":\"application/wasm\","   \
    "\"digest\":\"sha256:" D1 "\",\"size\":42}],\"annotations\":{"                         \
    "\"org.opencontainers.image.version\":\"1.0.0\",\"wharf.bindle\":\"hello/1.0.0\"}}"
#define GOLDEN_MANIFEST_SHA "0f3c8c58cae8fb1faececd55bd09d3388784e4365bc22b2d291b0dbb7587603e"

static void test_view_wasm_golden(void)
{
    wh_invoice *inv = invoice_from_toml(HELLO_TOML);
    CHECK(inv != NULL);
    if (!inv)
        return;
    wh_oci_view v, v2;
    wh_err err = {0};
    CHECK_INT(wh_oci_view_from_invoice(inv, NULL, 0, false, &v, &err), 0);
    CHECK_INT(v.config_len, strlen(GOLDEN_CONFIG));
    CHECK(v.config && memcmp(v.config, GOLDEN_CONFIG, v.config_len) == 0);
    CHECK_STR(v.config_sha256, GOLDEN_CONFIG_SHA);
    CHECK_INT(v.manifest_len, strlen(GOLDEN_MANIFEST));
    if (v.manifest && v.manifest_len == strlen(GOLDEN_MANIFEST))
        CHECK(memcmp(v.manifest, GOLDEN_MANIFEST, v.manifest_len) == 0);
    else
        fprintf(stderr, "  got %.*s\n", (int)v.manifest_len, v.manifest ? v.manifest : "");
    CHECK_STR(v.manifest_sha256, GOLDEN_MANIFEST_SHA);

    /* Determinism: the same invoice again, and a fresh parse of it. */
    CHECK_INT(wh_oci_view_from_invoice(inv, NULL, 0, false, &v2, &err), 0);
    CHECK(v2.manifest_len == v.manifest_len &&
          memcmp(v2.manifest, v.manifest, v.manifest_len) == 0);
    CHECK_STR(v2.manifest_sha256, v.manifest_sha256);
    wh_oci_view_clear(&v2);
    wh_invoice *again = invoice_from_toml(HELLO_TOML);
    CHECK_INT(wh_oci_view_from_invoice(again, "ignored", 7, false, &v2, &err), 0);
    CHECK_STR(v2.manifest_sha256, GOLDEN_MANIFEST_SHA);
    wh_oci_view_clear(&v2);
    wh_invoice_free(again);

    /* The view parses as the wasm layout. */
    wh_oci_manifest *m = NULL;
    CHECK_INT(wh_oci_manifest_parse(v.manifest, v.manifest_len, WH_OCI_MT_MANIFEST, &m, &err), 0);
    if (m) {
        CHECK(m->artifact_type == NULL);
        CHECK_STR(m->config.media_type, WH_OCI_MT_WASM_CONFIG);
        CHECK_STR(m->config.sha256, v.config_sha256);
        CHECK_INT(m->config.size, v.config_len);
        CHECK(m->n_layers == 1 && m->layers[0].annotations.n == 0);
        CHECK_STR(m->layers[0].media_type, "application/wasm");
        CHECK_STR(m->layers[0].sha256, D1);
        CHECK_INT(m->layers[0].size, 42);
        CHECK_STR(ann(&m->annotations, "org.opencontainers.image.version"), "1.0.0");
        CHECK_STR(ann(&m->annotations, "wharf.bindle"), "hello/1.0.0");
    }
    wh_oci_manifest_free(m);
    wh_oci_view_clear(&v);

    /* A component is wasip2. */
    CHECK_INT(wh_oci_view_from_invoice(inv, NULL, 0, true, &v, &err), 0);
    CHECK(v.config && strstr(v.config, "\"os\":\"wasip2\"") != NULL);
    CHECK(strcmp(v.manifest_sha256, GOLDEN_MANIFEST_SHA) != 0);
    wh_oci_view_clear(&v);
    wh_oci_view_clear(&v);
    wh_invoice_free(inv);
}

static void test_view_artifact(void)
{
    const char *toml =
        "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"example/app\"\nversion = \"2.0.0+b.1\"\n"
        "[[parcel]]\n[parcel.label]\nsha256 = \"" D1 "\"\nmediaType = \"application/wasm\"\n"
        "name = \"bin/app.wasm\"\nsize = 10\n"
        "[[parcel]]\n[parcel.label]\nsha256 = \"" D2 "\"\nmediaType = \"text/plain\"\n"
        "name = \"README\"\nsize = 0\n[parcel.label.annotations]\nnot = \"copied\"\n";
    wh_invoice *inv = invoice_from_toml(toml);
    CHECK(inv != NULL);
    if (!inv)
        return;
    wh_oci_view v;
    wh_err err = {0};
    CHECK_INT(wh_oci_view_from_invoice(inv, NULL, 0, false, &v, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "TOML is needed");
    CHECK(v.manifest == NULL && v.config == NULL);
    CHECK_INT(wh_oci_view_from_invoice(inv, toml, strlen(toml), false, &v, &err), 0);
    CHECK_INT(v.config_len, strlen(toml));
    CHECK(memcmp(v.config, toml, v.config_len) == 0);
    wh_oci_manifest *m = NULL;
    CHECK_INT(wh_oci_manifest_parse(v.manifest, v.manifest_len, NULL, &m, &err), 0);
    if (m) {
        CHECK_STR(m->media_type, WH_OCI_MT_MANIFEST);
        CHECK_STR(m->artifact_type, WH_OCI_ARTIFACT_BINDLE);
        CHECK_STR(m->config.media_type, WH_OCI_MT_INVOICE);
        CHECK_STR(m->config.sha256, v.config_sha256);
        CHECK_INT(m->config.size, strlen(toml));
        CHECK_INT(m->n_layers, inv->n_parcels);
        for (size_t i = 0; i < m->n_layers && i < inv->n_parcels; i++) {
            const wh_label *l = &inv->parcels[i].label;
            CHECK_STR(m->layers[i].media_type, l->media_type);
            CHECK_STR(m->layers[i].sha256, l->sha256);
            CHECK_INT(m->layers[i].size, l->size);
            CHECK_INT(m->layers[i].annotations.n, 1);
            CHECK_STR(ann(&m->layers[i].annotations, WH_OCI_ANN_TITLE), l->name);
        }
        CHECK_INT(m->annotations.n, 2);
        CHECK_STR(ann(&m->annotations, "org.opencontainers.image.version"), "2.0.0+b.1");
        CHECK_STR(ann(&m->annotations, "wharf.bindle"), "example/app/2.0.0+b.1");
    }
    wh_oci_manifest_free(m);
    /* Keys in the documented order. */
    const char *prefix = "{\"schemaVersion\":2,\"mediaType\":\"" WH_OCI_MT_MANIFEST
                         "\",\"artifactType\":\"" WH_OCI_ARTIFACT_BINDLE
                         "\",\"config\":{\"mediaType\":\"" WH_OCI_MT_INVOICE "\",\"digest\":";
    CHECK(v.manifest && strncmp(v.manifest, prefix, strlen(prefix)) == 0);
    CHECK(v.manifest && strstr(v.manifest, "\"layers\":[{\"mediaType\":\"application/wasm\","
                                           "\"digest\":\"sha256:" D1 "\",\"size\":10,"
                                           "\"annotations\":{\"org.opencontainers.image.title\":"
                                           "\"bin/app.wasm\"}}") != NULL);
    wh_oci_view v2;
    CHECK_INT(wh_oci_view_from_invoice(inv, toml, strlen(toml), true, &v2, &err), 0);
    CHECK_STR(v2.manifest_sha256, v.manifest_sha256);
    wh_oci_view_clear(&v2);
    wh_oci_view_clear(&v);

    /* A media type an invoice allows but a descriptor does not. */
    inv->parcels[1].label.media_type = "text/plain; charset=utf-8";
    CHECK_INT(wh_oci_view_from_invoice(inv, toml, strlen(toml), false, &v, &err), 0);
    m = NULL;
    CHECK_INT(wh_oci_manifest_parse(v.manifest, v.manifest_len, NULL, &m, &err), 0);
    CHECK(m && m->n_layers == 2);
    if (m && m->n_layers == 2)
        CHECK_STR(m->layers[1].media_type, "application/octet-stream");
    wh_oci_manifest_free(m);
    wh_oci_view_clear(&v);

    /* A single parcel that is not application/wasm, and no parcel at all. */
    inv->parcels[0].label.media_type = "application/vnd.wasm.content.layer.v1+wasm";
    inv->n_parcels = 1;
    CHECK_INT(wh_oci_view_from_invoice(inv, "x", 1, false, &v, &err), 0);
    CHECK(v.manifest && strstr(v.manifest, WH_OCI_MT_INVOICE) != NULL);
    wh_oci_view_clear(&v);
    inv->n_parcels = 0;
    CHECK_INT(wh_oci_view_from_invoice(inv, "", 0, false, &v, &err), 0);
    CHECK_STR(v.config_sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(v.manifest && strstr(v.manifest, "\"layers\":[]") != NULL);
    wh_oci_view_clear(&v);

    /* Yanked bindles and invalid invoices have no view. */
    inv->yanked = true;
    CHECK_INT(wh_oci_view_from_invoice(inv, "", 0, false, &v, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "example/app/2.0.0+b.1 is yanked");
    inv->yanked = false;
    inv->bindle.version = "2.0";
    CHECK_INT(wh_oci_view_from_invoice(inv, "", 0, false, &v, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not strict SemVer");
    CHECK(v.manifest == NULL);
    wh_invoice_free(inv);
}

/* A manifest becomes an invoice; that invoice's view describes the same
 * blobs as its parcels. */
static void test_round_trip(void)
{
    wh_err err = {0};
    wh_invoice *inv = to_invoice(OCI_MANIFEST(DESC_T("application/wasm", D1, 10, "a.wasm") ","
                                              DESC("application/vnd.oci.image.layer.v1.tar", D2, 20)),
                                 NULL, &err);
    CHECK(inv != NULL);
    if (!inv)
        return;
    char *toml = NULL;
    size_t len = 0;
    CHECK_INT(wh_invoice_emit_toml(inv, &toml, &len, &err), 0);
    wh_oci_view v;
    CHECK_INT(wh_oci_view_from_invoice(inv, toml, len, false, &v, &err), 0);
    wh_oci_manifest *m = NULL;
    CHECK_INT(wh_oci_manifest_parse(v.manifest, v.manifest_len, WH_OCI_MT_MANIFEST, &m, &err), 0);
    CHECK(m && m->n_layers == 3);
    for (size_t i = 0; m && i < m->n_layers; i++) {
        CHECK_STR(m->layers[i].sha256, inv->parcels[i].label.sha256);
        CHECK_STR(m->layers[i].media_type, inv->parcels[i].label.media_type);
        CHECK_INT(m->layers[i].size, inv->parcels[i].label.size);
        CHECK_STR(ann(&m->layers[i].annotations, WH_OCI_ANN_TITLE), inv->parcels[i].label.name);
    }
    /* The view converts back to an invoice of the same parcels. */
    wh_invoice *back = NULL;
    CHECK_INT(wh_oci_manifest_to_invoice(m, v.manifest_sha256, "example/app", "1.2.3", NULL,
                                         &back, &err), 0);
    if (back) {
        CHECK_INT(back->n_parcels, 1 + inv->n_parcels);
        CHECK_STR(back->parcels[0].label.media_type, WH_OCI_MT_INVOICE);
        for (size_t i = 0; i < inv->n_parcels && i + 1 < back->n_parcels; i++) {
            CHECK_STR(back->parcels[i + 1].label.sha256, inv->parcels[i].label.sha256);
            CHECK_STR(back->parcels[i + 1].label.name, inv->parcels[i].label.name);
        }
    }
    wh_invoice_free(back);
    wh_oci_manifest_free(m);
    wh_oci_view_clear(&v);
    free(toml);
    wh_invoice_free(inv);
}

int main(void)
{
    RUN(test_to_invoice);
    RUN(test_to_invoice_duplicates);
    RUN(test_to_invoice_titles);
    RUN(test_to_invoice_extensions);
    RUN(test_to_invoice_refusals);
    RUN(test_view_wasm_golden);
    RUN(test_view_artifact);
    RUN(test_round_trip);
    return unit_done("oci_convert");
}
