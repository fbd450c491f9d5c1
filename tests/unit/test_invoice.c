/*
 * test_invoice.c - the invoice data model: parsing Bindle's own fixtures,
 * exact round trips through TOML and JSON, canonical output, and every
 * shape and validation rule with the message it must give.
 *
 * Fixtures are found under $WHARF_FIXTURES (default ../shared/fixtures,
 * relative to the repository root where the test runner starts).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schema/invoice.h"
#include "schema/invoice_json.h"
#include "unit.h"

/* ------------------------------------------------------------------ */
/* Fixture helpers                                                     */
/* ------------------------------------------------------------------ */

static const char *fixtures_dir(void)
{
    const char *d = getenv("WHARF_FIXTURES");
    return d && *d ? d : "../shared/fixtures";
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Parses fixtures/bindle/<rel>; NULL (with a message) when that fails. */
static wh_invoice *load_fixture(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/bindle/%s", fixtures_dir(), rel);
    size_t len = 0;
    char *buf = read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "  cannot read %s (set WHARF_FIXTURES)\n", path);
        return NULL;
    }
    wh_invoice *inv = NULL;
    wh_err err = {0};
    if (wh_invoice_parse_toml(buf, len, NULL, &inv, &err))
        fprintf(stderr, "  %s: %s\n", rel, err.msg);
    free(buf);
    return inv;
}

#define MAX_FIXTURES 32
#define NAME_LEN 320

