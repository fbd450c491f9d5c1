/*
 * fuzz_semver.c - feeds arbitrary bytes to the SemVer version and range
 * parsers (schema/semver.h) and checks the invariants they promise:
 * precedence is a total order that the sort keys reproduce byte for byte,
 * build metadata never matters, a parsed version round-trips through its own
 * text, and every range built from a version ("V", "^V", "V - V", "<V", ...)
 * says what it must about V.  A broken invariant aborts with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/semver.h"

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_semver: %s:%d: invariant failed: %s\n",      \
                    __FILE__, __LINE__, #cond);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

static const char *const refs[] = {
    "0.0.0-0", "0.0.0", "0.0.1", "1.0.0-0", "1.0.0-alpha", "1.0.0-alpha.1",
    "1.0.0-1", "1.0.0-rc.1+b", "1.0.0", "1.2.3-beta.11", "1.2.3", "2.0.0",
    "18446744073709551615.18446744073709551615.18446744073709551615",
};
#define NREFS (sizeof refs / sizeof refs[0])

static int sign(int x) { return (x > 0) - (x < 0); }

static int key_cmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return sign(r);
    return (an > bn) - (an < bn);
}

static void key_of(const wh_semver *v, unsigned char *key, size_t *len)
{
    wh_err err = {0};
    REQUIRE(wh_semver_sort_key(v, key, WH_SEMVER_SORTKEY_MAX, len, &err) == 0);
    REQUIRE(*len > 0 && *len <= WH_SEMVER_SORTKEY_MAX);
}

/* Parses fmt (with %s replaced by the version twice) as a range and
 * returns whether it matches v. */
static int range_says(const char *fmt, const wh_semver *v)
{
    char text[2 * WH_SEMVER_MAX + 16];
    wh_semver_range *r = NULL;
    wh_err err = {0};
    snprintf(text, sizeof text, fmt, v->text, v->text);
    int rc = wh_semver_range_parse(text, &r, &err);
    if (rc)
        fprintf(stderr, "fuzz_semver: range \"%s\" refused: %s\n", text, err.msg);
    REQUIRE(rc == 0 && r != NULL);
    int m = wh_semver_range_match(r, v);
    wh_semver_range_free(r);
    return m;
}

