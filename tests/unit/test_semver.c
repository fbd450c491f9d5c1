/*
 * test_semver.c - SemVer 2.0.0 parsing, precedence, sort keys and npm-style
 * ranges (schema/semver.h).  Range expectations follow node-semver's
 * documented semantics with includePrerelease=false.
 */
#include "schema/semver.h"

#include <stdbool.h>
#include <stdlib.h>

#include "tests/unit/unit.h"

#define U64MAX "18446744073709551615"

static bool parse_ok(const char *s, wh_semver *v)
{
    wh_err err = {0};
    int rc = wh_semver_parse(s, v, &err);
    if (rc != 0)
        fprintf(stderr, "  unexpected parse failure for \"%s\": %s\n", s, err.msg);
    return rc == 0;
}

/* ------------------------------------------------------------------------ */

static void test_parse_valid(void)
{
    static const struct {
        const char *s;
        uint64_t M, m, p;
        const char *pre, *build;
    } cases[] = {
        {"0.0.0", 0, 0, 0, "", ""},
        {"1.2.3", 1, 2, 3, "", ""},
        {"10.20.30", 10, 20, 30, "", ""},
        {"1.2.3-0", 1, 2, 3, "0", ""},
        {"1.2.3-0a", 1, 2, 3, "0a", ""},
        {"1.2.3-00a", 1, 2, 3, "00a", ""},
        {"1.2.3-alpha.1", 1, 2, 3, "alpha.1", ""},
        {"1.0.0-x.7.z.92", 1, 0, 0, "x.7.z.92", ""},
        {"1.2.3+001", 1, 2, 3, "", "001"},
        {"1.2.3+0.0.00", 1, 2, 3, "", "0.0.00"},
        {"1.2.3-rc.1+build.0042", 1, 2, 3, "rc.1", "build.0042"},
        {"1.0.0-alpha+001", 1, 0, 0, "alpha", "001"},
        {"1.2.3+-", 1, 2, 3, "", "-"},
        {"1.2.3-a-", 1, 2, 3, "a-", ""},
        {"1.2.3----RC-SNAPSHOT.12.9.1--.12+788", 1, 2, 3, "---RC-SNAPSHOT.12.9.1--.12", "788"},
        {"2.0.0-rc.1+build.123", 2, 0, 0, "rc.1", "build.123"},
        {U64MAX "." U64MAX "." U64MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, "", ""},
        {"1.2.3-" U64MAX "0", 1, 2, 3, U64MAX "0", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wh_semver v;
        if (!parse_ok(cases[i].s, &v)) {
            CHECK(false);
            continue;
        }
        CHECK(v.major == cases[i].M);
        CHECK(v.minor == cases[i].m);
        CHECK(v.patch == cases[i].p);
        CHECK_STR(v.text, cases[i].s);
        CHECK_INT(v.pre_len, strlen(cases[i].pre));
        CHECK_INT(v.build_len, strlen(cases[i].build));
        CHECK(strncmp(v.text + v.pre_off, cases[i].pre, v.pre_len) == 0);
        CHECK(strncmp(v.text + v.build_off, cases[i].build, v.build_len) == 0);
    }

    /* Exactly WH_SEMVER_MAX bytes is accepted. */
    char buf[WH_SEMVER_MAX + 2];
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "1.2.3-", 6);
    buf[WH_SEMVER_MAX] = '\0';
    wh_semver v;
    CHECK(parse_ok(buf, &v));
    CHECK_INT(v.pre_len, WH_SEMVER_MAX - 6);
    CHECK_INT(strlen(v.text), WH_SEMVER_MAX);
}