/* Every invoice fixture, relative to fixtures/bindle/. */
static size_t list_fixtures(char names[MAX_FIXTURES][NAME_LEN])
{
    size_t n = 0;
    static const char *const top[] = {"simple-invoice.toml", "full-invoice.toml",
                                      "alt-format-invoice.toml"};
    for (size_t i = 0; i < 3; i++)
        snprintf(names[n++], NAME_LEN, "%s", top[i]);
    static const char *const dirs[] = {"scaffolds", "standalone"};
    for (size_t d = 0; d < 2; d++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/bindle/%s", fixtures_dir(), dirs[d]);
        DIR *dir = opendir(path);
        if (!dir)
            continue;
        struct dirent *e;
        while ((e = readdir(dir)) && n < MAX_FIXTURES) {
            if (e->d_name[0] == '.')
                continue;
            char inv[1300];
            struct stat st;
            snprintf(inv, sizeof inv, "%s/%s/invoice.toml", path, e->d_name);
            if (stat(inv, &st) == 0 && S_ISREG(st.st_mode))
                snprintf(names[n++], NAME_LEN, "%s/%s/invoice.toml", dirs[d],
                         e->d_name);
        }
        closedir(dir);
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Fixtures                                                            */
/* ------------------------------------------------------------------ */

static void test_every_fixture_parses(void)
{
    char names[MAX_FIXTURES][NAME_LEN];
    size_t n = list_fixtures(names);
    /* 3 top-level + 5 scaffolds with an invoice + 1 standalone. */
    CHECK(n >= 9);
    for (size_t i = 0; i < n; i++) {
        wh_invoice *inv = load_fixture(names[i]);
        CHECK(inv != NULL);
        if (inv) {
            CHECK_STR(inv->bindle_version, "1.0.0");
            CHECK(inv->n_parcels >= 1);
        }
        wh_invoice_free(inv);
    }
}

static void test_simple_invoice_values(void)
{
    wh_invoice *inv = load_fixture("simple-invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    CHECK_STR(inv->bindle.name, "mybindle");
    CHECK_STR(inv->bindle.version, "0.1.0");
    CHECK(inv->bindle.has_authors);
    CHECK_INT(inv->bindle.authors.n, 1);
    CHECK_STR(inv->bindle.authors.items[0],
              "Matt Butcher <matt.butcher@microsoft.com>");
    CHECK_STR(inv->bindle.description, "My first bindle");
    CHECK(inv->has_annotations);
    CHECK_INT(inv->annotations.n, 1);
    CHECK_STR(inv->annotations.items[0].key, "myname");
    CHECK_STR(inv->annotations.items[0].value, "myvalue");
    CHECK(!inv->has_yanked);
    CHECK(inv->yanked_reason == NULL);
    CHECK_INT(inv->n_parcels, 3);
    CHECK_STR(inv->parcels[0].label.sha256,
              "e1706ab0a39ac88094b6d54a3f5cdba41fe5a901");
    CHECK_STR(inv->parcels[0].label.media_type, "text/html");
    CHECK_STR(inv->parcels[0].label.name, "myparcel.html");
    CHECK_INT(inv->parcels[0].label.size, 248098);
    CHECK(inv->parcels[0].label.origin == NULL);
    CHECK_STR(inv->parcels[1].label.name, "style.css");
    CHECK_STR(inv->parcels[2].label.origin, "footastic 1.2.3");
    CHECK(!inv->parcels[2].has_conditions);
    CHECK_INT(inv->n_groups, 0);
    CHECK_INT(inv->n_signatures, 0);
    wh_invoice_free(inv);
}

static void test_full_invoice_groups(void)
{
    wh_invoice *inv = load_fixture("full-invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    CHECK(!inv->bindle.has_authors);
    CHECK(inv->bindle.description == NULL);
    CHECK_INT(inv->n_groups, 3);
    CHECK_STR(inv->groups[0].name, "server");
    CHECK_INT(inv->groups[0].satisfied_by, WH_SATISFIED_ALL_OF);
    CHECK(inv->groups[0].has_satisfied_by);
    CHECK(!inv->groups[0].has_required);
    CHECK(!inv->groups[0].required);
    CHECK_STR(inv->groups[1].name, "cli");
    CHECK_INT(inv->groups[1].satisfied_by, WH_SATISFIED_ONE_OF);
    CHECK(inv->groups[1].has_required);
    CHECK(inv->groups[1].required);
    CHECK_STR(inv->groups[2].name, "utility");
    CHECK_INT(inv->groups[2].satisfied_by, WH_SATISFIED_OPTIONAL);

    CHECK_INT(inv->n_parcels, 4);
    const wh_parcel *p = &inv->parcels[0];
    CHECK_STR(p->label.name, "daemon");
    CHECK(p->has_conditions);
    CHECK(p->has_member_of);
    CHECK_INT(p->member_of.n, 1);
    CHECK_STR(p->member_of.items[0], "server");
    CHECK(p->has_requires);
    CHECK_INT(p->requires.n, 1);
    CHECK_STR(p->requires.items[0], "utility");
    p = &inv->parcels[1];
    CHECK_INT(p->member_of.n, 2);
    CHECK_STR(p->member_of.items[0], "cli");
    CHECK_STR(p->member_of.items[1], "utility");
    CHECK(!p->has_requires);
    CHECK_STR(inv->parcels[3].member_of.items[0], "utility");
    CHECK_STR(inv->parcels[3].label.media_type, "application/x-javascript");
    wh_invoice_free(inv);
}

static void test_alt_format_invoice(void)
{
    wh_invoice *inv = load_fixture("alt-format-invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    CHECK_INT(inv->n_parcels, 3);
    /* [parcel.label] and [parcel.conditions] sub-tables... */
    const wh_parcel *p = &inv->parcels[0];
    CHECK_STR(p->label.sha256, "e1706ab0a39ac88094b6d54a3f5cdba41fe5a901");
    CHECK_STR(p->label.name, "myparcel.html");
    CHECK_INT(p->label.size, 123456);
    CHECK(p->has_conditions);
    CHECK_INT(p->member_of.n, 1);
    CHECK_STR(p->member_of.items[0], "server");
    /* ...and dotted keys give the same model. */
    p = &inv->parcels[1];
    CHECK_STR(p->label.name, "style.css");
    CHECK_STR(p->label.media_type, "text/css");
    CHECK_INT(p->label.size, 248098);
    CHECK(!p->has_conditions);
    wh_invoice_free(inv);

    /* The same parcel written as an inline table. */
    const char *doc = "bindleVersion = \"1.0.0\"\n"
                      "[bindle]\nname = \"n\"\nversion = \"1.0.0\"\n"
                      "[[parcel]]\n"
                      "label = { sha256 = \"abc\", mediaType = \"text/css\", "
                      "name = \"style.css\", size = 248098 }\n";
    wh_err err = {0};
    CHECK_INT(wh_invoice_parse_toml(doc, strlen(doc), NULL, &inv, &err), 0);
    if (inv) {
        CHECK_STR(inv->parcels[0].label.name, "style.css");
        CHECK_INT(inv->parcels[0].label.size, 248098);
    }
    wh_invoice_free(inv);
}

static void test_valid_v1_signature(void)
{
    wh_invoice *inv = load_fixture("scaffolds/valid_v1/invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    CHECK_STR(inv->bindle.name, "enterprise.com/warpcore");
    CHECK_STR(inv->bindle.version, "1.0.0");
    CHECK_INT(inv->n_signatures, 1);
    const wh_signature *s = &inv->signatures[0];
    CHECK_STR(s->by, "Starfleet Command <starfleet@ufp.com>");
    CHECK_STR(s->signature, "1oKW+2RXsE/lSXy3y+0MKKZDhnPModgTxfKuMSMMnVEZlgENIE9q"
                            "OMTUrQga0QxSiAZiFH15fYkcveC8up8FDA==");
    CHECK_STR(s->key, "Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=");
    CHECK_STR(s->role, "creator");
    CHECK_INT(s->at, 1643927146);
    const char *sha = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5";
    const wh_parcel *p = wh_invoice_find_parcel(inv, sha);
    CHECK(p == &inv->parcels[0]);
    CHECK(p && p->label.size == 9);
    CHECK(wh_invoice_find_parcel(inv, "00") == NULL);
    wh_invoice_free(inv);
}

static void test_fixture_validation(void)
{
    static const char *const fail[] = {
        "simple-invoice.toml", "full-invoice.toml", "alt-format-invoice.toml",
        "scaffolds/incomplete/invoice.toml", "scaffolds/invalid/invoice.toml"};
    for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++) {
        wh_invoice *inv = load_fixture(fail[i]);
        CHECK(inv != NULL);
        wh_err err = {0};
        CHECK_INT(wh_invoice_validate(inv, &err), WH_EINVAL);
        CHECK_CONTAINS(err.msg, "parcel[0].label.sha256");
        CHECK_CONTAINS(err.msg, "is not a sha256");
        wh_invoice_free(inv);
    }
    char names[MAX_FIXTURES][NAME_LEN];
    size_t n = list_fixtures(names);
    size_t passed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strstr(names[i], "valid_v") && !strstr(names[i], "lotsa") &&
            !strstr(names[i], "standalone/"))
            continue;
        wh_invoice *inv = load_fixture(names[i]);
        wh_err err = {0};
        int rc = wh_invoice_validate(inv, &err);
        if (rc)
            fprintf(stderr, "  %s: %s\n", names[i], err.msg);
        CHECK_INT(rc, 0);
        passed += rc == 0;
        wh_invoice_free(inv);
    }
    CHECK_INT(passed, 4);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */
/* ------------------------------------------------------------------ */

/* Checks every trip for one invoice: TOML->TOML, ->JSON->TOML, JSON->JSON,
 * and that a second emission gives the same bytes as the first. */
static void check_round_trips(const wh_invoice *inv, const char *what)
{
    wh_err err = {0};
    char *t1 = NULL, *t2 = NULL, *j1 = NULL, *j2 = NULL, *t3 = NULL;
    size_t lt1, lt2, lj1, lj2, lt3;
    wh_invoice *a = NULL, *b = NULL, *c = NULL;

    CHECK_INT(wh_invoice_emit_toml(inv, &t1, &lt1, &err), 0);
    CHECK_INT(wh_invoice_parse_toml(t1, lt1, NULL, &a, &err), 0);
    if (!a) {
        fprintf(stderr, "  %s: re-parse of TOML failed: %s\n%s\n", what,
                err.msg, t1);
        goto done;
    }
    CHECK(wh_invoice_equal(inv, a));
    CHECK_INT(wh_invoice_emit_toml(a, &t2, &lt2, &err), 0);
    CHECK_STR(t1, t2);
    CHECK_INT(lt1, lt2);

    CHECK_INT(wh_invoice_emit_json(inv, &j1, &lj1, &err), 0);
    CHECK_INT(wh_invoice_parse_json(j1, lj1, NULL, &b, &err), 0);
    if (!b) {
        fprintf(stderr, "  %s: re-parse of JSON failed: %s\n%s\n", what,
                err.msg, j1);
        goto done;
    }
    CHECK(wh_invoice_equal(inv, b));
    CHECK_INT(wh_invoice_emit_json(b, &j2, &lj2, &err), 0);
    CHECK_STR(j1, j2);

    CHECK_INT(wh_invoice_emit_toml(b, &t3, &lt3, &err), 0);
    CHECK_STR(t1, t3);
    CHECK_INT(wh_invoice_parse_toml(t3, lt3, NULL, &c, &err), 0);
    CHECK(wh_invoice_equal(inv, c));
done:
    if (!wh_invoice_equal(inv, a) || !wh_invoice_equal(inv, b))
        fprintf(stderr, "  round trip of %s differs\n", what);
    free(t1);
    free(t2);
    free(t3);
    free(j1);
    free(j2);
    wh_invoice_free(a);
    wh_invoice_free(b);
    wh_invoice_free(c);
}

static void test_fixture_round_trips(void)
{
    char names[MAX_FIXTURES][NAME_LEN];
    size_t n = list_fixtures(names);
    for (size_t i = 0; i < n; i++) {
        wh_invoice *inv = load_fixture(names[i]);
        CHECK(inv != NULL);
        if (inv)
            check_round_trips(inv, names[i]);
        wh_invoice_free(inv);
    }
}

static const char *const everything_json =
    "{\"bindleVersion\":\"1.0.0\",\"yanked\":false,\"yanked_reason\":\"r\\n\\\"q\\\"\","
    "\"yanked_signature\":[],"
    "\"bindle\":{\"name\":\"caf\xc3\xa9/app\",\"version\":\"1.2.3-rc.1+b5\","
    "\"authors\":[],\"description\":\"\\ttabs and \\u00e9\"},"
    "\"annotations\":{},"
    "\"parcel\":[{\"label\":{\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000001\","
    "\"mediaType\":\"application/wasm\",\"name\":\"a.wasm\",\"size\":0,"
    "\"annotations\":{\"z\":\"1\",\"a\":\"2\"},"
    "\"feature\":{\"wasm\":{\"wasi\":\"true\"},\"arch\":{\"target\":\"x\",\"abi\":\"y\"}},"
    "\"origin\":\"\"},"
    "\"conditions\":{}},"
    "{\"label\":{\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000002\","
    "\"mediaType\":\"text/plain\",\"name\":\"d/b.txt\",\"size\":9223372036854775807,"
    "\"annotations\":{}},"
    "\"conditions\":{\"memberOf\":[],\"requires\":[\"g\"]}}],"
    "\"group\":[{\"name\":\"g\",\"required\":false},{\"name\":\"h\"}],"
    "\"signature\":[{\"by\":\"me\",\"signature\":\"c2ln\",\"key\":\"a2V5\","
    "\"role\":\"host\",\"at\":-5}]}";

/* Explicit empties and explicit defaults must all survive every trip. */
static void test_has_flags_survive(void)
{
    wh_invoice *inv = NULL;
    wh_err err = {0};
    int rc = wh_invoice_parse_json(everything_json, strlen(everything_json),
                                   NULL, &inv, &err);
    CHECK_INT(rc, 0);
    if (rc) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    CHECK(inv->has_yanked && !inv->yanked);
    CHECK(inv->has_yanked_signatures && inv->n_yanked_signatures == 0);
    CHECK(inv->bindle.has_authors && inv->bindle.authors.n == 0);
    CHECK(inv->has_annotations && inv->annotations.n == 0);
    const wh_parcel *p = &inv->parcels[0];
    CHECK(p->has_conditions && !p->has_member_of && !p->has_requires);
    CHECK_STR(p->label.origin, "");
    CHECK_INT(p->label.size, 0);
    /* Maps come out sorted by key. */
    CHECK_STR(p->label.annotations.items[0].key, "a");
    CHECK_STR(p->label.annotations.items[1].key, "z");
    CHECK_INT(p->label.n_features, 3);
    CHECK_STR(p->label.features[0].section, "arch");
    CHECK_STR(p->label.features[0].name, "abi");
    CHECK_STR(p->label.features[1].name, "target");
    CHECK_STR(p->label.features[2].section, "wasm");
    CHECK_STR(p->label.features[2].value, "true");
    p = &inv->parcels[1];
    CHECK(p->label.has_annotations && p->label.annotations.n == 0);
    CHECK(p->has_member_of && p->member_of.n == 0);
    CHECK_INT(p->label.size, INT64_MAX);
    CHECK(inv->groups[0].has_required && !inv->groups[0].required);
    CHECK(!inv->groups[1].has_required && !inv->groups[1].has_satisfied_by);
    CHECK_INT(inv->signatures[0].at, -5);
    CHECK_INT(wh_invoice_validate(inv, &err), 0);
    check_round_trips(inv, "everything_json");
    wh_invoice_free(inv);
}

static void test_canonical_json(void)
{
    wh_invoice *inv = load_fixture("scaffolds/valid_v1/invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    char *out = NULL;
    size_t len = 0;
    wh_err err = {0};
    CHECK_INT(wh_invoice_emit_json(inv, &out, &len, &err), 0);
    CHECK_STR(out,
              "{\"bindleVersion\":\"1.0.0\","
              "\"bindle\":{\"name\":\"enterprise.com/warpcore\",\"version\":\"1.0.0\","
              "\"authors\":[\"Geordi La Forge <mycoolvisor@ufp.com>\"],"
              "\"description\":\"Warp core components\"},"
              "\"annotations\":{\"engineering_location\":\"main\"},"
              "\"parcel\":[{\"label\":{\"sha256\":\"23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5\","
              "\"mediaType\":\"text/plain\",\"name\":\"isolinear_chip.txt\",\"size\":9}}],"
              "\"signature\":[{\"by\":\"Starfleet Command <starfleet@ufp.com>\","
              "\"signature\":\"1oKW+2RXsE/lSXy3y+0MKKZDhnPModgTxfKuMSMMnVEZlgENIE9qOMTUrQga0QxSiAZiFH15fYkcveC8up8FDA==\","
              "\"key\":\"Kcs1TSFDkN+dED0Y6Np0fPBqmvUz0EAULIlUsnlU1sw=\","
              "\"role\":\"creator\",\"at\":1643927146}]}");
    CHECK_INT(len, out ? strlen(out) : 0);
    free(out);

    char *toml = NULL;
    CHECK_INT(wh_invoice_emit_toml(inv, &toml, &len, &err), 0);
    CHECK_CONTAINS(toml, "bindleVersion = \"1.0.0\"\n");
    CHECK_CONTAINS(toml, "[bindle]\n");
    CHECK_CONTAINS(toml, "[[parcel]]\n");
    CHECK_CONTAINS(toml, "[parcel.label]\n");
    CHECK_CONTAINS(toml, "size = 9\n");
    CHECK_CONTAINS(toml, "[[signature]]\n");
    CHECK_CONTAINS(toml, "at = 1643927146\n");
    free(toml);

    json_t *label = wh_label_to_json(&inv->parcels[0].label);
    char *s = json_dumps(label, JSON_COMPACT);
    CHECK_STR(s, "{\"sha256\":\"23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5\","
                 "\"mediaType\":\"text/plain\",\"name\":\"isolinear_chip.txt\",\"size\":9}");
    free(s);
    json_decref(label);
    json_t *sig = wh_signature_to_json(&inv->signatures[0]);
    CHECK_STR(json_string_value(json_object_get(sig, "role")), "creator");
    CHECK_INT(json_integer_value(json_object_get(sig, "at")), 1643927146);
    CHECK_INT(json_object_size(sig), 5);
    json_decref(sig);
    wh_invoice_free(inv);
}

static void test_utf8_kept_in_json(void)
{
    const char *doc = "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"caf\xc3\xa9\"\n"
                      "version = \"1.0.0\"\ndescription = \"\xe6\x97\xa5\xe6\x9c\xac\"\n";
    wh_invoice *inv = NULL;
    wh_err err = {0};
    CHECK_INT(wh_invoice_parse_toml(doc, strlen(doc), NULL, &inv, &err), 0);
    char *out = NULL;
    size_t len;
    CHECK_INT(wh_invoice_emit_json(inv, &out, &len, &err), 0);
    CHECK_CONTAINS(out, "\"name\":\"caf\xc3\xa9\"");
    CHECK_CONTAINS(out, "\"description\":\"\xe6\x97\xa5\xe6\x9c\xac\"");
    free(out);
    wh_invoice_free(inv);
}

static void test_equal_notices_differences(void)
{
    wh_invoice *a = load_fixture("full-invoice.toml");
    wh_invoice *b = load_fixture("full-invoice.toml");
    CHECK(a && b);
    if (!a || !b)
        goto done;
    CHECK(wh_invoice_equal(a, b));
    b->groups[2].satisfied_by = WH_SATISFIED_ONE_OF;
    CHECK(!wh_invoice_equal(a, b));
    b->groups[2].satisfied_by = WH_SATISFIED_OPTIONAL;
    CHECK(wh_invoice_equal(a, b));
    b->parcels[1].label.size++;
    CHECK(!wh_invoice_equal(a, b));
    b->parcels[1].label.size--;
    b->parcels[0].has_requires = false;
    CHECK(!wh_invoice_equal(a, b));
    b->parcels[0].has_requires = true;
    b->bindle.description = wh_arena_strdup(&b->arena, "");
    CHECK(!wh_invoice_equal(a, b));
    CHECK(!wh_invoice_equal(a, NULL));
    CHECK(wh_invoice_equal(NULL, NULL));
done:
    wh_invoice_free(a);
    wh_invoice_free(b);
}

static void test_emit_refuses_unrepresentable(void)
{
    wh_invoice *inv = load_fixture("scaffolds/valid_v1/invoice.toml");
    CHECK(inv != NULL);
    if (!inv)
        return;
    inv->parcels[0].label.size = (uint64_t)INT64_MAX + 1;
    wh_err err = {0};
    CHECK_INT(wh_invoice_validate(inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "2^63-1");
    char *out = (char *)1;
    size_t len;
    CHECK_INT(wh_invoice_emit_json(inv, &out, &len, &err), WH_EINVAL);
    CHECK(out == NULL);
    CHECK_CONTAINS(err.msg, "parcel[0].label.size");
    CHECK_INT(wh_invoice_emit_toml(inv, &out, &len, &err), WH_EINVAL);
    CHECK(wh_label_to_json(&inv->parcels[0].label) == NULL);
    wh_invoice_free(inv);
}

/* ------------------------------------------------------------------ */
/* Names and hashes                                                    */
/* ------------------------------------------------------------------ */

static void test_name_rules(void)
{
    static const char *const good[] = {
        "x", "enterprise.com/warpcore", "a-b_c.d/e", "caf\xc3\xa9",
        "\xe6\x97\xa5\xe6\x9c\xac/\xe5\x90\x8d", "v1.2", "\xd0\x9f\xd1\x80\xd0\xb8"};
    wh_err err = {0};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int rc = wh_name_validate(good[i], &err);
        if (rc)
            fprintf(stderr, "  %s: %s\n", good[i], err.msg);
        CHECK_INT(rc, 0);
    }
    char name[300];
    memset(name, 'a', 255);
    name[255] = '\0';
    CHECK_INT(wh_name_validate(name, &err), 0);
    name[255] = 'a';
    name[256] = '\0';
    CHECK_INT(wh_name_validate(name, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "256 bytes");
    CHECK_CONTAINS(err.msg, "...");
    CHECK_INT(wh_name_validate(NULL, &err), WH_EINVAL);
    /* Invalid UTF-8: a lone continuation byte, an overlong '/', a surrogate. */
    CHECK_INT(wh_name_validate("a\x80", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not valid UTF-8");
    CHECK_CONTAINS(err.msg, "\\x80");
    CHECK_INT(wh_name_validate("a\xc0\xaf", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not valid UTF-8");
    CHECK_INT(wh_name_validate("a\xed\xa0\x80", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "not valid UTF-8");
    CHECK_INT(wh_name_validate("\xe2\x80\xae" "evil", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "U+202E");
    /* The quoted value in the message does not carry the raw override. */
    CHECK(strstr(err.msg, "\xe2\x80\xae") == NULL);
    CHECK_INT(wh_name_validate("x\xf0\x9f\x98\x80", &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "U+1F600");
}

static void test_sha256_hex_valid(void)
{
    const char *good = "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5";
    CHECK(wh_sha256_hex_valid(good));
    CHECK(!wh_sha256_hex_valid(NULL));
    CHECK(!wh_sha256_hex_valid(""));
    CHECK(!wh_sha256_hex_valid("e1706ab0a39ac88094b6d54a3f5cdba41fe5a901"));
    CHECK(!wh_sha256_hex_valid(
        "23F310B54076878FD4C36F0C60EC92011A8B406349B98DD37D08577D17397DE5"));
    CHECK(!wh_sha256_hex_valid(
        "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de"));
    CHECK(!wh_sha256_hex_valid(
        "23f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de50"));
    CHECK(!wh_sha256_hex_valid(
        "g3f310b54076878fd4c36f0c60ec92011a8b406349b98dd37d08577d17397de5"));
}

/* ------------------------------------------------------------------ */
/* The table of bad invoices                                           */
/* ------------------------------------------------------------------ */

#define SHA1 "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA2 "2222222222222222222222222222222222222222222222222222222222222222"
#define SHA3 "3333333333333333333333333333333333333333333333333333333333333333"

/* The smallest valid TOML invoice around a bindle name / version. */
#define NV(name, version)                                                    \
    "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"" name "\"\n"             \
    "version = \"" version "\"\n"
#define NAMED(name) NV(name, "1.0.0")
#define HDR NAMED("x")
#define LABEL(sha, name) \
    "{ sha256 = \"" sha "\", mediaType = \"text/plain\", name = \"" name "\", size = 1 }"
#define PARCEL(sha, name) "[[parcel]]\nlabel = " LABEL(sha, name) "\n"
#define PARCEL_IN(sha, name, cond) \
    "[[parcel]]\nlabel = " LABEL(sha, name) "\nconditions = " cond "\n"
#define GROUP(name) "[[group]]\nname = \"" name "\"\n"
#define SIG(key, role) \
    "[[signature]]\nby = \"b\"\nsignature = \"s\"\nkey = \"" key "\"\nrole = \"" role "\"\nat = 1\n"
#define JHDR "\"bindleVersion\":\"1.0.0\",\"bindle\":{\"name\":\"x\",\"version\":\"1.0.0\"}"

enum fmt { T, J };                 /* TOML or JSON */
enum lim { DEF, TINY };            /* default limits or the tiny ones */

static const wh_invoice_limits tiny_limits = {
    .max_bytes = 600,
    .max_parcels = 1,
    .max_groups = 1,
    .max_signatures = 1,
    .max_string = 8,
    .max_list = 2,
};

static const struct bad {
    enum fmt fmt;
    enum lim lim;
    const char *doc;
    int code;
    const char *needle;
} bad[] = {
    /* Bindle names. */
    {T, DEF, NAMED(""), WH_EINVAL, "bindle name is empty"},
    {T, DEF, NAMED("/abs"), WH_EINVAL, "starts with '/'"},
    {T, DEF, NAMED("a/"), WH_EINVAL, "ends with '/'"},
    {T, DEF, NAMED("a//b"), WH_EINVAL, "contains \"//\""},
    {T, DEF, NAMED("a..b"), WH_EINVAL, "contains \"..\""},
    {T, DEF, NAMED("a@b"), WH_EINVAL, "contains '@'"},
    {T, DEF, NAMED("a:b"), WH_EINVAL, "contains ':'"},
    {T, DEF, NAMED("a\\u0001b"), WH_EINVAL, "control character 0x01 at byte 1"},
    {T, DEF, NAMED("a\\u007fb"), WH_EINVAL, "control character 0x7F"},
    {T, DEF, NAMED("a b"), WH_EINVAL, "contains ' '; only letters"},
    {T, DEF, NAMED("a*b"), WH_EINVAL, "contains '*'"},
    {T, DEF, NAMED("a\\u0085b"), WH_EINVAL, "U+0085, a control character"},
    {T, DEF, NAMED("a\\u00a0b"), WH_EINVAL, "\"a\\xA0b\" contains U+00A0, a space"},
    {T, DEF, NAMED("a\\u2028b"), WH_EINVAL, "U+2028, a line or paragraph separator"},
    {T, DEF, NAMED("a\\ufeffb"), WH_EINVAL, "U+FEFF"},
    {T, DEF, NAMED("a\\u3000b"), WH_EINVAL, "U+3000, a space"},
    /* Versions. */
    {T, DEF, NV("x", "1.0"), WH_EINVAL, "bindle.version \"1.0\" is not strict SemVer"},
    {T, DEF, NV("x", "01.0.0"), WH_EINVAL, "bindle.version \"01.0.0\" is not strict SemVer"},
    {T, DEF, NV("x", "v1.0.0"), WH_EINVAL, "bindle.version \"v1.0.0\" is not strict SemVer"},
    {T, DEF, NV("x", "1.0.0-"), WH_EINVAL, "bindle.version"},
    {T, DEF, "bindleVersion = \"2.0.0\"\n[bindle]\nname = \"x\"\nversion = \"1.0.0\"\n",
     WH_EINVAL, "bindleVersion \"2.0.0\" is not supported"},
    /* Hashes and sizes. */
    {T, DEF, HDR PARCEL("e1706ab0a39ac88094b6d54a3f5cdba41fe5a901", "a"), WH_EINVAL,
     "parcel[0].label.sha256 \"e1706ab0a39ac88094b6d54a3f5cdba41fe5a901\" is not a "
     "sha256: expected 64 lowercase hex digits, got 40 characters"},
    {T, DEF, HDR PARCEL("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a"),
     WH_EINVAL, "is not a sha256"},
    {T, DEF, HDR "[[parcel]]\nlabel = { sha256 = \"" SHA1 "\", mediaType = \"t/p\", "
     "name = \"a\", size = -1 }\n",
     WH_EINVAL, "parcel[0].label.size: expected a non-negative integer, got -1"},
    {T, DEF, HDR "[[parcel]]\nlabel = { sha256 = \"" SHA1 "\", mediaType = \"t/p\", "
     "name = \"a\", size = \"12\" }\n",
     WH_EINVAL, "parcel[0].label.size: expected a non-negative integer, got string"},
    {J, DEF, "{" JHDR ",\"parcel\":[{\"label\":{\"sha256\":\"" SHA1 "\",\"mediaType\":\"t/p\","
     "\"name\":\"a\",\"size\":1.5}}]}",
     WH_EINVAL, "parcel[0].label.size: expected a non-negative integer, got float"},
    /* Label names and media types. */
    {T, DEF, HDR PARCEL(SHA1, ""), WH_EINVAL, "parcel[0].label.name is empty"},
    {T, DEF, HDR PARCEL(SHA1, "/etc/passwd"), WH_EINVAL,
     "parcel[0].label.name \"/etc/passwd\" is an absolute path"},
    {T, DEF, HDR PARCEL(SHA1, "a/../b"), WH_EINVAL, "has a \"..\" path segment"},
    {T, DEF, HDR PARCEL(SHA1, "./b"), WH_EINVAL, "has a \".\" path segment"},
    {T, DEF, HDR PARCEL(SHA1, "a\\\\b"), WH_EINVAL, "contains a backslash"},
    {T, DEF, HDR PARCEL(SHA1, "a//b"), WH_EINVAL, "has an empty path segment"},
    {T, DEF, HDR PARCEL(SHA1, "dir/"), WH_EINVAL, "has an empty path segment"},
    {T, DEF, HDR PARCEL(SHA1, "a\\u0007b"), WH_EINVAL,
     "contains the control character U+0007 at byte 1"},
    {T, DEF, HDR "[[parcel]]\nlabel = { sha256 = \"" SHA1 "\", mediaType = \"\", "
     "name = \"a\", size = 1 }\n",
     WH_EINVAL, "parcel[0].label.mediaType is empty"},
    {T, DEF, HDR "[[parcel]]\nlabel = { sha256 = \"" SHA1 "\", mediaType = \"text/\\u00e9\", "
     "name = \"a\", size = 1 }\n",
     WH_EINVAL, "contains byte 0xC3 at 5; only printable ASCII"},
    /* Duplicates. */
    {T, DEF, HDR PARCEL(SHA1, "a") PARCEL(SHA2, "b") PARCEL(SHA1, "c") PARCEL(SHA2, "d"),
     WH_EINVAL, "parcel[2]: sha256 " SHA1 " is already listed as parcel[0]"},
    {T, DEF, HDR GROUP("g") GROUP("h") GROUP("g"), WH_EINVAL,
     "group[2]: the name \"g\" is already used by group[0]"},
    /* Groups. */
    {T, DEF, HDR GROUP("g") PARCEL(SHA1, "a") PARCEL_IN(SHA2, "x", "{ memberOf = [\"g\", \"foo\"] }"),
     WH_EINVAL,
     "parcel[1] (name \"x\"): conditions.memberOf names group \"foo\", which no [[group]] defines"},
    {T, DEF, HDR GROUP("g") PARCEL_IN(SHA1, "a", "{ requires = [\"nope\"] }"), WH_EINVAL,
     "parcel[0] (name \"a\"): conditions.requires names group \"nope\""},
    {T, DEF, HDR GROUP("a") GROUP("b")
     PARCEL_IN(SHA1, "p", "{ memberOf = [\"a\"], requires = [\"b\"] }")
     PARCEL_IN(SHA2, "q", "{ memberOf = [\"b\"], requires = [\"a\"] }"),
     WH_EINVAL, "group cycle: a -> b -> a"},
    {T, DEF, HDR GROUP("a") PARCEL_IN(SHA1, "p", "{ memberOf = [\"a\"], requires = [\"a\"] }"),
     WH_EINVAL, "group cycle: a -> a"},
    {T, DEF, HDR GROUP("z") GROUP("a") GROUP("b") GROUP("c")
     PARCEL_IN(SHA1, "p", "{ memberOf = [\"a\"], requires = [\"b\"] }")
     PARCEL_IN(SHA2, "q", "{ memberOf = [\"b\"], requires = [\"c\", \"z\"] }")
     PARCEL_IN(SHA3, "r", "{ memberOf = [\"c\"], requires = [\"a\"] }"),
     WH_EINVAL, "group cycle: a -> b -> c -> a"},
    {T, DEF, HDR "[[group]]\nname = \"g\"\nsatisfiedBy = \"some\"\n", WH_EINVAL,
     "group[0].satisfiedBy: expected \"allOf\", \"oneOf\" or \"optional\", got \"some\""},
    {T, DEF, HDR "[[group]]\nname = \"g\"\nrequired = \"yes\"\n", WH_EINVAL,
     "group[0].required: expected a boolean, got string"},
    {T, DEF, HDR GROUP(""), WH_EINVAL, "group[0].name is empty"},
    /* Signatures. */
    {T, DEF, HDR SIG("k", "boss"), WH_EINVAL,
     "signature[0].role \"boss\": expected creator, approver, proxy or host"},
    {T, DEF, HDR SIG("k1", "creator") SIG("k1", "approver"), WH_EINVAL,
     "signature[1]: key \"k1\" already signed as signature[0]"},
    {T, DEF, "yanked = true\nyanked_signature = [{ by = \"b\", signature = \"s\", "
     "key = \"k\", role = \"nobody\", at = 1 }]\n" HDR,
     WH_EINVAL, "yanked_signature[0].role \"nobody\""},
    {T, DEF, HDR "[[signature]]\nby = \"b\"\nsignature = \"s\"\nkey = \"k\"\nrole = \"host\"\nat = \"now\"\n",
     WH_EINVAL, "signature[0].at: expected an integer (unix seconds), got string"},
    {T, DEF, HDR "[[signature]]\nby = \"b\"\nsignature = \"s\"\nkey = \"k\"\nat = 1\n",
     WH_EINVAL, "signature[0]: missing required field \"role\""},
    /* Unknown fields, at every level. */
    {T, DEF, "foo = 1\n" HDR, WH_EINVAL, "top level: unknown field \"foo\""},
    {T, DEF, HDR "homepage = \"h\"\n", WH_EINVAL, "bindle: unknown field \"homepage\""},
    {T, DEF, HDR GROUP("g") PARCEL(SHA1, "a") PARCEL(SHA2, "b")
     "[[parcel]]\nlabel = { sha = \"x\" }\n",
     WH_EINVAL, "parcel[2].label: unknown field \"sha\""},
    {T, DEF, HDR PARCEL_IN(SHA1, "a", "{ memberof = [] }"), WH_EINVAL,
     "parcel[0].conditions: unknown field \"memberof\""},
    {T, DEF, HDR PARCEL(SHA1, "a") "extra = 1\n", WH_EINVAL,
     "parcel[0]: unknown field \"extra\""},
    {T, DEF, HDR "[[group]]\nname = \"g\"\ndesc = \"d\"\n", WH_EINVAL,
     "group[0]: unknown field \"desc\""},
    {T, DEF, HDR SIG("k", "host") "extra = 1\n", WH_EINVAL,
     "signature[0]: unknown field \"extra\""},
    {J, DEF, "{" JHDR ",\"parcel\":[{\"label\":{\"sha256\":\"" SHA1 "\",\"mediaType\":\"t/p\","
     "\"name\":\"a\",\"size\":1,\"feature\":{\"wasm\":{\"wasi\":\"true\"}},\"x\\u0001\":1}}]}",
     WH_EINVAL, "parcel[0].label: unknown field \"x\\x01\""},
    /* Wrong types and missing fields. */
    {T, DEF, "bindleVersion = 1\n[bindle]\nname = \"x\"\nversion = \"1.0.0\"\n", WH_EINVAL,
     "bindleVersion: expected a string, got integer"},
    {T, DEF, "yanked = \"yes\"\n" HDR, WH_EINVAL, "yanked: expected a boolean, got string"},
    {T, DEF, HDR "authors = \"me\"\n", WH_EINVAL,
     "bindle.authors: expected an array of strings, got string"},
    {T, DEF, HDR "authors = [\"me\", 1]\n", WH_EINVAL,
     "bindle.authors[1]: expected a string, got integer"},
    {T, DEF, HDR "[annotations]\nk = 1\n", WH_EINVAL,
     "annotations.k: expected a string, got integer"},
    {J, DEF, "{" JHDR ",\"parcel\":1}", WH_EINVAL,
     "parcel: expected an array of tables, got integer"},
    {J, DEF, "{" JHDR ",\"parcel\":[\"p\"]}", WH_EINVAL, "parcel[0]: expected a table, got string"},
    {J, DEF, "{\"bindleVersion\":\"1.0.0\",\"bindle\":null}", WH_EINVAL,
     "bindle: expected a table, got null"},
    {J, DEF, "{\"bindleVersion\":\"1.0.0\",\"bindle\":{\"name\":\"x\",\"version\":null}}",
     WH_EINVAL, "bindle.version: expected a string, got null"},
    {T, DEF, HDR "[[parcel]]\n[parcel.label]\nsha256 = \"" SHA1 "\"\nmediaType = \"t\"\n"
     "name = \"a\"\nsize = 1\n[parcel.label.feature]\nwasm = \"x\"\n", WH_EINVAL,
     "parcel[0].label.feature.wasm: expected a table of strings, got string"},
    {T, DEF, HDR "[[parcel]]\n[parcel.label]\nsha256 = \"" SHA1 "\"\nmediaType = \"t\"\n"
     "name = \"a\"\nsize = 1\n[parcel.label.feature.wasm]\nwasi = true\n", WH_EINVAL,
     "parcel[0].label.feature.wasm.wasi: expected a string, got boolean"},
    {T, DEF, "bindleVersion = \"1.0.0\"\n", WH_EINVAL, "top level: missing required field \"bindle\""},
    {T, DEF, "bindleVersion = \"1.0.0\"\n[bindle]\nname = \"x\"\n", WH_EINVAL,
     "bindle: missing required field \"version\""},
    {T, DEF, HDR "[[parcel]]\nlabel = { sha256 = \"" SHA1 "\", mediaType = \"t\", name = \"a\" }\n",
     WH_EINVAL, "parcel[0].label: missing required field \"size\""},
    {T, DEF, HDR "[[parcel]]\nconditions = {}\n", WH_EINVAL,
     "parcel[0]: missing required field \"label\""},
    {T, DEF, HDR "description = \"a\\u0000b\"\n", WH_EINVAL,
     "bindle.description: the string holds a NUL character"},
    {J, DEF, "{" JHDR ",\"annotations\":{\"it's\":\"v\"}}", WH_EINVAL,
     "annotations: the key \"it's\" holds a control character or a single quote"},
    /* Limits. */
    {T, TINY, HDR "description = \"" SHA1 SHA1 SHA1 SHA1 SHA1 SHA1 SHA1 SHA1 SHA1 SHA1 "\"\n",
     WH_ETOOBIG, "over the limit max_bytes = 600"},
    {T, TINY, HDR PARCEL(SHA1, "a") PARCEL(SHA2, "b"), WH_ETOOBIG,
     "parcel: 2 entries are over the limit max_parcels = 1"},
    {T, TINY, HDR GROUP("a") GROUP("b"), WH_ETOOBIG,
     "group: 2 entries are over the limit max_groups = 1"},
    {T, TINY, HDR SIG("a", "host") SIG("b", "host"), WH_ETOOBIG,
     "signature: 2 entries are over the limit max_signatures = 1"},
    {T, TINY, HDR "description = \"123456789\"\n", WH_ETOOBIG,
     "bindle.description: a string of 9 bytes is over the limit max_string = 8"},
    {T, TINY, HDR "authors = [\"a\", \"b\", \"c\"]\n", WH_ETOOBIG,
     "bindle.authors: 3 entries are over the limit max_list = 2"},
    {T, TINY, HDR "[annotations]\na = \"1\"\nb = \"2\"\nc = \"3\"\n", WH_ETOOBIG,
     "annotations: 3 entries are over the limit max_list = 2"},
    {T, TINY, HDR "[annotations]\nlongerkey = \"1\"\n", WH_ETOOBIG,
     "annotations: a key of 9 bytes is over the limit max_string = 8"},
    /* Syntax. */
    {T, DEF, HDR "[[parcel]\n", WH_EINVAL, "invalid TOML: line 5, column"},
    {J, DEF, "{\"bindleVersion\": }", WH_EINVAL, "invalid JSON: line 1, column"},
    {J, DEF, "{" JHDR ",\"bindleVersion\":\"1.0.0\"}", WH_EINVAL, "duplicate"},
    {J, DEF, "[1]", WH_EINVAL, "an invoice must be a table, not array"},
    {J, DEF, "{" JHDR ",\"yanked_reason\":\"a\\u0000b\"}", WH_EINVAL, "invalid JSON"},
};

static void test_bad_invoices(void)
{
    size_t n = sizeof bad / sizeof bad[0];
    CHECK(n >= 40);
    for (size_t i = 0; i < n; i++) {
        const struct bad *b = &bad[i];
        const wh_invoice_limits *lim = b->lim == TINY ? &tiny_limits : NULL;
        wh_invoice *inv = NULL;
        wh_err err = {0};
        int rc = b->fmt == T
                     ? wh_invoice_parse_toml(b->doc, strlen(b->doc), lim, &inv, &err)
                     : wh_invoice_parse_json(b->doc, strlen(b->doc), lim, &inv, &err);
        if (rc == 0) {
            CHECK(inv != NULL);
            rc = wh_invoice_validate(inv, &err);
        } else {
            CHECK(inv == NULL);
        }
        if (rc != b->code || !strstr(err.msg, b->needle))
            fprintf(stderr, "  bad[%zu]: got %d \"%s\", want %d \"%s\"\n", i, rc,
                    err.msg, b->code, b->needle);
        CHECK_INT(rc, b->code);
        CHECK_CONTAINS(err.msg, b->needle);
        wh_invoice_free(inv);
    }
}

/* The documents of the table minus their fault must pass, or the table
 * would test nothing. */
static void test_good_neighbours_pass(void)
{
    static const char *const good[] = {
        NAMED("caf\\u00e9/x-y_z.1"),
        NV("x", "1.0.0-rc.1+build.5"),
        HDR PARCEL(SHA1, "a/b/c.txt") PARCEL(SHA2, "b"),
        HDR GROUP("a") GROUP("b")
        PARCEL_IN(SHA1, "p", "{ memberOf = [\"a\"], requires = [\"b\"] }")
        PARCEL_IN(SHA2, "q", "{ memberOf = [\"b\"] }")
        PARCEL_IN(SHA3, "r", "{ requires = [\"a\"] }"),
        HDR SIG("k1", "creator") SIG("k2", "approver") SIG("k3", "proxy") SIG("k4", "host"),
        "yanked = true\nyanked_reason = \"bad\"\n" HDR,
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        wh_invoice *inv = NULL;
        wh_err err = {0};
        int rc = wh_invoice_parse_toml(good[i], strlen(good[i]), NULL, &inv, &err);
        if (!rc)
            rc = wh_invoice_validate(inv, &err);
        if (rc)
            fprintf(stderr, "  good[%zu]: %s\n", i, err.msg);
        CHECK_INT(rc, 0);
        if (inv)
            check_round_trips(inv, "good neighbour");
        wh_invoice_free(inv);
    }
}

/* A maximal chain of groups validates quickly and without a false cycle;
 * closing the chain is reported with every group on it. */
static void test_long_group_chain(void)
{
    enum { N = 200 };
    size_t cap = 400 * N + 256;
    char *doc = malloc(cap);
    size_t o = (size_t)snprintf(doc, cap, "%s", HDR);
    for (int i = 0; i < N; i++)
        o += (size_t)snprintf(doc + o, cap - o, "[[group]]\nname = \"g%d\"\n", i);
    for (int i = 0; i < N; i++)
        o += (size_t)snprintf(doc + o, cap - o,
                              "[[parcel]]\nlabel = { sha256 = \"%064d\", "
                              "mediaType = \"t/p\", name = \"p%d\", size = 1 }\n"
                              "conditions = { memberOf = [\"g%d\"], requires = [\"g%d\"] }\n",
                              i, i, i, i + 1 < N ? i + 1 : i - 1);
    wh_invoice *inv = NULL;
    wh_err err = {0};
    CHECK_INT(wh_invoice_parse_toml(doc, o, NULL, &inv, &err), 0);
    /* The last group requires the one before it: g198 <-> g199. */
    CHECK_INT(wh_invoice_validate(inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "group cycle: g198 -> g199 -> g198");
    /* Make the last parcel require nothing new: no cycle at all. */
    inv->parcels[N - 1].requires.n = 0;
    CHECK_INT(wh_invoice_validate(inv, &err), 0);
    /* Close the chain: the whole ring is named (cut to the buffer). */
    inv->parcels[N - 1].requires.n = 1;
    inv->parcels[N - 1].requires.items[0] = wh_arena_strdup(&inv->arena, "g0");
    CHECK_INT(wh_invoice_validate(inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "group cycle: g0 -> g1 -> g2 -> ");
    wh_invoice_free(inv);
    free(doc);
}

/* Messages go into JSON error bodies, so they must stay valid UTF-8 even
 * when they quote invalid input or are cut short. */
static void test_messages_stay_utf8(void)
{
    wh_invoice *inv = NULL;
    wh_err err = {0};
    const char *junk = "{\"bindleVersion\":\"\xff\xfe\"}";
    CHECK_INT(wh_invoice_parse_json(junk, strlen(junk), NULL, &inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "invalid JSON");
    json_t *s = json_string(err.msg);
    CHECK(s != NULL);
    json_decref(s);

    /* A feature section name long enough to overflow the path buffer,
     * made of two-byte characters placed so that the cut falls inside
     * one of them. */
    char doc[2048];
    size_t o = (size_t)snprintf(doc, sizeof doc,
                                "{" JHDR ",\"parcel\":[{\"label\":{\"sha256\":\"" SHA1
                                "\",\"mediaType\":\"t\",\"name\":\"n\",\"size\":1,"
                                "\"feature\":{\"xy");
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(doc + o, sizeof doc - o, "\xc3\xa9");
    snprintf(doc + o, sizeof doc - o, "\":{\"k\":1}}}}]}");
    CHECK_INT(wh_invoice_parse_json(doc, strlen(doc), NULL, &inv, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "parcel[0].label.feature.xy\xc3\xa9");
    CHECK_CONTAINS(err.msg, "expected a string, got integer");
    s = json_string(err.msg);
    CHECK(s != NULL);
    json_decref(s);
}

int main(void)
{
    RUN(test_every_fixture_parses);
    RUN(test_simple_invoice_values);
    RUN(test_full_invoice_groups);
    RUN(test_alt_format_invoice);
    RUN(test_valid_v1_signature);
    RUN(test_fixture_validation);
    RUN(test_fixture_round_trips);
    RUN(test_has_flags_survive);
    RUN(test_canonical_json);
    RUN(test_utf8_kept_in_json);
    RUN(test_equal_notices_differences);
    RUN(test_emit_refuses_unrepresentable);
    RUN(test_name_rules);
    RUN(test_sha256_hex_valid);
    RUN(test_bad_invoices);
    RUN(test_good_neighbours_pass);
    RUN(test_long_group_chain);
    RUN(test_messages_stay_utf8);
    return unit_done("invoice");
}