static void check_version(const char *buf, const wh_semver *v, const wh_semver *refv)
{
    wh_err err = {0};
    unsigned char key[WH_SEMVER_SORTKEY_MAX], rkey[WH_SEMVER_SORTKEY_MAX];
    size_t len, rlen;

    REQUIRE(strcmp(v->text, buf) == 0);
    REQUIRE(strlen(v->text) <= WH_SEMVER_MAX);
    REQUIRE(v->pre_len == 0 || v->text[v->pre_off - 1] == '-');
    REQUIRE(v->build_len == 0 || v->text[v->build_off - 1] == '+');
    REQUIRE((size_t)v->pre_off + v->pre_len <= WH_SEMVER_MAX);
    REQUIRE((size_t)v->build_off + v->build_len <= WH_SEMVER_MAX);
    REQUIRE(wh_semver_cmp(v, v) == 0);

    /* The text parses back to the same version. */
    wh_semver again;
    REQUIRE(wh_semver_parse(v->text, &again, &err) == 0);
    REQUIRE(again.major == v->major && again.minor == v->minor && again.patch == v->patch);
    REQUIRE(again.pre_off == v->pre_off && again.pre_len == v->pre_len);
    REQUIRE(again.build_off == v->build_off && again.build_len == v->build_len);

    key_of(v, key, &len);
    size_t need = 0;
    REQUIRE(wh_semver_sort_key(v, key, len - 1, &need, &err) == WH_ETOOBIG);
    REQUIRE(need == len);
    key_of(v, key, &len);

    /* Without its build metadata the version is the same version. */
    if (v->build_len) {
        char bare[WH_SEMVER_MAX + 1];
        wh_semver b;
        size_t blen = 0;
        memcpy(bare, v->text, v->build_off - 1);
        bare[v->build_off - 1] = '\0';
        REQUIRE(wh_semver_parse(bare, &b, &err) == 0);
        REQUIRE(wh_semver_cmp(v, &b) == 0);
        key_of(&b, rkey, &blen);
        REQUIRE(blen == len && memcmp(key, rkey, len) == 0);
    }

    /* Precedence is antisymmetric and the sort keys agree with it. */
    for (size_t i = 0; i < NREFS; i++) {
        int c = sign(wh_semver_cmp(v, &refv[i]));
        REQUIRE(c == -sign(wh_semver_cmp(&refv[i], v)));
        key_of(&refv[i], rkey, &rlen);
        REQUIRE(key_cmp(key, len, rkey, rlen) == c);
        REQUIRE((c == 0) == (len == rlen && memcmp(key, rkey, len) == 0));
    }

    /* Ranges built from the version. */
    REQUIRE(range_says("%s", v));
    REQUIRE(range_says("=%s", v));
    REQUIRE(range_says("v%s", v));
    REQUIRE(range_says(">=%s", v));
    REQUIRE(range_says("<=%s", v));
    REQUIRE(range_says("^%s", v));
    REQUIRE(range_says("~%s", v));
    REQUIRE(range_says("%s - %s", v));
    REQUIRE(range_says("<0.0.0-0 || %s", v));
    REQUIRE(!range_says("<%s", v));
    REQUIRE(!range_says(">%s", v));
    REQUIRE(!range_says("<%s || >%s", v));
    REQUIRE(range_says("*", v) == (v->pre_len == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';

    wh_semver refv[NREFS];
    for (size_t i = 0; i < NREFS; i++)
        REQUIRE(wh_semver_parse(refs[i], &refv[i], NULL) == 0);

    wh_semver v;
    wh_err err = {0};
    int vrc = wh_semver_parse(buf, &v, &err);
    REQUIRE(vrc == 0 || (vrc == WH_EINVAL && err.msg[0] != '\0'));
    if (vrc == 0)
        check_version(buf, &v, refv);

    wh_semver_range *r = NULL;
    int rrc = wh_semver_range_parse(buf, &r, &err);
    REQUIRE((rrc == 0) == (r != NULL));
    REQUIRE(rrc == 0 || rrc == WH_EINVAL || rrc == WH_ETOOBIG);
    REQUIRE(rrc == 0 || err.msg[0] != '\0');
    /* A valid version is always a valid range (an exact match). */
    REQUIRE(vrc != 0 || rrc == 0);
    if (r) {
        bool m[NREFS];
        for (size_t i = 0; i < NREFS; i++) {
            m[i] = wh_semver_range_match(r, &refv[i]);
            /* No range can tell versions apart by build metadata. */
            if (refv[i].build_len) {
                wh_semver b;
                char bare[WH_SEMVER_MAX + 1];
                memcpy(bare, refv[i].text, refv[i].build_off - 1);
                bare[refv[i].build_off - 1] = '\0';
                REQUIRE(wh_semver_parse(bare, &b, NULL) == 0);
                REQUIRE(wh_semver_range_match(r, &b) == m[i]);
            }
        }
        if (vrc == 0) {
            REQUIRE(wh_semver_range_match(r, &v));
            if (v.build_len) {
                wh_semver b;
                char bare[WH_SEMVER_MAX + 1];
                memcpy(bare, v.text, v.build_off - 1);
                bare[v.build_off - 1] = '\0';
                REQUIRE(wh_semver_parse(bare, &b, NULL) == 0);
                REQUIRE(wh_semver_range_match(r, &b));
            }
        }
        /* Parsing is deterministic. */
        wh_semver_range *r2 = NULL;
        REQUIRE(wh_semver_range_parse(buf, &r2, NULL) == 0);
        for (size_t i = 0; i < NREFS; i++)
            REQUIRE(wh_semver_range_match(r2, &refv[i]) == m[i]);
        wh_semver_range_free(r2);
        wh_semver_range_free(r);
    }
    free(buf);
    return 0;
}