static void test_parse_invalid(void)
{
    static const struct {
        const char *s, *msg;
    } cases[] = {
        {"", "empty"},
        {"v1.2.3", "must not start with 'v'"},
        {"V1.2.3", "must not start with 'V'"},
        {"=1.2.3", "major version expected at position 1, found '='"},
        {"1", "expected '.' after the major version at position 2, found the end"},
        {"1.2", "expected '.' after the minor version at position 4, found the end"},
        {"1..3", "minor version expected at position 3, found '.'"},
        {"1.2.", "patch version expected at position 5, found the end"},
        {"1.2.x", "patch version expected at position 5, found 'x'"},
        {"a.b.c", "major version expected at position 1"},
        {"-1.2.3", "major version expected"},
        {" 1.2.3", "found ' ' (space)"},
        {"1.2.3 ", "unexpected ' ' (space) at position 6"},
        {"1.2.3.4", "unexpected '.' at position 6"},
        {"01.2.3", "major version \"01\" has a leading zero"},
        {"1.02.3", "minor version \"02\" has a leading zero"},
        {"1.2.03", "patch version \"03\" has a leading zero"},
        {"00.0.0", "leading zero"},
        {"18446744073709551616.0.0", "major version 18446744073709551616 does not fit in 64 bits"},
        {"0.99999999999999999999.0", "minor version 99999999999999999999 does not fit"},
        {"0.0." U64MAX "0", "patch version"},
        {"1.2.3-", "prerelease is empty after '-' at position 6"},
        {"1.2.3+", "build metadata is empty after '+' at position 6"},
        {"1.2.3-+b", "prerelease is empty"},
        {"1.2.3-alpha+", "build metadata is empty"},
        {"1.2.3-01", "numeric prerelease identifier \"01\" has a leading zero (position 7)"},
        {"1.2.3-beta.01", "\"01\" has a leading zero (position 12)"},
        {"1.2.3-00", "leading zero"},
        {"1.2.3-a..b", "prerelease identifier 2 is empty (position 9)"},
        {"1.2.3-a.", "prerelease identifier 2 is empty"},
        {"1.2.3-.a", "prerelease identifier 1 is empty"},
        {"1.2.3+a..b", "build metadata identifier 2 is empty"},
        {"1.2.3-a_b", "prerelease has '_' at position 8"},
        {"1.2.3+a b", "build metadata has ' ' (space) at position 8"},
        {"1.2.3+a+b", "build metadata has '+' at position 8"},
        {"1.2.3-\xc3\xa9", "byte 0xc3 at position 7"},
        {"1.2.3\x01", "byte 0x01 at position 6"},
        {"1.2.3x", "unexpected 'x' at position 6 after the patch version"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wh_semver v;
        wh_err err = {0};
        memset(&v, 0x55, sizeof v);
        int rc = wh_semver_parse(cases[i].s, &v, &err);
        if (rc != WH_EINVAL)
            fprintf(stderr, "  \"%s\" parsed (rc %d)\n", cases[i].s, rc);
        CHECK_INT(rc, WH_EINVAL);
        CHECK_INT(err.code, WH_EINVAL);
        CHECK_CONTAINS(err.msg, cases[i].msg);
        CHECK_CONTAINS(err.msg, "invalid version");
        CHECK(v.major == 0 && v.text[0] == '\0' && v.pre_len == 0);
    }

    /* Control bytes never reach the message. */
    wh_semver v;
    wh_err err = {0};
    CHECK_INT(wh_semver_parse("1.2.3\n\x1b[31m", &v, &err), WH_EINVAL);
    CHECK(strchr(err.msg, '\n') == NULL && strchr(err.msg, '\x1b') == NULL);

    /* One byte over the limit. */
    char buf[WH_SEMVER_MAX + 2];
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "1.2.3-", 6);
    buf[WH_SEMVER_MAX + 1] = '\0';
    CHECK_INT(wh_semver_parse(buf, &v, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "longer than 255 bytes");

    CHECK_INT(wh_semver_parse(NULL, &v, &err), WH_EINVAL);
    CHECK_CONTAINS(err.msg, "none given");
    CHECK_INT(wh_semver_parse("1.2.3", &v, NULL), 0);
    CHECK_INT(wh_semver_parse("1.2", &v, NULL), WH_EINVAL);
}

static int sign(int x) { return (x > 0) - (x < 0); }

static int cmp_str(const char *a, const char *b)
{
    wh_semver va, vb;
    if (!parse_ok(a, &va) || !parse_ok(b, &vb))
        return 99;
    return sign(wh_semver_cmp(&va, &vb));
}

static void test_precedence(void)
{
    /* The chain from SemVer 2.0.0 item 11, then more releases. */
    static const char *const chain[] = {
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
        "1.0.1", "1.1.0", "2.0.0", "2.1.0", "2.1.1", "10.0.0",
    };
    size_t n = sizeof chain / sizeof chain[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int want = (i > j) - (i < j);
            int got = cmp_str(chain[i], chain[j]);
            if (got != want)
                fprintf(stderr, "  cmp(%s, %s) = %d, want %d\n", chain[i], chain[j], got, want);
            CHECK_INT(got, want);
        }

    /* Build metadata is ignored. */
    CHECK_INT(cmp_str("1.0.0+a", "1.0.0+b"), 0);
    CHECK_INT(cmp_str("1.0.0+a", "1.0.0"), 0);
    CHECK_INT(cmp_str("1.0.0-rc.1+x.y", "1.0.0-rc.1"), 0);
    CHECK_INT(cmp_str("1.0.0-rc.1+zzz", "1.0.0-rc.2+aaa"), -1);

    /* Numeric identifiers compare as numbers of any size, below alphanumerics. */
    CHECK_INT(cmp_str("1.0.0-9", "1.0.0-10"), -1);
    CHECK_INT(cmp_str("1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000"), -1);
    CHECK_INT(cmp_str("1.0.0-99999999999999999999999", "1.0.0-10"), 1);
    CHECK_INT(cmp_str("1.0.0-999", "1.0.0-0a"), -1);
    CHECK_INT(cmp_str("1.0.0-1a", "1.0.0-9"), 1);
    CHECK_INT(cmp_str("1.0.0-Z", "1.0.0-a"), -1);
    CHECK_INT(cmp_str("1.0.0-a-b", "1.0.0-ab"), -1);
    CHECK_INT(cmp_str("1.0.0-a.b.c", "1.0.0-a.b.c.d"), -1);
    CHECK_INT(cmp_str("1.0.0-a.1", "1.0.0-a.a"), -1);
    CHECK_INT(cmp_str("1.0.0-alpha", "1.0.0-alpha0"), -1);
    CHECK_INT(cmp_str(U64MAX ".0.0", "18446744073709551614.9.9"), 1);
    CHECK_INT(cmp_str("0.0.0-0", "0.0.0"), -1);
    CHECK_INT(cmp_str("1.2.3-rc", "1.2.2"), 1);
}

/* memcmp order with the shorter key first on a tie, as a database sorts. */
static int key_cmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    if (r)
        return sign(r);
    return (an > bn) - (an < bn);
}

static void test_sort_key(void)
{
    static const char *const list[] = {
        "0.0.0-0", "0.0.0-0.0", "0.0.0-1", "0.0.0", "0.0.1", "0.1.0",
        "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-9", "1.0.0-10",
        "1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000",
        "1.0.0--", "1.0.0-0a", "1.0.0-1a", "1.0.0-A", "1.0.0-Z", "1.0.0-a",
        "1.0.0-a.0", "1.0.0-a.1", "1.0.0-a.a", "1.0.0-a.b.c", "1.0.0-a.b.c.d",
        "1.0.0-a-b", "1.0.0-a0", "1.0.0-ab", "1.0.0-alpha", "1.0.0-alpha.1",
        "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
        "1.0.0-rc.1", "1.0.0-rc.1+x", "1.0.0", "1.0.0+build", "1.0.1", "1.1.0",
        "2.0.0", "10.0.0", "255.0.0", "256.0.0", "65536.0.0", "4294967296.0.0",
        "18446744073709551614.0.0", U64MAX ".0.0-x", U64MAX ".0.0",
        U64MAX "." U64MAX "." U64MAX,
    };
    enum { N = sizeof list / sizeof list[0] };
    static unsigned char keys[N][WH_SEMVER_SORTKEY_MAX];
    size_t lens[N];
    wh_semver vs[N];
    for (size_t i = 0; i < N; i++) {
        wh_err err = {0};
        CHECK(parse_ok(list[i], &vs[i]));
        CHECK_INT(wh_semver_sort_key(&vs[i], keys[i], sizeof keys[i], &lens[i], &err), 0);
        CHECK(lens[i] <= WH_SEMVER_SORTKEY_MAX);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++) {
            int c = sign(wh_semver_cmp(&vs[i], &vs[j]));
            int k = key_cmp(keys[i], lens[i], keys[j], lens[j]);
            if (c != k)
                fprintf(stderr, "  %s vs %s: cmp %d, key %d\n", list[i], list[j], c, k);
            CHECK_INT(k, c);
            /* The list is in precedence order, except for the build-metadata twins. */
            if (i < j && strchr(list[j], '+') == NULL && c != -1) {
                fprintf(stderr, "  list out of order: %s, %s\n", list[i], list[j]);
                CHECK_INT(c, -1);
            }
        }

    /* The layout of a plain release. */
    static const unsigned char want[] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2,
                                         0, 0, 0, 0, 0, 0, 1, 0, 2};
    wh_semver v;
    unsigned char key[WH_SEMVER_SORTKEY_MAX];
    size_t len = 0;
    CHECK(parse_ok("1.2.256", &v));
    CHECK_INT(wh_semver_sort_key(&v, key, sizeof key, &len, NULL), 0);
    CHECK_INT(len, sizeof want);
    CHECK(memcmp(key, want, sizeof want) == 0);

    /* Worst case: the most identifiers a 255-byte version can hold. */
    char buf[WH_SEMVER_MAX + 1];
    size_t o = 0;
    o += (size_t)snprintf(buf, sizeof buf, "0.0.0-1");
    while (o + 2 <= WH_SEMVER_MAX) {
        memcpy(buf + o, ".1", 2);
        o += 2;
    }
    buf[o] = '\0';
    CHECK(parse_ok(buf, &v));
    CHECK_INT(wh_semver_sort_key(&v, key, sizeof key, &len, NULL), 0);
    CHECK(len <= WH_SEMVER_SORTKEY_MAX);
    CHECK_INT(len, 25 + 125 * 3 + 1);

    /* Too small a buffer: WH_ETOOBIG, nothing written past cap, *len says what is needed. */
    wh_err err = {0};
    CHECK(parse_ok("1.0.0-alpha.1", &v));
    memset(key, 0xAA, sizeof key);
    CHECK_INT(wh_semver_sort_key(&v, key, 10, &len, &err), WH_ETOOBIG);
    CHECK_INT(err.code, WH_ETOOBIG);
    CHECK_CONTAINS(err.msg, "needs 36 bytes");
    CHECK_INT(len, 36);
    CHECK(key[10] == 0xAA);
    CHECK_INT(wh_semver_sort_key(&v, key, 35, &len, &err), WH_ETOOBIG);
    CHECK_INT(wh_semver_sort_key(&v, key, 36, &len, &err), 0);
    CHECK_INT(len, 36);
}

/* ------------------------------------------------------------------------ */

static void test_range_match(void)
{
    static const struct {
        const char *range, *version;
        bool want;
    } cases[] = {
        /* plain comparators */
        {"1.2.3", "1.2.3", true},
        {"1.2.3", "1.2.4", false},
        {"=1.2.3", "1.2.3", true},
        {"v1.2.3", "1.2.3", true},
        {"=v1.2.3", "1.2.3", true},
        {"1.2.3", "1.2.3+build.5", true},
        {"1.2.3+build", "1.2.3", true},
        {">1.2.3", "1.2.4", true},
        {">1.2.3", "1.2.3", false},
        {">=1.2.3", "1.2.3", true},
        {">=1.2.3", "1.2.2", false},
        {"<1.2.3", "1.2.2", true},
        {"<1.2.3", "1.2.3", false},
        {"<=1.2.3", "1.2.3", true},
        {"<=1.2.3", "1.2.4", false},
        {"> 1.2.3", "1.3.0", true},
        {">= 1.2.3 < 2", "1.5.0", true},
        {"  >=1.2.3\t<2.0.0  ", "1.9.9", true},
        {">=1.2.3 <2.0.0", "2.0.0", false},
        {">=1.2.3 <2.0.0", "1.2.2", false},
        {"1.2.7 || >=1.2.9 <2.0.0", "1.2.7", true},
        {"1.2.7 || >=1.2.9 <2.0.0", "1.2.9", true},
        {"1.2.7 || >=1.2.9 <2.0.0", "1.4.6", true},
        {"1.2.7 || >=1.2.9 <2.0.0", "1.2.8", false},
        {"1.2.7 || >=1.2.9 <2.0.0", "2.0.0", false},
        /* partials and wildcards */
        {"1", "1.9.9", true},
        {"1", "2.0.0", false},
        {"1", "0.9.9", false},
        {"1.x", "1.0.0", true},
        {"1.X", "1.5.0", true},
        {"1.2", "1.2.9", true},
        {"1.2", "1.3.0", false},
        {"=1.2", "1.2.5", true},
        {"==1.2", "1.2.5", true},
        {"v=1.2", "1.2.5", true},
        {"~= 1.2", "1.2.5", true},
        {">==1.2", "1.2.0", true},
        {"= 1.2.3", "1.2.3", true},
        {"> =1", "1.0.0", true},
        {"< =1.2.3", "1.2.3", true},
        {"~ = 1", "1.5.0", true},
        {"1.2.*", "1.2.0", true},
        {"1.2.x", "1.1.9", false},
        {"^1.x.3", "1.5.0", true},
        {"~1.x.3", "1.5.0", true},
        {"*", "0.0.0", true},
        {"", "1.2.3", true},
        {"x", "99.0.0", true},
        {"*", "1.2.3-beta", false},
        {"", "1.2.3-beta", false},
        {">1", "2.0.0", true},
        {">1", "1.9.9", false},
        {">1.2", "1.3.0", true},
        {">1.2", "1.2.9", false},
        {">=1.2", "1.2.0", true},
        {">=1.2", "1.1.9", false},
        {"<1.2", "1.1.9", true},
        {"<1.2", "1.2.0", false},
        {"<=1.2", "1.2.9", true},
        {"<=1.2", "1.3.0", false},
        {"<=1", "1.99.0", true},
        {"<=1", "2.0.0", false},
        {"<2", "2.0.0-beta", false},
        {">*", "1.0.0", false},
        {"<x", "0.0.0", false},
        {">=*", "1.0.0", true},
        {"<=X", "0.0.0", true},
        /* caret */
        {"^1.2.3", "1.9.9", true},
        {"^1.2.3", "2.0.0", false},
        {"^1.2.3", "1.2.2", false},
        {"^1.2.3", "2.0.0-0", false},
        {"^0.2.3", "0.2.9", true},
        {"^0.2.3", "0.3.0", false},
        {"^0.2.3", "0.2.2", false},
        {"^0.0.3", "0.0.3", true},
        {"^0.0.3", "0.0.4", false},
        {"^0.0.3", "0.0.4-0", false},
        {"^0.0", "0.0.9", true},
        {"^0.0", "0.1.0", false},
        {"^0.0.x", "0.0.5", true},
        {"^0.x", "0.9.0", true},
        {"^0.x", "1.0.0", false},
        {"^0", "0.9.9", true},
        {"^1.x", "1.5.0", true},
        {"^1.2", "1.9.0", true},
        {"^1.2", "1.1.9", false},
        {"^1.2.3-beta.2", "1.2.3-beta.4", true},
        {"^1.2.3-beta.2", "1.2.3-beta.1", false},
        {"^1.2.3-beta.2", "1.2.4-beta.2", false},
        {"^1.2.3-beta.2", "1.3.0", true},
        {"^0.0.3-beta", "0.0.3-pr.2", true},
        {"^0.0.3-beta", "0.0.4", false},
        {"^ 1.2.3", "1.3.0", true},
        {"^v1.2.3", "1.3.0", true},
        {"^*", "5.0.0", true},
        {"^=1.2.3", "1.5.0", true},
        {"^= 1.2.3", "1.5.0", true},
        {"^vv1.2.3", "2.0.0", false},
        /* tilde */
        {"~1.2.3", "1.2.9", true},
        {"~1.2.3", "1.3.0", false},
        {"~1.2.3", "1.2.2", false},
        {"~1.2", "1.2.0", true},
        {"~1.2", "1.3.0", false},
        {"~1", "1.9.0", true},
        {"~1", "2.0.0", false},
        {"~0.2.3", "0.2.5", true},
        {"~0.2.3", "0.3.0", false},
        {"~1.2.3-beta.2", "1.2.3-beta.4", true},
        {"~1.2.3-beta.2", "1.2.4-beta.4", false},
        {"~1.2.3-beta.2", "1.2.4", true},
        {"~ 1.2.3", "1.2.4", true},
        {"~*", "0.1.0", true},
        {"~=1.2", "1.2.7", true},
        {"~=1.2", "1.3.0", false},
        /* hyphen ranges */
        {"1.2.3 - 2.3.4", "1.2.3", true},
        {"1.2.3 - 2.3.4", "2.3.4", true},
        {"1.2.3 - 2.3.4", "2.3.5", false},
        {"1.2.3 - 2.3.4", "1.2.2", false},
        {"1.2.3 - 2.3.4", "2.0.0-beta", false},
        {"1.2 - 2.3.4", "1.2.0", true},
        {"1.2 - 2.3.4", "1.1.9", false},
        {"1.2.3 - 2.3", "2.3.9", true},
        {"1.2.3 - 2.3", "2.4.0", false},
        {"1.2.3 - 2", "2.9.9", true},
        {"1.2.3 - 2", "3.0.0", false},
        {"1 - 2", "1.0.0", true},
        {"1 - 2", "0.9.9", false},
        {"* - 2", "0.0.1", true},
        {"1.2.3 - *", "99.0.0", true},
        {"1.2.3 - *", "1.2.2", false},
        {"1.2.3-beta - 2", "1.2.3-rc", true},
        {"1.2.3-beta - 2", "1.2.3-alpha", false},
        {"1.2.3 - 2.0.0-beta", "2.0.0-alpha", true},
        {"1.2.3 - 2.0.0-beta", "2.0.0", false},
        {"v1.2.3\t-\t v2.3.4", "2.0.0", true},
        {"=1.2 - 2", "1.2.0", true},
        {"1 - =2.0.0-b", "2.0.0-a", true},
        /* || */
        {"1.2.3 || 2.x", "2.5.0", true},
        {"1.2.3 || 2.x", "1.2.4", false},
        {"<1.0.0 || >=2.0.0", "1.5.0", false},
        {"<1.0.0 || >=2.0.0", "0.5.0", true},
        {"1.x || >=2.5.0 || 5.0.0 - 7.2.3", "7.2.3", true},
        {"1.x || >=2.5.0 || 5.0.0 - 7.2.3", "2.4.0", false},
        {"1.2.3||2.0.0", "2.0.0", true},
        {"1.2.3 ||", "9.9.9", true},
        {"||", "1.0.0", true},
        {"1.0.0-beta || 2", "1.0.0-beta", true},
        {"2.x || 1.0.0-beta", "1.0.0-beta", true},
        /* node-semver reduces "* || X" to "*", which lets no prerelease in */
        {"* || 1.0.0-beta", "1.0.0-beta", false},
        {">=0.0.0 || 1.0.0-beta", "1.0.0-beta", false},
        {">=v0.0.0 || 1.0.0-beta", "1.0.0-beta", true},
        {"<x || 1.0.0-beta", "1.0.0-beta", true},
        /* prereleases */
        {">1.2.3-alpha.3", "1.2.3-alpha.7", true},
        {">1.2.3-alpha.3", "3.4.5-alpha.9", false},
        {">1.2.3-alpha.3", "3.4.5", true},
        {">1.2.3-alpha.3", "1.2.3-alpha.3", false},
        {"<1.2.3-beta", "1.2.3-alpha", true},
        {"<1.2.3-beta", "1.2.2", true},
        {">=1.0.0 <2.0.0", "1.5.0-beta", false},
        {">=1.0.0-0 <2.0.0", "1.0.0-beta", true},
        {">=1.0.0-0 <2.0.0", "1.0.1-beta", false},
        {"1.2.3-beta", "1.2.3-beta", true},
        {"1.2.3-beta", "1.2.3-beta+exp.sha", true},
        {"1.2.3-beta", "1.2.3-beta.1", false},
        {">=0.0.0", "0.0.0-0", false},
        {"<2.0.0", "2.0.0-beta", false},
        {"<=1.2.3", "1.2.3-beta", false},
        {">1.2.2 <=1.2.3", "1.2.3-beta", false},
        {">1.2.2 <=1.2.3-rc", "1.2.3-beta", true},
        {"<=2.0.0-rc.1", "2.0.0-beta", true},
        {"<=2.0.0-rc.1", "2.0.0-rc.2", false},
        {"1.2.x-beta", "1.2.5", true},
        /* numbers at the top of uint64 */
        {">=" U64MAX ".0.0", U64MAX "." U64MAX "." U64MAX, true},
        {"^" U64MAX ".0.0", U64MAX ".5.5", true},
        {"<=" U64MAX ".x", U64MAX "." U64MAX "." U64MAX, true},
        {">" U64MAX ".x", U64MAX "." U64MAX "." U64MAX, false},
        {">1." U64MAX, "2.0.0", true},
        {">1." U64MAX, "1." U64MAX "." U64MAX, false},
        {"~1." U64MAX, "1." U64MAX ".7", true},
        {"~1." U64MAX, "2.0.0", false},
        {"^0.0." U64MAX, "0.0." U64MAX, true},
        {"^0.0." U64MAX, "0.1.0", false},
    };
    size_t n = sizeof cases / sizeof cases[0];
    CHECK(n >= 60);
    for (size_t i = 0; i < n; i++) {
        wh_semver_range *r = NULL;
        wh_semver v;
        wh_err err = {0};
        int rc = wh_semver_range_parse(cases[i].range, &r, &err);
        if (rc)
            fprintf(stderr, "  range \"%s\" failed: %s\n", cases[i].range, err.msg);
        CHECK_INT(rc, 0);
        CHECK(parse_ok(cases[i].version, &v));
        bool got = r && wh_semver_range_match(r, &v);
        if (got != cases[i].want)
            fprintf(stderr, "  \"%s\" matching %s: got %d, want %d\n", cases[i].range,
                    cases[i].version, got, cases[i].want);
        CHECK(got == cases[i].want);
        wh_semver_range_free(r);
    }
}

static void test_range_invalid(void)
{
    static const struct {
        const char *range;
        int code;
        const char *msg;
    } cases[] = {
        {"1.2.3.4", WH_EINVAL, "unexpected '.'"},
        {">=01.2.3", WH_EINVAL, "\"01\" has a leading zero"},
        {"1.02", WH_EINVAL, "\"02\" has a leading zero"},
        {"~>1.2.3", WH_EINVAL, "'~>' at position 1 is not supported"},
        {"1.2.3 -", WH_EINVAL, "'-' must stand alone"},
        {"- 1.2.3", WH_EINVAL, "'-' must stand alone"},
        {"1.2.3 - 2.0.0 - 3", WH_EINVAL, "'-' must stand alone"},
        {"1.2.3 -2.0.0", WH_EINVAL, "expected a number, 'x', 'X' or '*' at position 1, found '-'"},
        {"^1.2.3 - 2", WH_EINVAL, "must be plain versions"},
        {">=", WH_EINVAL, "'>=' at position 1 is not followed by a version"},
        {"1.2.3 >", WH_EINVAL, "'>' at position 7 is not followed"},
        {"1.2.3 || ^", WH_EINVAL, "'^' at position 10"},
        {"1.2.3 ^=", WH_EINVAL, "'^=' at position 7"},
        {"^v 1.2.3", WH_EINVAL, "found the end"},
        {"abc", WH_EINVAL, "found 'a'"},
        {"1.2-beta", WH_EINVAL, "a prerelease needs all three parts"},
        {"1.x-beta", WH_EINVAL, "a prerelease needs all three parts"},
        {"^1.2.3-01", WH_EINVAL, "\"01\" has a leading zero"},
        {"1.2.x-01", WH_EINVAL, "\"01\" has a leading zero"},
        {"1 | 2", WH_EINVAL, "found '|'"},
        {"1.2.3 ||| 2", WH_EINVAL, "found '|'"},
        {"1.2.3 <>2", WH_EINVAL, "found '>'"},
        {"!1.2.3", WH_EINVAL, "found '!'"},
        {">==1.2.3", WH_EINVAL, "may start with one 'v'"},
        {"==1.2.3", WH_EINVAL, "may start with one 'v'"},
        {"vv1.2.3", WH_EINVAL, "may start with one 'v'"},
        {"=1.2.3 - 2", WH_EINVAL, "may start with one 'v'"},
        {"1 - =2.0.0", WH_EINVAL, "may start with one 'v'"},
        {"v", WH_EINVAL, "found the end"},
        {"== 1.2", WH_EINVAL, "found the end"},
        {"v= 1.2", WH_EINVAL, "found the end"},
        {"> = 1", WH_EINVAL, "found the end"},
        {">=99999999999999999999999", WH_EINVAL, "does not fit in 64 bits"},
        {"1.2.3-beta+", WH_EINVAL, "build metadata is empty"},
        {"1.2.3-be_ta", WH_EINVAL, "'_'"},
        {"1.2.3*", WH_EINVAL, "unexpected '*'"},
        {"1.x.3", WH_EINVAL, "a number follows a wildcard"},
        {">=*.2", WH_EINVAL, "a number follows a wildcard"},
        {"1.2.3,2.0.0", WH_EINVAL, "unexpected ','"},
        {">=1.2.3 \x01", WH_EINVAL, "byte 0x01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static char sentinel;
        wh_semver_range *r = (wh_semver_range *)&sentinel; /* must come back NULL */
        wh_err err = {0};
        int rc = wh_semver_range_parse(cases[i].range, &r, &err);
        if (rc != cases[i].code)
            fprintf(stderr, "  range \"%s\": rc %d, want %d\n", cases[i].range, rc,
                    cases[i].code);
        CHECK_INT(rc, cases[i].code);
        CHECK(r == NULL);
        CHECK_CONTAINS(err.msg, cases[i].msg);
        CHECK_CONTAINS(err.msg, "range");
    }
    wh_semver_range *r = NULL;
    wh_err err = {0};
    CHECK_INT(wh_semver_range_parse(NULL, &r, &err), WH_EINVAL);
    CHECK(r == NULL);
    wh_semver_range_free(NULL);
}

static void test_range_limits(void)
{
    wh_semver_range *r = NULL;
    wh_err err = {0};
    wh_semver v;
    CHECK(parse_ok("1.0.0", &v));

    /* Length: exactly the limit parses, one more byte does not. */
    char *buf = malloc(WH_SEMVER_RANGE_MAX + 2);
    CHECK(buf != NULL);
    if (!buf)
        return;
    memset(buf, ' ', WH_SEMVER_RANGE_MAX + 1);
    memcpy(buf, "1.0.0", 5);
    buf[WH_SEMVER_RANGE_MAX] = '\0';
    CHECK_INT(wh_semver_range_parse(buf, &r, &err), 0);
    CHECK(r && wh_semver_range_match(r, &v));
    wh_semver_range_free(r);
    buf[WH_SEMVER_RANGE_MAX] = ' ';
    buf[WH_SEMVER_RANGE_MAX + 1] = '\0';
    CHECK_INT(wh_semver_range_parse(buf, &r, &err), WH_ETOOBIG);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "longer than 1024 bytes");

    /* Sets: 64 parse, 65 do not. */
    size_t o = 0;
    for (int i = 0; i < WH_SEMVER_RANGE_MAX_SETS; i++)
        o += (size_t)snprintf(buf + o, WH_SEMVER_RANGE_MAX + 2 - o, "%s%d", i ? "||" : "", i);
    CHECK_INT(wh_semver_range_parse(buf, &r, &err), 0);
    CHECK(r && wh_semver_range_match(r, &v));
    wh_semver_range_free(r);
    snprintf(buf + o, WH_SEMVER_RANGE_MAX + 2 - o, "||99");
    CHECK_INT(wh_semver_range_parse(buf, &r, &err), WH_ETOOBIG);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "more than 64 sets");

    /* Comparators in one set: 32 parse, 33 do not. */
    o = 0;
    for (int i = 0; i < WH_SEMVER_RANGE_MAX_CMPS; i++)
        o += (size_t)snprintf(buf + o, WH_SEMVER_RANGE_MAX + 2 - o, "^1.0 ");
    CHECK_INT(wh_semver_range_parse(buf, &r, &err), 0);
    CHECK(r && wh_semver_range_match(r, &v));
    wh_semver_range_free(r);
    snprintf(buf + o, WH_SEMVER_RANGE_MAX + 2 - o, ">= 0.1");
    CHECK_INT(wh_semver_range_parse(buf, &r, &err), WH_ETOOBIG);
    CHECK(r == NULL);
    CHECK_CONTAINS(err.msg, "more than 32 comparators");
    free(buf);
}

/* The range form of a version always admits it; a few derived ranges too. */
static void test_range_self(void)
{
    static const char *const versions[] = {
        "0.0.0", "1.2.3", "1.2.3-beta.1", "0.0.1-0+b", U64MAX "." U64MAX "." U64MAX,
        "0.1.0-rc.1.x-y",
    };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        static const struct {
            const char *fmt;
            bool want;
        } forms[] = {
            {"%s", true}, {"=%s", true}, {"v%s", true}, {">=%s", true}, {"<=%s", true},
            {"^%s", true}, {"~%s", true}, {"%s - %s", true}, {"<%s", false}, {">%s", false},
        };
        wh_semver v;
        CHECK(parse_ok(versions[i], &v));
        for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
            char text[600];
            snprintf(text, sizeof text, forms[f].fmt, versions[i], versions[i]);
            wh_semver_range *r = NULL;
            wh_err err = {0};
            CHECK_INT(wh_semver_range_parse(text, &r, &err), 0);
            bool got = r && wh_semver_range_match(r, &v);
            if (got != forms[f].want)
                fprintf(stderr, "  \"%s\" matching %s: got %d\n", text, versions[i], got);
            CHECK(got == forms[f].want);
            wh_semver_range_free(r);
        }
    }
}

int main(void)
{
    RUN(test_parse_valid);
    RUN(test_parse_invalid);
    RUN(test_precedence);
    RUN(test_sort_key);
    RUN(test_range_match);
    RUN(test_range_invalid);
    RUN(test_range_limits);
    RUN(test_range_self);
    return unit_done("semver");
}
